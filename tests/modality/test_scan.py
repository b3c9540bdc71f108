"""Tests of distscale.modality: the per-scale modality scan and the capacity threshold.

Outside truth used here (named at each test): statsmodels' Holm adjustment,
distscale.summary_curves' P(success) (another module's hand-checked
fraction), scikit-learn's BIC, the dip test of distscale.modality.dip,
upstream descriptions of real data (PolyPythias 14m: seeds 5 and 6 apart;
BERTs of a feather: hand counts of exact 1s), and parameter recovery: data
simulated from known two-mode mixtures, with the coverage of the bootstrap
intervals checked against the nominal 95% (binomial SE stated).

Real data: the PolyPythias table bundled with distscale (MIT, see
distscale/datasets/data/README.md), cross-checked against the raw upstream
files in ../shared/data when present; BERTs of a feather, copied into
tests/data/berts-of-a-feather (MIT, see its README.md).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.mixture import GaussianMixture
from statsmodels.stats.multitest import multipletests

import distscale
from distscale import DegenerateDataWarning, Population, fit_mixture, modality_scan
from distscale.modality.scan import holm
from tests._helpers import SHARED_DATA, TEST_DATA

DATA = TEST_DATA
SHARED = SHARED_DATA


def berts() -> pd.DataFrame:
    """The 100 runs of BERTs of a feather (upstream summary and blank rows dropped)."""
    frame = pd.read_csv(DATA / "berts-of-a-feather" / "berts_of_a_feather_accuracies_by_run.csv",
                        encoding="utf-8-sig")
    frame = frame[frame["Run"].astype(str).str.startswith("Run ")]
    assert len(frame) == 100
    return frame


def warned(record, text):
    """Whether one of the recorded DegenerateDataWarnings contains `text`."""
    return any(text in str(w.message) for w in record)


def one_scale(values, name="acc") -> Population:
    return Population.from_dict({1: np.asarray(values, dtype=float)}, metric=name)


def quiet_scan(*args, **kwargs):
    """A scan with the degenerate-data and Holm-resolution warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        warnings.filterwarnings("ignore", "with .* scales tested", UserWarning)
        return modality_scan(*args, **kwargs)


# ----------------------------------------------------------------------- Holm
def test_holm_matches_statsmodels():
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = rng.uniform(0, 0.2, size=int(rng.integers(1, 12)))
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1])
    p = np.array([0.01, np.nan, 0.04, 0.03])
    ref = multipletests(p[[0, 2, 3]], method="holm")[1]
    out = holm(p)
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2, 3]], ref)


# -------------------------------------------------------- synthetic population
def paper_like(seed=0, n=60):
    """Failures near 0.05, successes near 0.75; P(success) 0, .1, .2, .35, .7, .9."""
    rng = np.random.default_rng(seed)
    out = {}
    for s, p in zip((1, 2, 4, 8, 16, 32), (0.0, 0.1, 0.2, 0.35, 0.7, 0.9), strict=True):
        succ = rng.random(n) < p
        out[s] = np.where(succ, rng.normal(0.75, 0.05, n), rng.normal(0.05, 0.02, n))
    return Population.from_dict(out, metric="acc")


def test_capacity_threshold_comes_before_majority_success():
    pop = paper_like()
    scan = modality_scan(pop, success_threshold=0.2, n_resamples=199, n_boot_ci=200, rng=1)
    # the unimodal first scale is not detected; scales with a minority of
    # successes (10%, 20%, 35%) already are, well before P(success) > 0.5 (scale 16)
    assert not scan.bimodal[0]
    assert scan.bimodal[1:5].all()
    # (at the largest scale only 3 of 60 seeds fail; whether three seeds establish a mode
    # depends on the seed resamples that happen to lack them: not asserted)
    assert scan.capacity_threshold == 2.0
    assert scan.success_scale == 16.0
    # P(success) is the same fraction summary_curves computes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)  # no success at scale 1
        curves = distscale.summary_curves(pop, threshold=0.2, n_resamples=20, rng=0)
    np.testing.assert_allclose(scan.p_success, curves.estimate("p_success"))
    # labels never switch: "low" sits at the failures, "high" at the successes
    comp = scan.components
    low = comp[(comp.component == "low") & (comp.parameter == "mean")]
    high = comp[(comp.component == "high") & (comp.parameter == "mean")]
    assert (low.estimate.between(0.0, 0.1)).all() and (high.estimate.between(0.7, 0.8)).all()
    # ... and their intervals stay apart wherever the failures are a group of their
    # own (not at the largest scale, where resamples without the 3 failures exist)
    assert (low.ci_high.to_numpy()[:-1] < high.ci_low.to_numpy()[:-1]).all()
    # the Holm-adjusted p-values are statsmodels' on the tested scales
    tested = np.isfinite(scan.pvalue)
    np.testing.assert_allclose(scan.adjusted_pvalue[tested],
                               multipletests(scan.pvalue[tested], method="holm")[1])
    assert "capacity threshold 2" in repr(scan)


def test_tables():
    scan = quiet_scan(paper_like(n=30), n_resamples=99, n_boot_ci=50, rng=2)
    wide = scan.per_scale()
    assert list(wide.columns) == [
        "scale", "n_seeds", "n_continuous", "dip_statistic", "dip_pvalue",
        "bimodality_coefficient", "n_components", "lrt_statistic", "lrt_pvalue",
        "adjusted_pvalue", "separation", "separation_ci_low", "separation_ci_high",
            "separation_bound", "n_modes",
        "pile_modes", "bimodal", "degenerate", "notes",
    ]
    tidy = scan.to_frame()
    assert list(tidy.columns) == ["scale", "component", "statistic", "estimate", "ci_low", "ci_high"]
    assert set(tidy.loc[tidy.component.notna(), "statistic"]) == {"weight", "mean", "sd"}
    # the separation (Ashman's D) is the one scale-level statistic with an interval
    with_ci = tidy[tidy.component.isna() & tidy.ci_low.notna()]
    assert set(with_ci.statistic) == {"separation"}
    # a scale's dip p-value in the tidy table is the dip test's
    dip = distscale.dip_test(paper_like(n=30).values()[3])
    row = tidy[(tidy.scale == 8) & (tidy.statistic == "dip_pvalue")]
    assert row.estimate.item() == pytest.approx(dip.pvalue)
    # weights of each scale's chosen fit sum to one
    w = scan.components[scan.components.parameter == "weight"].groupby("scale").estimate.sum()
    np.testing.assert_allclose(w, 1.0)


def test_methods_bic_and_dip_and_three_components():
    pop = paper_like(n=40)
    bic = quiet_scan(pop, method="bic", max_components=3, n_boot_ci=None, rng=0)
    assert bic.lrt_pvalue is None and bic.pvalue is None
    assert bic.bic.shape == (6, 3)
    np.testing.assert_array_equal(bic.n_components, np.nanargmin(bic.bic, axis=1) + 1)
    assert np.isnan(bic.components.ci_low).all()  # no intervals asked for
    dip = quiet_scan(pop, method="dip", n_boot_ci=None, rng=0)
    np.testing.assert_allclose(dip.pvalue, dip.dip_pvalue)
    np.testing.assert_array_equal(dip.bimodal, holm(dip.dip_pvalue) <= 0.05)


def test_holm_resolution_warning():
    pop = paper_like(n=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        with pytest.warns(UserWarning, match="no scale can be detected"):
            modality_scan(pop, n_resamples=19, n_boot_ci=None, rng=0)


def test_rng_reproducible_and_dataframe_input():
    pop = paper_like(n=20)
    a = quiet_scan(pop, n_resamples=49, n_boot_ci=30, rng=5)
    b = quiet_scan(pop.to_frame(), scale="scale", seed="seed", value="acc",
                   n_resamples=49, n_boot_ci=30, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.lrt_pvalue, b.lrt_pvalue)
    pd.testing.assert_frame_equal(a.components, b.components)


# -------------------------------------------------------------------- ties
def test_tie_heavy_without_bounds_warns_not_discovers():
    # Accuracies piled at exactly 0 and 1 plus a few in between, with point masses
    # switched off (bounds=None): Gaussians would collapse onto the piles. Expect a
    # warning and no discovery; with bounds the piles become point masses (hand counts).
    x = np.r_[np.zeros(25), np.ones(25), np.linspace(0.3, 0.7, 10)]
    pop = Population.from_dict({1: x, 2: np.linspace(0.2, 0.8, 60)})
    with pytest.warns(DegenerateDataWarning) as record:
        scan = modality_scan(pop, bounds=None, n_resamples=99, n_boot_ci=None, rng=0)
    assert warned(record, "piles of tied values")
    assert scan.degenerate.tolist() == [True, False]
    assert not scan.bimodal.any()
    assert np.isnan(scan.adjusted_pvalue[0])
    scan = quiet_scan(pop, bounds=(0, 1), n_resamples=99, n_boot_ci=100, rng=0)
    pm = scan.components[(scan.components.kind == "point mass") & (scan.components.scale == 1)]
    assert pm.component.tolist() == ["at 0", "at 1"]
    np.testing.assert_allclose(pm.estimate, [25 / 60, 25 / 60])
    assert (pm.ci_low < 25 / 60).all() and (pm.ci_high > 25 / 60).all()
    # by default (bounds="auto") the two piles are found and are modes of their own:
    # 25 runs each, far from the runs between them (mean 0.5, sd 0.13: 3.9 sd away)
    auto = quiet_scan(pop, n_resamples=99, n_boot_ci=None, rng=0)
    assert auto.bimodal.tolist() == [True, False]
    assert auto.pile_modes[0] == 2 and auto.n_modes[0] == 3
    assert "25 of 60 values sit exactly at the smallest value 0" in auto.notes[0]


def test_scale_with_every_value_at_a_bound():
    # 6 runs at exactly 0 and 2 at exactly 1 (hand counts): no Gaussian part,
    # two point masses with weights 6/8 and 2/8, not tested.
    pop = Population.from_dict({1: [0.0] * 6 + [1.0] * 2, 2: np.linspace(0.1, 0.9, 8)})
    scan = quiet_scan(pop, bounds=(0, 1), n_resamples=99, n_boot_ci=200, rng=0)
    assert scan.n_components[0] == 0 and scan.fits[0] is None and scan.degenerate[0]
    rows = scan.components[scan.components.scale == 1]
    assert rows.component.tolist() == ["at 0", "at 1"]
    np.testing.assert_allclose(rows.estimate, [0.75, 0.25])
    assert (rows.ci_low <= rows.estimate).all() and (rows.estimate <= rows.ci_high).all()
    assert rows.ci_low.iloc[0] < 0.75 < rows.ci_high.iloc[0]


def test_bounds_outside_value_names_the_scale():
    pop = Population.from_dict({1: [0.1, 0.2, 0.3, 0.4], 2: [0.2, 1.5, 0.3, 0.4]})
    with pytest.raises(ValueError, match=r"values at scale 2.*outside `bounds`"):
        modality_scan(pop, bounds=(0, 1))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "aic"}, ValueError, "`method` must be one of"),
        ({"alpha": 0}, ValueError, "`alpha`"),
        ({"max_components": 1}, ValueError, "`max_components` must be at least 2"),
        ({"n_resamples": 0}, ValueError, "`n_resamples`"),
        ({"n_boot_ci": 1}, ValueError, "`n_resamples` must be at least 2"),
        ({"confidence_level": 95}, ValueError, "`confidence_level`"),
        ({"success_threshold": "0.5"}, TypeError, "`success_threshold`"),
        ({"success_threshold": float("inf")}, ValueError, "`success_threshold`"),
        ({"higher_is_better": "yes"}, TypeError, "`higher_is_better`"),
        ({"n_init": 0}, ValueError, "`n_init`"),
        ({"sd_floor": 0}, ValueError, "`sd_floor`"),
        ({"metric": "loss"}, ValueError, "`metric`"),
        ({"rng": 1.5}, TypeError, "`rng`"),
    ],
)
def test_bad_input(kwargs, error, match):
    pop = Population.from_dict({1: [0.1, 0.2, 0.3, 0.4, 0.5]}, metric="acc")
    with pytest.raises(error, match=match):
        modality_scan(pop, **kwargs)


def test_small_scales_warn():
    pop = Population.from_dict({1: [0.1, 0.2, 0.3], 2: [0.1, 0.5, 0.2, 0.9, 0.3]})
    with pytest.warns(DegenerateDataWarning) as record:
        scan = modality_scan(pop, n_resamples=19, n_boot_ci=None, rng=0)
    assert warned(record, "fewer than 4")
    assert scan.degenerate[0] and np.isnan(scan.bimodality_coefficient[0])


# --------------------------------------------------------- parameter recovery
def test_interval_coverage_two_modes():
    # 300 scales, each 100 seeds from 0.3 N(0, 1) + 0.7 N(6, 1); 95% percentile
    # intervals from 300 seed resamples. Coverage of each weight and mean must be
    # 0.95 +- 0.03 (binomial SE of a coverage from 300 scales: 0.0126).
    rng = np.random.default_rng(0)
    n = 100
    data = {s: np.where(rng.random(n) < 0.3, rng.normal(0, 1, n), rng.normal(6, 1, n))
            for s in range(300)}
    scan = quiet_scan(Population.from_dict(data), method="bic", n_boot_ci=300, rng=1)
    assert (scan.n_components == 2).all()
    comp = scan.components
    for label, parameter, truth in (("low", "weight", 0.3), ("high", "weight", 0.7),
                                    ("low", "mean", 0.0), ("high", "mean", 6.0)):
        rows = comp[(comp.component == label) & (comp.parameter == parameter)]
        cover = np.mean((rows.ci_low <= truth) & (truth <= rows.ci_high))
        assert abs(cover - 0.95) <= 0.03, (label, parameter, cover)
        assert rows.estimate.mean() == pytest.approx(truth, abs=0.02)


# ------------------------------------------------------------------ real data
def test_polypythias_14m_final_bigram_loss_two_groups():
    # Upstream description (shared/data/README.md): at 14m the final bigram loss
    # splits into seeds 5 and 6 near 8.3 against the rest 7.3-7.9.
    frame = distscale.datasets.load_polypythias(as_frame=True)
    rows = frame[frame.model_size == "14m"].sort_values("seed")
    x = rows.mean_bigram_loss.to_numpy()
    if (SHARED / "polypythias-ngram-losses" / "raw").is_dir():  # bundled == raw upstream
        raw = SHARED / "polypythias-ngram-losses" / "raw"
        for seed, value in zip(rows.seed, x, strict=True):
            name = "" if seed == 0 else f"-seed{seed}"
            up = pd.read_csv(raw / f"means_ngrams_model_pythia-14m{name}_1024.csv")
            assert up.mean_bigram_loss.iloc[-1] == pytest.approx(value)
    fit = fit_mixture(x, rng=0)
    high = fit.responsibilities[:, 1] > 0.99
    assert rows.seed[high].tolist() == [5, 6]
    assert (fit.responsibilities[~high, 0] > 0.99).all()
    np.testing.assert_allclose(fit.weights, [0.8, 0.2], atol=1e-3)
    # BIC prefers two components, as scikit-learn's BIC does
    sel = distscale.select_components(x, method="bic")
    assert sel.n_components == 2
    sk = [GaussianMixture(k, n_init=10, random_state=0, reg_covar=1e-9).fit(x[:, None])
          .bic(x[:, None]) for k in (1, 2)]
    assert sk[1] < sk[0]
    # the bootstrap LRT finds the split borderline at 10 seeds (p ~ 0.04), far
    # stronger evidence than the dip test, which needs more seeds (p ~ 0.7)
    lrt = distscale.select_components(x, n_resamples=999, rng=0)
    assert 0.01 < lrt.pvalue[0] < 0.1
    assert distscale.dip_test(x).pvalue > 0.5


def test_berts_widely_dispersed_category_is_unimodal():
    # ln_preposition: accuracies spread over 0.04-0.76 across 100 seeds. Wide,
    # but one mode: the LRT, the dip test and scikit-learn's BIC agree.
    x = berts()["ln_preposition"].to_numpy(float)
    assert x.std() > 0.15
    scan = modality_scan(one_scale(x), bounds=(0, 1), n_resamples=199, n_boot_ci=200, rng=0)
    assert not scan.bimodal[0] and scan.n_components[0] == 1
    assert scan.lrt_pvalue[0] > 0.1 and scan.dip_pvalue[0] > 0.1
    sk = [GaussianMixture(k, n_init=5, random_state=0).fit(x[:, None]).bic(x[:, None])
          for k in (1, 2)]
    assert sk[0] < sk[1]
    single = scan.components[scan.components.parameter == "mean"]
    assert single.estimate.item() == pytest.approx(x.mean())


@pytest.mark.parametrize(("column", "n_at_one"), [("le_passive", 75), ("se_PP_on_obj", 90)])
def test_berts_tie_heavy_category_warns_not_discovers(column, n_at_one):
    # le_passive: 75 of 100 seeds score exactly 1.0, the rest 0.994-0.999 (hand
    # count of the upstream CSV). Without bounds the pile of 1s is flagged; with
    # bounds it is a point mass, and the few inside values (3 distinct) collapse
    # a component: a warning, never a discovery.
    x = berts()[column].to_numpy(float)
    assert int(np.sum(x == 1.0)) == n_at_one
    for bounds in (None, (0, 1)):
        with pytest.warns(DegenerateDataWarning):
            scan = modality_scan(one_scale(x), bounds=bounds, n_resamples=99, n_boot_ci=None,
                                 rng=0)
        assert scan.degenerate[0] and not scan.bimodal[0]
    pm = scan.components[scan.components.kind == "point mass"]
    assert pm.estimate.item() == pytest.approx(n_at_one / 100)


def test_berts_zeros_without_bounds_flagged():
    # ln_passive: 41 exact zeros (hand count). Without bounds: a pile, flagged.
    x = berts()["ln_passive"].to_numpy(float)
    assert int(np.sum(x == 0)) == 41
    with pytest.warns(DegenerateDataWarning) as record:
        scan = modality_scan(one_scale(x), bounds=None, n_resamples=99, n_boot_ci=None, rng=0)
    assert warned(record, "41 of 100 values sit exactly at the smallest")
    assert scan.degenerate[0] and not scan.bimodal[0]


def test_exports():
    for name in ("modality_scan", "ModalityScan"):
        assert name in distscale.__all__
    assert math.isclose(holm([0.02])[0], 0.02)
