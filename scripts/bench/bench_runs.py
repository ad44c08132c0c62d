#!/usr/bin/env python3
"""Runs a benchmark program several times and reports the median of each column.

The machine is shared and noisy (measured: the same work varies up to
1.5-2x between runs), so BENCHMARKS.md quotes medians over separate runs, each of
which already reports the median of its repetitions.

    scripts/bench/bench_runs.py --runs 5 build/scripts/bench/bench_direct [args...]
"""
import argparse
import statistics
import subprocess
import sys


def parse_rows(text):
    """Table rows of a bench_direct run: {(case, type): [columns...]}."""
    rows = {}
    header = None
    for line in text.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        rows[(cells[0], cells[1])] = cells[2:]
    return header, rows


def number(cell):
    return float(cell.rstrip("x"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("program", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if not a.program:
        ap.error("name the benchmark program")
    runs = []
    header = None
    preamble = None
    for i in range(a.runs):
        out = subprocess.run(a.program, check=True, capture_output=True, text=True).stdout
        if preamble is None:
            preamble = [l for l in out.splitlines() if l.startswith("Machine:")]
        header, rows = parse_rows(out)
        runs.append(rows)
        print(f"run {i + 1}/{a.runs} done", file=sys.stderr)
    keys = list(runs[0].keys())
    # Columns: plan ms, one-shot ms, Eigen ms, ratio, GFLOP/s, max rel diff.
    print(f"Median over {a.runs} separate runs of `{' '.join(a.program)}` "
          "(each run: median of its repetitions).\n")
    for line in preamble or []:
        print(line + "\n")
    print("| case | type | autoconv plan (ms) | autoconv one-shot (ms) | Eigen (ms) | Eigen / autoconv "
          "(median) | ratio in each run | autoconv GFLOP/s |")
    print("|---|---|---:|---:|---:|---:|---|---:|")
    worst = None
    for k in keys:
        cols = [[number(r[k][c]) for r in runs] for c in range(5)]
        med = [statistics.median(c) for c in cols]
        per_run = " ".join(f"{x:.2f}" for x in cols[3])
        worst = med[3] if worst is None else min(worst, med[3])
        print(f"| {k[0]} | {k[1]} | {med[0]:.3f} | {med[1]:.3f} | {med[2]:.3f} | {med[3]:.2f}x | {per_run} | "
              f"{med[4]:.1f} |")
    print(f"\nSmallest median ratio: {worst:.2f}x.")


if __name__ == "__main__":
    main()
