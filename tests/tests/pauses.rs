//! What the statistics say of a pause besides its length: the pausing
//! thread's CPU time in it, which tells a pause the collector spent working
//! from one it spent off its core.

use std::time::Duration;

use gc_core::{Mode, PauseKind};

/// The compaction pause of a cycle whose thread sleeps in it (an injected
/// delay between the remap and the registration, as a descheduled thread
/// would wait) is counted mostly off the core, in the statistics, the GC
/// log's line and the report; every pause's CPU time stays within its length.
#[test]
fn a_pause_the_collector_spent_off_its_core_is_told_apart() {
    const DELAY: Duration = Duration::from_millis(20);
    let inject = gc_core::inject::Injection {
        remap_delay: Some(DELAY),
        ..Default::default()
    };
    let Some((heap, types)) = movegc_tests::concurrent_heap(Mode::Move, 16 << 20, |b| {
        b.inject(inject)
            .policy(movegc_tests::requested_cycles_only())
    }) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let kept = s.alloc(types.refs, 100).unwrap();
        for i in 0..20_000 {
            let blob = s.mutator().alloc(types.blob, 64).unwrap();
            if i % 200 == 0 {
                let array = s.get(kept).unwrap();
                // SAFETY: slot `i / 200` of the live array's 100.
                unsafe { s.mutator().write_ref(array, 8 + 8 * (i / 200), Some(blob)) };
            }
        }
        movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
    });
    let stats = heap.stats();
    let compaction = stats
        .pauses
        .iter()
        .filter(|p| p.kind == PauseKind::Compaction)
        .max_by_key(|p| p.duration)
        .expect("the cycle compacts concurrently");
    assert!(compaction.duration >= DELAY, "{compaction:?}");
    assert!(
        compaction.mostly_off_cpu(),
        "slept through {DELAY:?} of it: {compaction:?}"
    );
    for p in &stats.pauses {
        assert!(p.cpu <= p.duration, "{p:?}");
    }
    // It remapped and registered besides: the clock counted that work.
    assert!(compaction.cpu > Duration::ZERO, "{compaction:?}");
    let line = stats
        .last
        .as_ref()
        .map(|c| c.to_string())
        .unwrap_or_default();
    assert!(line.contains("on cpu)"), "the GC log's line: {line}");
    let report = stats.report(Mode::Move, Duration::from_secs(1));
    // The other pauses may have been kept off the core too, on a busy machine.
    let longest = format!(
        "pauses with the collector's thread off its core for most of them, the longest {:.3} ms",
        compaction.duration.as_secs_f64() * 1e3
    );
    assert!(report.contains(&longest), "{report}");
}
