// binary-trees (Benchmarks Game rules, single-threaded), as gc-workloads runs it
// in Rust: the same schedule and the same digest (the sum of every check), so
// that the harness can check HotSpot's result against the Rust variants'.
// args: depth. Prints the digest.
public final class BinaryTrees {
    private static final int MIN_DEPTH = 4;

    private static final class Node {
        final Node left;
        final Node right;

        Node(Node left, Node right) {
            this.left = left;
            this.right = right;
        }
    }

    private static Node bottomUp(int depth) {
        return depth > 0 ? new Node(bottomUp(depth - 1), bottomUp(depth - 1)) : new Node(null, null);
    }

    private static long check(Node n) {
        return 1 + (n.left == null ? 0 : check(n.left)) + (n.right == null ? 0 : check(n.right));
    }

    public static void main(String[] args) {
        int max = Math.max(Integer.parseInt(args[0]), MIN_DEPTH + 2);
        long digest = check(bottomUp(max + 1));
        Node kept = bottomUp(max);
        for (int d = MIN_DEPTH; d <= max; d += 2) {
            for (long i = 0; i < 1L << (max - d + MIN_DEPTH); i++) {
                digest += check(bottomUp(d));
            }
        }
        System.out.println(digest + check(kept));
    }
}
