// String, StringBuilder, concatenation, formatting, string switch, text blocks.
public class Main {
    static class Point {
        final int x, y;
        Point(int x, int y) { this.x = x; this.y = y; }
        @Override public String toString() { return "(" + x + ", " + y + ")"; }
    }

    static String NULL_STRING = null;

    public static void main(String[] args) {
        basics();
        searching();
        transforming();
        comparing();
        concatenation();
        builders();
        formatting();
        switches();
        textBlocks();
        algorithms();
    }

    static void basics() {
        System.out.println("== basics");
        String s = "Hello, World";
        System.out.println(s + " length " + s.length() + " empty " + s.isEmpty() + " " + "".isEmpty());
        System.out.println("charAt: " + s.charAt(0) + s.charAt(4) + s.charAt(s.length() - 1));
        System.out.println("substring(7) = " + s.substring(7) + ", substring(0,5) = " + s.substring(0, 5)
            + ", substring(3,3) = [" + s.substring(3, 3) + "], substring(12) = [" + s.substring(12) + "]");
        System.out.println("hashCode: " + s.hashCode() + " " + "".hashCode() + " " + "a".hashCode() + " "
            + "The quick brown fox jumps over the lazy dog".hashCode());
        System.out.println("Aa/BB hash: " + "Aa".hashCode() + " " + "BB".hashCode());
        char[] cs = s.toCharArray();
        System.out.println("toCharArray length " + cs.length + " first " + cs[0] + " last " + cs[cs.length - 1]);
        System.out.println("new String(char[]) = " + new String(cs) + ", (cs, 7, 5) = " + new String(cs, 7, 5));
        System.out.println("valueOf: " + String.valueOf(42) + String.valueOf(-7L) + String.valueOf('c')
            + String.valueOf(1.5) + String.valueOf(2.25f) + String.valueOf(true) + String.valueOf(new Point(1, 2))
            + String.valueOf(cs) + String.valueOf((Object) null));
        System.out.println("toString: " + s.toString() + " concat: " + s.concat("!").concat("") + " repeat: "
            + "ab".repeat(3) + "[" + "x".repeat(0) + "]");
        String built = new String(new char[] {'J', 'V', 'M'});
        System.out.println("built " + built + " equals literal " + built.equals("JVM"));
    }

    static void searching() {
        System.out.println("== searching");
        String s = "the cat sat on the mat with the hat";
        System.out.println("indexOf('a') " + s.indexOf('a') + ", indexOf('z') " + s.indexOf('z')
            + ", indexOf(\"the\") " + s.indexOf("the") + ", indexOf(\"the\", 1) " + s.indexOf("the", 1)
            + ", indexOf('t', 20) " + s.indexOf('t', 20) + ", lastIndexOf('t') " + s.lastIndexOf('t')
            + ", indexOf(\"\") " + s.indexOf("") + ", indexOf(\"dog\") " + s.indexOf("dog"));
        int count = 0;
        int from = 0;
        while ((from = s.indexOf("at", from)) >= 0) {
            System.out.print(from + " ");
            count++;
            from++;
        }
        System.out.println("-> " + count + " occurrences of \"at\"");
        System.out.println("startsWith the: " + s.startsWith("the") + ", startsWith cat: " + s.startsWith("cat")
            + ", endsWith hat: " + s.endsWith("hat") + ", endsWith \"\": " + s.endsWith("")
            + ", contains \"sat on\": " + s.contains("sat on") + ", contains \"dog\": " + s.contains("dog"));
        // words by hand (no split)
        String[] words = new String[16];
        int n = 0;
        int i = 0;
        while (i < s.length()) {
            int sp = s.indexOf(' ', i);
            if (sp < 0) sp = s.length();
            words[n++] = s.substring(i, sp);
            i = sp + 1;
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < n; k++) {
            sb.append('<').append(words[k]).append('>');
        }
        System.out.println(n + " words: " + sb.toString());
    }

    static void transforming() {
        System.out.println("== transforming");
        String s = "  Mixed Case Text 123  ";
        System.out.println("[" + s.trim() + "] [" + s.toUpperCase() + "] [" + s.toLowerCase() + "]");
        System.out.println("[" + "\t\n x y \n".trim() + "] [" + "   ".trim() + "]");
        System.out.println(s.replace(' ', '_') + " " + "banana".replace('a', 'o') + " " + "none".replace('z', 'y'));
        System.out.println("equalsIgnoreCase: " + "HeLLo".equalsIgnoreCase("hello") + " " + "abc".equalsIgnoreCase("abd")
            + " " + "abc".equalsIgnoreCase("ab"));
        String up = "";
        for (char c = 'a'; c <= 'e'; c++) up = up + Character.toUpperCase(c) + c;
        System.out.println(up);
    }

    static void comparing() {
        System.out.println("== comparing");
        String[] ws = {"apple", "Apple", "banana", "app", "", "apples", "b", "zebra", "apple"};
        for (int i = 0; i < ws.length; i++) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < ws.length; j++) {
                sb.append(ws[i].compareTo(ws[j])).append(' ');
            }
            System.out.println("[" + ws[i] + "] " + sb.toString());
        }
        String a = "hello";
        String b = "hel" + "lo";                 // constant: same literal
        String c = new String("hello".toCharArray());
        System.out.println("equals: " + a.equals(b) + " " + a.equals(c) + " " + a.equals(null) + " " + a.equals("hellO"));
        Object o = "hello";
        System.out.println("equals via Object: " + o.equals(c) + " " + c.equals(o) + " hash " + o.hashCode());
    }

    static void concatenation() {
        System.out.println("== concatenation");
        int i = -42;
        long l = 1L << 40;
        char c = 'Q';
        double d = 0.1 + 0.2;
        float f = 1.0f / 3;
        boolean z = i < 0;
        byte b = (byte) 200;
        short sh = (short) 40000;
        Object o = new Point(3, -4);
        String ns = NULL_STRING;
        Object no = null;
        Integer boxed = 17;
        Character bc = 'k';
        System.out.println("i=" + i + " l=" + l + " c=" + c + " d=" + d + " f=" + f + " z=" + z + " b=" + b + " sh=" + sh);
        System.out.println("o=" + o + " ns=" + ns + " no=" + no + " boxed=" + boxed + " bc=" + bc);
        System.out.println(i + l + c + "|" + c + i + l + "|" + (c + i) + "|" + d + f + "|" + (d + f));
        String s = "";
        for (int k = 0; k < 10; k++) s += k;
        System.out.println(s);
        s += 'x';
        s += 1.5;
        s += true;
        s += null;
        s += o;
        System.out.println(s);
        String big = "";
        for (int k = 0; k < 300; k++) big = big + (char) ('a' + k % 26);
        System.out.println("big length " + big.length() + " hash " + big.hashCode());
        System.out.println("" + Integer.MIN_VALUE + Long.MIN_VALUE + Double.NaN + Float.NEGATIVE_INFINITY + '\u0041');
        String multi = "a" + 1 + 2 + 'b' + 3L + 4.0f + 5.0 + true + null + "end";
        System.out.println(multi);
    }

    static void builders() {
        System.out.println("== StringBuilder");
        StringBuilder sb = new StringBuilder();
        sb.append("str").append(42).append(-7L).append('c').append(1.5).append(2.5f).append(true).append(new Point(5, 6))
          .append(new char[] {'x', 'y'}).append((Object) null).append((String) null);
        System.out.println(sb.toString() + " length " + sb.length());
        sb.setLength(3);
        System.out.println("setLength(3): " + sb.toString());
        sb.setCharAt(0, 'S');
        sb.append("ing");
        System.out.println(sb.toString() + " charAt(2) " + sb.charAt(2));
        sb.reverse();
        System.out.println("reversed " + sb.toString());
        sb.setLength(10);
        System.out.println("padded length " + sb.length() + " char 9 is zero: " + (sb.charAt(9) == 0));
        StringBuilder cap = new StringBuilder(4);
        for (int i = 0; i < 1000; i++) {
            cap.append(i % 10);
        }
        System.out.println("cap length " + cap.length() + " hash " + cap.toString().hashCode());
        StringBuilder init = new StringBuilder("init");
        init.append('-').append(init.length());
        System.out.println(init);
        StringBuilder pal = new StringBuilder("A man a plan a canal Panama".toLowerCase().replace(' ', '_'));
        String fwd = pal.toString();
        String rev = pal.reverse().toString();
        System.out.println(fwd + " / " + rev + " equal ignoring '_': " + strip(fwd).equals(strip(rev)));
        StringBuilder huge = new StringBuilder();
        for (int i = 0; i < 20000; i++) {
            huge.append(i).append(',');
        }
        String hs = huge.toString();
        System.out.println("huge length " + hs.length() + " hash " + hs.hashCode() + " tail " + hs.substring(hs.length() - 12));
    }

    static String strip(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) != '_') sb.append(s.charAt(i));
        }
        return sb.toString();
    }

    static void formatting() {
        System.out.println("== formatting");
        System.out.printf("%d %d %d %d%n", 0, 42, -42, Integer.MIN_VALUE);
        System.out.printf("%d %d%n", 1234567890123L, Long.MIN_VALUE);
        System.out.printf("%s %s %s %s %s%n", "str", 12, new Point(7, 8), null, 'c');
        System.out.printf("%f %f %f %f%n", 3.14159265, -0.5, 100.0, 1e-7);
        System.out.printf("%.2f %.2f %.2f %.2f %.2f%n", 3.14159, 2.0, -1.234, 1234567.891, 0.004);
        System.out.printf("%.3f %.1f %.0f %.4f%n", Math.PI, 9.96, 7.2, 1.0 / 3);
        System.out.printf("%x %x %x %x%n", 255, 0, -1, 0xCAFEBABE);
        System.out.printf("%x%n", 1L << 40);
        System.out.printf("%c%c%c %c%n", 'J', 'V', 'M', (char) 65);
        System.out.printf("%b %b %b %b%n", true, false, null, "x");
        System.out.printf("[%5d] [%5d] [%5d] [%5d]%n", 42, -42, 123456, 0);
        System.out.printf("[%-5s] [%-5s] [%-5s]%n", "ab", "abcdef", "");
        System.out.printf("[%05d] [%05d] [%05d]%n", 42, -42, 1234567);
        System.out.printf("[%,d] [%,d] [%,d] [%,d]%n", 1234567, -9876543210L, 999, 1000);
        System.out.printf("[%5s] [%-5s] [%.3f] [%b]%n", "r", 77, Math.E, true);
        String f = String.format("%s=%d (%.1f percent)", "ratio", 3, 37.5);
        System.out.println(f + " length " + f.length());
        System.out.println(String.format("no args"));
        System.out.println(String.format("%s|%s|%s", 1.5, -2.5, 10000000.0));
        StringBuilder table = new StringBuilder();
        for (int i = 1; i <= 5; i++) {
            table.append(String.format("%-6s|%4d|%.2f|%x%n", "row" + i, i * i, 10.0 / i, i * 4096));
        }
        System.out.print(table);
    }

    static void switches() {
        System.out.println("== switch on strings");
        String[] keys = {"apple", "banana", "cherry", "Aa", "BB", "", "APPLE", "date", "C#"};
        for (String k : keys) {
            int v;
            switch (k) {
                case "apple":
                    v = 1;
                    break;
                case "banana":
                case "cherry":
                    v = 2;
                    break;
                case "Aa":
                    v = 3;
                    break;
                case "BB":
                    v = 4;
                    break;
                case "":
                    v = 5;
                    break;
                default:
                    v = -1;
            }
            String arrow = switch (k) {
                case "apple", "APPLE" -> "fruit-A";
                case "Aa" -> "collides-with-BB";
                case "BB" -> "collides-with-Aa";
                case "C#" -> {
                    String lang = "lang";
                    yield lang.toUpperCase();
                }
                default -> "other(" + k.length() + ")";
            };
            System.out.println("[" + k + "] classic=" + v + " arrow=" + arrow);
        }
        String cmd = "stop";
        switch (cmd) {
            case "go" -> System.out.println("going");
            case "stop" -> System.out.println("stopping");
            default -> System.out.println("unknown");
        }
    }

    static void textBlocks() {
        System.out.println("== text blocks");
        String tb = """
            Dear reader,
              this is a "text block"
            with trailing newline\tand a tab.
            Line continues \
            here.
            """;
        System.out.print(tb);
        System.out.println("text block length " + tb.length() + " lines " + countLines(tb));
        String json = String.format("""
            {"name": "movegc", "objects": %d, "ok": %b}""", 3, true);
        System.out.println(json);
    }

    static int countLines(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n') n++;
        }
        return n;
    }

    static void algorithms() {
        System.out.println("== algorithms");
        // run-length encoding
        String src = "aaabccddddeffffffg";
        StringBuilder rle = new StringBuilder();
        int i = 0;
        while (i < src.length()) {
            char c = src.charAt(i);
            int j = i;
            while (j < src.length() && src.charAt(j) == c) j++;
            rle.append(j - i).append(c);
            i = j;
        }
        System.out.println("rle " + rle);
        // caesar
        String msg = "Attack at Dawn, 10:30!";
        StringBuilder enc = new StringBuilder();
        for (char c : msg.toCharArray()) {
            if (Character.isLetter(c)) {
                char base = Character.isLetter(c) && c >= 'a' ? 'a' : 'A';
                enc.append((char) (base + (c - base + 3) % 26));
            } else if (Character.isDigit(c)) {
                enc.append((char) ('0' + (c - '0' + 5) % 10));
            } else {
                enc.append(c);
            }
        }
        System.out.println("caesar " + enc);
        // number conversions by hand
        StringBuilder digits = new StringBuilder();
        int[] nums = {0, 7, 255, 4096, 65535, 123456789};
        for (int n : nums) {
            digits.append(toBase(n, 2)).append('/').append(toBase(n, 7)).append('/').append(toBase(n, 16)).append(' ');
        }
        System.out.println(digits);
        // parse back
        int total = 0;
        for (int n : nums) {
            total += Integer.parseInt(toBase(n, 16), 16) + Integer.parseInt(toBase(n, 7), 7);
        }
        System.out.println("parsed total " + total);
        // longest common prefix & palindromes
        String[] ws = {"interstellar", "internet", "interval", "interior", "intern"};
        String prefix = ws[0];
        for (String w : ws) {
            while (!w.startsWith(prefix)) prefix = prefix.substring(0, prefix.length() - 1);
        }
        System.out.println("common prefix " + prefix);
        int pals = 0;
        StringBuilder found = new StringBuilder();
        for (int n = 0; n < 20000; n++) {
            String t = Integer.toString(n * n);
            if (t.length() > 2 && new StringBuilder(t).reverse().toString().equals(t)) {
                pals++;
                found.append(n).append('^').append(2).append('=').append(t).append(' ');
            }
        }
        System.out.println(pals + " palindromic squares: " + found);
        // word frequency with parallel arrays
        String text = "it was the best of times it was the worst of times it was the age of wisdom it was the age of foolishness";
        String[] seen = new String[32];
        int[] counts = new int[32];
        int distinct = 0;
        int pos = 0;
        while (pos <= text.length()) {
            int sp = text.indexOf(' ', pos);
            if (sp < 0) sp = text.length();
            String w = text.substring(pos, sp);
            int k = 0;
            while (k < distinct && !seen[k].equals(w)) k++;
            if (k == distinct) {
                seen[distinct++] = w;
            }
            counts[k]++;
            pos = sp + 1;
        }
        StringBuilder freq = new StringBuilder();
        for (int k = 0; k < distinct; k++) freq.append(seen[k]).append('=').append(counts[k]).append(' ');
        System.out.println(freq.toString().trim());
    }

    static String toBase(int n, int base) {
        if (n == 0) return "0";
        StringBuilder sb = new StringBuilder();
        while (n > 0) {
            int d = n % base;
            sb.append((char) (d < 10 ? '0' + d : 'a' + d - 10));
            n /= base;
        }
        return sb.reverse().toString();
    }
}
