"""Tests of distscale.metrics (per-sample metrics).

Reference values come from outside the module under test:

* naive twins written here: the textbook Wagner & Fischer (1974, "The
  string-to-string correction problem", JACM 21(1)) full-matrix dynamic
  programme for the Levenshtein distance, and a position-by-position loop for
  token accuracy, run on >= 1,000 random ragged pairs;
* hand-computed cases (kitten -> sitting = 3 edits, the classic example);
* scipy.special.softmax for option probabilities, scikit-learn's
  brier_score_loss for the Brier score (binary: sklearn halves the sum);
* lm-evaluation-harness's documented acc / acc_norm rule (argmax of the
  log-likelihoods, divided by the option's character length for acc_norm),
  applied by hand to small cases;
* the trainer's own metric table (distscale.train.evaluate), for score_samples.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax
from sklearn.metrics import brier_score_loss

import distscale as ds
from distscale.metrics import (
    brier_score,
    choice_accuracy,
    choice_accuracy_normalized,
    choice_probability,
    edit_distance,
    exact_match,
    score_samples,
    target_logprob,
    target_nll,
    token_accuracy,
)


# ------------------------------------------------------------------ naive twins
def wagner_fischer(a, b) -> int:
    """Levenshtein distance by the full (len(a)+1) x (len(b)+1) table (Wagner & Fischer 1974)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            substitution = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + substitution)
    return d[len(a)][len(b)]


def naive_token_accuracy(pred, target) -> float:
    """Loop over target positions; a position past the prediction's end is wrong."""
    if len(target) == 0:
        return float(len(pred) == 0)
    hits = sum(1 for i in range(len(target)) if i < len(pred) and pred[i] == target[i])
    return hits / len(target)


def random_pairs(n=1500, seed=0):
    """Ragged pairs over a small alphabet (so matches and near-matches are common)."""
    rng = np.random.default_rng(seed)
    preds, targets = [], []
    for _ in range(n):
        target = rng.integers(0, 3, rng.integers(0, 11)).tolist()
        if rng.random() < 0.3:  # a perturbed copy of the target
            pred = list(target)
            for _ in range(rng.integers(0, 3)):
                op, pos = rng.integers(0, 3), int(rng.integers(0, len(pred) + 1))
                if op == 0:
                    pred.insert(pos, int(rng.integers(0, 3)))
                elif pred and op == 1:
                    del pred[min(pos, len(pred) - 1)]
                elif pred:
                    pred[min(pos, len(pred) - 1)] = int(rng.integers(0, 3))
        else:
            pred = rng.integers(0, 3, rng.integers(0, 13)).tolist()
        preds.append(pred)
        targets.append(target)
    return preds, targets


def test_token_metrics_match_naive_twins_on_random_ragged_pairs():
    preds, targets = random_pairs()
    raw = edit_distance(preds, targets)
    norm = edit_distance(preds, targets, normalize=True)
    acc = token_accuracy(preds, targets)
    exact = exact_match(preds, targets)
    pairs = list(zip(preds, targets, strict=True))
    ref_raw = np.array([wagner_fischer(p, t) for p, t in pairs], dtype=float)
    ref_norm = np.array(
        [d / len(t) if t else float(len(p) > 0) for d, (p, t) in zip(ref_raw, pairs, strict=True)]
    )
    np.testing.assert_array_equal(raw, ref_raw)
    np.testing.assert_allclose(norm, ref_norm, rtol=1e-15)
    np.testing.assert_allclose(acc, [naive_token_accuracy(p, t) for p, t in pairs], rtol=1e-15)
    np.testing.assert_array_equal(exact, [float(p == t) for p, t in pairs])
    # the draw covers the interesting cases
    assert (raw == 0).sum() > 50 and (exact == 1).sum() > 50
    assert any(len(t) == 0 for t in targets) and any(len(p) > len(t) for p, t in pairs)
    for values in (raw, norm, acc, exact):
        assert values.dtype == np.float64 and values.shape == (1500,)


def _object_array(items):
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def test_twins_agree_on_other_token_types_and_containers():
    preds, targets = random_pairs(n=300, seed=1)
    words = np.array(["a", "bb", ("c", 1)], dtype=object)
    w_preds = [[words[i] for i in p] for p in preds]  # str and tuple tokens
    w_targets = pd.Series([_object_array([words[i] for i in t]) for t in targets])
    ref = [wagner_fischer(p, t) for p, t in zip(preds, targets, strict=True)]
    np.testing.assert_array_equal(edit_distance(w_preds, w_targets), ref)
    np.testing.assert_allclose(
        token_accuracy(tuple(map(tuple, w_preds)), w_targets),
        [naive_token_accuracy(p, t) for p, t in zip(preds, targets, strict=True)],
    )
    s_preds = ["".join("xyz"[i] for i in p) for p in preds]  # strings: character tokens
    s_targets = ["".join("xyz"[i] for i in t) for t in targets]
    np.testing.assert_array_equal(edit_distance(s_preds, s_targets), ref)


def test_hand_computed_edit_distances():
    # kitten -> sitting: k->s, e->i, insert g (the textbook example)
    assert edit_distance(["kitten"], ["sitting"]).tolist() == [3.0]
    assert edit_distance(["flaw", "", "abc", "abc"], ["lawn", "abc", "", "abc"]).tolist() == [
        2.0, 3.0, 3.0, 0.0]
    words = "the cat sat on the mat".split()
    assert edit_distance([words], ["the cat sat on mat".split()]).tolist() == [1.0]
    assert edit_distance([words], ["the cat sat on mat".split()], normalize=True).tolist() == [
        0.2]
    # a prediction longer than the target: normalised distance above 1
    assert edit_distance([[1, 2, 3, 4]], [[1]], normalize=True).tolist() == [3.0]
    # empty target: normalised score falls back to 1 - exact match
    assert edit_distance([[], [5]], [[], []], normalize=True).tolist() == [0.0, 1.0]
    assert edit_distance([[], [5, 6]], [[], []]).tolist() == [0.0, 2.0]


def test_numpy_scalars_and_negative_tokens_are_compared_by_value():
    # rapidfuzz hashes non-int objects and hash(-1) == hash(-2) in CPython: the
    # integer coding must keep these tokens distinct (distance 1, not 0)
    a, b = np.array([-1, 5]), np.array([-2, 5])
    assert edit_distance([a, [-1.0]], [b, [-2.0]]).tolist() == [1.0, 1.0]
    assert token_accuracy([a], [b]).tolist() == [0.5]
    # tokens are compared with ==, so 1, 1.0 and np.int64(1) are one token
    assert exact_match([[1, 2]], [np.array([1.0, 2.0])]).tolist() == [1.0]


def test_token_accuracy_rules_by_hand():
    got = token_accuracy(
        [[1, 2, 3, 9, 9], [1, 2], [2, 3, 4], [], [], [7]],
        [[1, 2, 3], [1, 2, 3, 4], [1, 2, 3], [1, 2], [], []],
    )
    # extra tokens ignored; missing positions wrong; no realignment after a
    # deletion; empty prediction; empty target: exact match
    assert got.tolist() == [1.0, 0.5, 0.0, 0.0, 1.0, 0.0]
    assert exact_match([[1, 2, 3, 9], [], "ab"], [[1, 2, 3], [], "ab"]).tolist() == [0.0, 1.0, 1.0]


def test_inputs_may_be_series_object_arrays_and_2d_arrays():
    pred = np.array([[1, 2, 3], [1, 1, 1]])
    target = pd.Series([[1, 2, 3], [1, 2, 3]])
    obj = np.empty(2, dtype=object)
    obj[:] = [[1, 2, 3], [1, 2, 3]]
    for t in (target, obj, target.tolist(), tuple(target)):
        assert token_accuracy(pred, t).tolist() == [1.0, 1 / 3]
        assert edit_distance(pred, t).tolist() == [0.0, 2.0]
    assert exact_match([], []).shape == (0,)
    assert edit_distance([], [], normalize=True).dtype == np.float64


# -------------------------------------------------------------------- likelihoods
def test_logprob_and_nll_by_hand():
    lp = [[math.log(0.5), math.log(0.25)], [math.log(0.1)], np.array([-1.0, -2.0, -3.0])]
    np.testing.assert_allclose(target_logprob(lp), [math.log(0.125), math.log(0.1), -6.0])
    np.testing.assert_allclose(target_nll(lp), [-math.log(0.125) / 2, -math.log(0.1), 2.0])
    assert target_logprob([[]]).tolist() == [0.0]  # empty target: probability 1
    rect = np.log(np.array([[0.5, 0.5], [1.0, 0.25]]))
    np.testing.assert_allclose(target_nll(rect), [math.log(2), math.log(4) / 2])
    # rounding slack: tiny positive values pass
    assert target_logprob([[1e-12, -1.0]]).tolist() == [pytest.approx(-1.0)]


# ---------------------------------------------------------------- multiple choice
def test_choice_accuracy_and_ties_by_hand():
    lls = [[-1.0, -2.0, -3.0], [-4.0, -0.5], [-1.0, -1.0], [-1.0, -1.0], [-0.1]]
    # ties go to the first maximal option (numpy.argmax, as lm-eval)
    assert choice_accuracy(lls, [0, 0, 0, 1, 0]).tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert choice_accuracy(np.array([[-3.0, -1.0], [-1.0, -3.0]]), np.array([1, 1])).tolist() == [
        1.0, 0.0]


def test_choice_accuracy_normalized_follows_lm_eval_acc_norm():
    # lm-eval: pred_norm = argmax(lls / len(choice string)); hand-computed per case
    choices = [[" Paris", " the city of Lyon"], ["yes", "no"]]
    lengths = [[len(c) for c in row] for row in choices]  # [[6, 17], [3, 2]]
    lls = [[-12.0, -17.0], [-3.0, -2.5]]
    # row 0: -2.0 vs -1.0 -> option 1 (raw argmax picks option 0)
    # row 1: -1.0 vs -1.25 -> option 0 (raw argmax picks option 1)
    assert choice_accuracy_normalized(lls, lengths, [1, 0]).tolist() == [1.0, 1.0]
    assert choice_accuracy(lls, [1, 0]).tolist() == [0.0, 0.0]
    # ties after normalisation: the first option wins
    assert choice_accuracy_normalized([[-2.0, -4.0]], [[1, 2]], [1]).tolist() == [0.0]


def test_choice_probability_matches_scipy_softmax_on_ragged_options():
    rng = np.random.default_rng(3)
    lls = [rng.normal(-5, 3, rng.integers(1, 7)) for _ in range(400)]
    correct = np.array([rng.integers(0, len(x)) for x in lls])
    got = choice_probability(lls, correct)
    ref = [softmax(x)[c] for x, c in zip(lls, correct, strict=True)]
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    # extreme values stay finite (stable softmax)
    np.testing.assert_allclose(choice_probability([[-1e4, -1e4 - math.log(3)]], [0]), [0.75])


def test_brier_score_against_sklearn():
    rng = np.random.default_rng(4)
    # binary: sklearn reports mean (p_positive - y)^2, half of the two-option sum
    lls = rng.normal(-2, 2, (300, 2))
    correct = rng.integers(0, 2, 300)
    p1 = softmax(lls, axis=1)[:, 1]
    ours = brier_score(lls, correct)
    assert ours.mean() == pytest.approx(2 * brier_score_loss(correct, p1), rel=1e-12)
    assert ours.mean() == pytest.approx(
        brier_score_loss(correct, softmax(lls, axis=1), labels=[0, 1], scale_by_half=False),
        rel=1e-12,
    )
    # multiclass: sklearn's default (no halving) is our mean
    lls = rng.normal(-2, 2, (300, 4))
    correct = rng.integers(0, 4, 300)
    ref = brier_score_loss(correct, softmax(lls, axis=1), labels=[0, 1, 2, 3])
    assert brier_score(lls, correct).mean() == pytest.approx(ref, rel=1e-12)
    # by hand: p = (0.5, 0.25, 0.25), correct 0 -> 0.25 + 0.0625 + 0.0625
    lls = [[math.log(0.5), math.log(0.25), math.log(0.25)]]
    assert brier_score(lls, [0]).tolist() == [pytest.approx(0.375)]


# --------------------------------------------------------------------- tables
def trainer_format_frame():
    return pd.DataFrame(
        {
            "seed": [0, 0, 1, 1],
            "test_length": [3, 3, 3, 3],
            "sample_id": [0, 1, 0, 1],
            "prediction": [[4, 5, 6, 0], [7, 8, 0], [4, 5, 6, 0], [0]],
            "target": [[4, 5, 6, 0], [7, 8, 9, 0], [4, 5, 6, 0], [7, 8, 9, 0]],
            "target_logprobs": [[-0.1] * 4, [-0.2, -0.2, -3.0, -0.6], [-0.5] * 4,
                                [-2.0, -2.0, -2.0, -2.0]],
        },
        index=[10, 11, 12, 13],
    )


def test_score_samples_on_a_trainer_format_frame_by_hand():
    frame = trainer_format_frame()
    before = frame.copy()
    scored = ds.score_samples(frame)
    pd.testing.assert_frame_equal(frame, before)  # the input is untouched
    assert list(scored.columns) == [*frame.columns, "exact_match", "token_accuracy",
                                    "edit_distance", "nll"]
    assert scored.index.tolist() == [10, 11, 12, 13]
    assert scored["exact_match"].tolist() == [1.0, 0.0, 1.0, 0.0]
    # row 11: 7 8 match, position 2 holds <eos> (0) vs 9, position 3 missing
    assert scored["token_accuracy"].tolist() == [1.0, 0.5, 1.0, 0.0]
    assert scored["edit_distance"].tolist() == [0.0, 0.25, 0.0, 0.75]
    np.testing.assert_allclose(scored["nll"], [0.1, 1.0, 0.5, 2.0])
    assert "nll" not in score_samples(frame.drop(columns="target_logprobs")).columns
    assert "nll" not in score_samples(frame, logprobs=None).columns
    renamed = frame.rename(columns={"prediction": "p", "target": "t", "target_logprobs": "lp"})
    pd.testing.assert_frame_equal(
        score_samples(renamed, prediction="p", target="t", logprobs="lp").iloc[:, 6:],
        scored.iloc[:, 6:],
    )
    strings = pd.DataFrame({"prediction": ["kitten"], "target": ["sitting"]})
    assert score_samples(strings)["edit_distance"].tolist() == [3 / 7]


def test_score_samples_reproduces_the_trainers_metric_table():
    torch = pytest.importorskip("torch")
    from distscale.train import CountTask, EnsembleTransformer, ModelConfig, evaluate_ensemble

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        task = CountTask(train_lengths=(1, 2), test_lengths=(3, 5), n_numbers=8)
        model = EnsembleTransformer(ModelConfig(depth=1, width=16, heads=2),
                                    vocab_size=task.vocab_size, seeds=[0, 1, 2])
        table, samples = evaluate_ensemble(model, task, task.test_lengths, n_samples=32,
                                           samples=True)
    finally:
        torch.set_num_threads(threads)
    scored = score_samples(samples)
    cols = ["exact_match", "token_accuracy", "edit_distance", "nll"]
    means = scored.groupby(["seed", "test_length"])[cols].mean().reset_index()
    merged = table.merge(means, on=["seed", "test_length"], suffixes=("", "_scored"))
    assert len(merged) == 6
    assert merged["edit_distance"].std() > 0  # an untrained model makes varied errors
    for col in cols:
        np.testing.assert_allclose(merged[col + "_scored"], merged[col], rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ bad input
TOKEN_FUNCTIONS = [exact_match, token_accuracy, edit_distance]


@pytest.mark.parametrize("func", TOKEN_FUNCTIONS)
@pytest.mark.parametrize(
    ("predictions", "targets", "error", "match"),
    [
        ([[1], [2]], [[1]], ValueError, r"equal lengths\); got 2 and 1"),
        ("abc", ["abc"], TypeError, "single str"),
        ([[1]], {1: 2}, TypeError, "`targets` must be a list"),
        ([5], [[5]], TypeError, r"`predictions`\[0\] must be a sequence of tokens"),
        ([[1]], [None], ValueError, r"`targets`\[0\] is missing"),
        ([[1]], [float("nan")], ValueError, r"`targets`\[0\] is missing"),
        ([[1, float("nan")]], [[1]], ValueError, "missing token"),
        ([[1, None]], [[1]], ValueError, "missing token"),
        ([[[1], [2]]], [[1]], TypeError, "unhashable"),
        ([np.zeros((2, 2))], [[1]], ValueError, "1-dimensional"),
        (np.zeros((2, 2, 2)), [[1], [1]], ValueError, "shape"),
    ],
)
def test_token_metric_errors(func, predictions, targets, error, match):
    with pytest.raises(error, match=match):
        func(predictions, targets)


def test_edit_distance_normalize_must_be_bool():
    with pytest.raises(TypeError, match="`normalize`"):
        edit_distance([[1]], [[1]], normalize="yes")


@pytest.mark.parametrize("func", [target_logprob, target_nll])
@pytest.mark.parametrize(
    ("values", "error", "match"),
    [
        ([[-1.0, 0.5]], ValueError, "positive log-probability"),
        ([[-1.0, np.nan]], ValueError, "non-finite"),
        ([[-np.inf]], ValueError, "non-finite"),
        ([None], ValueError, "missing"),
        (["abc"], TypeError, "must be a list, tuple or 1-D array"),
        ([["a"]], TypeError, "only numbers"),
        ([[[-1.0]]], ValueError, "1-dimensional"),
        (np.zeros(3), ValueError, "2-dimensional"),
        (-1.0, TypeError, "must be a list"),
    ],
)
def test_logprob_errors(func, values, error, match):
    with pytest.raises(error, match=match):
        func(values)


def test_nll_of_an_empty_target_is_an_error():
    with pytest.raises(ValueError, match=r"`token_logprobs`\[1\] is empty"):
        target_nll([[-1.0], []])


CHOICE_FUNCTIONS = [
    choice_accuracy,
    choice_probability,
    brier_score,
    lambda lls, correct: choice_accuracy_normalized(
        lls,
        [np.ones(np.size(r)).tolist() for r in lls] if isinstance(lls, list) else np.ones(3),
        correct,
    ),
]


@pytest.mark.parametrize("func", CHOICE_FUNCTIONS)
@pytest.mark.parametrize(
    ("lls", "correct", "error", "match"),
    [
        ([[-1.0, -2.0]], [2], ValueError, "sample 0 has correct=2 with 2 options"),
        ([[-1.0, -2.0], [-1.0]], [0, 1], ValueError, "sample 1 has correct=1 with 1 options"),
        ([[-1.0, -2.0]], [-1], ValueError, "0 <= correct"),
        ([[-1.0, -2.0]], [0.0], TypeError, "integer option indices"),
        ([[-1.0, -2.0]], [True], TypeError, "integer option indices"),
        ([[-1.0, -2.0]], 0, ValueError, "`correct` must be 1-dimensional"),
        ([[-1.0, -2.0]], [0, 1], ValueError, "equal lengths"),
        ([[-1.0, np.nan]], [0], ValueError, "non-finite"),
        ([[-1.0, np.inf]], [0], ValueError, "non-finite"),
        ([[]], [0], ValueError, "no options"),
        ([-1.0, -2.0], [0, 0], TypeError, r"`option_logliks`\[0\] must be a list"),
        ([["a", "b"]], [0], TypeError, "only numbers"),
        (np.zeros(3), [0, 0, 0], ValueError, "2-dimensional"),
    ],
)
def test_choice_errors(func, lls, correct, error, match):
    with pytest.raises(error, match=match):
        func(lls, correct)


def test_option_length_errors():
    with pytest.raises(ValueError, match="option lengths must be positive"):
        choice_accuracy_normalized([[-1.0, -2.0]], [[3, 0]], [0])
    with pytest.raises(ValueError, match="sample 0 has 1 lengths for 2 options"):
        choice_accuracy_normalized([[-1.0, -2.0]], [[3]], [0])
    with pytest.raises(ValueError, match="`option_lengths` and `option_logliks`"):
        choice_accuracy_normalized([[-1.0, -2.0]], [[3, 3], [1, 1]], [0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"prediction": "pred"}, ValueError, "no column 'pred'"),
        ({"logprobs": "lp"}, ValueError, "no column 'lp'"),
        ({"target": 3}, TypeError, "`target` must be a column name"),
    ],
)
def test_score_samples_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        score_samples(trainer_format_frame(), **kwargs)


def test_score_samples_data_errors():
    with pytest.raises(TypeError, match="`samples` must be a pandas DataFrame"):
        score_samples({"prediction": [[1]], "target": [[1]]})
    frame = trainer_format_frame()
    with pytest.raises(ValueError, match="already has column 'exact_match'"):
        score_samples(frame.assign(exact_match=1.0))
    frame.loc[11, "prediction"] = None
    with pytest.raises(ValueError, match=r"column 'prediction'\[1\] is missing"):
        score_samples(frame)
    text = pd.DataFrame({"prediction": ["a", None], "target": ["a", "b"]})  # pandas str dtype
    with pytest.raises(ValueError, match="is missing"):
        score_samples(text)
    bad = trainer_format_frame()
    bad.loc[12, "target_logprobs"] = [0.0, 0.0, 0.0, 0.3]
    with pytest.raises(ValueError, match=r"column 'target_logprobs'\[2\] has a positive"):
        score_samples(bad)
