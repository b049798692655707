//! A Scheme interpreter whose every value lives on a movegc heap: movegc's
//! model embedding. `README.md` describes the language and the flags.
//!
//! How it embeds the collector:
//!
//! - `value`: values are tagged words; references are plain addresses,
//!   which movegc's default tag scheme recognizes.
//! - `gc`: the object layouts registered with the heap, and the one door
//!   to it (every allocation, read and barriered write), with the rule for
//!   holding references across allocations.
//! - `roots`: the interpreter's stack, registers, globals, constants and
//!   symbol table, in root slots the library owns and scans.
//!
//! The interpreter itself:
//!
//! - `reader`: text to data, with positions.
//! - `compiler`, `derived` and `code`: data to instructions, with every
//!   variable resolved to a frame slot or a global.
//! - `vm`: the machine: an explicit stack, proper tail calls,
//!   continuations, exceptions.
//! - `bignum`: the arithmetic of exact integers beyond the fixnums.
//! - `builtins`: the primitive procedures; `prelude.scm`: the library
//!   procedures written in Scheme.
//! - `printer`: `display` and `write`.
//! - `ports`: the OS resources behind the ports on the heap.
//! - `errors`: what can go wrong.
//! - `interp`: the public face, [`Interpreter`] and its [`Options`].

mod bignum;
mod builtins;
mod code;
mod compiler;
mod derived;
mod errors;
mod gc;
mod interp;
mod ports;
mod printer;
mod reader;
mod roots;
mod value;
mod vm;

pub use errors::{Error, Irritants, Pos};
pub use interp::{Interpreter, Options, incomplete};
