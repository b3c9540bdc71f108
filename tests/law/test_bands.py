"""The calibrated (double-bootstrap) band of the law: interval="calibrated".

Outside truth: (1) numpy's quantile for the interpolated quantiles;
(2) hand computation for the calibration: when every replicate's inner
distribution has the same shape about the replicate as the replicates have
about the estimate (an exact pivot), the shares ``u_b`` are uniform and the
calibrated interval is the percentile interval; when the inner spread is a
fraction ``c`` of the outer one, ``u_b = Phi(-o_b / c)`` and the interval
widens by ``1 / c`` (Efron & Tibshirani 1993, section 18.3). The coverage
itself (0.95 +- 0.03 over 300 simulated populations, where the default band
reaches about 0.91) is checked by ``benchmarks/calibration_law.py``: too slow
for the suite.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import special

from distscale.law import DistributionalScalingLaw, ExtrapolationWarning, bands, simulate_population
from distscale.law.bands import calibrated_band, quantile_at
from distscale.law.predictive import bc_band
from distscale.population import Population
from tests.law._truth import SCALES, known_law


def _grid(n):
    return special.ndtri((np.arange(n) + 0.5) / n)


def test_quantile_at_matches_numpy():
    # reference: numpy.quantile (linear interpolation), level by level
    rng = np.random.default_rng(0)
    reps = rng.normal(size=(57, 4))
    reps[3, 1] = np.nan
    levels = np.array([0.0, 0.31, 0.975, 1.0])
    got = quantile_at(reps, levels)
    want = [np.quantile(reps[np.isfinite(reps[:, j]), j], levels[j]) for j in range(4)]
    np.testing.assert_allclose(got, want)
    assert np.isnan(quantile_at(np.full((5, 1), np.nan), np.array([0.5])))[0]


def test_exact_pivot_gives_the_percentile_interval():
    # reference: with an exact pivot the u_b are uniform, so the levels stay alpha/2, 1-alpha/2
    B, C = 2000, 2000
    outer = 0.3 + 0.7 * _grid(B)  # replicates about the estimate 0.3
    inner = outer[:, None] + 0.7 * _grid(C)[None, :]
    values = np.r_[0.3, outer][:, None]
    lo, hi = calibrated_band(values, inner.reshape(-1, 1), 0.9)
    plo, phi = np.quantile(outer, [0.05, 0.95])
    np.testing.assert_allclose([lo[0], hi[0]], [plo, phi], atol=0.01)


@pytest.mark.parametrize("c", [0.8, 1.25])
def test_short_inner_spread_widens_the_band(c):
    # reference: u_b = Phi(-o_b / c), so the levels are Phi(-+1.96 / c) and the band is +-1.96 / c
    B, C = 4000, 4000
    outer = _grid(B)
    inner = outer[:, None] + c * _grid(C)[None, :]
    lo, hi = calibrated_band(np.r_[0.0, outer][:, None], inner.reshape(-1, 1), 0.95)
    z = special.ndtri(0.975)
    np.testing.assert_allclose([lo[0], hi[0]], [-z / c, z / c], rtol=0.02)
    # and bc_band of the same replicates stays at +-1.96
    blo, bhi = bc_band(np.r_[0.0, outer][:, None], 0.95)
    np.testing.assert_allclose([blo[0], bhi[0]], [-z, z], atol=0.01)


def test_calibrated_band_without_replicates_is_nan():
    lo, hi = calibrated_band(np.zeros((1, 3)), np.zeros((0, 3)), 0.95)
    assert np.isnan(lo).all() and np.isnan(hi).all()


def _fit(pop, **kw):
    opts = {"threshold": 0.5, "bounds": (0, 1), "success_model": "logistic", "n_resamples": 30,
            "interval": "calibrated", "n_inner": 6, "rng": 0}
    opts.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return DistributionalScalingLaw(**opts).fit(pop)


def test_law_with_calibrated_bands():
    pop = simulate_population(known_law(), SCALES, 24, rng=3)
    law = _fit(pop)
    assert law.interval_ == "calibrated"
    assert law.inner_params_.rows == 30 * 6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        pred = law.predict(np.r_[SCALES, 2 * SCALES[-1]])
    for band in (pred.p_success(), pred.weight_success(), pred.mean(), pred.cdf([0.3, 0.7]),
                 pred.pdf([0.3]), pred.quantile([0.25, 0.75]), pred.best_of(3).p_success()):
        assert band.ci.method == "calibrated"
        lo, hi = (np.asarray(a, dtype=float) for a in (band.ci.low, band.ci.high))
        assert np.all(np.isfinite(lo)) and np.all(lo <= hi)
    # the same replicates read the default way give another band
    plain = _fit(pop, interval="bc")
    np.testing.assert_allclose(plain.params_["mSa"], law.params_["mSa"])
    assert plain.predict(SCALES).p_success().ci.method == "bc"
    assert plain.inner_params_ is None
    # coef_ and to_frame read the calibrated bands
    frame = law.to_frame().query("quantity == 'location_success'")
    assert np.all(frame["ci_low"] <= frame["ci_high"])
    assert not np.allclose(law.coef_["ci_low"], plain.coef_["ci_low"])
    # sampling under uncertainty draws from the outer replicates only
    assert pred.n_resamples == 30


def test_paired_population_resamples_whole_seeds_inside_replicates(monkeypatch):
    df = simulate_population(known_law(), SCALES, 12, rng=5).to_frame()
    pop = Population(df, scale="scale", seed="seed", value="value", paired=True)
    seen = []
    original = bands.em

    def spy(data, w, start, **kw):
        seen.append(w)
        return original(data, w, start, **kw)

    monkeypatch.setattr(bands, "em", spy)
    law = _fit(pop, n_resamples=8, n_inner=4)
    assert law.paired_
    w = np.concatenate(seen)
    assert w.shape[0] == 8 * 4
    # every inner resample holds the same seeds at every scale
    assert all(np.array_equal(w[:, 0], w[:, j]) for j in range(1, w.shape[1]))
    assert np.all(w.sum(axis=2) == 12)


@pytest.mark.parametrize(("kw", "match"), [
    ({"interval": "studentized"}, "interval"),
    ({"n_inner": 1}, "n_inner"),
    ({"n_inner": 2.5}, "n_inner"),
])
def test_bad_interval_options(kw, match):
    pop = simulate_population(known_law(), SCALES, 10, rng=1)
    with pytest.raises((ValueError, TypeError), match=match):
        DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), **kw).fit(pop)
