//! Records (`define-record-type`) and error objects.
//!
//! A record type's procedures are heap objects that the machine calls like
//! primitives: the header says which operation and which field.

use super::{Args, Primitive, prim};
use crate::errors::Error;
use crate::gc::field;
use crate::value::Value;
use crate::vm::{Vm, arity};

type Result<T> = std::result::Result<T, Error>;

/// What a record procedure does, in the low two bits of its header.
const CONSTRUCT: usize = 0;
const PREDICATE: usize = 1;
const ACCESS: usize = 2;
const MODIFY: usize = 3;

fn record_type_arg(vm: &Vm, who: &str, a: Args, i: usize) -> Result<gc_core::ObjRef> {
    vm.obj_arg(who, a, i, vm.gc.t.record_type, "a record type")
}

/// The record type's name, without angle brackets.
fn type_name(vm: &Vm, rtd: gc_core::ObjRef) -> String {
    let name = vm.gc.get(rtd, field::RTD_NAME);
    let name = vm
        .gc
        .typed(name, vm.gc.t.symbol)
        .map_or_else(|| "record".into(), |s| vm.gc.symbol_name(s));
    name.trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

fn make_record_type(vm: &mut Vm, a: Args) -> Result<Value> {
    let fields = vm.list_arg("make-record-type", a, 1)?;
    let rtd = vm.gc.alloc(vm.gc.t.record_type, fields.len())?;
    vm.gc.set(rtd, field::RTD_NAME, vm.arg(a, 0));
    vm.gc.set(rtd, field::RTD_FIELDS, vm.arg(a, 1));
    Ok(Value::from_ref(rtd))
}

/// The index of field `name` (argument `i`) of the record type in argument 0.
fn field_index(vm: &Vm, who: &str, a: Args, i: usize) -> Result<usize> {
    let rtd = record_type_arg(vm, who, a, 0)?;
    let fields = vm
        .gc
        .list_to_vec(vm.gc.get(rtd, field::RTD_FIELDS))
        .unwrap_or_default();
    let name = vm.arg(a, i);
    fields
        .iter()
        .position(|&f| f == name)
        .ok_or_else(|| Error::runtime(format!("{who}: no such field"), vec![name]))
}

fn record_proc(vm: &mut Vm, a: Args, op: usize, index: usize) -> Result<gc_core::ObjRef> {
    let p = vm.gc.alloc(vm.gc.t.record_proc, op | index << 2)?;
    vm.gc.set_ref(p, field::RPROC_RTD, vm.arg(a, 0));
    Ok(p)
}

fn record_constructor(vm: &mut Vm, a: Args) -> Result<Value> {
    let rtd = record_type_arg(vm, "record-constructor", a, 0)?;
    let fields = vm
        .gc
        .list_to_vec(vm.gc.get(rtd, field::RTD_FIELDS))
        .unwrap_or_default();
    let indices = vm
        .list_arg("record-constructor", a, 1)?
        .into_iter()
        .map(|name| {
            fields
                .iter()
                .position(|&f| f == name)
                .ok_or_else(|| Error::runtime("record-constructor: no such field", vec![name]))
        })
        .collect::<Result<Vec<usize>>>()?;
    let map = vm.gc.vector(indices.len(), Value::UNSPECIFIED)?;
    let m = map.as_ref().expect("a vector is a reference");
    for (k, &i) in indices.iter().enumerate() {
        vm.gc.set_elem(m, k, Value::small(i));
    }
    let keep = vm.gc.keep(map);
    let p = record_proc(vm, a, CONSTRUCT, 0);
    let map = vm.gc.kept(keep);
    vm.gc.release(keep);
    let p = p?;
    vm.gc.set(p, field::RPROC_FIELDS, map);
    Ok(Value::from_ref(p))
}

fn record_predicate(vm: &mut Vm, a: Args) -> Result<Value> {
    record_type_arg(vm, "record-predicate", a, 0)?;
    Ok(Value::from_ref(record_proc(vm, a, PREDICATE, 0)?))
}

fn record_accessor(vm: &mut Vm, a: Args) -> Result<Value> {
    let i = field_index(vm, "record-accessor", a, 1)?;
    Ok(Value::from_ref(record_proc(vm, a, ACCESS, i)?))
}

fn record_modifier(vm: &mut Vm, a: Args) -> Result<Value> {
    let i = field_index(vm, "record-modifier", a, 1)?;
    Ok(Value::from_ref(record_proc(vm, a, MODIFY, i)?))
}

/// Calls the record procedure in `val` with arguments `a`.
pub(crate) fn call(vm: &mut Vm, a: Args) -> Result<Value> {
    let f = vm.gc.roots.regs.val.get();
    let p = vm
        .gc
        .typed(f, vm.gc.t.record_proc)
        .expect("a record procedure");
    let (op, index) = (vm.gc.low(p) & 3, vm.gc.low(p) >> 2);
    let rtd_value = vm.gc.get(p, field::RPROC_RTD);
    let rtd = vm
        .gc
        .typed(rtd_value, vm.gc.t.record_type)
        .expect("a record type");
    let expected = match op {
        CONSTRUCT => {
            let map = vm.gc.get(p, field::RPROC_FIELDS);
            map.as_ref().map_or(0, |m| vm.gc.low(m))
        }
        MODIFY => 2,
        _ => 1,
    };
    if a.len != expected {
        let name = type_name(vm, rtd);
        let who = match op {
            CONSTRUCT => format!("{name} constructor"),
            PREDICATE => format!("{name} predicate"),
            ACCESS => format!("{name} accessor"),
            _ => format!("{name} modifier"),
        };
        return Err(arity(&who, expected, expected, a.len));
    }
    if op == CONSTRUCT {
        let record = vm.gc.alloc(vm.gc.t.record, 1 + vm.gc.low(rtd))?;
        // Read again after allocating.
        let p = vm
            .gc
            .typed(vm.gc.roots.regs.val.get(), vm.gc.t.record_proc)
            .expect("in val");
        let map = vm
            .gc
            .get(p, field::RPROC_FIELDS)
            .as_ref()
            .expect("a field map");
        vm.gc
            .set(record, crate::gc::elem(0), vm.gc.get(p, field::RPROC_RTD));
        for i in 1..vm.gc.low(record) {
            vm.gc.set_elem(record, i, Value::FALSE);
        }
        for k in 0..a.len {
            let i = vm.gc.elem(map, k).as_fixnum().unwrap_or(0) as usize;
            vm.gc.set_elem(record, 1 + i, vm.arg(a, k));
        }
        return Ok(Value::from_ref(record));
    }
    let v = vm.arg(a, 0);
    let record = vm
        .gc
        .typed(v, vm.gc.t.record)
        .filter(|&r| vm.gc.elem(r, 0) == rtd_value);
    match (op, record) {
        (PREDICATE, r) => Ok(Value::bool(r.is_some())),
        (ACCESS, Some(r)) => Ok(vm.gc.elem(r, 1 + index)),
        (MODIFY, Some(r)) => {
            vm.gc.set_elem(r, 1 + index, vm.arg(a, 1));
            Ok(Value::UNSPECIFIED)
        }
        _ => {
            let name = type_name(vm, rtd);
            let who = if op == ACCESS { "accessor" } else { "modifier" };
            Err(Error::wrong_type(
                &format!("{name} {who}"),
                &format!("a {name} record"),
                v,
            ))
        }
    }
}

fn is_error_object(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(
        vm.gc.typed(vm.arg(a, 0), vm.gc.t.condition).is_some(),
    ))
}

fn condition_field(vm: &Vm, a: Args, who: &str, offset: usize) -> Result<Value> {
    let c = vm.obj_arg(who, a, 0, vm.gc.t.condition, "an error object")?;
    Ok(vm.gc.get(c, offset))
}

fn error_object_message(vm: &mut Vm, a: Args) -> Result<Value> {
    condition_field(vm, a, "error-object-message", field::MESSAGE)
}

fn error_object_irritants(vm: &mut Vm, a: Args) -> Result<Value> {
    condition_field(vm, a, "error-object-irritants", field::IRRITANTS)
}

/// `(error message irritant ...)`: raises an error object.
fn error(vm: &mut Vm, a: Args) -> Result<Value> {
    let message = vm.print(vm.arg(a, 0), true);
    Err(Error::runtime(
        message,
        (1..a.len).map(|i| vm.arg(a, i)).collect(),
    ))
}

pub(super) const PRIMITIVES: &[Primitive] = &[
    prim("make-record-type", 2, 2, make_record_type),
    prim("record-constructor", 2, 2, record_constructor),
    prim("record-predicate", 1, 1, record_predicate),
    prim("record-accessor", 2, 2, record_accessor),
    prim("record-modifier", 2, 2, record_modifier),
    prim("error-object?", 1, 1, is_error_object),
    prim("error-object-message", 1, 1, error_object_message),
    prim("error-object-irritants", 1, 1, error_object_irritants),
    prim("error", 1, super::ANY, error),
];
