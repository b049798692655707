//! The warnings and errors the heaps of a test binary log, captured, with
//! the binary's tests run one at a time so that what a test finds is its own.

use std::sync::{Mutex, MutexGuard, Once};

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The lines logged since the running test began, as `LEVEL: message` (a
/// test that failed while holding them poisons nothing).
pub fn lines() -> MutexGuard<'static, Vec<String>> {
    LINES.lock().unwrap_or_else(|e| e.into_inner())
}

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let line = format!("{}: {}", record.level(), record.args());
            lines().push(line);
        }
    }

    fn flush(&self) {}
}

/// Installs the capturing logger (once per binary; panics if another logger
/// is installed), waits for the binary's other tests to end, and clears the
/// lines: hold the guard for the whole test.
pub fn serial() -> MutexGuard<'static, ()> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&Capture).expect("no other logger");
        log::set_max_level(log::LevelFilter::Warn);
    });
    static SERIAL: Mutex<()> = Mutex::new(());
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    lines().clear();
    guard
}
