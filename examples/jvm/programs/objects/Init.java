// Classes whose static and instance initialisation order is observable.
class Log {
    static StringBuilder sb = new StringBuilder();

    static int note(String s) {
        sb.append(s).append(' ');
        System.out.println("  init: " + s);
        return s.length();
    }
}

class Base {
    static int baseStatic = Log.note("Base.static-field");

    static {
        Log.note("Base.static-block");
    }

    int baseField = Log.note("Base.instance-field");

    {
        Log.note("Base.instance-block");
    }

    Base() {
        Log.note("Base.ctor");
        hook();
    }

    void hook() {
        Log.note("Base.hook");
    }
}

class Derived extends Base {
    static final int CONSTANT = 99;           // compile-time constant: no init needed
    static int derivedStatic = Log.note("Derived.static-field");

    static {
        Log.note("Derived.static-block");
    }

    int value = 7;
    String text = "set";

    {
        Log.note("Derived.instance-block value=" + value);
    }

    Derived() {
        this(1);
        Log.note("Derived.ctor()");
    }

    Derived(int x) {
        super();
        Log.note("Derived.ctor(int) x=" + x);
    }

    @Override
    void hook() {
        // runs from Base's constructor before Derived's fields are initialised
        Log.note("Derived.hook value=" + value + " text=" + text);
    }
}

class Lazy {
    static {
        Log.note("Lazy.static-block");
    }

    static int counter = 0;

    static int next() {
        return ++counter;
    }
}

class Holder {
    static int[] table = build();

    static int[] build() {
        Log.note("Holder.build");
        int[] t = new int[10];
        for (int i = 0; i < t.length; i++) t[i] = i * i;
        return t;
    }
}
