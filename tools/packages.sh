# packages.sh - the Debian packages cg needs, and a function that installs
# those missing. Sourced by tools/demo and tools/test-all.

# Build and tests. libunwind-dev: backtraces of suspended generators (the
# library loads libunwind at run time; without the headers it builds with
# empty backtraces).
CG_PACKAGES="g++ meson ninja-build pkg-config catch2 libunwind-dev"
# What tools/test-all uses beyond that: valgrind (the memcheck run), gdb (the
# bt test, skipped without it), clang and its libFuzzer runtime (cg-dump's
# fuzzer), cmake (the install check builds a CMake project against cg).
CG_TEST_PACKAGES="valgrind gdb clang libclang-rt-14-dev cmake"
# The aarch64 build and its tests under qemu (cross/aarch64-linux-gnu.ini):
# the cross compiler, qemu-user, and through multiarch the arm64 runtime
# qemu runs the tests with, libunwind for backtraces and the cross
# pkg-config (Catch2 is header-only: the amd64 package serves).
CG_AARCH64_PACKAGES="g++-aarch64-linux-gnu qemu-user libc6:arm64 libstdc++6:arm64 libunwind-dev:arm64 pkg-config:arm64"
# Benchmarks: cg-bench (Boost.Context) and bench/plot.sh (gnuplot).
CG_BENCH_PACKAGES="libboost-context-dev gnuplot-nox"

# install_missing PACKAGE...: installs (as root, with apt-get) the packages
# that are not installed yet; does nothing if all are. A PACKAGE:arm64
# makes arm64 a foreign architecture of dpkg first.
install_missing() {
    local missing=()
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$package")
        fi
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing: ${missing[*]}"
        if [ "$(id -u)" -ne 0 ]; then
            echo "error: run as root to install packages, or install them yourself: ${missing[*]}" >&2
            exit 1
        fi
        for package in "${missing[@]}"; do
            case $package in
            *:arm64) dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64 ;;
            esac
        done
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}
