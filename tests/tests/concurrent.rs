//! Concurrent compaction (modes Move and Copy) against the model: mutators run,
//! fault, and build pages themselves while the compaction thread places the
//! rest. Needs userfaultfd: on CI (`CI=true`) its absence fails these tests;
//! elsewhere they skip, saying why.

use gc_core::{GcError, HandleScope, Heap, Local, Mode, Mutator};
use movegc_tests::Types;

const LARGE_LEN: u32 = 5000;

/// A heap in `mode`, or `None` (with the reason printed) where it cannot run.
fn heap(mode: Mode, size: usize, compaction_threads: usize) -> Option<(Heap, Types)> {
    movegc_tests::concurrent_heap(mode, size, |b| b.compaction_threads(compaction_threads))
}

/// `threads` mutators and `compaction_threads` compaction threads.
fn graphs_survive(mode: Mode, threads: usize, rounds: usize, compaction_threads: usize) {
    let Some((heap, types)) = heap(mode, 24 << 20, compaction_threads) else {
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
        // Only large objects' pages, relinked where the kernel can move them.
        _ => assert_eq!(
            s.pages_moved, s.pages_relinked,
            "COPY mode moves nothing else"
        ),
    }
    assert!(s.pages_copied + s.pages_moved >= s.pages_by_gc + s.pages_by_mutators);
    let last = s.last_compaction.expect("a compaction ran");
    assert_eq!(last.threads, compaction_threads);
    if compaction_threads == 1 {
        assert_eq!(s.pages_by_helpers, 0);
    }
}

/// An appending list of `cells` nodes numbered from 0 (data word 32, next at
/// 8), garbage between them so that they move: its head, the oldest cell, at
/// the lowest address.
fn numbered_list<'s>(s: &mut HandleScope<'s>, types: Types, cells: usize) -> Local<'s> {
    spaced_list(s, types, cells, 64)
}

/// A numbered list as [`numbered_list`]'s, each cell followed by `garbage`
/// bytes of garbage.
fn spaced_list<'s>(s: &mut HandleScope<'s>, types: Types, cells: usize, garbage: u32) -> Local<'s> {
    let head = s.local(None);
    let tail = s.local(None);
    for i in 0..cells {
        append_numbered(s, types, (head, tail), i, garbage);
    }
    head
}

/// A heap of `size` in `mode` whose cycles run only when asked.
fn requested_heap(mode: Mode, size: usize) -> Option<(Heap, Types)> {
    movegc_tests::concurrent_heap(mode, size, |b| {
        b.policy(movegc_tests::requested_cycles_only())
    })
}

/// A cycle every 24 MiB allocated, its young cycles marking and compacting
/// concurrently however few their survivors.
fn budget_of_24_mib() -> gc_core::Policy {
    gc_core::Policy::default()
        .young_budget(Some(24 << 20))
        .young_slide_limit(0)
        .young_pause_objects(0)
}

/// The size of [`held_back_heap`]'s heaps.
const HELD_BACK_HEAP: usize = 64 << 20;

/// [`held_back_heap`]'s injection: the compaction thread starts 100 ms late.
fn held_back() -> gc_core::inject::Injection {
    gc_core::inject::Injection {
        compaction_delay: Some(std::time::Duration::from_millis(100)),
        ..Default::default()
    }
}

/// A Move heap whose compaction thread waits 100 ms before it builds
/// anything (an injected delay), configured further by `configure`.
fn held_back_heap(
    configure: impl Fn(gc_core::HeapBuilder) -> gc_core::HeapBuilder,
) -> Option<(Heap, Types)> {
    movegc_tests::concurrent_heap(Mode::Move, HELD_BACK_HEAP, |b| {
        configure(b.inject(held_back()))
    })
}

/// Allocates with `alloc` until a cycle has passed its compaction pause
/// (its compaction, if concurrent, may still run); returns the compactions
/// finished before it.
fn allocate_into_a_compaction(
    s: &mut HandleScope<'_>,
    mut alloc: impl FnMut(&mut HandleScope<'_>),
) -> u64 {
    let before = s.mutator().heap().stats().compactions;
    let seen = s.mutator().heap().stats().collections;
    while s.mutator().heap().stats().collections == seen {
        alloc(s);
    }
    before
}

/// Builds a numbered list of 100,000 cells, allocates with `alloc` into a
/// compaction and on until it ends, then checks that every cell reads back
/// as written.
fn allocate_through_a_compaction(heap: &Heap, types: Types, mut alloc: impl FnMut(&mut Mutator)) {
    const CELLS: usize = 100_000;
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let head = numbered_list(s, types, CELLS);
        let before = allocate_into_a_compaction(s, |s| alloc(s.mutator()));
        while s.mutator().heap().stats().compactions == before {
            alloc(s.mutator());
        }
        check_numbered_list(s, head, CELLS, "");
    });
}

/// Appends cell `i` to the list from `head` to `tail`, then `garbage` bytes
/// of garbage.
fn append_numbered(
    s: &mut HandleScope<'_>,
    types: Types,
    (head, tail): (Local<'_>, Local<'_>),
    i: usize,
    garbage: u32,
) {
    let cell = s.mutator().alloc(types.node, 0).unwrap();
    // SAFETY: a fresh node; 32 is a data word, 8 a reference slot.
    unsafe { cell.write_word(32, i) };
    match s.get(tail) {
        // SAFETY: `last` is the live tail; no allocation since it was read.
        Some(last) => unsafe { s.mutator().write_ref(last, 8, Some(cell)) },
        None => s.set(head, Some(cell)),
    }
    s.set(tail, Some(cell));
    s.mutator().alloc(types.blob, garbage).unwrap();
}

/// Walks the list from `head`: `cells` cells, numbered in order.
fn check_numbered_list(s: &mut HandleScope<'_>, head: Local<'_>, cells: usize, what: &str) {
    let mut at = s.get(head);
    let mut n = 0;
    while let Some(cell) = at {
        // A corrupted list may loop.
        assert!(n < cells, "{what}: more than {cells} cells");
        // SAFETY: reachable cells; no safepoint in the loop.
        unsafe {
            assert_eq!(cell.read_word(32), n, "{what}");
            at = s.mutator().read_ref(cell, 8);
        }
        n += 1;
    }
    assert_eq!(n, cells, "{what}");
}

/// A compaction that moves most of a gigabyte out to the shadow moves it
/// whole, with one `mremap`, and moves back the pages that stay: here the
/// gigabyte's end, which no allocation reached. A list spread over 700 MiB,
/// each cell followed by 4 KiB of garbage, arrives intact; allocations over
/// the pages its garbage left read zeroes, and after them the heap is
/// verified again (a full cycle with the verifier on).
#[test]
fn a_gigabyte_moved_out_whole_keeps_every_page() {
    const CELLS: usize = 175_000;
    const PAGE: usize = 4096;
    for mode in [Mode::Move, Mode::Copy] {
        let Some((heap, types)) = requested_heap(mode, 1 << 30) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let head = spaced_list(s, types, CELLS, 4000);
            movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
            let st = heap.stats();
            let last = st.last.as_ref().unwrap();
            assert!(
                last.pages_remapped * PAGE > 640 << 20,
                "{mode:?}: {} pages remapped: too few to move the gigabyte whole",
                last.pages_remapped
            );
            check_numbered_list(s, head, CELLS, &format!("{mode:?}"));
            for n in 0..(64 << 20) / movegc_tests::NODE_SIZE {
                let node = s.mutator().alloc(types.node, 0).unwrap();
                for offset in (8..movegc_tests::NODE_SIZE).step_by(8) {
                    // SAFETY: a fresh node.
                    let word = unsafe { node.read_word(offset) };
                    assert_eq!(word, 0, "{mode:?}: node {n} word {offset} not zeroed");
                }
            }
            movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
            check_numbered_list(s, head, CELLS, &format!("{mode:?}, again"));
        });
    }
}

/// A compaction builds the pages of the objects marking found before those
/// of the objects allocated black, and recycles the shadow behind both (two
/// frontiers): a list whose cells slide, and lists built while the cycles
/// mark (allocated black: another thread asks for cycles, one after
/// another), each read back whole before the next, until two cycles had
/// both kinds of pages.
#[test]
fn marked_and_black_pages_recycle_behind_their_own_frontiers() {
    const OLD: usize = 30_000;
    /// Cells of each list built meanwhile: about 10 MiB, and 40 MiB of garbage.
    const CELLS: usize = 200_000;
    for mode in [Mode::Move, Mode::Copy] {
        let Some((heap, types)) = requested_heap(mode, 256 << 20) else {
            return;
        };
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    heap.collect().unwrap();
                }
            });
            let mut m = heap.attach().unwrap();
            m.scope(|s| {
                let old = numbered_list(s, types, OLD);
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
                let mut both = 0;
                let mut counted = 0;
                while both < 2 && std::time::Instant::now() < deadline {
                    s.scope(|s| {
                        let head = s.local(None);
                        let tail = s.local(None);
                        for cells in 0..CELLS {
                            append_numbered(s, types, (head, tail), cells, 200);
                            if cells % 256 != 0 {
                                continue;
                            }
                            let st = s.mutator().heap().stats();
                            if let Some(last) = st.last.as_ref().filter(|c| c.index > counted) {
                                counted = last.index;
                                // A concurrent compaction of marked and black pages.
                                if last.pages_remapped > 0 && last.allocated_black > 256 << 10 {
                                    both += 1;
                                }
                            }
                        }
                        check_numbered_list(s, head, CELLS, &format!("{mode:?}, a new list"));
                    });
                }
                done.store(true, std::sync::atomic::Ordering::Relaxed);
                assert!(
                    both > 0,
                    "{mode:?}: no concurrent compaction with pages allocated black in {} cycles",
                    s.mutator().heap().stats().compactions
                );
                movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
                check_numbered_list(s, old, OLD, &format!("{mode:?}, the old list"));
            });
        });
    }
}

/// While a compaction has freed nothing yet (its thread held back by an
/// injected delay, the heap's pages all part live), a mutator allocating as
/// fast as it can takes at most the compaction's share of fresh pages (a
/// 128th of the heap), then waits for recycled ones: each wait that ran out
/// (10 ms) let one claim through. Without the waits it took what the pacer
/// frees at once, an eighth of the young budget.
#[test]
fn allocations_during_a_compaction_wait_for_recycled_pages() {
    const PAGE: usize = 4096;
    const TLAB: usize = 32 << 10;
    let Some((heap, types)) = held_back_heap(|b| b.tlab_size(TLAB).policy(budget_of_24_mib()))
    else {
        return;
    };
    allocate_through_a_compaction(&heap, types, |m| {
        m.alloc(types.node, 0).unwrap();
    });
    let stats = heap.stats();
    let last = stats.last_compaction.expect("a compaction ran");
    let share = HELD_BACK_HEAP / 128 / PAGE;
    let ran_out = (stats.pacing_time.as_millis() / 10) as usize;
    assert!(
        last.allocation_pages <= share + (ran_out + 1) * (TLAB / PAGE),
        "{} fresh pages, {ran_out} waits ran out: {last}",
        last.allocation_pages
    );
    assert!(
        last.allocation_recycled > 0,
        "the allocations reused no shadow page: {last}"
    );
}

/// With the cycle's compaction thread held back (an injected delay) and the
/// mutator idle, the second compaction thread builds the pages: every cell
/// of a list whose cells all move reads back as written. The cycle is
/// requested, not started by allocations: an allocation paced against the
/// compaction would build pages too (an assist), and on a loaded machine
/// it built them all before the second thread first ran.
#[test]
fn a_second_compaction_thread_builds_pages() {
    let Some((heap, types)) = held_back_heap(|b| b.compaction_threads(2)) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    const CELLS: usize = 100_000;
    m.scope(|s| {
        let head = numbered_list(s, types, CELLS);
        let before = s.mutator().heap().stats().compactions;
        s.mutator().collect().unwrap();
        // Idle, in native code, until the compaction ends.
        s.mutator().native(|| {
            while heap.stats().compactions == before {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        check_numbered_list(s, head, CELLS, "");
    });
    let s = heap.stats();
    let last = s.last_compaction.expect("a compaction ran");
    assert_eq!(last.by_assists, 0, "no allocation was paced: {last}");
    assert!(
        last.by_helpers > 0,
        "the second thread built no page: {last}"
    );
}

/// With the cycle's compaction thread held back (an injected delay) and the
/// mutator allocating, the pacer holds the mutator back, and the mutator
/// builds pages in the meantime rather than sleep: every cell of a list
/// whose cells all move reads back as written.
#[test]
fn a_paced_mutator_builds_pages() {
    let Some((heap, types)) = held_back_heap(|b| b) else {
        return;
    };
    allocate_through_a_compaction(&heap, types, |m| {
        m.alloc(types.blob, 200).unwrap();
    });
    let s = heap.stats();
    let last = s.last_compaction.expect("a compaction ran");
    assert!(
        last.by_assists > 0 && s.pages_by_assists >= last.by_assists as u64,
        "the paced mutator built no page: {last}"
    );
}

/// A paced mutator that took a chunk of pages and was preempted before
/// claiming them (an injected delay, longer than the compaction) leaves
/// them to the compaction thread, which claims what nobody has before it
/// ends: every cell of the list reads back as written. (Without that last
/// pass, the compaction ended with the chunk unbuilt.)
#[test]
fn a_chunk_a_paced_mutator_holds_is_built_by_the_compaction() {
    let inject = gc_core::inject::Injection {
        compaction_delay: Some(std::time::Duration::from_millis(100)),
        chunk_delay: Some(std::time::Duration::from_millis(400)),
        ..Default::default()
    };
    let Some((heap, types)) =
        movegc_tests::concurrent_heap(Mode::Move, HELD_BACK_HEAP, |b| b.inject(inject))
    else {
        return;
    };
    allocate_through_a_compaction(&heap, types, |m| {
        m.alloc(types.blob, 200).unwrap();
    });
    let s = heap.stats();
    assert_eq!(s.pages_lost, 0, "{s:?}");
    assert!(s.paced > 0, "the mutator was never paced: {s:?}");
}

/// The pages that the mutators wrote young references into since the last
/// cycle are built first: a full cycle after such writes to an old list's
/// cells builds their pages before the rest (the compaction thread alone:
/// the mutator waits in `collect`), and one after no such write builds
/// none first.
#[test]
fn pages_written_since_the_last_cycle_are_built_first() {
    let Some((heap, types)) = heap(Mode::Move, 64 << 20, 1) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    const CELLS: usize = 40_000;
    const EVERY: usize = 50;
    m.scope(|s| {
        let head = numbered_list(s, types, CELLS);
        s.mutator().collect().unwrap();
        s.mutator().collect().unwrap();
        let quiet = s.mutator().heap().stats().last_compaction.unwrap();
        assert_eq!(quiet.hot, 0, "no old object was written: {quiet}");
        let walk = s.local(s.get(head));
        let mut i = 0;
        while s.get(walk).is_some() {
            if i % EVERY == 0 {
                let young = s.mutator().alloc(types.node, 0).unwrap();
                let cell = s.get(walk).unwrap();
                // SAFETY: both read since the allocation's safepoint; 16 is a
                // reference slot.
                unsafe { s.mutator().write_ref(cell, 16, Some(young)) };
            }
            let cell = s.get(walk).unwrap();
            // SAFETY: a live cell; 8 is its reference to the next.
            let next = unsafe { s.mutator().read_ref(cell, 8) };
            s.set(walk, next);
            i += 1;
        }
        s.mutator().collect().unwrap();
        let written = s.mutator().heap().stats().last_compaction.unwrap();
        let mut pages = Vec::new();
        let mut at = s.get(head);
        let mut i = 0;
        while let Some(cell) = at {
            if i % EVERY == 0 {
                pages.push(cell.addr() / 4096);
            }
            // SAFETY: as above.
            at = unsafe { s.mutator().read_ref(cell, 8) };
            i += 1;
        }
        pages.dedup();
        // A card's page is that of its first live word: the written cell's
        // own page or the one before it, so at least every other one counts.
        assert!(
            written.hot >= pages.len().div_ceil(2) && written.hot <= written.by_gc,
            "{} pages hold written cells: {written}",
            pages.len()
        );
        check_numbered_list(s, head, CELLS, "after the cycles");
    });
}

/// A full cycle forwards the references on the pages the mutators wrote
/// since the last cycle ahead of its compaction pause, while they run. The
/// cycle held there (an injected delay), the mutator goes on storing nodes
/// of a pool into an old list's cells: each cell must read back the node
/// stored last, not where the node it held when the references were
/// forwarded went. The list's pages stay in place (the dense prefix), or
/// slide behind an array that died below them.
fn stores_after_references_were_forwarded_ahead_are_kept(slide: bool) {
    let inject = gc_core::inject::Injection {
        pause_delay: Some(std::time::Duration::from_millis(100)),
        ..Default::default()
    };
    let Some((heap, types)) = movegc_tests::concurrent_heap(Mode::Move, 64 << 20, |b| {
        b.inject(inject)
            .policy(gc_core::Policy::default().generational(false))
    }) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    const CELLS: usize = 20_000;
    const POOL: usize = 1_000;
    m.scope(|s| {
        let below = s.alloc(types.refs, 2_000).unwrap();
        let head = numbered_list(s, types, CELLS);
        movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
        movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
        if slide {
            s.set(below, None);
        }
        // Young nodes (the list is old now): storing them dirties the cells'
        // cards, which makes their pages the ones forwarded ahead.
        let pool = s.alloc(types.refs, POOL as u32).unwrap();
        for k in 0..POOL {
            let node = s.mutator().alloc(types.node, 0).unwrap();
            // SAFETY: a fresh node; 32 is a data word.
            unsafe { node.write_word(32, k) };
            s.mutator().alloc(types.blob, 64).unwrap();
            let array = s.get(pool).unwrap();
            // SAFETY: read since the allocation's safepoint; slot k + 1 of POOL.
            unsafe { s.mutator().write_ref(array, 8 * (k + 1), Some(node)) };
        }
        let mut stored = vec![None; CELLS];
        let mut k = 0;
        let seen = s.mutator().heap().stats().collections;
        let walk = s.local(None);
        // Until a budget cycle's compaction pause: through its marking, the
        // forwarding ahead and the delay. (Stores after the pause would
        // overwrite what the pages' builds wrote.) Stores
        // allocate nothing; a blob a walk drives the budget slowly enough that
        // the delay ends before the next cycle's trigger (an allocation there
        // would wait for this cycle).
        while s.mutator().heap().stats().collections == seen {
            s.set(walk, s.get(head));
            // A walk stores other nodes than the last (CELLS is a multiple
            // of POOL).
            k += 1;
            let mut i = 0;
            while let Some(cell) = s.get(walk) {
                k = (k + 7) % POOL;
                let array = s.get(pool).unwrap();
                // SAFETY: the pool array and the cell are read since the last
                // safepoint; slot k + 1 of POOL; 16 and 8 are reference slots.
                let after = unsafe {
                    let node = s.mutator().read_ref(array, 8 * (k + 1));
                    s.mutator().write_ref(cell, 16, node);
                    s.mutator().read_ref(cell, 8)
                };
                s.set(walk, after);
                stored[i] = Some(k);
                i += 1;
            }
            s.mutator().alloc(types.blob, 4096).unwrap();
        }
        movegc_tests::wait_for_compaction(s.mutator());
        let mut at = s.get(head);
        let mut i = 0;
        while let Some(cell) = at {
            // SAFETY: reachable cells and nodes; no safepoint in the loop.
            unsafe {
                let value = s.mutator().read_ref(cell, 16);
                assert_eq!(value.map(|v| v.read_word(32)), stored[i], "cell {i}");
                at = s.mutator().read_ref(cell, 8);
            }
            i += 1;
        }
        assert_eq!(i, CELLS);
    });
    let last = heap.stats().last_compaction.expect("a compaction ran");
    assert!(
        last.forwarded_ahead > 0 && last.references_ahead > 0,
        "the cells' pages were forwarded ahead: {last}"
    );
    assert_eq!(
        last.objects_moved >= CELLS,
        slide,
        "the list's cells moved (or stayed): {last}"
    );
}

#[test]
fn stores_after_references_were_forwarded_ahead_are_kept_in_place() {
    stores_after_references_were_forwarded_ahead_are_kept(false);
}

#[test]
fn stores_after_references_were_forwarded_ahead_are_kept_sliding() {
    stores_after_references_were_forwarded_ahead_are_kept(true);
}

#[test]
fn move_mode_one_thread() {
    graphs_survive(Mode::Move, 1, 24, 1);
}

#[test]
fn move_mode_eight_threads() {
    graphs_survive(Mode::Move, 8, 12, 1);
}

#[test]
fn copy_mode_two_threads() {
    graphs_survive(Mode::Copy, 2, 16, 1);
}

/// Parallel compaction: three compaction threads (more than the cores here)
/// claim runs of the same pages while four mutators fault on them.
#[test]
fn move_mode_three_compaction_threads() {
    graphs_survive(Mode::Move, 4, 16, 3);
}

#[test]
fn copy_mode_two_compaction_threads() {
    graphs_survive(Mode::Copy, 2, 16, 2);
}

/// A 64 MiB Move heap with `inject`, through three rounds: a numbered list
/// of `cells` cells built, allocation until a collection the budget
/// triggers has run (it returns right after its pause, its compaction under
/// way), and the list walked from its oldest cell, at the bottom of the
/// heap, while the compaction works from the top, every cell checked.
/// `None` where the heap cannot run.
fn walk_lists_into_compactions(inject: gc_core::inject::Injection, cells: usize) -> Option<Heap> {
    let (heap, types) = movegc_tests::concurrent_heap(Mode::Move, 64 << 20, |b| b.inject(inject))?;
    let mut m = heap.attach().unwrap();
    for round in 0..3 {
        m.scope(|s| {
            let head = numbered_list(s, types, cells);
            let seen = s.mutator().heap().stats().collections;
            while s.mutator().heap().stats().collections == seen {
                s.mutator().alloc(types.blob, 200).unwrap();
            }
            check_numbered_list(s, head, cells, &format!("round {round}"));
        });
    }
    drop(m);
    Some(heap)
}

/// Right after a pause, a mutator walks a long list from its oldest cell (at
/// the bottom of the heap) while the compaction thread works from the top:
/// the pages the mutator reaches first it builds itself, and every cell reads
/// back as written. The compaction thread starts late (an injected delay), so
/// that on a loaded machine too the mutator gets there first.
#[test]
fn mutators_build_pages_they_touch_first() {
    let inject = gc_core::inject::Injection {
        compaction_delay: Some(std::time::Duration::from_millis(20)),
        ..Default::default()
    };
    let Some(heap) = walk_lists_into_compactions(inject, 200_000) else {
        return;
    };
    let s = heap.stats();
    assert!(
        s.pages_by_mutators > 0,
        "no page was built by a mutator: {s:?}"
    );
    assert!(
        s.pages_by_gc > 0,
        "no page was built by the compaction thread: {s:?}"
    );
    // A mutator's page is copied in, not moved: a MOVE would flush the TLB
    // of every other core running the heap's threads. Only the pages a fault
    // built around its own go in with a MOVE, one for the run.
    assert!(
        s.pages_copied >= s.pages_by_mutators - s.pages_faulted_around,
        "{} pages built by mutators ({} around their faults), {} copied: {s:?}",
        s.pages_by_mutators,
        s.pages_faulted_around,
        s.pages_copied
    );
    // The walk goes up the heap: a fault right above the pages the last one
    // placed builds the pages above its own too, so there are fewer faults
    // than pages.
    let sliding_faults = s.faults_by_kind.sliding.count;
    assert!(
        s.pages_faulted_around > 0 && sliding_faults < s.pages_by_mutators,
        "{sliding_faults} sliding-page faults, {} pages built by mutators, {} around their \
         faults: {s:?}",
        s.pages_by_mutators,
        s.pages_faulted_around
    );
    let kinds = s.faults_by_kind;
    let by_kind: u64 = kinds.named().iter().map(|(_, k)| k.count).sum();
    assert_eq!(
        by_kind, s.mutator_faults,
        "every fault has a kind: {kinds:?}"
    );
    assert!(
        kinds.sliding.count > 0 && kinds.sliding.time > std::time::Duration::ZERO,
        "the list's cells slide, and the mutator read them first: {kinds:?}"
    );
    for (kind, k) in kinds.named() {
        assert_eq!(
            k.distribution.count(),
            k.count,
            "{kind}: every fault is in the distribution: {k:?}"
        );
        // A bucket's upper bound is within 1/16 of what it holds.
        assert!(
            k.distribution.quantile(1.0) <= k.max + k.max / 16 + std::time::Duration::from_nanos(1),
            "{kind}: the longest in the distribution is the longest fault: {k:?}"
        );
    }
}

/// A mutator that faults on a page of a run the compaction thread claimed
/// and has not built yet waits for that page, not for the run: the thread
/// (held after each claim by an injected delay) builds the page next and
/// places it ahead of the rest. The mutator walks a list from its oldest
/// cell up while the thread works down from the top, so the walk meets the
/// thread's runs; every cell reads back as written.
#[test]
fn a_page_waited_for_is_placed_ahead_of_its_run() {
    let inject = gc_core::inject::Injection {
        run_delay: Some(std::time::Duration::from_millis(20)),
        ..Default::default()
    };
    let Some(heap) = walk_lists_into_compactions(inject, 50_000) else {
        return;
    };
    let s = heap.stats();
    assert!(
        s.pages_placed_early > 0,
        "no page was placed ahead of its run: {s:?}"
    );
    assert!(s.pages_by_mutators > 0, "the walk built no page: {s:?}");
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

/// Stress: eight mutator threads (more than this machine's cores), each with
/// its graph and a ballast list, run through back-to-back collections the
/// allocation budget triggers, so they mutate, fault and build pages while
/// each compaction runs; every graph's digest is checked right after every
/// collection, and the verifier checks the heap at every cycle's start.
fn stress(mode: Mode) {
    let Some((heap, types)) = heap(mode, 32 << 20, 1) else {
        return;
    };
    let w = movegc_tests::Budget {
        threads: 8,
        rounds: 6,
        batch: 1000,
        large_len: LARGE_LEN,
        ballast: 12_000,
    };
    movegc_tests::run_budget_threads(&heap, types, w);
    let s = movegc_tests::check_page_accounting(&heap);
    assert!(s.collections > w.rounds as u64, "collections: {s:?}");
    assert!(
        s.pages_by_mutators > 0 && s.mutator_faults > 0,
        "no mutator built a page in its fault handler: {s:?}"
    );
    assert_eq!(s.switched_to_copy, 0, "nothing shares the heap's pages");
    match mode {
        // A paced mutator's assists build with no buffer free as often as
        // not, and copy what they build: of the compaction threads' own
        // pages, most are moved.
        Mode::Move => assert!(
            s.pages_moved > (s.pages_by_gc - s.pages_by_assists) / 2,
            "MOVE placed pages: {s:?}"
        ),
        _ => assert!(
            s.pages_moved == s.pages_relinked && s.pages_copied > 0,
            "COPY mode: {s:?}"
        ),
    }
}

#[test]
fn stress_move_eight_threads_back_to_back_budget_cycles() {
    stress(Mode::Move);
}

#[test]
fn stress_copy_eight_threads_back_to_back_budget_cycles() {
    stress(Mode::Copy);
}

/// Objects whose contents are derived from a serial number, so any of them
/// can be checked wherever it is found.
mod straddle {
    use gc_core::{HandleScope, Local, ObjRef, WORD};
    use movegc_tests::{Rng, Types, fixnum};

    /// The large-object space takes objects of 32 KiB and more.
    pub(super) const LARGE_TAGGED: u32 = 5000;
    pub(super) const LARGE_BLOB: u32 = 40_000;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) enum Kind {
        /// A tagged array of this length: word 0 `fixnum(serial)`, then fixnums
        /// derived from the serial and references.
        Tagged(u32),
        /// This many bytes: the serial, then bytes derived from it.
        Blob(u32),
        /// A node: serial @32, a derived word @40, references @8 and @16,
        /// `fixnum(serial)` @24.
        Node,
    }

    pub(super) struct Spec {
        kind: Kind,
        /// Reference slots (byte offset) and the serial of their referent.
        refs: Vec<(usize, usize)>,
    }

    fn mix(serial: usize, k: usize) -> usize {
        let mut x = (serial as u64) << 32 ^ k as u64 ^ 0x5851_F42D_4C95_7F2D;
        x ^= x >> 33;
        x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        x ^= x >> 29;
        x as usize
    }

    /// The model: every object ever made, by serial, and which serial each root slot holds.
    pub(super) struct Model {
        pub(super) types: Types,
        rng: Rng,
        pub(super) specs: Vec<Spec>,
        pub(super) slots: Vec<Option<usize>>,
    }

    impl Model {
        pub(super) fn new(types: Types, seed: u64, slots: usize) -> Self {
            Model {
                types,
                rng: Rng::new(seed),
                specs: Vec::new(),
                slots: vec![None; slots],
            }
        }

        fn kind(&mut self) -> Kind {
            match self.rng.below(100) {
                // 3.2 to 8.8 KiB: straddles one or two page boundaries.
                0..=44 => Kind::Tagged(400 + self.rng.below(700) as u32),
                // 3 to 12 KiB: under and over the TLAB path's limit.
                45..=69 => Kind::Blob(3000 + self.rng.below(9000) as u32),
                70..=94 => Kind::Node,
                95..=97 => Kind::Tagged(LARGE_TAGGED),
                _ => Kind::Blob(LARGE_BLOB),
            }
        }

        /// A referent for a new object: the object in a random root slot, if any.
        fn referent(
            &mut self,
            s: &mut HandleScope<'_>,
            roots: Local<'_>,
        ) -> Option<(ObjRef, usize)> {
            let j = self.rng.below(self.slots.len());
            let serial = self.slots[j]?;
            let root = s.get(roots).expect("the root array");
            // SAFETY: the live root array; slot `j` is a reference slot.
            let obj = unsafe { s.mutator().read_ref(root, WORD + j * WORD) }?;
            Some((obj, serial))
        }

        /// Allocates a random amount of garbage and then a new object in root
        /// slot `i`, filled from its serial.
        pub(super) fn replace(&mut self, s: &mut HandleScope<'_>, roots: Local<'_>, i: usize) {
            let garbage = self.rng.below(3000) as u32;
            s.mutator().alloc(self.types.blob, garbage).unwrap();
            let kind = self.kind();
            let serial = self.specs.len();
            let t = self.types;
            let obj = match kind {
                Kind::Tagged(len) => s.mutator().alloc(t.tagged, len),
                Kind::Blob(len) => s.mutator().alloc(t.blob, len),
                Kind::Node => s.mutator().alloc(t.node, 0),
            }
            .unwrap();
            // No safepoint from here on: `obj` and the referents stay put.
            let mut refs = Vec::new();
            match kind {
                Kind::Tagged(len) => {
                    for k in 0..len as usize {
                        let offset = WORD + k * WORD;
                        let word = match (k, k % 61 == 7) {
                            (0, _) => fixnum(serial as u64),
                            (_, true) => match self.referent(s, roots) {
                                Some((to, to_serial)) => {
                                    refs.push((offset, to_serial));
                                    to.addr()
                                }
                                None => 0,
                            },
                            _ => mix(serial, k) | 1,
                        };
                        // SAFETY: a tagged slot of the fresh array, through the barrier.
                        unsafe { s.mutator().write_tagged(obj, offset, word) };
                    }
                }
                Kind::Blob(len) => {
                    for k in 0..len as usize {
                        let b = if k < 8 {
                            serial.to_le_bytes()[k]
                        } else {
                            mix(serial, k) as u8
                        };
                        // SAFETY: byte `k` of the fresh blob.
                        unsafe { obj.byte_ptr(WORD + k).write(b) };
                    }
                }
                Kind::Node => {
                    // SAFETY: the fresh node's data words and slots.
                    unsafe {
                        obj.write_word(32, serial);
                        obj.write_word(40, mix(serial, 0));
                        s.mutator().write_tagged(obj, 24, fixnum(serial as u64));
                        for offset in [8, 16] {
                            if let Some((to, to_serial)) = self.referent(s, roots) {
                                refs.push((offset, to_serial));
                                s.mutator().write_ref(obj, offset, Some(to));
                            }
                        }
                    }
                }
            }
            self.specs.push(Spec { kind, refs });
            self.slots[i] = Some(serial);
            let root = s.get(roots).expect("the root array");
            // SAFETY: the live root array; slot `i` is a reference slot.
            unsafe { s.mutator().write_ref(root, WORD + i * WORD, Some(obj)) };
        }

        /// Reads every object reachable from the root array, values and
        /// references, against the model. Returns how many objects were
        /// checked and how many of them straddle a page boundary.
        pub(super) fn check(&self, root: ObjRef) -> Result<(usize, usize), String> {
            let mut seen = std::collections::HashMap::new();
            let mut stack = Vec::new();
            for (i, slot) in self.slots.iter().enumerate() {
                // SAFETY: the live root array.
                let w = unsafe { root.read_word(WORD + i * WORD) };
                match slot {
                    Some(serial) if w != 0 => stack.push((w, *serial)),
                    None if w == 0 => {}
                    _ => return Err(format!("root slot {i} holds {w:#x}, the model {slot:?}")),
                }
            }
            let mut straddling = 0;
            while let Some((addr, serial)) = stack.pop() {
                if let Some(&other) = seen.get(&addr) {
                    if other != serial {
                        return Err(format!("{addr:#x} is object {other} and {serial}"));
                    }
                    continue;
                }
                seen.insert(addr, serial);
                let obj = ObjRef::from_addr(addr).expect("non-null");
                let spec = &self.specs[serial];
                // SAFETY: a reachable object.
                let header = unsafe { obj.header() };
                let (ty, len, size) = match spec.kind {
                    Kind::Tagged(len) => (self.types.tagged, len, WORD + len as usize * WORD),
                    Kind::Blob(len) => (self.types.blob, len, WORD + len as usize),
                    Kind::Node => (self.types.node, 0, movegc_tests::NODE_SIZE),
                };
                if header.type_id() != ty.0 || header.low() != len {
                    return Err(format!("object {serial} at {addr:#x}: header {header:?}"));
                }
                if addr / 4096 != (addr + size - 1) / 4096 {
                    straddling += 1;
                }
                let bad = |what: String| Err(format!("object {serial} at {addr:#x}: {what}"));
                match spec.kind {
                    Kind::Tagged(len) => {
                        let mut refs = spec.refs.iter().peekable();
                        for k in 0..len as usize {
                            let offset = WORD + k * WORD;
                            // SAFETY: a slot of the reachable array.
                            let w = unsafe { obj.read_word(offset) };
                            let expected = match k {
                                0 => fixnum(serial as u64),
                                _ if k % 61 == 7 => match refs.next_if(|r| r.0 == offset) {
                                    Some(&(_, to)) if w != 0 && w & 1 == 0 => {
                                        stack.push((w, to));
                                        continue;
                                    }
                                    Some(_) => return bad(format!("slot +{offset} is {w:#x}")),
                                    None => 0,
                                },
                                _ => mix(serial, k) | 1,
                            };
                            if w != expected {
                                return bad(format!("slot +{offset} is {w:#x}, not {expected:#x}"));
                            }
                        }
                    }
                    Kind::Blob(len) => {
                        for k in 0..len as usize {
                            // SAFETY: a byte of the reachable blob.
                            let b = unsafe { obj.byte_ptr(WORD + k).read() };
                            let expected = if k < 8 {
                                serial.to_le_bytes()[k]
                            } else {
                                mix(serial, k) as u8
                            };
                            if b != expected {
                                return bad(format!("byte {k} is {b:#x}, not {expected:#x}"));
                            }
                        }
                    }
                    Kind::Node => {
                        // SAFETY: the reachable node's words.
                        let words =
                            unsafe { [32, 40, 24, 8, 16].map(|offset| obj.read_word(offset)) };
                        if words[..3] != [serial, mix(serial, 0), fixnum(serial as u64)] {
                            return bad(format!("data words {:#x?}", &words[..3]));
                        }
                        for (offset, w) in [(8, words[3]), (16, words[4])] {
                            match spec.refs.iter().find(|r| r.0 == offset) {
                                Some(&(_, to)) if w != 0 => stack.push((w, to)),
                                None if w == 0 => {}
                                _ => return bad(format!("slot +{offset} is {w:#x}")),
                            }
                        }
                    }
                }
            }
            Ok((seen.len(), straddling))
        }
    }
}

/// Objects that straddle page boundaries (3–12 KiB arrays and byte strings
/// at random offsets) and large objects (in the large-object space, whose
/// references the pause rewrites) are read, every value and reference,
/// right after a collection the allocation budget triggered, while their
/// pages are in flight.
fn straddling_and_large_objects_read_in_flight(mode: Mode) {
    const OBJECTS: usize = 1200;
    let Some((heap, types)) = heap(mode, 48 << 20, 1) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    let mut model = straddle::Model::new(types, 77, OBJECTS);
    m.scope(|s| {
        // The root array is itself large: reading it faults on nothing.
        let roots = s.alloc(types.refs, LARGE_LEN).unwrap();
        for i in 0..OBJECTS {
            model.replace(s, roots, i);
        }
        let mut rng = movegc_tests::Rng::new(5);
        for round in 0..4 {
            // Replace a third of the objects: the old ones leave holes (or stay
            // reachable from others), so the survivors slide.
            for _ in 0..OBJECTS / 3 {
                let i = rng.below(OBJECTS);
                model.replace(s, roots, i);
            }
            let seen = s.mutator().heap().stats().collections;
            movegc_tests::allocate_until_collection(s.mutator(), types, seen).unwrap();
            let (checked, straddling) = model
                .check(s.get(roots).unwrap())
                .unwrap_or_else(|e| panic!("round {round}, pages in flight: {e}"));
            assert!(checked >= OBJECTS / 2, "round {round}: {checked} objects");
            assert!(
                straddling > checked / 2,
                "round {round}: only {straddling} of {checked} objects straddle pages"
            );
        }
        s.mutator().collect().unwrap();
        model.check(s.get(roots).unwrap()).unwrap();
    });
    drop(m);
    let s = movegc_tests::check_page_accounting(&heap);
    assert!(s.collections >= 4, "{s:?}");
    assert!(
        s.pages_by_mutators > 0,
        "the reads built no page themselves: nothing was read in flight: {s:?}"
    );
}

#[test]
fn move_mode_straddling_and_large_objects_read_in_flight() {
    straddling_and_large_objects_read_in_flight(Mode::Move);
}

#[test]
fn copy_mode_straddling_and_large_objects_read_in_flight() {
    straddling_and_large_objects_read_in_flight(Mode::Copy);
}

/// Whether any page of `addr..addr + len` is missing (not yet placed).
fn any_page_missing(addr: usize, len: usize) -> bool {
    let first = addr & !4095;
    let pages = (addr + len - first).div_ceil(4096);
    let mut vec = vec![0u8; pages];
    // SAFETY: the range lies in the heap's mapping; `vec` has a byte per page.
    let r = unsafe { libc::mincore(first as *mut libc::c_void, pages * 4096, vec.as_mut_ptr()) };
    assert_eq!(r, 0, "mincore: {}", std::io::Error::last_os_error());
    vec.iter().any(|v| v & 1 == 0)
}

/// Byte `k` of the blob in slot `i` at first.
fn initial_byte(i: usize, k: usize) -> u8 {
    (i * 31 + k * 7) as u8
}

/// During a compaction in flight, `read(2)` from a pipe into byte strings in
/// the heap succeeds once `make_resident` has made their range resident, and
/// the bytes land there and nowhere else (the kernel's write to a missing
/// page would fail with EFAULT, not fault). A range outside the object is
/// refused with `OutOfBounds`.
fn make_resident_for_a_system_call(mode: Mode) {
    const BLOBS: usize = 1500;
    // Full cycles: the blobs are old after the first, and a young cycle
    // leaves their pages in place, so none would be in flight. The
    // compaction thread starts late (an injected delay), so that the walk
    // below meets pages in flight however the scheduler runs the threads.
    let inject = gc_core::inject::Injection {
        compaction_delay: Some(std::time::Duration::from_millis(20)),
        ..Default::default()
    };
    let Some((heap, types)) = movegc_tests::concurrent_heap(mode, 32 << 20, |b| {
        b.policy(gc_core::Policy::default().generational(false))
            .inject(inject)
    }) else {
        return;
    };
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (rd, wr) = (fds[0], fds[1]);
    let mut m = heap.attach().unwrap();
    let mut rng = movegc_tests::Rng::new(11);
    // The model: each live blob's bytes.
    let mut blobs: Vec<Option<Vec<u8>>> = vec![None; BLOBS];
    let mut missing = 0;
    m.scope(|s| {
        let roots = s.alloc(types.refs, LARGE_LEN).unwrap();
        for (i, model) in blobs.iter_mut().enumerate() {
            s.mutator()
                .alloc(types.blob, rng.below(2000) as u32)
                .unwrap();
            let len = 3000 + rng.below(4000);
            let blob = s.mutator().alloc(types.blob, len as u32).unwrap();
            let bytes: Vec<u8> = (0..len).map(|k| initial_byte(i, k)).collect();
            // SAFETY: the fresh blob has `len` bytes from offset 8.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), blob.byte_ptr(8), len) };
            let root = s.get(roots).unwrap();
            // Every other blob is garbage: the rest slide at each collection.
            if i % 2 == 0 {
                // SAFETY: the live root array; slot `i` is a reference slot.
                unsafe { s.mutator().write_ref(root, 8 + i * 8, Some(blob)) };
                *model = Some(bytes);
            }
        }
        // Three rounds, and more (up to 12) until a range was caught in
        // flight.
        let mut round = 0u8;
        while round < 3 || (missing == 0 && round < 12) {
            let seen = s.mutator().heap().stats().collections;
            movegc_tests::allocate_until_collection(s.mutator(), types, seen).unwrap();
            // Lowest addresses first: the compaction thread works from the top.
            let root = s.get(roots).unwrap();
            for (i, model) in blobs.iter_mut().enumerate() {
                let Some(bytes) = model else { continue };
                // SAFETY: the live root array; slot `i` holds blob `i`.
                let blob = unsafe { s.mutator().read_ref(root, 8 + i * 8) }.unwrap();
                // Bytes 5..len-5: the bytes around the range must stay as they were.
                let (offset, len) = (8 + 5, bytes.len() - 10);
                let at = blob.byte_ptr(offset);
                if any_page_missing(at as usize, len) {
                    missing += 1;
                }
                // SAFETY: `blob` is live at its current address.
                unsafe { s.mutator().make_resident(blob, offset, len) }
                    .unwrap_or_else(|e| panic!("make_resident: {e}"));
                let data: Vec<u8> = (0..len).map(|k| (k as u8) ^ round ^ (i as u8)).collect();
                // SAFETY: writing `len` bytes of `data`.
                let n = unsafe { libc::write(wr, data.as_ptr().cast(), len) };
                assert_eq!(
                    n,
                    len as isize,
                    "write: {}",
                    std::io::Error::last_os_error()
                );
                let mut got = 0;
                while got < len {
                    // SAFETY: `at + got .. at + len` lies inside the blob, resident now.
                    let n = unsafe { libc::read(rd, at.add(got).cast(), len - got) };
                    assert!(
                        n > 0,
                        "round {round}, blob {i}: read into the heap: {}",
                        std::io::Error::last_os_error()
                    );
                    got += n as usize;
                }
                bytes[5..5 + len].copy_from_slice(&data);
            }
            // Every blob, as the reads left it, with nothing spilled next door.
            for (i, model) in blobs.iter().enumerate() {
                let Some(bytes) = model else { continue };
                // SAFETY: as above.
                let blob = unsafe { s.mutator().read_ref(root, 8 + i * 8) }.unwrap();
                // SAFETY: the blob's bytes.
                let now = unsafe { std::slice::from_raw_parts(blob.byte_ptr(8), bytes.len()) };
                assert!(now == &bytes[..], "round {round}: blob {i} differs");
            }
            round += 1;
        }
        // Ranges outside the object are refused, in flight or not.
        let root = s.get(roots).unwrap();
        // SAFETY: as above.
        let blob = unsafe { s.mutator().read_ref(root, 8) }.unwrap();
        let size = 8 + blobs[0].as_ref().unwrap().len().next_multiple_of(8);
        for (offset, len) in [(0, size + 1), (8, size - 7), (size + 1, 0), (usize::MAX, 2)] {
            // SAFETY: `blob` is live at its current address.
            match unsafe { s.mutator().make_resident(blob, offset, len) } {
                Err(GcError::OutOfBounds {
                    offset: o,
                    len: l,
                    size: z,
                }) => assert_eq!((o, l, z), (offset, len, size)),
                other => panic!("make_resident({offset}, {len}) of {size} bytes: {other:?}"),
            }
        }
        for (offset, len) in [(0, size), (size, 0), (size - 1, 1)] {
            // SAFETY: as above.
            unsafe { s.mutator().make_resident(blob, offset, len) }
                .unwrap_or_else(|e| panic!("make_resident({offset}, {len}): {e}"));
        }
    });
    drop(m);
    // SAFETY: closing the pipe this test opened.
    unsafe {
        libc::close(rd);
        libc::close(wr);
    }
    heap.collect().unwrap();
    let s = movegc_tests::check_page_accounting(&heap);
    eprintln!("{missing} ranges had a page in flight before make_resident");
    assert!(
        missing > 0,
        "in 12 rounds no range was in flight when make_resident ran: the test proved \
         nothing ({s:?})"
    );
}

#[test]
fn move_mode_make_resident_for_a_system_call() {
    make_resident_for_a_system_call(Mode::Move);
}

#[test]
fn copy_mode_make_resident_for_a_system_call() {
    make_resident_for_a_system_call(Mode::Copy);
}

/// Heaps built and dropped on two threads at once: a dropped heap must remove
/// its SIGBUS range before it unmaps its spaces, or a heap built meanwhile at
/// the same addresses cannot register its own (this failed within 0.2 s).
#[test]
fn heaps_built_and_dropped_on_two_threads_at_once() {
    if movegc_tests::build_or_skip(|| Heap::builder().size(8 << 20).mode(Mode::Move)).is_none() {
        return;
    }
    movegc_tests::run_each(2, |_| {
        for i in 0..500 {
            let heap = Heap::builder()
                .size(8 << 20)
                .gc_threads(1)
                .mode(Mode::Move)
                .build()
                .map_err(|e| format!("heap {i}: {e}"))?;
            drop(heap);
        }
        Ok(())
    });
}

/// A paced mutator's assist recycles behind its runs when the compaction
/// thread is not at it: with that thread held back (an injected delay), a
/// list whose every page holds live data (no buffer free at first), and the
/// mutator allocating through the compaction, the assists' runs build into
/// the sources their first runs freed, not into scratch pages copied in.
/// Before, only the compaction thread recycled, and the assists copied every
/// page they built until it ran. Held back long enough for the assists to
/// build every page: on a loaded machine, a mutator given little CPU built
/// a third of them in 100 ms, and the compaction thread then competed with
/// its runs for the buffers.
#[test]
fn assists_recycle_behind_their_runs() {
    const CELLS: usize = 200_000;
    let inject = gc_core::inject::Injection {
        compaction_delay: Some(std::time::Duration::from_millis(500)),
        ..Default::default()
    };
    let Some((heap, types)) = movegc_tests::concurrent_heap(Mode::Move, HELD_BACK_HEAP, |b| {
        b.policy(budget_of_24_mib()).inject(inject)
    }) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let head = spaced_list(s, types, CELLS, 40);
        let before = allocate_into_a_compaction(s, |s| {
            s.mutator().alloc(types.node, 0).unwrap();
        });
        while s.mutator().heap().stats().compactions == before {
            s.mutator().alloc(types.node, 0).unwrap();
        }
        check_numbered_list(s, head, CELLS, "");
    });
    let last = heap.stats().last_compaction.expect("a compaction ran");
    assert!(
        last.by_assists >= 500,
        "too few pages built by assists: {last}"
    );
    assert!(
        last.copied_without_buffer * 4 <= last.by_assists,
        "{} of {} pages built by assists copied from scratch pages: {last}",
        last.copied_without_buffer,
        last.by_assists,
    );
}

/// Moving, a page placed new (copied in from a private page, or zero-filled)
/// is one more than the heap held at the pause: when the heap was full, the
/// shadow gives one back for it as soon as a buffer is free, not at the
/// compaction's end while the allocations and the builders take the others.
/// Here a full heap whose every page holds live data (no buffer is free at
/// first) and a mutator that faults on the lower half of the to-space while
/// the compaction thread is held back: each of those pages is built in a
/// private page and copied, a fault at a time (the walk goes up the heap,
/// and runs built around its faults would move recycled buffers in: 651–772
/// pages placed new, not the thousands this needs).
/// Before, the shadow gave back early only the buffers beyond what the
/// allocation range still to prepare would take (3,776 pages here for 3,981
/// placed new).
#[test]
fn moving_gives_back_a_page_for_each_placed_new_as_the_compaction_goes() {
    // About 41 MiB of the 64 MiB heap (a node and a 40-byte blob per cell),
    // below its first cycle's trigger.
    const CELLS: usize = 450_000;
    let inject = gc_core::inject::Injection {
        single_page_faults: true,
        ..held_back()
    };
    let Some((heap, types)) = movegc_tests::concurrent_heap(Mode::Move, HELD_BACK_HEAP, |b| {
        b.policy(movegc_tests::requested_cycles_only())
            .inject(inject)
    }) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let head = spaced_list(s, types, CELLS, 40);
        // The cell a quarter down the list, where the mutator starts.
        let mut at = s.get(head);
        for _ in 0..CELLS / 4 {
            // SAFETY: reachable cells; no safepoint in the loop.
            at = unsafe { s.mutator().read_ref(at.expect("the list is whole"), 8) };
        }
        let quarter = s.local(at);
        // A budget of one page, and a cycle it starts: the allocation range
        // kept above the new top is what the cycle frees (a requested one
        // keeps none), and the heap was full up to its end.
        let small = movegc_tests::requested_cycles_only().young_budget(Some(4096));
        s.mutator().heap().set_policy(small).unwrap();
        allocate_into_a_compaction(s, |s| {
            s.mutator().alloc(types.node, 0).unwrap();
        });
        // The list's last three quarters, within the compaction thread's
        // delay: the compaction thread then builds the first quarter, top
        // down, and recycles the sources of the pages above behind it.
        let mut at = s.get(quarter);
        for n in CELLS / 4..CELLS {
            let cell = at.expect("the list is whole");
            // SAFETY: reachable cells; no safepoint in the loop.
            unsafe {
                assert_eq!(cell.read_word(32), n);
                at = s.mutator().read_ref(cell, 8);
            }
        }
        movegc_tests::wait_for_compaction(s.mutator());
        check_numbered_list(s, head, CELLS, "");
    });
    let last = heap.stats().last_compaction.expect("a compaction ran");
    let placed_new = last.copied + last.allocation_pages + last.zero_filled;
    assert!(placed_new >= 1_000, "too few pages placed new: {last}");
    // Less two runs of slack: the shadow gives its pages back 64 at a time,
    // and the range kept for allocations may end a few pages above what was
    // resident at the pause (the objects allocated black).
    assert!(
        last.shadow_released + 128 >= placed_new,
        "{} shadow pages given back early for {placed_new} placed new: {last}",
        last.shadow_released,
    );
}

/// Copying (Copy mode), the pages are built in the compaction thread's own
/// scratch pages, and the shadow's pages go back to the kernel behind the
/// builders as the compaction goes, not at its end: built into the shadow's
/// pages, copied, those stayed until the end, and with them the shadow's
/// garbage that the pages still to prepare for the allocations were to use
/// (which only MOVE does): half of them here. The latency bench,
/// unthrottled: peak RSS 1.7–1.8 GiB for its 1 GiB heap then, 1.1 GiB now.
#[test]
fn copying_gives_the_shadow_back_as_the_compaction_goes() {
    let Some((heap, types)) = movegc_tests::concurrent_heap(Mode::Copy, 64 << 20, |b| {
        b.policy(movegc_tests::requested_cycles_only())
    }) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    const CELLS: usize = 100_000;
    m.scope(|s| {
        // Each cell followed by its size in garbage: every page slides, and
        // half of each source page is garbage.
        let head = spaced_list(s, types, CELLS, 40);
        movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
        check_numbered_list(s, head, CELLS, "");
    });
    let last = heap.stats().last_compaction.expect("a compaction ran");
    assert!(last.copied > 0 && last.moved == 0, "not copying: {last}");
    let freed = last.buffers_free + last.buffers_recycled;
    assert!(
        last.shadow_released * 10 >= freed * 9,
        "{} of {freed} shadow pages given back as they were freed: {last}",
        last.shadow_released,
    );
}
