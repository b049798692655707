//! The JVM example on movegc in every GC mode, with HotSpot as the reference:
//! binary-trees and the churn latency probe (`examples/jvm/programs/`), each
//! variant a child process of its own. One `name: value` line per figure.
//!
//! `cargo build --release -p jvm && cargo run --release -p movegc-benches --bin jvm-workloads [-- [--quick] [--runs N] [BENCH...]]`
//! where BENCH is `binary-trees` or `churn` (default: both); `--quick` runs
//! small sizes once each (a smoke test, a few seconds); `--runs N` repeats
//! every variant N times (default 3, 1 with `--quick`).
//!
//! (The binary is not called `jvm`: its output file would be `target/release/jvm`,
//! the JVM's own, and each build would overwrite the other.)
//!
//! The JVM is `target/release/jvm`, found next to this program; the programs'
//! class files are the committed ones in `examples/jvm/programs/<name>/classes`.
//! The variants: the JVM with `--gc-mode stw`, `move` and `copy` (a mode this
//! machine cannot run fails in the JVM and is reported as failed), and HotSpot
//! (`java` on `PATH`, skipped where there is none) with `-Xmx` the size of the
//! movegc heap and its own default collector, logged with `-Xlog:gc`. HotSpot
//! compiles the hot methods to machine code, the JVM example interprets
//! bytecode: HotSpot is a reference for the figures, not a competitor.
//!
//! The runs are interleaved (every variant once, then again), and each figure
//! is the median of its runs, taken figure by figure. The figures of a run:
//!
//! - wall time, measured by this program from the spawn to the child's exit
//!   (process start-up included: a few ms for the JVM, about 0.1 s for HotSpot),
//!   and the child's CPU time (user + system), peak RSS and involuntary
//!   context switches (how often the scheduler took a core from one of its
//!   threads: on a small machine, other load shows here first), from `wait4`;
//! - the collector's figures, from the JVM's `--gc-stats` summary (or HotSpot's
//!   `-Xlog:gc` lines): collections, pauses, their total, p99 and max; for
//!   movegc also the allocations that stalled on a full heap (and the longest
//!   stall), the allocations paced behind a marking cycle, and the pages the
//!   program compacted itself on first touch (Move and Copy);
//! - for churn, the program's own measurement (`--stats`): the longest gap
//!   between two consecutive operations (the longest the mutator was held up,
//!   whatever held it) and the number of gaps over 1 ms.
//!
//! The programs' deterministic output (everything but churn's timing lines)
//! must be the same in every run of every variant, HotSpot's included.

use movegc_benches::{jdk_tool, line, run_child};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// The programs' directory in the source tree.
const PROGRAMS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/jvm/programs");

/// The movegc modes, as the JVM's `--gc-mode` names them.
const MODES: [&str; 3] = ["stw", "move", "copy"];
const HOTSPOT: &str = "HotSpot";

/// One benchmark: a program, its arguments and the heap it runs in.
struct Bench {
    /// What the figures are called.
    title: String,
    /// The directory under `examples/jvm/programs`.
    program: &'static str,
    args: Vec<String>,
    heap_mib: usize,
    what: String,
}

fn benches(quick: bool) -> Vec<(&'static str, Bench)> {
    // Full sizes: each JVM run takes 5–9 s on the project's 2-core VM, about
    // 2 minutes in all with 3 runs. binary-trees 17 allocates about 690 MiB,
    // 20 collections in 64 MiB (its live set peaks at 12 MiB, the stretch tree);
    // churn's 200,000 slots are about 90 MiB live in the JVM, 70% of its 128 MiB
    // heap, and 400,000 operations replace 2 in 5 of the slots (about 160 MiB).
    let (depth, bt_heap, slots, ops, churn_heap) = if quick {
        (14, 16, 20_000, 100_000, 16)
    } else {
        (17, 64, 200_000, 400_000, 128)
    };
    vec![
        (
            "binary-trees",
            Bench {
                title: format!("binary-trees {depth}"),
                program: "binarytrees",
                args: vec![depth.to_string()],
                heap_mib: bt_heap,
                what: format!("depth {depth}, heap {bt_heap} MiB"),
            },
        ),
        (
            "churn",
            Bench {
                title: format!("churn {slots} {ops}"),
                program: "churn",
                args: vec![slots.to_string(), ops.to_string(), "--stats".into()],
                heap_mib: churn_heap,
                what: format!(
                    "{slots} slots of chains, {ops} operations (each replaces a random slot's chain), \
                     heap {churn_heap} MiB"
                ),
            },
        ),
    ]
}

// ------------------------------------------------------------ parsing

/// The number at the start of `text` (after blanks), if any.
fn leading_number(text: &str) -> Option<f64> {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(text.len());
    text[..end].parse().ok()
}

/// The number right after `marker` in `line`.
fn after(line: &str, marker: &str) -> Option<f64> {
    leading_number(&line[line.find(marker)? + marker.len()..])
}

/// The number that is the last word before `marker` in `line`.
fn before(line: &str, marker: &str) -> Option<f64> {
    let word = line[..line.find(marker)?].split_whitespace().next_back()?;
    leading_number(word.trim_start_matches(|c: char| !c.is_ascii_digit()))
}

/// Figures of one run, by key.
type Figures = BTreeMap<&'static str, f64>;

/// The figures of the JVM's `--gc-stats` summary (`gc-core/src/report.rs`).
fn movegc_figures(stderr: &str, f: &mut Figures) -> Result<(), String> {
    let mut seen = false;
    for l in stderr.lines().filter_map(|l| l.strip_prefix("gc: ")) {
        if l.contains(" collections in ") {
            seen = true;
            f.insert("collections", leading_number(l).unwrap_or(f64::NAN));
            // No collection: the summary stops here.
            for key in ["pauses", "pause_total_ms", "pause_p99_ms", "pause_max_ms"] {
                f.insert(key, 0.0);
            }
            for key in ["stalls", "stall_max_ms", "paced"] {
                f.insert(key, 0.0);
            }
        } else if l.starts_with("pauses total ") {
            let mut put = |key, v: Option<f64>| f.insert(key, v.unwrap_or(f64::NAN));
            put("pause_total_ms", after(l, "pauses total "));
            put("pause_p99_ms", after(l, "p99 "));
            put("pause_max_ms", after(l, ", max "));
        } else if l.contains(" pauses; ") {
            let mut put = |key, v: Option<f64>| f.insert(key, v.unwrap_or(f64::NAN));
            put("pauses", leading_number(l));
            put("paced", before(l, " allocations paced"));
            put("stalls", before(l, " stalled on a full heap"));
            put("stall_max_ms", after(l, "ms, max "));
        } else if let Some(rest) = l.strip_prefix("concurrent compaction: ") {
            f.insert(
                "pages_by_program",
                before(rest, " by the program").unwrap_or(f64::NAN),
            );
        }
    }
    if seen {
        Ok(())
    } else {
        Err("no --gc-stats summary on its stderr".into())
    }
}

/// The `p`th percentile of sorted values (as `gc-core/src/report.rs` takes it).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[i - 1]
}

/// HotSpot's collector's figures from its `-Xlog:gc` lines on stderr, e.g.
/// `[0.04s][info][gc] GC(3) Pause Young (Normal) (G1 Evacuation Pause) 24M->20M(64M) 4.567ms`.
/// Every `Pause` line is a pause; every `GC(n)` number a collection (a G1
/// concurrent cycle is one, with its remark and cleanup pauses).
fn hotspot_figures(stderr: &str, f: &mut Figures) -> Option<String> {
    let mut collector = None;
    let mut ids = BTreeSet::new();
    let mut pauses = Vec::new();
    for l in stderr.lines().filter(|l| l.contains("][gc]")) {
        if let Some(name) = l.split("Using ").nth(1) {
            collector = Some(name.trim().to_owned());
        }
        if let Some(id) = after(l, " GC(") {
            ids.insert(id as u64);
        }
        if let Some(ms) = movegc_benches::hotspot_pause_ms(l) {
            pauses.push(ms);
        }
    }
    pauses.sort_by(f64::total_cmp);
    f.insert("collections", ids.len() as f64);
    f.insert("pauses", pauses.len() as f64);
    f.insert("pause_total_ms", pauses.iter().sum());
    f.insert("pause_p99_ms", percentile(&pauses, 0.99));
    f.insert("pause_max_ms", pauses.last().copied().unwrap_or(0.0));
    collector
}

/// Lines of churn's `--stats` output: measurements, not results.
fn is_timing(line: &str) -> bool {
    ["total time ", "max gap ", "gaps over 1 ms "]
        .iter()
        .any(|p| line.starts_with(p))
}

/// The program's own figures, and its deterministic output.
fn program_figures(stdout: &str, f: &mut Figures) -> String {
    for l in stdout.lines() {
        if let Some(us) = l.strip_prefix("max gap ").and_then(leading_number) {
            f.insert("max_gap_ms", us / 1e3);
        } else if let Some(n) = l.strip_prefix("gaps over 1 ms ").and_then(leading_number) {
            f.insert("gaps_over_1ms", n);
        }
    }
    stdout
        .lines()
        .filter(|l| !is_timing(l))
        .collect::<Vec<_>>()
        .join("\n")
}

// ------------------------------------------------------------ a variant

/// The command that runs `bench` in `variant`.
fn command(bench: &Bench, variant: &str, jvm: &Path, classes: &Path) -> Command {
    let mut cmd;
    if variant == HOTSPOT {
        cmd = jdk_tool("java");
        cmd.arg(format!("-Xmx{}m", bench.heap_mib))
            .arg("-Xlog:gc:stderr");
    } else {
        cmd = Command::new(jvm);
        cmd.args(["--heap", &format!("{}M", bench.heap_mib)]).args([
            "--gc-mode",
            variant,
            "--gc-stats",
        ]);
    }
    cmd.arg("-cp").arg(classes).arg("Main").args(&bench.args);
    cmd
}

/// One run of `bench` in `variant`: its figures and deterministic output,
/// HotSpot's collector's name.
fn run_once(
    bench: &Bench,
    variant: &str,
    jvm: &Path,
    classes: &Path,
) -> Result<(Figures, String, Option<String>), String> {
    let exit = run_child(&mut command(bench, variant, jvm, classes), None)?;
    if exit.status != 0 {
        let tail: Vec<&str> = exit.stderr.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "exit status {}; its stderr ends: {}",
            exit.status,
            tail.join(" | ")
        ));
    }
    let mut f = Figures::new();
    f.insert("wall_s", exit.wall_s);
    f.insert("cpu_s", exit.user_s + exit.sys_s);
    f.insert("peak_rss_mib", exit.peak_rss_mib);
    f.insert("involuntary_switches", exit.involuntary_switches as f64);
    let mut collector = None;
    if variant == HOTSPOT {
        collector = hotspot_figures(&exit.stderr, &mut f);
    } else {
        movegc_figures(&exit.stderr, &mut f)?;
    }
    let output = program_figures(&exit.stdout, &mut f);
    Ok((f, output, collector))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The figures printed, in order: key, name, decimals.
const SHOWN: [(&str, &str, usize); 15] = [
    ("wall_s", "wall, s", 2),
    ("cpu_s", "CPU (user + system), s", 2),
    ("peak_rss_mib", "peak RSS, MiB", 0),
    ("collections", "collections", 0),
    ("pauses", "pauses", 0),
    ("pause_total_ms", "total pause, ms", 1),
    ("pause_p99_ms", "p99 pause, ms", 3),
    ("pause_max_ms", "max pause, ms", 3),
    ("stalls", "allocations stalled on a full heap", 0),
    ("stall_max_ms", "longest allocation stall, ms", 3),
    ("paced", "allocations paced", 0),
    (
        "pages_by_program",
        "pages compacted by the program on first touch",
        0,
    ),
    (
        "max_gap_ms",
        "max mutator stall (program's longest gap), ms",
        3,
    ),
    ("gaps_over_1ms", "program's gaps over 1 ms", 0),
    ("involuntary_switches", "involuntary context switches", 0),
];

/// Runs every variant of `bench` `runs` times, interleaved, prints its
/// figures, and tells whether everything ran and agreed.
fn run_bench(bench: &Bench, variants: &[&str], runs: usize, jvm: &Path) -> bool {
    let classes = Path::new(PROGRAMS).join(bench.program).join("classes");
    line(
        &format!("{}, setup", bench.title),
        format!(
            "{}; {runs} run(s) per variant, interleaved, medians",
            bench.what
        ),
    );
    let mut ok = true;
    let mut figures: BTreeMap<&str, Vec<Figures>> = BTreeMap::new();
    let mut failed: BTreeMap<&str, String> = BTreeMap::new();
    let mut reference: Option<(String, String)> = None;
    let mut collector = None;
    for _ in 0..runs {
        for &v in variants {
            if failed.contains_key(v) {
                continue;
            }
            match run_once(bench, v, jvm, &classes) {
                Ok((f, output, c)) => {
                    collector = collector.or(c);
                    match &reference {
                        None => reference = Some((v.to_owned(), output)),
                        Some((first, expected)) if *expected != output => {
                            failed.insert(
                                v,
                                format!("its output differs from {first}'s: the results are wrong"),
                            );
                            continue;
                        }
                        Some(_) => {}
                    }
                    figures.entry(v).or_default().push(f);
                }
                Err(why) => {
                    failed.insert(v, why);
                }
            }
        }
    }
    if let Some(c) = collector {
        line(&format!("{}, HotSpot collector", bench.title), c);
    }
    let mut walls = BTreeMap::new();
    for &v in variants {
        let name = |figure: &str| format!("{}, {v}, {figure}", bench.title);
        if let Some(why) = failed.get(v) {
            line(&name("failed"), why);
            ok = false;
            continue;
        }
        let Some(fs) = figures.get(v) else { continue };
        let all: Vec<String> = fs.iter().map(|f| format!("{:.2}", f["wall_s"])).collect();
        for (key, label, decimals) in SHOWN {
            if fs.iter().all(|f| f.contains_key(key)) {
                let m = median(fs.iter().map(|f| f[key]).collect());
                line(&name(label), format!("{m:.decimals$}"));
                if key == "wall_s" {
                    walls.insert(v, m);
                    if fs.len() > 1 {
                        line(&name("wall of each run, s"), all.join(" "));
                    }
                }
            }
        }
    }
    for &v in variants {
        let Some(&wall) = walls.get(v) else { continue };
        for base in ["stw", HOTSPOT] {
            if v != base
                && (base == HOTSPOT || v != HOTSPOT)
                && let Some(&b) = walls.get(base)
            {
                line(
                    &format!("{}, {v} / {base}, wall", bench.title),
                    format!("{:.2}", wall / b),
                );
            }
        }
    }
    ok
}

// ------------------------------------------------------------ main

fn usage() -> ExitCode {
    eprintln!("usage: jvm-workloads [--quick] [--runs N] [binary-trees|churn...]");
    ExitCode::from(2)
}

/// HotSpot's version line, if `java` runs.
fn hotspot_version() -> Option<String> {
    let out = jdk_tool("java")
        .arg("-version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    out.status
        .success()
        .then(|| text.lines().next().unwrap_or("java").trim().to_owned())
}

fn main() -> ExitCode {
    let (mut quick, mut runs, mut wanted) = (false, None, Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--runs" => match args.next().and_then(|v| v.parse::<usize>().ok()) {
                Some(n) if n > 0 => runs = Some(n),
                _ => return usage(),
            },
            "binary-trees" | "churn" => wanted.push(arg),
            _ => return usage(),
        }
    }
    let runs = runs.unwrap_or(if quick { 1 } else { 3 });

    let jvm: PathBuf = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("jvm")))
        .unwrap_or_else(|| PathBuf::from("target/release/jvm"));
    if !jvm.is_file() {
        eprintln!(
            "jvm-workloads: no JVM at {} (next to this program); \
             build it with `cargo build --release -p jvm`",
            jvm.display()
        );
        return ExitCode::FAILURE;
    }
    if !Path::new(PROGRAMS).is_dir() {
        eprintln!("jvm-workloads: no programs at {PROGRAMS}");
        return ExitCode::FAILURE;
    }
    line("JVM", jvm.display());
    let mut variants: Vec<&str> = MODES.to_vec();
    match hotspot_version() {
        Some(version) => {
            line("HotSpot", version);
            variants.push(HOTSPOT);
        }
        None => line("HotSpot", "skipped: no `java` on PATH"),
    }

    let mut ok = true;
    for (name, bench) in benches(quick) {
        if wanted.is_empty() || wanted.iter().any(|w| w == name) {
            ok &= run_bench(&bench, &variants, runs, &jvm);
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
