//! The JVM's side of movegc: how Java objects are laid out, and [`Gc`],
//! the one door through which every allocation and every reference store
//! goes.
//!
//! # Layouts
//!
//! Every object starts with movegc's header word (type id high, 32 bits low).
//!
//! - An instance of a class is a fixed-size object: its superclass's fields
//!   first, then its own reference fields, then its own primitive fields, a
//!   word each. The class's reference offsets are its reference map.
//! - A `String` is one byte object: the UTF-16 code units after the header.
//!   Strings are immutable, so there is nothing to share.
//! - A primitive array is a byte object of its element type: the elements,
//!   packed, after the header.
//! - A reference array is an array of tagged slots whose first slot is not a
//!   reference (its low bit is set): it holds the array's class. The elements
//!   follow.
//!
//! No object stores an identity hash: `Object.hashCode` and
//! `System.identityHashCode` ask the collector's table
//! ([`Mutator::identity_hash`]), which keeps each hash across moves. Few
//! objects are ever hashed, so a hash word in every string and array would
//! be memory paid for nothing.
//!
//! # The rule for references
//!
//! An object's address is good only until the next allocation, which may
//! collect and move it. Anything needed after one lives in a root (the
//! interpreter's stack, statics, [`Roots::scratch`](crate::roots::Roots)) and
//! is read back from there.

use gc_core::{GcError, Mutator, ObjRef, SlotKind, TypeDescriptor, TypeId, TypeTable, WORD};

use crate::class::ClassId;

/// The element types of primitive arrays, in `newarray`'s order minus 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Prim {
    Boolean,
    Char,
    Float,
    Double,
    Byte,
    Short,
    Int,
    Long,
}

impl Prim {
    /// Every primitive type, in `newarray`'s order.
    pub(crate) const ALL: [Prim; 8] = [
        Prim::Boolean,
        Prim::Char,
        Prim::Float,
        Prim::Double,
        Prim::Byte,
        Prim::Short,
        Prim::Int,
        Prim::Long,
    ];

    /// Bytes per element.
    pub(crate) fn size(self) -> usize {
        match self {
            Prim::Boolean | Prim::Byte => 1,
            Prim::Char | Prim::Short => 2,
            Prim::Float | Prim::Int => 4,
            Prim::Double | Prim::Long => 8,
        }
    }

    /// The array class's name: `[I` for `int`.
    pub(crate) fn array_name(self) -> &'static str {
        match self {
            Prim::Boolean => "[Z",
            Prim::Char => "[C",
            Prim::Float => "[F",
            Prim::Double => "[D",
            Prim::Byte => "[B",
            Prim::Short => "[S",
            Prim::Int => "[I",
            Prim::Long => "[J",
        }
    }

    /// The type of a descriptor character.
    pub(crate) fn of(c: u8) -> Option<Prim> {
        Prim::ALL
            .into_iter()
            .find(|p| p.array_name().as_bytes()[1] == c)
    }
}

/// Bytes before the first element of a primitive array or the first unit of
/// a string: the header.
pub(crate) const DATA: usize = WORD;

/// Bytes before the first element of a reference array: the header and the
/// word with the array's class.
pub(crate) const ELEMS: usize = 2 * WORD;

/// The movegc types the JVM registers besides one per class.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Types {
    pub(crate) string: TypeId,
    pub(crate) ref_array: TypeId,
    /// Primitive arrays, by [`Prim`] in `ALL`'s order.
    pub(crate) prim: [TypeId; 8],
}

impl Types {
    /// Registers the built-in types.
    pub(crate) fn register(table: &TypeTable) -> Result<Types, gc_core::TypeError> {
        let string = table.register(TypeDescriptor::bytes("java/lang/String"))?;
        let ref_array = table.register(TypeDescriptor::array("[L", SlotKind::Tagged))?;
        let mut prim = [TypeId(0); 8];
        for (t, p) in prim.iter_mut().zip(Prim::ALL) {
            *t = table.register(TypeDescriptor::bytes(p.array_name()))?;
        }
        Ok(Types {
            string,
            ref_array,
            prim,
        })
    }

    /// The primitive array type of `id`, if it is one (they were registered
    /// one after another).
    #[inline(always)]
    pub(crate) fn prim_of(&self, id: u32) -> Option<Prim> {
        Prim::ALL
            .get(id.wrapping_sub(self.prim[0].0) as usize)
            .copied()
    }
}

/// `OutOfMemoryError`'s message for a full heap.
pub(crate) const HEAP_SPACE: &str = "Java heap space";

/// `OutOfMemoryError`'s message for an array too large for any heap.
const TOO_LARGE: &str = "Requested array size exceeds VM limit";

/// Why an allocation failed, in Java's terms.
#[derive(Debug)]
pub(crate) enum AllocError {
    /// `OutOfMemoryError`, with its message.
    OutOfMemory(&'static str),
    /// The heap failed in a way Java has no exception for.
    Heap(GcError),
}

impl From<GcError> for AllocError {
    fn from(e: GcError) -> Self {
        match e {
            GcError::OutOfMemory { .. } => AllocError::OutOfMemory(HEAP_SPACE),
            GcError::TooLarge { .. } => AllocError::OutOfMemory(TOO_LARGE),
            e => AllocError::Heap(e),
        }
    }
}

/// The mutator and the types.
pub(crate) struct Gc {
    pub(crate) m: Mutator,
    pub(crate) types: Types,
}

impl Gc {
    pub(crate) fn new(m: Mutator, types: Types) -> Gc {
        Gc { m, types }
    }

    /// A zeroed instance of a class with movegc type `ty`.
    pub(crate) fn new_object(&mut self, ty: TypeId) -> Result<ObjRef, AllocError> {
        Ok(self.m.alloc(ty, 0)?)
    }

    /// A zeroed byte object of `ty` with `bytes` of data.
    fn new_bytes(&mut self, ty: TypeId, bytes: usize) -> Result<ObjRef, AllocError> {
        let len = u32::try_from(bytes).map_err(|_| AllocError::OutOfMemory(TOO_LARGE))?;
        Ok(self.m.alloc(ty, len)?)
    }

    /// A zeroed primitive array.
    pub(crate) fn new_prim_array(&mut self, p: Prim, len: usize) -> Result<ObjRef, AllocError> {
        let bytes = len
            .checked_mul(p.size())
            .ok_or(AllocError::OutOfMemory(TOO_LARGE))?;
        self.new_bytes(
            self.types.prim[Prim::ALL.iter().position(|&q| q == p).unwrap_or(0)],
            bytes,
        )
    }

    /// A reference array of class `class`, every element null.
    pub(crate) fn new_ref_array(
        &mut self,
        class: ClassId,
        len: usize,
    ) -> Result<ObjRef, AllocError> {
        let slots = u32::try_from(len + 1).map_err(|_| AllocError::OutOfMemory(TOO_LARGE))?;
        let obj = self.m.alloc(self.types.ref_array, slots)?;
        let word = ((class.0 as usize) << 32) | 1;
        // SAFETY: a fresh array's first slot; the word is not a reference
        // (its low bit is set), so the barrier has nothing to log.
        unsafe { self.m.write_tagged(obj, WORD, word) };
        Ok(obj)
    }

    /// A string of UTF-16 `units`.
    pub(crate) fn new_string(&mut self, units: &[u16]) -> Result<ObjRef, AllocError> {
        let obj = self.new_bytes(self.types.string, units.len() * 2)?;
        // SAFETY: the fresh object has room for the units.
        unsafe {
            std::ptr::copy_nonoverlapping(
                units.as_ptr(),
                obj.byte_ptr(DATA).cast::<u16>(),
                units.len(),
            );
        }
        Ok(obj)
    }

    /// Stores a reference in an instance's reference field, through the barrier.
    ///
    /// # Safety
    /// `obj` live, `offset` one of its class's reference fields, `value`
    /// null or live.
    #[inline(always)]
    pub(crate) unsafe fn put_ref(&mut self, obj: ObjRef, offset: usize, value: usize) {
        // SAFETY: as the caller guarantees.
        unsafe { self.m.write_ref(obj, offset, ObjRef::from_addr(value)) };
    }

    /// Stores a reference in element `i` of a reference array, through the
    /// barrier.
    ///
    /// # Safety
    /// `arr` a live reference array with `i` in bounds; `value` null or live.
    #[inline(always)]
    pub(crate) unsafe fn put_elem(&mut self, arr: ObjRef, i: usize, value: usize) {
        // SAFETY: as the caller guarantees.
        unsafe { self.m.write_tagged(arr, ELEMS + i * WORD, value) };
    }
}

/// The length of a string, in UTF-16 units.
///
/// # Safety
/// `s` must be a live string.
#[inline]
pub(crate) unsafe fn string_len(s: ObjRef) -> usize {
    // SAFETY: the caller guarantees a live object.
    unsafe { s.header() }.low() as usize / 2
}

/// A string's UTF-16 units. The slice is good until the next allocation.
///
/// # Safety
/// `s` must be a live string, and the slice must not outlive the rule.
#[inline]
pub(crate) unsafe fn string_units<'a>(s: ObjRef) -> &'a [u16] {
    // SAFETY: the units lie after the header, as many as the length says.
    unsafe { std::slice::from_raw_parts(s.byte_ptr(DATA).cast::<u16>(), string_len(s)) }
}

/// A string's text, for Rust code.
///
/// # Safety
/// `s` must be a live string.
pub(crate) unsafe fn string_text(s: ObjRef) -> String {
    // SAFETY: as the caller guarantees.
    String::from_utf16_lossy(unsafe { string_units(s) })
}
