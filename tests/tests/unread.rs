//! Reference-free objects below the large-object threshold move unread:
//! byte arrays of 12–28 KiB get pages of their own (their body on a page
//! boundary), the planner keeps each a whole number of pages from its
//! destination, and the compaction moves their body pages with
//! `UFFDIO_MOVE` instead of building them. A mutator that touches such a
//! page before the compaction thread has placed it places it itself. Full
//! and young cycles, Move and Copy modes (stop-the-world copies them), the
//! data checked against what was written after every cycle. Needs
//! userfaultfd: on CI (`CI=true`) its absence fails these tests; elsewhere
//! they skip, saying why.

use std::time::Duration;

use gc_core::inject::Injection;
use gc_core::{HandleScope, Heap, Local, Mode, ObjRef, Policy};
use movegc_tests::{Types, concurrent_heap};

/// Byte arrays allocated; every third dies.
const ARRAYS: usize = 600;
const PAGE: usize = 4096;

/// The length of array `id`: 12 to 28 KiB (from the default threshold up),
/// rarely a whole number of pages.
fn len(id: usize) -> usize {
    gc_core::UNREAD_MIN - 8 + (id * 4_104) % (16 << 10)
}

/// Arrays never written past their header: their body pages stay
/// untouched (missing), and read as zero wherever the cycle moves them.
fn untouched(id: usize) -> bool {
    id % 10 == 4
}

/// Word `k` of array `id` in `round`.
fn tag(round: usize, id: usize, k: usize) -> usize {
    (round << 48) | (id << 24) | k
}

/// Allocates the arrays, with small objects (some dying) between them, and
/// drops every third array; returns the survivors with their ids.
fn arrays<'s>(s: &mut HandleScope<'s>, types: Types) -> Vec<(Local<'s>, usize)> {
    let mut live = Vec::new();
    for id in 0..ARRAYS {
        for j in 0..id % 4 {
            let small = s.alloc(types.blob, 24 + 40 * j as u32).unwrap();
            if j % 2 == 1 {
                s.set(small, None);
            }
        }
        let a = s.alloc(types.blob, len(id) as u32).unwrap();
        let obj = s.get(a).unwrap();
        for k in (0..len(id) / 8).filter(|_| !untouched(id)) {
            // SAFETY: a live byte array; no safepoint since it was read.
            unsafe { obj.write_word(8 + k * 8, tag(0, id, k)) };
        }
        if id % 3 == 0 {
            s.set(a, None);
        } else {
            live.push((a, id));
        }
    }
    live
}

/// Checks that array `id` holds `round`'s words, then, with `next`, writes
/// `next`'s.
fn check_and_write(
    s: &mut HandleScope<'_>,
    obj: Local<'_>,
    id: usize,
    round: usize,
    next: Option<usize>,
    when: &str,
) {
    let o: ObjRef = s.get(obj).unwrap();
    for k in 0..len(id) / 8 {
        // SAFETY: a live byte array; no safepoint in the loop.
        let got = unsafe { o.read_word(8 + k * 8) };
        let want = if untouched(id) && round == 0 {
            0
        } else {
            tag(round, id, k)
        };
        assert_eq!(got, want, "{when}: array {id} word {k}");
        if let Some(next) = next {
            // SAFETY: as above.
            unsafe { o.write_word(8 + k * 8, tag(next, id, k)) };
        }
    }
}

/// A heap in `mode` whose compaction thread starts late, so that the
/// mutator meets pages not yet placed; `unread_min` as for the builder. No
/// pages are made resident ahead of the allocations (Copy mode's window):
/// the untouched arrays' pages are then missing in every run, where the
/// allocation-ahead thread, when it kept up, had made them all resident
/// zeroes and the compaction found no hole to place.
fn heap(mode: Mode, unread_min: usize) -> Option<(Heap, Types)> {
    let inject = Injection {
        compaction_delay: Some(Duration::from_millis(200)),
        no_pages_ahead: true,
        ..Injection::default()
    };
    let policy = movegc_tests::requested_cycles_only();
    concurrent_heap(mode, 256 << 20, |b| {
        b.inject(inject).unread_min(unread_min).policy(policy)
    })
}

/// Runs a cycle (young with `young`) on another thread; meanwhile this
/// mutator waits for its pause to end and reads and rewrites the arrays of
/// odd ids (round `round` to `round + 1`) while the delayed compaction has
/// placed nothing yet, leaving the others' pages to the compaction thread;
/// then, the cycle over, the others.
fn cycle_reading(
    heap: &Heap,
    s: &mut HandleScope<'_>,
    live: &[(Local<'_>, usize)],
    round: usize,
    young: bool,
) {
    let seen = heap.stats().collections;
    std::thread::scope(|t| {
        let collector = t.spawn(|| {
            if young {
                heap.collect_young()
            } else {
                heap.collect()
            }
        });
        while heap.stats().collections == seen && !collector.is_finished() {
            s.mutator().safepoint();
            std::thread::yield_now();
        }
        assert_ne!(
            heap.stats().collections,
            seen,
            "the cycle ended before a read"
        );
        for &(obj, id) in live.iter().filter(|l| l.1 % 2 == 1) {
            check_and_write(s, obj, id, round, Some(round + 1), "in flight");
        }
        // In native code: a cycle must not wait for this thread's safepoint.
        s.mutator().native(|| collector.join()).unwrap().unwrap();
    });
    for &(obj, id) in live.iter().filter(|l| l.1 % 2 == 0) {
        check_and_write(s, obj, id, round, Some(round + 1), "after the cycle");
    }
}

/// The arrays' addresses now.
fn addresses(s: &mut HandleScope<'_>, live: &[(Local<'_>, usize)]) -> Vec<usize> {
    live.iter()
        .map(|&(o, _)| s.get(o).unwrap().addr())
        .collect()
}

/// A full cycle, then young ones (with new garbage and survivors each
/// time), half the arrays read and written in flight: the arrays move,
/// their bodies stay on page boundaries, their body pages are moved unread
/// by the compaction thread (untouched ones placed as zero pages) or copied
/// in by the mutator's faults, and every word is what was last written.
fn move_unread_while_read(mode: Mode) {
    let Some((heap, types)) = heap(mode, gc_core::UNREAD_MIN) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let live = arrays(s, types);
        let before = addresses(s, &live);
        assert!(before.iter().all(|&a| (a + 8) % PAGE == 0));
        cycle_reading(&heap, s, &live, 0, false);
        let st = heap.stats();
        let cycle = st.last.clone().unwrap();
        let c = st.last_compaction.clone().unwrap();
        eprintln!("{cycle}\n{c}");
        let after = addresses(s, &live);
        let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count();
        assert!(moved > live.len() / 2, "{moved} of {} moved", live.len());
        assert!(after.iter().all(|&a| (a + 8) % PAGE == 0), "alignment lost");
        assert!(cycle.unread_pages > 0, "{cycle}");
        assert_eq!(cycle.unread_short, 0, "{cycle}");
        // The compaction thread's half moved unread, the mutator's copied.
        assert!(c.unread_moving > cycle.unread_pages / 4, "{c}");
        assert!(c.unread_moving + c.relink_holes < cycle.unread_pages, "{c}");
        assert!(c.relink_holes > 0, "no untouched page placed as zero: {c}");
        assert!(c.by_mutators > 0, "the mutator placed no page itself: {c}");
        for &(obj, id) in &live {
            check_and_write(s, obj, id, 1, None, "after the full cycle");
        }
        // Young cycles: new arrays (young), the old ones rewritten.
        let mut round = 1;
        for _ in 0..2 {
            let young = arrays(s, types);
            cycle_reading(&heap, s, &live, round, true);
            round += 1;
            let st = heap.stats();
            let cycle = st.last.clone().unwrap();
            let c = st.last_compaction.clone().unwrap();
            eprintln!("{cycle}\n{c}");
            assert!(c.unread_moving > 0, "no young array moved unread: {c}");
            assert!(
                c.relink_holes > 0,
                "no untouched young page placed as zero: {c}"
            );
            for &(obj, id) in &young {
                check_and_write(s, obj, id, 0, None, "a young array after its cycle");
            }
            for &(obj, id) in &live {
                check_and_write(s, obj, id, round, None, "after a young cycle");
            }
        }
    });
    drop(m);
    movegc_tests::check_page_accounting(&heap);
}

#[test]
fn move_mode_reference_free_pages_move_unread_while_read() {
    move_unread_while_read(Mode::Move);
}

#[test]
fn copy_mode_reference_free_pages_move_unread_while_read() {
    move_unread_while_read(Mode::Copy);
}

/// With `unread_min(0)` the arrays are allocated in TLABs like any object
/// and every page is built: nothing moves unread. The data is intact.
#[test]
fn with_unread_off_every_page_is_built() {
    let Some((heap, types)) = heap(Mode::Move, 0) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let live = arrays(s, types);
        cycle_reading(&heap, s, &live, 0, false);
        let st = heap.stats();
        let c = st.last_compaction.clone().unwrap();
        assert_eq!(c.unread_moving, 0, "{c}");
        assert_eq!(st.last.as_ref().unwrap().unread_pages, 0);
        for &(obj, id) in &live {
            check_and_write(s, obj, id, 1, None, "after the cycle");
        }
    });
}

/// Stop-the-world ignores `unread_min`: the arrays are allocated in TLABs
/// and copied by the slide (no page moved unread), the heap verified before
/// and after.
#[test]
fn stop_the_world_copies_reference_free_objects() {
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
        let live = arrays(s, types);
        let before = addresses(s, &live);
        s.mutator().collect().unwrap();
        let after = addresses(s, &live);
        assert!(before.iter().zip(&after).any(|(b, a)| b != a));
        assert_eq!(heap.stats().last.as_ref().unwrap().unread_pages, 0);
        for &(obj, id) in &live {
            check_and_write(s, obj, id, 0, Some(1), "after the cycle");
        }
        s.mutator().collect().unwrap();
        for &(obj, id) in &live {
            check_and_write(s, obj, id, 1, None, "after the second cycle");
        }
    });
}

/// With every MOVE refused (`EBUSY`, as after a fork sharing the heap) and
/// every few calls placing only part of their range (`EAGAIN`), the pages
/// to move unread are copied instead, once each, and every word is intact.
#[test]
fn refused_moves_copy_reference_free_pages() {
    let inject = Injection {
        move_busy_after: Some(0),
        again_every: Some(3),
        ..Injection::default()
    };
    let policy = movegc_tests::requested_cycles_only();
    let Some((heap, types)) =
        concurrent_heap(Mode::Move, 256 << 20, |b| b.inject(inject).policy(policy))
    else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let live = arrays(s, types);
        movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
        let st = heap.stats();
        let cycle = st.last.clone().unwrap();
        let c = st.last_compaction.clone().unwrap();
        eprintln!("{cycle}\n{c}");
        assert!(cycle.unread_pages > 0, "{cycle}");
        assert_eq!(c.unread_moving, 0, "{c}");
        assert!(c.copied >= cycle.unread_pages - c.relink_holes, "{c}");
        for &(obj, id) in &live {
            check_and_write(s, obj, id, 0, None, "after the cycle");
        }
    });
    drop(m);
    movegc_tests::check_page_accounting(&heap);
}
