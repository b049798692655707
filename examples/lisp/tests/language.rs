//! The language, form by form: each expression and what `write` shows of
//! its value.

mod common;

use lisp::{Interpreter, Options};

/// Evaluates each expression in one interpreter and compares what `write`
/// shows of its value.
fn check(cases: &[(&str, &str)]) {
    check_in(2, cases);
}

/// [`check`] with a heap of `heap_mib` MiB.
fn check_in(heap_mib: usize, cases: &[(&str, &str)]) {
    let cases: Vec<(String, String)> = cases
        .iter()
        .map(|&(e, v)| (e.to_owned(), v.to_owned()))
        .collect();
    common::on_big_stack(move || {
        let options = Options {
            heap_size: heap_mib << 20,
            verify: true,
            // Small, so that a tail call that kept its frame would overflow it.
            stack_limit: 10_000,
            ..Options::default()
        };
        let mut interp = Interpreter::new(&options, Box::new(std::io::sink())).unwrap();
        for (expr, expected) in &cases {
            let mut shown = None;
            let r = interp.eval("case.scm", expr, |_, v| shown = v);
            if let Err(e) = r {
                panic!("{expr}: {}", interp.describe(&e));
            }
            assert_eq!(
                shown.as_deref().unwrap_or("#<unspecified>"),
                expected,
                "{expr}"
            );
        }
    });
}

#[test]
fn data() {
    check(&[
        ("42", "42"),
        ("-7", "-7"),
        ("1.5", "1.5"),
        ("1e21", "1e21"),
        ("(/ 1.0 0)", "+inf.0"),
        ("#\\a", "#\\a"),
        ("#\\space", "#\\space"),
        ("\"a\\nb\"", "\"a\\nb\""),
        ("'sym", "sym"),
        ("'(1 . 2)", "(1 . 2)"),
        ("'(1 (2 3) #(4 5))", "(1 (2 3) #(4 5))"),
        ("#u8(1 2 255)", "#u8(1 2 255)"),
        ("(if #f #f)", "#<unspecified>"),
        ("car", "#<procedure car>"),
        ("(define (named) 1) named", "#<procedure named>"),
        ("(eq? 'abc (string->symbol \"abc\"))", "#t"),
        ("(eqv? 1.5 1.5)", "#t"),
        ("(eq? '() '())", "#t"),
        ("(equal? (vector 1 \"a\" '(b)) (vector 1 \"a\" '(b)))", "#t"),
        (
            "(let ((s (make-string 3 #\\x))) (string-set! s 1 #\\y) s)",
            "\"xyx\"",
        ),
    ]);
}

#[test]
fn numbers() {
    check(&[
        ("(+ 1 2 3)", "6"),
        ("(- 10)", "-10"),
        ("(* 2 3.5)", "7.0"),
        ("(/ 12 4)", "3"),
        ("(/ 1 4)", "0.25"),
        ("(quotient -7 2)", "-3"),
        ("(remainder -7 2)", "-1"),
        ("(modulo -7 2)", "1"),
        ("(floor-quotient -7 2)", "-4"),
        ("(expt 2 61)", "2305843009213693952"),
        ("(expt 2 10)", "1024"),
        ("(sqrt 16)", "4"),
        ("(sqrt 2.25)", "1.5"),
        ("(exact (floor 2.5))", "2"),
        ("(round 2.5)", "2.0"),
        ("(round 3.5)", "4.0"),
        ("(max 1 2.0)", "2.0"),
        ("(number->string 255 16)", "\"ff\""),
        ("(string->number \"#xff\")", "255"),
        ("(string->number \"12abc\")", "#f"),
        ("(string->number \"1e3\")", "1000.0"),
        ("(< 1 2 3)", "#t"),
        ("(< 1 3 2)", "#f"),
        ("(gcd 12 18)", "6"),
        ("(exact->inexact 1)", "1.0"),
        ("(/ 1 3.0)", "0.3333333333333333"),
    ]);
}

#[test]
fn syntax() {
    check(&[
        (
            "(define (f a b . rest) (list a b rest)) (f 1 2 3 4)",
            "(1 2 (3 4))",
        ),
        ("((lambda args args) 1 2)", "(1 2)"),
        (
            "(let loop ((i 0) (acc '())) (if (= i 3) acc (loop (+ i 1) (cons i acc))))",
            "(2 1 0)",
        ),
        ("(let* ((a 1) (b (+ a 1))) (list a b))", "(1 2)"),
        (
            "(letrec ((even? (lambda (n) (if (= n 0) #t (odd? (- n 1))))) (odd? (lambda (n) (if (= n 0) #f (even? (- n 1)))))) (even? 100))",
            "#t",
        ),
        (
            "(define (g) (define a 1) (define (h) (* a 10)) (h)) (g)",
            "10",
        ),
        (
            "(cond ((assv 2 '((1 . a) (2 . b))) => cdr) (else 'none))",
            "b",
        ),
        ("(cond (#f 1) ((+ 1 1)))", "2"),
        (
            "(case (* 2 3) ((2 3 5 7) 'prime) ((1 4 6 8 9) 'composite))",
            "composite",
        ),
        (
            "(case 'x ((a) 1) (else => (lambda (k) (list k 'seen))))",
            "(x seen)",
        ),
        ("(and 1 2 #f 3)", "#f"),
        ("(or #f '() 3)", "()"),
        ("(when (> 1 0) 'a 'b)", "b"),
        ("(unless (> 1 0) 'a)", "#<unspecified>"),
        (
            "(do ((vec (make-vector 5)) (i 0 (+ i 1))) ((= i 5) vec) (vector-set! vec i i))",
            "#(0 1 2 3 4)",
        ),
        ("(define x 10) (set! x (+ x 1)) x", "11"),
        (
            "`(1 ,(+ 1 1) ,@(map (lambda (x) (* x x)) '(3 4)) . end)",
            "(1 2 9 16 . end)",
        ),
        ("`#(a ,(+ 1 2))", "#(a 3)"),
        (
            "`(a `(b ,(c ,(+ 1 2))))",
            "(a (quasiquote (b (unquote (c 3)))))",
        ),
        ("(let ((if list)) (if 1 2 3))", "(1 2 3)"),
        (
            "(begin (define-record-type <point> (make-point x y) point? (x point-x set-point-x!) (y point-y)) (let ((p (make-point 1 2))) (set-point-x! p 10) (list (point-x p) (point-y p) (point? p) (point? 'p))))",
            "(10 2 #t #f)",
        ),
        ("(make-point 3 4)", "#<point 3 4>"),
    ]);
}

#[test]
fn tail_calls_run_in_constant_space() {
    check(&[
        (
            "(define (count n) (if (= n 0) 'done (count (- n 1)))) (count 100000)",
            "done",
        ),
        (
            "(define (ping n) (if (= n 0) 'ping (pong (- n 1)))) (define (pong n) (if (= n 0) 'pong (ping (- n 1)))) (ping 100001)",
            "pong",
        ),
        (
            "(let loop ((i 0)) (cond ((= i 100000) i) (else (loop (+ i 1)))))",
            "100000",
        ),
        ("(do ((i 0 (+ i 1))) ((= i 100000) i))", "100000"),
        (
            "(define (via-apply n) (if (= n 0) 'ok (apply via-apply (list (- n 1))))) (via-apply 100000)",
            "ok",
        ),
        (
            "(define (via-and n) (and #t (if (= n 0) 'ok (via-and (- n 1))))) (via-and 100000)",
            "ok",
        ),
    ]);
}

#[test]
fn continuations() {
    check(&[
        ("(+ 1 (call/cc (lambda (k) (+ 10 (k 2)))))", "3"),
        (
            "(call-with-current-continuation (lambda (k) (for-each (lambda (x) (when (negative? x) (k x))) '(1 -2 3)) 'none))",
            "-2",
        ),
        // Re-entry: a continuation used after its call/cc returned.
        (
            "(let ((r '()) (k #f)) (set! r (cons (call/cc (lambda (c) (set! k c) 0)) r)) (if (< (length r) 3) (k (length r))) r)",
            "(2 1 0)",
        ),
        // A generator that resumes its producer.
        (
            "(define (gen lst) (define return #f) (define (resume-producer) (for-each (lambda (x) (call/cc (lambda (next) (set! resume-producer (lambda () (next #f))) (return x)))) lst) (return 'done)) (lambda () (call/cc (lambda (r) (set! return r) (resume-producer))))) (define g (gen '(a b))) (list (g) (g) (g))",
            "(a b done)",
        ),
        (
            "(dynamic-wind (lambda () 'before) (lambda () 'during) (lambda () 'after))",
            "during",
        ),
        ("(call-with-values (lambda () (values 1 2)) +)", "3"),
        (
            "(guard (e (#t (list 'outer e))) (call/cc (lambda (k) (with-exception-handler (lambda (e) (k (list 'escaped e))) (lambda () (raise 'inner))))))",
            "(escaped inner)",
        ),
    ]);
}

#[test]
fn dynamic_wind() {
    let note = "(define trace '()) (define (note x) (set! trace (cons x trace)))";
    let cases = [
        // An escape runs the after thunk.
        "(call/cc (lambda (k) (dynamic-wind (lambda () (note 'in)) (lambda () (k 'out)) (lambda () (note 'after)))))",
        // Nested: afters innermost first.
        "(call/cc (lambda (k) (dynamic-wind (lambda () (note 'a-in)) (lambda () (dynamic-wind (lambda () (note 'b-in)) (lambda () (k 0)) (lambda () (note 'b-out)))) (lambda () (note 'a-out)))))",
        // Re-entry runs the before thunk again.
        "(let ((k #f) (n 0)) (dynamic-wind (lambda () (note 'in)) (lambda () (call/cc (lambda (c) (set! k c))) (note 'body)) (lambda () (note 'out))) (set! n (+ n 1)) (if (< n 2) (k #f)))",
        // A raise caught by a guard outside runs the after thunk before the clauses.
        "(guard (e (#t (note (list 'caught e)))) (dynamic-wind (lambda () (note 'in)) (lambda () (raise 'x)) (lambda () (note 'out))))",
        // A handler runs inside the extent: no unwinding for it.
        "(with-exception-handler (lambda (e) (note 'handler) 0) (lambda () (dynamic-wind (lambda () (note 'in)) (lambda () (raise-continuable 'c)) (lambda () (note 'out)))))",
    ];
    let expected = [
        "(in after)",
        "(a-in b-in b-out a-out)",
        "(in body out in body out)",
        "(in out (caught x))",
        "(in handler out)",
    ];
    let programs: Vec<String> = cases
        .iter()
        .map(|c| format!("(let () {note} {c} (reverse trace))"))
        .collect();
    let pairs: Vec<(&str, &str)> = programs.iter().map(String::as_str).zip(expected).collect();
    check(&pairs);
}

#[test]
fn exceptions() {
    check(&[
        (
            "(guard (e (#t (error-object-message e))) (error \"bad\" 1 2))",
            "\"bad\"",
        ),
        (
            "(guard (e ((error-object? e) (error-object-irritants e))) (error \"bad\" 1 2))",
            "(1 2)",
        ),
        (
            "(guard (e ((string? e) 'string) ((symbol? e) 'symbol)) (raise 'oops))",
            "symbol",
        ),
        (
            "(guard (e ((string? e) 'inner)) (guard (e ((number? e) 'number)) (raise \"s\")))",
            "inner",
        ),
        (
            "(guard (e (#t (error-object-message e))) (vector-ref (vector) 0))",
            "\"vector-ref: index out of range (0 to -1)\"",
        ),
        ("(guard (e (#t (error-object-irritants e))) (car 5))", "(5)"),
        (
            "(with-exception-handler (lambda (e) 42) (lambda () (+ (raise-continuable 'c) 1)))",
            "43",
        ),
        (
            "(call/cc (lambda (k) (with-exception-handler (lambda (e) (k (list 'handled e))) (lambda () (raise 'boom)))))",
            "(handled boom)",
        ),
        ("(guard (e (#f 'no)) 'fine)", "fine"),
        (
            "(define (safe-div a b) (guard (e (#t 'div-by-zero)) (/ a b))) (list (safe-div 1 0) (safe-div 4 2))",
            "(div-by-zero 2)",
        ),
        (
            "(guard (e (#t 'caught)) (guard (e2 ((string? e2) 'wrong)) (raise 'x)))",
            "caught",
        ),
        (
            "(guard (e ((symbol? e) (list 'after e))) (dynamic-wind (lambda () #f) (lambda () (raise 'inside)) (lambda () #f)))",
            "(after inside)",
        ),
    ]);
}

#[test]
fn library() {
    check(&[
        ("(map + '(1 2 3) '(10 20 30))", "(11 22 33)"),
        (
            "(let ((acc '())) (for-each (lambda (x) (set! acc (cons x acc))) '(1 2 3)) acc)",
            "(3 2 1)",
        ),
        ("(filter odd? '(1 2 3 4 5))", "(1 3 5)"),
        ("(reduce + 0 '(1 2 3 4))", "10"),
        ("(fold cons '() '(1 2 3))", "(3 2 1)"),
        ("(fold-right cons '() '(1 2 3))", "(1 2 3)"),
        ("(fold-left list '() '(1 2))", "((() 1) 2)"),
        ("(append '(1) '(2 3) '() '(4 . 5))", "(1 2 3 4 . 5)"),
        ("(reverse '(1 2 3))", "(3 2 1)"),
        ("(list-tail '(1 2 3 4) 2)", "(3 4)"),
        ("(list-ref '(a b c) 1)", "b"),
        ("(memv 2 '(1 2 3))", "(2 3)"),
        ("(member \"b\" '(\"a\" \"b\"))", "(\"b\")"),
        ("(assoc 2.0 '((1 . a) (2 . b)) =)", "(2 . b)"),
        ("(length '(1 2 3))", "3"),
        ("(list-copy '(1 2 3))", "(1 2 3)"),
        ("(apply max 1 '(5 3))", "5"),
        ("(iota 5 1)", "(1 2 3 4 5)"),
        ("(list-sort < '(3 1 2))", "(1 2 3)"),
        ("(sort (vector 3 1 2) <)", "#(1 2 3)"),
        ("(string-append \"ab\" \"\" \"cd\")", "\"abcd\""),
        ("(substring \"hello\" 1 3)", "\"el\""),
        ("(string->list \"abc\")", "(#\\a #\\b #\\c)"),
        ("(list->string (list #\\a #\\b))", "\"ab\""),
        ("(string-upcase \"MoveGC\")", "\"MOVEGC\""),
        ("(string<? \"abc\" \"abd\")", "#t"),
        ("(symbol->string 'abc)", "\"abc\""),
        ("(number->string 3.25)", "\"3.25\""),
        ("(char-upcase #\\a)", "#\\A"),
        ("(char->integer #\\A)", "65"),
        ("(vector-map (lambda (x) (* x x)) #(1 2 3))", "#(1 4 9)"),
        (
            "(let ((v (make-vector 3 0))) (vector-fill! v 7) v)",
            "#(7 7 7)",
        ),
        ("(vector->list #(1 2 3) 1)", "(2 3)"),
        ("(vector-append #(1) #(2 3))", "#(1 2 3)"),
        (
            "(let ((b (make-bytevector 2 0))) (bytevector-u8-set! b 1 9) b)",
            "#u8(0 9)",
        ),
        ("(string-map char-upcase \"abc\")", "\"ABC\""),
        (
            "(assq 'gc-stats (list (cons 'gc-stats 1)))",
            "(gc-stats . 1)",
        ),
        ("(begin (gc) (car (car (gc-stats))))", "collections"),
    ]);
}

#[test]
fn many_arguments() {
    check_in(
        16,
        &[
            ("(apply + (iota 100000))", "4999950000"),
            ("(length (apply list (iota 70000)))", "70000"),
            ("(apply (lambda args (length args)) (iota 70000))", "70000"),
        ],
    );
}

#[test]
fn libraries_and_their_syntax() {
    check(&[
        (
            "(import (scheme base) (scheme write) (scheme cxr) (scheme char) (scheme file) \
             (scheme inexact) (scheme complex) (scheme time) (scheme process-context) \
             (scheme read) (scheme case-lambda) (scheme lazy) (srfi 1))",
            "#<unspecified>",
        ),
        (
            "(import (only (scheme base) car) (except (scheme write) display))",
            "#<unspecified>",
        ),
        (
            "(import (rename (scheme base) (car first))) (first '(1 2))",
            "1",
        ),
        (
            "(define-library (my lib) (export twice) (import (scheme base)) \
             (begin (define (twice x) (* 2 x)))) (import (my lib)) (twice 21)",
            "42",
        ),
        (
            "(define plus (case-lambda (() 0) ((a) a) ((a b) (+ a b)) ((a b . c) (apply + a b c)))) \
             (list (plus) (plus 1) (plus 1 2) (plus 1 2 3 4))",
            "(0 1 3 10)",
        ),
        (
            "(define n 0) (define p (delay (begin (set! n (+ n 1)) n))) \
             (list (force p) (force p) n (promise? p) (force 7))",
            "(1 1 1 #t 7)",
        ),
        (
            "(define (down k) (delay-force (if (= k 0) (make-promise 'done) (down (- k 1))))) \
             (force (down 100000))",
            "done",
        ),
    ]);
}

#[test]
fn number_syntax() {
    check(&[
        ("1e-9", "1e-9"),
        ("2.5e-3", "0.0025"),
        ("1.5e+3", "1500.0"),
        ("-1.5E3", "-1500.0"),
        ("(list .5 -.5 5. 1.e2)", "(0.5 -0.5 5.0 100.0)"),
        ("(list #x-ff #XFF #b101 #o17 #d10)", "(-255 255 5 15 10)"),
        (
            "(list #e1.5e3 #e-2.0 #i10 #x#e10 #e#x10 #i#xff)",
            "(1500 -2 10.0 16 16 255.0)",
        ),
        (
            "(list +inf.0 -inf.0 +nan.0 -nan.0)",
            "(+inf.0 -inf.0 +nan.0 +nan.0)",
        ),
        ("(string->number \"1e-3\")", "0.001"),
        ("(string->number \"#b11\")", "3"),
        ("(string->number \"ff\" 16)", "255"),
        ("(string->number \"#d10\" 16)", "10"),
        (
            "(map string->number '(\"1/2\" \"1+2i\" \"abc\" \"-\" \"1e\" \"#e1.5\"))",
            "(#f #f #f #f #f #f)",
        ),
        ("'(+ - ... -> a.b +a)", "(+ - ... -> a.b +a)"),
    ]);
}

#[test]
fn cxr_case_folding_and_utf8() {
    check(&[
        ("(caaaar '((((1)))))", "1"),
        ("(cdadar '((a (b . c))))", "c"),
        ("(cddadr '(0 (1 2 3)))", "(3)"),
        ("(cadadr '(0 (1 2)))", "2"),
        (
            "(list (char-ci=? #\\a #\\A) (char-ci<? #\\a #\\B #\\c) (char-ci>? #\\b #\\A))",
            "(#t #t #t)",
        ),
        (
            "(list (char-ci<=? #\\a #\\A) (char-ci>=? #\\a #\\B) (char-foldcase #\\Q))",
            "(#t #f #\\q)",
        ),
        (
            "(list (string-ci=? \"abc\" \"ABC\") (string-ci<? \"abc\" \"ABD\") (string-ci>? \"b\" \"A\"))",
            "(#t #t #t)",
        ),
        (
            "(list (string-ci<=? \"a\" \"A\" \"b\") (string-ci>=? \"a\" \"B\") (string-foldcase \"AbC\"))",
            "(#t #f \"abc\")",
        ),
        ("(string->utf8 \"aé\")", "#u8(97 195 169)"),
        ("(string->utf8 \"héllo\" 1 3)", "#u8(195 169 108)"),
        ("(utf8->string #u8(97 195 169))", "\"aé\""),
        ("(utf8->string #u8(65 66 67 68) 1 3)", "\"BC\""),
        (
            "(guard (e (#t (error-object-message e))) (utf8->string #u8(97 255)))",
            "\"utf8->string: invalid UTF-8 at byte 1\"",
        ),
    ]);
}

#[test]
fn ports() {
    let dir = std::env::temp_dir().join(format!("lisp-ports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("data.txt");
    let other = dir.join("other.txt");
    let (file, other) = (file.to_str().unwrap(), other.to_str().unwrap());
    let cases = [
        (
            format!(
                "(call-with-output-file {file:?} (lambda (p) (write '(a \"b\" 1.5 #\\c) p) \
                 (newline p) (display \"line two\" p) (newline p) \
                 (write-string \"hello world\" p 6) (write-char #\\! p) 'done))"
            ),
            "done".to_owned(),
        ),
        (format!("(file-exists? {file:?})"), "#t".to_owned()),
        (
            format!(
                "(define p (open-input-file {file:?})) \
                 (list (input-port? p) (output-port? p) (port? p) (textual-port? p) \
                 (binary-port? p) (char-ready? p) (peek-char p) (read p) (read-char p) \
                 (read-line p) (read-string 3 p) (read-line p) (read-line p) (read-char p) \
                 (peek-char p) (read p) (read-string 2 p))"
            ),
            "(#t #f #t #t #f #t #\\( (a \"b\" 1.5 #\\c) #\\newline \"line two\" \"wor\" \"ld!\" \
             #<eof> #<eof> #<eof> #<eof> #<eof>)"
                .to_owned(),
        ),
        (
            "(close-input-port p) (list p (input-port-open? p) (input-port? p))".to_owned(),
            "(#<input-port> #f #t)".to_owned(),
        ),
        (
            "(guard (e (#t (error-object-message e))) (read-char p))".to_owned(),
            "\"read-char: the port is closed\"".to_owned(),
        ),
        (
            format!("(with-output-to-file {other:?} (lambda () (display \"redirected\") 42))"),
            "42".to_owned(),
        ),
        (
            format!("(with-input-from-file {other:?} read-line)"),
            "\"redirected\"".to_owned(),
        ),
        (
            format!("(call-with-input-file {other:?} (lambda (p) (read p)))"),
            "redirected".to_owned(),
        ),
        (
            format!("(delete-file {other:?}) (file-exists? {other:?})"),
            "#f".to_owned(),
        ),
        (
            "(guard (e (#t (error-object-message e))) (open-input-file \"/nonexistent/x\"))"
                .to_owned(),
            "\"open-input-file: cannot open \\\"/nonexistent/x\\\": No such file or directory \
             (os error 2)\""
                .to_owned(),
        ),
        (
            "(define s (open-output-string)) (write 'sym s) (display \" x\" s) \
             (write-string \"abc\" s 1 2) (get-output-string s)"
                .to_owned(),
            "\"sym xb\"".to_owned(),
        ),
        (
            "(let ((i (open-input-string \"(1 2 . 3) foo \\\"bar\\\" ; note\\n #(1) #| c |# 2.5 \")))
               (let loop ((x (read i)) (acc '()))
                 (if (eof-object? x) (reverse acc) (loop (read i) (cons x acc)))))"
                .to_owned(),
            "((1 2 . 3) foo \"bar\" #(1) 2.5)".to_owned(),
        ),
        (
            "(guard (e (#t (error-object-message e))) (read (open-input-string \"(1 2\")))"
                .to_owned(),
            "\"read: unterminated list: missing ')'\"".to_owned(),
        ),
        (
            "(list (read-line (open-input-string \"\")) (read-line (open-input-string \"a\\n\\nb\")))"
                .to_owned(),
            "(#<eof> \"a\")".to_owned(),
        ),
        (
            "(list (current-output-port) (eq? (current-output-port) (current-output-port)) \
             (output-port? (current-error-port)) (input-port? (current-input-port)) \
             (eof-object? (eof-object)))"
                .to_owned(),
            "(#<output-port> #t #t #t #t)".to_owned(),
        ),
        (
            "(guard (e (#t (error-object-message e))) (display 1 (open-input-string \"\")))"
                .to_owned(),
            "\"display: expected an output port\"".to_owned(),
        ),
        (
            "(guard (e (#t (error-object-message e))) \
             (with-output-to-file \"/nonexistent/x\" (lambda () 1)))"
                .to_owned(),
            "\"open-output-file: cannot open \\\"/nonexistent/x\\\": No such file or directory \
             (os error 2)\""
                .to_owned(),
        ),
    ];
    let cases: Vec<(&str, &str)> = cases
        .iter()
        .map(|(e, v)| (e.as_str(), v.as_str()))
        .collect();
    check(&cases);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bignums() {
    let fact = "(define (fact n) (if (= n 0) 1 (* n (fact (- n 1)))))";
    check(&[
        (fact, "#<unspecified>"),
        ("(fact 30)", "265252859812191058636308480000000"),
        ("(- (fact 25) (fact 25))", "0"),
        ("(quotient (fact 30) (fact 28))", "870"),
        (
            "(list (* 4611686018427387903 2) (+ 4611686018427387903 1) (- -4611686018427387904 1))",
            "(9223372036854775806 4611686018427387904 -4611686018427387905)",
        ),
        ("(abs -4611686018427387904)", "4611686018427387904"),
        (
            "(list (+ 4611686018427387903 4611686018427387903 4611686018427387903) \
             (+ 4611686018427387903 1 -1) (* 3037000499 3037000499 3))",
            "(13835058055282163709 4611686018427387903 27670116092778747003)",
        ),
        (
            "(list (< 1 2 3.5 (expt 10 30)) (< 1 3 2) (= 7 7 7) (> (expt 10 30) 2 1))",
            "(#t #f #t #t)",
        ),
        ("(quotient -9223372036854775808 -1)", "9223372036854775808"),
        (
            "(list 123456789012345678901234567890 -123456789012345678901234567890)",
            "(123456789012345678901234567890 -123456789012345678901234567890)",
        ),
        (
            "#x123456789abcdef0123456789",
            "90144042682896311822508713865",
        ),
        (
            "(list #e1e30 (exact 1e30))",
            "(1000000000000000000000000000000 1000000000000000019884624838656)",
        ),
        ("(exact->inexact (fact 25))", "1.5511210043330986e25"),
        (
            "(list (expt 2 100) (expt -3 41))",
            "(1267650600228229401496703205376 -36472996377170786403)",
        ),
        ("(list (expt 0 1000000000) (expt -1 1000000001))", "(0 -1)"),
        (
            "(list (gcd (expt 2 100) (expt 6 50)) (lcm (expt 2 70) 3))",
            "(1125899906842624 3541774862152233910272)",
        ),
        (
            "(let ((f (fact 30))) (list (remainder f 7) (modulo (- f) 1000007) (remainder (- f) 1000007) \
             (quotient (- f) 1000007) (floor-quotient (- f) 1000007)))",
            "(0 209380 -790627 -265251003055169672448601339 -265251003055169672448601340)",
        ),
        (
            "(list (= (fact 22) (fact 22)) (< (fact 22) (fact 23)) (> (fact 22) 1.0) \
             (eqv? (fact 22) (fact 22)) (equal? (list (fact 22)) (list (fact 22))) (= (fact 22) (fact 21)))",
            "(#t #t #t #t #t #f)",
        ),
        (
            "(- (* 2 4611686018427387904) 4611686018427387904 4611686018427387904)",
            "0",
        ),
        ("(exact? (- (expt 2 62) 1 (expt 2 62)))", "#t"),
        ("(number->string (fact 22) 16)", "\"3ceea4c2b3e0d80000\""),
        (
            "(number->string (- (expt 2 70)) 2)",
            "\"-10000000000000000000000000000000000000000000000000000000000000000000000\"",
        ),
        (
            "(string->number \"-ffffffffffffffffffff\" 16)",
            "-1208925819614629174706175",
        ),
        (
            "(let ((b (fact 22))) (list (odd? (+ b 1)) (even? b) (exact? b) (integer? b) (exact-integer? b) \
             (rational? b) (finite? b) (negative? (- b)) (zero? b) (positive? b)))",
            "(#t #t #t #t #t #t #t #t #f #t)",
        ),
        (
            "(list (sqrt (expt 10 40)) (sqrt (+ 1 (expt 10 40))))",
            "(100000000000000000000 1e20)",
        ),
        (
            "(list (max 1 (fact 22)) (min 1.0 (fact 22)))",
            "(1124000727777607680000 1.0)",
        ),
        (
            "(list (square (fact 20)) (square 5) (square 1.5))",
            "(5919012181389927685417441689600000000 25 2.25)",
        ),
        (
            "(list (/ (fact 22) (fact 20)) (/ (fact 20) (fact 22)))",
            "(462 0.0021645021645021645)",
        ),
        (
            "(list (floor (fact 22)) (round (fact 22)))",
            "(1124000727777607680000 1124000727777607680000)",
        ),
    ]);
}

#[test]
fn the_rest_of_the_standard_libraries() {
    check(&[
        (
            "(call-with-values (lambda () (exact-integer-sqrt 17)) list)",
            "(4 1)",
        ),
        (
            "(call-with-values (lambda () (exact-integer-sqrt (+ 1 (expt 10 400)))) \
             (lambda (s r) (list (= s (expt 10 200)) r)))",
            "(#t 1)",
        ),
        (
            "(call-with-values (lambda () (floor/ -7 2)) list)",
            "(-4 1)",
        ),
        (
            "(call-with-values (lambda () (truncate/ -7 2)) list)",
            "(-3 -1)",
        ),
        (
            "(list (numerator 5) (denominator 5) (denominator 4.0))",
            "(5 1 1.0)",
        ),
        (
            "(list (real-part 2.5) (imag-part 3) (magnitude -4) (angle 2) (make-rectangular 1 0))",
            "(2.5 0 4 0 1)",
        ),
        (
            "(list (string->vector \"abcd\" 1 3) (vector->string #(#\\x #\\y)))",
            "(#(#\\b #\\c) \"xy\")",
        ),
        (
            "(let ((s (make-string 5 #\\-))) (string-copy! s 1 \"abcd\" 1 3) s)",
            "\"-bc--\"",
        ),
        (
            "(let ((v (make-vector 4 0))) (vector-copy! v 2 #(1 2 3) 1) v)",
            "#(0 0 2 3)",
        ),
        ("(memq 'r7rs (features))", "(r7rs movegc)"),
        ("(get-environment-variable \"LISP_NO_SUCH_VARIABLE\")", "#f"),
        (
            "(list (guard (e ((file-error? e) 'file)) (open-input-file \"/nonexistent\")) \
             (guard (e ((read-error? e) 'read)) (read (open-input-string \")\"))) \
             (guard (e ((file-error? e) 'file) (#t 'other)) (car 1)))",
            "(file read other)",
        ),
    ]);
}
