#!/bin/sh
# macro_contracts.sh CC SOURCE_ROOT CPU - the register contracts of
# arch/CPU/switch.S's macros are checked when assembling: each misuse in
# arch/CPU/macro_misuses (lines "NAME|LINE|MESSAGE") must stop the assembler
# with the macro's message, and its proper use (the line "proper|LINE|")
# must assemble.
set -u
cc=$1
root=$2
cpu=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0

# assemble NAME LINE: switch.S with LINE added to a function of its own.
assemble() {
    sed "s/^        \.text\$/        .text\n        .cfi_startproc\n        $2\n        .cfi_endproc/" \
        "$root/arch/$cpu/switch.S" >"$scratch/$1.S"
    "$cc" -c -I"$root/src" -I"$root/arch" -I"$root/arch/$cpu" "$scratch/$1.S" -o "$scratch/$1.o" 2>"$scratch/$1.log"
}

while IFS='|' read -r name line message; do
    case $name in '' | '#'*) continue ;; esac
    if [ "$name" = proper ]; then
        if assemble proper "$line"; then
            echo "ok: '$line' assembles"
        else
            echo "FAIL: '$line' did not assemble:"
            cat "$scratch/proper.log"
            failures=$((failures + 1))
        fi
    elif assemble "$name" "$line"; then
        echo "FAIL: '$line' assembled"
        failures=$((failures + 1))
    elif ! grep -q "$message" "$scratch/$name.log"; then
        echo "FAIL: '$line' failed without saying '$message':"
        cat "$scratch/$name.log"
        failures=$((failures + 1))
    else
        echo "ok: '$line' refused: $message"
    fi
done <"$root/arch/$cpu/macro_misuses"
exit $((failures > 0))
