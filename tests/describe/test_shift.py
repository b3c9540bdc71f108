"""Tests of distscale.describe.shift: Wasserstein distances between successive scales.

Outside truth used here (named at each test): scipy.stats.wasserstein_distance,
an optimal-transport linear program solved with scipy.optimize.linprog,
the closed form for equal sizes, and scipy.stats.bootstrap for the intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from distscale import (
    Population,
    distribution_shift,
)
from distscale.describe.shift import wasserstein_distance
from tests._helpers import bimodal, collect_degenerate

_POP = Population.from_dict({1: [0.1, 0.5, 0.9], 2: [0.2, 0.4, 0.8]})


def wasserstein_linprog(x, y, p) -> float:
    """W_p by solving the optimal transport linear program (Kantorovich).

    Minimise sum_ij |x_i - y_j|^p pi_ij over couplings pi >= 0 with row sums
    1/n and column sums 1/m; W_p is the optimum to the power 1/p.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n, m = x.size, y.size
    cost = (np.abs(np.subtract.outer(x, y)) ** p).ravel()
    rows = np.kron(np.eye(n), np.ones(m))
    cols = np.kron(np.ones(n), np.eye(m))
    res = optimize.linprog(
        cost,
        A_eq=np.vstack([rows, cols]),
        b_eq=np.concatenate([np.full(n, 1 / n), np.full(m, 1 / m)]),
        bounds=(0, None),
        method="highs",
    )
    assert res.status == 0
    return max(res.fun, 0.0) ** (1 / p)


# ------------------------------------------------------------ Wasserstein distances
def test_w1_equals_scipy_on_unequal_samples():
    # scipy.stats.wasserstein_distance integrates |F_u - F_v| (the CDF form);
    # here the quantile form on the merged grid: the two must agree.
    rng = np.random.default_rng(0)
    for _ in range(300):
        n, m = rng.integers(1, 40, size=2)
        u = rng.normal(size=n) if rng.random() < 0.5 else rng.integers(0, 3, n) / 2
        v = rng.gamma(2.0, size=m)
        assert wasserstein_distance(u, v) == pytest.approx(stats.wasserstein_distance(u, v),
                                                           rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("p", [2, 3, 1.5])
def test_wp_equals_linear_program(p):
    rng = np.random.default_rng(int(p * 10))
    for _ in range(40):
        n, m = rng.integers(1, 8, size=2)
        u = rng.integers(0, 5, n) / 4 if rng.random() < 0.3 else rng.normal(size=n)
        v = rng.normal(0.5, 2.0, size=m)
        assert wasserstein_distance(u, v, p=p) == pytest.approx(
            wasserstein_linprog(u, v, p), rel=1e-7, abs=1e-9)


def test_w2_equal_sizes_is_rms_of_sorted_differences():
    rng = np.random.default_rng(3)
    u, v = rng.normal(size=(2, 57))
    want = np.sqrt(np.mean((np.sort(u) - np.sort(v)) ** 2))
    assert wasserstein_distance(u, v, p=2) == pytest.approx(want, rel=1e-12)


def test_wasserstein_batches_and_errors():
    rng = np.random.default_rng(4)
    u, v = rng.normal(size=(5, 9)), rng.normal(size=(5, 14))
    got = wasserstein_distance(u, v, p=1)
    np.testing.assert_allclose(got, [stats.wasserstein_distance(a, b) for a, b in zip(u, v, strict=True)],
                               rtol=1e-12)
    np.testing.assert_allclose(wasserstein_distance(u.T, v.T, axis=0), got, rtol=1e-12)
    with pytest.raises(ValueError, match="u_values"):
        wasserstein_distance([], [1.0])
    with pytest.raises(ValueError, match="v_values"):
        wasserstein_distance([1.0], [np.nan])
    with pytest.raises(ValueError, match=">= 1"):
        wasserstein_distance([1.0], [2.0], p=0.5)


def test_distribution_shift_estimates_and_frame():
    data = bimodal(4, 30, seed=6)
    data[5] = data[4][:11]  # unequal sizes
    pop = Population.from_dict(data)
    res = distribution_shift(pop, n_resamples=200, rng=0)
    values = pop.values()
    for i in range(len(values) - 1):
        assert res.estimate(p=1)[i] == pytest.approx(
            stats.wasserstein_distance(values[i], values[i + 1]), rel=1e-12)
        assert res.estimate(p=2)[i] == pytest.approx(
            wasserstein_linprog(values[i], values[i + 1], 2), rel=1e-6)
    frame = res.to_frame()
    assert frame.columns.tolist() == ["scale_from", "scale_to", "distance", "p", "estimate",
                                      "ci_low", "ci_high", "n_from", "n_to"]
    assert len(frame) == 2 * 4
    assert frame["p"].tolist()[:2] == [1.0, 2.0]
    assert (frame["distance"] == "wasserstein").all()
    assert frame["n_to"].iloc[-1] == 11
    assert np.all(res.ci_low <= res.ci_high)
    np.testing.assert_array_equal(res.scale_from, [1, 2, 3, 4])
    with pytest.raises(ValueError, match="`p`"):
        res.estimate(p=3)


def test_distribution_shift_ci_equals_scipy_two_sample_bootstrap():
    # The two scales are resampled independently (two strata); for the first
    # scale step the engine draws scale 1's indices then scale 2's, as
    # scipy.stats.bootstrap does for a two-sample statistic, so the same
    # generator gives the same interval.
    data = bimodal(2, 25, seed=2)
    data[2] = data[2][:18]
    pop = Population.from_dict(data)
    res = distribution_shift(pop, p=1, n_resamples=500, rng=11)
    ref = stats.bootstrap(tuple(pop.values()), stats.wasserstein_distance, vectorized=False,
                          n_resamples=500, method="percentile", rng=np.random.default_rng(11))
    assert res.ci_low[0, 0] == pytest.approx(ref.confidence_interval.low, rel=1e-10)
    assert res.ci_high[0, 0] == pytest.approx(ref.confidence_interval.high, rel=1e-10)


def test_distribution_shift_degenerate_and_bad_input():
    pop = Population.from_dict({1: [0.5], 2: [0.5], 3: [0.1, 0.9]})
    res, msgs = collect_degenerate(distribution_shift, pop, n_resamples=50, rng=0)
    assert any("single seed" in m and "scales 1, 2" in m for m in msgs)
    # [0.5] vs [0.5] is 0 in every resample; [0.5] vs [0.1, 0.9] is 0.4 in every one
    assert any("zero-width" in m and "W1 at scale steps 1->2, 2->3" in m for m in msgs)
    assert res.estimates[0].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(res.estimates[1], [0.4, 0.4])
    with pytest.raises(ValueError, match="two scales"):
        distribution_shift(Population.from_dict({1: [0.1, 0.2]}))
    for kwargs, error in [({"p": 0.5}, ValueError), ({"p": []}, ValueError),
                          ({"p": [1, 1]}, ValueError), ({"p": "1"}, TypeError),
                          ({"p": float("nan")}, ValueError), ({"distance": "energy"}, ValueError),
                          ({"metric": "acc"}, ValueError), ({"n_resamples": 0}, ValueError),
                          ({"confidence_level": 2}, ValueError)]:
        with pytest.raises(error):
            distribution_shift(_POP, **kwargs)


def test_distribution_shift_reproducible():
    pop = Population.from_dict(bimodal(3, 15, seed=1))
    state = np.random.get_state()  # noqa: NPY002 (checking the global state)
    a = distribution_shift(pop, n_resamples=100, rng=5).to_frame()
    b = distribution_shift(pop, n_resamples=100, rng=5).to_frame()
    after = np.random.get_state()  # noqa: NPY002 (checking the global state)
    pd.testing.assert_frame_equal(a, b)
    assert np.array_equal(state[1], after[1])


