//! Decoded methods: bytecode turned into instructions with every operand
//! resolved (branch targets to instruction indices, fields to offsets,
//! methods to ids or virtual-table slots, literals to constant slots), so
//! the interpreter never looks at the constant pool.

use std::cell::Cell;
use std::rc::Rc;

use crate::class::{ClassId, MethodId, SigId};
use crate::gc::Prim;

/// Binary arithmetic and logic on ints and longs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    And,
    Or,
    Xor,
    Shl,
    Shr,
    Ushr,
}

/// Binary arithmetic on floats and doubles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FloatOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// The conversions `i2l` to `i2s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Conv {
    I2L,
    I2F,
    I2D,
    L2I,
    L2F,
    L2D,
    F2I,
    F2L,
    F2D,
    D2I,
    D2L,
    D2F,
    I2B,
    I2C,
    I2S,
}

/// A comparison of an int with zero or with another int.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cond {
    Eq,
    Ne,
    Lt,
    Ge,
    Gt,
    Le,
}

impl Cond {
    #[inline(always)]
    pub(crate) fn test(self, a: i32, b: i32) -> bool {
        match self {
            Cond::Eq => a == b,
            Cond::Ne => a != b,
            Cond::Lt => a < b,
            Cond::Ge => a >= b,
            Cond::Gt => a > b,
            Cond::Le => a <= b,
        }
    }
}

/// What an array access reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Elem {
    /// `baload`/`bastore`: bytes and booleans, which share the opcode.
    Byte,
    Char,
    Short,
    Int,
    Long,
    Float,
    Double,
    Ref,
}

/// A piece of a string-concatenation recipe.
#[derive(Clone, Debug)]
pub(crate) enum Piece {
    Text(String),
    /// The next argument, of this kind.
    Arg(crate::descriptor::Kind),
}

/// One decoded instruction. Branch targets are instruction indices.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    Nop,
    /// Pushes a constant word (ints, floats, null).
    Const(crate::roots::Slot),
    /// Pushes a long or double constant: the bits and a filler.
    Const2(u64),
    /// Pushes string literal `n`.
    Str(u32),
    /// An instruction that could not be resolved, or uses what the runtime
    /// lacks: running it stops the run with this reason.
    Unresolved(Rc<str>),
    Load(u16),
    Load2(u16),
    Store(u16),
    Store2(u16),
    ArrayLoad(Elem),
    ArrayStore(Elem),
    Pop,
    Pop2,
    Dup,
    DupX1,
    DupX2,
    Dup2,
    Dup2X1,
    Dup2X2,
    Swap,
    Int(IntOp),
    Long(IntOp),
    Float(FloatOp),
    Double(FloatOp),
    INeg,
    LNeg,
    FNeg,
    DNeg,
    Iinc(u16, i32),
    Conv(Conv),
    LCmp,
    /// `fcmpl`/`fcmpg`: the result for NaN.
    FCmp(i32),
    DCmp(i32),
    If(Cond, u32),
    IfICmp(Cond, u32),
    IfACmp(bool, u32),
    IfNull(bool, u32),
    Goto(u32),
    TableSwitch {
        low: i32,
        targets: Rc<[u32]>,
        default: u32,
    },
    LookupSwitch {
        pairs: Rc<[(i32, u32)]>,
        default: u32,
    },
    /// Returns a value of this many slots (0, 1 or 2).
    Return(u8),
    GetStatic {
        class: ClassId,
        index: u32,
        wide: bool,
    },
    PutStatic {
        class: ClassId,
        index: u32,
        wide: bool,
    },
    /// `owner` is the class declaring the field: the object must be one.
    GetField {
        owner: ClassId,
        offset: u32,
        is_ref: bool,
        wide: bool,
    },
    PutField {
        owner: ClassId,
        offset: u32,
        is_ref: bool,
        wide: bool,
    },
    /// `invokevirtual` of an overridable method: its virtual-table slot, and
    /// its signature (which the receiver's table must have there).
    InvokeVirtual {
        slot: u32,
        sig: SigId,
        args: u16,
    },
    /// A call whose target is known: static, special, private, final.
    /// `init` is the class to initialise first, for static calls.
    InvokeDirect {
        method: MethodId,
        init: Option<ClassId>,
    },
    /// `invokeinterface`: the method's signature, and the last receiver
    /// class seen with the method it dispatched to.
    InvokeInterface {
        sig: SigId,
        args: u16,
        cache: Rc<Cell<(ClassId, MethodId)>>,
    },
    /// `invokedynamic` of `makeConcatWithConstants`.
    Concat {
        recipe: Rc<[Piece]>,
        slots: u16,
    },
    New(ClassId),
    NewArray(Prim),
    /// `anewarray`: the array class to create.
    ANewArray(ClassId),
    /// `multianewarray`: the array class and the number of dimensions given.
    MultiANewArray(ClassId, u8),
    ArrayLength,
    Throw,
    CheckCast(ClassId),
    InstanceOf(ClassId),
    /// `monitorenter`/`monitorexit`: one thread, so only the null check.
    Monitor,
    /// After the last instruction: code that runs off its end (which the
    /// verifier forbids) stops here.
    FellOff,
}

/// An exception-table entry, in instruction indices.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Handler {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) target: u32,
    /// `None` catches everything.
    pub(crate) catch: Option<ClassId>,
}

/// A decoded method body.
#[derive(Debug)]
pub(crate) struct Code {
    pub(crate) ops: Vec<Op>,
    pub(crate) max_locals: usize,
    pub(crate) max_stack: usize,
    pub(crate) handlers: Vec<Handler>,
    /// Each instruction's bytecode offset, for line numbers.
    pub(crate) pcs: Vec<u16>,
    /// `(start pc, line)`, sorted.
    pub(crate) lines: Vec<(u16, u16)>,
}

impl Code {
    /// The source line of instruction `i`, if the class file says.
    pub(crate) fn line(&self, i: usize) -> Option<u16> {
        let pc = *self.pcs.get(i)?;
        let at = self.lines.partition_point(|&(start, _)| start <= pc);
        at.checked_sub(1).map(|k| self.lines[k].1)
    }
}
