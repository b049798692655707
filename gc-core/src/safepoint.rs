//! The stop-the-world handshake.
//!
//! Each mutator publishes a state word: running, parked at a safepoint, in
//! native code, or detached. The collector raises `requested`, then waits until
//! no mutator (but itself, if it is one) is running. A mutator polls
//! `requested` at safepoints and parks while it is raised; a mutator in native
//! code is not waited for, and when it leaves native code during a pause it
//! parks until the pause ends.
//!
//! Both sides use the Dekker pattern: a mutator stores `RUNNING`, issues a
//! sequentially consistent fence, and loads `requested`; the collector stores
//! `requested`, fences, and loads each state. At least one of them sees the
//! other's store, so a mutator never runs while the collector believes it
//! stopped. (Fences rather than `SeqCst` accesses: the two are equivalent here,
//! and loom models the fences but not `SeqCst` loads and stores.)
//!
//! Stores of `PARKED`/`NATIVE` release the mutator's heap writes to the
//! collector, which acquires them when it reads the state; the collector's
//! writes reach the mutator through the lock it wakes it with, or through the
//! `requested` flag's release when it is cleared.

use crate::sync::{
    AtomicBool, AtomicU8, Condvar, Mutex, MutexGuard, Ordering, fence, lock, wait, yield_now,
};

pub(crate) const RUNNING: u8 = 0;
pub(crate) const PARKED: u8 = 1;
pub(crate) const NATIVE: u8 = 2;

/// One mutator's side of the handshake.
#[derive(Debug)]
pub(crate) struct MutatorState {
    state: AtomicU8,
}

impl MutatorState {
    /// A mutator that starts out in native code (not yet running).
    pub(crate) fn new() -> Self {
        MutatorState {
            state: AtomicU8::new(NATIVE),
        }
    }

    /// Whether the mutator is in native code. Only its own thread may ask:
    /// only that thread writes the state.
    fn in_native(&self) -> bool {
        self.state.load(Ordering::Relaxed) == NATIVE
    }
}

/// The heap's side of the handshake.
#[derive(Debug, Default)]
pub(crate) struct Handshake {
    requested: AtomicBool,
    lock: Mutex<()>,
    resumed: Condvar,
}

impl Handshake {
    pub(crate) fn new() -> Self {
        Handshake::default()
    }

    /// Where the poll's flag is kept, for generated code to load (non-zero
    /// while a pause is requested).
    #[cfg(not(loom))]
    pub(crate) fn requested_ptr(&self) -> *const u8 {
        self.requested.as_ptr().cast()
    }

    /// The safepoint poll's fast path: one load and a predictable branch.
    #[inline(always)]
    pub(crate) fn poll(&self, me: &MutatorState) {
        if self.requested.load(Ordering::Relaxed) {
            self.park(me);
        }
    }

    /// Publishes `RUNNING` for `me`, then reports whether a pause is requested
    /// (the mutator's half of the Dekker pattern).
    fn run_and_check(&self, me: &MutatorState) -> bool {
        me.state.store(RUNNING, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        self.requested.load(Ordering::Acquire)
    }

    /// Parks `me` until no pause is requested.
    #[cold]
    pub(crate) fn park(&self, me: &MutatorState) {
        loop {
            me.state.store(PARKED, Ordering::Release);
            {
                let mut g = lock(&self.lock);
                while self.requested.load(Ordering::Acquire) {
                    g = wait(&self.resumed, g);
                }
            }
            if !self.run_and_check(me) {
                return;
            }
        }
    }

    /// `me` enters native code: the collector will not wait for it.
    pub(crate) fn enter_native(&self, me: &MutatorState) {
        me.state.store(NATIVE, Ordering::Release);
    }

    /// `me` leaves native code, first waiting out a pause in progress.
    pub(crate) fn leave_native(&self, me: &MutatorState) {
        if self.run_and_check(me) {
            self.park(me);
        }
    }

    /// `me` detaches: `tidy` runs while `me` is running, so that nothing the
    /// collector touches in an unattended mutator (its TLAB, its write
    /// barrier's buffer) is touched by both at once; then `me` is left in
    /// native code, where the collector no longer waits for it. A mutator in
    /// native code (a thread dropping its mutator on the way out of a
    /// blocking call) first waits out a pause in progress.
    pub(crate) fn detach(&self, me: &MutatorState, tidy: impl FnOnce()) {
        if me.in_native() {
            self.leave_native(me);
        }
        tidy();
        self.enter_native(me);
    }

    /// Stops the world: returns once none of `others` is running. The caller
    /// must hold the collector lock (one collector at a time).
    pub(crate) fn stop<'a>(&self, others: impl Iterator<Item = &'a MutatorState> + Clone) {
        self.requested.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        for m in others {
            let mut spins = 0u32;
            while m.state.load(Ordering::Acquire) == RUNNING {
                spins += 1;
                if spins < 64 && !cfg!(loom) {
                    std::hint::spin_loop();
                } else {
                    yield_now();
                }
            }
        }
    }

    /// Holds the lock parked mutators take when they wake (for a fork, with
    /// the world stopped: then no parked mutator holds it at the fork). End
    /// the pause with [`resume_locked`](Self::resume_locked).
    pub(crate) fn lock_for_fork(&self) -> MutexGuard<'_, ()> {
        lock(&self.lock)
    }

    /// [`resume`](Self::resume), with the lock [`lock_for_fork`](Self::lock_for_fork) took.
    pub(crate) fn resume_locked(&self, g: MutexGuard<'_, ()>) {
        self.requested.store(false, Ordering::Release);
        self.resumed.notify_all();
        drop(g);
    }

    /// Ends the pause and wakes every parked mutator.
    pub(crate) fn resume(&self) {
        let _g = lock(&self.lock);
        self.requested.store(false, Ordering::Release);
        self.resumed.notify_all();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    /// More threads than cores poll, park and pass through native code while a
    /// collector stops and resumes them; no mutator is ever inside its "heap
    /// work" while the world is stopped.
    #[test]
    fn stress_no_mutator_runs_while_stopped() {
        let hs = Arc::new(Handshake::new());
        let working = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let states: Vec<Arc<MutatorState>> =
            (0..6).map(|_| Arc::new(MutatorState::new())).collect();
        let threads: Vec<_> = states
            .iter()
            .enumerate()
            .map(|(i, me)| {
                let (hs, working, done, me) =
                    (hs.clone(), working.clone(), done.clone(), me.clone());
                std::thread::spawn(move || {
                    hs.leave_native(&me);
                    let mut n = 0u64;
                    while !done.load(Ordering::Relaxed) {
                        working.fetch_add(1, Ordering::SeqCst);
                        n += 1;
                        working.fetch_sub(1, Ordering::SeqCst);
                        if n % 17 == i as u64 {
                            hs.enter_native(&me);
                            std::hint::spin_loop();
                            hs.leave_native(&me);
                        } else {
                            hs.poll(&me);
                        }
                    }
                    hs.enter_native(&me);
                })
            })
            .collect();
        for _ in 0..2000 {
            hs.stop(states.iter().map(|s| &**s));
            // A parked mutator woken by the previous resume may show RUNNING for a
            // moment before it sees the new request and parks again; what must never
            // happen is work.
            assert_eq!(
                working.load(Ordering::SeqCst),
                0,
                "a mutator ran during the pause"
            );
            hs.resume();
        }
        done.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().unwrap();
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;

    /// One collector stops and resumes the world while one mutator polls and
    /// another leaves native code: neither works while the world is stopped.
    #[test]
    fn no_mutator_works_during_a_pause() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let hs = Arc::new(Handshake::new());
            let working = Arc::new(AtomicUsize::new(0));
            let (a, b) = (Arc::new(MutatorState::new()), Arc::new(MutatorState::new()));
            hs.leave_native(&a);
            let poller = {
                let (hs, working, a) = (hs.clone(), working.clone(), a.clone());
                loom::thread::spawn(move || {
                    for _ in 0..2 {
                        working.fetch_add(1, Ordering::SeqCst);
                        working.fetch_sub(1, Ordering::SeqCst);
                        hs.poll(&a);
                    }
                    hs.enter_native(&a);
                })
            };
            let native = {
                let (hs, working, b) = (hs.clone(), working.clone(), b.clone());
                loom::thread::spawn(move || {
                    hs.leave_native(&b);
                    working.fetch_add(1, Ordering::SeqCst);
                    working.fetch_sub(1, Ordering::SeqCst);
                    hs.enter_native(&b);
                })
            };
            hs.stop([&*a, &*b].into_iter());
            assert_eq!(working.load(Ordering::SeqCst), 0);
            hs.resume();
            poller.join().unwrap();
            native.join().unwrap();
        });
    }

    /// A mutator in native code detaches, tidying the state the collector
    /// also touches in its pauses (a TLAB, a buffer: here one cell), while a
    /// collector pauses: loom's cell reports any access by both at once.
    #[test]
    fn detaching_in_native_code_never_races_a_pause() {
        use loom::cell::UnsafeCell;
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let hs = Arc::new(Handshake::new());
            let me = Arc::new(MutatorState::new());
            let tlab = Arc::new(UnsafeCell::new(0usize));
            hs.leave_native(&me);
            hs.enter_native(&me);
            let detacher = {
                let (hs, me, tlab) = (hs.clone(), me.clone(), tlab.clone());
                loom::thread::spawn(move || {
                    // SAFETY: `detach` runs this while `me` runs, when the
                    // collector cannot be in a pause.
                    hs.detach(&me, || tlab.with_mut(|t| unsafe { *t += 1 }));
                })
            };
            hs.stop(std::iter::once(&*me));
            // SAFETY: the world is stopped and `me` is not running.
            tlab.with_mut(|t| unsafe { *t += 10 });
            hs.resume();
            detacher.join().unwrap();
            // SAFETY: both threads are done with the cell.
            assert_eq!(tlab.with(|t| unsafe { *t }), 11);
        });
    }
}
