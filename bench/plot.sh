#!/usr/bin/env bash
# plot.sh - turns the CSV of bench/processes.py into a plot and a table of
# the round trip against the slice size, for cg, boost_fiber and
# memcpy_floor: medians over processes, with the spread (the fastest and
# the slowest process) as error bars.
#
#     bench/plot.sh RESULTS.csv [PLOT.png]
#
# Writes the plot (gnuplot, Debian's gnuplot-nox; default: RESULTS.png
# beside the CSV) and prints the table in Markdown: per size, each system's
# median ns per round trip and spread, and (cg minus the floor) over Boost,
# taken in each process, with its spread. A CSV of one cg-bench run
# (metric,system,param,value,unit) is read as a median with no spread.
set -euo pipefail
if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: bench/plot.sh RESULTS.csv [PLOT.png]" >&2
    exit 2
fi
csv=$1
png=${2:-${csv%.csv}.png}
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT

# The same columns from either CSV: metric system param median lowest highest.
awk -F, 'NR == 1 { summarized = ($4 == "median"); next }
    summarized { print $1, $2, $3, $4, $5, $6; next }
    { print $1, $2, $3, $4, $4, $4 }' "$csv" >"$data/rows"

# One file per system: "size median lowest highest" lines, ordered by size.
for system in cg boost_fiber memcpy_floor; do
    awk -v name="$system" '$1 == "roundtrip_size" && $2 == name { print $3, $4, $5, $6 }' "$data/rows" |
        sort -n >"$data/$system"
    if [ ! -s "$data/$system" ]; then
        echo "plot.sh: no roundtrip_size rows for $system in $csv" >&2
        exit 1
    fi
done

gnuplot <<GNUPLOT
set terminal pngcairo size 900,560 font ",11" noenhanced
set output "$png"
set title "Round trip (next() and its yield) against the bytes a generator keeps live: median, fastest and slowest process"
set xlabel "live local across the yield (bytes)"
set ylabel "ns per round trip"
set logscale x 2
set logscale y 2
set xrange [32:32768]
set key top left
set grid
# Size 0 cannot be drawn on a log scale: it is in the table.
plot "$data/cg" using (\$1 > 0 ? \$1 : 1/0):2:3:4 with yerrorlines lw 2 pt 7 title "cg", \
     "$data/boost_fiber" using (\$1 > 0 ? \$1 : 1/0):2:3:4 with yerrorlines lw 2 pt 5 title "boost_fiber", \
     "$data/memcpy_floor" using (\$1 > 0 ? \$1 : 1/0):2:3:4 with yerrorlines lw 2 pt 9 dt 2 title "memcpy_floor"
GNUPLOT
echo "plot: $png" >&2

echo "| live bytes | cg (ns) | boost_fiber (ns) | memcpy_floor (ns) | (cg − floor) / boost |"
echo "|-----------:|--------:|-----------------:|------------------:|---------------------:|"
awk '$1 == "roundtrip_size" || $1 == "roundtrip_size_ratio" {
        key = $3 SUBSEP $2; median[key] = $4; low[key] = $5; high[key] = $6
        if ($1 == "roundtrip_size" && !($3 in seen)) { seen[$3] = 1; sizes[n++] = $3 }
    }
    function show(s, who, digits) {
        key = s SUBSEP who
        if (!(key in median)) return "-"
        if (low[key] == high[key]) return sprintf("%." digits "f", median[key])
        return sprintf("%." digits "f (%." digits "f - %." digits "f)", median[key], low[key], high[key])
    }
    END {
        for (i = 0; i < n; ++i) {
            s = sizes[i]
            ratio = show(s, "(cg-memcpy_floor)/boost_fiber", 2)
            if (ratio == "-") { # one run: the ratio of its figures
                ratio = sprintf("%.2f", (median[s, "cg"] - median[s, "memcpy_floor"]) / median[s, "boost_fiber"])
            }
            printf "| %d | %s | %s | %s | %s |\n", s, show(s, "cg", 1), show(s, "boost_fiber", 1),
                show(s, "memcpy_floor", 1), ratio
        }
    }' "$data/rows"
