//! Exact integers of any size, as Rust values: the arithmetic on bignums
//! copied out of the heap (see `Gc::bignum`), whose results are copied
//! back in. Limbs are 32 bits so that a product or a two-limb dividend fits
//! in a `u64`; the algorithms are the schoolbook ones (Knuth's algorithm D
//! for division), which the interpreter's workloads, thousands of digits
//! at most, do not outgrow.

use std::cmp::Ordering;

/// An integer: a sign and a magnitude, least significant limb first, with
/// no high zero limbs (so zero has none, and is never negative).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Big {
    neg: bool,
    mag: Vec<u32>,
}

/// The largest power of ten in a limb, and its exponent: decimal text
/// goes in and out nine digits at a time.
const CHUNK: (u32, u32) = (1_000_000_000, 9);

fn trim(mut mag: Vec<u32>) -> Vec<u32> {
    while mag.last() == Some(&0) {
        mag.pop();
    }
    mag
}

fn cmp_mag(a: &[u32], b: &[u32]) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

fn add_mag(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(long.len() + 1);
    let mut carry = 0u64;
    for (i, &x) in long.iter().enumerate() {
        let sum = x as u64 + short.get(i).copied().unwrap_or(0) as u64 + carry;
        out.push(sum as u32);
        carry = sum >> 32;
    }
    if carry != 0 {
        out.push(carry as u32);
    }
    out
}

/// `a - b`, where `a >= b`.
fn sub_mag(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i64;
    for (i, &x) in a.iter().enumerate() {
        let d = x as i64 - b.get(i).copied().unwrap_or(0) as i64 - borrow;
        out.push(d as u32);
        borrow = i64::from(d < 0);
    }
    trim(out)
}

fn mul_mag(a: &[u32], b: &[u32]) -> Vec<u32> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let mut out = vec![0u32; a.len() + b.len()];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &y) in b.iter().enumerate() {
            let t = x as u64 * y as u64 + out[i + j] as u64 + carry;
            out[i + j] = t as u32;
            carry = t >> 32;
        }
        out[i + b.len()] = carry as u32;
    }
    trim(out)
}

/// `a * m + add`, in place.
fn mul_small_add(a: &mut Vec<u32>, m: u32, add: u32) {
    let mut carry = add as u64;
    for x in a.iter_mut() {
        let t = *x as u64 * m as u64 + carry;
        *x = t as u32;
        carry = t >> 32;
    }
    if carry != 0 {
        a.push(carry as u32);
    }
}

/// `a / d` in place; returns the remainder.
fn div_small(a: &mut Vec<u32>, d: u32) -> u32 {
    let mut rem = 0u64;
    for x in a.iter_mut().rev() {
        let cur = (rem << 32) | *x as u64;
        *x = (cur / d as u64) as u32;
        rem = cur % d as u64;
    }
    *a = trim(std::mem::take(a));
    rem as u32
}

fn shl_mag(a: &[u32], s: u32) -> Vec<u32> {
    if s == 0 {
        return a.to_vec();
    }
    let mut out = Vec::with_capacity(a.len() + 1);
    let mut carry = 0u32;
    for &x in a {
        out.push((x << s) | carry);
        carry = x >> (32 - s);
    }
    out.push(carry);
    out
}

/// Quotient and remainder of magnitudes, `b` non-zero: Knuth's algorithm D
/// (as in Hacker's Delight's `divmnu`).
fn divrem_mag(a: &[u32], b: &[u32]) -> (Vec<u32>, Vec<u32>) {
    if cmp_mag(a, b) == Ordering::Less {
        return (Vec::new(), a.to_vec());
    }
    if let [d] = b {
        let mut q = a.to_vec();
        let r = div_small(&mut q, *d);
        return (q, trim(vec![r]));
    }
    // Normalize so that the divisor's top limb has its high bit set, which
    // makes each estimated quotient limb at most two too large.
    let s = b[b.len() - 1].leading_zeros();
    let v = trim(shl_mag(b, s));
    let mut u = shl_mag(a, s);
    if u.len() == a.len() {
        u.push(0);
    }
    let n = v.len();
    let m = u.len() - n;
    let mut q = vec![0u32; m];
    let base = 1u64 << 32;
    for j in (0..m).rev() {
        let num = ((u[j + n] as u64) << 32) | u[j + n - 1] as u64;
        let mut qhat = num / v[n - 1] as u64;
        let mut rhat = num % v[n - 1] as u64;
        while qhat >= base
            || (qhat as u128) * (v[n - 2] as u128) > (((rhat as u128) << 32) | u[j + n - 2] as u128)
        {
            qhat -= 1;
            rhat += v[n - 1] as u64;
            if rhat >= base {
                break;
            }
        }
        let mut k = 0i64;
        for i in 0..n {
            let p = qhat * v[i] as u64;
            let t = u[i + j] as i64 - k - (p & 0xffff_ffff) as i64;
            u[i + j] = t as u32;
            k = (p >> 32) as i64 - (t >> 32);
        }
        let t = u[j + n] as i64 - k;
        u[j + n] = t as u32;
        if t < 0 {
            // The estimate was one too large: add the divisor back.
            qhat -= 1;
            let mut carry = 0u64;
            for i in 0..n {
                let sum = u[i + j] as u64 + v[i] as u64 + carry;
                u[i + j] = sum as u32;
                carry = sum >> 32;
            }
            u[j + n] = u[j + n].wrapping_add(carry as u32);
        }
        q[j] = qhat as u32;
    }
    let r: Vec<u32> = if s == 0 {
        u[..n].to_vec()
    } else {
        (0..n)
            .map(|i| (u[i] >> s) | (u[i + 1] << (32 - s)))
            .collect()
    };
    (trim(q), trim(r))
}

impl Big {
    fn new(neg: bool, mag: Vec<u32>) -> Big {
        let mag = trim(mag);
        Big {
            neg: neg && !mag.is_empty(),
            mag,
        }
    }

    /// The integer with this sign and these limbs, least significant first.
    pub(crate) fn from_limbs(neg: bool, limbs: Vec<u32>) -> Big {
        Big::new(neg, limbs)
    }

    /// The magnitude's limbs, least significant first.
    pub(crate) fn limbs(&self) -> &[u32] {
        &self.mag
    }

    pub(crate) fn from_i64(n: i64) -> Big {
        let m = n.unsigned_abs();
        Big::new(n < 0, vec![m as u32, (m >> 32) as u32])
    }

    /// The integer, if it fits in an `i64`.
    pub(crate) fn to_i64(&self) -> Option<i64> {
        if self.mag.len() > 2 {
            return None;
        }
        let m = self
            .mag
            .iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 32) | x as u64);
        if self.neg {
            0i64.checked_sub_unsigned(m)
        } else {
            i64::try_from(m).ok()
        }
    }

    /// The integer an integral flonum stands for exactly.
    pub(crate) fn from_f64(x: f64) -> Big {
        if x == 0.0 {
            return Big::new(false, Vec::new());
        }
        let bits = x.abs().to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i64 - 1075;
        let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
        let mut b = Big::from_i64(mantissa as i64);
        if exponent >= 0 {
            let shift = exponent as u32;
            let mut mag = vec![0u32; (shift / 32) as usize];
            mag.extend(shl_mag(&b.mag, shift % 32));
            b.mag = trim(mag);
        } else {
            b = Big::from_i64((mantissa >> (-exponent).min(63)) as i64);
        }
        b.neg = x < 0.0 && !b.mag.is_empty();
        b
    }

    /// The nearest flonum (infinite beyond its range).
    pub(crate) fn to_f64(&self) -> f64 {
        // The top three limbs hold the 53 significant bits and the rounding.
        let top = self.mag.len().saturating_sub(3);
        let mut x = 0.0;
        for &limb in self.mag[top..].iter().rev() {
            x = x * 4_294_967_296.0 + limb as f64;
        }
        let x = x * 2f64.powi(32 * top as i32);
        if self.neg { -x } else { x }
    }

    pub(crate) fn is_negative(&self) -> bool {
        self.neg
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.mag.is_empty()
    }

    pub(crate) fn is_odd(&self) -> bool {
        self.mag.first().is_some_and(|&x| x & 1 == 1)
    }

    /// The number of significant bits of the magnitude.
    pub(crate) fn bits(&self) -> u64 {
        self.mag.last().map_or(0, |&top| {
            32 * self.mag.len() as u64 - top.leading_zeros() as u64
        })
    }

    pub(crate) fn neg(&self) -> Big {
        Big::new(!self.neg, self.mag.clone())
    }

    pub(crate) fn abs(&self) -> Big {
        Big::new(false, self.mag.clone())
    }

    pub(crate) fn add(&self, other: &Big) -> Big {
        if self.neg == other.neg {
            return Big::new(self.neg, add_mag(&self.mag, &other.mag));
        }
        match cmp_mag(&self.mag, &other.mag) {
            Ordering::Less => Big::new(other.neg, sub_mag(&other.mag, &self.mag)),
            _ => Big::new(self.neg, sub_mag(&self.mag, &other.mag)),
        }
    }

    pub(crate) fn sub(&self, other: &Big) -> Big {
        self.add(&other.neg())
    }

    pub(crate) fn mul(&self, other: &Big) -> Big {
        Big::new(self.neg != other.neg, mul_mag(&self.mag, &other.mag))
    }

    /// The truncating quotient and the remainder (with the dividend's
    /// sign); `None` for a zero divisor.
    pub(crate) fn divrem(&self, other: &Big) -> Option<(Big, Big)> {
        if other.is_zero() {
            return None;
        }
        let (q, r) = divrem_mag(&self.mag, &other.mag);
        Some((Big::new(self.neg != other.neg, q), Big::new(self.neg, r)))
    }

    pub(crate) fn pow(&self, mut e: u64) -> Big {
        let (mut base, mut acc) = (self.clone(), Big::from_i64(1));
        while e > 0 {
            if e & 1 == 1 {
                acc = acc.mul(&base);
            }
            e >>= 1;
            if e > 0 {
                base = base.mul(&base);
            }
        }
        acc
    }

    pub(crate) fn gcd(&self, other: &Big) -> Big {
        let (mut a, mut b) = (self.abs(), other.abs());
        while let Some((_, r)) = a.divrem(&b) {
            (a, b) = (b, r);
        }
        a
    }

    /// The digits in `radix` (2 to 16), with a `-` if negative.
    pub(crate) fn to_string_radix(&self, radix: u32) -> String {
        if self.is_zero() {
            return "0".into();
        }
        // The largest power of the radix in a limb, and its exponent.
        let (mut chunk, mut width) = (radix, 1);
        while let Some(next) = chunk.checked_mul(radix) {
            (chunk, width) = (next, width + 1);
        }
        let mut mag = self.mag.clone();
        let mut chunks = Vec::new();
        while !mag.is_empty() {
            chunks.push(div_small(&mut mag, chunk));
        }
        let mut out = String::from(if self.neg { "-" } else { "" });
        for (i, &c) in chunks.iter().rev().enumerate() {
            let digits = to_radix(c, radix);
            if i > 0 {
                out.extend(std::iter::repeat_n('0', width - digits.len()));
            }
            out.push_str(&digits);
        }
        out
    }

    /// The integer written with these digits in `radix`, and an optional
    /// sign; `None` if a character is not a digit.
    pub(crate) fn parse(text: &str, radix: u32) -> Option<Big> {
        let (neg, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        if digits.is_empty() {
            return None;
        }
        let chunk = if radix == 10 { CHUNK } else { (radix, 1) };
        let mut mag = Vec::new();
        let chars: Vec<char> = digits.chars().collect();
        let first = chars.len() % chunk.1 as usize;
        let mut groups = vec![&chars[..first]];
        groups.extend(chars[first..].chunks(chunk.1 as usize));
        for group in groups.into_iter().filter(|g| !g.is_empty()) {
            let mut value = 0u32;
            for c in group {
                value = value * radix + c.to_digit(radix)?;
            }
            mul_small_add(&mut mag, radix.pow(group.len() as u32), value);
        }
        Some(Big::new(neg, mag))
    }
}

fn to_radix(mut n: u32, radix: u32) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(char::from_digit(n % radix, radix).unwrap_or('?'));
        n /= radix;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().collect()
}

impl Ord for Big {
    fn cmp(&self, other: &Big) -> Ordering {
        match (self.neg, other.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => cmp_mag(&self.mag, &other.mag),
            (true, true) => cmp_mag(&other.mag, &self.mag),
        }
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Big) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(s: &str) -> Big {
        Big::parse(s, 10).unwrap()
    }

    #[test]
    fn arithmetic_agrees_with_i128() {
        let samples: [i128; 12] = [
            0,
            1,
            -1,
            7,
            -13,
            1 << 32,
            (1 << 32) - 1,
            -(1 << 40) + 12345,
            i64::MAX as i128,
            i64::MIN as i128,
            123_456_789_012_345_678,
            -987_654_321_987_654_321,
        ];
        let of = |n: i128| big(&n.to_string());
        for &x in &samples {
            for &y in &samples {
                let (bx, by) = (of(x), of(y));
                assert_eq!(bx.add(&by), of(x + y), "{x} + {y}");
                assert_eq!(bx.sub(&by), of(x - y), "{x} - {y}");
                assert_eq!(bx.cmp(&by), x.cmp(&y), "{x} <=> {y}");
                if let Some(p) = x.checked_mul(y) {
                    assert_eq!(bx.mul(&by), of(p), "{x} * {y}");
                }
                if y != 0 {
                    let (q, r) = bx.divrem(&by).unwrap();
                    assert_eq!((q, r), (of(x / y), of(x % y)), "{x} / {y}");
                }
            }
        }
    }

    #[test]
    fn long_division_and_text() {
        let a = big("123456789012345678901234567890123456789012345678901234567890");
        let b = big("98765432109876543210987654321");
        let (q, r) = a.divrem(&b).unwrap();
        assert_eq!(q.mul(&b).add(&r), a);
        assert!(r.abs() < b.abs());
        assert_eq!(q.to_string_radix(10), "1249999988609375000142382812499");
        let f = (1..=30).fold(Big::from_i64(1), |acc, n| acc.mul(&Big::from_i64(n)));
        assert_eq!(f.to_string_radix(10), "265252859812191058636308480000000");
        assert_eq!(f.neg().to_string_radix(16), "-d13f6370f96865df5dd54000000");
        assert_eq!(
            Big::parse("-d13f6370f96865df5dd54000000", 16),
            Some(f.neg())
        );
        assert_eq!(Big::from_i64(2).pow(100).to_f64(), 2f64.powi(100));
        assert_eq!(
            Big::from_f64(-1e30).to_string_radix(10),
            "-1000000000000000019884624838656"
        );
        assert_eq!(Big::from_i64(-6).gcd(&Big::from_i64(4)), Big::from_i64(2));
    }
}
