"""Parametric-bootstrap likelihood-ratio test of ``k`` against ``k + 1`` components (private).

In the manner of R mclust's ``mclustBootstrapLRT``: samples are simulated
from the fitted ``k``-component null, refitted with ``k`` and ``k + 1``
components by the batched engine (:mod:`distscale.modality.em`), and the observed
statistic is ranked among the replicates. Values on a regular grid (a
discrete metric) give replicates rounded to the same grid. Used by
:func:`distscale.select_components` and :func:`distscale.modality_scan`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from distscale.modality.em import fit_batch


def _simulate(weights, means, sds, size, rng) -> np.ndarray:
    """Draw ``size = (reps, n)`` values from one Gaussian mixture."""
    z = rng.standard_normal(size)
    if len(weights) == 1:
        return means[0] + sds[0] * z
    comp = np.searchsorted(np.cumsum(weights)[:-1], rng.random(size), side="right")
    return means[comp] + sds[comp] * z


def _detect_grid(x: np.ndarray) -> tuple[float, float] | None:
    """``(origin, step)`` when ``x`` has ties and every value lies on one regular grid.

    The step is the smallest gap between distinct values, or that gap divided
    by 2 .. 10 (e.g. values 0, 0.002 and 0.005 lie on a 0.001 grid).
    Continuous data (no ties) give None.
    """
    u = np.unique(x)
    if u.size < 2 or u.size == x.size:
        return None
    gap = float(np.min(np.diff(u)))
    pos = (u - u[0]) / gap
    for m in range(1, 11):
        q = pos * m
        if np.max(np.abs(q - np.round(q))) <= 1e-6 * max(1.0, float(q[-1])) ** 0.5:
            return float(u[0]), gap / m
    return None


_SIM_ELEMENTS = 1 << 20  # values simulated (and refitted) per chunk of the bootstrap


def fit_groups(samples, k, **kw) -> list[dict[str, np.ndarray]]:
    """Fit ``k`` components to each 1-D sample; samples of equal size share one batch."""
    out: list[dict[str, np.ndarray] | None] = [None] * len(samples)
    sizes = np.array([s.size for s in samples])
    for n in np.unique(sizes):
        members = np.flatnonzero(sizes == n)
        fit = fit_batch(np.stack([samples[i] for i in members]), k, **kw)
        for j, i in enumerate(members):
            out[i] = {key: val[j] for key, val in fit.items()}
    return out  # type: ignore[return-value]


def bootstrap_lrt(
    samples: Sequence[np.ndarray],
    null_fits: Sequence[dict[str, np.ndarray]],
    observed: np.ndarray,
    k: int,
    *,
    n_resamples: int,
    rng: np.random.Generator,
    progress: bool = False,
    **kw,
) -> np.ndarray:
    """Parametric-bootstrap p-values of ``k`` against ``k + 1`` components.

    For each sample, ``n_resamples`` samples of the same size are simulated
    from its fitted ``k``-component null, refitted with ``k`` and ``k + 1``
    components, and ``p = (1 + #{LRT* >= LRT}) / (n_resamples + 1)``. When a
    sample has ties on a regular grid (a discrete metric, such as accuracy on
    a fixed number of examples), its replicates are rounded to the same
    grid, so that the null distribution of the statistic carries the same
    discreteness as the data.
    Replicates of all samples of equal size are refitted together in chunks
    of about ``_SIM_ELEMENTS`` values (bounded memory).
    """
    exceed = np.zeros(len(samples), dtype=np.int64)
    grids = [_detect_grid(s) for s in samples]
    sizes = np.array([s.size for s in samples])
    jobs = []
    for n in np.unique(sizes):
        members = np.flatnonzero(sizes == n)
        per_chunk = max(1, _SIM_ELEMENTS // int(n))
        pairs = [(i, r) for i in members for r in range(0, n_resamples, per_chunk)]
        # group (sample, first replicate) blocks into chunks of about per_chunk rows
        chunk: list[tuple[int, int, int]] = []
        rows = 0
        for i, r0 in pairs:
            m = min(per_chunk, n_resamples - r0)
            chunk.append((i, r0, m))
            rows += m
            if rows >= per_chunk:
                jobs.append((int(n), chunk))
                chunk, rows = [], 0
        if chunk:
            jobs.append((int(n), chunk))
    it = jobs
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(jobs, desc="bootstrap LRT", unit="chunk", leave=False)
    for n, chunk in it:
        sims = []
        for i, _, m in chunk:
            y = _simulate(
                null_fits[i]["weights"], null_fits[i]["means"], null_fits[i]["sds"], (m, n), rng
            )
            if grids[i] is not None:
                origin, step = grids[i]
                y = origin + step * np.round((y - origin) / step)
            sims.append(y)
        x = np.concatenate(sims, axis=0)
        ll_k = fit_batch(x, k, rng=rng, **kw)["loglik"]
        ll_k1 = fit_batch(x, k + 1, rng=rng, **kw)["loglik"]
        stat = 2.0 * (ll_k1 - ll_k)
        start = 0
        for i, _, m in chunk:
            obs = observed[i]
            exceed[i] += int(np.sum(stat[start : start + m] >= obs - 1e-9 * (1 + abs(obs))))
            start += m
    return (1.0 + exceed) / (n_resamples + 1.0)
