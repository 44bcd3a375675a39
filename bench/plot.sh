#!/usr/bin/env bash
# plot.sh - turns cg-bench's CSV into a plot and a table of the round trip
# against the slice size, for cg, boost_fiber and memcpy_floor.
#
#     bench/plot.sh RESULTS.csv [PLOT.png]
#
# Writes the plot (gnuplot, Debian's gnuplot-nox; default: RESULTS.png
# beside the CSV) and prints the table in Markdown: per size, each system's
# ns per round trip, cg minus the floor, and that as a ratio to Boost.
set -euo pipefail
if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: bench/plot.sh RESULTS.csv [PLOT.png]" >&2
    exit 2
fi
csv=$1
png=${2:-${csv%.csv}.png}
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT

# One file per system: "size ns" lines, ordered by size.
for system in cg boost_fiber memcpy_floor; do
    awk -F, -v name="$system" '$1 == "roundtrip_size" && $2 == name { print $3, $4 }' "$csv" |
        sort -n >"$data/$system"
    if [ ! -s "$data/$system" ]; then
        echo "plot.sh: no roundtrip_size rows for $system in $csv" >&2
        exit 1
    fi
done

gnuplot <<GNUPLOT
set terminal pngcairo size 900,560 font ",11" noenhanced
set output "$png"
set title "Round trip (next() and its yield) against the bytes a generator keeps live"
set xlabel "live local across the yield (bytes)"
set ylabel "ns per round trip"
set logscale x 2
set logscale y 2
set xrange [32:32768]
set key top left
set grid
# Size 0 cannot be drawn on a log scale: it is in the table.
plot "$data/cg" using (\$1 > 0 ? \$1 : 1/0):2 with linespoints lw 2 pt 7 title "cg", \
     "$data/boost_fiber" using (\$1 > 0 ? \$1 : 1/0):2 with linespoints lw 2 pt 5 title "boost_fiber", \
     "$data/memcpy_floor" using (\$1 > 0 ? \$1 : 1/0):2 with linespoints lw 2 pt 9 dt 2 title "memcpy_floor"
GNUPLOT
echo "plot: $png" >&2

echo "| live bytes | cg (ns) | boost_fiber (ns) | memcpy_floor (ns) | cg − floor (ns) | (cg − floor) / boost |"
echo "|-----------:|--------:|-----------------:|------------------:|----------------:|---------------------:|"
awk -F, '$1 == "roundtrip_size" { ns[$3, $2] = $4; if (!($3 in seen)) { seen[$3] = 1; sizes[n++] = $3 } }
    END {
        for (i = 0; i < n; ++i) {
            s = sizes[i]; cg = ns[s, "cg"]; boost = ns[s, "boost_fiber"]; floor = ns[s, "memcpy_floor"]
            printf "| %d | %.1f | %.1f | %.1f | %.1f | %.2f |\n", s, cg, boost, floor, cg - floor, (cg - floor) / boost
        }
    }' "$csv"
