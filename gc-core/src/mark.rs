//! Marking: tracing every object reachable from the roots, in parallel.
//!
//! Each GC thread works from its own deque and steals from the others when it
//! runs dry (crossbeam's work-stealing deques). A thread with nothing to do
//! leaves the `active` count; marking ends when the count reaches zero, which
//! means every deque is empty: a thread only goes idle with an empty deque,
//! and only active threads push.
//!
//! Marking runs while mutators store references: slots are read with atomic
//! loads (the write barrier stores with atomic stores), and objects allocated
//! since the initial mark, above the black line, are live without tracing.

use crossbeam::deque::{Injector, Steal, Stealer, Worker};
use gc_heap::{Header, SlotKind, Spaces, TypeTable};
use parking_lot::Mutex;

use crate::mark_help::{Lines, MarkHelp, Take};
use crate::sync::{AtomicUsize, Ordering, spin};

/// Objects a worker scans between reports of its progress.
const REPORT_EVERY: usize = 1024;

/// Bytes of objects a marking thread scans between looks for paced mutators
/// that wait for a share of its work (tens of microseconds: a helper that
/// asked sleeps no longer).
const SHARE_EVERY: usize = 32 << 10;

/// Bytes of objects a helping mutator scans between looks at whether it is
/// still paced, or asked to give its work back. In bytes, not objects: 256
/// of the latency bench's 8 KiB reference arrays took a helper 10 ms, and
/// held its allocation past the pacer's cap.
const HELP_CHUNK: usize = 8 << 10;

/// The pool a trace splits its work over, if it has more than one thread.
fn parallel(pool: Option<&rayon::ThreadPool>) -> Option<&rayon::ThreadPool> {
    pool.filter(|p| p.current_num_threads() > 1)
}

/// How many references a single-threaded trace has prefetched but not yet
/// marked. Marking reads each new object's header (for its size): on a heap
/// larger than the cache a miss, and the one thing a marker waits for
/// (binary-trees 21: half its time). Marked this many references later, the
/// misses overlap instead of following one another.
const PREFETCH: usize = 16;

/// The references a trace prefetched, oldest first.
struct Pending {
    ring: [usize; PREFETCH],
    head: usize,
    len: usize,
}

impl Pending {
    fn new() -> Self {
        Pending {
            ring: [0; PREFETCH],
            head: 0,
            len: 0,
        }
    }

    /// Adds `addr`; when full, returns the oldest, whose turn it is.
    fn push(&mut self, addr: usize) -> Option<usize> {
        if self.len == PREFETCH {
            let oldest = std::mem::replace(&mut self.ring[self.head], addr);
            self.head = (self.head + 1) % PREFETCH;
            return Some(oldest);
        }
        self.ring[(self.head + self.len) % PREFETCH] = addr;
        self.len += 1;
        None
    }

    fn pop(&mut self) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let oldest = self.ring[self.head];
        self.head = (self.head + 1) % PREFETCH;
        self.len -= 1;
        Some(oldest)
    }
}

/// One cycle's marking: the spaces, and the black line.
pub(crate) struct Marker<'a> {
    spaces: &'a Spaces,
    types: &'a TypeTable,
    /// Moving-space objects from here up were allocated during the cycle.
    black: usize,
    /// Moving-space objects below here are old, and live in a young cycle
    /// (the space's start in a full one).
    old_end: usize,
    /// Moving-space objects below here note on their pages what they
    /// reference (a full cycle's old objects, for the dense prefix it leaves
    /// mapped); zero: none do.
    targets_below: usize,
    /// Bytes of objects scanned so far, for pacing.
    progress: &'a AtomicUsize,
    /// The non-null weak slots of the objects scanned: reference processing
    /// clears those whose objects marking did not reach.
    weak_slots: Mutex<Vec<usize>>,
    /// Paced mutators this marking shares its work with, when tracing on
    /// one thread.
    help: Option<&'a MarkHelp>,
}

impl<'a> Marker<'a> {
    /// A marking of the objects from `old_end` up (and of the large objects
    /// not marked already: old ones keep their marks in a young cycle).
    pub(crate) fn new(
        spaces: &'a Spaces,
        old_end: usize,
        black: usize,
        progress: &'a AtomicUsize,
    ) -> Self {
        Marker {
            spaces,
            types: spaces.types(),
            black,
            old_end,
            targets_below: 0,
            progress,
            weak_slots: Mutex::new(Vec::new()),
            help: None,
        }
    }

    /// A marking that draws `lines` (a helper's, tracing part of another's).
    pub(crate) fn with_lines(spaces: &'a Spaces, lines: Lines, progress: &'a AtomicUsize) -> Self {
        Marker::new(spaces, lines.old_end, lines.black, progress)
            .noting_targets_below(lines.targets_below)
    }

    /// Where this marking draws its lines.
    pub(crate) fn lines(&self) -> Lines {
        Lines {
            old_end: self.old_end,
            black: self.black,
            targets_below: self.targets_below,
        }
    }

    /// The marking, sharing its work with the paced mutators of `help`
    /// whenever it traces on one thread ([`trace`](Self::trace)).
    pub(crate) fn sharing_with(self, help: &'a MarkHelp) -> Self {
        Marker {
            help: Some(help),
            ..self
        }
    }

    /// The marking, with the objects below `line` (zero: none) noting what
    /// they reference on their pages ([`gc_heap::PageTargets`]; the cycle
    /// clears those pages' notes before its first pause).
    pub(crate) fn noting_targets_below(self, line: usize) -> Self {
        Marker {
            targets_below: line,
            ..self
        }
    }

    /// Notes a weak slot holding `value`, instead of marking through it.
    #[inline]
    pub(crate) fn discover_weak(&self, slot: usize, value: usize) {
        if value != 0 {
            self.weak_slots.lock().push(slot);
        }
    }

    /// Takes the weak slots noted so far.
    pub(crate) fn take_weak_slots(&self) -> Vec<usize> {
        std::mem::take(&mut *self.weak_slots.lock())
    }

    /// The black line.
    pub(crate) fn black(&self) -> usize {
        self.black
    }

    /// Marks `addr` if it is a reference into an allocated part of the heap
    /// that is not marked yet; returns whether it must be scanned.
    #[inline]
    pub(crate) fn mark_new(&self, addr: usize) -> bool {
        // A marked object's header is not read: references to marked
        // objects are common (shared nodes, roots marked again in the final
        // pause), and the header is a miss where the bitmap word is one the
        // set below would load anyway.
        if !self.traced(addr) || self.spaces.is_marked(addr) {
            return false;
        }
        // SAFETY: `addr` lies in an allocated part of the heap and, as a
        // reference, is an object's start (the verifier checks this when
        // enabled); headers do not change after allocation.
        let header = unsafe { (addr as *const u64).read() };
        match self.types.size_of(Header(header)) {
            Some(size) => {
                let new = self.spaces.mark(addr, size);
                if new {
                    self.spaces.note_unread(addr, size, Header(header));
                }
                new
            }
            None => false,
        }
    }

    /// Whether a reference to `addr` is one this marking traces: into the
    /// moving space between the old objects and the black line, or into the
    /// large space.
    #[inline]
    fn traced(&self, addr: usize) -> bool {
        let spaces = self.spaces;
        if spaces.in_moving(addr) {
            addr < self.black && addr >= self.old_end
        } else {
            spaces.in_large(addr)
        }
    }

    /// Whether the object at `addr` is live this cycle as far as marking has
    /// gone: marked, allocated during the cycle, old in a young cycle, or
    /// outside the spaces this cycle traces. Reference processing asks it
    /// once tracing is complete.
    pub(crate) fn is_live(&self, addr: usize) -> bool {
        self.liveness().is_live(self.spaces, addr)
    }

    /// What tells live objects from dead ones once this marking is over,
    /// for as long as its marks stay.
    pub(crate) fn liveness(&self) -> Liveness {
        Liveness {
            old_end: self.old_end,
            black: self.black,
        }
    }

    /// Visits the references of the object at `obj`: notes its weak slots,
    /// and calls `found` with the value of each other reference slot.
    /// Returns the object's size.
    #[inline]
    fn scan(&self, obj: usize, mut found: impl FnMut(usize)) -> usize {
        // SAFETY: `obj` is a marked object's start.
        let header = Header(unsafe { (obj as *const u64).read() });
        let note = obj < self.targets_below;
        let (mut highest, mut large) = (0, false);
        self.types.for_each_slot(header, |offset, kind| {
            // SAFETY: the slot lies inside the object, word-aligned; mutators
            // store to it atomically (the write barrier), so an atomic load
            // does not race.
            let value = unsafe {
                std::sync::atomic::AtomicUsize::from_ptr((obj + offset) as *mut usize)
                    .load(std::sync::atomic::Ordering::Relaxed)
            };
            let is_ref = self.types.is_ref(kind, value);
            if kind == SlotKind::Weak {
                self.discover_weak(obj + offset, value);
            } else if is_ref {
                found(value);
            }
            // A weak slot's object may move too.
            if note && is_ref {
                if self.spaces.in_moving(value) {
                    highest = highest.max(value);
                } else {
                    large |= self.spaces.in_large(value);
                }
            }
        });
        let size = self.types.size_of(header).unwrap_or(0);
        if note && size > 0 {
            self.spaces.targets().note(obj..obj + size, highest, large);
        }
        size
    }

    /// Traces from `grey` (objects already marked) until every object
    /// reachable from them is marked, with the threads of `pool` or this one;
    /// returns how many objects were scanned.
    pub(crate) fn trace(&self, pool: Option<&rayon::ThreadPool>, grey: Vec<usize>) -> usize {
        let Some(pool) = parallel(pool) else {
            let mut grey = grey;
            return match self.help {
                Some(help) => self.trace_sharing(help, grey),
                None => self.trace_bounded(&mut grey, usize::MAX, usize::MAX).0,
            };
        };
        let threads = pool.current_num_threads();
        let injector = Injector::new();
        for obj in grey {
            injector.push(obj);
        }
        let workers: Vec<Worker<usize>> = (0..threads).map(|_| Worker::new_lifo()).collect();
        let stealers: Vec<Stealer<usize>> = workers.iter().map(Worker::stealer).collect();
        let workers: Vec<Mutex<Option<Worker<usize>>>> =
            workers.into_iter().map(|w| Mutex::new(Some(w))).collect();
        let active = AtomicUsize::new(threads);
        let scanned = AtomicUsize::new(0);
        pool.broadcast(|ctx| {
            let Some(local) = workers.get(ctx.index()).and_then(|w| w.lock().take()) else {
                active.fetch_sub(1, Ordering::AcqRel);
                return;
            };
            let mut bytes = 0;
            let count = run_worker(
                &active,
                || local.pop().or_else(|| steal(&injector, &stealers, &local)),
                || !injector.is_empty() || stealers.iter().any(|s| !s.is_empty()),
                |obj| {
                    bytes += self.scan(obj, |c| {
                        if self.mark_new(c) {
                            local.push(c);
                        }
                    });
                    if bytes >= REPORT_EVERY * 32 {
                        self.progress.fetch_add(bytes, Ordering::Relaxed);
                        bytes = 0;
                    }
                },
            );
            self.progress.fetch_add(bytes, Ordering::Relaxed);
            scanned.fetch_add(count, Ordering::Relaxed);
        });
        scanned.into_inner()
    }

    /// Whether [`trace`](Self::trace) on `pool` shares its work with paced
    /// mutators: it traces on one thread, and was made
    /// [`sharing_with`](Self::sharing_with) them.
    pub(crate) fn shares_on(&self, pool: Option<&rayon::ThreadPool>) -> bool {
        self.help.is_some() && parallel(pool).is_none()
    }

    /// Traces from `grey` on this thread, handing out part of it to the
    /// paced mutators of `help` that ask, and taking back what they have not
    /// traced before it returns: when it does, marking from `grey` is done.
    /// Returns how many objects this thread scanned.
    fn trace_sharing(&self, help: &MarkHelp, mut grey: Vec<usize>) -> usize {
        let mut scanned = 0;
        loop {
            let (n, _, finished) = self.trace_bounded(&mut grey, usize::MAX, SHARE_EVERY);
            scanned += n;
            if !finished {
                if help.wanted() {
                    help.share(&mut grey);
                }
                continue;
            }
            match help.reclaim() {
                Some(batch) => grey = batch,
                None => break,
            }
        }
        self.weak_slots.lock().extend(help.take_weak());
        scanned
    }

    /// A paced mutator's turn (in native code) while a marking thread
    /// traces with [`trace_sharing`](Self::trace_sharing): traces batches it
    /// hands out, while `still()` says the mutator is paced, and gives back
    /// what is left of a batch when it stops or is asked.
    pub(crate) fn help(
        help: &MarkHelp,
        spaces: &Spaces,
        progress: &AtomicUsize,
        still: &mut dyn FnMut() -> bool,
    ) {
        while still() {
            let (mut grey, lines) = match help.take() {
                Take::Batch(grey, lines) => (grey, lines),
                // Asked: the marking thread shares within SHARE_EVERY bytes of objects.
                Take::Wait => {
                    std::thread::sleep(std::time::Duration::from_micros(20));
                    continue;
                }
                Take::Closed => return,
            };
            let marker = Marker::with_lines(spaces, lines, progress);
            let mut scanned = 0;
            loop {
                let (n, _, finished) = marker.trace_bounded(&mut grey, usize::MAX, HELP_CHUNK);
                scanned += n;
                if finished || help.wants_back() || !still() {
                    break;
                }
            }
            help.give_back(grey, marker.take_weak_slots(), scanned);
        }
    }

    /// Traces from `grey` on this thread, scanning at most `budget` objects,
    /// and none once it has scanned `max_bytes` bytes of them (the last may
    /// take it over); returns how many objects and bytes it scanned, and
    /// whether it finished (`grey` is empty).
    pub(crate) fn trace_bounded(
        &self,
        grey: &mut Vec<usize>,
        budget: usize,
        max_bytes: usize,
    ) -> (usize, usize, bool) {
        let mut scanned = 0;
        let mut bytes = 0;
        let mut total = 0;
        let mut pending = Pending::new();
        while scanned < budget && total < max_bytes {
            let Some(obj) = grey.pop() else {
                // Nothing grey: the prefetched references are next.
                let Some(c) = pending.pop() else {
                    self.progress.fetch_add(bytes, Ordering::Relaxed);
                    return (scanned, total, true);
                };
                if self.mark_new(c) {
                    grey.push(c);
                }
                continue;
            };
            scanned += 1;
            let size = self.scan(obj, |c| {
                if !self.traced(c) {
                    return;
                }
                self.spaces.prefetch_for_marking(c);
                if let Some(oldest) = pending.push(c)
                    && self.mark_new(oldest)
                {
                    grey.push(oldest);
                }
            });
            bytes += size;
            total += size;
            if scanned % REPORT_EVERY == 0 {
                self.progress.fetch_add(bytes, Ordering::Relaxed);
                bytes = 0;
            }
        }
        // Out of budget: what was prefetched is marked, and grey if new.
        while let Some(c) = pending.pop() {
            if self.mark_new(c) {
                grey.push(c);
            }
        }
        self.progress.fetch_add(bytes, Ordering::Relaxed);
        (scanned, total, grey.is_empty())
    }
}

/// One marking worker: takes work from `next` (its own deque, then stealing)
/// until every worker is idle; returns how many items it processed.
///
/// `active` counts the workers that may still hold or create work. A worker
/// leaves it only when `next` finds nothing anywhere (so its own deque is
/// empty), and rejoins before taking work again; work is only pushed by active
/// workers. So when `active` reaches zero every deque is empty, and marking is
/// complete. loom checks this (`loom_tests`) with locked queues standing in for
/// the deques.
pub(crate) fn run_worker<T>(
    active: &AtomicUsize,
    mut next: impl FnMut() -> Option<T>,
    mut any_work: impl FnMut() -> bool,
    mut process: impl FnMut(T),
) -> usize {
    let mut count = 0;
    loop {
        if let Some(item) = next() {
            count += 1;
            process(item);
            continue;
        }
        active.fetch_sub(1, Ordering::AcqRel);
        loop {
            if active.load(Ordering::Acquire) == 0 {
                return count;
            }
            if any_work() {
                active.fetch_add(1, Ordering::AcqRel);
                break;
            }
            spin();
        }
    }
}

fn steal(
    injector: &Injector<usize>,
    stealers: &[Stealer<usize>],
    local: &Worker<usize>,
) -> Option<usize> {
    loop {
        let mut retry = false;
        match injector.steal_batch_and_pop(local) {
            Steal::Success(obj) => return Some(obj),
            Steal::Retry => retry = true,
            Steal::Empty => {}
        }
        for s in stealers {
            match s.steal_batch_and_pop(local) {
                Steal::Success(obj) => return Some(obj),
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
        }
        if !retry {
            return None;
        }
    }
}

/// A finished marking's verdict on an object, read from its marks: live if
/// marked, old (below `old_end` in a young cycle), or allocated during the
/// cycle (from `black` up).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Liveness {
    old_end: usize,
    black: usize,
}

impl Liveness {
    /// Whether the object at `addr` (its address when marking ended) is
    /// live. Only while the marking's marks stay (until the cycle clears
    /// them); a compaction may have lowered the top since, so an address of
    /// the moving space is any outside the large-object space.
    pub(crate) fn is_live(&self, spaces: &Spaces, addr: usize) -> bool {
        if spaces.in_large(addr) {
            spaces.is_marked(addr)
        } else {
            addr >= self.black || addr < self.old_end || spaces.is_marked(addr)
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::{Arc, Mutex};

    /// Two workers with a queue each and a shared injector holding one root,
    /// whose processing pushes more work: every item is processed exactly
    /// once, and both workers return only when all of it is done.
    #[test]
    fn workers_stop_only_when_all_work_is_done() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder.check(|| {
            let injector = Arc::new(Mutex::new(vec![3usize]));
            let queues = Arc::new([Mutex::new(Vec::new()), Mutex::new(Vec::new())]);
            let active = Arc::new(AtomicUsize::new(2));
            let done = Arc::new(AtomicUsize::new(0));
            let worker = |me: usize| {
                let (injector, queues, active, done) = (
                    injector.clone(),
                    queues.clone(),
                    active.clone(),
                    done.clone(),
                );
                move || {
                    let other = 1 - me;
                    let count = run_worker(
                        &active,
                        || {
                            let mine = queues[me].lock().unwrap().pop();
                            mine.or_else(|| injector.lock().unwrap().pop())
                                .or_else(|| queues[other].lock().unwrap().pop())
                        },
                        || {
                            !injector.lock().unwrap().is_empty()
                                || !queues[other].lock().unwrap().is_empty()
                        },
                        |n| {
                            done.fetch_add(1, Ordering::AcqRel);
                            if n > 0 {
                                queues[me].lock().unwrap().push(n - 1);
                                queues[me].lock().unwrap().push(n - 1);
                            }
                        },
                    );
                    // Nothing may be left anywhere when a worker returns.
                    assert!(queues.iter().all(|q| q.lock().unwrap().is_empty()));
                    count
                }
            };
            let a = loom::thread::spawn(worker(0));
            let b = worker(1)();
            let total = a.join().unwrap() + b;
            // A root of 3 makes a binary tree of 15 items.
            assert_eq!(total, 15);
            assert_eq!(done.load(Ordering::Acquire), 15);
        });
    }
}
