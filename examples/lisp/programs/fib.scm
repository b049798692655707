;;; Doubly recursive Fibonacci, exact and inexact.
;;; Usage: lisp fib.scm [N]

(define n
  (let ((args (command-line)))
    (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 25)))

(define (fib n)
  (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))

(define (fibfp x)
  (if (< x 2.0) x (+ (fibfp (- x 1.0)) (fibfp (- x 2.0)))))

(display "(fib ") (display n) (display ") = ") (display (fib n)) (newline)
(display "(fibfp 20.0) = ") (display (fibfp 20.0)) (newline)
;; An iterative check of the same numbers: a tail-recursive loop.
(define (fib-iter n)
  (let loop ((i 0) (a 0) (b 1))
    (if (= i n) a (loop (+ i 1) b (+ a b)))))
(display "(fib-iter 88) = ") (display (fib-iter 88)) (newline)
