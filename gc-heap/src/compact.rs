//! Building a to-space page: the one piece of compaction every mode shares.
//!
//! A page is built from the live objects whose post-compact copies overlap it,
//! found with [`Plan::first_object`] and the mark bitmap: the part of each that
//! lands in the page is copied, and the references in that part are rewritten
//! to post-compact addresses. Where the old bytes are read from, and where the
//! page is written, is the caller's choice ([`PageSource`]): in place for the
//! stop-the-world slide, from the shadow mapping into a buffer page for
//! concurrent compaction.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::object::{Header, WORD};
use crate::spaces::{Plan, Spaces};
use crate::types::SlotKind;

/// A reference forwarded ahead of its page's build: the value a slot held,
/// and that value forwarded. `(0, 0)` for a word with nothing forwarded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Forwarded {
    /// The slot's value when it was forwarded.
    pub old: usize,
    /// Its post-compact address.
    pub new: usize,
}

/// Where the page builder reads an object's old bytes.
pub trait PageSource {
    /// The address holding the byte that was at old address `old`.
    fn old_bytes(&self, old: usize) -> usize;

    /// The header of the object that was at `old` and goes to `new`, when
    /// building the page that starts at `page_start`.
    fn header(&self, old: usize, new: usize, page_start: usize) -> Header;
}

/// The stop-the-world slide: pages are built in place, in address order.
///
/// Objects only slide down, so the old bytes a page needs lie at or after the
/// page, untouched yet; only the header of an object that starts on the
/// previous page may already be overwritten at its old address, and is read at
/// its new one, which that page's build wrote.
#[derive(Clone, Copy, Debug)]
pub struct InPlace;

impl PageSource for InPlace {
    #[inline(always)]
    fn old_bytes(&self, old: usize) -> usize {
        old
    }

    #[inline(always)]
    fn header(&self, old: usize, new: usize, page_start: usize) -> Header {
        let at = if new < page_start { new } else { old };
        // SAFETY: `at` holds this object's header: see the type's comment.
        Header(unsafe { (at as *const u64).read() })
    }
}

/// Concurrent compaction: the old bytes are in a shadow mapping `delta` bytes
/// from the heap, where every header stays intact until the cycle ends.
#[derive(Clone, Copy, Debug)]
pub struct Shadow {
    /// Shadow address minus heap address, wrapping (the shadow may lie below).
    pub delta: usize,
}

impl PageSource for Shadow {
    #[inline(always)]
    fn old_bytes(&self, old: usize) -> usize {
        old.wrapping_add(self.delta)
    }

    #[inline(always)]
    fn header(&self, old: usize, _new: usize, _page_start: usize) -> Header {
        // SAFETY: the shadow holds the object's old bytes, header included.
        Header(unsafe { (old.wrapping_add(self.delta) as *const u64).read() })
    }
}

/// What building one page did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageWork {
    /// Objects that start on the page.
    pub objects: usize,
    /// Objects that start on the page at a new address.
    pub moved: usize,
    /// Bytes copied to a different address.
    pub bytes_moved: usize,
}

impl Spaces {
    /// Rewrites the references held in the slots from the plan's base up to
    /// `end` (a page boundary at or below [`Plan::dense_end`]), where nothing
    /// moves: objects are walked by their headers, and only references to
    /// objects that move are rewritten. Their starts are recorded as old
    /// objects'. Pages from `end` up are then built with
    /// [`build_page`](Self::build_page), which finishes any object straddling `end`.
    ///
    /// Long-lived data settles at the bottom of the heap, so this is where most
    /// of a mature heap's objects are handled: a header read and a compare per slot.
    ///
    /// # Safety
    /// As for [`build_page`](Self::build_page).
    pub unsafe fn update_dense_prefix(&self, plan: &Plan<'_>, end: usize) -> usize {
        debug_assert!(end <= plan.dense_end());
        let types = self.types();
        let mut at = plan.base();
        let mut objects = 0;
        let mut starts = self.starts().ascending();
        while at < end {
            starts.set(at);
            // SAFETY: the dense prefix is a run of live objects; `at` is the start of one.
            let header = Header(unsafe { (at as *const u64).read() });
            let Some(size) = types.size_of(header) else {
                debug_assert!(false, "unknown type {} at {at:#x}", header.type_id());
                return objects;
            };
            types.for_each_slot_in(header, 0, end - at, |offset, kind| {
                // SAFETY: the slot lies inside this live object, below `end`.
                let value = unsafe { plan.rewrite_slot((at + offset) as *mut usize, kind) };
                plan.remember_placed(at + offset, value, kind);
            });
            objects += 1;
            at += size;
        }
        objects
    }

    /// Builds the to-space page starting at `page_start` into the page at
    /// `dst`, reading old bytes through `src`, and records the start of each
    /// object placed (they are old from now on).
    ///
    /// # Safety
    /// Marking and [`Spaces::plan`] must be complete and no mutator running on the
    /// moving space; `dst` must be a writable page that `src` does not read
    /// except where [`InPlace`]'s rules make that sound.
    pub unsafe fn build_page(
        &self,
        plan: &Plan<'_>,
        page_start: usize,
        src: &impl PageSource,
        dst: usize,
    ) -> PageWork {
        // SAFETY: as the caller guarantees.
        unsafe { self.build_page_memo(plan, page_start, src, dst, None) }
    }

    /// As [`build_page`](Self::build_page), taking the forwarding of each
    /// slot whose value is still the one `memo` holds for it from there
    /// ([`forward_ahead`](Self::forward_ahead)) instead of looking it up.
    ///
    /// # Safety
    /// As for [`build_page`](Self::build_page); `memo` must have been filled
    /// for this page with this plan's parts (the black line and the dense end
    /// as they are now).
    pub unsafe fn build_page_memo(
        &self,
        plan: &Plan<'_>,
        page_start: usize,
        src: &impl PageSource,
        dst: usize,
        memo: Option<&[Forwarded]>,
    ) -> PageWork {
        let page = gc_uffd::page_size();
        let page_end = (page_start + page).min(plan.new_top());
        let types = self.types();
        let mut work = PageWork::default();
        if page_start < plan.base() {
            // The base's page begins with old objects, which stay as they are.
            let from = src.old_bytes(page_start);
            if from != dst {
                // SAFETY: both are mapped pages; the old part is below the base.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        from as *const u8,
                        dst as *mut u8,
                        plan.base() - page_start,
                    )
                };
            }
        }
        let Some(mut old) = plan.first_object(page_start) else {
            return work;
        };
        let mut slots = Slots::new(plan, page_start, dst);
        slots.memo = memo;
        let mut starts = self.starts().ascending();
        let mut ahead = HeadersAhead::new(plan, old, src);
        let mut new = plan.forward(old);
        while new < page_end {
            ahead.step();
            let header = src.header(old, new, page_start);
            let Some(size) = types.size_of(header) else {
                debug_assert!(false, "unknown type {} at {old:#x}", header.type_id());
                return work;
            };
            let piece_start = new.max(page_start);
            let piece_end = (new + size).min(page_end);
            let at = dst + (piece_start - page_start);
            let from = src.old_bytes(old) + (piece_start - new);
            if new >= page_start {
                starts.set(new);
                work.objects += 1;
                if new != old {
                    work.moved += 1;
                }
            }
            if from != at {
                // SAFETY: both ranges are mapped heap memory; they may overlap when
                // sliding in place, which `copy` allows.
                unsafe {
                    std::ptr::copy(from as *const u8, at as *mut u8, piece_end - piece_start)
                };
                work.bytes_moved += piece_end - piece_start;
            }
            for (offset, kind) in types.slots_in(header, piece_start - new, piece_end - new) {
                // SAFETY: the slot lies in the piece just written to `dst`.
                unsafe { slots.push(new + offset - page_start, kind) };
            }
            match next_on_page(plan, old, new, size, page_end) {
                Some(next) => (old, new) = next,
                None => break,
            }
        }
        // SAFETY: every slot queued lies in a piece written to `dst`.
        unsafe { slots.flush() };
        work
    }
}

impl Spaces {
    /// Forwards, while the mutators still run, the references that the
    /// to-space page at `page` will hold to objects that move, into `memo`
    /// (one entry per word of the page; the others are left as they are),
    /// and returns how many it forwarded. The objects are read where they
    /// are now: on the page itself below the plan's dense end (nothing there
    /// moves), at their old addresses above it. The page's build then takes
    /// those from `memo` ([`build_page_memo`](Self::build_page_memo)) instead
    /// of looking each one up in the plan's metadata, a cache miss a
    /// reference: a page of references to random targets is most of a
    /// mutator's fault. A slot a mutator writes meanwhile holds another value
    /// at the build, which forwards that one: forwarding is a function of the
    /// value alone, for one plan. Only objects below the black line are
    /// forwarded here, and only pages they fill: the compaction pause extends
    /// the plan over those above.
    ///
    /// # Safety
    /// Marking and [`Spaces::plan`] must be complete, no compaction running,
    /// and `page` a whole page from the base's page up that ends at or below
    /// the plan's marked top. Mutators may run (slots and headers are read
    /// atomically).
    pub unsafe fn forward_ahead(
        &self,
        plan: &Plan<'_>,
        page: usize,
        memo: &mut [Forwarded],
    ) -> usize {
        let page_end = page + gc_uffd::page_size();
        debug_assert!(page >= plan.base() && page_end <= plan.marked_top());
        let types = self.types();
        let read = |at: usize| {
            // SAFETY: a word of a live object below the black line; mutators
            // may store to it, hence the atomic load.
            unsafe { (*(at as *const AtomicUsize)).load(Ordering::Relaxed) }
        };
        let Some(mut old) = plan.first_object(page) else {
            return 0;
        };
        let mut new = plan.forward(old);
        let mut queued = [(0usize, 0usize); BATCH];
        let mut len = 0;
        let mut forwarded = 0;
        let mut flush = |queued: &[(usize, usize)], memo: &mut [Forwarded]| {
            for &(w, old) in queued {
                if let Some(entry) = memo.get_mut(w) {
                    *entry = Forwarded {
                        old,
                        new: plan.forward_planned(old),
                    };
                }
            }
            forwarded += queued.len();
        };
        while new < page_end {
            let header = Header(read(old) as u64);
            let Some(size) = types.size_of(header) else {
                debug_assert!(false, "unknown type {} at {old:#x}", header.type_id());
                break;
            };
            let from = new.max(page) - new;
            let to = (new + size).min(page_end) - new;
            types.for_each_slot_in(header, from, to, |offset, kind| {
                let value = read(old + offset);
                if plan.prefetch_forward(value, kind) {
                    queued[len] = ((new + offset - page) / WORD, value);
                    len += 1;
                    if len == BATCH {
                        flush(&queued, memo);
                        len = 0;
                    }
                }
            });
            match next_on_page(plan, old, new, size, page_end) {
                Some(next) => (old, new) = next,
                None => break,
            }
        }
        flush(&queued[..len], memo);
        forwarded
    }
}

impl Spaces {
    /// Rewrites the references of the large object at `obj` (with `header`)
    /// that lie on its page `page`, whose contents are at `dst`, and dirties
    /// the cards of those that then reference young objects, where the page
    /// lands: at `page` again, or at `page - obj + to` for an object that
    /// moves to `to` (its pages relink whole: nothing else changes). This is
    /// the page's whole build.
    ///
    /// # Safety
    /// Marking and [`Spaces::plan`] must be complete; `dst` must be a writable
    /// page holding `page`'s contents that nothing else reads or writes meanwhile.
    pub unsafe fn rewrite_large_page(
        &self,
        plan: &Plan<'_>,
        obj: usize,
        to: usize,
        header: Header,
        page: usize,
        dst: usize,
    ) {
        let from = page.max(obj) - obj;
        let end = page + gc_uffd::page_size() - obj;
        let mut slots = Slots::new(plan, page - obj + to, dst);
        self.types()
            .for_each_slot_in(header, from, end, |offset, kind| {
                // SAFETY: the slot lies on `page`, whose contents `dst` holds.
                unsafe { slots.push(obj + offset - page, kind) };
            });
        // SAFETY: every slot queued lies on `dst`'s page.
        unsafe { slots.flush() };
    }
}

impl Spaces {
    /// Rewrites the references to objects that move held by the old objects
    /// on `cards` (each listed once), as [`for_each_card_slot`] on each card
    /// with [`Plan::rewrite_slot`] on each slot, but with the lookups of the
    /// plan's metadata batched so that their cache misses overlap (a young
    /// cycle's remembered set can reference tens of thousands of young
    /// objects). Returns, for each card, whether one of its slots holds a
    /// value that `young` judges young afterwards.
    ///
    /// [`for_each_card_slot`]: Self::for_each_card_slot
    ///
    /// # Safety
    /// As for [`for_each_card_slot`], with no mutator running.
    pub unsafe fn rewrite_cards(
        &self,
        plan: &Plan<'_>,
        cards: &[usize],
        young: impl Fn(SlotKind, usize) -> bool,
    ) -> Vec<bool> {
        let mut holds_young = vec![false; cards.len()];
        let mut queued = [(0usize, 0usize, SlotKind::Ref, 0usize); BATCH];
        let mut len = 0;
        let flush = |queued: &[(usize, usize, SlotKind, usize)], holds_young: &mut [bool]| {
            for &(slot, value, kind, card) in queued {
                let new = plan.forward_planned(value);
                // SAFETY: an old object's slot, as the caller guarantees.
                unsafe { (slot as *mut usize).write(new) };
                holds_young[card] |= young(kind, new);
            }
        };
        for (i, &card) in cards.iter().enumerate() {
            // SAFETY: as the caller guarantees.
            unsafe {
                self.for_each_card_slot(card, |slot, kind| {
                    let value = (slot as *const usize).read();
                    if !plan.prefetch_forward(value, kind) {
                        let value = plan.rewrite_slot(slot as *mut usize, kind);
                        holds_young[i] |= young(kind, value);
                        return;
                    }
                    queued[len] = (slot, value, kind, i);
                    len += 1;
                    if len == BATCH {
                        flush(&queued, &mut holds_young);
                        len = 0;
                    }
                })
            };
        }
        flush(&queued[..len], &mut holds_young);
        holds_young
    }
}

/// The live object after the one of `size` bytes at `old` (to land at `new`)
/// that lands on the to-space page ending at `page_end`, as its old and new
/// addresses; `None` past the page.
fn next_on_page(
    plan: &Plan<'_>,
    old: usize,
    new: usize,
    size: usize,
    page_end: usize,
) -> Option<(usize, usize)> {
    let new = new + size;
    if new >= page_end {
        // Past the last live object the next one may lie megabytes of bitmap
        // away: do not search for it.
        return None;
    }
    plan.next_live(old + size, new).map(|old| (old, new))
}

/// Objects whose headers a page build asks for ahead of the one it reads.
/// Each object's header tells its size, which finds the next object: one
/// miss after another where the live objects lie apart (the latency bench's
/// sliding pages: its largest share of the compaction thread's time).
const HEADERS_AHEAD: usize = 8;

/// The mark-bitmap cursor of a page build's header prefetches, kept
/// [`HEADERS_AHEAD`] objects ahead of the build. It stops at the first gap
/// it does not cross ([`Plan::next_marked_near`]) and at the black line,
/// above which the objects lie end to end, which the hardware prefetcher
/// follows.
struct HeadersAhead<'p, 'a, S> {
    plan: &'p Plan<'a>,
    src: &'p S,
    /// The last object asked for; `None` once stopped.
    at: Option<usize>,
}

impl<'p, 'a, S: PageSource> HeadersAhead<'p, 'a, S> {
    /// A cursor `HEADERS_AHEAD - 1` objects past `first`, the build's first object.
    fn new(plan: &'p Plan<'a>, first: usize, src: &'p S) -> Self {
        let mut ahead = HeadersAhead {
            plan,
            src,
            at: Some(first),
        };
        for _ in 1..HEADERS_AHEAD {
            ahead.step();
        }
        ahead
    }

    /// Asks for the header of the next object past the cursor.
    #[inline]
    fn step(&mut self) {
        if let Some(at) = self.at {
            self.at = self.plan.next_marked_near(at);
            if let Some(next) = self.at {
                crate::spaces::prefetch(self.src.old_bytes(next));
            }
        }
    }
}

/// References forwarded per batch: enough that the misses in flight cover the
/// memory latency (a line per reference; the prefetches queue behind the
/// core's line fill buffers), few enough that the lines prefetched first are
/// still cached when used. Measured (`page-build` bench, references to random
/// targets in 1 GiB, cold): 23.0–23.3 ns per reference with 32, 19.7–20.7
/// with 64, 19.3–19.5 with 128, 19.7–19.9 with 256. With the loop as it is
/// now, 128 measured 17.8–18.8 against 64's 18.9–19.9 there, but in the
/// latency bench unthrottled (three interleaved runs each) 41–44% of the
/// dense-page faults took under 10 µs against 52–53%, and 5–9% fewer
/// operations a second.
const BATCH: usize = 64;

/// The reference slots of a page being built, rewritten so that the cache
/// misses of their lookups overlap: a slot whose target needs the plan's
/// metadata has that metadata prefetched and waits in a batch, which is
/// forwarded once full (or at the page's end); every other slot is done at
/// once. One reference after another, each waited for its own misses: on a
/// page of references to random targets in a large heap that was most of a
/// mutator's fault.
struct Slots<'p, 'a> {
    plan: &'p Plan<'a>,
    page_start: usize,
    dst: usize,
    /// Byte offsets in the page, old values and kinds of the slots waiting.
    queued: [(usize, usize, SlotKind); BATCH],
    len: usize,
    /// The page's references forwarded ahead, one entry per word.
    memo: Option<&'p [Forwarded]>,
}

impl<'p, 'a> Slots<'p, 'a> {
    fn new(plan: &'p Plan<'a>, page_start: usize, dst: usize) -> Self {
        Slots {
            plan,
            page_start,
            dst,
            queued: [(0, 0, SlotKind::Ref); BATCH],
            len: 0,
            memo: None,
        }
    }

    /// Rewrites the slot at byte `offset` of the page, now or in the batch.
    ///
    /// # Safety
    /// The slot must lie in a piece of the page already written to `dst`, and
    /// nothing but this page's build write `dst` until [`flush`](Self::flush).
    #[inline(always)]
    unsafe fn push(&mut self, offset: usize, kind: SlotKind) {
        let slot = (self.dst + offset) as *mut usize;
        // SAFETY: the slot lies in `dst`'s page, as the caller guarantees.
        let value = unsafe { slot.read() };
        if let Some(&Forwarded { old, new }) = self.memo.and_then(|m| m.get(offset / WORD))
            && old == value
            && old != 0
        {
            // SAFETY: as above.
            unsafe { slot.write(new) };
            self.plan
                .remember_placed(self.page_start + offset, new, kind);
            return;
        }
        if !self.plan.prefetch_forward(value, kind) {
            // SAFETY: as above.
            let value = unsafe { self.plan.rewrite_slot(slot, kind) };
            self.plan
                .remember_placed(self.page_start + offset, value, kind);
            return;
        }
        // `len` is below BATCH here: the batch is flushed as it fills.
        if let Some(entry) = self.queued.get_mut(self.len) {
            *entry = (offset, value, kind);
            self.len += 1;
        }
        if self.len == BATCH {
            // SAFETY: as the caller guarantees.
            unsafe { self.flush() };
        }
    }

    /// Forwards the slots waiting, and records the cards of those that need it.
    ///
    /// # Safety
    /// As for [`push`](Self::push), for every slot waiting.
    #[inline(always)]
    unsafe fn flush(&mut self) {
        // Forwarding counts the live words below each target in its bitmap
        // word: one instruction with `popcnt`, which x86_64's baseline lacks,
        // a dozen without (page-build: 6.8 -> 5.7 ns a reference warm).
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the processor has `popcnt`; as the caller guarantees.
            return unsafe { self.flush_popcnt() };
        }
        // SAFETY: as the caller guarantees.
        unsafe { self.flush_any() }
    }

    /// [`flush`](Self::flush), compiled with `popcnt`.
    ///
    /// # Safety
    /// As for [`flush`](Self::flush), on a processor with `popcnt`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "popcnt")]
    unsafe fn flush_popcnt(&mut self) {
        // SAFETY: as the caller guarantees.
        unsafe { self.flush_any() }
    }

    /// [`flush`](Self::flush)'s work, on any processor.
    ///
    /// # Safety
    /// As for [`flush`](Self::flush).
    #[inline(always)]
    unsafe fn flush_any(&mut self) {
        for &(offset, value, kind) in &self.queued[..self.len] {
            let new = self.plan.forward_planned(value);
            // SAFETY: the slot lies in `dst`'s page, as `push`'s caller guarantees.
            unsafe { ((self.dst + offset) as *mut usize).write(new) };
            self.plan
                .remember_placed(self.page_start + offset, new, kind);
        }
        self.len = 0;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::cards::CARD;
    use crate::object::{FILLER, ObjRef};
    use crate::types::{TypeDescriptor, TypeId, TypeTable};

    /// Slides every third object out of a chain and checks the survivors are
    /// packed in order with their references rewritten, across many pages.
    #[test]
    fn sliding_in_place_packs_survivors_and_rewrites_references() {
        let types = TypeTable::new();
        let node = types
            .register(TypeDescriptor::fixed("node", 40, &[8], &[16]))
            .unwrap();
        let spaces = Spaces::new(64 << 20, Arc::new(types)).unwrap();
        const N: usize = 5000;
        let objs: Vec<usize> = (0..N)
            .map(|i| {
                // Alternate sizes with a filler so objects straddle pages at varied offsets.
                if i % 7 == 0 {
                    let gap = spaces.moving().claim(24).unwrap();
                    // SAFETY: fresh memory of ours.
                    unsafe { Header::write_filler(gap, gap + 24) };
                }
                let a = spaces.moving().claim(40).unwrap();
                // SAFETY: fresh memory of ours, 40 bytes.
                unsafe {
                    (a as *mut u64).write(Header::new(node.0, 0).0);
                    ((a + 24) as *mut usize).write(i);
                    ((a + 32) as *mut usize).write(!i);
                }
                a
            })
            .collect();
        let live: Vec<usize> = (0..N).filter(|i| i % 3 != 1).collect();
        for w in live.windows(2) {
            let obj = ObjRef::from_addr(objs[w[0]]).unwrap();
            // SAFETY: both are our objects.
            unsafe {
                obj.write_word(8, objs[w[1]]);
                obj.write_word(16, objs[w[1]] | 1);
            }
        }
        spaces.clear_marks(
            spaces.moving().start()..spaces.moving().top(),
            spaces.moving().top(),
        );
        for &i in &live {
            assert!(spaces.mark(objs[i], 40));
        }
        let plan = spaces.plan(spaces.moving().start(), spaces.moving().top());
        assert_eq!(plan.live_bytes(), live.len() * 40);
        let page = gc_uffd::page_size();
        let mut moved = 0;
        for p in (spaces.moving().start()..plan.new_top()).step_by(page) {
            // SAFETY: marking and planning are done, and nothing else runs.
            moved += unsafe { spaces.build_page(&plan, p, &InPlace, p) }.moved;
        }
        assert!(moved > live.len() / 2);
        let base = spaces.moving().start();
        for (k, &i) in live.iter().enumerate() {
            let obj = ObjRef::from_addr(base + k * 40).unwrap();
            // SAFETY: compacted objects of ours.
            unsafe {
                assert_eq!(obj.header().type_id(), node.0);
                assert_eq!(
                    (obj.read_word(24), obj.read_word(32)),
                    (i, !i),
                    "object {k}"
                );
                if k + 1 < live.len() {
                    assert_eq!(obj.read_word(8), base + (k + 1) * 40, "next of {k}");
                    let untouched = objs[live[k + 1]] | 1;
                    assert_eq!(
                        obj.read_word(16),
                        untouched,
                        "a tagged non-reference is left alone"
                    );
                }
            }
        }
    }

    /// A splitmix64 step.
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fills the slots of the object `(at, header, size)` at random: null,
    /// a tagged non-reference (in tagged slots), or one of `targets`.
    ///
    /// # Safety
    /// The object's `size` bytes at `at` must be ours to write.
    unsafe fn fill_slots(
        types: &TypeTable,
        (at, header, size): (usize, Header, usize),
        targets: &[usize],
        rng: &mut u64,
    ) {
        types.for_each_slot_in(header, 0, size, |offset, kind| {
            let value = match next(rng) % 8 {
                0 => 0,
                1 if kind == SlotKind::Tagged => (next(rng) as usize) | 1,
                _ => targets[next(rng) as usize % targets.len()],
            };
            // SAFETY: the slot lies inside the object, as the caller guarantees.
            unsafe { ((at + offset) as *mut usize).write(value) };
        });
    }

    /// The types of [`random_heap`]'s objects.
    struct Layouts {
        /// A reference slot and a tagged one.
        pair: TypeId,
        refs: TypeId,
        tagged: TypeId,
        words: TypeId,
    }

    /// A 32 MiB heap with [`Layouts`]' types.
    fn random_heap_spaces() -> (Spaces, Layouts) {
        let types = TypeTable::new();
        let layouts = Layouts {
            pair: types
                .register(TypeDescriptor::fixed("pair", 32, &[8], &[16]))
                .unwrap(),
            refs: types
                .register(TypeDescriptor::array("refs", SlotKind::Ref))
                .unwrap(),
            tagged: types
                .register(TypeDescriptor::array("tagged", SlotKind::Tagged))
                .unwrap(),
            words: types.register(TypeDescriptor::words("words")).unwrap(),
        };
        (Spaces::new(32 << 20, Arc::new(types)).unwrap(), layouts)
    }

    /// A random heap for the page builds' tests: its objects as (address,
    /// header, size), which are live, the live ones that are not fillers, its
    /// black line and top.
    struct RandomHeap {
        objects: Vec<(usize, Header, usize)>,
        live: Vec<bool>,
        targets: Vec<usize>,
        black: usize,
        top: usize,
    }

    /// Allocates `before` objects of the layouts `layout` picks (a header
    /// and a size), then `after` above the black line; marks the first
    /// `prefix`, those above the line (live by construction, not marked) and
    /// a random half of the rest; fills every slot with null, a
    /// non-reference or a live object.
    fn random_heap(
        spaces: &Spaces,
        rng: &mut u64,
        (before, after, prefix): (usize, usize, usize),
        layout: impl Fn(&mut u64) -> (Header, usize),
    ) -> RandomHeap {
        let mut objects = Vec::new();
        let mut allocate = |rng: &mut u64| {
            let (header, size) = layout(rng);
            let at = spaces.claim(size, |_| {}).unwrap();
            // SAFETY: fresh memory of ours, `size` bytes.
            unsafe { (at as *mut u64).write(header.0) };
            objects.push((at, header, size));
        };
        for _ in 0..before {
            allocate(rng);
        }
        let black = spaces.moving().top();
        for _ in 0..after {
            allocate(rng);
        }
        let top = spaces.moving().top();
        let live: Vec<bool> = objects
            .iter()
            .enumerate()
            .map(|(i, &(at, ..))| at >= black || i < prefix || next(rng) % 2 == 0)
            .collect();
        let targets: Vec<usize> = objects
            .iter()
            .zip(&live)
            .filter(|&(&(_, h, _), &l)| l && h.type_id() != FILLER)
            .map(|(&(at, ..), _)| at)
            .collect();
        for &object in &objects {
            // SAFETY: an object of ours, as allocated above.
            unsafe { fill_slots(spaces.types(), object, &targets, rng) };
        }
        spaces.clear_marks(spaces.moving().start()..top, top);
        for (&(at, _, size), _) in objects
            .iter()
            .zip(&live)
            .filter(|&(o, &l)| l && o.0 < black)
        {
            assert!(spaces.mark(at, size));
        }
        RandomHeap {
            objects,
            live,
            targets,
            black,
            top,
        }
    }

    /// The batched page build against the plain per-slot forwarding, on a
    /// random heap: objects of every layout (pairs with a reference and a
    /// tagged slot, reference arrays up to three pages long, tagged arrays,
    /// word arrays, fillers), a live prefix that stays, a random half of the
    /// rest marked, objects allocated black, and references to all of them, to
    /// null and to non-references. Every to-space page, built into a buffer
    /// from the intact old heap, must equal the old live objects placed where
    /// the plan says with each reference slot `forward`ed; and the cards dirty
    /// must be exactly those holding an old slot that references a young object.
    #[test]
    fn batched_build_equals_forwarding_each_slot() {
        let (
            spaces,
            Layouts {
                pair,
                refs,
                tagged,
                words,
            },
        ) = random_heap_spaces();
        let types = spaces.types().clone();
        let page = gc_uffd::page_size();
        let mut rng = 0x0ddba11_u64;
        let RandomHeap {
            objects,
            live,
            black,
            top,
            ..
        } = random_heap(&spaces, &mut rng, (20_000, 2_000, 3_000), |rng| {
            match next(rng) % 16 {
                0 => {
                    let len = (next(rng) % (3 * page as u64 / 8)) as u32;
                    (Header::new(refs.0, len), 8 + 8 * len as usize)
                }
                1..=3 => {
                    let len = (next(rng) % 64) as u32;
                    (Header::new(refs.0, len), 8 + 8 * len as usize)
                }
                4 | 5 => {
                    let len = (next(rng) % 48) as u32;
                    (Header::new(tagged.0, len), 8 + 8 * len as usize)
                }
                6 => {
                    let len = (next(rng) % 24) as u32;
                    (Header::new(words.0, len), 8 + 8 * len as usize)
                }
                7 => {
                    let words = 1 + next(rng) % 8;
                    (Header::new(FILLER, words as u32), 8 * words as usize)
                }
                _ => (Header::new(pair.0, 0), 32),
            }
        });
        for &(at, header, _) in &objects {
            if header.type_id() == pair.0 {
                // SAFETY: the pair's data word.
                unsafe { ((at + 24) as *mut usize).write(next(&mut rng) as usize) };
            }
        }
        let plan = spaces.plan(spaces.moving().start(), black);
        // SAFETY: the objects from the black line up lie end to end.
        unsafe { spaces.mark_black(black..top) };
        // SAFETY: every object from the black line to the top is marked.
        let plan = unsafe { plan.with_top(top) };
        let base = spaces.moving().start();
        let promoted = plan.new_top() - (plan.new_top() - base) / 3;
        let plan = plan.promoting_to(promoted);
        assert!(plan.dense_end() > base && plan.dense_end() < plan.forward(black));

        let mut expected = vec![0usize; (plan.new_top() - base).next_multiple_of(page) / 8];
        let mut young_slots = Vec::new();
        let mut slots = 0;
        for (&(at, header, size), _) in objects.iter().zip(&live).filter(|&(_, &l)| l) {
            let new = plan.forward(at);
            for w in 0..size / 8 {
                // SAFETY: a word of this object of ours.
                expected[(new - base) / 8 + w] = unsafe { ((at + 8 * w) as *const usize).read() };
            }
            types.for_each_slot_in(header, 0, size, |offset, kind| {
                let word = &mut expected[(new + offset - base) / 8];
                if types.is_ref(kind, *word) {
                    *word = plan.forward(*word);
                    slots += 1;
                    if new + offset < promoted && *word >= promoted {
                        young_slots.push(new + offset);
                    }
                }
            });
        }
        assert!(slots > 100_000, "{slots} references");
        assert!(
            young_slots.len() > 1_000,
            "{} old-to-young",
            young_slots.len()
        );

        let mut built = vec![0usize; expected.len() + page / 8];
        let offset = built.as_ptr().align_offset(page);
        let built = &mut built[offset..offset + expected.len()];
        let mut placed = 0;
        for (i, dst) in built.chunks_exact_mut(page / 8).enumerate() {
            // SAFETY: marking and planning are done, nothing else runs, and
            // `dst` is a page of ours that the old objects do not overlap.
            let work = unsafe {
                spaces.build_page(
                    &plan,
                    base + i * page,
                    &Shadow { delta: 0 },
                    dst.as_mut_ptr() as usize,
                )
            };
            placed += work.objects;
        }
        assert_eq!(placed, live.iter().filter(|&&l| l).count());
        let words = (plan.new_top() - base) / 8;
        for (w, (b, e)) in built[..words].iter().zip(&expected[..words]).enumerate() {
            assert_eq!(b, e, "word {w} of the to-space ({:#x})", base + 8 * w);
        }
        for &slot in &young_slots {
            assert!(
                spaces.cards().is_dirty(slot),
                "old slot {slot:#x} references a young object"
            );
        }
        let dirty = (base..promoted.next_multiple_of(CARD))
            .step_by(CARD)
            .filter(|&c| spaces.cards().is_dirty(c))
            .count();
        young_slots.dedup_by_key(|s| *s / CARD);
        assert_eq!(dirty, young_slots.len(), "cards dirtied for nothing");
    }

    /// The batched card rewrite against [`Plan::rewrite_slot`] on each slot:
    /// old pairs and reference arrays (some straddling cards) reference young
    /// objects, half of them dead, old objects, null and non-references; the
    /// cards of a random third of the old objects are rewritten. Expected: a
    /// copy of the old generation rewritten slot by slot, and for each card
    /// whether a slot of it references a young object afterwards.
    #[test]
    fn batched_card_rewrite_equals_rewriting_each_slot() {
        let types = TypeTable::new();
        let pair = types
            .register(TypeDescriptor::fixed("pair", 32, &[8], &[16]))
            .unwrap();
        let refs = types
            .register(TypeDescriptor::array("refs", SlotKind::Ref))
            .unwrap();
        let spaces = Spaces::new(32 << 20, Arc::new(types)).unwrap();
        let types = spaces.types().clone();
        let mut rng = 0x5eed_u64;
        let alloc = |rng: &mut u64| {
            let (header, size) = if next(rng) % 4 == 0 {
                let len = (next(rng) % 200) as u32;
                (Header::new(refs.0, len), 8 + 8 * len as usize)
            } else {
                (Header::new(pair.0, 0), 32)
            };
            let at = spaces.claim(size, |_| {}).unwrap();
            // SAFETY: fresh memory of ours, `size` bytes.
            unsafe { (at as *mut u64).write(header.0) };
            (at, header, size)
        };
        let old: Vec<_> = (0..5_000).map(|_| alloc(&mut rng)).collect();
        let young_start = spaces.moving().top();
        spaces.set_young_start(young_start);
        let young: Vec<_> = (0..20_000).map(|_| alloc(&mut rng)).collect();
        let top = spaces.moving().top();
        let targets: Vec<usize> = old.iter().chain(&young).map(|o| o.0).collect();
        for &object in old.iter().chain(&young) {
            // SAFETY: an object of ours, as allocated above.
            unsafe { fill_slots(&types, object, &targets, &mut rng) };
        }
        for &(at, ..) in &old {
            spaces.starts().set(at);
        }
        spaces.clear_marks(young_start..top, top);
        for &(at, _, size) in &young {
            if next(&mut rng) % 2 == 0 {
                assert!(spaces.mark(at, size));
            }
        }
        let plan = spaces.plan(young_start, top);
        let mut cards: Vec<usize> = old
            .iter()
            .filter(|_| next(&mut rng) % 3 == 0)
            .map(|&(at, _, _)| spaces.cards().card_of(at))
            .collect();
        cards.sort_unstable();
        cards.dedup();
        let base = spaces.moving().start();
        let words = (young_start - base) / 8;
        // SAFETY: the old generation, ours, read as words.
        let mut expected: Vec<usize> =
            unsafe { std::slice::from_raw_parts(base as *const usize, words) }.to_vec();
        let original = expected.clone();
        let young_after =
            |kind: SlotKind, v: usize| v >= young_start && v < top && types.is_ref(kind, v);
        let mut expected_young = vec![false; cards.len()];
        for (i, &card) in cards.iter().enumerate() {
            // SAFETY: the old objects' headers are intact and their starts set.
            unsafe {
                spaces.for_each_card_slot(card, |slot, kind| {
                    let copy = &mut expected[(slot - base) / 8] as *mut usize;
                    expected_young[i] |= young_after(kind, plan.rewrite_slot(copy, kind));
                })
            };
        }
        assert_ne!(expected, original, "references were rewritten");
        assert!(
            expected_young.iter().filter(|&&y| y).count() > cards.len() / 2,
            "most cards reference young objects"
        );
        // SAFETY: as above, and nothing else runs.
        let young = unsafe { spaces.rewrite_cards(&plan, &cards, young_after) };
        assert_eq!(young, expected_young);
        // SAFETY: as above.
        let rewritten = unsafe { std::slice::from_raw_parts(base as *const usize, words) };
        for (w, (r, e)) in rewritten.iter().zip(&expected).enumerate() {
            assert_eq!(r, e, "old word {w} ({:#x})", base + 8 * w);
        }
    }

    /// References forwarded ahead of the pause, while mutators store, give
    /// the build they are taken into the same page as forwarding each slot at
    /// the build, on the dense prefix's pages and on those that slide: a slot
    /// stored to after the memo was made (another object, one allocated
    /// black, null) is forwarded from what it holds then.
    #[test]
    fn references_forwarded_ahead_build_the_same_pages() {
        let (
            spaces,
            Layouts {
                pair, refs, tagged, ..
            },
        ) = random_heap_spaces();
        let page = gc_uffd::page_size();
        let mut rng = 0xfeed_u64;
        let RandomHeap {
            objects,
            live,
            targets,
            black,
            top,
        } = random_heap(&spaces, &mut rng, (12_000, 1_000, 2_000), |rng| {
            match next(rng) % 8 {
                0 | 1 => {
                    let len = (next(rng) % 1_200) as u32;
                    (Header::new(refs.0, len), 8 + 8 * len as usize)
                }
                2 => {
                    let len = (next(rng) % 48) as u32;
                    (Header::new(tagged.0, len), 8 + 8 * len as usize)
                }
                _ => (Header::new(pair.0, 0), 32),
            }
        });
        let base = spaces.moving().start();
        let plan = spaces.plan(base, black);
        let dense_pages = (plan.dense_end() - base) / page;
        let pages: Vec<usize> = (base..plan.marked_top() / page * page)
            .step_by(page)
            .collect();
        assert!(dense_pages >= 8, "a dense prefix of {dense_pages} pages");
        assert!(
            pages.len() > dense_pages + 8,
            "{} pages slide",
            pages.len() - dense_pages
        );
        let mut memo = vec![Forwarded::default(); pages.len() * page / WORD];
        let mut forwarded = 0;
        for (&p, m) in pages.iter().zip(memo.chunks_exact_mut(page / WORD)) {
            // SAFETY: marking and planning are complete; `p` ends below the marked top.
            forwarded += unsafe { spaces.forward_ahead(&plan, p, m) };
        }
        let memoized = memo.iter().filter(|f| f.old != 0).count();
        let sliding = memo[dense_pages * page / WORD..]
            .iter()
            .filter(|f| f.old != 0)
            .count();
        assert!(forwarded > 1_000, "{forwarded} references forwarded ahead");
        assert!(sliding > 1_000, "{sliding} on pages that slide");
        // The mutators store after the memo, before the pause, to every third
        // reference slot of the live objects below the black line: other
        // objects, objects allocated black, null.
        let mut stores = 0;
        for (&(at, header, size), _) in objects
            .iter()
            .zip(&live)
            .filter(|&(o, &l)| l && o.0 < black)
        {
            spaces
                .types()
                .for_each_slot_in(header, 0, size, |offset, kind| {
                    stores += 1;
                    if kind != SlotKind::Ref || stores % 3 != 0 {
                        return;
                    }
                    let value = match stores % 9 {
                        0 => 0,
                        3 => objects[objects.len() - 1 - stores % 1_000].0,
                        _ => targets[stores % targets.len()],
                    };
                    // SAFETY: a reference slot of a live object of ours.
                    unsafe { ((at + offset) as *mut usize).write(value) };
                });
        }
        // SAFETY: the objects from the black line up lie end to end.
        unsafe { spaces.mark_black(black..top) };
        // SAFETY: every object from the black line to the top is marked.
        let plan = unsafe { plan.with_top(top) };
        let mut with = vec![0u8; 2 * page];
        let mut without = vec![0u8; 2 * page];
        let a = (with.as_mut_ptr() as usize).next_multiple_of(page);
        let b = (without.as_mut_ptr() as usize).next_multiple_of(page);
        // The heap is not written: every object is read where it is, as from
        // a shadow at no distance.
        let source = Shadow { delta: 0 };
        let mut taken = 0;
        for (&p, m) in pages.iter().zip(memo.chunks_exact(page / WORD)) {
            // SAFETY: nothing else runs; `a` and `b` are pages of ours that the
            // source does not read.
            unsafe {
                spaces.build_page_memo(&plan, p, &source, a, Some(m));
                spaces.build_page(&plan, p, &source, b);
            }
            // SAFETY: both are pages of ours, just built.
            let (x, y) = unsafe {
                (
                    std::slice::from_raw_parts(a as *const usize, page / WORD),
                    std::slice::from_raw_parts(b as *const usize, page / WORD),
                )
            };
            for (w, (x, y)) in x.iter().zip(y).enumerate() {
                assert_eq!(x, y, "page {p:#x} word {w}");
                if m[w].old != 0 && m[w].new == *x {
                    taken += 1;
                }
            }
        }
        assert!(
            taken > memoized / 2 && taken < memoized,
            "{taken} of {memoized} memoized references built as memoized: the stores \
             after the memo changed none or all"
        );
    }

    /// Objects allocated black (above the black line, marked by walking
    /// them) follow the marked survivors in order, with references from both
    /// sides rewritten, while garbage below the line is squeezed out.
    #[test]
    fn black_objects_slide_as_one_block_behind_the_marked_ones() {
        let types = TypeTable::new();
        let node = types
            .register(TypeDescriptor::fixed("node", 32, &[8], &[]))
            .unwrap();
        let spaces = Spaces::new(16 << 20, Arc::new(types)).unwrap();
        let alloc = |value: usize| {
            let a = spaces.moving().claim(32).unwrap();
            // SAFETY: fresh memory of ours, 32 bytes.
            unsafe {
                (a as *mut u64).write(Header::new(node.0, 0).0);
                ((a + 16) as *mut usize).write(value);
            }
            a
        };
        // Below the line: every other object is garbage.
        let old: Vec<usize> = (0..3000).map(alloc).collect();
        let black = spaces.moving().top();
        let young: Vec<usize> = (0..2000).map(|i| alloc(10_000 + i)).collect();
        // A filler at the end, as a retired TLAB leaves.
        let gap = spaces.moving().claim(48).unwrap();
        // SAFETY: fresh memory of ours.
        unsafe { Header::write_filler(gap, gap + 48) };
        let top = spaces.moving().top();
        let link = |from: usize, to: usize| {
            // SAFETY: both are our objects; slot 8 is a reference.
            unsafe { ObjRef::from_addr(from).unwrap().write_word(8, to) };
        };
        for (i, &o) in old.iter().enumerate().step_by(2) {
            link(o, young[i % young.len()]);
        }
        for (i, &y) in young.iter().enumerate() {
            link(y, old[(i * 2) % old.len()]);
        }
        spaces.clear_marks(spaces.moving().start()..top, top);
        for &o in old.iter().step_by(2) {
            assert!(spaces.mark(o, 32));
        }
        let plan = spaces.plan(spaces.moving().start(), black);
        // SAFETY: the young objects and the filler lie end to end from `black`.
        unsafe { spaces.mark_black(black..top) };
        // SAFETY: every object from the black line to the top is marked.
        let plan = unsafe { plan.with_top(top) };
        let base = spaces.moving().start();
        assert_eq!(plan.new_top(), base + 1500 * 32 + (top - black));
        let page = gc_uffd::page_size();
        for p in (base..plan.new_top()).step_by(page) {
            // SAFETY: marking and planning are done, and nothing else runs.
            unsafe { spaces.build_page(&plan, p, &InPlace, p) };
        }
        let young_at = |i: usize| base + 1500 * 32 + i * 32;
        for k in 0..1500 {
            let obj = ObjRef::from_addr(base + k * 32).unwrap();
            // SAFETY: compacted objects of ours.
            unsafe {
                assert_eq!(obj.read_word(16), 2 * k, "survivor {k}");
                assert_eq!(
                    obj.read_word(8),
                    young_at((2 * k) % 2000),
                    "survivor {k}'s reference"
                );
            }
        }
        for i in 0..2000 {
            let obj = ObjRef::from_addr(young_at(i)).unwrap();
            // SAFETY: as above.
            unsafe {
                assert_eq!(obj.read_word(16), 10_000 + i, "young {i}");
                assert_eq!(
                    obj.read_word(8),
                    base + ((i * 2) % 3000) / 2 * 32,
                    "young {i}'s reference"
                );
            }
        }
    }
}
