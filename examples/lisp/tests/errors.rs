//! Bad programs get errors, never panics: each case's message and exit
//! status, from the `lisp` binary as a user runs it.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `lisp ARGS` with `stdin`; returns stdout, stderr and the exit status.
fn lisp(args: &[&str], stdin: &str) -> (String, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lisp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lisp starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Runs `program` from a file and checks the message on stderr and a
/// failing exit status; returns stdout.
fn fails(program: &str, message: &str) -> String {
    fails_with(&[], program, message)
}

/// [`fails`], with these flags.
fn fails_with(flags: &[&str], program: &str, message: &str) -> String {
    let path = std::env::temp_dir().join(format!(
        "lisp-errors-{}-{:x}.scm",
        std::process::id(),
        program
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
    ));
    std::fs::write(&path, program).unwrap();
    let file = path.to_str().unwrap();
    let args: Vec<&str> = flags.iter().copied().chain([file]).collect();
    let (stdout, stderr, code) = lisp(&args, "");
    std::fs::remove_file(&path).unwrap();
    let stderr = stderr.replace(file, "prog.scm");
    assert!(
        stderr.contains(message),
        "for {program:?}: expected {message:?} in stderr, got {stderr:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, 1, "for {program:?}: exit status; stderr {stderr:?}");
    stdout
}

#[test]
fn reader_errors_say_where() {
    fails("(display 1", "prog.scm:1:1: unterminated list: missing ')'");
    fails("(display 1))", "prog.scm:1:12: unexpected ')'");
    fails("(display\n  \"abc", "prog.scm:2:3: unterminated string");
    fails("\n  (car #z)", "prog.scm:2:8: unknown syntax #z");
    fails("(+ 1 1.2.3)", "prog.scm:1:6: bad number 1.2.3");
    fails("(+ 1 #x1.5)", "prog.scm:1:6: bad number #x1.5");
    fails("(+ 1 #e#e1)", "prog.scm:1:6: bad number #e#e1");
    fails(
        "(+ 1 1/2)",
        "prog.scm:1:6: unsupported number 1/2: there are no rational numbers",
    );
    fails(
        "(+ 1 -1.0-0.5i)",
        "prog.scm:1:6: unsupported number -1.0-0.5i: there are no complex numbers",
    );
    fails(
        "(+ 1 +i)",
        "unsupported number +i: there are no complex numbers",
    );
    fails(
        "(+ 1 1@2)",
        "unsupported number 1@2: there are no complex numbers",
    );
    fails(
        "(+ 1 #e1.5)",
        "unsupported number #e1.5: there are no exact non-integers (rationals)",
    );
    fails(
        "(list #\\bogus)",
        "prog.scm:1:7: unknown character #\\bogus",
    );
    fails("(a . b c)", "prog.scm:1:8: more than one datum after '.'");
    fails(
        "[1 2)",
        "prog.scm:1:5: ')' does not match the '[' at prog.scm:1:1",
    );
}

#[test]
fn syntax_errors_say_where() {
    fails(
        "(display 1)\n(if)",
        "prog.scm:2:1: if takes a test and one or two branches",
    );
    fails(
        "(lambda (x x) x)",
        "prog.scm:1:12: parameter x appears twice",
    );
    fails(
        "(let ((x)) x)",
        "prog.scm:1:7: a binding must be (variable expression)",
    );
    fails(
        "(import (scheme base)\n        (scheme eval))",
        "prog.scm:2:9: import: unknown library (scheme eval)",
    );
    fails(
        "(define (f) (import (scheme base)))",
        "import is only allowed at top level",
    );
    fails(
        "((case-lambda ((a) a)) 1 2)",
        "case-lambda: no clause takes this many arguments: 2",
    );
}

#[test]
fn output_before_an_error_is_kept() {
    let stdout = fails(
        "(display \"before\")\n(car '())",
        "car: expected a pair: ()",
    );
    assert_eq!(stdout, "before");
}

#[test]
fn run_time_errors_name_the_procedure_and_the_value() {
    fails(
        "(undefined-thing 1)",
        "error: unbound variable: undefined-thing",
    );
    fails("(car 5)", "error: car: expected a pair: 5");
    fails("(+ 1 \"two\")", "error: +: expected a number: \"two\"");
    fails(
        "(vector-ref (vector 1 2) 2)",
        "vector-ref: index out of range (0 to 1): 2",
    );
    fails(
        "(string-ref \"abc\" -1)",
        "string-ref: index out of range (0 to 2): -1",
    );
    fails("(5 1)", "error: not a procedure: 5");
    fails("(/ 1 0)", "/: division by zero");
    fails(
        "(expt 3 100000000)",
        "expt: the exact result would have more than 16777216 bits",
    );
    fails("(quotient (expt 10 30) 0)", "quotient: division by zero");
    fails(
        "(define (f x) x) (f 1 2)",
        "f: wrong number of arguments: expected 1 argument, got 2",
    );
    fails(
        "(car)",
        "car: wrong number of arguments: expected 1 argument, got 0",
    );
    fails(
        "((lambda (a b . c) a) 1)",
        "lambda: wrong number of arguments: expected at least 2 arguments, got 1",
    );
    fails(
        "(letrec ((a b) (b 1)) a)",
        "a variable was used before its definition",
    );
    fails(
        "(define-record-type point (make-point x) point? (x point-x)) (point-x 5)",
        "point accessor: expected a point record: 5",
    );
    fails("(apply + 1 2)", "apply: expected a proper list: 2");
    fails("(error \"bad thing:\" 42 'foo)", "error: bad thing: 42 foo");
    fails("(raise 'oops)", "error: uncaught exception: oops");
    fails(
        "(with-exception-handler (lambda (e) 0) (lambda () (raise 'oops)))",
        "raise: the exception handler returned: oops",
    );
    fails("(display 1)\n(car 5)", "in the form at prog.scm:2:1");
}

#[test]
fn runaway_recursion_is_a_stack_overflow() {
    fails(
        "(define (f n) (+ 1 (f n))) (f 1)",
        "stack overflow: recursion too deep",
    );
    // Caught like any other error.
    let (stdout, _, code) = lisp(
        &["-"],
        "(define (f n) (+ 1 (f n)))
         (display (guard (e (#t (error-object-message e))) (f 1)))",
    );
    assert!(stdout.starts_with("stack overflow"), "{stdout}");
    assert_eq!(code, 0);
}

#[test]
fn deep_recursion_within_the_limit_works() {
    let (stdout, stderr, code) = lisp(
        &["-"],
        "(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))
         (display (count 500000))",
    );
    assert_eq!((stdout.as_str(), code), ("500000", 0), "{stderr}");
}

#[test]
fn running_out_of_heap_is_reported() {
    fails_with(
        &["--heap", "4M"],
        "(define (grow l) (grow (cons (make-vector 100 0) l))) (grow '())",
        "error: out of memory",
    );
}

#[test]
fn the_repl_survives_errors() {
    let (stdout, stderr, code) = lisp(
        &["--heap", "64M", "-i"],
        "(define (f n) (+ 1 (f n)))\n(f 1)\n(car '())\n(define (grow l) (grow (cons (make-vector 100 0) l)))\n(grow '())\n(display (+ 40 2))\n(+ 1\n 2)\n",
    );
    assert!(stderr.contains("stack overflow"), "{stderr}");
    assert!(stderr.contains("car: expected a pair"), "{stderr}");
    assert!(stderr.contains("out of memory"), "{stderr}");
    assert!(stdout.contains("42"), "{stdout}");
    assert!(stdout.contains("3\n"), "{stdout}");
    assert_eq!(code, 0);
}

#[test]
fn exit_sets_the_status() {
    assert_eq!(
        lisp(&["-"], "(display 1) (exit 3) (display 2)"),
        ("1".into(), String::new(), 3)
    );
    assert_eq!(lisp(&["-"], "(exit)").2, 0);
    assert_eq!(lisp(&["-"], "(exit #f)").2, 1);
}

#[test]
fn bad_flags_are_refused() {
    let (_, stderr, code) = lisp(&["--gc-mode", "fast"], "");
    assert!(
        stderr.contains("--gc-mode: unknown mode \"fast\""),
        "{stderr}"
    );
    assert_eq!(code, 2);
    let (_, stderr, code) = lisp(&["--heap", "lots"], "");
    assert!(stderr.contains("--heap: bad size"), "{stderr}");
    assert_eq!(code, 2);
    let (_, stderr, code) = lisp(&["--heap", "100K"], "");
    assert!(stderr.contains("heap size"), "{stderr}");
    assert_eq!(code, 2);
    let (_, stderr, code) = lisp(&["/nonexistent/prog.scm"], "");
    assert!(
        stderr.contains("cannot read /nonexistent/prog.scm"),
        "{stderr}"
    );
    assert_eq!(code, 2);
}

#[test]
fn gc_stats_and_log_go_to_stderr() {
    let (stdout, stderr, code) = lisp(
        &[
            "--heap",
            "2M",
            "--gc-mode",
            "stw",
            "--gc-stats",
            "--gc-log",
            "-",
        ],
        "(define (loop i) (when (< i 100000) (make-vector 10 i) (loop (+ i 1)))) (loop 0) (gc) (display 'done)",
    );
    assert_eq!((stdout.as_str(), code), ("done", 0));
    // A cycle's kind, when the collector names one, comes before its cause.
    assert!(stderr.contains("gc #1 "), "{stderr}");
    assert!(stderr.contains("(Budget): pause"), "{stderr}");
    assert!(stderr.contains("(Requested)"), "{stderr}");
    assert!(stderr.contains("gc: pause histogram"), "{stderr}");
    assert!(stderr.contains("collections in"), "{stderr}");
}

#[test]
fn gc_histogram_counts_the_reachable_objects_per_type_on_stderr() {
    // 1000 pairs and one vector of 500 kept in a global; garbage besides.
    let (stdout, stderr, code) = lisp(
        &["--heap", "8M", "--gc-histogram", "-"],
        "(define (build n acc) (if (= n 0) acc (build (- n 1) (cons n acc)))) \
         (define kept (build 1000 '())) (define v (make-vector 500 0)) \
         (let loop ((i 0)) (when (< i 20000) (make-vector 10 i) (loop (+ i 1)))) \
         (display (length kept))",
    );
    assert_eq!((stdout.as_str(), code), ("1000", 0), "{stderr}");
    assert!(
        stderr.starts_with("movegc: heap histogram (reachable): "),
        "{stderr}"
    );
    let count = |ty: &str| {
        stderr
            .lines()
            .find_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
                [bytes, count, name] if name == ty => Some((
                    bytes.parse::<usize>().unwrap(),
                    count.parse::<usize>().unwrap(),
                )),
                _ => None,
            })
    };
    let (pair_bytes, pairs) = count("pair").unwrap_or_else(|| panic!("{stderr}"));
    assert!(pairs >= 1000, "{stderr}");
    assert_eq!(pair_bytes, pairs * 24, "{stderr}");
    // The 20000 garbage vectors of 10 are gone: the walk follows a collection.
    let (_, vectors) = count("vector").unwrap_or_else(|| panic!("{stderr}"));
    assert!((1..1000).contains(&vectors), "{stderr}");
}

#[test]
fn a_program_on_stdin_runs_without_a_file() {
    assert_eq!(
        lisp(&[], "(display (* 6 7))"),
        ("42".into(), String::new(), 0)
    );
    let (_, stderr, code) = lisp(&[], "(display 1)\n  (car '())");
    assert!(stderr.contains("<stdin>:2:3"), "{stderr}");
    assert_eq!(code, 1);
}
