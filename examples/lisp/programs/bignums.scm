;;; Exact integers beyond the fixnums: the factorial of N, checked by
;;; dividing it back down, and N digits of pi by Gibbons' unbounded spigot,
;;; whose state grows to thousands of digits and is replaced every step.
;;; Usage: lisp bignums.scm [N]

(define n
  (let ((args (command-line)))
    (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 1000)))

(define (factorial n)
  (let loop ((i 1) (acc 1))
    (if (> i n) acc (loop (+ i 1) (* acc i)))))

;; Divides f by n, n-1, ..., 1: exact division all the way leaves 1.
(define (unfactorial f n)
  (if (= n 0)
      f
      (if (= (remainder f n) 0) (unfactorial (quotient f n) (- n 1)) 'not-divisible)))

(define (digit-sum k)
  (let loop ((k k) (sum 0))
    (if (= k 0) sum (loop (quotient k 10) (+ sum (remainder k 10))))))

;; Gibbons, "Unbounded Spigot Algorithms for the Digits of Pi" (2006):
;; a linear fractional transformation (q r t) composed with one term of a
;; series for pi after another, and a digit produced whenever the next is
;; certain.
(define (pi-digits count)
  (let loop ((q 1) (r 0) (t 1) (k 1) (m 3) (x 3) (left count) (acc '()))
    (cond ((= left 0) (list->string (reverse acc)))
          ((< (+ (* 4 q) (- r t)) (* m t))
           (loop (* 10 q)
                 (* 10 (- r (* m t)))
                 t
                 k
                 (- (quotient (* 10 (+ (* 3 q) r)) t) (* 10 m))
                 x
                 (- left 1)
                 (cons (integer->char (+ 48 m)) acc)))
          (else
           (loop (* q k)
                 (* (+ (* 2 q) r) x)
                 (* t x)
                 (+ k 1)
                 (quotient (+ (* q (+ (* 7 k) 2)) (* r x)) (* t x))
                 (+ x 2)
                 left
                 acc)))))

(define f (factorial n))
(define text (number->string f))
(display "(factorial ") (display n) (display "): ") (display (string-length text))
(display " digits, digit sum ") (display (digit-sum f)) (newline)
(display text) (newline)
(display "divided back down: ") (display (unfactorial f n)) (newline)
(display "in hexadecimal, read back: ")
(display (= f (string->number (number->string f 16) 16))) (newline)
(display "as a flonum: ") (display (exact->inexact (factorial 170))) (newline)
(display "pi: ") (display (pi-digits n)) (newline)
