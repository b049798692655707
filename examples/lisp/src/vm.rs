//! The virtual machine: runs compiled code on an explicit stack, so that
//! deep recursion is bounded by a limit of our choosing (not Rust's stack),
//! every tail call runs in constant space, and continuations are copies of
//! the stack.
//!
//! # The stack
//!
//! The value stack holds, between values being gathered for calls, frames
//! with a fixnum tag on top. A call's return frame is three words: the
//! caller's `env` and constants, then `code << 32 | pc` (≥ 0), the
//! instruction to return to. The others are two words, a payload and a tag:
//!
//! | tag | payload | meaning |
//! |---|---|---|
//! | [`HALT`] | — | the top-level form is done |
//! | [`RESTORE_HANDLERS`] | a handler list | reinstall these handlers, keep returning |
//! | [`HANDLER_RETURNED`] | the raised object | a handler returned from `raise`: an error |
//!
//! A `guard` pushes a six-word frame (handlers, winders, `env`, constants,
//! `code << 32 | pc` of its clauses, then [`GUARD`]) and puts a marker in the handler list: the
//! stack height just above that frame, as a fixnum.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::rc::Rc;

use crate::builtins::weak::Weakness;
use crate::builtins::{ANY, Args, Body, Control, Primitive};
use crate::code::{Op, Proto};
use crate::errors::Error;
use crate::gc::{Gc, field};
use crate::ports::{Ports, STDERR, STDIN, STDOUT};
use crate::value::Value;

/// A top-level form's bottom frame.
const HALT: i64 = -1;
/// Restores the handler list in the payload.
const RESTORE_HANDLERS: i64 = -2;
/// Under a handler called by `raise`: returning to it is an error.
const HANDLER_RETURNED: i64 = -3;
/// The top of a guard's frame.
const GUARD: i64 = -4;

/// The interpreter's state: the heap, the code, the globals, the machine.
pub(crate) struct Vm {
    pub(crate) gc: Gc,
    protos: Vec<Rc<Proto>>,
    globals: HashMap<Rc<str>, u32>,
    global_names: Vec<Rc<str>>,
    primitives: Vec<Primitive>,
    primitive_names: HashMap<&'static str, usize>,
    /// The running code, its index, and the next instruction.
    code: Rc<Proto>,
    code_id: usize,
    pc: usize,
    /// The most values the stack may hold: deeper recursion is a stack overflow.
    stack_limit: usize,
    /// Calls left before the form is stopped, if limited.
    fuel: Option<u64>,
    /// The library procedures that wind `dynamic-wind`s out and in when a
    /// continuation or a `guard` crosses them (globals, by index).
    continue_global: u32,
    unwind_global: u32,
    /// Where the console's output port writes.
    pub(crate) out: Box<dyn Write>,
    /// The OS resources of the ports on the heap.
    pub(crate) ports: Ports,
    /// What the weak-key hash tables and the guardians hold outside the heap.
    pub(crate) weak: Weakness,
    /// What `(command-line)` returns.
    pub(crate) command_line: Vec<String>,
    /// The libraries `define-library` made, which `import` accepts.
    pub(crate) libraries: HashSet<String>,
}

type Result<T> = std::result::Result<T, Error>;

impl Vm {
    /// A machine on `gc`, with these primitives bound as globals.
    pub(crate) fn new(
        gc: Gc,
        primitives: Vec<Primitive>,
        stack_limit: usize,
        out: Box<dyn Write>,
        command_line: Vec<String>,
    ) -> Vm {
        let idle = Rc::new(Proto {
            name: "idle".into(),
            required: 0,
            rest: false,
            frame_size: 0,
            code: Vec::new(),
        });
        let mut vm = Vm {
            gc,
            protos: vec![idle.clone()],
            globals: HashMap::new(),
            global_names: Vec::new(),
            primitive_names: primitives
                .iter()
                .enumerate()
                .map(|(i, p)| (p.name, i))
                .collect(),
            primitives,
            code: idle,
            code_id: 0,
            pc: 0,
            stack_limit,
            fuel: None,
            continue_global: 0,
            unwind_global: 0,
            out,
            ports: Ports::new(),
            weak: Weakness::default(),
            command_line,
            libraries: HashSet::new(),
        };
        for i in 0..vm.primitives.len() {
            let g = vm.global(vm.primitives[i].name);
            vm.gc.roots.globals.set(g as usize, Value::primitive(i));
        }
        vm.continue_global = vm.global("%continue");
        vm.unwind_global = vm.global("%unwind-to");
        vm.gc.roots.regs.handlers.set(Value::NIL);
        vm.gc.roots.regs.winders.set(Value::NIL);
        vm
    }

    /// Makes the console's port objects, current until a program changes them.
    pub(crate) fn open_console(&mut self) -> Result<()> {
        let mark = self.gc.roots.scratch.len();
        for index in [STDIN, STDOUT, STDERR] {
            match self.gc.port(index) {
                Ok(p) => self.gc.keep(p),
                Err(e) => {
                    self.gc.release(mark);
                    return Err(e);
                }
            };
        }
        let console = self.gc.vector(3, Value::UNSPECIFIED);
        let console = match console {
            Ok(v) => v,
            Err(e) => {
                self.gc.release(mark);
                return Err(e);
            }
        };
        let obj = console.as_ref().expect("a vector is a reference");
        for i in 0..3 {
            self.gc.set_elem(obj, i, self.gc.kept(mark + i));
        }
        self.gc.release(mark);
        self.gc.roots.regs.console.set(console);
        self.restore_console();
        Ok(())
    }

    /// Makes the console's ports the current ones again.
    fn restore_console(&self) {
        let regs = &self.gc.roots.regs;
        if let Some(console) = regs.console.get().as_ref() {
            regs.input.set(self.gc.elem(console, 0));
            regs.output.set(self.gc.elem(console, 1));
        }
    }

    // ------------------------------------------------------------ tables

    /// The index of the global `name`, made (unbound) if new.
    pub(crate) fn global(&mut self, name: &str) -> u32 {
        if let Some(&g) = self.globals.get(name) {
            return g;
        }
        let g = self.global_names.len() as u32;
        let name: Rc<str> = name.into();
        self.globals.insert(name.clone(), g);
        self.global_names.push(name);
        self.gc.roots.globals.push(Value::UNASSIGNED);
        g
    }

    /// The primitive called `name`.
    pub(crate) fn primitive(&self, name: &str) -> Option<Value> {
        self.primitive_names.get(name).map(|&i| Value::primitive(i))
    }

    /// A primitive's name.
    pub(crate) fn primitive_name(&self, index: usize) -> &'static str {
        self.primitives.get(index).map_or("?", |p| p.name)
    }

    /// A prototype's name.
    pub(crate) fn proto_name(&self, index: usize) -> Rc<str> {
        self.protos
            .get(index)
            .map_or_else(|| "?".into(), |p| p.name.clone())
    }

    pub(crate) fn add_proto(&mut self, proto: Proto) -> usize {
        self.protos.push(Rc::new(proto));
        self.protos.len() - 1
    }

    // ------------------------------------------------------------ running

    /// Runs prototype `proto` (a compiled top-level form) with its
    /// `constants` to its value.
    pub(crate) fn execute(&mut self, proto: usize, constants: Value) -> Result<Value> {
        let stack = &self.gc.roots.stack;
        stack.push(Value::UNASSIGNED);
        stack.push(tag(HALT));
        self.gc.roots.regs.env.set(Value::UNASSIGNED);
        self.gc.roots.regs.consts.set(constants);
        self.code_id = proto;
        self.code = self.protos[proto].clone();
        self.pc = 0;
        loop {
            match self.run() {
                Ok(v) => return Ok(v),
                Err(Error::Runtime { message, irritants }) => {
                    let condition = self.condition(&message, &irritants.0)?;
                    if self.raise(condition, false)? {
                        if let Some(v) = self.ret()? {
                            return Ok(v);
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Clears the machine for a new top-level form, which may make `fuel`
    /// calls; forgets what an error left behind.
    pub(crate) fn reset(&mut self, fuel: Option<u64>) {
        self.fuel = fuel;
        let roots = &self.gc.roots;
        roots.stack.clear(crate::roots::KEEP_SLOTS);
        roots.scratch.clear(crate::roots::KEEP_SLOTS);
        roots.regs.env.set(Value::UNASSIGNED);
        roots.regs.consts.set(Value::UNASSIGNED);
        roots.regs.handlers.set(Value::NIL);
        roots.regs.winders.set(Value::NIL);
        // A redirection an error escaped from ends with it.
        self.restore_console();
    }

    /// The dispatch loop.
    fn run(&mut self) -> Result<Value> {
        let roots = self.gc.roots.clone();
        let (stack, regs) = (&roots.stack, &roots.regs);
        loop {
            let Some(&op) = self.code.code.get(self.pc) else {
                return Err(internal("ran off the end of the code"));
            };
            self.pc += 1;
            match op {
                Op::Const(n) => {
                    let consts = regs
                        .consts
                        .get()
                        .as_ref()
                        .ok_or_else(|| internal("no constants"))?;
                    regs.val.set(self.gc.elem(consts, n as usize));
                }
                Op::Imm(v) => regs.val.set(v),
                Op::Local(depth, index) => {
                    let frame = self.frame(depth)?;
                    let v = self.gc.get(frame, crate::gc::elem(index as usize));
                    if v == Value::UNASSIGNED {
                        return Err(Error::runtime(
                            "a variable was used before its definition",
                            vec![],
                        ));
                    }
                    regs.val.set(v);
                }
                Op::SetLocal(depth, index) => {
                    let frame = self.frame(depth)?;
                    self.gc
                        .set(frame, crate::gc::elem(index as usize), regs.val.get());
                }
                Op::Global(g) => {
                    let v = roots.globals.get(g as usize);
                    if v == Value::UNASSIGNED {
                        return Err(Error::runtime(
                            format!("unbound variable: {}", self.global_names[g as usize]),
                            vec![],
                        ));
                    }
                    regs.val.set(v);
                }
                Op::SetGlobal(g) => {
                    if roots.globals.get(g as usize) == Value::UNASSIGNED {
                        return Err(Error::runtime(
                            format!("set!: unbound variable: {}", self.global_names[g as usize]),
                            vec![],
                        ));
                    }
                    roots.globals.set(g as usize, regs.val.get());
                }
                Op::DefineGlobal(g) => roots.globals.set(g as usize, regs.val.get()),
                Op::Push => stack.push(regs.val.get()),
                Op::Jump(pc) => self.pc = pc as usize,
                Op::JumpIfFalse(pc) => {
                    if !regs.val.get().is_true() {
                        self.pc = pc as usize;
                    }
                }
                Op::JumpIfTrue(pc) => {
                    if regs.val.get().is_true() {
                        self.pc = pc as usize;
                    }
                }
                Op::Closure(proto, constants) => {
                    let closure = self.gc.alloc(self.gc.t.closure, proto as usize)?;
                    self.gc.set_ref(closure, field::CLOSURE_ENV, regs.env.get());
                    let own = match regs.consts.get().as_ref() {
                        Some(consts) => self.gc.elem(consts, constants as usize),
                        None => Value::UNASSIGNED,
                    };
                    self.gc.set_ref(closure, field::CLOSURE_CONSTS, own);
                    regs.val.set(Value::from_ref(closure));
                }
                Op::Call(n) => {
                    if self.call(n as usize, false)?
                        && let Some(v) = self.ret()?
                    {
                        return Ok(v);
                    }
                }
                Op::TailCall(n) => {
                    if self.call(n as usize, true)?
                        && let Some(v) = self.ret()?
                    {
                        return Ok(v);
                    }
                }
                Op::Return => {
                    if let Some(v) = self.ret()? {
                        return Ok(v);
                    }
                }
                Op::Enter { args, size } => {
                    let frame = self.gc.alloc(self.gc.t.frame, 1 + size as usize)?;
                    self.gc.set_elem(frame, 0, regs.env.get());
                    for i in (1..=args as usize).rev() {
                        let v = stack.pop();
                        self.gc.set_elem(frame, i, v);
                    }
                    regs.env.set(Value::from_ref(frame));
                }
                Op::Leave => {
                    let frame = self.frame(0)?;
                    regs.env.set(self.gc.elem(frame, 0));
                }
                Op::PushGuard(pc) => {
                    self.check_stack()?;
                    stack.push(regs.handlers.get());
                    stack.push(regs.winders.get());
                    stack.push(regs.env.get());
                    stack.push(regs.consts.get());
                    stack.push(Value::small(self.code_id << 32 | pc as usize));
                    stack.push(tag(GUARD));
                    let marker = Value::small(stack.len());
                    let handlers = self.gc.cons(marker, regs.handlers.get())?;
                    regs.handlers.set(handlers);
                }
                Op::PopGuard => {
                    // The body's dynamic-winds are done: the winders are as saved.
                    stack.truncate(stack.len() - 5);
                    regs.handlers.set(stack.pop());
                }
            }
        }
    }

    /// The frame `depth` frames out from `env`.
    #[inline]
    fn frame(&self, depth: u16) -> Result<gc_core::ObjRef> {
        let mut env = self.gc.roots.regs.env.get();
        for _ in 0..depth {
            let frame = env.as_ref().ok_or_else(|| internal("no enclosing frame"))?;
            env = self.gc.elem(frame, 0);
        }
        env.as_ref().ok_or_else(|| internal("no frame"))
    }

    fn check_stack(&self) -> Result<()> {
        if self.gc.roots.stack.len() > self.stack_limit {
            return Err(Error::runtime(
                format!(
                    "stack overflow: recursion too deep (the stack holds more than {} values)",
                    self.stack_limit
                ),
                vec![],
            ));
        }
        Ok(())
    }

    /// Pushes a frame returning to the current instruction.
    #[inline]
    fn push_return(&mut self) -> Result<()> {
        self.check_stack()?;
        let (stack, regs) = (&self.gc.roots.stack, &self.gc.roots.regs);
        stack.push(regs.env.get());
        stack.push(regs.consts.get());
        stack.push(Value::small(self.code_id << 32 | self.pc));
        Ok(())
    }

    /// Returns `val` to the frame on top of the stack: `Some(val)` when that
    /// ends the top-level form.
    fn ret(&mut self) -> Result<Option<Value>> {
        let roots = &self.gc.roots;
        loop {
            let t = roots.stack.pop().as_fixnum();
            let payload = roots.stack.pop();
            match t {
                Some(t) if t >= 0 => {
                    let code = (t >> 32) as usize;
                    self.pc = (t & 0xffff_ffff) as usize;
                    roots.regs.consts.set(payload);
                    roots.regs.env.set(roots.stack.pop());
                    if code != self.code_id {
                        self.code_id = code;
                        self.code = self.protos[code].clone();
                    }
                    return Ok(None);
                }
                Some(HALT) => return Ok(Some(roots.regs.val.get())),
                Some(RESTORE_HANDLERS) => roots.regs.handlers.set(payload),
                Some(HANDLER_RETURNED) => {
                    return Err(Error::runtime(
                        "raise: the exception handler returned",
                        vec![payload],
                    ));
                }
                _ => return Err(internal("corrupt stack")),
            }
        }
    }

    /// Calls `val` with the top `n` values. Returns whether the caller must
    /// now return `val` (a tail call that did not enter new code).
    fn call(&mut self, mut n: usize, tail: bool) -> Result<bool> {
        self.gc.mutator().safepoint();
        if let Some(fuel) = &mut self.fuel {
            *fuel = fuel.checked_sub(1).ok_or(Error::OutOfFuel)?;
        }
        loop {
            let f = self.gc.roots.regs.val.get();
            if let Some(index) = f.as_primitive() {
                let p = self.primitives[index];
                if n < p.min as usize || (p.max != ANY && n > p.max as usize) {
                    return Err(arity(p.name, p.min as usize, p.max as usize, n));
                }
                match p.body {
                    Body::Fn(body) => {
                        let base = self.gc.roots.stack.len() - n;
                        let v = body(self, Args { base, len: n })?;
                        self.gc.roots.stack.truncate(base);
                        self.gc.roots.regs.val.set(v);
                        return Ok(tail);
                    }
                    Body::Apply => {
                        n = self.spread(n)?;
                        continue;
                    }
                    Body::Control(c) => return self.control(c, tail),
                }
            }
            let Some((obj, ty)) = self.gc.type_of(f) else {
                return Err(Error::runtime("not a procedure", vec![f]));
            };
            let t = &self.gc.t;
            return if ty == t.closure {
                self.enter(obj, n, tail)?;
                Ok(false)
            } else if ty == t.continuation {
                self.resume(obj, n)
            } else if ty == t.record_proc {
                let base = self.gc.roots.stack.len() - n;
                let v = crate::builtins::records::call(self, Args { base, len: n })?;
                self.gc.roots.stack.truncate(base);
                self.gc.roots.regs.val.set(v);
                Ok(tail)
            } else {
                Err(Error::runtime("not a procedure", vec![f]))
            };
        }
    }

    /// Enters closure `closure` (in `val`) with the top `n` values.
    #[inline]
    fn enter(&mut self, closure: gc_core::ObjRef, n: usize, tail: bool) -> Result<()> {
        let code = self.gc.low(closure);
        let (required, rest, frame_size) = {
            let p = &self.protos[code];
            (p.required, p.rest, p.frame_size)
        };
        if n < required || (!rest && n > required) {
            let max = if rest { u16::MAX as usize } else { required };
            return Err(arity(&self.protos[code].name, required, max, n));
        }
        if !tail {
            self.check_stack()?;
        }
        let base = self.gc.roots.stack.len() - n;
        let gc = &mut self.gc;
        let mark = gc.roots.scratch.len();
        if rest {
            for i in base + required..base + n {
                gc.keep(gc.roots.stack.get(i));
            }
            gc.list_from_kept(mark, Value::NIL)
                .map(|list| gc.keep(list))?;
        }
        let frame = gc.alloc(gc.t.frame, 1 + frame_size);
        let frame = match frame {
            Ok(f) => f,
            Err(e) => {
                gc.release(mark);
                return Err(e);
            }
        };
        let closure = gc
            .roots
            .regs
            .val
            .get()
            .as_ref()
            .expect("a closure is in val");
        gc.set_elem(frame, 0, gc.get(closure, field::CLOSURE_ENV));
        let constants = gc.get(closure, field::CLOSURE_CONSTS);
        for i in 0..required {
            gc.set_elem(frame, 1 + i, gc.roots.stack.get(base + i));
        }
        if rest {
            gc.set_elem(frame, 1 + required, gc.kept(mark));
            gc.release(mark);
        }
        gc.roots.stack.truncate(base);
        if !tail {
            let (stack, regs) = (&gc.roots.stack, &gc.roots.regs);
            stack.push(regs.env.get());
            stack.push(regs.consts.get());
            stack.push(Value::small(self.code_id << 32 | self.pc));
        }
        self.gc.roots.regs.env.set(Value::from_ref(frame));
        self.gc.roots.regs.consts.set(constants);
        if code != self.code_id {
            self.code = self.protos[code].clone();
            self.code_id = code;
        }
        self.pc = 0;
        Ok(())
    }

    /// `(apply f a ... list)` with its `n` arguments on the stack: replaces
    /// them with `a ...` and the list's elements, and `val` with `f`.
    /// Returns the new argument count.
    fn spread(&mut self, n: usize) -> Result<usize> {
        let stack = &self.gc.roots.stack;
        let base = stack.len() - n;
        let last = stack.get(base + n - 1);
        let Some(tail) = self.gc.list_to_vec(last) else {
            return Err(Error::wrong_type("apply", "a proper list", last));
        };
        let f = stack.get(base);
        let middle: Vec<Value> = (base + 1..base + n - 1).map(|i| stack.get(i)).collect();
        stack.truncate(base);
        let count = middle.len() + tail.len();
        stack.extend_from_slice(&middle);
        stack.extend_from_slice(&tail);
        self.gc.roots.regs.val.set(f);
        Ok(count)
    }

    /// Runs a control primitive with its arguments on the stack. Returns as
    /// [`call`](Self::call) does.
    fn control(&mut self, c: Control, tail: bool) -> Result<bool> {
        let roots = self.gc.roots.clone();
        let (stack, regs) = (&roots.stack, &roots.regs);
        match c {
            Control::CallCc => {
                let f = stack.pop();
                if !is_procedure(&self.gc, f) {
                    return Err(Error::wrong_type("call/cc", "a procedure", f));
                }
                regs.val.set(f);
                if !tail {
                    self.push_return()?;
                }
                // The continuation returns to the frame now on top of the stack.
                let k = self.gc.alloc(self.gc.t.continuation, 2 + stack.len())?;
                self.gc.set_elem(k, 0, regs.handlers.get());
                self.gc.set_elem(k, 1, regs.winders.get());
                for i in 0..stack.len() {
                    self.gc.set_elem(k, 2 + i, stack.get(i));
                }
                stack.push(Value::from_ref(k));
                self.call(1, true)
            }
            Control::WithHandler => {
                let base = stack.len() - 2;
                let (handler, thunk) = (stack.get(base), stack.get(base + 1));
                for (v, what) in [(handler, "handler"), (thunk, "thunk")] {
                    if !is_procedure(&self.gc, v) {
                        return Err(Error::wrong_type(
                            "with-exception-handler",
                            &format!("a procedure as the {what}"),
                            v,
                        ));
                    }
                }
                let handlers = self.gc.cons(handler, regs.handlers.get())?;
                let thunk = stack.get(base + 1);
                stack.truncate(base);
                if !tail {
                    self.push_return()?;
                }
                stack.push(regs.handlers.get());
                stack.push(tag(RESTORE_HANDLERS));
                regs.handlers.set(handlers);
                regs.val.set(thunk);
                self.call(0, true)
            }
            Control::Resume => {
                let v = stack.pop();
                let k = stack.pop();
                match self.gc.typed(k, self.gc.t.continuation) {
                    Some(k) => Ok(self.jump(k, v)),
                    None => Err(Error::wrong_type("%resume", "a continuation", k)),
                }
            }
            Control::Raise | Control::RaiseContinuable => {
                let obj = stack.pop();
                if !tail {
                    self.push_return()?;
                }
                self.raise(obj, c == Control::RaiseContinuable)
            }
        }
    }

    /// Raises `obj` to the innermost handler. Returns as [`call`](Self::call) does.
    fn raise(&mut self, obj: Value, continuable: bool) -> Result<bool> {
        let roots = self.gc.roots.clone();
        let (stack, regs) = (&roots.stack, &roots.regs);
        let handlers = regs.handlers.get();
        let Some(first) = self.gc.pair(handlers) else {
            regs.val.set(obj);
            return Err(Error::Uncaught);
        };
        let handler = self.gc.car(first);
        if let Some(height) = handler.as_fixnum() {
            // A guard: unwind to its frame and run its clauses.
            let height = height as usize;
            if height < 6 || height > stack.len() || stack.get(height - 1) != tag(GUARD) {
                return Err(internal("a guard's frame is missing"));
            }
            stack.truncate(height - 1);
            let code = stack.pop().as_fixnum().unwrap_or(0) as usize;
            regs.consts.set(stack.pop());
            regs.env.set(stack.pop());
            let winders = stack.pop();
            regs.handlers.set(stack.pop());
            self.code_id = code >> 32;
            self.code = self.protos[self.code_id].clone();
            self.pc = code & 0xffff_ffff;
            if winders == regs.winders.get() {
                regs.val.set(obj);
                return Ok(false);
            }
            // Leave the dynamic-winds the raise is escaping first: the
            // clauses get `obj` from `(%unwind-to winders obj)`.
            self.push_return()?;
            stack.push(winders);
            stack.push(obj);
            regs.val.set(roots.globals.get(self.unwind_global as usize));
            return self.call(2, true);
        }
        if continuable {
            stack.push(handlers);
            stack.push(tag(RESTORE_HANDLERS));
        } else {
            stack.push(obj);
            stack.push(tag(HANDLER_RETURNED));
        }
        regs.handlers.set(self.gc.cdr(first));
        stack.push(obj);
        regs.val.set(handler);
        self.call(1, true)
    }

    /// Invokes continuation `k` (in `val`) with the top `n` values. When
    /// it crosses `dynamic-wind`s, `(%continue k v)` runs their thunks first.
    fn resume(&mut self, k: gc_core::ObjRef, n: usize) -> Result<bool> {
        let stack = &self.gc.roots.stack;
        let v = match n {
            0 => Value::UNSPECIFIED,
            1 => stack.pop(),
            _ => {
                return Err(Error::runtime(
                    format!(
                        "continuation: expected 1 argument, got {n} (there are no multiple values)"
                    ),
                    vec![],
                ));
            }
        };
        let regs = &self.gc.roots.regs;
        if self.gc.elem(k, 1) == regs.winders.get() {
            return Ok(self.jump(k, v));
        }
        stack.push(Value::from_ref(k));
        stack.push(v);
        regs.val
            .set(self.gc.roots.globals.get(self.continue_global as usize));
        self.call(2, true)
    }

    /// Makes continuation `k` current: the stack, handlers and winders it
    /// captured come back, and `v` returns to its top frame. Returns as
    /// [`call`](Self::call) does.
    fn jump(&mut self, k: gc_core::ObjRef, v: Value) -> bool {
        let gc = &self.gc;
        let stack = &gc.roots.stack;
        stack.truncate(0);
        let saved: Vec<Value> = (2..gc.low(k)).map(|i| gc.elem(k, i)).collect();
        stack.extend_from_slice(&saved);
        gc.roots.regs.handlers.set(gc.elem(k, 0));
        gc.roots.regs.winders.set(gc.elem(k, 1));
        gc.roots.regs.val.set(v);
        true
    }

    /// A condition object for a run-time error.
    fn condition(&mut self, message: &str, irritants: &[Value]) -> Result<Value> {
        let gc = &mut self.gc;
        let mark = gc.roots.scratch.len();
        for &v in irritants {
            gc.keep(v);
        }
        let list = gc.list_from_kept(mark, Value::NIL)?;
        gc.keep(list);
        let made = gc.string(message).and_then(|text| {
            gc.keep(text);
            gc.alloc(gc.t.condition, 0)
        });
        let c = match made {
            Ok(c) => c,
            Err(e) => {
                gc.release(mark);
                return Err(e);
            }
        };
        let (list, text) = (gc.kept(mark), gc.kept(mark + 1));
        gc.release(mark);
        gc.set(c, field::MESSAGE, text);
        gc.set(c, field::IRRITANTS, list);
        Ok(Value::from_ref(c))
    }

    /// The value a top-level form raised without catching it.
    pub(crate) fn uncaught(&self) -> Value {
        self.gc.roots.regs.val.get()
    }
}

/// Whether `v` can be called.
pub(crate) fn is_procedure(gc: &Gc, v: Value) -> bool {
    if v.as_primitive().is_some() {
        return true;
    }
    gc.type_of(v)
        .is_some_and(|(_, t)| t == gc.t.closure || t == gc.t.continuation || t == gc.t.record_proc)
}

/// A stack frame's tag.
fn tag(t: i64) -> Value {
    Value::fixnum(t).expect("tags are small")
}

fn internal(what: &str) -> Error {
    Error::Heap(format!("internal error in the interpreter: {what}"))
}

/// A wrong number of arguments for `name`, which takes `min..=max`.
pub(crate) fn arity(name: &str, min: usize, max: usize, got: usize) -> Error {
    let expected = if min == max {
        format!("{min}")
    } else if max >= u16::MAX as usize {
        format!("at least {min}")
    } else {
        format!("{min} to {max}")
    };
    let s = if expected == "1" { "" } else { "s" };
    Error::runtime(
        format!("{name}: wrong number of arguments: expected {expected} argument{s}, got {got}"),
        vec![],
    )
}
