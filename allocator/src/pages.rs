//! Runs of whole pages.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use gc_uffd::Reservation;

use crate::align_up;
use crate::lock::{Mutex, MutexGuard};

/// Hands out runs of pages from part of a reservation: first fit from the
/// lowest address, coalescing on free. Freed runs go back to the kernel at
/// once, so every run handed out reads as zero.
#[derive(Debug)]
pub struct PagePool {
    reservation: Arc<Reservation>,
    range: Range<usize>,
    state: Mutex<PoolState>,
}

/// A [`PagePool`]'s lock, held until dropped (from [`PagePool::lock`]).
#[must_use = "the lock is released when this is dropped"]
pub struct PoolLock<'a> {
    _held: MutexGuard<'a, PoolState>,
}

#[derive(Debug)]
struct PoolState {
    /// Free runs below the frontier: start → length in bytes.
    free: BTreeMap<usize, usize>,
    /// Everything from here to the end of the range has never been handed out.
    frontier: usize,
    in_use: usize,
}

impl PagePool {
    /// A pool over `range`, which must lie inside `reservation` and be page-aligned.
    pub fn new(reservation: Arc<Reservation>, range: Range<usize>) -> Self {
        debug_assert!(reservation.contains(range.start) || range.is_empty());
        PagePool {
            reservation,
            state: Mutex::new(PoolState {
                free: BTreeMap::new(),
                frontier: range.start,
                in_use: 0,
            }),
            range,
        }
    }

    /// The addresses the pool manages.
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// The part of the range ever handed out: runs lie below this address.
    pub fn extent(&self) -> usize {
        self.state.lock().frontier
    }

    /// Holds the pool's lock until the result is dropped: meanwhile no other
    /// thread allocates, frees or reads the pool. For a `fork`: a child has
    /// only the forking thread, so a lock another thread held at the fork
    /// would stay held in the child forever (see also `lock.rs`).
    pub fn lock(&self) -> PoolLock<'_> {
        PoolLock {
            _held: self.state.lock(),
        }
    }

    /// Bytes handed out and not yet freed.
    pub fn in_use(&self) -> usize {
        self.state.lock().in_use
    }

    /// The longest run [`alloc`](Self::alloc) could hand out now, in bytes.
    pub fn largest_free(&self) -> usize {
        let s = self.state.lock();
        let tail = self.range.end - s.frontier;
        s.free.values().copied().fold(tail, usize::max)
    }

    /// A zeroed run of at least `bytes` bytes (rounded up to whole pages), or
    /// `None` when no free run is large enough.
    pub fn alloc(&self, bytes: usize) -> Option<usize> {
        let len = align_up(bytes.max(1), gc_uffd::page_size());
        let mut s = self.state.lock();
        let fit = s
            .free
            .iter()
            .find(|&(_, &l)| l >= len)
            .map(|(&a, &l)| (a, l));
        let start = match fit {
            Some((start, run)) => {
                s.free.remove(&start);
                if run > len {
                    s.free.insert(start + len, run - len);
                }
                start
            }
            None => {
                let start = s.frontier;
                if self.range.end - start < len {
                    return None;
                }
                s.frontier += len;
                start
            }
        };
        s.in_use += len;
        Some(start)
    }

    /// Bytes in free runs below the extent: the holes an allocation may
    /// fill, which only moving blocks down can close.
    pub fn free_below_extent(&self) -> usize {
        self.state.lock().free.values().sum()
    }

    /// A free run of `bytes` bytes (whole pages) ending at or below `limit`,
    /// the lowest that fits, taken out of the free runs, for a block of
    /// that size moving there from `limit` or above. Its pages are not
    /// counted in use: the block's own are, and move. `None` if no hole
    /// below `limit` is large enough.
    pub fn reserve_below(&self, bytes: usize, limit: usize) -> Option<usize> {
        let len = align_up(bytes.max(1), gc_uffd::page_size());
        let mut s = self.state.lock();
        let (start, run) = s
            .free
            .range(..limit)
            .find(|&(&a, &l)| l >= len && a + len <= limit)
            .map(|(&a, &l)| (a, l))?;
        s.free.remove(&start);
        if run > len {
            s.free.insert(start + len, run - len);
        }
        Some(start)
    }

    /// Takes every free run lying wholly inside `range` out of the free runs,
    /// as [`reserve_below`](Self::reserve_below) does one; returns them as
    /// (start, bytes).
    pub fn reserve_within(&self, range: Range<usize>) -> Vec<(usize, usize)> {
        let mut s = self.state.lock();
        let inside: Vec<(usize, usize)> = s
            .free
            .range(range.clone())
            .filter(|&(&a, &l)| a + l <= range.end)
            .map(|(&a, &l)| (a, l))
            .collect();
        for (a, _) in &inside {
            s.free.remove(a);
        }
        inside
    }

    /// Returns a run that [`reserve_below`](Self::reserve_below) took, or
    /// the run a block moved out of, counted in use by neither.
    pub fn unreserve(&self, start: usize, bytes: usize) {
        let len = align_up(bytes.max(1), gc_uffd::page_size());
        self.give_back(start, len, 0);
    }

    /// Returns the run of `bytes` bytes at `start` (as given by [`alloc`](Self::alloc))
    /// and gives its memory back to the kernel.
    pub fn free(&self, start: usize, bytes: usize) {
        let len = align_up(bytes.max(1), gc_uffd::page_size());
        self.give_back(start, len, len);
    }

    fn give_back(&self, start: usize, len: usize, counted: usize) {
        // A range inside our own reservation cannot fail to decommit for a reason
        // the caller could act on; the pages are then merely not returned yet.
        let _ = self
            .reservation
            .decommit(start - self.reservation.start(), len);
        let mut s = self.state.lock();
        s.in_use -= counted;
        let (mut start, mut len) = (start, len);
        if let Some((&prev, &plen)) = s.free.range(..start).next_back()
            && prev + plen == start
        {
            s.free.remove(&prev);
            start = prev;
            len += plen;
        }
        if let Some(&next_len) = s.free.get(&(start + len)) {
            s.free.remove(&(start + len));
            len += next_len;
        }
        if start + len == s.frontier {
            s.frontier = start;
        } else {
            s.free.insert(start, len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_reused_coalesced_and_zeroed() {
        let page = gc_uffd::page_size();
        let r = Arc::new(Reservation::new(16 * page, page).unwrap());
        let pool = PagePool::new(r.clone(), r.range());
        let a = pool.alloc(page).unwrap();
        let b = pool.alloc(2 * page + 1).unwrap();
        let c = pool.alloc(page).unwrap();
        assert_eq!((b - a, c - b), (page, 3 * page));
        // SAFETY: `b` is a run of ours.
        unsafe { (b as *mut u64).write(7) };
        pool.free(a, page);
        pool.free(b, 3 * page);
        assert_eq!(pool.in_use(), page);
        assert_eq!(
            pool.largest_free(),
            11 * page,
            "the tail beyond the last run"
        );
        let d = pool.alloc(4 * page).unwrap();
        assert_eq!(d, a, "the two freed runs coalesced");
        // SAFETY: `b` lies inside the run `d`.
        let reused = unsafe { (b as *const u64).read() };
        assert_eq!(reused, 0, "freed memory comes back zeroed");
        assert_eq!(pool.alloc(12 * page), None, "only 11 pages remain");
        pool.free(c, page);
        pool.free(d, 4 * page);
        assert_eq!(
            pool.alloc(16 * page),
            Some(r.start()),
            "everything merged back"
        );
    }
}
