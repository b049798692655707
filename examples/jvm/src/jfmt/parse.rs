//! `Integer.parseInt`, `Long.parseLong`, `Double.parseDouble` and
//! `Float.parseFloat` with the messages of the `NumberFormatException`s that
//! JDK 17 throws.

/// Runs of BMP characters that `Character.digit(ch, 36)` of JDK 17 accepts
/// beyond ASCII (first char, last char, value of the first), generated from
/// that method: the Unicode decimal digits (Nd) and the fullwidth Latin
/// letters. `parseInt("١٢٣")` is 123 in Java.
const UNICODE_DIGIT_RUNS: [(u32, u32, u32); 38] = [
    (0x0660, 0x0669, 0),
    (0x06F0, 0x06F9, 0),
    (0x07C0, 0x07C9, 0),
    (0x0966, 0x096F, 0),
    (0x09E6, 0x09EF, 0),
    (0x0A66, 0x0A6F, 0),
    (0x0AE6, 0x0AEF, 0),
    (0x0B66, 0x0B6F, 0),
    (0x0BE6, 0x0BEF, 0),
    (0x0C66, 0x0C6F, 0),
    (0x0CE6, 0x0CEF, 0),
    (0x0D66, 0x0D6F, 0),
    (0x0DE6, 0x0DEF, 0),
    (0x0E50, 0x0E59, 0),
    (0x0ED0, 0x0ED9, 0),
    (0x0F20, 0x0F29, 0),
    (0x1040, 0x1049, 0),
    (0x1090, 0x1099, 0),
    (0x17E0, 0x17E9, 0),
    (0x1810, 0x1819, 0),
    (0x1946, 0x194F, 0),
    (0x19D0, 0x19D9, 0),
    (0x1A80, 0x1A89, 0),
    (0x1A90, 0x1A99, 0),
    (0x1B50, 0x1B59, 0),
    (0x1BB0, 0x1BB9, 0),
    (0x1C40, 0x1C49, 0),
    (0x1C50, 0x1C59, 0),
    (0xA620, 0xA629, 0),
    (0xA8D0, 0xA8D9, 0),
    (0xA900, 0xA909, 0),
    (0xA9D0, 0xA9D9, 0),
    (0xA9F0, 0xA9F9, 0),
    (0xAA50, 0xAA59, 0),
    (0xABF0, 0xABF9, 0),
    (0xFF10, 0xFF19, 0),
    (0xFF21, 0xFF3A, 10),
    (0xFF41, 0xFF5A, 10),
];

/// `Character.digit(char, radix)` for a radix in 2..=36; characters outside
/// the BMP are two `char`s in Java, neither of them a digit.
fn java_digit(c: char, radix: u32) -> i64 {
    let c = c as u32;
    let value = match c {
        0x30..=0x39 => Some(c - 0x30),
        0x41..=0x5A => Some(c - 0x41 + 10),
        0x61..=0x7A => Some(c - 0x61 + 10),
        0x80..=0xFFFF => UNICODE_DIGIT_RUNS
            .iter()
            .find(|&&(lo, hi, _)| (lo..=hi).contains(&c))
            .map(|&(lo, _, first)| c - lo + first),
        _ => None,
    };
    match value {
        Some(v) if v < radix => i64::from(v),
        _ => -1,
    }
}

fn for_input_string(s: &str, radix: u32) -> String {
    if radix == 10 {
        format!("For input string: \"{s}\"")
    } else {
        format!("For input string: \"{s}\" under radix {radix}")
    }
}

/// The shared body of `Integer.parseInt` and `Long.parseLong`, which
/// accumulate negatively so that the minimum value parses.
fn parse_integer(s: &str, radix: u32, min: i64, max: i64) -> Result<i64, String> {
    if radix < 2 {
        return Err(format!("radix {radix} less than Character.MIN_RADIX"));
    }
    if radix > 36 {
        return Err(format!("radix {radix} greater than Character.MAX_RADIX"));
    }
    let err = || for_input_string(s, radix);
    let chars: Vec<char> = s.chars().collect();
    let Some(&first) = chars.first() else {
        return Err(err());
    };
    let mut negative = false;
    let mut limit = -max;
    let mut i = 0;
    if first < '0' {
        if first == '-' {
            negative = true;
            limit = min;
        } else if first != '+' {
            return Err(err());
        }
        if chars.len() == 1 {
            return Err(err());
        }
        i = 1;
    }
    let radix_i = i64::from(radix);
    let multmin = limit / radix_i;
    let mut result = 0i64;
    for &c in &chars[i..] {
        let digit = java_digit(c, radix);
        if digit < 0 || result < multmin {
            return Err(err());
        }
        result *= radix_i;
        if result < limit + digit {
            return Err(err());
        }
        result -= digit;
    }
    Ok(if negative { result } else { -result })
}

/// `Integer.parseInt(s, radix)`; `Err` holds the `NumberFormatException`
/// message, e.g. `For input string: "abc"`, `For input string: "z" under
/// radix 16` or `radix 99 greater than Character.MAX_RADIX`.
pub fn parse_int(s: &str, radix: u32) -> Result<i32, String> {
    parse_integer(s, radix, i64::from(i32::MIN), i64::from(i32::MAX)).map(|v| v as i32)
}

/// `Long.parseLong(s, radix)`, with the same messages as [`parse_int`]
/// (Java does not accept a trailing 'L').
pub fn parse_long(s: &str, radix: u32) -> Result<i64, String> {
    parse_integer(s, radix, i64::MIN, i64::MAX)
}

/// `Double.parseDouble(s)`: surrounding characters <= ' ' are ignored,
/// "NaN", "Infinity", an optional trailing d/D/f/F and hexadecimal
/// floating-point ("0x1.8p1") are accepted; decimal input is rounded
/// correctly. `Err` holds the `NumberFormatException` message: "empty
/// String", "multiple points" or `For input string: "<trimmed input>"`.
pub fn parse_double(s: &str) -> Result<f64, String> {
    Ok(match read_java_format_string(s)? {
        Parsed::Value(v) => v,
        Parsed::Decimal(text) => text.parse::<f64>().map_err(|e| e.to_string())?,
        Parsed::Hex(h) => f64::from_bits(h.round(53, 1023, 63)),
    })
}

/// `Float.parseFloat(s)`: the grammar and messages of [`parse_double`],
/// rounded once, directly to single precision.
pub fn parse_float(s: &str) -> Result<f32, String> {
    Ok(match read_java_format_string(s)? {
        Parsed::Value(v) => v as f32,
        Parsed::Decimal(text) => text.parse::<f32>().map_err(|e| e.to_string())?,
        Parsed::Hex(h) => f32::from_bits(h.round(24, 127, 31) as u32),
    })
}

enum Parsed {
    /// NaN, an infinity or a zero.
    Value(f64),
    /// A decimal number respelled for Rust's (correctly rounding) parser.
    Decimal(String),
    Hex(HexValue),
}

/// `FloatingDecimal.readJavaFormatString`, which decides what is a number
/// and which message a non-number gets.
fn read_java_format_string(input: &str) -> Result<Parsed, String> {
    let s = input.trim_matches(|c: char| c <= ' ');
    if s.is_empty() {
        return Err("empty String".to_owned());
    }
    let bad = || format!("For input string: \"{s}\"");
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len();
    let mut i = 0;
    let mut negative = false;
    let mut sign_seen = false;
    match chars[0] {
        '-' => {
            negative = true;
            sign_seen = true;
            i = 1;
        }
        '+' => {
            sign_seen = true;
            i = 1;
        }
        _ => {}
    }
    let sign = if negative { -1.0 } else { 1.0 };
    let Some(&c) = chars.get(i) else {
        return Err(bad());
    };
    if c == 'N' {
        return if chars[i..] == ['N', 'a', 'N'] {
            Ok(Parsed::Value(f64::NAN))
        } else {
            Err(bad())
        };
    }
    if c == 'I' {
        let rest: String = chars[i..].iter().collect();
        return if rest == "Infinity" {
            Ok(Parsed::Value(sign * f64::INFINITY))
        } else {
            Err(bad())
        };
    }
    if c == '0' && matches!(chars.get(i + 1), Some('x' | 'X')) {
        return parse_hex(&chars).map(|h| match h {
            Some(h) => Parsed::Hex(h),
            None => Parsed::Value(sign * 0.0),
        });
    }

    let mut digits = String::new();
    let mut dec_seen = false;
    let mut dec_pt = 0i64;
    let mut n_lead_zero = 0i64;
    let mut n_trail_zero = 0usize;
    let see_point = |i: usize, dec_seen: &mut bool, dec_pt: &mut i64| {
        if *dec_seen {
            return Err("multiple points".to_owned());
        }
        *dec_pt = i as i64 - i64::from(sign_seen);
        *dec_seen = true;
        Ok(())
    };
    while i < len {
        match chars[i] {
            '0' => n_lead_zero += 1,
            '.' => see_point(i, &mut dec_seen, &mut dec_pt)?,
            _ => break,
        }
        i += 1;
    }
    while i < len {
        match chars[i] {
            c @ '1'..='9' => {
                digits.push(c);
                n_trail_zero = 0;
            }
            '0' => {
                digits.push('0');
                n_trail_zero += 1;
            }
            '.' => see_point(i, &mut dec_seen, &mut dec_pt)?,
            _ => break,
        }
        i += 1;
    }
    digits.truncate(digits.len() - n_trail_zero);
    let n_digits = digits.len() as i64;
    let is_zero = digits.is_empty();
    if is_zero && n_lead_zero == 0 {
        return Err(bad());
    }
    let mut dec_exp: i64 = if dec_seen {
        dec_pt - n_lead_zero
    } else {
        n_digits + n_trail_zero as i64
    };
    if i < len && matches!(chars[i], 'e' | 'E') {
        i += 1;
        let Some(&c) = chars.get(i) else {
            return Err(bad());
        };
        let mut exp_sign = 1i64;
        if c == '-' || c == '+' {
            if c == '-' {
                exp_sign = -1;
            }
            i += 1;
        }
        let exp_at = i;
        // Java reads the exponent into an int and, past the point where it
        // could overflow, clamps it; the clamped value still gives the same
        // infinity or zero.
        let really_big = i64::from(i32::MAX / 10);
        let mut exp_val = 0i64;
        let mut exp_overflow = false;
        while i < len {
            if exp_val >= really_big {
                exp_overflow = true;
            }
            let c = chars[i];
            if c.is_ascii_digit() {
                exp_val = (exp_val * 10 + i64::from(c as u32 - '0' as u32)) as i32 as i64;
                i += 1;
            } else {
                break;
            }
        }
        let exp_limit = 324 + n_digits + n_trail_zero as i64;
        if exp_overflow || exp_val > exp_limit {
            if !exp_overflow && exp_sign == 1 && dec_exp < 0 && exp_val + dec_exp < exp_limit {
                dec_exp += exp_val;
            } else {
                dec_exp = exp_sign * exp_limit;
            }
        } else {
            dec_exp += exp_sign * exp_val;
        }
        if i == exp_at {
            return Err(bad());
        }
    }
    if i < len && (i != len - 1 || !matches!(chars[i], 'f' | 'F' | 'd' | 'D')) {
        return Err(bad());
    }
    if is_zero {
        return Ok(Parsed::Value(sign * 0.0));
    }
    let minus = if negative { "-" } else { "" };
    Ok(Parsed::Decimal(format!("{minus}0.{digits}e{dec_exp}")))
}

/// A hexadecimal significand reduced to 64 bits: the value is
/// `mantissa × 2^exp2`, plus something nonzero below it when `sticky`.
struct HexValue {
    negative: bool,
    mantissa: u64,
    exp2: i64,
    sticky: bool,
    /// The exponent overflowed an `int`: Java gives an infinity or a zero.
    saturated: Option<bool>,
}

impl HexValue {
    /// Rounds to nearest-even into an IEEE format with `mant_bits` bits of
    /// significand (hidden bit included), exponent bias `bias` and the sign
    /// at bit `sign_bit`; returns the bit pattern.
    fn round(&self, mant_bits: u32, bias: i64, sign_bit: u32) -> u64 {
        let sign = u64::from(self.negative) << sign_bit;
        let inf = ((2 * bias + 1) as u64) << (mant_bits - 1);
        let magnitude = match self.saturated {
            Some(true) => inf,
            Some(false) => 0,
            None => round_bits(self.mantissa, self.exp2, self.sticky, mant_bits, bias, inf),
        };
        sign | magnitude
    }
}

fn round_bits(m: u64, e2: i64, sticky: bool, mant_bits: u32, bias: i64, inf: u64) -> u64 {
    if m == 0 {
        return 0;
    }
    let lz = m.leading_zeros();
    let m = u128::from(m << lz);
    let top = e2 - i64::from(lz) + 63;
    let min_exp = 1 - bias;
    if top > bias {
        return inf;
    }
    let keep = if top >= min_exp {
        i64::from(mant_bits)
    } else {
        i64::from(mant_bits) - (min_exp - top)
    };
    if keep < 0 {
        return 0;
    }
    let shift = 64 - keep as u32;
    let kept = (m >> shift) as u64;
    let rem = m & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    let up = rem > half || (rem == half && (sticky || kept & 1 == 1));
    let field = if top >= min_exp {
        (top + bias - 1) as u64
    } else {
        0
    };
    ((field << (mant_bits - 1)) + kept + u64::from(up)).min(inf)
}

/// Matches `([-+])?0[xX](((\p{XDigit}+)\.?)|((\p{XDigit}*)\.(\p{XDigit}+)))
/// [pP]([-+])?(\p{Digit}+)[fFdD]?` as `parseHexString` does; `Ok(None)`
/// is a zero significand.
fn parse_hex(chars: &[char]) -> Result<Option<HexValue>, String> {
    let bad = || {
        let s: String = chars.iter().collect();
        format!("For input string: \"{s}\"")
    };
    let mut i = 0;
    let negative = chars[0] == '-';
    if matches!(chars[0], '-' | '+') {
        i = 1;
    }
    i += 2; // "0x", checked by the caller
    let int_start = i;
    while i < chars.len() && chars[i].is_ascii_hexdigit() {
        i += 1;
    }
    let int_digits = &chars[int_start..i];
    let mut frac_digits: &[char] = &[];
    let mut point = false;
    if chars.get(i) == Some(&'.') {
        point = true;
        i += 1;
        let frac_start = i;
        while i < chars.len() && chars[i].is_ascii_hexdigit() {
            i += 1;
        }
        frac_digits = &chars[frac_start..i];
    }
    if int_digits.is_empty() && (!point || frac_digits.is_empty()) {
        return Err(bad());
    }
    if !matches!(chars.get(i), Some('p' | 'P')) {
        return Err(bad());
    }
    i += 1;
    let mut exp_negative = false;
    if let Some(&c @ ('-' | '+')) = chars.get(i) {
        exp_negative = c == '-';
        i += 1;
    }
    let exp_start = i;
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    let exp_digits: String = chars[exp_start..i].iter().collect();
    if exp_digits.is_empty() {
        return Err(bad());
    }
    if matches!(chars.get(i), Some('f' | 'F' | 'd' | 'D')) {
        i += 1;
    }
    if i != chars.len() {
        return Err(bad());
    }

    let all: Vec<u32> = int_digits
        .iter()
        .chain(frac_digits)
        .filter_map(|c| c.to_digit(16))
        .skip_while(|&d| d == 0)
        .collect();
    if all.is_empty() {
        return Ok(None);
    }
    let Ok(raw_exp) = exp_digits.parse::<i32>() else {
        return Ok(Some(HexValue {
            negative,
            mantissa: 0,
            exp2: 0,
            sticky: false,
            saturated: Some(!exp_negative),
        }));
    };
    let raw_exp = if exp_negative {
        -i64::from(raw_exp)
    } else {
        i64::from(raw_exp)
    };
    // 15 hex digits (60 bits) are more than either format keeps; the rest
    // only matters as a sticky bit.
    let kept = all.len().min(15);
    let mantissa = all[..kept]
        .iter()
        .fold(0u64, |acc, &d| (acc << 4) | u64::from(d));
    let sticky = all[kept..].iter().any(|&d| d != 0);
    let exp2 = raw_exp - 4 * frac_digits.len() as i64 + 4 * (all.len() - kept) as i64;
    Ok(Some(HexValue {
        negative,
        mantissa,
        exp2,
        sticky,
        saturated: None,
    }))
}
