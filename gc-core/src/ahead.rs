//! Allocation memory prepared ahead of the mutators: zeroed, and resident.
//!
//! What a cycle frees above the new top it keeps resident for the
//! allocations to come, garbage until a claim zeroes it: on an
//! allocation-heavy program that memset was a tenth of the mutator's time
//! (binary-trees 21, `perf`). A thread of the heap's own (`movegc-ahead`)
//! zeroes it after each cycle instead, from the far end down towards the
//! top, through the zero line's protocol (`gc_heap`'s `zero_line`), which
//! keeps it and the claims from ever writing the same memory.
//!
//! The first touch of a page the kernel has not supplied yet costs the
//! toucher a fault, and on a VM whose guest hands free memory back to the
//! host (page reporting), once per reported block (8 MiB on the project's
//! VM) a wait for the host of 0.2–0.65 ms: the latency bench's longest
//! stalls, wherever the heap grows or a compaction left its allocation range
//! without pages (docs/kernel-layer.md). In Copy and stop-the-world modes
//! the thread also keeps the pages just above the moving space's top
//! resident, so that mutators allocate into memory that is there, with
//! `MADV_POPULATE_WRITE` (a compaction's registered range cannot be
//! populated that way). A mutator's claim that comes within half the window
//! of the prepared end asks for a round; it does nothing else on their path.
//!
//! Between cycles only: a compaction's pause moves the pages out to the
//! shadow before it registers their range, and a page made resident in
//! between would be a fresh zero page that the compaction cannot place its
//! contents over, its objects lost; and a cycle moves the top and the zero
//! line. The thread, at idle priority, may run long after it chose its
//! pages, so it checks for a cycle and works on a chunk under a gate, which
//! each cycle passes through at its start ([`Ahead::hold_off`]): a chunk in
//! progress then ends before the cycle goes on, and none starts until it
//! ends.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use gc_uffd::ErrorKind;

use crate::heap::{HeapInner, Mode};
use crate::parked::ParkedThread;
use crate::sync::ForkSafeMutex;

/// How far above the top pages are kept resident, at most. The host's wait
/// is for the thread, not the mutators, as long as it crosses into the next
/// reported block before they get there: at the latency bench's 37 MiB/s,
/// 0.65 ms is 24 KiB. A wider window only adds pages that a cycle may take away
/// again unused.
const WINDOW: usize = 2 << 20;

/// The most a heap keeps resident ahead, as a share of its size: a small
/// heap's window would otherwise be most of it.
const WINDOW_SHARE: usize = 16;

/// Pages made resident per call: the thread checks between calls whether a
/// cycle started.
const CHUNK: usize = 512 << 10;

/// Bytes zeroed per step: a claim that reaches the chunk being zeroed waits
/// for it (a few microseconds), and a cycle's start for the step to end.
const ZERO_CHUNK: usize = 64 << 10;

/// How far above the top the zeroing stops: a claim waits for it only if
/// the top climbs this far within one chunk's memset.
const ZERO_MARGIN: usize = 256 << 10;

/// The heap's side of the thread.
pub(crate) struct Ahead {
    shared: Arc<Shared>,
    window: usize,
    /// The heap this is part of, for the thread to reach while it works.
    heap: Weak<HeapInner>,
}

/// What the heap and its thread share: the thread holds this, not the heap,
/// between rounds, so that dropping the heap is not kept waiting.
#[derive(Default)]
struct Shared {
    /// Pages below this (and above the top) were made resident ahead. A hint:
    /// a cycle that takes them away resets it.
    end: AtomicUsize,
    /// No page from here up is made resident ahead: the end of what the last
    /// cycle kept for the allocations before the next (0: no cycle yet, no
    /// bound). Pages past it would be given back by the next cycle unused.
    bound: AtomicUsize,
    /// A claim came close to `end`: the thread has a round to run.
    wanted: AtomicBool,
    /// Cycles (or forks) under way, which no chunk may overlap.
    held_off: AtomicUsize,
    /// Held by the thread while it checks `held_off` and makes a chunk
    /// resident; passed through by [`Ahead::hold_off`].
    gate: ForkSafeMutex<()>,
    /// The thread could not make pages resident here (no
    /// `MADV_POPULATE_WRITE`): claims stop waking it.
    off: AtomicBool,
    pages: AtomicU64,
    zeroed: AtomicU64,
    thread: ParkedThread,
}

impl Ahead {
    /// The memory ahead of `heap`'s moving space of `capacity` bytes, in
    /// `mode`; no thread yet (see [`start`](Self::start)). No pages made
    /// resident in `Move` mode: its compactions move the shadow's pages into
    /// the allocation range, so only the heap's first growth finds fresh
    /// pages, and there making them resident cost binary-trees 21 system
    /// time (1.36 s against 1.20 s on average, five interleaved runs each).
    /// None either with `no_window` (an injected failure's test).
    pub(crate) fn new(capacity: usize, mode: Mode, no_window: bool, heap: Weak<HeapInner>) -> Self {
        let window = match mode {
            _ if no_window => 0,
            Mode::Move => 0,
            _ => WINDOW.min(capacity / WINDOW_SHARE) & !(gc_uffd::page_size() - 1),
        };
        Ahead {
            shared: Arc::default(),
            window,
            heap,
        }
    }

    /// Starts the heap's thread; without one (it could not be spawned)
    /// mutators fault their pages in as before.
    pub(crate) fn start(&self) {
        let shared = self.shared.clone();
        let heap = self.heap.clone();
        let started = self
            .shared
            .thread
            .wake_or_spawn("movegc-ahead", move || run(&shared, &heap));
        if let Err(e) = started {
            log::warn!("movegc: cannot start the allocation-ahead thread: {e}");
        }
    }

    /// In a forked child: the thread does not exist here. Starts another.
    pub(crate) fn renew_in_child(&self) {
        self.shared.thread.forget();
        self.start();
    }

    /// A mutator claimed memory up to `end`: wakes the thread if the
    /// prepared pages end less than half a window above it. One load when
    /// they do not.
    #[inline]
    pub(crate) fn claimed(&self, end: usize) {
        let s = &*self.shared;
        if end + self.window / 2 <= s.end.load(Ordering::Relaxed)
            || self.window == 0
            || s.off.load(Ordering::Relaxed)
            || s.wanted.swap(true, Ordering::AcqRel)
        {
            return;
        }
        s.thread.unpark();
    }

    /// Keeps the thread from making pages resident until the guard drops: a
    /// cycle's (or a fork's) first step. Waits for the chunk in progress, if
    /// any, to end.
    pub(crate) fn hold_off(&self) -> HeldOff<'_> {
        let s = &*self.shared;
        // The gate orders it: a chunk that takes the gate after this passed
        // through sees it.
        s.held_off.fetch_add(1, Ordering::Relaxed);
        drop(s.gate.lock());
        HeldOff(s)
    }

    /// A cycle's pause moved the top, and kept resident what the
    /// allocations until the next cycle use, up to `keep_end`: what lies
    /// ahead is to be zeroed, and made resident again from the top up to
    /// there, once the cycle ends.
    pub(crate) fn after_pause(&self, keep_end: usize) {
        self.shared.bound.store(keep_end, Ordering::Relaxed);
        self.shared.end.store(0, Ordering::Relaxed);
        self.shared.wanted.store(true, Ordering::Release);
    }

    /// A cycle gave pages above the top back: they are to be made resident
    /// again.
    pub(crate) fn after_release(&self) {
        self.shared.end.store(0, Ordering::Relaxed);
    }

    /// How far above the top the thread keeps pages resident (0 in Move
    /// mode, where it keeps none).
    pub(crate) fn window(&self) -> usize {
        self.window
    }

    /// Pages made resident ahead of the mutators so far.
    pub(crate) fn pages(&self) -> u64 {
        self.shared.pages.load(Ordering::Relaxed)
    }

    /// Bytes zeroed ahead of the mutators so far.
    pub(crate) fn zeroed(&self) -> u64 {
        self.shared.zeroed.load(Ordering::Relaxed)
    }
}

/// A cycle (or a fork) under way: no page is made resident ahead until this
/// drops; then the round the claims asked for meanwhile, if any, runs.
pub(crate) struct HeldOff<'a>(&'a Shared);

impl Drop for HeldOff<'_> {
    fn drop(&mut self) {
        let s = self.0;
        if s.held_off.fetch_sub(1, Ordering::Relaxed) == 1 && s.wanted.load(Ordering::Acquire) {
            s.thread.unpark();
        }
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.shared.thread.close();
    }
}

/// The thread: a round each time a claim wants one, between cycles, until
/// the heap is gone. It runs only on an idle CPU: on the project's 2-core VM,
/// a third runnable thread beside a mutator and a GC thread took the
/// mutator's CPU for whole time slices (stalls of 4–5 ms). During a cycle it
/// waits: holding the address space's lock in its system calls while no CPU
/// was idle for it to finish them, it held up the compaction pause's remap
/// (pauses of 2.6 ms).
fn run(shared: &Shared, heap: &Weak<HeapInner>) {
    match gc_uffd::run_when_idle() {
        Ok(()) => {}
        // Not Linux (the portable backend): nothing here makes pages resident,
        // and without an idle priority the zeroing would take the mutators'
        // CPUs as often as it saved them work.
        Err(e) if e.kind() == ErrorKind::Unsupported => {
            shared.off.store(true, Ordering::Relaxed);
            return;
        }
        Err(e) => log::debug!("movegc: the allocation-ahead thread runs at normal priority: {e}"),
    }
    loop {
        if shared.thread.is_closed() {
            return;
        }
        let Some(heap) = heap.upgrade() else {
            return;
        };
        // Left wanted during a cycle: claims do not wake it again meanwhile,
        // and the cycle's end does.
        if held_off(shared, &heap) || !shared.wanted.swap(false, Ordering::AcqRel) {
            drop(heap);
            std::thread::park();
            continue;
        }
        if zero_round(shared, &heap) {
            round(shared, &heap);
        }
    }
}

/// Whether a cycle is under way (its compaction too): the mutators' CPUs
/// are not to be shared with a third thread then, and its pause may have
/// moved the pages above the top out to the shadow.
fn held_off(shared: &Shared, heap: &HeapInner) -> bool {
    shared.held_off.load(Ordering::Relaxed) > 0
        || heap.concurrent.as_ref().is_some_and(|c| c.is_live())
}

/// Zeroes the garbage kept above the top, a chunk at a time, until the
/// zeroing reaches the top; stops when a cycle starts, and leaves the rest
/// wanted (returns false).
fn zero_round(shared: &Shared, heap: &HeapInner) -> bool {
    loop {
        let _gate = shared.gate.lock();
        if held_off(shared, heap) {
            shared.wanted.store(true, Ordering::Release);
            return false;
        }
        if shared.thread.is_closed() {
            return false;
        }
        // SAFETY: between cycles: a cycle passes through the gate before it
        // moves the top or the line, and none was under way under it. This
        // thread alone zeroes ahead.
        let zeroed = unsafe { heap.spaces.zero_ahead(ZERO_CHUNK, ZERO_MARGIN) };
        if zeroed == 0 {
            return true;
        }
        shared.zeroed.fetch_add(zeroed as u64, Ordering::Relaxed);
    }
}

/// Makes resident the pages from the prepared end (or the top) up to a
/// window above the top, a chunk at a time; stops when a cycle starts, and
/// leaves the rest wanted.
fn round(shared: &Shared, heap: &HeapInner) {
    if heap.ahead.window == 0 {
        return;
    }
    let spaces = &heap.spaces;
    let moving = spaces.moving();
    let page = gc_uffd::page_size();
    loop {
        let _gate = shared.gate.lock();
        if held_off(shared, heap) {
            shared.wanted.store(true, Ordering::Release);
            return;
        }
        let end = shared.end.load(Ordering::Relaxed);
        let top = moving.top().next_multiple_of(page);
        let from = end.max(top);
        let bound = match shared.bound.load(Ordering::Relaxed) {
            0 => moving.limit(),
            b => b.min(moving.limit()),
        };
        let to = (top + heap.ahead.window).min(bound);
        if from >= to || shared.thread.is_closed() {
            return;
        }
        let chunk = from..(from + CHUNK).min(to);
        #[cfg(feature = "fault-injection")]
        if let Some(delay) = heap.config.ahead_delay {
            std::thread::sleep(delay);
        }
        // Before the pages exist: a pause reading the resident end meanwhile
        // must cover them (they are zero, so a pause that missed them would
        // still be right, but would not give them back).
        spaces.note_resident(chunk.end);
        let Some(placed) = make_resident(heap, chunk.clone()) else {
            return;
        };
        shared.pages.fetch_add(placed as u64, Ordering::Relaxed);
        // A cycle that reset the end meanwhile moved the top: start again from it.
        let _ = shared
            .end
            .compare_exchange(end, chunk.end, Ordering::Relaxed, Ordering::Relaxed);
    }
}

/// Makes `range` (pages above the top) resident; returns the pages it
/// placed (between cycles: the range's), or `None` if it could not.
fn make_resident(heap: &HeapInner, range: Range<usize>) -> Option<usize> {
    let reservation = heap.spaces.reservation();
    // Only the missing pages: most of a window is often resident already (a
    // compaction's prepared pages, garbage a young cycle left mapped), and
    // populating it page by page cost binary-trees 0.15 s of system time.
    let mut placed = 0;
    let mut failed = None;
    let found = reservation.missing_runs(range.start - reservation.start(), range.len(), |run| {
        if failed.is_none() {
            match reservation.commit(run.start, run.len()) {
                Ok(()) => placed += run.len() / gc_uffd::page_size(),
                Err(e) => failed = Some(e),
            }
        }
    });
    match found.and_then(|()| failed.map_or(Ok(()), Err)) {
        Ok(()) => Some(placed),
        Err(e) if matches!(e.kind(), ErrorKind::Unsupported | ErrorKind::InvalidInput) => {
            log::debug!("movegc: pages ahead of the allocations: {e}; not made resident ahead");
            heap.ahead.shared.off.store(true, Ordering::Relaxed);
            None
        }
        // A compaction registered the range meanwhile (its missing pages
        // fail with EFAULT), or memory is short: the next round tries again.
        Err(_) => None,
    }
}
