"""Tests of the two-level (seeds x examples) bootstrap.

Outside truths used here:
* :func:`distscale.bootstrap` (the seed bootstrap, tested against scipy in
  test_bootstrap.py): with examples fixed, or one example per seed, the
  nested bootstrap must reproduce its distribution draw for draw;
* the exact (ideal) bootstrap variance of a grand mean under the two-level
  resampling, derived by hand in ``test_variance_matches_closed_form``;
* coverage of a known population mean, by simulation from a two-way random
  effects model whose mean is computed with scipy's quadrature.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

from distscale import NestedBootstrapResult, bootstrap, nested_bootstrap
from distscale.resampling.nested import _percentiles


def _stat(*runs):
    return np.column_stack([r.mean(axis=1) for r in runs] + [r.std(axis=1) for r in runs])


def test_seeds_level_is_the_seed_bootstrap_draw_for_draw():
    # Reference: distscale.bootstrap on the run means (examples fixed), same rng.
    rng = np.random.default_rng(1)
    strata = [rng.random((7, 13)), rng.random((5, 4)), rng.random((9, 1))]
    ours = nested_bootstrap(strata, _stat, level="seeds", n_resamples=3000, rng=5,
                            keep_distribution=True)
    ref = bootstrap([s.mean(axis=1) for s in strata], _stat, n_resamples=3000, rng=5,
                    keep_distribution=True)
    np.testing.assert_array_equal(ours.distribution, ref.distribution)
    np.testing.assert_allclose(ours.estimate, ref.estimate)
    np.testing.assert_allclose(ours.ci_low, ref.ci_low)
    np.testing.assert_allclose(ours.ci_high, ref.ci_high)
    np.testing.assert_allclose(ours.standard_error, ref.standard_error)


def test_one_example_per_seed_nested_equals_seed_bootstrap():
    # With one example the example draw is trivial: nested == seed bootstrap exactly.
    rng = np.random.default_rng(2)
    strata = [rng.normal(size=(8, 1)), rng.normal(size=(3, 1))]
    ours = nested_bootstrap(strata, _stat, level="nested", n_resamples=2000, rng=9,
                            keep_distribution=True)
    ref = bootstrap([s[:, 0] for s in strata], _stat, n_resamples=2000, rng=9,
                    keep_distribution=True)
    np.testing.assert_array_equal(ours.distribution, ref.distribution)


def test_variance_matches_closed_form():
    # Write y_se = m + a_s + b_e + g_se (two-way ANOVA decomposition: effects
    # centred, interaction rows and columns summing to 0). A nested replicate
    # of the grand mean is m + sum(W a)/S + sum(V b)/E + sum(W_s V_e g_se)/(S E)
    # with W ~ Multinomial(S, 1/S), V ~ Multinomial(E, 1/E) independent. Using
    # Cov(W) = I - 11'/S and the zero margins, the three terms are uncorrelated
    # with variances sum(a²)/S², sum(b²)/E² and sum(g²)/(S E)² (the same form
    # as Owen's (2007) pigeonhole bootstrap for crossed data). The seed
    # bootstrap keeps only the first term.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 11)) + rng.normal(size=(6, 1)) + 2 * rng.normal(size=(1, 11))
    s, e = x.shape
    m = x.mean()
    a = x.mean(axis=1) - m
    b = x.mean(axis=0) - m
    g = x - m - a[:, None] - b[None, :]
    nested_var = (a**2).sum() / s**2 + (b**2).sum() / e**2 + (g**2).sum() / (s * e) ** 2
    seeds_var = (a**2).sum() / s**2
    n = 60_000  # relative Monte Carlo error of a variance ~ sqrt(2 / n) = 0.6%
    res = nested_bootstrap(x, n_resamples=n, rng=0, keep_distribution=True)
    assert res.distribution.var() == pytest.approx(nested_var, rel=0.03)
    res = nested_bootstrap(x, level="seeds", n_resamples=n, rng=0, keep_distribution=True)
    assert res.distribution.var() == pytest.approx(seeds_var, rel=0.03)
    assert nested_var > 3 * seeds_var  # the example spread dominates in this design


def _coverage(sigma_seed, sigma_example, mu, n_sims, rng):
    """Coverage of E[expit(mu + a + b)] by 95% intervals, 10 seeds x 20 binary examples."""
    scale = np.hypot(sigma_seed, sigma_example)
    truth = integrate.quad(lambda z: special.expit(mu + scale * z) * stats.norm.pdf(z),
                           -12, 12)[0]
    hits = {"nested": 0, "seeds": 0}
    for _ in range(n_sims):
        a = rng.normal(0, sigma_seed, (10, 1))
        b = rng.normal(0, sigma_example, (1, 20))
        x = (rng.random((10, 20)) < special.expit(mu + a + b)).astype(float)
        for level in hits:
            res = nested_bootstrap(x, level=level, n_resamples=999, rng=rng)
            hits[level] += bool(res.ci_low[0] <= truth <= res.ci_high[0])
    return {k: v / n_sims for k, v in hits.items()}


def test_coverage_with_few_examples():
    # Binary outcomes with seed and example random effects on the logit scale;
    # the target is the population mean over seeds *and* examples. Example
    # difficulty dominates: the seed bootstrap, which treats the 20 examples as
    # fixed, misses most of the variance and under-covers; the nested bootstrap
    # covers about 95% (slightly over, as it counts the interaction twice).
    # With 800 simulations the coverage's standard error is about 0.008.
    cov = _coverage(0.3, 1.5, 0.4, 800, np.random.default_rng(11))
    assert 0.925 <= cov["nested"] <= 0.99
    assert cov["seeds"] < 0.8


def test_coverage_when_examples_are_exchangeable():
    # No example effect: the examples are exchangeable, so the seed bootstrap
    # is right up to the usual small-sample shortfall of percentile intervals
    # with 10 seeds (about 0.91: the plug-in variance is (n-1)/n too small and
    # normal rather than t quantiles); the nested one covers at least as well.
    # 1000 simulations: standard error of a coverage about 0.009.
    cov = _coverage(1.0, 0.0, 0.4, 1000, np.random.default_rng(12))
    assert 0.87 <= cov["seeds"] <= 0.96
    assert 0.9 <= cov["nested"] <= 0.99
    assert cov["nested"] >= cov["seeds"]


def test_paired_examples_share_one_draw():
    # Two strata with one seed and identical scores: with a shared example
    # draw every replicate gives both the same mean (difference exactly 0);
    # with independent draws the difference varies.
    x = np.arange(12, dtype=float)[None, :]

    def diff(r1, r2):
        return r2.mean(axis=1) - r1.mean(axis=1)

    paired = nested_bootstrap([x, x], diff, paired_examples=True, n_resamples=500, rng=0,
                              keep_distribution=True)
    assert np.all(paired.distribution == 0)
    free = nested_bootstrap([x, x], diff, n_resamples=500, rng=0, keep_distribution=True)
    assert free.distribution.std() > 0.5


def test_default_statistic_is_the_mean_per_stratum():
    rng = np.random.default_rng(4)
    strata = [rng.random((4, 6)), rng.random((3, 5))]
    res = nested_bootstrap(strata, n_resamples=50, rng=0)
    assert isinstance(res, NestedBootstrapResult)
    np.testing.assert_allclose(res.estimate, [strata[0].mean(), strata[1].mean()])
    assert res.level == "nested" and res.n_seeds == (4, 3) and res.n_examples == (6, 5)
    assert res.method == "percentile"
    frame = res.to_frame()
    assert frame.columns.tolist() == [
        "statistic", "estimate", "ci_low", "ci_high", "standard_error", "n_valid"
    ]
    assert len(frame) == 2


def test_chunking_keeps_every_replicate():
    rng = np.random.default_rng(5)
    x = rng.random((5, 9))
    res = nested_bootstrap(x, n_resamples=101, chunk_size=7, rng=0, keep_distribution=True)
    assert res.distribution.shape == (101, 1)
    assert np.all(np.isfinite(res.distribution))
    assert np.unique(res.distribution).size > 50


def test_same_rng_same_result_and_global_state_untouched():
    x = np.random.default_rng(6).random((5, 8))
    before = np.random.get_state()[1].copy()  # noqa: NPY002 (checking the global state)
    r1 = nested_bootstrap(x, n_resamples=200, rng=3, keep_distribution=True)
    r2 = nested_bootstrap(x, n_resamples=200, rng=np.random.default_rng(3),
                          keep_distribution=True)
    np.testing.assert_array_equal(r1.distribution, r2.distribution)
    after = np.random.get_state()[1]  # noqa: NPY002 (checking the global state)
    np.testing.assert_array_equal(after, before)


def test_percentiles_with_infinities():
    # Reference: numpy.quantile (linear) on the finite part; +inf values are
    # valid extremes (an ideal step), NaN values are not counted.
    col = np.array([3.0, 1.0, 2.0, 5.0, 4.0, np.inf, np.inf, np.nan])
    low, high, se, n_valid, degenerate = _percentiles(col[:, None], 0.5)
    assert n_valid[0] == 7
    assert low[0] == pytest.approx(np.quantile([1, 2, 3, 4, 5, 1e300, 1e300], 0.25))
    assert high[0] == np.inf
    assert se[0] == pytest.approx(np.std([1, 2, 3, 4, 5], ddof=1))
    assert not degenerate[0]
    finite = np.random.default_rng(0).normal(size=(99, 3))
    low, high, *_ = _percentiles(finite, 0.1)
    np.testing.assert_allclose(low, np.quantile(finite, 0.05, axis=0))
    np.testing.assert_allclose(high, np.quantile(finite, 0.95, axis=0))


@pytest.mark.parametrize(
    ("scores", "kwargs", "error", "match"),
    [
        (np.ones(5), {}, ValueError, "2-D array"),
        ([np.ones(5)], {}, ValueError, "2-D array"),
        ([np.ones((0, 3))], {}, ValueError, "non-empty"),
        ([np.array([[1.0, np.nan]])], {}, ValueError, "NaN or infinite"),
        ([np.array([["a", "b"]])], {}, TypeError, "only numbers"),
        ([], {}, ValueError, "at least one stratum"),
        ("abc", {}, TypeError, "2-D array"),
        ([np.ones((2, 2))], {"level": "examples"}, ValueError, "`level`"),
        ([np.ones((2, 2))], {"statistic": 3}, TypeError, "callable"),
        ([np.ones((2, 2))], {"n_resamples": 1}, ValueError, "n_resamples"),
        ([np.ones((2, 2))], {"chunk_size": 0}, ValueError, "chunk_size"),
        ([np.ones((2, 2))], {"chunk_size": 2.5}, TypeError, "chunk_size"),
        ([np.ones((2, 2))], {"paired_examples": "yes"}, TypeError, "paired_examples"),
        ([np.ones((2, 2)), np.ones((2, 3))], {"paired_examples": True}, ValueError,
         "same number"),
        ([np.ones((2, 2))], {"confidence_level": 1.5}, ValueError, "confidence_level"),
        ([np.ones((2, 2))], {"rng": "seed"}, TypeError, "rng"),
    ],
)
def test_bad_input(scores, kwargs, error, match):
    with pytest.raises(error, match=match):
        nested_bootstrap(scores, n_resamples=kwargs.pop("n_resamples", 10), **kwargs)


def test_statistic_must_keep_its_shape():
    x = np.ones((3, 3))
    with pytest.raises(ValueError, match="shape"):
        nested_bootstrap(x, lambda r: np.ones(r.shape[0] + 1), n_resamples=10, rng=0)
