"""Curves against scale: summary statistics, P(success), seed trajectories."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection

from distscale._lib.success_rule import rule_symbol
from distscale._lib.validation import check_one_of
from distscale.describe import PerSeedEmergence, SummaryCurves
from distscale.plot._style import (
    LABELS,
    PALETTE,
    _axes,
    _color,
    _curve,
    _legend,
    _lone,
    check_type,
    fmt_scale,
    hline,
    log_x,
    scale_axis,
    vline,
)
from distscale.population import Population
from distscale.success import SuccessCurve

__all__ = ["seed_trajectories", "success_curve", "summary_curves"]


# --------------------------------------------------------------------- summary curves
def summary_curves(
    result: object,
    *,
    statistics: Sequence[str] | None = None,
    ax: Axes | None = None,
    logx: bool | None = None,
) -> Axes:
    """The paper's summary curves (mode, mean, P(success), mean | success ...) with CI bands.

    Statistics in the metric's units are drawn on ``ax`` (left axis);
    P(success) is a probability, so when it is drawn together with them it
    gets its own right-hand axis from 0 to 1 (``ax.twinx()``, dashed line)
    -- one picture, as in the paper, without squeezing a loss and a
    probability onto one scale. The success threshold is a dotted line on
    the left axis. The legend, on ``ax`` above the axes, names every curve of
    both axes.

    Parameters
    ----------
    result : SummaryCurves
    statistics : sequence of str, optional
        Which curves; default ``("mode", "mean", "p_success", "mean_success",
        "mean_failure")`` (``"median"`` is available).
    ax : matplotlib.axes.Axes, optional
    logx : bool, optional
        Logarithmic scale axis (default: decided from the scales).

    Returns
    -------
    matplotlib.axes.Axes
        The left axis (the right one is ``ax.right_ax`` when drawn).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import distscale, distscale.plot
    >>> pop = distscale.Population.from_dict(
    ...     {1: [0.0, 0.05, 0.1, 0.3, 0.9], 2: [0.0, 0.1, 0.7, 0.8, 0.9],
    ...      4: [0.05, 0.7, 0.8, 0.9, 0.95]}, metric="acc")
    >>> res = distscale.summary_curves(pop, threshold=0.2, n_resamples=200, rng=0)
    >>> ax = distscale.plot.summary_curves(res)
    >>> len(ax.lines), len(ax.right_ax.lines)  # 4 curves + threshold; P(success)
    (5, 1)
    >>> plt.close("all")
    """
    check_type(result, SummaryCurves, "summary_curves")
    if statistics is None:
        statistics = ("mode", "mean", "p_success", "mean_success", "mean_failure")
    statistics = tuple(statistics)
    if not statistics:
        raise ValueError("`statistics` must name at least one statistic")
    for s in statistics:
        check_one_of("statistics", s, result.statistics)
    ax = _axes(ax)
    x = result.scales
    in_units = [s for s in statistics if s != "p_success"]
    right = ax.twinx() if in_units and "p_success" in statistics else None
    for s in statistics:
        target = right if (s == "p_success" and right is not None) else ax
        ci = result.interval(s)
        _curve(target, x, result.estimate(s), ci.low, ci.high, _color(s), LABELS[s],
               ls="--" if target is right else "-")
    rule = f"{rule_symbol(result.higher_is_better)} {result.threshold:g}"
    if in_units:
        hline(ax, result.threshold, f"success threshold ({rule})")
        ax.set_ylabel(str(result.metric))
    else:
        ax.set_ylabel(f"P(success: {result.metric} {rule})")
    handles, labels = ax.get_legend_handles_labels()
    if right is not None:
        right.set_ylim(-0.02, 1.02)
        right.set_yticks(np.linspace(0, 1, 6))
        right.set_ylabel(f"P(success: {result.metric} {rule})", color=PALETTE["p_success"])
        right.tick_params(axis="y", colors=PALETTE["p_success"])
        ax.set_zorder(right.get_zorder() + 1)  # the left axis' curves over the right one's
        ax.patch.set_visible(False)
        more = right.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
        ax.right_ax = right
    scale_axis(ax, x, result.scale_name, log_x(x, logx))
    _legend(ax, handles=handles, labels=labels, above=True, ncol=3)
    ax.set_title(
        f"Summary curves of {result.metric} ({result.confidence_level:.0%} bootstrap CIs)"
    )
    return ax


# ---------------------------------------------------------------------- success curve
def _scale_grid(scales: np.ndarray, log: bool, n: int = 120) -> np.ndarray:
    lo, hi = float(np.min(scales)), float(np.max(scales))
    return np.geomspace(lo, hi, n) if log and lo > 0 else np.linspace(lo, hi, n)


def draw_success(ax: Axes, result: object, log: bool, *, marks: bool = True) -> np.ndarray:
    """Observed fractions (labelled k/n), the fitted curve and its band, x50 marks."""
    grid = _scale_grid(result.scales, log)
    pred = result.predict(grid)
    fit = result.model + (" (Firth)" if result.penalty == "firth" else "")
    _curve(ax, grid, pred["p_success"], pred["ci_low"], pred["ci_high"], PALETTE["fit"],
           f"{fit} fit, {result.confidence_level:.0%} band", marker=None)
    observed = result.successes / result.n
    ax.scatter(result.scales, observed, s=28, color="k", zorder=3, label="observed (successes/n)")
    for s, f, k, m in zip(result.scales, observed, result.successes, result.n, strict=True):
        ax.annotate(f"{int(k)}/{int(m)}", (s, f), xytext=(0, 7), textcoords="offset points",
                    ha="center", fontsize="x-small")
    if marks:
        hline(ax, 0.5, None, lw=0.8)
        for j, (c, ci) in enumerate(zip(result.crossings, result.crossing_cis, strict=True)):
            name = "x50" if j == 0 else "crossing"
            if ci.low == -np.inf or (ci.low <= 0 and result.x == "log"):
                lo = "-∞" if result.x == "linear" else "0"  # unbounded below
            else:
                lo = fmt_scale(ci.low, 3)
            hi = "∞" if not np.isfinite(ci.high) else fmt_scale(ci.high, 3)
            vline(ax, c, f"{name} = {fmt_scale(c, 3)} [{lo}, {hi}]")
            left = max(ci.low, grid[0]) if np.isfinite(ci.low) else grid[0]
            right = min(ci.high, grid[-1]) if np.isfinite(ci.high) else grid[-1]
            ax.axvspan(left, right, color=PALETTE["marker"], alpha=0.12, lw=0)
    ax.set_ylim(-0.04, 1.1)
    ax.set_ylabel(f"P({result.metric} {rule_symbol(result.higher_is_better)} {result.threshold:g})")
    scale_axis(ax, result.scales, result.scale_name, log)
    return grid


def success_curve(result: object, ax: Axes | None = None, *, logx: bool | None = None) -> Axes:
    """P(success) against scale: observed fractions, fitted curve with band, x50 with CI.

    Each scale's observed fraction is a point labelled ``successes/n``. The
    fitted curve and its pointwise confidence band come from
    :meth:`SuccessCurve.predict` on a grid of scales; every crossing of 0.5
    (``x50`` first) is a dashed vertical line with its interval shaded
    (cut at the observed scales; the legend gives the full interval, ``∞``
    when unbounded).

    Parameters
    ----------
    result : SuccessCurve
    ax : matplotlib.axes.Axes, optional
    logx : bool, optional
        Default: logarithmic when the curve was fitted in ``ln(scale)``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd, distscale, distscale.plot
    >>> pop = distscale.Population.from_dict(
    ...     {2: [0.0, 0.1, 0.0, 0.0, 0.5], 4: [0.1, 0.6, 0.7, 0.0, 0.1],
    ...      8: [0.9, 0.8, 0.6, 0.1, 0.7], 16: [0.9, 0.8, 0.9, 0.6, 0.7]})
    >>> res = distscale.success_curve(pop, threshold=0.3)
    >>> ax = distscale.plot.success_curve(res)
    >>> [t.get_text() for t in ax.texts]  # successes/n at each scale
    ['1/5', '2/5', '4/5', '5/5']
    >>> plt.close("all")
    """
    check_type(result, SuccessCurve, "success_curve")
    ax = _axes(ax)
    log = result.x == "log" if logx is None else log_x(result.scales, logx)
    draw_success(ax, result, log)
    if not result.crossings:
        why = result.x50_reason or "the fit does not cross 0.5 within the observed scales"
        ax.text(0.02, 0.97, why, transform=ax.transAxes, va="top", fontsize="small", wrap=True)
    _legend(ax, above=True, ncol=2)
    ax.set_title(f"Probability of success ({result.model} fit in {result.x} scale)")
    return ax


# -------------------------------------------------------------------- seed trajectories
def seed_trajectories(
    result: object,
    ax: Axes | None = None,
    *,
    population: Population | None = None,
    cmap: str = "viridis",
    logx: bool | None = None,
) -> Axes:
    """One line per seed across scales, coloured by the breakthroughness of its curve.

    :class:`~distscale.PerSeedEmergence` keeps each seed's scores, not its
    values, so the values are read from ``population`` -- the population the
    scores were computed from (same metric, scale and seed columns). A line
    breaks at a scale where its seed has no run (a lone value is a dot). Lines
    of the most emergent seeds are drawn last (on top); a colour bar gives
    the scale, and infinite breakthroughness takes the end colour.

    Parameters
    ----------
    result : PerSeedEmergence
    ax : matplotlib.axes.Axes, optional
    population : Population
        Required: where the seed curves come from.
    cmap : str, default "viridis"
    logx : bool, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd, distscale, distscale.plot
    >>> df = pd.DataFrame({"depth": [1, 2, 3, 4] * 2, "seed": [0] * 4 + [1] * 4,
    ...                    "acc": [0, .1, .2, .3, .0, .1, .2, .9]})
    >>> pop = distscale.Population(df, scale="depth", seed="seed", value="acc")
    >>> res = distscale.per_seed_emergence(pop)
    >>> ax = distscale.plot.seed_trajectories(res, population=pop)
    >>> len(ax.collections[0].get_segments())  # one line per seed
    2
    >>> plt.close("all")
    """
    check_type(result, PerSeedEmergence, "seed_trajectories")
    if population is None:
        raise TypeError(
            "seed_trajectories needs `population=`: a PerSeedEmergence keeps each seed's "
            "scores, not its values; pass the Population the scores were computed from"
        )
    if not isinstance(population, Population):
        raise TypeError(
            f"`population` must be a distscale Population; got {type(population).__name__}"
        )
    if (population.scale, population.seed) != (result.scale_name, result.seed_name):
        raise ValueError(
            f"`population` has scale/seed columns {population.scale!r}/{population.seed!r}; "
            f"the result was computed with {result.scale_name!r}/{result.seed_name!r}"
        )
    wide = population.wide(result.metric)  # checks the metric
    missing = [s for s in result.seeds if s not in wide.index]
    if missing:
        raise ValueError(
            f"seeds {missing[:5]} of the result are not in `population`; pass the population "
            "the scores were computed from"
        )
    wide = wide.reindex(index=list(result.seeds),
                        columns=np.sort(wide.columns.to_numpy(dtype=float)))
    scales = wide.columns.to_numpy(dtype=float)
    values = wide.to_numpy(dtype=float)
    # NaN where a seed has no run: its line breaks there instead of joining across
    segments = [np.column_stack([scales, row]) for row in values]
    b = np.asarray(result.breakthroughness, dtype=float)
    finite = b[np.isfinite(b)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    shade = np.clip(np.nan_to_num(b, nan=vmin, posinf=vmax, neginf=vmin), vmin, vmax)
    order = np.argsort(shade, kind="stable")
    ax = _axes(ax, figsize=(7.2, 4.4))
    lines = LineCollection([segments[i] for i in order], array=shade[order], cmap=cmap,
                           norm=mcolors.Normalize(vmin, vmax), lw=1.2, alpha=0.8)
    ax.add_collection(lines, autolim=False)
    # a value with no neighbour (gaps both sides) draws no line: a dot in its seed's colour
    ok = np.isfinite(values)
    alone = _lone(values)
    if alone.any():
        rows, cols = np.nonzero(alone)
        ax.scatter(scales[cols], values[rows, cols], c=shade[rows], cmap=cmap,
                   norm=lines.norm, s=12, zorder=3)
    if ok.any():
        ax.update_datalim(np.column_stack([np.broadcast_to(scales, values.shape)[ok],
                                           values[ok]]))
    ax.autoscale_view()
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max",
              (True, True): "both"}[(bool(np.any(b == -np.inf)), bool(np.any(b == np.inf)))]
    ax.get_figure().colorbar(lines, ax=ax, label="breakthroughness", extend=extend)
    scale_axis(ax, scales, result.scale_name, log_x(scales, logx))
    ax.set_ylabel(str(result.metric))
    ax.set_title(f"{len(result.seeds)} seed curves of {result.metric}")
    return ax
