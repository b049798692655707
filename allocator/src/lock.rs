//! The allocator's lock.

use std::sync::PoisonError;

pub(crate) use std::sync::MutexGuard;

/// std's mutex, with poisoning ignored (as parking_lot's, which this
/// replaced: no code holding it panics halfway through an update).
///
/// std's rather than parking_lot's for `fork`: a std mutex is one futex
/// word, whose waiters the kernel queues per process, and its unlock hands
/// the lock to no one. A process forked while threads of its parent waited
/// for the lock (`gc_core::Heap::prepare_to_fork` holds it across the fork)
/// gets it free when the forking thread releases it. parking_lot queues
/// waiters in memory, where a thread of the parent stays queued in the child,
/// and a fair unlock may hand the lock to that thread, which does not exist.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T: ?Sized>(std::sync::Mutex<T>);

impl<T> Mutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        Mutex(std::sync::Mutex::new(value))
    }
}

impl<T: ?Sized> Mutex<T> {
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
