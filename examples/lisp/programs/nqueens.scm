;;; The N-queens problem: counts the placements of N queens on an N x N
;;; board, with lists for the remaining rows and the placed queens.
;;; Usage: lisp nqueens.scm [N]

(define (queens board-size)
  (define (ok? row dist placed)
    (or (null? placed)
        (and (not (= (car placed) (+ row dist)))
             (not (= (car placed) (- row dist)))
             (ok? row (+ dist 1) (cdr placed)))))
  (define (try candidates rest placed)
    (if (null? candidates)
        (if (null? rest) 1 0)
        (+ (if (ok? (car candidates) 1 placed)
               (try (append (cdr candidates) rest) '() (cons (car candidates) placed))
               0)
           (try (cdr candidates) (cons (car candidates) rest) placed))))
  (try (iota board-size 1) '() '()))

(define n
  (let ((args (command-line)))
    (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 9)))

(for-each
 (lambda (size)
   (display "queens ") (display size) (display ": ")
   (display (queens size)) (newline))
 (iota (- n 3) 4))
