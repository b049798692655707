//! Young cycles: old objects stay where they are, and their pages untouched;
//! references from old objects to young ones are found through the card
//! table and rewritten; the model tests survive young and full cycles mixed,
//! in every mode; a barrier that drops old-to-young records is caught.

use gc_core::inject::Injection;
use gc_core::{CycleKind, GcError, Heap, Mode, Policy, Reason};
use movegc_tests::logs::{lines as log_lines, serial};
use movegc_tests::{Types, concurrent_heap, requested_cycles_only};

const LARGE_LEN: u32 = 5000;

/// A heap with the default policy: young cycles with few survivors slide
/// them in their pause.
fn heap(mode: Mode, size: usize, inject: Injection) -> Option<(Heap, Types)> {
    concurrent_heap(mode, size, |b| b.inject(inject).policy(Policy::default()))
}

/// A heap whose young cycles mark and compact concurrently (in the
/// concurrent modes), not in their first pause, however few their survivors.
fn heap_sliding_nothing(mode: Mode, size: usize) -> Option<(Heap, Types)> {
    concurrent_heap(mode, size, |b| b)
}

const MODES: [Mode; 3] = [Mode::StopTheWorld, Mode::Move, Mode::Copy];

/// A 64 MiB heap in `mode` whose young cycles slide their survivors in the
/// pause (`slide`), or do not.
fn heap_sliding_or_not(mode: Mode, slide: bool) -> Option<(Heap, Types)> {
    if slide {
        heap(mode, 64 << 20, Injection::default())
    } else {
        heap_sliding_nothing(mode, 64 << 20)
    }
}

/// The model tests, young and full cycles mixed, on `threads` threads; young
/// cycles slide their survivors in the pause, and (concurrent modes) do not.
fn mixed(mode: Mode, threads: usize, rounds: usize) {
    mixed_in(
        heap(mode, 32 << 20, Injection::default()),
        mode,
        threads,
        rounds,
    );
    if mode != Mode::StopTheWorld {
        mixed_in(heap_sliding_nothing(mode, 32 << 20), mode, threads, rounds);
    }
}

fn mixed_in(heap: Option<(Heap, Types)>, mode: Mode, threads: usize, rounds: usize) {
    let Some((heap, types)) = heap else {
        return;
    };
    movegc_tests::run_threads(&heap, types, threads, rounds, 1500, LARGE_LEN);
    let s = heap.stats();
    assert!(s.young_cycles > 0, "{mode:?}: no young cycle ran: {s:?}");
    assert!(s.full_cycles > 0, "{mode:?}: no full cycle ran: {s:?}");
    assert!(
        s.pages_in_place > 0,
        "{mode:?}: no young cycle left old pages in place: {s:?}"
    );
    // Only a concurrent compaction remaps pages into the shadow.
    assert_eq!(
        s.pages_remapped > 0,
        mode != Mode::StopTheWorld && s.compactions > 0,
        "{mode:?}: {s:?}"
    );
}

#[test]
fn model_survives_young_and_full_cycles_one_thread() {
    for mode in MODES {
        mixed(mode, 1, 32);
    }
}

#[test]
fn model_survives_young_and_full_cycles_two_threads() {
    for mode in MODES {
        mixed(mode, 2, 32);
    }
}

#[test]
fn model_survives_young_and_full_cycles_eight_threads() {
    for mode in MODES {
        mixed(mode, 8, 16);
    }
}

/// Node layout of the test VM: references at 8 and 16, data at 32 and 40.
const A: usize = 8;
const DATA: usize = 32;
/// The last slot of a large reference array.
const LAST: usize = 8 + (LARGE_LEN as usize - 1) * 8;

/// An old node and an old large array referencing a young node (and a young
/// large array), stored after the old ones were promoted: a young cycle finds the young objects
/// through the card table alone, moves them, and rewrites the old slots.
#[test]
fn old_to_young_references_are_followed_and_rewritten() {
    for (mode, slide) in MODES.into_iter().flat_map(|m| [(m, true), (m, false)]) {
        let Some((heap, types)) = heap_sliding_or_not(mode, slide) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let old = s.alloc(types.node, 0).unwrap();
            let old_big = s.alloc(types.refs, LARGE_LEN).unwrap();
            s.mutator().collect().unwrap();
            assert_eq!(
                s.mutator().heap().stats().last.unwrap().kind,
                CycleKind::Full
            );
            let old_addr = s.get(old).unwrap().addr();
            for round in 0..4u64 {
                // Garbage first, so that the young node slides down.
                for _ in 0..200 {
                    s.mutator().alloc(types.node, 0).unwrap();
                }
                let young = s.alloc(types.node, 0).unwrap();
                let big = s.alloc(types.refs, LARGE_LEN).unwrap();
                let (young, big) = (s.get(young).unwrap(), s.get(big).unwrap());
                // SAFETY: our objects, current: no safepoint since `get`.
                unsafe {
                    young.write_word(DATA, 1000 + round as usize);
                    s.mutator().write_ref(big, 8, Some(young));
                    let o = s.get(old).unwrap();
                    s.mutator().write_ref(o, A, Some(young));
                    s.mutator().write_ref(o, A + 8, Some(big));
                    // The last slot: its card runs past the array's end.
                    let ob = s.get(old_big).unwrap();
                    s.mutator().write_ref(ob, LAST, Some(young));
                }
                let young_before = young.addr();
                s.mutator().collect_young().unwrap();
                let st = s.mutator().heap().stats();
                let last = st.last.unwrap();
                assert_eq!(last.kind, CycleKind::Young, "{mode:?} round {round}");
                assert!(last.remembered_cards >= 1, "{mode:?}: {last}");
                let o = s.get(old).unwrap();
                assert_eq!(o.addr(), old_addr, "{mode:?}: an old object moved");
                // SAFETY: our objects, current after the collection.
                unsafe {
                    let y = s.mutator().read_ref(o, A).expect("young kept");
                    let b = s.mutator().read_ref(o, A + 8).expect("large kept");
                    assert_ne!(y.addr(), young_before, "{mode:?}: the young node slid down");
                    assert_eq!(y.read_word(DATA), 1000 + round as usize, "{mode:?}");
                    assert_eq!(s.mutator().read_ref(b, 8), Some(y), "{mode:?}");
                    let ob = s.get(old_big).unwrap();
                    assert_eq!(s.mutator().read_ref(ob, LAST), Some(y), "{mode:?}");
                }
            }
        });
    }
}

/// A young large array's cards are not the remembered set's: a young cycle
/// rewrites the array whole, so its pause drops and cleans them (listed, the
/// Lisp's gcbench's 8,193 took 0.35–0.45 ms of its compaction pause). The
/// rewrite dirties again those that reference young objects: the next young
/// cycle, the array old by then, lists them and follows them, and every
/// slot leads to its node through both, the nodes sliding in the first.
#[test]
fn a_young_large_arrays_cards_are_dropped_then_dirtied_again() {
    const N: usize = LARGE_LEN as usize;
    for (mode, slide) in MODES.into_iter().flat_map(|m| [(m, true), (m, false)]) {
        let Some((heap, types)) = heap_sliding_or_not(mode, slide) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            s.alloc(types.node, 0).unwrap();
            s.mutator().collect().unwrap();
            let big = s.alloc(types.refs, LARGE_LEN).unwrap();
            for i in 0..N {
                // Garbage before each node: the nodes slide.
                for _ in 0..4 {
                    s.mutator().alloc(types.node, 0).unwrap();
                }
                let node = s.mutator().alloc(types.node, 0).unwrap();
                let b = s.get(big).unwrap();
                // SAFETY: our objects, current: no safepoint since the allocation.
                unsafe {
                    node.write_word(DATA, i);
                    s.mutator().write_ref(b, 8 + 8 * i, Some(node));
                }
            }
            for round in 0..2 {
                let before = s.get(big).map(|b| {
                    // SAFETY: our array, current.
                    unsafe { s.mutator().read_ref(b, 8 + 8 * (N - 1)) }
                        .unwrap()
                        .addr()
                });
                s.mutator().collect_young().unwrap();
                let last = s.mutator().heap().stats().last.unwrap();
                assert_eq!(last.kind, CycleKind::Young, "{mode:?} round {round}");
                if round == 0 {
                    assert_eq!(last.remembered_cards, 0, "{mode:?}: {last}");
                } else {
                    assert!(last.remembered_cards > 0, "{mode:?}: {last}");
                }
                let b = s.get(big).unwrap();
                for i in 0..N {
                    // SAFETY: our array, current after the collection.
                    let node = unsafe { s.mutator().read_ref(b, 8 + 8 * i) }.unwrap();
                    // SAFETY: a reachable node.
                    assert_eq!(unsafe { node.read_word(DATA) }, i, "{mode:?} round {round}");
                    if i == N - 1 && round == 0 {
                        assert_ne!(Some(node.addr()), before, "{mode:?}: the nodes slid");
                    }
                }
                for _ in 0..4 * N {
                    s.mutator().alloc(types.node, 0).unwrap();
                }
            }
        });
    }
}

/// A young cycle's concurrent compaction rewrites the old pages of its dirty
/// cards after the pause, not in it: old nodes on many pages, and an old
/// large array, reference young nodes that move; with the compaction thread
/// held back, the mutator reads them right after the pause, and rewrites
/// their pages itself; every reference leads to its young node, during the
/// compaction, after it, and after a second young cycle.
#[test]
fn old_pages_with_dirty_cards_are_rewritten_after_the_pause() {
    for mode in [Mode::Move, Mode::Copy] {
        let inject = Injection {
            compaction_delay: Some(std::time::Duration::from_millis(100)),
            ..Injection::default()
        };
        let Some((heap, types)) = concurrent_heap(mode, 64 << 20, |b| b.inject(inject)) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        const NODES: usize = 4_000;
        // Every fifth slot of a 160 KB array: its cards on every page.
        const STRIDE: usize = 5;
        m.scope(|s| {
            let olds = s.alloc(types.refs, NODES as u32).unwrap();
            let big = s.alloc(types.refs, (NODES * STRIDE) as u32).unwrap();
            for i in 0..NODES {
                let node = s.mutator().alloc(types.node, 0).unwrap();
                let arr = s.get(olds).unwrap();
                // SAFETY: fresh and live objects, current: no safepoint since.
                unsafe { s.mutator().write_ref(arr, 8 + 8 * i, Some(node)) };
            }
            s.mutator().collect().unwrap();
            let check = |s: &mut gc_core::HandleScope<'_>, what: &str| {
                let (arr, big) = (s.get(olds).unwrap(), s.get(big).unwrap());
                for i in 0..NODES {
                    // SAFETY: live objects; no safepoint in the loop.
                    unsafe {
                        let old = s.mutator().read_ref(arr, 8 + 8 * i).unwrap();
                        let young = s.mutator().read_ref(old, A).unwrap_or_else(|| {
                            panic!("{mode:?} {what}: node {i} lost its young node")
                        });
                        assert_eq!(young.read_word(DATA), i, "{mode:?} {what}: node {i}");
                        let from_big = s.mutator().read_ref(big, 8 + 8 * i * STRIDE);
                        assert_eq!(from_big, Some(young), "{mode:?} {what}: big slot {i}");
                    }
                }
            };
            for i in 0..NODES {
                // Garbage first, so that the young node slides down.
                s.mutator().alloc(types.blob, 40).unwrap();
                let young = s.mutator().alloc(types.node, 0).unwrap();
                let arr = s.get(olds).unwrap();
                // SAFETY: live objects, current: no safepoint since `alloc`.
                unsafe {
                    young.write_word(DATA, i);
                    let old = s.mutator().read_ref(arr, 8 + 8 * i).unwrap();
                    s.mutator().write_ref(old, A, Some(young));
                    let big = s.get(big).unwrap();
                    s.mutator().write_ref(big, 8 + 8 * i * STRIDE, Some(young));
                }
            }
            let seen = s.mutator().heap().stats().collections;
            movegc_tests::allocate_until_collection(s.mutator(), types, seen).unwrap();
            let first = s.mutator().heap().stats().last.unwrap();
            assert_eq!(first.kind, CycleKind::Young, "{mode:?}: {first}");
            assert!(first.remembered_cards > 100, "{mode:?}: {first}");
            check(s, "right after the pause");
            s.mutator().collect_young().unwrap();
            check(s, "after a second young cycle");
        });
        // Only an old page rewritten after the pause can fault as one, and
        // only the old array's pages as large ones: no large object is young.
        let st = heap.stats();
        assert!(
            st.faults_by_kind.old.count > 0 && st.faults_by_kind.large.count > 0,
            "{mode:?}: the mutator rewrote no old page: {:?}",
            st.faults_by_kind
        );
    }
}

/// A young cycle in Move mode leaves the old generation's pages alone: not
/// remapped, not moved, not written. The old pages are made read-only for
/// the cycle: a remap would carry the protection into the shadow, where
/// building the page would write, and crash the test.
#[test]
fn old_pages_are_not_touched_by_a_young_cycle() {
    let Some((heap, types)) = heap_sliding_nothing(Mode::Move, 128 << 20) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        // Old data: a list of 20,000 nodes (about 1 MiB), promoted by a full cycle.
        let head = old_list(s, types, 20_000);
        s.mutator().collect().unwrap();
        let old = s.mutator().heap().moving_space();
        // Young garbage, and survivors that reference old objects (no card).
        let keep = s.local(None);
        for i in 0..5000 {
            let node = s.mutator().alloc(types.node, 0).unwrap();
            if i % 10 == 0 {
                let h = s.get(head);
                // SAFETY: our objects.
                unsafe { s.mutator().write_ref(node, A, h) };
                s.set(keep, Some(node));
            }
        }
        let page = 4096;
        let (first, end) = (old.start.next_multiple_of(page), old.end / page * page);
        assert!(end - first >= 200 * page, "{old:x?}");
        protect(first..end, libc::PROT_READ);
        let collected = s.mutator().collect_young();
        protect(first..end, libc::PROT_READ | libc::PROT_WRITE);
        collected.unwrap();
        let st = s.mutator().heap().stats();
        let last = st.last.unwrap();
        assert_eq!(last.kind, CycleKind::Young);
        assert!(last.pages_in_place >= (end - first) / page, "{last}");
        assert!(
            last.pages_remapped >= last.pages_compacted && last.pages_compacted > 0,
            "the young pages, to-space and what was allocated above it, are remapped: {last}"
        );
        // The old list is intact, and the survivors reference it.
        check_old_list(s, head, 20_000);
        let kept = s.get(keep).unwrap();
        // SAFETY: our node.
        assert_eq!(unsafe { s.mutator().read_ref(kept, A) }, s.get(head));
    });
}

fn protect(range: std::ops::Range<usize>, prot: i32) {
    // SAFETY: a page-aligned range of the heap, whose objects nothing writes
    // meanwhile.
    let r = unsafe { libc::mprotect(range.start as *mut libc::c_void, range.len(), prot) };
    assert_eq!(r, 0, "mprotect: {}", std::io::Error::last_os_error());
}

/// The barrier injected to drop old-to-young records: the verifier, at the
/// next cycle's start, names the old object whose slot is not remembered,
/// and the log names the cycle before, whose work it checked.
#[test]
fn a_barrier_that_drops_old_to_young_records_is_caught() {
    let _serial = serial();
    for mode in MODES {
        log_lines().clear();
        let inject = Injection {
            no_card_marking: true,
            ..Injection::default()
        };
        let Some((heap, types)) = heap(mode, 32 << 20, inject) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        let result = m.scope(|s| {
            let old = s.alloc(types.node, 0).unwrap();
            s.mutator().collect().unwrap();
            let young = s.mutator().alloc(types.node, 0).unwrap();
            // SAFETY: our objects, no safepoint since `get`.
            unsafe {
                let o = s.get(old).unwrap();
                s.mutator().write_ref(o, A, Some(young));
            }
            s.mutator().collect_young()
        });
        match result {
            Err(GcError::Corrupt(errors)) => {
                let text = errors.iter().map(|e| e.to_string()).collect::<Vec<_>>();
                assert!(
                    text.iter().any(|t| t.contains("card is clean")),
                    "{mode:?}: {text:?}"
                );
                let logged = log_lines();
                assert!(
                    logged.iter().any(|l| l.starts_with("ERROR")
                        && l.contains("the heap verifier failed after gc #1 full (Requested)")),
                    "{mode:?}: {logged:?}"
                );
            }
            other => panic!("{mode:?}: the dropped record went unnoticed: {other:?}"),
        }
    }
}

/// The policy: a VM reads it, sets it, and is refused one that cannot work;
/// with generations off every cycle is full.
#[test]
fn the_policy_is_read_and_set() {
    let Some((heap, types)) = heap(Mode::StopTheWorld, 32 << 20, Injection::default()) else {
        return;
    };
    assert!(heap.policy().generational);
    assert!(matches!(
        heap.set_policy(Policy::default().old_growth(-1.0)),
        Err(GcError::Config(_))
    ));
    heap.set_policy(Policy::default().generational(false))
        .unwrap();
    assert!(!heap.policy().generational);
    let mut m = heap.attach().unwrap();
    for _ in 0..3 {
        m.alloc(types.node, 0).unwrap();
        m.collect_young().unwrap();
    }
    let s = heap.stats();
    assert_eq!((s.young_cycles, s.full_cycles), (0, 3), "{s:?}");
}

/// A remembered set larger than a young cycle's pause may rewrite makes the
/// next cycle full, even when a young one is asked for (its pause rewrites no
/// card); with a small one the cycle is young. The slots are right either way.
#[test]
fn a_large_remembered_set_makes_the_cycle_full() {
    const STRIDE: usize = gc_core::CARD / 8;
    for (cards, kind) in [
        (64, CycleKind::Young),
        (
            gc_core::policy::MAX_REMEMBERED_CARDS + 1024,
            CycleKind::Full,
        ),
    ] {
        let slots = (cards * STRIDE) as u32;
        let Some((heap, types)) = heap(Mode::Move, 128 << 20, Injection::default()) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let array = s.alloc(types.refs, slots).unwrap();
            s.mutator().collect().unwrap();
            for i in (0..slots as usize).step_by(STRIDE) {
                let node = s.mutator().alloc(types.node, 0).unwrap();
                let a = s.get(array).unwrap();
                // SAFETY: our objects, current: no safepoint since the allocation.
                unsafe {
                    node.write_word(DATA, i);
                    s.mutator().write_ref(a, 8 + i * 8, Some(node));
                }
            }
            s.mutator().collect_young().unwrap();
            let last = s.mutator().heap().stats().last.unwrap();
            assert_eq!(last.kind, kind, "{cards} cards: {last}");
            let a = s.get(array).unwrap();
            for i in (0..slots as usize).step_by(STRIDE) {
                // SAFETY: our objects, current.
                unsafe {
                    let node = s.mutator().read_ref(a, 8 + i * 8).expect("kept");
                    assert_eq!(node.read_word(DATA), i);
                }
            }
        });
    }
}

/// While generations are off the write barrier lists no card (full cycles
/// need no remembered set). Turned back on, the first cycle is full, even
/// asked to be young, and cleans the whole table: the old array's slots,
/// written while nothing listed their cards, keep their young nodes. Young
/// cycles follow, and the slots written after remember theirs.
#[test]
fn cards_dirtied_while_generations_are_off_are_not_forgotten() {
    const SLOTS: usize = 4096;
    const STRIDE: usize = gc_core::CARD / 8;
    for mode in MODES {
        let Some((heap, types)) = heap(mode, 64 << 20, Injection::default()) else {
            return;
        };
        heap.set_policy(Policy::default().generational(false))
            .unwrap();
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let array = s.alloc(types.refs, SLOTS as u32).unwrap();
            s.mutator().collect().unwrap();
            let fill = |s: &mut gc_core::HandleScope<'_>, tag: usize| {
                for i in (0..SLOTS).step_by(STRIDE) {
                    let node = s.mutator().alloc(types.node, 0).unwrap();
                    let a = s.get(array).unwrap();
                    // SAFETY: our objects, current: no safepoint since the allocation.
                    unsafe {
                        node.write_word(DATA, tag + i);
                        s.mutator().write_ref(a, 8 + i * 8, Some(node));
                    }
                }
            };
            let check = |s: &mut gc_core::HandleScope<'_>, tag: usize| {
                let a = s.get(array).unwrap();
                for i in (0..SLOTS).step_by(STRIDE) {
                    // SAFETY: our objects, current.
                    unsafe {
                        let node = s.mutator().read_ref(a, 8 + i * 8).expect("kept");
                        assert_eq!(node.read_word(DATA), tag + i, "{mode:?}: slot {i}");
                    }
                }
            };
            fill(s, 1 << 20);
            s.mutator().heap().set_policy(Policy::default()).unwrap();
            s.mutator().collect_young().unwrap();
            let last = s.mutator().heap().stats().last.unwrap();
            assert_eq!(last.kind, CycleKind::Full, "{mode:?}: {last}");
            check(s, 1 << 20);
            fill(s, 2 << 20);
            s.mutator().collect_young().unwrap();
            let last = s.mutator().heap().stats().last.unwrap();
            assert_eq!(last.kind, CycleKind::Young, "{mode:?}: {last}");
            assert!(last.remembered_cards > 0, "{mode:?}: {last}");
            check(s, 2 << 20);
        });
    }
}

/// Two young cycles back to back, the second finding garbage among the
/// first's survivors and nothing allocated since: the young start must end
/// at the new top, not at the old one, or the objects allocated next would
/// count as old, and what only they reference would be lost.
#[test]
fn back_to_back_young_cycles_keep_new_objects_young() {
    for mode in MODES {
        let Some((heap, types)) = heap(mode, 32 << 20, Injection::default()) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let keep = s.alloc(types.node, 0).unwrap();
            let drop_me = s.alloc(types.node, 0).unwrap();
            s.mutator().collect_young().unwrap();
            s.set(drop_me, None);
            s.mutator().collect_young().unwrap();
            let holder = s.alloc(types.node, 0).unwrap();
            for round in 0..3usize {
                let child = s.mutator().alloc(types.node, 0).unwrap();
                let h = s.get(holder).unwrap();
                // SAFETY: our objects, current: no safepoint since.
                unsafe {
                    child.write_word(DATA, 77 + round);
                    s.mutator().write_ref(h, A, Some(child));
                }
                // Garbage, so that the child moves.
                for _ in 0..100 {
                    s.mutator().alloc(types.node, 0).unwrap();
                }
                s.mutator().collect_young().unwrap();
                let h = s.get(holder).unwrap();
                // SAFETY: our objects, current after the collection.
                unsafe {
                    let child = s.mutator().read_ref(h, A).expect("child kept");
                    assert_eq!(child.read_word(DATA), 77 + round, "{mode:?} round {round}");
                }
            }
            assert!(s.get(keep).is_some());
        });
    }
}

/// A young cycle whose few survivors lie scattered over a young range of
/// garbage moves out to the shadow the pages they lie on and the to-space
/// pages, not the range: the garbage pages stay mapped for the allocations
/// after it, which find them zeroed, and the survivors arrive intact.
#[test]
fn a_young_cycle_remaps_its_survivors_pages_not_the_young_range() {
    const SURVIVORS: usize = 32;
    /// Garbage blobs (1 KiB) between two survivors: 512 KiB.
    const GAP: usize = 512;
    const DATA: usize = 32;
    for mode in [Mode::Move, Mode::Copy] {
        let Some((heap, types)) = heap_sliding_nothing(mode, 96 << 20) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let keep = s.alloc(types.refs, SURVIVORS as u32).unwrap();
            s.mutator().collect().unwrap();
            for i in 0..SURVIVORS {
                for _ in 0..GAP {
                    s.mutator().alloc(types.blob, 1016).unwrap();
                }
                let node = s.mutator().alloc(types.node, 0).unwrap();
                let arr = s.get(keep).unwrap();
                // SAFETY: fresh and live objects; no safepoint since they were read.
                unsafe {
                    node.write_word(DATA, 0x5eed + i);
                    s.mutator().write_ref(arr, 8 + i * 8, Some(node));
                }
            }
            let young_pages = SURVIVORS * GAP * 1024 / 4096;
            s.mutator().collect_young().unwrap();
            let st = heap.stats();
            let last = st.last.as_ref().unwrap();
            assert_eq!(last.kind, CycleKind::Young, "{mode:?}");
            assert_eq!(
                st.last_compaction.as_ref().map(|c| c.cycle),
                Some(last.index),
                "{mode:?}: the young cycle compacted concurrently"
            );
            // One page per survivor (two if it straddles), the to-space's, and
            // the few joined runs' garbage between.
            assert!(
                last.pages_remapped > 0 && last.pages_remapped < young_pages / 8,
                "{mode:?}: {} pages remapped for {SURVIVORS} survivors in {young_pages} \
                 young pages",
                last.pages_remapped
            );
            let arr = s.get(keep).unwrap();
            for i in 0..SURVIVORS {
                // SAFETY: live objects; no safepoint in the loop.
                let node = unsafe { s.mutator().read_ref(arr, 8 + i * 8) }.unwrap();
                // SAFETY: a live node.
                assert_eq!(unsafe { node.read_word(DATA) }, 0x5eed + i, "{mode:?}");
            }
            // The allocations reuse the garbage pages left mapped: zeroed.
            for n in 0..young_pages * 4096 / movegc_tests::NODE_SIZE {
                let node = s.mutator().alloc(types.node, 0).unwrap();
                for offset in (8..movegc_tests::NODE_SIZE).step_by(8) {
                    // SAFETY: a fresh node.
                    let word = unsafe { node.read_word(offset) };
                    assert_eq!(word, 0, "{mode:?}: node {n} word {offset} not zeroed");
                }
            }
        });
    }
}

/// A cycle the budget triggers while a program builds its data finds next to
/// nothing dead: it moves nothing (no page remapped, none built), leaves its
/// few dead words in place as fillers, and records its promoted objects as
/// old after the pause, with the cards of their references to young objects
/// (each node links to the next one allocated). The next cycles' verifier
/// checks those starts and cards; the data stays intact through young and
/// full cycles after it.
#[test]
fn a_cycle_that_finds_nearly_nothing_dead_moves_nothing() {
    const DATA: usize = 32;
    for mode in MODES {
        let Some((heap, types)) = heap(mode, 64 << 20, Injection::default()) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let head = s.local(None);
            let mut n = 0usize;
            let mut grow = |s: &mut gc_core::HandleScope<'_>, until: u64| {
                while heap.stats().collections < until {
                    // Past half the heap, wait for the cycle under way: on a
                    // loaded machine the first cycle's marking fell behind
                    // and the heap filled (a cycle of reason Full, then, not
                    // the budget's this test is about).
                    if n % 4096 == 0 && heap.stats().used > (64 << 20) / 2 {
                        s.mutator()
                            .native(|| std::thread::sleep(std::time::Duration::from_millis(1)));
                    }
                    let node = s.mutator().alloc(types.node, 0).unwrap();
                    let old = s.get(head);
                    // SAFETY: a fresh node and a live one; no safepoint since
                    // `old` was read. The link back from the older node makes
                    // promoted nodes reference young ones.
                    unsafe {
                        node.write_word(DATA, n);
                        s.mutator().write_ref(node, 8, old);
                        if let Some(old) = old {
                            s.mutator().write_ref(old, 16, Some(node));
                        }
                    }
                    s.set(head, Some(node));
                    n += 1;
                }
            };
            let seen = heap.stats().collections;
            grow(s, seen + 1);
            let st = heap.stats();
            let last = st.last.as_ref().unwrap();
            assert!(
                last.in_place,
                "{mode:?}: a cycle with everything live compacted: {last}"
            );
            assert_eq!(last.pages_compacted, 0, "{mode:?}: {last}");
            assert_eq!(last.pages_remapped, 0, "{mode:?}: {last}");
            // Young cycles after it find the promoted list through its starts
            // and cards (the verifier checks both at each cycle's start).
            grow(s, seen + 3);
            s.mutator().collect_young().unwrap();
            s.mutator().collect().unwrap();
            let mut at = s.get(head);
            let mut expect = n;
            while let Some(node) = at {
                expect -= 1;
                // SAFETY: a live node; no safepoint in the loop.
                unsafe {
                    assert_eq!(node.read_word(DATA), expect, "{mode:?}");
                    at = s.mutator().read_ref(node, 8);
                }
            }
            assert_eq!(expect, 0, "{mode:?}: the list lost nodes");
        });
    }
}

/// A full cycle the policy runs (a heap's first is one) ages objects as a
/// young one does: what it found allocated since the last cycle stays young,
/// and the next cycle promotes what survives it. Its data arrives intact, and
/// the verifier (on in these heaps) checks the old generation's cards after
/// each cycle.
#[test]
fn a_full_cycle_the_policy_runs_keeps_new_objects_young() {
    const NODES: usize = 2000;
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 64 << 20, |b| {
            b.policy(
                Policy::default()
                    .young_slide_limit(0)
                    .young_pause_objects(0)
                    .young_budget(Some(1 << 20)),
            )
        }) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let head = old_list(s, types, NODES);
            while s.mutator().heap().stats().collections == 0 {
                s.mutator().alloc(types.node, 0).unwrap();
                s.mutator().safepoint();
            }
            let first = s.mutator().heap().stats().last.expect("a cycle ended");
            assert_eq!(
                first.kind,
                CycleKind::Full,
                "{mode:?}: a heap's first cycle"
            );
            assert_eq!(first.reason, Some(Reason::Budget), "{mode:?}");
            assert!(first.live_bytes >= NODES * 32, "{mode:?}: {first:?}");
            assert_eq!(
                first.promoted_bytes, 0,
                "{mode:?}: nothing it found had survived a cycle: {first:?}"
            );
            s.mutator().collect_young().unwrap();
            let second = s.mutator().heap().stats().last.expect("a cycle ended");
            assert_eq!(second.kind, CycleKind::Young, "{mode:?}");
            assert!(
                second.promoted_bytes >= NODES * 32,
                "{mode:?}: the list survived two cycles: {second:?}"
            );
            check_old_list(s, head, NODES);
        });
    }
}

/// A list of `n` nodes numbered from 0 (data word), each referencing the one
/// before it (slot A): its newest node.
fn old_list<'s>(s: &mut gc_core::HandleScope<'s>, types: Types, n: usize) -> gc_core::Local<'s> {
    let head = s.local(None);
    for i in 0..n {
        // No handle: the list's nodes die with it.
        let node = s.mutator().alloc(types.node, 0).unwrap();
        let before = s.get(head);
        // SAFETY: a fresh node of ours, read since the allocation.
        unsafe {
            node.write_word(DATA, i);
            s.mutator().write_ref(node, A, before);
        }
        s.set(head, Some(node));
    }
    head
}

/// Walks [`old_list`]'s nodes from `head`: they must be numbered down from
/// `n - 1`.
fn check_old_list(s: &mut gc_core::HandleScope<'_>, head: gc_core::Local<'_>, n: usize) {
    let mut at = s.get(head);
    let mut i = n;
    while let Some(node) = at {
        i -= 1;
        // SAFETY: our nodes; no safepoint in the loop.
        unsafe {
            assert_eq!(node.read_word(DATA), i);
            at = s.mutator().read_ref(node, A);
        }
    }
    assert_eq!(i, 0);
}

/// A full cycle leaves mapped the pages of its dense prefix whose objects
/// reference nothing that moves and were not written since marking scanned
/// them: an old list at the bottom of the heap, below old garbage and a
/// survivor that slides over it. In Move mode those pages are made
/// read-only for the cycle: remapped, they would take the protection into
/// the shadow, where their builds could not write (with the prefix
/// remapped, the list reads back broken).
#[test]
fn a_full_cycle_leaves_its_clean_dense_prefix_mapped() {
    for mode in MODES {
        let Some((heap, types)) = heap_sliding_nothing(mode, 128 << 20) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            const NODES: usize = 20_000;
            let head = old_list(s, types, NODES);
            let garbage = old_list(s, types, NODES / 4);
            let survivor = s.alloc(types.node, 0).unwrap();
            let h = s.get(head);
            let node = s.get(survivor).unwrap();
            // SAFETY: our node.
            unsafe { s.mutator().write_ref(node, A, h) };
            s.mutator().collect().unwrap();
            if mode != Mode::StopTheWorld {
                movegc_tests::wait_for_compaction(s.mutator());
            }
            let start = s.mutator().heap().moving_space().start;
            let page = 4096;
            // The dead list's oldest node, its lowest.
            let dead = s.get(head).unwrap().addr() + 48;
            s.set(garbage, None);
            let before = s.get(survivor).unwrap().addr();
            // The page the object crossing the dead array's page holds is built.
            let kept = start..(dead / page - 1) * page;
            assert!(kept.len() >= 100 * page, "{kept:x?}");
            if mode == Mode::Move {
                protect(kept.clone(), libc::PROT_READ);
            }
            let collected = s.mutator().collect();
            if mode == Mode::Move {
                protect(kept.clone(), libc::PROT_READ | libc::PROT_WRITE);
            }
            collected.unwrap();
            if mode != Mode::StopTheWorld {
                movegc_tests::wait_for_compaction(s.mutator());
            }
            let st = s.mutator().heap().stats();
            let last = st.last.unwrap();
            assert_eq!(last.kind, CycleKind::Full);
            assert!(
                last.pages_in_place >= kept.len() / page,
                "{mode:?}: {} pages kept: {last}",
                kept.len() / page
            );
            check_old_list(s, head, NODES);
            let node = s.get(survivor).unwrap();
            assert!(
                node.addr() < before,
                "{mode:?}: the survivor slid down: {last}"
            );
            // SAFETY: our node.
            assert_eq!(unsafe { s.mutator().read_ref(node, A) }, s.get(head));
        });
    }
}

/// A store to an old object after a full cycle's marking scanned it, of a
/// reference to an object the cycle moves, keeps the object's page out of
/// the dense prefix the cycle leaves mapped: the store dirties the page's
/// card. An old list at the bottom of the heap (its second slots null),
/// old garbage above it, then a pool of old nodes, which slide over the
/// garbage. A thread runs a full cycle that waits before its compaction
/// pause (an injected delay); once its marking is over, the main thread
/// stores pool nodes into the list's second slots. Every slot must then
/// hold its node's new address. With the barrier's card injected away, the
/// list's pages are left mapped with the nodes' old addresses: caught.
fn stores_during_a_full_cycle_reach_pages_it_would_leave_mapped(drop_cards: bool) {
    let inject = Injection {
        pause_delay: Some(std::time::Duration::from_millis(300)),
        no_old_store_cards: drop_cards,
        ..Default::default()
    };
    let Some((heap, types)) = concurrent_heap(Mode::Move, 64 << 20, |b| {
        b.inject(inject)
            .policy(movegc_tests::requested_cycles_only())
    }) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    const NODES: usize = 20_000;
    const POOL: usize = 1_000;
    let stale = m.scope(|s| {
        let head = old_list(s, types, NODES);
        let garbage = old_list(s, types, NODES / 4);
        let pool = s.alloc(types.refs, POOL as u32).unwrap();
        for k in 0..POOL {
            let node = s.mutator().alloc(types.node, 0).unwrap();
            let array = s.get(pool).unwrap();
            // SAFETY: our array, read since the allocation; slot k of POOL.
            unsafe { s.mutator().write_ref(array, 8 + 8 * k, Some(node)) };
        }
        movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
        s.set(garbage, None);
        let flag = s.mutator().jit_info().marking_flag;
        let marking = || {
            // SAFETY: the heap's pre-barrier byte, valid while it lives.
            unsafe { std::sync::atomic::AtomicU8::from_ptr(flag.cast_mut()) }
                .load(std::sync::atomic::Ordering::Relaxed)
                != 0
        };
        std::thread::scope(|scope| {
            let cycle = scope.spawn(|| heap.attach().unwrap().collect());
            s.mutator().native(|| {
                while !marking() {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                // Marking 2 MiB takes milliseconds; the delay before the
                // pause, 300.
                std::thread::sleep(std::time::Duration::from_millis(100));
            });
            let walk = s.local(s.get(head));
            let mut k = 0;
            while let Some(node) = s.get(walk) {
                let array = s.get(pool).unwrap();
                // SAFETY: our objects, read since the last safepoint.
                unsafe {
                    let stored = s.mutator().read_ref(array, 8 + 8 * k);
                    s.mutator().write_ref(node, A + 8, stored);
                    let next = s.mutator().read_ref(node, A);
                    s.set(walk, next);
                }
                k = (k + 1) % POOL;
            }
            s.mutator().native(|| cycle.join().unwrap()).unwrap();
        });
        movegc_tests::wait_for_compaction(s.mutator());
        assert_eq!(
            s.mutator().heap().stats().last.unwrap().kind,
            CycleKind::Full
        );
        let walk = s.local(s.get(head));
        let (mut k, mut stale) = (0, 0);
        while let Some(node) = s.get(walk) {
            let array = s.get(pool).unwrap();
            // SAFETY: our objects; the second slots are compared, not followed.
            unsafe {
                if s.mutator().read_ref(node, A + 8) != s.mutator().read_ref(array, 8 + 8 * k) {
                    stale += 1;
                }
                let next = s.mutator().read_ref(node, A);
                s.set(walk, next);
            }
            k = (k + 1) % POOL;
        }
        stale
    });
    if drop_cards {
        assert!(stale > 0, "no stale reference with the cards dropped");
    } else {
        assert_eq!(stale, 0, "slots that missed their node's move");
    }
}

#[test]
fn stores_during_a_full_cycle_reach_the_pages_it_leaves_mapped() {
    stores_during_a_full_cycle_reach_pages_it_would_leave_mapped(false);
}

#[test]
fn a_barrier_that_drops_old_stores_during_a_full_cycle_is_caught() {
    // Its stale slots may fail a later cycle's verification: not while the
    // dropped-record test looks for its own failure in the log.
    let _serial = serial();
    stores_during_a_full_cycle_reach_pages_it_would_leave_mapped(true);
}

/// A full cycle whose card list is long (thousands of old nodes given young
/// references) cleans the table whole rather than card by card; cards the
/// mutator dirties after it are listed again, and the young cycles that
/// follow find every old-to-young reference through them.
#[test]
fn cards_dirtied_after_a_long_list_was_cleaned_are_followed() {
    const OLD: usize = 100_000;
    const B: usize = 16;
    /// Gives the old node `cur` holds a young node numbered `number(i)`,
    /// `i` the old node's number, and moves `cur` on to the next.
    fn give_young(
        s: &mut gc_core::HandleScope<'_>,
        types: Types,
        cur: gc_core::Local<'_>,
        number: impl Fn(usize) -> usize,
    ) {
        let young = s.mutator().alloc(types.node, 0).unwrap();
        let node = s.get(cur).unwrap();
        // SAFETY: our objects, current: no safepoint since the allocation.
        unsafe {
            young.write_word(DATA, number(node.read_word(DATA)));
            s.mutator().write_ref(node, B, Some(young));
            let next = s.mutator().read_ref(node, A);
            s.set(cur, next);
        }
    }
    for mode in MODES {
        let Some((heap, types)) =
            concurrent_heap(mode, 32 << 20, |b| b.policy(requested_cycles_only()))
        else {
            return;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let head = old_list(s, types, OLD);
            s.mutator().collect().unwrap();
            // Every old node gets a young one: every card of the list listed.
            let cur = s.local(s.get(head));
            while s.get(cur).is_some() {
                give_young(s, types, cur, |i| i + OLD);
            }
            s.mutator().collect().unwrap();
            let full = s.mutator().heap().stats().last.unwrap();
            assert_eq!(full.kind, CycleKind::Full, "{mode:?}");
            assert!(
                full.remembered_cards >= OLD * 48 / 512 / 2,
                "{mode:?}: {} cards listed",
                full.remembered_cards
            );
            // Every 100th old node now references a new young node.
            s.set(cur, s.get(head));
            while let Some(node) = s.get(cur) {
                // SAFETY: our node, current.
                let i = unsafe { node.read_word(DATA) };
                if i % 100 == 0 {
                    give_young(s, types, cur, |i| i + 2 * OLD);
                } else {
                    // SAFETY: as above.
                    let next = unsafe { s.mutator().read_ref(node, A) };
                    s.set(cur, next);
                }
            }
            for round in 0..2 {
                for _ in 0..2000 {
                    s.mutator().alloc(types.node, 0).unwrap();
                }
                s.mutator().collect_young().unwrap();
                let last = s.mutator().heap().stats().last.unwrap();
                assert_eq!(last.kind, CycleKind::Young, "{mode:?}");
                if round == 0 {
                    assert!(last.remembered_cards >= OLD / 100, "{mode:?}: {last}");
                }
            }
            check_old_list(s, head, OLD);
            let mut at = s.get(head);
            while let Some(node) = at {
                // SAFETY: our nodes; no safepoint in the loop.
                unsafe {
                    let i = node.read_word(DATA);
                    let young = s.mutator().read_ref(node, B).expect("a young node");
                    let want = if i % 100 == 0 { i + 2 * OLD } else { i + OLD };
                    assert_eq!(young.read_word(DATA), want, "{mode:?}: node {i}");
                    at = s.mutator().read_ref(node, A);
                }
            }
        });
    }
}

/// Asserts that the heap's last cycle was young, and one pause if
/// `one_pause`, or an initial mark, a final mark and a compaction pause if
/// not.
fn assert_young_pauses(heap: &Heap, one_pause: bool, case: &str) {
    let last = heap.stats().last.expect("a cycle ran");
    assert_eq!(last.kind, CycleKind::Young, "{case}");
    let kinds: Vec<gc_core::PauseKind> = last.pauses.iter().map(|p| p.kind).collect();
    let expected = if one_pause {
        vec![gc_core::PauseKind::Full]
    } else {
        vec![
            gc_core::PauseKind::InitialMark,
            gc_core::PauseKind::FinalMark,
            gc_core::PauseKind::Compaction,
        ]
    };
    assert_eq!(kinds, expected, "{case}");
}

/// A young cycle whose first pause traces every survivor but finds them too
/// many to slide there ends that pause as an initial mark and compacts them
/// concurrently behind a pause of its own (starting the compaction in the
/// tracing pause added its setup to that pause); a list of young nodes
/// arrives intact. With room to slide them, the cycle is one pause.
#[test]
fn young_survivors_too_many_to_slide_are_compacted_after_a_pause_of_their_own() {
    const NODES: usize = 1_000;
    for mode in [Mode::Move, Mode::Copy] {
        for (slide_limit, one_pause) in [(4 << 10, false), (1 << 20, true)] {
            let Some((heap, types)) = concurrent_heap(mode, 32 << 20, |b| {
                b.policy(
                    Policy::default()
                        .young_budget(Some(1 << 30))
                        .young_slide_limit(slide_limit)
                        .young_pause_objects(4_000),
                )
            }) else {
                return;
            };
            let mut m = heap.attach().unwrap();
            m.scope(|s| {
                // Garbage below the list, so that its nodes slide.
                for _ in 0..NODES {
                    s.mutator().alloc(types.node, 0).unwrap();
                }
                let head = old_list(s, types, NODES);
                s.mutator().collect_young().unwrap();
                check_old_list(s, head, NODES);
            });
            assert_young_pauses(
                &heap,
                one_pause,
                &format!("{mode:?}, slide limit {slide_limit}"),
            );
        }
    }
}

/// A young cycle's first pause scans a bounded number of bytes as well as of
/// objects: roots holding arrays of references (the latency bench's slot
/// arrays, 4,000 objects a pause of 1.0–1.3 ms) end its trace early, and
/// marking goes on concurrently behind it; a few such arrays still make a
/// cycle of one pause. Every slot of every array leads to the young node it
/// was given, which the cycle slid.
#[test]
fn a_young_cycles_first_pause_traces_a_bounded_number_of_bytes() {
    const SLOTS: usize = 1_000;
    for mode in [Mode::Move, Mode::Copy] {
        // 64 arrays of 8 KiB: 512 KiB of objects, twice the pause's bytes for
        // a budget of 4,000 objects, and 65 objects in all.
        for (arrays, one_pause) in [(2, true), (64, false)] {
            let Some((heap, types)) = concurrent_heap(mode, 32 << 20, |b| {
                b.policy(
                    Policy::default()
                        .young_budget(Some(1 << 30))
                        .young_slide_limit(1 << 20)
                        .young_pause_objects(4_000),
                )
            }) else {
                return;
            };
            let mut m = heap.attach().unwrap();
            m.scope(|s| {
                // Garbage below the node, so that it slides.
                for _ in 0..64 {
                    s.mutator().alloc(types.node, 0).unwrap();
                }
                let node = s.alloc(types.node, 0).unwrap();
                let before = s.get(node).unwrap().addr();
                let held: Vec<_> = (0..arrays)
                    .map(|_| {
                        let a = s.alloc(types.refs, SLOTS as u32).unwrap();
                        let (array, target) = (s.get(a).unwrap(), s.get(node).unwrap());
                        for i in 0..SLOTS {
                            // SAFETY: our array, current: no safepoint since its allocation.
                            unsafe { s.mutator().write_ref(array, 8 + 8 * i, Some(target)) };
                        }
                        a
                    })
                    .collect();
                s.mutator().collect_young().unwrap();
                let target = s.get(node).unwrap();
                assert_ne!(
                    target.addr(),
                    before,
                    "{mode:?}, {arrays} arrays: the node slid"
                );
                for &a in &held {
                    let array = s.get(a).unwrap();
                    for i in 0..SLOTS {
                        // SAFETY: our array, current after the collection.
                        let slot = unsafe { s.mutator().read_ref(array, 8 + 8 * i) };
                        assert_eq!(slot, Some(target), "{mode:?}, {arrays} arrays, slot {i}");
                    }
                }
            });
            assert_young_pauses(&heap, one_pause, &format!("{mode:?}, {arrays} arrays"));
        }
    }
}
