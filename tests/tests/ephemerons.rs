//! Ephemerons: a value lives while its key is reachable from elsewhere,
//! resolved to a fixpoint (chains whose values are other ephemerons' keys,
//! made in any order), cleared with the key, in young and full cycles, in
//! every mode; contents checked after the objects moved.

use gc_core::{CycleKind, Ephemeron, GcError, HandleScope, Heap, Local, Mode, Mutator, ObjRef};
use movegc_tests::{Rng, Types, concurrent_heap};

const MODES: [Mode; 3] = [Mode::StopTheWorld, Mode::Move, Mode::Copy];

/// Allocates garbage and then a node with `id` (data word 32) and its
/// check word (40): the node moves at the next cycle.
fn node(m: &mut Mutator, types: Types, id: usize) -> Result<ObjRef, GcError> {
    m.alloc(types.blob, 64)?;
    let n = m.alloc(types.node, 0)?;
    // SAFETY: a fresh node: 32 and 40 are data words.
    unsafe {
        n.write_word(32, id);
        n.write_word(40, !id);
    }
    Ok(n)
}

/// The id of the node at `obj`, checked: a node, its check word intact.
fn id_of(heap: &Heap, types: Types, obj: ObjRef) -> usize {
    assert!(
        heap.moving_space().contains(&obj.addr()),
        "{obj:?} outside the heap"
    );
    // SAFETY: inside the allocated moving space.
    let (ty, id, check) = unsafe { (obj.header().type_id(), obj.read_word(32), obj.read_word(40)) };
    assert_eq!(ty, types.node.0, "{obj:?}: not a node: a stale address");
    assert_eq!(
        check, !id,
        "{obj:?}: a node's data overwritten: a stale address"
    );
    id
}

/// A chain of `n` ephemerons, key `i` to value `i + 1` (which is the next
/// one's key), made in a shuffled order; returns the first key's handle and
/// the ephemerons by position.
fn chain<'s>(
    s: &mut HandleScope<'s>,
    types: Types,
    n: usize,
    seed: u64,
) -> (Local<'s>, Vec<Ephemeron>) {
    // The nodes, held by an array while the ephemerons are made.
    let all = s.alloc(types.refs, (n + 1) as u32).unwrap();
    for i in 0..=n {
        let k = node(s.mutator(), types, i).unwrap();
        let a = s.get(all).unwrap();
        // SAFETY: slot `i` of the live array; `k` is fresh.
        unsafe { s.mutator().write_ref(a, 8 + i * 8, Some(k)) };
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(seed);
    for i in (1..n).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut made: Vec<Option<Ephemeron>> = (0..n).map(|_| None).collect();
    let a = s.get(all).unwrap();
    for i in order {
        // SAFETY: slots of the live array hold live nodes; no safepoint here.
        unsafe {
            let key = s.mutator().read_ref(a, 8 + i * 8).unwrap();
            let value = s.mutator().read_ref(a, 8 + (i + 1) * 8).unwrap();
            made[i] = Some(s.mutator().ephemeron(key, value));
        }
    }
    // SAFETY: as above.
    let first = unsafe { s.mutator().read_ref(a, 8) };
    let first = s.local(first);
    s.set(all, None);
    (first, made.into_iter().map(Option::unwrap).collect())
}

fn check_chain(heap: &Heap, types: Types, m: &mut Mutator, chain: &[Ephemeron]) {
    for (i, e) in chain.iter().enumerate() {
        let (k, v) = e
            .get(m)
            .unwrap()
            .unwrap_or_else(|| panic!("ephemeron {i} cleared"));
        assert_eq!((id_of(heap, types, k), id_of(heap, types, v)), (i, i + 1));
        if let Some(next) = chain.get(i + 1) {
            let (nk, _) = next.get(m).unwrap().unwrap();
            assert_eq!(v, nk, "ephemeron {i}'s value is not the next one's key");
        }
    }
}

/// A chain lives while its first key does, through young and full cycles,
/// and dies with it: the fixpoint marks each value once its key is marked,
/// whatever order the ephemerons were made in.
#[test]
fn chains_resolve_to_a_fixpoint() {
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 32 << 20, |b| b) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        for seed in 1..4 {
            let chain = m.scope(|s| {
                let (first, chain) = chain(s, types, 50, seed);
                for young in [true, false, true] {
                    if young {
                        s.mutator().collect_young().unwrap();
                    } else {
                        s.mutator().collect().unwrap();
                    }
                    check_chain(&heap, types, s.mutator(), &chain);
                    let (k, _) = chain[0].get(s.mutator()).unwrap().unwrap();
                    assert_eq!(s.get(first), Some(k), "{mode:?}: the first key moved apart");
                }
                chain
            });
            m.collect().unwrap();
            let last = heap.stats().last.unwrap();
            for (i, e) in chain.iter().enumerate() {
                assert!(
                    e.get(&mut m).unwrap().is_none(),
                    "{mode:?}: ephemeron {i} not cleared"
                );
            }
            assert_eq!(last.references.ephemerons_cleared, chain.len(), "{mode:?}");
        }
    }
}

/// An ephemeron from a node with `id` to one with `id + 1` that references
/// it; the key is in the returned handle.
fn self_held_pair<'s>(s: &mut HandleScope<'s>, types: Types, id: usize) -> (Ephemeron, Local<'s>) {
    let k = node(s.mutator(), types, id).unwrap();
    let hk = s.local(Some(k));
    let v = node(s.mutator(), types, id + 1).unwrap();
    let k = s.get(hk).unwrap();
    // SAFETY: live nodes; slot 8 is a reference; no safepoint since.
    let e = unsafe {
        s.mutator().write_ref(v, 8, Some(k));
        s.mutator().ephemeron(k, v)
    };
    (e, hk)
}

/// A value that references its own key keeps neither alive; with the key
/// held elsewhere, both live.
#[test]
fn a_value_referencing_its_key_does_not_keep_it() {
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 16 << 20, |b| b) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let (dropped, hk) = self_held_pair(s, types, 10);
            s.set(hk, None);
            let (kept, held) = self_held_pair(s, types, 20);
            s.mutator().collect().unwrap();
            assert!(
                dropped.get(s.mutator()).unwrap().is_none(),
                "{mode:?}: a self-held key kept"
            );
            let (k, v) = kept
                .get(s.mutator())
                .unwrap()
                .expect("a held key's ephemeron cleared");
            assert_eq!((id_of(&heap, types, k), id_of(&heap, types, v)), (20, 21));
            assert_eq!(s.get(held), Some(k), "{mode:?}");
            // SAFETY: a live node's reference slot.
            assert_eq!(unsafe { s.mutator().read_ref(v, 8) }, Some(k), "{mode:?}");
        });
    }
}

/// In a young cycle an old key counts as live: its young value is kept; a
/// young key that died is cleared with its value. A full cycle clears an
/// unreachable old key's ephemeron.
#[test]
fn young_cycles_keep_old_keys_values() {
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 32 << 20, |b| b) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let old = node(s.mutator(), types, 1).unwrap();
            let old = s.local(Some(old));
            s.mutator().collect().unwrap();
            s.mutator().collect().unwrap();
            let young_value = node(s.mutator(), types, 2).unwrap();
            let old_key = s.get(old).unwrap();
            // SAFETY: live nodes, no safepoint since they were read.
            let with_old_key = unsafe { s.mutator().ephemeron(old_key, young_value) };
            let young_key = node(s.mutator(), types, 3).unwrap();
            let hk = s.local(Some(young_key));
            let young_value = node(s.mutator(), types, 4).unwrap();
            let young_key = s.get(hk).unwrap();
            // SAFETY: as above.
            let with_young_key = unsafe { s.mutator().ephemeron(young_key, young_value) };
            s.set(hk, None);
            s.mutator().collect_young().unwrap();
            assert_eq!(
                heap.stats().last.unwrap().kind,
                CycleKind::Young,
                "{mode:?}"
            );
            assert!(
                with_young_key.get(s.mutator()).unwrap().is_none(),
                "{mode:?}"
            );
            s.set(old, None);
            s.mutator().collect_young().unwrap();
            assert_eq!(
                heap.stats().last.unwrap().kind,
                CycleKind::Young,
                "{mode:?}"
            );
            let (k, v) = with_old_key
                .get(s.mutator())
                .unwrap()
                .expect("an old key's ephemeron cleared by a young cycle");
            assert_eq!(
                (id_of(&heap, types, k), id_of(&heap, types, v)),
                (1, 2),
                "{mode:?}"
            );
            s.mutator().collect().unwrap();
            assert!(with_old_key.get(s.mutator()).unwrap().is_none(), "{mode:?}");
        });
    }
}
