"""autoconv's scipy.signal functions against scipy.signal on random problems."""
import numpy as np
import pytest
import scipy.signal as ss

import autoconv
from conftest import CASES, DTYPES, assert_close, sweep

MODES = ['full', 'same', 'valid']


def _expect_same_outcome(ours, theirs, what):
    """Run both; equal values, or both ValueError. Returns (got, want) or None."""
    try:
        want = theirs()
    except ValueError:
        with pytest.raises(ValueError):
            ours()
        return None
    return ours(), want


@pytest.mark.parametrize('name', ['convolve', 'correlate'])
def test_convolve_correlate(gen, name):
    ours, theirs = getattr(autoconv, name), getattr(ss, name)
    compared = errors = 0
    for case, rank, dtype in sweep():
        n, m = gen.shapes(rank)
        x, k = gen.layout(gen.array(n, dtype)), gen.layout(gen.array(m, dtype))
        mode = MODES[(case // 4) % 3]
        method = gen.pick(['auto', 'direct', 'fft'])
        what = '%s %s %s %s %s %s' % (name, n, m, mode, method, np.dtype(dtype))
        r = _expect_same_outcome(lambda: ours(x, k, mode, method, threads=gen.int(1, 2)),
                                 lambda: theirs(x, k, mode, method), what)
        if r is None:
            errors += 1
            continue
        assert_close(r[0], r[1], dtype, x, k, what=what)
        compared += 1
    assert compared >= CASES and errors > 0


@pytest.mark.parametrize('name', ['fftconvolve', 'oaconvolve'])
def test_fftconvolve_oaconvolve(gen, name):
    ours, theirs = getattr(autoconv, name), getattr(ss, name)
    compared = 0
    for case, rank, dtype in sweep():
        n, m = gen.shapes(rank)
        axes = None
        if rank > 1 and case % 2:
            # some axes only; the others broadcast as scipy does (equal extents or 1)
            axes = sorted(int(a) for a in gen.rng.permutation(rank)[:gen.int(1, rank - 1)])
            m = tuple(mm if a in axes else gen.pick([1, n[a], mm]) for a, mm in enumerate(m))
            n = tuple(nn if a in axes or m[a] in (1, nn) else gen.pick([1, nn]) for a, nn in enumerate(n))
            m = tuple(mm if a in axes or n[a] in (1, mm) else 1 for a, mm in enumerate(m))
            if gen.int(0, 1):
                axes = [a - rank for a in axes]
        x, k = gen.layout(gen.array(n, dtype)), gen.layout(gen.array(m, dtype))
        mode = MODES[(case // 4) % 3]
        what = '%s %s %s %s axes=%s %s' % (name, n, m, mode, axes, np.dtype(dtype))
        r = _expect_same_outcome(lambda: ours(x, k, mode, axes),
                                 lambda: theirs(x, k, mode, axes), what)
        if r is None:
            continue
        assert_close(r[0], r[1], dtype, x, k, what=what)
        compared += 1
    assert compared >= CASES


@pytest.mark.parametrize('name', ['convolve2d', 'correlate2d'])
def test_convolve2d_correlate2d(gen, name):
    ours, theirs = getattr(autoconv, name), getattr(ss, name)
    compared = 0
    for case in range(CASES + 40):
        dtype = DTYPES[case % 4]
        n, m = gen.shapes(2, big=0.3)
        x, k = gen.layout(gen.array(n, dtype)), gen.layout(gen.array(m, dtype))
        mode = MODES[(case // 4) % 3]
        boundary = gen.pick(['fill', 'wrap', 'symm', 'circular', 'symmetric'])
        fill = gen.pick([0, 0.5, -1.25])
        if np.dtype(dtype).kind == 'c' and case % 3 == 0:
            fill = complex(fill, 0.75)
        what = '%s %s %s %s %s fill=%s %s' % (name, n, m, mode, boundary, fill, np.dtype(dtype))
        r = _expect_same_outcome(lambda: ours(x, k, mode, boundary, fill),
                                 lambda: theirs(x, k, mode, boundary, fill), what)
        if r is None:
            continue
        assert_close(r[0], r[1], dtype, x, k, fill, what=what)
        compared += 1
    assert compared >= CASES


# ---- scipy's edge rules, one by one

def test_valid_mode_swaps_when_kernel_is_larger():
    x, k = np.arange(3.0), np.arange(7.0)
    for f in ('convolve', 'correlate', 'fftconvolve', 'oaconvolve'):
        assert_close(getattr(autoconv, f)(x, k, 'valid'), getattr(ss, f)(x, k, 'valid'), np.float64, x, k, what=f)
    with pytest.raises(ValueError, match="mode 'valid' needs the input or the kernel"):
        autoconv.convolve(np.ones((3, 5)), np.ones((5, 3)), 'valid')
    with pytest.raises(ValueError, match="For 'valid' mode, one must be at least as large"):
        autoconv.fftconvolve(np.ones((3, 5)), np.ones((5, 3)), 'valid')


def test_same_with_kernel_larger_than_input_keeps_input_shape():
    x, k = np.arange(4.0), np.arange(1.0, 10.0)
    got = autoconv.convolve(x, k, 'same')
    assert got.shape == (4,)
    assert_close(got, ss.convolve(x, k, 'same'), np.float64, x, k)


def test_even_kernels_and_complex_correlate_conjugation():
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (6, 7)) + 1j * rng.uniform(-1, 1, (6, 7))
    k = rng.uniform(-1, 1, (2, 4)) + 1j * rng.uniform(-1, 1, (2, 4))
    for mode in MODES:
        assert_close(autoconv.correlate(x, k, mode), ss.correlate(x, k, mode), np.complex128, x, k, what=mode)
        assert_close(autoconv.correlate2d(x, k, mode), ss.correlate2d(x, k, mode), np.complex128, x, k, what=mode)
    # correlate2d 'same' with an even kernel is one sample later than correlate 'same' (scipy#1968)
    assert not np.allclose(ss.correlate2d(x, k, 'same'), ss.correlate(x, k, 'same'))
    # correlate2d 'valid' with the larger operand second returns the conjugate
    assert_close(autoconv.correlate2d(k, x, 'valid'), ss.correlate2d(k, x, 'valid'), np.complex128, k, x)
    assert_close(autoconv.correlate(k, x, 'valid'), ss.correlate(k, x, 'valid'), np.complex128, k, x)


def test_fftconvolve_broadcasts_like_scipy():
    rng = np.random.default_rng(6)
    x, k = rng.uniform(-1, 1, (4, 50)), rng.uniform(-1, 1, (4, 7))   # one kernel per row
    for mode in MODES:
        assert_close(autoconv.fftconvolve(x, k, mode, axes=1), ss.fftconvolve(x, k, mode, axes=1), np.float64, x, k,
                     what=mode)
    x1 = rng.uniform(-1, 1, (1, 50))                                   # input broadcast along the kernel
    for mode in MODES:
        assert_close(autoconv.fftconvolve(x1, k, mode, axes=[1]), ss.fftconvolve(x1, k, mode, axes=[1]), np.float64,
                     x1, k, what=mode)
    with pytest.raises(ValueError, match='incompatible shapes for in1 and in2'):
        autoconv.fftconvolve(np.ones((3, 5)), np.ones((2, 5)), axes=1)
    with pytest.raises(ValueError, match='axes cannot be empty'):
        autoconv.fftconvolve(np.ones((3, 5)), np.ones((2, 5)), axes=[])


def test_scalars_and_empty():
    assert autoconv.convolve(np.float64(2), np.float64(3)) == 6
    assert autoconv.correlate(np.complex128(1j), np.complex128(1j)) == 1
    assert autoconv.fftconvolve(np.zeros(0), np.ones(3)).size == 0


def test_dtype_rules():
    ints = np.arange(5), np.array([1, 2, 1])
    got = autoconv.convolve(*ints)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, ss.convolve(*ints))            # scipy: int64, same values
    assert autoconv.fftconvolve(*ints).dtype == ss.fftconvolve(*ints).dtype == np.float64
    f32, f64 = np.ones(5, np.float32), np.ones(3)
    assert autoconv.convolve(f32, f32).dtype == np.float32
    assert autoconv.convolve(f32, f64).dtype == np.float64
    assert autoconv.convolve(f32, f64.astype(np.complex64)).dtype == np.complex64
    assert autoconv.convolve(f64, f32.astype(np.complex64)).dtype == np.complex128
    assert autoconv.convolve(np.ones(4, np.float16), np.ones(2, np.float16)).dtype == np.float32
    assert autoconv.convolve([True, False], [1, 2]).dtype == np.float64


def test_errors_carry_the_message():
    with pytest.raises(ValueError, match='should have the same dimensionality'):
        autoconv.convolve(np.ones(3), np.ones((3, 3)))
    with pytest.raises(ValueError, match="Acceptable mode flags"):
        autoconv.convolve(np.ones(3), np.ones(3), 'middle')
    with pytest.raises(ValueError, match="Acceptable method flags"):
        autoconv.convolve(np.ones(3), np.ones(3), method='overlap_add')
    with pytest.raises(ValueError, match='convolve2d inputs must both be 2-D arrays'):
        autoconv.convolve2d(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match='Acceptable boundary flags'):
        autoconv.convolve2d(np.ones((3, 3)), np.ones((2, 2)), boundary='mirror')
    with pytest.raises(ValueError, match='could not cast `fillvalue`'):
        autoconv.convolve2d(np.ones((3, 3)), np.ones((2, 2)), fillvalue=1j)
    with pytest.raises(TypeError, match='not supported'):
        autoconv.convolve(np.array(['a', 'b']), np.ones(2))
    with pytest.raises(ValueError, match='autoconv: threads must be'):
        autoconv.convolve(np.ones(3), np.ones(3), threads=-3)
    # an error the library itself detects: its own message, as ValueError
    with pytest.raises(ValueError, match=r'autoconv::.*origin'):
        autoconv.Plan((5,), np.ones(3), 'reflect', origin=2)


def test_threads_give_the_same_numbers():
    rng = np.random.default_rng(7)
    x, k = rng.uniform(-1, 1, (64, 80)), rng.uniform(-1, 1, (5, 5))
    one = autoconv.convolve(x, k, 'same', 'direct', threads=1)
    np.testing.assert_array_equal(one, autoconv.convolve(x, k, 'same', 'direct', threads=2))
