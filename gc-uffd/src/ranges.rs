//! A fixed-size table of address ranges, each with a value, that a signal
//! handler can search without locks while other threads add and remove entries.
//!
//! Each slot has one state word: `LIVE` (lookups may use the entry), `CLAIMED`
//! (a writer owns the slot) and, in the low bits, the number of lookups
//! currently inside the slot.
//!
//! - Insert (under the writers' lock) claims a slot without `CLAIMED`, writes
//!   the entry, then sets `LIVE` with release ordering.
//! - Lookup increments the count first, and uses the entry only if the state it
//!   incremented had `LIVE`; it decrements when done. The count pins the entry:
//! - Remove clears `LIVE`, waits for the count to drain to 0, frees the entry,
//!   and only then clears `CLAIMED`, so an insert cannot reuse the slot while a
//!   lookup still holds its entry.
//!
//! Lookups never block and never allocate: they are async-signal-safe.

use std::ops::Range;
use std::ptr;

use crate::sync::{AtomicPtr, AtomicUsize, Mutex, Ordering, yield_now};

const LIVE: usize = 1 << (usize::BITS - 1);
const CLAIMED: usize = 1 << (usize::BITS - 2);
const COUNT: usize = CLAIMED - 1;

struct Entry<T> {
    range: Range<usize>,
    value: T,
}

struct Slot<T> {
    state: AtomicUsize,
    /// Copies of the entry's bounds, read before pinning to skip slots cheaply;
    /// possibly stale, so a match is confirmed against the pinned entry.
    start: AtomicUsize,
    end: AtomicUsize,
    entry: AtomicPtr<Entry<T>>,
}

impl<T> Slot<T> {
    fn new() -> Self {
        Slot {
            state: AtomicUsize::new(0),
            start: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
            entry: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

/// Why an insert failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InsertError {
    /// Every slot is in use.
    Full,
    /// The range overlaps one already in the table.
    Overlap,
}

/// The table; `N` slots.
pub(crate) struct RangeTable<T, const N: usize> {
    slots: [Slot<T>; N],
    writers: Mutex<()>,
}

// SAFETY: entries are shared between threads only as `&T` (lookups) and moved
// out by `remove`, so `T: Send + Sync` suffices.
unsafe impl<T: Send + Sync, const N: usize> Sync for RangeTable<T, N> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync, const N: usize> Send for RangeTable<T, N> {}

impl<T, const N: usize> RangeTable<T, N> {
    pub(crate) fn new() -> Self {
        RangeTable {
            slots: std::array::from_fn(|_| Slot::new()),
            writers: Mutex::new(()),
        }
    }

    /// Adds `range` with `value`; returns the slot index to remove it by.
    pub(crate) fn insert(&self, range: Range<usize>, value: T) -> Result<usize, InsertError> {
        let _writers = self.writers.lock().unwrap_or_else(|p| p.into_inner());
        let overlaps = self.slots.iter().any(|s| {
            s.state.load(Ordering::Acquire) & CLAIMED != 0
                && s.start.load(Ordering::Relaxed) < range.end
                && range.start < s.end.load(Ordering::Relaxed)
        });
        if overlaps {
            return Err(InsertError::Overlap);
        }
        // Lookups may be passing through an unclaimed slot (having read stale
        // bounds): they incremented a state without LIVE, so they will not touch
        // the entry, and claiming under them is safe.
        let (index, slot) = self
            .slots
            .iter()
            .enumerate()
            .find(|(_, s)| s.state.fetch_or(CLAIMED, Ordering::Acquire) & CLAIMED == 0)
            .ok_or(InsertError::Full)?;
        slot.start.store(range.start, Ordering::Relaxed);
        slot.end.store(range.end, Ordering::Relaxed);
        let entry = Box::into_raw(Box::new(Entry { range, value }));
        slot.entry.store(entry, Ordering::Relaxed);
        slot.state.fetch_or(LIVE, Ordering::Release);
        Ok(index)
    }

    /// Removes the entry in slot `index`, waiting until no lookup is using it.
    ///
    /// Must not be called from inside a lookup of the same slot (it would wait
    /// for itself).
    pub(crate) fn remove(&self, index: usize) -> Option<T> {
        let slot = self.slots.get(index)?;
        let was = {
            let _writers = self.writers.lock().unwrap_or_else(|p| p.into_inner());
            slot.state.fetch_and(!LIVE, Ordering::AcqRel)
        };
        if was & LIVE == 0 {
            return None;
        }
        while slot.state.load(Ordering::Acquire) & COUNT != 0 {
            yield_now();
        }
        let entry = slot.entry.swap(ptr::null_mut(), Ordering::Acquire);
        let _writers = self.writers.lock().unwrap_or_else(|p| p.into_inner());
        slot.state.fetch_and(!CLAIMED, Ordering::Release);
        // SAFETY: `entry` came from `Box::into_raw` in `insert`; LIVE is clear and the
        // count drained, so no lookup holds it, and none can pin it again.
        Some(unsafe { Box::from_raw(entry) }.value)
    }

    /// Calls `f` with the value of the range containing `addr`, if any.
    /// Lock-free, allocation-free, and safe to call from a signal handler.
    pub(crate) fn lookup<R>(&self, addr: usize, f: impl FnOnce(&T) -> R) -> Option<R> {
        for slot in &self.slots {
            if slot.state.load(Ordering::Relaxed) & LIVE == 0
                || addr < slot.start.load(Ordering::Relaxed)
                || addr >= slot.end.load(Ordering::Relaxed)
            {
                continue;
            }
            let state = slot.state.fetch_add(1, Ordering::Acquire);
            if state & LIVE != 0 {
                // SAFETY: LIVE was set when we pinned the slot, so the entry was published
                // (release by `insert`, acquired by our increment) and `remove` waits for
                // our decrement before freeing it.
                let entry = unsafe { &*slot.entry.load(Ordering::Relaxed) };
                if entry.range.contains(&addr) {
                    let result = f(&entry.value);
                    slot.state.fetch_sub(1, Ordering::Release);
                    return Some(result);
                }
            }
            slot.state.fetch_sub(1, Ordering::Release);
        }
        None
    }
}

impl<T, const N: usize> Drop for RangeTable<T, N> {
    fn drop(&mut self) {
        for slot in &self.slots {
            let entry = slot.entry.swap(ptr::null_mut(), Ordering::Relaxed);
            if !entry.is_null() {
                // SAFETY: `&mut self` means no lookup or remove is running; the entry
                // came from `Box::into_raw` and is dropped once.
                drop(unsafe { Box::from_raw(entry) });
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::{Arc, Barrier};
    use std::time::{Duration, Instant};

    #[test]
    fn finds_the_range_holding_an_address() {
        let t = RangeTable::<&str, 4>::new();
        t.insert(0x1000..0x2000, "a").unwrap();
        t.insert(0x3000..0x5000, "b").unwrap();
        assert_eq!(t.lookup(0x1000, |v| *v), Some("a"));
        assert_eq!(t.lookup(0x1fff, |v| *v), Some("a"));
        assert_eq!(t.lookup(0x2000, |v| *v), None);
        assert_eq!(t.lookup(0x4fff, |v| *v), Some("b"));
        assert_eq!(t.lookup(0x5000, |v| *v), None);
    }

    #[test]
    fn rejects_overlaps_and_reports_full() {
        let t = RangeTable::<u32, 2>::new();
        let a = t.insert(0x1000..0x3000, 1).unwrap();
        assert_eq!(t.insert(0x2000..0x4000, 2), Err(InsertError::Overlap));
        t.insert(0x3000..0x4000, 3).unwrap();
        assert_eq!(t.insert(0x8000..0x9000, 4), Err(InsertError::Full));
        assert_eq!(t.remove(a), Some(1));
        assert_eq!(t.remove(a), None);
        t.insert(0x8000..0x9000, 4).unwrap();
        assert_eq!(t.lookup(0x8000, |v| *v), Some(4));
    }

    /// More threads than cores: lookups race inserts and removes of the same
    /// slots; a lookup never sees a freed value or one of another range.
    ///
    /// The verdict does not depend on the scheduler: the readers start
    /// together with the writer, and the writer churns until it has done its
    /// rounds *and* every reader has found a live range, so every reader has
    /// raced the churn. Only if that takes longer than a generous limit does
    /// the test fail, saying how far it got.
    #[test]
    fn stress_lookups_against_churn() {
        const READERS: usize = 6;
        const RANGES: usize = 8;
        const ROUNDS: usize = 20_000;
        const LIMIT: Duration = Duration::from_secs(60);
        struct Tracked {
            id: usize,
            freed: Arc<AtomicBool>,
        }
        let base = |id: usize| 0x10000 * (id + 1);
        let table = Arc::new(RangeTable::<Tracked, 4>::new());
        let stop = Arc::new(AtomicBool::new(false));
        // How many readers have found a live range at least once.
        let found = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(READERS + 1));
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                let (table, stop) = (table.clone(), stop.clone());
                let (found, start) = (found.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let mut hits = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        for id in 0..RANGES {
                            let addr = base(id) + 8;
                            // Checked after the lookup returns: a panic inside
                            // it would leave the slot pinned and the writer's
                            // `remove` waiting forever.
                            let Some((seen, freed)) =
                                table.lookup(addr, |t| (t.id, t.freed.load(Ordering::SeqCst)))
                            else {
                                continue;
                            };
                            assert!(!freed, "lookup saw a freed entry");
                            assert_eq!(seen, id, "lookup of {addr:#x} found another range");
                            if hits == 0 {
                                found.fetch_add(1, Ordering::Relaxed);
                            }
                            hits += 1;
                        }
                    }
                    hits
                })
            })
            .collect();
        start.wait();
        // Each round inserts the next range and removes the oldest ones until
        // at most `keep` stay live; `keep` goes 0 (removed as soon as
        // inserted), 1, 2, 3 every 1000 rounds, so lookups race both short- and
        // long-lived entries and inserts reuse slots just freed.
        let mut live = std::collections::VecDeque::new();
        let deadline = Instant::now() + LIMIT;
        let mut round = 0usize;
        let mut timed_out = false;
        while round < ROUNDS || found.load(Ordering::Relaxed) < READERS {
            // A reader that ended before `stop` panicked: its join says why.
            if readers.iter().any(|r| r.is_finished()) {
                break;
            }
            if Instant::now() >= deadline {
                timed_out = true;
                break;
            }
            let id = round % RANGES;
            let freed = Arc::new(AtomicBool::new(false));
            let tracked = Tracked {
                id,
                freed: freed.clone(),
            };
            let slot = table.insert(base(id)..base(id) + 0x1000, tracked).unwrap();
            live.push_back(slot);
            let keep = (round / 1000) % 4;
            while live.len() > keep {
                let value = table.remove(live.pop_front().unwrap()).unwrap();
                value.freed.store(true, Ordering::SeqCst);
            }
            round += 1;
        }
        stop.store(true, Ordering::Relaxed);
        let hits: Vec<u64> = readers.into_iter().map(|r| r.join().unwrap()).collect();
        assert!(
            !timed_out,
            "after {LIMIT:?} and {round} rounds, only {} of {READERS} readers had found a \
             live range (hits per reader: {hits:?})",
            found.load(Ordering::Relaxed),
        );
        assert!(round >= ROUNDS, "stopped after {round} rounds");
        assert!(hits.iter().all(|&h| h > 0), "hits per reader: {hits:?}");
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicBool;

    /// A lookup racing an insert and a remove of the same range never uses the
    /// entry after `remove` has returned it, and sees the right value when it
    /// sees one.
    #[test]
    fn lookup_never_sees_a_removed_entry() {
        loom::model(|| {
            let table = Arc::new(RangeTable::<Arc<AtomicBool>, 2>::new());
            let t2 = table.clone();
            let reader = loom::thread::spawn(move || {
                t2.lookup(0x1008, |removed| {
                    assert!(!removed.load(Ordering::SeqCst), "entry used after remove");
                })
            });
            let removed = Arc::new(AtomicBool::new(false));
            let slot = table.insert(0x1000..0x2000, removed).unwrap();
            let value = table.remove(slot).unwrap();
            value.store(true, Ordering::SeqCst);
            reader.join().unwrap();
        });
    }

    /// Two writers insert concurrently while a reader looks up: each insert
    /// gets its own slot and the reader finds only the value of its range.
    #[test]
    fn concurrent_inserts_take_distinct_slots() {
        loom::model(|| {
            let table = Arc::new(RangeTable::<usize, 2>::new());
            let (a, b) = (table.clone(), table.clone());
            let wa = loom::thread::spawn(move || a.insert(0x1000..0x2000, 1).unwrap());
            let wb = loom::thread::spawn(move || b.insert(0x2000..0x3000, 2).unwrap());
            if let Some(v) = table.lookup(0x2008, |v| *v) {
                assert_eq!(v, 2);
            }
            let (sa, sb) = (wa.join().unwrap(), wb.join().unwrap());
            assert_ne!(sa, sb);
            assert_eq!(table.lookup(0x1008, |v| *v), Some(1));
            assert_eq!(table.remove(sb), Some(2));
            assert_eq!(table.lookup(0x2008, |v| *v), None);
        });
    }
}
