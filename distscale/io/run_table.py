"""The trainer's tidy run table, readable without torch.

:func:`distscale.train.train_population` (and a sweep's store) return one row
per run and evaluated length with the columns named here; this module holds
those column names and :func:`summarize_runs`, which reduces the table to one
row per run. It needs only pandas, so bundled populations made by the trainer
(:func:`distscale.datasets.load_count_population`) load without the ``torch``
extra.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import pandas as pd

__all__ = ["EVAL_METRICS", "RUN_COLUMNS", "TRAINING_COLUMNS", "summarize_runs"]

#: Run-level columns of the table (constant over a run's rows).
RUN_COLUMNS = (
    "run_id",
    "task",
    "depth",
    "width",
    "heads",
    "mlp_ratio",
    "positional",
    "n_params",
    "steps",
    "seed",
)
#: Columns describing how the run went (also constant over a run's rows).
TRAINING_COLUMNS = ("train_loss", "ensemble_size", "seconds_per_seed")
#: Metric columns, one value per run and evaluated length (defined in
#: :mod:`distscale.train.evaluate`).
EVAL_METRICS = (
    "exact_match",
    "token_accuracy",
    "edit_distance",
    "nll",
    "exact_match_teacher_forced",
    "token_accuracy_teacher_forced",
)


def _check_length(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"summarize_runs `lengths` must hold integers; got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"summarize_runs `lengths` must be at least 1; got {value}")
    return int(value)


def summarize_runs(
    table: pd.DataFrame, *, lengths: Sequence[int] | None = None, split: str = "test"
) -> pd.DataFrame:
    """One row per run: every metric averaged over the evaluated lengths.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`train_population` (level "length"), possibly
        concatenated over several settings.
    lengths : sequence of int, optional
        Average over these lengths only (e.g. the longest test lengths); by
        default all lengths of ``split``.
    split : {"test", "train"}, default "test"

    Returns
    -------
    pandas.DataFrame
        The run columns, ``n_lengths`` (how many lengths were averaged), the
        metric columns (means over lengths) and the training columns. For
        exact match this is the OOD exact match averaged over test lengths.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "run_id": ["a", "a", "b", "b"], "task": "count", "depth": 1, "width": 8,
    ...     "heads": 1, "mlp_ratio": 4.0, "positional": "nope", "n_params": 10,
    ...     "steps": 5, "seed": [0, 0, 1, 1], "split": "test", "length": [4, 5, 4, 5],
    ...     "exact_match": [1.0, 0.5, 0.0, 0.25], "token_accuracy": 1.0,
    ...     "edit_distance": 0.0, "nll": 0.1, "exact_match_teacher_forced": 1.0,
    ...     "token_accuracy_teacher_forced": 1.0, "train_loss": 0.1,
    ...     "ensemble_size": 2, "seconds_per_seed": 1.0})
    >>> summarize_runs(table)[["seed", "n_lengths", "exact_match"]].values.tolist()
    [[0.0, 2.0, 0.75], [1.0, 2.0, 0.125]]
    >>> summarize_runs(table, lengths=[5])["exact_match"].tolist()
    [0.5, 0.25]
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"`table` must be a pandas DataFrame; got {type(table).__name__}")
    need = [*RUN_COLUMNS, "split", "length", *EVAL_METRICS, *TRAINING_COLUMNS]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(
            f"`table` lacks column(s) {missing}; pass the per-length output of train_population"
        )
    if split not in ("test", "train"):
        raise ValueError(f"`split` must be 'test' or 'train'; got {split!r}")
    rows = table[table["split"] == split]
    if lengths is not None:
        wanted = [_check_length(n) for n in lengths]
        absent = sorted(set(wanted) - set(rows["length"].tolist()))
        if absent:
            raise ValueError(f"`lengths` {absent} were not evaluated (split {split!r})")
        rows = rows[rows["length"].isin(wanted)]
    if rows.empty:
        raise ValueError(f"`table` has no rows with split {split!r}")
    keys = [*RUN_COLUMNS, *TRAINING_COLUMNS]
    grouped = rows.groupby("run_id", sort=False)
    out = grouped[[*EVAL_METRICS]].mean()
    out.insert(0, "n_lengths", grouped.size())
    first = grouped[[c for c in keys if c != "run_id"]].first()
    out = first.join(out).reset_index()
    return out[[*RUN_COLUMNS, "n_lengths", *EVAL_METRICS, *TRAINING_COLUMNS]]
