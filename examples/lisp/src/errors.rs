//! Errors, from the reader to the evaluator.
//!
//! Run-time errors become Scheme condition objects, which `guard` and
//! `with-exception-handler` can catch; the rest (reading, syntax, the heap
//! running out, `exit`) end the top-level form at once.

use std::fmt;

use gc_core::GcError;

use crate::value::Value;

/// A position in a source text, for messages: `file:line:column`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pos {
    /// The file's name (or `<stdin>`, `<repl>`).
    pub file: std::rc::Rc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The values a run-time error is about, raw: only the interpreter that made
/// them can read them, and only before it allocates again.
#[derive(Debug)]
pub struct Irritants(pub(crate) Vec<Value>);

/// Why evaluation stopped.
#[derive(Debug)]
pub enum Error {
    /// A run-time error with a message and the values it is about. The values
    /// are raw: the evaluator turns the error into a condition object (rooting
    /// them) before it allocates anything, and nothing else may hold one.
    Runtime {
        /// What went wrong, starting with the procedure's name.
        message: String,
        /// The offending values.
        irritants: Irritants,
    },
    /// A raised object nobody caught. The object itself is in the value
    /// register, where the collector can see it.
    Uncaught,
    /// Malformed source text.
    Read {
        /// Where.
        pos: Pos,
        /// What.
        message: String,
    },
    /// A malformed special form.
    Syntax {
        /// Where the form starts.
        pos: Pos,
        /// What.
        message: String,
    },
    /// The heap could not make room, even after a full collection.
    OutOfMemory(String),
    /// The heap failed in a way that is not the program's fault.
    Heap(String),
    /// The form made more calls than [`Options::fuel`](crate::Options::fuel) allows.
    OutOfFuel,
    /// `(exit)` was called, with this status.
    Exit(i32),
}

impl Error {
    /// A run-time error about `irritants`.
    pub(crate) fn runtime(message: impl Into<String>, irritants: Vec<Value>) -> Error {
        Error::Runtime {
            message: message.into(),
            irritants: Irritants(irritants),
        }
    }

    /// A malformed form at `pos`.
    pub(crate) fn syntax<T>(pos: &Pos, message: impl Into<String>) -> Result<T, Error> {
        Err(Error::Syntax {
            pos: pos.clone(),
            message: message.into(),
        })
    }

    /// `who` wanted `expected` and got `got`.
    pub(crate) fn wrong_type(who: &str, expected: &str, got: Value) -> Error {
        Error::runtime(format!("{who}: expected {expected}"), vec![got])
    }
}

impl From<GcError> for Error {
    fn from(e: GcError) -> Error {
        match e {
            GcError::OutOfMemory { .. } => Error::OutOfMemory(e.to_string()),
            GcError::TooLarge { .. } => Error::runtime(e.to_string(), Vec::new()),
            e => Error::Heap(e.to_string()),
        }
    }
}
