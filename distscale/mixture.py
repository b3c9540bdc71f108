r"""Batched one-dimensional Gaussian mixtures, with point masses at known bounds.

:func:`fit_mixture` fits one sample and :func:`select_components` chooses the
number of components (BIC, or a parametric-bootstrap likelihood-ratio test in
the manner of R mclust's ``mclustBootstrapLRT``). Underneath, one private
engine, :func:`_fit_batch`, fits many samples at once -- every bootstrap
replicate of every scale as the rows of one ``(batch, n)`` array -- because
model selection needs thousands of refits.

The model
---------
Without ``bounds`` the model is a mixture of ``k`` Gaussians. With
``bounds=(lo, hi)`` (a metric that lives in ``[lo, hi]``, such as an accuracy
in ``[0, 1]``) a value exactly at a bound is explained by a *point mass* at
that bound (zero- or one-inflation), and the Gaussian components explain the
values strictly inside. The likelihood is taken with respect to Lebesgue
measure on ``(lo, hi)`` plus counting measure at ``lo`` and ``hi``:

.. math::

    L = \prod_{x_i = lo} \pi_{lo} \prod_{x_i = hi} \pi_{hi}
        \prod_{lo < x_i < hi} \sum_j w_j \, \phi(x_i; \mu_j, \sigma_j),

with ``pi_lo + pi_hi + sum(w) = 1``. It factorises, so the point-mass
weights have the closed-form maximum ``pi_b = (number of values at b) / n``
and the Gaussian part is an ordinary mixture fitted to the inside values
(with weights ``w_j / (1 - pi_lo - pi_hi)``). A point mass is a free
parameter only where a value sits at the bound; BIC counts
``3 k - 1 + m`` parameters for ``k`` Gaussians and ``m`` point masses. The
point-mass factor is the same for ``k`` and ``k + 1`` Gaussians, so it
cancels from the likelihood-ratio test, which therefore compares Gaussian
mixtures of the inside values. The Gaussian densities are not truncated at
the bounds (a model of the shape of the inside values).

The fit
-------
Every sample is centred and scaled to unit standard deviation first (so
fits are location-scale equivariant). *Variance floor*: no component
standard deviation may fall below ``sd_floor`` (default 0.1) times the
standard deviation of the values the Gaussians model; without a floor the
likelihood is unbounded (a component shrinking onto one value), and a floor
relative to the spread keeps the fit scale-free. *Starts* (``n_init`` of
them; the highest log-likelihood wins): (1) the exact optimal two-means
split of the sorted sample (Fisher's 1-D clustering, by cumulative sums;
for ``k >= 3``, equal-count quantile groups); (2) a narrow and a wide
component at the same centre (heavy tails); (3) the lowest value alone
against the rest and (4) the highest value alone; (5 ...) cuts of the
sorted sample after a number of values drawn uniformly from ``rng``. Starts
1-4 draw nothing. *Iterations*: EM accelerated by SQUAREM (Varadhan &
Roland 2008, scheme S3 with an adaptive step bound and a fall-back that
keeps the log-likelihood monotone). For two components the responsibility
is the logistic of the log-density ratio, a quadratic in ``x``, so an EM
step makes about ten passes over memory; a row leaves the active set as
soon as its log-likelihood gains less than ``tol`` per value over a cycle
of three EM steps.

Ties
----
A Gaussian mixture treats the data as continuous. Tied values (a metric
such as exact match on few examples) let a component collapse onto one
value, and the likelihood then grows as the component narrows -- only the
floor stops it, so the fit and any likelihood-ratio test are set by the
floor, not the data. A fit with two or more components in which a
component takes half or more of its weight from *one repeated value* is
reported as *collapsed onto ties* (``MixtureFit.degenerate``) with a
:class:`~distscale.DegenerateDataWarning`: that component is a point mass,
not a Gaussian. :func:`select_components` also warns when the smallest or
largest value is repeated by at least ``max(3, 10%)`` of the values at an end
that is not a bound. Values exactly at the ends of a bounded metric are
better described by ``bounds``. When the values lie on a regular grid (a
discrete metric), the bootstrap replicates of the likelihood-ratio test are
rounded to that grid, so the null carries the same discreteness.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from distscale._validation import (
    check_finite_array,
    check_n_resamples,
    check_one_of,
    check_rng,
    format_labels,
)
from distscale._warnings import DegenerateDataWarning

__all__ = ["ComponentSelection", "MixtureFit", "fit_mixture", "select_components"]

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


def _fit_batch(
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


# ------------------------------------------------------------------ batch helpers
def _n_distinct(x: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Number of distinct values (with positive weight) in every row."""
    if w is not None:
        x = np.where(w > 0, x, np.nan)  # NaN sorts last and is never counted
    xs = np.sort(x, axis=1)
    finite = np.isfinite(xs)
    change = (xs[:, 1:] != xs[:, :-1]) & finite[:, 1:]
    return finite[:, 0].astype(np.int64) + change.sum(axis=1)


def _single_value_share(x: np.ndarray, resp: np.ndarray) -> np.ndarray:
    """Largest share of each component's weight that sits on one repeated value.

    ``x`` has shape ``(n,)`` and ``resp`` shape ``(k, n)``; values that occur
    only once are not counted (a component on one untied value is a spike
    that the variance floor already controls).
    """
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    mass = np.zeros((resp.shape[0], values.size))
    for j in range(resp.shape[0]):
        mass[j] = np.bincount(inverse, weights=resp[j], minlength=values.size)
    total = mass.sum(axis=1)
    tied = mass[:, counts >= 2]
    if tied.shape[1] == 0:
        return np.zeros(resp.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = tied.max(axis=1) / total
    return np.where(total > 0, share, 0.0)


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


def _fit_groups(samples, k, **kw) -> list[dict[str, np.ndarray]]:
    """Fit ``k`` components to each 1-D sample; samples of equal size share one batch."""
    out: list[dict[str, np.ndarray] | None] = [None] * len(samples)
    sizes = np.array([s.size for s in samples])
    for n in np.unique(sizes):
        members = np.flatnonzero(sizes == n)
        fit = _fit_batch(np.stack([samples[i] for i in members]), k, **kw)
        for j, i in enumerate(members):
            out[i] = {key: val[j] for key, val in fit.items()}
    return out  # type: ignore[return-value]


def _bootstrap_lrt(
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
        ll_k = _fit_batch(x, k, rng=rng, **kw)["loglik"]
        ll_k1 = _fit_batch(x, k + 1, rng=rng, **kw)["loglik"]
        stat = 2.0 * (ll_k1 - ll_k)
        start = 0
        for i, _, m in chunk:
            obs = observed[i]
            exceed[i] += int(np.sum(stat[start : start + m] >= obs - 1e-9 * (1 + abs(obs))))
            start += m
    return (1.0 + exceed) / (n_resamples + 1.0)


# --------------------------------------------------------------------- validation
def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer; got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"`{name}` must be at least {minimum}; got {value}")
    return int(value)


def _check_positive(name: str, value: object, *, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number; got {type(value).__name__}")
    value = float(value)
    if not (value > 0 and math.isfinite(value)) or (upper is not None and value > upper):
        rule = f"in (0, {upper:g}]" if upper is not None else "positive and finite"
        raise ValueError(f"`{name}` must be {rule}; got {value}")
    return value


def _check_bounds(bounds: object) -> tuple[float, float] | None:
    """``None`` or ``(lo, hi)`` with ``lo < hi``; ``None`` for a side means unbounded."""
    if bounds is None:
        return None
    if isinstance(bounds, (str, bytes)) or not isinstance(bounds, Sequence) or len(bounds) != 2:
        raise TypeError(f"`bounds` must be None or a pair (lo, hi); got {bounds!r}")
    out = []
    for side, b, default in (("lo", bounds[0], -math.inf), ("hi", bounds[1], math.inf)):
        if b is None:
            out.append(default)
            continue
        if isinstance(b, bool) or not isinstance(b, numbers.Real):
            raise TypeError(f"`bounds` {side} must be a number or None; got {type(b).__name__}")
        if math.isnan(float(b)):
            raise ValueError(f"`bounds` {side} must not be NaN")
        out.append(float(b))
    lo, hi = out
    if not lo < hi:
        raise ValueError(f"`bounds` must satisfy lo < hi; got ({lo:g}, {hi:g})")
    return lo, hi


def _split_bounds(
    x: np.ndarray, bounds: tuple[float, float] | None, name: str = "x"
) -> tuple[np.ndarray, list[float], list[np.ndarray]]:
    """Inside-mask, point-mass locations and their masks; checks values lie in bounds."""
    if bounds is None:
        return np.ones(x.shape, dtype=bool), [], []
    lo, hi = bounds
    outside = np.flatnonzero((x < lo) | (x > hi))
    if outside.size:
        raise ValueError(
            f"`{name}` has {outside.size} values outside `bounds` ({lo:g}, {hi:g}) at "
            f"positions {format_labels(outside.tolist())}"
        )
    locs, masks = [], []
    for b in (lo, hi):
        if math.isfinite(b):
            mask = x == b
            if mask.any():
                locs.append(b)
                masks.append(mask)
    inside = np.ones(x.shape, dtype=bool)
    for mask in masks:
        inside &= ~mask
    return inside, locs, masks


def _pile_up(x: np.ndarray, bounds: tuple[float, float] | None) -> str | None:
    """Describe a pile of tied values at the smallest or largest value, if any.

    A pile is the extreme value repeated by at least ``max(3, 10%)`` of the
    values, where that extreme is not a bound (values at a bound are point
    masses already). Exact 0s or 1s of an accuracy passed without ``bounds``
    are the usual cause.
    """
    n = x.size
    need = max(3, math.ceil(0.1 * n))
    found = []
    for name, v in (("smallest", float(x.min())), ("largest", float(x.max()))):
        if bounds is not None and v in bounds:
            continue
        count = int(np.sum(x == v))
        if count >= need and (not found or v != found[-1][1]):
            found.append((name, v, count))
    if not found:
        return None
    return "; ".join(f"{c} of {n} values sit exactly at the {nm} value {v:g}" for nm, v, c in found)


def _component_labels(k: int) -> tuple[str, ...]:
    """Labels of Gaussian components sorted by mean."""
    if k == 1:
        return ("single",)
    if k == 2:
        return ("low", "high")
    if k == 3:
        return ("low", "middle", "high")
    return tuple(f"c{j + 1}" for j in range(k))


def _point_label(location: float) -> str:
    return f"at {location:g}"


# --------------------------------------------------------------------- results
@dataclass(frozen=True)
class MixtureFit:
    """A fitted one-dimensional Gaussian mixture, with point masses at bounds.

    Gaussian components are sorted by mean, so ``labels`` ("low", "high" for
    two components) are stable. Weights are probabilities of the whole
    distribution: ``weights.sum() + point_mass_weights.sum() == 1``.

    Attributes
    ----------
    weights, means, sds : numpy.ndarray
        Gaussian components, shape ``(k,)``, sorted by mean.
    point_mass_locations, point_mass_weights : numpy.ndarray
        Point masses at the bounds that hold at least one value, shape ``(m,)``.
    log_likelihood : float
        Mixed discrete/continuous log-likelihood (see the module notes).
    bic : float
        ``-2 log_likelihood + n_parameters log n``.
    n_parameters : int
        ``3 k - 1 + m``.
    n : int
        Number of values; ``n_continuous`` of them lie strictly inside the bounds.
    n_continuous : int
    converged : bool
        Whether EM met its tolerance within ``max_iter`` steps.
    n_iter : int
        EM steps of the best start.
    responsibilities : numpy.ndarray
        Shape ``(n, k + m)``: posterior probability of each component (Gaussians
        first, then point masses) for each value, in the input order.
    sd_floor : float
        The smallest allowed component sd, in data units.
    at_floor : numpy.ndarray
        Which components have their sd held at the floor.
    degenerate : bool
        A component takes half or more of its weight from one repeated value
        (collapsed onto ties; see the module notes).
    bounds : tuple of float or None
    labels : tuple of str
        Component labels: Gaussians then point masses (e.g. ``"at 0"``).
    """

    weights: np.ndarray
    means: np.ndarray
    sds: np.ndarray
    point_mass_locations: np.ndarray
    point_mass_weights: np.ndarray
    log_likelihood: float
    bic: float
    n_parameters: int
    n: int
    n_continuous: int
    converged: bool
    n_iter: int
    responsibilities: np.ndarray = field(repr=False)
    sd_floor: float = field(repr=False)
    at_floor: np.ndarray = field(repr=False)
    degenerate: bool = False
    bounds: tuple[float, float] | None = None
    labels: tuple[str, ...] = ()

    @property
    def n_components(self) -> int:
        """Number of Gaussian components."""
        return int(self.means.size)

    def pdf(self, x: object) -> np.ndarray:
        """Density of the Gaussian part at ``x`` (point masses excluded)."""
        xx = np.asarray(x, dtype=float)[..., None]
        z = (xx - self.means) / self.sds
        dens = self.weights * np.exp(-0.5 * z * z) / (self.sds * math.sqrt(2 * math.pi))
        return dens.sum(axis=-1)

    def to_frame(self) -> pd.DataFrame:
        """One row per component: label, kind, weight, mean, sd (0 for a point mass).

        Examples
        --------
        >>> fit = fit_mixture([0.0, 0.0, 0.2, 0.3, 0.25, 0.8, 0.85, 0.9, 1.0],
        ...                   bounds=(0, 1), rng=0)
        >>> fit.to_frame()[["component", "kind"]].values.tolist()
        [['low', 'gaussian'], ['high', 'gaussian'], ['at 0', 'point mass'], ['at 1', 'point mass']]
        """
        k = self.means.size
        return pd.DataFrame(
            {
                "component": list(self.labels),
                "kind": ["gaussian"] * k + ["point mass"] * self.point_mass_locations.size,
                "weight": np.concatenate([self.weights, self.point_mass_weights]),
                "mean": np.concatenate([self.means, self.point_mass_locations]),
                "sd": np.concatenate([self.sds, np.zeros(self.point_mass_locations.size)]),
                "at_floor": np.concatenate(
                    [self.at_floor, np.zeros(self.point_mass_locations.size, dtype=bool)]
                ),
            }
        )


def _frozen(arr: object, dtype: object = float) -> np.ndarray:
    out = np.array(arr, dtype=dtype)
    out.flags.writeable = False
    return out


def _assemble_fit(
    x: np.ndarray,
    inside: np.ndarray,
    locs: list[float],
    masks: list[np.ndarray],
    row: dict[str, np.ndarray],
    bounds: tuple[float, float] | None,
    resp_inside: np.ndarray,
) -> MixtureFit:
    """Turn one row of :func:`_fit_batch` output into a :class:`MixtureFit`."""
    n = x.size
    n_in = int(inside.sum())
    k = row["means"].size
    counts = np.array([int(m.sum()) for m in masks], dtype=float)
    pm_w = counts / n
    cont = n_in / n
    ll = float(row["loglik"]) + (n_in * math.log(cont) if n_in else 0.0)
    ll += float(np.sum(counts * np.log(np.where(pm_w > 0, pm_w, 1.0))))
    n_par = 3 * k - 1 + len(locs)
    resp = np.zeros((n, k + len(locs)))
    resp[inside, :k] = resp_inside.T
    for j, mask in enumerate(masks):
        resp[mask, k + j] = 1.0
    share = _single_value_share(x[inside], resp_inside)
    degenerate = bool(k >= 2 and np.any(share >= 0.5))
    return MixtureFit(
        weights=_frozen(row["weights"] * cont),
        means=_frozen(row["means"]),
        sds=_frozen(row["sds"]),
        point_mass_locations=_frozen(locs),
        point_mass_weights=_frozen(pm_w),
        log_likelihood=ll,
        bic=-2.0 * ll + n_par * math.log(n),
        n_parameters=n_par,
        n=n,
        n_continuous=n_in,
        converged=bool(row["converged"]),
        n_iter=int(row["n_iter"]),
        responsibilities=_frozen(resp),
        sd_floor=float(row["floor"]),
        at_floor=_frozen(row["at_floor"], bool),
        degenerate=degenerate,
        bounds=bounds,
        labels=_component_labels(k) + tuple(_point_label(b) for b in locs),
    )


def _warn_fit(fit: MixtureFit, where: str = "", stacklevel: int = 3) -> None:
    if fit.degenerate:
        warnings.warn(
            f"{where}a Gaussian component collapsed onto tied values (half or more of its "
            f"weight is one repeated value; component means "
            f"{', '.join(f'{m:.6g}' for m in fit.means)}): a repeated value is a point mass, "
            "on which a Gaussian's likelihood grows without bound as it narrows, so the fit "
            "and any likelihood-ratio test reflect the ties and the variance floor, not two "
            "modes; use `bounds` for values at the ends of a bounded metric",
            DegenerateDataWarning,
            stacklevel=stacklevel,
        )


# ------------------------------------------------------------------ public API
def fit_mixture(
    x: object,
    *,
    n_components: int = 2,
    bounds: tuple[float | None, float | None] | None = None,
    n_init: int = 10,
    sd_floor: float = SD_FLOOR,
    tol: float = 1e-10,
    max_iter: int = 20_000,
    rng: int | np.random.Generator | None = None,
) -> MixtureFit:
    """Fit a one-dimensional Gaussian mixture by EM, with point masses at ``bounds``.

    Parameters
    ----------
    x : array_like
        One sample (for example one scale's seeds).
    n_components : int, default 2
        Number of Gaussian components.
    bounds : (lo, hi), optional
        The metric's range. Values exactly at ``lo`` or ``hi`` are modelled
        by point masses (zero/one inflation) and the Gaussians model the
        values strictly inside. ``None`` for a side leaves it open.
    n_init : int, default 10
        Number of starts; the first four are deterministic (see the module
        notes), the rest are random cuts drawn from ``rng``.
    sd_floor : float, default 0.1
        Smallest component sd, as a fraction of the sd of the values the
        Gaussians model.
    tol : float, default 1e-10
        Convergence: log-likelihood gain per value over one accelerated cycle.
    max_iter : int, default 20000
        Most EM steps per start.
    rng : int, numpy.random.Generator or None
        Draws the random starts.

    Returns
    -------
    MixtureFit

    Raises
    ------
    ValueError
        If ``x`` is empty or not finite, a value lies outside ``bounds``, or
        fewer than ``n_components`` distinct values lie inside the bounds.

    Warns
    -----
    DegenerateDataWarning
        When a component collapsed onto tied values, or every value inside
        the bounds is the same.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.r_[np.linspace(-1, 1, 30), np.linspace(5, 7, 10)]
    >>> fit = fit_mixture(x, rng=0)
    >>> fit.labels
    ('low', 'high')
    >>> np.round(fit.weights, 3).tolist(), np.round(fit.means, 3).tolist()
    ([0.75, 0.25], [0.0, 6.0])
    """
    x = check_finite_array("x", x, min_size=1)
    k = _check_int("n_components", n_components, 1)
    n_init = _check_int("n_init", n_init, 1)
    sd_floor = _check_positive("sd_floor", sd_floor, upper=1.0)
    tol = _check_positive("tol", tol)
    max_iter = _check_int("max_iter", max_iter, 1)
    bounds = _check_bounds(bounds)
    generator = check_rng(rng)
    inside, locs, masks = _split_bounds(x, bounds)
    xi = x[inside]
    distinct = np.unique(xi).size
    if distinct < k:
        where = " strictly inside `bounds`" if bounds is not None else ""
        raise ValueError(
            f"`n_components`={k} needs at least {k} distinct values{where}; "
            f"`x` has {distinct}"
        )
    row = _fit_batch(
        xi[None, :], k, n_init=n_init, rng=generator, sd_floor=sd_floor, tol=tol,
        max_iter=max_iter, responsibilities=True,
    )
    fit = _assemble_fit(
        x, inside, locs, masks, {key: v[0] for key, v in row.items()}, bounds, row["resp"][0]
    )
    if distinct == 1:
        warnings.warn(
            "every value modelled by the Gaussians is the same "
            f"({xi[0]:.6g}); the Gaussian part is a spike at the variance floor",
            DegenerateDataWarning,
            stacklevel=2,
        )
    else:
        _warn_fit(fit)
    if not fit.converged:
        warnings.warn(
            f"EM did not converge in `max_iter`={max_iter} steps; the log-likelihood "
            "may still rise (increase `max_iter`)",
            UserWarning,
            stacklevel=2,
        )
    return fit


@dataclass(frozen=True)
class ComponentSelection:
    """The number of Gaussian components chosen for one sample.

    Attributes
    ----------
    n_components : int
        The chosen number of Gaussian components.
    method : str
        ``"lrt"`` (sequential parametric-bootstrap likelihood-ratio tests of
        ``k`` against ``k + 1``, stopping at the first that is not
        significant) or ``"bic"`` (smallest BIC).
    fits : tuple of MixtureFit
        Fits with ``1, 2, ...`` components (as many as were fitted).
    bic : numpy.ndarray
        BIC of each fit.
    lrt_statistic, pvalue : numpy.ndarray
        ``2 (log L(k + 1) - log L(k))`` and its bootstrap p-value for each
        test performed (``k = 1, 2, ...``); empty for ``"bic"``.
    alpha : float
    n_resamples : int
    """

    n_components: int
    method: str
    fits: tuple[MixtureFit, ...] = field(repr=False)
    bic: np.ndarray
    lrt_statistic: np.ndarray
    pvalue: np.ndarray
    alpha: float
    n_resamples: int

    @property
    def fit(self) -> MixtureFit:
        """The fit with the chosen number of components."""
        return self.fits[self.n_components - 1]

    def to_frame(self) -> pd.DataFrame:
        """One row per number of components: BIC, and the test of it against one more.

        Examples
        --------
        >>> sel = select_components([0.1, 0.2, 0.15, 0.9, 0.95, 0.85], method="bic")
        >>> sel.to_frame().columns.tolist()
        ['n_components', 'bic', 'lrt_statistic', 'pvalue', 'selected']
        """
        k = len(self.fits)
        stat = np.full(k, np.nan)
        pval = np.full(k, np.nan)
        stat[: self.lrt_statistic.size] = self.lrt_statistic
        pval[: self.pvalue.size] = self.pvalue
        return pd.DataFrame(
            {
                "n_components": np.arange(1, k + 1),
                "bic": self.bic,
                "lrt_statistic": stat,
                "pvalue": pval,
                "selected": np.arange(1, k + 1) == self.n_components,
            }
        )


def _check_alpha(alpha: object) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"`alpha` must be a number in (0, 1); got {type(alpha).__name__}")
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"`alpha` must be strictly between 0 and 1; got {alpha}")
    return alpha


def select_components(
    x: object,
    *,
    max_components: int = 2,
    method: str = "lrt",
    n_resamples: int = 199,
    alpha: float = 0.05,
    bounds: tuple[float | None, float | None] | None = None,
    n_init: int = 4,
    sd_floor: float = SD_FLOOR,
    tol: float = 1e-6,
    max_iter: int = 3000,
    rng: int | np.random.Generator | None = None,
) -> ComponentSelection:
    """Choose the number of Gaussian components by bootstrap LRT or BIC.

    ``method="lrt"`` tests ``k = 1`` against ``2`` components, then (if
    significant at ``alpha``) ``2`` against ``3`` and so on up to
    ``max_components``, as R mclust's ``mclustBootstrapLRT`` does: the null
    ``k``-component fit is used to simulate ``n_resamples`` samples of the
    same size; each is refitted with ``k`` and ``k + 1`` components by the
    batched engine (all replicates in one array program), and the p-value
    is ``(1 + #{LRT* >= LRT}) / (n_resamples + 1)``. Because the data and
    every replicate go through the same fitting procedure, the test keeps
    its level even where EM stops short of the global optimum; under a
    one-Gaussian null the statistic is location-scale invariant, so the
    test is exact up to Monte Carlo error. ``method="bic"`` picks the
    smallest BIC (no error-rate control: see docs/modality.md).

    Parameters
    ----------
    x : array_like
    max_components : int, default 2
    method : {"lrt", "bic"}
    n_resamples : int, default 199
        Bootstrap replicates per test.
    alpha : float, default 0.05
    bounds : (lo, hi), optional
        See :func:`fit_mixture`; the point masses are in every model and
        cancel from the test.
    n_init, sd_floor, tol, max_iter
        Passed to the fits (see :func:`fit_mixture`); the defaults here are
        looser than :func:`fit_mixture`'s, for speed in the thousands of refits.
    rng : int, numpy.random.Generator or None

    Returns
    -------
    ComponentSelection

    Warns
    -----
    DegenerateDataWarning
        When the larger model collapses onto tied values (its test is not
        trustworthy; the selection stops there), when the smallest or largest
        value is repeated by at least ``max(3, 10%)`` of the values and is not
        a bound (a pile of ties, e.g. exact 0s of an accuracy without
        ``bounds``), or when there are too few distinct values to fit more
        components (the selection stops there).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = np.r_[rng.normal(0, 1, 20), rng.normal(8, 1, 20)]
    >>> sel = select_components(x, n_resamples=99, rng=0)
    >>> sel.n_components, float(sel.pvalue[0])
    (2, 0.01)
    """
    x = check_finite_array("x", x, min_size=1)
    max_k = _check_int("max_components", max_components, 1)
    check_one_of("method", method, ("lrt", "bic"))
    n_resamples = check_n_resamples(n_resamples, minimum=1)
    alpha = _check_alpha(alpha)
    n_init = _check_int("n_init", n_init, 1)
    sd_floor = _check_positive("sd_floor", sd_floor, upper=1.0)
    tol = _check_positive("tol", tol)
    max_iter = _check_int("max_iter", max_iter, 1)
    bounds = _check_bounds(bounds)
    generator = check_rng(rng)
    inside, locs, masks = _split_bounds(x, bounds)
    xi = x[inside]
    distinct = np.unique(xi).size
    if distinct == 0:
        raise ValueError("`x` has no values strictly inside `bounds`; there is nothing to fit")
    pile = _pile_up(x, bounds)
    if pile is not None:
        warnings.warn(
            f"{pile}: a pile of tied values is a point mass, which Gaussian components "
            "cannot describe (their likelihood grows without bound on ties), so a "
            "significant test may reflect the pile rather than two modes; if the metric is "
            "bounded there, pass `bounds`",
            DegenerateDataWarning,
            stacklevel=2,
        )
    kw = {"n_init": n_init, "sd_floor": sd_floor, "tol": tol, "max_iter": max_iter}
    fits: list[MixtureFit] = []
    raw: list[dict[str, np.ndarray]] = []

    def add_fit(k: int) -> None:
        row = _fit_batch(xi[None, :], k, rng=generator, responsibilities=True, **kw)
        raw.append({key: v[0] for key, v in row.items()})
        fits.append(_assemble_fit(x, inside, locs, masks, raw[-1], bounds, row["resp"][0]))

    add_fit(1)
    stats: list[float] = []
    pvals: list[float] = []
    chosen = 1
    top = min(max_k, distinct)
    if top < max_k:
        warnings.warn(
            f"only {distinct} distinct values to model; at most {top} components considered",
            DegenerateDataWarning,
            stacklevel=2,
        )
    if method == "bic":
        for k in range(2, top + 1):
            add_fit(k)
        chosen = int(np.argmin([f.bic for f in fits])) + 1
    else:
        k = 1
        while k < top:
            add_fit(k + 1)
            lrt = 2.0 * (raw[k]["loglik"] - raw[k - 1]["loglik"])
            p = _bootstrap_lrt(
                [xi], [raw[k - 1]], np.array([lrt]), k, n_resamples=n_resamples,
                rng=generator, **kw,
            )[0]
            stats.append(float(lrt))
            pvals.append(float(p))
            if fits[k].degenerate:
                _warn_fit(fits[k], where=f"testing {k} against {k + 1} components: ")
                break
            if p > alpha:  # reject at p <= alpha: exact size for Monte Carlo p-values
                break
            chosen = k + 1
            k += 1
    return ComponentSelection(
        n_components=chosen,
        method=method,
        fits=tuple(fits),
        bic=_frozen([f.bic for f in fits]),
        lrt_statistic=_frozen(stats),
        pvalue=_frozen(pvals),
        alpha=alpha,
        n_resamples=n_resamples,
    )
