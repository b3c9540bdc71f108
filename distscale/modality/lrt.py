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

from distscale._lib.threads import default_threads, map_ordered
from distscale.modality.checks import detect_grid
from distscale.modality.em import fit_batch


def _draw(n_components: int, size, rng) -> tuple[np.ndarray, np.ndarray | None]:
    """The random numbers of ``size = (reps, n)`` draws from a Gaussian mixture.

    Standard normals and, for two or more components, the uniforms that pick
    each draw's component; :func:`_place` turns them into values. Drawing and
    placing are apart so that only the draws need the caller's thread.
    """
    z = rng.standard_normal(size)
    return z, None if n_components == 1 else rng.random(size)


def _place(draws, weights, means, sds) -> np.ndarray:
    """Values of a Gaussian mixture from :func:`_draw`'s random numbers."""
    z, u = draws
    if u is None:
        return means[0] + sds[0] * z
    comp = np.searchsorted(np.cumsum(weights)[:-1], u, side="right")
    return means[comp] + sds[comp] * z


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


def _grid_counts(y: np.ndarray, origin: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Replicates ``(m, n)`` rounded to a grid, as grid values and counts ``(m, cells)``.

    Rounded values are equal exactly when their grid indices are, so this is
    the engine's merging of ties (the same fit), done by counting. A grid
    finer than the values (more cells in the range than values per row) gives
    the rounded values themselves, each with weight 1.
    """
    cell = np.round((y - origin) / step)
    m = y.shape[0]
    if cell.max() - cell.min() + 1 > y.shape[1]:  # a fine grid: more cells than values
        return origin + step * cell, np.ones_like(y)
    cell = cell.astype(np.int64)
    lo = int(cell.min())
    width = int(cell.max()) - lo + 1
    counts = np.bincount((cell - lo + (np.arange(m) * width)[:, None]).ravel(),
                         minlength=m * width).reshape(m, width).astype(float)
    # Only each row's occupied cells, in order, padded to the fullest row with empty
    # cells (weight 0, which no sum, start or floor of the engine sees): the rows
    # share the range of the whole chunk, whose tails most rows leave empty.
    occupied = counts > 0
    keep = int(occupied.sum(axis=1).max())
    cols = np.argsort(~occupied, axis=1, kind="stable")[:, :keep]
    values = origin + step * (lo + cols.astype(float))
    return values, np.take_along_axis(counts, cols, axis=1)


def _stack_padded(blocks: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of unequal width side by side, padded with their last value at weight 0."""
    width = max(v.shape[1] for v, _ in blocks)
    xs, ws = [], []
    for v, w in blocks:
        pad = width - v.shape[1]
        xs.append(np.concatenate([v, np.repeat(v[:, -1:], pad, axis=1)], axis=1))
        ws.append(np.concatenate([w, np.zeros((w.shape[0], pad))], axis=1))
    return np.concatenate(xs, axis=0), np.concatenate(ws, axis=0)


def _replicate_stats(
    members: Sequence[int], counts: Sequence[int], samples, null_fits, grids, k, rng, kw
) -> list[np.ndarray]:
    """``counts[j]`` simulated LRT statistics for each sample ``members[j]``.

    The samples are all of one size, or all on a grid (a discrete metric):
    then their replicates are refitted as counts on the grid (the same fit,
    far fewer values), all sizes together. All replicates are refitted
    together in chunks of about ``_SIM_ELEMENTS`` simulated values (bounded
    memory); the statistics come back in draw order. The
    replicates are drawn in order in this thread and refitted on
    :func:`~distscale._lib.threads.default_threads` threads, each chunk with
    its own child generator for random starts, so the result does not depend
    on the number of threads.
    """
    sizes = [int(samples[i].size) for i in members]
    per_chunk = max(1, _SIM_ELEMENTS // max(sizes))
    out: list[list[np.ndarray]] = [[] for _ in members]
    todo = [(j, m) for j, m in enumerate(counts) if m > 0]
    plan: list[list[tuple[int, int]]] = []
    pending: list[tuple[int, int]] = []
    rows = 0
    for j, m in todo:
        while m > 0:
            take = min(m, per_chunk - rows)
            pending.append((j, take))
            rows += take
            m -= take
            if rows >= per_chunk:
                plan.append(pending)
                pending, rows = [], 0
    if pending:
        plan.append(pending)
    try:
        children = rng.spawn(len(plan))  # child streams: the simulation draws stay as they were
    except (AttributeError, TypeError):  # a generator without a seed sequence: one thread
        children = None

    def simulated():
        for c, chunk in enumerate(plan):
            draws = [_draw(len(null_fits[members[j]]["weights"]), (m, sizes[j]), rng)
                     for j, m in chunk]
            yield chunk, draws, rng if children is None else children[c]

    def refit(item):
        # the random numbers are drawn above, in order; the values, their rounding to a
        # grid and the fits are left to this thread
        chunk, draws, gen = item
        sims = []
        for (j, _), d in zip(chunk, draws, strict=True):
            null = null_fits[members[j]]
            sims.append(_place(d, null["weights"], null["means"], null["sds"]))
        if all(grids[members[j]] is None for j, _ in chunk):  # one size, as drawn
            x, w = np.concatenate(sims, axis=0), None
        else:
            x, w = _stack_padded([y if grids[members[j]] is None else
                                  _grid_counts(y, *grids[members[j]])
                                  for (j, _), y in zip(chunk, sims, strict=True)])
        stat = 2.0 * (fit_batch(x, k + 1, weights=w, rng=gen, **kw)["loglik"]
                      - fit_batch(x, k, weights=w, rng=gen, **kw)["loglik"])
        return chunk, stat

    for chunk, stat in map_ordered(refit, simulated(), default_threads() if children else 1):
        start = 0
        for j, m in chunk:
            out[j].append(stat[start : start + m])
            start += m
    return [np.concatenate(parts) if parts else np.zeros(0) for parts in out]


def bootstrap_lrt(
    samples: Sequence[np.ndarray],
    null_fits: Sequence[dict[str, np.ndarray]],
    observed: np.ndarray,
    k: int,
    *,
    n_resamples: int | np.ndarray,
    rng: np.random.Generator,
    progress: bool = False,
    stop_after: int | None = None,
    **kw,
) -> np.ndarray:
    """Parametric-bootstrap p-values of ``k`` against ``k + 1`` components.

    For each sample, up to ``n_resamples`` (one number, or one per sample)
    samples of the same size are
    simulated from its fitted ``k``-component null, refitted with ``k`` and
    ``k + 1`` components, and ``p = (1 + #{LRT* >= LRT}) / (n_resamples + 1)``.
    When a sample has ties on a regular grid (a discrete metric, such as
    accuracy on a fixed number of examples), its replicates are rounded to
    the same grid, so that the null distribution of the statistic carries the
    same discreteness as the data.

    With ``stop_after = h`` the test is Besag & Clifford's (1991, Biometrika
    78, 301-304) sequential Monte Carlo test: replicates are drawn in rounds
    (49, then doubling) and a sample stops as soon as ``h`` replicates reach
    its statistic, with ``p = h / L`` for the ``L`` replicates drawn up to the
    ``h``-th; a sample that never gets there uses all ``n_resamples`` and the
    usual ``p``. The test keeps its level exactly, and a clearly unimodal
    scale (p far above ``alpha``) costs a few dozen refits instead of
    ``n_resamples``. Under a one-Gaussian null (``k = 1``) the statistic's
    distribution depends only on the sample size, so samples of equal size
    whose replicates are not rounded to a grid share one set of replicates
    (their p-values are then dependent, which Holm's correction allows).
    Replicates of all samples of equal size are refitted together in chunks
    of about ``_SIM_ELEMENTS`` values (bounded memory).
    """
    n_samples = len(samples)
    grids = [detect_grid(s) for s in samples]
    sizes = np.array([s.size for s in samples])
    caps = np.broadcast_to(np.asarray(n_resamples, dtype=np.int64), (n_samples,)).copy()
    tol_obs = [observed[i] - 1e-9 * (1 + abs(observed[i])) for i in range(n_samples)]
    drawn = np.zeros(n_samples, dtype=np.int64)
    exceed = np.zeros(n_samples, dtype=np.int64)
    pvalue = np.full(n_samples, np.nan)
    if stop_after is None:
        rounds = [int(caps.max())]
    else:
        rounds, size = [], 49
        while sum(rounds) < caps.max():
            rounds.append(min(size, int(caps.max()) - sum(rounds)))
            size *= 2
    # Under a one-Gaussian null the statistic's distribution depends on n only (the fit
    # is location-scale equivariant), so samples of equal size share their replicates --
    # unless their replicates are rounded to a grid of their own.
    shareable = np.array([k == 1 and g is None for g in grids])
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(rounds), desc="bootstrap LRT", unit="round", leave=False)
    active = drawn < caps
    for size in rounds:
        stats: dict[int, np.ndarray] = {}
        members = [int(i) for i in np.flatnonzero(active)]
        for n in np.unique(sizes[active]):
            shared = [i for i in members if shareable[i] and sizes[i] == n]
            if shared:
                m = int(min(size, max(caps[i] - drawn[i] for i in shared)))
                standard = {"weights": np.ones(1), "means": np.zeros(1), "sds": np.ones(1)}
                (common,) = _replicate_stats([shared[0]], [m], samples, {shared[0]: standard},
                                             {shared[0]: None}, k, rng, kw)
                for i in shared:
                    stats[i] = common[: min(m, caps[i] - drawn[i])]
        # the others: those on a grid all together (as grid counts), the rest by size
        groups: dict[object, list[int]] = {}
        for i in members:
            if not shareable[i]:
                groups.setdefault("grid" if grids[i] is not None else int(sizes[i]), []).append(i)
        for own in groups.values():
            counts = [int(min(size, caps[i] - drawn[i])) for i in own]
            for i, stat in zip(own, _replicate_stats(own, counts, samples, null_fits, grids, k,
                                                     rng, kw), strict=True):
                stats[i] = stat
        for i in members:
            stat = stats[i]
            hits = stat >= tol_obs[i]
            if stop_after is not None and exceed[i] + hits.sum() >= stop_after:
                # the h-th exceedance: stop there (Besag & Clifford)
                first = int(np.flatnonzero(np.cumsum(hits) + exceed[i] >= stop_after)[0])
                pvalue[i] = stop_after / (drawn[i] + first + 1)
                drawn[i] += first + 1
                exceed[i] = stop_after
                active[i] = False
            else:
                exceed[i] += int(hits.sum())
                drawn[i] += stat.size
                active[i] = drawn[i] < caps[i]
        if bar is not None:
            bar.update(1)
        if not active.any():
            break
    if bar is not None:
        bar.close()
    done = np.isnan(pvalue)
    pvalue[done] = (1.0 + exceed[done]) / (caps[done] + 1.0)
    return pvalue
