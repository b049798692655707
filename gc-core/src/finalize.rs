//! Finalization and cleaners: what a VM learns of its objects' deaths.
//!
//! - **Finalization** (Java's finalizers, Ruby's `obj_free`, guardians): an
//!   object registered with [`Mutator::register_finalizer`] that a cycle
//!   finds unreachable is not freed. The cycle marks it again, with
//!   everything it references (resurrection), and queues it; the VM takes
//!   the queue with [`Mutator::take_finalizable`] and does what it likes
//!   with the objects, storing them back into the graph included. The queue
//!   is a root until taken. An object is queued once per registration.
//! - **Cleaners** (for native resources): [`Mutator::register_cleaner`]
//!   attaches a token to an object; when a cycle finds the object
//!   unreachable (and no finalization resurrected it), the object is freed
//!   and the token queued, for [`Heap::take_cleaned`]. Nothing of the object
//!   is kept: cheaper than finalization.
//!
//! Weak handles and ephemerons are cleared before finalization resurrects
//! (as Java's weak references): a weak handle to an object that became
//! finalizable is null even if the finalizer stores the object back.

use gc_heap::ObjRef;

use crate::fork::ForkPhase;
use crate::heap::Heap;
use crate::mutator::Mutator;

impl Mutator {
    /// Registers `obj` for finalization: the first cycle that finds it
    /// unreachable keeps it alive and queues it for
    /// [`take_finalizable`](Self::take_finalizable). Registering an object
    /// twice queues it twice.
    ///
    /// # Safety
    /// `obj` must be a live object's current address.
    pub unsafe fn register_finalizer(&mut self, obj: ObjRef) {
        let heap = &self.heap().0;
        heap.references
            .current(&heap.spaces)
            .finalizers
            .push(obj.addr());
    }

    /// Takes the objects that cycles found unreachable since the last call,
    /// among those registered for finalization. Their addresses are current
    /// until this mutator's next safepoint, as an allocation's: store them
    /// in handles or roots before then, or they die at the next cycle (no
    /// longer registered).
    pub fn take_finalizable(&mut self) -> Vec<ObjRef> {
        let taken = std::mem::take(
            &mut self
                .heap()
                .0
                .references
                .current(&self.heap().0.spaces)
                .finalizable,
        );
        taken.into_iter().filter_map(ObjRef::from_addr).collect()
    }

    /// Registers a cleaner: when a cycle finds `obj` unreachable, `token`
    /// goes to [`Heap::take_cleaned`]'s queue. The object itself is freed.
    ///
    /// # Safety
    /// `obj` must be a live object's current address.
    pub unsafe fn register_cleaner(&mut self, obj: ObjRef, token: u64) {
        let heap = &self.heap().0;
        heap.references
            .current(&heap.spaces)
            .cleaners
            .push((obj.addr(), token));
    }
}

impl Heap {
    /// Takes the tokens of the cleaners whose objects cycles found
    /// unreachable since the last call. Any thread may call it.
    pub fn take_cleaned(&self) -> Vec<u64> {
        self.0.fork_gate.wait(ForkPhase::Stopped);
        std::mem::take(&mut self.0.references.lock().cleaned)
    }
}
