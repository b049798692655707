import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The latency benchmark's workload (benches/src/bin/latency.rs) in Java, for
 * HotSpot's collectors: slots held in arrays of 1,000, each a chain of 12
 * nodes; an operation replaces a random slot's chain.
 *
 * <p>{@code java Latency PACED|FAST SLOTS WARMUP_MS MEASURED_MS}
 *
 * <p>Prints {@code key value} lines for latency.rs, which parses them: the
 * measured period ({@code from_ns}, {@code to_ns}) and the clock's origin
 * ({@code t0_ns}, a {@code System.nanoTime()} reading, to place the GC log's
 * {@code timenanos} lines), the operations, stalls and latencies, then one
 * {@code stall START END} line per stall overlapping the measured period, in
 * ns after the origin. The random slots, the pacing and the definitions of a
 * stall and a latency are latency.rs's, so that both sides measure the same.
 */
public final class Latency {
    static final int SLOTS_PER_ARRAY = 1_000;
    static final int CHAIN = 12;
    /** The paced run replaces the whole live set in this long. */
    static final long TURNOVER_NS = 10_000_000_000L;
    static final long STALL_NS = 50_000;
    static final long LONG_STALL_NS = 1_000_000;

    static final class Node {
        final Node next;
        final long slot;
        final long position;

        Node(Node next, long slot, long position) {
            this.next = next;
            this.slot = slot;
            this.position = position;
        }
    }

    /** xorshift64*, as latency.rs's Rng, so both replace the same slots. */
    static final class Rng {
        long s = 0x9e3779b97f4a7c15L;

        long next() {
            s ^= s >>> 12;
            s ^= s << 25;
            s ^= s >>> 27;
            return s * 0x2545f4914f6cdd1dL;
        }

        /** The high word of the unsigned 128-bit product, as latency.rs. */
        int below(int n) {
            long x = next();
            return (int) (Math.multiplyHigh(x, n) + ((x >> 63) & n));
        }
    }

    /** latency.rs's histogram: exact below 128 ns, then 64 buckets per power of two. */
    static final class Histogram {
        final long[] counts = new long[128 + 57 * 64];
        long n;
        long max;

        static int index(long v) {
            if (v < 128) {
                return (int) v;
            }
            int e = 63 - Long.numberOfLeadingZeros(v);
            long m = (v >> (e - 6)) - 64;
            return 128 + (e - 7) * 64 + (int) m;
        }

        static long upper(int i) {
            if (i < 128) {
                return i;
            }
            int e = (i - 128) / 64 + 7;
            long m = (i - 128) % 64 + 64;
            long u = (m + 1) << (e - 6);
            return u <= 0 ? Long.MAX_VALUE : u - 1;
        }

        void record(long v) {
            // A clock that stepped back is a zero latency, not an index out of bounds.
            v = Math.max(v, 0);
            counts[index(v)]++;
            n++;
            max = Math.max(max, v);
        }

        long quantile(double q) {
            long rank = Math.min(Math.max((long) Math.ceil(n * q), 1), Math.max(n, 1));
            long seen = 0;
            for (int i = 0; i < counts.length; i++) {
                seen += counts[i];
                if (seen >= rank) {
                    return Math.min(upper(i), max);
                }
            }
            return max;
        }
    }

    /** The clock reads of a run, as latency.rs's Recorder; times in ns after {@code t0}. */
    static final class Recorder {
        final long t0;
        final long from;
        final long to;
        final Histogram latency = new Histogram();
        /** Start and end of each stall overlapping the measured period, in turn. */
        long[] stalls = new long[2 * 4096];
        int stallCount;
        long maxGap;

        Recorder(long t0, long from, long to) {
            this.t0 = t0;
            this.from = from;
            this.to = to;
        }

        /** Two consecutive clock reads, as latency.rs's Recorder::gap. */
        void gap(long prev, long now) {
            long p = prev - t0;
            long n = now - t0;
            if (n <= from || p >= to) {
                return;
            }
            long gap = n - p;
            maxGap = Math.max(maxGap, gap);
            if (gap >= STALL_NS) {
                if (2 * stallCount == stalls.length) {
                    stalls = java.util.Arrays.copyOf(stalls, 2 * stalls.length);
                }
                stalls[2 * stallCount] = p;
                stalls[2 * stallCount + 1] = n;
                stallCount++;
            }
        }
    }

    /** The calling thread's involuntary context switches so far, or -1. */
    static long involuntarySwitches() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                if (l.startsWith("nonvoluntary_ctxt_switches:")) {
                    return Long.parseLong(l.substring(l.indexOf(':') + 1).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux, or not telling: the figure is left out.
        }
        return -1;
    }

    public static void main(String[] args) {
        if (args.length != 4 || !(args[0].equals("PACED") || args[0].equals("FAST"))) {
            System.err.println("usage: java Latency PACED|FAST SLOTS WARMUP_MS MEASURED_MS");
            System.exit(2);
        }
        boolean paced = args[0].equals("PACED");
        int slots = Integer.parseInt(args[1]);
        long warmup = Long.parseLong(args[2]) * 1_000_000L;
        long measured = Long.parseLong(args[3]) * 1_000_000L;

        long started = System.nanoTime();
        Node[][] arrays = new Node[(slots + SLOTS_PER_ARRAY - 1) / SLOTS_PER_ARRAY][SLOTS_PER_ARRAY];
        for (int slot = 0; slot < slots; slot++) {
            replace(arrays, slot);
        }
        long build = System.nanoTime() - started;

        long t0 = System.nanoTime();
        Recorder r = new Recorder(t0, warmup, warmup + measured);
        Rng rng = new Rng();
        long from = t0 + warmup;
        long to = t0 + warmup + measured;
        boolean begun = false;
        long switches = -1;
        long ops = 0;
        long last = t0;
        if (paced) {
            for (long k = 0; ; k++) {
                long due = t0 + k * TURNOVER_NS / slots;
                if (due - to >= 0) {
                    break;
                }
                if (due - from >= 0 && !begun) {
                    begun = true;
                    switches = involuntarySwitches();
                    last = System.nanoTime();
                }
                while (true) {
                    long now = System.nanoTime();
                    r.gap(last, now);
                    last = now;
                    if (now - due >= 0) {
                        break;
                    }
                }
                replace(arrays, rng.below(slots));
                long end = System.nanoTime();
                r.gap(last, end);
                last = end;
                if (due - from >= 0) {
                    r.latency.record(end - due);
                    ops++;
                }
            }
        } else {
            while (true) {
                long start = last;
                if (start - to >= 0) {
                    break;
                }
                if (start - from >= 0 && !begun) {
                    begun = true;
                    switches = involuntarySwitches();
                    last = System.nanoTime();
                    continue;
                }
                replace(arrays, rng.below(slots));
                long end = System.nanoTime();
                r.gap(start, end);
                last = end;
                if (start - from >= 0) {
                    r.latency.record(end - start);
                    ops++;
                }
            }
        }
        long after = involuntarySwitches();
        double elapsed = Math.max(last - from, 1) / 1e9;
        String bad = check(arrays, slots);
        if (bad != null) {
            System.err.println("Latency: the live set is corrupt after the run: " + bad);
            System.exit(1);
        }

        // One buffered write at the end: printing during the run would stall it.
        PrintStream out = new PrintStream(new java.io.BufferedOutputStream(System.out, 1 << 16), false);
        long longStalls = 0;
        for (int i = 0; i < r.stallCount; i++) {
            if (r.stalls[2 * i + 1] - r.stalls[2 * i] > LONG_STALL_NS) {
                longStalls++;
            }
        }
        out.println("t0_ns " + t0);
        out.println("from_ns " + warmup);
        out.println("to_ns " + (warmup + measured));
        out.println("build_s " + build / 1e9);
        out.println("ops " + ops);
        out.println("ops_per_s " + ops / elapsed);
        out.println("max_stall_ms " + r.maxGap / 1e6);
        out.println("stalls_over_1ms " + longStalls);
        out.println("stalls " + r.stallCount);
        out.println("p99_us " + r.latency.quantile(0.99) / 1e3);
        out.println("p9999_us " + r.latency.quantile(0.9999) / 1e3);
        out.println("max_latency_us " + r.latency.max / 1e3);
        if (switches >= 0 && after >= 0) {
            out.println("involuntary_switches " + (after - switches));
        }
        for (int i = 0; i < r.stallCount; i++) {
            out.println("stall " + r.stalls[2 * i] + " " + r.stalls[2 * i + 1]);
        }
        out.flush();
    }

    static void replace(Node[][] arrays, int slot) {
        Node head = null;
        for (int position = CHAIN - 1; position >= 0; position--) {
            head = new Node(head, slot, position);
        }
        arrays[slot / SLOTS_PER_ARRAY][slot % SLOTS_PER_ARRAY] = head;
    }

    /** Null if every slot holds a whole chain of its own, else what is wrong. */
    static String check(Node[][] arrays, int slots) {
        for (int slot = 0; slot < slots; slot++) {
            Node node = arrays[slot / SLOTS_PER_ARRAY][slot % SLOTS_PER_ARRAY];
            for (int position = 0; position < CHAIN; position++) {
                if (node == null || node.slot != slot || node.position != position) {
                    return "slot " + slot + ": node " + position + " is wrong";
                }
                node = node.next;
            }
            if (node != null) {
                return "slot " + slot + ": the chain is too long";
            }
        }
        return null;
    }
}
