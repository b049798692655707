//! The stop-the-world collector against a model: random graphs (cycles,
//! self-references, large objects, arrays, tagged slots) mutated by 1, 2 and 8
//! threads, collected over and over with the verifier on, must stay exactly
//! what the model says.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use gc_core::{GcError, Heap, Mode};
use movegc_tests::{GraphTest, Types};

const LARGE_LEN: u32 = 5000;

fn heap(size: usize, verify: bool) -> (Heap, Types) {
    let (table, types) = Types::table();
    let heap = Heap::builder()
        .size(size)
        .mode(Mode::StopTheWorld)
        .gc_threads(2)
        .verify(verify)
        .types(table)
        .build()
        .expect("heap");
    (heap, types)
}

fn run(threads: usize, rounds: usize, batch: usize) {
    let (heap, types) = heap(24 << 20, true);
    movegc_tests::run_threads(&heap, types, threads, rounds, batch, LARGE_LEN);
    let stats = heap.stats();
    assert!(
        stats.collections >= rounds as u64 / 4,
        "collections ran: {}",
        stats.collections
    );
    assert!(stats.objects_moved > 0, "objects moved");
}

#[test]
fn one_thread_graph_survives_every_collection() {
    run(1, 40, 2000);
}

#[test]
fn two_threads_graphs_survive_every_collection() {
    run(2, 24, 2000);
}

#[test]
fn eight_threads_graphs_survive_every_collection() {
    run(8, 12, 1500);
}

#[test]
fn allocation_pressure_collects_without_being_asked() {
    let (heap, types) = heap(8 << 20, false);
    let mut m = heap.attach().unwrap();
    let mut g = GraphTest::new(types, 7, LARGE_LEN);
    m.scope(|s| {
        let array = g.root_array(s.mutator()).unwrap();
        let roots = s.local(Some(array));
        // Allocate four times the heap: whatever the policy, that takes at least
        // three collections, each of which the model check must survive.
        while s.mutator().heap().stats().bytes_allocated < 4 * (8 << 20) {
            g.mutate(s, roots, 3000).unwrap();
            g.check(s.get(roots).unwrap()).unwrap();
        }
    });
    let stats = heap.stats();
    assert!(
        stats.collections >= 3,
        "only {} collections",
        stats.collections
    );
    assert!(stats.pauses.iter().all(|p| !p.duration.is_zero()));
}

#[test]
fn out_of_memory_is_an_error_and_the_heap_stays_usable() {
    let (heap, types) = heap(4 << 20, false);
    let mut m = heap.attach().unwrap();
    let kept = m.scope(|s| {
        let list = s.local(None);
        let mut kept = 0usize;
        loop {
            match s.alloc(types.refs, 1000) {
                Ok(cell) => {
                    let (cell, prev) = (s.get(cell).unwrap(), s.get(list));
                    // SAFETY: `cell` is fresh, slot 8 is a reference slot.
                    unsafe { s.mutator().write_ref(cell, 8, prev) };
                    s.set(list, Some(cell));
                    kept += 1;
                }
                Err(
                    ref e @ GcError::OutOfMemory {
                        requested,
                        heap_size,
                        live_bytes,
                        largest_free,
                        ..
                    },
                ) => {
                    assert_eq!(requested, 8 + 1000 * 8);
                    assert_eq!(heap_size, 4 << 20);
                    let measured = kept * requested;
                    assert!(
                        live_bytes >= measured && live_bytes < measured + (64 << 10),
                        "live {live_bytes}, {kept} arrays of {requested} bytes reachable"
                    );
                    assert!(largest_free < requested, "{largest_free} bytes free");
                    let text = e.to_string();
                    assert!(
                        text.contains("4.0 MiB heap") && text.contains("raise the heap size"),
                        "{text}"
                    );
                    break kept;
                }
                Err(e) => panic!("unexpected {e}"),
            }
        }
    });
    assert!(kept > 300);
    // The list is unreachable now: the heap has room again.
    for _ in 0..10_000 {
        m.alloc(types.refs, 1000)
            .expect("room after the garbage is collected");
    }
}

#[test]
fn unregistered_types_and_impossible_sizes_are_refused() {
    let (heap, types) = heap(4 << 20, false);
    let mut m = heap.attach().unwrap();
    let e = m.alloc(gc_core::TypeId(4242), 0).unwrap_err();
    assert!(matches!(e, GcError::UnknownType(4242)));
    assert!(e.to_string().contains("not registered"), "{e}");
    assert!(matches!(
        m.alloc(gc_core::TypeId(0), 1),
        Err(GcError::UnknownType(0))
    ));
    let e = m.alloc(types.blob, u32::MAX).unwrap_err();
    assert!(matches!(e, GcError::TooLarge { .. }), "{e}");
    assert!(matches!(heap.attach(), Err(GcError::AlreadyAttached)));
    assert!(matches!(
        heap.collect(),
        Err(GcError::CollectFromMutatorThread)
    ));
}

#[test]
fn the_verifier_reports_a_planted_bad_reference() {
    let (heap, types) = heap(4 << 20, true);
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let a = s.alloc(types.node, 0).unwrap();
        let b = s.alloc(types.node, 0).unwrap();
        let (a, b) = (s.get(a).unwrap(), s.get(b).unwrap());
        // Plant an interior pointer: 8 bytes into `b`.
        // SAFETY: `a` and `b` are live nodes; slot 16 is a reference slot.
        unsafe { a.write_word(16, b.addr() + 8) };
        let err = s.mutator().collect().unwrap_err();
        let text = err.to_string();
        let GcError::Corrupt(errors) = err else {
            panic!("expected a verifier report, got {text}")
        };
        assert_eq!(errors.len(), 1, "{text}");
        assert_eq!((errors[0].object, errors[0].offset), (a.addr(), Some(16)));
        assert!(
            text.contains("node")
                && text.contains("slot +16")
                && text.contains("not the start of an object"),
            "{text}"
        );
        // Repaired, the heap collects again.
        // SAFETY: as above.
        unsafe { s.mutator().write_ref(a, 16, Some(b)) };
        s.mutator().collect().expect("a sound heap collects");
    });
}

#[test]
fn two_heaps_in_one_process_are_independent() {
    let (h1, t1) = heap(8 << 20, true);
    let (h2, t2) = heap(8 << 20, true);
    let (mut m1, mut m2) = (h1.attach().unwrap(), h2.attach().unwrap());
    let mut g1 = GraphTest::new(t1, 1, LARGE_LEN);
    let mut g2 = GraphTest::new(t2, 2, LARGE_LEN);
    m1.scope(|s1| {
        let r1 = g1.root_array(s1.mutator()).unwrap();
        let r1 = s1.local(Some(r1));
        m2.scope(|s2| {
            let r2 = g2.root_array(s2.mutator()).unwrap();
            let r2 = s2.local(Some(r2));
            for _ in 0..5 {
                g1.mutate(s1, r1, 1000).unwrap();
                g2.mutate(s2, r2, 1000).unwrap();
                let d2 = g2.check(s2.get(r2).unwrap()).unwrap();
                s1.mutator().collect().unwrap();
                assert_eq!(
                    g2.check(s2.get(r2).unwrap()).unwrap(),
                    d2,
                    "heap 2 is untouched by heap 1's collection"
                );
                g1.check(s1.get(r1).unwrap()).unwrap();
            }
        });
    });
    assert!(h1.stats().collections >= 5);
    assert_eq!(h2.stats().collections, 0);
}

/// A thread blocked in native code does not hold up collections, and when it
/// leaves native code its handles have been rewritten like everyone's.
#[test]
fn threads_in_native_code_do_not_block_collections() {
    let (heap, types) = heap(16 << 20, true);
    let (to_sleeper, sleeper_rx) = std::sync::mpsc::channel::<()>();
    let (to_main, main_rx) = std::sync::mpsc::channel::<()>();
    let h = heap.clone();
    let sleeper = std::thread::spawn(move || {
        let mut m = h.attach().unwrap();
        let mut g = GraphTest::new(types, 99, LARGE_LEN);
        m.scope(|s| {
            let array = g.root_array(s.mutator()).unwrap();
            let roots = s.local(Some(array));
            g.mutate(s, roots, 2000).unwrap();
            let before = g.check(s.get(roots).unwrap()).unwrap();
            // Block in native code until the main thread has collected.
            s.mutator().native(|| {
                to_main.send(()).unwrap();
                sleeper_rx.recv().unwrap();
            });
            let after = g.check(s.get(roots).unwrap()).unwrap();
            assert_eq!(before, after);
        });
    });
    main_rx.recv().unwrap();
    for _ in 0..3 {
        heap.collect()
            .expect("collects while the other thread is in native code");
    }
    to_sleeper.send(()).unwrap();
    sleeper.join().unwrap();
    assert!(heap.stats().collections >= 3);
}

/// Mutators attach, allocate and detach over and over (more threads than
/// cores) while another thread keeps collecting.
///
/// The collector and the workers start together, and the workers go on past
/// their rounds until the collector has run `COLLECTIONS` collections, so that
/// they did come and go during collections whatever the scheduling (in
/// release they can otherwise finish before the collector's first one).
#[test]
fn mutators_come_and_go_during_collections() {
    const WORKERS: usize = 4;
    const ROUNDS: usize = 20;
    const COLLECTIONS: usize = 3;
    const LIMIT: Duration = Duration::from_secs(60);
    let (heap, types) = heap(16 << 20, true);
    let stop = Arc::new(AtomicBool::new(false));
    // Collections the collector thread has finished.
    let collected = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(WORKERS + 1));
    let collector = {
        let (heap, stop) = (heap.clone(), stop.clone());
        let (collected, start) = (collected.clone(), start.clone());
        std::thread::spawn(move || {
            start.wait();
            while !stop.load(Ordering::Relaxed) {
                heap.collect().unwrap();
                collected.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let deadline = Instant::now() + LIMIT;
    let workers: Vec<_> = (0..WORKERS)
        .map(|t| {
            let heap = heap.clone();
            let (collected, start) = (collected.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let mut round = 0;
                while round < ROUNDS || collected.load(Ordering::Relaxed) < COLLECTIONS {
                    assert!(
                        Instant::now() < deadline,
                        "after {LIMIT:?} and {round} rounds, the collector had run {} of \
                         {COLLECTIONS} collections",
                        collected.load(Ordering::Relaxed)
                    );
                    let mut m = heap.attach().unwrap();
                    let mut g = GraphTest::new(types, (t * 100 + round) as u64, LARGE_LEN);
                    m.scope(|s| {
                        let array = g.root_array(s.mutator()).unwrap();
                        let roots = s.local(Some(array));
                        g.mutate(s, roots, 300).unwrap();
                        g.check(s.get(roots).unwrap()).unwrap();
                    });
                    round += 1;
                }
            })
        })
        .collect();
    // Every worker joined before the collector is stopped, and the collector
    // stopped before any failure is reported, so that no thread runs on.
    let finished: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
    stop.store(true, Ordering::Relaxed);
    collector.join().unwrap();
    for worker in finished {
        if let Err(panic) = worker {
            std::panic::resume_unwind(panic);
        }
    }
    assert!(collected.load(Ordering::Relaxed) >= COLLECTIONS);
}
