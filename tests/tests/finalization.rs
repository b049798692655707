//! Finalization and cleaners: an unreachable registered object is kept,
//! with what it references, and handed to the VM, which may store it back
//! into the graph (resurrection); it is freed when unreachable again. A
//! cleaner's token is queued when its object dies, and not while a
//! finalization keeps it. Every mode, young and full cycles.

use gc_core::{CycleKind, GcError, Heap, Mode, Mutator, ObjRef};
use movegc_tests::{Types, concurrent_heap};

const MODES: [Mode; 3] = [Mode::StopTheWorld, Mode::Move, Mode::Copy];

/// Garbage, then a node with `id` and its check word, and a child node
/// (`id + 1`) in its slot 8: they move at the next cycle.
fn pair(m: &mut Mutator, types: Types, id: usize) -> Result<ObjRef, GcError> {
    m.scope(|s| {
        s.mutator().alloc(types.blob, 64)?;
        let child = s.alloc(types.node, 0)?;
        s.mutator().alloc(types.blob, 64)?;
        let parent = s.mutator().alloc(types.node, 0)?;
        let child = s.get(child).expect("allocated");
        // SAFETY: fresh nodes: 8 is a reference, 32 and 40 data words.
        unsafe {
            for (n, id) in [(parent, id), (child, id + 1)] {
                n.write_word(32, id);
                n.write_word(40, !id);
            }
            s.mutator().write_ref(parent, 8, Some(child));
        }
        Ok(parent)
    })
}

/// Checks the node at `obj` and its child: ids `id` and `id + 1`, intact.
fn check_pair(heap: &Heap, types: Types, obj: ObjRef, id: usize) {
    let space = heap.moving_space();
    let mut at = Some(obj);
    for want in [id, id + 1] {
        let n = at.expect("the child is gone");
        assert!(space.contains(&n.addr()), "{n:?} outside the heap");
        // SAFETY: inside the allocated moving space.
        let (ty, got, check) = unsafe { (n.header().type_id(), n.read_word(32), n.read_word(40)) };
        assert_eq!(
            (ty, got, check),
            (types.node.0, want, !want),
            "{n:?}: a stale address"
        );
        // SAFETY: a node's reference slot.
        at = ObjRef::from_addr(unsafe { n.read_word(8) });
    }
}

/// A finalizable object is handed over once, intact with its child, after
/// weak handles to it were cleared; kept in the queue across cycles until
/// taken; alive again once stored back; freed when unreachable again.
#[test]
fn a_finalized_object_is_resurrected_then_freed() {
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 16 << 20, |b| b) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        let x = pair(&mut m, types, 7).unwrap();
        // SAFETY: `x` is fresh: no safepoint since its allocation.
        let weak_before = unsafe {
            m.register_finalizer(x);
            m.weak(x)
        };
        m.collect().unwrap();
        assert_eq!(
            heap.stats().last.unwrap().references.finalizable,
            1,
            "{mode:?}"
        );
        assert!(
            weak_before.get(&mut m).unwrap().is_none(),
            "{mode:?}: weak handles are cleared before finalization"
        );
        // Not taken yet: the queue keeps it, and it moves.
        m.collect().unwrap();
        m.scope(|s| {
            let queued = s.mutator().take_finalizable();
            assert_eq!(queued.len(), 1, "{mode:?}");
            check_pair(&heap, types, queued[0], 7);
            assert!(
                s.mutator().take_finalizable().is_empty(),
                "{mode:?}: handed over twice"
            );
            // Resurrection: back into a root.
            let back = s.local(Some(queued[0]));
            // SAFETY: a live object, no safepoint since it was taken.
            let weak_after = unsafe { s.mutator().weak(queued[0]) };
            s.mutator().collect().unwrap();
            s.mutator().collect_young().unwrap();
            let x = s.get(back).unwrap();
            check_pair(&heap, types, x, 7);
            assert_eq!(weak_after.get(s.mutator()).unwrap(), Some(x), "{mode:?}");
            assert!(
                s.mutator().take_finalizable().is_empty(),
                "{mode:?}: registered once"
            );
            s.set(back, None);
            s.mutator().collect().unwrap();
            assert!(
                weak_after.get(s.mutator()).unwrap().is_none(),
                "{mode:?}: a resurrected object is freed when unreachable again"
            );
        });
    }
}

/// A young cycle hands over a young registered object that died, and takes
/// an old one as live; a full cycle hands that over too.
#[test]
fn young_cycles_finalize_only_young_objects() {
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 32 << 20, |b| b) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let old = pair(s.mutator(), types, 1).unwrap();
            // SAFETY: `old` is fresh.
            unsafe { s.mutator().register_finalizer(old) };
            let old = s.local(Some(old));
            s.mutator().collect().unwrap();
            s.mutator().collect().unwrap();
            s.set(old, None);
            let young = pair(s.mutator(), types, 3).unwrap();
            // SAFETY: `young` is fresh.
            unsafe { s.mutator().register_finalizer(young) };
            s.mutator().collect_young().unwrap();
            assert_eq!(
                heap.stats().last.unwrap().kind,
                CycleKind::Young,
                "{mode:?}"
            );
            let queued = s.mutator().take_finalizable();
            assert_eq!(
                queued.len(),
                1,
                "{mode:?}: the old object was finalized by a young cycle"
            );
            check_pair(&heap, types, queued[0], 3);
            s.mutator().collect().unwrap();
            let queued = s.mutator().take_finalizable();
            assert_eq!(queued.len(), 1, "{mode:?}");
            check_pair(&heap, types, queued[0], 1);
        });
    }
}

/// A cleaner's token is queued when its object dies, not while it lives,
/// and not while finalization keeps it.
#[test]
fn cleaners_are_notified_when_their_objects_die() {
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 16 << 20, |b| b) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let kept = pair(s.mutator(), types, 1).unwrap();
            // SAFETY: `kept` is fresh.
            unsafe { s.mutator().register_cleaner(kept, 41) };
            let kept = s.local(Some(kept));
            let dying = pair(s.mutator(), types, 3).unwrap();
            // SAFETY: `dying` is fresh.
            unsafe { s.mutator().register_cleaner(dying, 42) };
            let finalized = pair(s.mutator(), types, 5).unwrap();
            // SAFETY: `finalized` is fresh.
            unsafe {
                s.mutator().register_cleaner(finalized, 43);
                s.mutator().register_finalizer(finalized);
            }
            s.mutator().collect().unwrap();
            assert_eq!(heap.take_cleaned(), vec![42], "{mode:?}");
            assert_eq!(
                heap.take_cleaned(),
                Vec::<u64>::new(),
                "{mode:?}: notified twice"
            );
            let queued = s.mutator().take_finalizable();
            assert_eq!(queued.len(), 1, "{mode:?}");
            check_pair(&heap, types, queued[0], 5);
            // The finalizer has run and dropped it: now it dies.
            s.mutator().collect().unwrap();
            assert_eq!(heap.take_cleaned(), vec![43], "{mode:?}");
            check_pair(&heap, types, s.get(kept).unwrap(), 1);
            s.set(kept, None);
            s.mutator().collect_young().unwrap();
            s.mutator().collect().unwrap();
            assert_eq!(heap.take_cleaned(), vec![41], "{mode:?}");
        });
    }
}

/// Finalization racing concurrent cycles: one thread registers nodes,
/// drops them, takes what becomes finalizable while cycles that another
/// thread's garbage starts mark and compact, and stores half of it back
/// into its roots. A node is handed over only when no root holds it, once
/// per registration, intact with its child, over 30 cycles; at the end,
/// after a full collection with every root dropped, every registered node
/// has been.
#[test]
fn finalization_races_concurrent_cycles() {
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicBool, Ordering};
    const SLOTS: usize = 64;
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 24 << 20, |b| {
            b.policy(
                gc_core::Policy::default()
                    .young_slide_limit(0)
                    .young_pause_objects(0)
                    .young_budget(Some(1 << 20)),
            )
        }) else {
            continue;
        };
        let done = AtomicBool::new(false);
        let (heap, done) = (&heap, &done);
        std::thread::scope(|sc| {
            sc.spawn(move || {
                let mut m = heap.attach().unwrap();
                while !done.load(Ordering::Relaxed) {
                    m.alloc(types.blob, 2000).unwrap();
                }
            });
            // The garbage thread stops when this one ends, failing too.
            struct Stop<'a>(&'a AtomicBool);
            impl Drop for Stop<'_> {
                fn drop(&mut self) {
                    self.0.store(true, Ordering::Relaxed);
                }
            }
            let _stop = Stop(done);
            let mut m = heap.attach().unwrap();
            let mut rng = movegc_tests::Rng::new(3);
            m.scope(|s| {
                let roots = s.alloc(types.refs, SLOTS as u32).unwrap();
                let mut slots: Vec<Option<usize>> = vec![None; SLOTS];
                // Registered and not yet handed over.
                let mut registered: HashSet<usize> = HashSet::new();
                let mut handed = 0;
                let mut next = 0;
                let mut take = |s: &mut gc_core::HandleScope<'_>,
                                slots: &mut Vec<Option<usize>>,
                                registered: &mut HashSet<usize>,
                                rng: &mut movegc_tests::Rng| {
                    for obj in s.mutator().take_finalizable() {
                        // SAFETY: a live node: its id word.
                        let id = unsafe { obj.read_word(32) };
                        check_pair(heap, types, obj, id);
                        assert!(
                            registered.remove(&id),
                            "{mode:?}: node {id} handed over twice"
                        );
                        assert!(
                            !slots.contains(&Some(id)),
                            "{mode:?}: node {id} handed over while held"
                        );
                        handed += 1;
                        if rng.below(2) == 0 {
                            let j = rng.below(SLOTS);
                            let r = s.get(roots).unwrap();
                            // SAFETY: slot `j` of the live roots; no safepoint since the take.
                            unsafe { s.mutator().write_ref(r, 8 + j * 8, Some(obj)) };
                            slots[j] = Some(id);
                        }
                    }
                };
                // A cycle that fails (the verifier finds the heap corrupt)
                // is not counted: the time is bounded too.
                let start = std::time::Instant::now();
                let mut step = 0;
                while step < 4000
                    || (heap.stats().collections < 30 && start.elapsed().as_secs() < 60)
                {
                    step += 1;
                    let j = rng.below(SLOTS);
                    if rng.below(2) == 0 {
                        let id = next;
                        next += 2;
                        let n = pair(s.mutator(), types, id).unwrap();
                        let r = s.get(roots).unwrap();
                        // SAFETY: slot `j` of the live roots; `n` is fresh.
                        unsafe {
                            s.mutator().write_ref(r, 8 + j * 8, Some(n));
                            s.mutator().register_finalizer(n);
                        }
                        registered.insert(id);
                        slots[j] = Some(id);
                    } else {
                        let r = s.get(roots).unwrap();
                        // SAFETY: slot `j` of the live roots.
                        unsafe { s.mutator().write_ref(r, 8 + j * 8, None) };
                        slots[j] = None;
                    }
                    take(s, &mut slots, &mut registered, &mut rng);
                }
                let r = s.get(roots).unwrap();
                for (j, slot) in slots.iter_mut().enumerate() {
                    // SAFETY: slot `j` of the live roots.
                    unsafe { s.mutator().write_ref(r, 8 + j * 8, None) };
                    *slot = None;
                }
                s.mutator().collect().unwrap();
                take(s, &mut slots, &mut registered, &mut rng);
                // What was stored back is not registered again: nothing is left.
                assert!(
                    registered.is_empty(),
                    "{mode:?}: {} nodes never handed over",
                    registered.len()
                );
                assert!(handed > 100, "{mode:?}: only {handed} handed over");
            });
        });
        let s = heap.stats();
        assert!(s.collections >= 30, "{mode:?}: {} cycles", s.collections);
    }
}
