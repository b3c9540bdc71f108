"""Pictures of the distributional scaling law: fits over histograms, predictions, backtests,
seed plans and the law's split of the mean's change."""

from __future__ import annotations

import math
import warnings

import numpy as np
from matplotlib.axes import Axes

from distscale._lib.success_rule import rule_symbol
from distscale.law import (
    BacktestResult,
    DistributionalScalingLaw,
    ExtrapolationWarning,
    LawMeanDecomposition,
    PredictiveDistribution,
    SeedPlan,
)
from distscale.plot._style import (
    _BAND_ALPHA,
    CYCLE,
    PALETTE,
    _axes,
    _legend,
    _panels,
    check_type,
    fmt_scale,
    hline,
    vline,
)

__all__ = ["backtest", "law_decomposition", "predictive_distribution", "scaling_law", "seed_plan"]


def _grid(pred: PredictiveDistribution, data: list[np.ndarray], n: int = 300) -> np.ndarray:
    """Metric values to draw densities at: inside the range, spanning data and predictions."""
    t = pred.transform
    q = pred.quantile([0.001, 0.999])
    lo = float(np.nanmin(q.ci.low if np.isfinite(q.ci.low).all() else q.estimate))
    hi = float(np.nanmax(q.ci.high if np.isfinite(q.ci.high).all() else q.estimate))
    for x in data:
        if x.size:
            lo, hi = min(lo, float(x.min())), max(hi, float(x.max()))
    pad = 0.05 * (hi - lo or 1.0)
    lo, hi = lo - pad, hi + pad
    if math.isfinite(t.lo):
        lo = max(lo, t.lo)
    if math.isfinite(t.hi):
        hi = min(hi, t.hi)
    width = hi - lo
    return np.linspace(lo + 1e-4 * width, hi - 1e-4 * width, n)


def _density_panel(ax: Axes, pred: PredictiveDistribution, j: int, data: np.ndarray | None,
                   grid: np.ndarray, bins: int, color: str, label: str) -> None:
    """One scale: observed histogram (interior values, area = their share), fitted density with
    its band, point masses (observed and fitted) on a right-hand probability axis."""
    piles = [v for v in (pred.pile_failure, pred.pile_success) if math.isfinite(v)]
    if data is not None and data.size:
        inside = data[~np.isin(data, piles)] if piles else data
        if inside.size:
            edges = np.histogram_bin_edges(inside, bins=bins)
            w = np.full(inside.size, 1.0 / data.size)
            ax.hist(inside, bins=edges, weights=w / np.diff(edges)[0], color="0.8",
                    edgecolor="0.6", lw=0.5, label="observed runs")
    dens = pred.pdf(grid)
    est = np.atleast_2d(dens.estimate)[j]
    lo = np.atleast_2d(dens.ci.low)[j]
    hi = np.atleast_2d(dens.ci.high)[j]
    ax.plot(grid, est, color=color, lw=1.8, label=label)
    if np.isfinite(lo).any():
        ax.fill_between(grid, lo, hi, color=color, alpha=_BAND_ALPHA, lw=0)
    vline(ax, pred.threshold, None, color=PALETTE["reference"], lw=1, ls=":")
    ax.set_ylim(bottom=0)
    if piles:
        right = ax.twinx()
        masses = pred.point_masses()
        m_est = np.atleast_2d(masses.estimate)[j]
        m_lo = np.atleast_2d(masses.ci.low)[j]
        m_hi = np.atleast_2d(masses.ci.high)[j]
        for i, v in enumerate(np.atleast_1d(masses.x)):
            right.plot([v], [m_est[i]], marker="D", color=color, ms=6, ls="none")
            if np.isfinite(m_lo[i]):
                right.vlines(v, m_lo[i], m_hi[i], color=color, lw=2, alpha=0.5)
            if data is not None and data.size:
                right.plot([v], [np.mean(data == v)], marker="s", color="0.35", ms=5, ls="none",
                           mfc="none")
        right.set_ylim(0, 1.02)
        right.set_ylabel("share at a bound", fontsize="small")
        right.tick_params(labelsize="small")


def scaling_law(
    law: DistributionalScalingLaw,
    *,
    at: object = None,
    scales: object = None,
    bins: int = 20,
    ncols: int = 3,
    ax: object = None,
) -> object:
    """The fitted densities over the observed histograms, one panel per scale (and per ``at``).

    Each panel shows the runs of one scale (a histogram of the values inside
    the metric's range, scaled so its area is their share), the law's
    density there with its seed-bootstrap band, and, on the right-hand axis,
    each point mass: fitted (diamond, with its band) and observed (open
    square). Panels for the scales in ``at`` show the law's prediction only.

    Parameters
    ----------
    law : DistributionalScalingLaw
        Fitted.
    at : float or sequence of float, optional
        Scales to predict (extrapolation allowed).
    scales : sequence of float, optional
        The fitted scales to draw (each one of ``law.scales_``); default all.
        With many scales a few evenly spaced ones read better.
    bins : int, default 20
    ncols : int, default 3
    ax : Figure or sequence of Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import distscale as ds, distscale.plot.law
    >>> pop = ds.datasets.load_count_population().select(metric="exact_match")
    >>> law = ds.law.DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=20,
    ...                                   rng=0).fit(pop)
    >>> fig = distscale.plot.law.scaling_law(law, at=2e5)  # doctest: +SKIP
    >>> fig = distscale.plot.law.scaling_law(law)
    >>> len(fig.axes) >= 6
    True
    >>> fig = distscale.plot.law.scaling_law(law, scales=law.scales_[[0, -1]], at=2e5)
    >>> [a.get_title() for a in fig.axes if a.get_title()][-1].endswith("(predicted)")
    True
    >>> plt.close("all")
    """
    check_type(law, DistributionalScalingLaw, "law.scaling_law")
    law._check_fitted()
    extra = [] if at is None else [float(v) for v in np.atleast_1d(at)]
    if scales is None:
        chosen = np.arange(law.scales_.size)
    else:
        wanted = np.atleast_1d(np.asarray(scales, dtype=float))
        missing = [f"{v:g}" for v in wanted if not np.isclose(law.scales_, v).any()]
        if missing or wanted.size == 0:
            raise ValueError(
                f"`scales` must name fitted scales (law.scales_); {', '.join(missing) or 'none'}"
                " given is not one"
            )
        chosen = np.array([int(np.flatnonzero(np.isclose(law.scales_, v))[0]) for v in wanted])
    scales = np.r_[law.scales_[chosen], extra]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        pred = law.predict(scales)
    data = [law.values_[i] for i in chosen] + [None] * len(extra)
    grid = _grid(pred, [d for d in data if d is not None])
    n = scales.size
    fig, axes = _panels(ax, n, ncols=min(ncols, n), figsize=(3.2 * min(ncols, n),
                                                             2.6 * math.ceil(n / ncols)))
    for j, (a, s) in enumerate(zip(axes, scales, strict=True)):
        new = j >= chosen.size
        color = PALETTE["alt_fit"] if new else PALETTE["fit"]
        _density_panel(a, pred, j, data[j], grid, bins, color,
                       "predicted" if new else "fitted law")
        what = "predicted" if new else f"n = {data[j].size}"
        a.set_title(f"{law.scale_name_} {fmt_scale(s)} ({what})", fontsize="small")
        a.set_xlabel(str(law.metric_), fontsize="small")
        a.tick_params(labelsize="small")
    axes[0].set_ylabel("density (continuous part)")
    _legend(axes[0], above=True, ncol=2)
    fig.suptitle(f"Distributional scaling law: {law.transform_.describe()} parts, "
                 f"{law.confidence_level_:.0%} bootstrap bands", fontsize="medium")
    return fig


def predictive_distribution(pred: PredictiveDistribution, *, ax: Axes | None = None,
                            n_grid: int = 300) -> Axes:
    """A predicted seed distribution (one curve per scale) with its band and point masses.

    The density of the continuous part is drawn on ``ax``; point masses (with
    their bands) on a right-hand probability axis.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import distscale as ds, distscale.plot.law
    >>> pop = ds.datasets.load_count_population().select(metric="exact_match")
    >>> law = ds.law.DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=20,
    ...                                   rng=0).fit(pop)
    >>> ax = distscale.plot.law.predictive_distribution(law.predict(law.scales_[-2:]))
    >>> len(ax.lines) >= 2
    True
    >>> plt.close("all")
    """
    check_type(pred, PredictiveDistribution, "law.predictive_distribution")
    ax = _axes(ax)
    grid = _grid(pred, [], n_grid)
    for j, s in enumerate(pred.scales):
        color = CYCLE[j % len(CYCLE)]
        tag = " (extrapolated)" if pred.extrapolated[j] else ""
        best = f", best of {pred.k}" if pred.k > 1 else ""
        _density_panel(ax, pred, j, None, grid, 20, color,
                       f"{pred.scale_name or 'scale'} {fmt_scale(s)}{tag}{best}")
    ax.set_xlabel(str(pred.metric or "value"))
    ax.set_ylabel("density (continuous part)")
    _legend(ax, above=True, ncol=2)
    ax.set_title(f"Predicted seed distribution\n({pred.confidence_level:.0%} bootstrap bands; "
                 f"success: {rule_symbol(pred.higher_is_better)} {pred.threshold:g})",
                 fontsize="medium")
    return ax


def backtest(result: BacktestResult, *, score: str = "crps", ax: Axes | None = None) -> Axes:
    """Each forecast's score at each held-out scale, with its interval (lower is better).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import distscale as ds, distscale.plot.law
    >>> pop = ds.datasets.load_count_population().select(metric="exact_match")
    >>> bt = ds.law.backtest(pop, threshold=0.5, bounds=(0, 1), n_resamples=20, rng=0)
    >>> ax = distscale.plot.law.backtest(bt)
    >>> plt.close("all")
    """
    check_type(result, BacktestResult, "law.backtest")
    if score not in ("crps", "log_score"):
        raise ValueError(f"`score` must be one of 'crps', 'log_score'; got {score!r}")
    ax = _axes(ax)
    val = getattr(result, score)
    lo, hi = getattr(result, f"{score}_ci")
    k = len(result.holdout_scales)
    width = 0.7 / k
    for i, s in enumerate(result.holdout_scales):
        x = np.arange(len(result.models)) + (i - (k - 1) / 2) * width
        color = CYCLE[i % len(CYCLE)]
        ax.plot(x, val[i], "o", color=color, label=f"held out: {fmt_scale(s)}")
        ok = np.isfinite(lo[i]) & np.isfinite(hi[i])
        ax.vlines(x[ok], lo[i][ok], hi[i][ok], color=color, lw=2, alpha=0.5)
    ax.set_xticks(np.arange(len(result.models)),
                  [m.replace("_", "\n") for m in result.models], fontsize="small")
    ax.set_ylabel("CRPS (lower is better)" if score == "crps" else "log score (lower is better)")
    _legend(ax, above=True, ncol=min(k, 3))
    ax.set_title(f"Backtest: law and baselines\n({result.confidence_level:.0%} "
                 "seed-bootstrap intervals)", fontsize="medium")
    return ax


def seed_plan(plan: SeedPlan, *, ax: Axes | None = None) -> Axes:
    """The power (or coverage) curve against the number of seeds, with the target.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import distscale as ds, distscale.plot.law
    >>> ax = distscale.plot.law.seed_plan(ds.law.seeds_needed("p_success", p=0.3, half_width=0.1))
    >>> plt.close("all")
    """
    check_type(plan, SeedPlan, "law.seed_plan")
    ax = _axes(ax)
    c = plan.curve
    color = PALETTE["fit"]
    ax.plot(c["n"], c["value"], color=color, marker="o" if len(c) < 40 else None, ms=3,
            label=plan.quantity)
    if not np.allclose(c["ci_low"], c["value"]):
        ax.fill_between(c["n"], c["ci_low"], c["ci_high"], color=color, alpha=_BAND_ALPHA,
                        lw=0, label="Monte Carlo 95% interval")
    hline(ax, plan.target, f"target {plan.target:g}")
    if plan.n_seeds is not None:
        vline(ax, plan.n_seeds, f"{plan.n_seeds} seeds")
    ax.set_xlabel("seeds" + (" per group" if plan.goal == "difference" else ""))
    ax.set_ylabel(plan.quantity)
    ax.set_ylim(-0.02, 1.02)
    _legend(ax, above=True, ncol=3)
    ax.set_title(f"Seeds needed: {plan.goal.replace('_', ' ')}")
    return ax


def law_decomposition(result: LawMeanDecomposition, *, ax: Axes | None = None) -> Axes:
    """The overall change of the mean split into its parts, by the law and by the data.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import distscale as ds, distscale.plot.law
    >>> pop = ds.datasets.load_count_population().select(metric="exact_match")
    >>> law = ds.law.DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=20,
    ...                                   rng=0).fit(pop)
    >>> ax = distscale.plot.law.law_decomposition(law.decompose_mean(rng=0))
    >>> plt.close("all")
    """
    check_type(result, LawMeanDecomposition, "law.law_decomposition")
    ax = _axes(ax)
    parts = ("change", "p_success", "mean_success", "mean_failure")
    names = ("change", "from P(success)", "from successful runs", "from failed runs")
    emp = result.empirical
    x = np.arange(len(parts))
    for off, (src, est, lo, hi, color) in zip((-0.18, 0.18), (
        ("law", result.estimates[-1], result.ci_low[-1], result.ci_high[-1], PALETTE["fit"]),
        ("empirical", emp.estimates[-1], emp.ci_low[-1], emp.ci_high[-1], "0.45"),
    ), strict=True):
        ax.bar(x + off, est, width=0.34, color=color, alpha=0.75, label=src)
        ax.vlines(x + off, lo, hi, color="k", lw=1.5)
    ax.axhline(0, color=PALETTE["reference"], lw=0.8)
    ax.set_xticks(x, names, fontsize="small")
    ax.set_ylabel(f"change of the mean of {result.metric}")
    _legend(ax, above=True, ncol=2)
    ax.set_title(f"Smallest to largest scale: {fmt_scale(result.scale_from[-1])} → "
                 f"{fmt_scale(result.scale_to[-1])}")
    return ax
