"""Per-sample metrics: thresholded and continuous scores of model outputs.

Every function scores ``n`` samples at once and returns a float64 array of
length ``n`` (one value per sample); aggregate it yourself (usually the mean
over a run's samples) to get a run-level population value.

Generated answers (token sequences)
    :func:`exact_match`, :func:`token_accuracy`, :func:`edit_distance`.
    A prediction or target is a sequence of hashable tokens: a list, a tuple
    or a 1-D numpy array. A ``str`` counts as a sequence of *characters*;
    split text into words yourself (``text.split()``) for word-level scores.
    Tokens are compared with Python ``==`` (so ``1``, ``1.0`` and
    ``np.int64(1)`` are the same token); missing tokens (``None``, NaN,
    ``pd.NA``) are rejected.
Likelihood of the reference
    :func:`target_logprob`, :func:`target_nll` from per-token
    log-probabilities (natural log) of the target tokens.
Multiple choice from option log-likelihoods
    :func:`choice_accuracy`, :func:`choice_accuracy_normalized`,
    :func:`choice_probability`, :func:`brier_score`.
Tidy tables
    :func:`score_samples` adds the token metrics and the NLL to a per-sample
    DataFrame such as the trainer's ``samples`` output.

The definitions of ``token_accuracy`` and the normalised ``edit_distance``
are the ones the trainer (:mod:`distscale.train.evaluate`) uses, and the
trainer computes its edit distance with this module's code.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "brier_score",
    "choice_accuracy",
    "choice_accuracy_normalized",
    "choice_probability",
    "edit_distance",
    "exact_match",
    "score_samples",
    "target_logprob",
    "target_nll",
    "token_accuracy",
]

#: Largest log-probability accepted as "not positive" (rounding slack).
_LOGPROB_TOLERANCE = 1e-9


# --------------------------------------------------------------------------- input checks
def _is_missing(x: object) -> bool:
    """None, pd.NA or a float NaN (a missing value, not a sequence or token)."""
    if x is None or x is pd.NA:
        return True
    return isinstance(x, (float, np.floating)) and math.isnan(x)


def _outer(values: object, name: str) -> list:
    """The items of a sequence of samples (list, tuple, Series or array)."""
    if isinstance(values, (str, bytes)):
        raise TypeError(
            f"{name} must be a sequence of samples (list, tuple, pandas Series or numpy "
            f"array), not a single {type(values).__name__}; wrap one sample in a list"
        )
    if isinstance(values, pd.Series):
        return values.tolist()
    if isinstance(values, np.ndarray):
        if values.ndim == 0 or values.ndim > 2:
            raise ValueError(
                f"{name} must be 1-dimensional (one item per sample) or 2-dimensional "
                f"(one row per sample); got shape {values.shape}"
            )
        return list(values)
    if isinstance(values, (list, tuple)):
        return list(values)
    raise TypeError(
        f"{name} must be a list, tuple, pandas Series or numpy array of samples; "
        f"got {type(values).__name__}"
    )


def _check_same_length(n_a: int, n_b: int, name_a: str, name_b: str) -> None:
    if n_a != n_b:
        raise ValueError(
            f"{name_a} and {name_b} must have one entry per sample (equal lengths); "
            f"got {n_a} and {n_b}"
        )


def _as_tokens(item: object, name: str, i: int) -> Sequence:
    """One prediction or target as an iterable of tokens."""
    if isinstance(item, (str, list, tuple)):
        return item
    if isinstance(item, np.ndarray):
        if item.ndim != 1:
            raise ValueError(
                f"{name}[{i}] must be a 1-dimensional sequence of tokens; got shape {item.shape}"
            )
        return item.tolist()
    if _is_missing(item):
        raise ValueError(f"{name}[{i}] is missing ({item!r}); every sample needs a sequence")
    raise TypeError(
        f"{name}[{i}] must be a sequence of tokens (str, list, tuple or 1-D numpy array); "
        f"got {type(item).__name__}"
    )


def _new_code(vocab: dict, token: object, name: str, i: int) -> int:
    try:
        code = vocab.get(token)
    except TypeError:
        raise TypeError(
            f"{name}[{i}] contains an unhashable token of type {type(token).__name__}; "
            "tokens must be hashable (str, int, tuple, ...)"
        ) from None
    if code is None:
        if _is_missing(token):
            raise ValueError(
                f"{name}[{i}] contains a missing token ({token!r}); tokens must equal "
                "themselves (no None, NaN or pd.NA)"
            )
        code = vocab[token] = len(vocab)
    return code


class _Coded:
    """Predictions and targets as integer codes from one shared vocabulary."""

    def __init__(self, predictions: object, targets: object, names: tuple[str, str]):
        p_items, t_items = _outer(predictions, names[0]), _outer(targets, names[1])
        _check_same_length(len(p_items), len(t_items), names[0], names[1])
        vocab: dict[Hashable, int] = {}
        self.pred = self._encode(p_items, names[0], vocab)
        self.target = self._encode(t_items, names[1], vocab)
        self.pred_len = np.fromiter(map(len, self.pred), np.int64, len(self.pred))
        self.target_len = np.fromiter(map(len, self.target), np.int64, len(self.target))

    @staticmethod
    def _encode(items: list, name: str, vocab: dict) -> list[list[int]]:
        out = []
        for i, item in enumerate(items):
            seq = _as_tokens(item, name, i)
            try:
                codes = [vocab[t] for t in seq]
            except (KeyError, TypeError):
                codes = [_new_code(vocab, t, name, i) for t in seq]
            out.append(codes)
        return out

    def n_matching_positions(self) -> np.ndarray:
        """Per sample: target positions i with prediction[i] == target[i]."""
        n = len(self.target)
        p_flat = np.fromiter((c for s in self.pred for c in s), np.int64, int(self.pred_len.sum()))
        t_flat = np.fromiter(
            (c for s in self.target for c in s), np.int64, int(self.target_len.sum())
        )
        if n == 0 or t_flat.size == 0 or p_flat.size == 0:
            return np.zeros(n, dtype=np.int64)
        p_start = np.cumsum(self.pred_len) - self.pred_len
        t_start = np.cumsum(self.target_len) - self.target_len
        row = np.repeat(np.arange(n), self.target_len)
        pos = np.arange(t_flat.size) - t_start[row]
        inside = pos < self.pred_len[row]
        pred_at = p_flat[np.where(inside, p_start[row] + pos, 0)]
        hit = inside & (pred_at == t_flat)
        return np.bincount(row[hit], minlength=n)

    def exact(self) -> np.ndarray:
        return np.fromiter(
            (p == t for p, t in zip(self.pred, self.target, strict=True)), bool, len(self.pred)
        )


def _levenshtein_rows(pred_rows: list, target_rows: list) -> np.ndarray:
    """Levenshtein distances of aligned rows of non-negative integer codes.

    The one edit-distance engine of distscale (:func:`edit_distance` and the
    trainer both call it). Rows must hold plain Python ints: rapidfuzz hashes
    other objects (numpy scalars, floats), and ``hash(-1) == hash(-2)``.
    """
    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError as err:  # pragma: no cover - rapidfuzz is a core dependency
        raise ImportError(
            "distscale's edit distance needs rapidfuzz: pip install 'rapidfuzz>=3'"
        ) from err
    distance = Levenshtein.distance
    return np.fromiter(
        (distance(p, t) for p, t in zip(pred_rows, target_rows, strict=True)),
        np.int64,
        len(pred_rows),
    )


def _padded_levenshtein(pred: np.ndarray, pred_len: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Levenshtein distance of ``pred[i, :pred_len[i]]`` to the whole row ``target[i]``.

    For padded integer token arrays (the trainer's greedy outputs); int64 result.
    """
    rows = [row[:k] for row, k in zip(pred.tolist(), pred_len.tolist(), strict=True)]
    return _levenshtein_rows(rows, target.tolist())


def _logprob_rows(token_logprobs: object, name: str) -> tuple[np.ndarray, np.ndarray, list]:
    """Check per-token log-probabilities; return per-sample sums, lengths and arrays."""
    if isinstance(token_logprobs, np.ndarray) and token_logprobs.dtype.kind in "iuf":
        if token_logprobs.ndim != 2:
            raise ValueError(
                f"{name} as a numeric array must be 2-dimensional (samples x tokens); "
                f"got shape {token_logprobs.shape}"
            )
        arrays = list(token_logprobs.astype(np.float64))
    else:
        arrays = []
        for i, item in enumerate(_outer(token_logprobs, name)):
            if _is_missing(item):
                raise ValueError(f"{name}[{i}] is missing ({item!r}); every sample needs values")
            if not isinstance(item, (list, tuple, np.ndarray)):
                raise TypeError(
                    f"{name}[{i}] must be a list, tuple or 1-D array of per-token "
                    f"log-probabilities; got {type(item).__name__}"
                )
            try:
                arr = np.asarray(item, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{name}[{i}] must contain only numbers") from None
            if arr.ndim != 1:
                raise ValueError(
                    f"{name}[{i}] must be 1-dimensional (one value per token); got shape "
                    f"{arr.shape}"
                )
            arrays.append(arr)
    lengths = np.fromiter(map(len, arrays), np.int64, len(arrays))
    for i, arr in enumerate(arrays):
        if not np.isfinite(arr).all():
            raise ValueError(
                f"{name}[{i}] has non-finite log-probabilities (NaN or inf); every token's "
                "log-probability must be a finite number <= 0"
            )
        if arr.size and arr.max() > _LOGPROB_TOLERANCE:
            raise ValueError(
                f"{name}[{i}] has a positive log-probability ({arr.max()!r}); log-probabilities "
                "must be <= 0 (did you pass probabilities or negative log-probabilities?)"
            )
    n = len(arrays)
    if n and (lengths == lengths[0]).all():
        totals = np.stack(arrays).sum(axis=1)  # the same reduction as numpy's row mean
    else:
        flat = np.concatenate(arrays) if n else np.empty(0)
        totals = np.bincount(np.repeat(np.arange(n), lengths), weights=flat, minlength=n)
    return totals.astype(np.float64), lengths, arrays


def _option_matrix(values: object, name: str, *, positive: bool = False):
    """Options per sample as a padded (n, k_max) float matrix, its mask and k per sample."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        if values.ndim != 2:
            raise ValueError(
                f"{name} must be 2-dimensional (samples x options) or a list of lists; "
                f"got shape {values.shape}"
            )
        rows = list(values.astype(np.float64))
    else:
        rows = []
        for i, item in enumerate(_outer(values, name)):
            if not isinstance(item, (list, tuple, np.ndarray)):
                raise TypeError(
                    f"{name}[{i}] must be a list, tuple or 1-D array with one value per "
                    f"option; got {type(item).__name__}"
                )
            try:
                arr = np.asarray(item, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{name}[{i}] must contain only numbers") from None
            if arr.ndim != 1:
                raise ValueError(f"{name}[{i}] must be 1-dimensional; got shape {arr.shape}")
            rows.append(arr)
    k = np.fromiter(map(len, rows), np.int64, len(rows))
    if (k == 0).any():
        raise ValueError(f"{name}[{int(np.argmax(k == 0))}] has no options; each sample needs >= 1")
    width = int(k.max()) if k.size else 0
    mask = np.arange(width) < k[:, None]
    mat = np.zeros((len(rows), width))
    mat[mask] = np.concatenate(rows) if rows else np.empty(0)
    bad = mask & ~np.isfinite(mat)
    if bad.any():
        raise ValueError(
            f"{name}[{int(np.argmax(bad.any(axis=1)))}] has a non-finite value (NaN or inf); "
            "option values must be finite"
        )
    if positive and (mask & (mat <= 0)).any():
        raise ValueError(
            f"{name}[{int(np.argmax((mask & (mat <= 0)).any(axis=1)))}] has a length <= 0; "
            "option lengths must be positive"
        )
    return mat, mask, k


def _check_correct(correct: object, k: np.ndarray, name: str = "`correct`") -> np.ndarray:
    """Index of the correct option per sample, within 0 .. k_i - 1."""
    if isinstance(correct, (str, bytes)) or np.ndim(correct) != 1:
        raise ValueError(f"{name} must be 1-dimensional (one option index per sample)")
    arr = np.asarray(correct)
    _check_same_length(arr.size, k.size, name, "`option_logliks`")
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integer option indices (0-based); got dtype {arr.dtype}"
        )
    arr = arr.astype(np.int64)
    bad = (arr < 0) | (arr >= k)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name} must index an offered option (0 <= correct < number of options); "
            f"sample {i} has correct={arr[i]} with {k[i]} options"
        )
    return arr


def _softmax(mat: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row-wise softmax over the offered options (padding gets probability 0)."""
    if mat.size == 0:
        return mat.copy()
    shifted = np.where(mask, mat, -np.inf)
    shifted = shifted - shifted.max(axis=1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=1, keepdims=True)


def _first_argmax(mat: np.ndarray, mask: np.ndarray) -> np.ndarray:
    if mat.size == 0:
        return np.zeros(mat.shape[0], dtype=np.int64)
    return np.where(mask, mat, -np.inf).argmax(axis=1)


# --------------------------------------------------------------------------- token metrics
def exact_match(predictions: object, targets: object) -> np.ndarray:
    """Whether each prediction equals its target exactly.

    ``exact_match[s] = 1.0`` when prediction ``s`` and target ``s`` have the
    same length and the same token at every position, else ``0.0``.

    Parameters
    ----------
    predictions, targets : sequence of token sequences
        ``n`` predictions and ``n`` targets (list, tuple, pandas Series or
        numpy array). Each one is a list, tuple or 1-D array of hashable
        tokens, or a ``str`` (a sequence of characters).

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n,)``, values 0.0 or 1.0.

    Examples
    --------
    >>> from distscale.metrics import exact_match
    >>> exact_match([[1, 2, 3], [1, 2], "cat"], [[1, 2, 3], [1, 2, 3], "cab"]).tolist()
    [1.0, 0.0, 0.0]
    """
    return _Coded(predictions, targets, ("`predictions`", "`targets`")).exact().astype(np.float64)


def token_accuracy(predictions: object, targets: object) -> np.ndarray:
    """Fraction of target positions where the prediction has the target's token.

    For target ``t`` (length ``m > 0``) and prediction ``p`` (length ``l``)::

        token_accuracy = #{i < m : i < l and p[i] == t[i]} / m

    Positions compared are those of the target: target positions past the
    end of the prediction count as wrong, extra predicted tokens past the
    end of the target are ignored, and nothing is realigned after an
    insertion or deletion (use :func:`edit_distance` for that). This is the
    trainer's ``token_accuracy`` rule (:mod:`distscale.train.evaluate`).

    **Empty target** (``m = 0``): there are no positions to average, so the
    score falls back to exact match: 1.0 if the prediction is also empty,
    else 0.0.

    Parameters
    ----------
    predictions, targets : sequence of token sequences
        As in :func:`exact_match`.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n,)``, values in [0, 1].

    Examples
    --------
    >>> from distscale.metrics import token_accuracy
    >>> token_accuracy([[1, 2, 9], [1, 2], [1, 2, 3, 4], []],
    ...                [[1, 2, 3], [1, 2, 3, 4], [1, 2], []]).tolist()
    [0.6666666666666666, 0.5, 1.0, 1.0]
    """
    coded = _Coded(predictions, targets, ("`predictions`", "`targets`"))
    return _token_accuracy(coded)


def _token_accuracy(coded: _Coded) -> np.ndarray:
    m = coded.target_len
    hits = coded.n_matching_positions()
    out = (coded.pred_len == 0).astype(np.float64)  # the empty-target rule
    np.divide(hits, m, out=out, where=m > 0)
    return out


def edit_distance(predictions: object, targets: object, *, normalize: bool = False) -> np.ndarray:
    """Token-level Levenshtein distance from each prediction to its target.

    The smallest number of single-token insertions, deletions and
    substitutions (each of cost 1) that turn the prediction into the target
    (Levenshtein 1966; the Wagner–Fischer dynamic programme). Computed with
    rapidfuzz's ``Levenshtein.distance`` on integer codes of the tokens, so
    any hashable tokens work and are compared with ``==``.

    With ``normalize=True`` the distance is divided by the target length
    ``m`` (the trainer's normalised edit distance): 0 is a perfect answer and
    1 is, e.g., a wrong answer of the right length; it exceeds 1 when the
    prediction is longer than the target (every extra token is one more
    deletion). **Empty target** (``m = 0``): the normalised score falls back
    to exact match, 0.0 if the prediction is also empty, else 1.0 (the raw
    distance is the prediction's length).

    Parameters
    ----------
    predictions, targets : sequence of token sequences
        As in :func:`exact_match`.
    normalize : bool, default False
        Divide by the target length.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n,)``: whole numbers when ``normalize=False``.

    Examples
    --------
    >>> from distscale.metrics import edit_distance
    >>> edit_distance(["kitten", [1, 2, 3]], ["sitting", [1, 3]]).tolist()
    [3.0, 1.0]
    >>> edit_distance(["kitten".split(), [1, 2, 3]], [["sitting"], [1, 3]],
    ...               normalize=True).tolist()
    [1.0, 0.5]
    """
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"`normalize` must be True or False; got {type(normalize).__name__}")
    coded = _Coded(predictions, targets, ("`predictions`", "`targets`"))
    distance = _levenshtein_rows(coded.pred, coded.target)
    if not normalize:
        return distance.astype(np.float64)
    return _normalized_edit_distance(coded, distance)


def _normalized_edit_distance(coded: _Coded, distance: np.ndarray) -> np.ndarray:
    m = coded.target_len
    out = (coded.pred_len > 0).astype(np.float64)  # the empty-target rule
    np.divide(distance, m, out=out, where=m > 0)
    return out


# --------------------------------------------------------------------------- likelihoods
def target_logprob(token_logprobs: object) -> np.ndarray:
    """Log-probability of each target: the sum of its per-token log-probabilities.

    ``target_logprob[s] = sum_i log p(t_i | t_<i, prompt)`` (natural log);
    an empty target has log-probability 0.0 (probability 1).

    Parameters
    ----------
    token_logprobs : sequence of sequences of float
        ``n`` samples, each a list, tuple or 1-D array with the
        log-probability of every target token (lengths may differ), or a
        2-D array (samples x tokens). Values must be finite and <= 0
        (a rounding slack of 1e-9 is allowed).

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n,)``, values <= 0.

    Examples
    --------
    >>> import math
    >>> from distscale.metrics import target_logprob
    >>> target_logprob([[math.log(0.5), math.log(0.5)], [0.0], []]).tolist()
    [-1.3862943611198906, 0.0, 0.0]
    """
    totals, _, _ = _logprob_rows(token_logprobs, "`token_logprobs`")
    return totals


def target_nll(token_logprobs: object) -> np.ndarray:
    """Mean negative log-likelihood per target token (nats).

    ``target_nll[s] = -(1/m) sum_i log p(t_i | t_<i, prompt)`` over the
    ``m`` target tokens: the trainer's ``nll`` and the usual per-token
    cross-entropy. An empty target has no mean and raises ``ValueError``.

    Parameters
    ----------
    token_logprobs : sequence of sequences of float
        As in :func:`target_logprob`.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n,)``, values >= 0.

    Examples
    --------
    >>> import math
    >>> from distscale.metrics import target_nll
    >>> target_nll([[math.log(0.5), math.log(0.25)], [0.0]]).tolist()
    [1.0397207708399179, 0.0]
    """
    return _nll(token_logprobs, "`token_logprobs`")


def _nll(token_logprobs: object, name: str) -> np.ndarray:
    totals, lengths, _ = _logprob_rows(token_logprobs, name)
    if (lengths == 0).any():
        raise ValueError(
            f"{name}[{int(np.argmax(lengths == 0))}] is empty; the mean NLL per token needs "
            "at least one token (use target_logprob for empty targets)"
        )
    return -totals / lengths if lengths.size else np.empty(0)


# --------------------------------------------------------------------------- multiple choice
def _option_probabilities(option_logliks: object, correct: object):
    """Softmax over each sample's offered options, and the checked correct indices."""
    mat, mask, k = _option_matrix(option_logliks, "`option_logliks`")
    return _softmax(mat, mask), _check_correct(correct, k)


def choice_accuracy(option_logliks: object, correct: object) -> np.ndarray:
    """Multiple-choice accuracy: 1.0 when the most likely option is the correct one.

    ``choice_accuracy[s] = 1.0 if argmax_j option_logliks[s][j] == correct[s]
    else 0.0`` (lm-evaluation-harness's ``acc``). **Ties** go to the first
    of the tied options (``numpy.argmax``, as lm-eval does): a tie counts as
    correct only when the correct option comes first among the maxima.

    Parameters
    ----------
    option_logliks : 2-D array (n, k) or sequence of sequences of float
        Log-likelihood of every option of every sample (finite values);
        samples may offer different numbers of options (a ragged list).
    correct : sequence of int
        0-based index of the correct option of each sample.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n,)``, values 0.0 or 1.0.

    Examples
    --------
    >>> from distscale.metrics import choice_accuracy
    >>> choice_accuracy([[-1.0, -2.0, -3.0], [-4.0, -0.5], [-1.0, -1.0]],
    ...                 [0, 0, 1]).tolist()
    [1.0, 0.0, 0.0]
    """
    mat, mask, k = _option_matrix(option_logliks, "`option_logliks`")
    right = _check_correct(correct, k)
    return (_first_argmax(mat, mask) == right).astype(np.float64)


def choice_accuracy_normalized(
    option_logliks: object, option_lengths: object, correct: object
) -> np.ndarray:
    """Length-normalised multiple-choice accuracy (lm-evaluation-harness's ``acc_norm``).

    ``1.0 if argmax_j (option_logliks[s][j] / option_lengths[s][j]) ==
    correct[s] else 0.0``. lm-eval's ``acc_norm`` divides by the length of
    the option string in characters (``len(choice)`` of the choice text,
    without the leading space delimiter); pass those lengths to reproduce
    it, or byte lengths (``len(choice.encode())``) or token counts for
    other normalisations. Ties go to the first tied option, as in
    :func:`choice_accuracy`.

    Parameters
    ----------
    option_logliks : 2-D array (n, k) or sequence of sequences of float
        As in :func:`choice_accuracy`.
    option_lengths : 2-D array (n, k) or sequence of sequences of float
        Positive length of every option, same shape as ``option_logliks``.
    correct : sequence of int
        0-based index of the correct option of each sample.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n,)``, values 0.0 or 1.0.

    Examples
    --------
    >>> from distscale.metrics import choice_accuracy_normalized
    >>> choices = ["a cat", "an elephant"]  # the long answer is less likely in total
    >>> choice_accuracy_normalized([[-6.0, -9.0]], [[len(c) for c in choices]], [1]).tolist()
    [1.0]
    """
    mat, mask, k = _option_matrix(option_logliks, "`option_logliks`")
    lengths, _, k_len = _option_matrix(option_lengths, "`option_lengths`", positive=True)
    _check_same_length(len(k_len), len(k), "`option_lengths`", "`option_logliks`")
    if (k_len != k).any():
        i = int(np.argmax(k_len != k))
        raise ValueError(
            f"`option_lengths` must give one length per option; sample {i} has "
            f"{k_len[i]} lengths for {k[i]} options"
        )
    right = _check_correct(correct, k)
    scores = np.divide(mat, lengths, out=np.zeros_like(mat), where=mask)
    return (_first_argmax(scores, mask) == right).astype(np.float64)


def choice_probability(option_logliks: object, correct: object) -> np.ndarray:
    """Probability mass on the correct option, renormalised over the offered options.

    ``p[s] = exp(l_c) / sum_j exp(l_j)`` with ``l_j = option_logliks[s][j]``
    and ``c = correct[s]`` (the softmax of the log-likelihoods, evaluated
    stably): a continuous counterpart of :func:`choice_accuracy`.

    Parameters
    ----------
    option_logliks : 2-D array (n, k) or sequence of sequences of float
        As in :func:`choice_accuracy`.
    correct : sequence of int
        0-based index of the correct option of each sample.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n,)``, values in [0, 1].

    Examples
    --------
    >>> import math
    >>> from distscale.metrics import choice_probability
    >>> lls = [[math.log(0.2), math.log(0.2)], [math.log(0.6), math.log(0.2), math.log(0.2)]]
    >>> choice_probability(lls, [0, 0]).round(12).tolist()
    [0.5, 0.6]
    """
    probs, right = _option_probabilities(option_logliks, correct)
    return probs[np.arange(len(right)), right] if len(right) else np.empty(0)


def brier_score(option_logliks: object, correct: object) -> np.ndarray:
    """Multi-class Brier score of the option probabilities (lower is better).

    ``brier[s] = sum_j (p_j - 1[j == correct[s]])^2`` over the options, where
    ``p`` is the softmax of the log-likelihoods (as in
    :func:`choice_probability`). This is Brier's (1950) original sum over
    all classes, in [0, 2]; its mean over samples is scikit-learn's
    multiclass ``brier_score_loss``. For two options it is **twice** the
    usual binary Brier score ``(p_correct - 1)^2`` that scikit-learn reports
    for binary problems (``scale_by_half="auto"``).

    Parameters
    ----------
    option_logliks : 2-D array (n, k) or sequence of sequences of float
        As in :func:`choice_accuracy`.
    correct : sequence of int
        0-based index of the correct option of each sample.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n,)``, values in [0, 2].

    Examples
    --------
    >>> import math
    >>> from distscale.metrics import brier_score
    >>> lls = [[math.log(0.5), math.log(0.25), math.log(0.25)], [0.0, -1e9]]
    >>> brier_score(lls, [0, 1]).round(12).tolist()  # 0.25 + 2 * 0.0625; 1 + 1
    [0.375, 2.0]
    """
    probs, right = _option_probabilities(option_logliks, correct)
    probs[np.arange(len(right)), right] -= 1.0
    return (probs**2).sum(axis=1) if len(right) else np.empty(0)


# --------------------------------------------------------------------------- tables
_SCORE_COLUMNS = ("exact_match", "token_accuracy", "edit_distance", "nll")


def score_samples(
    samples: pd.DataFrame,
    *,
    prediction: str = "prediction",
    target: str = "target",
    logprobs: str | None = "target_logprobs",
) -> pd.DataFrame:
    """Score every row of a tidy per-sample table.

    Returns a copy of ``samples`` with added float columns

    ``exact_match``
        :func:`exact_match` of the prediction and target columns.
    ``token_accuracy``
        :func:`token_accuracy` (position-wise over the target).
    ``edit_distance``
        :func:`edit_distance` with ``normalize=True`` (over target length).
    ``nll``
        :func:`target_nll` of the ``logprobs`` column, added when that
        column exists.

    These are the trainer's definitions, so the per-run means of a trainer
    ``samples`` table (columns ``seed``, ``test_length`` or ``length``,
    ``sample_id``, ``prediction``, ``target``, ``target_logprobs``) reproduce
    its metrics table. The result feeds :func:`distscale.compare_metrics`.

    Parameters
    ----------
    samples : pandas.DataFrame
        One row per sample.
    prediction, target : str, default "prediction", "target"
        Columns of token sequences (lists, tuples, 1-D arrays or strings;
        see :func:`exact_match`).
    logprobs : str or None, default "target_logprobs"
        Column of per-token target log-probabilities. With the default name,
        a table without that column just gets no ``nll``; a different name
        must exist; ``None`` skips the NLL.

    Returns
    -------
    pandas.DataFrame
        A copy with the score columns appended (same index and row order).

    Examples
    --------
    >>> import pandas as pd
    >>> from distscale.metrics import score_samples
    >>> frame = pd.DataFrame({"seed": [0, 1], "prediction": [[3, 4, 0], [3, 0]],
    ...                       "target": [[3, 4, 0], [3, 4, 0]],
    ...                       "target_logprobs": [[-0.1, -0.2, -0.3], [-0.5, -2.0, -0.5]]})
    >>> scored = score_samples(frame)
    >>> scored[["exact_match", "token_accuracy", "edit_distance", "nll"]].round(4)
       exact_match  token_accuracy  edit_distance  nll
    0          1.0          1.0000         0.0000  0.2
    1          0.0          0.3333         0.3333  1.0
    """
    if not isinstance(samples, pd.DataFrame):
        raise TypeError(f"`samples` must be a pandas DataFrame; got {type(samples).__name__}")
    names = {"prediction": prediction, "target": target}
    if logprobs is not None:
        names["logprobs"] = logprobs
    for arg, column in names.items():
        if not isinstance(column, str):
            raise TypeError(f"`{arg}` must be a column name (str); got {type(column).__name__}")
    use_logprobs = logprobs is not None and (
        logprobs in samples.columns or logprobs != "target_logprobs"
    )
    needed = [prediction, target] + ([logprobs] if use_logprobs else [])
    missing = [c for c in needed if c not in samples.columns]
    if missing:
        raise ValueError(
            f"`samples` has no column {', '.join(map(repr, missing))}; "
            f"columns are {', '.join(map(repr, samples.columns))}"
        )
    added = list(_SCORE_COLUMNS if use_logprobs else _SCORE_COLUMNS[:3])
    clash = [c for c in added if c in samples.columns]
    if clash:
        raise ValueError(
            f"`samples` already has column {', '.join(map(repr, clash))}; drop or rename it "
            "before scoring (score_samples never overwrites data)"
        )
    coded = _Coded(
        samples[prediction], samples[target], (f"column {prediction!r}", f"column {target!r}")
    )
    scores = {
        "exact_match": coded.exact().astype(np.float64),
        "token_accuracy": _token_accuracy(coded),
        "edit_distance": _normalized_edit_distance(
            coded, _levenshtein_rows(coded.pred, coded.target)
        ),
    }
    if use_logprobs:
        scores["nll"] = _nll(samples[logprobs], f"column {logprobs!r}")
    out = samples.copy()
    for column, values in scores.items():
        out[column] = values
    return out
