// A latency probe: N slots, each holding a short chain of small objects, and
// M operations that each replace a random slot's chain. The gaps between
// consecutive operations (System.nanoTime) are measured; the longest gap and
// the number of gaps over 1 ms are printed only with --stats, otherwise the
// program prints deterministic checksums only.
// args: N M [--stats]
public class Main {
    static final class Link {
        final int value;
        final Link next;
        final int[] payload;

        Link(int value, Link next, int size) {
            this.value = value;
            this.next = next;
            this.payload = new int[size];
            for (int i = 0; i < size; i++) payload[i] = value + i;
        }
    }

    static long state = 0x9E3779B97F4A7C15L;

    static int next() {
        long x = state;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        state = x;
        return (int) (x >>> 32) & 0x7fffffff;
    }

    static Link makeChain(int seed) {
        int len = 1 + seed % 6;
        Link head = null;
        for (int i = 0; i < len; i++) {
            head = new Link(seed + i, head, 4 + (seed + i) % 29);
        }
        return head;
    }

    static long chainSum(Link l) {
        long s = 0;
        int n = 0;
        for (; l != null; l = l.next) {
            int[] p = l.payload;
            s += l.value * 31L + p.length + p[p.length - 1];
            n++;
        }
        return s * 7 + n;
    }

    public static void main(String[] args) {
        int n = 10000;
        int m = 200000;
        boolean stats = false;
        int positional = 0;
        for (String a : args) {
            if (a.equals("--stats")) {
                stats = true;
            } else if (positional == 0) {
                n = Integer.parseInt(a);
                positional++;
            } else {
                m = Integer.parseInt(a);
                positional++;
            }
        }
        Link[] slots = new Link[n];
        for (int i = 0; i < n; i++) slots[i] = makeChain(next());

        long checksum = 0;
        long allocatedBytes = 0;
        long maxGap = 0;
        int gapsOver1ms = 0;
        long start = System.nanoTime();
        long last = start;
        for (int op = 0; op < m; op++) {
            int slot = next() % n;
            Link old = slots[slot];
            checksum += chainSum(old);       // the old chain must still be intact
            int seed = next();
            Link fresh = makeChain(seed);
            slots[slot] = fresh;
            // rough allocation estimate: object headers plus fields and payload arrays
            for (Link l = fresh; l != null; l = l.next) allocatedBytes += 32 + 16 + 4L * l.payload.length;
            long now = System.nanoTime();
            long gap = now - last;
            if (gap > maxGap) maxGap = gap;
            if (gap > 1000000L) gapsOver1ms++;
            last = now;
            if ((op + 1) % (m / 4 == 0 ? 1 : m / 4) == 0) {
                System.out.println("after " + (op + 1) + " operations checksum " + checksum);
            }
        }
        long live = 0;
        for (Link l : slots) live += chainSum(l);
        System.out.println("slots " + n + " operations " + m + " final live checksum " + live);
        System.out.println("estimated allocation " + (allocatedBytes >> 20) + " MiB");
        if (stats) {
            long total = System.nanoTime() - start;
            System.out.println("total time " + total / 1000000 + " ms");
            System.out.println("max gap " + maxGap / 1000 + " us");
            System.out.println("gaps over 1 ms " + gapsOver1ms);
        }
    }
}
