"""Trend test of a mixture component, with posterior weights.

``trend_test(..., weights="posterior")``: each run counts by its posterior
probability of belonging to the success (failure) component of a
two-component Gaussian mixture, refitted by an EM whose Gaussians are shared
by all scales while the success share is per scale. The null distribution
draws every run's class from its posterior, permutes the runs of each class
across scales and refits the shared EM. See the Notes of
:func:`distscale.trend_test`.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from distscale._lib.success_rule import success_mask
from distscale.success.rank_tests import BLOCK, _concordance, _ebar2, _tails, n_pairs, tie_blocks


def _success_components(means, locations, threshold, higher_is_better, bounds) -> tuple:
    """Which Gaussian components (``(..., k)`` by mean) and point masses are "success".

    With a threshold, a component or point mass succeeds when its mean
    (location) is on the success side of it; without one, the upper (lower)
    Gaussian and the point mass at the upper (lower) bound succeed.
    """
    means = np.asarray(means)
    locations = np.asarray(locations, dtype=float)
    if threshold is not None:
        return success_mask(means, threshold, higher_is_better), success_mask(
            locations, threshold, higher_is_better
        )
    gauss = np.zeros(means.shape, dtype=bool)
    gauss[..., -1 if higher_is_better else 0] = True
    if bounds is None:
        return gauss, np.zeros(locations.shape, dtype=bool)
    return gauss, locations == (bounds[1] if higher_is_better else bounds[0])


def _per_scale(w: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """Sum of each row of ``w`` (``(B, N)``) by scale index ``idx`` (``(N,)`` or ``(B, N)``)."""
    b = w.shape[0]
    flat = (np.broadcast_to(idx, w.shape) + k * np.arange(b)[:, None]).ravel()
    return np.bincount(flat, weights=w.ravel(), minlength=b * k).reshape(b, k)


def _shared_resp(y, idx, good, mean, sd, rho) -> np.ndarray:
    """Success responsibilities ``(B, N)`` of values ``y`` (scale indices ``idx``, ``(N,)``
    or ``(B, N)``) under mixtures whose two Gaussians (``mean``, ``sd``: ``(B, 2)``, the
    success one at index ``good``) are shared by all scales and whose success share
    ``rho`` (``(B, k)``) is per scale."""
    z = (y[None, None, :] - mean[:, :, None]) / sd[:, :, None]
    logphi = -np.log(sd)[:, :, None] - 0.5 * z * z
    p = np.take_along_axis(rho, np.broadcast_to(idx, (rho.shape[0], y.size)), axis=1)
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return special.expit(logphi[:, good] - logphi[:, 1 - good] + np.log(p) - np.log1p(-p))


def _shared_em(y, idx, k, counts, good, start, floor, tol, rho_tol=1e-4, max_iter=500):
    """EM for two Gaussians shared by every scale, with a success share per scale.

    ``y`` (``(N,)``): the values the Gaussians model; ``idx``: their scales (``(N,)``,
    or ``(B, N)`` when each row places them differently); ``counts`` (``(B, N)``):
    their weights (bootstrap counts); ``start``: starting ``(mean, sd, rho)`` of shapes
    ``(B, 2), (B, 2), (B, k)``. A row stops when no mean or sd moves by more than
    ``tol`` and no share by more than ``rho_tol`` in an EM step. Returns the success
    responsibilities of ``y`` and the parameters.
    """
    mean, sd, rho = (np.array(q, dtype=float) for q in start)
    idx = np.asarray(idx)
    per = _per_scale(counts, idx, k)
    active = np.arange(counts.shape[0])
    for _ in range(max_iter):
        if active.size == 0:
            break
        m, s, p, c = mean[active], sd[active], rho[active], counts[active]
        ia = idx[active] if idx.ndim == 2 else idx
        wr = c * _shared_resp(y, ia, good, m, s, p)
        new_rho = np.divide(_per_scale(wr, ia, k), per[active], out=p.copy(),
                            where=per[active] > 0)
        new_m, new_s = m.copy(), s.copy()
        for comp, wc in ((good, wr), (1 - good, c - wr)):
            nc = wc.sum(axis=1)
            ok = nc > 1e-9
            mu = np.divide(wc @ y, nc, out=m[:, comp].copy(), where=ok)
            ex2 = np.divide(wc @ (y * y), nc, out=s[:, comp] ** 2 + mu**2, where=ok)
            new_m[:, comp] = mu
            new_s[:, comp] = np.sqrt(np.maximum(ex2 - mu * mu, floor * floor))
        change = np.maximum(
            np.abs(np.r_["1", new_m - m, new_s - s]).max(axis=1) / tol,
            np.abs(new_rho - p).max(axis=1) / rho_tol,
        )
        mean[active], sd[active], rho[active] = new_m, new_s, new_rho
        active = active[change > 1.0]
    return _shared_resp(y, idx, good, mean, sd, rho), (mean, sd, rho)


def posterior_test(
    samples: list[np.ndarray],
    subset: str,
    threshold: float | None,
    higher_is_better: bool,
    bounds,
    method: str,
    alternative: str,
    n_resamples: int,
    gen: np.random.Generator,
) -> dict:
    """Trend test of the success (failure) component with mixture responsibilities.

    See the Notes of :func:`~distscale.trend_test`. Everything below works on the pooled
    runs sorted by value; ``lab`` holds their scales.
    """
    from distscale.modality.mixture import fit_mixture

    k = len(samples)
    sizes = np.array([x.size for x in samples])
    pooled = np.concatenate(samples)  # scale by scale
    order = np.argsort(pooled, kind="stable")
    x = pooled[order]
    lab = np.repeat(np.arange(k), sizes)[order]
    lo, hi, _ = tie_blocks(x)
    fit = fit_mixture(pooled, n_components=2, bounds=bounds, rng=gen)
    good_g, good_pm = _success_components(
        fit.means, fit.point_mass_locations, threshold, higher_is_better, fit.bounds
    )
    r_pooled = (fit.responsibilities @ np.r_[good_g, good_pm].astype(float))[order]
    if r_pooled.max() < 1e-9 or r_pooled.min() > 1 - 1e-9:
        raise ValueError(
            "every component of the fitted mixture (Gaussians with means "
            f"{', '.join(f'{m:.4g}' for m in fit.means)}"
            + (f", point masses at {fit.point_mass_locations.tolist()}" if good_pm.size else "")
            + ") is on the same side of success: the posterior weights do not separate "
            "successful from failed runs"
            + ("" if threshold is None else f" at threshold {threshold:g}")
        )
    inside = ~np.isin(x, fit.point_mass_locations)
    x_in = x[inside]
    flip = subset == "failure"
    em = good_g[0] != good_g[1]  # else the Gaussians are one class: weights are 0/1
    if em:
        good = int(good_g[1])
        tol = 1e-4 * max(float(np.std(x_in)), 1e-300)  # responsibilities to ~1e-4
        share = np.full((1, k), fit.weights[good] / fit.weights.sum())
        start = (fit.means[None], fit.sds[None], share)
        _, theta = _shared_em(x_in, lab[inside], k, np.ones((1, x_in.size)), good, start,
                              fit.sd_floor, 1e-4 * tol, 1e-8)

    def weights_of(labels: np.ndarray) -> np.ndarray:
        """Success (failure) weights of the sorted runs placed at scales ``labels``
        (``(B, N)``), the shared EM refitted from the observed estimate."""
        w = np.tile(r_pooled, (labels.shape[0], 1))
        if em:
            st = tuple(np.repeat(q, labels.shape[0], axis=0) for q in theta)
            ones = np.ones((labels.shape[0], x_in.size))
            w[:, inside] = _shared_em(x_in, labels[:, inside], k, ones, good, st,
                                      fit.sd_floor, tol)[0]
        return 1.0 - w if flip else w

    def stat(labels, weights):
        if method == "ebar2":
            return _ebar2(x, labels, k, alternative, weights)
        return _concordance(labels, lo, hi, k, weights)

    r_success = r_pooled.copy()
    if em:
        r_success[inside] = _shared_resp(x_in, lab[inside], good, *theta)[0]
    w = 1.0 - r_success if flip else r_success
    obs = float(stat(lab[None], w[None])[0])
    s_w = float(_concordance(lab[None], lo, hi, k, w[None])[0])
    wsum = np.bincount(lab, weights=w, minlength=k)
    pairs = n_pairs(wsum)
    up = down = 0
    step = max(1, min(n_resamples, BLOCK // (16 * pooled.size)))
    for c in range(0, n_resamples, step):
        b = min(step, n_resamples - c)
        labs = np.tile(lab, (b, 1))
        # draw the classes from the posterior, permute the runs of each class across
        # scales, refit the shared EM and recompute the weighted statistic
        z = gen.random((b, x.size)) < r_success
        perm = _permute_within(_permute_within(labs, z, gen), ~z, gen)
        t_null = stat(perm, weights_of(perm))
        tol_t = 1e-9 * max(1.0, abs(obs))
        up += np.count_nonzero(t_null >= obs - tol_t)
        down += np.count_nonzero(t_null <= obs + tol_t)
    p_up, p_down = (up + 1) / (n_resamples + 1), (down + 1) / (n_resamples + 1)
    pvalue = p_up if method == "ebar2" else _tails(p_up, p_down, alternative)
    statistic = {"jonckheere": (s_w + pairs) / 2, "mann-kendall": s_w, "ebar2": obs}[method]
    wy = np.bincount(lab, weights=w * x, minlength=k)
    return {
        "statistic": float(statistic),
        "pvalue": float(pvalue),
        "pvalue_method": "permutation",
        "effect_size": s_w / pairs if pairs > 0 else 0.0,
        "n_resamples": n_resamples,
        "weight": wsum,
        "means": np.divide(wy, wsum, out=np.full(k, np.nan), where=wsum > 0),
    }


def _permute_within(labels: np.ndarray, mask: np.ndarray, gen: np.random.Generator):
    """Shuffle the labels of the masked entries of each row among themselves."""
    keys = np.where(mask, gen.random(mask.shape), np.inf)
    src = np.argsort(keys, axis=1, kind="stable")  # masked in random order, then the rest
    dst = np.argsort(np.where(mask, 0.0, np.inf), axis=1, kind="stable")  # masked in order
    out = np.empty_like(labels)
    np.put_along_axis(out, dst, np.take_along_axis(labels, src, axis=1), axis=1)
    return out
