public class Main {
    static String greeting = "Hello";

    static int square(int x) {
        return x * x;
    }

    public static void main(String[] args) {
        System.out.println(greeting + ", world!");
        int sum = 0;
        for (int i = 1; i <= 10; i++) {
            sum += square(i);
        }
        System.out.println("sum of squares 1..10 = " + sum);
        System.out.println("args: " + args.length);
        System.out.print("no newline, ");
        System.out.println("then a newline");
        System.out.println();
        System.out.println(42);
        System.out.println(true);
        System.out.println('x');
        System.out.println(2.5);
        System.out.println("bye");
    }
}
