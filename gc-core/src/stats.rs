//! Statistics and the GC log.

use std::fmt;
use std::time::Duration;

use crate::error::mib;

/// Why a collection ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Allocation since the last cycle reached the policy's budget.
    Budget,
    /// The heap was full.
    Full,
    /// `collect()` was called.
    Requested,
}

/// One collection, phase by phase.
#[derive(Clone, Debug, Default)]
pub struct CycleStats {
    /// 1 for the first collection.
    pub index: u64,
    /// Why it ran (`None` only in a default value).
    pub reason: Option<Reason>,
    /// Mutators stopped, start to end.
    pub pause: Duration,
    /// Reaching a safepoint in every mutator.
    pub stop: Duration,
    /// Tracing the live objects.
    pub mark: Duration,
    /// Computing post-compact addresses, and freeing dead large objects.
    pub plan: Duration,
    /// Rewriting roots and sliding the moving space.
    pub compact: Duration,
    /// Bytes in use (both spaces) when the cycle began.
    pub used_before: usize,
    /// Bytes in use after it.
    pub used_after: usize,
    /// Live bytes found by marking.
    pub live_bytes: usize,
    /// Objects marked live.
    pub objects_marked: usize,
    /// Objects that moved to a new address.
    pub objects_moved: usize,
    /// Bytes copied to new addresses.
    pub bytes_moved: usize,
    /// Large objects freed.
    pub large_freed: usize,
}

impl CycleStats {
    /// Bytes freed.
    pub fn freed(&self) -> usize {
        self.used_before.saturating_sub(self.used_after)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl fmt::Display for CycleStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gc #{} ({:?}): pause {:.2} ms (stop {:.2}, mark {:.2}, plan {:.2}, compact {:.2}); \
             used {} -> {}, freed {}; {} objects live, {} moved ({})",
            self.index,
            self.reason.unwrap_or(Reason::Requested),
            ms(self.pause),
            ms(self.stop),
            ms(self.mark),
            ms(self.plan),
            ms(self.compact),
            mib(self.used_before),
            mib(self.used_after),
            mib(self.freed()),
            self.objects_marked,
            self.objects_moved,
            mib(self.bytes_moved),
        )
    }
}

/// Totals since the heap was built, and the last cycle.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Collections run.
    pub collections: u64,
    /// Sum of all pauses.
    pub total_pause: Duration,
    /// The longest pause.
    pub max_pause: Duration,
    /// Every pause, in order.
    pub pauses: Vec<Duration>,
    /// Bytes freed, all cycles.
    pub bytes_freed: u64,
    /// Objects moved, all cycles.
    pub objects_moved: u64,
    /// Bytes allocated since the heap was built (counted per TLAB and large object).
    pub bytes_allocated: u64,
    /// Bytes in use now (both spaces).
    pub used: usize,
    /// The heap's size.
    pub heap_size: usize,
    /// The last cycle, if any.
    pub last: Option<CycleStats>,
    /// Concurrent modes: to-space pages built by the compaction thread.
    pub pages_by_gc: u64,
    /// Concurrent modes: to-space pages built by mutators in their SIGBUS handlers.
    pub pages_by_mutators: u64,
    /// Concurrent modes: pages placed with `UFFDIO_MOVE`.
    pub pages_moved: u64,
    /// Concurrent modes: pages placed with `UFFDIO_COPY`.
    pub pages_copied: u64,
    /// Concurrent modes: pages above the new top filled with zeroes on a mutator's fault.
    pub pages_zero_filled: u64,
}

impl Stats {
    pub(crate) fn record(&mut self, cycle: CycleStats) {
        self.collections += 1;
        self.total_pause += cycle.pause;
        self.max_pause = self.max_pause.max(cycle.pause);
        self.pauses.push(cycle.pause);
        self.bytes_freed += cycle.freed() as u64;
        self.objects_moved += cycle.objects_moved as u64;
        self.last = Some(cycle);
    }
}
