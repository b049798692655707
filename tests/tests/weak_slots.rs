//! Weak slots inside objects (`SlotKind::Weak`): marking does not follow
//! them, the cycle that finds their object unreachable stores null in them,
//! and compaction rewrites them when the object moves; an old object's weak
//! slot to a young object is found through its card. Fixed objects and weak
//! arrays, young and full cycles, every mode, the verifier on.

use gc_core::{
    CycleKind, Heap, HeapBuilder, Mode, Mutator, ObjRef, Policy, SlotKind, TypeDescriptor, TypeId,
    TypeTable,
};
use movegc_tests::{Types, build_or_skip};

const MODES: [Mode; 3] = [Mode::StopTheWorld, Mode::Move, Mode::Copy];

/// The test VM's types, a holder with a weak slot (8) and a strong one (16),
/// and a weak array.
#[derive(Clone, Copy)]
struct WeakTypes {
    vm: Types,
    holder: TypeId,
    weak_array: TypeId,
}

fn table() -> (TypeTable, WeakTypes) {
    let t = TypeTable::new();
    let vm = Types::register(&t);
    let holder = t
        .register(TypeDescriptor::fixed_slots(
            "holder",
            32,
            &[(8, SlotKind::Weak), (16, SlotKind::Ref)],
        ))
        .expect("a valid type");
    let weak_array = t
        .register(TypeDescriptor::array("weak array", SlotKind::Weak))
        .expect("a valid type");
    (
        t,
        WeakTypes {
            vm,
            holder,
            weak_array,
        },
    )
}

/// A heap as the concurrent tests' (`movegc_tests::concurrent_heap`), with
/// these types: every cycle marks and compacts concurrently in the
/// concurrent modes.
fn heap(mode: Mode, configure: impl Fn(HeapBuilder) -> HeapBuilder) -> Option<(Heap, WeakTypes)> {
    let (_, types) = table();
    let heap = build_or_skip(|| {
        configure(
            Heap::builder()
                .size(32 << 20)
                .mode(mode)
                .gc_threads(2)
                .verify(true)
                .policy(
                    Policy::default()
                        .young_slide_limit(0)
                        .young_pause_objects(0),
                )
                .types(table().0),
        )
    })?;
    Some((heap, types))
}

/// Garbage, then a node with `id` and its check word: it moves at the next cycle.
fn node(m: &mut Mutator, t: WeakTypes, id: usize) -> ObjRef {
    m.alloc(t.vm.blob, 64).unwrap();
    let n = m.alloc(t.vm.node, 0).unwrap();
    // SAFETY: a fresh node: 32 and 40 are data words.
    unsafe {
        n.write_word(32, id);
        n.write_word(40, !id);
    }
    n
}

fn id_of(heap: &Heap, t: WeakTypes, obj: ObjRef) -> usize {
    assert!(
        heap.moving_space().contains(&obj.addr()),
        "{obj:?}: outside the heap"
    );
    // SAFETY: inside the allocated moving space.
    let (ty, id, check) = unsafe { (obj.header().type_id(), obj.read_word(32), obj.read_word(40)) };
    assert_eq!((ty, check), (t.vm.node.0, !id), "{obj:?}: a stale address");
    id
}

/// A weak array of 200 nodes, every other one also held by a strong array:
/// after each cycle the weak array holds exactly the held ones, at the
/// addresses the strong array has; the others are null.
#[test]
fn a_weak_array_keeps_exactly_the_reachable() {
    for mode in MODES {
        let Some((heap, t)) = heap(mode, |b| b) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            const N: usize = 200;
            let weak = s.alloc(t.weak_array, N as u32).unwrap();
            let strong = s.alloc(t.vm.refs, N as u32).unwrap();
            for i in 0..N {
                let n = node(s.mutator(), t, i);
                let (w, st) = (s.get(weak).unwrap(), s.get(strong).unwrap());
                // SAFETY: slot `i` of the live arrays; `n` is fresh.
                unsafe {
                    s.mutator().write_weak(w, 8 + i * 8, Some(n));
                    if i % 2 == 0 {
                        s.mutator().write_ref(st, 8 + i * 8, Some(n));
                    }
                }
            }
            for (c, young) in [false, true, false].into_iter().enumerate() {
                if young {
                    s.mutator().collect_young().unwrap();
                } else {
                    s.mutator().collect().unwrap();
                }
                let (w, st) = (s.get(weak).unwrap(), s.get(strong).unwrap());
                for i in 0..N {
                    // SAFETY: slot `i` of the live arrays.
                    let (wv, sv) = unsafe {
                        (
                            s.mutator().read_weak(w, 8 + i * 8),
                            s.mutator().read_ref(st, 8 + i * 8),
                        )
                    };
                    assert_eq!(wv, sv, "{mode:?}, cycle {c}: weak slot {i}");
                    if let Some(n) = wv {
                        assert_eq!(id_of(&heap, t, n), i, "{mode:?}");
                    }
                }
            }
            let last = heap.stats().last.unwrap();
            assert!(
                last.references.weak_slots >= N / 2,
                "{mode:?}: {:?}",
                last.references
            );
        });
    }
}

/// An old holder's weak slot to a young node: a young cycle clears it when
/// the node dies (the slot is found through its card) and rewrites it while
/// the node lives; to an old node, a young cycle leaves it, a full one
/// clears it.
#[test]
fn an_old_objects_weak_slot_follows_young_and_full_cycles() {
    for mode in MODES {
        let Some((heap, t)) = heap(mode, |b| b) else {
            continue;
        };
        let mut m = heap.attach().unwrap();
        m.scope(|s| {
            let holder = s.alloc(t.holder, 0).unwrap();
            let old = node(s.mutator(), t, 1);
            let h = s.get(holder).unwrap();
            // SAFETY: the live holder's slots; `old` is fresh.
            unsafe { s.mutator().write_ref(h, 16, Some(old)) };
            s.mutator().collect().unwrap();
            s.mutator().collect().unwrap();
            // The holder is old now. A young node, held and weakly referenced.
            let young = node(s.mutator(), t, 2);
            let held = s.local(Some(young));
            let h = s.get(holder).unwrap();
            // SAFETY: as above.
            unsafe { s.mutator().write_weak(h, 8, Some(young)) };
            s.mutator().collect_young().unwrap();
            assert_eq!(
                heap.stats().last.unwrap().kind,
                CycleKind::Young,
                "{mode:?}"
            );
            let h = s.get(holder).unwrap();
            // SAFETY: as above.
            let got = unsafe { s.mutator().read_weak(h, 8) };
            assert_eq!(
                got,
                s.get(held),
                "{mode:?}: the weak slot was not rewritten"
            );
            s.set(held, None);
            s.mutator().collect_young().unwrap();
            assert_eq!(
                heap.stats().last.unwrap().kind,
                CycleKind::Young,
                "{mode:?}"
            );
            let h = s.get(holder).unwrap();
            // SAFETY: as above.
            let got = unsafe { s.mutator().read_weak(h, 8) };
            assert_eq!(got, None, "{mode:?}: young node kept");
            // Now to the old node, which dies.
            // SAFETY: as above.
            unsafe {
                let old = s.mutator().read_ref(h, 16);
                s.mutator().write_weak(h, 8, old);
                s.mutator().write_ref(h, 16, None);
            }
            s.mutator().collect_young().unwrap();
            let h = s.get(holder).unwrap();
            // SAFETY: as above.
            let got = unsafe { s.mutator().read_weak(h, 8) }
                .expect("an old node cleared by a young cycle");
            assert_eq!(id_of(&heap, t, got), 1, "{mode:?}");
            s.mutator().collect().unwrap();
            let h = s.get(holder).unwrap();
            // SAFETY: as above.
            let got = unsafe { s.mutator().read_weak(h, 8) };
            assert_eq!(got, None, "{mode:?}: old node kept");
        });
    }
}

/// Weak slots that paced mutators find while they help a marking (on one
/// thread: `concurrent_threads(1)`) are processed as the marking thread's:
/// eight threads (more than cores) each hold 40,000 holders whose weak slots
/// reference nodes, every other one also held by the holder's strong slot,
/// and allocate garbage until paced mutators have marked through cycles;
/// after each cycle every weak slot to an unreachable node is null, and every
/// other one is the held node's address. (The marking is all holders, so a
/// helper's batches are: with the helpers' weak slots dropped, it failed in
/// four runs of six, a slot left to a dead node.)
#[test]
fn weak_slots_found_by_paced_mutators_are_processed() {
    const HOLDERS: usize = 40_000;
    let (_, t) = table();
    let Some(heap) = build_or_skip(|| {
        Heap::builder()
            .size(48 << 20)
            .mode(Mode::StopTheWorld)
            .concurrent_threads(1)
            .policy(Policy::default().generational(false))
            .types(table().0)
    }) else {
        return;
    };
    std::thread::scope(|scope| {
        for k in 0..8 {
            let heap = &heap;
            scope.spawn(move || {
                let mut m = heap.attach().unwrap();
                m.scope(|s| {
                    let holders = s.alloc(t.vm.refs, HOLDERS as u32).unwrap();
                    for i in 0..HOLDERS {
                        let holder = s.alloc(t.holder, 0).unwrap();
                        let n = node(s.mutator(), t, k * HOLDERS + i);
                        let (h, hs) = (s.get(holder).unwrap(), s.get(holders).unwrap());
                        // SAFETY: slots of live objects; no allocation between
                        // the reads of the handles and the writes.
                        unsafe {
                            s.mutator().write_weak(h, 8, Some(n));
                            s.mutator().write_ref(hs, 8 + i * 8, Some(h));
                            if i % 2 == 1 {
                                s.mutator().write_ref(h, 16, Some(n));
                            }
                        }
                    }
                    // Every weak slot to an unreachable node is null, every
                    // other one the held node's address.
                    let check = |s: &mut gc_core::HandleScope<'_>, after: u64| {
                        let hs = s.get(holders).unwrap();
                        for i in 0..HOLDERS {
                            // SAFETY: slots of a live array and holders; no
                            // allocation between the reads.
                            let (weak, held) = unsafe {
                                let h = s.mutator().read_ref(hs, 8 + i * 8).unwrap();
                                (s.mutator().read_weak(h, 8), s.mutator().read_ref(h, 16))
                            };
                            assert_eq!(weak, held, "thread {k}, holder {i}, after gc {after}");
                            if let Some(n) = weak {
                                assert_eq!(id_of(heap, t, n), k * HOLDERS + i);
                            }
                        }
                    };
                    // Checked after each cycle (a slot left to a dead node
                    // points to freed memory until a later cycle clears it),
                    // for ten that began after the weak slots were written, and
                    // until paced mutators have scanned 200,000 objects.
                    let from = heap.stats().collections + 2;
                    let mut checked = from - 1;
                    loop {
                        let st = heap.stats();
                        if st.collections > checked {
                            checked = st.collections;
                            check(s, checked);
                        }
                        if st.collections >= from + 10
                            && (st.marked_by_mutators >= 200_000 || st.collections >= 100)
                        {
                            break;
                        }
                        s.mutator().alloc(t.vm.blob, 1000).unwrap();
                    }
                });
            });
        }
    });
    let s = heap.stats();
    eprintln!(
        "{} collections, {} objects marked by paced mutators",
        s.collections, s.marked_by_mutators
    );
    assert!(
        s.marked_by_mutators > 0,
        "in {} collections no paced mutator marked",
        s.collections
    );
}
