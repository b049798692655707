//! Concurrent compaction through userfaultfd (modes `Move` and `Copy`).
//!
//! At the pause (after marking and planning, with roots already rewritten) the
//! moving space is registered for missing faults, a SIGBUS range is installed,
//! and its pages are `mremap`ped into the shadow. Mutators resume at once. A
//! compaction thread then builds to-space pages from the top down, and a
//! mutator that touches a page first builds it itself in its SIGBUS handler.
//! Each page has one state byte; whoever claims it builds it and places it:
//!
//! - a dense page (nothing on it moves) is rewritten in the shadow page itself
//!   and moved back: zero bytes copied;
//! - any other page is built into a shadow page that held no live data (free
//!   from the start) and moved in, or, with none left, built on the stack and
//!   copied in;
//! - a page above the new top (where mutators allocate meanwhile) is filled
//!   from a zero page.
//!
//! `UFFDIO_MOVE` failing with `EBUSY` (a page shared after `fork`) switches the
//! rest of the cycle to `UFFDIO_COPY`. See docs/concurrent-compaction.md.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicUsize, Ordering};

use gc_heap::compact::Shadow;
use gc_heap::{HEAP_ALIGN, Plan, PlanParts, Spaces};
use gc_uffd::sigbus::{self, Fault, FaultAction, SigbusRange};
use gc_uffd::{
    Capabilities, Capability, ErrorKind, Features, MoveMode, Outcome, Reservation, Userfaultfd,
    Wake,
};
use parking_lot::Mutex;

use crate::error::GcError;
use crate::heap::{HeapInner, Mode};

/// The page size the concurrent modes support: pages are built on the stack
/// when no free buffer page is left.
const PAGE: usize = 4096;

const UNPROCESSED: u8 = 0;
const CLAIMED: u8 = 1;
const MAPPED: u8 = 2;
const FAILED: u8 = 3;

/// A heap's concurrent-compaction machinery, made once.
pub(crate) struct Concurrent {
    uffd: Userfaultfd,
    shadow: Reservation,
    zero: Reservation,
    use_move: bool,
    running: Mutex<Option<std::thread::JoinHandle<()>>>,
    current: Arc<Current>,
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

    fn on_fault(&self, addr: usize) -> FaultAction {
        let state = self.state.fetch_add(1, Ordering::Acquire);
        let action = if state & LIVE != 0 {
            // SAFETY: published before LIVE was set, and not freed while our count
            // is held (see `retire`).
            unsafe { &*self.compaction.load(Ordering::Relaxed) }.on_fault(addr)
        } else {
            // No cycle is running: the fault was taken while the last one ended and
            // its range is unregistered now, so the retried access succeeds.
            FaultAction::Resolved
        };
        self.state.fetch_sub(1, Ordering::Release);
        action
    }
}

/// Why `mode` cannot run here, if it cannot.
pub(crate) fn unavailable(mode: Mode) -> Option<String> {
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
    pub(crate) fn new(spaces: &Spaces, mode: Mode) -> Result<Self, GcError> {
        let use_move = mode == Mode::Move;
        let features = if use_move {
            Features::SIGBUS | Features::MOVE
        } else {
            Features::SIGBUS
        };
        let uffd = Userfaultfd::open(features)?;
        let shadow = Reservation::new(spaces.capacity(), HEAP_ALIGN)?;
        shadow.exclude_from_fork()?;
        shadow.disable_huge_pages()?;
        let zero = Reservation::new(PAGE, PAGE)?;
        let current = Arc::new(Current::default());
        let handler = current.clone();
        let start = spaces.moving().start();
        // SAFETY: the handler uses atomics, memory reads and writes and ioctls
        // only: async-signal-safe.
        let range = unsafe {
            sigbus::register_range(start..start + spaces.capacity(), move |f: &Fault| {
                handler.on_fault(f.addr())
            })
        }?;
        Ok(Concurrent {
            uffd,
            shadow,
            zero,
            use_move,
            running: Mutex::new(None),
            current,
            _range: range,
        })
    }

    /// Waits for the last cycle's compaction to finish.
    pub(crate) fn wait(&self) {
        if let Some(thread) = self.running.lock().take() {
            // The compaction thread does not panic (it reports failures in the log);
            // a join error would only repeat what it logged.
            let _ = thread.join();
        }
    }
}

/// Counters of one cycle's compaction.
#[derive(Default)]
struct Counts {
    by_gc: AtomicUsize,
    by_mutators: AtomicUsize,
    moved: AtomicUsize,
    copied: AtomicUsize,
    zero_filled: AtomicUsize,
}

/// One cycle's compaction, shared by the compaction thread and every
/// mutator's SIGBUS handler. Everything the handler touches is atomics,
/// immutable data, and ioctls: it is async-signal-safe.
pub(crate) struct Compaction {
    heap: Arc<HeapInner>,
    parts: PlanParts,
    moving: Range<usize>,
    new_top: usize,
    remapped: AtomicUsize,
    delta: usize,
    dense_pages: usize,
    states: Box<[AtomicU8]>,
    free: Box<[usize]>,
    next_free: AtomicUsize,
    copy_only: AtomicBool,
    counts: Counts,
}

/// A page-aligned page on the stack, for building when no buffer page is free.
#[repr(C, align(4096))]
struct StackPage([u8; PAGE]);

impl Compaction {
    /// The heap's machinery; a compaction is only made for a heap that has it.
    fn concurrent(&self) -> Option<&Concurrent> {
        self.heap.concurrent.as_ref()
    }

    fn spaces(&self) -> &Spaces {
        &self.heap.spaces
    }

    fn plan(&self) -> Plan<'_> {
        // SAFETY: the next marking waits for this compaction to finish.
        unsafe { self.spaces().plan_from(self.parts) }
    }

    /// The SIGBUS handler's work: place the page holding `addr`.
    fn on_fault(&self, addr: usize) -> FaultAction {
        let page = addr & !(PAGE - 1);
        if !self.moving.contains(&page) {
            return FaultAction::Forward;
        }
        let index = (page - self.moving.start) / PAGE;
        if index < self.states.len() {
            return match self.claim(index, true) {
                true => FaultAction::Resolved,
                false => FaultAction::Forward,
            };
        }
        let Some(c) = self.concurrent() else {
            return FaultAction::Forward;
        };
        match c
            .uffd
            .copy_pages(page, c.zero.start(), PAGE, Wake::Yes)
            .outcome
        {
            Outcome::Complete => {
                self.counts.zero_filled.fetch_add(1, Ordering::Relaxed);
                FaultAction::Resolved
            }
            Outcome::Exists | Outcome::Again => FaultAction::Resolved,
            // The range was unregistered meanwhile (COPY reports that as ENOENT):
            // the retried access is an ordinary zero-fill fault now.
            Outcome::SourceHole => FaultAction::Resolved,
            Outcome::Failed(e) if e.kind() == ErrorKind::InvalidInput => FaultAction::Resolved,
            _ => FaultAction::Forward,
        }
    }

    /// Claims page `index` and places it, or (for a mutator) waits until its
    /// claimer has. Returns false if the page could not be placed.
    fn claim(&self, index: usize, mutator: bool) -> bool {
        let state = &self.states[index];
        match state.compare_exchange(UNPROCESSED, CLAIMED, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => {
                let placed = self.build_and_place(index);
                state.store(if placed { MAPPED } else { FAILED }, Ordering::Release);
                let by = if mutator {
                    &self.counts.by_mutators
                } else {
                    &self.counts.by_gc
                };
                by.fetch_add(1, Ordering::Relaxed);
                placed
            }
            Err(_) if !mutator => true,
            Err(_) => loop {
                match state.load(Ordering::Acquire) {
                    MAPPED => return true,
                    FAILED => return false,
                    _ => std::thread::yield_now(),
                }
            },
        }
    }

    fn take_free(&self) -> Option<usize> {
        let i = self.next_free.fetch_add(1, Ordering::Relaxed);
        self.free.get(i).copied()
    }

    fn build_and_place(&self, index: usize) -> bool {
        let page_start = self.moving.start + index * PAGE;
        let plan = self.plan();
        let src = Shadow { delta: self.delta };
        let spaces = self.spaces();
        if index < self.dense_pages {
            let own = page_start.wrapping_add(self.delta);
            // SAFETY: marking and planning are done; nothing on a dense page moves,
            // so rewriting it in place in the shadow disturbs no other page's sources.
            unsafe { spaces.build_page(&plan, page_start, &src, own) };
            // The next page reads the header of an object that starts here and
            // ends there from this shadow page: then it must stay, and is copied.
            let next = page_start + PAGE;
            let straddles = next < self.new_top && plan.first_object(next) != Some(next);
            return if straddles {
                self.copy(page_start, own)
            } else {
                self.place(page_start, own)
            };
        }
        if let Some(buffer) = self.take_free() {
            // SAFETY: the buffer held no live data, so it is no page's source.
            unsafe {
                spaces.build_page(&plan, page_start, &src, buffer);
                self.zero_tail(page_start, buffer);
            }
            return self.place(page_start, buffer);
        }
        let mut stack = StackPage([0; PAGE]);
        let buffer = stack.0.as_mut_ptr() as usize;
        // SAFETY: the stack page is ours and zeroed.
        unsafe { spaces.build_page(&plan, page_start, &src, buffer) };
        self.copy(page_start, buffer)
    }

    /// Zeroes the part of a buffer page above the new top.
    ///
    /// # Safety
    /// `buffer` must be a writable page.
    unsafe fn zero_tail(&self, page_start: usize, buffer: usize) {
        if page_start + PAGE > self.new_top {
            let live = self.new_top.saturating_sub(page_start);
            // SAFETY: inside the buffer page.
            unsafe { std::ptr::write_bytes((buffer + live) as *mut u8, 0, PAGE - live) };
        }
    }

    /// Moves the built page at `src` (a shadow page) to `dst`, or copies it.
    fn place(&self, dst: usize, src: usize) -> bool {
        let Some(c) = self.concurrent() else {
            return false;
        };
        if c.use_move && !self.copy_only.load(Ordering::Relaxed) {
            loop {
                // SAFETY: `src` is a shadow page this thread claimed (its page's own,
                // or a free buffer) and nobody references it.
                let p = unsafe { c.uffd.move_pages(dst, src, PAGE, MoveMode::empty()) };
                match p.outcome {
                    Outcome::Complete => {
                        self.counts.moved.fetch_add(1, Ordering::Relaxed);
                        return true;
                    }
                    Outcome::Again => continue,
                    Outcome::Busy => {
                        self.copy_only.store(true, Ordering::Relaxed);
                        break;
                    }
                    _ => break,
                }
            }
        }
        self.copy(dst, src)
    }

    fn copy(&self, dst: usize, src: usize) -> bool {
        let Some(c) = self.concurrent() else {
            return false;
        };
        loop {
            match c.uffd.copy_pages(dst, src, PAGE, Wake::Yes).outcome {
                Outcome::Complete => {
                    self.counts.copied.fetch_add(1, Ordering::Relaxed);
                    return true;
                }
                Outcome::Again => continue,
                _ => return false,
            }
        }
    }

    /// The compaction thread: build every page nobody has claimed, top down,
    /// wait for the mutators' pages, then end the cycle's registrations and
    /// release the shadow.
    fn run(self: Arc<Self>) {
        let pages = self.states.len();
        let mut failed = 0;
        for index in (0..pages).rev() {
            if !self.claim(index, false) {
                failed += 1;
            }
        }
        for state in self.states.iter() {
            while state.load(Ordering::Acquire) == CLAIMED {
                std::thread::yield_now();
            }
        }
        if let Some(c) = self.concurrent() {
            if let Err(e) = c.uffd.unregister(self.moving.clone()) {
                log::error!("movegc: ending concurrent compaction: {e}");
            }
            c.current.retire();
            if let Err(e) = c.shadow.decommit(0, self.remapped.load(Ordering::Acquire)) {
                log::error!("movegc: releasing the shadow: {e}");
            }
        }
        if failed > 0 {
            log::error!("movegc: {failed} page(s) could not be placed; their accesses will fault");
        }
        let n = |a: &AtomicUsize| a.load(Ordering::Relaxed);
        let k = &self.counts;
        {
            let mut stats = self.heap.stats.lock();
            stats.pages_by_gc += n(&k.by_gc) as u64;
            stats.pages_by_mutators += n(&k.by_mutators) as u64;
            stats.pages_moved += n(&k.moved) as u64;
            stats.pages_copied += n(&k.copied) as u64;
            stats.pages_zero_filled += n(&k.zero_filled) as u64;
        }
        log::info!(
            "movegc: concurrent compaction done: {pages} pages ({} by GC, {} by mutators), {} moved, {} copied, {} zero-filled{}",
            n(&k.by_gc),
            n(&k.by_mutators),
            n(&k.moved),
            n(&k.copied),
            n(&k.zero_filled),
            if self.copy_only.load(Ordering::Relaxed) {
                "; MOVE met EBUSY, the rest was copied"
            } else {
                ""
            },
        );
    }
}

/// The compaction pause's work, after roots are rewritten: publish the cycle
/// to the SIGBUS handler, register the moving space for missing faults, and
/// move its pages to the shadow. On failure before the pages moved, everything
/// is undone and the caller slides in place.
pub(crate) fn start(heap: &Arc<HeapInner>, plan: &Plan<'_>) -> Result<Arc<Compaction>, GcError> {
    let Some(c) = heap.concurrent.as_ref() else {
        return Err(GcError::Config("no concurrent machinery".into()));
    };
    let spaces = &heap.spaces;
    let start = spaces.moving().start();
    let moving = start..start + spaces.capacity();
    let dirty_end = spaces
        .moving()
        .top()
        .max(plan.old_top())
        .next_multiple_of(PAGE);
    let delta = c.shadow.start().wrapping_sub(start);
    let free: Box<[usize]> = (start..dirty_end)
        .step_by(PAGE)
        .filter(|&p| !spaces.page_has_live(p))
        .map(|p| p.wrapping_add(delta))
        .collect();
    let pages = (plan.new_top() - start).div_ceil(PAGE);
    let comp = Arc::new(Compaction {
        heap: heap.clone(),
        parts: plan.parts(),
        moving: moving.clone(),
        new_top: plan.new_top(),
        remapped: AtomicUsize::new(0),
        delta,
        dense_pages: (plan.dense_end() - start) / PAGE,
        states: (0..pages).map(|_| AtomicU8::new(UNPROCESSED)).collect(),
        free,
        next_free: AtomicUsize::new(0),
        copy_only: AtomicBool::new(false),
        counts: Counts::default(),
    });
    c.current.publish(comp.clone());
    if let Err(e) = c.uffd.register(moving.clone()) {
        c.current.retire();
        return Err(e.into());
    }
    let end = spaces.begin_concurrent_compaction(plan.new_top());
    if let Err(e) = spaces
        .reservation()
        .remap_into(0, end - start, &c.shadow, 0)
    {
        let _ = c.uffd.unregister(moving);
        c.current.retire();
        return Err(e.into());
    }
    comp.remapped.store(end - start, Ordering::Release);
    Ok(comp)
}

/// Starts the compaction thread for a cycle begun by [`start`].
pub(crate) fn spawn(heap: &HeapInner, comp: Arc<Compaction>) {
    let Some(c) = heap.concurrent.as_ref() else {
        return;
    };
    let thread = std::thread::Builder::new()
        .name("movegc-compact".into())
        .spawn(move || comp.run());
    match thread {
        Ok(t) => *c.running.lock() = Some(t),
        Err(e) => log::error!("movegc: cannot start the compaction thread: {e}"),
    }
}
