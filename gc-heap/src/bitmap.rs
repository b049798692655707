//! Side bitmaps: one bit per heap word, in memory reserved (not committed) for
//! the whole heap, so only the parts in use cost memory.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use gc_uffd::Reservation;

use crate::object::WORD;

/// One bit per word of `covered`, optionally with a side word beside each
/// bitmap word ([`with_side_words`](Self::with_side_words)).
#[derive(Debug)]
pub struct Bitmap {
    covered: Range<usize>,
    storage: Reservation,
    /// Bitmap word `i` lies at word `i << shift` of the storage: 0, or 1
    /// with side words.
    shift: u32,
    /// A bit per [`COMMIT_UNIT`] bytes of storage made resident by
    /// [`commit`](Self::commit), which asks the kernel only for the others:
    /// `MADV_POPULATE_WRITE` walks every page of its range, resident or not,
    /// and a cycle commits the range it marks (binary-trees 21: 370 calls
    /// over 3.7 GB of resident bitmaps, about a tenth of its system time).
    committed: Box<[AtomicU64]>,
}

/// Bytes of storage [`Bitmap::commit`] makes resident at a time, at least.
const COMMIT_UNIT: usize = 64 << 10;

const BITS: usize = 64;

/// The size of a transparent huge page on x86_64 and on arm64 with 4 KiB pages.
pub(crate) const HUGE_PAGE: usize = 2 << 20;

impl Bitmap {
    /// A cleared bitmap for the words of `covered` (word-aligned).
    pub fn new(covered: Range<usize>) -> gc_uffd::Result<Self> {
        Self::with_shift(covered, 0)
    }

    /// A cleared bitmap for the words of `covered` with a side word after
    /// each bitmap word, in the same 16 bytes and so in the same cache line:
    /// for a value looked up together with the bits (the live bitmap's: the
    /// live words before each bitmap word, its chunk's prefix sum).
    /// The clears zero the side words of the bitmap words they clear whole.
    pub fn with_side_words(covered: Range<usize>) -> gc_uffd::Result<Self> {
        Self::with_shift(covered, 1)
    }

    fn with_shift(covered: Range<usize>, shift: u32) -> gc_uffd::Result<Self> {
        let words = (covered.end - covered.start) / WORD;
        let bytes = (words.div_ceil(BITS) * 8) << shift;
        let page = gc_uffd::page_size();
        // Aligned to a huge page, so that one asked for covers the storage whole.
        let align = if bytes >= HUGE_PAGE { HUGE_PAGE } else { page };
        let storage = Reservation::new(bytes.next_multiple_of(page).max(page), align)?;
        storage.exclude_from_fork()?;
        let units = storage.size().div_ceil(COMMIT_UNIT);
        Ok(Bitmap {
            covered,
            storage,
            shift,
            committed: (0..units.div_ceil(BITS))
                .map(|_| AtomicU64::new(0))
                .collect(),
        })
    }

    /// Whether a child forked from now on inherits the bitmap (by default it
    /// does not: `MADV_DONTFORK`, as the heap it covers).
    pub fn inherit_in_fork(&self, inherit: bool) -> gc_uffd::Result<()> {
        self.storage.inherit_in_fork(inherit)
    }

    /// Asks for transparent huge pages for the storage: for a bitmap read at
    /// random (the live bitmap, which forwarding reads for every reference a
    /// page build rewrites), one TLB entry then covers 2 MiB of it.
    pub fn prefer_huge_pages(&self) -> gc_uffd::Result<()> {
        self.storage.enable_huge_pages()
    }

    /// Makes resident the bitmap's pages for the words of `range` (clipped
    /// to `covered`), whole huge pages where the storage prefers them: a
    /// first touch of a huge page zeroes 2 MiB, and may first compact memory
    /// to find one, for a millisecond or more. Storage is made resident 64
    /// KiB at a time, once: what an earlier call made resident stays so
    /// until [`clear_all`](Self::clear_all), and is not asked for again.
    pub fn commit(&self, range: Range<usize>) -> gc_uffd::Result<()> {
        let start = range.start.max(self.covered.start);
        let end = range.end.min(self.covered.end);
        if start >= end {
            return Ok(());
        }
        let first = ((self.bit(start) / BITS * 8) << self.shift) / COMMIT_UNIT;
        let last = (((self.bit(end - WORD) / BITS + 1) * 8) << self.shift).div_ceil(COMMIT_UNIT);
        let mut unit = first;
        while unit < last {
            if self.is_committed(unit) {
                unit += 1;
                continue;
            }
            let run = unit;
            while unit < last && !self.is_committed(unit) {
                unit += 1;
            }
            let to = (unit * COMMIT_UNIT).min(self.storage.size());
            self.storage
                .commit(run * COMMIT_UNIT, to - run * COMMIT_UNIT)?;
            for u in run..unit {
                self.committed[u / BITS].fetch_or(1 << (u % BITS), Ordering::Relaxed);
            }
        }
        Ok(())
    }

    fn is_committed(&self, unit: usize) -> bool {
        self.committed[unit / BITS].load(Ordering::Relaxed) & (1 << (unit % BITS)) != 0
    }

    /// The addresses covered.
    pub fn covered(&self) -> Range<usize> {
        self.covered.clone()
    }

    #[inline(always)]
    fn words(&self) -> *const AtomicU64 {
        self.storage.as_ptr().cast()
    }

    /// Bitmap word `index`.
    #[inline(always)]
    fn word(&self, index: usize) -> &AtomicU64 {
        debug_assert!((index << self.shift) * 8 < self.storage.size());
        // SAFETY: `index` is in bounds of the storage (callers check `addr` is
        // covered); the storage is mapped, zero-initialised, and only accessed atomically.
        unsafe { &*self.words().add(index << self.shift) }
    }

    /// The side word of bitmap word `index`, of a bitmap made by
    /// [`with_side_words`](Self::with_side_words): a `u32` in it, which the
    /// caller reads and writes as it likes (the bitmap only zeroes it).
    #[inline(always)]
    pub(crate) fn side_word(&self, index: usize) -> *mut u32 {
        debug_assert!(self.shift == 1 && (index * 2 + 1) * 8 < self.storage.size());
        // SAFETY: in bounds, as for `word`; the pointer is only formed here.
        unsafe { self.words().add(index * 2 + 1).cast::<u32>().cast_mut() }
    }

    #[inline(always)]
    fn bit(&self, addr: usize) -> usize {
        debug_assert!(
            self.covered.contains(&addr),
            "{addr:#x} outside {:x?}",
            self.covered
        );
        (addr - self.covered.start) / WORD
    }

    /// Sets the bit of `addr`; returns whether it was already set.
    #[inline]
    pub fn set(&self, addr: usize) -> bool {
        let b = self.bit(addr);
        let mask = 1u64 << (b % BITS);
        self.word(b / BITS).fetch_or(mask, Ordering::Relaxed) & mask != 0
    }

    /// Whether the bit of `addr` is set.
    #[inline]
    pub fn is_set(&self, addr: usize) -> bool {
        let b = self.bit(addr);
        self.word(b / BITS).load(Ordering::Relaxed) & (1 << (b % BITS)) != 0
    }

    /// Sets the bits of `addrs`, given in ascending order, with one atomic OR
    /// per bitmap word they fall in instead of one per bit: a thread marking
    /// the objects of its own TLAB (allocated black, 24 bytes each in
    /// binary-trees) spent most of the walk in the ORs.
    pub fn set_ascending(&self, addrs: impl IntoIterator<Item = usize>) {
        let mut setter = self.ascending();
        for addr in addrs {
            setter.set(addr);
        }
    }

    /// A setter for bits given in ascending order, one atomic OR per bitmap
    /// word (see [`set_ascending`](Self::set_ascending)), for a walk that
    /// finds them one at a time: an object walk recording each object's
    /// start. On x86 every atomic OR is a full barrier, which also keeps the
    /// walk's cache misses from overlapping.
    pub fn ascending(&self) -> AscendingSetter<'_> {
        AscendingSetter {
            map: self,
            word: 0,
            bits: 0,
        }
    }

    /// Sets the bits of every word in `range`.
    pub fn set_range(&self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        let (first, last) = (self.bit(range.start), self.bit(range.end - WORD));
        let (fw, lw) = (first / BITS, last / BITS);
        let low = !0u64 << (first % BITS);
        let high = !0u64 >> (BITS - 1 - last % BITS);
        if fw == lw {
            self.word(fw).fetch_or(low & high, Ordering::Relaxed);
            return;
        }
        self.word(fw).fetch_or(low, Ordering::Relaxed);
        for w in fw + 1..lw {
            self.word(w).store(!0, Ordering::Relaxed);
        }
        self.word(lw).fetch_or(high, Ordering::Relaxed);
    }

    /// Raw bitmap word `index` (64 heap words from `covered.start + index * 512`).
    #[inline]
    pub fn raw_word(&self, index: usize) -> u64 {
        self.word(index).load(Ordering::Relaxed)
    }

    /// Asks the processor for the cache line holding the bit of `addr`
    /// (covered): a hint, nothing is read.
    #[inline(always)]
    pub(crate) fn prefetch(&self, addr: usize) {
        crate::spaces::prefetch(self.word_addr(self.bit(addr) / BITS));
    }

    /// The address of bitmap word `index`, for a prefetch; nothing is read.
    #[inline(always)]
    pub(crate) fn word_addr(&self, index: usize) -> usize {
        self.storage.start() + (index << self.shift) * 8
    }

    /// Number of bitmap words that cover `covered.start..end`.
    pub fn words_upto(&self, end: usize) -> usize {
        ((end - self.covered.start) / WORD).div_ceil(BITS)
    }

    /// The first set bit's address in `from..to`, if any.
    pub fn next_set(&self, from: usize, to: usize) -> Option<usize> {
        if from >= to {
            return None;
        }
        let (start, end) = (self.bit(from), (to - self.covered.start) / WORD);
        let mut w = start / BITS;
        let mut bits = self.raw_word(w) & (!0u64 << (start % BITS));
        loop {
            if bits != 0 {
                let b = w * BITS + bits.trailing_zeros() as usize;
                return (b < end).then(|| self.covered.start + b * WORD);
            }
            w += 1;
            if w * BITS >= end {
                return None;
            }
            bits = self.raw_word(w);
        }
    }

    /// The first clear bit's address in `from..to`, if any.
    pub fn next_clear(&self, from: usize, to: usize) -> Option<usize> {
        if from >= to {
            return None;
        }
        let (start, end) = (self.bit(from), (to - self.covered.start) / WORD);
        let mut w = start / BITS;
        let mut bits = !self.raw_word(w) & (!0u64 << (start % BITS));
        loop {
            if bits != 0 {
                let b = w * BITS + bits.trailing_zeros() as usize;
                return (b < end).then(|| self.covered.start + b * WORD);
            }
            w += 1;
            if w * BITS >= end {
                return None;
            }
            bits = !self.raw_word(w);
        }
    }

    /// The last set bit's address at or below `at`, not below `floor`.
    pub fn prev_set(&self, at: usize, floor: usize) -> Option<usize> {
        let (b, low) = (self.bit(at), self.bit(floor));
        let mut w = b / BITS;
        let mut bits = self.raw_word(w) & (!0u64 >> (BITS - 1 - b % BITS));
        loop {
            if bits != 0 {
                let found = w * BITS + (BITS - 1 - bits.leading_zeros() as usize);
                return (found >= low).then(|| self.covered.start + found * WORD);
            }
            if w == 0 || w * BITS <= low {
                return None;
            }
            w -= 1;
            bits = self.raw_word(w);
        }
    }

    /// Clears the bits of the words in `range` (word-aligned, inside `covered`),
    /// rounded out to whole bitmap words. Only while nothing else uses the bitmap.
    ///
    /// A memset, not a decommit: the bitmap's pages stay resident, so the next
    /// marking does not fault them in again one by one.
    pub fn clear(&self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        let first = (self.bit(range.start) / BITS) << self.shift;
        let last = (self.words_upto(range.end) << self.shift).min(self.storage.size() / 8);
        if last > first {
            // SAFETY: storage words `first..last` lie in the storage, and the
            // caller guarantees no concurrent access.
            unsafe { std::ptr::write_bytes(self.words().add(first).cast_mut(), 0, last - first) };
        }
    }

    /// Clears exactly the bits of the words in `range` (word-aligned, inside
    /// `covered`), leaving the bits on either side in the same bitmap words.
    /// Only while nothing else writes the bitmap words at its ends.
    pub fn clear_exact(&self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        let (first, end) = (self.bit(range.start), self.bit(range.end - WORD) + 1);
        let (fw, lw) = (first / BITS, (end - 1) / BITS);
        let keep_low = !(!0u64 << (first % BITS));
        let keep_high = if end % BITS == 0 {
            0
        } else {
            !0u64 << (end % BITS)
        };
        if fw == lw {
            self.word(fw)
                .fetch_and(keep_low | keep_high, Ordering::Relaxed);
            return;
        }
        self.word(fw).fetch_and(keep_low, Ordering::Relaxed);
        self.word(lw).fetch_and(keep_high, Ordering::Relaxed);
        if lw > fw + 1 {
            let (from, to) = ((fw + 1) << self.shift, lw << self.shift);
            // SAFETY: storage words `from..to` lie in the storage, and nothing
            // else uses them meanwhile.
            unsafe { std::ptr::write_bytes(self.words().add(from).cast_mut(), 0, to - from) };
        }
    }

    /// Clears the whole bitmap by returning its pages to the kernel.
    pub fn clear_all(&self) {
        for word in &self.committed {
            word.store(0, Ordering::Relaxed);
        }
        // Decommitting our own, page-aligned storage cannot fail for a reason the
        // caller could act on.
        let _ = self.storage.decommit(0, self.storage.size());
    }
}

/// One bit per block of [`Summary::WORDS`] bitmap words: whether any bit of
/// the block was set since the block was last cleared. What reads or clears
/// a bitmap block by block skips the blocks without it, so a young cycle's
/// planning and clearing cost what survived, not the young range's size.
#[derive(Debug)]
pub(crate) struct Summary {
    bits: Box<[AtomicU64]>,
}

impl Summary {
    /// Bitmap words per block: 32 KiB of heap.
    pub(crate) const WORDS: usize = 64;

    /// A cleared summary of `blocks` blocks.
    pub(crate) fn new(blocks: usize) -> Summary {
        Summary {
            bits: (0..blocks.div_ceil(BITS))
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    /// Notes blocks `first..=last`. A block noted already costs a load.
    #[inline]
    pub(crate) fn note(&self, first: usize, last: usize) {
        for block in first..=last {
            let (word, mask) = (&self.bits[block / BITS], 1u64 << (block % BITS));
            if word.load(Ordering::Relaxed) & mask == 0 {
                word.fetch_or(mask, Ordering::Relaxed);
            }
        }
    }

    /// Whether `block` was noted.
    #[inline(always)]
    pub(crate) fn is_noted(&self, block: usize) -> bool {
        self.bits[block / BITS].load(Ordering::Relaxed) & (1 << (block % BITS)) != 0
    }

    /// Calls `f` with every noted block of `blocks`, in order, and forgets
    /// them. Only while nothing notes blocks.
    pub(crate) fn take(&self, blocks: Range<usize>, mut f: impl FnMut(usize)) {
        let mut block = blocks.start;
        while block < blocks.end {
            let word = &self.bits[block / BITS];
            let mut bits = word.load(Ordering::Relaxed) & (!0u64 << (block % BITS));
            let word_end = (block / BITS + 1) * BITS;
            if word_end > blocks.end {
                bits &= !0u64 >> (word_end - blocks.end);
            }
            if bits != 0 {
                word.fetch_and(!bits, Ordering::Relaxed);
            }
            while bits != 0 {
                f(block / BITS * BITS + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
            block = word_end;
        }
    }
}

/// Bits gathered for one bitmap word at a time ([`Bitmap::ascending`]): set
/// when the walk reaches another word, and when the setter is dropped (or
/// [`flush`](Self::flush)ed), so a reader sees them only from then on.
#[derive(Debug)]
pub struct AscendingSetter<'a> {
    map: &'a Bitmap,
    word: usize,
    bits: u64,
}

impl AscendingSetter<'_> {
    /// Sets the bit of `addr` (covered), at or above the last one set.
    #[inline]
    pub fn set(&mut self, addr: usize) {
        let b = self.map.bit(addr);
        if b / BITS != self.word {
            self.flush();
            self.word = b / BITS;
        }
        self.bits |= 1 << (b % BITS);
    }

    /// Sets the bits gathered so far.
    #[inline]
    pub fn flush(&mut self) {
        if self.bits != 0 {
            self.map
                .word(self.word)
                .fetch_or(self.bits, Ordering::Relaxed);
            self.bits = 0;
        }
    }
}

impl Drop for AscendingSetter<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_summary_lists_and_forgets_the_blocks_noted_in_a_range() {
        let s = Summary::new(200);
        s.note(3, 3);
        s.note(62, 66);
        s.note(130, 130);
        s.note(199, 199);
        assert!(s.is_noted(64) && !s.is_noted(67));
        let mut seen = Vec::new();
        s.take(4..131, |b| seen.push(b));
        assert_eq!(seen, [62, 63, 64, 65, 66, 130]);
        assert!(s.is_noted(3) && !s.is_noted(62) && s.is_noted(199));
        seen.clear();
        s.take(0..200, |b| seen.push(b));
        assert_eq!(seen, [3, 199]);
    }

    #[test]
    fn bits_set_word_at_a_time_equal_bits_set_one_by_one() {
        let base = 1 << 20;
        let one = Bitmap::new(base..base + 64 * 1024).unwrap();
        let batched = Bitmap::new(base..base + 64 * 1024).unwrap();
        // Bits already set stay set; objects of 1 to 9 words, across words.
        one.set(base + 16);
        batched.set(base + 16);
        let mut addrs = Vec::new();
        let mut at = base + 8;
        // Up to 9 words each, within the 64 KiB covered.
        for k in 0..1500 {
            addrs.push(at);
            at += (1 + k * 7 % 9) * WORD;
        }
        for &a in &addrs {
            one.set(a);
        }
        batched.set_ascending(addrs.iter().copied());
        batched.set_ascending(std::iter::empty());
        let words = (at - base) / WORD / 64 + 1;
        for w in 0..words {
            assert_eq!(batched.raw_word(w), one.raw_word(w), "word {w}");
        }
        assert!(one.raw_word(0) & (1 << 2) != 0);
    }

    /// A setter's bits show once its walk leaves their word, or when it is
    /// flushed or dropped, and never clear a bit set meanwhile.
    #[test]
    fn an_ascending_setter_sets_a_word_when_it_leaves_it() {
        let base = 1 << 20;
        let m = Bitmap::new(base..base + 64 * 1024).unwrap();
        let mut s = m.ascending();
        s.set(base);
        s.set(base + 63 * WORD);
        assert_eq!(m.raw_word(0), 0, "gathered, not set yet");
        m.set(base + 8 * WORD);
        s.set(base + 64 * WORD);
        assert_eq!(m.raw_word(0), 1 | (1 << 8) | (1 << 63));
        assert_eq!(m.raw_word(1), 0);
        s.flush();
        assert_eq!(m.raw_word(1), 1);
        s.set(base + 200 * WORD);
        drop(s);
        assert_eq!(m.raw_word(3), 1 << 8);
    }

    #[test]
    fn set_range_scan_and_clear() {
        let base = 1 << 20;
        for m in [
            Bitmap::new(base..base + 64 * 1024).unwrap(),
            Bitmap::with_side_words(base..base + 64 * 1024).unwrap(),
        ] {
            set_range_scan_and_clear_in(base, &m);
        }
    }

    fn set_range_scan_and_clear_in(base: usize, m: &Bitmap) {
        assert!(!m.set(base + 8));
        assert!(m.set(base + 8));
        m.set_range(base + 504..base + 1040);
        assert_eq!(m.raw_word(0), (1 << 1) | (1 << 63));
        assert_eq!(m.raw_word(1), !0);
        assert_eq!(m.raw_word(2), 0b11);
        assert_eq!(m.next_set(base + 16, base + 4096), Some(base + 504));
        assert_eq!(m.next_set(base + 1048, base + 4096), None);
        assert_eq!(m.next_clear(base + 8, base + 4096), Some(base + 16));
        assert_eq!(m.next_clear(base + 504, base + 4096), Some(base + 1040));
        assert_eq!(m.next_clear(base + 504, base + 1040), None);
        assert_eq!(m.prev_set(base + 500, base), Some(base + 8));
        assert_eq!(m.prev_set(base + 2000, base), Some(base + 1032));
        assert_eq!(m.prev_set(base, base), None);
        m.set_range(base + 64..base + 72);
        assert_eq!(m.raw_word(0).count_ones(), 3);
        m.clear(base + 512..base + 1024);
        assert_eq!(m.raw_word(1), 0);
        assert_eq!(m.next_set(base, base + 64 * 1024), Some(base + 8));
        m.clear_all();
        assert_eq!(m.next_set(base, base + 64 * 1024), None);
    }

    /// Side words keep what is written to them, beside bits set and cleared
    /// in their bitmap words and their neighbours'; a clear of whole
    /// bitmap words zeroes their side words, not those of the words it
    /// leaves.
    #[test]
    fn side_words_sit_beside_their_bitmap_words() {
        let base = 1 << 20;
        let words = 64 * 1024 / WORD / BITS;
        let m = Bitmap::with_side_words(base..base + 64 * 1024).unwrap();
        m.commit(base..base + 64 * 1024).unwrap();
        let side = |i: usize| {
            // SAFETY: a side word of `m`, which only this thread uses.
            unsafe { m.side_word(i).read() }
        };
        for i in 0..words {
            // SAFETY: as above.
            unsafe { m.side_word(i).write(!(i as u32)) };
        }
        m.set_range(base..base + 64 * 1024);
        for i in 0..words {
            assert_eq!((m.raw_word(i), side(i)), (!0, !(i as u32)), "word {i}");
        }
        // Words 2 and 3 whole, and the upper half of word 4.
        m.clear(base + 2 * 512..base + 4 * 512);
        m.clear_exact(base + 4 * 512 + 256..base + 5 * 512);
        assert_eq!((m.raw_word(1), side(1)), (!0, !1));
        assert_eq!((m.raw_word(2), side(2)), (0, 0));
        assert_eq!((m.raw_word(3), side(3)), (0, 0));
        assert_eq!((m.raw_word(4), side(4)), (!0 >> 32, !4));
        assert_eq!((m.raw_word(5), side(5)), (!0, !5));
        assert_eq!(m.next_clear(base, base + 64 * 1024), Some(base + 2 * 512));
        assert_eq!(
            m.next_set(base + 2 * 512, base + 64 * 1024),
            Some(base + 4 * 512)
        );
    }

    /// What `commit` made resident is resident, a range committed already
    /// is committed again without error, and after `clear_all` a commit
    /// makes the storage resident again (it is not taken as committed).
    #[test]
    fn committed_storage_is_resident_until_cleared_whole() {
        let base = 1 << 30;
        let m = Bitmap::new(base..base + (256 << 20)).unwrap();
        let size = m.storage.size();
        let missing = |m: &Bitmap| {
            let mut pages = 0;
            m.storage
                .missing_runs(0, size, |run| pages += run.len() / gc_uffd::page_size())
                .unwrap();
            pages
        };
        let all = size / gc_uffd::page_size();
        assert_eq!(missing(&m), all);
        // The words of the second 64 MiB: a quarter of the storage.
        m.commit(base + (64 << 20)..base + (128 << 20)).unwrap();
        assert_eq!(missing(&m), all - all / 4);
        m.commit(base + (64 << 20)..base + (96 << 20)).unwrap();
        m.commit(base..base + (128 << 20)).unwrap();
        assert_eq!(missing(&m), all / 2);
        m.clear_all();
        assert_eq!(missing(&m), all);
        m.commit(base + (64 << 20)..base + (128 << 20)).unwrap();
        assert_eq!(missing(&m), all - all / 4);
    }
}
