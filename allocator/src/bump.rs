//! The shared bump pointer of a sliding space.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A region `start..limit` handed out from the bottom by an atomic bump pointer.
#[derive(Debug)]
pub struct BumpRegion {
    start: usize,
    limit: usize,
    top: AtomicUsize,
}

impl BumpRegion {
    /// A region covering `range`, empty.
    pub fn new(range: Range<usize>) -> Self {
        BumpRegion {
            start: range.start,
            limit: range.end,
            top: AtomicUsize::new(range.start),
        }
    }

    /// Claims `size` bytes, or `None` when fewer remain.
    pub fn claim(&self, size: usize) -> Option<usize> {
        let mut top = self.top.load(Ordering::Relaxed);
        loop {
            let end = top.checked_add(size).filter(|&e| e <= self.limit)?;
            match self
                .top
                .compare_exchange_weak(top, end, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Some(top),
                Err(now) => top = now,
            }
        }
    }

    /// Claims between `min` and `max` bytes (for a TLAB): as much as remains up to `max`.
    pub fn claim_up_to(&self, min: usize, max: usize) -> Option<Range<usize>> {
        let mut top = self.top.load(Ordering::Relaxed);
        loop {
            let end = top.saturating_add(max).min(self.limit);
            if end - top < min {
                return None;
            }
            match self
                .top
                .compare_exchange_weak(top, end, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Some(top..end),
                Err(now) => top = now,
            }
        }
    }

    /// The first address.
    pub fn start(&self) -> usize {
        self.start
    }

    /// The end of the region.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The first unclaimed address.
    pub fn top(&self) -> usize {
        self.top.load(Ordering::Acquire)
    }

    /// Bytes claimed so far.
    pub fn used(&self) -> usize {
        self.top() - self.start
    }

    /// Moves the bump pointer to `top`, after compaction. Only while nothing claims.
    pub fn reset(&self, top: usize) {
        debug_assert!((self.start..=self.limit).contains(&top));
        self.top.store(top, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_disjoint_across_threads() {
        let r = std::sync::Arc::new(BumpRegion::new(0x10000..0x10000 + 8 * 1000));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let r = r.clone();
                std::thread::spawn(move || std::iter::from_fn(|| r.claim(8)).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<usize> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 1000);
        assert_eq!(r.claim_up_to(8, 64), None);
        r.reset(0x10000 + 8 * 990);
        assert_eq!(
            r.claim_up_to(8, 1024),
            Some(0x10000 + 8 * 990..0x10000 + 8 * 1000)
        );
    }
}
