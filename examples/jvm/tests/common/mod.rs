//! Shared by the tests: the gate for the concurrent modes, and running a
//! program in-process with its output captured.

#![allow(dead_code, reason = "each test binary uses its own subset")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gc_core::{GcError, Heap, Mode, Stats};
use jvm::{Error, Jvm, Options};

/// Whether `mode` can run here. Move and Copy need userfaultfd: on CI
/// (`CI=true`) their absence fails the test; elsewhere the test is skipped
/// with the reason.
pub(crate) fn available(mode: Mode) -> bool {
    if matches!(mode, Mode::Auto | Mode::StopTheWorld) {
        return true;
    }
    match Heap::builder().size(4 << 20).mode(mode).build() {
        Ok(_) => true,
        Err(GcError::Config(why)) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but mode {mode:?} is unavailable: {why}");
            }
            eprintln!("skipped: mode {mode:?} is unavailable here: {why}");
            false
        }
        Err(e) => panic!("building a {mode:?} heap: {e}"),
    }
}

/// Output captured from a JVM.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// What a run printed and how it ended.
pub(crate) struct Run {
    pub(crate) out: String,
    pub(crate) err: String,
    /// `Err` from `Jvm::new` or `run_main`, as text.
    pub(crate) result: Result<(), String>,
    /// Whether it ended in an uncaught exception (exit status 1).
    pub(crate) uncaught: bool,
    /// The status of `System.exit`, if it was called.
    pub(crate) exit: Option<i32>,
    pub(crate) stats: Option<Stats>,
}

/// Runs `main_class` from `class_path` with `args`, on a thread with a big
/// stack as the `jvm` binary does, with the collector's warnings on stderr.
pub(crate) fn run(class_path: &Path, main_class: &str, args: &[String], options: Options) -> Run {
    // The collector's warnings and errors go to the test's captured output,
    // shown if it fails: what went wrong in the heap, next to the symptom.
    gc_core::install_stderr_log(false);
    let (cp, main_class, args) = (
        class_path.to_path_buf(),
        main_class.to_owned(),
        args.to_vec(),
    );
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let (out, err) = (Captured::default(), Captured::default());
            let options = Options {
                class_path: vec![cp],
                ..options
            };
            let mut jvm = match Jvm::new(&options, Box::new(out.clone()), Box::new(err.clone())) {
                Ok(j) => j,
                Err(e) => {
                    return Run {
                        out: out.text(),
                        err: err.text(),
                        result: Err(e.to_string()),
                        uncaught: false,
                        exit: None,
                        stats: None,
                    };
                }
            };
            let r = jvm.run_main(&main_class, &args);
            let _ = jvm.flush();
            Run {
                out: out.text(),
                err: err.text(),
                uncaught: matches!(r, Err(Error::Uncaught)),
                exit: match r {
                    Err(Error::Exit(s)) => Some(s),
                    _ => None,
                },
                result: r.map_err(|e| e.to_string()),
                stats: Some(jvm.stats()),
            }
        })
        .unwrap()
        .join()
        .unwrap()
}

/// The suite's programs directory.
pub(crate) fn programs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("programs")
}

/// A program's arguments, from its `args` file.
pub(crate) fn args(program: &str) -> Vec<String> {
    std::fs::read_to_string(programs().join(program).join("args"))
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}
