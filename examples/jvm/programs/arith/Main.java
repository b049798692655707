// Arithmetic edge cases. Operands come from static fields or parameters so
// that javac cannot fold them into constants: the VM has to compute them.
public class Main {
    static int IMAX = Integer.MAX_VALUE;
    static int IMIN = Integer.MIN_VALUE;
    static long LMAX = Long.MAX_VALUE;
    static long LMIN = Long.MIN_VALUE;
    static int MINUS_ONE = -1;
    static double NAN = Double.NaN;
    static double PINF = Double.POSITIVE_INFINITY;
    static double NINF = Double.NEGATIVE_INFINITY;
    static float FNAN = Float.NaN;
    static float FPINF = Float.POSITIVE_INFINITY;

    public static void main(String[] args) {
        ints();
        longs();
        shifts();
        division();
        floats();
        doubles();
        printing();
        conversions();
        chars();
        compound();
        maths();
        boxes();
        loops();
    }

    static void ints() {
        System.out.println("== ints");
        int a = IMAX, b = IMIN, m = MINUS_ONE;
        System.out.println("MAX+1 = " + (a + 1));
        System.out.println("MIN-1 = " + (b - 1));
        System.out.println("MAX*2 = " + (a * 2));
        System.out.println("MAX*MAX = " + (a * a));
        System.out.println("MIN*-1 = " + (b * m));
        System.out.println("-MIN = " + (-b));
        System.out.println("MIN/-1 = " + (b / m));
        System.out.println("MIN%-1 = " + (b % m));
        int x = 46341;
        System.out.println("46341^2 = " + (x * x));
        System.out.println("~0 = " + (~0 + a - a));
        System.out.println("MAX & 0xff00 = " + (a & 0xff00));
        System.out.println("MIN | 5 = " + (b | 5));
        System.out.println("MAX ^ MIN = " + (a ^ b));
        int p = 123456789, q = 987654321;
        System.out.println("p*q = " + (p * q));
        System.out.println("p+q+q+q = " + (p + q + q + q));
        System.out.println("p-q-q-q = " + (p - q - q - q));
        int inc = a;
        inc++;
        System.out.println("MAX++ = " + inc);
        inc--;
        System.out.println("then -- = " + inc);
        System.out.println("Integer.compare(MIN, MAX) = " + Integer.compare(b, a));
        System.out.println("Integer.compare(5, 5) = " + Integer.compare(5, x - 46336));
    }

    static void longs() {
        System.out.println("== longs");
        long a = LMAX, b = LMIN, m = MINUS_ONE;
        System.out.println("LMAX+1 = " + (a + 1));
        System.out.println("LMIN-1 = " + (b - 1));
        System.out.println("LMAX*3 = " + (a * 3));
        System.out.println("LMIN/-1 = " + (b / m));
        System.out.println("LMIN%-1 = " + (b % m));
        System.out.println("-LMIN = " + (-b));
        long big = 3037000500L;
        System.out.println("3037000500^2 = " + (big * big));
        long f = 1;
        for (int i = 1; i <= 25; i++) {
            f *= i;
            if (i >= 19) System.out.println(i + "! mod 2^64 = " + f);
        }
        int i1 = IMAX;
        long widened = i1 + 1;          // int overflow first, then widening
        long widened2 = i1 + 1L;        // long arithmetic
        System.out.println("int MAX+1 widened = " + widened);
        System.out.println("MAX+1L = " + widened2);
        System.out.println("Long.compare = " + Long.compare(a, b) + " " + Long.compare(b, a) + " " + Long.compare(m, m));
        long mixed = 0x123456789abcdefL;
        System.out.println("mixed & 0xffffffffL = " + (mixed & 0xffffffffL));
        System.out.println("mixed ^ -1 = " + (mixed ^ m));
        System.out.println("(int) mixed = " + (int) mixed);
    }

    static void shifts() {
        System.out.println("== shifts");
        int one = 1, m1 = MINUS_ONE;
        int[] counts = {0, 1, 7, 31, 32, 33, 63, 64, -1, -31, 100};
        for (int c : counts) {
            System.out.println("1<<" + c + "=" + (one << c) + " -1>>" + c + "=" + (m1 >> c)
                + " -1>>>" + c + "=" + (m1 >>> c) + " MIN>>" + c + "=" + (IMIN >> c)
                + " MIN>>>" + c + "=" + (IMIN >>> c));
        }
        long lone = one;
        for (int c : counts) {
            System.out.println("1L<<" + c + "=" + (lone << c) + " -1L>>>" + c + "=" + (-lone >>> c)
                + " LMIN>>" + c + "=" + (LMIN >> c) + " LMIN>>>" + c + "=" + (LMIN >>> c));
        }
        long cnt = 40;
        System.out.println("int << long count: " + (one << cnt));
        System.out.println("-16 >>> 2 = " + ((-16 + one - 1) >>> 2));
        System.out.println("-16 >> 2 = " + ((-16 + one - 1) >> 2));
        byte bb = (byte) 0x80;
        System.out.println("(byte)0x80 >>> 4 = " + (bb >>> 4));
        System.out.println("(byte)0x80 >> 4 = " + (bb >> 4));
        System.out.println("((byte)0x80 & 0xff) >>> 4 = " + ((bb & 0xff) >>> 4));
        int rot = 0x12345678;
        int rl = (rot << 8) | (rot >>> 24);
        System.out.println("rotl8 = " + Integer.toHexString(rl));
        System.out.println("toHexString(-1) = " + Integer.toHexString(m1));
        System.out.println("toBinaryString(10) = " + Integer.toBinaryString(10 * one));
        System.out.println("toBinaryString(MIN) = " + Integer.toBinaryString(IMIN));
        System.out.println("toHexString(MIN) = " + Integer.toHexString(IMIN));
    }

    static void division() {
        System.out.println("== division");
        int[] ns = {7, -7, 0, 13, -13, IMAX, IMIN};
        int[] ds = {2, -2, 3, -3, 1, -1, 7};
        for (int n : ns) {
            StringBuilder sb = new StringBuilder();
            for (int d : ds) {
                sb.append(n / d).append(',').append(n % d).append(',')
                  .append(Math.floorDiv(n, d)).append(',').append(Math.floorMod(n, d)).append(' ');
            }
            System.out.println(n + ": " + sb.toString());
        }
        long[] lns = {7L, -7L, LMAX, LMIN, 1000000000000L};
        for (long n : lns) {
            System.out.println(n + " /3=" + (n / 3) + " %3=" + (n % 3) + " /-3=" + (n / -3) + " %-3=" + (n % -3)
                + " floorDiv-3=" + Math.floorDiv(n, -3L) + " floorMod-3=" + Math.floorMod(n, -3L));
        }
        double[] dn = {5.5, -5.5, 1e300, 0.1};
        for (double n : dn) {
            System.out.println(n + " % 2 = " + (n % 2) + ", % -0.3 = " + (n % -0.3));
        }
        float fx = 7.25f;
        System.out.println("7.25f % 2f = " + (fx % 2f));
        System.out.println("1 % 0.0 = " + (1 % 0.0));
        System.out.println("-1.0 / 0 = " + (-1.0 / 0));
    }

    static void floats() {
        System.out.println("== floats");
        float a = 0.1f, b = 0.2f;
        System.out.println("0.1f+0.2f = " + (a + b));
        System.out.println("1f/3 = " + (1f / 3));
        float big = 16777216f;
        System.out.println("16777216f+1 = " + (big + 1));
        System.out.println("16777216f+2 = " + (big + 2));
        System.out.println("(double)0.1f = " + (double) a);
        System.out.println("0.1f == 0.1 : " + (a == 0.1));
        System.out.println("(float)0.1 == 0.1f : " + ((float) 0.1 == a));
        float f = 1.0f;
        for (int i = 0; i < 10; i++) f *= 1.1f;
        System.out.println("1.1f^10 = " + f);
        double d = 1.0;
        for (int i = 0; i < 10; i++) d *= 1.1;
        System.out.println("1.1^10 = " + d);
        float sum = 0f;
        for (int i = 0; i < 1000; i++) sum += 0.001f;
        System.out.println("sum 1000 x 0.001f = " + sum);
        System.out.println("FNAN == FNAN: " + (FNAN == FNAN) + ", FNAN != FNAN: " + (FNAN != FNAN));
        System.out.println("FPINF - FPINF = " + (FPINF - FPINF));
        System.out.println("FPINF * 0 = " + (FPINF * 0));
        System.out.println("Float.MAX*2 = " + (Float.MAX_VALUE * (a * 20)));
        System.out.println("Float.MIN/2 = " + (Float.MIN_VALUE / (a * 20)));
        float nz = -0.0f;
        System.out.println("-0.0f = " + nz + ", 0f == -0f: " + (0f == nz) + ", 1/-0f = " + (1 / nz));
        float[] fs = {1f, 0.5f, 3.14159f, 1e10f, 1.5e-5f, 123456.79f, 1e7f, 9999999f, 0.001f, 0.0001f, 100f, 3.4028235e38f, 1.4e-45f};
        for (float x : fs) System.out.println("float " + x);
    }

    static void doubles() {
        System.out.println("== doubles");
        double a = 0.1, b = 0.2;
        System.out.println("0.1+0.2 = " + (a + b));
        System.out.println("0.1+0.2 == 0.3: " + (a + b == 0.3));
        System.out.println("1.0/3 = " + (1.0 / 3 + a - a));
        System.out.println("2/3.0 = " + (2 / 3.0));
        System.out.println("100.0/3 = " + (100.0 / (a * 30)));
        System.out.println("NaN == NaN: " + (NAN == NAN) + ", NaN < 1: " + (NAN < 1) + ", NaN > 1: " + (NAN > 1));
        System.out.println("!(NaN >= 1): " + !(NAN >= 1));
        System.out.println("inf - inf = " + (PINF - PINF));
        System.out.println("inf + ninf = " + (PINF + NINF));
        System.out.println("inf * -1 = " + (PINF * -1));
        System.out.println("0.0/0.0 = " + (a * 0 / 0.0));
        System.out.println("1e308*10 = " + (1e308 * (a * 100)));
        System.out.println("-1e308*10 = " + (-1e308 * (a * 100)));
        System.out.println("4.9e-324/2 = " + (Double.MIN_VALUE / (a * 20)));
        double nz = -0.0;
        System.out.println("-0.0 = " + nz + ", 0.0 == -0.0: " + (0.0 == nz) + ", 1/-0.0 = " + (1 / nz));
        System.out.println("Double.compare(0.0, -0.0) = " + Double.compare(0.0, nz));
        System.out.println("Double.compare(NaN, inf) = " + Double.compare(NAN, PINF));
        System.out.println("Double.compare(1.5, 2.5) = " + Double.compare(a * 15, a * 25));
        System.out.println("Math.min(0.0, -0.0) = " + Math.min(0.0, nz));
        System.out.println("Math.max(-0.0, 0.0) = " + Math.max(nz, 0.0));
        System.out.println("Math.max(NaN, 1) = " + Math.max(NAN, 1.0));
        System.out.println("-0.0 + 0.0 = " + (nz + 0.0));
        System.out.println("-0.0 * -1 = " + (nz * -1));
        double s = 0;
        for (int i = 1; i <= 100; i++) s += 1.0 / i;
        System.out.println("H(100) = " + s);
        double p = 1;
        for (int i = 0; i < 60; i++) p /= 3;
        System.out.println("3^-60 = " + p);
    }

    static void printing() {
        System.out.println("== printing");
        double[] ds = {0.0, 1.0, -1.0, 10.0, 100.0, 1000000.0, 9999999.0, 1.0e7, 1.2345678e7, 123456789.0,
            1e15, 1e16, 1e17, 1e21, 1e22, 1e100, 0.001, 0.0011, 0.0001, 1.5e-7, 3.0e-10,
            0.5, 0.25, 0.125, 0.3, 2.5, 3.75, 1234.5678, 98765.4321, 6.02214076e23, 6.62607015e-34,
            Double.MAX_VALUE, Double.MIN_VALUE, 2.2250738585072014E-308, Math.PI, Math.E,
            1.0 / 7, 2.0 / 7, Long.MAX_VALUE, Integer.MAX_VALUE, 4.35, 0.1 * 3, 1.1 * 1.1, 5e-324 * 3};
        for (double d : ds) {
            System.out.println(d);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = -5; i <= 5; i++) {
            sb.append(i / 4.0).append(' ');
        }
        System.out.println(sb.toString());
        double x = 1;
        for (int i = 0; i < 15; i++) {
            x *= 7.3;
            System.out.print(x + " ");
        }
        System.out.println();
        x = 1;
        for (int i = 0; i < 25; i++) {
            x /= 7.3;
            System.out.print(x + " ");
        }
        System.out.println();
        float fx = 1;
        for (int i = 0; i < 20; i++) {
            fx *= 3.7f;
            System.out.print(fx + " ");
        }
        System.out.println();
        System.out.println(String.valueOf(2.5) + " " + String.valueOf(2.5f) + " " + String.valueOf(-7L));
        System.out.println(Double.toString(0.75) + " " + Double.valueOf(1.25) + " " + Double.valueOf(3.5).doubleValue());
    }

    static void conversions() {
        System.out.println("== conversions");
        double[] ds = {NAN, PINF, NINF, 1e20, -1e20, 3.99, -3.99, 0.5, -0.5, 2147483647.5, -2147483648.5, 1e10, 9.3e18, -9.3e18};
        for (double d : ds) {
            System.out.println(d + " -> int " + (int) d + ", long " + (long) d + ", float " + (float) d
                + ", char " + (int) (char) d + ", byte " + (byte) d + ", short " + (short) d);
        }
        float[] fs = {FNAN, FPINF, 3e9f, -3e9f, 1.9f, -1.9f};
        for (float f : fs) {
            System.out.println(f + "f -> int " + (int) f + ", long " + (long) f + ", double " + (double) f);
        }
        int[] is = {200, -200, 70000, -70000, 65535, 65536, IMAX, IMIN, 128, -129};
        for (int i : is) {
            System.out.println(i + " -> byte " + (byte) i + ", short " + (short) i + ", char " + (int) (char) i
                + ", float " + (float) i + ", double " + (double) i + ", long " + (long) i);
        }
        long[] ls = {0x100000001L, LMAX, LMIN, 16777217L, 9007199254740993L, -1L, 4294967295L};
        for (long l : ls) {
            System.out.println(l + "L -> int " + (int) l + ", float " + (float) l + ", double " + (double) l
                + ", short " + (short) l);
        }
        System.out.println("(long)(double)LMAX == LMAX: " + ((long) (double) LMAX == LMAX));
        System.out.println("(int)(char)(byte)-1 = " + (int) (char) (byte) MINUS_ONE);
        System.out.println("(byte)(char)300 = " + (byte) (char) (MINUS_ONE + 301));
        System.out.println("(float)1e40 = " + (float) (1e40 * (NAN == NAN ? 0 : 1)));
        System.out.println("(float)1e-50 = " + (float) (1e-50 * (NAN == NAN ? 0 : 1)));
        System.out.println("(double)(float)3.3 = " + (double) (float) (3.3 + MINUS_ONE + 1));
    }

    static void chars() {
        System.out.println("== chars");
        char c = 'a';
        System.out.println("'a'+1 = " + (c + 1));
        System.out.println("(char)('a'+1) = " + (char) (c + 1));
        c++;
        System.out.println("c++ -> " + c);
        c += 2;
        System.out.println("c += 2 -> " + c);
        char top = (char) (IMAX & 0xffff);
        top++;
        System.out.println("0xffff + 1 -> " + (int) top);
        top--;
        System.out.println("0 - 1 -> " + (int) top);
        StringBuilder sb = new StringBuilder();
        for (char ch = 'A'; ch <= 'Z'; ch++) sb.append(ch);
        for (char ch = 'z'; ch >= 'a'; ch -= 3) sb.append(ch);
        System.out.println(sb.toString());
        char d = '7';
        System.out.println("'7' - '0' = " + (d - '0'));
        System.out.println("'x' * 2 = " + ('x' * (MINUS_ONE + 3)));
        System.out.println("char compare 'a' < 'b': " + (c < 'z'));
        int code = 'A' + 'B';
        System.out.println("'A'+'B' = " + code);
        System.out.println("\"\" + 'A' + 'B' = " + ("" + 'A' + 'B'));
        System.out.println("'A' + 'B' + \"\" = " + ('A' + 'B' + ""));
        char[] rot = "Hello, World".toCharArray();
        for (int i = 0; i < rot.length; i++) {
            char ch = rot[i];
            if (ch >= 'a' && ch <= 'z') rot[i] = (char) ('a' + (ch - 'a' + 13) % 26);
            else if (ch >= 'A' && ch <= 'Z') rot[i] = (char) ('A' + (ch - 'A' + 13) % 26);
        }
        System.out.println(rot);
        System.out.println(Character.isDigit('5') + " " + Character.isDigit('x') + " " + Character.isLetter('q')
            + " " + Character.isLetter('3') + " " + Character.isWhitespace(' ') + " " + Character.isWhitespace('\t')
            + " " + Character.isWhitespace('a') + " " + Character.toUpperCase('m') + " " + Character.toLowerCase('Q')
            + " " + Character.toUpperCase('5'));
    }

    static void compound() {
        System.out.println("== compound");
        byte b = 127;
        b += 1;
        System.out.println("byte 127 += 1 -> " + b);
        b = 100;
        b *= 3;
        System.out.println("byte 100 *= 3 -> " + b);
        b = -128;
        b--;
        System.out.println("byte -128 -- -> " + b);
        b = 64;
        b <<= 1;
        System.out.println("byte 64 <<= 1 -> " + b);
        b = -1;
        b >>>= 4;
        System.out.println("byte -1 >>>= 4 -> " + b);
        short s = 32767;
        s++;
        System.out.println("short 32767 ++ -> " + s);
        s = 300;
        s *= 300;
        System.out.println("short 300 *= 300 -> " + s);
        int i = 5;
        i *= 2.5;
        System.out.println("int 5 *= 2.5 -> " + i);
        i += 3.7;
        System.out.println("int 12 += 3.7 -> " + i);
        i /= 0.3;
        System.out.println("int 15 /= 0.3 -> " + i);
        i = IMAX;
        i += 1.0;
        System.out.println("int MAX += 1.0 -> " + i);
        i = 1;
        i <<= 33;
        System.out.println("int 1 <<= 33 -> " + i);
        i = 10;
        i -= i++ - --i;
        System.out.println("i -= i++ - --i -> " + i);
        i = 3;
        i = i++ + ++i * i--;
        System.out.println("i = i++ + ++i * i-- -> " + i);
        char c = 'A';
        c += 70000;
        System.out.println("char 'A' += 70000 -> " + (int) c);
        c *= 2;
        System.out.println("char *= 2 -> " + (int) c);
        long l = 10;
        l += 0.99;
        System.out.println("long 10 += 0.99 -> " + l);
        l *= LMAX;
        System.out.println("long *= LMAX -> " + l);
        float f = 1;
        f += 1e-8;
        System.out.println("float 1 += 1e-8 -> " + f);
        double d = 1;
        d += 1e-8;
        System.out.println("double 1 += 1e-8 -> " + d);
        int[] arr = {1, 2, 3};
        int k = 0;
        arr[k++] += 10;
        arr[k] <<= arr[k++];
        System.out.println("arr = " + arr[0] + " " + arr[1] + " " + arr[2] + " k=" + k);
        byte[] ba = {120};
        ba[0] += 10;
        short[] sa = {-32768};
        sa[0]--;
        char[] ca = {'y'};
        ca[0] += 2;
        System.out.println("byte[] " + ba[0] + ", short[] " + sa[0] + ", char[] " + ca[0]);
    }

    static void maths() {
        System.out.println("== math");
        int m = MINUS_ONE;
        System.out.println("abs: " + Math.abs(-5 * m * m) + " " + Math.abs(IMIN) + " " + Math.abs(LMIN) + " "
            + Math.abs(-2.5) + " " + Math.abs(-0.0) + " " + Math.abs(-3.5f));
        System.out.println("max/min: " + Math.max(3, 7) + " " + Math.min(3, 7) + " " + Math.max(-3L, -7L) + " "
            + Math.min(2.5, -2.5) + " " + Math.max(1.5f, 2.5f) + " " + Math.min(IMIN, IMAX));
        System.out.println("sqrt: " + Math.sqrt(2) + " " + Math.sqrt(16) + " " + Math.sqrt(-1) + " " + Math.sqrt(1e-300)
            + " " + Math.sqrt(PINF));
        System.out.println("pow: " + Math.pow(2, 10) + " " + Math.pow(2, -2) + " " + Math.pow(10, 15) + " "
            + Math.pow(0, 0) + " " + Math.pow(-8, 3) + " " + Math.pow(2, 0.5 * 2) + " " + Math.pow(-1, 0.5)
            + " " + Math.pow(1.5, 2));
        double[] fr = {2.5, -2.5, 2.4, -2.6, 0.5, -0.5, 1e20, -0.0, 3.0, 0.49999999999999994};
        for (double x : fr) {
            System.out.println("x=" + x + " floor " + Math.floor(x) + " ceil " + Math.ceil(x) + " round " + Math.round(x)
                + " roundf " + Math.round((float) x));
        }
        System.out.println("round(NaN) = " + Math.round(NAN) + ", round(inf) = " + Math.round(PINF)
            + ", round(-1e30) = " + Math.round(-1e30) + ", roundf(1e30) = " + Math.round(1e30f));
        System.out.println("PI = " + Math.PI);
        for (int k = 0; k <= 8; k++) {
            double x = k * Math.PI / 8;
            System.out.println(String.format("k=%d sin=%.10f cos=%.10f exp=%.6f log=%.10f", k, Math.sin(x),
                Math.cos(x), Math.exp(x), Math.log(x + 1)));
        }
        System.out.println("log(0) = " + Math.log(0) + ", log(-1) = " + Math.log(-1) + ", exp(1000) = " + Math.exp(1000)
            + ", exp(-1000) = " + Math.exp(-1000) + ", exp(0) = " + Math.exp(0) + ", log(1) = " + Math.log(1));
        System.out.println("floorDiv/floorMod: " + Math.floorDiv(-7, 2) + " " + Math.floorMod(-7, 2) + " "
            + Math.floorDiv(7, -2) + " " + Math.floorMod(7, -2) + " " + Math.floorDiv(IMIN, -1) + " "
            + Math.floorMod(-7L, 3L));
    }

    static void boxes() {
        System.out.println("== boxes and parsing");
        Integer bi = 1000, bj = 1000;
        System.out.println("Integer equals: " + bi.equals(bj) + ", compareTo: " + bi.compareTo(999) + ", hash " + bi.hashCode());
        Long bl = 1L << 40;
        System.out.println("Long " + bl + " hash " + bl.hashCode() + " longValue " + bl.longValue());
        Double bd = 1.5;
        System.out.println("Double " + bd + " hash " + bd.hashCode() + " intValue " + bd.intValue() + " compareTo(2.0) "
            + bd.compareTo(2.0));
        Boolean bb = true;
        System.out.println("Boolean " + bb + " hash " + bb.hashCode() + " " + Boolean.valueOf(false).hashCode());
        Character bc = 'z';
        System.out.println("Character " + bc + " hash " + bc.hashCode() + " charValue " + bc.charValue());
        int sum = 0;
        Integer acc = 0;
        for (int i = 0; i < 100; i++) {
            acc += i;      // unbox, add, box
            sum += acc;
        }
        System.out.println("boxed sum " + acc + " " + sum);
        System.out.println(Integer.parseInt("12345") + Integer.parseInt("-678") + Integer.parseInt("+9"));
        System.out.println(Integer.parseInt("ff", 16) + " " + Integer.parseInt("-1010", 2) + " " + Integer.parseInt("zz", 36)
            + " " + Integer.parseInt("2147483647") + " " + Integer.parseInt("-2147483648"));
        System.out.println(Long.parseLong("9223372036854775807") + " " + Long.parseLong("-42"));
        System.out.println(Double.parseDouble("3.25") + " " + Double.parseDouble("-1e-5") + " " + Double.parseDouble("1e400")
            + " " + Double.parseDouble("0.1") + " " + Double.parseDouble("7.5"));
        System.out.println(Integer.toString(-255) + Long.toString(1234567890123L) + Double.toString(0.5)
            + Integer.valueOf(77).toString() + Boolean.toString(true) + Character.toString('c'));
        System.out.println(Integer.valueOf(321) + Long.valueOf(5L).intValue() + Integer.valueOf(9).longValue());
        System.out.println("MAX/MIN: " + Integer.MAX_VALUE + " " + Integer.MIN_VALUE + " " + Long.MAX_VALUE + " "
            + Long.MIN_VALUE + " " + Double.MAX_VALUE + " " + Double.MIN_VALUE + " " + (int) Character.MAX_VALUE);
    }

    static void loops() {
        System.out.println("== checksums");
        int h = 0;
        for (int i = 0; i < 100000; i++) {
            h = h * 31 + i;
            h ^= h >>> 7;
        }
        System.out.println("int hash " + h);
        long lh = 1125899906842597L;
        for (int i = 0; i < 100000; i++) {
            lh = 31 * lh + (i ^ (lh >>> 29));
        }
        System.out.println("long hash " + lh);
        long x = 88172645463325252L;
        long xs = 0;
        for (int i = 0; i < 1000; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            xs += x;
        }
        System.out.println("xorshift64 " + x + " sum " + xs);
        double acc = 0;
        for (int i = 1; i <= 100000; i++) {
            acc += (i % 2 == 0 ? -1.0 : 1.0) / (2 * i - 1);
        }
        System.out.println("leibniz pi/4 ~ " + acc + " pi ~ " + acc * 4);
        float facc = 0;
        for (int i = 1; i <= 10000; i++) facc += 1.0f / i;
        System.out.println("float harmonic " + facc);
        int collatzMax = 0, arg = 0;
        for (int n = 1; n < 30000; n++) {
            long v = n;
            int steps = 0;
            while (v != 1) {
                v = (v & 1) == 0 ? v >> 1 : 3 * v + 1;
                steps++;
            }
            if (steps > collatzMax) {
                collatzMax = steps;
                arg = n;
            }
        }
        System.out.println("collatz longest below 30000: " + arg + " steps " + collatzMax);
    }
}
