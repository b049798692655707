//! Classic GC workloads on movegc against `Box`, `Rc` and HotSpot, in one run:
//! binary-trees (Benchmarks Game rules, single-threaded) and Boehm's GCBench.
//! One `name: value` line per figure.
//!
//! `cargo run --release -p movegc-benches --bin gc-workloads -- [--quick] [--sweep] [--runs N] [--no-java] [--gc-log] [BENCH...]`
//! where BENCH is `binary-trees-18`, `binary-trees-21` or `gcbench` (default: all
//! three; with `--sweep`, `binary-trees-18` and `gcbench`). `--quick` runs small
//! sizes instead (`binary-trees-14` and `gcbench-small` in an 8 MiB heap: a smoke
//! test of a few seconds, HotSpot's start-ups and `javac` most of it); `--runs N`
//! runs every variant N times, interleaved (every variant once, then again),
//! and prints each figure's median (default 1); `--no-java` leaves HotSpot out;
//! `--gc-log` prints movegc's log line of every collection on stderr.
//!
//! **Side by side** (the default): every variant at the workload's heap size
//! (1 GiB), each in a process of its own, so that no other variant's memory
//! shows in its figures, and all checked to compute the same result:
//!
//! - `Box` and `Rc`: the workload on Rust's allocator;
//! - `movegc-stw`, `movegc-move`, `movegc-copy`: on movegc in each compaction
//!   mode (concurrent marking in all three), through a minimal VM with a
//!   shadow stack;
//! - `HotSpot-Parallel`, `HotSpot-Serial`, `HotSpot-G1`: the same programs in
//!   Java (`benches/java`, compiled with `javac` next to this program at every
//!   run; skipped, saying why, where `javac` or `java` is missing) with
//!   `-XX:+UseParallelGC`, `-XX:+UseSerialGC` or `-XX:+UseG1GC`, and `-Xms` and
//!   `-Xmx` both the movegc heap's size: a heap of fixed size, as movegc's is,
//!   with no sizing policy at work. (HotSpot's objects are smaller: 24 bytes
//!   for a binary-trees node with compressed pointers, 32 in movegc.)
//!
//! Figures per variant: wall time from the spawn to the reaping (process
//! start-up and exit included: a few ms for a Rust child, 40–100 ms for a
//! JVM), user and system CPU time, minor page faults and peak RSS, all from
//! `wait4`; the ratio of the wall time to `Box`'s and to `HotSpot-Parallel`'s;
//! and for the collectors their cycles (of those, young and full), total and
//! longest pause. HotSpot's come from its `-Xlog:gc` lines.
//!
//! **`--sweep`**: throughput against heap size, as GC research reports it.
//! First the smallest heap in which movegc (mode Move) runs the workload, by
//! bisection on a log scale between 1 MiB and 1 GiB to within 2% or 1 MiB (a
//! run that takes five times as long as in 1 GiB, plus 2 s, counts as failed,
//! and the search stops after 150 s, 20 s with `--quick`, with a coarser
//! answer); HotSpot Parallel's minimum `-Xmx` the same way. Then movegc Move
//! and stop-the-world and HotSpot Parallel and Serial at 1.5, 2, 3 and 6 times
//! movegc's minimum: wall time, its ratio to HotSpot Parallel's, peak RSS, and cycles
//! and the longest pause (`--runs` repeats these runs; the searches try each
//! heap size once).

use movegc_benches::{jdk_tool, line, run_child};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::rc::Rc;
use std::time::{Duration, Instant};

use gc_core::{
    Heap, Mode, Mutator, ObjRef, RootScanner, RootVisitor, TypeDescriptor, TypeId, TypeTable, WORD,
};

// ------------------------------------------------------------ the movegc VM

/// A minimal VM on movegc: a shadow stack of references, reported as roots.
struct Vm {
    m: Mutator,
    #[expect(
        clippy::box_collection,
        reason = "the root scanner keeps a pointer to the Vec, which must not move"
    )]
    stack: Box<Vec<usize>>,
    node: TypeId,
    doubles: TypeId,
}

/// Reports the VM's shadow stack to the collector.
struct StackRoots(*mut Vec<usize>);

// SAFETY: the collector calls the scanner only while the VM's thread is stopped,
// so the stack is never accessed from two threads at once.
unsafe impl Send for StackRoots {}

impl RootScanner for StackRoots {
    fn scan_roots(&mut self, roots: &mut RootVisitor<'_>) {
        // SAFETY: the stack outlives the mutator that owns this scanner.
        for slot in unsafe { &mut *self.0 }.iter_mut() {
            // SAFETY: a live element of the stack.
            unsafe { roots.visit_raw(slot, gc_core::SlotKind::Ref) };
        }
    }
}

/// The depth of the subtrees a tree check walks between two safepoint polls
/// (8,191 nodes, tens of microseconds).
const RAW_DEPTH: u32 = 12;

const LEFT: usize = WORD;
const RIGHT: usize = 2 * WORD;

impl Vm {
    fn new(heap: &Heap, node: TypeId, doubles: TypeId) -> Vm {
        let mut m = heap.attach().expect("attach");
        let mut stack = Box::new(Vec::with_capacity(64));
        m.add_root_scanner(Box::new(StackRoots(&mut *stack)));
        Vm {
            m,
            stack,
            node,
            doubles,
        }
    }

    #[inline(always)]
    fn alloc_node(&mut self) -> ObjRef {
        self.m
            .alloc(self.node, 0)
            .expect("the heap is large enough")
    }

    #[inline(always)]
    fn set(&mut self, obj: ObjRef, slot: usize, v: ObjRef) {
        // SAFETY: `obj` and `v` are current (no allocation since they were read) and
        // `slot` is a reference slot of a node.
        unsafe { self.m.write_ref(obj, slot, Some(v)) };
    }

    fn top(&self) -> ObjRef {
        ObjRef::from_addr(*self.stack.last().expect("pushed")).expect("non-null")
    }

    /// A complete tree of `depth`, built bottom-up.
    fn bottom_up(&mut self, depth: u32) -> ObjRef {
        let node = self.alloc_node();
        if depth == 0 {
            return node;
        }
        self.stack.push(node.addr());
        let left = self.bottom_up(depth - 1);
        let node = self.top();
        self.set(node, LEFT, left);
        let right = self.bottom_up(depth - 1);
        let node = ObjRef::from_addr(self.stack.pop().expect("pushed")).expect("non-null");
        self.set(node, RIGHT, right);
        node
    }

    /// Gives the childless `node` (on top of the stack) two children, recursively, top-down.
    fn populate(&mut self, depth: u32) {
        if depth == 0 {
            return;
        }
        for slot in [LEFT, RIGHT] {
            let child = self.alloc_node();
            let node = self.top();
            self.set(node, slot, child);
            self.stack.push(child.addr());
            self.populate(depth - 1);
            self.stack.pop();
        }
    }

    /// The nodes of the tree at `node`, `depth` levels deep, counted with a
    /// safepoint poll between subtrees of at most [`RAW_DEPTH`] levels: the
    /// path down to them is on the shadow stack, so a collection at a poll
    /// moves the nodes and rewrites the path, and a subtree is walked on raw
    /// references, as a VM's compiled code walks between its polls. A walk
    /// that never polled kept every pause requested meanwhile waiting for
    /// the whole tree (binary-trees 21: pauses of up to 16.6 ms, all of it the
    /// time to reach a safepoint); one that kept every node on the shadow
    /// stack took 18% longer in all.
    fn check(&mut self, node: ObjRef, depth: u32) -> u64 {
        if depth <= RAW_DEPTH {
            return self.check_raw(node);
        }
        self.stack.push(node.addr());
        let mut n = 1;
        for slot in [LEFT, RIGHT] {
            // SAFETY: the node on top of the stack, read after the last poll.
            if let Some(child) = unsafe { self.m.read_ref(self.top(), slot) } {
                n += self.check(child, depth - 1);
                self.m.safepoint();
            }
        }
        self.stack.pop();
        n
    }

    /// The nodes of the tree at `node`, with no safepoint meanwhile.
    fn check_raw(&self, node: ObjRef) -> u64 {
        // SAFETY: a reachable node; checking allocates nothing and does not
        // poll, so it stays current.
        let (l, r) = unsafe { (self.m.read_ref(node, LEFT), self.m.read_ref(node, RIGHT)) };
        1 + l.map_or(0, |l| self.check_raw(l)) + r.map_or(0, |r| self.check_raw(r))
    }
}

/// A heap for `workload`, with its node type and GCBench's array type.
fn movegc_heap(size: usize, mode: Mode, workload: Workload) -> (Heap, TypeId, TypeId) {
    let t = TypeTable::new();
    // GCBench's node has two ints as well; binary-trees' has only the links,
    // as the Java programs' nodes do.
    let words = match workload {
        Workload::BinaryTrees(_) => 3,
        Workload::GcBench { .. } => 4,
    };
    let node = t
        .register(TypeDescriptor::fixed(
            "node",
            words * WORD,
            &[LEFT as u32, RIGHT as u32],
            &[],
        ))
        .expect("valid");
    let doubles = t
        .register(TypeDescriptor::words("double[]"))
        .expect("valid");
    let heap = Heap::builder()
        .size(size)
        .mode(mode)
        .types(t)
        .build()
        .expect("heap");
    (heap, node, doubles)
}

// ------------------------------------------------------------ binary-trees

struct BoxNode(Option<(Box<BoxNode>, Box<BoxNode>)>);

fn box_tree(d: u32) -> Box<BoxNode> {
    Box::new(BoxNode((d > 0).then(|| (box_tree(d - 1), box_tree(d - 1)))))
}

fn box_check(n: &BoxNode) -> u64 {
    1 + n.0.as_ref().map_or(0, |(l, r)| box_check(l) + box_check(r))
}

struct RcNode(Option<(Rc<RcNode>, Rc<RcNode>)>);

fn rc_tree(d: u32) -> Rc<RcNode> {
    Rc::new(RcNode((d > 0).then(|| (rc_tree(d - 1), rc_tree(d - 1)))))
}

fn rc_check(n: &RcNode) -> u64 {
    1 + n.0.as_ref().map_or(0, |(l, r)| rc_check(l) + rc_check(r))
}

/// What binary-trees needs of a memory manager.
trait Trees {
    /// Builds a tree of `depth` bottom-up, checks it, and lets it die.
    fn build_check(&mut self, depth: u32) -> u64;
    /// Builds the long-lived tree.
    fn keep(&mut self, depth: u32);
    /// Checks the long-lived tree, `depth` levels deep.
    fn check_kept(&mut self, depth: u32) -> u64;
}

/// The Benchmarks Game's schedule, single-threaded; returns the checks' sum.
fn binary_trees(n: u32, t: &mut impl Trees) -> u64 {
    const MIN: u32 = 4;
    let max = n.max(MIN + 2);
    let mut digest = t.build_check(max + 1);
    t.keep(max);
    for d in (MIN..=max).step_by(2) {
        for _ in 0..1u32 << (max - d + MIN) {
            digest += t.build_check(d);
        }
    }
    digest + t.check_kept(max)
}

#[derive(Default)]
struct BoxTrees(Option<Box<BoxNode>>);

impl Trees for BoxTrees {
    fn build_check(&mut self, d: u32) -> u64 {
        box_check(&box_tree(d))
    }
    fn keep(&mut self, d: u32) {
        self.0 = Some(box_tree(d));
    }
    fn check_kept(&mut self, _: u32) -> u64 {
        self.0.as_deref().map_or(0, box_check)
    }
}

#[derive(Default)]
struct RcTrees(Option<Rc<RcNode>>);

impl Trees for RcTrees {
    fn build_check(&mut self, d: u32) -> u64 {
        rc_check(&rc_tree(d))
    }
    fn keep(&mut self, d: u32) {
        self.0 = Some(rc_tree(d));
    }
    fn check_kept(&mut self, _: u32) -> u64 {
        self.0.as_deref().map_or(0, rc_check)
    }
}

impl Trees for Vm {
    fn build_check(&mut self, d: u32) -> u64 {
        let t = self.bottom_up(d);
        self.check(t, d)
    }
    fn keep(&mut self, d: u32) {
        let t = self.bottom_up(d);
        self.stack.push(t.addr());
    }
    fn check_kept(&mut self, depth: u32) -> u64 {
        let t = self.top();
        self.check(t, depth)
    }
}

// ------------------------------------------------------------ GCBench

const STRETCH: u32 = 18;
const LONG_LIVED: u32 = 16;
const ARRAY: usize = 500_000;
const MIN_TREE: u32 = 4;
const MAX_TREE: u32 = 16;

fn tree_size(d: u32) -> u64 {
    (1 << (d + 1)) - 1
}

fn num_iters(d: u32, stretch: u32) -> u64 {
    2 * tree_size(stretch) / tree_size(d)
}

#[derive(Default)]
struct GNode {
    left: Option<Box<GNode>>,
    right: Option<Box<GNode>>,
    _i: i32,
    _j: i32,
}

fn g_populate(d: u32, n: &mut GNode) {
    if d > 0 {
        let (mut l, mut r) = (Box::<GNode>::default(), Box::<GNode>::default());
        g_populate(d - 1, &mut l);
        g_populate(d - 1, &mut r);
        n.left = Some(l);
        n.right = Some(r);
    }
}

fn g_make(d: u32) -> Box<GNode> {
    if d == 0 {
        Box::default()
    } else {
        Box::new(GNode {
            left: Some(g_make(d - 1)),
            right: Some(g_make(d - 1)),
            _i: 0,
            _j: 0,
        })
    }
}

fn g_count(n: &GNode) -> u64 {
    1 + n.left.as_deref().map_or(0, g_count) + n.right.as_deref().map_or(0, g_count)
}

#[derive(Default)]
struct RNode {
    left: Option<Rc<RefCell<RNode>>>,
    right: Option<Rc<RefCell<RNode>>>,
    _i: i32,
    _j: i32,
}

fn r_populate(d: u32, n: &Rc<RefCell<RNode>>) {
    if d > 0 {
        let (l, r) = (
            Rc::new(RefCell::new(RNode::default())),
            Rc::new(RefCell::new(RNode::default())),
        );
        r_populate(d - 1, &l);
        r_populate(d - 1, &r);
        let mut n = n.borrow_mut();
        n.left = Some(l);
        n.right = Some(r);
    }
}

fn r_make(d: u32) -> Rc<RefCell<RNode>> {
    let n = RNode::default();
    let n = if d == 0 {
        n
    } else {
        RNode {
            left: Some(r_make(d - 1)),
            right: Some(r_make(d - 1)),
            ..n
        }
    };
    Rc::new(RefCell::new(n))
}

fn r_count(n: &Rc<RefCell<RNode>>) -> u64 {
    let n = n.borrow();
    1 + n.left.as_ref().map_or(0, r_count) + n.right.as_ref().map_or(0, r_count)
}

// ------------------------------------------------------------ GCBench variants

fn gcbench_box(stretch: u32, long_lived: u32, max_tree: u32) -> u64 {
    let mut digest = g_count(&g_make(stretch));
    let mut keep = GNode::default();
    g_populate(long_lived, &mut keep);
    let array: Vec<f64> = (0..ARRAY)
        .map(|i| if i == 0 { 0.0 } else { 1.0 / i as f64 })
        .collect();
    for d in (MIN_TREE..=max_tree).step_by(2) {
        for _ in 0..num_iters(d, stretch) {
            let mut t = GNode::default();
            g_populate(d, &mut t);
            digest += g_count(&t);
        }
        for _ in 0..num_iters(d, stretch) {
            digest += g_count(&g_make(d));
        }
    }
    digest + g_count(&keep) + (array[1000] * 1e6) as u64
}

fn gcbench_rc(stretch: u32, long_lived: u32, max_tree: u32) -> u64 {
    let mut digest = r_count(&r_make(stretch));
    let keep = Rc::new(RefCell::new(RNode::default()));
    r_populate(long_lived, &keep);
    let array: Vec<f64> = (0..ARRAY)
        .map(|i| if i == 0 { 0.0 } else { 1.0 / i as f64 })
        .collect();
    for d in (MIN_TREE..=max_tree).step_by(2) {
        for _ in 0..num_iters(d, stretch) {
            let t = Rc::new(RefCell::new(RNode::default()));
            r_populate(d, &t);
            digest += r_count(&t);
        }
        for _ in 0..num_iters(d, stretch) {
            digest += r_count(&r_make(d));
        }
    }
    digest + r_count(&keep) + (array[1000] * 1e6) as u64
}

fn gcbench_movegc(vm: &mut Vm, stretch: u32, long_lived: u32, max_tree: u32) -> u64 {
    let pop = |vm: &mut Vm| ObjRef::from_addr(vm.stack.pop().expect("pushed")).expect("non-null");
    let t = vm.bottom_up(stretch);
    let mut digest = vm.check(t, stretch);
    let keep = vm.alloc_node();
    vm.stack.push(keep.addr());
    vm.populate(long_lived);
    let array =
        vm.m.alloc(vm.doubles, ARRAY as u32)
            .expect("room for the array");
    for i in 1..ARRAY {
        // SAFETY: element `i` of the fresh array.
        unsafe { array.write_word(WORD + i * WORD, (1.0 / i as f64).to_bits() as usize) };
    }
    vm.stack.push(array.addr());
    for d in (MIN_TREE..=max_tree).step_by(2) {
        for _ in 0..num_iters(d, stretch) {
            let t = vm.alloc_node();
            vm.stack.push(t.addr());
            vm.populate(d);
            let t = pop(vm);
            digest += vm.check(t, d);
        }
        for _ in 0..num_iters(d, stretch) {
            let t = vm.bottom_up(d);
            digest += vm.check(t, d);
        }
    }
    let array = pop(vm);
    let keep = pop(vm);
    // SAFETY: element 1000 of the live array.
    let x = f64::from_bits(unsafe { array.read_word(WORD + 1000 * WORD) } as u64);
    digest + vm.check(keep, long_lived) + (x * 1e6) as u64
}

// ------------------------------------------------------------ the variants

#[derive(Clone, Copy, Debug, PartialEq)]
enum Workload {
    BinaryTrees(u32),
    GcBench {
        stretch: u32,
        long_lived: u32,
        max_tree: u32,
    },
}

impl Workload {
    /// The Java program (in `benches/java`) that runs it, and its arguments.
    fn java(self) -> (&'static str, Vec<String>) {
        match self {
            Workload::BinaryTrees(n) => ("BinaryTrees", vec![n.to_string()]),
            Workload::GcBench {
                stretch,
                long_lived,
                max_tree,
            } => (
                "GCBench",
                [stretch, long_lived, max_tree]
                    .map(|v| v.to_string())
                    .to_vec(),
            ),
        }
    }
}

struct Bench {
    name: &'static str,
    title: &'static str,
    workload: Workload,
    /// The heap of the side-by-side run, and the sweep's upper bound.
    heap_mib: usize,
}

const BENCHES: [Bench; 5] = [
    Bench {
        name: "binary-trees-18",
        title: "binary-trees 18",
        workload: Workload::BinaryTrees(18),
        heap_mib: 1024,
    },
    Bench {
        name: "binary-trees-21",
        title: "binary-trees 21",
        workload: Workload::BinaryTrees(21),
        heap_mib: 1024,
    },
    Bench {
        name: "gcbench",
        title: "GCBench",
        workload: Workload::GcBench {
            stretch: STRETCH,
            long_lived: LONG_LIVED,
            max_tree: MAX_TREE,
        },
        heap_mib: 1024,
    },
    Bench {
        name: "binary-trees-14",
        title: "binary-trees 14",
        workload: Workload::BinaryTrees(14),
        heap_mib: 8,
    },
    Bench {
        name: "gcbench-small",
        title: "GCBench (small)",
        workload: Workload::GcBench {
            stretch: 14,
            long_lived: 12,
            max_tree: 12,
        },
        heap_mib: 8,
    },
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Box,
    Rc,
    Movegc(Mode),
    /// HotSpot with the collector this flag selects.
    HotSpot(&'static str),
}

struct Variant {
    name: &'static str,
    kind: Kind,
}

const BOX: &str = "Box";
const PARALLEL: &str = "HotSpot-Parallel";
/// The footprint the heap-size sweep compares movegc's peak RSS with.
const SERIAL: &str = "HotSpot-Serial";

/// Every variant, in the order they run and are printed.
const VARIANTS: [Variant; 8] = [
    Variant {
        name: BOX,
        kind: Kind::Box,
    },
    Variant {
        name: "Rc",
        kind: Kind::Rc,
    },
    Variant {
        name: "movegc-stw",
        kind: Kind::Movegc(Mode::StopTheWorld),
    },
    Variant {
        name: "movegc-move",
        kind: Kind::Movegc(Mode::Move),
    },
    Variant {
        name: "movegc-copy",
        kind: Kind::Movegc(Mode::Copy),
    },
    Variant {
        name: PARALLEL,
        kind: Kind::HotSpot("-XX:+UseParallelGC"),
    },
    Variant {
        name: SERIAL,
        kind: Kind::HotSpot("-XX:+UseSerialGC"),
    },
    Variant {
        name: "HotSpot-G1",
        kind: Kind::HotSpot("-XX:+UseG1GC"),
    },
];

fn variant(name: &str) -> &'static Variant {
    VARIANTS.iter().find(|v| v.name == name).expect("a variant")
}

// ------------------------------------------------------------ a child process

/// Runs `kind` (Box, Rc or movegc) of `bench` here and prints its result (the
/// digest), and for movegc the collector's figures, as numbers on one line.
fn child(bench: &Bench, kind: Kind, heap_mib: usize) {
    let digest = match (bench.workload, kind) {
        (Workload::BinaryTrees(n), Kind::Box) => binary_trees(n, &mut BoxTrees::default()),
        (Workload::BinaryTrees(n), Kind::Rc) => binary_trees(n, &mut RcTrees::default()),
        (
            Workload::GcBench {
                stretch,
                long_lived,
                max_tree,
            },
            Kind::Box,
        ) => gcbench_box(stretch, long_lived, max_tree),
        (
            Workload::GcBench {
                stretch,
                long_lived,
                max_tree,
            },
            Kind::Rc,
        ) => gcbench_rc(stretch, long_lived, max_tree),
        (workload, Kind::Movegc(mode)) => {
            let (heap, node, doubles) = movegc_heap(heap_mib << 20, mode, workload);
            let mut vm = Vm::new(&heap, node, doubles);
            let digest = match workload {
                Workload::BinaryTrees(n) => binary_trees(n, &mut vm),
                Workload::GcBench {
                    stretch,
                    long_lived,
                    max_tree,
                } => gcbench_movegc(&mut vm, stretch, long_lived, max_tree),
            };
            let s = heap.stats();
            println!(
                "{digest} {} {} {} {} {} {}",
                s.collections,
                s.young_cycles,
                s.full_cycles,
                s.total_pause.as_secs_f64() * 1e3,
                s.max_pause.as_secs_f64() * 1e3,
                s.reference_time.as_secs_f64() * 1e3,
            );
            return;
        }
        (_, Kind::HotSpot(_)) => unreachable!("HotSpot runs in a JVM"),
    };
    println!("{digest}");
}

/// A collector's figures for one run.
#[derive(Clone, Copy)]
struct Gc {
    cycles: u64,
    /// Cycles that collected the young generation only.
    young: u64,
    /// Cycles that collected the whole heap.
    full: u64,
    total_pause_ms: f64,
    max_pause_ms: f64,
    /// movegc: time in the reference tables' processing and rewriting, in
    /// pauses (the cost of weak references, finalization and identity
    /// hashes; with none in use, of their empty tables).
    references_ms: Option<f64>,
}

/// HotSpot's collector's figures from its `-Xlog:gc` lines, e.g.
/// `[0.185s][info][gc] GC(0) Pause Young (Allocation Failure) 256M->8M(981M) 5.317ms`.
/// A cycle is a `GC(n)` number: a G1 concurrent cycle is one, with its remark
/// and cleanup pauses, and is neither young nor full (G1's mixed collections,
/// `Pause Young (Mixed)`, count as young).
fn hotspot_gc(stderr: &str) -> Gc {
    let (mut ids, mut young, mut full) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let (mut total, mut max) = (0.0, 0.0f64);
    for l in stderr.lines().filter(|l| l.contains("][gc]")) {
        let Some(id) = l
            .split_once(" GC(")
            .and_then(|(_, rest)| rest.split_once(')'))
            .and_then(|(id, _)| id.parse::<u64>().ok())
        else {
            continue;
        };
        ids.insert(id);
        if l.contains(" Pause Young") {
            young.insert(id);
        } else if l.contains(" Pause Full") {
            full.insert(id);
        }
        if let Some(ms) = movegc_benches::hotspot_pause_ms(l) {
            total += ms;
            max = max.max(ms);
        }
    }
    Gc {
        cycles: ids.len() as u64,
        young: young.len() as u64,
        full: full.len() as u64,
        total_pause_ms: total,
        max_pause_ms: max,
        references_ms: None,
    }
}

/// One run's figures, or the medians of several runs'.
#[derive(Clone, Copy)]
struct Figures {
    wall_s: f64,
    user_s: f64,
    sys_s: f64,
    minor_faults: u64,
    peak_rss_mib: f64,
    /// None for `Box` and `Rc`.
    gc: Option<Gc>,
}

/// The median (of an even number, the lower middle: a value that was seen).
fn median<T: Copy + PartialOrd>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[(v.len() - 1) / 2]
}

impl Figures {
    /// Each figure's median, taken figure by figure.
    fn median(runs: &[Figures]) -> Figures {
        let m = |f: fn(&Figures) -> f64| median(runs.iter().map(f).collect());
        let ms =
            |f: fn(&Gc) -> f64| median(runs.iter().filter_map(|r| r.gc.as_ref().map(f)).collect());
        let count =
            |f: fn(&Gc) -> u64| median(runs.iter().filter_map(|r| r.gc.as_ref().map(f)).collect());
        Figures {
            wall_s: m(|r| r.wall_s),
            user_s: m(|r| r.user_s),
            sys_s: m(|r| r.sys_s),
            minor_faults: median(runs.iter().map(|r| r.minor_faults).collect()),
            peak_rss_mib: m(|r| r.peak_rss_mib),
            gc: runs[0].gc.map(|_| Gc {
                cycles: count(|g| g.cycles),
                young: count(|g| g.young),
                full: count(|g| g.full),
                total_pause_ms: ms(|g| g.total_pause_ms),
                max_pause_ms: ms(|g| g.max_pause_ms),
                references_ms: runs[0]
                    .gc
                    .and_then(|g| g.references_ms)
                    .map(|_| ms(|g| g.references_ms.unwrap_or(0.0))),
            }),
        }
    }
}

/// One variant's run.
struct Run {
    figures: Figures,
    digest: u64,
}

/// Runs `v` of `bench` with a heap of `heap_mib` in a process of its own, so
/// that no other variant's memory (the allocator keeps what it freed) shows in
/// its figures. `java` is the directory of the compiled Java workloads.
fn measure(
    bench: &Bench,
    v: &Variant,
    heap_mib: usize,
    java: Option<&Path>,
    timeout: Option<Duration>,
    gc_log: bool,
) -> Result<Run, String> {
    let mut cmd;
    if let Kind::HotSpot(collector) = v.kind {
        let classes = java.ok_or("the Java workloads are not compiled")?;
        let (class, args) = bench.workload.java();
        cmd = jdk_tool("java");
        // -Xms as -Xmx: a heap of fixed size, as movegc's is, and no sizing
        // policy to tell apart from the collector.
        cmd.arg(collector)
            .arg(format!("-Xms{heap_mib}m"))
            .arg(format!("-Xmx{heap_mib}m"))
            .arg("-Xlog:gc:stderr")
            .arg("-cp")
            .arg(classes)
            .arg(class)
            .args(args);
    } else {
        cmd = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
        cmd.args(["--child", bench.name, v.name, &heap_mib.to_string()]);
        if gc_log {
            cmd.arg("--gc-log");
        }
    }
    let exit = run_child(&mut cmd, timeout)?;
    if gc_log {
        eprint!("{}", exit.stderr);
    }
    if exit.status != 0 {
        let last = exit.stderr.lines().rfind(|l| !l.trim().is_empty());
        return Err(format!(
            "exit status {}: {}",
            exit.status,
            last.unwrap_or("(nothing on stderr)")
        ));
    }
    let words: Vec<&str> = exit.stdout.split_whitespace().collect();
    let num = |i: usize| words.get(i).and_then(|w| w.parse::<f64>().ok());
    let digest = words
        .first()
        .and_then(|w| w.parse().ok())
        .ok_or_else(|| format!("no result on its stdout: {:?}", exit.stdout))?;
    let gc = match v.kind {
        Kind::Box | Kind::Rc => None,
        Kind::HotSpot(_) => Some(hotspot_gc(&exit.stderr)),
        Kind::Movegc(_) => match (num(1), num(2), num(3), num(4), num(5), num(6)) {
            (Some(cycles), Some(young), Some(full), Some(total), Some(max), references) => {
                Some(Gc {
                    cycles: cycles as u64,
                    young: young as u64,
                    full: full as u64,
                    total_pause_ms: total,
                    max_pause_ms: max,
                    references_ms: references,
                })
            }
            _ => return Err(format!("no GC figures on its stdout: {:?}", exit.stdout)),
        },
    };
    Ok(Run {
        figures: Figures {
            wall_s: exit.wall_s,
            user_s: exit.user_s,
            sys_s: exit.sys_s,
            minor_faults: exit.minor_faults,
            peak_rss_mib: exit.peak_rss_mib,
            gc,
        },
        digest,
    })
}

/// Compiles the Java workloads next to this program, into the directory it
/// returns; the reason when it cannot, or when `java` does not run.
fn compile_java() -> Result<PathBuf, String> {
    movegc_benches::compile_java(
        "gc-workloads-java",
        &["BinaryTrees.java", "GCBench.java"].map(|f| Path::new(JAVA_SOURCES).join(f)),
    )
}

/// The Java workloads' sources.
const JAVA_SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/java");

// ------------------------------------------------------------ many runs

/// Each variant's runs, or why it failed.
type Results = Vec<(&'static Variant, Result<Vec<Run>, String>)>;

/// Runs each of `variants` `runs` times at `heap_mib`, interleaved (every
/// variant once, then again), so that a change in the machine's load falls on
/// all of them alike.
fn measure_all(
    bench: &Bench,
    variants: &[&'static Variant],
    heap_mib: usize,
    java: Option<&Path>,
    timeout: Option<Duration>,
    runs: usize,
    gc_log: bool,
) -> Results {
    let mut results: Results = variants.iter().map(|v| (*v, Ok(Vec::new()))).collect();
    for _ in 0..runs {
        for (v, result) in &mut results {
            if let Ok(done) = result {
                match measure(bench, v, heap_mib, java, timeout, gc_log) {
                    Ok(run) => done.push(run),
                    Err(why) => *result = Err(why),
                }
            }
        }
    }
    results
}

/// Each variant's medians, of those whose every run computed `expected` (by
/// default, the first run's result); a `failed` line, named by `label`, for
/// each of the others. Also the result, and whether every variant ran right.
fn medians(
    label: &str,
    results: Results,
    expected: Option<u64>,
) -> (Vec<(&'static Variant, Figures)>, Option<u64>, bool) {
    let expected = expected.or_else(|| {
        results
            .iter()
            .find_map(|(_, r)| r.as_ref().ok()?.first().map(|run| run.digest))
    });
    let mut ok = true;
    let mut figures = Vec::new();
    for (v, result) in results {
        let fail = |why: String| line(&format!("{label}, {}, failed", v.name), why);
        match result {
            Err(why) => fail(why),
            Ok(runs) => match runs.iter().find(|r| Some(r.digest) != expected) {
                Some(wrong) => fail(format!(
                    "its result is {}, not {}",
                    wrong.digest,
                    expected.unwrap_or_default()
                )),
                None => {
                    let each: Vec<Figures> = runs.iter().map(|r| r.figures).collect();
                    figures.push((v, Figures::median(&each)));
                    continue;
                }
            },
        }
        ok = false;
    }
    (figures, expected, ok)
}

/// The wall time of variant `name`, if it ran.
fn wall_of(figures: &[(&Variant, Figures)], name: &str) -> Option<f64> {
    figures
        .iter()
        .find(|(v, _)| v.name == name)
        .map(|(_, f)| f.wall_s)
}

// ------------------------------------------------------------ side by side

/// Runs every variant of `bench` at its heap size and prints their figures;
/// tells whether all ran and computed the same result.
fn side_by_side(
    bench: &Bench,
    variants: &[&'static Variant],
    java: Option<&Path>,
    runs: usize,
    gc_log: bool,
) -> bool {
    let label = bench.title;
    line(&format!("{label}, heap MiB"), bench.heap_mib);
    let results = measure_all(bench, variants, bench.heap_mib, java, None, runs, gc_log);
    let (figures, result, ok) = medians(label, results, None);
    if let Some(result) = result {
        line(&format!("{label}, result"), result);
    }
    for (v, f) in &figures {
        let name = |figure: &str| format!("{label}, {}, {figure}", v.name);
        line(&name("wall s"), format!("{:.3}", f.wall_s));
        for base in [BOX, PARALLEL] {
            if v.name != base
                && let Some(b) = wall_of(&figures, base)
            {
                line(&name(&format!("/ {base}")), format!("{:.2}", f.wall_s / b));
            }
        }
        line(&name("user s"), format!("{:.3}", f.user_s));
        line(&name("sys s"), format!("{:.3}", f.sys_s));
        line(&name("minor faults"), f.minor_faults);
        line(&name("peak RSS MiB"), format!("{:.0}", f.peak_rss_mib));
        if let Some(gc) = &f.gc {
            line(&name("cycles"), gc.cycles);
            line(&name("young cycles"), gc.young);
            line(&name("full cycles"), gc.full);
            line(&name("total pause ms"), format!("{:.1}", gc.total_pause_ms));
            line(&name("max pause ms"), format!("{:.1}", gc.max_pause_ms));
            if let Some(ms) = gc.references_ms {
                line(&name("reference tables ms"), format!("{ms:.3}"));
            }
        }
    }
    ok
}

// ------------------------------------------------------------ heap-size sweep

/// The sweep's heap sizes, as multiples of movegc's minimum heap.
const FACTORS: [f64; 4] = [1.5, 2.0, 3.0, 6.0];

/// The smallest heap a variant ran a workload in.
struct Minimum {
    mib: usize,
    /// The largest heap it was seen to fail in (0: none tried).
    failed_mib: usize,
    runs: u32,
    secs: f64,
    digest: u64,
    /// The time a run was given before it counted as failed.
    timeout: Duration,
}

/// Finds the smallest heap, in MiB, in which `v` runs `bench` to its end with
/// the right result, by bisection (on a log scale: the minimum may be anywhere
/// from 1 MiB to the bench's heap) to within 2% or 1 MiB. A run taking over
/// five times as long as in the bench's heap (plus 2 s for start-up) counts as
/// failed: near the minimum, a collector that thrashes has not usefully
/// finished. The search stops after `limit`, with a coarser answer.
fn minimum_heap(
    bench: &Bench,
    v: &Variant,
    java: Option<&Path>,
    limit: Duration,
) -> Result<Minimum, String> {
    let start = Instant::now();
    let top = measure(bench, v, bench.heap_mib, java, None, false)
        .map_err(|e| format!("{} MiB: {e}", bench.heap_mib))?;
    let timeout = Duration::from_secs_f64(top.figures.wall_s * 5.0 + 2.0);
    let (mut lo, mut hi, mut runs) = (0, bench.heap_mib, 1);
    while hi - lo > (hi / 50).max(1) && start.elapsed() < limit {
        let mid = ((lo.max(1) as f64 * hi as f64).sqrt().round() as usize).clamp(lo + 1, hi - 1);
        runs += 1;
        match measure(bench, v, mid, java, Some(timeout), false) {
            Ok(o) if o.digest != top.digest => {
                return Err(format!(
                    "a wrong result in {mid} MiB: {} where {} MiB gave {}",
                    o.digest, bench.heap_mib, top.digest
                ));
            }
            Ok(_) => hi = mid,
            Err(_) => lo = mid,
        }
    }
    Ok(Minimum {
        mib: hi,
        failed_mib: lo,
        runs,
        secs: start.elapsed().as_secs_f64(),
        digest: top.digest,
        timeout,
    })
}

/// The sweep of `bench`: movegc's minimum heap, then movegc Move and STW and
/// HotSpot Parallel at multiples of it. Tells whether all ran and agreed.
fn sweep(bench: &Bench, java: Option<&Path>, runs: usize, quick: bool) -> bool {
    let limit = Duration::from_secs(if quick { 20 } else { 150 });
    let search = |v: &Variant| {
        let name = |figure: &str| format!("{}, sweep, {} {figure}", bench.title, v.name);
        match minimum_heap(bench, v, java, limit) {
            Ok(m) => {
                line(&name("minimum heap MiB"), m.mib);
                line(
                    &name("minimum heap search"),
                    format!(
                        "{} runs in {:.0} s, failed in {} MiB, time limit per run {:.1} s",
                        m.runs,
                        m.secs,
                        m.failed_mib,
                        m.timeout.as_secs_f64()
                    ),
                );
                Some(m)
            }
            Err(why) => {
                line(&name("minimum heap search failed"), why);
                None
            }
        }
    };
    let Some(min) = search(variant("movegc-move")) else {
        return false;
    };
    let hotspot_min = java.and_then(|_| search(variant(PARALLEL)));
    if let Some(h) = &hotspot_min {
        line(
            &format!(
                "{}, sweep, movegc-move minimum / {PARALLEL} minimum",
                bench.title
            ),
            format!("{:.2}", min.mib as f64 / h.mib as f64),
        );
    }
    // HotSpot first: the ratios are to Parallel; Serial is the footprint
    // to meet.
    let mut variants = Vec::new();
    if java.is_some() {
        variants.extend([variant(PARALLEL), variant(SERIAL)]);
    }
    variants.extend([variant("movegc-move"), variant("movegc-stw")]);
    let mut ok = true;
    for factor in FACTORS {
        let heap = (min.mib as f64 * factor).ceil() as usize;
        let label = format!("{}, {factor}x minimum ({heap} MiB)", bench.title);
        // Well past any run that finishes: only a hang meets it.
        let timeout = min.timeout * 4;
        let results = measure_all(bench, &variants, heap, java, Some(timeout), runs, false);
        let (figures, _, all_ran) = medians(&label, results, Some(min.digest));
        ok &= all_ran;
        for (v, f) in &figures {
            let name = |figure: &str| format!("{label}, {}, {figure}", v.name);
            line(&name("wall s"), format!("{:.3}", f.wall_s));
            if v.name != PARALLEL
                && let Some(b) = wall_of(&figures, PARALLEL)
            {
                line(
                    &name(&format!("/ {PARALLEL}")),
                    format!("{:.2}", f.wall_s / b),
                );
            }
            line(&name("peak RSS MiB"), format!("{:.0}", f.peak_rss_mib));
            if let Some(gc) = &f.gc {
                line(&name("cycles"), gc.cycles);
                line(&name("max pause ms"), format!("{:.1}", gc.max_pause_ms));
            }
        }
    }
    ok
}

// ------------------------------------------------------------ main

fn usage() -> ExitCode {
    let known: Vec<&str> = BENCHES.iter().map(|b| b.name).collect();
    eprintln!(
        "usage: gc-workloads [--quick] [--sweep] [--runs N] [--no-java] [--gc-log] [BENCH...]\n\
         where BENCH is one of {}",
        known.join(", ")
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gc_log = args.iter().any(|a| a == "--gc-log");
    if gc_log {
        movegc_benches::install_gc_log();
    }
    if let Some(at) = args.iter().position(|a| a == "--child") {
        let bench = args
            .get(at + 1)
            .and_then(|n| BENCHES.iter().find(|b| b.name == n));
        let v = args
            .get(at + 2)
            .and_then(|n| VARIANTS.iter().find(|v| v.name == n));
        let heap_mib = args.get(at + 3).and_then(|h| h.parse().ok());
        return match (bench, v, heap_mib) {
            (Some(bench), Some(v), Some(heap_mib)) if !matches!(v.kind, Kind::HotSpot(_)) => {
                child(bench, v.kind, heap_mib);
                ExitCode::SUCCESS
            }
            _ => {
                eprintln!("gc-workloads: bad child arguments {args:?}");
                ExitCode::from(2)
            }
        };
    }
    let (mut names, mut runs) = (Vec::new(), 1);
    let mut rest = args.iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--quick" | "--sweep" | "--no-java" | "--gc-log" => {}
            "--runs" => match rest.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => runs = n,
                _ => return usage(),
            },
            n if BENCHES.iter().any(|b| b.name == n) => names.push(n),
            _ => return usage(),
        }
    }
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let (quick, sweeping) = (has("--quick"), has("--sweep"));
    let defaults: &[&str] = match (quick, sweeping) {
        (true, _) => &["binary-trees-14", "gcbench-small"],
        (false, false) => &["binary-trees-18", "binary-trees-21", "gcbench"],
        (false, true) => &["binary-trees-18", "gcbench"],
    };
    let wanted = if names.is_empty() {
        defaults
    } else {
        &names[..]
    };
    let java = if has("--no-java") {
        line("HotSpot", "skipped: --no-java");
        None
    } else {
        compile_java()
            .inspect_err(|why| line("HotSpot", format!("skipped: {why}")))
            .ok()
    };
    let variants: Vec<&'static Variant> = VARIANTS
        .iter()
        .filter(|v| java.is_some() || !matches!(v.kind, Kind::HotSpot(_)))
        .collect();
    let mut ok = true;
    for bench in BENCHES.iter().filter(|b| wanted.contains(&b.name)) {
        ok &= if sweeping {
            sweep(bench, java.as_deref(), runs, quick)
        } else {
            side_by_side(bench, &variants, java.as_deref(), runs, gc_log)
        };
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
