//! Buffer pages to build sliding pages in: shadow pages that hold no live
//! data (found by a scan of the live bitmap) or whose objects are all in
//! place already (recycled). One thread at a time publishes them (the
//! compaction thread, or an assist holding the producer's lock); any
//! thread, in a SIGBUS handler too, takes a stretch of them with a
//! compare-and-swap: no lock, so it is async-signal-safe.
//!
//! A page is published once in a compaction, however often it is offered:
//! the compaction's two recycling frontiers meet and offer some pages both,
//! and a page taken twice was built in by one thread while another zeroed it
//! or moved it away, the build's last references landing on a fresh page
//! (a heap walk's test found objects with only their references left).

use std::ops::Range;

use super::PAGE;
use crate::sync::{AtomicU64, AtomicUsize, Ordering, Zeroed};

/// A single-producer, multi-consumer queue of page addresses, each published
/// at most once and taken at most once.
pub(crate) struct Buffers {
    /// The pages that may be published.
    range: Range<usize>,
    /// One bit per page of `range`: published already.
    offered: Zeroed<AtomicU64>,
    slots: Zeroed<AtomicUsize>,
    published: AtomicUsize,
    taken: AtomicUsize,
}

/// The tables behind a [`Buffers`] queue, zero throughout, with room for
/// some number of pages: kept from one compaction to the next, as
/// [`StateTables`](super::pages::StateTables) are.
pub(crate) struct BufferTables {
    offered: Zeroed<AtomicU64>,
    slots: Zeroed<AtomicUsize>,
}

impl BufferTables {
    /// Tables with room for `pages` pages.
    pub(crate) fn new(pages: usize) -> gc_uffd::Result<Self> {
        Ok(BufferTables {
            offered: Zeroed::new(pages.div_ceil(64))?,
            slots: Zeroed::new(pages)?,
        })
    }

    /// The pages they have room for.
    fn room(&self) -> usize {
        self.slots.len().min(self.offered.len() * 64)
    }
}

impl Buffers {
    /// A queue for the pages of `range` (page-aligned), each at most once.
    #[cfg(test)]
    pub(crate) fn new(range: Range<usize>) -> gc_uffd::Result<Self> {
        Self::reusing(None, range)
    }

    /// A queue for the pages of `range`, in `tables` if they have room for
    /// them (else in new ones).
    pub(crate) fn reusing(
        tables: Option<BufferTables>,
        range: Range<usize>,
    ) -> gc_uffd::Result<Self> {
        let pages = range.len() / PAGE;
        let BufferTables {
            mut offered,
            mut slots,
        } = match tables {
            Some(t) if t.room() >= pages => t,
            _ => BufferTables::new(pages)?,
        };
        offered.truncate(pages.div_ceil(64));
        slots.truncate(pages);
        Ok(Buffers {
            range,
            offered,
            slots,
            published: AtomicUsize::new(0),
            taken: AtomicUsize::new(0),
        })
    }

    /// Takes the tables, zeroed where they were written, for another
    /// compaction; leaves none.
    pub(crate) fn take_tables(&mut self) -> BufferTables {
        let words = self.offered.len();
        let published = self.published.load(Ordering::Relaxed);
        let mut offered = std::mem::take(&mut self.offered);
        let mut slots = std::mem::take(&mut self.slots);
        offered.clear(words);
        slots.clear(published);
        self.published.store(0, Ordering::Relaxed);
        self.taken.store(0, Ordering::Relaxed);
        BufferTables { offered, slots }
    }

    /// Publishes `page`; false if it was published before, or lies outside
    /// the queue's range. The producer only.
    ///
    /// Release: a consumer that takes the page also sees everything the
    /// producer saw when deciding it was free (the builders that read it done).
    pub(crate) fn push(&self, page: usize) -> bool {
        if !self.range.contains(&page) {
            return false;
        }
        let k = (page - self.range.start) / PAGE;
        let bit = 1u64 << (k % 64);
        // Only the producer reads and sets the bits, one thread at a time.
        if self.offered[k / 64].fetch_or(bit, Ordering::Relaxed) & bit != 0 {
            return false;
        }
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

    /// Whether the next `n` pages to be taken are published and each a page
    /// above the one before, so that one [`take_run`](Self::take_run) would
    /// get them all (a snapshot: other threads may take them first).
    pub(crate) fn run_ahead(&self, n: usize) -> bool {
        let t = self.taken.load(Ordering::Relaxed);
        let published = self.published.load(Ordering::Acquire);
        if n == 0 || t.saturating_add(n) > published {
            return n == 0;
        }
        let first = self.slots[t].load(Ordering::Relaxed);
        (1..n).all(|k| self.slots[t + k].load(Ordering::Relaxed) == first + k * PAGE)
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
            let q = Arc::new(Buffers::new(PAGE..3 * PAGE).unwrap());
            let consumers: Vec<_> = (0..2)
                .map(|_| {
                    let q = q.clone();
                    loom::thread::spawn(move || q.take_run(1).map(|(page, _)| page))
                })
                .collect();
            assert!(q.push(PAGE));
            assert!(q.push(2 * PAGE));
            assert!(!q.push(3 * PAGE), "a page outside the range is refused");
            let mut got: Vec<usize> = consumers
                .into_iter()
                .filter_map(|c| c.join().unwrap())
                .collect();
            while let Some((p, _)) = q.take_run(1) {
                got.push(p);
            }
            got.sort();
            assert_eq!(got, [PAGE, 2 * PAGE]);
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
            let q = Arc::new(Buffers::new(PAGE..4 * PAGE).unwrap());
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

    /// A queue in a finished queue's tables starts empty, publishes the
    /// pages the last one did, and refuses no page of its range; tables
    /// without room for a range give way to new ones.
    #[test]
    fn reused_tables_start_an_empty_queue() {
        let mut q =
            Buffers::reusing(Some(BufferTables::new(200).unwrap()), PAGE..9 * PAGE).unwrap();
        for page in 1..9 {
            assert!(q.push(page * PAGE));
        }
        assert_eq!(q.take_run(3), Some((PAGE, 3)));
        let mut q = Buffers::reusing(Some(q.take_tables()), 0..200 * PAGE).unwrap();
        assert_eq!(q.available(), 0);
        assert_eq!(q.take_run(8), None);
        assert!(!q.run_ahead(1));
        for page in (0..200).rev() {
            assert!(q.push(page * PAGE), "{page}");
        }
        assert!(!q.push(7 * PAGE), "published once in this queue too");
        assert_eq!(q.take_run(8), Some((199 * PAGE, 1)));
        assert_eq!(q.available(), 199);
        let q = Buffers::reusing(Some(q.take_tables()), 0..300 * PAGE).unwrap();
        assert!(q.push(299 * PAGE), "new tables where the old lack room");
    }

    /// A run ends where the next page published is not the next page up.
    #[test]
    fn a_run_stops_at_a_gap() {
        let q = Buffers::new(PAGE..9 * PAGE).unwrap();
        for page in [1, 2, 3, 5, 6, 4] {
            assert!(q.push(page * PAGE));
        }
        assert_eq!(q.take_run(2), Some((PAGE, 2)));
        assert_eq!(q.take_run(8), Some((3 * PAGE, 1)));
        assert_eq!(q.take_run(8), Some((5 * PAGE, 2)));
        assert_eq!(q.take_run(1), Some((4 * PAGE, 1)));
        assert_eq!(q.take_run(8), None);
    }

    /// A run ahead is the next pages to be taken, published, each a page
    /// above the one before: what one take would get.
    #[test]
    fn a_run_ahead_is_what_one_take_gets() {
        let q = Buffers::new(PAGE..9 * PAGE).unwrap();
        assert!(q.run_ahead(0));
        assert!(!q.run_ahead(1), "nothing published");
        for page in [1, 2, 3, 5, 6] {
            assert!(q.push(page * PAGE));
        }
        assert!(q.run_ahead(3));
        assert!(!q.run_ahead(4), "a gap after the third");
        assert_eq!(q.take_run(1), Some((PAGE, 1)));
        assert!(
            q.run_ahead(2) && !q.run_ahead(3),
            "from the next page to take"
        );
        assert_eq!(q.take_run(2), Some((2 * PAGE, 2)));
        assert!(q.run_ahead(2));
        assert!(!q.run_ahead(3), "more than are published");
    }

    /// A page offered again, before or after it was taken, is not published
    /// again; nor is one outside the range.
    #[test]
    fn a_page_is_published_once() {
        let q = Buffers::new(PAGE..5 * PAGE).unwrap();
        assert!(q.push(2 * PAGE));
        assert!(q.push(3 * PAGE));
        assert!(!q.push(2 * PAGE), "offered twice, before it was taken");
        assert_eq!(q.available(), 2);
        assert_eq!(q.take_run(1), Some((2 * PAGE, 1)));
        assert!(!q.push(2 * PAGE), "offered again, after it was taken");
        assert!(!q.push(5 * PAGE), "outside the range");
        assert!(!q.push(0), "outside the range");
        assert!(q.push(PAGE));
        assert_eq!(q.take_run(8), Some((3 * PAGE, 1)));
        assert_eq!(q.take_run(8), Some((PAGE, 1)));
        assert_eq!(q.take_run(8), None);
    }
}
