"""Tests of the separation criterion of distscale.modality_scan (Ashman's D).

A two-component fit counts as bimodal only when its two Gaussian components
are well separated: Ashman, Bird & Zepf (1994, AJ 108, 2348),
``D = sqrt(2) |mu_1 - mu_2| / sqrt(sigma_1^2 + sigma_2^2)``, ``D > 2`` for a
clean separation; the scan asks for ``D >= min_separation`` at the estimate
and at the lower end of D's seed-bootstrap interval.

Outside truth used here (named at each test): hand-computed D of two
clusters whose Gaussian maximum-likelihood fit is known in closed form (the
cluster means and population sds, the responsibilities being 0/1 to machine
precision); the textbook fact that an equal-weight mixture of two normals
with a common sd is bimodal iff the means differ by more than 2 sds (D > 2),
checked by counting the density's local maxima with scipy; rates of
calling simulated unimodal skewed samples (lognormal, gamma) and
well-separated two-mode samples bimodal, with binomial SEs stated; and the
bundled count population, where the smallest width is one right-skewed pile
(hand-checked: 48 values in 0.019-0.102) and width 32 has 44 seeds at
0.10-0.52 and 4 at 0.81-1.0.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

import distscale
from distscale import DegenerateDataWarning, Population, modality_scan
from distscale.modality.scan import MIN_SEPARATION, holm
from distscale.modality.separation import ashman_d


def quiet_scan(*args, **kwargs):
    """A scan with degenerate-data and Holm-resolution warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        warnings.filterwarnings("ignore", "with .* scales tested", UserWarning)
        return modality_scan(*args, **kwargs)


def two_clusters():
    """Ten values at 0 +- {0.25 .. 2.25} and ten at 20 + 1.5 * the same offsets (no ties)."""
    a = np.array([0.25, 0.75, 1.25, 1.75, 2.25])
    a = np.r_[a, -a]
    return a, 20 + 1.5 * a


# ----------------------------------------------------------------- definition
def test_formula_and_the_equal_variance_threshold():
    # hand-computed: sqrt(2) * 3 / sqrt(1 + 4) = 1.8973666
    assert ashman_d([0.0, 3.0], [1.0, 2.0]) == pytest.approx(np.sqrt(2) * 3 / np.sqrt(5))
    assert ashman_d([5.0, 1.0], [2.0, 2.0]) == pytest.approx(2.0)  # equal sds: |diff| / sd
    # Textbook fact: 0.5 N(0, 1) + 0.5 N(delta, 1) is bimodal iff delta > 2, i.e. D > 2.
    # Count the local maxima of the density (scipy) on a fine grid.
    grid = np.linspace(-5, 8, 20001)
    for delta, modes in ((1.9, 1), (2.1, 2)):
        dens = 0.5 * stats.norm.pdf(grid) + 0.5 * stats.norm.pdf(grid, delta)
        peaks = np.sum((dens[1:-1] > dens[:-2]) & (dens[1:-1] > dens[2:]))
        assert peaks == modes
        assert (ashman_d([0.0, delta], [1.0, 1.0]) > 2) == (modes == 2)


def test_scan_separation_is_hand_computed_d_of_two_clusters():
    # The clusters are 20 apart with sds ~1.4 and ~2.2: responsibilities are 0/1 to
    # machine precision, so the two-component MLE is each cluster's mean and
    # population sd (ddof=0), and D is computed by hand from them.
    a, b = two_clusters()
    hand = np.sqrt(2) * abs(b.mean() - a.mean()) / np.sqrt(a.var() + b.var())
    assert hand == pytest.approx(10.925, abs=1e-3)
    scan = quiet_scan(Population.from_dict({1: np.r_[a, b]}), n_resamples=99, n_boot_ci=200,
                      rng=0)
    assert scan.separation[0] == pytest.approx(hand, rel=1e-6)
    assert scan.separation_ci.low[0] <= scan.separation[0] <= scan.separation_ci.high[0]
    assert scan.bimodal[0] and scan.min_separation == MIN_SEPARATION == 2.25


def test_point_masses_take_no_part_in_d():
    # The same clusters moved into (0, 1), plus 5 runs at exactly 0 and 3 at exactly 1
    # with bounds=(0, 1): D is location-scale invariant and ignores the point masses,
    # so it is the hand-computed D of the two clusters again.
    a, b = two_clusters()
    inside = (np.r_[a, b] + 5) / 40
    hand = np.sqrt(2) * abs(b.mean() - a.mean()) / np.sqrt(a.var() + b.var())
    x = np.r_[inside, np.zeros(5), np.ones(3)]
    scan = quiet_scan(Population.from_dict({1: x}), bounds=(0, 1), n_resamples=99,
                      n_boot_ci=100, rng=0)
    assert list(scan.fits[0].point_mass_locations) == [0.0, 1.0]
    assert scan.separation[0] == pytest.approx(hand, rel=1e-6)


# ----------------------------------------------------------------------- rule
def test_bimodal_is_the_test_and_the_separation():
    # Three scales: one skewed pile (lognormal), two modes 8 sd apart, one normal.
    rng = np.random.default_rng(3)
    data = {1: rng.lognormal(0, 0.6, 60),
            2: np.r_[rng.normal(0, 1, 45), rng.normal(8, 1, 15)],
            3: rng.normal(0, 1, 60)}
    pop = Population.from_dict(data)
    new = quiet_scan(pop, n_resamples=199, n_boot_ci=300, rng=1)
    old = quiet_scan(pop, n_resamples=199, n_boot_ci=300, rng=1, min_separation=None)
    rejected = new.adjusted_pvalue <= 0.05
    apart = np.minimum(new.separation, new.separation_ci.low) >= 2
    np.testing.assert_array_equal(new.bimodal, rejected & apart)
    np.testing.assert_array_equal(old.bimodal, rejected)  # same rng: same test
    assert old.min_separation is None
    # the skewed pile fails one Gaussian but is not two separated modes
    assert rejected[0] and not new.bimodal[0] and old.bimodal[0]
    assert new.bimodal[1] and new.capacity_threshold == 2.0 and old.capacity_threshold == 1.0
    # a stricter criterion can only remove scales
    strict = quiet_scan(pop, n_resamples=199, n_boot_ci=300, rng=1, min_separation=50)
    assert not strict.bimodal.any() and strict.capacity_threshold is None


def test_tables_and_intervals_where_needed():
    rng = np.random.default_rng(4)
    pop = Population.from_dict({1: rng.normal(0, 1, 40),
                                2: np.r_[rng.normal(0, 1, 30), rng.normal(7, 1, 10)]})
    scan = quiet_scan(pop, n_resamples=99, n_boot_ci=200, rng=0)
    wide = scan.per_scale()
    assert {"separation", "separation_ci_low", "separation_ci_high"} <= set(wide.columns)
    tidy = scan.to_frame()
    row = tidy[tidy.statistic == "separation"]
    assert row.component.isna().all() and len(row) == 2
    np.testing.assert_allclose(row.estimate, scan.separation)
    np.testing.assert_allclose(row.ci_low, scan.separation_ci.low)
    assert not any(c.startswith("separation_ci") for c in tidy.statistic)
    # without component intervals the separation's interval is computed only where it
    # decides (scale 2, rejected by the test); elsewhere NaN
    lean = quiet_scan(pop, n_resamples=99, n_boot_ci=None, rng=0)
    assert np.isnan(lean.separation_ci.low[0]) and np.isfinite(lean.separation_ci.low[1])
    assert lean.bimodal.tolist() == [False, True]


def test_methods():
    rng = np.random.default_rng(5)
    pop = Population.from_dict({1: rng.lognormal(0, 0.6, 60),
                                2: np.r_[rng.normal(0, 1, 45), rng.normal(8, 1, 15)]})
    bic = quiet_scan(pop, method="bic", n_boot_ci=200, rng=0)
    apart = np.minimum(bic.separation, bic.separation_ci.low) >= 2
    np.testing.assert_array_equal(bic.bimodal, (bic.n_components >= 2) & apart)
    # the dip test is a test of unimodality itself: the separation does not enter
    dip = quiet_scan(pop, method="dip", n_boot_ci=None, rng=0)
    np.testing.assert_array_equal(dip.bimodal, holm(dip.dip_pvalue) <= 0.05)


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [("2", TypeError, "`min_separation` must be a number or None"),
     (True, TypeError, "`min_separation`"),
     (0, ValueError, "`min_separation` must be a finite number > 0"),
     (-1.0, ValueError, "`min_separation`"),
     (float("inf"), ValueError, "`min_separation`"),
     (float("nan"), ValueError, "`min_separation`")],
)
def test_bad_min_separation(value, error, match):
    pop = Population.from_dict({1: [0.1, 0.2, 0.3, 0.4, 0.5]})
    with pytest.raises(error, match=match):
        modality_scan(pop, min_separation=value)


# ----------------------------------------------------------------- simulation
def _calls(samples, n_boot_ci=200):
    """Whether each sample is called bimodal on its own (level 0.05): old and new rule.

    All samples are scales of one population, fitted in one batch; a scale's own
    decision is its unadjusted LRT p-value <= 0.05 (Holm over one scale), and the
    new rule adds D >= 2 at the estimate and at the interval's lower end
    (``test_bimodal_is_the_test_and_the_separation`` checks that this is the rule).
    """
    scan = quiet_scan(Population.from_dict(dict(enumerate(samples))), n_resamples=99,
                      n_boot_ci=n_boot_ci, rng=2)
    old = scan.lrt_pvalue <= 0.05
    new = old & (np.minimum(scan.separation, scan.separation_ci.low) >= 2)
    return old, new


def test_skewed_unimodal_samples_rarely_called_bimodal():
    # 200 samples of n = 48 from each of two skewed unimodal laws. One Gaussian is
    # rejected for most of them, so the old rule calls them bimodal; with Ashman's
    # D >= 2 (at the interval's lower end) few remain. With 1,000 samples each and
    # the default 1,000 seed resamples (docs/modality.md): old 0.785 and 0.797, new
    # 0.059 and 0.058. Here 200 seed resamples (for speed), whose noisier 2.5%
    # quantile gave 0.06-0.09 in runs of 600 samples; the binomial SE of a rate
    # near 0.08 from 200 samples is 0.019, and the bound 0.12 sits ~2 SE above.
    rng = np.random.default_rng(11)
    lognormal = [rng.lognormal(0, 0.5, 48) for _ in range(200)]
    gamma = [rng.gamma(2.0, 1.0, 48) for _ in range(200)]
    old, new = _calls(lognormal + gamma)
    for part in (slice(0, 200), slice(200, 400)):
        assert old[part].mean() >= 0.6
        assert new[part].mean() <= 0.12
    assert new.mean() <= 0.1


def test_separated_modes_still_detected():
    # Two modes 6 sd apart, n = 48: 80/20 and 90/10 (5 seeds in the small mode),
    # 100 samples each. With 1,000 samples each (docs/modality.md): new rule
    # 0.987 and 0.884, old rule 1.000 and 1.000.
    rng = np.random.default_rng(12)
    p80 = [np.r_[rng.normal(0, 1, 38), rng.normal(6, 1, 10)] for _ in range(100)]
    p90 = [np.r_[rng.normal(0, 1, 43), rng.normal(6, 1, 5)] for _ in range(100)]
    old, new = _calls(p80 + p90)
    assert old[:100].mean() >= 0.97 and new[:100].mean() >= 0.95
    assert old[100:].mean() >= 0.95 and new[100:].mean() >= 0.78


# ------------------------------------------------------------------ real data
def test_count_population_smallest_width_is_not_bimodal():
    # The smallest width (8,768 params) is one right-skewed pile (48 values in
    # 0.019-0.102, dip p ~ 0.96): one Gaussian is rejected (skew), and the old rule
    # made it the capacity threshold. Its two components (0.028 +- 0.005 and
    # 0.060 +- 0.020) have D = 2.10 -- just above 2 -- but D's interval reaches down
    # to ~1.6, so it is not a separated second mode. Width 32 (29,824) has D = 6.8
    # (low component 0.26 +- 0.12, high 0.88 +- 0.05); the old rule and the point
    # estimate call it bimodal. KNOWN LIMITATION (docs/modality.md): its high
    # component is 3 seeds inside (0, 1) (hand count: 0.81, 0.91, 0.93; the 4th is
    # exactly 1, a point mass); ~15% of seed resamples hold at most one of them,
    # so D's interval reaches below 2 and the default rule does not call it bimodal.
    pop = distscale.datasets.load_count_population().select(metric="exact_match")
    x = pop.values()[0]
    assert x.size == 48 and 0.018 < x.min() and x.max() < 0.103
    new = quiet_scan(pop, bounds=(0, 1), n_boot_ci=1000, rng=0)
    old = quiet_scan(pop, bounds=(0, 1), n_boot_ci=None, rng=0, min_separation=None)
    assert pop.scales[0] == 8768 and pop.scales[2] == 29824
    assert old.bimodal[0] and old.capacity_threshold == 8768
    assert new.separation[0] == pytest.approx(2.10, abs=0.02)
    assert new.separation_ci.low[0] < 2 and not new.bimodal[0]
    assert new.capacity_threshold != 8768
    assert old.bimodal[2] and new.separation[2] > 6
    inside_high = np.sort(pop.values()[2])[-4:-1]
    np.testing.assert_allclose(inside_high, [0.81, 0.91, 0.93], atol=0.01)
    assert new.separation_ci.low[2] < 2 and not new.bimodal[2]
