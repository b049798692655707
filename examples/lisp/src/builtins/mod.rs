//! Built-in procedures, by subject. Each takes its arguments where the call
//! left them, on the value stack ([`Args`]), so they stay rooted while the
//! procedure allocates: read an argument again after any allocation.

use gc_core::{ObjRef, TypeId};

use crate::errors::Error;
use crate::value::Value;
use crate::vm::Vm;

mod hash;
mod io;
mod lists;
mod numbers;
pub(crate) mod records;
mod system;
mod text;
mod vectors;
pub(crate) mod weak;

/// A built-in procedure.
#[derive(Clone, Copy)]
pub(crate) struct Primitive {
    pub(crate) name: &'static str,
    pub(crate) min: u16,
    /// [`ANY`] for no limit.
    pub(crate) max: u16,
    pub(crate) body: Body,
}

/// No limit on the number of arguments.
pub(crate) const ANY: u16 = u16::MAX;

/// What a primitive does.
#[derive(Clone, Copy)]
pub(crate) enum Body {
    /// Computes a value from its arguments.
    Fn(fn(&mut Vm, Args) -> std::result::Result<Value, Error>),
    /// `apply`: calls its first argument.
    Apply,
    /// Transfers control: the machine runs these itself.
    Control(Control),
}

/// The primitives that transfer control.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Control {
    /// `call/cc`.
    CallCc,
    /// `with-exception-handler`.
    WithHandler,
    /// `raise`.
    Raise,
    /// `raise-continuable`.
    RaiseContinuable,
    /// `(%resume k v)`: continues `k` with `v` without winding (the library's
    /// `%continue` has wound already).
    Resume,
}

/// Where a call's arguments are on the stack.
#[derive(Clone, Copy)]
pub(crate) struct Args {
    pub(crate) base: usize,
    pub(crate) len: usize,
}

/// A primitive computing a value.
pub(crate) const fn prim(
    name: &'static str,
    min: u16,
    max: u16,
    f: fn(&mut Vm, Args) -> std::result::Result<Value, Error>,
) -> Primitive {
    Primitive {
        name,
        min,
        max,
        body: Body::Fn(f),
    }
}

/// Every primitive.
pub(crate) fn all() -> Vec<Primitive> {
    [
        numbers::PRIMITIVES,
        lists::PRIMITIVES,
        text::PRIMITIVES,
        vectors::PRIMITIVES,
        records::PRIMITIVES,
        system::PRIMITIVES,
        io::PRIMITIVES,
        weak::PRIMITIVES,
    ]
    .concat()
}

type Result<T> = std::result::Result<T, Error>;

impl Vm {
    /// Argument `i`: current as of now, so read it again after allocating.
    #[inline(always)]
    pub(crate) fn arg(&self, a: Args, i: usize) -> Value {
        self.gc.roots.stack.get(a.base + i)
    }

    /// Argument `i`, an object of type `ty` (`what` names it for the error).
    pub(crate) fn obj_arg(
        &self,
        who: &str,
        a: Args,
        i: usize,
        ty: TypeId,
        what: &str,
    ) -> Result<ObjRef> {
        let v = self.arg(a, i);
        self.gc
            .typed(v, ty)
            .ok_or_else(|| Error::wrong_type(who, what, v))
    }

    /// Argument `i`, a fixnum.
    pub(crate) fn int_arg(&self, who: &str, a: Args, i: usize) -> Result<i64> {
        let v = self.arg(a, i);
        v.as_fixnum()
            .ok_or_else(|| Error::wrong_type(who, "an integer", v))
    }

    /// Argument `i`, an index below `len` (or up to `len` if `inclusive`).
    pub(crate) fn index_arg(
        &self,
        who: &str,
        a: Args,
        i: usize,
        len: usize,
        inclusive: bool,
    ) -> Result<usize> {
        let v = self.arg(a, i);
        let k = self.int_arg(who, a, i)?;
        let limit = if inclusive { len + 1 } else { len };
        if k < 0 || k as usize >= limit {
            return Err(Error::runtime(
                format!("{who}: index out of range (0 to {})", limit as i64 - 1),
                vec![v],
            ));
        }
        Ok(k as usize)
    }

    /// Optional argument `i`, a range end: `len` if absent.
    pub(crate) fn range_args(
        &self,
        who: &str,
        a: Args,
        from: usize,
        len: usize,
    ) -> Result<(usize, usize)> {
        let start = if a.len > from {
            self.index_arg(who, a, from, len, true)?
        } else {
            0
        };
        let end = if a.len > from + 1 {
            self.index_arg(who, a, from + 1, len, true)?
        } else {
            len
        };
        if start > end {
            return Err(Error::runtime(
                format!("{who}: the start is after the end"),
                vec![Value::small(start), Value::small(end)],
            ));
        }
        Ok((start, end))
    }

    /// Argument `i`, a character.
    pub(crate) fn char_arg(&self, who: &str, a: Args, i: usize) -> Result<char> {
        let v = self.arg(a, i);
        v.as_char()
            .ok_or_else(|| Error::wrong_type(who, "a character", v))
    }

    /// Argument `i`, a proper list, as its elements (good until the next allocation).
    pub(crate) fn list_arg(&self, who: &str, a: Args, i: usize) -> Result<Vec<Value>> {
        let v = self.arg(a, i);
        self.gc
            .list_to_vec(v)
            .ok_or_else(|| Error::wrong_type(who, "a proper list", v))
    }

    /// A list of the values produced by `item(i)` for `i` in `0..n`, which
    /// may allocate (each is kept as soon as it is made).
    pub(crate) fn list_of(
        &mut self,
        n: usize,
        mut item: impl FnMut(&mut Vm, usize) -> Result<Value>,
    ) -> Result<Value> {
        let mark = self.gc.roots.scratch.len();
        for i in 0..n {
            match item(self, i) {
                Ok(v) => {
                    self.gc.keep(v);
                }
                Err(e) => {
                    self.gc.release(mark);
                    return Err(e);
                }
            }
        }
        self.gc.list_from_kept(mark, Value::NIL)
    }
}
