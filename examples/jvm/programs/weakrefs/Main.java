import java.lang.ref.WeakReference;

// WeakReference: after System.gc() a referent nothing else holds reads
// null, one still held strongly reads the same object (moved or not, with
// its fields), and clear() empties a reference at once. Only the state after
// System.gc() is printed: before it, when an unreachable referent goes
// depends on the collector.
public class Main {
    static class Node {
        final int value;
        Node next;

        Node(int value, Node next) {
            this.value = value;
            this.next = next;
        }
    }

    // A subclass with a field of its own, laid out after the referent.
    static class Tagged extends WeakReference<Node> {
        final String tag;

        Tagged(Node referent, String tag) {
            super(referent);
            this.tag = tag;
        }
    }

    static Node chain(int n) {
        Node head = null;
        for (int i = n; i > 0; i--) {
            head = new Node(i, head);
        }
        return head;
    }

    static int sum(Node n) {
        int s = 0;
        for (; n != null; n = n.next) {
            s += n.value;
        }
        return s;
    }

    // Referents are made and read in methods of their own: on this JVM a
    // local holds its object until its frame returns (HotSpot's maps know a
    // dead local), so none of main's may hold one that should die.
    static WeakReference<Node> dropped(int n) {
        return new WeakReference<>(chain(n));
    }

    static Tagged droppedTagged(String tag) {
        return new Tagged(new Node(7, null), tag);
    }

    // Every third referent is also held strongly.
    static void fill(WeakReference<?>[] refs, Node[] strong) {
        for (int i = 0; i < refs.length; i++) {
            Node node = new Node(i, null);
            refs[i] = new WeakReference<>(node);
            if (i % 3 == 0) {
                strong[i] = node;
            }
        }
    }

    static String census(WeakReference<?>[] refs, Node[] strong) {
        int live = 0, dead = 0, right = 0;
        for (int i = 0; i < refs.length; i++) {
            Object o = refs[i].get();
            if (o == null) {
                dead++;
            } else {
                live++;
                if (strong != null && o == strong[i] && ((Node) o).value == i) {
                    right++;
                }
            }
        }
        return "live " + live + " dead " + dead + " right " + right;
    }

    static void garbage() {
        for (int i = 0; i < 2000; i++) {
            chain(20);
        }
    }

    public static void main(String[] args) {
        Node kept = chain(100);
        WeakReference<Node> held = new WeakReference<>(kept);
        WeakReference<Node> gone = dropped(50);
        WeakReference<Node> empty = new WeakReference<>(null);
        WeakReference<Node> cleared = new WeakReference<>(kept);
        cleared.clear();
        System.out.println("cleared at once: " + (cleared.get() == null));
        Tagged tagKept = new Tagged(kept.next, "kept");
        Tagged tagGone = droppedTagged("gone");
        WeakReference<?>[] refs = new WeakReference<?>[3000];
        Node[] strong = new Node[refs.length];
        fill(refs, strong);
        // Garbage, so that the collection has something to move past.
        garbage();

        System.gc();

        System.out.println("held: " + (held.get() == kept) + " sum " + sum(held.get()));
        System.out.println("held refersTo kept: " + held.refersTo(kept));
        System.out.println("gone: " + (gone.get() == null) + " refersTo null: " + gone.refersTo(null));
        System.out.println("empty: " + (empty.get() == null));
        System.out.println("cleared: " + (cleared.get() == null));
        System.out.println("tagged kept: " + tagKept.tag + " " + (tagKept.get() == kept.next)
            + " " + tagKept.get().value);
        System.out.println("tagged gone: " + tagGone.tag + " " + (tagGone.get() == null));
        System.out.println("many: " + census(refs, strong));

        // Dropping the last strong references: the next collection clears them.
        strong = null;
        kept = null;
        System.gc();
        System.out.println("after dropping: many " + census(refs, null) + ", held "
            + (held.get() == null) + ", tagged " + (tagKept.get() == null));
    }
}
