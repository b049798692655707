;;; GCBench, after Hans Boehm's Java original (John Ellis and Pete Kovac):
;;; builds complete binary trees top-down and bottom-up while a long-lived
;;; tree and a long-lived array of flonums stay live. Nodes are records.
;;; Usage: lisp gcbench.scm [MAX-DEPTH]   (the original is 16)

(define max-depth
  (let ((args (command-line)))
    (if (and (pair? args) (pair? (cdr args))) (string->number (cadr args)) 12)))

(define stretch-depth (+ max-depth 2))
(define long-lived-depth max-depth)
(define min-depth 4)
(define array-size (max 2000 (* 8 (expt 2 max-depth))))

(define-record-type node
  (make-node left right i j)
  node?
  (left node-left set-node-left!)
  (right node-right set-node-right!)
  (i node-i)
  (j node-j))

(define (make-empty) (make-node #f #f 0 0))

;; Nodes in a complete tree of depth i.
(define (tree-size i) (- (expt 2 (+ i 1)) 1))

(define (iterations i) (quotient (* 2 (tree-size stretch-depth)) (tree-size i)))

;; Builds the tree top down: the parent exists before its children.
(define (populate! depth node)
  (when (> depth 0)
    (set-node-left! node (make-empty))
    (set-node-right! node (make-empty))
    (populate! (- depth 1) (node-left node))
    (populate! (- depth 1) (node-right node))))

;; Builds the tree bottom up: the children exist before their parent.
(define (make-tree depth)
  (if (<= depth 0)
      (make-empty)
      (make-node (make-tree (- depth 1)) (make-tree (- depth 1)) 0 0)))

(define (count node)
  (if (node-left node) (+ 1 (count (node-left node)) (count (node-right node))) 1))

(define (time-construction depth)
  (let ((n (iterations depth)))
    (display "Creating ") (display n) (display " trees of depth ") (display depth) (newline)
    (let loop ((i 0) (nodes 0))
      (if (< i n)
          (let ((top-down (make-empty)))
            (populate! depth top-down)
            (loop (+ i 1) (+ nodes (count top-down) (count (make-tree depth)))))
          (begin
            (display "  top down and bottom up: ") (display nodes) (display " nodes")
            (newline))))))

(display "Garbage Collector Test") (newline)
(display " Stretching memory with a binary tree of depth ") (display stretch-depth) (newline)
(display " stretch tree nodes: ") (display (count (make-tree stretch-depth))) (newline)
(display " Creating a long-lived binary tree of depth ") (display long-lived-depth) (newline)
(define long-lived (make-empty))
(populate! long-lived-depth long-lived)
(display " Creating a long-lived array of ") (display array-size) (display " doubles") (newline)
(define array (make-vector array-size 0.0))
(do ((i 1 (+ i 1))) ((= i (quotient array-size 2)))
  (vector-set! array i (/ 1.0 i)))
(do ((depth min-depth (+ depth 2))) ((> depth max-depth))
  (time-construction depth))
(display "long-lived tree nodes: ") (display (count long-lived)) (newline)
(display "array[1000] = ") (display (vector-ref array 1000)) (newline)
