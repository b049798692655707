//! Pacing: mutators that allocate faster than a cycle marks are slowed down,
//! in proportion, instead of filling the heap before the cycle frees anything.
//!
//! When a cycle starts, the heap has `room` bytes left. Half of it is free to
//! use; the other half is handed out as marking progresses (bytes scanned
//! against the live bytes the last cycle found). A concurrent compaction
//! frees an eighth at once (the pages it frees are those the allocations
//! reuse). An allocation that finds the mutators ahead of that waits, in
//! short sleeps, until marking catches up or [`MAX_DELAY`] passes: the
//! further ahead the mutators run, the longer they wait. A full cycle's
//! marking has a soft limit too, the memory the policy keeps resident for
//! allocation (`Governor::soft_marking_limit`: a full cycle marks all the
//! live data, and what is allocated meanwhile takes fresh pages), its room
//! handed out the same way: an allocation past it marks for at most
//! [`SOFT_HELP`] and goes on ([`help_briefly`](Pacer::help_briefly)).
//! Marking ends in a pause; the memory is freed at the compaction
//! pause, and a concurrent compaction is paced the same way against the pages
//! it has placed, with the room up to the next cycle's trigger (the next cycle
//! cannot start before it ends, and must find room for its marking). In Move
//! mode an allocation that would take fresh pages from the kernel while the
//! compaction has none of the shadow's to spare waits the same way, once the
//! compaction's share of fresh pages is taken (see
//! [`wait_while`](Pacer::wait_while)). Only an allocation that finds the heap
//! truly full waits for the cycle itself (an allocation stall). A paced
//! allocation works before it sleeps: during a concurrent compaction it
//! builds pages (`Compaction::assist`), and during a marking on one thread
//! it marks (`Marker::help`): what it waits for either way.

use std::time::{Duration, Instant};

use crate::sync::{AtomicBool, AtomicUsize, Ordering};

/// The longest one allocation is slowed down: with what its last sleep or
/// assist overruns, and the claim after, under 10 ms.
const MAX_DELAY: Duration = Duration::from_millis(9);
/// Help stops this long before [`MAX_DELAY`] ends: more than an assist's run of pages takes.
const HELP_MARGIN: Duration = Duration::from_micros(500);
/// One sleep of a slowed-down allocation.
const STEP: Duration = Duration::from_micros(100);
/// The least marking work a cycle is assumed to have (bytes).
const MIN_WORK: usize = 1 << 20;
/// The longest an allocation past the soft limit works for the marking
/// (traces, or waits in 20 µs naps for the marking thread to hand it work),
/// however far past it is: going past the memory kept costs fresh pages, not
/// a full heap, and is not worth [`MAX_DELAY`] of a program's time. A fast
/// allocator passes it every 32 KiB TLAB, and marks most of the time; one
/// that allocates slowly stalls for a moment.
const SOFT_HELP: Duration = Duration::from_micros(200);

/// The heap's pacer.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    active: AtomicBool,
    base: AtomicUsize,
    room: AtomicUsize,
    /// The room up to the soft limit ([`soften`](Self::soften)); `usize::MAX`:
    /// none.
    soft_room: AtomicUsize,
    /// The share of `room` free at once, as a divisor.
    upfront: AtomicUsize,
    work: AtomicUsize,
    /// Bytes the markers have scanned this cycle.
    pub(crate) progress: AtomicUsize,
}

impl Pacer {
    /// A phase of a cycle begins with `used` bytes in use, and the mutators
    /// may reach `limit` by its end; it has `live` bytes' worth of work.
    pub(crate) fn begin(&self, used: usize, limit: usize, live: usize) {
        self.begin_with(used, limit, live, 2);
    }

    /// As [`begin`](Self::begin), with `1 / upfront` of the room free at once.
    pub(crate) fn begin_with(&self, used: usize, limit: usize, live: usize, upfront: usize) {
        self.upfront.store(upfront.max(1), Ordering::Relaxed);
        self.base.store(used, Ordering::Relaxed);
        self.room
            .store(limit.saturating_sub(used), Ordering::Relaxed);
        self.soft_room.store(usize::MAX, Ordering::Relaxed);
        self.work.store(live.max(MIN_WORK), Ordering::Relaxed);
        self.progress.store(0, Ordering::Relaxed);
        self.active.store(true, Ordering::Release);
    }

    /// Sets a soft limit for the phase begun last, below its limit: past
    /// it, in the same proportion to the work done, an allocation marks for
    /// a moment ([`help_briefly`](Self::help_briefly)) and goes on.
    pub(crate) fn soften(&self, limit: usize) {
        let room = limit.saturating_sub(self.base.load(Ordering::Relaxed));
        self.soft_room.store(
            room.min(self.room.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
    }

    /// Marking is over: allocation goes unpaced.
    pub(crate) fn end(&self) {
        self.active.store(false, Ordering::Release);
    }

    /// Bytes the mutators may have allocated since the cycle began, now.
    fn allowance(&self) -> usize {
        self.allowance_in(self.room.load(Ordering::Relaxed))
    }

    /// The share of `room` handed out by now.
    fn allowance_in(&self, room: usize) -> usize {
        let work = self.work.load(Ordering::Relaxed);
        let done = self.progress.load(Ordering::Relaxed).min(work);
        let now = room / self.upfront.load(Ordering::Relaxed).max(1);
        now + ((room - now) as u128 * done as u128 / work as u128) as usize
    }

    /// Whether an allocation with `used` bytes in use must slow down.
    pub(crate) fn ahead(&self, used: usize) -> bool {
        self.active.load(Ordering::Acquire)
            && used.saturating_sub(self.base.load(Ordering::Relaxed)) > self.allowance()
    }

    /// Whether an allocation with `used` bytes in use is past the soft
    /// limit's share of its room by now, as [`ahead`](Self::ahead) is for
    /// the hard limit (false when the phase has no soft limit).
    pub(crate) fn past_soft(&self, used: usize) -> bool {
        let room = self.soft_room.load(Ordering::Relaxed);
        self.active.load(Ordering::Acquire)
            && room != usize::MAX
            && used.saturating_sub(self.base.load(Ordering::Relaxed)) > self.allowance_in(room)
    }

    /// Lets `help` work for the cycle while `past()` holds, at most
    /// [`SOFT_HELP`], and does not wait for the marking to catch up after;
    /// returns how long it took (zero when `past()` does not hold).
    pub(crate) fn help_briefly(
        &self,
        past: impl Fn() -> bool,
        help: impl FnOnce(&mut dyn FnMut() -> bool),
    ) -> Duration {
        if !past() {
            return Duration::ZERO;
        }
        let start = Instant::now();
        help(&mut || past() && start.elapsed() < SOFT_HELP);
        start.elapsed()
    }

    /// Slows an allocation down while `short()` says the memory it would
    /// take is not free yet (the mutators are [`ahead`](Self::ahead), or a
    /// compaction has no page to spare), at most [`MAX_DELAY`]; returns how
    /// long it waited (zero when it need not). `help` works for the cycle
    /// first, while the predicate it is given holds: the waiting thread's
    /// CPU then advances what it waits for.
    pub(crate) fn wait_while(
        &self,
        short: impl Fn() -> bool,
        help: impl FnOnce(&mut dyn FnMut() -> bool),
    ) -> Duration {
        if !short() {
            return Duration::ZERO;
        }
        let start = Instant::now();
        let deadline = start + MAX_DELAY;
        help(&mut || short() && Instant::now() + HELP_MARGIN < deadline);
        while short() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(STEP.min(left));
        }
        start.elapsed()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn half_the_room_is_free_and_the_rest_follows_marking() {
        let p = Pacer::default();
        assert!(!p.ahead(usize::MAX), "no cycle, no pacing");
        p.begin(100 << 20, 300 << 20, 40 << 20);
        assert!(!p.ahead((100 << 20) + (100 << 20)));
        assert!(p.ahead((100 << 20) + (100 << 20) + 1));
        p.progress.store(20 << 20, Ordering::Relaxed);
        assert!(!p.ahead((100 << 20) + (150 << 20)));
        assert!(p.ahead((100 << 20) + (151 << 20)));
        p.progress.store(80 << 20, Ordering::Relaxed);
        assert!(!p.ahead(300 << 20), "marking done: the whole room");
        p.end();
        assert!(!p.ahead(usize::MAX));
    }

    #[test]
    fn a_smaller_share_is_free_at_once_and_the_rest_follows() {
        let p = Pacer::default();
        p.begin_with(100 << 20, 900 << 20, 40 << 20, 8);
        assert!(!p.ahead((100 << 20) + (100 << 20)));
        assert!(p.ahead((100 << 20) + (100 << 20) + 1));
        p.progress.store(20 << 20, Ordering::Relaxed);
        assert!(!p.ahead((100 << 20) + (450 << 20)));
        assert!(p.ahead((100 << 20) + (450 << 20) + 1));
        p.progress.store(40 << 20, Ordering::Relaxed);
        assert!(!p.ahead(900 << 20), "the work done: the whole room");
        // A new phase with the default share.
        p.begin(100 << 20, 300 << 20, 40 << 20);
        assert!(!p.ahead((100 << 20) + (100 << 20)));
    }

    #[test]
    fn past_the_soft_limit_an_allocation_helps_for_a_moment_and_goes_on() {
        let p = Pacer::default();
        p.begin(100 << 20, 900 << 20, 40 << 20);
        assert!(!p.past_soft(usize::MAX), "no soft limit set");
        p.soften(200 << 20);
        assert!(!p.past_soft((100 << 20) + (50 << 20)));
        assert!(p.past_soft((100 << 20) + (50 << 20) + 1));
        assert!(!p.ahead((100 << 20) + (50 << 20) + 1), "far from the limit");
        p.progress.store(20 << 20, Ordering::Relaxed);
        assert!(!p.past_soft((100 << 20) + (75 << 20)), "half the work done");
        assert!(p.past_soft((100 << 20) + (75 << 20) + 1));
        // Help that never catches up is told to stop once SOFT_HELP has
        // passed, and the allocation goes on.
        let waited = p.help_briefly(|| p.past_soft(180 << 20), |still| while still() {});
        assert!(waited >= SOFT_HELP, "helped for {waited:?}");
        assert_eq!(
            p.help_briefly(|| p.past_soft(110 << 20), |_| panic!("not past")),
            Duration::ZERO
        );
        p.begin(100 << 20, 900 << 20, 40 << 20);
        assert!(!p.past_soft((100 << 20) + (60 << 20)), "a new phase: none");
    }

    #[test]
    fn an_allocation_ahead_waits_for_marking_or_the_cap() {
        let p = Pacer::default();
        p.begin(0, 100 << 20, 10 << 20);
        assert_eq!(p.wait_while(|| p.ahead(10 << 20), |_| {}), Duration::ZERO);
        let waited = p.wait_while(|| p.ahead(90 << 20), |_| {});
        assert!(waited >= MAX_DELAY, "waited {waited:?}");
    }

    /// Help that never advances what the allocation waits for is told to
    /// stop [`HELP_MARGIN`] before the cap, and sleeps fill the rest.
    #[test]
    fn help_that_does_not_help_stops_before_the_cap() {
        let p = Pacer::default();
        p.begin(0, 100 << 20, 10 << 20);
        let start = Instant::now();
        let mut helped_for = Duration::ZERO;
        let waited = p.wait_while(
            || p.ahead(90 << 20),
            |still| {
                while still() {
                    std::thread::sleep(STEP);
                }
                helped_for = start.elapsed();
            },
        );
        assert!(
            helped_for >= MAX_DELAY - HELP_MARGIN,
            "helped for {helped_for:?}"
        );
        assert!(waited >= MAX_DELAY, "waited {waited:?}");
    }

    #[test]
    fn an_allocation_ahead_helps_before_it_sleeps() {
        let p = Pacer::default();
        p.begin(0, 100 << 20, 10 << 20);
        let mut helped = 0;
        let waited = p.wait_while(
            || p.ahead(90 << 20),
            |still| {
                while still() {
                    helped += 1;
                    // The help is the marking's progress here.
                    p.progress.fetch_add(1 << 20, Ordering::Relaxed);
                }
            },
        );
        assert!(waited < MAX_DELAY, "waited {waited:?} for its own progress");
        assert_eq!(helped, 8, "helped until no longer ahead");
    }
}
