//! `fork()` with a heap the child keeps: `prepare_to_fork`, then `parent()` or
//! `child()`. The child inherits the heap with a non-trivial object graph
//! (large objects included), checks it, allocates and collects several times
//! in the heap's mode with the verifier on, and checks it again; the parent
//! does the same meanwhile, and its compactions after the fork still move
//! pages. Other threads' mutators, parked at the fork, do not exist in the
//! child. A plain fork afterwards still gives the child no heap.
//!
//! Without `prepare_to_fork` (the heap is `MADV_DONTFORK`) these children
//! die of SIGSEGV at their first touch of the heap.
//!
//! In a test binary of its own (tests here run one at a time), so that its
//! forks disturb no other test's MOVEs. Needs userfaultfd for Move and Copy:
//! on CI (`CI=true`) its absence fails those tests; elsewhere they skip,
//! saying why.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex, MutexGuard};
use std::time::Duration;

use gc_core::{
    CompactionStats, GcError, HandleScope, Heap, Local, Mode, TypeDescriptor, TypeError,
};
use movegc_tests::{GraphTest, Types, build_ballast, check_ballast};

const LARGE_LEN: u32 = 5000;
/// The seed of the list's data words.
const SEED: u64 = 0x5eed;
/// Nodes of the list each graph has beside it.
const NODES: usize = 20_000;
/// Collections each process runs after the fork.
const CYCLES: usize = 3;

/// Tests here fork: one at a time, so that a child inherits no other test's
/// half-done work.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A heap in `mode` with the verifier on, or `None` (the reason printed)
/// where the mode cannot run here.
fn heap(mode: Mode) -> Option<(Heap, Types)> {
    movegc_tests::concurrent_heap(mode, 64 << 20, |b| b)
}

/// One line on stderr, with one `write(2)`: in a forked child the test
/// harness's capture of the output would be lost.
fn say(msg: &str) {
    let line = format!("{msg}\n");
    // SAFETY: writes a buffer we own to file descriptor 2.
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
}

/// In a forked child: runs `f` and exits, with status 0 if it succeeds, 1 if
/// it fails and 2 if it panics (saying why on stderr). Never returns: the
/// child must not go on into the test harness.
fn exit_child(f: impl FnOnce() -> Result<(), String>) -> ! {
    let status = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            say(&format!("child: {e}"));
            1
        }
        Err(panic) => {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            say(&format!("child panicked: {why}"));
            2
        }
    };
    // SAFETY: ends the child without running the parent's exit handlers.
    unsafe { libc::_exit(status) }
}

fn fork() -> libc::pid_t {
    // SAFETY: the parent's threads are stopped (or in native code) by
    // `prepare_to_fork`, or the child only makes async-signal-safe calls.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    pid
}

/// Waits for child `pid`: `Ok` if it exited with status 0. A child still
/// running after a minute is stuck (a lock held by a thread it does not
/// have): it is killed, and that is an error.
fn reap(pid: libc::pid_t) -> Result<(), String> {
    let mut status = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        // SAFETY: reaps our own child, without blocking.
        let reaped = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if reaped == pid {
            break;
        }
        if reaped != 0 {
            return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
        }
        if std::time::Instant::now() > deadline {
            // SAFETY: kills and reaps our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return Err("the child hung (killed after 60 s)".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        Ok(())
    } else if libc::WIFSIGNALED(status) {
        Err(format!(
            "the child was killed by signal {}",
            libc::WTERMSIG(status)
        ))
    } else {
        Err(format!(
            "the child exited with status {}",
            libc::WEXITSTATUS(status)
        ))
    }
}

/// A plain fork (no `prepare_to_fork`): the child only asks the kernel
/// whether `heap_page` is mapped in it (`mincore`, which reads no memory).
/// It must not be: the heap is `MADV_DONTFORK` again.
fn plain_fork_has_no_heap(heap_page: usize) -> Result<(), String> {
    let mut vec = [0u8; 1];
    let pid = fork();
    if pid == 0 {
        // SAFETY: `mincore`, errno and `_exit` are async-signal-safe.
        unsafe {
            let r = libc::mincore(heap_page as *mut libc::c_void, 4096, vec.as_mut_ptr());
            let unmapped = r == -1 && *libc::__errno_location() == libc::ENOMEM;
            libc::_exit(if unmapped { 0 } else { 1 });
        }
    }
    reap(pid)
        .map_err(|e| format!("a plain fork after a prepared one: {e} (1: the heap was mapped)"))
}

/// A graph and a list, rooted in a scope's handles.
struct World<'s> {
    g: GraphTest,
    roots: Local<'s>,
    head: Local<'s>,
}

impl<'s> World<'s> {
    fn build(s: &mut HandleScope<'s>, types: Types, seed: u64) -> Result<Self, String> {
        let mut g = GraphTest::new(types, seed, LARGE_LEN);
        let array = g.root_array(s.mutator()).map_err(|e| e.to_string())?;
        let roots = s.local(Some(array));
        let head = build_ballast(s, types, SEED, NODES).map_err(|e| e.to_string())?;
        let head = s.local(head);
        g.mutate(s, roots, 4000).map_err(|e| e.to_string())?;
        Ok(World { g, roots, head })
    }

    /// Checks the graph and the list; returns the graph's digest.
    fn check(&self, s: &HandleScope<'s>) -> Result<u64, String> {
        check_ballast(s.get(self.head), SEED, NODES)?;
        self.g
            .check(s.get(self.roots).ok_or("the root array is lost")?)
    }

    /// `CYCLES` rounds of mutation, a check, a collection (the compaction
    /// done when it returns) and the same digest demanded after it; then one
    /// more collection, whose verifier checks the last compaction. Returns
    /// each round's compaction (concurrent modes).
    fn collect_rounds(
        &mut self,
        s: &mut HandleScope<'s>,
        who: &str,
    ) -> Result<Vec<CompactionStats>, String> {
        let mut compactions = Vec::new();
        for round in 0..=CYCLES {
            if round < CYCLES {
                self.g
                    .mutate(s, self.roots, 2000)
                    .map_err(|e| format!("{who}: {e}"))?;
            }
            let before = self
                .check(s)
                .map_err(|e| format!("{who}, round {round}: {e}"))?;
            s.mutator()
                .collect()
                .map_err(|e| format!("{who}, round {round}: {e}"))?;
            let after = self
                .check(s)
                .map_err(|e| format!("{who}, after collection {round}: {e}"))?;
            if before != after {
                return Err(format!("{who}, round {round}: the digest changed"));
            }
            let st = s.mutator().heap().stats();
            if let Some(c) = st.last_compaction.filter(|c| c.cycle == st.collections) {
                say(&format!("{who}: {c}"));
                if round < CYCLES {
                    compactions.push(c);
                }
            }
        }
        Ok(compactions)
    }
}

impl<'s> World<'s> {
    /// Collections the allocation budget triggers (the cycle runs on a thread
    /// of its own, started in this process), each followed at once by a check
    /// of the list and the graph while the compaction places pages: the walk
    /// from the list's oldest node (the lowest address, the compaction works
    /// top-down) faults on pages not yet in place, and this thread's SIGBUS
    /// handler builds them. Rounds until a mutator built a page, at most 5;
    /// returns the pages mutators built.
    fn fault_rounds(
        &self,
        s: &mut HandleScope<'s>,
        types: Types,
        who: &str,
    ) -> Result<u64, String> {
        let built_before = s.mutator().heap().stats().pages_by_mutators;
        // Full cycles: a young one leaves the graph's (old) pages in place,
        // and the mutator would have nothing to fault on.
        let heap = s.mutator().heap().clone();
        heap.set_policy(gc_core::Policy::default().generational(false))
            .map_err(|e| e.to_string())?;
        for round in 0..5 {
            let before = self.check(s)?;
            let seen = s.mutator().heap().stats().collections;
            movegc_tests::allocate_until_collection(s.mutator(), types, seen)
                .map_err(|e| format!("{who}: {e}"))?;
            let after = self
                .check(s)
                .map_err(|e| format!("{who}, fault round {round}: {e}"))?;
            if before != after {
                return Err(format!("{who}, fault round {round}: the digest changed"));
            }
            // Wait (in native code: the heap may pause meanwhile) for the
            // compaction to report.
            let built = loop {
                let st = s.mutator().heap().stats();
                if st.compactions >= st.collections {
                    break st.pages_by_mutators - built_before;
                }
                s.mutator()
                    .native(|| std::thread::sleep(Duration::from_millis(1)));
            };
            if built > 0 {
                return Ok(built);
            }
        }
        Ok(0)
    }
}

/// In Move mode: the first compaction after the fork moves the pages it
/// builds into buffers and copies those still shared (unwritten dense
/// pages); the later ones move everything (no page is shared any more).
fn check_move_after_fork(who: &str, compactions: &[CompactionStats]) -> Result<(), String> {
    if compactions.len() != CYCLES {
        return Err(format!(
            "{who}: {} compactions, not {CYCLES}",
            compactions.len()
        ));
    }
    let first = &compactions[0];
    if first.moved == 0 || first.copied_busy == 0 {
        return Err(format!(
            "{who}: the first compaction after the fork moved nothing, or met no shared page: \
             {first}"
        ));
    }
    for c in &compactions[1..] {
        if c.moved == 0 || c.copied_busy > 0 || c.switched_to_copy {
            return Err(format!("{who}: a later compaction met shared pages: {c}"));
        }
    }
    Ok(())
}

/// A heap with a graph is forked after `prepare_to_fork`; both processes
/// check it, mutate, collect `CYCLES` times in `mode` (verifier on) and check
/// it again. The parent collects while the child runs. In the concurrent
/// modes the child then lets collections run on a cycle thread of its own
/// while it reads pages still in flight (its SIGBUS handler serves them).
fn child_keeps_the_heap(mode: Mode) {
    let _serial = serial();
    let Some((heap, types)) = heap(mode) else {
        return;
    };
    let heap_page = heap.moving_space().start;
    let mut m = heap.attach().unwrap();
    let result = m.scope(|s| {
        let mut w = World::build(s, types, 7)?;
        // Collect once, then make garbage: the heap has a compacted part and
        // a part to slide at the fork.
        s.mutator().collect().map_err(|e| e.to_string())?;
        w.g.mutate(s, w.roots, 4000).map_err(|e| e.to_string())?;
        let before = w.check(s)?;
        let guard = s.mutator().prepare_to_fork().map_err(|e| e.to_string())?;
        let pid = fork();
        if pid == 0 {
            guard.child();
            exit_child(|| {
                let inherited = w
                    .check(s)
                    .map_err(|e| format!("the inherited graph: {e}"))?;
                if inherited != before {
                    return Err("the inherited graph's digest differs".into());
                }
                let compactions = w.collect_rounds(s, "child")?;
                if mode == Mode::Move {
                    check_move_after_fork("child", &compactions)?;
                }
                if mode != Mode::StopTheWorld {
                    let built = w.fault_rounds(s, types, "child")?;
                    say(&format!(
                        "child: {built} page(s) built in its SIGBUS handler"
                    ));
                    if built == 0 {
                        return Err("no fault on the heap was served in the child".into());
                    }
                    w.collect_rounds(s, "child")?;
                }
                Ok(())
            });
        }
        guard.parent();
        let compactions = w.collect_rounds(s, "parent")?;
        reap(pid)?;
        if mode == Mode::Move {
            check_move_after_fork("parent", &compactions)?;
        }
        plain_fork_has_no_heap(heap_page)?;
        Ok::<_, String>(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn child_keeps_the_heap_stop_the_world() {
    child_keeps_the_heap(Mode::StopTheWorld);
}

#[test]
fn child_keeps_the_heap_move() {
    child_keeps_the_heap(Mode::Move);
}

#[test]
fn child_keeps_the_heap_copy() {
    child_keeps_the_heap(Mode::Copy);
}

/// Two other mutator threads mutate and check their graphs, allocating
/// through collections, when the third forks: they are parked (or in native
/// code) at the fork, and do not exist in the child, whose heap still
/// collects, verifies and keeps the forking thread's graph. In the parent
/// they carry on.
fn other_threads_are_gone_in_the_child(mode: Mode) {
    let _serial = serial();
    let Some((heap, types)) = heap(mode) else {
        return;
    };
    let stop = AtomicBool::new(false);
    let started = Barrier::new(3);
    movegc_tests::run_each(3, |t| {
        let mut m = heap.attach().map_err(|e| e.to_string())?;
        m.scope(|s| {
            let mut w = World::build(s, types, 100 + t as u64)?;
            s.mutator().native(|| started.wait());
            if t > 0 {
                let mut rounds = 0;
                while !stop.load(Ordering::Relaxed) {
                    w.g.mutate(s, w.roots, 300).map_err(|e| e.to_string())?;
                    w.check(s).map_err(|e| format!("thread {t}: {e}"))?;
                    let seen = s.mutator().heap().stats().collections;
                    if rounds % 4 == 0 {
                        movegc_tests::allocate_until_collection(s.mutator(), types, seen)
                            .map_err(|e| e.to_string())?;
                    }
                    rounds += 1;
                }
                return w.check(s).map(drop);
            }
            s.mutator()
                .native(|| std::thread::sleep(Duration::from_millis(50)));
            let before = w.check(s)?;
            let guard = s.mutator().prepare_to_fork().map_err(|e| e.to_string())?;
            let pid = fork();
            if pid == 0 {
                guard.child();
                exit_child(|| {
                    if w.check(s)? != before {
                        return Err("the inherited graph's digest differs".into());
                    }
                    w.collect_rounds(s, "child")?;
                    let st = s.mutator().heap().stats();
                    say(&format!("child: {} bytes in use", st.used));
                    Ok(())
                });
            }
            guard.parent();
            let result = w.collect_rounds(s, "parent").map(drop);
            stop.store(true, Ordering::Relaxed);
            result?;
            reap(pid)
        })
    });
}

#[test]
fn other_threads_are_gone_in_the_child_stop_the_world() {
    other_threads_are_gone_in_the_child(Mode::StopTheWorld);
}

#[test]
fn other_threads_are_gone_in_the_child_move() {
    other_threads_are_gone_in_the_child(Mode::Move);
}

/// A thread with no mutator prepares the fork while another mutates; on a
/// thread with a mutator, `Heap::prepare_to_fork` is refused. The child
/// attaches a mutator of its own, builds a graph, collects (from the mutator
/// and from the heap) and checks it.
#[test]
fn a_thread_without_a_mutator_prepares_the_fork() {
    let _serial = serial();
    let Some((heap, types)) = heap(Mode::Move) else {
        return;
    };
    {
        let _m = heap.attach().unwrap();
        assert!(matches!(
            heap.prepare_to_fork(),
            Err(GcError::ForkFromMutatorThread)
        ));
    }
    let stop = AtomicBool::new(false);
    let started = Barrier::new(2);
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let mut m = heap.attach().map_err(|e| e.to_string())?;
            m.scope(|s| {
                let mut w = World::build(s, types, 3)?;
                s.mutator().native(|| started.wait());
                while !stop.load(Ordering::Relaxed) {
                    w.g.mutate(s, w.roots, 300).map_err(|e| e.to_string())?;
                    w.check(s)?;
                }
                Ok::<_, String>(())
            })
        });
        started.wait();
        std::thread::sleep(Duration::from_millis(20));
        let guard = heap.prepare_to_fork().unwrap();
        let pid = fork();
        if pid == 0 {
            guard.child();
            exit_child(|| {
                let mut m = heap.attach().map_err(|e| e.to_string())?;
                m.scope(|s| {
                    let mut w = World::build(s, types, 4)?;
                    w.collect_rounds(s, "child")?;
                    Ok::<_, String>(())
                })?;
                drop(m);
                heap.collect().map_err(|e| e.to_string())
            });
        }
        guard.parent();
        let child = reap(pid);
        stop.store(true, Ordering::Relaxed);
        worker.join().unwrap().unwrap();
        child.unwrap();
    });
}

/// Threads wait for the heap's locks while the fork is prepared: one calls
/// `Heap::collect` in a loop (it waits for the collector lock), one reads
/// `Heap::stats` (the statistics' lock, then the large-object space's), one
/// attaches and detaches a mutator (the mutators' list), one registers types
/// and one holds registrations off for a millisecond at a time (the type
/// table's writers' lock). They are queued on those locks (or on the fork
/// gate before them) at the fork, and do not exist in the child, which must
/// still get every lock: it collects from a mutator and from a new thread,
/// reads the statistics, registers a type, and attaches a new thread. Each
/// takes its lock again as soon as it lets it go: the preparation must still
/// get every lock at once (without the gate it waited minutes on an idle
/// machine).
#[test]
fn threads_waiting_for_the_heap_at_the_fork_leave_no_lock_held() {
    let _serial = serial();
    let Some((heap, types)) = heap(Mode::Move) else {
        return;
    };
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let waiters = [
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    heap.collect().unwrap();
                }
            }),
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    std::hint::black_box(heap.stats());
                }
            }),
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    drop(heap.attach().unwrap());
                }
            }),
            scope.spawn(|| {
                // Holds the registrations' lock most of the time, as a slow
                // registration would.
                while !stop.load(Ordering::Relaxed) {
                    let held = heap.types().lock_registrations();
                    std::thread::sleep(Duration::from_millis(1));
                    drop(held);
                }
            }),
            scope.spawn(|| {
                // Once the table is full, each call still takes its lock.
                while !stop.load(Ordering::Relaxed) {
                    match heap.register_type(TypeDescriptor::bytes("waiter")) {
                        Ok(_) | Err(GcError::Type(TypeError::TooMany { .. })) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            }),
        ];
        let mut m = heap.attach().unwrap();
        let result = m.scope(|s| {
            let mut w = World::build(s, types, 11)?;
            for _ in 0..3 {
                let guard = s.mutator().prepare_to_fork().map_err(|e| e.to_string())?;
                // Long enough for every waiter to be queued (parked) on a lock.
                std::thread::sleep(Duration::from_millis(20));
                let pid = fork();
                if pid == 0 {
                    guard.child();
                    exit_child(|| {
                        w.collect_rounds(s, "child")?;
                        std::hint::black_box(s.mutator().heap().stats());
                        let heap = s.mutator().heap().clone();
                        match heap.register_type(TypeDescriptor::bytes("child")) {
                            Ok(ty) => drop(s.mutator().alloc(ty, 3).map_err(|e| e.to_string())?),
                            Err(GcError::Type(TypeError::TooMany { .. })) => {}
                            Err(e) => return Err(e.to_string()),
                        }
                        // In native code meanwhile: the new thread's collection
                        // does not wait for this mutator.
                        s.mutator().native(|| {
                            std::thread::scope(|scope| {
                                scope
                                    .spawn(|| {
                                        heap.collect().map_err(|e| e.to_string())?;
                                        let mut m = heap.attach().map_err(|e| e.to_string())?;
                                        m.alloc(types.node, 0).map_err(|e| e.to_string())?;
                                        Ok::<_, String>(())
                                    })
                                    .join()
                                    .map_err(|_| "the child's new thread panicked".to_string())?
                            })
                        })
                    });
                }
                guard.parent();
                w.check(s)?;
                reap(pid)?;
            }
            Ok::<_, String>(())
        });
        stop.store(true, Ordering::Relaxed);
        // Detached first: a running mutator would hold up the waiters' pauses.
        drop(m);
        for w in waiters {
            w.join().unwrap();
        }
        if let Err(e) = result {
            panic!("{e}");
        }
    });
}
