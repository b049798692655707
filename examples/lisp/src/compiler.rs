//! The compiler: a [`Datum`] to a [`Proto`], resolving every variable to a
//! frame slot or a global at compile time, and every procedure's constants
//! to a vector its closures hold.
//!
//! Quasiquote, `case`, `do` and `define-record-type` are rewritten into
//! core forms first (`crate::derived`); the rest compile directly here.

use std::rc::Rc;

use crate::code::{Op, Proto};
use crate::derived::{HIDDEN, case, case_lambda, delay, do_loop, form, hidden, quasi, record_type};
use crate::errors::{Error, Pos};
use crate::reader::{Datum, Kind};
use crate::value::Value;
use crate::vm::Vm;

/// Compiles top-level forms.
pub(crate) struct Compiler<'v> {
    vm: &'v mut Vm,
    /// The frames in scope at run time, outermost first: each its variables' names.
    scopes: Vec<Vec<Rc<str>>>,
    /// The code of the procedure being compiled.
    code: Vec<Op>,
    /// Where its constants start in the roots' constants: the enclosing
    /// procedures' come before.
    constants: usize,
}

type Result<T> = std::result::Result<T, Error>;

const SPECIAL_FORMS: &[&str] = &[
    "quote",
    "quasiquote",
    "lambda",
    "define",
    "set!",
    "if",
    "begin",
    "let",
    "let*",
    "letrec",
    "letrec*",
    "and",
    "or",
    "when",
    "unless",
    "cond",
    "case",
    "do",
    "guard",
    "define-record-type",
    "case-lambda",
    "delay",
    "delay-force",
    "import",
    "define-library",
    "unquote",
    "unquote-splicing",
];

impl<'v> Compiler<'v> {
    /// A compiler for top-level forms of `vm`.
    pub(crate) fn new(vm: &'v mut Vm) -> Self {
        Compiler {
            scopes: Vec::new(),
            code: Vec::new(),
            constants: vm.gc.roots.constants.len(),
            vm,
        }
    }

    /// Compiles a top-level form into a procedure of no arguments; returns
    /// it and its constants, which are good until the next allocation.
    pub(crate) fn toplevel(mut self, d: &Datum) -> Result<(usize, Value)> {
        let compiled = self.expr(d, true).and_then(|()| self.finish_constants());
        let constants = match compiled {
            Ok(c) => c,
            Err(e) => {
                self.vm.gc.roots.constants.truncate(self.constants);
                return Err(e);
            }
        };
        let proto = self.vm.add_proto(Proto {
            name: "top level".into(),
            required: 0,
            rest: false,
            frame_size: 0,
            code: self.code,
        });
        Ok((proto, constants))
    }

    /// Adds a constant of the procedure being compiled; returns its index.
    fn add_constant(&mut self, v: Value) -> u32 {
        let all = &self.vm.gc.roots.constants;
        all.push(v);
        (all.len() - 1 - self.constants) as u32
    }

    /// Moves the constants of the procedure being compiled into a vector
    /// (0 if there are none).
    fn finish_constants(&mut self) -> Result<Value> {
        let base = self.constants;
        let n = self.vm.gc.roots.constants.len() - base;
        if n == 0 {
            return Ok(Value::UNASSIGNED);
        }
        let gc = &mut self.vm.gc;
        let vector = gc.vector(n, Value::UNSPECIFIED)?;
        let obj = vector.as_ref().expect("a vector is a reference");
        for i in 0..n {
            gc.set_elem(obj, i, gc.roots.constants.get(base + i));
        }
        gc.roots.constants.truncate(base);
        Ok(vector)
    }

    fn emit(&mut self, op: Op) -> usize {
        self.code.push(op);
        self.code.len() - 1
    }

    fn here(&self) -> u32 {
        self.code.len() as u32
    }

    /// Points the jump at `at` to the current end of the code.
    fn patch(&mut self, at: usize) {
        let to = self.here();
        match &mut self.code[at] {
            Op::Jump(pc) | Op::JumpIfFalse(pc) | Op::JumpIfTrue(pc) | Op::PushGuard(pc) => *pc = to,
            _ => unreachable!("only jumps are patched"),
        }
    }

    fn ret(&mut self, tail: bool) {
        if tail {
            self.emit(Op::Return);
        }
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, d: &Datum, tail: bool) -> Result<()> {
        match &d.kind {
            Kind::Sym(name) => {
                self.variable(name, &d.pos)?;
                self.ret(tail);
            }
            Kind::List(items, None) => {
                if let Some(name) = items[0].as_sym()
                    && SPECIAL_FORMS.contains(&name)
                    && self.lookup(name).is_none()
                {
                    return self.special(name, d, &items[1..], tail);
                }
                for arg in &items[1..] {
                    self.expr(arg, false)?;
                    self.emit(Op::Push);
                }
                self.expr(&items[0], false)?;
                let n = (items.len() - 1) as u32;
                self.emit(if tail { Op::TailCall(n) } else { Op::Call(n) });
            }
            Kind::List(_, Some(_)) => {
                return Error::syntax(&d.pos, "a dotted list is not an expression");
            }
            _ => {
                self.constant(d)?;
                self.ret(tail);
            }
        }
        Ok(())
    }

    fn sequence(&mut self, forms: &[Datum], tail: bool) -> Result<()> {
        let Some((last, init)) = forms.split_last() else {
            self.emit(Op::Imm(Value::UNSPECIFIED));
            self.ret(tail);
            return Ok(());
        };
        for f in init {
            self.expr(f, false)?;
        }
        self.expr(last, tail)
    }

    /// A literal or quoted datum.
    fn constant(&mut self, d: &Datum) -> Result<()> {
        let immediate = match &d.kind {
            Kind::Int(n) => Value::fixnum(*n),
            Kind::Bool(b) => Some(Value::bool(*b)),
            Kind::Char(c) => Some(Value::char(*c)),
            Kind::Nil => Some(Value::NIL),
            _ => None,
        };
        match immediate {
            Some(v) => self.emit(Op::Imm(v)),
            None => {
                let v = self.vm.gc.datum(d)?;
                let n = self.add_constant(v);
                self.emit(Op::Const(n))
            }
        };
        Ok(())
    }

    // ------------------------------------------------------------ variables

    /// The frame depth and slot of a local variable.
    fn lookup(&self, name: &str) -> Option<(u16, u16)> {
        for (depth, scope) in self.scopes.iter().rev().enumerate() {
            if let Some(i) = scope.iter().rposition(|n| &**n == name) {
                return Some((depth as u16, (i + 1) as u16));
            }
        }
        None
    }

    fn variable(&mut self, name: &str, pos: &Pos) -> Result<()> {
        if let Some(hidden) = name.strip_prefix(HIDDEN)
            && let Some(prim) = self.vm.primitive(hidden)
        {
            self.emit(Op::Imm(prim));
            return Ok(());
        }
        if let Some((depth, index)) = self.lookup(name) {
            self.emit(Op::Local(depth, index));
        } else if self.scopes.len() >= u16::MAX as usize {
            return Error::syntax(pos, "procedures nested too deeply");
        } else {
            let g = self.vm.global(name);
            self.emit(Op::Global(g));
        }
        Ok(())
    }

    fn assign(&mut self, name: &str, define: bool) {
        if let Some((depth, index)) = self.lookup(name) {
            self.emit(Op::SetLocal(depth, index));
        } else {
            let g = self.vm.global(name);
            self.emit(if define {
                Op::DefineGlobal(g)
            } else {
                Op::SetGlobal(g)
            });
        }
    }

    // ------------------------------------------------------------ special forms

    fn special(&mut self, name: &str, d: &Datum, args: &[Datum], tail: bool) -> Result<()> {
        let pos = &d.pos;
        match name {
            "quote" => {
                let [datum] = args else {
                    return Error::syntax(pos, "quote takes one datum");
                };
                self.constant(datum)?;
                self.ret(tail);
                Ok(())
            }
            "quasiquote" => {
                let [template] = args else {
                    return Error::syntax(pos, "quasiquote takes one template");
                };
                let expr = quasi(template, 1)?;
                self.expr(&expr, tail)
            }
            "unquote" | "unquote-splicing" => {
                Error::syntax(pos, format!("{name} outside quasiquote"))
            }
            "lambda" => {
                let Some((params, body)) = args.split_first() else {
                    return Error::syntax(pos, "lambda needs parameters and a body");
                };
                self.lambda("lambda".into(), params, body, pos)?;
                self.ret(tail);
                Ok(())
            }
            "define" => self.define(args, pos, tail),
            "set!" => {
                let [target, value] = args else {
                    return Error::syntax(pos, "set! takes a variable and an expression");
                };
                let Some(var) = target.as_sym() else {
                    return Error::syntax(&target.pos, "set! needs a variable");
                };
                self.expr(value, false)?;
                self.assign(var, false);
                self.emit(Op::Imm(Value::UNSPECIFIED));
                self.ret(tail);
                Ok(())
            }
            "if" => {
                let (test, then, otherwise) = match args {
                    [t, a] => (t, a, None),
                    [t, a, b] => (t, a, Some(b)),
                    _ => return Error::syntax(pos, "if takes a test and one or two branches"),
                };
                self.expr(test, false)?;
                let to_else = self.emit(Op::JumpIfFalse(0));
                self.expr(then, tail)?;
                let to_end = self.emit(Op::Jump(0));
                self.patch(to_else);
                match otherwise {
                    Some(e) => self.expr(e, tail)?,
                    None => {
                        self.emit(Op::Imm(Value::UNSPECIFIED));
                        self.ret(tail);
                    }
                }
                self.patch(to_end);
                Ok(())
            }
            "begin" => {
                if self.scopes.is_empty() {
                    // At top level, definitions inside `begin` are top-level ones.
                    let Some((last, init)) = args.split_last() else {
                        self.emit(Op::Imm(Value::UNSPECIFIED));
                        self.ret(tail);
                        return Ok(());
                    };
                    for f in init {
                        self.expr(f, false)?;
                    }
                    return self.expr(last, tail);
                }
                self.sequence(args, tail)
            }
            "let" => self.let_form(args, pos, tail),
            "let*" => {
                let Some((bindings, body)) = args.split_first() else {
                    return Error::syntax(pos, "let* needs bindings and a body");
                };
                let Some(bindings) = bindings.as_list() else {
                    return Error::syntax(&bindings.pos, "let* bindings must be a list");
                };
                let expr = match bindings.split_first() {
                    None => form(pos, "let", [Datum::new(pos, Kind::Nil)], body),
                    Some((first, rest)) => {
                        let inner = form(pos, "let*", [Datum::list(pos, rest.to_vec())], body);
                        form(
                            pos,
                            "let",
                            [Datum::list(pos, vec![first.clone()])],
                            &[inner],
                        )
                    }
                };
                self.expr(&expr, tail)
            }
            "letrec" | "letrec*" => {
                let Some((bindings, body)) = args.split_first() else {
                    return Error::syntax(pos, format!("{name} needs bindings and a body"));
                };
                let bindings = parse_bindings(bindings)?;
                let enter = self.emit(Op::Enter { args: 0, size: 0 });
                self.scopes
                    .push(bindings.iter().map(|(n, _)| n.clone()).collect());
                for (i, (n, init)) in bindings.iter().enumerate() {
                    self.named_expr(n, init)?;
                    self.emit(Op::SetLocal(0, (i + 1) as u16));
                }
                self.body(body, pos, tail)?;
                self.close_scope(enter, tail, pos)
            }
            "and" | "or" => {
                let Some((last, init)) = args.split_last() else {
                    self.emit(Op::Imm(Value::bool(name == "and")));
                    self.ret(tail);
                    return Ok(());
                };
                let mut exits = Vec::new();
                for e in init {
                    self.expr(e, false)?;
                    exits.push(self.emit(if name == "and" {
                        Op::JumpIfFalse(0)
                    } else {
                        Op::JumpIfTrue(0)
                    }));
                }
                self.expr(last, tail)?;
                for at in exits {
                    self.patch(at);
                }
                self.ret(tail && !init.is_empty());
                Ok(())
            }
            "when" | "unless" => {
                let Some((test, body)) = args.split_first() else {
                    return Error::syntax(pos, format!("{name} needs a test"));
                };
                self.expr(test, false)?;
                let skip = self.emit(if name == "when" {
                    Op::JumpIfFalse(0)
                } else {
                    Op::JumpIfTrue(0)
                });
                self.sequence(body, tail)?;
                let end = self.emit(Op::Jump(0));
                self.patch(skip);
                self.emit(Op::Imm(Value::UNSPECIFIED));
                self.patch(end);
                self.ret(tail);
                Ok(())
            }
            "cond" => self.cond(args, tail),
            "case" => {
                let expr = case(args, pos)?;
                self.expr(&expr, tail)
            }
            "do" => {
                let expr = do_loop(args, pos)?;
                self.expr(&expr, tail)
            }
            "guard" => self.guard(args, pos, tail),
            "define-record-type" => {
                let defs = record_type(args, pos)?;
                self.expr(&form(pos, "begin", [], &defs), tail)
            }
            "case-lambda" => {
                let expr = case_lambda(args, pos)?;
                self.expr(&expr, tail)
            }
            "delay" | "delay-force" => {
                let expr = delay(name, args, pos)?;
                self.expr(&expr, tail)
            }
            "import" => {
                if !self.scopes.is_empty() {
                    return Error::syntax(pos, "import is only allowed at top level");
                }
                for set in args {
                    self.import_set(set)?;
                }
                self.emit(Op::Imm(Value::UNSPECIFIED));
                self.ret(tail);
                Ok(())
            }
            "define-library" => self.define_library(args, pos, tail),
            _ => unreachable!("every special form is handled"),
        }
    }

    /// Compiles `init` for a binding of `name`, naming it if it is a lambda.
    fn named_expr(&mut self, name: &Rc<str>, init: &Datum) -> Result<()> {
        if let Some([head, params, body @ ..]) = init.as_list()
            && head.as_sym() == Some("lambda")
            && self.lookup("lambda").is_none()
            && !body.is_empty()
        {
            return self.lambda(name.clone(), params, body, &init.pos);
        }
        self.expr(init, false)
    }

    fn define(&mut self, args: &[Datum], pos: &Pos, tail: bool) -> Result<()> {
        let (name, value): (Rc<str>, Option<Datum>) = match args {
            [target, rest @ ..] => match &target.kind {
                Kind::Sym(name) => match rest {
                    [] => (name.clone(), None),
                    [value] => (name.clone(), Some(value.clone())),
                    _ => return Error::syntax(pos, "define takes a variable and one expression"),
                },
                // (define (name . params) body...)
                Kind::List(items, tail_params) => {
                    let Some(name) = items[0].as_sym() else {
                        return Error::syntax(&items[0].pos, "define needs a name to define");
                    };
                    if rest.is_empty() {
                        return Error::syntax(pos, "a procedure definition needs a body");
                    }
                    let params = match (&items[1..], tail_params) {
                        ([], Some(t)) => (**t).clone(),
                        (ps, t) => Datum::new(
                            &target.pos,
                            if ps.is_empty() {
                                Kind::Nil
                            } else {
                                Kind::List(ps.to_vec(), t.clone())
                            },
                        ),
                    };
                    let name: Rc<str> = name.into();
                    self.lambda(name.clone(), &params, rest, pos)?;
                    self.finish_define(&name, pos)?;
                    self.ret(tail);
                    return Ok(());
                }
                _ => return Error::syntax(&target.pos, "define needs a name to define"),
            },
            [] => return Error::syntax(pos, "define needs a name to define"),
        };
        match value {
            Some(v) => self.named_expr(&name, &v)?,
            None => {
                self.emit(Op::Imm(Value::UNSPECIFIED));
            }
        }
        self.finish_define(&name, pos)?;
        self.ret(tail);
        Ok(())
    }

    fn finish_define(&mut self, name: &str, pos: &Pos) -> Result<()> {
        if !self.scopes.is_empty() {
            match self.lookup(name) {
                Some((0, _)) => {}
                _ => {
                    return Error::syntax(
                        pos,
                        "define is only allowed at top level or at the start of a body",
                    );
                }
            }
        }
        self.assign(name, true);
        self.emit(Op::Imm(Value::UNSPECIFIED));
        Ok(())
    }

    /// Compiles a lambda expression: `val` = a closure.
    fn lambda(&mut self, name: Rc<str>, params: &Datum, body: &[Datum], pos: &Pos) -> Result<()> {
        if body.is_empty() {
            return Error::syntax(pos, "a procedure needs a body");
        }
        let (names, rest) = match &params.kind {
            Kind::Nil => (Vec::new(), None),
            Kind::Sym(s) => (Vec::new(), Some(s.clone())),
            Kind::List(items, tail) => {
                let rest = match tail.as_deref() {
                    None => None,
                    Some(t) => match t.as_sym() {
                        Some(s) => Some(s.into()),
                        None => return Error::syntax(&t.pos, "a rest parameter must be a symbol"),
                    },
                };
                (items.clone(), rest)
            }
            _ => return Error::syntax(&params.pos, "parameters must be a list of symbols"),
        };
        let mut scope: Vec<Rc<str>> = Vec::new();
        for p in &names {
            match p.as_sym() {
                Some(s) if !scope.iter().any(|n| &**n == s) => scope.push(s.into()),
                Some(s) => return Error::syntax(&p.pos, format!("parameter {s} appears twice")),
                None => return Error::syntax(&p.pos, "a parameter must be a symbol"),
            }
        }
        let required = scope.len();
        if let Some(r) = &rest {
            scope.push(r.clone());
        }
        let outer = std::mem::take(&mut self.code);
        let outer_constants =
            std::mem::replace(&mut self.constants, self.vm.gc.roots.constants.len());
        self.scopes.push(scope);
        let compiled = self
            .body(body, pos, true)
            .and_then(|()| self.finish_constants());
        let scope = self.scopes.pop().unwrap_or_default();
        let code = std::mem::replace(&mut self.code, outer);
        self.constants = outer_constants;
        let constants = compiled?;
        let proto = self.vm.add_proto(Proto {
            name,
            required,
            rest: rest.is_some(),
            frame_size: scope.len(),
            code,
        });
        let k = self.add_constant(constants);
        self.emit(Op::Closure(proto as u32, k));
        Ok(())
    }

    /// A body: internal definitions become variables of the innermost frame.
    fn body(&mut self, forms: &[Datum], pos: &Pos, tail: bool) -> Result<()> {
        if forms.is_empty() {
            return Error::syntax(pos, "a body needs at least one expression");
        }
        let mut flat = Vec::new();
        flatten_body(forms, &mut flat, self)?;
        for f in &flat {
            if let Some(name) = defined_name(f, self) {
                let scope = self.scopes.last_mut().expect("a body is inside a frame");
                if !scope.iter().any(|n| **n == *name) {
                    scope.push(name);
                }
            }
        }
        if self.scopes.last().map_or(0, Vec::len) >= u16::MAX as usize {
            return Error::syntax(pos, "too many variables in one frame");
        }
        self.sequence(&flat, tail)
    }

    /// Ends a frame opened at `enter`: sets its size, and leaves it unless the
    /// body returned.
    fn close_scope(&mut self, enter: usize, tail: bool, pos: &Pos) -> Result<()> {
        let scope = self.scopes.pop().unwrap_or_default();
        let Ok(size) = u16::try_from(scope.len()) else {
            return Error::syntax(pos, "too many variables in one frame");
        };
        if let Op::Enter { size: s, .. } = &mut self.code[enter] {
            *s = size;
        }
        if !tail {
            self.emit(Op::Leave);
        }
        Ok(())
    }

    fn let_form(&mut self, args: &[Datum], pos: &Pos, tail: bool) -> Result<()> {
        let Some((first, rest)) = args.split_first() else {
            return Error::syntax(pos, "let needs bindings and a body");
        };
        if let Some(loop_name) = first.as_sym() {
            return self.named_let(loop_name.into(), rest, pos, tail);
        }
        let bindings = parse_bindings(first)?;
        if bindings.len() >= u16::MAX as usize {
            return Error::syntax(pos, "too many bindings");
        }
        for (name, init) in &bindings {
            self.named_expr(name, init)?;
            self.emit(Op::Push);
        }
        let n = bindings.len() as u16;
        let enter = self.emit(Op::Enter { args: n, size: n });
        self.scopes
            .push(bindings.into_iter().map(|(n, _)| n).collect());
        self.body(rest, pos, tail)?;
        self.close_scope(enter, tail, pos)
    }

    /// `(let loop ((var init) ...) body)`: a frame holding `loop`, a closure
    /// in it, and a call. The inits are evaluated inside the frame but cannot
    /// see `loop`.
    fn named_let(&mut self, name: Rc<str>, args: &[Datum], pos: &Pos, tail: bool) -> Result<()> {
        let Some((bindings, body)) = args.split_first() else {
            return Error::syntax(pos, "named let needs bindings and a body");
        };
        let bindings = parse_bindings(bindings)?;
        let enter = self.emit(Op::Enter { args: 0, size: 1 });
        self.scopes.push(vec![format!("{HIDDEN}loop").into()]);
        for (_, init) in &bindings {
            self.expr(init, false)?;
            self.emit(Op::Push);
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope[0] = name.clone();
        }
        let params = Datum::list(
            pos,
            bindings.iter().map(|(n, _)| Datum::sym(pos, n)).collect(),
        );
        self.lambda(name, &params, body, pos)?;
        self.emit(Op::SetLocal(0, 1));
        self.emit(Op::Local(0, 1));
        let n = bindings.len() as u32;
        self.emit(if tail { Op::TailCall(n) } else { Op::Call(n) });
        self.close_scope(enter, tail, pos)
    }

    fn cond(&mut self, clauses: &[Datum], tail: bool) -> Result<()> {
        let mut ends = Vec::new();
        let mut has_else = false;
        for (i, clause) in clauses.iter().enumerate() {
            let Some(parts) = clause.as_list().filter(|p| !p.is_empty()) else {
                return Error::syntax(&clause.pos, "a cond clause must be a non-empty list");
            };
            if parts[0].as_sym() == Some("else") && self.lookup("else").is_none() {
                if i + 1 != clauses.len() {
                    return Error::syntax(&clause.pos, "else must be the last cond clause");
                }
                if parts.len() == 1 {
                    return Error::syntax(&clause.pos, "else needs a body");
                }
                self.sequence(&parts[1..], tail)?;
                has_else = true;
                break;
            }
            self.expr(&parts[0], false)?;
            match &parts[1..] {
                [] => ends.push(self.emit(Op::JumpIfTrue(0))),
                [arrow, receiver] if arrow.as_sym() == Some("=>") => {
                    let next = self.emit(Op::JumpIfFalse(0));
                    self.emit(Op::Push);
                    self.expr(receiver, false)?;
                    self.emit(if tail { Op::TailCall(1) } else { Op::Call(1) });
                    ends.push(self.emit(Op::Jump(0)));
                    self.patch(next);
                }
                [arrow, ..] if arrow.as_sym() == Some("=>") => {
                    return Error::syntax(&clause.pos, "=> takes one receiver");
                }
                body => {
                    let next = self.emit(Op::JumpIfFalse(0));
                    self.sequence(body, tail)?;
                    ends.push(self.emit(Op::Jump(0)));
                    self.patch(next);
                }
            }
        }
        if !has_else {
            self.emit(Op::Imm(Value::UNSPECIFIED));
        }
        for at in ends {
            self.patch(at);
        }
        // Clauses compiled in tail position have returned; this serves the rest.
        self.ret(tail);
        Ok(())
    }

    /// `(guard (var clause...) body...)`: the body runs with a guard
    /// installed; a raise unwinds to it and runs the clauses with `var` bound,
    /// raising again if none applies.
    fn guard(&mut self, args: &[Datum], pos: &Pos, tail: bool) -> Result<()> {
        let Some((spec, body)) = args.split_first() else {
            return Error::syntax(pos, "guard needs (variable clause...) and a body");
        };
        let Some([var, clauses @ ..]) = spec.as_list() else {
            return Error::syntax(&spec.pos, "guard needs (variable clause...)");
        };
        let Some(var) = var.as_sym() else {
            return Error::syntax(&var.pos, "guard needs a variable");
        };
        let handler = self.emit(Op::PushGuard(0));
        // The body is not in tail position: the guard must be removed after it.
        let scope_body = form(pos, "let", [Datum::new(pos, Kind::Nil)], body);
        self.expr(&scope_body, false)?;
        self.emit(Op::PopGuard);
        let end = self.emit(Op::Jump(0));
        self.patch(handler);
        let mut clauses = clauses.to_vec();
        let has_else = clauses
            .last()
            .and_then(Datum::as_list)
            .is_some_and(|c| c.first().and_then(Datum::as_sym) == Some("else"));
        if !has_else {
            let reraise = Datum::list(
                pos,
                vec![hidden(pos, "raise-continuable"), Datum::sym(pos, var)],
            );
            clauses.push(Datum::list(pos, vec![Datum::sym(pos, "else"), reraise]));
        }
        self.emit(Op::Push);
        let enter = self.emit(Op::Enter { args: 1, size: 1 });
        self.scopes.push(vec![var.into()]);
        self.cond(&clauses, false)?;
        self.close_scope(enter, false, pos)?;
        self.patch(end);
        self.ret(tail);
        Ok(())
    }
}

// ------------------------------------------------------------ libraries

/// The standard libraries `import` accepts. Every binding is a global from
/// the start, so importing one only checks that the interpreter has it.
const LIBRARIES: &[&str] = &[
    "(scheme base)",
    "(scheme case-lambda)",
    "(scheme char)",
    "(scheme complex)",
    "(scheme cxr)",
    "(scheme file)",
    "(scheme inexact)",
    "(scheme lazy)",
    "(scheme process-context)",
    "(scheme read)",
    "(scheme time)",
    "(scheme write)",
    "(srfi 1)",
    "(srfi 6)",
    "(srfi 9)",
    "(srfi 23)",
    "(srfi 34)",
];

/// A library's name as written, `(scheme base)`, if `d` is one.
fn library_name(d: &Datum) -> Option<String> {
    let parts = d.as_list().filter(|p| !p.is_empty())?;
    let words = parts
        .iter()
        .map(|p| match &p.kind {
            Kind::Sym(s) => Some(s.to_string()),
            Kind::Int(n) if *n >= 0 => Some(n.to_string()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(format!("({})", words.join(" ")))
}

impl Compiler<'_> {
    /// One import set: a library's name, or `only`, `except` or `rename` of
    /// another set (a renamed binding becomes a global alias).
    fn import_set(&mut self, set: &Datum) -> Result<()> {
        if let Some([head, inner, rest @ ..]) = set.as_list() {
            match head.as_sym() {
                Some("only" | "except") => return self.import_set(inner),
                Some("rename") => {
                    self.import_set(inner)?;
                    for pair in rest {
                        let Some([from, to]) = pair.as_list() else {
                            return Error::syntax(&pair.pos, "rename needs (name new-name) pairs");
                        };
                        let alias = form(&pair.pos, "define", [to.clone(), from.clone()], &[]);
                        self.expr(&alias, false)?;
                    }
                    return Ok(());
                }
                Some("prefix") => {
                    return Error::syntax(
                        &set.pos,
                        "import: prefix is not supported (every library's bindings are global)",
                    );
                }
                _ => {}
            }
        }
        let Some(name) = library_name(set) else {
            return Error::syntax(&set.pos, "import needs library names such as (scheme base)");
        };
        if LIBRARIES.contains(&name.as_str()) || self.vm.libraries.contains(&name) {
            Ok(())
        } else {
            Error::syntax(&set.pos, format!("import: unknown library {name}"))
        }
    }

    /// `(define-library name declaration...)`: its `begin` bodies run as
    /// top-level forms, so what it defines is global whatever it exports;
    /// later imports of `name` are accepted.
    fn define_library(&mut self, args: &[Datum], pos: &Pos, tail: bool) -> Result<()> {
        if !self.scopes.is_empty() {
            return Error::syntax(pos, "define-library is only allowed at top level");
        }
        let Some((name, decls)) = args.split_first() else {
            return Error::syntax(pos, "define-library needs a name");
        };
        let Some(lib) = library_name(name) else {
            return Error::syntax(&name.pos, "a library's name is a list such as (my lib)");
        };
        let mut body = Vec::new();
        for decl in decls {
            match decl.as_list() {
                Some([head, rest @ ..]) => match head.as_sym() {
                    Some("export") => {}
                    Some("import") => body.push(decl.clone()),
                    Some("begin") => body.extend_from_slice(rest),
                    _ => {
                        return Error::syntax(
                            &decl.pos,
                            "define-library: only export, import and begin are supported",
                        );
                    }
                },
                _ => return Error::syntax(&decl.pos, "a library declaration must be a list"),
            }
        }
        self.vm.libraries.insert(lib);
        self.expr(&form(pos, "begin", [], &body), tail)
    }
}

// ------------------------------------------------------------ bodies and bindings

/// `((name init) ...)` as pairs.
fn parse_bindings(d: &Datum) -> Result<Vec<(Rc<str>, Datum)>> {
    let Some(items) = d.as_list() else {
        return Error::syntax(&d.pos, "bindings must be a list of (variable expression)");
    };
    let mut out: Vec<(Rc<str>, Datum)> = Vec::new();
    for b in items {
        match b.as_list() {
            Some([name, init]) if name.as_sym().is_some() => {
                let name: Rc<str> = name.as_sym().unwrap_or_default().into();
                if out.iter().any(|(n, _)| *n == name) {
                    return Error::syntax(&b.pos, format!("{name} is bound twice"));
                }
                out.push((name, init.clone()));
            }
            _ => return Error::syntax(&b.pos, "a binding must be (variable expression)"),
        }
    }
    Ok(out)
}

/// Splices `begin`s and expands `define-record-type`s at the top of a body.
fn flatten_body(forms: &[Datum], out: &mut Vec<Datum>, c: &Compiler<'_>) -> Result<()> {
    for f in forms {
        match f.as_list() {
            Some([head, rest @ ..])
                if head.as_sym() == Some("begin") && c.lookup("begin").is_none() =>
            {
                flatten_body(rest, out, c)?
            }
            Some([head, rest @ ..])
                if head.as_sym() == Some("define-record-type")
                    && c.lookup("define-record-type").is_none() =>
            {
                out.extend(record_type(rest, &f.pos)?)
            }
            _ => out.push(f.clone()),
        }
    }
    Ok(())
}

/// The name a body form defines, if it is a definition.
fn defined_name(f: &Datum, c: &Compiler<'_>) -> Option<Rc<str>> {
    let [head, target, ..] = f.as_list()? else {
        return None;
    };
    if head.as_sym() != Some("define") || c.lookup("define").is_some() {
        return None;
    }
    match &target.kind {
        Kind::Sym(s) => Some(s.clone()),
        Kind::List(items, _) => items[0].as_sym().map(Into::into),
        _ => None,
    }
}
