//! The moving space's zero line, and the zeroing that lowers it off the
//! mutators' path.
//!
//! Above the top, the moving space's memory may hold garbage up to the line
//! (what a cycle freed and kept resident for the allocations to come) and
//! reads as zero from it up. A claim zeroes its own part below the line: on
//! an allocation-heavy program that memset was a tenth of the mutator's time
//! (binary-trees, `perf`). Between cycles a thread of the heap's, on a CPU
//! nothing else wants, lowers the line towards the top instead, a chunk at a
//! time from the line down: claims, which come up from the top, then find
//! their memory zeroed, the most recently zeroed first.
//!
//! The two meet near the top, and must never write the same memory: a zero
//! the thread stores after a claim's object was written there destroys it.
//! The thread publishes the chunk it is about to zero, then reads the top; a
//! claim moves the top, then reads the published chunk. A sequentially
//! consistent fence on each side between the two makes one of them see the
//! other: the thread gives up a chunk the top has reached, or the claim
//! waits for the chunk it overlaps (at most one: the next starts above the
//! top, and the top is above the claim). A claim waits only if it took more
//! than the gap the thread leaves above the top within one chunk's memset.

use std::ops::Range;

use crate::sync::{AtomicUsize, Ordering, fence};

/// No chunk is being zeroed.
const IDLE: usize = usize::MAX;

/// Where the moving space's memory above the top starts to read as zero.
#[derive(Debug)]
pub(crate) struct ZeroLine {
    line: AtomicUsize,
    /// The start of the chunk being zeroed below the line, or `IDLE`.
    zeroing_from: AtomicUsize,
}

impl ZeroLine {
    pub(crate) fn new(at: usize) -> Self {
        ZeroLine {
            line: AtomicUsize::new(at),
            zeroing_from: AtomicUsize::new(IDLE),
        }
    }

    /// The line: exact while nothing lowers it, a bound above it otherwise.
    pub(crate) fn get(&self) -> usize {
        self.line.load(Ordering::Acquire)
    }

    /// Moves the line to `at`, from which memory up reads as zero: a
    /// cycle's, while no chunk is being zeroed (the zeroing thread is held
    /// off).
    pub(crate) fn set(&self, at: usize) {
        debug_assert_eq!(self.zeroing_from.load(Ordering::Relaxed), IDLE);
        self.line.store(at, Ordering::Release);
    }

    /// For the claim of `range` (the top has moved past it): the part the
    /// claimer zeroes itself, below the line. Waits while the chunk being
    /// zeroed overlaps the claim.
    pub(crate) fn dirty_part(&self, range: Range<usize>) -> Range<usize> {
        let mut spins = 0u32;
        loop {
            if let Some(dirty) = self.try_dirty_part(range.clone()) {
                return dirty;
            }
            if spins < 64 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                pause();
            }
        }
    }

    /// [`dirty_part`](Self::dirty_part), or `None` while the chunk being
    /// zeroed overlaps the claim.
    fn try_dirty_part(&self, range: Range<usize>) -> Option<Range<usize>> {
        // Pairs with the fence in `lower`: see the module's documentation.
        fence(Ordering::SeqCst);
        if range.end > self.zeroing_from.load(Ordering::Acquire) {
            return None;
        }
        Some(range.start..range.end.min(self.get()).max(range.start))
    }

    /// Zeroes, with `zero`, the chunk of at most `chunk` bytes just below
    /// the line, down to no lower than `margin` bytes above the top (read
    /// with `top`), and lowers the line to its start. Returns the bytes
    /// zeroed: 0 once the line is within `margin` of the top, or a claim
    /// reached the chunk.
    ///
    /// One thread at a time, and not while a cycle moves the line.
    pub(crate) fn lower(
        &self,
        chunk: usize,
        margin: usize,
        top: impl Fn() -> usize,
        zero: impl FnOnce(Range<usize>),
    ) -> usize {
        let line = self.line.load(Ordering::Relaxed);
        let from = line.saturating_sub(chunk).max(top().saturating_add(margin));
        if from >= line {
            return 0;
        }
        self.zeroing_from.store(from, Ordering::Relaxed);
        // Pairs with the fence in `dirty_part`.
        fence(Ordering::SeqCst);
        if top() > from {
            self.zeroing_from.store(IDLE, Ordering::Release);
            return 0;
        }
        zero(from..line);
        self.line.store(from, Ordering::Release);
        self.zeroing_from.store(IDLE, Ordering::Release);
        line - from
    }
}

/// A claim's wait for the chunk in progress, past the first spins: a sleep,
/// not a yield, so that this CPU falls idle and the zeroing thread, which
/// runs at idle priority, may finish its chunk here.
#[cfg(not(loom))]
fn pause() {
    std::thread::sleep(std::time::Duration::from_micros(20));
}

#[cfg(loom)]
fn pause() {
    crate::sync::yield_now();
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn lowering_stops_a_margin_above_the_top() {
        let z = ZeroLine::new(1000);
        let mut zeroed = Vec::new();
        while z.lower(300, 50, || 100, |r| zeroed.push(r)) > 0 {}
        assert_eq!(zeroed, [700..1000, 400..700, 150..400]);
        assert_eq!(z.get(), 150);
        assert_eq!(z.dirty_part(100..200), 100..150);
        assert_eq!(z.dirty_part(150..200), 150..150);
    }

    #[test]
    fn a_chunk_the_top_reached_is_left_alone() {
        let z = ZeroLine::new(1000);
        let tops = std::cell::Cell::new(0);
        // The top is read before the chunk is published, and again after: a
        // claim took the memory in between.
        let top = || {
            tops.set(tops.get() + 1);
            if tops.get() == 1 { 100 } else { 900 }
        };
        assert_eq!(z.lower(300, 50, top, |_| panic!("zeroed")), 0);
        assert_eq!(z.get(), 1000);
        assert_eq!(z.dirty_part(100..900), 100..900);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::UnsafeCell;
    use loom::sync::Arc;

    /// Memory units the model claims and zeroes: each a cell, so that loom
    /// reports a zero stored concurrently with a claimer's write.
    struct Memory {
        units: Vec<UnsafeCell<u8>>,
        top: AtomicUsize,
        line: ZeroLine,
    }

    const GARBAGE: u8 = 7;
    const OBJECT: u8 = 1;

    impl Memory {
        /// Claims `n` units; where the zeroing thread works on them, waits
        /// for it by joining it (the model's stand-in for the spin).
        fn claim(
            &self,
            n: usize,
            zeroer: &mut Option<loom::thread::JoinHandle<()>>,
        ) -> Range<usize> {
            let start = self.top.fetch_add(n, Ordering::AcqRel);
            let range = start..start + n;
            let dirty = match self.line.try_dirty_part(range.clone()) {
                Some(dirty) => dirty,
                None => {
                    zeroer.take().expect("a chunk in progress").join().unwrap();
                    self.line
                        .try_dirty_part(range.clone())
                        .expect("the chunk ended")
                }
            };
            for u in dirty {
                // SAFETY: loom checks the access.
                self.units[u].with_mut(|p| unsafe { *p = 0 });
            }
            for u in range.clone() {
                // SAFETY: as above; the claim reads zero before it writes.
                self.units[u].with_mut(|p| unsafe {
                    assert_eq!(*p, 0, "unit {u} of a claim was not zeroed");
                    *p = OBJECT;
                });
            }
            range
        }
    }

    /// Claims from the top and the zeroing thread below the line: every
    /// claim reads zero before it writes its object, and no zero lands on a
    /// written object (loom reports the race, the final check the loss).
    #[test]
    fn claims_and_the_zeroing_thread_never_write_the_same_memory() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let m = Arc::new(Memory {
                units: (0..4).map(|_| UnsafeCell::new(GARBAGE)).collect(),
                top: AtomicUsize::new(0),
                line: ZeroLine::new(4),
            });
            let mut zeroer = Some({
                let m = m.clone();
                loom::thread::spawn(move || {
                    while m.line.lower(
                        1,
                        0,
                        || m.top.load(Ordering::Relaxed),
                        |r| {
                            for u in r {
                                // SAFETY: loom checks the access.
                                m.units[u].with_mut(|p| unsafe { *p = 0 });
                            }
                        },
                    ) > 0
                    {}
                })
            });
            let first = m.claim(1, &mut zeroer);
            let second = m.claim(2, &mut zeroer);
            if let Some(z) = zeroer {
                z.join().unwrap();
            }
            for u in first.chain(second) {
                // SAFETY: every thread joined.
                m.units[u].with(|p| assert_eq!(unsafe { *p }, OBJECT, "unit {u} lost"));
            }
            let (top, line) = (m.top.load(Ordering::Relaxed), m.line.get());
            for u in top.max(line)..4 {
                // SAFETY: every thread joined.
                m.units[u].with(|p| assert_eq!(unsafe { *p }, 0, "unit {u} above the line"));
            }
        });
    }
}
