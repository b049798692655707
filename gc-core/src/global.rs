//! Global roots: slots of no thread, which any mutator reads and writes, and
//! the collector rewrites in its pauses ([`Heap::global`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use gc_heap::{ObjRef, SlotKind};

use crate::fork::ForkPhase;
use crate::heap::Heap;
use crate::roots::{RootScanner, RootVisitor};

/// One global slot: a reference or 0.
struct GlobalSlot(AtomicUsize);

/// A heap's roots of no thread: the VM's scanners, and the global slots.
#[derive(Default)]
pub(crate) struct GlobalRoots {
    pub(crate) scanners: Vec<Box<dyn RootScanner>>,
    /// Dropped slots are pruned when a slot is made and at each scan.
    slots: Vec<Weak<GlobalSlot>>,
}

impl GlobalRoots {
    pub(crate) fn new(scanners: Vec<Box<dyn RootScanner>>) -> Self {
        GlobalRoots {
            scanners,
            slots: Vec::new(),
        }
    }

    /// Reports every root of no thread. Only in a pause: every mutator stopped.
    pub(crate) fn scan(&mut self, roots: &mut RootVisitor<'_>) {
        for scanner in &mut self.scanners {
            scanner.scan_roots(roots);
        }
        self.slots.retain(|w| {
            let Some(slot) = w.upgrade() else {
                return false;
            };
            // SAFETY: the slot lives (`slot` holds it) until the visit returns;
            // no mutator runs, so none reads or writes it meanwhile.
            unsafe { roots.visit_raw(slot.0.as_ptr(), SlotKind::Ref) };
            true
        });
    }
}

/// A global root slot, made by [`Heap::global`]: a reference (or null) that
/// any mutator of the heap reads and writes, from any thread, and the
/// collector rewrites when the object moves. The slot is freed when the last
/// clone of its `Global` is dropped.
///
/// Use it from attached threads that run: the collector rewrites it in its
/// pauses, and an address read from it by a thread with no mutator (or in
/// native code) may be stale by the time it is used. [`set`](Self::set)
/// publishes the object to any thread that then reads it with
/// [`get`](Self::get) (a release store and an acquire load), so the reader
/// sees what the writer stored in it before.
#[derive(Clone)]
pub struct Global(Arc<GlobalSlot>);

impl Global {
    /// The reference it holds.
    #[inline]
    pub fn get(&self) -> Option<ObjRef> {
        ObjRef::from_addr(self.0.0.load(Ordering::Acquire))
    }

    /// Stores `value`.
    #[inline]
    pub fn set(&self, value: Option<ObjRef>) {
        self.0.0.store(ObjRef::to_word(value), Ordering::Release);
    }
}

impl std::fmt::Debug for Global {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Global").field(&self.get()).finish()
    }
}

impl Heap {
    /// A global root slot holding `value`, for references that belong to no
    /// thread (a VM's class table, its interned strings' table): see [`Global`].
    /// It takes the heap's lock of roots for a moment, which a pause holds;
    /// the world is stopped then, so this never waits for a pause.
    pub fn global(&self, value: Option<ObjRef>) -> Global {
        let slot = Arc::new(GlobalSlot(AtomicUsize::new(ObjRef::to_word(value))));
        self.0.fork_gate.wait(ForkPhase::Stopped);
        let mut roots = self.0.global_roots.lock();
        roots.slots.retain(|w| w.strong_count() > 0);
        roots.slots.push(Arc::downgrade(&slot));
        Global(slot)
    }
}
