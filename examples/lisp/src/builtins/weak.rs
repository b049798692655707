//! Hash tables, weak-key hash tables and guardians, on the collector's
//! ephemerons, identity hashes and finalization; and the count of the
//! (weakly) interned symbols.
//!
//! A table's entries are `(key . value)` pairs, in buckets by the key's hash
//! (`hash.rs`): for a heap object compared by identity, the collector's
//! identity hash, which survives moves, so no compaction makes the table
//! rehash. A strong table keeps them in a heap vector of lists. A weak-key
//! table keeps there only the entries whose keys are immediates (fixnums,
//! characters, booleans...), which never die; an entry whose key is a heap
//! object is an ephemeron from the key to the entry, outside the heap, in
//! this module's registry (in buckets too, each ephemeron beside its key's
//! hash, so that growing reads no key), so the entry lives while the key does
//! and the value may refer to its own key. A cleaner on the table tells the
//! registry when the table itself dies. Both kinds double their buckets when
//! the entries pass [`LOAD`] per bucket; a weak-key table first drops the
//! ephemerons whose keys died, and grows only if that did not halve it.
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

use super::hash::Equiv;
use super::{Args, Primitive, prim};
use crate::errors::Error;
use crate::gc::field;
use crate::value::Value;
use crate::vm::Vm;

type Result<T> = std::result::Result<T, Error>;

/// Entries per bucket, on average, past which a table doubles its buckets.
const LOAD: usize = 2;

/// Buckets of a table's first bucket vector.
const FIRST_BUCKETS: usize = 8;

/// What the weak tables and the guardians keep outside the heap.
#[derive(Default)]
pub(crate) struct Weakness {
    /// The entries with heap keys of each weak-key table, by the index in
    /// its `TABLE_WEAK` word.
    tables: Vec<WeakEntries>,
    /// Indices in `tables` whose tables died.
    free_tables: Vec<usize>,
    /// An ephemeron from each object registered with a guardian to its
    /// registration.
    guarded: Vec<Ephemeron>,
}

/// A weak-key table's entries with heap keys: ephemerons from each key to
/// its entry pair, in buckets by the key's hash, kept beside each.
#[derive(Default)]
struct WeakEntries {
    /// A power of two of buckets, or none before the first entry.
    buckets: Vec<Vec<(u32, Ephemeron)>>,
    /// Ephemerons in the buckets, including cleared ones not yet dropped.
    len: usize,
}

impl WeakEntries {
    /// The bucket of `hash`, if there are buckets.
    fn bucket(&self, hash: u32) -> Option<usize> {
        (!self.buckets.is_empty()).then(|| hash as usize & (self.buckets.len() - 1))
    }

    /// Redistributes the ephemerons over `n` buckets, by their kept hashes.
    fn rehash(&mut self, n: usize) {
        let mut buckets: Vec<Vec<(u32, Ephemeron)>> = (0..n).map(|_| Vec::new()).collect();
        for (hash, e) in self.buckets.drain(..).flatten() {
            buckets[hash as usize & (n - 1)].push((hash, e));
        }
        self.buckets = buckets;
    }
}

// ------------------------------------------------------------ hash tables

fn new_table(vm: &mut Vm, weak: bool, equiv: Equiv) -> Result<Value> {
    let obj = vm.gc.alloc(vm.gc.t.hash_table, equiv.bits())?;
    vm.gc.set(obj, field::TABLE_BUCKETS, Value::NIL);
    if weak {
        // The indices of the tables that died are free again.
        for index in vm.gc.heap().take_cleaned() {
            let index = index as usize;
            if let Some(entries) = vm.weak.tables.get_mut(index) {
                *entries = WeakEntries::default();
                vm.weak.free_tables.push(index);
            }
        }
        let index = vm.weak.free_tables.pop().unwrap_or_else(|| {
            vm.weak.tables.push(WeakEntries::default());
            vm.weak.tables.len() - 1
        });
        // SAFETY: a fresh table: its third word is data, not a slot.
        unsafe { obj.write_word(field::TABLE_WEAK, index + 1) };
        // SAFETY: `obj` was allocated above, with no safepoint since.
        unsafe { vm.gc.mutator().register_cleaner(obj, index as u64) };
    }
    Ok(Value::from_ref(obj))
}

/// `(make-hash-table [equiv])`: keys compared with `equiv`, one of `eq?`,
/// `eqv?` (the default) and `equal?`, and held strongly.
fn make_hash_table(vm: &mut Vm, a: Args) -> Result<Value> {
    let equiv = if a.len == 0 {
        Equiv::Eqv
    } else {
        let p = vm.arg(a, 0);
        [
            ("eq?", Equiv::Eq),
            ("eqv?", Equiv::Eqv),
            ("equal?", Equiv::Equal),
        ]
        .into_iter()
        .find(|&(name, _)| vm.primitive(name) == Some(p))
        .map(|(_, equiv)| equiv)
        .ok_or_else(|| Error::wrong_type("make-hash-table", "eq?, eqv? or equal?", p))?
    };
    new_table(vm, false, equiv)
}

/// `(make-weak-key-hash-table)`: keys compared with `eqv?`; an entry lives
/// while its key does.
fn make_weak_key_hash_table(vm: &mut Vm, _: Args) -> Result<Value> {
    new_table(vm, true, Equiv::Eqv)
}

fn is_hash_table(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(
        vm.gc.typed(vm.arg(a, 0), vm.gc.t.hash_table).is_some(),
    ))
}

/// The hash table argument 0, its registry index if it is weak, and its
/// predicate.
fn table_arg(vm: &Vm, who: &str, a: Args) -> Result<(ObjRef, Option<usize>, Equiv)> {
    let table = vm.obj_arg(who, a, 0, vm.gc.t.hash_table, "a hash table")?;
    // SAFETY: the rule; a hash table's data word.
    let weak = unsafe { table.read_word(field::TABLE_WEAK) };
    Ok((
        table,
        weak.checked_sub(1),
        Equiv::from_bits(vm.gc.low(table)),
    ))
}

/// The number of entries in a table's buckets.
fn listed_count(table: ObjRef) -> usize {
    // SAFETY: the rule; a hash table's data word.
    unsafe { table.read_word(field::TABLE_COUNT) }
}

fn set_listed_count(table: ObjRef, count: usize) {
    // SAFETY: the rule; a hash table's data word.
    unsafe { table.write_word(field::TABLE_COUNT, count) };
}

/// A table's bucket vector, if it has one.
fn buckets(vm: &Vm, table: ObjRef) -> Option<ObjRef> {
    vm.gc
        .typed(vm.gc.get(table, field::TABLE_BUCKETS), vm.gc.t.vector)
}

/// Whether `key` goes to a weak table's ephemerons rather than its buckets.
fn ephemeral(weak: Option<usize>, key: Value) -> Option<usize> {
    weak.filter(|_| key.as_ref().is_some())
}

/// Where an entry was found among the ephemerons: its bucket and position.
type EphemeronAt = (usize, usize);

/// The entry for `key`, of hash `hash`, among weak table `index`'s
/// ephemerons, and where; drops the ephemerons of its bucket whose keys died
/// on the way. Only those of the same hash are read, since a read during
/// marking keeps an entry alive for the cycle.
fn find_ephemeron(
    vm: &mut Vm,
    index: usize,
    key: Value,
    hash: u32,
) -> Result<Option<(EphemeronAt, ObjRef)>> {
    let Some(b) = vm.weak.tables[index].bucket(hash) else {
        return Ok(None);
    };
    let mut i = 0;
    while i < vm.weak.tables[index].buckets[b].len() {
        let (h, e) = &vm.weak.tables[index].buckets[b][i];
        if *h != hash {
            i += 1;
            continue;
        }
        match e.get(vm.gc.mutator())? {
            None => {
                vm.weak.tables[index].buckets[b].swap_remove(i);
                vm.weak.tables[index].len -= 1;
            }
            Some((k, entry)) if Equiv::Eqv.same(&vm.gc, Value::from_ref(k), key) => {
                return Ok(Some(((b, i), entry)));
            }
            Some(_) => i += 1,
        }
    }
    Ok(None)
}

/// An entry found in a table's buckets: the bucket vector and index, the
/// list cell before the entry's (none if it is the first), and the entry's.
struct Listed {
    buckets: ObjRef,
    bucket: usize,
    before: Option<ObjRef>,
    cell: ObjRef,
}

/// The entry for `key`, of hash `hash`, in a table's buckets.
fn find_listed(vm: &Vm, table: ObjRef, equiv: Equiv, key: Value, hash: u32) -> Option<Listed> {
    let gc = &vm.gc;
    let buckets = buckets(vm, table)?;
    let n = gc.low(buckets);
    if n == 0 {
        return None;
    }
    let bucket = hash as usize & (n - 1);
    let mut before = None;
    let mut list = gc.elem(buckets, bucket);
    while let Some(cell) = gc.pair(list) {
        let entry = gc.pair(gc.car(cell))?;
        if equiv.same(gc, gc.car(entry), key) {
            return Some(Listed {
                buckets,
                bucket,
                before,
                cell,
            });
        }
        before = Some(cell);
        list = gc.cdr(cell);
    }
    None
}

/// The `(key . value)` entry for argument 1 in table argument 0, and the
/// key's hash.
fn find_entry(vm: &mut Vm, who: &str, a: Args) -> Result<(Option<ObjRef>, u32)> {
    let (table, weak, equiv) = table_arg(vm, who, a)?;
    let key = vm.arg(a, 1);
    let hash = equiv.hash(&vm.gc, key);
    let entry = match ephemeral(weak, key) {
        Some(index) => find_ephemeron(vm, index, key, hash)?.map(|(_, entry)| entry),
        None => {
            find_listed(vm, table, equiv, key, hash).and_then(|l| vm.gc.pair(vm.gc.car(l.cell)))
        }
    };
    Ok((entry, hash))
}

/// `(%hash-table-entry table key)`: the entry, a pair, or `#f`; the
/// library's `hash-table-ref` and friends build on it.
fn hash_table_entry(vm: &mut Vm, a: Args) -> Result<Value> {
    let (entry, _) = find_entry(vm, "hash-table-ref", a)?;
    Ok(entry.map_or(Value::FALSE, Value::from_ref))
}

fn hash_table_set(vm: &mut Vm, a: Args) -> Result<Value> {
    const WHO: &str = "hash-table-set!";
    let (found, hash) = find_entry(vm, WHO, a)?;
    if let Some(entry) = found {
        vm.gc.set(entry, field::CDR, vm.arg(a, 2));
        return Ok(Value::UNSPECIFIED);
    }
    let entry = vm.gc.cons(vm.arg(a, 1), vm.arg(a, 2))?;
    let (_, weak, _) = table_arg(vm, WHO, a)?;
    let key = vm.arg(a, 1);
    match (ephemeral(weak, key), key.as_ref(), entry.as_ref()) {
        (Some(index), Some(key), Some(entry)) => {
            // SAFETY: both were read from roots or allocated since the last
            // safepoint.
            let e = unsafe { vm.gc.mutator().ephemeron(key, entry) };
            add_ephemeron(vm, index, hash, e)?;
        }
        _ => {
            let mark = vm.gc.keep(entry);
            let added = add_listed(vm, a, hash, mark);
            vm.gc.release(mark);
            added?;
        }
    }
    Ok(Value::UNSPECIFIED)
}

/// Adds the entry kept at `mark`, of hash `hash`, to the buckets of table
/// argument 0, growing them first if they are full.
fn add_listed(vm: &mut Vm, a: Args, hash: u32, mark: usize) -> Result<()> {
    const WHO: &str = "hash-table-set!";
    grow_listed(vm, a)?;
    let (table, _, _) = table_arg(vm, WHO, a)?;
    let Some(b) = buckets(vm, table) else {
        return Err(Error::runtime(
            "hash-table-set!: a table without buckets",
            vec![],
        ));
    };
    let bucket = hash as usize & (vm.gc.low(b) - 1);
    let cell = vm.gc.cons(vm.gc.kept(mark), vm.gc.elem(b, bucket))?;
    // The cons may have moved the table and its buckets.
    let (table, _, _) = table_arg(vm, WHO, a)?;
    if let Some(b) = buckets(vm, table) {
        vm.gc.set_elem(b, bucket, cell);
        set_listed_count(table, listed_count(table) + 1);
    }
    Ok(())
}

/// Doubles the buckets of table argument 0 if one more entry would pass
/// [`LOAD`] per bucket: a new vector, into which the entries' list cells are
/// relinked, without allocating, by their keys' hashes.
fn grow_listed(vm: &mut Vm, a: Args) -> Result<()> {
    const WHO: &str = "hash-table-set!";
    let (table, _, _) = table_arg(vm, WHO, a)?;
    let n = buckets(vm, table).map_or(0, |b| vm.gc.low(b));
    if listed_count(table) < LOAD * n {
        return Ok(());
    }
    let fresh = vm.gc.vector((2 * n).max(FIRST_BUCKETS), Value::NIL)?;
    let (table, _, equiv) = table_arg(vm, WHO, a)?;
    let Some(fresh_obj) = fresh.as_ref() else {
        return Ok(());
    };
    let mask = vm.gc.low(fresh_obj) - 1;
    if let Some(old) = buckets(vm, table) {
        for i in 0..vm.gc.low(old) {
            let mut list = vm.gc.elem(old, i);
            while let Some(cell) = vm.gc.pair(list) {
                list = vm.gc.cdr(cell);
                let key = vm
                    .gc
                    .pair(vm.gc.car(cell))
                    .map_or(Value::NIL, |e| vm.gc.car(e));
                let j = equiv.hash(&vm.gc, key) as usize & mask;
                let head = vm.gc.elem(fresh_obj, j);
                vm.gc.set(cell, field::CDR, head);
                vm.gc.set_elem(fresh_obj, j, Value::from_ref(cell));
            }
        }
    }
    vm.gc.set(table, field::TABLE_BUCKETS, fresh);
    Ok(())
}

/// Adds ephemeron `e`, of its key's hash `hash`, to weak table `index`; when
/// the table is full, drops the ephemerons whose keys died, and doubles its
/// buckets if that left it more than half full.
fn add_ephemeron(vm: &mut Vm, index: usize, hash: u32, e: Ephemeron) -> Result<()> {
    let full = |t: &WeakEntries| t.len >= LOAD * t.buckets.len();
    if full(&vm.weak.tables[index]) {
        prune(vm, index)?;
        let t = &mut vm.weak.tables[index];
        if 2 * t.len >= LOAD * t.buckets.len() {
            t.rehash((2 * t.buckets.len()).max(FIRST_BUCKETS));
        }
    }
    let t = &mut vm.weak.tables[index];
    if let Some(b) = t.bucket(hash) {
        t.buckets[b].push((hash, e));
        t.len += 1;
    }
    Ok(())
}

fn hash_table_delete(vm: &mut Vm, a: Args) -> Result<Value> {
    const WHO: &str = "hash-table-delete!";
    let (table, weak, equiv) = table_arg(vm, WHO, a)?;
    let key = vm.arg(a, 1);
    let hash = equiv.hash(&vm.gc, key);
    match ephemeral(weak, key) {
        Some(index) => {
            if let Some(((b, i), _)) = find_ephemeron(vm, index, key, hash)? {
                vm.weak.tables[index].buckets[b].swap_remove(i);
                vm.weak.tables[index].len -= 1;
            }
        }
        None => {
            if let Some(l) = find_listed(vm, table, equiv, key, hash) {
                let rest = vm.gc.cdr(l.cell);
                match l.before {
                    Some(before) => vm.gc.set(before, field::CDR, rest),
                    None => vm.gc.set_elem(l.buckets, l.bucket, rest),
                }
                set_listed_count(table, listed_count(table).saturating_sub(1));
            }
        }
    }
    Ok(Value::UNSPECIFIED)
}

/// Drops weak table `index`'s ephemerons whose keys died.
fn prune(vm: &mut Vm, index: usize) -> Result<()> {
    let mut dropped = 0;
    for b in 0..vm.weak.tables[index].buckets.len() {
        let mut i = 0;
        while i < vm.weak.tables[index].buckets[b].len() {
            if vm.weak.tables[index].buckets[b][i]
                .1
                .get(vm.gc.mutator())?
                .is_none()
            {
                vm.weak.tables[index].buckets[b].swap_remove(i);
                dropped += 1;
            } else {
                i += 1;
            }
        }
    }
    vm.weak.tables[index].len -= dropped;
    Ok(())
}

fn hash_table_count(vm: &mut Vm, a: Args) -> Result<Value> {
    let (table, weak, _) = table_arg(vm, "hash-table-count", a)?;
    let listed = listed_count(table);
    let ephemeral = match weak {
        Some(index) => {
            prune(vm, index)?;
            vm.weak.tables[index].len
        }
        None => 0,
    };
    Ok(Value::small(listed + ephemeral))
}

/// `(hash-table->alist table)`: fresh `(key . value)` pairs, in no order
/// the caller may rely on.
fn hash_table_to_alist(vm: &mut Vm, a: Args) -> Result<Value> {
    let (table, weak, _) = table_arg(vm, "hash-table->alist", a)?;
    let mark = vm.gc.roots.scratch.len();
    // Every key and value is kept before the first allocation, which may move them.
    if let Some(b) = buckets(vm, table) {
        for i in 0..vm.gc.low(b) {
            let mut list = vm.gc.elem(b, i);
            while let Some(cell) = vm.gc.pair(list) {
                if let Some(entry) = vm.gc.pair(vm.gc.car(cell)) {
                    vm.gc.keep(vm.gc.car(entry));
                    vm.gc.keep(vm.gc.cdr(entry));
                }
                list = vm.gc.cdr(cell);
            }
        }
    }
    if let Some(index) = weak {
        for b in 0..vm.weak.tables[index].buckets.len() {
            for i in 0..vm.weak.tables[index].buckets[b].len() {
                let e = &vm.weak.tables[index].buckets[b][i].1;
                if let Some((_, entry)) = e.get(vm.gc.mutator())? {
                    vm.gc.keep(vm.gc.car(entry));
                    vm.gc.keep(vm.gc.cdr(entry));
                }
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
    prim("make-hash-table", 0, 1, make_hash_table),
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
