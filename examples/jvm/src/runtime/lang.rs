//! `Object`, `String`, `StringBuilder` and the interfaces of `java.lang`.

use gc_core::ObjRef;

use super::{
    VOID, arg, boolean, obj_arg, primitive_text, ref_arg, string, text, units_arg, value_text,
};
use crate::classfile::access::{ABSTRACT, FINAL, INTERFACE, STATIC};
use crate::descriptor::Kind;
use crate::gc::{DATA, Prim};
use crate::loader::{Builtin, NativeMethod};
use crate::roots::Slot;
use crate::vm::{Run, Vm};

const PUBLIC: u16 = 0x0001;
const ABS: u16 = PUBLIC | ABSTRACT;
const ST: u16 = PUBLIC | STATIC;

/// The marker `new java/lang/String` pushes: strings are allocated whole
/// by the constructor, which then replaces the marker (see `string_init`).
pub(crate) const STRING_MARK: u64 = 0x5;

fn interface(name: &'static str, methods: Vec<NativeMethod>) -> Builtin {
    Builtin {
        name,
        super_name: Some("java/lang/Object"),
        interfaces: &[],
        access: PUBLIC | INTERFACE | ABSTRACT,
        fields: &[],
        statics: &[],
        methods,
    }
}

/// Java's `String.hashCode`.
pub(crate) fn string_hash(u: &[u16]) -> i32 {
    u.iter()
        .fold(0i32, |h, &c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// A string argument's units, or `"null"`'s for null.
fn units_or_null(vm: &mut Vm, base: usize, i: usize) -> Run<Vec<u16>> {
    if ref_arg(vm, base, i)? == 0 {
        return Ok("null".encode_utf16().collect());
    }
    units_arg(vm, base, i)
}

/// The units of a `char[]` argument.
fn chars_arg(vm: &mut Vm, base: usize, i: usize) -> Run<Vec<u16>> {
    let a = obj_arg(vm, base, i)?;
    let (len, _) = vm.array_len(a).unwrap_or((0, None));
    // SAFETY: a live char array of len units.
    Ok(unsafe { std::slice::from_raw_parts(a.byte_ptr(DATA).cast::<u16>(), len) }.to_vec())
}

fn find(hay: &[u16], needle: &[u16], from: i32) -> i32 {
    let from = from.max(0) as usize;
    if needle.is_empty() {
        return from.min(hay.len()) as i32;
    }
    (from..hay.len().saturating_sub(needle.len() - 1))
        .find(|&i| hay[i..].starts_with(needle))
        .map_or(-1, |i| i as i32)
}

fn index_error(vm: &mut Vm, msg: String) -> crate::vm::Trap {
    vm.raise(vm.wk.sioobe, Some(&msg))
}

fn substring(vm: &mut Vm, u: &[u16], begin: i32, end: i32) -> Run<Slot> {
    if begin < 0 || end > u.len() as i32 || begin > end {
        let msg = format!("begin {begin}, end {end}, length {}", u.len());
        return Err(index_error(vm, msg));
    }
    string(vm, &u[begin as usize..end as usize])
}

/// `new String(...)`'s constructors: build the string, then put it where
/// `new` left its marker (below the receiver, where `dup` put it).
fn string_init(vm: &mut Vm, base: usize, units: &[u16]) -> Run<Slot> {
    let s = string(vm, units)?;
    let st = &vm.roots.stack;
    if let Some(i) = (0..base)
        .rev()
        .find(|&i| st.get(i).bits == STRING_MARK && !st.get(i).is_ref)
    {
        st.set(i, s);
    }
    Ok(VOID)
}

/// The text of a character (Java `char`) for `String.valueOf(char)`.
fn char_units(c: i32) -> [u16; 1] {
    [c as u16]
}

fn case(u: &[u16], upper: bool) -> Vec<u16> {
    let s = String::from_utf16_lossy(u);
    let t = if upper {
        s.to_uppercase()
    } else {
        s.to_lowercase()
    };
    t.encode_utf16().collect()
}

fn sb(vm: &mut Vm, base: usize) -> Run<(ObjRef, ObjRef, usize)> {
    let b = obj_arg(vm, base, 0)?;
    // SAFETY: a live StringBuilder, whose fields these are.
    let (value, count) = unsafe {
        (
            b.read_word(vm.wk.sb_value),
            b.read_word(vm.wk.sb_count) as u32 as usize,
        )
    };
    match ObjRef::from_addr(value) {
        Some(v) => Ok((b, v, count)),
        None => Err(vm.raise(vm.wk.npe, None)),
    }
}

fn sb_units(vm: &mut Vm, base: usize) -> Run<Vec<u16>> {
    let (_, v, count) = sb(vm, base)?;
    // SAFETY: the builder's live char array holds at least count units.
    Ok(unsafe { std::slice::from_raw_parts(v.byte_ptr(DATA).cast::<u16>(), count) }.to_vec())
}

/// Appends `more` to the builder in argument 0, growing its array.
fn sb_append(vm: &mut Vm, base: usize, more: &[u16]) -> Run<Slot> {
    let (_, v, count) = sb(vm, base)?;
    let cap = vm.array_len(v).map_or(0, |(l, _)| l);
    let need = count + more.len();
    if need > cap {
        let bigger = vm.alloc(|gc| gc.new_prim_array(Prim::Char, need.max(cap * 2 + 2)))?;
        // The allocation may have moved the builder and its array: reread.
        let (b, v, count) = sb(vm, base)?;
        // SAFETY: both arrays live; the new one is larger than count units.
        unsafe {
            std::ptr::copy_nonoverlapping(v.byte_ptr(DATA), bigger.byte_ptr(DATA), count * 2);
            vm.gc.put_ref(b, vm.wk.sb_value, bigger.addr());
        }
    }
    let (b, v, count) = sb(vm, base)?;
    // SAFETY: the array has room for count + more units; count is a data field.
    unsafe {
        std::ptr::copy_nonoverlapping(
            more.as_ptr(),
            v.byte_ptr(DATA + count * 2).cast::<u16>(),
            more.len(),
        );
        b.write_word(vm.wk.sb_count, count + more.len());
    }
    Ok(Slot::reference(b.addr()))
}

/// `append` of a primitive of `kind`.
fn append_value(vm: &mut Vm, base: usize, kind: Kind) -> Run<Slot> {
    let t = primitive_text(arg(vm, base, 1), kind).unwrap_or_default();
    sb_append(vm, base, &t.encode_utf16().collect::<Vec<_>>())
}

fn sb_new(vm: &mut Vm, base: usize, cap: usize) -> Run<()> {
    let arr = vm.alloc(|gc| gc.new_prim_array(Prim::Char, cap))?;
    let b = obj_arg(vm, base, 0)?;
    // SAFETY: a live builder's reference field; a live array.
    unsafe { vm.gc.put_ref(b, vm.wk.sb_value, arr.addr()) };
    Ok(())
}

fn sb_methods() -> Vec<NativeMethod> {
    let mut m: Vec<NativeMethod> = vec![
        (
            "<init>",
            "()V",
            PUBLIC,
            Some(|vm, b| sb_new(vm, b, 16).map(|()| VOID)),
        ),
        (
            "<init>",
            "(I)V",
            PUBLIC,
            Some(|vm, b| {
                let n = arg(vm, b, 1).as_int();
                if n < 0 {
                    return Err(vm.raise(vm.wk.negative_array_size, Some(&n.to_string())));
                }
                sb_new(vm, b, n as usize).map(|()| VOID)
            }),
        ),
        (
            "<init>",
            "(Ljava/lang/String;)V",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 1)?;
                sb_new(vm, b, u.len() + 16)?;
                sb_append(vm, b, &u).map(|_| VOID)
            }),
        ),
        (
            "toString",
            "()Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| {
                let u = sb_units(vm, b)?;
                string(vm, &u)
            }),
        ),
        (
            "length",
            "()I",
            PUBLIC,
            Some(|vm, b| Ok(Slot::int(sb(vm, b)?.2 as i32))),
        ),
        (
            "charAt",
            "(I)C",
            PUBLIC,
            Some(|vm, b| {
                let i = arg(vm, b, 1).as_int();
                let u = sb_units(vm, b)?;
                match u.get(i as usize).filter(|_| i >= 0) {
                    Some(&c) => Ok(Slot::int(i32::from(c))),
                    None => Err(index_error(vm, format!("index {i},length {}", u.len()))),
                }
            }),
        ),
        (
            "setCharAt",
            "(IC)V",
            PUBLIC,
            Some(|vm, b| {
                let (i, c) = (arg(vm, b, 1).as_int(), arg(vm, b, 2).as_int());
                let (_, v, count) = sb(vm, b)?;
                if i < 0 || i as usize >= count {
                    return Err(index_error(vm, format!("index {i},length {count}")));
                }
                // SAFETY: i is below count, inside the live array.
                unsafe { *v.byte_ptr(DATA + 2 * i as usize).cast::<u16>() = c as u16 };
                Ok(VOID)
            }),
        ),
        (
            "setLength",
            "(I)V",
            PUBLIC,
            Some(|vm, b| {
                let n = arg(vm, b, 1).as_int();
                if n < 0 {
                    return Err(index_error(vm, format!("String index out of range: {n}")));
                }
                let mut u = sb_units(vm, b)?;
                u.resize(n as usize, 0);
                let (sbo, _, _) = sb(vm, b)?;
                // SAFETY: count is a data field of a live builder.
                unsafe { sbo.write_word(vm.wk.sb_count, 0) };
                sb_append(vm, b, &u).map(|_| VOID)
            }),
        ),
        (
            "reverse",
            "()Ljava/lang/StringBuilder;",
            PUBLIC,
            Some(|vm, b| {
                let u = sb_units(vm, b)?;
                let s: String = String::from_utf16_lossy(&u).chars().rev().collect();
                let r: Vec<u16> = s.encode_utf16().collect();
                let (sbo, v, _) = sb(vm, b)?;
                // SAFETY: the reversed text has as many units as the array holds.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        r.as_ptr(),
                        v.byte_ptr(DATA).cast::<u16>(),
                        r.len(),
                    );
                }
                Ok(Slot::reference(sbo.addr()))
            }),
        ),
    ];
    let appends: [NativeMethod; 10] = [
        (
            "append",
            "(Ljava/lang/String;)Ljava/lang/StringBuilder;",
            PUBLIC,
            Some(|vm, b| {
                let u = units_or_null(vm, b, 1)?;
                sb_append(vm, b, &u)
            }),
        ),
        (
            "append",
            "(Ljava/lang/CharSequence;)Ljava/lang/StringBuilder;",
            PUBLIC,
            Some(|vm, b| {
                let t = vm.string_value(ref_arg(vm, b, 1)?)?;
                sb_append(vm, b, &t.encode_utf16().collect::<Vec<_>>())
            }),
        ),
        (
            "append",
            "(Ljava/lang/Object;)Ljava/lang/StringBuilder;",
            PUBLIC,
            Some(|vm, b| {
                let t = vm.string_value(ref_arg(vm, b, 1)?)?;
                sb_append(vm, b, &t.encode_utf16().collect::<Vec<_>>())
            }),
        ),
        (
            "append",
            "(I)Ljava/lang/StringBuilder;",
            PUBLIC,
            Some(|vm, b| append_value(vm, b, Kind::Int)),
        ),
        (
            "append",
            "(J)Ljava/lang/StringBuilder;",
            PUBLIC,
            Some(|vm, b| append_value(vm, b, Kind::Long)),
        ),
        (
            "append",
            "(C)Ljava/lang/StringBuilder;",
            PUBLIC,
            Some(|vm, b| append_value(vm, b, Kind::Char)),
        ),
        (
            "append",
            "(Z)Ljava/lang/StringBuilder;",
            PUBLIC,
            Some(|vm, b| append_value(vm, b, Kind::Boolean)),
        ),
        (
            "append",
            "(D)Ljava/lang/StringBuilder;",
            PUBLIC,
            Some(|vm, b| append_value(vm, b, Kind::Double)),
        ),
        (
            "append",
            "(F)Ljava/lang/StringBuilder;",
            PUBLIC,
            Some(|vm, b| append_value(vm, b, Kind::Float)),
        ),
        (
            "append",
            "([C)Ljava/lang/StringBuilder;",
            PUBLIC,
            Some(|vm, b| {
                let u = chars_arg(vm, b, 1)?;
                sb_append(vm, b, &u)
            }),
        ),
    ];
    m.extend(appends);
    m
}

fn string_methods() -> Vec<NativeMethod> {
    vec![
        (
            "<init>",
            "()V",
            PUBLIC,
            Some(|vm, b| string_init(vm, b, &[])),
        ),
        (
            "<init>",
            "([C)V",
            PUBLIC,
            Some(|vm, b| {
                let u = chars_arg(vm, b, 1)?;
                string_init(vm, b, &u)
            }),
        ),
        (
            "<init>",
            "([CII)V",
            PUBLIC,
            Some(|vm, b| {
                let u = chars_arg(vm, b, 1)?;
                let (off, n) = (arg(vm, b, 2).as_int(), arg(vm, b, 3).as_int());
                if off < 0 || n < 0 || off as usize + n as usize > u.len() {
                    let msg = format!("offset {off}, count {n}, length {}", u.len());
                    return Err(index_error(vm, msg));
                }
                string_init(vm, b, &u[off as usize..(off + n) as usize])
            }),
        ),
        (
            "<init>",
            "(Ljava/lang/String;)V",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 1)?;
                string_init(vm, b, &u)
            }),
        ),
        (
            "length",
            "()I",
            PUBLIC,
            Some(|vm, b| {
                let s = obj_arg(vm, b, 0)?;
                // SAFETY: a live string.
                Ok(Slot::int(unsafe { crate::gc::string_len(s) } as i32))
            }),
        ),
        (
            "isEmpty",
            "()Z",
            PUBLIC,
            Some(|vm, b| {
                let s = obj_arg(vm, b, 0)?;
                // SAFETY: a live string.
                Ok(boolean(unsafe { crate::gc::string_len(s) } == 0))
            }),
        ),
        (
            "charAt",
            "(I)C",
            PUBLIC,
            Some(|vm, b| {
                let s = obj_arg(vm, b, 0)?;
                let i = arg(vm, b, 1).as_int();
                // SAFETY: a live string.
                let u = unsafe { crate::gc::string_units(s) };
                match u.get(i as usize).filter(|_| i >= 0) {
                    Some(&c) => Ok(Slot::int(i32::from(c))),
                    None => {
                        let msg = format!("index {i}, length {}", u.len());
                        Err(index_error(vm, msg))
                    }
                }
            }),
        ),
        (
            "equals",
            "(Ljava/lang/Object;)Z",
            PUBLIC,
            Some(|vm, b| {
                let a = obj_arg(vm, b, 0)?;
                let Some(o) = ObjRef::from_addr(ref_arg(vm, b, 1)?) else {
                    return Ok(boolean(false));
                };
                if vm.class_of(o) != vm.wk.string {
                    return Ok(boolean(false));
                }
                // SAFETY: both live strings.
                Ok(boolean(unsafe {
                    crate::gc::string_units(a) == crate::gc::string_units(o)
                }))
            }),
        ),
        (
            "equalsIgnoreCase",
            "(Ljava/lang/String;)Z",
            PUBLIC,
            Some(|vm, b| {
                let a = units_arg(vm, b, 0)?;
                if ref_arg(vm, b, 1)? == 0 {
                    return Ok(boolean(false));
                }
                let o = units_arg(vm, b, 1)?;
                Ok(boolean(case(&a, true) == case(&o, true)))
            }),
        ),
        (
            "hashCode",
            "()I",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                Ok(Slot::int(string_hash(&u)))
            }),
        ),
        (
            "compareTo",
            "(Ljava/lang/String;)I",
            PUBLIC,
            Some(compare_to),
        ),
        (
            "compareTo",
            "(Ljava/lang/Object;)I",
            PUBLIC,
            Some(compare_to),
        ),
        (
            "substring",
            "(I)Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                let begin = arg(vm, b, 1).as_int();
                substring(vm, &u, begin, u.len() as i32)
            }),
        ),
        (
            "substring",
            "(II)Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                let (begin, end) = (arg(vm, b, 1).as_int(), arg(vm, b, 2).as_int());
                substring(vm, &u, begin, end)
            }),
        ),
        (
            "indexOf",
            "(I)I",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                Ok(Slot::int(find(&u, &char_units(arg(vm, b, 1).as_int()), 0)))
            }),
        ),
        (
            "indexOf",
            "(II)I",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                let c = char_units(arg(vm, b, 1).as_int());
                Ok(Slot::int(find(&u, &c, arg(vm, b, 2).as_int())))
            }),
        ),
        (
            "indexOf",
            "(Ljava/lang/String;)I",
            PUBLIC,
            Some(|vm, b| {
                let (u, n) = (units_arg(vm, b, 0)?, units_arg(vm, b, 1)?);
                Ok(Slot::int(find(&u, &n, 0)))
            }),
        ),
        (
            "indexOf",
            "(Ljava/lang/String;I)I",
            PUBLIC,
            Some(|vm, b| {
                let (u, n) = (units_arg(vm, b, 0)?, units_arg(vm, b, 1)?);
                Ok(Slot::int(find(&u, &n, arg(vm, b, 2).as_int())))
            }),
        ),
        (
            "lastIndexOf",
            "(I)I",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                let c = arg(vm, b, 1).as_int() as u16;
                Ok(Slot::int(
                    u.iter().rposition(|&x| x == c).map_or(-1, |i| i as i32),
                ))
            }),
        ),
        (
            "contains",
            "(Ljava/lang/CharSequence;)Z",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                let n = vm.string_value(ref_arg(vm, b, 1)?)?;
                let n: Vec<u16> = n.encode_utf16().collect();
                Ok(boolean(find(&u, &n, 0) >= 0))
            }),
        ),
        (
            "startsWith",
            "(Ljava/lang/String;)Z",
            PUBLIC,
            Some(|vm, b| {
                let (u, n) = (units_arg(vm, b, 0)?, units_arg(vm, b, 1)?);
                Ok(boolean(u.starts_with(&n)))
            }),
        ),
        (
            "endsWith",
            "(Ljava/lang/String;)Z",
            PUBLIC,
            Some(|vm, b| {
                let (u, n) = (units_arg(vm, b, 0)?, units_arg(vm, b, 1)?);
                Ok(boolean(u.ends_with(&n)))
            }),
        ),
        (
            "concat",
            "(Ljava/lang/String;)Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| {
                let (mut u, n) = (units_arg(vm, b, 0)?, units_arg(vm, b, 1)?);
                u.extend_from_slice(&n);
                string(vm, &u)
            }),
        ),
        (
            "repeat",
            "(I)Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                let n = arg(vm, b, 1).as_int();
                if n < 0 {
                    return Err(vm.raise(
                        vm.wk.illegal_argument,
                        Some(&format!("count is negative: {n}")),
                    ));
                }
                // Fail before building what no heap here could hold.
                if u.len().saturating_mul(n as usize) > vm.heap.stats().heap_size / 2 {
                    let why = "Requested array size exceeds VM limit";
                    return Err(vm.raise(vm.wk.oom, Some(why)));
                }
                string(vm, &u.repeat(n as usize))
            }),
        ),
        (
            "toCharArray",
            "()[C",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                let a = vm.alloc(|gc| gc.new_prim_array(Prim::Char, u.len()))?;
                // SAFETY: a fresh char array of u.len() units.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        u.as_ptr(),
                        a.byte_ptr(DATA).cast::<u16>(),
                        u.len(),
                    )
                };
                Ok(Slot::reference(a.addr()))
            }),
        ),
        (
            "toUpperCase",
            "()Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                string(vm, &case(&u, true))
            }),
        ),
        (
            "toLowerCase",
            "()Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                string(vm, &case(&u, false))
            }),
        ),
        (
            "trim",
            "()Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                let start = u.iter().position(|&c| c > 32).unwrap_or(u.len());
                let end = u.iter().rposition(|&c| c > 32).map_or(start, |e| e + 1);
                string(vm, &u[start..end])
            }),
        ),
        (
            "replace",
            "(CC)Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| {
                let u = units_arg(vm, b, 0)?;
                let (from, to) = (arg(vm, b, 1).as_int() as u16, arg(vm, b, 2).as_int() as u16);
                let r: Vec<u16> = u.iter().map(|&c| if c == from { to } else { c }).collect();
                string(vm, &r)
            }),
        ),
        (
            "toString",
            "()Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| obj_arg(vm, b, 0).map(|s| Slot::reference(s.addr()))),
        ),
        (
            "valueOf",
            "(Ljava/lang/Object;)Ljava/lang/String;",
            ST,
            Some(|vm, b| {
                let t = vm.string_value(ref_arg(vm, b, 0)?)?;
                text(vm, &t)
            }),
        ),
        (
            "valueOf",
            "(I)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Int)),
        ),
        (
            "valueOf",
            "(J)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Long)),
        ),
        (
            "valueOf",
            "(C)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Char)),
        ),
        (
            "valueOf",
            "(Z)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Boolean)),
        ),
        (
            "valueOf",
            "(D)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Double)),
        ),
        (
            "valueOf",
            "(F)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Float)),
        ),
        (
            "valueOf",
            "([C)Ljava/lang/String;",
            ST,
            Some(|vm, b| {
                let u = chars_arg(vm, b, 0)?;
                string(vm, &u)
            }),
        ),
        (
            "format",
            "(Ljava/lang/String;[Ljava/lang/Object;)Ljava/lang/String;",
            ST,
            Some(|vm, b| {
                let t = vm.format(b)?;
                text(vm, &t)
            }),
        ),
    ]
}

fn compare_to(vm: &mut Vm, b: usize) -> Run<Slot> {
    let (a, o) = (units_arg(vm, b, 0)?, units_arg(vm, b, 1)?);
    let r = a
        .iter()
        .zip(&o)
        .find(|(x, y)| x != y)
        .map_or(a.len() as i32 - o.len() as i32, |(x, y)| {
            i32::from(*x) - i32::from(*y)
        });
    Ok(Slot::int(r))
}

pub(super) fn classes() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "java/lang/Object",
            super_name: None,
            interfaces: &[],
            access: PUBLIC,
            fields: &[],
            statics: &[],
            methods: vec![
                ("<init>", "()V", PUBLIC, Some(|_, _| Ok(VOID))),
                (
                    "hashCode",
                    "()I",
                    PUBLIC,
                    Some(|vm, b| {
                        let o = obj_arg(vm, b, 0)?;
                        Ok(Slot::int(vm.identity_hash(o)))
                    }),
                ),
                (
                    "equals",
                    "(Ljava/lang/Object;)Z",
                    PUBLIC,
                    Some(|vm, b| Ok(boolean(arg(vm, b, 0).bits == arg(vm, b, 1).bits))),
                ),
                (
                    "toString",
                    "()Ljava/lang/String;",
                    PUBLIC,
                    Some(|vm, b| {
                        let o = obj_arg(vm, b, 0)?;
                        let name = vm.cls.class(vm.class_of(o)).java_name();
                        let h = vm.call_virtual(o.addr(), "hashCode", "()I", &[])?.as_int();
                        text(vm, &format!("{name}@{:x}", h as u32))
                    }),
                ),
            ],
        },
        Builtin {
            name: "java/lang/String",
            super_name: Some("java/lang/Object"),
            interfaces: &[
                "java/lang/CharSequence",
                "java/lang/Comparable",
                "java/io/Serializable",
            ],
            access: PUBLIC | FINAL,
            fields: &[],
            statics: &[],
            methods: string_methods(),
        },
        Builtin {
            name: "java/lang/StringBuilder",
            super_name: Some("java/lang/Object"),
            interfaces: &["java/lang/CharSequence"],
            access: PUBLIC | FINAL,
            fields: &[("value", "[C"), ("count", "I")],
            statics: &[],
            methods: sb_methods(),
        },
        interface(
            "java/lang/CharSequence",
            vec![("length", "()I", ABS, None), ("charAt", "(I)C", ABS, None)],
        ),
        interface(
            "java/lang/Comparable",
            vec![("compareTo", "(Ljava/lang/Object;)I", ABS, None)],
        ),
        interface("java/lang/Runnable", vec![("run", "()V", ABS, None)]),
        interface(
            "java/lang/Iterable",
            vec![("iterator", "()Ljava/util/Iterator;", ABS, None)],
        ),
        interface(
            "java/util/Iterator",
            vec![
                ("hasNext", "()Z", ABS, None),
                ("next", "()Ljava/lang/Object;", ABS, None),
            ],
        ),
        interface("java/lang/AutoCloseable", vec![("close", "()V", ABS, None)]),
        interface("java/io/Serializable", vec![]),
        interface("java/lang/Cloneable", vec![]),
    ]
}
