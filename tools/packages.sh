# packages.sh - the Debian packages cg needs, and a function that installs
# those missing. Sourced by tools/demo and tools/test-all.

# Build and tests. valgrind: the memcheck run of tools/test-all.
CG_PACKAGES="g++ meson ninja-build pkg-config catch2 valgrind"
# Benchmarks: cg-bench (Boost.Context) and bench/plot.sh (gnuplot).
CG_BENCH_PACKAGES="libboost-context-dev gnuplot-nox"

# install_missing PACKAGE...: installs (as root, with apt-get) the packages
# that are not installed yet; does nothing if all are.
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
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}
