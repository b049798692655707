//! Reference-free objects whose pages move unread.
//!
//! A reference-free object (bytes, words, a fixed type without slots) of
//! [`Spaces::unread_min`] bytes or more is allocated with its body (what
//! follows the one-word header) on a page boundary
//! ([`Spaces::claim_unread`]), so its body pages hold its bytes alone.
//! Marking notes those it finds live ([`Spaces::note_unread`]). Before the
//! plan, [`Spaces::pad_unread`] keeps dead words below each such object as
//! fillers (counted live, so copied with the objects around them) until its
//! post-compact address lies a whole number of pages below its old one; the
//! compaction then moves each to-space page the body wholly covers from its
//! source page with `UFFDIO_MOVE`, reading and writing none of it
//! ([`Plan::unread_source`]). The body of such an object starts page-aligned
//! again after the move, so it keeps its pages of its own cycle after cycle.

use std::cell::UnsafeCell;
use std::ops::Range;
use std::sync::atomic::Ordering;

use super::{Plan, PlanParts, Spaces};
use crate::object::{Header, WORD};

/// To-space pages a compaction moves unread: `to..end` (page-aligned), each
/// from `dist` bytes above (a whole number of pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnreadRun {
    /// The first to-space page.
    pub to: usize,
    /// The end of the last.
    pub end: usize,
    /// How far above each page its source lies.
    pub dist: usize,
}

/// What [`Spaces::pad_unread`] found and kept.
#[derive(Debug, Default)]
pub struct Padding {
    /// The candidates, `(address, size)`, in address order.
    pub objects: Vec<(usize, usize)>,
    /// Dead bytes kept as fillers so that they move a whole number of pages.
    pub padded: usize,
    /// Candidates that needed padding and got it.
    pub aligned: usize,
    /// Candidates that needed more dead bytes below them than there were.
    pub short: usize,
}

/// The runs of the current cycle, sorted, disjoint. Written by the
/// collecting thread alone while no plan made [`Plan::unreading`] is in use.
#[derive(Debug, Default)]
pub(super) struct UnreadRuns(UnsafeCell<Box<[UnreadRun]>>);

// SAFETY: written only under `Spaces::set_unread`'s contract (no reader
// meanwhile); readers only read.
unsafe impl Sync for UnreadRuns {}

/// Whole pages the body of an object at `addr` of `size` bytes holds alone
/// once it lies at `to`, a whole number of pages below `addr` (or at it).
pub(super) fn body_pages(to: usize, size: usize, page: usize) -> Range<usize> {
    let first = (to + WORD).next_multiple_of(page);
    let end = ((to + size) / page * page).max(first);
    first..end
}

/// Where to take `need` bytes from the dead `gaps` (in address order): from
/// the highest down, the top part of each, so the gaps nearest the object
/// carry the padding. `None` when the gaps hold fewer bytes.
pub(super) fn take_from_gaps(gaps: &[Range<usize>], need: usize) -> Option<Vec<Range<usize>>> {
    if gaps.iter().map(|g| g.len()).sum::<usize>() < need {
        return None;
    }
    let mut left = need;
    let mut taken = Vec::new();
    for gap in gaps.iter().rev() {
        if left == 0 {
            break;
        }
        let take = left.min(gap.len());
        taken.push(gap.end - take..gap.end);
        left -= take;
    }
    Some(taken)
}

impl Spaces {
    /// Places reference-free objects of `bytes` or more with their body on a
    /// page boundary, to move unread; `usize::MAX` turns it off.
    pub fn set_unread_min(&self, bytes: usize) {
        self.unread_min.store(bytes, Ordering::Relaxed);
    }

    /// The size from which reference-free objects get pages of their own.
    #[inline(always)]
    pub fn unread_min(&self) -> usize {
        self.unread_min.load(Ordering::Relaxed)
    }

    /// Claims `size` zeroed bytes of the moving space for a reference-free
    /// object whose body starts on a page boundary, calling `place` first as
    /// [`claim`](Self::claim) does. The gap below it (under a page) is
    /// covered with a filler. Returns the gap's start and the object's.
    pub fn claim_unread(
        &self,
        size: usize,
        place: impl FnOnce(Range<usize>),
    ) -> Option<(usize, usize)> {
        let page = gc_uffd::page_size();
        let (gap, addr) = self.moving.claim_aligned(size, page, WORD)?;
        place(gap..addr + size);
        self.zero(gap..addr + size);
        if gap < addr {
            // SAFETY: claimed by the caller alone, and zeroed: no object there.
            unsafe { Header::write_filler(gap, addr) };
        }
        Some((gap, addr))
    }

    /// After marking set the object at `addr` (`size` bytes, `header`):
    /// notes it if its pages may move unread. One compare for most objects.
    #[inline(always)]
    pub fn note_unread(&self, addr: usize, size: usize, header: Header) {
        if size < self.unread_min() {
            return;
        }
        let page = gc_uffd::page_size();
        if (addr + WORD) % page == 0 && self.in_moving(addr) && !self.types.has_slots(header) {
            let p = (addr - self.moving.start()) / page;
            self.unread_pages.note(p, p);
        }
    }

    /// Keeps dead words below the objects marking noted
    /// ([`note_unread`](Self::note_unread)) as fillers, so that each moves
    /// a whole number of pages in the plan made next from the same bitmaps,
    /// where it has the dead bytes for it between itself and the last such
    /// object below: under a page each. `plan` is the plan from the bitmaps
    /// as marking left them; `cut` as for [`fill_dead`](Self::fill_dead).
    /// Forgets the noted objects of the planned range.
    ///
    /// # Safety
    /// As for [`fill_dead`](Self::fill_dead): marking is complete, and
    /// nothing reads or writes the dead words from the plan's base to its
    /// black line.
    pub unsafe fn pad_unread(&self, plan: &Plan<'_>, cut: usize) -> Padding {
        let page = gc_uffd::page_size();
        let start = self.moving.start();
        let (base, black) = (plan.base(), plan.black());
        let mut padding = Padding::default();
        let pages = (base - start) / page..(black.saturating_sub(start)).div_ceil(page);
        let min = self.unread_min();
        self.unread_pages.take(pages, |p| {
            let addr = start + (p + 1) * page - WORD;
            if addr < base || addr >= black || !self.mark.is_set(addr) {
                return;
            }
            // SAFETY: a marked object's header, which marking read.
            let header = Header(unsafe { (addr as *const u64).read() });
            match self.types.size_of(header) {
                Some(size) if size >= min && !self.types.has_slots(header) => {
                    padding.objects.push((addr, size));
                }
                _ => {}
            }
        });
        let mut extra = 0;
        let mut floor = base;
        let mut gaps = Vec::new();
        for &(addr, size) in &padding.objects {
            let below = floor;
            floor = addr + size;
            if addr < plan.dense_end() {
                continue;
            }
            let need = (addr - (plan.forward(addr) + extra)) % page;
            if need == 0 {
                continue;
            }
            gaps.clear();
            let mut at = below;
            while let Some(gap) = self.live.next_clear(at, addr) {
                let end = self.live.next_set(gap, addr).unwrap_or(addr);
                gaps.push(gap..end);
                at = end;
            }
            let Some(taken) = take_from_gaps(&gaps, need) else {
                padding.short += 1;
                continue;
            };
            for range in taken {
                // SAFETY: dead words, as the caller guarantees.
                unsafe { self.fill_dead(range, cut) };
            }
            extra += need;
            padding.padded += need;
            padding.aligned += 1;
        }
        padding
    }

    /// Sets the to-space pages the cycle moves unread: the body pages of
    /// those of `objects` that `plan` moves a whole number of pages (or not
    /// at all, above its dense prefix), for the plans
    /// [`Plan::unreading`] makes from now on. Returns the pages.
    ///
    /// # Safety
    /// No plan from [`Plan::unreading`] (nor its parts) may be in use.
    pub unsafe fn set_unread(&self, plan: &Plan<'_>, objects: &[(usize, usize)]) -> usize {
        let page = gc_uffd::page_size();
        let runs: Vec<UnreadRun> = objects
            .iter()
            .filter(|&&(addr, _)| addr >= plan.dense_end() && addr < plan.black())
            .filter_map(|&(addr, size)| {
                let to = plan.forward(addr);
                let dist = addr - to;
                let body = body_pages(to, size, page);
                (dist % page == 0 && !body.is_empty()).then_some(UnreadRun {
                    to: body.start,
                    end: body.end,
                    dist,
                })
            })
            .collect();
        debug_assert!(runs.windows(2).all(|w| w[0].end <= w[1].to));
        let pages = runs.iter().map(|r| (r.end - r.to) / page).sum();
        // SAFETY: no reader, as the caller guarantees.
        unsafe { *self.unread.0.get() = runs.into_boxed_slice() };
        pages
    }

    /// Forgets the pages to move unread (a cycle that moves none).
    ///
    /// # Safety
    /// As for [`set_unread`](Self::set_unread).
    pub unsafe fn clear_unread(&self) {
        // SAFETY: no reader, as the caller guarantees.
        unsafe { *self.unread.0.get() = Box::default() };
    }

    fn unread_runs(&self) -> &[UnreadRun] {
        // SAFETY: only `set_unread` writes it, while nothing reads it.
        unsafe { &*self.unread.0.get() }
    }
}

impl<'a> Plan<'a> {
    /// The plan that moves the pages [`Spaces::set_unread`] set unread:
    /// from now until the next `set_unread`, they must stay as they are.
    pub fn unreading(self) -> Self {
        let runs = self.spaces.unread_runs();
        let (from, span) = match (runs.first(), runs.last()) {
            (Some(first), Some(last)) => (first.to, last.end - first.to),
            _ => (0, 0),
        };
        Plan {
            p: PlanParts {
                unread_from: from,
                unread_span: span,
                ..self.p
            },
            ..self
        }
    }

    /// The runs of pages this plan moves unread.
    pub fn unread_runs(&self) -> &'a [UnreadRun] {
        if self.p.unread_span == 0 {
            return &[];
        }
        self.spaces.unread_runs()
    }

    /// The source of to-space page `page` if it is moved unread: a page
    /// of a reference-free object's body, a whole number of pages above.
    #[inline]
    pub fn unread_source(&self, page: usize) -> Option<usize> {
        if page.wrapping_sub(self.p.unread_from) >= self.p.unread_span {
            return None;
        }
        let runs = self.unread_runs();
        let i = runs.partition_point(|r| r.to <= page).checked_sub(1)?;
        let r = runs[i];
        (page < r.end).then_some(page + r.dist)
    }

    /// Whether the page at `page` (an old address) is the source of a page
    /// moved unread: it leaves the shadow whole, and is no buffer.
    pub fn is_unread_source(&self, page: usize) -> bool {
        let runs = self.unread_runs();
        let i = runs.partition_point(|r| r.to + r.dist <= page);
        i.checked_sub(1)
            .is_some_and(|i| page < runs[i].end + runs[i].dist)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::types::{TypeDescriptor, TypeTable};

    #[test]
    fn body_pages_are_those_the_body_wholly_covers() {
        let page = 4096;
        // Header ending a page: every whole page of the body.
        assert_eq!(body_pages(page - 8, 8 + 3 * page, page), page..4 * page);
        assert_eq!(body_pages(page - 8, 8 + 3 * page - 8, page), page..3 * page);
        // A body of under a page covers none.
        assert!(body_pages(page - 8, 8 + page - 8, page).is_empty());
        // A header elsewhere: the pages after the first boundary.
        assert_eq!(body_pages(16, 3 * page, page), page..3 * page);
    }

    #[test]
    fn padding_comes_from_the_highest_gaps_first() {
        let gaps = [0x100..0x200, 0x400..0x480, 0x900..0xa00];
        assert_eq!(
            take_from_gaps(&gaps, 0x140),
            Some(vec![0x900..0xa00, 0x440..0x480])
        );
        let top: Vec<Range<usize>> = std::iter::once(0x980..0xa00).collect();
        assert_eq!(take_from_gaps(&gaps, 0x80), Some(top));
        assert_eq!(take_from_gaps(&gaps, 0x281), None);
        assert_eq!(take_from_gaps(&gaps, 0x280).map(|t| t.len()), Some(3));
    }

    /// Byte arrays with pages of their own among small objects, some of
    /// each dead: after padding every live array with the dead bytes below
    /// it for it lies a whole number of pages below where it was (or where
    /// it was), keeping under a page of dead bytes each; its body pages are the plan's pages moved unread,
    /// from their own old pages; and the plan without padding would have
    /// moved most of them by a part of a page. Walking the padded range by
    /// headers meets only live objects and fillers.
    #[test]
    fn padding_keeps_each_array_a_whole_number_of_pages_from_its_destination() {
        const SMALL: usize = 48;
        const LEN: usize = 3 * 4096 + 104;
        let types = TypeTable::new();
        let small = types
            .register(TypeDescriptor::fixed("small", SMALL, &[], &[]))
            .unwrap();
        let bytes = types.register(TypeDescriptor::bytes("bytes")).unwrap();
        let spaces = Spaces::new(64 << 20, Arc::new(types)).unwrap();
        let page = gc_uffd::page_size();
        spaces.set_unread_min(page + WORD);
        let mut objs = Vec::new();
        for i in 0..300 {
            for _ in 0..i % 7 {
                let a = spaces.claim(SMALL, |_| {}).unwrap();
                // SAFETY: fresh memory of ours.
                unsafe { (a as *mut u64).write(Header::new(small.0, 0).0) };
                objs.push((a, SMALL, false));
            }
            let (_, a) = spaces.claim_unread(WORD + LEN, |_| {}).unwrap();
            assert_eq!((a + WORD) % page, 0);
            // SAFETY: fresh memory of ours.
            unsafe { (a as *mut u64).write(Header::new(bytes.0, LEN as u32).0) };
            objs.push((a, WORD + LEN, true));
        }
        let (start, top) = (spaces.moving().start(), spaces.moving().top());
        spaces.clear_marks(start..top, top);
        let mut live = Vec::new();
        for (k, &(a, size, array)) in objs.iter().enumerate() {
            if k % 3 != 1 {
                assert!(spaces.mark(a, size));
                // SAFETY: the header written above.
                let header = Header(unsafe { (a as *const u64).read() });
                spaces.note_unread(a, size, header);
                live.push((a, size, array));
            }
        }
        let unpadded = spaces.plan(start, top);
        let misplaced = live
            .iter()
            .filter(|&&(a, _, array)| array && (a - unpadded.forward(a)) % page != 0)
            .count();
        assert!(misplaced > 50, "{misplaced}");
        // SAFETY: the unmarked words are dead, and nothing else reads them.
        let padding = unsafe { spaces.pad_unread(&unpadded, start) };
        // The dead bytes since the last array aligned always suffice.
        let arrays = live.iter().filter(|l| l.2).count();
        assert_eq!(padding.short, 0);
        assert_eq!(padding.objects.len(), arrays);
        assert!(padding.padded < arrays * page);
        let plan = spaces.plan(start, top);
        assert_eq!(
            plan.new_top(),
            unpadded.new_top() + padding.padded,
            "the padding is all the plan keeps more"
        );
        // SAFETY: no plan reads the table yet.
        let pages = unsafe { spaces.set_unread(&plan, &padding.objects) };
        let plan = plan.unreading();
        // Those in the dense prefix stay, and their pages are moved back.
        let moving = live
            .iter()
            .filter(|l| l.2 && l.0 >= plan.dense_end())
            .count();
        assert!(moving > arrays / 2);
        assert_eq!(pages, moving * 3);
        for &(a, size, array) in &live {
            let to = plan.forward(a);
            if !array {
                continue;
            }
            if a < plan.dense_end() {
                assert_eq!(plan.unread_source(to + WORD), None);
                continue;
            }
            for p in body_pages(to, size, page).step_by(page) {
                assert_eq!(plan.unread_source(p), Some(p + (a - to)));
                assert!(plan.is_unread_source(p + (a - to)));
            }
            // The header's page and the tail's are built.
            assert_eq!(plan.unread_source(to / page * page), None);
            assert_eq!(plan.unread_source((to + size) / page * page), None);
        }
        // Walk the planned range: live objects and fillers only.
        let mut at = start;
        let mut k = 0;
        while at < top {
            // SAFETY: every object from the start to the top has its header
            // written (live, dead or a filler), and nothing overwrote them.
            let header = Header(unsafe { (at as *const u64).read() });
            let size = spaces.types().size_of(header).unwrap();
            assert!(size > 0);
            if spaces.is_marked(at) && header.type_id() != crate::object::FILLER {
                assert_eq!(at, live[k].0);
                k += 1;
            }
            at += size;
        }
        assert_eq!(k, live.len());
    }
}
