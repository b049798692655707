// Classes are loaded as they are used: run with no argument, the classes
// that use what the runtime lacks (a lambda, a native method, an enum, a
// class literal) are loaded or called only for their supported parts, and
// the program runs as on HotSpot. tests/lazy.rs runs it with an argument
// that makes it use one of them, and checks the error.
public class Main {
    public static void main(String[] args) {
        String use = args.length > 0 ? args[0] : "";
        System.out.println("start");
        System.out.println(Plain.twice(21));
        switch (use) {
            case "lambda":
                Lambdas.run();
                break;
            case "native":
                System.out.println(Natives.answer());
                break;
            case "enum":
                System.out.println(Color.GREEN.ordinal());
                break;
            case "literal":
                System.out.println(Literals.name());
                break;
            default:
                break;
        }
        System.out.println(Natives.fine());
        System.out.println(Lambdas.plain());
        System.out.println(Literals.plain());
        System.out.println("end");
    }
}

class Plain {
    static {
        System.out.println("Plain initialised");
    }

    static int twice(int x) {
        return 2 * x;
    }
}

class Lambdas {
    static void run() {
        Runnable r = () -> System.out.println("in a lambda");
        r.run();
    }

    static String plain() {
        return "Lambdas.plain";
    }
}

class Natives {
    static native int answer();

    static String fine() {
        return "Natives.fine";
    }
}

enum Color {
    RED, GREEN
}

class Literals {
    static String name() {
        return Main.class.getName();
    }

    static String plain() {
        return "Literals.plain";
    }
}
