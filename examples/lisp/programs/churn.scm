;;; Churn: a large live set (a table of slots, each a small structure of a
;;; list, a string, a vector and a flonum) in which every round replaces a
;;; block of slots, while checking that every slot still holds what was put
;;; there. Long-lived data moves, short-lived data dies young, and the heap
;;; stays full.
;;; Usage: lisp churn.scm [ROUNDS [SLOTS]]

(define args (command-line))
(define (arg k default)
  (let loop ((args (if (pair? args) (cdr args) '())) (k k))
    (cond ((null? args) default)
          ((= k 0) (string->number (car args)))
          (else (loop (cdr args) (- k 1))))))

(define rounds (arg 0 300))
(define slots (arg 1 4000))
(define block 97)

;; What slot i holds after being written in generation g: every part is
;; computed from (i, g), so it can be checked.
(define (make-slot i g)
  (vector i g
          (list i g (+ i g) (* 2 g))
          (number->string (+ (* i 1000) g))
          (make-vector 4 (exact->inexact g))
          (* 0.5 (+ i g))))

(define (slot-ok? s i)
  (let ((g (vector-ref s 1)))
    (and (= (vector-ref s 0) i)
         (equal? (vector-ref s 2) (list i g (+ i g) (* 2 g)))
         (string=? (vector-ref s 3) (number->string (+ (* i 1000) g)))
         (= (vector-ref (vector-ref s 4) 3) g)
         (= (vector-ref s 5) (* 0.5 (+ i g))))))

(define table (make-vector slots #f))
(do ((i 0 (+ i 1))) ((= i slots))
  (vector-set! table i (make-slot i 0)))

;; Round r (from 1) rewrites `block` slots from (r * 7919) mod slots on,
;; wrapping around, and leaves a little garbage besides.
(define (churn! r)
  (let ((start (modulo (* r 7919) slots)))
    (do ((k 0 (+ k 1))) ((= k block))
      (let ((i (modulo (+ start k) slots)))
        (vector-set! table i (make-slot i r))
        (make-list 10 r)))))

(define (errors)
  (let loop ((i 0) (bad 0))
    (if (= i slots) bad (loop (+ i 1) (if (slot-ok? (vector-ref table i) i) bad (+ bad 1))))))

(define (generation-sum)
  (let loop ((i 0) (sum 0))
    (if (= i slots) sum (loop (+ i 1) (+ sum (vector-ref (vector-ref table i) 1))))))

(let loop ((r 1) (bad 0))
  (if (> r rounds)
      (begin
        (display "churn: ") (display rounds) (display " rounds over ")
        (display slots) (display " slots") (newline)
        (display "errors found while churning: ") (display bad) (newline))
      (begin
        (churn! r)
        (loop (+ r 1) (if (= 0 (modulo r 50)) (+ bad (errors)) bad)))))
(display "errors at the end: ") (display (errors)) (newline)
(display "sum of generations: ") (display (generation-sum)) (newline)
