//! Roots: the VM reports the slots outside the heap that hold references.

use gc_heap::{ObjRef, SlotKind};

/// Something that holds references outside the heap: an interpreter's stack,
/// a VM's globals. The collector calls it only in its pauses, while the
/// thread that owns the slots is stopped at a safepoint or in native code,
/// and several times a cycle: to mark (at the initial mark, and again at each
/// final-mark pause), to rewrite the slots to the objects' new addresses (at
/// the compaction pause), and to check them when the heap verifies. Count on
/// no number of calls: report every slot as it is at each call. A mutator's
/// scanners are dropped when the mutator is; a heap's, when the heap is.
pub trait RootScanner: Send {
    /// Reports every root slot to `roots`.
    fn scan_roots(&mut self, roots: &mut RootVisitor<'_>);
}

/// Receives root slots from a [`RootScanner`].
pub struct RootVisitor<'a> {
    visit: &'a mut dyn FnMut(*mut usize, SlotKind),
}

impl<'a> RootVisitor<'a> {
    pub(crate) fn new(visit: &'a mut dyn FnMut(*mut usize, SlotKind)) -> Self {
        RootVisitor { visit }
    }

    /// A slot holding a reference or null.
    pub fn visit(&mut self, slot: &mut Option<ObjRef>) {
        // `Option<ObjRef>` has the layout of a word (null = 0).
        (self.visit)((slot as *mut Option<ObjRef>).cast(), SlotKind::Ref);
    }

    /// A slot holding a VM value that may be a reference, by the heap's tag scheme.
    pub fn visit_tagged(&mut self, slot: &mut usize) {
        (self.visit)(slot, SlotKind::Tagged);
    }

    /// Every slot of a slice of tagged values.
    pub fn visit_tagged_slice(&mut self, slots: &mut [usize]) {
        for slot in slots {
            (self.visit)(slot, SlotKind::Tagged);
        }
    }

    /// A slot given by address.
    ///
    /// # Safety
    /// `slot` must be valid for reads and writes of a word until the scan returns.
    pub unsafe fn visit_raw(&mut self, slot: *mut usize, kind: SlotKind) {
        (self.visit)(slot, kind);
    }
}
