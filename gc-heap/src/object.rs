//! Object references and the one-word header.

use std::fmt;
use std::num::NonZeroUsize;

/// Bytes in a word; objects and their slots are word-aligned.
pub const WORD: usize = 8;

/// The address of an object's header. Null is `Option<ObjRef>::None`, which
/// has the same size as a word.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef(NonZeroUsize);

impl ObjRef {
    /// The reference at `addr`, or `None` for 0.
    #[inline(always)]
    pub const fn from_addr(addr: usize) -> Option<ObjRef> {
        match NonZeroUsize::new(addr) {
            Some(a) => Some(ObjRef(a)),
            None => None,
        }
    }

    /// The reference at `addr`, known to be non-zero.
    ///
    /// # Safety
    /// `addr` must not be 0.
    #[inline(always)]
    pub const unsafe fn from_addr_unchecked(addr: usize) -> ObjRef {
        // SAFETY: as the caller guarantees.
        ObjRef(unsafe { NonZeroUsize::new_unchecked(addr) })
    }

    /// The address of the header.
    #[inline(always)]
    pub const fn addr(self) -> usize {
        self.0.get()
    }

    /// The word at `addr`, as stored in a slot: 0 for `None`.
    #[inline(always)]
    pub const fn to_word(r: Option<ObjRef>) -> usize {
        match r {
            Some(r) => r.addr(),
            None => 0,
        }
    }

    /// Reads the object's header.
    ///
    /// # Safety
    /// `self` must be the current address of an object in a mapped heap.
    #[inline(always)]
    pub unsafe fn header(self) -> Header {
        // SAFETY: the caller guarantees a mapped, word-aligned object start.
        Header(unsafe { (self.addr() as *const u64).read() })
    }

    /// Reads the word at byte `offset` from the object's start.
    ///
    /// # Safety
    /// `self` must be the current address of a live object at least `offset + 8` bytes long.
    #[inline(always)]
    pub unsafe fn read_word(self, offset: usize) -> usize {
        // SAFETY: in bounds of the object, by the caller.
        unsafe { ((self.addr() + offset) as *const usize).read() }
    }

    /// Writes the word at byte `offset`. Reference slots must be written through
    /// the mutator's write barrier instead.
    ///
    /// # Safety
    /// As for [`read_word`](Self::read_word), and the slot must not be a reference slot.
    #[inline(always)]
    pub unsafe fn write_word(self, offset: usize, value: usize) {
        // SAFETY: in bounds of the object, by the caller.
        unsafe { ((self.addr() + offset) as *mut usize).write(value) }
    }

    /// A pointer to the byte at `offset` from the object's start.
    #[inline(always)]
    pub fn byte_ptr(self, offset: usize) -> *mut u8 {
        (self.addr() + offset) as *mut u8
    }
}

impl fmt::Debug for ObjRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjRef({:#x})", self.addr())
    }
}

/// Type id of the filler that covers unused gaps (abandoned TLAB tails) so the
/// heap can be walked linearly. VM types start at 1.
pub const FILLER: u32 = 0;

/// The header word: type id in the high 32 bits; in the low 32, the length of
/// an array, or bits the VM owns for a fixed-size object.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header(pub u64);

impl Header {
    /// A header for type `type_id` with `low` in the low 32 bits.
    #[inline(always)]
    pub const fn new(type_id: u32, low: u32) -> Header {
        Header(((type_id as u64) << 32) | low as u64)
    }

    /// The type id.
    #[inline(always)]
    pub const fn type_id(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The low 32 bits: an array's length, or a fixed object's VM bits.
    #[inline(always)]
    pub const fn low(self) -> u32 {
        self.0 as u32
    }

    /// Writes a filler covering `start..end` (word-aligned, non-empty).
    ///
    /// # Safety
    /// The range must be mapped heap memory that holds no object.
    pub unsafe fn write_filler(start: usize, end: usize) {
        let words = (end - start) / WORD;
        debug_assert!(words >= 1 && words <= u32::MAX as usize);
        // SAFETY: the caller owns the gap.
        unsafe { (start as *mut u64).write(Header::new(FILLER, words as u32).0) };
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Header(type {}, low {})", self.type_id(), self.low())
    }
}
