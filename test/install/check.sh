#!/bin/sh
# check.sh SOURCE_ROOT [TRIPLET RUNNER] - cg as its users get it, natively
# or, given a cross file's triplet (cross/TRIPLET.ini) and the command that
# runs its programs here, cross-built (TRIPLET-gcc, TRIPLET-pkg-config):
#  1. installed into a scratch prefix (with a Debian libdir, lib/<multiarch>),
#     found with pkg-config: the original
#     cg's style of C program (examples/fib.c) compiles unchanged with
#     gcc -std=c99 -Wall -Werror and runs; so does a C++ user; the installed
#     cg-dump reads a snapshot a C program wrote;
#     the Python package loads the libcg installed with it;
#  2. found by CMake (find_package(cg CONFIG), target cg::cg) from the same
#     prefix: a C and a C++ program build and run, a C-only project
#     builds, a version cg is not compatible with is refused, and the
#     installed tree, moved elsewhere whole, is found there;
#  3. as a Meson subproject of another project.
set -eu
source_root=$(cd "$1" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
quiet() { "$@" >"$scratch/log" 2>&1 || { cat "$scratch/log"; exit 1; }; }

cross= cc=gcc cxx=g++ pkg_config=pkg-config run=
if [ $# -ge 3 ]; then
    cross="--cross-file=$source_root/cross/$2.ini" cc=$2-gcc cxx=$2-g++ pkg_config=$2-pkg-config run=$3
fi

# The libdir a Debian package would have (lib/x86_64-linux-gnu): the CMake
# files find the prefix from four levels below it.
libdir=lib/$($cc -print-multiarch)
quiet meson setup "$scratch/build" "$source_root" $cross --prefix="$scratch/prefix" --libdir="$libdir" \
    -Dtests=disabled -Dexamples=disabled -Dbench=disabled
quiet meson install -C "$scratch/build"
export PKG_CONFIG_PATH="$scratch/prefix/$libdir/pkgconfig"
export LD_LIBRARY_PATH="$scratch/prefix/$libdir"

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

# gdb's extension, installed where gdb auto-loads it for the real libcg
# file (the prefix's data directory added to gdb's own, as README.md says):
# natively, with gdb, `info cg-generators` in the labeled program.
library=$(realpath "$scratch/prefix/$libdir/libcg.so.0")
auto_load=$scratch/prefix/share/gdb/auto-load
[ -f "$auto_load$library-gdb.py" ] || { echo "no gdb extension at $auto_load$library-gdb.py"; exit 1; }
if [ -z "$cross" ] && command -v gdb >/dev/null; then
    gdb -batch -nx -iex "add-auto-load-scripts-directory $auto_load" -iex "add-auto-load-safe-path $auto_load" \
        -ex "break cg_destroy" -ex run -ex "info cg-generators" --args "$scratch/labeled" "$scratch/gdb.cgsnap" \
        >"$scratch/gdb.out" 2>&1
    grep "installed counter" "$scratch/gdb.out" | grep -q "suspended" ||
        { cat "$scratch/gdb.out"; echo "gdb did not auto-load the installed extension"; exit 1; }
    echo "gdb: the installed extension auto-loads for the installed libcg"
fi

# The Python package, natively: it loads the libcg installed with it.
if [ -z "$cross" ] && command -v python3 >/dev/null; then
    package=$(find "$scratch/prefix" -path '*/cg/__init__.py')
    [ -n "$package" ] || { echo "the Python package was not installed"; exit 1; }
    loaded=$(cd / && env -u CG_LIBRARY PYTHONPATH="$(dirname "$(dirname "$package")")" \
        python3 -c 'import cg; print(cg.library._name)')
    [ "$loaded" = "$scratch/prefix/$libdir/libcg.so.0" ] || { echo "the installed package loaded '$loaded'"; exit 1; }
    echo "python: the installed package loads the libcg installed with it"
fi

# cmake_project NAME LANGUAGES FIND_PACKAGE_ARGUMENTS: a CMake project in
# $scratch/NAME; cmake_configure NAME [PREFIX]: configured against the
# prefix (or PREFIX), cross-compiling if cross.
cmake_project() {
    mkdir -p "$scratch/$1"
    cat >"$scratch/$1/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project($1 LANGUAGES $2)
find_package(cg $3 CONFIG REQUIRED)
CMAKE
    cp "$source_root/examples/fib.c" "$source_root/examples/tree_walker.cpp" "$scratch/$1/"
}
cmake_configure() {
    local toolchain=
    [ -z "$cross" ] || toolchain="-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=${cc%%-*}"
    cmake -S "$scratch/$1" -B "$scratch/$1/build" -DCMAKE_PREFIX_PATH="${2:-$scratch/prefix}" \
        -DCMAKE_C_COMPILER=$cc -DCMAKE_CXX_COMPILER=$cxx $toolchain
}
cmake_project cmake-users "C CXX" "0.1"
cat >>"$scratch/cmake-users/CMakeLists.txt" <<'CMAKE'
add_executable(fib fib.c)
target_compile_options(fib PRIVATE -Wall -Werror)
target_link_libraries(fib PRIVATE cg::cg)
add_executable(walker tree_walker.cpp) # C++20 comes with cg::cg
target_link_libraries(walker PRIVATE cg::cg)
CMAKE
quiet cmake_configure cmake-users
quiet cmake --build "$scratch/cmake-users/build"
$run "$scratch/cmake-users/build/fib" | diff -u "$source_root/examples/fib.expected" -
$run "$scratch/cmake-users/build/walker" | grep -q "balanced and chain have the same fringe: yes"
cmake_project cmake-c-only C ""
cat >>"$scratch/cmake-c-only/CMakeLists.txt" <<'CMAKE'
add_executable(fib fib.c)
target_link_libraries(fib PRIVATE cg::cg)
CMAKE
quiet cmake_configure cmake-c-only
quiet cmake --build "$scratch/cmake-c-only/build"
$run "$scratch/cmake-c-only/build/fib" | diff -u "$source_root/examples/fib.expected" -
cmake_project cmake-too-new C "0.2"
if cmake_configure cmake-too-new >"$scratch/log" 2>&1 || ! grep -q "0.1.0" "$scratch/log"; then
    cat "$scratch/log"
    echo "find_package(cg 0.2) was not refused, naming the version installed"
    exit 1
fi
# The installed tree moved whole: found where it is now.
mv "$scratch/prefix" "$scratch/moved"
cmake_project cmake-moved C "0.1"
cat >>"$scratch/cmake-moved/CMakeLists.txt" <<'CMAKE'
add_executable(fib fib.c)
target_link_libraries(fib PRIVATE cg::cg)
CMAKE
quiet cmake_configure cmake-moved "$scratch/moved"
quiet cmake --build "$scratch/cmake-moved/build"
LD_LIBRARY_PATH= $run "$scratch/cmake-moved/build/fib" | diff -u "$source_root/examples/fib.expected" -
echo "cmake: find_package(cg 0.1) builds and runs a C and a C++ user, C-only too, and from the tree moved;" \
    "cg 0.2 is refused"

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
