;;; Destructive list operations: lists rebuilt in place with set-car! and
;;; set-cdr! (every store through the write barrier), while the collector
;;; moves them.
;;; Usage: lisp destructive.scm [N]   (N prime, so i*7919 mod N permutes 0..N-1)

(define n
  (let ((args (command-line)))
    (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 3001)))

;; 0..n-1 in a scrambled order.
(define (scrambled n)
  (let loop ((i 0) (acc '()))
    (if (= i n) acc (loop (+ i 1) (cons (modulo (* i 7919) n) acc)))))

(define (reverse! l)
  (let loop ((l l) (prev '()))
    (if (null? l)
        prev
        (let ((next (cdr l)))
          (set-cdr! l prev)
          (loop next l)))))

(define (append! a b)
  (if (null? a) b (begin (set-cdr! (last-pair a) b) a)))

;; Merges two sorted lists by relinking their pairs.
(define (merge! a b)
  (let ((head (cons 'head '())))
    (let loop ((tail head) (a a) (b b))
      (cond ((null? a) (set-cdr! tail b))
            ((null? b) (set-cdr! tail a))
            ((< (car b) (car a)) (set-cdr! tail b) (loop b a (cdr b)))
            (else (set-cdr! tail a) (loop a (cdr a) b))))
    (cdr head)))

;; Sorts by splitting in place (no new pairs) and merging.
(define (sort! l)
  (if (or (null? l) (null? (cdr l)))
      l
      (let* ((middle (list-tail l (- (quotient (length l) 2) 1)))
             (second (cdr middle)))
        (set-cdr! middle '())
        (merge! (sort! l) (sort! second)))))

(define (sum l) (fold + 0 l))

(define (sorted? l)
  (or (null? l) (null? (cdr l))
      (and (<= (car l) (cadr l)) (sorted? (cdr l)))))

;; Overwrites every car with its square, in place, then back.
(define (square-in-place! l)
  (let loop ((p l))
    (unless (null? p) (set-car! p (* (car p) (car p))) (loop (cdr p)))))
(define (root-in-place! l)
  (let loop ((p l))
    (unless (null? p) (set-car! p (exact (sqrt (car p)))) (loop (cdr p)))))

;; Unlinks adjacent duplicates of a sorted list, in place.
(define (dedupe! l)
  (let loop ((p l))
    (cond ((or (null? p) (null? (cdr p))) l)
          ((= (car p) (cadr p)) (set-cdr! p (cddr p)) (loop p))
          (else (loop (cdr p))))))

(define (take l k)
  (if (= k 0) '() (cons (car l) (take (cdr l) (- k 1)))))

;; Each round mixes 100 more numbers in, sorts, squares and roots every
;; element in place, and removes the duplicates: 0..n-1 again.
(define (round-trip rounds l)
  (if (= rounds 0)
      l
      (let ((l (sort! (reverse! (append! (scrambled 100) (sort! l))))))
        (square-in-place! l)
        (root-in-place! l)
        (round-trip (- rounds 1) (dedupe! l)))))

(define result (round-trip 10 (scrambled n)))
(display "length: ") (display (length result)) (newline)
(display "sorted: ") (display (sorted? result)) (newline)
(display "sum: ") (display (sum result)) (newline)
(display "first: ") (display (take result 5)) (newline)
(display "last: ") (display (car (last-pair result))) (newline)
