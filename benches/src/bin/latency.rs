//! Mutator latency under steady mutation: how long the mutator is stalled,
//! how late its operations finish, and how much of each 1, 10 and 100 ms it
//! keeps, while a live set of about 370 MB is replaced piece by piece, on
//! movegc, on Rust's allocator and on HotSpot's low-pause collectors. One
//! `name: value` line per figure, and SVG pictures.
//!
//! `cargo run --release -p movegc-benches --bin latency [-- [--quick] [--variant NAME] [--heap MIB] [--java | --no-java] [--svg DIR] [--gc-log]]`
//!
//! `--quick` runs a twentieth of the live set with 0.5 s of warm-up and 1 s
//! measured, without HotSpot unless `--java` is given (a smoke test, in CI:
//! `cargo run --release -p movegc-benches --bin latency -- --quick`);
//! `--variant NAME` runs one variant only (`Box`, `movegc-stw`,
//! `movegc-stw-cm`, `movegc-move`, `movegc-copy`, `HotSpot-ZGC`,
//! `HotSpot-Shenandoah` or `HotSpot-G1`); `--heap MIB` sets the heap's size,
//! movegc's and HotSpot's (default 1024); `--no-java` leaves HotSpot out;
//! `--svg DIR` is where the pictures go (default: `latency-svg` in Cargo's
//! target directory, e.g. `target/latency-svg`); `--gc-log` prints the GC log
//! (movegc's, or HotSpot's `-Xlog:gc,gc+phases`) on stderr.
//!
//! The live set: 1,000,000 slots, each holding a chain of 12 nodes of 32
//! bytes (a header, a `next` reference and two payload words). An operation
//! replaces a random slot's chain by a freshly built one. The slots live in
//! the movegc heap, in 1,000 reference arrays of 1,000 slots (8 KiB each),
//! whose handles are the roots. The arrays stay below the large-object
//! threshold (32 KiB) on purpose: small arrays are moved and updated by the
//! concurrent compaction like any other object, on the same pages as the
//! chains, where one 8 MB array of a million slots would be a large object,
//! which never slides (its references are rewritten after the compaction
//! pause, page by page: docs/concurrent-compaction.md, *Large objects*).
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
//! the minimum mutator utilisation (MMU) over a window length is the least,
//! over every window inside the measured period, of the share of the window
//! not stalled. The children report their stalls, and the parent computes the
//! MMUs, so that every variant's come from the same code. The GC's own
//! figures (pauses by kind, with the collector's CPU time in the longest of
//! each, which is short of its length when the machine kept it off its
//! core; allocation stalls, pacing, collections, and the
//! mutators' faults on each kind of page: count, mean, median, p99 and the
//! share within 10 µs, from the heap's distributions of their handlers'
//! times; their max is the whole run's) are the differences of the heap's statistics between the
//! measured period's start and end. Pauses are recorded when their cycle ends, so a cycle running
//! across either edge counts on the side it ends. The mutator's involuntary
//! context switches in the measured period tell stalls the scheduler caused
//! (GC threads competing for a core) from the rest.
//!
//! The variants: `Box` (plain Rust: `Vec<Option<Box<Node>>>`, replacing a
//! chain drops the old one), `machine` (the same loop, with operations that do
//! nothing: the stalls the machine itself causes, a ceiling on every variant's
//! MMU), `movegc-stw` (stop-the-world mode with
//! concurrent marking off: every cycle in one pause), `movegc-stw-cm`
//! (stop-the-world compaction, concurrent marking), `movegc-move` and
//! `movegc-copy` (concurrent compaction with `UFFDIO_MOVE` / `UFFDIO_COPY`).
//! A mode this machine cannot run is reported as skipped, with the reason.
//!
//! `HotSpot-ZGC`, `HotSpot-Shenandoah` and `HotSpot-G1` run the same workload
//! in Java (`benches/java/Latency.java`: the same slots, chains, random slots,
//! pacing, stalls and latencies, on `System.nanoTime()`; compiled with `javac`
//! next to this program at every run) with `-XX:+UseZGC`,
//! `-XX:+UseShenandoahGC` or `-XX:+UseG1GC`, and `-Xms` and `-Xmx` both the
//! heap's size. Each is skipped, saying why, where `javac` or `java` is
//! missing or the JVM lacks the collector. Their nodes are 32 bytes too with
//! compressed pointers (12-byte header, 4-byte reference, two longs), 40 with
//! ZGC, which has none. Their GC figures are the pauses that HotSpot's log
//! (`-Xlog:gc,gc+phases`) reports within the measured period; their peak RSS
//! is the whole JVM's, from `wait4`. JDK 17's ZGC maps its heap three times,
//! and the RSS counts each mapping's pages, so its peak RSS overstates its
//! memory up to threefold.
//!
//! The pictures, per run (paced and fast): `mmu-RUN.svg`, every variant's MMU
//! against the window length, 1 ms to 1 s, on a log scale; and
//! `stalls-RUN-VARIANT.svg`, each stall of the measured period at its start
//! (length on a log scale), with the GC pauses drawn as red lines at their
//! start, up to their length: for HotSpot its logged pauses, for movegc every
//! pause of its statistics (`Pause::start`).

use movegc_benches::{hotspot_pause_ms, jdk_tool, line, peak_rss_mib, reset_peak_rss, run_child};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gc_core::{
    HandleScope, Heap, Local, Mode, Pause, PauseKind, SlotKind, Stats, TypeDescriptor, TypeId,
    TypeTable, WORD,
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
/// The MMU's windows, with their figures' names.
const MMU_WINDOWS: [(Duration, &str); 3] = [
    (Duration::from_millis(1), "1 ms"),
    (Duration::from_millis(10), "10 ms"),
    (Duration::from_millis(100), "100 ms"),
];

const VARIANTS: [&str; 9] = [
    "Box",
    "machine",
    "movegc-stw",
    "movegc-stw-cm",
    "movegc-move",
    "movegc-copy",
    "HotSpot-ZGC",
    "HotSpot-Shenandoah",
    "HotSpot-G1",
];

/// A HotSpot variant's collector flag.
fn hotspot_collector(variant: &str) -> Option<&'static str> {
    match variant {
        "HotSpot-ZGC" => Some("-XX:+UseZGC"),
        "HotSpot-Shenandoah" => Some("-XX:+UseShenandoahGC"),
        "HotSpot-G1" => Some("-XX:+UseG1GC"),
        _ => None,
    }
}

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

/// The variant `machine`: operations that do nothing, so that its stalls are
/// the machine's own (interrupts, the hypervisor, other processes).
struct Nothing;

impl Chains for Nothing {
    fn replace(&mut self, slot: usize) {
        black_box(slot);
    }

    fn poll(&mut self) {}

    fn stats(&mut self) -> Option<Stats> {
        None
    }

    fn check(&mut self) -> Result<(), String> {
        Ok(())
    }
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
}

/// The minimum mutator utilisation over windows of `window` inside the
/// measured period `from..to`, counting the `stalls` (start and end, sorted,
/// in the period's time base) clamped to the period. The worst window starts
/// where a stall starts or ends where one ends.
fn mmu(stalls: &[(u64, u64)], from: u64, to: u64, window: Duration) -> f64 {
    let window = ns(window).min(to.saturating_sub(from));
    if window == 0 {
        return 1.0;
    }
    let stalls: Vec<(u64, u64)> = stalls
        .iter()
        .map(|&(s, e)| (s.clamp(from, to), e.clamp(from, to)))
        .collect();
    let mut prefix = Vec::with_capacity(stalls.len() + 1);
    prefix.push(0u64);
    for &(s, e) in &stalls {
        prefix.push(prefix[prefix.len() - 1] + e.saturating_sub(s));
    }
    // Stalled time before `t`.
    let stalled_before = |t: u64| {
        let i = stalls.partition_point(|&(s, _)| s < t);
        let mut total = prefix[i];
        if let Some(&(_, e)) = i.checked_sub(1).map(|j| &stalls[j])
            && e > t
        {
            total = total.saturating_sub(e - t);
        }
        total
    };
    let mut worst = 0;
    for &(s, e) in &stalls {
        for start in [s, e.saturating_sub(window)] {
            let start = start.clamp(from, to - window);
            worst = worst.max(stalled_before(start + window).saturating_sub(stalled_before(start)));
        }
    }
    1.0 - worst as f64 / window as f64
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
        None if variant == "machine" => measure(&mut Nothing, cfg, paced),
        None => {
            let mut w = BoxChains((0..cfg.slots).map(|_| None).collect());
            measure(&mut w, cfg, paced)
        }
        Some((mode, concurrent_mark)) => {
            let t = TypeTable::new();
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
    if let Some(n) = o.switches {
        out("involuntary_switches", n as f64);
    }
    if let Some((before, after)) = &o.gc {
        out("gcs", (after.collections - before.collections) as f64);
        let pauses = after.pauses.get(before.pauses.len()..).unwrap_or_default();
        for (kind, name) in KINDS {
            let of_kind = pauses.iter().filter(|p| p.kind == kind);
            let longest = of_kind.clone().max_by_key(|p| p.duration);
            out(&format!("{name}_count"), of_kind.clone().count() as f64);
            out(
                &format!("{name}_max_ms"),
                ms(longest.map(|p| p.duration).unwrap_or_default()),
            );
            out(
                &format!("{name}_max_cpu_ms"),
                ms(longest.map(|p| p.cpu).unwrap_or_default()),
            );
            out(
                &format!("{name}_total_ms"),
                ms(of_kind.map(|p| p.duration).sum()),
            );
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
        let (was, is) = (before.faults_by_kind.named(), after.faults_by_kind.named());
        for ((kind, was), (_, is)) in was.iter().zip(&is) {
            let measured = is.since(was);
            let us = |d: Duration| d.as_secs_f64() * 1e6;
            let d = &measured.distribution;
            out(&format!("faults_{kind}"), measured.count as f64);
            out(&format!("fault_{kind}_mean_us"), us(measured.mean()));
            out(
                &format!("fault_{kind}_median_us"),
                us(measured.quantile(0.5)),
            );
            out(&format!("fault_{kind}_p99_us"), us(measured.quantile(0.99)));
            out(
                &format!("fault_{kind}_within_10us"),
                d.fraction_within(Duration::from_micros(10)),
            );
            out(&format!("fault_{kind}_max_us"), us(is.max));
        }
        out("paced", (after.paced - before.paced) as f64);
        out(
            "pacing_ms",
            ms(after.pacing_time.saturating_sub(before.pacing_time)),
        );
    }
    out("peak_rss_mib", peak_rss_mib());
    // Where the stalls' time base starts on the GC log's clock.
    out(
        "t0_log_ms",
        rec.t0
            .saturating_duration_since(movegc_benches::gc_log_epoch())
            .as_secs_f64()
            * 1e3,
    );
    out("from_ns", ns(rec.from) as f64);
    out("to_ns", ns(rec.to) as f64);
    for &(start, end) in &rec.stalls {
        println!("stall {start} {end}");
    }
    if let Some((_, after)) = &o.gc {
        for (end, length) in placed_pauses(&after.pauses, rec.t0) {
            println!("pause {end} {length}");
        }
    }
}

/// Every pause, as (end, length) in ns after `t0`.
fn placed_pauses(pauses: &[Pause], t0: Instant) -> Vec<(u64, u64)> {
    pauses
        .iter()
        .filter_map(|p| {
            let end = (p.start + p.duration).checked_duration_since(t0)?;
            Some((ns(end), ns(p.duration)))
        })
        .collect()
}

// ------------------------------------------------------------ the parent

/// One run, as its child reported it.
struct Run {
    /// Its figures, by the keys of [`report`] (Latency.java's are the same),
    /// and the MMUs (`mmu 10 ms`).
    figures: BTreeMap<String, f64>,
    /// The stalls overlapping the measured period, sorted: start and end, in
    /// ns after the run's origin.
    stalls: Vec<(u64, u64)>,
    /// The GC pauses overlapping the measured period: end and length, in ns
    /// after the origin.
    pauses: Vec<(u64, u64)>,
    /// The measured period, in ns after the origin.
    from: u64,
    to: u64,
}

impl Run {
    /// Reads a child's standard output (`key value`, `stall START END` and
    /// `pause END LENGTH` lines) and, for HotSpot, its GC log.
    fn parse(stdout: &str, hotspot_log: Option<&str>) -> Result<Run, String> {
        let mut figures = BTreeMap::new();
        let (mut stalls, mut pauses) = (Vec::new(), Vec::new());
        let pair = |a: &str, b: &str| a.parse::<u64>().ok().zip(b.parse::<u64>().ok());
        for l in stdout.lines() {
            let words: Vec<&str> = l.split_whitespace().collect();
            match words[..] {
                ["stall", a, b] => stalls.push(pair(a, b).ok_or(format!("bad line {l:?}"))?),
                ["pause", a, b] => pauses.push(pair(a, b).ok_or(format!("bad line {l:?}"))?),
                [key, value] => {
                    if let Ok(v) = value.parse() {
                        figures.insert(key.to_owned(), v);
                    }
                }
                _ => {}
            }
        }
        // Read exactly: as an f64 a clock reading may lose its last digits.
        let exact = |key: &str| {
            stdout
                .lines()
                .find_map(|l| {
                    l.strip_prefix(key)?
                        .strip_prefix(' ')?
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
                .ok_or(format!("no {key} on its stdout"))
        };
        let (from, to) = (exact("from_ns")?, exact("to_ns")?);
        if let Some(log) = hotspot_log {
            pauses = hotspot_pauses(log, exact("t0_ns")?);
        }
        stalls.sort_unstable();
        pauses.retain(|&(end, length)| end > from && end.saturating_sub(length) < to);
        let mut run = Run {
            figures,
            stalls,
            pauses,
            from,
            to,
        };
        for (window, name) in MMU_WINDOWS {
            let v = run.mmu(window);
            run.figures.insert(format!("mmu {name}"), v);
        }
        if hotspot_log.is_some() {
            let lengths = run.pauses.iter().map(|&(_, length)| length);
            let figures = [
                ("gc_pauses", lengths.clone().count() as f64),
                (
                    "gc_pause_max_ms",
                    lengths.clone().max().unwrap_or(0) as f64 / 1e6,
                ),
                ("gc_pause_total_ms", lengths.sum::<u64>() as f64 / 1e6),
            ];
            for (key, v) in figures {
                run.figures.insert(key.to_owned(), v);
            }
        }
        Ok(run)
    }

    /// The minimum mutator utilisation over windows of `window`.
    fn mmu(&self, window: Duration) -> f64 {
        mmu(&self.stalls, self.from, self.to, window)
    }
}

/// HotSpot's pauses from its `-Xlog:gc,gc+phases:stderr:timenanos` lines,
/// e.g. `[20666216178493ns] GC(0) Pause Mark Start 0.016ms` (logged at the
/// pause's end): end and length in ns after `t0`, a `System.nanoTime()`
/// reading, the clock of `timenanos`.
fn hotspot_pauses(log: &str, t0: u64) -> Vec<(u64, u64)> {
    log.lines()
        .filter_map(|l| {
            let length = hotspot_pause_ms(l)?;
            let end: u64 = l.strip_prefix('[')?.split_once("ns]")?.0.parse().ok()?;
            Some((end.checked_sub(t0)?, (length * 1e6) as u64))
        })
        .collect()
}

/// What a child reported.
enum Child {
    Ran(Run),
    Skipped(String),
    Failed(String),
}

/// Runs a Rust variant's paced or fast run in a child process.
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
    Run::parse(&text, None).map_or_else(Child::Failed, Child::Ran)
}

/// Runs Latency.java (compiled into `classes`) with HotSpot's `collector`
/// and a heap of `heap_mib`, paced or fast, with `cfg`'s sizes.
fn spawn_java(
    classes: &Path,
    collector: &str,
    paced: bool,
    cfg: &Config,
    heap_mib: usize,
    gc_log: bool,
) -> Child {
    let mut cmd = jdk_tool("java");
    // -Xms as -Xmx: a heap of fixed size, as movegc's is, and no sizing
    // policy to tell apart from the collector.
    cmd.arg(collector)
        .arg(format!("-Xms{heap_mib}m"))
        .arg(format!("-Xmx{heap_mib}m"))
        .arg("-Xlog:gc,gc+phases:stderr:timenanos")
        .arg("-cp")
        .arg(classes)
        .arg("Latency")
        .arg(if paced { "PACED" } else { "FAST" })
        .arg(cfg.slots.to_string())
        .arg(cfg.warmup.as_millis().to_string())
        .arg(cfg.measured.as_millis().to_string());
    // Generous: a stuck JVM is killed rather than waited for.
    let timeout = (cfg.warmup + cfg.measured) * 4 + Duration::from_secs(120);
    let exit = match run_child(&mut cmd, Some(timeout)) {
        Ok(exit) => exit,
        Err(e) => return Child::Failed(e),
    };
    if gc_log {
        eprint!("{}", exit.stderr);
    }
    if exit.status != 0 {
        let last = exit.stderr.lines().rfind(|l| !l.trim().is_empty());
        return Child::Failed(format!(
            "exit status {}: {}",
            exit.status,
            last.unwrap_or("(nothing on stderr)")
        ));
    }
    match Run::parse(&exit.stdout, Some(&exit.stderr)) {
        Ok(mut run) => {
            // The whole JVM's peak, from `wait4`: a JVM cannot reset its own.
            run.figures
                .insert("peak_rss_mib".to_owned(), exit.peak_rss_mib);
            Child::Ran(run)
        }
        Err(e) => Child::Failed(e),
    }
}

/// Latency.java.
const JAVA_SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/java/Latency.java");

/// Compiles Latency.java next to this program, into the directory it returns;
/// the reason when it cannot, or when `java` does not run.
fn compile_java() -> Result<PathBuf, String> {
    movegc_benches::compile_java("latency-java", &[JAVA_SOURCE.into()])
}

/// Why this JVM cannot run with `collector` (not built in, say), if it cannot.
fn collector_missing(collector: &str) -> Option<String> {
    match jdk_tool("java").args([collector, "-version"]).output() {
        Err(e) => Some(format!("no java: {e}")),
        Ok(out) if out.status.success() => None,
        Ok(out) => {
            let said = String::from_utf8_lossy(&out.stderr);
            let first = said.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            Some(format!("java {collector} failed: {}", first.trim()))
        }
    }
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
    for (_, window) in MMU_WINDOWS {
        line(
            &name(&format!("MMU {window}")),
            format!("{:.4}", get(&format!("mmu {window}"))),
        );
    }
    line(
        &name("involuntary context switches"),
        format!("{:.0}", get("involuntary_switches")),
    );
    if f.contains_key("gc_pauses") {
        line(&name("GC pauses"), format!("{:.0}", get("gc_pauses")));
        line(
            &name("GC pause max, ms"),
            format!("{:.3}", get("gc_pause_max_ms")),
        );
        line(
            &name("GC pause total, ms"),
            format!("{:.3}", get("gc_pause_total_ms")),
        );
    }
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
                &name(&format!("{kind} pause max, collector on cpu, ms")),
                format!("{:.3}", get(&format!("{kind}_max_cpu_ms"))),
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
        for kind in ["dense", "sliding", "large", "old", "allocation"] {
            if get(&format!("faults_{kind}")) > 0.0 {
                line(
                    &name(&format!("mutator faults on {kind} pages")),
                    format!("{:.0}", get(&format!("faults_{kind}"))),
                );
                line(
                    &name(&format!("mutator fault on {kind} pages, mean, us")),
                    format!("{:.1}", get(&format!("fault_{kind}_mean_us"))),
                );
                line(
                    &name(&format!("mutator fault on {kind} pages, median, us")),
                    format!("{:.1}", get(&format!("fault_{kind}_median_us"))),
                );
                line(
                    &name(&format!("mutator fault on {kind} pages, p99, us")),
                    format!("{:.1}", get(&format!("fault_{kind}_p99_us"))),
                );
                line(
                    &name(&format!("mutator faults on {kind} pages within 10 us, %")),
                    format!("{:.0}", 100.0 * get(&format!("fault_{kind}_within_10us"))),
                );
                line(
                    &name(&format!(
                        "mutator fault on {kind} pages, max (whole run, build included), us"
                    )),
                    format!("{:.1}", get(&format!("fault_{kind}_max_us"))),
                );
            }
        }
        line(&name("paced allocations"), format!("{:.0}", get("paced")));
        line(&name("pacing time, ms"), format!("{:.3}", get("pacing_ms")));
    }
    line(
        &name("peak RSS, MiB"),
        format!("{:.0}", get("peak_rss_mib")),
    );
}

// ------------------------------------------------------------ pictures

/// The MMU curve's windows: 1 ms to 1 s, ten per decade.
fn curve_windows() -> impl Iterator<Item = Duration> {
    (0..=30).map(|i| Duration::from_secs_f64(1e-3 * 10f64.powf(f64::from(i) / 10.0)))
}

fn drawing<E: std::error::Error + Send + Sync>(
    e: plotters::drawing::DrawingAreaErrorKind<E>,
) -> String {
    format!("drawing: {e}")
}

/// A variant's colour, the same in every chart; readable on white (the
/// plotters palette's third is a pale yellow).
fn variant_color(variant: &str) -> plotters::style::RGBColor {
    use plotters::style::RGBColor;
    const COLORS: [RGBColor; 9] = [
        RGBColor(0, 0, 0),
        RGBColor(127, 127, 127),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(31, 119, 180),
        RGBColor(23, 190, 207),
        RGBColor(214, 39, 40),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
    ];
    let i = VARIANTS.iter().position(|&v| v == variant).unwrap_or(0);
    COLORS[i % COLORS.len()]
}

/// Draws the MMU curves of one `run` (paced or fast) of `variants` into `path`.
fn mmu_chart(path: &Path, run: &str, variants: &[(&str, &Run)]) -> Result<(), String> {
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (1120, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    // The key goes beside the chart: inside, it would hide some of the curves.
    let (plot, key) = root.split_horizontally(920);
    let mut chart = ChartBuilder::on(&plot)
        .caption(
            format!("Minimum mutator utilisation, {run} run"),
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d((1f64..1000f64).log_scale(), 0f64..1f64)
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("window, ms")
        .y_desc("MMU")
        .draw()
        .map_err(drawing)?;
    for &(variant, r) in variants {
        let color = variant_color(variant);
        let points = curve_windows().map(|w| (ms(w), r.mmu(w)));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(drawing)?;
    }
    for (i, &(variant, _)) in variants.iter().enumerate() {
        let y = 80 + 24 * i32::try_from(i).unwrap_or(0);
        let color = variant_color(variant);
        key.draw(&PathElement::new([(8, y), (36, y)], color.stroke_width(3)))
            .map_err(drawing)?;
        key.draw(&Text::new(variant, (44, y - 8), ("sans-serif", 15)))
            .map_err(drawing)?;
    }
    root.present().map_err(drawing)
}

/// Draws `variant`'s stalls in one `run` (paced or fast) over the measured
/// period into `path`, with its GC pauses; `pauses` says which those are.
fn stall_chart(path: &Path, run: &str, variant: &str, r: &Run, pauses: &str) -> Result<(), String> {
    use plotters::prelude::*;
    let at = |t: u64| t.saturating_sub(r.from) as f64 / 1e9;
    let length = |ns: u64| ns as f64 / 1e6;
    let lengths = r
        .stalls
        .iter()
        .map(|&(s, e)| length(e - s))
        .chain(r.pauses.iter().map(|&(_, l)| length(l)));
    let (lo, hi) = lengths.fold((f64::INFINITY, 0f64), |(lo, hi), l| (lo.min(l), hi.max(l)));
    // A log axis needs a positive bottom: a microsecond at least.
    let lo = if lo.is_finite() {
        (lo / 1.5).max(1e-3)
    } else {
        0.01
    };
    let hi = (hi * 1.5).max(lo * 10.0);
    // Room above the data for the key: a fifth of the axis.
    let hi = hi * (hi / lo).powf(0.25);
    let span = length(r.to - r.from) / 1e3;
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{variant}, {run} run: stalls and GC pauses"),
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..span, (lo..hi).log_scale())
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("time in the measured period, s")
        .y_desc("length, ms")
        .draw()
        .map_err(drawing)?;
    let red = RED.mix(0.6);
    chart
        .draw_series(r.pauses.iter().map(|&(end, l)| {
            let x = at(end.saturating_sub(l));
            PathElement::new([(x, lo), (x, length(l).max(lo))], red.stroke_width(1))
        }))
        .map_err(drawing)?
        .label(pauses)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], red.stroke_width(2)));
    chart
        .draw_series(
            r.stalls
                .iter()
                .map(|&(s, e)| Circle::new((at(s), length(e - s)), 2, BLUE.filled())),
        )
        .map_err(drawing)?
        .label("stalls: gaps of 50 us or more between the mutator's clock reads")
        .legend(|(x, y)| Circle::new((x + 10, y), 3, BLUE.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(drawing)?;
    root.present().map_err(drawing)
}

/// Writes the pictures of every run in `results` into `dir`: the MMU curves
/// of each run, and each variant's stalls. Tells whether all were written.
fn pictures(dir: &Path, results: &BTreeMap<(&str, &str), Run>) -> bool {
    if let Err(e) = std::fs::create_dir_all(dir) {
        line("pictures", format!("failed: {}: {e}", dir.display()));
        return false;
    }
    let mut ok = true;
    let mut done = |what: String, path: PathBuf, r: Result<(), String>| match r {
        Ok(()) => line(&format!("SVG, {what}"), path.display()),
        Err(e) => {
            line(&format!("SVG, {what}"), format!("failed: {e}"));
            ok = false;
        }
    };
    for run in ["paced", "fast"] {
        // In VARIANTS' order, for the same colours in every chart.
        let of_run: Vec<(&str, &Run)> = VARIANTS
            .iter()
            .filter_map(|&v| Some((v, results.get(&(run, v))?)))
            .collect();
        if of_run.is_empty() {
            continue;
        }
        let path = dir.join(format!("mmu-{run}.svg"));
        let r = mmu_chart(&path, run, &of_run);
        done(format!("{run}, MMU"), path, r);
        for (v, r) in of_run {
            let pauses = if hotspot_collector(v).is_some() {
                "GC pauses (from -Xlog:gc)"
            } else if gc_config(v).is_some() {
                "GC pauses: every pause"
            } else {
                "GC pauses: none"
            };
            let path = dir.join(format!("stalls-{run}-{v}.svg"));
            let r = stall_chart(&path, run, v, r, pauses);
            done(format!("{run}, {v}, stalls"), path, r);
        }
    }
    ok
}

// ------------------------------------------------------------ main

fn usage() -> ! {
    eprintln!(
        "usage: latency [--quick] [--variant NAME] [--heap MIB] [--java | --no-java] [--svg DIR] [--gc-log]\n\
         variants: {}",
        VARIANTS.join(", ")
    );
    std::process::exit(2);
}

/// Where the pictures go by default: `latency-svg` in Cargo's target
/// directory (this program is in its `release` or `debug`).
fn default_svg_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("latency-svg")))
        .unwrap_or_else(|| PathBuf::from("latency-svg"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut quick, mut gc_log, mut heap_mib) = (false, false, 1024usize);
    let (mut java_flag, mut no_java) = (false, false);
    let mut svg_dir: Option<PathBuf> = None;
    let mut variant: Option<String> = None;
    let mut child_run: Option<(String, bool)> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--gc-log" => gc_log = true,
            "--java" => java_flag = true,
            "--no-java" => no_java = true,
            "--svg" => svg_dir = Some(PathBuf::from(it.next().unwrap_or_else(|| usage()))),
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
    if java_flag && no_java {
        usage();
    }
    if let Some(v) = variant
        .as_deref()
        .or(child_run.as_ref().map(|c| c.0.as_str()))
        && !VARIANTS.contains(&v)
    {
        eprintln!("latency: unknown variant {v:?}");
        usage();
    }
    let cfg = Config::new(quick, heap_mib);
    if let Some((v, paced)) = child_run {
        if hotspot_collector(&v).is_some() {
            eprintln!("latency: HotSpot variants run in a JVM, not a child of this program");
            usage();
        }
        if gc_log {
            movegc_benches::install_gc_log();
        }
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
    let selected: Vec<&str> = VARIANTS
        .iter()
        .copied()
        .filter(|v| variant.as_deref().is_none_or(|w| w == *v))
        .collect();
    let java = if !selected.iter().any(|v| hotspot_collector(v).is_some()) {
        Err("not selected".to_owned())
    } else if no_java {
        Err("--no-java".to_owned())
    } else if quick && !java_flag {
        Err("--quick (add --java to run HotSpot too)".to_owned())
    } else {
        compile_java()
    };
    let mut results: BTreeMap<(&str, &str), Run> = BTreeMap::new();
    let mut failed = false;
    for v in selected {
        let collector = hotspot_collector(v);
        let classes = match (collector, &java) {
            (None, _) => None,
            (Some(collector), Ok(classes)) => {
                if let Some(why) = collector_missing(collector) {
                    line(v, format!("skipped: {why}"));
                    continue;
                }
                Some(classes)
            }
            (Some(_), Err(why)) => {
                line(v, format!("skipped: {why}"));
                continue;
            }
        };
        for (run, paced) in [("paced", true), ("fast", false)] {
            let child = match (collector, classes) {
                (Some(collector), Some(classes)) => {
                    spawn_java(classes, collector, paced, &cfg, heap_mib, gc_log)
                }
                _ => spawn(v, paced, quick, heap_mib, gc_log),
            };
            match child {
                Child::Ran(r) => {
                    print_figures(run, v, &r.figures);
                    results.insert((run, v), r);
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
            .and_then(|r| r.figures.get(key).copied())
            .unwrap_or(f64::NAN)
    };
    for v in VARIANTS.iter().copied().skip(2) {
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
    if !pictures(&svg_dir.unwrap_or_else(default_svg_dir), &results) {
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::{Run, hotspot_pauses, mmu};
    use std::time::Duration;

    const MS: u64 = 1_000_000;

    #[test]
    fn mmu_counts_the_worst_window() {
        // 2 ms stalled at 10 ms and 3 ms at 14 ms, in a 100 ms period.
        let stalls = [(10 * MS, 12 * MS), (14 * MS, 17 * MS)];
        let mmu = |window| mmu(&stalls, 0, 100 * MS, Duration::from_millis(window));
        assert_eq!(mmu(1), 0.0);
        assert!((mmu(10) - 0.5).abs() < 1e-9);
        assert!((mmu(100) - 0.95).abs() < 1e-9);
        assert_eq!(super::mmu(&[], 0, 100 * MS, Duration::from_millis(10)), 1.0);
    }

    #[test]
    fn mmu_clamps_stalls_to_the_period() {
        let stalls = [(0, 15 * MS)];
        let v = mmu(&stalls, 10 * MS, 110 * MS, Duration::from_millis(100));
        assert!((v - 0.95).abs() < 1e-9);
    }

    #[test]
    fn hotspot_pauses_are_placed_on_the_mutator_clock() {
        let log = "[1000500000ns] GC(0) Pause Mark Start 0.016ms\n\
                   [1000600000ns] GC(0) Concurrent Mark 47.607ms\n\
                   [999ns] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 6M->6M(128M) 7.797ms";
        assert_eq!(hotspot_pauses(log, 1_000_000_000), vec![(500_000, 16_000)]);
    }

    #[test]
    fn a_run_is_read_from_its_lines() {
        let stdout = "t0_ns 1000000000\nfrom_ns 1000000\nto_ns 11000000\nops 7\n\
                      stall 2000000 3000000\nstall 1000 5000\n";
        let log = "[1002500000ns] GC(3) Pause Final Mark 0.5ms\n\
                   [1000000001ns] GC(2) Pause Init Mark 0.001ms";
        let run = Run::parse(stdout, Some(log)).expect("well-formed");
        assert_eq!(run.stalls, vec![(1000, 5000), (2 * MS, 3 * MS)]);
        // The second pause ends before the measured period.
        assert_eq!(run.pauses, vec![(2_500_000, 500_000)]);
        assert_eq!(run.figures["ops"], 7.0);
        assert_eq!(run.figures["gc_pauses"], 1.0);
        assert!((run.figures["mmu 10 ms"] - 0.9).abs() < 1e-9);
        assert!(Run::parse("stall 1 x\nfrom_ns 0\nto_ns 1\n", None).is_err());
        assert!(Run::parse("ops 1\n", None).is_err());
    }
}
