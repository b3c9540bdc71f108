"""Tests for distscale.describe.emergence (BIG-bench linearity and breakthroughness).

Outside truth used here:

* the definitions of Srivastava et al. 2022 (arXiv 2206.04615, Appendix B),
  applied by hand to small curves (arithmetic written next to each case);
* an independent pure-Python reference (``_reference`` below: ``sorted``,
  ``statistics.median``, ``math.sqrt``, ``list.index`` for first-occurrence
  argmax/argmin) compared on random curves;
* mathematical facts: invariance under ``y -> a*y + b`` (a > 0), sign flip for
  a < 0, invariance to the order the points are given in, and the
  Cauchy-Schwarz bound ``|linearity| <= n - 1`` (equality for a straight line);
* the raw PolyPythias CSV files (EleutherAI/features-across-time, MIT), read
  with pandas and scored by the reference.
"""

from __future__ import annotations

import dataclasses
import glob
import itertools
import math
import re
import statistics
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import distscale
from distscale import (
    DegenerateDataWarning,
    Population,
    breakthroughness,
    curve_emergence,
    emergence_scores,
    linearity,
    per_seed_emergence,
)
from tests._helpers import SHARED_DATA

RAW = SHARED_DATA / "polypythias-ngram-losses" / "raw"


# ------------------------------------------------------------------ reference twin
def _reference(scales, y):
    """Slow, obviously correct scores straight from the Appendix formulas."""
    ys = [v for _, v in sorted(zip(scales, y, strict=True))]
    hi, lo = max(ys), min(ys)
    i_max, i_min = ys.index(hi), ys.index(lo)  # first occurrence
    sign = (i_max > i_min) - (i_max < i_min)
    improvement = sign * (hi - lo)
    d2 = [(b - a) ** 2 for a, b in itertools.pairwise(ys)]
    mean, med = sum(d2) / len(d2), statistics.median(d2)
    if hi == lo:
        return 0.0, 0.0, 0.0
    lin = improvement / math.sqrt(mean)
    brk = math.copysign(math.inf, improvement) if med == 0 else improvement / math.sqrt(med)
    return lin, brk, improvement


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return func(*args, **kwargs)


# ------------------------------------------------------------- hand-computed cases
HAND = [
    # y, linearity, breakthroughness, I
    # straight line: I = 3, Δy² = [1, 1, 1]: 3/1 and 3/1 (= n - 1)
    ([0, 1, 2, 3], 3.0, 3.0, 3.0),
    # decreasing line: argmax 0 < argmin 3, so I = -3
    ([3, 2, 1, 0], -3.0, -3.0, -3.0),
    # one jump at the end: I = 1, Δy² = [0, 0, 1], mean 1/3 -> sqrt(3); median 0 -> +inf
    ([0, 0, 0, 1], math.sqrt(3), math.inf, 1.0),
    # one drop at the start: I = -1, mean 1/3 -> -sqrt(3); median 0 -> -inf
    ([1, 0, 0, 0], -math.sqrt(3), -math.inf, -1.0),
    # I = 10, Δy = [1, 2, 1, 6], Δy² = [1, 4, 1, 36]: mean 10.5, median (1 + 4)/2 = 2.5
    ([0, 1, 3, 4, 10], 10 / math.sqrt(10.5), 10 / math.sqrt(2.5), 10.0),
    # non-monotone: argmax 3 > argmin 1, I = 3, Δy² = [4, 1, 4]: mean 3, median 4
    ([2, 0, 1, 3], 3 / math.sqrt(3), 1.5, 3.0),
    # tie for the maximum: first argmax 0 < argmin 1, so I = -1; Δy² = [1, 1]
    ([1, 0, 1], -1.0, -1.0, -1.0),
    # ties for both: first argmax 1 > first argmin 0, I = +1; Δy² = [1, 1, 1]
    ([0, 1, 0, 1], 1.0, 1.0, 1.0),
    # 3 points: Δy² = [1, 4]; median of two = mean = 2.5, so both scores are 3/sqrt(2.5)
    ([0, 1, 3], 3 / math.sqrt(2.5), 3 / math.sqrt(2.5), 3.0),
    # half the steps flat (even count): Δy² = [0, 1, 0, 1]: mean 0.5, median 0.5
    ([0, 0, 1, 1, 2], 2 / math.sqrt(0.5), 2 / math.sqrt(0.5), 2.0),
]


@pytest.mark.parametrize(("y", "lin", "brk", "imp"), HAND)
def test_hand_computed_values(y, lin, brk, imp):
    scales = list(range(1, len(y) + 1))
    s = _quiet(emergence_scores, scales, y)
    assert s.linearity == pytest.approx(lin, rel=1e-12)
    assert s.breakthroughness == pytest.approx(brk, rel=1e-12)
    assert s.improvement == imp
    assert s.n_points == len(y)
    assert _quiet(linearity, scales, y) == s.linearity
    assert _quiet(breakthroughness, scales, y) == s.breakthroughness
    # the independent reference agrees with the hand values too
    ref = _reference(scales, [float(v) for v in y])
    assert ref[0] == pytest.approx(lin) and ref[1] == pytest.approx(brk) and ref[2] == imp


def test_tie_convention_is_first_occurrence_not_last():
    # y = [1, 0, 1]: with last-occurrence argmax (index 2) I would be +1; we document -1
    assert linearity([1, 2, 3], [1, 0, 1]) == -1.0
    # the mirror image keeps the first-occurrence rule: argmax 2 (unique), argmin 0 -> +1
    assert linearity([1, 2, 3], [0, 0, 1]) == pytest.approx(1 / math.sqrt(0.5))


def test_scales_are_sorted_and_only_their_order_matters():
    # given out of order: sorted by scale, y = [0, 1, 2, 3] -> 3
    assert linearity([4, 1, 3, 2], [3, 0, 2, 1]) == 3.0
    # spacing of the scales is irrelevant (log-spaced, negative, float)
    assert breakthroughness([-5.0, 0.1, 1e9, 1e12], [0, 1, 2, 3]) == 3.0


def test_flat_curve_scores_zero_with_warning():
    for func in (linearity, breakthroughness):
        with pytest.warns(DegenerateDataWarning, match="flat"):
            assert func([1, 2, 3], [0.5, 0.5, 0.5]) == 0.0
    with pytest.warns(DegenerateDataWarning, match="flat"):
        s = emergence_scores([1, 2, 3, 4], [2, 2, 2, 2])
    assert (s.linearity, s.breakthroughness, s.improvement) == (0.0, 0.0, 0.0)


def test_infinite_breakthroughness_warns_but_linearity_does_not():
    with pytest.warns(DegenerateDataWarning, match="median"):
        assert breakthroughness([1, 2, 3, 4], [0, 0, 0, 1]) == math.inf
    with pytest.warns(DegenerateDataWarning, match="median"):
        emergence_scores([1, 2, 3, 4], [0, 0, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert linearity([1, 2, 3, 4], [0, 0, 0, 1]) == pytest.approx(math.sqrt(3))
        # an ordinary curve warns about nothing
        emergence_scores([1, 2, 3, 4], [0, 1, 3, 4])


def test_extreme_magnitudes_do_not_underflow_or_overflow():
    # Δy² = 1e-400 would underflow to 0 without rescaling; the answer is the line's n - 1
    for c in (1e-200, 1e-300, 1e200, 1e300):
        s = emergence_scores([1, 2, 3, 4], [0, c, 2 * c, 3 * c])
        assert s.linearity == pytest.approx(3.0) and s.breakthroughness == pytest.approx(3.0)
    # subnormal steps still give the exact ideal-step answer, not a spurious inf
    s = emergence_scores([1, 2, 3], [0.0, 5e-324, 1e-323])
    assert s.linearity == pytest.approx(2.0)


def test_result_object():
    s = emergence_scores([1, 2, 3, 4], [0, 1, 2, 3])
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.linearity = 1.0
    frame = s.to_frame()
    assert frame.columns.tolist() == ["linearity", "breakthroughness", "improvement", "n_points"]
    assert frame.iloc[0].tolist() == [3.0, 3.0, 3.0, 4]
    assert isinstance(s.linearity, float) and isinstance(s.n_points, int)


# ------------------------------------------------------------------ property tests
# Values are 0 or at least 1e-100 in size, so that the naive reference (which
# squares raw steps) cannot underflow; the library rescales and does not need this.
finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False).filter(
    lambda v: v == 0 or abs(v) > 1e-100
)
curves = st.lists(finite, min_size=3, max_size=12)


@settings(max_examples=200, deadline=None)
@given(y=curves, data=st.data())
def test_matches_pure_python_reference(y, data):
    n = len(y)
    scales = data.draw(st.permutations(list(range(n))))
    s = _quiet(emergence_scores, scales, y)
    lin, brk, imp = _reference(scales, y)
    assert s.improvement == pytest.approx(imp, rel=1e-12, abs=1e-12)
    assert s.linearity == pytest.approx(lin, rel=1e-9, abs=1e-9)
    if math.isinf(brk):
        assert s.breakthroughness == brk
    else:
        assert s.breakthroughness == pytest.approx(brk, rel=1e-9, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(y=curves, data=st.data())
def test_invariant_to_input_order(y, data):
    n = len(y)
    scales = np.arange(n) * 1.5 + 2
    perm = np.array(data.draw(st.permutations(list(range(n)))))
    a = _quiet(emergence_scores, scales, y)
    b = _quiet(emergence_scores, scales[perm], np.asarray(y)[perm])
    assert a == b  # same sorted curve, bit-identical arithmetic


@settings(max_examples=200, deadline=None)
@given(y=curves, c=st.floats(0.01, 100.0))
def test_invariant_to_positive_scaling_and_flips_sign_for_negative(y, c):
    y = np.asarray(y)  # |y| is 0 or > 1e-100: c * y cannot underflow into new ties
    # Values that differ only in the last bits may swap order after rounding c * y
    # (e.g. 999.9999999999999 vs 1000.0), which moves argmax/argmin: a property of
    # floating point, not of the scores. Keep exact ties; require other values to
    # differ by more than rounding.
    gaps = np.abs(y[:, None] - y[None, :])
    assume(np.all((gaps == 0) | (gaps > 1e-9 * np.abs(y).max())))
    scales = np.arange(len(y))
    base = _quiet(emergence_scores, scales, y)
    up = _quiet(emergence_scores, scales, c * y)
    down = _quiet(emergence_scores, scales, -c * y)
    assert up.linearity == pytest.approx(base.linearity, rel=1e-9, abs=1e-12)
    assert down.linearity == pytest.approx(-base.linearity, rel=1e-9, abs=1e-12)
    assert up.breakthroughness == pytest.approx(base.breakthroughness, rel=1e-9, abs=1e-12)
    assert down.breakthroughness == pytest.approx(-base.breakthroughness, rel=1e-9, abs=1e-12)
    assert up.improvement == pytest.approx(c * base.improvement, rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(y=st.lists(st.integers(-50, 50), min_size=3, max_size=10), b=st.integers(-1000, 1000))
def test_invariant_to_shift(y, b):
    # integers: y + b is exact, so ties and flat steps are preserved exactly
    scales = list(range(len(y)))
    base = _quiet(emergence_scores, scales, y)
    shifted = _quiet(emergence_scores, scales, [v + b for v in y])
    assert shifted.linearity == pytest.approx(base.linearity, rel=1e-12)
    assert shifted.breakthroughness == pytest.approx(base.breakthroughness, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(y=curves)
def test_linearity_bounded_by_n_minus_one(y):
    # Cauchy-Schwarz: |I| <= sum|Δy| <= sqrt(n-1) * sqrt(sum Δy²) = (n-1) * rms(Δy)
    lin = _quiet(linearity, range(len(y)), y)
    assert abs(lin) <= (len(y) - 1) * (1 + 1e-12)


@pytest.mark.parametrize("n", [3, 5, 20])
def test_three_points_breakthroughness_equals_linearity_and_line_gives_n_minus_one(n):
    rng = np.random.default_rng(n)
    y = rng.normal(size=3)
    # median of two squared steps equals their mean
    assert breakthroughness([1, 2, 3], y) == pytest.approx(linearity([1, 2, 3], y), rel=1e-12)
    line = 0.25 + 0.5 * np.arange(n)
    assert linearity(np.arange(n), line) == pytest.approx(n - 1)


# --------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("func", [linearity, breakthroughness, emergence_scores])
@pytest.mark.parametrize(
    ("scales", "y", "error", "match"),
    [
        ([1, 2, 3], [1, 2], ValueError, "same length"),
        ([1, 2], [1, 2], ValueError, "at least 3 points"),
        ([], [], ValueError, "at least 1"),
        ([1, 2, 3], [0, np.nan, 1], ValueError, "`y` has 1 non-finite"),
        ([1, np.inf, 3], [0, 1, 2], ValueError, "`scales` has 1 non-finite"),
        ([1, 2, 2, 3, 3], [0, 1, 2, 3, 4], ValueError, r"duplicated values 2\.0, 3\.0"),
        ([1, 2, 3], ["a", "b", "c"], TypeError, "`y` must contain only numbers"),
        (["x", "y", "z"], [1, 2, 3], TypeError, "`scales` must contain only numbers"),
        ([1, 2, 3], "abc", TypeError, "`y` must be a sequence"),
        ([1, 2, 3], [True, False, True], TypeError, "`y` is boolean"),
        ([1, 2, 3], [[0, 1, 2]], ValueError, "`y` must be 1-dimensional"),
        (3, [1, 2, 3], ValueError, "`scales` must be 1-dimensional"),
        ([1, 2, 3], None, TypeError, "`y` must be a sequence of numbers; got None"),
    ],
)
def test_bad_inputs(func, scales, y, error, match):
    with pytest.raises(error, match=match):
        func(scales, y)


# -------------------------------------------------------------------------- per seed
def _population(rng, n_seeds, n_scales, p_missing=0.0, ties=False):
    rows = []
    for s in range(n_seeds):
        for j, scale in enumerate(np.geomspace(1e6, 1e9, n_scales)):
            if rng.random() < p_missing:
                continue
            v = float(rng.integers(0, 3)) if ties else float(rng.normal(j * rng.random(), 1))
            rows.append((scale, f"s{s}", v, -v))
    frame = pd.DataFrame(rows, columns=["params", "seed", "acc", "loss"])
    return Population(frame, scale="params", seed="seed", value=["acc", "loss"])


def _loop_twin(pop, metric, min_scales):
    """Per-seed loop with the scalar functions, from the long table."""
    frame = pop.to_frame()
    out, dropped = {}, []
    for seed, g in frame.groupby("seed"):
        if len(g) < min_scales:
            dropped.append(seed)
            continue
        x, y = g["params"].to_numpy(), g[metric].to_numpy()
        out[seed] = (
            len(g),
            _quiet(linearity, x, y),
            _quiet(breakthroughness, x, y),
            _quiet(emergence_scores, x, y).improvement,
            y.min(),
            y.max(),
        )
    return out, dropped


@pytest.mark.parametrize(
    ("seed", "n_seeds", "n_scales", "p_missing", "ties", "min_scales"),
    [
        (0, 50, 6, 0.0, False, 3),
        (1, 80, 8, 0.2, False, 3),  # many missingness patterns
        (2, 60, 7, 0.3, False, 5),
        (3, 40, 6, 0.1, True, 3),  # integer values: flat curves, ties, ±inf
    ],
)
def test_per_seed_vectorised_equals_loop(seed, n_seeds, n_scales, p_missing, ties, min_scales):
    rng = np.random.default_rng(seed)
    pop = _population(rng, n_seeds, n_scales, p_missing, ties)
    res = _quiet(per_seed_emergence, pop, metric="acc", min_scales=min_scales)
    twin, dropped = _loop_twin(pop, "acc", min_scales)
    assert list(res.seeds) == list(twin)
    assert list(res.dropped_seeds) == dropped
    frame = res.to_frame()
    assert frame.columns.tolist() == [
        "seed",
        "n_scales",
        "linearity",
        "breakthroughness",
        "improvement",
        "curve_min",
        "curve_max",
    ]
    expected = pd.DataFrame([(k, *v) for k, v in twin.items()], columns=frame.columns).astype(
        {"seed": object}
    )
    pd.testing.assert_frame_equal(frame, expected, rtol=1e-12, atol=0)


def test_per_seed_drops_and_reports_seeds_with_too_few_scales():
    # seed "b" lacks scale 3; seed "c" lacks 2 and 3
    frame = pd.DataFrame(
        {
            "n": [1, 2, 3, 4, 1, 2, 4, 1, 4],
            "seed": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
            "acc": [0, 1, 2, 3, 0, 0, 1, 5, 6],
        }
    )
    with pytest.warns(DegenerateDataWarning, match=r"1 seeds .* dropped: 'c'"):
        res = per_seed_emergence(frame, scale="n", seed="seed", value="acc")
    assert res.seeds == ("a", "b") and res.dropped_seeds == ("c",)
    assert res.n_scales.tolist() == [4, 3]
    # seed b scored over scales 1, 2, 4: y = [0, 0, 1], I = 1, Δy² = [0, 1]: 1/sqrt(0.5)
    assert res.linearity[1] == pytest.approx(math.sqrt(2))
    assert res.breakthroughness[1] == pytest.approx(math.sqrt(2))
    assert (res.curve_min.tolist(), res.curve_max.tolist()) == ([0, 0], [3, 1])
    with pytest.warns(DegenerateDataWarning, match=r"2 seeds .* dropped: 'b', 'c'"):
        res4 = per_seed_emergence(frame, scale="n", seed="seed", value="acc", min_scales=4)
    assert res4.seeds == ("a",) and res4.dropped_seeds == ("b", "c")
    assert "1 seeds, 2 dropped" in repr(res4)
    with pytest.raises(ValueError):
        res4.linearity[0] = 1.0  # read-only arrays
    with pytest.raises(dataclasses.FrozenInstanceError):
        res4.min_scales = 3


def test_per_seed_degenerate_seed_warnings_name_the_seeds():
    frame = pd.DataFrame(
        {
            "n": [1, 2, 3, 4] * 3,
            "seed": [0] * 4 + [1] * 4 + [2] * 4,
            "acc": [0.2] * 4 + [0, 0, 0, 1] + [0, 1, 2, 3],
        }
    )
    with pytest.warns(DegenerateDataWarning) as record:
        res = per_seed_emergence(frame, scale="n", seed="seed", value="acc")
    messages = [str(w.message) for w in record]
    assert any("seeds 0 are flat" in m for m in messages)
    assert any("seeds 1 are flat over more than half" in m for m in messages)
    assert res.linearity.tolist() == pytest.approx([0.0, math.sqrt(3), 3.0])
    assert res.breakthroughness.tolist() == [0.0, math.inf, 3.0]


def test_per_seed_multi_metric_and_sign():
    rng = np.random.default_rng(7)
    pop = _population(rng, 10, 5)
    with pytest.raises(ValueError, match="pass `metric=`"):
        per_seed_emergence(pop)
    with pytest.raises(ValueError, match="not one of"):
        per_seed_emergence(pop, metric="nope")
    acc = per_seed_emergence(pop, metric="acc")
    loss = per_seed_emergence(pop, metric="loss")  # loss = -acc: every score flips sign
    np.testing.assert_allclose(loss.linearity, -acc.linearity, rtol=1e-12)
    np.testing.assert_allclose(loss.breakthroughness, -acc.breakthroughness, rtol=1e-12)
    assert acc.metric == "acc" and acc.seed_name == "seed" and acc.scale_name == "params"


def test_per_seed_bad_inputs():
    pop = Population.from_dict({1: [0, 1], 2: [1, 2], 3: [2, 4]})
    for bad in (2.0, True, "3", None):
        with pytest.raises(TypeError, match="`min_scales` must be an integer"):
            per_seed_emergence(pop, min_scales=bad)
    with pytest.raises(ValueError, match="`min_scales` must be at least 3"):
        per_seed_emergence(pop, min_scales=2)
    with pytest.raises(ValueError, match="min_scales=4 scales; the population has 3"):
        per_seed_emergence(pop, min_scales=4)
    two = Population.from_dict({1: [0, 1], 2: [1, 2]})
    with pytest.raises(ValueError, match="the population has 2"):
        per_seed_emergence(two)
    # every seed at its own scale: no seed has a curve
    lonely = pd.DataFrame({"n": [1, 2, 3], "seed": ["a", "b", "c"], "acc": [0, 1, 2]})
    with pytest.raises(ValueError, match="no seed of column 'seed'"):
        per_seed_emergence(lonely, scale="n", seed="seed", value="acc")
    with pytest.raises(TypeError, match="expected a Population or a pandas DataFrame"):
        per_seed_emergence([[1, 2, 3]])
    with pytest.raises(TypeError, match="pass the column names"):
        per_seed_emergence(lonely)
    tasks = pd.DataFrame(
        {"n": [1, 2, 3] * 2, "seed": [0] * 6, "task": ["x"] * 3 + ["y"] * 3, "acc": range(6)}
    )
    with pytest.raises(ValueError, match="2 tasks"):
        per_seed_emergence(Population(tasks, scale="n", seed="seed", value="acc", task="task"))


# --------------------------------------------------------------------- summary curves
def test_curve_emergence_on_a_data_frame_with_nan_and_short_curves():
    curves = pd.DataFrame(
        {
            "scale": [4, 3, 2, 1] * 3,  # unsorted on purpose
            "statistic": ["mean"] * 4 + ["mean_success"] * 4 + ["mode"] * 4,
            "estimate": [3, 2, 1, 0, 0.9, 0.8, np.nan, np.nan, 1, 0, 0, 0],
            "ci_low": 0.0,
        }
    )
    with pytest.warns(DegenerateDataWarning) as record:
        res = curve_emergence(curves)
    messages = " | ".join(str(w.message) for w in record)
    assert "'mean_success' at scales 1, 2" in messages
    assert "fewer than 3 defined points" in messages
    assert "flat over more than half" in messages
    frame = res.to_frame()
    assert frame.columns.tolist() == [
        "statistic",
        "n_points",
        "linearity",
        "breakthroughness",
        "improvement",
    ]
    assert frame["statistic"].tolist() == ["mean", "mean_success", "mode"]
    assert frame["n_points"].tolist() == [4, 2, 4]
    # mean sorted by scale: [0, 1, 2, 3] -> 3, 3
    assert frame.loc[0, ["linearity", "breakthroughness", "improvement"]].tolist() == [3, 3, 3]
    assert np.isnan(frame.loc[1, "linearity"]) and np.isnan(frame.loc[1, "breakthroughness"])
    # mode sorted by scale: [0, 0, 0, 1] -> sqrt(3), +inf
    assert frame.loc[2, "linearity"] == pytest.approx(math.sqrt(3))
    assert frame.loc[2, "breakthroughness"] == math.inf
    assert "3 curves" in repr(res)


def test_curve_emergence_accepts_summary_curves_result():
    pop = Population.from_dict(
        {
            1: [0.0, 0.05, 0.1, 0.9],
            2: [0.0, 0.1, 0.8, 0.9],
            4: [0.7, 0.8, 0.9, 0.95],
            8: [0.9, 0.95, 0.97, 0.99],
        }
    )
    summary = _quiet(distscale.summary_curves, pop, threshold=0.2, n_resamples=50, rng=0)
    res = _quiet(curve_emergence, summary)
    assert res.statistics == summary.statistics
    for i, name in enumerate(summary.statistics):
        est = summary.estimate(name)
        ok = ~np.isnan(est)
        if ok.sum() >= 3:
            lin, brk, _ = _reference(list(summary.scales[ok]), list(est[ok]))
            assert res.linearity[i] == pytest.approx(lin)
            assert res.breakthroughness[i] == pytest.approx(brk)
    # P(success) = [1/4, 2/4, 1, 1]: I = 0.75, Δ² = [1/16, 1/4, 0], mean 5/48, median 1/16
    p = summary.statistics.index("p_success")
    assert res.linearity[p] == pytest.approx(0.75 / math.sqrt(5 / 48))
    assert res.breakthroughness[p] == pytest.approx(0.75 / 0.25)


class _Fake:
    def __init__(self, frame):
        self.frame = frame

    def to_frame(self):
        return self.frame


@pytest.mark.parametrize(
    ("curves", "error", "match"),
    [
        ([1, 2, 3], TypeError, "must be a DataFrame"),
        (_Fake([1, 2]), TypeError, r"to_frame\(\)` must return a pandas DataFrame"),
        (
            pd.DataFrame({"scale": [1], "estimate": [1.0]}),
            ValueError,
            r"lacks columns \['statistic'\]",
        ),
        (pd.DataFrame({"scale": [], "statistic": [], "estimate": []}), ValueError, "empty"),
        (
            pd.DataFrame({"scale": [1, 2, 3], "statistic": "m", "estimate": ["a", "b", "c"]}),
            TypeError,
            "'estimate' must be numeric",
        ),
        (
            pd.DataFrame({"scale": [True, False, True], "statistic": "m", "estimate": [1, 2, 3]}),
            TypeError,
            "'scale' must be numeric",
        ),
        (
            pd.DataFrame({"scale": [1, np.nan, 3], "statistic": "m", "estimate": [1, 2, 3]}),
            ValueError,
            "'scale' has 1 NaN or infinite",
        ),
        (
            pd.DataFrame({"scale": [1, 2, 3], "statistic": "m", "estimate": [1, np.inf, 3]}),
            ValueError,
            "'estimate' has 1 infinite",
        ),
        (
            pd.DataFrame(
                {"scale": [1, 2, 3], "statistic": ["m", None, "m"], "estimate": [1, 2, 3]}
            ),
            ValueError,
            "'statistic' has 1 missing",
        ),
        (
            pd.DataFrame({"scale": [1, 2, 2], "statistic": "m", "estimate": [1, 2, 3]}),
            ValueError,
            "statistic='m', scale=2",
        ),
    ],
)
def test_curve_emergence_bad_inputs(curves, error, match):
    with pytest.raises(error, match=match):
        curve_emergence(curves)


def test_curve_emergence_fake_result_object():
    frame = pd.DataFrame({"scale": [1, 2, 3, 4], "statistic": "m", "estimate": [3, 2, 1, 0]})
    res = curve_emergence(_Fake(frame))
    assert res.linearity.tolist() == [-3.0] and res.n_points.tolist() == [4]


# ------------------------------------------------------------------------ real data
def _raw_polypythias():
    """Final-step mean bigram loss per (size, seed) read straight from the upstream CSVs."""
    rows = []
    for path in sorted(glob.glob(str(RAW / "means_ngrams_model_pythia-*_1024.csv"))):
        m = re.search(r"pythia-(\d+)m(?:-seed(\d+))?_1024\.csv$", path)
        table = pd.read_csv(path)
        last = table.loc[table["step"].idxmax()]
        rows.append((int(m.group(1)), int(m.group(2) or 0), float(last["mean_bigram_loss"])))
    return pd.DataFrame(rows, columns=["size_m", "seed", "loss"])


def _polypythias_population():
    try:
        from distscale.datasets import load_polypythias
    except ImportError:
        load_polypythias = None
    if load_polypythias is not None:
        return load_polypythias().select(metric="mean_bigram_loss"), "mean_bigram_loss"
    if not RAW.is_dir():
        pytest.skip("neither distscale.datasets.load_polypythias nor the raw data is available")
    raw = _raw_polypythias()
    return Population(raw, scale="size_m", seed="seed", value="loss"), "loss"


def test_polypythias_per_seed_curves():
    pop, metric = _polypythias_population()
    # seeds 5-9 have no 410m run (upstream README): 3 scales each, all 10 seeds kept
    res = per_seed_emergence(pop, metric=metric)
    frame = res.to_frame()
    assert frame["seed"].tolist() == list(range(10)) and res.dropped_seeds == ()
    assert frame["n_scales"].tolist() == [4] * 5 + [3] * 5
    # loss falls with size for every seed: minimum after maximum, so every score is negative
    assert (frame["linearity"] < 0).all() and (frame["breakthroughness"] < 0).all()
    # a 3-point curve has breakthroughness == linearity
    short = frame["n_scales"] == 3
    np.testing.assert_allclose(
        frame.loc[short, "breakthroughness"], frame.loc[short, "linearity"], rtol=1e-12
    )
    with pytest.warns(DegenerateDataWarning, match="5 seeds .* dropped: 5, 6, 7, 8, 9"):
        res4 = per_seed_emergence(pop, metric=metric, min_scales=4)
    assert res4.seeds == (0, 1, 2, 3, 4)
    if not RAW.is_dir():
        return
    # outside truth: the upstream CSVs read with pandas and scored by the reference
    raw = _raw_polypythias()
    for _, row in frame.iterrows():
        g = raw[raw["seed"] == row["seed"]]
        lin, brk, imp = _reference(g["size_m"].tolist(), g["loss"].tolist())
        assert row["linearity"] == pytest.approx(lin, rel=1e-6)
        assert row["breakthroughness"] == pytest.approx(brk, rel=1e-6)
        assert row["improvement"] == pytest.approx(imp, rel=1e-6)
        assert row["curve_min"] == pytest.approx(g["loss"].min(), rel=1e-6)
    # seed 5 at 14m is one of the two high-loss outliers (8.35): its drop to 70m dominates,
    # so the curve is far from linear: I = -(8.3477 - 6.8774), steps -1.117, -0.353
    seed5 = frame.set_index("seed").loc[5]
    assert seed5["improvement"] == pytest.approx(-(8.347748 - 6.877441), abs=1e-5)
