"""Probability of success against scale: a separation-safe binomial fit.

:func:`success_curve` counts, at every scale, how many seeds succeed
(value above a threshold, as in :func:`distscale.summary_curves`) and fits
``P(success)`` against log-scale (or scale) by logistic regression on the
grouped binomial counts, by a quadratic logistic model (for U-shaped or
inverted-U curves), or by a monotone isotonic fit.

Emergence data are usually *separated* -- no run succeeds below some scale
and every run succeeds above it -- and then the maximum-likelihood estimate
does not exist: the slope runs off to infinity and Wald intervals cover
``[0, 1]``. Separation is detected exactly with the linear program of Konis
(2007), and the fit then switches to Firth's (1993) penalised likelihood
with profile penalised-likelihood intervals, as R's ``logistf`` does
(Heinze & Schemper 2002).

Internally the design uses a standardised covariate ``z = (t - centre) /
half_range`` (``t = ln(scale)`` or ``scale``) so that the Newton iterations
are well conditioned; coefficients and intervals are reported for ``t``.
Every interval is a profile-likelihood interval of a *linear* function of
the coefficients (a coefficient, the linear predictor at a scale), computed
for many functions at once by one batched constrained Newton solver.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from distscale._validation import (
    check_confidence_level,
    check_finite_array,
    check_n_resamples,
    check_one_of,
    check_rng,
    format_labels,
)
from distscale._warnings import DegenerateDataWarning
from distscale.bootstrap import bootstrap, warn_zero_width
from distscale.population import Population, as_population
from distscale.results import ConfidenceInterval, delegate_plot, frozen, scale_labels
from distscale.summary import _check_threshold

__all__ = ["SuccessCurve", "success_curve"]

MODELS = ("logistic", "quadratic", "isotonic")
_XTOL = 1e-10  # Newton convergence: largest coefficient step (standardised units)
_MAXIT = 200  # Newton iterations
_MAXSTEP = 5.0  # largest coefficient change per Newton step, as logistf's maxstep
_TMAX = 1e4  # profile search limit, in standard errors from the estimate
_ZMAX = 21.0  # x50 search limit: 10 data spans beyond the observed scales (z units)


# ------------------------------------------------------------------ penalised binomial engine
class _Binomial:
    """Grouped binomial log-likelihood, optionally with Firth's penalty, for a batch of betas.

    ``X`` is ``(m, p)``, ``y`` successes and ``n`` trials per row. Methods take
    coefficient batches ``beta`` of shape ``(K, p)``.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, n: np.ndarray, firth: bool) -> None:
        self.X, self.y, self.n, self.firth = X, y, n, firth
        self.const = float(
            np.sum(special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1))
        )

    def evaluate(self, beta: np.ndarray) -> dict[str, np.ndarray]:
        """Penalised log-likelihood, modified score, information and its inverse.

        With Firth's penalty also ``curvature``, minus the exact Hessian of the
        penalised log-likelihood: ``I - H_pen`` with ``H_pen[r, s] = (sum_i w''_i
        a_ii x_ir x_is - sum_ij w'_i w'_j a_ij^2 x_ir x_js) / 2``, where
        ``a_ij = x_i' I^-1 x_j`` and ``w', w''`` are derivatives of the weights
        ``w = n p (1 - p)`` in the linear predictor.
        """
        X, y, n = self.X, self.y, self.n
        with np.errstate(all="ignore"):
            eta = beta @ X.T
            loglik = (y * special.log_expit(eta) + (n - y) * special.log_expit(-eta)).sum(-1)
            loglik = loglik + self.const
            p = special.expit(eta)
            w = n * p * special.expit(-eta)
            info = np.einsum("km,mi,mj->kij", w, X, X)
            lam, vec = np.linalg.eigh(info)
            top = np.maximum(lam[:, -1:], 1e-250)
            logdet = np.where(lam[:, 0] > 0, np.log(np.abs(lam)).sum(-1), -np.inf)
            inv_lam = 1.0 / np.maximum(lam, top * 1e-15)
            info_inv = np.einsum("kij,kj,klj->kil", vec, inv_lam, vec)
            resid = y - n * p
            curvature = info
            if self.firth:
                a = X @ info_inv @ X.T  # (K, m, m)
                lev = np.diagonal(a, axis1=1, axis2=2)
                resid = resid + w * lev * (0.5 - p)  # w * lev: the hat values
                pl = loglik + 0.5 * logdet
                w1 = w * (1 - 2 * p)
                w2 = w * (1 - 6 * p + 6 * p * p)
                first = np.einsum("km,mr,ms->krs", w2 * lev, X, X)
                second = X.T @ ((w1[:, :, None] * w1[:, None, :]) * a * a) @ X
                curvature = info - 0.5 * (first - second)
            else:
                pl = loglik
            pl = np.where(np.isfinite(pl), pl, -np.inf)
        return {
            "pl": pl,
            "loglik": loglik,
            "score": resid @ X,
            "info": info,
            "info_inv": info_inv,
            "curvature": curvature,
        }

    def maximise(
        self,
        beta: np.ndarray,
        F: np.ndarray | None = None,
        v: np.ndarray | None = None,
        info_inv: np.ndarray | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """Maximise the (penalised) log-likelihood, row by row, subject to ``F[k] @ b = v[k]``.

        Newton-Raphson with the (modified) score, in the null space of the
        constraint, with step halving on the penalised log-likelihood and a
        step cap, as ``logistf``. The exact Hessian is used where it is
        negative definite (quadratic convergence), else the Fisher information
        (as ``logistf``, always an ascent direction). A start off the
        constraint is first moved onto it along ``info_inv @ F`` (the inverse
        information at the start, computed unless given). Returns the maxima,
        their evaluations and a convergence flag per row.
        """
        beta = np.array(beta, dtype=float)
        K, p = beta.shape
        if F is None:
            N = np.broadcast_to(np.eye(p), (K, p, p))
        else:
            # rows of Vh beyond the first span the null space of the constraint
            N = np.linalg.svd(F[:, None, :])[2][:, 1:, :].transpose(0, 2, 1)
            if info_inv is None:
                info_inv = self.evaluate(beta)["info_inv"]
            g = np.einsum("kij,kj->ki", info_inv, F)
            beta += g * ((v - np.einsum("ki,ki->k", F, beta)) / np.einsum("ki,ki->k", F, g))[
                :, None
            ]
        ev = self.evaluate(beta)
        active = np.ones(K, dtype=bool)
        converged = np.zeros(K, dtype=bool)
        for _ in range(_MAXIT):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            Nr = N[idx]
            grad = np.einsum("kia,ki->ka", Nr, ev["score"][idx])
            red = np.einsum("kia,kij,kjb->kab", Nr, ev["curvature"][idx], Nr)
            lam, vec = np.linalg.eigh(red)
            fisher = ~(lam[:, 0] > 1e-10 * np.abs(lam[:, -1]))
            if fisher.any():
                Nf = Nr[fisher]
                red_f = np.einsum("kia,kij,kjb->kab", Nf, ev["info"][idx[fisher]], Nf)
                lam[fisher], vec[fisher] = np.linalg.eigh(red_f)
            lam = np.maximum(lam, np.maximum(lam[:, -1:], 1e-250) * 1e-15)
            gamma = np.einsum("kab,kb,kcb,kc->ka", vec, 1.0 / lam, vec, grad)
            step = np.einsum("kia,ka->ki", Nr, gamma)
            big = np.abs(step).max(-1)
            step *= np.minimum(1.0, _MAXSTEP / np.maximum(big, 1e-300))[:, None]
            done = np.abs(step).max(-1) < _XTOL
            converged[idx[done]] = True
            active[idx[done]] = False
            idx, step = idx[~done], step[~done]
            for _ in range(40):
                if idx.size == 0:
                    break
                cand = beta[idx] + step
                new = self.evaluate(cand)
                old = ev["pl"][idx]
                ok = new["pl"] >= old - 1e-12 * (1.0 + np.abs(old))
                take = idx[ok]
                beta[take] = cand[ok]
                for key in ev:
                    ev[key][take] = new[key][ok]
                idx, step = idx[~ok], step[~ok] / 2
            active[idx] = False  # no ascent along the step: stuck at a (numerical) maximum
            converged[idx] = True
        return beta, ev, converged


def _profile_bounds(
    model: _Binomial,
    beta_hat: np.ndarray,
    pl_hat: float,
    info_inv: np.ndarray,
    F: np.ndarray,
    q: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Profile-likelihood limits of ``F[k] @ beta`` for every row of ``F``, both sides.

    The limit is where ``2 (pl_hat - max{pl(b) : F[k] b = v}) = q``. It is found
    on the signed-root scale ``sqrt(D) - sqrt(q)`` (nearly linear in ``v``) by
    secant steps outward from the Wald guess, then regula falsi (Illinois)
    inside the bracket, all rows at once with warm starts. A limit beyond
    ``_TMAX`` standard errors is infinite.
    """
    K = F.shape[0]
    v_hat = F @ beta_hat
    se = np.sqrt(np.maximum(np.einsum("ki,ij,kj->k", F, info_inv, F), 1e-300))
    root_q = np.sqrt(q)
    out = []
    for side in (-1.0, 1.0):
        a = np.zeros(K)
        ga = np.full(K, -root_q)
        b = np.full(K, np.nan)
        gb = np.full(K, np.nan)
        t = np.full(K, root_q)
        t_prev, g_prev = a.copy(), ga.copy()
        kept = np.zeros(K, dtype=int)  # > 0: upper end replaced that often in a row; < 0: lower
        result = np.full(K, np.nan)
        start = np.tile(beta_hat, (K, 1))
        start_inv = np.tile(info_inv, (K, 1, 1))
        active = np.ones(K, dtype=bool)
        for _ in range(200):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            v = v_hat[idx] + side * t[idx] * se[idx]
            fit, ev, _ = model.maximise(start[idx], F[idx], v, start_inv[idx])
            start[idx], start_inv[idx] = fit, ev["info_inv"]
            with np.errstate(invalid="ignore"):
                g = np.sqrt(np.maximum(2.0 * (pl_hat - ev["pl"]), 0.0)) - root_q
            ti = t[idx]
            finished = np.abs(g) < 1e-9
            up = g >= 0
            # update brackets
            b[idx[up]], gb[idx[up]] = ti[up], g[up]
            a[idx[~up]], ga[idx[~up]] = ti[~up], g[~up]
            kept[idx[up]] = np.where(kept[idx[up]] > 0, kept[idx[up]] + 1, 1)
            kept[idx[~up]] = np.where(kept[idx[~up]] < 0, kept[idx[~up]] - 1, -1)
            br = ~np.isnan(b[idx])
            tight = br & (b[idx] - a[idx] < 1e-10 * (1.0 + b[idx]))
            finished |= tight
            result[idx[finished]] = ti[finished]
            active[idx[finished]] = False
            # next trial points
            nxt = np.empty(idx.size)
            # not bracketed yet: secant through the last two points, growing at least 1.5x
            nb = ~br
            if nb.any():
                tp, gp = t_prev[idx][nb], g_prev[idx][nb]
                with np.errstate(all="ignore"):
                    slope = (g[nb] - gp) / (ti[nb] - tp)
                    guess = ti[nb] - g[nb] / slope
                guess = np.where(np.isfinite(guess) & (slope > 0), guess, 4.0 * ti[nb])
                nxt[nb] = np.clip(guess, 1.5 * ti[nb], 8.0 * ti[nb])
            if br.any():
                ia = idx[br]
                A, B, GA, GB = a[ia], b[ia], ga[ia].copy(), gb[ia].copy()
                # Illinois: halve the value kept at an end retained twice in a row
                GA = np.where(kept[ia] >= 2, GA / 2.0 ** (kept[ia] - 1), GA)
                GB = np.where(kept[ia] <= -2, GB / 2.0 ** (-kept[ia] - 1), GB)
                with np.errstate(all="ignore"):
                    falsi = B - GB * (B - A) / (GB - GA)
                mid = np.where(A > 0, np.sqrt(A * B), (A + B) / 2)
                ok = np.isfinite(falsi) & (falsi > A) & (falsi < B)
                nxt[br] = np.where(ok, falsi, mid)
            t_prev[idx], g_prev[idx] = ti, g
            t[idx] = nxt
            gone = active[idx] & (nxt > _TMAX)
            result[idx[gone]] = np.inf
            active[idx[gone]] = False
        left = np.isnan(result)  # out of iterations: the last point inside, if bracketed
        result[left] = np.where(np.isnan(b[left]), np.inf, a[left])
        out.append(v_hat + side * result * se)
    return out[0], out[1]


def _separated(X: np.ndarray, y: np.ndarray, n: np.ndarray) -> bool:
    """Whether the maximum-likelihood estimate does not exist (complete or quasi-separation).

    The linear program of Konis (2007), as in R's ``safeBinaryRegression`` and
    ``detectseparation``: maximise the summed signed linear predictor over
    directions ``b`` in the unit box, subject to ``x b >= 0`` at every scale
    where all runs succeed, ``x b <= 0`` where all fail and ``x b = 0`` where
    both occur. A positive optimum is a direction in which the likelihood
    increases without bound (Albert & Anderson 1984).
    """
    all_s = y == n
    all_f = y == 0
    mixed = ~(all_s | all_f)
    sign = np.where(all_s, 1.0, -1.0)
    rows = ~mixed
    c = -(n[rows] * sign[rows]) @ X[rows]
    res = optimize.linprog(
        c,
        A_ub=-(sign[rows, None] * X[rows]) if rows.any() else None,
        b_ub=np.zeros(rows.sum()) if rows.any() else None,
        A_eq=X[mixed] if mixed.any() else None,
        b_eq=np.zeros(mixed.sum()) if mixed.any() else None,
        bounds=[(-1.0, 1.0)] * X.shape[1],
        method="highs",
    )
    return bool(res.status == 0 and -res.fun > 1e-8 * n.sum())


# ------------------------------------------------------------------------- result object
@dataclass(frozen=True, eq=False)
class SuccessCurve:
    """A fitted curve of the probability that a run succeeds, against scale.

    Returned by :func:`success_curve`. Arrays are read-only.

    Attributes
    ----------
    scales : numpy.ndarray
        Sorted scales.
    successes, n : numpy.ndarray
        Successful runs and runs (seeds) at each scale.
    model : str
        ``"logistic"``, ``"quadratic"`` or ``"isotonic"``.
    x : str
        ``"log"`` (covariate ``t = ln(scale)``) or ``"linear"`` (``t = scale``).
    penalty : str or None
        ``"firth"`` when Firth's penalised likelihood was used, else None.
    penalty_reason : str
        Why: separation detected, requested, or empty for a plain fit.
    separation : bool
        Whether the data are (quasi-)completely separated, so that the
        maximum-likelihood estimate does not exist (always False for
        ``model="isotonic"``).
    coef_names : tuple of str
        ``("intercept", "slope")`` or ``("intercept", "linear", "quadratic")``
        in ``logit P = b0 + b1 t (+ b2 t^2)``; empty for isotonic.
    coef, coef_se : numpy.ndarray
        Estimates and standard errors (inverse Fisher information at the
        estimate; for Firth the penalised fit's, as ``logistf``'s ``vcov``).
    coef_ci : ConfidenceInterval
        Arrays of lower and upper limits, by :attr:`ci_method`.
    ci_method : str
        ``"profile"`` (profile (penalised) likelihood), ``"wald"`` (only for
        a plain fit of separated data, ``penalty=None``) or ``"bootstrap"``
        (isotonic).
    loglik : float
        Binomial log-likelihood at the estimates (with the binomial
        coefficients, as statsmodels).
    penalized_loglik : float
        ``loglik + log det(I) / 2`` for Firth fits, else equal to ``loglik``.
    deviance, aic : float
        Residual deviance against the saturated model, and
        ``-2 loglik + 2 df``; comparable between logistic and quadratic fits
        of the same data.
    df : int
        Parameters (for isotonic, the number of distinct fitted levels).
    x50 : float
        Scale at which the fitted P(success) crosses 0.5 inside the observed
        range of scales (the lowest such scale for a quadratic); NaN when it
        does not cross there.
    x50_ci : ConfidenceInterval
        Interval for ``x50`` (see :func:`success_curve`); may reach beyond
        the observed scales, and is infinite (0 for a lower limit on the log
        axis) when unbounded.
    crossings : tuple of float
        Every crossing of 0.5 inside the observed range (a quadratic can
        have two).
    crossing_cis : tuple of ConfidenceInterval
        One interval per crossing.
    threshold : float
    higher_is_better : bool
    metric, scale_name : hashable
    confidence_level : float
    n_resamples : int or None
        Bootstrap resamples (isotonic only).
    """

    scales: np.ndarray
    successes: np.ndarray
    n: np.ndarray
    model: str
    x: str
    penalty: str | None
    penalty_reason: str
    separation: bool
    coef_names: tuple[str, ...]
    coef: np.ndarray
    coef_se: np.ndarray
    coef_ci: ConfidenceInterval
    ci_method: str
    loglik: float
    penalized_loglik: float
    deviance: float
    aic: float
    df: int
    x50: float
    x50_ci: ConfidenceInterval
    crossings: tuple[float, ...]
    crossing_cis: tuple[ConfidenceInterval, ...]
    threshold: float
    higher_is_better: bool
    metric: Hashable
    scale_name: Hashable
    confidence_level: float
    n_resamples: int | None = None
    _state: dict = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        fit = self.model + (" (Firth)" if self.penalty == "firth" else "")
        x50 = "nan" if np.isnan(self.x50) else f"{self.x50:.4g}"
        return (
            f"SuccessCurve({fit} in {self.x} scale, {len(self.scales)} scales, "
            f"{int(self.successes.sum())}/{int(self.n.sum())} runs succeed, x50={x50}, "
            f"separation={self.separation})"
        )

    # ------------------------------------------------------------------ predictions
    def _t(self, scales: np.ndarray) -> np.ndarray:
        return np.log(scales) if self.x == "log" else scales

    def predict(self, scales: object) -> pd.DataFrame:
        """Fitted P(success) with a pointwise confidence band at the given scales.

        Parameters
        ----------
        scales : float or array_like
            Positive scales for ``x="log"``.

        Returns
        -------
        pandas.DataFrame
            Columns ``scale, p_success, ci_low, ci_high``. The band is the
            profile-likelihood interval of the linear predictor at each scale
            (pointwise, not simultaneous), mapped through the logistic
            function; Wald for a plain fit of separated data; for isotonic,
            the bootstrap band at the observed scales, linearly interpolated
            in ``t`` and constant beyond the observed range.
        """
        s = check_finite_array("scales", np.atleast_1d(np.asarray(scales)))
        if self.x == "log" and np.any(s <= 0):
            raise ValueError("`scales` must be strictly positive with x='log'")
        t = self._t(s)
        st = self._state
        if self.model == "isotonic":
            grid = st["t"]
            fit = np.interp(t, grid, st["fitted"])
            low = np.interp(t, grid, st["band_low"])
            high = np.interp(t, grid, st["band_high"])
        else:
            F = _design((t - st["centre"]) / st["half"], st["degree"])
            eta = F @ st["beta"]
            if self.ci_method == "wald":
                half = stats.norm.ppf(0.5 + self.confidence_level / 2) * np.sqrt(
                    np.einsum("ki,ij,kj->k", F, st["cov"], F)
                )
                lo_eta, hi_eta = eta - half, eta + half
            else:
                lo_eta, hi_eta = _profile_bounds(
                    st["engine"], st["beta"], st["pl"], st["info_inv"], F, st["q"]
                )
            fit, low, high = special.expit(eta), special.expit(lo_eta), special.expit(hi_eta)
        return pd.DataFrame({"scale": s, "p_success": fit, "ci_low": low, "ci_high": high})

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per observed scale.

        Columns: ``scale, n, successes, observed`` (the observed fraction),
        ``p_success`` (fitted) and the band ``ci_low, ci_high`` (as
        :meth:`predict`).
        """
        pred = self.predict(self.scales)
        return pd.DataFrame(
            {
                "scale": self.scales,
                "n": self.n.astype(np.int64),
                "successes": self.successes.astype(np.int64),
                "observed": self.successes / self.n,
                "p_success": pred["p_success"].to_numpy(),
                "ci_low": pred["ci_low"].to_numpy(),
                "ci_high": pred["ci_high"].to_numpy(),
            }
        )

    def coef_frame(self) -> pd.DataFrame:
        """Coefficients: columns ``term, estimate, std_error, ci_low, ci_high``."""
        return pd.DataFrame(
            {
                "term": list(self.coef_names),
                "estimate": self.coef,
                "std_error": self.coef_se,
                "ci_low": self.coef_ci.low,
                "ci_high": self.coef_ci.high,
            }
        )

    def plot(self, ax: object = None) -> object:
        """Draw the curve with :func:`distscale.plot.success_curve` (imported lazily)."""
        return delegate_plot("success_curve", self, ax)


# --------------------------------------------------------------------------- helpers
def _design(z: np.ndarray, degree: int) -> np.ndarray:
    return np.column_stack([z**k for k in range(degree + 1)])


def _to_original(centre: float, half: float, degree: int) -> np.ndarray:
    """Matrix ``A`` with ``b = A a``: coefficients for ``t`` from those for ``z = (t-c)/h``."""
    A = np.zeros((degree + 1, degree + 1))
    # z^k = sum_j C(k, j) t^j (-c)^(k-j) / h^k
    for k in range(degree + 1):
        for j in range(k + 1):
            A[j, k] = special.comb(k, j) * (-centre) ** (k - j) / half**k
    return A


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False; got {type(value).__name__}")
    return bool(value)


def _crossing_component(
    stat: object, z0: float, q: float, direction: float, z_limit: float, step: float
) -> float:
    """Edge of the connected set ``{z : D(z) <= q}`` around ``z0`` in one direction.

    ``stat(z)`` returns ``D(z)`` and ``dD/dz``. Solves ``sqrt(D) = sqrt(q)``
    (the signed root is nearly linear) by Newton steps outward -- each 0.25-4
    times the last, the first ``step`` -- and safeguarded Newton/bisection
    once bracketed. Infinite when the edge lies beyond ``|z| = z_limit``.
    """
    root_q = np.sqrt(q)
    inside, outside = z0, np.nan
    last = step
    z = z0 + direction * step
    for _ in range(200):
        if np.isnan(outside) and abs(z) > z_limit:
            return direction * np.inf
        value, slope = stat(z)
        root = np.sqrt(max(value, 0.0))
        g = root - root_q
        if abs(g) < 1e-10:
            return z
        if g < 0:
            inside = z
        else:
            outside = z
        with np.errstate(all="ignore"):
            newton = z - g * 2.0 * root / slope if root > 0 and slope != 0 else np.nan
        if np.isnan(outside):
            ahead = (newton - z) * direction if np.isfinite(newton) else np.nan
            ahead = float(np.clip(ahead, 0.25 * last, 4.0 * last)) if ahead > 0 else 2 * last
            last = ahead
            z = z + direction * ahead
        else:
            if abs(outside - inside) < 1e-12 * (1.0 + abs(z)):
                return (inside + outside) / 2
            lo, hi = min(inside, outside), max(inside, outside)
            z = newton if lo < newton < hi else (inside + outside) / 2
    return (inside + outside) / 2 if np.isfinite(outside) else direction * np.inf


def _binomial_loglik(y: np.ndarray, n: np.ndarray, p: np.ndarray) -> float:
    const = special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)
    return float(np.sum(const + special.xlogy(y, p) + special.xlogy(n - y, 1 - p)))


def _deviance(y: np.ndarray, n: np.ndarray, p: np.ndarray) -> float:
    mu = n * p
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = special.xlogy(y, y / mu) + special.xlogy(n - y, (n - y) / (n - mu))
    return float(2 * np.sum(dev))


def _crossing_t(t: np.ndarray, f: np.ndarray, increasing: bool) -> float:
    """Where a monotone piecewise-linear curve through ``(t, f)`` crosses 0.5 (NaN if it does not).

    When the curve equals 0.5 on a flat stretch, its midpoint.
    """
    if not increasing:
        return -_crossing_t(-t[::-1], f[::-1], True)
    if not f[0] <= 0.5 <= f[-1]:
        return np.nan
    lo_i = int(np.argmax(f >= 0.5))  # first point at or above 0.5
    lo = t[0] if lo_i == 0 else np.interp(0.5, f[lo_i - 1 : lo_i + 1], t[lo_i - 1 : lo_i + 1])
    hi_i = len(f) - 1 - int(np.argmax(f[::-1] <= 0.5))  # last point at or below 0.5
    if hi_i == len(f) - 1:
        hi = t[-1]
    else:
        seg_f, seg_t = f[hi_i : hi_i + 2], t[hi_i : hi_i + 2]
        hi = np.interp(0.5, seg_f, seg_t) if seg_f[1] > seg_f[0] else seg_t[0]
    return float((lo + hi) / 2)


# ------------------------------------------------------------------------- main function
def success_curve(
    pop: Population | pd.DataFrame,
    *,
    threshold: float,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    model: str = "logistic",
    x: str = "log",
    penalty: str | None = "auto",
    confidence_level: float = 0.95,
    n_resamples: int = 1000,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> SuccessCurve:
    """Probability that a run succeeds, as a curve in scale, with x50 and intervals.

    At every scale the runs that succeed are counted (value strictly above
    ``threshold``, or strictly below it with ``higher_is_better=False``,
    exactly as :func:`~distscale.summary_curves`), and a binomial model of
    ``P(success)`` is fitted to the counts:

    * ``"logistic"``: ``logit P = b0 + b1 t``;
    * ``"quadratic"``: ``logit P = b0 + b1 t + b2 t^2``, which can rise and
      fall (inverse scaling, U shapes); compare it with the logistic fit by
      ``aic`` or ``deviance``;
    * ``"isotonic"``: a monotone fit of the observed fractions (weighted
      pool-adjacent-violators), increasing or decreasing, whichever fits
      better (smaller weighted squared error; increasing on a tie); no
      coefficients; band and x50 interval from a seed bootstrap.

    where ``t = ln(scale)`` (``x="log"``) or ``t = scale`` (``x="linear"``).

    Parameters
    ----------
    pop : Population or pandas.DataFrame
        The runs; with a DataFrame pass ``scale=``, ``seed=`` and ``value=``.
    threshold : float
        Success threshold (strict inequality).
    higher_is_better : bool, default True
    metric : str, optional
        Which metric column, when the population has several.
    model : {"logistic", "quadratic", "isotonic"}, default "logistic"
    x : {"log", "linear"}, default "log"
        The paper's scales (depth, width, parameters) grow geometrically, so
        ``ln(scale)`` is the default covariate; it needs positive scales.
    penalty : {"auto", "firth", None}, default "auto"
        ``"auto"``: maximum likelihood (statsmodels GLM) when the estimate
        exists, Firth's penalised likelihood when the data are separated.
        ``"firth"``: always Firth. None: always maximum likelihood (on
        separated data its estimates diverge and its Wald intervals are
        useless, with a warning).
    confidence_level : float, default 0.95
    n_resamples : int, default 1000
        Seed-bootstrap resamples, for ``model="isotonic"`` only.
    rng : int, numpy.random.Generator or None
        Randomness for the bootstrap (isotonic only).
    scale, seed, value : str, optional
        Column names, only with a DataFrame.

    Returns
    -------
    SuccessCurve

    Raises
    ------
    ValueError
        Non-finite ``threshold``; fewer than 2 scales (3 for the quadratic);
        ``x="log"`` with non-positive scales; an unknown ``model``, ``x``
        or ``penalty``; ``penalty="firth"`` with the isotonic model; a
        ``confidence_level`` outside (0, 1).
    TypeError
        Arguments of the wrong type.

    Warns
    -----
    DegenerateDataWarning
        When every run succeeds (or fails); when the fitted curve does not
        cross 0.5 within the observed scales (``x50`` is NaN); when the x50
        interval is unbounded; with ``penalty=None`` on separated data.

    Notes
    -----
    *Separation* is detected by the linear program of Konis (2007). Firth's
    estimate maximises ``loglik + log det I(b) / 2`` (Firth 1993), by
    Newton steps with the modified score and step halving as R's
    ``logistf``; it is finite under separation (Kosmidis & Firth 2021).

    *Intervals* are profile-likelihood intervals (penalised for Firth, as
    ``logistf``; ordinary for maximum likelihood, as R's ``confint.glm``):
    the values ``v`` of a linear function of the coefficients where
    ``2 (pl_max - pl_profile(v))`` reaches the chi-squared(1) quantile.
    ``coef_ci`` uses the coefficients themselves, the band of
    :meth:`SuccessCurve.predict` the linear predictor at each scale
    (pointwise). The ``x50`` interval inverts the same test: it is the
    connected set of scales around ``x50`` at which ``P = 0.5`` is not
    rejected -- equivalently, where the band contains 0.5 -- which is
    invariant to reparameterisation, respects the penalty and stays finite
    on separated data. For the logistic model, when the slope's interval
    contains 0 the set is unbounded and ``x50_ci`` is infinite (as
    Fieller's interval). The search stops 10 data spans beyond the
    observed scales; a limit beyond is reported as infinite.

    Standard errors and AIC use the ordinary log-likelihood at the
    estimates, also for Firth fits.

    References: Firth, D. (1993), Biometrika 80, 27-38. Heinze, G. &
    Schemper, M. (2002), Statistics in Medicine 21, 2409-2419. Konis, K.
    (2007), DPhil thesis, University of Oxford.

    Examples
    --------
    A separated population -- no run succeeds at the two smallest scales,
    every run at the two largest -- gets a Firth fit with a finite x50:

    >>> import distscale
    >>> pop = distscale.Population.from_dict(
    ...     {1: [0.0] * 10, 2: [0.0] * 10, 4: [0.0] * 7 + [1.0] * 3, 8: [1.0] * 10,
    ...      16: [1.0] * 10})
    >>> res = distscale.success_curve(pop, threshold=0.5)
    >>> res.separation, res.penalty
    (True, 'firth')
    >>> bool(2 < res.x50 < 8 and 1 < res.x50_ci.low < res.x50_ci.high < 16)
    True
    >>> res.to_frame().columns.tolist()
    ['scale', 'n', 'successes', 'observed', 'p_success', 'ci_low', 'ci_high']
    """
    threshold = _check_threshold(threshold)
    higher_is_better = _check_bool("higher_is_better", higher_is_better)
    check_one_of("model", model, MODELS)
    check_one_of("x", x, ("log", "linear"))
    check_one_of("penalty", penalty, ("auto", "firth", None))
    confidence_level = check_confidence_level(confidence_level)
    if model == "isotonic":
        if penalty == "firth":
            raise ValueError("`penalty='firth'` applies to the logistic and quadratic models")
        n_resamples = check_n_resamples(n_resamples, minimum=2)
        generator = check_rng(rng)
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    samples = pop.values(metric)
    metric = pop.metric if metric is None else metric
    scales = pop.scales
    need = 3 if model == "quadratic" else 2
    if len(scales) < need:
        raise ValueError(
            f"success_curve with model={model!r} needs at least {need} distinct scales; "
            f"column {pop.scale!r} has {len(scales)} ({', '.join(map(str, scale_labels(scales)))})"
        )
    if x == "log":
        pop.require_positive_scale(purpose="x='log' (the covariate is ln(scale))")
    t = np.log(scales) if x == "log" else scales.astype(float)

    wins = [(s > threshold) if higher_is_better else (s < threshold) for s in samples]
    y = np.array([w.sum() for w in wins], dtype=float)
    n = np.array([w.size for w in wins], dtype=float)
    rule = f"value {'>' if higher_is_better else '<'} {threshold:g}"
    if y.sum() in (0, n.sum()):
        what = "no run succeeds" if y.sum() == 0 else "every run succeeds"
        warnings.warn(
            f"{what} ({rule}) at any scale: P(success) is "
            f"{'0' if y.sum() == 0 else '1'} throughout, and the fitted curve carries no "
            "information about how it changes with scale",
            DegenerateDataWarning,
            stacklevel=2,
        )
    common = {
        "scales": frozen(scales),
        "successes": frozen(y),
        "n": frozen(n),
        "model": model,
        "x": x,
        "threshold": threshold,
        "higher_is_better": higher_is_better,
        "metric": metric,
        "scale_name": pop.scale,
        "confidence_level": confidence_level,
    }
    if model == "isotonic":
        return _fit_isotonic(wins, t, y, n, common, n_resamples, generator)
    return _fit_parametric(t, y, n, 2 if model == "quadratic" else 1, penalty, common)


def _to_scale(t: float, x: str) -> float:
    if x == "linear":
        return float(t)
    with np.errstate(over="ignore"):
        return float(np.exp(t))


def _warn_no_crossing(fitted_lo: float, fitted_hi: float, stacklevel: int = 4) -> None:
    warnings.warn(
        "the fitted P(success) does not cross 0.5 within the observed scales (it runs from "
        f"{fitted_lo:.3g} to {fitted_hi:.3g}): x50 is NaN; x50 is not extrapolated",
        DegenerateDataWarning,
        stacklevel=stacklevel,
    )


def _fit_parametric(
    t: np.ndarray, y: np.ndarray, n: np.ndarray, degree: int, penalty: str | None, common: dict
) -> SuccessCurve:
    centre = float((t.min() + t.max()) / 2)
    half = float((t.max() - t.min()) / 2)
    z = (t - centre) / half
    Z = _design(z, degree)
    A = _to_original(centre, half, degree)
    separation = _separated(Z, y, n)
    firth = penalty == "firth" or (penalty == "auto" and separation)
    q = float(stats.chi2.ppf(common["confidence_level"], 1))
    engine = _Binomial(Z, y, n, firth)
    if firth:
        start = np.zeros((1, degree + 1))
        start[0, 0] = special.logit((y.sum() + 0.5) / (n.sum() + 1.0))
        reason = (
            "separation: the maximum-likelihood estimate does not exist, so Firth's "
            "penalised likelihood was used"
            if separation
            else "penalty='firth' was requested"
        )
    else:
        import statsmodels.api as sm  # lazily: importing statsmodels takes seconds

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            glm = sm.GLM(np.column_stack([y, n - y]), Z, family=sm.families.Binomial()).fit()
        start = np.asarray(glm.params, dtype=float)[None, :]
        reason = ""
    wald = separation and not firth
    if wald:
        beta, ev = start, engine.evaluate(start)
        cov = np.asarray(glm.cov_params(), dtype=float)
        warnings.warn(
            "the data are separated, so the maximum-likelihood estimate does not exist: with "
            "penalty=None the coefficients diverge and the Wald intervals and band are "
            "uninformative; use penalty='auto' (Firth) instead",
            DegenerateDataWarning,
            stacklevel=3,
        )
    else:
        beta, ev, _ = engine.maximise(start)
        cov = ev["info_inv"][0]
    beta = beta[0]
    pl_hat = float(ev["pl"][0])
    coef = A @ beta
    coef_cov = A @ cov @ A.T
    coef_se = np.sqrt(np.maximum(np.diag(coef_cov), 0.0))
    if wald:
        zq = stats.norm.ppf(0.5 + common["confidence_level"] / 2)
        lo, hi = coef - zq * coef_se, coef + zq * coef_se
    else:
        lo, hi = _profile_bounds(engine, beta, pl_hat, cov, A, q)

    p_fit = special.expit(Z @ beta)
    loglik = _binomial_loglik(y, n, p_fit)
    df = degree + 1

    # crossings of 0.5 inside the observed range, in z
    roots = np.roots(beta[::-1]) if degree == 2 and beta[2] != 0 else None
    if degree == 1 or roots is None:
        roots = np.array([-beta[0] / beta[1]]) if beta[1] != 0 else np.array([])
    roots = np.sort(np.real(roots[np.abs(np.imag(roots)) < 1e-12]))
    roots = roots[(roots >= -1.0 - 1e-12) & (roots <= 1.0 + 1e-12)]

    def derivative_row(zz: float) -> np.ndarray:  # d f(z) / dz
        return np.array([k * zz ** max(k - 1, 0) for k in range(degree + 1)], dtype=float)

    if wald:

        def stat(zz: float) -> tuple[float, float]:
            f, df = _design(np.array([zz]), degree)[0], derivative_row(zz)
            eta, var = f @ beta, max(f @ cov @ f, 1e-300)
            d_eta, d_var = df @ beta, 2 * (df @ cov @ f)
            return eta**2 / var, (2 * eta * d_eta * var - eta**2 * d_var) / var**2

    else:
        cache = {}

        def stat(zz: float) -> tuple[float, float]:
            """Profile statistic for P(z) = 0.5 and its derivative (envelope theorem)."""
            f = _design(np.array([zz]), degree)
            b, e, _ = engine.maximise(cache["b"], f, np.zeros(1), cache["inv"])
            cache["b"], cache["inv"] = b, e["info_inv"]
            # at the constrained maximum the score is lambda * f; d pl / dz = -lambda f'(z) b
            lam = (e["score"][0] @ f[0]) / (f[0] @ f[0])
            slope = 2.0 * lam * (derivative_row(zz) @ b[0])
            return float(2.0 * (pl_hat - e["pl"][0])), float(slope)

    unbounded = degree == 1 and lo[1] <= 0 <= hi[1]
    cis = []
    for r in roots:
        # first step: the delta-method half-width of the crossing, sqrt(q) se(eta) / |eta'|
        f = _design(np.array([r]), degree)[0]
        deriv = sum(k * beta[k] * r ** (k - 1) for k in range(1, degree + 1))
        with np.errstate(all="ignore"):
            first = np.sqrt(q * (f @ cov @ f)) / abs(deriv)
        first = float(np.clip(first, 1e-3, 1.0)) if np.isfinite(first) else 0.1
        edges = []
        for direction in (-1.0, 1.0):
            if unbounded:
                edges.append(direction * np.inf)
                continue
            if not wald:  # warm starts walk outward from the estimate
                cache["b"], cache["inv"] = beta[None, :].copy(), cov[None, :, :].copy()
            edges.append(_crossing_component(stat, float(r), q, direction, _ZMAX, first))
        cis.append(tuple(edges))
    x = common["x"]
    crossings = tuple(_to_scale(centre + half * r, x) for r in roots)
    crossing_cis = tuple(
        ConfidenceInterval(_to_scale(centre + half * a, x), _to_scale(centre + half * b, x))
        for a, b in cis
    )
    if crossings:
        x50, x50_ci = crossings[0], crossing_cis[0]
        if unbounded:
            warnings.warn(
                "the slope's confidence interval contains 0, so the confidence set for x50 "
                "is unbounded",
                DegenerateDataWarning,
                stacklevel=3,
            )
        elif not (np.isfinite(x50_ci.low) and np.isfinite(x50_ci.high)) or x50_ci.low == 0:
            warnings.warn(
                "the x50 confidence interval is unbounded on one side (no limit within 10 data "
                "spans of the observed scales)",
                DegenerateDataWarning,
                stacklevel=3,
            )
    else:
        x50, x50_ci = np.nan, ConfidenceInterval(np.nan, np.nan)
        _warn_no_crossing(p_fit.min(), p_fit.max())

    state = {
        "engine": engine,
        "beta": beta,
        "pl": pl_hat,
        "info_inv": cov,
        "cov": cov,
        "q": q,
        "centre": centre,
        "half": half,
        "degree": degree,
    }
    return SuccessCurve(
        **common,
        penalty="firth" if firth else None,
        penalty_reason=reason,
        separation=separation,
        coef_names=("intercept", "slope") if degree == 1 else ("intercept", "linear", "quadratic"),
        coef=frozen(coef),
        coef_se=frozen(coef_se),
        coef_ci=ConfidenceInterval(frozen(lo), frozen(hi)),
        ci_method="wald" if wald else "profile",
        loglik=loglik,
        penalized_loglik=pl_hat if firth else loglik,
        deviance=_deviance(y, n, p_fit),
        aic=-2.0 * loglik + 2.0 * df,
        df=df,
        x50=x50,
        x50_ci=x50_ci,
        crossings=crossings,
        crossing_cis=crossing_cis,
        _state=state,
    )


def _isotonic_rows(props: np.ndarray, n: np.ndarray, increasing: bool) -> np.ndarray:
    return np.array(
        [optimize.isotonic_regression(r, weights=n, increasing=increasing).x for r in props]
    )


def _fit_isotonic(
    wins: list[np.ndarray],
    t: np.ndarray,
    y: np.ndarray,
    n: np.ndarray,
    common: dict,
    n_resamples: int,
    generator: np.random.Generator,
) -> SuccessCurve:
    obs = y / n
    fits = {inc: _isotonic_rows(obs[None, :], n, inc)[0] for inc in (True, False)}
    sse = {inc: float(np.sum(n * (obs - f) ** 2)) for inc, f in fits.items()}
    increasing = sse[True] <= sse[False]
    fitted = fits[increasing]

    def statistic(*resamples: np.ndarray) -> np.ndarray:
        props = np.column_stack([r.mean(axis=-1) for r in resamples])
        iso = _isotonic_rows(props, n, increasing)
        cross = [_crossing_t(t, row, increasing) for row in iso]
        return np.column_stack([iso, cross])

    boot = bootstrap(
        [w.astype(float) for w in wins],
        statistic,
        n_resamples=n_resamples,
        confidence_level=common["confidence_level"],
        rng=generator,
    )
    k = len(t)
    x = common["x"]
    t50 = _crossing_t(t, fitted, increasing)
    if np.isnan(t50):
        x50, x50_ci, crossings, crossing_cis = np.nan, ConfidenceInterval(np.nan, np.nan), (), ()
        _warn_no_crossing(fitted.min(), fitted.max())
    else:
        x50 = _to_scale(t50, x)
        x50_ci = ConfidenceInterval(_to_scale(boot.ci_low[k], x), _to_scale(boot.ci_high[k], x))
        crossings, crossing_cis = (x50,), (x50_ci,)
        if boot.n_valid[k] < n_resamples:
            warnings.warn(
                f"the isotonic fit crosses 0.5 within the observed scales in only "
                f"{boot.n_valid[k]} of {n_resamples} bootstrap resamples; the x50 interval is "
                "conditional on a crossing",
                DegenerateDataWarning,
                stacklevel=3,
            )
    zero = boot.degenerate[:k]
    if zero.any():
        labels = scale_labels(common["scales"])
        warn_zero_width(
            {"p_success": format_labels([labels[i] for i in np.flatnonzero(zero)])}, stacklevel=3
        )
    loglik = _binomial_loglik(y, n, fitted)
    df = len(np.unique(fitted))
    empty = frozen(np.zeros(0))
    return SuccessCurve(
        **common,
        penalty=None,
        penalty_reason="",
        separation=False,
        coef_names=(),
        coef=empty,
        coef_se=empty,
        coef_ci=ConfidenceInterval(empty, empty),
        ci_method="bootstrap",
        loglik=loglik,
        penalized_loglik=loglik,
        deviance=_deviance(y, n, fitted),
        aic=-2.0 * loglik + 2.0 * df,
        df=df,
        x50=x50,
        x50_ci=x50_ci,
        crossings=crossings,
        crossing_cis=crossing_cis,
        n_resamples=n_resamples,
        _state={
            "t": t,
            "fitted": fitted,
            "band_low": boot.ci_low[:k],
            "band_high": boot.ci_high[:k],
            "increasing": increasing,
        },
    )
