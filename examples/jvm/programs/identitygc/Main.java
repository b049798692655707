// System.identityHashCode and the default hashCode stay the same while a
// loop of System.gc() moves the objects: garbage was allocated before every
// hashed object, and each round drops a quarter of those still held, so each
// collection slides the rest down. Distinct objects get distinct hashes, with
// at most a few collisions. Only the checks are printed (hash values differ
// between VMs).
// args: [objects] [rounds]
public class Main {
    static final class Box {
        final int v;

        Box(int v) {
            this.v = v;
        }
    }

    static long sink;

    // short-lived garbage between collections
    static void churn(int count, int salt) {
        Object[] window = new Object[64];
        for (int i = 0; i < count; i++) {
            window[i & 63] = (i + salt) % 3 == 0 ? new long[8] : new Box(i);
        }
        sink += window.length;
    }

    static Object make(int i) {
        switch (i % 4) {
            case 0:
                return new Object();
            case 1:
                return new Box(i);
            case 2:
                return new int[i % 5];
            default:
                return new Object[] {null, null};
        }
    }

    // distinct values among hashes[0..n), counted with an open-addressing set
    static int distinct(int[] hashes, int n) {
        int cap = 1;
        while (cap < n * 2) cap <<= 1;
        int[] set = new int[cap];
        boolean[] used = new boolean[cap];
        int count = 0;
        for (int i = 0; i < n; i++) {
            int h = hashes[i];
            int s = (h * 0x9e3779b1) >>> 7 & (cap - 1);
            while (used[s] && set[s] != h) s = (s + 1) & (cap - 1);
            if (!used[s]) {
                used[s] = true;
                set[s] = h;
                count++;
            }
        }
        return count;
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        Object[] objs = new Object[n];
        Object[] junk = new Object[n];
        for (int i = 0; i < n; i++) {
            junk[i] = new long[1 + i % 7];
            objs[i] = make(i);
        }
        int[] hashes = new int[n];
        boolean sameAsHashCode = true;
        boolean nonNegative = true;
        for (int i = 0; i < n; i++) {
            hashes[i] = System.identityHashCode(objs[i]);
            if (objs[i].hashCode() != hashes[i]) sameAsHashCode = false;
            if (hashes[i] < 0) nonNegative = false;
        }
        junk = null;
        int unique = distinct(hashes, n);
        System.out.println("hashCode is identityHashCode: " + sameAsHashCode);
        System.out.println("hashes are non-negative: " + nonNegative);
        System.out.println("distinct hashes, at most 2 collisions: " + (unique >= n - 2));

        int held = n;
        boolean stable = true;
        for (int r = 0; r < rounds; r++) {
            churn(20000, r);
            System.gc();
            for (int i = 0; i < n; i++) {
                Object o = objs[i];
                if (o == null) continue;
                if (System.identityHashCode(o) != hashes[i] || o.hashCode() != hashes[i]) stable = false;
            }
            // drop a quarter of those held, spread out, so that the others move next time
            int seen = 0;
            for (int i = 0; i < n; i++) {
                if (objs[i] != null && seen++ % 4 == 1) {
                    objs[i] = null;
                    held--;
                }
            }
        }
        System.out.println("stable across " + rounds + " collections: " + stable);
        System.out.println("still held: " + held);

        boolean intact = true;
        for (int i = 0; i < n; i++) {
            Object o = objs[i];
            if (o == null) continue;
            switch (i % 4) {
                case 1 -> {
                    if (((Box) o).v != i) intact = false;
                }
                case 2 -> {
                    if (((int[]) o).length != i % 5) intact = false;
                }
                case 3 -> {
                    if (((Object[]) o).length != 2) intact = false;
                }
                default -> {
                }
            }
        }
        System.out.println("objects intact: " + intact);

        // a fresh object's hash is new, and stays
        Object late = new Box(-1);
        int lateHash = System.identityHashCode(late);
        churn(20000, 7);
        System.gc();
        System.out.println("late object stable: " + (System.identityHashCode(late) == lateHash));
        System.out.println("done: " + (sink > 0));
    }
}
