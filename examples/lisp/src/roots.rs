//! The interpreter's roots: every place outside the heap that holds a
//! [`Value`], reported to the collector by one [`RootScanner`].
//!
//! The roots are shared between the interpreter, which reads and writes them
//! while it runs, and the collector, which rewrites them while the
//! interpreter's thread is stopped at a safepoint. They live in cells behind an
//! `Arc` so that neither side holds a Rust reference to them across the other's
//! turn: the interpreter only borrows a root inside one of the short methods
//! below, none of which can reach a safepoint.

use std::cell::{Cell, UnsafeCell};
use std::sync::Arc;

use gc_core::{RootScanner, RootVisitor};

use crate::value::Value;

/// A growable array of roots: the value stack, the globals, the symbols.
#[derive(Default)]
pub(crate) struct RootVec(UnsafeCell<Vec<Value>>);

impl RootVec {
    #[inline(always)]
    #[expect(
        clippy::mut_from_ref,
        reason = "the cell is the point: see the module's comment"
    )]
    fn vec(&self) -> &mut Vec<Value> {
        // SAFETY: the borrow ends inside each method below, none of which
        // reaches a safepoint, and only this thread runs while it is live
        // (the collector scans only while this thread is stopped).
        unsafe { &mut *self.0.get() }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.vec().len()
    }

    #[inline(always)]
    pub(crate) fn push(&self, v: Value) {
        self.vec().push(v);
    }

    /// Removes and returns the last value (unassigned if there is none,
    /// which a well-formed machine never asks for).
    #[inline(always)]
    pub(crate) fn pop(&self) -> Value {
        self.vec().pop().unwrap_or(Value::UNASSIGNED)
    }

    /// The value at `i`; the caller knows it is in bounds.
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> Value {
        self.vec()[i]
    }

    #[inline(always)]
    pub(crate) fn set(&self, i: usize, v: Value) {
        self.vec()[i] = v;
    }

    #[inline(always)]
    pub(crate) fn truncate(&self, len: usize) {
        self.vec().truncate(len);
    }

    /// Empties the array, and returns memory a deep recursion left it holding.
    pub(crate) fn clear(&self) {
        let v = self.vec();
        v.clear();
        v.shrink_to(1 << 12);
    }

    /// Appends `values` (a slice, not an iterator, which could reach back
    /// into this array while it is borrowed).
    pub(crate) fn extend(&self, values: &[Value]) {
        self.vec().extend_from_slice(values);
    }

    fn visit(&self, roots: &mut RootVisitor<'_>) {
        for v in self.vec() {
            roots.visit_tagged(v.word_mut());
        }
    }
}

/// The interpreter's machine registers that hold values.
#[derive(Default)]
pub(crate) struct Registers {
    /// The accumulator: the value of the last expression.
    pub(crate) val: Cell<Value>,
    /// The current environment frame (0 at top level).
    pub(crate) env: Cell<Value>,
    /// The running code's constants: a vector (0 if it has none).
    pub(crate) consts: Cell<Value>,
    /// The current exception handlers, innermost first: a list of procedures
    /// and guard markers.
    pub(crate) handlers: Cell<Value>,
    /// The `dynamic-wind`s in force, innermost first: a list of
    /// `(before . after)` pairs of thunks.
    pub(crate) winders: Cell<Value>,
    /// The current input and output ports.
    pub(crate) input: Cell<Value>,
    pub(crate) output: Cell<Value>,
    /// The console's ports, a vector: input, output, error.
    pub(crate) console: Cell<Value>,
}

/// Every root of one interpreter.
#[derive(Default)]
pub(crate) struct Roots {
    /// The value stack: temporaries, arguments, return frames.
    pub(crate) stack: RootVec,
    /// Global variables, by the index the compiler gave each name.
    pub(crate) globals: RootVec,
    /// Constants of the code being compiled (quoted data, strings), until
    /// each procedure's are moved into a vector its closures hold.
    pub(crate) constants: RootVec,
    /// Interned symbols, by index in the interpreter's symbol table.
    pub(crate) symbols: RootVec,
    /// Values a Rust function keeps across an allocation (see `Gc::keep`).
    pub(crate) scratch: RootVec,
    pub(crate) regs: Registers,
}

// SAFETY: the interpreter's thread touches the roots only while it runs, and
// the collector only while that thread is stopped at a safepoint; the
// handshake between them orders the two.
unsafe impl Sync for Roots {}
// SAFETY: as above.
unsafe impl Send for Roots {}

/// Reports an interpreter's roots to the collector.
pub(crate) struct Scanner(pub(crate) Arc<Roots>);

impl RootScanner for Scanner {
    fn scan_roots(&mut self, roots: &mut RootVisitor<'_>) {
        let r = &self.0;
        for list in [&r.stack, &r.globals, &r.constants, &r.symbols, &r.scratch] {
            list.visit(roots);
        }
        let regs = &r.regs;
        for reg in [
            &regs.val,
            &regs.env,
            &regs.consts,
            &regs.handlers,
            &regs.winders,
            &regs.input,
            &regs.output,
            &regs.console,
        ] {
            // SAFETY: the cell is not borrowed: this thread is stopped.
            roots.visit_tagged(unsafe { &mut *reg.as_ptr() }.word_mut());
        }
    }
}
