//! A heap's own helper thread (`movegc-cycle`, `movegc-ahead`), parked while
//! it has nothing to do: started on demand, woken with `unpark`, and told to
//! exit when the heap is dropped. Each thread holds this, not the heap,
//! between rounds, so that dropping the heap is not kept waiting.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::Thread;

use crate::sync::ForkSafeMutex;

/// The thread's handle once started, and whether the heap is gone.
#[derive(Default)]
pub(crate) struct ParkedThread {
    closed: AtomicBool,
    thread: ForkSafeMutex<Option<Thread>>,
}

impl ParkedThread {
    /// Wakes the thread, or starts it as `name` running `body` if it has not
    /// been started; the error when it cannot be spawned.
    pub(crate) fn wake_or_spawn(
        &self,
        name: &str,
        body: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<()> {
        let mut thread = self.thread.lock();
        if let Some(t) = &*thread {
            t.unpark();
            return Ok(());
        }
        let handle = std::thread::Builder::new().name(name.into()).spawn(body)?;
        *thread = Some(handle.thread().clone());
        Ok(())
    }

    /// Wakes the thread, if it was started.
    pub(crate) fn unpark(&self) {
        if let Some(t) = &*self.thread.lock() {
            t.unpark();
        }
    }

    /// The heap is gone: the thread is woken to exit.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.unpark();
    }

    /// Whether the heap is gone (the thread's check, before each round).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// In a forked child: the thread does not exist here.
    pub(crate) fn forget(&self) {
        *self.thread.lock() = None;
    }
}
