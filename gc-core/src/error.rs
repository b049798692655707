//! Errors the embedding API returns.

use std::fmt;

use gc_heap::walk::HeapError;

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum GcError {
    /// A full collection, run for this allocation with other threads' new
    /// claims held back meanwhile, left no room for it: the live data (with
    /// the large-object space's fragmentation) fills the heap.
    #[non_exhaustive]
    OutOfMemory {
        /// Bytes requested.
        requested: usize,
        /// The heap's size.
        heap_size: usize,
        /// Bytes of reachable objects that full collection found.
        live_bytes: usize,
        /// The largest free extent where the request would go (the moving
        /// space, or the large-object space for objects at least the
        /// large-object threshold), after that collection.
        largest_free: usize,
    },
    /// An allocation named a type id the VM never registered.
    UnknownType(u32),
    /// A type registration was refused: the descriptor is malformed, or the
    /// type table is full.
    Type(gc_heap::TypeError),
    /// An allocation is larger than any object this heap allows, whatever
    /// it holds: half the heap's size.
    #[non_exhaustive]
    TooLarge {
        /// The type's name.
        type_name: String,
        /// The requested length.
        len: u32,
        /// The object's size in bytes.
        size: usize,
        /// The largest object this heap allows, in bytes.
        limit: usize,
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
    /// `Heap::walk` or `Heap::histogram` on a thread whose mutator of this
    /// heap is attached: use `Mutator::walk` or `Mutator::histogram` there.
    WalkFromMutatorThread,
    /// An allocation, a collection, an attach, a walk or a fork preparation
    /// from a heap walk's visitor, on the walking thread: the walk holds the
    /// heap stopped, and these would wait for it to end.
    InWalk,
    /// `Heap::prepare_to_fork` on a thread whose mutator of this heap is
    /// attached: use `Mutator::prepare_to_fork` there.
    ForkFromMutatorThread,
    /// A byte range named by the VM does not lie inside its object.
    OutOfBounds {
        /// The range's start, in bytes from the object's header.
        offset: usize,
        /// The range's length.
        len: usize,
        /// The object's size.
        size: usize,
    },
    /// An address the VM passed is not in this heap.
    NotInHeap(usize),
    /// A weak handle or an ephemeron was read with a mutator of another heap.
    OtherHeap,
    /// The verifier found the heap corrupt; the collection was abandoned.
    Corrupt(Vec<HeapError>),
    /// Concurrent compactions could not put `pages` pages in place: the
    /// kernel refused them, or found them populated by something outside
    /// the collector (the log says which, and where, at error level). The
    /// objects on them are lost, so the heap runs no collection any more:
    /// every one, and every allocation that needs one, fails with this.
    PagesLost {
        /// Pages lost, all cycles.
        pages: u64,
    },
}

impl fmt::Display for GcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GcError::OutOfMemory {
                requested,
                heap_size,
                live_bytes,
                largest_free,
            } => write!(
                f,
                "out of memory: {requested} bytes requested, but after a full collection {} of \
                 the {} heap is live and the largest free extent is {}; raise the heap size",
                mib(*live_bytes),
                mib(*heap_size),
                mib(*largest_free)
            ),
            GcError::UnknownType(id) => write!(
                f,
                "type id {id} is not registered: register it in the TypeTable, or with \
                 Heap::register_type, before allocating"
            ),
            GcError::Type(e) => write!(f, "type not registered: {e}"),
            GcError::TooLarge {
                type_name,
                len,
                size,
                limit,
            } => write!(
                f,
                "a {type_name} of length {len} needs {size} bytes, more than the largest object \
                 this heap allows ({limit} bytes, half the heap's size)"
            ),
            GcError::Config(why) => write!(f, "bad heap configuration: {why}"),
            GcError::NotInHeap(addr) => write!(f, "{addr:#x} is not an object of this heap"),
            GcError::Kernel(e) => write!(f, "{e}"),
            GcError::AlreadyAttached => {
                f.write_str("this thread already has a mutator attached to this heap")
            }
            GcError::CollectFromMutatorThread => f.write_str(
                "Heap::collect called on a thread with an attached mutator: call Mutator::collect",
            ),
            GcError::WalkFromMutatorThread => f.write_str(
                "Heap::walk called on a thread with an attached mutator: call Mutator::walk",
            ),
            GcError::InWalk => f.write_str(
                "called from a heap walk's visitor: it must not allocate, collect, attach, walk \
                 or prepare to fork",
            ),
            GcError::ForkFromMutatorThread => f.write_str(
                "Heap::prepare_to_fork called on a thread with an attached mutator: call \
                 Mutator::prepare_to_fork",
            ),
            GcError::OutOfBounds { offset, len, size } => write!(
                f,
                "bytes {offset}..{} are outside the object of {size} bytes",
                offset.saturating_add(*len)
            ),
            GcError::OtherHeap => {
                f.write_str("a weak handle or an ephemeron was read with a mutator of another heap")
            }
            GcError::PagesLost { pages } => write!(
                f,
                "{pages} page(s) of the heap could not be put in place by a compaction: \
                 the objects on them are lost, and the heap collects no more"
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
