//! Classic GC workloads on movegc against `Box` and `Rc`, in one run:
//! binary-trees (Benchmarks Game rules, single-threaded) and Boehm's GCBench.
//! One `name: value` line per figure.
//!
//! `cargo run --release -p movegc-benches --bin gc-workloads [--quick] [--gc-log] [BENCH...]`
//! where BENCH is `binary-trees-18`, `binary-trees-21` or `gcbench` (default: all
//! three); `--quick` runs small sizes (a smoke test), `--gc-log` prints the GC log
//! line of every collection on stderr. Each variant runs in a child process of its
//! own, so its peak RSS is its own.

use movegc_benches::{line, peak_rss_mib, reset_peak_rss};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

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

    fn check(&self, node: ObjRef) -> u64 {
        // SAFETY: a reachable node; checking allocates nothing, so it stays current.
        let (l, r) = unsafe { (self.m.read_ref(node, LEFT), self.m.read_ref(node, RIGHT)) };
        1 + l.map_or(0, |l| self.check(l)) + r.map_or(0, |r| self.check(r))
    }
}

fn movegc_heap(size: usize, mode: Mode) -> (Heap, TypeId, TypeId) {
    let mut t = TypeTable::new();
    // GCBench's node has two ints as well; binary-trees' needs only the links.
    let node = t
        .register(TypeDescriptor::fixed(
            "node",
            4 * WORD,
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
    /// Checks the long-lived tree.
    fn check_kept(&mut self) -> u64;
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
    digest + t.check_kept()
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
    fn check_kept(&mut self) -> u64 {
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
    fn check_kept(&mut self) -> u64 {
        self.0.as_deref().map_or(0, rc_check)
    }
}

impl Trees for Vm {
    fn build_check(&mut self, d: u32) -> u64 {
        let t = self.bottom_up(d);
        self.check(t)
    }
    fn keep(&mut self, d: u32) {
        let t = self.bottom_up(d);
        self.stack.push(t.addr());
    }
    fn check_kept(&mut self) -> u64 {
        let t = self.top();
        self.check(t)
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
    let mut digest = vm.check(t);
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
            digest += vm.check(t);
        }
        for _ in 0..num_iters(d, stretch) {
            let t = vm.bottom_up(d);
            digest += vm.check(t);
        }
    }
    let array = pop(vm);
    let keep = pop(vm);
    // SAFETY: element 1000 of the live array.
    let x = f64::from_bits(unsafe { array.read_word(WORD + 1000 * WORD) } as u64);
    digest + vm.check(keep) + (x * 1e6) as u64
}

// ------------------------------------------------------------ driver

#[derive(Clone, Copy, Debug, PartialEq)]
enum Workload {
    BinaryTrees(u32),
    GcBench {
        stretch: u32,
        long_lived: u32,
        max_tree: u32,
    },
}

struct Bench {
    name: &'static str,
    title: &'static str,
    workload: Workload,
    heap: usize,
}

const BENCHES: [Bench; 5] = [
    Bench {
        name: "binary-trees-18",
        title: "binary-trees 18",
        workload: Workload::BinaryTrees(18),
        heap: 1 << 30,
    },
    Bench {
        name: "binary-trees-21",
        title: "binary-trees 21",
        workload: Workload::BinaryTrees(21),
        heap: 1 << 30,
    },
    Bench {
        name: "gcbench",
        title: "GCBench",
        workload: Workload::GcBench {
            stretch: STRETCH,
            long_lived: LONG_LIVED,
            max_tree: MAX_TREE,
        },
        heap: 1 << 30,
    },
    Bench {
        name: "binary-trees-14",
        title: "binary-trees 14",
        workload: Workload::BinaryTrees(14),
        heap: 8 << 20,
    },
    Bench {
        name: "gcbench-small",
        title: "GCBench (small)",
        workload: Workload::GcBench {
            stretch: 14,
            long_lived: 12,
            max_tree: 12,
        },
        heap: 8 << 20,
    },
];

/// `movegc` is the stop-the-world mode; `movegc-move` compacts concurrently
/// with `UFFDIO_MOVE`.
const VARIANTS: [&str; 5] = ["Box", "Rc", "movegc-stw", "movegc-move", "movegc-copy"];

/// One variant's run, measured in a process of its own so that no other
/// variant's memory (the allocator keeps what it freed) shows in its peak.
struct Outcome {
    wall_s: f64,
    peak_mib: f64,
    digest: u64,
    /// movegc only: collections, total and max pause in ms.
    gc: Option<(u64, f64, f64)>,
}

/// Runs `variant` of `bench` here and prints its outcome as one line for the parent.
fn child(bench: &Bench, variant: &str) {
    reset_peak_rss();
    let t = Instant::now();
    let mut gc = None;
    let digest = match (bench.workload, variant) {
        (Workload::BinaryTrees(n), "Box") => binary_trees(n, &mut BoxTrees::default()),
        (Workload::BinaryTrees(n), "Rc") => binary_trees(n, &mut RcTrees::default()),
        (
            Workload::GcBench {
                stretch,
                long_lived,
                max_tree,
            },
            "Box",
        ) => gcbench_box(stretch, long_lived, max_tree),
        (
            Workload::GcBench {
                stretch,
                long_lived,
                max_tree,
            },
            "Rc",
        ) => gcbench_rc(stretch, long_lived, max_tree),
        (workload, variant) => {
            let mode = match variant {
                "movegc-move" => Mode::Move,
                "movegc-copy" => Mode::Copy,
                _ => Mode::StopTheWorld,
            };
            let (heap, node, doubles) = movegc_heap(bench.heap, mode);
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
            gc = Some((
                s.collections,
                s.total_pause.as_secs_f64() * 1e3,
                s.max_pause.as_secs_f64() * 1e3,
            ));
            digest
        }
    };
    let wall = t.elapsed().as_secs_f64();
    let (gcs, total, max) = gc.unwrap_or((0, 0.0, 0.0));
    println!("{wall} {} {digest} {gcs} {total} {max}", peak_rss_mib());
}

fn spawn(bench: &Bench, variant: &str, gc_log: bool) -> Outcome {
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("own path"));
    cmd.args(["--child", bench.name, variant]);
    if gc_log {
        cmd.arg("--gc-log");
    }
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run a child");
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
    match (
        out.status.success(),
        num(0),
        num(1),
        f.get(2).and_then(|v| v.parse().ok()),
        num(3),
        num(4),
        num(5),
    ) {
        (true, Some(wall_s), Some(peak_mib), Some(digest), Some(gcs), Some(total), Some(max)) => {
            Outcome {
                wall_s,
                peak_mib,
                digest,
                gc: variant
                    .starts_with("movegc")
                    .then_some((gcs as u64, total, max)),
            }
        }
        _ => {
            eprintln!(
                "gc-workloads: {} {variant} failed ({}): {text}",
                bench.name, out.status
            );
            std::process::exit(1);
        }
    }
}

fn run(bench: &Bench, gc_log: bool) {
    let outcomes: Vec<Outcome> = VARIANTS.iter().map(|v| spawn(bench, v, gc_log)).collect();
    if outcomes.windows(2).any(|w| w[0].digest != w[1].digest) {
        eprintln!(
            "gc-workloads: {}: the variants computed different results",
            bench.title
        );
        std::process::exit(1);
    }
    let base = outcomes[0].wall_s;
    for (variant, o) in VARIANTS.iter().zip(&outcomes) {
        line(
            &format!("{}, {variant}, wall s", bench.title),
            format!("{:.3}", o.wall_s),
        );
        if *variant != "Box" {
            line(
                &format!("{}, {variant} / Box", bench.title),
                format!("{:.2}", o.wall_s / base),
            );
        }
        line(
            &format!("{}, {variant}, peak RSS MiB", bench.title),
            format!("{:.0}", o.peak_mib),
        );
        if let Some((gcs, total, max)) = o.gc {
            line(&format!("{}, {variant}, GCs", bench.title), gcs);
            line(
                &format!("{}, {variant}, total pause ms", bench.title),
                format!("{total:.1}"),
            );
            line(
                &format!("{}, {variant}, max pause ms", bench.title),
                format!("{max:.1}"),
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gc_log = args.iter().any(|a| a == "--gc-log");
    if gc_log {
        movegc_benches::install_gc_log();
    }
    if let Some(at) = args.iter().position(|a| a == "--child") {
        let (name, variant) = (args.get(at + 1), args.get(at + 2));
        match (
            BENCHES.iter().find(|b| Some(&b.name.to_owned()) == name),
            variant,
        ) {
            (Some(bench), Some(variant)) if VARIANTS.contains(&variant.as_str()) => {
                child(bench, variant)
            }
            _ => {
                eprintln!("gc-workloads: bad child arguments {args:?}");
                std::process::exit(2);
            }
        }
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let names: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    if let Some(bad) = names
        .iter()
        .find(|n| !BENCHES.iter().any(|b| b.name == **n))
    {
        let known: Vec<&str> = BENCHES.iter().map(|b| b.name).collect();
        eprintln!(
            "gc-workloads: unknown benchmark {bad:?}; known: {}",
            known.join(", ")
        );
        std::process::exit(2);
    }
    let defaults: &[&str] = if quick {
        &["binary-trees-14", "gcbench-small"]
    } else {
        &["binary-trees-18", "binary-trees-21", "gcbench"]
    };
    let wanted = if names.is_empty() {
        defaults
    } else {
        &names[..]
    };
    for bench in BENCHES.iter().filter(|b| wanted.contains(&b.name)) {
        run(bench, gc_log);
    }
}
