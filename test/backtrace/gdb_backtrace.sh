#!/bin/sh
# gdb_backtrace.sh PROGRAM: gdb's `bt` at a breakpoint inside a generator
# driven by another generator must pass through both trampolines to main.
# Skipped (77) without gdb, and in a cross build (CG_RUNNER set).
command -v gdb >/dev/null 2>&1 || { echo "gdb not installed: skipped"; exit 77; }
[ -z "${CG_RUNNER:-}" ] || { echo "a program run by $CG_RUNNER: gdb does not debug it here, skipped"; exit 77; }
# At both stops (the first run of the generators, then a later one), the
# frames, innermost first, must include these in this order.
out=$(gdb -batch -nx -ex "break probe_point" -ex run -ex bt -ex continue -ex bt "$1" 2>&1)
echo "$out" | grep '^#'
echo "$out" | grep '^#' | awk '
    /probe_point/ && step == 0 { step = 1 }
    / inner_body/ && step == 1 { step = 2 }
    / outer_body/ && step == 2 { step = 3 }
    / resumer_of_outer/ && step == 3 { step = 4 }
    / main / && step == 4 { step = 0; ++passed }
    END { if (passed != 2) { print "gdb bt: FAILED (" passed " of 2 stops)"; exit 1 }
          print "gdb bt: passes through both trampolines to main, in the first and a later run" }'
