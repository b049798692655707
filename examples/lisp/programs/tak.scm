;;; Takeuchi's function, the Gabriel benchmark: deep non-tail recursion on
;;; fixnums. (tak 18 12 6) is 7 and makes 63609 calls.
;;; Usage: lisp tak.scm [REPEAT]

(define (tak x y z)
  (if (not (< y x))
      z
      (tak (tak (- x 1) y z)
           (tak (- y 1) z x)
           (tak (- z 1) x y))))

(define repeat
  (let ((args (command-line)))
    (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 2)))

(define (run n result)
  (if (= n 0) result (run (- n 1) (tak 18 12 6))))

(display "(tak 18 12 6) = ")
(display (run repeat #f))
(newline)
(display "(tak 12 8 4) = ")
(display (tak 12 8 4))
(newline)
