//! The interpreter loop: one match over decoded instructions, frames on
//! the shared slot stack, calls without Rust recursion (only a native that
//! calls back into Java nests a loop), exceptions unwound by table.

use gc_core::{ObjRef, WORD};

use crate::class::{Body, ClassId, Init};
use crate::code::{Conv, Elem, FloatOp, IntOp, Op, Piece};
use crate::errors::{Error, LoadError};
use crate::gc::{DATA, ELEMS, Prim};
use crate::roots::Slot;
use crate::vm::{Run, Trap, Vm};

/// A filler for the second slot of a long or double.
const FILL: Slot = Slot::int(0);

fn verify(what: String) -> Trap {
    Trap::Fatal(Error::Internal(format!("verify error: {what}")))
}

fn int_op(op: IntOp, a: i32, b: i32) -> Option<i32> {
    Some(match op {
        IntOp::Add => a.wrapping_add(b),
        IntOp::Sub => a.wrapping_sub(b),
        IntOp::Mul => a.wrapping_mul(b),
        IntOp::Div if b == 0 => return None,
        IntOp::Div => a.wrapping_div(b),
        IntOp::Rem if b == 0 => return None,
        IntOp::Rem => a.wrapping_rem(b),
        IntOp::And => a & b,
        IntOp::Or => a | b,
        IntOp::Xor => a ^ b,
        IntOp::Shl => a.wrapping_shl(b as u32 & 31),
        IntOp::Shr => a.wrapping_shr(b as u32 & 31),
        IntOp::Ushr => ((a as u32) >> (b as u32 & 31)) as i32,
    })
}

fn long_op(op: IntOp, a: i64, b: i64) -> Option<i64> {
    Some(match op {
        IntOp::Add => a.wrapping_add(b),
        IntOp::Sub => a.wrapping_sub(b),
        IntOp::Mul => a.wrapping_mul(b),
        IntOp::Div if b == 0 => return None,
        IntOp::Div => a.wrapping_div(b),
        IntOp::Rem if b == 0 => return None,
        IntOp::Rem => a.wrapping_rem(b),
        IntOp::And => a & b,
        IntOp::Or => a | b,
        IntOp::Xor => a ^ b,
        IntOp::Shl => a.wrapping_shl(b as u32 & 63),
        IntOp::Shr => a.wrapping_shr(b as u32 & 63),
        IntOp::Ushr => ((a as u64) >> (b as u32 & 63)) as i64,
    })
}

fn float_op(op: FloatOp, a: f64, b: f64) -> f64 {
    match op {
        FloatOp::Add => a + b,
        FloatOp::Sub => a - b,
        FloatOp::Mul => a * b,
        FloatOp::Div => a / b,
        FloatOp::Rem => a % b,
    }
}

fn fcmp(a: f64, b: f64, nan: i32) -> i32 {
    match a.partial_cmp(&b) {
        Some(std::cmp::Ordering::Less) => -1,
        Some(std::cmp::Ordering::Equal) => 0,
        Some(std::cmp::Ordering::Greater) => 1,
        None => nan,
    }
}

impl Vm {
    /// Runs frames until the one at `depth` (1-based) returns.
    pub(crate) fn interpret(&mut self, depth: usize) -> Run<()> {
        loop {
            match self.exec(depth) {
                Ok(()) => return Ok(()),
                Err(Trap::Throw) => {
                    if !self.unwind(depth) {
                        return Err(Trap::Throw);
                    }
                }
                Err(fatal) => {
                    let fatal = self.in_context(fatal);
                    if let Some(f) = self.frames.get(depth - 1) {
                        let base = f.base;
                        self.roots.stack.truncate(base);
                    }
                    self.frames.truncate(depth - 1);
                    return Err(fatal);
                }
            }
        }
    }

    /// An internal error, with the method and bytecode offset it happened at.
    fn in_context(&self, t: Trap) -> Trap {
        match (t, self.frames.last()) {
            (Trap::Fatal(Error::Internal(m)), Some(f)) if !m.contains(" at offset ") => {
                let method = self.cls.method(f.method);
                let pc = f.code.pcs.get(f.pc).copied().unwrap_or(0);
                Trap::Fatal(Error::Internal(format!(
                    "{}.{}{} at offset {pc}: {m}",
                    self.cls.class(method.class).name,
                    method.name,
                    method.descriptor
                )))
            }
            (t, _) => t,
        }
    }

    /// Finds a handler for the thrown exception in the frames down to
    /// `depth`, popping the others; false if none has one.
    fn unwind(&mut self, depth: usize) -> bool {
        let thrown = self.thrown().addr();
        let Some(obj) = ObjRef::from_addr(thrown) else {
            return false;
        };
        let class = self.class_of(obj);
        while let Some(f) = self.frames.last_mut() {
            let pc = f.pc as u32;
            let handler = f.code.handlers.iter().find(|h| {
                h.start <= pc && pc < h.end && h.catch.is_none_or(|c| self.cls.assignable(class, c))
            });
            if let Some(h) = handler {
                let (base, locals, target) = (f.base, f.code.max_locals, h.target);
                f.pc = target as usize;
                self.roots.stack.truncate(base + locals);
                self.roots.stack.push(Slot::reference(thrown));
                self.roots.scratch.set(0, Slot::NULL);
                return true;
            }
            let base = f.base;
            self.frames.pop();
            self.roots.stack.truncate(base);
            if self.frames.len() < depth {
                return false;
            }
        }
        false
    }

    /// The object in a slot that an instruction dereferences: checked to be
    /// a reference (the verifier's job), and non-null (else NPE).
    #[inline(always)]
    fn deref(&mut self, s: Slot, what: &str) -> Run<ObjRef> {
        if !s.is_ref {
            return Err(verify(format!(
                "{what} expects a reference, found a {:#x}",
                s.bits
            )));
        }
        match ObjRef::from_addr(s.addr()) {
            Some(o) => Ok(o),
            None => Err(self.raise(self.wk.npe, None)),
        }
    }

    /// Checks that an object is an instance of the class declaring a field
    /// or method (the verifier's job): a field access on anything else would
    /// read another class's slot, perhaps data as a reference.
    #[inline(always)]
    fn instance_of(&self, obj: ObjRef, owner: ClassId) -> Run<()> {
        let c = self.class_of(obj);
        if c == owner || self.cls.class(c).supers.contains(&owner) {
            return Ok(());
        }
        Err(verify(format!(
            "a member of {} used on an instance of {}",
            self.cls.class(owner).name,
            self.cls.class(c).name
        )))
    }

    /// Counts a back-branch or a call against the fuel, and polls the safepoint.
    #[inline(always)]
    fn tick(&mut self) -> Run<()> {
        self.gc.m.safepoint();
        match self.fuel.checked_sub(1) {
            Some(f) => {
                self.fuel = f;
                Ok(())
            }
            None => Err(Trap::Fatal(Error::OutOfFuel)),
        }
    }

    /// An array operand, its length, and a check that it holds `elem`s.
    fn array(&mut self, s: Slot, elem: Elem) -> Run<(ObjRef, usize)> {
        let arr = self.deref(s, "an array access")?;
        let Some((len, p)) = self.array_len(arr) else {
            return Err(verify("an array access on a non-array".into()));
        };
        let ok = matches!(
            (elem, p),
            (Elem::Ref, None)
                | (Elem::Byte, Some(Prim::Byte | Prim::Boolean))
                | (Elem::Char, Some(Prim::Char))
                | (Elem::Short, Some(Prim::Short))
                | (Elem::Int, Some(Prim::Int))
                | (Elem::Long, Some(Prim::Long))
                | (Elem::Float, Some(Prim::Float))
                | (Elem::Double, Some(Prim::Double))
        );
        if !ok {
            let what = p.map_or("references".to_owned(), |p| format!("{p:?}"));
            return Err(verify(format!("{elem:?} access on an array of {what}")));
        }
        Ok((arr, len))
    }

    fn bounds(&mut self, i: i32, len: usize) -> Run<usize> {
        if i < 0 || i as usize >= len {
            let msg = format!("Index {i} out of bounds for length {len}");
            return Err(self.raise(self.wk.aioobe, Some(&msg)));
        }
        Ok(i as usize)
    }

    /// Checks that the running frame has `n` operands to give.
    fn operands(&self, n: usize) -> Run<usize> {
        let floor = self.frames.last().map_or(0, |f| f.base + f.code.max_locals);
        let len = self.roots.stack.len();
        match len.checked_sub(n) {
            Some(at) if at >= floor => Ok(at),
            _ => Err(verify(format!(
                "operand stack underflow: {n} operands wanted"
            ))),
        }
    }

    fn concat(&mut self, recipe: &[Piece], slots: usize) -> Run<()> {
        let mut at = self.operands(slots)?;
        let mut text = String::new();
        for piece in recipe {
            let (s, kind) = match piece {
                Piece::Text(t) => {
                    text.push_str(t);
                    continue;
                }
                Piece::Arg(k) => (self.roots.stack.get(at), *k),
            };
            at += kind.slots();
            if let Some(t) = crate::runtime::primitive_text(s, kind) {
                text.push_str(&t);
                continue;
            }
            if !s.is_ref {
                return Err(verify(
                    "a concatenation of a non-reference as an object".into(),
                ));
            }
            text.push_str(&self.string_value(s.addr())?);
        }
        let result = self.new_string(&text)?;
        let st = &self.roots.stack;
        st.truncate(st.len() - slots);
        st.push(Slot::reference(result.addr()));
        Ok(())
    }

    fn multi_array(&mut self, class: ClassId, counts: &[i32]) -> Run<usize> {
        let outer = self.new_array(class, counts[0] as usize)?;
        if counts.len() == 1 {
            return Ok(outer.addr());
        }
        let Some(crate::class::Component::Class(inner)) = self.cls.class(class).component else {
            return Err(verify("multianewarray deeper than its type".into()));
        };
        self.roots.scratch.push(Slot::reference(outer.addr()));
        for i in 0..counts[0] as usize {
            let a = self.multi_array(inner, &counts[1..]);
            let top = self.roots.scratch.len() - 1;
            let outer = self.roots.scratch.get(top).addr();
            let a = match a {
                Ok(a) => a,
                Err(t) => {
                    self.roots.scratch.truncate(top);
                    return Err(t);
                }
            };
            // SAFETY: outer is live (rooted) and i in bounds; a is live.
            unsafe { self.gc.put_elem(ObjRef::from_addr_unchecked(outer), i, a) };
        }
        Ok(self.roots.scratch.pop().addr())
    }

    /// Runs bytecode until the frame at `depth` returns or something is thrown.
    fn exec(&mut self, depth: usize) -> Run<()> {
        let roots = self.roots.clone();
        let st = &roots.stack;
        'frames: loop {
            let fi = self.frames.len() - 1;
            let code = self.frames[fi].code.clone();
            let base = self.frames[fi].base;
            let mut pc = self.frames[fi].pc;
            // A fallible step: the frame records the instruction first, for
            // the stack trace of anything it raises and for the handlers.
            macro_rules! tri {
                ($e:expr) => {{
                    self.frames[fi].pc = pc - 1;
                    match $e {
                        Ok(v) => v,
                        Err(t) => return Err(t),
                    }
                }};
            }
            macro_rules! throw {
                ($class:expr, $msg:expr) => {{
                    self.frames[fi].pc = pc - 1;
                    return Err(self.raise($class, $msg));
                }};
            }
            macro_rules! pop2 {
                () => {{
                    st.pop();
                    st.pop()
                }};
            }
            macro_rules! push2 {
                ($s:expr) => {{
                    st.push($s);
                    st.push(FILL);
                }};
            }
            macro_rules! jump {
                ($t:expr) => {{
                    let t = *$t as usize;
                    if t < pc {
                        tri!(self.tick());
                    }
                    pc = t;
                }};
            }
            loop {
                let op = &code.ops[pc];
                pc += 1;
                match op {
                    Op::Nop => {}
                    Op::Const(s) => st.push(*s),
                    Op::Const2(bits) => push2!(Slot::long(*bits as i64)),
                    Op::Str(i) => st.push(roots.literals.get(*i as usize)),
                    Op::Unresolved(why) => {
                        let m = self.cls.method(self.frames[fi].method);
                        let e = LoadError {
                            class: self.cls.class(m.class).name.clone(),
                            method: Some(format!("{}{}", m.name, m.descriptor)),
                            reason: format!("at bytecode offset {}: {why}", code.pcs[pc - 1]),
                        };
                        tri!(Err(Trap::Fatal(Error::Load(e))))
                    }
                    Op::Load(n) => st.push(st.get(base + *n as usize)),
                    Op::Load2(n) => push2!(st.get(base + *n as usize)),
                    Op::Store(n) => st.set(base + *n as usize, st.pop()),
                    Op::Store2(n) => {
                        let v = pop2!();
                        st.set(base + *n as usize, v);
                        st.set(base + *n as usize + 1, FILL);
                    }
                    Op::ArrayLoad(elem) => {
                        let i = st.pop().as_int();
                        let (arr, len) = tri!(self.array(st.pop(), *elem));
                        let i = tri!(self.bounds(i, len));
                        // SAFETY: a live array of this element type, i in bounds.
                        unsafe {
                            match elem {
                                Elem::Ref => {
                                    st.push(Slot::reference(arr.read_word(ELEMS + i * WORD)))
                                }
                                Elem::Byte => st.push(Slot::int(i32::from(
                                    *arr.byte_ptr(DATA + i).cast::<i8>(),
                                ))),
                                Elem::Char => st.push(Slot::int(i32::from(
                                    *arr.byte_ptr(DATA + 2 * i).cast::<u16>(),
                                ))),
                                Elem::Short => st.push(Slot::int(i32::from(
                                    *arr.byte_ptr(DATA + 2 * i).cast::<i16>(),
                                ))),
                                Elem::Int => {
                                    st.push(Slot::int(*arr.byte_ptr(DATA + 4 * i).cast::<i32>()))
                                }
                                Elem::Float => st.push(Slot::word(
                                    u64::from(*arr.byte_ptr(DATA + 4 * i).cast::<u32>()),
                                    false,
                                )),
                                Elem::Long | Elem::Double => push2!(Slot::word(
                                    *arr.byte_ptr(DATA + 8 * i).cast::<u64>(),
                                    false
                                )),
                            }
                        }
                    }
                    Op::ArrayStore(elem) => {
                        let v = if matches!(elem, Elem::Long | Elem::Double) {
                            pop2!()
                        } else {
                            st.pop()
                        };
                        let i = st.pop().as_int();
                        let (arr, len) = tri!(self.array(st.pop(), *elem));
                        let i = tri!(self.bounds(i, len));
                        if *elem == Elem::Ref {
                            if !v.is_ref {
                                tri!(Err(verify("aastore of a non-reference".into())));
                            }
                            if let Some(val) = ObjRef::from_addr(v.addr()) {
                                let ac = self.class_of(arr);
                                if let Some(crate::class::Component::Class(c)) =
                                    self.cls.class(ac).component
                                {
                                    if c != self.wk.object
                                        && !self.cls.assignable(self.class_of(val), c)
                                    {
                                        let name = self.cls.class(self.class_of(val)).java_name();
                                        throw!(self.wk.array_store, Some(&name));
                                    }
                                }
                            }
                            // SAFETY: a live reference array, i in bounds, a live value.
                            unsafe { self.gc.put_elem(arr, i, v.addr()) };
                            continue;
                        }
                        // SAFETY: a live primitive array of this element type, i in bounds.
                        unsafe {
                            match elem {
                                Elem::Byte => *arr.byte_ptr(DATA + i) = v.as_int() as u8,
                                Elem::Char | Elem::Short => {
                                    *arr.byte_ptr(DATA + 2 * i).cast::<u16>() = v.as_int() as u16
                                }
                                Elem::Int | Elem::Float => {
                                    *arr.byte_ptr(DATA + 4 * i).cast::<u32>() = v.bits as u32
                                }
                                Elem::Long | Elem::Double => {
                                    *arr.byte_ptr(DATA + 8 * i).cast::<u64>() = v.bits
                                }
                                Elem::Ref => {}
                            }
                        }
                    }
                    Op::Pop => {
                        st.pop();
                    }
                    Op::Pop2 => {
                        st.pop();
                        st.pop();
                    }
                    Op::Dup => {
                        let v = st.top(0);
                        st.push(v);
                    }
                    Op::DupX1 => {
                        let (v1, v2) = (st.pop(), st.pop());
                        st.push(v1);
                        st.push(v2);
                        st.push(v1);
                    }
                    Op::DupX2 => {
                        let (v1, v2, v3) = (st.pop(), st.pop(), st.pop());
                        st.push(v1);
                        st.push(v3);
                        st.push(v2);
                        st.push(v1);
                    }
                    Op::Dup2 => {
                        let (v2, v1) = (st.top(1), st.top(0));
                        st.push(v2);
                        st.push(v1);
                    }
                    Op::Dup2X1 => {
                        let (v1, v2, v3) = (st.pop(), st.pop(), st.pop());
                        st.push(v2);
                        st.push(v1);
                        st.push(v3);
                        st.push(v2);
                        st.push(v1);
                    }
                    Op::Dup2X2 => {
                        let (v1, v2, v3, v4) = (st.pop(), st.pop(), st.pop(), st.pop());
                        st.push(v2);
                        st.push(v1);
                        st.push(v4);
                        st.push(v3);
                        st.push(v2);
                        st.push(v1);
                    }
                    Op::Swap => {
                        let (v1, v2) = (st.pop(), st.pop());
                        st.push(v1);
                        st.push(v2);
                    }
                    Op::Int(op) => {
                        let (b, a) = (st.pop().as_int(), st.pop().as_int());
                        match int_op(*op, a, b) {
                            Some(r) => st.push(Slot::int(r)),
                            None => throw!(self.wk.arithmetic, Some("/ by zero")),
                        }
                    }
                    Op::Long(op) => {
                        let b = if matches!(op, IntOp::Shl | IntOp::Shr | IntOp::Ushr) {
                            i64::from(st.pop().as_int())
                        } else {
                            pop2!().as_long()
                        };
                        let a = pop2!().as_long();
                        match long_op(*op, a, b) {
                            Some(r) => push2!(Slot::long(r)),
                            None => throw!(self.wk.arithmetic, Some("/ by zero")),
                        }
                    }
                    Op::Float(op) => {
                        let (b, a) = (st.pop().as_float(), st.pop().as_float());
                        let r = match op {
                            FloatOp::Add => a + b,
                            FloatOp::Sub => a - b,
                            FloatOp::Mul => a * b,
                            FloatOp::Div => a / b,
                            FloatOp::Rem => a % b,
                        };
                        st.push(Slot::float(r));
                    }
                    Op::Double(op) => {
                        let (b, a) = (pop2!().as_double(), pop2!().as_double());
                        push2!(Slot::double(float_op(*op, a, b)));
                    }
                    Op::INeg => {
                        let v = st.pop().as_int();
                        st.push(Slot::int(v.wrapping_neg()));
                    }
                    Op::LNeg => {
                        let v = pop2!().as_long();
                        push2!(Slot::long(v.wrapping_neg()));
                    }
                    Op::FNeg => {
                        let v = st.pop().as_float();
                        st.push(Slot::float(-v));
                    }
                    Op::DNeg => {
                        let v = pop2!().as_double();
                        push2!(Slot::double(-v));
                    }
                    Op::Iinc(n, d) => {
                        let at = base + *n as usize;
                        st.set(at, Slot::int(st.get(at).as_int().wrapping_add(*d)));
                    }
                    Op::Conv(c) => match c {
                        Conv::I2L => {
                            let v = st.pop().as_int();
                            push2!(Slot::long(i64::from(v)));
                        }
                        Conv::I2F => {
                            let v = st.pop().as_int();
                            st.push(Slot::float(v as f32));
                        }
                        Conv::I2D => {
                            let v = st.pop().as_int();
                            push2!(Slot::double(f64::from(v)));
                        }
                        Conv::L2I => {
                            let v = pop2!().as_long();
                            st.push(Slot::int(v as i32));
                        }
                        Conv::L2F => {
                            let v = pop2!().as_long();
                            st.push(Slot::float(v as f32));
                        }
                        Conv::L2D => {
                            let v = pop2!().as_long();
                            push2!(Slot::double(v as f64));
                        }
                        Conv::F2I => {
                            let v = st.pop().as_float();
                            st.push(Slot::int(v as i32));
                        }
                        Conv::F2L => {
                            let v = st.pop().as_float();
                            push2!(Slot::long(v as i64));
                        }
                        Conv::F2D => {
                            let v = st.pop().as_float();
                            push2!(Slot::double(f64::from(v)));
                        }
                        Conv::D2I => {
                            let v = pop2!().as_double();
                            st.push(Slot::int(v as i32));
                        }
                        Conv::D2L => {
                            let v = pop2!().as_double();
                            push2!(Slot::long(v as i64));
                        }
                        Conv::D2F => {
                            let v = pop2!().as_double();
                            st.push(Slot::float(v as f32));
                        }
                        Conv::I2B => {
                            let v = st.pop().as_int();
                            st.push(Slot::int(i32::from(v as i8)));
                        }
                        Conv::I2C => {
                            let v = st.pop().as_int();
                            st.push(Slot::int(i32::from(v as u16)));
                        }
                        Conv::I2S => {
                            let v = st.pop().as_int();
                            st.push(Slot::int(i32::from(v as i16)));
                        }
                    },
                    Op::LCmp => {
                        let (b, a) = (pop2!().as_long(), pop2!().as_long());
                        st.push(Slot::int(a.cmp(&b) as i32));
                    }
                    Op::FCmp(nan) => {
                        let (b, a) = (st.pop().as_float(), st.pop().as_float());
                        st.push(Slot::int(fcmp(f64::from(a), f64::from(b), *nan)));
                    }
                    Op::DCmp(nan) => {
                        let (b, a) = (pop2!().as_double(), pop2!().as_double());
                        st.push(Slot::int(fcmp(a, b, *nan)));
                    }
                    Op::If(c, t) => {
                        if c.test(st.pop().as_int(), 0) {
                            jump!(t);
                        }
                    }
                    Op::IfICmp(c, t) => {
                        let (b, a) = (st.pop().as_int(), st.pop().as_int());
                        if c.test(a, b) {
                            jump!(t);
                        }
                    }
                    Op::IfACmp(eq, t) => {
                        let (b, a) = (st.pop().bits, st.pop().bits);
                        if (a == b) == *eq {
                            jump!(t);
                        }
                    }
                    Op::IfNull(null, t) => {
                        if (st.pop().bits == 0) == *null {
                            jump!(t);
                        }
                    }
                    Op::Goto(t) => jump!(t),
                    Op::TableSwitch {
                        low,
                        targets,
                        default,
                    } => {
                        let k = i64::from(st.pop().as_int()) - i64::from(*low);
                        let t = usize::try_from(k)
                            .ok()
                            .and_then(|k| targets.get(k))
                            .unwrap_or(default);
                        jump!(t);
                    }
                    Op::LookupSwitch { pairs, default } => {
                        let k = st.pop().as_int();
                        let t = match pairs.binary_search_by_key(&k, |p| p.0) {
                            Ok(i) => &pairs[i].1,
                            Err(_) => default,
                        };
                        jump!(t);
                    }
                    Op::Return(n) => {
                        let n = *n as usize;
                        let (v, w) = (st.top(n.saturating_sub(1)), st.top(0));
                        self.frames.pop();
                        st.truncate(base);
                        match n {
                            1 => st.push(w),
                            2 => {
                                st.push(v);
                                st.push(w);
                            }
                            _ => {}
                        }
                        if self.frames.len() < depth {
                            return Ok(());
                        }
                        if let Some(caller) = self.frames.last_mut() {
                            caller.pc += 1;
                        }
                        continue 'frames;
                    }
                    Op::GetStatic { class, index, wide } => {
                        if self.init[class.0 as usize] == Init::Pending {
                            tri!(self.initialize(*class));
                        }
                        let v = roots.statics.get(*index as usize);
                        st.push(v);
                        if *wide {
                            st.push(FILL);
                        }
                    }
                    Op::PutStatic { class, index, wide } => {
                        if self.init[class.0 as usize] == Init::Pending {
                            tri!(self.initialize(*class));
                        }
                        let v = if *wide { pop2!() } else { st.pop() };
                        roots.statics.set(*index as usize, v);
                    }
                    Op::GetField {
                        owner,
                        offset,
                        is_ref,
                        wide,
                    } => {
                        let obj = tri!(self.deref(st.pop(), "getfield"));
                        tri!(self.instance_of(obj, *owner));
                        // SAFETY: a live object with a field at offset.
                        let bits = unsafe { obj.read_word(*offset as usize) } as u64;
                        st.push(Slot::word(bits, *is_ref));
                        if *wide {
                            st.push(FILL);
                        }
                    }
                    Op::PutField {
                        owner,
                        offset,
                        is_ref,
                        wide,
                    } => {
                        let v = if *wide { pop2!() } else { st.pop() };
                        let obj = tri!(self.deref(st.pop(), "putfield"));
                        tri!(self.instance_of(obj, *owner));
                        if *is_ref {
                            if !v.is_ref {
                                tri!(Err(verify(
                                    "putfield of a non-reference into a reference field".into()
                                )));
                            }
                            // SAFETY: a live object's reference field; a live value.
                            unsafe { self.gc.put_ref(obj, *offset as usize, v.addr()) };
                        } else {
                            // SAFETY: a live object's data field.
                            unsafe { obj.write_word(*offset as usize, v.bits as usize) };
                        }
                    }
                    Op::InvokeVirtual { slot, sig, args } => {
                        let recv = st.top((*args as usize).saturating_sub(1));
                        let obj = tri!(self.deref(recv, "invokevirtual"));
                        let class = self.class_of(obj);
                        // The slot must hold the method named: a receiver of an
                        // unrelated class has something else there.
                        let m = self.cls.class(class).vtable.get(*slot as usize).copied();
                        let Some(m) = m.filter(|&m| self.cls.method(m).sig == *sig) else {
                            let name = self.cls.class(class).name.clone();
                            tri!(Err(verify(format!(
                                "invokevirtual on an instance of {name}, which lacks the method"
                            ))))
                        };
                        self.frames[fi].pc = pc - 1;
                        if tri!(self.dispatch(m, *args as usize)) {
                            continue 'frames;
                        }
                    }
                    Op::InvokeDirect { method, init } => {
                        if let Some(c) = init {
                            if self.init[c.0 as usize] == Init::Pending {
                                tri!(self.initialize(*c));
                            }
                        }
                        let m = self.cls.method(*method);
                        let args = m.arg_slots;
                        // The receiver must be an instance of the method's class
                        // (the verifier's job; natives rely on it). A string's
                        // constructor gets the marker `new` left instead.
                        let owner = m.class;
                        let string_init = owner == self.wk.string && m.name == "<init>";
                        if !m.is_static() && !string_init {
                            let recv = st.top(args.saturating_sub(1));
                            let obj = tri!(self.deref(recv, "a call"));
                            tri!(self.instance_of(obj, owner));
                        }
                        self.frames[fi].pc = pc - 1;
                        if tri!(self.dispatch(*method, args)) {
                            continue 'frames;
                        }
                    }
                    Op::InvokeInterface { sig, args, cache } => {
                        let recv = st.top((*args as usize).saturating_sub(1));
                        let obj = tri!(self.deref(recv, "invokeinterface"));
                        let class = self.class_of(obj);
                        let (seen, mut m) = cache.get();
                        if seen != class {
                            let c = self.cls.class(class);
                            match c.vslots.get(sig) {
                                Some(&slot) => m = c.vtable[slot],
                                None => {
                                    let name = c.java_name();
                                    throw!(
                                        self.wk.incompatible_class_change,
                                        Some(&format!("{name} does not implement the interface"))
                                    )
                                }
                            }
                            cache.set((class, m));
                        }
                        self.frames[fi].pc = pc - 1;
                        if tri!(self.dispatch(m, *args as usize)) {
                            continue 'frames;
                        }
                    }
                    Op::Concat { recipe, slots } => {
                        self.frames[fi].pc = pc - 1;
                        tri!(self.concat(recipe, *slots as usize));
                    }
                    Op::New(c) => {
                        if self.init[c.0 as usize] == Init::Pending {
                            self.frames[fi].pc = pc - 1;
                            tri!(self.initialize(*c));
                        }
                        let obj = tri!(self.new_object(*c));
                        st.push(Slot::reference(obj.addr()));
                    }
                    Op::NewArray(p) => {
                        let n = st.pop().as_int();
                        if n < 0 {
                            throw!(self.wk.negative_array_size, Some(&n.to_string()));
                        }
                        let class =
                            self.wk.prim_arrays[Prim::ALL.iter().position(|q| q == p).unwrap_or(0)];
                        let arr = tri!(self.new_array(class, n as usize));
                        st.push(Slot::reference(arr.addr()));
                    }
                    Op::ANewArray(class) => {
                        let n = st.pop().as_int();
                        if n < 0 {
                            throw!(self.wk.negative_array_size, Some(&n.to_string()));
                        }
                        let arr = tri!(self.new_array(*class, n as usize));
                        st.push(Slot::reference(arr.addr()));
                    }
                    Op::MultiANewArray(class, dims) => {
                        let mut counts = vec![0; *dims as usize];
                        for c in counts.iter_mut().rev() {
                            *c = st.pop().as_int();
                        }
                        if let Some(n) = counts.iter().find(|&&n| n < 0) {
                            throw!(self.wk.negative_array_size, Some(&n.to_string()));
                        }
                        self.frames[fi].pc = pc - 1;
                        let arr = tri!(self.multi_array(*class, &counts));
                        st.push(Slot::reference(arr));
                    }
                    Op::ArrayLength => {
                        let s = st.pop();
                        let arr = tri!(self.deref(s, "arraylength"));
                        match self.array_len(arr) {
                            Some((len, _)) => st.push(Slot::int(len as i32)),
                            None => tri!(Err(verify("arraylength of a non-array".into()))),
                        }
                    }
                    Op::Throw => {
                        let obj = tri!(self.deref(st.pop(), "athrow"));
                        tri!(self.instance_of(obj, self.wk.throwable));
                        self.frames[fi].pc = pc - 1;
                        return Err(self.throw(obj.addr()));
                    }
                    Op::CheckCast(c) => {
                        let s = st.top(0);
                        if let Some(obj) = ObjRef::from_addr(s.addr()).filter(|_| s.is_ref) {
                            let from = self.class_of(obj);
                            if !self.cls.assignable(from, *c) {
                                let msg = format!(
                                    "class {} cannot be cast to class {}",
                                    self.cls.class(from).java_name(),
                                    self.cls.class(*c).java_name()
                                );
                                throw!(self.wk.class_cast, Some(&msg));
                            }
                        }
                    }
                    Op::InstanceOf(c) => {
                        let s = st.pop();
                        let yes = match ObjRef::from_addr(s.addr()).filter(|_| s.is_ref) {
                            Some(obj) => self.cls.assignable(self.class_of(obj), *c),
                            None => false,
                        };
                        st.push(Slot::int(i32::from(yes)));
                    }
                    Op::FellOff => {
                        tri!(Err(verify("execution fell off the end of the code".into())))
                    }
                    Op::Monitor => {
                        tri!(self.deref(st.pop(), "monitorenter"));
                    }
                }
            }
        }
    }

    /// Calls `m`, whose `args` slots are on top of the stack: a bytecode
    /// method gets a frame (true: switch to it), a native runs now (false).
    #[inline]
    fn dispatch(&mut self, m: crate::class::MethodId, args: usize) -> Run<bool> {
        let base = self.operands(args)?;
        if matches!(self.cls.method(m).body, Body::Lazy) {
            self.decode_method(m)?;
        }
        let method = self.cls.method(m);
        match &method.body {
            Body::Code(code) => {
                let code = code.clone();
                self.tick()?;
                self.enter(m, code, base)?;
                Ok(true)
            }
            Body::Native(f) => {
                let (f, ret) = (*f, method.ty.ret);
                let r = f(self, base);
                self.roots.stack.truncate(base);
                let v = r?;
                match ret {
                    None => {}
                    Some(k) if k.slots() == 2 => {
                        self.push(v);
                        self.push(FILL);
                    }
                    Some(_) => self.push(v),
                }
                Ok(false)
            }
            Body::None | Body::Lazy => {
                let what = format!(
                    "{}.{}{}",
                    self.cls.class(method.class).java_name(),
                    method.name,
                    method.descriptor
                );
                Err(self.raise(self.wk.abstract_method_error, Some(&what)))
            }
        }
    }
}
