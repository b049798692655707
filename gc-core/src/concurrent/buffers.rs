//! Buffer pages to build sliding pages in: shadow pages that hold no live
//! data (found by a scan of the live bitmap) or whose objects are all in
//! place already (recycled). The compaction thread alone publishes them; any
//! thread, in a SIGBUS handler too, takes a stretch of them with a
//! compare-and-swap: no lock, so it is async-signal-safe.

use super::PAGE;
use crate::sync::{AtomicUsize, Ordering, Zeroed};

/// A single-producer, multi-consumer queue of page addresses, each published
/// once and taken at most once.
pub(crate) struct Buffers {
    slots: Zeroed<AtomicUsize>,
    published: AtomicUsize,
    taken: AtomicUsize,
}

impl Buffers {
    /// A queue for at most `capacity` pages, ever.
    pub(crate) fn new(capacity: usize) -> gc_uffd::Result<Self> {
        Ok(Buffers {
            slots: Zeroed::new(capacity)?,
            published: AtomicUsize::new(0),
            taken: AtomicUsize::new(0),
        })
    }

    /// Publishes `page`; false when the queue is full. The producer only.
    ///
    /// Release: a consumer that takes the page also sees everything the
    /// producer saw when deciding it was free (the builders that read it done).
    pub(crate) fn push(&self, page: usize) -> bool {
        let n = self.published.load(Ordering::Relaxed);
        let Some(slot) = self.slots.get(n) else {
            return false;
        };
        slot.store(page, Ordering::Relaxed);
        self.published.store(n + 1, Ordering::Release);
        true
    }

    /// Takes up to `max` pages (at least one; none when `max` is 0 or no
    /// page is published and not taken) published one after the other and
    /// each a page above the one before: the first and how many. Built
    /// in, they go into place with one call; taken a page at a time, two
    /// builders taking at once (a paced mutator beside the compaction
    /// thread) got every other page, and a run a call per page.
    pub(crate) fn take_run(&self, max: usize) -> Option<(usize, usize)> {
        let mut t = self.taken.load(Ordering::Relaxed);
        loop {
            let published = self.published.load(Ordering::Acquire);
            if t >= published || max == 0 {
                return None;
            }
            let first = self.slots[t].load(Ordering::Relaxed);
            let mut n = 1;
            while n < max
                && t + n < published
                && self.slots[t + n].load(Ordering::Relaxed) == first + n * PAGE
            {
                n += 1;
            }
            match self
                .taken
                .compare_exchange_weak(t, t + n, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Some((first, n)),
                Err(now) => t = now,
            }
        }
    }

    /// Pages published and not yet taken (a snapshot).
    pub(crate) fn available(&self) -> usize {
        let published = self.published.load(Ordering::Relaxed);
        published.saturating_sub(self.taken.load(Ordering::Relaxed))
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// A producer publishing while two consumers take: no page is taken twice,
    /// none is lost, and a full queue refuses more.
    #[test]
    fn each_page_taken_at_most_once() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let q = Arc::new(Buffers::new(2).unwrap());
            let consumers: Vec<_> = (0..2)
                .map(|_| {
                    let q = q.clone();
                    loom::thread::spawn(move || q.take_run(1).map(|(page, _)| page))
                })
                .collect();
            assert!(q.push(0x1000));
            assert!(q.push(0x2000));
            assert!(!q.push(0x3000), "a full queue refuses");
            let mut got: Vec<usize> = consumers
                .into_iter()
                .filter_map(|c| c.join().unwrap())
                .collect();
            while let Some((p, _)) = q.take_run(1) {
                got.push(p);
            }
            got.sort();
            assert_eq!(got, [0x1000, 0x2000]);
            assert_eq!(q.available(), 0);
        });
    }

    /// Two consumers taking runs while the producer publishes three
    /// contiguous pages: each page is taken once, every run is contiguous
    /// and no longer than asked.
    #[test]
    fn runs_are_taken_whole_and_once() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let q = Arc::new(Buffers::new(3).unwrap());
            let consumers: Vec<_> = (0..2)
                .map(|_| {
                    let q = q.clone();
                    loom::thread::spawn(move || q.take_run(2))
                })
                .collect();
            for k in 1..=3 {
                assert!(q.push(k * PAGE));
            }
            let mut got = Vec::new();
            for run in consumers.into_iter().filter_map(|c| c.join().unwrap()) {
                assert!((1..=2).contains(&run.1), "{run:?}");
                got.extend((0..run.1).map(|k| run.0 + k * PAGE));
            }
            while let Some((first, n)) = q.take_run(3) {
                got.extend((0..n).map(|k| first + k * PAGE));
            }
            got.sort();
            assert_eq!(got, [PAGE, 2 * PAGE, 3 * PAGE]);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A run ends where the next page published is not the next page up.
    #[test]
    fn a_run_stops_at_a_gap() {
        let q = Buffers::new(8).unwrap();
        for page in [1, 2, 3, 5, 6, 4] {
            assert!(q.push(page * PAGE));
        }
        assert_eq!(q.take_run(2), Some((PAGE, 2)));
        assert_eq!(q.take_run(8), Some((3 * PAGE, 1)));
        assert_eq!(q.take_run(8), Some((5 * PAGE, 2)));
        assert_eq!(q.take_run(1), Some((4 * PAGE, 1)));
        assert_eq!(q.take_run(8), None);
    }
}
