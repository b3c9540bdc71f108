"""threshold_sensitivity: the τ-dependent verdicts over a grid of thresholds.

References: the observed fractions are recomputed with pandas; that the
fraction of runs above τ never grows with τ is arithmetic; the decomposition
shares at each τ are :func:`decompose_mean`'s (checked against hand-computed
cases in tests/describe); the two-cluster and shifted-Gaussian populations
are built so that the right verdicts are known in advance (a τ anywhere in
the gap between two clusters cannot change which runs succeed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import distscale
from distscale import threshold_sensitivity
from distscale.success.sensitivity import VERDICTS


def _two_clusters(seed=0, n=40):
    rng = np.random.default_rng(seed)
    data = {}
    for s, p in zip([1e3, 1e4, 1e5, 1e6], [0.1, 0.3, 0.7, 0.9], strict=True):
        ok = rng.random(n) < p
        data[s] = np.where(ok, rng.normal(0.9, 0.02, n), rng.normal(0.1, 0.02, n))
    return distscale.Population.from_dict(data)


def test_thresholds_inside_a_gap_give_one_verdict():
    pop = _two_clusters()
    res = threshold_sensitivity(pop, thresholds=[0.3, 0.4, 0.5, 0.6, 0.7], n_resamples=200,
                                rng=1)
    # no run lies between 0.2 and 0.8, so every τ here splits the runs the same way
    assert np.all(res.p_observed == res.p_observed[0])
    for v in VERDICTS:
        assert res.holds(v), v
    assert res.flips().empty
    assert set(res.table["mean_change"]) == {"explained by P(success)"}
    lo, hi = res.gap
    every = np.concatenate(pop.values())
    assert lo < 0.3 and hi > 0.7  # the gap between the clusters
    assert not np.any((every > lo) & (every < hi))
    assert "at every threshold" in res.summary()


def test_observed_fractions_match_pandas_and_fall_with_the_bar():
    frame = distscale.datasets.load_count_population(as_frame=True)
    pop = distscale.datasets.load_count_population().select(metric="exact_match")
    res = threshold_sensitivity(pop, n_resamples=100, rng=0)
    assert 2 <= len(res.thresholds) <= 9
    for i, tau in enumerate(res.thresholds):
        expected = frame.assign(ok=frame.exact_match > tau).groupby("n_params")["ok"].mean()
        np.testing.assert_allclose(res.p_observed[i], expected.to_numpy())
    assert np.all(np.diff(res.p_observed, axis=0) <= 0)  # a higher bar: fewer successes
    # the default grid never puts every run on one side (the pile at 1 is excluded)
    assert (res.table[list(VERDICTS)] != "degenerate").all(axis=None)
    # x50 moves up with the bar wherever it is defined
    x50 = res.x50[np.isfinite(res.x50)]
    assert x50.size >= 2 and np.all(np.diff(x50) > 0)
    table = res.to_frame()
    assert list(table.columns[:5]) == ["threshold", "first_majority_scale", *VERDICTS]
    assert [c for c in table.columns if c.startswith("p_success@")] == [
        f"p_success@{s:g}" for s in pop.scales
    ]


def test_a_threshold_inside_a_cluster_flips_the_mean_verdict():
    """Successful runs at 0.9, failed runs rising 0.0 -> 0.4, P(success) 0.1 -> 0.9.

    With τ = 0.6 (in the gap) most of the mean's rise is runs changing group
    (by hand, midpoint split: gap ~0.7 x rise of P 0.8 against a rise of the
    mean of ~0.76). With τ = 0.9 (the middle of the successful cluster) half of
    the successful runs count as failed, and their group's mean moves with
    P(success): the P(success) part falls well below one half.
    """
    rng = np.random.default_rng(3)
    data = {}
    for s, p, f in zip([1, 2, 4, 8, 16], [0.1, 0.3, 0.5, 0.7, 0.9], [0.0, 0.1, 0.2, 0.3, 0.4],
                       strict=True):
        ok = rng.random(60) < p
        data[s] = np.where(ok, rng.normal(0.9, 0.02, 60), np.clip(rng.normal(f, 0.02, 60), 0, 1))
    pop = distscale.Population.from_dict(data)
    res = threshold_sensitivity(pop, thresholds=[0.6, 0.9], n_resamples=300, rng=0)
    words = res.table.set_index("threshold")["mean_change"]
    assert words[0.6] == "explained by P(success)"
    assert words[0.9] == "not mainly P(success)"
    assert not res.holds("mean_change")
    flips = res.flips()
    assert flips.to_dict("records") == [{
        "verdict": "mean_change", "threshold_from": 0.6, "threshold_to": 0.9,
        "from": "explained by P(success)", "to": "not mainly P(success)"}]
    assert "where the change of the mean comes from depends on τ" in res.summary()


def test_lower_is_better_and_degenerate_thresholds():
    pop = distscale.datasets.load_polypythias().select(metric="mean_bigram_loss")
    res = threshold_sensitivity(pop, thresholds=[5.0, 7.5, 7.8], higher_is_better=False,
                                n_resamples=100, rng=0)
    row = res.table.set_index("threshold")
    assert (row.loc[5.0, list(VERDICTS)] == "degenerate").all()  # no loss is below 5
    raw = distscale.datasets.load_polypythias(as_frame=True)
    expected = raw.assign(ok=raw.mean_bigram_loss < 7.5).groupby("params")["ok"].mean()
    np.testing.assert_allclose(res.p_observed[1], expected.to_numpy())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"thresholds": [0.5]}, ValueError, "`thresholds` must have at least 2 values"),
        ({"thresholds": [0.5, 0.5]}, ValueError, "`thresholds` must not repeat a value"),
        ({"thresholds": [0.2, float("nan")]}, ValueError, "`thresholds` has 1 non-finite"),
        ({"thresholds": ["a", "b"]}, TypeError, "`thresholds` must contain only numbers"),
        ({"n_thresholds": 1}, ValueError, "n_thresholds"),
        ({"n_resamples": 1}, ValueError, "n_resamples"),
        ({"alpha": 2}, ValueError, "alpha"),
        ({"higher_is_better": "yes"}, TypeError, "higher_is_better"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        threshold_sensitivity(_two_clusters(), **kwargs)


def test_needs_two_scales():
    pop = distscale.Population.from_dict({1: [0.1, 0.9, 0.5]})
    with pytest.raises(ValueError, match="at least 2 scales"):
        threshold_sensitivity(pop)


def test_headline_rule_on_hand_made_decompositions():
    """MeanDecomposition.headline against cases whose split is known exactly."""
    from distscale.describe import decompose_mean

    # all of the rise is runs moving into the successful group (hand: share 1)
    moved = distscale.Population.from_dict({1: [0.1] * 15 + [0.8] * 5, 2: [0.8] * 20})
    assert decompose_mean(moved, threshold=0.5, n_resamples=200, rng=0).headline == (
        "explained by P(success)"
    )
    # nobody changes group; every run improves by 0.3 (hand: share 0)
    shifted = distscale.Population.from_dict(
        {1: [0.0, 0.05, 0.1, 0.15] * 5, 2: [0.3, 0.35, 0.4, 0.45] * 5}
    )
    assert decompose_mean(shifted, threshold=0.9, n_resamples=200, rng=0).headline == (
        "not mainly P(success)"
    )
    # nothing changes: share undefined
    same = distscale.Population.from_dict({1: [0.2, 0.8] * 5, 2: [0.2, 0.8] * 5})
    assert decompose_mean(same, threshold=0.5, n_resamples=200, rng=0).headline in (
        "undefined", "no clear change")
    assert pd.isna(decompose_mean(same, threshold=0.5, n_resamples=200, rng=0).share)
