"""Tests for distscale.success: P(success) against scale, Firth under separation, x50.

Outside truths used here:

* statsmodels GLM (Binomial) for plain maximum likelihood on non-separated data;
* direct maximisation of the (penalised) log-likelihood with scipy.optimize,
  and brute-force profile likelihoods (scipy minimize + brentq) -- naive twins
  of the batched Newton solver and of every profile interval;
* published Firth estimates for the endometrial cancer data of Heinze &
  Schemper (2002);
* enumeration of cut points as a naive twin of the separation linear program;
* scikit-learn's IsotonicRegression for the isotonic model;
* simulation from known logistic curves (parameter recovery, CI coverage).
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special, stats

import distscale
from distscale import Population, SuccessCurve, success_curve
from distscale.success.logistic import _Binomial, _separated
from tests._helpers import SHARED_DATA, collect_degenerate, quiet

# --------------------------------------------------------------------------- fixtures
#: The separated example of issue 5: 0/10, 0/10, 3/10, 10/10, 10/10.
SEP_SCALES = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
SEP_Y = np.array([0, 0, 3, 10, 10])


def counts_population(scales, successes, n, *, value_ok=1.0, value_bad=0.0):
    """A population with ``successes[i]`` of ``n[i]`` runs above 0.5 at ``scales[i]``."""
    n = np.broadcast_to(n, len(scales))
    return Population.from_dict(
        {
            float(s): [value_ok] * int(k) + [value_bad] * int(m - k)
            for s, k, m in zip(scales, successes, n, strict=True)
        }
    )


def separated_pop():
    return counts_population(SEP_SCALES, SEP_Y, 10)


#: Non-separated counts (overlapping successes and failures).
OVL_SCALES = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
OVL_Y = np.array([1, 3, 4, 8, 9, 12])
OVL_N = np.array([12, 12, 10, 12, 11, 14])


# ------------------------------------------------------------------------ naive twins
def naive_pl(b, X, y, n, firth):
    """Binomial log-likelihood (+ log det I / 2), written out plainly."""
    eta = X @ b
    ll = np.sum(y * special.log_expit(eta) + (n - y) * special.log_expit(-eta))
    ll += np.sum(special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1))
    if firth:
        w = n * special.expit(eta) * special.expit(-eta)
        ll += 0.5 * np.linalg.slogdet(X.T @ (w[:, None] * X))[1]
    return ll


def naive_minimize(fun, x0):
    """BFGS with central-difference gradients (no analytic score: independent of ours)."""
    with np.errstate(all="ignore"):  # trial steps may reach -inf log-likelihoods
        return optimize.minimize(fun, x0, method="BFGS", jac="3-point", options={"gtol": 1e-10})


def naive_fit(X, y, n, firth, x0=None):
    """Maximise the (penalised) log-likelihood directly; starts at 0 unless told."""
    x0 = np.zeros(X.shape[1]) if x0 is None else np.asarray(x0, float)
    r = naive_minimize(lambda b: -naive_pl(b, X, y, n, firth), x0)
    return r.x, -r.fun


def naive_profile_ci(X, y, n, firth, j, level=0.95):
    """Profile-likelihood interval of coefficient j by brute force.

    For each trial value of b_j the other coefficients are re-maximised (BFGS then
    Nelder-Mead, from the last solution and from the estimate; the better one wins);
    the limits are bracketed by walking outward from the estimate and found by brentq.
    """
    b, pl_max = naive_fit(X, y, n, firth)
    q = stats.chi2.ppf(level, 1)
    others = [k for k in range(X.shape[1]) if k != j]
    memo = {}

    def excess(v):
        def neg(u):
            bb = np.empty(X.shape[1])
            bb[j] = v
            bb[others] = u
            return -naive_pl(bb, X, y, n, firth)

        best = None
        for x0 in (memo["u"], b[others]):
            r = naive_minimize(neg, x0)
            with np.errstate(all="ignore"):
                r = optimize.minimize(
                    neg, r.x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-13}
                )
            if best is None or r.fun < best.fun:
                best = r
        memo["u"] = best.x
        return 2 * (pl_max + best.fun) - q

    limits = []
    for sign in (-1.0, 1.0):
        memo["u"] = b[others]
        inner, step = b[j], 0.25
        while excess(inner + sign * step) < 0:
            inner, step = inner + sign * step, step * 1.5
        limits.append(optimize.brentq(excess, inner, inner + sign * step, xtol=1e-12))
    return limits[0], limits[1]


def log_design(scales, degree=1):
    t = np.log(scales)
    return np.column_stack([t**k for k in range(degree + 1)])


# ===================================================================== the example
def test_separated_example_is_finite_where_statsmodels_is_not():
    """Must-show of issue 5: finite coefficients, finite x50 CI inside the data, useful band."""
    import statsmodels.api as sm

    res = success_curve(separated_pop(), threshold=0.5)
    assert res.separation and res.penalty == "firth"
    assert "separation" in res.penalty_reason and "Firth" in res.penalty_reason
    assert np.all(np.isfinite(res.coef)) and np.all(np.isfinite(res.coef_se))
    assert np.all(np.isfinite(res.coef_ci.low)) and np.all(np.isfinite(res.coef_ci.high))
    # x50 between the 3/10 and the 10/10 scale, its CI finite and inside [1, 16]
    assert 4 < res.x50 < 8
    assert 1 < res.x50_ci.low < res.x50 < res.x50_ci.high < 16
    frame = res.to_frame()
    width = frame["ci_high"] - frame["ci_low"]
    assert (width < 0.9).all()  # never [0, 1]
    assert frame["ci_high"].iloc[0] < 0.05 and frame["ci_low"].iloc[-1] > 0.9
    # statsmodels on the same counts (the complaint): huge SEs, bands of [0, 1]
    X = log_design(SEP_SCALES)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        glm = sm.GLM(
            np.column_stack([SEP_Y, 10 - SEP_Y]), X, family=sm.families.Binomial()
        ).fit()
        band = glm.get_prediction(X).summary_frame()
    assert glm.bse[1] > 1e3
    assert (band["mean_ci_upper"] - band["mean_ci_lower"] > 0.999).sum() >= 3


def test_plain_mle_on_separated_data_warns_and_matches_statsmodels():
    """penalty=None: statsmodels' diverging estimates, Wald intervals, a warning."""
    res, msgs = collect_degenerate(success_curve, separated_pop(), threshold=0.5, penalty=None)
    assert res.penalty is None and res.separation and res.ci_method == "wald"
    assert any("separated" in m for m in msgs)
    assert res.coef_se[1] > 1e3
    assert (res.to_frame()["ci_high"] - res.to_frame()["ci_low"] > 0.999).sum() >= 3


# ============================================================================ naive twins
@pytest.mark.parametrize("degree", [1, 2])
@pytest.mark.parametrize(
    "scales,y,n",
    [(SEP_SCALES, SEP_Y, np.full(5, 10)), (OVL_SCALES, OVL_Y, OVL_N)],
    ids=["separated", "overlapping"],
)
def test_firth_equals_direct_maximisation(degree, scales, y, n):
    """Twin (a): Newton with the modified score == scipy maximising loglik + log det I / 2."""
    pop = counts_population(scales, y, n)
    res = success_curve(
        pop, threshold=0.5, penalty="firth", model="quadratic" if degree == 2 else "logistic"
    )
    X = log_design(scales, degree)
    b, _ = naive_fit(X, y.astype(float), np.asarray(n, float), True)
    np.testing.assert_allclose(res.coef, b, rtol=1e-6, atol=1e-6)
    # penalised log-likelihood differs by the constant log|det A| of the reparameterisation
    np.testing.assert_allclose(
        res.loglik, naive_pl(b, X, y, np.asarray(n, float), False), rtol=1e-8
    )


def test_firth_score_and_curvature_equal_finite_differences():
    """The modified score is the gradient, and `curvature` minus the Hessian, of
    loglik + log det I / 2 (central differences of the plain formula)."""
    X = log_design(SEP_SCALES, 2)
    y, n = SEP_Y.astype(float), np.full(5, 10.0)
    engine = _Binomial(X, y, n, firth=True)
    b = np.array([-2.0, 1.5, 0.4])
    ev = engine.evaluate(b[None, :])
    h = 1e-4
    eye = np.eye(3) * h
    grad = [(naive_pl(b + e, X, y, n, True) - naive_pl(b - e, X, y, n, True)) / (2 * h) for e in eye]
    hess = [
        [
            (
                naive_pl(b + e + f, X, y, n, True)
                - naive_pl(b + e - f, X, y, n, True)
                - naive_pl(b - e + f, X, y, n, True)
                + naive_pl(b - e - f, X, y, n, True)
            )
            / (4 * h * h)
            for f in eye
        ]
        for e in eye
    ]
    np.testing.assert_allclose(ev["score"][0], grad, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(-ev["curvature"][0], hess, rtol=1e-4, atol=1e-4)
    assert ev["pl"][0] == pytest.approx(naive_pl(b, X, y, n, True), rel=1e-12)


@pytest.mark.parametrize(
    "model,j", [("logistic", 0), ("logistic", 1), ("quadratic", 0)], ids=["b0", "b1", "quad-b0"]
)
def test_firth_profile_intervals_equal_brute_force(model, j):
    """Profile penalised-likelihood CIs == scipy brute force (re-maximise + brentq).

    The quadratic intercept's lower limit (about -46) lies where a naive optimiser started
    at the estimate goes wrong; the twin walks outward to get there."""
    res = success_curve(separated_pop(), threshold=0.5, model=model)
    X = log_design(SEP_SCALES, 2 if model == "quadratic" else 1)
    lo, hi = naive_profile_ci(X, SEP_Y.astype(float), np.full(5, 10.0), True, j)
    assert res.coef_ci.low[j] == pytest.approx(lo, rel=1e-6, abs=1e-6)
    assert res.coef_ci.high[j] == pytest.approx(hi, rel=1e-6, abs=1e-6)


def test_mle_profile_intervals_equal_brute_force():
    pop = counts_population(OVL_SCALES, OVL_Y, OVL_N)
    res = success_curve(pop, threshold=0.5)
    assert res.penalty is None and res.ci_method == "profile"
    X = log_design(OVL_SCALES)
    for j in range(2):
        lo, hi = naive_profile_ci(X, OVL_Y.astype(float), OVL_N.astype(float), False, j)
        assert res.coef_ci.low[j] == pytest.approx(lo, rel=1e-6, abs=1e-6)
        assert res.coef_ci.high[j] == pytest.approx(hi, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("firth", [True, False])
def test_x50_interval_equals_brute_force_profile(firth):
    """x50 CI == {t0 : P(t0) = 0.5 not rejected}: b0 = -b1 t0, maximise over b1, brentq in t0."""
    if firth:
        scales, y, n = SEP_SCALES, SEP_Y.astype(float), np.full(5, 10.0)
    else:
        scales, y, n = OVL_SCALES, OVL_Y.astype(float), OVL_N.astype(float)
    res = success_curve(counts_population(scales, y, n), threshold=0.5)
    X = log_design(scales)
    b, pl_max = naive_fit(X, y, n, firth)
    q = stats.chi2.ppf(0.95, 1)

    def excess(t0):
        r = optimize.minimize_scalar(
            lambda b1: -naive_pl(np.array([-b1 * t0, b1]), X, y, n, firth),
            bounds=(-100, 100),
            method="bounded",
            options={"xatol": 1e-11},
        )
        return 2 * (pl_max + r.fun) - q

    t50 = -b[0] / b[1]
    assert np.log(res.x50) == pytest.approx(t50, rel=1e-6)
    lo = optimize.brentq(excess, t50 - 2.0, t50, xtol=1e-12)
    hi = optimize.brentq(excess, t50, t50 + 2.0, xtol=1e-12)
    assert np.log(res.x50_ci.low) == pytest.approx(lo, abs=1e-6)
    assert np.log(res.x50_ci.high) == pytest.approx(hi, abs=1e-6)


def test_band_contains_half_exactly_at_x50_limits():
    """The x50 CI inverts the band: at its limits the band's edge is 0.5."""
    res = success_curve(separated_pop(), threshold=0.5)
    pred = res.predict([res.x50_ci.low, res.x50, res.x50_ci.high])
    assert pred["ci_high"].iloc[0] == pytest.approx(0.5, abs=1e-7)
    assert pred["p_success"].iloc[1] == pytest.approx(0.5, abs=1e-10)
    assert pred["ci_low"].iloc[2] == pytest.approx(0.5, abs=1e-7)


def test_band_equals_brute_force_profile_of_linear_predictor():
    res = success_curve(separated_pop(), threshold=0.5)
    X = log_design(SEP_SCALES)
    y, n = SEP_Y.astype(float), np.full(5, 10.0)
    b, pl_max = naive_fit(X, y, n, True)
    q = stats.chi2.ppf(0.95, 1)
    s0 = 3.0
    t0 = np.log(s0)

    def excess(v):  # eta(t0) = v  ->  b0 = v - b1 t0
        r = optimize.minimize_scalar(
            lambda b1: -naive_pl(np.array([v - b1 * t0, b1]), X, y, n, True),
            bounds=(-100, 100),
            method="bounded",
            options={"xatol": 1e-11},
        )
        return 2 * (pl_max + r.fun) - q

    eta = b[0] + b[1] * t0
    lo = optimize.brentq(excess, eta - 20, eta, xtol=1e-12)
    hi = optimize.brentq(excess, eta, eta + 20, xtol=1e-12)
    pred = res.predict(s0)
    assert special.logit(pred["ci_low"].iloc[0]) == pytest.approx(lo, abs=1e-6)
    assert special.logit(pred["ci_high"].iloc[0]) == pytest.approx(hi, abs=1e-6)


@pytest.mark.parametrize("model,degree", [("logistic", 1), ("quadratic", 2)])
@pytest.mark.parametrize("x", ["log", "linear"])
def test_mle_equals_statsmodels(model, degree, x):
    """Twin (b): plain MLE == statsmodels GLM on the original design (not standardised)."""
    import statsmodels.api as sm

    pop = counts_population(OVL_SCALES, OVL_Y, OVL_N)
    res = success_curve(pop, threshold=0.5, model=model, x=x)
    assert not res.separation and res.penalty is None
    t = np.log(OVL_SCALES) if x == "log" else OVL_SCALES
    X = np.column_stack([t**k for k in range(degree + 1)])
    glm = sm.GLM(
        np.column_stack([OVL_Y, OVL_N - OVL_Y]), X, family=sm.families.Binomial()
    ).fit(tol=1e-14)
    np.testing.assert_allclose(res.coef, glm.params, rtol=1e-6)
    np.testing.assert_allclose(res.coef_se, glm.bse, rtol=1e-6)
    assert res.deviance == pytest.approx(glm.deviance, rel=1e-6, abs=1e-9)
    assert res.aic == pytest.approx(glm.aic, rel=1e-6)
    assert res.loglik == pytest.approx(glm.llf, rel=1e-6)
    assert res.df == degree + 1


# ================================================================= published Firth values
#: Endometrial cancer data (Heinze & Schemper 2002; n = 79), as distributed with
#: Agresti (2015), "Foundations of Linear and Generalized Linear Models",
#: file Endometrial.dat (columns NV, PI, EH, HG).
ENDOMETRIAL = """
0 13 1.64 0|0 16 2.26 0|0 8 3.14 0|0 34 2.68 0|0 20 1.28 0|0 5 2.31 0|0 17 1.80 0|0 10 1.68 0
0 26 1.56 0|0 17 2.31 0|0 8 2.01 0|0 7 1.89 0|0 20 3.15 0|0 10 1.23 0|0 18 1.27 0|0 16 1.76 0
0 18 2.00 0|0 8 2.64 1|0 29 0.88 1|0 12 1.27 1|0 20 1.37 1|1 38 0.97 1|1 22 1.14 1|1 7 0.88 1
1 25 0.91 1|1 15 0.58 1|0 7 0.97 1|0 28 1.50 0|0 11 1.33 0|0 19 2.37 0|0 10 1.82 0|0 10 3.13 0
0 18 1.31 0|0 14 1.92 0|0 21 1.64 0|0 11 2.01 0|0 17 1.88 0|0 25 1.93 0|0 16 2.11 0|0 19 1.29 0
0 15 1.72 0|0 33 0.75 0|0 24 1.92 0|0 48 1.84 1|0 12 1.11 1|0 19 1.61 1|0 2 1.18 1|1 22 1.44 1
1 40 1.18 1|1 5 0.93 1|1 0 1.17 1|0 21 1.19 1|0 15 1.06 1|0 29 2.02 0|0 15 2.29 0|0 12 2.33 0
0 3 2.90 0|0 20 1.70 0|0 23 1.41 0|0 12 2.25 0|0 22 1.54 0|0 42 1.97 0|0 15 1.75 0|0 13 2.16 0
0 14 2.57 0|0 19 1.37 0|0 12 3.61 0|0 13 2.04 0|0 10 2.17 0|0 12 1.69 1|1 49 0.27 1|0 6 1.84 1
0 5 1.30 1|0 17 0.96 1|1 11 1.01 1|1 21 0.98 1|0 5 0.35 1|1 19 1.02 1|0 33 0.85 1
"""


def endometrial():
    rows = [r.split() for r in ENDOMETRIAL.replace("\n", "|").split("|") if r.strip()]
    data = np.array(rows, dtype=float)
    assert data.shape == (79, 4)
    X = np.column_stack([np.ones(79), data[:, :3]])
    return X, data[:, 3]


def test_firth_matches_published_endometrial_estimates():
    """Twin (c): Firth estimates (SE) for HG ~ NV + PI + EH, published to 3 decimals:
    3.775 (1.489), 2.929 (1.551), -0.035 (0.040), -2.604 (0.776) -- Heinze & Schemper (2002),
    reproduced in Table 1 of Rigon & Aliverti (2022), "Conjugate priors and bias reduction
    for logistic regression models" (brglm2, type="AS_mean"). NV is quasi-separated: every
    case with NV = 1 has HG = 1, so the ML estimate of NV is infinite."""
    X, y = endometrial()
    n = np.ones(79)
    assert _separated(X, y, n)
    engine = _Binomial(X, y, n, firth=True)
    beta, ev, converged = engine.maximise(np.zeros((1, 4)))
    assert converged.all()
    np.testing.assert_allclose(beta[0], [3.775, 2.929, -0.035, -2.604], atol=6e-4)
    se = np.sqrt(np.diag(ev["info_inv"][0]))
    np.testing.assert_allclose(se, [1.489, 1.551, 0.040, 0.776], atol=6e-4)
    # and the naive twin agrees to far more digits than published
    b, _ = naive_fit(X, y, n, True)
    np.testing.assert_allclose(beta[0], b, atol=1e-6)
    # without NV the data overlap: no separation, and plain ML equals statsmodels
    assert not _separated(X[:, [0, 2, 3]], y, n)


# ============================================================================ separation
def naive_separated(z, y, n, degree):
    """Brute force: is there a nonzero polynomial of `degree` that is >= 0 where all succeed,
    <= 0 where all fail, and = 0 where both occur, with some strict inequality?

    Enumerates the sign patterns a polynomial of degree <= `degree` can take on the points:
    products of up to `degree` factors (z - r), r at data points or midpoints, times +-1.
    """
    s = np.where(y == n, 1, np.where(y == 0, -1, 0))
    cand = np.unique(np.concatenate([z, (z[:-1] + z[1:]) / 2]))
    rows = [np.ones_like(z)]
    for deg in range(1, degree + 1):
        for roots in itertools.combinations_with_replacement(cand, deg):
            rows.append(np.prod([z - r for r in roots], axis=0))
    vals = np.array(rows)
    vals = np.sign(np.where(np.abs(vals) < 1e-12, 0.0, vals))
    vals = np.concatenate([vals, -vals])
    ok = (
        (vals[:, s == 1] >= 0).all(axis=1)
        & (vals[:, s == -1] <= 0).all(axis=1)
        & (vals[:, s == 0] == 0).all(axis=1)
        & ((vals[:, s == 1] > 0).any(axis=1) | (vals[:, s == -1] < 0).any(axis=1))
    )
    return bool(ok.any())


def test_separation_lp_equals_enumeration_on_random_counts():
    rng = np.random.default_rng(5)
    seen = {True: 0, False: 0}
    for _ in range(120):
        k = int(rng.integers(3, 6))
        z = np.sort(rng.choice(np.linspace(-1, 1, 9), size=k, replace=False))
        n = rng.integers(1, 4, size=k).astype(float)
        y = np.array([rng.integers(0, m + 1) for m in n], dtype=float)
        for degree in (1, 2):
            X = np.column_stack([z**d for d in range(degree + 1)])
            lp = _separated(X, y, n)
            assert lp == naive_separated(z, y, n, degree), (z, y, n, degree)
            seen[lp] += 1
    assert min(seen.values()) > 30  # both outcomes were exercised


@pytest.mark.parametrize(
    "y,degree,expected",
    [
        ([0, 0, 10, 10], 1, True),  # complete
        ([0, 5, 10, 10], 1, True),  # quasi-complete: mixed only at the cut
        ([0, 5, 5, 10], 1, False),  # two mixed scales: the MLE exists
        ([10, 0, 0, 10], 1, False),  # U shape: not separable by a line ...
        ([10, 0, 0, 10], 2, True),  # ... but by a quadratic
        ([10, 10, 10, 10], 1, True),  # all succeed
        ([3, 5, 4, 6], 2, False),
    ],
)
def test_separation_hand_cases(y, degree, expected):
    z = np.array([-1.0, -1 / 3, 1 / 3, 1.0])
    X = np.column_stack([z**d for d in range(degree + 1)])
    assert _separated(X, np.array(y, float), np.full(4, 10.0)) is expected


def test_auto_uses_firth_only_with_separation():
    assert success_curve(separated_pop(), threshold=0.5).penalty == "firth"
    res = success_curve(counts_population(OVL_SCALES, OVL_Y, OVL_N), threshold=0.5)
    assert res.penalty is None and res.penalty_reason == "" and not res.separation
    forced = success_curve(
        counts_population(OVL_SCALES, OVL_Y, OVL_N), threshold=0.5, penalty="firth"
    )
    assert forced.penalty == "firth" and "requested" in forced.penalty_reason
    # Firth shrinks towards 0 (the slope is smaller in magnitude than the MLE's)
    assert 0 < forced.coef[1] < res.coef[1]


# ============================================================================ simulation
def simulate(rng, b0, b1, scales, n_seeds):
    p = special.expit(b0 + b1 * np.log(scales))
    k = rng.binomial(n_seeds, p)
    return counts_population(scales, k, n_seeds)


def test_parameter_recovery_with_many_seeds():
    rng = np.random.default_rng(0)
    scales = np.geomspace(1e6, 1e9, 7)
    b1 = 1.5
    b0 = -b1 * np.log(3e7)  # x50 = 3e7
    res = success_curve(simulate(rng, b0, b1, scales, 4000), threshold=0.5)
    assert res.coef[1] == pytest.approx(b1, rel=0.05)
    assert res.x50 == pytest.approx(3e7, rel=0.05)
    assert res.x50_ci.low < 3e7 < res.x50_ci.high


def test_interval_coverage_by_simulation():
    """95% profile intervals of slope and x50 cover the truth ~95% of the time (10 seeds at
    each of 5 scales, a steep curve); ~40% of the samples are separated and go through Firth
    (checked offline on 1000 samples: slope 0.983, x50 0.941).

    Since x50 is withheld when the goodness-of-fit test rejects the (true) model -- in about
    5 % of samples, the test's size -- x50 coverage is counted over the samples that report
    one (the unconditional rate is about 0.95 x 0.955 = 0.905), and the withheld share is
    checked against the size."""
    rng = np.random.default_rng(2)
    scales = np.geomspace(1.0, 64.0, 5)
    b1 = 3.0
    b0 = -b1 * np.log(8.0)
    reps = 200
    cover_slope = cover_x50 = firth = withheld = 0
    for _ in range(reps):
        res = quiet(success_curve, simulate(rng, b0, b1, scales, 10), threshold=0.5, rng=rng)
        cover_slope += res.coef_ci.low[1] <= b1 <= res.coef_ci.high[1]
        if np.isnan(res.x50):
            withheld += 1
            assert res.goodness_of_fit.rejects(0.05) and "does not fit" in res.x50_reason
        else:
            cover_x50 += res.x50_ci.low <= 8.0 <= res.x50_ci.high
        firth += res.penalty == "firth"
    # binomial(200, 0.95) has sd 1.5%; allow about 3 sd
    assert 0.90 <= cover_slope / reps <= 0.995
    assert 0.90 <= cover_x50 / (reps - withheld) <= 0.995
    assert withheld <= 0.10 * reps
    assert 0.2 * reps < firth < 0.6 * reps


def test_quadratic_finds_inverted_u_and_wins_on_aic():
    """P rises then falls (inverse scaling at the top): two crossings inside the range."""
    rng = np.random.default_rng(2)
    scales = np.geomspace(1.0, 1e4, 9)
    t = np.log(scales)
    mid = t.mean()
    eta = 1.5 - 0.35 * (t - mid) ** 2  # crosses 0.5 where (t - mid)^2 = 1.5 / 0.35
    k = rng.binomial(400, special.expit(eta))
    pop = counts_population(scales, k, 400)
    quad = success_curve(pop, threshold=0.5, model="quadratic")
    lin, msgs = collect_degenerate(success_curve, pop, threshold=0.5, model="logistic")
    assert np.isnan(lin.x50) and any("does not cross" in m for m in msgs)  # a line can't bend
    assert quad.aic < lin.aic - 100
    true_cross = np.exp(mid + np.array([-1, 1]) * np.sqrt(1.5 / 0.35))
    assert len(quad.crossings) == 2
    for c, ci, truth in zip(quad.crossings, quad.crossing_cis, true_cross, strict=True):
        assert c == pytest.approx(truth, rel=0.15)
        assert ci.low < truth < ci.high
    assert quad.x50 == quad.crossings[0]
    assert quad.coef[2] == pytest.approx(-0.35, rel=0.1)


# ================================================================================ isotonic
def test_isotonic_equals_sklearn_and_picks_direction():
    from sklearn.isotonic import IsotonicRegression

    k = np.array([9, 6, 7, 3, 4, 1])
    n = np.array([10, 10, 12, 10, 8, 10])
    scales = np.geomspace(1, 32, 6)
    pop = counts_population(scales, k, n)
    res = quiet(success_curve, pop, threshold=0.5, model="isotonic", n_resamples=200, rng=0)
    ref = IsotonicRegression(increasing=False).fit(np.log(scales), k / n, sample_weight=n)
    np.testing.assert_allclose(res.to_frame()["p_success"], ref.predict(np.log(scales)))
    assert res.coef.size == 0 and res.ci_method == "bootstrap" and res.penalty is None
    frame = res.to_frame()
    assert (frame["ci_low"] <= frame["p_success"] + 1e-12).all()
    assert (frame["p_success"] <= frame["ci_high"] + 1e-12).all()


def test_isotonic_x50_hand_computed_and_reproducible():
    # fractions 0, 0.2, 0.8, 1 at ln-scales 0, 1, 2, 3: 0.5 is crossed halfway from 1 to 2
    pop = counts_population(np.exp([0.0, 1.0, 2.0, 3.0]), [0, 2, 8, 10], 10)
    state = np.random.get_state()  # noqa: NPY002 (checking the global state)
    a = quiet(success_curve, pop, threshold=0.5, model="isotonic", n_resamples=300, rng=4)
    after = np.random.get_state()  # noqa: NPY002 (checking the global state)
    assert after[1].tolist() == state[1].tolist() and after[2] == state[2]
    b = quiet(success_curve, pop, threshold=0.5, model="isotonic", n_resamples=300, rng=4)
    assert a.x50 == pytest.approx(np.exp(1.5))
    assert a.x50_ci == b.x50_ci
    assert a.x50_ci.low < a.x50 < a.x50_ci.high
    pred = a.predict([np.exp(1.5), 100.0])  # interpolated in ln(scale); constant beyond
    assert pred["p_success"].tolist() == pytest.approx([0.5, 1.0])


# ============================================================================== real data
def test_real_polypythias_bigram_loss():
    """Lower loss is better; threshold 7.5: 5/10, 10/10, 10/10, 5/5 -- quasi-separated."""
    from distscale.datasets import load_polypythias

    pop = load_polypythias().select(metric="mean_bigram_loss")
    res, msgs = collect_degenerate(success_curve, pop, threshold=7.5, higher_is_better=False)
    assert res.successes.tolist() == [5, 10, 10, 5] and res.n.tolist() == [10, 10, 10, 5]
    assert res.separation and res.penalty == "firth"
    assert np.all(np.isfinite(res.coef_ci.low)) and np.all(np.isfinite(res.coef_ci.high))
    assert res.coef_ci.low[1] > 0  # P(success) rises with size
    # Firth pulls the smallest scale's fit to ~0.5 from above: no crossing inside the range
    frame = res.to_frame()
    assert frame["p_success"].iloc[0] == pytest.approx(0.5, abs=0.05)
    assert np.isnan(res.x50) and any("does not cross 0.5" in m for m in msgs)
    # counts agree with summary_curves' P(success)
    summ = quiet(distscale.summary_curves, pop, threshold=7.5, higher_is_better=False,
                 n_resamples=20, rng=0)
    np.testing.assert_allclose(summ.estimate("p_success"), res.successes / res.n)


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="shared/data not present")
def test_real_berts_of_a_feather_single_scale_errors():
    frame = pd.read_csv(
        SHARED_DATA / "berts-of-a-feather" / "berts_of_a_feather_accuracies_by_run.csv",
        encoding="utf-8-sig",
    )
    frame = frame[frame["Run"].astype(str).str.startswith("Run ")].copy()
    frame["seed"] = frame["Run"].str.slice(4).astype(int)
    frame["params"] = 110e6
    pop = Population(frame, scale="params", seed="seed", value="Subseq (nonent)")
    with pytest.raises(ValueError, match=r"at least 2 distinct scales.*has 1"):
        success_curve(pop, threshold=0.5)


# ======================================================================== degenerate data
def test_all_runs_succeed_gives_finite_firth_answer_with_warnings():
    pop = counts_population(SEP_SCALES, [10] * 5, 10)
    res, msgs = collect_degenerate(success_curve, pop, threshold=0.5)
    assert res.separation and res.penalty == "firth"
    assert np.all(np.isfinite(res.coef))
    assert any("every run succeeds" in m for m in msgs)
    assert np.isnan(res.x50) and any("does not cross 0.5" in m for m in msgs)
    assert (res.to_frame()["p_success"] > 0.9).all()


def test_no_run_succeeds_warns():
    pop = counts_population(SEP_SCALES, [0] * 5, 10)
    res, msgs = collect_degenerate(success_curve, pop, threshold=0.5)
    assert any("no run succeeds" in m for m in msgs)
    assert (res.to_frame()["p_success"] < 0.1).all()


def test_flat_curve_gives_unbounded_x50_interval():
    """A slope whose CI contains 0 leaves x50 unidentified (as Fieller's interval)."""
    pop = counts_population([1.0, 2.0, 4.0, 8.0], [4, 6, 4, 6], 10)
    res, msgs = collect_degenerate(success_curve, pop, threshold=0.5)
    assert res.coef_ci.low[1] < 0 < res.coef_ci.high[1]
    # by symmetry the fit crosses 0.5 at the geometric middle sqrt(1 * 8) (hand-computed)
    assert res.x50 == pytest.approx(np.sqrt(8.0), rel=1e-8)
    assert res.x50_ci.low == 0.0 and res.x50_ci.high == np.inf
    assert any("unbounded" in m for m in msgs)


def test_swapping_success_and_failure_mirrors_the_fit():
    """Firth's penalty (Jeffreys prior) is symmetric in the labels: 10-k successes give the
    same x50 and x50 interval, with the slope's sign flipped."""
    up = success_curve(separated_pop(), threshold=0.5)
    down = success_curve(counts_population(SEP_SCALES, 10 - SEP_Y, 10), threshold=0.5)
    np.testing.assert_allclose(down.coef, -up.coef, rtol=1e-8)
    assert down.x50 == pytest.approx(up.x50, rel=1e-8)
    assert down.x50_ci.low == pytest.approx(up.x50_ci.low, rel=1e-7)
    assert down.x50_ci.high == pytest.approx(up.x50_ci.high, rel=1e-7)


def test_success_is_strict_and_direction():
    pop = Population.from_dict({1: [0.5, 0.5, 0.6, 0.4], 2: [0.5, 0.7, 0.9, 0.8]})
    res = quiet(success_curve, pop, threshold=0.5)
    assert res.successes.tolist() == [1, 3]  # 0.5 itself fails
    low = quiet(success_curve, pop, threshold=0.5, higher_is_better=False)
    assert low.successes.tolist() == [1, 0]


# ============================================================================== interface
def test_dataframe_input_and_metric():
    pop = separated_pop()
    frame = pop.to_frame()
    a = success_curve(pop, threshold=0.5)
    b = success_curve(frame, threshold=0.5, scale="scale", seed="seed", value="value")
    np.testing.assert_array_equal(a.coef, b.coef)
    two = frame.assign(other=1.0 - frame["value"])
    c = success_curve(
        two, threshold=0.5, metric="other", scale="scale", seed="seed", value=["value", "other"]
    )
    assert c.successes.tolist() == (10 - SEP_Y).tolist() and c.metric == "other"


def test_result_frames_repr_and_immutability():
    res = success_curve(separated_pop(), threshold=0.5)
    assert isinstance(res, SuccessCurve)
    assert res.to_frame().columns.tolist() == [
        "scale", "n", "successes", "observed", "p_success", "ci_low", "ci_high"
    ]
    assert res.to_frame()["observed"].tolist() == pytest.approx((SEP_Y / 10).tolist())
    assert res.coef_frame()["term"].tolist() == ["intercept", "slope"]
    assert res.predict(np.array([1.0, 3.0])).columns.tolist() == [
        "scale", "p_success", "ci_low", "ci_high"
    ]
    assert "Firth" in repr(res) and "separation=True" in repr(res)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.x50 = 1.0
    with pytest.raises(ValueError):
        res.coef[0] = 1.0
    assert distscale.success_curve is success_curve


def test_linear_x_with_large_scales_is_well_conditioned():
    """Standardising inside keeps parameter counts (1e8) numerically safe; x50 is invariant
    to where P = 0.5 whatever the axis when the data are the same curve."""
    scales = np.array([1e8, 2e8, 3e8, 4e8, 5e8])
    pop = counts_population(scales, [1, 3, 5, 8, 9], 10)
    res = success_curve(pop, threshold=0.5, x="linear")
    t = scales
    X = np.column_stack([np.ones(5), t / 1e8])  # twin on a rescaled axis
    b, _ = naive_fit(X, np.array([1, 3, 5, 8, 9.0]), np.full(5, 10.0), False)
    assert res.coef[1] * 1e8 == pytest.approx(b[1], rel=1e-6)
    assert res.x50 == pytest.approx(-b[0] / b[1] * 1e8, rel=1e-6)


def test_plot_delegates_to_plot_draw(monkeypatch):
    res = success_curve(separated_pop(), threshold=0.5)
    import distscale.plot as plot_module

    calls = []
    monkeypatch.setattr(plot_module, "draw", lambda r, ax=None, **kw: calls.append(r) or "ax")
    assert res.plot() == "ax" and calls == [res]


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"threshold": np.nan}, ValueError, "`threshold` must be finite"),
        ({"threshold": np.inf}, ValueError, "`threshold` must be finite"),
        ({"threshold": "0.5"}, TypeError, "`threshold` must be a real number"),
        ({"threshold": 0.5, "higher_is_better": "yes"}, TypeError, "`higher_is_better`"),
        ({"threshold": 0.5, "model": "probit"}, ValueError, "`model` must be one of"),
        ({"threshold": 0.5, "gof_alpha": 0.0}, ValueError, "`gof_alpha` must be strictly"),
        ({"threshold": 0.5, "gof_alpha": "5%"}, TypeError, "`gof_alpha` must be a number"),
        ({"threshold": 0.5, "gof_resamples": 9}, ValueError, "`gof_resamples` must be at"),
        ({"threshold": 0.5, "model": "logistic4", "penalty": "firth"}, ValueError, "logistic4"),
        ({"threshold": 0.5, "x": "sqrt"}, ValueError, "`x` must be one of"),
        ({"threshold": 0.5, "penalty": "ridge"}, ValueError, "`penalty` must be one of"),
        ({"threshold": 0.5, "confidence_level": 1.0}, ValueError, "`confidence_level`"),
        ({"threshold": 0.5, "confidence_level": "95%"}, TypeError, "`confidence_level`"),
        (
            {"threshold": 0.5, "model": "isotonic", "penalty": "firth"},
            ValueError,
            "logistic and quadratic",
        ),
        ({"threshold": 0.5, "model": "isotonic", "n_resamples": 1}, ValueError, "n_resamples"),
        ({"threshold": 0.5, "model": "isotonic", "rng": "a"}, TypeError, "`rng`"),
        ({"threshold": 0.5, "rng": "a"}, TypeError, "`rng`"),  # the goodness-of-fit bootstrap
        ({"threshold": 0.5, "metric": "nope"}, ValueError, "`metric`"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        success_curve(separated_pop(), **kwargs)


def test_bad_data():
    one = Population.from_dict({5: [0.1, 0.9, 0.7]})
    with pytest.raises(ValueError, match="at least 2 distinct scales"):
        success_curve(one, threshold=0.5)
    two = Population.from_dict({1: [0.1, 0.9], 2: [0.7, 0.8]})
    with pytest.raises(ValueError, match="model='quadratic' needs at least 3 distinct scales"):
        success_curve(two, threshold=0.5, model="quadratic")
    nonpos = Population.from_dict({0: [0.1, 0.9], 2: [0.7, 0.8]})
    with pytest.raises(ValueError, match="strictly positive for x='log'"):
        success_curve(nonpos, threshold=0.5)
    res = quiet(success_curve, nonpos, threshold=0.5, x="linear")  # fine on a linear axis
    assert res.x == "linear"
    with pytest.raises(TypeError, match="Population or a pandas DataFrame"):
        success_curve([1, 2, 3], threshold=0.5)
    fitted = success_curve(separated_pop(), threshold=0.5)
    with pytest.raises(ValueError, match="strictly positive"):
        fitted.predict([0.0])
    with pytest.raises(ValueError, match="non-finite"):
        fitted.predict([np.nan])
    with pytest.raises(TypeError, match="numbers"):
        fitted.predict(["a"])
