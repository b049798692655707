//! An append-only array of fixed capacity that readers index without locks:
//! how the type table grows while the heap runs. Marking threads, page
//! builders and the SIGBUS handler read it; a lock would make the handler
//! unsafe (it may interrupt the thread holding it) and slow the hot path.
//!
//! The protocol: a writer, holding the writers' mutex, initializes the entry
//! at `len` and then stores `len + 1` with Release; a reader loads `len` with
//! Acquire and reads only entries below it. An entry is never written again
//! once published, so a `&T` to it lives as long as the array. The storage is
//! allocated once, at its full capacity, and never moves: growing it by
//! reallocation would free memory a reader may be reading.

use std::mem::MaybeUninit;

use crate::sync::{AtomicBool, AtomicUsize, Mutex, MutexGuard, Ordering, UnsafeCell};

pub(crate) struct AppendOnly<T> {
    items: Box<[UnsafeCell<MaybeUninit<T>>]>,
    len: AtomicUsize,
    writer: Mutex<()>,
    /// Held by a writer going ahead of the others ([`lock_writers_ahead`]:
    /// a fork's preparer), which raises `ahead_raised` meanwhile; other
    /// writers wait for it before taking `writer`. std's mutex hands itself
    /// to no waiter: a thread that lets `writer` go and takes it again at
    /// once gets it back before the waiter it woke runs, time after time.
    ///
    /// [`lock_writers_ahead`]: Self::lock_writers_ahead
    ahead: Mutex<()>,
    ahead_raised: AtomicBool,
}

/// The writers' lock, held until dropped.
pub(crate) struct Writers<'a> {
    _writer: MutexGuard<'a, ()>,
    /// From [`AppendOnly::lock_writers_ahead`]: the flag it raised, lowered
    /// on drop, and the lock the others wait for until then.
    ahead: Option<(&'a AtomicBool, MutexGuard<'a, ()>)>,
}

impl Drop for Writers<'_> {
    fn drop(&mut self) {
        if let Some((raised, _)) = &self.ahead {
            raised.store(false, Ordering::Release);
        }
    }
}

// SAFETY: entries are written once, by one writer at a time (the mutex),
// before the Release store that publishes them; readers take shared
// references only to published entries, which nobody writes again. So
// sharing the array shares `&T` across threads (needs `T: Sync`) and moves
// `T`s written on one thread to readers and the dropping thread on others
// (needs `T: Send`).
unsafe impl<T: Send + Sync> Sync for AppendOnly<T> {}
// SAFETY: as above; the array owns its `T`s.
unsafe impl<T: Send> Send for AppendOnly<T> {}

impl<T> AppendOnly<T> {
    /// An array holding `first` at index 0, with room for `more` entries
    /// after it, or `first` back if the memory cannot be had.
    pub(crate) fn new(first: T, more: usize) -> Result<Self, T> {
        let Some(capacity) = more.checked_add(1) else {
            return Err(first);
        };
        #[cfg(not(loom))]
        let items = {
            let mut items = Vec::new();
            if items.try_reserve_exact(capacity).is_err() {
                return Err(first);
            }
            // SAFETY: within the capacity just reserved; a cell holding a
            // `MaybeUninit` is valid whatever its bytes. Made this way (not
            // entry by entry), the storage's pages stay untouched until filled.
            unsafe { items.set_len(capacity) };
            items.into_boxed_slice()
        };
        #[cfg(loom)]
        let items = (0..capacity)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect();
        let items: Box<[UnsafeCell<MaybeUninit<T>>]> = items;
        // SAFETY: nobody else has the array yet.
        items[0].with_mut(|p| unsafe { (*p).write(first) });
        Ok(AppendOnly {
            items,
            len: AtomicUsize::new(1),
            writer: Mutex::new(()),
            ahead: Mutex::new(()),
            ahead_raised: AtomicBool::new(false),
        })
    }

    /// The most entries it can hold.
    pub(crate) fn capacity(&self) -> usize {
        self.items.len()
    }

    /// The entries published so far.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Entry `i`, if published.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len() {
            return None;
        }
        // SAFETY: `i < len <= capacity`, and the Acquire load of `len` saw the
        // Release store that published entry `i` after it was initialized.
        // It is never written again, so the reference stays valid for `&self`.
        Some(unsafe {
            self.items
                .get_unchecked(i)
                .with(|p| &*(*p).as_ptr().cast::<T>())
        })
    }

    /// Holds off writers until the guard is dropped; first waits for a
    /// writer going ahead, if one is.
    pub(crate) fn lock_writers(&self) -> Writers<'_> {
        if self.ahead_raised.load(Ordering::Acquire) {
            drop(lock(&self.ahead));
        }
        Writers {
            _writer: lock(&self.writer),
            ahead: None,
        }
    }

    /// [`lock_writers`](Self::lock_writers), ahead of the writers waiting
    /// for it: those that come after wait until the guard is dropped, so it
    /// waits only for those already waiting, once each.
    pub(crate) fn lock_writers_ahead(&self) -> Writers<'_> {
        let ahead = lock(&self.ahead);
        self.ahead_raised.store(true, Ordering::Release);
        Writers {
            _writer: lock(&self.writer),
            ahead: Some((&self.ahead_raised, ahead)),
        }
    }

    /// Appends `value` and returns its index, or gives it back if the array is full.
    pub(crate) fn push(&self, value: T) -> Result<usize, T> {
        let _writer = self.lock_writers();
        let n = self.len.load(Ordering::Relaxed);
        let Some(cell) = self.items.get(n) else {
            return Err(value);
        };
        // SAFETY: entry `n` is unpublished (`n == len`, read under the
        // writers' mutex), so no reader looks at it and no other writer runs.
        cell.with_mut(|p| unsafe { (*p).write(value) });
        self.len.store(n + 1, Ordering::Release);
        Ok(n)
    }
}

/// Locks `m`, ignoring poisoning: the locks here guard no data.
fn lock(m: &Mutex<()>) -> MutexGuard<'_, ()> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<T> Drop for AppendOnly<T> {
    fn drop(&mut self) {
        let len = self.len.load(Ordering::Relaxed);
        for cell in &self.items[..len] {
            // SAFETY: entries below `len` are initialized, and `&mut self`
            // means no reader holds a reference to them any more.
            cell.with_mut(|p| unsafe { (*p).assume_init_drop() });
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn entries_are_published_in_order_until_full() {
        assert_eq!(
            AppendOnly::new("x".to_string(), usize::MAX).err(),
            Some("x".to_string()),
            "an impossible capacity gives the first entry back"
        );
        let a = AppendOnly::new("a".to_string(), 2).unwrap();
        assert_eq!(a.get(0).map(String::as_str), Some("a"));
        assert_eq!(a.get(1), None);
        assert_eq!(a.push("b".to_string()), Ok(1));
        assert_eq!(a.push("c".to_string()), Ok(2));
        assert_eq!(a.push("d".to_string()), Err("d".to_string()));
        assert_eq!((a.len(), a.capacity()), (3, 3));
        assert_eq!(a.get(2).map(String::as_str), Some("c"));
        assert_eq!(a.get(3), None);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// Two writers race one reader: the reader sees a prefix of the entries,
    /// each fully initialized, and the writers get distinct indices. loom
    /// reports a read of an entry racing its write if `len` is published
    /// before the entry is written, or with a weaker ordering than Release/Acquire.
    #[test]
    fn a_published_entry_is_seen_initialized() {
        loom::model(|| {
            let a = Arc::new(AppendOnly::new(vec![0; 2], 2).unwrap());
            let reader = {
                let a = a.clone();
                loom::thread::spawn(move || {
                    let len = a.len();
                    for i in 0..len {
                        let v = a.get(i).expect("a published entry");
                        assert!(v.len() == 2 && v[0] == v[1] && v[0] < 2);
                    }
                    len
                })
            };
            let writer = {
                let a = a.clone();
                loom::thread::spawn(move || a.push(vec![1; 2]).unwrap())
            };
            let mine = a.push(vec![0; 2]).unwrap();
            let theirs = writer.join().unwrap();
            assert_eq!(mine.min(theirs), 1);
            assert_eq!(mine.max(theirs), 2);
            assert!(reader.join().unwrap() >= 1);
            assert_eq!(a.push(vec![9]), Err(vec![9]));
        });
    }

    /// A writer going ahead (a fork's preparer) races a writer pushing: both
    /// get the lock whatever the interleaving (loom reports a deadlock
    /// otherwise), and none pushes while the one ahead holds it.
    #[test]
    fn a_writer_going_ahead_holds_off_the_others() {
        loom::model(|| {
            let a = Arc::new(AppendOnly::new(0, 2).unwrap());
            let writer = {
                let a = a.clone();
                loom::thread::spawn(move || a.push(1).unwrap())
            };
            let held = a.lock_writers_ahead();
            let len = a.len();
            loom::thread::yield_now();
            assert_eq!(a.len(), len, "a push while the lock was held");
            drop(held);
            assert_eq!(writer.join().unwrap(), 1);
            assert_eq!(a.push(2), Ok(2), "the lock is free again");
        });
    }
}
