//! Test support: a VM-shaped random graph with a model kept beside it.
//!
//! The model is the graph as plain Rust data. [`GraphTest::check`] walks the
//! heap graph from its roots and the model graph in step and demands an
//! isomorphism: same types, lengths, data and edge structure, whatever the
//! addresses. So any lost, duplicated, corrupted or misdirected object after
//! any number of collections is caught, in any mode.
//!
//! [`logs`] captures the heaps' warnings for the tests that check them;
//! [`swap`] gives the swap tests and the cache bench a swap file of their own.

pub mod logs;
pub mod swap;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use std::sync::Barrier;

use gc_core::{
    GcError, Heap, HeapBuilder, Local, Mode, Mutator, ObjRef, SlotKind, TypeDescriptor, TypeId,
    TypeTable, WORD,
};

/// A small, fast, seedable generator (xorshift64*).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// The types of the test VM.
#[derive(Clone, Copy, Debug)]
pub struct Types {
    /// Two reference slots, one tagged slot, two data words.
    pub node: TypeId,
    /// An array of references.
    pub refs: TypeId,
    /// An array of tagged values.
    pub tagged: TypeId,
    /// Bytes.
    pub blob: TypeId,
    /// An array of weak references.
    pub weak_refs: TypeId,
}

/// Node layout: header, a @8, b @16 (references), c @24 (tagged), id @32, data @40.
pub const NODE_SIZE: usize = 6 * WORD;
const NODE_SLOTS: [(usize, SlotKind); 3] = [
    (8, SlotKind::Ref),
    (16, SlotKind::Ref),
    (24, SlotKind::Tagged),
];

impl Types {
    /// Registers the test VM's types.
    pub fn register(table: &TypeTable) -> Types {
        let node = TypeDescriptor::fixed("node", NODE_SIZE, &[8, 16], &[24]);
        Types {
            node: table.register(node).expect("valid"),
            refs: table
                .register(TypeDescriptor::array("refs", SlotKind::Ref))
                .expect("valid"),
            tagged: table
                .register(TypeDescriptor::array("tagged", SlotKind::Tagged))
                .expect("valid"),
            blob: table
                .register(TypeDescriptor::bytes("blob"))
                .expect("valid"),
            weak_refs: table
                .register(TypeDescriptor::array("weak refs", SlotKind::Weak))
                .expect("valid"),
        }
    }

    /// A table with only these types.
    pub fn table() -> (TypeTable, Types) {
        let t = TypeTable::new();
        let types = Types::register(&t);
        (t, types)
    }
}

/// A fixnum in the test VM's tagging: low bit set.
pub fn fixnum(n: u64) -> usize {
    ((n as usize) << 1) | 1
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Val {
    Null,
    Ref(usize),
    Fix(u64),
}

#[derive(Clone, Debug)]
struct MObj {
    ty: TypeId,
    len: u32,
    data: Vec<u8>,
    slots: Vec<(usize, Val)>,
}

/// A random graph in the heap, rooted in one array held by a handle, and its model.
pub struct GraphTest {
    types: Types,
    rng: Rng,
    objs: Vec<MObj>,
    roots: Vec<Val>,
    /// Length of the arrays that go to the large-object space.
    pub large_len: u32,
}

/// Number of root slots.
pub const ROOTS: usize = 64;

impl GraphTest {
    /// A test with `seed`; `large_len` is an array length that makes a large object.
    pub fn new(types: Types, seed: u64, large_len: u32) -> Self {
        GraphTest {
            types,
            rng: Rng::new(seed),
            objs: Vec::new(),
            roots: vec![Val::Null; ROOTS],
            large_len,
        }
    }

    /// Allocates the root array; keep the handle in the caller's scope.
    pub fn root_array(&self, m: &mut Mutator) -> Result<ObjRef, GcError> {
        m.alloc(self.types.refs, ROOTS as u32)
    }

    fn new_object(&mut self, m: &mut Mutator) -> Result<(ObjRef, MObj), GcError> {
        let t = self.types;
        let kind = self.rng.below(100);
        let (ty, len) = match kind {
            0..=59 => (t.node, 0),
            60..=74 => (t.refs, 1 + self.rng.below(12) as u32),
            75..=84 => (t.tagged, 1 + self.rng.below(12) as u32),
            85..=98 => (t.blob, self.rng.below(300) as u32),
            _ => (t.refs, self.large_len),
        };
        let obj = m.alloc(ty, len)?;
        let mut mobj = MObj {
            ty,
            len,
            data: Vec::new(),
            slots: Vec::new(),
        };
        if ty == t.node {
            for off in [32, 40] {
                let v = self.rng.next_u64() as usize;
                // SAFETY: a fresh node; 32 and 40 are its data words.
                unsafe { obj.write_word(off, v) };
                mobj.data.extend_from_slice(&v.to_le_bytes());
            }
            mobj.slots = NODE_SLOTS.iter().map(|&(o, _)| (o, Val::Null)).collect();
        } else if ty == t.blob {
            for i in 0..len as usize {
                let b = self.rng.next_u64() as u8;
                // SAFETY: byte `i` of a fresh blob of `len` bytes.
                unsafe { obj.byte_ptr(WORD + i).write(b) };
                mobj.data.push(b);
            }
        } else {
            mobj.slots = (0..len as usize)
                .map(|i| (WORD + i * WORD, Val::Null))
                .collect();
        }
        Ok((obj, mobj))
    }

    fn slot_kind(&self, ty: TypeId, offset: usize) -> SlotKind {
        if ty == self.types.node {
            NODE_SLOTS
                .iter()
                .find(|(o, _)| *o == offset)
                .map_or(SlotKind::Ref, |s| s.1)
        } else if ty == self.types.tagged {
            SlotKind::Tagged
        } else {
            SlotKind::Ref
        }
    }

    /// Performs `n` random mutations: allocations, links (cycles and
    /// self-references included), descents, clears, tagged stores.
    pub fn mutate(
        &mut self,
        s: &mut gc_core::HandleScope<'_>,
        roots: Local<'_>,
        n: usize,
    ) -> Result<(), GcError> {
        for _ in 0..n {
            let root = |s: &gc_core::HandleScope<'_>| s.get(roots).expect("the root array");
            let op = self.rng.below(100);
            let i = self.rng.below(ROOTS);
            let j = self.rng.below(ROOTS);
            match op {
                0..=39 => {
                    let (obj, mobj) = self.new_object(s.mutator())?;
                    self.objs.push(mobj);
                    self.roots[i] = Val::Ref(self.objs.len() - 1);
                    let r = root(s);
                    // SAFETY: the root array is live, slot `i` is a reference slot.
                    unsafe { s.mutator().write_ref(r, WORD + i * WORD, Some(obj)) };
                }
                40..=69 => {
                    // root[i].slot := root[j] (or a fixnum, for a tagged slot)
                    let (Val::Ref(x), target) = (self.roots[i], self.roots[j]) else {
                        continue;
                    };
                    if self.objs[x].slots.is_empty() {
                        continue;
                    }
                    let k = self.rng.below(self.objs[x].slots.len());
                    let offset = self.objs[x].slots[k].0;
                    let kind = self.slot_kind(self.objs[x].ty, offset);
                    let v = if kind == SlotKind::Tagged && self.rng.below(3) == 0 {
                        Val::Fix(self.rng.next_u64() >> 2)
                    } else {
                        target
                    };
                    self.objs[x].slots[k].1 = v;
                    let r = root(s);
                    // SAFETY: the root array and its referents are live; no safepoint between.
                    unsafe {
                        let xo = s.mutator().read_ref(r, WORD + i * WORD).expect("root i");
                        let yo = s.mutator().read_ref(r, WORD + j * WORD);
                        let word = match v {
                            Val::Null => 0,
                            Val::Fix(n) => fixnum(n),
                            Val::Ref(_) => ObjRef::to_word(yo),
                        };
                        s.mutator().write_tagged(xo, offset, word);
                    }
                }
                70..=89 => {
                    // root[i] := root[j].slot
                    let Val::Ref(y) = self.roots[j] else { continue };
                    if self.objs[y].slots.is_empty() {
                        continue;
                    }
                    let k = self.rng.below(self.objs[y].slots.len());
                    let (offset, v) = self.objs[y].slots[k];
                    if let Val::Fix(_) = v {
                        continue;
                    }
                    self.roots[i] = v;
                    let r = root(s);
                    // SAFETY: as above.
                    unsafe {
                        let yo = s.mutator().read_ref(r, WORD + j * WORD).expect("root j");
                        let w = yo.read_word(offset);
                        s.mutator().write_tagged(r, WORD + i * WORD, w);
                    }
                }
                _ => {
                    self.roots[i] = Val::Null;
                    let r = root(s);
                    // SAFETY: as above.
                    unsafe { s.mutator().write_ref(r, WORD + i * WORD, None) };
                }
            }
            s.mutator().safepoint();
        }
        Ok(())
    }

    /// Checks the heap graph reachable from the root array against the model;
    /// returns an address-blind digest of it.
    pub fn check(&self, root_array: ObjRef) -> Result<u64, String> {
        let mut to_model: HashMap<usize, usize> = HashMap::new();
        let mut to_heap: HashMap<usize, usize> = HashMap::new();
        let mut stack: Vec<(usize, usize)> = Vec::new();
        let mut hasher = DefaultHasher::new();
        let mut link = |a: usize,
                        m: usize,
                        stack: &mut Vec<(usize, usize)>|
         -> Result<(), String> {
            match (to_model.get(&a), to_heap.get(&m)) {
                (Some(&mm), _) if mm != m => Err(format!("{a:#x} is model object {mm} and {m}")),
                (_, Some(&aa)) if aa != a => {
                    Err(format!("model object {m} is at {aa:#x} and {a:#x}"))
                }
                (Some(_), _) => Ok(()),
                _ => {
                    to_model.insert(a, m);
                    to_heap.insert(m, a);
                    stack.push((a, m));
                    Ok(())
                }
            }
        };
        for (i, v) in self.roots.iter().enumerate() {
            // SAFETY: the root array is live.
            let w = unsafe { root_array.read_word(WORD + i * WORD) };
            match *v {
                Val::Ref(m) => {
                    if w == 0 {
                        return Err(format!("root {i} is null, the model has object {m}"));
                    }
                    link(w, m, &mut stack)?;
                }
                _ if w != 0 => return Err(format!("root {i} holds {w:#x}, the model has {v:?}")),
                _ => {}
            }
        }
        while let Some((a, m)) = stack.pop() {
            let obj = ObjRef::from_addr(a).expect("non-null");
            let mo = &self.objs[m];
            // SAFETY: a reachable object.
            let header = unsafe { obj.header() };
            if header.type_id() != mo.ty.0 || (mo.ty != self.types.node && header.low() != mo.len) {
                return Err(format!(
                    "object {m} at {a:#x}: header {header:?}, model {:?} len {}",
                    mo.ty, mo.len
                ));
            }
            (m, mo.ty).hash(&mut hasher);
            mo.len.hash(&mut hasher);
            let data: Vec<u8> = if mo.ty == self.types.node {
                // SAFETY: the node's data words.
                unsafe { [obj.read_word(32), obj.read_word(40)] }
                    .iter()
                    .flat_map(|w| w.to_le_bytes())
                    .collect()
            } else if mo.ty == self.types.blob {
                // SAFETY: the blob's bytes.
                (0..mo.len as usize)
                    .map(|i| unsafe { obj.byte_ptr(WORD + i).read() })
                    .collect()
            } else {
                Vec::new()
            };
            if data != mo.data {
                return Err(format!("object {m} at {a:#x}: data differs from the model"));
            }
            data.hash(&mut hasher);
            for &(offset, v) in &mo.slots {
                // SAFETY: a slot of a reachable object.
                let w = unsafe { obj.read_word(offset) };
                match v {
                    Val::Ref(target) => {
                        if w == 0 || w & 1 == 1 {
                            return Err(format!(
                                "object {m} slot +{offset}: {w:#x}, the model has object {target}"
                            ));
                        }
                        link(w, target, &mut stack)?;
                        (offset, "ref", target).hash(&mut hasher);
                    }
                    Val::Null | Val::Fix(_) => {
                        let expected = if let Val::Fix(n) = v { fixnum(n) } else { 0 };
                        if w != expected {
                            return Err(format!(
                                "object {m} slot +{offset}: {w:#x}, the model has {v:?}"
                            ));
                        }
                        (offset, w).hash(&mut hasher);
                    }
                }
            }
        }
        Ok(hasher.finish())
    }
}

/// One thread's run: `rounds` batches of mutations, the model checked after
/// each, and an explicit collection every fourth round (young, and every
/// fourth of them full) with the digest compared across it.
pub fn graph_workout(
    heap: &Heap,
    types: Types,
    seed: u64,
    rounds: usize,
    batch: usize,
    large_len: u32,
) -> Result<(), String> {
    let mut m = heap.attach().map_err(|e| e.to_string())?;
    let mut g = GraphTest::new(types, seed, large_len);
    m.scope(|s| {
        let array = g.root_array(s.mutator()).map_err(|e| e.to_string())?;
        let roots = s.local(Some(array));
        for round in 0..rounds {
            g.mutate(s, roots, batch).map_err(|e| e.to_string())?;
            let before = g.check(s.get(roots).ok_or("root array lost")?)?;
            if round % 4 == 3 {
                // Mostly young cycles, with a full one now and then.
                let collected = if round % 16 == 15 {
                    s.mutator().collect()
                } else {
                    s.mutator().collect_young()
                };
                collected.map_err(|e| e.to_string())?;
                let after = g.check(s.get(roots).ok_or("root array lost")?)?;
                if before != after {
                    return Err(format!("round {round}: digest changed across a collection"));
                }
            }
        }
        Ok(())
    })
}

/// [`graph_workout`] on `threads` threads at once; panics with the first failure.
pub fn run_threads(
    heap: &Heap,
    types: Types,
    threads: usize,
    rounds: usize,
    batch: usize,
    large_len: u32,
) {
    run_each(threads, |t| {
        graph_workout(heap, types, 1000 + t as u64, rounds, batch, large_len)
    });
}

/// Runs `f(t)` on threads `t` in `0..threads`, started together; panics with
/// the first failure.
pub fn run_each(threads: usize, f: impl Fn(usize) -> Result<(), String> + Sync) {
    let barrier = Barrier::new(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (f, barrier) = (&f, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    f(t)
                })
            })
            .collect();
        for (t, h) in handles.into_iter().enumerate() {
            if let Err(e) = h.join().expect("thread panicked") {
                panic!("thread {t}: {e}");
            }
        }
    });
}

/// Whether this run is on CI (`CI=true`), where a missing kernel capability
/// fails a test instead of skipping it.
pub fn on_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Builds the heap `builder()` describes. Where its mode cannot run on this
/// kernel (a [`GcError::Config`]), that fails on CI; elsewhere it returns
/// `None`, printing why, and the test skips.
pub fn build_or_skip(builder: impl Fn() -> HeapBuilder) -> Option<Heap> {
    match builder().build() {
        Ok(heap) => Some(heap),
        Err(GcError::Config(why)) if !on_ci() => {
            eprintln!("skipped: {why}");
            None
        }
        Err(e) => panic!("building the heap: {e}"),
    }
}

/// A heap for the concurrent-mode tests: `mode`, `size` bytes, two GC
/// threads, the verifier on, the test VM's types, and every cycle marking and
/// compacting concurrently (young ones too, however few their survivors:
/// [`Policy`](gc_core::Policy)'s `young_pause_objects` and
/// `young_slide_limit` 0); `configure` adds to the builder (injected
/// failures, thresholds, another policy). `None` where the mode cannot run
/// and this is not CI (see [`build_or_skip`]).
pub fn concurrent_heap(
    mode: Mode,
    size: usize,
    configure: impl Fn(HeapBuilder) -> HeapBuilder,
) -> Option<(Heap, Types)> {
    let (_, types) = Types::table();
    let heap = build_or_skip(|| {
        let (table, _) = Types::table();
        configure(
            Heap::builder()
                .size(size)
                .mode(mode)
                .gc_threads(2)
                .verify(true)
                .policy(
                    gc_core::Policy::default()
                        .young_slide_limit(0)
                        .young_pause_objects(0),
                )
                .types(table),
        )
    })?;
    if mode != Mode::Auto {
        assert_eq!(heap.mode(), mode);
    }
    Some((heap, types))
}

/// Bytes of each garbage blob [`allocate_until_collection`] allocates.
const GARBAGE_LEN: u32 = 2000;

/// Allocates garbage until the heap has run a collection since its count was
/// `seen`: the allocation budget triggers one (or another thread's does, and
/// this one takes part at a safepoint). In the concurrent modes it returns
/// right after the pause, with the compaction still placing pages.
pub fn allocate_until_collection(m: &mut Mutator, types: Types, seen: u64) -> Result<(), GcError> {
    loop {
        for _ in 0..8 {
            m.alloc(types.blob, GARBAGE_LEN)?;
        }
        if m.heap().stats().collections != seen {
            return Ok(());
        }
    }
}

/// A policy under which only the cycles a test asks for run: a young budget
/// no test allocates, and no young cycle that slides or traces in its pause.
pub fn requested_cycles_only() -> gc_core::Policy {
    gc_core::Policy::default()
        .young_budget(Some(1 << 30))
        .young_slide_limit(0)
        .young_pause_objects(0)
}

/// Runs a full collection and waits for its compaction to end: a requested
/// collection returns after its pause, with a concurrent compaction still
/// placing pages. The mutator waits in native code, so the compaction's
/// end needs nothing from it.
pub fn collect_and_wait_for_compaction(m: &mut Mutator) -> Result<(), GcError> {
    m.collect()?;
    wait_for_compaction(m);
    Ok(())
}

/// Waits, in native code, until every cycle's compaction has ended.
pub fn wait_for_compaction(m: &mut Mutator) {
    while m.heap().stats().compactions < m.heap().stats().collections {
        m.native(|| std::thread::sleep(std::time::Duration::from_millis(5)));
    }
}

/// The shape of a [`run_budget_threads`] run.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Mutator threads ([`run_budget_threads`]).
    pub threads: usize,
    /// Rounds per thread, each waiting for at least one collection.
    pub rounds: usize,
    /// Graph mutations per round.
    pub batch: usize,
    /// Array length that makes a large object.
    pub large_len: u32,
    /// Nodes of a list each thread keeps alive besides its graph, so that a
    /// compaction has pages to place while the threads run.
    pub ballast: usize,
}

/// Builds an appending list of `n` nodes (node `i` holds `i` and `seed ^ i`
/// in its data words, its successor in slot 8) with garbage between them, and
/// returns its head, the oldest node: the lowest address. It slides at every
/// full collection.
pub fn build_ballast(
    s: &mut gc_core::HandleScope<'_>,
    types: Types,
    seed: u64,
    n: usize,
) -> Result<Option<ObjRef>, GcError> {
    s.scope(|s| {
        let head = s.local(None);
        let tail = s.local(None);
        for i in 0..n {
            let cell = s.mutator().alloc(types.node, 0)?;
            // SAFETY: a fresh node; 32 and 40 are data words, 8 a reference slot
            // of the live tail, read after the allocation.
            unsafe {
                cell.write_word(32, i);
                cell.write_word(40, seed as usize ^ i);
                match s.get(tail) {
                    Some(last) => s.mutator().write_ref(last, 8, Some(cell)),
                    None => s.set(head, Some(cell)),
                }
            }
            s.set(tail, Some(cell));
            if i % 2 == 0 {
                s.mutator().alloc(types.blob, 40)?;
            }
        }
        Ok(s.get(head))
    })
}

/// Walks a list [`build_ballast`] made, from its head, checking every node.
/// The caller must make no safepoint meanwhile.
pub fn check_ballast(head: Option<ObjRef>, seed: u64, n: usize) -> Result<(), String> {
    let mut at = head;
    let mut i = 0;
    while let Some(cell) = at {
        // SAFETY: reachable nodes; the caller makes no safepoint during the walk.
        let (a, b) = unsafe { (cell.read_word(32), cell.read_word(40)) };
        if (a, b) != (i, seed as usize ^ i) {
            return Err(format!(
                "ballast node {i} at {cell:?} holds ({a:#x}, {b:#x})"
            ));
        }
        // SAFETY: as above; slot 8 is a reference slot.
        at = ObjRef::from_addr(unsafe { cell.read_word(8) });
        i += 1;
    }
    if i != n {
        return Err(format!("the ballast list has {i} nodes, not {n}"));
    }
    Ok(())
}

/// One thread's run with collections the allocation budget triggers, so that
/// the thread keeps running while each compaction places pages: every round
/// mutates the graph, checks it, allocates garbage until a collection has
/// run, and at once checks it again (reading pages still in flight) with the
/// same digest demanded, and walks its ballast list.
///
/// Then, with every thread of the run done (they meet at `done`, in native
/// code so as not to hold up collections), thread 0 requests two collections,
/// with every graph still live, and every thread checks its graph after each:
/// the first one's verifier checks the last budget-triggered compaction, the
/// second one's checks the first one's.
fn budget_workout(
    heap: &Heap,
    types: Types,
    t: usize,
    w: Budget,
    done: &Barrier,
) -> Result<(), String> {
    let seed = 2000 + t as u64;
    let mut m = heap.attach().map_err(|e| e.to_string())?;
    let mut g = GraphTest::new(types, seed, w.large_len);
    m.scope(|s| {
        let array = g.root_array(s.mutator()).map_err(|e| e.to_string())?;
        let roots = s.local(Some(array));
        let list = build_ballast(s, types, seed, w.ballast).map_err(|e| e.to_string())?;
        let ballast = s.local(list);
        for round in 0..w.rounds {
            g.mutate(s, roots, w.batch).map_err(|e| e.to_string())?;
            let before = g.check(s.get(roots).ok_or("root array lost")?)?;
            let seen = s.mutator().heap().stats().collections;
            allocate_until_collection(s.mutator(), types, seen).map_err(|e| e.to_string())?;
            let after = g
                .check(s.get(roots).ok_or("root array lost")?)
                .map_err(|e| format!("round {round}, right after a collection: {e}"))?;
            if before != after {
                return Err(format!("round {round}: digest changed across a collection"));
            }
            check_ballast(s.get(ballast), seed, w.ballast)
                .map_err(|e| format!("round {round}: {e}"))?;
        }
        let before = g.check(s.get(roots).ok_or("root array lost")?)?;
        for last in 0..2 {
            s.mutator().native(|| done.wait());
            if t == 0 {
                s.mutator().collect().map_err(|e| e.to_string())?;
            }
            s.mutator().native(|| done.wait());
            let after = g
                .check(s.get(roots).ok_or("root array lost")?)
                .map_err(|e| format!("after final collection {last}: {e}"))?;
            if before != after {
                return Err(format!("final collection {last}: digest changed"));
            }
            check_ballast(s.get(ballast), seed, w.ballast)
                .map_err(|e| format!("after final collection {last}: {e}"))?;
        }
        Ok(())
    })
}

/// Runs `w.threads` mutator threads at once through collections the
/// allocation budget triggers: each round a thread mutates its graph, checks
/// it, allocates garbage until a collection has run, and at once checks it
/// again (reading pages still in flight) with the same digest demanded, and
/// walks a ballast list. Then thread 0 requests two collections with every
/// graph live (their verifier checks the compactions before them), each
/// followed by every thread's check. Panics with the first failure; returns
/// once the last compaction is done.
pub fn run_budget_threads(heap: &Heap, types: Types, w: Budget) {
    let done = Barrier::new(w.threads);
    run_each(w.threads, |t| budget_workout(heap, types, t, w, &done));
}

/// Checks the page accounting of a heap's concurrent compactions so far:
/// every page built was placed exactly once (by MOVE or COPY, or as the zero
/// page for a moving large object's page never touched), and every
/// collection compacted concurrently. Returns the statistics.
pub fn check_page_accounting(heap: &Heap) -> gc_core::Stats {
    let s = heap.stats();
    assert!(s.compactions > 0, "no concurrent compaction ran: {s:?}");
    assert_eq!(
        s.compactions, s.collections,
        "a collection did not compact concurrently: {s:?}"
    );
    assert_eq!(
        s.pages_moved + s.pages_copied + s.pages_relink_holes,
        s.pages_by_gc + s.pages_by_mutators,
        "pages built and pages placed differ (a page lost or placed twice): {s:?}"
    );
    eprintln!("{}", summary(&s));
    s
}

/// The concurrent-mode totals of `s` on one line, for test output.
pub fn summary(s: &gc_core::Stats) -> String {
    format!(
        "{} collections, {} compactions; pages by GC {}, by mutators {}; moved {}, copied {}, \
         recycled {}, zero-filled {}; {} mutator faults (max {:?}); {} switched to COPY",
        s.collections,
        s.compactions,
        s.pages_by_gc,
        s.pages_by_mutators,
        s.pages_moved,
        s.pages_copied,
        s.pages_recycled,
        s.pages_zero_filled,
        s.mutator_faults,
        s.max_fault,
        s.switched_to_copy,
    )
}
