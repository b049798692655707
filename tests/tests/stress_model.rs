//! A model-checked stress test of the public API, in every mode.
//!
//! Each run builds a 64 MiB heap and keeps four mutator threads (more than the
//! machine's cores) busy on a random object graph: nodes (three reference
//! slots, an id and two data words), arrays of tagged slots (element 0 is the
//! id, the rest references, null or fixnums) and byte arrays (the id, then
//! bytes derived from it), some of each at, just under and above the run's
//! large-object threshold. Every thread holds its roots in three ways at once:
//! a root array held by a `Local` handle, a few `Local` handles, and the slots
//! of a `RootScanner` of its own. A shared array of references, held by a
//! global root scanner, carries objects across threads: a thread publishes an
//! object there (freezing it and what it reaches, in the heap and in the
//! model: nothing writes a frozen object again), and other threads take it as
//! a root or link their own objects to it. Every operation on the shared array
//! holds a Rust lock, always acquired in native code.
//!
//! The model (id to type, length, data words, bytes and edges as ids) is kept
//! beside the heap, so after every batch of random operations a thread checks
//! everything it can reach from its roots, and then everything the shared
//! array reaches, object by object, whatever the addresses.
//!
//! Each run lasts 4 to 10 s with a fresh heap: its large-object threshold is
//! 8, 16 or 32 KiB, and every other run has the heap verifier on. Cycles the
//! budget starts are mostly young; threads call `collect()` or `collect_young()`
//! now and then, and the main thread (no mutator) `Heap::collect`.
//! A failure names the seed, mode, run, thread and batch, the object's id, how
//! it was reached, and what was expected and found.
//!
//! Threads end and new ones attach: about one in three detaches by dropping its
//! `Mutator` while in native code. The thread-local variant (mutators kept in a
//! `thread_local!`, destroyed at thread exit) runs in a child process of its
//! own, one per mode, so that a process abort fails that test alone.
//!
//! Environment:
//! - `MOVEGC_STRESS_SECS`: seconds per mode (default 20; the thread-local
//!   variant runs a quarter of that, at least 3 s).
//! - `MOVEGC_STRESS_SEED`: the seed (decimal or `0x` hex; default fixed).
//! - `MOVEGC_STRESS_NATIVE_DROP=0`: no mutator dropped in native code.
//!
//! Modes Move and Copy need userfaultfd: on CI (`CI=true`) its absence fails
//! the test; elsewhere it skips, saying why.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use gc_core::{
    GcError, HandleScope, Heap, Local, Mode, Mutator, ObjRef, RootScanner, RootVisitor, SlotKind,
    TypeDescriptor, TypeId, TypeTable, WORD,
};
use movegc_tests::Rng;
use movegc_tests::logs::{lines as logged, serial};

/// The heap's size.
const HEAP: usize = 64 << 20;
/// Mutator threads alive at once.
const THREADS: usize = 4;
/// Slots of a thread's root array (held by a `Local`).
const ARR: usize = 32;
/// A thread's other `Local` handles.
const HANDLES: usize = 8;
/// Slots of a thread's root scanner.
const SCAN: usize = 16;
/// All of a thread's root locations: root array, handles, scanner slots.
const ROOTS: usize = ARR + HANDLES + SCAN;
/// Slots of the shared array.
const SHARED: usize = 64;
/// Bytes a thread keeps reachable, about (the allocations stop above it).
const LIVE_CAP: usize = 7 << 18;
/// Bytes the shared array keeps reachable, about.
const SHARED_CAP: usize = 3 << 19;
/// The most objects one publication freezes.
const FREEZE_LIMIT: usize = 48;
/// Default seconds per mode.
const DEFAULT_SECS: f64 = 20.0;
/// Default seed.
const DEFAULT_SEED: u64 = 0x5EED_0F60_0DCA_FE00;
/// No batch finished for this long: the run hangs, and the process aborts.
const STALL: Duration = Duration::from_secs(180);

/// Node layout: header (VM bits: the id's low 32 bits), references at 8, 16
/// and 24, the id at 32, data words at 40 and 48.
const NODE_SIZE: usize = 7 * WORD;
const NODE_REFS: [usize; 3] = [8, 16, 24];
const NODE_ID: usize = 32;
const NODE_DATA: [usize; 2] = [40, 48];

// ---------------------------------------------------------------------------
// Configuration from the environment.

fn secs_per_mode() -> f64 {
    match std::env::var("MOVEGC_STRESS_SECS") {
        Ok(s) => s
            .trim()
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("MOVEGC_STRESS_SECS={s:?}: not a number of seconds")),
        Err(_) => DEFAULT_SECS,
    }
}

fn seed() -> u64 {
    match std::env::var("MOVEGC_STRESS_SEED") {
        Ok(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
                None => s.replace('_', "").parse::<u64>(),
            };
            parsed.unwrap_or_else(|_| panic!("MOVEGC_STRESS_SEED={s:?}: not a number"))
        }
        Err(_) => DEFAULT_SEED,
    }
}

fn native_drops_on() -> bool {
    std::env::var("MOVEGC_STRESS_NATIVE_DROP").as_deref() != Ok("0")
}

// ---------------------------------------------------------------------------
// Types and values.

#[derive(Clone, Copy, Debug)]
struct Types {
    node: TypeId,
    /// Tagged slots: element 0 is `fixnum(id)`.
    arr: TypeId,
    /// Bytes: the id (8 bytes, little-endian), then bytes derived from it.
    blob: TypeId,
    /// References only: the threads' root arrays and the shared array.
    roots: TypeId,
}

fn types() -> (TypeTable, Types) {
    let t = TypeTable::new();
    let refs: Vec<u32> = NODE_REFS.iter().map(|&o| o as u32).collect();
    let types = Types {
        node: t
            .register(TypeDescriptor::fixed("node", NODE_SIZE, &refs, &[]))
            .expect("node"),
        arr: t
            .register(TypeDescriptor::array("array", SlotKind::Tagged))
            .expect("array"),
        blob: t.register(TypeDescriptor::bytes("bytes")).expect("bytes"),
        roots: t
            .register(TypeDescriptor::array("roots", SlotKind::Ref))
            .expect("roots"),
    };
    (t, types)
}

fn fixnum(n: u64) -> usize {
    ((n as usize) << 1) | 1
}

fn mix(a: u64, b: u64) -> u64 {
    let mut x = a ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `n` bytes derived from `seed`.
fn gen_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let mut word = 0u64;
    while out.len() < n {
        word = mix(seed, word ^ out.len() as u64);
        let take = (n - out.len()).min(8);
        out.extend_from_slice(&word.to_le_bytes()[..take]);
    }
    out
}

/// What a slot holds, in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Null,
    Ref(u64),
    Fix(u64),
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Slot::Null => f.write_str("null"),
            Slot::Ref(id) => write!(f, "a reference to object {id}"),
            Slot::Fix(n) => write!(f, "fixnum {n} ({:#x})", fixnum(*n)),
        }
    }
}

#[derive(Clone, Debug)]
enum Body {
    Node {
        data: [usize; 2],
        refs: [Option<u64>; 3],
    },
    /// Elements 1.. (element 0 is the id).
    Arr { slots: Vec<Slot> },
    /// Every byte, the id's 8 first.
    Blob { bytes: Vec<u8> },
}

/// One object of the model.
#[derive(Clone, Debug)]
struct MObj {
    id: u64,
    body: Body,
}

impl MObj {
    fn kind(&self) -> &'static str {
        match self.body {
            Body::Node { .. } => "node",
            Body::Arr { .. } => "array",
            Body::Blob { .. } => "bytes",
        }
    }

    fn size(&self) -> usize {
        match &self.body {
            Body::Node { .. } => NODE_SIZE,
            Body::Arr { slots } => WORD + (slots.len() + 1) * WORD,
            Body::Blob { bytes } => WORD + bytes.len().next_multiple_of(WORD),
        }
    }

    /// The header the object must have: type and low 32 bits.
    fn header(&self, t: Types) -> (TypeId, u32) {
        match &self.body {
            Body::Node { .. } => (t.node, self.id as u32),
            Body::Arr { slots } => (t.arr, slots.len() as u32 + 1),
            Body::Blob { bytes } => (t.blob, bytes.len() as u32),
        }
    }

    /// Number of slots an operation may write.
    fn slot_count(&self) -> usize {
        match &self.body {
            Body::Node { .. } => 3,
            Body::Arr { slots } => slots.len(),
            Body::Blob { .. } => 0,
        }
    }

    /// Byte offset of writable slot `k`.
    fn slot_offset(&self, k: usize) -> usize {
        match self.body {
            Body::Node { .. } => NODE_REFS[k],
            _ => 2 * WORD + k * WORD,
        }
    }

    /// Every reference edge: (byte offset, target id).
    fn edges(&self) -> Vec<(usize, u64)> {
        match &self.body {
            Body::Node { refs, .. } => (0..3)
                .filter_map(|k| refs[k].map(|t| (NODE_REFS[k], t)))
                .collect(),
            Body::Arr { slots } => slots
                .iter()
                .enumerate()
                .filter_map(|(k, s)| match s {
                    Slot::Ref(t) => Some((2 * WORD + k * WORD, *t)),
                    _ => None,
                })
                .collect(),
            Body::Blob { .. } => Vec::new(),
        }
    }

    fn set_slot(&mut self, k: usize, v: Slot) {
        match &mut self.body {
            Body::Node { refs, .. } => {
                refs[k] = match v {
                    Slot::Ref(t) => Some(t),
                    _ => None,
                }
            }
            Body::Arr { slots } => slots[k] = v,
            Body::Blob { .. } => unreachable!("bytes have no slots"),
        }
    }
}

// ---------------------------------------------------------------------------
// Roots.

/// A thread's root-scanner slots. The thread reads and writes them while it
/// runs; the collector only while the thread is stopped or in native code.
struct ScanSlots(Box<[Cell<usize>]>);

// SAFETY: the thread owning the slots and the collector never touch them at
// the same time (the handshake orders the two); see above.
unsafe impl Sync for ScanSlots {}

struct ThreadRoots(Arc<ScanSlots>);

impl RootScanner for ThreadRoots {
    fn scan_roots(&mut self, roots: &mut RootVisitor<'_>) {
        for slot in self.0.0.iter() {
            // SAFETY: the slot lives as long as the scanner; nothing else
            // touches it while the collector scans (the thread is stopped).
            unsafe { roots.visit_raw(slot.as_ptr(), SlotKind::Ref) };
        }
    }
}

/// The global root: the shared array's address, read by running mutators and
/// rewritten by the collector in its pauses.
struct GlobalRoot(Arc<AtomicUsize>);

impl RootScanner for GlobalRoot {
    fn scan_roots(&mut self, roots: &mut RootVisitor<'_>) {
        // SAFETY: the atomic outlives the scan; no mutator runs meanwhile.
        unsafe { roots.visit_raw(self.0.as_ptr(), SlotKind::Ref) };
    }
}

/// A thread's root locations: `0..ARR` the root array's slots, then the
/// handles, then the scanner's slots.
struct Roots<'s> {
    arr: Local<'s>,
    handles: Vec<Local<'s>>,
    scan: Arc<ScanSlots>,
}

fn describe_loc(l: usize) -> String {
    if l < ARR {
        format!("root array slot {l}")
    } else if l < ARR + HANDLES {
        format!("handle {}", l - ARR)
    } else {
        format!("root scanner slot {}", l - ARR - HANDLES)
    }
}

impl Roots<'_> {
    fn array(&self, s: &HandleScope<'_>) -> ObjRef {
        s.get(self.arr)
            .expect("the root array's handle is never cleared")
    }

    /// The word in root location `l` now.
    fn word(&self, s: &HandleScope<'_>, l: usize) -> usize {
        if l < ARR {
            // SAFETY: the live root array, with ARR reference slots.
            unsafe { self.array(s).read_word(WORD + l * WORD) }
        } else if l < ARR + HANDLES {
            ObjRef::to_word(s.get(self.handles[l - ARR]))
        } else {
            self.scan.0[l - ARR - HANDLES].get()
        }
    }

    fn get(&self, s: &HandleScope<'_>, l: usize) -> Option<ObjRef> {
        ObjRef::from_addr(self.word(s, l))
    }

    fn set(&self, s: &mut HandleScope<'_>, l: usize, v: Option<ObjRef>) {
        if l < ARR {
            let a = self.array(s);
            // SAFETY: the live root array; slot `l` is a reference slot; `v`
            // was read since the last safepoint.
            unsafe { s.mutator().write_ref(a, WORD + l * WORD, v) };
        } else if l < ARR + HANDLES {
            s.set(self.handles[l - ARR], v);
        } else {
            self.scan.0[l - ARR - HANDLES].set(ObjRef::to_word(v));
        }
    }
}

// ---------------------------------------------------------------------------
// What the threads of a run share.

struct SharedModel {
    /// The shared array's slots, as ids.
    slots: Vec<Option<u64>>,
    /// Frozen objects: at least every one the shared array reaches.
    frozen: HashMap<u64, Arc<MObj>>,
    /// Bytes the shared array reached at the last check.
    live: usize,
}

struct Shared {
    seed: u64,
    mode: Mode,
    run: usize,
    types: Types,
    large: usize,
    next_id: AtomicU64,
    array: Arc<AtomicUsize>,
    model: Mutex<SharedModel>,
    stop: AtomicBool,
    batches: AtomicU64,
    /// Batches of every run of the test, for its watchdog.
    progress: Arc<AtomicU64>,
    verified: AtomicU64,
    collects: AtomicU64,
    /// Bytes the threads reach (by the model, at their last checks; shared
    /// objects count once per thread that reaches them).
    live: AtomicUsize,
    /// Lowest and highest heap addresses seen, to check a reference before
    /// following it.
    lo: AtomicUsize,
    hi: AtomicUsize,
}

impl Shared {
    /// The shared array's current address (valid until the next safepoint).
    fn array(&self) -> ObjRef {
        ObjRef::from_addr(self.array.load(Ordering::Relaxed)).expect("the shared array")
    }

    /// Takes the shared lock, in native code, as every lock a mutator can
    /// block on must be taken.
    fn lock(&self, m: &mut Mutator) -> MutexGuard<'_, SharedModel> {
        m.native(|| self.model.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn note(&self, obj: ObjRef, size: usize) {
        self.lo.fetch_min(obj.addr(), Ordering::Relaxed);
        self.hi.fetch_max(obj.addr() + size, Ordering::Relaxed);
    }
}

// ---------------------------------------------------------------------------
// Verification.

/// How a checked object was reached.
#[derive(Clone, Copy, Debug)]
enum From {
    Root(usize),
    Shared(usize),
    Slot(u64, usize),
}

impl fmt::Display for From {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            From::Root(l) => write!(f, "from {}", describe_loc(l)),
            From::Shared(i) => write!(f, "from shared slot {i}"),
            From::Slot(id, off) => write!(f, "from object {id} +{off}"),
        }
    }
}

#[derive(Default)]
struct Walk {
    seen: HashMap<u64, usize>,
    at: HashMap<usize, u64>,
    stack: Vec<(usize, u64, From)>,
    objects: u64,
    bytes: usize,
}

impl Walk {
    fn push(&mut self, addr: usize, id: u64, from: From) -> Result<(), String> {
        match self.seen.get(&id) {
            Some(&a) if a == addr => return Ok(()),
            Some(&a) => {
                return Err(format!(
                    "object {id} ({from}) is at {addr:#x}, but was already found at {a:#x}: \
                     expected one address, found two (a copy, or a stale reference)"
                ));
            }
            None => {}
        }
        if let Some(&other) = self.at.get(&addr) {
            return Err(format!(
                "{from}: expected object {id}, found object {other} at {addr:#x} \
                 (already checked there)"
            ));
        }
        self.seen.insert(id, addr);
        self.at.insert(addr, id);
        self.stack.push((addr, id, from));
        Ok(())
    }
}

/// Checks reference words before they are followed, and describes what is
/// found at an address.
struct Checker {
    t: Types,
    lo: usize,
    hi: usize,
}

impl Checker {
    fn new(shared: &Shared, heap: &Heap) -> Self {
        let space = heap.moving_space();
        Checker {
            t: shared.types,
            lo: shared.lo.load(Ordering::Relaxed).min(space.start),
            hi: shared.hi.load(Ordering::Relaxed).max(space.end),
        }
    }

    fn plausible(&self, w: usize) -> bool {
        w != 0 && w % WORD == 0 && (self.lo..self.hi).contains(&w)
    }

    /// What the word `w` refers to, for messages.
    fn describe(&self, w: usize) -> String {
        if w == 0 {
            return "null".into();
        }
        if w & 1 == 1 {
            return format!("fixnum {} ({w:#x})", w >> 1);
        }
        if !self.plausible(w) {
            return format!("{w:#x}, outside the heap");
        }
        let obj = ObjRef::from_addr(w).expect("non-zero");
        // SAFETY: inside the heap's address range; only read to describe a
        // failure.
        let h = unsafe { obj.header() };
        let t = self.t;
        let ty = h.type_id();
        // SAFETY: as above, reading within the object its header describes.
        unsafe {
            if ty == t.node.0 {
                format!("node {} at {w:#x}", obj.read_word(NODE_ID))
            } else if ty == t.arr.0 {
                format!(
                    "array {} of length {} at {w:#x}",
                    obj.read_word(WORD) >> 1,
                    h.low()
                )
            } else if ty == t.blob.0 && h.low() >= 8 {
                let id = u64::from_le_bytes(std::ptr::read_unaligned(obj.byte_ptr(WORD).cast()));
                format!("bytes {id} of length {} at {w:#x}", h.low())
            } else if ty == t.roots.0 {
                format!("a root array of length {} at {w:#x}", h.low())
            } else {
                format!("something with header {:#018x} at {w:#x}", h.0)
            }
        }
    }

    /// Checks one slot word against the model; queues a referent.
    fn edge(
        &self,
        walk: &mut Walk,
        parent: u64,
        offset: usize,
        expected: Slot,
        w: usize,
    ) -> Result<(), String> {
        let ok = match expected {
            Slot::Null => w == 0,
            Slot::Fix(n) => w == fixnum(n),
            Slot::Ref(_) => self.plausible(w),
        };
        if !ok {
            return Err(format!(
                "object {parent} +{offset}: expected {expected}, found {}",
                self.describe(w)
            ));
        }
        if let Slot::Ref(target) = expected {
            walk.push(w, target, From::Slot(parent, offset))
                .map_err(|e| format!("{e}; found {}", self.describe(w)))?;
        }
        Ok(())
    }

    /// Checks every queued object and what it reaches against the model.
    fn run<'m>(
        &self,
        walk: &mut Walk,
        lookup: impl Fn(u64) -> Option<&'m MObj>,
    ) -> Result<(), String> {
        while let Some((addr, id, from)) = walk.stack.pop() {
            let Some(model) = lookup(id) else {
                return Err(format!(
                    "object {id} ({from}) is missing from the model (a bug of the test)"
                ));
            };
            let obj = ObjRef::from_addr(addr).expect("non-zero");
            let what = || format!("object {id} (a {}, {from}) at {addr:#x}", model.kind());
            // SAFETY: a reachable object at its current address (no safepoint
            // since the roots were read).
            let h = unsafe { obj.header() };
            let (ty, low) = model.header(self.t);
            if h.type_id() != ty.0 || h.low() != low {
                return Err(format!(
                    "{}: expected header type {} low {low}, found type {} low {} ({})",
                    what(),
                    ty.0,
                    h.type_id(),
                    h.low(),
                    self.describe(addr)
                ));
            }
            walk.objects += 1;
            walk.bytes += model.size();
            match &model.body {
                Body::Node { data, refs } => {
                    // SAFETY: the node's words.
                    let (got_id, d0, d1) = unsafe {
                        (
                            obj.read_word(NODE_ID),
                            obj.read_word(NODE_DATA[0]),
                            obj.read_word(NODE_DATA[1]),
                        )
                    };
                    if got_id as u64 != id {
                        return Err(format!(
                            "{}: expected id {id} at +{NODE_ID}, found {got_id}",
                            what()
                        ));
                    }
                    for (k, (&want, got)) in data.iter().zip([d0, d1]).enumerate() {
                        if want != got {
                            return Err(format!(
                                "{}: data word +{}: expected {want:#x}, found {got:#x}",
                                what(),
                                NODE_DATA[k]
                            ));
                        }
                    }
                    for (k, r) in refs.iter().enumerate() {
                        // SAFETY: a reference slot of the node.
                        let w = unsafe { obj.read_word(NODE_REFS[k]) };
                        let expected = r.map_or(Slot::Null, Slot::Ref);
                        self.edge(walk, id, NODE_REFS[k], expected, w)
                            .map_err(|e| format!("{} ({from}): {e}", what()))?;
                    }
                }
                Body::Arr { slots } => {
                    // SAFETY: element 0 of the array.
                    let w0 = unsafe { obj.read_word(WORD) };
                    if w0 != fixnum(id) {
                        return Err(format!(
                            "{}: element 0: expected fixnum {id}, found {}",
                            what(),
                            self.describe(w0)
                        ));
                    }
                    for (k, &expected) in slots.iter().enumerate() {
                        let offset = 2 * WORD + k * WORD;
                        // SAFETY: an element of the array (its length was checked).
                        let w = unsafe { obj.read_word(offset) };
                        self.edge(walk, id, offset, expected, w)
                            .map_err(|e| format!("{}: {e}", what()))?;
                    }
                }
                Body::Blob { bytes } => {
                    // SAFETY: the byte array's bytes (its length was checked).
                    let got =
                        unsafe { std::slice::from_raw_parts(obj.byte_ptr(WORD), bytes.len()) };
                    if got != &bytes[..] {
                        let k = (0..bytes.len())
                            .find(|&k| got[k] != bytes[k])
                            .expect("differs");
                        let n = (0..bytes.len()).filter(|&k| got[k] != bytes[k]).count();
                        return Err(format!(
                            "{}: byte {k} of {}: expected {:#04x}, found {:#04x} ({n} bytes differ)",
                            what(),
                            bytes.len(),
                            bytes[k],
                            got[k]
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// A mutator thread.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// Drops its `Mutator` while running.
    Normal,
    /// Enters native code, then drops its `Mutator`.
    NativeDrop,
    /// Keeps its `Mutator` in a `thread_local!`; thread exit destroys it.
    ThreadLocal,
}

struct Worker {
    shared: Arc<Shared>,
    heap: Heap,
    who: String,
    rng: Rng,
    t: Types,
    /// This thread's own objects, which only it writes.
    mutable: HashMap<u64, MObj>,
    /// Frozen objects this thread may reach (everything they reach included).
    frozen: HashMap<u64, Arc<MObj>>,
    /// Root locations, as ids.
    roots: Vec<Option<u64>>,
    /// Bytes reachable from the roots at the last check, plus allocations since.
    live: usize,
    /// What this thread added to `Shared::live`.
    counted: usize,
    batch: usize,
    batches: usize,
}

enum Target {
    Root(usize),
    Child(usize, usize),
    Null,
}

impl Worker {
    fn fail(&self, what: impl fmt::Display) -> String {
        format!(
            "seed {:#x} (MOVEGC_STRESS_SEED), mode {:?}, run {}, {}, batch {}: {what}",
            self.shared.seed, self.shared.mode, self.shared.run, self.who, self.batch
        )
    }

    fn lookup(&self, id: u64) -> Option<&MObj> {
        self.mutable
            .get(&id)
            .or_else(|| self.frozen.get(&id).map(|a| &**a))
    }

    fn alloc_err(&self, e: GcError, what: &str) -> String {
        self.fail(format!(
            "allocating {what} failed: {e} (live data: this thread {} KiB, shared {} KiB)",
            self.live >> 10,
            self.shared
                .model
                .try_lock()
                .map(|g| (g.live >> 10).to_string())
                .unwrap_or_else(|_| "?".into())
        ))
    }

    /// A random object shape: (type, length) and its size.
    fn shape(&mut self) -> (Kind, u32, usize) {
        let big = self.shared.large;
        let arr = |len: usize| (Kind::Arr, len as u32, WORD + len * WORD);
        let blob = |len: usize| (Kind::Blob, len as u32, WORD + len.next_multiple_of(WORD));
        let r = &mut self.rng;
        match r.below(100) {
            0..=44 => (Kind::Node, 0, NODE_SIZE),
            45..=64 => arr(2 + r.below(23)),
            65..=76 => blob(8 + r.below(400)),
            77..=81 => arr(300 + r.below((big - 16) / WORD - 300)),
            82..=85 => blob(2000 + r.below(big - 16 - 2000)),
            // Exactly the threshold (a blob whose padding makes it so, too).
            86..=89 => match r.below(3) {
                0 => arr((big - WORD) / WORD),
                1 => blob(big - WORD),
                _ => blob(big - WORD - 1 - r.below(7)),
            },
            // Just under it.
            90..=93 => match r.below(2) {
                0 => arr((big - 2 * WORD) / WORD),
                _ => blob(big - 2 * WORD),
            },
            // Above it.
            _ => match r.below(2) {
                0 => arr(big / WORD + r.below(big / WORD)),
                _ => blob(big + 1 + r.below(2 * big)),
            },
        }
    }

    /// The root location `l`'s object, checked against the model.
    fn root(
        &self,
        s: &HandleScope<'_>,
        r: &Roots<'_>,
        l: usize,
    ) -> Result<Option<(u64, ObjRef)>, String> {
        match (self.roots[l], r.get(s, l)) {
            (Some(id), Some(obj)) => Ok(Some((id, obj))),
            (None, None) => Ok(None),
            (want, got) => Err(self.fail(format!(
                "{}: expected {}, found {got:?}",
                describe_loc(l),
                want.map_or("null".into(), |id| format!("object {id}"))
            ))),
        }
    }

    fn set_root(
        &mut self,
        s: &mut HandleScope<'_>,
        r: &Roots<'_>,
        l: usize,
        v: Option<(u64, ObjRef)>,
    ) {
        r.set(s, l, v.map(|v| v.1));
        self.roots[l] = v.map(|v| v.0);
    }

    fn op_alloc(&mut self, s: &mut HandleScope<'_>, r: &Roots<'_>) -> Result<(), String> {
        let (kind, len, size) = self.shape();
        if self.live + size > LIVE_CAP {
            return Ok(());
        }
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let t = self.t;
        let (ty, low) = match kind {
            Kind::Node => (t.node, id as u32),
            Kind::Arr => (t.arr, len),
            Kind::Blob => (t.blob, len),
        };
        let obj = s
            .mutator()
            .alloc(ty, low)
            .map_err(|e| self.alloc_err(e, &format!("{kind:?} {id} of {size} bytes")))?;
        self.shared.note(obj, size);
        // No safepoint from here until the object is in a root.
        let body = match kind {
            Kind::Node => {
                let data = [self.rng.next_u64() as usize, self.rng.next_u64() as usize];
                // SAFETY: the fresh node's data words.
                unsafe {
                    obj.write_word(NODE_ID, id as usize);
                    obj.write_word(NODE_DATA[0], data[0]);
                    obj.write_word(NODE_DATA[1], data[1]);
                }
                let mut refs = [None; 3];
                for (k, slot) in refs.iter_mut().enumerate() {
                    if self.rng.below(2) == 0 {
                        let l = self.rng.below(ROOTS);
                        if let Some((tid, target)) = self.root(s, r, l)? {
                            // SAFETY: a reference slot of the fresh node; the
                            // target was read from a root just now.
                            unsafe { s.mutator().write_ref(obj, NODE_REFS[k], Some(target)) };
                            *slot = Some(tid);
                        }
                    }
                }
                Body::Node { data, refs }
            }
            Kind::Arr => {
                // SAFETY: element 0 of the fresh array.
                unsafe { s.mutator().write_tagged(obj, WORD, fixnum(id)) };
                let n = len as usize - 1;
                let mut slots = vec![Slot::Null; n];
                for _ in 0..n.min(1 + self.rng.below(6)) {
                    let k = self.rng.below(n);
                    let v = if self.rng.below(3) == 0 {
                        Slot::Fix(self.rng.next_u64() >> 2)
                    } else {
                        let l = self.rng.below(ROOTS);
                        match self.root(s, r, l)? {
                            Some((tid, target)) => {
                                // SAFETY: a tagged element of the fresh array.
                                unsafe {
                                    s.mutator().write_tagged(
                                        obj,
                                        2 * WORD + k * WORD,
                                        target.addr(),
                                    )
                                };
                                slots[k] = Slot::Ref(tid);
                                continue;
                            }
                            None => Slot::Null,
                        }
                    };
                    let w = match v {
                        Slot::Fix(x) => fixnum(x),
                        _ => 0,
                    };
                    // SAFETY: as above.
                    unsafe { s.mutator().write_tagged(obj, 2 * WORD + k * WORD, w) };
                    slots[k] = v;
                }
                Body::Arr { slots }
            }
            Kind::Blob => {
                let mut bytes = id.to_le_bytes().to_vec();
                bytes.extend(gen_bytes(mix(id, 0), len as usize - 8));
                // SAFETY: the fresh byte array holds `len` bytes after its header.
                unsafe {
                    std::ptr::copy_nonoverlapping(bytes.as_ptr(), obj.byte_ptr(WORD), bytes.len())
                };
                Body::Blob { bytes }
            }
        };
        self.mutable.insert(id, MObj { id, body });
        self.live += size;
        // Into a slot of a mutable object (the graph grows), or into a root.
        if self.rng.below(2) == 0 {
            if let Some((l, xid)) = self.mutable_root().filter(|&(_, x)| x != id) {
                let n = self.mutable[&xid].slot_count();
                if n > 0 {
                    let k = self.rng.below(n);
                    let (_, x) = self.root(s, r, l)?.expect("a mutable root");
                    self.store(s, xid, x, k, Slot::Ref(id), obj.addr());
                    return Ok(());
                }
            }
        }
        let l = self.rng.below(ROOTS);
        self.set_root(s, r, l, Some((id, obj)));
        Ok(())
    }

    /// A random root location holding a mutable object.
    fn mutable_root(&mut self) -> Option<(usize, u64)> {
        let l = self.rng.below(ROOTS);
        let id = self.roots[l]?;
        self.mutable.contains_key(&id).then_some((l, id))
    }

    /// Resolves a link target to its id and current address.
    fn target(
        &mut self,
        s: &HandleScope<'_>,
        r: &Roots<'_>,
        target: Target,
    ) -> Result<Option<Option<(u64, ObjRef)>>, String> {
        Ok(match target {
            Target::Null => Some(None),
            Target::Root(l) => Some(self.root(s, r, l)?),
            Target::Child(l, pick) => {
                let Some((yid, y)) = self.root(s, r, l)? else {
                    return Ok(None);
                };
                let edges = self.lookup(yid).expect("a root's model").edges();
                if edges.is_empty() {
                    return Ok(None);
                }
                let (offset, cid) = edges[pick % edges.len()];
                // SAFETY: a reference slot of a live object.
                let c = ObjRef::from_addr(unsafe { y.read_word(offset) });
                match c {
                    Some(c) => Some(Some((cid, c))),
                    None => {
                        return Err(self.fail(format!(
                            "object {yid} +{offset}: expected a reference to object {cid}, \
                             found null"
                        )));
                    }
                }
            }
        })
    }

    fn random_target(&mut self) -> Target {
        match self.rng.below(10) {
            0..=1 => Target::Null,
            2..=5 => Target::Root(self.rng.below(ROOTS)),
            _ => Target::Child(self.rng.below(ROOTS), self.rng.below(1 << 20)),
        }
    }

    /// Stores `v` in writable slot `k` of mutable object `x` (at `obj`).
    fn store(
        &mut self,
        s: &mut HandleScope<'_>,
        xid: u64,
        obj: ObjRef,
        k: usize,
        v: Slot,
        addr: usize,
    ) {
        let model = self.mutable.get_mut(&xid).expect("mutable");
        let offset = model.slot_offset(k);
        let w = match v {
            Slot::Null => 0,
            Slot::Fix(n) => fixnum(n),
            Slot::Ref(_) => addr,
        };
        // SAFETY: a slot of a live object this thread owns; `addr` is a live
        // object's current address (or the value is no reference).
        unsafe {
            match model.body {
                Body::Node { .. } => s.mutator().write_ref(obj, offset, ObjRef::from_addr(w)),
                _ => s.mutator().write_tagged(obj, offset, w),
            }
        }
        model.set_slot(k, v);
    }

    /// x.slot := a root's object, a child of one, or null.
    fn op_link(&mut self, s: &mut HandleScope<'_>, r: &Roots<'_>) -> Result<(), String> {
        let Some((l, xid)) = self.mutable_root() else {
            return Ok(());
        };
        let n = self.mutable[&xid].slot_count();
        if n == 0 {
            return Ok(());
        }
        let k = self.rng.below(n);
        let target = self.random_target();
        let Some(v) = self.target(s, r, target)? else {
            return Ok(());
        };
        let (_, x) = self.root(s, r, l)?.expect("a mutable root");
        let (slot, addr) = match v {
            Some((id, obj)) => (Slot::Ref(id), obj.addr()),
            None => (Slot::Null, 0),
        };
        self.store(s, xid, x, k, slot, addr);
        Ok(())
    }

    /// Overwrites data: a node's data word, an array element (with a fixnum),
    /// or a range of bytes.
    fn op_overwrite(&mut self, s: &mut HandleScope<'_>, r: &Roots<'_>) -> Result<(), String> {
        let Some((l, xid)) = self.mutable_root() else {
            return Ok(());
        };
        let (_, x) = self.root(s, r, l)?.expect("a mutable root");
        let v = self.rng.next_u64();
        let pick = self.rng.below(1 << 30);
        let len = 1 + self.rng.below(4096);
        let model = self.mutable.get_mut(&xid).expect("mutable");
        if let Body::Arr { slots } = &model.body {
            let k = pick % slots.len();
            self.store(s, xid, x, k, Slot::Fix(v >> 2), 0);
            return Ok(());
        }
        match &mut model.body {
            Body::Node { data, .. } => {
                let k = pick % 2;
                data[k] = v as usize;
                // SAFETY: a data word of a live node this thread owns.
                unsafe { x.write_word(NODE_DATA[k], v as usize) };
            }
            Body::Arr { .. } => unreachable!("handled above"),
            Body::Blob { bytes } => {
                if bytes.len() <= 8 {
                    return Ok(());
                }
                let start = 8 + pick % (bytes.len() - 8);
                let end = (start + len).min(bytes.len());
                let new = gen_bytes(mix(xid, v), end - start);
                bytes[start..end].copy_from_slice(&new);
                // SAFETY: bytes `start..end` of a live byte array this thread owns.
                unsafe {
                    std::ptr::copy_nonoverlapping(new.as_ptr(), x.byte_ptr(WORD + start), new.len())
                };
            }
        }
        Ok(())
    }

    /// A root := another root, a child of one, or null.
    fn op_move_root(&mut self, s: &mut HandleScope<'_>, r: &Roots<'_>) -> Result<(), String> {
        let l = self.rng.below(ROOTS);
        let target = match self.rng.below(3) {
            0 => Target::Null,
            1 => Target::Root(self.rng.below(ROOTS)),
            _ => Target::Child(self.rng.below(ROOTS), self.rng.below(1 << 20)),
        };
        if let Some(v) = self.target(s, r, target)? {
            self.set_root(s, r, l, v);
        }
        Ok(())
    }

    /// The mutable objects `xid` reaches (itself included), if few enough.
    fn mutable_closure(&self, xid: u64) -> Option<Vec<u64>> {
        let mut seen = HashSet::new();
        let mut stack = vec![xid];
        while let Some(id) = stack.pop() {
            if !self.mutable.contains_key(&id) || !seen.insert(id) {
                continue;
            }
            if seen.len() > FREEZE_LIMIT {
                return None;
            }
            stack.extend(self.mutable[&id].edges().into_iter().map(|e| e.1));
        }
        Some(seen.into_iter().collect())
    }

    /// Freezes a root's object and what it reaches, and stores it in a shared slot.
    fn op_publish(&mut self, s: &mut HandleScope<'_>, r: &Roots<'_>) -> Result<(), String> {
        let shared = self.shared.clone();
        let mut g = shared.lock(s.mutator());
        if g.live > SHARED_CAP {
            return Ok(());
        }
        let l = self.rng.below(ROOTS);
        let Some((xid, x)) = self.root(s, r, l)? else {
            return Ok(());
        };
        if self.mutable.contains_key(&xid) {
            let Some(closure) = self.mutable_closure(xid) else {
                return Ok(());
            };
            for id in closure {
                let o = self.mutable.remove(&id).expect("mutable");
                self.frozen.insert(id, Arc::new(o));
            }
        }
        // The shared model gets every frozen object `x` reaches.
        let mut stack = vec![xid];
        while let Some(id) = stack.pop() {
            if g.frozen.contains_key(&id) {
                continue;
            }
            let Some(o) = self.frozen.get(&id) else {
                return Err(self.fail(format!(
                    "publishing object {xid}: frozen object {id} is missing from this thread's \
                     model (a bug of the test)"
                )));
            };
            stack.extend(o.edges().into_iter().map(|e| e.1));
            g.frozen.insert(id, o.clone());
        }
        let i = self.rng.below(SHARED);
        let a = shared.array();
        // SAFETY: the live shared array, slot `i`, under the shared lock; `x`
        // was read from a root since the last safepoint.
        unsafe { s.mutator().write_ref(a, WORD + i * WORD, Some(x)) };
        g.slots[i] = Some(xid);
        Ok(())
    }

    /// Takes a shared object: into a root, or into a slot of a mutable object.
    fn op_take(&mut self, s: &mut HandleScope<'_>, r: &Roots<'_>) -> Result<(), String> {
        let shared = self.shared.clone();
        let g = shared.lock(s.mutator());
        let i = self.rng.below(SHARED);
        let Some(xid) = g.slots[i] else {
            return Ok(());
        };
        // SAFETY: the live shared array, read under the shared lock.
        let x = unsafe { s.mutator().read_ref(shared.array(), WORD + i * WORD) };
        let Some(x) = x else {
            return Err(self.fail(format!(
                "shared slot {i}: expected object {xid}, found null"
            )));
        };
        // This thread's model gets what `x` reaches.
        let mut stack = vec![xid];
        while let Some(id) = stack.pop() {
            if self.frozen.contains_key(&id) {
                continue;
            }
            let Some(o) = g.frozen.get(&id) else {
                return Err(self.fail(format!(
                    "taking object {xid}: frozen object {id} is missing from the shared model \
                     (a bug of the test)"
                )));
            };
            stack.extend(o.edges().into_iter().map(|e| e.1));
            self.frozen.insert(id, o.clone());
        }
        drop(g);
        // No safepoint since `x` was read: it is still current.
        if self.rng.below(3) == 0 {
            if let Some((l, yid)) = self.mutable_root() {
                let n = self.mutable[&yid].slot_count();
                if n > 0 {
                    let k = self.rng.below(n);
                    let (_, y) = self.root(s, r, l)?.expect("a mutable root");
                    self.store(s, yid, y, k, Slot::Ref(xid), x.addr());
                }
            }
        } else {
            let l = self.rng.below(ROOTS);
            self.set_root(s, r, l, Some((xid, x)));
        }
        Ok(())
    }

    /// Clears a shared slot, or copies another into it.
    fn op_unpublish(&mut self, s: &mut HandleScope<'_>) -> Result<(), String> {
        let shared = self.shared.clone();
        let mut g = shared.lock(s.mutator());
        let (i, j) = (self.rng.below(SHARED), self.rng.below(SHARED));
        let a = shared.array();
        let (v, id) = if self.rng.below(2) == 0 {
            (None, None)
        } else {
            // SAFETY: the live shared array, under the shared lock.
            let v = unsafe { s.mutator().read_ref(a, WORD + j * WORD) };
            if v.is_some() != g.slots[j].is_some() {
                return Err(self.fail(format!(
                    "shared slot {j}: expected {}, found {v:?}",
                    g.slots[j].map_or("null".into(), |id| format!("object {id}"))
                )));
            }
            (v, g.slots[j])
        };
        // SAFETY: as above; `v` was read just now.
        unsafe { s.mutator().write_ref(a, WORD + i * WORD, v) };
        g.slots[i] = id;
        Ok(())
    }

    /// Objects that die young, to drive collections.
    fn op_garbage(&mut self, s: &mut HandleScope<'_>) -> Result<(), String> {
        for _ in 0..1 + self.rng.below(24) {
            let (kind, len, size) = self.shape();
            let ty = match kind {
                Kind::Node => self.t.node,
                Kind::Arr => self.t.arr,
                Kind::Blob => self.t.blob,
            };
            let obj = s
                .mutator()
                .alloc(ty, len)
                .map_err(|e| self.alloc_err(e, &format!("garbage ({kind:?} of {size} bytes)")))?;
            self.shared.note(obj, size);
        }
        Ok(())
    }

    fn batch(&mut self, s: &mut HandleScope<'_>, r: &Roots<'_>) -> Result<(), String> {
        let n = 30 + self.rng.below(100);
        let shared_full = self
            .shared
            .model
            .try_lock()
            .map(|g| g.live > SHARED_CAP)
            .unwrap_or(false);
        for _ in 0..n {
            let over = self.live > LIVE_CAP;
            let op = self.rng.below(100);
            match op {
                0..=21 => self.op_alloc(s, r)?,
                22..=41 => self.op_link(s, r)?,
                42..=51 => self.op_overwrite(s, r)?,
                52..=63 => self.op_move_root(s, r)?,
                64..=67 => self.op_publish(s, r)?,
                68..=73 => self.op_take(s, r)?,
                74..=75 => self.op_unpublish(s)?,
                76..=87 => self.op_garbage(s)?,
                88 => {
                    let us = self.rng.below(300) as u64;
                    s.mutator()
                        .native(|| std::thread::sleep(Duration::from_micros(us)));
                }
                _ => {
                    // Drop roots; more of them when over the budget.
                    for _ in 0..if over { 4 } else { 1 } {
                        let l = self.rng.below(ROOTS);
                        self.set_root(s, r, l, None);
                    }
                    if shared_full && self.rng.below(2) == 0 {
                        self.op_unpublish(s)?;
                    }
                }
            }
            s.mutator().safepoint();
        }
        Ok(())
    }

    /// Checks everything this thread reaches, then everything the shared array reaches.
    fn verify(&mut self, s: &mut HandleScope<'_>, r: &Roots<'_>, when: &str) -> Result<(), String> {
        let checker = Checker::new(&self.shared, &self.heap);
        let a = r.array(s);
        // SAFETY: the live root array's header.
        let h = unsafe { a.header() };
        if h.type_id() != self.t.roots.0 || h.low() != ARR as u32 {
            return Err(self.fail(format!(
                "{when}: the root array at {:#x}: expected type {} length {ARR}, found {}",
                a.addr(),
                self.t.roots.0,
                checker.describe(a.addr())
            )));
        }
        let mut walk = Walk::default();
        for l in 0..ROOTS {
            let w = r.word(s, l);
            match self.roots[l] {
                Some(id) if checker.plausible(w) => walk
                    .push(w, id, From::Root(l))
                    .map_err(|e| self.fail(format!("{when}: {e}")))?,
                None if w == 0 => {}
                want => {
                    return Err(self.fail(format!(
                        "{when}: {}: expected {}, found {}",
                        describe_loc(l),
                        want.map_or("null".into(), |id| format!("object {id}")),
                        checker.describe(w)
                    )));
                }
            }
        }
        checker
            .run(&mut walk, |id| self.lookup(id))
            .map_err(|e| self.fail(format!("{when}: {e}")))?;
        self.mutable.retain(|id, _| walk.seen.contains_key(id));
        self.frozen.retain(|id, _| walk.seen.contains_key(id));
        self.shared.live.fetch_add(walk.bytes, Ordering::Relaxed);
        self.shared.live.fetch_sub(self.counted, Ordering::Relaxed);
        self.counted = walk.bytes;
        self.live = walk.bytes;
        let mut verified = walk.objects;

        // The shared array, under its lock.
        let shared = self.shared.clone();
        let mut g = shared.lock(s.mutator());
        let checker = Checker::new(&self.shared, &self.heap);
        let a = shared.array();
        // SAFETY: the live shared array's header.
        let h = unsafe { a.header() };
        if h.type_id() != self.t.roots.0 || h.low() != SHARED as u32 {
            return Err(self.fail(format!(
                "{when}: the shared array: expected type {} length {SHARED}, found {}",
                self.t.roots.0,
                checker.describe(a.addr())
            )));
        }
        let mut walk = Walk::default();
        for (i, want) in g.slots.iter().enumerate() {
            // SAFETY: a slot of the live shared array, under the shared lock.
            let w = unsafe { a.read_word(WORD + i * WORD) };
            match *want {
                Some(id) if checker.plausible(w) => walk
                    .push(w, id, From::Shared(i))
                    .map_err(|e| self.fail(format!("{when}: {e}")))?,
                None if w == 0 => {}
                _ => {
                    return Err(self.fail(format!(
                        "{when}: shared slot {i}: expected {}, found {}",
                        want.map_or("null".into(), |id| format!("object {id}")),
                        checker.describe(w)
                    )));
                }
            }
        }
        let frozen = &g.frozen;
        checker
            .run(&mut walk, |id| frozen.get(&id).map(|a| &**a))
            .map_err(|e| self.fail(format!("{when}, the shared array: {e}")))?;
        g.live = walk.bytes;
        if g.frozen.len() > 2 * walk.seen.len() + 256 {
            g.frozen.retain(|id, _| walk.seen.contains_key(id));
        }
        drop(g);
        verified += walk.objects;
        self.shared.verified.fetch_add(verified, Ordering::Relaxed);
        Ok(())
    }

    /// The thread's life: batches of operations, each followed by a check.
    fn life(&mut self, s: &mut HandleScope<'_>) -> Result<(), String> {
        let arr = s
            .alloc(self.t.roots, ARR as u32)
            .map_err(|e| self.alloc_err(e, "the root array"))?;
        let handles = (0..HANDLES).map(|_| s.local(None)).collect();
        let scan = Arc::new(ScanSlots((0..SCAN).map(|_| Cell::new(0)).collect()));
        s.mutator()
            .add_root_scanner(Box::new(ThreadRoots(scan.clone())));
        let r = Roots { arr, handles, scan };
        for b in 0..self.batches {
            if self.shared.stop.load(Ordering::Relaxed) {
                break;
            }
            self.batch = b;
            self.batch(s, &r)?;
            self.verify(s, &r, "after the batch")?;
            if self.rng.below(80) == 0 {
                // Full or young, as a VM might ask.
                let collected = if self.rng.below(2) == 0 {
                    s.mutator().collect()
                } else {
                    s.mutator().collect_young()
                };
                collected.map_err(|e| self.fail(format!("collect(): {e}")))?;
                self.shared.collects.fetch_add(1, Ordering::Relaxed);
                self.verify(s, &r, "after collect()")?;
            }
            self.shared.batches.fetch_add(1, Ordering::Relaxed);
            self.shared.progress.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Node,
    Arr,
    Blob,
}

thread_local! {
    /// The thread-local variant's mutator: destroyed when the thread exits.
    static MUTATOR: RefCell<Option<Mutator>> = const { RefCell::new(None) };
}

/// One thread: attach, live, detach as `ending` says.
fn worker_thread(heap: Heap, shared: Arc<Shared>, n: usize, ending: Ending) -> Result<(), String> {
    let mut rng = Rng::new(mix(shared.seed, (shared.run as u64) << 32 | n as u64));
    let batches = 5 + rng.below(56);
    let mut w = Worker {
        t: shared.types,
        who: format!("thread {n} ({ending:?})"),
        shared,
        heap: heap.clone(),
        rng,
        mutable: HashMap::new(),
        frozen: HashMap::new(),
        roots: vec![None; ROOTS],
        live: 0,
        counted: 0,
        batch: 0,
        batches,
    };
    let result = match ending {
        Ending::Normal | Ending::NativeDrop => {
            let mut m = heap.attach().map_err(|e| w.fail(format!("attach: {e}")))?;
            let result = m.scope(|s| w.life(s));
            if ending == Ending::NativeDrop {
                m.enter_native();
            }
            drop(m);
            result
        }
        Ending::ThreadLocal => MUTATOR.with_borrow_mut(|slot| {
            let m = slot.insert(heap.attach().map_err(|e| w.fail(format!("attach: {e}")))?);
            m.scope(|s| w.life(s))
        }),
    };
    w.shared.live.fetch_sub(w.counted, Ordering::Relaxed);
    result
}

// ---------------------------------------------------------------------------
// Runs.

#[derive(Default, Debug)]
struct Totals {
    runs: u64,
    threads: u64,
    native_drops: u64,
    thread_local: u64,
    cycles: u64,
    collects: u64,
    batches: u64,
    verified: u64,
    warnings: u64,
    mutator_faults: u64,
    max_pause: Duration,
    /// The most data the threads and the shared array reached, by the model.
    max_live: usize,
    /// The most live data a cycle found (allocations during a cycle count).
    max_marked: usize,
    bytes_allocated: u64,
    stalls: u64,
    /// Large objects moved by relinking, and their pages relinked unread.
    relinked: u64,
    relinked_unread: u64,
    unread_moving: u64,
}

/// Sends the thread's number when it ends, even by a panic.
struct Done(mpsc::Sender<usize>, usize);

impl Drop for Done {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".into())
}

/// One heap, with threads coming and going until `deadline`.
fn run_once(
    mode: Mode,
    seed: u64,
    run: usize,
    deadline: Instant,
    thread_local: bool,
    totals: &mut Totals,
    progress: &Arc<AtomicU64>,
) -> Result<(), String> {
    let mut rng = Rng::new(mix(seed, run as u64 ^ (mode as u64) << 40));
    let large = [8 << 10, 16 << 10, 32 << 10][rng.below(3)];
    let verify = run % 2 == 1;
    // Reference-free objects of one page of body and more, or of two, get
    // pages of their own and move unread.
    let unread_min = [4096 + 8, gc_core::UNREAD_MIN][rng.below(2)];
    // One, two or three compaction threads, run after run.
    let compaction_threads = 1 + run % 3;
    let ctx = format!(
        "seed {seed:#x} (MOVEGC_STRESS_SEED), mode {mode:?}, run {run} \
         (large-object threshold {} KiB, unread from {unread_min} bytes, verify {verify}, \
         {compaction_threads} compaction threads)",
        large >> 10
    );
    let (table, types) = types();
    let array = Arc::new(AtomicUsize::new(0));
    let heap = Heap::builder()
        .size(HEAP)
        .mode(mode)
        .gc_threads(2)
        .compaction_threads(compaction_threads)
        .verify(verify)
        .large_object_threshold(large)
        .unread_min(unread_min)
        .types(table)
        .root_scanner(Box::new(GlobalRoot(array.clone())))
        .build()
        .map_err(|e| format!("{ctx}: building the heap: {e}"))?;
    {
        let mut m = heap.attach().map_err(|e| format!("{ctx}: attach: {e}"))?;
        let a = m
            .alloc(types.roots, SHARED as u32)
            .map_err(|e| format!("{ctx}: the shared array: {e}"))?;
        array.store(a.addr(), Ordering::Relaxed);
    }
    let first = ObjRef::from_addr(array.load(Ordering::Relaxed)).expect("shared array");
    let shared = Arc::new(Shared {
        seed,
        mode,
        run,
        types,
        large,
        next_id: AtomicU64::new(1),
        array,
        model: Mutex::new(SharedModel {
            slots: vec![None; SHARED],
            frozen: HashMap::new(),
            live: 0,
        }),
        stop: AtomicBool::new(false),
        batches: AtomicU64::new(0),
        progress: progress.clone(),
        verified: AtomicU64::new(0),
        collects: AtomicU64::new(0),
        live: AtomicUsize::new(0),
        lo: AtomicUsize::new(first.addr()),
        hi: AtomicUsize::new(first.addr() + WORD * (SHARED + 1)),
    });
    let native_drops = native_drops_on();
    let (tx, rx) = mpsc::channel();
    let mut failure: Option<String> = None;
    std::thread::scope(|scope| {
        let mut handles = HashMap::new();
        let spawn = |n: usize, rng: &mut Rng, totals: &mut Totals| {
            let ending = if thread_local && n % 2 == 0 {
                totals.thread_local += 1;
                Ending::ThreadLocal
            } else if native_drops && rng.below(3) == 0 {
                totals.native_drops += 1;
                Ending::NativeDrop
            } else {
                Ending::Normal
            };
            totals.threads += 1;
            let (heap, shared, done) = (heap.clone(), shared.clone(), Done(tx.clone(), n));
            std::thread::Builder::new()
                .name(format!("stress-{n}"))
                .spawn_scoped(scope, move || {
                    let _done = done;
                    worker_thread(heap, shared, n, ending)
                })
                .expect("spawn")
        };
        for n in 0..THREADS {
            handles.insert(n, spawn(n, &mut rng, totals));
        }
        let mut next = THREADS;
        let mut next_collect =
            Instant::now() + Duration::from_millis(1000 + rng.below(3000) as u64);
        let mut next_sample = Instant::now();
        while !handles.is_empty() {
            if Instant::now() >= next_sample {
                let live =
                    shared.live.load(Ordering::Relaxed) + shared.model.lock().map_or(0, |g| g.live);
                totals.max_live = totals.max_live.max(live);
                if let Some(c) = heap.stats().last {
                    totals.max_marked = totals.max_marked.max(c.live_bytes);
                }
                next_sample = Instant::now() + Duration::from_millis(250);
            }
            if let Ok(n) = rx.recv_timeout(Duration::from_millis(50)) {
                let h = handles.remove(&n).expect("a running thread");
                let result = match h.join() {
                    Ok(r) => r,
                    Err(p) => Err(format!("{ctx}: thread {n} panicked: {}", panic_text(&*p))),
                };
                match result {
                    Ok(()) => {}
                    Err(e) => {
                        failure.get_or_insert(e);
                        shared.stop.store(true, Ordering::Relaxed);
                    }
                }
                if !shared.stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    handles.insert(next, spawn(next, &mut rng, totals));
                    next += 1;
                }
            }
            if Instant::now() >= deadline {
                shared.stop.store(true, Ordering::Relaxed);
            }
            if !shared.stop.load(Ordering::Relaxed) && Instant::now() >= next_collect {
                // From this thread, which has no mutator.
                if let Err(e) = heap.collect() {
                    failure.get_or_insert(format!(
                        "{ctx}: heap.collect() from a thread with no mutator: {e}"
                    ));
                    shared.stop.store(true, Ordering::Relaxed);
                }
                totals.collects += 1;
                next_collect =
                    Instant::now() + Duration::from_millis(1000 + rng.below(3000) as u64);
            }
        }
    });
    if failure.is_none() {
        if let Err(e) = heap.collect() {
            failure = Some(format!("{ctx}: the final heap.collect(): {e}"));
        }
    }
    let stats = heap.stats();
    totals.runs += 1;
    totals.cycles += stats.collections;
    totals.collects += shared.collects.load(Ordering::Relaxed);
    totals.batches += shared.batches.load(Ordering::Relaxed);
    totals.verified += shared.verified.load(Ordering::Relaxed);
    totals.mutator_faults += stats.mutator_faults;
    totals.max_pause = totals.max_pause.max(stats.max_pause);
    totals.bytes_allocated += stats.bytes_allocated;
    totals.stalls += stats.allocation_stalls;
    totals.relinked += stats.large_relinked;
    totals.relinked_unread += stats.pages_relinked_unread;
    totals.unread_moving += stats.pages_unread_moving;
    let lines = std::mem::take(&mut *logged());
    totals.warnings += lines.len() as u64;
    for l in &lines {
        eprintln!("stress_model {mode:?} run {run} logged: {l}");
    }
    if let Some(f) = failure {
        return Err(f);
    }
    if let Some(l) = lines.iter().find(|l| l.starts_with("ERROR")) {
        return Err(format!("{ctx}: the heap logged an error: {l}"));
    }
    Ok(())
}

/// Whether `mode` can run here. Where it cannot (no userfaultfd), that fails
/// on CI (`CI=true`); elsewhere it prints why and the test skips.
fn available(mode: Mode) -> bool {
    match Heap::builder().size(HEAP).mode(mode).build() {
        Ok(_) => true,
        Err(GcError::Config(why)) if !movegc_tests::on_ci() => {
            eprintln!("stress_model {mode:?}: skipped: {why}");
            false
        }
        Err(e) => panic!("stress_model {mode:?}: building the heap: {e}"),
    }
}

/// Runs `mode` for `secs` seconds: runs of 4 to 10 s, each a fresh heap.
fn stress(mode: Mode, secs: f64, thread_local: bool) {
    let _serial = serial();
    if !available(mode) {
        return;
    }
    let seed = seed();
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
    let mut rng = Rng::new(mix(seed, 0xC0FFEE ^ mode as u64));
    let mut totals = Totals::default();
    let progress = Arc::new(AtomicU64::new(0));
    let finished = AtomicBool::new(false);
    let variant = if thread_local {
        " (thread-local mutators)"
    } else {
        ""
    };
    let result = std::thread::scope(|scope| {
        // The watchdog: a run that hangs aborts the process, saying where.
        scope.spawn(|| {
            let mut last = (0, Instant::now());
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let p = progress.load(Ordering::Relaxed);
                if p != last.0 {
                    last = (p, Instant::now());
                } else if last.1.elapsed() > STALL {
                    eprintln!(
                        "stress_model {mode:?}{variant}: seed {seed:#x}: no batch finished for \
                         {} s: the threads hang; aborting",
                        STALL.as_secs()
                    );
                    std::process::abort();
                }
            }
        });
        let mut run = 0;
        let result = loop {
            let now = Instant::now();
            if run > 0 && end.saturating_duration_since(now) < Duration::from_millis(1500) {
                break Ok(());
            }
            let deadline = (now + Duration::from_millis(4000 + rng.below(6000) as u64)).min(end);
            progress.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = run_once(
                mode,
                seed,
                run,
                deadline,
                thread_local,
                &mut totals,
                &progress,
            ) {
                break Err(e);
            }
            run += 1;
        };
        finished.store(true, Ordering::Relaxed);
        result
    });
    println!(
        "stress_model {mode:?}{variant}: {:.1} s, seed {seed:#x}: {} runs, {} threads started \
         ({} dropped their mutator in native code, {} thread-local), {} cycles \
         ({} explicit collects), {} batches, {} objects verified, {:.1} GiB allocated, \
         at most {:.1} MiB reachable by the model ({:.1} MiB marked by a cycle), max pause {:.2} ms, {} allocation stalls, \
         {} mutator faults, {} large objects relinked ({} pages unread), {} reference-free \
         pages moved unread, {} warnings logged",
        start.elapsed().as_secs_f64(),
        totals.runs,
        totals.threads,
        totals.native_drops,
        totals.thread_local,
        totals.cycles,
        totals.collects,
        totals.batches,
        totals.verified,
        totals.bytes_allocated as f64 / (1u64 << 30) as f64,
        totals.max_live as f64 / (1 << 20) as f64,
        totals.max_marked as f64 / (1 << 20) as f64,
        totals.max_pause.as_secs_f64() * 1e3,
        totals.stalls,
        totals.mutator_faults,
        totals.relinked,
        totals.relinked_unread,
        totals.unread_moving,
        totals.warnings,
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    // The model's reference-free objects of 4 KiB and more did move unread.
    if mode != Mode::StopTheWorld && totals.cycles >= 20 {
        assert!(
            totals.unread_moving > 0,
            "stress_model {mode:?}{variant}: no reference-free page moved unread"
        );
    }
}

#[test]
fn stress_stop_the_world() {
    stress(Mode::StopTheWorld, secs_per_mode(), false);
}

#[test]
fn stress_move() {
    stress(Mode::Move, secs_per_mode(), false);
}

#[test]
fn stress_copy() {
    stress(Mode::Copy, secs_per_mode(), false);
}

// ---------------------------------------------------------------------------
// The thread-local variant, each mode in a child process of its own.

const CHILD: &str = "MOVEGC_STRESS_CHILD";

fn thread_local_variant(test: &str, mode: Mode) {
    let secs = (secs_per_mode() / 4.0).max(3.0);
    if std::env::var(CHILD).as_deref() == Ok(test) {
        stress(mode, secs, true);
        return;
    }
    let _serial = serial();
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env(CHILD, test)
        .output()
        .expect("running the child process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
    for line in &lines {
        // Everything on failure; the summary (or why it skipped) otherwise.
        if !out.status.success() || line.contains("stress_model") {
            eprintln!("  child: {line}");
        }
    }
    if !out.status.success() {
        use std::os::unix::process::ExitStatusExt;
        let how = match out.status.signal() {
            Some(6) => "was killed by SIGABRT (the process aborted)".to_string(),
            Some(sig) => format!("was killed by signal {sig}"),
            None => format!("exited with {}", out.status),
        };
        // The panics' messages and the runtime's last words.
        let mut key = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if l.contains("panicked at") {
                key.extend(lines[i..].iter().copied().take(2));
            } else if l.starts_with("fatal runtime error") || l.contains("stress_model") {
                key.push(*l);
            }
        }
        let tail = key.join("\n    ");
        panic!(
            "the thread-local variant in mode {mode:?} (mutators in a thread_local!, destroyed \
             at thread exit) {how}; what it said:\n    {tail}"
        );
    }
}

#[test]
fn thread_local_mutators_stop_the_world() {
    thread_local_variant("thread_local_mutators_stop_the_world", Mode::StopTheWorld);
}

#[test]
fn thread_local_mutators_move() {
    thread_local_variant("thread_local_mutators_move", Mode::Move);
}

#[test]
fn thread_local_mutators_copy() {
    thread_local_variant("thread_local_mutators_copy", Mode::Copy);
}
