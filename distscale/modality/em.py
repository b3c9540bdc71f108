"""Batched EM engine for one-dimensional Gaussian mixtures (private).

One function, :func:`fit_batch`, fits a ``k``-component Gaussian mixture to
every row of a ``(batch, n)`` array at once -- every bootstrap replicate of
every scale of equal size is one row -- because model selection and the
seed-bootstrap intervals need thousands of refits. This module holds the
whole engine: per-row standardisation, the deterministic and random starts,
the closed-form two-component E and M steps, the general ``k`` EM step,
SQUAREM acceleration and the active-set loop. The model, the starts and the
variance floor are described in :mod:`distscale.modality.mixture`; point masses at
bounds are handled by its callers (they enter here as zero weights).
"""

from __future__ import annotations

import math

import numpy as np

_LOG_2PI = math.log(2.0 * math.pi)

#: Default smallest component standard deviation, as a fraction of the
#: standard deviation of the values the Gaussian components model.
SD_FLOOR = 0.1

#: Smallest component weight the two-component EM works with.
_W_EPS = 1e-12

#: Target number of float64 elements per working block of the EM engine: the
#: handful of ``(rows, n)`` arrays an iteration touches then stay in cache.
_BLOCK_ELEMENTS = 524_288


# ----------------------------------------------------------------------------- engine
def _standardize(x: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, ...]:
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


def _kmeans_split(zs: np.ndarray, ws: np.ndarray | None) -> np.ndarray:
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


def _group_start(
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
    v_lo = np.maximum(s2_lo / n_lo - m_lo**2, floor_var)
    v_hi = np.maximum(s2_hi / n_hi - m_hi**2, floor_var)
    weight = np.stack([n_lo, n_hi], axis=1) / total[:, None]
    return weight, np.stack([m_lo, m_hi], axis=1), np.stack([v_lo, v_hi], axis=1)


def _starts_two(
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
    cut = _kmeans_split(zs, ws)
    weights[:, 0], means[:, 0], variances[:, 0] = _group_start(zs, ws, cut, floor_var)
    if n_init >= 2:
        weights[:, 1] = 0.5
        means[:, 1] = 0.0
        variances[:, 1, 0] = max(0.25, floor_var)
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
            weights[:, s], means[:, s], variances[:, s] = _group_start(zs, ws, cuts, floor_var)
    return weights, means, variances


def _e_two(zc, z2c, wc, tots, theta, t, u, with_ll):
    """E step for two components on standardized rows.

    Returns the responsibility-weighted sums ``(s0, s1, s2)`` of component 1
    (the sums of ``r``, ``r z`` and ``r z**2``) and, with ``with_ll``, the
    log-likelihood of each row. The responsibility of component 1 is the
    logistic of the log-density ratio, a quadratic ``a z**2 + b z + c`` in
    ``z``, so no per-component densities are formed. ``t`` and ``u`` are
    work buffers shaped like ``zc``.
    """
    w1, m0, m1, v0, v1 = theta
    w1 = np.clip(w1, _W_EPS, 1.0 - _W_EPS)  # a component that lost its weight stays finite
    t0, t1, t2 = tots
    # nq = log(w0 N0(z) / (w1 N1(z))) = a z^2 + b z + c
    a = 0.5 / v1 - 0.5 / v0
    b = m0 / v0 - m1 / v1
    c = np.log1p(-w1) - np.log(w1) + 0.5 * np.log(v1 / v0) + 0.5 * (m1 * m1 / v1 - m0 * m0 / v0)
    np.multiply(z2c, a[:, None], out=t)
    np.multiply(zc, b[:, None], out=u)
    t += u
    t += c[:, None]
    ll = None
    if not with_ll:
        with np.errstate(over="ignore"):
            np.exp(t, out=t)
        t += 1.0
        np.reciprocal(t, out=t)  # r1 = 1 / (1 + exp(nq))
        r = t
    else:
        # log(w0 N0 + w1 N1) = log(w1 N1) + softplus(nq), and
        # softplus(nq) = max(nq, 0) + log1p(exp(-|nq|)), all without overflow.
        np.abs(t, out=u)
        abs_sum = u.sum(axis=1) if wc is None else np.einsum("ij,ij->i", wc, u)
        np.negative(u, out=u)
        np.exp(u, out=u)  # e = exp(-|nq|) in (0, 1]
        den = np.add(u, 1.0)
        pos = t >= 0
        np.log(den, out=t)  # log1p(e), t is free again (the sign is in `pos`)
        l_sum = t.sum(axis=1) if wc is None else np.einsum("ij,ij->i", wc, t)
        np.copyto(u, 1.0, where=~pos)
        np.divide(u, den, out=u)  # r1 = e / (1 + e) if nq >= 0 else 1 / (1 + e)
        r = u
        nq_sum = a * t2 + b * t1 + c * t0
        l1_sum = t0 * (np.log(w1) - 0.5 * (_LOG_2PI + np.log(v1))) - (
            t2 - 2 * m1 * t1 + m1 * m1 * t0
        ) / (2 * v1)
        ll = l1_sum + 0.5 * (nq_sum + abs_sum) + l_sum
    if wc is not None:
        r *= wc
    s0 = r.sum(axis=1)
    s1 = np.einsum("ij,ij->i", r, zc)
    s2 = np.einsum("ij,ij->i", r, z2c)
    return (s0, s1, s2), ll


def _m_two(stats, tots, theta, floor_var):
    """M step for two components (a component with no weight keeps its place)."""
    s0, s1, s2 = stats
    t0, t1, t2 = tots
    _, m0, m1, v0, v1 = theta
    r0 = t0 - s0
    with np.errstate(divide="ignore", invalid="ignore"):
        nm1 = np.where(s0 > 0, s1 / s0, m1)
        nm0 = np.where(r0 > 0, (t1 - s1) / r0, m0)
        nv1 = np.maximum(np.where(s0 > 0, s2 / s0 - nm1 * nm1, v1), floor_var)
        nv0 = np.maximum(np.where(r0 > 0, (t2 - s2) / r0 - nm0 * nm0, v0), floor_var)
    return (s0 / t0, nm0, nm1, nv0, nv1)


def _to_phi(theta):
    w1, m0, m1, v0, v1 = theta
    w1 = np.clip(w1, _W_EPS, 1 - _W_EPS)
    return np.stack([np.log(w1) - np.log1p(-w1), m0, m1, np.log(v0), np.log(v1)])


def _from_phi(phi, floor_var):
    w1 = 1.0 / (1.0 + np.exp(-np.clip(phi[0], -700, 700)))
    w1 = np.clip(w1, _W_EPS, 1 - _W_EPS)
    v0 = np.maximum(np.exp(np.minimum(phi[3], 700)), floor_var)
    v1 = np.maximum(np.exp(np.minimum(phi[4], 700)), floor_var)
    return (w1, phi[1], phi[2], v0, v1)


def _em_two(
    z: np.ndarray,
    z2: np.ndarray,
    w: np.ndarray | None,
    totals: tuple[np.ndarray, np.ndarray, np.ndarray],
    weight1: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    floor_var: float,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, ...]:
    """EM for two components on standardized rows, SQUAREM-accelerated, with an active set.

    Each cycle takes two EM steps from ``theta0``, extrapolates along them
    (SQUAREM, scheme S3 of Varadhan & Roland 2008, in the coordinates
    logit-weight, means, log-variances) and takes one more EM step from the
    extrapolated point. Only the extrapolated point's log-likelihood is
    computed: it must not fall below ``ref``, a lower bound on the
    log-likelihood of ``theta0`` (the start's value, then the last accepted
    extrapolated point, which one more EM step can only improve); otherwise
    the plain second EM step is kept and the step bound shrinks (at bound 1
    the extrapolated point *is* the plain step, so this always ends). A row
    stops when an accepted cycle gains less than ``tol`` per unit weight,
    when a component loses all weight, or after ``max_iter`` EM steps. Returns
    ``(weight1, mean, var, n_iter, converged)``; ``n_iter`` counts EM steps.
    """
    rows = z.shape[0]
    theta = [weight1.copy(), mean[:, 0].copy(), mean[:, 1].copy(), var[:, 0].copy(),
             var[:, 1].copy()]
    n_iter = np.zeros(rows, dtype=np.int64)
    converged = np.zeros(rows, dtype=bool)
    idx = np.arange(rows)
    zc, z2c, wc = z, z2, w
    tots = totals
    buf_t = np.empty_like(z)
    buf_u = np.empty_like(z)
    _, ref = _e_two(zc, z2c, wc, tots, tuple(theta), buf_t, buf_u, True)
    step_max = np.ones(rows)  # largest extrapolation allowed, adapted per row
    steps = 0
    while idx.size and steps < max_iter:
        t = buf_t[: idx.size]
        u = buf_u[: idx.size]
        th0 = tuple(p[idx] for p in theta)
        stats, _ = _e_two(zc, z2c, wc, tots, th0, t, u, False)
        th1 = _m_two(stats, tots, th0, floor_var)
        stats, _ = _e_two(zc, z2c, wc, tots, th1, t, u, False)
        th2 = _m_two(stats, tots, th1, floor_var)
        phi0, phi1, phi2 = _to_phi(th0), _to_phi(th1), _to_phi(th2)
        r = phi1 - phi0
        v = phi2 - phi1 - r
        rr, vv = (r * r).sum(axis=0), (v * v).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = -np.sqrt(rr / vv)
        smax = step_max[idx]
        alpha = np.clip(np.where(np.isfinite(alpha), alpha, -1.0), -smax, -1.0)
        thx = _from_phi(phi0 - 2 * alpha * r + alpha**2 * v, floor_var)
        stats, llx = _e_two(zc, z2c, wc, tots, thx, t, u, True)
        th3 = _m_two(stats, tots, thx, floor_var)
        old = ref[idx]
        # else fall back to the plain EM step theta2 (the slack absorbs rounding)
        ok = llx >= old - 1e-12 * (np.abs(old) + tots[0])
        new = tuple(np.where(ok, a3, a2) for a3, a2 in zip(th3, th2, strict=True))
        step_max[idx] = np.where(
            ok, np.where(alpha <= -smax, 4.0 * smax, smax), np.maximum(1.0, smax / 4.0)
        )
        steps += 3
        for p, q in zip(theta, new, strict=True):
            p[idx] = q
        n_iter[idx] = steps
        ref[idx] = np.where(ok, np.maximum(llx, old), old)
        dead = (new[0] <= _W_EPS) | (new[0] >= 1 - _W_EPS)
        done = (ok & (llx - old <= tol * tots[0])) | dead
        if done.any():
            converged[idx[done]] = True
            keep = ~done
            idx = idx[keep]
            zc, z2c = zc[keep], z2c[keep]
            wc = None if wc is None else wc[keep]
            tots = tuple(x[keep] for x in tots)
    weight1 = theta[0]
    mean = np.stack([theta[1], theta[2]], axis=1)
    var = np.stack([theta[3], theta[4]], axis=1)
    return weight1, mean, var, n_iter, converged


def _loglik(
    z: np.ndarray, w: np.ndarray | None, weights: np.ndarray, mean: np.ndarray, var: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood of each row (standardized units) and responsibilities ``(rows, k, n)``."""
    with np.errstate(divide="ignore"):
        logw = np.log(weights)
    dens = (
        logw[:, :, None]
        - 0.5 * (_LOG_2PI + np.log(var))[:, :, None]
        - (z[:, None, :] - mean[:, :, None]) ** 2 / (2 * var[:, :, None])
    )
    top = dens.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    ex = np.exp(dens - top)
    tot = ex.sum(axis=1, keepdims=True)
    logp = np.log(tot[:, 0, :]) + top[:, 0, :]
    resp = ex / tot
    ll = logp.sum(axis=1) if w is None else np.einsum("ij,ij->i", w, logp)
    return ll, resp


def _starts_general(
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
        variances[:, s] = np.where(empty, 1.0, np.maximum(s2 / nn - m * m, floor_var))
    return weights, means, variances


def _em_general(
    z: np.ndarray,
    w: np.ndarray | None,
    weights: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    floor_var: float,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, ...]:
    """Plain EM for ``k`` components (log-sum-exp responsibilities), with an active set."""
    rows = z.shape[0]
    weights, mean, var = weights.copy(), mean.copy(), var.copy()
    n_iter = np.zeros(rows, dtype=np.int64)
    converged = np.zeros(rows, dtype=bool)
    total = np.full(rows, float(z.shape[1])) if w is None else w.sum(axis=1)
    idx = np.arange(rows)
    prev = np.full(rows, -np.inf)
    zc, wc = z, w
    for it in range(1, max_iter + 1):
        ll, resp = _loglik(zc, wc, weights[idx], mean[idx], var[idx])
        if wc is not None:
            resp = resp * wc[:, None, :]
        nk = resp.sum(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.einsum("ikn,in->ik", resp, zc) / nk
            v = np.einsum("ikn,in->ik", resp, zc * zc) / nk - m * m
        alive = nk > 0
        mean[idx] = np.where(alive, m, mean[idx])
        var[idx] = np.maximum(np.where(alive, v, var[idx]), floor_var)
        weights[idx] = nk / total[idx, None]
        n_iter[idx] = it
        done = ll - prev[idx] <= tol * total[idx]
        prev[idx] = ll
        if done.any():
            converged[idx[done]] = True
            keep = ~done
            idx = idx[keep]
            if idx.size == 0:
                break
            zc = zc[keep]
            wc = None if wc is None else wc[keep]
    return weights, mean, var, n_iter, converged


def fit_batch(
    x: np.ndarray,
    k: int,
    *,
    weights: np.ndarray | None = None,
    n_init: int = 10,
    rng: np.random.Generator | None = None,
    sd_floor: float = SD_FLOOR,
    tol: float = 1e-10,
    max_iter: int = 5000,
    responsibilities: bool = False,
    init: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Fit a ``k``-component Gaussian mixture to every row of ``x`` at once.

    Parameters
    ----------
    x : ndarray, shape (batch, n)
        One sample per row. Samples of unequal size are padded with any
        finite value and given zero ``weights`` there.
    k : int
        Number of components (``k == 1`` is closed form).
    weights : ndarray, shape (batch, n), optional
        Non-negative weight of each value (bootstrap counts, or 0 for padding
        and for values modelled by point masses). Every row needs a positive total.
    n_init : int
        Starts per row (see :func:`_starts_two`); the best log-likelihood wins.
    rng : numpy.random.Generator
        Draws the random starts (needed when ``n_init >= 3``).
    sd_floor : float
        Smallest component sd as a fraction of the row's (weighted) sd.
    tol : float
        Stop a start when the EM objective gains less than ``tol`` per unit weight.
    max_iter : int
        Iteration cap per start.
    responsibilities : bool
        Also return the ``(batch, k, n)`` responsibilities of the best start.
    init : (weights, means, sds), optional
        A start given per row, shape ``(batch, k)`` each, in data units; it
        replaces the last of the ``n_init`` starts. Bootstrap replicates use
        the fit to the original data as a start, so they converge in a few
        steps and keep its labelling.

    Returns
    -------
    dict
        ``weights``, ``means``, ``sds`` (``(batch, k)``, original units, sorted
        by mean), ``loglik`` (``(batch,)``, Gaussian part only), ``n_iter``,
        ``converged``, ``floor`` (absolute sd floor per row), ``at_floor``
        (``(batch, k)``: component sd held at the floor), and optionally ``resp``.
    """
    x = np.asarray(x, dtype=float)
    batch, n = x.shape
    z, loc, scale, total = _standardize(x, weights)
    flat = scale <= 0
    # a row with no spread: every component sits on the value with the floor
    # relative to the magnitude of the value (the likelihood is degenerate)
    eff_scale = np.where(flat, np.maximum(np.abs(loc), 1.0) * 1e-6, scale)
    floor_var = float(sd_floor) ** 2
    log_scale = np.log(eff_scale)
    if k == 1:
        w_out = np.ones((batch, 1))
        m_out = np.zeros((batch, 1))
        v_out = np.where(flat, floor_var, np.maximum(1.0, floor_var))[:, None]
        n_iter = np.zeros(batch, dtype=np.int64)
        conv = np.ones(batch, dtype=bool)
        ll, resp = _loglik(z, weights, w_out, m_out, v_out)
    else:
        if k == 2:
            sw, sm, sv = _starts_two(z, weights, n_init, floor_var, rng)
        else:
            sw, sm, sv = _starts_general(z, weights, k, n_init, floor_var, rng)
        if init is not None:
            iw, im, isd = (np.asarray(a, dtype=float) for a in init)
            sw[:, -1] = np.clip(iw / iw.sum(axis=1, keepdims=True), 1e-6, 1 - 1e-6)
            sm[:, -1] = (im - loc[:, None]) / eff_scale[:, None]
            sv[:, -1] = np.maximum((isd / eff_scale[:, None]) ** 2, floor_var)
        pairs = batch * n_init
        all_w = np.empty((pairs, k))
        all_m = np.empty((pairs, k))
        all_v = np.empty((pairs, k))
        all_ll = np.empty(pairs)
        all_it = np.empty(pairs, dtype=np.int64)
        all_cv = np.empty(pairs, dtype=bool)
        block = max(1, _BLOCK_ELEMENTS // max(n, 1))
        for lo in range(0, pairs, block):
            hi = min(pairs, lo + block)
            row = np.arange(lo, hi) // n_init
            start = np.arange(lo, hi) % n_init
            zc = z[row]
            wc = None if weights is None else weights[row]
            if k == 2:
                z2c = zc * zc
                if wc is None:
                    totals = (np.full(hi - lo, float(n)), zc.sum(axis=1), z2c.sum(axis=1))
                else:
                    totals = (
                        wc.sum(axis=1),
                        np.einsum("ij,ij->i", wc, zc),
                        np.einsum("ij,ij->i", wc, z2c),
                    )
                w1, mm, vv, it, cv = _em_two(
                    zc, z2c, wc, totals, sw[row, start, 1], sm[row, start], sv[row, start],
                    floor_var, tol, max_iter,
                )
                ww = np.stack([1.0 - w1, w1], axis=1)
            else:
                ww, mm, vv, it, cv = _em_general(
                    zc, wc, sw[row, start], sm[row, start], sv[row, start], floor_var, tol,
                    max_iter,
                )
            all_ll[lo:hi], _ = _loglik(zc, wc, ww, mm, vv)
            all_w[lo:hi], all_m[lo:hi], all_v[lo:hi] = ww, mm, vv
            all_it[lo:hi], all_cv[lo:hi] = it, cv
        # keep the best start of each row (the first one on exact ties)
        best = np.arange(batch) * n_init + np.argmax(all_ll.reshape(batch, n_init), axis=1)
        w_out, m_out, v_out = all_w[best], all_m[best], all_v[best]
        n_iter, conv, ll = all_it[best], all_cv[best], all_ll[best]
        resp = None
        if responsibilities:
            _, resp = _loglik(z, weights, w_out, m_out, v_out)
    order = np.lexsort((v_out, m_out))  # sort by mean, ties by variance
    w_out = np.take_along_axis(w_out, order, axis=1)
    m_out = np.take_along_axis(m_out, order, axis=1)
    v_out = np.take_along_axis(v_out, order, axis=1)
    at_floor = v_out <= floor_var * (1 + 1e-9)
    out = {
        "weights": w_out,
        "means": loc[:, None] + eff_scale[:, None] * m_out,
        "sds": eff_scale[:, None] * np.sqrt(v_out),
        "loglik": ll - total * log_scale,
        "n_iter": n_iter,
        "converged": conv,
        "floor": eff_scale * math.sqrt(floor_var),
        "at_floor": at_floor,
    }
    if responsibilities:
        out["resp"] = np.take_along_axis(resp, order[:, :, None], axis=1)
    return out
