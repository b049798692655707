//! movegc's allocator: pages and bytes, knowing nothing of objects.
//!
//! - [`Tlab`]: a thread-local allocation buffer, a `#[repr(C)]` cursor/limit
//!   pair whose fast path is an inlined bump and compare.
//! - [`BumpRegion`]: the shared bump pointer TLABs and medium allocations are
//!   carved from; compaction resets it to the end of the compacted data.
//! - [`PagePool`]: runs of whole pages, first fit, coalesced on free, and
//!   returned to the kernel when freed.
//! - [`LargeObjects`]: page-aligned allocations above a threshold, on a page
//!   pool, with a table of what is allocated for sweeping.

#![deny(unsafe_op_in_unsafe_fn)]

mod bump;
mod large;
mod lock;
mod pages;
mod tlab;

pub use bump::BumpRegion;
pub use large::{Fragmentation, LargeLock, LargeObjects, Relink};
pub use pages::{PagePool, PoolLock};
pub use tlab::Tlab;

/// Rounds `n` up to a multiple of `align` (a power of two).
#[inline(always)]
pub const fn align_up(n: usize, align: usize) -> usize {
    (n + align - 1) & !(align - 1)
}
