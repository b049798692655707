//! Hash tables at scale, in every GC mode with the heap verifier on: their
//! buckets are indexed by hashes that survive moves (the collector's
//! identity hash for heap keys compared by identity), so every lookup finds
//! its entry after collections that moved every key, in `eqv?`, `eq?` and
//! `equal?` tables; a weak-key table that grew over many buckets still drops
//! the entries of the keys that died.

mod common;

use gc_core::Mode;

/// Runs `program` in `mode` in a heap of `heap_mib`, compares what it
/// printed line by line, and returns the objects the collections moved.
fn check(name: &str, program: &str, expected: &[&str], heap_mib: usize, mode: Mode) -> u64 {
    common::check_output(name, program, expected, heap_mib, mode).objects_moved
}

/// 100,000 keys of five kinds (pairs, fixnums, strings, flonums, vectors),
/// each allocated after some garbage, so that the first collection moves
/// every heap key; every lookup is checked after each of three collections,
/// then after deleting a third of the keys. Flonums are found by a fresh
/// flonum of the same value (`eqv?`), the other heap keys only by themselves.
const EQV_100K: &str = r#"
(define n 100000)
(define t (make-hash-table))
(define keys (make-vector n #f))
(define (make-key i)
  (case (modulo i 5)
    ((0) (list i))
    ((1) i)
    ((2) (string-copy "key"))
    ((3) (exact->inexact i))
    (else (vector i 'v))))
(do ((i 0 (+ i 1))) ((= i n))
  (make-vector 6 i)
  (let ((k (make-key i)))
    (vector-set! keys i k)
    (hash-table-set! t k i)))
(define (found-right)
  (let loop ((i 0) (right 0))
    (if (= i n)
        right
        (loop (+ i 1)
              (if (eqv? (hash-table-ref/default t (vector-ref keys i) #f) i)
                  (+ right 1)
                  right)))))
(define (fresh-flonums-found)
  (let loop ((i 3) (found 0))
    (if (>= i n)
        found
        (loop (+ i 5)
              (if (eqv? (hash-table-ref/default t (exact->inexact i) #f) i)
                  (+ found 1)
                  found)))))
(define (fresh-pairs-found)
  (let loop ((i 0) (found 0))
    (if (>= i n)
        found
        (loop (+ i 5) (if (hash-table-contains? t (list i)) (+ found 1) found)))))
(display (hash-table-count t)) (newline)
(do ((round 0 (+ round 1))) ((= round 3))
  (gc)
  (make-vector 1000 round)
  (display (found-right)) (newline))
(display (list (fresh-flonums-found) (fresh-pairs-found))) (newline)
(do ((i 0 (+ i 3))) ((>= i n))
  (hash-table-delete! t (vector-ref keys i)))
(gc)
(display (hash-table-count t)) (newline)
(display (found-right)) (newline)
(display (let loop ((i 0) (absent 0))
           (if (>= i n)
               absent
               (loop (+ i 3)
                     (if (hash-table-contains? t (vector-ref keys i)) absent (+ absent 1))))))
(newline)
"#;

const EQV_100K_OUT: &[&str] = &[
    "100000",
    "100000",
    "100000",
    "100000",
    "(20000 0)",
    "66666",
    "66666",
    "33334",
];

/// `equal?` tables find a key by a fresh structure of the same shape;
/// `eq?` tables only by the object itself, even for flonums of one value.
const EQUAL_AND_EQ: &str = r#"
(define n 20000)
(define e (make-hash-table equal?))
(define q (make-hash-table eq?))
(define (key i)
  (case (modulo i 4)
    ((0) (list i "s" (vector i #\c)))
    ((1) (number->string i))
    ((2) (vector (list i) 1.5 (string #\a)))
    (else (exact->inexact i))))
(define held (make-vector n #f))
(do ((i 0 (+ i 1))) ((= i n))
  (make-vector 6 i)
  (hash-table-set! e (key i) i)
  (let ((k (key i)))
    (vector-set! held i k)
    (hash-table-set! q k i)))
(hash-table-set! e (key 7) 'replaced)
(gc)
(make-vector 1000 0)
(gc)
(define (count-if p)
  (let loop ((i 0) (c 0))
    (if (= i n) c (loop (+ i 1) (if (p i) (+ c 1) c)))))
(display (list (hash-table-count e) (hash-table-count q))) (newline)
(display (count-if (lambda (i) (equal? (hash-table-ref/default e (key i) #f)
                                       (if (= i 7) 'replaced i)))))
(newline)
(display (count-if (lambda (i) (eqv? (hash-table-ref/default q (vector-ref held i) #f) i))))
(newline)
(display (count-if (lambda (i) (hash-table-contains? q (key i))))) (newline)
(hash-table-delete! e (list 0 "s" (vector 0 #\c)))
(display (list (hash-table-count e) (hash-table-contains? e (key 0))
               (hash-table-contains? e (key 4))))
(newline)
(define circular (list 1 2 3))
(set-cdr! (cddr circular) circular)
(hash-table-set! e circular 'circular)
(display (hash-table-ref e circular)) (newline)
(display (guard (x ((error-object? x) (error-object-message x))) (make-hash-table car)))
(newline)
"#;

const EQUAL_AND_EQ_OUT: &[&str] = &[
    "(20000 20000)",
    "20000",
    "20000",
    "0",
    "(19999 #f #t)",
    "circular",
    "make-hash-table: expected eq?, eqv? or equal?",
];

/// A weak-key table of 30,000 entries (grown to thousands of buckets) keeps
/// the entries of the keys held, which move, and drops the others' once the
/// keys are dropped; values that refer to their keys do not keep them.
const WEAK_GROWN: &str = r#"
(define n 30000)
(define t (make-weak-key-hash-table))
(define held (make-vector n #f))
(define all (make-vector n #f))
(do ((i 0 (+ i 1))) ((= i n))
  (make-vector 6 i)
  (let ((k (list i)))
    (vector-set! all i k)
    (if (even? i) (vector-set! held i k))
    (hash-table-set! t k (cons k i))))
(hash-table-set! t 5 'immediate)
(display (hash-table-count t)) (newline)
(set! all #f)
(gc)
(make-vector 1000 0)
(gc)
(display (hash-table-count t)) (newline)
(display (let loop ((i 0) (right 0))
           (if (= i n)
               right
               (loop (+ i 2)
                     (let ((v (hash-table-ref/default t (vector-ref held i) #f)))
                       (if (and v (eq? (car v) (vector-ref held i)) (= (cdr v) i))
                           (+ right 1)
                           right))))))
(newline)
(do ((i 0 (+ i 4))) ((>= i n))
  (vector-set! held i #f))
(gc)
(display (hash-table-count t)) (newline)
(do ((i 0 (+ i 1))) ((= i 10000))
  (hash-table-set! t (list i) i))
(set! held #f)
(gc)
(display (list (hash-table-count t) (hash-table-ref t 5))) (newline)
"#;

const WEAK_GROWN_OUT: &[&str] = &["30001", "15001", "15000", "7501", "(1 immediate)"];

macro_rules! in_every_mode {
    ($($test:ident $program:ident $expected:ident $heap_mib:literal $moved:literal),* $(,)?) => {
        mod stop_the_world {
            use super::*;
            $(#[test] fn $test() {
                let moved = check(stringify!($test), $program, $expected, $heap_mib, Mode::StopTheWorld);
                assert!(moved >= $moved, "only {moved} objects moved");
            })*
        }
        mod concurrent_move {
            use super::*;
            $(#[test] fn $test() {
                if common::available(Mode::Move) {
                    let moved = check(stringify!($test), $program, $expected, $heap_mib, Mode::Move);
                    assert!(moved >= $moved, "only {moved} objects moved");
                }
            })*
        }
        mod concurrent_copy {
            use super::*;
            $(#[test] fn $test() {
                if common::available(Mode::Copy) {
                    let moved = check(stringify!($test), $program, $expected, $heap_mib, Mode::Copy);
                    assert!(moved >= $moved, "only {moved} objects moved");
                }
            })*
        }
    };
}

in_every_mode! {
    eqv_table_of_100000_keys_finds_each_after_moving_collections EQV_100K EQV_100K_OUT 64 80_000,
    equal_and_eq_tables_find_their_keys_after_moving_collections EQUAL_AND_EQ EQUAL_AND_EQ_OUT 32 20_000,
    grown_weak_key_table_drops_dead_keys_and_keeps_held_ones WEAK_GROWN WEAK_GROWN_OUT 32 15_000,
}
