//! A cache of large byte arrays and word strings, 30% of it dying per cycle
//! (issue 17's "Measure"): what full cycles cost with large objects moving
//! by relinking against the baseline where they never move
//! (`HeapBuilder::relink_large_objects(false)`), in Move, Copy and
//! stop-the-world modes (`-off`: the baseline); and the same with half of the cache swapped out.
//! One `name: value` line per figure.
//!
//! `cargo run --release -p movegc-benches --bin cache [--quick] [--gc-log]
//! [--medium [--unread-min=BYTES]] [SIZE]` where SIZE is the cache's size
//! (default `1GiB`); `--quick` runs a 64 MiB cache for three cycles (a
//! smoke test of a few seconds).
//!
//! `--medium`: the arrays are 4–24 KiB, below the large-object threshold,
//! in the moving space; the variants then compare reference-free objects
//! with pages of their own, moving unread (`HeapBuilder::unread_min`,
//! BYTES or its default), against `unread_min(0)` (`-off`: every page
//! built, as before), and the figures add the pages moved unread, the
//! padding kept for them and the live bytes after the cycle.
//!
//! Each variant runs in a child process of its own: the heap (three times
//! the cache, every cycle full, no cycle but the bench's own) is filled with
//! arrays of 32–256 KiB (large objects: bytes and words, no references),
//! every page written. Per cycle, 30% of the arrays die (picked by a seeded
//! generator, the same in every variant), a full cycle runs (requested, and
//! waited for to its compaction's end), the dead are replaced by fresh
//! arrays of random sizes, and every survivor's pages are checked. The swap
//! variants first push every other surviving array out with `MADV_PAGEOUT`
//! (a swap file of the bench's own is enabled for them, as root; without
//! root or swap they are skipped, saying why) and check the data only at
//! the end, so that the checks' swap-ins stay out of the figures.
//!
//! The figures are medians over the cycles: compaction CPU (the compaction
//! threads' CPU and the mutators' time in the fault handler; stop-the-world:
//! the compaction pause, where it relinks), pages relinked (and of those unread), bytes copied
//! (moved by the page builder, and placed with `UFFDIO_COPY`), bytes not
//! copied (relinked), the compaction's wall time and the cycle's (from the
//! request to the compaction's end), the resident set after the cycle, the
//! large space's extent and holes after it, and for the swap variants the
//! pages swapped in during the cycle (`/proc/vmstat` `pswpin`, system-wide).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use gc_core::{Heap, Local, Mode, ObjRef, Policy, TypeDescriptor, TypeTable};
use movegc_benches::{Figures, child_figures, line};
use movegc_tests::swap::{self, SwapFile};

const MIB: usize = 1 << 20;
const PAGE: usize = 4096;
/// Arrays are this size and up (the default large-object threshold) ...
const MIN_ARRAY: usize = 32 << 10;
/// ... and below this.
const MAX_ARRAY: usize = 256 << 10;
/// `--medium`: arrays are this size and up ...
const MIN_MEDIUM: usize = 4 << 10;
/// ... and below this.
const MAX_MEDIUM: usize = 24 << 10;
/// Percent of the arrays dying per cycle.
const DYING: u64 = 30;

/// What the child measures, from its arguments.
#[derive(Clone, Copy)]
struct Setup {
    /// Arrays of 4–24 KiB instead of 32–256 KiB.
    medium: bool,
    /// `HeapBuilder::unread_min` for the variants with the feature on.
    unread_min: usize,
}

/// The variants: a name, the mode, whether large objects relink (with
/// `--medium`: whether reference-free objects move unread), whether half
/// the cache is swapped out before each cycle.
const VARIANTS: [(&str, Mode, bool, bool); 8] = [
    ("move", Mode::Move, true, false),
    ("move-off", Mode::Move, false, false),
    ("copy", Mode::Copy, true, false),
    ("copy-off", Mode::Copy, false, false),
    ("stw", Mode::StopTheWorld, true, false),
    ("stw-off", Mode::StopTheWorld, false, false),
    ("move-swap", Mode::Move, true, true),
    ("move-off-swap", Mode::Move, false, true),
];

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("cache: {what}: {e}");
    std::process::exit(1);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// xorshift64*, seeded: every variant kills and allocates the same arrays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) % n
    }
}

/// The word written at the start of page `page` of array `id`.
fn stamp(id: usize, page: usize) -> usize {
    (id << 24) ^ page ^ 0x5a5a_0000_0000
}

/// The process's resident set now, in MiB.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

// ------------------------------------------------------------ the child

/// One array of the cache: its handle, number and bytes.
struct Entry<'s> {
    local: Local<'s>,
    id: usize,
    len: usize,
}

/// Allocates array `id` of `len` bytes (bytes or words, alternately) into
/// `local` and writes a stamp on each of its pages.
fn allocate(
    s: &mut gc_core::HandleScope<'_>,
    types: (gc_core::TypeId, gc_core::TypeId),
    local: Local<'_>,
    id: usize,
    len: usize,
) {
    let obj = if id % 2 == 0 {
        s.mutator().alloc(types.0, len as u32)
    } else {
        s.mutator().alloc(types.1, (len / 8) as u32)
    }
    .unwrap_or_else(|e| fail("allocate an array", e));
    for page in 0..len.div_ceil(PAGE) {
        // SAFETY: a live array of `len` bytes after its header; no safepoint.
        unsafe { obj.write_word(8 + page * PAGE, stamp(id, page)) };
    }
    s.set(local, Some(obj));
}

/// Whether every page of `entry` still holds its stamp.
fn intact(s: &gc_core::HandleScope<'_>, entry: &Entry<'_>) -> bool {
    let Some(obj) = s.get(entry.local) else {
        return false;
    };
    (0..entry.len.div_ceil(PAGE)).all(|page| {
        // SAFETY: a live array of `entry.len` bytes after its header.
        unsafe { obj.read_word(8 + page * PAGE) == stamp(entry.id, page) }
    })
}

/// Pushes out the pages wholly inside the array's body (a large array's
/// header page too: it starts one).
fn page_out(obj: ObjRef, len: usize) {
    let (from, end) = if obj.addr() % PAGE == 0 {
        (obj.addr(), (obj.addr() + 8 + len).next_multiple_of(PAGE))
    } else {
        let body = obj.addr() + 8;
        (body.next_multiple_of(PAGE), (body + len) / PAGE * PAGE)
    };
    if end > from {
        // SAFETY: a live array's pages in the heap's mapping. A refusal
        // leaves them resident: measured as such.
        let _ = unsafe { swap::page_out(from, end - from) };
    }
}

fn child(variant: &str, cache: usize, cycles: usize, setup: Setup) {
    let &(_, mode, on, swap) = VARIANTS
        .iter()
        .find(|v| v.0 == variant)
        .unwrap_or_else(|| fail("variant", variant));
    let t = TypeTable::new();
    let bytes = t
        .register(TypeDescriptor::bytes("bytes"))
        .unwrap_or_else(|e| fail("register", e));
    let words = t
        .register(TypeDescriptor::words("string"))
        .unwrap_or_else(|e| fail("register", e));
    let (relink, unread_min) = match (setup.medium, on) {
        (false, _) => (on, gc_core::UNREAD_MIN),
        (true, true) => (true, setup.unread_min),
        (true, false) => (true, 0),
    };
    let heap = match Heap::builder()
        .size(3 * cache)
        .mode(mode)
        .relink_large_objects(relink)
        .unread_min(unread_min)
        .policy(
            Policy::default()
                .generational(false)
                .young_budget(Some(8 * cache)),
        )
        .types(t)
        .build()
    {
        Ok(heap) => heap,
        Err(gc_core::GcError::Config(why)) => {
            println!("skipped {why}");
            return;
        }
        Err(e) => fail("build the heap", e),
    };
    let mut m = heap.attach().unwrap_or_else(|e| fail("attach", e));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let size = |rng: &mut Rng| {
        if setup.medium {
            (MIN_MEDIUM as u64 + rng.below((MAX_MEDIUM - MIN_MEDIUM) as u64)) as usize & !7
        } else {
            (MIN_ARRAY as u64 + rng.below((MAX_ARRAY - MIN_ARRAY) as u64)) as usize / PAGE * PAGE
        }
    };
    let mut results: Vec<Figures> = Vec::new();
    m.scope(|s| {
        let mut entries: Vec<Entry<'_>> = Vec::new();
        let mut total = 0;
        while total < cache {
            let len = size(&mut rng);
            let local = s.local(None);
            allocate(s, (bytes, words), local, entries.len(), len);
            entries.push(Entry {
                local,
                id: entries.len(),
                len,
            });
            total += len;
        }
        let mut next_id = entries.len();
        s.mutator().collect().unwrap_or_else(|e| fail("collect", e));
        for _ in 0..cycles {
            let mut dead = Vec::new();
            for (i, e) in entries.iter().enumerate() {
                if rng.below(100) < DYING {
                    s.set(e.local, None);
                    dead.push(i);
                }
            }
            if swap {
                for e in entries
                    .iter()
                    .filter(|e| s.get(e.local).is_some())
                    .step_by(2)
                {
                    page_out(s.get(e.local).expect("live"), e.len);
                }
            }
            let before = heap.stats();
            let swapped_in = swap::pswpin().unwrap_or(0);
            let t = Instant::now();
            s.mutator().collect().unwrap_or_else(|e| fail("collect", e));
            while heap.stats().compactions == before.compactions && mode != Mode::StopTheWorld {
                s.mutator()
                    .native(|| std::thread::sleep(Duration::from_micros(200)));
            }
            let cycle_ms = ms(t.elapsed());
            let swapped_in = swap::pswpin().unwrap_or(0) - swapped_in;
            let st = heap.stats();
            let gc = st.last.clone().unwrap_or_default();
            let mut f = Figures::new();
            let mut put = |k: &str, v: f64| {
                f.insert(k.to_owned(), v);
            };
            put("cycle_ms", cycle_ms);
            put("pswpin", swapped_in as f64);
            put("rss_mib", rss_mib());
            put("span_mib", st.large_span as f64 / MIB as f64);
            put("holes_mib", st.large_holes as f64 / MIB as f64);
            put("relinked", gc.large_relinked as f64);
            put("pause_ms", ms(gc.compact));
            put("live_mib", gc.used_after as f64 / MIB as f64);
            put("padding_mib", gc.unread_padding as f64 / MIB as f64);
            put("short", gc.unread_short as f64);
            match st.last_compaction.filter(|c| c.cycle == gc.index) {
                Some(c) => {
                    put("cpu_ms", ms(c.gc_cpu + c.mutator_time));
                    put("wall_ms", ms(c.wall));
                    put("relinked_pages", c.relinked_pages as f64);
                    put("unread", c.relinked_unread as f64);
                    put("unread_moving", c.unread_moving as f64);
                    put("pages_read", (c.pages - c.unread_moving) as f64);
                    put("not_copied_mib", c.bytes_not_copied() as f64 / MIB as f64);
                    put(
                        "copied_mib",
                        (c.bytes_moved + c.copied * PAGE) as f64 / MIB as f64,
                    );
                }
                None => {
                    // Stop-the-world: everything in the pause.
                    put("cpu_ms", ms(gc.compact));
                    put("wall_ms", ms(gc.compact));
                    put("relinked_pages", gc.large_pages_relinked as f64);
                    put("unread", gc.large_pages_relinked as f64);
                    put("unread_moving", 0.0);
                    put("pages_read", gc.pages_compacted as f64);
                    put(
                        "not_copied_mib",
                        (gc.large_pages_relinked * PAGE) as f64 / MIB as f64,
                    );
                    put(
                        "copied_mib",
                        (gc.bytes_moved + gc.large_pages_copied * PAGE) as f64 / MIB as f64,
                    );
                }
            }
            results.push(f);
            for i in dead {
                let len = size(&mut rng);
                let local = entries[i].local;
                allocate(s, (bytes, words), local, next_id, len);
                entries[i] = Entry {
                    local,
                    id: next_id,
                    len,
                };
                next_id += 1;
            }
            if !swap && !entries.iter().all(|e| intact(s, e)) {
                fail(variant, "an array lost its contents");
            }
        }
        if !entries.iter().all(|e| intact(s, e)) {
            fail(variant, "an array lost its contents");
        }
    });
    let keys: Vec<String> = results
        .first()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default();
    for k in keys {
        let mut xs: Vec<f64> = results.iter().filter_map(|f| f.get(&k).copied()).collect();
        xs.sort_by(f64::total_cmp);
        println!("{k} {}", xs[xs.len() / 2]);
    }
}

// ------------------------------------------------------------ the parent

fn spawn(
    variant: &str,
    cache: usize,
    cycles: usize,
    gc_log: bool,
    setup: Setup,
) -> Result<Figures, String> {
    let (cache, cycles) = (cache.to_string(), cycles.to_string());
    let unread = format!("--unread-min={}", setup.unread_min);
    let mut args = vec!["--child", variant, &cache, &cycles, &unread];
    if gc_log {
        args.push("--gc-log");
    }
    if setup.medium {
        args.push("--medium");
    }
    child_figures(&format!("cache: {variant}"), &args)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gc_log = args.iter().any(|a| a == "--gc-log");
    if gc_log {
        movegc_benches::install_gc_log();
    }
    let setup = Setup {
        medium: args.iter().any(|a| a == "--medium"),
        unread_min: args
            .iter()
            .find_map(|a| a.strip_prefix("--unread-min="))
            .map(|n| n.parse().unwrap_or_else(|_| fail("--unread-min", n)))
            .unwrap_or(gc_core::UNREAD_MIN),
    };
    if args.first().map(String::as_str) == Some("--child") {
        let arg = |i: usize| -> usize {
            args.get(i)
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| fail("child arguments", format!("{args:?}")))
        };
        child(&args[1], arg(2), arg(3), setup);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let cache = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(|a| gc_core::heap::parse_size(a).unwrap_or_else(|| fail("size", a)))
        .unwrap_or(if quick { 64 * MIB } else { 1 << 30 });
    let cycles = if quick { 3 } else { 5 };
    let title = if setup.medium {
        format!("{} MiB medium", cache / MIB)
    } else {
        format!("{} MiB", cache / MIB)
    };
    let (min, max) = if setup.medium {
        (MIN_MEDIUM, MAX_MEDIUM)
    } else {
        (MIN_ARRAY, MAX_ARRAY)
    };
    line(
        &format!("setup, {title}"),
        format!(
            "heap {} MiB, arrays of {}-{} KiB, {DYING}% dying per cycle, {cycles} cycles{}",
            3 * cache / MIB,
            min >> 10,
            max >> 10,
            if setup.medium {
                format!(", unread from {} bytes", setup.unread_min)
            } else {
                String::new()
            }
        ),
    );
    // Half the cache out, with room to spare.
    let swap = SwapFile::enable("cache-swap", cache / 2 + 64 * MIB);
    let mut figures: BTreeMap<&str, Figures> = BTreeMap::new();
    for &(variant, _, _, swapped) in &VARIANTS {
        if swapped && let Err(why) = &swap {
            line(&format!("{variant}, {title}"), format!("skipped: {why}"));
            continue;
        }
        match spawn(variant, cache, cycles, gc_log, setup) {
            Ok(f) => {
                figures.insert(variant, f);
            }
            Err(why) => line(&format!("{variant}, {title}"), format!("skipped: {why}")),
        }
    }
    drop(swap);
    let get = |v: &str, k: &str| {
        figures
            .get(v)
            .and_then(|f| f.get(k))
            .copied()
            .unwrap_or(f64::NAN)
    };
    for &(v, _, _, swapped) in &VARIANTS {
        if !figures.contains_key(v) {
            continue;
        }
        let name = |what: &str| format!("{what}, {title}, {v}");
        line(
            &name("compaction cpu, ms"),
            format!("{:.2}", get(v, "cpu_ms")),
        );
        line(
            &name("large objects relinked per cycle"),
            format!("{:.0}", get(v, "relinked")),
        );
        line(
            &name("pages relinked"),
            format!(
                "{:.0} ({:.0} unread)",
                get(v, "relinked_pages"),
                get(v, "unread")
            ),
        );
        if setup.medium {
            line(
                &name("pages built (read) / moved unread"),
                format!(
                    "{:.0} / {:.0}",
                    get(v, "pages_read"),
                    get(v, "unread_moving")
                ),
            );
            line(
                &name("padding kept, MiB (objects short of it)"),
                format!("{:.2} ({:.0})", get(v, "padding_mib"), get(v, "short")),
            );
            line(
                &name("live after the cycle, MiB"),
                format!("{:.1}", get(v, "live_mib")),
            );
        }
        line(
            &name("bytes not copied, MiB"),
            format!("{:.1}", get(v, "not_copied_mib")),
        );
        line(
            &name("bytes copied, MiB"),
            format!("{:.1}", get(v, "copied_mib")),
        );
        line(
            &name("compaction pause, ms"),
            format!("{:.3}", get(v, "pause_ms")),
        );
        line(
            &name("compaction wall, ms"),
            format!("{:.2}", get(v, "wall_ms")),
        );
        line(&name("cycle, ms"), format!("{:.2}", get(v, "cycle_ms")));
        line(
            &name("RSS after the cycle, MiB"),
            format!("{:.0}", get(v, "rss_mib")),
        );
        line(
            &name("large space extent after the cycle, MiB"),
            format!(
                "{:.1} ({:.1} in holes)",
                get(v, "span_mib"),
                get(v, "holes_mib")
            ),
        );
        if swapped {
            line(
                &name("pages swapped in during the cycle"),
                format!("{:.0}", get(v, "pswpin")),
            );
        }
    }
    for (on, off) in [
        ("move", "move-off"),
        ("copy", "copy-off"),
        ("stw", "stw-off"),
        ("move-swap", "move-off-swap"),
    ] {
        if !(figures.contains_key(on) && figures.contains_key(off)) {
            continue;
        }
        let ratio = |what: &str, k: &str| {
            line(
                &format!("{what}, {title}, {on} / {off}"),
                format!("{:.3}", get(on, k) / get(off, k)),
            )
        };
        // Off, a full cycle of this cache compacts next to nothing: its CPU
        // is no baseline for a ratio. Per page relinked instead.
        line(
            &format!("compaction cpu per page relinked, {title}, {on}, us"),
            format!(
                "{:.3}",
                get(on, "cpu_ms") * 1e3 / get(on, "relinked_pages").max(1.0)
            ),
        );
        ratio("cycle", "cycle_ms");
        if setup.medium {
            ratio("compaction cpu", "cpu_ms");
            ratio("bytes copied", "copied_mib");
            ratio("live after the cycle", "live_mib");
        }
        ratio("compaction pause", "pause_ms");
        ratio("RSS after the cycle", "rss_mib");
        ratio("large space extent", "span_mib");
        ratio("large space holes", "holes_mib");
        if on.ends_with("swap") {
            line(
                &format!("pages swapped in during the cycle, {title}, {on} - {off}"),
                format!("{:.0}", get(on, "pswpin") - get(off, "pswpin")),
            );
        }
    }
}
