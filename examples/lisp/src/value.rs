//! Values: one machine word, tagged in its low three bits, so that fixnums,
//! characters, booleans and primitives need no allocation and the collector
//! can tell references from everything else with movegc's default tag scheme
//! (a non-zero word with the low three bits clear is a reference).
//!
//! | low bits | value |
//! |---|---|
//! | `xx1` | fixnum: a 63-bit integer in the upper bits |
//! | `000` | a reference (an object's address), or 0: "unassigned" |
//! | `010` | a constant: `#f`, `#t`, `()`, unspecified, the end of file |
//! | `100` | a primitive procedure, by index in the primitive table |
//! | `110` | a character, by code point |
//!
//! A `Value` that is a reference is only an address: it stays valid until the
//! next call that may collect (any allocation). See [`crate::gc`] for the rule.

use gc_core::ObjRef;

/// A Scheme value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(transparent)]
pub(crate) struct Value(usize);

const TAG_MASK: usize = 7;
const TAG_CONST: usize = 2;
const TAG_PRIM: usize = 4;
const TAG_CHAR: usize = 6;

/// The smallest fixnum.
pub(crate) const FIXNUM_MIN: i64 = -(1 << 62);
/// The largest fixnum.
pub(crate) const FIXNUM_MAX: i64 = (1 << 62) - 1;

impl Default for Value {
    fn default() -> Value {
        Value::UNASSIGNED
    }
}

impl Value {
    /// The word 0, which no expression evaluates to: a variable bound but not
    /// yet assigned (letrec, internal defines), or an unbound global. Fresh
    /// heap objects are zeroed, so every new slot starts unassigned.
    pub(crate) const UNASSIGNED: Value = Value(0);
    /// `#f`.
    pub(crate) const FALSE: Value = Value(TAG_CONST);
    /// `#t`.
    pub(crate) const TRUE: Value = Value(8 | TAG_CONST);
    /// The empty list.
    pub(crate) const NIL: Value = Value(16 | TAG_CONST);
    /// What expressions evaluated for effect return.
    pub(crate) const UNSPECIFIED: Value = Value(24 | TAG_CONST);
    /// The end-of-file object.
    pub(crate) const EOF: Value = Value(32 | TAG_CONST);

    /// The raw word.
    #[inline(always)]
    pub(crate) const fn word(self) -> usize {
        self.0
    }

    /// The value whose raw word is `w`.
    #[inline(always)]
    pub(crate) const fn from_word(w: usize) -> Value {
        Value(w)
    }

    /// The raw word, for a root scanner to rewrite when the object moves.
    #[inline(always)]
    pub(crate) fn word_mut(&mut self) -> &mut usize {
        &mut self.0
    }

    /// A reference to `obj`.
    #[inline(always)]
    pub(crate) const fn from_ref(obj: ObjRef) -> Value {
        Value(obj.addr())
    }

    /// The object this value refers to, if it is a reference.
    #[inline(always)]
    pub(crate) const fn as_ref(self) -> Option<ObjRef> {
        if self.0 & TAG_MASK == 0 {
            ObjRef::from_addr(self.0)
        } else {
            None
        }
    }

    /// A boolean.
    #[inline(always)]
    pub(crate) const fn bool(b: bool) -> Value {
        if b { Value::TRUE } else { Value::FALSE }
    }

    /// Everything but `#f` is true.
    #[inline(always)]
    pub(crate) const fn is_true(self) -> bool {
        self.0 != Value::FALSE.0
    }

    /// The fixnum `n`, if it fits in 63 bits.
    #[inline(always)]
    pub(crate) const fn fixnum(n: i64) -> Option<Value> {
        if n >= FIXNUM_MIN && n <= FIXNUM_MAX {
            Some(Value(((n << 1) | 1) as usize))
        } else {
            None
        }
    }

    /// A fixnum known to fit (a length, an index).
    #[inline(always)]
    pub(crate) const fn small(n: usize) -> Value {
        Value((n << 1) | 1)
    }

    /// The integer, if this is a fixnum.
    #[inline(always)]
    pub(crate) const fn as_fixnum(self) -> Option<i64> {
        if self.0 & 1 == 1 {
            Some((self.0 as i64) >> 1)
        } else {
            None
        }
    }

    /// A character.
    #[inline(always)]
    pub(crate) const fn char(c: char) -> Value {
        Value(((c as usize) << 3) | TAG_CHAR)
    }

    /// The character, if this is one.
    #[inline(always)]
    pub(crate) fn as_char(self) -> Option<char> {
        if self.0 & TAG_MASK == TAG_CHAR {
            char::from_u32((self.0 >> 3) as u32)
        } else {
            None
        }
    }

    /// Primitive procedure number `index`.
    #[inline(always)]
    pub(crate) const fn primitive(index: usize) -> Value {
        Value((index << 3) | TAG_PRIM)
    }

    /// The primitive's index, if this is a primitive procedure.
    #[inline(always)]
    pub(crate) const fn as_primitive(self) -> Option<usize> {
        if self.0 & TAG_MASK == TAG_PRIM {
            Some(self.0 >> 3)
        } else {
            None
        }
    }
}
