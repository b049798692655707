//! `fork()` while a concurrent compaction (mode Move) is in flight: the heap
//! and its shadow are `MADV_DONTFORK`, so the child has no heap (it must not
//! touch it: here it calls `_exit` at once), the parent's pages stay its own,
//! and MOVE keeps working, in the cycle the fork landed in and after it. In a
//! test binary of its own, so that its forks disturb no other test's MOVEs.
//! Needs userfaultfd: on CI (`CI=true`) its absence fails the test; elsewhere
//! it skips, saying why.

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gc_core::Mode;
use movegc_tests::{GraphTest, build_ballast, check_ballast};

const LARGE_LEN: u32 = 5000;
/// The seed of the list's data words.
const SEED: u64 = 0x5eed;

/// Forks a child that touches nothing and exits at once, and reaps it. The
/// child only asks the kernel (`mincore`, which reads no memory there)
/// whether `heap_page` is mapped in it, and exits with status 0 if it is not
/// (the heap is `MADV_DONTFORK`), 1 if it is.
fn fork_and_reap(heap_page: usize) {
    let mut vec = [0u8; 1];
    // SAFETY: the child calls only `mincore`, reads errno and calls `_exit`, all
    // async-signal-safe, so forking a multi-threaded process is sound.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: see above; `vec` has the byte for one page.
        unsafe {
            let r = libc::mincore(heap_page as *mut libc::c_void, 4096, vec.as_mut_ptr());
            let unmapped = r == -1 && *libc::__errno_location() == libc::ENOMEM;
            libc::_exit(if unmapped { 0 } else { 1 });
        }
    }
    let mut status = 0;
    // SAFETY: reaps the child just forked.
    let reaped = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(reaped, pid, "waitpid: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child did not exit with 0 (1: the heap was mapped in it): status {status:#x}"
    );
}

/// Sets its flag when dropped, however the thread ends.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Two mutators go through budget-triggered collections; right after each
/// one, while its compaction is still placing pages and the other mutator
/// walks its data (faulting on pages in flight), thread 0 forks. The child
/// exits at once; the parent's graphs keep their digests, the cycle
/// completes, and MOVE keeps working: in that cycle and every later one MOVE
/// refuses no page and none switches to COPY, and the forked cycles move
/// pages (those the mutators placed are copied in, not moved).
///
/// Whether a fork lands before its compaction ends is the scheduler's call
/// (about one in two here): the rounds go on past `ROUNDS` until one has, so
/// that the verdict does not depend on it, up to `MAX_ROUNDS`.
#[test]
fn fork_during_a_concurrent_compaction_keeps_move_working() {
    const ROUNDS: usize = 5;
    const MAX_ROUNDS: usize = 40;
    const NODES: usize = 60_000;
    let Some((heap, types)) = movegc_tests::concurrent_heap(Mode::Move, 48 << 20, |b| b) else {
        return;
    };
    let heap_page = heap.moving_space().start;
    let done = Barrier::new(2);
    // Per fork: (the cycle in flight, whether it was still in flight when the
    // child had exited, that cycle's pages moved, and copied because MOVE
    // refused them). Mutators' faults copy their pages in, and the
    // compaction thread copies a page it has no buffer for: a cycle whose
    // pages the mutators placed may move none.
    let forks = std::sync::Mutex::new(Vec::new());
    // Set by thread 0 once it has forked its last time (or failed).
    let forking_done = AtomicBool::new(false);
    movegc_tests::run_each(2, |t| {
        let _forking_done = (t == 0).then(|| SetOnDrop(&forking_done));
        let mut m = heap.attach().map_err(|e| e.to_string())?;
        let mut g = GraphTest::new(types, 40 + t as u64, LARGE_LEN);
        m.scope(|s| {
            let roots = g.root_array(s.mutator()).map_err(|e| e.to_string())?;
            let roots = s.local(Some(roots));
            let head = build_ballast(s, types, SEED, NODES).unwrap();
            let head = s.local(head);
            let mut round = 0;
            loop {
                let more = if t == 0 {
                    let landed = forks
                        .lock()
                        .unwrap()
                        .iter()
                        .any(|f: &(u64, bool, usize, usize)| f.1);
                    round < ROUNDS || (!landed && round < MAX_ROUNDS)
                } else {
                    // Thread 1 goes on walking while thread 0 forks.
                    round < ROUNDS || !forking_done.load(Ordering::Acquire)
                };
                if !more {
                    if t == 0 {
                        forking_done.store(true, Ordering::Release);
                    }
                    break;
                }
                g.mutate(s, roots, 1000).map_err(|e| e.to_string())?;
                let before = g.check(s.get(roots).unwrap())?;
                let seen = s.mutator().heap().stats().collections;
                movegc_tests::allocate_until_collection(s.mutator(), types, seen)
                    .map_err(|e| e.to_string())?;
                if t == 0 {
                    let cycle = s.mutator().heap().stats().collections;
                    fork_and_reap(heap_page);
                    let in_flight = s.mutator().heap().stats().compactions < cycle;
                    // Walk the pages still in flight, then wait for the cycle to end.
                    // No safepoint meanwhile, so no later cycle can start and the
                    // last compaction reported is this one.
                    check_ballast(s.get(head), SEED, NODES)
                        .map_err(|e| format!("round {round}: {e}"))?;
                    let deadline = Instant::now() + Duration::from_secs(20);
                    let last = loop {
                        let st = s.mutator().heap().stats();
                        if st.compactions >= cycle {
                            break st.last_compaction.expect("a compaction");
                        }
                        assert!(Instant::now() < deadline, "cycle {cycle} never ended");
                        std::thread::sleep(Duration::from_millis(1));
                    };
                    assert_eq!(last.cycle, cycle, "the compaction reported: {last}");
                    assert!(!last.switched_to_copy, "the fork made MOVE fail: {last}");
                    forks
                        .lock()
                        .unwrap()
                        .push((cycle, in_flight, last.moved, last.copied_busy));
                } else {
                    check_ballast(s.get(head), SEED, NODES)
                        .map_err(|e| format!("round {round}: {e}"))?;
                }
                let after = g
                    .check(s.get(roots).unwrap())
                    .map_err(|e| format!("round {round}, after the fork: {e}"))?;
                if before != after {
                    return Err(format!("round {round}: digest changed across the cycle"));
                }
                round += 1;
            }
            // One more cycle after the last fork, both threads' data live.
            s.mutator().native(|| done.wait());
            if t == 0 {
                s.mutator().collect().map_err(|e| e.to_string())?;
            }
            s.mutator().native(|| done.wait());
            check_ballast(s.get(head), SEED, NODES)?;
            g.check(s.get(roots).unwrap())?;
            Ok(())
        })
    });
    let s = movegc_tests::check_page_accounting(&heap);
    let forks = forks.into_inner().unwrap();
    eprintln!(
        "forks (cycle, in flight when the child had exited, pages moved, refused): {forks:?}"
    );
    assert!(forks.len() >= ROUNDS, "{} forks", forks.len());
    assert!(
        forks.iter().any(|&(_, in_flight, _, _)| in_flight),
        "in {MAX_ROUNDS} rounds no fork landed while a compaction was in flight: the test \
         proved nothing"
    );
    for &(cycle, _, _, refused) in &forks {
        assert_eq!(
            refused, 0,
            "cycle {cycle}, forked during: MOVE refused pages"
        );
    }
    assert!(
        forks.iter().any(|&(_, _, moved, _)| moved > 0),
        "no cycle forked during moved a page: {forks:?}"
    );
    assert_eq!(s.switched_to_copy, 0, "MOVE met EBUSY after a fork: {s:?}");
    let last = s.last_compaction.as_ref().expect("a compaction");
    assert!(
        last.cycle > forks.last().unwrap().0 && last.moved > 0 && !last.switched_to_copy,
        "the cycle after the last fork: {last}"
    );
}
