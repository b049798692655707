//! Objects really move and memory really goes back: after churn, the live
//! objects occupy a prefix of the moving space and the process's resident set
//! falls. In a test binary of its own, so no other test moves the RSS.

use gc_core::{Heap, Mode};
use movegc_tests::{Types, fixnum};

/// Resident bytes of this process, from /proc/self/statm.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("rss field");
    pages * 4096
}

#[test]
fn churn_compacts_live_data_to_a_prefix_and_returns_memory() {
    let (table, types) = Types::table();
    let heap = Heap::builder()
        .size(512 << 20)
        .mode(Mode::StopTheWorld)
        .types(table)
        .build()
        .unwrap();
    let mut m = heap.attach().unwrap();
    const KEEP_EVERY: usize = 50;
    const NODES: usize = 2_000_000;
    let (before, after, kept, used) = m.scope(|s| {
        let list = s.local(None);
        let mut kept = 0;
        for i in 0..NODES {
            // A raw reference: it is used before the next allocation, so it needs no handle.
            let node = s.mutator().alloc(types.node, 0).unwrap();
            // SAFETY: a fresh node; 24 is its tagged slot, 32 a data word, 8 a reference slot.
            unsafe {
                node.write_word(32, i);
                s.mutator().write_tagged(node, 24, fixnum(i as u64));
            }
            if i % KEEP_EVERY == 0 {
                let prev = s.get(list);
                // SAFETY: as above.
                unsafe { s.mutator().write_ref(node, 8, prev) };
                s.set(list, Some(node));
                kept += 1;
            }
        }
        let used = s.mutator().heap().stats().used;
        let before = rss();
        s.mutator().collect().unwrap();
        let after = rss();
        // Every survivor is in the prefix, in allocation order (the list runs newest first).
        let space = s.mutator().heap().moving_space();
        let mut at = s.get(list);
        let mut expected_index = (NODES - 1) / KEEP_EVERY * KEEP_EVERY;
        let mut n = 0;
        while let Some(node) = at {
            assert!(space.contains(&node.addr()));
            // SAFETY: reachable nodes, no safepoint in the loop.
            unsafe {
                assert_eq!(node.read_word(32), expected_index);
                at = s.mutator().read_ref(node, 8);
            }
            expected_index = expected_index.wrapping_sub(KEEP_EVERY);
            n += 1;
        }
        assert_eq!(n, kept);
        (before, after, kept, used)
    });
    let space = heap.moving_space();
    let list_bytes = kept * movegc_tests::NODE_SIZE;
    // The space holds the survivors, the root array of the handle... and nothing else but
    // the few objects the scope allocated: at most a page's worth more.
    assert!(
        space.len() >= list_bytes && space.len() <= list_bytes + 4096,
        "space {} for {} bytes live",
        space.len(),
        list_bytes
    );
    // Collections ran during the churn (and kept their freed pages for reuse); the
    // requested one returns every page above the live data.
    let freed = before.saturating_sub(after);
    let garbage = used - list_bytes;
    eprintln!(
        "rss before collection {} MiB, after {} MiB; heap in use before {} MiB",
        before >> 20,
        after >> 20,
        used >> 20
    );
    assert!(
        freed > garbage / 2,
        "rss fell by {freed} bytes, the heap held {garbage} bytes of garbage"
    );
    // Every survivor but the first had garbage below it, so it moved at least once.
    let moved = heap.stats().objects_moved;
    assert!(
        moved as usize >= kept - 1,
        "moved {moved} objects, kept {kept}"
    );
}
