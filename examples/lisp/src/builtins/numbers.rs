//! Numbers: fixnums, bignums and flonums. Fixnum arithmetic is the fast
//! path; a result that does not fit in 63 bits becomes a bignum (and a
//! bignum result that fits becomes a fixnum again, so each integer has one
//! representation). Exact division that does not come out even gives a
//! flonum (there are no rationals).

use std::cmp::Ordering;

use super::{ANY, Args, Primitive, prim};
use crate::bignum::Big;
use crate::errors::Error;
use crate::printer::flonum;
use crate::reader::{Kind, parse_number};
use crate::value::Value;
use crate::vm::Vm;

type Result<T> = std::result::Result<T, Error>;

/// A number read out of a value: bignums are copied out of the heap.
#[derive(Clone, Debug)]
pub(crate) enum Num {
    /// An exact integer that fits in 64 bits (if not in 63, it is stored as a bignum).
    Int(i64),
    /// An exact integer beyond 64 bits, boxed to keep the common cases small.
    Big(Box<Big>),
    Flo(f64),
}

impl Num {
    fn to_f64(&self) -> f64 {
        match self {
            Num::Int(n) => *n as f64,
            Num::Big(n) => n.to_f64(),
            Num::Flo(x) => *x,
        }
    }

    /// The exact integer, as a bignum; `None` for a flonum.
    fn to_big(&self) -> Option<Big> {
        match self {
            Num::Int(n) => Some(Big::from_i64(*n)),
            Num::Big(n) => Some((**n).clone()),
            Num::Flo(_) => None,
        }
    }

    fn is_exact(&self) -> bool {
        !matches!(self, Num::Flo(_))
    }

    /// A bignum result as the smaller representation that holds it.
    fn from_big(n: Big) -> Num {
        n.to_i64().map_or_else(|| Num::Big(Box::new(n)), Num::Int)
    }
}

/// How two numbers compare (`None` if either is a NaN).
fn compare_nums(x: &Num, y: &Num) -> Option<Ordering> {
    match (x, y) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(y)),
        (Num::Flo(_), _) | (_, Num::Flo(_)) => x.to_f64().partial_cmp(&y.to_f64()),
        (x, y) => Some(x.to_big().cmp(&y.to_big())),
    }
}

impl Vm {
    /// `v` as a number.
    #[inline]
    pub(crate) fn num(&self, who: &str, v: Value) -> Result<Num> {
        if let Some(n) = v.as_fixnum() {
            return Ok(Num::Int(n));
        }
        if let Some(x) = self.gc.as_flonum(v) {
            return Ok(Num::Flo(x));
        }
        self.gc
            .as_bignum(v)
            .map(|n| Num::Big(Box::new(n)))
            .ok_or_else(|| Error::wrong_type(who, "a number", v))
    }

    #[inline]
    fn num_arg(&self, who: &str, a: Args, i: usize) -> Result<Num> {
        self.num(who, self.arg(a, i))
    }

    /// A number as a value: a fixnum if it fits, else a bignum or a flonum.
    pub(crate) fn number(&mut self, n: Num) -> Result<Value> {
        match n {
            Num::Int(n) => match Value::fixnum(n) {
                Some(v) => Ok(v),
                None => self.gc.integer(&Big::from_i64(n)),
            },
            Num::Big(n) => self.gc.integer(&n),
            Num::Flo(x) => self.gc.flonum(x),
        }
    }
}

/// The most bits an exact result may have: beyond, a program has almost
/// certainly made a mistake, and would exhaust the heap slowly.
const MAX_BITS: u64 = 1 << 24;

fn too_large(who: &str) -> Error {
    Error::runtime(
        format!("{who}: the exact result would have more than {MAX_BITS} bits"),
        vec![],
    )
}

fn division_by_zero(who: &str) -> Error {
    Error::runtime(format!("{who}: division by zero"), vec![])
}

fn arith(who: &str, a: &Num, b: &Num) -> Result<Num> {
    if let (Num::Int(x), Num::Int(y)) = (a, b) {
        let r = match who {
            "+" => x.checked_add(*y),
            "-" => x.checked_sub(*y),
            "*" => x.checked_mul(*y),
            _ if *y == 0 => return Err(division_by_zero(who)),
            _ if x % y == 0 => x.checked_div(*y),
            _ => return Ok(Num::Flo(*x as f64 / *y as f64)),
        };
        if let Some(r) = r {
            return Ok(Num::Int(r));
        }
    }
    // Converting a flonum's partner to a bignum would be wasted: test first.
    if a.is_exact()
        && b.is_exact()
        && let (Some(x), Some(y)) = (a.to_big(), b.to_big())
    {
        return Ok(Num::from_big(match who {
            "+" => x.add(&y),
            "-" => x.sub(&y),
            "*" => {
                if x.bits() + y.bits() > MAX_BITS {
                    return Err(too_large(who));
                }
                x.mul(&y)
            }
            _ => match x.divrem(&y) {
                None => return Err(division_by_zero(who)),
                Some((q, r)) if r.is_zero() => q,
                Some(_) => return Ok(Num::Flo(x.to_f64() / y.to_f64())),
            },
        }));
    }
    let (x, y) = (a.to_f64(), b.to_f64());
    Ok(Num::Flo(match who {
        "+" => x + y,
        "-" => x - y,
        "*" => x * y,
        _ => x / y,
    }))
}

/// Arguments 0 and 1 as flonums, if one is a flonum and the other a
/// flonum or a fixnum: the common inexact case, done without the general path.
#[inline]
fn two_flonums(vm: &Vm, a: Args) -> Option<(f64, f64)> {
    let (x, y) = (vm.arg(a, 0), vm.arg(a, 1));
    if x.as_fixnum().is_some() && y.as_fixnum().is_some() {
        return None;
    }
    let real = |v: Value| {
        v.as_fixnum()
            .map(|n| n as f64)
            .or_else(|| vm.gc.as_flonum(v))
    };
    Some((real(x)?, real(y)?))
}

/// Folds `+`, `-`, `*` or `/` over the arguments, with `unit` for none (and
/// as the left operand of a single argument to `-` and `/`).
#[inline(always)]
fn fold(vm: &mut Vm, a: Args, who: &'static str, unit: i64) -> Result<Value> {
    // The common case, fixnums with a fixnum result, without leaving fixnums.
    if a.len >= 2 && who != "/" {
        let op = match who {
            "+" => i64::checked_add,
            "-" => i64::checked_sub,
            _ => i64::checked_mul,
        };
        let mut acc = vm.arg(a, 0).as_fixnum();
        for i in 1..a.len {
            acc = acc.and_then(|x| op(x, vm.arg(a, i).as_fixnum()?));
        }
        if let Some(v) = acc.and_then(Value::fixnum) {
            return Ok(v);
        }
    }
    if a.len == 2
        && let Some((x, y)) = two_flonums(vm, a)
    {
        return vm.gc.flonum(match who {
            "+" => x + y,
            "-" => x - y,
            "*" => x * y,
            _ => x / y,
        });
    }
    let mut acc = if a.len == 1 || a.len == 0 {
        Num::Int(unit)
    } else {
        vm.num_arg(who, a, 0)?
    };
    let first = if a.len == 1 { 0 } else { 1 };
    for i in first.min(a.len)..a.len {
        acc = arith(who, &acc, &vm.num_arg(who, a, i)?)?;
    }
    vm.number(acc)
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

#[inline(always)]
fn compare(vm: &mut Vm, a: Args, who: &str, ok: fn(Ordering) -> bool) -> Result<Value> {
    // The common case, fixnums.
    if a.len == 2
        && let (Some(x), Some(y)) = (vm.arg(a, 0).as_fixnum(), vm.arg(a, 1).as_fixnum())
    {
        return Ok(Value::bool(ok(x.cmp(&y))));
    }
    if a.len > 2 && (0..a.len).all(|i| vm.arg(a, i).as_fixnum().is_some()) {
        let n = |i| vm.arg(a, i).as_fixnum().unwrap_or(0);
        return Ok(Value::bool((1..a.len).all(|i| ok(n(i - 1).cmp(&n(i))))));
    }
    if a.len == 2
        && let Some((x, y)) = two_flonums(vm, a)
    {
        return Ok(Value::bool(x.partial_cmp(&y).is_some_and(ok)));
    }
    let mut result = true;
    let mut prev = vm.num_arg(who, a, 0)?;
    for i in 1..a.len {
        let next = vm.num_arg(who, a, i)?;
        result &= compare_nums(&prev, &next).is_some_and(ok);
        prev = next;
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

/// The integer argument `i`, also accepting integral flonums.
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
        return Err(division_by_zero(who));
    }
    let floor = matches!(who, "floor-quotient" | "modulo");
    let quotient = matches!(who, "quotient" | "floor-quotient");
    let r = match (&x, &y) {
        (Num::Int(x), Num::Int(y)) if x.checked_div(*y).is_some() => {
            let (x, y) = (*x, *y);
            let (mut q, mut r) = (x / y, x % y);
            if floor && r != 0 && (r < 0) != (y < 0) {
                q -= 1;
                r += y;
            }
            Num::Int(if quotient { q } else { r })
        }
        _ if x.is_exact() && y.is_exact() => {
            let (xb, yb) = (x.to_big(), y.to_big());
            let (Some(xb), Some(yb)) = (xb, yb) else {
                unreachable!("exact numbers are integers")
            };
            let (mut q, mut r) = xb.divrem(&yb).ok_or_else(|| division_by_zero(who))?;
            if floor && !r.is_zero() && r.is_negative() != yb.is_negative() {
                q = q.sub(&Big::from_i64(1));
                r = r.add(&yb);
            }
            Num::from_big(if quotient { q } else { r })
        }
        _ => {
            let (x, y) = (x.to_f64(), y.to_f64());
            Num::Flo(match who {
                "quotient" => (x / y).trunc(),
                "remainder" => x % y,
                "floor-quotient" => (x / y).floor(),
                _ => x - y * (x / y).floor(),
            })
        }
    };
    vm.number(r)
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
        Num::Int(n) => n
            .checked_abs()
            .map_or_else(|| Num::from_big(Big::from_i64(n).abs()), Num::Int),
        Num::Big(n) => Num::from_big(n.abs()),
        Num::Flo(x) => Num::Flo(x.abs()),
    };
    vm.number(r)
}

fn extremum(vm: &mut Vm, a: Args, want: Ordering) -> Result<Value> {
    let who = if want == Ordering::Greater {
        "max"
    } else {
        "min"
    };
    let mut best = vm.num_arg(who, a, 0)?;
    let mut inexact = !best.is_exact();
    for i in 1..a.len {
        let n = vm.num_arg(who, a, i)?;
        inexact |= !n.is_exact();
        if compare_nums(&n, &best) == Some(want) {
            best = n;
        }
    }
    if inexact {
        best = Num::Flo(best.to_f64());
    }
    vm.number(best)
}

fn min(vm: &mut Vm, a: Args) -> Result<Value> {
    extremum(vm, a, Ordering::Less)
}
fn max(vm: &mut Vm, a: Args) -> Result<Value> {
    extremum(vm, a, Ordering::Greater)
}

/// The exact integer argument `i`.
fn exact_integer(vm: &Vm, who: &str, a: Args, i: usize) -> Result<Big> {
    vm.num_arg(who, a, i)?
        .to_big()
        .ok_or_else(|| Error::wrong_type(who, "an exact integer", vm.arg(a, i)))
}

fn gcd(vm: &mut Vm, a: Args) -> Result<Value> {
    let mut g = Big::from_i64(0);
    for i in 0..a.len {
        g = g.gcd(&exact_integer(vm, "gcd", a, i)?);
    }
    vm.number(Num::from_big(g))
}

fn lcm(vm: &mut Vm, a: Args) -> Result<Value> {
    let mut l = Big::from_i64(1);
    for i in 0..a.len {
        let n = exact_integer(vm, "lcm", a, i)?;
        if n.is_zero() {
            return Ok(Value::small(0));
        }
        let (q, _) = l
            .divrem(&l.gcd(&n))
            .ok_or_else(|| division_by_zero("lcm"))?;
        l = q.mul(&n.abs());
    }
    vm.number(Num::from_big(l))
}

fn expt(vm: &mut Vm, a: Args) -> Result<Value> {
    let (base, e) = (vm.num_arg("expt", a, 0)?, vm.num_arg("expt", a, 1)?);
    let r = match (&base, &e) {
        (Num::Int(b), Num::Int(e))
            if *e >= 0 && u32::try_from(*e).is_ok_and(|e| b.checked_pow(e).is_some()) =>
        {
            Num::Int(b.pow(*e as u32))
        }
        (b, Num::Int(e)) if *e >= 0 && b.is_exact() => {
            let b = b.to_big().expect("an exact number is an integer");
            // 0, 1 and -1 stay small whatever the exponent.
            if b.bits() > 1 && b.bits().saturating_mul(*e as u64) > MAX_BITS {
                return Err(too_large("expt"));
            }
            Num::from_big(b.pow(*e as u64))
        }
        (b, e) => Num::Flo(b.to_f64().powf(e.to_f64())),
    };
    vm.number(r)
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
    let root = n.to_f64().sqrt();
    let r = match n.to_big() {
        // An exact square has an exact root.
        Some(big) if root.is_finite() && root.fract() == 0.0 => {
            let exact = Big::from_f64(root);
            if exact.mul(&exact) == big {
                Num::from_big(exact)
            } else {
                Num::Flo(root)
            }
        }
        _ => Num::Flo(root),
    };
    vm.number(r)
}

fn inexact(vm: &mut Vm, a: Args) -> Result<Value> {
    let x = vm.num_arg("inexact", a, 0)?.to_f64();
    vm.gc.flonum(x)
}

fn exact(vm: &mut Vm, a: Args) -> Result<Value> {
    match vm.num_arg("exact", a, 0)? {
        Num::Flo(x) if x.fract() == 0.0 && x.is_finite() => {
            vm.number(Num::from_big(Big::from_f64(x)))
        }
        Num::Flo(_) => Err(Error::wrong_type(
            "exact",
            "an integral flonum (there are no rationals)",
            vm.arg(a, 0),
        )),
        _ => Ok(vm.arg(a, 0)),
    }
}

fn rounding(vm: &mut Vm, a: Args, who: &'static str, f: fn(f64) -> f64) -> Result<Value> {
    match vm.num_arg(who, a, 0)? {
        Num::Flo(x) => vm.gc.flonum(f(x)),
        _ => Ok(vm.arg(a, 0)),
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

fn predicate(vm: &mut Vm, a: Args, test: fn(&Num) -> bool) -> Result<Value> {
    let v = vm.arg(a, 0);
    Ok(Value::bool(vm.num("number?", v).is_ok_and(|n| test(&n))))
}

fn is_number(vm: &mut Vm, a: Args) -> Result<Value> {
    predicate(vm, a, |_| true)
}
fn is_integer(vm: &mut Vm, a: Args) -> Result<Value> {
    predicate(vm, a, |n| match n {
        Num::Flo(x) => x.is_finite() && x.fract() == 0.0,
        _ => true,
    })
}
fn is_rational(vm: &mut Vm, a: Args) -> Result<Value> {
    predicate(vm, a, |n| n.is_exact() || n.to_f64().is_finite())
}
fn is_exact(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(vm.num_arg("exact?", a, 0)?.is_exact()))
}
fn is_inexact(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(!vm.num_arg("inexact?", a, 0)?.is_exact()))
}
fn is_exact_integer(vm: &mut Vm, a: Args) -> Result<Value> {
    predicate(vm, a, Num::is_exact)
}

/// A test of argument 0's value as a flonum, which keeps the sign of any
/// bignum and whether it is infinite or NaN.
fn float_test(vm: &mut Vm, a: Args, who: &str, ok: fn(f64) -> bool) -> Result<Value> {
    let n = vm.num_arg(who, a, 0)?;
    Ok(Value::bool(ok(n.to_f64())))
}
fn is_nan(vm: &mut Vm, a: Args) -> Result<Value> {
    float_test(vm, a, "nan?", f64::is_nan)
}
fn is_finite(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = vm.num_arg("finite?", a, 0)?;
    Ok(Value::bool(n.is_exact() || n.to_f64().is_finite()))
}
fn is_infinite(vm: &mut Vm, a: Args) -> Result<Value> {
    let n = vm.num_arg("infinite?", a, 0)?;
    Ok(Value::bool(!n.is_exact() && n.to_f64().is_infinite()))
}
fn is_zero(vm: &mut Vm, a: Args) -> Result<Value> {
    float_test(vm, a, "zero?", |x| x == 0.0)
}
fn is_positive(vm: &mut Vm, a: Args) -> Result<Value> {
    float_test(vm, a, "positive?", |x| x > 0.0)
}
fn is_negative(vm: &mut Vm, a: Args) -> Result<Value> {
    float_test(vm, a, "negative?", |x| x < 0.0)
}

fn parity(vm: &mut Vm, a: Args, who: &str, odd: bool) -> Result<Value> {
    let n = match integer(vm, who, a, 0)? {
        Num::Int(n) => n % 2 != 0,
        Num::Big(n) => n.is_odd(),
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
    let r = arith("*", &n, &n)?;
    vm.number(r)
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
        Num::Big(n) => n.to_string_radix(r),
        Num::Flo(x) => flonum(x),
    };
    vm.gc.string(&s)
}

fn string_to_number(vm: &mut Vm, a: Args) -> Result<Value> {
    let s = vm.obj_arg("string->number", a, 0, vm.gc.t.string, "a string")?;
    let text = vm.gc.rust_string(s);
    let r = radix(vm, "string->number", a, 1)?;
    match parse_number(&text, r) {
        Ok(Kind::Int(n)) => vm.number(Num::Int(n)),
        Ok(Kind::Big(n)) => vm.number(Num::from_big(n)),
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
    prim("rational?", 1, 1, is_rational),
    prim("integer?", 1, 1, is_integer),
    prim("exact?", 1, 1, is_exact),
    prim("inexact?", 1, 1, is_inexact),
    prim("exact-integer?", 1, 1, is_exact_integer),
    prim("nan?", 1, 1, is_nan),
    prim("finite?", 1, 1, is_finite),
    prim("infinite?", 1, 1, is_infinite),
    prim("zero?", 1, 1, is_zero),
    prim("positive?", 1, 1, is_positive),
    prim("negative?", 1, 1, is_negative),
    prim("odd?", 1, 1, is_odd),
    prim("even?", 1, 1, is_even),
    prim("square", 1, 1, square),
    prim("number->string", 1, 2, number_to_string),
    prim("string->number", 1, 2, string_to_number),
];
