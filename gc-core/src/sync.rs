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

/// A table that starts as zeroes. A large one is in memory mapped for it:
/// the kernel provides zero pages lazily, on first touch, and takes them
/// back when the table is dropped. A compaction pause makes its per-page
/// tables this way, so its cost does not grow with the heap (from the
/// allocator, a table of megabytes may come from the brk heap and be zeroed,
/// page-faulted and all, inside the pause); and a large table freed to the
/// allocator may stay resident in its arena. A small one comes from the
/// allocator, zeroed, and an empty one takes nothing: a mapping costs a
/// system call, its first touch a fault on a fresh page (on a guest that
/// gives free memory back, a wait for the host), and its release a TLB
/// flush: 46 µs of a young cycle's 340 µs compaction pause (binary-trees
/// 21, medians) went to the four of its eight tables that were empty.
pub(crate) struct Zeroed<A: Zeroable> {
    #[cfg(not(loom))]
    table: Table<A>,
    #[cfg(loom)]
    items: Box<[A]>,
    len: usize,
}

/// Where a [`Zeroed`]'s items lie.
#[cfg(not(loom))]
enum Table<A> {
    /// Zeroed by the allocator (an empty one allocates nothing).
    Heap(Box<[A]>),
    Mapped(gc_uffd::Reservation, std::marker::PhantomData<A>),
}

/// The largest table taken from the allocator.
#[cfg(not(loom))]
const HEAP_TABLE: usize = 64 << 10;

impl<A: Zeroable> Zeroed<A> {
    /// `n` items holding zero.
    pub(crate) fn new(n: usize) -> gc_uffd::Result<Self> {
        #[cfg(not(loom))]
        {
            let table = match std::alloc::Layout::array::<A>(n) {
                Ok(layout) if layout.size() <= HEAP_TABLE => Table::Heap(zeroed_box(layout, n)),
                _ => {
                    let page = gc_uffd::page_size();
                    let bytes = (n * std::mem::size_of::<A>()).next_multiple_of(page);
                    let map = gc_uffd::Reservation::new(bytes, page)?;
                    Table::Mapped(map, std::marker::PhantomData)
                }
            };
            Ok(Zeroed { table, len: n })
        }
        #[cfg(loom)]
        Ok(Zeroed {
            items: (0..n).map(|_| A::zero()).collect(),
            len: n,
        })
    }

    /// Keeps the first `n` items only (their memory stays allocated).
    pub(crate) fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    /// Zeroes the first `written` items in use (all a user wrote) and puts
    /// every item of the table in use again: a table kept for reuse holds
    /// zero throughout, and [`truncate`](Self::truncate) hands out a prefix
    /// of it. Costs the items written, not the table's size, and touches no
    /// page that was never written.
    pub(crate) fn clear(&mut self, written: usize) {
        let written = written.min(self.len);
        #[cfg(not(loom))]
        {
            let (items, room) = match &mut self.table {
                Table::Heap(items) => (items.as_mut_ptr(), items.len()),
                Table::Mapped(map, _) => (
                    map.as_ptr().cast::<A>(),
                    map.size() / std::mem::size_of::<A>(),
                ),
            };
            // SAFETY: `&mut self` excludes every other access; the first
            // `written` items lie in the table, and all-zero bytes are a valid
            // item (`Zeroable`).
            unsafe { std::ptr::write_bytes(items, 0, written) };
            self.len = room;
        }
        #[cfg(loom)]
        {
            for item in &mut self.items[..written] {
                *item = A::zero();
            }
            self.len = self.items.len();
        }
    }
}

impl<A: Zeroable> Default for Zeroed<A> {
    /// An empty table, which allocates nothing.
    fn default() -> Self {
        Zeroed {
            #[cfg(not(loom))]
            table: Table::Heap(Box::new([])),
            #[cfg(loom)]
            items: Box::new([]),
            len: 0,
        }
    }
}

/// `n` items of `layout` (theirs), zeroed by the allocator; an empty one
/// allocates nothing.
#[cfg(not(loom))]
fn zeroed_box<A: Zeroable>(layout: std::alloc::Layout, n: usize) -> Box<[A]> {
    if layout.size() == 0 {
        return Box::new([]);
    }
    // SAFETY: the layout's size is not zero.
    let items = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<A>();
    if items.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    // SAFETY: allocated by the global allocator with the layout of `n` items,
    // as a `Box<[A]>` of them is; all-zero bytes are a valid item (`Zeroable`).
    unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(items, n)) }
}

impl<A: Zeroable> std::ops::Deref for Zeroed<A> {
    type Target = [A];

    fn deref(&self) -> &[A] {
        #[cfg(not(loom))]
        return match &self.table {
            Table::Heap(items) => &items[..self.len],
            // SAFETY: the mapping holds `len` items' bytes, readable and
            // writable, zero until written; all-zero bytes are a valid item
            // (`Zeroable`), and the atomics are only ever shared by reference.
            Table::Mapped(map, _) => unsafe {
                std::slice::from_raw_parts(map.as_ptr().cast::<A>(), self.len)
            },
        };
        #[cfg(loom)]
        return &self.items[..self.len];
    }
}

impl<A: Zeroable> std::ops::DerefMut for Zeroed<A> {
    fn deref_mut(&mut self) -> &mut [A] {
        #[cfg(not(loom))]
        return match &mut self.table {
            Table::Heap(items) => &mut items[..self.len],
            // SAFETY: as in `deref`; `&mut self` excludes every other access.
            Table::Mapped(map, _) => unsafe {
                std::slice::from_raw_parts_mut(map.as_ptr().cast::<A>(), self.len)
            },
        };
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
    /// first items when truncated: empty, from the allocator, and mapped.
    #[test]
    fn a_zeroed_table_starts_at_zero_and_keeps_what_is_written() {
        for n in [
            0,
            1,
            3 * 512 + 1,
            (super::HEAP_TABLE / 16) + 1,
            3 * 4096 + 5,
        ] {
            let mut e = Zeroed::<Forwarded>::new(n).unwrap();
            assert_eq!(e.len(), n);
            assert!(e.iter().all(|f| *f == Forwarded::default()), "{n}");
            for (i, f) in e.iter_mut().enumerate() {
                *f = Forwarded { old: i, new: i * 2 };
            }
            e.truncate(n / 2);
            assert_eq!(e.len(), n / 2);
            assert!(e.iter().enumerate().all(|(i, f)| f.new == i * 2), "{n}");
            e.truncate(n);
            assert_eq!(e.len(), n / 2, "truncating never lengthens");
        }
    }

    /// A cleared table reads zero throughout and has all its room in use
    /// again, however little of it was handed out and written: empty, from
    /// the allocator, and mapped (whose room is its pages').
    #[test]
    fn a_cleared_table_is_zero_and_whole_again() {
        for n in [0, 7, (super::HEAP_TABLE / 16) + 1, 3 * 4096 + 5] {
            let mut e = Zeroed::<Forwarded>::new(n).unwrap();
            let room = if n * 16 > super::HEAP_TABLE {
                (n * 16).next_multiple_of(gc_uffd::page_size()) / 16
            } else {
                n
            };
            e.truncate(n / 2);
            for (i, f) in e.iter_mut().enumerate() {
                *f = Forwarded { old: i + 1, new: i };
            }
            e.clear(n / 2);
            assert_eq!(e.len(), room, "{n}");
            assert!(e.iter().all(|f| *f == Forwarded::default()), "{n}");
            e.truncate(n);
            assert_eq!(e.len(), n, "handed out again: {n}");
        }
        let mut e = Zeroed::<Forwarded>::default();
        e.clear(5);
        assert_eq!(e.len(), 0, "the default table is empty");
    }

    /// Atomics shared between threads, in a table from the allocator and in
    /// a mapped one, see each other's stores.
    #[test]
    fn a_zeroed_table_of_atomics_is_shared() {
        use std::sync::atomic::{AtomicU64, Ordering};
        for n in [8, super::HEAP_TABLE / 8 + 1] {
            let t = Zeroed::<AtomicU64>::new(n).unwrap();
            std::thread::scope(|s| {
                for k in 0..2u64 {
                    let t = &t;
                    s.spawn(move || {
                        for item in t.iter() {
                            item.fetch_add(1 << (32 * k), Ordering::Relaxed);
                        }
                    });
                }
            });
            assert!(
                t.iter().all(|a| a.load(Ordering::Relaxed) == 1 | 1 << 32),
                "{n}"
            );
        }
    }
}
