//! The interpreter's roots: every place outside the heap that holds a Java
//! reference, in root slots the library holds and scans for this thread's
//! mutator ([`RootVec`]s gathered in one [`RootSet`]), so the interpreter
//! needs no scanner.

use gc_core::{Root, RootSet, RootVec, RootVisitor};

/// One interpreter slot: a local variable, an operand, a static field. It
/// knows whether it holds a reference, so the collector needs no stack maps.
/// A long or double fills one slot's bits and leaves the next a filler, as
/// the JVM's two-slot convention wants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) bits: u64,
    pub(crate) is_ref: bool,
}

impl Slot {
    /// Null, or an empty slot.
    pub(crate) const NULL: Slot = Slot::reference(0);

    #[inline(always)]
    pub(crate) const fn reference(addr: usize) -> Slot {
        Slot {
            bits: addr as u64,
            is_ref: true,
        }
    }

    #[inline(always)]
    pub(crate) const fn int(v: i32) -> Slot {
        Slot {
            bits: v as i64 as u64,
            is_ref: false,
        }
    }

    #[inline(always)]
    pub(crate) const fn long(v: i64) -> Slot {
        Slot {
            bits: v as u64,
            is_ref: false,
        }
    }

    #[inline(always)]
    pub(crate) fn float(v: f32) -> Slot {
        Slot {
            bits: u64::from(v.to_bits()),
            is_ref: false,
        }
    }

    #[inline(always)]
    pub(crate) fn double(v: f64) -> Slot {
        Slot {
            bits: v.to_bits(),
            is_ref: false,
        }
    }

    /// A raw word of a field, of the given kind.
    #[inline(always)]
    pub(crate) const fn word(bits: u64, is_ref: bool) -> Slot {
        Slot { bits, is_ref }
    }

    #[inline(always)]
    pub(crate) const fn as_int(self) -> i32 {
        self.bits as i32
    }

    #[inline(always)]
    pub(crate) const fn as_long(self) -> i64 {
        self.bits as i64
    }

    #[inline(always)]
    pub(crate) fn as_float(self) -> f32 {
        f32::from_bits(self.bits as u32)
    }

    #[inline(always)]
    pub(crate) fn as_double(self) -> f64 {
        f64::from_bits(self.bits)
    }

    /// The address a reference slot holds (0 for null).
    #[inline(always)]
    pub(crate) const fn addr(self) -> usize {
        self.bits as usize
    }
}

/// A slot is a root when it holds a non-null reference.
impl Root for Slot {
    fn visit(&mut self, roots: &mut RootVisitor<'_>) {
        if self.is_ref && self.bits != 0 {
            let mut word = self.bits as usize;
            roots.visit_tagged(&mut word);
            self.bits = word as u64;
        }
    }
}

/// Every root of one JVM.
#[derive(Default)]
pub(crate) struct Roots {
    /// Frames' locals and operands, one frame above the other.
    pub(crate) stack: RootVec<Slot>,
    /// Static fields, by the index the linker gave each.
    pub(crate) statics: RootVec<Slot>,
    /// String literals, by the index the decoder gave each.
    pub(crate) literals: RootVec<Slot>,
    /// The preallocated `OutOfMemoryError`.
    pub(crate) constants: RootVec<Slot>,
    /// References a native method keeps across an allocation, and the
    /// exception being thrown.
    pub(crate) scratch: RootVec<Slot>,
}

impl RootSet for Roots {
    fn visit(&self, roots: &mut RootVisitor<'_>) {
        let all = [
            &self.stack,
            &self.statics,
            &self.literals,
            &self.constants,
            &self.scratch,
        ];
        for v in all {
            v.visit(roots);
        }
    }
}
