#!/usr/bin/python3
"""Generate test/data/reference_cases.txt: reference convolution results from scipy.

Run with Debian's interpreter (numpy 1.24, scipy 1.10):

    /usr/bin/python3 scripts/make_reference.py [OUTPUT_PATH]

OUTPUT_PATH defaults to test/data/reference_cases.txt under the repository root
(found from this script's own location).  The output is deterministic (fixed seed).

The semantics are those of docs/semantics.md:

* signal style  - scipy.signal.convolve / correlate (method='direct'), modes
  full / same / valid, no border (zero outside);
* signal style with a border - scipy.signal.convolve2d(boundary='fill'|'wrap'|'symm')
  for 2-D; for rank 1 and 3 the same thing computed as np.pad by M-1 per axis
  followed by scipy.signal.convolve(..., 'valid') and the mode's slice.
  correlate-with-border = convolve2d with the kernel flipped and conjugated
  (scipy's correlate2d 'same' is *not* followed, scipy#1968);
* image style - scipy.ndimage.convolve / correlate, every boundary, origins.

Every scipy result is checked against an independent implementation of the
spec's formulas (explicit extension of the input by index arithmetic - "the
extension is taken modulo its period" - followed by a direct sliding-window sum).
Signal-style disagreements abort the script.  Image-style disagreements print a
WARNING to stderr and the independent (padding) result is written instead, with
the case name suffixed `_padref`.

Note: the independent reference extends the input by index arithmetic rather than
np.pad, because numpy 1.24's np.pad 'wrap' / 'symmetric' / 'reflect' is wrong for
*asymmetric* pads larger than the input (e.g. np.pad([1, 2], (1, 3), 'wrap') gives
[2 1 2 1 2 2]); with equal pads on both sides (the signal-style border case) np.pad
is right, and the script asserts that too.

File format: see the header written at the top of the output file.
"""

import os
import platform
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
import scipy
import scipy.ndimage as ndi
import scipy.signal as ss

SEED = 12345
SCRIPT_REL = 'scripts/make_reference.py'
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, 'test', 'data', 'reference_cases.txt')

DTYPES = {
    'float64': np.float64,
    'float32': np.float32,
    'complex128': np.complex128,
    'complex64': np.complex64,
}
WIDE = {
    'float64': np.float64,
    'float32': np.float64,
    'complex128': np.complex128,
    'complex64': np.complex128,
}
REAL_OF = {'complex128': 'float64', 'complex64': 'float32'}
EPS = {
    'float64': np.finfo(np.float64).eps,
    'float32': np.finfo(np.float32).eps,
    'complex128': np.finfo(np.float64).eps,
    'complex64': np.finfo(np.float32).eps,
}
# dtype rotation (odd length, so it does not lock onto the op alternation)
DTYPE_CYCLE = ['float64', 'float32', 'complex128', 'float64', 'float32',
               'complex64', 'float64']
MAXD = {1: 17, 2: 9, 3: 6, 4: 4}      # largest extent per rank
IMAGE_BOUNDARIES = [('reflect', 0.0), ('mirror', 0.0), ('nearest', 0.0),
                    ('wrap', 0.0), ('constant', 0.0), ('constant', 0.5)]
# signal-style border: (our boundary, convolve2d name, np.pad name, cval)
SIGNAL_BORDERS = [('constant', 'fill', 'constant', 0.0),
                  ('constant', 'fill', 'constant', 0.5),
                  ('wrap', 'wrap', 'wrap', 0.0),
                  ('reflect', 'symm', 'symmetric', 0.0)]
FILL_VALUES = [0.5, -1.25, 2.0]

rng = np.random.default_rng(SEED)
_counter = {'dtype': 0, 'pos': 0, 'name': 0}
WARNINGS = []          # (name, reason)
NOTES = {}             # free-form observations for the summary


def note(key, inc=1):
    NOTES[key] = NOTES.get(key, 0) + inc


def next_dtype():
    d = DTYPE_CYCLE[_counter['dtype'] % len(DTYPE_CYCLE)]
    _counter['dtype'] += 1
    return d


def next_positive():
    """Every fifth kernel is all-positive."""
    _counter['pos'] += 1
    return _counter['pos'] % 5 == 0


def rand_array(shape, dtype, positive=False):
    lo = 0.0 if positive else -1.0
    re = rng.uniform(lo, 1.0, size=tuple(int(s) for s in shape))
    if dtype.startswith('complex'):
        im = rng.uniform(lo, 1.0, size=re.shape)
        a = re + 1j * im
    else:
        a = re
    return a.astype(DTYPES[dtype])


def rint(lo, hi):
    """Random integer in [lo, hi] inclusive."""
    return int(rng.integers(lo, hi + 1))


# --------------------------------------------------------------------------
# shapes
# --------------------------------------------------------------------------

def _with_parity(m, n, parity):
    """Adjust kernel extent m (1 <= m <= n) to the requested parity."""
    if parity == 'mixed':
        return m
    want_odd = parity == 'odd'
    if (m % 2 == 1) == want_odd:
        return m
    if m > 1:
        return m - 1
    return m + 1 if m + 1 <= n else m


def shapes_small(rank, parity):
    """Kernel no larger than the input on every axis."""
    lo = 3 if rank == 1 else (2 if rank < 4 else 1)
    hi = 12 if rank == 1 else MAXD[rank]
    n = [rint(lo, hi) for _ in range(rank)]
    kmax = {1: 7, 2: 5, 3: 4, 4: 3}[rank]
    m = [_with_parity(rint(1, min(nn, kmax)), nn, parity) for nn in n]
    return n, m


def shapes_bigall(rank):
    """Kernel strictly larger than the input on every axis."""
    hi = MAXD[rank]
    n = [rint(1, max(1, hi // 2 - (1 if rank > 1 else 0))) for _ in range(rank)]
    m = [rint(nn + 1, hi) for nn in n]
    return n, m


def shapes_bigsome(rank):
    """Kernel larger than the input on some axes, not larger on the others."""
    if rank == 1:
        return shapes_bigall(1)
    hi = MAXD[rank]
    nbig = rint(1, rank - 1)
    big = set(int(a) for a in rng.permutation(rank)[:nbig])
    n, m = [], []
    for a in range(rank):
        if a in big:
            nn = rint(1, max(1, hi // 2 - 1))
            n.append(nn)
            m.append(rint(nn + 1, hi))
        else:
            nn = rint(2, hi)
            n.append(nn)
            m.append(rint(1, min(nn, 5)))
    return n, m


def shapes_validerr(rank):
    """Neither operand at least as large as the other on every axis."""
    assert rank >= 2
    n, m = shapes_bigsome(rank)
    # make sure some non-big axis is strictly smaller in the kernel
    small_axes = [a for a in range(rank) if m[a] <= n[a]]
    a = small_axes[0]
    if m[a] == n[a]:
        if n[a] == 1:
            n[a] = 2
        m[a] = n[a] - 1
    return n, m


def shapes_equal(rank):
    n = [rint(1, min(MAXD[rank], 7)) for _ in range(rank)]
    return n, list(n)


def shapes_for(config, rank):
    if config in ('odd', 'even', 'mixed'):
        return shapes_small(rank, config)
    if config == 'bigall':
        return shapes_bigall(rank)
    if config == 'bigsome':
        return shapes_bigsome(rank)
    if config == 'equal':
        return shapes_equal(rank)
    if config == 'validerr':
        return shapes_validerr(rank)
    raise ValueError(config)


# --------------------------------------------------------------------------
# independent reference (the spec's formulas)
# --------------------------------------------------------------------------

def flip_all(k):
    return k[tuple(slice(None, None, -1) for _ in range(k.ndim))]


def flipconj(k):
    return np.conj(flip_all(k))


def ext_index(t, n, boundary):
    t = np.asarray(t)
    if boundary == 'wrap':
        return t % n
    if boundary == 'reflect':
        u = t % (2 * n)
        return np.where(u < n, u, 2 * n - 1 - u)
    if boundary == 'mirror':
        if n == 1:
            return np.zeros_like(t)
        u = t % (2 * n - 2)
        return np.where(u < n, u, 2 * n - 2 - u)
    if boundary == 'nearest':
        return np.clip(t, 0, n - 1)
    raise ValueError(boundary)


def extend(x, pads, boundary, cval=0.0):
    """Extend x by pads[(before, after)] per axis, periodic extension by index math."""
    for ax, (lo, hi) in enumerate(pads):
        n = x.shape[ax]
        t = np.arange(-lo, n + hi)
        if boundary in ('constant', 'none'):
            inside = (t >= 0) & (t < n)
            y = np.take(x, np.clip(t, 0, n - 1), axis=ax)
            shp = [1] * x.ndim
            shp[ax] = len(t)
            c = np.asarray(cval if boundary == 'constant' else 0.0, dtype=x.dtype)
            x = np.where(inside.reshape(shp), y, c)
        else:
            x = np.take(x, ext_index(t, n, boundary), axis=ax)
    return x


def slide_sum(xp, w):
    """out[i] = sum_j w[j] * xp[i + j]  (no conjugation, no flip)."""
    win = sliding_window_view(xp, w.shape)
    return np.tensordot(win, w, axes=w.ndim)


def spec_signal(x, k, op, mode, boundary, cval):
    """Signal style per docs/semantics.md; raises ValueError('valid') when impossible."""
    wide = np.complex128 if np.iscomplexobj(x) or np.iscomplexobj(k) else np.float64
    x = x.astype(wide)
    k = k.astype(wide)
    kk = k if op == 'convolve' else flipconj(k)
    N, M = x.shape, kk.shape
    if mode == 'valid':
        full = slide_sum(extend(x, [(m - 1, m - 1) for m in M], 'none'), flip_all(kk))
        if all(n >= m for n, m in zip(N, M)):
            sl = tuple(slice(m - 1, n) for n, m in zip(N, M))
        elif all(m >= n for n, m in zip(N, M)):
            sl = tuple(slice(n - 1, m) for n, m in zip(N, M))
        else:
            raise ValueError('valid')
        return full[sl]
    full = slide_sum(extend(x, [(m - 1, m - 1) for m in M], boundary, cval), flip_all(kk))
    if mode == 'full':
        return full
    sl = tuple(slice((m - 1) // 2, (m - 1) // 2 + n) for n, m in zip(N, M))
    return full[sl]


def origin_ok(origin, M):
    return all(-(m // 2) <= o <= (m - 1) // 2 for o, m in zip(origin, M))


def spec_image(x, w, op, boundary, cval, origin):
    """Image style per docs/semantics.md; raises ValueError('origin') when out of range."""
    wide = np.complex128 if np.iscomplexobj(x) or np.iscomplexobj(w) else np.float64
    x = x.astype(wide)
    w = w.astype(wide)
    M = w.shape
    if not origin_ok(origin, M):
        raise ValueError('origin')
    pads = []
    for m, o in zip(M, origin):
        # correlate: out[i] = sum_j conj(w[j]) x_ext[i + j - (m//2 + o)]
        # convolve:  out[i] = sum_j w[j] x_ext[i - j + m//2 + o]
        #          = sum_j' w[m-1-j'] x_ext[i + j' - (m-1 - m//2 - o)]
        lo = (m // 2 + o) if op == 'correlate' else (m - 1 - m // 2 - o)
        pads.append((lo, m - 1 - lo))
    ww = np.conj(w) if op == 'correlate' else flip_all(w)
    return slide_sum(extend(x, pads, boundary, cval), ww)


NP_PAD = {'reflect': 'symmetric', 'mirror': 'reflect', 'nearest': 'edge',
          'wrap': 'wrap', 'constant': 'constant'}


def nppad_image(x, w, op, boundary, cval, origin):
    """Same as spec_image but extending with np.pad (for the numpy-bug census)."""
    wide = np.complex128 if np.iscomplexobj(x) or np.iscomplexobj(w) else np.float64
    xp = x.astype(wide)
    w = w.astype(wide)
    for ax, (m, o) in enumerate(zip(w.shape, origin)):
        lo = (m // 2 + o) if op == 'correlate' else (m - 1 - m // 2 - o)
        pw = [(0, 0)] * x.ndim
        pw[ax] = (lo, m - 1 - lo)
        pm = NP_PAD[boundary]
        if pm == 'reflect' and x.shape[ax] == 1:
            pm = 'edge'          # mirror with N = 1 behaves as nearest
        kw = {'constant_values': cval} if pm == 'constant' else {}
        xp = np.pad(xp, pw, mode=pm, **kw)
    ww = np.conj(w) if op == 'correlate' else flip_all(w)
    return slide_sum(xp, ww)


def tol_for(dtype, x, k, cval=0.0):
    scale = float(np.sum(np.abs(k.astype(WIDE[dtype])))) * max(
        float(np.max(np.abs(x.astype(WIDE[dtype])))), abs(cval), 1e-300)
    return 8.0 * EPS[dtype] * max(k.size, 4) * max(scale, 1.0)


def maxdiff(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        return np.inf
    return float(np.max(np.abs(a.astype(np.complex128) - b.astype(np.complex128))))


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------

CASES = []


def add_case(name, category, op, style, mode, boundary, cval, origin, dtype,
             x, k, expect):
    """expect: ndarray, or ('error', word)."""
    for a in (x, k):
        assert a.dtype == DTYPES[dtype], (name, a.dtype, dtype)
    if not (isinstance(expect, tuple) and expect[0] == 'error'):
        expect = np.asarray(expect)
        if expect.dtype != DTYPES[dtype]:
            note('scipy output dtype differed from the case dtype (cast): %s -> %s'
                 % (expect.dtype, dtype))
            expect = expect.astype(DTYPES[dtype])
        assert np.all(np.isfinite(expect)), name
    assert ' ' not in name
    CASES.append(dict(name=name, category=category, op=op, style=style, mode=mode,
                      boundary=boundary, cval=float(cval), origin=list(origin),
                      dtype=dtype, x=x, k=k, expect=expect))


def uname(prefix):
    _counter['name'] += 1
    return '%s_%03d' % (prefix, _counter['name'])


def dshort(dtype):
    return {'float64': 'f64', 'float32': 'f32', 'complex128': 'c128',
            'complex64': 'c64'}[dtype]


# ---- signal style, no border ---------------------------------------------

def scipy_signal(x, k, op, mode):
    f = ss.convolve if op == 'convolve' else ss.correlate
    return f(x, k, mode=mode, method='direct')


def make_signal_plain(rank, op, mode, config, dtype=None, real_kernel=False,
                      shapes=None):
    dtype = dtype or next_dtype()
    n, m = shapes if shapes is not None else shapes_for(config, rank)
    x = rand_array(n, dtype)
    pos = next_positive()
    if real_kernel:
        kr = rand_array(m, REAL_OF[dtype], pos)
        k = kr.astype(DTYPES[dtype])
    else:
        kr = k = rand_array(m, dtype, pos)
    name = uname('sig_r%d_%s_%s_%s_%s%s' % (rank, op[:4], mode, config, dshort(dtype),
                                            '_realk' if real_kernel else ''))
    try:
        ref = spec_signal(x, k, op, mode, 'none', 0.0)
    except ValueError:
        ref = None
    try:
        got = scipy_signal(x, kr, op, mode)
    except ValueError:
        got = None
    if ref is None or got is None:
        assert ref is None and got is None, ('valid error mismatch', name, n, m)
        add_case(name, 'error_valid', op, 'signal', mode, 'none', 0.0, [], dtype, x, k,
                 ('error', 'valid'))
        return
    d = maxdiff(got, ref)
    assert d <= tol_for(dtype, x, k), ('signal style disagrees with spec', name, n, m, d)
    add_case(name, 'signal_plain', op, 'signal', mode, 'none', 0.0, [], dtype, x, k, got)


# ---- signal style with a border ------------------------------------------

def make_signal_border2d(op, mode, config, border, dtype=None, real_kernel=False):
    ours, c2d, _, cval = border
    dtype = dtype or next_dtype()
    n, m = shapes_for(config, 2)
    x = rand_array(n, dtype)
    pos = next_positive()
    if real_kernel:
        kr = rand_array(m, REAL_OF[dtype], pos)
        k = kr.astype(DTYPES[dtype])
    else:
        kr = k = rand_array(m, dtype, pos)
    bname = c2d + ('%g' % cval if c2d == 'fill' else '')
    name = uname('sigb_r2_%s_%s_%s_%s_%s%s' % (op[:4], mode, bname.replace('.', 'p')
                                               .replace('-', 'm'), config, dshort(dtype),
                                               '_realk' if real_kernel else ''))
    try:
        ref = spec_signal(x, k, op, mode, ours, cval)
    except ValueError:
        ref = None
    kk = kr if op == 'convolve' else flipconj(kr)
    try:
        got = ss.convolve2d(x, kk, mode=mode, boundary=c2d, fillvalue=cval)
    except ValueError:
        got = None
    if ref is None or got is None:
        assert ref is None and got is None, ('valid error mismatch', name, n, m)
        add_case(name, 'error_valid', op, 'signal', mode, ours, cval, [], dtype, x, k,
                 ('error', 'valid'))
        return
    d = maxdiff(got, ref)
    assert d <= tol_for(dtype, x, k, cval), ('convolve2d disagrees with spec', name, n, m, d)
    # the brief's padding recipe (np.pad by M-1 per axis, then 'valid') must agree
    alt = pad_recipe(x, kk, mode, border)
    assert maxdiff(alt, got) <= tol_for(dtype, x, k, cval), ('pad recipe != convolve2d', name)
    if op == 'correlate':
        # census of scipy's correlate2d behaviour (scipy#1968), not written out
        try:
            c2 = ss.correlate2d(x, kr, mode=mode, boundary=c2d, fillvalue=cval)
            if maxdiff(c2, got) > tol_for(dtype, x, k, cval):
                if mode == 'valid':
                    why = ('kernel larger on every axis (swapped), %s data'
                           % ('complex' if np.iscomplexobj(x) else 'real'))
                else:
                    why = ('kernel shape has %s' % ('an even axis' if any(mm % 2 == 0 for mm in m)
                                                    else 'only odd axes'))
                note('scipy correlate2d differs from the flip+conj rule (not used): '
                     'mode=%s, %s' % (mode, why))
            else:
                note('correlate2d agrees with the flip+conj rule: mode=%s' % mode)
        except ValueError:
            pass
    add_case(name, 'signal_border2d', op, 'signal', mode, ours, cval, [], dtype, x, k, got)


def pad_recipe(x, kk, mode, border):
    """np.pad by M-1 per axis + scipy.signal.convolve 'valid', then the mode's slice.
    kk is the kernel already flipped/conjugated for correlate."""
    _, _, npmode, cval = border
    N, M = x.shape, kk.shape
    if mode == 'valid':
        return ss.convolve(x, kk, mode='valid', method='direct')
    kw = {'constant_values': cval} if npmode == 'constant' else {}
    xp = np.pad(x, [(mm - 1, mm - 1) for mm in M], mode=npmode, **kw)
    full = ss.convolve(xp, kk, mode='valid', method='direct')
    if mode == 'full':
        return full
    return full[tuple(slice((mm - 1) // 2, (mm - 1) // 2 + nn) for nn, mm in zip(N, M))]


def make_signal_borderpad(rank, op, mode, config, border, dtype=None):
    ours, c2d, npmode, cval = border
    dtype = dtype or next_dtype()
    n, m = shapes_for(config, rank)
    x = rand_array(n, dtype)
    k = rand_array(m, dtype, next_positive())
    bname = c2d + ('%g' % cval if c2d == 'fill' else '')
    name = uname('sigb_r%d_%s_%s_%s_%s_%s' % (rank, op[:4], mode, bname.replace('.', 'p')
                                              .replace('-', 'm'), config, dshort(dtype)))
    try:
        ref = spec_signal(x, k, op, mode, ours, cval)
    except ValueError:
        ref = None
    kk = k if op == 'convolve' else flipconj(k)
    try:
        got = pad_recipe(x, kk, mode, border)
    except ValueError:
        got = None
    if ref is None or got is None:
        assert ref is None and got is None, ('valid error mismatch', name, n, m)
        add_case(name, 'error_valid', op, 'signal', mode, ours, cval, [], dtype, x, k,
                 ('error', 'valid'))
        return
    d = maxdiff(got, ref)
    assert d <= tol_for(dtype, x, k, cval), ('pad recipe disagrees with spec', name, n, m, d)
    add_case(name, 'signal_border_pad', op, 'signal', mode, ours, cval, [], dtype, x, k, got)


# ---- image style ---------------------------------------------------------

def scipy_image(x, w, op, boundary, cval, origin):
    f = ndi.convolve if op == 'convolve' else ndi.correlate
    return f(x, w, mode=boundary, cval=cval, origin=list(origin))


def pick_origin(m, kind):
    if kind == 'zero':
        return [0] * len(m)
    if kind == 'min':
        return [-(mm // 2) for mm in m]
    if kind == 'max':
        return [(mm - 1) // 2 for mm in m]
    if kind == 'mixed':
        out = []
        for a, mm in enumerate(m):
            choice = rint(0, 3)
            lo, hi = -(mm // 2), (mm - 1) // 2
            out.append([lo, hi, 0, rint(lo, hi)][choice])
        # ensure at least two distinct kinds when possible
        if len(m) >= 2 and len(set(out)) == 1:
            out[0] = -(m[0] // 2)
            out[-1] = (m[-1] - 1) // 2
        return out
    if kind == 'random':
        return [rint(-(mm // 2), (mm - 1) // 2) for mm in m]
    raise ValueError(kind)


def make_image(rank, op, boundary, cval, config, okind, dtype=None, real_kernel=False,
               shapes=None, tag=''):
    dtype = dtype or next_dtype()
    n, m = shapes if shapes is not None else shapes_for(config, rank)
    origin = pick_origin(m, okind)
    x = rand_array(n, dtype)
    pos = next_positive()
    if real_kernel:
        kr = rand_array(m, REAL_OF[dtype], pos)
        k = kr.astype(DTYPES[dtype])
    else:
        kr = k = rand_array(m, dtype, pos)
    bname = boundary + ('%g' % cval if (boundary == 'constant' and cval != 0) else '')
    name = uname('img_r%d_%s_%s_%s_o%s_%s%s%s' % (
        rank, op[:4], bname.replace('.', 'p'), config, okind, dshort(dtype),
        '_realk' if real_kernel else '', tag))
    ref = spec_image(x, k, op, boundary, cval, origin)
    got = scipy_image(x, kr, op, boundary, cval, origin)
    tol = tol_for(dtype, x, k, cval)
    # census of numpy's np.pad against the spec extension
    try:
        alt = nppad_image(x, k, op, boundary, cval, origin)
        if maxdiff(alt, ref) > tol:
            note('np.pad-based image reference disagrees with the periodic extension '
                 '(numpy 1.24 asymmetric large pad bug): %s' % name)
    except ValueError:
        note('np.pad raised for boundary=%s' % boundary)
    d = maxdiff(got, ref)
    if d > tol:
        pads = [((mm // 2 + o) if op == 'correlate' else (mm - 1 - mm // 2 - o))
                for mm, o in zip(m, origin)]
        reason = ('scipy.ndimage.%s mode=%r disagrees with the periodic-extension '
                  'reference (max |diff| %.3g); input %s kernel %s origin %s, '
                  'left extension per axis %s' % (op, boundary, d, tuple(n), tuple(m),
                                                  origin, pads))
        print('WARNING: %s_padref: %s' % (name, reason), file=sys.stderr)
        WARNINGS.append((name + '_padref', reason))
        name = name + '_padref'
        expect = ref.astype(DTYPES[dtype])
        category = 'image_padref'
    else:
        expect = got
        category = 'image'
    add_case(name, category, op, 'image', 'none', boundary, cval, origin, dtype, x, k,
             expect)


def make_image_origin_error(rank, op, dtype, shapes, origin, boundary='reflect'):
    n, m = shapes
    x = rand_array(n, dtype)
    k = rand_array(m, dtype, next_positive())
    name = uname('imgerr_r%d_%s_origin_%s' % (rank, op[:4], dshort(dtype)))
    assert not origin_ok(origin, m)
    try:
        scipy_image(x, k, op, boundary, 0.0, origin)
    except ValueError:
        pass
    else:
        raise AssertionError('scipy accepted an out-of-range origin: %s' % name)
    add_case(name, 'error_origin', op, 'image', 'none', boundary, 0.0, origin, dtype, x, k,
             ('error', 'origin'))


# ---- named cases ---------------------------------------------------------

def close_to(got, want, tol, what):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    d = float(np.max(np.abs(got - want)))
    assert d <= tol, (what, d)


def make_named():
    f64 = np.float64
    x = np.array([1, 2, 3, 4, 5], f64)
    k2 = np.array([1, 10], f64)
    k4 = np.array([1, 10, 100, 1000], f64)
    r = ss.convolve(x, k2, 'full', method='direct')
    close_to(r, [1, 12, 23, 34, 45, 50], 1e-12, 'semantics conv1d full')
    add_case('semantics_conv1d_full', 'named_semantics', 'convolve', 'signal', 'full',
             'none', 0.0, [], 'float64', x, k2, r)
    r = ss.convolve(x, k2, 'same', method='direct')
    close_to(r, [1, 12, 23, 34, 45], 1e-12, 'semantics conv1d same')
    add_case('semantics_conv1d_same', 'named_semantics', 'convolve', 'signal', 'same',
             'none', 0.0, [], 'float64', x, k2, r)
    r = ss.convolve(x, k4, 'same', method='direct')
    close_to(r, [12, 123, 1234, 2345, 3450], 1e-12, 'semantics conv1d same k4')
    add_case('semantics_conv1d_same_k4', 'named_semantics', 'convolve', 'signal', 'same',
             'none', 0.0, [], 'float64', x, k4, r)

    X = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], f64)
    K = np.array([[1, 10], [100, 1000]], f64)
    same2 = [[1, 12, 23], [104, 1245, 2356], [407, 4578, 5689]]
    r = ss.convolve(X, K, 'same', method='direct')
    close_to(r, same2, 1e-12, 'semantics conv2d same')
    add_case('semantics_conv2d_same', 'named_semantics', 'convolve', 'signal', 'same',
             'none', 0.0, [], 'float64', X, K, r)
    r = ndi.convolve(X, K, mode='reflect')
    close_to(r, [[1245, 2356, 3366], [4578, 5689, 6699], [7878, 8989, 9999]], 1e-12,
             'semantics image reflect')
    close_to(r, spec_image(X, K, 'convolve', 'reflect', 0.0, [0, 0]), 1e-12, 'spec')
    add_case('semantics_image_conv2d_reflect', 'named_semantics', 'convolve', 'image',
             'none', 'reflect', 0.0, [], 'float64', X, K, r)
    r = ndi.convolve(X, K, mode='constant', cval=0.0, origin=-1)
    close_to(r, same2, 1e-12, 'semantics image constant origin -1')
    add_case('semantics_image_conv2d_constant_origin_m1', 'named_semantics', 'convolve',
             'image', 'none', 'constant', 0.0, [-1, -1], 'float64', X, K, r)

    # REFERENCE_EXAMPLES.md
    sig = np.arange(1, 10, dtype=f64)
    ker = np.array([0.2, 0.5, 0.2])
    want = [0.9, 1.8, 2.7, 3.6, 4.5, 5.4, 6.3, 7.2, 6.1]
    r_np = np.convolve(sig, ker, mode='same')
    r = ss.convolve(sig, ker, 'same', method='direct')
    close_to(r_np, want, 1e-12, 'refex 1d numpy')
    close_to(r, r_np, 1e-15, 'refex 1d scipy == numpy')
    add_case('refex_1d_numpy_convolve_same', 'named_refex', 'convolve', 'signal', 'same',
             'none', 0.0, [], 'float64', sig, ker, r_np)

    img = np.arange(1, 17, dtype=f64).reshape(4, 4)
    ker2 = np.array([[0.1, 0.2, 0.1], [0.2, 0.4, 0.2], [0.1, 0.2, 0.1]])
    want2 = [[2.4, 4., 5.2, 4.5], [6.4, 9.6, 11.2, 9.2], [11.2, 16., 17.6, 14.],
             [10.8, 15.2, 16.4, 12.9]]
    r = ss.convolve2d(img, ker2, mode='same', boundary='fill', fillvalue=0)
    close_to(r, want2, 1e-12, 'refex 2d convolve2d')
    add_case('refex_2d_convolve2d_same_fill', 'named_refex', 'convolve', 'signal', 'same',
             'constant', 0.0, [], 'float64', img, ker2, r)

    vol = np.array([
        [[0.46186776, 0.09130699, 0.36913034, 0.51669149],
         [0.90316515, 0.38362845, 0.90886156, 0.60454144],
         [0.80756784, 0.28656032, 0.73140925, 0.75789388],
         [0.36958966, 0.66157156, 0.19902489, 0.89519004]],
        [[0.04953332, 0.98571523, 0.80654445, 0.47526839],
         [0.67375222, 0.31837149, 0.20836025, 0.10996474],
         [0.48799518, 0.34754979, 0.85689208, 0.21079349],
         [0.91936308, 0.79818294, 0.18737238, 0.01728286]],
        [[0.50793178, 0.93691426, 0.00515023, 0.29870646],
         [0.22871996, 0.3098202, 0.0396516, 0.98755326],
         [0.3347781, 0.56108282, 0.89520242, 0.77143481],
         [0.64504437, 0.0133608, 0.61686021, 0.01443242]],
        [[0.96126985, 0.11224998, 0.79332687, 0.0438432],
         [0.39348891, 0.36066344, 0.06157876, 0.29697117],
         [0.40409768, 0.88212056, 0.22872878, 0.7545221],
         [0.09578231, 0.06486727, 0.94749091, 0.79605238]]])
    want3 = [
        [[0.14323484, 0.22815693, 0.21401425, 0.14812454],
         [0.21470421, 0.35845228, 0.3322031, 0.24282783],
         [0.25767769, 0.37219326, 0.3142019, 0.21065136],
         [0.17327335, 0.24641033, 0.22036013, 0.14280959]],
        [[0.21669359, 0.30327501, 0.30948818, 0.19742312],
         [0.32134299, 0.49990604, 0.51018517, 0.35385371],
         [0.33518903, 0.5071755, 0.47010555, 0.3338045],
         [0.23083876, 0.35997806, 0.32674433, 0.2279181]],
        [[0.21623817, 0.28714973, 0.26483904, 0.15284887],
         [0.32800203, 0.47227742, 0.46885114, 0.29053678],
         [0.29033486, 0.44004365, 0.43174681, 0.29633869],
         [0.20571203, 0.34395451, 0.33200848, 0.23322462]],
        [[0.14115031, 0.17447281, 0.15727516, 0.0935845],
         [0.22196806, 0.29691764, 0.30887114, 0.19172851],
         [0.15903061, 0.26234589, 0.31860718, 0.23742514],
         [0.11115311, 0.21071912, 0.2424502, 0.18610089]]]
    ker3 = np.ones((3, 3, 3)) / 27
    r = ndi.convolve(vol, ker3, mode='constant', cval=0.0)
    close_to(r, want3, 1e-7, 'refex 3d ndimage')
    add_case('refex_3d_ndimage_convolve_constant', 'named_refex', 'convolve', 'image',
             'none', 'constant', 0.0, [], 'float64', vol, ker3, r)


# ---- self checks asked for explicitly ------------------------------------

def self_checks():
    # np.pad 'wrap'/'symmetric' with equal pads larger than N == convolve2d (2-D)
    x = rand_array((3, 2), 'float64')
    k = rand_array((7, 9), 'float64')
    for c2d, npm in (('wrap', 'wrap'), ('symm', 'symmetric')):
        xp = np.pad(x, [(6, 6), (8, 8)], mode=npm)
        full = ss.convolve(xp, k, 'valid', method='direct')
        assert maxdiff(full, ss.convolve2d(x, k, 'full', boundary=c2d)) < 1e-12, c2d
        same = full[3:3 + 3, 4:4 + 2]
        assert maxdiff(same, ss.convolve2d(x, k, 'same', boundary=c2d)) < 1e-12, c2d
    # ndimage 'wrap' == np.pad 'wrap' + valid convolution, kernel larger than input
    # (odd kernel, origin 0: equal pads, where numpy 1.24's np.pad is right)
    x = rand_array((3, 2), 'float64')
    k = rand_array((9, 7), 'float64')
    xp = np.pad(x, [(4, 4), (3, 3)], mode='wrap')
    assert maxdiff(ndi.convolve(x, k, mode='wrap'),
                   ss.convolve(xp, k, 'valid', method='direct')) < 1e-12
    # ... and with origins at the ends (asymmetric pads, periodic index extension)
    for org in ([-4, 3], [4, -3]):
        assert maxdiff(ndi.convolve(x, k, mode='wrap', origin=org),
                       spec_image(x, k, 'convolve', 'wrap', 0.0, org)) < 1e-12
    # numpy 1.24's np.pad bug with asymmetric large pads (documented, not relied upon)
    bad = np.pad(np.array([1, 2]), (1, 3), mode='wrap').tolist()
    if bad != [2, 1, 2, 1, 2, 1]:
        NOTES['np.pad([1,2], (1,3), "wrap") = %s (expected [2, 1, 2, 1, 2, 1])' % bad] = 1
    # ndimage wrap/constant are the same as grid-wrap/grid-constant for filters
    x = rand_array((4, 5), 'float64')
    k = rand_array((6, 3), 'float64')
    assert maxdiff(ndi.correlate(x, k, mode='wrap'),
                   ndi.correlate(x, k, mode='grid-wrap')) == 0.0
    assert maxdiff(ndi.correlate(x, k, mode='constant', cval=0.5),
                   ndi.correlate(x, k, mode='grid-constant', cval=0.5)) == 0.0
    assert maxdiff(ndi.correlate(x, k, mode='reflect'),
                   ndi.correlate(x, k, mode='grid-mirror')) == 0.0


# --------------------------------------------------------------------------
# generation plan
# --------------------------------------------------------------------------

def generate():
    self_checks()
    make_named()

    ops = ('convolve', 'correlate')

    # 1. signal style, no border: ranks 1-4
    for rank in (1, 2, 3, 4):
        for op in ops:
            for mode in ('full', 'same'):
                configs = ['odd', 'even', 'mixed', 'bigall'] + (['bigsome'] if rank > 1 else [])
                for cfg in configs:
                    make_signal_plain(rank, op, mode, cfg)
            configs = ['odd', 'even', 'bigall', 'equal'] + (['validerr'] if rank > 1 else [])
            for cfg in configs:
                make_signal_plain(rank, op, 'valid', cfg)
    # extra dtype coverage, rank 2: every dtype x op x mode
    for rank in (2,):
        for dtype in DTYPES:
            for op in ops:
                for mode in ('full', 'same', 'valid'):
                    make_signal_plain(rank, op, mode, 'mixed', dtype=dtype)
    # degenerate extents: M = 1 everywhere, N = 1 axes
    for op in ops:
        make_signal_plain(2, op, 'same', 'm1', shapes=([5, 4], [1, 1]))
        make_signal_plain(3, op, 'full', 'n1', shapes=([1, 4, 1], [2, 3, 1]))
        make_signal_plain(1, op, 'valid', 'n1', shapes=([1], [6]))
        make_signal_plain(1, op, 'same', 'big17', shapes=([3], [17]))
    # real kernel on complex data
    for dtype in ('complex128', 'complex64'):
        for op in ops:
            make_signal_plain(2, op, 'same', 'mixed', dtype=dtype, real_kernel=True)
            make_signal_plain(1, op, 'full', 'odd', dtype=dtype, real_kernel=True)

    # 2. signal style with a border, 2-D (convolve2d)
    for border in SIGNAL_BORDERS:
        for op in ops:
            for mode in ('full', 'same'):
                for cfg in (('odd', 'bigsome', 'bigall') if mode == 'full'
                            else ('odd', 'even', 'bigsome', 'bigall')):
                    make_signal_border2d(op, mode, cfg, border)
            for cfg in ('mixed', 'bigall', 'validerr'):
                make_signal_border2d(op, 'valid', cfg, border)
    # nonzero fill values other than 0.5
    for i, fv in enumerate(FILL_VALUES[1:]):
        border = ('constant', 'fill', 'constant', fv)
        for op in ops:
            make_signal_border2d(op, 'same', 'mixed', border)
            make_signal_border2d(op, 'full', 'bigall', border)
    for dtype in ('complex128', 'complex64'):
        make_signal_border2d('correlate', 'same', 'mixed', SIGNAL_BORDERS[3], dtype=dtype,
                             real_kernel=True)
        make_signal_border2d('convolve', 'same', 'bigall', SIGNAL_BORDERS[2], dtype=dtype,
                             real_kernel=True)

    # 2b. signal style with a border, ranks 1 and 3 (np.pad recipe)
    for rank in (1, 3):
        for bi, border in enumerate(SIGNAL_BORDERS):
            for mi, mode in enumerate(('full', 'same')):
                for ci, cfg in enumerate(('mixed', 'bigall' if rank == 1 else 'bigsome')):
                    op = ops[(bi + mi + ci) % 2]
                    make_signal_borderpad(rank, op, mode, cfg, border)
            make_signal_borderpad(rank, ops[rank % 2], 'valid', 'mixed', border)
    for border in SIGNAL_BORDERS[1:]:
        make_signal_borderpad(3, 'correlate', 'same', 'bigall', border)

    # 3. image style
    plan = [('odd', 'zero'), ('even', 'zero'), ('mixed', 'min'), ('mixed', 'max'),
            ('mixed', 'mixed'), ('bigall', 'random'), ('bigsome', 'mixed')]
    for rank in (1, 2, 3, 4):
        for boundary, cval in IMAGE_BOUNDARIES:
            for op in ops:
                for cfg, okind in plan:
                    if (rank == 4 and okind == 'zero') or (rank == 3 and cfg == 'odd'):
                        continue
                    if rank == 1 and cfg == 'bigsome':
                        cfg, okind = 'bigall', ('min' if op == 'convolve' else 'max')
                    if rank == 1 and okind == 'mixed':
                        okind = 'random'
                    make_image(rank, op, boundary, cval, cfg, okind)
    # length-1 axes under every boundary (Mirror with N = 1 behaves as Nearest)
    for boundary, cval in IMAGE_BOUNDARIES:
        for op in ops:
            make_image(2, op, boundary, cval, 'n1', 'mixed', shapes=([1, 6], [3, 4]))
            make_image(3, op, boundary, cval, 'n1big', 'random',
                       shapes=([1, 3, 1], [4, 5, 3]))
    make_image(1, 'correlate', 'mirror', 0.0, 'n1', 'max', shapes=([1], [6]))
    make_image(1, 'convolve', 'mirror', 0.0, 'n1', 'min', shapes=([1], [7]))
    # kernels much larger than the input, extreme origins (large extensions)
    for boundary, cval in IMAGE_BOUNDARIES:
        for op in ops:
            make_image(1, op, boundary, cval, 'huge', 'max', shapes=([2], [17]))
            make_image(1, op, boundary, cval, 'huge', 'min', shapes=([3], [16]))
            make_image(2, op, boundary, cval, 'huge', 'max', shapes=([2, 3], [9, 13]))
    # complex correlate / convolve with a real kernel
    for dtype in ('complex128', 'complex64'):
        for op in ops:
            for boundary, cval in (('reflect', 0.0), ('constant', 0.5)):
                make_image(2, op, boundary, cval, 'mixed', 'mixed', dtype=dtype,
                           real_kernel=True)
    # complex correlate (conjugated weights), every boundary
    for dtype in ('complex128', 'complex64'):
        for boundary, cval in IMAGE_BOUNDARIES:
            make_image(2, 'correlate', boundary, cval, 'even', 'random', dtype=dtype)

    # 4. image style, out-of-range origin
    make_image_origin_error(1, 'correlate', 'float64', ([7], [3]), [2])
    make_image_origin_error(1, 'convolve', 'float64', ([7], [3]), [-2])
    make_image_origin_error(1, 'correlate', 'float32', ([7], [4]), [2])
    make_image_origin_error(1, 'convolve', 'float64', ([7], [4]), [-3])
    make_image_origin_error(2, 'correlate', 'float64', ([5, 6], [3, 4]), [0, 2])
    make_image_origin_error(2, 'convolve', 'complex128', ([5, 6], [3, 4]), [-2, 0])
    make_image_origin_error(2, 'convolve', 'float32', ([5, 6], [1, 2]), [1, 0])
    make_image_origin_error(3, 'correlate', 'complex64', ([3, 4, 5], [2, 3, 5]), [0, -1, 3])
    make_image_origin_error(3, 'convolve', 'float64', ([3, 4, 5], [2, 3, 5]), [-2, 1, 0],
                            boundary='constant')
    make_image_origin_error(2, 'correlate', 'float64', ([2, 2], [9, 9]), [5, 0],
                            boundary='wrap')


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------

def fmt_array(a, dtype):
    """Return the value lines of an array: one innermost row per line."""
    a = np.asarray(a, dtype=DTYPES[dtype])
    rowlen = a.shape[-1]
    flat = a.reshape(-1)
    if dtype == 'float64':
        toks = [repr(float(v)) for v in flat]
    elif dtype == 'float32':
        toks = ['%.9g' % float(v) for v in flat]
    elif dtype == 'complex128':
        toks = ['%s %s' % (repr(float(v.real)), repr(float(v.imag))) for v in flat]
    else:
        toks = ['%.9g %.9g' % (float(v.real), float(v.imag)) for v in flat]
    return [' '.join(toks[i:i + rowlen]) for i in range(0, len(toks), rowlen)]


def shape_line(tag, a):
    return '%s %d %s' % (tag, a.ndim, ' '.join(str(s) for s in a.shape))


def write(path):
    lines = [
        '# reference_cases.txt -- generated by %s; do not edit by hand.' % SCRIPT_REL,
        '# python %s, numpy %s, scipy %s; seed numpy.random.default_rng(%d).'
        % (platform.python_version(), np.__version__, scipy.__version__, SEED),
        '# Semantics: docs/semantics.md. %d cases.' % len(CASES),
        '# Block: case NAME / op convolve|correlate / style signal|image /',
        '#   mode full|same|valid|none / boundary none|reflect|mirror|nearest|wrap|constant /',
        '#   cval V / origin COUNT O... / dtype float64|float32|complex128|complex64 /',
        '#   input RANK D... + values / kernel RANK D... + values /',
        '#   expect RANK D... + values  or  expect error valid|origin / end',
        '# Values in C order; complex values as "re im"; float64 shortest round-trip repr,',
        '# float32 %.9g.  All three arrays of a case share its dtype (a real kernel on',
        '# complex data is stored with zero imaginary parts, names ending _realk).',
        '# Names ending _padref: scipy.ndimage disagreed with the spec (periodic',
        '# extension); the expected values are the spec result, not scipy\'s.',
    ]
    for c in CASES:
        lines.append('case %s' % c['name'])
        lines.append('op %s' % c['op'])
        lines.append('style %s' % c['style'])
        lines.append('mode %s' % c['mode'])
        lines.append('boundary %s' % c['boundary'])
        lines.append('cval %s' % repr(c['cval']))
        lines.append('origin %d%s' % (len(c['origin']),
                                      ''.join(' %d' % o for o in c['origin'])))
        lines.append('dtype %s' % c['dtype'])
        lines.append(shape_line('input', c['x']))
        lines.extend(fmt_array(c['x'], c['dtype']))
        lines.append(shape_line('kernel', c['k']))
        lines.extend(fmt_array(c['k'], c['dtype']))
        e = c['expect']
        if isinstance(e, tuple):
            lines.append('expect error %s' % e[1])
        else:
            lines.append(shape_line('expect', e))
            lines.extend(fmt_array(e, c['dtype']))
        lines.append('end')
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w', newline='\n') as f:
        f.write('\n'.join(lines) + '\n')


def summary(path, elapsed):
    from collections import Counter
    print('wrote %s: %d cases, %d bytes, %.2f s' % (path, len(CASES),
                                                    os.path.getsize(path), elapsed))

    def show(title, counter):
        print('%s:' % title)
        for k in sorted(counter):
            print('  %-40s %4d' % (k, counter[k]))

    show('by category', Counter(c['category'] for c in CASES))
    show('by style/boundary', Counter('%s/%s%s' % (
        c['style'], c['boundary'],
        (' cval!=0' if c['boundary'] == 'constant' and c['cval'] != 0 else ''))
        for c in CASES))
    show('by signal mode', Counter(c['mode'] for c in CASES if c['style'] == 'signal'))
    show('by dtype', Counter(c['dtype'] for c in CASES))
    show('by rank', Counter('rank %d' % c['x'].ndim for c in CASES))
    show('by op', Counter(c['op'] for c in CASES))
    show('by op x dtype (complex)', Counter('%s %s' % (c['op'], c['dtype']) for c in CASES
                                            if c['dtype'].startswith('complex')))
    print('real kernel on complex input: %d' % sum(c['name'].find('_realk') >= 0
                                                   for c in CASES))
    print('kernel larger than input on some axis: %d' % sum(
        any(m > n for m, n in zip(c['k'].shape, c['x'].shape)) for c in CASES))
    print('kernel larger than input on every axis: %d' % sum(
        all(m > n for m, n in zip(c['k'].shape, c['x'].shape)) for c in CASES))
    print('image cases with nonzero origin: %d' % sum(
        c['style'] == 'image' and any(c['origin']) for c in CASES))
    print('WARNING (_padref) cases: %d' % len(WARNINGS))
    for n, r in WARNINGS:
        print('  %s: %s' % (n, r))
    if NOTES:
        print('notes:')
        for k in sorted(NOTES):
            print('  [%d] %s' % (NOTES[k], k))


def main(argv):
    if len(argv) > 2:
        print('usage: %s [OUTPUT_PATH]' % argv[0], file=sys.stderr)
        return 2
    out = os.path.abspath(argv[1]) if len(argv) == 2 else DEFAULT_OUT
    t0 = time.time()
    generate()
    names = [c['name'] for c in CASES]
    assert len(names) == len(set(names)), 'duplicate case names'
    write(out)
    summary(out, time.time() - t0)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
