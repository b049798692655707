//! Root slots the library holds for a mutator: growable arrays ([`RootVec`],
//! an interpreter's value stack or globals) and single slots ([`RootCell`],
//! a register), alone or gathered in a VM's own struct (a [`RootSet`]),
//! which the collector finds and rewrites itself, through a [`Rooted`]
//! handle, so a VM needs no [`RootScanner`](crate::RootScanner) and no
//! `unsafe` for them.
//!
//! The slots are shared between the mutator's thread, which reads and writes
//! them while it runs, and the collector, which rewrites them only while that
//! thread is stopped at a safepoint or in native code. The containers are not
//! `Sync` and the handles not `Send`, so only the thread that made them
//! touches them, and each access is a short method that reaches no safepoint
//! and runs no VM code: no borrow of the slots lives across the collector's
//! turn. One allocation holds a whole set: a slot is one pointer away from
//! the handle, as in a VM's own struct.

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

/// Root containers the collector scans: a [`RootVec`], a [`RootCell`], or a
/// VM's struct of them (its stack, registers and globals in one place, one
/// pointer away), handed to [`Mutator::root_set`].
pub trait RootSet: Send + 'static {
    /// Reports every slot: calls `visit` on each container it holds. The
    /// collector calls it in its pauses, on its own thread, while the
    /// mutator's thread is stopped.
    fn visit(&self, roots: &mut RootVisitor<'_>);
}

/// A set of root containers that a mutator's roots include, made by
/// [`Mutator::root_set`] (or [`root_vec`](Mutator::root_vec),
/// [`root_cell`](Mutator::root_cell)): it derefs to the set. The collector
/// reports and rewrites its slots in each pause, for as long as the mutator
/// that made it is attached and a clone of it lives; the last clone's drop
/// frees it. Read a slot again after any call that may collect, as a
/// [`Local`](crate::Local).
///
/// Only the mutator's thread uses it (it is not `Send`), and only while the
/// mutator runs: not in native code, where the collector may be rewriting it.
pub struct Rooted<R: RootSet> {
    set: Arc<Shared<R>>,
    _not_send: PhantomData<*mut ()>,
}

/// A set as the collector's thread and the mutator's share it.
struct Shared<R>(R);

// SAFETY: the mutator's thread reaches the set only through `Rooted`, which
// is not `Send`, and the collector only while that thread is stopped (at a
// safepoint, or in native code, where it must not use it); the handshake
// orders the two. The containers' methods end every borrow of their slots
// before returning and reach no safepoint, so none spans the collector's turn.
unsafe impl<R: RootSet> Sync for Shared<R> {}

/// The collector's view of a mutator's root sets, whatever their type.
pub(crate) trait ScanSlots: Send + Sync {
    /// Reports every slot. Only while the owning mutator is stopped.
    fn scan(&self, roots: &mut RootVisitor<'_>);
}

impl<R: RootSet> ScanSlots for Shared<R> {
    fn scan(&self, roots: &mut RootVisitor<'_>) {
        self.0.visit(roots);
    }
}

impl<R: RootSet> Clone for Rooted<R> {
    /// Another handle on the same set.
    fn clone(&self) -> Self {
        Rooted {
            set: self.set.clone(),
            _not_send: PhantomData,
        }
    }
}

impl<R: RootSet> std::ops::Deref for Rooted<R> {
    type Target = R;

    #[inline(always)]
    fn deref(&self) -> &R {
        &self.set.0
    }
}

impl Mutator {
    /// Makes `set` part of this mutator's roots, while a clone of the result lives.
    pub fn root_set<R: RootSet>(&mut self, set: R) -> Rooted<R> {
        let set = Arc::new(Shared(set));
        let weak: Weak<dyn ScanSlots> = Arc::downgrade(&set) as Weak<Shared<R>>;
        // SAFETY: this thread is running, so it alone touches its list.
        let list = unsafe { &mut *self.shared.owned_roots.get() };
        list.retain(|w| w.strong_count() > 0);
        list.push(weak);
        Rooted {
            set,
            _not_send: PhantomData,
        }
    }

    /// A growable array of root slots, empty, in this mutator's roots: a
    /// [`root_set`](Self::root_set) of one [`RootVec`].
    pub fn root_vec<T: Root>(&mut self) -> Rooted<RootVec<T>> {
        self.root_set(RootVec::new())
    }

    /// A single root slot holding `value`, in this mutator's roots.
    pub fn root_cell<T: Root>(&mut self, value: T) -> Rooted<RootCell<T>> {
        self.root_set(RootCell::new(value))
    }
}

/// A growable array of root slots: what an interpreter's value stack, its
/// globals or a native function's temporaries need. A root while it is in a
/// [`Rooted`] set (alone, from [`Mutator::root_vec`], or in a VM's
/// [`RootSet`]); elsewhere, an array like any other.
pub struct RootVec<T: Root>(UnsafeCell<Vec<T>>);

impl<T: Root> Default for RootVec<T> {
    fn default() -> Self {
        RootVec::new()
    }
}

impl<T: Root> RootSet for RootVec<T> {
    /// Visits a copy of each slot and stores it back: no borrow of the array
    /// is live while a `Root::visit` runs.
    fn visit(&self, roots: &mut RootVisitor<'_>) {
        let mut i = 0;
        while let Some(mut value) = self.vec().get(i).copied() {
            value.visit(roots);
            self.set(i, value);
            i += 1;
        }
    }
}

impl<T: Root> RootVec<T> {
    /// An empty array.
    pub const fn new() -> Self {
        RootVec(UnsafeCell::new(Vec::new()))
    }

    #[inline(always)]
    #[expect(
        clippy::mut_from_ref,
        reason = "the cell is the point: see the module's comment"
    )]
    fn vec(&self) -> &mut Vec<T> {
        // SAFETY: the array is not `Sync`: only its thread reaches it, but
        // for the collector's visit while that thread is stopped (`Shared`).
        // Each method ends this borrow before it returns, reaches no
        // safepoint and runs no VM code (values are `Copy`: no clone or drop).
        unsafe { &mut *self.0.get() }
    }

    /// Slots in use.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.vec().len()
    }

    /// Whether no slot is in use.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.vec().is_empty()
    }

    /// Appends a slot holding `value`.
    #[inline(always)]
    pub fn push(&self, value: T) {
        self.vec().push(value);
    }

    /// Removes the last slot and returns its value; an empty array gives `T::default()`.
    #[inline(always)]
    pub fn pop(&self) -> T {
        self.vec().pop().unwrap_or_default()
    }

    /// The value of slot `i`, or `T::default()` past the end.
    #[inline(always)]
    pub fn get(&self, i: usize) -> T {
        self.vec().get(i).copied().unwrap_or_default()
    }

    /// The value `k` slots below the last (0: the last), or `T::default()`
    /// below the first.
    #[inline(always)]
    pub fn top(&self, k: usize) -> T {
        let v = self.vec();
        v.len()
            .checked_sub(k + 1)
            .and_then(|i| v.get(i))
            .copied()
            .unwrap_or_default()
    }

    /// Stores `value` in slot `i`; past the end, nothing happens.
    #[inline(always)]
    pub fn set(&self, i: usize, value: T) {
        if let Some(slot) = self.vec().get_mut(i) {
            *slot = value;
        }
    }

    /// Keeps the first `len` slots.
    #[inline(always)]
    pub fn truncate(&self, len: usize) {
        self.vec().truncate(len);
    }

    /// Makes it `len` slots long, new slots holding `T::default()`.
    pub fn resize(&self, len: usize) {
        self.vec().resize_with(len, T::default);
    }

    /// Appends slots holding `values`.
    pub fn extend_from_slice(&self, values: &[T]) {
        self.vec().extend(values.iter().copied());
    }

    /// Makes room for `more` slots without reallocating.
    pub fn reserve(&self, more: usize) {
        self.vec().reserve(more);
    }

    /// Removes every slot, and returns memory beyond `keep` slots' worth (a
    /// deep recursion's) to the allocator.
    pub fn clear(&self, keep: usize) {
        let v = self.vec();
        v.clear();
        v.shrink_to(keep);
    }
}

/// A single root slot: a VM register. As a [`RootVec`] of one slot, with a
/// `Cell`'s methods.
pub struct RootCell<T: Root>(UnsafeCell<T>);

impl<T: Root> Default for RootCell<T> {
    fn default() -> Self {
        RootCell::new(T::default())
    }
}

impl<T: Root> RootSet for RootCell<T> {
    /// Visits a copy of the slot and stores it back, as [`RootVec`]'s.
    fn visit(&self, roots: &mut RootVisitor<'_>) {
        let mut value = self.get();
        value.visit(roots);
        self.set(value);
    }
}

impl<T: Root> RootCell<T> {
    /// A slot holding `value`.
    pub const fn new(value: T) -> Self {
        RootCell(UnsafeCell::new(value))
    }

    /// The value.
    #[inline(always)]
    pub fn get(&self) -> T {
        // SAFETY: as `RootVec::vec`.
        unsafe { *self.0.get() }
    }

    /// Stores `value`.
    #[inline(always)]
    pub fn set(&self, value: T) {
        // SAFETY: as `RootVec::vec`.
        unsafe { *self.0.get() = value };
    }
}
