"""Verdicts on replicas of real populations (issue 14), and the paired design.

Each case is a replica built from the numbers a user reported from a real
population (the files are not ours to ship); each test says the verdict a
careful statistician would give and checks the library gives it. Cases 3
(a curvature is not a U) and 4 (a misfit is said) live with the shape test
and the success curve (tests/success/test_shape.py, tests/success/test_goodness.py).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import distscale as ds
from distscale import DegenerateDataWarning, PairedSeedsWarning, Population
from tests._helpers import quiet


# ---------------------------------------------------------------- case 1: a pile at 0
def rl_pile():
    """100 runs of an RL agent on one game: 34 score exactly 0, 66 lie in [21.2, 31.7]."""
    rng = np.random.default_rng(1)
    rest = rng.normal(27.0, 2.4, 66)
    rest = 21.2 + (rest - rest.min()) / np.ptp(rest) * (31.7 - 21.2)  # spans 21.2 to 31.7
    return np.r_[np.zeros(34), rest]


def test_case1_a_pile_at_zero_is_a_mode():
    # A third of the runs at exactly 0 and the rest far away (mean 27, sd 2.4: 0 is
    # 11 sd below): two groups of runs, failed and working. The verdict is bimodal
    # because of the pile, with the continuous part counted once (it is one hump).
    x = rl_pile()
    scan = quiet(ds.modality_scan, Population.from_dict({1: x}), rng=0)
    assert scan.bimodal[0] and scan.n_modes[0] == 2 and scan.pile_modes[0] == 1
    assert "34 of 100 values sit exactly at the smallest value 0" in scan.notes[0]
    assert "a mode of its own" in scan.notes[0]
    pm = scan.fits[0]
    assert pm.point_mass_locations.tolist() == [0.0] and pm.point_mass_weights[0] == 0.34
    assert pm.n_components == 1  # the runs away from 0 are one Gaussian, not a 9/57 split
    # a one-sided bound says the same (the split rule works with one-sided bounds)
    one_sided = quiet(ds.modality_scan, Population.from_dict({1: x}), bounds=(0, None), rng=0)
    assert one_sided.bimodal[0] and one_sided.pile_modes[0] == 1
    # fit_mixture finds the pile by itself and says so
    fit = ds.fit_mixture(x, n_components=1, rng=0)
    assert fit.point_mass_locations.tolist() == [0.0] and fit.n_modes() == 2
    assert fit.notes == ("34 of 100 values sit exactly at the smallest value 0: a point mass "
                         "there",)


def test_case1_compare_metrics_assesses_the_pile():
    # The same runs through compare_metrics (5 evaluation episodes per run, two scales
    # alike): every scale is assessed (not "too few seeds or values") and bimodal.
    rng = np.random.default_rng(2)
    rows = []
    for scale in (1, 2):
        for seed, v in enumerate(rl_pile()):
            for ep in range(5):
                rows.append((scale, seed, ep, 0.0 if v == 0 else v + rng.normal(0, 0.5)))
    df = pd.DataFrame(rows, columns=["scale", "seed", "episode", "score"])
    res = quiet(ds.compare_metrics, df, scale="scale", seed="seed", sample="episode",
                metrics=["score"], higher_is_better={"score": True}, thresholds={"score": 10.0},
                n_resamples=200, rng=0)
    verdict = res.verdicts["score"]
    assert verdict.bimodal is True and len(verdict.bimodal_scales) == 2
    assert "too few seeds or values" not in verdict.text


# ------------------------------------------------------------- case 2: tight clusters
def tight_clusters():
    """36 runs in [2930, 3235], 55 in [7365, 7690], 9 elsewhere (two far out)."""
    rng = np.random.default_rng(2)
    low = np.clip(rng.normal(3142, 58, 36), 2930, 3235)
    high = np.clip(rng.normal(7527, 94, 55), 7365, 7690)
    others = np.array([4853, 4937, 5026, 5537, 5620, 5751, 6805, 8636, 13435.0])
    return np.r_[low, high, others]


def test_case2_two_tight_clusters_are_found():
    # The replica has the reported summary: overall sd 2,211 (reported 2,210), dip p <=
    # 0.001, LRT p = 0.005, and scikit-learn's maximum-likelihood fit 0.36/0.64 with sds
    # 53/1,025 (reported 58/1,070). The old floor (0.1 x overall sd = 221) forced one wide
    # and one narrow component: D 2.65 with interval lower end 1.51 (reported 2.61, 1.55),
    # not bimodal. With the resolution floor the fit is the clusters as they are.
    from sklearn.mixture import GaussianMixture

    x = tight_clusters()
    assert x.std() == pytest.approx(2210, abs=5)
    assert ds.dip_test(x).pvalue <= 0.001 + 1e-12  # the table's smallest p-value
    sk = GaussianMixture(2, n_init=10, random_state=0).fit(x[:, None])
    assert np.sort(sk.weights_) == pytest.approx([0.36, 0.64], abs=0.01)
    scan = quiet(ds.modality_scan, Population.from_dict({1: x}), rng=0)
    fit = scan.fits[0]
    assert fit.weights == pytest.approx([0.36, 0.64], abs=0.05)
    assert scan.lrt_pvalue[0] <= 0.01 and scan.bimodal[0]
    assert scan.separation_ci.low[0] > 3
    old = quiet(ds.modality_scan, Population.from_dict({1: x}), sd_floor=0.1, rng=0)
    assert not old.bimodal[0] and old.separation[0] < 3  # what users saw


# --------------------------------------------------------------- case 5: no variance
def test_case5_monotone_means_with_zero_variance():
    # Means 0.1, 0.1, 0.3, 0.6, 0.9, 0.9, all 20 seeds equal within each scale: the
    # means are monotone, so nothing speaks against monotonicity (p = 1). A 1e-17
    # rounding of the mean of twenty 0.1s divided by a variance of pure rounding gave
    # p = 0.0001 before.
    pop = Population.from_dict(
        {s: [m] * 20 for s, m in zip(range(1, 7), [0.1, 0.1, 0.3, 0.6, 0.9, 0.9], strict=True)}
    )
    res = quiet(ds.monotonicity_test, pop, rng=0)
    assert res.statistic == 0.0 and res.pvalue == 1.0
    down = quiet(ds.monotonicity_test, pop, direction="decreasing", rng=0)
    assert down.statistic == np.inf and down.pvalue == pytest.approx(1 / (down.n_resamples + 1))


# --------------------------------------------------------------- case 6: many scales
def test_case6_many_scales_get_enough_resamples():
    # 30 scales, one of them clearly bimodal: Holm over 30 tests needs B + 1 >= 600
    # for any scale to reach alpha = 0.05; the scan chooses enough itself (no warning).
    rng = np.random.default_rng(6)
    data = {s: rng.normal(0, 1, 40) for s in range(1, 31)}
    data[20] = np.r_[rng.normal(0, 1, 20), rng.normal(8, 1, 20)]
    pop = Population.from_dict(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", DegenerateDataWarning)
        scan = ds.modality_scan(pop, n_boot_ci=None, rng=0)
    assert scan.n_resamples >= 30 / 0.05
    assert scan.bimodal.tolist() == [s == 20 for s in range(1, 31)]
    # asking for too few still warns, and says how to fix it
    with pytest.warns(UserWarning, match="leave it None"):
        quiet_warn = ds.modality_scan(pop, n_resamples=199, n_boot_ci=None, rng=0)
    assert not quiet_warn.bimodal.any()


# ------------------------------------------------------------- case 7: a void test
def test_case7_a_void_test_is_nan_with_a_reason():
    # Without point masses (bounds=None) the pile collapses a Gaussian: the test of one
    # against two components is void. Before, n_components was 1 with p = 0.005 and
    # only a warning said the test was void.
    x = rl_pile()
    with pytest.warns(DegenerateDataWarning):
        sel = ds.select_components(x, bounds=None, rng=0)
    assert sel.n_components == 1 and np.isnan(sel.pvalue[0])
    assert any("void" in note for note in sel.notes)
    # with the default, the pile is a point mass and the test is real
    auto = quiet(ds.select_components, x, rng=0)
    assert np.isfinite(auto.pvalue[0]) and auto.fit.point_mass_locations.tolist() == [0.0]


# ------------------------------------------------------------------- paired designs
def correlated_curves(rng, n_seeds=20, n_steps=6, rho=0.8, trend=0.0):
    """Runs measured at every step: a seed effect (share ``rho`` of the variance)."""
    seed_effect = rng.normal(0, 1, (n_seeds, 1))
    noise = rng.normal(0, 1, (n_seeds, n_steps))
    values = np.sqrt(rho) * seed_effect + np.sqrt(1 - rho) * noise + trend * np.arange(n_steps)
    return pd.DataFrame({
        "step": np.tile(np.arange(1, n_steps + 1), n_seeds),
        "seed": np.repeat(np.arange(n_seeds), n_steps),
        "loss": values.ravel(),
    })


def test_paired_bootstrap_covers_the_difference_between_two_steps():
    # Truth: the difference of the means of steps 2 and 5 is 0 (no trend). With runs
    # correlated across steps (rho = 0.8), the paired bootstrap's 95% interval covers it
    # at 0.95 +- 0.03 (Monte Carlo: 400 populations of 40 seeds, SE 0.011; at 20 seeds the
    # percentile interval's small-sample shortfall gives 0.92, as for any bootstrap);
    # resampling each step's seeds independently ignores the correlation, so its
    # intervals are too wide (a difference of means of runs correlated at rho has
    # variance 2 (1 - rho) / n, not 2 / n).
    rng = np.random.default_rng(0)
    hits = {True: 0, False: 0}
    sims = 400
    for _ in range(sims):
        df = correlated_curves(rng, n_seeds=40)
        pop = Population(df, scale="step", seed="seed", value="loss", paired=True)
        a, b = pop.values()[1], pop.values()[4]
        for paired in (True, False):
            res = ds.bootstrap([a, b], lambda x, y: y.mean(axis=-1) - x.mean(axis=-1),
                               n_resamples=500, rng=rng, paired=paired)
            hits[paired] += res.ci_low[0] <= 0.0 <= res.ci_high[0]
    assert abs(hits[True] / sims - 0.95) <= 0.03
    assert hits[False] / sims > 0.98  # not 0.95: the independent interval is too wide


def test_paired_trend_test_keeps_its_level_and_gains_power():
    # Null (no trend) and a small trend (0.05 sd per step, 6 steps), 20 seeds, rho 0.8.
    # Within-seed permutations keep the level (0.05 +- 0.03 over 300 populations) and
    # see the trend far more often than the test that treats the runs as independent.
    rng = np.random.default_rng(1)
    rejected = {"null": 0, "trend": 0, "independent": 0}
    sims = 300
    for i in range(sims):
        null = Population(correlated_curves(rng), scale="step", seed="seed", value="loss",
                          paired=True)
        rejected["null"] += ds.trend_test(null, n_resamples=199, rng=i).pvalue <= 0.05
        df = correlated_curves(rng, trend=0.1)
        paired = Population(df, scale="step", seed="seed", value="loss", paired=True)
        indep = Population(df, scale="step", seed="seed", value="loss", paired=False)
        rejected["trend"] += ds.trend_test(paired, n_resamples=199, rng=i).pvalue <= 0.05
        rejected["independent"] += ds.trend_test(indep, rng=i).pvalue <= 0.05
    assert abs(rejected["null"] / sims - 0.05) <= 0.03
    assert rejected["trend"] > rejected["independent"] + 0.2 * sims


def test_paired_needs_every_seed_everywhere_and_is_suggested():
    df = correlated_curves(np.random.default_rng(3))
    with pytest.warns(PairedSeedsWarning, match="pass paired=True"):
        pop = Population(df, scale="step", seed="seed", value="loss")
    assert not pop.paired and pop.design == "independent"
    with warnings.catch_warnings():
        warnings.simplefilter("error", PairedSeedsWarning)
        Population(df, scale="step", seed="seed", value="loss", paired=False)
        pop = Population(df, scale="step", seed="seed", value="loss", paired=True)
    assert pop.paired and pop.design == "paired"
    assert pop.select(metric="loss").paired
    with pytest.raises(ValueError, match=r"scale 6 lacks seeds 3.*pass paired=False"):
        Population(df.drop(df.index[(df.step == 6) & (df.seed == 3)]), scale="step",
                   seed="seed", value="loss", paired=True)
    with pytest.raises(TypeError, match="`paired` must be True, False or None"):
        Population(df, scale="step", seed="seed", value="loss", paired="yes")
    # independent runs that only share labels (uncorrelated) are not flagged
    rng = np.random.default_rng(4)
    indep = df.assign(loss=rng.normal(0, 1, len(df)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PairedSeedsWarning)
        Population(indep, scale="step", seed="seed", value="loss")
