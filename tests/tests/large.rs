//! Large objects' references rewritten after the compaction pause: their
//! pages are remapped and registered with the moving space's, and a mutator
//! reading one before the compaction thread has rewritten it rewrites it
//! itself. Needs userfaultfd: on CI (`CI=true`) its absence fails these
//! tests; elsewhere they skip, saying why.

use std::time::Duration;

use gc_core::inject::Injection;
use gc_core::{CycleKind, HandleScope, Heap, Local, Mode, ObjRef};
use movegc_tests::{Types, concurrent_heap};

/// Slots per array: 320 KiB, large enough to be rewritten after the pause.
const SLOTS: usize = 40_000;
const ARRAYS: usize = 3;
/// A node's data word, and the value it holds: which array and slot.
const DATA: usize = 32;

fn tag(round: usize, array: usize, slot: usize) -> usize {
    (round << 40) | (array << 20) | slot
}

/// A heap whose compaction thread starts late, so that a mutator reading
/// right after the pause meets large-object pages not yet rewritten.
fn heap(mode: Mode) -> Option<(Heap, Types)> {
    let inject = Injection {
        compaction_delay: Some(Duration::from_millis(300)),
        ..Injection::default()
    };
    concurrent_heap(mode, 96 << 20, |b| b.inject(inject))
}

/// A large array of `SLOTS` fresh nodes tagged for `round` and `array`, with
/// garbage between them so that they move.
fn fill<'s>(s: &mut HandleScope<'s>, types: Types, round: usize, array: usize) -> Local<'s> {
    let big = s.alloc(types.refs, SLOTS as u32).unwrap();
    for i in 0..SLOTS {
        s.mutator().alloc(types.blob, 24).unwrap();
        let node = s.mutator().alloc(types.node, 0).unwrap();
        let arr = s.get(big).unwrap();
        // SAFETY: fresh and live objects; no safepoint since they were read.
        unsafe {
            node.write_word(DATA, tag(round, array, i));
            s.mutator().write_ref(arr, 8 + i * 8, Some(node));
        }
    }
    big
}

/// Reads every slot of `arrays` and checks its node's tag.
fn check(s: &mut HandleScope<'_>, arrays: &[(Local<'_>, usize, usize)], when: &str) {
    for &(big, round, array) in arrays {
        let arr: ObjRef = s.get(big).unwrap();
        for i in 0..SLOTS {
            // SAFETY: live objects; no safepoint in the loop.
            let node = unsafe { s.mutator().read_ref(arr, 8 + i * 8) }
                .unwrap_or_else(|| panic!("{when}: array {array} slot {i} is null"));
            // SAFETY: a live node.
            let got = unsafe { node.read_word(DATA) };
            assert_eq!(
                got,
                tag(round, array, i),
                "{when}: array {array} slot {i} references the wrong node"
            );
        }
    }
}

/// Runs a cycle of `kind` on another thread; meanwhile this mutator waits
/// for its pause to end and reads every array while the delayed compaction
/// has built nothing yet. Every cycle here has large objects to rewrite
/// after its pause: a full cycle all, a young one the young ones and the
/// old ones of 64 KiB or more whose cards are dirty.
fn cycle_and_read(
    heap: &Heap,
    s: &mut HandleScope<'_>,
    arrays: &[(Local<'_>, usize, usize)],
    kind: CycleKind,
    when: &str,
) {
    let seen = heap.stats().collections;
    std::thread::scope(|t| {
        let collector = t.spawn(|| match kind {
            CycleKind::Young => heap.collect_young(),
            CycleKind::Full => heap.collect(),
        });
        // A cycle that fails returns before its pause ends.
        while heap.stats().collections == seen && !collector.is_finished() {
            s.mutator().safepoint();
            std::thread::yield_now();
        }
        if heap.stats().collections != seen {
            check(s, arrays, when);
        }
        collector
            .join()
            .unwrap()
            .unwrap_or_else(|e| panic!("{when}: {e}"));
    });
    let st = heap.stats();
    let last = st.last.as_ref().unwrap();
    assert_eq!(last.kind, kind, "{when}");
    let c = st.last_compaction.as_ref().unwrap();
    assert_eq!(
        c.cycle, last.index,
        "{when}: the cycle compacted concurrently"
    );
    assert!(
        c.large_pages >= SLOTS * 8 / 4096,
        "{when}: large-object pages were rewritten in the pause: {c}"
    );
    assert!(
        c.large_by_mutators > 0,
        "{when}: the reads rewrote no large-object page themselves: {c}"
    );
    assert_eq!(
        c.large_by_gc + c.large_by_mutators,
        c.large_pages,
        "{when}: {c}"
    );
}

/// Old arrays (rewritten by full cycles) and young ones (by young cycles),
/// read in flight; young nodes that only a large array references survive
/// the next young cycle too, found through the cards the page builder dirtied.
fn large_arrays_read_in_flight(mode: Mode) {
    let Some((heap, types)) = heap(mode) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let mut arrays: Vec<(Local<'_>, usize, usize)> =
            (0..ARRAYS).map(|a| (fill(s, types, 0, a), 0, a)).collect();
        cycle_and_read(&heap, s, &arrays, CycleKind::Full, "full cycle");
        for round in 1..3 {
            let young = fill(s, types, round, ARRAYS);
            arrays.push((young, round, ARRAYS));
            let when = format!("round {round}, young cycle");
            cycle_and_read(&heap, s, &arrays, CycleKind::Young, &when);
            // The nodes survived one young cycle and are still young: only the
            // array, old now, references them, and its cards are dirty: its
            // pages are rewritten after the pause too.
            let when = format!("round {round}, second young cycle");
            cycle_and_read(&heap, s, &arrays, CycleKind::Young, &when);
            arrays.pop();
        }
        cycle_and_read(&heap, s, &arrays, CycleKind::Full, "last full cycle");
    });
    drop(m);
    movegc_tests::check_page_accounting(&heap);
}

#[test]
fn move_mode_large_arrays_read_in_flight() {
    large_arrays_read_in_flight(Mode::Move);
}

#[test]
fn copy_mode_large_arrays_read_in_flight() {
    large_arrays_read_in_flight(Mode::Copy);
}
