//! The shared bump pointer of a sliding space.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A region `start..limit` handed out from the bottom by an atomic bump pointer.
#[derive(Debug)]
pub struct BumpRegion {
    start: usize,
    limit: usize,
    /// Claims end at or below this: the limit, or lower while the pages above
    /// are being given back to the kernel.
    ceiling: AtomicUsize,
    top: AtomicUsize,
}

impl BumpRegion {
    /// A region covering `range`, empty.
    pub fn new(range: Range<usize>) -> Self {
        BumpRegion {
            start: range.start,
            limit: range.end,
            ceiling: AtomicUsize::new(range.end),
            top: AtomicUsize::new(range.start),
        }
    }

    /// Claims `size` bytes, or `None` when fewer remain.
    pub fn claim(&self, size: usize) -> Option<usize> {
        let mut top = self.top.load(Ordering::Relaxed);
        loop {
            let ceiling = self.ceiling.load(Ordering::Acquire);
            let end = top.checked_add(size).filter(|&e| e <= ceiling)?;
            match self
                .top
                .compare_exchange_weak(top, end, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Some(top),
                Err(now) => top = now,
            }
        }
    }

    /// Claims `size` bytes at an address `addr` with `(addr + offset) % align
    /// == 0`, preceded by the gap it takes to get there (under `align`
    /// bytes, which the caller covers); returns the gap's start and `addr`,
    /// or `None` when too few bytes remain. `align` is a power of two.
    pub fn claim_aligned(
        &self,
        size: usize,
        align: usize,
        offset: usize,
    ) -> Option<(usize, usize)> {
        debug_assert!(align.is_power_of_two());
        let mut top = self.top.load(Ordering::Relaxed);
        loop {
            let addr = (top + offset).next_multiple_of(align) - offset;
            let ceiling = self.ceiling.load(Ordering::Acquire);
            let end = addr.checked_add(size).filter(|&e| e <= ceiling)?;
            match self
                .top
                .compare_exchange_weak(top, end, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Some((top, addr)),
                Err(now) => top = now,
            }
        }
    }

    /// Claims between `min` and `max` bytes (for a TLAB): as much as remains up to `max`.
    pub fn claim_up_to(&self, min: usize, max: usize) -> Option<Range<usize>> {
        let mut top = self.top.load(Ordering::Relaxed);
        loop {
            let end = top
                .saturating_add(max)
                .min(self.ceiling.load(Ordering::Acquire));
            if end.saturating_sub(top) < min {
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

    /// Lets no claim end above `at` (at least the top) until
    /// [`lift_ceiling`](Self::lift_ceiling): claims that would fail as if the
    /// region ended there.
    pub fn set_ceiling(&self, at: usize) {
        debug_assert!((self.top()..=self.limit).contains(&at));
        self.ceiling.store(at, Ordering::Release);
    }

    /// Lets claims reach the limit again. What the caller did before (give
    /// pages above the ceiling back, say) happens before any claim above it.
    pub fn lift_ceiling(&self) {
        self.ceiling.store(self.limit, Ordering::Release);
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
    fn claims_stop_at_the_ceiling_until_it_is_lifted() {
        let r = BumpRegion::new(0x10000..0x20000);
        r.claim(0x100).unwrap();
        r.set_ceiling(0x10200);
        assert_eq!(r.claim(0x100), Some(0x10100));
        assert_eq!(r.claim(8), None);
        assert_eq!(r.claim_up_to(8, 0x1000), None);
        r.lift_ceiling();
        assert_eq!(r.claim_up_to(8, 0x1000), Some(0x10200..0x11200));
    }

    #[test]
    fn an_aligned_claim_puts_its_address_plus_offset_on_the_alignment() {
        let r = BumpRegion::new(0x10000..0x20000);
        r.claim(0x18).unwrap();
        assert_eq!(r.claim_aligned(0x100, 0x1000, 8), Some((0x10018, 0x10ff8)));
        assert_eq!(r.claim(8), Some(0x110f8));
        // Already aligned: no gap.
        r.claim(0x1000 - 0x100 - 8).unwrap();
        assert_eq!(r.claim_aligned(0x10, 0x1000, 8), Some((0x11ff8, 0x11ff8)));
        assert_eq!(r.claim_aligned(0x10000, 0x1000, 8), None);
    }

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
