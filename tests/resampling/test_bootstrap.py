"""Tests of the stratified bootstrap engine, distscale.bootstrap.

Outside truth: scipy.stats.bootstrap (same resampling scheme; with the same
random stream it must give the same bootstrap distribution and intervals, and
with an independent stream intervals within Monte-Carlo error), counts
computed directly from the resample indices, and hand-computable cases.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy import stats

from distscale import bootstrap


def _mean(s, axis=-1):
    return np.mean(s, axis=axis)


def _median(s, axis=-1):
    return np.median(s, axis=axis)


def _diff_means(a, b, axis=-1):
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def _quantile_mc_se(dist: np.ndarray, q: float) -> float:
    """Monte-Carlo standard error of the q-quantile of a bootstrap distribution.

    The order-statistic approach: the q-quantile of B draws has rank standard
    deviation sqrt(B q (1 - q)); its value error is half the spread between
    the quantiles one rank-SD either side.
    """
    b = dist.size
    d = np.sqrt(q * (1 - q) / b)
    lo, hi = np.quantile(dist, [max(q - d, 0.0), min(q + d, 1.0)])
    return (hi - lo) / 2


# ------------------------------------------------------------------ scipy agreement
@pytest.mark.parametrize("method", ["percentile", "bca"])
@pytest.mark.parametrize("stat", [_mean, _median])
def test_one_sample_equals_scipy_on_same_stream(method, stat):
    # scipy.stats.bootstrap draws rng.integers(0, n, (batch, n)) per batch, as the
    # engine does per chunk, so with one batch the bootstrap distributions are the
    # same draws and the intervals must agree to rounding.
    x = np.random.default_rng(1).normal(size=40).round(1)  # ties: discrete median
    ref = stats.bootstrap(
        (x,), stat, n_resamples=4000, batch=4000, method=method.replace("bca", "BCa"),
        rng=np.random.default_rng(7),
    )
    res = bootstrap(
        [x], lambda s: stat(s, axis=-1), n_resamples=4000, method=method,
        rng=np.random.default_rng(7), keep_distribution=True,
    )
    np.testing.assert_array_equal(res.distribution[:, 0], ref.bootstrap_distribution)
    np.testing.assert_allclose(res.ci_low[0], ref.confidence_interval.low, rtol=1e-12)
    np.testing.assert_allclose(res.ci_high[0], ref.confidence_interval.high, rtol=1e-12)
    np.testing.assert_allclose(res.standard_error[0], ref.standard_error, rtol=1e-12)


def test_bca_median_with_ties_matches_scipy():
    # Regression: z0 once counted only resamples strictly below the estimate.
    # For a median of tied data many resamples equal the estimate, and that gave
    # [-0.647, 0.3] where scipy (mid-rank, ties count 1/2) gives [-0.5, 0.4].
    x = np.random.default_rng(1).normal(size=15).round(1)
    ref = stats.bootstrap((x,), _median, n_resamples=5000, batch=5000, method="BCa",
                          rng=np.random.default_rng(3))
    res = bootstrap([x], lambda s: np.median(s, axis=-1), n_resamples=5000, method="bca",
                    rng=np.random.default_rng(3))
    assert res.ci_low[0] == pytest.approx(ref.confidence_interval.low, abs=1e-12)
    assert res.ci_high[0] == pytest.approx(ref.confidence_interval.high, abs=1e-12)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_two_sample_equals_scipy_on_same_stream(method):
    # Two strata, one chunk: both draw sample 1's indices, then sample 2's.
    rng = np.random.default_rng(2)
    a, b = rng.gamma(2.0, size=30), rng.normal(size=17)
    ref = stats.bootstrap((a, b), _diff_means, n_resamples=3000, batch=3000,
                          method=method.replace("bca", "BCa"), rng=np.random.default_rng(4))
    res = bootstrap([a, b], lambda x, y: _diff_means(x, y), n_resamples=3000, method=method,
                    rng=np.random.default_rng(4), chunk_size=3000)
    np.testing.assert_allclose(
        [res.ci_low[0], res.ci_high[0]], list(ref.confidence_interval), rtol=1e-10
    )


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_independent_streams_agree_within_monte_carlo_error(method):
    # Different random streams: endpoints differ only by Monte-Carlo error. The
    # tolerance is 4 standard errors of the difference of two independent
    # quantile estimates (sqrt(2) x the order-statistic SE of each).
    rng = np.random.default_rng(11)
    a, b = rng.lognormal(size=60), rng.normal(1.0, 2.0, size=45)
    n_res = 20_000
    ref = stats.bootstrap((a, b), _diff_means, n_resamples=n_res,
                          method=method.replace("bca", "BCa"), rng=np.random.default_rng(1))
    res = bootstrap([a, b], lambda x, y: _diff_means(x, y), n_resamples=n_res, method=method,
                    rng=np.random.default_rng(2), keep_distribution=True)
    dist = res.distribution[:, 0]
    for got, want, q in ((res.ci_low[0], ref.confidence_interval.low, 0.025),
                         (res.ci_high[0], ref.confidence_interval.high, 0.975)):
        tol = 4 * np.sqrt(2) * _quantile_mc_se(dist, q)
        assert abs(got - want) < tol
    assert res.standard_error[0] == pytest.approx(ref.standard_error, rel=0.05)


# ------------------------------------------------------------------------- chunking
def test_chunk_size_does_not_change_one_stratum_results():
    # One stratum: the chunks draw the same integer stream, so every chunking
    # gives the identical distribution, estimate, validity and interval.
    x = np.random.default_rng(0).normal(size=37)
    results = [
        bootstrap([x], lambda s: s.mean(-1), n_resamples=999, rng=5, chunk_size=c,
                  keep_distribution=True)
        for c in (1, 2, 7, 100, None)
    ]
    for r in results[1:]:
        np.testing.assert_array_equal(r.distribution, results[0].distribution)
        np.testing.assert_array_equal(r.estimate, results[0].estimate)
        np.testing.assert_array_equal(r.n_valid, [999])
        np.testing.assert_array_equal([r.ci_low, r.ci_high], [results[0].ci_low, results[0].ci_high])


def test_chunk_size_two_strata_same_estimate_and_validity():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=25), rng.normal(size=31)
    full = bootstrap([a, b], lambda x, y: _diff_means(x, y), n_resamples=4000, rng=1,
                     keep_distribution=True)
    small = bootstrap([a, b], lambda x, y: _diff_means(x, y), n_resamples=4000, rng=1,
                      chunk_size=13)
    assert small.estimate[0] == full.estimate[0] == pytest.approx(a.mean() - b.mean())
    assert small.n_valid[0] == full.n_valid[0] == 4000
    for got, want, q in ((small.ci_low[0], full.ci_low[0], 0.025),
                         (small.ci_high[0], full.ci_high[0], 0.975)):
        assert abs(got - want) < 4 * np.sqrt(2) * _quantile_mc_se(full.distribution[:, 0], q)


# ------------------------------------------------------------------------ NaN / degenerate
def _mean_above(threshold):
    def stat(s):
        hit = s > threshold
        k = hit.sum(-1)
        return np.divide(np.where(hit, s, 0.0).sum(-1), k, out=np.full(k.shape, np.nan),
                         where=k > 0)
    return stat


def test_nan_resamples_are_left_out_and_counted():
    # Only two of 12 values exceed 0.5; a resample has none of them with
    # probability (10/12)^12 ~ 0.11. Reproduce the engine's index draws (one
    # chunk) to count those resamples independently.
    x = np.array([0.1, 0.2, 0.05, 0.3, 0.4, 0.15, 0.25, 0.35, 0.45, 0.0, 0.9, 0.8])
    n_res = 2000
    res = bootstrap([x], _mean_above(0.5), n_resamples=n_res, rng=42, keep_distribution=True)
    idx = np.random.default_rng(42).integers(0, x.size, size=(n_res, x.size))
    none = ~(x[idx] > 0.5).any(axis=1)
    assert res.n_valid[0] == n_res - none.sum()
    assert 0 < none.sum() < n_res
    finite = res.distribution[np.isfinite(res.distribution[:, 0]), 0]
    np.testing.assert_allclose([res.ci_low[0], res.ci_high[0]],
                               np.quantile(finite, [0.025, 0.975]))
    assert res.estimate[0] == pytest.approx(0.85)


def test_statistic_undefined_everywhere_gives_nan_without_runtime_warning():
    # No value exceeds 0.5, so the conditional mean is undefined on the data and
    # in every resample (and every jackknife sample for BCa): NaN interval and
    # n_valid == 0, while the mean column is unaffected. RuntimeWarnings are
    # errors under the test configuration, so this also checks none leaks.
    x = np.array([0.1, 0.2, 0.3, 0.05, 0.15])

    def stat(s):
        return np.column_stack([s.mean(-1), _mean_above(0.5)(s)])

    for method in ("percentile", "bca"):
        res = bootstrap([x], stat, n_resamples=300, method=method, rng=0)
        assert res.n_valid.tolist() == [300, 0]
        assert np.isnan([res.estimate[1], res.ci_low[1], res.ci_high[1]]).all()
        assert np.isfinite([res.ci_low[0], res.ci_high[0]]).all()


def test_degenerate_flag():
    const = np.full(8, 0.3)
    res = bootstrap([const], lambda s: s.mean(-1), n_resamples=100, rng=0)
    assert res.degenerate.tolist() == [True]
    assert res.ci_low[0] == res.ci_high[0] == pytest.approx(0.3)
    varied = bootstrap([np.arange(8.0)], lambda s: s.mean(-1), n_resamples=100, rng=0)
    assert varied.degenerate.tolist() == [False]
    # BCa on degenerate data falls back to the percentile interval, no warning.
    bca = bootstrap([const], lambda s: s.mean(-1), n_resamples=100, method="bca", rng=0)
    assert bca.ci_low[0] == bca.ci_high[0] == pytest.approx(0.3)


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("stat", "error", "match"),
    [
        (lambda s: 1.0, ValueError, "shape"),
        (lambda s: s[..., None], ValueError, "shape"),
        (lambda s: s.mean(-1)[:-1] if s.shape[0] > 1 else s.mean(-1), ValueError, "shape"),
        (lambda s: np.zeros((s.shape[0], 0)), ValueError, "k >= 1"),
        (lambda s: s.mean(-1) if s.shape[0] == 1 else np.column_stack([s.mean(-1)] * 2),
         ValueError, "same number"),
        (lambda s: ["a"] * s.shape[0], TypeError, "numbers"),
    ],
)
def test_statistic_wrong_shape_is_a_clear_error(stat, error, match):
    with pytest.raises(error, match=match):
        bootstrap([np.arange(5.0)], stat, n_resamples=10, rng=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_resamples": 1}, ValueError, "n_resamples"),
        ({"n_resamples": 10.5}, TypeError, "n_resamples"),
        ({"confidence_level": 1.0}, ValueError, "confidence_level"),
        ({"confidence_level": 0}, ValueError, "confidence_level"),
        ({"method": "basic"}, ValueError, "method"),
        ({"rng": "seed"}, TypeError, "rng"),
        ({"chunk_size": 0}, ValueError, "`chunk_size` must be at least 1"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        bootstrap([np.arange(5.0)], lambda s: s.mean(-1), **{"n_resamples": 10, **kwargs})


@pytest.mark.parametrize(
    ("samples", "match"),
    [([np.array([])], "non-empty"), ([np.array([1.0, np.nan])], "NaN"), ([], "at least one"),
     ([np.ones((2, 2))], "1-D")],
)
def test_bad_samples(samples, match):
    with pytest.raises(ValueError, match=match):
        bootstrap(samples, lambda s: s.mean(-1), n_resamples=10)


def test_statistic_not_callable():
    with pytest.raises(TypeError, match="callable"):
        bootstrap([np.arange(3.0)], "mean", n_resamples=10)


# ---------------------------------------------------------------------- randomness
def test_same_rng_same_result_and_global_state_untouched():
    x = np.random.default_rng(0).normal(size=30)
    state = np.random.get_state()  # noqa: NPY002 (checking the global state)
    r1 = bootstrap([x], lambda s: s.mean(-1), n_resamples=500, rng=9, keep_distribution=True)
    r2 = bootstrap([x], lambda s: s.mean(-1), n_resamples=500, rng=np.random.default_rng(9),
                   keep_distribution=True)
    r3 = bootstrap([x], lambda s: s.mean(-1), n_resamples=500, rng=10, keep_distribution=True)
    after = np.random.get_state()  # noqa: NPY002 (checking the global state)
    np.testing.assert_array_equal(r1.distribution, r2.distribution)
    assert not np.array_equal(r1.distribution, r3.distribution)
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


# -------------------------------------------------------------------------- memory
def test_peak_memory_bounded_for_many_resamples():
    # 100,000 resamples of 500 values would be 400 MB as one float array; the
    # engine works in chunks, so the peak stays far below.
    x = np.random.default_rng(0).normal(size=500)
    tracemalloc.start()
    try:
        res = bootstrap([x], lambda s: s.mean(-1), n_resamples=100_000, rng=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert res.n_valid[0] == 100_000
    assert peak < 200 * 2**20


def test_bca_jackknife_memory_bounded():
    # The BCa jackknife builds leave-one-out samples; all at once for n = 4000
    # values that is a 4000 x 3999 float array (128 MB). Built in chunks, the
    # peak stays under 80 MB.
    x = np.random.default_rng(0).normal(size=4000)
    tracemalloc.start()
    try:
        res = bootstrap([x], lambda s: s.mean(-1), n_resamples=200, method="bca", rng=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.isfinite(res.ci_low[0])
    assert peak < 80 * 2**20
