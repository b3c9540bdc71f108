"""Verdicts on real populations from ``../shared/data`` (skipped when absent).

Each test states the verdict a careful statistician would give on the data
and why, and checks the library gives it:

* BERTs of a feather (McCoy et al. 2020; tommccoy1/hans, MIT): 100 fine-tuning
  seeds of BERT-base, 38 HANS categories in [0, 1]. Several pile up at exactly
  0 or 1 with a continuous part running from the pile -- J shapes, unimodal.
* PolyPythias (EleutherAI/features-across-time, MIT): 10 seeds at 14m, the
  bigram loss over 18 checkpoints -- the same runs at every step (paired).
* Dopamine (google/dopamine, Apache-2.0): per-iteration returns of 5 runs per
  agent on Atari -- again the same runs at every iteration.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import distscale as ds
from distscale import PairedSeedsWarning, Population
from tests._helpers import DOPAMINE, TEST_DATA, dopamine_default, quiet

BERTS = TEST_DATA / "berts-of-a-feather" / "berts_of_a_feather_accuracies_by_run.csv"


def berts_population() -> Population:
    frame = pd.read_csv(BERTS, encoding="utf-8-sig")
    frame = frame[frame["Run"].astype(str).str.startswith("Run ")]  # drop summary rows
    long = frame.melt(id_vars="Run", var_name="category", value_name="accuracy").assign(size=1)
    return Population(long, scale="size", seed="Run", value="accuracy", task="category")


def test_hans_piles_at_a_bound_are_the_edge_of_one_mode():
    # Careful reading: in every category the runs form one group. Where runs pile at
    # exactly 0 (ln_passive: 41 of 100; cn_after_if_clause: 35) or at exactly 1
    # (le_around_prepositional_phrase: 28; le_passive: 75), the other runs continue
    # right from the pile (0.001, 0.002, ... on a 1/1000 grid): a J-shaped
    # distribution with its mode at the bound, not two groups. No category is bimodal.
    # The dip test rejects unimodality at 6 of them (p <= 0.01) because of the ties at
    # the bound; the library's verdict looks at the pile's distance from the runs next
    # to it (in sds widened by the grid step) and does not.
    pop = berts_population()
    dips, verdicts = {}, {}
    for category in pop.tasks:
        scan = quiet(ds.modality_scan, pop.select(task=category), bounds=(0, 1),
                     n_boot_ci=300, rng=0)
        dips[category], verdicts[category] = scan.dip_pvalue[0], bool(scan.bimodal[0])
        if category in ("ln_passive", "cn_after_if_clause", "le_around_prepositional_phrase"):
            assert scan.fits[0].point_mass_weights.max() >= 0.28
            assert "the edge of the same mode" in scan.notes[0]
    assert len(verdicts) == 38 and not any(verdicts.values())
    assert sum(p <= 0.01 for p in dips.values()) >= 5
    # the default (bounds="auto") finds the piles itself and says the same
    auto = quiet(ds.modality_scan, pop.select(task="ln_passive"), n_boot_ci=300, rng=0)
    assert not auto.bimodal[0] and "41 of 100 values sit exactly at the smallest" in auto.notes[0]


def test_polypythias_14m_two_seeds_apart_are_not_yet_a_mode():
    # Final checkpoint, bigram loss: seeds 5 and 6 near 8.3, the other eight 7.3-7.9.
    # Two of ten seeds far from the rest is suggestive, but two runs cannot establish a
    # mode: a seed resample leaves both out with probability (8/10)^10 = 0.11, so the
    # separation's interval reaches down to one cluster split in two.
    pop = ds.datasets.load_polypythias().select(metric="mean_bigram_loss")
    x = pop.values()[0]
    assert np.sum(x > 8.2) == 2 and (8 / 10) ** 10 > 0.025
    scan = quiet(ds.modality_scan, pop, rng=0)
    assert not scan.bimodal[0]
    assert scan.separation[0] > 2.25 > scan.separation_ci.low[0]


def polypythias_checkpoints() -> pd.DataFrame:
    frame = ds.datasets.load_polypythias(step=None, as_frame=True)
    return frame[(frame["model_size"] == "14m") & (frame["step"] > 0)]


def test_polypythias_checkpoints_are_paired_and_the_loss_is_not_monotone():
    # The same 10 runs measured at 18 checkpoints. Their bigram loss falls early in
    # training and rises late (every seed; e.g. seed 5: 7.10 at step 2,000, 8.35 at the
    # end) -- the models leave bigram statistics behind. So: the seed labels repeat
    # with values correlated across steps (the library suggests paired=True); the mean
    # is not monotone (the monotonicity test rejects, seeds resampled whole).
    frame = polypythias_checkpoints()
    with pytest.warns(PairedSeedsWarning):
        Population(frame, scale="step", seed="seed", value="mean_bigram_loss")
    pop = Population(frame, scale="step", seed="seed", value="mean_bigram_loss", paired=True)
    wide = pop.wide()
    assert (wide[2000] < wide[143000]).all()
    mono = ds.monotonicity_test(pop, direction="decreasing", n_resamples=999, rng=0)
    assert mono.paired and mono.pvalue <= 0.01
    early = Population(frame[frame["step"] <= 2000], scale="step", seed="seed",
                       value="mean_bigram_loss", paired=True)
    trend = ds.trend_test(early, alternative="decreasing", n_resamples=999, rng=0)
    assert trend.paired and trend.pvalue_method == "permutation within seeds"
    assert trend.pvalue <= 0.01


needs_dopamine = pytest.mark.skipif(not DOPAMINE.is_dir(), reason="shared/data is absent")


@needs_dopamine
def test_dopamine_runs_over_iterations_are_paired():
    # Rainbow on Seaquest, the 5 runs of the default file at 8 iterations: the return
    # of a run at one iteration predicts its return at the next (the same agent keeps
    # learning), so the seed labels are flagged as paired. Returns rise with training;
    # with 5 runs the within-seed permutation test has 8!^5 relabellings and sees it.
    d = dopamine_default("seaquest", [5, 10, 20, 40, 60, 80, 100, 150])
    d = d[d["Agent"] == "Rainbow"]
    assert d.groupby("Iteration").size().eq(5).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PairedSeedsWarning)
        pop = Population(d, scale="Iteration", seed="seed", value="Value", paired=True)
    res = ds.trend_test(pop, n_resamples=999, rng=0)
    assert res.paired and res.pvalue <= 0.01 and res.effect_size > 0.5
