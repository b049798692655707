// Boehm's GCBench, as gc-workloads runs it in Rust: a stretch tree, a
// long-lived tree and array, then trees of growing depth built top-down
// (populate) and bottom-up (make), with the same digest (the sum of every
// tree's node count, plus the long-lived tree's and a probe of the array) so
// that the harness can check HotSpot's result against the Rust variants'.
// args: stretch depth, long-lived depth, largest tree depth. Prints the digest.
public final class GCBench {
    private static final int MIN_TREE = 4;
    private static final int ARRAY = 500_000;

    private static final class Node {
        Node left;
        Node right;
        int i;
        int j;

        Node() {}

        Node(Node left, Node right) {
            this.left = left;
            this.right = right;
        }
    }

    private static long treeSize(int d) {
        return (1L << (d + 1)) - 1;
    }

    private static long numIters(int d, int stretch) {
        return 2 * treeSize(stretch) / treeSize(d);
    }

    private static void populate(int d, Node n) {
        if (d > 0) {
            n.left = new Node();
            n.right = new Node();
            populate(d - 1, n.left);
            populate(d - 1, n.right);
        }
    }

    private static Node make(int d) {
        return d == 0 ? new Node() : new Node(make(d - 1), make(d - 1));
    }

    private static long count(Node n) {
        return 1 + (n.left == null ? 0 : count(n.left)) + (n.right == null ? 0 : count(n.right));
    }

    public static void main(String[] args) {
        int stretch = Integer.parseInt(args[0]);
        int longLived = Integer.parseInt(args[1]);
        int maxTree = Integer.parseInt(args[2]);
        long digest = count(make(stretch));
        Node keep = new Node();
        populate(longLived, keep);
        double[] array = new double[ARRAY];
        for (int i = 1; i < ARRAY; i++) {
            array[i] = 1.0 / i;
        }
        for (int d = MIN_TREE; d <= maxTree; d += 2) {
            for (long i = 0; i < numIters(d, stretch); i++) {
                Node t = new Node();
                populate(d, t);
                digest += count(t);
            }
            for (long i = 0; i < numIters(d, stretch); i++) {
                digest += count(make(d));
            }
        }
        System.out.println(digest + count(keep) + (long) (array[1000] * 1e6));
    }
}
