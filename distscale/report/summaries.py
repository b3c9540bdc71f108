"""``distscale summary PATH --task COL``: the summary curves of every task.

A population with a task column (Atari games, lm-eval tasks) has one set of
summary curves per task. :func:`summary_by_task` computes them, each exactly
what :func:`~distscale.summary_curves` gives for that task alone (with an
integer ``rng``, the same numbers as ``distscale summary --select-task``),
and returns one tidy table with a ``task`` column first; a task whose curves
cannot be computed is listed with the reason and the others go on.
:func:`readable_summary` is the plain-text form the command prints: one
table per task.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from distscale._lib.outputs import atomic_write
from distscale._lib.results import Result
from distscale._lib.success_rule import rule_text
from distscale._lib.validation import check_bool, check_threshold
from distscale.describe.summary import SummaryCurves, summary_curves
from distscale.population import Population, as_population
from distscale.report.multi import _per_task

__all__ = ["TaskSummaries", "readable_summary", "readable_table", "run_task_summaries",
           "summary_by_task"]


@dataclass(frozen=True, eq=False)
class TaskSummaries(Result):
    """The summary curves of every task of a population.

    Attributes
    ----------
    results : mapping of task to SummaryCurves
        The tasks whose curves were computed, in the population's task order.
    thresholds : mapping of task to float
        The success threshold used for each task.
    notes : mapping of task to tuple of str
        The warnings each task's computation raised (degenerate scales ...).
    failures : mapping of task to str
        The tasks whose curves could not be computed, and why.
    """

    results: Mapping[Hashable, SummaryCurves]
    thresholds: Mapping[Hashable, float]
    notes: Mapping[Hashable, tuple[str, ...]]
    failures: Mapping[Hashable, str]

    def __repr__(self) -> str:
        return f"TaskSummaries({len(self.results)} tasks, {len(self.failures)} failed)"

    def to_frame(self) -> pd.DataFrame:
        """One tidy table: ``task``, ``threshold``, then the columns of
        :meth:`SummaryCurves.to_frame` (``scale, statistic, n, estimate, ci_low,
        ci_high``), tasks in order."""
        frames = [
            res.to_frame().assign(task=task, threshold=self.thresholds[task])
            for task, res in self.results.items()
        ]
        if not frames:
            return pd.DataFrame(columns=["task", "threshold", "scale", "statistic", "n",
                                         "estimate", "ci_low", "ci_high"])
        frame = pd.concat(frames, ignore_index=True)
        first = ["task", "threshold"]
        return frame[first + [c for c in frame.columns if c not in first]]


def summary_by_task(
    population_or_frame: Population | pd.DataFrame,
    *,
    threshold: float | Mapping[Hashable, float],
    higher_is_better: bool = True,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    method: str = "percentile",
    rng: int | np.random.Generator | None = 0,
    progress: bool = False,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | None = None,
    task: Hashable | None = None,
) -> TaskSummaries:
    """The summary curves (mode, mean, median, P(success), mean of successful and
    of failed runs, with seed-bootstrap CIs) of every task of a population.

    Parameters
    ----------
    population_or_frame : Population or pandas.DataFrame
        Runs with a task column (a population without one counts as one task);
        a DataFrame needs ``scale``, ``seed``, ``value`` and ``task``.
    threshold : float or mapping of task to float
        The success threshold: one for every task, or one per task (a mapping
        must name every task and only those).
    higher_is_better, n_resamples, confidence_level, method, progress
        As for :func:`~distscale.summary_curves`, for every task.
    rng : int, numpy.random.Generator or None, default 0
        An int (or None) seeds each task's bootstrap afresh, so a task's
        curves equal those of :func:`~distscale.summary_curves` on that task
        alone; a Generator is drawn from task after task.
    scale, seed, value, task : column names, optional
        Only with a DataFrame.

    Returns
    -------
    TaskSummaries
        ``to_frame()`` is one tidy table with ``task`` and ``threshold`` first.

    Raises
    ------
    ValueError
        If a threshold mapping leaves out a task or names one that is not in
        the data, or a threshold is not a finite number.
    TypeError
        If ``higher_is_better`` or ``progress`` is not a bool.

    See Also
    --------
    distscale.summary_curves : one task.
    distscale.report.multi.make_reports : a report per task and an index page.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from distscale.report.summaries import summary_by_task
    >>> # seed k wins pong at size s when k < 2s, breakout when k < s (6 seeds)
    >>> rows = [(t, s, k, float(k < m * s)) for t, m in (("pong", 2), ("breakout", 1))
    ...         for s in (1, 2, 3) for k in range(6)]
    >>> frame = pd.DataFrame(rows, columns=["game", "size", "seed", "won"])
    >>> res = summary_by_task(frame, scale="size", seed="seed", value="won", task="game",
    ...                       threshold=0.5, n_resamples=200)
    >>> res
    TaskSummaries(2 tasks, 0 failed)
    >>> table = res.to_frame()
    >>> table[table.statistic == "p_success"][["task", "scale", "estimate"]].round(3)
            task  scale  estimate
    3   breakout    1.0     0.167
    9   breakout    2.0     0.333
    15  breakout    3.0     0.500
    21      pong    1.0     0.333
    27      pong    2.0     0.667
    33      pong    3.0     1.000
    """
    pop = as_population(population_or_frame, scale=scale, seed=seed, value=value, task=task)
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    progress = check_bool("progress", progress)
    tasks = list(pop.tasks) if pop.task is not None else [None]
    thresholds = {t: check_threshold(v, name=f"threshold of task {t!r}" if t is not None
                                     else "threshold")
                  for t, v in _per_task(threshold, tasks, "threshold").items()}
    results: dict[Hashable, SummaryCurves] = {}
    notes: dict[Hashable, tuple[str, ...]] = {}
    failures: dict[Hashable, str] = {}
    for t in tasks:
        one = pop if t is None else pop.select(task=t)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                results[t] = summary_curves(
                    one, threshold=thresholds[t], higher_is_better=higher_is_better,
                    n_resamples=n_resamples, confidence_level=confidence_level,
                    method=method, rng=rng, progress=progress,
                )
            except ValueError as err:  # this task's data cannot give curves; go on
                failures[t] = str(err)
        notes[t] = tuple(dict.fromkeys(str(w.message) for w in caught))
    return TaskSummaries(results=results, thresholds=thresholds, notes=notes,
                         failures=failures)


def readable_table(frame: pd.DataFrame) -> str:
    """One task's tidy summary table as text: a row per scale, ``estimate [low, high]``."""

    def cell(row: pd.Series) -> str:
        if pd.isna(row["estimate"]):
            return "undefined"
        return f"{row['estimate']:.4g} [{row['ci_low']:.4g}, {row['ci_high']:.4g}]"

    shown = frame.assign(cell=frame.apply(cell, axis=1))
    order = list(dict.fromkeys(frame["statistic"]))
    table = shown.pivot(index="scale", columns="statistic", values="cell")[order]
    n = frame.groupby("scale")["n"].max()
    table.insert(0, "n", n)
    table.insert(0, "scale", [f"{s:.4g}" for s in table.index])
    return table.to_string(index=False)


def readable_summary(result: TaskSummaries) -> str:
    """The text ``distscale summary --task COL`` prints: a headed table per task.

    Examples
    --------
    >>> import pandas as pd
    >>> from distscale.report.summaries import readable_summary, summary_by_task
    >>> frame = pd.DataFrame({"game": ["a"] * 4 + ["b"] * 2, "size": [1, 1, 2, 2, 1, 1],
    ...                       "seed": [0, 1, 0, 1, 0, 1], "won": [0, 1, 1, 1, 0, 0]})
    >>> res = summary_by_task(frame, scale="size", seed="seed", value="won", task="game",
    ...                       threshold={"a": 0.5, "b": 0.5}, n_resamples=50)
    >>> print(readable_summary(res).splitlines()[0])
    task a (success: won > 0.5)
    """
    blocks = []
    for task, res in result.results.items():
        frame = res.to_frame()
        head = f"success: {rule_text(result.thresholds[task], res.higher_is_better, res.metric)}"
        title = head if task is None else f"task {task} ({head})"
        blocks.append(f"{title}\n{readable_table(frame)}")
    for task, why in result.failures.items():
        blocks.append(f"task {task}: no summary: {why}")
    return "\n\n".join(blocks)


def export_table(frame: pd.DataFrame, out: Path | None, *, as_csv: bool) -> bool:
    """Write ``frame`` as CSV to ``out`` (atomically) when given; print it as CSV if ``as_csv``.

    The command line's ``--out`` and ``--format csv`` for a summary table.
    Returns ``as_csv`` (then nothing else is to be printed). A file that
    cannot be written is a ValueError naming ``--out``.
    """
    if out is not None:
        try:
            atomic_write(out, lambda f: f.write(frame.to_csv(index=False)))
        except OSError as err:
            raise ValueError(f"cannot write --out {str(out)!r}: {err.strerror or err}") from None
    if as_csv:
        sys.stdout.write(frame.to_csv(index=False))
    return as_csv


def run_task_summaries(args: argparse.Namespace, pop: Population, *,
                       threshold: float | Mapping[Hashable, float], higher_is_better: bool,
                       source: str, out: Path | None) -> int:
    """``distscale summary PATH --task COL`` without ``--select-task``: every task.

    Prints a table per task (or, with ``--format csv``, the tidy table with
    ``task`` and ``threshold`` first), writes that table to ``out`` when
    given (atomically), and prints each task's warnings on stderr as
    ``note: [task] ...``. Returns the exit status, 0.
    """
    result = summary_by_task(
        pop, threshold=threshold, higher_is_better=higher_is_better,
        n_resamples=args.n_resamples, confidence_level=args.confidence_level,
        method=args.method, rng=args.rng,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    frame = result.to_frame()
    if export_table(frame, out, as_csv=args.format == "csv"):
        return 0
    if not args.quiet:
        print(f"data: {source}")
        print(f"metric: {pop.metric}; {len(result.thresholds)} tasks in column {pop.task!r}; "
              f"{args.confidence_level:.0%} {args.method} CIs from {args.n_resamples} seed "
              f"resamples per scale (rng={args.rng}); mode = half-sample mode")
        print()
    print(readable_summary(result))
    if not args.quiet:
        for task, notes in result.notes.items():
            for note in notes:
                print(f"note: [{task}] {note}", file=sys.stderr)
    return 0
