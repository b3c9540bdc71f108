"""Tests of distscale.success.shape_test (Simonsohn's two-lines test of a U or inverted U).

Outside truths, named in each test:

* statsmodels' OLS on the interrupted-regression design built here by hand
  (``y = a + b1 (t - tc) 1[t < tc] + b2 (t - tc) 1[t >= tc] + c 1[t >= tc]``)
  with HC3, or cluster-robust by seed, standard errors: the slopes, errors and
  p-values must be theirs;
* simulation from known P(success) curves: on shapes without a falling (rising)
  branch the U (inverted-U) verdict must stay at or below alpha = 0.05; on
  true U and inverted-U shapes it must be found;
* a replica of the learning curve that the quadratic called U-shaped (P(success)
  flat at 0.12-0.36 up to ~2,900, then rising to 0.88; 25 seeds x 26 sizes).

The larger simulations (more shapes, 1,000+ populations each, Monte Carlo
errors) are in benchmarks/calibration_shape.py; docs/trends.md has the table.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import distscale
from distscale import DegenerateDataWarning, Population
from distscale.success import ShapeTestResult, shape_test
from distscale.success.shape import scale_text
from tests._helpers import collect_degenerate

SIZES = np.geomspace(100, 100_000, 26)  # 26 log-spaced training-set sizes
#: case 3: per-size successes out of 25 seeds, flat at 3-9 (0.12-0.36) up to size ~2,750,
#: then rising to 22 (0.88)
CASE3 = np.array([7, 5, 8, 4, 6, 9, 5, 3, 6, 7, 4, 5, 6,
                  8, 10, 11, 13, 14, 16, 17, 18, 19, 20, 21, 22, 22])  # fmt: skip
HOCKEY = np.r_[np.full(13, 0.2), np.linspace(0.2, 0.9, 14)[1:]]  # flat at 0.2, then rises
V_SHAPE = 0.3 + 0.5 * np.abs(np.linspace(-1, 1, 26))  # 0.8 -> 0.3 -> 0.8


def binary(rng, p, n_seeds=25, scales=SIZES):
    """0/1 runs: each seed succeeds with probability p at its scale."""
    return Population.from_dict(
        {s: (rng.random(n_seeds) < q).astype(float) for s, q in zip(scales, p, strict=True)}
    )


def successes(pop, threshold=0.3):
    return [np.sum(v > threshold) for v in pop.values()]


def u_rate(p, shape, n_pop, seed):
    rng = np.random.default_rng(seed)
    return np.mean([shape_test(binary(rng, p), shape=shape, threshold=0.5).holds
                    for _ in range(n_pop)])  # fmt: skip


class PairedPopulation(Population):
    """A population flagged as paired (same seeds at every scale), with or without
    the ``Population(..., paired=True)`` flag of distscale."""

    paired = True


def independent_population(frame):
    try:
        return Population(frame, scale="scale", seed="seed", value="acc", paired=False)
    except TypeError:  # the flag is not in Population yet
        return Population(frame, scale="scale", seed="seed", value="acc")


def paired_population(frame):
    try:
        pop = Population(frame, scale="scale", seed="seed", value="acc", paired=True)
    except TypeError:  # the flag is not in Population yet
        pop = PairedPopulation(frame, scale="scale", seed="seed", value="acc")
    assert pop.paired
    return pop


# ------------------------------------------------------------------ outside truth: statsmodels
def hand_built(t, tc, low_has_break):
    """The two-lines design of Simonsohn (2018) and the brief, built column by column."""
    high = t > tc if low_has_break else t >= tc
    return np.column_stack([np.ones_like(t), np.where(~high, t - tc, 0.0),
                            np.where(high, t - tc, 0.0), high.astype(float)])  # fmt: skip


def test_slopes_and_hc3_errors_are_statsmodels_ols_on_the_hand_built_design():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    pop = binary(rng, V_SHAPE)
    res = shape_test(pop, shape="u", threshold=0.5)
    t = np.repeat(np.log(pop.scales), pop.n_seeds())
    y = np.concatenate(pop.values())
    tc = math.log(res.breakpoint)
    # the break sits on a scale, whose runs belong to the low line for b1 and to the
    # high line for b2 (Simonsohn's code runs the two regressions)
    assert np.isclose(t, tc, rtol=0, atol=1e-9).any()
    tc = t[np.argmin(np.abs(t - tc))]
    low = sm.OLS(y, hand_built(t, tc, low_has_break=True)).fit(cov_type="HC3")
    high = sm.OLS(y, hand_built(t, tc, low_has_break=False)).fit(cov_type="HC3")
    assert res.slope_low == pytest.approx(low.params[1], rel=1e-9)
    assert res.se_low == pytest.approx(low.bse[1], rel=1e-9)
    assert res.pvalue_low == pytest.approx(low.pvalues[1], rel=1e-9)
    assert res.slope_high == pytest.approx(high.params[2], rel=1e-9)
    assert res.se_high == pytest.approx(high.bse[2], rel=1e-9)
    assert res.pvalue_high == pytest.approx(high.pvalues[2], rel=1e-9)
    # each line's value at the break: a for the low line, a + c for the high one
    assert res.intercept_low == pytest.approx(low.params[0], rel=1e-9)
    assert res.intercept_high == pytest.approx(high.params[0] + high.params[3], rel=1e-9)
    # Wald intervals at 1 - alpha from the same errors
    z = stats.norm.isf(0.025)
    assert res.slope_low_ci.low == pytest.approx(low.params[1] - z * low.bse[1], rel=1e-9)
    assert res.slope_high_ci.high == pytest.approx(high.params[2] + z * high.bse[2], rel=1e-9)
    assert res.slope_low_ci.level == 0.95 and res.slope_low_ci.method == "Wald, HC3"
    # intersection-union p-value: the larger one-sided p-value, each in the U's direction
    one_low = low.pvalues[1] / 2 if low.params[1] < 0 else 1 - low.pvalues[1] / 2
    one_high = high.pvalues[2] / 2 if high.params[2] > 0 else 1 - high.pvalues[2] / 2
    assert res.pvalue == pytest.approx(max(one_low, one_high), rel=1e-9)
    assert res.holds and res.covariance == "HC3" and not res.paired


def test_linear_covariate_and_the_mean_against_statsmodels():
    # x="linear", quantity="mean": the same two regressions on the scale itself
    # (statsmodels OLS, HC3, on the hand-built design)
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(2)
    scales = np.arange(1.0, 11.0)
    mean = (scales - 4.3) ** 2
    pop = Population.from_dict({s: m + rng.normal(0, 2, 12) for s, m in zip(scales, mean, strict=True)})
    res = shape_test(pop, quantity="mean", x="linear")
    t = np.repeat(scales, 12)
    y = np.concatenate(pop.values())
    tc = res.breakpoint
    low = sm.OLS(y, hand_built(t, tc, low_has_break=True)).fit(cov_type="HC3")
    high = sm.OLS(y, hand_built(t, tc, low_has_break=False)).fit(cov_type="HC3")
    assert res.slope_low == pytest.approx(low.params[1], rel=1e-9)
    assert res.se_low == pytest.approx(low.bse[1], rel=1e-9)
    assert res.slope_high == pytest.approx(high.params[2], rel=1e-9)
    assert res.se_high == pytest.approx(high.bse[2], rel=1e-9)
    assert res.holds and res.x == "linear" and 2 < res.breakpoint < 8


def test_paired_populations_cluster_by_seed_as_statsmodels_does():
    # the same 20 seeds at every scale, each seed with its own offset: the errors are
    # statsmodels' cluster-robust ones (groups = seed) with t on 19 degrees of freedom
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(3)
    scales = 2.0 ** np.arange(1, 11)
    offset = rng.normal(0, 0.3, 20)
    mean = 0.2 * (np.log(scales) - np.log(scales).mean()) ** 2
    rows = [(s, f"seed{k}", m + offset[k] + rng.normal(0, 0.2))
            for s, m in zip(scales, mean, strict=True) for k in range(20)]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["scale", "seed", "acc"])
    pop = paired_population(frame)
    res = shape_test(pop, quantity="mean")
    assert res.paired and res.covariance == "cluster"
    assert res.slope_low_ci.method == "Wald, cluster-robust by seed"
    data = pop.to_frame()
    t, y, groups = np.log(data["scale"].to_numpy()), data["acc"].to_numpy(), data["seed"]
    tc = t[np.argmin(np.abs(t - math.log(res.breakpoint)))]
    kw = {"cov_type": "cluster", "cov_kwds": {"groups": groups.to_numpy()}, "use_t": True}
    low = sm.OLS(y, hand_built(t, tc, low_has_break=True)).fit(**kw)
    high = sm.OLS(y, hand_built(t, tc, low_has_break=False)).fit(**kw)
    assert res.slope_low == pytest.approx(low.params[1], rel=1e-9)
    assert res.se_low == pytest.approx(low.bse[1], rel=1e-9)
    assert res.pvalue_low == pytest.approx(low.pvalues[1], rel=1e-9)
    assert res.se_high == pytest.approx(high.bse[2], rel=1e-9)
    assert res.pvalue_high == pytest.approx(high.pvalues[2], rel=1e-9)
    assert low.df_resid_inference == 19
    # the same table as independent runs: HC3 errors, which ignore the seeds' offsets
    plain = shape_test(independent_population(frame), quantity="mean")
    assert not plain.paired and plain.covariance == "HC3"
    assert plain.slope_low_ci.method == "Wald, HC3"


# ------------------------------------------------------------------ the case that went wrong
def test_case3_replica_is_not_u_shaped_though_the_quadratic_says_so():
    # Replica of the real learning curve (25 seeds x 26 training-set sizes): P(success)
    # flat at 0.12-0.36 up to ~2,900, then up to 0.88. Outside truth for the old
    # failure: statsmodels' binomial GLMs give a significant positive quadratic term
    # with its minimum inside the sizes -- the criterion that printed "U-shaped".
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(0)
    good = np.linspace(0.5, 0.9, 26)  # successful runs improve with size
    data = {s: np.r_[g + 0.03 * rng.standard_normal(k), 0.1 * rng.random(25 - k)]
            for s, k, g in zip(SIZES, CASE3, good, strict=True)}  # fmt: skip
    pop = Population.from_dict(data, metric="acc")
    t = np.log(SIZES)
    endog = np.column_stack([CASE3, 25 - CASE3])
    lin = sm.GLM(endog, sm.add_constant(t), family=sm.families.Binomial()).fit()
    quad = sm.GLM(endog, np.column_stack([np.ones(26), t, t**2]),
                  family=sm.families.Binomial()).fit()  # fmt: skip
    vertex = -quad.params[1] / (2 * quad.params[2])
    assert quad.params[2] > 0 and t[0] < vertex < t[-1]
    assert stats.norm.sf(math.sqrt(lin.deviance - quad.deviance)) < 1e-4

    res = shape_test(pop, shape="u", threshold=0.3)
    assert [int(k) for k in successes(pop)] == CASE3.tolist()
    assert not res.holds and res.pvalue > 0.025
    assert res.pvalue_low > 0.2  # the falling branch is not significant
    assert res.slope_high > 0 and res.pvalue_high < 1e-6  # the rise is
    assert res.verdict.startswith("not U-shaped: the falling branch is not significant")
    assert res.breakpoint < 2900

    inv = distscale.inverse_scaling(pop, threshold=0.3, n_resamples=199, rng=0)
    assert inv.shape == "rises" and not inv.finding
    assert "U-shaped" not in inv.verdict and "ordinary scaling" in inv.verdict


# ------------------------------------------------------------------ calibration and power
def test_flat_then_rising_p_success_rarely_gives_a_u():
    # 200 populations of 26 scales x 25 seeds, P(success) flat at 0.2 for 13 scales,
    # then rising to 0.9, never falling: the U verdict rate must be at most 0.05
    # (the quadratic's curvature called 199 of 200 such populations U-shaped).
    # benchmarks/calibration_shape.py: 0.029 +- 0.005 and 0.024 +- 0.005 (1,000 each).
    assert u_rate(HOCKEY, "u", 200, seed=10) <= 0.05


@pytest.mark.parametrize(
    ("seed", "p"),
    [
        (20, np.full(26, 0.3)),  # flat
        (30, np.linspace(0.2, 0.8, 26)),  # linear
        (40, 0.2 + 0.6 * np.sqrt(np.arange(26) / 25)),  # concave
        (50, 0.2 + 0.6 * (np.arange(26) / 25) ** 2),  # convex
    ],
)
def test_monotone_and_flat_shapes_rarely_give_either_shape(seed, p):
    # P(success) flat, or moving one way only, and its mirror 1 - p: null shapes of
    # both tests (none both falls and rises). 50 populations per curve and shape, each
    # verdict rate at most 0.05 (benchmarks/calibration_shape.py: 1,000 each).
    for k, (shape, curve) in enumerate(
        (("u", p), ("inverted-u", p), ("u", 1 - p), ("inverted-u", 1 - p))
    ):
        assert u_rate(curve, shape, 50, seed=seed + k) <= 0.05


def test_power_on_a_true_u_and_a_true_inverted_u():
    # P(success) 0.8 -> 0.3 -> 0.8 (a V over 26 scales x 25 seeds), and its mirror
    # 0.2 -> 0.7 -> 0.2: found in every one of 40 populations (benchmark: power 1.00).
    assert u_rate(V_SHAPE, "u", 40, seed=11) == 1.0
    assert u_rate(1 - V_SHAPE, "inverted-u", 40, seed=12) == 1.0
    # and never the opposite shape
    assert u_rate(V_SHAPE, "inverted-u", 40, seed=13) == 0.0


def test_u_in_the_mean_and_mirrors():
    rng = np.random.default_rng(4)
    scales = 2.0 ** np.arange(1, 13)
    t = np.log(scales)
    mean = 0.1 * (t - t[7]) ** 2
    data = {s: m + rng.normal(0, 0.3, 15) for s, m in zip(scales, mean, strict=True)}
    res = shape_test(Population.from_dict(data), quantity="mean")
    assert res.holds and res.quantity == "mean" and res.shape == "u"
    assert res.slope_low < 0 < res.slope_high and res.pvalue <= 0.025
    assert 2 ** 5 <= res.breakpoint <= 2 ** 10
    assert res.verdict.startswith("U-shaped: falls (slope -0.")
    flipped = Population.from_dict({s: -v for s, v in data.items()})
    inv = shape_test(flipped, quantity="mean", shape="inverted-u")
    assert inv.holds and inv.slope_low == pytest.approx(-res.slope_low)
    assert inv.breakpoint == pytest.approx(res.breakpoint)
    assert inv.pvalue == pytest.approx(res.pvalue)
    assert inv.verdict.startswith("inverted-U-shaped: rises")


def test_lower_is_better_counts_successes_below_the_threshold():
    pop = binary(np.random.default_rng(5), V_SHAPE)
    loss = Population.from_dict({s: 1 - v for s, v in zip(pop.scales, pop.values(), strict=True)})
    a = shape_test(pop, threshold=0.5)
    b = shape_test(loss, threshold=0.5, higher_is_better=False)
    assert a.holds and b.holds
    assert a.pvalue == b.pvalue and a.slope_low == b.slope_low


# ------------------------------------------------------------------ the result
def test_result_fields_frame_and_words():
    pop = binary(np.random.default_rng(6), V_SHAPE)
    res = shape_test(pop, threshold=0.5)
    assert isinstance(res, ShapeTestResult)
    assert res.n_scales == 26 and res.n_runs == 650 and res.alpha == 0.05
    assert res.n_scales_low >= 3 and res.n_scales_high >= 3 and res.reason == ""
    assert SIZES[0] < res.extreme < SIZES[-1]
    frame = res.to_frame()
    assert frame.columns.tolist() == ["branch", "expected_sign", "slope", "se", "ci_low",
                                      "ci_high", "pvalue", "significant"]  # fmt: skip
    assert frame["branch"].tolist() == ["low", "high"]
    assert frame["expected_sign"].tolist() == ["negative", "positive"]
    assert frame["significant"].tolist() == [True, True]
    assert frame["slope"].tolist() == [res.slope_low, res.slope_high]
    assert str(res) == res.verdict
    assert f"up to {scale_text(res.breakpoint)}, then rises" in res.verdict
    assert repr(res).startswith("ShapeTestResult(shape='u'") and len(repr(res)) < 2000
    with pytest.raises(AttributeError):
        res.holds = False  # frozen
    not_inv = shape_test(pop, shape="inverted-u", threshold=0.5)
    assert not not_inv.holds
    assert not_inv.to_frame()["expected_sign"].tolist() == ["positive", "negative"]
    assert not_inv.verdict.startswith("not inverted-U-shaped: the rising branch goes the other")


def test_data_frame_input_and_same_answer_twice():
    pop = binary(np.random.default_rng(7), V_SHAPE)
    frame = pop.to_frame().rename(columns={"scale": "n", "seed": "s", "value": "ok"})
    a = shape_test(frame, threshold=0.5, scale="n", seed="s", value="ok")
    b = shape_test(pop, threshold=0.5)
    assert a == b


# ------------------------------------------------------------------ undefined and degenerate
def test_fewer_than_five_scales_is_nan_with_a_reason():
    pop = binary(np.random.default_rng(8), [0.8, 0.2, 0.2, 0.8], scales=[1, 2, 4, 8])
    res, messages = collect_degenerate(shape_test, pop, threshold=0.5)
    assert any("need at least 5 scales; there are 4" in m for m in messages)
    assert not res.holds and math.isnan(res.pvalue) and math.isnan(res.pvalue_low)
    assert math.isnan(res.breakpoint) and math.isnan(res.slope_low_ci.low)
    assert "there are 4" in res.reason and res.verdict.startswith("not tested: ")
    assert res.to_frame()["significant"].tolist() == [False, False]


def test_every_run_the_same_is_nan_with_a_reason():
    pop = Population.from_dict({s: np.zeros(5) for s in range(1, 8)})
    res, messages = collect_degenerate(shape_test, pop, threshold=0.5)
    assert any("every run fails" in m for m in messages)
    assert not res.holds and math.isnan(res.pvalue) and "every run fails" in res.reason
    res, _ = collect_degenerate(shape_test, pop, quantity="mean")
    assert "every run has the same value" in res.reason


def test_a_flat_line_has_no_slope_and_says_so():
    # P(success) is 0 at the 6 smallest scales and then rises: the low line is flat,
    # its slope 0 with p-value 1 (no evidence of a fall), with a reason and a warning
    p = np.r_[np.zeros(6), np.linspace(0.1, 0.9, 8)]
    pop = binary(np.random.default_rng(9), p, n_seeds=20, scales=2.0 ** np.arange(14))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = shape_test(pop, threshold=0.5)
    if res.n_scales_low <= 6:
        assert res.slope_low == 0.0 and res.pvalue_low == 1.0
        assert "that line is flat" in res.reason
        assert any(issubclass(w.category, DegenerateDataWarning) for w in caught)
    assert not res.holds


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"shape": "v"}, ValueError, "`shape` must be one of 'u', 'inverted-u'"),
        ({"quantity": "median"}, ValueError, "`quantity` must be one of 'p_success', 'mean'"),
        ({"threshold": None}, ValueError, "`threshold` is required with quantity='p_success'"),
        ({"threshold": "0.5"}, TypeError, "`threshold` must be a real number"),
        ({"threshold": math.inf}, ValueError, "`threshold` must be finite"),
        ({"quantity": "mean"}, ValueError, "`threshold` is only used with quantity='p_success'"),
        ({"alpha": 0.0}, ValueError, "`alpha` must be strictly between 0 and 1"),
        ({"alpha": "0.05"}, TypeError, "`alpha` must be a number"),
        ({"x": "sqrt"}, ValueError, "`x` must be one of 'log', 'linear'"),
        ({"higher_is_better": 1}, TypeError, "`higher_is_better` must be True or False"),
        ({"metric": "loss"}, ValueError, "`metric` 'loss' is not one of"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    pop = binary(np.random.default_rng(10), V_SHAPE[:8], n_seeds=4, scales=SIZES[:8])
    with pytest.raises(error, match=match):
        shape_test(pop, **{"threshold": 0.5, **kwargs})


def test_bad_populations():
    with pytest.raises(ValueError, match="at least 2 scales"):
        shape_test(Population.from_dict({1: [0.1, 0.5]}), threshold=0.2)
    pop = Population.from_dict({s: [0.1, 0.9] for s in range(6)})
    with pytest.raises(ValueError, match="strictly positive"):
        shape_test(pop, threshold=0.2)
    assert not shape_test(pop, threshold=0.2, x="linear").holds
    with pytest.raises(TypeError, match="pass the column names"):
        shape_test(pop.to_frame(), threshold=0.2)
