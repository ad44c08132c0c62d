"""autoconv.ndimage: scipy.ndimage's convolve, correlate, convolve1d and correlate1d.

Same arguments, defaults and output rules as scipy 1.10 (output shape = input shape,
output dtype = the input's, or its complex twin with complex weights; ``output=`` an
array or a dtype), plus keyword-only ``threads=`` and ``method=``.
"""
import numpy as _np
from numpy.core.multiarray import normalize_axis_index

from . import _IMAGE_BOUNDARIES, _check_cval, _run

__all__ = ['convolve', 'correlate', 'convolve1d', 'correlate1d']


def _output(output, input, complex_output):
    """scipy's _get_output: (array to write into or None, dtype of the result)."""
    if output is None:
        dt = _np.promote_types(input.dtype, _np.complex64) if complex_output else input.dtype
        return None, _np.dtype(dt)
    if isinstance(output, (type, _np.dtype, str)):
        dt = _np.dtype(output)
        if complex_output and dt.kind != 'c':
            if isinstance(output, str):
                raise RuntimeError("output must have complex dtype")
            dt = _np.promote_types(dt, _np.complex64)
        return None, dt
    if output.shape != input.shape:
        raise RuntimeError("output shape not correct")
    if complex_output and output.dtype.kind != 'c':
        raise RuntimeError("output must have complex dtype")
    return output, output.dtype


def _image(op, input, weights, output, mode, cval, origin, threads, method, axes=()):
    input = _np.asarray(input)
    weights = _np.asarray(weights)
    if not isinstance(mode, str):
        raise RuntimeError("A sequence of modes is not supported")
    if mode not in _IMAGE_BOUNDARIES:
        raise RuntimeError('boundary mode not supported')
    if len([n for n in weights.shape if n > 0]) != input.ndim:
        raise RuntimeError('filter weights array has incorrect shape.')
    if isinstance(origin, str) or not _np.iterable(origin):
        origin = [origin] * input.ndim
    origin = [int(o) for o in origin]
    if len(origin) != input.ndim:
        raise RuntimeError("sequence argument must have length equal to input rank")
    complex_output = input.dtype.kind == 'c' or weights.dtype.kind == 'c'
    cval = _check_cval(cval, input.dtype.kind == 'c', "Cannot provide a complex-valued cval when the input is real.")
    out, out_dtype = _output(output, input, complex_output)
    # Computed at the input's precision (scipy computes in double and casts to the
    # input's dtype; float32 data stays float32 here, within the float32 error bound).
    # Integers and bool compute in double.
    single = input.dtype.kind in 'fc' and input.dtype.itemsize <= (8 if input.dtype.kind == 'c' else 4)
    dt = _np.dtype((_np.complex64 if complex_output else _np.float32) if single
                  else (_np.complex128 if complex_output else _np.float64))
    if input.size == 0:
        result = _np.zeros(input.shape, out_dtype)
    else:
        direct = (out is not None and out.dtype == dt and out.flags.writeable
                  and all(s % dt.itemsize == 0 for s in out.strides)
                  and not _np.may_share_memory(input, out))
        result = _run(op, input, weights, None, _IMAGE_BOUNDARIES[mode], cval, origin, method, threads, axes,
                      out=out if direct else None, dtype=dt)
        if direct:
            return out
    if out is None:
        return result if result.dtype == out_dtype else result.astype(out_dtype)
    out[...] = result
    return out


def correlate(input, weights, output=None, mode='reflect', cval=0.0, origin=0, *, threads=None, method='auto'):
    """scipy.ndimage.correlate: out[i] = sum_j conj(w[j]) x_ext[i + j - M//2 - origin]."""
    return _image('correlate', input, weights, output, mode, cval, origin, threads, method)


def convolve(input, weights, output=None, mode='reflect', cval=0.0, origin=0, *, threads=None, method='auto'):
    """scipy.ndimage.convolve: out[i] = sum_j w[j] x_ext[i - j + M//2 + origin]."""
    return _image('convolve', input, weights, output, mode, cval, origin, threads, method)


def _image1d(op, input, weights, axis, output, mode, cval, origin, threads, method):
    input = _np.asarray(input)
    weights = _np.asarray(weights)
    if weights.ndim != 1 or weights.shape[0] < 1:
        raise RuntimeError('no filter weights given')
    axis = normalize_axis_index(axis, input.ndim)
    m = weights.shape[0]
    if (origin < -(m // 2)) or (origin > (m - 1) // 2):
        raise ValueError('Invalid origin; origin must satisfy -(len(weights) // 2) <= origin <= '
                         '(len(weights)-1) // 2')
    shape = [1] * input.ndim
    shape[axis] = m
    origins = [0] * input.ndim
    origins[axis] = int(origin)
    return _image(op, input, weights.reshape(shape), output, mode, cval, origins, threads, method, axes=(axis,))


def correlate1d(input, weights, axis=-1, output=None, mode='reflect', cval=0.0, origin=0, *, threads=None,
                method='auto'):
    """scipy.ndimage.correlate1d: correlate along one axis with 1-D weights."""
    return _image1d('correlate', input, weights, axis, output, mode, cval, origin, threads, method)


def convolve1d(input, weights, axis=-1, output=None, mode='reflect', cval=0.0, origin=0, *, threads=None,
               method='auto'):
    """scipy.ndimage.convolve1d: convolve along one axis with 1-D weights."""
    return _image1d('convolve', input, weights, axis, output, mode, cval, origin, threads, method)
