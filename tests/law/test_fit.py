"""DistributionalScalingLaw: fitting, recovery of a known law, and bad input.

Outside truth: the known coefficients a population was simulated from
(:func:`distscale.law.simulate_population` of :func:`law_from_params`), and
for parts that never cross the threshold (the EM's responsibilities are 0/1)
an independent fit of the weight -- Firth's penalised logistic regression of
the grouped success counts on ln(scale), written here with scipy.optimize --
and of each part's location and log-spread -- a heteroscedastic Gaussian
regression fitted here by scipy.optimize on the logit of the values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from distscale.datasets import load_count_population
from distscale.law import (
    DistributionalScalingLaw,
    ExtrapolationWarning,
    law_from_params,
    simulate_population,
)
from distscale.population import Population
from tests.law._truth import SCALES, known_law, separated_law


def _pop(df):
    return Population(df, scale="scale", seed="seed", value="value", paired=False)


def _fit(pop, **kw):
    opts = {"threshold": 0.5, "bounds": (0, 1), "success_model": "logistic",
            "n_resamples": 100, "rng": 0}
    opts.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return DistributionalScalingLaw(**opts).fit(pop)


def _at_scales(law):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return law.predict(SCALES)


@pytest.mark.parametrize("pile", [False, True])
def test_recovers_known_law(pile):
    # reference: the coefficients the population was drawn from; 6 scales x 300 seeds
    truth = known_law(pile)
    pop = simulate_population(truth, SCALES, 300, rng=11 + pile)
    law = _fit(pop)
    assert law.structure_.pile["F"] == pile
    est, tru = _at_scales(law), _at_scales(truth)
    w_est, w_tru = est.weight_success(), tru.weight_success().estimate
    np.testing.assert_allclose(w_est.estimate, w_tru, atol=0.06)
    assert np.all((w_est.ci.low <= w_tru) & (w_tru <= w_est.ci.high))
    m_est, m_tru = est.params["mS"], tru.params["mS"][0]
    np.testing.assert_allclose(m_est[0], m_tru, atol=0.3)  # logit units; spread ~0.7-0.9
    s_est, s_tru = est.params["sS"], tru.params["sS"][0]
    np.testing.assert_allclose(np.log(s_est[0]), np.log(s_tru), atol=0.25)
    if not pile:
        np.testing.assert_allclose(est.params["mF"][0], tru.params["mF"][0], atol=0.3)
    # P(success) (beyond the threshold) against the truth's, and the observed fractions
    np.testing.assert_allclose(est.p_success().estimate, tru.p_success().estimate, atol=0.06)


def test_separated_parts_match_independent_fits():
    truth = separated_law()
    pop = simulate_population(truth, SCALES, 60, rng=5)
    law = _fit(pop, n_resamples=0)
    g = np.log(SCALES)
    vals = pop.values()
    succ = np.array([np.sum(v > 0.5) for v in vals], float)
    n = np.array([v.size for v in vals], float)
    X = np.column_stack([np.ones_like(g), g - g.mean()])

    def firth_nll(beta):  # Firth (1993): log-likelihood + 0.5 log det(Fisher information)
        p = special.expit(X @ beta)
        ll = np.sum(succ * np.log(p) + (n - succ) * np.log1p(-p))
        info = X.T @ (X * (n * p * (1 - p))[:, None])
        return -(ll + 0.5 * np.linalg.slogdet(info)[1])

    beta = optimize.minimize(firth_nll, np.zeros(2), method="BFGS", options={"gtol": 1e-10}).x
    coef = law.coef_.set_index(["block", "parameter"])["estimate"]
    assert coef["weight", "slope"] == pytest.approx(beta[1], rel=1e-4)
    assert coef["weight", "intercept"] == pytest.approx(beta[0] - beta[1] * g.mean(), rel=1e-4)

    # each part: z = logit(y) ~ N(a + b g, exp(c + d g)), fitted by ML here (the law's
    # spreads carry a REML-type correction for the fitted location, so they are a
    # little wider: compare to the ML spreads within 5 %, the locations tightly)
    for part, mask in (("failure", lambda v: v < 0.5), ("success", lambda v: v > 0.5)):
        z = np.concatenate([special.logit(v[mask(v)]) for v in vals])
        gg = np.concatenate([np.full(int(mask(v).sum()), gj) for v, gj in zip(vals, g,
                                                                                strict=True)])

        def nll(t, z=z, gg=gg):
            sd = np.exp(t[2] + t[3] * gg)
            return -np.sum(-np.log(sd) - 0.5 * ((z - t[0] - t[1] * gg) / sd) ** 2)

        t = optimize.minimize(nll, [z.mean(), 0, np.log(z.std()), 0], method="Nelder-Mead",
                              options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 20000}).x
        loc = t[0] + t[1] * g
        fitted = coef[part, "location_intercept"] + coef[part, "location_slope"] * g
        np.testing.assert_allclose(fitted, loc, atol=0.01)
        spread_ml = np.exp(t[2] + t[3] * g)
        spread = np.exp(coef[part, "log_spread_intercept"] + coef[part, "log_spread_slope"] * g)
        assert np.all(spread >= spread_ml * 0.999)
        np.testing.assert_allclose(spread, spread_ml, rtol=0.05)


def test_paired_population_resamples_whole_seeds():
    from distscale.law.scaling_law import draw_indices

    gen = np.random.default_rng(0)
    paired = draw_indices(gen, [5, 5, 5], 7, paired=True)
    assert all(np.array_equal(paired[0], p) for p in paired[1:])
    indep = draw_indices(gen, [5, 5, 5], 7, paired=False)
    assert not np.array_equal(indep[0], indep[1])
    # a paired population is fitted with paired resampling
    pop = load_count_population().select(metric="exact_match")
    law = _fit(pop, n_resamples=20)
    assert law.paired_ == pop.paired


def test_fit_on_bundled_population_and_frames():
    pop = load_count_population().select(metric="exact_match")
    law = _fit(pop, n_resamples=40, success_model="auto")
    assert law.success_model_ in ("logistic", "logistic4")
    frame = law.to_frame()
    obs = frame.query("quantity == 'p_success'")
    # the law's P(success) follows the observed fractions at the fitted scales
    assert np.max(np.abs(obs["estimate"] - obs["observed"])) < 0.2
    assert {"block", "parameter", "estimate", "ci_low", "ci_high"} <= set(law.coef_.columns)
    assert "DistributionalScalingLaw(" in repr(law)


def test_extrapolation_warns_and_bands_widen():
    pop = simulate_population(known_law(), SCALES, 48, rng=2)
    law = _fit(pop)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        law.predict(SCALES[-1])  # inside: no warning
    with pytest.warns(ExtrapolationWarning, match="extrapolating"):
        pred = law.predict([SCALES[-1], 4 * SCALES[-1], 40 * SCALES[-1]])
    assert pred.extrapolated.tolist() == [False, True, True]
    loc = pred.params["mS"]
    lo, hi = np.quantile(loc[1:], [0.025, 0.975], axis=0)
    width = hi - lo
    assert width[0] < width[1] < width[2]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"threshold": "a"}, "threshold"),
        ({"threshold": 0.5, "higher_is_better": "yes"}, "higher_is_better"),
        ({"threshold": 0.5, "bounds": (1, 0)}, "bounds"),
        ({"threshold": 2.0, "bounds": (0, 1)}, "threshold"),
        ({"threshold": 0.5, "success_model": "probit"}, "success_model"),
        ({"threshold": 0.5, "n_resamples": -1}, "n_resamples"),
        ({"threshold": 0.5, "confidence_level": 1.5}, "confidence_level"),
        ({"threshold": 0.5, "tol": 0}, "tol"),
        ({"threshold": 0.5, "max_iter": 0}, "max_iter"),
        ({"threshold": 0.5, "rng": "x"}, "rng"),
    ],
)
def test_bad_settings(kwargs, match):
    pop = simulate_population(known_law(), SCALES[:3], 10, rng=0)
    with pytest.raises((ValueError, TypeError), match=match):
        DistributionalScalingLaw(**kwargs).fit(pop)


def test_bad_data_and_calls():
    one = pd.DataFrame({"scale": 1.0, "seed": range(5), "value": np.linspace(0.1, 0.9, 5)})
    with pytest.raises(ValueError, match="at least 2 scales"):
        DistributionalScalingLaw(threshold=0.5).fit(_pop(one))
    neg = pd.DataFrame({"scale": np.repeat([-1.0, 2.0], 5), "seed": np.tile(range(5), 2),
                        "value": np.linspace(0.1, 0.9, 10)})
    with pytest.raises(ValueError, match="scale"):
        DistributionalScalingLaw(threshold=0.5).fit(_pop(neg))
    out = pd.DataFrame({"scale": np.repeat([1.0, 2.0], 5), "seed": np.tile(range(5), 2),
                        "value": np.linspace(-0.5, 0.9, 10)})
    with pytest.raises(ValueError, match="outside `bounds`"):
        DistributionalScalingLaw(threshold=0.5, bounds=(0, 1)).fit(_pop(out))
    with pytest.raises(ValueError, match="not fitted"):
        DistributionalScalingLaw(threshold=0.5).predict(1.0)
    law = _fit(simulate_population(known_law(), SCALES, 20, rng=1), n_resamples=0)
    with pytest.raises(ValueError, match="scale"):
        law.predict(0.0)
    with pytest.raises(ValueError, match="scale"):
        law.predict(np.nan)


def test_law_from_params_and_simulate_errors():
    with pytest.raises(TypeError, match="params"):
        law_from_params([1, 2], threshold=0.5)
    with pytest.raises(ValueError, match="unknown blocks"):
        law_from_params({"middle": {}}, threshold=0.5)
    with pytest.raises(TypeError, match="location"):
        law_from_params({"success": {"location": 1.0}}, threshold=0.5)
    with pytest.raises(ValueError, match="finite bound"):
        law_from_params({"failure": {"pile": (0, 0)}}, threshold=0.5, bounds=None)
    with pytest.raises(ValueError, match="floor"):
        law_from_params({"weight": {"floor": 0.6, "ceiling": 0.4}}, threshold=0.5)
    truth = known_law()
    with pytest.raises(TypeError, match="law"):
        simulate_population("law", SCALES, 5)
    with pytest.raises(ValueError, match="n_seeds"):
        simulate_population(truth, SCALES, [5, 5])
    with pytest.raises(ValueError, match="repeat"):
        simulate_population(truth, [1e4, 1e4], 5)
    with pytest.raises(ValueError, match="n_seeds"):
        simulate_population(truth, SCALES, 0)
    pop = simulate_population(truth, SCALES, 7, rng=0)
    again = simulate_population(truth, SCALES, 7, rng=0)
    np.testing.assert_array_equal(np.concatenate(pop.values()), np.concatenate(again.values()))


def test_default_replicates_depend_on_the_band():
    # 1,000 replicates by default (200 of them read 2.5 % points too noisily: docs/law.md,
    # benchmarks/calibration_law.py --default); 200 under the calibrated band, whose
    # replicates each cost n_inner more fits; an explicit count is kept
    pop = simulate_population(known_law(False), SCALES, 12, rng=3)
    base = {"threshold": 0.5, "bounds": (0, 1), "success_model": "logistic", "rng": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert DistributionalScalingLaw(**base).fit(pop).n_resamples_ == 1000
        cal = DistributionalScalingLaw(**base, interval="calibrated", n_inner=2).fit(pop)
        assert cal.n_resamples_ == 200
        assert DistributionalScalingLaw(**base, n_resamples=7).fit(pop).n_resamples_ == 7
    with pytest.raises(ValueError, match="n_resamples"):
        DistributionalScalingLaw(**base, n_resamples=-1).fit(pop)
