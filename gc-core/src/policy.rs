//! When cycles run, and whether they are young or full.
//!
//! A young cycle costs in proportion to the young survivors and the
//! remembered set, not to the old data, so young cycles come after a budget of
//! allocation that follows the live data only loosely: the bytes in use after
//! the last cycle, between [`MIN_YOUNG`] and [`MAX_YOUNG`]. Memory in use then
//! stays within about twice the data that survived (HotSpot's Serial and
//! Parallel collectors give their young generation a third of the heap, and
//! keep 40–70% of it free; here the "heap" is what the data needs, not the
//! maximum). On binary-trees 21, half that budget took 14% longer: more young
//! cycles, catching more trees half built. A full cycle costs in
//! proportion to all live data, so full cycles come when the old generation
//! has grown by [`Policy::old_growth`] times what the last full cycle left
//! (promoted survivors that have since died are only found by a full cycle),
//! when the heap is too full for another young budget, and when asked
//! (`collect()`, or an allocation that found the heap full).

use crate::stats::{CycleKind, Reason};

/// The smallest young budget.
pub const MIN_YOUNG: usize = 16 << 20;
/// The largest young budget the adaptive policy picks.
pub const MAX_YOUNG: usize = 512 << 20;
/// Dirty cards beyond which the next cycle is full, not young: a young
/// cycle's compaction pause rewrites their slots, about 64 per card at about
/// 1.3 µs a card, so this bounds that part of it (a millisecond or so). A
/// full cycle's pause rewrites no card: the old pages compact concurrently.
pub const MAX_REMEMBERED_CARDS: usize = 1024;
/// The smallest growth of the old generation before a full cycle.
const MIN_OLD_GROWTH: usize = 32 << 20;

/// The collection policy, read with [`Heap::policy`](crate::Heap::policy) and
/// set with [`Heap::set_policy`](crate::Heap::set_policy).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Policy {
    /// Young cycles between full ones (default on). Off, every cycle is full.
    pub generational: bool,
    /// Bytes allocated between two cycles; `None` (the default) adapts it to
    /// the live data (see the module's documentation). It is capped at three
    /// quarters of the free heap either way.
    pub young_budget: Option<usize>,
    /// How much the old generation may grow, as a multiple of the bytes in
    /// use after the last full cycle, before the next cycle is full (default 1:
    /// when it has doubled; at least 32 MiB).
    pub old_growth: f64,
    /// In the concurrent modes, a young cycle whose survivors to move take at
    /// most this many bytes slides them in its compaction pause instead of
    /// compacting concurrently (default 512 KiB, about 0.1 ms of copying):
    /// no remapping, no faults, and the young range's pages stay resident
    /// for allocation. 0 compacts every young cycle concurrently.
    pub young_slide_limit: usize,
    /// Objects a young cycle traces in its first pause, from the roots and
    /// the dirty cards, before it lets marking go on concurrently (default
    /// 20,000, about a millisecond). A young cycle that finds its survivors
    /// within it is a single pause. 0 marks every young cycle concurrently.
    pub young_pause_objects: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            generational: true,
            young_budget: None,
            old_growth: 1.0,
            young_slide_limit: 512 << 10,
            young_pause_objects: 20_000,
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
        if self.young_budget == Some(0) {
            return Err("a young budget of 0 bytes would collect at every allocation".into());
        }
        Ok(())
    }
}

/// The policy and what it decides from: the bytes in use after the last
/// cycle, and the old generation's limit.
#[derive(Debug)]
pub(crate) struct Governor {
    pub(crate) policy: Policy,
    used_after: usize,
    full_at: usize,
    capacity: usize,
}

impl Governor {
    pub(crate) fn new(policy: Policy, capacity: usize) -> Self {
        Governor {
            policy,
            used_after: 0,
            full_at: 0,
            capacity,
        }
    }

    /// What the next cycle, run for `reason` with `cards` dirty cards
    /// logged, collects.
    pub(crate) fn kind(&self, reason: Reason, cards: usize) -> CycleKind {
        let room =
            self.capacity.saturating_sub(self.used_after) >= MIN_YOUNG.min(self.capacity / 4);
        let young = self.policy.generational
            && room
            && cards <= MAX_REMEMBERED_CARDS
            && match reason {
                Reason::RequestedYoung => true,
                Reason::Budget => self.used_after < self.full_at,
                Reason::Full | Reason::Requested => false,
            };
        if young {
            CycleKind::Young
        } else {
            CycleKind::Full
        }
    }

    /// The bytes allocated between two cycles, with `used` in use.
    fn budget(&self, used: usize) -> usize {
        let budget = match self.policy.young_budget {
            Some(b) => b,
            None if self.policy.generational => used.clamp(MIN_YOUNG, MAX_YOUNG),
            // Full cycles only: each costs the whole live data, so space them
            // out further.
            None => (used * 4).max(MIN_YOUNG * 2),
        };
        budget.min(self.capacity.saturating_sub(used) / 4 * 3)
    }

    /// A cycle of `kind` ended with `used` bytes in use: returns the bytes in
    /// use at which the next one starts.
    pub(crate) fn cycle_ended(&mut self, kind: CycleKind, capacity: usize, used: usize) -> usize {
        self.capacity = capacity;
        self.used_after = used;
        if kind == CycleKind::Full {
            let growth = ((used as f64 * self.policy.old_growth) as usize).max(MIN_OLD_GROWTH);
            self.full_at = used.saturating_add(growth);
        }
        self.trigger()
    }

    /// The bytes in use at which the next cycle starts.
    pub(crate) fn trigger(&self) -> usize {
        self.used_after + self.budget(self.used_after)
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
        g.cycle_ended(CycleKind::Full, 1 << 30, 100 << 20);
        assert_eq!(g.kind(Reason::Budget, 0), CycleKind::Young);
        assert_eq!(g.kind(Reason::Requested, 0), CycleKind::Full);
        assert_eq!(g.kind(Reason::Full, 0), CycleKind::Full);
        assert_eq!(
            g.kind(Reason::Budget, MAX_REMEMBERED_CARDS + 1),
            CycleKind::Full,
            "a remembered set too large for a young cycle's pause"
        );
        g.cycle_ended(CycleKind::Young, 1 << 30, 150 << 20);
        assert_eq!(g.kind(Reason::Budget, 0), CycleKind::Young);
        g.cycle_ended(CycleKind::Young, 1 << 30, 200 << 20);
        assert_eq!(g.kind(Reason::Budget, 0), CycleKind::Full);
    }

    #[test]
    fn the_budget_follows_the_live_data_within_bounds_and_the_free_heap() {
        let mut g = Governor::new(Policy::default(), 4 << 30);
        assert_eq!(g.cycle_ended(CycleKind::Full, 4 << 30, 0), MIN_YOUNG);
        let used = 200 << 20;
        assert_eq!(g.cycle_ended(CycleKind::Young, 4 << 30, used), used + used);
        let used = 3 << 30;
        assert_eq!(
            g.cycle_ended(CycleKind::Young, 4 << 30, used),
            used + MAX_YOUNG
        );
        let mut small = Governor::new(Policy::default(), 64 << 20);
        let used = 60 << 20;
        assert_eq!(
            small.cycle_ended(CycleKind::Full, 64 << 20, used),
            used + (4 << 20) / 4 * 3
        );
        assert_eq!(
            small.kind(Reason::Budget, 0),
            CycleKind::Full,
            "no room for a young budget"
        );
    }

    #[test]
    fn a_policy_without_generations_runs_full_cycles_only() {
        let mut g = Governor::new(Policy::default().generational(false), 1 << 30);
        g.cycle_ended(CycleKind::Full, 1 << 30, 10 << 20);
        assert_eq!(g.kind(Reason::Budget, 0), CycleKind::Full);
        assert!(Policy::default().old_growth(f64::NAN).check().is_err());
        assert!(Policy::default().young_budget(Some(0)).check().is_err());
    }
}
