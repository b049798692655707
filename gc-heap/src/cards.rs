//! The card table: the remembered set of young cycles.
//!
//! A young cycle traces only objects allocated since the previous cycle, so it
//! must know every slot of an old object that may hold a reference to a young
//! one. The write barrier dirties the card (a [`CARD`]-byte stretch of the
//! heap) holding such a slot, and the first thread to dirty a card also logs
//! its index, so that a cycle finds the dirty cards from a list as long as the
//! remembered set, never by scanning a table as long as the heap.

use std::ops::Range;
use std::sync::atomic::{AtomicU8, Ordering};

use gc_uffd::Reservation;

/// Bytes of heap per card: a chunk of the live-words bitmap, 64 words.
pub const CARD: usize = 512;
/// `CARD` is `1 << CARD_SHIFT`.
pub const CARD_SHIFT: u32 = CARD.trailing_zeros();

/// One byte per card of `covered`, in memory reserved (not committed) for the
/// whole heap: only cards ever dirtied cost memory.
#[derive(Debug)]
pub struct CardTable {
    covered: Range<usize>,
    storage: Reservation,
}

impl CardTable {
    /// A clean table for `covered` (card-aligned).
    pub fn new(covered: Range<usize>) -> gc_uffd::Result<Self> {
        let page = gc_uffd::page_size();
        let cards = (covered.end - covered.start).div_ceil(CARD);
        let storage = Reservation::new(cards.next_multiple_of(page).max(page), page)?;
        storage.exclude_from_fork()?;
        Ok(CardTable { covered, storage })
    }

    /// Whether a child forked from now on inherits the table.
    pub fn inherit_in_fork(&self, inherit: bool) -> gc_uffd::Result<()> {
        self.storage.inherit_in_fork(inherit)
    }

    #[inline(always)]
    fn byte(&self, card: usize) -> &AtomicU8 {
        debug_assert!(card < self.storage.size());
        // SAFETY: in bounds (one byte per card of `covered`); the storage is
        // mapped, zero-initialised, and only accessed atomically.
        unsafe { &*self.storage.as_ptr().add(card).cast::<AtomicU8>() }
    }

    /// The address that, plus `addr >> CARD_SHIFT`, is the card byte of
    /// `addr` (a byte that is 0 while the card is clean): how generated code
    /// finds a card with a shift and an add. It is not itself an address in
    /// the table.
    pub fn biased_base(&self) -> usize {
        (self.storage.as_ptr() as usize).wrapping_sub(self.covered.start >> CARD_SHIFT)
    }

    /// The card of `addr`.
    #[inline(always)]
    pub fn card_of(&self, addr: usize) -> usize {
        debug_assert!(self.covered.contains(&addr));
        (addr - self.covered.start) / CARD
    }

    /// Dirties the card of `addr`; returns its index if it was clean (the
    /// caller logs it). Two threads dirtying one card at once may both log it:
    /// a card listed twice is scanned twice, which is harmless.
    #[inline]
    pub fn dirty(&self, addr: usize) -> Option<usize> {
        let card = self.card_of(addr);
        let byte = self.byte(card);
        if byte.load(Ordering::Relaxed) != 0 {
            return None;
        }
        byte.store(1, Ordering::Relaxed);
        Some(card)
    }

    /// Whether the card of `addr` is dirty.
    #[inline]
    pub fn is_dirty(&self, addr: usize) -> bool {
        self.byte(self.card_of(addr)).load(Ordering::Relaxed) != 0
    }

    /// Cleans `card`; returns whether it was dirty. Only while no mutator
    /// runs: a barrier that saw the card dirty and so did not log it must not
    /// find it cleaned and unlisted.
    pub fn clean(&self, card: usize) -> bool {
        let byte = self.byte(card);
        let was = byte.load(Ordering::Relaxed) != 0;
        byte.store(0, Ordering::Relaxed);
        was
    }

    /// Pages of memory the table spans.
    pub fn pages(&self) -> usize {
        self.storage.size() / gc_uffd::page_size()
    }

    /// Cleans every card, returning the table's memory to the kernel. Only
    /// while no mutator runs, as [`clean`](Self::clean).
    pub fn clean_all(&self) -> gc_uffd::Result<()> {
        self.storage.decommit(0, self.storage.size())
    }

    /// The addresses card `card` covers.
    #[inline]
    pub fn range(&self, card: usize) -> Range<usize> {
        let start = self.covered.start + card * CARD;
        start..start + CARD
    }
}
