;;; Hash tables at scale: N keys of three kinds (fixnums, pairs, strings),
;;; each inserted into a table, looked up, updated, and half of them deleted,
;;; with collections in between that move the keys; then a weak-key table
;;; over the same keys, whose entries go with their keys. Each lookup costs
;;; O(1) expected: buckets are indexed by the keys' hashes (the collector's
;;; identity hash for pairs and strings, which survives their moves). Two
;;; rounds, each with fresh keys and tables.
;;; Usage: lisp hashtables.scm [N]

(define args (command-line))
(define n
  (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 6000))

(define (make-key i)
  (case (modulo i 3)
    ((0) (* i 7919))
    ((1) (list i))
    (else (number->string i))))

(define (sum-lookups t keys)
  (let loop ((i 0) (sum 0))
    (if (= i n)
        sum
        (loop (+ i 1) (+ sum (hash-table-ref/default t (vector-ref keys i) 0))))))

(define (count-if p)
  (let loop ((i 0) (c 0))
    (if (= i n) c (loop (+ i 1) (if (p i) (+ c 1) c)))))

(define (round! r)
  (let ((keys (make-vector n #f))
        (t (make-hash-table)))
    (do ((i 0 (+ i 1))) ((= i n))
      (vector-set! keys i (make-key i)))
    (do ((i 0 (+ i 1))) ((= i n))
      (hash-table-set! t (vector-ref keys i) (+ i r)))
    (display "round ") (display r) (newline)
    (display "  entries: ") (display (hash-table-count t)) (newline)
    (display "  sum of values: ") (display (sum-lookups t keys)) (newline)
    (gc)
    (do ((i 0 (+ i 1))) ((= i n))
      (hash-table-update!/default t (vector-ref keys i) (lambda (v) (* 2 v)) 0))
    (display "  sum after doubling, a collection later: ")
    (display (sum-lookups t keys)) (newline)
    (do ((i 0 (+ i 2))) ((>= i n))
      (hash-table-delete! t (vector-ref keys i)))
    (gc)
    (display "  entries after deleting half: ") (display (hash-table-count t)) (newline)
    (display "  sum: ") (display (sum-lookups t keys)) (newline)
    (display "  found by an equal but new pair or string: ")
    (display (count-if (lambda (i)
                         (and (odd? i)
                              (> (modulo i 3) 0)
                              (hash-table-contains? t (make-key i))))))
    (newline)
    (let ((w (make-weak-key-hash-table)))
      (do ((i 0 (+ i 1))) ((= i n))
        (hash-table-set! w (vector-ref keys i) i))
      (do ((i 1 (+ i 3))) ((>= i n))
        (vector-set! keys i #f))
      (gc)
      (display "  weak-key entries after dropping the pairs: ")
      (display (hash-table-count w)) (newline)
      (display "  weak-key lookups right: ")
      (display (count-if (lambda (i)
                           (let ((k (vector-ref keys i)))
                             (or (not k) (eqv? (hash-table-ref/default w k #f) i))))))
      (newline))))

(round! 0)
(round! 1)
