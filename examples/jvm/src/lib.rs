//! A small JVM that runs `javac`'s class files with every object on a movegc
//! heap: movegc's second model embedding, a typed field-layout VM where the
//! Lisp is a tagged one. `README.md` describes what it runs and its flags.
//!
//! How it embeds the collector:
//!
//! - `gc`: object layouts (a reference map per class, strings and arrays
//!   as byte objects, reference arrays as tagged slots) and the one door for
//!   allocation and barriered stores. Identity hashes are the collector's
//!   (`Mutator::identity_hash`), kept across moves in its table.
//! - `roots`: frames' locals and operands, statics and literals, in root
//!   slots the library scans; each slot knows whether it holds a reference.
//!
//! The machine:
//!
//! - `classfile`: the class-file parser; `descriptor`: type descriptors.
//! - `loader`: loading classes from the class path when first used, and
//!   linking (layouts, virtual tables, movegc types registered as they come).
//! - `decode` and `code`: bytecode to resolved instructions, at a method's
//!   first call.
//! - `interp`: the interpreter loop; `vm`: the state it shares with the
//!   runtime (classes of objects, initialisation, exceptions, calls).
//! - `runtime`: `java.lang` (and `java.lang.ref.WeakReference`) in Rust;
//!   `jfmt`: Java's number and `Formatter` text.
//! - `boot`: start-up and the public face, [`Jvm`] and its [`Options`].
//! - `errors`: what stops a run; `stats`: the GC log and `--gc-stats`.

mod boot;
mod class;
mod classfile;
mod code;
mod decode;
mod descriptor;
mod errors;
mod gc;
mod interp;
pub mod jfmt;
mod loader;
mod roots;
mod runtime;
mod vm;

pub use boot::{Jvm, Options};
pub use errors::{Error, LoadError};
