//! Malformed and unsupported class files, and bad command-line input: each
//! gives an error that names the class (and the method, where the problem
//! is in one) and says what is wrong; none panics.
//!
//! The classes are written by a tiny assembler below ([`Pool`], [`Class`]),
//! so each case shows exactly the bytes it feeds the loader.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use gc_core::Mode;
use jvm::{Error, Jvm, Options};

// ---------------------------------------------------------------------------
// The assembler.

const ACC_PUBLIC: u16 = 0x0001;
const ACC_STATIC: u16 = 0x0008;
const ACC_SUPER: u16 = 0x0020;
const ACC_NATIVE: u16 = 0x0100;
const ACC_ABSTRACT: u16 = 0x0400;

const MAIN_DESC: &str = "([Ljava/lang/String;)V";

/// A big-endian u16, for spelling out instruction operands.
fn u2(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

/// Concatenates the pieces of an instruction sequence.
fn ops(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A constant pool under construction: entries are appended as they are
/// asked for, equal entries shared.
struct Pool {
    bytes: Vec<u8>,
    next: u16,
    seen: HashMap<Vec<u8>, u16>,
}

impl Pool {
    fn new() -> Pool {
        Pool {
            bytes: Vec::new(),
            next: 1,
            seen: HashMap::new(),
        }
    }

    /// Adds an encoded entry (its tag first) as is, unchecked.
    fn raw(&mut self, entry: &[u8]) -> u16 {
        if let Some(&i) = self.seen.get(entry) {
            return i;
        }
        let i = self.next;
        self.next += if matches!(entry[0], 5 | 6) { 2 } else { 1 };
        self.bytes.extend_from_slice(entry);
        self.seen.insert(entry.to_vec(), i);
        i
    }

    fn tagged(&mut self, tag: u8, refs: &[u16]) -> u16 {
        let mut e = vec![tag];
        for r in refs {
            e.extend(u2(*r));
        }
        self.raw(&e)
    }

    fn utf8(&mut self, s: &str) -> u16 {
        let mut e = vec![1];
        e.extend(u2(s.len() as u16));
        e.extend(s.as_bytes());
        self.raw(&e)
    }

    fn class(&mut self, name: &str) -> u16 {
        let n = self.utf8(name);
        self.tagged(7, &[n])
    }

    fn string(&mut self, s: &str) -> u16 {
        let n = self.utf8(s);
        self.tagged(8, &[n])
    }

    fn long(&mut self, v: i64) -> u16 {
        let mut e = vec![5];
        e.extend(v.to_be_bytes());
        self.raw(&e)
    }

    fn name_and_type(&mut self, name: &str, desc: &str) -> u16 {
        let (n, d) = (self.utf8(name), self.utf8(desc));
        self.tagged(12, &[n, d])
    }

    fn member(&mut self, tag: u8, class: &str, name: &str, desc: &str) -> u16 {
        let c = self.class(class);
        let nt = self.name_and_type(name, desc);
        self.tagged(tag, &[c, nt])
    }

    fn field(&mut self, class: &str, name: &str, desc: &str) -> u16 {
        self.member(9, class, name, desc)
    }

    fn method(&mut self, class: &str, name: &str, desc: &str) -> u16 {
        self.member(10, class, name, desc)
    }

    fn method_handle(&mut self, kind: u8, member: u16) -> u16 {
        let mut e = vec![15, kind];
        e.extend(u2(member));
        self.raw(&e)
    }

    fn invoke_dynamic(&mut self, bootstrap: u16, name: &str, desc: &str) -> u16 {
        let nt = self.name_and_type(name, desc);
        self.tagged(18, &[bootstrap, nt])
    }

    /// The constant-pool count the header gives: one more than the last index.
    fn count(&self) -> u16 {
        self.next
    }
}

/// A `Code` attribute's contents.
struct Code {
    max_stack: u16,
    max_locals: u16,
    bytes: Vec<u8>,
    /// `(start, end, handler, catch type)`.
    handlers: Vec<[u16; 4]>,
}

impl Code {
    fn new(max_stack: u16, max_locals: u16, bytes: Vec<u8>) -> Code {
        Code {
            max_stack,
            max_locals,
            bytes,
            handlers: Vec::new(),
        }
    }
}

/// A class file under construction.
struct Class {
    pool: Pool,
    major: u16,
    access: u16,
    this: u16,
    super_class: u16,
    interfaces: Vec<u16>,
    fields: Vec<u8>,
    field_count: u16,
    methods: Vec<u8>,
    method_count: u16,
    attributes: Vec<u8>,
    attribute_count: u16,
}

impl Class {
    /// `name extends java/lang/Object`, version 61 (Java 17).
    fn new(name: &str) -> Class {
        Class::extending(name, Some("java/lang/Object"))
    }

    fn extending(name: &str, super_name: Option<&str>) -> Class {
        let mut pool = Pool::new();
        let this = pool.class(name);
        let super_class = super_name.map_or(0, |s| pool.class(s));
        Class {
            pool,
            major: 61,
            access: ACC_PUBLIC | ACC_SUPER,
            this,
            super_class,
            interfaces: Vec::new(),
            fields: Vec::new(),
            field_count: 0,
            methods: Vec::new(),
            method_count: 0,
            attributes: Vec::new(),
            attribute_count: 0,
        }
    }

    fn attribute(pool: &mut Pool, out: &mut Vec<u8>, name: &str, body: &[u8]) {
        out.extend(u2(pool.utf8(name)));
        out.extend((body.len() as u32).to_be_bytes());
        out.extend_from_slice(body);
    }

    fn field(&mut self, access: u16, name: &str, desc: &str) -> &mut Self {
        let (n, d) = (self.pool.utf8(name), self.pool.utf8(desc));
        self.fields.extend(u2(access));
        self.fields.extend(u2(n));
        self.fields.extend(u2(d));
        self.fields.extend(u2(0));
        self.field_count += 1;
        self
    }

    fn method(&mut self, access: u16, name: &str, desc: &str, code: Option<Code>) -> &mut Self {
        let (n, d) = (self.pool.utf8(name), self.pool.utf8(desc));
        self.methods.extend(u2(access));
        self.methods.extend(u2(n));
        self.methods.extend(u2(d));
        match code {
            None => self.methods.extend(u2(0)),
            Some(c) => {
                self.methods.extend(u2(1));
                let mut body = Vec::new();
                body.extend(u2(c.max_stack));
                body.extend(u2(c.max_locals));
                body.extend((c.bytes.len() as u32).to_be_bytes());
                body.extend(&c.bytes);
                body.extend(u2(c.handlers.len() as u16));
                for h in &c.handlers {
                    for v in h {
                        body.extend(u2(*v));
                    }
                }
                body.extend(u2(0));
                Class::attribute(&mut self.pool, &mut self.methods, "Code", &body);
            }
        }
        self.method_count += 1;
        self
    }

    /// `public static void main(String[])` with this code.
    fn main(&mut self, max_stack: u16, max_locals: u16, code: Vec<u8>) -> &mut Self {
        self.method(
            ACC_PUBLIC | ACC_STATIC,
            "main",
            MAIN_DESC,
            Some(Code::new(max_stack, max_locals, code)),
        )
    }

    /// A class attribute.
    fn class_attribute(&mut self, name: &str, body: &[u8]) -> &mut Self {
        Class::attribute(&mut self.pool, &mut self.attributes, name, body);
        self.attribute_count += 1;
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(0xCAFE_BABE_u32.to_be_bytes());
        b.extend(u2(0));
        b.extend(u2(self.major));
        b.extend(u2(self.pool.count()));
        b.extend(&self.pool.bytes);
        b.extend(u2(self.access));
        b.extend(u2(self.this));
        b.extend(u2(self.super_class));
        b.extend(u2(self.interfaces.len() as u16));
        for i in &self.interfaces {
            b.extend(u2(*i));
        }
        b.extend(u2(self.field_count));
        b.extend(&self.fields);
        b.extend(u2(self.method_count));
        b.extend(&self.methods);
        b.extend(u2(self.attribute_count));
        b.extend(&self.attributes);
        b
    }
}

/// `Bad` with a `main` of this code.
fn bad_main(max_stack: u16, max_locals: u16, code: impl FnOnce(&mut Pool) -> Vec<u8>) -> Vec<u8> {
    let mut c = Class::new("Bad");
    let code = code(&mut c.pool);
    c.main(max_stack, max_locals, code);
    c.bytes()
}

// ---------------------------------------------------------------------------
// Running.

/// A fresh directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("jvm-malformed-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, file: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options(class_path: &Path) -> Options {
    Options {
        class_path: vec![class_path.to_path_buf()],
        heap_size: 4 << 20,
        mode: Mode::StopTheWorld,
        fuel: Some(1_000_000),
        ..Options::default()
    }
}

/// Where a run stopped.
#[derive(Debug, PartialEq, Eq)]
enum Stage {
    /// `Jvm::new` failed.
    Load,
    /// `run_main` failed.
    Run,
}

/// Loads `class_path` and runs `main`, on a thread with a big stack as the
/// `jvm` binary does: how it failed, as the error and its text. Panics
/// (failing the test) if it succeeded.
fn fail(class_path: &Path, main: &str) -> (Stage, Error, String) {
    let (options, main) = (options(class_path), main.to_owned());
    let r = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let (out, err) = (common::Captured::default(), common::Captured::default());
            match Jvm::new(&options, Box::new(out.clone()), Box::new(err.clone())) {
                Err(e) => Err((Stage::Load, e)),
                Ok(mut jvm) => jvm.run_main(&main, &[]).map_err(|e| (Stage::Run, e)),
            }
        })
        .unwrap()
        .join()
        .expect("the JVM panicked");
    match r {
        Ok(()) => panic!("the run succeeded; an error was expected"),
        Err((stage, e)) => {
            let text = e.to_string();
            (stage, e, text)
        }
    }
}

/// Writes `files` to a fresh directory, runs `Bad`, and checks that it is
/// refused with a load error (when the class is loaded or the method first
/// called, both in `run_main`) containing every one of `want`.
fn rejected(tag: &str, files: &[(&str, &[u8])], want: &[&str]) -> String {
    let dir = TempDir::new(tag);
    for (name, bytes) in files {
        dir.write(name, bytes);
    }
    let (_, e, text) = fail(&dir.0, "Bad");
    assert!(
        matches!(e, Error::Load(_)),
        "{tag}: expected Error::Load, got {e:?}"
    );
    check(tag, &text, want);
    text
}

/// [`rejected`] for one class file, `Bad.class`.
fn rejects(tag: &str, bytes: &[u8], want: &[&str]) -> String {
    rejected(tag, &[("Bad.class", bytes)], want)
}

fn check(tag: &str, text: &str, want: &[&str]) {
    for w in want {
        assert!(
            text.contains(w),
            "{tag}: the error {text:?} does not mention {w:?}"
        );
    }
}

/// The error of a decoding failure in `Bad.main`, as it starts.
const IN_MAIN: &str = "cannot load class Bad.main([Ljava/lang/String;)V: ";

// ---------------------------------------------------------------------------
// The file format.

#[test]
fn a_wellformed_class_runs() {
    // The assembler's output is good: the cases below break one thing each.
    let bytes = bad_main(2, 1, |p| {
        let out = p.field("java/lang/System", "out", "Ljava/io/PrintStream;");
        let s = p.string("hello from Bad");
        let println = p.method("java/io/PrintStream", "println", "(Ljava/lang/String;)V");
        ops(&[
            &[0xb2],
            &u2(out),
            &[0x13],
            &u2(s),
            &[0xb6],
            &u2(println),
            &[0xb1],
        ])
    });
    let dir = TempDir::new("good");
    dir.write("Bad.class", &bytes);
    let run = common::run(&dir.0, "Bad", &[], options(&dir.0));
    assert_eq!(run.result, Ok(()), "stderr: {}", run.err);
    assert_eq!(run.out, "hello from Bad\n");
}

#[test]
fn bad_magic() {
    let mut bytes = bad_main(0, 1, |_| vec![0xb1]);
    bytes[3] = 0xbf;
    rejects(
        "magic",
        &bytes,
        &[
            "Bad.class",
            "bad magic number 0xcafebabf",
            "not a class file",
        ],
    );
    rejects("empty", &[], &["Bad.class", "truncated"]);
    rejects(
        "text",
        b"public class Bad {}\n",
        &["Bad.class", "bad magic number"],
    );
}

#[test]
fn unsupported_versions() {
    let mut c = Class::new("Bad");
    c.main(0, 1, vec![0xb1]);
    c.major = 62;
    rejects(
        "v62",
        &c.bytes(),
        &["Bad.class", "version 62.0 is not supported", "61"],
    );
    c.major = 44;
    rejects(
        "v44",
        &c.bytes(),
        &["Bad.class", "version 44.0 is not supported"],
    );
    // The oldest and the newest read are accepted.
    for major in [45, 61] {
        c.major = major;
        let dir = TempDir::new("versions");
        dir.write("Bad.class", &c.bytes());
        let run = common::run(&dir.0, "Bad", &[], options(&dir.0));
        assert_eq!(run.result, Ok(()), "version {major}");
    }
}

/// Every prefix of a real class file is refused as truncated, naming the
/// file or (once it is read) the class.
#[test]
fn every_prefix_of_a_suite_class_is_truncated() {
    let full = std::fs::read(common::programs().join("hello/classes/Main.class")).unwrap();
    let dir = TempDir::new("prefix");
    for len in 0..full.len() {
        dir.write("Main.class", &full[..len]);
        let (_, e, text) = fail(&dir.0, "Main");
        let Error::Load(l) = &e else {
            panic!("prefix {len}: expected Error::Load, got {e:?}");
        };
        assert!(l.reason.starts_with("truncated: "), "prefix {len}: {text}");
        assert!(
            l.class == "Main" || l.class.ends_with("Main.class"),
            "prefix {len}: {text}"
        );
        assert!(
            l.reason.contains(&format!("the file has {len}")),
            "prefix {len}: {text}"
        );
    }
}

/// A cut inside a method names the method.
#[test]
fn truncated_inside_a_method() {
    let bytes = bad_main(1, 1, |_| vec![0x04, 0x57, 0x00, 0x00, 0x00, 0xb1]);
    // Inside main's code: the last bytes of the file are its Code
    // attribute's tail, the method's end and the class's attribute count.
    let at = bytes
        .windows(6)
        .position(|w| w == [0x04, 0x57, 0, 0, 0, 0xb1])
        .unwrap();
    let text = rejects("cut-method", &bytes[..at + 3], &["Bad.main: truncated"]);
    assert!(!text.contains(".class"), "{text}");
    // After the methods: the class, no method.
    let text = rejects("cut-end", &bytes[..bytes.len() - 1], &["Bad: truncated"]);
    assert!(!text.contains("Bad.main"), "{text}");
}

#[test]
fn trailing_garbage() {
    let mut bytes = bad_main(0, 1, |_| vec![0xb1]);
    bytes.extend([0xde, 0xad, 0xbe]);
    let text = rejects(
        "trailing",
        &bytes,
        &["cannot load class Bad: ", "3 bytes of trailing garbage"],
    );
    assert!(!text.contains(".class"), "{text}");
}

#[test]
fn constant_pool_index_out_of_range() {
    // In an instruction: `getstatic #999`.
    let bytes = bad_main(1, 1, |_| ops(&[&[0xb2], &u2(999), &[0x57, 0xb1]]));
    rejects(
        "cp-insn",
        &bytes,
        &[
            IN_MAIN,
            "at bytecode offset 0",
            "constant pool index 999 is out of range",
        ],
    );
    // In the pool: a Class entry naming entry 999.
    let mut c = Class::new("Bad");
    c.main(0, 1, vec![0xb1]);
    let bad = c.pool.tagged(7, &[999]);
    rejects(
        "cp-entry",
        &c.bytes(),
        &[
            "Bad.class",
            &format!("constant pool entry {bad}"),
            "index 999 is out of range",
        ],
    );
    // Index 0 is never usable, and a long's second slot neither.
    let mut long = 0;
    let bytes = bad_main(2, 1, |p| {
        long = p.long(7);
        ops(&[&[0x14], &u2(long + 1), &[0x58, 0xb1]])
    });
    rejects(
        "cp-long-half",
        &bytes,
        &[
            IN_MAIN,
            &format!("index {} is out of range or unusable", long + 1),
        ],
    );
    let mut c = Class::new("Bad");
    c.main(1, 1, ops(&[&[0x13], &u2(0), &[0x57, 0xb1]]));
    rejects(
        "cp-zero",
        &c.bytes(),
        &[IN_MAIN, "constant pool index 0 is out of range or unusable"],
    );
    // The class's own name.
    let mut c = Class::new("Bad");
    c.this = 500;
    rejects(
        "cp-this",
        &c.bytes(),
        &["Bad.class", "constant pool index 500 is out of range"],
    );
}

#[test]
fn constant_pool_entry_of_the_wrong_kind() {
    // `getstatic` of a Utf8.
    let mut utf8 = 0;
    let bytes = bad_main(1, 1, |p| {
        utf8 = p.utf8("out");
        ops(&[&[0xb2], &u2(utf8), &[0x57, 0xb1]])
    });
    rejects(
        "kind-getstatic",
        &bytes,
        &[
            IN_MAIN,
            &format!(
                "constant pool entry {utf8} should be a field or method reference, but is Utf8"
            ),
        ],
    );
    // `getstatic` of a method, `invokestatic` of a field.
    let bytes = bad_main(1, 1, |p| {
        let m = p.method("java/lang/System", "nanoTime", "()J");
        ops(&[&[0xb2], &u2(m), &[0x57, 0xb1]])
    });
    rejects("kind-field", &bytes, &[IN_MAIN, "is not a field reference"]);
    let bytes = bad_main(1, 1, |p| {
        let f = p.field("java/lang/System", "out", "Ljava/io/PrintStream;");
        ops(&[&[0xb8], &u2(f), &[0xb1]])
    });
    rejects(
        "kind-method",
        &bytes,
        &[IN_MAIN, "is not a method reference"],
    );
    // `ldc` of a Utf8, `new` of a String constant.
    let bytes = bad_main(1, 1, |p| {
        let s = p.utf8("text");
        ops(&[&[0x12, s as u8], &[0x57, 0xb1]])
    });
    rejects(
        "kind-ldc",
        &bytes,
        &[IN_MAIN, "ldc of an unsupported or mismatched constant Utf8"],
    );
    let bytes = bad_main(1, 1, |p| {
        let s = p.string("java/lang/Object");
        ops(&[&[0xbb], &u2(s), &[0x57, 0xb1]])
    });
    rejects("kind-new", &bytes, &[IN_MAIN, "should be a Class"]);
    // In the pool: a String entry naming a Class entry.
    let mut c = Class::new("Bad");
    let this = c.this;
    c.pool.tagged(8, &[this]);
    rejects(
        "kind-pool",
        &c.bytes(),
        &[
            "Bad.class",
            &format!("entry {this} should be a Utf8, but is Class"),
        ],
    );
}

#[test]
fn unknown_constant_tag() {
    for tag in [2, 13, 14, 21, 0xff] {
        let mut c = Class::new("Bad");
        c.pool.raw(&[tag, 0, 0]);
        rejects(
            "tag",
            &c.bytes(),
            &["Bad.class", &format!("unknown constant pool tag {tag}")],
        );
    }
}

#[test]
fn malformed_pool_contents() {
    // Bad modified UTF-8: a lone continuation byte, and a NUL byte.
    for bad in [&[0x80][..], &[b'a', 0x00]] {
        let mut c = Class::new("Bad");
        let mut e = vec![1];
        e.extend(u2(bad.len() as u16));
        e.extend(bad);
        c.pool.raw(&e);
        rejects(
            "utf8",
            &c.bytes(),
            &["Bad.class", "malformed modified UTF-8"],
        );
    }
    // A long in the last slot overruns the pool.
    let mut c = Class::new("Bad");
    c.main(0, 1, vec![0xb1]);
    let mut bytes = c.bytes();
    let count = c.pool.count();
    let mut long = vec![5];
    long.extend(1_i64.to_be_bytes());
    let end_of_pool = 10 + c.pool.bytes.len();
    bytes.splice(end_of_pool..end_of_pool, long);
    bytes[8..10].copy_from_slice(&u2(count + 1));
    rejects(
        "long-overrun",
        &bytes,
        &[
            "Bad.class",
            "a long or double constant overruns the constant pool",
        ],
    );
    // A method handle of a bad kind.
    let mut c = Class::new("Bad");
    let m = c
        .pool
        .method("java/lang/Object", "toString", "()Ljava/lang/String;");
    c.pool.method_handle(10, m);
    rejects("mh-kind", &c.bytes(), &["Bad.class", "has bad kind 10"]);
}

#[test]
fn malformed_code_attributes() {
    let mut c = Class::new("Bad");
    c.main(0, 1, vec![]);
    rejects(
        "code-empty",
        &c.bytes(),
        &["Bad.main: ", "code length 0 is outside 1..=65535"],
    );
    let mut c = Class::new("Bad");
    let mut code = Code::new(1, 1, vec![0xb1]);
    code.handlers.push([0, 5, 0, 0]);
    c.method(ACC_PUBLIC | ACC_STATIC, "main", MAIN_DESC, Some(code));
    rejects(
        "handler",
        &c.bytes(),
        &["Bad.main: ", "exception handler", "lies outside the code"],
    );
    // A concrete method without code, an abstract one with, a native one.
    let mut c = Class::new("Bad");
    c.method(ACC_PUBLIC | ACC_STATIC, "main", MAIN_DESC, None);
    rejects(
        "no-code",
        &c.bytes(),
        &["Bad.main: a concrete method has no code"],
    );
    let mut c = Class::new("Bad");
    c.method(
        ACC_PUBLIC | ACC_ABSTRACT,
        "f",
        "()V",
        Some(Code::new(0, 1, vec![0xb1])),
    );
    rejects(
        "abstract-code",
        &c.bytes(),
        &["Bad.f: an abstract method has code"],
    );
    // A native method is refused at its first call, not before.
    let mut c = Class::new("Bad");
    c.method(ACC_PUBLIC | ACC_STATIC | ACC_NATIVE, "f", "()V", None);
    let f = c.pool.method("Bad", "f", "()V");
    c.main(0, 1, ops(&[&[0xb8], &u2(f), &[0xb1]]));
    rejects(
        "native",
        &c.bytes(),
        &["Bad.f()V: native methods are not supported"],
    );
    let mut c = Class::new("Bad");
    c.method(ACC_PUBLIC | ACC_STATIC | ACC_NATIVE, "f", "()V", None);
    c.main(0, 1, vec![0xb1]);
    let dir = TempDir::new("native-uncalled");
    dir.write("Bad.class", &c.bytes());
    let run = common::run(&dir.0, "Bad", &[], options(&dir.0));
    assert_eq!(run.result, Ok(()), "stderr: {}", run.err);
    // Bad descriptors.
    let mut c = Class::new("Bad");
    c.method(
        ACC_PUBLIC | ACC_STATIC,
        "f",
        "(Q)V",
        Some(Code::new(0, 0, vec![0xb1])),
    );
    rejects(
        "method-desc",
        &c.bytes(),
        &["Bad.f: bad method descriptor (Q)V"],
    );
    let mut c = Class::new("Bad");
    c.field(ACC_STATIC, "x", "Lfoo");
    rejects(
        "field-desc",
        &c.bytes(),
        &["Bad: field x has bad descriptor \"Lfoo\""],
    );
}

// ---------------------------------------------------------------------------
// Bytecode.

#[test]
fn unsupported_opcodes() {
    // `invokedynamic` of a lambda: its bootstrap is not string concatenation.
    let mut c = Class::new("Bad");
    let meta = c.pool.method(
        "java/lang/invoke/LambdaMetafactory",
        "metafactory",
        "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;\
         Ljava/lang/invoke/MethodType;Ljava/lang/invoke/MethodHandle;Ljava/lang/invoke/MethodType;)\
         Ljava/lang/invoke/CallSite;",
    );
    let handle = c.pool.method_handle(6, meta);
    let indy = c.pool.invoke_dynamic(0, "run", "()Ljava/lang/Runnable;");
    c.main(1, 1, ops(&[&[0xba], &u2(indy), &[0, 0, 0x57, 0xb1]]));
    c.class_attribute("BootstrapMethods", &ops(&[&u2(1), &u2(handle), &u2(0)]));
    rejects(
        "indy-lambda",
        &c.bytes(),
        &[
            IN_MAIN,
            "at bytecode offset 0",
            "invokedynamic run via java/lang/invoke/LambdaMetafactory.metafactory is not supported",
        ],
    );
    // `invokedynamic` with no BootstrapMethods attribute.
    let mut c = Class::new("Bad");
    let indy = c.pool.invoke_dynamic(0, "run", "()Ljava/lang/Runnable;");
    c.main(1, 1, ops(&[&[0xba], &u2(indy), &[0, 0, 0x57, 0xb1]]));
    rejects(
        "indy-no-bsm",
        &c.bytes(),
        &[IN_MAIN, "bootstrap method 0 does not exist"],
    );
    // `jsr`, `ret`, `jsr_w`.
    let bytes = bad_main(1, 1, |_| ops(&[&[0xa8], &u2(3), &[0xb1]]));
    rejects(
        "jsr",
        &bytes,
        &[IN_MAIN, "at bytecode offset 0", "jsr/ret", "not supported"],
    );
    let bytes = bad_main(1, 1, |_| vec![0x00, 0xa9, 0x00, 0xb1]);
    rejects("ret", &bytes, &[IN_MAIN, "at bytecode offset 1", "jsr/ret"]);
    let bytes = bad_main(1, 1, |_| vec![0xc9, 0, 0, 0, 5, 0xb1]);
    rejects("jsr_w", &bytes, &[IN_MAIN, "opcode 0xc9 is not supported"]);
    // Undefined opcodes (0xca is `breakpoint`, reserved).
    for op in [0xcb, 0xca, 0xfe, 0xff] {
        let bytes = bad_main(0, 1, |_| vec![0x00, 0x00, op, 0xb1]);
        rejects(
            "undefined",
            &bytes,
            &[
                IN_MAIN,
                "at bytecode offset 2",
                &format!("opcode {op:#04x} is not supported"),
            ],
        );
    }
    // `wide` of an instruction that has no wide form.
    let bytes = bad_main(1, 1, |_| vec![0xc4, 0x10, 0x00, 0x00, 0xb1]);
    rejects(
        "wide",
        &bytes,
        &[IN_MAIN, "wide 0x10 is not a valid instruction"],
    );
    // Class literals.
    let bytes = bad_main(1, 1, |p| {
        let c = p.class("Bad");
        ops(&[&[0x13], &u2(c), &[0x57, 0xb1]])
    });
    rejects(
        "ldc-class",
        &bytes,
        &[IN_MAIN, "class literals (Foo.class) are not supported"],
    );
}

#[test]
fn operands_out_of_range() {
    // `newarray` of type 3.
    let bytes = bad_main(1, 1, |_| vec![0x04, 0xbc, 3, 0x57, 0xb1]);
    rejects(
        "newarray",
        &bytes,
        &[IN_MAIN, "at bytecode offset 1", "newarray of bad type 3"],
    );
    // `tableswitch` with high < low.
    let bytes = bad_main(1, 1, |_| {
        ops(&[
            &[0x03, 0xaa, 0, 0],
            &8_i32.to_be_bytes(),
            &5_i32.to_be_bytes(),
            &4_i32.to_be_bytes(),
            &[0xb1],
        ])
    });
    rejects(
        "tableswitch",
        &bytes,
        &[IN_MAIN, "tableswitch range 5..4 is bad"],
    );
    // `multianewarray` of more dimensions than its type has.
    let bytes = bad_main(2, 1, |p| {
        let c = p.class("[[I");
        ops(&[&[0x04, 0x04, 0x04, 0xc5], &u2(c), &[3, 0x57, 0xb1]])
    });
    rejects(
        "multianewarray",
        &bytes,
        &[IN_MAIN, "multianewarray of 3 dimensions"],
    );
    // An instruction cut by the end of the code.
    let bytes = bad_main(1, 1, |_| vec![0x00, 0x11, 0x01]);
    rejects(
        "cut-insn",
        &bytes,
        &[
            IN_MAIN,
            "at bytecode offset 1",
            "the code ends inside an instruction",
        ],
    );
}

#[test]
fn branch_into_the_middle_of_an_instruction() {
    // sipush 1 (offsets 0-2); goto -2 (to offset 1, sipush's operand).
    let bytes = bad_main(1, 1, |_| {
        ops(&[&[0x11, 0, 1, 0xa7], &u2((-2_i16) as u16), &[0xb1]])
    });
    rejects(
        "branch-middle",
        &bytes,
        &[IN_MAIN, "a branch to offset 1, which starts no instruction"],
    );
    // Past the end of the code, and before its start.
    let bytes = bad_main(1, 1, |_| ops(&[&[0xa7], &u2(100), &[0xb1]]));
    rejects(
        "branch-past",
        &bytes,
        &[
            IN_MAIN,
            "a branch to offset 100, which starts no instruction",
        ],
    );
    let bytes = bad_main(1, 1, |_| {
        ops(&[&[0x00, 0xa7], &u2((-5_i16) as u16), &[0xb1]])
    });
    rejects(
        "branch-before",
        &bytes,
        &[
            IN_MAIN,
            "at bytecode offset 1",
            "branch at 1 goes before the code",
        ],
    );
    // A handler starting inside an instruction.
    let mut c = Class::new("Bad");
    let mut code = Code::new(1, 1, vec![0x11, 0, 1, 0x57, 0xb1]);
    code.handlers.push([1, 4, 4, 0]);
    c.method(ACC_PUBLIC | ACC_STATIC, "main", MAIN_DESC, Some(code));
    rejects(
        "handler-middle",
        &c.bytes(),
        &[IN_MAIN, "a branch to offset 1, which starts no instruction"],
    );
}

#[test]
fn local_beyond_max_locals() {
    let bytes = bad_main(1, 1, |_| vec![0x15, 5, 0x57, 0xb1]);
    rejects(
        "iload",
        &bytes,
        &[
            IN_MAIN,
            "at bytecode offset 0",
            "local variable 5 is beyond max_locals 1",
        ],
    );
    // A long in local 0 needs two.
    let bytes = bad_main(2, 1, |_| vec![0x09, 0x3f, 0xb1]);
    rejects(
        "lstore_0",
        &bytes,
        &[
            IN_MAIN,
            "at bytecode offset 1",
            "local variable 0 is beyond max_locals 1",
        ],
    );
    let bytes = bad_main(0, 1, |_| vec![0x84, 1, 1, 0xb1]);
    rejects(
        "iinc",
        &bytes,
        &[IN_MAIN, "local variable 1 is beyond max_locals 1"],
    );
    let bytes = bad_main(1, 1, |_| ops(&[&[0xc4, 0x19], &u2(300), &[0x57, 0xb1]]));
    rejects(
        "wide-aload",
        &bytes,
        &[IN_MAIN, "local variable 300 is beyond max_locals 1"],
    );
}

#[test]
fn missing_classes_and_members() {
    let bytes = bad_main(2, 1, |p| {
        let c = p.class("java/util/ArrayList");
        ops(&[&[0xbb], &u2(c), &[0x57, 0xb1]])
    });
    rejects(
        "new-missing",
        &bytes,
        &[IN_MAIN, "class java/util/ArrayList not found"],
    );
    let bytes = bad_main(2, 1, |p| {
        let init = p.method("java/util/ArrayList", "<init>", "()V");
        ops(&[&[0x01, 0xb7], &u2(init), &[0xb1]])
    });
    rejects(
        "call-missing-class",
        &bytes,
        &[IN_MAIN, "class java/util/ArrayList not found"],
    );
    let bytes = bad_main(2, 1, |p| {
        let s = p.string("x");
        let strip = p.method("java/lang/String", "strip", "()Ljava/lang/String;");
        ops(&[&[0x13], &u2(s), &[0xb6], &u2(strip), &[0x57, 0xb1]])
    });
    rejects(
        "missing-method",
        &bytes,
        &[
            IN_MAIN,
            "at bytecode offset 3",
            "no method java/lang/String.strip()Ljava/lang/String;",
        ],
    );
    let bytes = bad_main(1, 1, |p| {
        let f = p.field("java/lang/System", "in", "Ljava/io/InputStream;");
        ops(&[&[0xb2], &u2(f), &[0x57, 0xb1]])
    });
    rejects(
        "missing-field",
        &bytes,
        &[IN_MAIN, "no field in in java/lang/System"],
    );
    // A catch clause of a missing class.
    let mut c = Class::new("Bad");
    let missing = c.pool.class("java/io/IOException");
    let mut code = Code::new(1, 1, vec![0x00, 0xb1, 0x57, 0xb1]);
    code.handlers.push([0, 1, 2, missing]);
    c.method(ACC_PUBLIC | ACC_STATIC, "main", MAIN_DESC, Some(code));
    rejects(
        "catch-missing",
        &c.bytes(),
        &[IN_MAIN, "class java/io/IOException not found"],
    );
    // An array of a missing class.
    let bytes = bad_main(1, 1, |p| {
        let c = p.class("java/util/List");
        ops(&[&[0x04, 0xbd], &u2(c), &[0x57, 0xb1]])
    });
    rejects(
        "anewarray-missing",
        &bytes,
        &[IN_MAIN, "class java/util/List not found"],
    );
}

#[test]
fn members_of_the_wrong_sort() {
    // `getstatic` of an instance field, `getfield` of a static one.
    let mut c = Class::new("Bad");
    c.field(0, "x", "I");
    let x = c.pool.field("Bad", "x", "I");
    c.main(1, 1, ops(&[&[0xb2], &u2(x), &[0x57, 0xb1]]));
    rejects(
        "getstatic-instance",
        &c.bytes(),
        &[IN_MAIN, "field Bad.x is not static"],
    );
    let mut c = Class::new("Bad");
    c.field(ACC_STATIC, "s", "I");
    let s = c.pool.field("Bad", "s", "I");
    c.main(1, 1, ops(&[&[0x01, 0xb4], &u2(s), &[0x57, 0xb1]]));
    rejects(
        "getfield-static",
        &c.bytes(),
        &[IN_MAIN, "field Bad.s is static"],
    );
    // A field reference whose type is not the field's.
    let mut c = Class::new("Bad");
    c.field(ACC_STATIC, "s", "I");
    let sj = c.pool.field("Bad", "s", "J");
    c.main(2, 1, ops(&[&[0xb2], &u2(sj), &[0x58, 0xb1]]));
    rejects(
        "field-type",
        &c.bytes(),
        &[IN_MAIN, "field Bad.s is Int, not J"],
    );
    // `invokestatic` of an instance method, `invokevirtual` of a static one.
    let bytes = bad_main(1, 1, |p| {
        let m = p.method("java/lang/Object", "hashCode", "()I");
        ops(&[&[0xb8], &u2(m), &[0x57, 0xb1]])
    });
    rejects(
        "invokestatic-instance",
        &bytes,
        &[IN_MAIN, "java/lang/Object.hashCode is not static"],
    );
    let bytes = bad_main(1, 1, |p| {
        let m = p.method("java/lang/System", "nanoTime", "()J");
        ops(&[&[0x01, 0xb6], &u2(m), &[0x58, 0xb1]])
    });
    rejects(
        "invokevirtual-static",
        &bytes,
        &[IN_MAIN, "java/lang/System.nanoTime is static"],
    );
    // `new` of an interface.
    let bytes = bad_main(1, 1, |p| {
        let c = p.class("java/lang/Runnable");
        ops(&[&[0xbb], &u2(c), &[0x57, 0xb1]])
    });
    rejects(
        "new-interface",
        &bytes,
        &[
            IN_MAIN,
            "new of java/lang/Runnable, which cannot have instances",
        ],
    );
}

/// Type errors a verifier would catch and this JVM does not look for at
/// load time: the interpreter notices them when it meets them, and stops
/// with an internal error (after what ran before).
#[test]
fn verify_errors_at_run_time() {
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        (
            "getfield of an int",
            {
                let mut c = Class::new("Bad");
                c.field(0, "x", "I");
                let x = c.pool.field("Bad", "x", "I");
                c.main(1, 1, ops(&[&[0x04, 0xb4], &u2(x), &[0x57, 0xb1]]));
                c.bytes()
            },
            &["getfield", "reference"],
        ),
        (
            "putfield on an int",
            {
                let mut c = Class::new("Bad");
                c.field(0, "x", "I");
                let x = c.pool.field("Bad", "x", "I");
                c.main(2, 1, ops(&[&[0x05, 0x04, 0xb5], &u2(x), &[0xb1]]));
                c.bytes()
            },
            &["putfield", "reference"],
        ),
        (
            "getfield of another class's object",
            {
                let mut c = Class::new("Bad");
                c.field(0, "x", "I");
                let x = c.pool.field("Bad", "x", "I");
                let object = c.pool.class("java/lang/Object");
                let init = c.pool.method("java/lang/Object", "<init>", "()V");
                c.main(
                    2,
                    1,
                    ops(&[
                        &[0xbb],
                        &u2(object),
                        &[0x59, 0xb7],
                        &u2(init),
                        &[0xb4],
                        &u2(x),
                        &[0x57, 0xb1],
                    ]),
                );
                c.bytes()
            },
            &["of Bad", "instance of java/lang/Object"],
        ),
        (
            "iaload on a long[]",
            bad_main(2, 1, |_| vec![0x04, 0xbc, 11, 0x03, 0x2e, 0x57, 0xb1]),
            &["Int", "Long"],
        ),
        (
            "aaload on an int[]",
            bad_main(2, 1, |_| vec![0x04, 0xbc, 10, 0x03, 0x32, 0x57, 0xb1]),
            &["Ref", "Int"],
        ),
        (
            "arraylength of a string",
            bad_main(1, 1, |p| {
                let s = p.string("abc");
                ops(&[&[0x13], &u2(s), &[0xbe, 0x57, 0xb1]])
            }),
            &["arraylength", "non-array"],
        ),
        (
            "aastore of an int",
            bad_main(3, 1, |p| {
                let object = p.class("java/lang/Object");
                ops(&[&[0x04, 0xbd], &u2(object), &[0x03, 0x04, 0x53, 0xb1]])
            }),
            &["aastore", "non-reference"],
        ),
        (
            "athrow of an int",
            bad_main(1, 1, |_| vec![0x04, 0xbf]),
            &["athrow", "reference"],
        ),
        (
            "invokevirtual on an int",
            bad_main(1, 1, |p| {
                let m = p.method("java/lang/Object", "hashCode", "()I");
                ops(&[&[0x04, 0xb6], &u2(m), &[0x57, 0xb1]])
            }),
            &["invokevirtual", "reference"],
        ),
    ];
    for (what, bytes, want) in cases {
        let dir = TempDir::new("verify");
        dir.write("Bad.class", &bytes);
        let (stage, e, text) = fail(&dir.0, "Bad");
        assert_eq!(stage, Stage::Run, "{what}: {text}");
        assert!(
            matches!(e, Error::Internal(_)),
            "{what}: expected Error::Internal, got {e:?}"
        );
        check(what, &text, &["verify error: "]);
        check(what, &text, want);
    }
}

// ---------------------------------------------------------------------------
// Linking, and the command line.

#[test]
fn superclass_does_not_exist() {
    let mut c = Class::extending("Bad", Some("Missing"));
    c.main(0, 1, vec![0xb1]);
    rejects(
        "super-missing",
        &c.bytes(),
        &["cannot load class Bad: supertype Missing not found on the class path"],
    );
    // A missing interface, a class as an interface, a final superclass,
    // a cycle, and no superclass at all.
    let mut c = Class::new("Bad");
    let i = c.pool.class("java/util/List");
    c.interfaces.push(i);
    rejects(
        "iface-missing",
        &c.bytes(),
        &["Bad: supertype java/util/List not found"],
    );
    let mut c = Class::new("Bad");
    let i = c.pool.class("java/lang/Object");
    c.interfaces.push(i);
    rejects(
        "iface-class",
        &c.bytes(),
        &["Bad: java/lang/Object is not an interface"],
    );
    let c = Class::extending("Bad", Some("java/lang/String"));
    rejects(
        "super-final",
        &c.bytes(),
        &["Bad: cannot extend java/lang/String, which is an interface or final"],
    );
    let c = Class::extending("Bad", Some("Bad"));
    rejects(
        "super-self",
        &c.bytes(),
        &["Bad: the class is its own supertype"],
    );
    let (a, b) = (
        Class::extending("Bad", Some("B")),
        Class::extending("B", Some("Bad")),
    );
    rejected(
        "super-cycle",
        &[("Bad.class", &a.bytes()), ("B.class", &b.bytes())],
        &["the class is its own supertype"],
    );
    let c = Class::extending("Bad", None);
    rejects(
        "super-none",
        &c.bytes(),
        &["Bad: only java/lang/Object has no superclass"],
    );
}

/// A runtime class cannot be replaced. As on a JVM's class path, a class
/// is read from the file its name says: a file holding another class is not
/// that class, and is ignored.
#[test]
fn classes_replaced_or_misplaced() {
    // The runtime's classes come first, as a JVM's boot classes: a file of
    // the class path with one's name is never read.
    let dir = TempDir::new("replaces-runtime");
    dir.write("java/lang/String.class", b"not a class file");
    dir.write("Bad.class", &bad_main(0, 1, |_| vec![0xb1]));
    let run = common::run(&dir.0, "Bad", &[], options(&dir.0));
    assert_eq!(run.result, Ok(()), "stderr: {}", run.err);
    let dir = TempDir::new("misplaced");
    let bad = bad_main(0, 1, |_| vec![0xb1]);
    dir.write("Other.class", &bad);
    let (stage, e, text) = fail(&dir.0, "Bad");
    assert_eq!(stage, Stage::Run, "{text}");
    assert!(matches!(e, Error::Usage(_)), "{e:?}");
    assert_eq!(text, "could not find or load main class Bad");
    // Next to the right file, the copy changes nothing.
    dir.write("Bad.class", &bad);
    let run = common::run(&dir.0, "Bad", &[], options(&dir.0));
    assert_eq!(run.result, Ok(()), "stderr: {}", run.err);
}

#[test]
fn class_path_does_not_exist() {
    let dir = TempDir::new("nocp");
    let missing = dir.0.join("no-such-dir");
    let (stage, _, text) = fail(&missing, "Main");
    assert_eq!(stage, Stage::Load, "{text}");
    check(
        "nocp",
        &text,
        &[&missing.display().to_string(), "is not a directory"],
    );
}

#[test]
fn main_class_not_found() {
    let dir = TempDir::new("nomain");
    dir.write("Bad.class", &bad_main(0, 1, |_| vec![0xb1]));
    let (stage, e, text) = fail(&dir.0, "Main");
    assert_eq!(stage, Stage::Run, "{text}");
    assert!(matches!(e, Error::Usage(_)), "{e:?}");
    assert_eq!(text, "could not find or load main class Main");
    // A dotted name is the internal name with slashes.
    let (_, _, text) = fail(&dir.0, "pkg.Bad");
    assert_eq!(text, "could not find or load main class pkg.Bad");
    // An empty class path has no main class either.
    let empty = TempDir::new("empty");
    let (_, _, text) = fail(&empty.0, "Main");
    assert_eq!(text, "could not find or load main class Main");
}

#[test]
fn no_main_method() {
    let expect =
        "main method not found in class Bad: define it as public static void main(String[] args)";
    // No methods at all; main not static; main of another descriptor.
    let mut variants = vec![Class::new("Bad")];
    let mut c = Class::new("Bad");
    c.method(
        ACC_PUBLIC,
        "main",
        MAIN_DESC,
        Some(Code::new(0, 2, vec![0xb1])),
    );
    variants.push(c);
    let mut c = Class::new("Bad");
    c.method(
        ACC_PUBLIC | ACC_STATIC,
        "main",
        "()V",
        Some(Code::new(0, 0, vec![0xb1])),
    );
    variants.push(c);
    for (i, c) in variants.iter().enumerate() {
        let dir = TempDir::new("nomainmethod");
        dir.write("Bad.class", &c.bytes());
        let (stage, e, text) = fail(&dir.0, "Bad");
        assert_eq!(stage, Stage::Run, "variant {i}: {text}");
        assert!(matches!(e, Error::Usage(_)), "variant {i}: {e:?}");
        assert_eq!(text, expect, "variant {i}");
    }
}
