//! Random input, checked for what must never happen: a panic, a crash, or an
//! interpreter left unusable. Random token streams go to the reader, and
//! random small programs to the evaluator, on a small heap with the
//! verifier on so that collections happen in the middle of them.

mod common;

use gc_core::Mode;
use lisp::{Interpreter, Options};

/// xorshift64*: small, fast, and reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Runs to make, and the generator's seed: `LISP_FUZZ_RUNS` and
/// `LISP_FUZZ_SEED` override them, for longer runs by hand.
fn runs_and_seed(runs: usize, seed: u64) -> (usize, Rng) {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    (
        var("LISP_FUZZ_RUNS").map_or(runs, |n: u64| n as usize),
        Rng(var("LISP_FUZZ_SEED").unwrap_or(seed) | 1),
    )
}

const TOKENS: &[&str] = &[
    "(",
    "(",
    "(",
    ")",
    ")",
    ")",
    "[",
    "]",
    "'",
    "`",
    ",",
    ",@",
    ".",
    "#(",
    "#u8(",
    "\"str\"",
    "\"unterminated",
    "\"esc\\",
    "\"\\x41;\"",
    "\"\\q\"",
    "#\\a",
    "#\\space",
    "#\\",
    "#\\x3bb",
    "#\\nonsense",
    "#t",
    "#f",
    "#true",
    "#z",
    "#",
    "123",
    "-5",
    "1.5",
    "1e400",
    "-0.0",
    "+inf.0",
    "+nan.0",
    "12345678901234567890",
    "4611686018427387904",
    "1/2",
    "1.2.3",
    "abc",
    "car",
    "+",
    "-",
    "...",
    "|sym",
    "|a b|",
    ";comment\n",
    "#|",
    "|#",
    "#;",
    "\\",
    "#x1F",
    "#b102",
    "#e1",
    "λ",
    "\u{0}",
    "define",
    "lambda",
    "if",
    "let",
    "quote",
    "quasiquote",
    "unquote",
    "x",
    " ",
    "\n",
    "\t",
];

/// Random token streams: the reader (and whatever of the text happens to
/// be a program) must report errors, not panic.
#[test]
fn random_token_streams() {
    common::on_big_stack(|| {
        let options = Options {
            heap_size: 2 << 20,
            mode: Mode::StopTheWorld,
            fuel: Some(20_000),
            ..Options::default()
        };
        let mut interp = Interpreter::new(&options, Box::new(std::io::sink())).unwrap();
        let (runs, mut rng) = runs_and_seed(3000, 0x5eed_0001);
        for _ in 0..runs {
            let n = 1 + rng.below(40);
            let text: String = (0..n).map(|_| rng.pick(TOKENS)).collect();
            let _ = lisp::incomplete(&text);
            if let Err(e) = interp.run("fuzz.scm", &text) {
                let _ = interp.describe(&e);
            }
        }
        // Deep nesting is refused, not a crash.
        let deep = "(".repeat(100_000);
        assert!(!lisp::incomplete(&deep));
        let e = interp.run("deep.scm", &deep).unwrap_err();
        assert!(interp.describe(&e).contains("nested too deeply"));
        let mut seen = None;
        interp
            .eval("check.scm", "(+ 1 2)", |_, v| seen = v)
            .unwrap();
        assert_eq!(seen.as_deref(), Some("3"));
    });
}

const VARIABLES: &[&str] = &["x", "y", "z", "f", "g", "lst", "v", "s"];

const PROCEDURES: &[&str] = &[
    "car",
    "cdr",
    "cons",
    "list",
    "+",
    "-",
    "*",
    "/",
    "<",
    "=",
    "quotient",
    "modulo",
    "expt",
    "sqrt",
    "exact",
    "inexact",
    "vector",
    "make-vector",
    "vector-ref",
    "vector-set!",
    "vector->list",
    "list->vector",
    "string-append",
    "substring",
    "string-ref",
    "string->symbol",
    "symbol->string",
    "number->string",
    "string->number",
    "length",
    "append",
    "reverse",
    "list-tail",
    "memq",
    "assoc",
    "equal?",
    "eqv?",
    "apply",
    "map",
    "for-each",
    "filter",
    "fold",
    "reduce",
    "call/cc",
    "raise",
    "raise-continuable",
    "error",
    "error-object-message",
    "with-exception-handler",
    "display",
    "write",
    "gc",
    "make-string",
    "string-set!",
    "bytevector",
    "bytevector-u8-ref",
    "char->integer",
    "integer->char",
    "list-sort",
    "vector-map",
    "set-car!",
    "set-cdr!",
    "make-hash-table",
    "make-weak-key-hash-table",
    "hash-table-set!",
    "hash-table-ref",
    "hash-table-ref/default",
    "hash-table-delete!",
    "hash-table-count",
    "hash-table->alist",
    "make-guardian",
    "%make-guardian",
    "%guardian-register!",
    "%guardian-next",
    "interned-symbol-count",
    "not",
    "null?",
    "pair?",
    "procedure?",
];

/// A random expression of at most `depth` levels.
fn expr(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.below(4) == 0 {
        return match rng.below(12) {
            0 => format!("{}", rng.below(200) as i64 - 100),
            1 => "4611686018427387903".into(),
            2 => format!("{}.5", rng.below(10)),
            3 => "\"text\"".into(),
            4 => "#\\a".into(),
            5 => rng
                .pick(&["#t", "#f", "'()", "'sym", "'(1 2 3)", "#(1 2)", "#u8(7)"])
                .into(),
            6 | 7 => rng.pick(PROCEDURES).into(),
            _ => rng.pick(VARIABLES).into(),
        };
    }
    let d = depth - 1;
    let v = rng.pick(VARIABLES);
    match rng.below(23) {
        0 => format!("(if {} {} {})", expr(rng, d), expr(rng, d), expr(rng, d)),
        1 => format!("(let (({v} {})) {})", expr(rng, d), expr(rng, d)),
        2 => format!("(lambda ({v}) {})", expr(rng, d)),
        3 => format!("(lambda {v} {})", expr(rng, d)),
        4 => format!("(set! {v} {})", expr(rng, d)),
        5 => format!("(begin {} {})", expr(rng, d), expr(rng, d)),
        6 => format!("(guard (e (#t (list 'caught e))) {})", expr(rng, d)),
        7 => format!("(call/cc (lambda (k) {}))", expr(rng, d)),
        8 => format!(
            "(with-exception-handler (lambda (c) {}) (lambda () {}))",
            expr(rng, d),
            expr(rng, d)
        ),
        9 => format!(
            "(let loop ((i 0)) (if (< i 3) (loop (+ i 1)) {}))",
            expr(rng, d)
        ),
        10 => format!("`(a ,{} ,@(list {}) . b)", expr(rng, d), expr(rng, d)),
        11 => format!(
            "(cond ({} => {}) (else {}))",
            expr(rng, d),
            expr(rng, d),
            expr(rng, d)
        ),
        12 => format!(
            "(case {} ((1 2) {}) (else {}))",
            expr(rng, d),
            expr(rng, d),
            expr(rng, d)
        ),
        13 => format!(
            "(do ((i 0 (+ i 1))) ((= i 2) {}) {})",
            expr(rng, d),
            expr(rng, d)
        ),
        14 => format!("(and {} {})", expr(rng, d), expr(rng, d)),
        15 => format!("(letrec ((a {}) (b {})) a)", expr(rng, d), expr(rng, d)),
        16 => format!(
            "(dynamic-wind (lambda () {}) (lambda () {}) (lambda () {}))",
            expr(rng, d),
            expr(rng, d),
            expr(rng, d)
        ),
        _ => {
            let args: Vec<String> = (0..rng.below(4)).map(|_| expr(rng, d)).collect();
            format!("({} {})", expr(rng, d), args.join(" "))
        }
    }
}

/// Random small programs: run, with errors caught and reported, never a
/// panic, while collections run under the verifier.
#[test]
fn random_programs() {
    random_programs_in(Mode::StopTheWorld, 3000, 0x5eed_0002);
}

/// The same, with the concurrent compaction moving objects under them.
#[test]
fn random_programs_concurrent() {
    if common::available(Mode::Move) {
        random_programs_in(Mode::Move, 1000, 0x5eed_0003);
    }
}

fn random_programs_in(mode: Mode, runs: usize, seed: u64) {
    common::on_big_stack(move || {
        let options = Options {
            heap_size: 1 << 20,
            mode,
            verify: true,
            fuel: Some(20_000),
            stack_limit: 100_000,
            ..Options::default()
        };
        let mut interp = Interpreter::new(&options, Box::new(std::io::sink())).unwrap();
        let (runs, mut rng) = runs_and_seed(runs, seed);
        let (mut failed, mut collected) = (0, 0);
        // Clear the variables first, so that what the last program left in
        // them is garbage before anything is allocated.
        let clear = "(define keep #f) (define x #f) (define y #f) (define z #f) (define f #f) \
                     (define g #f) (define lst #f) (define v #f) (define s #f)";
        let setup = "(define x 1) (define y '(1 2)) (define z \"s\") (define f car) \
                     (define g (lambda args args)) (define lst (list 1 2 3)) \
                     (define v (vector 1 2 3)) (define s (make-string 3 #\\a))";
        for i in 0..runs {
            let program = if i % 10 == 0 {
                // A big enough allocation to make the collector run mid-program.
                format!(
                    "(define keep (make-vector 20000 {})) {}",
                    expr(&mut rng, 2),
                    expr(&mut rng, 4)
                )
            } else {
                format!(
                    "(define {} {}) {}",
                    rng.pick(VARIABLES),
                    expr(&mut rng, 3),
                    expr(&mut rng, 4)
                )
            };
            interp.run("clear.scm", clear).unwrap();
            interp.run("setup.scm", setup).unwrap();
            if let Err(e) = interp.run("fuzz.scm", &program) {
                failed += 1;
                let message = interp.describe(&e);
                assert!(!message.is_empty(), "{program}");
            }
            collected = interp.stats().collections;
        }
        // The interpreter is still sound after all that.
        let mut seen = None;
        interp
            .eval("check.scm", "(length (map + '(1 2) '(3 4)))", |_, v| {
                seen = v
            })
            .unwrap();
        assert_eq!(seen.as_deref(), Some("2"));
        eprintln!("{runs} programs: {failed} failed, {collected} collections");
        assert!(
            failed > runs / 30,
            "only {failed} programs failed: the generator is too tame"
        );
        assert!(
            collected as usize > runs / 100,
            "only {collected} collections"
        );
    });
}
