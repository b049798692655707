//! The heap's address space: one reservation holding the moving space and the
//! large-object space, with the side metadata that covers them.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use allocator::{BumpRegion, LargeObjects, Relink};
use gc_uffd::Reservation;

use crate::bitmap::{Bitmap, Summary};
use crate::cards::CardTable;
use crate::object::{Header, WORD};
use crate::targets::PageTargets;
use crate::types::{SlotKind, TypeTable};

mod relinks;
mod unread;
mod zero_line;
use unread::UnreadRuns;
pub use unread::{Padding, UnreadRun};
use zero_line::ZeroLine;

/// The reservation is aligned to this, so that a shadow at the same alignment
/// can be remapped by moving whole upper page-table entries (docs/kernel-layer.md).
pub const HEAP_ALIGN: usize = 1 << 30;

/// Bytes per chunk of the live-words bitmap: one bitmap word, 64 heap words.
pub const CHUNK: usize = 64 * WORD;

/// Chunks per block of the live-words bitmap's summary.
const BLOCK_CHUNKS: usize = Summary::WORDS;

/// The spaces and their metadata.
#[derive(Debug)]
pub struct Spaces {
    reservation: Arc<Reservation>,
    moving: BumpRegion,
    large: LargeObjects,
    mark: Bitmap,
    live: Bitmap,
    /// The start of every old object in the moving space, set where
    /// compaction places it: how a card's objects are found.
    starts: Bitmap,
    cards: CardTable,
    /// What each page's objects referenced when a full cycle marked them.
    targets: PageTargets,
    /// Moving-space objects from here up are young: allocated since the last
    /// cycle, or survivors of one young cycle. An object boundary.
    young_start: AtomicUsize,
    /// The blocks of the moving space where marking set live words: planning
    /// and clearing skip the others.
    blocks: Summary,
    /// Live words before each block, from the plan's base (for a block with
    /// none, where every address of it goes).
    block_prefix: Box<[AtomicU32]>,
    types: Arc<TypeTable>,
    capacity: usize,
    /// Moving-space memory from its line up reads as zero (never touched,
    /// zeroed ahead, or returned to the kernel); below it and above the top,
    /// it may hold garbage.
    zeroed_from: ZeroLine,
    /// Moving-space pages above the top and `zeroed_from` may be resident (and
    /// zero) up to here: pages a concurrent compaction placed for allocations.
    resident_end: AtomicUsize,
    /// The large objects the current cycle moves, by source address.
    relinks: Relinks,
    /// Reference-free objects of at least this many bytes are placed with
    /// their body on a page boundary, to move unread (`usize::MAX`: none).
    unread_min: AtomicUsize,
    /// One bit per page of the moving space: marking found a reference-free
    /// object of `unread_min` bytes or more whose header ends the page.
    unread_pages: Summary,
    /// The pages the current cycle moves unread.
    unread: UnreadRuns,
}

/// The large objects a cycle moves, sorted by source address: what
/// [`Plan::forward`] looks up for an address in the large space. Written by
/// the collecting thread alone, while no plan that reads it is in use
/// ([`Spaces::set_relinks`]); read by plans from [`Plan::relinking`] on.
#[derive(Debug, Default)]
struct Relinks(std::cell::UnsafeCell<relinks::RelinkTable>);

// SAFETY: written only under `Spaces::set_relinks`'s contract (no reader
// meanwhile); readers only read.
unsafe impl Sync for Relinks {}

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
        // Each chunk's prefix sum is the side word of its live-bitmap word:
        // forwarding reads both at random for every reference a page build
        // rewrites, one cache line instead of two (docs/concurrent-compaction.md,
        // "Page builds").
        let live = Bitmap::with_side_words(moving_range.clone())?;
        // With 4 KiB pages each of those reads also missed in the TLB, and on
        // a large heap those misses were most of the build. Only a hint:
        // without transparent huge pages the heap works as before.
        let _ = live.prefer_huge_pages();
        Ok(Spaces {
            mark: Bitmap::new(start..large_range.end)?,
            live,
            starts: Bitmap::new(moving_range.clone())?,
            targets: PageTargets::new(moving_range.clone()),
            cards: CardTable::new(start..large_range.end)?,
            young_start: AtomicUsize::new(start),
            blocks: Summary::new(chunks.div_ceil(BLOCK_CHUNKS)),
            block_prefix: (0..chunks.div_ceil(BLOCK_CHUNKS))
                .map(|_| AtomicU32::new(0))
                .collect(),
            moving: BumpRegion::new(moving_range),
            large: LargeObjects::new(reservation.clone(), large_range),
            zeroed_from: ZeroLine::new(start),
            resident_end: AtomicUsize::new(start),
            relinks: Relinks::default(),
            unread_min: AtomicUsize::new(usize::MAX),
            unread_pages: Summary::new(capacity / page),
            unread: UnreadRuns::default(),
            reservation,
            types,
            capacity,
        })
    }

    /// The heap's byte budget.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether a child forked from now on inherits the spaces and their side
    /// metadata. By default it does not (`MADV_DONTFORK`): the child has no
    /// heap, and the parent's pages stay its own, so `UFFDIO_MOVE` keeps
    /// working. Inherited, every page present at the fork is shared
    /// copy-on-write until written again.
    pub fn inherit_in_fork(&self, inherit: bool) -> gc_uffd::Result<()> {
        self.reservation.inherit_in_fork(inherit)?;
        self.mark.inherit_in_fork(inherit)?;
        self.starts.inherit_in_fork(inherit)?;
        self.cards.inherit_in_fork(inherit)?;
        self.live.inherit_in_fork(inherit)
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

    /// The old objects' starts in the moving space.
    pub fn starts(&self) -> &Bitmap {
        &self.starts
    }

    /// The card table.
    pub fn cards(&self) -> &CardTable {
        &self.cards
    }

    /// What each page's objects referenced when a full cycle marked them.
    pub fn targets(&self) -> &PageTargets {
        &self.targets
    }

    /// Where the moving space's young objects begin: every object below is
    /// old.
    #[inline(always)]
    pub fn young_start(&self) -> usize {
        self.young_start.load(Ordering::Relaxed)
    }

    /// Where the young start is kept, for generated code's write barrier to
    /// load (it changes only while no mutator runs).
    pub fn young_start_ptr(&self) -> *const usize {
        self.young_start.as_ptr()
    }

    /// Promotes everything below `at` (an object boundary). Only while no
    /// mutator runs.
    pub fn set_young_start(&self, at: usize) {
        self.young_start.store(at, Ordering::Relaxed);
    }

    /// The write barrier's remembered-set test, after storing `value` in the
    /// slot at `slot`: a value that may be a young object (young moving
    /// objects lie above every old one, and every large object above those),
    /// stored outside the young range, dirties the slot's card. Returns the
    /// card to log if it was clean. Non-reference values that look young
    /// dirty a card needlessly, which costs a scan, not correctness.
    #[inline(always)]
    pub fn remember(&self, slot: usize, value: usize) -> Option<usize> {
        let young = self.young_start();
        if value < young || (slot >= young && slot < self.large.range().start) {
            return None;
        }
        self.remember_slow(slot)
    }

    #[cold]
    fn remember_slow(&self, slot: usize) -> Option<usize> {
        self.cards.dirty(slot)
    }

    /// Calls `f` with every reference slot (address and kind) of an old
    /// object that lies in `card`: in the moving space below the young
    /// start, objects found from the starts bitmap; in the large-object
    /// space, the block holding the card if it is old. Young objects are
    /// traced and rewritten whole, so their cards are skipped.
    ///
    /// # Safety
    /// The old objects' headers must be intact (no compaction in progress
    /// below the young start) and the starts bitmap current.
    pub unsafe fn for_each_card_slot(&self, card: usize, f: impl FnMut(usize, SlotKind)) {
        // SAFETY: as the caller guarantees; the headers are where the objects are.
        unsafe {
            self.for_each_card_slot_reading(card, |at| (at as *const u64).read(), f);
        }
    }

    /// As [`for_each_card_slot`](Self::for_each_card_slot), reading the
    /// header of the old object at `at` with `header_at(at)`: a concurrent
    /// compaction reads old objects from its shadow mapping.
    ///
    /// # Safety
    /// `header_at` must return the old objects' headers; the starts bitmap
    /// must be current.
    pub unsafe fn for_each_card_slot_reading(
        &self,
        card: usize,
        header_at: impl Fn(usize) -> u64,
        mut f: impl FnMut(usize, SlotKind),
    ) {
        let range = self.cards.range(card);
        let (objects_from, end) = if range.start < self.large.range().start {
            let end = range.end.min(self.young_start());
            if range.start >= end {
                return;
            }
            match self.starts.prev_set(range.start, self.moving.start()) {
                Some(first) => (first, end),
                None => return,
            }
        } else {
            match self.large.block_containing(range.start) {
                Some((start, size, false)) => (start, range.end.min(start + size)),
                _ => return,
            }
        };
        let mut at = objects_from;
        while at < end {
            let header = crate::object::Header(header_at(at));
            let Some(size) = self.types.size_of(header).filter(|&s| s > 0) else {
                debug_assert!(false, "no object at {at:#x}: header {:#x}", header.0);
                return;
            };
            let from = range.start.max(at) - at;
            let to = (end.min(at + size)).max(at) - at;
            if to > from {
                self.types
                    .for_each_slot_in(header, from, to, |offset, kind| f(at + offset, kind));
            }
            at += size;
        }
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

    /// Claims `size` zeroed bytes of the moving space. `place` is called with
    /// the claim before it is zeroed: a concurrent compaction places there
    /// the pages it left missing, which zeroing would otherwise fault on.
    pub fn claim(&self, size: usize, place: impl FnOnce(Range<usize>)) -> Option<usize> {
        let addr = self.moving.claim(size)?;
        place(addr..addr + size);
        self.zero(addr..addr + size);
        Some(addr)
    }

    /// Claims between `min` and `max` zeroed bytes of the moving space, for a
    /// TLAB, calling `place` first as [`claim`](Self::claim) does.
    pub fn claim_tlab(
        &self,
        min: usize,
        max: usize,
        place: impl FnOnce(Range<usize>),
    ) -> Option<Range<usize>> {
        let range = self.moving.claim_up_to(min, max)?;
        place(range.clone());
        self.zero(range.clone());
        Some(range)
    }

    /// Zeroes the part of a fresh claim that lies below the zero line.
    fn zero(&self, range: Range<usize>) {
        let dirty = self.zeroed_from.dirty_part(range);
        if !dirty.is_empty() {
            // SAFETY: the range was just claimed by the caller alone, in the
            // mapped moving space, and no zeroing ahead overlaps it.
            unsafe { std::ptr::write_bytes(dirty.start as *mut u8, 0, dirty.len()) };
        }
    }

    /// Zeroes up to `chunk` bytes of the garbage kept above the top, from
    /// the zero line down to no closer than `margin` above the top, so that
    /// claims there need not; returns the bytes zeroed (0: none left, or a
    /// claim came near). Claims meanwhile are safe: see `zero_line`.
    ///
    /// # Safety
    /// One thread at a time, between cycles: not while a cycle moves the
    /// top or the zero line, or a compaction takes the pages above the top.
    pub unsafe fn zero_ahead(&self, chunk: usize, margin: usize) -> usize {
        // The pages stay resident: whatever gives back or takes what lies
        // above the top must still cover them.
        self.resident_end
            .fetch_max(self.zeroed_from.get(), Ordering::Relaxed);
        self.zeroed_from.lower(
            chunk,
            margin,
            || self.moving.top(),
            |range| {
                // SAFETY: below the line and above the top, so mapped (the
                // caller excludes a compaction) and no claim's: the line
                // keeps claims out while this runs.
                unsafe { std::ptr::write_bytes(range.start as *mut u8, 0, range.len()) }
            },
        )
    }

    /// After compaction: the moving space now ends at `new_top`. The pages
    /// from there up to `keep` bytes above it stay resident for the allocations
    /// to come, zeroed ahead of them or by their claims (a memset costs far
    /// less than faulting in a fresh page); every dirty page above that goes
    /// back to the kernel, with [`release`](Self::release), after the pause:
    /// until then no claim reaches them. With `keep` 0, the resident set
    /// falls to the live data.
    ///
    /// Only while no mutator allocates.
    pub fn finish_compaction(&self, new_top: usize, keep: usize) -> Option<Release> {
        let dirty_end = self.dirty_end();
        // Garbage now: what was allocated, and what lay below the zero line
        // above the top. Memory above both still reads as zero, though it may
        // be resident.
        let garbage_end = self.moving.top().max(self.zeroed_from.get());
        self.resident_end.store(dirty_end, Ordering::Relaxed);
        self.moving.reset(new_top);
        self.zeroed_from.set(garbage_end);
        let page = gc_uffd::page_size();
        let release_from = new_top.saturating_add(keep).next_multiple_of(page);
        if release_from >= dirty_end {
            return None;
        }
        let dirty_kept = release_from.min(garbage_end);
        let zeroed_from = if keep == 0 && dirty_kept > new_top {
            // SAFETY: the bytes between the new top and the page boundary are
            // garbage now, in the mapped moving space.
            unsafe { std::ptr::write_bytes(new_top as *mut u8, 0, dirty_kept - new_top) };
            new_top
        } else {
            dirty_kept
        };
        self.moving.set_ceiling(release_from);
        Some(Release {
            range: release_from..dirty_end.next_multiple_of(page),
            zeroed_from,
        })
    }

    /// Gives back the pages [`finish_compaction`](Self::finish_compaction)
    /// set aside, while mutators allocate below them, and lets claims reach
    /// the space's end again. Blocking allocations meanwhile costs less than
    /// the pause would: releasing 250 MB takes 10–20 ms.
    pub fn release(&self, release: Release) {
        let range = release.range;
        // Decommitting our own page-aligned range cannot fail for a reason to act
        // on; if it did, the pages would stay resident, and are zeroed on reuse.
        if self
            .reservation
            .decommit(range.start - self.reservation.start(), range.len())
            .is_ok()
        {
            // Everything from the zeroed line up reads as zero now; below it
            // (down to the new top) the pages kept are dirty, and none is
            // resident from the range given back up.
            self.zeroed_from.set(release.zeroed_from);
            self.resident_end.store(range.start, Ordering::Relaxed);
        }
        self.moving.lift_ceiling();
    }

    /// For concurrent compaction, at the pause: the moving space now ends at
    /// `new_top`. The pages above it that the caller left mapped, up to
    /// `mapped_end`, hold garbage that claims must zero; every page above
    /// that reads as zero (missing, placed zeroed when claimed).
    ///
    /// Only while no mutator allocates.
    pub fn begin_concurrent_compaction(&self, new_top: usize, mapped_end: usize) {
        // What was allocated, and what lay below the zero line, is garbage;
        // what lay above both still reads as zero.
        let garbage_end = self.moving.top().max(self.zeroed_from.get());
        self.moving.reset(new_top);
        let mapped_end = mapped_end.max(new_top);
        self.zeroed_from
            .set(mapped_end.min(garbage_end).max(new_top));
        self.resident_end.store(mapped_end, Ordering::Relaxed);
    }

    /// The end of the moving space's pages that may be resident: allocated,
    /// dirty and kept for allocations to come, or placed zeroed for them.
    pub fn dirty_end(&self) -> usize {
        self.moving
            .top()
            .max(self.zeroed_from.get())
            .max(self.resident_end.load(Ordering::Relaxed))
    }

    /// Notes that zeroed pages were placed in the moving space up to `end`
    /// (above the top), so the next compaction or release covers them.
    pub fn note_resident(&self, end: usize) {
        self.resident_end.fetch_max(end, Ordering::Relaxed);
    }

    /// Bytes allocated in both spaces (large objects by whole pages).
    pub fn used(&self) -> usize {
        self.moving.used() + self.large.committed()
    }

    /// Clears the mark and live bitmaps over `range` of the moving space
    /// (what a cycle marked: from its plan's base to the highest top since),
    /// ready for the next marking: below `black` the blocks where marking set
    /// live words, from `black` up (objects allocated during the cycle, marked
    /// as allocated) everything. Large objects' marks stay: survivors are
    /// old, and a young cycle takes them as live.
    pub fn clear_marks(&self, range: Range<usize>, black: usize) {
        let start = self.moving.start();
        let black = black.clamp(range.start, range.end);
        let block = BLOCK_CHUNKS * CHUNK;
        let blocks = (range.start - start) / block..(black - start).div_ceil(block);
        // The last block may reach past the moving space, into the large
        // space's marks, which stay.
        let space_end = self.moving.limit();
        self.blocks.take(blocks, |b| {
            let at = start + b * block;
            let end = (at + block).min(space_end);
            self.mark.clear(at..end);
            self.live.clear(at..end);
        });
        self.mark.clear(black..range.end);
        self.live.clear(black..range.end);
    }

    /// Makes resident the side tables' pages for `range` of the moving
    /// space that a cycle marking, planning and compacting it writes (mark,
    /// live bitmap with the chunks' prefix sums, starts bitmap), so that its
    /// pauses do not fault them in (each bitmap asks only for what it has
    /// not made resident before): in binary-trees 21, the first touches of
    /// the live bitmap and the prefix sums (huge pages, zeroed 2 MiB at a
    /// time, each time the heap had grown past what they covered) took
    /// 0.25–10 ms of pauses.
    pub fn prepare_marking(&self, range: Range<usize>) -> gc_uffd::Result<()> {
        let start = self.moving.start();
        let range = range.start.max(start)..range.end.min(self.moving.limit());
        if range.is_empty() {
            return Ok(());
        }
        self.mark.commit(range.clone())?;
        self.live.commit(range.clone())?;
        self.starts.commit(range)
    }

    /// Sets the large objects the cycle moves (sorted by source, ranges
    /// disjoint), for the plans [`Plan::relinking`] makes from now on to
    /// forward; an empty list when none moves.
    ///
    /// # Safety
    /// No plan from [`Plan::relinking`] (nor its parts) may be in use: the
    /// collecting thread sets this between its compactions, and before the
    /// plan that forwards through it is made.
    pub unsafe fn set_relinks(&self, relinks: Vec<Relink>) {
        debug_assert!(
            relinks
                .windows(2)
                .all(|w| w[0].from + w[0].size <= w[1].from)
        );
        // SAFETY: no reader, as the caller guarantees.
        unsafe { *self.relinks.0.get() = relinks::RelinkTable::new(relinks) };
    }

    /// The large objects the cycle moves, as set by [`set_relinks`](Self::set_relinks).
    pub fn relinks(&self) -> &[Relink] {
        self.relink_table().all()
    }

    fn relink_table(&self) -> &relinks::RelinkTable {
        // SAFETY: only `set_relinks` writes it, while nothing reads it.
        unsafe { &*self.relinks.0.get() }
    }

    /// After the compaction pause moved a large block in the table
    /// ([`LargeObjects::relink`]): its mark moves with it, so that the
    /// next young cycle finds it live at its new start and a block
    /// allocated at its old one is not taken for marked.
    pub fn move_large_mark(&self, relink: &Relink) {
        self.mark.clear_exact(relink.from..relink.from + WORD);
        self.mark.set(relink.to);
    }

    /// Clears the large-object space's marks, for a full cycle's marking.
    pub fn clear_large_marks(&self) {
        self.mark
            .clear(self.large.range().start..self.large.extent());
    }

    /// Forgets the objects' starts in `range` of the moving space, which the
    /// compaction records anew; those on either side stay.
    pub fn clear_starts(&self, range: Range<usize>) {
        self.starts.clear_exact(range);
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
            let start = self.moving.start();
            let block = BLOCK_CHUNKS * CHUNK;
            self.blocks
                .note((addr - start) / block, (addr + size - 1 - start) / block);
        }
        true
    }

    /// Makes every word of `range` (in the moving space) live: each run of
    /// words no marked object holds becomes marked fillers. With nothing in
    /// `range` to reclaim, [`plan`](Self::plan) moves nothing below its end:
    /// this is how a pinned object stays where it is. No filler crosses a
    /// page boundary or `cut`, where a later walk may begin (the pinned
    /// pages' ends, the young start a young cycle sets). Returns the bytes
    /// filled. A scan of the live bitmap (one bit per word), no object read.
    ///
    /// # Safety
    /// Marking must be complete: the words of `range` no marked object holds
    /// belong to unreachable objects, which nothing reads or writes.
    pub unsafe fn fill_dead(&self, range: Range<usize>, cut: usize) -> usize {
        let page = gc_uffd::page_size();
        let mut at = range.start;
        let mut filled = 0;
        while let Some(gap) = self.live.next_clear(at, range.end) {
            let end = self.live.next_set(gap, range.end).unwrap_or(range.end);
            let mut from = gap;
            while from < end {
                let mut to = end.min((from + 1).next_multiple_of(page));
                if cut > from && cut < to {
                    to = cut;
                }
                // SAFETY: dead words, as the caller guarantees.
                unsafe { Header::write_filler(from, to) };
                self.mark(from, to - from);
                from = to;
            }
            filled += end - gap;
            at = end;
        }
        filled
    }

    /// The work of a cycle that moves nothing ([`Plan::in_place`]), after its
    /// pause while mutators run (or in it, stop-the-world): covers the dead
    /// words from the base to the black line with fillers, never across a
    /// page boundary or the promoted end (so that walks by headers, from
    /// either, meet no dead object's stale references), then records the
    /// starts of the objects below the promoted end, now old, and dirties the
    /// cards of their slots that reference young objects: what the page
    /// builder does in a cycle that moves. The caller logs those cards.
    /// Returns the dead bytes filled.
    ///
    /// # Safety
    /// `plan` is the in-place plan of the last marking, whose bits are intact;
    /// no other thread walks or collects the moving space meanwhile (mutators
    /// only allocate above the old top, and store to live objects' slots).
    pub unsafe fn settle_in_place(&self, plan: &Plan<'_>) -> usize {
        let (base, black, promoted_end) = (plan.base(), plan.black(), plan.promoted_end());
        // SAFETY: marking left the dead words between the base and the black
        // line unreachable: no mutator touches them.
        let filled = unsafe { self.fill_dead(base..black, promoted_end) };
        let mut at = base;
        let mut starts = self.starts.ascending();
        while at < promoted_end {
            starts.set(at);
            // SAFETY: from the base (an object boundary) every word up to the
            // old top is an object's, live, filler or allocated black.
            let header = Header(unsafe { (at as *const u64).read() });
            let Some(size) = self.types.size_of(header).filter(|&s| s > 0) else {
                debug_assert!(false, "no object at {at:#x}");
                break;
            };
            self.types.for_each_slot(header, |offset, kind| {
                // SAFETY: the slot lies inside this object; mutators store to
                // it atomically (the write barrier), so an atomic load does not race.
                let value = unsafe {
                    std::sync::atomic::AtomicUsize::from_ptr((at + offset) as *mut usize)
                        .load(Ordering::Relaxed)
                };
                plan.remember_placed(at + offset, value, kind);
            });
            at += size;
        }
        filled
    }

    /// The pages a pinned object at `obj` keeps where they are: from the
    /// last page boundary at or below it that no marked object (from `base`
    /// up) crosses, to the first past its end that none crosses, clamped to
    /// `black`'s page. No object crossing their ends, the compaction builds
    /// every other page without reading them (a concurrent one leaves them
    /// mapped, for a system call may be using them).
    ///
    /// # Safety
    /// Marking must be complete, and the marked objects' headers readable.
    pub unsafe fn pinned_pages(&self, obj: usize, base: usize, black: usize) -> Range<usize> {
        let page = gc_uffd::page_size();
        let limit = black.next_multiple_of(page);
        let size_at = |o: usize| {
            // SAFETY: a marked object's header, as the caller guarantees.
            let header = Header(unsafe { (o as *const u64).read() });
            self.types.size_of(header)
        };
        let mut from = obj / page * page;
        while from > base {
            match self.mark.prev_set(from - WORD, base) {
                Some(o) if o < from && o + size_at(o).unwrap_or(0) > from => from = o / page * page,
                _ => break,
            }
        }
        let mut end = (obj + size_at(obj).unwrap_or(WORD)).next_multiple_of(page);
        while end < limit {
            let crossing = self
                .mark
                .prev_set(end - WORD, base)
                .and_then(|o| Some(o + size_at(o)?))
                .filter(|&o_end| o_end > end);
            match crossing {
                Some(o_end) => end = o_end.next_multiple_of(page),
                None => break,
            }
        }
        from..end.min(limit)
    }

    /// Rewrites in place the references in `range` (page-aligned, below the
    /// plan's dense end, from the base's page up): the pages of pinned
    /// objects, which a concurrent compaction leaves mapped. Objects starting
    /// there are recorded as old objects', as the dense-prefix walk does.
    ///
    /// # Safety
    /// As for [`update_dense_prefix`](Self::update_dense_prefix), every
    /// mutator stopped, and no object crossing either end of `range` (from
    /// the base up).
    pub unsafe fn rewrite_in_place(&self, plan: &Plan<'_>, range: Range<usize>) {
        let base = plan.base();
        let from = range.start.max(base);
        let Some(mut at) = self.mark.prev_set(from, base) else {
            return;
        };
        // The range ends at a page boundary, the objects at the top: the words
        // between are no object's, and their page may not even be mapped.
        let end = range.end.min(plan.old_top());
        let mut starts = self.starts.ascending();
        while at < end {
            if at >= from {
                starts.set(at);
            }
            // SAFETY: `at` starts a marked object (or filler), which nothing moves.
            let header = Header(unsafe { (at as *const u64).read() });
            let Some(size) = self.types.size_of(header).filter(|&s| s > 0) else {
                debug_assert!(false, "no object at {at:#x}");
                return;
            };
            self.types
                .for_each_slot_in(header, from.max(at) - at, end - at, |offset, kind| {
                    // SAFETY: the slot lies inside this live object, and no
                    // mutator runs.
                    let value = unsafe { plan.rewrite_slot((at + offset) as *mut usize, kind) };
                    plan.remember_placed(at + offset, value, kind);
                });
            at += size;
        }
    }

    /// Asks the processor for the object at `addr` (in the moving or the
    /// large space) and for what marking it reads and sets: its header, and
    /// its words in the mark and live bitmaps, three lines that miss apart on
    /// a heap larger than the cache.
    #[inline(always)]
    pub fn prefetch_for_marking(&self, addr: usize) {
        prefetch(addr);
        self.mark.prefetch(addr);
        if self.in_moving(addr) {
            self.live.prefetch(addr);
        }
    }

    /// Whether the object at `addr` is marked.
    #[inline]
    pub fn is_marked(&self, addr: usize) -> bool {
        self.mark.is_set(addr)
    }

    /// Where chunk `chunk`'s prefix sum lies: beside its live-bitmap word.
    #[inline(always)]
    fn prefix_slot(&self, chunk: usize) -> *mut u32 {
        self.live.side_word(chunk)
    }

    /// Marks every object in `range` of the moving space, walking them by
    /// their headers: a range allocated black (live this cycle, whatever
    /// marking found). Only mark bits are set; a plan places such objects by
    /// their distance from its black line ([`Plan`]). Fillers are marked too,
    /// and keep the range walkable after it moves.
    ///
    /// # Safety
    /// `range` must hold objects with their headers written, end to end, that
    /// no one else is allocating in.
    pub unsafe fn mark_black(&self, range: Range<usize>) {
        let mut at = range.start;
        // Objects of one type and length come in runs: the same header word,
        // the same size, without the type table's lookup and layout match.
        let mut last: Option<(u64, usize)> = None;
        self.mark.set_ascending(std::iter::from_fn(|| {
            if at >= range.end {
                return None;
            }
            // SAFETY: as the caller guarantees, `at` starts an object.
            let header = crate::object::Header(unsafe { (at as *const u64).read() });
            let size = match last {
                Some((word, size)) if word == header.0 => size,
                _ => {
                    let Some(size) = self.types.size_of(header) else {
                        debug_assert!(false, "unknown type {} at {at:#x}", header.type_id());
                        return None;
                    };
                    last = Some((header.0, size));
                    size
                }
            };
            let object = at;
            at += size;
            Some(object)
        }));
    }

    /// Computes the compaction plan from the live-words bitmap after marking,
    /// for the moving space from `base` (an object boundary: the young start
    /// for a young cycle, where everything below stays as it is) to `black`:
    /// live words before each chunk (prefix sums), hence every live object's
    /// post-compact address.
    /// Everything from `black` up is live (allocated during the cycle, and
    /// marked with [`mark_black`](Self::mark_black)); it keeps its order and
    /// slides down as one block behind the rest, and [`Plan::with_top`] says
    /// where it ends. Planning reads no object, so it can run while mutators
    /// allocate above `black`.
    pub fn plan(&self, base: usize, black: usize) -> Plan<'_> {
        let start = self.moving.start();
        debug_assert!(base >= start && base <= black.max(start) && base % WORD == 0);
        let chunks = self.live.words_upto(black.max(start + WORD));
        let first = (base - start) / CHUNK;
        // Below the base every word stays where it is: counted as live
        // before the base's chunk's own live words, and as dense.
        let below_base = (1u64 << ((base - start) / WORD % 64)) - 1;
        let mut words = ((base - start) / WORD) as u32;
        let mut dense_end = None;
        let end = chunks.max(first);
        let mut c = first;
        while c < end {
            let block = c / BLOCK_CHUNKS;
            let block_end = ((block + 1) * BLOCK_CHUNKS).min(end);
            self.block_prefix[block].store(words, Ordering::Relaxed);
            // A block without live words needs no chunk's prefix: `forward`
            // and `first_object` look up its block's.
            if c != first && !self.blocks.is_noted(block) {
                dense_end = dense_end.or(Some(start + c * CHUNK));
                c = block_end;
                continue;
            }
            for c in c..block_end {
                // SAFETY: the live bitmap has a side word per chunk and only the
                // collector, one at a time, writes it.
                unsafe { self.prefix_slot(c).write(words) };
                let mut live = self.live.raw_word(c);
                words += live.count_ones();
                if c == first {
                    live |= below_base;
                }
                if dense_end.is_none() && live != !0 {
                    dense_end = Some(start + (c * 64 + live.trailing_ones() as usize) * WORD);
                }
            }
            c = block_end;
        }
        let marked_top = start + words as usize * WORD;
        Plan {
            spaces: self,
            p: PlanParts {
                base,
                promoted_end: usize::MAX,
                black,
                marked_top,
                old_top: black,
                new_top: marked_top,
                dense_end: dense_end.unwrap_or(marked_top).min(marked_top),
                chunks: chunks.max(first),
                relink_from: 0,
                relink_span: 0,
                unread_from: 0,
                unread_span: 0,
            },
        }
    }
}

/// Pages of the moving space a compaction in the pause set aside, for
/// [`Spaces::release`] to give back after it.
#[derive(Debug)]
#[must_use = "the pages set aside stay unclaimable until released"]
pub struct Release {
    range: Range<usize>,
    zeroed_from: usize,
}

/// Where every live object of the moving space goes: `forward(old)`.
#[derive(Clone, Copy, Debug)]
pub struct Plan<'a> {
    spaces: &'a Spaces,
    p: PlanParts,
}

/// A [`Plan`] without its borrow of the [`Spaces`], to keep across threads
/// while the metadata it was computed from stays untouched (until the next
/// marking).
#[derive(Clone, Copy, Debug)]
pub struct PlanParts {
    /// Nothing below this moves or is planned: the old generation in a young
    /// cycle, the space's start in a full one (or the end of the clean pages
    /// of its dense prefix it leaves mapped, [`Plan::keeping`]).
    base: usize,
    /// After compaction everything below this is old, everything from here up
    /// young ([`Plan::promoting_to`]; by default everything is old).
    promoted_end: usize,
    /// Objects from here up were allocated during the cycle: all live, they
    /// slide down as one block to `marked_top`.
    black: usize,
    /// Where the marked objects below `black` end after compaction.
    marked_top: usize,
    old_top: usize,
    new_top: usize,
    /// Below this every word is live, so nothing there moves.
    dense_end: usize,
    chunks: usize,
    /// The large space's addresses from here, for `relink_span` bytes, may
    /// lie in a block that moves ([`Plan::relinking`]); 0 bytes: none moves.
    relink_from: usize,
    relink_span: usize,
    /// The to-space pages from here, for `unread_span` bytes, may be moved
    /// unread ([`Plan::unreading`]); 0 bytes: none is.
    unread_from: usize,
    unread_span: usize,
}

impl Spaces {
    /// The plan `parts` came from, again.
    ///
    /// # Safety
    /// No marking or planning may have run on these spaces since `parts` was taken.
    pub unsafe fn plan_from(&self, parts: PlanParts) -> Plan<'_> {
        Plan {
            spaces: self,
            p: parts,
        }
    }

    /// Whether any word of the page at `page_start` (in the moving space) was
    /// live at the last marking: a page with none is a source of nothing.
    fn live_words_on_page(&self, page_start: usize) -> bool {
        let first = (page_start - self.moving.start()) / CHUNK;
        let chunks = gc_uffd::page_size() / CHUNK;
        (first..first + chunks).any(|c| self.live.raw_word(c) != 0)
    }
}

/// Asks the processor to bring the cache line holding `addr` into the cache:
/// a hint, which neither faults nor waits. On other architectures nothing is
/// issued (their hardware prefetchers and out-of-order windows are left alone).
#[inline(always)]
pub fn prefetch(addr: usize) {
    // SAFETY: SSE, which the intrinsic needs, is part of x86_64's baseline;
    // a prefetch reads nothing the program sees and never faults, whatever the address.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(addr as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}

/// The last index of `range` (not empty) whose `key`, non-decreasing over
/// it, is at most `rank`; the range's first if none is.
fn last_at_most(range: Range<usize>, rank: usize, key: impl Fn(usize) -> usize) -> usize {
    let (mut lo, mut hi) = (range.start, range.end);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if key(mid) <= rank {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Bytes of mark bitmap [`Plan::next_live`] scans before it looks up by rank.
const NEAR_GAP: usize = 8 * 64 * WORD;

impl Plan<'_> {
    /// The plan without its borrow, for [`Spaces::plan_from`].
    pub fn parts(&self) -> PlanParts {
        self.p
    }

    /// The plan extended over the objects allocated black up to `top`, the
    /// moving space's top at the compaction pause: they follow the marked
    /// objects in the same order.
    ///
    /// # Safety
    /// Every object from the black line to `top` must be marked
    /// ([`Spaces::mark_black`]).
    pub unsafe fn with_top(self, top: usize) -> Self {
        debug_assert!(top >= self.p.black);
        let p = self.p;
        let new_top = p.marked_top + (top - p.black);
        Plan {
            p: PlanParts {
                old_top: top,
                new_top,
                // With no garbage below the black line nothing moves at all.
                dense_end: if p.dense_end == p.marked_top && p.marked_top == p.black {
                    new_top
                } else {
                    p.dense_end
                },
                ..p
            },
            ..self
        }
    }

    /// The first address planned: nothing below it moves, and compaction
    /// leaves the pages below its page alone.
    pub fn base(&self) -> usize {
        self.p.base
    }

    /// The first page compaction builds: the base's.
    pub fn base_page(&self) -> usize {
        self.p.base / gc_uffd::page_size() * gc_uffd::page_size()
    }

    /// The plan with its base raised to `base`, an object's start in the
    /// dense prefix: the pages below `base`'s are left as they are, and its
    /// page's bytes below it are copied as they are. Nothing below the dense
    /// end moves, so the forwarding is the same; the objects below `base`
    /// must reference nothing that moves, and their starts must be recorded.
    pub fn keeping(self, base: usize) -> Self {
        debug_assert!(base >= self.p.base && base <= self.p.dense_end);
        Plan {
            p: PlanParts { base, ..self.p },
            ..self
        }
    }

    /// The plan with the generations after compaction set: objects placed
    /// below `end` are old, those from `end` up young. A slot below `end`
    /// that then references a young object has its card dirtied as its page
    /// is built ([`Plan::remember_placed`]).
    pub fn promoting_to(self, end: usize) -> Self {
        Plan {
            p: PlanParts {
                promoted_end: end,
                ..self.p
            },
            ..self
        }
    }

    /// The end of the promoted objects after compaction.
    pub fn promoted_end(&self) -> usize {
        self.p.promoted_end
    }

    /// Bytes of dead objects the plan frees: between the base and the black
    /// line, the words marking did not find live.
    pub fn dead_bytes(&self) -> usize {
        self.p.black.saturating_sub(self.p.marked_top)
    }

    /// The plan that moves nothing: every object, dead ones too, stays where
    /// it is, and every address forwards to itself. For a cycle that finds
    /// so little dead that compacting would cost more than it frees (a
    /// program building its data): the dead words are covered with fillers
    /// ([`Spaces::settle_in_place`]) and freed by a later cycle.
    pub fn in_place(self) -> Self {
        let p = self.p;
        Plan {
            p: PlanParts {
                marked_top: p.black,
                new_top: p.old_top,
                dense_end: p.old_top,
                ..p
            },
            ..self
        }
    }

    /// After the slot that will be at `final_addr` was rewritten to hold
    /// `value`: dirties its card if it lands in the old generation (below the
    /// promoted end, or in a large object: large objects are old after one
    /// cycle) and references a young moving object (the page builder's half
    /// of the remembered set; the compaction logs the card when it ends).
    #[inline(always)]
    pub fn remember_placed(&self, final_addr: usize, value: usize, kind: SlotKind) {
        let end = self.p.promoted_end;
        let large = self.spaces.large.range().start;
        if (final_addr < end || final_addr >= large)
            && value >= end
            && value < large
            && self.spaces.types().is_ref(kind, value)
        {
            self.spaces.cards.dirty(final_addr);
        }
    }

    /// The black line: objects from here up were allocated during the cycle.
    pub fn black(&self) -> usize {
        self.p.black
    }

    /// Whether any word of the page at `page_start` (in the moving space) is
    /// live: a page with none is a source of nothing.
    pub fn page_has_live(&self, page_start: usize) -> bool {
        if page_start + gc_uffd::page_size() > self.p.black && page_start < self.p.old_top {
            return true;
        }
        if page_start < self.p.base {
            // Old objects below the base, which stay.
            return true;
        }
        if page_start >= self.p.old_top {
            // Nothing lies above the top: no bitmap line to read (the compaction
            // pause asks about the garbage pages kept above it).
            return false;
        }
        self.spaces.live_words_on_page(page_start)
    }

    /// Calls `f` with every maximal run of pages in `range` (page-aligned, in
    /// the moving space) that [hold live data](Self::page_has_live), in
    /// order. A 32 KiB block where marking set no live word costs one summary
    /// bit, so a young range of mostly garbage is scanned in microseconds.
    pub fn live_page_runs(&self, range: Range<usize>, mut f: impl FnMut(Range<usize>)) {
        let page = gc_uffd::page_size();
        let start = self.spaces.moving.start();
        let block = BLOCK_CHUNKS * CHUNK;
        // Pages from here up to the old top hold objects allocated black.
        let black_page = self.p.black / page * page;
        let mut run: Option<usize> = None;
        let mut at = range.start;
        while at < range.end {
            let dead_block = at >= self.p.base
                && (at < black_page || at >= self.p.old_top)
                && !self.spaces.blocks.is_noted((at - start) / block);
            // Allocated black, all of it: in the compaction pause, a page at a
            // time cost 80 us for the 140 MiB a full cycle's mutators had
            // allocated meanwhile (the latency bench).
            let black = at >= black_page && at < self.p.old_top;
            let (live, next) = if black {
                (true, self.p.old_top.next_multiple_of(page).min(range.end))
            } else if at >= self.p.old_top && at >= self.p.base {
                // Nothing lies above the top.
                (false, range.end)
            } else if dead_block {
                let block_end = start + ((at - start) / block + 1) * block;
                let next = if at < black_page {
                    block_end.min(black_page)
                } else {
                    block_end
                };
                (false, next.min(range.end))
            } else {
                (self.page_has_live(at), at + page)
            };
            match (live, run) {
                (true, None) => run = Some(at),
                (false, Some(s)) => {
                    f(s..at);
                    run = None;
                }
                _ => {}
            }
            at = next;
        }
        if let Some(s) = run {
            f(s..range.end);
        }
    }

    /// The moving space's top before compaction.
    pub fn old_top(&self) -> usize {
        self.p.old_top
    }

    /// Where the objects allocated during the cycle (from the black line up)
    /// begin after compaction: the end of those marking found.
    pub fn marked_top(&self) -> usize {
        self.p.marked_top
    }

    /// The top after compaction: the end of the live data.
    pub fn new_top(&self) -> usize {
        self.p.new_top
    }

    /// The end of the dense prefix: the moving space up to here is all live, so
    /// no object below it moves (after a few cycles, most long-lived data).
    pub fn dense_end(&self) -> usize {
        self.p.dense_end
    }

    /// Live bytes in the moving space.
    pub fn live_bytes(&self) -> usize {
        self.p.new_top - self.spaces.moving.start()
    }

    #[inline(always)]
    fn prefix(&self, chunk: usize) -> usize {
        // SAFETY: in bounds; written by `Spaces::plan` for every planned chunk
        // below `self.p.chunks`.
        unsafe { self.spaces.prefix_slot(chunk).read() as usize }
    }

    /// The post-compact address of the live object at `addr` (unchanged
    /// outside the moving space): space start + live words before its chunk +
    /// live words before it in its chunk. No forwarding word is read.
    #[inline]
    pub fn forward(&self, addr: usize) -> usize {
        if addr < self.p.dense_end {
            return addr;
        }
        if addr >= self.p.old_top {
            if self.relinked(addr) {
                return self.forward_relinked(addr);
            }
            return addr;
        }
        if addr >= self.p.black {
            return addr - (self.p.black - self.p.marked_top);
        }
        let start = self.spaces.moving.start();
        let c = (addr - start) / CHUNK;
        if !self.chunk_planned(c) {
            // No live word in its block: where the next live word goes.
            return start + self.block_prefix(c / BLOCK_CHUNKS) * WORD;
        }
        self.forward_planned(addr)
    }

    /// [`forward`](Self::forward) of a reference that
    /// [`prefetch_forward`](Self::prefetch_forward) accepted: a marked object
    /// below the black line that moves, whose chunk is planned (its block has
    /// live words). The batched builds call it for every reference they
    /// look up, without `forward`'s tests.
    #[inline(always)]
    pub(crate) fn forward_planned(&self, addr: usize) -> usize {
        let start = self.spaces.moving.start();
        let w = (addr - start) / WORD;
        let (c, bit) = (w / 64, w % 64);
        debug_assert!(addr >= self.p.dense_end && addr < self.p.old_top && self.chunk_planned(c));
        let before = self.spaces.live.raw_word(c) & ((1u64 << bit) - 1);
        start + (self.prefix(c) + before.count_ones() as usize) * WORD
    }

    /// Whether `addr` lies between the lowest block that moves and the end
    /// of the highest: one subtraction and compare, false when none moves.
    #[inline(always)]
    fn relinked(&self, addr: usize) -> bool {
        addr.wrapping_sub(self.p.relink_from) < self.p.relink_span
    }

    /// Where the large object holding `addr` moves, by the moves' table; an
    /// address in no block that moves stays.
    #[cold]
    fn forward_relinked(&self, addr: usize) -> usize {
        match self.spaces.relink_table().find(addr) {
            Some(r) => r.to + (addr - r.from),
            None => addr,
        }
    }

    /// The plan forwarding, besides the moving space's objects, the large
    /// objects [`Spaces::set_relinks`] set: from now until the next
    /// `set_relinks`, those must stay as they are.
    pub fn relinking(self) -> Self {
        let relinks = self.spaces.relinks();
        let (from, span) = match (relinks.first(), relinks.last()) {
            (Some(first), Some(last)) => (first.from, last.from + last.size - first.from),
            _ => (0, 0),
        };
        Plan {
            p: PlanParts {
                relink_from: from,
                relink_span: span,
                ..self.p
            },
            ..self
        }
    }

    /// The large objects this plan moves (none unless made by
    /// [`relinking`](Self::relinking)).
    pub fn relinks(&self) -> &[Relink] {
        if self.p.relink_span == 0 {
            return &[];
        }
        self.spaces.relinks()
    }

    /// Whether the plan has chunk `c`'s prefix: it lies in a block with live
    /// words, or in the base's.
    #[inline(always)]
    fn chunk_planned(&self, c: usize) -> bool {
        let block = c / BLOCK_CHUNKS;
        self.spaces.blocks.is_noted(block) || block == self.base_chunk() / BLOCK_CHUNKS
    }

    fn base_chunk(&self) -> usize {
        (self.p.base - self.spaces.moving.start()) / CHUNK
    }

    #[inline(always)]
    fn block_prefix(&self, block: usize) -> usize {
        self.spaces.block_prefix[block].load(Ordering::Relaxed) as usize
    }

    /// Whether the word `value` found in a slot of `kind` is a reference that
    /// [`forward`](Self::forward) looks up in the metadata (a marked object
    /// that moves), and if so starts loading that metadata: the live-bitmap
    /// word and, beside it in the same cache line, the chunk's prefix sum,
    /// likely a cache miss on a large heap. Every other value is rewritten
    /// (or not) by
    /// [`rewrite_slot`](Self::rewrite_slot) without a miss.
    #[inline(always)]
    pub(crate) fn prefetch_forward(&self, value: usize, kind: SlotKind) -> bool {
        // A large object that moves is forwarded at once, as [`rewrite_slot`]
        // does: its table is small and cached.
        if value < self.p.dense_end
            || value >= self.p.black.min(self.p.old_top)
            || !self.spaces.types().is_ref(kind, value)
        {
            return false;
        }
        let chunk = (value - self.spaces.moving.start()) / CHUNK;
        // The chunk's prefix sum lies in the same line.
        prefetch(self.spaces.live.word_addr(chunk));
        true
    }

    /// Rewrites the slot at `slot`, of `kind`, if it holds a reference to an
    /// object that moves: one compare for a value below the dense prefix's
    /// end. Returns what the slot holds now.
    ///
    /// # Safety
    /// `slot` must be valid for reads and writes, and no mutator running.
    #[inline(always)]
    pub unsafe fn rewrite_slot(&self, slot: *mut usize, kind: SlotKind) -> usize {
        // SAFETY: as the caller guarantees.
        let value = unsafe { slot.read() };
        if value >= self.p.dense_end
            && (value < self.p.old_top || self.relinked(value))
            && self.spaces.types().is_ref(kind, value)
        {
            let new = self.forward(value);
            // SAFETY: as above.
            unsafe { slot.write(new) };
            return new;
        }
        value
    }

    /// The old address of the first live object whose post-compact copy
    /// overlaps the to-space page starting at `page_start`, or `None` past the
    /// end of the live data. Derived from the bitmaps alone: find the live word
    /// of that rank, then the object start at or before it.
    pub fn first_object(&self, page_start: usize) -> Option<usize> {
        let start = self.spaces.moving.start();
        // The base's page begins with old objects, which are not planned.
        let page_start = page_start.max(self.p.base);
        if page_start >= self.p.new_top {
            return None;
        }
        if page_start >= self.p.marked_top {
            let old = page_start + (self.p.black - self.p.marked_top);
            return self.spaces.mark.prev_set(old, self.p.black);
        }
        if page_start < self.p.dense_end {
            // Every word below the dense end is live and stays: the page's
            // first word is its own, in the object that holds it.
            return self.spaces.mark.prev_set(page_start, self.p.base);
        }
        let rank = (page_start - start) / WORD;
        // The last block whose prefix is <= rank: one with live words (the
        // blocks after a block without any have its prefix), or the base's.
        let first = self.base_chunk();
        let block = last_at_most(
            first / BLOCK_CHUNKS..self.p.chunks.div_ceil(BLOCK_CHUNKS),
            rank,
            |b| self.block_prefix(b),
        );
        debug_assert!(self.chunk_planned(block * BLOCK_CHUNKS));
        // Then the last chunk of it whose prefix is <= rank.
        let lo = last_at_most(
            (block * BLOCK_CHUNKS).max(first)..((block + 1) * BLOCK_CHUNKS).min(self.p.chunks),
            rank,
            |c| self.prefix(c),
        );
        let mut bits = self.spaces.live.raw_word(lo);
        for _ in 0..rank - self.prefix(lo) {
            bits &= bits - 1;
        }
        let word = start + (lo * 64 + bits.trailing_zeros() as usize) * WORD;
        self.spaces.mark.prev_set(word, self.p.base)
    }

    /// The next live object after the one ending at `end` (old address),
    /// given `new`, the post-compact address it will have. A short gap is
    /// found in the mark bitmap; a long one (megabytes of garbage) by rank in
    /// the live-word counts, in logarithmic time.
    #[inline]
    pub fn next_live(&self, end: usize, new: usize) -> Option<usize> {
        if end >= self.p.black {
            // Allocated black: the objects lie end to end.
            return (end < self.p.old_top).then_some(end);
        }
        let near = end.saturating_add(NEAR_GAP).min(self.p.old_top);
        self.spaces
            .mark
            .next_set(end, near)
            .or_else(|| self.first_object(new))
    }

    /// The first marked object after the one at `old`, if one starts within
    /// 4 KiB of it below the black line: found in the mark bitmap
    /// alone, without the object's size, so a walk can ask for the headers
    /// of the objects it reaches next before it reads this one's.
    #[inline]
    pub fn next_marked_near(&self, old: usize) -> Option<usize> {
        let end = old
            .saturating_add(NEAR_GAP)
            .min(self.p.black)
            .min(self.p.old_top);
        self.spaces.mark.next_set(old + WORD, end)
    }

    /// The address range the moving space's live data occupies after compaction.
    pub fn to_space(&self) -> Range<usize> {
        self.spaces.moving.start()..self.p.new_top
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::object::Header;
    use crate::types::TypeDescriptor;

    /// Making the side tables resident ahead keeps what they hold, and a
    /// range partly or wholly outside the moving space is clipped to it.
    #[test]
    fn preparing_for_marking_keeps_marks_and_plans() {
        const SIZE: usize = 48;
        let types = TypeTable::new();
        let blob = types
            .register(TypeDescriptor::fixed("blob", SIZE, &[], &[]))
            .unwrap();
        let spaces = Spaces::new(64 << 20, Arc::new(types)).unwrap();
        let objs: Vec<usize> = (0..10_000)
            .map(|_| {
                let a = spaces.moving().claim(SIZE).unwrap();
                // SAFETY: fresh memory of ours.
                unsafe { (a as *mut u64).write(Header::new(blob.0, 0).0) };
                a
            })
            .collect();
        let (start, top) = (spaces.moving().start(), spaces.moving().top());
        for &o in objs.iter().step_by(2) {
            assert!(spaces.mark(o, SIZE));
        }
        let before = spaces.plan(start, top).new_top();
        spaces.prepare_marking(start..top + (128 << 20)).unwrap();
        spaces.prepare_marking(0..start).unwrap();
        for (k, &o) in objs.iter().enumerate() {
            assert_eq!(spaces.is_marked(o), k % 2 == 0, "object {k}");
        }
        assert_eq!(spaces.plan(start, top).new_top(), before);
        assert_eq!(before, start + objs.len() / 2 * SIZE);
    }

    /// A 64 MiB heap holding `n` reference-free objects of `size` bytes end
    /// to end from the moving space's start, and their addresses.
    fn blobs(size: usize, n: usize) -> (Spaces, Vec<usize>) {
        let types = TypeTable::new();
        let blob = types
            .register(TypeDescriptor::fixed("blob", size, &[], &[]))
            .unwrap();
        let spaces = Spaces::new(64 << 20, Arc::new(types)).unwrap();
        let objs = (0..n)
            .map(|_| {
                let a = spaces.moving().claim(size).unwrap();
                // SAFETY: fresh memory of ours.
                unsafe { (a as *mut u64).write(Header::new(blob.0, 0).0) };
                a
            })
            .collect();
        (spaces, objs)
    }

    /// Clears every mark of the moving space in use and marks `objs[i]`,
    /// `size` bytes, for each `i` of `live`.
    fn mark_only(spaces: &Spaces, objs: &[usize], live: &[usize], size: usize) {
        let top = spaces.moving().top();
        spaces.clear_marks(spaces.moving().start()..top, top);
        for &i in live {
            assert!(spaces.mark(objs[i], size));
        }
    }

    /// Survivors in stretches with whole blocks between them holding none,
    /// planned from a base in the middle of a block: every live object, and
    /// every dead address, forwards where a plain count of the live objects
    /// before it says; every page's first object is the one a scan finds;
    /// and clearing the marks leaves no bit set.
    #[test]
    fn a_plan_skipping_blocks_without_live_words_forwards_as_a_full_count_does() {
        const SIZE: usize = 48;
        const N: usize = 40_000;
        let (spaces, objs) = blobs(SIZE, N);
        let (start, top) = (spaces.moving().start(), spaces.moving().top());
        let base = objs[1000];
        assert!(base % (BLOCK_CHUNKS * CHUNK) != 0);
        // Live: one stretch of 3,000 objects (144 KB) in three, most of them.
        let live: Vec<usize> = (1000..N)
            .filter(|i| (i / 3000) % 3 == 0 && i % 5 != 0)
            .collect();
        mark_only(&spaces, &objs, &live, SIZE);
        let plan = spaces.plan(base, top);
        assert_eq!(plan.new_top(), base + live.len() * SIZE);
        for (k, &i) in live.iter().enumerate() {
            assert_eq!(plan.forward(objs[i]), base + k * SIZE, "live object {i}");
        }
        for i in (1000..N).filter(|&i| live.binary_search(&i).is_err()) {
            let before = live.partition_point(|&j| j < i);
            assert_eq!(
                plan.forward(objs[i]),
                base + before * SIZE,
                "dead object {i}"
            );
        }
        let page = gc_uffd::page_size();
        for p in (base / page * page..plan.new_top()).step_by(page) {
            let expected = (0..live.len())
                .find(|&k| base + (k + 1) * SIZE > p)
                .map(|k| objs[live[k]]);
            assert_eq!(plan.first_object(p), expected, "page {p:#x}");
        }
        spaces.clear_marks(base..top, top);
        assert_eq!(spaces.mark_bitmap().next_set(start, top), None);
        assert_eq!(spaces.live_bitmap().next_set(start, top), None);
    }

    /// A page of the dense prefix (every word live, nothing moves) or across
    /// its end begins with the object holding its first word, as for the
    /// pages that slide: first objects found by a scan of the live objects.
    #[test]
    fn the_first_object_of_a_page_of_the_dense_prefix_holds_its_first_word() {
        const SIZE: usize = 56;
        const N: usize = 20_000;
        let (spaces, objs) = blobs(SIZE, N);
        let (start, top) = (spaces.moving().start(), spaces.moving().top());
        // The first 5,000 objects live (273 KiB), then one in three.
        let live: Vec<usize> = (0..N).filter(|&i| i < 5000 || i % 3 == 0).collect();
        mark_only(&spaces, &objs, &live, SIZE);
        let plan = spaces.plan(start, top);
        assert_eq!(plan.dense_end(), objs[5000]);
        let page = gc_uffd::page_size();
        for p in (start..plan.new_top()).step_by(page) {
            let expected = live
                .iter()
                .map(|&i| objs[i])
                .find(|&o| plan.forward(o) + SIZE > p);
            assert_eq!(plan.first_object(p), expected, "page {p:#x}");
        }
    }

    /// The large objects a plan relinks forward by the table, interior
    /// addresses by their offset; addresses in no moved block (between
    /// moved ones, or past the last) and the moving space's forward as
    /// without the table; a plan not made `relinking` ignores it; and
    /// `rewrite_slot` rewrites a reference to a moved block.
    #[test]
    fn a_relinking_plan_forwards_moved_large_objects_by_the_table() {
        const SIZE: usize = 48;
        let types = TypeTable::new();
        let blob = types
            .register(TypeDescriptor::fixed("blob", SIZE, &[], &[]))
            .unwrap();
        let spaces = Spaces::new(16 << 20, Arc::new(types)).unwrap();
        let page = gc_uffd::page_size();
        let objs: Vec<usize> = (0..1000)
            .map(|_| {
                let a = spaces.moving().claim(SIZE).unwrap();
                // SAFETY: fresh memory of ours.
                unsafe { (a as *mut u64).write(Header::new(blob.0, 0).0) };
                a
            })
            .collect();
        for &o in objs.iter().step_by(3) {
            assert!(spaces.mark(o, SIZE));
        }
        let blocks: Vec<usize> = (0..6)
            .map(|_| spaces.large().alloc(8 * page, true, |_| ()).unwrap())
            .collect();
        let (start, top) = (spaces.moving().start(), spaces.moving().top());
        let plain = spaces.plan(start, top);
        let moves = vec![
            Relink {
                from: blocks[3],
                to: blocks[0],
                size: 8 * page,
            },
            Relink {
                from: blocks[5],
                to: blocks[1],
                size: 5 * page + 8,
            },
        ];
        // SAFETY: no relinking plan exists yet.
        unsafe { spaces.set_relinks(moves.clone()) };
        assert_eq!(plain.forward(blocks[3]), blocks[3], "not made relinking");
        assert!(plain.relinks().is_empty());
        let plan = spaces.plan(start, top).relinking();
        assert_eq!(plan.relinks(), &moves[..]);
        assert_eq!(plan.forward(blocks[3]), blocks[0]);
        assert_eq!(
            plan.forward(blocks[3] + 3 * page + 16),
            blocks[0] + 3 * page + 16
        );
        assert_eq!(plan.forward(blocks[5]), blocks[1]);
        assert_eq!(plan.forward(blocks[5] + 5 * page), blocks[1] + 5 * page);
        assert_eq!(
            plan.forward(blocks[5] + 5 * page + 8),
            blocks[5] + 5 * page + 8
        );
        for b in [blocks[2], blocks[4], blocks[1]] {
            assert_eq!(plan.forward(b), b, "a block that stays");
        }
        for &o in &objs {
            assert_eq!(
                plan.forward(o),
                plain.forward(o),
                "moving-space object {o:#x}"
            );
        }
        let mut slot = blocks[5] + 64;
        // SAFETY: a local slot, no mutator.
        let new = unsafe { plan.rewrite_slot(&mut slot, SlotKind::Ref) };
        assert_eq!((new, slot), (blocks[1] + 64, blocks[1] + 64));
        let mut slot = blocks[4];
        // SAFETY: as above.
        unsafe { plan.rewrite_slot(&mut slot, SlotKind::Ref) };
        assert_eq!(slot, blocks[4]);
        // SAFETY: the relinking plan is no longer used.
        unsafe { spaces.set_relinks(Vec::new()) };
        assert!(spaces.plan(start, top).relinking().relinks().is_empty());
    }

    /// A moved large object's mark moves with it.
    #[test]
    fn a_moved_large_objects_mark_moves_with_it() {
        let spaces = Spaces::new(4 << 20, Arc::new(TypeTable::new())).unwrap();
        let page = gc_uffd::page_size();
        let a = spaces.large().alloc(8 * page, true, |_| ()).unwrap();
        let b = spaces.large().alloc(8 * page, true, |_| ()).unwrap();
        let c = spaces.large().alloc(8 * page, true, |_| ()).unwrap();
        assert!(spaces.mark(c, 8 * page));
        assert!(spaces.mark(b, 8 * page));
        spaces.move_large_mark(&Relink {
            from: c,
            to: a,
            size: 8 * page,
        });
        assert!(spaces.is_marked(a) && !spaces.is_marked(c));
        assert!(spaces.is_marked(b), "a neighbour keeps its mark");
    }

    /// A moving space whose size is not a whole number of summary blocks:
    /// clearing the marks of its last block, full of live objects, leaves the
    /// large space's marks (sticky: old large objects keep them) alone.
    #[test]
    fn clearing_the_last_block_spares_the_large_spaces_marks() {
        const SIZE: usize = 64;
        let types = TypeTable::new();
        let blob = types
            .register(TypeDescriptor::fixed("blob", SIZE, &[], &[]))
            .unwrap();
        let capacity = (1 << 20) + 4096;
        let spaces = Spaces::new(capacity, Arc::new(types)).unwrap();
        assert!(capacity % (BLOCK_CHUNKS * CHUNK) != 0);
        let large = spaces.large().alloc(64 << 10, true, |_| ()).unwrap();
        // SAFETY: fresh memory of ours.
        unsafe { (large as *mut u64).write(Header::new(blob.0, 0).0) };
        assert!(spaces.mark(large, 64 << 10));
        let start = spaces.moving().start();
        let mut last = start;
        while let Some(a) = spaces.moving().claim(SIZE) {
            // SAFETY: fresh memory of ours.
            unsafe { (a as *mut u64).write(Header::new(blob.0, 0).0) };
            last = a;
        }
        assert!(spaces.mark(last, SIZE));
        let top = spaces.moving().top();
        spaces.clear_marks(start..top, top);
        assert!(!spaces.is_marked(last));
        assert!(spaces.is_marked(large), "a large object lost its mark");
    }
}
