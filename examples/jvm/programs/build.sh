#!/usr/bin/env bash
# Rebuilds the Java test programs of the jvm example.
#
#   build.sh [--expected] [program...]
#
# For every program directory (or only the ones named) the classes/ directory
# is wiped and recompiled with `javac --release 17`. With --expected the
# program is then run on HotSpot, the oracle, and expected.out is rewritten
# (plus expected.err and expected.status for the programs that have an
# expected.status, i.e. the ones that end with an uncaught exception).
# Needs JDK 17 (javac and java on PATH; newer JDKs print some doubles
# differently); usable from any directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

expected=0
names=()
for arg in "$@"; do
    case "$arg" in
        --expected) expected=1 ;;
        -h|--help)
            sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
            exit 0 ;;
        -*) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
        *) names+=("${arg%/}") ;;
    esac
done
if [ ${#names[@]} -eq 0 ]; then
    for d in */; do
        [ -f "$d/Main.java" ] && names+=("${d%/}")
    done
fi

# Keep HotSpot's locale-dependent formatting (e.g. %,d) and encoding stable.
export LC_ALL=C.UTF-8
unset JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS

echo "javac: $(javac -version 2>&1)"
for name in "${names[@]}"; do
    dir="$here/$name"
    if [ ! -f "$dir/Main.java" ]; then
        echo "build.sh: $name: no Main.java" >&2
        exit 1
    fi
    rm -rf "$dir/classes"
    mkdir "$dir/classes"
    (cd "$dir" && javac --release 17 -d classes *.java)
    nclasses=$(find "$dir/classes" -name '*.class' | wc -l)
    echo "$name: compiled $nclasses class file(s)"

    if [ "$expected" -eq 1 ]; then
        args=()
        if [ -f "$dir/args" ]; then
            read -r -a args < "$dir/args" || true
        fi
        set +e
        (cd "$dir" && java -Xss8m -cp classes Main "${args[@]+"${args[@]}"}") > "$dir/expected.out" 2> "$dir/.stderr"
        status=$?
        set -e
        if [ -f "$dir/expected.status" ]; then
            echo "$status" > "$dir/expected.status"
            mv "$dir/.stderr" "$dir/expected.err"
            echo "$name: expected.out $(wc -l < "$dir/expected.out") line(s), expected.err $(wc -l < "$dir/expected.err") line(s), status $status"
        else
            if [ "$status" -ne 0 ] || [ -s "$dir/.stderr" ]; then
                echo "build.sh: $name exited with status $status; stderr:" >&2
                cat "$dir/.stderr" >&2
                rm -f "$dir/.stderr"
                exit 1
            fi
            rm -f "$dir/.stderr"
            echo "$name: expected.out $(wc -l < "$dir/expected.out") line(s)"
        fi
    fi
done
