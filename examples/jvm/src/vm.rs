//! The machine's state, and what the interpreter and the runtime library
//! share: objects' classes, class initialisation, raising exceptions, and
//! calling Java from Rust.

use std::io::Write;
use std::time::Instant;

use gc_core::{Heap, ObjRef, Rooted, WORD};

use crate::class::{Body, ClassId, Component, Init, MethodId};
use crate::code::Code;
use crate::decode::Literals;
use crate::errors::Error;
use crate::gc::{AllocError, Gc, HEAP_SPACE, Prim};
use crate::loader::Classes;
use crate::roots::{Roots, Slot};
use crate::runtime::WellKnown;

/// Why execution left the normal path.
#[derive(Debug)]
pub(crate) enum Trap {
    /// A Java exception, in [`Vm::thrown`]'s root, is propagating.
    Throw,
    /// The run must end.
    Fatal(Error),
}

impl From<Error> for Trap {
    fn from(e: Error) -> Self {
        Trap::Fatal(e)
    }
}

/// What `Result`s carry in the interpreter and the runtime.
pub(crate) type Run<T> = Result<T, Trap>;

/// An activation of a bytecode method. Its locals start at `base` in the
/// stack, its operands follow them.
pub(crate) struct Frame {
    pub(crate) method: MethodId,
    pub(crate) code: std::rc::Rc<Code>,
    /// The instruction running (in callers: the call).
    pub(crate) pc: usize,
    pub(crate) base: usize,
}

/// The deepest the Java stack may go before `StackOverflowError`: in
/// frames, and in slots (16 bytes each).
pub(crate) const MAX_FRAMES: usize = 12_000;
const MAX_SLOTS: usize = 1 << 22;

/// The JVM: its classes, its heap, its stack.
pub(crate) struct Vm {
    pub(crate) gc: Gc,
    pub(crate) heap: Heap,
    pub(crate) roots: Rooted<Roots>,
    pub(crate) cls: Classes,
    /// The string literals of the methods decoded so far.
    pub(crate) literals: Literals,
    pub(crate) init: Vec<Init>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) wk: WellKnown,
    pub(crate) out: Box<dyn Write>,
    pub(crate) err: Box<dyn Write>,
    pub(crate) start: Instant,
    /// Constant slot of the preallocated `OutOfMemoryError`.
    pub(crate) oom: usize,
    /// Back-branches and calls left before the run is stopped.
    pub(crate) fuel: u64,
    /// Collect before every this many allocations (0: never), to test that
    /// no reference is held across one outside the roots.
    pub(crate) stress: u32,
    allocations: u32,
}

/// The word of a reference array that holds its class.
#[inline(always)]
fn ref_array_word(obj: ObjRef) -> usize {
    // SAFETY: callers pass a live reference array.
    unsafe { obj.read_word(WORD) }
}

impl Vm {
    /// A VM over a linked class table and a fresh heap.
    pub(crate) fn new(
        mut gc: Gc,
        heap: Heap,
        cls: Classes,
        wk: WellKnown,
        io: (Box<dyn Write>, Box<dyn Write>),
        options: &crate::Options,
    ) -> Vm {
        let roots = gc.m.root_set(Roots::default());
        Vm {
            gc,
            heap,
            roots,
            cls,
            literals: Literals::default(),
            init: Vec::new(),
            frames: Vec::new(),
            wk,
            out: io.0,
            err: io.1,
            start: Instant::now(),
            oom: 0,
            fuel: options.fuel.unwrap_or(u64::MAX),
            stress: options.gc_stress.unwrap_or(0),
            allocations: 0,
        }
    }

    /// The class of a live object.
    #[inline]
    pub(crate) fn class_of(&self, obj: ObjRef) -> ClassId {
        // SAFETY: the interpreter only holds live objects (the rule).
        let ty = unsafe { obj.header() }.type_id();
        if ty == self.gc.types.ref_array.0 {
            ClassId((ref_array_word(obj) >> 32) as u32)
        } else {
            self.cls.class_of_type[ty as usize]
        }
    }

    /// The identity hash of a live object: the collector's, which stays the
    /// same when the object moves.
    pub(crate) fn identity_hash(&self, obj: ObjRef) -> i32 {
        // SAFETY: a live object's current address (the rule). Its 31 bits
        // make a non-negative `int`, as HotSpot's hashes are.
        unsafe { self.gc.m.identity_hash(obj) as i32 }
    }

    /// The Java length of an array, and its element type.
    pub(crate) fn array_len(&self, obj: ObjRef) -> Option<(usize, Option<Prim>)> {
        // SAFETY: a live object (the rule).
        let h = unsafe { obj.header() };
        let t = &self.gc.types;
        if h.type_id() == t.ref_array.0 {
            return Some((h.low() as usize - 1, None));
        }
        let p = t.prim_of(h.type_id())?;
        Some((h.low() as usize / p.size(), Some(p)))
    }

    /// Pushes onto the operand stack.
    #[inline(always)]
    pub(crate) fn push(&self, s: Slot) {
        self.roots.stack.push(s);
    }

    /// The exception being thrown.
    pub(crate) fn thrown(&self) -> Slot {
        self.roots.scratch.get(0)
    }

    /// Throws `obj`.
    pub(crate) fn throw(&self, obj: usize) -> Trap {
        self.roots.scratch.set(0, Slot::reference(obj));
        Trap::Throw
    }

    /// Allocates, turning a full heap into `OutOfMemoryError`.
    pub(crate) fn alloc<T>(&mut self, f: impl FnOnce(&mut Gc) -> Result<T, AllocError>) -> Run<T> {
        if self.stress > 0 {
            self.allocations += 1;
            if self.allocations % self.stress == 0 {
                self.gc
                    .m
                    .collect()
                    .map_err(|e| Trap::Fatal(Error::Heap(e)))?;
            }
        }
        match f(&mut self.gc) {
            Ok(v) => Ok(v),
            // A full heap gets the preallocated error; an impossible size
            // its own, with HotSpot's message, while there is room for one.
            Err(AllocError::OutOfMemory(why)) if why == HEAP_SPACE => {
                let oom = self.roots.constants.get(self.oom).addr();
                Err(self.throw(oom))
            }
            Err(AllocError::OutOfMemory(why)) => Err(self.raise(self.wk.oom, Some(why))),
            Err(AllocError::Heap(e)) => Err(Trap::Fatal(Error::Heap(e))),
        }
    }

    /// A new Java string.
    pub(crate) fn new_string(&mut self, text: &str) -> Run<ObjRef> {
        let units: Vec<u16> = text.encode_utf16().collect();
        self.new_string_units(&units)
    }

    /// A new Java string of UTF-16 units. Building a string costs fuel by
    /// its length, so a loop that grows one is bounded as a loop is.
    pub(crate) fn new_string_units(&mut self, units: &[u16]) -> Run<ObjRef> {
        self.fuel = self.fuel.saturating_sub(units.len() as u64 / 64);
        if self.fuel == 0 {
            return Err(Trap::Fatal(Error::OutOfFuel));
        }
        self.alloc(|gc| gc.new_string(units))
    }

    /// A new instance of `class` (which must have a movegc type).
    pub(crate) fn new_object(&mut self, class: ClassId) -> Run<ObjRef> {
        let ty = self.cls.class(class).type_id.ok_or_else(|| {
            Trap::Fatal(Error::Internal(format!(
                "{} cannot have instances",
                self.cls.class(class).name
            )))
        })?;
        self.alloc(|gc| gc.new_object(ty))
    }

    /// A new array of class `class` (an array class).
    pub(crate) fn new_array(&mut self, class: ClassId, len: usize) -> Run<ObjRef> {
        match self.cls.class(class).component {
            Some(Component::Prim(p)) => self.alloc(|gc| gc.new_prim_array(p, len)),
            _ => self.alloc(|gc| gc.new_ref_array(class, len)),
        }
    }

    /// Creates and throws an exception of `class` with `message`.
    pub(crate) fn raise(&mut self, class: ClassId, message: Option<&str>) -> Trap {
        match self.make_throwable(class, message) {
            Ok(obj) => self.throw(obj.addr()),
            Err(t) => t,
        }
    }

    /// A new throwable of `class` with `message` and the current stack trace.
    pub(crate) fn make_throwable(&mut self, class: ClassId, message: Option<&str>) -> Run<ObjRef> {
        let msg = match message {
            Some(m) => self.new_string(m)?.addr(),
            None => 0,
        };
        self.roots.scratch.push(Slot::reference(msg));
        let obj = self.new_object(class);
        let msg = self.roots.scratch.pop().addr();
        let obj = obj?;
        // SAFETY: a fresh throwable; the message field is a reference field.
        unsafe { self.gc.put_ref(obj, self.wk.message_field, msg) };
        self.roots.scratch.push(Slot::reference(obj.addr()));
        let r = self.fill_stack_trace();
        let obj = self.roots.scratch.pop().addr();
        r?;
        // SAFETY: obj was rooted across the allocation and is non-null.
        Ok(unsafe { ObjRef::from_addr_unchecked(obj) })
    }

    /// Records the current frames in the throwable the caller keeps rooted
    /// in the scratch stack's top slot.
    pub(crate) fn fill_stack_trace(&mut self) -> Run<()> {
        let mut lines = Vec::new();
        let mut skipping = true;
        for f in self.frames.iter().rev() {
            let m = self.cls.method(f.method);
            if skipping && m.name == "<init>" && self.cls.assignable(m.class, self.wk.throwable) {
                continue;
            }
            skipping = false;
            let class = self.cls.class(m.class);
            let place = match (&class.source_file, f.code.line(f.pc)) {
                (Some(s), Some(l)) => format!("{s}:{l}"),
                (Some(s), None) => s.clone(),
                _ => "Unknown Source".to_owned(),
            };
            lines.push(format!("{}.{}({place})", class.java_name(), m.name));
        }
        let text = lines.join("\n");
        let s = self.new_string(&text)?;
        let obj = self.roots.scratch.get(self.roots.scratch.len() - 1).addr();
        if let Some(obj) = ObjRef::from_addr(obj) {
            // SAFETY: a live throwable (rooted); the trace field is a reference.
            unsafe { self.gc.put_ref(obj, self.wk.trace_field, s.addr()) };
        }
        Ok(())
    }

    /// Runs `class`'s static initialiser if it has not run: JVMS 5.5, for
    /// one thread (a class being initialised counts as ready).
    pub(crate) fn initialize(&mut self, class: ClassId) -> Run<()> {
        if self.init.get(class.0 as usize) != Some(&Init::Pending) {
            return Ok(());
        }
        self.init[class.0 as usize] = Init::Running;
        if let Some(s) = self.cls.class(class).super_class {
            self.initialize(s)?;
        }
        if let Some(clinit) = self.cls.class(class).clinit {
            let r = self.call(clinit, &[]);
            if let Err(Trap::Throw) = r {
                // Java wraps it in ExceptionInInitializerError; the class
                // stays half-initialised, as there it is unusable.
                self.init[class.0 as usize] = Init::Done;
                return Err(Trap::Throw);
            }
            r?;
        }
        self.init[class.0 as usize] = Init::Done;
        Ok(())
    }

    /// Calls `method` with `args` from Rust; returns its result (one slot,
    /// or the value of a two-slot result).
    pub(crate) fn call(&mut self, method: MethodId, args: &[Slot]) -> Run<Slot> {
        let base = self.roots.stack.len();
        for &a in args {
            self.push(a);
        }
        // After the pushes: decoding allocates, and the arguments must be
        // roots across it.
        if matches!(self.cls.method(method).body, Body::Lazy) {
            if let Err(t) = self.decode_method(method) {
                self.roots.stack.truncate(base);
                return Err(t);
            }
        }
        let m = self.cls.method(method);
        let ret = m.ty.ret.map_or(0, |k| k.slots());
        match m.body.clone() {
            Body::Native(f) => {
                let r = f(self, base);
                self.roots.stack.truncate(base);
                r
            }
            Body::Code(code) => {
                self.enter(method, code, base)?;
                let depth = self.frames.len();
                let r = self.interpret(depth);
                let v = if r.is_ok() && ret > 0 {
                    self.roots.stack.get(base)
                } else {
                    Slot::default()
                };
                self.roots.stack.truncate(base);
                r.map(|()| v)
            }
            Body::None | Body::Lazy => {
                self.roots.stack.truncate(base);
                let m = self.cls.method(method);
                let what = format!("{}.{}", self.cls.class(m.class).java_name(), m.name);
                Err(self.raise(self.wk.abstract_method_error, Some(&what)))
            }
        }
    }

    /// Calls the virtual method `name`/`descriptor` on `receiver`.
    pub(crate) fn call_virtual(
        &mut self,
        receiver: usize,
        name: &str,
        descriptor: &str,
        args: &[Slot],
    ) -> Run<Slot> {
        let Some(obj) = ObjRef::from_addr(receiver) else {
            return Err(self.raise(self.wk.npe, None));
        };
        let class = self.class_of(obj);
        let m = self
            .cls
            .find_sig(name, descriptor)
            .and_then(|sig| self.cls.class(class).vslots.get(&sig).copied())
            .map(|slot| self.cls.class(class).vtable[slot]);
        let Some(m) = m else {
            let why = format!("{}.{name}{descriptor}", self.cls.class(class).java_name());
            return Err(self.raise(self.wk.abstract_method_error, Some(&why)));
        };
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(Slot::reference(receiver));
        all.extend_from_slice(args);
        self.call(m, &all)
    }

    /// Pushes a frame for `method`, whose arguments are at `base`.
    pub(crate) fn enter(
        &mut self,
        method: MethodId,
        code: std::rc::Rc<Code>,
        base: usize,
    ) -> Run<()> {
        if self.frames.len() >= MAX_FRAMES || base + code.max_locals > MAX_SLOTS {
            self.roots.stack.truncate(base);
            return Err(self.raise(self.wk.stack_overflow, None));
        }
        self.roots.stack.resize(base + code.max_locals);
        self.roots.stack.reserve(code.max_stack);
        self.frames.push(Frame {
            method,
            code,
            pc: 0,
            base,
        });
        Ok(())
    }

    /// Writes to stdout or stderr (`fd` 1 or 2), keeping their order.
    pub(crate) fn write_fd(&mut self, fd: i32, text: &str) {
        if fd == 2 {
            let _ = self.out.flush();
            let _ = self.err.write_all(text.as_bytes());
            let _ = self.err.flush();
        } else {
            let _ = self.out.write_all(text.as_bytes());
        }
    }

    /// The text of string `s`, or `"null"`.
    pub(crate) fn text_of(&self, s: usize) -> String {
        match ObjRef::from_addr(s) {
            // SAFETY: a live string, just checked.
            Some(s) if self.class_of(s) == self.wk.string => unsafe { crate::gc::string_text(s) },
            Some(_) => "<not a string>".to_owned(),
            None => "null".to_owned(),
        }
    }
}
