"""autoconv.ndimage against scipy.ndimage on random problems, and autoconv.Plan."""
import threading

import numpy as np
import pytest
import scipy.ndimage as nd
import scipy.signal as ss

import autoconv
from conftest import assert_close, sweep

MODES = ['reflect', 'mirror', 'nearest', 'wrap', 'constant', 'grid-mirror', 'grid-wrap', 'grid-constant']


def _origin(gen, m):
    return gen.int(-(m // 2), (m - 1) // 2)


@pytest.mark.parametrize('name', ['convolve', 'correlate'])
def test_convolve_correlate(gen, name):
    ours, theirs = getattr(autoconv.ndimage, name), getattr(nd, name)
    for case, rank, dtype in sweep():
        n, m = gen.shapes(rank, big=0.2)
        x, w = gen.layout(gen.array(n, dtype)), gen.layout(gen.array(m, dtype))
        mode = MODES[(case // 4) % len(MODES)]
        cval = gen.pick([0.0, 0.5, -1.5])
        origin = [_origin(gen, mm) for mm in m] if case % 3 else _origin(gen, min(m))
        what = '%s %s %s %s cval=%s origin=%s %s' % (name, n, m, mode, cval, origin, np.dtype(dtype))
        want = theirs(x, w, mode=mode, cval=cval, origin=origin)
        if case % 5 == 0:   # into a given array (any strides)
            out = gen.layout(np.zeros(n, want.dtype))
            got = ours(x, w, out, mode=mode, cval=cval, origin=origin, threads=gen.int(1, 2))
            assert got is out
        else:
            got = ours(x, w, mode=mode, cval=cval, origin=origin, threads=gen.int(1, 2))
        assert_close(got, want, dtype, x, w, cval, what=what)


@pytest.mark.parametrize('name', ['convolve1d', 'correlate1d'])
def test_convolve1d_correlate1d(gen, name):
    ours, theirs = getattr(autoconv.ndimage, name), getattr(nd, name)
    for case, rank, dtype in sweep():
        n, _ = gen.shapes(rank)
        axis = gen.int(-rank, rank - 1)
        m = gen.int(1, n[axis] + (3 if case % 4 == 0 else 0))
        x, w = gen.layout(gen.array(n, dtype)), gen.array(m, dtype)
        mode = MODES[(case // 4) % len(MODES)]
        cval = gen.pick([0.0, 0.5, -1.5])
        origin = _origin(gen, m)
        what = '%s %s %s axis=%d %s cval=%s origin=%s %s' % (name, n, m, axis, mode, cval, origin, np.dtype(dtype))
        want = theirs(x, w, axis, mode=mode, cval=cval, origin=origin)
        got = ours(x, w, axis, mode=mode, cval=cval, origin=origin)
        kshape = [1] * rank
        kshape[axis] = m
        assert_close(got, want, dtype, x, w.reshape(kshape), cval, what=what)


def test_complex_weights_on_real_input_and_complex_cval():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (7, 6))
    w = rng.uniform(-1, 1, (3, 2)) + 1j * rng.uniform(-1, 1, (3, 2))
    for f in ('convolve', 'correlate'):
        got = getattr(autoconv.ndimage, f)(x, w, mode='constant', cval=0.5)
        assert got.dtype == np.complex128
        assert_close(got, getattr(nd, f)(x, w, mode='constant', cval=0.5), np.complex128, x, w, 0.5, what=f)
        xc = x + 1j * x[::-1]
        assert_close(getattr(autoconv.ndimage, f)(xc, w, mode='constant', cval=0.5 - 2j),
                     getattr(nd, f)(xc, w, mode='constant', cval=0.5 - 2j), np.complex128, xc, w, 0.5 - 2j, what=f)
    with pytest.raises(ValueError, match='complex-valued cval when the input is real'):
        autoconv.ndimage.convolve(x, w, cval=1j)


def test_output_dtypes_like_scipy():
    x = np.arange(20, dtype=np.int32).reshape(4, 5)
    w = np.array([[1, 2], [3, 4]])
    for out in (None, np.float32, 'float64', np.dtype(np.int16)):
        want = nd.convolve(x, w, output=out)
        got = autoconv.ndimage.convolve(x, w, output=out)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    f32 = np.ones((4, 4), np.float32)
    assert autoconv.ndimage.correlate(f32, np.ones((2, 2))).dtype == np.float32
    out = np.zeros((4, 4), np.float64)
    assert autoconv.ndimage.correlate(f32, np.ones((2, 2)), out) is out
    # output sharing memory with the input: computed aside, then written (as scipy)
    a = np.arange(12.0).reshape(3, 4)
    want = nd.correlate(a, np.ones((2, 2)))
    assert_close(autoconv.ndimage.correlate(a, np.ones((2, 2)), output=a), want, np.float64, want, np.ones((2, 2)))


def test_errors_like_scipy():
    x = np.ones((4, 4))
    with pytest.raises(RuntimeError, match='filter weights array has incorrect shape'):
        autoconv.ndimage.convolve(x, np.ones(3))
    with pytest.raises(RuntimeError, match='boundary mode not supported'):
        autoconv.ndimage.convolve(x, np.ones((2, 2)), mode='symm')
    with pytest.raises(RuntimeError, match='output shape not correct'):
        autoconv.ndimage.convolve(x, np.ones((2, 2)), output=np.zeros((3, 3)))
    with pytest.raises(RuntimeError, match='output must have complex dtype'):
        autoconv.ndimage.convolve(x, np.ones((2, 2)) * 1j, output=np.zeros((4, 4)))
    with pytest.raises(RuntimeError, match='no filter weights given'):
        autoconv.ndimage.convolve1d(x, np.ones((2, 2)))
    with pytest.raises(ValueError, match='Invalid origin'):
        autoconv.ndimage.correlate1d(x, np.ones(3), origin=2)
    # the library's own check, with its message
    with pytest.raises(ValueError, match='origin'):
        autoconv.ndimage.correlate(x, np.ones((3, 3)), origin=[0, 2])


def test_layouts_without_copies_and_odd_strides():
    rng = np.random.default_rng(4)
    rec = np.zeros((6, 7), dtype=[('a', 'f8'), ('b', 'f4')])   # stride 12: not whole float64 items
    rec['a'] = rng.uniform(-1, 1, (6, 7))
    w = rng.uniform(-1, 1, (3, 3))
    assert_close(autoconv.ndimage.convolve(rec['a'], w), nd.convolve(rec['a'], w), np.float64, rec['a'], w)
    out = np.zeros((7, 6)).T                                     # Fortran-order output, written in place
    assert autoconv.ndimage.convolve(rec['a'], w, out) is out
    assert_close(out, nd.convolve(rec['a'], w), np.float64, rec['a'], w)


def test_plan_matches_one_shot_calls(gen):
    for case, rank, dtype in sweep(40):
        n, m = gen.shapes(rank)
        x, k = gen.array(n, dtype), gen.array(m, dtype)
        if case % 2:
            mode = gen.pick(MODES)
            p = autoconv.Plan(n, k, mode, cval=0.25, op='correlate', method=gen.pick(['direct', 'fft', 'auto']))
            want = nd.correlate(x, k, mode=mode, cval=0.25)
        else:
            mode = gen.pick(['full', 'same'])
            p = autoconv.Plan(n, k, mode, dtype=dtype, method=gen.pick(['direct', 'fft', 'overlap_add']))
            want = ss.convolve(x, k, mode)
        assert p.input_shape == n and p.output_shape == want.shape and p.dtype == np.dtype(dtype)
        for _ in range(2):
            assert_close(p(x), want, dtype, x, k, 0.25, what=repr(p))
        out = np.empty(p.output_shape, p.dtype)
        assert p(x, out=out) is out
    p = autoconv.Plan((8, 8), np.ones((3, 3)), 'same', boundary='symm', cval=0.0)
    x = np.arange(64.0).reshape(8, 8)
    assert_close(p(x), ss.convolve2d(x, np.ones((3, 3)), 'same', 'symm'), np.float64, x, np.ones((3, 3)))
    with pytest.raises(ValueError, match=r'autoconv::'):
        p(np.ones((8, 9)))
    with pytest.raises(TypeError, match='complex input'):
        p(np.ones((8, 8)) * 1j)


def test_calls_from_many_threads_at_once():
    # the GIL is released while the core runs: Python threads compute side by side
    rng = np.random.default_rng(8)
    xs = [rng.uniform(-1, 1, (200, 200)) for _ in range(4)]
    w = rng.uniform(-1, 1, (7, 7))
    results = [None] * 4

    def work(i):   # direct and FFT engines (FFTW planning shared between threads)
        results[i] = autoconv.ndimage.convolve(xs[i], w, threads=1, method=('direct', 'fft')[i % 2])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for x, r in zip(xs, results):
        assert_close(r, nd.convolve(x, w), np.float64, x, w)


def test_negative_stride_input_and_output_are_used_in_place():
    # Reversed views reach the core as they are (no copy), for input and output=.
    rng = np.random.default_rng(7)
    x = rng.standard_normal((30, 41))
    k = rng.standard_normal((5, 4))
    v = x[::-1, ::-2]
    base = np.zeros((30, 21))
    out = base[::-1, ::-1]
    got = autoconv.ndimage.convolve(v, k, output=out, mode="reflect")
    assert got is None or got is out
    ref = nd.convolve(v, k, mode="reflect")
    assert_close(out, ref, np.float64, v, k)
    # the numbers went through the reversed view into base, in place: base holds ref reversed
    assert_close(base, ref[::-1, ::-1], np.float64, v, k)
