//! Numbers: fixnums, which overflow into an error (there are no bignums),
//! and flonums. Exact division that does not come out even gives a flonum
//! (there are no rationals).

use super::{ANY, Args, Primitive, prim};
use crate::errors::Error;
use crate::printer::flonum;
use crate::reader::{Kind, parse_number};
use crate::value::Value;
use crate::vm::Vm;

type Result<T> = std::result::Result<T, Error>;

/// A number read out of a value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Num {
    Int(i64),
    Flo(f64),
}

impl Num {
    fn to_f64(self) -> f64 {
        match self {
            Num::Int(n) => n as f64,
            Num::Flo(x) => x,
        }
    }
}

fn overflow(who: &str) -> Error {
    Error::runtime(
        format!("{who}: integer overflow (fixnums are 63-bit and there are no bignums)"),
        vec![],
    )
}

impl Vm {
    /// `v` as a number.
    pub(crate) fn num(&self, who: &str, v: Value) -> Result<Num> {
        if let Some(n) = v.as_fixnum() {
            return Ok(Num::Int(n));
        }
        self.gc
            .as_flonum(v)
            .map(Num::Flo)
            .ok_or_else(|| Error::wrong_type(who, "a number", v))
    }

    fn num_arg(&self, who: &str, a: Args, i: usize) -> Result<Num> {
        self.num(who, self.arg(a, i))
    }

    /// A number as a value: a fixnum if it fits, or an overflow error.
    pub(crate) fn number(&mut self, who: &str, n: Num) -> Result<Value> {
        match n {
            Num::Int(n) => Value::fixnum(n).ok_or_else(|| overflow(who)),
            Num::Flo(x) => self.gc.flonum(x),
        }
    }
}

fn arith(who: &str, a: Num, b: Num) -> Result<Num> {
    let int = |r: Option<i64>| r.map(Num::Int).ok_or_else(|| overflow(who));
    Ok(match (who, a, b) {
        ("+", Num::Int(x), Num::Int(y)) => int(x.checked_add(y))?,
        ("-", Num::Int(x), Num::Int(y)) => int(x.checked_sub(y))?,
        ("*", Num::Int(x), Num::Int(y)) => int(x.checked_mul(y))?,
        ("/", Num::Int(_), Num::Int(0)) => {
            return Err(Error::runtime("/: division by zero", vec![]));
        }
        ("/", Num::Int(x), Num::Int(y)) if x % y == 0 => int(x.checked_div(y))?,
        (op, a, b) => {
            let (x, y) = (a.to_f64(), b.to_f64());
            Num::Flo(match op {
                "+" => x + y,
                "-" => x - y,
                "*" => x * y,
                _ => x / y,
            })
        }
    })
}

/// Folds `+`, `-`, `*` or `/` over the arguments, with `unit` for none (and
/// as the left operand of a single argument to `-` and `/`).
fn fold(vm: &mut Vm, a: Args, who: &'static str, unit: i64) -> Result<Value> {
    // The common case, two fixnums, without leaving fixnums.
    if a.len == 2
        && let (Some(x), Some(y)) = (vm.arg(a, 0).as_fixnum(), vm.arg(a, 1).as_fixnum())
    {
        let r = match who {
            "+" => x.checked_add(y),
            "-" => x.checked_sub(y),
            "*" => x.checked_mul(y),
            _ => None,
        };
        if let Some(v) = r.and_then(Value::fixnum) {
            return Ok(v);
        }
    }
    let mut acc = if a.len == 1 || a.len == 0 {
        Num::Int(unit)
    } else {
        vm.num_arg(who, a, 0)?
    };
    let first = if a.len == 1 { 0 } else { 1 };
    for i in first.min(a.len)..a.len {
        acc = arith(who, acc, vm.num_arg(who, a, i)?)?;
    }
    vm.number(who, acc)
}

fn add(vm: &mut Vm, a: Args) -> Result<Value> {
    fold(vm, a, "+", 0)
}
fn sub(vm: &mut Vm, a: Args) -> Result<Value> {
    fold(vm, a, "-", 0)
}
fn mul(vm: &mut Vm, a: Args) -> Result<Value> {
    fold(vm, a, "*", 1)
}
fn div(vm: &mut Vm, a: Args) -> Result<Value> {
    fold(vm, a, "/", 1)
}

fn compare(vm: &mut Vm, a: Args, who: &str, ok: fn(std::cmp::Ordering) -> bool) -> Result<Value> {
    // The common case, two fixnums.
    if a.len == 2
        && let (Some(x), Some(y)) = (vm.arg(a, 0).as_fixnum(), vm.arg(a, 1).as_fixnum())
    {
        return Ok(Value::bool(ok(x.cmp(&y))));
    }
    let mut result = true;
    for i in 0..a.len {
        let y = vm.num_arg(who, a, i)?;
        if i == 0 {
            continue;
        }
        let x = vm.num_arg(who, a, i - 1)?;
        let ord = match (x, y) {
            (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
            (x, y) => x.to_f64().partial_cmp(&y.to_f64()),
        };
        result &= ord.is_some_and(ok);
    }
    Ok(Value::bool(result))
}

fn num_eq(vm: &mut Vm, a: Args) -> Result<Value> {
    compare(vm, a, "=", |o| o.is_eq())
}
fn lt(vm: &mut Vm, a: Args) -> Result<Value> {
    compare(vm, a, "<", |o| o.is_lt())
}
fn gt(vm: &mut Vm, a: Args) -> Result<Value> {
    compare(vm, a, ">", |o| o.is_gt())
}
fn le(vm: &mut Vm, a: Args) -> Result<Value> {
    compare(vm, a, "<=", |o| o.is_le())
}
fn ge(vm: &mut Vm, a: Args) -> Result<Value> {
    compare(vm, a, ">=", |o| o.is_ge())
}

/// The integer argument `i`, also accepting integral flonums (as `f64`).
fn integer(vm: &Vm, who: &str, a: Args, i: usize) -> Result<Num> {
    match vm.num_arg(who, a, i)? {
        Num::Flo(x) if x.fract() != 0.0 || !x.is_finite() => {
            Err(Error::wrong_type(who, "an integer", vm.arg(a, i)))
        }
        n => Ok(n),
    }
}

/// Integer division in one of its flavors.
fn divide(vm: &mut Vm, a: Args, who: &'static str) -> Result<Value> {
    let (x, y) = (integer(vm, who, a, 0)?, integer(vm, who, a, 1)?);
    if y.to_f64() == 0.0 {
        return Err(Error::runtime(format!("{who}: division by zero"), vec![]));
    }
    let r = match (x, y) {
        (Num::Int(x), Num::Int(y)) => Num::Int(match who {
            "quotient" | "truncate-quotient" => x.checked_div(y).ok_or_else(|| overflow(who))?,
            "remainder" | "truncate-remainder" => x.checked_rem(y).unwrap_or(0),
            "floor-quotient" => {
                let q = x.checked_div(y).ok_or_else(|| overflow(who))?;
                if x % y != 0 && (x < 0) != (y < 0) {
                    q - 1
                } else {
                    q
                }
            }
            _ => {
                let m = x.checked_rem(y).unwrap_or(0);
                if m != 0 && (m < 0) != (y < 0) {
                    m + y
                } else {
                    m
                }
            }
        }),
        (x, y) => {
            let (x, y) = (x.to_f64(), y.to_f64());
            Num::Flo(match who {
                "quotient" | "truncate-quotient" => (x / y).trunc(),
                "remainder" | "truncate-remainder" => x % y,
                "floor-quotient" => (x / y).floor(),
                _ => x - y * (x / y).floor(),
            })
        }
    };
    vm.number(who, r)
}

fn quotient(vm: &mut Vm, a: Args) -> Result<Value> {
    divide(vm, a, "quotient")
}
fn remainder(vm: &mut Vm, a: Args) -> Result<Value> {
    divide(vm, a, "remainder")
}
fn modulo(vm: &mut Vm, a: Args) -> Result<Value> {
    divide(vm, a, "modulo")
}
fn floor_quotient(vm: &mut Vm, a: Args) -> Result<Value> {
    divide(vm, a, "floor-quotient")
}

fn abs(vm: &mut Vm, a: Args) -> Result<Value> {
    let r = match vm.num_arg("abs", a, 0)? {
        Num::Int(n) => Num::Int(n.checked_abs().ok_or_else(|| overflow("abs"))?),
        Num::Flo(x) => Num::Flo(x.abs()),
    };
    vm.number("abs", r)
}

fn extremum(vm: &mut Vm, a: Args, who: &'static str) -> Result<Value> {
    let mut best = vm.num_arg(who, a, 0)?;
    let mut inexact = matches!(best, Num::Flo(_));
    for i in 1..a.len {
        let n = vm.num_arg(who, a, i)?;
        inexact |= matches!(n, Num::Flo(_));
        let better = match (n, best) {
            (Num::Int(x), Num::Int(y)) => (who == "max") == (x > y),
            (x, y) => (who == "max") == (x.to_f64() > y.to_f64()),
        };
        if better {
            best = n;
        }
    }
    let best = if inexact {
        Num::Flo(best.to_f64())
    } else {
        best
    };
    vm.number(who, best)
}

fn min(vm: &mut Vm, a: Args) -> Result<Value> {
    extremum(vm, a, "min")
}
fn max(vm: &mut Vm, a: Args) -> Result<Value> {
    extremum(vm, a, "max")
}

fn gcd_of(mut x: i64, mut y: i64) -> i64 {
    while y != 0 {
        (x, y) = (y, x % y);
    }
    x.abs()
}

fn gcd(vm: &mut Vm, a: Args) -> Result<Value> {
    let mut g = 0;
    for i in 0..a.len {
        g = gcd_of(g, vm.int_arg("gcd", a, i)?);
    }
    vm.number("gcd", Num::Int(g))
}

fn lcm(vm: &mut Vm, a: Args) -> Result<Value> {
    let mut l: i64 = 1;
    for i in 0..a.len {
        let n = vm.int_arg("lcm", a, i)?;
        if n == 0 {
            return Ok(Value::small(0));
        }
        l = (l / gcd_of(l, n))
            .checked_mul(n.abs())
            .ok_or_else(|| overflow("lcm"))?;
    }
    vm.number("lcm", Num::Int(l))
}

fn expt(vm: &mut Vm, a: Args) -> Result<Value> {
    let r = match (vm.num_arg("expt", a, 0)?, vm.num_arg("expt", a, 1)?) {
        (Num::Int(b), Num::Int(e)) if e >= 0 => {
            let e = u32::try_from(e).map_err(|_| overflow("expt"))?;
            Num::Int(b.checked_pow(e).ok_or_else(|| overflow("expt"))?)
        }
        (b, e) => Num::Flo(b.to_f64().powf(e.to_f64())),
    };
    vm.number("expt", r)
}

fn sqrt(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = vm.num_arg("sqrt", a, 0)?;
    if n.to_f64() < 0.0 {
        return Err(Error::wrong_type(
            "sqrt",
            "a non-negative number (there are no complex numbers)",
            vm.arg(a, 0),
        ));
    }
    let r = match n {
        Num::Int(k) => {
            let root = (k as f64).sqrt().round() as i64;
            if root.checked_mul(root) == Some(k) {
                Num::Int(root)
            } else {
                Num::Flo((k as f64).sqrt())
            }
        }
        Num::Flo(x) => Num::Flo(x.sqrt()),
    };
    vm.number("sqrt", r)
}

fn inexact(vm: &mut Vm, a: Args) -> Result<Value> {
    let x = vm.num_arg("inexact", a, 0)?.to_f64();
    vm.gc.flonum(x)
}

fn exact(vm: &mut Vm, a: Args) -> Result<Value> {
    match vm.num_arg("exact", a, 0)? {
        Num::Int(n) => Ok(Value::fixnum(n).unwrap_or(Value::UNSPECIFIED)),
        Num::Flo(x) if x.fract() == 0.0 && x.abs() < 4.6e18 => {
            vm.number("exact", Num::Int(x as i64))
        }
        Num::Flo(_) => Err(Error::wrong_type(
            "exact",
            "an integral flonum (there are no rationals)",
            vm.arg(a, 0),
        )),
    }
}

fn rounding(vm: &mut Vm, a: Args, who: &'static str, f: fn(f64) -> f64) -> Result<Value> {
    match vm.num_arg(who, a, 0)? {
        Num::Int(_) => Ok(vm.arg(a, 0)),
        Num::Flo(x) => vm.gc.flonum(f(x)),
    }
}

fn floor(vm: &mut Vm, a: Args) -> Result<Value> {
    rounding(vm, a, "floor", f64::floor)
}
fn ceiling(vm: &mut Vm, a: Args) -> Result<Value> {
    rounding(vm, a, "ceiling", f64::ceil)
}
fn truncate(vm: &mut Vm, a: Args) -> Result<Value> {
    rounding(vm, a, "truncate", f64::trunc)
}
fn round(vm: &mut Vm, a: Args) -> Result<Value> {
    rounding(vm, a, "round", f64::round_ties_even)
}

fn transcendental(vm: &mut Vm, a: Args, who: &'static str, f: fn(f64) -> f64) -> Result<Value> {
    let x = vm.num_arg(who, a, 0)?.to_f64();
    vm.gc.flonum(f(x))
}

fn exp(vm: &mut Vm, a: Args) -> Result<Value> {
    transcendental(vm, a, "exp", f64::exp)
}
fn log(vm: &mut Vm, a: Args) -> Result<Value> {
    if a.len == 2 {
        let (x, b) = (vm.num_arg("log", a, 0)?, vm.num_arg("log", a, 1)?);
        return vm.gc.flonum(x.to_f64().ln() / b.to_f64().ln());
    }
    transcendental(vm, a, "log", f64::ln)
}
fn sin(vm: &mut Vm, a: Args) -> Result<Value> {
    transcendental(vm, a, "sin", f64::sin)
}
fn cos(vm: &mut Vm, a: Args) -> Result<Value> {
    transcendental(vm, a, "cos", f64::cos)
}
fn tan(vm: &mut Vm, a: Args) -> Result<Value> {
    transcendental(vm, a, "tan", f64::tan)
}
fn asin(vm: &mut Vm, a: Args) -> Result<Value> {
    transcendental(vm, a, "asin", f64::asin)
}
fn acos(vm: &mut Vm, a: Args) -> Result<Value> {
    transcendental(vm, a, "acos", f64::acos)
}
fn atan(vm: &mut Vm, a: Args) -> Result<Value> {
    if a.len == 2 {
        let (y, x) = (vm.num_arg("atan", a, 0)?, vm.num_arg("atan", a, 1)?);
        return vm.gc.flonum(y.to_f64().atan2(x.to_f64()));
    }
    transcendental(vm, a, "atan", f64::atan)
}

fn predicate(vm: &mut Vm, a: Args, test: fn(Num) -> bool) -> Result<Value> {
    let v = vm.arg(a, 0);
    Ok(Value::bool(vm.num("number?", v).is_ok_and(test)))
}

fn is_number(vm: &mut Vm, a: Args) -> Result<Value> {
    predicate(vm, a, |_| true)
}
fn is_integer(vm: &mut Vm, a: Args) -> Result<Value> {
    predicate(vm, a, |n| match n {
        Num::Int(_) => true,
        Num::Flo(x) => x.is_finite() && x.fract() == 0.0,
    })
}
fn is_finite(vm: &mut Vm, a: Args) -> Result<Value> {
    predicate(vm, a, |n| n.to_f64().is_finite())
}
fn is_exact(vm: &mut Vm, a: Args) -> Result<Value> {
    vm.num_arg("exact?", a, 0)?;
    predicate(vm, a, |n| matches!(n, Num::Int(_)))
}
fn is_inexact(vm: &mut Vm, a: Args) -> Result<Value> {
    vm.num_arg("inexact?", a, 0)?;
    predicate(vm, a, |n| matches!(n, Num::Flo(_)))
}
fn is_exact_integer(vm: &mut Vm, a: Args) -> Result<Value> {
    predicate(vm, a, |n| matches!(n, Num::Int(_)))
}
fn is_nan(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = vm.num_arg("nan?", a, 0)?;
    Ok(Value::bool(n.to_f64().is_nan()))
}

fn sign_test(vm: &mut Vm, a: Args, who: &str, ok: fn(f64) -> bool) -> Result<Value> {
    let n = vm.num_arg(who, a, 0)?;
    Ok(Value::bool(ok(n.to_f64())))
}
fn is_zero(vm: &mut Vm, a: Args) -> Result<Value> {
    sign_test(vm, a, "zero?", |x| x == 0.0)
}
fn is_positive(vm: &mut Vm, a: Args) -> Result<Value> {
    sign_test(vm, a, "positive?", |x| x > 0.0)
}
fn is_negative(vm: &mut Vm, a: Args) -> Result<Value> {
    sign_test(vm, a, "negative?", |x| x < 0.0)
}

fn parity(vm: &mut Vm, a: Args, who: &str, odd: bool) -> Result<Value> {
    let n = match integer(vm, who, a, 0)? {
        Num::Int(n) => n % 2 != 0,
        Num::Flo(x) => x % 2.0 != 0.0,
    };
    Ok(Value::bool(n == odd))
}
fn is_odd(vm: &mut Vm, a: Args) -> Result<Value> {
    parity(vm, a, "odd?", true)
}
fn is_even(vm: &mut Vm, a: Args) -> Result<Value> {
    parity(vm, a, "even?", false)
}

fn square(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = vm.num_arg("square", a, 0)?;
    let r = arith("square", n, n).map_err(|_| overflow("square"))?;
    vm.number("square", r)
}

fn radix(vm: &Vm, who: &str, a: Args, i: usize) -> Result<u32> {
    if a.len <= i {
        return Ok(10);
    }
    match vm.int_arg(who, a, i)? {
        r @ (2 | 8 | 10 | 16) => Ok(r as u32),
        _ => Err(Error::wrong_type(
            who,
            "a radix of 2, 8, 10 or 16",
            vm.arg(a, i),
        )),
    }
}

fn number_to_string(vm: &mut Vm, a: Args) -> Result<Value> {
    let r = radix(vm, "number->string", a, 1)?;
    let s = match vm.num_arg("number->string", a, 0)? {
        Num::Int(n) => {
            let digits = match r {
                2 => format!("{:b}", n.unsigned_abs()),
                8 => format!("{:o}", n.unsigned_abs()),
                16 => format!("{:x}", n.unsigned_abs()),
                _ => n.unsigned_abs().to_string(),
            };
            if n < 0 { format!("-{digits}") } else { digits }
        }
        Num::Flo(x) => flonum(x),
    };
    vm.gc.string(&s)
}

fn string_to_number(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = vm.obj_arg("string->number", a, 0, vm.gc.t.string, "a string")?;
    let text = vm.gc.rust_string(s);
    let r = radix(vm, "string->number", a, 1)?;
    match parse_number(&text, r) {
        Ok(Kind::Int(n)) => Ok(Value::fixnum(n).unwrap_or(Value::FALSE)),
        Ok(Kind::Float(x)) => vm.gc.flonum(x),
        _ => Ok(Value::FALSE),
    }
}

pub(super) const PRIMITIVES: &[Primitive] = &[
    prim("+", 0, ANY, add),
    prim("-", 1, ANY, sub),
    prim("*", 0, ANY, mul),
    prim("/", 1, ANY, div),
    prim("=", 1, ANY, num_eq),
    prim("<", 1, ANY, lt),
    prim(">", 1, ANY, gt),
    prim("<=", 1, ANY, le),
    prim(">=", 1, ANY, ge),
    prim("quotient", 2, 2, quotient),
    prim("remainder", 2, 2, remainder),
    prim("modulo", 2, 2, modulo),
    prim("truncate-quotient", 2, 2, quotient),
    prim("truncate-remainder", 2, 2, remainder),
    prim("floor-quotient", 2, 2, floor_quotient),
    prim("floor-remainder", 2, 2, modulo),
    prim("abs", 1, 1, abs),
    prim("min", 1, ANY, min),
    prim("max", 1, ANY, max),
    prim("gcd", 0, ANY, gcd),
    prim("lcm", 0, ANY, lcm),
    prim("expt", 2, 2, expt),
    prim("sqrt", 1, 1, sqrt),
    prim("exact->inexact", 1, 1, inexact),
    prim("inexact", 1, 1, inexact),
    prim("inexact->exact", 1, 1, exact),
    prim("exact", 1, 1, exact),
    prim("floor", 1, 1, floor),
    prim("ceiling", 1, 1, ceiling),
    prim("truncate", 1, 1, truncate),
    prim("round", 1, 1, round),
    prim("exp", 1, 1, exp),
    prim("log", 1, 2, log),
    prim("sin", 1, 1, sin),
    prim("cos", 1, 1, cos),
    prim("tan", 1, 1, tan),
    prim("asin", 1, 1, asin),
    prim("acos", 1, 1, acos),
    prim("atan", 1, 2, atan),
    prim("number?", 1, 1, is_number),
    prim("complex?", 1, 1, is_number),
    prim("real?", 1, 1, is_number),
    prim("rational?", 1, 1, is_finite),
    prim("integer?", 1, 1, is_integer),
    prim("exact?", 1, 1, is_exact),
    prim("inexact?", 1, 1, is_inexact),
    prim("exact-integer?", 1, 1, is_exact_integer),
    prim("nan?", 1, 1, is_nan),
    prim("zero?", 1, 1, is_zero),
    prim("positive?", 1, 1, is_positive),
    prim("negative?", 1, 1, is_negative),
    prim("odd?", 1, 1, is_odd),
    prim("even?", 1, 1, is_even),
    prim("square", 1, 1, square),
    prim("number->string", 1, 2, number_to_string),
    prim("string->number", 1, 2, string_to_number),
];
