"""Batched binomial regressions on ``g``: the weights of the law's parts.

Three small fits, each one step at a time so that the EM engine can take
one step per iteration for every bootstrap replicate at once (arrays with a
leading replicate axis, grouped counts per scale):

* :func:`logistic_step` -- a Newton step of the logistic regression
  ``expit(a + b g)`` on (fractional) grouped counts, optionally with Firth's
  (1993) penalty, which keeps the slope finite when the counts are
  separated (no run succeeds below some scale and all do above), as
  :func:`distscale.success_curve` does;
* :func:`logistic4_step` -- a damped Fisher-scoring (Levenberg-Marquardt)
  step of the logistic with a floor and a ceiling,
  ``floor + (ceiling - floor) expit(a + b g)``, in the unconstrained
  coordinates of :mod:`distscale.success.logistic4` (``floor = expit(u)``,
  ``ceiling = floor + (1 - floor) expit(v)``);
* :func:`choose_weight_model` -- ``success_model="auto"``: the floor/ceiling
  variant where it describes the observed fractions better by AIC.
"""

from __future__ import annotations

import numpy as np
from scipy import special
from scipy.special import xlogy

__all__ = ["binomial_loglik", "choose_weight_model", "logistic4_prob", "logistic4_step",
           "logistic_step"]

#: Largest Newton step (in standardised units) and caps of the coordinates.
_MAX_STEP = 3.0
_CAP = 60.0
_CAP4 = 15.0
#: Deviance drop that makes ``"auto"`` choose the floor/ceiling model (chi-square, 2 df, 1 %).
PLATEAU_DEVIANCE = 9.21


def binomial_loglik(p: np.ndarray, succ: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Grouped binomial log-likelihood (without binomial coefficients), summed over scales."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = xlogy(succ, p) + xlogy(trials - succ, 1.0 - p)
    return np.sum(np.where(np.isfinite(out), out, -1e300), axis=-1)


def logistic_step(
    a: np.ndarray,
    b: np.ndarray,
    succ: np.ndarray,
    trials: np.ndarray,
    g: np.ndarray,
    *,
    slope_free: bool = True,
    firth: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """One Newton step of a (Firth-penalised) grouped logistic regression, every row at once.

    ``a``, ``b``: shape ``(rows,)``; ``succ``, ``trials``: ``(rows, J)``;
    ``g``: ``(J,)``. Firth's modified score adds ``h_j (1/2 - p_j)`` to each
    scale's residual, ``h_j`` the hat value. Returns the new ``(a, b)``.

    Examples
    --------
    Separated counts (0 of 10, then 10 of 10): the plain estimate does not
    exist, Firth's is finite:

    >>> a, b = np.zeros(1), np.zeros(1)
    >>> succ, n, g = np.array([[0.0, 10.0]]), np.array([[10.0, 10.0]]), np.array([-1.0, 1.0])
    >>> for _ in range(50):
    ...     a, b = logistic_step(a, b, succ, n, g)
    >>> round(float(a[0]), 6), round(float(b[0]), 3)
    (0.0, 3.045)
    """
    eta = a[:, None] + b[:, None] * g[None, :]
    p = special.expit(eta)
    w = trials * p * (1.0 - p)
    i00 = w.sum(axis=1)
    resid = succ - trials * p
    if slope_free:
        i01 = (w * g).sum(axis=1)
        i11 = (w * g * g).sum(axis=1)
        det = i00 * i11 - i01 * i01
        ok = det > 1e-12 * np.maximum(i00 * i11, 1e-300)
        safe = np.where(ok, det, 1.0)
        if firth:
            lev = (i11[:, None] - 2 * i01[:, None] * g + i00[:, None] * g * g) / safe[:, None]
            resid = resid + w * lev * (0.5 - p)
        u0 = resid.sum(axis=1)
        u1 = (resid * g).sum(axis=1)
        da = (i11 * u0 - i01 * u1) / safe
        db = (i00 * u1 - i01 * u0) / safe
        da, db = np.where(ok, da, 0.0), np.where(ok, db, 0.0)
    else:
        ok = i00 > 1e-300
        safe = np.where(ok, i00, 1.0)
        if firth:
            resid = resid + w / safe[:, None] * (0.5 - p)
        da = np.where(ok, resid.sum(axis=1) / safe, 0.0)
        db = np.zeros_like(da)
    size = np.maximum(np.abs(da), np.abs(db))
    shrink = np.where(size > _MAX_STEP, _MAX_STEP / np.maximum(size, 1e-300), 1.0)
    return (np.clip(a + shrink * da, -_CAP, _CAP), np.clip(b + shrink * db, -_CAP, _CAP))


def logistic4_prob(u, v, a, b, g) -> np.ndarray:
    """``floor + (ceiling - floor) expit(a + b g)`` with ``floor = expit(u)``, ``ceiling =
    floor + (1 - floor) expit(v)``; arrays ``(rows,)`` and ``g`` ``(J,)`` give ``(rows, J)``."""
    f = special.expit(u)[:, None]
    ev = special.expit(v)[:, None]
    s = special.expit(a[:, None] + b[:, None] * g[None, :])
    return f + (1.0 - f) * ev * s


def _logistic4_score(theta: np.ndarray, succ, trials, g) -> tuple[np.ndarray, ...]:
    u, v, a, b = theta.T
    f = special.expit(u)[:, None]
    ev = special.expit(v)[:, None]
    s = special.expit(a[:, None] + b[:, None] * g[None, :])
    p = np.clip(f + (1.0 - f) * ev * s, 1e-12, 1 - 1e-12)
    dp = np.stack(
        [
            f * (1.0 - f) * (1.0 - ev * s),
            (1.0 - f) * ev * (1.0 - ev) * s,
            (1.0 - f) * ev * s * (1.0 - s),
            (1.0 - f) * ev * s * (1.0 - s) * g[None, :],
        ],
        axis=-1,
    )  # (rows, J, 4)
    scale = 1.0 / (p * (1.0 - p))
    score = np.einsum("rj,rjk->rk", (succ - trials * p) * scale, dp)
    info = np.einsum("rj,rjk,rjl->rkl", trials * scale, dp, dp)
    return p, score, info


def logistic4_step(
    theta: np.ndarray, lam: np.ndarray, succ: np.ndarray, trials: np.ndarray, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One damped Fisher-scoring step of the floor/ceiling logistic for every row.

    ``theta``: ``(rows, 4)`` coordinates ``(u, v, a, b)``; ``lam``: ``(rows,)``
    damping. The step is kept where the log-likelihood does not fall (the
    damping then shrinks), else the row keeps its coordinates and the damping
    grows. Returns the new ``(theta, lam)``.
    """
    p0, score, info = _logistic4_score(theta, succ, trials, g)
    ll0 = binomial_loglik(p0, succ, trials)
    diag = np.einsum("rkk->rk", info)
    damped = info + (lam[:, None] * diag + 1e-9)[:, :, None] * np.eye(4)[None]
    try:
        step = np.linalg.solve(damped, score[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:  # pragma: no cover - damping keeps it regular
        step = np.zeros_like(theta)
    step = np.where(np.isfinite(step), step, 0.0)
    size = np.abs(step).max(axis=1, keepdims=True)
    step = step * np.minimum(1.0, _MAX_STEP / np.maximum(size, 1e-300))
    new = theta + step
    new[:, :2] = np.clip(new[:, :2], -_CAP4, _CAP4)
    new[:, 2:] = np.clip(new[:, 2:], -_CAP, _CAP)
    ll1 = binomial_loglik(logistic4_prob(*new.T, g), succ, trials)
    ok = ll1 >= ll0 - 1e-10 * (1.0 + np.abs(ll0))
    return np.where(ok[:, None], new, theta), np.where(ok, lam / 3.0, lam * 10.0)


def _fit_logistic(succ: np.ndarray, trials: np.ndarray, g: np.ndarray, firth: bool,
                  n_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    a = np.zeros(succ.shape[0])
    b = np.zeros(succ.shape[0])
    for _ in range(n_iter):
        a, b = logistic_step(a, b, succ, trials, g, firth=firth)
    return a, b


def fit_logistic4(succ: np.ndarray, trials: np.ndarray, g: np.ndarray,
                  n_iter: int = 300) -> tuple[np.ndarray, float]:
    """Maximum-likelihood floor/ceiling logistic of one set of counts, from several starts.

    Returns the best coordinates ``(u, v, a, b)`` and its log-likelihood.
    """
    obs = succ[0] / np.maximum(trials[0], 1e-300)
    lo, hi = float(obs.min()), float(obs.max())
    pairs = [(0.02, 0.98), (max(lo - 0.02, 0.005), min(hi + 0.02, 0.995)),
             (0.005, min(hi + 0.02, 0.995)), (max(lo - 0.02, 0.005), 0.995)]
    starts = []
    for f, c in pairs:
        if c - f < 0.05:
            f, c = max(f - 0.05, 0.005), min(c + 0.05, 0.995)
        frac = np.clip((obs - f) / (c - f), 0.03, 0.97)
        slope, icpt = np.polyfit(g, special.logit(frac), 1) if g.size > 1 else (0.0, 0.0)
        starts.append([special.logit(f), special.logit((c - f) / (1 - f)), icpt, slope])
    theta = np.array(starts, dtype=float)
    lam = np.full(theta.shape[0], 1e-2)
    s = np.repeat(succ, theta.shape[0], axis=0)
    t = np.repeat(trials, theta.shape[0], axis=0)
    for _ in range(n_iter):
        theta, lam = logistic4_step(theta, lam, s, t, g)
    ll = binomial_loglik(logistic4_prob(*theta.T, g), s, t)
    best = int(np.argmax(ll))
    return theta[best], float(ll[best])


def choose_weight_model(
    succ: np.ndarray, trials: np.ndarray, g: np.ndarray, requested: str
) -> tuple[str, str]:
    """``"logistic"`` or ``"logistic4"`` for the weight of the successful part, and why.

    ``succ``, ``trials``: observed successes and runs per scale (threshold
    rule). With ``requested="auto"``, the floor/ceiling model is chosen when
    there are at least 4 scales and it lowers the binomial deviance of the
    observed fractions by more than :data:`PLATEAU_DEVIANCE` (a likelihood-ratio
    test of the two extra parameters at 1 %): a plateau must be clear, because
    the floor/ceiling model makes the EM slow and its parts harder to tell apart.
    """
    if requested != "auto":
        return requested, f"success_model={requested!r}"
    if g.size < 4:
        return "logistic", "logistic (the floor/ceiling variant needs at least 4 scales)"
    s, t = succ[None, :].astype(float), trials[None, :].astype(float)
    a, b = _fit_logistic(s, t, g, firth=True)
    ll2 = float(binomial_loglik(special.expit(a[:, None] + b[:, None] * g), s, t)[0])
    _, ll4 = fit_logistic4(s, t, g)
    drop = 2 * (ll4 - ll2)
    if drop > PLATEAU_DEVIANCE:
        return "logistic4", (
            f"logistic with floor and ceiling: the observed fractions plateau (deviance "
            f"{drop:.1f} lower than the logistic's, above {PLATEAU_DEVIANCE:.2f}, p < 0.01 "
            "on 2 df)")
    return "logistic", (f"logistic: the floor/ceiling variant lowers the deviance by only "
                        f"{max(drop, 0.0):.1f} (needs {PLATEAU_DEVIANCE:.2f}, p < 0.01 on 2 df)")
