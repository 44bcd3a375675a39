#!/bin/sh
# check.sh SOURCE_ROOT - cg as its users get it:
#  1. installed into a scratch prefix, found with pkg-config: the original
#     cg's style of C program (examples/fib.c) compiles unchanged with
#     gcc -std=c99 -Wall -Werror and runs; so does a C++ user;
#  2. as a Meson subproject of another project.
set -eu
source_root=$(cd "$1" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
quiet() { "$@" >"$scratch/log" 2>&1 || { cat "$scratch/log"; exit 1; }; }

quiet meson setup "$scratch/build" "$source_root" --prefix="$scratch/prefix" --libdir=lib \
    -Dtests=disabled -Dexamples=false -Dbench=disabled
quiet meson install -C "$scratch/build"
export PKG_CONFIG_PATH="$scratch/prefix/lib/pkgconfig"
export LD_LIBRARY_PATH="$scratch/prefix/lib"

gcc -std=c99 -Wall -Werror "$source_root/examples/fib.c" $(pkg-config --cflags --libs cg) -o "$scratch/fib"
"$scratch/fib" | diff -u "$source_root/examples/fib.expected" -
g++ -std=c++20 -Wall -Werror "$source_root/examples/tree_walker.cpp" $(pkg-config --cflags --libs cg) -o "$scratch/walker"
"$scratch/walker" | grep -q "balanced and chain have the same fringe: yes"
echo "installed: pkg-config users build and run"

mkdir -p "$scratch/consumer/subprojects"
ln -s "$source_root" "$scratch/consumer/subprojects/cg"
cp "$source_root/examples/tree_walker.cpp" "$scratch/consumer/"
cat >"$scratch/consumer/meson.build" <<'MESON'
project('consumer', 'cpp', default_options: ['cpp_std=c++20'])
cg = dependency('cg', fallback: 'cg', default_options: ['tests=disabled', 'examples=false', 'bench=disabled'])
executable('walker', 'tree_walker.cpp', dependencies: cg)
MESON
quiet meson setup "$scratch/consumer/build" "$scratch/consumer"
quiet meson compile -C "$scratch/consumer/build"
"$scratch/consumer/build/walker" | grep -q "balanced and chain have the same fringe: yes"
echo "subproject: builds and runs"
