//! Buffer pages to build sliding pages in: shadow pages that hold no live
//! data (found by a scan of the live bitmap) or whose objects are all in
//! place already (recycled). The compaction thread alone publishes them; any
//! thread, in a SIGBUS handler too, takes one with a compare-and-swap: no lock,
//! so it is async-signal-safe.

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

    /// Takes a page, if one is published and not taken.
    pub(crate) fn take(&self) -> Option<usize> {
        let mut t = self.taken.load(Ordering::Relaxed);
        loop {
            if t >= self.published.load(Ordering::Acquire) {
                return None;
            }
            match self
                .taken
                .compare_exchange_weak(t, t + 1, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Some(self.slots[t].load(Ordering::Relaxed)),
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
                    loom::thread::spawn(move || q.take())
                })
                .collect();
            assert!(q.push(0x1000));
            assert!(q.push(0x2000));
            assert!(!q.push(0x3000), "a full queue refuses");
            let mut got: Vec<usize> = consumers
                .into_iter()
                .filter_map(|c| c.join().unwrap())
                .collect();
            while let Some(p) = q.take() {
                got.push(p);
            }
            got.sort();
            assert_eq!(got, [0x1000, 0x2000]);
            assert_eq!(q.available(), 0);
        });
    }
}
