//! What can stop the JVM: a class that cannot be loaded or linked, or a
//! failure of the machine itself. Java exceptions are not errors here: they
//! are objects on the heap, thrown and caught by the interpreter.

use std::fmt;

/// A class file the loader or the linker refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The class's internal name (`pkg/Name`), or its file where the name
    /// could not be read.
    pub class: String,
    /// The method, where the problem is in one.
    pub method: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.method {
            Some(m) => write!(f, "{}.{}: {}", self.class, m, self.reason),
            None => write!(f, "{}: {}", self.class, self.reason),
        }
    }
}

impl std::error::Error for LoadError {}

/// Why a run ended other than by `main` returning.
#[derive(Debug)]
pub enum Error {
    /// Bad command-line input: no such class, an unreadable class path.
    Usage(String),
    /// A class could not be loaded, verified or linked.
    Load(LoadError),
    /// The heap could not be built.
    Heap(gc_core::GcError),
    /// An exception nobody caught; its stack trace has been printed.
    Uncaught,
    /// `System.exit(status)`.
    Exit(i32),
    /// The run used up [`Options::fuel`](crate::Options).
    OutOfFuel,
    /// The machine met something it cannot do: the method, the bytecode
    /// offset, and why (an operand of the wrong type, an unsupported native).
    Internal(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) => f.write_str(m),
            Error::Load(e) => write!(f, "cannot load class {e}"),
            Error::Heap(e) => write!(f, "cannot build the heap: {e}"),
            Error::Uncaught => f.write_str("uncaught exception"),
            Error::Exit(s) => write!(f, "exit({s})"),
            Error::OutOfFuel => f.write_str("the run used up its fuel"),
            Error::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Self {
        Error::Load(e)
    }
}
