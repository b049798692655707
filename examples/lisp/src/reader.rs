//! The reader: source text to [`Datum`]s, outside the heap, each with the
//! position it came from so that syntax errors can say where.

use std::rc::Rc;

use crate::bignum::Big;
use crate::errors::{Error, Pos};

/// A datum as read, with its position.
#[derive(Clone, Debug)]
pub(crate) struct Datum {
    /// Where it starts.
    pub pos: Pos,
    /// What it is.
    pub kind: Kind,
}

/// The kinds of data the reader produces.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// An exact integer that fits in 64 bits.
    Int(i64),
    /// An exact integer that does not.
    Big(Big),
    /// A flonum.
    Float(f64),
    /// `#t` or `#f`.
    Bool(bool),
    /// A character.
    Char(char),
    /// A string literal.
    Str(Rc<str>),
    /// A symbol.
    Sym(Rc<str>),
    /// `()`.
    Nil,
    /// A non-empty list; the tail is `Some` for a dotted list.
    List(Vec<Datum>, Option<Box<Datum>>),
    /// `#(...)`.
    Vector(Vec<Datum>),
    /// `#u8(...)`.
    Bytes(Vec<u8>),
}

impl Datum {
    /// A datum of `kind` at `pos`.
    pub(crate) fn new(pos: &Pos, kind: Kind) -> Datum {
        Datum {
            pos: pos.clone(),
            kind,
        }
    }

    /// A symbol at `pos`.
    pub(crate) fn sym(pos: &Pos, name: &str) -> Datum {
        Datum::new(pos, Kind::Sym(name.into()))
    }

    /// A proper list at `pos` (`()` if empty).
    pub(crate) fn list(pos: &Pos, items: Vec<Datum>) -> Datum {
        if items.is_empty() {
            Datum::new(pos, Kind::Nil)
        } else {
            Datum::new(pos, Kind::List(items, None))
        }
    }

    /// The symbol's name, if this is a symbol.
    pub(crate) fn as_sym(&self) -> Option<&str> {
        match &self.kind {
            Kind::Sym(s) => Some(s),
            _ => None,
        }
    }

    /// The items, if this is a proper list (`()` included).
    pub(crate) fn as_list(&self) -> Option<&[Datum]> {
        match &self.kind {
            Kind::Nil => Some(&[]),
            Kind::List(items, None) => Some(items),
            _ => None,
        }
    }
}

/// Reads data from a text, one at a time.
pub(crate) struct Reader<'a> {
    text: &'a [char],
    at: usize,
    line: u32,
    column: u32,
    file: Rc<str>,
}

/// How a read failed.
pub(crate) enum ReadError {
    /// The text ended inside a datum: more input could complete it.
    Incomplete(Error),
    /// The text is malformed.
    Bad(Error),
}

impl ReadError {
    /// The error, complete or not.
    pub(crate) fn into_error(self) -> Error {
        match self {
            ReadError::Incomplete(e) | ReadError::Bad(e) => e,
        }
    }
}

type Read<T> = Result<T, ReadError>;

/// Characters that end a token.
fn delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"' | ';' | '\'' | '`' | ',')
}

/// The deepest nesting the reader accepts: it recurses on nested data.
const MAX_DEPTH: usize = 1_000;

impl<'a> Reader<'a> {
    /// A reader of `text`, which came from `file` (for messages).
    pub(crate) fn new(text: &'a [char], file: Rc<str>) -> Reader<'a> {
        Reader {
            text,
            at: 0,
            line: 1,
            column: 1,
            file,
        }
    }

    fn pos(&self) -> Pos {
        Pos {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
        }
    }

    fn peek(&self) -> Option<char> {
        self.text.get(self.at).copied()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn bad<T>(&self, pos: Pos, message: impl Into<String>) -> Read<T> {
        Err(ReadError::Bad(Error::Read {
            pos,
            message: message.into(),
        }))
    }

    fn incomplete<T>(&self, pos: Pos, message: impl Into<String>) -> Read<T> {
        Err(ReadError::Incomplete(Error::Read {
            pos,
            message: message.into(),
        }))
    }

    /// Skips whitespace and comments (`;`, `#| |#`, and `#;` datum comments).
    fn skip_atmosphere(&mut self, depth: usize) -> Read<()> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.next_char();
                }
                Some(';') => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.next_char();
                    }
                }
                Some('#') if self.text.get(self.at + 1) == Some(&'|') => {
                    let start = self.pos();
                    self.next_char();
                    self.next_char();
                    let mut nesting = 1;
                    while nesting > 0 {
                        match self.next_char() {
                            None => return self.incomplete(start, "unterminated #| comment"),
                            Some('|') if self.peek() == Some('#') => {
                                self.next_char();
                                nesting -= 1;
                            }
                            Some('#') if self.peek() == Some('|') => {
                                self.next_char();
                                nesting += 1;
                            }
                            Some(_) => {}
                        }
                    }
                }
                Some('#') if self.text.get(self.at + 1) == Some(&';') => {
                    let start = self.pos();
                    self.next_char();
                    self.next_char();
                    if self.datum(depth + 1)?.is_none() {
                        return self.incomplete(start, "#; with no datum after it");
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// How many characters of the text have been read.
    pub(crate) fn offset(&self) -> usize {
        self.at
    }

    /// The next datum, or `None` at the end of the text.
    pub(crate) fn read(&mut self) -> Result<Option<Datum>, ReadError> {
        self.datum(0)
    }

    fn datum(&mut self, depth: usize) -> Read<Option<Datum>> {
        self.skip_atmosphere(depth)?;
        let pos = self.pos();
        if depth > MAX_DEPTH {
            return self.bad(pos, "data nested too deeply");
        }
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let kind = match c {
            '(' | '[' => {
                self.next_char();
                self.list(pos.clone(), if c == '(' { ')' } else { ']' }, depth)?
            }
            ')' | ']' => {
                self.next_char();
                return self.bad(pos, format!("unexpected '{c}'"));
            }
            '\'' | '`' | ',' => {
                self.next_char();
                let name = match c {
                    '\'' => "quote",
                    '`' => "quasiquote",
                    _ if self.peek() == Some('@') => {
                        self.next_char();
                        "unquote-splicing"
                    }
                    _ => "unquote",
                };
                let Some(inner) = self.datum(depth + 1)? else {
                    return self.incomplete(pos, format!("{name} with no datum after it"));
                };
                Kind::List(vec![Datum::sym(&pos, name), inner], None)
            }
            '"' => {
                self.next_char();
                Kind::Str(self.string(pos.clone())?.into())
            }
            '#' => self.hash(pos.clone(), depth)?,
            '|' => {
                self.next_char();
                let mut name = String::new();
                loop {
                    match self.next_char() {
                        None => return self.incomplete(pos, "unterminated |symbol|"),
                        Some('|') => break,
                        Some(c) => name.push(c),
                    }
                }
                Kind::Sym(name.into())
            }
            _ => {
                let token = self.token();
                self.atom(pos.clone(), &token)?
            }
        };
        Ok(Some(Datum { pos, kind }))
    }

    fn token(&mut self) -> String {
        let mut token = String::new();
        while let Some(c) = self
            .peek()
            .filter(|&c| !delimiter(c) && c != '[' && c != ']')
        {
            token.push(c);
            self.next_char();
        }
        token
    }

    fn list(&mut self, open: Pos, close: char, depth: usize) -> Read<Kind> {
        let mut items = Vec::new();
        loop {
            self.skip_atmosphere(depth)?;
            let pos = self.pos();
            match self.peek() {
                None => {
                    return self.incomplete(open, "unterminated list: missing ')'");
                }
                Some(c) if c == close => {
                    self.next_char();
                    return Ok(if items.is_empty() {
                        Kind::Nil
                    } else {
                        Kind::List(items, None)
                    });
                }
                Some(c @ (')' | ']')) => {
                    self.next_char();
                    let opener = if close == ')' { '(' } else { '[' };
                    return self.bad(
                        pos,
                        format!("'{c}' does not match the '{opener}' at {open}"),
                    );
                }
                Some('.')
                    if self
                        .text
                        .get(self.at + 1)
                        .is_none_or(|&c| delimiter(c) || c == ']') =>
                {
                    self.next_char();
                    if items.is_empty() {
                        return self.bad(pos, "'.' with nothing before it");
                    }
                    let Some(tail) = self.datum(depth + 1)? else {
                        return self.incomplete(open, "unterminated list: missing ')'");
                    };
                    self.skip_atmosphere(depth)?;
                    return match self.peek() {
                        Some(c) if c == close => {
                            self.next_char();
                            // `(a . (b c))` is `(a b c)`, and `(a . ())` is `(a)`.
                            Ok(match tail.kind {
                                Kind::Nil => Kind::List(items, None),
                                Kind::List(more, rest) => {
                                    items.extend(more);
                                    Kind::List(items, rest)
                                }
                                _ => Kind::List(items, Some(Box::new(tail))),
                            })
                        }
                        None => self.incomplete(open, "unterminated list: missing ')'"),
                        Some(_) => self.bad(self.pos(), "more than one datum after '.'"),
                    };
                }
                Some(_) => match self.datum(depth + 1)? {
                    Some(d) => items.push(d),
                    None => return self.incomplete(open, "unterminated list: missing ')'"),
                },
            }
        }
    }

    fn string(&mut self, open: Pos) -> Read<String> {
        let mut s = String::new();
        loop {
            let pos = self.pos();
            match self.next_char() {
                None => return self.incomplete(open, "unterminated string"),
                Some('"') => return Ok(s),
                Some('\\') => match self.next_char() {
                    None => return self.incomplete(open, "unterminated string"),
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some('a') => s.push('\u{7}'),
                    Some('b') => s.push('\u{8}'),
                    Some('0') => s.push('\0'),
                    Some(c @ ('\\' | '"' | '|')) => s.push(c),
                    Some('x') => {
                        let mut hex = String::new();
                        while let Some(c) = self.next_char() {
                            if c == ';' {
                                break;
                            }
                            hex.push(c);
                            if hex.len() > 8 {
                                break;
                            }
                        }
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(c) => s.push(c),
                            None => return self.bad(pos, format!("bad string escape \\x{hex}")),
                        }
                    }
                    Some(c) if c.is_whitespace() => {
                        // A line continuation: skip to the next line's first non-blank.
                        let mut c = c;
                        while c != '\n' && self.peek().is_some_and(char::is_whitespace) {
                            c = self.next_char().unwrap_or('\n');
                        }
                        while self.peek().is_some_and(|c| c.is_whitespace() && c != '\n') {
                            self.next_char();
                        }
                    }
                    Some(c) => return self.bad(pos, format!("unknown string escape \\{c}")),
                },
                Some(c) => s.push(c),
            }
        }
    }

    fn hash(&mut self, pos: Pos, depth: usize) -> Read<Kind> {
        self.next_char();
        match self.peek() {
            Some('(') => {
                self.next_char();
                match self.list(pos.clone(), ')', depth)? {
                    Kind::Nil => Ok(Kind::Vector(Vec::new())),
                    Kind::List(items, None) => Ok(Kind::Vector(items)),
                    _ => self.bad(pos, "a vector cannot be dotted"),
                }
            }
            Some('\\') => {
                self.next_char();
                let Some(first) = self.next_char() else {
                    return self.incomplete(pos, "#\\ with no character after it");
                };
                let mut name = String::from(first);
                name.push_str(&self.token());
                if name.chars().count() == 1 {
                    return Ok(Kind::Char(first));
                }
                let c = match name.as_str() {
                    "space" => ' ',
                    "newline" | "linefeed" => '\n',
                    "tab" => '\t',
                    "return" => '\r',
                    "null" | "nul" => '\0',
                    "alarm" => '\u{7}',
                    "backspace" => '\u{8}',
                    "delete" => '\u{7f}',
                    "escape" => '\u{1b}',
                    _ => match name
                        .strip_prefix('x')
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .and_then(char::from_u32)
                    {
                        Some(c) => c,
                        None => return self.bad(pos, format!("unknown character #\\{name}")),
                    },
                };
                Ok(Kind::Char(c))
            }
            _ => {
                let token = self.token();
                match token.as_str() {
                    "t" | "true" => Ok(Kind::Bool(true)),
                    "f" | "false" => Ok(Kind::Bool(false)),
                    "u8" if self.peek() == Some('(') => {
                        self.next_char();
                        let items = match self.list(pos.clone(), ')', depth)? {
                            Kind::List(items, None) => items,
                            Kind::Nil => Vec::new(),
                            _ => return self.bad(pos, "a bytevector cannot be dotted"),
                        };
                        let mut bytes = Vec::with_capacity(items.len());
                        for d in items {
                            match d.kind {
                                Kind::Int(n) if (0..=255).contains(&n) => bytes.push(n as u8),
                                _ => return self.bad(d.pos, "a bytevector holds bytes (0 to 255)"),
                            }
                        }
                        Ok(Kind::Bytes(bytes))
                    }
                    _ => {
                        if !token.starts_with([
                            'x', 'X', 'b', 'B', 'o', 'O', 'd', 'D', 'e', 'E', 'i', 'I',
                        ]) {
                            return self.bad(pos, format!("unknown syntax #{token}"));
                        }
                        let token = format!("#{token}");
                        parse_number(&token, 10).or_else(|e| self.bad(pos, e.message(&token)))
                    }
                }
            }
        }
    }

    fn atom(&self, pos: Pos, token: &str) -> Read<Kind> {
        match parse_number(token, 10) {
            Ok(kind) => return Ok(kind),
            Err(e @ NotNumber::Unsupported(_)) => return self.bad(pos, e.message(token)),
            Err(NotNumber::Syntax) => {}
        }
        let mut chars = token.chars();
        let first = chars.next();
        let looks_numeric = match first {
            Some(c) if c.is_ascii_digit() => true,
            Some('+' | '-' | '.') => chars.next().is_some_and(|c| c.is_ascii_digit()),
            _ => false,
        };
        if looks_numeric {
            return self.bad(pos, format!("bad number {token}"));
        }
        if token == "." {
            return self.bad(pos, "'.' outside a list");
        }
        Ok(Kind::Sym(token.into()))
    }
}

/// Why a token is not a number.
pub(crate) enum NotNumber {
    /// It is not number syntax at all (it may be a symbol).
    Syntax,
    /// It is number syntax for a kind the interpreter lacks, named here.
    Unsupported(&'static str),
}

impl NotNumber {
    /// The message for a token the reader took as a number but cannot make one of.
    pub(crate) fn message(&self, token: &str) -> String {
        match self {
            NotNumber::Syntax => format!("bad number {token}"),
            NotNumber::Unsupported(what) => {
                format!("unsupported number {token}: there are no {what}")
            }
        }
    }
}

/// A number in R7RS syntax (7.1.1), read in `radix` unless a prefix says
/// otherwise, as the reader and `string->number` accept it: `#x`, `#b`,
/// `#o`, `#d`, `#e` and `#i` prefixes, signed exponents, `+inf.0`, `-inf.0`
/// and `+nan.0`. Rationals and complex numbers are recognized only to be
/// refused by name.
pub(crate) fn parse_number(token: &str, radix: u32) -> Result<Kind, NotNumber> {
    let (mut radix, mut exact, mut rest) = (radix, None, token);
    let (mut radix_given, mut exactness_given) = (false, false);
    while let Some(prefixed) = rest.strip_prefix('#') {
        let mut chars = prefixed.chars();
        match chars.next().map(|c| c.to_ascii_lowercase()) {
            Some(r @ ('x' | 'b' | 'o' | 'd')) if !radix_given => {
                radix = match r {
                    'x' => 16,
                    'b' => 2,
                    'o' => 8,
                    _ => 10,
                };
                radix_given = true;
            }
            Some(e @ ('e' | 'i')) if !exactness_given => {
                exact = Some(e == 'e');
                exactness_given = true;
            }
            _ => return Err(NotNumber::Syntax),
        }
        rest = chars.as_str();
    }
    let Some(real) = real(rest, radix) else {
        return Err(unsupported_kind(rest, radix));
    };
    Ok(match (real, exact) {
        (Kind::Int(n), Some(false)) => Kind::Float(n as f64),
        (Kind::Big(n), Some(false)) => Kind::Float(n.to_f64()),
        (Kind::Float(x), Some(true)) => {
            let n = exact_decimal(rest).filter(|_| x.is_finite());
            let n = n.ok_or(NotNumber::Unsupported("exact non-integers (rationals)"))?;
            n.to_i64().map_or(Kind::Big(n), Kind::Int)
        }
        (real, _) => real,
    })
}

/// The exact integer a decimal such as `1.5e3` stands for, if it is one
/// (and not too large to hold); `text` has been checked to be a decimal.
fn exact_decimal(text: &str) -> Option<Big> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let exponent = exponent.checked_sub(fraction.len() as i64)?;
    // Ten is under four bits: beyond this, the integer could not be held.
    if exponent > 1 << 22 {
        return None;
    }
    let digits = Big::parse(&format!("{whole}{fraction}"), 10)?;
    let scale = Big::from_i64(10).pow(exponent.unsigned_abs());
    if exponent >= 0 {
        return Some(digits.mul(&scale));
    }
    match digits.divrem(&scale)? {
        (q, r) if r.is_zero() => Some(q),
        _ => None,
    }
}

/// A real number without a prefix: an integer in `radix`, a decimal (in
/// radix 10), or an infinity or NaN.
fn real(text: &str, radix: u32) -> Option<Kind> {
    match text.to_ascii_lowercase().as_str() {
        "+inf.0" => return Some(Kind::Float(f64::INFINITY)),
        "-inf.0" => return Some(Kind::Float(f64::NEG_INFINITY)),
        "+nan.0" | "-nan.0" => return Some(Kind::Float(f64::NAN)),
        _ => {}
    }
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    if digits.chars().all(|c| c.is_digit(radix)) {
        return Some(match i64::from_str_radix(text, radix) {
            Ok(n) => Kind::Int(n),
            Err(_) => Kind::Big(Big::parse(text, radix)?),
        });
    }
    if radix != 10 {
        return None;
    }
    let (mantissa, exponent) = match digits.find(['e', 'E']) {
        Some(at) => (&digits[..at], Some(&digits[at + 1..])),
        None => (digits, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok =
        !(whole.is_empty() && fraction.is_empty()) && all_digits(whole) && all_digits(fraction);
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    if mantissa_ok && exponent_ok {
        text.parse().ok().map(Kind::Float)
    } else {
        None
    }
}

/// Whether `text`, not a real number, is a rational or complex one (which
/// the interpreter lacks) or no number at all.
fn unsupported_kind(text: &str, radix: u32) -> NotNumber {
    let is_real = |s: &str| real(s, radix).is_some();
    let unsigned_real = |s: &str| !s.starts_with(['+', '-']) && is_real(s);
    if let Some((n, d)) = text.split_once('/')
        && matches!(real(n, radix), Some(Kind::Int(_) | Kind::Big(_)))
        && matches!(real(d, radix), Some(Kind::Int(_) | Kind::Big(_)))
        && !d.starts_with(['+', '-'])
    {
        return NotNumber::Unsupported("rational numbers");
    }
    let complex = if let Some((magnitude, angle)) = text.split_once('@') {
        is_real(magnitude) && is_real(angle)
    } else if let Some(body) = text.strip_suffix(['i', 'I']) {
        // The imaginary part starts at the last sign that does not start an exponent.
        let split = body
            .char_indices()
            .rev()
            .find(|&(i, c)| {
                matches!(c, '+' | '-')
                    && (radix != 10 || i == 0 || !body[..i].ends_with(['e', 'E']))
            })
            .map(|(i, _)| i);
        split.is_some_and(|at| {
            let (re, im) = body.split_at(at);
            let im_ok = im.len() == 1 || is_real(im) || unsigned_real(&im[1..]);
            (re.is_empty() || is_real(re)) && im_ok
        })
    } else {
        false
    };
    if complex {
        NotNumber::Unsupported("complex numbers")
    } else {
        NotNumber::Syntax
    }
}
