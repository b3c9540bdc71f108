"""Tests of distscale.success.trend: trend_test and monotonicity_test.

Outside truths used here: brute-force enumeration of every permutation of the
runs over the scales (itertools), scipy.optimize.isotonic_regression,
scipy.stats.kendalltau (tie-corrected asymptotic test), pymannkendall's
original_test, and simulation from known null / alternative distributions.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import distscale
from distscale import DegenerateDataWarning, Population, monotonicity_test, trend_test
from distscale.success.rank_tests import (
    _all_assignments,
    _concordance,
    _isotonic,
    _jt_pmf,
    _n_assignments,
    _s_variance,
    grouped_rank_test,
    tie_blocks,
)
from tests._helpers import bimodal, quiet


# ------------------------------------------------------------------ naive twins
def naive_j(groups):
    """Jonckheere's J by the definition: pairs (a at an earlier scale, b later)."""
    j = 0.0
    for i, gi in enumerate(groups):
        for gj in groups[i + 1 :]:
            for a in gi:
                for b in gj:
                    j += 1.0 if b > a else 0.5 if b == a else 0.0
    return j


def naive_ebar2(groups, increasing=True):
    n = np.array([len(g) for g in groups], dtype=float)
    means = np.array([np.mean(g) for g in groups])
    y = np.concatenate(groups)
    fit = optimize.isotonic_regression(means, weights=n, increasing=increasing).x
    return float(np.sum(n * (fit - y.mean()) ** 2) / np.sum((y - y.mean()) ** 2))


def brute_force_null(groups, statistic):
    """Statistic over every distinct assignment of the pooled values to the groups."""
    y = np.concatenate(groups)
    sizes = [len(g) for g in groups]
    cuts = np.cumsum(sizes)[:-1]
    seen = set()
    out = []
    for perm in itertools.permutations(range(y.size)):
        parts = tuple(tuple(sorted(p)) for p in np.split(np.array(perm), cuts))
        if parts in seen:
            continue
        seen.add(parts)
        out.append(statistic([y[list(p)] for p in parts]))
    return np.array(out)


def pop_of(groups, scales=None):
    scales = range(1, len(groups) + 1) if scales is None else scales
    return Population.from_dict(dict(zip(scales, groups, strict=True)))


# --------------------------------------------------------------------- engines
def test_concordance_matches_pairwise_definition():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n, k = rng.integers(3, 15), rng.integers(2, 5)
        y = np.sort(rng.integers(0, 4, n).astype(float))  # many ties
        g = rng.integers(0, k, n)
        w = rng.random(n)
        lo, hi, _ = tie_blocks(y)
        s = _concordance(g[None], lo, hi, k)[0]
        sw = _concordance(g[None], lo, hi, k, w[None])[0]
        ref = sum(
            np.sign(g[b] - g[a]) * np.sign(y[b] - y[a]) for a in range(n) for b in range(n) if a < b
        )
        ref_w = sum(
            w[a] * w[b] * np.sign(g[b] - g[a]) * np.sign(y[b] - y[a])
            for a in range(n)
            for b in range(a + 1, n)
        )
        assert s == pytest.approx(ref)
        assert sw == pytest.approx(ref_w)


@pytest.mark.parametrize("sizes", [[2, 3, 2], [1, 2, 3, 1], [4, 1]])
def test_exact_jt_distribution_matches_enumeration(sizes):
    # Reference: J of every distinct arrangement of the labels (no ties).
    labels = np.repeat(np.arange(len(sizes)), sizes)
    counts = {}
    for perm in set(itertools.permutations(labels)):
        j = sum(1 for a in range(len(perm)) for b in range(a + 1, len(perm)) if perm[a] < perm[b])
        counts[j] = counts.get(j, 0) + 1
    total = sum(counts.values())
    assert total == _n_assignments(sizes) == math.factorial(sum(sizes)) // math.prod(
        math.factorial(s) for s in sizes
    )
    pmf = _jt_pmf(sizes)
    np.testing.assert_allclose(pmf, [counts.get(j, 0) / total for j in range(pmf.size)])
    rows = _all_assignments(sizes)
    assert len({tuple(r) for r in rows}) == total
    assert all(np.bincount(r).tolist() == sizes for r in rows)


def test_isotonic_matches_scipy_weighted_both_directions():
    rng = np.random.default_rng(0)
    means = rng.normal(size=(200, 7))
    weights = rng.integers(0, 5, size=(200, 7)).astype(float)
    weights[:, 0] = 1.0  # at least one positive weight per row
    for increasing in (True, False):
        fit = _isotonic(means, weights, increasing)
        for i in range(200):
            keep = weights[i] > 0
            ref = optimize.isotonic_regression(
                means[i, keep], weights=weights[i, keep], increasing=increasing
            ).x
            np.testing.assert_allclose(fit[i, keep], ref, atol=1e-12)


def test_tie_corrected_variance_equals_permutation_variance():
    # Reference: the exact permutation variance of S by enumeration, with ties in
    # both the scale (groups) and the value.
    groups = [np.array([0.0, 1.0, 1.0]), np.array([1.0, 2.0]), np.array([0.0, 2.0, 2.0])]
    y = np.concatenate(groups)
    _, _, ties = tie_blocks(np.sort(y))
    # S = 2 J - D with D = 3*2 + 3*3 + 2*3 = 21 cross-scale pairs
    null = brute_force_null(groups, lambda g: 2 * naive_j(g) - 21)
    assert null.mean() == pytest.approx(0.0, abs=1e-12)
    assert _s_variance(np.array([3, 2, 3]), ties) == pytest.approx(null.var(), rel=1e-12)


# --------------------------------------------------------- p-values vs outside truth
@pytest.mark.parametrize("alternative", ["increasing", "decreasing", "two-sided"])
@pytest.mark.parametrize("tied", [False, True])
def test_exact_pvalue_matches_brute_force_permutations(alternative, tied):
    rng = np.random.default_rng(11)
    if tied:
        groups = [np.array([0.0, 0.2, 0.2]), np.array([0.2, 0.5]), np.array([0.5, 0.9, 0.0])]
    else:
        groups = [rng.normal(size=3), rng.normal(size=2) + 0.5, rng.normal(size=3) + 1.0]
    res = trend_test(pop_of(groups), alternative=alternative, pvalue_method="exact")
    assert res.pvalue_method == "exact"
    null = brute_force_null(groups, naive_j)
    obs = naive_j(groups)
    assert res.statistic == obs
    up, down = np.mean(null >= obs - 1e-12), np.mean(null <= obs + 1e-12)
    ref = {"increasing": up, "decreasing": down, "two-sided": min(1.0, 2 * min(up, down))}
    assert res.pvalue == pytest.approx(ref[alternative], rel=1e-12)
    # Mann-Kendall has the same exact test
    mk = trend_test(
        pop_of(groups), method="mann-kendall", alternative=alternative, pvalue_method="exact"
    )
    assert mk.pvalue == pytest.approx(res.pvalue, rel=1e-12)
    assert mk.statistic == 2 * obs - 21  # S = 2 J - D


@pytest.mark.parametrize("alternative", ["increasing", "decreasing", "two-sided"])
def test_ebar2_exact_matches_brute_force(alternative):
    rng = np.random.default_rng(5)
    groups = [rng.normal(size=3), rng.normal(size=2) + 0.3, rng.normal(size=3) + 0.8]

    def stat(g):
        if alternative == "two-sided":
            return max(naive_ebar2(g, True), naive_ebar2(g, False))
        return naive_ebar2(g, alternative == "increasing")

    res = trend_test(pop_of(groups), method="ebar2", alternative=alternative)
    assert res.pvalue_method == "exact"
    assert res.statistic == pytest.approx(stat(groups), rel=1e-12)
    null = brute_force_null(groups, stat)
    assert res.pvalue == pytest.approx(np.mean(null >= stat(groups) * (1 - 1e-9)), rel=1e-12)


def test_permutation_pvalue_agrees_with_exact_within_monte_carlo_error():
    groups = [np.array([0.1, 0.4, 0.2, 0.3]), np.array([0.35, 0.5, 0.25]), np.array([0.6, 0.3])]
    for method in ("jonckheere", "ebar2"):
        exact = trend_test(pop_of(groups), method=method, pvalue_method="exact").pvalue
        mc = trend_test(
            pop_of(groups), method=method, pvalue_method="permutation", n_resamples=20000, rng=1
        )
        se = math.sqrt(exact * (1 - exact) / 20000)
        assert abs(mc.pvalue - exact) < 4 * se + 1e-4
        assert mc.n_resamples == 20000


@pytest.mark.parametrize("alternative", ["increasing", "decreasing", "two-sided"])
def test_normal_approximation_matches_scipy_kendalltau_with_ties(alternative):
    # scipy's asymptotic Kendall test uses the tie-corrected variance of S with
    # ties in both variables and no continuity correction: Jonckheere's normal test.
    rng = np.random.default_rng(2)
    groups = [rng.integers(0, 6, 15).astype(float) + i * 0.4 for i in range(5)]
    groups = [np.round(g) for g in groups]  # ties in value and in scale
    res = trend_test(pop_of(groups), alternative=alternative, pvalue_method="normal")
    x = np.repeat(np.arange(5), 15)
    alt = {"increasing": "greater", "decreasing": "less", "two-sided": "two-sided"}[alternative]
    ref = stats.kendalltau(x, np.concatenate(groups), method="asymptotic", alternative=alt)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-9)


@pytest.mark.parametrize("with_ties", [False, True])
def test_mann_kendall_matches_pymannkendall_on_a_single_series(with_ties):
    mk = pytest.importorskip("pymannkendall")
    rng = np.random.default_rng(4)
    y = np.cumsum(rng.normal(0.2, 1.0, 30))
    if with_ties:
        y = np.round(y)
    res = trend_test(
        pop_of([np.array([v]) for v in y]),
        method="mann-kendall",
        alternative="two-sided",
        pvalue_method="normal",
    )
    ref = mk.original_test(y)
    assert res.statistic == ref.s
    assert res.pvalue == pytest.approx(ref.p, rel=1e-9)
    up = trend_test(
        pop_of([np.array([v]) for v in y]), method="mann-kendall", pvalue_method="normal"
    )
    assert ref.s > 0 and up.pvalue == pytest.approx(stats.norm.sf(ref.z), rel=1e-9)


def test_auto_rule_picks_documented_method():
    rng = np.random.default_rng(0)
    small = [rng.normal(size=5) for _ in range(3)]
    assert trend_test(pop_of(small)).pvalue_method == "exact"  # no ties, 75 pairs
    big = [rng.normal(size=40) for _ in range(6)]  # 24,000 pairs
    assert trend_test(pop_of(big)).pvalue_method == "normal"
    tied_small = [np.round(rng.random(10)) for _ in range(3)]  # 5.5e12 assignments, N < 50
    assert trend_test(pop_of(tied_small), rng=0).pvalue_method == "permutation"
    tied_tiny = [np.array([0.0, 1.0]), np.array([1.0, 1.0]), np.array([0.0, 1.0, 1.0])]
    assert trend_test(pop_of(tied_tiny)).pvalue_method == "exact"  # 210 assignments
    assert trend_test(pop_of(big), method="ebar2", n_resamples=99, rng=0).pvalue_method == (
        "permutation"
    )


# ----------------------------------------------------------------- calibration
def _null_pvalues(method, pvalue_method, n_sims, n_seeds, rng, alternative="increasing",
                  n_resamples=199):
    # The engine behind trend_test (the public wrapper only adds validation and
    # the Population, whose construction would dominate the run time here).
    return np.array(
        [
            grouped_rank_test([rng.normal(size=n_seeds) for _ in range(5)], method, alternative,
                         pvalue_method, n_resamples, rng)["pvalue"]
            for _ in range(n_sims)
        ]
    )


@pytest.mark.parametrize(
    ("method", "pvalue_method", "n_sims", "alternative"),
    [
        ("jonckheere", "normal", 2000, "increasing"),
        ("mann-kendall", "normal", 2000, "two-sided"),
        ("jonckheere", "exact", 600, "decreasing"),
        ("ebar2", "permutation", 800, "increasing"),
        ("jonckheere", "permutation", 800, "two-sided"),
    ],
)
def test_type_one_error_is_nominal_under_the_null(method, pvalue_method, n_sims, alternative):
    # 5 scales x 10 seeds of N(0, 1). If the test is calibrated the number of
    # p <= level is Binomial(n_sims, level); accept within 3.5 binomial standard
    # errors (a false alarm about once in 2,000 runs of this test).
    p = _null_pvalues(method, pvalue_method, n_sims, 10, np.random.default_rng(7), alternative)
    for level in (0.05, 0.10):
        se = math.sqrt(level * (1 - level) / n_sims)
        assert abs(np.mean(p <= level) - level) < 3.5 * se, (level, np.mean(p <= level))


def test_power_for_a_known_monotone_trend():
    # Means rising by 0.4 sd per scale over 5 scales with 10 seeds. Normal theory:
    # the optimal linear-contrast z test has noncentrality 0.4 * 10 / sqrt(10 / 10)
    # = 4, power Phi(4 - 1.645) = 0.991; Jonckheere's test has asymptotic relative
    # efficiency 3/pi = 0.955 against it, so power about Phi(4 sqrt(0.955) - 1.645)
    # = 0.988. Require at least 0.9 in 100 populations (fails with prob. ~1e-4
    # if the power is 0.97).
    rng = np.random.default_rng(8)
    rejections = {m: 0 for m in ("jonckheere", "mann-kendall", "ebar2")}
    for _ in range(100):
        groups = [0.4 * i + rng.normal(size=10) for i in range(5)]
        for m in rejections:
            p = grouped_rank_test(groups, m, "increasing", "auto", 199, rng)["pvalue"]
            rejections[m] += p <= 0.05
    assert all(r >= 90 for r in rejections.values()), rejections


# --------------------------------------------------------------- subsets & result
def test_success_subset_uses_only_successful_runs_and_drops_empty_scales():
    data = {1: [0.0, 0.1, 0.05], 2: [0.3, 0.1, 0.4], 3: [0.5, 0.6, 0.0], 4: [0.7, 0.2, 0.9]}
    pop = Population.from_dict(data)
    with pytest.warns(DegenerateDataWarning, match="no run succeeded .* scales 1"):
        res = trend_test(pop, subset="success", threshold=0.2)
    assert res.dropped_scales == (1,)
    assert res.scales.tolist() == [2.0, 3.0, 4.0]
    assert res.n.tolist() == [2, 2, 2]  # 0.2 is not > 0.2
    groups = [np.array([0.3, 0.4]), np.array([0.5, 0.6]), np.array([0.7, 0.9])]
    assert res.statistic == naive_j(groups) == 12
    assert res.means.tolist() == pytest.approx([0.35, 0.55, 0.8])
    fail = quiet(trend_test, pop, subset="failure", threshold=0.2)
    assert fail.n.tolist() == [3, 1, 1, 1]
    with pytest.warns(DegenerateDataWarning, match="scales 4"):
        loss = trend_test(pop, subset="success", threshold=0.2, higher_is_better=False)
    assert loss.n.tolist() == [3, 1, 1]  # value < 0.2; none at scale 4
    frame = res.to_frame()
    assert frame.columns.tolist() == ["scale", "n", "weight", "mean", "isotonic"]
    assert frame["n"].dtype == np.int64


def test_isotonic_fit_and_effect_size_in_result():
    groups = [np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([2.0, 2.5])]
    res = trend_test(pop_of(groups), method="ebar2")
    ref = optimize.isotonic_regression([1.5, 3.5, 2.25], weights=[2, 2, 2]).x
    np.testing.assert_allclose(res.isotonic, ref)
    # by hand: J = 4 (scale 1 vs 2) + 3.5 (1 vs 3, one tie at 2) + 0 (2 vs 3) = 7.5
    # of D = 12 pairs, so S = 2 J - D = 3 and the effect size S / D = 0.25
    assert naive_j(groups) == 7.5
    assert res.effect_size == pytest.approx(0.25)
    two = trend_test(pop_of(groups), alternative="two-sided")
    assert two.isotonic.tolist() == pytest.approx(ref)  # increasing fits better


def test_dataframe_input_and_metric_choice():
    df = pd.DataFrame(
        {
            "n": np.repeat([1, 2, 3], 4),
            "s": np.tile(np.arange(4), 3),
            "acc": np.linspace(0, 1, 12),
            "loss": np.linspace(1, 0, 12),
        }
    )
    res = trend_test(df, scale="n", seed="s", value=["acc", "loss"], metric="loss",
                     alternative="decreasing")
    assert res.metric == "loss" and res.pvalue < 0.01


def test_all_values_equal_warns_and_gives_pvalue_one():
    with pytest.warns(DegenerateDataWarning, match="all values in the test are equal"):
        res = trend_test(pop_of([np.zeros(3), np.zeros(4)]))
    assert res.pvalue == 1.0


# ------------------------------------------------------------- posterior weights
def test_posterior_weights_equal_hard_threshold_when_components_are_separated():
    pop = Population.from_dict(bimodal(5, 30, 1))  # failures < 0.15, successes > 0.3
    hard = trend_test(pop, subset="success", threshold=0.2, pvalue_method="permutation",
                      n_resamples=2000, rng=0)
    soft = trend_test(pop, subset="success", weights="posterior", n_resamples=300, rng=0)
    assert soft.statistic == pytest.approx(hard.statistic, rel=1e-6)
    np.testing.assert_allclose(soft.weight, hard.n, atol=1e-6)
    np.testing.assert_allclose(soft.means, hard.means, atol=1e-6)
    assert abs(soft.pvalue - hard.pvalue) < 0.1


def test_posterior_weights_count_runs_near_the_threshold_partly():
    rng = np.random.default_rng(3)
    data = {}
    for s in range(1, 5):
        ok = rng.random(40) < 0.5
        data[s] = np.where(ok, rng.normal(0.6, 0.12, 40), rng.normal(0.2, 0.12, 40))
    pop = Population.from_dict(data)
    soft = trend_test(pop, subset="success", threshold=0.4, weights="posterior",
                      n_resamples=99, rng=1)
    hard = trend_test(pop, subset="success", threshold=0.4)
    frac = soft.weight - np.floor(soft.weight)
    assert np.any((frac > 0.01) & (frac < 0.99))  # soft counts
    assert not np.allclose(soft.weight, hard.n)
    assert soft.to_frame()["n"].tolist() == [40] * 4


def test_posterior_weights_with_bounds_treat_point_masses_as_classes():
    # Accuracies in [0, 1]: failed runs near 0.15 or exactly 0, successful runs
    # near 0.8 or exactly 1. With bounds=(0, 1) the values at 0 and 1 are point
    # masses of known class (weight 0 and 1); the inside values are well
    # separated, so the weight per scale is the count of runs above 0.5.
    rng = np.random.default_rng(5)
    data = {}
    for s, p in zip(range(1, 5), (0.2, 0.4, 0.6, 0.8), strict=True):
        u = rng.random(30)
        good = np.where(u < p / 3, 1.0, np.clip(rng.normal(0.8, 0.05, 30), 0.6, 0.99))
        bad = np.where(u > 0.9, 0.0, np.clip(rng.normal(0.15, 0.05, 30), 0.01, 0.3))
        data[s] = np.where(u < p, good, bad)
    pop = Population.from_dict(data)
    res = trend_test(pop, subset="success", threshold=0.5, weights="posterior", bounds=(0, 1),
                     n_resamples=99, rng=0)
    np.testing.assert_allclose(res.weight, [np.sum(v > 0.5) for v in data.values()], atol=1e-3)
    assert any(np.sum(v == 1.0) > 0 for v in data.values())
    assert any(np.sum(v == 0.0) > 0 for v in data.values())
    fail = trend_test(pop, subset="failure", threshold=0.5, weights="posterior", bounds=(0, 1),
                      n_resamples=99, rng=0)
    np.testing.assert_allclose(fail.weight, [np.sum(v < 0.5) for v in data.values()], atol=1e-3)


def _overlapping(rng, shares, n, sd=0.15, mean_success=0.7):
    data = {}
    for s, p in enumerate(shares, start=1):
        ok = rng.random(n) < p
        data[s] = np.where(ok, rng.normal(mean_success, sd, n), rng.normal(0.2, sd, n))
    return data


def test_posterior_weighted_means_recover_the_success_component_mean():
    # Components N(0.2, 0.15) and N(0.7, 0.15) overlap; the success share runs
    # from 0.2 to 0.8. Known truth: mean | success = 0.7 at every scale. The
    # hard threshold at 0.45 lets in failures above it (4.8% of them) and loses
    # successes below it, more at scales where failures are common, so its
    # means rise with scale by contamination alone; the posterior weights with
    # per-scale shares do not.
    data = _overlapping(np.random.default_rng(21), (0.2, 0.5, 0.8), 3000)
    pop = Population.from_dict(data)
    soft = trend_test(pop, subset="success", threshold=0.45, weights="posterior",
                      n_resamples=1, rng=0)
    hard = trend_test(pop, subset="success", threshold=0.45)
    se = 0.15 / np.sqrt(soft.weight)
    assert np.all(np.abs(soft.means - 0.7) < 4 * se + 0.005), soft.means
    np.testing.assert_allclose(soft.weight / 3000, (0.2, 0.5, 0.8), atol=0.03)
    assert hard.means[0] < hard.means[2] - 0.01  # the contamination trend


def test_posterior_null_calibration_light():
    # Null with overlapping components: the success component does not move,
    # P(success) rises. 60 populations x 99 replicates; the count of p <= 0.05
    # must not exceed the 99.9% quantile of Binomial(60, 0.05), i.e. 9. (The
    # hard-threshold test rejects ~16% of such populations:
    # benchmarks/calibration_trend.py.)
    rng = np.random.default_rng(12)
    p = []
    for _ in range(60):
        pop = Population.from_dict(_overlapping(rng, np.linspace(0.2, 0.8, 5), 30))
        p.append(quiet(trend_test, pop, subset="success", threshold=0.45, weights="posterior",
                       n_resamples=99, rng=rng).pvalue)
    p = np.array(p)
    assert np.sum(p <= 0.05) <= stats.binom.ppf(0.999, 60, 0.05)
    assert 0.3 < p.mean() < 0.75  # p-values spread over (0, 1), not stuck at 1


# ------------------------------------------------------------- reproducibility
def test_same_rng_same_result_and_global_state_untouched():
    pop = Population.from_dict(bimodal(4, 12, 2))
    state = np.random.get_state()  # noqa: NPY002 (the legacy global state is the point)
    a = trend_test(pop, method="ebar2", pvalue_method="permutation", n_resamples=500, rng=3)
    b = trend_test(pop, method="ebar2", pvalue_method="permutation", n_resamples=500, rng=3)
    c = trend_test(pop, subset="success", weights="posterior", n_resamples=50, rng=3)
    d = trend_test(pop, subset="success", weights="posterior", n_resamples=50, rng=3)
    m1 = monotonicity_test(pop, n_resamples=300, rng=np.random.default_rng(9))
    m2 = monotonicity_test(pop, n_resamples=300, rng=np.random.default_rng(9))
    after = np.random.get_state()  # noqa: NPY002
    assert a.pvalue == b.pvalue and c.pvalue == d.pvalue and m1.pvalue == m2.pvalue
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_results_are_frozen():
    res = trend_test(pop_of([np.array([1.0, 2.0]), np.array([3.0, 4.0])]))
    with pytest.raises(AttributeError):
        res.pvalue = 0.0
    with pytest.raises(ValueError):
        res.means[0] = 1.0
    assert "jonckheere" in repr(res)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "spearman"}, ValueError, "`method` must be one of"),
        ({"alternative": "greater"}, ValueError, "`alternative` must be one of"),
        ({"subset": "good"}, ValueError, "`subset` must be one of"),
        ({"pvalue_method": "asymptotic"}, ValueError, "`pvalue_method` must be one of"),
        ({"weights": "soft"}, ValueError, "`weights` must be one of"),
        ({"subset": "success"}, ValueError, "needs a `threshold`"),
        ({"subset": "success", "threshold": float("nan")}, ValueError, "`threshold` must be finite"),
        ({"subset": "success", "threshold": "0.2"}, TypeError, "`threshold` must be a real"),
        ({"higher_is_better": 1}, TypeError, "`higher_is_better` must be True or False"),
        ({"weights": "posterior"}, ValueError, "needs subset='success' or 'failure'"),
        ({"bounds": (0, 1)}, ValueError, "only used with weights='posterior'"),
        ({"method": "ebar2", "pvalue_method": "normal"}, ValueError, "not available for method"),
        (
            {"subset": "success", "weights": "posterior", "pvalue_method": "normal"},
            ValueError,
            "p-value is by permutation",
        ),
        ({"n_resamples": 0}, ValueError, "`n_resamples` must be at least 1"),
        ({"rng": "seed"}, TypeError, "`rng` must be"),
        ({"metric": "nope"}, ValueError, "`metric` 'nope' is not one of"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    pop = Population.from_dict(bimodal(3, 6, 0))
    with pytest.raises(error, match=match):
        trend_test(pop, **kwargs)


def test_too_few_scales():
    with pytest.raises(ValueError, match="at least 2 scales"):
        trend_test(Population.from_dict({1: [0.1, 0.2, 0.3]}))
    pop = Population.from_dict({1: [0.0, 0.1], 2: [0.0, 0.1], 3: [0.5, 0.9]})
    with pytest.raises(ValueError, match="leaves runs at 1 scale"):
        quiet(trend_test, pop, subset="success", threshold=0.2)


def test_exact_refused_when_too_large():
    rng = np.random.default_rng(0)
    big = pop_of([np.round(rng.random(30), 1) for _ in range(4)])
    with pytest.raises(ValueError, match="use 'permutation'"):
        trend_test(big, pvalue_method="exact")
    huge = pop_of([rng.normal(size=150) for _ in range(5)])
    with pytest.raises(ValueError, match="at most 50000 pairs"):
        trend_test(huge, pvalue_method="exact")


def test_posterior_refuses_components_on_one_side():
    pop = Population.from_dict({1: [0.0, 0.01, 0.1, 0.12], 2: [0.02, 0.03, 0.11, 0.13]})
    with pytest.raises(ValueError, match="same side of success"):
        quiet(trend_test, pop, subset="success", threshold=0.5, weights="posterior",
              n_resamples=9, rng=0)


# ============================================================ monotonicity_test
def test_monotonicity_statistic_matches_definition():
    rng = np.random.default_rng(1)
    groups = [m + rng.normal(0, 0.3, n) for m, n in zip([0, 1, 0.5, 2], [5, 6, 4, 7], strict=True)]
    res = monotonicity_test(pop_of(groups), n_resamples=99, rng=0)
    n = np.array([5, 6, 4, 7])
    means = np.array([g.mean() for g in groups])
    fit = optimize.isotonic_regression(means, weights=n).x
    s2 = sum(((g - g.mean()) ** 2).sum() for g in groups) / (n.sum() - 4)
    assert res.statistic == pytest.approx(np.sum(n * (means - fit) ** 2) / s2, rel=1e-12)
    np.testing.assert_allclose(res.isotonic, fit)
    frame = res.to_frame()
    assert frame.columns.tolist() == ["scale", "n", "mean", "isotonic", "violation", "null_mean"]
    np.testing.assert_allclose(frame["violation"], means - fit)
    dec = monotonicity_test(pop_of(groups), direction="decreasing", n_resamples=99, rng=0)
    fit_dec = optimize.isotonic_regression(means, weights=n, increasing=False).x
    np.testing.assert_allclose(dec.isotonic, fit_dec)


def test_monotone_means_give_statistic_zero_and_pvalue_one():
    rng = np.random.default_rng(2)
    groups = [m + rng.normal(0, 0.05, 10) for m in (0.0, 1.0, 2.0)]
    res = monotonicity_test(pop_of(groups), n_resamples=199, rng=0)
    assert res.statistic == 0.0 and res.pvalue == 1.0


def test_monotonicity_detects_a_peak_and_trend_test_does_not_miss_the_rise():
    rng = np.random.default_rng(3)
    groups = [m + rng.normal(0, 0.15, 20) for m in (0.2, 0.5, 0.8, 0.4)]
    res = monotonicity_test(pop_of(groups), n_resamples=999, rng=0)
    assert res.pvalue < 0.01
    assert trend_test(pop_of(groups[:3])).pvalue < 0.01


def test_monotonicity_calibration_at_the_least_favourable_null():
    # Equal means (the least favourable monotone null, Robertson, Wright &
    # Dykstra 1988): the rejection rate at 5% must be within 3.5 binomial SE
    # of 0.05 or below (the test may be conservative, never liberal).
    rng = np.random.default_rng(4)
    p = np.array(
        [
            monotonicity_test(pop_of([rng.normal(size=15) for _ in range(5)]),
                              n_resamples=199, rng=rng).pvalue
            for _ in range(300)
        ]
    )
    assert np.mean(p <= 0.05) < 0.05 + 3.5 * math.sqrt(0.05 * 0.95 / 300)
    assert np.mean(p <= 0.10) > 0.04  # not degenerate


def test_monotonicity_subsets_and_warnings():
    pop = Population.from_dict({1: [0.0, 0.5, 0.6], 2: [0.9, 0.8, 0.0], 3: [0.7, 0.0, 0.1]})
    with pytest.warns(DegenerateDataWarning, match="single run"):
        res = monotonicity_test(pop, subset="success", threshold=0.2, n_resamples=99, rng=0)
    assert res.n.tolist() == [2, 2, 1]
    assert res.means.tolist() == pytest.approx([0.55, 0.85, 0.7])
    with pytest.raises(ValueError, match="needs a `threshold`"):
        monotonicity_test(pop, subset="success")
    with pytest.raises(ValueError, match="`direction` must be one of"):
        monotonicity_test(pop, direction="two-sided")
    with pytest.raises(ValueError, match="single run"):
        monotonicity_test(pop_of([np.array([1.0]), np.array([0.0])]))
    with pytest.warns(DegenerateDataWarning, match="within-scale variance 0"):
        flat = monotonicity_test(pop_of([np.ones(3), np.zeros(3)]), n_resamples=19, rng=0)
    assert math.isinf(flat.statistic) and flat.pvalue == pytest.approx(1 / 20)


def test_public_names_exported():
    for name in ("trend_test", "monotonicity_test", "TrendTestResult", "MonotonicityTestResult"):
        assert name in distscale.__all__ and hasattr(distscale, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trend_test(pop_of([np.array([1.0, 2.0]), np.array([3.0, 5.0])]))


def test_exact_p_value_refused_clearly_for_many_runs():
    # 20 scales x 100 runs with ties: far more assignments than 'exact' enumerates; the
    # count (a 2,000-digit integer, too large for a float) must not leak an OverflowError
    rng = np.random.default_rng(2)
    data = {s: np.round(rng.random(100) * 10) / 10 for s in range(1, 21)}
    pop = distscale.Population.from_dict(data)
    with pytest.raises(ValueError, match="at most 200000; these data have more"):
        distscale.trend_test(pop, pvalue_method="exact", rng=0)
    assert _n_assignments([100] * 20, 200_000) == 200_001
    assert _n_assignments([2, 3, 2], 200_000) == _n_assignments([2, 3, 2]) == 210
    assert _n_assignments([2, 3, 2], 100) == 101  # just above a small limit: exact, capped
