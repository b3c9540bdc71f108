"""PredictiveDistribution: the objects law.predict() returns.

Outside truth: numerical integration (scipy.integrate.quad) of the density
and of y dF, the definition of the quantile (the inverse of the CDF), the
hand identity P(max of k iid <= y) = F(y)^k, Kolmogorov-Smirnov tests
(scipy.stats.kstest) of the draws against the CDF, and a hand-computed
mixture CDF from the law's coefficients.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import integrate, special, stats

from distscale.law import DistributionalScalingLaw, ExtrapolationWarning, simulate_population
from tests.law._truth import SCALES, known_law


@pytest.fixture(scope="module", params=[False, True], ids=["continuous", "pile"])
def pred(request):
    pop = simulate_population(known_law(request.param), SCALES, 48, rng=21)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        law = DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=60,
                                       rng=1).fit(pop)
    return law.predict(SCALES[3])


def test_pdf_integrates_to_continuous_weight(pred):
    masses = float(np.sum(pred.point_masses().estimate))
    total, _ = integrate.quad(lambda y: float(pred.pdf(y).estimate[0]), 0, 1, limit=200,
                              points=[0.5])
    assert total == pytest.approx(1 - masses, abs=1e-6)
    assert total + masses == pytest.approx(1.0, abs=1e-6)


def test_cdf_monotone_matches_hand_mixture(pred):
    y = np.linspace(0.0, 1.0, 401)
    cdf = pred.cdf(y).estimate
    assert np.all(np.diff(cdf) >= -1e-12)
    assert cdf[-1] == pytest.approx(1.0)
    p = {k: float(v[0, 0]) for k, v in pred.params.items()}
    inner = y[1:-1]
    z = special.logit(inner)
    hand = ((1 - p["pi"]) * p["qF"] * (inner >= 0)
            + (1 - p["pi"]) * (1 - p["qF"]) * stats.norm.cdf(z, p["mF"], p["sF"])
            + p["pi"] * (1 - p["qS"]) * stats.norm.cdf(z, p["mS"], p["sS"]))
    np.testing.assert_allclose(cdf[1:-1], hand, atol=1e-12)
    lo, hi = pred.cdf(y).ci.low, pred.cdf(y).ci.high
    assert np.all(lo <= cdf + 1e-12) and np.all(cdf <= hi + 1e-12)


def test_quantile_inverts_cdf(pred):
    q = np.array([0.05, 0.2, 0.5, 0.8, 0.95])
    yq = pred.quantile(q).estimate
    at = pred.cdf(yq).estimate
    below = pred.cdf(yq - 1e-7).estimate
    # inf{y: F(y) >= q}: F(yq) >= q and F just below yq is < q (or yq is a point mass)
    assert np.all(at >= q - 1e-7)
    assert np.all(below <= q + 1e-6)
    with pytest.raises(ValueError, match="`q`"):
        pred.quantile([0.0, 0.5])


def test_mean_is_integral(pred):
    # E[Y] = integral of (1 - F(y)) dy on [0, 1]
    val, _ = integrate.quad(lambda y: 1 - float(pred.cdf(y).estimate[0]), 0, 1, limit=200,
                            points=[0.5])
    assert float(pred.mean().estimate) == pytest.approx(val, abs=1e-5)


@pytest.mark.parametrize("k", [2, 5])
def test_best_of_is_power_of_cdf(pred, k):
    y = np.linspace(0.01, 0.99, 51)
    base = pred.cdf(y).estimate
    best = pred.best_of(k)
    np.testing.assert_allclose(best.cdf(y).estimate, base**k, rtol=1e-12, atol=1e-15)
    p1 = float(pred.p_success().estimate)
    assert float(best.p_success().estimate) == pytest.approx(1 - (1 - p1) ** k)
    # the best of k is a distribution too: its density integrates to 1 - its masses
    masses = float(np.sum(best.point_masses().estimate))
    total, _ = integrate.quad(lambda v: float(best.pdf(v).estimate[0]), 0, 1, limit=200,
                              points=[0.5])
    assert total + masses == pytest.approx(1.0, abs=1e-5)
    draws = best.sample(3000, rng=4)
    assert stats.kstest(draws[draws > 0], lambda v: _conditional(best, v)).pvalue > 0.001


def _conditional(pred, v):
    """CDF of the draws above the point mass at 0 (KS needs a continuous law)."""
    v = np.atleast_1d(v)
    f0 = float(pred.cdf(np.array([0.0])).estimate[0])
    return (pred.cdf(v).estimate - f0) / (1 - f0)


def test_sample_matches_cdf(pred):
    draws = pred.sample(4000, rng=3)
    assert draws.shape == (4000,)
    at0 = float(np.mean(draws == 0.0))
    mass0 = float(pred.cdf(np.array([0.0])).estimate[0])
    assert at0 == pytest.approx(mass0, abs=4 * np.sqrt(mass0 * (1 - mass0) / 4000) + 1e-9)
    rest = draws[draws > 0]
    assert stats.kstest(rest, lambda v: _conditional(pred, v)).pvalue > 0.001
    # a wrong law is rejected: the draws shifted by 0.05 fail the same test
    shifted = np.clip(rest + 0.05, 0, 1 - 1e-9)
    assert stats.kstest(shifted, lambda v: _conditional(pred, v)).pvalue < 1e-6
    # reproducible
    np.testing.assert_array_equal(draws, pred.sample(4000, rng=3))


def test_frames_and_reprs(pred):
    frame = pred.to_frame()
    assert set(frame["quantity"]) >= {"p_success", "mean", "quantile", "weight_success"}
    assert np.all(frame["ci_low"].fillna(-np.inf) <= frame["estimate"] + 1e-9)
    assert "PredictiveDistribution(" in repr(pred)
    assert "best of 3" in repr(pred.best_of(3))


def test_vector_of_scales_and_bad_input():
    pop = simulate_population(known_law(), SCALES, 30, rng=8)
    law = DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=0,
                                   rng=0).fit(pop)
    with pytest.warns(ExtrapolationWarning):
        many = law.predict(np.r_[SCALES, 2 * SCALES[-1]])
    assert many.p_success().estimate.shape == (7,)
    assert many.sample(5, rng=0).shape == (7, 5)
    one = law.predict(SCALES[2])
    assert np.isnan(float(one.p_success().ci.low))  # no replicates: no band
    with pytest.raises(ValueError, match="`k`"):
        one.best_of(0)
    with pytest.raises(ValueError, match="`n`"):
        one.sample(0)
    with pytest.raises(ValueError, match="`y`"):
        one.cdf([np.nan])


def test_logit_normal_predictions_stay_in_range():
    # the reason for logit-normal parts: far beyond the data every quantile, draw and the
    # mean stay inside the metric's range (0, 1), and the CDF still reaches 1 at the bound
    pop = simulate_population(known_law(True), SCALES, 30, rng=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        law = DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=30,
                                       rng=0).fit(pop)
        far = law.predict([SCALES[0] / 1e3, SCALES[-1] * 1e3])
    q = far.quantile([0.001, 0.5, 0.999])
    for arr in (q.estimate, q.ci.low, q.ci.high, far.mean().estimate):
        assert np.all((arr >= 0) & (arr <= 1))
    draws = far.sample(2000, rng=1, uncertainty=True)
    assert np.all((draws >= 0) & (draws <= 1))
    np.testing.assert_allclose(far.cdf([1.0]).estimate[:, 0], 1.0)


def test_quantile_solver_matches_brentq_and_jumps():
    # the quantiles' root finder (a grid cell per level, then Newton steps kept in it)
    # against scipy.optimize.brentq on each level's CDF, with point masses at finite
    # places: a level inside a mass's jump is answered by the mass's location
    from scipy import optimize

    from distscale.law.predictive import _solve_cdf

    rng = np.random.default_rng(3)
    rows = 40
    p = {"mF": rng.normal(-1, 1, (rows, 1)), "sF": rng.uniform(0.05, 1.5, (rows, 1)),
         "mS": rng.normal(1.5, 1, (rows, 1)), "sS": rng.uniform(0.05, 1.5, (rows, 1))}
    w = rng.dirichlet(np.ones(4), rows)  # continuous F, continuous S, mass at -0.5, mass at 2
    wcf, wcs, wa, wb = (w[:, [i], None] for i in range(4))
    piles = [(wa, -0.5), (wb, 2.0)]
    q = (np.arange(400) + 0.5) / 400
    lo = np.full((rows, 1, 1), -20.0)
    hi = np.full((rows, 1, 1), 20.0)
    got = _solve_cdf(p, wcf, wcs, piles, q, lo, hi)

    def cdf(x, r):
        return (wcf[r, 0, 0] * stats.norm.cdf(x, p["mF"][r, 0], p["sF"][r, 0])
                + wcs[r, 0, 0] * stats.norm.cdf(x, p["mS"][r, 0], p["sS"][r, 0])
                + wa[r, 0, 0] * (x >= -0.5) + wb[r, 0, 0] * (x >= 2.0))

    jumps = 0
    for r in range(rows):
        for j, level in enumerate(q):
            inside = [v for _, v in piles if cdf(v, r) - (wa if v < 0 else wb)[r, 0, 0] < level
                      <= cdf(v, r)]
            if inside:
                assert got[r, 0, j] == inside[0]
                jumps += 1
                continue
            want = optimize.brentq(lambda x, r=r, level=level: cdf(x, r) - level, -20, 20,
                                   xtol=1e-14, rtol=1e-14)
            assert got[r, 0, j] == pytest.approx(want, abs=1e-10)
    assert jumps > 100  # the masses hold a fair share of the levels
    # a range that ends at 0: the levels the CDF has not reached there are +inf, the others
    # as over the whole range; a range that starts at 0: the levels reached there are -inf
    upper = _solve_cdf(p, wcf, wcs, piles, q, lo, np.zeros_like(hi))
    lower = _solve_cdf(p, wcf, wcs, piles, q, np.zeros_like(lo), hi)
    at_zero = np.array([cdf(0.0, r) for r in range(rows)])[:, None, None]
    np.testing.assert_array_equal(np.isposinf(upper), at_zero < q)
    np.testing.assert_array_equal(np.isneginf(lower), at_zero >= q)
    assert 0 < np.isposinf(upper).sum() < upper.size
    inside = ~np.isposinf(upper)
    np.testing.assert_allclose(upper[inside], got[inside], rtol=0, atol=1e-10)
    inside = ~np.isneginf(lower)
    np.testing.assert_allclose(lower[inside], got[inside], rtol=0, atol=1e-10)
