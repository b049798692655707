//! The collector's figures for people: a summary of a run with a pause
//! histogram, and the GC log on stderr. For tools and examples that have no
//! logging of their own.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::stats::Stats;

/// Writes movegc's log to stderr: its warnings and errors always, and its
/// per-cycle lines when `install_stderr_log(true)` was called.
struct GcLog {
    cycles: AtomicBool,
}

static LOG: GcLog = GcLog {
    cycles: AtomicBool::new(false),
};

impl log::Log for GcLog {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        meta.level() <= log::Level::Warn
            || (meta.level() <= log::Level::Info && self.cycles.load(Ordering::Relaxed))
    }

    fn log(&self, record: &log::Record<'_>) {
        // Not `eprintln!`, which panics when stderr is closed (a reader that
        // went away): the log's lines come from the collector's threads.
        if self.enabled(record.metadata()) {
            let _ = writeln!(std::io::stderr().lock(), "{}", record.args());
        }
    }

    fn flush(&self) {}
}

/// Installs the logger; with `cycles`, every collection writes its line.
/// Lines that cannot be written (stderr closed) are dropped.
pub fn install_stderr_log(cycles: bool) {
    LOG.cycles.store(cycles, Ordering::Relaxed);
    if log::set_logger(&LOG).is_ok() {
        log::set_max_level(if cycles {
            log::LevelFilter::Info
        } else {
            log::LevelFilter::Warn
        });
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib_text(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// The `p`th percentile of sorted pauses.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[i - 1]
}

pub(crate) fn report(stats: &Stats, mode: crate::Mode, wall: Duration) -> String {
    let mut out = String::new();
    let n = stats.collections;
    let mut sorted: Vec<Duration> = stats.pauses.iter().map(|p| p.duration).collect();
    sorted.sort_unstable();
    let _ = writeln!(
        out,
        "gc: {n} collections in {:.2} s ({mode:?}, heap {}); allocated {}, freed {}, {} objects moved; {} in use at exit",
        wall.as_secs_f64(),
        mib_text(stats.heap_size as u64),
        mib_text(stats.bytes_allocated),
        mib_text(stats.bytes_freed),
        stats.objects_moved,
        mib_text(stats.used as u64),
    );
    if n == 0 {
        return out;
    }
    let _ = writeln!(
        out,
        "gc: pauses total {:.2} ms ({:.1}% of the run), mean {:.3} ms, p50 {:.3}, p90 {:.3}, p99 {:.3}, max {:.3} ms",
        ms(stats.total_pause),
        100.0 * stats.total_pause.as_secs_f64() / wall.as_secs_f64().max(1e-9),
        ms(stats.total_pause) / sorted.len().max(1) as f64,
        ms(percentile(&sorted, 0.5)),
        ms(percentile(&sorted, 0.9)),
        ms(percentile(&sorted, 0.99)),
        ms(stats.max_pause),
    );
    let off = stats.pauses.iter().filter(|p| p.mostly_off_cpu());
    if let Some(longest) = off.clone().max_by_key(|p| p.duration) {
        let _ = writeln!(
            out,
            "gc: {} pauses with the collector's thread off its core for most of them, the longest {:.3} ms ({:.3} on cpu)",
            off.count(),
            ms(longest.duration),
            ms(longest.cpu),
        );
    }
    let _ = writeln!(
        out,
        "gc: {} pauses; marking {:.2} ms in all, {} references logged by the write barrier; \
         {} allocations paced ({:.2} ms{}), {} stalled on a full heap ({:.2} ms, max {:.2} ms)",
        sorted.len(),
        ms(stats.mark_time),
        stats.satb_entries,
        stats.paced,
        ms(stats.pacing_time),
        if stats.marked_by_mutators > 0 {
            format!(", {} objects marked meanwhile", stats.marked_by_mutators)
        } else {
            String::new()
        },
        stats.allocation_stalls,
        ms(stats.stall_time),
        ms(stats.max_stall),
    );
    if stats.pages_by_gc + stats.pages_by_mutators > 0 {
        let _ = writeln!(
            out,
            "gc: concurrent compaction: {} pages built by the collector, {} by the program on first touch",
            stats.pages_by_gc, stats.pages_by_mutators,
        );
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let faults: Vec<String> = (stats.faults_by_kind.named().iter())
            .filter(|(_, k)| k.count > 0)
            .map(|(kind, k)| {
                format!(
                    "{kind} pages {} (median {:.1} us, p99 {:.1} us, max {:.1} us)",
                    k.count,
                    us(k.quantile(0.5)),
                    us(k.quantile(0.99)),
                    us(k.max),
                )
            })
            .collect();
        if !faults.is_empty() {
            let _ = writeln!(out, "gc: mutator faults: {}", faults.join("; "));
        }
    }
    if let Some(last) = &stats.last {
        let _ = writeln!(out, "gc: last: {last}");
    }
    if let Some(compaction) = &stats.last_compaction {
        let _ = writeln!(out, "gc: last: {compaction}");
    }
    histogram(&mut out, &sorted);
    out
}

/// Pause counts in buckets doubling from 50 µs.
fn histogram(out: &mut String, sorted: &[Duration]) {
    const BUCKETS: usize = 14;
    let bound = |i: usize| Duration::from_micros(50 << i);
    let mut counts = [0usize; BUCKETS + 1];
    for &p in sorted {
        let i = (0..BUCKETS).find(|&i| p < bound(i)).unwrap_or(BUCKETS);
        counts[i] += 1;
    }
    let first = counts.iter().position(|&c| c > 0).unwrap_or(0);
    let last = counts.iter().rposition(|&c| c > 0).unwrap_or(0);
    let most = counts.iter().copied().max().unwrap_or(1).max(1);
    let _ = writeln!(out, "gc: pause histogram");
    for (i, &count) in counts.iter().enumerate().take(last + 1).skip(first) {
        let label = match i {
            0 => format!("< {:.2} ms", ms(bound(0))),
            BUCKETS => format!(">= {:.2} ms", ms(bound(BUCKETS - 1))),
            _ => format!("{:.2}-{:.2} ms", ms(bound(i - 1)), ms(bound(i))),
        };
        let bar = "#".repeat((count * 40).div_ceil(most));
        let _ = writeln!(out, "gc:   {label:>16} {count:>7} {bar}");
    }
}
