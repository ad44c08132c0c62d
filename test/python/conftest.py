"""Shared helpers of the Python tests: random problems and the error bound.

The bound is the C++ suites' (test/common.hpp): for one computation in dtype T,
    atol = c * eps(T) * max(1, log2 P) * sum|k| * max(max|x|, |cval|),  c = 8,
with P = prod 2(N + M), above every transform length and every tap count, so it holds
for whichever method ran. autoconv and scipy each have an error under that bound, so
they may differ by twice it: that is the tolerance used, nothing looser.
"""
import zlib

import numpy as np
import pytest

DTYPES = [np.float64, np.float32, np.complex128, np.complex64]
CASES = 200  # random cases per function (acceptance: at least 200 each)


def eps(dtype):
    return float(np.finfo(np.dtype(dtype)).eps)


def bound(dtype, x, k, cval=0.0):
    x = np.asarray(x)
    k = np.asarray(k)
    p = 1.0
    for n, m in zip(x.shape, k.shape):
        p *= 2.0 * (n + m)
    scale = float(np.sum(np.abs(k.astype(np.complex128)))) * max(
        float(np.max(np.abs(x.astype(np.complex128)), initial=0.0)), abs(complex(cval)))
    return 8.0 * eps(dtype) * max(1.0, np.log2(p)) * scale


def assert_close(got, want, dtype, x, k, cval=0.0, what=''):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, '%s: shape %s, scipy %s' % (what, got.shape, want.shape)
    assert got.dtype == want.dtype, '%s: dtype %s, scipy %s' % (what, got.dtype, want.dtype)
    if got.size == 0:
        return
    err = float(np.max(np.abs(got.astype(np.complex128) - want.astype(np.complex128))))
    tol = 2.0 * bound(dtype, x, k, cval)
    assert err <= tol, '%s: max|autoconv - scipy| = %g > %g' % (what, err, tol)


class Gen:
    """Random inputs, uniform in [-1, 1) (complex: both parts)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def array(self, shape, dtype):
        a = self.rng.uniform(-1, 1, size=shape)
        if np.dtype(dtype).kind == 'c':
            a = a + 1j * self.rng.uniform(-1, 1, size=shape)
        return a.astype(dtype)

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def int(self, lo, hi):
        """Integer in [lo, hi]."""
        return int(self.rng.integers(lo, hi + 1))

    def shapes(self, rank, big=0.25):
        """Input and kernel shapes; with probability `big` the kernel is larger on some axes."""
        hi = {1: 20, 2: 9, 3: 6}[rank]
        n = [self.int(1, hi) for _ in range(rank)]
        if self.rng.uniform() < big:
            m = [self.int(1, nn + 4) for nn in n]
        else:
            m = [self.int(1, nn) for nn in n]
        return tuple(n), tuple(m)

    def layout(self, a):
        """The same values in C order, Fortran order or a strided (negative-step) view."""
        kind = self.int(0, 2)
        if kind == 1:
            return np.asfortranarray(a)
        if kind == 2:
            big = np.empty(tuple(2 * s for s in a.shape), a.dtype)
            view = big[tuple(slice(None, None, -2) for _ in a.shape)]
            view[...] = a
            return view
        return a


@pytest.fixture
def gen(request):
    return Gen(zlib.crc32(request.node.name.encode()))


def sweep(count=CASES + 40):
    """(case number, rank 1-3, dtype) for `count` cases, every rank and dtype in turn."""
    for case in range(count):
        yield case, 1 + case % 3, DTYPES[case % 4]
