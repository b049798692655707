//! The cycles that allocations request run on one thread of the heap's, for
//! the heap's life, and that thread exits when the heap is dropped. Every
//! mode: Move and Copy need userfaultfd (on CI, `CI=true`, its absence fails
//! the test; elsewhere those modes skip, saying why).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gc_core::{Mode, RootScanner, RootVisitor};
use movegc_tests::concurrent_heap;

/// Records the kernel's id of the thread each pause runs on.
struct PauseThreads(Arc<Mutex<Vec<libc::pid_t>>>);

impl RootScanner for PauseThreads {
    fn scan_roots(&mut self, _roots: &mut RootVisitor<'_>) {
        // SAFETY: gettid has no arguments and cannot fail.
        let tid = unsafe { libc::gettid() };
        self.0.lock().unwrap().push(tid);
    }
}

/// Whether thread `tid` of this process still exists.
fn alive(tid: libc::pid_t) -> bool {
    std::path::Path::new(&format!("/proc/self/task/{tid}")).exists()
}

fn one_thread_for_the_heaps_life(mode: Mode) {
    let tids = Arc::new(Mutex::new(Vec::new()));
    let Some((heap, types)) = concurrent_heap(mode, 32 << 20, |b| {
        b.root_scanner(Box::new(PauseThreads(tids.clone())))
    }) else {
        return;
    };
    // SAFETY: as above.
    let me = unsafe { libc::gettid() };
    let mut m = heap.attach().unwrap();
    for _ in 0..4 {
        let seen = m.heap().stats().collections;
        movegc_tests::allocate_until_collection(&mut m, types, seen).unwrap();
    }
    if mode != Mode::StopTheWorld {
        movegc_tests::wait_for_compaction(&mut m);
    }
    drop(m);
    let mut seen: Vec<libc::pid_t> = tids.lock().unwrap().clone();
    assert!(seen.len() >= 4, "{mode:?}: pauses seen: {seen:?}");
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen.len(),
        1,
        "{mode:?}: the budget's cycles ran on several threads: {seen:?}"
    );
    let cycle = seen[0];
    assert_ne!(cycle, me, "{mode:?}: a cycle ran on the allocating thread");
    assert!(
        alive(cycle),
        "{mode:?}: the cycle thread exited with the heap alive"
    );
    drop(heap);
    let start = Instant::now();
    while alive(cycle) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{mode:?}: the cycle thread outlived its heap by 30 s"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn budget_cycles_run_on_one_thread_for_the_heaps_life() {
    for mode in [Mode::StopTheWorld, Mode::Move, Mode::Copy] {
        one_thread_for_the_heaps_life(mode);
    }
}
