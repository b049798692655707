//! Marking help from paced mutators, as Go's collector takes it: a mutator
//! that allocates ahead of a concurrent marking traces part of the heap
//! instead of sleeping until the marking thread catches up.
//!
//! Why: with one marking thread, the paced mutator's CPU sat idle. The
//! latency bench, unthrottled on two cores, spent a quarter of the
//! mutator's time asleep in the pacer while the collector's thread marked
//! 12 million objects alone (565 ms a cycle).
//!
//! The protocol: the marking thread hands out grey objects in batches when
//! a helper has asked ([`share`](MarkHelp::share)); a helper takes a batch
//! and the marking's lines ([`take`](MarkHelp::take)), traces it with a
//! marker of its own (marks are set atomically, as parallel markers do), and
//! gives back what it has not traced when it stops: paced no longer, or
//! asked back ([`give_back`](MarkHelp::give_back)). The pool and the count
//! of helpers holding work lie under one lock, so the marking thread that
//! finds both empty ([`reclaim`](MarkHelp::reclaim)) knows that no grey
//! object is left anywhere: a helper takes work only from the pool, and only
//! the marking thread fills it. A loom model checks this (`loom_tests`).

use crate::sync::{self, AtomicBool, AtomicUsize, Mutex, Ordering};

/// A marking thread shares its grey objects only when it holds more than
/// this: fewer are not worth a helper's round trip.
const KEEP: usize = 16;

/// Where a marking draws its lines (see `Marker`): what a helper needs to
/// trace as the marking thread does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lines {
    /// Moving-space objects below this are old (live in a young cycle).
    pub(crate) old_end: usize,
    /// Moving-space objects from this up were allocated during the cycle.
    pub(crate) black: usize,
    /// Moving-space objects below this note what they reference.
    pub(crate) targets_below: usize,
}

/// What a helper's [`take`](MarkHelp::take) finds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Take {
    /// A batch of grey objects to trace, with the marking's lines.
    Batch(Vec<usize>, Lines),
    /// None now: the marking thread is asked to share (or wants work back).
    Wait,
    /// No concurrent marking takes help.
    Closed,
}

#[derive(Default)]
struct Pool {
    /// Set while a concurrent marking takes help.
    lines: Option<Lines>,
    /// Grey objects handed out and not yet taken, or given back.
    batches: Vec<Vec<usize>>,
    /// Helpers holding a batch.
    helpers: usize,
    /// Weak slots the helpers found, for the marking thread's marker.
    weak: Vec<usize>,
}

/// The grey objects a concurrent marking shares with paced mutators.
#[derive(Default)]
pub(crate) struct MarkHelp {
    pool: Mutex<Pool>,
    /// A helper found nothing to take: the marking thread shares at its next
    /// look.
    wanted: AtomicBool,
    /// The marking thread has nothing left of its own: helpers give back.
    back: AtomicBool,
    /// Objects the helpers scanned since the last [`close`](Self::close).
    scanned: AtomicUsize,
}

impl MarkHelp {
    /// A concurrent marking with `lines` begins: paced mutators may help.
    pub(crate) fn open(&self, lines: Lines) {
        let mut pool = sync::lock(&self.pool);
        pool.lines = Some(lines);
        self.back.store(false, Ordering::Relaxed);
    }

    /// The concurrent marking is over (its last [`reclaim`](Self::reclaim)
    /// found nothing): returns the objects the helpers scanned.
    pub(crate) fn close(&self) -> usize {
        let mut pool = sync::lock(&self.pool);
        pool.lines = None;
        debug_assert!(pool.batches.is_empty() && pool.helpers == 0);
        self.wanted.store(false, Ordering::Relaxed);
        self.scanned.swap(0, Ordering::Relaxed)
    }

    /// Whether a helper waits for work.
    #[inline]
    pub(crate) fn wanted(&self) -> bool {
        self.wanted.load(Ordering::Relaxed)
    }

    /// The marking thread's turn: hands out half of `grey` (the oldest
    /// entries, the roots of the largest parts of the graph left) if a helper
    /// waits, a marking is open, and there is enough to split.
    pub(crate) fn share(&self, grey: &mut Vec<usize>) {
        if grey.len() <= KEEP {
            return;
        }
        let mut pool = sync::lock(&self.pool);
        if pool.lines.is_none() {
            return;
        }
        let half = grey.len() / 2;
        pool.batches.push(grey.drain(..half).collect());
        self.wanted.store(false, Ordering::Relaxed);
    }

    /// A helper's turn: a batch to trace, with the marking's lines, or
    /// none (and the marking thread is asked to share) if there is none. None
    /// either while the marking thread, out of work, asks for batches back: a
    /// helper would take back the one it just gave.
    pub(crate) fn take(&self) -> Take {
        let mut pool = sync::lock(&self.pool);
        let Some(lines) = pool.lines else {
            return Take::Closed;
        };
        if self.wants_back() {
            return Take::Wait;
        }
        match pool.batches.pop() {
            Some(batch) => {
                pool.helpers += 1;
                Take::Batch(batch, lines)
            }
            None => {
                self.wanted.store(true, Ordering::Relaxed);
                Take::Wait
            }
        }
    }

    /// Whether the marking thread wants the helpers' work back (it has none
    /// of its own left).
    #[inline]
    pub(crate) fn wants_back(&self) -> bool {
        self.back.load(Ordering::Relaxed)
    }

    /// A helper stops: gives back the grey objects it has not traced, the
    /// weak slots it found, and counts the objects it scanned.
    pub(crate) fn give_back(&self, grey: Vec<usize>, weak: Vec<usize>, scanned: usize) {
        self.scanned.fetch_add(scanned, Ordering::Relaxed);
        let mut pool = sync::lock(&self.pool);
        if !grey.is_empty() {
            pool.batches.push(grey);
        }
        pool.weak.extend(weak);
        pool.helpers -= 1;
    }

    /// The marking thread has traced all of its own: the next batch given
    /// back or not yet taken, waiting while helpers hold work; `None` when
    /// none is left anywhere.
    pub(crate) fn reclaim(&self) -> Option<Vec<usize>> {
        let mut rounds = 0;
        loop {
            {
                let mut pool = sync::lock(&self.pool);
                if let Some(batch) = pool.batches.pop() {
                    self.back.store(false, Ordering::Relaxed);
                    return Some(batch);
                }
                if pool.helpers == 0 {
                    self.back.store(false, Ordering::Relaxed);
                    return None;
                }
            }
            self.back.store(true, Ordering::Relaxed);
            sync::yield_wait(&mut rounds);
        }
    }

    /// Takes the weak slots the helpers found.
    pub(crate) fn take_weak(&self) -> Vec<usize> {
        std::mem::take(&mut sync::lock(&self.pool).weak)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const LINES: Lines = Lines {
        old_end: 1,
        black: 2,
        targets_below: 0,
    };

    #[test]
    fn nothing_is_shared_outside_a_marking_or_unasked() {
        let help = MarkHelp::default();
        assert_eq!(help.take(), Take::Closed, "no marking open");
        assert!(!help.wanted(), "a helper asks only during a marking");
        let mut grey: Vec<usize> = (0..100).collect();
        help.share(&mut grey);
        assert_eq!(grey.len(), 100, "no marking, nothing handed out");
        help.open(LINES);
        assert_eq!(help.take(), Take::Wait);
        assert!(help.wanted(), "an empty pool asks the marking thread");
        let mut few: Vec<usize> = (0..KEEP).collect();
        help.share(&mut few);
        assert_eq!(few.len(), KEEP, "too few to split");
        help.share(&mut grey);
        assert_eq!(grey, (50..100).collect::<Vec<_>>(), "the newest half kept");
        assert!(!help.wanted());
        help.back.store(true, Ordering::Relaxed);
        assert_eq!(
            help.take(),
            Take::Wait,
            "asked back: batches are for the marking thread"
        );
        help.back.store(false, Ordering::Relaxed);
        assert_eq!(help.take(), Take::Batch((0..50).collect(), LINES));
        help.give_back(vec![7], vec![9], 3);
        assert_eq!(help.reclaim(), Some(vec![7]), "given back, taken again");
        assert_eq!(help.reclaim(), None, "none left, no helper");
        assert_eq!(help.take_weak(), vec![9]);
        assert_eq!(help.close(), 3);
        assert_eq!(help.take(), Take::Closed);
    }

    /// A helper holding work makes the marking thread wait, asking it back.
    #[test]
    fn the_marking_thread_waits_for_work_held_by_a_helper() {
        let help = MarkHelp::default();
        help.open(LINES);
        let mut grey: Vec<usize> = (0..40).collect();
        help.share(&mut grey);
        let Take::Batch(batch, _) = help.take() else {
            panic!("no batch");
        };
        std::thread::scope(|s| {
            let waiter = s.spawn(|| help.reclaim());
            while !help.wants_back() {
                std::thread::yield_now();
            }
            help.give_back(batch.clone(), Vec::new(), 0);
            assert_eq!(waiter.join().unwrap(), Some(batch));
        });
        assert!(!help.wants_back());
        assert_eq!(help.reclaim(), None);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// Items stand for grey objects: tracing `n` makes `n - 1` grey twice
    /// (a binary tree). The marking thread shares, a helper takes, traces
    /// part and gives the rest back; when the marking thread's `reclaim`
    /// says nothing is left, every item has been traced exactly once. (The
    /// count of items traced is std's atomic: loom need not interleave the
    /// tracing, only the protocol.)
    #[test]
    fn reclaim_finds_nothing_only_when_all_work_is_done() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder.check(|| {
            let help = Arc::new(MarkHelp::default());
            let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            help.open(Lines {
                old_end: 0,
                black: 0,
                targets_below: 0,
            });
            let trace = |done: &std::sync::atomic::AtomicUsize, grey: &mut Vec<usize>| {
                let n = grey.pop().expect("an item");
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n > 0 {
                    grey.extend([n - 1, n - 1]);
                }
            };
            let helper = {
                let (help, done) = (help.clone(), done.clone());
                loom::thread::spawn(move || {
                    let Take::Batch(mut grey, _) = help.take() else {
                        return;
                    };
                    // Traces one item, or none if asked back at once.
                    if !help.wants_back() && !grey.is_empty() {
                        trace(&done, &mut grey);
                    }
                    help.give_back(grey, Vec::new(), 0);
                })
            };
            let mut grey: Vec<usize> = vec![1; KEEP + 1];
            help.wanted.store(true, Ordering::Relaxed);
            help.share(&mut grey);
            loop {
                while !grey.is_empty() {
                    trace(&done, &mut grey);
                }
                match help.reclaim() {
                    Some(batch) => grey = batch,
                    None => break,
                }
            }
            // Each root of 1 is a tree of 3.
            assert_eq!(
                done.load(std::sync::atomic::Ordering::Relaxed),
                3 * (KEEP + 1)
            );
            helper.join().unwrap();
            help.close();
        });
    }
}
