//! The heap's address space: one reservation holding the moving space and the
//! large-object space, with the side metadata that covers them.

use std::ops::Range;
use std::sync::Arc;

use allocator::{BumpRegion, LargeObjects};
use gc_uffd::Reservation;

use crate::bitmap::Bitmap;
use crate::object::WORD;
use crate::types::TypeTable;

/// The reservation is aligned to this, so that a shadow at the same alignment
/// can be remapped by moving whole upper page-table entries (docs/kernel-layer.md).
pub const HEAP_ALIGN: usize = 1 << 30;

/// Bytes per chunk of the live-words bitmap: one bitmap word, 64 heap words.
pub const CHUNK: usize = 64 * WORD;

/// The spaces and their metadata.
#[derive(Debug)]
pub struct Spaces {
    reservation: Arc<Reservation>,
    moving: BumpRegion,
    large: LargeObjects,
    mark: Bitmap,
    live: Bitmap,
    prefix: Reservation,
    types: Arc<TypeTable>,
    capacity: usize,
}

impl Spaces {
    /// Reserves a heap of `capacity` bytes: a moving space of that size and a
    /// large-object space of that size (address space only; the collector
    /// keeps their sum within `capacity`).
    pub fn new(capacity: usize, types: Arc<TypeTable>) -> gc_uffd::Result<Self> {
        let capacity = capacity.next_multiple_of(gc_uffd::page_size());
        let size = (2 * capacity).next_multiple_of(HEAP_ALIGN);
        let reservation = Arc::new(Reservation::new(size, HEAP_ALIGN)?);
        reservation.disable_huge_pages()?;
        reservation.exclude_from_fork()?;
        let start = reservation.start();
        let moving_range = start..start + capacity;
        let large_range = start + capacity..start + 2 * capacity;
        let chunks = capacity / CHUNK;
        let page = gc_uffd::page_size();
        let prefix = Reservation::new((chunks * 4).next_multiple_of(page).max(page), page)?;
        Ok(Spaces {
            mark: Bitmap::new(start..large_range.end)?,
            live: Bitmap::new(moving_range.clone())?,
            moving: BumpRegion::new(moving_range),
            large: LargeObjects::new(reservation.clone(), large_range),
            reservation,
            prefix,
            types,
            capacity,
        })
    }

    /// The heap's byte budget.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The reservation holding both spaces.
    pub fn reservation(&self) -> &Arc<Reservation> {
        &self.reservation
    }

    /// The moving space's bump region.
    pub fn moving(&self) -> &BumpRegion {
        &self.moving
    }

    /// The large-object space.
    pub fn large(&self) -> &LargeObjects {
        &self.large
    }

    /// The type table.
    pub fn types(&self) -> &Arc<TypeTable> {
        &self.types
    }

    /// The mark bitmap: one bit per object start, over both spaces.
    pub fn mark_bitmap(&self) -> &Bitmap {
        &self.mark
    }

    /// The live-words bitmap: one bit per word of each live object, moving space only.
    pub fn live_bitmap(&self) -> &Bitmap {
        &self.live
    }

    /// Whether `addr` lies in the allocated part of the moving space.
    #[inline(always)]
    pub fn in_moving(&self, addr: usize) -> bool {
        addr >= self.moving.start() && addr < self.moving.top()
    }

    /// Whether `addr` lies in either space's range (allocated or not).
    #[inline(always)]
    pub fn in_heap(&self, addr: usize) -> bool {
        addr >= self.moving.start() && addr < self.large.range().end
    }

    /// Whether `addr` lies in the large-object space's range.
    #[inline(always)]
    pub fn in_large(&self, addr: usize) -> bool {
        self.large.range().contains(&addr)
    }

    /// Bytes allocated in both spaces (large objects by whole pages).
    pub fn used(&self) -> usize {
        self.moving.used() + self.large.committed()
    }

    /// Clears the mark and live bitmaps up to the moving space's top and over
    /// the large-object space, ready for marking.
    pub fn clear_marks(&self) {
        self.mark.clear_upto(self.large.range().end);
        self.live
            .clear_upto(self.moving.top().max(self.moving.start() + WORD));
    }

    /// Marks the object at `addr` of `size` bytes; returns whether it was
    /// unmarked. Marking a moving object also sets its live words.
    #[inline]
    pub fn mark(&self, addr: usize, size: usize) -> bool {
        if self.mark.set(addr) {
            return false;
        }
        if addr < self.large.range().start {
            self.live.set_range(addr..addr + size);
        }
        true
    }

    /// Whether the object at `addr` is marked.
    #[inline]
    pub fn is_marked(&self, addr: usize) -> bool {
        self.mark.is_set(addr)
    }

    #[inline(always)]
    fn prefix_slot(&self, chunk: usize) -> *mut u32 {
        debug_assert!(chunk * 4 < self.prefix.size());
        // SAFETY: in bounds: one u32 per chunk of the moving space.
        unsafe { self.prefix.as_ptr().cast::<u32>().add(chunk) }
    }

    /// Computes the compaction plan from the live-words bitmap after marking:
    /// live words before each chunk (prefix sums), hence every live object's
    /// post-compact address.
    pub fn plan(&self) -> Plan<'_> {
        let start = self.moving.start();
        let old_top = self.moving.top();
        let chunks = self.live.words_upto(old_top.max(start + WORD));
        let mut words = 0u32;
        for c in 0..chunks {
            // SAFETY: the prefix array has a slot per chunk and only the collector,
            // stopped-the-world, writes it.
            unsafe { self.prefix_slot(c).write(words) };
            words += self.live.raw_word(c).count_ones();
        }
        Plan {
            spaces: self,
            old_top,
            new_top: start + words as usize * WORD,
            chunks,
        }
    }
}

/// Where every live object of the moving space goes: `forward(old)`.
#[derive(Debug)]
pub struct Plan<'a> {
    spaces: &'a Spaces,
    old_top: usize,
    new_top: usize,
    chunks: usize,
}

impl Plan<'_> {
    /// The moving space's top before compaction.
    pub fn old_top(&self) -> usize {
        self.old_top
    }

    /// The top after compaction: the end of the live data.
    pub fn new_top(&self) -> usize {
        self.new_top
    }

    /// Live bytes in the moving space.
    pub fn live_bytes(&self) -> usize {
        self.new_top - self.spaces.moving.start()
    }

    #[inline(always)]
    fn prefix(&self, chunk: usize) -> usize {
        // SAFETY: written by `Spaces::plan` for every chunk below `self.chunks`.
        unsafe { self.spaces.prefix_slot(chunk).read() as usize }
    }

    /// The post-compact address of the live object at `addr` (unchanged
    /// outside the moving space): space start + live words before its chunk +
    /// live words before it in its chunk. No forwarding word is read.
    #[inline]
    pub fn forward(&self, addr: usize) -> usize {
        let start = self.spaces.moving.start();
        if addr < start || addr >= self.old_top {
            return addr;
        }
        let w = (addr - start) / WORD;
        let (c, bit) = (w / 64, w % 64);
        let before = self.spaces.live.raw_word(c) & ((1u64 << bit) - 1);
        start + (self.prefix(c) + before.count_ones() as usize) * WORD
    }

    /// The old address of the first live object whose post-compact copy
    /// overlaps the to-space page starting at `page_start`, or `None` past the
    /// end of the live data. Derived from the bitmaps alone: find the live word
    /// of that rank, then the object start at or before it.
    pub fn first_object(&self, page_start: usize) -> Option<usize> {
        let start = self.spaces.moving.start();
        if page_start >= self.new_top {
            return None;
        }
        let rank = (page_start - start) / WORD;
        // The last chunk whose prefix is <= rank.
        let (mut lo, mut hi) = (0, self.chunks);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if self.prefix(mid) <= rank {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let mut bits = self.spaces.live.raw_word(lo);
        for _ in 0..rank - self.prefix(lo) {
            bits &= bits - 1;
        }
        let word = start + (lo * 64 + bits.trailing_zeros() as usize) * WORD;
        self.spaces.mark.prev_set(word, start)
    }

    /// The next live object at or after `from`, below the old top.
    #[inline]
    pub fn next_live(&self, from: usize) -> Option<usize> {
        self.spaces.mark.next_set(from, self.old_top)
    }

    /// The address range the moving space's live data occupies after compaction.
    pub fn to_space(&self) -> Range<usize> {
        self.spaces.moving.start()..self.new_top
    }
}
