//! Bytecode to [`Op`]s, resolving every constant-pool reference on the way
//! (loading the classes it names), when a method is first called.
//!
//! What makes the code malformed fails the whole method: a branch into the
//! middle of an instruction, a local beyond `max_locals`, an opcode outside
//! the supported set. What a JVM resolves only when the instruction runs
//! fails only then: an instruction whose class or member cannot be resolved
//! (not found, not loadable, of the wrong kind), or that uses a feature the
//! runtime lacks (lambdas, class literals), becomes [`Op::Unresolved`],
//! which stops the run with the reason when it is reached. Either way the
//! error names the class, the method, the bytecode offset and the reason.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::class::{ClassId, Component, MethodId};
use crate::classfile::{ClassFile, Code as RawCode, Constant, access};
use crate::code::{self, Code, Cond, Elem, FloatOp, Handler, IntOp, Op, Piece};
use crate::descriptor::{self, Kind};
use crate::gc::Prim;
use crate::loader::Classes;
use crate::roots::Slot;

/// String literals met while decoding, each given a slot in the literals'
/// roots (in this order, once allocated).
#[derive(Default)]
pub(crate) struct Literals {
    pub(crate) index: HashMap<String, u32>,
    pub(crate) texts: Vec<String>,
}

impl Literals {
    fn get(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.texts.len() as u32;
        self.texts.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }
}

/// What decoding one method needs.
struct Decoder<'a> {
    classes: &'a mut Classes,
    literals: &'a mut Literals,
    file: &'a ClassFile,
    code: &'a RawCode,
}

/// The bytes' reader, with the offset of the instruction being decoded.
struct Bytes<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn u1(&mut self) -> Result<u8, String> {
        let v = *self
            .b
            .get(self.pos)
            .ok_or("the code ends inside an instruction")?;
        self.pos += 1;
        Ok(v)
    }

    fn u2(&mut self) -> Result<u16, String> {
        Ok(u16::from(self.u1()?) << 8 | u16::from(self.u1()?))
    }

    fn i2(&mut self) -> Result<i16, String> {
        Ok(self.u2()? as i16)
    }

    fn i4(&mut self) -> Result<i32, String> {
        Ok(((u32::from(self.u2()?) << 16) | u32::from(self.u2()?)) as i32)
    }
}

/// Decodes method `index` of the class parsed from `file`.
pub(crate) fn method(
    classes: &mut Classes,
    literals: &mut Literals,
    file: &ClassFile,
    index: usize,
) -> Result<Code, String> {
    let m = &file.methods[index];
    let Some(code) = &m.code else {
        return Err("no code".into());
    };
    let mut d = Decoder {
        classes,
        literals,
        file,
        code,
    };
    d.decode()
}

/// An instruction that resolves to `r`, or fails when it runs.
fn resolved(r: Result<Op, String>) -> Op {
    r.unwrap_or_else(|why| Op::Unresolved(why.into()))
}

fn branch(at: usize, offset: i32) -> Result<u32, String> {
    let t = at as i64 + i64::from(offset);
    u32::try_from(t).map_err(|_| format!("branch at {at} goes before the code"))
}

impl Decoder<'_> {
    fn decode(&mut self) -> Result<Code, String> {
        let bytes = &self.code.bytes;
        let mut ops = Vec::new();
        let mut pcs = Vec::new();
        let mut r = Bytes { b: bytes, pos: 0 };
        while r.pos < bytes.len() {
            let at = r.pos;
            let op = self
                .op(&mut r, at)
                .map_err(|e| format!("at bytecode offset {at}: {e}"))?;
            ops.push(op);
            pcs.push(at as u16);
        }
        ops.push(Op::FellOff);
        pcs.push(bytes.len() as u16);
        // Branch targets are offsets until here; now instruction indices.
        let index = |pc: u32| -> Result<u32, String> {
            pcs.binary_search(&(pc as u16))
                .ok()
                .filter(|_| (pc as usize) < bytes.len())
                .map(|i| i as u32)
                .ok_or_else(|| format!("a branch to offset {pc}, which starts no instruction"))
        };
        for op in &mut ops {
            match op {
                Op::If(_, t)
                | Op::IfICmp(_, t)
                | Op::IfACmp(_, t)
                | Op::IfNull(_, t)
                | Op::Goto(t) => *t = index(*t)?,
                Op::TableSwitch {
                    targets, default, ..
                } => {
                    *default = index(*default)?;
                    *targets = targets
                        .iter()
                        .map(|&t| index(t))
                        .collect::<Result<_, _>>()?;
                }
                Op::LookupSwitch { pairs, default } => {
                    *default = index(*default)?;
                    *pairs = pairs
                        .iter()
                        .map(|&(k, t)| Ok((k, index(t)?)))
                        .collect::<Result<_, String>>()?;
                }
                _ => {}
            }
        }
        let end = |pc: u16| -> Result<u32, String> {
            if pc as usize == bytes.len() {
                Ok(ops.len() as u32)
            } else {
                index(u32::from(pc))
            }
        };
        let mut handlers = Vec::new();
        for h in &self.code.handlers {
            let catch = match h.catch {
                0 => None,
                i => {
                    let name = self.file.pool.class_name(i)?.to_owned();
                    Some(self.classes.lookup(&name)?)
                }
            };
            handlers.push(Handler {
                start: index(u32::from(h.start))?,
                end: end(h.end)?,
                target: index(u32::from(h.target))?,
                catch,
            });
        }
        Ok(Code {
            ops,
            max_locals: usize::from(self.code.max_locals),
            max_stack: usize::from(self.code.max_stack),
            handlers,
            pcs,
            lines: self.code.lines.clone(),
        })
    }

    fn local(&self, n: u16, wide: bool) -> Result<u16, String> {
        if usize::from(n) + usize::from(wide) >= usize::from(self.code.max_locals) {
            return Err(format!(
                "local variable {n} is beyond max_locals {}",
                self.code.max_locals
            ));
        }
        Ok(n)
    }

    fn class_ref(&mut self, i: u16) -> Result<ClassId, String> {
        let name = self.file.pool.class_name(i)?.to_owned();
        self.classes.lookup(&name)
    }

    fn new_op(&mut self, i: u16) -> Result<Op, String> {
        let c = self.class_ref(i)?;
        let class = self.classes.class(c);
        if class.name == "java/lang/String" {
            return Ok(Op::Const(Slot::word(crate::runtime::STRING_MARK, false)));
        }
        if class.type_id.is_none() || class.access & access::ABSTRACT != 0 {
            return Err(format!(
                "new of {}, which cannot have instances",
                class.name
            ));
        }
        Ok(Op::New(c))
    }

    fn multi_array(&mut self, i: u16, dims: u8) -> Result<Op, String> {
        let c = self.class_ref(i)?;
        let depth = self
            .classes
            .class(c)
            .name
            .bytes()
            .take_while(|&b| b == b'[')
            .count();
        if dims == 0 || usize::from(dims) > depth {
            return Err(format!("multianewarray of {dims} dimensions"));
        }
        Ok(Op::MultiANewArray(c, dims))
    }

    fn ldc(&mut self, i: u16, wide: bool) -> Result<Op, String> {
        let c = self.file.pool.get(i)?.clone();
        Ok(match (c, wide) {
            (Constant::Integer(v), false) => Op::Const(Slot::int(v)),
            (Constant::Float(v), false) => Op::Const(Slot::float(v)),
            (Constant::String(s), false) => {
                let text = self.file.pool.utf8(s)?.to_owned();
                Op::Str(self.literals.get(&text))
            }
            (Constant::Long(v), true) => Op::Const2(v as u64),
            (Constant::Double(v), true) => Op::Const2(v.to_bits()),
            (Constant::Class(_), _) => {
                return Err("class literals (Foo.class) are not supported".into());
            }
            (c, _) => {
                return Err(format!(
                    "ldc of an unsupported or mismatched constant {c:?}"
                ));
            }
        })
    }

    fn field(&mut self, i: u16, is_static: bool, put: bool) -> Result<Op, String> {
        let r = self.file.pool.member_ref(i)?;
        if !matches!(self.file.pool.get(i)?, Constant::FieldRef(..)) {
            return Err(format!("constant pool entry {i} is not a field reference"));
        }
        let (cname, name, desc) = (
            r.class.to_owned(),
            r.name.to_owned(),
            r.descriptor.to_owned(),
        );
        let kind =
            descriptor::field(&desc).ok_or_else(|| format!("bad field descriptor {desc}"))?;
        let class = self.classes.lookup(&cname)?;
        let (owner, f) = self
            .classes
            .resolve_field(class, &name)
            .ok_or_else(|| format!("no field {name} in {cname}"))?;
        // The runtime's natives trust their own fields (a builder's count,
        // a throwable's trace); Java code cannot see them, being private.
        if self.classes.class(owner).runtime && (put || !is_static) {
            return Err(format!("field {cname}.{name} is private to the runtime"));
        }
        if f.is_static != is_static {
            return Err(format!(
                "field {cname}.{name} is {}static",
                if f.is_static { "" } else { "not " }
            ));
        }
        if f.kind != kind && !(is_int_like(f.kind) && is_int_like(kind)) {
            return Err(format!("field {cname}.{name} is {:?}, not {desc}", f.kind));
        }
        let (at, wide, is_ref) = (f.at as u32, kind.slots() == 2, kind == Kind::Ref);
        Ok(match (is_static, put) {
            (true, false) => Op::GetStatic {
                class: owner,
                index: at,
                wide,
            },
            (true, true) => Op::PutStatic {
                class: owner,
                index: at,
                wide,
            },
            (false, false) => Op::GetField {
                owner,
                offset: at,
                is_ref,
                wide,
            },
            (false, true) => Op::PutField {
                owner,
                offset: at,
                is_ref,
                wide,
            },
        })
    }

    /// `invoke*`: `kind` is the opcode.
    fn invoke(&mut self, i: u16, opcode: u8) -> Result<Op, String> {
        let r = self.file.pool.member_ref(i)?;
        if matches!(self.file.pool.get(i)?, Constant::FieldRef(..)) {
            return Err(format!("constant pool entry {i} is not a method reference"));
        }
        let (cname, name, desc) = (
            r.class.to_owned(),
            r.name.to_owned(),
            r.descriptor.to_owned(),
        );
        let ty =
            descriptor::method(&desc).ok_or_else(|| format!("bad method descriptor {desc}"))?;
        let class = self.classes.lookup(&cname)?;
        let sig = self.classes.sig(&name, &desc);
        let missing = || {
            format!(
                "no method {cname}.{name}{desc} (the runtime library has only part of java.lang)"
            )
        };
        let args = (ty.param_slots() + usize::from(opcode != 0xb8)) as u16;
        if opcode == 0xb9 {
            let object = self.classes.by_name["java/lang/Object"];
            let found = self.classes.resolve_method(class, sig);
            let Some(m) = found.or_else(|| self.classes.resolve_method(object, sig)) else {
                return Err(missing());
            };
            // A private interface method is called directly (JVMS 6.5).
            if self.classes.method(m).access & access::PRIVATE != 0 {
                return Ok(Op::InvokeDirect {
                    method: m,
                    init: None,
                });
            }
            return Ok(Op::InvokeInterface {
                sig,
                args,
                cache: Rc::new(Cell::new((ClassId(u32::MAX), MethodId(0)))),
            });
        }
        let m = self
            .classes
            .resolve_method(class, sig)
            .ok_or_else(missing)?;
        let method = self.classes.method(m);
        let is_static = method.is_static();
        if is_static != (opcode == 0xb8) {
            return Err(format!(
                "{cname}.{name} is {}static",
                if is_static { "" } else { "not " }
            ));
        }
        let owner = self.classes.class(method.class);
        let exact = method.access & (access::PRIVATE | access::FINAL) != 0
            || owner.access & access::FINAL != 0;
        Ok(match opcode {
            0xb6 if !exact => {
                let slot = *self
                    .classes
                    .class(class)
                    .vslots
                    .get(&sig)
                    .ok_or_else(missing)?;
                Op::InvokeVirtual {
                    slot: slot as u32,
                    sig,
                    args,
                }
            }
            0xb8 => Op::InvokeDirect {
                method: m,
                init: Some(method.class),
            },
            _ => Op::InvokeDirect {
                method: m,
                init: None,
            },
        })
    }

    /// `invokedynamic`: only javac's string concatenation.
    fn indy(&mut self, i: u16) -> Result<Op, String> {
        let pool = &self.file.pool;
        let Constant::InvokeDynamic(bsm, nat) = *pool.get(i)? else {
            return Err(format!("constant pool entry {i} is not an InvokeDynamic"));
        };
        let (name, desc) = pool.name_and_type(nat)?;
        let b = self
            .file
            .bootstraps
            .get(usize::from(bsm))
            .ok_or_else(|| format!("bootstrap method {bsm} does not exist"))?;
        let Constant::MethodHandle(_, target) = *pool.get(b.method)? else {
            return Err("the bootstrap method is not a method handle".into());
        };
        let t = pool.member_ref(target)?;
        if t.class != "java/lang/invoke/StringConcatFactory" || t.name != "makeConcatWithConstants"
        {
            return Err(format!(
                "invokedynamic {name} via {}.{} is not supported (lambdas and method references are not)",
                t.class, t.name
            ));
        }
        let ty = descriptor::method(desc).ok_or_else(|| format!("bad descriptor {desc}"))?;
        let recipe = match b.args.first() {
            Some(&a) => match pool.get(a)? {
                Constant::String(s) => pool.utf8(*s)?,
                _ => return Err("the concatenation recipe is not a string".into()),
            },
            None => return Err("the concatenation has no recipe".into()),
        };
        let mut pieces = Vec::new();
        let mut text = String::new();
        let (mut params, mut consts) = (ty.params.iter(), b.args[1..].iter());
        for ch in recipe.chars() {
            match ch {
                '\u{1}' | '\u{2}' if !text.is_empty() => {
                    pieces.push(Piece::Text(std::mem::take(&mut text)))
                }
                _ => {}
            }
            match ch {
                '\u{1}' => {
                    let k = params
                        .next()
                        .ok_or("the recipe has more arguments than the call")?;
                    pieces.push(Piece::Arg(*k));
                }
                '\u{2}' => {
                    let c = *consts
                        .next()
                        .ok_or("the recipe has more constants than given")?;
                    match pool.get(c)? {
                        Constant::String(s) => text.push_str(pool.utf8(*s)?),
                        Constant::Integer(v) => text.push_str(&v.to_string()),
                        c => return Err(format!("unsupported concatenation constant {c:?}")),
                    }
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        if params.next().is_some() {
            return Err("the call has more arguments than the recipe".into());
        }
        Ok(Op::Concat {
            recipe: pieces.into(),
            slots: ty.param_slots() as u16,
        })
    }

    fn op(&mut self, r: &mut Bytes<'_>, at: usize) -> Result<Op, String> {
        use Op::*;
        let opcode = r.u1()?;
        let cond = |c: u8| [Cond::Eq, Cond::Ne, Cond::Lt, Cond::Ge, Cond::Gt, Cond::Le][c as usize];
        Ok(match opcode {
            0x00 => Nop,
            0x01 => Const(Slot::NULL),
            0x02..=0x08 => Const(Slot::int(i32::from(opcode) - 3)),
            0x09 | 0x0a => Const2((i64::from(opcode) - 9) as u64),
            0x0b..=0x0d => Const(Slot::float(f32::from(opcode - 0x0b))),
            0x0e | 0x0f => Const2(f64::from(opcode - 0x0e).to_bits()),
            0x10 => Const(Slot::int(i32::from(r.u1()? as i8))),
            0x11 => Const(Slot::int(i32::from(r.i2()?))),
            0x12 => {
                let i = r.u1()?;
                resolved(self.ldc(u16::from(i), false))
            }
            0x13 => {
                let i = r.u2()?;
                resolved(self.ldc(i, false))
            }
            0x14 => {
                let i = r.u2()?;
                resolved(self.ldc(i, true))
            }
            0x15 | 0x17 | 0x19 => Load(self.local(u16::from(r.u1()?), false)?),
            0x16 | 0x18 => Load2(self.local(u16::from(r.u1()?), true)?),
            0x1a..=0x2d => {
                let k = (opcode - 0x1a) / 4;
                let n = self.local(u16::from((opcode - 0x1a) % 4), matches!(k, 1 | 3))?;
                if matches!(k, 1 | 3) {
                    Load2(n)
                } else {
                    Load(n)
                }
            }
            0x2e..=0x35 => ArrayLoad(elem(opcode - 0x2e)),
            0x36 | 0x38 | 0x3a => Store(self.local(u16::from(r.u1()?), false)?),
            0x37 | 0x39 => Store2(self.local(u16::from(r.u1()?), true)?),
            0x3b..=0x4e => {
                let k = (opcode - 0x3b) / 4;
                let n = self.local(u16::from((opcode - 0x3b) % 4), matches!(k, 1 | 3))?;
                if matches!(k, 1 | 3) {
                    Store2(n)
                } else {
                    Store(n)
                }
            }
            0x4f..=0x56 => ArrayStore(elem(opcode - 0x4f)),
            0x57 => Pop,
            0x58 => Pop2,
            0x59 => Dup,
            0x5a => DupX1,
            0x5b => DupX2,
            0x5c => Dup2,
            0x5d => Dup2X1,
            0x5e => Dup2X2,
            0x5f => Swap,
            0x60..=0x73 => {
                let f = [
                    FloatOp::Add,
                    FloatOp::Sub,
                    FloatOp::Mul,
                    FloatOp::Div,
                    FloatOp::Rem,
                ];
                let i = [IntOp::Add, IntOp::Sub, IntOp::Mul, IntOp::Div, IntOp::Rem];
                let (what, ty) = (((opcode - 0x60) / 4) as usize, (opcode - 0x60) % 4);
                match ty {
                    0 => Int(i[what]),
                    1 => Long(i[what]),
                    2 => Float(f[what]),
                    _ => Double(f[what]),
                }
            }
            0x74 => INeg,
            0x75 => LNeg,
            0x76 => FNeg,
            0x77 => DNeg,
            0x78..=0x83 => {
                let ops = [
                    IntOp::Shl,
                    IntOp::Shr,
                    IntOp::Ushr,
                    IntOp::And,
                    IntOp::Or,
                    IntOp::Xor,
                ];
                let o = ops[((opcode - 0x78) / 2) as usize];
                if (opcode - 0x78) % 2 == 0 {
                    Int(o)
                } else {
                    Long(o)
                }
            }
            0x84 => {
                let n = self.local(u16::from(r.u1()?), false)?;
                Iinc(n, i32::from(r.u1()? as i8))
            }
            0x85..=0x93 => Op::Conv(
                [
                    code::Conv::I2L,
                    code::Conv::I2F,
                    code::Conv::I2D,
                    code::Conv::L2I,
                    code::Conv::L2F,
                    code::Conv::L2D,
                    code::Conv::F2I,
                    code::Conv::F2L,
                    code::Conv::F2D,
                    code::Conv::D2I,
                    code::Conv::D2L,
                    code::Conv::D2F,
                    code::Conv::I2B,
                    code::Conv::I2C,
                    code::Conv::I2S,
                ][(opcode - 0x85) as usize],
            ),
            0x94 => LCmp,
            0x95 => FCmp(-1),
            0x96 => FCmp(1),
            0x97 => DCmp(-1),
            0x98 => DCmp(1),
            0x99..=0x9e => If(cond(opcode - 0x99), branch(at, i32::from(r.i2()?))?),
            0x9f..=0xa4 => IfICmp(cond(opcode - 0x9f), branch(at, i32::from(r.i2()?))?),
            0xa5 | 0xa6 => IfACmp(opcode == 0xa5, branch(at, i32::from(r.i2()?))?),
            0xa7 => Goto(branch(at, i32::from(r.i2()?))?),
            0xa8 | 0xa9 => return Err("jsr/ret (pre-Java-7 subroutines) are not supported".into()),
            0xaa | 0xab => {
                r.pos = (r.pos + 3) & !3;
                let default = branch(at, r.i4()?)?;
                if opcode == 0xaa {
                    let (low, high) = (r.i4()?, r.i4()?);
                    if high < low || (i64::from(high) - i64::from(low)) > 65536 {
                        return Err(format!("tableswitch range {low}..{high} is bad"));
                    }
                    let targets = (low..=high)
                        .map(|_| branch(at, r.i4()?))
                        .collect::<Result<Vec<_>, _>>()?;
                    TableSwitch {
                        low,
                        targets: targets.into(),
                        default,
                    }
                } else {
                    let n = r.i4()?;
                    if !(0..=65536).contains(&n) {
                        return Err(format!("lookupswitch with {n} pairs"));
                    }
                    let pairs = (0..n)
                        .map(|_| Ok((r.i4()?, branch(at, r.i4()?)?)))
                        .collect::<Result<Vec<_>, String>>()?;
                    LookupSwitch {
                        pairs: pairs.into(),
                        default,
                    }
                }
            }
            0xac | 0xae | 0xb0 => Return(1),
            0xad | 0xaf => Return(2),
            0xb1 => Return(0),
            0xb2..=0xb5 => {
                let i = r.u2()?;
                resolved(self.field(i, opcode < 0xb4, opcode % 2 == 1))
            }
            0xb6..=0xb8 => {
                let i = r.u2()?;
                resolved(self.invoke(i, opcode))
            }
            0xb9 => {
                let i = r.u2()?;
                r.u2()?;
                resolved(self.invoke(i, opcode))
            }
            0xba => {
                let i = r.u2()?;
                r.u2()?;
                resolved(self.indy(i))
            }
            0xbb => {
                let i = r.u2()?;
                resolved(self.new_op(i))
            }
            0xbc => {
                let t = r.u1()?;
                NewArray(
                    *Prim::ALL
                        .get(usize::from(t).wrapping_sub(4))
                        .ok_or_else(|| format!("newarray of bad type {t}"))?,
                )
            }
            0xbd => {
                let i = r.u2()?;
                resolved(
                    self.class_ref(i)
                        .map(|c| ANewArray(self.classes.array_class(Component::Class(c)))),
                )
            }
            0xbe => ArrayLength,
            0xbf => Throw,
            0xc0 | 0xc1 => {
                let i = r.u2()?;
                resolved(self.class_ref(i).map(|c| {
                    if opcode == 0xc0 {
                        CheckCast(c)
                    } else {
                        InstanceOf(c)
                    }
                }))
            }
            0xc2 | 0xc3 => Monitor,
            0xc4 => {
                let w = r.u1()?;
                let n = r.u2()?;
                match w {
                    0x15 | 0x17 | 0x19 => Load(self.local(n, false)?),
                    0x16 | 0x18 => Load2(self.local(n, true)?),
                    0x36 | 0x38 | 0x3a => Store(self.local(n, false)?),
                    0x37 | 0x39 => Store2(self.local(n, true)?),
                    0x84 => Iinc(self.local(n, false)?, i32::from(r.i2()?)),
                    w => return Err(format!("wide {w:#04x} is not a valid instruction")),
                }
            }
            0xc5 => {
                let i = r.u2()?;
                let dims = r.u1()?;
                resolved(self.multi_array(i, dims))
            }
            0xc6 | 0xc7 => IfNull(opcode == 0xc6, branch(at, i32::from(r.i2()?))?),
            0xc8 => Goto(branch(at, r.i4()?)?),
            op => return Err(format!("opcode {op:#04x} is not supported")),
        })
    }
}

fn is_int_like(k: Kind) -> bool {
    matches!(
        k,
        Kind::Boolean | Kind::Byte | Kind::Char | Kind::Short | Kind::Int
    )
}

/// The element of `iaload`..`saload` (or the stores), by offset from `iaload`.
fn elem(k: u8) -> Elem {
    [
        Elem::Int,
        Elem::Long,
        Elem::Float,
        Elem::Double,
        Elem::Ref,
        Elem::Byte,
        Elem::Char,
        Elem::Short,
    ][k as usize]
}
