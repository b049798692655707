//! The interpreter's side of movegc: the object layouts it registers, and
//! [`Gc`], through which every allocation, heap read and heap write goes.
//!
//! # The rule for references
//!
//! A [`Value`] that refers to an object is its address, and objects move at
//! collections. A collection can happen in any method here that takes
//! `&mut self` and allocates. So a value is only good until the next such
//! call: anything needed after one is kept in a root (the value stack, a
//! register, or [`Gc::keep`]) and read back from it. The accessors that take
//! an [`ObjRef`] rely on this, and on the caller having checked the object's
//! type ([`Gc::typed`]); their `SAFETY` comments cite it as "the rule".

use std::collections::HashMap;

use gc_core::{Mutator, ObjRef, Rooted, SlotKind, TypeDescriptor, TypeId, TypeTable, WORD};

use crate::bignum::Big;
use crate::errors::Error;
use crate::reader::{Datum, Kind};
use crate::roots::Roots;
use crate::value::Value;

/// Byte offsets of fields, by object type.
pub(crate) mod field {
    use gc_core::WORD;
    /// A pair's car and cdr (tagged).
    pub(crate) const CAR: usize = WORD;
    pub(crate) const CDR: usize = 2 * WORD;
    /// A flonum's bits (data).
    pub(crate) const FLONUM: usize = WORD;
    /// A port's index in the interpreter's port table (data).
    pub(crate) const PORT: usize = WORD;
    /// A symbol's name, a string (reference).
    pub(crate) const SYMBOL_NAME: usize = WORD;
    /// A closure's environment frame and its code's constants, a vector
    /// (references); its code's prototype is in the header.
    pub(crate) const CLOSURE_ENV: usize = WORD;
    pub(crate) const CLOSURE_CONSTS: usize = 2 * WORD;
    /// A record type's name (a symbol) and field names (a list).
    pub(crate) const RTD_NAME: usize = WORD;
    pub(crate) const RTD_FIELDS: usize = 2 * WORD;
    /// A record procedure's record type (reference) and, for a constructor,
    /// the vector of field indices its arguments go to (tagged).
    pub(crate) const RPROC_RTD: usize = WORD;
    pub(crate) const RPROC_FIELDS: usize = 2 * WORD;
    /// A condition's message (a string) and irritants (a list).
    pub(crate) const MESSAGE: usize = WORD;
    pub(crate) const IRRITANTS: usize = 2 * WORD;
    /// A hash table's buckets, a vector of lists of `(key . value)` pairs,
    /// or `()` before its first entry (tagged); its index in the
    /// interpreter's weak-table registry plus one, 0 for a table that holds
    /// its keys strongly (data); and the number of entries in its buckets
    /// (data).
    pub(crate) const TABLE_BUCKETS: usize = WORD;
    pub(crate) const TABLE_WEAK: usize = 2 * WORD;
    pub(crate) const TABLE_COUNT: usize = 3 * WORD;
    /// A guardian's queue of resurrected objects, as a list and its last
    /// pair (tagged).
    pub(crate) const GUARDIAN_HEAD: usize = WORD;
    pub(crate) const GUARDIAN_TAIL: usize = 2 * WORD;
    /// A guardian registration: the object (tagged) and its guardian (weak).
    pub(crate) const GUARDED_OBJ: usize = WORD;
    pub(crate) const GUARDED_BY: usize = 2 * WORD;
}

/// Elements a vector's fill stores between two safepoint polls.
const FILL_STRETCH: usize = 4096;

/// Byte offset of element `i` of an array object.
#[inline(always)]
pub(crate) const fn elem(i: usize) -> usize {
    WORD + i * WORD
}

/// The type ids of the interpreter's objects.
pub(crate) struct Types {
    pub(crate) pair: TypeId,
    pub(crate) flonum: TypeId,
    /// Characters as UTF-32 code units: mutable in place with `string-set!`.
    pub(crate) string: TypeId,
    pub(crate) symbol: TypeId,
    pub(crate) vector: TypeId,
    pub(crate) bytevector: TypeId,
    /// The header's low bits are the index of the code's prototype.
    pub(crate) closure: TypeId,
    /// An environment frame: the enclosing frame, then the variables.
    pub(crate) frame: TypeId,
    /// A record type's name and field names; the header's low bits are
    /// the number of fields.
    pub(crate) record_type: TypeId,
    /// The record type, then the fields.
    pub(crate) record: TypeId,
    /// A record type's constructor, predicate, accessor or modifier; the
    /// header's low bits say which, and the field.
    pub(crate) record_proc: TypeId,
    /// An error object: a message and irritants.
    pub(crate) condition: TypeId,
    /// The handlers and the winders in force, then a copy of the value stack.
    pub(crate) continuation: TypeId,
    /// An index in the port table, which holds the port's OS resource.
    pub(crate) port: TypeId,
    /// An exact integer beyond the fixnums, as 32-bit units: the sign (1
    /// if negative), then the magnitude's limbs, least significant first.
    pub(crate) bignum: TypeId,
    /// The interned symbols, in weak slots: a symbol nothing else references
    /// is collected, and its slot reused.
    pub(crate) symbol_table: TypeId,
    /// Entries that hold their keys strongly, in buckets by the keys'
    /// hashes; a weak-key table's entries with heap keys are ephemerons,
    /// outside the heap (`builtins::weak`). The header's low bits say which
    /// predicate compares the keys (`builtins::hash::Equiv`).
    pub(crate) hash_table: TypeId,
    pub(crate) guardian: TypeId,
    /// One `(g obj)`: what finalization resurrects when `obj` dies.
    pub(crate) guarded: TypeId,
}

impl Types {
    /// Registers the layouts in a fresh table.
    pub(crate) fn register() -> (TypeTable, Types) {
        use field::*;
        let t = TypeTable::new();
        let reg = |d: TypeDescriptor| t.register(d).expect("the layouts are valid");
        let w = |o: usize| o as u32;
        let types = Types {
            pair: reg(TypeDescriptor::fixed(
                "pair",
                3 * WORD,
                &[],
                &[w(CAR), w(CDR)],
            )),
            flonum: reg(TypeDescriptor::fixed("flonum", 2 * WORD, &[], &[])),
            string: reg(TypeDescriptor::bytes("string")),
            symbol: reg(TypeDescriptor::fixed(
                "symbol",
                2 * WORD,
                &[w(SYMBOL_NAME)],
                &[],
            )),
            vector: reg(TypeDescriptor::array("vector", SlotKind::Tagged)),
            bytevector: reg(TypeDescriptor::bytes("bytevector")),
            closure: reg(TypeDescriptor::fixed(
                "closure",
                3 * WORD,
                &[w(CLOSURE_ENV), w(CLOSURE_CONSTS)],
                &[],
            )),
            frame: reg(TypeDescriptor::array("frame", SlotKind::Tagged)),
            record_type: reg(TypeDescriptor::fixed(
                "record-type",
                3 * WORD,
                &[],
                &[w(RTD_NAME), w(RTD_FIELDS)],
            )),
            record: reg(TypeDescriptor::array("record", SlotKind::Tagged)),
            record_proc: reg(TypeDescriptor::fixed(
                "record-procedure",
                3 * WORD,
                &[w(RPROC_RTD)],
                &[w(RPROC_FIELDS)],
            )),
            condition: reg(TypeDescriptor::fixed(
                "condition",
                3 * WORD,
                &[],
                &[w(MESSAGE), w(IRRITANTS)],
            )),
            continuation: reg(TypeDescriptor::array("continuation", SlotKind::Tagged)),
            port: reg(TypeDescriptor::fixed("port", 2 * WORD, &[], &[])),
            bignum: reg(TypeDescriptor::bytes("bignum")),
            symbol_table: reg(TypeDescriptor::array("symbol-table", SlotKind::Weak)),
            hash_table: reg(TypeDescriptor::fixed(
                "hash-table",
                4 * WORD,
                &[],
                &[w(TABLE_BUCKETS)],
            )),
            guardian: reg(TypeDescriptor::fixed(
                "guardian",
                3 * WORD,
                &[],
                &[w(GUARDIAN_HEAD), w(GUARDIAN_TAIL)],
            )),
            guarded: reg(TypeDescriptor::fixed_slots(
                "guarded",
                3 * WORD,
                &[
                    (w(GUARDED_OBJ), SlotKind::Tagged),
                    (w(GUARDED_BY), SlotKind::Weak),
                ],
            )),
        };
        (t, types)
    }
}

/// The mutator, the type ids, the roots and the symbol table of one interpreter.
pub(crate) struct Gc {
    m: Mutator,
    pub(crate) t: Types,
    pub(crate) roots: Rooted<Roots>,
    /// Interned symbols: name to slot in the weak table `roots.symbols`. A
    /// name whose slot was cleared is dropped when the table fills up (or
    /// the symbols are counted), and its slot reused.
    symbols: HashMap<Box<str>, usize>,
    /// Slots of the symbol table free for the next new name.
    free_symbol_slots: Vec<usize>,
    /// Slots of the symbol table ever used: those from here on are free too.
    symbol_slots_used: usize,
}

impl Gc {
    /// Wraps a mutator whose root slots `roots` are.
    pub(crate) fn new(m: Mutator, t: Types, roots: Rooted<Roots>) -> Gc {
        Gc {
            m,
            t,
            roots,
            symbols: HashMap::new(),
            free_symbol_slots: Vec::new(),
            symbol_slots_used: 0,
        }
    }

    /// The mutator, for safepoints, collections and native calls.
    pub(crate) fn mutator(&mut self) -> &mut Mutator {
        &mut self.m
    }

    /// The heap.
    pub(crate) fn heap(&self) -> &gc_core::Heap {
        self.m.heap()
    }

    /// The collector's identity hash of `obj`, the same for its whole life
    /// whatever moves it ([`Mutator::identity_hash`]).
    pub(crate) fn identity_hash(&self, obj: ObjRef) -> u32 {
        // SAFETY: the rule: `obj` is a live object's current address.
        unsafe { self.m.identity_hash(obj) }
    }

    // ------------------------------------------------------------ keeping values

    /// Keeps `v` in a root until [`release`](Self::release); returns its mark.
    #[inline]
    pub(crate) fn keep(&self, v: Value) -> usize {
        self.roots.scratch.push(v);
        self.roots.scratch.len() - 1
    }

    /// The current value of kept value `mark`.
    #[inline]
    pub(crate) fn kept(&self, mark: usize) -> Value {
        self.roots.scratch.get(mark)
    }

    /// Updates kept value `mark`.
    #[inline]
    pub(crate) fn set_kept(&self, mark: usize, v: Value) {
        self.roots.scratch.set(mark, v);
    }

    /// Releases kept value `mark` and every one kept after it.
    #[inline]
    pub(crate) fn release(&self, mark: usize) {
        self.roots.scratch.truncate(mark);
    }

    // ------------------------------------------------------------ types

    /// The type of the object `v` refers to, if it is a reference.
    #[inline(always)]
    pub(crate) fn type_of(&self, v: Value) -> Option<(ObjRef, TypeId)> {
        let obj = v.as_ref()?;
        // SAFETY: the rule: `v` is current, so `obj` is a live object's header.
        let header = unsafe { obj.header() };
        Some((obj, TypeId(header.type_id())))
    }

    /// The object `v` refers to, if it is one of type `ty`.
    #[inline(always)]
    pub(crate) fn typed(&self, v: Value, ty: TypeId) -> Option<ObjRef> {
        match self.type_of(v) {
            Some((obj, t)) if t == ty => Some(obj),
            _ => None,
        }
    }

    /// The low 32 bits of an object's header: an array's length, or VM bits.
    #[inline(always)]
    pub(crate) fn low(&self, obj: ObjRef) -> usize {
        // SAFETY: the rule.
        unsafe { obj.header() }.low() as usize
    }

    // ------------------------------------------------------------ fields

    /// Reads the slot at byte `offset`.
    #[inline(always)]
    pub(crate) fn get(&self, obj: ObjRef, offset: usize) -> Value {
        // SAFETY: the rule; the caller passes a slot of `obj`'s type.
        Value::from_word(unsafe { obj.read_word(offset) })
    }

    /// Writes a tagged slot, through the write barrier.
    #[inline(always)]
    pub(crate) fn set(&mut self, obj: ObjRef, offset: usize, v: Value) {
        // SAFETY: the rule; the caller passes a tagged slot of `obj`'s type.
        unsafe { self.m.write_tagged(obj, offset, v.word()) }
    }

    /// Writes a reference slot (`v` a reference or unassigned), through the write barrier.
    #[inline(always)]
    pub(crate) fn set_ref(&mut self, obj: ObjRef, offset: usize, v: Value) {
        // SAFETY: the rule; the caller passes a reference slot, and `v` is an
        // object's current address or null.
        unsafe { self.m.write_ref(obj, offset, v.as_ref()) }
    }

    /// Element `i` of an array object, which the caller has bounds-checked.
    #[inline(always)]
    pub(crate) fn elem(&self, obj: ObjRef, i: usize) -> Value {
        debug_assert!(i < self.low(obj));
        self.get(obj, elem(i))
    }

    /// Sets element `i` of an array object, which the caller has bounds-checked.
    #[inline(always)]
    pub(crate) fn set_elem(&mut self, obj: ObjRef, i: usize, v: Value) {
        debug_assert!(i < self.low(obj));
        self.set(obj, elem(i), v);
    }

    // ------------------------------------------------------------ allocation

    /// Allocates an object: zeroed, so every slot starts unassigned.
    #[inline(always)]
    pub(crate) fn alloc(&mut self, ty: TypeId, len: usize) -> Result<ObjRef, Error> {
        let len = u32::try_from(len)
            .map_err(|_| Error::runtime("object too large", vec![Value::small(len)]))?;
        Ok(self.m.alloc(ty, len)?)
    }

    /// A new pair.
    #[inline]
    pub(crate) fn cons(&mut self, car: Value, cdr: Value) -> Result<Value, Error> {
        let mark = self.keep(car);
        self.keep(cdr);
        let pair = self.alloc(self.t.pair, 0);
        let (car, cdr) = (self.kept(mark), self.kept(mark + 1));
        self.release(mark);
        let pair = pair?;
        self.set(pair, field::CAR, car);
        self.set(pair, field::CDR, cdr);
        Ok(Value::from_ref(pair))
    }

    /// A pair's car; `pair` must be one.
    #[inline(always)]
    pub(crate) fn car(&self, pair: ObjRef) -> Value {
        self.get(pair, field::CAR)
    }

    /// A pair's cdr; `pair` must be one.
    #[inline(always)]
    pub(crate) fn cdr(&self, pair: ObjRef) -> Value {
        self.get(pair, field::CDR)
    }

    /// The pair `v` refers to, if it is one.
    #[inline(always)]
    pub(crate) fn pair(&self, v: Value) -> Option<ObjRef> {
        self.typed(v, self.t.pair)
    }

    /// A flonum.
    pub(crate) fn flonum(&mut self, x: f64) -> Result<Value, Error> {
        let obj = self.alloc(self.t.flonum, 0)?;
        // SAFETY: a fresh flonum; its second word is data, not a slot.
        unsafe { obj.write_word(field::FLONUM, x.to_bits() as usize) };
        Ok(Value::from_ref(obj))
    }

    /// The number, if `v` is a flonum.
    #[inline]
    pub(crate) fn as_flonum(&self, v: Value) -> Option<f64> {
        let obj = self.typed(v, self.t.flonum)?;
        // SAFETY: the rule; a flonum's data word.
        Some(f64::from_bits(
            unsafe { obj.read_word(field::FLONUM) } as u64
        ))
    }

    /// An exact integer: a fixnum if it fits, else a bignum.
    pub(crate) fn integer(&mut self, n: &Big) -> Result<Value, Error> {
        if let Some(v) = n.to_i64().and_then(Value::fixnum) {
            return Ok(v);
        }
        let limbs = n.limbs();
        let obj = self.alloc(self.t.bignum, 4 * (1 + limbs.len()))?;
        let units = std::iter::once(u32::from(n.is_negative())).chain(limbs.iter().copied());
        for (i, unit) in units.enumerate() {
            // SAFETY: a fresh bignum with room for every unit; units are 4-aligned.
            unsafe { obj.byte_ptr(WORD + 4 * i).cast::<u32>().write(unit) };
        }
        Ok(Value::from_ref(obj))
    }

    /// The units of bignum `obj`: its sign, then its limbs.
    pub(crate) fn bignum_units(&self, obj: ObjRef) -> impl Iterator<Item = u32> + '_ {
        // SAFETY: the rule; `i` is within the bignum's data bytes.
        (0..self.low(obj) / 4)
            .map(move |i| unsafe { obj.byte_ptr(WORD + 4 * i).cast::<u32>().read() })
    }

    /// The integer, copied out of the heap, if `v` is a bignum.
    pub(crate) fn as_bignum(&self, v: Value) -> Option<Big> {
        let obj = self.typed(v, self.t.bignum)?;
        let mut units = self.bignum_units(obj);
        let neg = units.next() == Some(1);
        Some(Big::from_limbs(neg, units.collect()))
    }

    /// Whether `x` and `y` are bignums of the same value, compared in place.
    pub(crate) fn bignums_equal(&self, x: Value, y: Value) -> bool {
        match (self.typed(x, self.t.bignum), self.typed(y, self.t.bignum)) {
            (Some(a), Some(b)) => self.bignum_units(a).eq(self.bignum_units(b)),
            _ => false,
        }
    }

    /// A port: entry `index` of the port table.
    pub(crate) fn port(&mut self, index: usize) -> Result<Value, Error> {
        let obj = self.alloc(self.t.port, 0)?;
        // SAFETY: a fresh port; its second word is data, not a slot.
        unsafe { obj.write_word(field::PORT, index) };
        Ok(Value::from_ref(obj))
    }

    /// The port table index, if `v` is a port.
    #[inline]
    pub(crate) fn as_port(&self, v: Value) -> Option<usize> {
        let obj = self.typed(v, self.t.port)?;
        // SAFETY: the rule; a port's data word.
        Some(unsafe { obj.read_word(field::PORT) })
    }

    /// A new vector of `len` copies of `fill`.
    pub(crate) fn vector(&mut self, len: usize, fill: Value) -> Result<Value, Error> {
        let mark = self.keep(fill);
        let obj = match self.alloc(self.t.vector, len) {
            Ok(obj) => obj,
            Err(e) => {
                self.release(mark);
                return Err(e);
            }
        };
        let fill = self.kept(mark);
        if fill == Value::UNASSIGNED {
            self.release(mark);
            return Ok(Value::from_ref(obj));
        }
        // A large vector's fill polls for safepoints between stretches: a
        // collection waiting for this thread waited for all of it (GCBench's
        // 4 MiB array: 2.5 ms to reach the safepoint). The vector is kept in a
        // root meanwhile, and read again after each poll: a collection may
        // have moved it.
        let at = self.keep(Value::from_ref(obj));
        for start in (0..len).step_by(FILL_STRETCH) {
            if start > 0 {
                self.m.safepoint();
            }
            let (obj, fill) = (self.kept(at), self.kept(mark));
            let obj = obj.as_ref().expect("a vector is a reference");
            for i in start..len.min(start + FILL_STRETCH) {
                self.set_elem(obj, i, fill);
            }
        }
        let v = self.kept(at);
        self.release(mark);
        Ok(v)
    }

    // ------------------------------------------------------------ strings and bytes

    /// A new string of these characters.
    pub(crate) fn string_from(&mut self, chars: &[char]) -> Result<Value, Error> {
        let obj = self.alloc(self.t.string, chars.len() * 4)?;
        for (i, &c) in chars.iter().enumerate() {
            self.string_set(obj, i, c);
        }
        Ok(Value::from_ref(obj))
    }

    /// A new string.
    pub(crate) fn string(&mut self, s: &str) -> Result<Value, Error> {
        self.string_from(&s.chars().collect::<Vec<_>>())
    }

    /// A string's length in characters; `s` must be a string.
    #[inline]
    pub(crate) fn string_len(&self, s: ObjRef) -> usize {
        self.low(s) / 4
    }

    /// Character `i` of string `s`, which the caller has bounds-checked.
    #[inline]
    pub(crate) fn string_ref(&self, s: ObjRef, i: usize) -> char {
        debug_assert!(i < self.string_len(s));
        // SAFETY: the rule; `i` is in bounds, and code units are 4-aligned.
        let unit = unsafe { s.byte_ptr(WORD + 4 * i).cast::<u32>().read() };
        char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER)
    }

    /// Sets character `i` of string `s`, which the caller has bounds-checked.
    #[inline]
    pub(crate) fn string_set(&mut self, s: ObjRef, i: usize, c: char) {
        debug_assert!(i < self.string_len(s));
        // SAFETY: the rule; `i` is in bounds of the string's data bytes.
        unsafe { s.byte_ptr(WORD + 4 * i).cast::<u32>().write(c as u32) };
    }

    /// A string's characters, copied out of the heap.
    pub(crate) fn string_chars(&self, s: ObjRef) -> Vec<char> {
        (0..self.string_len(s))
            .map(|i| self.string_ref(s, i))
            .collect()
    }

    /// A string's contents, copied out of the heap.
    pub(crate) fn rust_string(&self, s: ObjRef) -> String {
        (0..self.string_len(s))
            .map(|i| self.string_ref(s, i))
            .collect()
    }

    /// A new bytevector holding `bytes`.
    pub(crate) fn bytevector(&mut self, bytes: &[u8]) -> Result<Value, Error> {
        let obj = self.alloc(self.t.bytevector, bytes.len())?;
        for (i, &b) in bytes.iter().enumerate() {
            self.byte_set(obj, i, b);
        }
        Ok(Value::from_ref(obj))
    }

    /// Byte `i` of bytevector `bv`, which the caller has bounds-checked.
    #[inline]
    pub(crate) fn byte_ref(&self, bv: ObjRef, i: usize) -> u8 {
        debug_assert!(i < self.low(bv));
        // SAFETY: the rule; `i` is in bounds.
        unsafe { bv.byte_ptr(WORD + i).read() }
    }

    /// Sets byte `i` of bytevector `bv`, which the caller has bounds-checked.
    #[inline]
    pub(crate) fn byte_set(&mut self, bv: ObjRef, i: usize, b: u8) {
        debug_assert!(i < self.low(bv));
        // SAFETY: the rule; `i` is in bounds.
        unsafe { bv.byte_ptr(WORD + i).write(b) };
    }

    // ------------------------------------------------------------ symbols

    /// The symbol named `name`, interned.
    pub(crate) fn intern(&mut self, name: &str) -> Result<Value, Error> {
        let known = self.symbols.get(name).copied();
        if let Some(sym) = known.and_then(|slot| self.symbol_in(slot)) {
            return Ok(Value::from_ref(sym));
        }
        let s = self.string(name)?;
        let mark = self.keep(s);
        let made = self.alloc(self.t.symbol, 0).and_then(|sym| {
            self.set_ref(sym, field::SYMBOL_NAME, self.kept(mark));
            self.set_kept(mark, Value::from_ref(sym));
            // The name's old slot, if its symbol died: the name keeps it.
            known.map_or_else(|| self.free_symbol_slot(), Ok)
        });
        let sym = self.kept(mark);
        self.release(mark);
        let slot = made?;
        let table = self
            .symbol_table()
            .expect("free_symbol_slot made the table");
        // SAFETY: the rule: `table` and `sym` were read from roots since the
        // last allocation; `slot` is below the table's length (free_symbol_slot).
        unsafe { self.m.write_weak(table, elem(slot), sym.as_ref()) };
        self.symbols.insert(name.into(), slot);
        Ok(sym)
    }

    /// The symbol table, once there is one.
    fn symbol_table(&self) -> Option<ObjRef> {
        self.typed(self.roots.symbols.get(), self.t.symbol_table)
    }

    /// The symbol in slot `slot` of the symbol table, unless it died.
    fn symbol_in(&mut self, slot: usize) -> Option<ObjRef> {
        let table = self.symbol_table()?;
        // SAFETY: the rule; a slot of the table, which is weak.
        (slot < self.low(table)).then(|| unsafe { self.m.read_weak(table, elem(slot)) })?
    }

    /// Forgets the names whose symbols died, freeing their slots.
    fn sweep_symbols(&mut self) {
        let mut names = std::mem::take(&mut self.symbols);
        names.retain(|_, &mut slot| {
            let live = self.symbol_in(slot).is_some();
            if !live {
                self.free_symbol_slots.push(slot);
            }
            live
        });
        self.symbols = names;
    }

    /// The number of symbols interned and still alive.
    pub(crate) fn symbol_count(&mut self) -> usize {
        self.sweep_symbols();
        self.symbols.len()
    }

    /// A free slot of the symbol table, for a new name. A full table is
    /// swept first, and doubled unless that freed half of it, so that
    /// interning stays amortized constant time.
    fn free_symbol_slot(&mut self) -> Result<usize, Error> {
        if let Some(slot) = self.free_symbol_slots.pop() {
            return Ok(slot);
        }
        let len = self.symbol_table().map_or(0, |t| self.low(t));
        if self.symbol_slots_used == len {
            self.sweep_symbols();
            if self.free_symbol_slots.len() * 2 < len.max(1) {
                self.grow_symbol_table(len)?;
            }
            if let Some(slot) = self.free_symbol_slots.pop() {
                return Ok(slot);
            }
        }
        self.symbol_slots_used += 1;
        Ok(self.symbol_slots_used - 1)
    }

    /// Replaces the symbol table, of `len` slots, with one twice as big.
    fn grow_symbol_table(&mut self, len: usize) -> Result<(), Error> {
        let bigger = self.alloc(self.t.symbol_table, (2 * len).max(256))?;
        if let Some(old) = self.symbol_table() {
            for i in 0..len {
                // SAFETY: the rule: `old` was read from its root since the
                // allocation, and `bigger` is new; both have slot `i`, weak.
                unsafe {
                    let sym = self.m.read_weak(old, elem(i));
                    self.m.write_weak(bigger, elem(i), sym);
                }
            }
        }
        self.roots.symbols.set(Value::from_ref(bigger));
        Ok(())
    }

    /// A symbol's name; `sym` must be a symbol.
    pub(crate) fn symbol_name(&self, sym: ObjRef) -> String {
        let name = self.get(sym, field::SYMBOL_NAME);
        name.as_ref()
            .map_or_else(String::new, |s| self.rust_string(s))
    }

    // ------------------------------------------------------------ lists

    /// The elements of a proper list, or `None` if `list` is not one. Reads
    /// only: the values are good until the next allocation.
    pub(crate) fn list_to_vec(&self, mut list: Value) -> Option<Vec<Value>> {
        let mut out = Vec::new();
        // A second cursor at half speed meets the first only on a cycle.
        let mut slow = list;
        while let Some(p) = self.pair(list) {
            out.push(self.car(p));
            list = self.cdr(p);
            if out.len() % 2 == 0 {
                slow = self.pair(slow).map_or(Value::NIL, |s| self.cdr(s));
                if slow == list && self.pair(list).is_some() {
                    return None;
                }
            }
        }
        (list == Value::NIL).then_some(out)
    }

    /// A list of the values kept from mark `from` on, then `tail`; releases them.
    pub(crate) fn list_from_kept(&mut self, from: usize, tail: Value) -> Result<Value, Error> {
        let acc = self.keep(tail);
        for i in (from..acc).rev() {
            let pair = self.cons(self.kept(i), self.kept(acc));
            match pair {
                Ok(p) => self.set_kept(acc, p),
                Err(e) => {
                    self.release(from);
                    return Err(e);
                }
            }
        }
        let list = self.kept(acc);
        self.release(from);
        Ok(list)
    }

    // ------------------------------------------------------------ data

    /// The heap value of a datum: a quoted constant, or what `read` read.
    pub(crate) fn datum(&mut self, d: &Datum) -> Result<Value, Error> {
        Ok(match &d.kind {
            Kind::Int(n) => self.integer(&Big::from_i64(*n))?,
            Kind::Big(n) => self.integer(n)?,
            Kind::Float(x) => self.flonum(*x)?,
            Kind::Bool(b) => Value::bool(*b),
            Kind::Char(c) => Value::char(*c),
            Kind::Str(s) => self.string(s)?,
            Kind::Sym(s) => self.intern(s)?,
            Kind::Nil => Value::NIL,
            Kind::Bytes(b) => self.bytevector(b)?,
            Kind::List(items, tail) => {
                let mark = self.roots.scratch.len();
                let r = self.kept_data(items);
                let tail = match (r, tail) {
                    (Err(e), _) => Err(e),
                    (Ok(()), Some(t)) => self.datum(t),
                    (Ok(()), None) => Ok(Value::NIL),
                };
                match tail {
                    Ok(t) => self.list_from_kept(mark, t)?,
                    Err(e) => {
                        self.release(mark);
                        return Err(e);
                    }
                }
            }
            Kind::Vector(items) => {
                let mark = self.roots.scratch.len();
                let r = self
                    .kept_data(items)
                    .and_then(|()| self.vector(items.len(), Value::UNSPECIFIED));
                let v = match r {
                    Ok(v) => v,
                    Err(e) => {
                        self.release(mark);
                        return Err(e);
                    }
                };
                let obj = v.as_ref().expect("a vector is a reference");
                for i in 0..items.len() {
                    self.set_elem(obj, i, self.kept(mark + i));
                }
                self.release(mark);
                v
            }
        })
    }

    /// Keeps the values of `items`, in order.
    fn kept_data(&mut self, items: &[Datum]) -> Result<(), Error> {
        for item in items {
            let v = self.datum(item)?;
            self.keep(v);
        }
        Ok(())
    }
}
