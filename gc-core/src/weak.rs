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
use crate::heap::Heap;
use crate::mutator::{HandleScope, Local, Mutator};

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
        let index = heap.0.references.lock().weak.insert(obj.addr());
        Weak { heap, index }
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
            .lock()
            .ephemerons
            .insert([key.addr(), value.addr()]);
        Ephemeron { heap, index }
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
}

impl Weak {
    /// The referent, or `None` if a cycle found it unreachable. During a
    /// cycle's marking the referent is kept alive for that cycle (see the
    /// module's documentation). The address is current until the
    /// mutator's next safepoint, as an allocation's.
    ///
    /// Fails with [`GcError::OtherHeap`] if `m` is not of this handle's heap.
    pub fn get(&self, m: &mut Mutator) -> Result<Option<ObjRef>, GcError> {
        m.check_heap(&self.heap)?;
        let referent = self
            .heap
            .0
            .references
            .lock()
            .weak
            .get(self.index)
            .copied()
            .unwrap_or(0);
        m.keep_alive(referent);
        Ok(ObjRef::from_addr(referent))
    }

    /// The heap this handle belongs to.
    pub fn heap(&self) -> &Heap {
        &self.heap
    }
}

impl Drop for Weak {
    fn drop(&mut self) {
        self.heap.0.references.lock().weak.remove(self.index);
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
            .lock()
            .ephemerons
            .get(self.index)
            .copied()
            .unwrap_or([0, 0]);
        m.keep_alive(key);
        m.keep_alive(value);
        Ok(ObjRef::from_addr(key).zip(ObjRef::from_addr(value)))
    }
}

impl Drop for Ephemeron {
    fn drop(&mut self) {
        self.heap.0.references.lock().ephemerons.remove(self.index);
    }
}
