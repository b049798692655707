import java.util.Iterator;

// A separately chained hash map with power-of-two tables and resizing.
public class ChainedMap<K, V> implements Iterable<ChainedMap.Entry<K, V>> {
    public static final class Entry<K, V> {
        final K key;
        V value;
        final int hash;
        Entry<K, V> next;

        Entry(K key, V value, int hash, Entry<K, V> next) {
            this.key = key;
            this.value = value;
            this.hash = hash;
            this.next = next;
        }

        public K getKey() {
            return key;
        }

        public V getValue() {
            return value;
        }

        @Override
        public String toString() {
            return key + "=" + value;
        }
    }

    private Entry<K, V>[] table;
    private int size;
    private int resizes;
    private final float loadFactor;

    public ChainedMap() {
        this(16, 0.75f);
    }

    @SuppressWarnings("unchecked")
    public ChainedMap(int capacity, float loadFactor) {
        int cap = 1;
        while (cap < capacity) cap <<= 1;
        table = (Entry<K, V>[]) new Entry[cap];
        this.loadFactor = loadFactor;
    }

    static int spread(Object key) {
        int h = key.hashCode();
        return h ^ (h >>> 16);
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return table.length;
    }

    public int resizes() {
        return resizes;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    private Entry<K, V> find(Object key) {
        int h = spread(key);
        for (Entry<K, V> e = table[h & (table.length - 1)]; e != null; e = e.next) {
            if (e.hash == h && (e.key == key || e.key.equals(key))) return e;
        }
        return null;
    }

    public V get(Object key) {
        Entry<K, V> e = find(key);
        return e == null ? null : e.value;
    }

    public V getOrDefault(Object key, V dflt) {
        Entry<K, V> e = find(key);
        return e == null ? dflt : e.value;
    }

    public boolean containsKey(Object key) {
        return find(key) != null;
    }

    public V put(K key, V value) {
        int h = spread(key);
        int idx = h & (table.length - 1);
        for (Entry<K, V> e = table[idx]; e != null; e = e.next) {
            if (e.hash == h && (e.key == key || e.key.equals(key))) {
                V old = e.value;
                e.value = value;
                return old;
            }
        }
        table[idx] = new Entry<>(key, value, h, table[idx]);
        if (++size > table.length * loadFactor) resize();
        return null;
    }

    public V remove(Object key) {
        int h = spread(key);
        int idx = h & (table.length - 1);
        Entry<K, V> prev = null;
        for (Entry<K, V> e = table[idx]; e != null; prev = e, e = e.next) {
            if (e.hash == h && (e.key == key || e.key.equals(key))) {
                if (prev == null) table[idx] = e.next;
                else prev.next = e.next;
                size--;
                return e.value;
            }
        }
        return null;
    }

    public void clear() {
        for (int i = 0; i < table.length; i++) table[i] = null;
        size = 0;
    }

    @SuppressWarnings("unchecked")
    private void resize() {
        Entry<K, V>[] old = table;
        Entry<K, V>[] nt = (Entry<K, V>[]) new Entry[old.length * 2];
        int mask = nt.length - 1;
        for (Entry<K, V> head : old) {
            // keep relative order within a bucket: split into lo/hi lists
            Entry<K, V> loHead = null, loTail = null, hiHead = null, hiTail = null;
            for (Entry<K, V> e = head; e != null; ) {
                Entry<K, V> next = e.next;
                e.next = null;
                if ((e.hash & old.length) == 0) {
                    if (loTail == null) loHead = e; else loTail.next = e;
                    loTail = e;
                } else {
                    if (hiTail == null) hiHead = e; else hiTail.next = e;
                    hiTail = e;
                }
                e = next;
            }
            if (loHead != null) nt[loHead.hash & mask] = loHead;
            if (hiHead != null) nt[hiHead.hash & mask] = hiHead;
        }
        table = nt;
        resizes++;
    }

    public int longestChain() {
        int best = 0;
        for (Entry<K, V> head : table) {
            int n = 0;
            for (Entry<K, V> e = head; e != null; e = e.next) n++;
            if (n > best) best = n;
        }
        return best;
    }

    @Override
    public Iterator<Entry<K, V>> iterator() {
        return new Iterator<Entry<K, V>>() {
            int bucket = -1;
            Entry<K, V> current = null;
            int remaining = size;

            {
                advance();
            }

            private void advance() {
                if (current != null) current = current.next;
                while (current == null && ++bucket < table.length) current = table[bucket];
            }

            public boolean hasNext() {
                return current != null;
            }

            public Entry<K, V> next() {
                if (current == null) throw new IllegalStateException("iterator exhausted");
                Entry<K, V> e = current;
                advance();
                remaining--;
                return e;
            }
        };
    }

    public Iterable<K> keys() {
        ChainedMap<K, V> self = this;
        return new Iterable<K>() {
            public Iterator<K> iterator() {
                Iterator<Entry<K, V>> it = self.iterator();
                return new Iterator<K>() {
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    public K next() {
                        return it.next().key;
                    }
                };
            }
        };
    }
}
