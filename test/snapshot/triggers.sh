#!/bin/sh
# triggers.sh PROGRAM DIR: snapshots asked for from outside the program, by
# signal (CG_SNAPSHOT_SIGNAL, acted on at a safe point) and at exit
# (CG_SNAPSHOT_AT_EXIT), must hold its three labeled suspended generators.
set -u
program=$1
dir=$2
mkdir -p "$dir"
failed=0

check() { # check WHAT FILE
    if [ ! -s "$2" ]; then
        echo "$1: no snapshot written"
        failed=1
        return
    fi
    for id in 0 1 2; do
        if ! grep -qa "connection $id" "$2"; then
            echo "$1: connection $id missing from $2"
            failed=1
        fi
    done
    grep -qa waiting_for_input "$2" || { echo "$1: no backtrace in $2"; failed=1; }
    echo "$1: snapshot written, three generators in it"
}

rm -f "$dir/signal.cgsnap" "$dir/exit.cgsnap"
CG_SNAPSHOT_SIGNAL=SIGUSR2 CG_SNAPSHOT_PATH="$dir/signal.cgsnap" "$program" signal || failed=1
check "by signal" "$dir/signal.cgsnap"
CG_SNAPSHOT_AT_EXIT="$dir/exit.cgsnap" "$program" exit || failed=1
check "at exit" "$dir/exit.cgsnap"
exit $failed
