#!/bin/sh
# processes.sh N CG_BENCH [CG_BENCH...] - the minimal round trip over N
# separate processes of each cg-bench given (alternating, so that a noisy
# minute falls on all of them), pinned to CPU ${CPU:-1}: per binary, the
# median, the fastest and the slowest process of cg, of Boost.Context, and
# of their ratio (in each process, cg over Boost measured in that process).
# A single process says little here: where its stack and heap land moves cg
# by up to 2x (README.md, "Performance").
set -eu
n=$1
shift
cpu=${CPU:-1}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
i=0
while [ "$i" -lt "$n" ]; do
    for bench in "$@"; do
        # Older cg-benches have no --only: they run everything, quickly.
        csv=$(taskset -c "$cpu" "$bench" --quick --csv --only roundtrip 2>/dev/null ||
              taskset -c "$cpu" "$bench" --quick --csv)
        cg=$(echo "$csv" | awk -F, '$1 == "roundtrip" && $2 == "cg" {print $4}')
        boost=$(echo "$csv" | awk -F, '$1 == "roundtrip" && $2 == "boost_fiber" {print $4}')
        echo "$bench $cg $boost" >>"$out"
    done
    i=$((i + 1))
done
for bench in "$@"; do
    python3 - "$bench" "$out" <<'PYTHON'
import statistics, sys
bench, path = sys.argv[1], sys.argv[2]
rows = [line.split() for line in open(path) if line.split()[0] == bench]
cg = [float(r[1]) for r in rows]
boost = [float(r[2]) for r in rows]
ratio = [c / b for c, b in zip(cg, boost)]
def show(name, values, unit):
    print(f"  {name:<14} median {statistics.median(values):6.2f}{unit}  fastest {min(values):6.2f}{unit}  slowest {max(values):6.2f}{unit}")
print(f"{bench}: {len(rows)} processes")
show("cg", cg, " ns")
show("Boost.Context", boost, " ns")
show("cg / Boost", ratio, "x ")
print(f"  per process (cg / Boost): {' '.join(f'{r:.2f}' for r in ratio)}")
PYTHON
done
