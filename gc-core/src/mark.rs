//! Marking: tracing every object reachable from the roots, in parallel.
//!
//! Each GC thread works from its own deque and steals from the others when it
//! runs dry (crossbeam's work-stealing deques). A thread with nothing to do
//! leaves the `active` count; marking ends when the count reaches zero, which
//! means every deque is empty: a thread only goes idle with an empty deque,
//! and only active threads push.

use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam::deque::{Injector, Steal, Stealer, Worker};
use gc_heap::{Header, Spaces, TypeTable};
use parking_lot::Mutex;

/// Marks `addr` if it is a reference into an allocated part of the heap that
/// is not marked yet; returns whether it must be scanned.
#[inline]
pub(crate) fn mark_new(spaces: &Spaces, types: &TypeTable, addr: usize) -> bool {
    if !(spaces.in_moving(addr) || spaces.in_large(addr)) {
        return false;
    }
    // SAFETY: `addr` lies in an allocated part of the heap and, as a reference,
    // is an object's start (the verifier checks this when enabled).
    let header = unsafe { (addr as *const u64).read() };
    match types.size_of(Header(header)) {
        Some(size) => spaces.mark(addr, size),
        None => false,
    }
}

/// Visits the references of the object at `obj`, marking each; calls `push`
/// for those newly marked.
#[inline]
fn scan(spaces: &Spaces, types: &TypeTable, obj: usize, mut push: impl FnMut(usize)) {
    // SAFETY: `obj` is a marked object's start.
    let header = Header(unsafe { (obj as *const u64).read() });
    types.for_each_slot(header, |offset, kind| {
        // SAFETY: the slot lies inside the object.
        let value = unsafe { ((obj + offset) as *const usize).read() };
        if types.is_ref(kind, value) && mark_new(spaces, types, value) {
            push(value);
        }
    });
}

/// Traces from `grey` (roots already marked) until every reachable object is
/// marked; returns how many objects were scanned.
pub(crate) fn trace(spaces: &Spaces, pool: Option<&rayon::ThreadPool>, grey: Vec<usize>) -> usize {
    let types = spaces.types();
    let Some(pool) = pool else {
        let mut stack = grey;
        let mut scanned = 0;
        while let Some(obj) = stack.pop() {
            scanned += 1;
            scan(spaces, types, obj, |c| stack.push(c));
        }
        return scanned;
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
            active.fetch_sub(1, Ordering::SeqCst);
            return;
        };
        let mut count = 0;
        loop {
            if let Some(obj) = local.pop().or_else(|| steal(&injector, &stealers, &local)) {
                count += 1;
                scan(spaces, types, obj, |c| local.push(c));
                continue;
            }
            active.fetch_sub(1, Ordering::SeqCst);
            loop {
                if active.load(Ordering::SeqCst) == 0 {
                    scanned.fetch_add(count, Ordering::Relaxed);
                    return;
                }
                if !injector.is_empty() || stealers.iter().any(|s| !s.is_empty()) {
                    active.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                std::hint::spin_loop();
            }
        }
    });
    scanned.into_inner()
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
