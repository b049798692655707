//! The snapshot-at-the-beginning write barrier's buffers.
//!
//! While marking, a reference store first logs the reference it overwrites:
//! every object reachable when marking began is then either found by the
//! markers or logged, so a mutator that moves the only reference to an object
//! from a slot not yet scanned into one already scanned cannot hide it.
//!
//! Each mutator logs into its own buffer, with no synchronisation; a full
//! buffer goes to the heap's [`SatbQueue`], where the markers take it. At the
//! final-mark pause the collector takes what is left in every mutator's buffer
//! itself: the handshake gives it the buffers of stopped mutators (and of
//! those in native code), as it does their roots.

use crate::sync::{AtomicUsize, Mutex, Ordering, lock};

/// Entries a buffer holds before it goes to the queue: small enough that
/// the final mark has little left to drain, large enough that the queue's lock
/// is taken once per few thousand stores.
pub(crate) const CAPACITY: usize = 512;

/// Full buffers, waiting for a marker.
#[derive(Debug, Default)]
pub(crate) struct SatbQueue {
    full: Mutex<Vec<Vec<usize>>>,
    /// Entries logged this cycle, for the statistics.
    logged: AtomicUsize,
}

impl SatbQueue {
    pub(crate) fn new() -> Self {
        SatbQueue::default()
    }

    /// Hands a buffer to the markers.
    pub(crate) fn push(&self, buffer: Vec<usize>) {
        if buffer.is_empty() {
            return;
        }
        self.logged.fetch_add(buffer.len(), Ordering::Relaxed);
        lock(&self.full).push(buffer);
    }

    /// Takes every buffer handed over so far.
    pub(crate) fn take(&self) -> Vec<Vec<usize>> {
        std::mem::take(&mut *lock(&self.full))
    }

    /// Entries logged since the last call, for the statistics.
    pub(crate) fn take_logged(&self) -> usize {
        self.logged.swap(0, Ordering::Relaxed)
    }

    /// Entries handed over since the last [`take_logged`](Self::take_logged).
    pub(crate) fn logged(&self) -> usize {
        self.logged.load(Ordering::Relaxed)
    }
}

/// A mutator's buffer.
#[derive(Debug, Default)]
pub(crate) struct SatbBuffer {
    entries: Vec<usize>,
}

impl SatbBuffer {
    /// Logs an overwritten reference, handing the buffer to `queue` when full.
    #[inline]
    pub(crate) fn log(&mut self, value: usize, queue: &SatbQueue) {
        if self.entries.capacity() == 0 {
            self.entries.reserve_exact(CAPACITY);
        }
        self.entries.push(value);
        if self.entries.len() >= CAPACITY {
            self.flush(queue);
        }
    }

    /// Hands what the buffer holds to `queue`.
    pub(crate) fn flush(&mut self, queue: &SatbQueue) {
        queue.push(std::mem::take(&mut self.entries));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::safepoint::{Handshake, MutatorState};
    use crate::sync::{AtomicBool, fence};
    use loom::sync::Arc;
    use std::cell::UnsafeCell;

    struct Shared {
        hs: Handshake,
        me: MutatorState,
        marking: AtomicBool,
        /// The one heap slot, holding "references" 1, 2, 3 in turn.
        slot: AtomicUsize,
        queue: SatbQueue,
        buffer: UnsafeCell<SatbBuffer>,
    }

    // SAFETY: `buffer` is touched by the mutator while it runs and by the
    // collector while it is stopped, as in `MutatorShared`.
    unsafe impl Sync for Shared {}
    unsafe impl Send for Shared {}

    /// The snapshot-at-the-beginning invariant, through the whole protocol: a
    /// collector turns the barrier on in one pause and reads the slot (its
    /// "roots"), takes full buffers while the mutator runs, and takes the
    /// mutator's own buffer in a second pause. Whatever the slot held at the
    /// first pause is, by then, either still in the slot or logged.
    #[test]
    fn the_snapshot_value_is_logged_or_still_there() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let s = Arc::new(Shared {
                hs: Handshake::new(),
                me: MutatorState::new(),
                marking: AtomicBool::new(false),
                slot: AtomicUsize::new(1),
                queue: SatbQueue::new(),
                buffer: UnsafeCell::new(SatbBuffer::default()),
            });
            s.hs.leave_native(&s.me);
            let mutator = {
                let s = s.clone();
                loom::thread::spawn(move || {
                    for value in 2..4 {
                        s.hs.poll(&s.me);
                        if s.marking.load(Ordering::Relaxed) {
                            let old = s.slot.load(Ordering::Relaxed);
                            // SAFETY: this thread runs, so it alone touches the buffer.
                            let buffer = unsafe { &mut *s.buffer.get() };
                            buffer.log(old, &s.queue);
                            // The first entry goes to the queue as a full buffer
                            // would; the second stays for the final pause to take.
                            if value == 2 {
                                buffer.flush(&s.queue);
                            }
                        }
                        s.slot.store(value, Ordering::Relaxed);
                    }
                    s.hs.enter_native(&s.me);
                })
            };
            s.hs.stop(std::iter::once(&s.me));
            s.marking.store(true, Ordering::Relaxed);
            let snapshot = s.slot.load(Ordering::Relaxed);
            s.hs.resume();
            let mut seen: Vec<usize> = s.queue.take().concat();
            s.hs.stop(std::iter::once(&s.me));
            fence(Ordering::SeqCst);
            // SAFETY: the mutator is stopped or in native code.
            unsafe { &mut *s.buffer.get() }.flush(&s.queue);
            seen.extend(s.queue.take().concat());
            let now = s.slot.load(Ordering::Relaxed);
            s.marking.store(false, Ordering::Relaxed);
            s.hs.resume();
            assert!(
                now == snapshot || seen.contains(&snapshot),
                "snapshot {snapshot} lost: slot holds {now}, logged {seen:?}"
            );
            mutator.join().unwrap();
        });
    }

    /// The remembered set's protocol: two mutators store "young" values into
    /// two slots that share a card, each dirtying the card (test, then set,
    /// as `gc_heap::CardTable::dirty`) and logging it to its own buffer only
    /// if it found it clean. A pause then flushes both buffers: whatever the
    /// interleaving, every slot that holds a young value has its card logged,
    /// so the compaction pause rewrites it.
    #[test]
    fn every_dirty_card_is_logged_by_the_pause() {
        use crate::sync::AtomicU8;
        struct Remembered {
            hs: Handshake,
            me: [MutatorState; 2],
            slots: [AtomicUsize; 2],
            card: AtomicU8,
            queue: SatbQueue,
            buffers: [UnsafeCell<SatbBuffer>; 2],
        }
        // SAFETY: as `Shared`: each buffer is touched by its mutator while it
        // runs and by the collector while it is stopped.
        unsafe impl Sync for Remembered {}
        unsafe impl Send for Remembered {}
        const CARD: usize = 7;
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let s = Arc::new(Remembered {
                hs: Handshake::new(),
                me: [MutatorState::new(), MutatorState::new()],
                slots: [AtomicUsize::new(0), AtomicUsize::new(0)],
                card: AtomicU8::new(0),
                queue: SatbQueue::new(),
                buffers: [
                    UnsafeCell::new(SatbBuffer::default()),
                    UnsafeCell::new(SatbBuffer::default()),
                ],
            });
            for me in &s.me {
                s.hs.leave_native(me);
            }
            let mutators: Vec<_> = (0..2)
                .map(|i| {
                    let s = s.clone();
                    loom::thread::spawn(move || {
                        s.hs.poll(&s.me[i]);
                        s.slots[i].store(100 + i, Ordering::Relaxed);
                        if s.card.load(Ordering::Relaxed) == 0 {
                            s.card.store(1, Ordering::Relaxed);
                            // SAFETY: this thread runs, so it alone touches its buffer.
                            unsafe { &mut *s.buffers[i].get() }.log(CARD, &s.queue);
                        }
                        s.hs.poll(&s.me[i]);
                        s.hs.enter_native(&s.me[i]);
                    })
                })
                .collect();
            s.hs.stop(s.me.iter());
            fence(Ordering::SeqCst);
            for b in &s.buffers {
                // SAFETY: the mutators are stopped or in native code.
                unsafe { &mut *b.get() }.flush(&s.queue);
            }
            let logged: Vec<usize> = s.queue.take().concat();
            for slot in &s.slots {
                if slot.load(Ordering::Relaxed) != 0 {
                    assert_eq!(
                        s.card.load(Ordering::Relaxed),
                        1,
                        "a young store left its card clean"
                    );
                    assert!(logged.contains(&CARD), "a dirty card was never logged");
                }
            }
            s.hs.resume();
            for m in mutators {
                m.join().unwrap();
            }
        });
    }
}
