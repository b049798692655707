//! What generated code needs to allocate, store references and poll
//! safepoints inline, as the library's own fast paths do: the TLAB's layout,
//! the write barrier's tests as addresses and values, and the slow paths as
//! `extern "C"` functions. See `docs/embedding.md`, *JIT-compiled code*.

use std::cell::Cell;
use std::mem::offset_of;
use std::sync::Arc;

use allocator::Tlab;
use gc_heap::{CARD_SHIFT, Header, SlotKind, TypeId, WORD};

use crate::error::GcError;
use crate::mutator::{Mutator, MutatorShared};

/// A mutator as generated code addresses it: its thread block. Opaque; the
/// address stays the same for the mutator's life, wherever the [`Mutator`]
/// value moves. [`Mutator::jit`] hands it out.
#[repr(C)]
pub struct JitThread {
    _opaque: [u8; 0],
}

/// An allocation's slow path: `ty`, `len` as for [`Mutator::alloc`]. Returns
/// the new object's address (its header written, the rest zero), or 0 when
/// the allocation fails ([`Mutator::take_jit_error`] says why). It may run a
/// collection: references the generated code holds outside its roots are
/// stale after it.
pub type AllocSlow = unsafe extern "C" fn(thread: *mut JitThread, ty: u32, len: u32) -> usize;

/// The write barrier's slow path before a store to the slot at `slot` (its
/// address, `kind` [`JitInfo::SLOT_REF`] or [`JitInfo::SLOT_TAGGED`]), when
/// the byte at [`JitInfo::marking_flag`] is not zero: while a cycle marks, logs
/// the value the store overwrites if it is a reference; during a full
/// cycle, dirties the card of a slot in an old object. It never collects.
pub type PreWriteSlow = unsafe extern "C" fn(thread: *mut JitThread, slot: usize, kind: u32);

/// The write barrier's slow path after a store that may have made an old
/// slot reference a young object and found its card clean: dirties and logs
/// the card of `slot` (the slot's address). It never collects.
pub type PostWriteSlow = unsafe extern "C" fn(thread: *mut JitThread, slot: usize);

/// A safepoint's slow path, when the flag at [`JitInfo::safepoint_flag`] is
/// non-zero: stops here until the collector is done. References the
/// generated code holds outside its roots are stale after it.
pub type SafepointSlow = unsafe extern "C" fn(thread: *mut JitThread);

/// What generated code needs to allocate, run the write barrier and poll
/// safepoints inline, for one heap ([`Mutator::jit_info`]). Every address is
/// valid while the heap lives; load each one afresh at every use (the values
/// change in pauses), with a plain load. The fast paths, in the generated
/// code, with `t` the [`JitThread`] pointer:
///
/// ```text
/// alloc(ty, len, size):                 // size: the type's size for len, a multiple of 8
///     if size >= unread_min and ty holds no references: return alloc_slow(t, ty, len)
///     cur = *(t + tlab_cursor_offset); end = cur + size
///     if end > *(t + tlab_limit_offset) (or end wrapped): return alloc_slow(t, ty, len)
///     *(t + tlab_cursor_offset) = end
///     *(cur as *u64) = header(ty, len); return cur     // the rest is zeroed
///
/// store(obj, offset, value, kind):      // every reference (or tagged) slot store
///     slot = obj + offset
///     if *marking_flag != 0: pre_write_slow(t, slot, kind)
///     *slot = value
///     young = *young_start
///     if value >= young && !(young <= slot && slot < large_start):
///         if *(card_table_biased + (slot >> card_shift)) == card_clean:
///             post_write_slow(t, slot)
///
/// safepoint:  if *safepoint_flag != 0: safepoint_slow(t)
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct JitInfo {
    /// Byte offset of the TLAB's bump cursor from the [`JitThread`] pointer.
    pub tlab_cursor_offset: usize,
    /// Byte offset of the TLAB's limit from the [`JitThread`] pointer.
    pub tlab_limit_offset: usize,
    /// A byte that is non-zero while a cycle marks, and during a full cycle
    /// until its compaction: the store's pre-barrier then calls
    /// [`pre_write_slow`](Self::pre_write_slow) with the slot.
    pub marking_flag: *const u8,
    /// The word holding the young generation's start: objects at or above it
    /// (and below `large_start`) are young.
    pub young_start: *const usize,
    /// Where the large-object space begins (fixed): slots from here up are
    /// old whatever the young start.
    pub large_start: usize,
    /// Plus `slot >> card_shift`, the card byte of a slot.
    pub card_table_biased: usize,
    /// A card covers `1 << card_shift` bytes.
    pub card_shift: u32,
    /// A clean card's byte: a store that finds its card so calls
    /// [`post_write_slow`](Self::post_write_slow).
    pub card_clean: u8,
    /// A byte that is non-zero while the collector waits for the mutators to stop.
    pub safepoint_flag: *const u8,
    /// Objects of a reference-free type (bytes, words, a fixed type without
    /// slots) of this many bytes or more take the slow path, which gives
    /// them pages of their own so that compaction moves their pages unread
    /// ([`HeapBuilder::unread_min`](crate::HeapBuilder::unread_min));
    /// `usize::MAX` when off. Allocating one inline in the TLAB is still
    /// correct: its pages are then copied like any others.
    pub unread_min: usize,
    /// The allocation's slow path.
    pub alloc_slow: AllocSlow,
    /// The write barrier's slow path before the store.
    pub pre_write_slow: PreWriteSlow,
    /// The write barrier's slow path after the store.
    pub post_write_slow: PostWriteSlow,
    /// The safepoint's slow path.
    pub safepoint_slow: SafepointSlow,
}

impl JitInfo {
    /// The `kind` of a slot that holds a reference or null ([`SlotKind::Ref`]).
    pub const SLOT_REF: u32 = 0;
    /// The `kind` of a slot that holds a VM value ([`SlotKind::Tagged`]).
    pub const SLOT_TAGGED: u32 = 1;

    /// The header word of a new object of type `ty` with low bits `len` (an
    /// array's length, or a fixed object's VM bits), as generated code writes it.
    pub const fn header(ty: TypeId, len: u32) -> u64 {
        Header::new(ty.0, len).0
    }
}

impl Mutator {
    /// What generated code needs for this mutator's heap (the same for every
    /// mutator of it).
    pub fn jit_info(&self) -> JitInfo {
        let heap = self.heap();
        let spaces = &heap.0.spaces;
        let tlab = offset_of!(MutatorShared, tlab);
        JitInfo {
            tlab_cursor_offset: tlab + Tlab::CURSOR_OFFSET,
            tlab_limit_offset: tlab + Tlab::LIMIT_OFFSET,
            marking_flag: heap.0.pre_write.as_ptr(),
            young_start: spaces.young_start_ptr(),
            large_start: spaces.large().range().start,
            card_table_biased: spaces.cards().biased_base(),
            card_shift: CARD_SHIFT,
            card_clean: 0,
            safepoint_flag: heap.0.handshake.requested_ptr(),
            unread_min: spaces.unread_min(),
            alloc_slow,
            pre_write_slow,
            post_write_slow,
            safepoint_slow,
        }
    }

    /// Runs `f`, generated code, with this mutator's [`JitThread`] pointer,
    /// which the code passes to the slow paths and addresses the TLAB from.
    /// The slow paths work only inside `f`, on this thread; anywhere else
    /// they fail (the allocation's returns 0) and do nothing.
    pub fn jit<R>(&mut self, f: impl FnOnce(*mut JitThread) -> R) -> R {
        /// Restores the outer value when `f` returns or unwinds: a pointer
        /// left behind would outlive the borrow of the mutator.
        struct Restore<'a>(&'a Cell<*mut Mutator>, *mut Mutator);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                self.0.set(self.1);
            }
        }
        let shared = self.shared.clone();
        let thread = Arc::as_ptr(&shared).cast_mut().cast::<JitThread>();
        let me: *mut Mutator = self;
        let _restore = Restore(&shared.jit_mutator, shared.jit_mutator.replace(me));
        f(thread)
    }

    /// The error of the last allocation slow path that returned 0, if not
    /// taken yet.
    pub fn take_jit_error(&mut self) -> Option<GcError> {
        self.jit_error.take()
    }
}

/// Runs `f` on the mutator whose thread block is `thread`, if generated code
/// runs on it now ([`Mutator::jit`]).
///
/// # Safety
/// `thread` must be a [`JitThread`] pointer from [`Mutator::jit`], whose
/// mutator is attached, and this the thread it runs on.
unsafe fn with_mutator<R>(thread: *mut JitThread, f: impl FnOnce(&mut Mutator) -> R) -> Option<R> {
    // SAFETY: as the caller guarantees, a live mutator's shared block.
    let shared = unsafe { &*thread.cast_const().cast::<MutatorShared>() };
    let m = shared.jit_mutator.get();
    // SAFETY: non-null only while `Mutator::jit` runs generated code on this
    // thread with the mutator borrowed for it, and that code calls us, so
    // nothing else uses the mutator meanwhile.
    unsafe { m.as_mut() }.map(f)
}

unsafe extern "C" fn alloc_slow(thread: *mut JitThread, ty: u32, len: u32) -> usize {
    // SAFETY: as `AllocSlow` requires of the generated code.
    let done = unsafe {
        with_mutator(thread, |m| match m.alloc(TypeId(ty), len) {
            Ok(obj) => obj.addr(),
            Err(e) => {
                m.jit_error = Some(e);
                0
            }
        })
    };
    done.unwrap_or(0)
}

unsafe extern "C" fn pre_write_slow(thread: *mut JitThread, slot: usize, kind: u32) {
    let kind = if kind == JitInfo::SLOT_REF {
        SlotKind::Ref
    } else {
        SlotKind::Tagged
    };
    // SAFETY: as `PreWriteSlow` requires of the generated code.
    unsafe {
        with_mutator(thread, |m| {
            let spaces = &m.heap().0.spaces;
            // A slot outside the heap, or not a word's, is not read:
            // generated code that names one gets nothing done.
            if !(spaces.moving().start()..spaces.large().range().end).contains(&slot)
                || slot % WORD != 0
            {
                return;
            }
            let duties = m.heap().0.pre_write.get();
            // SAFETY: a word-aligned slot of a live object (as the store
            // requires), which markers read atomically.
            let old = std::sync::atomic::AtomicUsize::from_ptr(slot as *mut usize)
                .load(std::sync::atomic::Ordering::Relaxed);
            m.pre_write(duties, slot, old, kind);
        })
    };
}

unsafe extern "C" fn post_write_slow(thread: *mut JitThread, slot: usize) {
    // SAFETY: as `PostWriteSlow` requires of the generated code.
    unsafe {
        with_mutator(thread, |m| {
            let spaces = &m.heap().0.spaces;
            // A slot outside the heap has no card: generated code that names
            // one gets nothing done rather than a write out of the table.
            if !(spaces.moving().start()..spaces.large().range().end).contains(&slot) {
                return;
            }
            if let Some(card) = spaces.cards().dirty(slot) {
                m.log_card(card);
            }
        })
    };
}

unsafe extern "C" fn safepoint_slow(thread: *mut JitThread) {
    // SAFETY: as `SafepointSlow` requires of the generated code.
    unsafe { with_mutator(thread, Mutator::safepoint) };
}
