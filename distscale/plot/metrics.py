"""The same runs through several metrics (:class:`~distscale.MetricComparison`)."""

from __future__ import annotations

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.figure import FigureBase

from distscale.metrics import MetricComparison
from distscale.plot._style import (
    PALETTE,
    _curve,
    _legend,
    _panels,
    check_type,
    fmt_scale,
    log_x,
    on_grid,
    scale_axis,
    vline,
)

__all__ = ["metric_comparison"]


# ------------------------------------------------------------------ metric comparison
def metric_comparison(
    result: object, ax: object = None, *, cmap: str = "viridis", logx: bool | None = None
) -> FigureBase:
    """The same runs through several metrics: one column of two panels per metric.

    Top: the mean of the metric over runs at every scale with its bootstrap
    band (the nested or seed bootstrap of :func:`distscale.compare_metrics`),
    and the capacity threshold (first bimodal or split scale) as a vertical
    line; the panel title gives the metric's kind and verdict (jump,
    bimodality). Bottom: the threshold sweep ``P(run metric ≥ τ)`` (``≤ τ``
    for lower-is-better metrics) against scale, one line per level τ,
    coloured by τ (colour bar below the panel).

    Parameters
    ----------
    result : MetricComparison
    ax : None, Figure, SubFigure or sequence of 2 x n_metrics Axes
        Axes in row order: the top panels of every metric, then the bottom
        panels.
    cmap : str, default "viridis"
        Colours of the τ levels.
    logx : bool, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np, pandas as pd, distscale, distscale.plot
    >>> rng = np.random.default_rng(0)
    >>> rows = [(2 ** s, seed, i, float(t.all()), t.mean())
    ...         for s, p in enumerate([0.5, 0.7, 0.9]) for seed in range(5)
    ...         for i in range(20) for t in [rng.random(8) < p]]
    >>> df = pd.DataFrame(rows, columns=["scale", "seed", "sample_id", "exact_match",
    ...                                  "token_accuracy"])
    >>> res = distscale.compare_metrics(df, scale="scale", seed="seed",
    ...     metrics=["exact_match", "token_accuracy"], n_resamples=50, rng=0)
    >>> fig = distscale.plot.metric_comparison(res)
    >>> len(fig.axes)  # 2 metrics x 2 panels, and a colour bar per sweep
    6
    >>> plt.close("all")
    """
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable

    check_type(result, MetricComparison, "metric_comparison")
    metrics = tuple(result.metrics)
    k = len(metrics)
    fig, axes = _panels(ax, 2 * k, ncols=k, figsize=(4.4 * k + 0.6, 7.6))
    frame = result.to_frame()
    runs = frame[frame["source"] == "runs"]
    log = log_x(result.scales, logx)
    for j, m in enumerate(metrics):
        top, bottom = axes[j], axes[k + j]
        rows = runs[runs["metric"] == m]
        mean = rows[rows["quantity"] == "mean"].sort_values("scale", kind="stable")
        # on every scale, NaN (a break in the line) where the metric has no value
        _curve(top, *on_grid(result.scales, mean["scale"], mean["estimate"], mean["ci_low"],
                              mean["ci_high"]), PALETTE["mean"],
               f"mean ({result.confidence_level:.0%} {result.bootstrap} bootstrap)")
        verdict = result.verdicts[m]
        if verdict.capacity_threshold is not None:
            vline(top, verdict.capacity_threshold,
                   f"capacity threshold ({fmt_scale(verdict.capacity_threshold)})")
        jump = {True: "jump", False: "no jump", None: "jump n/a"}[verdict.jump]
        bim = {True: "bimodal", False: "not bimodal", None: "bimodality n/a"}[verdict.bimodal]
        top.set_title(f"{m} ({result.kinds[m]})\n{jump}, {bim}", fontsize="medium")
        top.set_ylabel(f"mean {m}")
        _legend(top, above=True)

        reach = rows[rows["quantity"] == "p_reach"]
        taus = np.unique(reach["tau"].to_numpy())
        norm = mcolors.Normalize(taus.min(), taus.max() if taus.max() > taus.min() else
                                 taus.min() + 1)
        for tau in taus:
            part = reach[reach["tau"] == tau].sort_values("scale", kind="stable")
            bottom.plot(*on_grid(result.scales, part["scale"], part["estimate"]), marker="o",
                        ms=3, lw=1.2, color=colormaps[cmap](norm(tau)), label=f"τ = {tau:.3g}")
        rule = "≥" if result.higher_is_better[m] else "≤"
        bottom.set_ylabel(f"P(run {m} {rule} τ)")
        bottom.set_ylim(-0.03, 1.03)
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=bottom, label="level τ",
                     location="bottom", aspect=40, shrink=0.9)
        scale_name = result.populations[m].scale
        for panel in (top, bottom):
            scale_axis(panel, result.scales, scale_name, log)
        top.set_xlabel("")
    fig.suptitle(f"{k} metrics of the same runs across {scale_name}")
    return fig
