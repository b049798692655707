//! Compiled code: the instructions of the virtual machine, and prototypes.
//!
//! Code lives outside the heap, like a JVM's metaspace: a closure on the heap
//! names its prototype by index in its header, so compaction never moves code.
//! Prototypes live as long as the interpreter: they grow with the source
//! compiled, not with the time it runs.
//! The constants code refers to (quoted data, strings, flonums) are heap
//! values, so they live in a vector each closure holds, and die with it.
//!
//! The machine has a value register (`val`), an environment register (`env`,
//! the innermost frame of variables) and a value stack. A call evaluates the
//! arguments onto the stack and the procedure into `val`.

use std::rc::Rc;

use crate::value::Value;

/// One instruction.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    /// `val` = constant number `n` of the running code.
    Const(u32),
    /// `val` = an immediate value.
    Imm(Value),
    /// `val` = variable `index` of the frame `depth` frames out (1-based:
    /// slot 0 holds the enclosing frame).
    Local(u16, u16),
    /// Variable `index` of the frame `depth` out = `val`.
    SetLocal(u16, u16),
    /// `val` = global number `n`.
    Global(u32),
    /// Global number `n` = `val`, which must already be defined.
    SetGlobal(u32),
    /// Global number `n` = `val`.
    DefineGlobal(u32),
    /// Pushes `val`.
    Push,
    /// Continues at `pc`.
    Jump(u32),
    /// Continues at `pc` if `val` is `#f`.
    JumpIfFalse(u32),
    /// Continues at `pc` unless `val` is `#f`.
    JumpIfTrue(u32),
    /// `val` = a closure of prototype `n` over `env`, whose constants are
    /// the vector in constant `k`.
    Closure(u32, u32),
    /// Calls `val` with the `n` values on top of the stack.
    Call(u32),
    /// Calls `val` with the top `n` values in place of the current call.
    TailCall(u32),
    /// Returns `val` to the frame on top of the stack.
    Return,
    /// `env` = a new frame of `size` variables inside `env`, the first `args`
    /// of them popped from the stack, the rest unassigned.
    Enter {
        /// Variables taken from the stack.
        args: u16,
        /// Variables in all.
        size: u16,
    },
    /// `env` = the frame enclosing `env`.
    Leave,
    /// Installs a `guard` whose clauses start at `pc` of this code.
    PushGuard(u32),
    /// Removes the innermost `guard`, keeping `val`.
    PopGuard,
}

/// A procedure's code and shape.
#[derive(Debug)]
pub(crate) struct Proto {
    /// For messages: the name it was defined with, or `lambda`.
    pub(crate) name: Rc<str>,
    /// Arguments it needs.
    pub(crate) required: usize,
    /// Whether further arguments are collected in a list.
    pub(crate) rest: bool,
    /// Variables in its frame: the arguments, the rest list, internal definitions.
    pub(crate) frame_size: usize,
    /// The instructions.
    pub(crate) code: Vec<Op>,
}
