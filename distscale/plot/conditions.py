"""Two conditions at the same scales: the differences A - B and P(X > Y) against scale."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import FigureBase

from distscale._lib.success_rule import rule_text
from distscale.describe import ConditionComparison
from distscale.plot._style import (
    PALETTE,
    _curve,
    _legend,
    _lone,
    _panels,
    check_type,
    fmt_scale,
    hline,
    log_x,
    scale_axis,
)

__all__ = ["condition_comparison"]

#: Panel of each statistic: colour, axis label (``{a}``/``{b}`` the conditions), reference.
_PANELS = {
    "p_success_diff": (PALETTE["p_success"], "P(success | {a}) − P(success | {b})", 0.0),
    "mean_success_diff": (PALETTE["mean_success"], "mean | success: {a} − {b}", 0.0),
    "prob_improvement": (PALETTE["alt_fit"], "P({a} beats {b})", 0.5),
}


def condition_comparison(
    result: object, ax: object = None, *, logx: bool | None = None
) -> FigureBase:
    """Condition A against condition B at every scale, one panel per statistic.

    Top to bottom: the difference in P(success), the difference in the mean
    of the successful runs, and the probability of improvement P(X > Y),
    each against scale with its confidence band (as stored in the result).
    A dotted line marks "no difference" (0 for the differences, 0.5 for
    P(X > Y)) and a dashed one the average over the scales, whose interval
    the legend gives. A statistic that is undefined at a scale (no
    successful run of a condition) leaves a gap there, named in the panel;
    a value left without a neighbour shows its interval as a bar.

    Parameters
    ----------
    result : ConditionComparison
    ax : None, Figure, SubFigure or sequence of 3 Axes
    logx : bool, optional
        Logarithmic scale axis (default: decided from the scales).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from distscale.describe import compare_conditions
    >>> from distscale.plot.conditions import condition_comparison
    >>> df = pd.DataFrame({"n": [1] * 6 + [2] * 6 + [4] * 6, "seed": list(range(6)) * 3,
    ...                    "arch": ["a", "a", "a", "b", "b", "b"] * 3,
    ...                    "acc": [0.1, 0.7, 0.8, 0.1, 0.2, 0.9, 0.6, 0.8, 0.9, 0.1, 0.7, 0.3,
    ...                            0.9, 0.8, 0.9, 0.6, 0.7, 0.3]})
    >>> res = compare_conditions(df, by="arch", threshold=0.5, n_resamples=200, rng=0,
    ...                          scale="n", seed="seed", value="acc")
    >>> fig = condition_comparison(res)
    >>> [a.get_ylabel() for a in fig.axes]
    ['P(success | a) − P(success | b)', 'mean | success: a − b', 'P(a beats b)']
    >>> plt.close("all")
    """
    check_type(result, ConditionComparison, "condition_comparison")
    fig, axes = _panels(ax, 3, sharex=True, figsize=(7.6, 8.4))
    a, b = (str(c) for c in result.conditions)
    x = result.scales
    labels = [fmt_scale(s) for s in x]
    for panel, statistic in zip(axes, result.statistics, strict=True):
        color, ylabel, reference = _PANELS[statistic]
        est = result.estimate(statistic)
        ci = result.interval(statistic)
        _curve(panel, x, est, ci.low, ci.high, color,
               f"per scale ({result.confidence_level:.0%} CI)")
        alone = _lone(est)  # no neighbour, so no band: its interval as a bar
        if alone.any():
            panel.vlines(x[alone], ci.low[alone], ci.high[alone], color=color, lw=6,
                         alpha=0.2)
        hline(panel, reference, "no difference")
        mean, overall = result.overall(statistic)
        if np.isfinite(mean):
            panel.axhline(mean, color=color, lw=1, ls="--",
                          label=f"average over scales {mean:.3g} "
                                f"[{overall.low:.3g}, {overall.high:.3g}]")
        missing = ~np.isfinite(est)
        if missing.any():
            where = ", ".join(labels[i] for i in np.flatnonzero(missing))
            panel.text(0.01, 0.97, f"undefined at {where} (a condition has no successful run)",
                       transform=panel.transAxes, va="top", fontsize="x-small", color="0.35")
        if statistic == "prob_improvement":
            panel.set_ylim(-0.03, 1.03)
        panel.set_ylabel(ylabel.format(a=a, b=b))
        _legend(panel, outside=True)
    for panel in axes[:-1]:
        panel.tick_params(labelbottom=False)
    scale_axis(axes[-1], x, result.scale_name, log_x(x, logx))
    rule = rule_text(result.threshold, result.higher_is_better, subject=result.metric)
    fig.suptitle(f"{a} vs {b} ({result.by}) at each {result.scale_name}; success: {rule}")
    return fig
