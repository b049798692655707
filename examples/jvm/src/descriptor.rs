//! Field and method descriptors (JVMS 4.3): what the interpreter needs of
//! them, the kind of each value and how many stack slots it takes.

/// The kind of a value as the interpreter stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Boolean,
    Byte,
    Char,
    Short,
    Int,
    Float,
    Long,
    Double,
    Ref,
}

impl Kind {
    /// Stack slots a value of this kind takes: longs and doubles take two.
    pub(crate) fn slots(self) -> usize {
        match self {
            Kind::Long | Kind::Double => 2,
            _ => 1,
        }
    }

    /// The kind of a field descriptor's first character.
    fn of(c: u8) -> Option<Kind> {
        Some(match c {
            b'Z' => Kind::Boolean,
            b'B' => Kind::Byte,
            b'C' => Kind::Char,
            b'S' => Kind::Short,
            b'I' => Kind::Int,
            b'F' => Kind::Float,
            b'J' => Kind::Long,
            b'D' => Kind::Double,
            b'L' | b'[' => Kind::Ref,
            _ => return None,
        })
    }
}

/// Reads one field type from the front of `d`; returns its kind and the rest.
fn field_type(d: &str) -> Option<(Kind, &str)> {
    let b = d.as_bytes();
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        i += 1;
    }
    let kind = Kind::of(*b.get(i)?)?;
    let end = if b[i] == b'L' {
        i + d[i..].find(';')? + 1
    } else {
        i + 1
    };
    if b[i] == b'L' && end == i + 2 {
        return None;
    }
    Some((if i > 0 { Kind::Ref } else { kind }, &d[end..]))
}

/// The kind of a field descriptor, or `None` if it is malformed.
pub(crate) fn field(d: &str) -> Option<Kind> {
    match field_type(d)? {
        (k, "") => Some(k),
        _ => None,
    }
}

/// A method descriptor: its parameters' kinds and its return kind
/// (`None` for `void`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MethodType {
    pub(crate) params: Vec<Kind>,
    pub(crate) ret: Option<Kind>,
}

impl MethodType {
    /// Stack slots the parameters take (without a receiver).
    pub(crate) fn param_slots(&self) -> usize {
        self.params.iter().map(|k| k.slots()).sum()
    }
}

/// Parses a method descriptor, or `None` if it is malformed.
pub(crate) fn method(d: &str) -> Option<MethodType> {
    let mut rest = d.strip_prefix('(')?;
    let mut params = Vec::new();
    while !rest.starts_with(')') {
        let (k, r) = field_type(rest)?;
        params.push(k);
        rest = r;
    }
    let ret = match &rest[1..] {
        "V" => None,
        r => Some(field(r)?),
    };
    Some(MethodType { params, ret })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors() {
        assert_eq!(field("I"), Some(Kind::Int));
        assert_eq!(field("[[J"), Some(Kind::Ref));
        assert_eq!(field("Ljava/lang/String;"), Some(Kind::Ref));
        assert_eq!(field("L;"), None);
        assert_eq!(field("II"), None);
        assert_eq!(field("X"), None);
        let m = method("(IJ[Ljava/lang/Object;D)Ljava/lang/String;").unwrap();
        assert_eq!(
            m.params,
            vec![Kind::Int, Kind::Long, Kind::Ref, Kind::Double]
        );
        assert_eq!(m.param_slots(), 6);
        assert_eq!(m.ret, Some(Kind::Ref));
        assert_eq!(method("()V").unwrap().ret, None);
        assert_eq!(method("(I"), None);
        assert_eq!(method("I)V"), None);
    }
}
