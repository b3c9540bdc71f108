"""Tests for Hartigan's dip test and Sarle's bimodality coefficient.

Outside truths used here:

* R package ``diptest`` (Maechler), its own regression output
  ``tests/ex1.Rout.save-64b`` (R 4.5.1, x86_64 Linux), which prints for each
  example the final dip, the modal-interval indices ``lo.hi``, ``xl``/``xu``,
  and in debug mode ``2n * dip`` to 6 digits;
* the definition of the dip, solved as linear programs (a slow, obviously
  correct twin of Hartigan's algorithm);
* hand-computed cases; scipy.stats skewness/kurtosis; the PyPI package
  ``diptest`` (a C++ port of R's code; test-only, skipped when absent);
* simulation from the uniform null for calibration.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats

import distscale
from distscale import DegenerateDataWarning
from distscale.modality.dip import (
    DipTestResult,
    ModalInterval,
    _table_pvalue,
    bimodality_coefficient,
    dip_statistic,
    dip_test,
)
from tests._helpers import REPO_ROOT, TEST_DATA

DATA = TEST_DATA
LONG_DOUBLE_IS_DOUBLE = np.finfo(np.longdouble).eps == np.finfo(float).eps


def faithful_eruptions() -> np.ndarray:
    return np.loadtxt(DATA / "faithful_eruptions.csv", comments="#", skiprows=7)


# R datasets::precip (70 US cities, inches/year), via Rdatasets' CSV export.
PRECIP = [67, 54.7, 7, 48.5, 14, 17.2, 20.7, 13, 43.4, 40.2, 38.9, 54.5, 59.8, 48.3, 22.9,
          11.5, 34.4, 35.1, 38.7, 30.8, 30.6, 43.1, 56.8, 40.8, 41.8, 42.5, 31, 31.7, 30.2,
          25.9, 49.2, 37, 35.9, 15, 30.2, 7.2, 36.2, 45.5, 7.8, 33.4, 36.1, 40.2, 42.7, 42.5,
          16.2, 39, 35, 37, 31.4, 37.6, 39.9, 36.2, 42.8, 46.4, 24.7, 49.1, 46, 35.9, 7.8,
          48.2, 15.2, 32.5, 44.7, 42.6, 38.8, 17.4, 40.8, 29.1, 14.6, 59.2]
# R diptest::statfaculty (n = 63), from the package's data/statfaculty.R.
STATFACULTY = [30, 33, 35, 36, 37, 37, 39, 39, 39, 39, 39, 40, 40, 40, 40, 41, 42, 43, 43, 43,
               44, 44, 45, 45, 46, 46, 47, 47, 48, 48, 48, 49, 50, 50, 51, 52, 52, 53, 53, 53,
               53, 53, 54, 54, 57, 57, 59, 60, 60, 60, 61, 61, 61, 61, 62, 62, 62, 62, 63, 66,
               70, 72, 72]


# ----------------------------------------------------------------- R reference values


@pytest.mark.parametrize(
    ("x", "dip", "low", "high"),
    [
        # stopifnot(dip(c(1,1,2,2)) == 1/4); modal interval from the PyPI port.
        ([1, 1, 2, 2], 0.25, None, None),
        # u <- cumsum(0:3); stopifnot(d == dip(-u), d == 1/(2*n))
        ([0, 1, 3, 6], 1 / 8, None, None),
        ([0, -1, -3, -6], 1 / 8, None, None),
        # x <- c(0,2:3,5:6): "new larger dip 1.33333" (2n*dip), xl = 5, xu = 6
        ([0, 2, 3, 5, 6], 4 / 3 / 10, 5.0, 6.0),
        # x2 <- c(1, rep(2, 9)): dip 0.05, lo.hi = 2 10, xl = xu = 2; dip(x2) == dip(3 - x2)
        ([1] + [2] * 9, 0.05, 2.0, 2.0),
        ([2] + [1] * 9, 0.05, None, None),
        # dip(statfaculty): "new larger dip 7.5" (2n*dip), n = 63, xl = 39, xu = 54
        (STATFACULTY, 7.5 / 126, 39.0, 54.0),
        # dip(precip): "new larger dip 5", n = 70, xl = 35.9 (Dallas), xu = 43.4 (Hartford)
        (PRECIP, 5 / 140, 35.9, 43.4),
    ],
)
def test_r_reference_values(x, dip, low, high):
    d, lo, hi = dip_statistic(x)
    assert d == pytest.approx(dip, abs=1e-12)
    if low is not None:
        assert (lo, hi) == (low, high)


@pytest.mark.skipif(LONG_DOUBLE_IS_DOUBLE, reason="R's x86_64 result relies on long double")
def test_r_reference_mirrored_example_uses_long_double_like_r():
    # dip(6 - x) in ex1.Rout.save-64b: lo.hi = 3 4, xl = 3, xu = 4 (R notes it differs on
    # 32-bit and M1mac builds, where the gap search runs in plain double).
    d, lo, hi = dip_statistic([6, 4, 3, 1, 0])
    assert d == pytest.approx(2 / 15, abs=1e-12)
    assert (lo, hi) == (3.0, 4.0)


def test_r_reference_faithful():
    # dip(faithful$eruptions): 0.0924, "new larger dip 50.2553" (2n*dip), lo.hi = 120 261,
    # xl = 3.83, xu = 4.83; ../shared/data/README.md: 0.09238 with [3.83, 4.83].
    x = faithful_eruptions()
    assert x.size == 272
    d, lo, hi = dip_statistic(x)
    assert d == pytest.approx(0.09238, abs=5e-6)
    assert 2 * 272 * d == pytest.approx(50.2553, abs=5e-5)
    xs = np.sort(x)
    assert (lo, hi) == (xs[120 - 1], xs[261 - 1]) == (3.833, 4.833)


# ------------------------------------------------------------- naive twin: the definition


def dip_by_linear_programs(x) -> float:
    """The dip from its definition: min over unimodal CDFs G of sup |F_n - G|.

    A closest unimodal G can be taken piecewise linear between the distinct data
    values u_1 < ... < u_k, continuous except for a jump at its mode u_m (a mode between
    two data values can be moved onto one of them, and chords of the convex/concave
    parts stay in the tube). For each m this is a linear program in the left limits
    L_j = G(u_j-), values R_j = G(u_j) and the distance d: |R_j - F(u_j)| <= d,
    |L_j - F(u_j-)| <= d, L_j = R_j (j != m), nondecreasing, slopes nondecreasing left of
    u_m and nonincreasing right of it. R's convention floors the dip at 1/(2n).
    """
    xs = np.sort(np.asarray(x, dtype=float))
    n = xs.size
    u, counts = np.unique(xs, return_counts=True)
    k = u.size
    if k == 1:
        return 1 / (2 * n)
    cdf = np.cumsum(counts) / n
    cdf_left = np.concatenate([[0.0], cdf[:-1]])
    nv = 2 * k + 1  # L_0..L_{k-1}, R_0..R_{k-1}, d

    def unit(*pairs):
        row = np.zeros(nv)
        for index, value in pairs:
            row[index] += value
        return row

    def slope(j):
        width = u[j + 1] - u[j]
        return unit((j + 1, 1 / width), (k + j, -1 / width))

    best = np.inf
    for m in range(k):
        a_ub, b_ub, a_eq = [], [], []
        for j in range(k):
            a_ub += [unit((k + j, 1), (2 * k, -1)), unit((k + j, -1), (2 * k, -1)),
                     unit((j, 1), (2 * k, -1)), unit((j, -1), (2 * k, -1)),
                     unit((j, 1), (k + j, -1))]
            b_ub += [cdf[j], -cdf[j], cdf_left[j], -cdf_left[j], 0.0]
            if j != m:
                a_eq.append(unit((j, 1), (k + j, -1)))
            if j < k - 1:
                a_ub.append(unit((k + j, 1), (j + 1, -1)))
                b_ub.append(0.0)
        for j in range(k - 2):
            if j + 1 <= m - 1:
                a_ub.append(slope(j) - slope(j + 1))
                b_ub.append(0.0)
            elif j >= m:
                a_ub.append(slope(j + 1) - slope(j))
                b_ub.append(0.0)
        res = optimize.linprog(
            unit((2 * k, 1)), A_ub=np.array(a_ub), b_ub=b_ub,
            A_eq=np.array(a_eq) if a_eq else None, b_eq=[0.0] * len(a_eq) if a_eq else None,
            bounds=[(0, 1)] * (2 * k) + [(0, None)], method="highs",
        )
        assert res.status == 0
        best = min(best, res.fun)
    return max(best, 1 / (2 * n))


def test_dip_equals_its_definition_on_small_samples():
    rng = np.random.default_rng(2024)
    for trial in range(80):
        n = int(rng.integers(4, 10))
        if trial % 3 == 0:
            x = rng.normal(size=n)
        elif trial % 3 == 1:
            x = rng.integers(0, 4, size=n).astype(float)  # heavy ties
        else:
            x = np.concatenate([rng.normal(0, 1, n // 2), rng.normal(4, 1, n - n // 2)])
        assert dip_statistic(x)[0] == pytest.approx(dip_by_linear_programs(x), abs=1e-9), x


# ------------------------------------------------------------------- hand-computed cases


@pytest.mark.parametrize("n", [1, 2, 3])
def test_tiny_samples_have_the_minimal_dip(n):
    x = [3.0, -1.0, 7.0][:n]
    assert dip_statistic(x) == (1 / (2 * n), min(x), max(x))


def test_identical_values_have_the_minimal_dip():
    assert dip_statistic([2.5] * 6) == (1 / 12, 2.5, 2.5)


@pytest.mark.parametrize(("k0", "k1"), [(5, 5), (3, 7), (1, 9), (8, 2), (10, 30)])
def test_two_point_masses(k0, k1):
    # Only one jump of the ECDF can sit at the mode; the other, of size min(k0,k1)/n, must
    # be bridged continuously, so the dip is min(k0, k1) / (2n) (floored at 1/(2n)).
    n = k0 + k1
    assert dip_statistic([0.0] * k0 + [1.0] * k1)[0] == pytest.approx(min(k0, k1) / (2 * n))


def test_dip_bounds_and_tie_lower_bound():
    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(4, 60))
        x = rng.integers(0, 6, size=n).astype(float)
        d = dip_statistic(x)[0]
        counts = np.sort(np.unique(x, return_counts=True)[1])
        second = counts[-2] if counts.size > 1 else 0
        assert 1 / (2 * n) - 1e-15 <= d <= 0.25 + 1e-15
        assert d >= second / (2 * n) - 1e-12


# -------------------------------------------------------------------------- invariances


def test_invariant_to_order_location_scale_and_reflection():
    rng = np.random.default_rng(11)
    for n in (5, 17, 60, 250):
        x = np.concatenate([rng.normal(0, 1, n // 2), rng.normal(3, 0.5, n - n // 2)])
        d, lo, hi = dip_statistic(x)
        d_perm, lo_perm, hi_perm = dip_statistic(rng.permutation(x))
        assert (d_perm, lo_perm, hi_perm) == (d, lo, hi)
        d_aff, lo_aff, hi_aff = dip_statistic(11.3 + 3.7 * x)
        assert d_aff == pytest.approx(d, abs=1e-12)
        assert (lo_aff, hi_aff) == pytest.approx((11.3 + 3.7 * lo, 11.3 + 3.7 * hi))
        assert dip_statistic(-x)[0] == pytest.approx(d, abs=1e-12)


def test_batched_rows_match_single_samples():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 40))
    x[2] = np.round(x[2])  # ties
    d, lo, hi = dip_statistic(x)
    assert d.shape == lo.shape == hi.shape == (6,)
    for i, row in enumerate(x):
        assert (d[i], lo[i], hi[i]) == dip_statistic(row)


# ---------------------------------------------------------- cross-check: PyPI ``diptest``


def test_matches_pypi_diptest_port_of_r_code():
    diptest = pytest.importorskip("diptest")
    rng = np.random.default_rng(99)
    for trial in range(300):
        n = int(rng.integers(4, 400))
        x = rng.normal(size=n) if trial % 2 else rng.standard_t(3, size=n) + 4 * (
            rng.random(n) < 0.3
        )
        ref, full = diptest.dipstat(x, full_output=True, allow_zero=False)
        d, lo, hi = dip_statistic(x)
        assert d == pytest.approx(ref, abs=1e-12)
        assert (lo, hi) == (full["xl"], full["xu"])
        # Heavily tied data: the statistic still agrees (the modal interval may not, see
        # the module notes on exact ties in the gap search).
        xt = np.round(x, 1)
        assert dip_statistic(xt)[0] == pytest.approx(diptest.dipstat(xt, allow_zero=False),
                                                     abs=1e-12)


def test_table_pvalues_agree_with_r_table_via_pypi_diptest():
    # The PyPI port interpolates R's own qDiptab (a different, independent simulation).
    diptest = pytest.importorskip("diptest")
    rng = np.random.default_rng(5)
    worst = 0.0
    for n in (8, 15, 30, 57, 100, 230, 1000):
        for shift in (0.0, 1.5, 2.5, 3.5):
            x = np.concatenate([rng.normal(0, 1, n // 2), rng.normal(shift, 1, n - n // 2)])
            ours = dip_test(x).pvalue
            dip, theirs = diptest.diptest(x)
            # R's table is not used below p = 0.002, and at the minimal dip 1/(2n) our p is
            # exactly 1 (every null dip is >= 1/(2n)) where R's interpolation gives < 1.
            if 0.002 < theirs and dip > 1 / (2 * n) + 1e-12:
                worst = max(worst, abs(ours - theirs))
    assert worst < 0.02


# ------------------------------------------------------------------------ p-values


def test_table_pvalues_are_calibrated_under_the_uniform_null():
    rng = np.random.default_rng(12345)
    for n in (9, 30, 57, 160):  # on and off the table's grid of n
        p = np.array([dip_test(rng.random(n)).pvalue for _ in range(300)])
        # Kolmogorov-Smirnov distance to U(0, 1); 1% critical value for 300 draws is 0.094.
        assert stats.kstest(p, "uniform").statistic < 0.094, n
        assert 0.02 <= np.mean(p <= 0.05) <= 0.09, n


def test_conservative_under_a_normal_null():
    # The uniform is the least favourable unimodal null (Hartigan & Hartigan 1985).
    rng = np.random.default_rng(8)
    p = np.array([dip_test(rng.normal(size=40)).pvalue for _ in range(300)])
    assert np.mean(p <= 0.05) <= 0.03


def test_table_agrees_with_simulation():
    rng = np.random.default_rng(21)
    b = 2000
    for n, shift in ((23, 3.0), (57, 2.6), (130, 2.4), (130, 0.0)):
        x = np.concatenate([rng.normal(0, 1, n // 2), rng.normal(shift, 1, n - n // 2)])
        table = dip_test(x).pvalue
        sim = dip_test(x, method="simulation", n_resamples=b, rng=rng).pvalue
        tolerance = 4 * np.sqrt(max(sim * (1 - sim), 0.01) / b) + 0.005
        assert abs(table - sim) < tolerance, (n, table, sim)


def test_shipped_table_regenerates_exactly():
    # One row of distscale/modality/data/dip_null_table.csv, recomputed with the script's own code
    # and seed: the shipped table is what scripts/make_dip_table.py makes.
    import importlib.util

    import pandas as pd

    path = REPO_ROOT / "scripts" / "make_dip_table.py"
    spec = importlib.util.spec_from_file_location("make_dip_table", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    table = pd.read_csv(Path(distscale.__file__).parent / "modality" / "data" / "dip_null_table.csv",
                        comment="#")
    row = table[table["n"] == 7]
    _, _, quantiles, _ = script._row((7, int(row["n_resamples"].iloc[0])))
    assert row["probability"].tolist() == pytest.approx(script.PROBABILITIES.tolist())
    assert row["quantile"].to_numpy() == pytest.approx(quantiles, rel=1e-9)


def test_table_interpolation_between_sample_sizes():
    # Leave-one-out check of the 1/sqrt(n) interpolation: the n = 35 row predicted from
    # n = 30 and 40 gives p-values within 0.01 of the n = 35 row itself.
    from distscale.modality import dip as u

    n_grid, probs, scaled = u._null_table()
    i30, i35, i40 = (int(np.flatnonzero(n_grid == v)[0]) for v in (30, 35, 40))
    w = (35**-0.5 - 30**-0.5) / (40**-0.5 - 30**-0.5)
    predicted = (1 - w) * scaled[i30] + w * scaled[i40]
    inner = (probs > 0) & (probs < 1)
    p_from_pred = np.interp(predicted[inner], scaled[i35], probs)
    assert np.max(np.abs(p_from_pred - probs[inner])) < 0.01


def test_pvalue_is_monotone_in_the_dip_and_clamped():
    for n in (4, 10, 35, 800, 10_000):
        dips = np.linspace(1 / (2 * n), 0.25, 200)
        p = np.array([_table_pvalue(d, n) for d in dips])
        assert np.all(np.diff(p) <= 1e-15)
        assert p[0] == 1.0
        assert p[-1] == pytest.approx(0.001)  # the table's smallest p-value (clamp)


def test_extreme_and_minimal_dips():
    x = [0.0] * 10 + [1.0] * 10  # the largest possible dip, 1/4
    with pytest.warns(DegenerateDataWarning, match="ties"):
        res = dip_test(x, method="simulation", n_resamples=99, rng=1)
    assert res.statistic == 0.25
    assert res.pvalue == 1 / 100  # no uniform sample reaches 1/4: (0 + 1) / (99 + 1)
    with pytest.warns(DegenerateDataWarning, match="ties"):
        assert dip_test(x).pvalue == pytest.approx(0.001)
    minimal = [1.0] + [2.0] * 9  # dip = 1/(2n), the minimum: every null dip is >= it
    assert dip_test(minimal).pvalue == 1.0
    assert dip_test(minimal, method="simulation", n_resamples=50, rng=0).pvalue == 1.0


def test_simulation_uses_only_the_given_rng():
    x = np.random.default_rng(0).normal(size=50)
    state = np.random.get_state()  # noqa: NPY002 (checking it is untouched)
    a = dip_test(x, method="simulation", n_resamples=300, rng=42)
    b = dip_test(x, method="simulation", n_resamples=300, rng=np.random.default_rng(42))
    c = dip_test(x, method="simulation", n_resamples=300, rng=43)
    after = np.random.get_state()  # noqa: NPY002
    assert a == b
    assert a.pvalue != c.pvalue
    assert a.n_resamples == 300 and a.method == "simulation"
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_larger_n_than_the_table_uses_its_last_row():
    x = np.random.default_rng(4).random(6000)
    p = dip_test(x).pvalue
    assert 0.001 <= p <= 1.0


# ---------------------------------------------------------------------- ties, degenerate


def test_discrete_unimodal_metric_warns_about_ties():
    # Binomial(4, 1/2)-like counts on 0..4: a unimodal pmf, but the ECDF's jumps force a
    # dip >= 25/200, far beyond the continuous null: warn instead of a silent discovery.
    x = np.repeat(np.arange(5.0), [6, 25, 38, 25, 6])
    with pytest.warns(DegenerateDataWarning, match="discrete metric"):
        res = dip_test(x)
    assert res.statistic >= 25 / 200


def test_mild_ties_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = dip_test(faithful_eruptions())
    assert res.pvalue < 0.01  # faithful eruptions are famously bimodal
    assert res.modal_interval == ModalInterval(3.833, 4.833)


@pytest.mark.parametrize("x", [[1.0, 2.0, 3.0], [4.0, 4.0, 4.0, 4.0, 4.0]])
def test_degenerate_input_warns_and_gives_pvalue_one(x):
    with pytest.warns(DegenerateDataWarning, match="degenerate"):
        res = dip_test(x)
    assert res.pvalue == 1.0
    assert res.statistic == 1 / (2 * len(x))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"x": []}, ValueError, "at least 1 value"),
        ({"x": [[1.0, 2.0], [3.0, 4.0]]}, ValueError, "1-dimensional"),
        ({"x": [1.0, np.nan, 2.0]}, ValueError, "non-finite"),
        ({"x": [1.0, np.inf, 2.0, 3.0]}, ValueError, "non-finite"),
        ({"x": ["a", "b"]}, TypeError, "only numbers"),
        ({"x": [1.0, 2, 3, 4], "method": "bootstrap"}, ValueError, "`method`"),
        ({"x": [1.0, 2, 3, 4], "n_resamples": 0}, ValueError, "n_resamples"),
        ({"x": [1.0, 2, 3, 4], "n_resamples": 10.5}, TypeError, "n_resamples"),
        ({"x": [1.0, 2, 3, 4], "rng": "seed"}, TypeError, "rng"),
    ],
)
def test_dip_test_bad_input(kwargs, error, match):
    x = kwargs.pop("x")
    with pytest.raises(error, match=match):
        dip_test(x, **kwargs)


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (np.zeros((2, 2, 2)), ValueError, "1-dimensional or 2-dimensional"),
        (np.zeros((3, 0)), ValueError, "at least 1 value"),
        ([[1.0, np.nan]], ValueError, "non-finite"),
        (5.0, ValueError, "1-dimensional"),
    ],
)
def test_dip_statistic_bad_input(x, error, match):
    with pytest.raises(error, match=match):
        dip_statistic(x)


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        ([1.0, 2.0, 3.0], ValueError, "at least 4"),
        ([1.0, 2.0, np.nan, 4.0], ValueError, "non-finite"),
        (np.zeros((2, 2, 4)), ValueError, "1-dimensional or 2-dimensional"),
        ([None, 1, 2, 3], ValueError, "non-finite"),
    ],
)
def test_bimodality_coefficient_bad_input(x, error, match):
    with pytest.raises(error, match=match):
        bimodality_coefficient(x)


# ------------------------------------------------------------ bimodality coefficient


def test_bimodality_coefficient_matches_scipy_moments():
    rng = np.random.default_rng(17)
    for n in (4, 5, 9, 50, 400):
        x = rng.gamma(2.0, size=n)
        g1 = stats.skew(x, bias=False)
        g2 = stats.kurtosis(x, bias=False)
        expected = (g1**2 + 1) / (g2 + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))
        assert bimodality_coefficient(x) == pytest.approx(expected, rel=1e-10)


def test_bimodality_coefficient_hand_computed_and_benchmarks():
    # [0, 0, 1, 1]: G1 = 0, G2 = -6, correction 27/2, so BC = 1 / 7.5 = 2/15.
    assert bimodality_coefficient([0, 0, 1, 1]) == pytest.approx(2 / 15, rel=1e-12)
    rng = np.random.default_rng(0)
    # Population values: uniform 5/9 (the benchmark), normal 1/3, two equal point masses 1.
    assert bimodality_coefficient(rng.uniform(size=200_000)) == pytest.approx(5 / 9, abs=0.005)
    assert bimodality_coefficient(rng.normal(size=200_000)) == pytest.approx(1 / 3, abs=0.005)
    assert bimodality_coefficient(rng.integers(0, 2, 200_000)) == pytest.approx(1, abs=0.005)
    two_modes = np.concatenate([rng.normal(0, 1, 500), rng.normal(8, 1, 500)])
    assert bimodality_coefficient(two_modes) > 5 / 9 > bimodality_coefficient(
        rng.normal(size=1000)
    )


def test_bimodality_coefficient_invariances_and_rows():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 30)) ** 2
    bc = bimodality_coefficient(x)
    assert bc.shape == (5,)
    for i, row in enumerate(x):
        assert bc[i] == pytest.approx(bimodality_coefficient(row), rel=1e-12)
        assert bimodality_coefficient(-2.5 * row + 7) == pytest.approx(bc[i], rel=1e-9)


def test_bimodality_coefficient_degenerate_rows():
    with pytest.warns(DegenerateDataWarning, match="identical"):
        assert np.isnan(bimodality_coefficient([0.1] * 5))
    with pytest.warns(DegenerateDataWarning, match="1 of 2 rows"):
        bc = bimodality_coefficient([[0.1] * 5, [0.0, 1.0, 2.0, 3.0, 9.0]])
    assert np.isnan(bc[0]) and np.isfinite(bc[1])


# ------------------------------------------------------------------------ result object


def test_result_object_is_frozen_and_tidy():
    res = dip_test([0, 2, 3, 5, 6])
    assert isinstance(res, DipTestResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.pvalue = 0.5
    frame = res.to_frame()
    assert frame.shape == (1, 7)
    assert frame.loc[0, "modal_low"] == 5.0 and frame.loc[0, "modal_high"] == 6.0
    assert frame.loc[0, "method"] == "table" and frame["n_resamples"].isna().all()
    assert res.n == 5 and res.method == "table" and res.n_resamples is None


def test_public_exports():
    for name in ("dip_test", "dip_statistic", "DipTestResult", "bimodality_coefficient"):
        assert name in distscale.__all__
        assert getattr(distscale, name) is not None
