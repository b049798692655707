//! Ports: textual input and output on the console, files and strings. A
//! port is a heap object holding an index into the port table
//! (`crate::ports`), which owns the OS resource. Text is copied out of the
//! heap before it is written, and reads that may block run in
//! `Mutator::native`, so that collections need not wait for them.

use gc_core::RootCell;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::rc::Rc;

use super::{Args, Primitive, prim};
use crate::errors::Error;
use crate::ports::{Input, Output, Port, Source};
use crate::reader::{Datum, ReadError, Reader};
use crate::value::Value;
use crate::vm::Vm;

type Result<T> = std::result::Result<T, Error>;

fn io_error(who: &str, e: &std::io::Error) -> Error {
    Error::runtime(format!("{who}: {e}"), vec![])
}

/// The direction a procedure needs of a port.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    In,
    Out,
}

impl Direction {
    fn what(self) -> &'static str {
        match self {
            Direction::In => "an input port",
            Direction::Out => "an output port",
        }
    }
}

/// The table index of argument `i`, an open port of direction `dir`, or
/// of the current port of that direction if the call has no argument `i`.
fn port_arg(vm: &Vm, who: &str, a: Args, i: usize, dir: Direction) -> Result<usize> {
    let regs = &vm.gc.roots.regs;
    let current: &RootCell<Value> = match dir {
        Direction::In => &regs.input,
        Direction::Out => &regs.output,
    };
    let v = if a.len > i {
        vm.arg(a, i)
    } else {
        current.get()
    };
    let index = vm
        .gc
        .as_port(v)
        .ok_or_else(|| Error::wrong_type(who, dir.what(), v))?;
    match (vm.ports.get(index), dir) {
        (Some(Port::Input(_)), Direction::In) | (Some(Port::Output(_)), Direction::Out) => {
            Ok(index)
        }
        (Some(Port::Closed { input }), _) if *input == (dir == Direction::In) => Err(
            Error::runtime(format!("{who}: the port is closed"), vec![v]),
        ),
        _ => Err(Error::wrong_type(who, dir.what(), v)),
    }
}

// ------------------------------------------------------------ output

/// Writes `text` to argument `i`, an output port, or the current one.
fn emit(vm: &mut Vm, who: &str, a: Args, i: usize, text: &str) -> Result<Value> {
    let index = port_arg(vm, who, a, i, Direction::Out)?;
    if let Some(Port::Output(port)) = vm.ports.get_mut(index) {
        port.write(vm.out.as_mut(), text)
            .map_err(|e| io_error(who, &e))?;
    }
    Ok(Value::UNSPECIFIED)
}

fn display(vm: &mut Vm, a: Args) -> Result<Value> {
    let text = vm.print(vm.arg(a, 0), true);
    emit(vm, "display", a, 1, &text)
}

fn write(vm: &mut Vm, a: Args) -> Result<Value> {
    let text = vm.print(vm.arg(a, 0), false);
    emit(vm, "write", a, 1, &text)
}

fn newline(vm: &mut Vm, a: Args) -> Result<Value> {
    emit(vm, "newline", a, 0, "\n")
}

fn write_char(vm: &mut Vm, a: Args) -> Result<Value> {
    let c = vm.char_arg("write-char", a, 0)?;
    emit(vm, "write-char", a, 1, c.encode_utf8(&mut [0; 4]))
}

fn write_string(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = vm.obj_arg("write-string", a, 0, vm.gc.t.string, "a string")?;
    let (start, end) = vm.range_args("write-string", a, 2, vm.gc.string_len(s))?;
    let text: String = (start..end).map(|i| vm.gc.string_ref(s, i)).collect();
    emit(vm, "write-string", a, 1, &text)
}

fn flush_output(vm: &mut Vm, a: Args) -> Result<Value> {
    let index = port_arg(vm, "flush-output-port", a, 0, Direction::Out)?;
    if let Some(Port::Output(port)) = vm.ports.get_mut(index) {
        port.flush(vm.out.as_mut())
            .map_err(|e| io_error("flush-output-port", &e))?;
    }
    Ok(Value::UNSPECIFIED)
}

// ------------------------------------------------------------ input

/// Runs `take` on the pending text of argument `i`, an input port (or the
/// current one), reading more lines from its source until `take` has what
/// it needs. `take` is told whether the source has ended, and must then
/// decide.
fn read_with<R>(
    vm: &mut Vm,
    who: &str,
    a: Args,
    i: usize,
    mut take: impl FnMut(&mut Input, bool) -> Option<R>,
) -> Result<R> {
    let index = port_arg(vm, who, a, i, Direction::In)?;
    loop {
        let Some(Port::Input(input)) = vm.ports.get_mut(index) else {
            return Err(Error::runtime(format!("{who}: the port is closed"), vec![]));
        };
        let ended = input.exhausted();
        if let Some(r) = take(input, ended) {
            return Ok(r);
        }
        let (gc, ports) = (&mut vm.gc, &mut vm.ports);
        let Some(Port::Input(input)) = ports.get_mut(index) else {
            continue;
        };
        gc.mutator()
            .native(|| input.fill())
            .map_err(|e| io_error(who, &e))?;
    }
}

fn read_char(vm: &mut Vm, a: Args) -> Result<Value> {
    read_with(vm, "read-char", a, 0, |input, ended| {
        match input.pending().first() {
            Some(&c) => {
                input.consume(1);
                Some(Value::char(c))
            }
            None => ended.then_some(Value::EOF),
        }
    })
}

fn peek_char(vm: &mut Vm, a: Args) -> Result<Value> {
    read_with(vm, "peek-char", a, 0, |input, ended| {
        match input.pending().first() {
            Some(&c) => Some(Value::char(c)),
            None => ended.then_some(Value::EOF),
        }
    })
}

/// What `read-line` and `read-string` found: characters, or the end.
fn chars_or_eof(vm: &mut Vm, chars: Option<Vec<char>>) -> Result<Value> {
    match chars {
        Some(chars) => vm.gc.string_from(&chars),
        None => Ok(Value::EOF),
    }
}

fn read_line(vm: &mut Vm, a: Args) -> Result<Value> {
    let line = read_with(vm, "read-line", a, 0, |input, ended| {
        let pending = input.pending();
        if let Some(end) = pending.iter().position(|&c| c == '\n') {
            let line = pending[..end].to_vec();
            input.consume(end + 1);
            return Some(Some(line));
        }
        if !ended {
            return None;
        }
        let rest = pending.to_vec();
        input.consume(rest.len());
        Some((!rest.is_empty()).then_some(rest))
    })?;
    chars_or_eof(vm, line)
}

fn read_string(vm: &mut Vm, a: Args) -> Result<Value> {
    let k = vm.int_arg("read-string", a, 0)?;
    let k = usize::try_from(k)
        .map_err(|_| Error::wrong_type("read-string", "a length", vm.arg(a, 0)))?;
    let text = read_with(vm, "read-string", a, 1, |input, ended| {
        let pending = input.pending();
        if pending.len() < k && !ended {
            return None;
        }
        let text = pending[..k.min(pending.len())].to_vec();
        input.consume(text.len());
        Some((!text.is_empty() || k == 0).then_some(text))
    })?;
    chars_or_eof(vm, text)
}

fn char_ready(vm: &mut Vm, a: Args) -> Result<Value> {
    port_arg(vm, "char-ready?", a, 0, Direction::In)?;
    Ok(Value::TRUE)
}

fn read(vm: &mut Vm, a: Args) -> Result<Value> {
    let name: Rc<str> = Rc::from("read");
    let datum = read_with(vm, "read", a, 0, |input, ended| {
        let mut reader = Reader::new(input.pending(), name.clone());
        let r: std::result::Result<Option<Datum>, Error> = match reader.read() {
            Ok(Some(d)) => Ok(Some(d)),
            Ok(None) | Err(ReadError::Incomplete(_)) if !ended => return None,
            Ok(None) => Ok(None),
            Err(e) => Err(e.into_error()),
        };
        let consumed = reader.offset();
        input.consume(if r.is_err() {
            input.pending().len()
        } else {
            consumed
        });
        Some(r)
    })?;
    match datum {
        Ok(Some(d)) => vm.gc.datum(&d),
        Ok(None) => Ok(Value::EOF),
        Err(Error::Read { message, .. } | Error::Syntax { message, .. }) => {
            Err(Error::runtime(format!("read: {message}"), vec![]))
        }
        Err(e) => Err(e),
    }
}

// ------------------------------------------------------------ opening and closing

fn name_arg(vm: &Vm, who: &str, a: Args) -> Result<String> {
    let s = vm.obj_arg(who, a, 0, vm.gc.t.string, "a file name")?;
    Ok(vm.gc.rust_string(s))
}

fn cannot_open(who: &str, name: &str, e: &std::io::Error) -> Error {
    Error::runtime(format!("{who}: cannot open {name:?}: {e}"), vec![])
}

fn open_input_file(vm: &mut Vm, a: Args) -> Result<Value> {
    let name = name_arg(vm, "open-input-file", a)?;
    let file = vm.gc.mutator().native(|| File::open(&name));
    let file = file.map_err(|e| cannot_open("open-input-file", &name, &e))?;
    let source = Source::File(BufReader::new(file));
    let index = vm.ports.open(Port::Input(Input::new(source)));
    vm.gc.port(index)
}

fn open_output_file(vm: &mut Vm, a: Args) -> Result<Value> {
    let name = name_arg(vm, "open-output-file", a)?;
    let file = vm.gc.mutator().native(|| File::create(&name));
    let file = file.map_err(|e| cannot_open("open-output-file", &name, &e))?;
    let index = vm
        .ports
        .open(Port::Output(Output::File(BufWriter::new(file))));
    vm.gc.port(index)
}

fn open_input_string(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = vm.obj_arg("open-input-string", a, 0, vm.gc.t.string, "a string")?;
    let text = vm.gc.string_chars(s);
    let index = vm.ports.open(Port::Input(Input::string(text)));
    vm.gc.port(index)
}

fn open_output_string(vm: &mut Vm, _: Args) -> Result<Value> {
    let index = vm.ports.open(Port::Output(Output::Text(String::new())));
    vm.gc.port(index)
}

fn get_output_string(vm: &mut Vm, a: Args) -> Result<Value> {
    let v = vm.arg(a, 0);
    let text = match vm.gc.as_port(v).and_then(|i| vm.ports.get(i)) {
        Some(Port::Output(Output::Text(text))) => text.clone(),
        _ => {
            return Err(Error::wrong_type(
                "get-output-string",
                "an open string output port",
                v,
            ));
        }
    };
    vm.gc.string(&text)
}

/// Closes argument 0, a port of direction `dir` (either if `None`).
fn close(vm: &mut Vm, a: Args, who: &str, dir: Option<Direction>) -> Result<Value> {
    let v = vm.arg(a, 0);
    let what = dir.map_or("a port", Direction::what);
    let port = vm
        .gc
        .as_port(v)
        .and_then(|i| vm.ports.get_mut(i))
        .ok_or_else(|| Error::wrong_type(who, what, v))?;
    let input = match port {
        Port::Input(_) => true,
        Port::Output(_) => false,
        Port::Closed { input } => *input,
    };
    if dir.is_some_and(|d| (d == Direction::In) != input) {
        return Err(Error::wrong_type(who, what, v));
    }
    let closed = std::mem::replace(port, Port::Closed { input });
    if let Port::Output(Output::File(mut f)) = closed {
        std::io::Write::flush(&mut f).map_err(|e| io_error(who, &e))?;
    }
    Ok(Value::UNSPECIFIED)
}

fn close_port(vm: &mut Vm, a: Args) -> Result<Value> {
    close(vm, a, "close-port", None)
}

fn close_input_port(vm: &mut Vm, a: Args) -> Result<Value> {
    close(vm, a, "close-input-port", Some(Direction::In))
}

fn close_output_port(vm: &mut Vm, a: Args) -> Result<Value> {
    close(vm, a, "close-output-port", Some(Direction::Out))
}

// ------------------------------------------------------------ predicates and current ports

/// Tests argument 0's port table entry (`None` if it is not a port).
fn port_test(vm: &Vm, a: Args, test: fn(Option<&Port>) -> bool) -> Value {
    let entry = vm.gc.as_port(vm.arg(a, 0)).map(|i| vm.ports.get(i));
    Value::bool(entry.is_some_and(test))
}

fn is_port(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(port_test(vm, a, |_| true))
}

fn is_input_port(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(port_test(vm, a, |p| {
        matches!(p, Some(Port::Input(_) | Port::Closed { input: true }))
    }))
}

fn is_output_port(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(port_test(vm, a, |p| {
        matches!(p, Some(Port::Output(_) | Port::Closed { input: false }))
    }))
}

fn is_binary_port(_: &mut Vm, _: Args) -> Result<Value> {
    Ok(Value::FALSE)
}

fn is_input_port_open(vm: &mut Vm, a: Args) -> Result<Value> {
    vm.gc
        .as_port(vm.arg(a, 0))
        .ok_or_else(|| Error::wrong_type("input-port-open?", "a port", vm.arg(a, 0)))?;
    Ok(port_test(vm, a, |p| matches!(p, Some(Port::Input(_)))))
}

fn is_output_port_open(vm: &mut Vm, a: Args) -> Result<Value> {
    vm.gc
        .as_port(vm.arg(a, 0))
        .ok_or_else(|| Error::wrong_type("output-port-open?", "a port", vm.arg(a, 0)))?;
    Ok(port_test(vm, a, |p| matches!(p, Some(Port::Output(_)))))
}

fn current_input_port(vm: &mut Vm, _: Args) -> Result<Value> {
    Ok(vm.gc.roots.regs.input.get())
}

fn current_output_port(vm: &mut Vm, _: Args) -> Result<Value> {
    Ok(vm.gc.roots.regs.output.get())
}

fn current_error_port(vm: &mut Vm, _: Args) -> Result<Value> {
    let console = vm.gc.roots.regs.console.get();
    Ok(console
        .as_ref()
        .map_or(Value::UNSPECIFIED, |c| vm.gc.elem(c, 2)))
}

/// `(%set-current-input-port! port)`, for the library's `with-input-from-file`.
fn set_current_input_port(vm: &mut Vm, a: Args) -> Result<Value> {
    port_arg(vm, "%set-current-input-port!", a, 0, Direction::In)?;
    vm.gc.roots.regs.input.set(vm.arg(a, 0));
    Ok(Value::UNSPECIFIED)
}

/// `(%set-current-output-port! port)`, for the library's `with-output-to-file`.
fn set_current_output_port(vm: &mut Vm, a: Args) -> Result<Value> {
    port_arg(vm, "%set-current-output-port!", a, 0, Direction::Out)?;
    vm.gc.roots.regs.output.set(vm.arg(a, 0));
    Ok(Value::UNSPECIFIED)
}

fn eof_object(_: &mut Vm, _: Args) -> Result<Value> {
    Ok(Value::EOF)
}

fn is_eof_object(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(vm.arg(a, 0) == Value::EOF))
}

// ------------------------------------------------------------ files

fn file_exists(vm: &mut Vm, a: Args) -> Result<Value> {
    let name = name_arg(vm, "file-exists?", a)?;
    let exists = vm.gc.mutator().native(|| std::fs::exists(&name));
    Ok(Value::bool(exists.unwrap_or(false)))
}

fn delete_file(vm: &mut Vm, a: Args) -> Result<Value> {
    let name = name_arg(vm, "delete-file", a)?;
    let removed = vm.gc.mutator().native(|| std::fs::remove_file(&name));
    removed
        .map_err(|e| Error::runtime(format!("delete-file: cannot delete {name:?}: {e}"), vec![]))?;
    Ok(Value::UNSPECIFIED)
}

pub(super) const PRIMITIVES: &[Primitive] = &[
    prim("display", 1, 2, display),
    prim("write", 1, 2, write),
    prim("write-shared", 1, 2, write),
    prim("write-simple", 1, 2, write),
    prim("newline", 0, 1, newline),
    prim("write-char", 1, 2, write_char),
    prim("write-string", 1, 4, write_string),
    prim("flush-output-port", 0, 1, flush_output),
    prim("read", 0, 1, read),
    prim("read-char", 0, 1, read_char),
    prim("peek-char", 0, 1, peek_char),
    prim("read-line", 0, 1, read_line),
    prim("read-string", 1, 2, read_string),
    prim("char-ready?", 0, 1, char_ready),
    prim("open-input-file", 1, 1, open_input_file),
    prim("open-output-file", 1, 1, open_output_file),
    prim("open-input-string", 1, 1, open_input_string),
    prim("open-output-string", 0, 0, open_output_string),
    prim("get-output-string", 1, 1, get_output_string),
    prim("close-port", 1, 1, close_port),
    prim("close-input-port", 1, 1, close_input_port),
    prim("close-output-port", 1, 1, close_output_port),
    prim("port?", 1, 1, is_port),
    prim("textual-port?", 1, 1, is_port),
    prim("binary-port?", 1, 1, is_binary_port),
    prim("input-port?", 1, 1, is_input_port),
    prim("output-port?", 1, 1, is_output_port),
    prim("input-port-open?", 1, 1, is_input_port_open),
    prim("output-port-open?", 1, 1, is_output_port_open),
    prim("current-input-port", 0, 0, current_input_port),
    prim("current-output-port", 0, 0, current_output_port),
    prim("current-error-port", 0, 0, current_error_port),
    prim("%set-current-input-port!", 1, 1, set_current_input_port),
    prim("%set-current-output-port!", 1, 1, set_current_output_port),
    prim("eof-object", 0, 0, eof_object),
    prim("eof-object?", 1, 1, is_eof_object),
    prim("file-exists?", 1, 1, file_exists),
    prim("delete-file", 1, 1, delete_file),
];
