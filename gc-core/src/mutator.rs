//! Mutators: a thread's handle on the heap, with allocation, safepoints, the
//! write barrier, and handles for Rust callers.

use std::cell::{Cell, UnsafeCell};
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use allocator::Tlab;
use gc_heap::{Header, ObjRef, SlotKind, Spaces, TypeId, TypeTable};

use crate::error::GcError;
use crate::fork::ForkPhase;
use crate::heap::{Heap, HeapInner};
use crate::pre_write::PreWrite;
use crate::root_slots::ScanSlots;
use crate::roots::RootScanner;
use crate::safepoint::MutatorState;
use crate::satb::SatbBuffer;
use crate::stats::Reason;

/// The part of a mutator the collector reaches: while the mutator runs, only
/// its own thread touches these; while it is parked or in native code, only
/// the collector does. The handshake's sequentially consistent state word
/// orders the two.
pub(crate) struct MutatorShared {
    /// The attached thread's [`thread_number`](crate::heap::thread_number).
    pub(crate) thread: u64,
    pub(crate) state: MutatorState,
    pub(crate) tlab: UnsafeCell<Tlab>,
    pub(crate) handles: UnsafeCell<Vec<usize>>,
    pub(crate) roots: UnsafeCell<Vec<Box<dyn RootScanner>>>,
    /// The root slots the library holds for it (`root_slots.rs`), while
    /// their handles live.
    pub(crate) owned_roots: UnsafeCell<Vec<Weak<dyn ScanSlots>>>,
    /// The write barrier's buffer.
    pub(crate) satb: UnsafeCell<SatbBuffer>,
    /// The cards this mutator dirtied, for the remembered set.
    pub(crate) cards: UnsafeCell<SatbBuffer>,
    /// The mutator running generated code now, for its slow paths (`jit.rs`);
    /// null outside `Mutator::jit`.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) jit_mutator: Cell<*mut Mutator>,
}

// SAFETY: the cells are accessed by one thread at a time, as described above.
unsafe impl Sync for MutatorShared {}
// SAFETY: as above; the root scanners are `Send`.
unsafe impl Send for MutatorShared {}

impl MutatorShared {
    pub(crate) fn new(thread: u64) -> Self {
        MutatorShared {
            thread,
            state: MutatorState::new(),
            tlab: UnsafeCell::new(Tlab::empty()),
            handles: UnsafeCell::new(Vec::new()),
            roots: UnsafeCell::new(Vec::new()),
            owned_roots: UnsafeCell::new(Vec::new()),
            satb: UnsafeCell::new(SatbBuffer::default()),
            cards: UnsafeCell::new(SatbBuffer::default()),
            jit_mutator: Cell::new(std::ptr::null_mut()),
        }
    }
}

/// A thread attached to a heap. Not `Send`: it stands for this thread at the
/// heap's safepoints. Dropping it detaches the thread, in native code too; a
/// `Mutator` may live in a `thread_local!`, and detaches when the thread exits.
///
/// # Threads and objects
///
/// Objects belong to the heap, not to a thread: any attached thread may read
/// and write any object whose current address it holds. The collector stops
/// every thread in its pauses, so objects never move under a running
/// mutator. Publishing an object to another thread needs the VM's own
/// synchronisation, as for any memory: [`write_ref`](Self::write_ref) is a
/// relaxed store, so store the reference, then release it to the reader (a
/// lock, or a release store it acquires) before the reader follows it; a
/// root both threads read (a global array reported by a heap's
/// [`RootScanner`]) works the same way. A lock a mutator may wait on must be
/// taken in native code ([`native`](Self::native)): a thread blocked on it
/// while running would hold up every pause, and so its holder, for ever.
///
/// # References and safepoints
///
/// An [`ObjRef`] is an object's address, and objects move at collections. A
/// collection can happen inside any call that takes `&mut self` here
/// (allocation, [`safepoint`](Self::safepoint), [`leave_native`](Self::leave_native),
/// [`collect`](Self::collect)). A raw `ObjRef` held across one is stale unless
/// it lives in a root the collector rewrites: a [`Local`] handle, or a slot a
/// [`RootScanner`] reports.
pub struct Mutator {
    heap: Heap,
    pub(crate) shared: Arc<MutatorShared>,
    types: Arc<TypeTable>,
    /// Reference-free objects of this many bytes or more get pages of their
    /// own (`Spaces::claim_unread`); fixed for the heap's life.
    unread_min: usize,
    /// Why the last allocation from generated code failed (`jit.rs`).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) jit_error: Option<GcError>,
    _not_send: PhantomData<*mut ()>,
}

impl Mutator {
    pub(crate) fn new(heap: Heap, shared: Arc<MutatorShared>) -> Self {
        let types = heap.0.types.clone();
        let unread_min = heap.0.spaces.unread_min();
        Mutator {
            heap,
            shared,
            types,
            unread_min,
            jit_error: None,
            _not_send: PhantomData,
        }
    }

    pub(crate) fn state(&self) -> &MutatorState {
        &self.shared.state
    }

    fn inner(&self) -> &HeapInner {
        &self.heap.0
    }

    /// The heap.
    pub fn heap(&self) -> &Heap {
        &self.heap
    }

    /// Allocates an object of type `ty`: `len` is an array's length, or the VM
    /// bits of a fixed-size object's header. Every word after the header is zero.
    ///
    /// Fails with [`GcError::OutOfMemory`] when a full collection, run for
    /// this allocation while other threads' new claims wait, cannot make room;
    /// the heap stays usable. Fails with [`GcError::TooLarge`] for an object of
    /// more than half the heap, and with [`GcError::InWalk`] in a heap walk's
    /// visitor.
    #[inline]
    pub fn alloc(&mut self, ty: TypeId, len: u32) -> Result<ObjRef, GcError> {
        let Some(desc) = self
            .types
            .get(ty.0)
            .filter(|_| ty.0 != gc_heap::object::FILLER)
        else {
            return Err(GcError::UnknownType(ty.0));
        };
        let size = desc.size(len);
        let unread = size >= self.unread_min && desc.is_reference_free();
        if !unread {
            // SAFETY: this thread is running, so it alone touches its TLAB.
            let tlab = unsafe { &mut *self.shared.tlab.get() };
            if let Some(addr) = tlab.alloc(size) {
                // SAFETY: `addr..addr + size` was just handed out to us, zeroed.
                return Ok(unsafe { init(addr, ty, len) });
            }
        }
        self.alloc_slow(ty, len, size, unread)
    }

    /// `unread`: a reference-free object that gets pages of its own.
    #[cold]
    fn alloc_slow(
        &mut self,
        ty: TypeId,
        len: u32,
        size: usize,
        unread: bool,
    ) -> Result<ObjRef, GcError> {
        // A walk retired this thread's TLAB, so a visitor's allocation comes
        // here, where the safepoint would wait for the walk's own pause.
        if self.inner().in_walk() {
            return Err(GcError::InWalk);
        }
        self.safepoint();
        let heap = self.heap.0.clone();
        let limit = heap.spaces.capacity() / 2;
        if size > limit {
            let type_name = self.types.get(ty.0).map_or("object", |t| t.name());
            return Err(GcError::TooLarge {
                type_name: type_name.to_owned(),
                len,
                size,
                limit,
            });
        }
        // The first time the heap has no room, the allocation waits for the
        // cycle in progress (or runs one); the second time it takes priority
        // (other threads' claims wait) and runs a full cycle of its own, whose
        // result decides: room, or out of memory.
        let mut stalled = false;
        let mut priority = None;
        loop {
            // A pause may have retired the TLAB meanwhile, or left room in it.
            // SAFETY: this thread is running, so it alone touches its TLAB.
            if !unread && let Some(addr) = unsafe { &mut *self.shared.tlab.get() }.alloc(size) {
                // SAFETY: `addr..addr + size` was just handed out to us, zeroed.
                return Ok(unsafe { init(addr, ty, len) });
            }
            let used = heap.spaces.used();
            if used + size > heap.trigger.load(Ordering::Relaxed) {
                crate::collect::request(&heap, &self.shared);
            }
            // A claim that would take fresh pages while a compaction has
            // yet to free the shadow's garbage waits for it instead.
            let short = || {
                heap.concurrent.as_ref().is_some_and(|c| {
                    let top = heap.spaces.moving().top();
                    c.short_of_pages(top..top.saturating_add(size.max(heap.config.tlab_size)))
                })
            };
            let paced = heap.pacer.ahead(used) || short();
            if paced || heap.pacer.past_soft(used) {
                self.enter_native();
                let mark = |still: &mut dyn FnMut() -> bool| {
                    crate::mark::Marker::help(
                        &heap.mark_help,
                        &heap.spaces,
                        &heap.pacer.progress,
                        still,
                    );
                };
                let waited = if paced {
                    // One wait for both, at most the pacer's longest.
                    heap.pacer.wait_while(
                        || heap.pacer.ahead(heap.spaces.used()) || short(),
                        |still_paced| {
                            // Building pages while a compaction runs, else
                            // marking while a marking takes help.
                            if !heap
                                .concurrent
                                .as_ref()
                                .is_some_and(|c| c.assist(&mut *still_paced))
                            {
                                mark(still_paced);
                            }
                        },
                    )
                } else {
                    // Past a full cycle's soft limit only: a moment's marking.
                    heap.pacer
                        .help_briefly(|| heap.pacer.past_soft(heap.spaces.used()), mark)
                };
                self.leave_native();
                let mut stats = heap.stats.lock();
                stats.paced += 1;
                stats.pacing_time += waited;
            }
            if priority.is_none() && heap.cycle.priority_claims() {
                crate::collect::wait_for_priority(&heap, &self.shared);
                continue;
            }
            if let Some(addr) = self.try_claim(ty, len, size, unread) {
                // SAFETY: freshly claimed, zeroed memory of `size` bytes.
                return Ok(unsafe { init(addr, ty, len) });
            }
            if priority.is_some() {
                return Err(self.out_of_memory(size));
            }
            if stalled {
                priority = Some(crate::collect::Priority::take(&heap));
            }
            crate::collect::stall(&heap, &self.shared, priority.is_some())?;
            stalled = true;
        }
    }

    /// The error for `size` bytes that a full collection run for them could
    /// not find room for.
    #[cold]
    fn out_of_memory(&self, size: usize) -> GcError {
        let heap = self.inner();
        let spaces = &heap.spaces;
        let free = spaces.capacity().saturating_sub(spaces.used());
        let largest_free = if size >= heap.config.large_threshold {
            free.min(spaces.large().largest_free())
        } else {
            free
        };
        GcError::OutOfMemory {
            requested: size,
            heap_size: spaces.capacity(),
            live_bytes: heap.live_bytes.load(Ordering::Relaxed),
            largest_free,
        }
    }

    /// Claims `size` bytes outside the TLAB fast path, if the heap has room.
    /// During a cycle the claim is allocated black: a medium object is marked
    /// now, a TLAB's objects when it is retired. An `unread` object gets
    /// pages of its own: its body starts on a page boundary.
    fn try_claim(&mut self, ty: TypeId, len: u32, size: usize, unread: bool) -> Option<usize> {
        let heap = &*self.heap.0;
        let spaces = &heap.spaces;
        if spaces.used() + size > spaces.capacity() {
            return None;
        }
        let black = heap.black_alloc.load(Ordering::Relaxed);
        if size >= heap.config.large_threshold {
            // Marked before the large space's table shows the block: a sweep
            // running concurrently with this allocation must find it live.
            // The collector reads and rewrites only large objects with slots.
            let slots = self.types.has_slots(Header::new(ty.0, len));
            let addr = spaces.large().alloc(size, slots, |addr| {
                if black {
                    spaces.mark_bitmap().set(addr);
                }
            })?;
            #[cfg(feature = "fault-injection")]
            if let Some(delay) = heap.config.large_alloc_delay {
                std::thread::sleep(delay);
            }
            heap.allocated.fetch_add(size as u64, Ordering::Relaxed);
            return Some(addr);
        }
        if unread {
            let (gap, addr) = spaces.claim_unread(size, |claim| populate(heap, claim))?;
            if black {
                if gap < addr {
                    spaces.mark_bitmap().set(gap);
                }
                spaces.mark_bitmap().set(addr);
            }
            heap.allocated
                .fetch_add((addr + size - gap) as u64, Ordering::Relaxed);
            return Some(addr);
        }
        if size > heap.config.tlab_size / 4 {
            let addr = spaces.claim(size, |claim| populate(heap, claim))?;
            if black {
                spaces.mark_bitmap().set(addr);
            }
            heap.allocated.fetch_add(size as u64, Ordering::Relaxed);
            return Some(addr);
        }
        let fresh = spaces.claim_tlab(size, tlab_size(heap), |claim| populate(heap, claim))?;
        heap.allocated
            .fetch_add(fresh.len() as u64, Ordering::Relaxed);
        // SAFETY: this thread is running, so it alone touches its TLAB.
        let tlab = unsafe { &mut *self.shared.tlab.get() };
        retire(spaces, tlab, black);
        tlab.refill(fresh);
        tlab.alloc(size)
    }

    /// A safepoint: if a collection is waiting, stop here until it is done.
    /// Call it regularly (loop back-edges, calls) so pauses start promptly.
    #[inline(always)]
    pub fn safepoint(&mut self) {
        self.inner().handshake.poll(&self.shared.state);
    }

    /// Enters native code: collections proceed without waiting for this thread,
    /// which must not touch the heap until [`leave_native`](Self::leave_native).
    /// Use it around blocking calls.
    pub fn enter_native(&mut self) {
        self.inner().handshake.enter_native(&self.shared.state);
    }

    /// Leaves native code, waiting for a collection in progress to finish.
    pub fn leave_native(&mut self) {
        self.inner().handshake.leave_native(&self.shared.state);
    }

    /// Runs `f` in native code (between `enter_native` and `leave_native`).
    pub fn native<R>(&mut self, f: impl FnOnce() -> R) -> R {
        self.enter_native();
        let r = f();
        self.leave_native();
        r
    }

    /// Runs a full collection now (after any in progress), in native code
    /// meanwhile: other mutators run on except in its pauses.
    pub fn collect(&mut self) -> Result<(), GcError> {
        self.enter_native();
        let result = crate::collect::collect(&self.heap.0, Reason::Requested);
        self.leave_native();
        result
    }

    /// Runs a young collection now, as [`Heap::collect_young`], in native
    /// code meanwhile.
    pub fn collect_young(&mut self) -> Result<(), GcError> {
        self.enter_native();
        let result = crate::collect::collect(&self.heap.0, Reason::RequestedYoung);
        self.leave_native();
        result
    }

    /// Makes bytes `offset..offset + len` of `obj` resident before a system
    /// call reads or writes them. During a concurrent compaction a page not
    /// yet in place faults when the program touches it, but a kernel access to
    /// it fails with `EFAULT`: this touches each page, so that it is built and
    /// placed now. Call it right before the system call, with no safepoint in
    /// between (pages in place stay in place until the next pause). Without a
    /// compaction in progress it only checks its arguments.
    ///
    /// `offset` counts from the object's start, its header: byte `i` of a
    /// [`bytes`](gc_heap::TypeDescriptor::bytes) array is at `WORD + i`.
    /// Fails with [`GcError::OutOfBounds`] if the range is not inside the object.
    ///
    /// # Safety
    /// `obj` must be a live object's current address.
    pub unsafe fn make_resident(
        &mut self,
        obj: ObjRef,
        offset: usize,
        len: usize,
    ) -> Result<(), GcError> {
        // SAFETY: as the caller guarantees; reading the header makes its page resident.
        let header = unsafe { obj.header() };
        let size = self.types.size_of(header).unwrap_or(0);
        if offset.checked_add(len).is_none_or(|end| end > size) {
            return Err(GcError::OutOfBounds { offset, len, size });
        }
        if len == 0 || self.inner().concurrent.is_none() {
            return Ok(());
        }
        let page = gc_uffd::page_size();
        let first = obj.byte_ptr(offset) as usize & !(page - 1);
        let end = obj.byte_ptr(offset + len) as usize;
        for p in (first..end).step_by(page) {
            // SAFETY: inside the live object (or its first page); a missing page
            // faults and this thread's SIGBUS handler places it.
            unsafe { std::ptr::read_volatile(p.max(obj.byte_ptr(0) as usize) as *const u8) };
        }
        Ok(())
    }

    /// Pins `obj`: until the result is dropped, no cycle moves it, and it
    /// stays reachable. Native code may keep its address across safepoints
    /// meanwhile, and system calls may read or write it: its pages are made
    /// resident (as [`make_resident`](Self::make_resident) does) before this
    /// returns. Pins nest. Pinning costs nothing to objects above the highest
    /// pinned one; below it, nothing moves while the pin lasts (see
    /// [`pin`](crate::pin)): keep pins short. Fails with
    /// [`GcError::NotInHeap`] for an address outside the heap.
    ///
    /// # Safety
    /// `obj` must be a live object's current address.
    pub unsafe fn pin(&mut self, obj: ObjRef) -> Result<crate::Pinned, GcError> {
        if !self.inner().spaces.in_heap(obj.addr()) {
            return Err(GcError::NotInHeap(obj.addr()));
        }
        // SAFETY: as the caller guarantees.
        let size = self.types.size_of(unsafe { obj.header() }).unwrap_or(0);
        // SAFETY: as the caller guarantees; the range is the whole object.
        unsafe { self.make_resident(obj, 0, size)? };
        Ok(crate::Pinned::new(self.heap.0.clone(), obj))
    }

    /// Adds a scanner for this thread's own roots (its interpreter stack). The
    /// collector calls it while this thread is stopped.
    pub fn add_root_scanner(&mut self, scanner: Box<dyn RootScanner>) {
        // SAFETY: this thread is running, so it alone touches its scanners.
        unsafe { &mut *self.shared.roots.get() }.push(scanner);
    }

    /// Stores `value` in the reference slot at byte `offset` of `obj`: the
    /// write barrier every reference store goes through. While a cycle marks,
    /// it first logs the reference it overwrites (snapshot at the beginning).
    /// After the store, a young value stored in an old object dirties the
    /// slot's card (the young cycles' remembered set). Otherwise it costs two
    /// loads and two branches more than a plain store; a store into a young
    /// object, the common case, three. The store is relaxed: another thread
    /// sees it only after the VM synchronises with it (see [`Mutator`]).
    ///
    /// # Safety
    /// `obj` must be a live object's current address and `offset` one of its
    /// reference slots; `value` null or a live object's current address.
    #[inline(always)]
    pub unsafe fn write_ref(&mut self, obj: ObjRef, offset: usize, value: Option<ObjRef>) {
        // SAFETY: as the caller guarantees.
        unsafe { self.store(obj, offset, ObjRef::to_word(value), SlotKind::Ref) };
    }

    /// Stores a VM value in the tagged slot at byte `offset` of `obj`, through
    /// the write barrier (the value may be a reference).
    ///
    /// # Safety
    /// As for [`write_ref`](Self::write_ref), with `offset` a tagged slot.
    #[inline(always)]
    pub unsafe fn write_tagged(&mut self, obj: ObjRef, offset: usize, value: usize) {
        // SAFETY: as the caller guarantees.
        unsafe { self.store(obj, offset, value, SlotKind::Tagged) };
    }

    /// Stores `value` in the weak slot ([`SlotKind::Weak`]) at byte `offset`
    /// of `obj`, through the write barrier. The slot does not keep `value`
    /// alive: the cycle that finds it unreachable stores null there. The
    /// overwritten value is not logged (it was not a strong reference); a
    /// young value in an old object dirties the card, as for `write_ref`.
    ///
    /// # Safety
    /// As for [`write_ref`](Self::write_ref), with `offset` a weak slot.
    #[inline(always)]
    pub unsafe fn write_weak(&mut self, obj: ObjRef, offset: usize, value: Option<ObjRef>) {
        // SAFETY: as the caller guarantees.
        unsafe { self.store(obj, offset, ObjRef::to_word(value), SlotKind::Weak) };
    }

    /// Loads the weak slot at byte `offset` of `obj`: its object, or `None`
    /// once a cycle found it unreachable. While a cycle marks, the object
    /// read is kept alive for that cycle, as [`Weak::get`](crate::Weak::get)'s.
    ///
    /// # Safety
    /// `obj` must be a live object's current address and `offset` one of its
    /// weak slots.
    #[inline]
    pub unsafe fn read_weak(&mut self, obj: ObjRef, offset: usize) -> Option<ObjRef> {
        // SAFETY: as the caller guarantees; the collector clears weak slots
        // only in its pauses.
        let value = unsafe { obj.read_word(offset) };
        self.keep_alive(value);
        ObjRef::from_addr(value)
    }

    /// The write barrier.
    ///
    /// # Safety
    /// As for [`write_ref`](Self::write_ref), with `offset` a slot of `kind`.
    #[inline(always)]
    unsafe fn store(&mut self, obj: ObjRef, offset: usize, value: usize, kind: SlotKind) {
        let slot = obj.byte_ptr(offset).cast::<usize>();
        // SAFETY: the slot is a word-aligned reference slot of a live object, which
        // markers read atomically while the mutators run.
        let slot = unsafe { std::sync::atomic::AtomicUsize::from_ptr(slot) };
        let duties = self.heap.0.pre_write.get();
        if duties != 0 {
            self.pre_write(
                duties,
                slot.as_ptr() as usize,
                slot.load(Ordering::Relaxed),
                kind,
            );
        }
        slot.store(value, Ordering::Relaxed);
        if let Some(card) = self.heap.0.spaces.remember(slot.as_ptr() as usize, value) {
            self.log_card(card);
        }
    }

    /// The remembered set's slow path: logs a card this store dirtied.
    #[cold]
    #[inline(never)]
    pub(crate) fn log_card(&mut self, card: usize) {
        #[cfg(feature = "fault-injection")]
        if self.heap.0.config.no_card_marking {
            self.heap.0.spaces.cards().clean(card);
            return;
        }
        if !self.heap.0.list_cards.load(Ordering::Relaxed) {
            return;
        }
        // SAFETY: this thread is running, so it alone touches its buffer.
        unsafe { &mut *self.shared.cards.get() }.log(card, &self.heap.0.remembered);
    }

    /// The write barrier's slow path before a store of a slot of `kind` at
    /// `slot`, which holds `old`: while a cycle marks, logs `old` if it is a
    /// strong reference; while a full cycle may leave its dense prefix's
    /// clean pages mapped, dirties and logs the card of a slot in an old
    /// object of the moving space.
    #[cold]
    #[inline(never)]
    pub(crate) fn pre_write(&mut self, duties: u8, slot: usize, old: usize, kind: SlotKind) {
        // A weak slot's old value was no strong reference of the snapshot.
        if duties & PreWrite::SATB != 0 && kind != SlotKind::Weak {
            self.log_overwritten(old, kind);
        }
        #[cfg(feature = "fault-injection")]
        if self.heap.0.config.no_old_store_cards {
            return;
        }
        let spaces = &self.heap.0.spaces;
        if duties & PreWrite::OLD_STORES != 0
            && slot >= spaces.moving().start()
            && slot < spaces.young_start()
            && let Some(card) = spaces.cards().dirty(slot)
        {
            self.log_card(card);
        }
    }

    /// Logs `old` if it is a reference.
    fn log_overwritten(&mut self, old: usize, kind: SlotKind) {
        #[cfg(feature = "fault-injection")]
        if self.heap.0.config.no_write_barrier {
            return;
        }
        if self.types.is_ref(kind, old) {
            // SAFETY: this thread is running, so it alone touches its buffer.
            unsafe { &mut *self.shared.satb.get() }.log(old, &self.heap.0.satb);
        }
    }

    /// While a cycle marks, makes the object at `value` (if any) live for
    /// it, as if the write barrier had logged it: what a read of a weak
    /// reference needs, since its object may be outside the marking's
    /// snapshot. Otherwise one load and a branch.
    #[inline]
    pub(crate) fn keep_alive(&mut self, value: usize) {
        #[cfg(feature = "fault-injection")]
        if self.heap.0.config.no_keep_alive {
            return;
        }
        let marking = self.heap.0.pre_write.marking();
        // SAFETY: this thread is running, so it alone touches its buffer.
        let buffer = unsafe { &mut *self.shared.satb.get() };
        crate::weak::keep_alive(marking, value, buffer, &self.heap.0.satb);
    }

    /// Loads the reference slot at byte `offset` of `obj`.
    ///
    /// # Safety
    /// `obj` must be a live object's current address and `offset` one of its
    /// reference slots.
    #[inline(always)]
    pub unsafe fn read_ref(&self, obj: ObjRef, offset: usize) -> Option<ObjRef> {
        // SAFETY: as the caller guarantees.
        ObjRef::from_addr(unsafe { obj.read_word(offset) })
    }

    /// Runs `f` with a scope for [`Local`] handles: roots the collector
    /// rewrites when objects move. Handles made in the scope are released when
    /// it ends, and cannot outlive it.
    pub fn scope<R>(&mut self, f: impl for<'s> FnOnce(&mut HandleScope<'s>) -> R) -> R {
        // SAFETY: this thread is running, so it alone touches its handles.
        let base = unsafe { &*self.shared.handles.get() }.len();
        let mut scope = HandleScope {
            mutator: self,
            base,
            _brand: PhantomData,
        };
        f(&mut scope)
    }
}

impl Drop for Mutator {
    /// Detaches the thread, also from native code (a thread that exits from
    /// a blocking call): the mutator first waits out a pause in progress,
    /// retires its TLAB and flushes its write-barrier buffer as a running
    /// mutator, then leaves the heap's list. Its root scanners and handles
    /// are dropped with it.
    fn drop(&mut self) {
        let heap = &*self.heap.0;
        heap.handshake.detach(&self.shared.state, || {
            // SAFETY: `detach` runs this while the mutator runs, so this
            // thread alone touches its TLAB and buffer.
            unsafe {
                retire(
                    &heap.spaces,
                    &mut *self.shared.tlab.get(),
                    heap.black_alloc.load(Ordering::Relaxed),
                );
                (*self.shared.satb.get()).flush(&heap.satb);
                (*self.shared.cards.get()).flush(&heap.remembered);
            }
        });
        // In native code now, so it may wait out a fork being prepared.
        heap.fork_gate.wait(ForkPhase::Stopping);
        heap.mutators
            .lock()
            .retain(|m| !Arc::ptr_eq(m, &self.shared));
        heap.threads.lock().retain(|&t| t != self.shared.thread);
    }
}

/// Writes the header of a new object.
///
/// # Safety
/// `addr` must start a fresh, zeroed allocation of the object's size.
#[inline(always)]
unsafe fn init(addr: usize, ty: TypeId, len: u32) -> ObjRef {
    // SAFETY: as the caller guarantees; a claimed address is never 0.
    unsafe {
        (addr as *mut u64).write(Header::new(ty.0, len).0);
        ObjRef::from_addr_unchecked(addr)
    }
}

/// The bytes a TLAB claimed now holds: more while a compaction has free
/// shadow pages to place in it ([`COMPACTION_TLAB`](crate::COMPACTION_TLAB)).
fn tlab_size(heap: &HeapInner) -> usize {
    let large = heap.config.compaction_tlab;
    match &heap.concurrent {
        Some(c) if large > heap.config.tlab_size && c.has_buffers_for(large) => large,
        _ => heap.config.tlab_size,
    }
}

/// Places the pages of a fresh claim that a compaction in progress left
/// missing, and wakes the thread that makes the pages after it resident if
/// it falls behind.
fn populate(heap: &HeapInner, claim: Range<usize>) {
    if let Some(c) = &heap.concurrent {
        c.populate(claim.clone());
    }
    heap.ahead.claimed(claim.end);
}

/// Abandons a TLAB, covering its unused tail with a filler so the heap stays
/// walkable; `black` marks every object in it (allocated during a cycle).
pub(crate) fn retire(spaces: &Spaces, tlab: &mut Tlab, black: bool) {
    let whole = tlab.range();
    let rest = tlab.revoke();
    if !rest.is_empty() {
        // SAFETY: the tail was handed to this TLAB and holds no object.
        unsafe { Header::write_filler(rest.start, rest.end) };
    }
    if black && !whole.is_empty() {
        // SAFETY: the TLAB's objects lie end to end up to its filled tail, with
        // their headers written, and it is no longer allocated in.
        unsafe { spaces.mark_black(whole) };
    }
}

/// A scope for [`Local`] handles, from [`Mutator::scope`].
pub struct HandleScope<'s> {
    mutator: &'s mut Mutator,
    base: usize,
    _brand: PhantomData<fn(&'s ()) -> &'s ()>,
}

/// A handle to an object (or null) that stays valid across collections for
/// the life of its [`HandleScope`]: the collector rewrites it when the object
/// moves. Read it with [`HandleScope::get`] after every safepoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Local<'s> {
    index: usize,
    _brand: PhantomData<fn(&'s ()) -> &'s ()>,
}

impl<'s> HandleScope<'s> {
    fn handles(&mut self) -> &mut Vec<usize> {
        // SAFETY: this thread is running, so it alone touches its handles.
        unsafe { &mut *self.mutator.shared.handles.get() }
    }

    /// A new handle holding `obj`.
    pub fn local(&mut self, obj: Option<ObjRef>) -> Local<'s> {
        let handles = self.handles();
        handles.push(ObjRef::to_word(obj));
        Local {
            index: handles.len() - 1,
            _brand: PhantomData,
        }
    }

    /// The object a handle holds now. Handles of enclosing scopes are accepted too.
    pub fn get(&self, local: Local<'_>) -> Option<ObjRef> {
        // SAFETY: this thread is running, so it alone touches its handles.
        let handles = unsafe { &*self.mutator.shared.handles.get() };
        handles
            .get(local.index)
            .copied()
            .and_then(ObjRef::from_addr)
    }

    /// Makes a handle hold `obj`.
    pub fn set(&mut self, local: Local<'_>, obj: Option<ObjRef>) {
        if let Some(slot) = self.handles().get_mut(local.index) {
            *slot = ObjRef::to_word(obj);
        }
    }

    /// Allocates an object and returns a handle to it.
    pub fn alloc(&mut self, ty: TypeId, len: u32) -> Result<Local<'s>, GcError> {
        let obj = self.mutator.alloc(ty, len)?;
        Ok(self.local(Some(obj)))
    }

    /// The mutator, for raw operations.
    pub fn mutator(&mut self) -> &mut Mutator {
        self.mutator
    }

    /// A nested scope, whose handles are released when it ends.
    pub fn scope<R>(&mut self, f: impl for<'t> FnOnce(&mut HandleScope<'t>) -> R) -> R {
        self.mutator.scope(f)
    }
}

impl Drop for HandleScope<'_> {
    fn drop(&mut self) {
        let base = self.base;
        self.handles().truncate(base);
    }
}
