"""Seed-bootstrap confidence intervals of mixture components, scale by scale (private).

Used by :func:`distscale.modality_scan`: for the mixture chosen at every
scale, the overall weights, means and sds of its Gaussian components and the
weights of its point masses are bootstrapped over seeds (stratified by
scale, :func:`distscale.bootstrap`), with all resamples of all scales of
equal size refitted together by the batched engine (:mod:`distscale.modality.em`).
The result is the tidy ``components`` table of :class:`distscale.ModalityScan`.
The same resamples give the interval of Ashman's D, the separation of the
two Gaussian components of the two-component fit (see
:func:`distscale.modality_scan`): read off the chosen fit's columns where it
is that fit, refitted with two components where another ``k`` was chosen.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from distscale._lib.threads import default_threads
from distscale.modality.checks import component_labels, has_distinct, point_label
from distscale.modality.em import fit_batch
from distscale.modality.separation import ashman_d
from distscale.resampling.bootstrap import bootstrap


def _component_statistic(specs: list, bounds, kw: dict, rng, extra: tuple = ()) -> object:
    """Vectorised statistic for :func:`distscale.bootstrap`: component parameters.

    ``specs[i]`` is ``(k, point-mass locations, (weights, means, sds) of the
    fit to the data)`` for scale ``i`` (or None to skip it); ``extra`` holds
    further ``(i, spec)`` pairs, fits of scale ``i`` with another ``k``,
    whose columns follow those of ``specs``. Every resample is
    fitted from two starts: the fit to the data (so it converges in a few
    steps and keeps its labelling) and the exact two-means split of the
    resample; the better one wins. The statistic receives one ``(batch, n_i)`` resample array per
    scale and returns, side by side for every scale, the overall weights,
    means and sds of its ``k`` Gaussians sorted by mean (so labels never
    switch), then the weights of its point masses. The resamples of all
    scales with the same ``k`` and size are refitted together in one batch.
    Rows with fewer than ``k`` distinct values inside the bounds give NaN for
    the Gaussian part.
    """
    entries = list(enumerate(specs)) + list(extra)
    widths = [0 if sp is None else 3 * sp[0] + len(sp[1]) for _, sp in entries]
    kw = dict(kw, n_init=2)
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int)

    def statistic(*xs: np.ndarray) -> np.ndarray:
        batch = xs[0].shape[0]
        out = np.full((batch, int(offsets[-1])), np.nan)
        groups: dict[tuple[int, int, bool], list] = {}
        for e, (i, sp) in enumerate(entries):
            if sp is None:
                continue
            k, locs, start = sp
            xb = xs[i]
            inside = np.ones(xb.shape, dtype=bool)
            for j, b in enumerate(locs):
                at = xb == b
                out[:, offsets[e] + 3 * k + j] = at.mean(axis=1)
                inside &= ~at
            if bounds is not None:  # a bound without values in the data may get some here
                for b in bounds:
                    if math.isfinite(b) and b not in locs:
                        inside &= xb != b
            if k == 0:
                continue
            w = inside.astype(float)
            ok = np.flatnonzero(has_distinct(xb, w, k))
            if ok.size:
                weighted = not bool(inside[ok].all())
                key = (k, xb.shape[1], weighted)
                groups.setdefault(key, []).append((e, ok, xb[ok], w[ok], start))
        for (k, _, weighted), items in groups.items():
            x_all = np.concatenate([it[2] for it in items])
            w_all = np.concatenate([it[3] for it in items]) if weighted else None
            init = tuple(
                np.concatenate([np.repeat(it[4][j][None, :], it[1].size, axis=0) for it in items])
                for j in range(3)
            )
            fit = fit_batch(x_all, k, weights=w_all, rng=rng, init=init, **kw)
            cont = (
                np.ones((x_all.shape[0], 1))
                if w_all is None
                else w_all.sum(axis=1, keepdims=True) / x_all.shape[1]
            )
            start = 0
            for e, ok, xb, _, _ in items:
                rows = slice(start, start + xb.shape[0])
                o = offsets[e]
                out[ok, o : o + k] = fit["weights"][rows] * cont[rows]
                out[ok, o + k : o + 2 * k] = fit["means"][rows]
                out[ok, o + 2 * k : o + 3 * k] = fit["sds"][rows]
                start += xb.shape[0]
        return out

    return statistic, offsets




#: Resampled values per call of the components' statistic (a few MB; merged ties make the
#: refits on them small).
_BOOT_VALUES = 1 << 21


def _spec(fit: object) -> tuple:
    """``(k, point-mass locations, start)`` of a fit for :func:`_component_statistic`."""
    start = (fit.weights / fit.weights.sum(), fit.means, fit.sds)
    return (fit.n_components, list(fit.point_mass_locations), start)


def component_table(
    samples: list[np.ndarray],
    scales: np.ndarray,
    splits: list,
    chosen_fits: tuple,
    bounds: tuple[float, float] | None,
    kw: dict,
    *,
    n_boot_ci: int | None,
    confidence_level: float,
    rng: np.random.Generator,
    progress: bool,
    separation: list | None = None,
    n_boot_separation: int = 1000,
    decision_level: float | None = None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Tidy table of the chosen components at every scale, with percentile CIs.

    ``splits[i]`` is :func:`distscale.modality.checks.split_bounds` of scale
    ``i`` and ``chosen_fits[i]`` its chosen :class:`distscale.MixtureFit`
    (None when every value is at a bound, or the scale has no fit). With
    ``n_boot_ci=None`` the intervals are NaN. One row per scale, component
    and parameter: ``scale, component, kind, parameter, estimate, ci_low,
    ci_high``.

    ``separation[i]`` is the two-component fit of scale ``i`` whose Ashman's
    D needs a percentile interval (None where not). The interval comes from
    the same resamples as the component intervals (``n_boot_ci``), or, with
    ``n_boot_ci=None``, from ``n_boot_separation`` resamples of their own.
    Returns the table, the lower and upper ends of D's intervals (NaN
    where none was asked for), and the lower ends of D's intervals at
    ``decision_level`` (the level at which a scan decides over its whole
    family of scales; ``confidence_level`` when None).
    """
    n_scales = len(samples)
    specs = []
    for i, f in enumerate(chosen_fits):
        if f is not None:
            specs.append(_spec(f))
        elif splits[i][1]:  # every value at a bound: point masses only
            specs.append((0, list(splits[i][1]), None))
        else:
            specs.append(None)
    sep_fits = [None] * n_scales if separation is None else list(separation)
    sep_low = np.full(n_scales, np.nan)
    sep_high = np.full(n_scales, np.nan)
    sep_decide = np.full(n_scales, np.nan)
    wanted = [i for i in range(n_scales) if sep_fits[i] is not None]
    boot_specs = specs if n_boot_ci is not None else [None] * n_scales
    # D's columns: the chosen fit's own where it is the two-component fit, else an extra fit
    extra, sep_entry = [], {}
    for i in wanted:
        if boot_specs[i] is not None and chosen_fits[i] is sep_fits[i]:
            sep_entry[i] = i
        else:
            sep_entry[i] = n_scales + len(extra)
            extra.append((i, _spec(sep_fits[i])))
    low = high = None
    if any(sp is not None for sp in boot_specs) or wanted:
        stat, offsets = _component_statistic(boot_specs, bounds, kw, rng, tuple(extra))
        width = int(offsets[-1])

        def with_separation(*xs: np.ndarray) -> np.ndarray:
            out = stat(*xs)
            cols = [offsets[sep_entry[i]] for i in wanted]
            d = np.stack([ashman_d(out[:, o + 2 : o + 4], out[:, o + 4 : o + 6]) for o in cols],
                         axis=1) if cols else np.empty((out.shape[0], 0))
            return np.concatenate([out, d], axis=1)

        n_boot = n_boot_ci if n_boot_ci is not None else n_boot_separation
        total = sum(x.size for x in samples)
        res = bootstrap(
            samples, with_separation,
            n_resamples=n_boot,
            # many resamples per refit: the engine's cost per call, not per value, dominates
            chunk_size=max(1, min(n_boot, _BOOT_VALUES // max(total, 1))),
            confidence_level=confidence_level, rng=rng, progress=progress,
            keep_distribution=decision_level is not None,
            # the statistic refits from two fixed starts (no random draws): safe on threads
            threads=default_threads(),
        )
        if n_boot_ci is not None:
            low, high = res.ci_low, res.ci_high
        sep_low[wanted] = res.ci_low[width:]
        sep_high[wanted] = res.ci_high[width:]
        if decision_level is None:
            sep_decide[wanted] = sep_low[wanted]
        elif wanted:
            d = res.distribution[:, width:]
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
                sep_decide[wanted] = np.nanquantile(d, (1.0 - decision_level) / 2, axis=0)
    if low is None:
        offsets = np.concatenate(
            [[0], np.cumsum([0 if sp is None else 3 * sp[0] + len(sp[1]) for sp in specs])]
        ).astype(int)
    records = []
    for i, fit in enumerate(chosen_fits):
        if specs[i] is None:
            continue
        if fit is None:
            k, locs = 0, specs[i][1]
            est = np.array([np.mean(samples[i] == b) for b in locs])
        else:
            k = fit.n_components
            locs = list(fit.point_mass_locations)
            est = np.concatenate([fit.weights, fit.means, fit.sds, fit.point_mass_weights])
        o = offsets[i]
        lo_i = np.full(est.size, np.nan) if low is None else low[o : o + est.size]
        hi_i = np.full(est.size, np.nan) if high is None else high[o : o + est.size]
        names = component_labels(k) if k else ()
        for j in range(k):
            for p, col in (("weight", j), ("mean", k + j), ("sd", 2 * k + j)):
                records.append(
                    (scales[i], names[j], "gaussian", p, est[col], lo_i[col], hi_i[col])
                )
        for j, b in enumerate(locs):
            col = 3 * k + j
            records.append(
                (scales[i], point_label(b), "point mass", "weight", est[col], lo_i[col],
                 hi_i[col])
            )
    table = pd.DataFrame(
        records,
        columns=["scale", "component", "kind", "parameter", "estimate", "ci_low", "ci_high"],
    )
    return table, sep_low, sep_high, sep_decide
