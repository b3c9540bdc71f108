"""seeds_needed: how many seeds a planning goal needs.

Outside truth: the exact binomial distribution (scipy.stats.binom, counted
by hand here), statsmodels' power of Student's t-test (equal variances: the
setting of Colas, Sigaud & Oudeyer 2018, where Welch's test has the same
power to within simulation error), statsmodels' normal-approximation power of
two proportions, and a Monte Carlo of the pooled two-proportion z-test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower
from statsmodels.stats.proportion import power_proportions_2indep

from distscale.law import DistributionalScalingLaw, seeds_needed, simulate_population
from tests.law._truth import SCALES, known_law


def _exact_need(p, hw, level):
    """Smallest n from which on |K/n - p| <= hw holds with probability >= level (by hand)."""
    cover = []
    ns = range(1, 1200)
    for n in ns:
        k = np.arange(n + 1)
        ok = np.abs(k / n - p) <= hw + 1e-12
        cover.append(stats.binom.pmf(k, n, p)[ok].sum())
    cover = np.array(cover)
    bad = np.flatnonzero(cover < level)
    return int(bad[-1]) + 2


@pytest.mark.parametrize(("p", "hw", "level"), [(0.5, 0.1, 0.95), (0.2, 0.05, 0.9),
                                                (0.5, 0.05, 0.95)])
def test_p_success_exact_binomial(p, hw, level):
    plan = seeds_needed("p_success", p=p, half_width=hw, confidence_level=level)
    assert plan.n_seeds == _exact_need(p, hw, level)
    if (p, hw, level) == (0.5, 0.1, 0.95):
        assert 96 <= plan.n_seeds <= 100  # the worked example
    row = plan.curve.set_index("n").loc[plan.n_seeds]
    assert row["value"] >= level


@pytest.mark.parametrize("d", [0.5, 1.0, 2.0])
def test_difference_of_means_matches_t_test_power(d):
    # Colas et al. (2018) compare two algorithms by Welch's t-test on Gaussian returns; with
    # equal spreads its power is Student's, which statsmodels solves exactly
    plan = seeds_needed("difference", what="mean", mean=(0.0, d), sd=(1.0, 1.0),
                        n_simulations=4000, rng=0)
    ref = TTestIndPower().solve_power(effect_size=d, alpha=0.05, power=0.8)
    assert abs(plan.n_seeds - ref) <= max(2, 0.06 * ref)
    curve = plan.curve.set_index("n")["value"]
    assert curve.loc[plan.n_seeds] >= 0.8


def test_difference_of_proportions():
    plan = seeds_needed("difference", what="p_success", p=(0.3, 0.6))
    n = plan.n_seeds
    approx = [power_proportions_2indep(0.3, 0.3, m, alpha=0.05).power for m in (n - 8, n + 8)]
    assert approx[0] < 0.8 < approx[1]  # the normal approximation agrees within +-8 seeds
    # Monte Carlo of the pooled z-test at n: power >= 0.8 within simulation error
    rng = np.random.default_rng(0)
    k1, k2 = rng.binomial(n, 0.3, 40000), rng.binomial(n, 0.6, 40000)
    pool = (k1 + k2) / (2 * n)
    z = (k2 - k1) / n / np.sqrt(pool * (1 - pool) * 2 / n)
    mc = np.mean(np.abs(z) >= stats.norm.ppf(0.975))
    assert mc == pytest.approx(float(plan.curve.set_index("n")["value"].loc[n]), abs=0.01)


def test_from_a_law_and_bad_input():
    pop = simulate_population(known_law(), SCALES, 40, rng=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        law = DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=40,
                                       rng=0).fit(pop)
        plan = seeds_needed("p_success", law=law, at=2 * SCALES[-1], half_width=0.05)
    assert plan.n_seeds >= 1 and plan.n_seeds_conservative >= plan.n_seeds
    with pytest.raises(ValueError, match="goal"):
        seeds_needed("power", p=0.5)
    with pytest.raises(ValueError, match="half_width"):
        seeds_needed("p_success", p=0.5, half_width=0.0)
    with pytest.raises(ValueError, match="`p`"):
        seeds_needed("p_success", p=1.5)
    with pytest.raises(ValueError, match="needs `p`"):
        seeds_needed("p_success")
    with pytest.raises(ValueError, match="alpha"):
        seeds_needed("difference", p=(0.2, 0.4), alpha=2)
    with pytest.raises(ValueError, match="power"):
        seeds_needed("difference", p=(0.2, 0.4), power=1.5)
    with pytest.raises(ValueError, match="two different"):
        seeds_needed("difference", p=(0.4, 0.4))
    with pytest.raises(ValueError, match="what"):
        seeds_needed("difference", what="median", p=(0.2, 0.4))
    with pytest.raises(ValueError, match="alternative"):
        seeds_needed("difference", p=(0.2, 0.4), alternative="both")
    with pytest.raises(TypeError, match="law"):
        seeds_needed("p_success", law="x", at=1.0)
    with pytest.raises(ValueError, match="distribution"):
        seeds_needed("bimodality")
    with pytest.raises(TypeError, match="distribution"):
        seeds_needed("bimodality", distribution=3.0)


def test_bimodality_power_separates_bimodal_from_unimodal():
    # reference: a clearly bimodal mixture (components 8 sd apart, equal weights) is called
    # bimodal at 48 seeds nearly always; one Gaussian almost never (the scan's level)
    def bimodal(size, gen):
        return np.where(gen.random(size) < 0.5, gen.normal(0, 1, size), gen.normal(8, 1, size))

    def unimodal(size, gen):
        return gen.normal(0, 1, size)

    hi = seeds_needed("bimodality", distribution=bimodal, candidates=[48], n_simulations=20,
                      bounds=None, rng=0)
    lo = seeds_needed("bimodality", distribution=unimodal, candidates=[48], n_simulations=20,
                      bounds=None, rng=0)
    assert hi.n_seeds == 48 and hi.curve["value"].iloc[0] >= 0.9
    assert lo.n_seeds is None and lo.curve["value"].iloc[0] <= 0.2
