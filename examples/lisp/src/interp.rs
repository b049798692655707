//! The interpreter as a library: build one over a fresh movegc heap, give it
//! source text, read its statistics.

use std::io::Write;
use std::rc::Rc;

use gc_core::{GcError, Heap, Histogram, Live, Mode, Stats};

use crate::builtins;
use crate::compiler::Compiler;
use crate::errors::{Error, Pos};
use crate::gc::{Gc, Types, field};
use crate::reader::{ReadError, Reader};
use crate::roots::Roots;
use crate::value::Value;
use crate::vm::Vm;

/// How to build an interpreter.
#[derive(Clone, Debug)]
pub struct Options {
    /// The heap's size in bytes.
    pub heap_size: usize,
    /// The collector's mode.
    pub mode: Mode,
    /// Check the whole heap before and after every collection (slow).
    pub verify: bool,
    /// Threads that mark in parallel (`None`: one per core).
    pub gc_threads: Option<usize>,
    /// The most values the interpreter's stack may hold: recursion deeper
    /// than that is reported as a stack overflow.
    pub stack_limit: usize,
    /// What `(command-line)` returns: the program's name, then its arguments.
    pub command_line: Vec<String>,
    /// Stop a top-level form after this many procedure calls (for running
    /// untrusted or generated programs, which may loop).
    pub fuel: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            heap_size: 256 << 20,
            mode: Mode::Auto,
            verify: false,
            gc_threads: None,
            stack_limit: 4 << 20,
            command_line: Vec::new(),
            fuel: None,
        }
    }
}

/// A Scheme interpreter whose every value lives on its own movegc heap.
/// Not `Send`: the heap's mutator belongs to the thread that built it.
///
/// Scheme calls run on the interpreter's own stack, but the reader and the
/// compiler recurse on nested source: give the thread a generous stack (the
/// `lisp` binary uses 256 MiB, of which deep source touches only a part).
pub struct Interpreter {
    vm: Vm,
    fuel: Option<u64>,
    /// The top-level form that last failed, for messages.
    failed_form: Option<Pos>,
}

const PRELUDE: &str = include_str!("prelude.scm");

impl Interpreter {
    /// Builds the heap, attaches this thread to it, and loads the library.
    pub fn new(options: &Options, out: Box<dyn Write>) -> Result<Interpreter, String> {
        let (table, types) = Types::register();
        let mut builder = Heap::builder();
        if let Some(n) = options.gc_threads {
            builder = builder.gc_threads(n);
        }
        let heap = builder
            .size(options.heap_size)
            .mode(options.mode)
            .verify(options.verify)
            .types(table)
            .build()
            .map_err(|e| e.to_string())?;
        let mut mutator = heap.attach().map_err(|e| e.to_string())?;
        let roots = mutator.root_set(Roots::default());
        let gc = Gc::new(mutator, types, roots);
        let mut vm = Vm::new(
            gc,
            builtins::all(),
            options.stack_limit,
            out,
            options.command_line.clone(),
        );
        vm.open_console()
            .map_err(|e| format!("cannot make the console's ports: {e:?}"))?;
        let mut interp = Interpreter {
            vm,
            fuel: options.fuel,
            failed_form: None,
        };
        interp
            .run("<prelude>", PRELUDE)
            .map_err(|e| format!("the prelude failed: {}", interp.describe(&e)))?;
        Ok(interp)
    }

    /// Evaluates every form of `text` (from `file`, for messages), stopping
    /// at the first error.
    pub fn run(&mut self, file: &str, text: &str) -> Result<(), Error> {
        self.eval(file, text, |_, _| ())
    }

    /// Evaluates every form of `text`, passing each form's value, as `write`
    /// prints it, to `each` (`None` for an unspecified value).
    pub fn eval(
        &mut self,
        file: &str,
        text: &str,
        mut each: impl FnMut(&mut Self, Option<String>),
    ) -> Result<(), Error> {
        let chars: Vec<char> = text.chars().collect();
        let mut reader = Reader::new(&chars, Rc::from(file));
        loop {
            let datum = match reader.read() {
                Ok(Some(d)) => d,
                Ok(None) => return Ok(()),
                Err(e) => return Err(e.into_error()),
            };
            self.failed_form = Some(datum.pos.clone());
            self.vm.reset(self.fuel);
            let v = Compiler::new(&mut self.vm)
                .toplevel(&datum)
                .and_then(|(proto, constants)| self.vm.execute(proto, constants))?;
            self.failed_form = None;
            let shown = (v != Value::UNSPECIFIED).then(|| self.vm.print(v, false));
            each(self, shown);
        }
    }

    /// What went wrong, for a message: `error` must be the last one this
    /// interpreter returned.
    pub fn describe(&self, error: &Error) -> String {
        let vm = &self.vm;
        let message = match error {
            Error::Runtime { message, irritants } => self.with_irritants(message, &irritants.0),
            Error::Uncaught => {
                let v = vm.uncaught();
                match vm.gc.typed(v, vm.gc.t.condition) {
                    Some(c) => {
                        let message = vm.print(vm.gc.get(c, field::MESSAGE), true);
                        let irritants = vm
                            .gc
                            .list_to_vec(vm.gc.get(c, field::IRRITANTS))
                            .unwrap_or_default();
                        self.with_irritants(&message, &irritants)
                    }
                    None => format!("uncaught exception: {}", vm.print(v, false)),
                }
            }
            Error::Read { pos, message } | Error::Syntax { pos, message } => {
                return format!("{pos}: {message}");
            }
            Error::OutOfMemory(m) | Error::Heap(m) => m.clone(),
            Error::OutOfFuel => "the form made more calls than its fuel allows".into(),
            Error::Exit(code) => format!("exit {code}"),
        };
        match &self.failed_form {
            Some(pos) => format!("error: {message}\n  in the form at {pos}"),
            None => format!("error: {message}"),
        }
    }

    fn with_irritants(&self, message: &str, irritants: &[Value]) -> String {
        let mut s = message.to_owned();
        for (i, &v) in irritants.iter().enumerate() {
            s.push_str(if i == 0 && !message.ends_with(':') {
                ": "
            } else {
                " "
            });
            s.push_str(&self.vm.print(v, false));
        }
        s
    }

    /// Runs `f` as native code: collections proceed without waiting for
    /// this thread (use it around blocking reads).
    pub fn native<R>(&mut self, f: impl FnOnce() -> R) -> R {
        self.vm.gc.mutator().native(f)
    }

    /// Flushes the output.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.vm.out.flush()
    }

    /// The heap's statistics.
    pub fn stats(&self) -> Stats {
        self.vm.gc.heap().stats()
    }

    /// The objects and bytes of each type on the heap (those reachable: a
    /// full collection runs first), from this interpreter's thread.
    pub fn histogram(&mut self) -> Result<Histogram, GcError> {
        self.vm.gc.mutator().histogram(Live::Reachable)
    }

    /// The heap.
    pub fn heap(&self) -> &Heap {
        self.vm.gc.heap()
    }
}

/// Whether `text` ends inside a datum, so that more lines could complete it.
pub fn incomplete(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut reader = Reader::new(&chars, Rc::from(""));
    loop {
        match reader.read() {
            Ok(Some(_)) => {}
            Ok(None) | Err(ReadError::Bad(_)) => return false,
            Err(ReadError::Incomplete(_)) => return true,
        }
    }
}
