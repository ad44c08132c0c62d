"""autoconv: scipy.signal's and scipy.ndimage's convolutions with scipy's numbers, faster.

Drop-in names for ``scipy.signal``: ``convolve``, ``correlate``, ``fftconvolve``,
``oaconvolve``, ``convolve2d``, ``correlate2d``, ``choose_conv_method``; ``explain``
shows the cost model's decision for a call; ``autoconv.ndimage`` has
``convolve``, ``correlate``, ``convolve1d``, ``correlate1d``. Same arguments and
defaults as scipy 1.10, plus keyword-only ``threads=`` (None: the library's default,
OMP_NUM_THREADS or every core; 1: the calling thread only). ``Plan`` makes a problem
once and runs it many times. docs/python.md lists the dtype rules and the few
places where autoconv and scipy differ.
"""
import timeit as _timeit

import numpy as _np

from . import _core

__version__ = _core.version
__all__ = ['convolve', 'correlate', 'fftconvolve', 'oaconvolve', 'convolve2d', 'correlate2d',
           'choose_conv_method', 'explain', 'Plan', 'ndimage']

_MODES = ('full', 'same', 'valid')
_MODE_ERROR = "Acceptable mode flags are 'valid', 'same', or 'full'."
# convolve2d's boundary names -> autoconv's Boundary
_SIGNAL_BOUNDARIES = {'fill': 'constant', 'pad': 'constant', 'wrap': 'wrap', 'circular': 'wrap',
                      'symm': 'reflect', 'symmetric': 'reflect'}
# scipy.ndimage's mode names -> autoconv's Boundary (for filters scipy treats each
# grid-* mode as its plain twin: grid-mirror = reflect, grid-wrap = wrap, grid-constant = constant)
_IMAGE_BOUNDARIES = {'reflect': 'reflect', 'grid-mirror': 'reflect', 'mirror': 'mirror', 'nearest': 'nearest',
                     'wrap': 'wrap', 'grid-wrap': 'wrap', 'constant': 'constant', 'grid-constant': 'constant'}
_OUR_METHODS = ('auto', 'direct', 'fft', 'overlap_add', 'separable')
# autoconv's methods in scipy's vocabulary (choose_conv_method): overlap-add is a blocked
# FFT, separable a sequence of direct 1-D passes
_SCIPY_METHOD = {'direct': 'direct', 'fft': 'fft', 'overlap_add': 'fft', 'separable': 'direct'}


_VALUE_DTYPES = {}  # _value_dtype's answers: numpy's result_type costs ~0.8 us a call


def _value_dtype(*dtypes):
    """The dtype a computation runs in: numpy's result type, made one of autoconv's four.

    bool and integers -> float64; float16 -> float32; float32/float64 kept; longdouble ->
    float64; complex64/complex128 kept; clongdouble -> complex128.
    """
    r = _VALUE_DTYPES.get(dtypes)
    if r is None:
        r = _VALUE_DTYPES[dtypes] = _value_dtype_of(dtypes)
    return r


def _value_dtype_of(dtypes):
    for d in dtypes:
        if d.kind not in 'biufc':
            raise TypeError("autoconv: arrays of dtype %s are not supported (numbers only)" % d)
    r = _np.result_type(*dtypes)
    if r.kind == 'c':
        return _np.dtype(_np.complex64 if r.itemsize <= 8 else _np.complex128)
    if r.kind == 'f':
        return _np.dtype(_np.float32 if r.itemsize <= 4 else _np.float64)
    return _np.dtype(_np.float64)


def _threads(threads):
    if threads is None:
        return 0
    t = int(threads)
    if t == -1:  # scipy.fft's workers=-1: OpenMP's default, as None
        return 0
    if t < 0:
        raise ValueError("autoconv: threads must be None, -1 or a positive count, not %d" % t)
    return t


def _run(op, x, k, mode, boundary, cval, origin, method, threads, axes=(), out=None, dtype=None):
    """One call of the core: x and k cast to `dtype` (default: their common value dtype)."""
    dt = dtype or _value_dtype(x.dtype, k.dtype)
    x = _np.asarray(x, dtype=dt)
    k = _np.asarray(k, dtype=dt)
    cval = complex(cval)
    plan = _core.Plan(op, x.shape, k, mode, boundary, cval.real, list(origin), method, _threads(threads),
                      list(axes), 'estimate')
    result = plan(x, out)
    if cval.imag != 0:
        # the core's cval is real: add the imaginary part's share by linearity
        # (the result of an all-zero input extended by 1 is where the border reaches)
        edge = _core.Plan(op, x.shape, k, mode, boundary, 1.0, list(origin), method, _threads(threads),
                          list(axes), 'estimate')(_np.zeros(x.shape, dt))
        result += 1j * cval.imag * edge
    return result


def _check_cval(cval, complex_data, message):
    if _np.iscomplexobj(cval) and not complex_data and complex(cval).imag != 0:
        raise ValueError(message)
    return complex(cval) if complex_data else float(_np.real(cval))


def _same_rank(in1, in2):
    """scipy.signal's rank check."""
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")


def _inputs_swap_needed(mode, shape1, shape2, axes=None):
    """scipy.signal's rule: in 'valid' mode the larger operand goes first."""
    if mode != 'valid' or not shape1:
        return False
    if axes is None:
        axes = range(len(shape1))
    ok1 = all(shape1[i] >= shape2[i] for i in axes)
    ok2 = all(shape2[i] >= shape1[i] for i in axes)
    if not (ok1 or ok2):
        raise ValueError("For 'valid' mode, one must be at least as large as the other in every dimension")
    return not ok1


def _check_mode(mode):
    if mode not in _MODES:
        raise ValueError(_MODE_ERROR)


# ---------------------------------------------------------------- scipy.signal

def _signal(op, in1, in2, mode, method, threads):
    in1 = _np.asarray(in1)
    in2 = _np.asarray(in2)
    if in1.ndim == in2.ndim == 0:
        return in1 * (in2.conj() if op == 'correlate' else in2)
    _same_rank(in1, in2)
    _check_mode(mode)
    if method not in ('auto', 'direct', 'fft'):
        raise ValueError("Acceptable method flags are 'auto', 'direct', or 'fft'.")
    return _run(op, in1, in2, mode, None, 0.0, (), method, threads)


def convolve(in1, in2, mode='full', method='auto', *, threads=None):
    """scipy.signal.convolve: N-D convolution of in1 and in2, output size per `mode`.

    method: 'auto' (autoconv's cost model), 'direct' or 'fft' (any other autoconv
    method name is refused, as scipy refuses it). Integer and bool inputs give float64.
    """
    return _signal('convolve', in1, in2, mode, method, threads)


def correlate(in1, in2, mode='full', method='auto', *, threads=None):
    """scipy.signal.correlate: N-D cross-correlation (in2 flipped and conjugated)."""
    return _signal('correlate', in1, in2, mode, method, threads)


def _centered(arr, newshape):
    start = [(c - n) // 2 for c, n in zip(arr.shape, newshape)]
    return arr[tuple(slice(s, s + n) for s, n in zip(start, newshape))]


def _freq_axes(ndim, axes):
    """scipy.fft's normalisation of `axes` (None = all)."""
    if axes is None:
        return list(range(ndim))
    axes = _np.atleast_1d(_np.asarray(axes))
    if axes.size == 0:
        raise ValueError("when provided, axes cannot be empty")
    if axes.ndim != 1 or axes.dtype.kind not in 'iu':
        raise ValueError("axes must be a scalar or iterable of integers")
    axes = [int(a) + ndim if a < 0 else int(a) for a in axes]
    if any(a >= ndim or a < 0 for a in axes):
        raise ValueError("axes exceeds dimensionality of input")
    if len(set(axes)) != len(axes):
        raise ValueError("all axes must be unique")
    return axes


def _freq_conv(in1, in2, mode, axes, method, threads):
    """fftconvolve/oaconvolve: scipy's rules for `axes` and broadcasting, then the core.

    As scipy: axes where either operand has extent 1 are not convolved but broadcast;
    on the other axes not listed the extents must be equal (one kernel per slice: a
    loop of batched calls here) or one of them 1.
    """
    in1 = _np.asarray(in1)
    in2 = _np.asarray(in2)
    if in1.ndim == in2.ndim == 0:
        return in1 * in2
    _same_rank(in1, in2)
    if in1.size == 0 or in2.size == 0:
        return _np.array([])
    _check_mode(mode)
    s1, s2 = in1.shape, in2.shape
    axes = [a for a in _freq_axes(in1.ndim, axes) if s1[a] != 1 and s2[a] != 1]
    if not all(s1[a] == s2[a] or s1[a] == 1 or s2[a] == 1 for a in range(in1.ndim) if a not in axes):
        raise ValueError("incompatible shapes for in1 and in2: {0} and {1}".format(s1, s2))
    if _inputs_swap_needed(mode, s1, s2, axes=axes):
        in1, in2 = in2, in1
        s1, s2 = s2, s1
    dt = _value_dtype(in1.dtype, in2.dtype)
    x = _np.asarray(in1, dtype=dt)
    k = _np.asarray(in2, dtype=dt)
    if not axes:  # nothing to convolve: a broadcast product, as scipy
        ret = x * k
        return _centered(ret, s1).copy() if mode == 'same' else ret
    paired = []
    for a in range(x.ndim):
        if a in axes or s2[a] == 1:
            continue                      # convolved, or a batch axis of the core
        if s1[a] == 1:                    # in1 broadcast along the kernel
            if mode == 'same':            # scipy keeps in1's extent 1: the kernel's centre
                c = (s2[a] - 1) // 2
                k = k[(slice(None),) * a + (slice(c, c + 1),)]
                continue
            x = _np.broadcast_to(x, x.shape[:a] + (s2[a],) + x.shape[a + 1:])
        paired.append(a)
    if not paired:
        return _run('convolve', x, k, mode, None, 0.0, (), method, threads, axes, dtype=dt)
    out = None
    for idx in _np.ndindex(*[x.shape[a] for a in paired]):
        sl = [slice(None)] * x.ndim
        for a, i in zip(paired, idx):
            sl[a] = slice(i, i + 1)
        sl = tuple(sl)
        r = _run('convolve', x[sl], k[sl], mode, None, 0.0, (), method, threads, axes, dtype=dt)
        if out is None:
            shape = list(r.shape)
            for a in paired:
                shape[a] = x.shape[a]
            out = _np.empty(shape, dt)
        out[sl] = r
    return out


def fftconvolve(in1, in2, mode='full', axes=None, *, threads=None):
    """scipy.signal.fftconvolve: convolution by FFT over `axes` (None: all)."""
    return _freq_conv(in1, in2, mode, axes, 'fft', threads)


def oaconvolve(in1, in2, mode='full', axes=None, *, threads=None):
    """scipy.signal.oaconvolve: blocked FFT convolution (autoconv's overlap-save engine)."""
    return _freq_conv(in1, in2, mode, axes, 'overlap_add', threads)


def _conv2d_args(name, in1, in2, mode, boundary, fillvalue):
    in1 = _np.asarray(in1)
    in2 = _np.asarray(in2)
    if not in1.ndim == in2.ndim == 2:
        raise ValueError('%s inputs must both be 2-D arrays' % name)
    _check_mode(mode)
    if boundary not in _SIGNAL_BOUNDARIES:
        raise ValueError("Acceptable boundary flags are 'fill', 'circular' (or 'wrap'), and "
                         "'symmetric' (or 'symm').")
    complex_data = in1.dtype.kind == 'c' or in2.dtype.kind == 'c'
    fill = _check_cval(fillvalue, complex_data,
                       "could not cast `fillvalue` directly to the output type (it was first converted to complex).")
    return in1, in2, _SIGNAL_BOUNDARIES[boundary], fill


def convolve2d(in1, in2, mode='full', boundary='fill', fillvalue=0, *, threads=None, method='auto'):
    """scipy.signal.convolve2d: 2-D convolution with the input extended per `boundary`."""
    in1, in2, boundary, fill = _conv2d_args('convolve2d', in1, in2, mode, boundary, fillvalue)
    return _run('convolve', in1, in2, mode, boundary, fill, (), method, threads)


def correlate2d(in1, in2, mode='full', boundary='fill', fillvalue=0, *, threads=None, method='auto'):
    """scipy.signal.correlate2d, scipy's numbers included where they differ from correlate.

    Two places (docs/semantics.md): 'same' with an even kernel extent is one sample
    later than correlate's 'same' (scipy#1968), and 'valid' with in2 larger than in1
    returns the conjugate of the correlation. Both are reproduced here.
    """
    in1, in2, boundary, fill = _conv2d_args('correlate2d', in1, in2, mode, boundary, fillvalue)
    if mode == 'same':
        # correlate2d's 'same' = image-style correlate, origin -1 on even axes
        origin = [-(1 - m % 2) for m in in2.shape]
        return _run('correlate', in1, in2, None, boundary, fill, origin, method, threads)
    swapped = _inputs_swap_needed(mode, in1.shape, in2.shape)
    out = _run('correlate', in1, in2, mode, boundary, fill, (), method, threads)
    return _np.conj(out, out=out) if swapped and out.dtype.kind == 'c' else out


# ---------------------------------------------------------------- Plan

def _style(who, mode, boundary, origin):
    """Plan's (and explain's) `mode`/`boundary`/`origin` as the core's (mode, boundary, origin)."""
    if mode in _MODES:
        if boundary is None:
            return mode, None, []
        if boundary in _SIGNAL_BOUNDARIES or boundary in ('constant', 'reflect', 'mirror', 'nearest'):
            return mode, _SIGNAL_BOUNDARIES.get(boundary, boundary), []
        raise ValueError("%s: unknown boundary %r" % (who, boundary))
    if mode in _IMAGE_BOUNDARIES:
        if boundary is not None:
            raise ValueError("%s: an image-style mode (%r) takes no boundary" % (who, mode))
        return None, _IMAGE_BOUNDARIES[mode], [int(o) for o in _np.atleast_1d(origin)]
    raise ValueError("%s: mode must be 'full', 'same', 'valid' or one of %s, not %r"
                     % (who, ', '.join(_IMAGE_BOUNDARIES), mode))


class Plan:
    """A problem decided and precomputed once, run many times: ``Plan(shape, kernel, ...)(x)``.

    shape: the input's shape; kernel: the kernel (copied). The style follows `mode`:

    - 'full' / 'same' / 'valid': scipy.signal style; with `boundary` ('fill', 'wrap',
      'symm' or autoconv's 'constant', 'reflect', 'mirror', 'nearest') and `cval` as
      convolve2d's boundary/fillvalue, any rank.
    - 'reflect', 'mirror', 'nearest', 'wrap', 'constant' (and 'grid-*'): scipy.ndimage
      style, output shape = input shape, with `cval` and `origin`.

    op: 'convolve' or 'correlate'; dtype: the inputs' dtype (default: the kernel's value
    dtype); method: 'auto', 'direct', 'fft', 'overlap_add' or 'separable'; threads as
    everywhere; axes: the axes to convolve (the kernel has extent 1 on the others);
    planning: FFTW effort ('auto' = measure, made once for reuse).

    ``plan(x, out=None)`` returns the result (into `out` when given: dtype equal to the
    plan's, any strides). Properties: input_shape, output_shape, method, dtype.
    """

    def __init__(self, shape, kernel, mode='full', boundary=None, cval=0.0, origin=0, *, op='convolve',
                 dtype=None, method='auto', threads=None, axes=None, planning='auto'):
        kernel = _np.asarray(kernel)
        dt = _value_dtype(kernel.dtype if dtype is None else _np.dtype(dtype))
        if kernel.dtype.kind == 'c' and dt.kind != 'c':
            raise TypeError("autoconv.Plan: a complex kernel needs a complex dtype, not %s" % dt)
        if method not in _OUR_METHODS:
            raise ValueError("autoconv.Plan: method must be one of %s, not %r" % (', '.join(_OUR_METHODS), method))
        shape = tuple(int(s) for s in _np.atleast_1d(shape))
        mode_arg, border, origin = _style('autoconv.Plan', mode, boundary, origin)
        self._plan = _core.Plan(op, list(shape), _np.asarray(kernel, dtype=dt), mode_arg, border, float(cval),
                                origin, method, _threads(threads), list(axes or []), planning)

    def __call__(self, x, out=None):
        x = _np.asarray(x)
        if x.dtype.kind == 'c' and self.dtype.kind != 'c':
            raise TypeError("autoconv.Plan: complex input to a plan of dtype %s" % self.dtype)
        return self._plan(_np.asarray(x, dtype=self.dtype), out)

    input_shape = property(lambda self: self._plan.input_shape, doc="Shape every input must have.")
    output_shape = property(lambda self: self._plan.output_shape, doc="Shape of the result.")
    method = property(lambda self: self._plan.method, doc="The method the plan runs ('direct', 'fft', ...).")
    dtype = property(lambda self: self._plan.dtype, doc="The dtype the plan computes in.")

    def __repr__(self):
        return 'autoconv.Plan(%s -> %s, %s, method=%r)' % (self.input_shape, self.output_shape, self.dtype,
                                                            self.method)


# ---------------------------------------------------------------- the cost model

def explain(in1, in2, mode='full', boundary=None, cval=0.0, origin=0, *, threads=None, axes=None):
    """What method='auto' runs for these arguments, and why: the cost model's decision.

    It describes the module's functions, which make a plan per call (FFTW_ESTIMATE, the
    plan's setup counted); a ``Plan`` made for reuse counts execution alone and may
    choose differently.

    Arguments as Plan's: mode 'full'/'same'/'valid' (with an optional convolve2d-style
    `boundary` and `cval`), or an ndimage mode name (with `cval` and `origin`). The
    arrays' values count (separable kernels, non-finite samples). Returns a Decision:
    ``str(d)`` is its table; ``d.method`` the chosen method ('direct', 'fft',
    'overlap_add', 'separable'); ``d.candidates`` every method weighed, each with
    .method, .seconds, .bytes, .feasible, .detail and .why_not; ``d.problem`` and
    ``d.profile`` the problem in words and where the machine constants came from.
    """
    in1 = _np.asarray(in1)
    in2 = _np.asarray(in2)
    _same_rank(in1, in2)
    dt = _value_dtype(in1.dtype, in2.dtype)
    mode_arg, border, origin = _style('autoconv.explain', mode, boundary, origin)
    return _core.explain(_np.asarray(in1, dtype=dt), _np.asarray(in2, dtype=dt), mode_arg, border,
                         float(_np.real(cval)), origin, _threads(threads), list(axes or []))


def choose_conv_method(in1, in2, mode='full', measure=False, *, threads=None):
    """scipy.signal.choose_conv_method: the method autoconv's cost model picks for convolve.

    Returns scipy's vocabulary, 'direct' or 'fft': autoconv's overlap-add (a blocked FFT)
    is 'fft', its separable passes are 'direct'. measure=True times autoconv's convolve
    with each and returns (the faster, {'direct': seconds, 'fft': seconds}), as scipy.
    """
    in1 = _np.asarray(in1)
    in2 = _np.asarray(in2)
    if in1.ndim == in2.ndim == 0:
        return ('direct', {'direct': 0.0, 'fft': 0.0}) if measure else 'direct'
    _same_rank(in1, in2)
    _check_mode(mode)
    if measure:
        times = {}
        for method in ('fft', 'direct'):
            number, total = _timeit.Timer(lambda: convolve(in1, in2, mode, method, threads=threads)).autorange()
            times[method] = total / number
        return min(times, key=times.get), times
    return _SCIPY_METHOD[explain(in1, in2, mode, threads=threads).method]


from . import ndimage  # noqa: E402  (uses the helpers above)
