"""Multiple-choice scores from option log-likelihoods."""

from __future__ import annotations

import numpy as np

from distscale.metrics.inputs import (
    check_correct,
    check_same_length,
    first_argmax,
    option_matrix,
    softmax,
)

__all__ = ["brier_score", "choice_accuracy", "choice_accuracy_normalized", "choice_probability"]


# --------------------------------------------------------------------------- multiple choice
def option_probabilities(option_logliks: object, correct: object):
    """Softmax over each sample's offered options, and the checked correct indices."""
    mat, mask, k = option_matrix(option_logliks, "`option_logliks`")
    return softmax(mat, mask), check_correct(correct, k)


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
    mat, mask, k = option_matrix(option_logliks, "`option_logliks`")
    right = check_correct(correct, k)
    return (first_argmax(mat, mask) == right).astype(np.float64)


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
    mat, mask, k = option_matrix(option_logliks, "`option_logliks`")
    lengths, _, k_len = option_matrix(option_lengths, "`option_lengths`", positive=True)
    check_same_length(len(k_len), len(k), "`option_lengths`", "`option_logliks`")
    if (k_len != k).any():
        i = int(np.argmax(k_len != k))
        raise ValueError(
            f"`option_lengths` must give one length per option; sample {i} has "
            f"{k_len[i]} lengths for {k[i]} options"
        )
    right = check_correct(correct, k)
    scores = np.divide(mat, lengths, out=np.zeros_like(mat), where=mask)
    return (first_argmax(scores, mask) == right).astype(np.float64)


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
    probs, right = option_probabilities(option_logliks, correct)
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
    probs, right = option_probabilities(option_logliks, correct)
    probs[np.arange(len(right)), right] -= 1.0
    return (probs**2).sum(axis=1) if len(right) else np.empty(0)
