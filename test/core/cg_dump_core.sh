#!/bin/sh
# cg_dump_core.sh CG_DUMP PROGRAM: cg-dump --core on the core of PROGRAM
# (crashing_program.cpp) dying by abort() with labeled generators in two
# threads, and on a core gcore wrote of it alive; then bad input: each must
# be refused with a message naming what is wrong, and exit status 1.
# Skipped (77) in a cross build (CG_RUNNER set: qemu-user, not the kernel,
# handles an emulated program's fatal signal and core), and without gdb
# when the system's core pattern writes no file.
set -u
cg_dump=$1 program=$2
[ -z "${CG_RUNNER:-}" ] || { echo "a program run by $CG_RUNNER: not under qemu, skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAILED: $*"; failed=1; }

# The core of a program that dies by abort(): written by the kernel where
# the core pattern names a plain file, else by gcore in gdb stopped at the
# SIGABRT (systemd-coredump and apport take the kernel's elsewhere).
mkdir "$work/abort"
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo '|')
if [ "${pattern#|}" = "$pattern" ] && [ "${pattern#/}" = "$pattern" ]; then
    (cd "$work/abort" && ulimit -c unlimited && exec "$program" abort) >/dev/null 2>&1
    core=$(ls "$work"/abort/core* 2>/dev/null | head -n 1)
    how="written by the kernel"
fi
if [ -z "${core:-}" ]; then
    command -v gdb >/dev/null 2>&1 || { echo "no core file written (core pattern $pattern) and no gdb: skipped"; exit 77; }
    gdb -batch -nx -ex run -ex "gcore $work/abort/core" --args "$program" abort >"$work/gdb.log" 2>&1
    core=$work/abort/core
    [ -s "$core" ] || { cat "$work/gdb.log"; echo "no core of the aborting program: skipped"; exit 77; }
    how="written by gcore at the SIGABRT"
fi
echo "the core of abort(): $how"

# A core gcore wrote of the program alive, waiting inside main/running.
gcore_of_live_program() {
    "$program" wait >"$work/ready" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q ready "$work/ready" && break; sleep 0.1; done
    gcore -o "$work/live" "$pid" >/dev/null 2>&1
    kill -9 "$pid"; wait "$pid" 2>/dev/null
    echo "$work/live.$pid"
}

check_core() { # what core-file
    what=$1 file=$2
    out=$("$cg_dump" --core "$file" 2>&1) || { fail "$what: cg-dump --core exit status $?: $out"; return; }
    echo "$out" | head -n 20
    echo "$out" | grep -q "^core of pid" || fail "$what: no header line"
    echo "$out" | grep -q "^9 generators in 2 threads" || fail "$what: not 9 generators in 2 threads"
    echo "$out" | grep ' main/running ' | grep -q 'running .*runs on LWP [0-9]*: its frames are on the stack below 0x' ||
        fail "$what: main/running is not shown running on a thread"
    for thread in main worker; do
        for label in shallow deep not-started finished; do
            echo "$out" | grep -q " $thread/$label " || fail "$what: $thread/$label missing"
        done
        echo "$out" | grep " $thread/shallow " | grep -q "suspended .*shallow_body" || fail "$what: $thread/shallow not waiting in shallow_body"
        echo "$out" | grep " $thread/deep " | grep -q "suspended .*deep_level_three" || fail "$what: $thread/deep not waiting in deep_level_three"
        echo "$out" | grep " $thread/not-started " | grep -q "not-started" || fail "$what: $thread/not-started state"
        echo "$out" | grep " $thread/finished " | grep -q "finished" || fail "$what: $thread/finished state"
    done
    [ "$(echo "$out" | grep ' main/' | awk '{print $2}' | sort -u | wc -l)" -eq 1 ] &&
        [ "$(echo "$out" | grep ' worker/' | awk '{print $2}' | sort -u | wc -l)" -eq 1 ] &&
        [ "$(echo "$out" | grep -E ' (main|worker)/' | awk '{print $2}' | sort -u | wc -l)" -eq 2 ] ||
        fail "$what: the generators of each thread do not share one thread number"

    # --backtrace: the deep ones through the program's three frames.
    bt=$("$cg_dump" --backtrace --core "$file" 2>&1) || fail "$what: --backtrace exit status $?"
    echo "$bt" | awk '
        / worker\/deep / { on = 1; step = 0; next }
        /^0x/ { on = 0 }
        on && /deep_level_three/ && step == 0 { step = 1 }
        on && /deep_level_two/ && step == 1 { step = 2 }
        on && /deep_level_one/ && step == 2 { found = 1 }
        END { exit found ? 0 : 1 }' || fail "$what: worker/deep's backtrace lacks deep_level_three, two, one"
    # --stats, --json, --hex of one generator.
    "$cg_dump" --stats --core "$file" >/dev/null 2>&1 || fail "$what: --stats"
    "$cg_dump" --json --core "$file" | python3 -c 'import json, sys
j = json.load(sys.stdin)
assert j["source"] == "core", j["source"]
labels = {g["label"]: g for s in j["sections"] for g in s["generators"]}
assert len(labels) == 9, sorted(labels)
assert labels["main/deep"]["details"] and labels["main/deep"]["slice_size"] > 0
assert not labels["main/running"]["details"]' || fail "$what: --json"
    id=$(echo "$out" | grep ' main/deep ' | awk '{print $1}')
    "$cg_dump" --hex "$id" --core "$file" | grep -q "$id" || fail "$what: --hex $id"
}

check_core "abort()" "$core"
if command -v gcore >/dev/null 2>&1; then
    check_core "gcore of a live process" "$(gcore_of_live_program)"
else
    echo "no gcore: the live process's core not checked"
fi

# Bad input: a message naming what is wrong, exit status 1, never a crash
# (a core of another CPU: tools/cg-dump/test/core_reader_test.cpp).
refuse() { # what expected-message args...
    what=$1 expected=$2
    shift 2
    out=$("$cg_dump" "$@" 2>&1)
    status=$?
    [ $status -eq 1 ] || fail "$what: exit status $status, not 1: $out"
    echo "$out" | grep -q "$expected" || fail "$what: no \"$expected\" in: $out"
    echo "refused, $what: $out"
}
size=$(wc -c <"$core")
for cut in 10 64 1000 $((size / 2)); do
    head -c "$cut" "$core" >"$work/cut"
    refuse "core cut at $cut bytes" "past the end\|truncated" --core "$work/cut"
done
refuse "not a core" "not a core file" --core "$program"
refuse "no such file" "$work/absent" --core "$work/absent"
refuse "another executable" "does not match" --core "$core" "$(command -v sh)"
mkdir "$work/plain"
(cd "$work/plain" && ulimit -c unlimited && exec sh -c 'kill -ABRT $$') >/dev/null 2>&1
plain=$(ls "$work"/plain/core* 2>/dev/null | head -n 1)
if [ -n "$plain" ]; then
    refuse "a program without cg" "no cg_debug_descriptor" --core "$plain"
fi

[ $failed -eq 0 ] || exit 1
echo "cg-dump --core: every generator with its label, state and backtrace; bad input refused"
