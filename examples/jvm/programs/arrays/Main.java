// Arrays of every type: defaults, stores with narrowing, multi-dimensional
// arrays, System.arraycopy (incl. overlap), bounds and sorting algorithms.
public class Main {
    static int seed = 12345;

    static int rand() {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return seed;
    }

    public static void main(String[] args) {
        defaults();
        narrowStores();
        multi();
        copies();
        bounds();
        sorting();
        matrices();
        sieve();
    }

    static void defaults() {
        System.out.println("== defaults");
        boolean[] z = new boolean[3];
        byte[] b = new byte[3];
        char[] c = new char[3];
        short[] s = new short[3];
        int[] i = new int[3];
        long[] l = new long[3];
        float[] f = new float[3];
        double[] d = new double[3];
        Object[] o = new Object[3];
        String[] str = new String[3];
        System.out.println(z[1] + " " + b[1] + " " + (int) c[1] + " " + s[1] + " " + i[1] + " " + l[1] + " " + f[1] + " " + d[1]
            + " " + o[1] + " " + str[1]);
        System.out.println("lengths " + z.length + b.length + c.length + s.length + i.length + l.length + f.length + d.length
            + o.length + " empty " + new int[0].length + " " + new String[0].length);
        int[] lit = {3, 1, 4, 1, 5, 9, 2, 6};
        char[] hello = {'h', 'e', 'l', 'l', 'o'};
        System.out.println(hello);
        System.out.println(new String(hello, 1, 3));
        long prod = 1;
        for (int x : lit) prod *= x + 1;
        System.out.println("literal product " + prod);
        Object arr = lit;
        System.out.println("int[] is Object: " + (arr instanceof Object) + ", is int[]: " + (arr instanceof int[])
            + ", is long[]: " + (arr instanceof long[]) + ", is Object[]: " + (arr instanceof Object[]));
        Object[] covariant = new String[] {"a", "b"};
        System.out.println("String[] as Object[]: " + (covariant instanceof String[]) + " " + covariant[0] + covariant[1]);
    }

    static void narrowStores() {
        System.out.println("== element types");
        byte[] b = new byte[8];
        short[] s = new short[8];
        char[] c = new char[8];
        boolean[] z = new boolean[8];
        float[] f = new float[8];
        for (int k = 0; k < 8; k++) {
            int v = k * 50 - 100;
            b[k] = (byte) (v * 3);
            s[k] = (short) (v * 1000);
            c[k] = (char) (v + 'a');
            z[k] = (v & 1) == 0 ^ k > 4;
            f[k] = v / 7f;
        }
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(x).append(' ');
        sb.append("| ");
        for (short x : s) sb.append(x).append(' ');
        sb.append("| ");
        for (char x : c) sb.append((int) x).append(' ');
        sb.append("| ");
        for (boolean x : z) sb.append(x ? 'T' : 'F');
        sb.append(" | ");
        for (float x : f) sb.append(x).append(' ');
        System.out.println(sb);
        b[0] += 200;
        b[1]++;
        s[2] -= 1;
        c[3] += 1;
        c[4]--;
        System.out.println(b[0] + " " + b[1] + " " + s[2] + " " + (int) c[3] + " " + (int) c[4]);
        byte[] bytes = new byte[256];
        for (int k = 0; k < 256; k++) bytes[k] = (byte) k;
        int signedSum = 0, unsignedSum = 0;
        for (byte x : bytes) {
            signedSum += x;
            unsignedSum += x & 0xff;
        }
        System.out.println("byte sums " + signedSum + " " + unsignedSum);
        long[] big = {Long.MAX_VALUE, Long.MIN_VALUE, -1L, 1L << 62};
        long acc = 0;
        for (long x : big) acc = acc * 31 + x;
        System.out.println("long acc " + acc);
        double[] ds = new double[10];
        for (int k = 0; k < ds.length; k++) ds[k] = Math.sqrt(k) - k / 3.0;
        double dsum = 0;
        for (double x : ds) dsum += x;
        System.out.println("double sum " + dsum);
    }

    static void multi() {
        System.out.println("== multi-dimensional");
        int[][] grid = new int[3][4];
        for (int r = 0; r < 3; r++) {
            for (int col = 0; col < 4; col++) grid[r][col] = r * 10 + col;
        }
        for (int[] row : grid) {
            StringBuilder sb = new StringBuilder();
            for (int v : row) sb.append(v).append(' ');
            System.out.println(sb.toString().trim());
        }
        long[][][] cube = new long[2][3][4];
        long total = 0;
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 4; c++) {
                    cube[a][b][c] = (long) a * 100 + b * 10 + c;
                    total += cube[a][b][c];
                }
        System.out.println("cube " + cube.length + "x" + cube[0].length + "x" + cube[0][0].length + " total " + total);
        String[][] names = new String[2][3];
        System.out.println("String[2][3] default " + names[1][2] + ", rows " + names.length + ", cols " + names[0].length);
        int[][] jag = new int[5][];
        System.out.println("jagged rows before init: " + (jag[0] == null));
        for (int r = 0; r < jag.length; r++) {
            jag[r] = new int[r + 1];
            jag[r][0] = jag[r][r] = 1;
            for (int k = 1; k < r; k++) jag[r][k] = jag[r - 1][k - 1] + jag[r - 1][k];
        }
        int[][] pascal = new int[20][];
        for (int r = 0; r < pascal.length; r++) {
            pascal[r] = new int[r + 1];
            pascal[r][0] = pascal[r][r] = 1;
            for (int k = 1; k < r; k++) pascal[r][k] = pascal[r - 1][k - 1] + pascal[r - 1][k];
        }
        StringBuilder sb = new StringBuilder();
        for (int v : jag[4]) sb.append(v).append(' ');
        System.out.println("pascal row 4: " + sb.toString().trim() + ", row 19 middle " + pascal[19][9] + " " + pascal[19][10]);
        double[][] empty = new double[0][5];
        boolean[][] flags = new boolean[2][0];
        char[][][] chars = new char[2][2][];
        System.out.println("empty " + empty.length + " flags " + flags.length + "x" + flags[1].length + " chars[1][1] null "
            + (chars[1][1] == null));
        Object[] mixed = {new int[2][2], new byte[1][1][1], new String[1][]};
        System.out.println("instanceof: " + (mixed[0] instanceof int[][]) + " " + (mixed[0] instanceof Object[])
            + " " + (mixed[1] instanceof byte[][][]) + " " + (mixed[2] instanceof String[][]) + " " + (mixed[2] instanceof Object[][]));
        int[][] tri = new int[300][];
        long cells = 0;
        for (int r = 0; r < tri.length; r++) {
            tri[r] = new int[r * 2 + 1];
            cells += tri[r].length;
        }
        System.out.println("triangle cells " + cells);
    }

    static String show(int[] a) {
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < a.length; k++) {
            if (k > 0) sb.append(',');
            sb.append(a[k]);
        }
        return sb.append(']').toString();
    }

    static void copies() {
        System.out.println("== arraycopy");
        int[] a = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        int[] b = new int[10];
        System.arraycopy(a, 2, b, 5, 4);
        System.out.println("copy " + show(b));
        int[] fwd = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        System.arraycopy(fwd, 0, fwd, 3, 7);
        System.out.println("overlap right " + show(fwd));
        int[] bwd = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        System.arraycopy(bwd, 3, bwd, 0, 7);
        System.out.println("overlap left " + show(bwd));
        int[] same = {1, 2, 3};
        System.arraycopy(same, 0, same, 0, 3);
        System.arraycopy(same, 1, same, 1, 0);
        System.out.println("self " + show(same));
        char[] cs = "abcdefgh".toCharArray();
        System.arraycopy(cs, 0, cs, 2, 5);
        System.out.println("chars " + new String(cs));
        String[] ss = {"a", "b", "c", "d", "e"};
        System.arraycopy(ss, 1, ss, 0, 4);
        ss[4] = null;
        System.out.println("strings " + ss[0] + ss[1] + ss[2] + ss[3] + ss[4]);
        Object[] objs = new Object[4];
        System.arraycopy(ss, 0, objs, 0, 4);
        System.out.println("String[] -> Object[] " + objs[0] + objs[3]);
        long[] ls = new long[6];
        for (int k = 0; k < ls.length; k++) ls[k] = 1L << (k * 10);
        System.arraycopy(ls, 0, ls, 1, 5);
        double[] ds = {1.5, 2.5, 3.5};
        double[] dd = new double[5];
        System.arraycopy(ds, 0, dd, 1, 3);
        byte[] bs = {1, 2, 3, 4};
        System.arraycopy(bs, 2, bs, 0, 2);
        boolean[] zs = {true, false, true};
        System.arraycopy(zs, 0, zs, 1, 2);
        short[] sh = {7, 8, 9};
        float[] fl = {0.5f, 0.25f};
        float[] fl2 = new float[2];
        System.arraycopy(fl, 0, fl2, 0, 2);
        System.arraycopy(sh, 0, sh, 1, 2);
        System.out.println(ls[0] + " " + ls[5] + " " + dd[0] + " " + dd[3] + " " + bs[0] + bs[1] + bs[2] + bs[3] + " " + zs[0] + zs[1]
            + zs[2] + " " + sh[0] + sh[1] + sh[2] + " " + fl2[1]);
        int[][] rows = new int[3][];
        int[][] rows2 = {{1}, {2, 2}, {3, 3, 3}};
        System.arraycopy(rows2, 0, rows, 0, 3);
        rows2[1][0] = 99;
        System.out.println("shallow copy shares rows: " + rows[1][0]);
        int[] grow = new int[1];
        int n = 0;
        for (int k = 0; k < 100000; k++) {
            if (n == grow.length) {
                int[] bigger = new int[grow.length * 2];
                System.arraycopy(grow, 0, bigger, 0, n);
                grow = bigger;
            }
            grow[n++] = k * 3;
        }
        long sum = 0;
        for (int k = 0; k < n; k++) sum += grow[k];
        System.out.println("grown to capacity " + grow.length + " sum " + sum);
        int[] src = {1, 2, 3};
        int[] dst = new int[3];
        int[][] badArgs = {{-1, 0, 1}, {0, -1, 1}, {0, 0, -1}, {2, 0, 2}, {0, 2, 2}, {0, 0, 4}};
        for (int[] args : badArgs) {
            try {
                System.arraycopy(src, args[0], dst, args[1], args[2]);
                System.out.println("no exception?!");
            } catch (IndexOutOfBoundsException e) {
                System.out.println("arraycopy(" + args[0] + "," + args[1] + "," + args[2] + ") out of bounds");
            }
        }
        System.out.println("dst untouched " + show(dst));
    }

    static void bounds() {
        System.out.println("== bounds");
        int[] a = new int[5];
        int hits = 0;
        for (int k = -3; k < 9; k++) {
            try {
                a[k] = k;
                hits++;
            } catch (ArrayIndexOutOfBoundsException e) {
                System.out.print("x" + k + " ");
            }
        }
        System.out.println("| stored " + hits + " " + show(a));
        int[][] m = new int[3][2];
        try {
            m[1][2] = 5;
        } catch (ArrayIndexOutOfBoundsException e) {
            System.out.println("inner index out of bounds");
        }
        try {
            m[3][0] = 5;
        } catch (ArrayIndexOutOfBoundsException e) {
            System.out.println("outer index out of bounds");
        }
        try {
            int[] empty = new int[0];
            empty[0]++;
        } catch (ArrayIndexOutOfBoundsException e) {
            System.out.println("empty array index out of bounds");
        }
    }

    static void insertionSort(int[] a, int lo, int hi) {
        for (int i = lo + 1; i < hi; i++) {
            int v = a[i];
            int j = i - 1;
            while (j >= lo && a[j] > v) {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = v;
        }
    }

    static void quickSort(int[] a, int lo, int hi) {
        while (hi - lo > 16) {
            int mid = (lo + hi) >>> 1;
            int p = median(a[lo], a[mid], a[hi - 1]);
            int i = lo, j = hi - 1;
            while (i <= j) {
                while (a[i] < p) i++;
                while (a[j] > p) j--;
                if (i <= j) {
                    int t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            // recurse into the smaller half to bound the depth
            if (j - lo < hi - i) {
                quickSort(a, lo, j + 1);
                lo = i;
            } else {
                quickSort(a, i, hi);
                hi = j + 1;
            }
        }
        insertionSort(a, lo, hi);
    }

    static int median(int x, int y, int z) {
        return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    }

    static void mergeSort(long[] a, long[] tmp, int lo, int hi) {
        if (hi - lo < 2) return;
        int mid = (lo + hi) >>> 1;
        mergeSort(a, tmp, lo, mid);
        mergeSort(a, tmp, mid, hi);
        int i = lo, j = mid, k = lo;
        while (i < mid && j < hi) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
        while (i < mid) tmp[k++] = a[i++];
        while (j < hi) tmp[k++] = a[j++];
        System.arraycopy(tmp, lo, a, lo, hi - lo);
    }

    static void heapSort(double[] a) {
        int n = a.length;
        for (int i = n / 2 - 1; i >= 0; i--) sift(a, i, n);
        for (int end = n - 1; end > 0; end--) {
            double t = a[0];
            a[0] = a[end];
            a[end] = t;
            sift(a, 0, end);
        }
    }

    static void sift(double[] a, int i, int n) {
        while (true) {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < n && a[l] > a[m]) m = l;
            if (r < n && a[r] > a[m]) m = r;
            if (m == i) return;
            double t = a[i];
            a[i] = a[m];
            a[m] = t;
            i = m;
        }
    }

    static void shellSort(short[] a) {
        int gap = 1;
        while (gap < a.length / 3) gap = gap * 3 + 1;
        for (; gap >= 1; gap /= 3) {
            for (int i = gap; i < a.length; i++) {
                short v = a[i];
                int j = i;
                while (j >= gap && a[j - gap] > v) {
                    a[j] = a[j - gap];
                    j -= gap;
                }
                a[j] = v;
            }
        }
    }

    static void countingSort(byte[] a) {
        int[] counts = new int[256];
        for (byte b : a) counts[b + 128]++;
        int k = 0;
        for (int v = 0; v < 256; v++) {
            for (int c = 0; c < counts[v]; c++) a[k++] = (byte) (v - 128);
        }
    }

    static void radixSort(int[] a) {
        int[] out = new int[a.length];
        for (int shift = 0; shift < 32; shift += 8) {
            int[] count = new int[257];
            for (int v : a) {
                int digit = (v >>> shift) & 0xff;
                if (shift == 24) digit ^= 0x80;      // sign bit
                count[digit + 1]++;
            }
            for (int d = 0; d < 256; d++) count[d + 1] += count[d];
            for (int v : a) {
                int digit = (v >>> shift) & 0xff;
                if (shift == 24) digit ^= 0x80;
                out[count[digit]++] = v;
            }
            System.arraycopy(out, 0, a, 0, a.length);
        }
    }

    static void selectionSort(String[] a) {
        for (int i = 0; i < a.length; i++) {
            int min = i;
            for (int j = i + 1; j < a.length; j++) if (a[j].compareTo(a[min]) < 0) min = j;
            String t = a[i];
            a[i] = a[min];
            a[min] = t;
        }
    }

    static void bubbleSort(char[] a) {
        boolean swapped = true;
        for (int pass = 0; swapped; pass++) {
            swapped = false;
            for (int i = 1; i < a.length - pass; i++) {
                if (a[i - 1] > a[i]) {
                    char t = a[i];
                    a[i] = a[i - 1];
                    a[i - 1] = t;
                    swapped = true;
                }
            }
        }
    }

    static boolean isSorted(int[] a) {
        for (int i = 1; i < a.length; i++) if (a[i - 1] > a[i]) return false;
        return true;
    }

    static long hash(int[] a) {
        long h = 1;
        for (int v : a) h = h * 31 + v;
        return h;
    }

    static void sorting() {
        System.out.println("== sorting");
        int n = 30000;
        int[] data = new int[n];
        for (int i = 0; i < n; i++) data[i] = rand() % 100000;
        int[] q = new int[n];
        System.arraycopy(data, 0, q, 0, n);
        quickSort(q, 0, n);
        System.out.println("quicksort sorted " + isSorted(q) + " min " + q[0] + " max " + q[n - 1] + " median " + q[n / 2]
            + " hash " + hash(q));
        int[] r = new int[n];
        System.arraycopy(data, 0, r, 0, n);
        radixSort(r);
        System.out.println("radix sort equal to quicksort " + (hash(r) == hash(q)) + " sorted " + isSorted(r));
        int[] ins = new int[2000];
        System.arraycopy(data, 0, ins, 0, ins.length);
        insertionSort(ins, 0, ins.length);
        System.out.println("insertion sort sorted " + isSorted(ins) + " hash " + hash(ins));
        long[] ls = new long[n];
        for (int i = 0; i < n; i++) ls[i] = (long) rand() * rand();
        mergeSort(ls, new long[n], 0, n);
        boolean ok = true;
        for (int i = 1; i < n; i++) if (ls[i - 1] > ls[i]) ok = false;
        System.out.println("merge sort longs sorted " + ok + " first " + ls[0] + " last " + ls[n - 1]);
        double[] ds = new double[n];
        for (int i = 0; i < n; i++) ds[i] = (rand() % 1000000) / 1000.0;
        heapSort(ds);
        ok = true;
        double dsum = 0;
        for (int i = 1; i < n; i++) if (ds[i - 1] > ds[i]) ok = false;
        for (double d : ds) dsum += d;
        System.out.println("heap sort doubles sorted " + ok + " first " + ds[0] + " last " + ds[n - 1] + " sum " + dsum);
        short[] ss = new short[n];
        for (int i = 0; i < n; i++) ss[i] = (short) rand();
        shellSort(ss);
        ok = true;
        for (int i = 1; i < n; i++) if (ss[i - 1] > ss[i]) ok = false;
        System.out.println("shell sort shorts sorted " + ok + " first " + ss[0] + " last " + ss[n - 1]);
        byte[] bs = new byte[n];
        for (int i = 0; i < n; i++) bs[i] = (byte) rand();
        countingSort(bs);
        ok = true;
        for (int i = 1; i < n; i++) if (bs[i - 1] > bs[i]) ok = false;
        System.out.println("counting sort bytes sorted " + ok + " first " + bs[0] + " last " + bs[n - 1] + " middle " + bs[n / 2]);
        String[] words = new String[200];
        for (int i = 0; i < words.length; i++) {
            int v = rand() & 0x7fffffff;
            words[i] = "w" + Integer.toString(v % 5000) + (char) ('a' + v % 26);
        }
        selectionSort(words);
        ok = true;
        for (int i = 1; i < words.length; i++) if (words[i - 1].compareTo(words[i]) > 0) ok = false;
        System.out.println("selection sort strings sorted " + ok + " first " + words[0] + " last " + words[words.length - 1]);
        char[] cs = "the quick brown fox jumps over the lazy dog".toCharArray();
        bubbleSort(cs);
        System.out.println("bubble sort chars [" + new String(cs).trim() + "]");
    }

    static void matrices() {
        System.out.println("== matrices");
        int n = 60;
        double[][] a = new double[n][n], b = new double[n][n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                a[i][j] = (i + 1) / (double) (j + 1);
                b[i][j] = i == j ? 2 : (i - j) / 10.0;
            }
        double[][] c = new double[n][n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++) {
                double aik = a[i][k];
                for (int j = 0; j < n; j++) c[i][j] += aik * b[k][j];
            }
        double trace = 0;
        for (int i = 0; i < n; i++) trace += c[i][i];
        System.out.println("double matmul trace " + trace + " c[3][7] " + c[3][7]);
        long[][] fib = {{1, 1}, {1, 0}};
        long[][] result = {{1, 0}, {0, 1}};
        int e = 90;
        while (e > 0) {
            if ((e & 1) == 1) result = mul(result, fib);
            fib = mul(fib, fib);
            e >>= 1;
        }
        System.out.println("fib(90) via matrix power " + result[0][1]);
        int[][] t = new int[4][6];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 6; j++) t[i][j] = i * 6 + j;
        int[][] tt = new int[6][4];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 6; j++) tt[j][i] = t[i][j];
        System.out.println("transpose row 5: " + show(tt[5]));
    }

    static long[][] mul(long[][] x, long[][] y) {
        long[][] r = new long[2][2];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 2; k++) r[i][j] += x[i][k] * y[k][j];
        return r;
    }

    static void sieve() {
        System.out.println("== sieve");
        int n = 200000;
        boolean[] composite = new boolean[n + 1];
        int count = 0;
        long sum = 0;
        for (int i = 2; i <= n; i++) {
            if (!composite[i]) {
                count++;
                sum += i;
                for (long j = (long) i * i; j <= n; j += i) composite[(int) j] = true;
            }
        }
        System.out.println("primes below " + n + ": " + count + " sum " + sum);
    }
}
