#!/bin/sh
# check.sh SOURCE_ROOT [TRIPLET RUNNER] - cg as its users get it, natively
# or, given a cross file's triplet (cross/TRIPLET.ini) and the command that
# runs its programs here, cross-built (TRIPLET-gcc, TRIPLET-pkg-config):
#  1. installed into a scratch prefix, found with pkg-config: the original
#     cg's style of C program (examples/fib.c) compiles unchanged with
#     gcc -std=c99 -Wall -Werror and runs; so does a C++ user; the installed
#     cg-dump reads a snapshot a C program wrote;
#  2. as a Meson subproject of another project.
set -eu
source_root=$(cd "$1" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
quiet() { "$@" >"$scratch/log" 2>&1 || { cat "$scratch/log"; exit 1; }; }

cross= cc=gcc cxx=g++ pkg_config=pkg-config run=
if [ $# -ge 3 ]; then
    cross="--cross-file=$source_root/cross/$2.ini" cc=$2-gcc cxx=$2-g++ pkg_config=$2-pkg-config run=$3
fi

quiet meson setup "$scratch/build" "$source_root" $cross --prefix="$scratch/prefix" --libdir=lib \
    -Dtests=disabled -Dexamples=disabled -Dbench=disabled
quiet meson install -C "$scratch/build"
export PKG_CONFIG_PATH="$scratch/prefix/lib/pkgconfig"
export LD_LIBRARY_PATH="$scratch/prefix/lib"

$cc -std=c99 -Wall -Werror "$source_root/examples/fib.c" $($pkg_config --cflags --libs cg) -o "$scratch/fib"
$run "$scratch/fib" | diff -u "$source_root/examples/fib.expected" -
$cxx -std=c++20 -Wall -Werror "$source_root/examples/tree_walker.cpp" $($pkg_config --cflags --libs cg) -o "$scratch/walker"
$run "$scratch/walker" | grep -q "balanced and chain have the same fringe: yes"
cat >"$scratch/labeled.c" <<'C'
#include <cg.h>
static uintptr_t counter(uintptr_t limit, uintptr_t unused)
{
    uintptr_t i;
    (void)unused;
    for (i = 0; i < limit; i++)
        cg_yield(0, i);
    return limit;
}
int main(int argc, char **argv)
{
    cg_t *co = cg_create((void *)counter, 3, 0);
    int status;
    (void)argc;
    cg_invoke(co, 0);
    cg_set_label(co, "installed counter");
    status = cg_snapshot(argv[1]);
    cg_destroy(co);
    return status;
}
C
$cc -std=c99 -Wall -Werror "$scratch/labeled.c" $($pkg_config --cflags --libs cg) -o "$scratch/labeled"
$run "$scratch/labeled" "$scratch/labeled.cgsnap"
$run "$scratch/prefix/bin/cg-dump" "$scratch/labeled.cgsnap" | grep "installed counter" | grep -q "suspended.*counter"
echo "installed: pkg-config users build and run; cg-dump reads their snapshots"

mkdir -p "$scratch/consumer/subprojects"
ln -s "$source_root" "$scratch/consumer/subprojects/cg"
cp "$source_root/examples/tree_walker.cpp" "$scratch/consumer/"
cat >"$scratch/consumer/meson.build" <<'MESON'
project('consumer', 'cpp', default_options: ['cpp_std=c++20'])
cg = dependency('cg', fallback: 'cg', default_options: ['tests=disabled', 'examples=disabled', 'bench=disabled'])
executable('walker', 'tree_walker.cpp', dependencies: cg)
MESON
quiet meson setup "$scratch/consumer/build" "$scratch/consumer" $cross
quiet meson compile -C "$scratch/consumer/build"
$run "$scratch/consumer/build/walker" | grep -q "balanced and chain have the same fringe: yes"
echo "subproject: builds and runs"
