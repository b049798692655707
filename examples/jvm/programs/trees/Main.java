import java.util.Iterator;

// Binary trees, a binary search tree with deletions, an AVL tree and linked
// lists (reverse, merge sort), all checked and summarised with checksums.
public class Main {
    static long seed = 42;

    static int rand(int bound) {
        seed = seed * 6364136223846793005L + 1442695040888963407L;
        return (int) ((seed >>> 33) % bound);
    }

    // ---------------------------------------------------------------- complete binary trees
    static final class Node {
        final Node left, right;
        final int value;

        Node(Node left, Node right, int value) {
            this.left = left;
            this.right = right;
            this.value = value;
        }
    }

    static Node build(int depth, int value) {
        if (depth == 0) return new Node(null, null, value);
        return new Node(build(depth - 1, 2 * value), build(depth - 1, 2 * value + 1), value);
    }

    static long check(Node n) {
        if (n.left == null) return n.value;
        return n.value + check(n.left) - check(n.right);
    }

    static int count(Node n) {
        return n == null ? 0 : 1 + count(n.left) + count(n.right);
    }

    static Node mirror(Node n) {
        if (n == null) return null;
        return new Node(mirror(n.right), mirror(n.left), n.value);
    }

    static boolean sameShapeMirrored(Node a, Node b) {
        if (a == null || b == null) return a == b;
        return a.value == b.value && sameShapeMirrored(a.left, b.right) && sameShapeMirrored(a.right, b.left);
    }

    static void completeTrees() {
        System.out.println("== complete trees");
        Node keep = build(12, 1);
        for (int depth = 4; depth <= 14; depth += 2) {
            int iterations = 1 << (16 - depth);
            long sum = 0;
            for (int i = 0; i < iterations; i++) {
                sum += check(build(depth, i)) + count(build(depth, -i));
            }
            System.out.println("depth " + depth + " iterations " + iterations + " checksum " + sum);
        }
        Node m = mirror(keep);
        System.out.println("kept tree nodes " + count(keep) + " check " + check(keep) + " mirror check " + check(m)
            + " mirrored " + sameShapeMirrored(keep, m));
    }

    // ---------------------------------------------------------------- BST with deletes
    static final class Bst<K extends Comparable<K>, V> implements Iterable<K> {
        final class Entry {
            K key;
            V value;
            Entry left, right;

            Entry(K key, V value) {
                this.key = key;
                this.value = value;
            }
        }

        Entry root;
        int size;

        V get(K key) {
            Entry e = root;
            while (e != null) {
                int c = key.compareTo(e.key);
                if (c == 0) return e.value;
                e = c < 0 ? e.left : e.right;
            }
            return null;
        }

        boolean put(K key, V value) {
            if (root == null) {
                root = new Entry(key, value);
                size++;
                return true;
            }
            Entry e = root;
            while (true) {
                int c = key.compareTo(e.key);
                if (c == 0) {
                    e.value = value;
                    return false;
                }
                if (c < 0) {
                    if (e.left == null) {
                        e.left = new Entry(key, value);
                        size++;
                        return true;
                    }
                    e = e.left;
                } else {
                    if (e.right == null) {
                        e.right = new Entry(key, value);
                        size++;
                        return true;
                    }
                    e = e.right;
                }
            }
        }

        boolean remove(K key) {
            int before = size;
            root = remove(root, key);
            return size < before;
        }

        private Entry remove(Entry e, K key) {
            if (e == null) return null;
            int c = key.compareTo(e.key);
            if (c < 0) {
                e.left = remove(e.left, key);
            } else if (c > 0) {
                e.right = remove(e.right, key);
            } else {
                size--;
                if (e.left == null) return e.right;
                if (e.right == null) return e.left;
                // replace by the successor (copied into a fresh node to churn the heap)
                Entry s = e.right;
                while (s.left != null) s = s.left;
                Entry repl = new Entry(s.key, s.value);
                size++;   // the nested remove decrements again
                repl.right = remove(e.right, s.key);
                repl.left = e.left;
                return repl;
            }
            return e;
        }

        int height() {
            return height(root);
        }

        private int height(Entry e) {
            return e == null ? 0 : 1 + Math.max(height(e.left), height(e.right));
        }

        boolean isOrdered() {
            K prev = null;
            for (K k : this) {
                if (prev != null && prev.compareTo(k) >= 0) return false;
                prev = k;
            }
            return true;
        }

        // in-order iterator with an explicit stack
        public Iterator<K> iterator() {
            return new Iterator<K>() {
                @SuppressWarnings("unchecked")
                Entry[] stack = (Entry[]) new Bst.Entry[64];
                int sp = 0;

                {
                    pushLeft(root);
                }

                void pushLeft(Entry e) {
                    while (e != null) {
                        if (sp == stack.length) {
                            @SuppressWarnings("unchecked")
                            Entry[] bigger = (Entry[]) new Bst.Entry[sp * 2];
                            System.arraycopy(stack, 0, bigger, 0, sp);
                            stack = bigger;
                        }
                        stack[sp++] = e;
                        e = e.left;
                    }
                }

                public boolean hasNext() {
                    return sp > 0;
                }

                public K next() {
                    Entry e = stack[--sp];
                    pushLeft(e.right);
                    return e.key;
                }
            };
        }
    }

    static void bst() {
        System.out.println("== binary search tree");
        Bst<Integer, String> t = new Bst<>();
        int inserted = 0;
        for (int i = 0; i < 20000; i++) {
            if (t.put(rand(100000), "v" + i)) inserted++;
        }
        System.out.println("inserted " + inserted + " size " + t.size + " height " + t.height() + " ordered " + t.isOrdered());
        long sum = 0;
        int n = 0;
        for (Integer k : t) {
            sum += k;
            n++;
        }
        System.out.println("in-order count " + n + " key sum " + sum);
        int removed = 0;
        seed = 42;
        for (int i = 0; i < 20000; i += 2) {
            int k = rand(100000);
            rand(100000);
            if (t.remove(k)) removed++;
        }
        System.out.println("removed " + removed + " size " + t.size + " height " + t.height() + " ordered " + t.isOrdered());
        long sum2 = 0;
        int found = 0;
        for (int k = 0; k < 100000; k += 7) {
            String v = t.get(k);
            if (v != null) {
                found++;
                sum2 += v.length() + k;
            }
        }
        System.out.println("lookups found " + found + " checksum " + sum2);
        // sequential keys degenerate into a list: keep it short to bound recursion depth
        Bst<String, Integer> words = new Bst<>();
        String[] ws = {"m", "f", "t", "c", "h", "p", "w", "a", "d", "g", "k", "n", "r", "u", "z"};
        for (int i = 0; i < ws.length; i++) words.put(ws[i], i);
        words.remove("m");
        words.remove("a");
        words.remove("t");
        words.remove("q");
        StringBuilder sb = new StringBuilder();
        for (String w : words) sb.append(w);
        System.out.println("words " + sb + " size " + words.size + " root " + words.root.key + " height " + words.height());
        Bst<Integer, Integer> chain = new Bst<>();
        for (int i = 0; i < 500; i++) chain.put(i, i);
        for (int i = 0; i < 500; i += 3) chain.remove(i);
        System.out.println("chain size " + chain.size + " height " + chain.height() + " ordered " + chain.isOrdered());
    }

    // ---------------------------------------------------------------- AVL tree
    static final class Avl {
        static final class N {
            final int key;
            int height = 1;
            N left, right;

            N(int key) {
                this.key = key;
            }
        }

        N root;
        int rotations;

        static int h(N n) {
            return n == null ? 0 : n.height;
        }

        static void fix(N n) {
            n.height = 1 + Math.max(h(n.left), h(n.right));
        }

        N rotateRight(N y) {
            rotations++;
            N x = y.left;
            y.left = x.right;
            x.right = y;
            fix(y);
            fix(x);
            return x;
        }

        N rotateLeft(N x) {
            rotations++;
            N y = x.right;
            x.right = y.left;
            y.left = x;
            fix(x);
            fix(y);
            return y;
        }

        N balance(N n) {
            fix(n);
            int bf = h(n.left) - h(n.right);
            if (bf > 1) {
                if (h(n.left.left) < h(n.left.right)) n.left = rotateLeft(n.left);
                return rotateRight(n);
            }
            if (bf < -1) {
                if (h(n.right.right) < h(n.right.left)) n.right = rotateRight(n.right);
                return rotateLeft(n);
            }
            return n;
        }

        void insert(int key) {
            root = insert(root, key);
        }

        N insert(N n, int key) {
            if (n == null) return new N(key);
            if (key < n.key) n.left = insert(n.left, key);
            else if (key > n.key) n.right = insert(n.right, key);
            else return n;
            return balance(n);
        }

        boolean valid(N n, long lo, long hi) {
            if (n == null) return true;
            if (n.key <= lo || n.key >= hi) return false;
            int bf = h(n.left) - h(n.right);
            if (bf < -1 || bf > 1 || n.height != 1 + Math.max(h(n.left), h(n.right))) return false;
            return valid(n.left, lo, n.key) && valid(n.right, n.key, hi);
        }

        long sum(N n, int depth) {
            return n == null ? 0 : n.key * (long) depth + sum(n.left, depth + 1) + sum(n.right, depth + 1);
        }
    }

    static void avl() {
        System.out.println("== AVL tree");
        Avl t = new Avl();
        for (int i = 0; i < 30000; i++) t.insert(i);          // ascending: worst case for a plain BST
        System.out.println("ascending 30000: height " + Avl.h(t.root) + " rotations " + t.rotations + " valid "
            + t.valid(t.root, Long.MIN_VALUE, Long.MAX_VALUE) + " depth-weighted sum " + t.sum(t.root, 1));
        Avl r = new Avl();
        for (int i = 0; i < 30000; i++) r.insert(rand(1 << 20) - (1 << 19));
        System.out.println("random: height " + Avl.h(r.root) + " rotations " + r.rotations + " valid "
            + r.valid(r.root, Long.MIN_VALUE, Long.MAX_VALUE) + " depth-weighted sum " + r.sum(r.root, 1));
    }

    // ---------------------------------------------------------------- linked lists
    static final class Cell {
        int value;
        Cell next;

        Cell(int value, Cell next) {
            this.value = value;
            this.next = next;
        }
    }

    static Cell reverse(Cell head) {
        Cell prev = null;
        while (head != null) {
            Cell next = head.next;
            head.next = prev;
            prev = head;
            head = next;
        }
        return prev;
    }

    static Cell mergeSort(Cell head) {
        if (head == null || head.next == null) return head;
        Cell slow = head, fast = head.next;
        while (fast != null && fast.next != null) {
            slow = slow.next;
            fast = fast.next.next;
        }
        Cell second = slow.next;
        slow.next = null;
        return merge(mergeSort(head), mergeSort(second));
    }

    static Cell merge(Cell a, Cell b) {
        Cell dummy = new Cell(0, null);
        Cell tail = dummy;
        while (a != null && b != null) {
            if (a.value <= b.value) {
                tail.next = a;
                a = a.next;
            } else {
                tail.next = b;
                b = b.next;
            }
            tail = tail.next;
        }
        tail.next = a != null ? a : b;
        return dummy.next;
    }

    static long listHash(Cell c) {
        long h = 17;
        int n = 0;
        for (; c != null; c = c.next, n++) h = h * 1000003 + c.value;
        return h * 31 + n;
    }

    static boolean sorted(Cell c) {
        for (; c != null && c.next != null; c = c.next) {
            if (c.value > c.next.value) return false;
        }
        return true;
    }

    static void lists() {
        System.out.println("== linked lists");
        Cell head = null;
        for (int i = 0; i < 50000; i++) head = new Cell(rand(1000000) - 500000, head);
        long h0 = listHash(head);
        Cell rev = reverse(head);
        long h1 = listHash(rev);
        Cell back = reverse(rev);
        System.out.println("hash " + h0 + " reversed " + h1 + " reversed twice equal " + (listHash(back) == h0));
        Cell s = mergeSort(back);
        System.out.println("merge sorted: sorted " + sorted(s) + " first " + s.value + " hash " + listHash(s));
        int len = 0;
        long sum = 0;
        for (Cell c = s; c != null; c = c.next) {
            len++;
            sum += c.value;
        }
        System.out.println("length " + len + " sum " + sum);
        // interleave deletions: drop every other cell, then copy the list (fresh allocation)
        for (Cell c = s; c != null && c.next != null; c = c.next) c.next = c.next.next;
        Cell copy = null, tail = null;
        for (Cell c = s; c != null; c = c.next) {
            Cell n = new Cell(c.value * 3, null);
            if (tail == null) copy = n;
            else tail.next = n;
            tail = n;
        }
        System.out.println("after deletions and copy: hash " + listHash(copy) + " sorted " + sorted(copy));
        Cell desc = mergeSort(reverse(copy));
        System.out.println("re-sorted equals copy: " + (listHash(desc) == listHash(copy)));
    }

    public static void main(String[] args) {
        completeTrees();
        bst();
        avl();
        lists();
    }
}
