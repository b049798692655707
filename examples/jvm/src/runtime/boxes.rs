//! The wrapper classes (`Integer`, `Long`, `Double`, ...) and `Math`.
//!
//! A box is an instance with one `value` field; `valueOf` allocates a new
//! one each time (HotSpot caches small integers, which only `==` on boxes
//! could tell).

use gc_core::{ObjRef, WORD};

use super::{VOID, arg, boolean, obj_arg, ref_arg, text, units_arg, value_text};
use crate::class::ClassId;
use crate::classfile::access::{ABSTRACT, FINAL, STATIC};
use crate::descriptor::Kind;
use crate::jfmt;
use crate::loader::{Builtin, NativeMethod};
use crate::roots::Slot;
use crate::vm::{Run, Vm};

const PUBLIC: u16 = 0x0001;
const ST: u16 = PUBLIC | STATIC;

/// The offset of every box's `value`: its only field.
const VALUE: usize = WORD;

/// A new box of `class` holding `bits`.
pub(crate) fn boxed(vm: &mut Vm, class: ClassId, bits: u64) -> Run<Slot> {
    let o = vm.new_object(class)?;
    // SAFETY: a fresh box; value is its data field.
    unsafe { o.write_word(VALUE, bits as usize) };
    Ok(Slot::reference(o.addr()))
}

/// The value of the box in argument `i`, which must be of the receiver's
/// class (the receiver's own is, by dispatch).
fn unbox(vm: &mut Vm, b: usize, i: usize) -> Run<u64> {
    let (this, o) = (obj_arg(vm, b, 0)?, obj_arg(vm, b, i)?);
    let class = vm.class_of(this);
    match unbox_if(vm, o, class) {
        Some(v) => Ok(v),
        None => {
            let name = vm.cls.class(vm.class_of(o)).java_name();
            Err(vm.raise(vm.wk.class_cast, Some(&name)))
        }
    }
}

/// The value of a box, if `o` is one of `class`.
pub(crate) fn unbox_if(vm: &Vm, o: ObjRef, class: ClassId) -> Option<u64> {
    // SAFETY: a live box of that class.
    (vm.class_of(o) == class).then(|| unsafe { o.read_word(VALUE) } as u64)
}

fn parse_error(vm: &mut Vm, msg: &str) -> crate::vm::Trap {
    vm.raise(vm.wk.number_format, Some(msg))
}

fn text_arg(vm: &mut Vm, b: usize, i: usize) -> Run<String> {
    if arg(vm, b, i).addr() == 0 {
        return Err(parse_error(vm, "Cannot parse null string: null"));
    }
    Ok(String::from_utf16_lossy(&units_arg(vm, b, i)?))
}

fn parse_int(vm: &mut Vm, b: usize, radix: u32) -> Run<i32> {
    let s = text_arg(vm, b, 0)?;
    jfmt::parse_int(&s, radix).map_err(|m| parse_error(vm, &m))
}

fn parse_long(vm: &mut Vm, b: usize, radix: u32) -> Run<i64> {
    let s = text_arg(vm, b, 0)?;
    jfmt::parse_long(&s, radix).map_err(|m| parse_error(vm, &m))
}

fn parse_double(vm: &mut Vm, b: usize) -> Run<f64> {
    let s = text_arg(vm, b, 0)?;
    jfmt::parse_double(&s).map_err(|m| parse_error(vm, &m))
}

/// Methods every box has: `equals`, `hashCode`, `toString()`,
/// `compareTo`, given how its value prints, hashes and compares.
macro_rules! box_common {
    ($desc:literal, $show:expr, $hash:expr, $cmp:expr) => {
        vec![
            (
                "equals",
                "(Ljava/lang/Object;)Z",
                PUBLIC,
                Some(|vm, b| {
                    let a = obj_arg(vm, b, 0)?;
                    let Some(o) = ObjRef::from_addr(ref_arg(vm, b, 1)?) else {
                        return Ok(boolean(false));
                    };
                    let class = vm.class_of(a);
                    let (x, y) = (unbox_if(vm, a, class), unbox_if(vm, o, class));
                    Ok(boolean(x == y))
                }),
            ),
            (
                "hashCode",
                "()I",
                PUBLIC,
                Some(|vm, b| {
                    let v = unbox(vm, b, 0)?;
                    let hash: fn(u64) -> i32 = $hash;
                    Ok(Slot::int(hash(v)))
                }),
            ),
            (
                "toString",
                "()Ljava/lang/String;",
                PUBLIC,
                Some(|vm, b| {
                    let v = unbox(vm, b, 0)?;
                    let show: fn(u64) -> String = $show;
                    text(vm, &show(v))
                }),
            ),
            (
                "compareTo",
                concat!("(", $desc, ")I"),
                PUBLIC,
                Some(|vm, b| {
                    let (x, y) = (unbox(vm, b, 0)?, unbox(vm, b, 1)?);
                    let cmp: fn(u64, u64) -> i32 = $cmp;
                    Ok(Slot::int(cmp(x, y)))
                }),
            ),
            (
                "compareTo",
                "(Ljava/lang/Object;)I",
                PUBLIC,
                Some(|vm, b| {
                    let (x, y) = (unbox(vm, b, 0)?, unbox(vm, b, 1)?);
                    let cmp: fn(u64, u64) -> i32 = $cmp;
                    Ok(Slot::int(cmp(x, y)))
                }),
            ),
        ]
    };
}

fn int_of(v: u64) -> i32 {
    v as i32
}

fn double_cmp(a: f64, b: f64) -> i32 {
    // Double.compare: -0.0 < 0.0, and NaN above everything, equal to itself.
    let key = |d: f64| {
        let bits = if d.is_nan() {
            f64::NAN.to_bits()
        } else {
            d.to_bits()
        } as i64;
        bits ^ (((bits >> 63) as u64) >> 1) as i64
    };
    key(a).cmp(&key(b)) as i32
}

fn double_hash(d: f64) -> i32 {
    let bits = if d.is_nan() {
        f64::NAN.to_bits()
    } else {
        d.to_bits()
    };
    (bits ^ (bits >> 32)) as i32
}

fn number_methods() -> Vec<NativeMethod> {
    vec![
        ("intValue", "()I", PUBLIC | ABSTRACT, None),
        ("longValue", "()J", PUBLIC | ABSTRACT, None),
        ("doubleValue", "()D", PUBLIC | ABSTRACT, None),
        ("floatValue", "()F", PUBLIC | ABSTRACT, None),
    ]
}

fn integer() -> Vec<NativeMethod> {
    let mut m: Vec<NativeMethod> = box_common!(
        "Ljava/lang/Integer;",
        |v| int_of(v).to_string(),
        int_of,
        |a, b| int_of(a).cmp(&int_of(b)) as i32
    );
    m.extend::<[NativeMethod; 18]>([
        (
            "<init>",
            "(I)V",
            PUBLIC,
            Some(|vm, b| {
                let o = obj_arg(vm, b, 0)?;
                // SAFETY: a live Integer's value field.
                unsafe { o.write_word(VALUE, arg(vm, b, 1).bits as usize) };
                Ok(VOID)
            }),
        ),
        (
            "valueOf",
            "(I)Ljava/lang/Integer;",
            ST,
            Some(|vm, b| {
                let v = arg(vm, b, 0).bits;
                boxed(vm, vm.wk.integer, v)
            }),
        ),
        (
            "valueOf",
            "(Ljava/lang/String;)Ljava/lang/Integer;",
            ST,
            Some(|vm, b| {
                let v = parse_int(vm, b, 10)?;
                boxed(vm, vm.wk.integer, Slot::int(v).bits)
            }),
        ),
        (
            "intValue",
            "()I",
            PUBLIC,
            Some(|vm, b| Ok(Slot::int(unbox(vm, b, 0)? as i32))),
        ),
        (
            "longValue",
            "()J",
            PUBLIC,
            Some(|vm, b| Ok(Slot::long(i64::from(unbox(vm, b, 0)? as i32)))),
        ),
        (
            "doubleValue",
            "()D",
            PUBLIC,
            Some(|vm, b| Ok(Slot::double(f64::from(unbox(vm, b, 0)? as i32)))),
        ),
        (
            "floatValue",
            "()F",
            PUBLIC,
            Some(|vm, b| Ok(Slot::float(unbox(vm, b, 0)? as i32 as f32))),
        ),
        (
            "parseInt",
            "(Ljava/lang/String;)I",
            ST,
            Some(|vm, b| parse_int(vm, b, 10).map(Slot::int)),
        ),
        (
            "parseInt",
            "(Ljava/lang/String;I)I",
            ST,
            Some(|vm, b| {
                let radix = arg(vm, b, 1).as_int() as u32;
                parse_int(vm, b, radix).map(Slot::int)
            }),
        ),
        (
            "toString",
            "(I)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Int)),
        ),
        (
            "toString",
            "(II)Ljava/lang/String;",
            ST,
            Some(|vm, b| {
                let t = jfmt::int_to_string_radix(
                    i64::from(arg(vm, b, 0).as_int()),
                    arg(vm, b, 1).as_int() as u32,
                );
                text(vm, &t)
            }),
        ),
        (
            "toHexString",
            "(I)Ljava/lang/String;",
            ST,
            Some(|vm, b| {
                let t = jfmt::to_unsigned_string(u64::from(arg(vm, b, 0).as_int() as u32), 4);
                text(vm, &t)
            }),
        ),
        (
            "toBinaryString",
            "(I)Ljava/lang/String;",
            ST,
            Some(|vm, b| {
                let t = jfmt::to_unsigned_string(u64::from(arg(vm, b, 0).as_int() as u32), 1);
                text(vm, &t)
            }),
        ),
        (
            "toOctalString",
            "(I)Ljava/lang/String;",
            ST,
            Some(|vm, b| {
                let t = jfmt::to_unsigned_string(u64::from(arg(vm, b, 0).as_int() as u32), 3);
                text(vm, &t)
            }),
        ),
        (
            "compare",
            "(II)I",
            ST,
            Some(|vm, b| {
                Ok(Slot::int(
                    arg(vm, b, 0).as_int().cmp(&arg(vm, b, 1).as_int()) as i32,
                ))
            }),
        ),
        ("hashCode", "(I)I", ST, Some(|vm, b| Ok(arg(vm, b, 0)))),
        (
            "max",
            "(II)I",
            ST,
            Some(|vm, b| {
                Ok(Slot::int(
                    arg(vm, b, 0).as_int().max(arg(vm, b, 1).as_int()),
                ))
            }),
        ),
        (
            "sum",
            "(II)I",
            ST,
            Some(|vm, b| {
                Ok(Slot::int(
                    arg(vm, b, 0).as_int().wrapping_add(arg(vm, b, 1).as_int()),
                ))
            }),
        ),
    ]);
    m
}

fn long() -> Vec<NativeMethod> {
    let mut m: Vec<NativeMethod> = box_common!(
        "Ljava/lang/Long;",
        |v| (v as i64).to_string(),
        |v| (v ^ (v >> 32)) as i32,
        |a, b| (a as i64).cmp(&(b as i64)) as i32
    );
    m.extend::<[NativeMethod; 11]>([
        (
            "valueOf",
            "(J)Ljava/lang/Long;",
            ST,
            Some(|vm, b| {
                let v = arg(vm, b, 0).bits;
                boxed(vm, vm.wk.long, v)
            }),
        ),
        (
            "longValue",
            "()J",
            PUBLIC,
            Some(|vm, b| Ok(Slot::long(unbox(vm, b, 0)? as i64))),
        ),
        (
            "intValue",
            "()I",
            PUBLIC,
            Some(|vm, b| Ok(Slot::int(unbox(vm, b, 0)? as i32))),
        ),
        (
            "doubleValue",
            "()D",
            PUBLIC,
            Some(|vm, b| Ok(Slot::double(unbox(vm, b, 0)? as i64 as f64))),
        ),
        (
            "floatValue",
            "()F",
            PUBLIC,
            Some(|vm, b| Ok(Slot::float(unbox(vm, b, 0)? as i64 as f32))),
        ),
        (
            "parseLong",
            "(Ljava/lang/String;)J",
            ST,
            Some(|vm, b| parse_long(vm, b, 10).map(Slot::long)),
        ),
        (
            "parseLong",
            "(Ljava/lang/String;I)J",
            ST,
            Some(|vm, b| {
                let radix = arg(vm, b, 1).as_int() as u32;
                parse_long(vm, b, radix).map(Slot::long)
            }),
        ),
        (
            "toString",
            "(J)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Long)),
        ),
        (
            "toHexString",
            "(J)Ljava/lang/String;",
            ST,
            Some(|vm, b| {
                let t = jfmt::to_unsigned_string(arg(vm, b, 0).bits, 4);
                text(vm, &t)
            }),
        ),
        (
            "toBinaryString",
            "(J)Ljava/lang/String;",
            ST,
            Some(|vm, b| {
                let t = jfmt::to_unsigned_string(arg(vm, b, 0).bits, 1);
                text(vm, &t)
            }),
        ),
        (
            "compare",
            "(JJ)I",
            ST,
            Some(|vm, b| {
                Ok(Slot::int(
                    arg(vm, b, 0).as_long().cmp(&arg(vm, b, 2).as_long()) as i32,
                ))
            }),
        ),
    ]);
    m
}

fn double() -> Vec<NativeMethod> {
    let mut m: Vec<NativeMethod> = box_common!(
        "Ljava/lang/Double;",
        |v| jfmt::double_to_string(f64::from_bits(v)),
        |v| double_hash(f64::from_bits(v)),
        |a, b| double_cmp(f64::from_bits(a), f64::from_bits(b))
    );
    m.extend::<[NativeMethod; 11]>([
        (
            "valueOf",
            "(D)Ljava/lang/Double;",
            ST,
            Some(|vm, b| {
                let v = arg(vm, b, 0).bits;
                boxed(vm, vm.wk.double, v)
            }),
        ),
        (
            "doubleValue",
            "()D",
            PUBLIC,
            Some(|vm, b| Ok(Slot::double(f64::from_bits(unbox(vm, b, 0)?)))),
        ),
        (
            "intValue",
            "()I",
            PUBLIC,
            Some(|vm, b| Ok(Slot::int(f64::from_bits(unbox(vm, b, 0)?) as i32))),
        ),
        (
            "longValue",
            "()J",
            PUBLIC,
            Some(|vm, b| Ok(Slot::long(f64::from_bits(unbox(vm, b, 0)?) as i64))),
        ),
        (
            "floatValue",
            "()F",
            PUBLIC,
            Some(|vm, b| Ok(Slot::float(f64::from_bits(unbox(vm, b, 0)?) as f32))),
        ),
        (
            "parseDouble",
            "(Ljava/lang/String;)D",
            ST,
            Some(|vm, b| parse_double(vm, b).map(Slot::double)),
        ),
        (
            "valueOf",
            "(Ljava/lang/String;)Ljava/lang/Double;",
            ST,
            Some(|vm, b| {
                let v = parse_double(vm, b)?;
                boxed(vm, vm.wk.double, v.to_bits())
            }),
        ),
        (
            "toString",
            "(D)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Double)),
        ),
        (
            "isNaN",
            "(D)Z",
            ST,
            Some(|vm, b| Ok(boolean(arg(vm, b, 0).as_double().is_nan()))),
        ),
        (
            "isInfinite",
            "(D)Z",
            ST,
            Some(|vm, b| Ok(boolean(arg(vm, b, 0).as_double().is_infinite()))),
        ),
        (
            "compare",
            "(DD)I",
            ST,
            Some(|vm, b| {
                Ok(Slot::int(double_cmp(
                    arg(vm, b, 0).as_double(),
                    arg(vm, b, 2).as_double(),
                )))
            }),
        ),
    ]);
    m
}

fn float() -> Vec<NativeMethod> {
    let mut m: Vec<NativeMethod> = box_common!(
        "Ljava/lang/Float;",
        |v| jfmt::float_to_string(f32::from_bits(v as u32)),
        |v| v as u32 as i32,
        |a, b| double_cmp(
            f64::from(f32::from_bits(a as u32)),
            f64::from(f32::from_bits(b as u32))
        )
    );
    m.extend::<[NativeMethod; 5]>([
        (
            "valueOf",
            "(F)Ljava/lang/Float;",
            ST,
            Some(|vm, b| {
                let v = arg(vm, b, 0).bits;
                boxed(vm, vm.wk.float, v)
            }),
        ),
        (
            "floatValue",
            "()F",
            PUBLIC,
            Some(|vm, b| Ok(Slot::word(unbox(vm, b, 0)?, false))),
        ),
        (
            "doubleValue",
            "()D",
            PUBLIC,
            Some(|vm, b| {
                Ok(Slot::double(f64::from(f32::from_bits(
                    unbox(vm, b, 0)? as u32
                ))))
            }),
        ),
        (
            "intValue",
            "()I",
            PUBLIC,
            Some(|vm, b| Ok(Slot::int(f32::from_bits(unbox(vm, b, 0)? as u32) as i32))),
        ),
        (
            "toString",
            "(F)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Float)),
        ),
    ]);
    m
}

/// `Short` and `Byte`: the value as an int.
fn small(desc: &'static str) -> Vec<NativeMethod> {
    let mut m: Vec<NativeMethod> = box_common!(
        "Ljava/lang/Object;",
        |v| int_of(v).to_string(),
        int_of,
        |a, b| int_of(a) - int_of(b)
    );
    m.retain(|(n, d, ..)| !(*n == "compareTo" && d.starts_with("(Ljava/lang/Object;")));
    let value_of: NativeMethod = if desc == "S" {
        (
            "valueOf",
            "(S)Ljava/lang/Short;",
            ST,
            Some(|vm, b| {
                let v = arg(vm, b, 0).bits;
                boxed(vm, vm.wk.short, v)
            }),
        )
    } else {
        (
            "valueOf",
            "(B)Ljava/lang/Byte;",
            ST,
            Some(|vm, b| {
                let v = arg(vm, b, 0).bits;
                boxed(vm, vm.wk.byte, v)
            }),
        )
    };
    let getter: NativeMethod = if desc == "S" {
        (
            "shortValue",
            "()S",
            PUBLIC,
            Some(|vm, b| Ok(Slot::int(unbox(vm, b, 0)? as i32))),
        )
    } else {
        (
            "byteValue",
            "()B",
            PUBLIC,
            Some(|vm, b| Ok(Slot::int(unbox(vm, b, 0)? as i32))),
        )
    };
    m.extend([
        value_of,
        getter,
        (
            "intValue",
            "()I",
            PUBLIC,
            Some(|vm, b| Ok(Slot::int(unbox(vm, b, 0)? as i32))),
        ),
    ]);
    m
}

fn character() -> Vec<NativeMethod> {
    let mut m: Vec<NativeMethod> = box_common!(
        "Ljava/lang/Character;",
        |v| String::from_utf16_lossy(&[v as u16]),
        int_of,
        |a, b| int_of(a) - int_of(b)
    );
    m.extend::<[NativeMethod; 11]>([
        (
            "toString",
            "(C)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Char)),
        ),
        (
            "valueOf",
            "(C)Ljava/lang/Character;",
            ST,
            Some(|vm, b| {
                let v = arg(vm, b, 0).bits;
                boxed(vm, vm.wk.character, v)
            }),
        ),
        (
            "charValue",
            "()C",
            PUBLIC,
            Some(|vm, b| Ok(Slot::int(unbox(vm, b, 0)? as i32))),
        ),
        (
            "isDigit",
            "(C)Z",
            ST,
            Some(|vm, b| {
                Ok(boolean(
                    to_char(arg(vm, b, 0)).is_some_and(char::is_numeric),
                ))
            }),
        ),
        (
            "isLetter",
            "(C)Z",
            ST,
            Some(|vm, b| {
                Ok(boolean(
                    to_char(arg(vm, b, 0)).is_some_and(char::is_alphabetic),
                ))
            }),
        ),
        (
            "isLetterOrDigit",
            "(C)Z",
            ST,
            Some(|vm, b| {
                Ok(boolean(
                    to_char(arg(vm, b, 0)).is_some_and(char::is_alphanumeric),
                ))
            }),
        ),
        (
            "isWhitespace",
            "(C)Z",
            ST,
            Some(|vm, b| {
                // Java's whitespace excludes the non-breaking spaces Rust counts.
                let c = to_char(arg(vm, b, 0));
                Ok(boolean(c.is_some_and(|c| {
                    c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{85}')
                })))
            }),
        ),
        (
            "isUpperCase",
            "(C)Z",
            ST,
            Some(|vm, b| {
                Ok(boolean(
                    to_char(arg(vm, b, 0)).is_some_and(char::is_uppercase),
                ))
            }),
        ),
        (
            "isLowerCase",
            "(C)Z",
            ST,
            Some(|vm, b| {
                Ok(boolean(
                    to_char(arg(vm, b, 0)).is_some_and(char::is_lowercase),
                ))
            }),
        ),
        (
            "toUpperCase",
            "(C)C",
            ST,
            Some(|vm, b| Ok(map_char(arg(vm, b, 0), |c| c.to_uppercase().next()))),
        ),
        (
            "toLowerCase",
            "(C)C",
            ST,
            Some(|vm, b| Ok(map_char(arg(vm, b, 0), |c| c.to_lowercase().next()))),
        ),
    ]);
    m
}

fn to_char(s: Slot) -> Option<char> {
    char::from_u32(s.as_int() as u32 & 0xffff)
}

/// Maps a `char` through a case mapping that keeps it one unit.
fn map_char(s: Slot, f: impl Fn(char) -> Option<char>) -> Slot {
    let mapped = to_char(s)
        .and_then(f)
        .filter(|c| c.len_utf16() == 1)
        .map_or(s.as_int(), |c| c as i32);
    Slot::int(mapped)
}

fn boolean_methods() -> Vec<NativeMethod> {
    let mut m: Vec<NativeMethod> = box_common!(
        "Ljava/lang/Boolean;",
        |v| (if v as i32 != 0 { "true" } else { "false" }).to_owned(),
        |v| if v as i32 != 0 { 1231 } else { 1237 },
        |a, b| int_of(a) - int_of(b)
    );
    m.extend::<[NativeMethod; 4]>([
        (
            "valueOf",
            "(Z)Ljava/lang/Boolean;",
            ST,
            Some(|vm, b| {
                let v = arg(vm, b, 0).bits;
                boxed(vm, vm.wk.boolean, v)
            }),
        ),
        (
            "booleanValue",
            "()Z",
            PUBLIC,
            Some(|vm, b| Ok(Slot::int(unbox(vm, b, 0)? as i32))),
        ),
        (
            "parseBoolean",
            "(Ljava/lang/String;)Z",
            ST,
            Some(|vm, b| {
                if ref_arg(vm, b, 0)? == 0 {
                    return Ok(boolean(false));
                }
                let s = String::from_utf16_lossy(&units_arg(vm, b, 0)?);
                Ok(boolean(s.eq_ignore_ascii_case("true")))
            }),
        ),
        (
            "toString",
            "(Z)Ljava/lang/String;",
            ST,
            Some(|vm, b| value_text(vm, b, Kind::Boolean)),
        ),
    ]);
    m
}

fn d(vm: &Vm, b: usize, i: usize) -> f64 {
    arg(vm, b, i).as_double()
}

fn math() -> Vec<NativeMethod> {
    vec![
        (
            "abs",
            "(I)I",
            ST,
            Some(|vm, b| Ok(Slot::int(arg(vm, b, 0).as_int().wrapping_abs()))),
        ),
        (
            "abs",
            "(J)J",
            ST,
            Some(|vm, b| Ok(Slot::long(arg(vm, b, 0).as_long().wrapping_abs()))),
        ),
        (
            "abs",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).abs()))),
        ),
        (
            "abs",
            "(F)F",
            ST,
            Some(|vm, b| Ok(Slot::float(arg(vm, b, 0).as_float().abs()))),
        ),
        (
            "max",
            "(II)I",
            ST,
            Some(|vm, b| {
                Ok(Slot::int(
                    arg(vm, b, 0).as_int().max(arg(vm, b, 1).as_int()),
                ))
            }),
        ),
        (
            "min",
            "(II)I",
            ST,
            Some(|vm, b| {
                Ok(Slot::int(
                    arg(vm, b, 0).as_int().min(arg(vm, b, 1).as_int()),
                ))
            }),
        ),
        (
            "max",
            "(JJ)J",
            ST,
            Some(|vm, b| {
                Ok(Slot::long(
                    arg(vm, b, 0).as_long().max(arg(vm, b, 2).as_long()),
                ))
            }),
        ),
        (
            "min",
            "(JJ)J",
            ST,
            Some(|vm, b| {
                Ok(Slot::long(
                    arg(vm, b, 0).as_long().min(arg(vm, b, 2).as_long()),
                ))
            }),
        ),
        (
            "max",
            "(DD)D",
            ST,
            Some(|vm, b| Ok(Slot::double(java_max(d(vm, b, 0), d(vm, b, 2))))),
        ),
        (
            "min",
            "(DD)D",
            ST,
            Some(|vm, b| Ok(Slot::double(-java_max(-d(vm, b, 0), -d(vm, b, 2))))),
        ),
        (
            "max",
            "(FF)F",
            ST,
            Some(|vm, b| {
                let (x, y) = (arg(vm, b, 0).as_float(), arg(vm, b, 1).as_float());
                Ok(Slot::float(java_max(f64::from(x), f64::from(y)) as f32))
            }),
        ),
        (
            "min",
            "(FF)F",
            ST,
            Some(|vm, b| {
                let (x, y) = (arg(vm, b, 0).as_float(), arg(vm, b, 1).as_float());
                Ok(Slot::float(-java_max(-f64::from(x), -f64::from(y)) as f32))
            }),
        ),
        (
            "sqrt",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).sqrt()))),
        ),
        (
            "cbrt",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).cbrt()))),
        ),
        (
            "pow",
            "(DD)D",
            ST,
            Some(|vm, b| Ok(Slot::double(java_pow(d(vm, b, 0), d(vm, b, 2))))),
        ),
        (
            "floor",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).floor()))),
        ),
        (
            "ceil",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).ceil()))),
        ),
        (
            "rint",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).round_ties_even()))),
        ),
        (
            "round",
            "(D)J",
            ST,
            Some(|vm, b| Ok(Slot::long(java_round(d(vm, b, 0))))),
        ),
        (
            "round",
            "(F)I",
            ST,
            Some(|vm, b| {
                let x = arg(vm, b, 0).as_float();
                Ok(Slot::int(if x.is_nan() {
                    0
                } else {
                    (f64::from(x) + 0.5).floor() as i32
                }))
            }),
        ),
        (
            "floorDiv",
            "(II)I",
            ST,
            Some(|vm, b| floor_op(vm, b, false, false)),
        ),
        (
            "floorMod",
            "(II)I",
            ST,
            Some(|vm, b| floor_op(vm, b, false, true)),
        ),
        (
            "floorDiv",
            "(JJ)J",
            ST,
            Some(|vm, b| floor_op(vm, b, true, false)),
        ),
        (
            "floorMod",
            "(JJ)J",
            ST,
            Some(|vm, b| floor_op(vm, b, true, true)),
        ),
        (
            "sin",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).sin()))),
        ),
        (
            "cos",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).cos()))),
        ),
        (
            "tan",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).tan()))),
        ),
        (
            "atan",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).atan()))),
        ),
        (
            "atan2",
            "(DD)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).atan2(d(vm, b, 2))))),
        ),
        (
            "exp",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).exp()))),
        ),
        (
            "log",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).ln()))),
        ),
        (
            "log10",
            "(D)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).log10()))),
        ),
        (
            "hypot",
            "(DD)D",
            ST,
            Some(|vm, b| Ok(Slot::double(d(vm, b, 0).hypot(d(vm, b, 2))))),
        ),
        (
            "signum",
            "(D)D",
            ST,
            Some(|vm, b| {
                let x = d(vm, b, 0);
                Ok(Slot::double(if x == 0.0 || x.is_nan() {
                    x
                } else {
                    x.signum()
                }))
            }),
        ),
    ]
}

/// `Math.floorDiv` and `floorMod`, on longs or on ints (computed as longs,
/// then wrapped as Java wraps `floorDiv(MIN_VALUE, -1)`).
fn floor_op(vm: &mut Vm, b: usize, long: bool, modulo: bool) -> Run<Slot> {
    let (x, y) = if long {
        (arg(vm, b, 0).as_long(), arg(vm, b, 2).as_long())
    } else {
        (
            i64::from(arg(vm, b, 0).as_int()),
            i64::from(arg(vm, b, 1).as_int()),
        )
    };
    if y == 0 {
        return Err(vm.raise(vm.wk.arithmetic, Some("/ by zero")));
    }
    let (q, r) = (x.wrapping_div(y), x.wrapping_rem(y));
    // Rounding toward negative infinity differs from Rust's toward zero
    // when there is a remainder and the signs differ.
    let below = r != 0 && (r < 0) != (y < 0);
    let v = match (modulo, below) {
        (false, true) => q.wrapping_sub(1),
        (false, false) => q,
        (true, true) => r + y,
        (true, false) => r,
    };
    Ok(if long {
        Slot::long(v)
    } else {
        Slot::int(v as i32)
    })
}

/// `Math.max` on doubles: NaN wins, and 0.0 is above -0.0.
fn java_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a.is_sign_negative() { b } else { a }
    } else {
        a.max(b)
    }
}

/// `Math.pow`: Rust's `powf` follows C, which differs from Java in one
/// case: 1 to the power NaN or ±infinity is NaN in Java.
fn java_pow(a: f64, b: f64) -> f64 {
    if b.is_nan() || (a.abs() == 1.0 && b.is_infinite()) {
        f64::NAN
    } else {
        a.powf(b)
    }
}

/// `Math.round(double)`: floor(x + 0.5), saturating, NaN to 0.
fn java_round(x: f64) -> i64 {
    if x.is_nan() {
        return 0;
    }
    // Adding 0.5 loses the answer for the double just below 0.5, and for
    // large values that have no fraction; Java computes it exactly.
    if x.fract() == 0.0 || x.abs() >= 4_503_599_627_370_496.0 {
        return x as i64;
    }
    let f = x.floor();
    if x - f >= 0.5 { f as i64 + 1 } else { f as i64 }
}

fn wrapper(name: &'static str, methods: Vec<NativeMethod>) -> Builtin {
    Builtin {
        name,
        super_name: Some("java/lang/Number"),
        interfaces: &["java/lang/Comparable"],
        access: PUBLIC | FINAL,
        fields: &[("value", "J")],
        statics: &[],
        methods,
    }
}

pub(super) fn classes() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "java/lang/Number",
            super_name: Some("java/lang/Object"),
            interfaces: &["java/io/Serializable"],
            access: PUBLIC | ABSTRACT,
            fields: &[],
            statics: &[],
            methods: number_methods(),
        },
        wrapper(
            "java/lang/Integer",
            [integer(), super::bits::int()].concat(),
        ),
        wrapper("java/lang/Long", [long(), super::bits::long()].concat()),
        wrapper("java/lang/Double", double()),
        wrapper("java/lang/Float", float()),
        wrapper("java/lang/Short", small("S")),
        wrapper("java/lang/Byte", small("B")),
        Builtin {
            super_name: Some("java/lang/Object"),
            ..wrapper("java/lang/Character", character())
        },
        Builtin {
            super_name: Some("java/lang/Object"),
            ..wrapper("java/lang/Boolean", boolean_methods())
        },
        Builtin {
            name: "java/lang/Math",
            super_name: Some("java/lang/Object"),
            interfaces: &[],
            access: PUBLIC | FINAL,
            fields: &[],
            statics: &[],
            methods: math(),
        },
    ]
}
