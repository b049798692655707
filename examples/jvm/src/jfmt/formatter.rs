//! `java.util.Formatter` of JDK 17, as `String.format` and
//! `PrintStream.printf` use it, ported from its source so that output,
//! exception classes and messages match.

use std::fmt;

use super::fdec::{self, Form};
use super::{double_to_string, float_to_string, to_unsigned_string};

/// One argument of `String.format`/`printf`, as the varargs array holds it:
/// primitives arrive boxed, so `Int` is a `java.lang.Integer` and so on.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// `null`.
    Null,
    /// A `java.lang.Boolean`.
    Bool(bool),
    /// A `java.lang.Character` (one UTF-16 unit).
    Char(u16),
    /// A `java.lang.Byte`.
    Byte(i8),
    /// A `java.lang.Short`.
    Short(i16),
    /// A `java.lang.Integer`.
    Int(i32),
    /// A `java.lang.Long`.
    Long(i64),
    /// A `java.lang.Float`.
    Float(f32),
    /// A `java.lang.Double`.
    Double(f64),
    /// A `java.lang.String`.
    Str(String),
    /// Any other object. The formatter cannot call back into the program,
    /// so the caller supplies what `%s` needs.
    Obj {
        /// The binary class name with dots (`getClass().getName()`, e.g.
        /// "Main$Point"), which error messages quote.
        class: String,
        /// The result of the object's `toString()`.
        text: String,
    },
}

/// An `IllegalFormatException` (or subclass) that Java would throw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// The fully qualified exception class, e.g.
    /// "java.util.MissingFormatArgumentException".
    pub exception: &'static str,
    /// Exactly what the exception's `getMessage()` returns, e.g.
    /// "Format specifier '%s'".
    pub message: String,
}

impl fmt::Display for FormatError {
    /// `Throwable.toString()`: "class: message".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exception, self.message)
    }
}

impl std::error::Error for FormatError {}

/// `String.format(fmt, args)`: the formatted text, or the exception Java
/// throws. Java parses the whole format string before it formats anything,
/// so a malformed specifier anywhere wins over a bad argument earlier on.
pub fn format(fmt: &str, args: &[Arg]) -> Result<String, FormatError> {
    let mut out = String::new();
    format_to(&mut out, fmt, args)?;
    Ok(out)
}

/// `Formatter.format` appending to `out`. On error `out` keeps what was
/// written before the failing specifier, which is what
/// `System.out.printf` has already printed when it throws (`String.format`
/// discards it).
pub fn format_to(out: &mut String, fmt: &str, args: &[Arg]) -> Result<(), FormatError> {
    let pieces = parse(fmt)?;
    let mut last: i64 = -1;
    let mut last_ordinary: i64 = -1;
    let n = args.len() as i64;
    for piece in pieces {
        let spec = match piece {
            Piece::Fixed(text) => {
                out.push_str(&text);
                continue;
            }
            Piece::Spec(spec) => spec,
        };
        let slot = match spec.index {
            -2 => None,
            -1 => {
                if last < 0 || last > n - 1 {
                    return Err(spec.missing_argument());
                }
                Some(last)
            }
            0 => {
                last_ordinary += 1;
                last = last_ordinary;
                if last_ordinary > n - 1 {
                    return Err(spec.missing_argument());
                }
                Some(last_ordinary)
            }
            index => {
                last = i64::from(index) - 1;
                if last > n - 1 {
                    return Err(spec.missing_argument());
                }
                Some(last)
            }
        };
        let arg = slot.map_or(&Arg::Null, |i| &args[i as usize]);
        spec.print(out, arg)?;
    }
    Ok(())
}

const LEFT_JUSTIFY: u32 = 1 << 0;
const UPPERCASE: u32 = 1 << 1;
const ALTERNATE: u32 = 1 << 2;
const PLUS: u32 = 1 << 3;
const LEADING_SPACE: u32 = 1 << 4;
const ZERO_PAD: u32 = 1 << 5;
const GROUP: u32 = 1 << 6;
const PARENTHESES: u32 = 1 << 7;
const PREVIOUS: u32 = 1 << 8;

/// `Flags.toString()`, in Java's fixed order; messages quote it, including
/// the internal '^' for upper-case conversions.
fn flags_to_string(f: u32) -> String {
    [
        (LEFT_JUSTIFY, '-'),
        (UPPERCASE, '^'),
        (ALTERNATE, '#'),
        (PLUS, '+'),
        (LEADING_SPACE, ' '),
        (ZERO_PAD, '0'),
        (GROUP, ','),
        (PARENTHESES, '('),
        (PREVIOUS, '<'),
    ]
    .iter()
    .filter(|(bit, _)| f & bit != 0)
    .map(|&(_, c)| c)
    .collect()
}

fn flag_of(c: char) -> u32 {
    match c {
        '-' => LEFT_JUSTIFY,
        '#' => ALTERNATE,
        '+' => PLUS,
        ' ' => LEADING_SPACE,
        '0' => ZERO_PAD,
        ',' => GROUP,
        '(' => PARENTHESES,
        _ => PREVIOUS,
    }
}

fn error(exception: &'static str, message: String) -> FormatError {
    FormatError { exception, message }
}

fn unknown_conversion(s: String) -> FormatError {
    error(
        "java.util.UnknownFormatConversionException",
        format!("Conversion = '{s}'"),
    )
}

fn illegal_flags(flags: u32) -> FormatError {
    error(
        "java.util.IllegalFormatFlagsException",
        format!("Flags = '{}'", flags_to_string(flags)),
    )
}

fn illegal_width(w: i32) -> FormatError {
    error("java.util.IllegalFormatWidthException", w.to_string())
}

fn illegal_precision(p: i32) -> FormatError {
    error("java.util.IllegalFormatPrecisionException", p.to_string())
}

fn illegal_index(index: i32) -> FormatError {
    let message = if index == i32::MIN {
        "Format argument index: (not representable as int)".to_owned()
    } else {
        format!("Illegal format argument index = {index}")
    };
    error("java.util.IllegalFormatArgumentIndexException", message)
}

/// `Conversion.isValid`: the conversions that may follow '%' directly.
fn is_valid_conversion(c: char) -> bool {
    "bBsShHcCdoxXeEgGfaAn%".contains(c)
}

/// `DateTime.isValid`.
fn is_date_time(c: char) -> bool {
    "HIklMNLQpsSTzZaAbBCdehjmyYrRcDF".contains(c)
}

enum Piece {
    Fixed(String),
    Spec(Spec),
}

/// A parsed `FormatSpecifier`. `index` is -2 for %n and %%, -1 for '<',
/// 0 for the next ordinary argument and n for `n$`; -1 means "absent" for
/// width and precision.
struct Spec {
    index: i32,
    flags: u32,
    width: i32,
    precision: i32,
    dt: bool,
    c: char,
}

/// `Formatter.parse`: a conversion character right after '%' takes a fast
/// path without any checks; anything else must match
/// `%(\d+\$)?([-#+ 0,(\<]*)?(\d+)?(\.\d+)?([tT])?([a-zA-Z%])` at the '%',
/// or the character after '%' is reported as an unknown conversion.
fn parse(fmt: &str) -> Result<Vec<Piece>, FormatError> {
    let s: Vec<char> = fmt.chars().collect();
    let max = s.len();
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < max {
        let Some(n) = s[i..].iter().position(|&c| c == '%').map(|p| p + i) else {
            pieces.push(Piece::Fixed(s[i..].iter().collect()));
            break;
        };
        if i != n {
            pieces.push(Piece::Fixed(s[i..n].iter().collect()));
        }
        i = n + 1;
        if i >= max {
            return Err(unknown_conversion("%".to_owned()));
        }
        let c = s[i];
        if is_valid_conversion(c) {
            pieces.push(Piece::Spec(Spec::simple(c)));
            i += 1;
        } else {
            let (spec, end) = Spec::matched(&s, n)?.ok_or_else(|| unknown_conversion(c.into()))?;
            pieces.push(Piece::Spec(spec));
            i = end;
        }
    }
    Ok(pieces)
}

/// `Integer.parseInt` of a run of ASCII digits, `None` on overflow.
fn parse_digits(d: &[char]) -> Option<i32> {
    d.iter().collect::<String>().parse::<i32>().ok()
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

impl Spec {
    /// `FormatSpecifier(char)`.
    fn simple(c: char) -> Spec {
        let mut spec = Spec {
            index: 0,
            flags: 0,
            width: -1,
            precision: -1,
            dt: false,
            c,
        };
        if c.is_ascii_uppercase() {
            spec.flags = UPPERCASE;
            spec.c = c.to_ascii_lowercase();
        }
        if c == 'n' || c == '%' {
            spec.index = -2;
        }
        spec
    }

    /// Matches the specifier regex at `s[n]` (a '%'); greedy matching
    /// without backtracking finds the same match, since no group can give
    /// back characters that a later group would accept. `Ok(None)` is no
    /// match; `Err` is a match that `FormatSpecifier(String, Matcher)`
    /// rejects.
    fn matched(s: &[char], n: usize) -> Result<Option<(Spec, usize)>, FormatError> {
        let digits_from = |mut p: usize| {
            while p < s.len() && s[p].is_ascii_digit() {
                p += 1;
            }
            p
        };
        let mut p = n + 1;
        let mut index_digits = None;
        let q = digits_from(p);
        if q > p && s.get(q) == Some(&'$') {
            index_digits = Some(&s[p..q]);
            p = q + 1;
        }
        let flags_start = p;
        while p < s.len() && "-#+ 0,(<".contains(s[p]) {
            p += 1;
        }
        let flag_chars = &s[flags_start..p];
        let mut width_digits = None;
        let q = digits_from(p);
        if q > p {
            width_digits = Some(&s[p..q]);
            p = q;
        }
        let mut precision_digits = None;
        if s.get(p) == Some(&'.') {
            let q = digits_from(p + 1);
            if q > p + 1 {
                precision_digits = Some(&s[p + 1..q]);
                p = q;
            }
        }
        let is_conv = |c: Option<&char>| c.is_some_and(|&c| c.is_ascii_alphabetic() || c == '%');
        let mut t = None;
        if matches!(s.get(p), Some('t' | 'T')) && is_conv(s.get(p + 1)) {
            t = Some(s[p]);
            p += 1;
        }
        if !is_conv(s.get(p)) {
            return Ok(None);
        }
        let conv = s[p];
        let end = p + 1;

        let mut spec = Spec {
            index: 0,
            flags: 0,
            width: -1,
            precision: -1,
            dt: false,
            c: conv,
        };
        if let Some(d) = index_digits {
            spec.index = parse_digits(d).ok_or_else(|| illegal_index(i32::MIN))?;
            if spec.index <= 0 {
                return Err(illegal_index(spec.index));
            }
        }
        for &c in flag_chars {
            let v = flag_of(c);
            if spec.flags & v != 0 {
                return Err(error(
                    "java.util.DuplicateFormatFlagsException",
                    format!("Flags = '{}'", flags_to_string(v)),
                ));
            }
            spec.flags |= v;
        }
        if spec.flags & PREVIOUS != 0 {
            spec.index = -1;
        }
        if let Some(d) = width_digits {
            spec.width = parse_digits(d).ok_or_else(|| illegal_width(i32::MIN))?;
        }
        if let Some(d) = precision_digits {
            spec.precision = parse_digits(d).ok_or_else(|| illegal_precision(i32::MIN))?;
        }
        if let Some(t) = t {
            spec.dt = true;
            if t == 'T' {
                spec.flags |= UPPERCASE;
            }
        }
        if !spec.dt {
            if !is_valid_conversion(conv) {
                return Err(unknown_conversion(conv.into()));
            }
            if conv.is_ascii_uppercase() {
                spec.flags |= UPPERCASE;
                spec.c = conv.to_ascii_lowercase();
            }
            if spec.c == 'n' || spec.c == '%' {
                spec.index = -2;
            }
        }
        if spec.dt {
            spec.check_date_time()?;
        } else {
            match spec.c {
                'b' | 's' | 'h' => spec.check_general()?,
                'c' => spec.check_character()?,
                'd' | 'o' | 'x' => spec.check_integer()?,
                'e' | 'f' | 'g' | 'a' => spec.check_float()?,
                _ => spec.check_text()?,
            }
        }
        Ok(Some((spec, end)))
    }

    fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// `FormatSpecifier.toString()`, quoted by several messages; it puts
    /// the flags before the argument index.
    fn spec_string(&self) -> String {
        let mut sb = String::from("%");
        sb.push_str(&flags_to_string(self.flags & !UPPERCASE));
        if self.index > 0 {
            sb.push_str(&format!("{}$", self.index));
        }
        if self.width != -1 {
            sb.push_str(&self.width.to_string());
        }
        if self.precision != -1 {
            sb.push_str(&format!(".{}", self.precision));
        }
        let upper = self.has(UPPERCASE);
        if self.dt {
            sb.push(if upper { 'T' } else { 't' });
        }
        sb.push(if upper {
            self.c.to_ascii_uppercase()
        } else {
            self.c
        });
        sb
    }

    fn missing_argument(&self) -> FormatError {
        error(
            "java.util.MissingFormatArgumentException",
            format!("Format specifier '{}'", self.spec_string()),
        )
    }

    fn missing_width(&self) -> FormatError {
        error("java.util.MissingFormatWidthException", self.spec_string())
    }

    fn mismatch(&self, flag: u32) -> FormatError {
        error(
            "java.util.FormatFlagsConversionMismatchException",
            format!("Conversion = {}, Flags = {}", self.c, flags_to_string(flag)),
        )
    }

    fn fail_conversion(&self, arg: &Arg) -> FormatError {
        error(
            "java.util.IllegalFormatConversionException",
            format!("{} != {}", self.c, class_name(arg)),
        )
    }

    fn check_bad_flags(&self, bad: &[u32]) -> Result<(), FormatError> {
        match bad.iter().find(|&&f| self.has(f)) {
            Some(&f) => Err(self.mismatch(f)),
            None => Ok(()),
        }
    }

    fn check_general(&self) -> Result<(), FormatError> {
        if (self.c == 'b' || self.c == 'h') && self.has(ALTERNATE) {
            return Err(self.mismatch(ALTERNATE));
        }
        if self.width == -1 && self.has(LEFT_JUSTIFY) {
            return Err(self.missing_width());
        }
        self.check_bad_flags(&[PLUS, LEADING_SPACE, ZERO_PAD, GROUP, PARENTHESES])
    }

    fn check_date_time(&self) -> Result<(), FormatError> {
        if self.precision != -1 {
            return Err(illegal_precision(self.precision));
        }
        if !is_date_time(self.c) {
            return Err(unknown_conversion(format!("t{}", self.c)));
        }
        self.check_bad_flags(&[ALTERNATE, PLUS, LEADING_SPACE, ZERO_PAD, GROUP, PARENTHESES])?;
        if self.width == -1 && self.has(LEFT_JUSTIFY) {
            return Err(self.missing_width());
        }
        Ok(())
    }

    fn check_character(&self) -> Result<(), FormatError> {
        if self.precision != -1 {
            return Err(illegal_precision(self.precision));
        }
        self.check_bad_flags(&[ALTERNATE, PLUS, LEADING_SPACE, ZERO_PAD, GROUP, PARENTHESES])?;
        if self.width == -1 && self.has(LEFT_JUSTIFY) {
            return Err(self.missing_width());
        }
        Ok(())
    }

    fn check_integer(&self) -> Result<(), FormatError> {
        self.check_numeric()?;
        if self.precision != -1 {
            return Err(illegal_precision(self.precision));
        }
        if self.c == 'd' {
            self.check_bad_flags(&[ALTERNATE])
        } else {
            self.check_bad_flags(&[GROUP])
        }
    }

    fn check_float(&self) -> Result<(), FormatError> {
        self.check_numeric()?;
        match self.c {
            'a' => self.check_bad_flags(&[PARENTHESES, GROUP]),
            'e' => self.check_bad_flags(&[GROUP]),
            'g' => self.check_bad_flags(&[ALTERNATE]),
            _ => Ok(()),
        }
    }

    fn check_numeric(&self) -> Result<(), FormatError> {
        if self.width == -1 && (self.has(LEFT_JUSTIFY) || self.has(ZERO_PAD)) {
            return Err(self.missing_width());
        }
        if (self.has(PLUS) && self.has(LEADING_SPACE))
            || (self.has(LEFT_JUSTIFY) && self.has(ZERO_PAD))
        {
            return Err(illegal_flags(self.flags));
        }
        Ok(())
    }

    fn check_text(&self) -> Result<(), FormatError> {
        if self.precision != -1 {
            return Err(illegal_precision(self.precision));
        }
        if self.c == '%' {
            if self.flags != LEFT_JUSTIFY && self.flags != 0 {
                return Err(illegal_flags(self.flags));
            }
            if self.width == -1 && self.has(LEFT_JUSTIFY) {
                return Err(self.missing_width());
            }
        } else {
            if self.width != -1 {
                return Err(illegal_width(self.width));
            }
            if self.flags != 0 {
                return Err(illegal_flags(self.flags));
            }
        }
        Ok(())
    }

    fn print(&self, out: &mut String, arg: &Arg) -> Result<(), FormatError> {
        if self.dt {
            return match arg {
                Arg::Null => {
                    self.print_str(out, "null");
                    Ok(())
                }
                // A Long is milliseconds since the epoch in the JVM's
                // default time zone; calendars are out of scope here.
                Arg::Long(_) => Err(error(
                    "java.lang.UnsupportedOperationException",
                    format!(
                        "date/time conversion {} is not supported",
                        self.spec_string()
                    ),
                )),
                _ => Err(self.fail_conversion(arg)),
            };
        }
        match self.c {
            'd' | 'o' | 'x' => self.print_integer(out, arg),
            'e' | 'f' | 'g' | 'a' => self.print_float(out, arg),
            'c' => self.print_character(out, arg),
            'b' => {
                let s = match arg {
                    Arg::Null => "false",
                    Arg::Bool(false) => "false",
                    _ => "true",
                };
                self.print_str(out, s);
                Ok(())
            }
            's' => {
                if self.has(ALTERNATE) {
                    return Err(self.mismatch(ALTERNATE));
                }
                self.print_str(out, &java_to_string(arg));
                Ok(())
            }
            'h' => {
                let s = match arg {
                    Arg::Null => "null".to_owned(),
                    _ => to_unsigned_string(u64::from(hash_code(arg) as u32), 4),
                };
                self.print_str(out, &s);
                Ok(())
            }
            'n' => {
                out.push('\n');
                Ok(())
            }
            _ => {
                self.print_str(out, "%");
                Ok(())
            }
        }
    }

    /// `print(String)`: precision truncates (in UTF-16 units), then the
    /// text is upper-cased and justified.
    fn print_str(&self, out: &mut String, s: &str) {
        let mut text = s.to_owned();
        if self.precision != -1 && (self.precision as usize) < utf16_len(&text) {
            let mut units = 0;
            text = text
                .chars()
                .take_while(|c| {
                    units += c.len_utf16();
                    units <= self.precision as usize
                })
                .collect();
        }
        if self.has(UPPERCASE) {
            text = text.to_uppercase();
        }
        self.append_justified(out, &text);
    }

    fn append_justified(&self, out: &mut String, s: &str) {
        if self.width == -1 {
            out.push_str(s);
            return;
        }
        let pad = (self.width as usize).saturating_sub(utf16_len(s));
        if self.has(LEFT_JUSTIFY) {
            out.push_str(s);
            out.extend(std::iter::repeat_n(' ', pad));
        } else {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(s);
        }
    }

    fn print_integer(&self, out: &mut String, arg: &Arg) -> Result<(), FormatError> {
        let unsigned = self.c == 'o' || self.c == 'x';
        // Octal and hex show the two's complement of the argument's own
        // width, so a negative Byte is two digits of hex, not sixteen.
        let (value, bits) = match *arg {
            Arg::Null => {
                self.print_str(out, "null");
                return Ok(());
            }
            Arg::Byte(v) => (i64::from(v), 8),
            Arg::Short(v) => (i64::from(v), 16),
            Arg::Int(v) => (i64::from(v), 32),
            Arg::Long(v) => (v, 64),
            _ => return Err(self.fail_conversion(arg)),
        };
        let value = if unsigned && value < 0 && bits < 64 {
            value + (1i64 << bits)
        } else {
            value
        };
        self.print_long(out, value)
    }

    fn print_long(&self, out: &mut String, value: i64) -> Result<(), FormatError> {
        let mut sb = String::new();
        if self.c == 'd' {
            let neg = value < 0;
            let s = value.to_string();
            self.leading_sign(&mut sb, neg);
            self.localized_magnitude(
                &mut sb,
                &s,
                usize::from(neg),
                self.adjust_width(self.width, neg),
            );
            self.trailing_sign(&mut sb, neg);
        } else {
            self.check_bad_flags(&[PARENTHESES, LEADING_SPACE, PLUS])?;
            let hex = self.c == 'x';
            let mut s = to_unsigned_string(value as u64, if hex { 4 } else { 3 });
            let prefix = match (hex, self.has(UPPERCASE)) {
                (false, _) => "0",
                (true, false) => "0x",
                (true, true) => "0X",
            };
            let mut len = s.len() as i32;
            if self.has(ALTERNATE) {
                len += prefix.len() as i32;
                sb.push_str(prefix);
            }
            if self.has(ZERO_PAD) {
                trailing_zeros(&mut sb, self.width - len);
            }
            if self.has(UPPERCASE) {
                s = s.to_ascii_uppercase();
            }
            sb.push_str(&s);
        }
        self.append_justified(out, &sb);
        Ok(())
    }

    fn leading_sign(&self, sb: &mut String, neg: bool) {
        if !neg {
            if self.has(PLUS) {
                sb.push('+');
            } else if self.has(LEADING_SPACE) {
                sb.push(' ');
            }
        } else if self.has(PARENTHESES) {
            sb.push('(');
        } else {
            sb.push('-');
        }
    }

    fn trailing_sign(&self, sb: &mut String, neg: bool) {
        if neg && self.has(PARENTHESES) {
            sb.push(')');
        }
    }

    /// Room for the closing parenthesis of a negative number.
    fn adjust_width(&self, width: i32, neg: bool) -> i32 {
        if width != -1 && neg && self.has(PARENTHESES) {
            width - 1
        } else {
            width
        }
    }

    /// `localizedMagnitude` for the English locale: copies the digits of
    /// `value` from `offset`, grouping the integer part in threes with ','
    /// when asked, then zero-pads after whatever sign `sb` already holds, up
    /// to `width` counting that sign.
    fn localized_magnitude(&self, sb: &mut String, value: &str, offset: usize, width: i32) {
        let begin = sb.len();
        let bytes = value.as_bytes();
        let len = bytes.len();
        let dot = bytes[offset.min(len)..]
            .iter()
            .position(|&b| b == b'.')
            .map_or(len, |p| p + offset);
        let mut group = self.has(GROUP);
        for (j, &b) in bytes.iter().enumerate().skip(offset) {
            if j == dot {
                sb.push('.');
                group = false;
                continue;
            }
            sb.push(b as char);
            if group && j + 1 != dot && (dot - j) % 3 == 1 {
                sb.push(',');
            }
        }
        if width > sb.len() as i32 && self.has(ZERO_PAD) {
            let zeros = "0".repeat(width as usize - sb.len());
            sb.insert_str(begin, &zeros);
        }
    }

    fn print_float(&self, out: &mut String, arg: &Arg) -> Result<(), FormatError> {
        // A Float is widened first, so "%.10f" shows the double's digits.
        let value = match *arg {
            Arg::Null => {
                self.print_str(out, "null");
                return Ok(());
            }
            Arg::Float(v) => f64::from(v),
            Arg::Double(v) => v,
            _ => return Err(self.fail_conversion(arg)),
        };
        let mut sb = String::new();
        // Double.compare(value, 0.0) == -1: true for -0.0 as well.
        let neg = value < 0.0 || (value == 0.0 && value.is_sign_negative());
        if value.is_nan() {
            sb.push_str(if self.has(UPPERCASE) { "NAN" } else { "NaN" });
        } else {
            let v = value.abs();
            self.leading_sign(&mut sb, neg);
            if v.is_infinite() {
                sb.push_str(if self.has(UPPERCASE) {
                    "INFINITY"
                } else {
                    "Infinity"
                });
            } else {
                self.print_finite(&mut sb, v, neg);
            }
            self.trailing_sign(&mut sb, neg);
        }
        self.append_justified(out, &sb);
        Ok(())
    }

    fn print_finite(&self, sb: &mut String, value: f64, neg: bool) {
        let upper = self.has(UPPERCASE);
        match self.c {
            'e' => {
                let prec = if self.precision == -1 {
                    6
                } else {
                    self.precision
                };
                let fd = fdec::formatted(value, prec, Form::Scientific);
                let mut mant = fd.mantissa;
                add_zeros(&mut mant, prec);
                if self.has(ALTERNATE) && prec == 0 {
                    mant.push('.');
                }
                let exp = if value == 0.0 {
                    "+00".to_owned()
                } else {
                    fd.exponent.unwrap_or_default()
                };
                let new_w = if self.width == -1 {
                    -1
                } else {
                    self.adjust_width(self.width - exp.len() as i32 - 1, neg)
                };
                self.localized_magnitude(sb, &mant, 0, new_w);
                sb.push(if upper { 'E' } else { 'e' });
                sb.push_str(&exp);
            }
            'f' => {
                let prec = if self.precision == -1 {
                    6
                } else {
                    self.precision
                };
                let fd = fdec::formatted(value, prec, Form::DecimalFloat);
                let mut mant = fd.mantissa;
                add_zeros(&mut mant, prec);
                if self.has(ALTERNATE) && prec == 0 {
                    mant.push('.');
                }
                self.localized_magnitude(sb, &mant, 0, self.adjust_width(self.width, neg));
            }
            'g' => {
                let mut prec = match self.precision {
                    -1 => 6,
                    0 => 1,
                    p => p,
                };
                let (mut mant, exp, exp_rounded) = if value == 0.0 {
                    ("0".to_owned(), None, 0)
                } else {
                    let fd = fdec::formatted(value, prec, Form::General);
                    (fd.mantissa, fd.exponent, fd.exponent_rounded)
                };
                if exp.is_some() {
                    prec -= 1;
                } else {
                    prec -= exp_rounded + 1;
                }
                add_zeros(&mut mant, prec);
                if self.has(ALTERNATE) && prec == 0 {
                    mant.push('.');
                }
                let new_w = match (&exp, self.width) {
                    (_, -1) => -1,
                    (Some(e), w) => self.adjust_width(w - e.len() as i32 - 1, neg),
                    (None, w) => self.adjust_width(w, neg),
                };
                self.localized_magnitude(sb, &mant, 0, new_w);
                if let Some(e) = exp {
                    sb.push(if upper { 'E' } else { 'e' });
                    sb.push_str(&e);
                }
            }
            _ => {
                let prec = match self.precision {
                    -1 => 0,
                    0 => 1,
                    p => p,
                };
                let s = hex_double(value, prec);
                sb.push_str(if upper { "0X" } else { "0x" });
                if self.has(ZERO_PAD) {
                    let leading = if self.has(LEADING_SPACE) || self.has(PLUS) || neg {
                        3
                    } else {
                        2
                    };
                    trailing_zeros(sb, self.width - s.len() as i32 - leading);
                }
                let idx = s.find('p').unwrap_or(s.len());
                let mut va = if upper {
                    s[..idx].to_ascii_uppercase()
                } else {
                    s[..idx].to_owned()
                };
                if prec != 0 {
                    add_zeros(&mut va, prec);
                }
                sb.push_str(&va);
                sb.push(if upper { 'P' } else { 'p' });
                sb.push_str(s.get(idx + 1..).unwrap_or(""));
            }
        }
    }

    fn print_character(&self, out: &mut String, arg: &Arg) -> Result<(), FormatError> {
        // A lone surrogate cannot be a Rust char; U+FFFD stands in for it.
        let code_point = |i: i32| {
            if (0..=0x10FFFF).contains(&i) {
                Ok(char::from_u32(i as u32).unwrap_or('\u{FFFD}'))
            } else {
                Err(error(
                    "java.util.IllegalFormatCodePointException",
                    format!("Code point = {:#x}", i as u32),
                ))
            }
        };
        let c = match *arg {
            Arg::Null => {
                self.print_str(out, "null");
                return Ok(());
            }
            Arg::Char(u) => char::from_u32(u32::from(u)).unwrap_or('\u{FFFD}'),
            Arg::Byte(v) => code_point(i32::from(v))?,
            Arg::Short(v) => code_point(i32::from(v))?,
            Arg::Int(v) => code_point(v)?,
            _ => return Err(self.fail_conversion(arg)),
        };
        self.print_str(out, c.encode_utf8(&mut [0; 4]));
        Ok(())
    }
}

fn trailing_zeros(sb: &mut String, n: i32) {
    if n > 0 {
        sb.extend(std::iter::repeat_n('0', n as usize));
    }
}

/// `addZeros`: pads the fraction of `sb` with zeros up to `prec` digits,
/// adding the '.' if there is none.
fn add_zeros(sb: &mut String, prec: i32) {
    let len = sb.len();
    let i = sb.find('.').unwrap_or(len);
    let need_dot = i == len;
    let out_prec = (len - i) as i32 - if need_dot { 0 } else { 1 };
    if out_prec == prec {
        return;
    }
    if need_dot {
        sb.push('.');
    }
    trailing_zeros(sb, prec - out_prec);
}

fn get_exponent(d: f64) -> i32 {
    ((d.to_bits() >> 52) & 0x7FF) as i32 - 1023
}

/// `Double.toHexString`.
fn to_hex_string(d: f64) -> String {
    if !d.is_finite() {
        return double_to_string(d);
    }
    let mut answer = String::new();
    if d.is_sign_negative() {
        answer.push('-');
    }
    answer.push_str("0x");
    let d = d.abs();
    if d == 0.0 {
        answer.push_str("0.0p0");
        return answer;
    }
    let subnormal = d < f64::MIN_POSITIVE;
    let signif_bits = (d.to_bits() & ((1 << 52) - 1)) | 0x1000_0000_0000_0000;
    answer.push_str(if subnormal { "0." } else { "1." });
    let signif = &format!("{signif_bits:x}")[3..16];
    if signif == "0000000000000" {
        answer.push('0');
    } else {
        answer.push_str(signif.trim_end_matches('0'));
    }
    answer.push('p');
    answer.push_str(&if subnormal { -1022 } else { get_exponent(d) }.to_string());
    answer
}

/// `Formatter.hexDouble`: `Double.toHexString` without "0x", rounded to
/// `prec` hex digits (half-even) when 1 <= prec <= 12, with subnormals
/// normalized.
fn hex_double(d: f64, prec: i32) -> String {
    if !d.is_finite() || d == 0.0 || prec == 0 || prec >= 13 {
        return to_hex_string(d)[2..].to_owned();
    }
    let mut d = d;
    let subnormal = get_exponent(d) == -1023;
    if subnormal {
        d *= 2f64.powi(54);
    }
    let precision = 1 + prec * 4;
    let shift = 53 - precision;
    let doppel = d.to_bits();
    let mut new_signif = (doppel & 0x7FFF_FFFF_FFFF_FFFF) >> shift;
    let rounding_bits = doppel & !(!0u64 << shift);
    let least_zero = new_signif & 1 == 0;
    let round = (1u64 << (shift - 1)) & rounding_bits != 0;
    let sticky = shift > 1 && (!(1u64 << (shift - 1)) & rounding_bits) != 0;
    if round && (sticky || !least_zero) {
        new_signif += 1;
    }
    let result = f64::from_bits((doppel & (1 << 63)) | (new_signif << shift));
    if result.is_infinite() {
        return "1.0p1024".to_owned();
    }
    let res = to_hex_string(result)[2..].to_owned();
    if !subnormal {
        return res;
    }
    let idx = res.find('p').unwrap_or(res.len());
    let exp: i32 = res[idx + 1..].parse().unwrap_or(0);
    format!("{}p{}", &res[..idx], exp - 54)
}

fn class_name(arg: &Arg) -> &str {
    match arg {
        Arg::Null => "null",
        Arg::Bool(_) => "java.lang.Boolean",
        Arg::Char(_) => "java.lang.Character",
        Arg::Byte(_) => "java.lang.Byte",
        Arg::Short(_) => "java.lang.Short",
        Arg::Int(_) => "java.lang.Integer",
        Arg::Long(_) => "java.lang.Long",
        Arg::Float(_) => "java.lang.Float",
        Arg::Double(_) => "java.lang.Double",
        Arg::Str(_) => "java.lang.String",
        Arg::Obj { class, .. } => class,
    }
}

/// `String.valueOf(arg)`.
fn java_to_string(arg: &Arg) -> String {
    match arg {
        Arg::Null => "null".to_owned(),
        Arg::Bool(b) => b.to_string(),
        Arg::Char(u) => char::from_u32(u32::from(*u))
            .unwrap_or('\u{FFFD}')
            .to_string(),
        Arg::Byte(v) => v.to_string(),
        Arg::Short(v) => v.to_string(),
        Arg::Int(v) => v.to_string(),
        Arg::Long(v) => v.to_string(),
        Arg::Float(v) => float_to_string(*v),
        Arg::Double(v) => double_to_string(*v),
        Arg::Str(s) => s.clone(),
        Arg::Obj { text, .. } => text.clone(),
    }
}

/// `arg.hashCode()` for the boxed types and `String`. An `Obj`'s own
/// `hashCode()` is unknown here; the hash of its `toString()` text stands in.
fn hash_code(arg: &Arg) -> i32 {
    let string_hash = |s: &str| {
        s.encode_utf16()
            .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
    };
    let long_hash = |v: u64| (v ^ (v >> 32)) as i32;
    match arg {
        Arg::Null => 0,
        Arg::Bool(true) => 1231,
        Arg::Bool(false) => 1237,
        Arg::Char(u) => i32::from(*u),
        Arg::Byte(v) => i32::from(*v),
        Arg::Short(v) => i32::from(*v),
        Arg::Int(v) => *v,
        Arg::Long(v) => long_hash(*v as u64),
        // floatToIntBits/doubleToLongBits fold every NaN into one pattern.
        Arg::Float(v) => {
            if v.is_nan() {
                0x7fc0_0000
            } else {
                v.to_bits() as i32
            }
        }
        Arg::Double(v) => long_hash(if v.is_nan() {
            0x7ff8_0000_0000_0000
        } else {
            v.to_bits()
        }),
        Arg::Str(s) => string_hash(s),
        Arg::Obj { text, .. } => string_hash(text),
    }
}
