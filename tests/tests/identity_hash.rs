//! Identity hashes: the same number for an object's whole life while
//! cycles move it, young and full, in every mode; spread over their range;
//! forgotten when the object dies.

use gc_core::Mode;
use movegc_tests::concurrent_heap;

const MODES: [Mode; 3] = [Mode::StopTheWorld, Mode::Move, Mode::Copy];
const N: usize = 5000;

#[test]
fn identity_hashes_survive_moves_and_are_dropped_with_their_objects() {
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 64 << 20, |b| b) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let keep = s.alloc(types.refs, N as u32).unwrap();
            let mut hashes = Vec::with_capacity(N);
            for i in 0..N {
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
                distinct.len() > N * 99 / 100,
                "{mode:?}: {} distinct",
                distinct.len()
            );
            let before: Vec<usize> = {
                let arr = s.get(keep).unwrap();
                (0..N)
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
                assert_eq!(refs.hashed, N, "{mode:?} round {round}: live nodes' hashes");
                // The first cycle finds the nodes hashed and dropped dead.
                let dropped = if round == 0 { N } else { 0 };
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
            let moved = (0..N)
                .filter(|&i| {
                    // SAFETY: a live array; no safepoint in the loop.
                    unsafe { s.mutator().read_ref(arr, 8 + i * 8) }
                        .unwrap()
                        .addr()
                        != before[i]
                })
                .count();
            assert!(moved > N / 2, "{mode:?}: only {moved} of {N} nodes moved");
        });
    }
}
