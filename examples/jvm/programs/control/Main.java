// Control flow: switches of every allowed kind, labeled break/continue,
// loops, varargs, ternaries, short-circuit evaluation, evaluation order,
// and System.exit from inside a try with a finally that must not run.
public class Main {
    static StringBuilder log = new StringBuilder();

    static boolean t(String s) {
        log.append(s);
        return true;
    }

    static boolean f(String s) {
        log.append(s);
        return false;
    }

    static int v(int x) {
        log.append(x);
        return x;
    }

    public static void main(String[] args) {
        intSwitches();
        charSwitches();
        stringSwitches();
        labeled();
        loops();
        varargsDemo();
        ternaries();
        evaluationOrder();
        System.out.println("exiting with status 0 from inside try");
        try {
            System.exit(0);
        } finally {
            System.out.println("finally after System.exit must not print");
        }
    }

    static String classic(int x) {
        String r = "";
        switch (x) {
            case 1:
                r += "one ";
            case 2:
                r += "two-or-fallthrough ";
                break;
            case 3:
            case 4:
                r += "three-or-four ";
                break;
            case 100:
                r += "hundred ";
                break;
            case -5:
                r += "minus-five ";
                break;
            case Integer.MAX_VALUE:
                r += "max ";
                break;
            default:
                r += "default ";
            case 7:
                r += "seven-or-after-default ";
        }
        return r.trim();
    }

    static int dense(int x) {
        // contiguous cases: tableswitch
        switch (x) {
            case 0: return 10;
            case 1: return 11;
            case 2: return 12;
            case 3: return 13;
            case 4: return 14;
            case 5: return 15;
            case 6: return 16;
            default: return -1;
        }
    }

    static void intSwitches() {
        System.out.println("== int switches");
        int[] xs = {1, 2, 3, 4, 5, 7, 100, -5, Integer.MAX_VALUE, Integer.MIN_VALUE};
        for (int x : xs) System.out.println(x + ": " + classic(x));
        StringBuilder sb = new StringBuilder();
        for (int x = -2; x < 9; x++) sb.append(dense(x)).append(' ');
        System.out.println("dense " + sb.toString().trim());
        for (int x = 0; x < 6; x++) {
            String kind = switch (x % 4) {
                case 0 -> "zero";
                case 1, 3 -> "odd";
                default -> {
                    String s = "two";
                    yield s + "!";
                }
            };
            int sq = switch (x) {
                case 0:
                    yield 0;
                case 1:
                    yield 1;
                default:
                    int r = x * x;
                    yield r;
            };
            System.out.println(x + " -> " + kind + " " + sq);
        }
        long big = 1L << 33;
        switch ((int) (big >>> 32)) {
            case 2 -> System.out.println("long narrowed to 2");
            default -> System.out.println("unexpected");
        }
        byte b = -3;
        switch (b) {
            case -3 -> System.out.println("byte -3");
            default -> System.out.println("byte other");
        }
        short sh = 1000;
        Integer boxed = 7;
        switch (boxed) {
            case 7 -> System.out.println("boxed 7 (short " + sh + ")");
            default -> System.out.println("boxed other");
        }
    }

    static void charSwitches() {
        System.out.println("== char switches");
        String text = "Hello, World! 42 times?";
        int vowels = 0, consonants = 0, digits = 0, spaces = 0, punct = 0;
        for (char c : text.toCharArray()) {
            switch (Character.toLowerCase(c)) {
                case 'a', 'e', 'i', 'o', 'u' -> vowels++;
                case ' ' -> spaces++;
                case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> digits++;
                case ',', '!', '?', '.' -> punct++;
                default -> consonants++;
            }
        }
        System.out.println("vowels " + vowels + " consonants " + consonants + " digits " + digits + " spaces " + spaces
            + " punct " + punct);
        StringBuilder morse = new StringBuilder();
        for (char c : "SOS HELP".toCharArray()) {
            switch (c) {
                case 'S':
                    morse.append("...");
                    break;
                case 'O':
                    morse.append("---");
                    break;
                case 'H':
                    morse.append("....");
                    break;
                case 'E':
                    morse.append(".");
                    break;
                case 'L':
                    morse.append(".-..");
                    break;
                case 'P':
                    morse.append(".--.");
                    break;
                case ' ':
                    morse.append("/");
                    break;
                default:
                    morse.append("?");
            }
            morse.append(' ');
        }
        System.out.println(morse.toString().trim());
    }

    static int eval(String expr) {
        // tiny RPN calculator using a string switch
        int[] stack = new int[16];
        int sp = 0;
        int i = 0;
        while (i < expr.length()) {
            int j = expr.indexOf(' ', i);
            if (j < 0) j = expr.length();
            String tok = expr.substring(i, j);
            i = j + 1;
            switch (tok) {
                case "+" -> { sp--; stack[sp - 1] += stack[sp]; }
                case "-" -> { sp--; stack[sp - 1] -= stack[sp]; }
                case "*" -> { sp--; stack[sp - 1] *= stack[sp]; }
                case "/" -> { sp--; stack[sp - 1] /= stack[sp]; }
                case "dup" -> { stack[sp] = stack[sp - 1]; sp++; }
                case "swap" -> { int t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; }
                case "neg" -> stack[sp - 1] = -stack[sp - 1];
                default -> stack[sp++] = Integer.parseInt(tok);
            }
        }
        return stack[sp - 1];
    }

    static void stringSwitches() {
        System.out.println("== string switches");
        String[] programs = {"1 2 +", "3 4 * 5 -", "2 dup * dup *", "7 2 swap /", "10 neg 3 /", "6 7 * 2 - 4 /"};
        for (String p : programs) System.out.println(p + " = " + eval(p));
        String[] days = {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN", "mon", "FUNDAY"};
        StringBuilder sb = new StringBuilder();
        for (String d : days) {
            int hours;
            switch (d) {
                case "SAT":
                case "SUN":
                    hours = 0;
                    break;
                case "FRI":
                    hours = 6;
                    break;
                case "MON": case "TUE": case "WED": case "THU":
                    hours = 8;
                    break;
                default:
                    hours = -1;
            }
            sb.append(d).append('=').append(hours).append(' ');
        }
        System.out.println(sb.toString().trim());
    }

    static void labeled() {
        System.out.println("== labeled break/continue");
        int found = -1;
        search:
        for (int i = 2; i < 100; i++) {
            for (int j = 2; j < i; j++) {
                if (i % j == 0) continue search;
            }
            if (i > 50) {
                found = i;
                break search;
            }
        }
        System.out.println("first prime above 50: " + found);
        StringBuilder sb = new StringBuilder();
        outer:
        for (int i = 0; i < 5; i++) {
            inner:
            for (int j = 0; j < 5; j++) {
                if (j > i) continue outer;
                if (i == 4 && j == 2) break outer;
                if ((i + j) % 3 == 0) continue inner;
                sb.append(i).append(j).append(' ');
            }
        }
        System.out.println("pairs " + sb.toString().trim());
        int count = 0;
        block:
        {
            for (int i = 0; i < 10; i++) {
                count += i;
                if (count > 20) break block;
            }
            count = -1;   // skipped by the labeled break
        }
        System.out.println("block count " + count);
        int w = 0;
        loop:
        while (true) {
            do {
                w++;
                if (w % 7 == 0) continue loop;
                if (w > 30) break loop;
            } while (w % 5 != 0);
            w += 100 * 0;
        }
        System.out.println("while/do label w = " + w);
    }

    static void loops() {
        System.out.println("== loops");
        int i = 0, sum = 0;
        while (i < 10) sum += i++;
        System.out.println("while sum " + sum);
        do {
            sum -= 7;
        } while (sum > 0);
        System.out.println("do-while " + sum);
        StringBuilder sb = new StringBuilder();
        for (int a = 0, b = 10; a < b; a += 2, b--) sb.append(a).append(':').append(b).append(' ');
        System.out.println("two vars " + sb.toString().trim());
        int k = 0;
        for (;;) {
            if (++k >= 5) break;
        }
        System.out.println("infinite for broke at " + k);
        long fact = 1;
        for (int n = 20; n > 0; n--) fact *= n;
        System.out.println("20! = " + fact);
        int nested = 0;
        for (int a = 0; a < 30; a++)
            for (int b = a; b < 30; b++)
                for (int c = b; c < 30; c++)
                    if (a * a + b * b == c * c && a > 0) nested++;
        System.out.println("pythagorean triples below 30: " + nested);
        char[] cs = {'l', 'o', 'o', 'p'};
        String s = "";
        for (char c : cs) s = c + s;
        System.out.println("reversed by for-each " + s);
        int[][] grid = {{1, 2}, {3, 4, 5}, {}};
        int total = 0;
        for (int[] row : grid) for (int x : row) total += x;
        System.out.println("for-each 2-D total " + total);
    }

    static int sum(int... xs) {
        int s = 0;
        for (int x : xs) s += x;
        return s;
    }

    static String describe(String head, Object... rest) {
        StringBuilder sb = new StringBuilder(head).append('[').append(rest.length).append(']');
        for (Object o : rest) sb.append(' ').append(o);
        return sb.toString();
    }

    static String pick(int x) {
        return "int";
    }

    static String pick(long x) {
        return "long";
    }

    static String pick(int... x) {
        return "varargs";
    }

    static String pick(Object x) {
        return "Object";
    }

    static void varargsDemo() {
        System.out.println("== varargs");
        System.out.println(sum() + " " + sum(1) + " " + sum(1, 2, 3) + " " + sum(new int[] {4, 5, 6, 7}));
        System.out.println(describe("none"));
        System.out.println(describe("mixed", 1, "two", 3.0, 'c', null, true, 5L));
        System.out.println(describe("array", (Object[]) new String[] {"a", "b"}));
        System.out.println(describe("nested", (Object) new String[] {"a", "b"}.length));
        byte b = 1;
        short s = 2;
        char c = 'c';
        System.out.println("overloads: " + pick(1) + " " + pick(b) + " " + pick(s) + " " + pick(c) + " " + pick(1L) + " "
            + pick() + " " + pick(1, 2) + " " + pick("s") + " " + pick(1.5));
    }

    static void ternaries() {
        System.out.println("== ternaries");
        for (int x = -2; x <= 2; x++) {
            String sign = x < 0 ? "negative" : x == 0 ? "zero" : "positive";
            int abs = x < 0 ? -x : x;
            System.out.println(x + " " + sign + " " + abs + " " + (x % 2 == 0 ? 'E' : 'O'));
        }
        boolean flag = true;
        Object o = flag ? "string" : Integer.valueOf(1);
        System.out.println("mixed ternary " + o);
        long l = flag ? 1 : 2L;
        double d = !flag ? 1 : 2.5;
        System.out.println("numeric promotion " + l + " " + d + " " + (flag ? 'x' : 0) + " " + (flag ? 'x' : i0()));
        Integer nullable = null;
        int fallback = nullable != null ? nullable : -1;
        System.out.println("fallback " + fallback);
    }

    static int i0() {
        return 0;
    }

    static void evaluationOrder() {
        System.out.println("== evaluation order");
        log.setLength(0);
        boolean r1 = f("a") && t("b");
        boolean r2 = t("c") || f("d");
        boolean r3 = f("e") & t("f");
        boolean r4 = t("g") | f("h");
        boolean r5 = t("i") ^ t("j");
        System.out.println(r1 + " " + r2 + " " + r3 + " " + r4 + " " + r5 + " log " + log);
        log.setLength(0);
        int x = v(1) + v(2) * v(3) - v(4) / v(2);
        System.out.println("x = " + x + " log " + log);
        log.setLength(0);
        int[] arr = new int[5];
        int idx = 0;
        arr[idx++] = idx + v(10);
        arr[v(idx)] = v(idx++) * 100;
        System.out.println("arr " + arr[0] + " " + arr[1] + " idx " + idx + " log " + log);
        int a = 5;
        a += a++ + ++a;
        System.out.println("a += a++ + ++a -> " + a);
        int b = 1;
        b = b++ + b++;
        System.out.println("b = b++ + b++ -> " + b);
        log.setLength(0);
        String s = "" + v(1) + v(2) + (v(3) + v(4));
        System.out.println("concat " + s + " log " + log);
    }
}
