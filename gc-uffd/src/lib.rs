//! movegc's kernel memory layer.
//!
//! Every system call movegc makes goes through this crate (and within it,
//! through `sys`): the rest of the collector sees safe types with documented
//! contracts.
//!
//! - [`Reservation`]: address space reserved at a chosen alignment, committed and
//!   decommitted by range, and remapped into a shadow with `MREMAP_DONTUNMAP`.
//! - [`Userfaultfd`]: open, handshake, register, and the page-placing ioctls
//!   MOVE, COPY and ZEROPAGE, each reporting partial progress and its
//!   [`Outcome`].
//! - [`sigbus`]: the process-wide SIGBUS dispatcher that lets a faulting thread
//!   resolve its own fault.
//! - [`probe`]: which of these work here, decided by trying them.
//!
//! On platforms other than Linux the crate compiles, reservations come from the
//! global allocator, and every kernel-only call fails with
//! [`ErrorKind::Unsupported`].
//!
//! # Example
//!
//! The core of concurrent compaction: a page is prepared in a shadow range and
//! moved into a registered heap range without copying.
//!
//! ```
//! use gc_uffd::{Capabilities, Capability, Features, MoveMode, Outcome, Reservation, Userfaultfd};
//!
//! # if let Err(no) = Capabilities::get().check(Capability::Move) {
//! #     assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI needs userfaultfd: {no}");
//! #     eprintln!("skipped: {no}");
//! #     return Ok(());
//! # }
//! let page = gc_uffd::page_size();
//! let heap = Reservation::new(16 * page, page)?;
//! let shadow = Reservation::new(16 * page, page)?;
//! // SAFETY: the shadow is ours and mapped.
//! unsafe { shadow.as_ptr().cast::<u64>().write(42) };
//!
//! let uffd = Userfaultfd::open(Features::MOVE)?;
//! uffd.register(heap.range())?;
//! // SAFETY: the shadow page is ours and nothing references it.
//! let placed = unsafe { uffd.move_pages(heap.start(), shadow.start(), page, MoveMode::empty()) };
//! assert_eq!(placed.outcome, Outcome::Complete);
//! // SAFETY: the heap page is in place now.
//! assert_eq!(unsafe { heap.as_ptr().cast::<u64>().read() }, 42);
//! # Ok::<(), gc_uffd::Error>(())
//! ```

#![deny(unsafe_op_in_unsafe_fn)]

mod error;
pub mod probe;
mod ranges;
mod reservation;
pub mod sigbus;
mod sync;
mod sys;
mod uffd;

pub use error::{Error, ErrorKind, Op, Result};
pub use probe::{Capabilities, Capability};
pub use reservation::Reservation;
pub use uffd::{
    Features, MoveMode, OpenedVia, Outcome, Placement, RangeIoctls, Relinked, Userfaultfd, Wake,
};

/// The calling thread's resource use so far: for a GC thread's per-cycle
/// statistics. Where the platform cannot tell, zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadUsage {
    /// CPU time, user and system.
    pub cpu: std::time::Duration,
    /// Minor page faults: pages the kernel had to find for this thread.
    pub minor_faults: u64,
}

impl ThreadUsage {
    /// The calling thread's usage now.
    pub fn now() -> ThreadUsage {
        let (cpu, minor_faults) = sys::thread_usage();
        ThreadUsage { cpu, minor_faults }
    }
}

/// The calling thread's CPU time to the nanosecond, for spans too short for
/// [`ThreadUsage`] (whose figures come in microseconds, split between user
/// and system time by the scheduler's ticks); `None` where the system has
/// no such clock.
pub fn thread_cpu_time() -> Option<std::time::Duration> {
    sys::thread_cpu_time()
}

/// Makes the calling thread run only on CPUs nothing else wants
/// (`SCHED_IDLE`): for work that can wait, so that it never takes a CPU
/// from a mutator or a GC thread.
pub fn run_when_idle() -> Result<()> {
    sys::sched_idle().map_err(|e| Error::os(Op::Schedule, e, ""))
}

/// The calling thread's kernel id (`gettid`): async-signal-safe, for a
/// SIGBUS handler to tell threads apart by. 0 where the system has none.
pub fn thread_id() -> u32 {
    sys::thread_id()
}

/// The size of a base page, in bytes.
pub fn page_size() -> usize {
    sys::page_size()
}
