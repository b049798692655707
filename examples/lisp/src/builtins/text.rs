//! Characters, strings and symbols.

use super::{ANY, Args, Primitive, prim};
use crate::errors::Error;
use crate::value::Value;
use crate::vm::Vm;

type Result<T> = std::result::Result<T, Error>;

fn string_arg(vm: &Vm, who: &str, a: Args, i: usize) -> Result<gc_core::ObjRef> {
    vm.obj_arg(who, a, i, vm.gc.t.string, "a string")
}

fn symbol_arg(vm: &Vm, who: &str, a: Args, i: usize) -> Result<gc_core::ObjRef> {
    vm.obj_arg(who, a, i, vm.gc.t.symbol, "a symbol")
}

// ------------------------------------------------------------ characters

fn is_char(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(vm.arg(a, 0).as_char().is_some()))
}

fn char_to_integer(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::small(vm.char_arg("char->integer", a, 0)? as usize))
}

fn integer_to_char(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = vm.int_arg("integer->char", a, 0)?;
    u32::try_from(n)
        .ok()
        .and_then(char::from_u32)
        .map(Value::char)
        .ok_or_else(|| Error::wrong_type("integer->char", "a Unicode scalar value", vm.arg(a, 0)))
}

fn char_compare(
    vm: &mut Vm,
    a: Args,
    who: &str,
    fold: bool,
    ok: fn(std::cmp::Ordering) -> bool,
) -> Result<Value> {
    let key = |c: char| {
        if fold {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            c
        }
    };
    let mut result = true;
    for i in 1..a.len {
        let (x, y) = (vm.char_arg(who, a, i - 1)?, vm.char_arg(who, a, i)?);
        result &= ok(key(x).cmp(&key(y)));
    }
    vm.char_arg(who, a, 0)?;
    Ok(Value::bool(result))
}

macro_rules! comparisons {
    ($cmp:ident, $($name:ident $scheme:literal $fold:literal $test:expr),*) => {
        $(fn $name(vm: &mut Vm, a: Args) -> Result<Value> {
            $cmp(vm, a, $scheme, $fold, $test)
        })*
    };
}

comparisons!(char_compare,
    char_eq "char=?" false |o| o.is_eq(), char_lt "char<?" false |o| o.is_lt(),
    char_gt "char>?" false |o| o.is_gt(), char_le "char<=?" false |o| o.is_le(),
    char_ge "char>=?" false |o| o.is_ge(), char_ci_eq "char-ci=?" true |o| o.is_eq(),
    char_ci_lt "char-ci<?" true |o| o.is_lt(), char_ci_gt "char-ci>?" true |o| o.is_gt(),
    char_ci_le "char-ci<=?" true |o| o.is_le(), char_ci_ge "char-ci>=?" true |o| o.is_ge());

fn char_test(vm: &Vm, a: Args, who: &str, test: fn(char) -> bool) -> Result<Value> {
    Ok(Value::bool(test(vm.char_arg(who, a, 0)?)))
}

fn is_alphabetic(vm: &mut Vm, a: Args) -> Result<Value> {
    char_test(vm, a, "char-alphabetic?", char::is_alphabetic)
}
fn is_numeric(vm: &mut Vm, a: Args) -> Result<Value> {
    char_test(vm, a, "char-numeric?", char::is_numeric)
}
fn is_whitespace(vm: &mut Vm, a: Args) -> Result<Value> {
    char_test(vm, a, "char-whitespace?", char::is_whitespace)
}
fn is_upper(vm: &mut Vm, a: Args) -> Result<Value> {
    char_test(vm, a, "char-upper-case?", char::is_uppercase)
}
fn is_lower(vm: &mut Vm, a: Args) -> Result<Value> {
    char_test(vm, a, "char-lower-case?", char::is_lowercase)
}

fn char_upcase(vm: &mut Vm, a: Args) -> Result<Value> {
    let c = vm.char_arg("char-upcase", a, 0)?;
    Ok(Value::char(c.to_uppercase().next().unwrap_or(c)))
}

fn char_downcase(vm: &mut Vm, a: Args) -> Result<Value> {
    let c = vm.char_arg("char-downcase", a, 0)?;
    Ok(Value::char(c.to_lowercase().next().unwrap_or(c)))
}

fn digit_value(vm: &mut Vm, a: Args) -> Result<Value> {
    let c = vm.char_arg("digit-value", a, 0)?;
    Ok(c.to_digit(10)
        .map_or(Value::FALSE, |d| Value::small(d as usize)))
}

// ------------------------------------------------------------ strings

fn is_string(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(
        vm.gc.typed(vm.arg(a, 0), vm.gc.t.string).is_some(),
    ))
}

fn make_string(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = vm.int_arg("make-string", a, 0)?;
    let bytes = usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_mul(4))
        .ok_or_else(|| Error::wrong_type("make-string", "a length", vm.arg(a, 0)))?;
    let fill = if a.len > 1 {
        vm.char_arg("make-string", a, 1)?
    } else {
        ' '
    };
    // Allocate first: the heap refuses a size it cannot hold.
    let s = vm.gc.alloc(vm.gc.t.string, bytes)?;
    for i in 0..bytes / 4 {
        vm.gc.string_set(s, i, fill);
    }
    Ok(Value::from_ref(s))
}

fn string(vm: &mut Vm, a: Args) -> Result<Value> {
    let chars = (0..a.len)
        .map(|i| vm.char_arg("string", a, i))
        .collect::<Result<Vec<_>>>()?;
    vm.gc.string_from(&chars)
}

fn string_length(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = string_arg(vm, "string-length", a, 0)?;
    Ok(Value::small(vm.gc.string_len(s)))
}

fn string_ref(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = string_arg(vm, "string-ref", a, 0)?;
    let i = vm.index_arg("string-ref", a, 1, vm.gc.string_len(s), false)?;
    Ok(Value::char(vm.gc.string_ref(s, i)))
}

fn string_set(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = string_arg(vm, "string-set!", a, 0)?;
    let i = vm.index_arg("string-set!", a, 1, vm.gc.string_len(s), false)?;
    let c = vm.char_arg("string-set!", a, 2)?;
    vm.gc.string_set(s, i, c);
    Ok(Value::UNSPECIFIED)
}

fn string_fill(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = string_arg(vm, "string-fill!", a, 0)?;
    let c = vm.char_arg("string-fill!", a, 1)?;
    let (start, end) = vm.range_args("string-fill!", a, 2, vm.gc.string_len(s))?;
    for i in start..end {
        vm.gc.string_set(s, i, c);
    }
    Ok(Value::UNSPECIFIED)
}

/// `substring` and `string-copy`: characters `start..end` of argument 0.
fn substring_from(vm: &mut Vm, a: Args, who: &str) -> Result<Value> {
    let s = string_arg(vm, who, a, 0)?;
    let (start, end) = vm.range_args(who, a, 1, vm.gc.string_len(s))?;
    let chars: Vec<char> = (start..end).map(|i| vm.gc.string_ref(s, i)).collect();
    vm.gc.string_from(&chars)
}

fn substring(vm: &mut Vm, a: Args) -> Result<Value> {
    substring_from(vm, a, "substring")
}

fn string_copy(vm: &mut Vm, a: Args) -> Result<Value> {
    substring_from(vm, a, "string-copy")
}

fn string_append(vm: &mut Vm, a: Args) -> Result<Value> {
    let mut total = 0;
    for i in 0..a.len {
        total += vm.gc.string_len(string_arg(vm, "string-append", a, i)?);
    }
    let out = vm.gc.alloc(vm.gc.t.string, total * 4)?;
    let mut at = 0;
    for i in 0..a.len {
        // Read again: the allocation may have moved the arguments.
        let s = string_arg(vm, "string-append", a, i)?;
        for k in 0..vm.gc.string_len(s) {
            let c = vm.gc.string_ref(s, k);
            vm.gc.string_set(out, at, c);
            at += 1;
        }
    }
    Ok(Value::from_ref(out))
}

fn string_to_list(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = string_arg(vm, "string->list", a, 0)?;
    let (start, end) = vm.range_args("string->list", a, 1, vm.gc.string_len(s))?;
    let chars: Vec<char> = (start..end).map(|i| vm.gc.string_ref(s, i)).collect();
    vm.list_of(chars.len(), |_, i| Ok(Value::char(chars[i])))
}

fn list_to_string(vm: &mut Vm, a: Args) -> Result<Value> {
    let items = vm.list_arg("list->string", a, 0)?;
    let chars = items
        .iter()
        .map(|v| {
            v.as_char().ok_or_else(|| {
                Error::wrong_type("list->string", "a list of characters", vm.arg(a, 0))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    vm.gc.string_from(&chars)
}

fn string_compare(
    vm: &mut Vm,
    a: Args,
    who: &str,
    fold: bool,
    ok: fn(std::cmp::Ordering) -> bool,
) -> Result<Value> {
    let text = |vm: &Vm, i| -> Result<String> {
        let s = vm.gc.rust_string(string_arg(vm, who, a, i)?);
        Ok(if fold { s.to_lowercase() } else { s })
    };
    let mut result = true;
    let mut prev = text(vm, 0)?;
    for i in 1..a.len {
        let next = text(vm, i)?;
        result &= ok(prev.cmp(&next));
        prev = next;
    }
    Ok(Value::bool(result))
}

comparisons!(string_compare,
    string_eq "string=?" false |o| o.is_eq(), string_lt "string<?" false |o| o.is_lt(),
    string_gt "string>?" false |o| o.is_gt(), string_le "string<=?" false |o| o.is_le(),
    string_ge "string>=?" false |o| o.is_ge(), string_ci_eq "string-ci=?" true |o| o.is_eq(),
    string_ci_lt "string-ci<?" true |o| o.is_lt(), string_ci_gt "string-ci>?" true |o| o.is_gt(),
    string_ci_le "string-ci<=?" true |o| o.is_le(), string_ci_ge "string-ci>=?" true |o| o.is_ge());

fn string_upcase(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = vm.gc.rust_string(string_arg(vm, "string-upcase", a, 0)?);
    vm.gc.string(&s.to_uppercase())
}

fn string_downcase(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = vm.gc.rust_string(string_arg(vm, "string-downcase", a, 0)?);
    vm.gc.string(&s.to_lowercase())
}

fn string_foldcase(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = vm.gc.rust_string(string_arg(vm, "string-foldcase", a, 0)?);
    vm.gc.string(&s.to_lowercase())
}

fn string_to_utf8(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = string_arg(vm, "string->utf8", a, 0)?;
    let (start, end) = vm.range_args("string->utf8", a, 1, vm.gc.string_len(s))?;
    let text: String = (start..end).map(|i| vm.gc.string_ref(s, i)).collect();
    vm.gc.bytevector(text.as_bytes())
}

fn utf8_to_string(vm: &mut Vm, a: Args) -> Result<Value> {
    let bv = vm.obj_arg("utf8->string", a, 0, vm.gc.t.bytevector, "a bytevector")?;
    let (start, end) = vm.range_args("utf8->string", a, 1, vm.gc.low(bv))?;
    let bytes: Vec<u8> = (start..end).map(|i| vm.gc.byte_ref(bv, i)).collect();
    match String::from_utf8(bytes) {
        Ok(text) => vm.gc.string(&text),
        Err(e) => Err(Error::runtime(
            format!(
                "utf8->string: invalid UTF-8 at byte {}",
                start + e.utf8_error().valid_up_to()
            ),
            vec![vm.arg(a, 0)],
        )),
    }
}

// ------------------------------------------------------------ symbols

fn is_symbol(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(
        vm.gc.typed(vm.arg(a, 0), vm.gc.t.symbol).is_some(),
    ))
}

fn symbol_to_string(vm: &mut Vm, a: Args) -> Result<Value> {
    let name = vm.gc.symbol_name(symbol_arg(vm, "symbol->string", a, 0)?);
    vm.gc.string(&name)
}

fn string_to_symbol(vm: &mut Vm, a: Args) -> Result<Value> {
    let name = vm.gc.rust_string(string_arg(vm, "string->symbol", a, 0)?);
    vm.gc.intern(&name)
}

fn symbol_eq(vm: &mut Vm, a: Args) -> Result<Value> {
    let first = symbol_arg(vm, "symbol=?", a, 0)?;
    let mut all = true;
    for i in 1..a.len {
        all &= symbol_arg(vm, "symbol=?", a, i)? == first;
    }
    Ok(Value::bool(all))
}

pub(super) const PRIMITIVES: &[Primitive] = &[
    prim("char?", 1, 1, is_char),
    prim("char->integer", 1, 1, char_to_integer),
    prim("integer->char", 1, 1, integer_to_char),
    prim("char=?", 1, ANY, char_eq),
    prim("char<?", 1, ANY, char_lt),
    prim("char>?", 1, ANY, char_gt),
    prim("char<=?", 1, ANY, char_le),
    prim("char>=?", 1, ANY, char_ge),
    prim("char-ci=?", 1, ANY, char_ci_eq),
    prim("char-ci<?", 1, ANY, char_ci_lt),
    prim("char-ci>?", 1, ANY, char_ci_gt),
    prim("char-ci<=?", 1, ANY, char_ci_le),
    prim("char-ci>=?", 1, ANY, char_ci_ge),
    prim("char-alphabetic?", 1, 1, is_alphabetic),
    prim("char-numeric?", 1, 1, is_numeric),
    prim("char-whitespace?", 1, 1, is_whitespace),
    prim("char-upper-case?", 1, 1, is_upper),
    prim("char-lower-case?", 1, 1, is_lower),
    prim("char-upcase", 1, 1, char_upcase),
    prim("char-downcase", 1, 1, char_downcase),
    prim("char-foldcase", 1, 1, char_downcase),
    prim("digit-value", 1, 1, digit_value),
    prim("string?", 1, 1, is_string),
    prim("make-string", 1, 2, make_string),
    prim("string", 0, ANY, string),
    prim("string-length", 1, 1, string_length),
    prim("string-ref", 2, 2, string_ref),
    prim("string-set!", 3, 3, string_set),
    prim("string-fill!", 2, 4, string_fill),
    prim("substring", 3, 3, substring),
    prim("string-copy", 1, 3, string_copy),
    prim("string-append", 0, ANY, string_append),
    prim("string->list", 1, 3, string_to_list),
    prim("list->string", 1, 1, list_to_string),
    prim("string=?", 1, ANY, string_eq),
    prim("string<?", 1, ANY, string_lt),
    prim("string>?", 1, ANY, string_gt),
    prim("string<=?", 1, ANY, string_le),
    prim("string>=?", 1, ANY, string_ge),
    prim("string-ci=?", 1, ANY, string_ci_eq),
    prim("string-ci<?", 1, ANY, string_ci_lt),
    prim("string-ci>?", 1, ANY, string_ci_gt),
    prim("string-ci<=?", 1, ANY, string_ci_le),
    prim("string-ci>=?", 1, ANY, string_ci_ge),
    prim("string-upcase", 1, 1, string_upcase),
    prim("string-downcase", 1, 1, string_downcase),
    prim("string-foldcase", 1, 1, string_foldcase),
    prim("string->utf8", 1, 3, string_to_utf8),
    prim("utf8->string", 1, 3, utf8_to_string),
    prim("symbol?", 1, 1, is_symbol),
    prim("symbol->string", 1, 1, symbol_to_string),
    prim("string->symbol", 1, 1, string_to_symbol),
    prim("symbol=?", 1, ANY, symbol_eq),
];
