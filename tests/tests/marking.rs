//! Concurrent marking against mutators that hide objects from it.
//!
//! Each thread keeps two arrays of chains and keeps swapping the chains of
//! slot `i` of one and slot `i` of the other. A marker that has scanned one
//! array's slot but not the other's, without the write barrier, sees the same
//! chain twice and never the other one, which is then freed while still
//! reachable. The snapshot-at-the-beginning barrier logs every overwritten
//! reference, so the marker finds both. After every collection each thread
//! walks all its chains and checks every node: type, chain, position, and the
//! set of chains.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use gc_core::{HandleScope, Heap, Mode, ObjRef, inject::Injection};
use movegc_tests::{Rng, Types, build_or_skip, run_each};

/// Slots per array.
const SLOTS: usize = 3000;
/// Nodes per chain.
const CHAIN: usize = 12;
/// Mutator threads (with the cycle's thread and the marker, more than cores).
const THREADS: usize = 3;

fn heap(mode: Mode, no_barrier: bool) -> Option<(Heap, Types)> {
    heap_with(mode, no_barrier, |b| b)
}

/// As [`heap`], with more settings.
fn heap_with(
    mode: Mode,
    no_barrier: bool,
    more: impl Fn(gc_core::HeapBuilder) -> gc_core::HeapBuilder,
) -> Option<(Heap, Types)> {
    let (_, types) = Types::table();
    let heap = build_or_skip(|| {
        let (table, _) = Types::table();
        // Full cycles: every object the workload hides is traced in each (a
        // young cycle takes the promoted ones as live, and would give a
        // missing barrier fewer chances to lose one). Young cycles that mark
        // concurrently are tested in generational.rs and the concurrent tests.
        more(
            Heap::builder()
                .size(48 << 20)
                .mode(mode)
                .gc_threads(2)
                .policy(gc_core::Policy::default().generational(false))
                .types(table)
                .inject(Injection {
                    no_write_barrier: no_barrier,
                    ..Injection::default()
                }),
        )
    })?;
    Some((heap, types))
}

/// Builds a chain whose nodes hold `id` and their position; returns its head.
fn chain(s: &mut HandleScope<'_>, types: Types, id: usize) -> Result<ObjRef, String> {
    s.scope(|s| {
        // The chain so far, in a handle: an allocation may move it.
        let head = s.local(None);
        for k in (0..CHAIN).rev() {
            let node = s
                .mutator()
                .alloc(types.node, 0)
                .map_err(|e| e.to_string())?;
            let next = s.get(head);
            // SAFETY: a fresh node: slot 8 is a reference, 32 and 40 data words.
            unsafe {
                s.mutator().write_ref(node, 8, next);
                node.write_word(32, id);
                node.write_word(40, k);
            }
            s.set(head, Some(node));
        }
        s.get(head).ok_or_else(|| "empty chain".into())
    })
}

/// Checks every chain of `arrays`: in the heap, of node type, the right
/// positions, and together exactly the chains `ids`.
fn check(heap: &Heap, types: Types, arrays: [ObjRef; 2], ids: &[usize]) -> Result<(), String> {
    let space = heap.moving_space();
    let mut seen = Vec::with_capacity(ids.len());
    for (a, array) in arrays.into_iter().enumerate() {
        for i in 0..SLOTS {
            // SAFETY: a live array of SLOTS references.
            let mut at = unsafe { array.read_word(8 + i * 8) };
            let mut id = None;
            for k in 0..CHAIN {
                if !space.contains(&at) || at % 8 != 0 {
                    return Err(format!(
                        "array {a} slot {i} node {k}: {at:#x} is outside the heap {space:x?}"
                    ));
                }
                let node = ObjRef::from_addr(at).ok_or("null node")?;
                // SAFETY: inside the allocated moving space, word-aligned.
                let (ty, node_id, pos, next) = unsafe {
                    (
                        node.header().type_id(),
                        node.read_word(32),
                        node.read_word(40),
                        node.read_word(8),
                    )
                };
                if ty != types.node.0 || pos != k || id.is_some_and(|id| id != node_id) {
                    return Err(format!(
                        "array {a} slot {i} node {k}: type {ty}, chain {node_id}, position \
                         {pos}: an object was lost and its memory reused"
                    ));
                }
                id = Some(node_id);
                at = next;
            }
            seen.extend(id);
        }
    }
    seen.sort_unstable();
    if seen != ids {
        return Err("the set of chains changed: one was lost, another duplicated".into());
    }
    Ok(())
}

/// One thread's part: build two arrays of chains, then swap and allocate
/// garbage until the heap has run `cycles` collections, checking after each.
fn hide_and_seek(
    heap: &Heap,
    types: Types,
    t: usize,
    done: &(dyn Fn() -> bool + Sync),
) -> Result<(), String> {
    let mut m = heap.attach().map_err(|e| e.to_string())?;
    let mut rng = Rng::new(77 + t as u64);
    let base = t * 2 * SLOTS;
    let ids: Vec<usize> = (base..base + 2 * SLOTS).collect();
    m.scope(|s| {
        let p = s
            .alloc(types.refs, SLOTS as u32)
            .map_err(|e| e.to_string())?;
        let q = s
            .alloc(types.refs, SLOTS as u32)
            .map_err(|e| e.to_string())?;
        for (a, array) in [p, q].into_iter().enumerate() {
            for i in 0..SLOTS {
                let head = chain(s, types, base + a * SLOTS + i)?;
                let array = s.get(array).ok_or("array lost")?;
                // SAFETY: slot `i` of a live array of SLOTS references.
                unsafe { s.mutator().write_ref(array, 8 + i * 8, Some(head)) };
            }
        }
        let mut checked = heap.stats().collections;
        while !done() {
            let (pa, qa) = (s.get(p).ok_or("lost")?, s.get(q).ok_or("lost")?);
            for _ in 0..64 {
                let off = 8 + rng.below(SLOTS) * 8;
                // SAFETY: slots of two live arrays; no allocation (so no safepoint)
                // between the reads and the writes.
                unsafe {
                    let (a, b) = (s.mutator().read_ref(pa, off), s.mutator().read_ref(qa, off));
                    s.mutator().write_ref(pa, off, b);
                    s.mutator().write_ref(qa, off, a);
                }
            }
            for _ in 0..4 {
                s.mutator()
                    .alloc(types.blob, 1000)
                    .map_err(|e| e.to_string())?;
            }
            let now = heap.stats().collections;
            if now != checked {
                checked = now;
                let arrays = [s.get(p).ok_or("lost")?, s.get(q).ok_or("lost")?];
                check(heap, types, arrays, &ids).map_err(|e| format!("after gc {now}: {e}"))?;
            }
        }
        Ok(())
    })
}

/// Runs the workload for `cycles` collections; the first failure, if any.
fn run(heap: &Heap, types: Types, cycles: u64) -> Result<(), String> {
    run_until(heap, types, THREADS, &|| heap.stats().collections >= cycles)
}

/// Runs the workload on `threads` threads until `done()`; the first
/// failure, if any.
fn run_until(
    heap: &Heap,
    types: Types,
    threads: usize,
    done: &(dyn Fn() -> bool + Sync),
) -> Result<(), String> {
    let failed = AtomicBool::new(false);
    let result = std::sync::Mutex::new(Ok(()));
    run_each(threads, |t| {
        let r = hide_and_seek(heap, types, t, done);
        if let Err(e) = &r
            && !failed.swap(true, Ordering::Relaxed)
        {
            *result.lock().unwrap() = Err(e.clone());
        }
        // The other threads stop once the collections they wait for have run.
        Ok(())
    });
    result.into_inner().unwrap()
}

fn barrier_keeps_hidden_objects(mode: Mode) {
    let Some((heap, types)) = heap(mode, false) else {
        return;
    };
    run(&heap, types, 25).unwrap_or_else(|e| panic!("{mode:?}: {e}"));
    let stats = heap.stats();
    eprintln!(
        "{mode:?}: {} collections, {} barrier entries, {} pauses",
        stats.collections,
        stats.satb_entries,
        stats.pauses.len()
    );
    assert!(stats.satb_entries > 0, "the barrier logged nothing");
    assert!(
        stats
            .pauses
            .iter()
            .any(|p| p.kind == gc_core::PauseKind::FinalMark),
        "no final mark: marking was not concurrent"
    );
}

#[test]
fn stop_the_world_compaction_barrier_keeps_hidden_objects() {
    barrier_keeps_hidden_objects(Mode::StopTheWorld);
}

#[test]
fn move_mode_barrier_keeps_hidden_objects() {
    barrier_keeps_hidden_objects(Mode::Move);
}

#[test]
fn copy_mode_barrier_keeps_hidden_objects() {
    barrier_keeps_hidden_objects(Mode::Copy);
}

/// Mutators that allocate ahead of a marking on one thread (the cycle's:
/// one concurrent marking thread, whatever the machine) trace part of the
/// heap instead of sleeping, while the others hide objects from it: every
/// chain survives every cycle, and the helpers scanned objects. Eight
/// mutator threads, more than the machine's cores here.
#[test]
fn paced_mutators_help_marking() {
    const CYCLES: u64 = 100;
    let Some((heap, types)) = heap_with(Mode::StopTheWorld, false, |b| b.concurrent_threads(1))
    else {
        return;
    };
    let done = || {
        let s = heap.stats();
        s.marked_by_mutators > 0 && s.collections >= 10 || s.collections >= CYCLES
    };
    run_until(&heap, types, 8, &done).unwrap_or_else(|e| panic!("{e}"));
    let s = heap.stats();
    eprintln!(
        "{} collections, {} allocations paced, {} objects marked by them",
        s.collections, s.paced, s.marked_by_mutators
    );
    assert!(
        s.marked_by_mutators > 0,
        "in {} collections ({} allocations paced), no paced mutator marked",
        s.collections,
        s.paced
    );
}

/// In a heap far larger than the workload, where the pacer's hard limit (the
/// heap's end) never slows an allocation, the soft limit of a full cycle's
/// marking (the memory kept for allocation) does: allocations past it are
/// paced (they mark for a moment, if the marking has work to share), and
/// every chain survives. Full cycles after a small fixed budget, three
/// mutator threads (eight outran a debug build's marking by hundreds of
/// megabytes, past anything kept); compactions in the pause, so that no
/// compaction paces them either. A first cycle on the empty heap gives the
/// others memory kept to be limited by.
#[test]
fn past_the_memory_kept_allocations_are_paced_softly() {
    const CYCLES: u64 = 100;
    const CAPACITY: usize = 1 << 30;
    let Some((heap, types)) = heap_with(Mode::StopTheWorld, false, |b| {
        b.size(CAPACITY).concurrent_threads(1).policy(
            gc_core::Policy::default()
                .generational(false)
                .young_budget(Some(2 << 20)),
        )
    }) else {
        return;
    };
    heap.collect().unwrap();
    // The most bytes in use any cycle saw, from its start to its marking's end.
    let peak = AtomicUsize::new(0);
    let done = || {
        let s = heap.stats();
        if let Some(c) = &s.last {
            peak.fetch_max(c.used_before + c.allocated_black, Ordering::Relaxed);
        }
        s.paced > 0 && s.collections >= 3 || s.collections >= CYCLES
    };
    run_until(&heap, types, THREADS, &done).unwrap_or_else(|e| panic!("{e}"));
    let s = heap.stats();
    let peak = peak.into_inner();
    eprintln!(
        "{} collections, {} allocations paced ({:?}), {} objects marked by them, \
         at most {} MiB in use",
        s.collections,
        s.paced,
        s.pacing_time,
        s.marked_by_mutators,
        peak >> 20
    );
    assert!(
        peak < CAPACITY / 2,
        "{} MiB in use: the hard limit may have paced them",
        peak >> 20
    );
    assert!(
        s.paced > 0,
        "in {} collections, no allocation past the memory kept was paced",
        s.collections
    );
}

/// The test has teeth: with the write barrier switched off, the same
/// workload loses objects, and the checks say so.
#[test]
fn without_the_barrier_objects_are_lost_and_caught() {
    let Some((heap, types)) = heap(Mode::StopTheWorld, true) else {
        return;
    };
    let Err(e) = run(&heap, types, 200) else {
        panic!(
            "200 collections without a write barrier lost nothing: the workload hides no object"
        );
    };
    eprintln!(
        "without the barrier, after {} collections: {e}",
        heap.stats().collections
    );
    assert!(
        e.contains("lost"),
        "the workload failed, but not by losing an object: {e}"
    );
}
