//! The text Java 17 (HotSpot's class library) produces for numbers and
//! format strings: `Double.toString`, `Float.toString`, `Integer`/`Long`
//! `toString(v, radix)` and `toHexString` & co., `Integer.parseInt`,
//! `Long.parseLong`, `Double.parseDouble`, `Float.parseFloat` and
//! `java.util.Formatter` (`String.format`, `PrintStream.printf`).
//!
//! Programs compare their output with the real JVM's character for
//! character, so everything here follows the JDK 17 sources rather than a
//! specification: floating-point text is a port of `FloatingDecimal` (see
//! `fdec`), and errors carry the exception class and the exact
//! `getMessage()` text. The locale is taken to be English (en/en_US): '.'
//! decimal separator, ',' grouping in threes, ASCII digits.

mod fdec;
mod formatter;
mod parse;
#[cfg(test)]
mod tests;

pub use formatter::{Arg, FormatError, format, format_to};
pub use parse::{parse_double, parse_float, parse_int, parse_long};

/// `Double.toString(d)` of JDK 17, e.g. "1.0", "0.001", "1.0E7",
/// "1.234E-5", "4.9E-324", "-0.0", "NaN", "-Infinity".
///
/// Decimal notation is used for 1e-3 <= |d| < 1e7, computerized scientific
/// notation otherwise. The digits are those of JDK 17's `FloatingDecimal`,
/// which are not always the shortest ones (JDK 19 changed that).
pub fn double_to_string(d: f64) -> String {
    match fdec::double_digits(d, true) {
        fdec::Converted::NaN => "NaN".to_owned(),
        fdec::Converted::Infinite(false) => "Infinity".to_owned(),
        fdec::Converted::Infinite(true) => "-Infinity".to_owned(),
        fdec::Converted::Finite(dec) => fdec::java_format_string(&dec),
    }
}

/// `Float.toString(f)` of JDK 17 (same layout as [`double_to_string`], with
/// the digits that single precision needs, e.g. "0.1" for `0.1f32`).
pub fn float_to_string(f: f32) -> String {
    match fdec::float_digits(f) {
        fdec::Converted::NaN => "NaN".to_owned(),
        fdec::Converted::Infinite(false) => "Infinity".to_owned(),
        fdec::Converted::Infinite(true) => "-Infinity".to_owned(),
        fdec::Converted::Finite(dec) => fdec::java_format_string(&dec),
    }
}

/// `Long.toString(v, radix)` (and `Integer.toString` for values in `int`
/// range): lowercase digits and a leading '-' for negative values; a radix
/// outside 2..=36 means 10, as in Java.
pub fn int_to_string_radix(v: i64, radix: u32) -> String {
    let radix = if (2..=36).contains(&radix) { radix } else { 10 };
    let mut magnitude = v.unsigned_abs();
    let mut buf = Vec::with_capacity(65);
    loop {
        buf.push(digit_char((magnitude % u64::from(radix)) as u32));
        magnitude /= u64::from(radix);
        if magnitude == 0 {
            break;
        }
    }
    if v < 0 {
        buf.push(b'-');
    }
    buf.reverse();
    String::from_utf8(buf).unwrap_or_default()
}

/// `Long.toHexString`/`toOctalString`/`toBinaryString` (shift 4, 3 and 1;
/// 5 gives radix 32 as `Long.formatUnsignedLong` allows): the digits of `v`
/// read as unsigned. The caller zero-extends an `int` first, which is how
/// `Integer.toHexString(-1)` is "ffffffff" and not sixteen 'f's.
pub fn to_unsigned_string(v: u64, shift: u32) -> String {
    let shift = shift.clamp(1, 5);
    let mask = (1u64 << shift) - 1;
    let mut value = v;
    let mut buf = Vec::with_capacity(64);
    loop {
        buf.push(digit_char((value & mask) as u32));
        value >>= shift;
        if value == 0 {
            break;
        }
    }
    buf.reverse();
    String::from_utf8(buf).unwrap_or_default()
}

fn digit_char(d: u32) -> u8 {
    b"0123456789abcdefghijklmnopqrstuvwxyz"[d as usize]
}
