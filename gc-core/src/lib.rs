//! movegc: a compacting garbage collector for language VMs to embed.
//!
//! A VM registers its object layouts in a [`TypeTable`], builds a [`Heap`],
//! attaches each of its threads as a [`Mutator`], allocates through it, stores
//! references through its write barrier, polls its safepoint, and reports its
//! roots with a [`RootScanner`] (or holds them in [`Local`] handles). See
//! `docs/embedding.md` for a walk-through, and `examples/embedding.rs`.
//!
//! - [`heap`]: the [`HeapBuilder`], the [`Heap`] and its [`Mode`].
//! - [`mutator`]: allocation, safepoints, native code, the write barrier, handles.
//! - [`jit`]: what generated code needs to allocate, run the write barrier
//!   and poll safepoints inline ([`JitInfo`]).
//! - [`root_slots`] and [`global`]: root slots the library holds and scans
//!   for a VM: a mutator's [`Rooted`] sets of [`RootVec`]s and [`RootCell`]s,
//!   the heap's [`Global`]s.
//! - [`roots`]: how a VM reports roots it holds itself.
//! - [`pin`]: objects native code holds by address, which no cycle moves.
//! - [`policy`]: young and full cycles, and when they run ([`Policy`]).
//! - [`fork`]: `fork()` with a heap the child keeps ([`Heap::prepare_to_fork`]).
//! - [`stats`]: per-cycle statistics, also written to the `log` crate's GC log;
//!   [`Stats::report`] and [`install_stderr_log`] show them to people.
//! - [`walk`]: visiting every object ([`Heap::walk`]), and the objects and
//!   bytes per type ([`Heap::histogram`]).
//! - [`weak`]: weak and soft handles ([`Weak`], [`Soft`]) and ephemerons ([`Ephemeron`]);
//!   [`finalize`]: finalization and cleaners; `identity`: identity hashes
//!   that survive moves ([`Mutator::identity_hash`]).
//! - `inject` (cargo feature `fault-injection`): simulated kernel failures, for tests.
//! - `safepoint`, `pre_write`, `satb`, `mark`, `pacer`, `collect`,
//!   `cycle_thread`: the handshake, the write barrier's duties before a
//!   store and its buffers, parallel marking, pacing, the cycle, and the
//!   thread the cycles allocations request run on.

#![deny(unsafe_op_in_unsafe_fn)]

mod ahead;
mod collect;
mod concurrent;
mod cycle_thread;
mod error;
pub mod finalize;
pub mod fork;
pub mod global;
pub mod heap;
mod identity;
#[cfg(feature = "fault-injection")]
pub mod inject;
#[cfg(not(loom))]
pub mod jit;
mod mark;
mod mark_help;
pub mod mutator;
mod pacer;
mod parked;
pub mod pin;
pub mod policy;
mod pre_write;
mod references;
mod relink;
mod report;
pub mod root_slots;
pub mod roots;
mod safepoint;
mod satb;
mod slab;
pub mod stats;
mod sync;
pub mod walk;
pub mod weak;

pub use error::GcError;
pub use fork::ForkGuard;
pub use gc_heap::{
    CARD, Header, ObjRef, SlotKind, TagScheme, TypeDescriptor, TypeError, TypeId, TypeTable, WORD,
};
pub use global::Global;
pub use heap::{COMPACTION_TLAB, Heap, HeapBuilder, Mode, UNREAD_MIN};
#[cfg(not(loom))]
pub use jit::{JitInfo, JitThread};
pub use mutator::{HandleScope, Local, Mutator};
pub use pin::Pinned;
pub use policy::{Policy, Sizing};
pub use report::install_stderr_log;
pub use root_slots::{Root, RootCell, RootSet, RootVec, Rooted};
pub use roots::{RootScanner, RootVisitor};
pub use stats::{
    CompactionStats, CycleKind, CycleStats, Distribution, FaultKinds, FaultTotals, Latency, Pause,
    PauseKind, Reason, ReferenceStats, Stats,
};
pub use walk::{Histogram, Live, TypeCount, WalkedObject};
pub use weak::{Ephemeron, Soft, Weak};
