//! `fork()` with a heap the child keeps (MMTk's `prepare_to_fork` /
//! `after_fork`).
//!
//! By default the heap, its shadow and its side metadata are `MADV_DONTFORK`:
//! a child forked from a process with a heap has no heap at all (right for
//! fork + exec, and the parent's pages stay exclusively its own, so
//! `UFFDIO_MOVE` keeps working). A VM that forks to go on running in the
//! child (a preforking server, a zygote) brackets the fork instead:
//!
//! ```no_run
//! # fn fork() -> i32 { 0 }
//! # fn run(mut m: gc_core::Mutator) -> Result<(), gc_core::GcError> {
//! let guard = m.prepare_to_fork()?; // the world is stopped, the heap quiet
//! let pid = fork();                 // libc::fork()
//! if pid == 0 {
//!     guard.child();                // a heap of its own, with only this thread
//! } else {
//!     guard.parent();               // as before, every thread resumed
//! }
//! // `m` works again, in either process.
//! # Ok(()) }
//! ```
//!
//! [`Heap::prepare_to_fork`] waits for a cycle in progress to end (its
//! concurrent compaction too), stops every mutator at a safepoint (or finds
//! it in native code), takes every lock of the heap, and lets the child
//! inherit the heap's memory. With the locks in the forking thread's hands, no
//! lock is held at the fork by a thread the child will not have; and they are
//! std mutexes, so threads that were waiting for them in the parent do not
//! get them in the child either (`ForkSafeMutex`). In the child,
//! [`ForkGuard::child`] forgets the other threads' mutators (their threads do
//! not exist there), opens a userfaultfd of its own (the inherited one serves
//! the parent's address space), starts new GC threads, and releases the locks.
//! Both sides then exclude the heap from later forks again.
//!
//! Afterwards the two processes share the heap's pages copy-on-write. A page
//! shared once stays non-exclusive until written, in both processes (even
//! after the child exits), and `UFFDIO_MOVE` refuses such a page with
//! `EBUSY`: the compaction then copies the rest of that run of pages and
//! moves the next run again. Pages the compaction writes anyway (every page
//! it builds into a buffer, and dense pages whose references it rewrites) are
//! exclusive again by then, so only the rest are copied, in the first cycle
//! after the fork; the next cycle moves everything.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, MutexGuard};

use crate::GcError;
use crate::global::GlobalRoots;
use crate::heap::{Heap, HeapInner, thread_number};
use crate::mutator::{Mutator, MutatorShared, retire};
use crate::pin::Table as PinTable;
use crate::policy::Governor;
use crate::safepoint::MutatorState;
use crate::stats::Stats;
use crate::sync::ForkSafeMutex;

impl Heap {
    /// Makes the heap ready for a `fork()` after which the child keeps a
    /// working heap, from a thread with no mutator of this heap (on a mutator
    /// thread use [`Mutator::prepare_to_fork`]; here that fails with
    /// [`GcError::ForkFromMutatorThread`]).
    ///
    /// Waits for a cycle in progress to end, then stops every mutator (as a
    /// pause does) and holds every lock of the heap until the returned guard
    /// is told, after the fork, which process it is in: call [`fork`] and
    /// then [`ForkGuard::parent`] or [`ForkGuard::child`] at once, and nothing
    /// else of this heap in between. The child inherits the heap with the
    /// forking thread only: other threads' mutators are gone there.
    ///
    /// Threads that use the heap meanwhile (collecting, attaching or
    /// detaching, reading the statistics, registering types, dropping weak
    /// handles) wait until the guard is done, so that they cannot keep its
    /// locks from this one by taking them again and again.
    ///
    /// Without it, a `fork` gives the child no heap (see the module
    /// documentation): cheaper, and right for fork + exec.
    ///
    /// [`fork`]: https://man7.org/linux/man-pages/man2/fork.2.html
    pub fn prepare_to_fork(&self) -> Result<ForkGuard<'_>, GcError> {
        if self.0.in_walk() {
            return Err(GcError::InWalk);
        }
        if self.0.is_attached() {
            return Err(GcError::ForkFromMutatorThread);
        }
        ForkGuard::prepare(&self.0, None)
    }
}

impl Mutator {
    /// [`Heap::prepare_to_fork`] from this mutator's thread. The mutator is
    /// in native code until the guard is used, so a collection may run while
    /// this waits for the heap to be quiet: raw references are stale
    /// afterwards, as after [`collect`](Self::collect). This mutator stays
    /// valid in both processes after the fork.
    pub fn prepare_to_fork(&mut self) -> Result<ForkGuard<'_>, GcError> {
        if self.heap().0.in_walk() {
            return Err(GcError::InWalk);
        }
        self.enter_native();
        let this: &Mutator = self;
        ForkGuard::prepare(&this.heap().0, Some(this.state()))
    }
}

/// A heap made ready for `fork()` by [`Heap::prepare_to_fork`] or
/// [`Mutator::prepare_to_fork`]: every other mutator is stopped and every
/// lock of the heap is held. After the fork, tell it which process it is in:
/// [`parent`](Self::parent) or [`child`](Self::child). Dropped without
/// either, it acts as `parent` (for a fork that failed).
#[must_use = "call parent() or child() after the fork"]
pub struct ForkGuard<'a> {
    heap: &'a HeapInner,
    /// The forking thread's mutator, in native code meanwhile.
    me: Option<&'a MutatorState>,
    pid: u32,
    held: Option<Held<'a>>,
}

/// The heap's locks, taken in this order (the order every other path takes
/// them in, where it takes more than one). All are std mutexes, whose unlock
/// hands the lock to no one: in the child, threads of the parent that were
/// waiting for them are not waiting any more (see `ForkSafeMutex`).
struct Held<'a> {
    /// Taken first and let go last (see [`ForkGate`]).
    gate: GateGuard<'a>,
    collector: MutexGuard<'a, ()>,
    /// No page made resident ahead across the fork: the thread may not be
    /// left holding its gate in the child, which does not have it.
    ahead: crate::ahead::HeldOff<'a>,
    mutators: MutexGuard<'a, Vec<Arc<MutatorShared>>>,
    threads: MutexGuard<'a, Vec<u64>>,
    handshake: crate::sync::MutexGuard<'a, ()>,
    freed: crate::sync::MutexGuard<'a, u64>,
    roots: MutexGuard<'a, GlobalRoots>,
    references: MutexGuard<'a, crate::references::Tables>,
    stats: MutexGuard<'a, Stats>,
    large: allocator::LargeLock<'a>,
    types: gc_heap::RegistrationLock<'a>,
    policy: MutexGuard<'a, Governor>,
    pins: MutexGuard<'a, PinTable>,
}

impl std::fmt::Debug for ForkGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForkGuard")
            .field("pid", &self.pid)
            .field("mutator", &self.me.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> ForkGuard<'a> {
    /// `me`, if any, is the calling thread's mutator, already in native code.
    fn prepare(heap: &'a HeapInner, me: Option<&'a MutatorState>) -> Result<Self, GcError> {
        // The gate first, so that no thread taking the locks below in a loop
        // can keep them from this one (see `ForkGate`).
        let gate = heap.fork_gate.close();
        // The collector lock: a cycle in progress (its compaction too) ends
        // before this returns, and none starts while it is held. Then the
        // world stops, as for a pause.
        let collector = heap.collector.lock();
        let ahead = heap.ahead.hold_off();
        let mutators = heap.mutators.lock();
        heap.handshake.stop(mutators.iter().map(|m| &m.state));
        gate.stopped();
        let threads = heap.threads.lock();
        // A parked mutator takes the handshake's lock for a moment whenever it
        // wakes; a stalled allocation (in native code) takes the wait lock
        // between its waits; any thread may read the statistics, whose
        // `used` reads the large-object space's tables. Held here, none of them
        // is held at the fork by a thread the child will not have. Any thread
        // may drop a weak handle, which takes the reference tables' lock.
        let handshake = heap.handshake.lock_for_fork();
        let freed = heap.cycle.lock_for_fork();
        let roots = heap.global_roots.lock();
        let references = heap.references.lock();
        let stats = heap.stats.lock();
        let large = heap.spaces.large().lock();
        // A thread registering a type (any thread, attached or not), or
        // holding registrations off: ahead of those, which may take the lock
        // again as soon as they let it go.
        let types = heap.types.lock_registrations_ahead();
        // Any thread may read or set the policy (`Heap::stats` reads it), or
        // drop a pin.
        let policy = heap.policy.lock();
        let pins = heap.pins.lock_for_fork();
        let guard = ForkGuard {
            heap,
            me,
            pid: std::process::id(),
            held: Some(Held {
                gate,
                collector,
                ahead,
                mutators,
                threads,
                handshake,
                freed,
                roots,
                references,
                stats,
                large,
                types,
                policy,
                pins,
            }),
        };
        // Dropped on failure: the guard undoes this and resumes the world.
        guard.inherit(true)?;
        Ok(guard)
    }

    /// Lets children forked from now on inherit the heap's memory, or not.
    fn inherit(&self, inherit: bool) -> Result<(), GcError> {
        self.heap.spaces.inherit_in_fork(inherit)?;
        if let Some(c) = &self.heap.concurrent {
            c.inherit_in_fork(inherit)?;
        }
        Ok(())
    }

    /// In the parent after the fork (or if the fork failed): the heap is
    /// excluded from later forks again, every mutator resumes, and the
    /// forking thread's mutator, if any, leaves native code. The pages the
    /// child shared are copied, not moved, by the next compaction that
    /// places them unwritten (see the module documentation).
    pub fn parent(self) {
        // `Drop` does it.
    }

    /// In the child after the fork: the heap becomes this process's own,
    /// with the forking thread its only thread. Other threads' mutators are
    /// forgotten (their allocation buffers retired, their roots and handles
    /// no longer roots: objects only they held are garbage here); the
    /// userfaultfd, the GC threads and the state of the cycle machinery are
    /// made afresh; the heap is excluded from later forks again; every lock
    /// is released. The forking thread's mutator, if any, leaves native code.
    /// The heap then collects as in the parent, in its mode.
    ///
    /// Should a new userfaultfd be refused here (a descriptor limit), the
    /// heap compacts stop-the-world from then on, and says so in the log.
    ///
    /// Threads that were waiting for the heap in the parent (for a cycle to
    /// end, to attach, for the statistics) do not exist here, and leave no
    /// lock held behind them.
    ///
    /// # Panics
    /// If called in the process that prepared the fork.
    pub fn child(mut self) {
        assert_ne!(
            std::process::id(),
            self.pid,
            "ForkGuard::child called in the parent process"
        );
        let heap = self.heap;
        let Some(mut held) = self.held.take() else {
            return;
        };
        heap.cycle.reset_in_child();
        let me = self.me;
        let mine = thread_number();
        held.threads.retain(|&t| t == mine);
        held.mutators.retain(|m| {
            if me.is_some_and(|me| std::ptr::eq(me, &m.state)) {
                return true;
            }
            // SAFETY: the mutator's thread does not exist in this process; it
            // was stopped or in native code at the fork, so nothing was in the
            // middle of using its TLAB.
            retire(&heap.spaces, unsafe { &mut *m.tlab.get() }, false);
            // Its dirty cards stay dirty, so no barrier here would log them again.
            // SAFETY: as above.
            unsafe { &mut *m.cards.get() }.flush(&heap.remembered);
            // Its `Mutator` lives on a stack that no thread here will unwind:
            // dropping its part here would drop root scanners that point into
            // that stack. Nothing will ever free it.
            std::mem::forget(m.clone());
            false
        });
        if let Some(c) = &heap.concurrent {
            c.reopen_in_child();
        }
        if let Some(r) = &heap.relinker {
            r.reopen_in_child();
        }
        heap.pool.renew_in_child();
        heap.concurrent_pool.renew_in_child();
        heap.ahead.renew_in_child();
        heap.cycle_thread.renew_in_child();
        self.held = Some(held);
        // `Drop` excludes the heap from forks, releases the locks and resumes.
    }

    /// Excludes the heap from later forks, releases the locks (resuming the
    /// world) and lets the forking thread's mutator leave native code.
    fn finish(&mut self) {
        let Some(held) = self.held.take() else {
            return;
        };
        if let Err(e) = self.inherit(false) {
            log::error!(
                "movegc: the heap could not be excluded from forks again ({e}): \
                 a child forked without prepare_to_fork will share its pages"
            );
        }
        let Held {
            gate,
            collector,
            ahead,
            mutators,
            threads,
            handshake,
            freed,
            roots,
            references,
            stats,
            large,
            types,
            policy,
            pins,
        } = held;
        drop((
            pins, policy, types, large, stats, references, roots, freed, threads,
        ));
        self.heap.handshake.resume_locked(handshake);
        drop(mutators);
        drop(ahead);
        drop(collector);
        drop(gate);
        if let Some(me) = self.me {
            self.heap.handshake.leave_native(me);
        }
    }
}

impl Drop for ForkGuard<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Keeps a fork's preparer from being starved by threads that take the
/// heap's locks in a loop (`Heap::collect`, `Heap::stats`, attaching and
/// detaching, dropping weak handles). The locks are std mutexes (see
/// `ForkSafeMutex`), which hand themselves to no waiter: a thread that lets
/// one go and takes it again at once gets it back before the waiter it woke
/// runs, and on an idle machine it does so time after time (seen: a
/// preparer waiting minutes for the collector lock while a thread ran
/// `Heap::collect` in a loop). So the preparer closes the gate (takes its
/// lock) before any of the heap's locks and keeps it closed until the guard
/// is done; the heap's entry points wait for an open gate before taking
/// theirs, and the preparer waits only for threads already holding or
/// waiting for one, once each.
///
/// The gate is a std mutex too, held by the forking thread across the fork:
/// threads of the parent waiting for it do not wait in the child, where the
/// forking thread opens it.
pub(crate) struct ForkGate {
    gate: ForkSafeMutex<()>,
    /// How far the preparation holding the gate has come: 0 (none), or a
    /// [`ForkPhase`].
    phase: AtomicU8,
}

/// How far a fork's preparation has come, for [`ForkGate::wait`].
#[derive(Clone, Copy)]
pub(crate) enum ForkPhase {
    /// The preparer is stopping the world. Threads waiting here are no
    /// running mutator (the preparer waits for those to stop), and take the
    /// collector lock or the mutators' list: a cycle, `Heap::collect`, a
    /// heap walk, attaching, detaching.
    Stopping = 1,
    /// The world is stopped: no mutator runs, so any thread may wait here,
    /// before any of the heap's other locks (`Heap::stats`, global roots,
    /// weak handles, whether a thread is attached).
    Stopped = 2,
}

impl ForkGate {
    pub(crate) fn new() -> Self {
        ForkGate {
            gate: ForkSafeMutex::new(()),
            phase: AtomicU8::new(0),
        }
    }

    /// Waits while a fork's preparation holds the gate and has come as far
    /// as `phase`. The caller must hold none of the heap's locks (the
    /// preparer may be waiting for it) and, for [`ForkPhase::Stopping`],
    /// must not be a running mutator (the preparer waits for it to stop).
    pub(crate) fn wait(&self, phase: ForkPhase) {
        if self.phase.load(Ordering::Acquire) >= phase as u8 {
            drop(self.gate.lock());
        }
    }

    /// Closes the gate for a fork's preparation, waiting for another one to
    /// end first.
    fn close(&self) -> GateGuard<'_> {
        let held = self.gate.lock();
        self.phase
            .store(ForkPhase::Stopping as u8, Ordering::Release);
        GateGuard {
            phase: &self.phase,
            _held: held,
        }
    }
}

/// The gate, closed until dropped.
struct GateGuard<'a> {
    phase: &'a AtomicU8,
    _held: MutexGuard<'a, ()>,
}

impl GateGuard<'_> {
    /// The world is stopped: every entry point waits from now on.
    fn stopped(&self) {
        self.phase
            .store(ForkPhase::Stopped as u8, Ordering::Release);
    }
}

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        // Before the lock is let go (after this): threads that come after
        // take the heap's locks at once, those waiting for the gate next.
        self.phase.store(0, Ordering::Release);
    }
}

/// A pool of GC threads that a forked child can replace: its threads do
/// not exist there. Only a cycle uses it, with the collector lock held.
pub(crate) struct GcPool {
    name: &'static str,
    pool: ForkSafeMutex<Option<Arc<rayon::ThreadPool>>>,
}

impl GcPool {
    /// `n` threads named after `name`, or none for one (the calling thread
    /// works alone).
    pub(crate) fn new(n: usize, name: &'static str) -> Result<Self, GcError> {
        Ok(GcPool {
            name,
            pool: ForkSafeMutex::new(crate::heap::gc_pool(n, name)?.map(Arc::new)),
        })
    }

    /// The pool, if there is one.
    pub(crate) fn get(&self) -> Option<Arc<rayon::ThreadPool>> {
        self.pool.lock().clone()
    }

    /// In a forked child: the pool's threads are gone, and its locks may be
    /// in any state. Forgets it (dropping it would wait for those threads)
    /// and starts as many threads anew.
    fn renew_in_child(&self) {
        let mut pool = self.pool.lock();
        let Some(old) = pool.take() else {
            return;
        };
        let n = old.current_num_threads();
        std::mem::forget(old);
        *pool = match crate::heap::gc_pool(n, self.name) {
            Ok(new) => new.map(Arc::new),
            Err(e) => {
                log::warn!("movegc: {e} in a forked child: its collector works on one thread");
                None
            }
        };
    }
}
