#!/usr/bin/env python3
"""processes.py - cg-bench's figures over N separate processes.

    python3 bench/processes.py N CG_BENCH [CG_BENCH...] [-- CG_BENCH_OPTIONS...]

Runs `taskset -c $CPU CG_BENCH --csv OPTIONS` N times (CPU 1 unless $CPU
says otherwise; several binaries alternate, so that a noisy minute falls
on all of them) and prints one CSV row per figure:

    metric,system,param,median,lowest,highest,unit,processes

the median over the processes and the spread (the fastest and the slowest
process). Ratios are taken within each process first, then summarized the
same way (metric `<metric>_ratio`, system `a/b`, unit `x`): a figure that
moves with where a process's stack and heap land moves both sides of a
ratio measured in the same process less than it moves the figure.

With several binaries, each row starts with the binary's path.
Progress goes to stderr.
"""
import os
import statistics
import subprocess
import sys
from collections import defaultdict

# The ratios summarized: (metric, numerator system, denominator system).
RATIOS = [
    ("roundtrip", "cg", "boost_fiber"),
    ("roundtrip", "cg_c", "cg"),
    ("roundtrip", "cg_yield_in_a_call", "cg"),
    ("roundtrip", "cg_yield_in_a_call", "boost_fiber_yield_in_a_call"),
    ("roundtrip", "cg_c", "boost_fiber"),
    ("create_destroy", "cg", "boost_fiber"),
    ("create_destroy", "cg_3_deep", "boost_fiber_3_deep"),
    ("create_destroy", "cg_3_deep_destructor", "boost_fiber_3_deep"),
    ("create_destroy", "cg_finished", "cpp20"),
    ("cold_roundtrip", "cg", "cpp20"),
    ("memory_per_generator", "cg", "cpp20"),
]


def run_once(binary, options, cpu):
    command = ["taskset", "-c", cpu, binary, "--csv"] + options
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures = {}
    for line in output.splitlines()[1:]:
        metric, system, param, value, unit = line.split(",")
        figures[(metric, system, int(param))] = (float(value), unit)
    return figures


def ratios(figures):
    """The ratios of one process: {(metric_ratio, a/b, param): value}."""
    out = {}
    params = {(m, p) for (m, _, p) in figures}
    for metric, a, b in RATIOS:
        for m, p in sorted(params):
            if m == metric and (m, a, p) in figures and (m, b, p) in figures:
                out[(metric + "_ratio", a + "/" + b, p)] = figures[(m, a, p)][0] / figures[(m, b, p)][0]
    # The slice-size curve: what cg adds to the memcpy floor, against Boost.
    for (m, s, p), (value, _) in figures.items():
        if m == "roundtrip_size" and s == "cg":
            floor = figures.get((m, "memcpy_floor", p))
            boost = figures.get((m, "boost_fiber", p))
            if floor and boost:
                out[("roundtrip_size_ratio", "(cg-memcpy_floor)/boost_fiber", p)] = (value - floor[0]) / boost[0]
    return out


def summarize(runs):
    """Rows (metric, system, param, median, lowest, highest, unit, n) over runs."""
    values = defaultdict(list)
    units = {}
    for figures in runs:
        for key, (value, unit) in figures.items():
            values[key].append(value)
            units[key] = unit
        for key, value in ratios(figures).items():
            values[key].append(value)
            units[key] = "x"
    rows = []
    for key in sorted(values, key=lambda k: (k[0], k[1], k[2])):
        v = values[key]
        rows.append((*key, statistics.median(v), min(v), max(v), units[key], len(v)))
    return rows


def main(argv):
    if "--" in argv:
        split = argv.index("--")
        arguments, options = argv[1:split], argv[split + 1:]
    else:
        arguments, options = argv[1:], []
    if len(arguments) < 2 or not arguments[0].isdigit() or int(arguments[0]) < 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    count, binaries = int(arguments[0]), arguments[1:]
    cpu = os.environ.get("CPU", "1")
    runs = defaultdict(list)
    for i in range(count):
        for binary in binaries:
            runs[binary].append(run_once(binary, options, cpu))
        print(f"processes.py: {i + 1} of {count} processes", file=sys.stderr)
    prefix = "binary," if len(binaries) > 1 else ""
    print(prefix + "metric,system,param,median,lowest,highest,unit,processes")
    for binary in binaries:
        for metric, system, param, median, lowest, highest, unit, n in summarize(runs[binary]):
            lead = binary + "," if len(binaries) > 1 else ""
            print(f"{lead}{metric},{system},{param},{median:.4g},{lowest:.4g},{highest:.4g},{unit},{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
