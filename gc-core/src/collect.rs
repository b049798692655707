//! The cycle: initial mark, concurrent mark, final mark, concurrent planning,
//! the compaction pause, and the compaction (concurrent, or a slide in the
//! pause). With concurrent marking off, everything up to the compaction runs
//! in one pause.
//!
//! A cycle runs on whichever thread asks for it and is not a running mutator:
//! a cycle thread started when allocation reaches the policy's budget, a
//! thread calling `collect()`, or an allocation that found the heap full
//! (each of those in native code meanwhile). One cycle runs at a time.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use gc_heap::compact::InPlace;
use gc_heap::{CleanRun, Plan, PlanParts, Release, SlotKind, Spaces};

use crate::concurrent::{self, Compaction};
use crate::error::GcError;
use crate::fork::ForkPhase;
use crate::heap::HeapInner;
use crate::mark::Marker;
use crate::mutator::{MutatorShared, retire};
use crate::policy::Governor;
use crate::pre_write::PreWrite;
use crate::references::{ReferenceStats, Stage};
use crate::roots::RootVisitor;
use crate::stats::{CycleKind, CycleStats, Pause, PauseKind, Reason};
use crate::sync::{Condvar, Mutex, MutexGuard, lock};

/// Objects the final-mark pause traces before it gives up, resumes the
/// mutators and lets marking go on concurrently (about a millisecond's work).
const FINAL_MARK_BUDGET: usize = 20_000;
/// Final-mark attempts before the pause traces whatever is left.
const FINAL_MARK_ATTEMPTS: usize = 4;

/// How an initial-mark pause ended.
enum Start<'a> {
    /// A young cycle found its survivors in the pause, and compacted (or
    /// started compacting) there too.
    Done(CompactionStarted),
    /// Marking goes on concurrently from these objects; whether the pause
    /// traced: then they are grey, the dirty cards' young objects among
    /// them; else they are the roots' references, unmarked.
    Marking(Marker<'a>, Vec<usize>, bool),
}

/// What the compaction pause started.
struct Started {
    /// The concurrent compaction, if any.
    compaction: Option<Arc<Compaction>>,
    /// A cycle that moved nothing: its plan, for the work it leaves until
    /// after the pause ([`Spaces::settle_in_place`](gc_heap::Spaces::settle_in_place)).
    settle: Option<PlanParts>,
    /// The part of the moving space marked and planned, and its black line.
    marked: Range<usize>,
    black: usize,
    /// Where the promoted objects lie after compaction.
    promoted: Range<usize>,
    /// Pages a compaction in the pause set aside, to give back after it.
    release: Option<Release>,
    /// A full cycle's dirty cards, for its concurrent compaction to build
    /// their pages first.
    hot: Vec<usize>,
}

type CompactionStarted = Result<Started, GcError>;

/// What a cycle did for its compaction pause before it, while the mutators
/// ran.
#[derive(Default)]
struct Early {
    /// The pages with live data found below the black line.
    live: Option<concurrent::LivePages>,
    /// The starts of the objects the compaction will place are cleared.
    starts_cleared: bool,
    /// The references of the dense pages written since the last cycle,
    /// forwarded (a full cycle's, for a concurrent compaction).
    memo: concurrent::Memo,
    /// How far from the base the pages of a full cycle's dense prefix
    /// reached whose objects referenced nothing that moves when marking
    /// scanned them: the compaction pause leaves those without a listed card
    /// mapped ([`keep_clean_prefix`]).
    clean: Option<CleanRun>,
    /// The cards listed before the compaction pause: how many, and the lowest.
    cards_seen: usize,
    lowest_card: Option<usize>,
}

/// A cycle whose dead bytes are at most this fraction of what it planned
/// (1/32) moves nothing ([`Plan::in_place`]).
const IN_PLACE_DEAD: usize = 32;

/// The most bytes of large objects such a cycle rewrites in its pause.
const IN_PLACE_LARGE: usize = 256 << 10;

/// Whether a cycle the policy ran found next to nothing dead: at most
/// 1/[`IN_PLACE_DEAD`] of what `plan` covers. With few large objects to
/// rewrite, it moves nothing ([`Plan::in_place`]).
fn finds_little_dead(reason: Reason, plan: &Plan<'_>) -> bool {
    reason == Reason::Budget && plan.dead_bytes() <= (plan.black() - plan.base()) / IN_PLACE_DEAD
}

/// Whether a young cycle's survivors under `plan` are few enough for its
/// compaction pause to slide them ([`Policy::young_slide_limit`](crate::Policy::young_slide_limit)).
fn slides_in_pause(settings: &crate::Policy, plan: &Plan<'_>) -> bool {
    settings.young_slide_limit > 0 && plan.new_top() - plan.base() <= settings.young_slide_limit
}

/// A full cycle forwards ahead the references of at most a page per this many
/// bytes of heap (its memo takes two words a word: 16 MiB for a 1 GiB heap,
/// 2,048 pages, enough for the latency bench's 1,957 pages of slot arrays).
const MEMO_SHARE: usize = 512 << 10;

/// Forwarding ahead stops when less than this share of the heap (1/8) is
/// free: it delays the compaction pause, and an allocation that finds the
/// heap full waits for it (the latency bench unthrottled: allocation stalls
/// of 16–17 ms, none without it).
const MEMO_ROOM: usize = 8;

/// While a concurrent compaction runs, the allocations may use `1 /` this
/// of their room up to the next trigger at once; the rest follows its
/// progress. Its garbage shadow pages serve them as it frees them, a page per
/// page or so it builds. With half the room free at once, the unthrottled
/// latency bench's mutator took 40,000 fresh pages a compaction in its first
/// 200 ms, before any were freed; with an eighth, 22,000, and peak RSS fell
/// from 1,270–1,280 to 1,230–1,240 MiB for a 1 GiB heap, at the same
/// throughput (two interleaved child runs each; a 32nd: 16,000 fresh pages,
/// 5% less throughput).
const COMPACTION_UPFRONT: usize = 8;

/// A full cycle moves large objects down when the holes below the large
/// space's extent make at least this fraction of it (1/4), and ...
const RELINK_HOLES: usize = 4;

/// ... at least this many bytes: below, the holes cost little address space
/// and the registrations would cost more than they free.
const RELINK_MIN_HOLES: usize = 1 << 20;

/// Old large objects at least this long whose cards are dirty have their
/// references rewritten after a young cycle's pause, page by page, with the
/// young large objects' ([`old_large_objects`]): a cluster this long pays for
/// its system calls (`concurrent::large`'s smallest).
const OLD_LARGE_AFTER: usize = 64 << 10;

/// The most old large objects one young cycle rewrites so: the compaction
/// remaps at most 32 clusters (the young large objects' among them), and
/// an object left out of them would be rewritten whole in the pause.
const MAX_OLD_LARGE: usize = 16;

/// The most large objects one cycle moves: the plan, the pause's table
/// updates and the forwarding table's lookups stay bounded.
const MAX_RELINKS: usize = 4096;

/// Listed cards per page of the card table from which a full cycle cleans
/// the whole table at once rather than card by card: a page returned to the
/// kernel costs about as much as 64 stores to random cards.
const CLEAN_ALL_PER_PAGE: usize = 64;

/// Heap beyond the top whose marking bitmaps a cycle makes resident before
/// it starts, for the objects allocated while it runs: what a huge page of
/// the live bitmap covers.
const MARKING_SLACK: usize = 128 << 20;

/// Whether a cycle runs, and a way to wait for it to free memory.
#[derive(Default)]
pub(crate) struct CycleControl {
    /// A cycle was requested of the cycle thread and has not finished.
    running: std::sync::atomic::AtomicBool,
    /// Counts the compaction pauses and the cycles' ends: what an allocation
    /// waiting for memory waits for.
    freed: Mutex<u64>,
    changed: Condvar,
    /// Allocations that found no room twice and now run a full cycle of their
    /// own: while any does, other threads' claims of new memory wait, so that
    /// what the cycle frees goes to them first (ZGC's stalled allocations are
    /// served the same way, in order, when memory frees).
    priority: std::sync::atomic::AtomicUsize,
}

impl CycleControl {
    pub(crate) fn bump(&self) {
        *lock(&self.freed) += 1;
        self.changed.notify_all();
    }

    /// Waits for a cycle's end or a priority's release, a millisecond at most.
    fn wait_a_moment<'a>(&self, freed: MutexGuard<'a, u64>) -> MutexGuard<'a, u64> {
        self.changed
            .wait_timeout(freed, Duration::from_millis(1))
            .unwrap_or_else(|p| p.into_inner())
            .0
    }

    /// Whether allocations with priority are waiting for memory.
    pub(crate) fn priority_claims(&self) -> bool {
        self.priority.load(Ordering::Acquire) != 0
    }
}

/// For a `fork` with a heap the child keeps (fork.rs).
impl CycleControl {
    /// Holds the lock a stalled allocation takes between its waits, so that
    /// no other thread holds it at the fork.
    pub(crate) fn lock_for_fork(&self) -> crate::sync::MutexGuard<'_, u64> {
        lock(&self.freed)
    }

    /// In a forked child: no cycle thread and no other allocation exists
    /// (`CycleThread::renew_in_child`).
    pub(crate) fn reset_in_child(&self) {
        self.running.store(false, Ordering::Release);
        self.priority.store(0, Ordering::Release);
    }
}

/// An allocation's priority over other threads' claims, held until it has
/// claimed its memory or failed.
pub(crate) struct Priority(Arc<HeapInner>);

impl Priority {
    pub(crate) fn take(heap: &Arc<HeapInner>) -> Priority {
        heap.cycle.priority.fetch_add(1, Ordering::AcqRel);
        Priority(heap.clone())
    }
}

impl Drop for Priority {
    fn drop(&mut self) {
        self.0.cycle.priority.fetch_sub(1, Ordering::AcqRel);
        self.0.cycle.bump();
    }
}

/// Waits, in native code, until no allocation with priority is waiting.
pub(crate) fn wait_for_priority(heap: &Arc<HeapInner>, me: &Arc<MutatorShared>) {
    let start = Instant::now();
    heap.handshake.enter_native(&me.state);
    let mut freed = lock(&heap.cycle.freed);
    while heap.cycle.priority_claims() {
        freed = heap.cycle.wait_a_moment(freed);
    }
    drop(freed);
    heap.handshake.leave_native(&me.state);
    record_stall(heap, start.elapsed());
}

/// Starts a cycle on the heap's cycle thread, unless one runs already. The
/// caller, a mutator, goes on allocating.
pub(crate) fn request(heap: &Arc<HeapInner>, me: &Arc<MutatorShared>) {
    if heap.cycle.running.swap(true, Ordering::AcqRel) {
        return;
    }
    let seen = heap.collections.load(Ordering::Acquire);
    if let Err(e) = heap.cycle_thread.wake(seen) {
        log::warn!("movegc: cannot start the cycle thread ({e}): collecting on this one");
        heap.cycle.running.store(false, Ordering::Release);
        heap.handshake.enter_native(&me.state);
        let result = collect(heap, Reason::Budget);
        heap.handshake.leave_native(&me.state);
        if let Err(e) = result {
            log::error!("movegc: a collection failed: {e}");
        }
    }
}

/// The cycle thread's work for a request made when `seen` collections had
/// run: a cycle, unless one ran meanwhile.
pub(crate) fn run_requested(heap: &Arc<HeapInner>, seen: u64) {
    let _abort = AbortOnPanic;
    let result = {
        heap.fork_gate.wait(ForkPhase::Stopping);
        let _collector = heap.collector.lock();
        // A cycle that ran while this one waited for the lock did the work.
        if heap.collections.load(Ordering::Acquire) == seen {
            run_and_record(heap, Reason::Budget)
        } else {
            Ok(())
        }
    };
    heap.cycle.running.store(false, Ordering::Release);
    heap.cycle.bump();
    if let Err(e) = result {
        log::error!("movegc: a collection failed: {e}");
    }
}

/// Ends the process if the cycle thread panics: its cycle stopped part-way,
/// perhaps with the mutators stopped or the heap's pages in the shadow, and
/// a thread waiting for it to free memory would wait for ever.
struct AbortOnPanic;

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            log::error!("movegc: the cycle thread panicked part-way through a cycle: aborting");
            std::process::abort();
        }
    }
}

/// Runs a cycle now on this thread, after any cycle in progress. The caller
/// must not be a running mutator (a mutator enters native code first).
pub(crate) fn collect(heap: &Arc<HeapInner>, reason: Reason) -> Result<(), GcError> {
    // The walking thread holds the collector's lock: it would wait for itself.
    if heap.in_walk() {
        return Err(GcError::InWalk);
    }
    heap.fork_gate.wait(ForkPhase::Stopping);
    let result = {
        let _collector = heap.collector.lock();
        run_and_record(heap, reason)
    };
    heap.cycle.bump();
    result
}

/// An allocation found the heap full: waits, in native code, for the cycle
/// in progress to free memory, or runs a full one if none is in progress or
/// `full` asks for one (which then starts after the one in progress).
pub(crate) fn stall(
    heap: &Arc<HeapInner>,
    me: &Arc<MutatorShared>,
    full: bool,
) -> Result<(), GcError> {
    let start = Instant::now();
    heap.handshake.enter_native(&me.state);
    let busy = heap.cycle.running.load(Ordering::Acquire) || heap.collector.is_locked();
    let result = if busy && !full {
        let mut freed = lock(&heap.cycle.freed);
        let seen = *freed;
        while *freed == seen
            && (heap.cycle.running.load(Ordering::Acquire) || heap.collector.is_locked())
        {
            freed = heap.cycle.wait_a_moment(freed);
        }
        Ok(())
    } else {
        collect(heap, Reason::Full)
    };
    heap.handshake.leave_native(&me.state);
    record_stall(heap, start.elapsed());
    result
}

fn record_stall(heap: &HeapInner, waited: Duration) {
    let mut stats = heap.stats.lock();
    stats.allocation_stalls += 1;
    stats.stall_time += waited;
    stats.max_stall = stats.max_stall.max(waited);
    drop(stats);
    log::debug!(
        "movegc: an allocation found the heap full and waited {:.2} ms",
        waited.as_secs_f64() * 1e3
    );
}

pub(crate) fn run_and_record(heap: &Arc<HeapInner>, reason: Reason) -> Result<(), GcError> {
    run(heap, reason).map(drop)
}

/// Calls `f` with every root slot: pinned objects, global scanners and
/// slots, the objects queued for finalization, then each mutator's scanners,
/// owned slots and handles.
fn for_each_root(
    heap: &HeapInner,
    mutators: &[Arc<MutatorShared>],
    f: &mut dyn FnMut(*mut usize, SlotKind),
) {
    for addr in heap.pins.snapshot().0 {
        // A pinned object does not move: its slot is a copy.
        let mut slot = addr;
        f(&mut slot, SlotKind::Ref);
        debug_assert_eq!(slot, addr, "a pinned object moved");
    }
    let mut visitor = RootVisitor::new(f);
    heap.global_roots.lock().scan(&mut visitor);
    for slot in heap.references.lock().finalizable.iter_mut() {
        // SAFETY: an element of the queue, which stays locked meanwhile.
        unsafe { visitor.visit_raw(slot, SlotKind::Ref) };
    }
    for m in mutators {
        // SAFETY: the mutator is stopped or in native code, so only this thread
        // touches its scanners, owned slots and handles.
        let (scanners, owned, handles) = unsafe {
            (
                &mut *m.roots.get(),
                &mut *m.owned_roots.get(),
                &mut *m.handles.get(),
            )
        };
        for scanner in scanners.iter_mut() {
            scanner.scan_roots(&mut visitor);
        }
        owned.retain(|w| {
            let Some(slots) = w.upgrade() else {
                return false;
            };
            slots.scan(&mut visitor);
            true
        });
        for slot in handles.iter_mut() {
            // SAFETY: the slot is a live element of the handle vector.
            unsafe { visitor.visit_raw(slot, SlotKind::Ref) };
        }
    }
}

fn verify(heap: &HeapInner, mutators: &[Arc<MutatorShared>]) -> Result<(), GcError> {
    let spaces = &heap.spaces;
    let mut report = spaces.verify()?;
    let mut bad_roots = Vec::new();
    for_each_root(heap, mutators, &mut |slot, kind| {
        // SAFETY: root slots are valid for reads during the pause.
        let value = unsafe { slot.read() };
        if let Some(problem) = report.check_slot(spaces, kind, value) {
            bad_roots.push(gc_heap::walk::HeapError {
                object: 0,
                type_name: Some("<root>".into()),
                offset: None,
                value,
                problem,
            });
        }
    });
    heap.references.for_each_weak(spaces, |value| {
        if let Some(problem) = report.check_slot(spaces, SlotKind::Ref, value) {
            bad_roots.push(gc_heap::walk::HeapError {
                object: 0,
                type_name: Some("<reference table>".into()),
                offset: None,
                value,
                problem,
            });
        }
    });
    report.errors.extend(bad_roots);
    if report.is_ok() {
        Ok(())
    } else {
        Err(GcError::Corrupt(report.errors))
    }
}

/// When a pause began, how long it took, and how long stopping the mutators
/// took of that.
pub(crate) struct Timing {
    start: Instant,
    pub(crate) duration: Duration,
    stop: Duration,
    cpu: Duration,
}

impl CycleStats {
    fn record_pause(&mut self, kind: PauseKind, t: Timing) {
        self.pauses.push(Pause {
            kind,
            start: t.start,
            duration: t.duration,
            cpu: t.cpu,
        });
        self.pause = self.pause.max(t.duration);
        self.stop = self.stop.max(t.stop);
    }
}

/// Stops every mutator, runs `f`, and resumes them.
pub(crate) fn pause<R>(
    heap: &HeapInner,
    f: impl FnOnce(&[Arc<MutatorShared>]) -> R,
) -> (R, Timing) {
    let start = Instant::now();
    let cpu_before = gc_uffd::thread_cpu_time();
    let mutators = heap.mutators.lock();
    // The thread running the cycle is not a running mutator: if it is one, it
    // is in native code, which the handshake does not wait for.
    heap.handshake.stop(mutators.iter().map(|m| &m.state));
    let stop = start.elapsed();
    let result = f(&mutators);
    // Read within the pause's span, so that the CPU time never exceeds it.
    let cpu_after = gc_uffd::thread_cpu_time();
    // The pause ends as the mutators are let go. Timed after the wake-up, it
    // took in the time this thread waits for a core again when a mutator it
    // woke takes its own: a scheduler tick (4 ms) in every pause of the Lisp
    // demonstration while another process held the second core.
    let duration = start.elapsed();
    let cpu = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => duration,
    };
    heap.handshake.resume();
    drop(mutators);
    (
        result,
        Timing {
            start,
            duration,
            stop,
            cpu,
        },
    )
}

/// Retires every mutator's TLAB; `black` marks the objects in it (TLABs
/// handed out since the initial mark).
pub(crate) fn retire_all(spaces: &Spaces, mutators: &[Arc<MutatorShared>], black: bool) {
    for m in mutators {
        // SAFETY: the mutator is stopped or in native code, so only this thread
        // touches its TLAB.
        retire(spaces, unsafe { &mut *m.tlab.get() }, black);
    }
}

/// Marks the roots; returns those newly marked.
fn mark_roots(
    heap: &HeapInner,
    mutators: &[Arc<MutatorShared>],
    marker: &Marker<'_>,
) -> Vec<usize> {
    let mut grey = root_values(heap, mutators);
    grey.retain(|&v| marker.mark_new(v));
    grey
}

/// The roots' references, unmarked: the initial-mark pause takes them, and
/// they are marked after it, concurrently (7,000 handles to large arrays, the
/// cache bench's: 0.63–0.70 ms of its initial-mark pause when marked in it,
/// each a header read and a mark bit at random addresses). What the roots
/// reference at the pause is the snapshot either way.
fn root_values(heap: &HeapInner, mutators: &[Arc<MutatorShared>]) -> Vec<usize> {
    let types = heap.spaces.types();
    let mut values = Vec::new();
    for_each_root(heap, mutators, &mut |slot, kind| {
        // SAFETY: root slots are valid for reads during the pause.
        let value = unsafe { slot.read() };
        if types.is_ref(kind, value) {
            values.push(value);
        }
    });
    values
}

/// Marks the references the write barrier logged; returns those newly marked.
fn drain_logged(heap: &HeapInner, marker: &Marker<'_>) -> Vec<usize> {
    let mut grey = Vec::new();
    for buffer in heap.satb.take() {
        grey.extend(buffer.into_iter().filter(|&v| marker.mark_new(v)));
    }
    grey
}

/// Takes the dirty cards logged so far: what the queue holds, and with
/// `mutators` stopped, what their buffers hold. Cards listed but clean are
/// left out: a young cycle's compaction lists every card it rewrites after
/// the pause and cleans those that no longer reference a young object (a
/// store that dirties one again lists it again).
fn take_cards(heap: &HeapInner, mutators: &[Arc<MutatorShared>], cards: &mut Vec<usize>) {
    for m in mutators {
        // SAFETY: the mutator is stopped or in native code, so only this
        // thread touches its buffer.
        unsafe { &mut *m.cards.get() }.flush(&heap.remembered);
    }
    let table = heap.spaces.cards();
    for buffer in heap.remembered.take() {
        cards.extend(
            buffer
                .into_iter()
                .filter(|&c| table.is_dirty(table.range(c).start)),
        );
    }
}

/// An empty list with room for the `logged` cards and those a buffer per
/// mutator may hold, its memory written here, before the pause that fills
/// it: grown in the initial-mark pause, the list took fresh pages there, a
/// fault each (the latency bench's full cycles, 16,000 cards: 32 faults, and
/// initial marks of up to 0.54 ms, where the cards take 0.07 ms).
#[expect(
    clippy::slow_vector_initialization,
    reason = "the zeroes are written to make the pages resident: `vec![0; n]` takes zero pages untouched"
)]
fn card_list(heap: &HeapInner, logged: usize) -> Vec<usize> {
    let room = logged + crate::satb::CAPACITY * heap.mutators.lock().len();
    let mut cards = Vec::with_capacity(room);
    cards.resize(room, 0);
    cards.clear();
    cards
}

/// Marks the young objects that old objects on `cards` reference; returns
/// those newly marked. Mutators may run: slots are read atomically, and a
/// reference overwritten before it is read here was logged by the barrier.
fn mark_cards(heap: &HeapInner, marker: &Marker<'_>, cards: &[usize]) -> Vec<usize> {
    let spaces = &heap.spaces;
    let types = spaces.types();
    let mut grey = Vec::new();
    for &card in cards {
        // SAFETY: no compaction runs during marking, and the starts bitmap is
        // the last compaction's.
        unsafe {
            spaces.for_each_card_slot(card, |slot, kind| {
                // SAFETY: a slot of a live old object; mutators store to it atomically.
                let value = std::sync::atomic::AtomicUsize::from_ptr(slot as *mut usize)
                    .load(Ordering::Relaxed);
                if kind == SlotKind::Weak {
                    marker.discover_weak(slot, value);
                } else if types.is_ref(kind, value) && marker.mark_new(value) {
                    grey.push(value);
                }
            });
        }
    }
    grey
}

fn run(heap: &Arc<HeapInner>, reason: Reason) -> Result<u64, GcError> {
    // Before anything moves: the pause may move the pages above the top out
    // to the shadow (see `ahead`).
    let _ahead = heap.ahead.hold_off();
    // Objects were lost: tracing or moving what references them would read
    // whatever the kernel left there.
    let lost = heap.stats.lock().pages_lost;
    if lost > 0 {
        return Err(GcError::PagesLost { pages: lost });
    }
    let spaces: &Spaces = &heap.spaces;
    let kind = heap.policy.lock().kind(reason, heap.remembered.logged());
    // A full cycle traces every object: old large objects lose their marks,
    // with no marking in progress (mutators mark nothing outside cycles).
    if kind == CycleKind::Full {
        spaces.clear_large_marks();
    }
    let base = match kind {
        CycleKind::Young => spaces.young_start(),
        CycleKind::Full => spaces.moving().start(),
    };
    // A full cycle leaves mapped the pages of its dense prefix whose objects
    // reference nothing that moves and were not written since marking
    // scanned them. Those are old objects, below the young start: marking
    // notes what each references on its pages, and from the initial mark to
    // the compaction pause a store to one dirties its card. Without listed
    // cards (generations off) a written page could not be told.
    let keep_line = (kind == CycleKind::Full && keeps_prefix(heap, &heap.policy.lock()))
        .then(|| spaces.young_start());
    if let Some(line) = keep_line {
        spaces.targets().clear(base..line);
    }
    let mut cycle = CycleStats {
        reason: Some(reason),
        kind,
        used_before: spaces.used(),
        ..CycleStats::default()
    };
    // Soft handles keep their objects unless memory is short: for an
    // allocation that found the heap full, or with the heap three quarters
    // full, they are weak.
    heap.references.lock().clear_soft =
        reason == Reason::Full || cycle.used_before > spaces.capacity() / 4 * 3;
    let progress = &heap.pacer.progress;
    let mut cards = card_list(heap, heap.remembered.logged());
    let mut stage = Stage::default();
    // The bitmaps marking will write, faulted in here rather than in the
    // pauses: up to the top, and the allocations of the cycle beyond it.
    let marked_end = spaces.moving().top().max(spaces.dirty_end()) + MARKING_SLACK;
    if let Err(e) = spaces.prepare_marking(base..marked_end) {
        log::debug!("movegc: the marking bitmaps were not made resident ahead: {e}");
    }

    if !heap.config.concurrent_mark {
        let (result, timing) = pause(heap, |mutators| {
            let marker = begin_marking(heap, mutators, progress, base, keep_line)?;
            let black = marker.black();
            let t = Instant::now();
            let mut grey = mark_roots(heap, mutators, &marker);
            take_cards(heap, mutators, &mut cards);
            if kind == CycleKind::Young {
                grey.extend(mark_cards(heap, &marker, &cards));
            }
            let pool = heap.pool.get();
            cycle.objects_marked = marker.trace(pool.as_deref(), grey);
            let mut stage = Stage::default();
            loop {
                let grey = heap.references.process(
                    &marker,
                    pool.as_deref(),
                    &mut stage,
                    &mut cycle.references,
                );
                if grey.is_empty() {
                    break;
                }
                cycle.objects_marked += marker.trace(pool.as_deref(), grey);
            }
            cycle.mark = t.elapsed();
            let t = Instant::now();
            cycle.large_freed = spaces.large().sweep(|obj| spaces.is_marked(obj)).0;
            hold_pins(heap, base, black, black, &mut cycle);
            let plan = plan_unread(heap, base, black, &mut cycle);
            let clean = keep_line.map(|line| clean_run(spaces, &plan, line));
            if kind == CycleKind::Full {
                spaces.clear_starts(starts_kept(spaces, &plan, clean)..black);
            }
            plan_relinks(heap, kind);
            cycle.plan = t.elapsed();
            let mut early = Early {
                clean,
                ..Early::default()
            };
            compaction_pause_work(
                heap, mutators, &plan, reason, &mut cycle, &mut cards, &mut early,
            )
        });
        cycle.record_pause(PauseKind::Full, timing);
        return finish(heap, cycle, result?);
    }

    // Initial mark. A young cycle first traces from the roots and the dirty
    // cards in this pause, within a budget: with few survivors (the common
    // case) it finds them all, and plans and compacts here too, in one pause,
    // with nothing allocated meanwhile to promote. Otherwise, from here on the
    // write barrier logs overwritten references, and every object allocated
    // is live this cycle.
    let (result, timing) = pause(heap, |mutators| {
        let marker = begin_marking(heap, mutators, progress, base, keep_line)?;
        take_cards(heap, mutators, &mut cards);
        let mut grey = root_values(heap, mutators);
        // The cards' young objects are traced here only when they are few
        // enough to fit the pause's budget; otherwise concurrently.
        let (settings, try_it) = {
            let policy = heap.policy.lock();
            (policy.policy, policy.trace_young_in_pause())
        };
        let budget = settings.young_pause_objects;
        let in_pause = kind == CycleKind::Young && try_it && cards.len() * 64 <= budget;
        if in_pause {
            grey.retain(|&v| marker.mark_new(v));
            grey.extend(mark_cards(heap, &marker, &cards));
            let t = Instant::now();
            let (scanned, finished) = trace_in_pause(
                heap,
                &marker,
                &mut grey,
                budget,
                &mut stage,
                &mut cycle.references,
            );
            cycle.objects_marked = scanned;
            cycle.mark = t.elapsed();
            // Survivors too many to slide here are compacted concurrently,
            // after a pause of their own: starting that compaction in this
            // one, after the trace, made the Lisp demonstration's single
            // pauses 0.32–0.54 ms. Planning writes only the plan's tables,
            // which the cycle plans again.
            if finished && {
                let survivors = spaces.plan(base, marker.black());
                slides_in_pause(&settings, &survivors) || finds_little_dead(reason, &survivors)
            } {
                let t = Instant::now();
                cycle.large_freed = spaces.large().sweep(|obj| spaces.is_marked(obj)).0;
                let black = marker.black();
                hold_pins(heap, base, black, black, &mut cycle);
                let plan = plan_unread(heap, base, black, &mut cycle);
                plan_relinks(heap, kind);
                cycle.plan = t.elapsed();
                let mut early = Early::default();
                let done = compaction_pause_work(
                    heap, mutators, &plan, reason, &mut cycle, &mut cards, &mut early,
                );
                return Ok(Start::Done(done));
            }
        }
        let used = spaces.used();
        heap.pacer.begin(
            used,
            spaces.capacity(),
            heap.live_after.load(Ordering::Relaxed),
        );
        if let Some(limit) = heap.policy.lock().soft_marking_limit(kind, used) {
            heap.pacer.soften(limit);
        }
        heap.black_alloc.store(true, Ordering::Relaxed);
        heap.pre_write.set(PreWrite::SATB, true);
        heap.pre_write
            .set(PreWrite::OLD_STORES, keep_line.is_some());
        Ok::<_, GcError>(Start::Marking(marker, grey, in_pause))
    });
    let (marker, grey, traced_in_pause) = match result? {
        Start::Done(done) => {
            cycle.record_pause(PauseKind::Full, timing);
            return finish(heap, cycle, done?);
        }
        Start::Marking(marker, grey, traced_in_pause) => {
            cycle.record_pause(PauseKind::InitialMark, timing);
            (marker, grey, traced_in_pause)
        }
    };

    let t = Instant::now();
    let mut grey = grey;
    if !traced_in_pause {
        grey.retain(|&v| marker.mark_new(v));
        if kind == CycleKind::Young {
            grey.extend(mark_cards(heap, &marker, &cards));
        }
    }
    mark_concurrently(heap, &marker, grey, &mut stage, &mut cycle);
    cycle.mark = t.elapsed();

    let t = Instant::now();
    cycle.large_freed = spaces.large().sweep(|obj| spaces.is_marked(obj)).0;
    let black = marker.black();
    // The compaction records the starts of the objects it places anew.
    // Nothing reads those from the base up before it (cards are read below
    // the young start only), so they are cleared here, not in its pause
    // (0.07–0.23 ms of the latency bench's young compaction pauses).
    let held = hold_pins(heap, base, black, black, &mut cycle);
    let plan = plan_unread(heap, base, black, &mut cycle);
    let clean = keep_line.map(|line| clean_run(spaces, &plan, line));
    let starts = match kind {
        // The pages the compaction may leave mapped keep theirs.
        CycleKind::Full => starts_kept(spaces, &plan, clean)..black,
        // The last cycle recorded none above its new top, nor did the cycles
        // before above theirs, which the last cleared.
        CycleKind::Young => {
            base..heap
                .first_survivors_end
                .load(Ordering::Relaxed)
                .clamp(base, black)
        }
    };
    spaces.clear_starts(starts);
    plan_relinks(heap, kind);
    let compacts_concurrently = heap.concurrent.is_some() && !finds_little_dead(reason, &plan);
    let early = Early {
        live: (heap.concurrent.is_some()).then(|| concurrent::LivePages::scan(&plan)),
        starts_cleared: true,
        clean,
        cards_seen: cards.len(),
        lowest_card: clean.and_then(|_| cards.iter().copied().min()),
        memo: if compacts_concurrently && kind == CycleKind::Full {
            // SAFETY: marking and planning are complete; no compaction runs.
            unsafe {
                concurrent::Memo::make(spaces, &plan, spaces.capacity() / MEMO_SHARE, || {
                    spaces.capacity().saturating_sub(spaces.used()) > spaces.capacity() / MEMO_ROOM
                })
            }
        } else {
            concurrent::Memo::default()
        },
    };
    #[cfg(feature = "fault-injection")]
    if let Some(delay) = heap.config.pause_delay
        && compacts_concurrently
        && kind == CycleKind::Full
    {
        std::thread::sleep(delay);
    }
    let parts = plan.parts();
    cycle.plan = t.elapsed();

    let (result, timing) = pause(heap, |mutators| {
        retire_all(spaces, mutators, true);
        take_cards(heap, mutators, &mut cards);
        heap.black_alloc.store(false, Ordering::Relaxed);
        let top = spaces.moving().top();
        cycle.allocated_black = top - black;
        let (plan, mut early) = if heap.pins.version() == held.version && !held.deferred {
            // SAFETY: nothing was marked or planned since `parts` was taken, and
            // every object from the black line up is marked: when its TLAB was
            // retired (just now, for those still in use), or when it was claimed.
            (unsafe { spaces.plan_from(parts).with_top(top) }, early)
        } else {
            // An object was pinned since, or above the black line: plan again,
            // holding it (which makes more pages live).
            hold_pins(heap, base, black, top, &mut cycle);
            let early = Early {
                live: None,
                memo: concurrent::Memo::default(),
                clean: None,
                ..early
            };
            let plan = plan_unread(heap, base, black, &mut cycle);
            // SAFETY: as above, every object from the black line up is marked.
            (unsafe { plan.with_top(top) }, early)
        };
        compaction_pause_work(
            heap, mutators, &plan, reason, &mut cycle, &mut cards, &mut early,
        )
    });
    cycle.record_pause(PauseKind::Compaction, timing);
    finish(heap, cycle, result?)
}

/// The plan of the moving space from `base` to `black`, marking complete
/// (and no compaction running): where reference-free objects have pages of
/// their own ([`HeapBuilder::unread_min`](crate::HeapBuilder::unread_min)),
/// first keeps dead words below them as fillers so that each moves a whole
/// number of pages ([`Spaces::pad_unread`](gc_heap::Spaces::pad_unread)),
/// plans again if it kept any, and sets the pages the compaction moves
/// unread.
fn plan_unread<'a>(
    heap: &'a HeapInner,
    base: usize,
    black: usize,
    cycle: &mut CycleStats,
) -> Plan<'a> {
    let spaces = &heap.spaces;
    let plan = spaces.plan(base, black);
    if spaces.unread_min() == usize::MAX {
        return plan;
    }
    let cut = heap.first_survivors_end.load(Ordering::Relaxed);
    // SAFETY: marking is complete, so the dead words below the black line
    // are unreachable.
    let padding = unsafe { spaces.pad_unread(&plan, cut) };
    let plan = if padding.padded > 0 {
        spaces.plan(base, black)
    } else {
        plan
    };
    // SAFETY: the last cycle's compaction is over: no plan reads the table.
    cycle.unread_pages = unsafe { spaces.set_unread(&plan, &padding.objects) };
    cycle.unread_padding = padding.padded;
    cycle.unread_short = padding.short;
    plan.unreading()
}

/// Plans the large objects a full cycle moves, when the large space is
/// fragmented (see [`RELINK_HOLES`]) or refused an allocation for want of a
/// contiguous run since the last plan, and this heap can relink pages: from
/// the highest block down, each unpinned one into the lowest hole below it
/// that fits ([`allocator::LargeObjects::plan_relinks`]), reserved at once.
/// Any other cycle moves none. The compaction pause then confirms or cancels
/// them ([`confirm_relinks`]). After marking and the sweep, before the pause.
fn plan_relinks(heap: &HeapInner, kind: CycleKind) {
    let spaces = &heap.spaces;
    let large = spaces.large();
    let frag = large.fragmentation();
    let fragmented = frag.refused > 0
        || (frag.holes >= RELINK_MIN_HOLES && frag.holes >= frag.span / RELINK_HOLES);
    let relinks = if kind == CycleKind::Full
        && heap.config.relink_large
        && fragmented
        && (heap.concurrent.as_ref().is_some_and(|c| c.can_relink())
            || heap.relinker.as_ref().is_some_and(|r| r.usable()))
    {
        let pinned = heap.pins.snapshot().0;
        large.plan_relinks(
            |start, _| pinned.binary_search(&start).is_err(),
            MAX_RELINKS,
        )
    } else {
        Vec::new()
    };
    // SAFETY: the last cycle's compaction is over, and this cycle's plans
    // forward through the table only from the pause on (`Plan::relinking`).
    unsafe { spaces.set_relinks(relinks) };
}

/// In the compaction pause: keeps the planned moves of large objects if the
/// cycle compacts (`moves`) and cancels the others (all of them otherwise,
/// and those of objects pinned since the plan; their destinations stay set
/// aside until the compaction ends). Returns `plan` forwarding the moves kept.
fn confirm_relinks<'a>(heap: &'a HeapInner, plan: Plan<'a>, moves: bool) -> Plan<'a> {
    let spaces = &heap.spaces;
    let planned = spaces.relinks();
    if planned.is_empty() {
        return plan;
    }
    let pinned = heap.pins.snapshot().0;
    let (kept, cancelled): (Vec<_>, Vec<_>) = planned
        .iter()
        .partition(|r| moves && pinned.binary_search(&r.from).is_err());
    for r in &cancelled {
        spaces.large().cancel(r);
    }
    if kept.is_empty() {
        spaces.large().end_relinks();
    }
    if !cancelled.is_empty() {
        // SAFETY: no plan forwards through the table yet: `relinking` comes below.
        unsafe { spaces.set_relinks(kept) };
    }
    plan.relinking()
}

/// In the compaction pause, when no concurrent compaction moves the large
/// objects `plan` relinks (stop-the-world, or one that could not start),
/// after their slots were rewritten at their old addresses: moves their
/// pages (stop-the-world, [`Relinker`](crate::relink::Relinker)) or copies
/// their bytes (a concurrent mode's fallback: swapped-out pages are read),
/// then frees their old pages.
fn relink_in_pause(heap: &HeapInner, plan: &Plan<'_>, cycle: &mut CycleStats) {
    let spaces = &heap.spaces;
    let relinks = plan.relinks();
    match &heap.relinker {
        Some(relinker) => {
            // SAFETY: every mutator is stopped; the references were forwarded,
            // and each destination is the hole reserved for its block.
            match unsafe { relinker.relink(relinks) } {
                Ok(done) => {
                    cycle.large_pages_relinked = done.pages;
                    cycle.large_pages_copied = done.copied;
                }
                Err(e) => log::error!("movegc: relinking large objects: {e}"),
            }
        }
        None => {
            for r in relinks {
                // SAFETY: every mutator is stopped; the source is a live block,
                // the destination a hole reserved for it, and the two do not
                // overlap.
                unsafe {
                    std::ptr::copy_nonoverlapping(r.from as *const u8, r.to as *mut u8, r.size)
                };
                cycle.large_pages_copied += r.destination().len() / gc_uffd::page_size();
            }
        }
    }
    for r in relinks {
        spaces.large().free_source(r);
    }
    spaces.large().end_relinks();
}

/// The table's half of the moves confirmed in the compaction pause: the
/// large-object table takes the new starts, and the marks move with them
/// (a young cycle takes old large objects live by their marks). In the
/// pause, or (a concurrent compaction) right after it, on the cycle's
/// thread: no one else reads the table by address, or sets a large
/// object's mark, until the next cycle.
fn relink_table(spaces: &Spaces) {
    for r in spaces.relinks() {
        spaces.large().relink(r);
        spaces.move_large_mark(r);
    }
}

/// What [`hold_pins`] did: the pins' version it saw, and whether it left
/// pins allocated since the black line for the compaction pause.
struct Held {
    version: u64,
    deferred: bool,
}

/// Before planning, marking complete, with every object below `limit` marked
/// (the black line while mutators run, the top in a pause): makes every
/// dead word from `base` to the end of the highest pinned object's pages
/// live ([`Spaces::pinned_pages`], [`Spaces::fill_dead`]), so that the plan
/// moves nothing there (see [`crate::pin`]). Pins at or above `limit` are
/// left for the pause.
fn hold_pins(
    heap: &HeapInner,
    base: usize,
    black: usize,
    limit: usize,
    cycle: &mut CycleStats,
) -> Held {
    let spaces = &heap.spaces;
    let (pinned, version) = heap.pins.snapshot();
    cycle.pinned = pinned.len();
    let mut held = Held {
        version,
        deferred: false,
    };
    let mut end = base;
    for addr in pinned.into_iter().filter(|&a| spaces.in_moving(a)) {
        if addr >= limit {
            held.deferred = true;
        } else {
            // SAFETY: a pinned object is marked (a root), and so is every
            // object below `limit`.
            end = end.max(unsafe { spaces.pinned_pages(addr, base, limit) }.end);
        }
    }
    if end > base {
        // A young cycle's young start becomes the last one's survivors' end,
        // or the new top: no filler may cross it.
        let cut = heap.first_survivors_end.load(Ordering::Relaxed);
        // SAFETY: marking is complete. Past the black line everything is
        // live already; it does not slide if nothing below it is reclaimed.
        cycle.pinned_dead_bytes += unsafe { spaces.fill_dead(base..end.min(black), cut) };
    }
    held
}

/// The pages of the pinned objects that a concurrent compaction from `plan`'s
/// base page up must leave mapped (a system call may be using them), merged,
/// in address order. In the compaction pause, with every object up to the
/// top marked.
fn pinned_pages(heap: &HeapInner, plan: &Plan<'_>) -> Vec<Range<usize>> {
    let spaces = &heap.spaces;
    let mut pages: Vec<Range<usize>> = heap
        .pins
        .snapshot()
        .0
        .into_iter()
        .filter(|&addr| spaces.in_moving(addr))
        // SAFETY: in the pause: every object up to the top is marked.
        .map(|addr| unsafe { spaces.pinned_pages(addr, plan.base(), plan.old_top()) })
        .map(|r| r.start.max(plan.base_page())..r.end)
        .filter(|r| !r.is_empty())
        .filter(|r| {
            // `hold_pins` made them dense: left mapped, they are rewritten in
            // place, which is only right where nothing moves.
            let dense = r.end <= plan.dense_end().next_multiple_of(gc_uffd::page_size());
            if !dense {
                log::error!("movegc: pinned pages {r:x?} lie above the dense prefix; remapped");
            }
            dense
        })
        .collect();
    pages.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(pages.len());
    for r in pages {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// The start of every cycle, in its first pause: retire the TLABs, verify if
/// asked, and note the black line (the top, with every mutator stopped).
/// Marking covers the moving space from `base` up.
fn begin_marking<'a>(
    heap: &'a HeapInner,
    mutators: &[Arc<MutatorShared>],
    progress: &'a crate::sync::AtomicUsize,
    base: usize,
    keep_line: Option<usize>,
) -> Result<Marker<'a>, GcError> {
    let spaces = &heap.spaces;
    retire_all(spaces, mutators, false);
    if heap.config.verify
        && let Err(e) = verify(heap, mutators)
    {
        // What the heap went through last: the corruption is likely its.
        let stats = heap.stats.lock();
        if let Some(last) = &stats.last {
            log::error!("movegc: the heap verifier failed after {last}");
        }
        if let Some(compaction) = &stats.last_compaction {
            log::error!("movegc: the last compaction: {compaction}");
        }
        return Err(e);
    }
    Ok(Marker::new(spaces, base, spaces.moving().top(), progress)
        .noting_targets_below(keep_line.unwrap_or(0))
        .sharing_with(&heap.mark_help))
}

/// Whether a full cycle may leave its dense prefix's clean pages mapped: the
/// mutators list every card they dirty (asked again in the compaction
/// pause: generations may have been turned off meanwhile).
fn keeps_prefix(heap: &HeapInner, governor: &Governor) -> bool {
    governor.policy.generational && !governor.unlisted && heap.list_cards.load(Ordering::Relaxed)
}

/// How far from `plan`'s base the pages reach whose objects, all live and
/// below the young start `line` (marking noted what they referenced),
/// reference nothing that moves.
fn clean_run(spaces: &Spaces, plan: &Plan<'_>, line: usize) -> CleanRun {
    let page = gc_uffd::page_size();
    let limit = plan.dense_end().min(line) / page * page;
    spaces.targets().clean_run(
        plan.base_page(),
        limit.max(plan.base_page()),
        plan.dense_end(),
    )
}

/// Where the starts must be cleared from for the compaction to record them
/// anew: the object crossing the end of the `clean` run, if any, whose
/// pages keep theirs (and what is below it, if left mapped, stays as it is).
fn starts_kept(spaces: &Spaces, plan: &Plan<'_>, clean: Option<CleanRun>) -> usize {
    clean
        .filter(|c| c.end > plan.base_page())
        .and_then(|c| spaces.starts().prev_set(c.end, plan.base()))
        .unwrap_or(plan.base())
}

/// The object from which `plan` (a full cycle's, not in place) must build:
/// the one crossing the end of the `clean` run, or of the pages below the
/// first with a listed card (`first_card`, its address: written since
/// marking scanned it, or holding a reference to a young object), if that
/// leaves any page mapped. Objects
/// below it are old, live, reference nothing that moves (large objects
/// included when the plan moves any), and their starts are recorded.
fn keep_clean_prefix(
    spaces: &Spaces,
    plan: &Plan<'_>,
    clean: CleanRun,
    first_card: Option<usize>,
) -> Option<usize> {
    let page = gc_uffd::page_size();
    let end = if plan.relinks().is_empty() {
        clean.end
    } else {
        clean.end_without_large
    };
    let end = first_card.map_or(end, |at| end.min(at / page * page));
    if end <= plan.base_page() {
        return None;
    }
    let from = spaces.starts().prev_set(end, plan.base())?;
    (from / page * page > plan.base_page()).then_some(from)
}

/// Traces concurrently, draining the write barrier's buffers, until a
/// final-mark pause finds nothing left (or little enough to trace in it).
fn mark_concurrently(
    heap: &HeapInner,
    marker: &Marker<'_>,
    mut grey: Vec<usize>,
    stage: &mut Stage,
    cycle: &mut CycleStats,
) {
    let pool = heap.concurrent_pool.get();
    let pool = pool.as_deref();
    // Paced mutators help a marking on one thread between the pauses
    // (mark_help.rs); with more, they sleep in the pacer as before instead of
    // asking every 20 µs for work no one shares.
    let sharing = marker.shares_on(pool);
    let mut attempts = 0;
    loop {
        if sharing {
            heap.mark_help.open(marker.lines());
        }
        loop {
            cycle.objects_marked += marker.trace(pool, std::mem::take(&mut grey));
            grey = drain_logged(heap, marker);
            if grey.is_empty() {
                break;
            }
        }
        let helped = heap.mark_help.close();
        cycle.objects_marked += helped;
        cycle.marked_by_mutators += helped;
        attempts += 1;
        let budget = if attempts >= FINAL_MARK_ATTEMPTS {
            usize::MAX
        } else {
            FINAL_MARK_BUDGET
        };
        let (finished, timing) = pause(heap, |mutators| {
            for m in mutators {
                // SAFETY: the mutator is stopped or in native code, so only this
                // thread touches its buffer.
                unsafe { &mut *m.satb.get() }.flush(&heap.satb);
            }
            grey.extend(drain_logged(heap, marker));
            grey.extend(mark_roots(heap, mutators, marker));
            let (scanned, finished) = trace_in_pause(
                heap,
                marker,
                &mut grey,
                budget,
                stage,
                &mut cycle.references,
            );
            cycle.objects_marked += scanned;
            if finished {
                heap.pre_write.set(PreWrite::SATB, false);
                heap.pacer.end();
            }
            finished
        });
        cycle.record_pause(PauseKind::FinalMark, timing);
        if finished {
            break;
        }
    }
    cycle.satb_entries = heap.satb.take_logged();
}

/// Bytes of objects a young cycle's first pause may scan for each object of
/// its budget (`Policy::young_pause_objects`): an array of
/// references costs its slots, not one object. The latency bench's roots,
/// 1,000 arrays of 1,000 slots each, made 4,000 objects a pause of
/// 1.0–1.3 ms; an object of the Lisp demonstration takes 16–48 bytes.
const PAUSE_BYTES_PER_OBJECT: usize = 64;

/// Traces from `grey` in a pause, scanning at most `budget` objects and
/// [`PAUSE_BYTES_PER_OBJECT`] bytes for each, and processes the weak
/// references each time tracing runs out of grey objects; returns how many
/// objects it scanned and whether marking, reference processing included,
/// is over. If not, `grey` holds what is left to trace and `stage` where
/// processing stands.
fn trace_in_pause(
    heap: &HeapInner,
    marker: &Marker<'_>,
    grey: &mut Vec<usize>,
    budget: usize,
    stage: &mut Stage,
    stats: &mut ReferenceStats,
) -> (usize, bool) {
    let pool = heap.pool.get();
    let max_bytes = budget.saturating_mul(PAUSE_BYTES_PER_OBJECT);
    let (mut scanned, mut bytes) = (0, 0);
    loop {
        let (n, b, finished) =
            marker.trace_bounded(grey, budget - scanned, max_bytes.saturating_sub(bytes));
        scanned += n;
        bytes += b;
        if !finished {
            return (scanned, false);
        }
        *grey = heap
            .references
            .process(marker, pool.as_deref(), stage, stats);
        if grey.is_empty() {
            return (scanned, true);
        }
    }
}

/// After the compaction pause: wake allocations waiting for memory, number
/// and record the cycle, run its concurrent compaction (which records its
/// own statistics), and clear the bitmaps.
fn finish(heap: &HeapInner, mut cycle: CycleStats, started: Started) -> Result<u64, GcError> {
    let Started {
        compaction,
        settle,
        marked,
        black,
        promoted,
        release,
        hot,
    } = started;
    let resumed = Instant::now();
    // Tables too large to rewrite in the pause, before anything else: the
    // marking's bits that their forwarding reads stay until `clear_marks`.
    if let Some(done) = heap.references.take_deferred(&heap.spaces) {
        cycle.references.rewriting += done.took;
        if let Some((kept, forgotten)) = done.hashes {
            cycle.references.hashed += kept;
            cycle.references.hashes_dropped += forgotten;
        }
    }
    if compaction.is_some() {
        relink_table(&heap.spaces);
    }
    // Before allocations waiting for memory are woken: claims stop below
    // these pages until they are given back.
    if let Some(release) = release {
        heap.spaces.release(release);
        heap.ahead.after_release();
    }
    heap.cycle.bump();
    cycle.index = heap.collections.fetch_add(1, Ordering::AcqRel) + 1;
    let index = cycle.index;
    log::info!("{cycle}");
    // What the cycle took from the mutators: its pauses, and their time in
    // its compaction's fault handler.
    let mut cost: Duration = cycle.pauses.iter().map(|p| p.duration).sum();
    heap.stats.lock().record(cycle);
    if let Some(parts) = settle {
        // SAFETY: the marking's bits stay intact until `clear_marks` below, and
        // the next cycle waits for this one; mutators allocate above the old top.
        unsafe {
            let plan = heap.spaces.plan_from(parts);
            heap.spaces.settle_in_place(&plan);
        }
        log_promoted_cards(heap, promoted.clone());
    }
    if let Some(compaction) = compaction {
        cost += compaction.clone().run(index, resumed, hot);
        heap.pacer.end();
        log_promoted_cards(heap, promoted);
        for o in compaction.large().objects() {
            log_promoted_cards(heap, o.to..o.to + o.size);
        }
    }
    heap.spaces.clear_marks(marked, black);
    // The cycle's whole cost is known now: the next trigger follows it.
    let allocated = heap.allocated.load(Ordering::Relaxed);
    let mut policy = heap.policy.lock();
    let before = policy.sizing().budget;
    let trigger = policy.cycle_done(cost, allocated);
    let sizing = policy.sizing();
    drop(policy);
    heap.trigger.store(trigger, Ordering::Relaxed);
    let message = format_args!(
        "movegc: gc #{index}: the next cycle after {:.1} MiB allocated (mutators allocating \
         {:.0} MiB/s, cycles taking {:.2} ms from them)",
        sizing.budget as f64 / (1 << 20) as f64,
        sizing.allocation_rate / (1 << 20) as f64,
        sizing.cycle_cost.as_secs_f64() * 1e3,
    );
    if sizing.budget.abs_diff(before) > before / 4 {
        log::info!("{message}");
    } else {
        log::debug!("{message}");
    }
    Ok(index)
}

/// The compaction pause's work: rewrite the roots, the large objects'
/// references (a young cycle: the young large objects', and the old objects'
/// on dirty `cards`), then start the concurrent compaction or slide in place.
///
/// Promotion: a cycle, young or full, makes old the survivors of an earlier
/// cycle (below the last cycle's new top) and keeps young those surviving
/// their first, and those allocated while it ran, so that what dies soon
/// after one cycle dies young (promoted, it would fill the old generation
/// until the next full cycle). A full cycle the VM asked for (or run for an
/// allocation that found the heap full, or with generations off) makes
/// every object it found old. Old slots that reference young
/// objects afterwards keep (or get) dirty cards: the listed cards that still
/// do, the young large objects' slots, and the slots of promoted objects,
/// whose cards the page builder dirties and [`finish`] logs.
fn compaction_pause_work(
    heap: &Arc<HeapInner>,
    mutators: &[Arc<MutatorShared>],
    plan: &Plan<'_>,
    reason: Reason,
    cycle: &mut CycleStats,
    cards: &mut Vec<usize>,
    early: &mut Early,
) -> CompactionStarted {
    let spaces = &heap.spaces;
    let types = spaces.types();
    let t = Instant::now();
    heap.pre_write.set(PreWrite::OLD_STORES, false);
    // Only large objects with slots are read and rewritten: the others move
    // unread, if at all.
    let candidates = spaces.large().with_slots(cycle.kind == CycleKind::Young);
    // A cycle that found next to nothing dead (a program building its data)
    // moves nothing: compacting would remap, rebuild and move back (or slide)
    // every page to free a few words. Its dead words are filled, after the
    // pause in the concurrent modes, and a later cycle frees them. Its large
    // objects are rewritten in the pause, so it must have few. Requested
    // cycles and those run for an allocation that found the heap full
    // compact as ever.
    let in_place = finds_little_dead(reason, plan)
        && candidates.iter().map(|&(_, size)| size).sum::<usize>() <= IN_PLACE_LARGE;
    let dead = plan.dead_bytes();
    let plan = if in_place { plan.in_place() } else { *plan };
    let plan = confirm_relinks(heap, plan, !in_place && cycle.kind == CycleKind::Full);
    let planned_from = plan.base();
    let plan = &plan;
    let first_survivors_end = heap.first_survivors_end.load(Ordering::Relaxed);
    let settings = heap.policy.lock().policy;
    let young_end = match cycle.kind {
        // With nothing allocated since the last cycle, every survivor had
        // survived it.
        CycleKind::Young if first_survivors_end >= plan.old_top() => plan.new_top(),
        CycleKind::Young => plan.forward(first_survivors_end),
        // A full cycle the policy ran ages objects as a young one does:
        // what it found allocated since the last cycle stays young. A
        // structure built and dropped while it marked (binary-trees 21's
        // 200 MiB stretch tree, in the snapshot, dead by the cycle's end)
        // then dies in the next young cycle instead of filling the old
        // generation, and swelling the young budget that follows the data in
        // use, until the next full one. One the VM asked for, or an
        // allocation that found the heap full, leaves every survivor old.
        CycleKind::Full
            if settings.generational
                && reason == Reason::Budget
                && first_survivors_end < plan.old_top() =>
        {
            plan.forward(first_survivors_end)
        }
        CycleKind::Full => plan.marked_top(),
    };
    let plan = &plan.promoting_to(young_end);
    let large_start = spaces.large().range().start;
    let young_after =
        |kind, value: usize| value >= young_end && value < large_start && types.is_ref(kind, value);
    for_each_root(heap, mutators, &mut |slot, kind| {
        // SAFETY: root slots are valid for reads and writes during the pause.
        unsafe { plan.rewrite_slot(slot, kind) };
    });
    heap.references
        .rewrite(plan, heap.pool.get().as_deref(), &mut cycle.references);
    let mut kept = Vec::new();
    // A young cycle whose survivors are few slides them in this pause, as
    // HotSpot's young collections copy theirs: cheaper than remapping the
    // young range, and the pages above stay resident for the allocations to
    // come. The pause grows with the bytes moved, which this bounds.
    let slide = cycle.kind == CycleKind::Young && !in_place && slides_in_pause(&settings, plan);
    // The remembered set's cards in the old part of the moving space, when
    // a concurrent compaction follows: their pages join it, and it rewrites
    // them after the pause (`concurrent::OldPages`).
    let mut old_cards = Vec::new();
    let defer_old = heap.concurrent.is_some() && !slide && !in_place;
    let mut candidates = candidates;
    let mut kept_base = None;
    match cycle.kind {
        CycleKind::Young => {
            drop_young_large_cards(spaces, &candidates, cards);
            // A card listed twice must be rewritten once: a rewritten
            // reference may still lie in the range that moves.
            cards.sort_unstable();
            cards.dedup();
            cycle.remembered_cards = cards.len();
            if defer_old {
                let table = spaces.cards();
                let old_end = plan.base_page();
                let (later, now): (Vec<usize>, Vec<usize>) =
                    cards.iter().partition(|&&c| table.range(c).end <= old_end);
                old_cards = later;
                *cards = now;
                let old_large = old_large_objects(spaces, cards);
                if !old_large.is_empty() {
                    candidates.extend(old_large);
                    candidates.sort_unstable();
                }
            }
            kept.extend(rewrite_remembered(spaces, plan, cards, &young_after));
        }
        // Nothing to rewrite: cleaning needs no order, and a full cycle's list
        // is long (every card the mutators dirtied since the last cycle; the
        // latency bench's 16,000 took 0.45 ms to sort, of a 1 ms pause).
        CycleKind::Full => {
            let mut policy = heap.policy.lock();
            if policy.unlisted && policy.policy.generational {
                cycle.remembered_cards = cards.len();
                match spaces.cards().clean_all() {
                    Ok(()) => policy.unlisted = false,
                    Err(e) => log::warn!("movegc: the card table was not cleaned: {e}"),
                }
            } else {
                let table = spaces.cards();
                // Every dirty card is listed, once listing has started: past
                // a few per page of the table, returning the table's memory
                // costs less than a store per card (`compaction --stable`'s
                // 240,000 cards: 0.14–0.30 ms of a 0.4 ms pause).
                let all = !policy.unlisted
                    && cards.len() >= table.pages() * CLEAN_ALL_PER_PAGE
                    && table
                        .clean_all()
                        .inspect_err(|e| log::warn!("movegc: the card table was not cleaned: {e}"))
                        .is_ok();
                cycle.remembered_cards = if all {
                    cards.len()
                } else {
                    cards.iter().filter(|&&card| table.clean(card)).count()
                };
                // The lowest listed card ends the pages left mapped (cards
                // are numbered in address order); those listed before the
                // pause were looked at before it.
                let first_card = cards
                    .get(early.cards_seen..)
                    .unwrap_or_default()
                    .iter()
                    .copied()
                    .chain(early.lowest_card)
                    .min()
                    .map(|card| table.range(card).start);
                if let Some(clean) = early.clean.filter(|_| !in_place)
                    && keeps_prefix(heap, &policy)
                    && let Some(from) = keep_clean_prefix(spaces, plan, clean, first_card)
                {
                    kept_base = Some(from);
                }
            }
        }
    }
    let plan = &match kept_base {
        Some(from) => plan.keeping(from),
        None => *plan,
    };
    // What the mutators wrote since the last cycle they will likely touch
    // again: a full cycle's concurrent compaction builds those pages first.
    let hot = match cycle.kind {
        CycleKind::Full => std::mem::take(cards),
        CycleKind::Young => Vec::new(),
    };
    cards.clear();
    let rewrite_in_pause = |objects: &[(usize, usize)], kept: &mut Vec<usize>| {
        for &(obj, _) in objects {
            // SAFETY: a live large object's header.
            let header = gc_heap::Header(unsafe { (obj as *const u64).read() });
            types.for_each_slot(header, |offset, kind| {
                let slot = obj + offset;
                // SAFETY: the slot lies inside the live large object.
                if young_after(kind, unsafe { plan.rewrite_slot(slot as *mut usize, kind) })
                    && let Some(card) = spaces.cards().dirty(plan.forward(slot))
                {
                    kept.push(card);
                }
            });
        }
    };
    // A concurrent compaction rewrites the large objects in clusters big
    // enough to pay for their system calls after the pause.
    let mut deferred = None;
    if heap.concurrent.is_some() && !slide && !in_place {
        // SAFETY: every mutator is stopped and no compaction is in progress.
        match unsafe { concurrent::choose_large(spaces, &candidates, plan.relinks()) } {
            Ok((chosen, in_pause)) => {
                rewrite_in_pause(&in_pause, &mut kept);
                deferred = Some(chosen);
            }
            Err(e) => {
                log::warn!("movegc: large objects rewritten in the pause: {e}");
                rewrite_in_pause(&candidates, &mut kept);
            }
        }
    } else {
        rewrite_in_pause(&candidates, &mut kept);
    }
    // Large objects are old after one cycle.
    spaces.large().promote();
    heap.remembered.take_logged();
    heap.remembered.push(kept);
    if cycle.kind == CycleKind::Young && !early.starts_cleared {
        // The page builder records the starts of the objects it places. The
        // last cycle's recorded none above its new top, nor did the cycles
        // before above theirs, which the last cleared.
        let recorded_end = first_survivors_end.clamp(plan.base(), plan.old_top());
        spaces.clear_starts(plan.base()..recorded_end);
    }
    spaces.set_young_start(young_end);
    heap.first_survivors_end
        .store(plan.new_top(), Ordering::Relaxed);
    let page = gc_uffd::page_size();
    cycle.promoted_bytes = young_end - planned_from;
    cycle.pages_in_place = (plan.base_page() - spaces.moving().start()) / page;
    cycle.pages_compacted = (plan.new_top() - plan.base_page()).div_ceil(page);
    cycle.live_bytes = plan.live_bytes() + spaces.large().bytes();
    cycle.used_after = plan.live_bytes() + spaces.large().committed();
    let (trigger, keep_resident) = {
        let mut policy = heap.policy.lock();
        let trigger = policy.cycle_ended(
            cycle.kind,
            spaces.capacity(),
            cycle.used_after,
            cycle.allocated_black,
            cycle.used_before + cycle.allocated_black,
        );
        if cycle.kind == CycleKind::Young {
            policy.young_traced = cycle.objects_marked;
        }
        (trigger, policy.kept())
    };
    // Keep resident the pages the next cycle's allocations will use, and give
    // the rest back; a requested collection gives back everything but the
    // window the allocation-ahead thread makes resident again at once (in
    // Copy mode, remapping those pages out took 54–90 µs of the `cache`
    // bench's compaction pauses, and the thread faulted them in after).
    let keep = match reason {
        Reason::Requested => heap.ahead.window(),
        Reason::Budget | Reason::Full | Reason::RequestedYoung => keep_resident,
    };
    let old = match old_pages(heap, plan, &old_cards) {
        Ok(Some(old)) => Some(old),
        other => {
            if let Err(e) = other {
                log::warn!("movegc: the remembered set rewritten in the pause: {e}");
            }
            heap.remembered
                .push(rewrite_remembered(spaces, plan, &old_cards, &young_after));
            old_cards.clear();
            concurrent::OldPages::none().ok()
        }
    };
    let compaction = match (deferred, old) {
        (Some(large), Some(old)) => {
            // Those rewritten in the pause already are not rewritten again.
            let objects: Vec<(usize, usize)> = large
                .objects()
                .iter()
                .filter(|o| o.rewritten.is_some())
                .map(|o| (o.start, o.size))
                .collect();
            let live = early.live.as_ref();
            let pinned = pinned_pages(heap, plan);
            let memo = std::mem::take(&mut early.memo);
            let memo = if memo.holds_for(plan) {
                memo
            } else {
                concurrent::Memo::default()
            };
            let outside = concurrent::Outside { large, old, memo };
            match concurrent::start(heap, plan, outside, keep, &pinned, live) {
                Ok(started) => Some(started),
                Err(e) => {
                    log::warn!(
                        "movegc: concurrent compaction could not start ({e}); sliding in place"
                    );
                    let mut kept = Vec::new();
                    rewrite_in_pause(&objects, &mut kept);
                    heap.remembered.push(kept);
                    None
                }
            }
        }
        _ => None,
    };
    match &compaction {
        Some(c) => {
            cycle.pages_remapped = (c.remapped().len() + c.large().span() + c.old().span()) / page;
            // Listed for the next cycle: the compaction cleans those of them
            // that no longer reference a young object, and the next cycle
            // drops the clean ones from its list.
            heap.remembered.push(old_cards);
        }
        None => heap
            .remembered
            .push(rewrite_remembered(spaces, plan, &old_cards, &young_after)),
    }
    let relinks = plan.relinks();
    if !relinks.is_empty() {
        // A concurrent compaction's moves reach the table after the pause
        // (`finish`): nothing reads it by address meanwhile.
        if compaction.is_none() {
            relink_in_pause(heap, plan, cycle);
            relink_table(spaces);
        }
        cycle.large_relinked = relinks.len();
        cycle.large_relinked_bytes = relinks.iter().map(|r| r.size).sum();
    }
    let promoted = plan.base()..young_end;
    // Stop-the-world: all of the cycle's work is in its pause.
    let settle_later = in_place && heap.concurrent.is_some();
    if in_place {
        cycle.in_place = true;
        cycle.dead_kept = dead;
        cycle.pages_in_place = (plan.new_top() - spaces.moving().start()).div_ceil(page);
        cycle.pages_compacted = 0;
        if !settle_later {
            // SAFETY: marking is done and every mutator is stopped.
            unsafe { spaces.settle_in_place(plan) };
            log_promoted_cards(heap, promoted.clone());
        }
    } else if compaction.is_none() {
        slide_in_place(spaces, plan, cycle);
        log_promoted_cards(heap, promoted.clone());
    } else {
        // The next cycle cannot start before this compaction ends: pace the
        // allocations meanwhile against its progress, as marking's, up to
        // the next cycle's trigger, not the heap's end, so that the next
        // cycle starts with room for its own marking. Paced up to the heap's
        // end, an allocating thread that outran the compaction found the
        // heap full as it ended, and stalled for the whole next cycle (the
        // latency bench's unthrottled run: 1.1 s). Only an eighth of that
        // room is free at once, not half as for marking: the compaction frees
        // the pages the allocations reuse as it goes, and allocations that
        // ran ahead of it took fresh pages (see `COMPACTION_UPFRONT`).
        heap.pacer.begin_with(
            cycle.used_after,
            trigger.max(cycle.used_after),
            plan.live_bytes(),
            COMPACTION_UPFRONT,
        );
    }
    let mut release = None;
    if compaction.is_none() {
        release = spaces.finish_compaction(plan.new_top(), keep);
    }
    // The top moved, and pages above it may have gone with the shadow. A
    // requested collection keeps nothing, but the allocations after it use
    // as much as after any other.
    heap.ahead
        .after_pause(plan.new_top().saturating_add(keep_resident));
    cycle.compact = t.elapsed();
    heap.live_after.store(cycle.used_after, Ordering::Relaxed);
    heap.live_bytes.store(cycle.live_bytes, Ordering::Relaxed);
    heap.trigger.store(trigger, Ordering::Relaxed);
    // An in-place cycle's old objects get their starts after the pause: the
    // next cycle's verification covers it.
    if heap.config.verify
        && compaction.is_none()
        && !settle_later
        && let Err(e) = verify(heap, mutators)
    {
        if let Some(release) = release {
            spaces.release(release);
        }
        // No `finish` for this cycle: the tables' rewrite cannot wait for it.
        heap.references.take_deferred(spaces);
        return Err(e);
    }
    Ok(Started {
        compaction,
        settle: settle_later.then(|| plan.parts()),
        marked: planned_from..plan.old_top(),
        black: plan.black(),
        promoted,
        release,
        hot,
    })
}

/// Rewrites, in the pause, the references to objects that move on the
/// remembered set's `cards` (sorted, each once), cleans the cards that then
/// reference no young object (as `young` judges), and returns the others.
fn rewrite_remembered(
    spaces: &Spaces,
    plan: &Plan<'_>,
    cards: &[usize],
    young: &impl Fn(SlotKind, usize) -> bool,
) -> Vec<usize> {
    // SAFETY: the old objects are intact (compaction has not begun) and
    // every mutator is stopped.
    let holds_young = unsafe { spaces.rewrite_cards(plan, cards, young) };
    let mut kept = Vec::new();
    for (&card, young) in cards.iter().zip(holds_young) {
        if young {
            kept.push(card);
        } else {
            spaces.cards().clean(card);
        }
    }
    kept
}

/// Drops from a young cycle's `cards` those of the young large objects with
/// slots (`young_large`, in address order), and cleans them: the cycle
/// rewrites those objects whole, and the card rewrite skips them; the
/// rewrite of their slots dirties again the cards that still reference young
/// objects (in the pause, or as the compaction places their pages). Listed,
/// they cost the pause a sort, and a look-up of the large space's table
/// under its lock, for each: the Lisp's gcbench stores into a young 4 MiB
/// array during marking, and its 8,193 cards took 0.35–0.45 ms of a 0.5–0.7
/// ms compaction pause.
fn drop_young_large_cards(spaces: &Spaces, young_large: &[(usize, usize)], cards: &mut Vec<usize>) {
    let (table, large_start) = (spaces.cards(), spaces.large().range().start);
    cards.retain(|&c| {
        let at = table.range(c).start;
        if at < large_start {
            return true;
        }
        let i = young_large.partition_point(|&(start, _)| start <= at);
        let inside = i > 0 && {
            let (start, size) = young_large[i - 1];
            at < start + size
        };
        if inside {
            table.clean(c);
        }
        !inside
    });
}

/// Of the remembered set's `cards` (sorted), those on old large objects of
/// [`OLD_LARGE_AFTER`] bytes or more, which it removes and cleans: those
/// objects' references are rewritten with the young large objects', after
/// the pause (whose rewrite re-dirties, and the compaction's end lists, the
/// cards that still reference young objects), not card by card in it (the
/// JVM example's churn: 313 cards of one old slot array, 0.3–0.7 ms of its
/// young pauses). Returns the objects as (start, size).
fn old_large_objects(spaces: &Spaces, cards: &mut Vec<usize>) -> Vec<(usize, usize)> {
    let table = spaces.cards();
    let large = spaces.large();
    let large_start = large.range().start;
    let mut objects: Vec<(usize, usize)> = Vec::new();
    cards.retain(|&c| {
        let at = table.range(c).start;
        if at < large_start {
            return true;
        }
        match large.block_containing(at) {
            Some((start, size, false)) if size >= OLD_LARGE_AFTER => {
                let known = objects.last().is_some_and(|&(s, _)| s == start);
                if !known && objects.len() == MAX_OLD_LARGE {
                    return true;
                }
                if !known {
                    objects.push((start, size));
                }
                table.clean(c);
                false
            }
            _ => true,
        }
    });
    objects
}

/// The old pages of `cards` (the remembered set's, in the old part of the
/// moving space), for a concurrent compaction to rewrite after the pause;
/// `None` if a pinned object lies on them (native code may hand its address
/// to the kernel, which cannot fault a page in).
fn old_pages(
    heap: &HeapInner,
    plan: &Plan<'_>,
    cards: &[usize],
) -> gc_uffd::Result<Option<concurrent::OldPages>> {
    if cards.is_empty() {
        return concurrent::OldPages::none().map(Some);
    }
    let spaces = &heap.spaces;
    let table = spaces.cards();
    let with_addresses = cards.iter().map(|&c| (c, table.range(c).start)).collect();
    let old = concurrent::OldPages::choose(with_addresses)?;
    let pinned = heap.pins.snapshot().0;
    let types = spaces.types();
    let on_clusters = pinned
        .into_iter()
        .filter(|&addr| addr >= spaces.moving().start() && addr < plan.base())
        .any(|addr| {
            // SAFETY: in the pause: a pinned object is live, its header intact.
            let header = gc_heap::Header(unsafe { (addr as *const u64).read() });
            let size = types.size_of(header).unwrap_or(gc_heap::WORD);
            old.clusters()
                .iter()
                .any(|c| addr < c.end && addr + size > c.start)
        });
    Ok((!on_clusters).then_some(old))
}

/// Logs the dirty cards over `promoted`, the objects a cycle promoted: the
/// page builder dirtied those whose slots reference young objects, and a
/// barrier that found one dirty did not log it.
fn log_promoted_cards(heap: &HeapInner, promoted: Range<usize>) {
    let cards = heap.spaces.cards();
    // Without generations no list is kept (`Governor::unlisted`): the
    // mutators' stores leave every card they touch dirty.
    if promoted.is_empty() || !heap.list_cards.load(Ordering::Relaxed) {
        return;
    }
    let first = cards.card_of(promoted.start);
    let last = cards.card_of(promoted.end - 1);
    let dirty: Vec<usize> = (first..=last)
        .filter(|&c| cards.is_dirty(cards.range(c).start))
        .collect();
    heap.remembered.push(dirty);
}

/// The stop-the-world slide: the dense prefix's references, then every other
/// page built in place in address order.
fn slide_in_place(spaces: &Spaces, plan: &Plan<'_>, cycle: &mut CycleStats) {
    let page = gc_uffd::page_size();
    let to_space = plan.to_space();
    let dense_pages_end = plan.dense_end() / page * page;
    let mut at = plan.base_page().max(dense_pages_end);
    // SAFETY: marking and planning are complete and every mutator is stopped.
    unsafe { spaces.update_dense_prefix(plan, at) };
    while at < to_space.end {
        // SAFETY: as above; pages are built in place in address order, as
        // `InPlace` requires.
        let built = unsafe { spaces.build_page(plan, at, &InPlace, at) };
        cycle.objects_moved += built.moved;
        cycle.bytes_moved += built.bytes_moved;
        at += page;
    }
}
