//! Root slots the library owns for a mutator: a growable array
//! ([`RootVec`], an interpreter's value stack or globals) and a single slot
//! ([`RootCell`], a register), which the collector finds and rewrites
//! itself, so a VM needs no [`RootScanner`](crate::RootScanner) of its own
//! for them.
//!
//! The slots are shared between the mutator's thread, which reads and writes
//! them while it runs, and the collector, which rewrites them only while that
//! thread is stopped at a safepoint or in native code. The handles are
//! neither `Send` nor `Sync`, so only the thread that made them touches
//! them, and each access is a short method that reaches no safepoint and
//! runs no VM code: no borrow of the slots lives across the collector's turn.

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::sync::{Arc, Weak};

use gc_heap::ObjRef;

use crate::mutator::Mutator;
use crate::roots::RootVisitor;

/// A value a root slot holds, which knows whether it is a reference.
/// `Default` is the value an empty or missing slot reads as.
pub trait Root: Copy + Default + Send + 'static {
    /// Reports the slot to the collector, if it may hold a reference: with
    /// [`RootVisitor::visit`] or [`RootVisitor::visit_tagged`], which may
    /// rewrite it.
    fn visit(&mut self, roots: &mut RootVisitor<'_>);
}

impl Root for Option<ObjRef> {
    fn visit(&mut self, roots: &mut RootVisitor<'_>) {
        roots.visit(self);
    }
}

/// A tagged VM value: a reference when the heap's tag scheme says so.
impl Root for usize {
    fn visit(&mut self, roots: &mut RootVisitor<'_>) {
        roots.visit_tagged(self);
    }
}

/// The slots, shared by the handles and (weakly) by the mutator's list: a
/// `Vec` of them, or [`One`].
struct Slots<S>(UnsafeCell<S>);

/// A single slot, without a `Vec`'s indirection: a register is read often.
struct One<T>(T);

// SAFETY: the mutator's thread touches the slots only while it runs (the
// handles are not `Send`), and the collector only while that thread is
// stopped; the handshake orders the two. The values are `Send`.
unsafe impl<S: Send> Sync for Slots<S> {}
// SAFETY: as above.
unsafe impl<S: Send> Send for Slots<S> {}

/// Slot storage: reports every slot it holds.
trait Holds: Send + 'static {
    fn visit_all(&mut self, roots: &mut RootVisitor<'_>);
}

impl<T: Root> Holds for Vec<T> {
    fn visit_all(&mut self, roots: &mut RootVisitor<'_>) {
        for slot in self {
            slot.visit(roots);
        }
    }
}

impl<T: Root> Holds for One<T> {
    fn visit_all(&mut self, roots: &mut RootVisitor<'_>) {
        self.0.visit(roots);
    }
}

/// The collector's view of a mutator's slots, whatever their value type.
pub(crate) trait ScanSlots: Send + Sync {
    /// Reports every slot.
    ///
    /// # Safety
    /// Only while the owning mutator is stopped at a safepoint or in native code.
    unsafe fn scan(&self, roots: &mut RootVisitor<'_>);
}

impl<S: Holds> ScanSlots for Slots<S> {
    unsafe fn scan(&self, roots: &mut RootVisitor<'_>) {
        // SAFETY: as the caller guarantees, the owner is not using them.
        unsafe { &mut *self.0.get() }.visit_all(roots);
    }
}

impl<S> Slots<S> {
    #[inline(always)]
    #[expect(
        clippy::mut_from_ref,
        reason = "the cell is the point: see the module's comment"
    )]
    fn get(&self) -> &mut S {
        // SAFETY: only the owning thread calls this (the handles are not
        // `Send`), from methods that end the borrow before returning and
        // reach no safepoint, and the collector reads the slots only while
        // that thread is stopped.
        unsafe { &mut *self.0.get() }
    }
}

impl Mutator {
    /// Registers new slots with this mutator's roots.
    fn own_slots<S: Holds>(&mut self, initial: S) -> Arc<Slots<S>> {
        let slots = Arc::new(Slots(UnsafeCell::new(initial)));
        let weak: Weak<dyn ScanSlots> = Arc::downgrade(&slots) as Weak<Slots<S>>;
        // SAFETY: this thread is running, so it alone touches its list.
        let list = unsafe { &mut *self.shared.owned_roots.get() };
        list.retain(|w| w.strong_count() > 0);
        list.push(weak);
        slots
    }

    /// A growable array of root slots, empty, that the collector scans and
    /// rewrites with this mutator's roots while any clone of it lives.
    pub fn root_vec<T: Root>(&mut self) -> RootVec<T> {
        RootVec {
            slots: self.own_slots(Vec::new()),
            _not_send: PhantomData,
        }
    }

    /// A single root slot holding `value`, scanned as [`root_vec`](Self::root_vec)'s.
    pub fn root_cell<T: Root>(&mut self, value: T) -> RootCell<T> {
        RootCell {
            slots: self.own_slots(One(value)),
            _not_send: PhantomData,
        }
    }
}

/// A growable array of root slots, made by [`Mutator::root_vec`]: what an
/// interpreter's value stack, its globals or a native function's temporaries
/// need. The collector reports and rewrites every slot in each pause, for as
/// long as the mutator that made it is attached and a clone of it lives; the
/// last clone's drop frees it. Read a slot again after any call that may
/// collect, as a [`Local`](crate::Local).
///
/// Only the mutator's thread uses it (it is not `Send`), and only while the
/// mutator runs: not in native code, where the collector may be rewriting it.
pub struct RootVec<T: Root> {
    slots: Arc<Slots<Vec<T>>>,
    _not_send: PhantomData<*mut ()>,
}

impl<T: Root> Clone for RootVec<T> {
    /// Another handle on the same slots.
    fn clone(&self) -> Self {
        RootVec {
            slots: self.slots.clone(),
            _not_send: PhantomData,
        }
    }
}

impl<T: Root> RootVec<T> {
    /// Slots in use.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.slots.get().len()
    }

    /// Whether no slot is in use.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.slots.get().is_empty()
    }

    /// Appends a slot holding `value`.
    #[inline(always)]
    pub fn push(&self, value: T) {
        self.slots.get().push(value);
    }

    /// Removes the last slot and returns its value; an empty array gives `T::default()`.
    #[inline(always)]
    pub fn pop(&self) -> T {
        self.slots.get().pop().unwrap_or_default()
    }

    /// The value of slot `i`, or `T::default()` past the end.
    #[inline(always)]
    pub fn get(&self, i: usize) -> T {
        self.slots.get().get(i).copied().unwrap_or_default()
    }

    /// The value `k` slots below the last (0: the last), or `T::default()`
    /// below the first.
    #[inline(always)]
    pub fn top(&self, k: usize) -> T {
        let v = self.slots.get();
        v.len()
            .checked_sub(k + 1)
            .and_then(|i| v.get(i))
            .copied()
            .unwrap_or_default()
    }

    /// Stores `value` in slot `i`; past the end, nothing happens.
    #[inline(always)]
    pub fn set(&self, i: usize, value: T) {
        if let Some(slot) = self.slots.get().get_mut(i) {
            *slot = value;
        }
    }

    /// Keeps the first `len` slots.
    #[inline(always)]
    pub fn truncate(&self, len: usize) {
        self.slots.get().truncate(len);
    }

    /// Makes it `len` slots long, new slots holding `T::default()`.
    pub fn resize(&self, len: usize) {
        self.slots.get().resize_with(len, T::default);
    }

    /// Appends slots holding `values`.
    pub fn extend_from_slice(&self, values: &[T]) {
        self.slots.get().extend(values.iter().copied());
    }

    /// Makes room for `more` slots without reallocating.
    pub fn reserve(&self, more: usize) {
        self.slots.get().reserve(more);
    }

    /// Removes every slot, and returns memory beyond `keep` slots' worth (a
    /// deep recursion's) to the allocator.
    pub fn clear(&self, keep: usize) {
        let v = self.slots.get();
        v.clear();
        v.shrink_to(keep);
    }
}

/// A single root slot, made by [`Mutator::root_cell`]: a VM register. As a
/// [`RootVec`] of one slot, with a `Cell`'s methods.
pub struct RootCell<T: Root> {
    slots: Arc<Slots<One<T>>>,
    _not_send: PhantomData<*mut ()>,
}

impl<T: Root> RootCell<T> {
    /// The value.
    #[inline(always)]
    pub fn get(&self) -> T {
        self.slots.get().0
    }

    /// Stores `value`.
    #[inline(always)]
    pub fn set(&self, value: T) {
        self.slots.get().0 = value;
    }
}
