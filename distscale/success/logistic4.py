"""The four-parameter logistic model of :func:`distscale.success_curve`: floor and ceiling.

``P(t) = floor + (ceiling - floor) * expit(b0 + b1 t)``, ``0 <= floor < ceiling <= 1``:
a sigmoid that need not start at 0 nor reach 1 -- success that plateaus at
65 %, or a task some runs solve at every scale. Fitted by maximum
likelihood on the grouped binomial counts.

*Parameterisation.* The optimiser works on unconstrained coordinates that
keep the bounds: ``floor = expit(a)``, ``ceiling = floor + (1 - floor)
expit(c)`` (so ``0 < floor < ceiling < 1``), and the standardised covariate
``z = (t - centre) / half_range`` as in :mod:`distscale.success.logistic`.
A floor at 0 (or a ceiling at 1) is approached as ``a -> -inf`` (the
coordinates are capped at +-30, ``expit(-30) = 9e-14``, reported as 0).

*Fitting.* Levenberg-Marquardt steps with the Fisher information (Fisher
scoring with a damping that grows on a failed step), for many starts or
replicates at once: several starts from the data (floor and ceiling near 0
and 1, near the extreme observed fractions, and the logistic fit), the best
likelihood kept. When the data rise as a step between two neighbouring
scales the slope has no finite maximum-likelihood estimate: the fit is
flagged as a step (``separation`` True) once the linear predictor moves by
more than 20 between the closest scales (the curve goes from 2e-9 to
1 - 2e-9 of its range there), the slope is capped at four times that, and
its interval is unbounded.

*Intervals* are profile-likelihood intervals, for every coefficient, for
the fitted P at each scale (the band) and for x50 (the connected set of
scales where ``P = 0.5`` is not rejected, as for the logistic model). Each
profile re-maximises over the other three coordinates, with the quantity
held fixed by a parameterisation in which it is a constant (e.g. ``floor =
v`` and ``ceiling = v + (1 - v) expit(c)``); a floor or ceiling interval
stops at 0 or 1 when the bound is not rejected. The root of the signed root
``sqrt(D) - sqrt(q)`` is found by secant steps outward and regula falsi
(Illinois) once bracketed, all quantities and both sides at once.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special, stats

from distscale._lib.results import ConfidenceInterval, frozen
from distscale._lib.warnings import DegenerateDataWarning
from distscale.success.logistic import _ZMAX, fit_stats, to_scale, warn_no_crossing
from distscale.success.logistic4_engine import (
    _STEP,
    CEIL,
    FLOOR,
    FREE,
    ICPT,
    PAT,
    SLOPE,
    _Four,
    _profile,
)

__all__ = ["fit_logistic4", "logistic4_band", "logistic4_refit"]

COEF_NAMES = ("floor", "ceiling", "intercept", "slope")


# --------------------------------------------------------------------------- the fit
def _starts(model: _Four, y: np.ndarray, n: np.ndarray, logistic: np.ndarray | None) -> np.ndarray:
    """Starting coordinates from the data: several floor/ceiling guesses, the logistic fit."""
    obs = y / n
    lo_obs, hi_obs = float(obs.min()), float(obs.max())
    pairs = [
        (0.02, 0.98),
        (max(lo_obs - 0.02, 0.005), min(hi_obs + 0.02, 0.995)),
        (0.005, min(hi_obs + 0.02, 0.995)),
        (max(lo_obs - 0.02, 0.005), 0.995),
    ]
    thetas = []
    for lo, hi in pairs:
        if hi - lo < 0.05:
            lo, hi = max(lo - 0.05, 0.005), min(hi + 0.05, 0.995)
        frac = np.clip((obs - lo) / (hi - lo), 0.03, 0.97)
        b1, b0 = np.polyfit(model.z, special.logit(frac), 1, w=np.sqrt(n))
        b1 = b1 if abs(b1) > 0.1 else 1.0
        thetas.append([b0, b1, lo, hi])
    if logistic is not None:
        thetas.append([logistic[0], logistic[1], 1e-6, 1 - 1e-6])
    theta = np.array(thetas)
    return model.coordinates(np.full(len(theta), FREE), theta, np.zeros(len(theta)),
                             np.zeros(len(theta)))


def _info_cov(model: _Four, theta: np.ndarray) -> np.ndarray:
    """Inverse Fisher information in ``theta = (b0, b1, floor, ceiling)`` (pseudo-inverse)."""
    info = model.evaluate(theta[None], np.eye(4)[None], np.zeros((1, 4, 4, 4)),
                          np.zeros(1, dtype=int))[2][0]
    return np.linalg.pinv(info, rcond=1e-13, hermitian=True)


def _x50_z(theta: np.ndarray) -> float:
    b0, b1, lo, hi = theta
    if not lo < 0.5 < hi or b1 == 0:
        return np.nan
    return float((special.logit((0.5 - lo) / (hi - lo)) - b0) / b1)


def _x50_gradient(theta: np.ndarray, z50: float) -> np.ndarray:
    _, b1, lo, hi = theta
    ratio = (0.5 - lo) / (hi - lo)
    dk = 1.0 / (ratio * (1 - ratio))
    d_lo, d_hi = dk * (0.5 - hi) / (hi - lo) ** 2, -dk * (0.5 - lo) / (hi - lo) ** 2
    return np.array([-1.0, -z50, d_lo, d_hi]) / b1


def logistic4_band(state: dict, z0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fitted P and its pointwise profile-likelihood band at standardised covariates ``z0``."""
    model, theta, ll_hat, cov, q = (state[k] for k in ("engine", "theta", "ll", "cov", "q"))
    b0, b1, lo, hi = theta
    s = special.expit(b0 + b1 * z0)
    p = lo + (hi - lo) * s
    dp = np.column_stack([(hi - lo) * s * (1 - s), (hi - lo) * s * (1 - s) * z0, 1 - s, s])
    se = np.sqrt(np.maximum(np.einsum("ki,ij,kj->k", dp, cov, dp), 0.0))
    k = z0.size
    side = np.repeat([-1.0, 1.0], k)
    limits = _profile(
        model, theta, ll_hat, np.full(2 * k, PAT), side, np.tile(p, 2), np.tile(se, 2),
        np.full(2 * k, 1e-12), np.full(2 * k, 1 - 1e-12), np.tile(z0, 2),
        np.zeros(2 * k, dtype=bool), q,
    )
    low, high = limits[:k], limits[k:]
    low = np.where(low <= 1e-12, 0.0, low)
    high = np.where(high >= 1 - 1e-12, 1.0, high)
    return p, np.minimum(low, p), np.maximum(high, p)


def logistic4_refit(model: _Four, phi_hat: np.ndarray, logistic_phi: np.ndarray):
    """``refit(Y)`` for the goodness-of-fit bootstrap: every replicate by the same estimator.

    Two starts per replicate -- the fit itself (the truth of the simulation)
    and a logistic-like start -- the better likelihood kept.
    """

    def refit(Y: np.ndarray) -> np.ndarray:
        B = Y.shape[0]
        rep = _Four(model.z, np.concatenate([Y, Y]), model.n, model.r)
        starts = np.concatenate([np.tile(phi_hat, (B, 1)), np.tile(logistic_phi, (B, 1))])
        kind = np.full(2 * B, FREE)
        phi, ll = rep.maximise(kind, starts, maxit=200, tol=1e-8, flat=1.0)
        best = np.where(ll[:B] >= ll[B:], 0, 1)
        phi = phi.reshape(2, B, 4)[best, np.arange(B)]
        th = rep.natural(np.full(B, FREE), phi, np.zeros(B), np.zeros(B))[0]
        s = special.expit(th[:, :1] + th[:, 1:2] * model.z)
        return th[:, 2:3] + (th[:, 3:4] - th[:, 2:3]) * s

    return refit


def fit_logistic4(
    t: np.ndarray,
    y: np.ndarray,
    n: np.ndarray,
    confidence_level: float,
    x: str,
    logistic_beta: np.ndarray | None = None,
) -> dict:
    """Four-parameter logistic fit of ``y`` successes of ``n`` at ``t``.

    ``logistic_beta``: the two-parameter fit on the standardised covariate, used
    as one more start. Returns the model-specific fields of a
    :class:`~distscale.SuccessCurve` (``goodness_of_fit`` is added by the caller,
    from ``_state["refit"]``).

    Examples
    --------
    Success that plateaus at about 2/3 (20 runs at each of 8 scales):

    >>> import numpy as np
    >>> t = np.log(2.0 ** np.arange(8))
    >>> y, n = np.array([0.0, 1, 3, 8, 12, 13, 14, 13]), np.full(8, 20.0)
    >>> fit = fit_logistic4(t, y, n, 0.95, "log")
    >>> dict(zip(fit["coef_names"][:2], fit["coef"][:2].round(2).tolist()))
    {'floor': 0.0, 'ceiling': 0.67}
    >>> bool(fit["coef_ci"].low[1] < 0.67 < fit["coef_ci"].high[1] < 1)
    True
    """
    centre = float((t.min() + t.max()) / 2)
    half = float((t.max() - t.min()) / 2)
    z = (t - centre) / half
    r = centre / half
    model = _Four(z, y, n, r)
    starts = _starts(model, y, n, logistic_beta)
    kind = np.full(starts.shape[0], FREE)
    phi, ll = model.maximise(kind, starts, maxit=1000, tol=1e-14)
    best = int(np.argmax(ll))
    phi_hat, ll_hat = phi[best], float(ll[best])
    theta = model.natural(np.array([FREE]), phi_hat[None], np.zeros(1), np.zeros(1))[0][0]
    b0, b1, lo, hi = theta
    q = float(stats.chi2.ppf(confidence_level, 1))
    cov = _info_cov(model, theta)
    # a step: the linear predictor moves by more than 20 between neighbouring scales
    step = bool(abs(b1) * model.gap >= _STEP)
    # profile limits of floor, ceiling, slope (z units) and x50 (z), then the intercept
    z50 = _x50_z(theta)
    inside = bool(np.isfinite(z50) and -1.0 - 1e-12 <= z50 <= 1.0 + 1e-12)
    far = model.cap_b0 + abs(r) * model.cap_b1
    rows = [  # kind, estimate, gradient in theta, lower and upper bound, on z
        (FLOOR, lo, np.eye(4)[2], 0.0, 1 - 1e-12, False),
        (CEIL, hi, np.eye(4)[3], 1e-12, 1.0, False),
        (SLOPE, b1, np.eye(4)[1], -model.cap_b1, model.cap_b1, False),
        (ICPT, b0 - r * b1, np.array([1.0, -r, 0, 0]), -far, far, False),
    ]
    if inside:
        rows.append((PAT, z50, _x50_gradient(theta, z50), -_ZMAX, _ZMAX, True))

    def limits(sel: list) -> tuple[np.ndarray, np.ndarray]:
        kind, psi, grad, lo_b, hi_b, on_z = (np.array(c) for c in zip(*sel, strict=True))
        se = np.sqrt(np.maximum(np.einsum("ki,ij,kj->k", grad, cov, grad), 0.0))
        k = len(sel)
        out = _profile(
            model, theta, ll_hat, np.tile(kind, 2), np.repeat([-1.0, 1.0], k), np.tile(psi, 2),
            np.tile(se, 2), np.tile(lo_b, 2), np.tile(hi_b, 2), np.zeros(2 * k),
            np.tile(on_z, 2), q,
        )
        unbounded = ~np.isin(np.tile(kind, 2), (FLOOR, CEIL))  # a cap, not a bound
        out = np.where(unbounded & (out <= np.tile(lo_b, 2) * (1 - 1e-9)), -np.inf, out)
        out = np.where(unbounded & (out >= np.tile(hi_b, 2) * (1 - 1e-9)), np.inf, out)
        return out[:k], out[k:]

    low, high = limits([rows[0], rows[1], rows[2]] + rows[4:])
    if np.isfinite(low[2]) and np.isfinite(high[2]):
        lo_i, hi_i = limits([rows[3]])
    else:  # the slope is unbounded, and with it the intercept
        lo_i, hi_i = np.array([-np.inf]), np.array([np.inf])
    low = np.concatenate([low[:2], lo_i, low[2:]])
    high = np.concatenate([high[:2], hi_i, high[2:]])
    low[0] = 0.0 if low[0] <= 1e-12 else low[0]
    high[1] = 1.0 if high[1] >= 1 - 1e-12 else high[1]
    x50_lims = (low[4], high[4]) if inside else (np.nan, np.nan)
    snap = np.array([0.0 if lo < 1e-9 else lo, 1.0 if hi > 1 - 1e-9 else hi])
    coef = np.array([snap[0], snap[1], b0 - r * b1, b1 / half])
    A = np.array([[0, 0, 1, 0], [0, 0, 0, 1], [1, -r, 0, 0], [0, 1 / half, 0, 0]])
    coef_se = np.sqrt(np.maximum(np.diag(A @ cov @ A.T), 0.0))
    ci_low = np.array([low[0], low[1], low[2], low[3] / half])
    ci_high = np.array([high[0], high[1], high[2], high[3] / half])
    p_fit = lo + (hi - lo) * special.expit(b0 + b1 * z)
    fit = fit_stats(y, n, p_fit, 4)
    reason, x50_reason = "", ""
    if step:
        reason = (
            "the rise is a step between neighbouring scales: the slope has no finite maximum-"
            "likelihood estimate and is capped; its interval is unbounded"
        )
        warnings.warn(f"logistic4: {reason}", DegenerateDataWarning, stacklevel=4)
    if inside:
        x50 = to_scale(centre + half * z50, x)
        x50_ci = ConfidenceInterval(
            to_scale(centre + half * x50_lims[0], x),
            to_scale(centre + half * x50_lims[1], x),
            level=confidence_level, method="profile",
        )
        crossings, crossing_cis = (x50,), (x50_ci,)
    else:
        x50, x50_ci, crossings, crossing_cis = np.nan, ConfidenceInterval(np.nan, np.nan), (), ()
        if hi <= 0.5:
            x50_reason = f"never reaches 50 %: the fitted ceiling is {snap[1]:.3g}"
        elif lo >= 0.5:
            x50_reason = f"always above 50 %: the fitted floor is {snap[0]:.3g}"
        warn_no_crossing(p_fit.min(), p_fit.max(), stacklevel=5)
    state = {
        "engine": model, "theta": theta, "phi": phi_hat, "ll": ll_hat, "cov": cov, "q": q,
        "centre": centre, "half": half, "p_fit": p_fit, "x50_reason": x50_reason,
        "refit": logistic4_refit(model, phi_hat, starts[0]),
    }
    return {
        "penalty": None,
        "penalty_reason": reason,
        "separation": step,
        "coef_names": COEF_NAMES,
        "coef": frozen(coef),
        "coef_se": frozen(coef_se),
        "coef_ci": ConfidenceInterval(
            frozen(ci_low), frozen(ci_high), level=confidence_level, method="profile"
        ),
        "ci_method": "profile",
        **fit,
        "penalized_loglik": fit["loglik"],
        "x50": x50,
        "x50_ci": x50_ci,
        "crossings": crossings,
        "crossing_cis": crossing_cis,
        "_state": state,
    }
