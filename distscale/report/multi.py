"""Many tasks at once: one report per task and an index page with a row per task.

A user with 26 Atari games or a dozen lm-eval tasks has one population with a
task column. :func:`make_reports` writes ``OUT/<task>/report.html`` for every
task (each exactly what :func:`~distscale.make_report` writes) and
``OUT/index.html``: one row per task with its headline verdicts and a link.
A task whose analyses cannot run (too few scales, every run failing ...) gets
a row that says why; the others go on.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from distscale._lib.results import Result
from distscale._lib.success_rule import rule_text
from distscale._lib.validation import check_bool
from distscale.population import Population, as_population
from distscale.report.build import Report, make_report
from distscale.report.folder import ReportFolder

__all__ = ["MultiReport", "make_reports"]


@dataclass(frozen=True, eq=False)
class MultiReport(Result):
    """What :func:`make_reports` wrote.

    Attributes
    ----------
    out_dir : pathlib.Path
    index : pathlib.Path
        ``out_dir / "index.html"``.
    reports : mapping of task to Report
        The tasks whose report was written.
    failures : mapping of task to str
        The tasks whose report could not be made, and why.
    table : pandas.DataFrame
        The index page's rows: ``task, folder, runs, scales, rule,
        capacity_threshold, x50, mean_change, inverse_scaling, error``.
    """

    out_dir: Path
    index: Path
    reports: Mapping[Hashable, Report]
    failures: Mapping[Hashable, str]
    table: pd.DataFrame

    def __repr__(self) -> str:
        return (f"MultiReport({str(self.index)!r}, {len(self.reports)} reports, "
                f"{len(self.failures)} failed)")

    def to_frame(self) -> pd.DataFrame:
        """The index page's table (a copy)."""
        return self.table.copy()


def _slug(task: object, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", str(task).lower()).strip("-")[:60] or "task"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}-{k}", k + 1
    taken.add(name)
    return name


def _per_task(option: object, tasks: Sequence[Hashable], name: str) -> dict[Hashable, object]:
    if isinstance(option, Mapping):
        missing = [t for t in tasks if t not in option]
        if missing:
            raise ValueError(
                f"`{name}` gives no value for the tasks {', '.join(map(repr, missing[:5]))}; "
                "give one for every task (or one value for all)"
            )
        extra = [t for t in option if t not in tasks]
        if extra:
            raise ValueError(f"`{name}` names tasks that are not in the data: "
                             f"{', '.join(map(repr, extra[:5]))}")
        return {t: option[t] for t in tasks}
    return dict.fromkeys(tasks, option)


def _headline(rep: Report) -> dict[str, object]:
    res = rep.results
    scan, curve = res.get("modality_scan"), res.get("success_curve")
    dec, inv = res.get("mean_decomposition"), res.get("inverse_scaling")
    cap = getattr(scan, "capacity_threshold", None)
    x50 = getattr(curve, "x50", math.nan)
    return {
        "capacity_threshold": "none" if cap is None else f"{cap:g}",
        "x50": "n/a" if x50 is None or not math.isfinite(x50) else f"{x50:.3g}",
        "mean_change": dec.headline if dec is not None else "n/a",
        "inverse_scaling": inv.finding_shape if inv is not None else "n/a",
    }


def make_reports(
    population: Population | pd.DataFrame,
    *,
    threshold: float | Mapping[Hashable, float],
    higher_is_better: bool | Mapping[Hashable, bool] = True,
    out_dir: str | os.PathLike = "distscale-reports",
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | None = None,
    task: Hashable | None = None,
    overwrite: bool = False,
    progress: bool = True,
    inputs: Sequence[str | os.PathLike] = (),
    **options: object,
) -> MultiReport:
    """One report per task, and an index page with a row per task.

    Parameters
    ----------
    population : Population or pandas.DataFrame
        Runs of several tasks (a Population with a task column, or a frame
        with ``scale``, ``seed``, ``value`` and ``task`` given).
    threshold : float or mapping of task to float
        The success threshold, one for all tasks or one per task (games and
        benchmarks score on different scales).
    higher_is_better : bool or mapping of task to bool, default True
    out_dir : path, default "distscale-reports"
        Created if missing; must be empty, or hold an earlier
        ``make_reports`` output and ``overwrite=True`` (then exactly the
        files it listed are removed first, including those of tasks no
        longer present).
    scale, seed, value, task : str, optional
        Columns, when ``population`` is a DataFrame.
    overwrite : bool, default False
    progress : bool, default True
        One line per task on stderr (each report's own steps are quiet).
    inputs : sequence of path
        Files that must never be written over (the command line's input).
    **options
        Any other option of :func:`~distscale.make_report` (``bounds``,
        ``n_resamples``, ``alpha``, ``rng`` ...), the same for every task.

    Returns
    -------
    MultiReport

    Raises
    ------
    ValueError
        No task column, a per-task mapping that misses a task or names an
        unknown one, or an ``out_dir`` that is not empty (see ``overwrite``).

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np, pandas as pd
    >>> from distscale.report.multi import make_reports
    >>> rng = np.random.default_rng(0)
    >>> rows = [(t, s, k, float(rng.random() < p) * 0.8 + rng.normal(0.1, 0.02))
    ...         for t in ("a", "b") for s, p in zip([1, 2, 4, 8], [0.1, 0.4, 0.6, 0.9])
    ...         for k in range(12)]
    >>> frame = pd.DataFrame(rows, columns=["task", "size", "seed", "acc"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = make_reports(frame, scale="size", seed="seed", value="acc", task="task",
    ...                        threshold=0.5, out_dir=tmp, n_resamples=50, progress=False)
    ...     sorted(p.name for p in out.out_dir.iterdir())
    ['.distscale-report.json', 'a', 'b', 'index.html']
    """
    overwrite = check_bool("overwrite", overwrite)
    progress = check_bool("progress", progress)
    if "progress" in options or "out_dir" in options:
        raise TypeError("make_reports sets each report's `out_dir` and `progress` itself")
    pop = as_population(population, scale=scale, seed=seed, value=value, task=task)
    tasks = pop.tasks
    if not tasks:
        raise ValueError(
            "make_reports needs a task column (Population(..., task=COLUMN) or task=); for "
            "one task use make_report"
        )
    thresholds = _per_task(threshold, tasks, "threshold")
    directions = _per_task(higher_is_better, tasks, "higher_is_better")
    folder = ReportFolder(out_dir, overwrite=overwrite, inputs=inputs)
    folder.prepare()
    taken: set[str] = set()
    reports: dict[Hashable, Report] = {}
    failures: dict[Hashable, str] = {}
    rows = []
    for i, t in enumerate(tasks, start=1):
        slug = _slug(t, taken)
        sub = pop.select(task=t)
        rule = rule_text(float(thresholds[t]), bool(directions[t]), sub.metric)
        row = {"task": t, "folder": slug, "runs": sub.n_runs, "scales": len(sub.scales),
               "rule": rule}
        try:
            rep = make_report(sub, threshold=thresholds[t], higher_is_better=directions[t],
                              out_dir=folder.path / slug, overwrite=overwrite, progress=False,
                              inputs=inputs, **options)
        except (ValueError, TypeError) as err:
            if type(err).__name__ == "OutputPathError":
                raise
            failures[t] = str(err)
            rows.append(row | {"error": str(err)})
            if progress:
                print(f"distscale report: [{i}/{len(tasks)}] {t}: not made ({err})",
                      file=sys.stderr)
            continue
        reports[t] = rep
        folder.written.extend(rep.out_dir / p for p in _listed(rep))
        rows.append(row | _headline(rep) | {"error": ""})
        if progress:
            print(f"distscale report: [{i}/{len(tasks)}] {t} ({rep.seconds:.1f} s)",
                  file=sys.stderr)
    columns = ["task", "folder", "runs", "scales", "rule", "capacity_threshold", "x50",
               "mean_change", "inverse_scaling", "error"]
    table = pd.DataFrame(rows, columns=columns).fillna("")
    page = _render_index(table, pop)
    index = folder.write_text("index.html", page)
    folder.finish()
    return MultiReport(out_dir=folder.path, index=index, reports=reports, failures=failures,
                       table=table)


def _listed(rep: Report) -> list[str]:
    """Every file of a task's report, relative to its folder (its manifest too)."""
    files = [rep.html, *rep.figures, *rep.tables.values()]
    rel = [str(Path(f).relative_to(rep.out_dir)) for f in files]
    return [*rel, ".distscale-report.json"]


def _render_index(table: pd.DataFrame, pop: Population) -> str:
    from distscale._lib.version import __version__
    from distscale.report.page import _environment

    rows = table.to_dict("records")
    n_ok = int((table["error"] == "").sum())
    return _environment().get_template("index.html.j2").render(
        rows=rows,
        n_tasks=len(table),
        n_ok=n_ok,
        scale_name=pop.scale,
        metric=pop.metric,
        version=__version__,
    )
