"""Shared style of distscale.plot: palette, bands and bars, reference lines, legends,
the scale axis (log-x rule, tick labels), and Axes / Figure creation."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import FigureBase
from matplotlib.ticker import NullLocator
from matplotlib.transforms import Bbox

# ------------------------------------------------------------------------- style
#: Colours of statistics and mixture components (Okabe & Ito 2008).
PALETTE = {
    "mode": "#D55E00",
    "mean": "#000000",
    "median": "#999999",
    "p_success": "#0072B2",
    "mean_success": "#009E73",
    "mean_failure": "#CC79A7",
    "low": "#0072B2",
    "middle": "#009E73",
    "high": "#D55E00",
    "single": "#555555",
    "fit": "#0072B2",
    "alt_fit": "#D55E00",
    "marker": "#E69F00",
    "success_line": "#56B4E9",
    "reference": "#777777",
}
CYCLE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
LABELS = {
    "mode": "mode",
    "mean": "mean",
    "median": "median",
    "p_success": "P(success)",
    "mean_success": "mean | success",
    "mean_failure": "mean | failure",
}
_BAND_ALPHA = 0.2


def _color(key: object, i: int = 0) -> str:
    """The palette colour of ``key``, else the ``i``-th colour of the cycle."""
    if isinstance(key, str) and key in PALETTE:
        return PALETTE[key]
    return CYCLE[i % len(CYCLE)]


def _axes(ax: object, figsize: tuple[float, float] = (6.4, 4.4)) -> Axes:
    """``ax``, or the Axes of a new figure when it is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        return plt.subplots(figsize=figsize, layout="constrained")[1]
    if not isinstance(ax, Axes):
        raise TypeError(f"`ax` must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax


def _panels(
    ax: object, n: int, *, ncols: int = 1, sharex: bool = False, figsize: tuple = (6.4, 7.5)
) -> tuple[FigureBase, list[Axes]]:
    """A figure with ``n`` panels: new, added to a given Figure, or ``n`` given Axes."""
    nrows = math.ceil(n / ncols)
    if ax is None or isinstance(ax, FigureBase):
        if ax is None:
            import matplotlib.pyplot as plt

            fig = plt.figure(figsize=figsize, layout="constrained")
        else:
            fig = ax
        grid = fig.subplots(nrows, ncols, sharex=sharex, squeeze=False).ravel()
        for extra in grid[n:]:
            extra.remove()
        return fig, list(grid[:n])
    if isinstance(ax, Axes):
        raise TypeError(
            f"this picture has {n} panels: pass `ax` as a Figure or a sequence of {n} Axes, "
            "not a single Axes"
        )
    axes = list(np.ravel(np.asarray(ax, dtype=object))) if isinstance(
        ax, (list, tuple, np.ndarray)
    ) else None
    if axes is None or not all(isinstance(a, Axes) for a in axes):
        raise TypeError(
            f"`ax` must be None, a Figure or a sequence of {n} Axes; got {type(ax).__name__}"
        )
    if len(axes) != n:
        raise ValueError(f"`ax` must hold {n} Axes, one per panel; got {len(axes)}")
    return axes[0].get_figure(), axes


def log_x(scales: np.ndarray, logx: bool | None) -> bool:
    """Whether the scale axis is logarithmic (see the module notes)."""
    s = np.unique(np.asarray(scales, dtype=float))
    if logx is not None:
        if logx and s.size and s[0] <= 0:
            raise ValueError(f"`logx=True` needs positive scales; the smallest is {s[0]:g}")
        return bool(logx)
    if s.size < 2 or s[0] <= 0:
        return False
    if s[-1] / s[0] >= 100:
        return True
    if s.size < 3 or s[-1] / s[0] < 4:
        return False
    d_log, d_lin = np.diff(np.log(s)), np.diff(s)
    return bool(d_log.std() / d_log.mean() < d_lin.std() / d_lin.mean())


def fmt_scale(value: float, digits: int | None = None) -> str:
    """A scale for a label: ``14.1M`` from 10,000 up, else ``:g`` (``digits`` significant)."""
    a = abs(value)
    if a >= 1e4:
        for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
            if a >= div:
                return f"{value / div:.3g}{suffix}"
    return f"{value:g}" if digits is None else f"{value:.{digits}g}"


def fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "p = n/a"
    return f"p = {p:.2g}" if p >= 1e-4 else "p < 1e-4"


def scale_axis(ax: Axes, scales: np.ndarray, label: object, log: bool) -> None:
    """Label the scale (x) axis, make it logarithmic if asked, tick a few scales."""
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(str(label))
    s = np.unique(np.asarray(scales, dtype=float))
    spread = s.size < 2 or np.diff(s).min() >= np.ptp(s) / 15
    if 0 < s.size <= 12 and (log or spread):
        ax.set_xticks(s, [fmt_scale(v) for v in s])
        ax.xaxis.set_minor_locator(NullLocator())


def categorical_axis(ax: Axes, labels: Sequence[str], label: str, axis: str = "x") -> None:
    """Ticks at 0, 1, ... labelled ``labels`` (scales drawn side by side)."""
    pos = np.arange(len(labels))
    if axis == "x":
        ax.set_xticks(pos, labels)
        ax.set_xlabel(label)
    else:
        ax.set_yticks(pos, labels)
        ax.set_ylabel(label)


def _curve(ax: Axes, x, est, low, high, color: str, label: str, **kw) -> None:
    """A curve with markers and a translucent confidence band."""
    kw = {"marker": "o", "ms": 4, **kw}
    ax.plot(x, est, color=color, label=label, **kw)
    if low is not None:
        ax.fill_between(x, low, high, color=color, alpha=_BAND_ALPHA, lw=0)


def _points(ax: Axes, x, est, low, high, color: str, label: str, **kw) -> None:
    """Points joined by a thin line, each with a vertical confidence bar.

    Bars are drawn from ``low`` to ``high`` (not as errors around the
    estimate), so a percentile interval that excludes its estimate is shown
    as it is.
    """
    ax.plot(x, est, marker="o", ms=5, lw=1, color=color, label=label, **kw)
    ok = np.isfinite(low) & np.isfinite(high)
    if ok.any():
        ax.vlines(np.asarray(x)[ok], np.asarray(low)[ok], np.asarray(high)[ok], color=color,
                  lw=2, alpha=0.5)


def on_grid(grid, x, *columns) -> tuple[np.ndarray, ...]:
    """``columns`` (given at the scales ``x``) placed on every scale of ``grid``, NaN
    where a scale of ``grid`` is not in ``x``: matplotlib breaks a line at NaN, so a
    quantity that does not exist at a scale is not drawn as if it did."""
    x = np.asarray(x, dtype=float)
    grid = np.union1d(np.asarray(grid, dtype=float), x)  # sorted; keeps every point of x
    where = np.searchsorted(grid, x)
    out = []
    for col in columns:
        full = np.full(grid.shape, np.nan)
        full[where] = np.asarray(col, dtype=float)
        out.append(full)
    return (grid, *out)


def _lone(y) -> np.ndarray:
    """Mask of the finite values along the last axis of ``y`` with no finite neighbour:
    a line through NaN gaps draws nothing there, so they need a marker of their own."""
    ok = np.isfinite(np.asarray(y, dtype=float))
    pad = np.zeros((*ok.shape[:-1], 1), dtype=bool)
    before = np.concatenate([pad, ok[..., :-1]], axis=-1)
    after = np.concatenate([ok[..., 1:], pad], axis=-1)
    return ok & ~before & ~after


def hline(ax: Axes, y: float, label: str | None, **kw) -> None:
    ax.axhline(y, label=label, **{"color": PALETTE["reference"], "lw": 1, "ls": ":", **kw})


def vline(ax: Axes, x: float, label: str | None, **kw) -> None:
    ax.axvline(x, label=label, **{"color": PALETTE["marker"], "lw": 1.5, "ls": "--", **kw})


def _legend(ax: Axes, *, outside: bool = False, above: bool = False, **kw) -> None:
    """The legend, outside the axes so that it never covers data: ``outside``
    to the right of the axes, or ``above`` them (the title is moved up to make
    room, see :func:`_room_above`); else where it fits best (inside)."""
    if not (ax.get_legend_handles_labels()[0] or kw.get("handles")):
        return
    if outside:
        kw = {"loc": "upper left", "bbox_to_anchor": (1.02, 1), "borderaxespad": 0, **kw}
    elif above:
        kw = {"loc": "lower center", "bbox_to_anchor": (0.5, 1), "borderaxespad": 0.4, **kw}
    legend = ax.legend(fontsize="small", framealpha=0.85, **{"loc": "best", **kw})
    if above:
        _room_above(ax, legend)


def _room_above(ax: Axes, legend: object) -> None:
    """Keep the title of ``ax`` above ``legend`` when the legend sits above the axes.

    Matplotlib lifts a title over the top of the axes and of its child axes,
    not over a legend. So an invisible child axes is laid over the strip
    that the legend takes above ``ax``, measured at every draw: the title
    clears the legend at any figure size and dpi, also after ``set_title``
    is called again (the report re-titles trend panels).
    """
    spacer = ax.inset_axes((0, 1, 1, 0))
    spacer.set_axes_locator(_LegendStrip(ax, legend))
    spacer.set_axis_off()
    spacer.set_in_layout(False)
    spacer.set_navigate(False)
    spacer.set_label("_legend room")


class _LegendStrip:
    """Axes locator of :func:`_room_above` (a class, so that figures still pickle)."""

    def __init__(self, ax: Axes, legend: object) -> None:
        self.ax, self.legend = ax, legend

    def __call__(self, spacer: Axes, renderer: object) -> Bbox:
        box = self.ax.bbox
        rise = 0.0
        if self.ax.get_legend() is self.legend and self.legend.get_visible():
            rise = max(self.legend.get_window_extent(renderer).y1 - box.y1, 0.0)
        strip = Bbox.from_bounds(box.x0, box.y1, box.width, max(rise, 1e-6))
        return strip.transformed(self.ax.get_figure(root=False).transSubfigure.inverted())



def check_type(result: object, types: type | tuple[type, ...], function: str) -> None:
    """TypeError unless ``result`` is an instance of one of the result classes ``types``."""
    types = (types,) if isinstance(types, type) else tuple(types)
    if not isinstance(result, types):
        names = " or ".join(t.__name__ for t in types)
        raise TypeError(
            f"`result` of distscale.plot.{function} must be a {names}; "
            f"got {type(result).__name__}"
        )
