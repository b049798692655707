//! Errors the embedding API returns.

use std::fmt;

use gc_heap::walk::HeapError;

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum GcError {
    /// A full collection could not make room for an allocation.
    OutOfMemory {
        /// Bytes requested.
        requested: usize,
        /// The heap's size.
        heap_size: usize,
        /// Bytes live after the last collection.
        live_bytes: usize,
    },
    /// An allocation named a type id the VM never registered.
    UnknownType(u32),
    /// An allocation's size does not fit the object model.
    TooLarge {
        /// The type's name.
        type_name: String,
        /// The requested length.
        len: u32,
    },
    /// The configuration cannot work; the message says why and what to change.
    Config(String),
    /// The kernel refused memory or an interface.
    Kernel(gc_uffd::Error),
    /// `Heap::attach` on a thread that already has a mutator of this heap.
    AlreadyAttached,
    /// `Heap::collect` on a thread whose mutator of this heap is attached:
    /// use `Mutator::collect` there (the collector would wait for itself).
    CollectFromMutatorThread,
    /// A byte range named by the VM does not lie inside its object.
    OutOfBounds {
        /// The range's start, in bytes from the object's header.
        offset: usize,
        /// The range's length.
        len: usize,
        /// The object's size.
        size: usize,
    },
    /// The verifier found the heap corrupt; the collection was abandoned.
    Corrupt(Vec<HeapError>),
}

impl fmt::Display for GcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GcError::OutOfMemory {
                requested,
                heap_size,
                live_bytes,
            } => write!(
                f,
                "out of memory: {requested} bytes requested, but the heap of {} holds {} of live \
                 data after a full collection; raise the heap size",
                mib(*heap_size),
                mib(*live_bytes)
            ),
            GcError::UnknownType(id) => write!(
                f,
                "type id {id} is not registered: register every type in the TypeTable before \
                 building the heap"
            ),
            GcError::TooLarge { type_name, len } => {
                write!(
                    f,
                    "a {type_name} of length {len} is larger than the heap can hold"
                )
            }
            GcError::Config(why) => write!(f, "bad heap configuration: {why}"),
            GcError::Kernel(e) => write!(f, "{e}"),
            GcError::AlreadyAttached => {
                f.write_str("this thread already has a mutator attached to this heap")
            }
            GcError::CollectFromMutatorThread => f.write_str(
                "Heap::collect called on a thread with an attached mutator: call Mutator::collect",
            ),
            GcError::OutOfBounds { offset, len, size } => write!(
                f,
                "bytes {offset}..{} are outside the object of {size} bytes",
                offset.saturating_add(*len)
            ),
            GcError::Corrupt(errors) => {
                write!(f, "the heap verifier found {} problem(s)", errors.len())?;
                for e in errors.iter().take(5) {
                    write!(f, "; {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for GcError {}

impl From<gc_uffd::Error> for GcError {
    fn from(e: gc_uffd::Error) -> Self {
        GcError::Kernel(e)
    }
}

pub(crate) fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}
