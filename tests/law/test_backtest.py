"""backtest: the law and three baselines scored at held-out scales.

Outside truth, on a small simulated population (row 0: the scores of the
data, before any resampling): the closed-form CRPS of a Gaussian (Gneiting &
Raftery 2007) and scipy's Gaussian log density for the mean-line baseline
(its line refitted here with numpy.polyfit), the ensemble CRPS written out by
hand (mean |X - y| - sum |X_i - X_j| / (2 m^2), the estimator scoringrules
uses by default, not the fair one with 2 m (m - 1)), and the law's
CRPS as the integral of (F(x) - 1{x >= y})^2 over its CDF (scipy.integrate).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import integrate, stats

from distscale.law import MODELS, backtest, simulate_population
from tests.law._truth import known_law

SC = np.exp(np.linspace(np.log(1e4), np.log(1e5), 5))


@pytest.fixture(scope="module")
def result():
    pop = simulate_population(known_law(scales=SC), SC, 24, rng=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bt = backtest(pop, threshold=0.5, bounds=(0, 1), success_model="logistic",
                      n_resamples=30, rng=0)
    return pop, bt


def _crps_normal(y, mu, sd):
    z = (y - mu) / sd
    return sd * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


def test_gaussian_mean_baseline_by_hand(result):
    pop, bt = result
    values = pop.values()
    g = np.log(SC)
    x = np.concatenate([np.full(v.size, gj) for v, gj in zip(values[:-1], g, strict=False)])
    y = np.concatenate(values[:-1])
    b, a = np.polyfit(x, y, 1)
    sd = np.sqrt(np.sum((y - a - b * x) ** 2) / (y.size - 2))
    mu = a + b * g[-1]
    held = values[-1]
    j = MODELS.index("gaussian_mean")
    assert bt.crps[0, j] == pytest.approx(np.mean(_crps_normal(held, mu, sd)), rel=1e-9)
    inside = (held > 0) & (held < 1)
    ls = -stats.norm.logpdf(held[inside], mu, sd)
    assert bt.log_score[0, j] == pytest.approx(np.mean(ls), rel=1e-9)


def test_persistence_is_ensemble_crps_by_hand(result):
    pop, bt = result
    values = pop.values()
    ens, held = values[-2], values[-1]
    m = ens.size
    first = np.mean(np.abs(ens[None, :] - held[:, None]), axis=1)
    pair = np.abs(ens[:, None] - ens[None, :]).sum()
    nrg = np.mean(first - pair / (2 * m * m))
    fair = np.mean(first - pair / (2 * m * (m - 1)))
    got = bt.crps[0, MODELS.index("persistence")]
    # scoringrules' default ensemble estimator ("pwm") equals the plain energy form
    # (1 / (2 m^2)), not the fair one (checked on this machine with scoringrules 0.10)
    assert got == pytest.approx(nrg, rel=1e-9)
    assert abs(got - fair) > 1e-4


def test_law_crps_is_integral_over_its_cdf(result):
    pop, bt = result
    held = pop.values()[-1]
    pred = bt.prediction

    def crps_one(y):
        f = lambda x: (float(np.ravel(pred.cdf(x).estimate)[0]) - (x >= y)) ** 2  # noqa: E731
        return integrate.quad(f, 0, 1, points=[y, 0.5], limit=200)[0]

    ref = np.mean([crps_one(v) for v in held])
    # the law's CRPS is the ensemble CRPS of 400 quantiles of its prediction
    assert bt.crps[0, 0] == pytest.approx(ref, rel=0.02, abs=2e-4)


def test_frame_differences_and_verdicts(result):
    _, bt = result
    frame = bt.to_frame()
    assert set(frame["model"]) == set(MODELS)
    crps = frame[frame["score"] == "crps"].set_index("model")
    for m in MODELS[1:]:
        assert crps.loc[m, "difference"] == pytest.approx(crps.loc["law", "value"]
                                                          - crps.loc[m, "value"])
        row = crps.loc[m]
        expected = ("law better" if row["diff_ci_high"] < 0 else "baseline better"
                    if row["diff_ci_low"] > 0 else "no clear difference")
        assert row["verdict"] == expected
    assert np.all(frame["ci_low"] <= frame["ci_high"])
    assert "BacktestResult(" in repr(bt)


def test_two_held_out_scales_and_errors():
    pop = simulate_population(known_law(scales=SC), SC, 12, rng=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bt = backtest(pop, threshold=0.5, bounds=(0, 1), n_holdout=2, n_resamples=5, rng=0)
    np.testing.assert_allclose(bt.holdout_scales, SC[-2:])
    assert bt.crps.shape == (2, len(MODELS))
    with pytest.raises(ValueError, match="n_holdout"):
        backtest(pop, threshold=0.5, n_holdout=4)
    with pytest.raises(ValueError, match="holdout"):
        backtest(pop, threshold=0.5, holdout="smallest")
    with pytest.raises(ValueError, match="not in the population"):
        backtest(pop, threshold=0.5, holdout=[123.0])
    with pytest.raises(ValueError, match="n_resamples"):
        backtest(pop, threshold=0.5, n_resamples=1)
    with pytest.raises(TypeError, match="threshold"):
        backtest(pop, threshold="x")
