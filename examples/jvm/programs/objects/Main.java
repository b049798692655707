// Classes, inheritance, interfaces, nested/inner/anonymous/local classes,
// initialisation order, instanceof/checkcast, equals/hashCode/toString.
public class Main {
    static {
        System.out.println("Main.static-block");
    }

    // ---- static nested classes
    static class Counter {
        private int count;
        private static int instances;

        Counter() {
            instances++;
        }

        Counter inc() {
            count++;
            return this;
        }

        int get() {
            return count;
        }
    }

    static class Point {
        final int x, y;

        Point(int x, int y) {
            this.x = x;
            this.y = y;
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) return true;
            if (!(o instanceof Point)) return false;
            Point p = (Point) o;
            return x == p.x && y == p.y;
        }

        @Override
        public int hashCode() {
            return 31 * x + y;
        }

        @Override
        public String toString() {
            return "Point(" + x + "," + y + ")";
        }
    }

    static class Point3 extends Point {
        final int z;

        Point3(int x, int y, int z) {
            super(x, y);
            this.z = z;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Point3 p && super.equals(o) && p.z == z;
        }

        @Override
        public int hashCode() {
            return super.hashCode() * 31 + z;
        }

        @Override
        public String toString() {
            return "Point3(" + x + "," + y + "," + z + ") extends " + super.toString();
        }
    }

    // ---- generic classes (erased)
    static class Box<T> {
        private T value;

        Box(T value) {
            this.value = value;
        }

        T get() {
            return value;
        }

        void set(T v) {
            value = v;
        }

        <R> Box<R> map(Function<? super T, ? extends R> f) {
            return new Box<R>(f.apply(value));
        }

        @Override
        public String toString() {
            return "Box(" + value + ")";
        }
    }

    interface Function<A, B> {
        B apply(A a);
    }

    static class Pair<A extends Comparable<A>, B> implements Comparable<Pair<A, B>> {
        final A first;
        final B second;

        Pair(A a, B b) {
            first = a;
            second = b;
        }

        public int compareTo(Pair<A, B> o) {
            return first.compareTo(o.first);
        }

        public String toString() {
            return first + "=" + second;
        }
    }

    static <T extends Comparable<T>> T maxOf(T[] items) {
        T best = items[0];
        for (T t : items) {
            if (t.compareTo(best) > 0) best = t;
        }
        return best;
    }

    static <T extends Comparable<? super T>> void insertionSort(T[] a) {
        for (int i = 1; i < a.length; i++) {
            T key = a[i];
            int j = i - 1;
            while (j >= 0 && a[j].compareTo(key) > 0) {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = key;
        }
    }

    // ---- inner (non-static) class using the outer instance
    private int outerValue = 100;
    private String outerName = "outer";

    class Inner {
        int innerValue = 5;

        int sum() {
            return outerValue + innerValue;
        }

        String who() {
            return outerName + "/" + Main.this.outerName.length();
        }

        class Deeper {
            String path() {
                return outerName + ">" + innerValue + ">" + outerValue;
            }
        }

        Deeper deeper() {
            return new Deeper();
        }
    }

    Inner makeInner() {
        outerValue++;
        return new Inner();
    }

    // ---- field hiding, static hiding, private methods
    static class P {
        String name = "P.field";

        static String kind() {
            return "P.static";
        }

        private String secret() {
            return "P.secret";
        }

        String callSecret() {
            return secret();
        }

        String virt() {
            return "P.virt";
        }
    }

    static class C extends P {
        String name = "C.field";

        static String kind() {
            return "C.static";
        }

        String secret() {
            return "C.secret";
        }

        @Override
        String virt() {
            return "C.virt+" + super.virt();
        }

        String both() {
            return name + "|" + super.name + "|" + ((P) this).name;
        }
    }

    // ---- abstract class instantiated anonymously
    abstract static class Op {
        final String sym;

        Op(String sym) {
            this.sym = sym;
        }

        abstract int apply(int a, int b);

        int fold(int... xs) {
            int acc = xs[0];
            for (int i = 1; i < xs.length; i++) acc = apply(acc, xs[i]);
            return acc;
        }
    }

    // ---- chain of interfaces
    interface Animal {
        String sound();

        default String speak() {
            return name() + " says " + sound();
        }

        String name();
    }

    interface Pet extends Animal {
        default String speak() {
            return "pet " + Animal.super.speak();
        }
    }

    static class Dog implements Pet {
        public String sound() {
            return "woof";
        }

        public String name() {
            return "dog";
        }
    }

    static class Puppy extends Dog {
        @Override
        public String sound() {
            return "yip";
        }

        @Override
        public String speak() {
            return super.speak() + " (small)";
        }
    }

    static class Cat implements Animal {
        public String sound() {
            return "meow";
        }

        public String name() {
            return "cat";
        }
    }

    static String join(Object[] xs) {
        StringBuilder sb = new StringBuilder();
        for (Object x : xs) {
            if (sb.length() > 0) sb.append(',');
            sb.append(x);
        }
        return sb.toString();
    }

    public static void main(String[] args) {
        System.out.println("== init order");
        System.out.println("Derived.CONSTANT = " + Derived.CONSTANT + " (no init yet)");
        Derived[] none = new Derived[3];
        System.out.println("array of Derived created, length " + none.length + " (no init yet)");
        System.out.println("creating first Derived");
        Derived d1 = new Derived();
        System.out.println("creating second Derived");
        Derived d2 = new Derived(2);
        System.out.println("d1.value=" + d1.value + " d2.text=" + d2.text + " baseField=" + d1.baseField);
        System.out.println("Lazy.next: " + Lazy.next() + " " + Lazy.next());
        System.out.println("Holder.table[7] = " + Holder.table[7]);
        System.out.println("log: " + Log.sb.toString().trim());

        System.out.println("== shapes");
        Shape[] shapes = {new Circle(1), new Rect(2, 3), new Square(2.5), new Circle(0.5), new Rect(1, 1),
            new Square(1)};
        double total = 0;
        for (Shape s : shapes) {
            System.out.println(s + " describe: " + s.describe() + " shout: " + Named.shout(s));
            total += s.area();
        }
        System.out.println(String.format("total area %.4f, created %d", total, Shape.created));
        insertionSort(shapes);
        StringBuilder order = new StringBuilder();
        for (Shape s : shapes) order.append(s.name()).append(' ');
        System.out.println("sorted by area: " + order.toString().trim());
        System.out.println("largest: " + maxOf(shapes).name());
        Shape big = ((Scalable) shapes[0]).scaled(10);
        System.out.println("scaled: " + big);
        System.out.println("square superName: " + ((Square) shapes[5]).superName());
        System.out.println("rect equals: " + new Rect(2, 3).equals(new Rect(2, 3)) + " " + new Rect(2, 3).equals(new Rect(3, 2))
            + " " + new Rect(2, 2).equals(new Square(2)) + " " + new Square(2).equals(new Rect(2, 2))
            + " hash " + new Rect(2, 3).hashCode());

        System.out.println("== instanceof / checkcast");
        Object[] things = {new Circle(2), new Square(3), "str", 42, new Point(1, 2), new Point3(1, 2, 3),
            new int[] {1}, new String[] {"a"}, null, new Dog(), 'c', 2.5};
        for (Object o : things) {
            StringBuilder sb = new StringBuilder();
            sb.append(o instanceof Shape ? "Shape " : "");
            sb.append(o instanceof Rect ? "Rect " : "");
            sb.append(o instanceof Square ? "Square " : "");
            sb.append(o instanceof Scalable ? "Scalable " : "");
            sb.append(o instanceof Comparable ? "Comparable " : "");
            sb.append(o instanceof Named ? "Named " : "");
            sb.append(o instanceof String ? "String " : "");
            sb.append(o instanceof Integer ? "Integer " : "");
            sb.append(o instanceof Point ? "Point " : "");
            sb.append(o instanceof Point3 ? "Point3 " : "");
            sb.append(o instanceof int[] ? "int[] " : "");
            sb.append(o instanceof Object[] ? "Object[] " : "");
            sb.append(o instanceof String[] ? "String[] " : "");
            sb.append(o instanceof Animal ? "Animal " : "");
            sb.append(o instanceof Pet ? "Pet " : "");
            sb.append(o instanceof Character ? "Character " : "");
            sb.append(o instanceof Double ? "Double " : "");
            sb.append(o instanceof Object ? "Object" : "null");
            System.out.println(sb.toString().trim());
        }
        int casts = 0, failures = 0;
        for (Object o : things) {
            try {
                Shape s = (Shape) o;
                casts++;
                if (s != null) s.area();
            } catch (ClassCastException e) {
                failures++;
            }
        }
        System.out.println("casts to Shape ok " + casts + ", ClassCastException " + failures);
        Object arr = new String[] {"x", "y"};
        Object[] oa = (Object[]) arr;
        System.out.println("String[] as Object[]: " + oa.length + " " + oa[1]);

        System.out.println("== equals / hashCode / toString");
        Point p1 = new Point(3, 4), p2 = new Point(3, 4), p3 = new Point(4, 3);
        Point3 q1 = new Point3(3, 4, 5), q2 = new Point3(3, 4, 5);
        System.out.println(p1 + " " + p2 + " " + p3 + " " + q1);
        System.out.println("p1.equals(p2) " + p1.equals(p2) + ", p1 == p2 " + (p1 == p2) + ", p1.equals(p3) " + p1.equals(p3)
            + ", p1.equals(q1) " + p1.equals(q1) + ", q1.equals(p1) " + q1.equals(p1) + ", q1.equals(q2) " + q1.equals(q2)
            + ", p1.equals(null) " + p1.equals(null) + ", p1.equals(\"x\") " + p1.equals("x"));
        System.out.println("hashes " + p1.hashCode() + " " + p2.hashCode() + " " + p3.hashCode() + " " + q1.hashCode());
        Object op = p1;
        System.out.println("via Object: " + op.toString() + " " + op.hashCode() + " " + op.equals(p2));
        Object plain1 = new Object(), plain2 = new Object();
        System.out.println("plain objects: equals self " + plain1.equals(plain1) + ", equals other " + plain1.equals(plain2)
            + ", hash stable " + (plain1.hashCode() == plain1.hashCode()));

        System.out.println("== nested / inner / anonymous / local");
        Counter c1 = new Counter(), c2 = new Counter();
        c1.inc().inc().inc();
        c2.inc();
        System.out.println("counters " + c1.get() + " " + c2.get() + " instances " + Counter.instances);
        Main outer = new Main();
        Inner in1 = outer.makeInner();
        Inner in2 = outer.makeInner();
        in2.innerValue = 50;
        System.out.println("inner sums " + in1.sum() + " " + in2.sum() + " who " + in1.who() + " deeper " + in2.deeper().path());
        outer.outerName = "renamed";
        System.out.println("after rename: " + in1.who() + " " + in1.deeper().path());
        Op add = new Op("+") {
            int apply(int a, int b) {
                return a + b;
            }
        };
        Op mul = new Op("*") {
            int apply(int a, int b) {
                return a * b;
            }

            @Override
            public String toString() {
                return "Op(" + sym + ")";
            }
        };
        final int base = 1000;
        int[] captured = {0};
        Op weird = new Op("~") {
            int calls;

            int apply(int a, int b) {
                calls++;
                captured[0] += calls;
                return (a * 31 + b) % base;
            }
        };
        System.out.println("fold + " + add.fold(1, 2, 3, 4, 5) + ", fold * " + mul.fold(1, 2, 3, 4, 5) + " " + mul
            + ", fold ~ " + weird.fold(7, 8, 9, 10, 11, 12) + " captured " + captured[0] + ", single " + add.fold(42));
        class LocalAcc implements Runnable {
            int runs;
            final String tag;

            LocalAcc(String tag) {
                this.tag = tag;
            }

            public void run() {
                runs += base;
            }

            @Override
            public String toString() {
                return tag + ":" + runs;
            }
        }
        LocalAcc la = new LocalAcc("local");
        Runnable[] tasks = {la, la, new Runnable() {
            public void run() {
                System.out.println("  anonymous runnable ran, la = " + la);
            }
        }, la};
        for (Runnable r : tasks) r.run();
        System.out.println("after tasks " + la);

        System.out.println("== hiding / private / super");
        C c = new C();
        P asP = c;
        System.out.println(c.name + " " + asP.name + " " + c.both());
        System.out.println(P.kind() + " " + C.kind());
        System.out.println("callSecret via C: " + c.callSecret() + ", C.secret: " + c.secret());
        System.out.println("virt: " + asP.virt());

        System.out.println("== interfaces");
        Animal[] zoo = {new Dog(), new Cat(), new Puppy()};
        for (Animal a : zoo) System.out.println(a.speak());

        System.out.println("== generics");
        Box<String> bs = new Box<>("hello");
        Box<Integer> bl = bs.map(new Function<String, Integer>() {
            public Integer apply(String s) {
                return s.length();
            }
        });
        Box<String> back = bl.map(new Function<Integer, String>() {
            public String apply(Integer n) {
                return "#".repeat(n);
            }
        });
        bs.set(bs.get() + " world");
        System.out.println(bs + " " + bl + " " + back + " " + (bl.get() + 1));
        Box<Box<Point>> nested = new Box<>(new Box<>(new Point(9, 9)));
        System.out.println("nested " + nested + " inner x " + nested.get().get().x);
        @SuppressWarnings("unchecked")
        Pair<String, Integer>[] pairs = new Pair[] {new Pair<>("pear", 3), new Pair<>("apple", 7), new Pair<>("fig", 1),
            new Pair<>("banana", 2)};
        insertionSort(pairs);
        StringBuilder ps = new StringBuilder();
        for (Pair<String, Integer> p : pairs) ps.append(p).append(' ');
        System.out.println("pairs sorted " + ps.toString().trim() + ", max " + maxOf(pairs));
        Integer[] ints = {5, -3, 12, 0, 7, 12, -8};
        insertionSort(ints);
        StringBuilder is = new StringBuilder();
        for (Integer i : ints) is.append(i).append(' ');
        System.out.println("ints sorted " + is.toString().trim() + ", max " + maxOf(ints));
        String[] strs = {"delta", "alpha", "charlie", "bravo", "Echo"};
        insertionSort(strs);
        System.out.println("strings sorted " + join(strs) + ", max " + maxOf(strs));

        System.out.println("== many objects");
        long sum = 0;
        Shape keep = null;
        for (int i = 0; i < 20000; i++) {
            Shape s;
            switch (i % 3) {
                case 0:
                    s = new Circle(i % 7);
                    break;
                case 1:
                    s = new Rect(i % 5, i % 11);
                    break;
                default:
                    s = new Square(i % 13);
            }
            sum += (long) s.area();
            if (i % 1000 == 0) keep = s;
        }
        System.out.println("area sum " + sum + ", last kept " + keep + ", created " + Shape.created);
    }
}
