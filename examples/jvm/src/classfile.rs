//! The class-file format (JVMS chapter 4): bytes to a [`ClassFile`], checked
//! as it is read. Only what the interpreter uses is kept; attributes it does
//! not use are skipped. Every failure is a [`LoadError`] naming the file, and
//! the method where there is one.

use crate::errors::LoadError;

/// The newest class-file version read: Java 17.
pub(crate) const MAX_MAJOR: u16 = 61;
/// The oldest: Java 1.1 (45). Older files use a different `Code` layout.
const MIN_MAJOR: u16 = 45;

/// Access flags used by the interpreter.
pub(crate) mod access {
    pub(crate) const PRIVATE: u16 = 0x0002;
    pub(crate) const STATIC: u16 = 0x0008;
    pub(crate) const FINAL: u16 = 0x0010;
    pub(crate) const NATIVE: u16 = 0x0100;
    pub(crate) const INTERFACE: u16 = 0x0200;
    pub(crate) const ABSTRACT: u16 = 0x0400;
}

/// One constant-pool entry. Indices into the pool are kept as read and
/// checked when the entry is used, against [`ConstantPool::get`].
#[derive(Clone, Debug)]
pub(crate) enum Constant {
    /// Index 0, and the second slot of a long or double.
    Unusable,
    Utf8(String),
    Integer(i32),
    Float(f32),
    Long(i64),
    Double(f64),
    Class(u16),
    String(u16),
    FieldRef(u16, u16),
    MethodRef(u16, u16),
    InterfaceMethodRef(u16, u16),
    NameAndType(u16, u16),
    MethodHandle(u8, u16),
    MethodType(u16),
    /// A dynamically computed constant: its name and type (the bootstrap
    /// method is never run, so its index is not kept).
    Dynamic(u16),
    InvokeDynamic(u16, u16),
    Module(u16),
    Package(u16),
}

/// The constant pool, with typed lookups that fail with the index and what
/// was expected.
#[derive(Debug, Default)]
pub(crate) struct ConstantPool(Vec<Constant>);

impl ConstantPool {
    /// The entry at `i`.
    pub(crate) fn get(&self, i: u16) -> Result<&Constant, String> {
        match self.0.get(i as usize) {
            Some(Constant::Unusable) | None => Err(format!(
                "constant pool index {i} is out of range or unusable (the pool has {} entries)",
                self.0.len()
            )),
            Some(c) => Ok(c),
        }
    }

    fn wrong(i: u16, want: &str, got: &Constant) -> String {
        format!("constant pool entry {i} should be {want}, but is {got:?}")
    }

    /// The string of a `Utf8` entry.
    pub(crate) fn utf8(&self, i: u16) -> Result<&str, String> {
        match self.get(i)? {
            Constant::Utf8(s) => Ok(s),
            c => Err(Self::wrong(i, "a Utf8", c)),
        }
    }

    /// The internal name of a `Class` entry (`java/lang/String`, `[I`).
    pub(crate) fn class_name(&self, i: u16) -> Result<&str, String> {
        match self.get(i)? {
            Constant::Class(n) => self.utf8(*n),
            c => Err(Self::wrong(i, "a Class", c)),
        }
    }

    /// The name and descriptor of a `NameAndType` entry.
    pub(crate) fn name_and_type(&self, i: u16) -> Result<(&str, &str), String> {
        match self.get(i)? {
            Constant::NameAndType(n, d) => Ok((self.utf8(*n)?, self.utf8(*d)?)),
            c => Err(Self::wrong(i, "a NameAndType", c)),
        }
    }

    /// A field or method reference: class, name, descriptor, and whether it
    /// is an interface method reference.
    pub(crate) fn member_ref(&self, i: u16) -> Result<MemberRef<'_>, String> {
        let (class, nat) = match self.get(i)? {
            Constant::FieldRef(c, n)
            | Constant::MethodRef(c, n)
            | Constant::InterfaceMethodRef(c, n) => (*c, *n),
            c => return Err(Self::wrong(i, "a field or method reference", c)),
        };
        let (name, descriptor) = self.name_and_type(nat)?;
        Ok(MemberRef {
            class: self.class_name(class)?,
            name,
            descriptor,
        })
    }

    fn check(&self) -> Result<(), String> {
        for (i, c) in self.0.iter().enumerate() {
            let r = match *c {
                Constant::Class(n) | Constant::String(n) | Constant::MethodType(n) => {
                    self.utf8(n).map(drop)
                }
                Constant::Module(n) | Constant::Package(n) => self.utf8(n).map(drop),
                Constant::FieldRef(..)
                | Constant::MethodRef(..)
                | Constant::InterfaceMethodRef(..) => self.member_ref(i as u16).map(drop),
                Constant::NameAndType(..) => self.name_and_type(i as u16).map(drop),
                Constant::Dynamic(n) | Constant::InvokeDynamic(_, n) => {
                    self.name_and_type(n).map(drop)
                }
                Constant::MethodHandle(kind, r) => {
                    if !(1..=9).contains(&kind) {
                        Err(format!("method handle {i} has bad kind {kind}"))
                    } else {
                        self.member_ref(r).map(drop)
                    }
                }
                _ => Ok(()),
            };
            r.map_err(|e| format!("constant pool entry {i}: {e}"))?;
        }
        Ok(())
    }
}

/// A field or method reference, by name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemberRef<'a> {
    pub(crate) class: &'a str,
    pub(crate) name: &'a str,
    pub(crate) descriptor: &'a str,
}

/// A field as declared.
#[derive(Debug)]
pub(crate) struct FieldInfo {
    pub(crate) access: u16,
    pub(crate) name: String,
    pub(crate) descriptor: String,
    /// The `ConstantValue` attribute of a static final field: a pool index.
    pub(crate) constant: Option<u16>,
}

/// One entry of a method's exception table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Handler {
    pub(crate) start: u16,
    pub(crate) end: u16,
    pub(crate) target: u16,
    /// The caught class's pool index; 0 catches everything (`finally`).
    pub(crate) catch: u16,
}

/// A method's `Code` attribute.
#[derive(Debug)]
pub(crate) struct Code {
    pub(crate) max_stack: u16,
    pub(crate) max_locals: u16,
    pub(crate) bytes: Vec<u8>,
    pub(crate) handlers: Vec<Handler>,
    /// `(start pc, line)` pairs from the `LineNumberTable`, sorted by pc.
    pub(crate) lines: Vec<(u16, u16)>,
}

/// A method as declared.
#[derive(Debug)]
pub(crate) struct MethodInfo {
    pub(crate) access: u16,
    pub(crate) name: String,
    pub(crate) descriptor: String,
    pub(crate) code: Option<Code>,
}

/// An entry of the `BootstrapMethods` attribute.
#[derive(Clone, Debug)]
pub(crate) struct Bootstrap {
    pub(crate) method: u16,
    pub(crate) args: Vec<u16>,
}

/// A parsed class file.
#[derive(Debug)]
pub(crate) struct ClassFile {
    pub(crate) access: u16,
    pub(crate) name: String,
    pub(crate) super_name: Option<String>,
    pub(crate) interfaces: Vec<String>,
    pub(crate) fields: Vec<FieldInfo>,
    pub(crate) methods: Vec<MethodInfo>,
    pub(crate) pool: ConstantPool,
    pub(crate) bootstraps: Vec<Bootstrap>,
    pub(crate) source_file: Option<String>,
}

/// A cursor over the file's bytes; every read fails cleanly at the end.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(format!(
                "truncated: wanted {n} bytes at offset {}, the file has {}",
                self.pos,
                self.bytes.len()
            )),
        }
    }

    fn u1(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u2(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u4(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u8(&mut self) -> Result<u64, String> {
        Ok((u64::from(self.u4()?) << 32) | u64::from(self.u4()?))
    }
}

/// Decodes the JVM's "modified UTF-8" (NUL as two bytes, supplementary
/// characters as surrogate pairs of three bytes each).
fn modified_utf8(bytes: &[u8]) -> Result<String, String> {
    let mut units = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let bad = |i: usize| format!("malformed modified UTF-8 at byte {i} of a string constant");
    while i < bytes.len() {
        let b = bytes[i];
        let cont = |k: usize| match bytes.get(i + k) {
            Some(&c) if c & 0xc0 == 0x80 => Ok(u16::from(c & 0x3f)),
            _ => Err(bad(i)),
        };
        if b & 0x80 == 0 && b != 0 {
            units.push(u16::from(b));
            i += 1;
        } else if b & 0xe0 == 0xc0 {
            units.push((u16::from(b & 0x1f) << 6) | cont(1)?);
            i += 2;
        } else if b & 0xf0 == 0xe0 {
            units.push((u16::from(b & 0x0f) << 12) | (cont(1)? << 6) | cont(2)?);
            i += 3;
        } else {
            return Err(bad(i));
        }
    }
    Ok(String::from_utf16_lossy(&units))
}

fn constant(r: &mut Reader<'_>) -> Result<(Constant, bool), String> {
    let tag = r.u1()?;
    let c = match tag {
        1 => {
            let n = r.u2()? as usize;
            Constant::Utf8(modified_utf8(r.take(n)?)?)
        }
        3 => Constant::Integer(r.u4()? as i32),
        4 => Constant::Float(f32::from_bits(r.u4()?)),
        5 => return Ok((Constant::Long(r.u8()? as i64), true)),
        6 => return Ok((Constant::Double(f64::from_bits(r.u8()?)), true)),
        7 => Constant::Class(r.u2()?),
        8 => Constant::String(r.u2()?),
        9 => Constant::FieldRef(r.u2()?, r.u2()?),
        10 => Constant::MethodRef(r.u2()?, r.u2()?),
        11 => Constant::InterfaceMethodRef(r.u2()?, r.u2()?),
        12 => Constant::NameAndType(r.u2()?, r.u2()?),
        15 => Constant::MethodHandle(r.u1()?, r.u2()?),
        16 => Constant::MethodType(r.u2()?),
        17 => {
            r.u2()?;
            Constant::Dynamic(r.u2()?)
        }
        18 => Constant::InvokeDynamic(r.u2()?, r.u2()?),
        19 => Constant::Module(r.u2()?),
        20 => Constant::Package(r.u2()?),
        t => return Err(format!("unknown constant pool tag {t}")),
    };
    Ok((c, false))
}

/// An attribute's name and body.
fn attribute<'a>(
    r: &mut Reader<'a>,
    pool: &ConstantPool,
) -> Result<(&'static str, Reader<'a>), String> {
    let name = r.u2()?;
    let len = r.u4()? as usize;
    let body = r.take(len)?;
    // Only the names the parser acts on matter; the rest are skipped.
    let name = match pool.utf8(name)? {
        "Code" => "Code",
        "ConstantValue" => "ConstantValue",
        "LineNumberTable" => "LineNumberTable",
        "BootstrapMethods" => "BootstrapMethods",
        "SourceFile" => "SourceFile",
        _ => "",
    };
    Ok((
        name,
        Reader {
            bytes: body,
            pos: 0,
        },
    ))
}

fn code(mut r: Reader<'_>, pool: &ConstantPool) -> Result<Code, String> {
    let max_stack = r.u2()?;
    let max_locals = r.u2()?;
    let len = r.u4()? as usize;
    if len == 0 || len > 65535 {
        return Err(format!("code length {len} is outside 1..=65535"));
    }
    let bytes = r.take(len)?.to_vec();
    let n = r.u2()?;
    let mut handlers = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let h = Handler {
            start: r.u2()?,
            end: r.u2()?,
            target: r.u2()?,
            catch: r.u2()?,
        };
        if h.start >= h.end || h.end as usize > len || h.target as usize >= len {
            return Err(format!(
                "an exception handler (offsets {}..{}, target {}) lies outside the code",
                h.start, h.end, h.target
            ));
        }
        if h.catch != 0 {
            pool.class_name(h.catch)?;
        }
        handlers.push(h);
    }
    let mut lines = Vec::new();
    for _ in 0..r.u2()? {
        let (name, mut a) = attribute(&mut r, pool)?;
        if name == "LineNumberTable" {
            for _ in 0..a.u2()? {
                lines.push((a.u2()?, a.u2()?));
            }
        }
    }
    lines.sort_unstable();
    Ok(Code {
        max_stack,
        max_locals,
        bytes,
        handlers,
        lines,
    })
}

/// Parses a class file. `file` names it in errors until its own name is known.
pub(crate) fn parse(bytes: &[u8], file: &str) -> Result<ClassFile, LoadError> {
    let err = |class: &str, method: Option<&str>, why: String| LoadError {
        class: class.to_owned(),
        method: method.map(str::to_owned),
        reason: why,
    };
    let mut r = Reader { bytes, pos: 0 };
    let head = (|| {
        let magic = r.u4()?;
        if magic != 0xCAFE_BABE {
            return Err(format!("bad magic number {magic:#010x} (not a class file)"));
        }
        let minor = r.u2()?;
        let major = r.u2()?;
        if !(MIN_MAJOR..=MAX_MAJOR).contains(&major) {
            return Err(format!(
                "class file version {major}.{minor} is not supported (Java 17 is {MAX_MAJOR}.0 and \
                 the newest read)"
            ));
        }
        let count = r.u2()?;
        let mut pool = vec![Constant::Unusable];
        while pool.len() < count as usize {
            let (c, wide) = constant(&mut r)?;
            pool.push(c);
            if wide {
                pool.push(Constant::Unusable);
            }
        }
        if pool.len() != count.max(1) as usize {
            return Err("a long or double constant overruns the constant pool".into());
        }
        let pool = ConstantPool(pool);
        pool.check()?;
        Ok(pool)
    })();
    let pool = head.map_err(|why| err(file, None, why))?;
    let mut class = String::from(file);
    let body = (|| {
        let access = r.u2()?;
        class = pool.class_name(r.u2()?)?.to_owned();
        let super_name = match r.u2()? {
            0 => None,
            i => Some(pool.class_name(i)?.to_owned()),
        };
        let interfaces = (0..r.u2()?)
            .map(|_| Ok(pool.class_name(r.u2()?)?.to_owned()))
            .collect::<Result<Vec<_>, String>>()?;
        let mut fields = Vec::new();
        for _ in 0..r.u2()? {
            let access = r.u2()?;
            let name = pool.utf8(r.u2()?)?.to_owned();
            let descriptor = pool.utf8(r.u2()?)?.to_owned();
            let mut constant = None;
            for _ in 0..r.u2()? {
                let (attr, mut a) = attribute(&mut r, &pool)?;
                if attr == "ConstantValue" {
                    let i = a.u2()?;
                    pool.get(i)?;
                    constant = Some(i);
                }
            }
            fields.push(FieldInfo {
                access,
                name,
                descriptor,
                constant,
            });
        }
        Ok((access, super_name, interfaces, fields))
    })();
    let (access, super_name, interfaces, fields) = body.map_err(|why| err(&class, None, why))?;
    let mut methods = Vec::new();
    let count = r.u2().map_err(|why| err(&class, None, why))?;
    for _ in 0..count {
        let mut name = String::new();
        let method = (|| {
            let access = r.u2()?;
            name = pool.utf8(r.u2()?)?.to_owned();
            let descriptor = pool.utf8(r.u2()?)?.to_owned();
            let mut body = None;
            for _ in 0..r.u2()? {
                let (attr, a) = attribute(&mut r, &pool)?;
                if attr == "Code" {
                    body = Some(code(a, &pool)?);
                }
            }
            Ok(MethodInfo {
                access,
                name: name.clone(),
                descriptor,
                code: body,
            })
        })();
        let m = method
            .map_err(|why| err(&class, Some(name.as_str()).filter(|n| !n.is_empty()), why))?;
        methods.push(m);
    }
    let tail = (|| {
        let mut bootstraps = Vec::new();
        let mut source_file = None;
        for _ in 0..r.u2()? {
            let (attr, mut a) = attribute(&mut r, &pool)?;
            match attr {
                "BootstrapMethods" => {
                    for _ in 0..a.u2()? {
                        let method = a.u2()?;
                        let args = (0..a.u2()?).map(|_| a.u2()).collect::<Result<_, _>>()?;
                        bootstraps.push(Bootstrap { method, args });
                    }
                }
                "SourceFile" => source_file = Some(pool.utf8(a.u2()?)?.to_owned()),
                _ => {}
            }
        }
        if r.pos != bytes.len() {
            return Err(format!(
                "{} bytes of trailing garbage after the class",
                bytes.len() - r.pos
            ));
        }
        Ok((bootstraps, source_file))
    })();
    let (bootstraps, source_file) = tail.map_err(|why| err(&class, None, why))?;
    Ok(ClassFile {
        access,
        name: class,
        super_name,
        interfaces,
        fields,
        methods,
        pool,
        bootstraps,
        source_file,
    })
}
