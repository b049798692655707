//! Weak handles: cleared exactly when their referents are unreachable,
//! rewritten when the referents move, and never a stale address, with
//! cycles racing the mutators that read them, in every mode; young cycles
//! take old referents as live. A read during marking keeps its referent
//! alive (without that, injected, the same workload is caught).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use gc_core::inject::Injection;
use gc_core::{
    CycleKind, Ephemeron, GcError, HandleScope, Heap, HeapBuilder, Local, Mode, Mutator, ObjRef,
    Policy, Weak,
};
use movegc_tests::{Rng, Types, concurrent_heap, run_each};

const MODES: [Mode; 3] = [Mode::StopTheWorld, Mode::Move, Mode::Copy];
/// Root slots per thread.
const SLOTS: usize = 48;
/// The workout's kinds of steps: with weak handles only, and with
/// ephemerons and a weak array too.
const WEAK_HANDLE_OPS: usize = 10;
const ALL_OPS: usize = 14;
/// An ephemeron's value node has its key's id plus this.
const VALUE: usize = 500_000;
/// A node's check word is its id times this.
const CHECK: usize = 0x9E37_79B9;

/// Reads the id of the node at `obj`, checking that it is one: in the
/// heap's allocated moving space, of node type, with its check word.
fn node_id(heap: &Heap, types: Types, obj: ObjRef) -> Result<usize, String> {
    let at = obj.addr();
    if !heap.moving_space().contains(&at) || at % 8 != 0 {
        return Err(format!("{at:#x} is not in the allocated moving space"));
    }
    // SAFETY: inside the allocated moving space, word-aligned.
    let (ty, id, check) = unsafe { (obj.header().type_id(), obj.read_word(32), obj.read_word(40)) };
    if ty != types.node.0 || check != id.wrapping_mul(CHECK) {
        return Err(format!(
            "{at:#x}: type {ty}, id {id}, check {check:#x}: a stale or freed address"
        ));
    }
    Ok(id)
}

/// Whether the model's node `id` is reachable: in a slot, or an ephemeron's
/// value whose key is.
fn reachable(slots: &[Option<usize>], ephemerons: &HashMap<usize, Ephemeron>, id: usize) -> bool {
    let key = id.wrapping_sub(VALUE);
    slots.contains(&Some(id))
        || (id % 1_000_000 >= VALUE && ephemerons.contains_key(&key) && slots.contains(&Some(key)))
}

/// Allocates a node with `id`.
fn new_node(m: &mut Mutator, types: Types, id: usize) -> Result<ObjRef, GcError> {
    let node = m.alloc(types.node, 0)?;
    // SAFETY: a fresh node: 32 and 40 are data words.
    unsafe {
        node.write_word(32, id);
        node.write_word(40, id.wrapping_mul(CHECK));
    }
    Ok(node)
}

/// One thread of the model test: a root array of `SLOTS` nodes, a weak
/// array of as many, a weak handle per node it made, ephemerons from some
/// nodes to values only they keep, and a model of which slots hold which
/// node. Random steps (the first `ops` kinds: weak handles only, or all)
/// make nodes, drop and copy slots, read weak handles, ephemerons and weak
/// slots (storing some of what they give back into the roots), and
/// allocate garbage, while cycles run; every read is checked against the
/// model. Every 97 steps the thread collects (full, or young); afterwards a
/// handle, an ephemeron or a weak slot must be null exactly when its node
/// (an ephemeron's key) is unreachable (young: a reachable node is never
/// cleared).
fn workout(heap: &Heap, types: Types, seed: u64, steps: usize, ops: usize) -> Result<(), String> {
    let mut m = heap.attach().map_err(|e| e.to_string())?;
    let mut rng = Rng::new(seed);
    let err = |e: GcError| e.to_string();
    m.scope(|s| {
        let array = s.alloc(types.refs, SLOTS as u32).map_err(err)?;
        let weak_array = s.alloc(types.weak_refs, SLOTS as u32).map_err(err)?;
        let mut slots: Vec<Option<usize>> = vec![None; SLOTS];
        let mut weak_slots: Vec<Option<usize>> = vec![None; SLOTS];
        let mut weak: HashMap<usize, Weak> = HashMap::new();
        let mut ephemerons: HashMap<usize, Ephemeron> = HashMap::new();
        let mut cleared = 0;
        let mut next_id = seed as usize * 1_000_000;
        for step in 0..steps {
            match rng.below(ops) {
                0..=2 => {
                    let id = next_id;
                    next_id += 1;
                    let node = new_node(s.mutator(), types, id).map_err(err)?;
                    let j = rng.below(SLOTS);
                    let a = s.get(array).ok_or("array lost")?;
                    // SAFETY: slot `j` of the live array; `node` is fresh, no
                    // safepoint since.
                    unsafe {
                        s.mutator().write_ref(a, 8 + j * 8, Some(node));
                        weak.insert(id, s.mutator().weak(node));
                    }
                    slots[j] = Some(id);
                    if ops > WEAK_HANDLE_OPS && rng.below(2) == 0 {
                        // An ephemeron from the node to a value only it keeps.
                        let value = new_node(s.mutator(), types, id + VALUE).map_err(err)?;
                        let a = s.get(array).ok_or("array lost")?;
                        // SAFETY: slot `j` of the live array holds the node;
                        // `value` is fresh, no safepoint since.
                        unsafe {
                            let key = s.mutator().read_ref(a, 8 + j * 8).ok_or("node lost")?;
                            ephemerons.insert(id, s.mutator().ephemeron(key, value));
                        }
                    }
                }
                10 => {
                    let Some(&id) = ephemerons.keys().nth(rng.below(ephemerons.len().max(1))) else {
                        continue;
                    };
                    let got = ephemerons[&id].get(s.mutator()).map_err(err)?;
                    let held = slots.iter().position(|&x| x == Some(id));
                    match (got, held) {
                        (None, Some(j)) => {
                            return Err(format!("step {step}: ephemeron {id} cleared while slot {j} holds its key"));
                        }
                        (None, None) => {
                            ephemerons.remove(&id);
                        }
                        (Some((key, value)), _) => {
                            let ids = (node_id(heap, types, key)?, node_id(heap, types, value)?);
                            if ids != (id, id + VALUE) {
                                return Err(format!("step {step}: ephemeron {id} gives nodes {ids:?}"));
                            }
                            if rng.below(2) == 0 {
                                // The value into the graph, read from the ephemeron only.
                                let j = rng.below(SLOTS);
                                let a = s.get(array).ok_or("array lost")?;
                                // SAFETY: slot `j` of the live array; no safepoint since the read.
                                unsafe { s.mutator().write_ref(a, 8 + j * 8, Some(value)) };
                                slots[j] = Some(id + VALUE);
                            }
                        }
                    }
                }
                11 => {
                    // A weak slot takes a strong slot's node.
                    let (j, k) = (rng.below(SLOTS), rng.below(SLOTS));
                    let (a, w) = (s.get(array).ok_or("array lost")?, s.get(weak_array).ok_or("weak array lost")?);
                    // SAFETY: slot `j` of the live array, weak slot `k` of the live weak array.
                    unsafe {
                        let v = s.mutator().read_ref(a, 8 + j * 8);
                        s.mutator().write_weak(w, 8 + k * 8, v);
                    }
                    weak_slots[k] = slots[j];
                }
                12 => {
                    let k = rng.below(SLOTS);
                    let w = s.get(weak_array).ok_or("weak array lost")?;
                    // SAFETY: weak slot `k` of the live weak array.
                    let got = unsafe { s.mutator().read_weak(w, 8 + k * 8) };
                    match (got, weak_slots[k]) {
                        (None, Some(id)) if reachable(&slots, &ephemerons, id) => {
                            return Err(format!("step {step}: weak slot {k} cleared while node {id} is held"));
                        }
                        (None, _) => weak_slots[k] = None,
                        (Some(obj), want) => {
                            let found = node_id(heap, types, obj)?;
                            if Some(found) != want {
                                return Err(format!("step {step}: weak slot {k} gives node {found}, not {want:?}"));
                            }
                            if rng.below(2) == 0 {
                                let j = rng.below(SLOTS);
                                let a = s.get(array).ok_or("array lost")?;
                                // SAFETY: slot `j` of the live array; no safepoint since the read.
                                unsafe { s.mutator().write_ref(a, 8 + j * 8, Some(obj)) };
                                slots[j] = Some(found);
                            }
                        }
                    }
                }
                3 | 4 => {
                    // Drop a slot, or copy one into another.
                    let (j, k, copy) = (rng.below(SLOTS), rng.below(SLOTS), rng.below(2) == 0);
                    let a = s.get(array).ok_or("array lost")?;
                    // SAFETY: slots `j` and `k` of the live array.
                    unsafe {
                        let v = s.mutator().read_ref(a, 8 + j * 8).filter(|_| copy);
                        s.mutator().write_ref(a, 8 + k * 8, v);
                    }
                    slots[k] = if copy { slots[j] } else { None };
                }
                5..=7 => {
                    let Some(&id) = weak.keys().nth(rng.below(weak.len().max(1))) else {
                        continue;
                    };
                    let got = weak[&id].get(s.mutator()).map_err(err)?;
                    let held = slots.iter().position(|&x| x == Some(id));
                    match (got, held) {
                        (None, Some(j)) => {
                            return Err(format!("step {step}: node {id} cleared while slot {j} holds it"));
                        }
                        (None, None) => {
                            weak.remove(&id);
                            cleared += 1;
                        }
                        (Some(obj), held) => {
                            let found = node_id(heap, types, obj)?;
                            if found != id {
                                return Err(format!("step {step}: node {id}'s handle gives node {found}"));
                            }
                            let a = s.get(array).ok_or("array lost")?;
                            if let Some(j) = held {
                                // SAFETY: slot `j` of the live array.
                                let there = unsafe { s.mutator().read_ref(a, 8 + j * 8) };
                                if there != Some(obj) {
                                    return Err(format!(
                                        "step {step}: node {id} is at {:#x} by its handle, {there:?} by slot {j}",
                                        obj.addr()
                                    ));
                                }
                            } else if rng.below(2) == 0 {
                                // Back into the graph, read from a weak handle only.
                                let j = rng.below(SLOTS);
                                // SAFETY: as above; no safepoint since the read.
                                unsafe { s.mutator().write_ref(a, 8 + j * 8, Some(obj)) };
                                slots[j] = Some(id);
                            }
                        }
                    }
                }
                8 => {
                    if let Some(&id) = weak.keys().nth(rng.below(weak.len().max(1)))
                        && rng.below(4) == 0
                    {
                        weak.remove(&id);
                    }
                }
                _ => {
                    for _ in 0..64 {
                        s.mutator().alloc(types.blob, 600).map_err(err)?;
                    }
                }
            }
            // The heap's slots hold the model's nodes.
            let a = s.get(array).ok_or("array lost")?;
            for (j, want) in slots.iter().enumerate() {
                // SAFETY: slot `j` of the live array.
                let obj = unsafe { s.mutator().read_ref(a, 8 + j * 8) };
                let id = obj.map(|o| node_id(heap, types, o)).transpose();
                if id.as_ref() != Ok(want) {
                    return Err(format!("step {step}: slot {j} holds {id:?}, not node {want:?}"));
                }
            }
            if step % 97 == 96 {
                let young = rng.below(2) == 0;
                if young {
                    s.mutator().collect_young().map_err(err)?;
                } else {
                    s.mutator().collect().map_err(err)?;
                }
                let w = s.get(weak_array).ok_or("weak array lost")?;
                for (k, want) in weak_slots.iter_mut().enumerate() {
                    // SAFETY: weak slot `k` of the live weak array.
                    let got = unsafe { s.mutator().read_weak(w, 8 + k * 8) };
                    let held = want.is_some_and(|id| reachable(&slots, &ephemerons, id));
                    if let Some(obj) = got
                        && Some(node_id(heap, types, obj)?) != *want
                    {
                        return Err(format!("after a cycle: weak slot {k} is not node {want:?}"));
                    }
                    match (got.is_some(), held, young) {
                        (false, true, _) => {
                            return Err(format!("after a cycle: weak slot {k} cleared while {want:?} is held"));
                        }
                        (true, false, false) => {
                            return Err(format!("after a full cycle: weak slot {k} holds unreachable {want:?}"));
                        }
                        (false, false, _) => *want = None,
                        (true, _, _) => {}
                    }
                }
                let eph: Vec<usize> = ephemerons.keys().copied().collect();
                for id in eph {
                    let got = ephemerons[&id].get(s.mutator()).map_err(err)?;
                    let held = slots.contains(&Some(id));
                    match (got.is_some(), held, young) {
                        (false, true, _) => {
                            return Err(format!("after a cycle: ephemeron {id} cleared while its key is held"));
                        }
                        (true, false, false) => {
                            return Err(format!("after a full cycle: ephemeron {id}'s key is unreachable but kept"));
                        }
                        (false, false, _) => {
                            ephemerons.remove(&id);
                        }
                        (true, _, _) => {}
                    }
                }
                let ids: Vec<usize> = weak.keys().copied().collect();
                for id in ids {
                    let got = weak[&id].get(s.mutator()).map_err(err)?;
                    let held = slots.contains(&Some(id));
                    if let Some(obj) = got {
                        let found = node_id(heap, types, obj)?;
                        if found != id {
                            return Err(format!("after a cycle: node {id}'s handle gives {found}"));
                        }
                    }
                    match (got.is_some(), held, young) {
                        (false, true, _) => {
                            return Err(format!("after a cycle: node {id} cleared while held"));
                        }
                        (true, false, false) => {
                            return Err(format!(
                                "after a full cycle: node {id} is unreachable but not cleared"
                            ));
                        }
                        (false, false, _) => {
                            weak.remove(&id);
                            cleared += 1;
                        }
                        (true, _, _) => {}
                    }
                }
            }
        }
        if cleared == 0 {
            return Err("no weak handle was ever cleared".into());
        }
        Ok(())
    })
}

fn model(mode: Mode, threads: usize, steps: usize, configure: impl Fn(HeapBuilder) -> HeapBuilder) {
    let Some((heap, types)) = concurrent_heap(mode, 24 << 20, configure) else {
        return;
    };
    run_each(threads, |t| {
        workout(&heap, types, 1 + t as u64, steps, ALL_OPS)
    });
    let s = heap.stats();
    eprintln!(
        "{mode:?}: {} young and {} full cycles, {} pauses, {} barrier entries",
        s.young_cycles,
        s.full_cycles,
        s.pauses.len(),
        s.satb_entries
    );
    assert!(s.young_cycles > 0 && s.full_cycles > 0, "{mode:?}: {s:?}");
}

/// Cycles every megabyte allocated, marking and compacting concurrently.
fn frequent_cycles(b: HeapBuilder) -> HeapBuilder {
    b.policy(
        Policy::default()
            .young_slide_limit(0)
            .young_pause_objects(0)
            .young_budget(Some(1 << 20)),
    )
}

#[test]
fn weak_handles_follow_reachability_under_concurrent_cycles() {
    for mode in MODES {
        model(mode, 3, 3000, frequent_cycles);
    }
}

#[test]
fn weak_handles_follow_reachability_with_default_policy_and_marking_in_the_pause() {
    for mode in MODES {
        model(mode, 2, 2000, |b| b.policy(Policy::default()));
        model(mode, 2, 2000, |b| b.concurrent_mark(false));
    }
}

/// The test has teeth: when reading a weak handle during marking does not
/// keep the referent alive, a referent stored back into the graph is freed,
/// and the checks find its address stale. Every cycle is full and marks a
/// long list (another thread's), so that marking takes long enough for the
/// workout to read many handles meanwhile.
#[test]
fn without_keep_alive_a_weak_read_during_marking_is_caught() {
    let Some((heap, types)) = concurrent_heap(Mode::StopTheWorld, 48 << 20, |b| {
        b.policy(
            Policy::default()
                .generational(false)
                .young_budget(Some(1 << 20)),
        )
        .inject(Injection {
            no_keep_alive: true,
            ..Injection::default()
        })
    }) else {
        return;
    };
    let done = AtomicBool::new(false);
    let (heap, done) = (&heap, &done);
    let failed = std::thread::scope(|sc| {
        sc.spawn(move || {
            let mut m = heap.attach().expect("attach");
            m.scope(|s| {
                let list = movegc_tests::build_ballast(s, types, 5, 100_000).expect("ballast");
                let _list = s.local(list);
                while !done.load(Ordering::Relaxed) {
                    s.mutator().alloc(types.blob, 1000).expect("garbage");
                }
            });
        });
        let failed = (1..=10).find_map(|seed| {
            let runs: Vec<_> = (0..2)
                .map(|t| {
                    sc.spawn(move || workout(heap, types, seed * 10 + t, 3000, WEAK_HANDLE_OPS))
                })
                .collect();
            runs.into_iter()
                .map(|r| r.join().expect("no panic"))
                .find_map(Result::err)
        });
        done.store(true, Ordering::Relaxed);
        failed
    });
    // The same workouts pass with keep-alive (the other tests): any model
    // violation here comes from the referent the cycle freed.
    let e = failed.expect(
        "10 runs without keep-alive found nothing: the test reads no weak referent during marking",
    );
    eprintln!("without keep-alive: {e}");
}

/// 100 nodes with ids from `base`, held by an array in a handle, and a weak
/// handle to each; garbage between them.
fn held_nodes<'s>(
    s: &mut HandleScope<'s>,
    types: Types,
    base: usize,
) -> (Local<'s>, Vec<(usize, Weak)>) {
    let keep = s.alloc(types.refs, 100).unwrap();
    let mut handles = Vec::new();
    for i in 0..100 {
        // Garbage before each node: the nodes move at the next cycle.
        s.mutator().alloc(types.blob, 100).unwrap();
        let n = new_node(s.mutator(), types, base + i).unwrap();
        let k = s.get(keep).unwrap();
        // SAFETY: slot `i` of the live array; `n` is fresh.
        unsafe {
            s.mutator().write_ref(k, 8 + i * 8, Some(n));
            handles.push((base + i, s.mutator().weak(n)));
        }
    }
    (keep, handles)
}

/// A young cycle takes old referents as live and clears only young ones; a
/// full cycle clears both. The referents' contents are checked after moves.
#[test]
fn young_cycles_clear_only_young_referents() {
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 64 << 20, |b| b) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        let (old, young) = m.scope(|s| {
            let (old_keep, old) = held_nodes(s, types, 0);
            // Two full cycles: the old nodes are old, wherever they moved.
            s.mutator().collect().unwrap();
            s.mutator().collect().unwrap();
            let (young_keep, young) = held_nodes(s, types, 1000);
            // Every node is reachable: nothing is cleared, by either kind.
            s.mutator().collect_young().unwrap();
            for (id, w) in old.iter().chain(&young) {
                let obj = w.get(s.mutator()).unwrap().expect("reachable, cleared");
                assert_eq!(node_id(&heap, types, obj).unwrap(), *id);
            }
            s.set(old_keep, None);
            s.set(young_keep, None);
            (old, young)
        });
        // Another young cycle: the young nodes died, the old ones count as live.
        m.collect_young().unwrap();
        let last = heap.stats().last.unwrap();
        assert_eq!(last.kind, CycleKind::Young, "{mode:?}");
        for (id, w) in &old {
            let obj = w
                .get(&mut m)
                .unwrap()
                .expect("an old referent cleared by a young cycle");
            assert_eq!(node_id(&heap, types, obj).unwrap(), *id, "{mode:?}");
        }
        for (id, w) in &young {
            assert!(
                w.get(&mut m).unwrap().is_none(),
                "{mode:?}: young node {id} not cleared"
            );
        }
        assert_eq!(last.references.weak_cleared, young.len(), "{mode:?}");
        m.collect().unwrap();
        for (id, w) in &old {
            assert!(
                w.get(&mut m).unwrap().is_none(),
                "{mode:?}: old node {id} not cleared"
            );
        }
    }
}

/// A weak handle read with another heap's mutator is an error, not a panic.
#[test]
fn a_weak_handle_of_another_heap_is_refused() {
    let Some((a, types)) = concurrent_heap(Mode::StopTheWorld, 8 << 20, |b| b) else {
        return;
    };
    let (b, _) = concurrent_heap(Mode::StopTheWorld, 8 << 20, |b| b).unwrap();
    let mut ma = a.attach().unwrap();
    let mut mb = b.attach().unwrap();
    let w = ma.scope(|s| {
        let n = s.alloc(types.node, 0).unwrap();
        s.weak(n).unwrap()
    });
    assert!(matches!(w.get(&mut mb), Err(GcError::OtherHeap)));
    assert!(w.get(&mut ma).is_ok());
}

/// Weak handles to large objects (which never move, and whose memory a
/// sweep gives back while the mutators run): cleared when the object dies,
/// by the young cycle after its allocation or a full one; a held one stays,
/// its contents intact.
#[test]
fn weak_handles_to_large_objects() {
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 32 << 20, |b| b) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let large = |s: &mut HandleScope<'_>, mark: u8| {
                let blob = s.mutator().alloc(types.blob, 100_000).unwrap();
                // SAFETY: the fresh blob's first and last bytes.
                unsafe {
                    *blob.byte_ptr(8) = mark;
                    *blob.byte_ptr(8 + 99_999) = mark;
                }
                blob
            };
            let kept = large(s, 7);
            let held = s.local(Some(kept));
            // SAFETY: `kept` is fresh.
            let kept_weak = unsafe { s.mutator().weak(kept) };
            let dying = large(s, 9);
            // SAFETY: `dying` is fresh.
            let dying_weak = unsafe { s.mutator().weak(dying) };
            assert!(
                !heap.moving_space().contains(&dying.addr()),
                "not a large object"
            );
            s.mutator().collect_young().unwrap();
            assert!(
                dying_weak.get(s.mutator()).unwrap().is_none(),
                "{mode:?}: a dead large object's handle kept"
            );
            // Memory the dead one held goes to new large objects: the handle stays null.
            let again = large(s, 11);
            let _again = s.local(Some(again));
            assert!(dying_weak.get(s.mutator()).unwrap().is_none(), "{mode:?}");
            s.mutator().collect().unwrap();
            let got = kept_weak.get(s.mutator()).unwrap();
            assert_eq!(got, s.get(held), "{mode:?}: a held large object's handle");
            let got = got.unwrap();
            // SAFETY: the live blob's first and last bytes.
            let marks = unsafe { (*got.byte_ptr(8), *got.byte_ptr(8 + 99_999)) };
            assert_eq!(marks, (7, 7), "{mode:?}");
            s.set(held, None);
            // Old now: a young cycle keeps it, a full one frees it.
            s.mutator().collect_young().unwrap();
            assert!(
                kept_weak.get(s.mutator()).unwrap().is_some(),
                "{mode:?}: an old large object cleared by a young cycle"
            );
            s.mutator().collect().unwrap();
            assert!(kept_weak.get(s.mutator()).unwrap().is_none(), "{mode:?}");
        });
    }
}

/// Many handles (the collector splits its passes over them among its GC
/// threads): after each cycle, exactly those whose nodes an array holds
/// remain, at the addresses the array has.
#[test]
fn many_weak_handles_are_processed_in_parallel_chunks() {
    const N: usize = 20_000;
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 64 << 20, |b| b) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let held = s.alloc(types.refs, N as u32).unwrap();
            let mut handles = Vec::with_capacity(N);
            for i in 0..N {
                let n = new_node(s.mutator(), types, i).unwrap();
                let h = s.get(held).unwrap();
                // SAFETY: slot `i` of the live array; `n` is fresh.
                unsafe {
                    if i % 3 != 0 {
                        s.mutator().write_ref(h, 8 + i * 8, Some(n));
                    }
                    handles.push(s.mutator().weak(n));
                }
            }
            for young in [true, false] {
                if young {
                    s.mutator().collect_young().unwrap();
                } else {
                    s.mutator().collect().unwrap();
                }
                let h = s.get(held).unwrap();
                for (i, w) in handles.iter().enumerate() {
                    let got = w.get(s.mutator()).unwrap();
                    // SAFETY: slot `i` of the live array.
                    let want = unsafe { s.mutator().read_ref(h, 8 + i * 8) };
                    assert_eq!(got, want, "{mode:?}: handle {i}");
                    if let Some(n) = got {
                        assert_eq!(node_id(&heap, types, n).unwrap(), i, "{mode:?}");
                    }
                }
            }
            let last = heap.stats().last.unwrap();
            assert_eq!(
                last.references.weak,
                N - N.div_ceil(3),
                "{mode:?}: live handles seen"
            );
        });
    }
}
