//! Hashes for the hash tables, each consistent with its table's predicate:
//! keys the predicate finds the same hash the same.
//!
//! Immediates (fixnums, characters, booleans, `()`...) are equal only to
//! themselves, so their word is their hash. A heap object compared by
//! identity hashes by the collector's identity hash
//! (`Mutator::identity_hash`), which stays the same when the object moves:
//! its address would not, and a table hashing addresses would have to rehash
//! after every compaction. `eqv?` compares flonums and bignums by value, so
//! its hash reads their value. `equal?` compares strings, bytevectors, pairs
//! and vectors by their contents, so its hash reads them, visiting at most
//! [`EQUAL_NODES`] of their nodes, as SRFI 69's and Guile's `equal-hash` bound
//! theirs: a long list or a circular structure costs a bounded time, and
//! equal structures are visited alike, so they still hash the same.

use crate::gc::Gc;
use crate::value::Value;

use super::lists::{equal, eqv};

/// Nodes (pairs, vectors' elements, leaves) an `equal?` hash visits at most.
const EQUAL_NODES: usize = 32;

/// The predicate a table compares its keys with, kept in the table's header
/// bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Equiv {
    Eqv,
    Eq,
    Equal,
}

impl Equiv {
    /// The header bits that stand for it.
    pub(crate) fn bits(self) -> usize {
        self as usize
    }

    /// The predicate of a table whose header bits are `bits`.
    pub(crate) fn from_bits(bits: usize) -> Equiv {
        match bits {
            1 => Equiv::Eq,
            2 => Equiv::Equal,
            _ => Equiv::Eqv,
        }
    }

    /// Whether the table finds `x` and `y` the same key.
    pub(crate) fn same(self, gc: &Gc, x: Value, y: Value) -> bool {
        match self {
            Equiv::Eq => x == y,
            Equiv::Eqv => eqv(gc, x, y),
            Equiv::Equal => equal(gc, x, y),
        }
    }

    /// `v`'s hash in a table of this predicate.
    pub(crate) fn hash(self, gc: &Gc, v: Value) -> u32 {
        match self {
            Equiv::Eq => eq_hash(gc, v),
            Equiv::Eqv => eqv_hash(gc, v),
            Equiv::Equal => equal_hash(gc, v),
        }
    }
}

/// Spreads the bits of `x` over the 32 returned (MurmurHash3's finalizer),
/// so that fixnums in sequence land in different buckets.
fn mix(mut x: u64) -> u32 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^= x >> 33;
    x as u32
}

/// An immediate's word, or a heap object's identity hash.
fn eq_hash(gc: &Gc, v: Value) -> u32 {
    match v.as_ref() {
        Some(obj) => gc.identity_hash(obj),
        None => mix(v.word() as u64),
    }
}

/// As `eq_hash`, but flonums and bignums by their value.
fn eqv_hash(gc: &Gc, v: Value) -> u32 {
    match gc.type_of(v) {
        Some((_, t)) if t == gc.t.flonum => {
            mix(gc.as_flonum(v).map_or(0, f64::to_bits) ^ 0x5bd1_e995)
        }
        Some((obj, t)) if t == gc.t.bignum => mix(gc.bignum_units(obj).fold(6, step)),
        _ => eq_hash(gc, v),
    }
}

/// As `eqv_hash`, but strings, bytevectors, pairs and vectors by their
/// contents, within [`EQUAL_NODES`] nodes, in a fixed order.
fn equal_hash(gc: &Gc, v: Value) -> u32 {
    let t = &gc.t;
    let mut h: u64 = 0;
    let mut work = vec![v];
    let mut budget = EQUAL_NODES;
    while budget > 0 {
        let Some(v) = work.pop() else { break };
        budget -= 1;
        let part = match gc.type_of(v) {
            Some((obj, ty)) if ty == t.pair => {
                work.push(gc.cdr(obj));
                work.push(gc.car(obj));
                1
            }
            Some((obj, ty)) if ty == t.vector => {
                let len = gc.low(obj);
                work.extend((0..len.min(budget)).rev().map(|i| gc.elem(obj, i)));
                2 ^ ((len as u64) << 8)
            }
            Some((obj, ty)) if ty == t.string => (0..gc.string_len(obj))
                .map(|i| u32::from(gc.string_ref(obj, i)))
                .fold(3, step),
            Some((obj, ty)) if ty == t.bytevector => (0..gc.low(obj))
                .map(|i| u32::from(gc.byte_ref(obj, i)))
                .fold(4, step),
            _ => u64::from(eqv_hash(gc, v)),
        };
        h = step(h, part as u32 ^ (part >> 32) as u32);
    }
    mix(h)
}

/// One step of a hash over a sequence: the order of the sequence counts.
fn step(h: u64, unit: u32) -> u64 {
    (h.rotate_left(5) ^ u64::from(unit)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}
