//! Weak handles and ephemerons: references the collector owns for the VM,
//! which do not keep their objects alive, and which it clears when the
//! objects die and rewrites when they move.
//!
//! # Reading one while a cycle marks
//!
//! Marking is snapshot-at-the-beginning: it keeps what was reachable at the
//! initial mark, and what mutators allocate after it. An object reachable
//! only through weak handles at the initial mark is not in that snapshot, and
//! a mutator that reads it from a handle and stores it into the graph would
//! hold an object the cycle then frees. So a read during marking keeps the
//! object alive for the cycle: it is logged in the mutator's write-barrier
//! buffer, as an overwritten reference would be (ART's `Reference.get` slow
//! path, and G1's, do the same). Outside marking a read is a lock and a
//! load. The handles are cleared in the pause where marking ends, before the
//! barrier goes off; a read after that pause finds either null or an object
//! marked live, at its old address until the compaction pause rewrites the
//! handle. So a read never returns a freed or stale address.

use std::sync::Arc;

use gc_heap::ObjRef;

use crate::error::GcError;
use crate::fork::ForkPhase;
use crate::heap::Heap;
use crate::mutator::{HandleScope, Local, Mutator};
use crate::references::Tables;
use crate::satb::{SatbBuffer, SatbQueue};

/// A weak reference: the object it refers to, while something else keeps
/// that object reachable; null once a cycle found it unreachable (and freed
/// it). Made with [`Mutator::weak`] or [`HandleScope::weak`]; dropping it
/// frees its slot. It may be sent to and dropped on any thread.
///
/// Each weak handle costs the pause where marking ends a check of its
/// referent's mark bit, and the compaction pause a rewrite: both pauses
/// grow with the number of live weak handles (the GC log's `references`
/// part says how long they took).
#[derive(Debug)]
pub struct Weak {
    heap: Heap,
    index: usize,
}

/// A soft reference: a weak reference the collector clears only when memory
/// is short, keeping its object alive meanwhile (a cache's entries, Java's
/// `SoftReference`). A cycle clears the soft handles whose objects nothing
/// else keeps when it runs for an allocation that found the heap full, and
/// when it starts with more than three quarters of the heap in use; so
/// every soft handle whose object only soft handles keep is cleared before
/// an allocation fails with [`GcError::OutOfMemory`]. Made with
/// [`Mutator::soft`] or [`HandleScope::soft`]; reads, costs and threads as
/// for [`Weak`].
#[derive(Debug)]
pub struct Soft {
    heap: Heap,
    index: usize,
}

/// An ephemeron: a key and a value, where the value is live only while the
/// key is reachable from something other than the ephemeron (the value
/// referring to its own key does not keep either alive). When a cycle finds
/// the key unreachable, both are cleared. What a weak-keyed hash table's
/// entries need: [`Mutator::ephemeron`] makes one.
#[derive(Debug)]
pub struct Ephemeron {
    heap: Heap,
    index: usize,
}

impl Mutator {
    /// A weak handle to `obj`.
    ///
    /// # Safety
    /// `obj` must be a live object's current address.
    pub unsafe fn weak(&mut self, obj: ObjRef) -> Weak {
        let heap = self.heap().clone();
        let index = heap
            .0
            .references
            .current(&heap.0.spaces)
            .weak
            .insert(obj.addr());
        Weak { heap, index }
    }

    /// A soft handle to `obj`.
    ///
    /// # Safety
    /// `obj` must be a live object's current address.
    pub unsafe fn soft(&mut self, obj: ObjRef) -> Soft {
        let heap = self.heap().clone();
        let index = heap
            .0
            .references
            .current(&heap.0.spaces)
            .soft
            .insert(obj.addr());
        Soft { heap, index }
    }

    /// An ephemeron from `key` to `value`.
    ///
    /// # Safety
    /// `key` and `value` must be live objects' current addresses.
    pub unsafe fn ephemeron(&mut self, key: ObjRef, value: ObjRef) -> Ephemeron {
        let heap = self.heap().clone();
        let index = heap
            .0
            .references
            .current(&heap.0.spaces)
            .ephemerons
            .insert([key.addr(), value.addr()]);
        Ephemeron { heap, index }
    }

    /// A handle's referent, as `slot` reads it from `heap`'s tables (none:
    /// cleared), kept alive for a cycle that is marking.
    fn read_referent(
        &mut self,
        heap: &Heap,
        slot: impl FnOnce(&Tables) -> Option<usize>,
    ) -> Result<Option<ObjRef>, GcError> {
        self.check_heap(heap)?;
        let referent = slot(&heap.0.references.current(&heap.0.spaces)).unwrap_or(0);
        self.keep_alive(referent);
        Ok(ObjRef::from_addr(referent))
    }

    /// Fails unless `heap` is this mutator's heap.
    fn check_heap(&self, heap: &Heap) -> Result<(), GcError> {
        if Arc::ptr_eq(&heap.0, &self.heap().0) {
            Ok(())
        } else {
            Err(GcError::OtherHeap)
        }
    }
}

impl HandleScope<'_> {
    /// A weak handle to the object `local` holds, or `None` if it holds null.
    pub fn weak(&mut self, local: Local<'_>) -> Option<Weak> {
        let obj = self.get(local)?;
        // SAFETY: a handle holds a live object's current address.
        Some(unsafe { self.mutator().weak(obj) })
    }

    /// A soft handle to the object `local` holds, or `None` if it holds null.
    pub fn soft(&mut self, local: Local<'_>) -> Option<Soft> {
        let obj = self.get(local)?;
        // SAFETY: a handle holds a live object's current address.
        Some(unsafe { self.mutator().soft(obj) })
    }
}

impl Weak {
    /// The referent, or `None` if a cycle found it unreachable. During a
    /// cycle's marking the referent is kept alive for that cycle (see the
    /// module's documentation). The address is current until the
    /// mutator's next safepoint, as an allocation's.
    ///
    /// Fails with [`GcError::OtherHeap`] if `m` is not of this handle's heap.
    pub fn get(&self, m: &mut Mutator) -> Result<Option<ObjRef>, GcError> {
        m.read_referent(&self.heap, |t| t.weak.get(self.index))
    }

    /// The heap this handle belongs to.
    pub fn heap(&self) -> &Heap {
        &self.heap
    }
}

impl Drop for Weak {
    fn drop(&mut self) {
        self.heap.0.fork_gate.wait(ForkPhase::Stopped);
        self.heap.0.references.lock().weak.remove(self.index);
    }
}

impl Soft {
    /// The referent, or `None` if a cycle cleared it. During a cycle's
    /// marking the referent is kept alive for that cycle, as
    /// [`Weak::get`]'s.
    ///
    /// Fails with [`GcError::OtherHeap`] if `m` is not of this handle's heap.
    pub fn get(&self, m: &mut Mutator) -> Result<Option<ObjRef>, GcError> {
        m.read_referent(&self.heap, |t| t.soft.get(self.index))
    }
}

impl Drop for Soft {
    fn drop(&mut self) {
        self.heap.0.fork_gate.wait(ForkPhase::Stopped);
        self.heap.0.references.lock().soft.remove(self.index);
    }
}

impl Ephemeron {
    /// The key and the value, or `None` if a cycle found the key
    /// unreachable. During a cycle's marking both are kept alive for that
    /// cycle, as [`Weak::get`]'s referent.
    ///
    /// Fails with [`GcError::OtherHeap`] if `m` is not of this ephemeron's heap.
    pub fn get(&self, m: &mut Mutator) -> Result<Option<(ObjRef, ObjRef)>, GcError> {
        m.check_heap(&self.heap)?;
        let [key, value] = self
            .heap
            .0
            .references
            .current(&self.heap.0.spaces)
            .ephemerons
            .get(self.index)
            .unwrap_or([0, 0]);
        m.keep_alive(key);
        m.keep_alive(value);
        Ok(ObjRef::from_addr(key).zip(ObjRef::from_addr(value)))
    }
}

impl Drop for Ephemeron {
    fn drop(&mut self) {
        self.heap.0.fork_gate.wait(ForkPhase::Stopped);
        self.heap.0.references.lock().ephemerons.remove(self.index);
    }
}

/// A weak read's barrier: while marking (`marking`, as the mutator loaded
/// it while running), logs the referent read, if any, in the mutator's
/// write-barrier `buffer`, so that the final-mark pause marks it.
#[inline]
pub(crate) fn keep_alive(
    marking: bool,
    referent: usize,
    buffer: &mut SatbBuffer,
    queue: &SatbQueue,
) {
    if marking && referent != 0 {
        buffer.log(referent, queue);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::safepoint::{Handshake, MutatorState};
    use crate::sync::{AtomicBool, AtomicUsize, Mutex, Ordering, lock};
    use loom::sync::Arc;
    use std::cell::UnsafeCell;

    struct Shared {
        hs: Handshake,
        me: MutatorState,
        marking: AtomicBool,
        /// The weak handle's slot: object 1, or 0 once cleared.
        weak: Mutex<usize>,
        /// A slot of an object the marker scans at the initial mark.
        field: AtomicUsize,
        queue: SatbQueue,
        buffer: UnsafeCell<SatbBuffer>,
    }

    // SAFETY: `buffer` is touched by the mutator while it runs and by the
    // collector while it is stopped, as in `MutatorShared`.
    unsafe impl Sync for Shared {}
    // SAFETY: as above.
    unsafe impl Send for Shared {}

    /// A mutator reads a weak handle whose object nothing else references
    /// and stores what it read into an object's field, while a cycle turns
    /// marking on in one pause (scanning the field), drains the barrier's
    /// buffers concurrently and in a final pause, then clears the handle
    /// and frees the object unless it was marked. Whatever the
    /// interleaving, the field never holds the freed object (without
    /// `keep_alive` it does).
    #[test]
    fn a_weak_read_during_marking_never_yields_a_freed_object() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder.check(|| {
            let s = Arc::new(Shared {
                hs: Handshake::new(),
                me: MutatorState::new(),
                marking: AtomicBool::new(false),
                weak: Mutex::new(1),
                field: AtomicUsize::new(0),
                queue: SatbQueue::new(),
                buffer: UnsafeCell::new(SatbBuffer::default()),
            });
            s.hs.leave_native(&s.me);
            let mutator = {
                let s = s.clone();
                loom::thread::spawn(move || {
                    s.hs.poll(&s.me);
                    let referent = *lock(&s.weak);
                    let marking = s.marking.load(Ordering::Relaxed);
                    // SAFETY: this thread runs, so it alone touches the buffer.
                    keep_alive(marking, referent, unsafe { &mut *s.buffer.get() }, &s.queue);
                    // The field held null: the write barrier logs nothing.
                    s.field.store(referent, Ordering::Relaxed);
                    s.hs.enter_native(&s.me);
                })
            };
            // Initial mark. The field's object is scanned at once: the
            // snapshot's value is all marking sees of the field (a store
            // later overwrites null, which the write barrier does not log).
            s.hs.stop(std::iter::once(&s.me));
            s.marking.store(true, Ordering::Relaxed);
            let mut marked = vec![s.field.load(Ordering::Relaxed)];
            s.hs.resume();
            marked.extend(s.queue.take().concat());
            // Final mark.
            s.hs.stop(std::iter::once(&s.me));
            // SAFETY: the mutator is stopped or in native code.
            unsafe { &mut *s.buffer.get() }.flush(&s.queue);
            marked.extend(s.queue.take().concat());
            let freed = !marked.contains(&1);
            if freed {
                *lock(&s.weak) = 0;
            }
            s.marking.store(false, Ordering::Relaxed);
            s.hs.resume();
            mutator.join().unwrap();
            assert!(
                !(freed && s.field.load(Ordering::Relaxed) == 1),
                "the field holds object 1, freed by the cycle"
            );
        });
    }
}
