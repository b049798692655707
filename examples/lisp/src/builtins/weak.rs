//! Hash tables, weak-key hash tables and guardians, on the collector's
//! ephemerons and finalization; and the count of the (weakly) interned
//! symbols.
//!
//! Objects move, so a table cannot hash their addresses: every table is
//! searched linearly with `eqv?`, which suits the small tables a program
//! like these keeps. A table's entries are `(key . value)` pairs. A strong
//! table keeps them in a list on the heap. A weak-key table keeps there only
//! the entries whose keys are immediates (fixnums, characters, booleans...),
//! which never die; an entry whose key is a heap object is an ephemeron from
//! the key to the entry, outside the heap, in this module's registry, so the
//! entry lives while the key does and the value may refer to its own key.
//! A cleaner on the table tells the registry when the table itself dies.
//!
//! A guardian (Dybvig's, as in Chez Scheme and Guile) makes, for each
//! `(g obj)`, a registration object holding `obj` strongly and the guardian
//! weakly, kept alive by an ephemeron from `obj` and registered for
//! finalization. While `obj` lives the ephemeron keeps the registration;
//! once `obj` is unreachable the ephemeron is cleared and finalization
//! resurrects the registration, and `obj` with it, intact. `(g)` moves what
//! finalization queued to each live guardian's queue and takes the oldest
//! of its own. The weak slot keeps a guardian nobody holds from living on
//! through the objects registered with it.

use gc_core::{Ephemeron, ObjRef};

use super::lists::eqv;
use super::{Args, Primitive, prim};
use crate::errors::Error;
use crate::gc::field;
use crate::value::Value;
use crate::vm::Vm;

type Result<T> = std::result::Result<T, Error>;

/// What the weak tables and the guardians keep outside the heap.
#[derive(Default)]
pub(crate) struct Weakness {
    /// The entries with heap keys of each weak-key table, by the index in
    /// its `TABLE_WEAK` word; an ephemeron's value is the entry pair.
    tables: Vec<Vec<Ephemeron>>,
    /// Indices in `tables` whose tables died.
    free_tables: Vec<usize>,
    /// An ephemeron from each object registered with a guardian to its
    /// registration.
    guarded: Vec<Ephemeron>,
}

// ------------------------------------------------------------ hash tables

fn new_table(vm: &mut Vm, weak: bool) -> Result<Value> {
    let obj = vm.gc.alloc(vm.gc.t.hash_table, 0)?;
    vm.gc.set(obj, field::TABLE_ENTRIES, Value::NIL);
    if weak {
        // The indices of the tables that died are free again.
        for index in vm.gc.heap().take_cleaned() {
            let index = index as usize;
            if let Some(entries) = vm.weak.tables.get_mut(index) {
                entries.clear();
                vm.weak.free_tables.push(index);
            }
        }
        let index = vm.weak.free_tables.pop().unwrap_or_else(|| {
            vm.weak.tables.push(Vec::new());
            vm.weak.tables.len() - 1
        });
        // SAFETY: a fresh table: its second word is data, not a slot.
        unsafe { obj.write_word(field::TABLE_WEAK, index + 1) };
        // SAFETY: `obj` was allocated above, with no safepoint since.
        unsafe { vm.gc.mutator().register_cleaner(obj, index as u64) };
    }
    Ok(Value::from_ref(obj))
}

/// `(make-hash-table)`: keys compared with `eqv?`, held strongly.
fn make_hash_table(vm: &mut Vm, _: Args) -> Result<Value> {
    new_table(vm, false)
}

/// `(make-weak-key-hash-table)`: an entry lives while its key does.
fn make_weak_key_hash_table(vm: &mut Vm, _: Args) -> Result<Value> {
    new_table(vm, true)
}

fn is_hash_table(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(
        vm.gc.typed(vm.arg(a, 0), vm.gc.t.hash_table).is_some(),
    ))
}

/// The hash table argument 0, and its registry index if it is weak.
fn table_arg(vm: &Vm, who: &str, a: Args) -> Result<(ObjRef, Option<usize>)> {
    let table = vm.obj_arg(who, a, 0, vm.gc.t.hash_table, "a hash table")?;
    // SAFETY: the rule; a hash table's data word.
    let weak = unsafe { table.read_word(field::TABLE_WEAK) };
    Ok((table, weak.checked_sub(1)))
}

/// Whether `key` goes to a weak table's ephemerons rather than its list.
fn ephemeral(weak: Option<usize>, key: Value) -> Option<usize> {
    weak.filter(|_| key.as_ref().is_some())
}

/// The entry for `key` among weak table `index`'s ephemerons, and its
/// position; drops the ephemerons whose keys died on the way.
fn find_ephemeron(vm: &mut Vm, index: usize, key: Value) -> Result<Option<(usize, ObjRef)>> {
    let mut i = 0;
    while i < vm.weak.tables[index].len() {
        match vm.weak.tables[index][i].get(vm.gc.mutator())? {
            None => {
                vm.weak.tables[index].swap_remove(i);
            }
            Some((k, entry)) if eqv(&vm.gc, Value::from_ref(k), key) => {
                return Ok(Some((i, entry)));
            }
            Some(_) => i += 1,
        }
    }
    Ok(None)
}

/// The entry for `key` in a table's list, and the pair before it, if any.
fn find_listed(vm: &Vm, table: ObjRef, key: Value) -> Option<(Option<ObjRef>, ObjRef)> {
    let gc = &vm.gc;
    let mut before = None;
    let mut list = gc.get(table, field::TABLE_ENTRIES);
    while let Some(p) = gc.pair(list) {
        let entry = gc.pair(gc.car(p))?;
        if eqv(gc, gc.car(entry), key) {
            return Some((before, entry));
        }
        before = Some(p);
        list = gc.cdr(p);
    }
    None
}

/// The `(key . value)` entry for argument 1 in table argument 0.
fn find_entry(vm: &mut Vm, who: &str, a: Args) -> Result<Option<ObjRef>> {
    let (table, weak) = table_arg(vm, who, a)?;
    let key = vm.arg(a, 1);
    Ok(match ephemeral(weak, key) {
        Some(index) => find_ephemeron(vm, index, key)?.map(|(_, entry)| entry),
        None => find_listed(vm, table, key).map(|(_, entry)| entry),
    })
}

/// `(%hash-table-entry table key)`: the entry, a pair, or `#f`; the
/// library's `hash-table-ref` and friends build on it.
fn hash_table_entry(vm: &mut Vm, a: Args) -> Result<Value> {
    let entry = find_entry(vm, "hash-table-ref", a)?;
    Ok(entry.map_or(Value::FALSE, Value::from_ref))
}

fn hash_table_set(vm: &mut Vm, a: Args) -> Result<Value> {
    if let Some(entry) = find_entry(vm, "hash-table-set!", a)? {
        vm.gc.set(entry, field::CDR, vm.arg(a, 2));
        return Ok(Value::UNSPECIFIED);
    }
    let entry = vm.gc.cons(vm.arg(a, 1), vm.arg(a, 2))?;
    let (table, weak) = table_arg(vm, "hash-table-set!", a)?;
    let key = vm.arg(a, 1);
    match (ephemeral(weak, key), key.as_ref(), entry.as_ref()) {
        (Some(index), Some(key), Some(entry)) => {
            // SAFETY: both were read from roots or allocated since the last
            // safepoint.
            let e = unsafe { vm.gc.mutator().ephemeron(key, entry) };
            vm.weak.tables[index].push(e);
        }
        _ => {
            let entries = vm.gc.get(table, field::TABLE_ENTRIES);
            let list = vm.gc.cons(entry, entries)?;
            let (table, _) = table_arg(vm, "hash-table-set!", a)?;
            vm.gc.set(table, field::TABLE_ENTRIES, list);
        }
    }
    Ok(Value::UNSPECIFIED)
}

fn hash_table_delete(vm: &mut Vm, a: Args) -> Result<Value> {
    let (table, weak) = table_arg(vm, "hash-table-delete!", a)?;
    let key = vm.arg(a, 1);
    match ephemeral(weak, key) {
        Some(index) => {
            if let Some((i, _)) = find_ephemeron(vm, index, key)? {
                vm.weak.tables[index].swap_remove(i);
            }
        }
        None => match find_listed(vm, table, key) {
            Some((Some(before), _)) => {
                let at = vm.gc.cdr(before);
                let rest = vm.gc.pair(at).map_or(Value::NIL, |p| vm.gc.cdr(p));
                vm.gc.set(before, field::CDR, rest);
            }
            Some((None, _)) => {
                let list = vm.gc.get(table, field::TABLE_ENTRIES);
                let rest = vm.gc.pair(list).map_or(Value::NIL, |p| vm.gc.cdr(p));
                vm.gc.set(table, field::TABLE_ENTRIES, rest);
            }
            None => {}
        },
    }
    Ok(Value::UNSPECIFIED)
}

/// Drops weak table `index`'s ephemerons whose keys died.
fn prune(vm: &mut Vm, index: usize) -> Result<()> {
    let mut i = 0;
    while i < vm.weak.tables[index].len() {
        if vm.weak.tables[index][i].get(vm.gc.mutator())?.is_none() {
            vm.weak.tables[index].swap_remove(i);
        } else {
            i += 1;
        }
    }
    Ok(())
}

fn hash_table_count(vm: &mut Vm, a: Args) -> Result<Value> {
    let (table, weak) = table_arg(vm, "hash-table-count", a)?;
    let listed = vm
        .gc
        .list_to_vec(vm.gc.get(table, field::TABLE_ENTRIES))
        .map_or(0, |l| l.len());
    let ephemeral = match weak {
        Some(index) => {
            prune(vm, index)?;
            vm.weak.tables[index].len()
        }
        None => 0,
    };
    Ok(Value::small(listed + ephemeral))
}

/// `(hash-table->alist table)`: fresh `(key . value)` pairs.
fn hash_table_to_alist(vm: &mut Vm, a: Args) -> Result<Value> {
    let (table, weak) = table_arg(vm, "hash-table->alist", a)?;
    let mark = vm.gc.roots.scratch.len();
    // Every key and value is kept before the first allocation, which may move them.
    for entry in vm
        .gc
        .list_to_vec(vm.gc.get(table, field::TABLE_ENTRIES))
        .unwrap_or_default()
    {
        if let Some(entry) = vm.gc.pair(entry) {
            vm.gc.keep(vm.gc.car(entry));
            vm.gc.keep(vm.gc.cdr(entry));
        }
    }
    if let Some(index) = weak {
        for i in 0..vm.weak.tables[index].len() {
            if let Some((_, entry)) = vm.weak.tables[index][i].get(vm.gc.mutator())? {
                vm.gc.keep(vm.gc.car(entry));
                vm.gc.keep(vm.gc.cdr(entry));
            }
        }
    }
    let pairs = (vm.gc.roots.scratch.len() - mark) / 2;
    let acc = vm.gc.keep(Value::NIL);
    for i in (0..pairs).rev() {
        let (k, v) = (vm.gc.kept(mark + 2 * i), vm.gc.kept(mark + 2 * i + 1));
        let list = vm
            .gc
            .cons(k, v)
            .and_then(|entry| vm.gc.cons(entry, vm.gc.kept(acc)));
        match list {
            Ok(list) => vm.gc.set_kept(acc, list),
            Err(e) => {
                vm.gc.release(mark);
                return Err(e);
            }
        }
    }
    let list = vm.gc.kept(acc);
    vm.gc.release(mark);
    Ok(list)
}

// ------------------------------------------------------------ guardians

/// `(%make-guardian)`: the guardian object `make-guardian`'s procedure holds.
fn make_guardian(vm: &mut Vm, _: Args) -> Result<Value> {
    let g = vm.gc.alloc(vm.gc.t.guardian, 0)?;
    vm.gc.set(g, field::GUARDIAN_HEAD, Value::NIL);
    vm.gc.set(g, field::GUARDIAN_TAIL, Value::NIL);
    Ok(Value::from_ref(g))
}

/// `(%guardian-register! g obj)`. An immediate never dies, so it is not
/// registered.
fn guardian_register(vm: &mut Vm, a: Args) -> Result<Value> {
    vm.obj_arg("guardian", a, 0, vm.gc.t.guardian, "a guardian")?;
    if vm.arg(a, 1).as_ref().is_none() {
        return Ok(Value::UNSPECIFIED);
    }
    let reg = vm.gc.alloc(vm.gc.t.guarded, 0)?;
    let (Some(g), Some(obj)) = (vm.arg(a, 0).as_ref(), vm.arg(a, 1).as_ref()) else {
        return Ok(Value::UNSPECIFIED);
    };
    vm.gc.set(reg, field::GUARDED_OBJ, Value::from_ref(obj));
    let m = vm.gc.mutator();
    // SAFETY: `reg` was just allocated and `g` and `obj` read from the stack
    // since, with no safepoint between; GUARDED_BY is its weak slot.
    let e = unsafe {
        m.write_weak(reg, field::GUARDED_BY, Some(g));
        m.register_finalizer(reg);
        m.ephemeron(obj, reg)
    };
    vm.weak.guarded.push(e);
    Ok(Value::UNSPECIFIED)
}

/// Moves the objects finalization resurrected to their guardians' queues.
fn deliver(vm: &mut Vm) -> Result<()> {
    let taken = vm.gc.mutator().take_finalizable();
    if taken.is_empty() {
        return Ok(());
    }
    let mark = vm.gc.roots.scratch.len();
    for &reg in &taken {
        vm.gc.keep(Value::from_ref(reg));
    }
    // Each registration finalized had its ephemeron cleared.
    let m = vm.gc.mutator();
    let mut kept = Vec::with_capacity(vm.weak.guarded.len());
    for e in std::mem::take(&mut vm.weak.guarded) {
        if e.get(m)?.is_some() {
            kept.push(e);
        }
    }
    vm.weak.guarded = kept;
    for i in 0..taken.len() {
        if let Err(e) = deliver_one(vm, mark + i) {
            // Those not delivered yet come back at the next cycle.
            for j in i..taken.len() {
                if let Some(reg) = vm.gc.kept(mark + j).as_ref() {
                    // SAFETY: read from a root, with no safepoint since.
                    unsafe { vm.gc.mutator().register_finalizer(reg) };
                }
            }
            vm.gc.release(mark);
            return Err(e);
        }
    }
    vm.gc.release(mark);
    Ok(())
}

/// Appends the object of the registration kept at `mark` to its guardian's
/// queue, if the guardian lives.
fn deliver_one(vm: &mut Vm, mark: usize) -> Result<()> {
    let Some(reg) = vm.gc.typed(vm.gc.kept(mark), vm.gc.t.guarded) else {
        return Ok(());
    };
    // SAFETY: the rule; GUARDED_BY is a registration's weak slot.
    let Some(g) = (unsafe { vm.gc.mutator().read_weak(reg, field::GUARDED_BY) }) else {
        return Ok(());
    };
    let obj = vm.gc.get(reg, field::GUARDED_OBJ);
    let g_mark = vm.gc.keep(Value::from_ref(g));
    let pair = vm.gc.cons(obj, Value::NIL);
    let g = vm.gc.kept(g_mark).as_ref();
    vm.gc.release(g_mark);
    let (pair, Some(g)) = (pair?, g) else {
        return Ok(());
    };
    match vm.gc.pair(vm.gc.get(g, field::GUARDIAN_TAIL)) {
        Some(tail) => vm.gc.set(tail, field::CDR, pair),
        None => vm.gc.set(g, field::GUARDIAN_HEAD, pair),
    }
    vm.gc.set(g, field::GUARDIAN_TAIL, pair);
    Ok(())
}

/// `(%guardian-next g)`: the oldest object `g` holds that became unreachable
/// (and is no longer held), or `#f`.
fn guardian_next(vm: &mut Vm, a: Args) -> Result<Value> {
    vm.obj_arg("guardian", a, 0, vm.gc.t.guardian, "a guardian")?;
    deliver(vm)?;
    let g = vm.obj_arg("guardian", a, 0, vm.gc.t.guardian, "a guardian")?;
    let Some(head) = vm.gc.pair(vm.gc.get(g, field::GUARDIAN_HEAD)) else {
        return Ok(Value::FALSE);
    };
    let rest = vm.gc.cdr(head);
    vm.gc.set(g, field::GUARDIAN_HEAD, rest);
    if rest == Value::NIL {
        vm.gc.set(g, field::GUARDIAN_TAIL, Value::NIL);
    }
    Ok(vm.gc.car(head))
}

// ------------------------------------------------------------ symbols

/// `(interned-symbol-count)`: the symbols in the table, which holds them
/// weakly: those nothing else references go at the next full collection.
fn interned_symbol_count(vm: &mut Vm, _: Args) -> Result<Value> {
    Ok(Value::small(vm.gc.symbol_count()))
}

pub(super) const PRIMITIVES: &[Primitive] = &[
    prim("make-hash-table", 0, 0, make_hash_table),
    prim("make-weak-key-hash-table", 0, 0, make_weak_key_hash_table),
    prim("hash-table?", 1, 1, is_hash_table),
    prim("%hash-table-entry", 2, 2, hash_table_entry),
    prim("hash-table-set!", 3, 3, hash_table_set),
    prim("hash-table-delete!", 2, 2, hash_table_delete),
    prim("hash-table-count", 1, 1, hash_table_count),
    prim("hash-table->alist", 1, 1, hash_table_to_alist),
    prim("%make-guardian", 0, 0, make_guardian),
    prim("%guardian-register!", 2, 2, guardian_register),
    prim("%guardian-next", 1, 1, guardian_next),
    prim("interned-symbol-count", 0, 0, interned_symbol_count),
];
