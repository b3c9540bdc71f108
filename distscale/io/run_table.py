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
from collections.abc import Hashable, Sequence

import pandas as pd

from distscale.population import Population

__all__ = [
    "EVAL_METRICS",
    "RUN_COLUMNS",
    "TRAINING_COLUMNS",
    "TRAJECTORY_COLUMNS",
    "summarize_runs",
    "summarize_trajectory",
    "trajectory_population",
]

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
#: Columns of a trajectory table (``train_population(..., checkpoints=...)``): one row
#: per run, checkpoint and evaluated length.
TRAJECTORY_COLUMNS = (*RUN_COLUMNS, "step", "split", "length", *EVAL_METRICS, "train_loss")


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
    rows = _select_lengths(table, lengths, split, "summarize_runs")
    keys = [*RUN_COLUMNS, *TRAINING_COLUMNS]
    grouped = rows.groupby("run_id", sort=False)
    out = grouped[[*EVAL_METRICS]].mean()
    out.insert(0, "n_lengths", grouped.size())
    first = grouped[[c for c in keys if c != "run_id"]].first()
    out = first.join(out).reset_index()
    return out[[*RUN_COLUMNS, "n_lengths", *EVAL_METRICS, *TRAINING_COLUMNS]]


def _select_lengths(rows: pd.DataFrame, lengths: Sequence[int] | None, split: str,
                    owner: str) -> pd.DataFrame:
    if split not in ("test", "train"):
        raise ValueError(f"`split` must be 'test' or 'train'; got {split!r}")
    rows = rows[rows["split"] == split]
    if lengths is not None:
        wanted = [_check_length(n) for n in lengths]
        absent = sorted(set(wanted) - set(rows["length"].tolist()))
        if absent:
            raise ValueError(f"`lengths` {absent} were not evaluated (split {split!r})")
        rows = rows[rows["length"].isin(wanted)]
    if rows.empty:
        raise ValueError(f"{owner}: the table has no rows with split {split!r}")
    return rows


def summarize_trajectory(
    trajectory: pd.DataFrame, *, lengths: Sequence[int] | None = None, split: str = "test"
) -> pd.DataFrame:
    """One row per run and checkpoint: every metric averaged over the evaluated lengths.

    Parameters
    ----------
    trajectory : pandas.DataFrame
        The trajectory table of ``train_population(..., checkpoints=...)``
        (columns :data:`TRAJECTORY_COLUMNS`), possibly of several settings.
    lengths : sequence of int, optional
        Average over these lengths only; by default all lengths of ``split``.
    split : {"test", "train"}, default "test"

    Returns
    -------
    pandas.DataFrame
        The run columns, ``step``, ``n_lengths``, the metric columns (means
        over lengths) and ``train_loss``, ordered by run and step.

    Examples
    --------
    >>> import pandas as pd
    >>> traj = pd.DataFrame({
    ...     "run_id": "a", "task": "count", "depth": 1, "width": 8, "heads": 1,
    ...     "mlp_ratio": 4.0, "positional": "nope", "n_params": 10, "steps": 20, "seed": 0,
    ...     "step": [10, 10, 20, 20], "split": "test", "length": [4, 5, 4, 5],
    ...     "exact_match": [0.0, 0.5, 1.0, 1.0], "token_accuracy": 1.0,
    ...     "edit_distance": 0.0, "nll": 0.1, "exact_match_teacher_forced": 1.0,
    ...     "token_accuracy_teacher_forced": 1.0, "train_loss": [0.4, 0.4, 0.1, 0.1]})
    >>> summarize_trajectory(traj)[["step", "n_lengths", "exact_match"]].values.tolist()
    [[10.0, 2.0, 0.25], [20.0, 2.0, 1.0]]
    """
    if not isinstance(trajectory, pd.DataFrame):
        raise TypeError(
            f"`trajectory` must be a pandas DataFrame; got {type(trajectory).__name__}"
        )
    missing = [c for c in TRAJECTORY_COLUMNS if c not in trajectory.columns]
    if missing:
        raise ValueError(
            f"`trajectory` lacks column(s) {missing}; pass the trajectory table of "
            "train_population(..., checkpoints=...)"
        )
    rows = _select_lengths(trajectory, lengths, split, "summarize_trajectory")
    grouped = rows.groupby(["run_id", "step"], sort=False)
    out = grouped[[*EVAL_METRICS]].mean()
    out.insert(0, "n_lengths", grouped.size())
    first = grouped[[c for c in RUN_COLUMNS if c != "run_id"] + ["train_loss"]].first()
    out = first.join(out).reset_index()
    out = out[[*RUN_COLUMNS, "step", "n_lengths", *EVAL_METRICS, "train_loss"]]
    order = {run: i for i, run in enumerate(out["run_id"].unique())}  # runs as they come
    keys = out["run_id"].map(order) * (int(out["step"].max()) + 1) + out["step"]
    return out.iloc[keys.argsort(kind="stable")].reset_index(drop=True)


def trajectory_population(
    trajectory: pd.DataFrame,
    *,
    value: Hashable | Sequence[Hashable] = "exact_match",
    lengths: Sequence[int] | None = None,
    split: str = "test",
) -> Population:
    """The seeds of one setting over training: a paired population with the step as scale.

    Each seed is measured at every checkpoint, so the population is paired
    (``Population(..., scale="step", seed="seed", paired=True)``): intervals
    and tests keep each seed's learning curve together, and the seed
    distribution at each step shows when seeds break through and whether
    some bloom late.

    Parameters
    ----------
    trajectory : pandas.DataFrame
        The trajectory table of ``train_population(..., checkpoints=...)``
        for *one* setting (filter a multi-setting table first, e.g. by
        ``width``).
    value : str or sequence of str, default "exact_match"
        Metric column(s), averaged over ``lengths``.
    lengths : sequence of int, optional
        Lengths to average over (default all of ``split``), e.g. the longest.
    split : {"test", "train"}, default "test"

    Returns
    -------
    Population

    Raises
    ------
    ValueError
        If the table holds several settings (a seed would appear twice at a
        step), or a length was not evaluated.

    Examples
    --------
    >>> import pandas as pd
    >>> traj = pd.DataFrame({
    ...     "run_id": ["a"] * 2 + ["b"] * 2, "task": "count", "depth": 1, "width": 8,
    ...     "heads": 1, "mlp_ratio": 4.0, "positional": "nope", "n_params": 10, "steps": 20,
    ...     "seed": [0, 0, 1, 1], "step": [10, 20, 10, 20], "split": "test", "length": 5,
    ...     "exact_match": [0.0, 1.0, 0.0, 0.0], "token_accuracy": 1.0,
    ...     "edit_distance": 0.0, "nll": 0.1, "exact_match_teacher_forced": 1.0,
    ...     "token_accuracy_teacher_forced": 1.0, "train_loss": 0.1})
    >>> pop = trajectory_population(traj)
    >>> pop.paired, pop.scales.tolist()
    (True, [10.0, 20.0])
    >>> [v.tolist() for v in pop.values("exact_match")]
    [[0.0, 0.0], [1.0, 0.0]]
    """
    runs = summarize_trajectory(trajectory, lengths=lengths, split=split)
    per_seed = runs.groupby("seed")["run_id"].nunique()
    if (per_seed > 1).any():
        varying = [c for c in RUN_COLUMNS if c not in ("run_id", "seed")
                   and runs[c].nunique() > 1]
        raise ValueError(
            "`trajectory` holds several settings (seed "
            f"{per_seed.index[per_seed > 1][0]} has {int(per_seed.max())} runs); select one "
            f"first, e.g. trajectory[trajectory[{(varying or ['run_id'])[0]!r}] == ...]"
        )
    return Population(runs, scale="step", seed="seed", value=value, paired=True)
