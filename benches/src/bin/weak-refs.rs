//! What weak handles cost the pauses: the pause where marking ends checks
//! each handle's referent, and the compaction pause rewrites each handle
//! (past 16,384 entries in the reference tables, the cycle rewrites them
//! right after that pause instead).
//!
//! `cargo run --release -p movegc-benches --bin weak-refs [-- HANDLES CYCLES MODE]`
//! (defaults: 100000 handles, 20 cycles, mode `move`; `stw` compacts in the
//! pause, where the rewriting still comes before the slide).
//!
//! The heap holds `HANDLES` nodes in an array; the program runs `CYCLES`
//! full collections with no weak handle, then makes a handle to every node
//! and runs as many again, dropping half the nodes before each (so a handle
//! in two to a node that just died is cleared per cycle, until the array is
//! empty, and new nodes refill it). One `name: value` line per figure:
//! the final-mark and compaction pauses' medians without and with the
//! handles, the reference processing and rewriting times (medians), and
//! per handle.
//!
//! `weak-refs -- --hashes N [CYCLES MODE]` (defaults: 5 cycles, `move`)
//! measures identity hashes (`Mutator::identity_hash`) instead: the
//! collector keeps them in a table by address, purged of dead objects and
//! rebuilt under the new addresses when a cycle ends marking and compacts:
//! in those pauses for small tables, after them past 16,384 entries. `N` nodes live in an array, each allocated after a dead
//! one; `CYCLES` full cycles run with no hash, then as many with every node
//! hashed. Before each cycle every 16th node is replaced by a fresh one
//! (hashed too, in the second run), so nearly every node moves in every
//! cycle. One line per cycle and figure: its final-mark and compaction
//! pauses, the hash table's processing and rewriting, the hashes live; after
//! each run, three young cycles (`collect_young`) with fresh nodes to move
//! and the hashed ones old; then the medians, and the time hashing took per
//! node.

use std::time::{Duration, Instant};

use gc_core::{
    CycleStats, Heap, Mode, Mutator, PauseKind, Stats, TypeDescriptor, TypeId, TypeTable, Weak,
};
use movegc_benches::line;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// The medians of the pauses of `kind` among the cycles after `from`.
fn pauses(stats: &Stats, from: usize, kind: PauseKind) -> Duration {
    median(
        stats.pauses[from..]
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.duration)
            .collect(),
    )
}

/// Fills the array's empty slots with fresh nodes; with `weak` `Some`,
/// makes a handle to each new node there.
fn refill(m: &mut Mutator, node: TypeId, array: usize, n: usize, mut weak: Option<&mut Vec<Weak>>) {
    m.scope(|s| {
        let a = s.local(gc_core::ObjRef::from_addr(array));
        for i in 0..n {
            let arr = s.get(a).expect("array");
            // SAFETY: slot `i` of the live array.
            if unsafe { s.mutator().read_ref(arr, 8 + i * 8) }.is_some() {
                continue;
            }
            let obj = s.mutator().alloc(node, 0).expect("node");
            let arr = s.get(a).expect("array");
            // SAFETY: slot `i` of the live array; `obj` is fresh.
            unsafe {
                s.mutator().write_ref(arr, 8 + i * 8, Some(obj));
                if let Some(weak) = weak.as_deref_mut() {
                    weak.push(s.mutator().weak(obj));
                }
            }
        }
    });
}

/// A heap of `size` bytes in `mode` (`stw`, `copy`, else the default) with
/// two GC threads, and its node and array types.
fn build_heap(mode: Option<&str>, size: usize) -> (Heap, TypeId, TypeId) {
    let mode = match mode {
        Some("stw") => Mode::StopTheWorld,
        Some("copy") => Mode::Copy,
        _ => Mode::Auto,
    };
    let table = TypeTable::new();
    let node = table
        .register(TypeDescriptor::fixed("node", 32, &[8], &[]))
        .expect("a valid type");
    let array = table
        .register(TypeDescriptor::array("refs", gc_core::SlotKind::Ref))
        .expect("a valid type");
    let heap = Heap::builder()
        .size(size)
        .mode(mode)
        .gc_threads(2)
        .concurrent_threads(1)
        .types(table)
        .build()
        .expect("a heap");
    (heap, node, array)
}

/// The duration of `cycle`'s pause of `kind` (the sum, if it paused for it
/// more than once).
fn pause_of(cycle: &CycleStats, kind: PauseKind) -> Duration {
    cycle
        .pauses
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| p.duration)
        .sum()
}

/// `--hashes N [CYCLES MODE]`: the pauses of full cycles that compact `n`
/// nodes, without and with an identity hash for each.
fn hashes(heap: &Heap, node: TypeId, array: TypeId, n: usize, cycles: usize) {
    line("hashed_nodes", n);
    let mut m = heap.attach().expect("attach");
    let slot = |i: usize| 8 + i * 8;
    m.scope(|s| {
        let a = s.alloc(array, n as u32).expect("array");
        for i in 0..n {
            // Garbage below each node, so that the first cycle moves them all.
            s.mutator().alloc(node, 0).expect("node");
            let obj = s.mutator().alloc(node, 0).expect("node");
            let arr = s.get(a).expect("array");
            // SAFETY: slot `i` of the live array; `obj` is fresh.
            unsafe { s.mutator().write_ref(arr, slot(i), Some(obj)) };
        }
        let us = |d: Duration| format!("{:.1} us", d.as_secs_f64() * 1e6);
        let mut medians = Vec::new();
        for (label, hashing) in [("without", false), ("with", true)] {
            let mut hash_time = Duration::ZERO;
            let (mut final_marks, mut compactions) = (Vec::new(), Vec::new());
            for c in 0..cycles {
                for i in (c % 16..n).step_by(16) {
                    let obj = s.mutator().alloc(node, 0).expect("node");
                    let arr = s.get(a).expect("array");
                    // SAFETY: slot `i` of the live array; `obj` is fresh.
                    unsafe { s.mutator().write_ref(arr, slot(i), Some(obj)) };
                }
                if hashing {
                    let t = Instant::now();
                    let arr = s.get(a).expect("array");
                    for i in 0..n {
                        // SAFETY: slot `i` of the live array, and its node;
                        // no safepoint in this loop.
                        unsafe {
                            if let Some(obj) = s.mutator().read_ref(arr, slot(i)) {
                                std::hint::black_box(s.mutator().identity_hash(obj));
                            }
                        }
                    }
                    hash_time += t.elapsed();
                }
                s.mutator().collect().expect("a cycle");
                let last = heap.stats().last.expect("a cycle ran");
                let (fm, cp) = (
                    pause_of(&last, PauseKind::FinalMark),
                    pause_of(&last, PauseKind::Compaction),
                );
                let name = |figure: &str| format!("{label}_cycle{}_{figure}", c + 1);
                line(&name("final_mark"), us(fm));
                line(&name("compaction_pause"), us(cp));
                line(&name("max_pause"), us(last.pause));
                line(&name("hash_processing"), us(last.references.processing));
                line(&name("hash_rewriting"), us(last.references.rewriting));
                line(&name("hashes_live"), last.references.hashed);
                line(&name("hashes_dropped"), last.references.hashes_dropped);
                final_marks.push(fm);
                compactions.push(cp);
            }
            if hashing {
                // The first pass hashed all n nodes, the others the new ones
                // and looked the rest up.
                let per = hash_time.as_secs_f64() * 1e9 / (n * cycles) as f64;
                line("hash_call_ns_per_node", format!("{per:.1} ns"));
            }
            // Young cycles move only young objects, and the hashed nodes are
            // old: what do their pauses pay for the hashes? Each has young
            // nodes to move, held by a young array (no old object is written,
            // so the remembered set stays small enough for a young cycle).
            for y in 0..3 {
                let young = s.alloc(array, (n / 64) as u32).expect("array");
                for i in 0..n / 64 {
                    std::hint::black_box(s.mutator().alloc(node, 0).expect("node"));
                    let obj = s.mutator().alloc(node, 0).expect("node");
                    let arr = s.get(young).expect("array");
                    // SAFETY: slot `i` of the live young array; `obj` is fresh.
                    unsafe { s.mutator().write_ref(arr, slot(i), Some(obj)) };
                }
                s.mutator().collect_young().expect("a cycle");
                let last = heap.stats().last.expect("a cycle ran");
                let name = |figure: &str| format!("{label}_young{}_{figure}", y + 1);
                line(&name("kind"), format!("{:?}", last.kind));
                line(&name("max_pause"), us(last.pause));
                line(&name("hash_rewriting"), us(last.references.rewriting));
            }
            medians.push((label, median(final_marks), median(compactions)));
        }
        for (label, fm, cp) in medians {
            line(&format!("final_mark_{label}"), us(fm));
            line(&format!("compaction_pause_{label}"), us(cp));
        }
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--hashes") {
        let n: usize = args
            .get(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1_000_000);
        let cycles: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
        let (heap, node, array) = build_heap(args.get(3).map(String::as_str), 512 << 20);
        line("mode", format!("{:?}", heap.mode()));
        hashes(&heap, node, array, n, cycles);
        return;
    }
    let handles: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let cycles: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let (heap, node, array) = build_heap(args.get(2).map(String::as_str), 256 << 20);
    line("mode", format!("{:?}", heap.mode()));
    line("handles", handles);
    let mut m = heap.attach().expect("attach");
    m.scope(|s| {
        let a = s.alloc(array, handles as u32).expect("array");
        let mut weak = Vec::new();
        let run = |s: &mut gc_core::HandleScope<'_>, weak: &mut Vec<Weak>, with: bool| {
            let from = heap.stats().pauses.len();
            let mut processing = Vec::new();
            let mut rewriting = Vec::new();
            for c in 0..cycles {
                let arr = s.get(a).expect("array").addr();
                refill(s.mutator(), node, arr, handles, with.then_some(&mut *weak));
                let arr = s.get(a).expect("array");
                for i in (c % 2..handles).step_by(2) {
                    // SAFETY: slot `i` of the live array.
                    unsafe { s.mutator().write_ref(arr, 8 + i * 8, None) };
                }
                s.mutator().collect().expect("a cycle");
                let last = heap.stats().last.expect("a cycle ran");
                processing.push(last.references.processing);
                rewriting.push(last.references.rewriting);
                weak.retain(|w| w.get(s.mutator()).expect("this heap").is_some());
            }
            let stats = heap.stats();
            (
                pauses(&stats, from, PauseKind::FinalMark),
                pauses(&stats, from, PauseKind::Compaction),
                median(processing),
                median(rewriting),
            )
        };
        let (fm0, cp0, _, _) = run(s, &mut weak, false);
        // A handle to every node in the array, then the same cycles.
        let arr = s.get(a).expect("array");
        for i in 0..handles {
            // SAFETY: slot `i` of the live array; no safepoint in this loop.
            if let Some(obj) = unsafe { s.mutator().read_ref(arr, 8 + i * 8) } {
                // SAFETY: as above.
                weak.push(unsafe { s.mutator().weak(obj) });
            }
        }
        let (fm1, cp1, processing, rewriting) = run(s, &mut weak, true);
        let us = |d: Duration| format!("{:.1} us", d.as_secs_f64() * 1e6);
        let per = |d: Duration| format!("{:.1} ns", d.as_secs_f64() * 1e9 / handles as f64);
        line("final_mark_without", us(fm0));
        line("final_mark_with", us(fm1));
        line("compaction_pause_without", us(cp0));
        line("compaction_pause_with", us(cp1));
        line("processing", us(processing));
        line("processing_per_handle", per(processing));
        line("rewriting", us(rewriting));
        line("rewriting_per_handle", per(rewriting));
        line("final_mark_per_handle", per(fm1.saturating_sub(fm0)));
        line("compaction_pause_per_handle", per(cp1.saturating_sub(cp0)));
    });
}
