"""Tests of compare_metrics: thresholded vs continuous metrics of the same runs.

Outside truths used here:
* populations simulated from known mechanisms (a smooth rise of per-token
  skill seen through exact match; seeds that learned or did not), where the
  right verdict is known by construction;
* pandas group-by means and fractions for the run-level values and
  ``P(run metric >= tau)``;
* :func:`distscale.emergence_scores` (tested against the BIG-bench formulas)
  for the scores of the mean curve.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import distscale
from distscale import DegenerateDataWarning, MetricComparison, compare_metrics
from tests._helpers import SHARED_DATA, quiet

METRICS = ["exact_match", "token_accuracy"]


def _frame(p, n_samples, length, rng):
    """Per-sample frame from per-token skill ``p`` of shape (scales, seeds)."""
    n_scales, n_seeds = p.shape
    tokens = rng.random((n_scales, n_seeds, n_samples, length)) < p[:, :, None, None]
    s, k, i = np.meshgrid(np.arange(n_scales) + 1, np.arange(n_seeds), np.arange(n_samples),
                          indexing="ij")
    return pd.DataFrame({
        "scale": s.ravel(), "seed": k.ravel(), "sample_id": i.ravel(),
        "exact_match": tokens.all(axis=-1).astype(float).ravel(),
        "token_accuracy": tokens.mean(axis=-1).ravel(),
    })


def smooth_skill(rng, n_scales=8, n_seeds=20, n_samples=30):
    """(a) per-token skill of every seed near a mean rising linearly 0.5 -> 0.98.

    Exact match of a 10-token target is skill**10: it stays near 0 and then
    shoots up, while token accuracy rises in even steps; seeds are unimodal.
    """
    mean_p = np.linspace(0.5, 0.98, n_scales)
    p = np.clip(rng.normal(mean_p[:, None], 0.02, (n_scales, n_seeds)), 0, 1)
    return _frame(p, n_samples, 10, rng)


def learned_or_not(rng, n_scales=8, n_seeds=20, n_samples=30):
    """(b) seeds learned (token skill 0.97) or not (0.3); P(learned) 0.1 -> 0.9."""
    p_learned = np.linspace(0.1, 0.9, n_scales)
    learned = rng.random((n_scales, n_seeds)) < p_learned[:, None]
    return _frame(np.where(learned, 0.97, 0.3), n_samples, 10, rng)


@pytest.fixture(scope="module")
def case_a():
    df = smooth_skill(np.random.default_rng(0))
    return df, quiet(compare_metrics, df, scale="scale", seed="seed", metrics=METRICS,
                     n_resamples=400, rng=0)


@pytest.fixture(scope="module")
def case_b():
    df = learned_or_not(np.random.default_rng(0))
    return df, quiet(compare_metrics, df, scale="scale", seed="seed", metrics=METRICS,
                     n_resamples=400, rng=0)


# ------------------------------------------------------------- simulated verdicts
def test_exact_match_jumps_token_accuracy_does_not(case_a):
    _, res = case_a
    em, tok = res.verdicts["exact_match"], res.verdicts["token_accuracy"]
    assert em.kind == "thresholded" and tok.kind == "continuous"
    assert em.jump is True and em.step_ratio >= 2
    assert tok.jump is False and tok.step_ratio < 1.5
    assert tok.bimodal is False and not tok.bimodal_scales
    assert em.bimodal is not True  # unimodal seeds: never called bimodal (maybe not assessed)
    assert em.seed_jump_fraction > 0.5 > tok.seed_jump_fraction
    text = res.summary()
    assert "does not persist under the continuous token_accuracy" in text
    assert res.persistence() in text


def test_both_metrics_bimodal_when_seeds_learn_or_not(case_b):
    _, res = case_b
    em, tok = res.verdicts["exact_match"], res.verdicts["token_accuracy"]
    assert tok.bimodal is True and len(tok.bimodal_scales) >= 4
    assert em.bimodal is True and len(em.split_scales) >= 4  # failed runs sit at exactly 0
    assert tok.jump is False  # P(learned) rises in even steps, so the mean does too
    assert "persists under the continuous token_accuracy, so it is not" in res.summary()


def test_the_two_cases_are_told_apart(case_a, case_b):
    a, b = case_a[1].verdicts, case_b[1].verdicts
    assert (a["token_accuracy"].bimodal, b["token_accuracy"].bimodal) == (False, True)
    assert a["exact_match"].jump and not a["token_accuracy"].jump


# ----------------------------------------------------------- numbers vs pandas
def test_run_level_values_and_p_reach_match_pandas(case_a):
    df, res = case_a
    runs = df.groupby(["scale", "seed"])[METRICS].mean().reset_index()
    frame = res.to_frame()
    for m in METRICS:
        pop = res.populations[m]
        wide = runs.pivot(index="seed", columns="scale", values=m)
        pd.testing.assert_frame_equal(pop.wide(m), wide, check_names=False,
                                      check_column_type=False)
        means = frame.query("metric == @m and source == 'runs' and quantity == 'mean'")
        np.testing.assert_allclose(means["estimate"], runs.groupby("scale")[m].mean())
        reach = frame.query("metric == @m and quantity == 'p_reach'")
        for tau in res.tau_grids[m][[0, 4, 8]]:
            want = (runs[m] >= tau).groupby(runs["scale"]).mean()
            got = reach.loc[np.isclose(reach["tau"], tau), "estimate"]
            np.testing.assert_allclose(got, want)
        # Default threshold: the midpoint of the run-level range; default grid:
        # 9 evenly spaced levels strictly inside it.
        lo, hi = runs[m].min(), runs[m].max()
        assert res.thresholds[m] == pytest.approx((lo + hi) / 2)
        np.testing.assert_allclose(res.tau_grids[m], np.linspace(lo, hi, 11)[1:-1])


def test_curve_scores_match_emergence_scores(case_a):
    df, res = case_a
    mean = df.groupby("scale")["exact_match"].mean()
    ref = distscale.emergence_scores(mean.index, mean.to_numpy())
    v = res.verdicts["exact_match"]
    assert v.breakthroughness == pytest.approx(ref.breakthroughness)
    assert v.linearity == pytest.approx(ref.linearity)
    assert v.step_ratio == pytest.approx(ref.breakthroughness / ref.linearity)
    assert v.step_ratio_ci.low <= v.step_ratio <= v.step_ratio_ci.high


def test_lower_is_better_metric_is_oriented():
    # Edit distance = 10 * (1 - token accuracy) here: a lower-is-better mirror
    # of token accuracy. Its scores are those of the negated mean curve, so
    # they equal token accuracy's.
    df = smooth_skill(np.random.default_rng(1), n_seeds=6, n_samples=10)
    df["edit_distance"] = 10 * (1 - df["token_accuracy"])
    res = quiet(compare_metrics, df, scale="scale", seed="seed",
                metrics=["token_accuracy", "edit_distance"], n_resamples=100, rng=0)
    assert res.higher_is_better == {"token_accuracy": True, "edit_distance": False}
    tok, ed = res.verdicts["token_accuracy"], res.verdicts["edit_distance"]
    assert ed.breakthroughness == pytest.approx(tok.breakthroughness)
    assert ed.linearity == pytest.approx(tok.linearity)
    assert ed.improvement == pytest.approx(10 * tok.improvement)
    mean = df.groupby("scale")["edit_distance"].mean()
    ref = distscale.emergence_scores(mean.index, -mean.to_numpy())
    assert ed.breakthroughness == pytest.approx(ref.breakthroughness)
    assert res.thresholds["edit_distance"] == pytest.approx(
        10 * (1 - res.thresholds["token_accuracy"]))


def test_nested_intervals_are_wider_than_seed_intervals():
    # Example difficulty shared by all seeds (sd 0.2) dominates seed spread
    # (sd 0.01): with 12 samples the seed bootstrap misses it, the nested one
    # does not (see test_nested_bootstrap.py for the closed form).
    rng = np.random.default_rng(2)
    s, k, i = np.meshgrid(np.arange(4), np.arange(8), np.arange(12), indexing="ij")
    score = (0.2 * s + rng.normal(0, 0.01, (4, 8, 1)) + rng.normal(0, 0.2, (4, 1, 12))
             + rng.normal(0, 0.05, s.shape))
    df = pd.DataFrame({"scale": s.ravel(), "seed": k.ravel(), "sample_id": i.ravel(),
                       "score": score.ravel()})
    kw = {"scale": "scale", "seed": "seed", "metrics": ["score"], "n_resamples": 400,
          "higher_is_better": True, "rng": 0}
    nested = quiet(compare_metrics, df, **kw).to_frame()
    seeds = quiet(compare_metrics, df, bootstrap="seeds", **kw).to_frame()
    q = "source == 'runs' and quantity == 'mean'"
    wn = (nested.query(q)["ci_high"] - nested.query(q)["ci_low"]).to_numpy()
    ws = (seeds.query(q)["ci_high"] - seeds.query(q)["ci_low"]).to_numpy()
    assert np.all(wn > 3 * ws)


# -------------------------------------------------------------- input shapes
def test_run_level_input_reduces_to_seed_bootstrap():
    df = smooth_skill(np.random.default_rng(3), n_seeds=6, n_samples=10)
    runs = df.groupby(["scale", "seed"])[METRICS].mean().reset_index()
    kw = {"scale": "scale", "seed": "seed", "metrics": METRICS, "n_resamples": 200}
    nested = quiet(compare_metrics, runs, sample=None, rng=5, **kw)
    seeds = quiet(compare_metrics, runs, bootstrap="seeds", rng=5, **kw)  # sample col absent
    assert nested.run_level and seeds.run_level
    assert any("identity" in n for n in nested.notes)
    pd.testing.assert_frame_equal(nested.to_frame(), seeds.to_frame())
    # Run-level input: kinds come from the names.
    assert nested.kinds == {"exact_match": "thresholded", "token_accuracy": "continuous"}


def test_one_run_per_scale():
    # seed=None: a scale series; no modality, no per-seed curves, and a note.
    df = smooth_skill(np.random.default_rng(4), n_seeds=1, n_samples=40).drop(columns="seed")
    res = quiet(compare_metrics, df, scale="scale", seed=None, metrics=METRICS,
                n_resamples=200, rng=0)
    assert np.all(res.n_seeds == 1)
    for m in METRICS:
        assert res.modality[m] is None and res.per_seed[m] is None
        assert res.verdicts[m].bimodal is None
        assert "not assessed (one run per scale)" in res.verdicts[m].text
    assert res.verdicts["exact_match"].jump is True
    assert any("seed=None" in n for n in res.notes)
    assert res.paired_examples  # every scale scored on the same 40 samples


def test_scales_with_few_seeds_are_not_assessed():
    df = learned_or_not(np.random.default_rng(5), n_scales=4, n_seeds=12, n_samples=10)
    df = df.loc[~((df["scale"] == 1) & (df["seed"] >= 3))]  # scale 1 keeps 3 seeds
    res = quiet(compare_metrics, df, scale="scale", seed="seed", metrics=["token_accuracy"],
                n_resamples=100, rng=0)
    assert 1.0 not in res.verdicts["token_accuracy"].assessed_scales
    assert res.modality["token_accuracy"].scales.tolist() == [2.0, 3.0, 4.0]
    assert any("not assessed at scales 1" in n for n in res.notes)
    bim = res.to_frame().query("quantity == 'bimodal'")
    assert bim["scale"].tolist() == [2.0, 3.0, 4.0]


def test_different_samples_per_scale_are_not_paired():
    df = smooth_skill(np.random.default_rng(6), n_scales=3, n_seeds=4, n_samples=6)
    df = df.loc[~((df["scale"] == 2) & (df["sample_id"] == 5))]
    res = quiet(compare_metrics, df, scale="scale", seed="seed", metrics=METRICS,
                n_resamples=50, rng=0)
    assert not res.paired_examples
    assert res.n_samples.tolist() == [6, 5, 6]


def test_boolean_metric_and_string_labels():
    df = smooth_skill(np.random.default_rng(7), n_scales=3, n_seeds=4, n_samples=5)
    df["exact_match"] = df["exact_match"].astype(bool)
    df["seed"] = "s" + df["seed"].astype(str)
    df["sample_id"] = "q" + df["sample_id"].astype(str)
    res = quiet(compare_metrics, df, scale="scale", seed="seed", metrics=["exact_match"],
                n_resamples=50, rng=0)
    assert res.kinds["exact_match"] == "thresholded"


def test_directions_thresholds_and_grid_options():
    df = smooth_skill(np.random.default_rng(8), n_scales=3, n_seeds=4, n_samples=5)
    df["my_score"] = df["token_accuracy"]
    df["my_flag"] = df["exact_match"]
    res = quiet(compare_metrics, df, scale="scale", seed="seed",
                metrics=["my_score", "my_flag"],
                higher_is_better=True, thresholds={"my_score": 0.7},
                tau_grid={"my_score": [0.9, 0.5]}, n_resamples=50, rng=0)
    # Unknown names: the kind comes from the per-sample values.
    assert res.kinds == {"my_score": "continuous", "my_flag": "thresholded"}
    assert res.thresholds["my_score"] == 0.7
    assert res.tau_grids["my_score"].tolist() == [0.5, 0.9]
    assert res.summaries["my_score"].threshold == 0.7
    from distscale.metrics.compare.comparison import _match

    assert _match("ipa_transliterate_2_bleu", tuple(distscale.metrics.DIRECTIONS)) \
        == "bleu"
    assert _match("edit_distance_normalized", tuple(distscale.metrics.DIRECTIONS)) \
        == "edit_distance"
    assert _match("mmlu_acc_norm", tuple(distscale.metrics.DIRECTIONS)) == "acc_norm"
    assert _match("my_score", tuple(distscale.metrics.DIRECTIONS)) is None


def test_two_scales_give_no_jump_verdict():
    df = smooth_skill(np.random.default_rng(11), n_scales=2, n_seeds=5, n_samples=6)
    res = quiet(compare_metrics, df, scale="scale", seed="seed", metrics=METRICS,
                n_resamples=50, rng=0)
    assert res.verdicts["exact_match"].jump is None
    assert np.isnan(res.verdicts["exact_match"].step_ratio)
    assert "not scored" in res.verdicts["exact_match"].text
    assert res.per_seed["exact_match"] is None


OBS = SHARED_DATA / "obsscaling" / "base_llm_emergent_capability_eval.csv"


@pytest.mark.skipif(not OBS.exists(), reason="shared ObsScaling data not available")
def test_real_scale_series_scores_match_emergence_scores():
    # ObsScaling, Pythia deduped 70M-12B: one model per size (run-level, seed=None).
    # Reference: emergence_scores on the same column, ordered by size.
    df = pd.read_csv(OBS)
    df = df[df["Model"].str.contains("pythia")].copy()
    df["size"] = df["Model"].str.extract(r"pythia-([0-9.]+[mb])")[0].map(
        distscale.io.parse_size)
    metrics = ["ipa_transliterate_2_exact_match", "ipa_transliterate_2_bleu",
               "arithmetic_2da_2_acc"]
    res = quiet(compare_metrics, df, scale="size", seed=None, sample=None, metrics=metrics,
                n_resamples=50, rng=0)
    assert res.run_level and len(res.scales) == 8
    for m in metrics[1:]:
        ref = distscale.emergence_scores(df["size"], df[m])
        assert res.verdicts[m].breakthroughness == pytest.approx(ref.breakthroughness)
        assert res.verdicts[m].linearity == pytest.approx(ref.linearity)
    em = res.verdicts["ipa_transliterate_2_exact_match"]
    assert em.improvement == 0 and em.jump is False  # exact match is 0 at every size
    assert res.verdicts["ipa_transliterate_2_bleu"].jump is True
    assert res.kinds["ipa_transliterate_2_bleu"] == "continuous"
    assert res.kinds["arithmetic_2da_2_acc"] == "thresholded"


# --------------------------------------------------------------- result object
def test_result_is_immutable_and_tidy(case_a):
    _, res = case_a
    assert isinstance(res, MetricComparison)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.bootstrap = "seeds"
    with pytest.raises(TypeError):
        res.verdicts["exact_match"] = None
    frame = res.to_frame()
    assert frame.columns.tolist() == [
        "metric", "source", "quantity", "scale", "tau", "estimate", "ci_low", "ci_high",
        "n_seeds"]
    assert set(frame["source"]) == {"runs", "summary_curves", "summary_emergence",
                                    "modality_scan", "per_seed"}
    frame.loc[0, "estimate"] = -1.0  # a copy
    assert res.to_frame().loc[0, "estimate"] != -1.0
    assert "exact_match: jump" in repr(res)
    assert res.verdict("token_accuracy") == res.verdicts["token_accuracy"].text
    with pytest.raises(ValueError, match="not one of"):
        res.verdict("bleu")


def test_same_rng_same_result_and_a_summarising_warning():
    df = learned_or_not(np.random.default_rng(9), n_scales=3, n_seeds=6, n_samples=5)
    kw = {"scale": "scale", "seed": "seed", "metrics": METRICS, "n_resamples": 60, "rng": 4}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r1 = compare_metrics(df, **kw)
    r2 = quiet(compare_metrics, df, **kw)
    pd.testing.assert_frame_equal(r1.to_frame(), r2.to_frame())
    degenerate = [w for w in caught if issubclass(w.category, DegenerateDataWarning)]
    assert len(degenerate) == 1 and "MetricComparison.notes" in str(degenerate[0].message)


# ------------------------------------------------------------------ bad input
def _small():
    return smooth_skill(np.random.default_rng(10), n_scales=3, n_seeds=3, n_samples=4)


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "match"),
    [
        (None, {"samples": [1, 2]}, TypeError, "DataFrame"),
        (lambda d: d.iloc[:0], {}, ValueError, "empty"),
        (None, {"scale": "size"}, ValueError, "`scale` column 'size' not found"),
        (None, {"seed": "run"}, ValueError, "`seed` column 'run' not found"),
        (None, {"metrics": ["bleu"]}, ValueError, "'bleu' not found"),
        (None, {"metrics": []}, ValueError, "at least one"),
        (None, {"metrics": ["exact_match", "exact_match"]}, ValueError, "more than once"),
        (None, {"metrics": 3}, TypeError, "list of column names"),
        (lambda d: d.assign(exact_match="x"), {}, TypeError, "must be numeric"),
        (lambda d: d.assign(exact_match=np.where(d.index == 5, np.nan, d["exact_match"])), {},
         ValueError, r"1 NaN or infinite values \(rows 5\)"),
        (lambda d: d.assign(scale=np.where(d.index == 2, np.inf, d["scale"])), {},
         ValueError, "`scale` column 'scale' has 1 NaN"),
        (lambda d: d.assign(seed=d["seed"].astype(object).where(d.index != 3, None)), {},
         ValueError, "`seed` column 'seed' has 1 missing"),
        (lambda d: pd.concat([d, d.iloc[[0]]]), {}, ValueError, "duplicate"),
        (lambda d: d.drop(index=d.index[(d["seed"] == 1) & (d["sample_id"] == 2)][:1]), {},
         ValueError, "seed 1 lacks 1"),
        (lambda d: d.drop(columns="sample_id"), {}, ValueError, "repeat a \\(scale, seed\\)"),
        (None, {"thresholds": "high"}, TypeError, "`thresholds` must be a real number"),
        (None, {"thresholds": {"exact_match": np.nan}}, ValueError, "must be finite"),
        (None, {"thresholds": {"bleu": 0.5}}, ValueError, "not in `metrics`"),
        (None, {"higher_is_better": {"exact_match": "yes"}}, TypeError, "True or False"),
        (lambda d: d.assign(score=d["exact_match"]), {"metrics": ["score"]}, ValueError,
         "direction of metric 'score' is unknown"),
        (None, {"tau_grid": [0.5, np.nan]}, ValueError, "finite"),
        (None, {"tau_grid": "0.5"}, TypeError, "1-D sequence"),
        (None, {"tau_grid": [True]}, TypeError, "booleans"),
        (None, {"bootstrap": "examples"}, ValueError, "`bootstrap`"),
        (None, {"jump_ratio": 0.5}, ValueError, "at least 1"),
        (None, {"modality_options": {"metric": "x"}}, ValueError, "cannot set"),
        (None, {"modality_options": 3}, TypeError, "mapping"),
        (None, {"n_resamples": 1}, ValueError, "n_resamples"),
        (None, {"sample": "scale"}, ValueError, "distinct columns"),
    ],
)
def test_bad_input(change, kwargs, error, match):
    df = _small()
    if change is not None:
        df = change(df)
    args = {"samples": df, "scale": "scale", "seed": "seed", "metrics": METRICS,
            "n_resamples": 20, "rng": 0}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        quiet(compare_metrics, args.pop("samples"), **args)
