;;; A string builder: numbers to strings, strings joined, reversed in place
;;; with string-set!, searched, and converted to and from lists and symbols.
;;; Usage: lisp strings.scm [ROUNDS]

(define rounds
  (let ((args (command-line)))
    (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 20)))

;; "0,1,2,...,n-1", built from a list of pieces joined at once.
(define (joined n)
  (let loop ((i (- n 1)) (pieces '()))
    (if (< i 0)
        (apply string-append (cdr pieces))
        (loop (- i 1) (cons "," (cons (number->string i) pieces))))))

;; The same string grown one piece at a time: quadratic copying, on purpose.
(define (grown n)
  (let loop ((i 1) (s "0"))
    (if (= i n) s (loop (+ i 1) (string-append s "," (number->string i))))))

(define (string-reverse! s)
  (let loop ((i 0) (j (- (string-length s) 1)))
    (when (< i j)
      (let ((c (string-ref s i)))
        (string-set! s i (string-ref s j))
        (string-set! s j c))
      (loop (+ i 1) (- j 1))))
  s)

(define (count-char c s)
  (let loop ((i 0) (k 0))
    (if (= i (string-length s))
        k
        (loop (+ i 1) (if (char=? c (string-ref s i)) (+ k 1) k)))))

(define (check round)
  (let* ((a (joined 1000))
         (b (grown 1000))
         (r (string-reverse! (string-copy a))))
    (and (string=? a b)
         (= (string-length a) 3889)
         (= (count-char #\7 a) 300)
         (= (count-char #\, a) 999)
         (string=? (substring r 0 3) "999")
         (char=? (string-ref r 3) #\,)
         (string=? (list->string (reverse (string->list r))) a)
         (eq? (string->symbol (string-append "round-" (number->string round)))
              (string->symbol (string-append "round-" (number->string round)))))))

(define (run i ok)
  (if (= i rounds) ok (run (+ i 1) (and ok (check i)))))

(display "all rounds agree: ") (display (run 0 #t)) (newline)
(define s (joined 1000))
(display "length: ") (display (string-length s)) (newline)
(display "sevens: ") (display (count-char #\7 s)) (newline)
(display "head: ") (write (substring s 0 20)) (newline)
(display "tail: ") (write (substring s (- (string-length s) 15) (string-length s))) (newline)
(display "upcased symbol: ") (write (string->symbol (string-upcase "gc-heap"))) (newline)
(display "chars: ") (write (string->list "a b")) (newline)
