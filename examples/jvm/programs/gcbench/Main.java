// Hans Boehm's and John Ellis's GCBench, in Java, with the timing and memory
// lines removed so that the output is deterministic (pass --stats to get the
// construction times on top).
// args: [stretchDepth longLivedDepth arraySize minDepth maxDepth] [--stats]
public class Main {
    static final class Node {
        Node left, right;
        int i, j;

        Node(Node l, Node r) {
            left = l;
            right = r;
        }

        Node() {
        }
    }

    static int stretchTreeDepth = 18;
    static int longLivedTreeDepth = 16;
    static int arraySize = 500000;
    static int minTreeDepth = 4;
    static int maxTreeDepth = 16;
    static boolean stats;

    // Nodes used by a tree of a given size
    static int treeSize(int i) {
        return (1 << (i + 1)) - 1;
    }

    // Number of iterations to use for a given tree depth
    static int numIters(int i) {
        return 2 * treeSize(stretchTreeDepth) / treeSize(i);
    }

    // Build tree top down, assigning to older objects.
    static void populate(int depth, Node node) {
        if (depth <= 0) {
            return;
        }
        depth--;
        node.left = new Node();
        node.right = new Node();
        populate(depth, node.left);
        populate(depth, node.right);
    }

    // Build tree bottom-up
    static Node makeTree(int depth) {
        if (depth <= 0) {
            return new Node();
        }
        return new Node(makeTree(depth - 1), makeTree(depth - 1));
    }

    static int count(Node n) {
        return n == null ? 0 : 1 + count(n.left) + count(n.right);
    }

    static void timeConstruction(int depth) {
        int iters = numIters(depth);
        System.out.println("Creating " + iters + " trees of depth " + depth);
        long start = System.nanoTime();
        Node tempTree = null;
        for (int i = 0; i < iters; ++i) {
            tempTree = new Node();
            populate(depth, tempTree);
        }
        long mid = System.nanoTime();
        System.out.println("\tTop down construction: last tree has " + count(tempTree) + " nodes");
        if (stats) System.out.println("\tTop down construction took " + (mid - start) / 1000000 + " msecs");
        mid = System.nanoTime();
        for (int i = 0; i < iters; ++i) {
            tempTree = makeTree(depth);
        }
        long end = System.nanoTime();
        System.out.println("\tBottom up construction: last tree has " + count(tempTree) + " nodes");
        if (stats) System.out.println("\tBottom up construction took " + (end - mid) / 1000000 + " msecs");
    }

    public static void main(String[] args) {
        int[] params = new int[5];
        int np = 0;
        for (String a : args) {
            if (a.equals("--stats")) stats = true;
            else if (np < params.length) params[np++] = Integer.parseInt(a);
        }
        if (np == 5) {
            stretchTreeDepth = params[0];
            longLivedTreeDepth = params[1];
            arraySize = params[2];
            minTreeDepth = params[3];
            maxTreeDepth = params[4];
        } else if (np != 0) {
            System.out.println("usage: Main [stretchDepth longLivedDepth arraySize minDepth maxDepth] [--stats]");
            System.exit(2);
        }
        long start = System.nanoTime();

        System.out.println("Garbage Collector Test");
        System.out.println(" Stretching memory with a binary tree of depth " + stretchTreeDepth);

        // Stretch the memory space quickly
        Node tempTree = makeTree(stretchTreeDepth);
        System.out.println(" Stretch tree has " + count(tempTree) + " nodes");
        tempTree = null;

        // Create a long lived object
        System.out.println(" Creating a long-lived binary tree of depth " + longLivedTreeDepth);
        Node longLivedTree = new Node();
        populate(longLivedTreeDepth, longLivedTree);

        // Create long-lived array, filling half of it
        System.out.println(" Creating a long-lived array of " + arraySize + " doubles");
        double[] array = new double[arraySize];
        for (int i = 0; i < arraySize / 2; ++i) {
            array[i] = 1.0 / i;
        }

        for (int d = minTreeDepth; d <= maxTreeDepth; d += 2) {
            timeConstruction(d);
        }

        if (longLivedTree == null || array[1000] != 1.0 / 1000) {
            System.out.println("Failed");
        }
        System.out.println(" Long-lived tree has " + count(longLivedTree) + " nodes, array[1000] = " + array[1000]);
        if (stats) System.out.println("Completed in " + (System.nanoTime() - start) / 1000000 + "ms.");
        else System.out.println("Completed");
    }
}
