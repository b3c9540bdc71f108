"""Score a tidy per-sample table: the trainer's metrics added as columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from distscale.metrics.inputs import Coded, levenshtein_rows
from distscale.metrics.sequences import coded_token_accuracy, nll_of, normalized_edit_distance

__all__ = ["score_samples"]

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
    coded = Coded(
        samples[prediction], samples[target], (f"column {prediction!r}", f"column {target!r}")
    )
    scores = {
        "exact_match": coded.exact().astype(np.float64),
        "token_accuracy": coded_token_accuracy(coded),
        "edit_distance": normalized_edit_distance(
            coded, levenshtein_rows(coded.pred, coded.target)
        ),
    }
    if use_logprobs:
        scores["nll"] = nll_of(samples[logprobs], f"column {logprobs!r}")
    out = samples.copy()
    for column, values in scores.items():
        out[column] = values
    return out
