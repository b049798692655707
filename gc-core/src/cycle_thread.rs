//! The heap's cycle thread (`movegc-cycle`): the cycles that allocations
//! request run on it, one at a time, while the mutator that asked goes on
//! allocating.
//!
//! One thread for the heap's life, parked between cycles, as HotSpot's and
//! ART's collector threads are. A thread spawned per cycle mapped a stack
//! and a signal stack for each, and unmapped them as it exited: an `munmap`
//! takes the address space's lock for writing, and waited behind the page
//! placements of the heap's other threads (binary-trees 21, 130 cycles: 58
//! such `munmap` calls took 136 ms, up to 5.4 ms each, `perf trace`).
//! Started by the first request; between cycles it holds the heap by a weak
//! reference only, so that dropping the heap is not kept waiting, and it
//! exits once the heap is gone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use crate::heap::HeapInner;
use crate::parked::ParkedThread;

/// The heap's side of its cycle thread.
pub(crate) struct CycleThread {
    shared: Arc<Shared>,
    heap: Weak<HeapInner>,
}

/// What the heap and its thread share.
#[derive(Default)]
struct Shared {
    /// A cycle to run: one more than the collections counted when it was
    /// requested (a cycle run meanwhile did its work); 0 for none.
    wanted: AtomicU64,
    thread: ParkedThread,
}

impl CycleThread {
    /// No thread yet: the first [`wake`](Self::wake) starts it.
    pub(crate) fn new(heap: Weak<HeapInner>) -> Self {
        CycleThread {
            shared: Arc::default(),
            heap,
        }
    }

    /// Has the thread run a cycle for a request made when `seen`
    /// collections had run, starting the thread if there is none yet. Fails
    /// if it cannot be started: then no cycle runs for this request.
    pub(crate) fn wake(&self, seen: u64) -> std::io::Result<()> {
        let shared = &*self.shared;
        shared.wanted.store(seen + 1, Ordering::Release);
        let (mine, heap) = (self.shared.clone(), self.heap.clone());
        let woken = shared
            .thread
            .wake_or_spawn("movegc-cycle", move || run(&mine, &heap));
        if woken.is_err() {
            shared.wanted.store(0, Ordering::Relaxed);
        }
        woken
    }

    /// In a forked child: the thread does not exist here, nor does any
    /// request; the next request starts another.
    pub(crate) fn renew_in_child(&self) {
        self.shared.wanted.store(0, Ordering::Relaxed);
        self.shared.thread.forget();
    }
}

impl Drop for CycleThread {
    fn drop(&mut self) {
        self.shared.thread.close();
    }
}

/// The thread: a cycle per request, until the heap is gone.
fn run(shared: &Shared, heap: &Weak<HeapInner>) {
    loop {
        if shared.thread.is_closed() {
            return;
        }
        // Parked with the request not yet seen, the unpark that follows it
        // wakes the thread at once.
        let wanted = shared.wanted.swap(0, Ordering::AcqRel);
        if wanted == 0 {
            std::thread::park();
            continue;
        }
        let Some(heap) = heap.upgrade() else {
            return;
        };
        crate::collect::run_requested(&heap, wanted - 1);
    }
}
