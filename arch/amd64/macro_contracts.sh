#!/bin/sh
# macro_contracts.sh CC SOURCE_ROOT - the register contracts of switch.S's
# macros are checked when assembling: each misuse below must stop the
# assembler with the macro's message, and a proper use must assemble.
set -u
cc=$1
root=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0

# assemble NAME LINE: switch.S with LINE added to a function of its own.
assemble() {
    sed "s/^        \.text\$/        .text\n        .cfi_startproc\n        $2\n        .cfi_endproc/" \
        "$root/arch/amd64/switch.S" >"$scratch/$1.S"
    "$cc" -c -I"$root/src" -I"$root/arch/amd64" "$scratch/$1.S" -o "$scratch/$1.o" 2>"$scratch/$1.log"
}

refused() { # NAME LINE MESSAGE
    if assemble "$1" "$2"; then
        echo "FAIL: '$2' assembled"
        failures=$((failures + 1))
    elif ! grep -q "$3" "$scratch/$1.log"; then
        echo "FAIL: '$2' failed without saying '$3':"
        cat "$scratch/$1.log"
        failures=$((failures + 1))
    else
        echo "ok: '$2' refused: $3"
    fi
}

refused copy_from 'COPY_SMALL_SLICE %r8, %rdx, %rcx' 'the source is in a register it clobbers'
refused copy_to 'COPY_SMALL_SLICE %rdx, %r11, %rcx' 'the destination is in a register it clobbers'
refused copy_size 'COPY_SMALL_SLICE %rdx, %rdi, %r9' 'the size is in a register it clobbers'
refused load 'LOAD_GENERATOR %r13' 'LOAD_GENERATOR: ctl is loaded over'
refused return_rax 'RETURN_TO_RESUMER %rax' 'rax and rdx hold the result'
refused return_rdx 'RETURN_TO_RESUMER %rdx' 'rax and rdx hold the result'
if assemble proper 'COPY_SMALL_SLICE %rdx, %rdi, %rcx'; then
    echo "ok: a proper use assembles"
else
    echo "FAIL: a proper use did not assemble:"
    cat "$scratch/proper.log"
    failures=$((failures + 1))
fi
exit $((failures > 0))
