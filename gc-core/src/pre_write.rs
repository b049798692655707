//! What the write barrier does before a reference store: one byte, which the
//! library's barrier and generated code ([`JitInfo::marking_flag`]) test,
//! and which takes the slow path when it is not zero.
//!
//! [`JitInfo::marking_flag`]: crate::jit::JitInfo::marking_flag

use std::sync::atomic::{AtomicU8, Ordering};

/// The pre-store barrier's duties, set and cleared in pauses.
#[derive(Debug, Default)]
pub(crate) struct PreWrite(AtomicU8);

impl PreWrite {
    /// A cycle marks: a store logs the reference it overwrites (snapshot at
    /// the beginning).
    pub(crate) const SATB: u8 = 1;
    /// A full cycle leaves the clean pages of its dense prefix mapped: a
    /// store to an old object dirties (and lists) its card, so the cycle
    /// sees that the page was written after marking scanned it.
    pub(crate) const OLD_STORES: u8 = 2;

    /// The duties now: zero, none (the common case, one load and a branch).
    #[inline(always)]
    pub(crate) fn get(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }

    /// Whether a cycle marks.
    #[inline]
    pub(crate) fn marking(&self) -> bool {
        self.get() & Self::SATB != 0
    }

    /// Turns `duty` on or off.
    pub(crate) fn set(&self, duty: u8, on: bool) {
        if on {
            self.0.fetch_or(duty, Ordering::Relaxed);
        } else {
            self.0.fetch_and(!duty, Ordering::Relaxed);
        }
    }

    /// The byte, for generated code.
    #[cfg(not(loom))]
    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.0.as_ptr()
    }
}
