"""How the threshold-dependent verdicts move with the success threshold."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from distscale.plot._style import (
    CYCLE,
    PALETTE,
    _legend,
    _panels,
    _points,
    check_type,
    fmt_scale,
    hline,
)
from distscale.success import ThresholdSensitivity

__all__ = ["threshold_sensitivity"]

_WORD_COLORS = {
    "explained by P(success)": PALETTE["p_success"],
    "about half P(success)": PALETTE["marker"],
    "not mainly P(success)": PALETTE["mean_failure"],
    "no clear change": PALETTE["reference"],
    "undefined": PALETTE["reference"],
}


def threshold_sensitivity(result: ThresholdSensitivity, ax: object = None) -> Figure:
    """Three panels against the success threshold τ.

    Top: the share of the mean's change due to P(success), with its
    interval, each point coloured by the verdict it gives (the line at one
    half is the rule). Middle: x50 with its interval (log scale). Bottom: the
    observed fraction of successful runs at each scale. Degenerate thresholds
    (every run on one side) are left out.

    Parameters
    ----------
    result : ThresholdSensitivity
    ax : matplotlib Figure or sequence of 3 Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import distscale, distscale.plot
    >>> pop = distscale.datasets.load_count_population().select(metric="exact_match")
    >>> res = distscale.threshold_sensitivity(pop, n_thresholds=4, n_resamples=50, rng=0)
    >>> fig = distscale.plot.threshold_sensitivity(res)
    >>> len(fig.axes)
    3
    """
    check_type(result, ThresholdSensitivity, "threshold_sensitivity")
    fig, (top, mid, low) = _panels(ax, 3, sharex=True, figsize=(6.8, 8.2))
    keep = (result.table["mean_change"] != "degenerate").to_numpy()
    tau = result.thresholds[keep]
    sym = ">" if result.higher_is_better else "<"

    share = result.share[keep]
    lo, hi = result.share_low[keep], result.share_high[keep]
    _points(top, tau, share, lo, hi, PALETTE["reference"], "share (95% CI)")
    words = result.table["mean_change"].to_numpy()[keep]
    for word, color in _WORD_COLORS.items():
        m = words == word
        if m.any():
            top.plot(tau[m], share[m], "o", ms=8, color=color, label=word, zorder=3)
    hline(top, 0.5, None)
    top.set_ylabel("share of the mean's change\ndue to P(success)")
    top.set_title(f"Verdicts against the success threshold ({result.metric} {sym} τ)")
    _legend(top, above=True, ncols=2)

    x50 = result.x50[keep]
    finite = np.isfinite(x50)
    if finite.any():
        _points(mid, tau[finite], x50[finite], result.x50_low[keep][finite],
                result.x50_high[keep][finite], PALETTE["p_success"], "x50 (95% CI)")
        mid.set_yscale("log")
        ticks = mid.get_yticks()
        mid.set_yticks(ticks, [fmt_scale(t) for t in ticks])
        mid.set_ylim(np.nanmin(result.x50_low[keep]) / 1.3, np.nanmax(result.x50_high[keep]) * 1.3)
    mid.set_ylabel("x50 (scale where\nP(success) = 50%)")
    if not finite.all():
        for t in tau[~finite]:
            mid.axvline(t, color=PALETTE["reference"], lw=0.8, ls="--")
        mid.text(0.01, 0.97, "dashed: no x50 at this τ", transform=mid.transAxes, va="top",
                 fontsize=8, color=PALETTE["reference"])

    for j, s in enumerate(result.scales):
        low.plot(tau, result.p_observed[keep, j], marker="o", ms=3,
                 color=CYCLE[j % len(CYCLE)], label=fmt_scale(s))
    low.set_ylim(-0.03, 1.03)
    low.set_ylabel("observed P(success)")
    low.set_xlabel("success threshold τ")
    _legend(low, outside=True, title="scale")
    return fig
