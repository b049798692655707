// Exercises ChainedMap with tens of thousands of String and Integer keys.
public class Main {
    static long seed = 0x2545F4914F6CDD1DL;

    static int nextInt(int bound) {
        seed ^= seed << 13;
        seed ^= seed >>> 7;
        seed ^= seed << 17;
        return (int) ((seed >>> 33) % bound);
    }

    static final class Key {
        final int a;
        final String b;

        Key(int a, String b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.a == a && k.b.equals(b);
        }

        @Override
        public int hashCode() {
            return a * 7 + b.hashCode();   // deliberately weak
        }

        @Override
        public String toString() {
            return "Key(" + a + "," + b + ")";
        }
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 50000;
        stringKeys(n);
        integerKeys(n);
        wordCounts();
        nestedMaps(n / 10);
        compositeKeys(n / 5);
        churn(n);
    }

    static void stringKeys(int n) {
        System.out.println("== string keys, n = " + n);
        ChainedMap<String, Integer> m = new ChainedMap<>();
        for (int i = 0; i < n; i++) {
            Integer prev = m.put("key" + i, i * 7);
            if (prev != null) System.out.println("unexpected previous value " + prev);
        }
        System.out.println("size " + m.size() + " capacity " + m.capacity() + " resizes " + m.resizes()
            + " longest chain " + m.longestChain());
        long sum = 0;
        int missing = 0;
        for (int i = 0; i < n; i++) {
            Integer v = m.get("key" + i);
            if (v == null) missing++;
            else sum += v;
        }
        System.out.println("lookup sum " + sum + " missing " + missing + " absent key " + m.get("nokey")
            + " contains key17 " + m.containsKey("key17"));
        int removed = 0;
        for (int i = 0; i < n; i += 3) {
            if (m.remove("key" + i) != null) removed++;
        }
        System.out.println("removed " + removed + " size " + m.size() + " remove again " + m.remove("key0"));
        for (int i = 0; i < n; i += 2) {
            m.put("key" + i, -i);
        }
        long iterSum = 0;
        long orderHash = 0;
        int count = 0;
        for (ChainedMap.Entry<String, Integer> e : m) {
            iterSum += e.getValue();
            orderHash = orderHash * 31 + e.getKey().hashCode();
            count++;
        }
        System.out.println("after re-put size " + m.size() + " iterated " + count + " value sum " + iterSum
            + " order hash " + orderHash);
        StringBuilder first = new StringBuilder();
        int k = 0;
        for (ChainedMap.Entry<String, Integer> e : m) {
            if (k++ == 8) break;
            first.append(e).append(' ');
        }
        System.out.println("first entries: " + first.toString().trim());
        int keyLen = 0;
        for (String key : m.keys()) keyLen += key.length();
        System.out.println("total key length " + keyLen);
    }

    static void integerKeys(int n) {
        System.out.println("== integer keys");
        ChainedMap<Integer, Integer> counts = new ChainedMap<>(4, 0.75f);
        int range = n / 2;
        for (int i = 0; i < n * 2; i++) {
            int key = nextInt(range) - range / 2;   // negative keys too
            Integer c = counts.get(key);
            counts.put(key, c == null ? 1 : c + 1);
        }
        int distinct = counts.size();
        int maxCount = 0, maxKey = 0;
        long total = 0;
        for (ChainedMap.Entry<Integer, Integer> e : counts) {
            int c = e.getValue();
            total += c;
            if (c > maxCount || (c == maxCount && e.getKey() < maxKey)) {
                maxCount = c;
                maxKey = e.getKey();
            }
        }
        System.out.println("distinct " + distinct + " total " + total + " most frequent " + maxKey + " x" + maxCount
            + " resizes " + counts.resizes());
        int[] histogram = new int[16];
        for (ChainedMap.Entry<Integer, Integer> e : counts) {
            histogram[Math.min(e.getValue(), 15)]++;
        }
        StringBuilder hs = new StringBuilder();
        for (int i = 1; i < histogram.length; i++) hs.append(i).append(':').append(histogram[i]).append(' ');
        System.out.println("histogram " + hs.toString().trim());
        // remove every key with an odd count, then check consistency
        ChainedMap<Integer, Integer> odd = new ChainedMap<>();
        for (ChainedMap.Entry<Integer, Integer> e : counts) {
            if (e.getValue() % 2 == 1) odd.put(e.getKey(), e.getValue());
        }
        for (ChainedMap.Entry<Integer, Integer> e : odd) counts.remove(e.getKey());
        int bad = 0;
        for (ChainedMap.Entry<Integer, Integer> e : counts) {
            if (e.getValue() % 2 == 1 || odd.containsKey(e.getKey())) bad++;
        }
        System.out.println("even-count keys " + counts.size() + " odd-count keys " + odd.size() + " inconsistent " + bad);
        ChainedMap<Long, Double> longs = new ChainedMap<>();
        for (long i = 0; i < 1000; i++) longs.put(i * 4294967296L + i, i / 8.0);
        double ds = 0;
        for (long i = 0; i < 1000; i++) ds += longs.get(i * 4294967296L + i);
        System.out.println("long keys " + longs.size() + " longest chain " + longs.longestChain() + " sum " + ds);
    }

    static void wordCounts() {
        System.out.println("== word counts");
        String[] vocab = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
            "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"};
        ChainedMap<String, int[]> counts = new ChainedMap<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            int a = nextInt(vocab.length);
            int b = nextInt(vocab.length);
            text.append(vocab[Math.min(a, b)]).append(' ');
        }
        String s = text.toString();
        int pos = 0;
        while (pos < s.length()) {
            int sp = s.indexOf(' ', pos);
            String w = s.substring(pos, sp);
            int[] c = counts.get(w);
            if (c == null) counts.put(w, c = new int[1]);
            c[0]++;
            pos = sp + 1;
        }
        // print in vocabulary order (deterministic regardless of table order)
        StringBuilder out = new StringBuilder();
        for (String w : vocab) {
            int[] c = counts.get(w);
            out.append(w).append('=').append(c == null ? 0 : c[0]).append(' ');
        }
        System.out.println(out.toString().trim());
        System.out.println("distinct words " + counts.size());
    }

    static void nestedMaps(int n) {
        System.out.println("== nested maps");
        ChainedMap<String, ChainedMap<Integer, String>> outer = new ChainedMap<>();
        for (int i = 0; i < n; i++) {
            String group = "g" + (i % 37);
            ChainedMap<Integer, String> inner = outer.get(group);
            if (inner == null) {
                inner = new ChainedMap<>(2, 1.0f);
                outer.put(group, inner);
            }
            inner.put(i, "v" + i * 3);
        }
        long total = 0;
        int entries = 0;
        for (ChainedMap.Entry<String, ChainedMap<Integer, String>> g : outer) {
            for (ChainedMap.Entry<Integer, String> e : g.getValue()) {
                total += e.getKey() + e.getValue().length();
                entries++;
            }
        }
        System.out.println("groups " + outer.size() + " entries " + entries + " checksum " + total);
        System.out.println("g5 has " + outer.get("g5").size() + ", g5[42] = " + outer.get("g5").get(42)
            + ", g5[43] = " + outer.get("g5").get(43));
    }

    static void compositeKeys(int n) {
        System.out.println("== composite keys");
        ChainedMap<Key, String> m = new ChainedMap<>();
        for (int i = 0; i < n; i++) {
            m.put(new Key(i % 100, "s" + (i / 100)), "val" + i);
        }
        int hits = 0;
        for (int i = 0; i < n; i++) {
            String v = m.get(new Key(i % 100, "s" + (i / 100)));
            if (v != null && v.equals("val" + i)) hits++;
        }
        System.out.println("size " + m.size() + " hits " + hits + " longest chain " + m.longestChain()
            + " sample " + m.get(new Key(5, "s3")) + " miss " + m.get(new Key(5, "nope")));
    }

    static void churn(int n) {
        System.out.println("== churn");
        ChainedMap<Integer, String> m = new ChainedMap<>();
        long check = 0;
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < n / 4; i++) {
                int key = nextInt(n);
                if (nextInt(3) == 0) {
                    String old = m.remove(key);
                    if (old != null) check += old.length();
                } else {
                    m.put(key, "r" + round + "k" + key);
                }
            }
            if (round % 5 == 4) {
                System.out.println("round " + round + " size " + m.size() + " capacity " + m.capacity() + " check " + check);
            }
        }
        long sum = 0;
        for (ChainedMap.Entry<Integer, String> e : m) {
            sum += e.getKey() * 3L + e.getValue().hashCode();
        }
        System.out.println("final size " + m.size() + " checksum " + sum);
        m.clear();
        System.out.println("cleared: size " + m.size() + " empty " + m.isEmpty() + " iterates " + m.iterator().hasNext());
    }
}
