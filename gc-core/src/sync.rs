//! Atomics, locks and waiting, from loom when model-checking (`--cfg loom`), else from std.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering, fence,
};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use loom::thread::yield_now;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::thread::yield_now;

/// A lock of the heap's shared state (the collector's, the mutators' list,
/// the statistics, the global roots): std's mutex, never loom's (these are
/// not modelled), with poisoning ignored as parking_lot's, which it replaced.
///
/// std's for `fork` (fork.rs): a std mutex is one futex word, whose waiters
/// the kernel queues per process, and its unlock hands the lock to no one.
/// `Heap::prepare_to_fork` holds these locks across the fork while other
/// threads may wait for them (a cycle thread, `Heap::collect`, `Heap::stats`,
/// a thread attaching); in the child those threads do not exist and the
/// locks are free once the forking thread releases them. parking_lot queues
/// waiters in memory, where a thread of the parent stays queued in the
/// child, and a fair unlock may hand the lock to it for good.
#[derive(Debug, Default)]
pub(crate) struct ForkSafeMutex<T: ?Sized>(std::sync::Mutex<T>);

impl<T> ForkSafeMutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        ForkSafeMutex(std::sync::Mutex::new(value))
    }
}

impl<T: ?Sized> ForkSafeMutex<T> {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether some thread holds the lock now (a hint: it may change at once).
    pub(crate) fn is_locked(&self) -> bool {
        matches!(self.0.try_lock(), Err(std::sync::TryLockError::WouldBlock))
    }
}

/// Waits a moment in a spin loop; under loom, lets another thread run.
#[inline]
pub(crate) fn spin() {
    if cfg!(loom) {
        yield_now();
    } else {
        std::hint::spin_loop();
    }
}

/// One round of a wait that yields the CPU (async-signal-safe: `sched_yield`).
/// Under loom, a wait that has yielded a few times stops the exploration of
/// further interleavings on this path: two threads yielding to each other
/// while a third makes progress would otherwise make an endless path.
#[inline]
pub(crate) fn yield_wait(rounds: &mut u32) {
    *rounds += 1;
    #[cfg(loom)]
    if *rounds > 2 {
        loom::skip_branch();
    }
    yield_now();
}

/// Locks `m`, ignoring poisoning: the data these locks guard stays consistent
/// across a panic (they guard nothing but the wait itself).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Waits on `cv`, ignoring poisoning as [`lock`] does.
pub(crate) fn wait<'a, T>(cv: &Condvar, g: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cv.wait(g).unwrap_or_else(|p| p.into_inner())
}

/// A table that starts as zeroes, in memory mapped for it: the kernel
/// provides zero pages lazily, on first touch, and takes them back when the
/// table is dropped. A compaction pause makes its per-page tables this way,
/// so its cost does not grow with the heap (from the allocator, a table of
/// megabytes may come from the brk heap and be zeroed, page-faulted and all,
/// inside the pause); and a large table freed to the allocator may stay
/// resident in its arena.
pub(crate) struct Zeroed<A: Zeroable> {
    #[cfg(not(loom))]
    map: gc_uffd::Reservation,
    #[cfg(loom)]
    items: Box<[A]>,
    len: usize,
    _items: std::marker::PhantomData<A>,
}

impl<A: Zeroable> Zeroed<A> {
    /// `n` items holding zero.
    pub(crate) fn new(n: usize) -> gc_uffd::Result<Self> {
        #[cfg(not(loom))]
        {
            let page = gc_uffd::page_size();
            let bytes = (n * std::mem::size_of::<A>())
                .next_multiple_of(page)
                .max(page);
            Ok(Zeroed {
                map: gc_uffd::Reservation::new(bytes, page)?,
                len: n,
                _items: std::marker::PhantomData,
            })
        }
        #[cfg(loom)]
        Ok(Zeroed {
            items: (0..n).map(|_| A::zero()).collect(),
            len: n,
            _items: std::marker::PhantomData,
        })
    }

    /// Keeps the first `n` items only (their memory stays mapped).
    pub(crate) fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }
}

impl<A: Zeroable> std::ops::Deref for Zeroed<A> {
    type Target = [A];

    fn deref(&self) -> &[A] {
        #[cfg(not(loom))]
        // SAFETY: the mapping holds `len` items' bytes, readable and writable,
        // zero until written; all-zero bytes are a valid atomic (`Zeroable`),
        // and the atomics are only ever shared by reference.
        return unsafe { std::slice::from_raw_parts(self.map.as_ptr().cast::<A>(), self.len) };
        #[cfg(loom)]
        return &self.items[..self.len];
    }
}

impl<A: Zeroable> std::ops::DerefMut for Zeroed<A> {
    fn deref_mut(&mut self) -> &mut [A] {
        #[cfg(not(loom))]
        // SAFETY: as in `deref`; `&mut self` excludes every other access.
        return unsafe { std::slice::from_raw_parts_mut(self.map.as_ptr().cast::<A>(), self.len) };
        #[cfg(loom)]
        return &mut self.items[..self.len];
    }
}

/// A type whose all-zero bytes are a valid value holding zero: atomics of
/// integers, and plain words.
///
/// # Safety
/// Implement it only for such types.
pub(crate) unsafe trait Zeroable: Sized {
    /// The value holding zero, made normally (for loom's atomics).
    #[cfg(loom)]
    fn zero() -> Self;
}

// SAFETY: std documents that these atomics have the in-memory representation
// of their integers, for which all-zero bytes are 0.
unsafe impl Zeroable for AtomicU8 {
    #[cfg(loom)]
    fn zero() -> Self {
        AtomicU8::new(0)
    }
}
// SAFETY: as above.
unsafe impl Zeroable for AtomicUsize {
    #[cfg(loom)]
    fn zero() -> Self {
        AtomicUsize::new(0)
    }
}
// SAFETY: as above.
unsafe impl Zeroable for AtomicU64 {
    #[cfg(loom)]
    fn zero() -> Self {
        AtomicU64::new(0)
    }
}
// SAFETY: two words, for which all-zero bytes are `(0, 0)`, its default.
unsafe impl Zeroable for gc_heap::compact::Forwarded {
    #[cfg(loom)]
    fn zero() -> Self {
        Self::default()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use gc_heap::compact::Forwarded;

    use super::Zeroed;

    /// A table of plain words (the forwarding-ahead memo's entries) starts
    /// forwarding nothing, keeps what is written through it, and keeps its
    /// first items when truncated.
    #[test]
    fn a_zeroed_table_starts_at_zero_and_keeps_what_is_written() {
        const N: usize = 3 * 512 + 1;
        let mut e = Zeroed::<Forwarded>::new(N).unwrap();
        assert_eq!(e.len(), N);
        assert!(e.iter().all(|f| *f == Forwarded::default()));
        for (i, f) in e.iter_mut().enumerate() {
            *f = Forwarded { old: i, new: i * 2 };
        }
        e.truncate(2 * 512);
        assert_eq!(e.len(), 2 * 512);
        assert!(e.iter().enumerate().all(|(i, f)| f.new == i * 2));
        e.truncate(N);
        assert_eq!(e.len(), 2 * 512, "truncating never lengthens");
    }
}
