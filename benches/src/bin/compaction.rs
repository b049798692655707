//! What a compaction costs, in every mode, at 64 MiB, 256 MiB, 1 GiB and 4 GiB
//! of live data (issue 4's "Measure"): the compaction pause, the compaction's
//! CPU time (Move against Copy on the same heap), freshly faulted pages per
//! compacted page, and a mutator's fault latency on pages still in flight. One
//! `name: value` line per figure.
//!
//! `cargo run --release -p movegc-benches --bin compaction [--quick] [--stable] [--gc-log] [SIZE...]`
//! where SIZE is `64MiB`, `256MiB`, `1GiB` or `4GiB` (default: all four);
//! `--quick` runs 64 MiB with one cycle per mode (a smoke test), `--gc-log`
//! prints the GC log on stderr. `--stable` keeps the older half of the nodes
//! (the bottom of the heap) from being replaced, with generations on and every
//! measured cycle a full one the program asks for: what a full cycle costs
//! when half the live data did not change, which it leaves mapped.
//!
//! The variants: `stw`, `move` and `copy` (the modes), and `move-2`, Move
//! with two compaction threads (`HeapBuilder::compaction_threads`).
//!
//! The workload, per size and variant, in a child process of its own: sixteen
//! linked lists of fixed-size nodes (their heads are the only roots) hold the
//! live data. Before each measured cycle about half of the nodes, picked by a
//! hash, are replaced by fresh copies, which leaves holes all over the heap
//! (every object above the first hole slides), and garbage arrays are
//! allocated until the allocation budget triggers a collection. Right after
//! that allocation returns (the pause is over, the compaction in flight) the
//! mutator walks every list, timing the first access to each page; then it
//! waits for the compaction to end and reads the cycle's statistics.
//!
//! The figures: the compaction pause is [`CycleStats::compact`] (in the
//! concurrent modes: rewriting roots, registering, remapping; stop-the-world:
//! the whole slide), the worst over the cycles; the compaction's CPU time is
//! the compaction thread's CPU time plus the time mutators spent in their
//! SIGBUS handlers; fresh pages per compacted page is
//! [`CompactionStats::fresh_per_page`]; the mutator-side fault latency is the
//! time of the first access to a page, counted where it took over 1 us, and
//! the handler-side one is [`CompactionStats::faults`]. The rest are medians
//! over the cycles.

use movegc_benches::{Figures, child_figures, line, peak_rss_mib, reset_peak_rss};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use gc_core::{
    CompactionStats, CycleStats, HandleScope, Heap, Local, Mode, TypeDescriptor, TypeId, TypeTable,
    WORD,
};

const MIB: usize = 1 << 20;
const GIB: usize = 1 << 30;

/// A node's reference to the next node of its list.
const NEXT: usize = WORD;
/// A node's number, for the digest.
const ID: usize = 2 * WORD;
/// Lists holding the live data; their heads are the roots.
const LISTS: usize = 16;
/// Bytes of one garbage array (a header and 255 words).
const JUNK_WORDS: u32 = 255;
/// An access slower than this is counted as a fault.
const FAULT_THRESHOLD: Duration = Duration::from_micros(1);
/// A fault slower than this is counted as a stall too.
const STALL: Duration = Duration::from_millis(1);

/// One heap configuration.
struct Size {
    name: &'static str,
    title: &'static str,
    live: usize,
    heap: usize,
    node: usize,
}

const SIZES: [Size; 4] = [
    Size {
        name: "64MiB",
        title: "64 MiB",
        live: 64 * MIB,
        heap: 160 * MIB,
        node: 64,
    },
    Size {
        name: "256MiB",
        title: "256 MiB",
        live: 256 * MIB,
        heap: 640 * MIB,
        node: 64,
    },
    Size {
        name: "1GiB",
        title: "1 GiB",
        live: GIB,
        heap: 5 * GIB / 2,
        node: 64,
    },
    // 256-byte nodes: as many objects as 1 GiB of 64-byte ones, so that the
    // stop-the-world marking stays around a second.
    Size {
        name: "4GiB",
        title: "4 GiB",
        live: 4 * GIB,
        heap: 10 * GIB,
        node: 256,
    },
];

/// The variants: a name, the mode, and the compaction threads.
const MODES: [(&str, Mode, usize); 4] = [
    ("stw", Mode::StopTheWorld, 1),
    ("move", Mode::Move, 1),
    ("move-2", Mode::Move, 2),
    ("copy", Mode::Copy, 1),
];

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("compaction: {what}: {e}");
    std::process::exit(1);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The median of `xs` (upper median), or 0 for none.
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

/// The `q` quantile of sorted `xs` (nearest rank), or 0 for none.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Whether the node numbered `id` (of `nodes`) is replaced by a fresh copy
/// before cycle `cycle`; with `stable`, only nodes of the newer half are.
fn replaced(id: usize, nodes: usize, stable: bool, cycle: usize) -> bool {
    if stable && id < nodes / 2 {
        return false;
    }
    let h = (id as u64 ^ (cycle as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (h >> 40) & 1 == 1
}

// ------------------------------------------------------------ the child

/// One measured cycle.
struct Cycle {
    gc: CycleStats,
    compaction: Option<CompactionStats>,
    /// The walk right after the pause.
    walk: Duration,
    /// Whether the compaction ended before the walk did (the walk then ran
    /// alongside all of it).
    walk_outlasted: bool,
}

/// Walks every list from its head; returns the nodes seen and the sum of
/// their numbers. With `slow`, times the first access to each node on a page
/// other than the last node's, and keeps the accesses slower than
/// [`FAULT_THRESHOLD`].
fn walk(
    s: &mut HandleScope<'_>,
    heads: &[Local<'_>],
    mut slow: Option<&mut Vec<Duration>>,
) -> (usize, usize) {
    let (mut count, mut sum) = (0, 0);
    for &head in heads {
        let mut cur = s.get(head);
        let mut last_page = 0;
        while let Some(node) = cur {
            let page = node.addr() / 4096;
            if page != last_page
                && let Some(slow) = slow.as_deref_mut()
            {
                last_page = page;
                let t = Instant::now();
                // SAFETY: a reachable node's header; nothing allocates during the walk.
                unsafe { std::ptr::read_volatile(node.addr() as *const usize) };
                let took = t.elapsed();
                if took > FAULT_THRESHOLD {
                    slow.push(took);
                }
            }
            // SAFETY: a reachable node; nothing allocates during the walk, so it
            // and its successor stay current.
            unsafe {
                sum += node.read_word(ID);
                cur = s.mutator().read_ref(node, NEXT);
            }
            count += 1;
        }
    }
    (count, sum)
}

/// Replaces the nodes [`replaced`] picks for `cycle` by fresh copies; the old
/// ones become garbage where they lie. Returns the nodes replaced.
fn churn(
    s: &mut HandleScope<'_>,
    heads: &[Local<'_>],
    prev: Local<'_>,
    keep: Local<'_>,
    node_ty: TypeId,
    (nodes, stable): (usize, bool),
    cycle: usize,
) -> usize {
    let mut replaced_nodes = 0;
    for &head in heads {
        s.set(prev, None);
        let mut cur = s.get(head);
        while let Some(node) = cur {
            // SAFETY: `node` is current: read after the last allocation.
            let id = unsafe { node.read_word(ID) };
            if !replaced(id, nodes, stable, cycle) {
                s.set(prev, Some(node));
                // SAFETY: as above.
                cur = unsafe { s.mutator().read_ref(node, NEXT) };
                continue;
            }
            s.set(keep, Some(node));
            let fresh = s
                .mutator()
                .alloc(node_ty, 0)
                .unwrap_or_else(|e| fail("allocate a node", e));
            let node = s.get(keep).expect("kept");
            let before = s.get(prev);
            let m = s.mutator();
            // SAFETY: `fresh`, `node` and `before` are current (no allocation since
            // they were read), and NEXT and ID are a node's reference and data slots.
            unsafe {
                fresh.write_word(ID, id);
                let next = m.read_ref(node, NEXT);
                m.write_ref(fresh, NEXT, next);
                if let Some(p) = before {
                    m.write_ref(p, NEXT, Some(fresh));
                }
                cur = next;
            }
            if before.is_none() {
                s.set(head, Some(fresh));
            }
            s.set(prev, Some(fresh));
            replaced_nodes += 1;
        }
    }
    s.set(prev, None);
    s.set(keep, None);
    replaced_nodes
}

/// Builds the heap for `size` in `mode`, runs `cycles` measured cycles, and
/// prints the figures for the parent, one `key value` line each.
fn child(size: &Size, mode: Mode, compaction_threads: usize, cycles: usize, stable: bool) {
    reset_peak_rss();
    let started = Instant::now();
    let t = TypeTable::new();
    let node_ty = t
        .register(TypeDescriptor::fixed(
            "node",
            size.node,
            &[NEXT as u32],
            &[],
        ))
        .unwrap_or_else(|e| fail("register the node type", e));
    let junk_ty = t
        .register(TypeDescriptor::words("junk"))
        .unwrap_or_else(|e| fail("register the junk type", e));
    // Every cycle full: this measures the compaction of the whole live set
    // (a young cycle would leave it in place). Stable, the cycles are the
    // program's requests, with generations on (and no budget cycles).
    let policy = if stable {
        gc_core::Policy::default().young_budget(Some(size.heap))
    } else {
        gc_core::Policy::default().generational(false)
    };
    let heap = Heap::builder()
        .size(size.heap)
        .mode(mode)
        .compaction_threads(compaction_threads)
        .policy(policy)
        .types(t)
        .build()
        .unwrap_or_else(|e| fail("build the heap", e));
    let mut m = heap.attach().unwrap_or_else(|e| fail("attach", e));
    let nodes = size.live / size.node;
    let mut results = Vec::new();
    let mut slow = Vec::new();
    let mut build = Duration::ZERO;
    m.scope(|s| {
        let heads: Vec<Local<'_>> = (0..LISTS).map(|_| s.local(None)).collect();
        let tails: Vec<Local<'_>> = (0..LISTS).map(|_| s.local(None)).collect();
        let prev = s.local(None);
        let keep = s.local(None);
        for i in 0..nodes {
            let j = i % LISTS;
            let node = s
                .mutator()
                .alloc(node_ty, 0)
                .unwrap_or_else(|e| fail("allocate a node", e));
            let tail = s.get(tails[j]);
            // SAFETY: `node` and `tail` are current (no allocation since); ID is a
            // data slot and NEXT a reference slot of a node.
            unsafe {
                node.write_word(ID, i);
                if let Some(tail) = tail {
                    s.mutator().write_ref(tail, NEXT, Some(node));
                }
            }
            if tail.is_none() {
                s.set(heads[j], Some(node));
            }
            s.set(tails[j], Some(node));
        }
        for &tail in &tails {
            s.set(tail, None);
        }
        s.mutator().collect().unwrap_or_else(|e| fail("collect", e));
        build = started.elapsed();
        let digest = (nodes, nodes * (nodes - 1) / 2);
        if walk(s, &heads, None) != digest {
            fail("after building", "the lists are not what was built");
        }
        for cycle in 0..cycles {
            churn(s, &heads, prev, keep, node_ty, (nodes, stable), cycle);
            let before = heap.stats();
            if stable {
                s.mutator().collect().unwrap_or_else(|e| fail("collect", e));
            } else {
                let mut n = 0u64;
                loop {
                    s.mutator()
                        .alloc(junk_ty, JUNK_WORDS)
                        .unwrap_or_else(|e| fail("allocate garbage", e));
                    n += 1;
                    // A collection starts only when a TLAB is refilled, every 16 arrays.
                    if n % 4 == 0 && heap.stats().collections != before.collections {
                        break;
                    }
                }
            }
            let t = Instant::now();
            let seen = walk(s, &heads, Some(&mut slow));
            let walked = t.elapsed();
            let walk_outlasted =
                mode != Mode::StopTheWorld && heap.stats().compactions != before.compactions;
            if seen != digest {
                fail(
                    "after a collection",
                    format!("walked {seen:?} (count, sum), expected {digest:?}"),
                );
            }
            if mode != Mode::StopTheWorld {
                while heap.stats().compactions == before.compactions {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
            let st = heap.stats();
            if st.collections != before.collections + 1 {
                eprintln!(
                    "compaction: {} {mode:?}: {} collections in one measured cycle",
                    size.title,
                    st.collections - before.collections
                );
            }
            results.push(Cycle {
                gc: st.last.unwrap_or_default(),
                compaction: st.last_compaction,
                walk: walked,
                walk_outlasted,
            });
        }
    });
    drop(m);
    report(&results, slow, build, started.elapsed());
}

/// Prints a child's figures for the parent: pauses as the worst over the
/// cycles, the rest as the median over the cycles; mutator-side fault
/// latencies pooled over the cycles.
fn report(results: &[Cycle], mut slow: Vec<Duration>, build: Duration, wall: Duration) {
    let out = |key: &str, v: f64| println!("{key} {v}");
    let worst =
        |f: &dyn Fn(&Cycle) -> Duration| results.iter().map(|c| ms(f(c))).fold(0.0, f64::max);
    let med = |f: &dyn Fn(&Cycle) -> f64| median(results.iter().map(f).collect());
    out("cycles", results.len() as f64);
    out("build_s", build.as_secs_f64());
    out("child_s", wall.as_secs_f64());
    out("peak_rss_mib", peak_rss_mib());
    out("compact_ms", worst(&|c| c.gc.compact));
    out("pause_ms", worst(&|c| c.gc.pause));
    out("stop_ms", worst(&|c| c.gc.stop));
    out("mark_ms", med(&|c| ms(c.gc.mark)));
    out("plan_ms", med(&|c| ms(c.gc.plan)));
    out("live_mib", med(&|c| c.gc.live_bytes as f64 / MIB as f64));
    out("in_place", med(&|c| c.gc.pages_in_place as f64));
    out("remapped", med(&|c| c.gc.pages_remapped as f64));
    out("walk_ms", med(&|c| ms(c.walk)));
    if results.iter().any(|c| c.compaction.is_none()) {
        return;
    }
    let comp = |f: &dyn Fn(&CompactionStats) -> f64| med(&|c| c.compaction.as_ref().map_or(0.0, f));
    out(
        "walk_outlasted",
        results.iter().filter(|c| c.walk_outlasted).count() as f64,
    );
    // Allocation pages prepared ahead (Move mode only) are allocation's work,
    // not compaction's: in Copy mode the mutators' page faults do it later.
    out(
        "cpu_ms",
        comp(&|c| ms((c.gc_cpu + c.mutator_time).saturating_sub(c.allocation_prep))),
    );
    out("prep_ms", comp(&|c| ms(c.allocation_prep)));
    out("gc_cpu_ms", comp(&|c| ms(c.gc_cpu)));
    out("mutator_ms", comp(&|c| ms(c.mutator_time)));
    out("wall_ms", comp(&|c| ms(c.wall)));
    out("pages", comp(&|c| c.pages as f64));
    out("by_mutators", comp(&|c| c.by_mutators as f64));
    out("moved", comp(&|c| c.moved as f64));
    out("copied", comp(&|c| c.copied as f64));
    out("move_calls", comp(&|c| c.move_calls as f64));
    out("recycled", comp(&|c| c.buffers_recycled as f64));
    out("gc_minor_faults", comp(&|c| c.gc_minor_faults as f64));
    out("fresh_per_page", comp(&|c| c.fresh_per_page()));
    out("faults", comp(&|c| c.faults.count as f64));
    out("fault_median_us", comp(&|c| us(c.faults.median)));
    out("fault_p99_us", comp(&|c| us(c.faults.p99)));
    out(
        "fault_max_us",
        results
            .iter()
            .filter_map(|c| c.compaction.as_ref())
            .map(|c| us(c.faults.max))
            .fold(0.0, f64::max),
    );
    slow.sort_unstable();
    out("slow_per_cycle", slow.len() as f64 / results.len() as f64);
    let stalls = slow.iter().filter(|&&d| d > STALL).count();
    out("stalls_per_cycle", stalls as f64 / results.len() as f64);
    out("slow_median_us", us(quantile(&slow, 0.5)));
    out("slow_p99_us", us(quantile(&slow, 0.99)));
    out("slow_max_us", us(slow.last().copied().unwrap_or_default()));
}

// ------------------------------------------------------------ the parent

fn spawn(size: &Size, mode: &str, cycles: usize, stable: bool, gc_log: bool) -> Figures {
    let cycles = cycles.to_string();
    let mut args = vec!["--child", size.name, mode, &cycles];
    if gc_log {
        args.push("--gc-log");
    }
    if stable {
        args.push("--stable");
    }
    let what = format!("compaction: {} {mode}", size.title);
    child_figures(&what, &args).unwrap_or_else(|why| fail(&what, why))
}

/// Prints one size's figures, every mode's, with the ratios.
fn run(size: &Size, cycles: usize, stable: bool, gc_log: bool) -> BTreeMap<&'static str, Figures> {
    let figures: BTreeMap<&'static str, Figures> = MODES
        .iter()
        .map(|&(mode, _, _)| (mode, spawn(size, mode, cycles, stable, gc_log)))
        .collect();
    let title = &if stable {
        format!("{}, half stable", size.title)
    } else {
        size.title.to_owned()
    };
    let get = |mode: &str, key: &str| figures[mode].get(key).copied().unwrap_or(f64::NAN);
    let concurrent = ["move", "move-2", "copy"];
    line(
        &format!("setup, {title}"),
        format!(
            "heap {} MiB, {}-byte nodes, {} nodes in {LISTS} lists, {} cycles per mode",
            size.heap / MIB,
            size.node,
            size.live / size.node,
            get("move", "cycles")
        ),
    );
    for &(mode, _, _) in &MODES {
        line(
            &format!("live data, {title}, {mode}, MiB"),
            format!("{:.0}", get(mode, "live_mib")),
        );
        line(
            &format!("build, {title}, {mode}, s"),
            format!("{:.2}", get(mode, "build_s")),
        );
        line(
            &format!("peak RSS, {title}, {mode}, MiB"),
            format!("{:.0}", get(mode, "peak_rss_mib")),
        );
        line(
            &format!("pages left in place, {title}, {mode}"),
            format!(
                "{:.0} ({:.0} remapped)",
                get(mode, "in_place"),
                get(mode, "remapped")
            ),
        );
    }
    for &(mode, _, _) in &MODES {
        line(
            &format!("compaction pause, {title}, {mode}, ms"),
            format!("{:.3}", get(mode, "compact_ms")),
        );
    }
    for mode in concurrent {
        line(
            &format!("compaction pause, {title}, {mode} / stw"),
            format!("{:.4}", get(mode, "compact_ms") / get("stw", "compact_ms")),
        );
    }
    for &(mode, _, _) in &MODES {
        line(
            &format!("total pause, {title}, {mode}, ms"),
            format!("{:.2}", get(mode, "pause_ms")),
        );
        line(
            &format!("mark, {title}, {mode}, ms"),
            format!("{:.2}", get(mode, "mark_ms")),
        );
        line(
            &format!("plan, {title}, {mode}, ms"),
            format!("{:.2}", get(mode, "plan_ms")),
        );
    }
    for mode in concurrent {
        line(
            &format!("compaction cpu, {title}, {mode}, ms"),
            format!(
                "{:.2} (gc threads {:.2}, mutator fault handlers {:.2}, less allocation pages prepared {:.2})",
                get(mode, "cpu_ms"),
                get(mode, "gc_cpu_ms"),
                get(mode, "mutator_ms"),
                get(mode, "prep_ms")
            ),
        );
    }
    line(
        &format!("compaction wall, {title}, move-2 / move"),
        format!("{:.2}", get("move-2", "wall_ms") / get("move", "wall_ms")),
    );
    line(
        &format!("compaction cpu, {title}, move / copy"),
        format!("{:.2}", get("move", "cpu_ms") / get("copy", "cpu_ms")),
    );
    for mode in concurrent {
        line(
            &format!("compaction wall, {title}, {mode}, ms"),
            format!("{:.2}", get(mode, "wall_ms")),
        );
        line(
            &format!("pages compacted, {title}, {mode}"),
            format!(
                "{:.0} ({:.0} by mutators; {:.0} moved in {:.0} calls, {:.0} copied; {:.0} buffers recycled)",
                get(mode, "pages"),
                get(mode, "by_mutators"),
                get(mode, "moved"),
                get(mode, "move_calls"),
                get(mode, "copied"),
                get(mode, "recycled"),
            ),
        );
        line(
            &format!("fresh pages per compacted page, {title}, {mode}"),
            format!(
                "{:.4} ({:.0} GC minor faults)",
                get(mode, "fresh_per_page"),
                get(mode, "gc_minor_faults")
            ),
        );
    }
    line(
        &format!("walk after the pause, {title}, stw, ms"),
        format!("{:.1}", get("stw", "walk_ms")),
    );
    for mode in concurrent {
        line(
            &format!("walk after the pause, {title}, {mode}, ms"),
            format!(
                "{:.1} (the compaction ended during the walk in {:.0} of {:.0} cycles)",
                get(mode, "walk_ms"),
                get(mode, "walk_outlasted"),
                get(mode, "cycles")
            ),
        );
        line(
            &format!("fault latency (mutator side), {title}, {mode}, accesses > 1 us per cycle"),
            format!("{:.0}", get(mode, "slow_per_cycle")),
        );
        line(
            &format!("fault latency (mutator side), {title}, {mode}, accesses > 1 ms per cycle"),
            format!("{:.1}", get(mode, "stalls_per_cycle")),
        );
        for (q, key) in [
            ("median", "slow_median_us"),
            ("p99", "slow_p99_us"),
            ("max", "slow_max_us"),
        ] {
            line(
                &format!("fault latency (mutator side), {title}, {mode}, {q} us"),
                format!("{:.1}", get(mode, key)),
            );
        }
        line(
            &format!("fault latency (handler), {title}, {mode}, faults per cycle"),
            format!("{:.0}", get(mode, "faults")),
        );
        for (q, key) in [
            ("median", "fault_median_us"),
            ("p99", "fault_p99_us"),
            ("max", "fault_max_us"),
        ] {
            line(
                &format!("fault latency (handler), {title}, {mode}, {q} us"),
                format!("{:.1}", get(mode, key)),
            );
        }
    }
    figures
}

/// Prints the figures across sizes: the worst compaction pause and how flat it is.
fn summary(all: &[(&Size, BTreeMap<&'static str, Figures>)]) {
    if all.len() < 2 {
        return;
    }
    for &(mode, _, _) in &MODES {
        let pauses: Vec<f64> = all
            .iter()
            .map(|(_, f)| f[mode].get("compact_ms").copied().unwrap_or(f64::NAN))
            .collect();
        let worst = pauses.iter().copied().fold(0.0, f64::max);
        line(
            &format!("compaction pause, {mode}, worst over sizes, ms"),
            format!("{worst:.3}"),
        );
        line(
            &format!(
                "compaction pause, {mode}, {} / {}",
                all[all.len() - 1].0.title,
                all[0].0.title
            ),
            format!("{:.2}", pauses[pauses.len() - 1] / pauses[0]),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gc_log = args.iter().any(|a| a == "--gc-log");
    if gc_log {
        movegc_benches::install_gc_log();
    }
    if let Some(at) = args.iter().position(|a| a == "--child") {
        let size = args
            .get(at + 1)
            .and_then(|n| SIZES.iter().find(|s| s.name == n));
        let mode = args
            .get(at + 2)
            .and_then(|n| MODES.iter().find(|m| m.0 == n));
        let cycles = args.get(at + 3).and_then(|n| n.parse().ok());
        match (size, mode, cycles) {
            (Some(size), Some(&(_, mode, threads)), Some(cycles)) => child(
                size,
                mode,
                threads,
                cycles,
                args.iter().any(|a| a == "--stable"),
            ),
            _ => {
                eprintln!("compaction: bad child arguments {args:?}");
                std::process::exit(2);
            }
        }
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let stable = args.iter().any(|a| a == "--stable");
    let names: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    if let Some(bad) = names.iter().find(|n| !SIZES.iter().any(|s| s.name == **n)) {
        let known: Vec<&str> = SIZES.iter().map(|s| s.name).collect();
        eprintln!(
            "compaction: unknown size {bad:?}; known: {}",
            known.join(", ")
        );
        std::process::exit(2);
    }
    let (defaults, cycles): (&[&str], usize) = if quick {
        (&["64MiB"], 1)
    } else {
        (&["64MiB", "256MiB", "1GiB", "4GiB"], 3)
    };
    let wanted = if names.is_empty() {
        defaults
    } else {
        &names[..]
    };
    let mut all = Vec::new();
    for size in SIZES.iter().filter(|s| wanted.contains(&s.name)) {
        let figures = run(size, cycles, stable, gc_log);
        all.push((size, figures));
    }
    summary(&all);
}
