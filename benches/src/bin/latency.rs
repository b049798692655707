//! Mutator latency under steady mutation: how long the mutator is stalled,
//! how late its operations finish, and how much of each 10 ms it keeps, while
//! a live set of about 370 MB is replaced piece by piece. One `name: value`
//! line per figure.
//!
//! `cargo run --release -p movegc-benches --bin latency [-- [--quick] [--variant NAME] [--heap MIB] [--gc-log]]`
//!
//! `--quick` runs a twentieth of the live set with 0.5 s of warm-up and 1 s
//! measured (a smoke test: `cargo run --release -p movegc-benches --bin latency -- --quick`);
//! `--variant NAME` runs one variant only (`Box`, `movegc-stw`,
//! `movegc-stw-cm`, `movegc-move` or `movegc-copy`); `--heap MIB` sets the
//! movegc heap's size (default 1024); `--gc-log` prints the GC log on stderr.
//!
//! The live set: 1,000,000 slots, each holding a chain of 12 nodes of 32
//! bytes (a header, a `next` reference and two payload words). An operation
//! replaces a random slot's chain by a freshly built one. The slots live in
//! the movegc heap, in 1,000 reference arrays of 1,000 slots (8 KiB each),
//! whose handles are the roots. The arrays stay below the large-object
//! threshold (32 KiB) on purpose: a large object's references are rewritten
//! inside the compaction pause today, so one 8 MB array of a million slots
//! would put a scan of all of it into every compaction pause, while small
//! arrays are moved and updated by the (concurrent) compaction like any other
//! object.
//!
//! Two runs per variant, each in a child process of its own (so that its peak
//! RSS is its own), each after building the live set:
//!
//! - paced: operations are scheduled at a fixed rate, a tenth of the live set
//!   per second (100,000 operations per second, one every 10 us), for 5 s of
//!   warm-up and 10 s measured. Between operations the mutator spins reading
//!   the clock and polling the safepoint. An operation's latency runs from its
//!   scheduled start to its end, so a stall delays every operation queued
//!   behind it (no coordinated omission).
//! - fast: operations back to back for the same periods; an operation's
//!   latency runs from its own start. Reports the throughput.
//!
//! In both, every gap of 50 us or more between two consecutive clock reads of
//! the mutator is a stall. The max stall is the longest gap of the measured
//! period; the stalls that overlap it (with their whole length) are counted;
//! the minimum mutator utilisation (MMU) over 10 ms windows is the least, over
//! every window inside the measured period, of the share of the window not
//! stalled. The GC's own figures (pauses by kind, allocation stalls, pacing,
//! collections) are the differences of the heap's statistics between the
//! measured period's start and end. Pauses are recorded when their cycle
//! ends, so a cycle running across either edge counts on the side it ends.
//! The mutator's involuntary context switches in the measured period tell
//! stalls the scheduler caused (GC threads competing for a core) from the
//! rest.
//!
//! The variants: `Box` (plain Rust: `Vec<Option<Box<Node>>>`, replacing a
//! chain drops the old one), `movegc-stw` (stop-the-world mode with
//! concurrent marking off: every cycle in one pause), `movegc-stw-cm`
//! (stop-the-world compaction, concurrent marking), `movegc-move` and
//! `movegc-copy` (concurrent compaction with `UFFDIO_MOVE` / `UFFDIO_COPY`).
//! A mode this machine cannot run is reported as skipped, with the reason.

use movegc_benches::{line, peak_rss_mib, reset_peak_rss};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use gc_core::{
    HandleScope, Heap, Local, Mode, PauseKind, SlotKind, Stats, TypeDescriptor, TypeId, TypeTable,
    WORD,
};

const MIB: usize = 1 << 20;

/// Slots in the live set (full run).
const SLOTS: usize = 1_000_000;
/// Slots per reference array: 8 KiB arrays, below the large-object threshold.
const SLOTS_PER_ARRAY: usize = 1_000;
/// Nodes per chain.
const CHAIN: usize = 12;
/// A node: header, `next`, the slot's number, the node's position in its chain.
const NODE_BYTES: usize = 4 * WORD;
const NEXT: usize = WORD;
const SLOT_NO: usize = 2 * WORD;
const POSITION: usize = 3 * WORD;
/// The paced run replaces the whole live set in this long (a tenth per second).
const TURNOVER: Duration = Duration::from_secs(10);
/// A gap between two clock reads at least this long is a stall.
const STALL: Duration = Duration::from_micros(50);
/// Stalls longer than this are counted apart.
const LONG_STALL: Duration = Duration::from_millis(1);
/// The MMU's window.
const MMU_WINDOW: Duration = Duration::from_millis(10);

const VARIANTS: [&str; 5] = [
    "Box",
    "movegc-stw",
    "movegc-stw-cm",
    "movegc-move",
    "movegc-copy",
];

const KINDS: [(PauseKind, &str); 4] = [
    (PauseKind::InitialMark, "initial-mark"),
    (PauseKind::FinalMark, "final-mark"),
    (PauseKind::Compaction, "compaction"),
    (PauseKind::Full, "full"),
];

/// A movegc variant's mode and whether it marks concurrently.
fn gc_config(variant: &str) -> Option<(Mode, bool)> {
    match variant {
        "movegc-stw" => Some((Mode::StopTheWorld, false)),
        "movegc-stw-cm" => Some((Mode::StopTheWorld, true)),
        "movegc-move" => Some((Mode::Move, true)),
        "movegc-copy" => Some((Mode::Copy, true)),
        _ => None,
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("latency: {what}: {e}");
    std::process::exit(1);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The calling thread's involuntary context switches so far (Linux), if the
/// system tells: how often the scheduler took its core away.
fn involuntary_switches() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("nonvoluntary_ctxt_switches:"))?
        .trim()
        .parse()
        .ok()
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The sizes of one run.
#[derive(Clone, Copy)]
struct Config {
    slots: usize,
    warmup: Duration,
    measured: Duration,
    heap: usize,
}

impl Config {
    fn new(quick: bool, heap_mib: usize) -> Config {
        let (slots, warmup, measured) = if quick {
            (
                SLOTS / 20,
                Duration::from_millis(500),
                Duration::from_secs(1),
            )
        } else {
            (SLOTS, Duration::from_secs(5), Duration::from_secs(10))
        };
        Config {
            slots,
            warmup,
            measured,
            heap: heap_mib * MIB,
        }
    }

    /// Paced operations per second.
    fn rate(&self) -> f64 {
        self.slots as f64 / TURNOVER.as_secs_f64()
    }

    /// When the paced run's operation `k` is due, after its start.
    fn due(&self, k: u64) -> Duration {
        let at = u128::from(k) * TURNOVER.as_nanos() / self.slots as u128;
        Duration::from_nanos(u64::try_from(at).unwrap_or(u64::MAX))
    }
}

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n`.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

// ------------------------------------------------------------ the live set

/// A live set of chains in slots, under some memory manager.
trait Chains {
    /// Replaces slot `slot`'s chain by a fresh one (and fills it the first time).
    fn replace(&mut self, slot: usize);
    /// Lets a collection waiting for this thread go ahead.
    fn poll(&mut self);
    /// The heap's statistics now, if there is a heap.
    fn stats(&mut self) -> Option<Stats>;
    /// Checks that every slot holds a whole chain of its own.
    fn check(&mut self) -> Result<(), String>;
}

/// A plain Rust node: what a movegc node holds, without the header.
struct Node {
    next: Option<Box<Node>>,
    slot: usize,
    position: usize,
}

struct BoxChains(Vec<Option<Box<Node>>>);

impl Chains for BoxChains {
    fn replace(&mut self, slot: usize) {
        let mut head = None;
        for position in (0..CHAIN).rev() {
            head = Some(Box::new(Node {
                next: head,
                slot,
                position,
            }));
        }
        // Drops the old chain.
        self.0[slot] = black_box(head);
    }

    fn poll(&mut self) {}

    fn stats(&mut self) -> Option<Stats> {
        None
    }

    fn check(&mut self) -> Result<(), String> {
        for (slot, head) in self.0.iter().enumerate() {
            let mut node = head.as_deref();
            for position in 0..CHAIN {
                match node {
                    Some(n) if n.slot == slot && n.position == position => node = n.next.as_deref(),
                    _ => return Err(format!("slot {slot}: node {position} is wrong")),
                }
            }
            if node.is_some() {
                return Err(format!("slot {slot}: the chain is too long"));
            }
        }
        Ok(())
    }
}

/// The live set in a movegc heap: reference arrays held by handles.
struct GcChains<'a, 's> {
    s: &'a mut HandleScope<'s>,
    arrays: Vec<Local<'s>>,
    /// The chain being built, rooted across its allocations.
    chain: Local<'s>,
    node: TypeId,
}

impl GcChains<'_, '_> {
    /// The array holding `slot`, and the slot's byte offset in it; current
    /// until the next allocation or safepoint.
    fn array(&self, slot: usize) -> (gc_core::ObjRef, usize) {
        let array = self
            .s
            .get(self.arrays[slot / SLOTS_PER_ARRAY])
            .expect("the arrays are never cleared");
        (array, WORD + slot % SLOTS_PER_ARRAY * WORD)
    }
}

impl Chains for GcChains<'_, '_> {
    fn replace(&mut self, slot: usize) {
        self.s.set(self.chain, None);
        for position in (0..CHAIN).rev() {
            let node = self
                .s
                .mutator()
                .alloc(self.node, 0)
                .unwrap_or_else(|e| fail("allocate a node", e));
            let next = self.s.get(self.chain);
            // SAFETY: `node` was just allocated and `next` read from its handle
            // since, so both are current; SLOT_NO and POSITION are a node's data
            // words and NEXT its reference slot.
            unsafe {
                node.write_word(SLOT_NO, slot);
                node.write_word(POSITION, position);
                self.s.mutator().write_ref(node, NEXT, next);
            }
            self.s.set(self.chain, Some(node));
        }
        let head = self.s.get(self.chain);
        let (array, offset) = self.array(slot);
        // SAFETY: `array` and `head` were read from their handles after the last
        // allocation, and `offset` is one of the array's elements.
        unsafe { self.s.mutator().write_ref(array, offset, head) };
        self.s.set(self.chain, None);
    }

    fn poll(&mut self) {
        self.s.mutator().safepoint();
    }

    fn stats(&mut self) -> Option<Stats> {
        Some(self.s.mutator().heap().stats())
    }

    fn check(&mut self) -> Result<(), String> {
        let slots = self.arrays.len() * SLOTS_PER_ARRAY;
        for slot in 0..slots {
            if slot % SLOTS_PER_ARRAY == 0 {
                self.poll();
            }
            let (array, offset) = self.array(slot);
            let m = self.s.mutator();
            // SAFETY: `array` is current (no safepoint since it was read from its
            // handle) and `offset` one of its elements; nothing below allocates
            // or polls, so the nodes read stay current.
            let mut node = unsafe { m.read_ref(array, offset) };
            for position in 0..CHAIN {
                let Some(n) = node else {
                    return Err(format!("slot {slot}: the chain ends at node {position}"));
                };
                // SAFETY: a node reachable from the array, current as above.
                let (s, p) = unsafe { (n.read_word(SLOT_NO), n.read_word(POSITION)) };
                if (s, p) != (slot, position) {
                    return Err(format!(
                        "slot {slot}: node {position} says slot {s}, node {p}"
                    ));
                }
                // SAFETY: as above.
                node = unsafe { m.read_ref(n, NEXT) };
            }
            if node.is_some() {
                return Err(format!("slot {slot}: the chain is too long"));
            }
        }
        Ok(())
    }
}

// ------------------------------------------------------------ measuring

/// Latencies in a log-linear histogram: exact below 128 ns, then 64 buckets
/// per power of two (within 1/64); the maximum exactly.
struct Histogram {
    counts: Vec<u64>,
    n: u64,
    max: u64,
}

impl Histogram {
    const EXACT: u64 = 128;
    const BUCKETS: usize = 128 + 57 * 64;

    fn new() -> Histogram {
        Histogram {
            counts: vec![0; Self::BUCKETS],
            n: 0,
            max: 0,
        }
    }

    fn index(v: u64) -> usize {
        if v < Self::EXACT {
            return v as usize;
        }
        let e = 63 - v.leading_zeros();
        let m = (v >> (e - 6)) - 64;
        128 + (e as usize - 7) * 64 + m as usize
    }

    /// The largest value bucket `i` holds.
    fn upper(i: usize) -> u64 {
        if i < Self::EXACT as usize {
            return i as u64;
        }
        let e = (i - 128) / 64 + 7;
        let m = ((i - 128) % 64 + 64) as u128;
        u64::try_from(((m + 1) << (e - 6)) - 1).unwrap_or(u64::MAX)
    }

    #[inline]
    fn record(&mut self, d: Duration) {
        let v = ns(d);
        self.counts[Self::index(v)] += 1;
        self.n += 1;
        self.max = self.max.max(v);
    }

    /// The `q` quantile (nearest rank, to within 1/64), in ns.
    fn quantile(&self, q: f64) -> u64 {
        let rank = ((self.n as f64 * q).ceil() as u64).clamp(1, self.n.max(1));
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::upper(i).min(self.max);
            }
        }
        self.max
    }
}

/// The mutator's clock reads, operations and stalls.
struct Recorder {
    t0: Instant,
    /// The measured period, after `t0`.
    from: Duration,
    to: Duration,
    latency: Histogram,
    /// Stalls overlapping the measured period, in ns after `t0`.
    stalls: Vec<(u64, u64)>,
    /// The longest gap between two clock reads in the measured period.
    max_gap: Duration,
}

impl Recorder {
    fn new(t0: Instant, cfg: &Config) -> Recorder {
        Recorder {
            t0,
            from: cfg.warmup,
            to: cfg.warmup + cfg.measured,
            latency: Histogram::new(),
            stalls: Vec::with_capacity(4096),
            max_gap: Duration::ZERO,
        }
    }

    /// Two consecutive clock reads.
    #[inline]
    fn gap(&mut self, prev: Instant, now: Instant) {
        let (p, n) = (prev.duration_since(self.t0), now.duration_since(self.t0));
        if n <= self.from || p >= self.to {
            return;
        }
        let gap = n - p;
        self.max_gap = self.max_gap.max(gap);
        if gap >= STALL {
            self.stalls.push((ns(p), ns(n)));
        }
    }

    /// The minimum mutator utilisation over windows of `window` inside the
    /// measured period, counting the stalls clamped to the period. The worst
    /// window starts where a stall starts or ends where one ends.
    fn mmu(&self, window: Duration) -> f64 {
        let (from, to) = (ns(self.from), ns(self.to));
        let window = ns(window).min(to - from);
        if window == 0 {
            return 1.0;
        }
        let stalls: Vec<(u64, u64)> = self
            .stalls
            .iter()
            .map(|&(s, e)| (s.clamp(from, to), e.clamp(from, to)))
            .collect();
        let mut prefix = Vec::with_capacity(stalls.len() + 1);
        prefix.push(0u64);
        for &(s, e) in &stalls {
            prefix.push(prefix[prefix.len() - 1] + (e - s));
        }
        // Stalled time before `t`.
        let stalled_before = |t: u64| {
            let i = stalls.partition_point(|&(s, _)| s < t);
            let mut total = prefix[i];
            if let Some(&(_, e)) = i.checked_sub(1).map(|j| &stalls[j])
                && e > t
            {
                total -= e - t;
            }
            total
        };
        let mut worst = 0;
        for &(s, e) in &stalls {
            for start in [s, e.saturating_sub(window)] {
                let start = start.clamp(from, to - window);
                worst = worst.max(stalled_before(start + window) - stalled_before(start));
            }
        }
        1.0 - worst as f64 / window as f64
    }
}

/// What one run measured.
struct Outcome {
    build: Duration,
    ops: u64,
    /// From the measured period's start to the last operation's end.
    elapsed: Duration,
    rec: Recorder,
    /// The heap's statistics at the measured period's start and end.
    gc: Option<(Stats, Stats)>,
    /// The mutator's involuntary context switches in the measured period.
    switches: Option<u64>,
}

/// Builds the live set in `w`, then runs the paced or the fast run on it and
/// checks it.
fn measure(w: &mut impl Chains, cfg: &Config, paced: bool) -> Outcome {
    let started = Instant::now();
    for slot in 0..cfg.slots {
        w.replace(slot);
        w.poll();
    }
    let build = started.elapsed();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let t0 = Instant::now();
    let mut rec = Recorder::new(t0, cfg);
    let (from, to) = (t0 + rec.from, t0 + rec.to);
    let mut before = None;
    let mut switches = None;
    let mut ops = 0u64;
    let mut last = t0;
    if paced {
        let mut k = 0;
        loop {
            let due = t0 + cfg.due(k);
            if due >= to {
                break;
            }
            if due >= from && before.is_none() {
                before = Some(w.stats());
                switches = involuntary_switches();
                last = Instant::now();
            }
            loop {
                let now = Instant::now();
                rec.gap(last, now);
                last = now;
                if now >= due {
                    break;
                }
                w.poll();
            }
            w.replace(rng.below(cfg.slots));
            w.poll();
            let end = Instant::now();
            rec.gap(last, end);
            last = end;
            if due >= from {
                rec.latency.record(end.duration_since(due));
                ops += 1;
            }
            k += 1;
        }
    } else {
        loop {
            let start = last;
            if start >= to {
                break;
            }
            if start >= from && before.is_none() {
                before = Some(w.stats());
                switches = involuntary_switches();
                last = Instant::now();
                continue;
            }
            w.replace(rng.below(cfg.slots));
            w.poll();
            let end = Instant::now();
            rec.gap(start, end);
            last = end;
            if start >= from {
                rec.latency.record(end - start);
                ops += 1;
            }
        }
    }
    let after = w.stats();
    let switches = switches.zip(involuntary_switches()).map(|(a, b)| b - a);
    let elapsed = last.saturating_duration_since(from);
    if let Err(e) = w.check() {
        fail("the live set is corrupt after the run", e);
    }
    Outcome {
        build,
        ops,
        elapsed,
        rec,
        gc: before.flatten().zip(after),
        switches,
    }
}

// ------------------------------------------------------------ the child

/// Runs `variant`'s paced or fast run here and prints its figures for the
/// parent, one `key value` line each (or `skipped REASON`).
fn child(variant: &str, cfg: &Config, paced: bool) {
    reset_peak_rss();
    let outcome = match gc_config(variant) {
        None => {
            let mut w = BoxChains((0..cfg.slots).map(|_| None).collect());
            measure(&mut w, cfg, paced)
        }
        Some((mode, concurrent_mark)) => {
            let mut t = TypeTable::new();
            let node = t
                .register(TypeDescriptor::fixed(
                    "node",
                    NODE_BYTES,
                    &[NEXT as u32],
                    &[],
                ))
                .unwrap_or_else(|e| fail("register the node type", e));
            let array = t
                .register(TypeDescriptor::array("slots", SlotKind::Ref))
                .unwrap_or_else(|e| fail("register the array type", e));
            let heap = match Heap::builder()
                .size(cfg.heap)
                .mode(mode)
                .concurrent_mark(concurrent_mark)
                .types(t)
                .build()
            {
                Ok(heap) => heap,
                Err(e) => {
                    println!("skipped {e}");
                    return;
                }
            };
            let mut m = heap.attach().unwrap_or_else(|e| fail("attach", e));
            let arrays = cfg.slots.div_ceil(SLOTS_PER_ARRAY);
            let outcome = m.scope(|s| {
                let arrays = (0..arrays)
                    .map(|_| {
                        s.alloc(array, SLOTS_PER_ARRAY as u32)
                            .unwrap_or_else(|e| fail("allocate a slot array", e))
                    })
                    .collect();
                let chain = s.local(None);
                let mut w = GcChains {
                    s,
                    arrays,
                    chain,
                    node,
                };
                measure(&mut w, cfg, paced)
            });
            drop(m);
            outcome
        }
    };
    report(&outcome);
}

/// Prints a run's figures for the parent.
fn report(o: &Outcome) {
    let out = |key: &str, v: f64| println!("{key} {v}");
    let rec = &o.rec;
    let us = |v: u64| v as f64 / 1e3;
    out("build_s", o.build.as_secs_f64());
    out("ops", o.ops as f64);
    out("ops_per_s", o.ops as f64 / o.elapsed.as_secs_f64());
    out("max_stall_ms", ms(rec.max_gap));
    let long = rec
        .stalls
        .iter()
        .filter(|&&(s, e)| e - s > ns(LONG_STALL))
        .count();
    out("stalls_over_1ms", long as f64);
    out("stalls", rec.stalls.len() as f64);
    out("p99_us", us(rec.latency.quantile(0.99)));
    out("p9999_us", us(rec.latency.quantile(0.9999)));
    out("max_latency_us", us(rec.latency.max));
    out("mmu", rec.mmu(MMU_WINDOW));
    if let Some(n) = o.switches {
        out("involuntary_switches", n as f64);
    }
    if let Some((before, after)) = &o.gc {
        out("gcs", (after.collections - before.collections) as f64);
        let pauses = after.pauses.get(before.pauses.len()..).unwrap_or_default();
        for (kind, name) in KINDS {
            let of_kind = pauses.iter().filter(|p| p.kind == kind).map(|p| p.duration);
            out(&format!("{name}_count"), of_kind.clone().count() as f64);
            out(
                &format!("{name}_max_ms"),
                ms(of_kind.clone().max().unwrap_or_default()),
            );
            out(&format!("{name}_total_ms"), ms(of_kind.sum()));
        }
        out(
            "allocation_stalls",
            (after.allocation_stalls - before.allocation_stalls) as f64,
        );
        out(
            "allocation_stall_ms",
            ms(after.stall_time.saturating_sub(before.stall_time)),
        );
        out("allocation_stall_max_ms", ms(after.max_stall));
        out("paced", (after.paced - before.paced) as f64);
        out(
            "pacing_ms",
            ms(after.pacing_time.saturating_sub(before.pacing_time)),
        );
    }
    out("peak_rss_mib", peak_rss_mib());
}

// ------------------------------------------------------------ the parent

/// What a child reported.
enum Child {
    Figures(BTreeMap<String, f64>),
    Skipped(String),
    Failed(String),
}

fn spawn(variant: &str, paced: bool, quick: bool, heap_mib: usize, gc_log: bool) -> Child {
    let exe = std::env::current_exe().unwrap_or_else(|e| fail("find this program", e));
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--child", variant, if paced { "PACED" } else { "FAST" }]);
    cmd.args(["--heap", &heap_mib.to_string()]);
    if quick {
        cmd.arg("--quick");
    }
    if gc_log {
        cmd.arg("--gc-log");
    }
    let out = match cmd.stderr(std::process::Stdio::inherit()).output() {
        Ok(out) => out,
        Err(e) => return Child::Failed(format!("cannot run a child: {e}")),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let said = text.trim();
        return Child::Failed(if said.is_empty() {
            format!("{} (its error is above, on stderr)", out.status)
        } else {
            format!("{} ({said})", out.status)
        });
    }
    if let Some(why) = text.lines().find_map(|l| l.strip_prefix("skipped ")) {
        return Child::Skipped(why.to_owned());
    }
    Child::Figures(
        text.lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(' ')?;
                Some((k.to_owned(), v.trim().parse().ok()?))
            })
            .collect(),
    )
}

/// Prints one run's figures.
fn print_figures(run: &str, variant: &str, f: &BTreeMap<String, f64>) {
    let get = |key: &str| f.get(key).copied().unwrap_or(f64::NAN);
    let name = |figure: &str| format!("{run}, {variant}, {figure}");
    line(&name("build, s"), format!("{:.2}", get("build_s")));
    line(&name("operations"), format!("{:.0}", get("ops")));
    let rate = if run == "fast" {
        "throughput, ops/s"
    } else {
        "rate, ops/s"
    };
    line(&name(rate), format!("{:.0}", get("ops_per_s")));
    line(
        &name("max stall, ms"),
        format!("{:.3}", get("max_stall_ms")),
    );
    line(
        &name("stalls > 1 ms"),
        format!("{:.0}", get("stalls_over_1ms")),
    );
    line(&name("stalls >= 50 us"), format!("{:.0}", get("stalls")));
    line(&name("p99 latency, us"), format!("{:.1}", get("p99_us")));
    line(
        &name("p99.99 latency, us"),
        format!("{:.1}", get("p9999_us")),
    );
    line(
        &name("max latency, us"),
        format!("{:.1}", get("max_latency_us")),
    );
    line(&name("MMU 10 ms"), format!("{:.4}", get("mmu")));
    line(
        &name("involuntary context switches"),
        format!("{:.0}", get("involuntary_switches")),
    );
    if f.contains_key("gcs") {
        line(&name("collections"), format!("{:.0}", get("gcs")));
        for (_, kind) in KINDS {
            line(
                &name(&format!("{kind} pauses")),
                format!("{:.0}", get(&format!("{kind}_count"))),
            );
            line(
                &name(&format!("{kind} pause max, ms")),
                format!("{:.3}", get(&format!("{kind}_max_ms"))),
            );
            line(
                &name(&format!("{kind} pause total, ms")),
                format!("{:.3}", get(&format!("{kind}_total_ms"))),
            );
        }
        line(
            &name("allocation stalls"),
            format!("{:.0}", get("allocation_stalls")),
        );
        line(
            &name("allocation stall time, ms"),
            format!("{:.3}", get("allocation_stall_ms")),
        );
        line(
            &name("allocation stall max (whole run, build included), ms"),
            format!("{:.3}", get("allocation_stall_max_ms")),
        );
        line(&name("paced allocations"), format!("{:.0}", get("paced")));
        line(&name("pacing time, ms"), format!("{:.3}", get("pacing_ms")));
    }
    line(
        &name("peak RSS, MiB"),
        format!("{:.0}", get("peak_rss_mib")),
    );
}

fn usage() -> ! {
    eprintln!(
        "usage: latency [--quick] [--variant NAME] [--heap MIB] [--gc-log]\n\
         variants: {}",
        VARIANTS.join(", ")
    );
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut quick, mut gc_log, mut heap_mib) = (false, false, 1024usize);
    let mut variant: Option<String> = None;
    let mut child_run: Option<(String, bool)> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--gc-log" => gc_log = true,
            "--variant" => variant = Some(it.next().unwrap_or_else(|| usage()).clone()),
            "--heap" => {
                heap_mib = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&v: &usize| v > 0 && v.checked_mul(MIB).is_some())
                    .unwrap_or_else(|| usage());
            }
            "--child" => {
                let v = it.next().unwrap_or_else(|| usage()).clone();
                let paced = match it.next().map(String::as_str) {
                    Some("PACED") => true,
                    Some("FAST") => false,
                    _ => usage(),
                };
                child_run = Some((v, paced));
            }
            _ => usage(),
        }
    }
    if let Some(v) = variant
        .as_deref()
        .or(child_run.as_ref().map(|c| c.0.as_str()))
        && !VARIANTS.contains(&v)
    {
        eprintln!("latency: unknown variant {v:?}");
        usage();
    }
    if gc_log {
        movegc_benches::install_gc_log();
    }
    let cfg = Config::new(quick, heap_mib);
    if let Some((v, paced)) = child_run {
        child(&v, &cfg, paced);
        return;
    }

    line(
        "setup",
        format!(
            "{} slots of {CHAIN}-node chains ({NODE_BYTES}-byte nodes, {:.0} MiB of nodes) \
             in arrays of {SLOTS_PER_ARRAY} slots; movegc heap {heap_mib} MiB; \
             paced {:.0} ops/s; warm-up {:.1} s, measured {:.1} s",
            cfg.slots,
            (cfg.slots * CHAIN * NODE_BYTES) as f64 / MIB as f64,
            cfg.rate(),
            cfg.warmup.as_secs_f64(),
            cfg.measured.as_secs_f64()
        ),
    );
    let mut results: BTreeMap<(&str, &str), BTreeMap<String, f64>> = BTreeMap::new();
    let mut failed = false;
    for v in VARIANTS
        .iter()
        .copied()
        .filter(|v| variant.as_deref().is_none_or(|w| w == *v))
    {
        for (run, paced) in [("paced", true), ("fast", false)] {
            match spawn(v, paced, quick, heap_mib, gc_log) {
                Child::Figures(f) => {
                    print_figures(run, v, &f);
                    results.insert((run, v), f);
                }
                Child::Skipped(why) => {
                    line(v, format!("skipped: {why}"));
                    break;
                }
                Child::Failed(why) => {
                    line(&format!("{run}, {v}"), format!("failed: {why}"));
                    failed = true;
                }
            }
        }
    }
    let get = |run: &str, v: &str, key: &str| {
        results
            .get(&(run, v))
            .and_then(|f| f.get(key).copied())
            .unwrap_or(f64::NAN)
    };
    for v in VARIANTS.iter().copied().skip(1) {
        if !results.contains_key(&("fast", "Box")) || !results.contains_key(&("fast", v)) {
            continue;
        }
        line(
            &format!("fast, {v} / Box, throughput"),
            format!(
                "{:.3}",
                get("fast", v, "ops_per_s") / get("fast", "Box", "ops_per_s")
            ),
        );
        for run in ["paced", "fast"] {
            line(
                &format!("{run}, {v} / Box, max stall"),
                format!(
                    "{:.2}",
                    get(run, v, "max_stall_ms") / get(run, "Box", "max_stall_ms")
                ),
            );
        }
    }
    if failed {
        std::process::exit(1);
    }
}
