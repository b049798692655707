//! Concurrent compaction through userfaultfd (modes `Move` and `Copy`).
//!
//! At the pause (after marking and planning, with roots already rewritten) the
//! moving space's pages are `mremap`ped into the shadow and the space is
//! registered for missing faults. Mutators resume at once. The cycle's thread
//! then builds to-space pages from the top down, and a mutator that touches a
//! page first builds it itself in its SIGBUS handler ([`pages`] holds the
//! per-page protocol):
//!
//! - a dense page (nothing on it moves) is rewritten in the shadow page itself
//!   and moved back: zero bytes copied;
//! - any other page is built into a buffer, a shadow page with no live data or
//!   one whose objects are all in place ([`buffers`]), and moved in; with none
//!   left, it is built in a private page and copied in;
//! - the compaction thread moves contiguous runs with one call;
//! - pages above the new top, where mutators allocate meanwhile, are placed
//!   as zero pages when a mutator claims them, one call per claim;
//! - large objects' pages with references are rewritten in their shadow pages
//!   and moved back ([`large`]).
//!
//! `UFFDIO_MOVE` failing with `EBUSY` (a page shared with another process
//! since a `fork` with a heap the child keeps) makes the rest of that run a
//! `UFFDIO_COPY`; if such pages make most of the cycle's, the rest of the
//! cycle copies. See docs/concurrent-compaction.md.

mod buffers;
mod compaction;
mod large;
pub(crate) mod latency;
mod memo;
mod moving_out;
mod old;
mod pages;
mod remap;

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

use gc_heap::{HEAP_ALIGN, Plan, Spaces};
use gc_uffd::sigbus::{self, Fault, FaultAction, SigbusRange};
use gc_uffd::{Capabilities, Capability, Features, Reservation, Userfaultfd};

pub(crate) use compaction::Compaction;
pub(crate) use compaction::Outside;
use compaction::{Ends, SpareTables};
pub(crate) use large::choose as choose_large;
pub(crate) use memo::Memo;
use moving_out::{Shadowed, Step};
pub(crate) use old::OldPages;
pub(crate) use remap::LivePages;
use remap::Remapped;

use crate::error::GcError;
use crate::heap::{HeapInner, Mode};

/// The page size the concurrent modes support: pages are built on the stack
/// when no free buffer page is left.
const PAGE: usize = 4096;

/// The most bytes one call places as zero pages.
const ZERO_SOURCE: usize = 256 << 10;

/// A heap's concurrent-compaction machinery, made once.
pub(crate) struct Concurrent {
    uffd: Userfaultfd,
    shadow: Reservation,
    /// Reads as zeroes: the source for placing zero pages, many per call.
    zero: Reservation,
    use_move: bool,
    /// The userfaultfd can move pages: large objects may move by relinking
    /// theirs (in `Copy` mode too, where the kernel has `UFFDIO_MOVE`).
    can_relink: bool,
    /// A forked child could not open a userfaultfd of its own: `uffd` still
    /// serves the parent's address space and must not be used.
    unusable: AtomicBool,
    #[cfg(feature = "fault-injection")]
    inject: crate::inject::Injection,
    current: Arc<Current>,
    /// The last compaction's per-page tables, for the next.
    spare: parking_lot::Mutex<Option<SpareTables>>,
    /// Registered for the heap's whole life, not per cycle: a fault taken just
    /// before a cycle ends can deliver its SIGBUS just after, and must still
    /// find a handler (which then lets the access retry as an ordinary fault).
    _range: SigbusRange,
}

/// The compaction the SIGBUS handler serves, published through one state word:
/// `LIVE`, and the number of handlers using it. Ending a cycle clears `LIVE`
/// and waits for the count to drain before dropping the compaction, so a
/// handler never uses a freed one (the protocol of gc-uffd's range table).
#[derive(Default)]
struct Current {
    state: AtomicUsize,
    compaction: AtomicPtr<Compaction>,
}

const LIVE: usize = 1 << (usize::BITS - 1);

impl Current {
    fn publish(&self, compaction: Arc<Compaction>) {
        self.compaction
            .store(Arc::into_raw(compaction).cast_mut(), Ordering::Relaxed);
        self.state.fetch_or(LIVE, Ordering::Release);
    }

    fn retire(&self) {
        self.state.fetch_and(!LIVE, Ordering::AcqRel);
        while self.state.load(Ordering::Acquire) & !LIVE != 0 {
            std::thread::yield_now();
        }
        let p = self
            .compaction
            .swap(std::ptr::null_mut(), Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: `p` came from `Arc::into_raw` in `publish`; LIVE is clear and
            // no handler holds it any more.
            drop(unsafe { Arc::from_raw(p) });
        }
    }

    /// Runs `f` on the live compaction, if one is: the count held meanwhile
    /// keeps [`retire`](Self::retire) from freeing it.
    fn with<R>(&self, f: impl FnOnce(&Compaction) -> R) -> Option<R> {
        let state = self.state.fetch_add(1, Ordering::Acquire);
        let result = (state & LIVE != 0).then(|| {
            // SAFETY: published before LIVE was set, and not freed while our count
            // is held (see `retire`).
            f(unsafe { &*self.compaction.load(Ordering::Relaxed) })
        });
        self.state.fetch_sub(1, Ordering::Release);
        result
    }

    fn on_fault(&self, addr: usize) -> FaultAction {
        // No cycle live: the fault was taken while the last one ended and its
        // range is unregistered now, so the retried access succeeds.
        self.with(|c| c.on_fault(addr))
            .unwrap_or(FaultAction::Resolved)
    }
}

/// Why `mode` cannot run here, if it cannot.
pub(crate) fn unavailable(mode: Mode, injected: bool) -> Option<String> {
    if injected {
        return Some("userfaultfd is unavailable (injected failure)".into());
    }
    if gc_uffd::page_size() != PAGE {
        return Some(format!(
            "concurrent compaction supports 4 KiB pages; this system's are {} bytes",
            gc_uffd::page_size()
        ));
    }
    let caps = Capabilities::get();
    let needs: &[Capability] = match mode {
        Mode::Move => &[
            Capability::Userfaultfd,
            Capability::Move,
            Capability::Sigbus,
            Capability::DontUnmap,
        ],
        _ => &[
            Capability::Userfaultfd,
            Capability::Sigbus,
            Capability::DontUnmap,
        ],
    };
    needs.iter().find_map(|&c| {
        caps.check(c)
            .err()
            .map(|no| format!("{c:?} is unavailable: {no}"))
    })
}

impl Concurrent {
    pub(crate) fn new(
        spaces: &Spaces,
        mode: Mode,
        #[cfg(feature = "fault-injection")] inject: crate::inject::Injection,
    ) -> Result<Self, GcError> {
        let use_move = mode == Mode::Move;
        let can_relink = use_move || Capabilities::get().check(Capability::Move).is_ok();
        let features = if can_relink {
            Features::SIGBUS | Features::MOVE
        } else {
            Features::SIGBUS
        };
        let uffd = Userfaultfd::open(features)?;
        // As large as the heap's reservation, both spaces: a page keeps its
        // offset in the shadow.
        let size = spaces.reservation().size();
        let shadow = Reservation::new(size, HEAP_ALIGN)?;
        shadow.exclude_from_fork()?;
        shadow.disable_huge_pages()?;
        let zero = Reservation::new(ZERO_SOURCE, PAGE)?;
        let current = Arc::new(Current::default());
        let handler = current.clone();
        let start = spaces.moving().start();
        // SAFETY: the handler uses atomics, memory reads and writes and ioctls
        // only: async-signal-safe.
        let range = unsafe {
            sigbus::register_range(start..start + size, move |f: &Fault| {
                handler.on_fault(f.addr())
            })
        }?;
        Ok(Concurrent {
            uffd,
            shadow,
            zero,
            use_move,
            can_relink,
            unusable: AtomicBool::new(false),
            #[cfg(feature = "fault-injection")]
            inject,
            current,
            spare: parking_lot::Mutex::new(None),
            _range: range,
        })
    }

    /// Whether this machinery can move large objects by relinking their
    /// pages (`UFFDIO_MOVE`), and has a userfaultfd of its own to do it with.
    pub(crate) fn can_relink(&self) -> bool {
        self.can_relink && !self.unusable.load(Ordering::Relaxed)
    }

    /// Whether children forked from now on inherit the shadow. It holds no
    /// page between cycles, but a child without it would have a hole where
    /// its next cycle remaps the heap, which the child's own mappings could
    /// fill meanwhile.
    pub(crate) fn inherit_in_fork(&self, inherit: bool) -> gc_uffd::Result<()> {
        self.shadow.inherit_in_fork(inherit)
    }

    /// In a forked child (no cycle live, no other thread): the inherited
    /// userfaultfd serves the parent's address space, so registering the
    /// heap through it would register the parent's heap. Opens one for this
    /// process in its place; if that fails, no cycle here compacts
    /// concurrently again.
    pub(crate) fn reopen_in_child(&self) {
        if let Err(e) = self.uffd.reopen() {
            self.unusable.store(true, Ordering::Relaxed);
            log::warn!(
                "movegc: a forked child cannot open a userfaultfd of its own ({e}): \
                 it compacts stop-the-world"
            );
        }
    }

    /// Before a mutator allocates in `claim`, places the pages a compaction
    /// in progress left missing above its new top, with one call instead of a
    /// SIGBUS per page. Without a compaction, one load.
    pub(crate) fn populate(&self, claim: Range<usize>) {
        if self.current.state.load(Ordering::Relaxed) & LIVE != 0 {
            self.current.with(|c| c.populate(claim));
        }
    }

    /// Whether a claim of `claim` now would take fresh pages from the
    /// kernel beyond the compaction's share of them: a compaction is live,
    /// some of the claim's pages are missing, and it has no shadow page to
    /// spare for them.
    pub(crate) fn short_of_pages(&self, claim: Range<usize>) -> bool {
        self.is_live() && self.current.with(|c| c.short_of_pages(claim)) == Some(true)
    }

    /// Whether a live compaction, moving, has free shadow pages for a claim
    /// of `bytes` beyond those its builders may need.
    pub(crate) fn has_buffers_for(&self, bytes: usize) -> bool {
        self.is_live() && self.current.with(|c| c.has_buffers_for(bytes)) == Some(true)
    }

    /// A paced mutator builds pages for the live compaction, if one is,
    /// while `still_paced()` ([`Compaction::assist`]); returns whether one was.
    pub(crate) fn assist(&self, still_paced: impl FnMut() -> bool) -> bool {
        self.current.with(|c| c.assist(still_paced)).is_some()
    }

    /// Whether a compaction is live (its range registered).
    pub(crate) fn is_live(&self) -> bool {
        self.current.state.load(Ordering::Relaxed) & LIVE != 0
    }
}

/// The compaction pause's work, after roots are rewritten: publish the cycle
/// to the SIGBUS handler, register the moving space from the plan's base up
/// and the clusters of `large` objects for missing faults, and move to the
/// shadow the pages whose accesses must fault ([`Remapped`]): the to-space
/// pages, the pages of sources above them, and those above the `keep` bytes
/// the next allocations use. Garbage pages among them stay mapped for those
/// allocations; the `pinned` pages (see [`crate::pin`]) stay too, their
/// references rewritten in place; and the pages below the base (the old
/// generation, in a young cycle) are never touched. Its cost does not grow
/// with the heap: two system calls per range and tables of zeroed memory. On
/// failure everything is undone and the caller slides in place.
pub(crate) fn start(
    heap: &Arc<HeapInner>,
    plan: &Plan<'_>,
    outside: Outside,
    keep: usize,
    pinned: &[Range<usize>],
    scanned: Option<&LivePages>,
) -> Result<Arc<Compaction>, GcError> {
    let Some(c) = heap.concurrent.as_ref() else {
        return Err(GcError::Config("no concurrent machinery".into()));
    };
    if c.unusable.load(Ordering::Relaxed) {
        return Err(GcError::Config(
            "this forked child has no userfaultfd of its own".into(),
        ));
    }
    let spaces = &heap.spaces;
    let start = spaces.moving().start();
    let heap_pages = spaces.reservation();
    // A pinned page no one has written yet (the untouched end of a fresh
    // object, or of a TLAB's filler) is missing: once the space is
    // registered, a touch there (a mutator's, the kernel's in a system call)
    // would fault, and the handler, which takes pinned pages for placed
    // (`Compaction::new`), would never place it.
    for p in pinned {
        heap_pages.commit(p.start - start, p.len())?;
    }
    let dirty_end = spaces
        .dirty_end()
        .max(plan.old_top())
        .next_multiple_of(PAGE);
    let remapped = Remapped::choose(
        plan,
        plan.new_top().saturating_add(keep),
        dirty_end,
        pinned,
        scanned,
    );
    let mapped_end = remapped.mapped_end(plan.new_top(), dirty_end);
    let comp = Arc::new(Compaction::new(
        heap.clone(),
        c.clone(),
        plan,
        Ends {
            dirty: dirty_end,
            keep,
        },
        remapped,
        outside,
        pinned,
    )?);
    // Registered to the space's end: mutators' claims above the new top get
    // their missing pages placed a claim at a time (`populate`), cheaper than
    // a fault per page. From the first old page rewritten after the pause,
    // if any: one call, and the old pages left mapped between do not fault.
    // The pages left mapped (pinned ones among them) do not fault: only
    // missing pages do.
    let moving = comp.registered();
    let clusters = comp.large().clusters();
    let remaps: Vec<Range<usize>> = comp
        .remapped()
        .runs()
        .iter()
        .chain(clusters)
        .chain(comp.old().clusters())
        .cloned()
        .collect();
    // The moving large objects' new pages are holes: registered, not
    // remapped, with what lies between them (one range, not one per hole).
    let registers = std::iter::once(moving)
        .chain(clusters.iter().cloned())
        .chain(comp.large().watched().iter().cloned());
    c.current.publish(comp.clone());
    let undo = |remapped: &[Range<usize>], registered: &[Range<usize>]| {
        for range in registered {
            if let Err(e) = c.uffd.unregister(range.clone()) {
                log::error!("movegc: undoing a compaction's start: {e}");
            }
        }
        for range in remapped {
            let offset = range.start - start;
            if let Err(lost) = c.shadow.remap_into(offset, range.len(), heap_pages, offset) {
                log::error!("movegc: the heap's pages could not be moved back: {lost}");
            }
        }
        c.current.retire();
    };
    // Remap first, register after: mremap moves a registered range's page
    // tables one page at a time (3 ms per GiB here, against 10 us per GiB
    // unregistered). Every mutator is stopped, so nothing touches the empty
    // ranges in between.
    let mut out = Shadowed::default();
    for step in moving_out::steps(&remaps, start..spaces.moving().limit(), pinned) {
        let moved = match &step {
            Step::Out(r) => {
                heap_pages.remap_into(r.start - start, r.len(), &c.shadow, r.start - start)
            }
            Step::Back(r) => {
                c.shadow
                    .remap_into(r.start - start, r.len(), heap_pages, r.start - start)
            }
        };
        if let Err(e) = moved {
            undo(out.ranges(), &[]);
            return Err(e.into());
        }
        out.apply(&step);
    }
    #[cfg(feature = "fault-injection")]
    if let Some(delay) = c.inject.remap_delay {
        std::thread::sleep(delay);
    }
    let mut registered = Vec::new();
    for range in registers {
        if let Err(e) = c.uffd.register(range.clone()) {
            undo(&remaps, &registered);
            return Err(e.into());
        }
        registered.push(range);
    }
    for p in pinned {
        // SAFETY: marking and planning are done and every mutator is stopped;
        // no object crosses a pinned range's ends (`Spaces::pinned_pages`).
        unsafe { spaces.rewrite_in_place(plan, p.clone()) };
    }
    spaces.begin_concurrent_compaction(plan.new_top(), mapped_end);
    Ok(comp)
}
