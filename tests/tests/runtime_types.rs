//! Types registered while the heap runs: one thread (not a mutator) registers
//! types one by one while a mutator allocates objects of each new type as
//! soon as it learns its id, and cycles run, marking and compacting
//! concurrently in the concurrent modes, with the verifier on (it reads every
//! object's descriptor, before and after each cycle). The objects live in
//! chains hanging from a root array, and a model of them is checked after
//! every batch of allocations: every object keeps its type, its size and its
//! data across the cycles.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use gc_core::{GcError, Heap, Mode, ObjRef, TypeDescriptor, TypeId, WORD};
use movegc_tests::{Types, concurrent_heap};

/// Types the registering thread adds.
const NEW_TYPES: usize = 300;
/// Slots of the root array; each holds a chain of objects of the new types.
const SLOTS: usize = 64;
/// A chain longer than this is dropped (garbage) and a new one begins.
const CHAIN: usize = 6;
/// Types registered between two cycles: the registrations spread over
/// `NEW_TYPES / TYPES_PER_CYCLE` cycles.
const TYPES_PER_CYCLE: usize = 10;
/// Cycles the mutator waits for after the last registration.
const CYCLES_AFTER: u64 = 4;

/// New type `k`: `size_words(k)` words, a reference slot at 8 (the next
/// object of its chain), then data words that all hold `k`.
fn size_words(k: usize) -> usize {
    2 + k % 7
}

fn descriptor(k: usize) -> TypeDescriptor {
    TypeDescriptor::fixed(&format!("runtime-{k}"), size_words(k) * WORD, &[8], &[])
}

/// Checks each slot's chain against the model: the types (by id), the sizes
/// (by the data words the type's size holds) and the chain's order.
fn check(root: ObjRef, ids: &[TypeId], model: &[Vec<usize>]) -> Result<(), String> {
    for (slot, chain) in model.iter().enumerate() {
        // SAFETY: a live array of SLOTS references; chains are of new types,
        // whose slot 8 is a reference and words 2.. hold `k`.
        let mut at = unsafe { root.read_word(WORD + slot * WORD) };
        for (pos, &k) in chain.iter().rev().enumerate() {
            let Some(obj) = ObjRef::from_addr(at) else {
                return Err(format!(
                    "slot {slot}: chain ends at {pos}, the model has {}",
                    chain.len()
                ));
            };
            // SAFETY: a reference read from a live object.
            let header = unsafe { obj.header() };
            if header.type_id() != ids[k].0 {
                return Err(format!(
                    "slot {slot} position {pos}: type id {} where the model has {} (type {k})",
                    header.type_id(),
                    ids[k].0
                ));
            }
            for w in 2..size_words(k) {
                // SAFETY: word `w` of an object of `size_words(k)` words.
                let v = unsafe { obj.read_word(w * WORD) };
                if v != k {
                    return Err(format!(
                        "slot {slot} position {pos}: word {w} holds {v}, not {k}"
                    ));
                }
            }
            // SAFETY: slot 8 of a new type's object.
            at = unsafe { obj.read_word(8) };
        }
        if at != 0 {
            return Err(format!(
                "slot {slot}: chain longer than the model's {}",
                chain.len()
            ));
        }
    }
    Ok(())
}

fn types_registered_while_allocating_and_collecting(mode: Mode) {
    let Some((heap, types)) = concurrent_heap(mode, 24 << 20, |b| b) else {
        return;
    };
    let published = Mutex::new(Vec::<TypeId>::new());
    let done = AtomicBool::new(false);
    let mutator_ended = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for k in 0..NEW_TYPES {
                let id = heap
                    .register_type(descriptor(k))
                    .expect("a valid descriptor");
                published.lock().unwrap().push(id);
                if k % TYPES_PER_CYCLE == TYPES_PER_CYCLE - 1 {
                    let seen = heap.stats().collections;
                    while heap.stats().collections == seen && !mutator_ended.load(Ordering::Acquire)
                    {
                        std::thread::sleep(std::time::Duration::from_micros(100));
                    }
                }
            }
            done.store(true, Ordering::Release);
        });
        let ran = run_mutator(&heap, types, &published, &done);
        mutator_ended.store(true, Ordering::Release);
        ran.unwrap_or_else(|e| panic!("{mode:?}: {e}"));
    });
    assert_eq!(heap.types().len(), 1 + 5 + NEW_TYPES);
    let cycles = heap.stats().collections;
    assert!(
        cycles >= (NEW_TYPES / TYPES_PER_CYCLE) as u64 + CYCLES_AFTER,
        "{mode:?}: only {cycles} cycles"
    );
}

/// Allocates objects of every newly published type into the chains, with
/// garbage between them to drive cycles, and checks the chains after each batch.
fn run_mutator(
    heap: &Heap,
    types: Types,
    published: &Mutex<Vec<TypeId>>,
    done: &AtomicBool,
) -> Result<(), String> {
    let mut m = heap.attach().map_err(|e| e.to_string())?;
    let mut model: Vec<Vec<usize>> = vec![Vec::new(); SLOTS];
    let mut next_slot = 0;
    let mut cycles_at_end = None;
    m.scope(|s| {
        let root = s
            .mutator()
            .alloc(types.refs, SLOTS as u32)
            .map_err(|e| e.to_string())?;
        let root = s.local(Some(root));
        loop {
            let ids = published.lock().unwrap().clone();
            for (k, &id) in ids.iter().enumerate() {
                let obj = s
                    .mutator()
                    .alloc(id, 0)
                    .map_err(|e: GcError| e.to_string())?;
                let r = s.get(root).ok_or("root lost")?;
                let slot = next_slot;
                next_slot = (next_slot + 1) % SLOTS;
                // SAFETY: `r` is the live root array of SLOTS references, re-read
                // after the allocation; `obj` a fresh object of type `k`.
                unsafe {
                    for w in 2..size_words(k) {
                        obj.write_word(w * WORD, k);
                    }
                    let head = r.read_word(WORD + slot * WORD);
                    let chain = &mut model[slot];
                    if chain.len() == CHAIN {
                        chain.clear();
                    } else {
                        s.mutator().write_ref(obj, 8, ObjRef::from_addr(head));
                    }
                    chain.push(k);
                    s.mutator().write_ref(r, WORD + slot * WORD, Some(obj));
                }
                for _ in 0..4 {
                    s.mutator()
                        .alloc(types.blob, 500)
                        .map_err(|e| e.to_string())?;
                }
            }
            check(s.get(root).ok_or("root lost")?, &ids, &model)?;
            let collections = heap.stats().collections;
            match cycles_at_end {
                None if done.load(Ordering::Acquire) => cycles_at_end = Some(collections),
                Some(at) if collections >= at + CYCLES_AFTER => break,
                _ => {}
            }
        }
        s.mutator().collect().map_err(|e| e.to_string())?;
        let ids = published.lock().unwrap().clone();
        check(s.get(root).ok_or("root lost")?, &ids, &model)?;
        let h = s
            .mutator()
            .histogram(gc_core::Live::Reachable)
            .map_err(|e| e.to_string())?;
        let counted: usize = h
            .types
            .iter()
            .filter(|t| t.name.starts_with("runtime-"))
            .map(|t| t.count)
            .sum();
        let expected: usize = model.iter().map(Vec::len).sum();
        if counted != expected {
            return Err(format!(
                "the histogram counts {counted} objects of new types, the model {expected}"
            ));
        }
        Ok(())
    })
}

#[test]
fn stop_the_world_types_registered_while_allocating_and_collecting() {
    types_registered_while_allocating_and_collecting(Mode::StopTheWorld);
}

#[test]
fn move_mode_types_registered_while_allocating_and_collecting() {
    types_registered_while_allocating_and_collecting(Mode::Move);
}

#[test]
fn copy_mode_types_registered_while_allocating_and_collecting() {
    types_registered_while_allocating_and_collecting(Mode::Copy);
}

/// A full table and a malformed descriptor are errors, and the heap goes on.
#[test]
fn a_full_table_and_a_bad_descriptor_are_errors() {
    let table = gc_core::TypeTable::with_capacity(6).expect("a small table");
    let types = Types::register(&table);
    let heap = Heap::builder()
        .size(8 << 20)
        .mode(Mode::StopTheWorld)
        .types(table)
        .build()
        .expect("a heap");
    let bad = heap.register_type(TypeDescriptor::fixed("odd", 12, &[], &[]));
    assert!(
        matches!(&bad, Err(GcError::Type(e)) if e.to_string().contains("multiple of 8")),
        "{bad:?}"
    );
    let last = heap
        .register_type(descriptor(0))
        .expect("room for one more type");
    let full = heap.register_type(descriptor(1));
    assert!(
        matches!(&full, Err(e @ GcError::Type(_)) if e.to_string().contains("holds 6 types")),
        "{full:?}"
    );
    let mut m = heap.attach().expect("attach");
    let obj = m.alloc(last, 0).expect("an object of the last type");
    m.alloc(types.node, 0).expect("the heap goes on");
    // SAFETY: a live object.
    assert_eq!(unsafe { obj.header() }.type_id(), last.0);
}
