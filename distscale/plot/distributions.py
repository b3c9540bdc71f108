"""Seed distributions scale by scale, and how they shift between scales."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.axes import Axes

from distscale._lib.validation import check_one_of
from distscale.describe import DistributionShift
from distscale.plot._style import (
    CYCLE,
    PALETTE,
    _axes,
    _legend,
    _points,
    categorical_axis,
    check_type,
    fmt_scale,
    hline,
    vline,
)
from distscale.population import Population

__all__ = ["distribution_shift", "seed_distributions"]


# --------------------------------------------------------------- seed distributions
def seed_distributions(
    population: Population,
    *,
    metric: Hashable | None = None,
    kind: str = "ridgeline",
    threshold: float | None = None,
    bins: int | Sequence[float] = 20,
    ax: Axes | None = None,
) -> Axes:
    """The distribution of a metric over seeds, scale by scale.

    Parameters
    ----------
    population : Population
        The runs (one task; narrow several with ``population.select(task=...)``).
    metric : str, optional
        Which metric column, when the population has several.
    kind : {"ridgeline", "violin"}, default "ridgeline"
        ``"ridgeline"``: one filled histogram per scale (common bins),
        stacked from the smallest scale at the bottom, each scaled to its own
        tallest bin (the shapes are compared, not the counts; the number of
        seeds is in the tick label), with a rug of the seed values.
        ``"violin"``: matplotlib's violins (a kernel density per scale, left
        out where the values do not vary) with every seed drawn as a point,
        jittered sideways by a fixed random generator (the same picture every
        time).
    threshold : float, optional
        Success threshold, drawn as a line.
    bins : int or sequence of float, default 20
        Histogram bins, as :func:`numpy.histogram_bin_edges` (ridgeline).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import distscale, distscale.plot
    >>> pop = distscale.datasets.load_polypythias()
    >>> ax = distscale.plot.seed_distributions(pop, metric="mean_bigram_loss", threshold=8.0)
    >>> len(ax.patches)  # one filled histogram per model size
    4
    >>> plt.close("all")
    """
    if not isinstance(population, Population):
        raise TypeError(
            f"`population` must be a distscale Population; got {type(population).__name__}"
        )
    check_one_of("kind", kind, ("ridgeline", "violin"))
    values = population.values(metric)  # checks `metric`
    metric = population.metric if metric is None else metric
    scales, n = population.scales, population.n_seeds()
    ax = _axes(ax)
    shades = [mcolors.to_hex(c) for c in _scale_shades(len(scales))]
    ticks = [f"{fmt_scale(s)} (n={k})" for s, k in zip(scales, n, strict=True)]
    if kind == "ridgeline":
        edges = np.histogram_bin_edges(np.concatenate(values), bins=bins)
        for i, v in enumerate(values):
            counts = np.histogram(v, edges)[0]
            height = 0.85 * counts / max(counts.max(), 1)
            ax.stairs(i + height, edges, baseline=i, fill=True, lw=1, edgecolor=shades[i],
                      facecolor=mcolors.to_rgba(shades[i], 0.55))
        rug_x = np.concatenate(values)
        rug_y = np.concatenate([np.full(v.size, i - 0.06) for i, v in enumerate(values)])
        ax.scatter(rug_x, rug_y, marker="|", s=40, lw=1, color="k", alpha=0.6,
                   label="seeds")
        categorical_axis(ax, ticks, str(population.scale), axis="y")
        ax.set_ylim(-0.3, len(scales) - 0.1)
        ax.set_xlabel(str(metric))
        if threshold is not None:
            vline(ax, threshold, f"threshold {threshold:g}")
    else:
        spread = [i for i, v in enumerate(values) if v.size >= 2 and np.ptp(v) > 0]
        if spread:
            parts = ax.violinplot([values[i] for i in spread], positions=spread, widths=0.8,
                                  showextrema=False)
            for body, i in zip(parts["bodies"], spread, strict=True):
                body.set_facecolor(shades[i])
                body.set_edgecolor(shades[i])
                body.set_alpha(0.35)
        jitter = np.random.default_rng(0)
        xs = np.concatenate([i + jitter.uniform(-0.12, 0.12, v.size) for i, v in enumerate(values)])
        ax.scatter(xs, np.concatenate(values), s=14, color="k", alpha=0.6, lw=0, zorder=3,
                   label="seeds")
        categorical_axis(ax, [t.replace(" (", "\n(") for t in ticks], str(population.scale))
        ax.set_ylabel(str(metric))
        if threshold is not None:
            hline(ax, threshold, f"threshold {threshold:g}", color=PALETTE["marker"], ls="--")
    ax.set_title(f"{metric} over seeds at each {population.scale}")
    _legend(ax, above=True, ncol=2)
    return ax


def _scale_shades(k: int) -> np.ndarray:
    """One colour per scale, from the viridis map (dark = small scale)."""
    from matplotlib import colormaps

    return colormaps["viridis"](np.linspace(0.1, 0.85, max(k, 1)))[:k]


# ----------------------------------------------------------------- distribution shift
def distribution_shift(
    result: object, ax: Axes | None = None, *, p: float | None = None
) -> Axes:
    """Wasserstein distances between successive scales, with confidence intervals.

    Each step from one scale to the next is a position on the x axis
    (labelled ``from→to``); each order ``p`` of the distance is a line of
    points with vertical interval bars, slightly offset from the others.

    Parameters
    ----------
    result : DistributionShift
    ax : matplotlib.axes.Axes, optional
    p : float, optional
        Draw only this order (default: every order of the result).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import distscale, distscale.plot
    >>> pop = distscale.Population.from_dict({1: [0.0, 0.1, 0.2], 2: [0.1, 0.2, 0.9],
    ...                                       4: [0.8, 0.9, 0.9]})
    >>> res = distscale.distribution_shift(pop, n_resamples=200, rng=0)
    >>> ax = distscale.plot.distribution_shift(res)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['1→2', '2→4']
    >>> plt.close("all")
    """
    check_type(result, DistributionShift, "distribution_shift")
    orders = result.p if p is None else (p,)
    for order in orders:
        check_one_of("p", order, result.p)
    ax = _axes(ax)
    pos = np.arange(len(result.scale_from), dtype=float)
    for j, order in enumerate(orders):
        col = result.p.index(order)
        off = (j - (len(orders) - 1) / 2) * 0.1
        _points(ax, pos + off, result.estimates[:, col], result.ci_low[:, col],
                result.ci_high[:, col], CYCLE[j], f"W{order:g}")
    steps = [f"{fmt_scale(a)}→{fmt_scale(b)}" for a, b in zip(result.scale_from,
                                                                    result.scale_to, strict=True)]
    categorical_axis(ax, steps, "scale step")
    ax.set_ylabel(f"Wasserstein distance ({result.metric})")
    ax.set_ylim(bottom=0)
    ax.set_title(
        f"Change of the seed distribution between scales ({result.confidence_level:.0%} CIs)"
    )
    _legend(ax, above=True, ncol=len(orders))
    return ax
