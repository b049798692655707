//! Identity hashes: the same number for an object's whole life while
//! cycles move it, young and full, in every mode; spread over their range;
//! forgotten when the object dies.

use gc_core::Mode;
use movegc_tests::concurrent_heap;

const MODES: [Mode; 3] = [Mode::StopTheWorld, Mode::Move, Mode::Copy];
const N: usize = 5000;

/// `n` objects hashed (and `n` more hashed, then dropped) across young and
/// full cycles.
fn hashes_survive_moves(n: usize) {
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 64 << 20, |b| b) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let keep = s.alloc(types.refs, n as u32).unwrap();
            let mut hashes = Vec::with_capacity(n);
            for i in 0..n {
                // Garbage between them, so that they move; and objects hashed
                // then dropped.
                let dead = s.mutator().alloc(types.node, 0).unwrap();
                // SAFETY: a fresh node.
                unsafe { s.mutator().identity_hash(dead) };
                s.mutator().alloc(types.blob, 100).unwrap();
                let node = s.mutator().alloc(types.node, 0).unwrap();
                // SAFETY: a fresh node and a live array; no safepoint since.
                let hash = unsafe {
                    let arr = s.get(keep).unwrap();
                    s.mutator().write_ref(arr, 8 + i * 8, Some(node));
                    s.mutator().identity_hash(node)
                };
                assert!(hash < 1 << 31, "{mode:?}: {hash:#x} is wider than 31 bits");
                hashes.push(hash);
            }
            let mut distinct = hashes.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert!(
                distinct.len() > n * 99 / 100,
                "{mode:?}: {} distinct",
                distinct.len()
            );
            let before: Vec<usize> = {
                let arr = s.get(keep).unwrap();
                (0..n)
                    .map(|i| {
                        // SAFETY: a live array; no safepoint in the loop.
                        unsafe { s.mutator().read_ref(arr, 8 + i * 8) }
                            .unwrap()
                            .addr()
                    })
                    .collect()
            };
            for round in 0..4 {
                if round % 2 == 0 {
                    s.mutator().collect_young().unwrap();
                } else {
                    s.mutator().collect().unwrap();
                }
                let refs = heap.stats().last.unwrap().references;
                assert_eq!(refs.hashed, n, "{mode:?} round {round}: live nodes' hashes");
                // The first cycle finds the nodes hashed and dropped dead.
                let dropped = if round == 0 { n } else { 0 };
                assert_eq!(refs.hashes_dropped, dropped, "{mode:?} round {round}");
                let arr = s.get(keep).unwrap();
                for (i, &hash) in hashes.iter().enumerate() {
                    // SAFETY: a live array and node; no safepoint in the loop.
                    let got = unsafe {
                        let node = s.mutator().read_ref(arr, 8 + i * 8).unwrap();
                        s.mutator().identity_hash(node)
                    };
                    assert_eq!(got, hash, "{mode:?} round {round}: node {i}");
                }
                for _ in 0..2000 {
                    s.mutator().alloc(types.blob, 500).unwrap();
                }
            }
            let arr = s.get(keep).unwrap();
            let moved = (0..n)
                .filter(|&i| {
                    // SAFETY: a live array; no safepoint in the loop.
                    unsafe { s.mutator().read_ref(arr, 8 + i * 8) }
                        .unwrap()
                        .addr()
                        != before[i]
                })
                .count();
            assert!(moved > n / 2, "{mode:?}: only {moved} of {n} nodes moved");
        });
    }
}

#[test]
fn identity_hashes_survive_moves_and_are_dropped_with_their_objects() {
    hashes_survive_moves(N);
}

/// Past `REWRITE_IN_PAUSE` entries (16,384) the tables are rewritten after
/// the compaction pause, by the first thread to take them: the hashes read
/// right after each cycle must be those of the moved objects.
#[test]
fn a_table_too_large_for_the_pause_is_rewritten_after_it() {
    hashes_survive_moves(4 * N);
}
