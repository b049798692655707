//! Concurrent compaction (modes Move and Copy) against the model: mutators run,
//! fault, and build pages themselves while the compaction thread places the
//! rest. Needs userfaultfd: on CI (`CI=true`) its absence fails these tests;
//! elsewhere they skip, saying why.

use gc_core::{GcError, Heap, Mode};
use movegc_tests::Types;

const LARGE_LEN: u32 = 5000;

/// A heap in `mode`, or `None` (with the reason printed) where it cannot run.
fn heap(mode: Mode, size: usize) -> Option<(Heap, Types)> {
    let (table, types) = Types::table();
    match Heap::builder()
        .size(size)
        .mode(mode)
        .gc_threads(2)
        .verify(true)
        .types(table)
        .build()
    {
        Ok(heap) => Some((heap, types)),
        Err(GcError::Config(why)) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: {why}");
            None
        }
        Err(e) => panic!("{mode:?} heap: {e}"),
    }
}

fn graphs_survive(mode: Mode, threads: usize, rounds: usize) {
    let Some((heap, types)) = heap(mode, 24 << 20) else {
        return;
    };
    movegc_tests::run_threads(&heap, types, threads, rounds, 1500, LARGE_LEN);
    let s = heap.stats();
    assert!(
        s.collections >= rounds as u64 / 4,
        "collections: {}",
        s.collections
    );
    assert!(
        s.pages_by_gc + s.pages_by_mutators > 0,
        "pages were built concurrently"
    );
    match mode {
        Mode::Move => assert!(s.pages_moved > 0, "MOVE placed pages"),
        _ => assert_eq!(s.pages_moved, 0, "COPY mode never moves"),
    }
    assert!(s.pages_copied + s.pages_moved >= s.pages_by_gc + s.pages_by_mutators);
}

#[test]
fn move_mode_one_thread() {
    graphs_survive(Mode::Move, 1, 24);
}

#[test]
fn move_mode_eight_threads() {
    graphs_survive(Mode::Move, 8, 12);
}

#[test]
fn copy_mode_two_threads() {
    graphs_survive(Mode::Copy, 2, 16);
}

/// Right after a pause, a mutator walks a long list from its oldest cell (at
/// the bottom of the heap) while the compaction thread works from the top:
/// the pages the mutator reaches first it builds itself, and every cell reads
/// back as written.
#[test]
fn mutators_build_pages_they_touch_first() {
    let Some((heap, types)) = heap(Mode::Move, 64 << 20) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    const CELLS: usize = 200_000;
    for round in 0..3 {
        m.scope(|s| {
            // An appending list: head is the oldest cell, so the lowest address.
            let head = s.local(None);
            let tail = s.local(None);
            for i in 0..CELLS {
                let cell = s.mutator().alloc(types.node, 0).unwrap();
                // SAFETY: a fresh node; 32 is a data word, 8 a reference slot.
                unsafe { cell.write_word(32, i) };
                match s.get(tail) {
                    // SAFETY: `last` is the live tail; no allocation since it was read.
                    Some(last) => unsafe { s.mutator().write_ref(last, 8, Some(cell)) },
                    None => s.set(head, Some(cell)),
                }
                s.set(tail, Some(cell));
                // Garbage between the cells, so that they move.
                s.mutator().alloc(types.blob, 64).unwrap();
            }
            // Allocate until a collection triggered by the budget has run: it
            // returns right after its pause, with compaction under way.
            let seen = s.mutator().heap().stats().collections;
            while s.mutator().heap().stats().collections == seen {
                s.mutator().alloc(types.blob, 200).unwrap();
            }
            let mut at = s.get(head);
            let mut n = 0;
            while let Some(cell) = at {
                // SAFETY: reachable cells; no safepoint in the loop.
                unsafe {
                    assert_eq!(cell.read_word(32), n, "round {round}");
                    at = s.mutator().read_ref(cell, 8);
                }
                n += 1;
            }
            assert_eq!(n, CELLS);
        });
    }
    let s = heap.stats();
    assert!(
        s.pages_by_mutators > 0,
        "no page was built by a mutator: {s:?}"
    );
    assert!(
        s.pages_by_gc > 0,
        "no page was built by the compaction thread: {s:?}"
    );
}

#[test]
fn unavailable_modes_are_refused_with_the_reason() {
    // Where the kernel allows both, this asserts nothing can go wrong in building;
    // where it does not, the error must say why.
    for mode in [Mode::Move, Mode::Copy] {
        match Heap::builder().size(8 << 20).mode(mode).build() {
            Ok(heap) => assert_eq!(heap.mode(), mode),
            Err(GcError::Config(why)) => assert!(
                why.contains("unavailable") || why.contains("pages"),
                "{why}"
            ),
            Err(e) => panic!("{e}"),
        }
    }
}
