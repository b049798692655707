#!/usr/bin/env bash
# Runs the program suite at benchmark sizes in each GC mode, checks that
# every mode prints the same output, and prints one line per run: wall
# time, collections, and pauses (total, median, max).
#
#   examples/lisp/bench.sh [MODE...]     (default: stw move copy)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p lisp
lisp=${CARGO_TARGET_DIR:-target}/release/lisp
modes=("${@:-stw}")
[ $# -eq 0 ] && modes=(stw move copy)
runs=(
    "tak 20" "fib 30" "nqueens 10" "deriv 200000" "destructive 30011" "strings 200"
    "vsort 100003" "closures 1000" "gcbench 16" "binary-trees 16" "churn 2000 100000"
    "bignums 3000" "hashtables 200000"
)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-13s %-5s %8s %6s %11s %9s %9s\n' program mode wall-s cycles pause-total p50-ms max-ms
for mode in "${modes[@]}"; do
    total=0
    for run in "${runs[@]}"; do
        set -- $run
        name=$1
        shift
        start=$(date +%s.%N)
        "$lisp" --gc-mode "$mode" --gc-stats "examples/lisp/programs/$name.scm" "$@" \
            >"$out/$name.$mode" 2>"$out/$name.$mode.stats"
        wall=$(echo "$(date +%s.%N) - $start" | bc)
        total=$(echo "$total + $wall" | bc)
        if [ -f "$out/$name.first" ]; then
            cmp -s "$out/$name.first" "$out/$name.$mode" || echo "MISMATCH: $name in $mode"
        else
            cp "$out/$name.$mode" "$out/$name.first"
        fi
        awk -v name="$name" -v mode="$mode" -v wall="$wall" '
            /collections in/ { cycles = $2 }
            /pauses total/ { total = $4; p50 = $(NF-7); max = $(NF-1); sub(",", "", p50) }
            END { printf "%-13s %-5s %8.2f %6d %8s ms %9s %9s\n", name, mode, wall, cycles, total ? total : 0, p50 ? p50 : "-", max ? max : "-" }
        ' "$out/$name.$mode.stats"
    done
    printf '%-13s %-5s %8.2f\n' "suite" "$mode" "$total"
done
