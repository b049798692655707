//! Vectors and bytevectors.

use super::{ANY, Args, Primitive, prim};
use crate::errors::Error;
use crate::value::Value;
use crate::vm::Vm;

type Result<T> = std::result::Result<T, Error>;

fn vector_arg(vm: &Vm, who: &str, a: Args, i: usize) -> Result<gc_core::ObjRef> {
    vm.obj_arg(who, a, i, vm.gc.t.vector, "a vector")
}

fn bytevector_arg(vm: &Vm, who: &str, a: Args, i: usize) -> Result<gc_core::ObjRef> {
    vm.obj_arg(who, a, i, vm.gc.t.bytevector, "a bytevector")
}

fn length_arg(vm: &Vm, who: &str, a: Args, i: usize) -> Result<usize> {
    usize::try_from(vm.int_arg(who, a, i)?)
        .map_err(|_| Error::wrong_type(who, "a length", vm.arg(a, i)))
}

fn is_vector(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(
        vm.gc.typed(vm.arg(a, 0), vm.gc.t.vector).is_some(),
    ))
}

fn make_vector(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = length_arg(vm, "make-vector", a, 0)?;
    let fill = if a.len > 1 {
        vm.arg(a, 1)
    } else {
        Value::FALSE
    };
    vm.gc.vector(n, fill)
}

/// A new vector of `n` elements, the `i`th being `item(vm, i)` (which must not allocate).
fn vector_of(vm: &mut Vm, n: usize, item: impl Fn(&Vm, usize) -> Value) -> Result<Value> {
    let v = vm.gc.vector(n, Value::UNSPECIFIED)?;
    let obj = v.as_ref().expect("a vector is a reference");
    for i in 0..n {
        let x = item(vm, i);
        vm.gc.set_elem(obj, i, x);
    }
    Ok(v)
}

fn vector(vm: &mut Vm, a: Args) -> Result<Value> {
    vector_of(vm, a.len, |vm, i| vm.arg(a, i))
}

fn vector_length(vm: &mut Vm, a: Args) -> Result<Value> {
    let v = vector_arg(vm, "vector-length", a, 0)?;
    Ok(Value::small(vm.gc.low(v)))
}

fn vector_ref(vm: &mut Vm, a: Args) -> Result<Value> {
    let v = vector_arg(vm, "vector-ref", a, 0)?;
    let i = vm.index_arg("vector-ref", a, 1, vm.gc.low(v), false)?;
    Ok(vm.gc.elem(v, i))
}

fn vector_set(vm: &mut Vm, a: Args) -> Result<Value> {
    let v = vector_arg(vm, "vector-set!", a, 0)?;
    let i = vm.index_arg("vector-set!", a, 1, vm.gc.low(v), false)?;
    vm.gc.set_elem(v, i, vm.arg(a, 2));
    Ok(Value::UNSPECIFIED)
}

fn vector_fill(vm: &mut Vm, a: Args) -> Result<Value> {
    let v = vector_arg(vm, "vector-fill!", a, 0)?;
    let (start, end) = vm.range_args("vector-fill!", a, 2, vm.gc.low(v))?;
    for i in start..end {
        vm.gc.set_elem(v, i, vm.arg(a, 1));
    }
    Ok(Value::UNSPECIFIED)
}

fn vector_to_list(vm: &mut Vm, a: Args) -> Result<Value> {
    let v = vector_arg(vm, "vector->list", a, 0)?;
    let (start, end) = vm.range_args("vector->list", a, 1, vm.gc.low(v))?;
    vm.list_of(end - start, |vm, i| {
        let v = vector_arg(vm, "vector->list", a, 0)?;
        Ok(vm.gc.elem(v, start + i))
    })
}

fn list_to_vector(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = vm.list_arg("list->vector", a, 0)?.len();
    let v = vm.gc.vector(n, Value::UNSPECIFIED)?;
    let obj = v.as_ref().expect("a vector is a reference");
    let mut list = vm.arg(a, 0);
    for i in 0..n {
        let p = vm.gc.pair(list).expect("a list of this length");
        vm.gc.set_elem(obj, i, vm.gc.car(p));
        list = vm.gc.cdr(p);
    }
    Ok(v)
}

fn vector_copy(vm: &mut Vm, a: Args) -> Result<Value> {
    let v = vector_arg(vm, "vector-copy", a, 0)?;
    let (start, end) = vm.range_args("vector-copy", a, 1, vm.gc.low(v))?;
    vector_of(vm, end - start, |vm, i| {
        let v = vm.gc.typed(vm.arg(a, 0), vm.gc.t.vector).expect("checked");
        vm.gc.elem(v, start + i)
    })
}

fn vector_append(vm: &mut Vm, a: Args) -> Result<Value> {
    let mut total = 0;
    for i in 0..a.len {
        total += vm.gc.low(vector_arg(vm, "vector-append", a, i)?);
    }
    let out = vm.gc.vector(total, Value::UNSPECIFIED)?;
    let obj = out.as_ref().expect("a vector is a reference");
    let mut at = 0;
    for i in 0..a.len {
        let v = vector_arg(vm, "vector-append", a, i)?;
        for k in 0..vm.gc.low(v) {
            vm.gc.set_elem(obj, at, vm.gc.elem(v, k));
            at += 1;
        }
    }
    Ok(out)
}

fn is_bytevector(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(
        vm.gc.typed(vm.arg(a, 0), vm.gc.t.bytevector).is_some(),
    ))
}

fn byte_arg(vm: &Vm, who: &str, a: Args, i: usize) -> Result<u8> {
    u8::try_from(vm.int_arg(who, a, i)?).map_err(|_| Error::wrong_type(who, "a byte", vm.arg(a, i)))
}

fn make_bytevector(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = length_arg(vm, "make-bytevector", a, 0)?;
    let fill = if a.len > 1 {
        byte_arg(vm, "make-bytevector", a, 1)?
    } else {
        0
    };
    // Allocate first: the heap refuses a size it cannot hold.
    let b = vm.gc.alloc(vm.gc.t.bytevector, n)?;
    for i in 0..n {
        vm.gc.byte_set(b, i, fill);
    }
    Ok(Value::from_ref(b))
}

fn bytevector(vm: &mut Vm, a: Args) -> Result<Value> {
    let bytes = (0..a.len)
        .map(|i| byte_arg(vm, "bytevector", a, i))
        .collect::<Result<Vec<_>>>()?;
    vm.gc.bytevector(&bytes)
}

fn bytevector_length(vm: &mut Vm, a: Args) -> Result<Value> {
    let b = bytevector_arg(vm, "bytevector-length", a, 0)?;
    Ok(Value::small(vm.gc.low(b)))
}

fn bytevector_ref(vm: &mut Vm, a: Args) -> Result<Value> {
    let b = bytevector_arg(vm, "bytevector-u8-ref", a, 0)?;
    let i = vm.index_arg("bytevector-u8-ref", a, 1, vm.gc.low(b), false)?;
    Ok(Value::small(vm.gc.byte_ref(b, i) as usize))
}

fn bytevector_set(vm: &mut Vm, a: Args) -> Result<Value> {
    let b = bytevector_arg(vm, "bytevector-u8-set!", a, 0)?;
    let i = vm.index_arg("bytevector-u8-set!", a, 1, vm.gc.low(b), false)?;
    let x = byte_arg(vm, "bytevector-u8-set!", a, 2)?;
    vm.gc.byte_set(b, i, x);
    Ok(Value::UNSPECIFIED)
}

fn bytevector_copy(vm: &mut Vm, a: Args) -> Result<Value> {
    let b = bytevector_arg(vm, "bytevector-copy", a, 0)?;
    let (start, end) = vm.range_args("bytevector-copy", a, 1, vm.gc.low(b))?;
    let bytes: Vec<u8> = (start..end).map(|i| vm.gc.byte_ref(b, i)).collect();
    vm.gc.bytevector(&bytes)
}

pub(super) const PRIMITIVES: &[Primitive] = &[
    prim("vector?", 1, 1, is_vector),
    prim("make-vector", 1, 2, make_vector),
    prim("vector", 0, ANY, vector),
    prim("vector-length", 1, 1, vector_length),
    prim("vector-ref", 2, 2, vector_ref),
    prim("vector-set!", 3, 3, vector_set),
    prim("vector-fill!", 2, 4, vector_fill),
    prim("vector->list", 1, 3, vector_to_list),
    prim("list->vector", 1, 1, list_to_vector),
    prim("vector-copy", 1, 3, vector_copy),
    prim("vector-append", 0, ANY, vector_append),
    prim("bytevector?", 1, 1, is_bytevector),
    prim("make-bytevector", 1, 2, make_bytevector),
    prim("bytevector", 0, ANY, bytevector),
    prim("bytevector-length", 1, 1, bytevector_length),
    prim("bytevector-u8-ref", 2, 2, bytevector_ref),
    prim("bytevector-u8-set!", 3, 3, bytevector_set),
    prim("bytevector-copy", 1, 3, bytevector_copy),
];
