"""Scores of generated answers (token sequences) and of the likelihood of the reference."""

from __future__ import annotations

import numpy as np

from distscale._lib.validation import check_bool
from distscale.metrics.inputs import (
    Coded,
    levenshtein_rows,
    logprob_rows,
)

__all__ = ["edit_distance", "exact_match", "target_logprob", "target_nll", "token_accuracy"]


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
    return Coded(predictions, targets, ("`predictions`", "`targets`")).exact().astype(np.float64)


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
    coded = Coded(predictions, targets, ("`predictions`", "`targets`"))
    return coded_token_accuracy(coded)


def coded_token_accuracy(coded: Coded) -> np.ndarray:
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
    check_bool("normalize", normalize)
    coded = Coded(predictions, targets, ("`predictions`", "`targets`"))
    distance = levenshtein_rows(coded.pred, coded.target)
    if not normalize:
        return distance.astype(np.float64)
    return normalized_edit_distance(coded, distance)


def normalized_edit_distance(coded: Coded, distance: np.ndarray) -> np.ndarray:
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
    totals, _, _ = logprob_rows(token_logprobs, "`token_logprobs`")
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
    return nll_of(token_logprobs, "`token_logprobs`")


def nll_of(token_logprobs: object, name: str) -> np.ndarray:
    totals, lengths, _ = logprob_rows(token_logprobs, name)
    if (lengths == 0).any():
        raise ValueError(
            f"{name}[{int(np.argmax(lengths == 0))}] is empty; the mean NLL per token needs "
            "at least one token (use target_logprob for empty targets)"
        )
    return -totals / lengths if lengths.size else np.empty(0)
