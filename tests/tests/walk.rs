//! Heap walks and the type histogram, in every mode: a walk finds exactly the
//! objects allocated (and, after collections, exactly those kept), in both
//! spaces, with the sizes the type table gives; it stops the mutators that
//! allocate meanwhile and sees every object they published whole; its
//! visitor is refused what would wait for the walk itself.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex, MutexGuard};

use gc_core::{GcError, Heap, Live, Mode, Mutator, ObjRef, Policy, TypeId, WalkedObject};
use movegc_tests::{NODE_SIZE, Types, build_or_skip};

const MODES: [Mode; 3] = [Mode::StopTheWorld, Mode::Move, Mode::Copy];

/// The large-object threshold (the default).
const LARGE_THRESHOLD: usize = 32 << 10;
/// Long enough to go to the large-object space.
const LARGE_LEN: u32 = 5000;
const LARGE_BLOB: u32 = 40_000;

/// A heap whose cycles run only when asked: the budget between cycles is
/// larger than anything a test allocates, so a walk of the allocated objects
/// sees no collection the test did not run.
fn heap(mode: Mode) -> Option<(Heap, Types)> {
    let (_, types) = Types::table();
    let heap = build_or_skip(|| {
        let (table, _) = Types::table();
        Heap::builder()
            .size(64 << 20)
            .mode(mode)
            .gc_threads(2)
            .verify(true)
            .policy(Policy::default().young_budget(Some(40 << 20)))
            .types(table)
    })?;
    assert_eq!(heap.mode(), mode);
    Some((heap, types))
}

/// Objects and bytes per type id.
type Tally = BTreeMap<u32, (usize, usize)>;

fn add(tally: &mut Tally, ty: TypeId, size: usize) {
    let line = tally.entry(ty.0).or_default();
    line.0 += 1;
    line.1 += size;
}

/// What the walk of `live` objects finds, checked object by object (its
/// size is the type table's for its length, and it lies in the large-object
/// space exactly when it is large) and, for the allocated objects, against
/// the histogram of the same objects taken right after.
fn walk_and_histogram(m: &mut Mutator, live: Live) -> Tally {
    let (table, _) = Types::table();
    let mut tally = Tally::new();
    let mut objects = Vec::new();
    let visited = m
        .walk(live, |o: WalkedObject| {
            add(&mut tally, o.ty, o.size);
            objects.push(o);
        })
        .expect("walk");
    // Taken after the walk: a reachable walk compacts first.
    let moving = m.heap().moving_space();
    let misplaced: Vec<_> = objects
        .iter()
        .filter(|o| {
            table.get(o.ty.0).map(|d| d.size(o.len)) != Some(o.size)
                || (o.size >= LARGE_THRESHOLD) == moving.contains(&o.obj.addr())
        })
        .collect();
    assert!(misplaced.is_empty(), "{misplaced:?}");
    assert_eq!(visited, objects.len());
    if live == Live::Allocated {
        let h = m.histogram(live).expect("histogram");
        let from_histogram: Tally = h
            .types
            .iter()
            .map(|t| (t.ty.0, (t.count, t.bytes)))
            .collect();
        assert_eq!(from_histogram, tally, "the histogram differs from the walk");
        assert_eq!(h.objects, visited);
        assert_eq!(h.bytes, tally.values().map(|l| l.1).sum::<usize>());
        assert!(h.types.windows(2).all(|w| w[0].bytes >= w[1].bytes), "{h}");
        for t in &h.types {
            assert_eq!(Some(t.name.as_str()), table.get(t.ty.0).map(|d| d.name()));
        }
    }
    tally
}

/// Allocates `n` objects of `ty` with length `len`, each stored in the next
/// slot of `roots` (from `*next` on); returns them.
fn fill(
    m: &mut Mutator,
    roots: ObjRef,
    next: &mut usize,
    ty: TypeId,
    len: u32,
    n: usize,
    expected: &mut Tally,
) -> Vec<usize> {
    let size = m.heap().types().get(ty.0).expect("registered").size(len);
    let mut slots = Vec::new();
    for _ in 0..n {
        let obj = m.alloc(ty, len).expect("alloc");
        // SAFETY: `roots` is a refs array with a slot at `*next`; no
        // collection can run here (the budget is not reached and none is
        // requested), so its address holds.
        unsafe { m.write_ref(roots, 8 * (1 + *next), Some(obj)) };
        slots.push(*next);
        *next += 1;
        add(expected, ty, size);
    }
    slots
}

#[test]
fn walks_count_every_object_per_type_and_only_the_kept_after_collections() {
    for mode in MODES {
        let Some((heap, t)) = heap(mode) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        let root_len = 2200u32;
        let mut expected = Tally::new();
        m.scope(|s| {
            let roots = s.alloc(t.refs, root_len).unwrap();
            add(
                &mut expected,
                t.refs,
                heap.types().get(t.refs.0).unwrap().size(root_len),
            );
            let r = s.get(roots).unwrap();
            let mut next = 0;
            let m = s.mutator();
            let nodes = fill(m, r, &mut next, t.node, 0, 1500, &mut expected);
            fill(m, r, &mut next, t.refs, 10, 300, &mut expected);
            fill(m, r, &mut next, t.tagged, 7, 200, &mut expected);
            let blobs = fill(m, r, &mut next, t.blob, 100, 150, &mut expected);
            let large_blobs = fill(m, r, &mut next, t.blob, LARGE_BLOB, 4, &mut expected);
            fill(m, r, &mut next, t.refs, LARGE_LEN, 3, &mut expected);
            // Garbage: allocated, never stored.
            let mut garbage = Tally::new();
            for _ in 0..400 {
                m.alloc(t.node, 0).unwrap();
                add(&mut garbage, t.node, NODE_SIZE);
            }
            m.alloc(t.blob, LARGE_BLOB).unwrap();
            let large_blob_size = heap.types().get(t.blob.0).unwrap().size(LARGE_BLOB);
            add(&mut garbage, t.blob, large_blob_size);

            let mut all = expected.clone();
            for (ty, (n, b)) in &garbage {
                let line = all.entry(*ty).or_default();
                line.0 += n;
                line.1 += b;
            }
            // Before any collection the cheap walk sees the garbage too.
            assert_eq!(
                walk_and_histogram(s.mutator(), Live::Allocated),
                all,
                "{mode:?}"
            );
            assert_eq!(
                heap.stats().collections,
                0,
                "{mode:?}: an unasked collection"
            );
            // A reachable walk collects first: the garbage goes, the rest stays.
            assert_eq!(
                walk_and_histogram(s.mutator(), Live::Reachable),
                expected,
                "{mode:?}"
            );
            assert_eq!(
                walk_and_histogram(s.mutator(), Live::Allocated),
                expected,
                "{mode:?}"
            );
            s.mutator().collect().unwrap();
            assert_eq!(
                walk_and_histogram(s.mutator(), Live::Allocated),
                expected,
                "{mode:?}"
            );

            // Drop every third node, every other small blob and one large blob.
            let r = s.get(roots).unwrap();
            let dropped: Vec<(usize, TypeId, u32)> =
                (nodes.iter().step_by(3).map(|&i| (i, t.node, 0)))
                    .chain(blobs.iter().step_by(2).map(|&i| (i, t.blob, 100)))
                    .chain([(large_blobs[1], t.blob, LARGE_BLOB)])
                    .collect();
            for &(i, ty, len) in &dropped {
                // SAFETY: slot `i` of the root array, whose address the
                // handle just gave; no safepoint in between.
                unsafe { s.mutator().write_ref(r, 8 * (1 + i), None) };
                let line = expected.get_mut(&ty.0).unwrap();
                line.0 -= 1;
                line.1 -= heap.types().get(ty.0).unwrap().size(len);
            }
            s.mutator().collect().unwrap();
            assert_eq!(
                walk_and_histogram(s.mutator(), Live::Allocated),
                expected,
                "{mode:?}"
            );
            // And once more through a young collection and a reachable walk.
            s.mutator().collect_young().unwrap();
            assert_eq!(
                walk_and_histogram(s.mutator(), Live::Reachable),
                expected,
                "{mode:?}"
            );
        });
        // Two explicit full collections, a young one, two reachable walks.
        assert_eq!(heap.stats().collections, 5, "{mode:?}");
    }
}

/// Threads allocating nodes they keep, publishing how many after each is
/// complete, while another thread walks: in every walk each thread's nodes
/// number exactly what it had published when stopped, and each is whole.
#[test]
fn walks_stop_allocating_threads_and_see_a_consistent_heap() {
    const THREADS: usize = 2;
    const WALKS: usize = 12;
    // 200,000 nodes of 48 bytes a thread: 18 MiB of the 64 MiB heap.
    const MAX_NODES: usize = 200_000;
    for mode in MODES {
        let Some((heap, t)) = heap(mode) else {
            continue;
        };
        // Garbage-heavy threads need cycles: a small budget.
        heap.set_policy(Policy::default().young_budget(Some(2 << 20)))
            .unwrap();
        let published: Vec<AtomicUsize> = (0..THREADS).map(|_| AtomicUsize::new(0)).collect();
        let stop = AtomicBool::new(false);
        let started = Barrier::new(THREADS + 1);
        std::thread::scope(|scope| {
            for (id, count) in published.iter().enumerate() {
                let (heap, stop, started) = (&heap, &stop, &started);
                scope.spawn(move || {
                    let mut m = heap.attach().unwrap();
                    started.wait();
                    m.scope(|s| {
                        let head = s.local(None);
                        let mut n = 0;
                        while !stop.load(Ordering::Relaxed) {
                            // The chain stops growing at a bound, so that a
                            // slow walker (a loaded machine) cannot let it
                            // outgrow the heap; the garbage goes on.
                            if n < MAX_NODES {
                                let node = s.mutator().alloc(t.node, 0).unwrap();
                                let next = s.get(head);
                                // SAFETY: a fresh node: 8 is a reference slot,
                                // 32 and 40 data words; no safepoint until the
                                // count is published.
                                unsafe {
                                    s.mutator().write_ref(node, 8, next);
                                    node.write_word(32, id + 1);
                                    node.write_word(40, n + 1);
                                }
                                s.set(head, Some(node));
                                n += 1;
                                count.store(n, Ordering::Relaxed);
                            }
                            let _ = s.mutator().alloc(t.blob, 3000).unwrap();
                            s.mutator().safepoint();
                        }
                        // Keep the chain reachable until the walks are done.
                        assert!(s.get(head).is_some());
                    });
                });
            }
            started.wait();
            let _stop = Stop(&stop);
            // Every walk then finds nodes, and reads the counts in its pause.
            while published.iter().any(|c| c.load(Ordering::Relaxed) == 0) {
                std::thread::yield_now();
            }
            for w in 0..WALKS {
                let live = if w % 3 == 2 {
                    Live::Reachable
                } else {
                    Live::Allocated
                };
                // Read in the pause, at the first object: the threads are stopped.
                let mut counts_when_stopped = None;
                let mut seen = [0usize; THREADS];
                let mut torn = Vec::new();
                heap.walk(live, |o| {
                    counts_when_stopped.get_or_insert_with(|| {
                        published
                            .iter()
                            .map(|c| c.load(Ordering::Relaxed))
                            .collect::<Vec<_>>()
                    });
                    if o.ty == t.node {
                        // SAFETY: a node the walk found, in its pause.
                        let (owner, seq) = unsafe { (o.obj.read_word(32), o.obj.read_word(40)) };
                        match seen.get_mut(owner.wrapping_sub(1)) {
                            Some(c) if seq >= 1 => *c += 1,
                            _ => torn.push((o.obj, owner, seq)),
                        }
                    }
                })
                .unwrap_or_else(|e| panic!("{mode:?}: walk {w} ({live:?}): {e:?}"));
                assert!(torn.is_empty(), "{mode:?}: nodes not whole: {torn:?}");
                assert_eq!(
                    counts_when_stopped.unwrap(),
                    seen.to_vec(),
                    "{mode:?}: walk {w} ({live:?})"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        let total: usize = published.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        assert!(total > 0, "{mode:?}: the threads allocated nothing");
        assert!(
            heap.stats().collections >= 4,
            "{mode:?}: {}",
            heap.stats().collections
        );
    }
}

#[test]
fn a_visitor_cannot_collect_attach_or_walk_and_a_mutator_thread_must_use_its_mutator() {
    let Some((heap, t)) = heap(Mode::StopTheWorld) else {
        return;
    };
    {
        let mut m = heap.attach().unwrap();
        let obj = m.alloc(t.node, 0).unwrap();
        let _ = obj;
        assert!(matches!(
            heap.walk(Live::Allocated, |_| {}),
            Err(GcError::WalkFromMutatorThread)
        ));
        assert!(matches!(
            heap.histogram(Live::Allocated),
            Err(GcError::WalkFromMutatorThread)
        ));
        assert_eq!(m.walk(Live::Allocated, |_| {}).unwrap(), 1);
    }
    let mut refused = Vec::new();
    heap.walk(Live::Allocated, |_| {
        refused.push(matches!(heap.collect(), Err(GcError::InWalk)));
        refused.push(matches!(heap.collect_young(), Err(GcError::InWalk)));
        refused.push(matches!(heap.attach(), Err(GcError::InWalk)));
        refused.push(matches!(
            heap.walk(Live::Allocated, |_| {}),
            Err(GcError::InWalk)
        ));
        refused.push(matches!(
            heap.histogram(Live::Reachable),
            Err(GcError::InWalk)
        ));
        refused.push(matches!(heap.prepare_to_fork(), Err(GcError::InWalk)));
    })
    .unwrap();
    assert_eq!(refused, [true; 6]);
    // After the walk all of it works again.
    heap.collect().unwrap();
    assert_eq!(heap.walk(Live::Allocated, |_| {}).unwrap(), 0);
}

/// Raises its flag when dropped: the threads that wait for it end even when
/// the test fails, and the scope that joins them does not wait for ever.
struct Stop<'a>(&'a AtomicBool);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn a_panicking_visitor_ends_the_pause() {
    let Some((heap, t)) = heap(Mode::StopTheWorld) else {
        return;
    };
    let stop = AtomicBool::new(false);
    let allocated = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (heap, stop, allocated) = (&heap, &stop, &allocated);
        scope.spawn(move || {
            let mut m = heap.attach().unwrap();
            while !stop.load(Ordering::Relaxed) {
                let _ = m.alloc(t.node, 0).unwrap();
                allocated.fetch_add(1, Ordering::Relaxed);
                m.safepoint();
            }
        });
        let _stop = Stop(stop);
        // Something to visit.
        while allocated.load(Ordering::Relaxed) == 0 {
            std::thread::yield_now();
        }
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            heap.walk(Live::Allocated, |_| panic!("visitor")).unwrap()
        }));
        assert!(panicked.is_err());
        // The mutator runs again: it allocates more after the walk.
        let after = allocated.load(Ordering::Relaxed);
        let t0 = std::time::Instant::now();
        while allocated.load(Ordering::Relaxed) == after {
            assert!(t0.elapsed().as_secs() < 10, "the mutator stayed stopped");
            std::thread::yield_now();
        }
        // And the heap can be walked and collected again from this thread.
        heap.walk(Live::Allocated, |_| {}).unwrap();
        heap.collect().unwrap();
    });
}

/// The histograms logged by this binary's heaps, as `LEVEL: message`.
fn histograms() -> MutexGuard<'static, Vec<String>> {
    static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    LOGGED.lock().unwrap_or_else(|e| e.into_inner())
}

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        let message = record.args().to_string();
        if message.contains("heap histogram") {
            histograms().push(format!("{}: {message}", record.level()));
        }
    }

    fn flush(&self) {}
}

#[test]
fn the_histogram_is_logged_on_request() {
    let Some((heap, t)) = heap(Mode::StopTheWorld) else {
        return;
    };
    log::set_logger(&Capture).expect("no other logger");
    log::set_max_level(log::LevelFilter::Info);
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let a = s.alloc(t.refs, 3).unwrap();
        let b = s.alloc(t.blob, 1000).unwrap();
        let c = s.alloc(t.node, 0).unwrap();
        let h = s.mutator().log_histogram(Live::Reachable, 2).unwrap();
        assert_eq!(h.objects, 3);
        // By bytes: the blob (1008), the node (48), the array of 3 (32).
        let order: Vec<TypeId> = h.types.iter().map(|l| l.ty).collect();
        assert_eq!(order, [t.blob, t.node, t.refs]);
        let _ = (a, b, c);
    });
    let logged = histograms().clone();
    let [block] = logged.as_slice() else {
        panic!("not one histogram in the log: {logged:?}");
    };
    assert!(
        block.starts_with("INFO: movegc: heap histogram (reachable): 3 objects"),
        "{block}"
    );
    // The header, the column titles, the top two types and a note of the third.
    let lines: Vec<&str> = block.lines().collect();
    assert_eq!(lines.len(), 5, "{block}");
    let words = |i: usize| lines[i].split_whitespace().collect::<Vec<_>>();
    assert_eq!(words(1), ["bytes", "objects", "type"], "{block}");
    assert_eq!(words(2), ["1008", "1", "blob"], "{block}");
    assert_eq!(words(3), ["48", "1", "node"], "{block}");
    assert_eq!(lines[4], "  ... and 1 more types", "{block}");
}
