#!/usr/bin/python3
"""scipy's side of bench_peers: times scipy on the bytes bench_peers wrote.

usage: peers_scipy.py DIR TYPE INPUT KERNEL MODE THREADS CAP
  DIR holds x, k (C order, raw) and ref (autoconv Auto's result); TYPE float|double;
  INPUT/KERNEL like (256, 256) or 256x256; MODE full|same|valid or an ndimage border.
Prints "name seconds", "name skip why" and "err name value" lines.

Signal-style cases: signal.convolve (method='auto'), fftconvolve, oaconvolve, and
ndimage.convolve for 'same' (mode='constant' equals it for odd kernels). Image-style
cases: ndimage.convolve with the border, and np.pad + fftconvolve(valid) (what a user
writes to get a border out of the FFT functions). scipy.fft.set_workers(THREADS)
around every call (ndimage and the direct path are single-threaded in scipy).
Each time: median of 3-7 calls after a warm-up, one call when it takes over 1.5 s.
"""
import re
import sys
import time

import numpy as np
import scipy
import scipy.fft
from scipy import ndimage, signal


def shape(s):
    return tuple(int(v) for v in re.findall(r"\d+", s))


def measure(f):
    t0 = time.perf_counter()
    f()
    warm = time.perf_counter() - t0
    if warm > 1.5:
        return warm
    ts = []
    start = time.perf_counter()
    while len(ts) < 3 or (len(ts) < 7 and time.perf_counter() - start < 2.0):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return sorted(ts)[len(ts) // 2]


def main():
    d, typ, xin, kin, mode, threads, cap = sys.argv[1:8]
    threads, cap = int(threads), float(cap)
    dt = np.float32 if typ == "float" else np.float64
    xs, ks = shape(xin), shape(kin)
    x = np.fromfile(d + "/x", dtype=dt).reshape(xs)
    k = np.fromfile(d + "/k", dtype=dt).reshape(ks)
    ref = np.fromfile(d + "/ref", dtype=dt)
    image = mode not in ("full", "same", "valid")
    taps = float(np.prod(ks))
    outputs = float(np.prod(xs)) if image or mode == "same" else float(
        np.prod([n + m - 1 if mode == "full" else n - m + 1 for n, m in zip(xs, ks)]))
    macs = outputs * taps

    # Direct summation in scipy (ndimage, and np.convolve/correlate under
    # signal.convolve's direct choice) runs ~0.5-2 G multiply-adds/s here.
    direct_rate = 1e9

    def report(name, f, direct=False):
        if direct and macs / direct_rate > cap:
            print(f"{name} skip predicted {macs / direct_rate:.0f} s ({macs:.1e} multiply-adds at ~1 G/s)")
            return
        out = [None]

        def call():
            with scipy.fft.set_workers(threads):
                out[0] = f()

        t = measure(call)
        print(f"{name} {t:.6g}")
        r = np.asarray(out[0], dtype=np.float64).ravel()
        err = np.max(np.abs(r - ref)) / max(np.max(np.abs(ref)), 1e-300) if r.size == ref.size else float("inf")
        print(f"err {name} {err:.3g}")
        sys.stdout.flush()

    if not image:
        m = signal.choose_conv_method(x, k, mode=mode)
        report("scipy_auto", lambda: signal.convolve(x, k, mode=mode), direct=(m == "direct"))
        report("scipy_fft", lambda: signal.fftconvolve(x, k, mode=mode))
        report("scipy_oa", lambda: signal.oaconvolve(x, k, mode=mode))
        if mode == "same" and all(v % 2 == 1 for v in ks):
            report("scipy_ndimage", lambda: ndimage.convolve(x, k, mode="constant", cval=0.0), direct=True)
    else:
        report("scipy_ndimage", lambda: ndimage.convolve(x, k, mode=mode), direct=True)
        np_mode = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap",
                   "constant": "constant"}[mode]
        pads = [(m // 2, (m - 1) // 2) for m in ks]
        report("scipy_pad_fft", lambda: signal.fftconvolve(np.pad(x, pads, mode=np_mode), k, mode="valid"))


if __name__ == "__main__":
    main()
