//! Walking the heap object by object, and verifying it.

use std::fmt;

use crate::bitmap::Bitmap;
use crate::object::{FILLER, Header, ObjRef, WORD};
use crate::spaces::Spaces;
use crate::types::SlotKind;

/// What is wrong at a place in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A header names a type id nobody registered.
    UnknownType(u32),
    /// A header whose size is zero: memory no object was ever written to.
    ZeroSize,
    /// An object extends past the end of its space.
    Overrun,
    /// A slot holds an address inside the heap that is not an object's start.
    NotAnObject,
    /// A reference slot holds an address outside the heap.
    OutsideHeap,
    /// An old object's slot references a young object, but its card is
    /// clean: a young cycle would miss the reference (a write-barrier bug).
    NotRemembered,
    /// An old object's start is missing from the starts bitmap, through
    /// which young cycles find the objects on a dirty card.
    StartNotRecorded,
}

/// One finding of the walker or the verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapError {
    /// The object (or, for a root, 0).
    pub object: usize,
    /// The object's type name, when known.
    pub type_name: Option<String>,
    /// The slot's byte offset in the object, for a bad reference.
    pub offset: Option<usize>,
    /// The offending word: the header, or the slot's value.
    pub value: usize,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for HeapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.problem {
            Problem::UnknownType(id) => format!("header names unregistered type id {id}"),
            Problem::ZeroSize => "header of size zero (unwritten memory)".to_owned(),
            Problem::Overrun => "object extends past the end of its space".to_owned(),
            Problem::NotAnObject => format!("{:#x} is not the start of an object", self.value),
            Problem::OutsideHeap => format!("reference {:#x} points outside the heap", self.value),
            Problem::NotRemembered => format!(
                "references young object {:#x}, but its card is clean (not in the remembered set)",
                self.value
            ),
            Problem::StartNotRecorded => "old object's start is not recorded".to_owned(),
        };
        match (&self.type_name, self.offset) {
            (Some(t), Some(o)) => write!(f, "{t} at {:#x}, slot +{o}: {what}", self.object),
            (Some(t), None) => write!(f, "{t} at {:#x}: {what}", self.object),
            (None, Some(o)) => write!(f, "object at {:#x}, slot +{o}: {what}", self.object),
            (None, None) => write!(f, "object at {:#x}: {what}", self.object),
        }
    }
}

impl std::error::Error for HeapError {}

/// The verifier's result.
#[derive(Debug)]
pub struct Verification {
    /// Objects found (fillers not counted).
    pub objects: usize,
    /// Bytes they occupy.
    pub bytes: usize,
    /// The problems found, at most [`Verification::MAX_ERRORS`].
    pub errors: Vec<HeapError>,
    starts: Bitmap,
}

impl Verification {
    /// The most problems one verification reports.
    pub const MAX_ERRORS: usize = 100;

    /// Whether the heap is sound.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Whether `addr` is the start of an object the walk found.
    pub fn is_object(&self, addr: usize) -> bool {
        self.starts.covered().contains(&addr) && addr % WORD == 0 && self.starts.is_set(addr)
    }
}

impl Spaces {
    /// Calls `f(object, header, size)` for every object (fillers skipped): the
    /// moving space bottom to top, then the large objects. Stops at the first
    /// header it cannot parse and returns that as an error.
    ///
    /// Only while no mutator allocates, with every TLAB's unused tail filled.
    pub fn walk(&self, mut f: impl FnMut(ObjRef, Header, usize)) -> Result<(), HeapError> {
        let types = self.types();
        let top = self.moving().top();
        let mut addr = self.moving().start();
        let broken = |addr: usize, header: Header, problem| HeapError {
            object: addr,
            type_name: None,
            offset: None,
            value: header.0 as usize,
            problem,
        };
        while addr < top {
            // SAFETY: `addr` is in the allocated part of the moving space.
            let header = Header(unsafe { (addr as *const u64).read() });
            let size = types
                .size_of(header)
                .ok_or_else(|| broken(addr, header, Problem::UnknownType(header.type_id())))?;
            if size == 0 {
                return Err(broken(addr, header, Problem::ZeroSize));
            }
            if addr + size > top {
                return Err(broken(addr, header, Problem::Overrun));
            }
            if header.type_id() != FILLER
                && let Some(obj) = ObjRef::from_addr(addr)
            {
                f(obj, header, size);
            }
            addr += size;
        }
        for (addr, block) in self.large().objects() {
            // SAFETY: a large object's block is mapped and starts with its header.
            let header = Header(unsafe { (addr as *const u64).read() });
            let size = types
                .size_of(header)
                .ok_or_else(|| broken(addr, header, Problem::UnknownType(header.type_id())))?;
            if size > block {
                return Err(broken(addr, header, Problem::Overrun));
            }
            if let Some(obj) = ObjRef::from_addr(addr) {
                f(obj, header, size);
            }
        }
        Ok(())
    }

    /// Checks the heap: every header names a registered type, every
    /// reference slot holds null or the start of an object in the heap, an
    /// old object's slot that references a young object has its card dirty,
    /// and every old object's start is recorded.
    pub fn verify(&self) -> gc_uffd::Result<Verification> {
        let starts = Bitmap::new(self.moving().start()..self.large().range().end)?;
        let mut errors = Vec::new();
        let (mut objects, mut bytes) = (0, 0);
        let walked = self.walk(|obj, _, size| {
            starts.set(obj.addr());
            objects += 1;
            bytes += size;
        });
        if let Err(e) = walked {
            errors.push(e);
        }
        let mut report = Verification {
            objects,
            bytes,
            errors,
            starts,
        };
        let types = self.types();
        let mut found = Vec::new();
        let young_start = self.young_start();
        let is_young = |addr: usize| {
            if self.in_large(addr) {
                self.large().block_containing(addr).is_some_and(|b| b.2)
            } else {
                addr >= young_start
            }
        };
        // A broken walk has already been reported; the objects before it are still checked.
        let _ = self.walk(|obj, header, _| {
            if found.len() >= Verification::MAX_ERRORS {
                return;
            }
            let type_name = || types.get(header.type_id()).map(|t| t.name().to_owned());
            let old = !is_young(obj.addr());
            if old && !self.in_large(obj.addr()) && !self.starts().is_set(obj.addr()) {
                found.push(HeapError {
                    object: obj.addr(),
                    type_name: type_name(),
                    offset: None,
                    value: header.0 as usize,
                    problem: Problem::StartNotRecorded,
                });
            }
            types.for_each_slot(header, |offset, kind| {
                // SAFETY: the slot lies inside an object the walk found.
                let value = unsafe { obj.read_word(offset) };
                let problem = report.check_slot(self, kind, value).or_else(|| {
                    let slot = obj.addr() + offset;
                    (old && types.is_ref(kind, value)
                        && self.in_heap(value)
                        && is_young(value)
                        && !self.cards().is_dirty(slot))
                    .then_some(Problem::NotRemembered)
                });
                if let Some(problem) = problem {
                    found.push(HeapError {
                        object: obj.addr(),
                        type_name: type_name(),
                        offset: Some(offset),
                        value,
                        problem,
                    });
                }
            });
        });
        report.errors.extend(found);
        report.errors.truncate(Verification::MAX_ERRORS);
        Ok(report)
    }
}

impl Verification {
    /// What is wrong with `value` in a slot of `kind`, if anything.
    pub fn check_slot(&self, spaces: &Spaces, kind: SlotKind, value: usize) -> Option<Problem> {
        if !spaces.types().is_ref(kind, value) {
            return None;
        }
        if !spaces.in_heap(value) {
            return (kind != SlotKind::Tagged).then_some(Problem::OutsideHeap);
        }
        (!self.is_object(value)).then_some(Problem::NotAnObject)
    }
}
