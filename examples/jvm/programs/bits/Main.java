// Integer's and Long's bit utilities on edge values and a pseudo-random
// spread, each result printed: compared with HotSpot's output.
public class Main {
    static final int[] INTS = {
        0, 1, -1, 2, 3, 7, 8, 255, 256, 0x7fffffff, 0x80000000, 0x12345678,
        0xdeadbeef, 0x00f0f000, -2, -256, 1 << 30, 0x55555555, 0xaaaaaaaa
    };
    static final long[] LONGS = {
        0L, 1L, -1L, 2L, 3L, 255L, 256L, 0x7fffffffffffffffL, 0x8000000000000000L,
        0x123456789abcdef0L, 0xdeadbeefcafebabeL, 0x00000000ffffffffL,
        0xffffffff00000000L, -2L, 1L << 62, 0x5555555555555555L, 0x0000000100000000L
    };
    static final int[] DISTANCES = {0, 1, 5, 31, 32, 33, 63, 64, 65, -1, -7, -33, 100};

    static void ints(int x) {
        System.out.println("int " + x
            + " nlz=" + Integer.numberOfLeadingZeros(x)
            + " ntz=" + Integer.numberOfTrailingZeros(x)
            + " bc=" + Integer.bitCount(x)
            + " hob=" + Integer.highestOneBit(x)
            + " lob=" + Integer.lowestOneBit(x)
            + " rev=" + Integer.reverse(x)
            + " revb=" + Integer.reverseBytes(x)
            + " sig=" + Integer.signum(x));
        StringBuilder sb = new StringBuilder("  rot");
        for (int d : DISTANCES) {
            sb.append(' ').append(d).append(':')
              .append(Integer.rotateLeft(x, d)).append('/')
              .append(Integer.rotateRight(x, d));
        }
        System.out.println(sb);
    }

    static void longs(long x) {
        System.out.println("long " + x
            + " nlz=" + Long.numberOfLeadingZeros(x)
            + " ntz=" + Long.numberOfTrailingZeros(x)
            + " bc=" + Long.bitCount(x)
            + " hob=" + Long.highestOneBit(x)
            + " lob=" + Long.lowestOneBit(x)
            + " rev=" + Long.reverse(x)
            + " revb=" + Long.reverseBytes(x)
            + " sig=" + Long.signum(x));
        StringBuilder sb = new StringBuilder("  rot");
        for (int d : DISTANCES) {
            sb.append(' ').append(d).append(':')
              .append(Long.rotateLeft(x, d)).append('/')
              .append(Long.rotateRight(x, d));
        }
        System.out.println(sb);
    }

    public static void main(String[] args) {
        for (int x : INTS) {
            ints(x);
        }
        for (long x : LONGS) {
            longs(x);
        }
        // A spread of values: sums of every result, so one line checks many.
        long seed = 0x2545f4914f6cdd1dL;
        long sumInt = 0, sumLong = 0;
        for (int i = 0; i < 20000; i++) {
            seed ^= seed << 13;
            seed ^= seed >>> 7;
            seed ^= seed << 17;
            int x = (int) seed >> (i % 32);
            long y = seed >>> (i % 64);
            int d = (int) (seed >> 40);
            sumInt = sumInt * 31 + Integer.numberOfLeadingZeros(x) + Integer.numberOfTrailingZeros(x)
                + Integer.bitCount(x) + Integer.highestOneBit(x) + Integer.lowestOneBit(x)
                + Integer.rotateLeft(x, d) + Integer.rotateRight(x, d) + Integer.reverse(x)
                + Integer.reverseBytes(x) + Integer.signum(x);
            sumLong = sumLong * 31 + Long.numberOfLeadingZeros(y) + Long.numberOfTrailingZeros(y)
                + Long.bitCount(y) + Long.highestOneBit(y) + Long.lowestOneBit(y)
                + Long.rotateLeft(y, d) + Long.rotateRight(y, d) + Long.reverse(y)
                + Long.reverseBytes(y) + Long.signum(y);
        }
        System.out.println("spread " + sumInt + " " + sumLong);
    }
}
