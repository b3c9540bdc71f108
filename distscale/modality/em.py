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

from distscale.modality.em_starts import (
    merge_ties,
    resolution,
    standardize,
    starts_general,
    starts_two,
)

_LOG_2PI = math.log(2.0 * math.pi)

#: A fixed floor that callers may ask for (``sd_floor=SD_FLOOR``): the
#: smallest component standard deviation as a fraction of the standard
#: deviation of the values the Gaussian components model.
SD_FLOOR = 0.1

#: A numerical guard under the prior: the prior itself keeps every variance
#: above ``scale / (n + dof + 3)``; this only stops a variance from reaching 0.
PRIOR_SD_GUARD = 1e-4

#: The default floor: a component sd is at least this many times the data's
#: resolution, the median gap between successive distinct values of a row.
RESOLUTION_FACTOR = 1.0
#: ... and never below this fraction of the row's sd (a numerical guard).
MIN_SD_FLOOR = 1e-6

#: The conjugate prior of Fraley & Raftery (2007), mclust's ``priorControl()``
#: defaults for one dimension: the mean's prior is centred on the data mean
#: with shrinkage 0.01, the variance's prior has ``d + 2 = 3`` degrees of
#: freedom and scale ``var(data) / G**2`` for ``G`` components.
PRIOR_SHRINKAGE = 0.01
PRIOR_DOF = 3.0

#: Smallest component weight the two-component EM works with.
_W_EPS = 1e-12

#: Target number of float64 elements of the EM engine's working set (the starts it
#: steps together): the handful of ``(rows, n)`` arrays an iteration touches stay small.
_BLOCK_ELEMENTS = 524_288


# ----------------------------------------------------------------------------- engine
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


def _log_prior(means: np.ndarray, variances: np.ndarray, prior) -> np.ndarray:
    """Log density (up to a constant) of the conjugate prior, summed over components.

    ``means`` and ``variances`` have the components on the first axis. The
    prior of one component in standardised units: ``mu | s2 ~ N(0, s2 /
    kappa)`` and ``s2 ~ Inv-Gamma(nu / 2, zeta / 2)``; 0 without a prior.
    """
    if prior is None:
        return 0.0
    kappa, nu, zeta = prior
    log_density = -0.5 * (nu + 3.0) * np.log(variances) - (zeta + kappa * means**2) / (
        2 * variances
    )
    return np.sum(log_density, axis=0)


def _m_step(s0, s1, s2, floor_var, prior, old_mean, old_var):
    """One component's M step from its responsibility sums (MAP under ``prior``).

    Maximum likelihood: ``mean = s1 / s0``, ``var = s2 / s0 - mean**2``. Under
    the conjugate prior (Fraley & Raftery 2007, Table 2, one dimension, the
    prior mean 0 of standardised data): ``mean = s1 / (s0 + kappa)`` and
    ``var = (zeta + s2 - s1**2 / (s0 + kappa)) / (nu + s0 + 3)``, which stays
    positive however few values a component holds.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if prior is None:
            mean = np.where(s0 > 0, s1 / s0, old_mean)
            var = np.where(s0 > 0, s2 / s0 - mean * mean, old_var)
        else:
            kappa, nu, zeta = prior
            mean = s1 / (s0 + kappa)
            var = (zeta + s2 - s1 * s1 / (s0 + kappa)) / (nu + s0 + 3.0)
    return mean, np.maximum(var, floor_var)


def _m_two(stats, tots, theta, floor_var, prior=None):
    """M step for two components (a component with no weight keeps its place)."""
    s0, s1, s2 = stats
    t0, t1, t2 = tots
    _, m0, m1, v0, v1 = theta
    nm1, nv1 = _m_step(s0, s1, s2, floor_var, prior, m1, v1)
    nm0, nv0 = _m_step(t0 - s0, t1 - s1, t2 - s2, floor_var, prior, m0, v0)
    return (s0 / t0, nm0, nm1, nv0, nv1)


def _prior_two(theta, prior) -> np.ndarray:
    _, m0, m1, v0, v1 = theta
    return _log_prior(np.stack([m0, m1]), np.stack([v0, v1]), prior)


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
    row: np.ndarray,
    weight1: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    floor_var: np.ndarray,
    tol: float,
    max_iter: int,
    prior=None,
    block: int | None = None,
) -> tuple[np.ndarray, ...]:
    """EM for two components on standardized rows, SQUAREM-accelerated, with an active set.

    Runs one EM per *start*: start ``s`` fits data row ``row[s]`` (of ``z``,
    its square ``z2``, its weights ``w`` and its ``totals``, the sums of
    ``w``, ``w z`` and ``w z**2``) from ``weight1[s]``, ``mean[s]`` and
    ``var[s]``. Each cycle takes two EM steps from ``theta0``, extrapolates
    along them (SQUAREM, scheme S3 of Varadhan & Roland 2008, in the
    coordinates logit-weight, means, log-variances) and takes one more EM
    step from the extrapolated point. Only the extrapolated point's
    log-likelihood is computed: it must not fall below ``ref``, a lower bound
    on the log-likelihood of ``theta0`` (the start's value, then the last
    accepted extrapolated point, which one more EM step can only improve);
    otherwise the plain second EM step is kept and the step bound shrinks (at
    bound 1 the extrapolated point *is* the plain step, so this always ends).
    A start stops when an accepted cycle gains less than ``tol`` per unit
    weight, when a component loses all weight, or after ``max_iter`` EM steps.

    The starts are worked on ``block`` at a time (all at once when None), as
    a stream: a start that stops leaves the working set and the next ones
    join it, so the many cycles that the slowest starts need are shared by
    the whole batch instead of repeated per block. Each start's steps depend
    on its own row only, so the result does not depend on ``block``. Returns
    ``(weight1, mean, var, n_iter, converged)`` per start; ``n_iter`` counts
    EM steps.
    """
    starts = row.size
    n = z.shape[1]
    block = starts if block is None else max(1, min(block, starts))
    out = [weight1.copy(), mean[:, 0].copy(), mean[:, 1].copy(), var[:, 0].copy(),
           var[:, 1].copy()]
    n_iter = np.zeros(starts, dtype=np.int64)
    converged = np.zeros(starts, dtype=bool)
    floor_var = np.broadcast_to(np.asarray(floor_var, dtype=float), (z.shape[0],))
    buf_t = np.empty((block, n))
    buf_u = np.empty((block, n))
    # the working set: which starts, their rows' data and their SQUAREM state
    idx = np.zeros(0, dtype=np.int64)
    zc, z2c = np.zeros((0, n)), np.zeros((0, n))
    wc = None if w is None else np.zeros((0, n))
    tots = tuple(np.zeros(0) for _ in range(3))
    fc = np.zeros(0)
    theta = [np.zeros(0) for _ in range(5)]
    ref, step_max = np.zeros(0), np.zeros(0)
    steps = np.zeros(0, dtype=np.int64)
    joined = 0 if max_iter > 0 else starts  # no step at all: the starts as they are
    while True:
        if joined < starts and 4 * idx.size <= 3 * block:  # refill the working set
            new = np.arange(joined, min(starts, joined + block - idx.size))
            joined += new.size
            r = row[new]
            nz, nz2, nw = z[r], z2[r], None if w is None else w[r]
            ntots = tuple(t[r] for t in totals)
            nth = [p[new] for p in out]
            _, nref = _e_two(nz, nz2, nw, ntots, tuple(nth), buf_t[: new.size],
                             buf_u[: new.size], True)
            nref = nref + _prior_two(tuple(nth), prior)  # EM climbs the log posterior
            idx = np.concatenate([idx, new])
            zc, z2c = np.concatenate([zc, nz]), np.concatenate([z2c, nz2])
            wc = None if w is None else np.concatenate([wc, nw])
            tots = tuple(np.concatenate([a, b]) for a, b in zip(tots, ntots, strict=True))
            fc = np.concatenate([fc, floor_var[r]])
            theta = [np.concatenate([a, b]) for a, b in zip(theta, nth, strict=True)]
            ref = np.concatenate([ref, nref])
            step_max = np.concatenate([step_max, np.ones(new.size)])  # largest extrapolation
            steps = np.concatenate([steps, np.zeros(new.size, dtype=np.int64)])
        if idx.size == 0:
            break
        t = buf_t[: idx.size]
        u = buf_u[: idx.size]
        th0 = tuple(theta)
        stats, _ = _e_two(zc, z2c, wc, tots, th0, t, u, False)
        th1 = _m_two(stats, tots, th0, fc, prior)
        stats, _ = _e_two(zc, z2c, wc, tots, th1, t, u, False)
        th2 = _m_two(stats, tots, th1, fc, prior)
        phi0, phi1, phi2 = _to_phi(th0), _to_phi(th1), _to_phi(th2)
        r = phi1 - phi0
        v = phi2 - phi1 - r
        rr, vv = (r * r).sum(axis=0), (v * v).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = -np.sqrt(rr / vv)
        smax = step_max
        alpha = np.clip(np.where(np.isfinite(alpha), alpha, -1.0), -smax, -1.0)
        thx = _from_phi(phi0 - 2 * alpha * r + alpha**2 * v, fc)
        stats, llx = _e_two(zc, z2c, wc, tots, thx, t, u, True)
        llx = llx + _prior_two(thx, prior)
        th3 = _m_two(stats, tots, thx, fc, prior)
        old = ref
        # else fall back to the plain EM step theta2 (the slack absorbs rounding)
        ok = llx >= old - 1e-12 * (np.abs(old) + tots[0])
        theta = [np.where(ok, a3, a2) for a3, a2 in zip(th3, th2, strict=True)]
        step_max = np.where(
            ok, np.where(alpha <= -smax, 4.0 * smax, smax), np.maximum(1.0, smax / 4.0)
        )
        steps = steps + 3
        ref = np.where(ok, np.maximum(llx, old), old)
        dead = (theta[0] <= _W_EPS) | (theta[0] >= 1 - _W_EPS)
        done = (ok & (llx - old <= tol * tots[0])) | dead
        leave = done | (steps >= max_iter)
        if leave.any():
            gone = idx[leave]
            for p, q in zip(out, theta, strict=True):
                p[gone] = q[leave]
            n_iter[gone] = steps[leave]
            converged[idx[done]] = True
            keep = ~leave
            idx, zc, z2c, fc, ref, step_max, steps = (
                a[keep] for a in (idx, zc, z2c, fc, ref, step_max, steps)
            )
            wc = None if wc is None else wc[keep]
            tots = tuple(a[keep] for a in tots)
            theta = [a[keep] for a in theta]
    mean = np.stack([out[1], out[2]], axis=1)
    var = np.stack([out[3], out[4]], axis=1)
    return out[0], mean, var, n_iter, converged


def _loglik(
    z: np.ndarray, w: np.ndarray | None, weights: np.ndarray, mean: np.ndarray, var: np.ndarray,
    responsibilities: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Log-likelihood of each row (standardized units) and responsibilities ``(rows, k, n)``.

    With ``responsibilities=False`` only the log-likelihood (and None): each
    value's log-density is the ``logaddexp`` of its components'
    log-densities, accurate to rounding (the two-component E step's closed
    form sums moments instead, which loses digits to cancellation on large
    rows with a narrow component).
    """
    with np.errstate(divide="ignore"):
        logw = np.log(weights)
    dens = (
        logw[:, :, None]
        - 0.5 * (_LOG_2PI + np.log(var))[:, :, None]
        - (z[:, None, :] - mean[:, :, None]) ** 2 / (2 * var[:, :, None])
    )
    if not responsibilities:
        logp = np.logaddexp.reduce(dens, axis=1)
        return (logp.sum(axis=1) if w is None else np.einsum("ij,ij->i", w, logp)), None
    top = dens.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    ex = np.exp(dens - top)
    tot = ex.sum(axis=1, keepdims=True)
    logp = np.log(tot[:, 0, :]) + top[:, 0, :]
    resp = ex / tot
    ll = logp.sum(axis=1) if w is None else np.einsum("ij,ij->i", w, logp)
    return ll, resp


def _em_general(
    z: np.ndarray,
    w: np.ndarray | None,
    weights: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    floor_var: np.ndarray,
    tol: float,
    max_iter: int,
    prior=None,
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
        ll = ll + _log_prior(mean[idx].T, var[idx].T, prior)
        nk = resp.sum(axis=2)
        s1 = np.einsum("ikn,in->ik", resp, zc)
        s2 = np.einsum("ikn,in->ik", resp, zc * zc)
        floor_rows = np.broadcast_to(np.asarray(floor_var, dtype=float), (rows,))[idx, None]
        mean[idx], var[idx] = _m_step(nk, s1, s2, floor_rows, prior, mean[idx], var[idx])
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
    prior: bool = False,
    sd_floor: float | None = None,
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
        Starts per row (see :func:`starts_two`); the best log-likelihood wins.
    rng : numpy.random.Generator
        Draws the random starts (needed when ``n_init >= 3``).
    prior : bool
        Regularise the variances (``k >= 2``) by the conjugate prior of
        Fraley & Raftery (2007), mclust's default: maximum a posteriori
        estimates instead of maximum likelihood. The one-component fit is
        always the maximum-likelihood Gaussian.
    sd_floor : float, optional
        Smallest component sd as a fraction of the row's (weighted) sd. By
        default (None) the floor is the row's *resolution*: the median gap
        between successive distinct values (times :data:`RESOLUTION_FACTOR`),
        so a component can be as narrow as the data are fine-grained but never
        narrower than the spacing of the values it covers; with ``prior`` a
        numerical guard (:data:`PRIOR_SD_GUARD`).
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
    merged = merge_ties(x, weights)
    inverse = None
    if merged is not None:  # the same fit on each row's distinct values, weighted by count
        x, weights, inverse = merged
    batch, n = x.shape
    z, loc, scale, total = standardize(x, weights)
    flat = scale <= 0
    # a row with no spread: every component sits on the value with the floor
    # relative to the magnitude of the value (the likelihood is degenerate)
    eff_scale = np.where(flat, np.maximum(np.abs(loc), 1.0) * 1e-6, scale)
    if sd_floor is not None:
        floor_sd = np.full(batch, float(sd_floor))
    elif prior:
        floor_sd = np.full(batch, PRIOR_SD_GUARD)
    else:
        floor_sd = np.maximum(RESOLUTION_FACTOR * resolution(z, weights), MIN_SD_FLOOR)
    floor_var = floor_sd**2
    log_scale = np.log(eff_scale)
    # the prior in standardised units: mean 0, shrinkage, dof, scale var / k**2 = 1 / k**2
    prior_args = (PRIOR_SHRINKAGE, PRIOR_DOF, 1.0 / k**2) if prior and k >= 2 else None
    if k == 1:
        w_out = np.ones((batch, 1))
        m_out = np.zeros((batch, 1))
        v_out = np.where(flat, floor_var, np.maximum(1.0, floor_var))[:, None]
        n_iter = np.zeros(batch, dtype=np.int64)
        conv = np.ones(batch, dtype=bool)
        ll, resp = _loglik(z, weights, w_out, m_out, v_out)
    else:
        if k == 2:
            sw, sm, sv = starts_two(z, weights, n_init, floor_var, rng)
        else:
            sw, sm, sv = starts_general(z, weights, k, n_init, floor_var, rng)
        if init is not None:
            iw, im, isd = (np.asarray(a, dtype=float) for a in init)
            sw[:, -1] = np.clip(iw / iw.sum(axis=1, keepdims=True), 1e-6, 1 - 1e-6)
            sm[:, -1] = (im - loc[:, None]) / eff_scale[:, None]
            sv[:, -1] = np.maximum((isd / eff_scale[:, None]) ** 2, floor_var[:, None])
        pairs = batch * n_init
        all_ll = np.empty(pairs)
        block = max(1, _BLOCK_ELEMENTS // max(n, 1))
        pair_row = np.arange(pairs) // n_init
        pair_start = np.arange(pairs) % n_init
        if k == 2:
            z2 = z * z
            if weights is None:
                totals = (np.full(batch, float(n)), z.sum(axis=1), z2.sum(axis=1))
            else:
                totals = (weights.sum(axis=1), np.einsum("ij,ij->i", weights, z),
                          np.einsum("ij,ij->i", weights, z2))
            w1, all_m, all_v, all_it, all_cv = _em_two(
                z, z2, weights, totals, pair_row, sw[pair_row, pair_start, 1],
                sm[pair_row, pair_start], sv[pair_row, pair_start], floor_var, tol, max_iter,
                prior_args, block,
            )
            all_w = np.stack([1.0 - w1, w1], axis=1)
        else:
            all_w, all_m, all_v = (np.empty((pairs, k)) for _ in range(3))
            all_it = np.empty(pairs, dtype=np.int64)
            all_cv = np.empty(pairs, dtype=bool)
        for lo in range(0, pairs, block):
            hi = min(pairs, lo + block)
            row, start = pair_row[lo:hi], pair_start[lo:hi]
            zc = z[row]
            wc = None if weights is None else weights[row]
            if k == 2:
                all_ll[lo:hi], _ = _loglik(zc, wc, all_w[lo:hi], all_m[lo:hi], all_v[lo:hi],
                                           responsibilities=False)
            else:
                ww, mm, vv, it, cv = _em_general(
                    zc, wc, sw[row, start], sm[row, start], sv[row, start], floor_var[row], tol,
                    max_iter, prior_args,
                )
                all_ll[lo:hi], _ = _loglik(zc, wc, ww, mm, vv)
                all_w[lo:hi], all_m[lo:hi], all_v[lo:hi] = ww, mm, vv
                all_it[lo:hi], all_cv[lo:hi] = it, cv
        # keep the best start of each row (the first one on exact ties), by the objective
        # EM climbed: the log-likelihood, plus the log prior under the prior
        objective = all_ll + _log_prior(all_m.T, all_v.T, prior_args)
        best = np.arange(batch) * n_init + np.argmax(objective.reshape(batch, n_init), axis=1)
        w_out, m_out, v_out = all_w[best], all_m[best], all_v[best]
        n_iter, conv, ll = all_it[best], all_cv[best], all_ll[best]
        resp = None
        if responsibilities:
            _, resp = _loglik(z, weights, w_out, m_out, v_out)
    order = np.lexsort((v_out, m_out))  # sort by mean, ties by variance
    w_out = np.take_along_axis(w_out, order, axis=1)
    m_out = np.take_along_axis(m_out, order, axis=1)
    v_out = np.take_along_axis(v_out, order, axis=1)
    if prior_args is None:
        at_floor = v_out <= floor_var[:, None] * (1 + 1e-9)
    else:  # the guard is numerical only: the prior keeps every variance above it
        at_floor = np.zeros(v_out.shape, dtype=bool)
    out = {
        "weights": w_out,
        "means": loc[:, None] + eff_scale[:, None] * m_out,
        "sds": eff_scale[:, None] * np.sqrt(v_out),
        "loglik": ll - total * log_scale,
        "n_iter": n_iter,
        "converged": conv,
        "floor": eff_scale * floor_sd,
        "at_floor": at_floor,
    }
    if responsibilities:
        resp = np.take_along_axis(resp, order[:, :, None], axis=1)
        if inverse is not None:  # back to one column per original value
            resp = np.take_along_axis(resp, inverse[:, None, :], axis=2)
        out["resp"] = resp
    return out
