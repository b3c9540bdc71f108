"""Trend and monotonicity tests, and the inverse-scaling case study."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import FigureBase

from distscale._lib.success_rule import rule_symbol
from distscale.plot._style import (
    PALETTE,
    _axes,
    _color,
    _legend,
    _lone,
    _panels,
    check_type,
    fmt_p,
    fmt_scale,
    log_x,
    on_grid,
    scale_axis,
    vline,
)
from distscale.plot.curves import draw_success
from distscale.success import InverseScalingResult, MonotonicityTestResult, TrendTestResult

__all__ = ["inverse_scaling", "trend"]


_TREND_NAMES = {"jonckheere": "Jonckheere", "mann-kendall": "Mann-Kendall", "ebar2": "E-bar²"}


# ------------------------------------------------------------------------------ trend
def _draw_trend(ax: Axes, result: object, log: bool) -> None:
    """Per-scale (conditional) means labelled with their runs, their isotonic fit,
    and for a monotonicity test the monotone means its bootstrap resamples around."""
    metric, subset = result.metric, result.subset
    posterior = getattr(result, "weights", None) == "posterior"
    if subset == "all":
        what = f"mean {metric}"
    elif result.threshold is not None and not posterior:
        rule = rule_symbol(result.higher_is_better)
        rule = rule if subset == "success" else {">": "≤", "<": "≥"}[rule]
        what = f"mean {metric} | {metric} {rule} {result.threshold:g}"
    else:
        what = f"mean {metric} | {subset}"
    if posterior:
        what = "posterior-weighted " + what
    color = _color("mean" if subset == "all" else f"mean_{subset}")
    x = result.scales
    # the fits exist only at tested scales: their lines break at a scale dropped
    # between two of them (no run of the subset there)
    dropped = np.asarray([float(s) for s in result.dropped_scales], dtype=float)
    inside = dropped[(dropped > x.min()) & (dropped < x.max())] if x.size else dropped[:0]
    grid = np.union1d(x, inside)
    fits = [(result.isotonic, {"lw": 2, "color": PALETTE["fit"], "alpha": 0.7}, "isotonic fit "
             f"({getattr(result, 'direction', None) or result.alternative})")]
    if isinstance(result, MonotonicityTestResult):
        fits.append((result.null_means, {"lw": 1.2, "ls": "--", "color": PALETTE["alt_fit"]},
                     "monotone null (close levels merged)"))
    for values, style, label in fits:
        y = on_grid(grid, x, values)[1]
        ax.plot(grid, y, label=label, **style)
        alone = _lone(y)  # a fitted level between two gaps: a short dash of its own
        if alone.any():
            ax.plot(grid[alone], y[alone], ls="none", marker="_", ms=14, mew=style["lw"],
                    color=style["color"], alpha=style.get("alpha"))
    ax.plot(x, result.means, marker="o", ls="none", ms=6, color=color, zorder=3,
            label="per-scale means")
    counts = [f"w={w:.1f}" for w in result.weight] if posterior else [f"n={k}" for k in result.n]
    for s, m, text in zip(x, result.means, counts, strict=True):
        ax.annotate(text, (s, m), xytext=(0, 7), textcoords="offset points", ha="center",
                    fontsize="x-small")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + 0.08 * (hi - lo))  # room for the n= labels of the top points
    ax.set_ylabel(what)
    scale_axis(ax, x, "scale", log)


def trend(result: object, ax: Axes | None = None, *, logx: bool | None = None) -> Axes:
    """A trend or monotonicity test: per-scale means, the isotonic fit, the p-value.

    The (conditional) mean of the runs at each scale (labelled with the
    number of runs) and their isotonic regression, both as stored in the
    result; for a monotonicity test also the monotone means its bootstrap
    resamples around. The lines break at a scale dropped from the test (no
    run of the subset there). The legend is above the axes, the title above
    it: the title names the test and its p-value.

    Parameters
    ----------
    result : TrendTestResult or MonotonicityTestResult
    ax : matplotlib.axes.Axes, optional
    logx : bool, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import distscale, distscale.plot
    >>> pop = distscale.Population.from_dict(
    ...     {1: [0.1, 0.3, 0.2], 2: [0.4, 0.25, 0.5], 3: [0.6, 0.45, 0.7]})
    >>> ax = distscale.plot.trend(distscale.trend_test(pop))
    >>> ax.get_title()
    'Jonckheere trend test (increasing): p = 0.0048'
    >>> plt.close("all")
    """
    check_type(result, (TrendTestResult, MonotonicityTestResult), "trend")
    ax = _axes(ax)
    _draw_trend(ax, result, log_x(result.scales, logx))
    # one column for a monotonicity test: its long label would make two wider than a panel
    _legend(ax, above=True, ncol=1 if isinstance(result, MonotonicityTestResult) else 2)
    ax.set_title(_trend_title(result))
    return ax


def _trend_title(result: object) -> str:
    if isinstance(result, MonotonicityTestResult):
        return f"Monotonicity test (null: {result.direction} mean): {fmt_p(result.pvalue)}"
    return (
        f"{_TREND_NAMES.get(result.method, result.method)} trend test ({result.alternative}): "
        f"{fmt_p(result.pvalue)}"
    )


# -------------------------------------------------------------------- inverse scaling
def _draw_two_lines(ax: Axes, test: object, scales: np.ndarray, log: bool) -> None:
    """The two lines of a shape test (ShapeTestResult) and their breakpoint."""
    bp = test.breakpoint
    for a, b, lo, hi, label in (
        (test.intercept_low, test.slope_low, scales[0], bp, "two lines (U test)"
         if test.shape == "u" else "two lines (inverted-U test)"),
        (test.intercept_high, test.slope_high, bp, scales[-1], None),
    ):  # fmt: skip
        s = np.geomspace(lo, hi, 50) if log else np.linspace(lo, hi, 50)
        t = np.log(s) - np.log(bp) if test.x == "log" else s - bp
        ax.plot(s, a + b * t, color=PALETTE["marker"], lw=2, label=label)
    vline(ax, bp, f"breakpoint {fmt_scale(bp, 3)}", ls=":")


def inverse_scaling(result: object, ax: object = None, *, logx: bool | None = None) -> FigureBase:
    """The inverse-scaling case study in two panels, with the verdict as the title.

    Left: P(success) -- observed fractions, the logistic fit with its band,
    the quadratic logistic fit (dashed, descriptive), with both AICs, and
    when P(success) was found U-shaped or inverted-U-shaped the two lines of
    that test with their breakpoint. Right: mean | success per scale and its isotonic
    fit (:func:`trend` of the stored trend test), or a note when successful
    runs were too few to test.

    Parameters
    ----------
    result : InverseScalingResult
    ax : None, Figure, SubFigure or sequence of 2 Axes
    logx : bool, optional
        Default: logarithmic when the fits were made in ``ln(scale)``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np, distscale, distscale.plot
    >>> rng = np.random.default_rng(0)
    >>> data = {2 ** (i + 1): np.where(rng.random(40) < p, m + 0.05 * rng.random(40), 0.0)
    ...         for i, (p, m) in enumerate(zip(np.linspace(0.8, 0.2, 5),
    ...                                        np.linspace(0.5, 0.8, 5)))}
    >>> res = distscale.inverse_scaling(distscale.Population.from_dict(data),
    ...                                 threshold=0.2, n_resamples=199, rng=0)
    >>> fig = distscale.plot.inverse_scaling(res)
    >>> len(fig.axes)
    2
    >>> plt.close("all")
    """
    check_type(result, InverseScalingResult, "inverse_scaling")
    fig, (left, right) = _panels(ax, 2, ncols=2, figsize=(11.5, 4.8))
    curve = result.success_curve
    log = curve.x == "log" if logx is None else log_x(curve.scales, logx)
    grid = draw_success(left, curve, log, marks=False)
    left.lines[0].set_label(f"logistic fit (AIC {result.aic_logistic:.1f})")
    if result.quadratic_curve is not None:
        quad = result.quadratic_curve.predict(grid)
        left.plot(grid, quad["p_success"], ls="--", lw=1.5, color=PALETTE["alt_fit"],
                  label=f"quadratic fit (AIC {result.aic_quadratic:.1f})")
    lines = {"u-shaped": result.u_test, "inverted-u": result.inverted_u_test}.get(result.shape)
    if lines is not None and lines.holds:
        _draw_two_lines(left, lines, curve.scales, log)
    left.set_title(f"P(success) {result.shape}; that it falls somewhere: "
                   f"{fmt_p(result.p_success_pvalue)}", fontsize="medium")
    _legend(left, above=True, ncol=2)
    if result.success_trend is not None:
        _draw_trend(right, result.success_trend, log)
        right.set_xlabel(left.get_xlabel())
        right.set_title(f"successful runs: {_trend_title(result.success_trend)}",
                        fontsize="medium")
        _legend(right, above=True, ncol=2)
    else:
        right.text(0.5, 0.5, "fewer than 2 scales have a successful run:\nnot tested",
                   ha="center", va="center", transform=right.transAxes)
        right.set_axis_off()
    fig.suptitle(textwrap.fill(result.verdict, 120), fontsize="medium")
    return fig
