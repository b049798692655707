//! movegc's heap layout, knowing nothing of threads or phases.
//!
//! - [`object`]: [`ObjRef`] and the one-word [`Header`] (type id + 32 bits).
//! - [`types`]: the [`TypeTable`] of [`TypeDescriptor`]s the VM registers, which grows
//!   while the heap runs.
//! - [`Spaces`]: one reservation holding the moving space and the large-object
//!   space, with the side metadata: mark bitmap, live-words [`Bitmap`] (with
//!   the prefix sums of the compaction [`Plan`] beside its words) and its
//!   summary of blocks with live words.
//! - [`cards`]: the card table, the young cycles' remembered set.
//! - [`compact`]: building a to-space page, shared by every compaction mode.
//! - [`PageTargets`]: what each page's objects referenced when a full cycle
//!   marked them, for the dense prefix it leaves mapped.
//! - [`walk`]: walking the heap and verifying it.

#![deny(unsafe_op_in_unsafe_fn)]

mod append;
mod bitmap;
pub mod cards;
pub mod compact;
pub mod object;
mod spaces;
mod sync;
mod targets;
mod type_table;
pub mod types;
pub mod walk;

pub use bitmap::{AscendingSetter, Bitmap};
pub use cards::{CARD, CARD_SHIFT, CardTable};
pub use object::{Header, ObjRef, WORD};
pub use spaces::{
    CHUNK, HEAP_ALIGN, Padding, Plan, PlanParts, Release, Spaces, UnreadRun, prefetch,
};
pub use targets::{CleanRun, PageTargets};
pub use types::{
    Layout, RegistrationLock, SlotKind, SlotsIn, TagScheme, TypeDescriptor, TypeError, TypeId,
    TypeTable,
};
