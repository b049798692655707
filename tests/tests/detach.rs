//! Regressions from an embedding tried as a new user would (issue 13): large
//! objects allocated while a cycle sweeps, mutators dropped in native code or
//! kept in thread-locals, and out-of-memory that must mean the live data
//! leaves no room. Move mode needs userfaultfd: on CI (`CI=true`) its absence
//! fails the test; elsewhere that mode skips, saying why.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gc_core::inject::Injection;
use gc_core::{GcError, Heap, Mode, Mutator, ObjRef};
use movegc_tests::{Types, concurrent_heap};

/// Bytes of the large byte arrays: above the default 32 KiB threshold.
const LARGE: u32 = 40 << 10;

/// The byte a large array `i` holds at `at`.
fn pattern(i: usize, at: usize) -> u8 {
    (i.wrapping_mul(31) ^ at.wrapping_mul(7)) as u8
}

/// Large objects are allocated black while a cycle marks and sweeps
/// concurrently; each allocation stalls between taking its block and
/// returning it (as if preempted there), so the sweep meets blocks in the
/// middle of their allocation. Every one must survive with its contents:
/// before the fix the sweep freed a block whose mark bit was not yet set,
/// and a later allocation was handed the same memory (the verifier, on here,
/// also finds a reference to a block the large space no longer holds).
fn large_objects_allocated_during_a_sweep_survive(mode: Mode) {
    let Some((heap, types)) = concurrent_heap(mode, 64 << 20, |b| {
        b.inject(Injection {
            large_alloc_delay: Some(Duration::from_micros(300)),
            ..Injection::default()
        })
    }) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        // Ballast, so that marking takes a while.
        let ballast = s.local(None);
        for _ in 0..50_000 {
            let node = s.mutator().alloc(types.node, 0).unwrap();
            let head = s.get(ballast);
            // SAFETY: a fresh node's reference slot; the list's head, read
            // after the allocation.
            unsafe { s.mutator().write_ref(node, 8, head) };
            s.set(ballast, Some(node));
        }
        // A ring of kept arrays: each new one replaces the oldest, which
        // becomes garbage for the sweep to free and later blocks to reuse.
        let ring: Vec<_> = (0..48).map(|_| s.local(None)).collect();
        let mut held = vec![None; ring.len()];
        let mut allocated = 0usize;
        // How many arrays one collection sees allocated is the scheduler's
        // call: ten collections, and more (up to 100) until 20 arrays were.
        let mut collections = 0;
        while collections < 10 || (allocated < 20 && collections < 100) {
            collections += 1;
            let collector = {
                let heap = heap.clone();
                std::thread::spawn(move || heap.collect())
            };
            while !collector.is_finished() {
                let i = allocated;
                allocated += 1;
                let obj = s.mutator().alloc(types.blob, LARGE).unwrap();
                for at in (0..LARGE as usize).step_by(509) {
                    // SAFETY: inside the fresh array's bytes, after its header.
                    unsafe { *obj.byte_ptr(8 + at) = pattern(i, at) };
                }
                s.set(ring[i % ring.len()], Some(obj));
                held[i % ring.len()] = Some(i);
                s.mutator().safepoint();
                for (slot, &index) in ring.iter().zip(&held) {
                    if let (Some(obj), Some(index)) = (s.get(*slot), index) {
                        check_pattern(obj, index).unwrap();
                    }
                }
            }
            collector
                .join()
                .unwrap()
                .expect("the collection (verifier on)");
        }
        assert!(
            allocated >= 20,
            "only {allocated} arrays allocated during {collections} collections"
        );
    });
    m.collect()
        .expect("a last collection, verifying the one before");
}

/// Checks that `obj` is large array `i`, its bytes intact.
fn check_pattern(obj: ObjRef, i: usize) -> Result<(), String> {
    for at in (0..LARGE as usize).step_by(509) {
        // SAFETY: a live array's bytes; no safepoint while reading.
        let b = unsafe { *obj.byte_ptr(8 + at) };
        if b != pattern(i, at) {
            return Err(format!(
                "large array {i} at {:#x}, byte {at}: {b} where {} was written",
                obj.addr(),
                pattern(i, at)
            ));
        }
    }
    Ok(())
}

#[test]
fn large_objects_allocated_during_a_sweep_survive_stw() {
    large_objects_allocated_during_a_sweep_survive(Mode::StopTheWorld);
}

#[test]
fn large_objects_allocated_during_a_sweep_survive_move() {
    large_objects_allocated_during_a_sweep_survive(Mode::Move);
}

thread_local! {
    /// Where a VM keeps its thread's mutator.
    static MUTATOR: RefCell<Option<Mutator>> = const { RefCell::new(None) };
}

/// A `Mutator` kept in a `thread_local!` detaches when the thread exits,
/// whatever order Rust destroys the thread's locals in: before the fix the
/// heap's own thread-local was gone by then and the process aborted. Some
/// threads exit in native code, some allocating; afterwards the heap has no
/// mutator left to wait for, and every thread's objects are garbage.
#[test]
fn mutators_in_thread_locals_detach_at_thread_exit() {
    let (table, types) = Types::table();
    let heap = Heap::builder()
        .size(16 << 20)
        .mode(Mode::StopTheWorld)
        .verify(true)
        .types(table)
        .build()
        .unwrap();
    for round in 0..4 {
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let heap = heap.clone();
                std::thread::spawn(move || {
                    MUTATOR.with(|m| *m.borrow_mut() = Some(heap.attach().unwrap()));
                    MUTATOR.with(|m| {
                        let mut m = m.borrow_mut();
                        let m = m.as_mut().unwrap();
                        for _ in 0..1000 {
                            m.alloc(types.node, 0).unwrap();
                        }
                        if (t + round) % 2 == 0 {
                            m.enter_native();
                        }
                    });
                    assert!(
                        matches!(heap.attach(), Err(GcError::AlreadyAttached)),
                        "the thread-local mutator is still attached"
                    );
                })
            })
            .collect();
        for t in threads {
            t.join()
                .expect("a thread with a thread-local mutator exited");
        }
        // A mutator left attached would hold up this collection for ever.
        heap.collect().expect("a verified collection");
    }
    let stats = heap.stats();
    assert!(stats.collections >= 4, "{} collections", stats.collections);
    assert_eq!(stats.used, 0, "the exited threads' objects are garbage");
}

/// Out of memory means the live data leaves no room. Under 1 MiB stays
/// reachable in a 64 MiB heap while three threads allocate garbage without
/// pause; another allocates 16 MiB arrays one after another, keeping only the
/// last. Every one must succeed: before the fix, such an allocation gave up
/// after two cycles whose freed memory the other threads had taken.
fn out_of_memory_only_when_live_data_fills_the_heap(mode: Mode) {
    let Some((heap, types)) = concurrent_heap(mode, 64 << 20, |b| b.verify(false)) else {
        return;
    };
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                let mut m = heap.attach().unwrap();
                m.scope(|s| {
                    let keep = s.local(None);
                    let mut n = 0u32;
                    while !done.load(Ordering::Relaxed) {
                        let obj = s.mutator().alloc(types.blob, 200 + n % 3000).unwrap();
                        if n % 4096 == 0 {
                            s.set(keep, Some(obj));
                        }
                        n = n.wrapping_add(1);
                    }
                });
            });
        }
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let ballast = s.alloc(types.refs, 100_000).unwrap();
            let _ = ballast;
            let big = s.local(None);
            for i in 0..24 {
                match s.mutator().alloc(types.blob, 16 << 20) {
                    Ok(obj) => s.set(big, Some(obj)),
                    Err(e) => {
                        done.store(true, Ordering::Relaxed);
                        panic!("allocation {i} of 16 MiB failed with one such array and under 1 MiB else live: {e}");
                    }
                }
            }
        });
        done.store(true, Ordering::Relaxed);
    });
    let stats = heap.stats();
    assert!(stats.collections >= 6, "{} collections", stats.collections);
}

#[test]
fn out_of_memory_only_when_live_data_fills_the_heap_stw() {
    out_of_memory_only_when_live_data_fills_the_heap(Mode::StopTheWorld);
}

#[test]
fn out_of_memory_only_when_live_data_fills_the_heap_move() {
    out_of_memory_only_when_live_data_fills_the_heap(Mode::Move);
}

/// A real out-of-memory names the live bytes, the request and the largest
/// free extent; an object above the size limit names the limit.
#[test]
fn out_of_memory_and_too_large_say_why() {
    let (table, types) = Types::table();
    let heap = Heap::builder()
        .size(8 << 20)
        .mode(Mode::StopTheWorld)
        .types(table)
        .build()
        .unwrap();
    let mut m = heap.attach().unwrap();
    let e = m.alloc(types.blob, 6 << 20).unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(e, GcError::TooLarge { size, limit, .. } if size == 8 + (6 << 20) && limit == 4 << 20),
        "{e:?}"
    );
    assert!(
        text.contains("4194304 bytes, half the heap's size"),
        "{text}"
    );
    m.scope(|s| {
        let a = s.alloc(types.blob, 3 << 20).unwrap();
        let b = s.alloc(types.blob, 3 << 20).unwrap();
        let e = s.mutator().alloc(types.blob, 3 << 20).unwrap_err();
        let GcError::OutOfMemory {
            requested,
            heap_size,
            live_bytes,
            largest_free,
            ..
        } = e
        else {
            panic!("{e:?}");
        };
        assert_eq!((requested, heap_size), (8 + (3 << 20), 8 << 20));
        assert_eq!(live_bytes, 2 * (8 + (3 << 20)), "the two arrays held");
        assert!(largest_free < requested, "{largest_free}");
        let text = e.to_string();
        assert!(
            text.contains("6.0 MiB of the 8.0 MiB heap is live"),
            "{text}"
        );
        let _ = (a, b);
    });
    m.alloc(types.blob, 3 << 20)
        .expect("room once the arrays are garbage");
}

/// `Heap::collect` and `Heap::attach` on a thread whose mutator runs are
/// refused with an error, also while another thread's collection has the
/// world stopped and waits for this very mutator: the check takes no lock a
/// pause holds (it did, and the two threads waited for each other for ever).
#[test]
fn misuse_from_a_running_mutator_is_refused_during_pauses() {
    let (table, types) = Types::table();
    let heap = Heap::builder()
        .size(16 << 20)
        .mode(Mode::StopTheWorld)
        .types(table)
        .build()
        .unwrap();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                heap.collect().unwrap();
            }
        });
        let mut m = heap.attach().unwrap();
        let mut rounds = 0;
        while rounds < 2000 || heap.stats().collections < 20 {
            rounds += 1;
            assert!(matches!(
                heap.collect(),
                Err(GcError::CollectFromMutatorThread)
            ));
            assert!(matches!(heap.attach(), Err(GcError::AlreadyAttached)));
            m.alloc(types.node, 0).unwrap();
            m.safepoint();
        }
        done.store(true, Ordering::Relaxed);
    });
    assert!(heap.stats().collections >= 20);
}
