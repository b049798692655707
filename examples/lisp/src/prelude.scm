;;; The library procedures written in Scheme: the higher-order ones, which
;;; call back into Scheme code, and a few conveniences. Compiled at start-up.

(define (map f l . ls)
  (define (map1 f l)
    (let loop ((l l) (acc '()))
      (if (pair? l) (loop (cdr l) (cons (f (car l)) acc)) (reverse acc))))
  (define (all-pairs? ls)
    (or (null? ls) (and (pair? (car ls)) (all-pairs? (cdr ls)))))
  (if (null? ls)
      (map1 f l)
      (let loop ((ls (cons l ls)) (acc '()))
        (if (all-pairs? ls)
            (loop (map1 cdr ls) (cons (apply f (map1 car ls)) acc))
            (reverse acc)))))

(define (for-each f l . ls)
  (if (null? ls)
      (let loop ((l l))
        (when (pair? l) (f (car l)) (loop (cdr l))))
      (let loop ((ls (cons l ls)))
        (when (let all ((ls ls)) (or (null? ls) (and (pair? (car ls)) (all (cdr ls)))))
          (apply f (map car ls))
          (loop (map cdr ls))))))

(define (filter keep? l)
  (let loop ((l l) (acc '()))
    (cond ((null? l) (reverse acc))
          ((keep? (car l)) (loop (cdr l) (cons (car l) acc)))
          (else (loop (cdr l) acc)))))

(define (remove drop? l) (filter (lambda (x) (not (drop? x))) l))

(define (delete x l . same?)
  (let ((same? (if (pair? same?) (car same?) equal?)))
    (filter (lambda (y) (not (same? x y))) l)))

(define (fold kons knil l)
  (if (null? l) knil (fold kons (kons (car l) knil) (cdr l))))

(define (fold-left f acc l)
  (if (null? l) acc (fold-left f (f acc (car l)) (cdr l))))

(define (fold-right f acc l)
  (let loop ((l (reverse l)) (acc acc))
    (if (null? l) acc (loop (cdr l) (f (car l) acc)))))

(define (reduce f ridentity l)
  (if (null? l) ridentity (fold f (car l) (cdr l))))

(define (append-map f l) (apply append (map f l)))

(define (filter-map f l)
  (filter (lambda (x) x) (map f l)))

(define (any pred l)
  (and (pair? l) (or (pred (car l)) (any pred (cdr l)))))

(define (every pred l)
  (or (null? l) (and (pred (car l)) (every pred (cdr l)))))

(define (find pred l)
  (cond ((null? l) #f) ((pred (car l)) (car l)) (else (find pred (cdr l)))))

(define (list-index pred l)
  (let loop ((l l) (i 0))
    (cond ((null? l) #f) ((pred (car l)) i) (else (loop (cdr l) (+ i 1))))))

(define (member x l . same?)
  (if (null? same?)
      (%member x l)
      (let loop ((l l))
        (cond ((null? l) #f) (((car same?) x (car l)) l) (else (loop (cdr l)))))))

(define (assoc x l . same?)
  (if (null? same?)
      (%assoc x l)
      (let loop ((l l))
        (cond ((null? l) #f) (((car same?) x (caar l)) (car l)) (else (loop (cdr l)))))))

(define (list-set! l k x) (set-car! (list-tail l k) x))

(define (iota n . start+step)
  (let ((start (if (pair? start+step) (car start+step) 0))
        (step (if (and (pair? start+step) (pair? (cdr start+step))) (cadr start+step) 1)))
    (let loop ((i (- n 1)) (acc '()))
      (if (< i 0) acc (loop (- i 1) (cons (+ start (* i step)) acc))))))

(define (vector-map f v . vs)
  (list->vector (apply map f (vector->list v) (map vector->list vs))))

(define (vector-for-each f v . vs)
  (apply for-each f (vector->list v) (map vector->list vs)))

(define (string-map f s . ss)
  (list->string (apply map f (string->list s) (map string->list ss))))

(define (string-for-each f s . ss)
  (apply for-each f (string->list s) (map string->list ss)))

(define (list-sort less? l)
  (define (merge a b)
    (cond ((null? a) b)
          ((null? b) a)
          ((less? (car b) (car a)) (cons (car b) (merge a (cdr b))))
          (else (cons (car a) (merge (cdr a) b)))))
  (define (sort l n)
    (if (< n 2)
        (if (= n 0) '() (list (car l)))
        (let ((half (quotient n 2)))
          (merge (sort l half) (sort (list-tail l half) (- n half))))))
  (sort l (length l)))

(define (sort seq less?)
  (if (vector? seq)
      (list->vector (list-sort less? (vector->list seq)))
      (list-sort less? seq)))

(define (boolean=? a b . more)
  (and (eq? a b) (or (null? more) (apply boolean=? b more))))

(define (dynamic-wind before thunk after)
  (before)
  (%set-winders! (cons (cons before after) (%winders)))
  (let ((result (thunk)))
    (%set-winders! (cdr (%winders)))
    (after)
    result))

;; Makes `target` the dynamic-winds in force: runs the after thunks of those
;; being left, innermost first, then the before thunks of those being
;; entered, outermost first. Continuations and guards call it when they
;; cross dynamic-winds.
(define (%wind-to target)
  (define (common a b)
    (let ((la (length a)) (lb (length b)))
      (let loop ((a (if (> la lb) (list-tail a (- la lb)) a))
                 (b (if (> lb la) (list-tail b (- lb la)) b)))
        (if (eq? a b) a (loop (cdr a) (cdr b))))))
  (let ((base (common (%winders) target)))
    (let leave ()
      (unless (eq? (%winders) base)
        (let ((w (%winders)))
          (%set-winders! (cdr w))
          ((cdar w))
          (leave))))
    (let enter ((path (let collect ((w target) (acc '()))
                        (if (eq? w base) acc (collect (cdr w) (cons w acc))))))
      (unless (null? path)
        ((caar (car path)))
        (%set-winders! (car path))
        (enter (cdr path))))))

(define (%continue k v)
  (%wind-to (%continuation-winders k))
  (%resume k v))

(define (%unwind-to target obj)
  (%wind-to target)
  obj)

(define (make-parameter value . convert)
  (let ((value (if (pair? convert) ((car convert) value) value)))
    (lambda args (if (null? args) value (set! value (car args))))))

(define (values . xs) (if (and (pair? xs) (null? (cdr xs))) (car xs) (cons '%values xs)))

(define (call-with-values producer consumer)
  (let ((v (producer)))
    (if (and (pair? v) (eq? (car v) '%values)) (apply consumer (cdr v)) (consumer v))))

;; A promise holds a box, (done? . value-or-thunk), which forcing a
;; `delay-force` chain shares between the promises along it, so that the
;; chain runs in constant space (R7RS 7.3's reference implementation).
(define-record-type promise (%promise box) promise? (box %promise-box %set-promise-box!))

(define (%make-promise done? x) (%promise (cons done? x)))

(define (make-promise x) (if (promise? x) x (%make-promise #t x)))

(define (force p)
  (if (promise? p)
      (let ((box (%promise-box p)))
        (if (car box)
            (cdr box)
            (let* ((next ((cdr box))) (box (%promise-box p)))
              (unless (car box)
                (let ((next-box (%promise-box next)))
                  (set-car! box (car next-box))
                  (set-cdr! box (cdr next-box))
                  (%set-promise-box! next box)))
              (force p))))
      p))

(define (call-with-port port proc)
  (let ((result (proc port)))
    (close-port port)
    result))

(define (call-with-input-file name proc) (call-with-port (open-input-file name) proc))

(define (call-with-output-file name proc) (call-with-port (open-output-file name) proc))

;; Runs `thunk` with `port` as the current port that `current` returns and
;; `set-current!` sets, then closes it; a continuation that leaves or
;; re-enters `thunk` switches the current port back and forth.
(define (%with-port port current set-current! thunk)
  (let* ((outer #f)
         (result (dynamic-wind
                  (lambda () (set! outer (current)) (set-current! port))
                  thunk
                  (lambda () (set-current! outer)))))
    (close-port port)
    result))

(define (with-input-from-file name thunk)
  (%with-port (open-input-file name) current-input-port %set-current-input-port! thunk))

(define (with-output-to-file name thunk)
  (%with-port (open-output-file name) current-output-port %set-current-output-port! thunk))

;; What R7RS's libraries have that the interpreter's kinds of numbers make
;; trivial: every number is real and every exact number an integer.
(define (exact-integer-sqrt n)
  (unless (and (exact-integer? n) (>= n 0))
    (error "exact-integer-sqrt: expected a non-negative exact integer:" n))
  (if (< n 2)
      (values n 0)
      ;; Newton's method from above the root converges down onto its floor.
      (let loop ((x (let ((r (sqrt (inexact n))))
                      (if (finite? r) (+ (exact (floor (* r 1.0000001))) 1) n))))
        (let ((y (quotient (+ x (quotient n x)) 2)))
          (if (>= y x) (values x (- n (* x x))) (loop y))))))

(define (floor/ n d) (values (floor-quotient n d) (floor-remainder n d)))

(define (truncate/ n d) (values (truncate-quotient n d) (truncate-remainder n d)))

(define (numerator x)
  (if (integer? x) x (error "numerator: there are no rationals:" x)))

(define (denominator x)
  (cond ((exact-integer? x) 1)
        ((integer? x) 1.0)
        (else (error "denominator: there are no rationals:" x))))

(define (real-part x) (if (number? x) x (error "real-part: expected a number:" x)))

(define (imag-part x) (if (number? x) 0 (error "imag-part: expected a number:" x)))

(define (magnitude x) (abs x))

(define (angle x) (if (negative? x) (atan 0 -1) 0))

(define (make-rectangular re im)
  (if (and (exact? im) (zero? im)) re (error "make-rectangular: there are no complex numbers:" im)))

(define (make-polar m a)
  (if (and (exact? a) (zero? a)) m (error "make-polar: there are no complex numbers:" a)))

(define (string->vector s . range) (list->vector (apply string->list s range)))

(define (vector->string v . range) (list->string (apply vector->list v range)))

(define (string-copy! to at from . range)
  (let ((chars (apply string->list from range)))
    (unless (<= (+ at (length chars)) (string-length to))
      (error "string-copy!: the destination is too short:" to))
    (let loop ((i at) (chars chars))
      (unless (null? chars)
        (string-set! to i (car chars))
        (loop (+ i 1) (cdr chars))))))

(define (vector-copy! to at from . range)
  (let ((items (apply vector->list from range)))
    (unless (<= (+ at (length items)) (vector-length to))
      (error "vector-copy!: the destination is too short:" to))
    (let loop ((i at) (items items))
      (unless (null? items)
        (vector-set! to i (car items))
        (loop (+ i 1) (cdr items))))))

(define (features) '(r7rs movegc))

;; Run-time errors carry no kind, only a message naming the procedure.
(define (%error-from? e prefixes)
  (and (error-object? e)
       (let ((m (error-object-message e)))
         (any (lambda (p)
                (and (<= (string-length p) (string-length m))
                     (string=? p (substring m 0 (string-length p)))))
              prefixes))))

(define (file-error? e)
  (%error-from? e '("open-input-file:" "open-output-file:" "delete-file:")))

(define (read-error? e) (%error-from? e '("read:")))

;;; Hash tables (src/builtins/weak.rs holds the tables themselves).

(define (hash-table-ref table key . fail)
  (let ((entry (%hash-table-entry table key)))
    (cond (entry (cdr entry))
          ((pair? fail) ((car fail)))
          (else (error "hash-table-ref: no such key" key)))))

(define (hash-table-ref/default table key default)
  (let ((entry (%hash-table-entry table key)))
    (if entry (cdr entry) default)))

(define (hash-table-contains? table key)
  (if (%hash-table-entry table key) #t #f))

(define (hash-table-update!/default table key f default)
  (hash-table-set! table key (f (hash-table-ref/default table key default))))

(define (hash-table-keys table) (map car (hash-table->alist table)))

(define (hash-table-values table) (map cdr (hash-table->alist table)))

;;; Guardians: (g obj) registers obj; (g) returns one that became
;;; unreachable, or #f.
(define (make-guardian)
  (let ((g (%make-guardian)))
    (case-lambda
      (() (%guardian-next g))
      ((obj) (%guardian-register! g obj)))))
