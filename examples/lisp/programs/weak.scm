;;; Weak references from Scheme. A weak-key hash table attaches properties
;;; to objects without keeping them alive; a guardian hands back the
;;; resources a program dropped without closing them, so they can be closed;
;;; and the symbol table forgets the symbols nothing uses any more. Every
;;; round makes objects, resources and symbols, and keeps one of each.
;;; Usage: lisp weak.scm [ROUNDS]

(define args (command-line))
(define rounds
  (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 50))

;; Properties of objects, which die with them.
(define properties (make-weak-key-hash-table))
(define (set-property! obj value) (hash-table-set! properties obj value))
(define (property obj) (hash-table-ref/default properties obj #f))

;; A resource must be closed; one dropped open is closed when the guardian
;; hands it back.
(define-record-type resource
  (make-resource name open?)
  resource?
  (name resource-name)
  (open? resource-open? set-resource-open!))
(define guardian (make-guardian))
(define (open-resource name)
  (let ((r (make-resource name #t)))
    (guardian r)
    r))
(define returned 0)
(define closed-by-guardian 0)
(define (close-dropped!)
  (let ((r (guardian)))
    (when r
      (set! returned (+ returned 1))
      (when (resource-open? r)
        (set-resource-open! r #f)
        (set! closed-by-guardian (+ closed-by-guardian 1)))
      (close-dropped!))))

(define (name . parts)
  (apply string-append (map (lambda (p) (if (number? p) (number->string p) p)) parts)))

(define kept-objects '())
(define kept-resources '())

;; 100 objects with a property each, whose value names a fresh symbol (one
;; kept); 10 resources (one kept, one closed by the program itself).
(define (round! k)
  (do ((i 0 (+ i 1))) ((= i 100))
    (let ((obj (vector k i (make-string 400 #\x))))
      (set-property! obj (list 'made-in-round k (string->symbol (name "tag-" k "-" i))))
      (when (= i 0) (set! kept-objects (cons obj kept-objects)))))
  (do ((i 0 (+ i 1))) ((= i 10))
    (let ((r (open-resource (name "file-" k "-" i))))
      (cond ((= i 0) (set! kept-resources (cons r kept-resources)))
            ((= i 1) (set-resource-open! r #f)))))
  (close-dropped!))

(define symbols-before (interned-symbol-count))
(do ((k 0 (+ k 1))) ((= k rounds)) (round! k))
(gc)
(close-dropped!)

(display "objects with a property: ") (display (hash-table-count properties)) (newline)
(display "property of the first object kept: ")
(write (property (car (reverse kept-objects)))) (newline)
(display "resources handed back: ") (display returned) (newline)
(display "closed by the guardian: ") (display closed-by-guardian) (newline)
(display "resources kept, all open: ")
(display (length (filter resource-open? kept-resources))) (newline)
(display "symbols made and still used: ")
(display (- (interned-symbol-count) symbols-before)) (newline)
