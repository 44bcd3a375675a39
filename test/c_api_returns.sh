#!/bin/sh
# c_api_returns.sh OBJDUMP LIBRARY - in an optimized build, the C API's
# switches end without a `ret` into the other side (README.md,
# "Performance"): cg_invoke and cg_resume end with a tail call to the
# trampoline's cg_arch_return_value (cg_arch_return_status, the same code),
# and cg_yield's common case with one to cg_arch_suspend_receiving; and the
# end of every generator's entry, finish_entry, with one to cg_arch_finish.
# If the compiler stops making these tail calls, everything still works,
# only slower: this test is what notices.
set -eu
objdump=$1 library=$2

# function NAME: its disassembly.
function_code() {
    "$objdump" -d --no-show-raw-insn "$library" | awk -v name="<$1>:" '$2 == name {on = 1; next} on && /^$/ {exit} on'
}

failed=0
# expect FUNCTION TARGET...: FUNCTION branches (jmp, or b on aarch64) to one of the TARGETs.
expect() {
    function=$1
    shift
    code=$(function_code "$function")
    if [ -z "$code" ]; then
        echo "FAIL: no function $function in $library"
        failed=1
        return
    fi
    for target in "$@"; do
        if printf '%s\n' "$code" | grep -Eq "[[:space:]](jmp|b)[[:space:]]+[0-9a-f]+ <$target>"; then
            echo "ok: $function tail-calls $target"
            return
        fi
    done
    echo "FAIL: $function does not tail-call $*:"
    printf '%s\n' "$code"
    failed=1
}

expect cg_invoke cg_arch_return_value cg_arch_return_status
expect cg_resume cg_arch_return_value cg_arch_return_status
expect cg_yield cg_arch_suspend_receiving
expect _ZN2cg6detail12finish_entryEv cg_arch_finish
exit $failed
