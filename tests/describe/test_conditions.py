"""Tests of distscale.describe.conditions: two conditions trained at the same scales.

Outside truth used here (named at each test): hand counts and hand-computable
fractions on small examples; scipy.stats.mannwhitneyu (U / (n_a n_b) counts ties
as 1/2, which is rliable's probability of improvement, Agarwal et al. 2021); a
slow per-resample Python loop over the engine's own resamples; coverage on
simulated populations with known truth (scipy.integrate.quad for P(X > Y)); and
the Dopamine Atari baselines (google/dopamine, Apache-2.0) in shared/data.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from distscale import ConfidenceInterval, Population
from distscale._lib.errors import ColumnNotFoundError
from distscale.describe import ConditionComparison, compare_conditions
from tests._helpers import (
    DOPAMINE,
    collect_degenerate,
    dopamine_default,
    dopamine_networks,
    quiet,
)

COLS = {"scale": "scale", "seed": "seed", "value": "acc"}


def frame(data: dict) -> pd.DataFrame:
    """``{(scale, condition): values}`` -> runs; seeds 0, 1, ... per scale and condition."""
    rows = [(s, i, c, float(v)) for (s, c), vals in data.items() for i, v in enumerate(vals)]
    return pd.DataFrame(rows, columns=["scale", "seed", "algo", "acc"])


_HAND = frame({
    (1, "a"): [0.1, 0.7, 0.8], (1, "b"): [0.1, 0.2, 0.9],
    (2, "a"): [0.6, 0.8, 0.9], (2, "b"): [0.1, 0.2, 0.3],
})


def compare(df, **kw):
    kw = {"by": "algo", "threshold": 0.5, "n_resamples": 200, "rng": 0, **COLS, **kw}
    return quiet(compare_conditions, df, **kw)


def pairwise_improvement(x, y, higher_is_better=True) -> float:
    """P(X > Y) + P(X = Y)/2 by counting every pair (the definition, one pair at a time)."""
    total = 0.0
    for xi in x:
        for yj in y:
            if xi == yj:
                total += 0.5
            elif (xi > yj) == higher_is_better:
                total += 1.0
    return total / (len(x) * len(y))


# ----------------------------------------------------------------------- point estimates
def test_hand_example():
    # Hand counts. Scale 1: A succeeds 2/3 (0.7, 0.8: mean 0.75), B 1/3 (0.9).
    # Pairs (A, B): 0.1 ties 0.1 (1/2); 0.7 and 0.8 each beat 0.1 and 0.2 (4):
    # P(X > Y) = 4.5/9. Scale 2: A 3/3, B 0/3; every A beats every B.
    res, caught = collect_degenerate(compare_conditions, _HAND, by="algo", threshold=0.5,
                                     n_resamples=200, rng=0, **COLS)
    assert res.conditions == ("a", "b")
    np.testing.assert_array_equal(res.scales, [1.0, 2.0])
    np.testing.assert_array_equal(res.n_a, [3, 3])
    np.testing.assert_array_equal(res.successes_a, [2, 3])
    np.testing.assert_array_equal(res.successes_b, [1, 0])
    assert res.estimate("p_success_diff") == pytest.approx([1 / 3, 1.0], rel=1e-12)
    assert res.estimate("mean_success_diff")[0] == pytest.approx(-0.15, rel=1e-12)
    assert np.isnan(res.estimate("mean_success_diff")[1])
    assert res.estimate("prob_improvement").tolist() == [0.5, 1.0]
    assert res.estimate("prob_improvement")[0] == pairwise_improvement([0.1, 0.7, 0.8],
                                                                       [0.1, 0.2, 0.9])
    assert res.reasons[1, 1] == "no successful run (acc > 0.5) of condition 'b'"
    assert res.reasons[0].tolist() == ["", "", ""]
    assert any("mean_success_diff is NaN at scales 2" in m for m in caught)
    # overall: the averages over the two scales; mean | success undefined at scale 2
    assert res.overall_estimates[0] == pytest.approx((1 / 3 + 1) / 2)
    assert res.overall_estimates[2] == 0.75
    assert np.isnan(res.overall_estimates[1]) and np.isnan(res.overall_ci_low[1])
    assert res.overall_reasons[1] == "undefined at scales 2"


def test_lower_is_better_and_value_at_threshold():
    # Losses, threshold 2.5, success strictly below. A = [1, 2, 2.5]: 2.5 sits at
    # the threshold and fails, so 2/3 succeed (mean 1.5); B = [2, 4, 5]: 1/3 (mean 2).
    # Lower beats higher: 1 beats 2, 4, 5 (3); 2 ties 2 and beats 4, 5 (2.5);
    # 2.5 loses to 2, beats 4, 5 (2): 7.5 / 9 = 5/6.
    df = frame({(1, "a"): [1.0, 2.0, 2.5], (1, "b"): [2.0, 4.0, 5.0]})
    res = compare(df, threshold=2.5, higher_is_better=False)
    assert res.estimates[0].tolist() == pytest.approx([1 / 3, -0.5, 5 / 6], rel=1e-12)
    assert res.estimates[0, 2] == pairwise_improvement([1.0, 2.0, 2.5], [2.0, 4.0, 5.0], False)


def test_probability_of_improvement_equals_mann_whitney_u():
    # scipy.stats.mannwhitneyu(a, b).statistic is U of `a`: pairs where a > b plus
    # half the ties. U / (n_a n_b) is P(X > Y); for "lower is better" the roles swap.
    rng = np.random.default_rng(3)
    data = {}
    for s in range(1, 9):
        n_a, n_b = rng.integers(1, 25, size=2)
        data[(s, "a")] = rng.integers(0, 6, n_a) / 5  # many ties
        data[(s, "b")] = rng.normal(0.5, 0.3, n_b).round(1)
    df = frame(data)
    for hib in (True, False):
        res = compare(df, threshold=0.5, higher_is_better=hib, n_resamples=20)
        for i, s in enumerate(res.scales):
            a, b = data[(int(s), "a")], data[(int(s), "b")]
            u = stats.mannwhitneyu(a, b) if hib else stats.mannwhitneyu(b, a)
            assert res.estimates[i, 2] == pytest.approx(u.statistic / (a.size * b.size),
                                                        rel=1e-15, abs=1e-15)


def test_conditions_order_flips_signs():
    # B - A is minus A - B; P(B beats A) = 1 - P(A beats B) (ties count 1/2 both ways).
    ab = compare(_HAND)
    ba = compare(_HAND, conditions=("b", "a"))
    assert ba.conditions == ("b", "a")
    np.testing.assert_allclose(ba.estimates[:, :2], -ab.estimates[:, :2])
    np.testing.assert_allclose(ba.estimates[:, 2], 1 - ab.estimates[:, 2])


def test_conditions_chosen_among_several_values():
    df = pd.concat([_HAND, frame({(1, "c"): [0.9, 0.9], (2, "c"): [0.0]})], ignore_index=True)
    res = compare(df, conditions=("a", "b"))
    assert res == compare(_HAND)
    res = compare(df, conditions=("c", "a"))
    np.testing.assert_array_equal(res.n_a, [2, 1])
    assert res.estimates[0, 0] == pytest.approx(1 / 3)  # 2/2 - 2/3


# ----------------------------------------------------------------------- bootstrap
def test_intervals_equal_a_per_resample_loop():
    # Outside truth for the batched statistics: the engine draws, per scale in
    # order, one (n_resamples, n_a) then one (n_resamples, n_b) index block (one
    # chunk: 500 x 21 values). A plain loop over those resamples, counting pairs one
    # at a time and taking np.quantile of the finite values, gives the same intervals.
    rng = np.random.default_rng(11)
    data = {}
    for s, (p_a, p_b) in enumerate([(0.7, 0.3), (0.5, 0.1), (0.9, 0.8)], start=1):
        data[(s, "a")] = np.where(rng.random(12) < p_a, rng.random(12).round(2) * 0.5 + 0.5, 0.0)
        data[(s, "b")] = np.where(rng.random(9) < p_b, rng.random(9).round(2) * 0.5 + 0.5, 0.0)
    df = frame(data)
    n_res = 500
    res = compare(df, n_resamples=n_res, rng=123)
    gen = np.random.default_rng(123)
    total = np.zeros((n_res, 3))
    for i in range(3):
        a, b = data[(i + 1, "a")], data[(i + 1, "b")]
        ia = gen.integers(0, a.size, size=(n_res, a.size))
        ib = gen.integers(0, b.size, size=(n_res, b.size))
        dist = []
        for r in range(n_res):
            x, y = a[ia[r]], b[ib[r]]
            sx, sy = x > 0.5, y > 0.5
            mean = (x[sx].mean() - y[sy].mean()) if sx.any() and sy.any() else np.nan
            dist.append([sx.mean() - sy.mean(), mean, pairwise_improvement(x, y)])
        dist = np.array(dist)
        total += dist
        for c in range(3):
            col = dist[np.isfinite(dist[:, c]), c]
            lo, hi = np.quantile(col, [0.025, 0.975])
            assert res.ci_low[i, c] == pytest.approx(lo, abs=1e-12), (i, c)
            assert res.ci_high[i, c] == pytest.approx(hi, abs=1e-12), (i, c)
            assert res.n_valid[i, c] == col.size
            assert res.standard_error[i, c] == pytest.approx(col.std(ddof=1), rel=1e-9)
    assert res.n_valid[1, 1] < n_res  # B rarely succeeds at scale 2: some resamples have none
    # overall: a replicate of the average is the average of the scales' replicates
    for c in range(3):
        col = total[:, c] / 3
        col = col[np.isfinite(col)]
        lo, hi = np.quantile(col, [0.025, 0.975])
        assert res.overall_ci_low[c] == pytest.approx(lo, abs=1e-12)
        assert res.overall_ci_high[c] == pytest.approx(hi, abs=1e-12)


def _simulate(n_scales, n, p_a, p_b, seed):
    """A succeeds w.p. p_a at 0.3 + 0.7 Beta(5, 2), B w.p. p_b at 0.3 + 0.7 Beta(4, 2);
    failures at 0.15 Beta(2, 5); threshold 0.2 splits them exactly."""
    rng = np.random.default_rng(seed)
    data = {}
    for s in range(1, n_scales + 1):
        for cond, p, shape in (("a", p_a, 5), ("b", p_b, 4)):
            ok = rng.random(n) < p
            data[(s, cond)] = np.where(ok, 0.3 + 0.7 * rng.beta(shape, 2, n),
                                       0.15 * rng.beta(2, 5, n))
    return frame(data)


def test_coverage_of_known_differences():
    # 400 independent simulated scales of 30 runs per condition, P(success) 0.6
    # vs 0.4: the 95% intervals of the difference in P(success) (truth 0.2) and of
    # P(X > Y) (truth p_a (1 - p_b) + p_a p_b q + (1 - p_a)(1 - p_b)/2, with
    # q = P(Beta(5, 2) > Beta(4, 2)) from scipy.integrate.quad) must cover
    # 0.95 +/- 0.03. benchmarks/calibration_conditions.py runs 2,000 per setting.
    p_a, p_b = 0.6, 0.4
    q = integrate.quad(lambda x: stats.beta(5, 2).pdf(x) * stats.beta(4, 2).cdf(x), 0, 1)[0]
    truth = {"p_success_diff": p_a - p_b,
             "prob_improvement": p_a * (1 - p_b) + p_a * p_b * q + (1 - p_a) * (1 - p_b) / 2}
    res = compare(_simulate(400, 30, p_a, p_b, seed=2024), threshold=0.2, n_resamples=1000,
                  rng=1)
    for name, value in truth.items():
        ci = res.interval(name)
        covered = np.mean((ci.low <= value) & (value <= ci.high))
        assert abs(covered - 0.95) <= 0.03, (name, covered)


def test_rng_reproducible_and_global_state_untouched():
    before = np.random.get_state()[1].copy()  # noqa: NPY002 (the legacy global state)
    one = compare(_HAND, rng=5)
    two = compare(_HAND, rng=np.random.default_rng(5))
    assert one == two
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    assert compare(_HAND, rng=6) != one


# ------------------------------------------------------------------- degenerate data
def test_scales_without_both_conditions_are_dropped_with_a_warning():
    df = pd.concat([_HAND, frame({(3, "a"): [0.9, 0.8], (0.5, "b"): [0.1]})], ignore_index=True)
    res, caught = collect_degenerate(compare_conditions, df, by="algo", threshold=0.5,
                                     n_resamples=50, rng=0, **COLS)
    np.testing.assert_array_equal(res.scales, [1.0, 2.0])
    assert res.dropped_scales == (0.5, 3)
    assert any("scales 0.5, 3 dropped" in m for m in caught)
    assert any("dropped" in note for note in res.notes)


def test_no_scale_with_both_conditions_is_an_error():
    df = frame({(1, "a"): [0.1], (2, "b"): [0.2]})
    with pytest.raises(ValueError, match="no scale of column 'scale' has runs of both"):
        compare(df)


def test_single_runs_and_zero_width_intervals_warn():
    df = frame({(1, "a"): [0.9], (1, "b"): [0.1, 0.2]})
    res, caught = collect_degenerate(compare_conditions, df, by="algo", threshold=0.5,
                                     n_resamples=50, rng=0, **COLS)
    assert any("condition 'a' has a single run at scales 1" in m for m in caught)
    assert any("zero-width" in m and "prob_improvement" in m for m in caught)
    assert res.degenerate[0, 2] and res.ci_low[0, 2] == res.ci_high[0, 2] == 1.0
    assert res.reasons[0, 1] == "no successful run (acc > 0.5) of condition 'b'"
    assert res.n_valid[0, 1] == 0 and np.isnan(res.ci_low[0, 1])


def test_no_success_in_either_condition():
    df = frame({(1, "a"): [0.1, 0.2], (1, "b"): [0.1, 0.3]})
    res = compare(df)
    assert res.reasons[0, 1] == "no successful run (acc > 0.5) of either condition"
    assert res.estimates[0, 0] == 0.0


# ------------------------------------------------------------------------ inputs
def test_population_inputs_agree_with_the_data_frame():
    ref = compare(_HAND)
    # the conditions as the task column: seeds may repeat across conditions
    pop = Population(_HAND, scale="scale", seed="seed", value="acc", task="algo")
    assert quiet(compare_conditions, pop, by="algo", threshold=0.5, n_resamples=200,
                 rng=0) == ref
    # the conditions as an extra column: seeds must be unique within a scale
    unique = _HAND.assign(seed=_HAND["seed"] + 10 * (_HAND["algo"] == "b"))
    pop = Population(unique, scale="scale", seed="seed", value="acc")
    res = quiet(compare_conditions, pop, by="algo", threshold=0.5, n_resamples=200, rng=0)
    np.testing.assert_array_equal(res.estimates, ref.estimates)
    # an extra column beside a task column with one task
    one_task = Population(unique.assign(task="t"), scale="scale", seed="seed", value="acc",
                          task="task")
    res = quiet(compare_conditions, one_task, by="algo", threshold=0.5, n_resamples=200, rng=0)
    np.testing.assert_array_equal(res.estimates, ref.estimates)


_BAD = [
    ({"by": "arch"}, ColumnNotFoundError, r"`by` column 'arch' not found"),
    ({"by": ["algo"]}, TypeError, r"`by` must be a single column name"),
    ({"by": "scale"}, ValueError, r"`by` column 'scale' is also the scale, seed or value"),
    ({"by": "acc"}, ValueError, r"`by` column 'acc' is also the scale, seed or value"),
    ({"conditions": ("a", "z")}, ValueError, r"`conditions` value 'z' is not a value of column"),
    ({"conditions": ("a", "a")}, ValueError, r"`conditions` must name two different values"),
    ({"conditions": "ab"}, TypeError, r"`conditions` must be a pair"),
    ({"conditions": 3}, TypeError, r"`conditions` must be a pair"),
    ({"conditions": ("a", "b", "a")}, ValueError, r"`conditions` must name exactly two"),
    ({"threshold": float("inf")}, ValueError, r"`threshold` must be finite"),
    ({"threshold": "0.5"}, TypeError, r"`threshold` must be a real number"),
    ({"higher_is_better": 1}, TypeError, r"`higher_is_better` must be True or False"),
    ({"n_resamples": 1}, ValueError, r"`n_resamples` must be at least 2"),
    ({"n_resamples": 2.5}, TypeError, r"`n_resamples` must be an integer"),
    ({"confidence_level": 1.5}, ValueError, r"`confidence_level` must be strictly between"),
    ({"rng": "seed"}, TypeError, r"`rng` must be None, an int seed"),
    ({"metric": "loss"}, ValueError, r"`metric` 'loss' is not one of \['acc'\]"),
    ({"scale": None}, TypeError, r"pass the column names `scale=`"),
]


@pytest.mark.parametrize(("kw", "error", "message"), _BAD)
def test_bad_arguments(kw, error, message):
    with pytest.raises(error, match=message):
        compare(_HAND, **kw)


def test_bad_condition_columns():
    one = _HAND.assign(algo="a", seed=np.arange(len(_HAND)))
    with pytest.raises(ValueError, match=r"`by` column 'algo' has one value \('a'\); "
                                         "compare_conditions needs exactly two"):
        compare(one)
    three = pd.concat([_HAND, frame({(1, "c"): [0.5]})], ignore_index=True)
    with pytest.raises(ValueError, match=r"has 3 values \('a', 'b', 'c'\).*`conditions=\(a, b\)`"):
        compare(three)
    mixed = _HAND.assign(algo=[1, 1, 1, "b", "b", "b"] * 2)
    with pytest.raises(ValueError, match="cannot be sorted; pass `conditions="):
        compare(mixed)
    assert compare(mixed, conditions=(1, "b")).conditions == (1, "b")
    missing = _HAND.assign(algo=_HAND["algo"].where(_HAND.index != 4))
    with pytest.raises(ValueError, match=r"`by` column 'algo' has 1 missing values \(rows 4\)"):
        compare(missing)


def test_bad_population_inputs():
    pop = Population(_HAND, scale="scale", seed="seed", value="acc", task="algo")
    with pytest.raises(ValueError, match="only used with a DataFrame"):
        compare_conditions(pop, by="algo", threshold=0.5, scale="scale")
    with pytest.raises(ColumnNotFoundError, match="`by` column 'arch' not found"):
        compare_conditions(pop, by="arch", threshold=0.5)
    with pytest.raises(ValueError, match="`by` column 'seed' is the population's scale, seed"):
        compare_conditions(pop, by="seed", threshold=0.5)
    two_tasks = _HAND.assign(task=["x", "y"] * 6, seed=np.arange(len(_HAND)))
    pop = Population(two_tasks, scale="scale", seed="seed", value="acc", task="task")
    with pytest.raises(ValueError, match=r"2 tasks in column 'task'; choose one with "
                                         r"`pop.select\(task=...\)`"):
        compare_conditions(pop, by="algo", threshold=0.5)


# ------------------------------------------------------------------------ the result
def test_result_object():
    res = compare(_HAND)
    assert isinstance(res, ConditionComparison)
    frame_ = res.to_frame()
    assert frame_.columns.tolist() == ["scale", "statistic", "estimate", "ci_low", "ci_high",
                                       "n_a", "n_b"]
    assert len(frame_) == 6
    assert frame_["statistic"].tolist()[:3] == list(res.statistics)
    full = res.to_frame(overall=True)
    assert len(full) == 9 and full["scale"].iloc[6:].isna().all()
    assert full["n_a"].iloc[-1] == 6
    assert full["estimate"].iloc[6:].tolist() == pytest.approx(res.overall_estimates.tolist(),
                                                               nan_ok=True)
    assert res.diagnostics().columns.tolist() == ["scale", "statistic", "standard_error",
                                                  "n_valid", "degenerate", "reason"]
    ci = res.interval("prob_improvement")
    assert isinstance(ci, ConfidenceInterval)
    assert (ci.level, ci.method) == (0.95, "percentile")
    np.testing.assert_array_equal(ci.low, res.ci_low[:, 2])
    assert res.confidence_interval.low.shape == (2, 3)
    value, overall_ci = res.overall("p_success_diff")
    assert value == pytest.approx(2 / 3) and overall_ci.level == 0.95
    with pytest.raises(ValueError, match="`statistic` must be one of"):
        res.estimate("mean")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.threshold = 0.1
    with pytest.raises(ValueError, match="read-only"):
        res.estimates[0, 0] = 1.0
    assert repr(res) == ("ConditionComparison('a' - 'b' by 'algo', 2 scales, success: acc > 0.5, "
                         "95% percentile CIs, 2 notes)")


def test_picture():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from distscale.plot.conditions import condition_comparison

    res = compare(_HAND)
    fig = condition_comparison(res)
    assert len(fig.axes) == 3
    assert fig.axes[2].get_ylabel() == "P(a beats b)"
    # the reference lines: 0 for the differences, 0.5 for P(X > Y)
    refs = [[tuple(line.get_ydata()) for line in ax.lines] for ax in fig.axes]
    assert (0.0, 0.0) in refs[0] and (0.5, 0.5) in refs[2]
    assert "undefined at 2" in fig.axes[1].texts[0].get_text()
    _, axes = plt.subplots(1, 3)
    assert condition_comparison(res, ax=axes) is axes[0].get_figure()
    with pytest.raises(TypeError, match="must be a ConditionComparison"):
        condition_comparison(res.to_frame())
    plt.close("all")


# ------------------------------------------------------------------------- real data

needs_dopamine = pytest.mark.skipif(not DOPAMINE.is_dir(), reason="shared/data is absent")


@needs_dopamine
def test_pong_impala_against_cnn():
    # DQN on Pong (returns from -21 to 21), Impala vs CNN network, 5 runs each at
    # training iterations 1..15; success = a positive average return (the agent wins
    # more points than the built-in opponent). Impala learns faster: at iteration 2,
    # 3 of 5 Impala runs already win and no CNN run; at 4 all Impala runs and still no
    # CNN run; CNN catches up by iteration 10. Every Impala run beats every CNN run at
    # every iteration (P(X > Y) = 1, so every resample agrees: zero-width intervals,
    # which the warning names). Truth: the success counts are counted here from the raw
    # JSON, and P(X > Y) is checked against scipy's Mann-Whitney U.
    iterations = [1, 2, 4, 6, 8, 10, 15]
    df = dopamine_networks("pong", "DQN", iterations)
    assert df.groupby(["network", "Iteration"]).size().eq(5).all()
    res, caught = collect_degenerate(
        compare_conditions, df, by="network", conditions=("Impala", "CNN"), threshold=0.0,
        n_resamples=2000, rng=0, scale="Iteration", seed="seed", value="Value")
    wins = df.assign(win=df["Value"] > 0).pivot_table(index="Iteration", columns="network",
                                                      values="win", aggfunc="sum")
    np.testing.assert_array_equal(res.successes_a, wins["Impala"].to_numpy())
    np.testing.assert_array_equal(res.successes_b, wins["CNN"].to_numpy())
    assert res.successes_a.tolist() == [0, 3, 5, 5, 5, 5, 5]
    assert res.successes_b.tolist() == [0, 0, 0, 1, 2, 5, 5]
    assert res.estimate("p_success_diff") == pytest.approx([0, 0.6, 1, 0.8, 0.6, 0, 0])
    for i, it in enumerate(iterations):
        g = df[df["Iteration"] == it]
        a, b = (g.loc[g["network"] == n, "Value"].to_numpy() for n in ("Impala", "CNN"))
        assert res.estimate("prob_improvement")[i] == stats.mannwhitneyu(a, b).statistic / 25
    assert res.estimate("prob_improvement").tolist() == [1.0] * 7
    # mean | success is undefined until CNN has a winning run (iteration 6)
    assert np.isnan(res.estimate("mean_success_diff")[:3]).all()
    assert res.reasons[0, 1] == "no successful run (Value > 0) of either condition"
    assert res.reasons[1, 1] == "no successful run (Value > 0) of condition 'CNN'"
    assert (res.estimate("mean_success_diff")[3:] > 0).all()  # Impala's winners win bigger
    # with 5 runs a condition's fraction moves in steps of 0.2: iteration 2's interval
    # is wide but excludes 0; iteration 4 (5/5 vs 0/5) has every resample at 1
    assert 0 < res.ci_low[1, 0] <= 0.6 <= res.ci_high[1, 0] == 1.0
    assert res.degenerate[2, 0] and res.ci_low[2, 0] == 1.0
    assert any("zero-width" in m for m in caught)
    assert res.overall("prob_improvement")[0] == 1.0
    assert res.overall("p_success_diff")[0] == pytest.approx(3.0 / 7)


@needs_dopamine
def test_pong_rainbow_against_dqn_default_agents():
    # The default Pong file: 6 agents, 5 consecutive runs each. With the agent as the
    # task column, `conditions=` picks Rainbow and DQN among the six. Success = a return
    # above 15 (near-perfect play). Rainbow is ahead from iteration 6 on; one DQN run
    # stays far behind the others (-8.2 at iteration 50 while the rest are at 13.8-17.4),
    # so at 50 DQN's P(success) is 2/5 while Rainbow's is 5/5. Truth: hand counts from
    # the raw JSON, and U / 25 from scipy.
    d = dopamine_default("pong", [2, 6, 10, 20, 50])
    assert d.groupby(["Agent", "Iteration"]).size().eq(5).all()
    pop = Population(d, scale="Iteration", seed="seed", value="Value", task="Agent")
    res = quiet(compare_conditions, pop, by="Agent", conditions=("Rainbow", "DQN"),
                threshold=15.0, n_resamples=1000, rng=1)
    assert res.conditions == ("Rainbow", "DQN")
    np.testing.assert_array_equal(res.n_a, [5] * 5)
    for i, it in enumerate(res.scales):
        g = d[d["Iteration"] == it]
        a, b = (g.loc[g["Agent"] == n, "Value"].to_numpy() for n in ("Rainbow", "DQN"))
        assert res.estimates[i, 0] == pytest.approx((a > 15).mean() - (b > 15).mean())
        assert res.estimates[i, 2] == stats.mannwhitneyu(a, b).statistic / 25
    assert res.estimates[-1, 0] == pytest.approx(1 - 2 / 5)
    assert res.estimates[0, 2] < 0.5  # iteration 2: DQN is slightly ahead
    assert (res.estimates[1:, 2] == 1.0).all()
