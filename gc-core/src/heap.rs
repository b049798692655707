//! The heap: configuration, the shared state, and the entry points that are
//! not per-thread.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use gc_heap::{Spaces, TypeDescriptor, TypeId, TypeTable};

use crate::collect::CycleControl;
use crate::error::{GcError, mib};
use crate::fork::{ForkGate, ForkPhase, GcPool};
use crate::global::GlobalRoots;
use crate::mutator::{Mutator, MutatorShared};
use crate::pacer::Pacer;
use crate::policy::{Governor, Policy};
use crate::pre_write::PreWrite;
use crate::references::References;
use crate::roots::RootScanner;
use crate::safepoint::Handshake;
use crate::satb::SatbQueue;
use crate::stats::{Reason, Stats};
// std's mutex behind parking_lot's interface: see `ForkSafeMutex`.
use crate::sync::ForkSafeMutex as Mutex;

/// How the heap compacts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The best mode this kernel allows: `Move`, else `Copy`, else
    /// `StopTheWorld`. The heap logs its choice and the reason when built.
    Auto,
    /// Concurrent compaction placing pages with `UFFDIO_MOVE`.
    Move,
    /// Concurrent compaction placing pages with `UFFDIO_COPY`.
    Copy,
    /// Sliding compaction with every mutator stopped; works everywhere.
    StopTheWorld,
}

/// Smallest heap the builder accepts.
const MIN_HEAP: usize = 1 << 20;
/// The default of [`HeapBuilder::unread_min`]: reference-free objects of three
/// pages of body and more get pages of their own (chosen by measurement,
/// docs/concurrent-compaction.md, *Reference-free pages*).
pub const UNREAD_MIN: usize = 12 << 10 | 8;

/// The bytes a TLAB holds while a concurrent compaction that moves pages
/// has free shadow pages to spare, the next ones contiguous (at most a 64th
/// of the heap, at least [`HeapBuilder::tlab_size`]). The compaction leaves
/// the pages above its new top missing, and a claim moves recycled shadow
/// pages into them with a call per contiguous stretch: each a TLB
/// shootdown, an IPI round to every other core running the process.
pub const COMPACTION_TLAB: usize = 256 << 10;

/// Largest heap: post-compact offsets are kept in 32-bit word counts.
const MAX_HEAP: usize = 16 << 30;

pub(crate) struct Config {
    pub(crate) verify: bool,
    pub(crate) concurrent_mark: bool,
    #[cfg(feature = "fault-injection")]
    pub(crate) no_write_barrier: bool,
    #[cfg(feature = "fault-injection")]
    pub(crate) no_card_marking: bool,
    #[cfg(feature = "fault-injection")]
    pub(crate) no_keep_alive: bool,
    #[cfg(feature = "fault-injection")]
    pub(crate) large_alloc_delay: Option<std::time::Duration>,
    #[cfg(feature = "fault-injection")]
    pub(crate) pause_delay: Option<std::time::Duration>,
    #[cfg(feature = "fault-injection")]
    pub(crate) no_old_store_cards: bool,
    #[cfg(feature = "fault-injection")]
    pub(crate) ahead_delay: Option<std::time::Duration>,
    pub(crate) large_threshold: usize,
    pub(crate) relink_large: bool,
    pub(crate) tlab_size: usize,
    /// The TLAB size while a concurrent compaction runs.
    pub(crate) compaction_tlab: usize,
    pub(crate) mode: Mode,
    pub(crate) compaction_threads: usize,
}

/// Builds a [`Heap`].
pub struct HeapBuilder {
    size: usize,
    gc_threads: usize,
    concurrent_threads: usize,
    compaction_threads: usize,
    concurrent_mark: bool,
    mode: Mode,
    verify: bool,
    large_threshold: usize,
    relink_large: bool,
    unread_min: usize,
    tlab_size: usize,
    types: TypeTable,
    roots: Vec<Box<dyn RootScanner>>,
    policy: Policy,
    #[cfg(feature = "fault-injection")]
    inject: crate::inject::Injection,
}

impl HeapBuilder {
    /// The heap's size in bytes: the most memory its objects may occupy.
    pub fn size(mut self, bytes: usize) -> Self {
        self.size = bytes;
        self
    }

    /// Threads that mark in parallel (default: the machine's cores).
    pub fn gc_threads(mut self, n: usize) -> Self {
        self.gc_threads = n;
        self
    }

    /// Threads that mark while the mutators run (default: a quarter of the
    /// machine's cores, at least one). With one, the cycle's own thread marks,
    /// and mutators that allocate ahead of it mark with it rather than sleep
    /// (docs/concurrent-marking.md, *Pacing and stalls*).
    pub fn concurrent_threads(mut self, n: usize) -> Self {
        self.concurrent_threads = n;
        self
    }

    /// Threads that build and place pages in a concurrent compaction
    /// ([`Mode::Move`] and [`Mode::Copy`]; default 1: the cycle's own thread).
    /// More finish a compaction sooner, so mutators fault on fewer pages not
    /// yet built and the next cycle may start sooner, at the price of cores
    /// the mutators may want: every thread but the cycle's is spawned for the
    /// compaction and exits when it ends.
    pub fn compaction_threads(mut self, n: usize) -> Self {
        self.compaction_threads = n;
        self
    }

    /// Mark concurrently with the mutators, stopping them only for short
    /// initial-mark, final-mark and compaction pauses (default: on). Off, a
    /// cycle marks, plans and (in [`Mode::StopTheWorld`]) compacts in one pause.
    pub fn concurrent_mark(mut self, on: bool) -> Self {
        self.concurrent_mark = on;
        self
    }

    /// The compaction mode (default: [`Mode::Auto`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Verify the heap before and after every collection (slow; for tests and debugging).
    pub fn verify(mut self, on: bool) -> Self {
        self.verify = on;
        self
    }

    /// Objects of at least this many bytes go to the large-object space (default 32 KiB).
    pub fn large_object_threshold(mut self, bytes: usize) -> Self {
        self.large_threshold = bytes;
        self
    }

    /// Whether full cycles may move large objects down into the large
    /// space's holes when it is fragmented (default: on), by relinking
    /// their pages with `UFFDIO_MOVE` after the compaction pause: no byte
    /// copied, and a page swapped out stays so: after the compaction pause in
    /// the concurrent modes, in it in [`Mode::StopTheWorld`]; only where the
    /// kernel has `UFFDIO_MOVE` (elsewhere large objects stay where they
    /// are). Off, large objects never move, and the
    /// space's holes are filled only by new allocations: the baseline the
    /// `cache` bench compares with.
    pub fn relink_large_objects(mut self, on: bool) -> Self {
        self.relink_large = on;
        self
    }

    /// Reference-free objects (bytes, words, fixed types without slots) of
    /// at least this many bytes, below the large-object threshold, are
    /// placed with their body on a page boundary, so that compaction moves
    /// the pages the body covers with `UFFDIO_MOVE`, reading and writing
    /// none of them: a swapped-out page stays swapped out (default
    /// [`UNREAD_MIN`]: 12 KiB of body; docs/concurrent-compaction.md,
    /// *Reference-free pages*). Only where the compaction can move pages
    /// (`Move`, and `Copy` where the kernel has `UFFDIO_MOVE`); 0 turns it
    /// off. At least a page and a word (a smaller body covers no page).
    pub fn unread_min(mut self, bytes: usize) -> Self {
        self.unread_min = bytes;
        self
    }

    /// Bytes per thread-local allocation buffer (default 32 KiB; more while
    /// a compaction has pages to spare, [`COMPACTION_TLAB`]).
    pub fn tlab_size(mut self, bytes: usize) -> Self {
        self.tlab_size = bytes;
        self
    }

    /// The collection policy: young and full cycles, and the allocation
    /// budget between cycles (default: [`Policy::default`]).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The VM's types.
    pub fn types(mut self, types: TypeTable) -> Self {
        self.types = types;
        self
    }

    /// Failures to simulate in the concurrent modes, to test their fallbacks.
    #[cfg(feature = "fault-injection")]
    pub fn inject(mut self, failures: crate::inject::Injection) -> Self {
        self.inject = failures;
        self
    }

    /// A scanner for roots that belong to no thread (globals, interned tables).
    pub fn root_scanner(mut self, scanner: Box<dyn RootScanner>) -> Self {
        self.roots.push(scanner);
        self
    }

    /// Reserves the heap and starts it.
    pub fn build(self) -> Result<Heap, GcError> {
        if !(MIN_HEAP..=MAX_HEAP).contains(&self.size) {
            return Err(GcError::Config(format!(
                "the heap size {} is outside {}..={}",
                mib(self.size),
                mib(MIN_HEAP),
                mib(MAX_HEAP)
            )));
        }
        if self.gc_threads == 0 || self.concurrent_threads == 0 || self.compaction_threads == 0 {
            return Err(GcError::Config(
                "gc_threads, concurrent_threads and compaction_threads must be at least 1".into(),
            ));
        }
        let page = gc_uffd::page_size();
        if self.large_threshold < 2 * gc_heap::WORD || self.large_threshold > self.size / 4 {
            return Err(GcError::Config(format!(
                "the large-object threshold must be between 16 bytes and a quarter of the heap, not {}",
                self.large_threshold
            )));
        }
        if self.unread_min != 0 && self.unread_min < page + gc_heap::WORD {
            return Err(GcError::Config(format!(
                "unread_min must be 0 (off) or at least a page and a word, not {}",
                self.unread_min
            )));
        }
        if self.tlab_size < page || self.tlab_size > self.size / 16 {
            return Err(GcError::Config(format!(
                "the TLAB size must be between one page and a sixteenth of the heap, not {}",
                self.tlab_size
            )));
        }
        #[cfg(feature = "fault-injection")]
        let no_uffd = self.inject.uffd_unavailable;
        #[cfg(not(feature = "fault-injection"))]
        let no_uffd = false;
        let unavailable = |mode| crate::concurrent::unavailable(mode, no_uffd);
        let mode = match self.mode {
            Mode::StopTheWorld => Mode::StopTheWorld,
            Mode::Move | Mode::Copy => match unavailable(self.mode) {
                Some(why) => {
                    return Err(GcError::Config(format!(
                        "mode {:?} cannot run here: {why}; use Mode::Auto or Mode::StopTheWorld",
                        self.mode
                    )));
                }
                None => self.mode,
            },
            Mode::Auto => {
                let (mode, why) = match (unavailable(Mode::Move), unavailable(Mode::Copy)) {
                    (None, _) => (Mode::Move, "UFFDIO_MOVE and SIGBUS faults work here".into()),
                    (Some(no_move), None) => (Mode::Copy, no_move),
                    (Some(_), Some(no_copy)) => (Mode::StopTheWorld, no_copy),
                };
                log::info!("movegc: mode Auto chose {mode:?}: {why}");
                mode
            }
        };
        let types = Arc::new(self.types);
        let spaces = Spaces::new(self.size, types.clone())?;
        let pool = GcPool::new(self.gc_threads, "movegc")?;
        let concurrent_pool = GcPool::new(self.concurrent_threads, "movegc-mark")?;
        let concurrent = match mode {
            Mode::Move | Mode::Copy => Some(Arc::new(crate::concurrent::Concurrent::new(
                &spaces,
                mode,
                #[cfg(feature = "fault-injection")]
                self.inject,
            )?)),
            Mode::Auto | Mode::StopTheWorld => None,
        };
        if self.unread_min != 0 && concurrent.as_ref().is_some_and(|c| c.can_relink()) {
            spaces.set_unread_min(self.unread_min);
        }
        let relinker = (concurrent.is_none() && self.relink_large)
            .then(crate::relink::Relinker::new)
            .flatten();
        let capacity = spaces.capacity();
        #[cfg(feature = "fault-injection")]
        let no_pages_ahead = self.inject.no_pages_ahead;
        #[cfg(not(feature = "fault-injection"))]
        let no_pages_ahead = false;
        let moving_start = spaces.moving().start();
        self.policy.check().map_err(GcError::Config)?;
        let governor = Governor::new(self.policy, capacity);
        let heap = Arc::new_cyclic(|weak| HeapInner {
            trigger: AtomicUsize::new(governor.trigger()),
            policy: Mutex::new(governor),
            spaces,
            types,
            config: Config {
                verify: self.verify,
                concurrent_mark: self.concurrent_mark,
                #[cfg(feature = "fault-injection")]
                no_write_barrier: self.inject.no_write_barrier,
                #[cfg(feature = "fault-injection")]
                no_card_marking: self.inject.no_card_marking,
                #[cfg(feature = "fault-injection")]
                no_keep_alive: self.inject.no_keep_alive,
                #[cfg(feature = "fault-injection")]
                large_alloc_delay: self.inject.large_alloc_delay,
                #[cfg(feature = "fault-injection")]
                pause_delay: self.inject.pause_delay,
                #[cfg(feature = "fault-injection")]
                no_old_store_cards: self.inject.no_old_store_cards,
                #[cfg(feature = "fault-injection")]
                ahead_delay: self.inject.ahead_delay,
                large_threshold: self.large_threshold,
                relink_large: self.relink_large,
                tlab_size: self.tlab_size,
                compaction_tlab: COMPACTION_TLAB
                    .min(self.size / 64 / page * page)
                    .max(self.tlab_size),
                mode,
                compaction_threads: self.compaction_threads,
            },
            handshake: Handshake::new(),
            mutators: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
            collector: Mutex::new(()),
            fork_gate: ForkGate::new(),
            walker: AtomicU64::new(0),
            global_roots: Mutex::new(GlobalRoots::new(self.roots)),
            pins: crate::pin::Pins::default(),
            stats: Mutex::new(Stats {
                heap_size: capacity,
                ..Stats::default()
            }),
            collections: AtomicU64::new(0),
            live_after: AtomicUsize::new(0),
            live_bytes: AtomicUsize::new(0),
            first_survivors_end: AtomicUsize::new(moving_start),
            allocated: AtomicU64::new(0),
            pool,
            concurrent_pool,
            relinker,
            pre_write: PreWrite::default(),
            black_alloc: AtomicBool::new(false),
            list_cards: AtomicBool::new(self.policy.generational),
            satb: SatbQueue::new(),
            remembered: SatbQueue::new(),
            pacer: Pacer::default(),
            mark_help: crate::mark_help::MarkHelp::default(),
            cycle: CycleControl::default(),
            references: References::default(),
            ahead: crate::ahead::Ahead::new(capacity, mode, no_pages_ahead, weak.clone()),
            cycle_thread: crate::cycle_thread::CycleThread::new(weak.clone()),
            concurrent,
        });
        heap.ahead.start();
        Ok(Heap(heap))
    }
}

/// A pool of `n` GC threads, or none for one (the calling thread works alone).
pub(crate) fn gc_pool(n: usize, name: &'static str) -> Result<Option<rayon::ThreadPool>, GcError> {
    if n <= 1 {
        return Ok(None);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(move |i| format!("{name}-{i}"))
        .build()
        .map(Some)
        .map_err(|e| GcError::Config(format!("cannot start GC threads: {e}")))
}

pub(crate) struct HeapInner {
    /// Declared (so dropped) before `spaces`: its SIGBUS range must be gone
    /// before the heap's addresses are unmapped, or a heap built meanwhile at
    /// the same addresses on another thread could not register its own.
    pub(crate) concurrent: Option<Arc<crate::concurrent::Concurrent>>,
    /// Stop-the-world, where the kernel can move pages: moves the large
    /// objects a full cycle relinks, in its pause.
    pub(crate) relinker: Option<crate::relink::Relinker>,
    pub(crate) spaces: Spaces,
    pub(crate) types: Arc<TypeTable>,
    pub(crate) config: Config,
    pub(crate) handshake: Handshake,
    pub(crate) mutators: Mutex<Vec<Arc<MutatorShared>>>,
    /// The [`thread_number`]s of the threads with a mutator attached. Its lock
    /// is never held in a pause, so a thread may ask while its mutator runs.
    pub(crate) threads: Mutex<Vec<u64>>,
    pub(crate) collector: Mutex<()>,
    /// Waited for before taking the heap's locks while a fork is prepared,
    /// so that threads taking them in a loop cannot starve the preparer.
    pub(crate) fork_gate: ForkGate,
    /// The [`thread_number`] of the thread walking the heap (0: none), which
    /// holds `collector` and `mutators` while its visitor runs.
    pub(crate) walker: AtomicU64,
    pub(crate) global_roots: Mutex<GlobalRoots>,
    /// The pinned objects: roots that no cycle moves.
    pub(crate) pins: crate::pin::Pins,
    pub(crate) stats: Mutex<Stats>,
    pub(crate) collections: AtomicU64,
    /// Bytes in use at which the next cycle starts.
    pub(crate) trigger: AtomicUsize,
    /// Decides the next cycle's kind and trigger; never locked in a pause
    /// across anything but its own arithmetic.
    pub(crate) policy: Mutex<Governor>,
    /// Bytes in use after the last cycle: its survivors, objects allocated
    /// while it ran, large objects by whole pages.
    pub(crate) live_after: AtomicUsize,
    /// Bytes of the objects the last cycle found reachable.
    pub(crate) live_bytes: AtomicUsize,
    /// The end of the survivors of the last cycle: the young objects below
    /// it have survived one young cycle, and the next promotes them.
    pub(crate) first_survivors_end: AtomicUsize,
    pub(crate) allocated: AtomicU64,
    /// Threads for work in pauses (stop-the-world marking).
    pub(crate) pool: GcPool,
    /// Threads for concurrent marking.
    pub(crate) concurrent_pool: GcPool,
    /// What the write barrier does before a store: log overwritten
    /// references (marking is on), dirty old objects' cards.
    pub(crate) pre_write: PreWrite,
    /// Objects allocated now are live this cycle: a retired TLAB's are marked.
    pub(crate) black_alloc: AtomicBool,
    /// The write barrier lists the cards it dirties (generations are on; see
    /// `Governor::unlisted`).
    pub(crate) list_cards: AtomicBool,
    /// The write barrier's full buffers.
    pub(crate) satb: SatbQueue,
    /// The cards mutators dirtied (the remembered set), in the buffers they
    /// handed over; what they still hold is taken in the pauses.
    pub(crate) remembered: SatbQueue,
    pub(crate) pacer: Pacer,
    /// The grey objects a concurrent marking shares with paced mutators.
    pub(crate) mark_help: crate::mark_help::MarkHelp,
    pub(crate) cycle: CycleControl,
    /// Weak handles, ephemerons, finalization and cleaners.
    pub(crate) references: References,
    /// Allocation pages made resident ahead of the mutators.
    pub(crate) ahead: crate::ahead::Ahead,
    /// The thread the cycles that allocations request run on.
    pub(crate) cycle_thread: crate::cycle_thread::CycleThread,
}

thread_local! {
    /// This thread's number (0: none yet). A `Cell` of a plain integer has no
    /// destructor, so it stays readable while the thread's other thread-locals
    /// are destroyed: a VM's `Mutator` kept in a thread-local detaches then.
    static THREAD: Cell<u64> = const { Cell::new(0) };
}

/// A number for the calling thread, unique in the process for its life.
pub(crate) fn thread_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    THREAD.with(|t| {
        if t.get() == 0 {
            t.set(NEXT.fetch_add(1, Ordering::Relaxed));
        }
        t.get()
    })
}

impl HeapInner {
    /// Whether the calling thread has a mutator of this heap attached. It
    /// asks `threads`, not `mutators`: a pause holds `mutators` while it waits
    /// for this very thread's mutator to stop.
    pub(crate) fn is_attached(&self) -> bool {
        self.fork_gate.wait(ForkPhase::Stopped);
        self.threads.lock().contains(&thread_number())
    }

    /// Whether the calling thread is walking the heap: it is in a pause of
    /// its own, holding the locks a collection, an attach or another walk
    /// would wait for.
    pub(crate) fn in_walk(&self) -> bool {
        self.walker.load(Ordering::Relaxed) == thread_number()
    }
}

/// A garbage-collected heap. Cloning is cheap (it is shared); the heap lives
/// until the last clone and the last mutator are gone. Any number of heaps can
/// live in one process, independently.
#[derive(Clone)]
pub struct Heap(pub(crate) Arc<HeapInner>);

impl std::fmt::Debug for Heap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Heap")
            .field("size", &self.0.spaces.capacity())
            .field("mode", &self.0.config.mode)
            .finish_non_exhaustive()
    }
}

/// Reads a size as people write it on command lines: a number of bytes with
/// an optional `K`, `M` or `G` (binary multiples; `KB`, `MiB`, lower case
/// too), e.g. `64M`. `None` if it is malformed or overflows.
pub fn parse_size(s: &str) -> Option<usize> {
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let shift = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return None,
    };
    digits.parse::<usize>().ok()?.checked_mul(1 << shift)
}

impl Heap {
    /// A builder with the defaults: 256 MiB, one GC thread per core, mode Auto.
    pub fn builder() -> HeapBuilder {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        HeapBuilder {
            size: 256 << 20,
            gc_threads: cores,
            concurrent_threads: (cores / 4).max(1),
            compaction_threads: 1,
            concurrent_mark: true,
            mode: Mode::Auto,
            verify: false,
            large_threshold: 32 << 10,
            relink_large: true,
            unread_min: UNREAD_MIN,
            tlab_size: 32 << 10,
            types: TypeTable::new(),
            roots: Vec::new(),
            policy: Policy::default(),
            #[cfg(feature = "fault-injection")]
            inject: crate::inject::Injection::default(),
        }
    }

    /// Attaches the calling thread as a mutator. One mutator per heap per
    /// thread ([`GcError::AlreadyAttached`] otherwise); the mutator may be kept
    /// in a `thread_local!`.
    ///
    /// Fails with [`GcError::InWalk`] in a heap walk's visitor.
    pub fn attach(&self) -> Result<Mutator, GcError> {
        if self.0.in_walk() {
            return Err(GcError::InWalk);
        }
        let me = thread_number();
        {
            let mut threads = self.0.threads.lock();
            if threads.contains(&me) {
                return Err(GcError::AlreadyAttached);
            }
            threads.push(me);
        }
        // Not before: a running mutator asking is refused above, and must
        // not wait for a preparer that waits for it to stop.
        self.0.fork_gate.wait(ForkPhase::Stopping);
        let shared = Arc::new(MutatorShared::new(me));
        self.0.mutators.lock().push(shared.clone());
        let mutator = Mutator::new(self.clone(), shared);
        self.0.handshake.leave_native(mutator.state());
        Ok(mutator)
    }

    /// Runs a full collection now, from a thread with no mutator of this heap.
    ///
    /// Fails with [`GcError::InWalk`] in a heap walk's visitor.
    pub fn collect(&self) -> Result<(), GcError> {
        if self.0.is_attached() {
            return Err(GcError::CollectFromMutatorThread);
        }
        crate::collect::collect(&self.0, Reason::Requested)
    }

    /// Runs a young collection now (a full one if the policy is not
    /// generational or the heap has no room for young objects), from a
    /// thread with no mutator of this heap.
    pub fn collect_young(&self) -> Result<(), GcError> {
        if self.0.is_attached() {
            return Err(GcError::CollectFromMutatorThread);
        }
        crate::collect::collect(&self.0, Reason::RequestedYoung)
    }

    /// Adds a scanner for roots that belong to no thread.
    pub fn add_root_scanner(&self, scanner: Box<dyn RootScanner>) {
        self.0.fork_gate.wait(ForkPhase::Stopped);
        self.0.global_roots.lock().scanners.push(scanner);
    }

    /// Registers a type while the heap runs (a class loaded on first use) and
    /// returns its id. Any thread may call it, attached or not, while others
    /// allocate and cycles run; it takes a lock only against other
    /// registrations, and the collector reads the table without one. The id
    /// is usable at once by this thread, and by any other that learns it
    /// after this returns (through a lock, a channel, an object in the heap).
    ///
    /// Fails with [`GcError::Type`] for a malformed descriptor, or when the
    /// table holds its capacity ([`TypeTable::with_capacity`]).
    pub fn register_type(&self, descriptor: TypeDescriptor) -> Result<TypeId, GcError> {
        self.0.types.register(descriptor).map_err(GcError::Type)
    }

    /// The registered types.
    pub fn types(&self) -> &TypeTable {
        &self.0.types
    }

    /// The mode in force.
    pub fn mode(&self) -> Mode {
        self.0.config.mode
    }

    /// Statistics so far. Any thread may ask, a mutator's too, at any time:
    /// it takes a lock the collector holds only to record a cycle, and never
    /// waits for a collection (a thread other than a running mutator may wait
    /// for a fork being prepared, until its guard is done: see
    /// [`prepare_to_fork`](Self::prepare_to_fork)).
    pub fn stats(&self) -> Stats {
        self.0.fork_gate.wait(ForkPhase::Stopped);
        let mut s = self.0.stats.lock().clone();
        s.used = self.0.spaces.used();
        let large = self.0.spaces.large().fragmentation();
        (s.large_span, s.large_holes) = (large.span, large.holes);
        s.bytes_allocated = self.0.allocated.load(Ordering::Relaxed);
        s.pages_ahead = self.0.ahead.pages();
        s.bytes_zeroed_ahead = self.0.ahead.zeroed();
        s.sizing = self.0.policy.lock().sizing();
        s
    }

    /// The collection policy in force.
    pub fn policy(&self) -> Policy {
        self.0.fork_gate.wait(ForkPhase::Stopped);
        self.0.policy.lock().policy
    }

    /// Sets the collection policy; the next cycle's trigger follows it at
    /// once. A policy that cannot work is refused with [`GcError::Config`].
    pub fn set_policy(&self, policy: Policy) -> Result<(), GcError> {
        policy.check().map_err(GcError::Config)?;
        self.0.fork_gate.wait(ForkPhase::Stopped);
        let mut governor = self.0.policy.lock();
        // Listing starts before a young cycle may run: cards dirtied from now
        // on are listed, and those dirtied before are cleaned by the full
        // cycle that `unlisted` asks for first.
        self.0
            .list_cards
            .store(policy.generational, Ordering::Relaxed);
        governor.unlisted |= !governor.policy.generational;
        governor.policy = policy;
        self.0.trigger.store(governor.trigger(), Ordering::Relaxed);
        Ok(())
    }

    /// The address range the moving space's allocated objects occupy now.
    pub fn moving_space(&self) -> std::ops::Range<usize> {
        self.0.spaces.moving().start()..self.0.spaces.moving().top()
    }
}
