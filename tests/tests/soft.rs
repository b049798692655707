//! Soft handles: they keep their objects through ordinary cycles, young and
//! full, and follow them when they move; when memory is short they are
//! weak, so an allocation that needs their objects' room gets it instead of
//! failing. In every mode.

use gc_core::{GcError, Mode, Soft};
use movegc_tests::concurrent_heap;

const MODES: [Mode; 3] = [Mode::StopTheWorld, Mode::Move, Mode::Copy];
const DATA: usize = 32;

#[test]
fn soft_handles_keep_their_objects_and_follow_them_across_cycles() {
    const N: usize = 2000;
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 64 << 20, |b| b) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        let mut soft: Vec<Soft> = Vec::new();
        let mut weak = Vec::new();
        for i in 0..N {
            // Garbage between them, so that they move.
            m.alloc(types.blob, 200).unwrap();
            let node = m.alloc(types.node, 0).unwrap();
            let other = m.alloc(types.node, 0).unwrap();
            // SAFETY: fresh nodes; no safepoint since they were allocated.
            unsafe {
                node.write_word(DATA, i);
                soft.push(m.soft(node));
                weak.push(m.weak(other));
            }
        }
        for round in 0..4 {
            for _ in 0..2000 {
                m.alloc(types.blob, 1000).unwrap();
            }
            if round % 2 == 0 {
                m.collect_young().unwrap();
            } else {
                m.collect().unwrap();
            }
            for (i, s) in soft.iter().enumerate() {
                let node = s
                    .get(&mut m)
                    .unwrap()
                    .unwrap_or_else(|| panic!("{mode:?} round {round}: soft handle {i} cleared"));
                // SAFETY: a live node; no safepoint since the read.
                assert_eq!(unsafe { node.read_word(DATA) }, i, "{mode:?} round {round}");
            }
        }
        let cleared = weak
            .iter()
            .filter(|w| w.get(&mut m).unwrap().is_none())
            .count();
        assert_eq!(
            cleared, N,
            "{mode:?}: weak handles to the same kind of nodes"
        );
        let stats = heap.stats();
        let refs = stats.last.as_ref().unwrap().references;
        assert_eq!((refs.soft, refs.soft_cleared), (N, 0), "{mode:?}");
    }
}

#[test]
fn soft_handles_are_cleared_before_an_allocation_fails() {
    /// Soft-held blobs: 24 MiB of a 32 MiB heap.
    const CACHED: usize = 48;
    const BLOB: u32 = 512 << 10;
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 32 << 20, |b| b) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        let soft: Vec<Soft> = (0..CACHED)
            .map(|_| {
                let blob = m.alloc(types.blob, BLOB).unwrap();
                // SAFETY: a fresh blob, allocated just now.
                unsafe { m.soft(blob) }
            })
            .collect();
        // 16 MiB kept live: it fits only if the cached blobs go.
        m.scope(|s| {
            let keep = s.alloc(types.refs, 32).unwrap();
            for i in 0..32 {
                let blob = match s.mutator().alloc(types.blob, BLOB) {
                    Ok(blob) => blob,
                    Err(e @ GcError::OutOfMemory { .. }) => {
                        panic!("{mode:?}: blob {i}: {e}, soft handles kept their objects")
                    }
                    Err(e) => panic!("{mode:?}: {e}"),
                };
                let arr = s.get(keep).unwrap();
                // SAFETY: live objects; no safepoint since they were read.
                unsafe { s.mutator().write_ref(arr, 8 + i * 8, Some(blob)) };
            }
        });
        let cleared = soft
            .iter()
            .filter(|h| h.get(&mut m).unwrap().is_none())
            .count();
        assert!(cleared > 0, "{mode:?}: no soft handle was cleared");
    }
}
