//! A complete, small embedding: a VM with cons cells and strings, whose values
//! are tagged (fixnums have the low bit set), builds a list, makes garbage,
//! collects, and checks its data survived the move.
//!
//! `cargo run --release -p gc-core --example embedding`

use gc_core::{Heap, Mutator, ObjRef, TypeDescriptor, TypeId, TypeTable, WORD};

/// The VM's value encoding: fixnums are `n << 1 | 1`, references are addresses.
fn fixnum(n: usize) -> usize {
    (n << 1) | 1
}

fn unfix(v: usize) -> usize {
    v >> 1
}

struct Types {
    cons: TypeId,
    string: TypeId,
}

const CAR: usize = WORD;
const CDR: usize = 2 * WORD;

fn register(table: &TypeTable) -> Types {
    Types {
        // A header, then `car` (any value) and `cdr` (a reference or null).
        cons: table
            .register(TypeDescriptor::fixed(
                "cons",
                3 * WORD,
                &[CDR as u32],
                &[CAR as u32],
            ))
            .expect("a valid layout"),
        string: table
            .register(TypeDescriptor::bytes("string"))
            .expect("a valid layout"),
    }
}

/// Prepends `value` to the list in `list`; both live in handles across the allocation.
fn push(m: &mut Mutator, types: &Types, list: Option<ObjRef>, value: usize) -> ObjRef {
    m.scope(|s| {
        let tail = s.local(list);
        let cell = s.alloc(types.cons, 0).expect("heap large enough");
        let (cell, tail) = (s.get(cell).unwrap(), s.get(tail));
        // SAFETY: `cell` was just allocated and no safepoint has passed since.
        unsafe {
            s.mutator().write_tagged(cell, CAR, value);
            s.mutator().write_ref(cell, CDR, tail);
        }
        cell
    })
}

fn main() {
    let table = TypeTable::new();
    let types = register(&table);
    let heap = Heap::builder()
        .size(64 << 20)
        .types(table)
        .build()
        .expect("the heap starts");
    let mut m = heap.attach().expect("first mutator on this thread");

    let sum = m.scope(|s| {
        let list = s.local(None);
        for i in 0..100_000 {
            let head = s.get(list);
            let cell = push(s.mutator(), &types, head, fixnum(i));
            s.set(list, Some(cell));
            // Garbage: a string nobody keeps.
            s.mutator()
                .alloc(types.string, 100)
                .expect("heap large enough");
            s.mutator().safepoint();
        }
        s.mutator().collect().expect("a sound heap");
        let mut sum = 0;
        let mut at = s.get(list);
        while let Some(cell) = at {
            // SAFETY: `cell` is reachable from a handle and no safepoint passes in the loop.
            unsafe {
                sum += unfix(cell.read_word(CAR));
                at = s.mutator().read_ref(cell, CDR);
            }
        }
        sum
    });
    assert_eq!(sum, (0..100_000).sum::<usize>());
    let stats = heap.stats();
    println!(
        "sum {sum}; {} collections, max pause {:?}, {} bytes in use",
        stats.collections, stats.max_pause, stats.used
    );
}
