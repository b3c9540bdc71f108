"""Per-metric analyses of :func:`distscale.compare_metrics` (private).

For one metric of the study: the nested (or seed) bootstrap of the run
values with the scores of the oriented mean curve and of ``P(run metric ≥
τ)``; the summary curves and their emergence scores; the modality scan with
its bimodal and split scales; and the per-seed emergence scores. Each
analysis appends its rows of the tidy table to the shared :class:`Study`,
and :class:`_Notes` turns the warnings of the component analyses into notes.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.results import scale_labels
from distscale._lib.validation import format_labels
from distscale.describe.emergence_core import MIN_POINTS, score_curves
from distscale.describe.emergence_curves import curve_emergence
from distscale.describe.emergence_curves import per_seed_emergence as _per_seed
from distscale.describe.summary import summary_curves
from distscale.modality.scan import modality_scan
from distscale.population import Population
from distscale.resampling.nested import nested_bootstrap

#: Fewest seeds at a scale for the modality scan to assess it.
MIN_MODALITY_SEEDS = 4


class _Notes:
    """Collect DegenerateDataWarning / UserWarning messages of component analyses."""

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes
        self.count = 0

    def run(self, label: str, fn, *args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = fn(*args, **kwargs)
        for w in caught:
            if issubclass(w.category, UserWarning):
                self.notes.append(f"{label}: {w.message}")
                self.count += 1
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return out

# ------------------------------------------------------------------------ statistics
def _ratio(brk: np.ndarray, lin: np.ndarray) -> np.ndarray:
    out = np.full(np.shape(brk), np.nan)
    np.divide(np.abs(brk), np.abs(lin), out=out, where=lin != 0)
    return out


def _run_statistic(n_scales: int, taus: np.ndarray, higher: bool):
    """Per scale: mean, P(reach τ); per curve: scores of the oriented mean and P(reach τ)."""
    sign = 1.0 if higher else -1.0
    n_tau = taus.size

    def statistic(*runs: np.ndarray) -> np.ndarray:
        b = runs[0].shape[0]
        means = np.column_stack([r.mean(axis=1) for r in runs])
        reach = np.stack(
            [((r[:, :, None] >= taus) if higher else (r[:, :, None] <= taus)).mean(axis=1)
             for r in runs],
            axis=1,
        )  # (b, n_scales, n_tau)
        out = [means, reach.reshape(b, -1)]
        if n_scales >= MIN_POINTS:
            core = score_curves(sign * means)
            out.append(np.column_stack([core.breakthroughness, core.linearity, core.improvement,
                                        _ratio(core.breakthroughness, core.linearity)]))
            curves = reach.transpose(0, 2, 1).reshape(b * n_tau, n_scales)
            pc = score_curves(curves)
            out.append(np.column_stack(
                [x.reshape(b, n_tau) for x in (pc.breakthroughness, pc.linearity,
                                               _ratio(pc.breakthroughness, pc.linearity))]
            ))
        return np.hstack(out)

    return statistic


def _rows(metric, source, quantity, scale, tau, est, lo=np.nan, hi=np.nan, n=np.nan):
    k = np.size(est)
    full = [np.broadcast_to(np.asarray(x, dtype=float), (k,)) for x in (scale, tau, est, lo, hi, n)]
    return pd.DataFrame({
        "metric": pd.Series([metric] * k, dtype=object),
        "source": source,
        "quantity": quantity if np.ndim(quantity) else [quantity] * k,
        "scale": full[0], "tau": full[1], "estimate": full[2],
        "ci_low": full[3], "ci_high": full[4], "n_seeds": full[5],
    })

# ------------------------------------------------------------- per-metric analyses
@dataclass
class Study:
    """What every per-metric analysis of one :func:`compare_metrics` call shares."""

    scales: np.ndarray
    n_seeds: np.ndarray
    mats: list
    paired: bool
    level: str
    n_resamples: int
    confidence_level: float
    rng: np.random.Generator
    log: _Notes
    progress: bool
    scale: Hashable
    seed: Hashable
    has_seeds: bool
    jump_ratio: float
    modality_options: dict
    parts: list


def runs_part(ctx: Study, m: Hashable, taus: np.ndarray, higher: bool) -> dict:
    """Nested (or seed) bootstrap of the run values; returns the mean curve's scores."""
    n, n_tau = ctx.scales.size, taus.size
    res = ctx.log.run(f"{m}: bootstrap", nested_bootstrap, [mt[m] for mt in ctx.mats],
                      _run_statistic(n, taus, higher), level=ctx.level,
                      paired_examples=ctx.paired, n_resamples=ctx.n_resamples,
                      confidence_level=ctx.confidence_level, rng=ctx.rng, progress=ctx.progress)
    est, low, high = res.estimate, res.ci_low, res.ci_high
    add = ctx.parts.append
    add(_rows(m, "runs", "mean", ctx.scales, np.nan, est[:n], low[:n], high[:n], ctx.n_seeds))
    j = n + n * n_tau
    add(_rows(m, "runs", "p_reach", np.repeat(ctx.scales, n_tau), np.tile(taus, n),
              est[n:j], low[n:j], high[n:j], np.repeat(ctx.n_seeds, n_tau)))
    curve = dict.fromkeys(("breakthroughness", "linearity", "improvement", "step_ratio"),
                          (np.nan, np.nan, np.nan))
    if n >= MIN_POINTS:
        for i, name in enumerate(curve):
            curve[name] = (est[j + i], low[j + i], high[j + i])
            add(_rows(m, "runs", f"mean_{name}", np.nan, np.nan, *curve[name]))
        j += 4
        for i, name in enumerate(("breakthroughness", "linearity", "step_ratio")):
            sl = slice(j + i * n_tau, j + (i + 1) * n_tau)
            add(_rows(m, "runs", f"p_reach_{name}", np.nan, taus, est[sl], low[sl], high[sl]))
    return curve


def summary_part(ctx: Study, m: Hashable, pop: Population, threshold: float, higher: bool):
    """Summary curves, their emergence scores, and the step ratio of P(success)."""
    summ = ctx.log.run(f"{m}: summary curves", summary_curves, pop, threshold=threshold,
                       higher_is_better=higher, n_resamples=ctx.n_resamples,
                       confidence_level=ctx.confidence_level, rng=ctx.rng)
    sf = summ.to_frame()
    ctx.parts.append(_rows(m, "summary_curves", sf["statistic"].to_numpy(), sf["scale"],
                           np.nan, sf["estimate"], sf["ci_low"], sf["ci_high"], sf["n"]))
    if ctx.scales.size < MIN_POINTS:
        return summ, None, np.nan
    sc = ctx.log.run(f"{m}: summary emergence", curve_emergence, summ)
    for name in ("breakthroughness", "linearity"):
        ctx.parts.append(_rows(m, "summary_emergence", [f"{s}_{name}" for s in sc.statistics],
                               np.nan, np.nan, getattr(sc, name)))
    i = sc.statistics.index("p_success")
    return summ, sc, float(_ratio(sc.breakthroughness[i:i + 1], sc.linearity[i:i + 1])[0])


def modality_part(ctx: Study, m: Hashable, pop: Population, threshold: float, higher: bool,
                   bounded: bool):
    """Modality scan on the scales with enough seeds; bimodal and split scales."""
    none = (None, (), (), (), None)
    if not ctx.has_seeds:
        return none
    enough = ctx.n_seeds >= MIN_MODALITY_SEEDS
    if not enough.all():
        labels = scale_labels(ctx.scales)
        ctx.log.notes.append(
            f"{m}: modality not assessed at scales "
            f"{format_labels([labels[i] for i in np.flatnonzero(~enough)])} "
            f"(fewer than {MIN_MODALITY_SEEDS} seeds)"
        )
    if not enough.any():
        return none
    opts = {"method": "lrt", "n_boot_ci": None,
            "n_resamples": max(199, 20 * int(enough.sum()) - 1)}
    if bounded:
        opts["bounds"] = (0.0, 1.0)
    opts.update(ctx.modality_options)
    runs = pop.to_frame()
    keep = np.isin(runs[ctx.scale].to_numpy(), ctx.scales[enough])
    sub = Population(runs.loc[keep], scale=ctx.scale, seed=ctx.seed, value=m)
    scan = ctx.log.run(f"{m}: modality scan", modality_scan, sub, success_threshold=threshold,
                       higher_is_better=higher, rng=ctx.rng, progress=ctx.progress, **opts)
    # a pile that is a mode of its own beside another: the scan's own rule
    split = np.asarray(scan.bimodal) & (np.asarray(scan.pile_modes) > 0)
    ok = ~scan.degenerate | split
    either = scan.bimodal | split
    bim = np.where(ok, scan.bimodal.astype(float), np.nan)
    pval = scan.adjusted_pvalue if scan.adjusted_pvalue is not None else bim * np.nan
    for q, v in (("dip_pvalue", scan.dip_pvalue), ("adjusted_pvalue", pval),
                 ("n_components", scan.n_components), ("bimodal", bim),
                 ("split", split.astype(float))):
        ctx.parts.append(_rows(m, "modality_scan", q, scan.scales, np.nan, v, n=scan.n_seeds))
    return (scan, tuple(scan.scales[ok].tolist()), tuple(scan.scales[scan.bimodal].tolist()),
            tuple(scan.scales[split].tolist()),
            float(scan.scales[either][0]) if either.any() else None)


def per_seed_part(ctx: Study, m: Hashable, pop: Population, higher: bool):
    """Every seed's own curve scored (oriented); the share of seeds whose curve jumps."""
    if not (ctx.has_seeds and ctx.scales.size >= MIN_POINTS and (ctx.n_seeds > 1).any()):
        return None, np.nan
    try:
        ps = ctx.log.run(f"{m}: per-seed emergence", _per_seed, pop, metric=m)
    except ValueError as exc:  # no seed spans 3 scales
        ctx.log.notes.append(f"{m}: per-seed emergence skipped ({exc})")
        return None, np.nan
    sign = 1.0 if higher else -1.0
    brk, lin = sign * ps.breakthroughness, sign * ps.linearity
    seed_jump = float(np.mean((_ratio(brk, lin) >= ctx.jump_ratio) & (brk > 0)))
    for name, arr in (("breakthroughness", brk), ("linearity", lin)):
        q = np.quantile(arr, [0.25, 0.5, 0.75], method="inverted_cdf")
        ctx.parts.append(_rows(m, "per_seed", [f"seed_{name}_{s}" for s in
                                               ("q25", "median", "q75")], np.nan, np.nan, q))
    ctx.parts.append(_rows(m, "per_seed", "seed_jump_fraction", np.nan, np.nan, seed_jump))
    return ps, seed_jump
