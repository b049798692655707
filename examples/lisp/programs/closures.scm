;;; Closures everywhere: counters with private state, Church numerals,
;;; composition chains, continuation-passing style, and a lazy stream of
;;; primes whose tails are closures.
;;; Usage: lisp closures.scm [PRIMES]

(define primes-wanted
  (let ((args (command-line)))
    (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 120)))

;; Counters.
(define (make-counter)
  (let ((n 0))
    (lambda () (set! n (+ n 1)) n)))
(define counters (map (lambda (i) (make-counter)) (iota 100)))
(for-each (lambda (c i) (do ((k 0 (+ k 1))) ((= k i)) (c))) counters (iota 100))
(display "counters: ") (display (apply + (map (lambda (c) (c)) counters))) (newline)

;; Church numerals.
(define zero (lambda (f) (lambda (x) x)))
(define (succ n) (lambda (f) (lambda (x) (f ((n f) x)))))
(define (add m n) (lambda (f) (lambda (x) ((m f) ((n f) x)))))
(define (mul m n) (lambda (f) (m (n f))))
(define (church k) (if (= k 0) zero (succ (church (- k 1)))))
(define (unchurch n) ((n (lambda (k) (+ k 1))) 0))
(display "church: ") (display (unchurch (mul (church 12) (add (church 20) (church 5))))) (newline)

;; A chain of 1000 composed closures.
(define (compose f g) (lambda (x) (f (g x))))
(define add-all (fold compose (lambda (x) x) (map (lambda (i) (lambda (x) (+ x i))) (iota 1000))))
(display "composed: ") (display (add-all 0)) (newline)

;; Continuation-passing style, and an escape from it.
(define (fact-k n k) (if (= n 0) (k 1) (fact-k (- n 1) (lambda (v) (k (* n v))))))
(display "cps 20!: ") (display (fact-k 20 (lambda (v) v))) (newline)
(define (product-k l)
  (call/cc
   (lambda (return)
     (let loop ((l l) (k (lambda (v) v)))
       (cond ((null? l) (k 1))
             ((= (car l) 0) (return 0))
             (else (loop (cdr l) (lambda (v) (k (* (car l) v))))))))))
(display "escaped product: ") (display (product-k '(1 2 3 0 4 5))) (newline)
(display "product: ") (display (product-k '(1 2 3 4 5))) (newline)

;; Streams: a pair whose cdr is a closure computing the rest, memoized.
(define (stream-cons a thunk)
  (let ((done #f) (value #f))
    (cons a (lambda ()
              (unless done (set! value (thunk)) (set! done #t))
              value))))
(define (stream-tail s) ((cdr s)))
(define (integers-from n) (stream-cons n (lambda () (integers-from (+ n 1)))))
(define (stream-filter keep? s)
  (if (keep? (car s))
      (stream-cons (car s) (lambda () (stream-filter keep? (stream-tail s))))
      (stream-filter keep? (stream-tail s))))
(define (sieve s)
  (stream-cons (car s)
               (lambda ()
                 (sieve (stream-filter (lambda (x) (not (= 0 (remainder x (car s)))))
                                       (stream-tail s))))))
(define (stream-take s k)
  (if (= k 0) '() (cons (car s) (stream-take (stream-tail s) (- k 1)))))
(define primes (stream-take (sieve (integers-from 2)) primes-wanted))
(display "first primes: ") (display (stream-take (sieve (integers-from 2)) 10)) (newline)
(display "sum of the first 100 primes: ") (display (apply + (list-tail (reverse primes) (- primes-wanted 100)))) (newline)

;; Many short-lived closures, and a ring of live ones replaced as it goes.
(define (make-adder n) (lambda (x) (+ x n)))
(define ring (make-vector 1000 (make-adder 0)))
(define (spin i acc)
  (if (= i 50000)
      acc
      (let ((f (make-adder i)))
        (vector-set! ring (modulo i 1000) f)
        (spin (+ i 1) (+ acc (f 1))))))
(display "adders: ") (display (spin 0 0)) (newline)
(display "ring: ") (display (apply + (map (lambda (f) (f 0)) (vector->list ring)))) (newline)
