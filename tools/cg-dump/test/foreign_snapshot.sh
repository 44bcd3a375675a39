#!/bin/sh
# foreign_snapshot.sh CG_DUMP SNAPSHOT - cg-dump reads a snapshot written on
# another CPU: SNAPSHOT is data/aarch64-trigger-program.cgsnap, written under
# qemu by the aarch64 build's test/snapshot/trigger-program, as
#   CG_SNAPSHOT_AT_EXIT=FILE qemu-aarch64 build-aarch64/test/snapshot/trigger-program exit
# Its three labeled generators, their backtraces (stored in the file) and
# the aarch64 register set must come out on any host.
set -u
cg_dump=$1
snapshot=$2
failed=0
expect() { # expect WHAT PATTERN OUTPUT
    if printf '%s\n' "$3" | grep -q -- "$2"; then
        echo "ok: $1"
    else
        echo "FAIL: $1: no '$2' in:"
        printf '%s\n' "$3"
        failed=1
    fi
}
summary=$("$cg_dump" "$snapshot") || { echo "FAIL: cg-dump refused the snapshot"; exit 1; }
expect "the CPU" "^arch        aarch64$" "$summary"
for id in 0 1 2; do
    expect "connection $id" "connection $id  suspended .*waiting_for_input" "$summary"
done
backtrace=$("$cg_dump" --backtrace "$snapshot") || failed=1
expect "the backtrace to the entry" "#1 .*cg::detail::entry<" "$backtrace"
id=$(printf '%s\n' "$summary" | awk '/connection 0/ { print $1 }')
hex=$("$cg_dump" --hex "$id" "$snapshot") || failed=1
for register in x19 x28 x29 d8 d15 fpcr; do
    expect "register $register" "^  $register " "$hex"
done
expect "x30, where it continues" "^  x30 .*code address waiting_for_input+0x" "$hex"
exit $failed
