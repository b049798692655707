//! The interpreter's roots: every place outside the heap that holds a
//! [`Value`], in root slots the library holds and scans for this thread's
//! mutator ([`RootVec`], [`RootCell`], gathered in one [`RootSet`]), so the
//! interpreter needs no scanner.

use gc_core::{Root, RootCell, RootSet, RootVec, RootVisitor};

use crate::value::Value;

/// A value is a tagged word: a reference when the heap's tag scheme says so.
impl Root for Value {
    fn visit(&mut self, roots: &mut RootVisitor<'_>) {
        roots.visit_tagged(self.word_mut());
    }
}

/// Memory a cleared stack keeps: a deep recursion's goes back to the allocator.
pub(crate) const KEEP_SLOTS: usize = 1 << 12;

/// The interpreter's machine registers that hold values.
#[derive(Default)]
pub(crate) struct Registers {
    /// The accumulator: the value of the last expression.
    pub(crate) val: RootCell<Value>,
    /// The current environment frame (0 at top level).
    pub(crate) env: RootCell<Value>,
    /// The running code's constants: a vector (0 if it has none).
    pub(crate) consts: RootCell<Value>,
    /// The current exception handlers, innermost first: a list of procedures
    /// and guard markers.
    pub(crate) handlers: RootCell<Value>,
    /// The `dynamic-wind`s in force, innermost first: a list of
    /// `(before . after)` pairs of thunks.
    pub(crate) winders: RootCell<Value>,
    /// The current input and output ports.
    pub(crate) input: RootCell<Value>,
    pub(crate) output: RootCell<Value>,
    /// The console's ports, a vector: input, output, error.
    pub(crate) console: RootCell<Value>,
}

/// Every root of one interpreter.
#[derive(Default)]
pub(crate) struct Roots {
    /// The value stack: temporaries, arguments, return frames.
    pub(crate) stack: RootVec<Value>,
    /// Global variables, by the index the compiler gave each name.
    pub(crate) globals: RootVec<Value>,
    /// Constants of the code being compiled (quoted data, strings), until
    /// each procedure's are moved into a vector its closures hold.
    pub(crate) constants: RootVec<Value>,
    /// Values a Rust function keeps across an allocation (see `Gc::keep`).
    pub(crate) scratch: RootVec<Value>,
    pub(crate) regs: Registers,
    /// The symbol table, whose slots are weak (see `Gc::intern`).
    pub(crate) symbols: RootCell<Value>,
}

impl RootSet for Roots {
    fn visit(&self, roots: &mut RootVisitor<'_>) {
        for list in [&self.stack, &self.globals, &self.constants, &self.scratch] {
            list.visit(roots);
        }
        self.symbols.visit(roots);
        let regs = &self.regs;
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
            reg.visit(roots);
        }
    }
}
