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
pub use uffd::{Features, MoveMode, OpenedVia, Outcome, Placement, RangeIoctls, Userfaultfd, Wake};

/// The size of a base page, in bytes.
pub fn page_size() -> usize {
    sys::page_size()
}
