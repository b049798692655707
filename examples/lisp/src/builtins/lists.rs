//! Pairs, lists, and equivalence.

use super::{ANY, Args, Primitive, prim};
use crate::errors::Error;
use crate::gc::{Gc, field};
use crate::value::Value;
use crate::vm::Vm;

type Result<T> = std::result::Result<T, Error>;

fn pair_arg(vm: &Vm, who: &str, a: Args, i: usize) -> Result<gc_core::ObjRef> {
    vm.obj_arg(who, a, i, vm.gc.t.pair, "a pair")
}

fn cons(vm: &mut Vm, a: Args) -> Result<Value> {
    vm.gc.cons(vm.arg(a, 0), vm.arg(a, 1))
}

/// `c[ad]+r`: `path` applied from its end, as the name reads.
fn cxr(vm: &Vm, a: Args, who: &str, path: &str) -> Result<Value> {
    let mut v = vm.arg(a, 0);
    for step in path.bytes().rev() {
        let Some(p) = vm.gc.pair(v) else {
            return Err(Error::wrong_type(who, "a pair", v));
        };
        v = if step == b'a' {
            vm.gc.car(p)
        } else {
            vm.gc.cdr(p)
        };
    }
    Ok(v)
}

macro_rules! cxrs {
    ($($name:ident $path:literal),*) => {
        $(fn $name(vm: &mut Vm, a: Args) -> Result<Value> {
            cxr(vm, a, concat!("c", $path, "r"), $path)
        })*
        const CXRS: &[Primitive] = &[$(prim(concat!("c", $path, "r"), 1, 1, $name)),*];
    };
}

cxrs!(car "a", cdr "d", caar "aa", cadr "ad", cdar "da", cddr "dd", caaar "aaa", caadr "aad",
    cadar "ada", caddr "add", cdaar "daa", cdadr "dad", cddar "dda", cdddr "ddd",
    caaaar "aaaa", caaadr "aaad", caadar "aada", caaddr "aadd", cadaar "adaa", cadadr "adad",
    caddar "adda", cadddr "addd", cdaaar "daaa", cdaadr "daad", cdadar "dada", cdaddr "dadd",
    cddaar "ddaa", cddadr "ddad", cdddar "ddda", cddddr "dddd");

fn set_car(vm: &mut Vm, a: Args) -> Result<Value> {
    let p = pair_arg(vm, "set-car!", a, 0)?;
    vm.gc.set(p, field::CAR, vm.arg(a, 1));
    Ok(Value::UNSPECIFIED)
}

fn set_cdr(vm: &mut Vm, a: Args) -> Result<Value> {
    let p = pair_arg(vm, "set-cdr!", a, 0)?;
    vm.gc.set(p, field::CDR, vm.arg(a, 1));
    Ok(Value::UNSPECIFIED)
}

fn is_pair(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(vm.gc.pair(vm.arg(a, 0)).is_some()))
}

fn is_null(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(vm.arg(a, 0) == Value::NIL))
}

fn is_list(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(vm.gc.list_to_vec(vm.arg(a, 0)).is_some()))
}

fn list(vm: &mut Vm, a: Args) -> Result<Value> {
    vm.list_of(a.len, |vm, i| Ok(vm.arg(a, i)))
}

fn make_list(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = vm.int_arg("make-list", a, 0)?;
    let n =
        usize::try_from(n).map_err(|_| Error::wrong_type("make-list", "a length", vm.arg(a, 0)))?;
    let fill = if a.len > 1 { Some(()) } else { None };
    vm.list_of(n, |vm, _| {
        Ok(fill.map_or(Value::UNSPECIFIED, |()| vm.arg(a, 1)))
    })
}

fn length(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::small(vm.list_arg("length", a, 0)?.len()))
}

fn append(vm: &mut Vm, a: Args) -> Result<Value> {
    if a.len == 0 {
        return Ok(Value::NIL);
    }
    for i in 0..a.len - 1 {
        vm.list_arg("append", a, i)?;
    }
    let acc = vm.gc.keep(vm.arg(a, a.len - 1));
    for i in (0..a.len - 1).rev() {
        let (list, onto) = (vm.arg(a, i), vm.gc.kept(acc));
        match copy_onto(&mut vm.gc, list, onto) {
            Ok(v) => vm.gc.set_kept(acc, v),
            Err(e) => {
                vm.gc.release(acc);
                return Err(e);
            }
        }
    }
    let result = vm.gc.kept(acc);
    vm.gc.release(acc);
    Ok(result)
}

/// A copy of the pairs of `list`, ending in `tail` instead of its own end.
pub(crate) fn copy_onto(gc: &mut Gc, list: Value, tail: Value) -> Result<Value> {
    // The cursor, the copy's head and last pair, and `tail`, kept in roots.
    let cursor = gc.keep(list);
    let (head, last, onto) = (gc.keep(Value::NIL), gc.keep(Value::NIL), gc.keep(tail));
    let copied = loop {
        let Some(p) = gc.pair(gc.kept(cursor)) else {
            break Ok(());
        };
        let item = gc.car(p);
        gc.set_kept(cursor, gc.cdr(p));
        match gc.cons(item, gc.kept(onto)) {
            Ok(cell) => {
                match gc.pair(gc.kept(last)) {
                    Some(prev) => gc.set(prev, field::CDR, cell),
                    None => gc.set_kept(head, cell),
                }
                gc.set_kept(last, cell);
            }
            Err(e) => break Err(e),
        }
    };
    let (first, onto) = (gc.kept(head), gc.kept(onto));
    gc.release(cursor);
    copied?;
    Ok(if first == Value::NIL { onto } else { first })
}

fn reverse(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = vm.list_arg("reverse", a, 0)?.len();
    let mut list = vm.arg(a, 0);
    let acc = vm.gc.keep(Value::NIL);
    let cursor = vm.gc.keep(list);
    for _ in 0..n {
        list = vm.gc.kept(cursor);
        let p = vm.gc.pair(list).expect("a proper list");
        vm.gc.set_kept(cursor, vm.gc.cdr(p));
        match vm.gc.cons(vm.gc.car(p), vm.gc.kept(acc)) {
            Ok(v) => vm.gc.set_kept(acc, v),
            Err(e) => {
                vm.gc.release(acc);
                return Err(e);
            }
        }
    }
    let result = vm.gc.kept(acc);
    vm.gc.release(acc);
    Ok(result)
}

fn list_tail(vm: &mut Vm, a: Args) -> Result<Value> {
    let k = vm.int_arg("list-tail", a, 1)?;
    let mut v = vm.arg(a, 0);
    for _ in 0..k.max(0) {
        let Some(p) = vm.gc.pair(v) else {
            return Err(Error::runtime(
                "list-tail: the list is too short",
                vec![vm.arg(a, 1)],
            ));
        };
        v = vm.gc.cdr(p);
    }
    Ok(v)
}

fn list_ref(vm: &mut Vm, a: Args) -> Result<Value> {
    let k = vm.int_arg("list-ref", a, 1)?;
    let mut v = vm.arg(a, 0);
    let mut i = 0;
    while let Some(p) = vm.gc.pair(v) {
        if i == k {
            return Ok(vm.gc.car(p));
        }
        v = vm.gc.cdr(p);
        i += 1;
    }
    Err(Error::runtime(
        "list-ref: index out of range",
        vec![vm.arg(a, 1)],
    ))
}

fn list_copy(vm: &mut Vm, a: Args) -> Result<Value> {
    let list = vm.arg(a, 0);
    copy_onto(&mut vm.gc, list, Value::NIL)
}

fn last_pair(vm: &mut Vm, a: Args) -> Result<Value> {
    let mut p = pair_arg(vm, "last-pair", a, 0)?;
    while let Some(next) = vm.gc.pair(vm.gc.cdr(p)) {
        p = next;
    }
    Ok(Value::from_ref(p))
}

/// `eqv?`: the same object, or numbers or characters that are the same.
pub(crate) fn eqv(gc: &Gc, x: Value, y: Value) -> bool {
    if x == y {
        return true;
    }
    let (Some((_, tx)), Some((_, ty))) = (gc.type_of(x), gc.type_of(y)) else {
        return false;
    };
    if tx != ty {
        false
    } else if tx == gc.t.flonum {
        gc.as_flonum(x).map(f64::to_bits) == gc.as_flonum(y).map(f64::to_bits)
    } else {
        tx == gc.t.bignum && gc.bignums_equal(x, y)
    }
}

/// `equal?`: the same shape, with `eqv?` leaves and equal strings. Walks an
/// explicit work list, so deep structures cannot overflow Rust's stack.
pub(crate) fn equal(gc: &Gc, x: Value, y: Value) -> bool {
    let mut work = vec![(x, y)];
    while let Some((x, y)) = work.pop() {
        if eqv(gc, x, y) {
            continue;
        }
        let (Some((ox, tx)), Some((oy, ty))) = (gc.type_of(x), gc.type_of(y)) else {
            return false;
        };
        if tx != ty {
            return false;
        }
        let t = &gc.t;
        if tx == t.pair {
            work.push((gc.cdr(ox), gc.cdr(oy)));
            work.push((gc.car(ox), gc.car(oy)));
        } else if tx == t.vector {
            if gc.low(ox) != gc.low(oy) {
                return false;
            }
            for i in (0..gc.low(ox)).rev() {
                work.push((gc.elem(ox, i), gc.elem(oy, i)));
            }
        } else if tx == t.string {
            if gc.string_chars(ox) != gc.string_chars(oy) {
                return false;
            }
        } else if tx == t.bytevector {
            let n = gc.low(ox);
            if n != gc.low(oy) || (0..n).any(|i| gc.byte_ref(ox, i) != gc.byte_ref(oy, i)) {
                return false;
            }
        } else {
            return false;
        }
        if work.len() > 1 << 26 {
            // A circular structure: not equal to anything but itself.
            return false;
        }
    }
    true
}

fn is_eq(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(vm.arg(a, 0) == vm.arg(a, 1)))
}

fn is_eqv(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(eqv(&vm.gc, vm.arg(a, 0), vm.arg(a, 1))))
}

fn is_equal(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(equal(&vm.gc, vm.arg(a, 0), vm.arg(a, 1))))
}

/// `memq`, `memv`, `member`: the first tail whose car matches.
fn mem(vm: &Vm, a: Args, who: &str, same: fn(&Gc, Value, Value) -> bool) -> Result<Value> {
    let x = vm.arg(a, 0);
    let mut list = vm.arg(a, 1);
    while let Some(p) = vm.gc.pair(list) {
        if same(&vm.gc, x, vm.gc.car(p)) {
            return Ok(list);
        }
        list = vm.gc.cdr(p);
    }
    if list != Value::NIL {
        return Err(Error::wrong_type(who, "a proper list", vm.arg(a, 1)));
    }
    Ok(Value::FALSE)
}

/// `assq`, `assv`, `assoc`: the first pair whose car matches.
fn ass(vm: &Vm, a: Args, who: &str, same: fn(&Gc, Value, Value) -> bool) -> Result<Value> {
    let x = vm.arg(a, 0);
    let mut list = vm.arg(a, 1);
    while let Some(p) = vm.gc.pair(list) {
        let entry = vm.gc.car(p);
        let Some(e) = vm.gc.pair(entry) else {
            return Err(Error::wrong_type(who, "a list of pairs", vm.arg(a, 1)));
        };
        if same(&vm.gc, x, vm.gc.car(e)) {
            return Ok(entry);
        }
        list = vm.gc.cdr(p);
    }
    Ok(Value::FALSE)
}

fn same_word(_: &Gc, x: Value, y: Value) -> bool {
    x == y
}

fn memq(vm: &mut Vm, a: Args) -> Result<Value> {
    mem(vm, a, "memq", same_word)
}
fn memv(vm: &mut Vm, a: Args) -> Result<Value> {
    mem(vm, a, "memv", eqv)
}
fn member(vm: &mut Vm, a: Args) -> Result<Value> {
    mem(vm, a, "member", equal)
}
fn assq(vm: &mut Vm, a: Args) -> Result<Value> {
    ass(vm, a, "assq", same_word)
}
fn assv(vm: &mut Vm, a: Args) -> Result<Value> {
    ass(vm, a, "assv", eqv)
}
fn assoc(vm: &mut Vm, a: Args) -> Result<Value> {
    ass(vm, a, "assoc", equal)
}

const LISTS: &[Primitive] = &[
    prim("cons", 2, 2, cons),
    prim("set-car!", 2, 2, set_car),
    prim("set-cdr!", 2, 2, set_cdr),
    prim("pair?", 1, 1, is_pair),
    prim("null?", 1, 1, is_null),
    prim("list?", 1, 1, is_list),
    prim("list", 0, ANY, list),
    prim("make-list", 1, 2, make_list),
    prim("length", 1, 1, length),
    prim("append", 0, ANY, append),
    prim("reverse", 1, 1, reverse),
    prim("list-tail", 2, 2, list_tail),
    prim("list-ref", 2, 2, list_ref),
    prim("list-copy", 1, 1, list_copy),
    prim("last-pair", 1, 1, last_pair),
    prim("eq?", 2, 2, is_eq),
    prim("eqv?", 2, 2, is_eqv),
    prim("equal?", 2, 2, is_equal),
    prim("memq", 2, 2, memq),
    prim("memv", 2, 2, memv),
    prim("%member", 2, 2, member),
    prim("assq", 2, 2, assq),
    prim("assv", 2, 2, assv),
    prim("%assoc", 2, 2, assoc),
];

pub(super) const PRIMITIVES: &[Primitive] = &{
    let mut all = [prim("", 0, 0, cons); LISTS.len() + CXRS.len()];
    let mut i = 0;
    while i < LISTS.len() {
        all[i] = LISTS[i];
        i += 1;
    }
    while i < all.len() {
        all[i] = CXRS[i - LISTS.len()];
        i += 1;
    }
    all
};
