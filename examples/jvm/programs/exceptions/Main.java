// try/catch/finally semantics, custom exceptions, VM-raised exceptions.
public class Main {
    static StringBuilder trace = new StringBuilder();

    static class ParseError extends Exception {
        final int position;

        ParseError(String msg, int position) {
            super(msg + " at " + position);
            this.position = position;
        }
    }

    static class QuietException extends RuntimeException {
        QuietException() {
            super();
        }
    }

    public static void main(String[] args) {
        finallyOrder();
        finallyOverrides();
        customExceptions();
        vmExceptions();
        throughFrames();
        numberFormat();
        libraryExceptions();
        loops();
        manyThrows();
        System.out.println("done");
    }

    static void finallyOrder() {
        System.out.println("== finally order");
        for (int mode = 0; mode < 4; mode++) {
            trace.setLength(0);
            try {
                trace.append("try ");
                step(mode);
                trace.append("after-step ");
            } catch (IllegalStateException e) {
                trace.append("catch-ISE(").append(e.getMessage()).append(") ");
            } catch (RuntimeException e) {
                trace.append("catch-RE(").append(e.getMessage()).append(") ");
            } finally {
                trace.append("finally");
            }
            System.out.println("mode " + mode + ": " + trace);
        }
        // nested try with rethrow
        trace.setLength(0);
        try {
            try {
                trace.append("inner-try ");
                throw new IllegalArgumentException("inner");
            } catch (IllegalArgumentException e) {
                trace.append("inner-catch ");
                throw new IllegalStateException("rethrown from " + e.getMessage(), e);
            } finally {
                trace.append("inner-finally ");
            }
        } catch (IllegalStateException e) {
            trace.append("outer-catch(").append(e.getMessage()).append(", cause ").append(e.getCause().getMessage()).append(") ");
        } finally {
            trace.append("outer-finally");
        }
        System.out.println(trace);
        // multi-catch
        for (int i = 0; i < 3; i++) {
            try {
                if (i == 0) throw new UnsupportedOperationException("unsupported");
                if (i == 1) throw new ValidationException("invalid");
                System.out.println("multi-catch: nothing thrown");
            } catch (UnsupportedOperationException | ValidationException e) {
                System.out.println("multi-catch: " + e.getMessage() + " / " + e);
            }
        }
    }

    static void step(int mode) {
        switch (mode) {
            case 1 -> throw new IllegalStateException("state");
            case 2 -> throw new IllegalArgumentException("arg");
            case 3 -> {
                try {
                    throw new IllegalStateException("inside");
                } finally {
                    trace.append("step-finally ");
                }
            }
            default -> trace.append("no-throw ");
        }
    }

    @SuppressWarnings("finally")
    static int returnInFinally() {
        try {
            return 1;
        } finally {
            return 2;
        }
    }

    @SuppressWarnings("finally")
    static String finallySwallows() {
        try {
            throw new RuntimeException("lost");
        } finally {
            return "swallowed";
        }
    }

    static int finallyDoesNotChangeReturnedValue() {
        int x = 10;
        try {
            return x;
        } finally {
            x = 20;
            trace.append("x set to ").append(x);
        }
    }

    static String finallyReplacesException() {
        try {
            try {
                throw new IllegalStateException("first");
            } finally {
                throw new IllegalArgumentException("second");
            }
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    static int breakInFinally() {
        int n = 0;
        while (true) {
            try {
                n++;
                if (n == 3) throw new RuntimeException("escape?");
            } finally {
                if (n >= 3) break;
            }
        }
        return n;
    }

    static int continueInFinally() {
        int sum = 0;
        for (int i = 0; i < 5; i++) {
            try {
                if (i % 2 == 0) throw new RuntimeException("skip");
                sum += i * 10;
            } catch (RuntimeException e) {
                sum += 1;
                continue;
            } finally {
                sum += 100;
            }
            sum += 1000;
        }
        return sum;
    }

    static void finallyOverrides() {
        System.out.println("== finally overrides");
        System.out.println("returnInFinally " + returnInFinally());
        System.out.println("finallySwallows " + finallySwallows());
        trace.setLength(0);
        System.out.println("finallyDoesNotChangeReturnedValue " + finallyDoesNotChangeReturnedValue() + " (" + trace + ")");
        System.out.println("finallyReplacesException " + finallyReplacesException());
        System.out.println("breakInFinally " + breakInFinally());
        System.out.println("continueInFinally " + continueInFinally());
    }

    static int parseDigits(String s) throws ParseError {
        int v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isDigit(c)) throw new ParseError("bad digit '" + c + "'", i);
            v = v * 10 + (c - '0');
        }
        return v;
    }

    static int loadConfig(String value) throws AppException {
        try {
            return parseDigits(value);
        } catch (ParseError e) {
            throw new AppException("config value rejected", 42, e);
        }
    }

    static void customExceptions() {
        System.out.println("== custom exceptions");
        String[] inputs = {"123", "12x4", "", "9z"};
        for (String in : inputs) {
            try {
                System.out.println("loaded " + loadConfig(in));
            } catch (AppException e) {
                Throwable cause = e.getCause();
                System.out.println("AppException code " + e.code() + ": " + e.getMessage() + "; cause: " + cause);
                if (cause instanceof ParseError pe) {
                    System.out.println("  parse error position " + pe.position);
                }
                System.out.println("  toString: " + e);
            }
        }
        Throwable chain = new RuntimeException("top", new Exception("middle", new Error("bottom")));
        int depth = 0;
        for (Throwable t = chain; t != null; t = t.getCause()) {
            System.out.println("  chain[" + depth++ + "] " + t);
        }
        Exception noMsg = new Exception();
        System.out.println("no message: " + noMsg + " getMessage " + noMsg.getMessage() + " cause " + noMsg.getCause());
        System.out.println("quiet: " + new QuietException());
        System.out.println("throwable: " + new Throwable("t") + ", error: " + new Error("e") + ", fatal: " + new FatalError("f"));
        try {
            throw new FatalError("catch me");
        } catch (Exception e) {
            System.out.println("wrong: Error caught as Exception");
        } catch (Throwable t) {
            System.out.println("caught Error as Throwable: " + t.getMessage());
        }
        try {
            throw new ValidationException("unchecked");
        } catch (ValidationException e) {
            System.out.println("ValidationException instanceof RuntimeException " + (e instanceof RuntimeException));
        }
    }

    static Object nullObject() {
        return null;
    }

    static int[] nullArray() {
        return null;
    }

    static class Holder {
        int field;
        Holder next;
    }

    static void vmExceptions() {
        System.out.println("== VM-raised exceptions");
        int caught = 0;
        // NullPointerException in many forms
        for (int kind = 0; kind < 9; kind++) {
            try {
                switch (kind) {
                    case 0: nullObject().toString(); break;
                    case 1: { Holder h = new Holder(); h.next.field = 1; break; }
                    case 2: { Holder h = new Holder(); int x = h.next.field; break; }
                    case 3: { int[] a = nullArray(); a[0] = 1; break; }
                    case 4: { int[] a = nullArray(); int l = a.length; break; }
                    case 5: { Integer boxed = (Integer) nullObject(); int v = boxed; break; }
                    case 6: { RuntimeException e = (RuntimeException) nullObject(); throw e; }
                    case 7: { String s = (String) nullObject(); s.length(); break; }
                    case 8: { Object[] a = (Object[]) nullObject(); Object x = a[1]; break; }
                }
                System.out.println("NPE kind " + kind + ": not thrown?!");
            } catch (NullPointerException e) {
                caught++;
                System.out.println("NPE kind " + kind + " caught, is RuntimeException " + (e instanceof RuntimeException));
            }
        }
        // ArrayIndexOutOfBoundsException on every array type
        Object[] arrays = {new int[3], new long[3], new byte[3], new char[3], new short[3], new float[3], new double[3],
            new boolean[3], new String[3], new int[0][0]};
        int[] indices = {-1, 3, Integer.MIN_VALUE, 1000};
        int aioobe = 0;
        for (Object arr : arrays) {
            for (int idx : indices) {
                try {
                    touch(arr, idx);
                } catch (ArrayIndexOutOfBoundsException e) {
                    aioobe++;
                }
            }
            if (!(arr instanceof int[][])) touch(arr, 2);
        }
        System.out.println("AIOOBE caught " + aioobe + " of " + arrays.length * indices.length);
        try {
            int[] a = new int[2];
            a[2] = 1;
        } catch (IndexOutOfBoundsException e) {
            System.out.println("AIOOBE caught as IndexOutOfBoundsException: " + (e instanceof ArrayIndexOutOfBoundsException));
        }
        // ArithmeticException
        int zero = caught - caught;
        long lzero = zero;
        try {
            System.out.println(10 / zero);
        } catch (ArithmeticException e) {
            System.out.println("int / 0: " + e.getMessage());
        }
        try {
            System.out.println(10 % zero);
        } catch (ArithmeticException e) {
            System.out.println("int % 0: " + e.getMessage());
        }
        try {
            System.out.println(10L / lzero);
        } catch (ArithmeticException e) {
            System.out.println("long / 0: " + e.getMessage());
        }
        try {
            System.out.println(10L % lzero);
        } catch (ArithmeticException e) {
            System.out.println("long % 0: " + e.getMessage());
        }
        try {
            System.out.println(Math.floorMod(7, zero));
        } catch (ArithmeticException e) {
            System.out.println("floorMod 0: " + e.getMessage());
        }
        System.out.println("double / 0: " + (10.0 / zero) + ", double % 0: " + (10.0 % zero));
        // ClassCastException
        Object[] objs = {"string", 12, new Holder(), new int[1], 'c'};
        for (Object o : objs) {
            try {
                String s = (String) o;
                System.out.println("cast ok: " + s);
            } catch (ClassCastException e) {
                System.out.println("ClassCastException for a non-String");
            }
        }
        try {
            Object o = new String[1];
            Integer[] bad = (Integer[]) o;
            System.out.println("bad array cast succeeded?! " + bad.length);
        } catch (ClassCastException e) {
            System.out.println("ClassCastException for String[] -> Integer[]");
        }
        try {
            Object o = new Holder();
            Runnable r = (Runnable) o;
            r.run();
        } catch (ClassCastException e) {
            System.out.println("ClassCastException for Holder -> Runnable");
        }
        // NegativeArraySizeException
        int[] sizes = {-1, Integer.MIN_VALUE, 0, 5};
        for (int n : sizes) {
            try {
                int[] a = new int[n];
                Object[][] m = new Object[2][n];
                System.out.println("allocated length " + a.length + " and " + m[1].length);
            } catch (NegativeArraySizeException e) {
                System.out.println("NegativeArraySizeException for " + n);
            }
        }
        try {
            long[][][] cube = new long[3][-2][4];
            System.out.println("?! " + cube.length);
        } catch (NegativeArraySizeException e) {
            System.out.println("NegativeArraySizeException for multianewarray");
        }
        System.out.println("NPE total " + caught);
    }

    static void touch(Object arr, int i) {
        if (arr instanceof int[] a) a[i] = a[i] + 1;
        else if (arr instanceof long[] a) a[i]++;
        else if (arr instanceof byte[] a) a[i]++;
        else if (arr instanceof char[] a) a[i]++;
        else if (arr instanceof short[] a) a[i]++;
        else if (arr instanceof float[] a) a[i]++;
        else if (arr instanceof double[] a) a[i]++;
        else if (arr instanceof boolean[] a) a[i] = !a[i];
        else if (arr instanceof String[] a) a[i] = "s" + i;
        else if (arr instanceof int[][] a) {
            int[] row = a[i];
        }
    }

    static int depthCounter;

    static int level(int n) throws AppException {
        depthCounter++;
        try {
            if (n == 0) throw new AppException("bottom reached", n);
            return level(n - 1) + 1;
        } finally {
            trace.append(n).append(' ');
        }
    }

    static int recurseAndCatchHalfway(int n) {
        if (n == 0) throw new ValidationException("deep");
        if (n == 50) {
            try {
                return recurseAndCatchHalfway(n - 1);
            } catch (ValidationException e) {
                return -1000;
            }
        }
        return recurseAndCatchHalfway(n - 1) + 1;
    }

    static void throughFrames() {
        System.out.println("== through frames");
        trace.setLength(0);
        try {
            level(10);
        } catch (AppException e) {
            System.out.println("caught after unwinding " + depthCounter + " frames, code " + e.code() + ": " + e.getMessage());
        }
        System.out.println("finally order: " + trace.toString().trim());
        System.out.println("recurseAndCatchHalfway(200) = " + recurseAndCatchHalfway(200));
        try {
            new Thrower().go(5);
        } catch (IllegalStateException e) {
            System.out.println("constructor chain threw: " + e.getMessage());
        }
    }

    static class Thrower {
        int built;

        void go(int n) {
            if (n == 0) {
                new Exploding(built);
            }
            built++;
            go(n - 1);
        }
    }

    static class Exploding {
        Exploding(int x) {
            if (x > 3) throw new IllegalStateException("explode in constructor with " + x);
        }
    }

    static void numberFormat() {
        System.out.println("== NumberFormatException");
        String[] inputs = {"42", "-17", "abc", "", "12a", "2147483648", "-2147483649", "+", "-", " 5", "0x10", "99999999999"};
        for (String s : inputs) {
            try {
                System.out.println("parseInt(\"" + s + "\") = " + Integer.parseInt(s));
            } catch (NumberFormatException e) {
                System.out.println("NumberFormatException: " + e.getMessage());
            }
        }
        String[] hex = {"ff", "FF", "-80", "g1", "7fffffff", "80000000"};
        for (String s : hex) {
            try {
                System.out.println("parseInt(\"" + s + "\", 16) = " + Integer.parseInt(s, 16));
            } catch (NumberFormatException e) {
                System.out.println("NumberFormatException: " + e.getMessage());
            }
        }
        String[] longs = {"9223372036854775807", "9223372036854775808", "-5", "1L"};
        for (String s : longs) {
            try {
                System.out.println("parseLong(\"" + s + "\") = " + Long.parseLong(s));
            } catch (NumberFormatException e) {
                System.out.println("NumberFormatException: " + e.getMessage());
            }
        }
        try {
            Double.parseDouble("not a number");
        } catch (NumberFormatException e) {
            System.out.println("parseDouble failed: is IllegalArgumentException " + (e instanceof IllegalArgumentException));
        }
    }

    static void libraryExceptions() {
        System.out.println("== library exceptions");
        String s = "abc";
        int[] idx = {-1, 3, 10, 1};
        for (int i : idx) {
            try {
                System.out.println("charAt(" + i + ") = " + s.charAt(i));
            } catch (StringIndexOutOfBoundsException e) {
                System.out.println("charAt(" + i + "): StringIndexOutOfBoundsException");
            }
        }
        try {
            System.out.println(s.substring(2, 1));
        } catch (IndexOutOfBoundsException e) {
            System.out.println("substring(2,1): IndexOutOfBoundsException, SIOOBE " + (e instanceof StringIndexOutOfBoundsException));
        }
        try {
            System.out.println(s.substring(5));
        } catch (StringIndexOutOfBoundsException e) {
            System.out.println("substring(5): StringIndexOutOfBoundsException");
        }
        try {
            new StringBuilder("xy").charAt(7);
        } catch (IndexOutOfBoundsException e) {
            System.out.println("StringBuilder.charAt(7): IndexOutOfBoundsException");
        }
        try {
            throw new IndexOutOfBoundsException("custom index message");
        } catch (IndexOutOfBoundsException e) {
            System.out.println(e);
        }
        try {
            throw new IllegalStateException("state message", new IllegalArgumentException("root"));
        } catch (IllegalStateException e) {
            System.out.println(e + " caused by " + e.getCause());
        }
        try {
            throw new UnsupportedOperationException();
        } catch (RuntimeException e) {
            System.out.println(e + " message " + e.getMessage());
        }
        try {
            throw new NumberFormatException("manual");
        } catch (IllegalArgumentException e) {
            System.out.println(e);
        }
    }

    static void loops() {
        System.out.println("== exceptions as control flow");
        int[] data = {5, 0, 3, 0, 7, 1};
        int sum = 0, errors = 0;
        for (int i = 0; i <= data.length; i++) {
            try {
                sum += 100 / data[i];
            } catch (ArithmeticException e) {
                errors++;
            } catch (ArrayIndexOutOfBoundsException e) {
                errors += 100;
            }
        }
        System.out.println("sum " + sum + " errors " + errors);
        outer:
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 5; j++) {
                try {
                    if (i * j == 6) throw new ValidationException(i + "*" + j);
                } catch (ValidationException e) {
                    System.out.println("found " + e.getMessage() + ", leaving both loops");
                    break outer;
                } finally {
                    if (j == 4) System.out.println("row " + i + " finished");
                }
            }
        }
    }

    static void manyThrows() {
        System.out.println("== many throws");
        int caught = 0;
        long sum = 0;
        for (int i = 0; i < 20000; i++) {
            try {
                if (i % 3 == 0) throw new AppException("e" + i, i);
                if (i % 3 == 1) throw new ValidationException("v" + i);
                int[] a = new int[i % 5];
                a[i % 7] = 1;
            } catch (AppException e) {
                caught++;
                sum += e.code() + e.getMessage().length();
            } catch (ValidationException e) {
                caught++;
                sum += e.getMessage().length();
            } catch (ArrayIndexOutOfBoundsException e) {
                caught++;
                sum += 1;
            }
        }
        System.out.println("caught " + caught + " checksum " + sum);
    }
}
