//! What movegc's measurement binaries share: their output format, peak-RSS
//! readings, and the GC log.

/// Prints one figure: `name: value`, one line per figure.
pub fn line(name: &str, value: impl std::fmt::Display) {
    println!("{name}: {value}");
}

/// Resets the process's peak resident set (Linux 4.0+), so that a child
/// process's peak is its own measurement's.
pub fn reset_peak_rss() {
    // Where this is not allowed, the figure is the process's peak so far.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident set in MiB (NaN where the system cannot tell).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Prints movegc's GC log (its `log::info!` lines) on stderr.
pub fn install_gc_log() {
    struct GcLog;

    impl log::Log for GcLog {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            eprintln!("[{}] {}", record.level(), record.args());
        }
        fn flush(&self) {}
    }

    static LOGGER: GcLog = GcLog;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}
