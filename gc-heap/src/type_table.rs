//! The table of every type the VM registered, indexed by [`TypeId`]. It grows
//! while the heap runs (a class loaded on first use) and is read without
//! locks by the collector's threads and the SIGBUS handler: an append-only
//! array ([`crate::append`]), whose descriptors never change once registered.

use std::fmt;

use crate::append::{AppendOnly, Writers};
use crate::object::{FILLER, Header, WORD};
use crate::types::{Layout, SlotKind, TagScheme, TypeDescriptor, TypeError, TypeId};

/// Every type the VM registered, indexed by [`TypeId`]. Types may be added at
/// any time, from any thread ([`register`](Self::register)), while others
/// read it; a registered type never changes.
pub struct TypeTable {
    types: AppendOnly<TypeDescriptor>,
    tags: TagScheme,
}

/// A [`TypeTable`]'s registrations, held off until dropped (from
/// [`TypeTable::lock_registrations`]).
#[must_use = "registrations resume when this is dropped"]
pub struct RegistrationLock<'a> {
    _writers: Writers<'a>,
}

/// The slots of an object in a range of offsets, in address order
/// ([`TypeTable::slots_in`]): offsets from the object's start, and kinds.
#[derive(Debug)]
pub enum SlotsIn<'a> {
    /// No slots: a filler, an array of data, or an unknown type.
    None,
    /// A fixed layout's slots, those from `from` to `to`.
    Fixed {
        /// The layout's slots not visited yet.
        slots: std::slice::Iter<'a, (u32, SlotKind)>,
        /// The lowest offset visited.
        from: usize,
        /// The end of the offsets visited (excluded).
        to: usize,
    },
    /// An array's elements from `at` to `end`, each a slot of `kind`.
    Array {
        /// The next element's offset.
        at: usize,
        /// The end of the elements visited.
        end: usize,
        /// The elements' kind.
        kind: SlotKind,
    },
}

impl Iterator for SlotsIn<'_> {
    type Item = (usize, SlotKind);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, SlotKind)> {
        match self {
            SlotsIn::None => None,
            SlotsIn::Fixed { slots, from, to } => slots
                .find(|&&(o, _)| (*from..*to).contains(&(o as usize)))
                .map(|&(o, kind)| (o as usize, kind)),
            SlotsIn::Array { at, end, kind } => (*at < *end).then(|| {
                *at += WORD;
                (*at - WORD, *kind)
            }),
        }
    }
}

impl fmt::Debug for RegistrationLock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RegistrationLock")
    }
}

impl Default for TypeTable {
    fn default() -> Self {
        TypeTable::new()
    }
}

impl fmt::Debug for TypeTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypeTable")
            .field("types", &self.len())
            .field("capacity", &self.capacity())
            .field("tags", &self.tags)
            .finish()
    }
}

impl TypeTable {
    /// The VM types a [`new`](Self::new) table has room for.
    pub const DEFAULT_CAPACITY: u32 = 1 << 16;

    /// A table holding only the filler, with the default tag scheme and room
    /// for [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) types.
    pub fn new() -> Self {
        match TypeTable::with_capacity(Self::DEFAULT_CAPACITY) {
            Ok(table) => table,
            // As any allocation the process cannot have: a few megabytes.
            Err(_) => std::alloc::handle_alloc_error(std::alloc::Layout::new::<
                [TypeDescriptor; Self::DEFAULT_CAPACITY as usize + 1],
            >()),
        }
    }

    /// A table with room for `types` VM types (the filler aside). The room is
    /// fixed: readers index the table without locks, so it is never
    /// reallocated. Its memory is committed only as types fill it (a few
    /// dozen bytes a type; the descriptors' slot lists are allocated apart).
    /// Fails with [`TypeError::NoRoom`] if the process cannot have the
    /// address space.
    pub fn with_capacity(types: u32) -> Result<Self, TypeError> {
        let types = AppendOnly::new(TypeDescriptor::words("<filler>"), types as usize)
            .map_err(|_| TypeError::NoRoom { capacity: types })?;
        Ok(TypeTable {
            types,
            tags: TagScheme::default(),
        })
    }

    /// Adds a type and returns its id. Any thread may call it at any time,
    /// also while the heap collects; the type is usable as soon as this
    /// returns, on any thread that learns its id after that.
    pub fn register(&self, descriptor: TypeDescriptor) -> Result<TypeId, TypeError> {
        descriptor.check()?;
        let full = || TypeError::TooMany {
            capacity: self.capacity(),
        };
        let id = self.types.push(descriptor).map_err(|_| full())?;
        u32::try_from(id).map(TypeId).map_err(|_| full())
    }

    /// Holds off registrations until the result is dropped. For a `fork`:
    /// held by the forking thread, the lock is held at the fork by no other
    /// thread, which would leave it held for ever in the child.
    pub fn lock_registrations(&self) -> RegistrationLock<'_> {
        RegistrationLock {
            _writers: self.types.lock_writers(),
        }
    }

    /// [`lock_registrations`](Self::lock_registrations) ahead of the threads
    /// waiting for it: registrations and locks asked for after this wait
    /// until the result is dropped, so this waits only for those already
    /// waiting. For a fork's preparer: a thread that holds the lock and takes
    /// it again at once (one registering types in a loop) would otherwise
    /// keep it from the preparer for as long as it goes on.
    pub fn lock_registrations_ahead(&self) -> RegistrationLock<'_> {
        RegistrationLock {
            _writers: self.types.lock_writers_ahead(),
        }
    }

    /// Sets how tagged slots tell references from other values. Only before
    /// the heap is built: the collector reads it without locks.
    pub fn set_tag_scheme(&mut self, tags: TagScheme) -> Result<(), TypeError> {
        if tags.tag & tags.mask & (WORD - 1) != 0 || tags.tag & !tags.mask != 0 {
            return Err(TypeError::BadTagScheme);
        }
        self.tags = tags;
        Ok(())
    }

    /// The tag scheme.
    pub fn tag_scheme(&self) -> TagScheme {
        self.tags
    }

    /// The descriptor of `id`, if registered (the filler is id 0).
    #[inline]
    pub fn get(&self, id: u32) -> Option<&TypeDescriptor> {
        self.types.get(id as usize)
    }

    /// Number of ids in use, the filler included. It only grows.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether only the filler is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 1
    }

    /// The most VM types the table can hold.
    pub fn capacity(&self) -> u32 {
        u32::try_from(self.types.capacity() - 1).unwrap_or(u32::MAX)
    }

    /// Bytes the object with `header` occupies, or `None` for an unknown type.
    #[inline]
    pub fn size_of(&self, header: Header) -> Option<usize> {
        if header.type_id() == FILLER {
            return Some(header.low() as usize * WORD);
        }
        self.get(header.type_id()).map(|t| t.size(header.low()))
    }

    /// Whether the word `value` found in a slot of `kind` is a reference (not
    /// null, and tagged as one). The caller still checks it lies in the heap.
    #[inline(always)]
    pub fn is_ref(&self, kind: SlotKind, value: usize) -> bool {
        value != 0 && (kind == SlotKind::Ref || value & self.tags.mask == self.tags.tag)
    }

    /// Calls `f(offset, kind)` for each slot of an object with `header`, in
    /// address order, for slot offsets in `from..to` (byte offsets from the
    /// object's start).
    #[inline]
    pub fn for_each_slot_in(
        &self,
        header: Header,
        from: usize,
        to: usize,
        mut f: impl FnMut(usize, SlotKind),
    ) {
        for (offset, kind) in self.slots_in(header, from, to) {
            f(offset, kind);
        }
    }

    /// The slots of an object with `header` whose offsets lie in `from..to`,
    /// as [`for_each_slot_in`](Self::for_each_slot_in) visits them: for a
    /// loop whose body is too large to be inlined into both of its arms (a
    /// page build's, which a call per slot slowed by a tenth).
    #[inline(always)]
    pub fn slots_in(&self, header: Header, from: usize, to: usize) -> SlotsIn<'_> {
        if header.type_id() == FILLER {
            return SlotsIn::None;
        }
        match self.get(header.type_id()).map(|t| t.layout()) {
            Some(Layout::Fixed { slots, .. }) => SlotsIn::Fixed {
                slots: slots.iter(),
                from,
                to,
            },
            Some(Layout::Array(kind)) => SlotsIn::Array {
                at: from.max(WORD).next_multiple_of(WORD),
                end: (WORD + header.low() as usize * WORD).min(to),
                kind: *kind,
            },
            Some(Layout::Bytes | Layout::Words) | None => SlotsIn::None,
        }
    }

    /// Calls `f(offset, kind)` for every slot of an object with `header`.
    #[inline]
    pub fn for_each_slot(&self, header: Header, f: impl FnMut(usize, SlotKind)) {
        self.for_each_slot_in(header, 0, usize::MAX, f)
    }

    /// Whether an object with `header` has any slot.
    pub fn has_slots(&self, header: Header) -> bool {
        if header.type_id() == FILLER {
            return false;
        }
        match self.get(header.type_id()).map(|t| t.layout()) {
            Some(Layout::Fixed { slots, .. }) => !slots.is_empty(),
            Some(Layout::Array(_)) => header.low() > 0,
            Some(Layout::Bytes | Layout::Words) | None => false,
        }
    }
}
