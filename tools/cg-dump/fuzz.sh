#!/bin/sh
# fuzz.sh [SECONDS] [BUILD_DIR] - fuzzes cg-dump's readers with libFuzzer
# (clang, with AddressSanitizer and UndefinedBehaviorSanitizer) for SECONDS
# in all (default 60), half each for two targets: the snapshot reader and
# the output modes (fuzz_reader.cpp), starting from real snapshots that
# BUILD_DIR's write-seeds makes (default: build); and the core and ELF file
# readers (fuzz_core.cpp), starting from the cores and libraries that
# write-core-seeds makes and a small program clang++ links. Each also starts
# from what earlier runs found (BUILD_DIR/cg-dump-fuzz/corpus, core-corpus).
# Exit status: 0 nothing found, 1 a crash, a leak or a timeout (the input is
# in BUILD_DIR/cg-dump-fuzz/crashes), 77 skipped: no clang++ or no libFuzzer
# runtime (Debian: clang libclang-rt-14-dev).
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
mkdir -p "$work/corpus" "$work/seeds" "$work/core-corpus" "$work/core-seeds" "$work/crashes"
flags="-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# Each target of the sources of Meson's cg-dump-core it needs
# (tools/cg-dump/meson.build), without the file reading the fuzzer does not
# need.
clang++ $flags -I"$here/../../src" \
    "$here/fuzz_reader.cpp" "$here/snapshot_reader.cpp" "$here/describe.cpp" "$here/escaping.cpp" \
    "$here/hex_dump.cpp" "$here/json.cpp" "$here/stats.cpp" "$here/summary.cpp" "$here/table.cpp" \
    -o "$work/fuzz-reader"
# The second walks its input as memory for generators too (core_snapshot.cpp,
# without libunwind: there is no code to unwind), for this CPU's layout.
case $(uname -m) in x86_64) cpu=amd64 ;; *) cpu=$(uname -m) ;; esac
clang++ $flags -DCG_DUMP_HAVE_LIBUNWIND=0 -I"$here/../../src" -I"$here/../../include" -I"$here/../../arch" \
    -I"$here/../../arch/$cpu" \
    "$here/fuzz_core.cpp" "$here/elf_core.cpp" "$here/elf_file.cpp" "$here/elf_object.cpp" \
    "$here/core_snapshot.cpp" "$here/core_backtrace.cpp" "$here/process_image.cpp" "$here/mapped_file.cpp" \
    "$here/snapshot_reader.cpp" "$here/describe.cpp" "$here/escaping.cpp" "$here/hex_dump.cpp" "$here/json.cpp" \
    "$here/stats.cpp" "$here/summary.cpp" "$here/table.cpp" \
    -o "$work/fuzz-core"
"$build/tools/cg-dump/test/write-seeds" "$work/seeds"
"$build/tools/cg-dump/test/write-core-seeds" "$work/core-seeds"
printf 'int main() { return 0; }\n' | clang++ -x c++ - -o "$work/core-seeds/small-program"

# The time in two halves (each at least a second: 0 would be no limit).
core_seconds=$((seconds / 2))
[ "$core_seconds" -ge 1 ] || core_seconds=1
reader_seconds=$((seconds - core_seconds))
[ "$reader_seconds" -ge 1 ] || reader_seconds=1

# fuzz TARGET SECONDS CORPUS SEEDS LOG CRASH_PREFIX WHAT: runs $work/TARGET,
# says how it went.
failed=0
fuzz() {
    status=0
    "$work/$1" -max_total_time="$2" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$6" -print_final_stats=1 "$3" "$4" >"$5" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$5")
    coverage=$(grep -o 'cov: [0-9]*' "$5" | tail -1)
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$5"
        echo "fuzz: FAILED after ${runs:-?} executions ($7): see $work/crashes and $5"
        failed=1
        return
    fi
    echo "fuzz: ${runs:-?} executions in $2 s, $coverage, corpus of $(ls "$3" | wc -l) inputs, nothing found ($7)"
}
fuzz fuzz-reader "$reader_seconds" "$work/corpus" "$work/seeds" "$work/log" "$work/crashes/" "snapshots"
fuzz fuzz-core "$core_seconds" "$work/core-corpus" "$work/core-seeds" "$work/core-log" "$work/crashes/core-" \
    "cores and ELF files"
exit "$failed"
