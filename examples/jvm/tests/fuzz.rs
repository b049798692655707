//! Fuzzes the class-file parser, the linker, the decoder and the
//! interpreter with random mutations of the suite's class files: no mutant
//! may panic, crash or hang the JVM; each must load and run, or be refused
//! with an error.
//!
//! Each iteration takes one class file of one program of the suite, applies
//! one to four mutations (flipped bytes, u16s overwritten with boundary
//! values, truncation, a span duplicated, deleted, or spliced in from
//! another class file; about half of them aimed at methods' code), puts it
//! with the program's other classes in a directory, and runs `Jvm::new`
//! and, if that loads, `run_main` with a little fuel and a small heap.
//!
//! - `JVM_FUZZ_SEED`: the seed (default [`DEFAULT_SEED`]; always printed).
//! - `JVM_FUZZ_ITERS`: how many iterations (default [`DEFAULT_ITERS`]).
//! - `JVM_FUZZ_CASE_SECS`: the time one case may take before it counts as
//!   a hang (default [`CASE_LIMIT`]).
//! - `JVM_FUZZ_FROM`: the first iteration's number (default 0). Each
//!   iteration's random choices depend only on the seed and its number, so
//!   `JVM_FUZZ_SEED=s JVM_FUZZ_FROM=i JVM_FUZZ_ITERS=1` replays iteration `i`.
//!
//! The iterations run in a child process (this test binary again), so that
//! a crash (a segfault, an abort) is reported too, with the iteration that
//! caused it: the parent then carries on after it in a new child. Every
//! failing mutant is kept on disk with its program's other classes; the
//! report prints where. Run with `-- --nocapture` to see the outcome counts
//! of a passing run.

mod common;

/// The seed when `JVM_FUZZ_SEED` is not set.
const DEFAULT_SEED: u64 = 0x6a76_6d2d_6675_7a7a;

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Write as _;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gc_core::Mode;
use jvm::{Error, Jvm, Options};

/// Iterations by default: about 15 s in a debug build on two cores.
const DEFAULT_ITERS: u64 = 3000;

/// The longest one case may take before it counts as a hang (the slowest
/// take about 100 ms in a debug build). Fuel bounds the interpreter's
/// loops; this catches work that fuel does not count, in natives or the
/// loader.
const CASE_LIMIT: Duration = Duration::from_secs(10);

/// Back-branches and calls a run may make.
const FUEL: u64 = 200_000;

// ---------------------------------------------------------------------------
// Randomness.

/// xorshift64, seeded through splitmix64.
struct Rng(u64);

impl Rng {
    /// The generator of iteration `i` under `seed`.
    fn new(seed: u64, i: u64) -> Rng {
        let mut z = seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(z.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A span length: mostly short, sometimes long.
    fn span(&mut self) -> usize {
        if self.chance(85) {
            1 + self.below(16)
        } else {
            1 + self.below(256)
        }
    }
}

// ---------------------------------------------------------------------------
// The corpus.

/// One class file of the suite, and where its methods' code lies.
struct ClassFile {
    name: String,
    bytes: Vec<u8>,
    code: Vec<Range<usize>>,
}

struct Program {
    name: String,
    args: Vec<String>,
    classes: Vec<ClassFile>,
}

fn corpus() -> Vec<Program> {
    let mut programs = Vec::new();
    let mut names: Vec<_> = fs::read_dir(common::programs())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("classes").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let dir = common::programs().join(&name).join("classes");
        let mut files: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".class"))
            .collect();
        files.sort();
        let classes = files
            .into_iter()
            .map(|f| {
                let bytes = fs::read(dir.join(&f)).unwrap();
                let code = code_spans(&bytes)
                    .unwrap_or_else(|| panic!("{name}/{f}: the test's class-file walker failed"));
                ClassFile {
                    name: f,
                    bytes,
                    code,
                }
            })
            .collect();
        programs.push(Program {
            args: common::args(&name),
            name,
            classes,
        });
    }
    assert!(
        !programs.is_empty(),
        "no programs under {}",
        common::programs().display()
    );
    programs
}

/// The byte ranges of the methods' code in a well-formed class file.
fn code_spans(b: &[u8]) -> Option<Vec<Range<usize>>> {
    let mut at = 8;
    let u2 = |at: &mut usize| -> Option<usize> {
        let v = u16::from_be_bytes([*b.get(*at)?, *b.get(*at + 1)?]);
        *at += 2;
        Some(v as usize)
    };
    let u4 = |at: &mut usize| -> Option<usize> {
        let v = u32::from_be_bytes(b.get(*at..*at + 4)?.try_into().ok()?);
        *at += 4;
        Some(v as usize)
    };
    let count = u2(&mut at)?;
    let mut utf8 = vec![None; count];
    let mut i = 1;
    while i < count {
        let tag = *b.get(at)?;
        at += 1;
        match tag {
            1 => {
                let n = u2(&mut at)?;
                utf8[i] = Some(b.get(at..at + n)?.to_vec());
                at += n;
            }
            3 | 4 | 9 | 10 | 11 | 12 | 17 | 18 => at += 4,
            5 | 6 => {
                at += 8;
                i += 1;
            }
            7 | 8 | 16 | 19 | 20 => at += 2,
            15 => at += 3,
            _ => return None,
        }
        i += 1;
    }
    at += 6;
    let interfaces = u2(&mut at)?;
    at += 2 * interfaces;
    let mut spans = Vec::new();
    for is_method in [false, true] {
        for _ in 0..u2(&mut at)? {
            at += 6;
            for _ in 0..u2(&mut at)? {
                let name = u2(&mut at)?;
                let len = u4(&mut at)?;
                let is_code = utf8.get(name)?.as_deref() == Some(b"Code".as_slice());
                if is_method && is_code {
                    let code_len = u32::from_be_bytes(b.get(at + 4..at + 8)?.try_into().ok()?);
                    spans.push(at + 8..at + 8 + code_len as usize);
                }
                at += len;
            }
        }
    }
    (at <= b.len()).then_some(spans)
}

// ---------------------------------------------------------------------------
// Mutations.

enum Mutation {
    Flip {
        at: usize,
        mask: u8,
    },
    Byte {
        at: usize,
        value: u8,
    },
    U16 {
        at: usize,
        value: u16,
    },
    PoolCount {
        value: u16,
    },
    Truncate {
        len: usize,
    },
    Duplicate {
        from: usize,
        len: usize,
        to: usize,
    },
    Delete {
        from: usize,
        len: usize,
    },
    Splice {
        donor: String,
        bytes: Vec<u8>,
        at: usize,
        overwrite: bool,
    },
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mutation::Flip { at, mask } => write!(f, "xor byte {at} with {mask:#04x}"),
            Mutation::Byte { at, value } => write!(f, "set byte {at} to {value:#04x}"),
            Mutation::U16 { at, value } => write!(f, "set u16 at {at} to {value:#06x}"),
            Mutation::PoolCount { value } => write!(f, "set the constant pool count to {value}"),
            Mutation::Truncate { len } => write!(f, "truncate to {len} bytes"),
            Mutation::Duplicate { from, len, to } => write!(f, "copy bytes {from}..+{len} to {to}"),
            Mutation::Delete { from, len } => write!(f, "delete bytes {from}..+{len}"),
            Mutation::Splice {
                donor,
                bytes,
                at,
                overwrite,
            } => {
                let how = if *overwrite { "over" } else { "inserted at" };
                write!(f, "{} bytes of {donor} {how} {at}", bytes.len())
            }
        }
    }
}

impl Mutation {
    fn apply(&self, b: &mut Vec<u8>) {
        let len = b.len();
        match self {
            Mutation::Flip { at, mask } => b[*at] ^= mask,
            Mutation::Byte { at, value } => b[*at] = *value,
            Mutation::U16 { at, value } => b[*at..*at + 2].copy_from_slice(&value.to_be_bytes()),
            Mutation::PoolCount { value } => b[8..10].copy_from_slice(&value.to_be_bytes()),
            Mutation::Truncate { len } => b.truncate(*len),
            Mutation::Duplicate { from, len, to } => {
                let span = b[*from..*from + *len].to_vec();
                b.splice(*to..*to, span);
            }
            Mutation::Delete { from, len } => {
                b.drain(*from..*from + *len);
            }
            Mutation::Splice {
                bytes,
                at,
                overwrite,
                ..
            } => {
                let end = if *overwrite {
                    (*at + bytes.len()).min(len)
                } else {
                    *at
                };
                b.splice(*at..end, bytes.iter().copied());
            }
        }
    }
}

/// Where to mutate: in a method's code about half the time (where the
/// decoder and the interpreter see it), else anywhere.
fn position(rng: &mut Rng, len: usize, code: &[Range<usize>]) -> usize {
    if !code.is_empty() && rng.chance(50) {
        let r = rng.pick(code).clone();
        let at = r.start + rng.below(r.len().max(1));
        if at < len {
            return at;
        }
    }
    rng.below(len)
}

/// A random mutation of `b`, which is not empty.
fn mutation(rng: &mut Rng, b: &[u8], code: &[Range<usize>], programs: &[Program]) -> Mutation {
    let len = b.len();
    loop {
        let m = match rng.below(100) {
            0..=24 => Mutation::Flip {
                at: position(rng, len, code),
                mask: 1 << rng.below(8),
            },
            25..=39 => Mutation::Byte {
                at: position(rng, len, code),
                value: rng.next() as u8,
            },
            40..=59 if len >= 2 => {
                let pool = if len >= 10 {
                    u16::from_be_bytes([b[8], b[9]])
                } else {
                    1
                };
                let value = *rng.pick(&[
                    0,
                    1,
                    2,
                    0x7fff,
                    0x8000,
                    0xfffe,
                    0xffff,
                    pool.wrapping_sub(1),
                    pool,
                    pool.wrapping_add(1),
                ]);
                Mutation::U16 {
                    at: position(rng, len, code).min(len - 2),
                    value,
                }
            }
            60..=64 if len >= 10 => {
                let pool = u16::from_be_bytes([b[8], b[9]]);
                let value = *rng.pick(&[pool.wrapping_sub(1), pool.wrapping_add(1), 0, 1, 0xffff]);
                Mutation::PoolCount { value }
            }
            65..=69 => Mutation::Truncate {
                len: rng.below(len),
            },
            70..=77 => {
                let from = position(rng, len, code);
                let span = rng.span().min(len - from);
                Mutation::Duplicate {
                    from,
                    len: span,
                    to: position(rng, len, code),
                }
            }
            78..=87 => {
                let from = position(rng, len, code);
                Mutation::Delete {
                    from,
                    len: rng.span().min(len - from),
                }
            }
            88..=99 => {
                let p = rng.pick(programs);
                let donor = rng.pick(&p.classes);
                let from = position(rng, donor.bytes.len(), &donor.code);
                let span = rng.span().min(donor.bytes.len() - from);
                Mutation::Splice {
                    donor: format!("{}/{}", p.name, donor.name),
                    bytes: donor.bytes[from..from + span].to_vec(),
                    at: position(rng, len, code),
                    overwrite: rng.chance(50),
                }
            }
            _ => continue,
        };
        return m;
    }
}

/// One iteration's mutant: which class of which program, how, and the bytes.
struct Mutant {
    program: usize,
    class: usize,
    mutations: Vec<Mutation>,
    bytes: Vec<u8>,
}

impl Mutant {
    fn new(programs: &[Program], seed: u64, i: u64) -> Mutant {
        let mut rng = Rng::new(seed, i);
        let program = rng.below(programs.len());
        let p = &programs[program];
        // Main runs first: give it half the chances.
        let main = p.classes.iter().position(|c| c.name == "Main.class");
        let class = match main {
            Some(m) if rng.chance(50) => m,
            _ => rng.below(p.classes.len()),
        };
        let original = &p.classes[class];
        let n = match rng.below(100) {
            0..=69 => 1,
            70..=89 => 2,
            _ => 3 + rng.below(2),
        };
        let mut bytes = original.bytes.clone();
        let mut mutations = Vec::new();
        for _ in 0..n {
            if bytes.is_empty() {
                break;
            }
            let m = mutation(&mut rng, &bytes, &original.code, programs);
            m.apply(&mut bytes);
            mutations.push(m);
        }
        Mutant {
            program,
            class,
            mutations,
            bytes,
        }
    }

    fn describe(&self, programs: &[Program]) -> String {
        let p = &programs[self.program];
        let what: Vec<String> = self.mutations.iter().map(|m| m.to_string()).collect();
        format!(
            "{}/{}: {}",
            p.name,
            p.classes[self.class].name,
            what.join("; ")
        )
    }

    /// Writes the program into `dir` with this mutant in place of its class.
    fn write(&self, programs: &[Program], dir: &Path) {
        let _ = fs::remove_dir_all(dir);
        fs::create_dir_all(dir).unwrap();
        for (k, c) in programs[self.program].classes.iter().enumerate() {
            let bytes = if k == self.class {
                &self.bytes
            } else {
                &c.bytes
            };
            fs::write(dir.join(&c.name), bytes).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------
// Running one case.

fn options(dir: &Path) -> Options {
    Options {
        class_path: vec![dir.to_path_buf()],
        fuel: Some(FUEL),
        heap_size: 4 << 20,
        mode: Mode::StopTheWorld,
        ..Options::default()
    }
}

/// How a case ended, as a key for the counts and a detail.
fn outcome(r: Result<(), (bool, Error)>) -> (String, String) {
    let Err((loaded, e)) = r else {
        return ("run: ok".into(), String::new());
    };
    let text = e.to_string();
    let key = match e {
        Error::Load(l) => format!("load: {}", load_kind(&l.reason)),
        Error::Usage(_) if loaded => "run: no main class or method".into(),
        Error::Usage(_) => "load: usage".into(),
        Error::Heap(_) => "heap error".into(),
        Error::Uncaught => "run: uncaught exception".into(),
        Error::Exit(_) => "run: System.exit".into(),
        Error::OutOfFuel => "run: out of fuel".into(),
        Error::Internal(m) if m.starts_with("verify error") => "run: verify error".into(),
        Error::Internal(_) => "run: internal error".into(),
    };
    (key, text)
}

/// The kind of a load error, from its reason.
fn load_kind(reason: &str) -> &'static str {
    const KINDS: &[(&str, &str)] = &[
        ("truncated", "truncated"),
        ("magic", "bad magic"),
        ("version", "unsupported version"),
        ("trailing garbage", "trailing garbage"),
        ("unknown constant pool tag", "unknown constant tag"),
        ("UTF-8", "malformed UTF-8"),
        ("overruns the constant pool", "constant pool overrun"),
        ("out of range or unusable", "constant pool index"),
        ("should be", "constant of the wrong kind"),
        ("is not a field reference", "constant of the wrong kind"),
        ("is not a method reference", "constant of the wrong kind"),
        ("is not an InvokeDynamic", "constant of the wrong kind"),
        ("mismatched constant", "constant of the wrong kind"),
        ("method handle", "constant of the wrong kind"),
        ("code length", "bad Code attribute"),
        ("exception handler", "bad Code attribute"),
        (
            "ends inside an instruction",
            "instruction cut by the code's end",
        ),
        ("which starts no instruction", "branch into an instruction"),
        ("goes before the code", "branch into an instruction"),
        ("beyond max_locals", "local beyond max_locals"),
        ("opcode", "unsupported instruction"),
        ("jsr/ret", "unsupported instruction"),
        ("invokedynamic", "unsupported instruction"),
        ("bootstrap", "unsupported instruction"),
        ("concatenation", "unsupported instruction"),
        ("recipe", "unsupported instruction"),
        ("class literals", "unsupported instruction"),
        ("wide", "unsupported instruction"),
        ("descriptor", "bad descriptor"),
        ("supertype", "bad class hierarchy"),
        ("cannot extend", "bad class hierarchy"),
        ("not an interface", "bad class hierarchy"),
        ("no superclass", "bad class hierarchy"),
        ("defined twice", "class defined twice"),
        ("not found", "missing class"),
        ("no method", "missing member"),
        ("no field", "missing member"),
        ("static", "static/instance mismatch"),
        ("cannot have instances", "new of an abstract class"),
        ("native", "bad method flags"),
        ("abstract method", "bad method flags"),
        ("concrete method", "bad method flags"),
        ("switch", "bad switch"),
        ("newarray", "bad array instruction"),
        ("array type", "bad array instruction"),
        ("multianewarray", "bad array instruction"),
        ("wrong type", "bad constant value"),
        ("field", "bad field"),
    ];
    KINDS
        .iter()
        .find(|(needle, _)| reason.contains(needle))
        .map_or("other", |(_, kind)| kind)
}

/// The name of the threads that run cases.
const CASE_THREAD: &str = "fuzz-case";

/// The place of the last panic on a case's thread.
static PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Runs the program in `dir` on a thread of its own, with a time limit.
/// `Err` is a panic's message or a hang.
fn run_case(dir: &Path, args: &[String]) -> Result<(String, String), String> {
    let (options, args) = (options(dir), args.to_vec());
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(CASE_THREAD.into())
        .stack_size(64 << 20)
        .spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(|| {
                let sink = || Box::new(std::io::sink());
                let mut jvm = Jvm::new(&options, sink(), sink()).map_err(|e| (false, e))?;
                jvm.run_main("Main", &args).map_err(|e| (true, e))
            }));
            let r = match r {
                Ok(r) => Ok(outcome(r)),
                Err(payload) => {
                    let msg = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    let place = PANIC.lock().unwrap().take().unwrap_or_default();
                    Err(format!("panic {place}: {msg}"))
                }
            };
            let _ = tx.send(r);
        })
        .unwrap();
    let limit = env_u64("JVM_FUZZ_CASE_SECS").map_or(CASE_LIMIT, Duration::from_secs);
    match rx.recv_timeout(limit) {
        Ok(r) => r,
        Err(_) => Err(format!("hang: no result after {limit:?}")),
    }
}

// ---------------------------------------------------------------------------
// The child: runs iterations, logging each to a file.

/// The child's log: `start` before each case (so that a crash leaves the
/// case it died in), then `done` with the outcome, or `fail` with why.
struct Log(fs::File);

impl Log {
    fn line(&mut self, fields: &[&str]) {
        let clean: Vec<String> = fields
            .iter()
            .map(|f| f.replace(['\t', '\n'], " "))
            .collect();
        writeln!(self.0, "{}", clean.join("\t")).unwrap();
        self.0.flush().unwrap();
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
    )
}

fn child(work: &Path) {
    let seed = env_u64("JVM_FUZZ_SEED").unwrap();
    let (from, to) = (
        env_u64("JVM_FUZZ_FROM").unwrap(),
        env_u64("JVM_FUZZ_TO").unwrap(),
    );
    let programs = corpus();
    let log = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(work.join("log"))
        .unwrap();
    let mut log = Log(log);
    // A case's panic is reported with its iteration; others as usual.
    std::panic::set_hook(Box::new(|info| {
        if std::thread::current().name() != Some(CASE_THREAD) {
            eprintln!("{info}");
            return;
        }
        let place = info.location().map(|l| l.to_string()).unwrap_or_default();
        *PANIC.lock().unwrap() = Some(format!("at {place}"));
    }));
    let case = work.join("case");
    let fail = |log: &mut Log, i: &str, what: &str, why: &str| {
        let keep = work.join("failures").join(format!("iteration-{i}"));
        let _ = fs::remove_dir_all(&keep);
        fs::create_dir_all(keep.parent().unwrap()).unwrap();
        fs::rename(&case, &keep).unwrap();
        log.line(&["fail", i, what, why, &keep.display().to_string()]);
    };
    // The programs unmodified first: the harness is sound if they load and run.
    if from == 0 {
        for (k, p) in programs.iter().enumerate() {
            let i = format!("baseline-{}", p.name);
            let m = Mutant {
                program: k,
                class: 0,
                mutations: Vec::new(),
                bytes: p.classes[0].bytes.clone(),
            };
            m.write(&programs, &case);
            log.line(&["start", &i, &p.name, &case.display().to_string()]);
            match run_case(&case, &p.args) {
                Ok((key, text)) => log.line(&["baseline", &p.name, &key, &text]),
                Err(why) => fail(&mut log, &i, &p.name, &why),
            }
        }
    }
    for i in from..to {
        let m = Mutant::new(&programs, seed, i);
        let what = m.describe(&programs);
        m.write(&programs, &case);
        let i = i.to_string();
        log.line(&["start", &i, &what, &case.display().to_string()]);
        let t = Instant::now();
        let r = run_case(&case, &programs[m.program].args);
        let ms = t.elapsed().as_millis().to_string();
        match r {
            Ok((key, text)) => log.line(&["done", &i, &key, &text, &ms]),
            Err(why) => {
                let hang = why.starts_with("hang");
                fail(&mut log, &i, &what, &why);
                if hang {
                    // The case's thread cannot be stopped: start afresh.
                    std::process::exit(3);
                }
            }
        }
    }
    let _ = fs::remove_dir_all(&case);
    log.line(&["end"]);
}

// ---------------------------------------------------------------------------
// The parent: runs children until every iteration is done, and reports.

#[derive(Default)]
struct Report {
    counts: BTreeMap<String, u64>,
    /// An example error text per outcome.
    examples: BTreeMap<String, String>,
    baseline: Vec<(String, String, String)>,
    /// (iteration, mutation, why, where the mutant is).
    failures: Vec<[String; 4]>,
    /// The iteration the last child was in when it died, if it did.
    last_started: Option<(String, String, String)>,
    ended: bool,
    /// The slowest case: milliseconds, iteration.
    slowest: (u64, String),
}

fn read_log(work: &Path) -> Report {
    let mut r = Report::default();
    let text = fs::read_to_string(work.join("log")).unwrap_or_default();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f[0] {
            "start" => {
                r.last_started = Some((f[1].into(), f[2].into(), f[3].into()));
                r.ended = false;
            }
            "done" => {
                *r.counts.entry(f[2].into()).or_default() += 1;
                r.examples.entry(f[2].into()).or_insert_with(|| f[3].into());
                let ms = f.get(4).and_then(|m| m.parse().ok()).unwrap_or(0);
                if ms >= r.slowest.0 {
                    r.slowest = (ms, f[1].into());
                }
                r.last_started = None;
            }
            "baseline" => {
                r.baseline.push((f[1].into(), f[2].into(), f[3].into()));
                r.last_started = None;
            }
            "fail" | "crash" => {
                let key = if f[3].starts_with("hang") {
                    "HANG"
                } else if f[0] == "crash" {
                    "CRASH"
                } else {
                    "PANIC"
                };
                *r.counts.entry(key.into()).or_default() += 1;
                r.failures
                    .push([f[1].into(), f[2].into(), f[3].into(), f[4].into()]);
                r.last_started = None;
            }
            "end" => r.ended = true,
            _ => {}
        }
    }
    r
}

#[test]
fn fuzz() {
    if let Some(work) = std::env::var_os("JVM_FUZZ_CHILD") {
        child(Path::new(&work));
        return;
    }
    // A fixed default, so that CI runs the same mutants every time; set the
    // seed to explore others.
    let seed = env_u64("JVM_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let from = env_u64("JVM_FUZZ_FROM").unwrap_or(0);
    let iters = env_u64("JVM_FUZZ_ITERS").unwrap_or(DEFAULT_ITERS);
    let to = from + iters;
    // Each crash costs a new child; past this many, the parent gives up.
    let max_crashes = (iters / 20).max(10);
    let work = std::env::temp_dir().join(format!("jvm-fuzz-{seed}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).unwrap();
    eprintln!(
        "fuzz: JVM_FUZZ_SEED={seed} JVM_FUZZ_FROM={from} JVM_FUZZ_ITERS={iters} (work in {})",
        work.display()
    );
    let started = Instant::now();
    let mut next = from;
    let mut crashes = 0;
    let report = loop {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["fuzz", "--exact", "--nocapture", "--test-threads=1"])
            .env("JVM_FUZZ_CHILD", &work)
            .env("JVM_FUZZ_SEED", seed.to_string())
            .env("JVM_FUZZ_FROM", next.to_string())
            .env("JVM_FUZZ_TO", to.to_string())
            .output()
            .unwrap();
        let mut report = read_log(&work);
        if report.ended {
            break report;
        }
        // The child died: in the case it last started, unless it left
        // after a hang it had recorded.
        let status = out.status;
        if let Some((i, what, dir)) = report.last_started.take() {
            crashes += 1;
            let keep = work.join("failures").join(format!("iteration-{i}"));
            let _ = fs::remove_dir_all(&keep);
            fs::create_dir_all(keep.parent().unwrap()).unwrap();
            let _ = fs::rename(&dir, &keep);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let mut tail: Vec<&str> = stderr
                .lines()
                .filter(|l| !l.trim().is_empty())
                .rev()
                .take(5)
                .collect();
            tail.reverse();
            let mut why = format!("crash: the process died ({status})");
            if !tail.is_empty() {
                why += &format!("; its stderr ends: {}", tail.join(" | "));
            }
            let mut log = Log(fs::OpenOptions::new()
                .append(true)
                .open(work.join("log"))
                .unwrap());
            log.line(&["crash", &i, &what, &why, &keep.display().to_string()]);
            match i.parse::<u64>() {
                Ok(i) => next = i + 1,
                // In the baseline: the unmodified programs crash.
                Err(_) => break read_log(&work),
            }
        } else {
            let last = report.failures.last().map(|f| f[0].clone());
            match (last.map(|i| i.parse::<u64>()), status.code()) {
                (Some(Ok(i)), Some(3)) => next = i + 1,
                (Some(Err(_)), Some(3)) => break report,
                _ => panic!(
                    "the fuzzing child failed outside any case ({status}):\n{}\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            }
        }
        if crashes >= max_crashes {
            break read_log(&work);
        }
    };
    let elapsed = started.elapsed();

    // The outcomes.
    let mut text = format!(
        "fuzz: {} iterations in {elapsed:.1?} (seed {seed}); the slowest, iteration {}, took {} ms\n",
        to - from,
        report.slowest.1,
        report.slowest.0
    );
    for (name, key, _) in &report.baseline {
        text += &format!("  baseline {name}: {key}\n");
    }
    let (mut loads, mut runs) = (0, 0);
    for (key, n) in &report.counts {
        text += &format!("  {n:6}  {key}");
        if key.starts_with("load") || key == "run: internal error" || key == "heap error" {
            text += &format!(
                "    e.g. {}",
                report.examples.get(key).map_or("", |s| s.as_str())
            );
        }
        text += "\n";
        if key.starts_with("load: ") {
            loads += n;
        } else if key.starts_with("run: ") {
            runs += n;
        }
    }
    eprint!("{text}");
    if !report.failures.is_empty() {
        // By cause: a panic's place, a crash's signal, a hang. The first
        // few mutants of each are kept, the rest deleted.
        let mut causes: BTreeMap<String, Vec<&[String; 4]>> = BTreeMap::new();
        for f in &report.failures {
            let why = &f[2];
            let cause = match why.find(": ") {
                Some(k) if why.starts_with("panic") => why[..k].to_owned(),
                _ => why.split(';').next().unwrap_or(why).to_owned(),
            };
            causes.entry(cause).or_default().push(f);
        }
        let mut msg = format!(
            "fuzz: {} failing iterations, {} causes (seed {seed}):\n",
            report.failures.len(),
            causes.len()
        );
        for (cause, fs_) in &causes {
            msg += &format!("* {cause}: {} iterations\n", fs_.len());
            for (k, [i, what, why, dir]) in fs_.iter().map(|f| (*f).clone()).enumerate() {
                if k >= 3 {
                    let _ = fs::remove_dir_all(&dir);
                    continue;
                }
                msg += &format!(
                    "  - iteration {i}: {what}\n    {why}\n    the program: {dir}\n    replay: JVM_FUZZ_SEED={seed} \
                     JVM_FUZZ_FROM={i} JVM_FUZZ_ITERS=1 cargo test -p jvm --test fuzz -- --nocapture\n"
                );
            }
        }
        if crashes >= max_crashes {
            msg += &format!("(stopped after {crashes} crashes)\n");
        }
        let _ = fs::remove_dir_all(work.join("case"));
        panic!("{msg}");
    }
    let _ = fs::remove_dir_all(&work);

    // The baseline loaded and ran every program.
    for (name, key, detail) in &report.baseline {
        let fine = [
            "run: ok",
            "run: uncaught exception",
            "run: out of fuel",
            "run: System.exit",
        ];
        assert!(
            fine.contains(&key.as_str()),
            "the unmodified {name} ended with {key}: {detail}"
        );
    }
    // Not degenerate: some mutants are refused in several ways, and some
    // load and run.
    if to - from >= 200 {
        let kinds = report
            .counts
            .keys()
            .filter(|k| k.starts_with("load: "))
            .count();
        assert!(
            loads > 0 && kinds >= 3,
            "too few mutants refused, or too few ways:\n{text}"
        );
        assert!(runs > 0, "no mutant loaded and ran:\n{text}");
        let ran = ["run: ok", "run: uncaught exception", "run: out of fuel"];
        assert!(
            ran.iter().any(|k| report.counts.contains_key(*k)),
            "no mutant ran to an end:\n{text}"
        );
    }
}
