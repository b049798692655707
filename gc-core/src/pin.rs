//! Pinning: objects that native code holds by address across safepoints.
//!
//! A pinned object is a root, and no cycle moves it. The compactor slides
//! objects down in address order, so an object stays put only if nothing
//! below it is reclaimed: before planning, the dead words between the base
//! of the cycle's compaction and the highest pinned object become marked
//! fillers ([`Spaces::fill_dead`](gc_heap::Spaces::fill_dead)). Objects above
//! it still slide down onto its end; the garbage below it is reclaimed by the
//! first full cycle after the pin is dropped. Meanwhile an allocation that
//! finds the heap full can fail for want of it, with
//! [`OutOfMemory`](crate::GcError::OutOfMemory). This is coarser than .NET's
//! pinned plugs, and of the same kind as G1's pinned regions: pins are meant
//! to be short (a system call's buffer, a critical section of native code),
//! and objects pinned for long are better allocated in the large-object
//! space, where a pinned object holds nothing else back (an unpinned large
//! object may move into a hole below it, by relinking its pages; a pinned
//! one never moves).

use std::collections::BTreeMap;
use std::sync::Arc;

use gc_heap::ObjRef;

use crate::fork::ForkPhase;
use crate::heap::HeapInner;
use crate::sync::ForkSafeMutex as Mutex;

/// A pinned object: until this is dropped, `object()` is its address, and
/// it stays reachable. From [`Mutator::pin`](crate::Mutator::pin).
#[must_use = "the object is unpinned when this is dropped"]
pub struct Pinned {
    heap: Arc<HeapInner>,
    obj: ObjRef,
}

// SAFETY: a `Pinned` holds an address, not a borrow; what makes the address
// usable (the pin) is shared state behind the heap's lock, and unpinning
// from another thread is as sound as from this one.
unsafe impl Send for Pinned {}
// SAFETY: as above; `&Pinned` only reads the address.
unsafe impl Sync for Pinned {}

impl Pinned {
    /// The object's address, the same until this is dropped.
    pub fn object(&self) -> ObjRef {
        self.obj
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        // Any thread may unpin: none while a fork is prepared (fork.rs).
        self.heap.fork_gate.wait(ForkPhase::Stopped);
        self.heap.pins.unpin(self.obj.addr());
    }
}

impl std::fmt::Debug for Pinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pinned({:#x})", self.obj.addr())
    }
}

impl Pinned {
    pub(crate) fn new(heap: Arc<HeapInner>, obj: ObjRef) -> Self {
        heap.pins.pin(obj.addr());
        Pinned { heap, obj }
    }
}

/// The pinned objects, with a count per object (pins nest), and a version
/// that changes with every pin, so that a cycle that planned concurrently
/// sees in its pause whether a pin came since. A std mutex (`ForkSafeMutex`):
/// a thread unpinning at a fork leaves it held in no child.
#[derive(Default)]
pub(crate) struct Pins {
    table: Mutex<Table>,
}

#[derive(Default)]
pub(crate) struct Table {
    counts: BTreeMap<usize, usize>,
    version: u64,
}

impl Pins {
    fn pin(&self, addr: usize) {
        let mut t = self.table.lock();
        *t.counts.entry(addr).or_insert(0) += 1;
        t.version += 1;
    }

    fn unpin(&self, addr: usize) {
        let mut t = self.table.lock();
        if let Some(n) = t.counts.get_mut(&addr) {
            *n -= 1;
            if *n == 0 {
                t.counts.remove(&addr);
            }
        }
    }

    /// The pinned objects' addresses, in order, and the version.
    pub(crate) fn snapshot(&self) -> (Vec<usize>, u64) {
        let t = self.table.lock();
        (t.counts.keys().copied().collect(), t.version)
    }

    /// The version: it changes whenever an object is pinned.
    pub(crate) fn version(&self) -> u64 {
        self.table.lock().version
    }

    /// Holds off pinning and unpinning, for a fork (fork.rs).
    pub(crate) fn lock_for_fork(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock()
    }
}
