//! Shared by the tests: the gate for the concurrent modes, and running
//! programs in-process with their output captured.

#![allow(dead_code, reason = "each test binary uses its own subset")]

use std::io::Write;
use std::sync::{Arc, Mutex};

use gc_core::{GcError, Heap, Mode, Stats};
use lisp::{Interpreter, Options};

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

/// Output captured from an interpreter.
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

/// Runs `f` on a thread with a large stack (the reader and compiler
/// recurse on nested source), as the `lisp` binary does.
pub(crate) fn on_big_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// What a program printed, or its error, and the heap's statistics.
pub(crate) struct Run {
    pub(crate) output: String,
    pub(crate) error: Option<String>,
    pub(crate) stats: Stats,
}

/// Runs `text` on a fresh interpreter with `options`.
pub(crate) fn run(name: &str, text: &str, options: Options) -> Run {
    let (name, text) = (name.to_owned(), text.to_owned());
    on_big_stack(move || {
        let out = Captured::default();
        let mut interp =
            Interpreter::new(&options, Box::new(out.clone())).expect("the interpreter starts");
        let error = interp.run(&name, &text).err().map(|e| interp.describe(&e));
        Run {
            output: out.text(),
            error,
            stats: interp.stats(),
        }
    })
}

/// Runs `program` in `mode` in a heap of `heap_mib` with the verifier on,
/// checks it printed `expected`, line by line, and returns the heap's
/// statistics.
pub(crate) fn check_output(
    name: &str,
    program: &str,
    expected: &[&str],
    heap_mib: usize,
    mode: Mode,
) -> Stats {
    let options = Options {
        heap_size: heap_mib << 20,
        mode,
        verify: true,
        ..Options::default()
    };
    let run = run(name, program, options);
    assert_eq!(run.error, None, "{name} in {mode:?} failed");
    let lines: Vec<&str> = run.output.lines().collect();
    assert_eq!(lines, expected, "{name} in {mode:?}");
    run.stats
}
