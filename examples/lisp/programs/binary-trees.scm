;;; binary-trees, from the Computer Language Benchmarks Game (single
;;; threaded): many short-lived complete trees of pairs, and one long-lived.
;;; Usage: lisp binary-trees.scm [N]   (the benchmark's N is 21)

(define n
  (let ((args (command-line)))
    (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 12)))

(define (make d)
  (if (= d 0) (cons '() '()) (cons (make (- d 1)) (make (- d 1)))))

(define (check t)
  (if (null? (car t)) 1 (+ 1 (check (car t)) (check (cdr t)))))

(define min-depth 4)
(define max-depth (max (+ min-depth 2) n))

(define (line . items)
  (for-each display items)
  (newline))

(let ((stretch (+ max-depth 1)))
  (line "stretch tree of depth " stretch "\t check: " (check (make stretch))))

(define long-lived (make max-depth))

(do ((d min-depth (+ d 2))) ((> d max-depth))
  (let ((iterations (expt 2 (+ (- max-depth d) min-depth))))
    (let loop ((i 0) (sum 0))
      (if (< i iterations)
          (loop (+ i 1) (+ sum (check (make d))))
          (line iterations "\t trees of depth " d "\t check: " sum)))))

(line "long lived tree of depth " max-depth "\t check: " (check long-lived))
