"""One HTML page that runs every analysis of distscale on one population.

:func:`make_report` takes a seed population and a success threshold, runs
the library's analyses -- summary curves, the decomposition of the mean's
change, the modality scan, the success curve, per-seed emergence, trend and
monotonicity tests, the inverse-scaling test, the distribution shift -- and
writes into one folder:

* ``report.html``: one self-contained page (figures embedded as base64 PNG,
  tables, a short plain-language summary; no external file, script, font or
  style sheet);
* ``figures/*.png`` and ``figures/*.svg``: every figure;
* ``tables/*.csv``: every result's ``.to_frame()``.

The command ``distscale report`` (see :mod:`distscale.cli`) calls it.
"""

from __future__ import annotations

import functools
import numbers
import os
import sys
import time
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.processes import can_fork, map_forked, slow_first
from distscale._lib.results import Result
from distscale._lib.threads import default_threads
from distscale._lib.validation import (
    check_alpha,
    check_bool,
    check_bounds,
    check_confidence_level,
    check_int,
    check_n_resamples,
    check_rng,
    check_threshold,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.describe.decomposition import decompose_mean
from distscale.population import Population, as_population
from distscale.report.folder import ReportFolder

__all__ = ["Report", "make_report"]


# ============================================================================ the report
@dataclass(frozen=True, eq=False)
class Report(Result):
    """What :func:`make_report` wrote.

    Attributes
    ----------
    out_dir : pathlib.Path
        The folder.
    html : pathlib.Path
        ``out_dir / "report.html"``, the self-contained page.
    figures : tuple of pathlib.Path
        ``figures/*.png`` and ``figures/*.svg``.
    tables : mapping of str to pathlib.Path
        ``tables/<name>.csv`` for every result that was computed, keyed by
        the result's name (``"summary_curves"``, ``"modality_scan"``, ...).
    summary : tuple of str
        The plain-language summary, one sentence group per item.
    notes : tuple of str
        Warnings of the analyses and sections that could not be computed.
    results : mapping of str to result object
        The results themselves (:class:`~distscale.SummaryCurves`, ...); each
        ``tables[name]`` is ``results[name].to_frame()``.
    seconds : float
        Wall time of the whole report.
    """

    out_dir: Path
    html: Path
    figures: tuple[Path, ...]
    tables: Mapping[str, Path]
    summary: tuple[str, ...]
    notes: tuple[str, ...]
    results: Mapping[str, object] = field(repr=False)
    seconds: float = 0.0

    def __repr__(self) -> str:
        return (
            f"Report({str(self.html)!r}, {len(self.figures)} figure files, "
            f"{len(self.tables)} tables, {len(self.notes)} notes)"
        )




def _resolve_population(
    data: object, scale: Hashable | None, seed: Hashable | None, value: Hashable | None
) -> Population:
    if isinstance(data, Population):
        for name, given, own in (("scale", scale, data.scale), ("seed", seed, data.seed)):
            if given is not None and given != own:
                raise ValueError(
                    f"`{name}`={given!r} does not match the Population's {name} column {own!r}"
                )
        if value is None:
            if len(data.metrics) != 1:
                raise ValueError(
                    f"the population has {len(data.metrics)} metric columns "
                    f"{list(data.metrics)}; choose one with `value=`"
                )
            return data
        if value not in data.metrics:
            raise ValueError(
                f"`value` {value!r} is not a metric column of the population; "
                f"its metrics are {list(data.metrics)}"
            )
        return data.select(metric=value)
    if isinstance(data, pd.DataFrame):
        if value is not None and not isinstance(value, str) and isinstance(value, (list, tuple)):
            raise TypeError("`value` must name one metric column for a report")
        return as_population(data, scale=scale, seed=seed, value=value)
    raise TypeError(f"expected a Population or a pandas DataFrame; got {type(data).__name__}")


@dataclass(frozen=True)
class _Outcome:
    """One analysis run: its result (None if it could not be computed) and what it said."""

    result: object | None
    caught: tuple[tuple[type, str, str, int], ...]
    error: str | None
    seconds: float
    table: str | None = None


def _execute(func: Callable[[], object]) -> _Outcome:
    """Run one analysis with its warnings recorded (in this process or a forked worker).

    The result's table (``to_frame()`` as CSV text) is made here too, so that
    tables that take time to compute (the outlook's bands of the best of ``k``
    seeds) are made side by side with the other analyses.
    """
    start = time.perf_counter()
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DegenerateDataWarning)
        warnings.simplefilter("always", UserWarning)
        try:
            result = func()
        except ValueError as err:
            result, error = None, str(err)
        table = None if result is None else result.to_frame().to_csv(index=False)
    said = tuple((w.category, str(w.message), w.filename, w.lineno) for w in caught)
    return _Outcome(result, said, error, time.perf_counter() - start, table)


class _Steps:
    """Records the analyses in plan order: progress lines, warnings kept, failures noted."""

    def __init__(self, total: int, progress: bool) -> None:
        self.total, self.progress, self.done = total, progress, 0
        self.notes: list[str] = []

    def say(self, text: str) -> None:
        if self.progress:
            print(f"distscale report: {text}", file=sys.stderr, flush=True)

    def record(self, label: str, outcome: _Outcome) -> object | None:
        self.done += 1
        if outcome.error is not None:
            self.notes.append(f"{label}: not computed: {outcome.error}")
        for category, message, filename, lineno in outcome.caught:
            if issubclass(category, (DegenerateDataWarning, UserWarning)):
                note = f"{label}: {message}"
                if note not in self.notes:
                    self.notes.append(note)
            else:  # anything else (a RuntimeWarning is a bug) goes on as usual
                warnings.warn_explicit(message, category, filename, lineno)
        self.say(f"[{self.done}/{self.total}] {label} ({outcome.seconds:.1f} s)")
        return outcome.result


#: The slowest analyses, started first when they run side by side.
_SLOW_FIRST = ("modality_scan", "next_scale_outlook", "threshold_sensitivity")


@fill_doc
def make_report(
    population_or_frame: Population | pd.DataFrame,
    *,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | None = None,
    threshold: float,
    bounds: tuple[float, float] | str | None = "auto",
    higher_is_better: bool = True,
    out_dir: str | Path = "distscale-report",
    title: str | None = None,
    source: str | None = None,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    alpha: float = 0.05,
    rng: int | np.random.Generator | None = 0,
    progress: bool = True,
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike] = (),
    n_jobs: int | None = None,
) -> Report:
    """Run every analysis on one population and write an HTML report with figures and tables.

    Parameters
    ----------
    population_or_frame : Population or pandas.DataFrame
        The runs. With a DataFrame pass ``scale=``, ``seed=`` and ``value=``;
        with a Population, ``value=`` chooses the metric when it has several
        (``scale``/``seed`` may be given only if they match its columns).
    %(columns)s
    %(threshold)s
    bounds : "auto", (lo, hi) or None, default "auto"
        Where the modality scan puts point masses: ``(lo, hi)`` is the
        metric's range (e.g. ``(0, 1)`` for an accuracy), values exactly at a
        bound are point masses; ``"auto"`` finds piles of runs at a scale's
        smallest or largest value (see :func:`~distscale.modality_scan`);
        None: no point masses.
    %(higher_is_better)s
    out_dir : str or pathlib.Path, default "distscale-report"
        Created if missing. It must be empty, or hold an earlier report and
        ``overwrite=True``: then the files that report listed in its manifest
        (``.distscale-report.json``) are removed and nothing else is touched
        (see :mod:`distscale.report.folder`). Every file is written
        atomically.
    title : str, optional
        Page title (default: "distscale report: <metric> against <scale>").
    source : str, optional
        A line describing where the data came from, shown under the title.
    n_resamples : int, default 1000
        Seed-bootstrap resamples of every confidence interval (summary curves,
        decomposition of the mean, mixture components, distribution shift).
        Permutation and parametric-bootstrap tests use their own defaults.
    %(confidence_level)s
    alpha : float, default 0.05
        Level of the tests (family-wise over scales for bimodality).
    rng : int, numpy.random.Generator or None, default 0
        The same ``rng`` gives the same report, byte for byte.
    progress : bool, default True
        One line per step on stderr.
    overwrite : bool, default False
        Replace an earlier report in ``out_dir``.
    inputs : sequence of path, optional
        Input files the report must never write over or remove (the command
        line passes its PATH).
    n_jobs : int, optional
        Processes that run the analyses, and then draw the figures, side by
        side (Linux; elsewhere one). Default: the usable cores, at most 4
        (``DISTSCALE_THREADS`` in the environment sets it). Each analysis has
        its own random stream, so the report is the same, byte for byte,
        whatever ``n_jobs``.

    Returns
    -------
    Report

    Raises
    ------
    ValueError
        Invalid population (missing column, NaN ...), ``threshold``,
        ``bounds`` (``lo >= hi``) or settings; values outside ``bounds``.
    TypeError
        Arguments of the wrong type.
    OSError
        If ``out_dir`` cannot be written.

    Notes
    -----
    An analysis that cannot run on the data (for example per-seed curves
    with fewer than 3 scales) is left out, and the page says why; warnings
    of the analyses (degenerate scales, ties ...) are listed on the page.

    Examples
    --------
    >>> import tempfile
    >>> import distscale
    >>> from distscale import make_report
    >>> pop = distscale.datasets.load_polypythias()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     rep = make_report(pop, value="mean_bigram_loss", threshold=7.5,
    ...                       higher_is_better=False, out_dir=tmp, n_resamples=200,
    ...                       progress=False)
    ...     print(rep.html.name, sorted(p.name for p in rep.figures)[:2])
    report.html ['distribution_shift.png', 'distribution_shift.svg']
    """
    start = time.perf_counter()
    threshold = check_threshold(threshold)
    bounds = check_bounds(bounds, auto=True)
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    progress = check_bool("progress", progress)
    workers = default_threads() if n_jobs is None else check_int("n_jobs", n_jobs, 1)
    n_resamples = check_n_resamples(n_resamples, minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    alpha = check_alpha(alpha)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"`title` must be a string or None; got {type(title).__name__}")
    if source is not None and not isinstance(source, str):
        raise TypeError(f"`source` must be a string or None; got {type(source).__name__}")
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"`out_dir` must be a path; got {type(out_dir).__name__}")
    overwrite = check_bool("overwrite", overwrite)
    folder = ReportFolder(out_dir, overwrite=overwrite, inputs=inputs)
    gen = check_rng(rng)
    pop = _resolve_population(population_or_frame, scale, seed, value)
    metric = pop.metric
    if bounds is not None and not isinstance(bounds, str):
        every = np.concatenate(pop.values())
        outside = int(np.count_nonzero((every < bounds[0]) | (every > bounds[1])))
        if outside:
            raise ValueError(
                f"{outside} values of column {metric!r} lie outside `bounds` "
                f"({bounds[0]:g}, {bounds[1]:g})"
            )

    from distscale.describe.emergence_curves import curve_emergence, per_seed_emergence
    from distscale.describe.shift import distribution_shift
    from distscale.describe.summary import summary_curves
    from distscale.law.outlook import next_scale_outlook
    from distscale.modality.scan import modality_scan
    from distscale.success.curve import logistic_or_fitting_curve
    from distscale.success.inverse import inverse_scaling
    from distscale.success.sensitivity import threshold_sensitivity
    from distscale.success.trend import monotonicity_test, trend_test

    x = "log" if np.all(pop.scales > 0) else "linear"
    rule = {"threshold": threshold, "higher_is_better": higher_is_better}
    boot = {"n_resamples": n_resamples, "confidence_level": confidence_level}
    improve = "increasing" if higher_is_better else "decreasing"
    plan: list[tuple[str, str, Callable[[np.random.Generator], object]]] = [
        ("summary_curves", "summary curves",
         lambda g: summary_curves(pop, **rule, **boot, rng=g)),
        ("mean_decomposition", "decomposition of the mean",
         lambda g: decompose_mean(pop, **rule, **boot, rng=g)),
        ("modality_scan", "modality scan (mixture tests, component CIs)",
         lambda g: modality_scan(
             pop, bounds=bounds, alpha=alpha, n_boot_ci=n_resamples,
             confidence_level=confidence_level, success_threshold=threshold,
             higher_is_better=higher_is_better, rng=g)),
        ("success_curve", "success curve",
         lambda g: logistic_or_fitting_curve(pop, **rule, x=x,
                                             confidence_level=confidence_level,
                                             gof_alpha=alpha, rng=g)),
        ("per_seed_emergence", "per-seed emergence", lambda g: per_seed_emergence(pop)),
        ("trend_success", "trend of successful runs",
         lambda g: trend_test(pop, subset="success", **rule,
                                          alternative="two-sided", rng=g)),
        ("trend_failure", "trend of failed runs",
         lambda g: trend_test(pop, subset="failure", **rule,
                                          alternative="two-sided", rng=g)),
        ("monotonicity", "monotonicity of the mean",
         lambda g: monotonicity_test(pop, direction=improve, rng=g)),
        ("inverse_scaling", "inverse scaling",
         lambda g: inverse_scaling(pop, **rule, alpha=alpha, x=x,
                                               confidence_level=confidence_level, rng=g)),
        ("distribution_shift", "distribution shift",
         lambda g: distribution_shift(pop, **boot, rng=g)),
    ]  # fmt: skip
    if len(pop.scales) >= 2 and np.all(pop.scales > 0):
        # last, so that the other analyses keep their random streams
        plan.append(("next_scale_outlook", "what to expect at the next scale (scaling law)",
                     lambda g: next_scale_outlook(pop, **rule, bounds=bounds, **boot, rng=g)))
    if len(pop.scales) >= 2:  # last, so that the other analyses keep their random streams
        plan.append(("threshold_sensitivity", "threshold sensitivity (the verdicts over a "
                     "grid of thresholds)",
                     lambda g: threshold_sensitivity(pop, higher_is_better=higher_is_better,
                                                     include=threshold, alpha=alpha,
                                                     n_resamples=min(n_resamples, 500),
                                                     confidence_level=confidence_level,
                                                     rng=g)))
    steps = _Steps(len(plan) + 3, progress)
    if workers > 1 and can_fork():
        steps.say(f"running {len(plan)} analyses on {workers} processes")
    order = slow_first([key for key, _, _ in plan], _SLOW_FIRST)
    outcomes = map_forked(
        _execute,
        [functools.partial(func, g) for (_, _, func), g in
         zip(plan, gen.spawn(len(plan)), strict=True)],
        workers, order=order,
    )
    results: dict[str, object] = {}
    csv: dict[str, str] = {}  # each result's table, made where the result was
    for (key, label, _), outcome in zip(plan, outcomes, strict=True):
        res = steps.record(label, outcome)
        if res is not None:
            results[key], csv[key] = res, outcome.table
    if "summary_curves" in results:
        outcome = _execute(lambda: curve_emergence(results["summary_curves"]))
        res = steps.record("emergence of the summary curves", outcome)
        if res is not None:
            results["curve_emergence"], csv["curve_emergence"] = res, outcome.table
    else:
        steps.done += 1

    from distscale.report import figures as _report_figures
    from distscale.report import page as _report_page
    from distscale.report import text as _report_text

    ctx = _report_text.Context(
        pop=pop,
        results=results,
        threshold=threshold,
        higher_is_better=higher_is_better,
        bounds=bounds,
        alpha=alpha,
        confidence_level=confidence_level,
        n_resamples=n_resamples,
        rng=repr(int(rng)) if isinstance(rng, numbers.Integral) else f"<{type(rng).__name__}>",
        title=title,
        source=source,
    )
    summary = _report_text.summary_sentences(ctx)
    folder.prepare()
    start_fig = time.perf_counter()
    figures = _report_figures.write_figures(ctx, folder, steps.notes, workers=workers)
    steps.done += 1
    steps.say(f"[{steps.done}/{steps.total}] figures ({time.perf_counter() - start_fig:.1f} s)")
    tables = _report_page.write_tables(csv, folder)
    page = _report_page.render_page(ctx, summary, steps.notes, figures)
    html = folder.write_text("report.html", page)
    folder.finish()
    out = folder.path
    steps.done += 1
    seconds = time.perf_counter() - start
    steps.say(f"[{steps.done}/{steps.total}] wrote {html} ({seconds:.1f} s in all)")
    return Report(
        out_dir=out,
        html=html,
        figures=tuple(p for f in figures for p in (f.png, f.svg)),
        tables=MappingProxyType(dict(tables)),
        summary=tuple(summary),
        notes=tuple(steps.notes),
        results=MappingProxyType(dict(results)),
        seconds=seconds,
    )
