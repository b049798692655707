//! The concurrent modes' fallbacks, each with its kernel failure injected
//! (cargo feature `fault-injection`): `EBUSY` from MOVE switches the rest of
//! the cycle to COPY, `EAGAIN` retries the remainder, no buffer page means
//! COPY from a private page, and no userfaultfd means `StopTheWorld`. Each is
//! checked through the statistics and the graph digests of mutators that run
//! (and fault) during every compaction. Where userfaultfd is missing the
//! concurrent tests fail on CI (`CI=true`) and skip elsewhere, saying why.

use gc_core::inject::Injection;
use gc_core::{GcError, Heap, Mode};
use movegc_tests::logs::{lines as log_lines, serial};
use movegc_tests::{Budget, Types};

const LARGE_LEN: u32 = 5000;

/// Three mutators, each through six budget-triggered collections with its
/// graph checked right after each one.
const WORKOUT: Budget = Budget {
    threads: 3,
    rounds: 6,
    batch: 1000,
    large_len: LARGE_LEN,
    ballast: 10_000,
};

/// The most pages one placing call handles (the compaction thread's runs).
const RUN: u64 = 16;

/// Lines logged by this test that contain `what`.
fn logged(what: &str) -> usize {
    log_lines().iter().filter(|l| l.contains(what)).count()
}

/// A heap in `mode` with `inject`ed failures, run through [`WORKOUT`]; its
/// totals once the last compaction is done, or `None` where the mode cannot
/// run here. Asserts what every fallback must keep: each page built was
/// placed exactly once, and no page was left unplaced.
fn workout(mode: Mode, inject: Injection) -> Option<gc_core::Stats> {
    let (heap, types) = movegc_tests::concurrent_heap(mode, 32 << 20, |b| b.inject(inject))?;
    movegc_tests::run_budget_threads(&heap, types, WORKOUT);
    let s = movegc_tests::check_page_accounting(&heap);
    assert!(
        s.collections > WORKOUT.rounds as u64,
        "too few collections: {s:?}"
    );
    assert!(
        s.pages_by_mutators > 0,
        "no mutator built a page in its fault handler, so no fallback ran there: {s:?}"
    );
    assert_eq!(
        logged("could not be placed"),
        0,
        "a page was left unplaced: {:?}",
        log_lines()
    );
    Some(s)
}

/// `EBUSY` from the third MOVE of every cycle on: each refused run is
/// copied, and once refused pages outnumber moved ones the cycle switches to
/// COPY for every thread (the compaction thread and the mutators' handlers),
/// says so once, and the graphs stay intact. The next cycle tries MOVE again.
#[test]
fn move_busy_switches_the_rest_of_the_cycle_to_copy() {
    const AFTER: usize = 2;
    let _serial = serial();
    let Some(s) = workout(
        Mode::Move,
        Injection {
            move_busy_after: Some(AFTER),
            ..Injection::default()
        },
    ) else {
        return;
    };
    // Not necessarily every cycle: one whose mutators build every page before
    // the compaction thread publishes buffers copies them all and never MOVEs.
    assert!(s.switched_to_copy >= 1, "{s:?}");
    assert!(s.pages_copied > 0, "{s:?}");
    assert!(s.pages_copied_busy > 0, "{s:?}");
    // The first MOVEs of each cycle succeed; after the switch none is tried
    // (a MOVE already under way on another thread may still land: the
    // compaction thread and three mutators).
    assert!(s.pages_moved > 0, "the first MOVEs of a cycle land: {s:?}");
    let bound = s.compactions * (AFTER as u64 + 4) * RUN;
    assert!(
        s.pages_moved <= bound,
        "{} pages moved after the switch? at most {bound} expected: {s:?}",
        s.pages_moved
    );
    // A cycle after one that switched moves again. (Whether the last one
    // switched too depends on its size: the switch needs more pages refused
    // than moved, and the two runs moved first may be half of a small
    // cycle's pages: CI, release, 63 of 122.)
    let last = s.last_compaction.as_ref().expect("a compaction");
    let before_last = s.switched_to_copy - u64::from(last.switched_to_copy);
    assert!(
        before_last >= 1 && last.moved > 0,
        "{before_last} cycles switched before the last: {last}"
    );
    assert_eq!(
        logged("EBUSY") as u64,
        s.switched_to_copy,
        "logged once per cycle that switched: {:?}",
        log_lines()
    );
}

/// `EBUSY` from the very first MOVE: every page is copied.
#[test]
fn move_busy_from_the_start_copies_every_page() {
    let _serial = serial();
    let Some(s) = workout(
        Mode::Move,
        Injection {
            move_busy_after: Some(0),
            ..Injection::default()
        },
    ) else {
        return;
    };
    assert_eq!(s.pages_moved, 0, "{s:?}");
    assert!(s.switched_to_copy >= 1, "{s:?}");
    assert_eq!(
        logged("EBUSY") as u64,
        s.switched_to_copy,
        "{:?}",
        log_lines()
    );
    assert_eq!(s.pages_copied, s.pages_by_gc + s.pages_by_mutators, "{s:?}");
}

/// Every third placing call places only part of its range (nothing, for one
/// page) and reports `EAGAIN`: the remainder is retried, every page lands
/// exactly once, and the graphs stay intact.
fn again(mode: Mode) {
    let _serial = serial();
    let Some(s) = workout(
        mode,
        Injection {
            again_every: Some(3),
            ..Injection::default()
        },
    ) else {
        return;
    };
    assert_eq!(
        s.switched_to_copy, 0,
        "EAGAIN is no reason to switch: {s:?}"
    );
    assert_eq!(logged("EBUSY"), 0, "{:?}", log_lines());
    match mode {
        Mode::Move => assert!(s.pages_moved > 0, "{s:?}"),
        _ => assert!(
            s.pages_copied > 0 && s.pages_moved == s.pages_relinked,
            "{s:?}"
        ),
    }
}

#[test]
fn move_again_retries_the_remainder() {
    again(Mode::Move);
}

#[test]
fn copy_again_retries_the_remainder() {
    again(Mode::Copy);
}

/// No buffer page is ever available: every sliding page is built in a
/// private page and copied in (only dense pages, rewritten in their own
/// shadow page, are still moved back), no page is moved in for allocation,
/// and the graphs stay intact.
#[test]
fn no_buffer_pages_copies_from_private_pages() {
    let _serial = serial();
    let Some(s) = workout(
        Mode::Move,
        Injection {
            no_buffers: true,
            ..Injection::default()
        },
    ) else {
        return;
    };
    assert!(s.pages_copied > 0, "{s:?}");
    assert_eq!(s.switched_to_copy, 0, "{s:?}");
    let last = s.last_compaction.as_ref().expect("a compaction");
    assert_eq!(
        last.allocation_recycled, 0,
        "no buffer is taken for allocation pages either: {last}"
    );
    assert!(last.copied > 0, "{last}");
}

/// The capability probe says no userfaultfd: `Auto` falls back to
/// `StopTheWorld` (which then collects correctly), and `Move` and `Copy` are
/// refused with the reason.
#[test]
fn no_userfaultfd_means_stop_the_world() {
    let _serial = serial();
    let inject = Injection {
        uffd_unavailable: true,
        ..Injection::default()
    };
    for mode in [Mode::Move, Mode::Copy] {
        let (table, _) = Types::table();
        match Heap::builder()
            .size(8 << 20)
            .mode(mode)
            .types(table)
            .inject(inject)
            .build()
        {
            Err(GcError::Config(why)) => {
                assert!(
                    why.contains("userfaultfd is unavailable")
                        && why.contains(&format!("{mode:?}")),
                    "{why}"
                );
            }
            Ok(heap) => panic!("{mode:?} built without userfaultfd: {heap:?}"),
            Err(e) => panic!("{mode:?}: {e}"),
        }
    }
    let (table, types) = Types::table();
    let heap = Heap::builder()
        .size(24 << 20)
        .mode(Mode::Auto)
        .gc_threads(2)
        .verify(true)
        .types(table)
        .inject(inject)
        .build()
        .expect("Auto always builds");
    assert_eq!(heap.mode(), Mode::StopTheWorld);
    movegc_tests::run_threads(&heap, types, 2, 8, 1500, LARGE_LEN);
    let s = heap.stats();
    assert!(s.collections >= 2, "{s:?}");
    assert_eq!(s.compactions, 0, "no concurrent compaction: {s:?}");
    assert_eq!(s.pages_moved + s.pages_copied, 0, "{s:?}");
}

/// Pages a compaction cannot place hold objects that are lost: here every
/// placing call after the second of a cycle finds its destination
/// populated (`EEXIST`, as if something outside the collector had put pages
/// there). The heap says so — in its statistics, at error level in the log,
/// and by refusing every later collection with `GcError::PagesLost` — rather
/// than going on with whatever the kernel left where the objects were. The
/// mutator waits in native code meanwhile: it touches none of the pages.
#[test]
fn pages_that_cannot_be_placed_stop_the_heap() {
    let _serial = serial();
    for mode in [Mode::Move, Mode::Copy] {
        let inject = Injection {
            // A cycle places its 200-odd pages in runs of up to 64: at least four calls.
            place_exists_after: Some(2),
            ..Default::default()
        };
        let Some((heap, types)) = movegc_tests::concurrent_heap(mode, 32 << 20, |b| {
            b.inject(inject)
                .policy(movegc_tests::requested_cycles_only())
        }) else {
            return;
        };
        let mut m = heap.attach().unwrap();
        let before = logged("could not be placed");
        m.scope(|s| {
            let list = s.local(None);
            // Each node after its size in garbage: every page slides.
            for _ in 0..20_000 {
                s.mutator().alloc(types.blob, 40).unwrap();
                let node = s.mutator().alloc(types.node, 0).unwrap();
                let next = s.get(list);
                // SAFETY: a fresh node; 8 is a reference slot.
                unsafe { s.mutator().write_ref(node, 8, next) };
                s.set(list, Some(node));
            }
            movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
        });
        let stats = heap.stats();
        let last = stats.last_compaction.expect("a compaction ran");
        assert!(last.lost > 0, "{mode:?}: {last}");
        // Each page counted once, whoever failed it.
        assert!(
            last.lost <= last.pages + last.large_pages + last.old_pages,
            "{mode:?}: more pages lost than the compaction had: {last}"
        );
        assert_eq!(stats.pages_lost, last.lost as u64, "{mode:?}");
        assert_eq!(
            logged("could not be placed"),
            before + 1,
            "{mode:?}: {:?}",
            log_lines()
        );
        let from_mutator = m.collect();
        drop(m);
        for attempt in [from_mutator, heap.collect()] {
            match attempt {
                Err(GcError::PagesLost { pages }) => assert_eq!(pages, stats.pages_lost),
                other => panic!("{mode:?}: a collection after lost pages: {other:?}"),
            }
        }
        assert_eq!(heap.stats().collections, stats.collections, "{mode:?}");
    }
}
