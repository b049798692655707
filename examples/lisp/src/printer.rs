//! `display` and `write`: values to text, read out of the heap before any
//! of it is written anywhere (a system call must not read the heap while a
//! concurrent compaction may be moving it).

use std::fmt::Write as _;

use crate::gc::field;
use crate::ports::Port;
use crate::value::Value;
use crate::vm::Vm;

/// Nesting beyond which the printer writes `...`: it recurses on cars.
const MAX_DEPTH: usize = 1_000;
/// Elements beyond which it stops, so that a circular list ends.
const MAX_ELEMENTS: usize = 10_000_000;

/// A printed flonum, readable back: `1.0`, `0.1`, `1e21`, `+inf.0`.
pub(crate) fn flonum(x: f64) -> String {
    if x.is_nan() {
        "+nan.0".into()
    } else if x.is_infinite() {
        if x > 0.0 { "+inf.0" } else { "-inf.0" }.into()
    } else {
        format!("{x:?}")
    }
}

fn char_name(c: char) -> Option<&'static str> {
    Some(match c {
        ' ' => "space",
        '\n' => "newline",
        '\t' => "tab",
        '\r' => "return",
        '\0' => "null",
        '\u{7}' => "alarm",
        '\u{8}' => "backspace",
        '\u{7f}' => "delete",
        '\u{1b}' => "escape",
        _ => return None,
    })
}

struct Printer<'a> {
    vm: &'a Vm,
    display: bool,
    out: String,
    elements: usize,
}

impl Vm {
    /// `v` as `display` (`display` true) or `write` shows it.
    pub(crate) fn print(&self, v: Value, display: bool) -> String {
        let mut p = Printer {
            vm: self,
            display,
            out: String::new(),
            elements: 0,
        };
        p.value(v, 0);
        p.out
    }
}

impl Printer<'_> {
    fn value(&mut self, v: Value, depth: usize) {
        self.elements += 1;
        if depth > MAX_DEPTH || self.elements > MAX_ELEMENTS {
            self.out.push_str("...");
            return;
        }
        let gc = &self.vm.gc;
        if let Some(n) = v.as_fixnum() {
            let _ = write!(self.out, "{n}");
            return;
        }
        if let Some(c) = v.as_char() {
            if self.display {
                self.out.push(c);
            } else if let Some(name) = char_name(c) {
                let _ = write!(self.out, "#\\{name}");
            } else if c.is_control() {
                let _ = write!(self.out, "#\\x{:x}", c as u32);
            } else {
                let _ = write!(self.out, "#\\{c}");
            }
            return;
        }
        if let Some(i) = v.as_primitive() {
            let _ = write!(self.out, "#<procedure {}>", self.vm.primitive_name(i));
            return;
        }
        let simple = match v {
            Value::TRUE => "#t",
            Value::FALSE => "#f",
            Value::NIL => "()",
            Value::UNSPECIFIED => "#<unspecified>",
            Value::EOF => "#<eof>",
            Value::UNASSIGNED => "#<unassigned>",
            _ => "",
        };
        if !simple.is_empty() {
            self.out.push_str(simple);
            return;
        }
        let Some((obj, ty)) = gc.type_of(v) else {
            let _ = write!(self.out, "#<unknown {:#x}>", v.word());
            return;
        };
        let t = &gc.t;
        if ty == t.pair {
            self.list(v, depth);
        } else if let Some(x) = gc.as_flonum(v) {
            self.out.push_str(&flonum(x));
        } else if let Some(n) = gc.as_bignum(v) {
            self.out.push_str(&n.to_string_radix(10));
        } else if ty == t.string {
            if self.display {
                self.out.push_str(&gc.rust_string(obj));
            } else {
                self.string(&gc.rust_string(obj));
            }
        } else if ty == t.symbol {
            self.out.push_str(&gc.symbol_name(obj));
        } else if ty == t.vector {
            self.out.push_str("#(");
            for i in 0..gc.low(obj) {
                if i > 0 {
                    self.out.push(' ');
                }
                self.value(gc.elem(obj, i), depth + 1);
            }
            self.out.push(')');
        } else if ty == t.bytevector {
            self.out.push_str("#u8(");
            for i in 0..gc.low(obj) {
                if i > 0 {
                    self.out.push(' ');
                }
                let _ = write!(self.out, "{}", gc.byte_ref(obj, i));
            }
            self.out.push(')');
        } else if ty == t.closure {
            let _ = write!(self.out, "#<procedure {}>", self.vm.proto_name(gc.low(obj)));
        } else if let Some(index) = gc.as_port(v) {
            let input = matches!(
                self.vm.ports.get(index),
                Some(Port::Input(_) | Port::Closed { input: true })
            );
            self.out.push_str(if input {
                "#<input-port>"
            } else {
                "#<output-port>"
            });
        } else if ty == t.continuation {
            self.out.push_str("#<continuation>");
        } else if ty == t.hash_table {
            self.out.push_str("#<hash-table>");
        } else if ty == t.guardian {
            self.out.push_str("#<guardian>");
        } else if ty == t.record_proc {
            self.out.push_str("#<procedure record>");
        } else if ty == t.record {
            let rtd = gc.elem(obj, 0);
            let name = self.record_type_name(rtd);
            let _ = write!(self.out, "#<{name}");
            for i in 1..gc.low(obj) {
                self.out.push(' ');
                self.value(gc.elem(obj, i), depth + 1);
            }
            self.out.push('>');
        } else if ty == t.record_type {
            let name = self.record_type_name(v);
            let _ = write!(self.out, "#<record-type {name}>");
        } else if ty == t.condition {
            self.out.push_str("#<error ");
            let message = gc.get(obj, field::MESSAGE);
            self.value(message, depth + 1);
            let irritants = gc.get(obj, field::IRRITANTS);
            if irritants != Value::NIL {
                self.out.push(' ');
                self.value(irritants, depth + 1);
            }
            self.out.push('>');
        } else {
            self.out.push_str("#<frame>");
        }
    }

    fn record_type_name(&self, rtd: Value) -> String {
        let gc = &self.vm.gc;
        let Some(rtd) = gc.typed(rtd, gc.t.record_type) else {
            return "record".into();
        };
        let name = gc.get(rtd, field::RTD_NAME);
        let name = gc
            .typed(name, gc.t.symbol)
            .map_or_else(|| "record".into(), |s| gc.symbol_name(s));
        name.trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned()
    }

    fn list(&mut self, mut v: Value, depth: usize) {
        let gc = &self.vm.gc;
        self.out.push('(');
        let mut first = true;
        while let Some(p) = gc.pair(v) {
            if !first {
                self.out.push(' ');
            }
            first = false;
            self.value(gc.car(p), depth + 1);
            v = gc.cdr(p);
            if self.elements > MAX_ELEMENTS {
                self.out.push_str(" ...");
                v = Value::NIL;
            }
        }
        if v != Value::NIL {
            self.out.push_str(" . ");
            self.value(v, depth + 1);
        }
        self.out.push(')');
    }

    fn string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\t' => self.out.push_str("\\t"),
                '\r' => self.out.push_str("\\r"),
                c if c.is_control() => {
                    let _ = write!(self.out, "\\x{:x};", c as u32);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}
