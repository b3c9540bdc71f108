"""Logistic fits of grouped binomial counts: separation, Firth's penalty, profiling.

The parametric models of :func:`distscale.success_curve`
(``logit P = b0 + b1 t (+ b2 t^2)``): exact detection of separation by the
linear program of Konis (2007); a batched Newton solver for the ordinary or
Firth (1993) penalised log-likelihood, optionally under a linear
constraint, as R's ``logistf`` (Heinze & Schemper 2002); profile
(penalised-)likelihood limits of linear functions of the coefficients; and
the crossings of P = 0.5 with their test-inversion intervals.

The design uses a standardised covariate ``z = (t - centre) / half_range``
(``t = ln(scale)`` or ``scale``) so that the Newton iterations are well
conditioned; coefficients and intervals are reported for ``t``. Every
interval is a profile-likelihood interval of a *linear* function of the
coefficients (a coefficient, the linear predictor at a scale), computed for
many functions at once by one batched constrained Newton solver.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize, special, stats

from distscale._lib.results import ConfidenceInterval, frozen
from distscale._lib.warnings import DegenerateDataWarning

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
        # y may also be (K, m): one row of counts per coefficient row (replicates)
        self.X, self.y, self.n, self.firth = X, y, n, firth
        self.const = np.sum(_log_choose(n, y), axis=-1)

    def evaluate(self, beta: np.ndarray, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Penalised log-likelihood, modified score, information and its inverse.

        With Firth's penalty also ``curvature``, minus the exact Hessian of the
        penalised log-likelihood: ``I - H_pen`` with ``H_pen[r, s] = (sum_i w''_i
        a_ii x_ir x_is - sum_ij w'_i w'_j a_ij^2 x_ir x_js) / 2``, where
        ``a_ij = x_i' I^-1 x_j`` and ``w', w''`` are derivatives of the weights
        ``w = n p (1 - p)`` in the linear predictor. With counts ``y`` of shape
        ``(K, m)``, ``rows`` says which rows of them the batch ``beta`` belongs to.
        """
        X, y, n, const = self.X, self.y, self.n, self.const
        if y.ndim == 2 and rows is not None:  # per-row counts: those of the rows evaluated
            y, const = y[rows], const[rows]
        with np.errstate(all="ignore"):
            eta = beta @ X.T
            loglik = (y * special.log_expit(eta) + (n - y) * special.log_expit(-eta)).sum(-1)
            loglik = loglik + const
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
        maxit: int = _MAXIT,
    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """Maximise the (penalised) log-likelihood, row by row, subject to ``F[k] @ b = v[k]``.

        Newton-Raphson with the (modified) score, in the null space of the
        constraint, with step halving on the penalised log-likelihood and a
        step cap, as ``logistf``. The exact Hessian is used where it is
        negative definite (quadratic convergence), else the Fisher information
        (as ``logistf``, always an ascent direction). A start off the
        constraint is first moved onto it along ``info_inv @ F`` (the inverse
        information at the start, computed unless given). Returns the maxima,
        their evaluations and a convergence flag per row (after at most
        ``maxit`` Newton steps).
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
        for _ in range(maxit):
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
                new = self.evaluate(cand, idx)
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


def profile_bounds(
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


# --------------------------------------------------------- design and likelihood helpers
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


def _log_choose(n: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``log C(n, y)``, elementwise."""
    return special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)


def _binomial_loglik(y: np.ndarray, n: np.ndarray, p: np.ndarray) -> float:
    const = _log_choose(n, y)
    return float(np.sum(const + special.xlogy(y, p) + special.xlogy(n - y, 1 - p)))


def _deviance(y: np.ndarray, n: np.ndarray, p: np.ndarray) -> float:
    mu = n * p
    with np.errstate(divide="ignore", invalid="ignore"):  # a cell with no count adds 0
        dev = np.where(y > 0, special.xlogy(y, y / mu), 0.0) + np.where(
            y < n, special.xlogy(n - y, (n - y) / (n - mu)), 0.0
        )
    return float(2 * np.sum(dev))


def fit_stats(y: np.ndarray, n: np.ndarray, p: np.ndarray, df: int) -> dict:
    """``loglik, deviance, aic, df`` of fitted probabilities ``p`` (df parameters)."""
    loglik = _binomial_loglik(y, n, p)
    return {
        "loglik": loglik,
        "deviance": _deviance(y, n, p),
        "aic": -2.0 * loglik + 2.0 * df,
        "df": df,
    }


# ----------------------------------------------------------- logistic and quadratic fits
def to_scale(t: float, x: str) -> float:
    if x == "linear":
        return float(t)
    with np.errstate(over="ignore"):
        return float(np.exp(t))


def warn_no_crossing(fitted_lo: float, fitted_hi: float, stacklevel: int = 5) -> None:
    warnings.warn(
        "the fitted P(success) does not cross 0.5 within the observed scales (it runs from "
        f"{fitted_lo:.3g} to {fitted_hi:.3g}): x50 is NaN; x50 is not extrapolated",
        DegenerateDataWarning,
        stacklevel=stacklevel,
    )


def fit_parametric(
    t: np.ndarray,
    y: np.ndarray,
    n: np.ndarray,
    degree: int,
    penalty: str | None,
    confidence_level: float,
    x: str,
) -> dict:
    """Logistic (``degree`` 1) or quadratic-logistic fit of ``y`` successes of ``n`` at ``t``.

    Returns the model-specific fields of a :class:`~distscale.success.SuccessCurve`.
    """
    centre = float((t.min() + t.max()) / 2)
    half = float((t.max() - t.min()) / 2)
    z = (t - centre) / half
    Z = _design(z, degree)
    A = _to_original(centre, half, degree)
    separation = _separated(Z, y, n)
    firth = penalty == "firth" or (penalty == "auto" and separation)
    q = float(stats.chi2.ppf(confidence_level, 1))
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
            stacklevel=4,
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
        zq = stats.norm.ppf(0.5 + confidence_level / 2)
        lo, hi = coef - zq * coef_se, coef + zq * coef_se
    else:
        lo, hi = profile_bounds(engine, beta, pl_hat, cov, A, q)

    p_fit = special.expit(Z @ beta)
    fit = fit_stats(y, n, p_fit, degree + 1)

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
    crossings = tuple(to_scale(centre + half * r, x) for r in roots)
    crossing_cis = tuple(
        ConfidenceInterval(
            to_scale(centre + half * a, x),
            to_scale(centre + half * b, x),
            level=confidence_level,
            method="wald" if wald else "profile",
        )
        for a, b in cis
    )
    if crossings:
        x50, x50_ci = crossings[0], crossing_cis[0]
        if unbounded:
            warnings.warn(
                "the slope's confidence interval contains 0, so the confidence set for x50 "
                "is unbounded",
                DegenerateDataWarning,
                stacklevel=4,
            )
        elif not (np.isfinite(x50_ci.low) and np.isfinite(x50_ci.high)) or x50_ci.low == 0:
            warnings.warn(
                "the x50 confidence interval is unbounded on one side (no limit within 10 data "
                "spans of the observed scales)",
                DegenerateDataWarning,
                stacklevel=4,
            )
    else:
        x50, x50_ci = np.nan, ConfidenceInterval(np.nan, np.nan)
        warn_no_crossing(p_fit.min(), p_fit.max())

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
    return {
        "penalty": "firth" if firth else None,
        "penalty_reason": reason,
        "separation": separation,
        "coef_names": (
            ("intercept", "slope") if degree == 1 else ("intercept", "linear", "quadratic")
        ),
        "coef": frozen(coef),
        "coef_se": frozen(coef_se),
        "coef_ci": ConfidenceInterval(
            frozen(lo), frozen(hi), level=confidence_level, method="wald" if wald else "profile"
        ),
        "ci_method": "wald" if wald else "profile",
        **fit,
        "penalized_loglik": pl_hat if firth else fit["loglik"],
        "x50": x50,
        "x50_ci": x50_ci,
        "crossings": crossings,
        "crossing_cis": crossing_cis,
        "_state": state,
    }
