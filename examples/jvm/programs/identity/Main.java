// Identity hash codes must survive collections that move objects. The values
// themselves are never printed (they differ between VMs), only the checks.
// args: [objects] [MiB of garbage per phase]
public class Main {
    static final class Node {
        final int id;
        Node next;
        final int[] payload;

        Node(int id, Node next) {
            this.id = id;
            this.next = next;
            this.payload = new int[] {id, id * 3, ~id};
        }
    }

    static final class Tagged {
        final String tag;

        Tagged(String tag) {
            this.tag = tag;
        }

        // no hashCode/equals override: identity semantics
    }

    static long sink;

    // allocate `mib` MiB of short-lived garbage, keeping a rotating window alive
    static void churn(int mib, int salt) {
        Object[] window = new Object[512];
        long bytes = 0;
        long limit = (long) mib << 20;
        int i = 0;
        while (bytes < limit) {
            int kind = (i + salt) % 4;
            Object o;
            if (kind == 0) {
                o = new byte[1024];
                bytes += 1040;
            } else if (kind == 1) {
                Node n = null;
                for (int k = 0; k < 8; k++) n = new Node(k, n);
                o = n;
                bytes += 8 * 64;
            } else if (kind == 2) {
                o = new long[64];
                bytes += 528;
            } else {
                o = "garbage" + i;
                bytes += 64;
            }
            window[i & 511] = o;
            i++;
        }
        sink += i;
    }

    static int slot(int h, int mask) {
        h ^= h >>> 16;
        h *= 0x45d9f3b;
        h ^= h >>> 16;
        return h & mask;
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20000;
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        Object[] objs = new Object[n];
        Node chain = null;
        for (int i = 0; i < n; i++) {
            switch (i % 5) {
                case 0 -> objs[i] = new Object();
                case 1 -> {
                    chain = new Node(i, chain);
                    objs[i] = chain;
                }
                case 2 -> objs[i] = new int[i % 13];
                case 3 -> objs[i] = new Tagged("t" + i);
                default -> objs[i] = new Object[] {objs[i - 1], "x" + i};
            }
        }
        // hash the even-indexed objects now, the odd ones only after a collection
        int[] hashes = new int[n];
        int[] ids = new int[n];
        boolean idMatches = true;
        for (int i = 0; i < n; i += 2) {
            hashes[i] = objs[i].hashCode();
            ids[i] = System.identityHashCode(objs[i]);
            if (hashes[i] != ids[i]) idMatches = false;
        }
        String str = "identity" + n;
        int strIdentity = System.identityHashCode(str);
        int strHash = str.hashCode();

        churn(mib, 0);
        System.gc();

        boolean stable = true;
        for (int i = 0; i < n; i += 2) {
            if (objs[i].hashCode() != hashes[i] || System.identityHashCode(objs[i]) != ids[i]) stable = false;
        }
        System.out.println("identity hashes stable after first collection: " + stable);
        for (int i = 1; i < n; i += 2) {
            hashes[i] = objs[i].hashCode();
            ids[i] = System.identityHashCode(objs[i]);
            if (hashes[i] != ids[i]) idMatches = false;
        }
        System.out.println("identityHashCode equals hashCode: " + idMatches);

        // an open-addressing identity table built now, probed after more collections
        int cap = 1;
        while (cap < n * 2) cap <<= 1;
        Object[] table = new Object[cap];
        int[] where = new int[cap];
        for (int i = 0; i < n; i++) {
            int s = slot(System.identityHashCode(objs[i]), cap - 1);
            while (table[s] != null) s = (s + 1) & (cap - 1);
            table[s] = objs[i];
            where[s] = i;
        }

        churn(mib, 1);
        System.gc();
        churn(mib / 2, 2);
        System.gc();

        stable = true;
        for (int i = 0; i < n; i++) {
            if (objs[i].hashCode() != hashes[i] || System.identityHashCode(objs[i]) != ids[i]) stable = false;
        }
        System.out.println("identity hashes stable after more collections: " + stable);
        int found = 0;
        for (int i = 0; i < n; i++) {
            int s = slot(System.identityHashCode(objs[i]), cap - 1);
            while (table[s] != null && table[s] != objs[i]) s = (s + 1) & (cap - 1);
            if (table[s] == objs[i] && where[s] == i) found++;
        }
        System.out.println("identity table lookups found: " + found + "/" + n);

        boolean distinct = false;
        for (int i = 1; i < n; i++) {
            if (hashes[i] != hashes[0]) distinct = true;
        }
        System.out.println("not all identity hashes equal: " + distinct);
        System.out.println("string identity hash stable: " + (System.identityHashCode(str) == strIdentity)
            + ", string hashCode unchanged: " + (str.hashCode() == strHash) + ", equals content hash: "
            + (str.hashCode() == ("identity" + n).hashCode()));
        System.out.println("identityHashCode(null) == 0: " + (System.identityHashCode(null) == 0));

        // the objects themselves must be intact after moving
        boolean intact = true;
        int nodes = 0;
        for (Node c = chain; c != null; c = c.next) {
            nodes++;
            if (c.payload[0] != c.id || c.payload[1] != c.id * 3 || c.payload[2] != ~c.id) intact = false;
            if (objs[c.id] != c) intact = false;
        }
        for (int i = 0; i < n; i++) {
            Object o = objs[i];
            switch (i % 5) {
                case 2 -> {
                    if (!(o instanceof int[] a) || a.length != i % 13) intact = false;
                }
                case 3 -> {
                    if (!(o instanceof Tagged t) || !t.tag.equals("t" + i)) intact = false;
                }
                case 4 -> {
                    Object[] pair = (Object[]) o;
                    if (pair[0] != objs[i - 1] || !pair[1].equals("x" + i)) intact = false;
                }
                default -> {
                }
            }
        }
        System.out.println("objects intact: " + intact + ", chain nodes " + nodes);
        boolean eq = true;
        for (int i = 1; i < n; i++) {
            if (!objs[i].equals(objs[i]) || objs[i].equals(objs[i - 1])) eq = false;
        }
        System.out.println("identity equals consistent: " + eq);

        // fresh objects hashed after all that still get stable hashes
        Object[] late = new Object[1000];
        int[] lateHashes = new int[late.length];
        for (int i = 0; i < late.length; i++) {
            late[i] = new Tagged("late");
            lateHashes[i] = late[i].hashCode();
        }
        churn(mib / 2, 3);
        System.gc();
        stable = true;
        for (int i = 0; i < late.length; i++) {
            if (late[i].hashCode() != lateHashes[i]) stable = false;
        }
        System.out.println("late objects stable: " + stable);
        System.out.println("done: " + (sink > 0));
    }
}
