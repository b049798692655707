//! The interpreter's roots: every place outside the heap that holds a Java
//! reference, reported to the collector by one [`RootScanner`].
//!
//! They are shared between the interpreter, which reads and writes them as
//! it runs, and the collector, which rewrites them while the interpreter's
//! thread is stopped at a safepoint. They live in cells behind an `Arc` so
//! that neither side holds a Rust reference to them across the other's turn:
//! the interpreter borrows a root only inside one of the short methods below,
//! none of which reaches a safepoint.

use std::cell::UnsafeCell;
use std::sync::Arc;

use gc_core::{RootScanner, RootVisitor};

/// One interpreter slot: a local variable, an operand, a static field. It
/// knows whether it holds a reference, so the collector needs no stack maps.
/// A long or double fills one slot's bits and leaves the next a filler, as
/// the JVM's two-slot convention wants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) bits: u64,
    pub(crate) is_ref: bool,
}

impl Slot {
    /// Null, or an empty slot.
    pub(crate) const NULL: Slot = Slot::reference(0);

    #[inline(always)]
    pub(crate) const fn reference(addr: usize) -> Slot {
        Slot {
            bits: addr as u64,
            is_ref: true,
        }
    }

    #[inline(always)]
    pub(crate) const fn int(v: i32) -> Slot {
        Slot {
            bits: v as i64 as u64,
            is_ref: false,
        }
    }

    #[inline(always)]
    pub(crate) const fn long(v: i64) -> Slot {
        Slot {
            bits: v as u64,
            is_ref: false,
        }
    }

    #[inline(always)]
    pub(crate) fn float(v: f32) -> Slot {
        Slot {
            bits: u64::from(v.to_bits()),
            is_ref: false,
        }
    }

    #[inline(always)]
    pub(crate) fn double(v: f64) -> Slot {
        Slot {
            bits: v.to_bits(),
            is_ref: false,
        }
    }

    /// A raw word of a field, of the given kind.
    #[inline(always)]
    pub(crate) const fn word(bits: u64, is_ref: bool) -> Slot {
        Slot { bits, is_ref }
    }

    #[inline(always)]
    pub(crate) const fn as_int(self) -> i32 {
        self.bits as i32
    }

    #[inline(always)]
    pub(crate) const fn as_long(self) -> i64 {
        self.bits as i64
    }

    #[inline(always)]
    pub(crate) fn as_float(self) -> f32 {
        f32::from_bits(self.bits as u32)
    }

    #[inline(always)]
    pub(crate) fn as_double(self) -> f64 {
        f64::from_bits(self.bits)
    }

    /// The address a reference slot holds (0 for null).
    #[inline(always)]
    pub(crate) const fn addr(self) -> usize {
        self.bits as usize
    }
}

/// A growable array of slots: the stack, the statics, the constants.
#[derive(Default)]
pub(crate) struct SlotVec(UnsafeCell<Vec<Slot>>);

impl SlotVec {
    #[inline(always)]
    #[expect(
        clippy::mut_from_ref,
        reason = "the cell is the point: see the module's comment"
    )]
    pub(crate) fn vec(&self) -> &mut Vec<Slot> {
        // SAFETY: the borrow ends inside each caller's short use, none of
        // which reaches a safepoint, and only this thread runs while it is
        // live (the collector scans only while this thread is stopped).
        unsafe { &mut *self.0.get() }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.vec().len()
    }

    #[inline(always)]
    pub(crate) fn push(&self, s: Slot) {
        self.vec().push(s);
    }

    /// Removes and returns the last slot; an empty stack gives null. (A
    /// frame whose code pops more than it pushed reads its caller's slots:
    /// wrong, but safe, since a slot's reference bit comes with it.)
    #[inline(always)]
    pub(crate) fn pop(&self) -> Slot {
        self.vec().pop().unwrap_or_default()
    }

    /// The slot at `i`, or null past the end.
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> Slot {
        self.vec().get(i).copied().unwrap_or_default()
    }

    /// The slot `k` below the top (0: the top), or null below the bottom.
    #[inline(always)]
    pub(crate) fn top(&self, k: usize) -> Slot {
        let v = self.vec();
        v.len()
            .checked_sub(k + 1)
            .and_then(|i| v.get(i))
            .copied()
            .unwrap_or_default()
    }

    #[inline(always)]
    pub(crate) fn set(&self, i: usize, s: Slot) {
        if let Some(slot) = self.vec().get_mut(i) {
            *slot = s;
        }
    }

    #[inline(always)]
    pub(crate) fn truncate(&self, len: usize) {
        self.vec().truncate(len);
    }

    #[inline(always)]
    pub(crate) fn resize(&self, len: usize) {
        self.vec().resize(len, Slot::default());
    }

    fn visit(&self, roots: &mut RootVisitor<'_>) {
        for s in self.vec().iter_mut().filter(|s| s.is_ref && s.bits != 0) {
            let mut word = s.bits as usize;
            roots.visit_tagged(&mut word);
            s.bits = word as u64;
        }
    }
}

/// Every root of one JVM.
#[derive(Default)]
pub(crate) struct Roots {
    /// Frames' locals and operands, one frame above the other.
    pub(crate) stack: SlotVec,
    /// Static fields, by the index the linker gave each.
    pub(crate) statics: SlotVec,
    /// String literals, by the index the decoder gave each, and the
    /// preallocated `OutOfMemoryError`.
    pub(crate) constants: SlotVec,
    /// References a native method keeps across an allocation, and the
    /// exception being thrown.
    pub(crate) scratch: SlotVec,
}

// SAFETY: the interpreter's thread touches the roots only while it runs, and
// the collector only while that thread is stopped at a safepoint; the
// handshake between them orders the two.
unsafe impl Sync for Roots {}
// SAFETY: as above.
unsafe impl Send for Roots {}

/// Reports a JVM's roots to the collector.
pub(crate) struct Scanner(pub(crate) Arc<Roots>);

impl RootScanner for Scanner {
    fn scan_roots(&mut self, roots: &mut RootVisitor<'_>) {
        let r = &self.0;
        for v in [&r.stack, &r.statics, &r.constants, &r.scratch] {
            v.visit(roots);
        }
    }
}
