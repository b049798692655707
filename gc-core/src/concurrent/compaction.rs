//! One cycle's compaction, shared by the compaction thread and every
//! mutator's SIGBUS handler. Everything the handler touches is atomics,
//! immutable data and ioctls: it is async-signal-safe.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gc_heap::compact::Shadow;
use gc_heap::{Header, Plan, PlanParts, Spaces};
use gc_uffd::sigbus::FaultAction;
use gc_uffd::{MoveMode, Outcome, Placement, ThreadUsage, Wake};

use super::buffers::{BufferTables, Buffers};
use super::large::{LargeObject, LargePages};
use super::latency::Histogram;
use super::memo::Memo;
use super::old::OldPages;
use super::pages::{PageStates, StateTables};
use super::remap::Remapped;
use super::{Concurrent, PAGE};
use crate::heap::HeapInner;
use crate::stats::{CompactionStats, FaultKinds};

/// The most pages a compaction thread claims, builds and places as one run.
/// Each MOVE call flushes the moved entries from the TLBs of every other core
/// running the process (an IPI round the caller waits for, ~18 µs on the
/// project's VM), so longer runs cost less per page; [`RUN_TIME`] keeps them
/// short where pages are slow to build.
const RUN: usize = 64;

/// How long a run may take to build where a thread may wait for all of it:
/// a run of dense pages, which a mutator faulting on one of its pages waits
/// for whole, and a paced mutator's run, after which it goes back to its
/// allocation. Runs are sized from the time the thread's last runs of the
/// same kind took per page ([`RunCost`]).
const RUN_TIME: Duration = Duration::from_micros(150);

/// How long a compaction thread's run of sliding pages may take to build: a
/// mutator that waits for one of its pages has it placed ahead of the rest
/// (`PageStates::is_wanted`), after the page being built, so the run's
/// length costs no mutator its wait, and is bounded only so that a run of
/// pages slow to build frees its sources for recycling as the compaction
/// goes; most runs are [`RUN`] pages. Binary-trees 21 in Move mode, runs of
/// 150 µs against 600 µs (three interleaved runs each): 27,000–36,000 TLB
/// shootdowns against 15,000–18,000, system time 1.44–1.49 s against
/// 0.98–1.08 s; 300 µs against 2 ms (four each): 27–29 pages a MOVE call
/// against 30–32.
const SLIDING_RUN_TIME: Duration = Duration::from_millis(2);

/// The pages of a run before any of its kind was timed: what runs were
/// before they were sized by time.
const FIRST_RUN: usize = 16;

/// The longest run of hot pages (see [`Compaction::hot_runs`]) built and
/// placed together: the mutators are likely to touch these while they are
/// built, and one waits for the whole run.
const HOT_RUN: usize = 4;

/// The most sliding pages a mutator's fault builds when it continues a scan
/// up the heap (a fault on the page above those its last fault placed): the
/// pages it reads next. Runs double from one page, as the kernel's
/// read-ahead does. Binary-trees 21 reads the young trees it allocated while
/// a compaction slides them: 99% of its sliding-page faults (8,000–44,000 a
/// run) came right above the thread's last, each a signal, a build and a
/// COPY of ~5 µs. Bounded so that one fault takes a few tens of
/// microseconds (a page builds in 1–2 µs, and the run's MOVE costs a TLB
/// shootdown).
const FAULT_AROUND: usize = 32;
const _: () = assert!(
    FAULT_AROUND <= u64::BITS as usize,
    "a run's pages are bits of a u64"
);

/// How many pages up a thread builds, before moving a dense page, the pages
/// that read an object header from its shadow page (past that, it copies).
const CHAIN: usize = 4;

/// Mutators' first allocations after the pause get zero pages per claim; the
/// compaction thread places recycled pages for the allocations above this.
const ALLOCATION_SLACK: usize = 256 << 10;

/// Pages at the top of the old heap (where young garbage is) the pause scans
/// for free buffers, so that mutators faulting before the compaction thread
/// runs can move pages too: eight bitmap words a page, a few microseconds.
const PAUSE_SCAN: usize = 512;

/// The most pages moved in as allocation pages with one call.
const ALLOCATION_RUN: usize = 64;

/// Allocation pages the compaction thread keeps placed above the top during
/// a compaction (4 MiB: ten milliseconds of the latency bench's unthrottled
/// allocation; recycled buffers, resident already).
const PREPARED_LEAD: usize = 1024;

/// The share of the heap's size that the mutators' allocations may take as
/// fresh pages from the kernel during one compaction (1/128: 8 MiB of a
/// 1 GiB heap); beyond it, a claim that finds no shadow page to spare waits
/// for the compaction to recycle one (see `Pacer::wait_while`). The shadow
/// holds the old heap's garbage until the build frees it, and allocations
/// that took fresh pages meanwhile were memory the compaction gave back
/// later ("released early"): the latency bench, unthrottled, took 22,000
/// fresh pages in each compaction's first 50 ms and released as many. A
/// paced mutator needs few pages at a time and never waits for them.
const FRESH_SHARE: usize = 128;

/// Pages copied because MOVE met `EBUSY` on their run after which, if they
/// outnumber the pages moved, the rest of the cycle copies.
const BUSY_SWITCH: usize = 32;

/// What a compaction takes besides its plan: the pages outside the moving
/// space's compacted range whose references it rewrites after the pause, and
/// the references forwarded before it.
pub(crate) struct Outside {
    /// Large objects' pages.
    pub(crate) large: LargePages,
    /// Old pages holding a young cycle's dirty cards.
    pub(crate) old: OldPages,
    /// Dense pages' references forwarded before the pause.
    pub(crate) memo: Memo,
}

/// Where a compaction's pages of the moving space end.
pub(crate) struct Ends {
    /// The end of the pages that may be resident: every page from here up is
    /// missing.
    pub(crate) dirty: usize,
    /// The bytes above the new top kept resident for the allocations after
    /// the cycle ([`Governor::kept`](crate::policy::Governor::kept)).
    pub(crate) keep: usize,
}

/// Counters of one compaction.
#[derive(Default)]
struct Counts {
    /// The first page that could not be placed, and how the call that
    /// refused it ended (an [`outcome_code`]), for the error it logs.
    unplaced: AtomicUsize,
    unplaced_outcome: AtomicUsize,
    by_gc: AtomicUsize,
    by_helpers: AtomicUsize,
    by_assists: AtomicUsize,
    by_mutators: AtomicUsize,
    hot: AtomicUsize,
    moved: AtomicUsize,
    copied: AtomicUsize,
    /// Of `copied`, pages copied because MOVE met `EBUSY` on their run.
    busy: AtomicUsize,
    retries: AtomicUsize,
    without_buffer: AtomicUsize,
    move_calls: AtomicUsize,
    /// Pages placed ahead of the rest of their run, for a waiting thread.
    placed_early: AtomicUsize,
    /// Of `by_mutators`, pages built by a fault beyond the one it faulted on.
    faulted_around: AtomicUsize,
    #[cfg(feature = "fault-injection")]
    calls: AtomicUsize,
    allocation_pages: AtomicUsize,
    allocation_recycled: AtomicUsize,
    /// Of `allocation_recycled`, those the mutators' claims moved in.
    claims_recycled: AtomicUsize,
    released: AtomicUsize,
    zero_filled: AtomicUsize,
    objects_moved: AtomicUsize,
    bytes_moved: AtomicUsize,
    large_by_gc: AtomicUsize,
    large_by_mutators: AtomicUsize,
    old_by_mutators: AtomicUsize,
    /// Pages of moving large objects placed at their new addresses by MOVE.
    relinked: AtomicUsize,
    /// Of those, pages of objects without slots: moved from their old
    /// address, never read.
    relinked_unread: AtomicUsize,
    /// Pages of moving large objects that were never touched (holes), placed
    /// as zero pages.
    relink_holes: AtomicUsize,
    /// Of `relinked_unread`, the moving space's reference-free pages.
    unread_moving: AtomicUsize,
}

/// One cycle's compaction.
pub(crate) struct Compaction {
    /// Declared (so dropped) before `heap`: if this holds the heap's last
    /// reference, its SIGBUS range must go before its spaces are unmapped.
    machinery: Arc<Concurrent>,
    heap: Arc<HeapInner>,
    parts: PlanParts,
    /// The moving space from the plan's base up: registered, and covered by
    /// the SIGBUS range. Page indices count from its start.
    moving: Range<usize>,
    /// Where `moving` starts in the shadow reservation.
    shadow_offset: usize,
    /// The end of the pages kept resident for the allocations after the
    /// cycle: the new top plus what the policy keeps (the next budget, and
    /// what the mutators allocate while the next cycle marks).
    allocation_end: usize,
    /// The end of the pages that were resident: every page from here up is
    /// missing.
    dirty_end: usize,
    /// The pages moved out to the shadow; the others below `dirty_end` stay.
    remapped: Remapped,
    /// The pause published the free pages from here to `dirty_end`.
    paused_scan: usize,
    paused_free: usize,
    delta: usize,
    dense_pages: usize,
    pages: PageStates,
    /// Large objects whose slots are rewritten after the pause.
    large: LargePages,
    /// Old pages whose dirty cards' references are rewritten after the pause.
    old: OldPages,
    /// Dense pages' references forwarded before the pause.
    memo: Memo,
    buffers: Buffers,
    copy_only: AtomicBool,
    /// Pages from `prepared_from` to `prepared_to` were placed (zeroed) for
    /// allocations by the compaction thread: a claim there needs no call. A
    /// hint only: a page missing there still faults and is served.
    prepared_from: usize,
    prepared_to: AtomicUsize,
    /// Per part of the pages (see `split`), the top of the pages no builder
    /// has taken in a chunk yet (`usize::MAX`: the part's end).
    cursors: [AtomicUsize; 2],
    /// Scratch pages for paced mutators' runs, kept for the next.
    assist_scratch: parking_lot::Mutex<Vec<Box<[PageBuf]>>>,
    /// Which shadow pages were published, from the compaction thread's
    /// start to its end (idle before and after): a paced mutator's assist
    /// recycles behind the runs too, when that thread is not at it.
    producer: parking_lot::Mutex<Producer>,
    counts: Counts,
    faults: Histogram,
    /// The same by the kind of page faulted on.
    fault_kinds: FaultKinds<Histogram>,
}

/// A finished compaction's per-page tables, zero again, for the next one
/// (made with room for the whole moving space when there are none): its
/// pause then neither maps them nor faults their pages in. A young cycle's
/// compaction pause spent 35 of its 180 µs making its buffer queue's table
/// (binary-trees 21, medians).
pub(crate) struct SpareTables {
    states: StateTables,
    buffers: BufferTables,
}

impl Drop for Compaction {
    fn drop(&mut self) {
        let spare = SpareTables {
            states: self.pages.take_tables(),
            buffers: self.buffers.take_tables(),
        };
        *self.machinery.spare.lock() = Some(spare);
    }
}

/// A number for how a placement call ended, storable in an atomic from a
/// signal handler: 1 `EAGAIN`, 2 `EEXIST`, 3 `ENOENT`, 4 `EBUSY`, 5 other.
fn outcome_code(outcome: &Outcome) -> usize {
    match outcome {
        Outcome::Complete => 0,
        Outcome::Again => 1,
        Outcome::Exists => 2,
        Outcome::SourceHole => 3,
        Outcome::Busy => 4,
        Outcome::Failed(_) => 5,
    }
}

/// What [`Compaction::put_zeroed`] placed: pages, where the next goes, the
/// zeroed buffers left for it (first, count), and whether the call failed
/// (the cycle ending, or an error): then nothing more is placed.
struct ZeroedPut {
    placed: usize,
    next: usize,
    rest: Option<(usize, usize)>,
    failed: bool,
}

/// What [`Compaction::put`] placed: pages, in how many calls, and how it ended.
struct Put {
    pages: usize,
    calls: usize,
    outcome: Outcome,
}

/// Time the compaction thread accounts apart: preparing allocation pages
/// (its own), and the helper threads' CPU.
struct Spent {
    allocation_prep: Duration,
    helpers: Duration,
}

/// A thread's time to build and place a page, by kind (sliding, dense),
/// smoothed over its last runs, and how long its sliding runs may take: the
/// next run's length.
struct RunCost {
    /// Nanoseconds a page, sliding and dense; 0 until a run was timed.
    per_page: [u64; 2],
    /// [`SLIDING_RUN_TIME`] for a compaction thread's runs of the moving
    /// space, else [`RUN_TIME`].
    sliding_time: Duration,
}

impl RunCost {
    /// A thread's costs, none timed yet, its runs of sliding pages to take
    /// `sliding_time` (dense ones [`RUN_TIME`]).
    fn new(sliding_time: Duration) -> Self {
        RunCost {
            per_page: [0; 2],
            sliding_time,
        }
    }

    /// The pages of the next run of its kind: as many as build in its
    /// time, at least one and at most [`RUN`].
    fn pages(&self, dense: bool) -> usize {
        let time = if dense { RUN_TIME } else { self.sliding_time };
        match self.per_page[usize::from(dense)] {
            0 => FIRST_RUN,
            ns => {
                let fit = time.as_nanos() / u128::from(ns);
                usize::try_from(fit).unwrap_or(RUN).clamp(1, RUN)
            }
        }
    }

    /// Notes that a run of `n` pages of its kind took `took`.
    fn note(&mut self, dense: bool, n: usize, took: Duration) {
        let ns = u64::try_from(took.as_nanos() / n.max(1) as u128)
            .unwrap_or(u64::MAX)
            .max(1);
        let e = &mut self.per_page[usize::from(dense)];
        *e = if *e == 0 { ns } else { (3 * *e + ns) / 4 };
    }
}

/// Where a sliding page's contents come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// Built into a buffer page, moved in.
    Buffer,
    /// Built into the thread's scratch page, copied in.
    Scratch,
    /// Its source page in the shadow, moved in unread.
    Unread,
}

/// A page-aligned page, for building when no buffer page is free.
#[repr(C, align(4096))]
struct PageBuf([u8; PAGE]);

/// The compaction thread's own bookkeeping: which buffer pages it has
/// published so far.
struct Producer {
    /// The free-page scan has looked at every page below this.
    scan: usize,
    /// The pages of the objects marking found, built first, below the split
    /// (see [`Compaction::split`]).
    marked: Frontier,
    /// All to-space pages, from the top: the objects allocated black, then
    /// down through the marked ones' pages once those are mapped.
    top: Frontier,
    free: usize,
    recycled: usize,
}

/// Shadow pages recycled behind to-space pages built top down.
struct Frontier {
    /// Every to-space page from this index up to where the frontier began
    /// is mapped.
    mapped_from: usize,
    /// The shadow pages from here up to where the frontier began were
    /// published (or held no live data).
    recycled_from: usize,
}

/// Which [`Frontier`] of the [`Producer`].
#[derive(Clone, Copy)]
enum Side {
    Marked,
    Top,
}

impl Producer {
    /// Before the compaction thread starts and after it ends: its frontiers
    /// have mapped nothing, so they recycle nothing.
    fn idle() -> Producer {
        let none = || Frontier {
            mapped_from: 0,
            recycled_from: 0,
        };
        Producer {
            scan: 0,
            marked: none(),
            top: none(),
            free: 0,
            recycled: 0,
        }
    }

    fn frontier(&mut self, side: Side) -> &mut Frontier {
        match side {
            Side::Marked => &mut self.marked,
            Side::Top => &mut self.top,
        }
    }
}

impl Compaction {
    /// A compaction of the moving space from the plan's base (pages below
    /// `ends.dirty` hold anything) into the post-compact layout `plan`,
    /// reading old bytes from the shadow, at the same offset from its start
    /// as in the heap, where the pages `remapped` are moved.
    pub(super) fn new(
        heap: Arc<HeapInner>,
        machinery: Arc<Concurrent>,
        plan: &Plan<'_>,
        Ends {
            dirty: dirty_end,
            keep,
        }: Ends,
        remapped: Remapped,
        Outside { large, old, memo }: Outside,
        pinned: &[Range<usize>],
    ) -> gc_uffd::Result<Self> {
        let shadow_start = machinery.shadow.start();
        let heap_start = heap.spaces.moving().start();
        let start = plan.base_page();
        let moving = start..heap_start + heap.spaces.capacity();
        let delta = shadow_start.wrapping_sub(heap_start);
        let (states, buffer_tables) = match machinery.spare.lock().take() {
            Some(spare) => (spare.states, spare.buffers),
            None => {
                let room = moving.end.saturating_sub(heap_start) / PAGE;
                (StateTables::new(room)?, BufferTables::new(room)?)
            }
        };
        let buffers = Buffers::reusing(
            Some(buffer_tables),
            start.wrapping_add(delta)..dirty_end.wrapping_add(delta),
        )?;
        let paused_scan = dirty_end.saturating_sub(PAUSE_SCAN * PAGE).max(start);
        let paused_free = (paused_scan..dirty_end)
            .step_by(PAGE)
            .filter(|&p| {
                !plan.page_has_live(p)
                    && remapped.contains(p)
                    && buffers.push(p.wrapping_add(delta))
            })
            .count();
        let pages = PageStates::reusing(Some(states), (plan.new_top() - start).div_ceil(PAGE))?;
        // Pinned pages stay mapped: their references are rewritten in the pause.
        for p in pinned {
            for i in (p.start - start) / PAGE..((p.end - start) / PAGE).min(pages.len()) {
                pages.finish(i, true);
            }
        }
        let allocation_end = plan
            .new_top()
            .saturating_add(keep)
            .next_multiple_of(PAGE)
            .min(moving.end);
        Ok(Compaction {
            parts: plan.parts(),
            moving,
            shadow_offset: start - heap_start,
            allocation_end,
            dirty_end,
            remapped,
            paused_scan,
            paused_free,
            delta,
            dense_pages: (plan.dense_end() - start) / PAGE,
            pages,
            large,
            old,
            memo,
            buffers,
            copy_only: AtomicBool::new(false),
            prepared_from: (plan.new_top() + ALLOCATION_SLACK).next_multiple_of(PAGE),
            prepared_to: AtomicUsize::new(0),
            cursors: [AtomicUsize::new(usize::MAX), AtomicUsize::new(usize::MAX)],
            assist_scratch: parking_lot::Mutex::new(Vec::new()),
            producer: parking_lot::Mutex::new(Producer::idle()),
            counts: Counts::default(),
            faults: Histogram::new(),
            fault_kinds: FaultKinds {
                dense: Histogram::new(),
                sliding: Histogram::new(),
                large: Histogram::new(),
                old: Histogram::new(),
                allocation: Histogram::new(),
            },
            machinery,
            heap,
        })
    }

    fn concurrent(&self) -> &Concurrent {
        &self.machinery
    }

    fn spaces(&self) -> &Spaces {
        &self.heap.spaces
    }

    fn plan(&self) -> Plan<'_> {
        // SAFETY: the next marking waits for this compaction to finish.
        unsafe { self.spaces().plan_from(self.parts) }
    }

    fn page(&self, index: usize) -> usize {
        self.moving.start + index * PAGE
    }

    fn shadow(&self, addr: usize) -> usize {
        addr.wrapping_add(self.delta)
    }

    /// The range registered for missing faults with the moving space's
    /// pages: from the first old page rewritten after the pause (or the
    /// compaction's first page) to the space's end.
    pub(crate) fn registered(&self) -> Range<usize> {
        let first_old = self.old.clusters().first().map_or(usize::MAX, |c| c.start);
        first_old.min(self.moving.start)..self.moving.end
    }

    /// The old pages rewritten after the pause.
    pub(crate) fn old(&self) -> &OldPages {
        &self.old
    }

    /// The pages moved out to the shadow.
    pub(crate) fn remapped(&self) -> &Remapped {
        &self.remapped
    }

    /// The large objects this compaction rewrites.
    pub(crate) fn large(&self) -> &LargePages {
        &self.large
    }

    /// The SIGBUS handler's work: place the page holding `addr`.
    pub(super) fn on_fault(&self, addr: usize) -> FaultAction {
        let started = Instant::now();
        let page = addr & !(PAGE - 1);
        let kinds = &self.fault_kinds;
        let (resolved, kind) = if let Some(index) = self.old.page_index(page) {
            (self.on_old_fault(index), &kinds.old)
        } else if self.moving.contains(&page) {
            let index = (page - self.moving.start) / PAGE;
            let kind = if index < self.dense_pages {
                &kinds.dense
            } else if index < self.pages.len() {
                &kinds.sliding
            } else {
                &kinds.allocation
            };
            (self.on_moving_fault(page), kind)
        } else if let Some((_, index)) = self.large.page_index(page) {
            (self.on_large_fault(index), &kinds.large)
        } else if self.large.in_span(page) {
            // Watched with the moving objects' new pages: an untouched page
            // of a block that stays (a hole set aside is touched by no one),
            // which reads as zero. Placed, or present already, or the cycle is
            // ending (unregistered): the retried access succeeds.
            let _ = self.concurrent().uffd.zero_pages(page, PAGE, Wake::No);
            (true, &kinds.large)
        } else if self.registered().contains(&page) {
            // An old page between the clusters of old pages, registered with
            // them, that no one ever wrote (the body of a filler): it reads as
            // zero, and so does the zero page placed here.
            let _ = self.concurrent().uffd.zero_pages(page, PAGE, Wake::No);
            (true, &kinds.old)
        } else {
            // A fault an earlier cycle's registration raised, delivered late:
            // unregistered now, the retried access is an ordinary fault.
            return FaultAction::Resolved;
        };
        let took = started.elapsed();
        self.faults.record(took);
        kind.record(took);
        if resolved {
            FaultAction::Resolved
        } else {
            FaultAction::Forward
        }
    }

    /// A fault on old page `index`: rewrite and place it.
    fn on_old_fault(&self, index: usize) -> bool {
        let (mapped, mine) = self.old.states.serve(index, || self.build_old(index));
        if mine {
            self.counts.by_mutators.fetch_add(1, Ordering::Relaxed);
            self.counts.old_by_mutators.fetch_add(1, Ordering::Relaxed);
        }
        mapped
    }

    /// Rewrites old page `index`'s dirty cards in its shadow page, cleans
    /// those that then reference no young object, and copies the page back.
    fn build_old(&self, index: usize) -> bool {
        let plan = self.plan();
        let spaces = self.spaces();
        let types = spaces.types();
        let page = self.old.page_at(index);
        let young = spaces.young_start()..spaces.large().range().start;
        let header_at = |at: usize| {
            let from = if self.old.contains(at) {
                self.shadow(at)
            } else {
                at
            };
            // SAFETY: an old object's header: in the shadow for the clusters'
            // pages, which are copied back and so stay there until the end; in
            // place for the other old pages, which stay mapped.
            unsafe { (from as *const u64).read() }
        };
        for &(card, _) in self.old.cards_on(page) {
            let mut holds_young = false;
            let rewrite = |slot: usize, kind| {
                // SAFETY: the slot lies on `page`, whose contents are in its
                // shadow page, which only this page's claimer touches.
                let value = unsafe { plan.rewrite_slot(self.shadow(slot) as *mut usize, kind) };
                holds_young |= young.contains(&value) && types.is_ref(kind, value);
            };
            // SAFETY: the starts bitmap is current below the young start, and
            // `header_at` reads the old objects' headers.
            unsafe { spaces.for_each_card_slot_reading(card, header_at, rewrite) };
            // The page is not mapped yet: no mutator stores to this card until
            // it is, and a store then dirties and lists the card again.
            if !holds_young {
                spaces.cards().clean(card);
            }
        }
        self.copy(page, self.shadow(page), 1)
    }

    /// The compaction thread's old pages, one at a time: rewritten in their
    /// shadow pages and copied back.
    fn old_runs(&self) {
        for index in 0..self.old.states.len() {
            if !self.old.states.try_claim(index) {
                continue;
            }
            let ok = self.build_old(index);
            self.old.states.finish(index, ok);
            self.counts.by_gc.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A fault on large-object page `index`: rewrite and place it.
    fn on_large_fault(&self, index: usize) -> bool {
        let (mapped, mine) = self.large.states.serve(index, || self.build_large(index));
        if mine {
            self.counts.by_mutators.fetch_add(1, Ordering::Relaxed);
            self.counts
                .large_by_mutators
                .fetch_add(1, Ordering::Relaxed);
        }
        mapped
    }

    /// A fault on a page of the moving space.
    fn on_moving_fault(&self, page: usize) -> bool {
        let index = (page - self.moving.start) / PAGE;
        if index < self.pages.len() {
            let (mapped, mine) = self.pages.serve(index, || self.build_for_mutator(index));
            if mine {
                self.counts.by_mutators.fetch_add(1, Ordering::Relaxed);
            }
            mapped
        } else {
            let zeroed = self.zero_fill(page..page + PAGE);
            self.counts.zero_filled.fetch_add(zeroed, Ordering::Relaxed);
            // Zero pages placed, or the page exists already, or the cycle is
            // ending (its range unregistered): the retried access succeeds.
            true
        }
    }

    /// Places zero pages over `range` (pages above the new top), skipping
    /// pages already present. Returns the pages placed; stops early if the
    /// cycle is ending.
    fn zero_fill(&self, range: Range<usize>) -> usize {
        let c = self.concurrent();
        let zero = c.zero.start();
        let mut at = range.start;
        let mut placed = 0;
        while at < range.end {
            let len = (range.end - at).min(c.zero.size());
            let p = c.uffd.copy_pages(at, zero, len, Wake::No);
            at += p.placed;
            placed += p.placed / PAGE;
            match p.outcome {
                Outcome::Complete | Outcome::Again => {}
                Outcome::Exists => at += PAGE,
                // ENOENT or EINVAL: the range was unregistered as the cycle ended,
                // and these pages take ordinary faults now.
                _ => break,
            }
        }
        placed
    }

    /// Before a mutator allocates in `claim` (above the new top), places its
    /// missing pages with one call a stretch instead of a fault per page.
    pub(super) fn populate(&self, claim: Range<usize>) {
        let Range { mut start, end } = self.unprepared(claim);
        let (mut placed, mut recycled) = (0, 0);
        while let Some(missing) = self.remapped.next_missing(start..end, self.dirty_end) {
            let (reused, reused_to) = self.place_recycled(missing.clone());
            recycled += reused;
            placed += self.zero_fill(reused_to..missing.end);
            start = missing.end;
        }
        self.counts
            .allocation_pages
            .fetch_add(placed, Ordering::Relaxed);
        self.counts
            .allocation_recycled
            .fetch_add(recycled, Ordering::Relaxed);
        self.counts
            .claims_recycled
            .fetch_add(recycled, Ordering::Relaxed);
    }

    /// Whether a mutator's claim of `claim` now would take fresh pages beyond
    /// the compaction's share of them ([`FRESH_SHARE`]): some of its pages
    /// are missing, and, moving, no buffer is free beyond the builders'
    /// reserve. Copying, every page placed is fresh, the claims' and the
    /// builders' alike, and the shadow gives its pages back behind the
    /// builders: the claims may take the share and what the shadow gave back
    /// beyond the pages built. Not less: the dense pages built first (hot),
    /// whose shadow pages stay until the end, would hold up a paced mutator
    /// (docs/concurrent-compaction.md, *Copy mode's shadow*).
    pub(super) fn short_of_pages(&self, claim: Range<usize>) -> bool {
        let k = &self.counts;
        let fresh = k.allocation_pages.load(Ordering::Relaxed);
        let share = self.fresh_share();
        let short = if self.moves() {
            fresh >= share && self.buffers.available() <= self.builders_reserve()
        } else {
            let given_back = k.released.load(Ordering::Relaxed);
            fresh >= share + given_back.saturating_sub(k.copied.load(Ordering::Relaxed))
        };
        short
            && self
                .remapped
                .next_missing(self.unprepared(claim), self.dirty_end)
                .is_some()
    }

    /// The fresh pages the mutators' claims may take during this compaction
    /// ([`FRESH_SHARE`]).
    fn fresh_share(&self) -> usize {
        self.spaces().capacity() / FRESH_SHARE / PAGE
    }

    /// Whether free buffers beyond the builders' reserve would cover a
    /// claim of `bytes` with one call, moving: the next pages to be taken are
    /// contiguous in the shadow (what [`place_recycled`](Self::place_recycled)
    /// takes a stretch at a time: scattered buffers made a 256 KiB claim 64
    /// calls, up to 2 ms).
    pub(super) fn has_buffers_for(&self, bytes: usize) -> bool {
        let n = bytes.div_ceil(PAGE);
        self.moves()
            && self.buffers.available() >= self.builders_reserve() + n
            && self.buffers.run_ahead(n)
    }

    /// The pages of a mutator's `claim` (above the new top) that may be
    /// missing: not its first page if partial, which was placed with the
    /// claim below it, nor those the compaction thread prepared.
    fn unprepared(&self, claim: Range<usize>) -> Range<usize> {
        let above = self.page(self.pages.len());
        let mut start = claim.start.next_multiple_of(PAGE).max(above);
        let end = claim.end.next_multiple_of(PAGE);
        let prepared = self.prepared_to.load(Ordering::Acquire);
        if (self.prepared_from..prepared).contains(&start) {
            start = prepared.min(end);
        }
        start..end
    }

    /// Moves zeroed buffer pages into `range` (missing pages above the new
    /// top, a mutator's claim) from its start, while more buffers are free
    /// than the builders may need at once; returns how many, and where the
    /// pages it leaves to zero pages begin. The shadow's garbage then serves
    /// the allocations made during the compaction, which otherwise took
    /// fresh pages while it held its own until the end: the latency bench,
    /// unthrottled, peaked at 1.5 GiB of RSS for a 1 GiB heap. A page placed
    /// meanwhile is passed over ([`put_zeroed`](Self::put_zeroed)): the
    /// buffers left when a MOVE stopped there were dropped before, up to 63
    /// lost to recycling each time.
    ///
    /// One stretch of buffers a claim, contiguous in the shadow (one call),
    /// while the compaction's share of fresh pages lasts: early in a full
    /// compaction the free shadow pages lie scattered, and a 32 KiB claim
    /// took eight calls, each a TLB shootdown, 180–300 µs in all, one claim
    /// in every TLAB the latency bench's paced mutator filled for the first
    /// 50 ms (its MMU(10 ms) down to 0.6); what the stretch leaves takes zero
    /// pages, one call, no shootdown. Past the share, stretch after stretch.
    fn place_recycled(&self, range: Range<usize>) -> (usize, usize) {
        if !self.moves() {
            return (0, range.start);
        }
        let reserve = self.builders_reserve();
        let (mut dst, mut done) = (range.start, 0);
        // Zeroed buffers a MOVE left behind, for the next: (first, count).
        let mut zeroed: Option<(usize, usize)> = None;
        let mut taken = false;
        while dst < range.end {
            let room = (range.end - dst) / PAGE;
            let (src, k) = match zeroed.take() {
                Some((src, k)) => (src, k.min(room)),
                None if self.buffers.available() <= reserve => break,
                None if taken
                    && self.counts.allocation_pages.load(Ordering::Relaxed)
                        < self.fresh_share() =>
                {
                    break;
                }
                None => {
                    taken = true;
                    // A run of buffers contiguous in the shadow goes in with one call.
                    let Some(run) = self.take_zeroed(room.min(ALLOCATION_RUN)) else {
                        break;
                    };
                    run
                }
            };
            let put = self.put_zeroed(dst, src, k);
            done += put.placed;
            dst = put.next;
            zeroed = put.rest;
            if put.failed {
                // The cycle is ending, or the call failed: what is left takes
                // zero pages.
                break;
            }
        }
        (done, dst.min(range.end))
    }

    /// Before dense pages `lo..=hi` leave the shadow: if one of them holds
    /// the header of an object overlapping the pages above, every page it
    /// overlaps must be in place first (their builders read that header from
    /// the shadow). Builds those nobody has claimed, `depth` pages of such
    /// chains deep, and waits for the rest (waits only go upward, so they
    /// cannot form a cycle). Returns false if that was too deep: then the
    /// caller copies instead of moving.
    fn release_header(&self, plan: &Plan<'_>, lo: usize, hi: usize, depth: usize) -> bool {
        let next = self.page(hi + 1);
        let Some(obj) = plan
            .first_object(next)
            .filter(|&o| o < next && o >= self.page(lo))
        else {
            return true;
        };
        let covered = (hi + 1..self.pages.len())
            .take_while(|&k| k == hi + 1 || plan.first_object(self.page(k)) == Some(obj));
        covered.into_iter().all(|k| {
            if self.pages.is_mapped(k) {
                return true;
            }
            if depth == 0 {
                return false;
            }
            let (mapped, mine) = self.pages.serve(k, || self.build_at(k, depth - 1));
            if mine {
                self.counts.by_gc.fetch_add(1, Ordering::Relaxed);
            }
            mapped
        })
    }

    /// Builds to-space page `index` into the page at `dst`.
    fn build(&self, plan: &Plan<'_>, index: usize, dst: usize) {
        let page = self.page(index);
        let memo = self.memo.get(page);
        // SAFETY: marking and planning are done; `dst` is this page's own shadow
        // page (dense: nothing on it moves, so rewriting it in place disturbs no
        // other page's sources) or a buffer that is no page's source. The memo
        // was made with this plan's parts (`Memo::holds_for`).
        let work = unsafe {
            let work =
                self.spaces()
                    .build_page_memo(plan, page, &Shadow { delta: self.delta }, dst, memo);
            self.zero_tail(plan, page, dst);
            work
        };
        self.counts
            .objects_moved
            .fetch_add(work.moved, Ordering::Relaxed);
        self.counts
            .bytes_moved
            .fetch_add(work.bytes_moved, Ordering::Relaxed);
    }

    /// Zeroes the part of a built page above the new top.
    ///
    /// # Safety
    /// `buffer` must be a writable page.
    unsafe fn zero_tail(&self, plan: &Plan<'_>, page: usize, buffer: usize) {
        let live = plan.new_top().saturating_sub(page);
        if live < PAGE {
            // SAFETY: inside the buffer page.
            unsafe { std::ptr::write_bytes((buffer + live) as *mut u8, 0, PAGE - live) };
        }
    }

    /// Rewrites page `k` of large object `object` in its own shadow page.
    fn rewrite_large(&self, plan: &Plan<'_>, object: &LargeObject, header: Header, k: usize) {
        let page = object.start + k * PAGE;
        // SAFETY: marking and planning are done; the page's shadow page holds its
        // contents, and only this page's claimer touches it.
        unsafe {
            self.spaces().rewrite_large_page(
                plan,
                object.start,
                object.to,
                header,
                page,
                self.shadow(page),
            )
        };
    }

    /// Places pages `k..k + n` of `object` where they land: those rewritten
    /// in the shadow are moved (or copied) from there, the others relinked
    /// from their old address.
    fn place_large(&self, object: &LargeObject, k: usize, n: usize) -> bool {
        let (dst, old) = (object.placed(k), object.start + k * PAGE);
        if object.rewritten.is_none() {
            return self.relink(dst, old, n, false);
        }
        let (placed, moved) = self.place_counted(dst, self.shadow(old), n);
        if object.moves() {
            self.counts.relinked.fetch_add(moved, Ordering::Relaxed);
        }
        placed
    }

    /// Large-object page `index`, for a mutator: rewrite it and move it
    /// back, or to the object's new address.
    fn build_large(&self, index: usize) -> bool {
        let Some((object, k)) = self.large.page_at(index) else {
            return false;
        };
        if let Some(header) = object.rewritten {
            self.rewrite_large(&self.plan(), &object, header, k);
        }
        self.place_large(&object, k, 1)
    }

    /// Moves `n` pages at `src` to `dst` without reading them (a swapped-out
    /// page moves as its swap entry): a moving large object's, from its old
    /// address, or (`moving`) the moving space's reference-free pages, from
    /// their shadow pages. A page never touched (a hole in the source) is
    /// placed as the zero page; a page MOVE refuses with `EBUSY` is copied.
    fn relink(&self, dst: usize, src: usize, n: usize, moving: bool) -> bool {
        if self.copy_only.load(Ordering::Relaxed) {
            // Most MOVEs met EBUSY: one more each would only precede the copy.
            return self.copy(dst, src, n);
        }
        // `src` holds pages nothing reads any more (a moving large object's,
        // every reference to it forwarded in the pause; or shadow pages of a
        // body moved whole), and only the claimer of these pages moves them.
        let r = self
            .concurrent()
            .uffd
            .relink(dst, src, n * PAGE, |d, s, len| self.ioctl(d, s, len, true));
        let k = &self.counts;
        k.move_calls.fetch_add(r.calls, Ordering::Relaxed);
        k.retries.fetch_add(r.retries, Ordering::Relaxed);
        k.moved.fetch_add(r.moved, Ordering::Relaxed);
        k.relinked.fetch_add(r.moved, Ordering::Relaxed);
        k.relinked_unread.fetch_add(r.moved, Ordering::Relaxed);
        if moving {
            k.unread_moving.fetch_add(r.moved, Ordering::Relaxed);
        }
        k.relink_holes.fetch_add(r.holes, Ordering::Relaxed);
        k.copied.fetch_add(r.copied, Ordering::Relaxed);
        if r.copied > 0 {
            self.note_busy(r.copied);
        }
        if r.placed == n {
            return true;
        }
        // The destination populated, or a call failed: what is left is copied
        // (a hole in the source reads as zero), and a failure logged once.
        let at = r.placed * PAGE;
        self.copy(dst + at, src + at, n - r.placed)
    }

    /// The compaction thread's large-object pages, in runs of an object's
    /// pages that nobody has claimed: rewritten in their shadow pages and
    /// moved back, or to the object's new address, with one call (relinked
    /// unread, for a moving object without slots).
    fn large_runs(&self, plan: &Plan<'_>) {
        let mut cost = RunCost::new(RUN_TIME);
        for object in self.large.objects() {
            let pages = object.indices();
            let mut i = pages.start;
            while i < pages.end {
                if !self.large.states.try_claim(i) {
                    i += 1;
                    continue;
                }
                // Pages rewritten cost what dense pages do; those relinked
                // unread, only the call.
                let run = match object.rewritten {
                    Some(_) => cost.pages(true),
                    None => RUN,
                };
                let lo = i;
                let t = Instant::now();
                i += 1;
                while i < pages.end && i - lo < run && self.large.states.try_claim(i) {
                    i += 1;
                }
                let k = lo - pages.start;
                if let Some(header) = object.rewritten {
                    for k in k..i - pages.start {
                        self.rewrite_large(plan, object, header, k);
                    }
                }
                let ok = self.place_large(object, k, i - lo);
                for k in lo..i {
                    self.large.states.finish(k, ok);
                }
                if object.rewritten.is_some() {
                    cost.note(true, i - lo, t.elapsed());
                }
                self.counts.by_gc.fetch_add(i - lo, Ordering::Relaxed);
                self.counts.large_by_gc.fetch_add(i - lo, Ordering::Relaxed);
            }
        }
    }

    /// A mutator's page: built alone and copied into place, not moved; but
    /// a fault that continues a scan up the heap builds the pages above too
    /// ([`fault_around`](Self::fault_around)).
    ///
    /// A MOVE flushes the old entry from the TLB of every other core running
    /// the heap's threads: an IPI round, a hypervisor exit on a VM, most of
    /// a 20 µs fault there (binary-trees 21; the latency bench's dense pages
    /// took 23 µs in Move mode, 6.5 µs in Copy). A COPY fills an empty entry
    /// and flushes nothing; it costs a fresh page, but takes no buffer from
    /// the compaction thread, and needs no page above built first: a dense
    /// page's shadow page, where the pages above read a header, stays (the
    /// shadow's pages are released at the compaction's end). Reference
    /// arrays end to end, as the latency bench's slot arrays, made each
    /// fault build four pages when dense pages were moved.
    fn build_for_mutator(&self, index: usize) -> bool {
        let plan = self.plan();
        let page = self.page(index);
        if index < self.dense_pages {
            let own = self.shadow(page);
            self.build(&plan, index, own);
            return self.copy(page, own, 1);
        }
        let tid = gc_uffd::thread_id();
        let run = self.pages.scan_run(tid, index, FAULT_AROUND);
        #[cfg(feature = "fault-injection")]
        let run = if self.concurrent().inject.single_page_faults {
            1
        } else {
            run
        };
        if run > 1 {
            let end = self.pages.claim_above(index, run);
            if end > index + 1 {
                return self.fault_around(&plan, tid, index, end);
            }
        }
        self.pages.scanned(tid, index, index + 1);
        if let Some(src) = plan.unread_source(page) {
            // A reference-free body's page, which the mutator is about to
            // read anyway: copied in whole, no build and no TLB shootdown.
            return self.copy(page, self.shadow(src), 1);
        }
        // The SIGBUS handler runs on the thread's own stack (no SA_ONSTACK).
        let mut private = PageBuf([0; PAGE]);
        let buffer = private.0.as_mut_ptr() as usize;
        self.build(&plan, index, buffer);
        self.copy(page, buffer, 1)
    }

    /// Thread `tid`'s fault on sliding page `lo` that continues its scan up
    /// the heap: builds pages `lo..end` (all claimed by this thread) into buffer
    /// pages and moves them in with one call, a TLB shootdown for the run
    /// rather than a fault a page ([`FAULT_AROUND`]); a page no buffer is
    /// left for is built on the stack and copied. Finishes the pages above
    /// `lo`; returns whether `lo` is in place (its claimer's report is the
    /// caller's).
    fn fault_around(&self, plan: &Plan<'_>, tid: u32, lo: usize, end: usize) -> bool {
        let n = end - lo;
        let mut buffers = [(0usize, Source::Scratch); FAULT_AROUND];
        for (k, b) in buffers.iter_mut().enumerate().take(n) {
            if let Some(src) = plan.unread_source(self.page(lo + k)) {
                *b = (self.shadow(src), Source::Unread);
            }
        }
        self.buffers_for_scratch(&mut buffers[..n]);
        // The SIGBUS handler runs on the thread's own stack (no SA_ONSTACK):
        // one page of it, a page at a time.
        let mut private = PageBuf([0; PAGE]);
        let scratch = private.0.as_mut_ptr() as usize;
        let (mut rest, mut own) = (0u64, None);
        for (k, &(at, source)) in buffers[..n].iter().enumerate() {
            match source {
                Source::Scratch => {
                    self.build(plan, lo + k, scratch);
                    let ok = self.copy(self.page(lo + k), scratch, 1);
                    if k == 0 {
                        own = Some(ok);
                    } else {
                        self.pages.finish(lo + k, ok);
                    }
                }
                Source::Buffer => {
                    self.build(plan, lo + k, at);
                    rest |= 1 << k;
                }
                Source::Unread => rest |= 1 << k,
            }
        }
        let placed = self.place_sliding(lo, &buffers[..n], rest, 1);
        self.pages.scanned(tid, lo, end);
        self.counts.by_mutators.fetch_add(n - 1, Ordering::Relaxed);
        self.counts
            .faulted_around
            .fetch_add(n - 1, Ordering::Relaxed);
        own.unwrap_or(placed & 1 != 0)
    }

    /// One page, for a thread releasing a header: build it and place it,
    /// releasing headers `depth` pages deep.
    fn build_at(&self, index: usize, depth: usize) -> bool {
        let plan = self.plan();
        let page = self.page(index);
        if index < self.dense_pages {
            let own = self.shadow(page);
            self.build(&plan, index, own);
            return if self.release_header(&plan, index, index, depth) {
                self.place(page, own, 1)
            } else {
                self.copy(page, own, 1)
            };
        }
        if let Some(src) = plan.unread_source(page) {
            return self.relink(page, self.shadow(src), 1, true);
        }
        // Copying, a buffer would stay behind in the shadow.
        if self.moves() {
            if let Some(buffer) = self.take_buffer() {
                self.build(&plan, index, buffer);
                return self.place(page, buffer, 1);
            }
            self.counts.without_buffer.fetch_add(1, Ordering::Relaxed);
        }
        let mut private = PageBuf([0; PAGE]);
        let buffer = private.0.as_mut_ptr() as usize;
        self.build(&plan, index, buffer);
        self.copy(page, buffer, 1)
    }

    fn take_buffer(&self) -> Option<usize> {
        self.take_buffers(1).map(|(page, _)| page)
    }

    /// Takes up to `max` buffer pages contiguous in the shadow (see
    /// [`Buffers::take_run`]): the first and how many.
    fn take_buffers(&self, max: usize) -> Option<(usize, usize)> {
        #[cfg(feature = "fault-injection")]
        if self.concurrent().inject.no_buffers {
            return None;
        }
        self.buffers.take_run(max)
    }

    /// Takes up to `max` buffers contiguous in the shadow, as
    /// [`take_buffers`](Self::take_buffers), and zeroes them: allocation
    /// pages.
    fn take_zeroed(&self, max: usize) -> Option<(usize, usize)> {
        let (first, n) = self.take_buffers(max)?;
        // SAFETY: taken buffers are garbage shadow pages this thread alone
        // holds.
        unsafe { std::ptr::write_bytes(first as *mut u8, 0, n * PAGE) };
        Some((first, n))
    }

    /// Moves `n` zeroed buffers from `src` to allocation pages at `dst`. A
    /// page placed meanwhile (a mutator's claim, or the compaction thread's
    /// pages ahead of one: MOVE never replaces a page) is passed over, and
    /// the buffers from the one meant for it on are left for the pages after
    /// it.
    fn put_zeroed(&self, dst: usize, src: usize, n: usize) -> ZeroedPut {
        let put = self.put(dst, src, n, true);
        let next = dst + put.pages * PAGE;
        match put.outcome {
            Outcome::Complete => ZeroedPut {
                placed: put.pages,
                next,
                rest: None,
                failed: false,
            },
            Outcome::Exists => {
                let rest = n - put.pages;
                ZeroedPut {
                    placed: put.pages,
                    next: next + PAGE,
                    rest: (rest > 0).then_some((src + put.pages * PAGE, rest)),
                    failed: false,
                }
            }
            _ => ZeroedPut {
                placed: put.pages,
                next,
                rest: None,
                failed: true,
            },
        }
    }

    /// Whether built pages are moved into place now (else copied): MOVE
    /// works here, and this cycle did not switch to copying.
    fn moves(&self) -> bool {
        self.concurrent().use_move && !self.copy_only.load(Ordering::Relaxed)
    }

    /// Places `n` built pages from `src` at `dst`: moved where MOVE works,
    /// else copied.
    ///
    /// MOVE refuses a page that is not exclusive to this process with
    /// `EBUSY`: after a `fork` of a heap the child keeps, every page not
    /// written since (in practice dense pages whose references did not
    /// change: the pages built into buffers are written). The rest of the run
    /// is then copied with one call, and the next run is moved again. (Making
    /// the pages exclusive again with a write fault each, then moving them,
    /// costs half as much once the other process has exited, but half as
    /// much again while it lives; see docs/concurrent-compaction.md.) Should
    /// refused pages make most of the cycle's, the rest of the cycle copies.
    fn place(&self, dst: usize, src: usize, n: usize) -> bool {
        self.place_counted(dst, src, n).0
    }

    /// [`place`](Self::place), also saying how many of the pages it moved.
    fn place_counted(&self, dst: usize, src: usize, n: usize) -> (bool, usize) {
        let mut done = 0;
        if self.moves() {
            let put = self.put(dst, src, n, true);
            done = put.pages;
            self.counts.moved.fetch_add(done, Ordering::Relaxed);
            self.counts
                .move_calls
                .fetch_add(put.calls, Ordering::Relaxed);
            match put.outcome {
                Outcome::Complete => return (true, done),
                Outcome::Busy => self.note_busy(n - done),
                _ => {}
            }
        }
        (
            self.copy(dst + done * PAGE, src + done * PAGE, n - done),
            done,
        )
    }

    /// Counts `n` pages MOVE refused with `EBUSY` (copied instead): past
    /// [`BUSY_SWITCH`] of them, and more than were moved, the rest of the
    /// cycle copies.
    fn note_busy(&self, n: usize) {
        let busy = self.counts.busy.fetch_add(n, Ordering::Relaxed) + n;
        if busy >= BUSY_SWITCH
            && busy > self.counts.moved.load(Ordering::Relaxed)
            && !self.copy_only.swap(true, Ordering::Relaxed)
        {
            log::warn!(
                "movegc: UFFDIO_MOVE met EBUSY for most pages (shared with another \
                 process since a fork?): copying the rest of this cycle's pages"
            );
        }
    }

    /// Copies `n` built pages from `src` to `dst`.
    fn copy(&self, dst: usize, src: usize, n: usize) -> bool {
        let put = self.put(dst, src, n, false);
        self.counts.copied.fetch_add(put.pages, Ordering::Relaxed);
        if put.outcome != Outcome::Complete {
            let at = dst + put.pages * PAGE;
            if self
                .counts
                .unplaced
                .compare_exchange(0, at, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                self.counts
                    .unplaced_outcome
                    .store(outcome_code(&put.outcome), Ordering::Relaxed);
            }
        }
        put.outcome == Outcome::Complete
    }

    /// Moves (`mov`) or copies `n` pages from `src` to `dst`, retrying the
    /// remainder after `EAGAIN`.
    fn put(&self, dst: usize, src: usize, n: usize, mov: bool) -> Put {
        let mut put = Put {
            pages: 0,
            calls: 0,
            outcome: Outcome::Complete,
        };
        while put.pages < n {
            let at = put.pages * PAGE;
            let p = self.ioctl(dst + at, src + at, n * PAGE - at, mov);
            put.calls += 1;
            put.pages += p.placed / PAGE;
            put.outcome = p.outcome;
            match p.outcome {
                Outcome::Again => {
                    self.counts.retries.fetch_add(1, Ordering::Relaxed);
                }
                _ => break,
            }
        }
        if put.pages == n {
            put.outcome = Outcome::Complete;
        }
        put
    }

    /// One MOVE (`mov`) or COPY call, where failures may be injected.
    fn ioctl(&self, dst: usize, src: usize, len: usize, mov: bool) -> Placement {
        let c = self.concurrent();
        let real = |len: usize| {
            if mov {
                // SAFETY: `src` is a shadow page this thread claimed (its page's own,
                // or a buffer), or the old page of a large object that moves whose
                // page this thread claimed; nothing references it, and no other
                // thread takes pages from it.
                unsafe { c.uffd.move_owned_pages(dst, src, len, MoveMode::empty()) }
            } else {
                c.uffd.copy_pages(dst, src, len, Wake::No)
            }
        };
        #[cfg(feature = "fault-injection")]
        {
            let call = self.counts.calls.fetch_add(1, Ordering::Relaxed) + 1;
            let inject = &c.inject;
            if inject.place_exists_after.is_some_and(|after| call > after) {
                return Placement {
                    placed: 0,
                    outcome: Outcome::Exists,
                };
            }
            if mov
                && let Some(after) = inject.move_busy_after
                && self.counts.move_calls.load(Ordering::Relaxed) >= after
            {
                return Placement {
                    placed: 0,
                    outcome: Outcome::Busy,
                };
            }
            if inject.again_every.is_some_and(|n| call % n.max(1) == 0) {
                let part = (len / PAGE / 2) * PAGE;
                let p = if part > 0 {
                    real(part)
                } else {
                    Placement {
                        placed: 0,
                        outcome: Outcome::Complete,
                    }
                };
                if p.outcome == Outcome::Complete {
                    return Placement {
                        placed: p.placed,
                        outcome: Outcome::Again,
                    };
                }
                return p;
            }
        }
        real(len)
    }

    /// The compaction thread: build every page nobody has claimed, the pages
    /// of the `hot` cards (those the mutators dirtied since the last cycle)
    /// first, then top down in runs, recycling shadow pages behind it; wait
    /// for the mutators'
    /// pages; then end the cycle's registration and release the shadow.
    /// Returns the time mutators spent in its fault handler.
    pub(crate) fn run(self: Arc<Self>, cycle: u64, resumed: Instant, hot: Vec<usize>) -> Duration {
        let usage = ThreadUsage::now();
        let plan = self.plan();
        let mut scratch: Box<[PageBuf]> = (0..RUN).map(|_| PageBuf([0; PAGE])).collect();
        let scratch = scratch.as_mut_ptr() as usize;
        let split = self.split(&plan);
        let top = plan.old_top().next_multiple_of(PAGE);
        // The marked objects' pages need no shadow page from the first source
        // of the split's page up: the black objects' pages (and the split's)
        // read those.
        let marked_end = plan
            .first_object(self.page(split))
            .map_or(top, |obj| obj / PAGE * PAGE);
        let mut producer = Producer {
            scan: self.moving.start,
            marked: Frontier {
                mapped_from: split,
                recycled_from: marked_end,
            },
            top: Frontier {
                mapped_from: self.pages.len(),
                recycled_from: top,
            },
            free: self.paused_free,
            recycled: 0,
        };
        self.publish_free(&mut producer);
        let sliding = self.pages.len().saturating_sub(self.dense_pages);
        let spare = self.buffers.available().saturating_sub(sliding);
        let t = Instant::now();
        self.prepare_allocation(spare);
        // Copying, the free pages go back now: the mutators' claims wait for
        // the shadow's pages to go back (`short_of_pages`).
        self.release_surplus();
        let mut spent = Spent {
            allocation_prep: t.elapsed(),
            helpers: Duration::ZERO,
        };
        *self.producer.lock() = producer;
        let helpers = self.heap.config.compaction_threads - 1;
        std::thread::scope(|scope| {
            let spawned: Vec<_> = (1..=helpers)
                .filter_map(|k| {
                    std::thread::Builder::new()
                        .name(format!("movegc-compact-{k}"))
                        .spawn_scoped(scope, || self.help())
                        .map_err(|e| log::warn!("movegc: a compaction thread: {e}"))
                        .ok()
                })
                .collect();
            #[cfg(feature = "fault-injection")]
            if let Some(delay) = self.concurrent().inject.compaction_delay {
                std::thread::sleep(delay);
            }
            // The old pages of the remembered set first: the mutators wrote
            // them lately. Then large objects' pages: they are few, cheap
            // (nothing is copied) and long-lived tables that mutators read
            // all over.
            self.old_runs();
            self.large_runs(&plan);
            self.hot_runs(&plan, scratch, hot);
            self.build_runs(&plan, scratch, false, || {
                self.recycle_and_release(&plan, true);
                self.prepare_ahead();
                true
            });
            for thread in spawned {
                // A helper's panic (a bug) would leave its claimed pages
                // unplaced, and their faults waiting, as one of this thread's
                // would: there is no time to count then.
                if let Ok(cpu) = thread.join() {
                    spent.helpers += cpu;
                }
            }
        });
        // Counted from the pages' states alone: every builder, a mutator's
        // fault too, leaves a page it could not place failed there.
        let failed =
            self.pages.wait_all() + self.large.states.wait_all() + self.old.states.wait_all();
        let mut producer = std::mem::replace(&mut *self.producer.lock(), Producer::idle());
        // Every page is in place: what is left in the shadow is garbage.
        let dense_end = self.page(self.dense_pages);
        self.publish_live(dense_end, &mut producer, Side::Marked);
        self.publish_live(dense_end, &mut producer, Side::Top);
        let t = Instant::now();
        self.prepare_allocation(usize::MAX);
        spent.allocation_prep += t.elapsed();
        self.finish(cycle, resumed, usage, spent, &producer, failed);
        self.faults.total()
    }

    /// Takes chunks of pages from the top down (see [`take_chunk`](Self::take_chunk)),
    /// claims, builds and places their pages in runs, and calls `after_run`
    /// after each chunk, until it says stop; returns the pages it built
    /// (placed or not). Pages of a chunk claimed already (by a mutator's
    /// fault, a hot run, a dense page's header) are skipped, and split it
    /// into runs. `assist`: a paced mutator's, whose runs take [`RUN_TIME`].
    ///
    /// A compaction thread then goes down each part once more, claiming
    /// what nobody has: a chunk another builder took and has not claimed
    /// yet. The compaction ends once no page is claimed and unfinished
    /// (`PageStates::wait_all`), and an unclaimed page would be left
    /// unbuilt.
    fn build_runs(
        &self,
        plan: &Plan<'_>,
        scratch: usize,
        assist: bool,
        mut after_run: impl FnMut() -> bool,
    ) -> usize {
        let mut built = 0;
        // A paced mutator goes back to its allocation only after its run.
        let mut cost = RunCost::new(if assist { RUN_TIME } else { SLIDING_RUN_TIME });
        #[cfg(feature = "fault-injection")]
        let (hold, taken) = {
            let inject = &self.concurrent().inject;
            (
                inject.run_delay.filter(|_| !assist),
                inject.chunk_delay.filter(|_| assist),
            )
        };
        #[cfg(not(feature = "fault-injection"))]
        let (hold, taken): (_, Option<Duration>) = (None, None);
        let split = self.split(plan);
        // The marked objects' pages first, then the black objects': each top
        // down (see `split`).
        for (p, part) in [0..split, split..self.pages.len()].into_iter().enumerate() {
            while let Some(chunk) = self.take_chunk(p, &part, &cost) {
                if let Some(delay) = taken {
                    std::thread::sleep(delay);
                }
                built += self.claimed_runs(plan, chunk, scratch, hold, &mut cost);
                if !after_run() {
                    return built;
                }
            }
            if !assist {
                built += self.claimed_runs(plan, part, scratch, hold, &mut cost);
            }
        }
        built
    }

    /// Claims the pages of `range` nobody has claimed, top down, and builds
    /// and places them in runs (all dense or all sliding, at most [`RUN`]
    /// pages), after holding each run claimed for `hold` (an injected
    /// delay); returns how many.
    fn claimed_runs(
        &self,
        plan: &Plan<'_>,
        range: Range<usize>,
        scratch: usize,
        hold: Option<Duration>,
        cost: &mut RunCost,
    ) -> usize {
        let mut built = 0;
        let mut i = range.end;
        while i > range.start {
            i -= 1;
            if !self.pages.try_claim(i) {
                continue;
            }
            let hi = i;
            let dense = hi < self.dense_pages;
            while hi - i + 1 < RUN
                && i > range.start
                && (i - 1 < self.dense_pages) == dense
                && self.pages.try_claim(i - 1)
            {
                i -= 1;
            }
            if let Some(delay) = hold {
                std::thread::sleep(delay);
            }
            let t = Instant::now();
            self.claimed_run(plan, i, hi, scratch);
            cost.note(dense, hi - i + 1, t.elapsed());
            built += hi - i + 1;
        }
        built
    }

    /// The next chunk of part `p` (`part`) going down, for this thread
    /// alone: as many pages as a run of the kind at its top builds in its
    /// time (`cost`), sliding ones no more than there are buffers free (at
    /// least [`FIRST_RUN`]), all dense or all sliding; `None` once the part
    /// is taken. Every builder takes its chunks from the same cursor, so their
    /// runs never interleave: when a paced mutator started its runs below
    /// the lowest page the compaction thread had claimed, the two claimed
    /// the same pages at once and cut each other's runs (binary-trees 21's
    /// first compaction, runs of 300 µs: 29 pages on average, 46 with the
    /// cursor).
    fn take_chunk(&self, p: usize, part: &Range<usize>, cost: &RunCost) -> Option<Range<usize>> {
        let cursor = &self.cursors[p];
        let mut at = cursor.load(Ordering::Relaxed);
        loop {
            let top = at.min(part.end);
            if top <= part.start {
                return None;
            }
            let dense = top - 1 < self.dense_pages;
            let floor = match dense {
                true => part.start,
                false => part.start.max(self.dense_pages),
            };
            let mut n = cost.pages(dense);
            if !dense && self.moves() {
                // Pages beyond the buffers free are built in scratch pages
                // and copied in, a fresh page each: a shorter run recycles
                // its sources sooner.
                n = n.min(self.buffers.available().max(FIRST_RUN));
            }
            let lo = top.saturating_sub(n).max(floor);
            match cursor.compare_exchange_weak(at, lo, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Some(lo..top),
                Err(now) => at = now,
            }
        }
    }

    /// A paced mutator's turn (in native code): rather than sleep until the
    /// compaction has placed enough pages for its allocation, it builds runs
    /// itself, taking the next chunks down as the compaction threads do,
    /// while `still_paced()`. On two cores, the waiting mutator's CPU is the one
    /// a second compaction thread would have taken from it. The pages it
    /// could not place the compaction's end counts, as every builder's.
    pub(crate) fn assist(&self, still_paced: impl FnMut() -> bool) {
        let plan = self.plan();
        let mut scratch = self
            .assist_scratch
            .lock()
            .pop()
            .unwrap_or_else(|| (0..RUN).map(|_| PageBuf([0; PAGE])).collect());
        let mut still_paced = still_paced;
        let built = self.build_runs(&plan, scratch.as_mut_ptr() as usize, true, || {
            self.recycle_and_release(&plan, false);
            still_paced()
        });
        self.assist_scratch.lock().push(scratch);
        self.counts.by_assists.fetch_add(built, Ordering::Relaxed);
    }

    /// The to-space pages of the objects on `cards`, in order.
    fn hot_pages(&self, plan: &Plan<'_>, cards: Vec<usize>) -> Vec<usize> {
        let table = self.spaces().cards();
        let mut pages: Vec<usize> = cards
            .into_iter()
            .map(|card| table.range(card).start)
            .filter(|&at| at >= self.moving.start && at < plan.old_top())
            .map(|at| (plan.forward(at) - self.moving.start) / PAGE)
            .filter(|&index| index < self.pages.len())
            .collect();
        pages.sort_unstable();
        pages.dedup();
        pages
    }

    /// Builds the pages the mutators wrote since the last cycle before the
    /// others: what a mutator wrote lately it is likely to touch again soon
    /// (the latency bench's slot arrays: 1,957 pages of references at the
    /// bottom of the heap, which the compaction, going top-down, reached
    /// last, and every one of which a mutator faulted on first).
    fn hot_runs(&self, plan: &Plan<'_>, scratch: usize, cards: Vec<usize>) {
        let hot = self.hot_pages(plan, cards);
        let mut k = hot.len();
        while k > 0 {
            k -= 1;
            let hi = hot[k];
            if !self.pages.try_claim(hi) {
                continue;
            }
            let dense = hi < self.dense_pages;
            let mut lo = hi;
            while hi - lo + 1 < HOT_RUN
                && k > 0
                && hot[k - 1] + 1 == lo
                && (lo - 1 < self.dense_pages) == dense
                && self.pages.try_claim(lo - 1)
            {
                lo -= 1;
                k -= 1;
            }
            self.claimed_run(plan, lo, hi, scratch);
            self.counts.hot.fetch_add(hi - lo + 1, Ordering::Relaxed);
        }
    }

    /// Builds and places pages `lo..=hi`, claimed by this thread and all
    /// dense or all sliding, and counts them built by the compaction (its
    /// threads' or a paced mutator's) and as the pacer's progress.
    fn claimed_run(&self, plan: &Plan<'_>, lo: usize, hi: usize, scratch: usize) {
        if hi < self.dense_pages {
            self.dense_run(plan, lo, hi);
        } else {
            self.sliding_run(plan, lo, hi, scratch);
        }
        let n = hi - lo + 1;
        self.counts.by_gc.fetch_add(n, Ordering::Relaxed);
        self.heap
            .pacer
            .progress
            .fetch_add(n * PAGE, Ordering::Relaxed);
    }

    /// A compaction thread besides the cycle's: builds runs as it does,
    /// leaving it the buffers' publication and the allocation pages. Returns
    /// its CPU time.
    fn help(&self) -> Duration {
        let usage = ThreadUsage::now();
        let plan = self.plan();
        let mut scratch: Box<[PageBuf]> = (0..RUN).map(|_| PageBuf([0; PAGE])).collect();
        let built = self.build_runs(&plan, scratch.as_mut_ptr() as usize, false, || true);
        self.counts.by_helpers.fetch_add(built, Ordering::Relaxed);
        ThreadUsage::now().cpu.saturating_sub(usage.cpu)
    }

    /// Builds dense pages `lo..=hi` in their own shadow pages and moves them
    /// back with one call.
    fn dense_run(&self, plan: &Plan<'_>, lo: usize, hi: usize) {
        for k in (lo..=hi).rev() {
            self.build(plan, k, self.shadow(self.page(k)));
        }
        let dst = self.page(lo);
        // Pages above were claimed before this run (top-down), or are built
        // here if not (a run of hot pages, built first): this waits.
        let ok = if self.release_header(plan, lo, hi, CHAIN) {
            self.place(dst, self.shadow(dst), hi - lo + 1)
        } else {
            self.copy(dst, self.shadow(dst), hi - lo + 1)
        };
        for k in lo..=hi {
            self.pages.finish(k, ok);
        }
    }

    /// Builds sliding pages `lo..=hi` into buffer pages (or the thread's
    /// scratch pages when none is free), top down, and places each
    /// contiguous stretch with one call. When a thread starts waiting for a
    /// page of the run, that page is built next (if it is not yet) and
    /// placed at once, with the pages built so far: a waiting mutator waits
    /// for a page or two, not the run.
    fn sliding_run(&self, plan: &Plan<'_>, lo: usize, hi: usize, scratch: usize) {
        const _: () = assert!(RUN <= u64::BITS as usize, "a run's pages are bits of a u64");
        let n = hi - lo + 1;
        let mut buffers = [(0usize, Source::Scratch); RUN];
        for (k, b) in buffers.iter_mut().enumerate().take(n) {
            *b = match plan.unread_source(self.page(lo + k)) {
                Some(src) => (self.shadow(src), Source::Unread),
                None => (scratch + k * PAGE, Source::Scratch),
            };
        }
        self.buffers_for_scratch(&mut buffers[..n]);
        let buffers = &buffers[..n];
        let build = |k: usize| {
            if buffers[k].1 != Source::Unread {
                self.build(plan, lo + k, buffers[k].0);
            }
        };
        // Bit k: page `lo + k` built; placed.
        let (mut built, mut placed) = (0u64, 0u64);
        // No count seen: a thread may have started waiting since the claim.
        let mut seen = usize::MAX;
        for k in (0..n).rev() {
            let now = self.pages.wanted();
            if now != seen {
                seen = now;
                // Placed pages are mapped, not wanted.
                let waited = (0..n)
                    .filter(|&j| self.pages.is_wanted(lo + j))
                    .fold(0u64, |m, j| m | 1 << j);
                if waited != 0 {
                    let unbuilt = waited & !built;
                    for j in (0..n).filter(|&j| unbuilt & (1 << j) != 0) {
                        build(j);
                    }
                    built |= unbuilt;
                    let early = built & !placed;
                    self.place_sliding(lo, buffers, early, 0);
                    placed |= early;
                    self.counts
                        .placed_early
                        .fetch_add(early.count_ones() as usize, Ordering::Relaxed);
                }
            }
            if built & (1 << k) == 0 {
                build(k);
                built |= 1 << k;
            }
        }
        self.place_sliding(lo, buffers, built & !placed, 0);
    }

    /// Moving, gives the pages of a run to be built in scratch pages
    /// (`Source::Scratch`) buffer pages instead, in stretches contiguous in
    /// the shadow, so that the run goes into place with few calls; a page no
    /// buffer is left for keeps its scratch page. Copying, a page copied from
    /// a buffer would stay behind in the shadow until the compaction's end,
    /// where a scratch page serves again.
    fn buffers_for_scratch(&self, buffers: &mut [(usize, Source)]) {
        if !self.moves() {
            return;
        }
        let mut need = buffers.iter().filter(|b| b.1 == Source::Scratch).count();
        let mut stretch = (0, 0);
        for b in buffers.iter_mut().filter(|b| b.1 == Source::Scratch) {
            if stretch.1 == 0 {
                stretch = self.take_buffers(need).unwrap_or((0, 0));
            }
            if stretch.1 == 0 {
                self.counts.without_buffer.fetch_add(1, Ordering::Relaxed);
            } else {
                *b = (stretch.0, Source::Buffer);
                stretch = (stretch.0 + PAGE, stretch.1 - 1);
            }
            need -= 1;
        }
    }

    /// Places the pages of a sliding run from `lo` whose bits `mask` sets,
    /// built in `buffers` (one per page of the run): each stretch contiguous
    /// in the heap and in its source with one call. Finishes each but those
    /// whose bits `unfinished` sets (their claimer's caller reports them);
    /// returns the bits of the pages placed.
    fn place_sliding(
        &self,
        lo: usize,
        buffers: &[(usize, Source)],
        mask: u64,
        unfinished: u64,
    ) -> u64 {
        let mut placed = 0;
        let mut k = 0;
        while k < buffers.len() {
            if mask & (1 << k) == 0 {
                k += 1;
                continue;
            }
            let (first, source) = buffers[k];
            let mut e = k + 1;
            while e < buffers.len()
                && mask & (1 << e) != 0
                && buffers[e] == (first + (e - k) * PAGE, source)
            {
                e += 1;
            }
            let dst = self.page(lo + k);
            let ok = match source {
                Source::Buffer => self.place(dst, first, e - k),
                Source::Scratch => self.copy(dst, first, e - k),
                Source::Unread => self.relink(dst, first, e - k, true),
            };
            for j in k..e {
                if ok {
                    placed |= 1 << j;
                }
                if unfinished & (1 << j) == 0 {
                    self.pages.finish(lo + j, ok);
                }
            }
            k = e;
        }
        placed
    }

    /// Publishes every free shadow page (no live data): a scan of the live
    /// bitmap, eight words a page.
    fn publish_free(&self, producer: &mut Producer) {
        let plan = self.plan();
        while producer.scan < self.paused_scan {
            let page = producer.scan;
            producer.scan += PAGE;
            if !plan.page_has_live(page)
                && self.remapped.contains(page)
                && self.buffers.push(self.shadow(page))
            {
                producer.free += 1;
            }
        }
    }

    /// The index of the to-space page where the objects allocated black
    /// begin (the page holding the marked objects' end): the pages below
    /// hold only objects marking found, and are built first.
    ///
    /// The black objects slide as one block, all of them live, so each
    /// page of theirs built takes a buffer and frees one source page: built
    /// first (the top of the heap), they freed none for the mutators'
    /// allocations, which took fresh pages meanwhile (the latency bench,
    /// unthrottled: 140–190 MiB allocated black a cycle, 60,000 fresh pages in
    /// the compaction's first 300 ms). The marked objects' pages, about half
    /// garbage, free nearly two source pages each.
    fn split(&self, plan: &Plan<'_>) -> usize {
        (plan.marked_top().saturating_sub(self.moving.start) / PAGE)
            .clamp(self.dense_pages, self.pages.len())
    }

    /// After a run: recycles behind the frontiers, then gives back what the
    /// shadow holds beyond its needs. The compaction thread (`wait`) waits
    /// for an assist doing it; an assist leaves it to whoever does. The
    /// assists recycled nothing before: on a loaded machine, the compaction
    /// thread starved of CPU, the paced mutator built most pages with no
    /// buffer free and copied them, while the shadow held their sources (the
    /// latency bench, unthrottled: 84,000 pages a compaction, a peak RSS of
    /// 1,430 MiB for its 1 GiB heap).
    fn recycle_and_release(&self, plan: &Plan<'_>, wait: bool) {
        let producer = if wait {
            Some(self.producer.lock())
        } else {
            self.producer.try_lock()
        };
        if let Some(mut producer) = producer {
            self.recycle(plan, &mut producer);
        }
        self.release_surplus();
    }

    /// Publishes, as buffers, the shadow pages no page still to be built
    /// reads, behind each frontier.
    fn recycle(&self, plan: &Plan<'_>, producer: &mut Producer) {
        for side in [Side::Marked, Side::Top] {
            if let Some(from) = self.recyclable(plan, producer.frontier(side)) {
                self.publish_live(from, producer, side);
            }
        }
    }

    /// Objects keep their order, so the sources of to-space pages below index
    /// `m` lie below the end of the first object overlapping page `m`. Once
    /// every page from `m` up to where the frontier began is mapped (not
    /// merely claimed: a mutator may be reading sources for one right now),
    /// the live pages from that end up to the frontier's end are sources of
    /// nothing more: the pages above its beginning read only from its end up.
    /// Returns that end's page.
    fn recyclable(&self, plan: &Plan<'_>, f: &mut Frontier) -> Option<usize> {
        while f.mapped_from > 0 && self.pages.is_mapped(f.mapped_from - 1) {
            f.mapped_from -= 1;
        }
        let m = f.mapped_from;
        // Dense pages' shadow pages are moved back, never recycled.
        if m <= self.dense_pages {
            return None;
        }
        let obj = plan.first_object(self.page(m))?;
        let end = if plan.forward(obj) >= self.page(m) {
            obj
        } else {
            // SAFETY: the object straddles into page `m - 1`, not yet mapped: it is
            // a source of that page, so its shadow page is in place and unrecycled.
            let header = Header(unsafe { (self.shadow(obj) as *const u64).read() });
            obj + self.spaces().types().size_of(header).unwrap_or(0)
        };
        Some(end.next_multiple_of(PAGE).max(self.page(self.dense_pages)))
    }

    /// Publishes the shadow pages with live data from `from` up to those
    /// `side` published before. The top frontier goes on down through the
    /// marked objects' pages, so the two frontiers offer some pages both, in
    /// either order (a fault may map a page between their steps): the queue
    /// publishes a page once.
    fn publish_live(&self, from: usize, producer: &mut Producer, side: Side) {
        let plan = self.plan();
        let f = producer.frontier(side);
        let upto = f.recycled_from;
        f.recycled_from = f.recycled_from.min(from);
        for page in (from..upto).step_by(PAGE) {
            // A page moved unread left the shadow.
            if plan.page_has_live(page)
                && !plan.is_unread_source(page)
                && self.buffers.push(self.shadow(page))
            {
                producer.recycled += 1;
            }
        }
    }

    /// Free buffers kept for the builders, which take one per sliding page:
    /// two runs per compaction thread.
    fn builders_reserve(&self) -> usize {
        2 * RUN * self.heap.config.compaction_threads
    }

    /// Returns to the kernel the free buffer pages beyond those the builders
    /// and the allocation pages still to prepare may use (copying: all of
    /// them), a run at a time, as the compaction thread recycles them: the
    /// shadow otherwise held its garbage until the end, while the mutators'
    /// allocations took fresh pages (the latency bench, unthrottled: 1.4–1.5
    /// GiB of RSS for a 1 GiB heap).
    fn release_surplus(&self) {
        let c = self.concurrent();
        // Copying, nothing takes a buffer: the builders build in their own
        // scratch pages, and the allocations take fresh pages.
        let keep = if self.moves() {
            let prepared = self
                .prepared_to
                .load(Ordering::Relaxed)
                .max(self.spaces().moving().top());
            let reserve = self.builders_reserve();
            let to_prepare = self.allocation_end.saturating_sub(prepared) / PAGE;
            // But not the pages the heap holds beyond what it will hold at
            // the end: those it gives back whatever the allocations take.
            let spare = self.buffers.available().saturating_sub(self.surplus());
            (to_prepare + reserve).min(spare.max(reserve))
        } else {
            0
        };
        let release = |first: usize, n: usize| {
            if let Err(e) = c.shadow.decommit(first - c.shadow.start(), n * PAGE) {
                log::warn!("movegc: releasing shadow pages: {e}");
            }
            self.counts.released.fetch_add(n, Ordering::Relaxed);
        };
        while self.buffers.available() > keep + ALLOCATION_RUN {
            let Some((first, n)) = self.take_buffers(ALLOCATION_RUN) else {
                return;
            };
            release(first, n);
        }
    }

    /// The pages the heap and the shadow hold beyond those the moving space
    /// will hold when the compaction ends (every page from the plan's base
    /// up to the end of the allocation range): those resident at the pause
    /// (up to the dirty end), plus every page placed by a copy or a zero fill
    /// (a new page, while its buffer or source stays in the shadow), less
    /// those given back since. Each is a page the shadow gives back at the
    /// end: given back as soon as a buffer is free, it no longer waits there
    /// while the allocations and the builders take others (the latency
    /// bench, unthrottled: up to 12,000 pages built in scratch pages and
    /// copied a compaction, their buffers released only once the allocation
    /// range was prepared).
    fn surplus(&self) -> usize {
        let k = &self.counts;
        let n = |a: &AtomicUsize| a.load(Ordering::Relaxed);
        let placed = n(&k.copied) + n(&k.allocation_pages) + n(&k.zero_filled);
        let held = (self.dirty_end.saturating_sub(self.moving.start)) / PAGE + placed;
        let needed = (self.allocation_end.saturating_sub(self.moving.start)) / PAGE;
        held.saturating_sub(needed + n(&k.released))
    }

    /// Between its runs, the compaction thread keeps up to [`PREPARED_LEAD`]
    /// allocation pages placed above the top, a whole run of contiguous
    /// buffers ([`ALLOCATION_RUN`]) a call, while buffers beyond the
    /// builders' reserve allow: the mutators' claims then find their pages
    /// in place. A claim that places its own makes the call itself, for the
    /// few buffers the compaction has freed since the last claim, and waits
    /// out its TLB shootdown: the latency bench, unthrottled, made 6,400 such
    /// calls a second (13 pages each), a fifth of the mutator's time in
    /// `smp_call_function_many_cond`.
    fn prepare_ahead(&self) {
        let top = self.spaces().moving().top().next_multiple_of(PAGE);
        let prepared = self
            .prepared_to
            .load(Ordering::Relaxed)
            .max(self.prepared_from);
        let lead = prepared.saturating_sub(top) / PAGE;
        if lead >= PREPARED_LEAD {
            return;
        }
        let spare = self
            .buffers
            .available()
            .saturating_sub(self.builders_reserve());
        if spare < ALLOCATION_RUN || !self.buffers.run_ahead(ALLOCATION_RUN) {
            return;
        }
        self.prepare_allocation(
            (PREPARED_LEAD - lead).min(spare) / ALLOCATION_RUN * ALLOCATION_RUN,
        );
    }

    /// Zeroes up to `max` buffer pages and moves them in above the allocation
    /// top, up to the next cycle's budget: the mutators' allocations then
    /// neither fault nor make the kernel find and zero fresh pages, and the
    /// heap stays resident as in the stop-the-world mode. Claims racing with
    /// this are safe either way: MOVE never replaces a page that exists.
    fn prepare_allocation(&self, max: usize) {
        if !self.moves() {
            return;
        }
        let end = self.allocation_end;
        let mut dst = self
            .prepared_to
            .load(Ordering::Relaxed)
            .max(self.prepared_from);
        // Zeroed pages a MOVE left behind, for the next one: (first, count).
        let mut zeroed: Option<(usize, usize)> = None;
        let mut left = max;
        loop {
            // Mutators claim from the top meanwhile, and place their own pages:
            // stay ahead of them, or every MOVE meets a page that exists.
            dst = dst.max(self.spaces().moving().top().next_multiple_of(PAGE));
            // Only missing pages: those left in place are there already.
            let Some(missing) = self.remapped.next_missing(dst..end, self.dirty_end) else {
                break;
            };
            dst = missing.start;
            let room = missing.len() / PAGE;
            let (first, n) = match zeroed.take() {
                Some((first, n)) => (first, n.min(room)),
                None if left == 0 => break,
                None => {
                    let Some((first, n)) = self.take_zeroed(ALLOCATION_RUN.min(left).min(room))
                    else {
                        break;
                    };
                    left -= n;
                    (first, n)
                }
            };
            let put = self.put_zeroed(dst, first, n);
            self.counts
                .allocation_recycled
                .fetch_add(put.placed, Ordering::Relaxed);
            dst = put.next;
            zeroed = put.rest;
            if put.failed {
                break;
            }
            self.prepared_to.store(dst, Ordering::Release);
            self.spaces().note_resident(dst);
        }
    }

    /// Ends the cycle: unregister, retire the handler's view of this
    /// compaction, release the shadow, and report.
    fn finish(
        &self,
        cycle: u64,
        resumed: Instant,
        usage: ThreadUsage,
        spent: Spent,
        producer: &Producer,
        failed: usize,
    ) {
        let c = self.concurrent();
        let clusters = self.large.clusters();
        let whole = self.registered();
        let registered = std::iter::once(&whole)
            .chain(clusters)
            .chain(self.large.watched());
        for range in registered {
            if let Err(e) = c.uffd.unregister(range.clone()) {
                log::error!("movegc: ending concurrent compaction: {e}");
            }
        }
        c.current.retire();
        // Unregistered, and no handler inside: the pages the moved large
        // objects left can take allocations again.
        let large = self.spaces().large();
        for relink in self.plan().relinks() {
            large.free_source(relink);
        }
        large.end_relinks();
        let heap_start = self.spaces().moving().start();
        // One call over the span: the shadow between the runs holds no page.
        let span = self
            .remapped
            .runs()
            .last()
            .map_or(0, |r| r.end - self.moving.start);
        let moved = std::iter::once((self.shadow_offset, span)).chain(
            clusters
                .iter()
                .chain(self.old.clusters())
                .map(|r| (r.start - heap_start, r.len())),
        );
        for (offset, len) in moved {
            if let Err(e) = c.shadow.decommit(offset, len) {
                log::error!("movegc: releasing the shadow: {e}");
            }
        }
        if failed > 0 {
            let at = self.counts.unplaced.load(Ordering::Relaxed);
            log::error!(
                "movegc: {failed} page(s) could not be placed: the objects they held are lost, \
                 the pages read as whatever the kernel put there (zeroes) \
                 (the first at {at:#x}, page {} of {} from {:#x}, {} dense; outcome {})",
                (at.saturating_sub(self.moving.start)) / PAGE,
                self.pages.len(),
                self.moving.start,
                self.dense_pages,
                self.counts.unplaced_outcome.load(Ordering::Relaxed),
            );
        }
        let (retries, without_buffer) = (
            self.counts.retries.load(Ordering::Relaxed),
            self.counts.without_buffer.load(Ordering::Relaxed),
        );
        if retries > 0 {
            log::info!("movegc: gc #{cycle}: {retries} page placement(s) retried after EAGAIN");
        }
        if without_buffer > 0 {
            log::info!(
                "movegc: gc #{cycle}: {without_buffer} page(s) built in private pages and copied, \
                 no buffer page being free"
            );
        }
        let now = ThreadUsage::now();
        let n = |a: &AtomicUsize| a.load(Ordering::Relaxed);
        let k = &self.counts;
        let stats = CompactionStats {
            cycle,
            pages: self.pages.len(),
            by_gc: n(&k.by_gc),
            by_helpers: n(&k.by_helpers),
            by_assists: n(&k.by_assists),
            by_mutators: n(&k.by_mutators),
            hot: n(&k.hot),
            moved: n(&k.moved),
            copied: n(&k.copied),
            copied_busy: n(&k.busy),
            retries: n(&k.retries),
            copied_without_buffer: n(&k.without_buffer),
            move_calls: n(&k.move_calls),
            placed_early: n(&k.placed_early),
            faulted_around: n(&k.faulted_around),
            buffers_free: producer.free,
            buffers_recycled: producer.recycled,
            allocation_pages: n(&k.allocation_pages),
            allocation_recycled: n(&k.allocation_recycled),
            claims_recycled: n(&k.claims_recycled),
            shadow_released: n(&k.released),
            lost: failed,
            allocation_prep: spent.allocation_prep,
            zero_filled: n(&k.zero_filled),
            objects_moved: n(&k.objects_moved),
            bytes_moved: n(&k.bytes_moved),
            large_pages: self.large.states.len(),
            large_by_gc: n(&k.large_by_gc),
            large_by_mutators: n(&k.large_by_mutators),
            old_pages: self.old.states.len(),
            old_by_mutators: n(&k.old_by_mutators),
            forwarded_ahead: self.memo.pages(),
            references_ahead: self.memo.references,
            large_moved: self.large.objects().iter().filter(|o| o.moves()).count(),
            relinked_pages: n(&k.relinked),
            relinked_unread: n(&k.relinked_unread),
            relink_holes: n(&k.relink_holes),
            unread_moving: n(&k.unread_moving),
            gc_minor_faults: now.minor_faults.saturating_sub(usage.minor_faults),
            faults: self.faults.summary(),
            fault_kinds: FaultKinds {
                dense: self.fault_kinds.dense.summary(),
                sliding: self.fault_kinds.sliding.summary(),
                large: self.fault_kinds.large.summary(),
                old: self.fault_kinds.old.summary(),
                allocation: self.fault_kinds.allocation.summary(),
            },
            fault_time: FaultKinds {
                dense: self.fault_kinds.dense.total(),
                sliding: self.fault_kinds.sliding.total(),
                large: self.fault_kinds.large.total(),
                old: self.fault_kinds.old.total(),
                allocation: self.fault_kinds.allocation.total(),
            },
            mutator_time: self.faults.total(),
            gc_cpu: now.cpu.saturating_sub(usage.cpu) + spent.helpers,
            threads: self.heap.config.compaction_threads,
            wall: resumed.elapsed(),
            switched_to_copy: self.copy_only.load(Ordering::Relaxed),
        };
        log::info!("movegc: {stats}");
        let kinds = &self.fault_kinds;
        let distributions = FaultKinds {
            dense: kinds.dense.distribution(),
            sliding: kinds.sliding.distribution(),
            large: kinds.large.distribution(),
            old: kinds.old.distribution(),
            allocation: kinds.allocation.distribution(),
        };
        self.heap
            .stats
            .lock()
            .record_compaction(stats, distributions);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs are as long as pages of their kind build in their time: long for
    /// cheap pages (fewer MOVE calls, each a TLB shootdown), short for dear
    /// dense ones (a mutator faulting on a claimed dense page waits for its
    /// whole run), never empty nor longer than the scratch space; a
    /// compaction thread's sliding runs may take [`SLIDING_RUN_TIME`].
    #[test]
    fn runs_are_sized_by_the_time_their_pages_took() {
        let mut cost = RunCost::new(RUN_TIME);
        assert_eq!(cost.pages(false), FIRST_RUN);
        assert_eq!(cost.pages(true), FIRST_RUN);
        let per_page = RUN_TIME / 10;
        cost.note(true, 4, per_page * 4);
        assert_eq!(cost.pages(true), 10, "dense pages as dear as timed");
        assert_eq!(cost.pages(false), FIRST_RUN, "kinds are timed apart");
        cost.note(false, 16, Duration::from_nanos(16));
        assert_eq!(cost.pages(false), RUN, "at most a run's scratch pages");
        for _ in 0..20 {
            cost.note(true, 1, RUN_TIME * 2);
        }
        assert_eq!(cost.pages(true), 1, "a slow page is a run of its own");
        let mut long = RunCost::new(SLIDING_RUN_TIME);
        let per_page = SLIDING_RUN_TIME / 10;
        long.note(false, 4, per_page * 4);
        long.note(true, 4, per_page * 4);
        assert_eq!(long.pages(false), 10, "sliding pages in the longer time");
        let dense = RUN_TIME.as_nanos() / per_page.as_nanos();
        assert_eq!(
            long.pages(true) as u128,
            dense.max(1),
            "dense pages in the shorter"
        );
        cost.note(true, 0, Duration::ZERO);
        assert!(cost.pages(true) >= 1);
    }
}
