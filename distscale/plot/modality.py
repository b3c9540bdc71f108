"""The modality scan: mixture components, dip tests, capacity threshold."""

from __future__ import annotations

from matplotlib.figure import FigureBase

from distscale.modality import ModalityScan
from distscale.plot._style import (
    PALETTE,
    _color,
    _legend,
    _panels,
    _points,
    check_type,
    fmt_scale,
    hline,
    log_x,
    on_grid,
    scale_axis,
    vline,
)

__all__ = ["modality_scan"]


# --------------------------------------------------------------------- modality scan
def _component_order(label: str) -> tuple[int, str]:
    order = {"low": 0, "middle": 1, "high": 2, "single": 3}
    return (order.get(label, 4 if not label.startswith("at ") else 5), label)


def modality_scan(
    result: object, ax: object = None, *, logx: bool | None = None
) -> FigureBase:
    """The modality scan in three panels sharing the scale axis.

    Top: the weight of every mixture component at every scale (Gaussians
    labelled ``low``/``high`` by their means, or ``single``; point masses
    ``at 0`` ...); middle: the Gaussian components' means; both with their
    bootstrap intervals as bars. A component's points are joined only
    between successive scales where the fit has it: its line breaks at a
    scale where it is absent (one component there, or no point mass).
    Bottom: the dip test p-value at every scale and, when the scan has them,
    the Holm-adjusted p-values that decide bimodality (with the components'
    separation, ``result.separation``), with ``alpha``. The
    capacity threshold (the first scale detected as bimodal) is a vertical
    line in every panel, and so is the first scale where P(success) > 0.5
    when the scan has a success threshold.

    Parameters
    ----------
    result : ModalityScan
    ax : None, Figure, SubFigure or sequence of 3 Axes
        Where to draw (see the module notes).
    logx : bool, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np, distscale, distscale.plot
    >>> rng = np.random.default_rng(0)
    >>> data = {s: np.r_[rng.normal(0, 1, 40 - 10 * s), rng.normal(8, 1, 10 * s)]
    ...         for s in range(1, 4)}
    >>> scan = distscale.modality_scan(distscale.Population.from_dict(data),
    ...                                n_resamples=99, n_boot_ci=50, rng=0)
    >>> fig = distscale.plot.modality_scan(scan)
    >>> len(fig.axes)
    3
    >>> plt.close("all")
    """
    check_type(result, ModalityScan, "modality_scan")
    fig, (a_w, a_m, a_p) = _panels(ax, 3, sharex=True, figsize=(8.0, 7.5))
    comp = result.components
    labels = sorted(_unique(comp["component"]), key=_component_order)
    for i, label in enumerate(labels):
        rows = comp[comp["component"] == label].sort_values("scale", kind="stable")
        color = _color(label, i)
        for panel, parameter in ((a_w, "weight"), (a_m, "mean")):
            part = rows[rows["parameter"] == parameter]
            if len(part):  # NaN (a break in the line) where the component is absent
                x, est, low, high = on_grid(result.scales, part["scale"], part["estimate"],
                                             part["ci_low"], part["ci_high"])
                _points(panel, x, est, low, high, color, label)
    a_w.set_ylabel("component weight")
    a_w.set_ylim(-0.03, 1.03)
    a_m.set_ylabel(f"component mean ({result.metric})")
    x = result.scales
    a_p.plot(x, result.dip_pvalue, marker="o", ms=4, color=PALETTE["mean"],
             label="dip test p-value")
    if result.adjusted_pvalue is not None and result.method != "dip":
        a_p.plot(x, result.adjusted_pvalue, marker="s", ms=4, ls="--", color=PALETTE["fit"],
                 label=f"Holm-adjusted {result.method.upper()} p-value")
    elif result.adjusted_pvalue is not None:
        a_p.plot(x, result.adjusted_pvalue, marker="s", ms=4, ls="--", color=PALETTE["fit"],
                 label="Holm-adjusted dip p-value")
    hline(a_p, result.alpha, f"alpha = {result.alpha:g}")
    a_p.set_yscale("log")
    a_p.set_ylabel("p-value")
    log = log_x(x, logx)
    for panel in (a_w, a_m, a_p):
        first = panel is a_w
        if result.capacity_threshold is not None:
            vline(panel, result.capacity_threshold,
                   f"capacity threshold\n(scale {fmt_scale(result.capacity_threshold)})"
                   if first else None)
        if result.success_scale is not None:
            vline(panel, result.success_scale,
                   f"P(success) > 0.5\nfrom scale {fmt_scale(result.success_scale)}"
                   if first else None,
                   color=PALETTE["success_line"], ls=":")
        scale_axis(panel, x, result.scale_name, log)
        if panel is not a_p:
            panel.set_xlabel("")
    _legend(a_w, outside=True)
    _legend(a_p, outside=True)
    fig.suptitle(f"Modality of {result.metric} across {result.scale_name}")
    return fig


def _unique(values: object) -> list:
    """Distinct values in order of first appearance."""
    return list(dict.fromkeys(values))
