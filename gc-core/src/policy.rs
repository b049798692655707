//! When cycles run, and whether they are young or full.
//!
//! A young cycle costs in proportion to the young survivors and the
//! remembered set, not to the old data, so young cycles come after a budget of
//! allocation that follows the live data and the collector's cost:
//!
//! - **Live data**: at least the bytes the last cycle found live by tracing,
//!   between [`MIN_YOUNG`] and [`MAX_YOUNG`]. Objects allocated while it
//!   marked count as live without being traced, and do not count here: a
//!   program that allocates fast during a concurrent mark (binary-trees 21:
//!   70–140 MiB per mark in its first second, nearly all soon dead) would
//!   otherwise double its budget with them, and fault in as many fresh pages.
//!   Memory in use then stays within about twice the data that survived
//!   (HotSpot's Serial and Parallel collectors give their young generation a
//!   third of the heap, and keep 40–70% of it free; here the "heap" is what
//!   the data needs, not the maximum).
//! - **Cost**: more when cycles are dear for the rate at which the mutators
//!   allocate, so that cycles take about [`Policy::gc_share`] of the time
//!   (HotSpot's `GCTimeRatio`, in spirit MMTk's MemBalancer): the budget is
//!   the allocation rate times a cycle's cost divided by that share, both
//!   smoothed over the last cycles. A cycle's cost is the time it took from
//!   the mutators: its pauses, and their time in its compaction's fault
//!   handler (HotSpot counts pauses; the work a concurrent cycle does on a
//!   core of its own is not the mutators' loss). A collector that stops the
//!   world for its compactions earns larger budgets and fewer pauses; a
//!   concurrent one whose cycles cost the mutators little keeps the
//!   live-data budget.
//!
//! Either way the budget is capped at three quarters of the free heap. The
//! memory kept resident for allocation is the budget plus what the mutators
//! allocate while the next cycle marks (the bytes allocated black, smoothed):
//! those pages are needed before the next compaction frees any; or, if more,
//! what the last cycle freed (the heap had those pages in use at its
//! compaction pause, and a program's next phase is likely to need them
//! again). It follows that up at once; what the last cycle kept resident
//! above the data in use now stays, down by half every 30 seconds, whether
//! the budget or the data shrank, so that a budget that swings, or a phase
//! of the program that needs as much memory as an earlier one, does not
//! fault its pages in again (ZGC and Shenandoah uncommit memory unused for
//! five minutes). While a full cycle marks (all the live data: a long
//! time, for a large heap) an allocation past the memory kept marks for a
//! moment before it goes on (`Governor::soft_marking_limit` says why, and
//! why not in a young cycle).
//!
//! A full cycle costs in proportion to all live data, so full cycles come
//! when the old generation has grown by [`Policy::old_growth`] times what
//! the last full cycle traced (promoted survivors that have since died are
//! only found by a full cycle), when the heap is too full for another young
//! budget, and when asked (`collect()`, or an allocation that found the heap
//! full).

use std::time::{Duration, Instant};

use crate::stats::{CycleKind, Reason};

/// The smallest young budget.
pub const MIN_YOUNG: usize = 16 << 20;
/// The largest young budget the adaptive policy picks.
pub const MAX_YOUNG: usize = 512 << 20;
/// Dirty cards beyond which the next cycle is full, not young: a young
/// cycle traces from their slots (about 64 a card) and rewrites them: after
/// the pause, in their pages, when it compacts concurrently; in its
/// compaction pause otherwise (stop-the-world, or survivors it slides in the
/// pause), about 0.4 µs a card, which this bounds to under half a
/// millisecond. A full cycle rewrites no card: the old pages compact
/// concurrently.
pub const MAX_REMEMBERED_CARDS: usize = 1024;
/// The smallest growth of the old generation before a full cycle.
const MIN_OLD_GROWTH: usize = 32 << 20;
/// The weight of the newest cycle in the smoothed allocation rate and cost.
const SMOOTHING: f64 = 0.25;
/// The memory kept resident for allocation above the budget halves in this
/// long: a budget that swings from cycle to cycle, or from one phase of a
/// program to the next, does not fault its pages in again each time it
/// grows, and a program whose budget fell keeps the extra memory for tens of
/// seconds, not cycles. With a half-life of two seconds, binary-trees 21 gave
/// back half its memory in its quiet middle seconds and faulted it in again
/// at the end: 300,000–365,000 minor faults a run against 209,000–256,000
/// (three interleaved runs each, with the budget from traced data).
const KEPT_HALF_LIFE: Duration = Duration::from_secs(30);

/// The collection policy, read with [`Heap::policy`](crate::Heap::policy) and
/// set with [`Heap::set_policy`](crate::Heap::set_policy).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Policy {
    /// Young cycles between full ones (default on). Off, every cycle is full.
    pub generational: bool,
    /// Bytes allocated between two cycles; `None` (the default) adapts it to
    /// the live data and the collector's cost (see the module's
    /// documentation). It is capped at three quarters of the free heap either
    /// way.
    pub young_budget: Option<usize>,
    /// The share of the time the adaptive budget lets cycles take (default
    /// 0.2), in (0, 1]: a cycle that took 10 ms from the mutators, with them
    /// allocating 1 GB/s, earns a budget of 50 MB at 0.2. The budget never
    /// falls below the live-data rule for it, so a larger share uses no less
    /// memory than that rule. A smaller share trades memory for time: at
    /// 0.1, binary-trees 21's last cycles (mutators building the pages of
    /// the trees they walk, 17–24 ms a cycle) earned budgets of 300–420 MiB
    /// and faulted in a third more pages, for 3% less wall time
    /// (docs/generational.md, *Costs and what is left*).
    pub gc_share: f64,
    /// How much the old generation may grow, as a multiple of the bytes in
    /// use after the last full cycle, before the next cycle is full (default 1:
    /// when it has doubled; at least 32 MiB).
    pub old_growth: f64,
    /// In the concurrent modes, a young cycle whose survivors to move take at
    /// most this many bytes slides them in its compaction pause instead of
    /// compacting concurrently (default 128 KiB, about 0.2 ms of sliding
    /// and rewriting): no remapping, no faults, and the young range's pages
    /// stay resident for allocation. 0 compacts every young cycle
    /// concurrently.
    pub young_slide_limit: usize,
    /// Objects a young cycle traces in its first pause, from the roots and
    /// the dirty cards, before it lets marking go on concurrently (default
    /// 4,000: at most about 0.3 ms), and 64 bytes of objects for each (256
    /// KiB: an array of references costs its slots). A young cycle that
    /// finds its survivors within it is a single pause. 0 marks every young
    /// cycle concurrently.
    /// A young cycle after one that traced more than this marks concurrently
    /// from the start: its pause would most likely trace the budget in vain.
    pub young_pause_objects: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            generational: true,
            young_budget: None,
            gc_share: 0.2,
            old_growth: 1.0,
            young_slide_limit: 128 << 10,
            young_pause_objects: 4_000,
        }
    }
}

impl Policy {
    /// The policy with `generational` set.
    pub fn generational(self, on: bool) -> Self {
        Policy {
            generational: on,
            ..self
        }
    }

    /// The policy with `young_budget` set.
    pub fn young_budget(self, bytes: Option<usize>) -> Self {
        Policy {
            young_budget: bytes,
            ..self
        }
    }

    /// The policy with `gc_share` set.
    pub fn gc_share(self, share: f64) -> Self {
        Policy {
            gc_share: share,
            ..self
        }
    }

    /// The policy with `old_growth` set.
    pub fn old_growth(self, factor: f64) -> Self {
        Policy {
            old_growth: factor,
            ..self
        }
    }

    /// The policy with `young_slide_limit` set.
    pub fn young_slide_limit(self, bytes: usize) -> Self {
        Policy {
            young_slide_limit: bytes,
            ..self
        }
    }

    /// The policy with `young_pause_objects` set.
    pub fn young_pause_objects(self, objects: usize) -> Self {
        Policy {
            young_pause_objects: objects,
            ..self
        }
    }

    /// Why the policy cannot be used, if it cannot.
    pub(crate) fn check(&self) -> Result<(), String> {
        if !(self.old_growth.is_finite() && self.old_growth >= 0.0) {
            return Err(format!(
                "old_growth must be a finite factor of at least 0, not {}",
                self.old_growth
            ));
        }
        if !(self.gc_share > 0.0 && self.gc_share <= 1.0) {
            return Err(format!(
                "gc_share must be a share of the time in (0, 1], not {}",
                self.gc_share
            ));
        }
        if self.young_budget == Some(0) {
            return Err("a young budget of 0 bytes would collect at every allocation".into());
        }
        Ok(())
    }
}

/// The policy and what it decides from: the bytes in use after the last
/// cycle and those of them it traced, the old generation's limit, and the
/// smoothed allocation rate and cycle cost.
#[derive(Debug)]
pub(crate) struct Governor {
    pub(crate) policy: Policy,
    used_after: usize,
    /// Of `used_after`, the bytes the last cycle traced (not allocated black).
    traced: usize,
    full_at: usize,
    capacity: usize,
    /// When the last cycle ended, and the bytes allocated by then.
    ended: Option<(Instant, u64)>,
    /// Bytes allocated per second between cycles' ends (0 until known).
    rate: f64,
    /// Seconds a cycle takes from the mutators (0 until known).
    cost: f64,
    /// Cards may be dirty without being listed: the write barrier lists none
    /// while generations are off (full cycles need no remembered set, and
    /// a list as long as the heap's cards took 0.6 ms of a full cycle's
    /// pause to clean). No cycle is young until a full one has cleaned the
    /// whole table.
    pub(crate) unlisted: bool,
    /// The bytes in use up to which a cycle keeps memory resident for the
    /// allocations to come (the data in use plus the budget, or more while a
    /// larger figure decays), and when it was decided.
    kept_end: usize,
    kept_at: Option<Instant>,
    /// Bytes the mutators allocated while a cycle marked, smoothed over the
    /// last cycles: what they will allocate above the next trigger before
    /// the next compaction frees anything.
    black: f64,
    /// Objects the last young cycle traced: its survivors.
    pub(crate) young_traced: usize,
}

/// What the policy decides from and what it decided, for
/// [`Stats`](crate::Stats).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sizing {
    /// Bytes the mutators may allocate after the last cycle before the next
    /// one starts.
    pub budget: usize,
    /// The mutators' allocation rate, bytes per second, smoothed over the
    /// last cycles (0 before the first has ended).
    pub allocation_rate: f64,
    /// A cycle's cost, the time it took from the mutators (its pauses and
    /// their time in its compaction's fault handler), smoothed over the last
    /// cycles.
    pub cycle_cost: Duration,
}

impl Governor {
    pub(crate) fn new(policy: Policy, capacity: usize) -> Self {
        Governor {
            policy,
            unlisted: !policy.generational,
            used_after: 0,
            traced: 0,
            full_at: 0,
            capacity,
            ended: None,
            rate: 0.0,
            cost: 0.0,
            kept_end: 0,
            kept_at: None,
            black: 0.0,
            young_traced: 0,
        }
    }

    /// A cycle ended (its compaction included), having taken `cost` from the
    /// mutators, with `allocated` bytes allocated since the heap was built:
    /// updates the smoothed rate and cost, and returns the bytes in use at
    /// which the next cycle starts.
    pub(crate) fn cycle_done(&mut self, cost: Duration, allocated: u64) -> usize {
        self.cycle_done_at(Instant::now(), cost, allocated)
    }

    fn cycle_done_at(&mut self, now: Instant, cost: Duration, allocated: u64) -> usize {
        if let Some((then, before)) = self.ended {
            let secs = now.duration_since(then).as_secs_f64();
            if secs > 0.0 {
                let rate = allocated.saturating_sub(before) as f64 / secs;
                self.rate = smooth(self.rate, rate);
            }
        }
        self.cost = smooth(self.cost, cost.as_secs_f64());
        self.ended = Some((now, allocated));
        self.trigger()
    }

    /// The figures the budget comes from, and the budget.
    pub(crate) fn sizing(&self) -> Sizing {
        Sizing {
            budget: self.budget(),
            allocation_rate: self.rate,
            cycle_cost: Duration::try_from_secs_f64(self.cost).unwrap_or_default(),
        }
    }

    /// What the next cycle, run for `reason` with `cards` dirty cards
    /// logged, collects.
    pub(crate) fn kind(&self, reason: Reason, cards: usize) -> CycleKind {
        let room =
            self.capacity.saturating_sub(self.used_after) >= MIN_YOUNG.min(self.capacity / 4);
        let young = self.policy.generational
            && !self.unlisted
            && room
            && cards <= MAX_REMEMBERED_CARDS
            && match reason {
                Reason::RequestedYoung => true,
                Reason::Budget => self.traced < self.full_at,
                Reason::Full | Reason::Requested => false,
            };
        if young {
            CycleKind::Young
        } else {
            CycleKind::Full
        }
    }

    /// Whether a young cycle should trace in its initial-mark pause: the
    /// policy allows it, and the last young cycle's survivors fit the budget.
    pub(crate) fn trace_young_in_pause(&self) -> bool {
        let budget = self.policy.young_pause_objects;
        budget > 0 && self.young_traced <= budget
    }

    /// The bytes allocated between two cycles after the last one.
    fn budget(&self) -> usize {
        let (used, live) = (self.used_after, self.traced);
        let budget = match self.policy.young_budget {
            Some(b) => b,
            None if self.policy.generational => {
                let dear = (self.rate * self.cost / self.policy.gc_share) as usize;
                live.max(dear).clamp(MIN_YOUNG, MAX_YOUNG)
            }
            // Full cycles only: each costs the whole live data, so space them
            // out further.
            None => (live * 4).max(MIN_YOUNG * 2),
        };
        budget.min(self.capacity.saturating_sub(used) / 4 * 3)
    }

    /// A cycle of `kind` ended with `used` bytes in use, `black` of them
    /// allocated while it marked, having had `peak` in use at its compaction
    /// pause: returns the bytes in use at which the next one starts.
    pub(crate) fn cycle_ended(
        &mut self,
        kind: CycleKind,
        capacity: usize,
        used: usize,
        black: usize,
        peak: usize,
    ) -> usize {
        self.cycle_ended_at(Instant::now(), kind, capacity, used, black, peak)
    }

    fn cycle_ended_at(
        &mut self,
        now: Instant,
        kind: CycleKind,
        capacity: usize,
        used: usize,
        black: usize,
        peak: usize,
    ) -> usize {
        self.capacity = capacity;
        self.used_after = used;
        self.traced = used.saturating_sub(black);
        if kind == CycleKind::Full {
            // What the full cycle left old is what it traced: the objects
            // allocated while it marked stay young, and most die soon after
            // (binary-trees 21 allocates 45–140 MiB during a mark). Counted
            // as old, they pushed the next full cycle out by as much.
            let old = self.traced;
            let growth = ((old as f64 * self.policy.old_growth) as usize).max(MIN_OLD_GROWTH);
            self.full_at = old.saturating_add(growth);
        }
        let since = self
            .kept_at
            .map_or(Duration::ZERO, |then| now.saturating_duration_since(then));
        self.kept_at = Some(now);
        let halves = since.as_secs_f64() / KEPT_HALF_LIFE.as_secs_f64();
        // What the last cycle kept above what this one left in use: the
        // pages stay whether the data shrank or the budget did.
        let carried = self.kept_end.saturating_sub(used);
        let decayed = (carried as f64 * 0.5f64.powf(halves)) as usize;
        let free = capacity.saturating_sub(used);
        self.black = smooth(self.black, black as f64);
        let wanted = self.budget().saturating_add(self.black as usize);
        // Given back, the pages a cycle freed beyond a budget are faulted in
        // again when a later phase of the program needs as much (binary-trees
        // 21: the pages its dead stretch tree held, needed again by its last
        // trees, 40,000 minor faults a run).
        let freed = peak.saturating_sub(used);
        self.kept_end = used + decayed.max(wanted).max(freed).min(free);
        self.trigger()
    }

    /// Bytes above the data in use to keep resident for allocation after the
    /// cycle that just ended: its budget and what the mutators allocate while
    /// the next cycle marks, or what it freed, or what the cycle before kept
    /// above the data now in use (decaying), whichever is most.
    pub(crate) fn kept(&self) -> usize {
        self.kept_end - self.used_after
    }

    /// The soft limit of the pacer while a cycle of `kind` marks, `used`
    /// bytes in use at its start ([`Pacer::soften`](crate::pacer::Pacer::soften)):
    /// past it, an allocation marks for a moment before it goes on.
    ///
    /// A full cycle marks all the live data, for as long as that takes, and
    /// what the mutators allocate meanwhile is live by the snapshot rule and
    /// takes fresh pages. Paced only against the heap's end, binary-trees
    /// 21's full cycles marked for up to 150 ms while up to 211 MiB were
    /// allocated black (median 113 MiB in its first second's). So a full
    /// cycle's soft limit is the memory kept resident for allocation
    /// ([`kept`](Self::kept)), with at least [`MIN_YOUNG`] of room. A young
    /// cycle marks the young survivors only, and has none (with the memory
    /// kept as theirs too, binary-trees 21's young marks in its first second
    /// allocated less, the cycles after started sooner, its third cycle
    /// found its 190 MiB stretch tree still alive and promoted it, and 13
    /// runs of 16 faulted in 170,000–198,000 pages where they had
    /// 107,000–161,000); nor has the first cycle, before any memory is kept.
    pub(crate) fn soft_marking_limit(&self, kind: CycleKind, used: usize) -> Option<usize> {
        if kind == CycleKind::Young || self.kept_at.is_none() {
            return None;
        }
        Some(self.kept_end.max(used.saturating_add(MIN_YOUNG)))
    }

    /// The bytes in use at which the next cycle starts.
    pub(crate) fn trigger(&self) -> usize {
        self.used_after + self.budget()
    }
}

/// `old` moved towards `new` by [`SMOOTHING`]; the first figure as it is.
fn smooth(old: f64, new: f64) -> f64 {
    if old == 0.0 {
        new
    } else {
        old + SMOOTHING * (new - old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn young_cycles_until_the_old_generation_doubles_then_full() {
        let mut g = Governor::new(Policy::default(), 1 << 30);
        assert_eq!(
            g.kind(Reason::Budget, 0),
            CycleKind::Full,
            "the first cycle is full"
        );
        g.cycle_ended(CycleKind::Full, 1 << 30, 100 << 20, 0, 0);
        assert_eq!(g.kind(Reason::Budget, 0), CycleKind::Young);
        assert_eq!(g.kind(Reason::Requested, 0), CycleKind::Full);
        assert_eq!(g.kind(Reason::Full, 0), CycleKind::Full);
        assert_eq!(
            g.kind(Reason::Budget, MAX_REMEMBERED_CARDS + 1),
            CycleKind::Full,
            "a remembered set too large for a young cycle's pause"
        );
        g.cycle_ended(CycleKind::Young, 1 << 30, 150 << 20, 0, 0);
        assert_eq!(g.kind(Reason::Budget, 0), CycleKind::Young);
        g.cycle_ended(CycleKind::Young, 1 << 30, 200 << 20, 0, 0);
        assert_eq!(g.kind(Reason::Budget, 0), CycleKind::Full);
    }

    #[test]
    fn objects_allocated_while_a_full_cycle_marked_are_not_old() {
        let mut g = Governor::new(Policy::default(), 1 << 30);
        g.cycle_ended(CycleKind::Full, 1 << 30, 300 << 20, 200 << 20, 0);
        g.cycle_ended(CycleKind::Young, 1 << 30, 190 << 20, 0, 0);
        assert_eq!(g.kind(Reason::Budget, 0), CycleKind::Young);
        g.cycle_ended(CycleKind::Young, 1 << 30, 210 << 20, 0, 0);
        assert_eq!(
            g.kind(Reason::Budget, 0),
            CycleKind::Full,
            "the old generation doubled from the 100 MiB the full cycle traced"
        );
    }

    #[test]
    fn a_young_cycle_traces_in_its_pause_after_one_whose_survivors_fit() {
        let mut g = Governor::new(Policy::default(), 1 << 30);
        assert!(g.trace_young_in_pause(), "nothing known yet: try");
        g.young_traced = Policy::default().young_pause_objects + 1;
        assert!(
            !g.trace_young_in_pause(),
            "the last one's survivors did not fit"
        );
        g.young_traced = 10;
        assert!(g.trace_young_in_pause());
        g.policy = g.policy.young_pause_objects(0);
        assert!(!g.trace_young_in_pause(), "turned off");
    }

    #[test]
    fn the_budget_follows_the_live_data_within_bounds_and_the_free_heap() {
        let mut g = Governor::new(Policy::default(), 4 << 30);
        assert_eq!(g.cycle_ended(CycleKind::Full, 4 << 30, 0, 0, 0), MIN_YOUNG);
        let used = 200 << 20;
        assert_eq!(
            g.cycle_ended(CycleKind::Young, 4 << 30, used, 0, 0),
            used + used
        );
        let used = 3 << 30;
        assert_eq!(
            g.cycle_ended(CycleKind::Young, 4 << 30, used, 0, 0),
            used + MAX_YOUNG
        );
        let mut small = Governor::new(Policy::default(), 64 << 20);
        let used = 60 << 20;
        assert_eq!(
            small.cycle_ended(CycleKind::Full, 64 << 20, used, 0, 0),
            used + (4 << 20) / 4 * 3
        );
        assert_eq!(
            small.kind(Reason::Budget, 0),
            CycleKind::Full,
            "no room for a young budget"
        );
    }

    #[test]
    fn objects_allocated_while_a_cycle_marked_do_not_count_as_live_data() {
        let heap = 4usize << 30;
        let mut g = Governor::new(Policy::default(), heap);
        let (used, black) = (300usize << 20, 200usize << 20);
        assert_eq!(
            g.cycle_ended(CycleKind::Young, heap, used, black, 0),
            used + (100 << 20),
            "the budget follows the 100 MiB traced, not the 300 MiB in use"
        );
        assert_eq!(g.sizing().budget, 100 << 20);
        assert_eq!(
            g.cycle_ended(CycleKind::Young, heap, used, used, 0),
            used + MIN_YOUNG,
            "nothing traced: the smallest budget"
        );
    }

    #[test]
    fn dear_cycles_earn_a_larger_budget_within_the_cap() {
        let heap = 4usize << 30;
        let mut g = Governor::new(Policy::default().gc_share(0.1), heap);
        let used = 100 << 20;
        let t = Instant::now();
        g.cycle_ended(CycleKind::Full, heap, used, 0, 0);
        g.cycle_done_at(t, Duration::from_millis(5), 0);
        assert_eq!(g.sizing().budget, used, "no rate yet: the live-data rule");
        // 1 GiB/s, cycles of 5 ms: 51 MiB at a tenth of the time, under the
        // live-data rule's 100 MiB.
        let second = t + Duration::from_secs(1);
        g.cycle_ended(CycleKind::Young, heap, used, 0, 0);
        g.cycle_done_at(second, Duration::from_millis(5), 1 << 30);
        assert_eq!(g.sizing().allocation_rate, (1u64 << 30) as f64);
        assert_eq!(g.sizing().budget, used);
        // Cycles of 85 ms (smoothed: 25 ms): a quarter of a GiB.
        g.cycle_ended(CycleKind::Young, heap, used, 0, 0);
        g.cycle_done_at(
            second + Duration::from_secs(1),
            Duration::from_millis(85),
            2 << 30,
        );
        let budget = g.sizing().budget;
        assert!(
            budget.abs_diff(256 << 20) < 1 << 20,
            "{budget} bytes, not 256 MiB"
        );
        assert_eq!(g.trigger(), used + budget);
        // A larger share of the time for the collector: less memory, down to
        // the live-data rule.
        g.policy = g.policy.gc_share(1.0);
        assert_eq!(g.sizing().budget, used);
        g.policy = g.policy.gc_share(0.1);
        // Dearer still: capped.
        g.cycle_ended(CycleKind::Young, heap, used, 0, 0);
        g.cycle_done_at(
            second + Duration::from_secs(2),
            Duration::from_secs(2),
            3 << 30,
        );
        assert_eq!(g.sizing().budget, MAX_YOUNG);
    }

    #[test]
    fn memory_kept_for_allocation_follows_the_budget_up_at_once_and_down_slowly() {
        let (heap, used) = (4usize << 30, 100usize << 20);
        let mut g = Governor::new(Policy::default().young_budget(Some(400 << 20)), heap);
        let t = Instant::now();
        g.cycle_ended_at(t, CycleKind::Full, heap, used, 0, 0);
        assert_eq!(g.kept(), 400 << 20);
        g.policy = g.policy.young_budget(Some(100 << 20));
        g.cycle_ended_at(t + KEPT_HALF_LIFE, CycleKind::Young, heap, used, 0, 0);
        assert_eq!(g.kept(), 200 << 20, "halved in a half-life");
        assert_eq!(
            g.trigger(),
            used + (100 << 20),
            "the budget itself follows at once"
        );
        let later = t + KEPT_HALF_LIFE * 10;
        g.cycle_ended_at(later, CycleKind::Young, heap, used, 0, 0);
        assert_eq!(g.kept(), 100 << 20, "down to the budget, no further");
        g.policy = g.policy.young_budget(Some(300 << 20));
        g.cycle_ended_at(later, CycleKind::Young, heap, used, 0, 0);
        assert_eq!(g.kept(), 300 << 20, "up at once");
        g.cycle_ended_at(later, CycleKind::Young, used + (250 << 20), used, 0, 0);
        assert_eq!(g.kept(), 250 << 20, "never more than the free heap");
    }

    #[test]
    fn full_cycles_mark_softly_paced_against_the_memory_kept_young_ones_not() {
        let (heap, used) = (4usize << 30, 300usize << 20);
        let mut g = Governor::new(Policy::default().young_budget(Some(100 << 20)), heap);
        assert_eq!(
            g.soft_marking_limit(CycleKind::Full, 16 << 20),
            None,
            "the first cycle: no memory kept yet"
        );
        g.cycle_ended(CycleKind::Full, heap, used, 40 << 20, 0);
        let kept_end = used + g.kept();
        let start = g.trigger();
        assert_eq!(g.soft_marking_limit(CycleKind::Full, start), Some(kept_end));
        assert_eq!(g.soft_marking_limit(CycleKind::Young, start), None);
        assert_eq!(
            g.soft_marking_limit(CycleKind::Full, kept_end),
            Some(kept_end + MIN_YOUNG),
            "some room, however far past the memory kept"
        );
    }

    #[test]
    fn memory_kept_covers_what_the_mutators_allocate_while_the_next_cycle_marks() {
        let (heap, used) = (4usize << 30, 300usize << 20);
        let mut g = Governor::new(Policy::default().young_budget(Some(100 << 20)), heap);
        let t = Instant::now();
        g.cycle_ended_at(t, CycleKind::Full, heap, used, 80 << 20, 0);
        assert_eq!(
            g.kept(),
            180 << 20,
            "the budget and the bytes allocated black"
        );
        assert_eq!(
            g.trigger(),
            used + (100 << 20),
            "the trigger stays the budget"
        );
        let later = t + KEPT_HALF_LIFE * 20;
        g.cycle_ended_at(later, CycleKind::Young, heap, used, 0, 0);
        assert_eq!(
            g.kept(),
            160 << 20,
            "smoothed: a cycle that marked in its pause weighs a quarter"
        );
    }

    #[test]
    fn memory_kept_covers_what_the_last_cycle_freed_and_decays() {
        let (heap, used) = (4usize << 30, 100usize << 20);
        let mut g = Governor::new(Policy::default().young_budget(Some(50 << 20)), heap);
        let t = Instant::now();
        g.cycle_ended_at(t, CycleKind::Full, heap, used, 0, used + (400 << 20));
        assert_eq!(g.kept(), 400 << 20, "the pages freed, more than the budget");
        assert_eq!(g.trigger(), used + (50 << 20), "the budget is not theirs");
        g.cycle_ended_at(
            t + KEPT_HALF_LIFE,
            CycleKind::Young,
            heap,
            used,
            0,
            used + (50 << 20),
        );
        assert_eq!(g.kept(), 200 << 20, "halved in a half-life");
        g.cycle_ended_at(t, CycleKind::Young, heap, heap - (30 << 20), 0, heap);
        assert_eq!(g.kept(), 30 << 20, "never more than the free heap");
    }

    #[test]
    fn memory_kept_stays_resident_when_the_data_shrinks() {
        let (heap, budget) = (4usize << 30, 50usize << 20);
        let mut g = Governor::new(Policy::default().young_budget(Some(budget)), heap);
        let t = Instant::now();
        let used = 300usize << 20;
        g.cycle_ended_at(t, CycleKind::Young, heap, used, 0, used + budget);
        assert_eq!(g.kept(), budget);
        g.cycle_ended_at(t, CycleKind::Young, heap, 100 << 20, 0, used + budget);
        assert_eq!(
            g.kept(),
            250 << 20,
            "the pages resident up to the last end stay, the data below them having died"
        );
        g.cycle_ended_at(
            t + KEPT_HALF_LIFE,
            CycleKind::Young,
            heap,
            200 << 20,
            0,
            250 << 20,
        );
        assert_eq!(
            g.kept(),
            75 << 20,
            "what lies above the data in use now decays"
        );
    }

    #[test]
    fn a_policy_without_generations_runs_full_cycles_only() {
        let mut g = Governor::new(Policy::default().generational(false), 1 << 30);
        g.cycle_ended(CycleKind::Full, 1 << 30, 10 << 20, 0, 0);
        assert_eq!(g.kind(Reason::Budget, 0), CycleKind::Full);
        assert!(Policy::default().old_growth(f64::NAN).check().is_err());
        assert!(Policy::default().young_budget(Some(0)).check().is_err());
        assert!(Policy::default().gc_share(0.0).check().is_err());
        assert!(Policy::default().gc_share(1.5).check().is_err());
    }
}
