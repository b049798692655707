//! Type descriptors: the VM says how big each kind of object is and where its
//! references are, at start-up or later, while the heap runs. Descriptors live outside the moving heap,
//! so compaction never reads a moved class.

use std::fmt;

use crate::object::WORD;
pub use crate::type_table::{RegistrationLock, SlotsIn, TypeTable};

/// An index into the type table. VM types start at 1; 0 is the heap's filler.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct TypeId(pub u32);

/// What a slot may hold.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SlotKind {
    /// Null (0) or a reference to an object in this heap.
    Ref,
    /// A reference, or a VM value that is not one (a fixnum, a character): the
    /// table's [`TagScheme`] says which.
    Tagged,
    /// Null (0) or a reference that does not keep its object alive: marking
    /// does not follow it, and the cycle that finds its object unreachable
    /// stores null in it. When the object moves, the slot is rewritten as a
    /// `Ref` slot is.
    Weak,
}

/// How a type's objects are laid out after the header.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Layout {
    /// A fixed size in bytes (header included, a multiple of 8), with slots at
    /// the given byte offsets; every other word is data.
    Fixed {
        /// Total size in bytes.
        size: usize,
        /// Byte offsets (from the object's start) of the slots, with their kinds.
        slots: Vec<(u32, SlotKind)>,
    },
    /// An array whose every element is a slot of this kind; the length is in the header.
    Array(SlotKind),
    /// An array of bytes that are never references.
    Bytes,
    /// An array of words that are never references.
    Words,
}

/// A type as the VM describes it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TypeDescriptor {
    name: String,
    layout: Layout,
}

impl TypeDescriptor {
    /// A fixed-size type: `size` bytes in all (header included), reference
    /// slots at byte offsets `refs`, tagged slots at `tagged`.
    pub fn fixed(name: &str, size: usize, refs: &[u32], tagged: &[u32]) -> Self {
        let mut slots: Vec<(u32, SlotKind)> = refs
            .iter()
            .map(|&o| (o, SlotKind::Ref))
            .chain(tagged.iter().map(|&o| (o, SlotKind::Tagged)))
            .collect();
        slots.sort_unstable_by_key(|&(o, _)| o);
        TypeDescriptor {
            name: name.to_owned(),
            layout: Layout::Fixed { size, slots },
        }
    }

    /// A fixed-size type whose slots are given with their kinds (weak slots
    /// among them): `size` bytes in all (header included), each slot a byte
    /// offset and a [`SlotKind`].
    pub fn fixed_slots(name: &str, size: usize, slots: &[(u32, SlotKind)]) -> Self {
        let mut slots = slots.to_vec();
        slots.sort_unstable_by_key(|&(o, _)| o);
        TypeDescriptor {
            name: name.to_owned(),
            layout: Layout::Fixed { size, slots },
        }
    }

    /// An array of slots of `kind`: the header's low 32 bits are the length,
    /// and element `i` is the word at byte offset `WORD + i * WORD` from the
    /// object's start (its header).
    pub fn array(name: &str, kind: SlotKind) -> Self {
        TypeDescriptor {
            name: name.to_owned(),
            layout: Layout::Array(kind),
        }
    }

    /// An array of bytes: the header's low 32 bits are the length, and byte
    /// `i` is at byte offset `WORD + i` from the object's start (its header);
    /// the object is padded to a whole word.
    pub fn bytes(name: &str) -> Self {
        TypeDescriptor {
            name: name.to_owned(),
            layout: Layout::Bytes,
        }
    }

    /// An array of non-reference words, laid out as [`array`](Self::array)'s.
    pub fn words(name: &str) -> Self {
        TypeDescriptor {
            name: name.to_owned(),
            layout: Layout::Words,
        }
    }

    /// The type's name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Whether the type's objects never hold a reference (bytes, words, a
    /// fixed type without slots): their pages may move unread.
    pub fn is_reference_free(&self) -> bool {
        match &self.layout {
            Layout::Fixed { slots, .. } => slots.is_empty(),
            Layout::Array(_) => false,
            Layout::Bytes | Layout::Words => true,
        }
    }

    /// Whether the type's objects carry a length in the header.
    pub fn is_array(&self) -> bool {
        !matches!(self.layout, Layout::Fixed { .. })
    }

    /// Bytes an object of this type with header low bits `len` occupies.
    #[inline]
    pub fn size(&self, len: u32) -> usize {
        let len = len as usize;
        match &self.layout {
            Layout::Fixed { size, .. } => *size,
            Layout::Array(_) | Layout::Words => WORD + len * WORD,
            Layout::Bytes => (WORD + len + WORD - 1) & !(WORD - 1),
        }
    }

    pub(crate) fn check(&self) -> Result<(), TypeError> {
        let bad = |why: &'static str| {
            Err(TypeError::BadLayout {
                name: self.name.clone(),
                why,
            })
        };
        if let Layout::Fixed { size, slots } = &self.layout {
            if *size < WORD || size % WORD != 0 {
                return bad("the size must be a non-zero multiple of 8 bytes, header included");
            }
            if slots.windows(2).any(|w| w[0].0 == w[1].0) {
                return bad("a slot offset is listed twice");
            }
            let misplaced = |&(o, _): &(u32, SlotKind)| {
                let o = o as usize;
                o < WORD || o % WORD != 0 || o + WORD > *size
            };
            if slots.iter().any(misplaced) {
                return bad(
                    "slot offsets must be multiples of 8 past the header and inside the object",
                );
            }
        }
        Ok(())
    }
}

/// How a VM tags values in [`SlotKind::Tagged`] slots: a non-zero word `v` is a
/// reference when `v & mask == tag` (and it lies in the heap).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TagScheme {
    /// Bits that distinguish references from other values.
    pub mask: usize,
    /// Their value in a reference.
    pub tag: usize,
}

impl Default for TagScheme {
    /// Word-aligned values are references; anything with a low bit set is not.
    fn default() -> Self {
        TagScheme { mask: 7, tag: 0 }
    }
}

/// A type registration the table refused.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum TypeError {
    /// The descriptor is malformed.
    BadLayout {
        /// The type's name.
        name: String,
        /// What is wrong.
        why: &'static str,
    },
    /// The table is full.
    TooMany {
        /// The most VM types it holds ([`TypeTable::with_capacity`]).
        capacity: u32,
    },
    /// A table of this many types cannot be allocated.
    NoRoom {
        /// The capacity asked for.
        capacity: u32,
    },
    /// The tag scheme would classify word-aligned heap addresses as non-references.
    BadTagScheme,
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeError::BadLayout { name, why } => write!(f, "type {name:?}: {why}"),
            TypeError::TooMany { capacity } => write!(
                f,
                "the type table is full: it holds {capacity} types (TypeTable::with_capacity \
                 sets how many)"
            ),
            TypeError::NoRoom { capacity } => write!(
                f,
                "no memory for a type table of {capacity} types: ask for fewer"
            ),
            TypeError::BadTagScheme => f.write_str(
                "the tag scheme must accept word-aligned addresses: `tag` must be 0 in the \
                 low three bits it masks",
            ),
        }
    }
}

impl std::error::Error for TypeError {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::object::{FILLER, Header};

    #[test]
    fn sizes_and_slots_follow_the_layout() {
        let t = TypeTable::new();
        let pair = t
            .register(TypeDescriptor::fixed("pair", 24, &[8], &[16]))
            .unwrap();
        let vec = t
            .register(TypeDescriptor::array("vector", SlotKind::Tagged))
            .unwrap();
        let bytes = t.register(TypeDescriptor::bytes("string")).unwrap();
        assert_eq!(pair, TypeId(1));
        assert_eq!(t.size_of(Header::new(pair.0, 99)), Some(24));
        assert_eq!(t.size_of(Header::new(vec.0, 3)), Some(32));
        assert_eq!(t.size_of(Header::new(bytes.0, 9)), Some(24));
        assert_eq!(t.size_of(Header::new(FILLER, 5)), Some(40));
        assert_eq!(t.size_of(Header::new(77, 0)), None);
        let mut seen = vec![];
        t.for_each_slot(Header::new(pair.0, 0), |o, k| seen.push((o, k)));
        assert_eq!(seen, vec![(8, SlotKind::Ref), (16, SlotKind::Tagged)]);
        seen.clear();
        t.for_each_slot_in(Header::new(vec.0, 3), 16, 32, |o, k| seen.push((o, k)));
        assert_eq!(seen, vec![(16, SlotKind::Tagged), (24, SlotKind::Tagged)]);
        // The pieces a page build asks for: from mid-word, up to the
        // object's end or past it.
        let wide = t
            .register(TypeDescriptor::fixed("wide", 48, &[8, 32], &[16, 40]))
            .unwrap();
        let piece: Vec<_> = t.slots_in(Header::new(wide.0, 0), 12, 40).collect();
        assert_eq!(piece, vec![(16, SlotKind::Tagged), (32, SlotKind::Ref)]);
        let piece: Vec<_> = t.slots_in(Header::new(vec.0, 3), 4, 4096).collect();
        assert_eq!(piece.iter().map(|s| s.0).collect::<Vec<_>>(), [8, 16, 24]);
        assert_eq!(t.slots_in(Header::new(vec.0, 3), 0, 8).count(), 0);
        assert_eq!(t.slots_in(Header::new(bytes.0, 64), 0, 4096).count(), 0);
        assert_eq!(t.slots_in(Header::new(FILLER, 64), 0, 4096).count(), 0);
        assert!(t.is_ref(SlotKind::Tagged, 0x1000) && !t.is_ref(SlotKind::Tagged, 0x1001));
        assert!(!t.is_ref(SlotKind::Ref, 0));
    }

    #[test]
    fn malformed_types_are_refused_with_a_reason() {
        let mut t = TypeTable::new();
        let e = t
            .register(TypeDescriptor::fixed("odd", 20, &[], &[]))
            .unwrap_err();
        assert!(e.to_string().contains("\"odd\"") && e.to_string().contains("multiple of 8"));
        let e = t
            .register(TypeDescriptor::fixed("hdr", 16, &[0], &[]))
            .unwrap_err();
        assert!(e.to_string().contains("past the header"), "{e}");
        let e = t
            .register(TypeDescriptor::fixed("out", 16, &[16], &[]))
            .unwrap_err();
        assert!(e.to_string().contains("inside the object"), "{e}");
        assert_eq!(
            t.set_tag_scheme(TagScheme { mask: 1, tag: 1 }),
            Err(TypeError::BadTagScheme)
        );
        t.set_tag_scheme(TagScheme { mask: 3, tag: 0 }).unwrap();
    }
}
