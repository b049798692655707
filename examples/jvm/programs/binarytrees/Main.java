// The Computer Language Benchmarks Game: binary-trees (single-threaded).
// args: [maxDepth] (default 10)
public class Main {
    private static final int MIN_DEPTH = 4;

    public static void main(String[] args) {
        int n = 10;
        if (args.length > 0) n = Integer.parseInt(args[0]);

        int maxDepth = Math.max(MIN_DEPTH + 2, n);
        int stretchDepth = maxDepth + 1;

        System.out.println("stretch tree of depth " + stretchDepth + "\t check: " + bottomUpTree(stretchDepth).itemCheck());

        TreeNode longLivedTree = bottomUpTree(maxDepth);

        for (int depth = MIN_DEPTH; depth <= maxDepth; depth += 2) {
            int iterations = 1 << (maxDepth - depth + MIN_DEPTH);
            int check = 0;
            for (int i = 1; i <= iterations; i++) {
                check += bottomUpTree(depth).itemCheck();
            }
            System.out.println(iterations + "\t trees of depth " + depth + "\t check: " + check);
        }
        System.out.println("long lived tree of depth " + maxDepth + "\t check: " + longLivedTree.itemCheck());
    }

    private static TreeNode bottomUpTree(int depth) {
        if (depth > 0) {
            return new TreeNode(bottomUpTree(depth - 1), bottomUpTree(depth - 1));
        }
        return new TreeNode(null, null);
    }

    private static final class TreeNode {
        private final TreeNode left;
        private final TreeNode right;

        private TreeNode(TreeNode left, TreeNode right) {
            this.left = left;
            this.right = right;
        }

        private int itemCheck() {
            if (left == null) {
                return 1;
            }
            return 1 + left.itemCheck() + right.itemCheck();
        }
    }
}
