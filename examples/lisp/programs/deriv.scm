;;; Symbolic differentiation, the Gabriel benchmark: allocates many short
;;; lists and walks them.
;;; Usage: lisp deriv.scm [REPEAT]

(define (deriv a)
  (cond ((not (pair? a)) (if (eq? a 'x) 1 0))
        ((eq? (car a) '+) (cons '+ (map deriv (cdr a))))
        ((eq? (car a) '-) (cons '- (map deriv (cdr a))))
        ((eq? (car a) '*)
         (list '* a (cons '+ (map (lambda (a) (list '/ (deriv a) a)) (cdr a)))))
        ((eq? (car a) '/)
         (list '-
               (list '/ (deriv (cadr a)) (caddr a))
               (list '/ (cadr a) (list '* (caddr a) (caddr a) (deriv (caddr a))))))
        (else (error "no derivation method for" (car a)))))

(define expression '(+ (* 3 x x) (* a x x) (* b x) 5))

(define repeat
  (let ((args (command-line)))
    (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 20000)))

(define (run n result)
  (if (= n 0) result (run (- n 1) (deriv expression))))

(write (run repeat #f))
(newline)
(write (deriv '(/ x (+ x 1))))
(newline)
(write (equal? (deriv expression) (deriv expression)))
(newline)
