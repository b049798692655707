//! Large objects moving by relinking: a full cycle that finds the large
//! space fragmented moves live large objects down into its holes, their
//! pages moved in the page tables with `UFFDIO_MOVE` (unread, for objects
//! without references). A mutator that touches a moved object's page before
//! the compaction thread has placed it places it itself. Needs userfaultfd:
//! on CI (`CI=true`) its absence fails these tests; elsewhere they skip,
//! saying why.

use std::time::Duration;

use gc_core::inject::Injection;
use gc_core::{HandleScope, Heap, Local, Mode, ObjRef, Policy};
use movegc_tests::{Types, concurrent_heap};

/// Large objects allocated; every third dies, leaving holes below survivors.
const OBJECTS: usize = 48;
/// Bytes of a byte array: 32 pages.
const BLOB: usize = 128 << 10;
/// Slots of a reference array: 96 KiB.
const SLOTS: usize = 12_000;
/// A node's data word.
const DATA: usize = 32;

/// What an object holds in `round`: a byte array's word `k`, or the tag of
/// a reference array's node `k`.
fn tag(round: usize, id: usize, k: usize) -> usize {
    (round << 48) | (id << 24) | k
}

fn is_blob(id: usize) -> bool {
    id % 2 == 0
}

/// Byte arrays never written: their pages past the header's stay untouched
/// (missing), and read as zero wherever the cycle leaves or moves them.
fn untouched(id: usize) -> bool {
    id % 10 == 4
}

/// Allocates object `id`: a byte array of words tagged for round 0, or a
/// reference array of fresh nodes tagged so, with small garbage between.
fn fill<'s>(s: &mut HandleScope<'s>, types: Types, id: usize) -> Local<'s> {
    if is_blob(id) {
        let blob = s.alloc(types.blob, BLOB as u32).unwrap();
        let obj = s.get(blob).unwrap();
        for k in (0..BLOB / 8).filter(|_| !untouched(id)) {
            // SAFETY: a live byte array; no safepoint since it was read.
            unsafe { obj.write_word(8 + k * 8, tag(0, id, k)) };
        }
        return blob;
    }
    let big = s.alloc(types.refs, SLOTS as u32).unwrap();
    for k in 0..SLOTS {
        s.mutator().alloc(types.blob, 24).unwrap();
        let node = s.mutator().alloc(types.node, 0).unwrap();
        let arr = s.get(big).unwrap();
        // SAFETY: fresh and live objects; no safepoint since they were read.
        unsafe {
            node.write_word(DATA, tag(0, id, k));
            s.mutator().write_ref(arr, 8 + k * 8, Some(node));
        }
    }
    big
}

/// Checks that object `id` holds `round`'s values, then, with `next`, makes
/// it hold `next`'s: every word of a byte array, every 16th node of a
/// reference array (a fresh node).
fn check_and_write(
    s: &mut HandleScope<'_>,
    types: Types,
    obj: Local<'_>,
    id: usize,
    round: usize,
    next: Option<usize>,
    when: &str,
) {
    if is_blob(id) {
        let o: ObjRef = s.get(obj).unwrap();
        for k in 0..BLOB / 8 {
            // SAFETY: a live byte array; no safepoint in the loop.
            let got = unsafe { o.read_word(8 + k * 8) };
            if untouched(id) {
                assert_eq!(got, 0, "{when}: untouched byte array {id} word {k}");
                continue;
            }
            assert_eq!(got, tag(round, id, k), "{when}: byte array {id} word {k}");
            if let Some(next) = next {
                // SAFETY: as above.
                unsafe { o.write_word(8 + k * 8, tag(next, id, k)) };
            }
        }
        return;
    }
    for k in 0..SLOTS {
        let arr: ObjRef = s.get(obj).unwrap();
        // SAFETY: live objects; no safepoint since `arr` was read.
        let node = unsafe { s.mutator().read_ref(arr, 8 + k * 8) }
            .unwrap_or_else(|| panic!("{when}: array {id} slot {k} is null"));
        // SAFETY: a live node.
        let got = unsafe { node.read_word(DATA) };
        let expected = if k % 16 == 0 { round } else { 0 };
        assert_eq!(
            got,
            tag(expected, id, k),
            "{when}: array {id} slot {k} references the wrong node"
        );
        if let Some(next) = next.filter(|_| k % 16 == 0) {
            let fresh = s.mutator().alloc(types.node, 0).unwrap();
            let arr: ObjRef = s.get(obj).unwrap();
            // SAFETY: fresh and live objects; no safepoint since they were read.
            unsafe {
                fresh.write_word(DATA, tag(next, id, k));
                s.mutator().write_ref(arr, 8 + k * 8, Some(fresh));
            }
        }
    }
}

/// Allocates the `OBJECTS` and drops every third, leaving holes below the
/// survivors; returns the survivors with their ids.
fn fragmented<'s>(s: &mut HandleScope<'s>, types: Types) -> Vec<(Local<'s>, usize)> {
    let objects: Vec<Local<'s>> = (0..OBJECTS).map(|id| fill(s, types, id)).collect();
    let mut live = Vec::new();
    for (id, &obj) in objects.iter().enumerate() {
        if id % 3 == 0 {
            s.set(obj, None);
        } else {
            live.push((obj, id));
        }
    }
    live
}

/// The survivors' addresses now.
fn addresses(s: &mut HandleScope<'_>, live: &[(Local<'_>, usize)]) -> Vec<usize> {
    live.iter()
        .map(|&(o, _)| s.get(o).unwrap().addr())
        .collect()
}

/// A heap in `mode` whose compaction thread starts late, so that the
/// mutator meets moved objects' pages not yet placed.
fn heap(mode: Mode, relink: bool) -> Option<(Heap, Types)> {
    let inject = Injection {
        compaction_delay: Some(Duration::from_millis(300)),
        ..Injection::default()
    };
    let policy = movegc_tests::requested_cycles_only();
    concurrent_heap(mode, 256 << 20, |b| {
        b.inject(inject).relink_large_objects(relink).policy(policy)
    })
}

/// Runs a full cycle on another thread; meanwhile this mutator waits for
/// its pause to end and reads and rewrites every survivor (round `round`
/// to `round + 1`) while the delayed compaction has placed nothing yet.
fn cycle_reading(
    heap: &Heap,
    s: &mut HandleScope<'_>,
    types: Types,
    live: &[(Local<'_>, usize)],
    round: usize,
) {
    let seen = heap.stats().collections;
    std::thread::scope(|t| {
        let collector = t.spawn(|| heap.collect());
        while heap.stats().collections == seen && !collector.is_finished() {
            s.mutator().safepoint();
            std::thread::yield_now();
        }
        if heap.stats().collections != seen {
            for &(obj, id) in live {
                check_and_write(s, types, obj, id, round, Some(round + 1), "in flight");
            }
        }
        // In native code: a cycle must not wait for this thread's safepoint.
        s.mutator().native(|| collector.join()).unwrap().unwrap();
    });
}

/// Large objects with and without references move down into the holes of
/// the dead ones while the mutator reads and writes them: their addresses
/// change (as many as the statistics count), the space's extent falls,
/// byte arrays' pages are relinked unread, and every value is intact.
fn large_objects_relink_while_read(mode: Mode) {
    let Some((heap, types)) = heap(mode, true) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let live = fragmented(s, types);
        let before = addresses(s, &live);
        // A first cycle frees the dead and finds the space fragmented.
        cycle_reading(&heap, s, types, &live, 0);
        let st = heap.stats();
        let cycle = st.last.clone().unwrap();
        let c = st.last_compaction.clone().unwrap();
        let after = addresses(s, &live);
        let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count();
        eprintln!("{cycle}\n{c}");
        assert!(cycle.large_relinked > 0, "no large object moved: {cycle}");
        assert_eq!(moved, cycle.large_relinked, "addresses changed: {cycle}");
        assert_eq!(c.large_moved, cycle.large_relinked, "{c}");
        assert!(after.iter().zip(&before).all(|(a, b)| a <= b), "moved up");
        let moved_blobs = live
            .iter()
            .zip(before.iter().zip(&after))
            .filter(|&(&(_, id), (b, a))| is_blob(id) && a != b)
            .count();
        assert!(moved_blobs > 0, "no byte array moved");
        // The pages of the moved byte arrays: relinked unread, or (those
        // never touched) placed as zero pages.
        assert!(
            c.relinked_unread + c.relink_holes >= moved_blobs * BLOB / 4096,
            "byte arrays' pages were not relinked unread: {c}"
        );
        assert!(c.relinked_pages >= c.relinked_unread, "{c}");
        assert!(
            c.large_by_mutators > 0,
            "the mutator placed no page itself: {c}"
        );
        assert!(
            st.large_span < OBJECTS * BLOB,
            "the extent did not fall below the space before the cycle: {st:?}"
        );
        for &(obj, id) in &live {
            check_and_write(s, types, obj, id, 1, None, "after the first cycle");
        }
        // The next full cycle finds the holes the moves left, and the
        // objects at their new addresses.
        cycle_reading(&heap, s, types, &live, 1);
        for &(obj, id) in &live {
            check_and_write(s, types, obj, id, 2, None, "after the second cycle");
        }
        let st = heap.stats();
        assert!(
            st.large_holes < st.large_span / 4,
            "still fragmented: {st:?}"
        );
    });
    drop(m);
    movegc_tests::check_page_accounting(&heap);
}

#[test]
fn move_mode_large_objects_relink_while_read() {
    large_objects_relink_while_read(Mode::Move);
}

#[test]
fn copy_mode_large_objects_relink_while_read() {
    large_objects_relink_while_read(Mode::Copy);
}

/// With relinking off, nothing moves and the holes stay: the baseline.
#[test]
fn with_relinking_off_large_objects_stay() {
    let Some((heap, types)) = heap(Mode::Move, false) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let live = fragmented(s, types);
        let before = addresses(s, &live);
        cycle_reading(&heap, s, types, &live, 0);
        let after = addresses(s, &live);
        assert_eq!(before, after);
        let st = heap.stats();
        assert_eq!(st.large_relinked, 0);
        assert!(st.large_holes >= st.large_span / 4, "{st:?}");
    });
}

/// Stop-the-world, the pause moves the large objects itself, relinking
/// their pages where the kernel has `UFFDIO_MOVE` (on CI it must); where it
/// has not, they stay where they are and the statistics say none moved.
/// The data is intact either way.
#[test]
fn stop_the_world_relinks_large_objects_in_the_pause() {
    let (table, types) = Types::table();
    let heap = Heap::builder()
        .size(256 << 20)
        .mode(Mode::StopTheWorld)
        .verify(true)
        .policy(Policy::default().young_budget(Some(1 << 30)))
        .types(table)
        .build()
        .unwrap();
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let live = fragmented(s, types);
        let before = addresses(s, &live);
        s.mutator().collect().unwrap();
        let after = addresses(s, &live);
        let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count();
        let st = heap.stats();
        let cycle = st.last.clone().unwrap();
        eprintln!("{cycle}");
        assert_eq!(moved, cycle.large_relinked, "{cycle}");
        if movegc_tests::on_ci() {
            assert!(moved > 0, "nothing moved: {cycle}");
        }
        if moved > 0 {
            assert!(cycle.large_pages_relinked > 0, "{cycle}");
            assert_eq!(cycle.large_pages_copied, 0, "{cycle}");
            assert!(st.large_holes < st.large_span / 4, "{st:?}");
        } else {
            eprintln!("large objects stayed: this kernel cannot move pages");
        }
        for &(obj, id) in &live {
            check_and_write(s, types, obj, id, 0, Some(1), "after the cycle");
        }
        s.mutator().collect().unwrap();
        for &(obj, id) in &live {
            check_and_write(s, types, obj, id, 1, None, "after the second cycle");
        }
    });
}

/// A pinned large object never moves: the highest survivor, which the
/// planner would move first, stays while others move below it.
#[test]
fn a_pinned_large_object_stays() {
    let Some((heap, types)) = heap(Mode::Move, true) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let live = fragmented(s, types);
        let &(top, _) = live.last().unwrap();
        let top_addr = s.get(top).unwrap();
        // SAFETY: a live object; the pin is dropped before the scope ends.
        let pin = unsafe { s.mutator().pin(top_addr) }.unwrap();
        let before = addresses(s, &live);
        cycle_reading(&heap, s, types, &live, 0);
        let after = addresses(s, &live);
        let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count();
        assert_eq!(pin.object(), top_addr);
        assert_eq!(s.get(top).unwrap(), top_addr, "the pinned object moved");
        assert!(moved > 0, "nothing else moved");
        assert_eq!(moved, heap.stats().last.unwrap().large_relinked);
        drop(pin);
        for &(obj, id) in &live {
            check_and_write(s, types, obj, id, 1, None, "after the cycle");
        }
    });
}
