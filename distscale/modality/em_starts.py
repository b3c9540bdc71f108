"""Starting values of the batched EM engine (private; see :mod:`distscale.modality.em`).

Per-row standardisation and resolution (the default variance floor), the
exact optimal two-means split of each sorted row (Fisher's 1-D clustering)
and the deterministic and random starts for two and for ``k`` components.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def standardize(x: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Centre and scale every row (weighted, ddof=0); returns z, loc, scale, total weight."""
    if w is None:
        total = np.full(x.shape[0], float(x.shape[1]))
        loc = x.mean(axis=1)
        z = x - loc[:, None]
        var = np.einsum("ij,ij->i", z, z) / total
    else:
        total = w.sum(axis=1)
        loc = np.einsum("ij,ij->i", w, x) / total
        z = x - loc[:, None]
        var = np.einsum("ij,ij,ij->i", w, z, z) / total
    scale = np.sqrt(var)
    safe = np.where(scale > 0, scale, 1.0)
    z /= safe[:, None]
    return z, loc, scale, total


def resolution(z: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Median gap between successive distinct values of every row (standardised units).

    Values with zero weight are left out. A row with fewer than two distinct
    values gets 0 (the caller's minimum floor then applies).
    """
    x = z if w is None else np.where(w > 0, z, np.nan)
    gaps = np.diff(np.sort(x, axis=1), axis=1)
    gaps = np.where(gaps > 0, gaps, np.nan)  # ties and missing values are not gaps
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN row: no gap at all
        out = np.nanmedian(gaps, axis=1) if gaps.shape[1] else np.full(z.shape[0], np.nan)
    return np.where(np.isfinite(out), out, 0.0)


def kmeans_split(zs: np.ndarray, ws: np.ndarray | None) -> np.ndarray:
    """Index of the exact optimal two-means split of each sorted row.

    Returns ``cut`` such that ``zs[:, :cut]`` is the low group: the split with
    the largest between-group sum of squares (Fisher's exact 1-D clustering).
    """
    if ws is None:
        cn = np.arange(1, zs.shape[1], dtype=float)[None, :]
        c1 = np.cumsum(zs, axis=1)[:, :-1]
        total = float(zs.shape[1])
        t1 = zs.sum(axis=1, keepdims=True)
    else:
        cw = np.cumsum(ws, axis=1)
        cn = cw[:, :-1]
        c1 = np.cumsum(ws * zs, axis=1)[:, :-1]
        total = cw[:, -1:]
        t1 = c1[:, -1:] + (ws * zs)[:, -1:]
    rest = total - cn
    with np.errstate(divide="ignore", invalid="ignore"):
        between = c1**2 / cn + (t1 - c1) ** 2 / rest
    between = np.where((cn > 0) & (rest > 0), between, -np.inf)
    return np.argmax(between, axis=1) + 1


def group_start(
    zs: np.ndarray, ws: np.ndarray | None, cuts: np.ndarray, floor_var: float
) -> tuple[np.ndarray, ...]:
    """Weights, means and variances of the groups left and right of ``cuts``."""
    rows = np.arange(zs.shape[0])
    w = np.ones_like(zs) if ws is None else ws
    cw = np.concatenate([np.zeros((zs.shape[0], 1)), np.cumsum(w, axis=1)], axis=1)
    c1 = np.concatenate([np.zeros((zs.shape[0], 1)), np.cumsum(w * zs, axis=1)], axis=1)
    c2 = np.concatenate([np.zeros((zs.shape[0], 1)), np.cumsum(w * zs * zs, axis=1)], axis=1)
    total, t1, t2 = cw[:, -1], c1[:, -1], c2[:, -1]
    n_lo, s1_lo, s2_lo = cw[rows, cuts], c1[rows, cuts], c2[rows, cuts]
    n_hi, s1_hi, s2_hi = total - n_lo, t1 - s1_lo, t2 - s2_lo
    n_lo = np.maximum(n_lo, 1e-300)
    n_hi = np.maximum(n_hi, 1e-300)
    m_lo, m_hi = s1_lo / n_lo, s1_hi / n_hi
    fv = np.broadcast_to(floor_var, n_lo.shape)
    v_lo = np.maximum(s2_lo / n_lo - m_lo**2, fv)
    v_hi = np.maximum(s2_hi / n_hi - m_hi**2, fv)
    weight = np.stack([n_lo, n_hi], axis=1) / total[:, None]
    return weight, np.stack([m_lo, m_hi], axis=1), np.stack([v_lo, v_hi], axis=1)


def starts_two(
    z: np.ndarray,
    w: np.ndarray | None,
    n_init: int,
    floor_var: float,
    rng: np.random.Generator | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Starting values, shape ``(batch, n_init, 2)`` each (weights, means, variances).

    Start 0 is the exact optimal two-means split of the sorted sample; start 1
    (when ``n_init >= 2``) puts a narrow and a wide component at the same
    centre (heavy tails); starts 2, 3, ... cut the sorted sample after a
    random number of values drawn uniformly from ``rng``.
    """
    order = np.argsort(z, axis=1, kind="stable")
    zs = np.take_along_axis(z, order, axis=1)
    ws = None if w is None else np.take_along_axis(w, order, axis=1)
    batch, n = z.shape
    weights = np.empty((batch, n_init, 2))
    means = np.empty((batch, n_init, 2))
    variances = np.empty((batch, n_init, 2))
    cut = kmeans_split(zs, ws)
    weights[:, 0], means[:, 0], variances[:, 0] = group_start(zs, ws, cut, floor_var)
    if n_init >= 2:
        weights[:, 1] = 0.5
        means[:, 1] = 0.0
        variances[:, 1, 0] = np.maximum(0.25, floor_var)
        variances[:, 1, 1] = 1.75
    if n_init >= 3:
        if ws is None:
            positive = np.full(batch, n)
            rank_of = None
        else:
            pos = ws > 0
            positive = pos.sum(axis=1)
            rank_of = np.cumsum(pos, axis=1)
        for s in range(2, n_init):
            # values in the low group: the lowest alone, the highest alone, then random
            if s == 2:
                m = np.ones(batch, dtype=np.int64)
            elif s == 3:
                m = np.maximum(positive - 1, 1)
            else:
                m = rng.integers(1, np.maximum(positive, 2))
            if rank_of is None:
                cuts = m
            else:
                cuts = (rank_of < m[:, None]).sum(axis=1) + 1
            weights[:, s], means[:, s], variances[:, s] = group_start(zs, ws, cuts, floor_var)
    return weights, means, variances


def starts_general(
    z: np.ndarray, w: np.ndarray | None, k: int, n_init: int, floor_var: float, rng
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Starts for ``k >= 3``: equal-count quantile groups, then random cuts."""
    order = np.argsort(z, axis=1, kind="stable")
    zs = np.take_along_axis(z, order, axis=1)
    ws = np.ones_like(zs) if w is None else np.take_along_axis(w, order, axis=1)
    batch, n = z.shape
    cw = np.concatenate([np.zeros((batch, 1)), np.cumsum(ws, axis=1)], axis=1)
    c1 = np.concatenate([np.zeros((batch, 1)), np.cumsum(ws * zs, axis=1)], axis=1)
    c2 = np.concatenate([np.zeros((batch, 1)), np.cumsum(ws * zs * zs, axis=1)], axis=1)
    rows = np.arange(batch)[:, None]
    total = cw[:, -1]
    weights = np.empty((batch, n_init, k))
    means = np.empty((batch, n_init, k))
    variances = np.empty((batch, n_init, k))
    for s in range(n_init):
        if s == 0:
            frac = np.arange(1, k) / k
            targets = np.broadcast_to(frac * total[:, None], (batch, k - 1))
        else:
            targets = np.sort(rng.uniform(0, 1, size=(batch, k - 1)), axis=1) * total[:, None]
        cuts = np.concatenate(
            [
                np.zeros((batch, 1), dtype=np.int64),
                np.minimum((cw[:, None, 1:] <= targets[:, :, None]).sum(axis=2), n - 1),
                np.full((batch, 1), n),
            ],
            axis=1,
        )
        cuts = np.maximum.accumulate(cuts, axis=1)
        nn = np.maximum(np.diff(cw[rows, cuts], axis=1), 1e-300)
        s1 = np.diff(c1[rows, cuts], axis=1)
        s2 = np.diff(c2[rows, cuts], axis=1)
        m = s1 / nn
        weights[:, s] = np.maximum(nn / total[:, None], 1e-3)
        weights[:, s] /= weights[:, s].sum(axis=1, keepdims=True)
        # an empty group starts at a random spot with the overall spread
        empty = nn < 1e-200
        m = np.where(empty, rng.standard_normal(m.shape), m)
        means[:, s] = m
        fv = np.broadcast_to(np.asarray(floor_var, dtype=float), (batch,))[:, None]
        variances[:, s] = np.where(empty, 1.0, np.maximum(s2 / nn - m * m, fv))
    return weights, means, variances


#: Merge tied values when the most distinct values in any row are at most this
#: fraction of the row length (below it the sort pays for itself many times).
MERGE_TIES_BELOW = 0.5


def merge_ties(
    x: np.ndarray, w: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Each row's distinct values with their summed weights, when that shortens the rows.

    A mixture's (weighted) log-likelihood and EM sums are sums over values,
    so tied values can be replaced by one value carrying their total weight
    without changing the fit: a metric on a fixed test set (accuracy on 50
    items) has a few dozen distinct values among thousands of seeds, and the
    engine then works on the few dozen. Values are merged only when exactly
    equal. When the whole batch holds few distinct values (seed-bootstrap
    resamples of one sample, replicates on one grid) every merged row lists
    all of them, found by hashing (no sort); otherwise each row is sorted and
    padded to the longest with its largest value at weight 0. Returns
    ``(values, weights, inverse)`` -- ``inverse[i, j]`` is the column of
    ``x[i, j]`` in the merged row -- or None when the first row has more
    than :data:`MERGE_TIES_BELOW` of its length in distinct values (nothing
    to gain).
    """
    batch, n = x.shape
    limit = MERGE_TIES_BELOW * n
    if n < 8 or np.unique(x[0]).size > limit:
        return None
    ws = np.ones((batch, n)) if w is None else w
    codes, uniques = pd.factorize(x.ravel(), sort=False)
    width = uniques.size
    if width <= limit:
        flat = codes.reshape(batch, n) + (np.arange(batch) * width)[:, None]
        merged_w = np.bincount(flat.ravel(), weights=ws.ravel(), minlength=batch * width)
        merged_x = np.broadcast_to(np.asarray(uniques, dtype=float), (batch, width)).copy()
        return merged_x, merged_w.reshape(batch, width), codes.reshape(batch, n)
    order = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, order, axis=1)
    new = np.ones((batch, n), dtype=bool)
    new[:, 1:] = xs[:, 1:] != xs[:, :-1]
    group = np.cumsum(new, axis=1) - 1
    width = int(group[:, -1].max()) + 1
    if width > limit:
        return None
    rows = np.arange(batch)[:, None]
    flat = (rows * width + group).ravel()
    merged_w = np.bincount(flat, weights=np.take_along_axis(ws, order, axis=1).ravel(),
                           minlength=batch * width)
    merged_x = np.repeat(xs[:, -1:], width, axis=1)
    merged_x[rows, group] = xs
    inverse = np.empty((batch, n), dtype=np.int64)
    np.put_along_axis(inverse, order, group, axis=1)
    return merged_x, merged_w.reshape(batch, width), inverse
