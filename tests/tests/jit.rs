//! Generated code's view of the heap: allocation, the write barrier and
//! safepoints driven the way a JIT's output would, by raw pointer arithmetic
//! on the offsets and addresses of [`JitInfo`], falling back to its
//! `extern "C"` slow paths. The workload grows chains of nodes from an
//! old root array (a young node stored in an old slot needs the card
//! barrier) and extends them in front (the overwritten head is reachable
//! only through a node allocated black, which the snapshot barrier must
//! log), with garbage between, across many TLABs and cycles in every mode.
//! A model of the chains is checked after every batch.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use gc_core::{
    JitInfo, JitThread, Mode, Mutator, ObjRef, RootScanner, RootVisitor, SlotKind, TypeId, WORD,
};
use movegc_tests::{Rng, Types, concurrent_heap};

/// Root array slots, each holding a chain.
const SLOTS: usize = 256;
/// A chain this long is dropped (garbage) and a new one begins.
const CHAIN: usize = 16;
/// Allocations per batch (generated code runs a batch, then the model is checked).
const BATCH: usize = 2000;
/// Batches per mode.
const BATCHES: usize = 120;

/// The generated code's frame: the root array's address, which the
/// collector rewrites when it moves. A JIT would keep it in a stack slot its
/// stack map names.
struct Frame(*mut usize);

// SAFETY: the collector calls the scanner only while the mutator's thread
// is stopped, so the frame is never touched by two threads at once.
unsafe impl Send for Frame {}

impl RootScanner for Frame {
    fn scan_roots(&mut self, roots: &mut RootVisitor<'_>) {
        // SAFETY: the frame outlives the mutator the scanner belongs to, and
        // holds a reference or 0.
        unsafe { roots.visit_raw(self.0, SlotKind::Ref) };
    }
}

/// The fast paths, as a JIT would emit them, with counts of slow-path calls.
struct Generated {
    info: JitInfo,
    thread: *mut JitThread,
    slow_allocs: usize,
    pre_slow: usize,
    post_slow: usize,
    safepoints: usize,
}

impl Generated {
    fn word(&self, offset: usize) -> &AtomicUsize {
        // SAFETY: the offsets JitInfo publishes name words of the thread block.
        unsafe { AtomicUsize::from_ptr(self.thread.cast::<u8>().add(offset).cast()) }
    }

    /// Allocates `size` bytes for `ty` with low bits `len`: bump, or the slow path.
    ///
    /// # Safety
    /// `size` must be the type's size for `len`.
    unsafe fn alloc(&mut self, ty: TypeId, len: u32, size: usize) -> usize {
        let cursor = self.word(self.info.tlab_cursor_offset);
        let start = cursor.load(Ordering::Relaxed);
        let end = start.wrapping_add(size);
        if end >= start
            && end
                <= self
                    .word(self.info.tlab_limit_offset)
                    .load(Ordering::Relaxed)
        {
            cursor.store(end, Ordering::Relaxed);
            // SAFETY: the TLAB's bytes start..end are ours, zeroed.
            unsafe { (start as *mut u64).write(JitInfo::header(ty, len)) };
            return start;
        }
        self.slow_allocs += 1;
        // SAFETY: `thread` comes from Mutator::jit, which is running us.
        unsafe { (self.info.alloc_slow)(self.thread, ty.0, len) }
    }

    /// Stores `value` in the slot at `offset` of `obj`, through the barrier.
    ///
    /// # Safety
    /// `obj` must be a live object and `offset` one of its reference slots.
    unsafe fn store(&mut self, obj: usize, offset: usize, value: usize) {
        let slot = obj + offset;
        // SAFETY: a word-aligned slot of a live object; JitInfo's addresses
        // are valid while the heap lives.
        unsafe {
            let cell = AtomicUsize::from_ptr(slot as *mut usize);
            if AtomicU8::from_ptr(self.info.marking_flag.cast_mut()).load(Ordering::Relaxed) != 0 {
                self.pre_slow += 1;
                (self.info.pre_write_slow)(self.thread, slot, JitInfo::SLOT_REF);
            }
            cell.store(value, Ordering::Relaxed);
            let young =
                AtomicUsize::from_ptr(self.info.young_start.cast_mut()).load(Ordering::Relaxed);
            if value >= young && !(young <= slot && slot < self.info.large_start) {
                let card =
                    (self.info.card_table_biased + (slot >> self.info.card_shift)) as *mut u8;
                if AtomicU8::from_ptr(card).load(Ordering::Relaxed) == self.info.card_clean {
                    self.post_slow += 1;
                    (self.info.post_write_slow)(self.thread, slot);
                }
            }
        }
    }

    fn safepoint(&mut self) {
        // SAFETY: JitInfo's flag is valid while the heap lives; `thread` comes
        // from Mutator::jit, which is running us.
        unsafe {
            if AtomicU8::from_ptr(self.info.safepoint_flag.cast_mut()).load(Ordering::Relaxed) != 0
            {
                self.safepoints += 1;
                (self.info.safepoint_slow)(self.thread);
            }
        }
    }
}

/// Node layout: header, next @8 (a reference), id @16 (data).
const NODE_SIZE: usize = 3 * WORD;

/// The chains' model and what the generated code works with.
struct Workload {
    node: TypeId,
    blob: TypeId,
    /// The frame holding the root array's address.
    frame: *mut usize,
    rng: Rng,
    /// Each slot's chain, by node id, oldest first.
    model: Vec<Vec<usize>>,
    next_id: usize,
}

/// One batch of generated code: each step allocates a node (its id the
/// step's number), puts it in front of a random slot's chain (or starts the
/// chain afresh), and allocates a garbage blob; a safepoint poll per step.
/// Returns an error message if a slow path failed.
fn batch(m: &mut Mutator, code: &mut Generated, w: &mut Workload) -> Result<(), String> {
    let failed = m.jit(|thread| {
        code.thread = thread;
        for _ in 0..BATCH {
            let id = w.next_id;
            w.next_id += 1;
            // SAFETY: the node type's size; the frame holds the live root array,
            // re-read after each call that may collect.
            unsafe {
                let obj = code.alloc(w.node, 0, NODE_SIZE);
                if obj == 0 {
                    return true;
                }
                (obj as *mut usize).add(2).write(id);
                let slot = w.rng.below(SLOTS);
                let root = w.frame.read();
                let offset = WORD + slot * WORD;
                let chain = &mut w.model[slot];
                if chain.len() == CHAIN {
                    chain.clear();
                } else {
                    let head = (root as *const usize).add(1 + slot).read();
                    code.store(obj, 8, head);
                }
                chain.push(id);
                code.store(root, offset, obj);
                let len = w.rng.below(1000) as u32;
                if code.alloc(w.blob, len, (WORD + len as usize).next_multiple_of(WORD)) == 0 {
                    return true;
                }
            }
            code.safepoint();
        }
        false
    });
    match m.take_jit_error() {
        Some(e) => Err(format!("a slow path failed: {e}")),
        None if failed => Err("an allocation failed with no error".into()),
        None => Ok(()),
    }
}

/// Walks every chain from the root array and compares it with the model.
fn check(root: usize, node: TypeId, model: &[Vec<usize>]) -> Result<(), String> {
    for (slot, chain) in model.iter().enumerate() {
        // SAFETY: the live root array of SLOTS references.
        let mut at = unsafe { (root as *const usize).add(1 + slot).read() };
        for (pos, &id) in chain.iter().rev().enumerate() {
            let Some(obj) = ObjRef::from_addr(at) else {
                return Err(format!(
                    "slot {slot}: the chain ends at {pos} of {}",
                    chain.len()
                ));
            };
            // SAFETY: a reference read from a live object.
            let (header, got) = unsafe { (obj.header(), obj.read_word(16)) };
            if header.0 != JitInfo::header(node, 0) || got != id {
                return Err(format!(
                    "slot {slot} position {pos}: header {:#x}, id {got}; expected node {id}",
                    header.0
                ));
            }
            // SAFETY: slot 8 of a live node.
            at = unsafe { obj.read_word(8) };
        }
        if at != 0 {
            return Err(format!(
                "slot {slot}: the chain is longer than {}",
                chain.len()
            ));
        }
    }
    Ok(())
}

fn generated_code_allocates_and_stores(mode: Mode) {
    // A small young budget: a cycle every megabyte or so of allocation.
    let policy = gc_core::Policy::default()
        .young_slide_limit(0)
        .young_pause_objects(0)
        .young_budget(Some(1 << 20));
    let Some((heap, types)) = concurrent_heap(mode, 16 << 20, |b| b.policy(policy)) else {
        return;
    };
    let mut m = heap.attach().expect("attach");
    let Types { refs, blob, .. } = types;
    let node = heap
        .register_type(gc_core::TypeDescriptor::fixed(
            "jit-node",
            NODE_SIZE,
            &[8],
            &[],
        ))
        .expect("a valid type");
    let mut frame = Box::new(0usize);
    let frame_ptr: *mut usize = &mut *frame;
    m.add_root_scanner(Box::new(Frame(frame_ptr)));
    let root = m.alloc(refs, SLOTS as u32).expect("the root array");
    // SAFETY: the frame is alive and only this thread touches it now.
    unsafe { frame_ptr.write(root.addr()) };
    // The root array is old from here: young nodes stored in it need the card barrier.
    m.collect().expect("a full collection");
    let mut code = Generated {
        info: m.jit_info(),
        thread: std::ptr::null_mut(),
        slow_allocs: 0,
        pre_slow: 0,
        post_slow: 0,
        safepoints: 0,
    };
    let mut w = Workload {
        node,
        blob,
        frame: frame_ptr,
        rng: Rng::new(7),
        model: vec![Vec::new(); SLOTS],
        next_id: 0,
    };
    // The batches go on, up to ten times as many, until the cycles have run
    // often enough to meet every slow path: on a loaded machine the cycle
    // thread runs less often, and marks while fewer stores run.
    let mut b = 0;
    while b < BATCHES
        || (b < 10 * BATCHES
            && (heap.stats().collections < 10 || code.pre_slow == 0 || code.post_slow == 0))
    {
        batch(&mut m, &mut code, &mut w).unwrap_or_else(|e| panic!("{mode:?} batch {b}: {e}"));
        // SAFETY: the frame holds the live root array.
        check(unsafe { frame_ptr.read() }, node, &w.model)
            .unwrap_or_else(|e| panic!("{mode:?} batch {b}: {e}"));
        b += 1;
    }
    m.collect().expect("a full collection");
    // SAFETY: as above.
    check(unsafe { frame_ptr.read() }, node, &w.model).unwrap_or_else(|e| panic!("{mode:?}: {e}"));
    let stats = heap.stats();
    eprintln!(
        "{mode:?}: {} cycles ({} young), slow paths: {} allocations, {} pre-write, {} post-write, {} safepoints",
        stats.collections,
        stats.young_cycles,
        code.slow_allocs,
        code.pre_slow,
        code.post_slow,
        code.safepoints
    );
    assert!(
        stats.collections >= 10,
        "{mode:?}: only {} cycles",
        stats.collections
    );
    assert!(
        code.slow_allocs >= 100,
        "{mode:?}: {} TLAB refills",
        code.slow_allocs
    );
    assert!(
        code.pre_slow > 0 && code.post_slow > 0,
        "{mode:?}: a barrier slow path never ran"
    );
    drop(m);
    drop(frame);
}

#[test]
fn stop_the_world_generated_code_allocates_and_stores() {
    generated_code_allocates_and_stores(Mode::StopTheWorld);
}

#[test]
fn move_mode_generated_code_allocates_and_stores() {
    generated_code_allocates_and_stores(Mode::Move);
}

#[test]
fn copy_mode_generated_code_allocates_and_stores() {
    generated_code_allocates_and_stores(Mode::Copy);
}

/// The slow paths outside `Mutator::jit` (before it, and after it unwound)
/// do nothing and allocate nothing; inside it, a failed allocation says why.
#[test]
fn slow_paths_outside_generated_code_refuse() {
    let Some((heap, types)) = concurrent_heap(Mode::StopTheWorld, 8 << 20, |b| b) else {
        return;
    };
    let mut m = heap.attach().expect("attach");
    let info = m.jit_info();
    let thread = m.jit(|t| t);
    // SAFETY: a thread pointer of a live mutator, used on its thread.
    let got = unsafe { (info.alloc_slow)(thread, types.node.0, 0) };
    assert_eq!(got, 0);
    assert!(m.take_jit_error().is_none());
    let unknown = m.jit(|t| {
        // SAFETY: as above, inside `jit`.
        unsafe { (info.alloc_slow)(t, 4242, 0) }
    });
    assert_eq!(unknown, 0);
    assert!(matches!(
        m.take_jit_error(),
        Some(gc_core::GcError::UnknownType(4242))
    ));
    let ok = m.jit(|t| {
        // SAFETY: as above.
        unsafe { (info.alloc_slow)(t, types.node.0, 0) }
    });
    // Generated code that unwinds leaves the slow paths refusing again.
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        m.jit(|_| panic!("generated code failed"))
    }));
    assert!(unwound.is_err());
    // SAFETY: as above.
    assert_eq!(unsafe { (info.alloc_slow)(thread, types.node.0, 0) }, 0);
    let ok = ObjRef::from_addr(ok).expect("an object");
    // SAFETY: a fresh object.
    let header = unsafe { ok.header() };
    assert_eq!(header.type_id(), types.node.0);
}
