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
trainer computes its edit distance with this subpackage's code.
"""

from distscale.metrics.choice import (
    brier_score,
    choice_accuracy,
    choice_accuracy_normalized,
    choice_probability,
)
from distscale.metrics.compare import DIRECTIONS, MetricComparison, MetricVerdict, compare_metrics
from distscale.metrics.score_table import score_samples
from distscale.metrics.sequences import (
    edit_distance,
    exact_match,
    target_logprob,
    target_nll,
    token_accuracy,
)

__all__ = [
    "DIRECTIONS",
    "MetricComparison",
    "MetricVerdict",
    "brier_score",
    "choice_accuracy",
    "choice_accuracy_normalized",
    "choice_probability",
    "compare_metrics",
    "edit_distance",
    "exact_match",
    "score_samples",
    "target_logprob",
    "target_nll",
    "token_accuracy",
]
