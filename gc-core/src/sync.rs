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

/// `n` atomics holding zero. Made from zeroed memory, which the allocator
/// gets lazily from the kernel: a compaction pause allocates per-page tables
/// this way without touching them, so its cost does not grow with the heap.
pub(crate) fn zeroed<A: Zeroable>(n: usize) -> Box<[A]> {
    A::zeroed(n)
}

/// An atomic that [`zeroed`] can make.
pub(crate) trait Zeroable: Sized {
    fn zeroed(n: usize) -> Box<[Self]>;
}

macro_rules! zeroable {
    ($($atomic:ident: $int:ty),*) => {$(
        impl Zeroable for $atomic {
            #[cfg(not(loom))]
            fn zeroed(n: usize) -> Box<[Self]> {
                let ints: Box<[$int]> = vec![0; n].into_boxed_slice();
                // SAFETY: the atomic has the same size, alignment and bit validity
                // as its integer (std documents it), so the slice reinterprets.
                unsafe { Box::from_raw(Box::into_raw(ints) as *mut [$atomic]) }
            }

            #[cfg(loom)]
            fn zeroed(n: usize) -> Box<[Self]> {
                (0..n).map(|_| $atomic::new(0)).collect()
            }
        }
    )*};
}

zeroable!(AtomicU8: u8, AtomicUsize: usize, AtomicU64: u64);
