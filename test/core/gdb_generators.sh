#!/bin/sh
# gdb_generators.sh PROGRAM EXTENSION - gdb's `info cg-generators`
# (tools/gdb/libcg-gdb.py) on crashing-program (crashing_program.cpp), which
# dies by abort() holding labeled generators in two threads:
#   1. live, stopped at the SIGABRT (and writes a core there with gcore);
#   2. on that core file;
#   3. auto-loaded: the extension found as <dir>/<real path of libcg>-gdb.py
#      in an auto-load directory, with no `source`.
# Each time: the nine labels with their states, two threads, the suspended
# ones waiting in shallow_body / deep_level_three, "9 generators in 2 threads".
# Skipped (77) without gdb, in a cross build (CG_RUNNER: the program runs
# under qemu, gdb cannot run it), or where gdb may not trace a process.
set -u

program=${1:?usage: gdb_generators.sh PROGRAM EXTENSION}
extension=${2:?usage: gdb_generators.sh PROGRAM EXTENSION}

if [ -n "${CG_RUNNER:-}" ]; then
    echo "SKIP: a cross build (CG_RUNNER=$CG_RUNNER): gdb cannot run the program"
    exit 77
fi
if ! command -v gdb >/dev/null 2>&1; then
    echo "SKIP: no gdb"
    exit 77
fi
if ! gdb -batch -nx -ex 'python print("python-ok")' 2>/dev/null | grep -q python-ok; then
    echo "SKIP: this gdb has no Python"
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cg-gdb-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

# A bound on each gdb, under Meson's own timeout.
limit=
if command -v timeout >/dev/null 2>&1; then
    limit="timeout 100"
fi

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# check WHAT OUTPUT: the table in OUTPUT (a file) is the one expected.
check() {
    what=$1
    out=$2
    before=$failures
    if grep -q 'Traceback' "$out"; then
        fail "$what: a Python traceback"
    fi
    for spec in \
        'main/shallow|suspended|shallow_body' \
        'main/deep|suspended|deep_level_three' \
        'main/not-started|not-started|-' \
        'main/finished|finished|-' \
        'main/running|running|-' \
        'worker/shallow|suspended|shallow_body' \
        'worker/deep|suspended|deep_level_three' \
        'worker/not-started|not-started|-' \
        'worker/finished|finished|-'; do
        label=${spec%%|*}
        rest=${spec#*|}
        state=${rest%%|*}
        waits=${rest#*|}
        if [ "$waits" = - ]; then
            tail='-  +-'
        else
            # The slice's bytes, then the function (maybe in a namespace).
            tail="[0-9]+  (.*::)?$waits"
        fi
        # id  thread  label  state  kind  slice  waits in
        line="^0x[0-9a-f]+ +[0-9]+  $label +$state +C\\+\\+ +$tail\$"
        found=$(grep -E -c "$line" "$out")
        if [ "$found" -ne 1 ]; then
            fail "$what: $label: expected one line '$state ... ${waits}', found $found"
            grep -F -e "$label" "$out" | sed 's/^/    /'
        else
            echo "ok: $what: $label is $state$([ "$waits" = - ] || echo ", waits in $waits")"
        fi
    done
    # Each thread's generators share one thread number; the two differ.
    main_threads=$(grep -E '^0x[0-9a-f]+ +[0-9]+  main/' "$out" | awk '{print $2}' | sort -u)
    worker_threads=$(grep -E '^0x[0-9a-f]+ +[0-9]+  worker/' "$out" | awk '{print $2}' | sort -u)
    if [ "$(echo "$main_threads" | wc -w)" -ne 1 ] || [ "$(echo "$worker_threads" | wc -w)" -ne 1 ]; then
        fail "$what: the generators of a thread have different thread numbers (main: $main_threads; worker: $worker_threads)"
    elif [ "$main_threads" = "$worker_threads" ]; then
        fail "$what: main and worker have the same thread number $main_threads"
    else
        echo "ok: $what: main's generators in cg thread $main_threads, worker's in $worker_threads"
    fi
    if grep -q -x '9 generators in 2 threads' "$out"; then
        echo "ok: $what: 9 generators in 2 threads"
    else
        fail "$what: no line '9 generators in 2 threads'"
    fi
    if [ "$failures" -ne "$before" ]; then
        echo "--- gdb's output ($what):"
        cat "$out"
        echo "---"
    fi
}

# 1. Live, stopped by the abort() in main/running; gcore writes the core.
$limit gdb -batch -nx -iex 'set auto-load safe-path /' \
    -ex "source $extension" -ex run -ex 'info cg-generators' -ex "gcore $work/core" \
    --args "$program" abort >"$work/live.txt" 2>&1 </dev/null
if ! grep -q SIGABRT "$work/live.txt"; then
    if grep -q -i -e 'ptrace' -e 'not permitted' "$work/live.txt"; then
        echo "SKIP: gdb may not run the program here:"
        cat "$work/live.txt"
        exit 77
    fi
    echo "FAIL: the program did not stop at SIGABRT under gdb:"
    cat "$work/live.txt"
    exit 1
fi
check live "$work/live.txt"

# 2. The core file gcore wrote.
if [ ! -s "$work/core" ]; then
    echo "FAIL: gcore wrote no core file:"
    cat "$work/live.txt"
    exit 1
fi
$limit gdb -batch -nx -ex "source $extension" -ex 'info cg-generators' \
    "$program" "$work/core" >"$work/core.txt" 2>&1 </dev/null
check core "$work/core.txt"

# 3. Auto-loading: gdb looks for <auto-load dir>/<real path of an objfile>-gdb.py.
# The objfile is the libcg.so the program loads (or the program itself when
# it is linked with libcg.a).
library=$(ldd "$program" 2>/dev/null | awk '$1 ~ /^libcg\.so/ && $3 ~ /^\// {print $3; exit}')
if [ -z "$library" ]; then
    library=$program
    echo "note: $program does not load libcg.so (a static link?): auto-loading for the program itself"
fi
real=$(realpath "$library")
mkdir -p "$work/auto-load$(dirname "$real")"
cp "$extension" "$work/auto-load$real-gdb.py"
$limit gdb -batch -nx -iex "add-auto-load-scripts-directory $work/auto-load" -iex 'set auto-load safe-path /' \
    -ex 'info cg-generators' -ex 'info auto-load python-scripts' \
    "$program" "$work/core" >"$work/auto.txt" 2>&1 </dev/null
if grep -q -F "$work/auto-load$real-gdb.py" "$work/auto.txt"; then
    echo "ok: auto-load: gdb loaded $work/auto-load$real-gdb.py"
else
    fail "auto-load: gdb did not load $work/auto-load$real-gdb.py"
fi
check auto-load "$work/auto.txt"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
exit 0
