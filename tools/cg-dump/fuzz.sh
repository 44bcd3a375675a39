#!/bin/sh
# fuzz.sh [SECONDS] [BUILD_DIR] - fuzzes cg-dump's reader and output modes
# with libFuzzer (clang, with AddressSanitizer and UndefinedBehaviorSanitizer)
# for SECONDS (default 60), starting from real snapshots that BUILD_DIR's
# write-seeds makes (default: build) and from what earlier runs found
# (BUILD_DIR/cg-dump-fuzz/corpus). Exit status: 0 nothing found, 1 a crash,
# a leak or a timeout (the input is in BUILD_DIR/cg-dump-fuzz/crashes), 77
# skipped: no clang++ or no libFuzzer runtime (Debian: clang libclang-rt-14-dev).
set -eu
seconds=${1:-60}
build=$(cd "${2:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

# clang names its libFuzzer runtime after the CPU, as uname -m does:
# libclang_rt.fuzzer-x86_64.a, libclang_rt.fuzzer-aarch64.a.
if ! command -v clang++ >/dev/null 2>&1 ||
   [ ! -f "$(clang++ -print-file-name="libclang_rt.fuzzer-$(uname -m).a")" ]; then
    echo "fuzz: skipped: needs clang++ and its libFuzzer runtime (Debian: clang libclang-rt-14-dev)"
    exit 77
fi

work=$build/cg-dump-fuzz
mkdir -p "$work/corpus" "$work/seeds" "$work/crashes"
# The same sources as Meson's cg-dump-core (tools/cg-dump/meson.build),
# without the file reading the fuzzer does not need.
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$here/../../src" \
    "$here/fuzz_reader.cpp" "$here/snapshot_reader.cpp" "$here/describe.cpp" "$here/escaping.cpp" \
    "$here/hex_dump.cpp" "$here/json.cpp" "$here/stats.cpp" "$here/summary.cpp" "$here/table.cpp" \
    -o "$work/fuzz-reader"
"$build/tools/cg-dump/test/write-seeds" "$work/seeds"

status=0
"$work/fuzz-reader" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/crashes/" -print_final_stats=1 "$work/corpus" "$work/seeds" \
    >"$work/log" 2>&1 || status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
coverage=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1)
if [ "$status" -ne 0 ]; then
    tail -n 40 "$work/log"
    echo "fuzz: FAILED after ${runs:-?} executions: see $work/crashes and $work/log"
    exit 1
fi
echo "fuzz: ${runs:-?} executions in $seconds s, $coverage, corpus of $(ls "$work/corpus" | wc -l) inputs, nothing found"
