//! Weak-key hash tables, guardians and the weak symbol table, in every GC
//! mode with the heap verifier on: what a collection must drop, what it must
//! keep, and that what a guardian hands back is whole.

mod common;

use gc_core::Mode;

/// Runs `program` in `mode` and compares what it printed, line by line.
fn check(name: &str, program: &str, expected: &[&str], mode: Mode) {
    if common::available(mode) {
        common::check_output(name, program, expected, 4, mode);
    }
}

/// Entries whose keys die go at the next collection; those whose keys are
/// held, or immediates, stay with their values; a value referring to its
/// own key does not keep it.
const WEAK_TABLE: &str = r#"
(define t (make-weak-key-hash-table))
(define held (list 'held))
(define held-string (string-copy "held string"))
(hash-table-set! t held (vector "value" 42))
(hash-table-set! t held-string held)
(hash-table-set! t 7 "seven")
(hash-table-set! t #\c 'char)
(define (fill! n)
  (let loop ((i 0) (keys '()))
    (if (= i n)
        keys
        (let ((k (list i)))
          (hash-table-set! t k (cons k 'refers-to-its-key))
          (loop (+ i 1) (cons k keys))))))
(define temporary (fill! 100))
(display (hash-table-count t)) (newline)
(set! temporary #f)
(gc)
(display (hash-table-count t)) (newline)
(display (hash-table-ref t held)) (newline)
(display (eq? (hash-table-ref t held-string) held)) (newline)
(display (list (hash-table-ref t 7) (hash-table-ref/default t #\c #f))) (newline)
(display (hash-table-contains? t (list 0))) (newline)
(set! held #f)
(gc)
(display (hash-table-count t)) (newline)
(set! held-string #f)
(gc)
(display (hash-table-count t)) (newline)
(write (hash-table-keys t)) (newline)
"#;

const WEAK_TABLE_OUT: &[&str] = &[
    "104",
    "4",
    "#(value 42)",
    "#t",
    "(seven char)",
    "#f",
    "4",
    "2",
    "(#\\c 7)",
];

/// A guardian returns exactly the registered objects that became
/// unreachable, each once per registration and intact, then `#f`; objects
/// still held, and those of a guardian nobody holds, are not returned.
const GUARDIAN: &str = r#"
(define g (make-guardian))
(define kept (vector 'kept 1 2))
(g kept)
(g (vector 'dropped 3 4))
(let ((s (string-copy "twice")))
  (g s)
  (g s))
(g (list 'a (list 'nested "list")))
(g 42)
(define lost (make-guardian))
(lost (vector 'of-a-lost-guardian))
(set! lost #f)
(define h (make-guardian))
(h kept)
(display (h)) (newline)
(gc)
(define (drain g)
  (let loop ((acc '()))
    (let ((x (g)))
      (if x (loop (cons x acc)) (reverse acc)))))
(define back (drain g))
(write (length back)) (newline)
(write (filter vector? back)) (newline)
(write (filter string? back)) (newline)
(write (filter pair? back)) (newline)
(write (g)) (newline)
(gc)
(write (g)) (newline)
(vector-set! (car (filter vector? back)) 1 'resurrected-and-mutable)
(write (car (filter vector? back))) (newline)
(set! kept #f)
(gc)
(write (g)) (newline)
(write (g)) (newline)
(write (h)) (newline)
"#;

const GUARDIAN_OUT: &[&str] = &[
    "#f",
    "4",
    "(#(dropped 3 4))",
    "(\"twice\" \"twice\")",
    "((a (nested \"list\")))",
    "#f",
    "#f",
    "#(dropped resurrected-and-mutable 4)",
    "#(kept 1 2)",
    "#f",
    "#(kept 1 2)",
];

/// Symbols nobody references leave the table at the next collection;
/// those referenced stay, and stay the same object.
const SYMBOLS: &str = r#"
(define (make-symbols prefix n)
  (let loop ((i 0) (acc '()))
    (if (= i n)
        acc
        (loop (+ i 1)
              (cons (string->symbol (string-append prefix (number->string i))) acc)))))
(define (count-while-holding n)
  (let ((symbols (make-symbols "dropped-" n)))
    (and (pair? symbols) (interned-symbol-count))))
(define (test)
  (gc)
  (let* ((base (interned-symbol-count))
         (held (make-symbols "held-" 100)))
    (display (eq? 'foo (string->symbol "foo"))) (newline)
    (display (= (interned-symbol-count) (+ base 100))) (newline)
    (do ((round 0 (+ round 1))) ((= round 5))
      (display (= (count-while-holding 3000) (+ base 3100))) (newline)
      (gc)
      (display (= (interned-symbol-count) (+ base 100))) (newline))
    (display (eq? (car held) (string->symbol "held-99"))) (newline)
    (display (symbol->string (car (reverse held)))) (newline)
    (set! held #f)
    (gc)
    (display (= (interned-symbol-count) base)) (newline)))
(test)
"#;

const SYMBOLS_OUT: &[&str] = &[
    "#t", "#t", "#t", "#t", "#t", "#t", "#t", "#t", "#t", "#t", "#t", "#t", "#t", "held-0", "#t",
];

/// The strong table's API and its errors.
const TABLE: &str = r#"
(define t (make-hash-table))
(hash-table-set! t 'a 1)
(hash-table-set! t 100000000000000000000 'big)
(hash-table-set! t 1.5 'flonum)
(define key (string-copy "k"))
(hash-table-set! t key 'string)
(hash-table-set! t 'a 2)
(hash-table-update!/default t 'n (lambda (x) (+ x 1)) 0)
(hash-table-update!/default t 'n (lambda (x) (+ x 1)) 0)
(display (list (hash-table-ref t 'a) (hash-table-ref t 100000000000000000000)
               (hash-table-ref t 1.5) (hash-table-ref t key) (hash-table-ref t 'n)))
(newline)
(display (list (hash-table-count t) (hash-table-ref/default t "k" 'absent)
               (hash-table-ref t 'b (lambda () 'failed))))
(newline)
(hash-table-delete! t 'a)
(hash-table-delete! t key)
(hash-table-delete! t 'absent)
(gc)
(display (list (hash-table-count t) (hash-table-contains? t 'a) (hash-table-ref t 'n)))
(newline)
(define (message thunk)
  (guard (e ((error-object? e) (error-object-message e))) (thunk)))
(display (message (lambda () (hash-table-ref t 'missing)))) (newline)
(display (message (lambda () (hash-table-set! 5 1 2)))) (newline)
(display (message (lambda () ((make-guardian) 1 2)))) (newline)
(display (list (hash-table? t) (hash-table? '()))) (newline)
"#;

const TABLE_OUT: &[&str] = &[
    "(2 big flonum string 2)",
    "(5 absent failed)",
    "(3 #f 2)",
    "hash-table-ref: no such key",
    "hash-table-set!: expected a hash table",
    "case-lambda: no clause takes this many arguments:",
    "(#t #f)",
];

macro_rules! in_every_mode {
    ($($test:ident $program:ident $expected:ident),* $(,)?) => {
        mod stop_the_world {
            use super::*;
            $(#[test] fn $test() {
                check(stringify!($test), $program, $expected, Mode::StopTheWorld)
            })*
        }
        mod concurrent_move {
            use super::*;
            $(#[test] fn $test() { check(stringify!($test), $program, $expected, Mode::Move) })*
        }
        mod concurrent_copy {
            use super::*;
            $(#[test] fn $test() { check(stringify!($test), $program, $expected, Mode::Copy) })*
        }
    };
}

in_every_mode! {
    weak_key_table_drops_dead_keys_and_keeps_held_ones WEAK_TABLE WEAK_TABLE_OUT,
    guardian_returns_the_dead_objects_intact_then_false GUARDIAN GUARDIAN_OUT,
    symbol_table_shrinks_when_symbols_die SYMBOLS SYMBOLS_OUT,
    hash_table_api_and_errors TABLE TABLE_OUT,
}
