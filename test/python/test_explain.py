"""autoconv.explain and autoconv.choose_conv_method: the cost model's decision from Python."""
import numpy as np
import pytest

import autoconv


def test_explain_is_the_decision_auto_runs():
    rng = np.random.default_rng(9)
    cases = [((1000,), (3,), 'same'), ((100000,), (10001,), 'same'), ((64, 64), (5, 5), 'full'),
             ((64, 64), (33, 33), 'valid'), ((32, 32, 32), (3, 3, 3), 'reflect')]
    for n, m, mode in cases:
        x, k = rng.uniform(-1, 1, n), rng.uniform(-1, 1, m)
        d = autoconv.explain(x, k, mode)
        assert d.method in ('direct', 'fft', 'overlap_add', 'separable')
        # explain describes the module's one-shot calls (FFTW_ESTIMATE plans, setup counted)
        assert d.method == autoconv.Plan(n, k, mode, planning='estimate').method
        text = str(d)
        assert text == d.table() and d.method in text
        names = [c.method for c in d.candidates]
        assert d.method in names and 'direct' in names
        chosen = [c for c in d.candidates if c.method == d.method][0]
        assert chosen.why_not == '' and chosen.feasible and chosen.seconds >= 0
        assert all(isinstance(c.bytes, int) and isinstance(c.detail, str) for c in d.candidates)
        assert isinstance(d.problem, str) and isinstance(d.profile, str)
        if mode in ('full', 'same', 'valid'):
            want = {'direct': 'direct', 'separable': 'direct', 'fft': 'fft', 'overlap_add': 'fft'}[d.method]
            assert autoconv.choose_conv_method(x, k, mode) == want


def test_explain_arguments():
    x, k = np.ones((20, 20), np.float32), np.ones((3, 3), np.float32)
    # 20x20 with a 3x3 kernel: far below every FFT crossover, and too small to pay for passes
    assert autoconv.explain(x, k, 'same', boundary='symm').method == 'direct'
    d = autoconv.explain(x, k, 'nearest', origin=[0, 1], threads=1, axes=None)
    assert d.method == 'direct' and '1 thread' in d.problem
    with pytest.raises(ValueError, match='should have the same dimensionality'):
        autoconv.explain(np.ones(3), np.ones((3, 3)))
    with pytest.raises(ValueError, match='autoconv.explain: mode must be'):
        autoconv.explain(x, k, 'middle')


def test_choose_conv_method_measure():
    x, k = np.ones(2000), np.ones(5)
    method, times = autoconv.choose_conv_method(x, k, 'same', measure=True)
    assert method in ('direct', 'fft') and set(times) == {'direct', 'fft'}
    assert times[method] == min(times.values())
