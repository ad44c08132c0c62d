#!/usr/bin/python3
"""autoconv against scipy, called from Python, on the benchmark grid (scripts/bench/grid.txt).

    /usr/bin/python3 scripts/bench_python.py [--cases 1d-a,2d-*] [--threads 1,2] [--repeats 5]

Needs the module on PYTHONPATH (the meson build: PYTHONPATH=build/lib/python; or a pip
install). For each grid case (inputs and kernels uniform in [-1, 1), random, not
separable) it times, at each thread count, the median of --repeats runs after one
warm-up run of:

- signal-style cases (full/same/valid): autoconv.convolve(x, k, mode) against
  scipy.signal.convolve (method='auto'), scipy.signal.fftconvolve and
  scipy.signal.oaconvolve;
- border cases (reflect, mirror, nearest, wrap, constant): autoconv.ndimage.convolve
  against scipy.ndimage.convolve.

Threads: autoconv's threads=; scipy.fft.set_workers for scipy's FFT paths (scipy's
direct paths and scipy.ndimage run on one thread whatever the setting). A scipy method
whose one run is estimated (operation count, constants below) above --skip seconds is
skipped and shown as "skip (~N s)". Prints a markdown table: times in ms and, for each
scipy function, its speedup: scipy's time / autoconv's (above 1: autoconv is faster).
--dry-run prints the estimated length of the run instead.
"""
import argparse
import fnmatch
import math
import os
import platform
import statistics
import sys
import time

import numpy as np
import scipy
import scipy.fft
import scipy.ndimage as ndi
import scipy.signal as ss

import autoconv

GRID = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bench', 'grid.txt')
BORDERS = ('reflect', 'mirror', 'nearest', 'wrap', 'constant')

# Rough single-thread rates of scipy on this class of machine, for the skip estimate only.
DIRECT_TAPS_PER_S = 3e8        # multiply-adds per second of scipy's direct sums (signal and ndimage)
FFT_FLOPS_PER_S = 1e9          # 5 P log2 P flops per complex transform of P points
OURS_TAPS_PER_S = 2e10         # autoconv's direct engine, one core (BENCHMARKS.md: 22-48 GFLOP/s)


def read_grid(path):
    cases = []
    for line in open(path):
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        name, dtype, n, m, mode = line.split()
        cases.append(dict(name=name, dtype=np.float64 if dtype == 'double' else np.float32,
                          n=tuple(int(v) for v in n.split('x')), m=tuple(int(v) for v in m.split('x')), mode=mode))
    return cases


def out_shape(n, m, mode):
    if mode == 'full':
        return [a + b - 1 for a, b in zip(n, m)]
    if mode == 'valid':
        return [abs(a - b) + 1 for a, b in zip(n, m)]
    return list(n)


def fft_seconds(n, m, mode):
    p = math.prod(a + b - 1 for a, b in zip(n, m))
    return 3 * 5 * p * math.log2(max(p, 2)) / 2 / FFT_FLOPS_PER_S   # real transforms: half the work


def direct_seconds(n, m, mode):
    return math.prod(out_shape(n, m, mode)) * math.prod(m) / DIRECT_TAPS_PER_S


def estimates(case, x, k):
    """Estimated seconds of one run of each scipy function."""
    n, m, mode = case['n'], case['m'], case['mode']
    if mode in BORDERS:
        return {'scipy.ndimage.convolve': direct_seconds(n, m, 'same')}
    auto = ss.choose_conv_method(x, k, mode)
    return {'scipy.signal.convolve': fft_seconds(n, m, mode) if auto == 'fft' else direct_seconds(n, m, mode),
            'fftconvolve': fft_seconds(n, m, mode),
            'oaconvolve': fft_seconds(n, m, mode)}


def dry_run(cases, threads, args):
    """Estimated seconds of the run: scipy from the constants above, autoconv as direct
    at OURS_TAPS_PER_S or FFT, whichever autoconv.explain picks."""
    total = 0.0
    for case in cases:
        x = np.zeros(case['n'], case['dtype'])
        k = np.zeros(case['m'], case['dtype'])
        mode = case['mode']
        shown = 'same' if mode in BORDERS else mode
        method = autoconv.explain(x, k, mode).method
        ours = (direct_seconds(case['n'], case['m'], shown) * DIRECT_TAPS_PER_S / OURS_TAPS_PER_S
                if method == 'direct' else fft_seconds(case['n'], case['m'], shown) / 2)
        t = ours * (args.repeats + 1)
        for s in estimates(case, x, k).values():
            if s <= args.skip:
                t += s * (2 if s > 2.0 else args.repeats + 1)
        total += t * len(threads)
        print('%-6s ~%7.1f s' % (case['name'], t * len(threads)))
    print('estimated total: ~%.0f s (%.1f min)' % (total, total / 60))


def timed(f, repeats, warm=True):
    if warm:
        f()
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cases', default='*', help='comma-separated case names or patterns (default: all 39)')
    ap.add_argument('--threads', default='1,2', help='thread counts (default 1,2)')
    ap.add_argument('--repeats', type=int, default=5, help='timed runs per measurement, median kept (default 5)')
    ap.add_argument('--skip', type=float, default=20.0, help='skip a scipy method estimated above this many s')
    ap.add_argument('--grid', default=GRID)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--dry-run', action='store_true', help='print the estimated run time and stop')
    args = ap.parse_args(argv)
    patterns = args.cases.split(',')
    cases = [c for c in read_grid(args.grid) if any(fnmatch.fnmatch(c['name'], p) for p in patterns)]
    if not cases:
        sys.exit('bench_python: no grid case matches %r' % args.cases)
    threads = [int(t) for t in args.threads.split(',')]
    if args.dry_run:
        return dry_run(cases, threads, args)
    rng = np.random.default_rng(args.seed)
    t_start = time.perf_counter()

    print('autoconv %s, numpy %s, scipy %s, python %s, %s, %d CPUs; median of %d runs after one warm-up'
          % (autoconv.__version__, np.__version__, scipy.__version__, platform.python_version(),
             platform.machine(), os.cpu_count(), args.repeats))
    print()
    print('| case | type | input | kernel | mode | threads | autoconv ms (method) '
          '| scipy convolve (ndimage for borders) ms | fftconvolve ms | oaconvolve ms |')
    print('|---|---|---|---|---|---:|---:|---:|---:|---:|')
    for case in cases:
        dt, n, m, mode = case['dtype'], case['n'], case['m'], case['mode']
        x = rng.uniform(-1, 1, n).astype(dt)
        k = rng.uniform(-1, 1, m).astype(dt)
        est = estimates(case, x, k)
        for t in threads:
            if mode in BORDERS:
                ours = lambda: autoconv.ndimage.convolve(x, k, mode=mode, threads=t)  # noqa: E731
                theirs = {'scipy.ndimage.convolve': lambda: ndi.convolve(x, k, mode=mode)}
            else:
                ours = lambda: autoconv.convolve(x, k, mode, threads=t)  # noqa: E731
                theirs = {'scipy.signal.convolve': lambda: ss.convolve(x, k, mode),
                          'fftconvolve': lambda: ss.fftconvolve(x, k, mode),
                          'oaconvolve': lambda: ss.oaconvolve(x, k, mode)}
            method = autoconv.explain(x, k, mode, threads=t).method
            ours_s = timed(ours, args.repeats)
            cells = []
            for fname, f in theirs.items():
                if est[fname] > args.skip:
                    cells.append('skip (~%.0f s)' % est[fname])
                    continue
                slow = est[fname] > 2.0           # one warm-up and one run are enough
                with scipy.fft.set_workers(t):
                    s = timed(f, 1 if slow else args.repeats, warm=not slow)
                cells.append('%.3g (%.2fx)' % (s * 1e3, s / ours_s))
            cells += ['-'] * (3 - len(cells))
            print('| %s | %s | %s | %s | %s | %d | %.3g (%s) | %s |' % (
                case['name'], np.dtype(dt).name, 'x'.join(map(str, n)), 'x'.join(map(str, m)), mode, t,
                ours_s * 1e3, method, ' | '.join(cells)))
            sys.stdout.flush()
    print()
    print('bench_python: %d case(s) x %d thread count(s) in %.1f s'
          % (len(cases), len(threads), time.perf_counter() - t_start))


if __name__ == '__main__':
    main(sys.argv[1:])
