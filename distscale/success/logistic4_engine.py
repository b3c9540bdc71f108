"""The engine of the four-parameter logistic model (private to `success.logistic4`).

:class:`_Four` holds the grouped binomial log-likelihood of
``P = floor + (ceiling - floor) expit(b0 + b1 z)`` with its score, Fisher
information and exact curvature in unconstrained coordinates -- the full fit
``(b0, b1, a, c)`` with ``floor = expit(a)``, ``ceiling = floor + (1 - floor)
expit(c)``, or three coordinates with one quantity held fixed (floor,
ceiling, slope, intercept, or P at one covariate value) -- and maximises it
by damped Newton steps, for many starts, replicates or profile points at
once. :func:`_profile` finds profile-likelihood limits of many quantities
at once (:mod:`~distscale.success.logistic4` explains the choices).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from distscale.success.logistic import _ZMAX, _log_choose

__all__ = ["CEIL", "FLOOR", "FREE", "ICPT", "PAT", "SLOPE"]

# parameterisations: FREE (b0, b1, a, c) and, with a quantity v held fixed, three coordinates
FREE, FLOOR, CEIL, SLOPE, ICPT, PAT = range(6)
_LOGIT_CAP = 30.0
_PAT_CAP = 700.0  # P(z0) = v on a plateau needs ceiling - v ~ exp(-eta(z0)): far below 1e-13
_EPS = 1e-12
_PROFILE_TOL = 1e-9  # profile maxima: a step gaining less stops (D to ~1e-6)
_STEP = 20.0  # a slope (per closest scale spacing) beyond which the fitted rise is a step


class _Four:
    """Grouped binomial log-likelihood of the four-parameter logistic, for batches of fits.

    ``z`` standardised covariate (m,), ``y`` counts (m,) or (K, m) (one row per fit),
    ``n`` runs (m,), ``r = centre / half`` (the intercept on the ``t`` axis is
    ``b0 - r b1``).
    """

    def __init__(self, z: np.ndarray, y: np.ndarray, n: np.ndarray, r: float) -> None:
        self.z, self.y, self.n, self.r = z, y, n, r
        self.const = np.sum(_log_choose(n, y), axis=-1)
        self.gap = max(float(np.diff(np.sort(z)).min()), 1e-12) if z.size > 1 else 1.0
        self.cap_b1 = 4.0 * _STEP / self.gap
        self.cap_b0 = self.cap_b1 * (1.0 + _ZMAX)

    # ----------------------------------------------------------------- parameterisations
    def bounds(self, kind: np.ndarray, d: int) -> np.ndarray:
        out = np.full((kind.size, d), _LOGIT_CAP)
        out[kind == FREE, 0] = self.cap_b0
        out[kind == FREE, 1] = self.cap_b1
        for k in (FLOOR, CEIL):
            out[kind == k, 0], out[kind == k, 1] = self.cap_b0, self.cap_b1
        out[kind == SLOPE, 0] = self.cap_b0
        out[(kind == ICPT) | (kind == PAT), 0] = self.cap_b1
        out[kind == PAT, 1:] = _PAT_CAP
        return out

    def natural(
        self, kind: np.ndarray, phi: np.ndarray, v: np.ndarray, z0: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``theta = (b0, b1, floor, ceiling)`` (K, 4), ``d theta / d phi`` (K, 4, d) and
        ``d^2 theta / d phi^2`` (K, 4, d, d)."""
        K, d = phi.shape
        th = np.zeros((K, 4))
        J = np.zeros((K, 4, d))
        T = np.zeros((K, 4, d, d))

        def sig(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            s = special.expit(x)
            d1 = s * (1.0 - s)
            return s, d1, d1 * (1.0 - 2.0 * s)

        def free_bounds(m: np.ndarray, ia: int, ic: int) -> None:
            (sa, da, da2), (sc, dc, dc2) = sig(phi[m, ia]), sig(phi[m, ic])
            th[m, 2], th[m, 3] = sa, sa + (1.0 - sa) * sc
            J[m, 2, ia], J[m, 3, ia], J[m, 3, ic] = da, da * (1.0 - sc), (1.0 - sa) * dc
            T[m, 2, ia, ia] = da2
            T[m, 3, ia, ia], T[m, 3, ic, ic] = da2 * (1.0 - sc), (1.0 - sa) * dc2
            T[m, 3, ia, ic] = T[m, 3, ic, ia] = -da * dc

        m = kind == FREE
        if m.any():
            th[m, 0], th[m, 1] = phi[m, 0], phi[m, 1]
            J[m, 0, 0] = J[m, 1, 1] = 1.0
            free_bounds(m, 2, 3)
        for k in (FLOOR, CEIL):
            m = kind == k
            if m.any():
                th[m, 0], th[m, 1] = phi[m, 0], phi[m, 1]
                J[m, 0, 0] = J[m, 1, 1] = 1.0
                sc, dc, dc2 = sig(phi[m, 2])
                if k == FLOOR:  # floor = v, ceiling = v + (1 - v) expit(c)
                    th[m, 2], th[m, 3] = v[m], v[m] + (1.0 - v[m]) * sc
                    J[m, 3, 2], T[m, 3, 2, 2] = (1.0 - v[m]) * dc, (1.0 - v[m]) * dc2
                else:  # ceiling = v, floor = v expit(e)
                    th[m, 2], th[m, 3] = v[m] * sc, v[m]
                    J[m, 2, 2], T[m, 2, 2, 2] = v[m] * dc, v[m] * dc2
        m = kind == SLOPE  # b1 = v
        if m.any():
            th[m, 0], th[m, 1] = phi[m, 0], v[m]
            J[m, 0, 0] = 1.0
            free_bounds(m, 1, 2)
        m = kind == ICPT  # b0 - r b1 = v
        if m.any():
            th[m, 0], th[m, 1] = v[m] + self.r * phi[m, 0], phi[m, 0]
            J[m, 0, 0], J[m, 1, 0] = self.r, 1.0
            free_bounds(m, 1, 2)
        m = kind == PAT  # P(z0) = v: floor = v expit(a), ceiling = v + (1 - v) expit(c)
        if m.any():
            vv, zz = v[m], z0[m]
            (sa, da, da2), (sc, dc, dc2) = sig(phi[m, 1]), sig(phi[m, 2])
            k0 = special.logit(vv) + special.log_expit(-phi[m, 1]) - special.log_expit(phi[m, 2])
            th[m, 1] = phi[m, 0]
            th[m, 0] = k0 - phi[m, 0] * zz
            th[m, 2], th[m, 3] = vv * sa, vv + (1.0 - vv) * sc
            J[m, 0, 0], J[m, 0, 1], J[m, 0, 2] = -zz, -sa, -(1.0 - sc)
            J[m, 1, 0] = 1.0
            J[m, 2, 1], J[m, 3, 2] = vv * da, (1.0 - vv) * dc
            T[m, 0, 1, 1], T[m, 0, 2, 2] = -da, dc
            T[m, 2, 1, 1], T[m, 3, 2, 2] = vv * da2, (1.0 - vv) * dc2
        return th, J, T

    def coordinates(
        self, kind: np.ndarray, theta: np.ndarray, v: np.ndarray, z0: np.ndarray
    ) -> np.ndarray:
        """Coordinates ``phi`` of ``theta`` (as near as the held quantity allows)."""
        b0, b1, lo, hi = theta.T

        def logit(x: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.clip(special.logit(np.clip(x, _EPS, 1 - _EPS)), -_LOGIT_CAP, _LOGIT_CAP)

        a = logit(lo)
        c = logit((hi - lo) / np.maximum(1.0 - lo, _EPS))
        if (kind == FREE).all():
            return np.column_stack([b0, b1, a, c])
        out = np.zeros((kind.size, 3))
        rules = {
            FLOOR: (b0, b1, logit((hi - v) / np.maximum(1.0 - v, _EPS))),
            CEIL: (b0, b1, logit(lo / np.maximum(v, _EPS))),
            SLOPE: (np.where(b1 != 0, b0 * v / np.where(b1 != 0, b1, 1.0), b0), a, c),
            ICPT: (b1, a, c),
        }
        for k, cols in rules.items():
            m = kind == k
            out[m] = np.column_stack(cols)[m]
        m = kind == PAT
        if m.any():
            out[m] = _through(theta[m], v[m], z0[m], stretch=True)
        return out

    # ----------------------------------------------------------------------- likelihood
    def evaluate(
        self, theta: np.ndarray, J: np.ndarray, T: np.ndarray, rows: np.ndarray | None
    ) -> tuple[np.ndarray, ...]:
        """Log-likelihood, score, Fisher information and curvature (minus the Hessian)
        in the coordinates, per row."""
        y, const = self.y, self.const
        if y.ndim == 2:
            y, const = y[rows], const[rows]
        z, n = self.z, self.n
        b0, b1, lo, hi = (theta[:, i : i + 1] for i in range(4))
        eta = b0 + b1 * z
        s, sm = special.expit(eta), special.expit(-eta)
        span = hi - lo
        p = lo + span * s
        q = (1.0 - hi) + span * sm
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = (special.xlogy(y, p) + special.xlogy(n - y, q)).sum(-1) + const
        ll = np.where(np.isnan(ll), -np.inf, ll)
        d1 = s * sm
        d2 = d1 * (sm - s)
        dp = np.stack([span * d1, span * d1 * z, sm, s], axis=-1)  # (K, m, 4)
        p_safe, q_safe = np.maximum(p, 1e-300), np.maximum(q, 1e-300)
        r = y / p_safe - (n - y) / q_safe  # d loglik / dp
        r1 = -y / p_safe**2 - (n - y) / q_safe**2  # d^2 loglik / dp^2
        # sums over scales in theta, then the chain rule (J and T do not depend on the scale)
        rd1, rd2 = np.sum(r * d1, -1), np.sum(r * d2 * span, -1)
        rd1z, rd2z, rd2zz = np.sum(r * d1 * z, -1), np.sum(r * d2 * span * z, -1), np.sum(
            r * d2 * span * z * z, -1
        )
        second = np.zeros(theta.shape + (4,))  # sum_i r_i d^2 p_i / d theta^2
        second[:, 0, 0], second[:, 0, 1], second[:, 1, 1] = rd2, rd2z, rd2zz
        second[:, 0, 2], second[:, 0, 3], second[:, 1, 2], second[:, 1, 3] = -rd1, rd1, -rd1z, rd1z
        second = second + np.swapaxes(np.triu(second, 1), -1, -2)
        first = np.einsum("km,kmj->kj", r, dp)
        w = n / np.maximum(p * q, 1e-300)
        fisher = np.einsum("km,kmj,kml->kjl", w, dp, dp)
        outer = np.einsum("km,kmj,kml->kjl", r1, dp, dp)
        Jt = np.swapaxes(J, 1, 2)
        score = np.einsum("kja,kj->ka", J, first)
        info = Jt @ fisher @ J
        hess = Jt @ (outer + second) @ J + np.einsum("kj,kjab->kab", first, T)
        return ll, score, info, -hess

    def maximise(
        self,
        kind: np.ndarray,
        phi: np.ndarray,
        v: np.ndarray | None = None,
        z0: np.ndarray | None = None,
        rows: np.ndarray | None = None,
        maxit: int = 300,
        tol: float = 1e-10,
        flat: float = 0.01,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Damped Newton steps, every row at once; returns coordinates, loglik.

        The exact curvature (minus the Hessian) where it is positive definite
        (quadratic convergence), else the Fisher information (an ascent
        direction), with a Levenberg-Marquardt damping that grows on a failed
        step. Coordinates at their cap whose score points outward are held (an
        active set). A row stops when a step gains at most ``tol (1 + |loglik|)`` and
        moves the coordinates by less than 1e-5 (or gains ``flat`` times that:
        a flat ridge), or when no step gains any more.
        """
        K, d = phi.shape
        v = np.zeros(K) if v is None else v
        z0 = np.zeros(K) if z0 is None else z0
        rows = np.arange(K) if rows is None else rows
        cap = self.bounds(kind, d)
        phi = np.clip(np.array(phi, dtype=float), -cap, cap)
        ll, score, info, curv = self.evaluate(*self.natural(kind, phi, v, z0), rows)
        lam = np.full(K, 1e-3)
        radius = np.full(K, 5.0)  # a box trust region, doubled while full steps succeed
        active = np.ones(K, dtype=bool)
        diag_i = np.arange(d)
        for _ in range(maxit):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            ph, sc, inf, cv = phi[idx], score[idx], info[idx], curv[idx]
            with np.errstate(all="ignore"):
                lam_min = np.linalg.eigvalsh(np.where(np.isfinite(cv), cv, 0.0))
            newton = (lam_min[:, 0] > 1e-10 * np.abs(lam_min[:, -1])) & np.isfinite(cv).all((1, 2))
            inf = np.where(newton[:, None, None], cv, inf)
            at_cap = np.abs(ph) >= cap[idx] * (1 - 1e-12)
            held = at_cap & (np.sign(sc) == np.sign(ph))
            diag = np.diagonal(inf, axis1=1, axis2=2)
            damp = lam[idx, None] * (diag + 1e-10 * diag.max(-1, keepdims=True) + 1e-12)
            for _pass in range(2):  # hold capped coordinates that the step pushes outward
                keep = (~held)[:, :, None] & (~held)[:, None, :]
                A = np.where(keep, inf, 0.0)
                A[:, diag_i, diag_i] = np.where(held, 1.0, diag + damp)
                with np.errstate(all="ignore"):
                    step = np.linalg.solve(A, np.where(held, 0.0, sc)[:, :, None])[:, :, 0]
                step = np.where(np.isfinite(step), step, 0.0)
                out = at_cap & ~held & (np.sign(step) == np.sign(ph))
                if not out.any():
                    break
                held = held | out
            full = np.abs(step).max(-1) > radius[idx]
            step = np.clip(step, -radius[idx, None], radius[idx, None])
            trial = np.clip(ph + step, -cap[idx], cap[idx])
            ll_new, sc_new, inf_new, cv_new = self.evaluate(
                *self.natural(kind[idx], trial, v[idx], z0[idx]), rows[idx]
            )
            old = ll[idx]
            ok = ll_new >= old - 1e-12 * (1.0 + np.abs(old))
            gain = np.where(ok, ll_new - old, 0.0)
            moved = np.abs(trial - ph).max(-1)
            take = idx[ok]
            phi[take], ll[take], score[take], info[take], curv[take] = (
                trial[ok], ll_new[ok], sc_new[ok], inf_new[ok], cv_new[ok]
            )
            lam[take] = np.maximum(lam[take] / 5.0, 1e-10)
            grow = idx[ok & full]
            radius[grow] = np.minimum(2.0 * radius[grow], 1e3)
            lam[idx[~ok]] *= 5.0
            scale = tol * (1.0 + np.abs(old))
            done = ok & (gain <= scale) & ((moved < 1e-5) | (gain <= flat * scale)) & ~full
            done |= lam[idx] > 1e14
            active[idx[done]] = False
        return phi, ll


# ------------------------------------------------------------------- starts of profiles
def _through(theta: np.ndarray, v: np.ndarray, z0: np.ndarray, stretch: bool) -> np.ndarray:
    """Coordinates ``(b1, a, c)`` of a curve near ``theta`` that passes through ``(z0, v)``.

    ``stretch``: keep the linear predictor at ``z0`` and move the ceiling (or
    the floor) through ``v`` -- natural on a plateau -- when that stays in
    [0, 1]; else (and without ``stretch``) keep floor and ceiling (widened to
    contain ``v``) and shift the curve along ``t``. Logs keep it exact where
    ``ceiling - v ~ exp(-eta)`` underflows.
    """
    b0, b1, lo, hi = theta.T
    eta = b0 + b1 * z0
    s0 = special.expit(eta)
    p0 = lo + (hi - lo) * s0
    with np.errstate(all="ignore"):
        # shift: floor and ceiling kept (widened), eta moved
        lo_s = np.minimum(lo, 0.5 * v)
        hi_s = np.maximum(hi, v + 0.5 * (1.0 - v))
        log_vl = np.log(v - lo_s)
        log_uv = np.log(hi_s - v)
        log_lo, log_1u = np.log(lo_s), np.log1p(-hi_s)
        if stretch:
            up_new = lo + (v - lo) / s0  # ceiling through v, eta kept
            lo_new = hi - (hi - v) / np.maximum(special.expit(-eta), 1e-300)  # floor through v
            raise_hi = (v >= p0) & (up_new < 1.0) & (lo < v)
            lower_lo = (v < p0) & (lo_new > 0.0) & (hi > v)
            # ceiling - v = (v - floor) exp(-eta);  v - floor = (ceiling - v) exp(eta)
            log_uv = np.where(raise_hi, np.log(v - lo) - eta, log_uv)
            log_1u = np.where(raise_hi, np.log1p(-np.minimum(up_new, 1 - 1e-300)), log_1u)
            log_vl = np.where(raise_hi, np.log(v - lo), log_vl)
            log_lo = np.where(raise_hi, np.log(lo), log_lo)
            log_vl = np.where(lower_lo, np.log(hi - v) + eta, log_vl)
            log_lo = np.where(lower_lo, np.log(np.maximum(lo_new, 1e-300)), log_lo)
            log_uv = np.where(lower_lo, np.log(hi - v), log_uv)
            log_1u = np.where(lower_lo, np.log1p(-hi), log_1u)
        a = np.clip(np.nan_to_num(log_lo - log_vl, nan=-_LOGIT_CAP), -_PAT_CAP, _PAT_CAP)
        c = np.clip(np.nan_to_num(log_uv - log_1u, nan=-_LOGIT_CAP), -_PAT_CAP, _PAT_CAP)
    return np.column_stack([b1, a, c])


def _profile(
    model: _Four,
    theta_hat: np.ndarray,
    ll_hat: float,
    kind: np.ndarray,
    side: np.ndarray,
    psi_hat: np.ndarray,
    se: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    z0: np.ndarray,
    on_z: np.ndarray,
    q: float,
) -> np.ndarray:
    """Profile-likelihood limit of every row's quantity on its ``side`` (batched).

    Row ``r`` holds its quantity ``psi`` fixed by parameterisation ``kind[r]``;
    ``on_z[r]``: the quantity is ``z0`` (x50, with ``P = 0.5``), else ``v``.
    Returns the limits; a limit at ``lo``/``hi`` that is still not rejected is
    that bound (the caller maps an unbounded quantity's bound to infinity).
    """
    R = kind.size
    root_q = np.sqrt(q)
    inside, g_in = psi_hat.copy(), np.full(R, -root_q)
    outside, g_out = np.full(R, np.nan), np.full(R, np.nan)
    prev, g_prev = psi_hat.copy(), np.full(R, -root_q)
    kept = np.zeros(R, dtype=int)
    step0 = np.where(np.isfinite(se) & (se > 0), root_q * se, 0.1 * (1 + np.abs(psi_hat)))
    step0 = np.clip(step0, 1e-4 * (1 + np.abs(psi_hat)), 0.5 * (1 + np.abs(psi_hat)))
    trial = np.clip(psi_hat + side * step0, lo, hi)
    result = np.full(R, np.nan)
    warm = np.tile(theta_hat, (R, 1))  # the last solution of each row, as (b0, b1, floor, ceiling)
    warm_in = warm.copy()  # the solution at the last value not rejected
    steep = abs(theta_hat[1]) * model.gap >= _STEP
    mid = -theta_hat[0] / theta_hat[1] if theta_hat[1] != 0 else 0.0
    slope = np.sign(theta_hat[1]) * 2.0 / model.gap
    gentle = np.array([-slope * mid, slope, theta_hat[2], theta_hat[3]])
    active = np.ones(R, dtype=bool)
    for it in range(100):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        k, t_i = kind[idx], trial[idx]
        v = np.where(on_z[idx], 0.5, t_i)
        zz = np.where(on_z[idx], t_i, z0[idx])
        # starts: the estimate, the solution at the last value not rejected and the last
        # solution (the latter two only once they differ), moved onto the new value
        sources = [np.tile(theta_hat, (idx.size, 1))]
        if steep:  # a step: also the same curve with a gentle slope (its profile is flat)
            sources.append(np.tile(gentle, (idx.size, 1)))
        if it > 0:
            sources += [warm_in[idx]] + ([warm[idx]] if it > 1 else [])
        starts = []
        pat = k == PAT
        for src in sources:
            starts.append(model.coordinates(k, src, v, zz))
            if pat.any():  # P(z0) = v: the curve stretched (above) or shifted along t
                starts.append(np.where(pat[:, None], _through(src, v, zz, stretch=False),
                                       starts[-1]))
        starts = np.concatenate(starts)
        reps = starts.shape[0] // idx.size
        kk, vv, zr = np.tile(k, reps), np.tile(v, reps), np.tile(zz, reps)
        phi, ll = model.maximise(kk, starts, vv, zr, tol=_PROFILE_TOL, flat=0.01)
        theta_all = model.natural(kk, phi, vv, zr)[0].reshape(reps, idx.size, 4)
        ll = ll.reshape(reps, idx.size)
        best = np.argmax(ll, axis=0)
        warm[idx] = theta_all[best, np.arange(idx.size)]
        g = np.sqrt(np.maximum(2.0 * (ll_hat - ll[best, np.arange(idx.size)]), 0.0)) - root_q
        g = np.where(np.isfinite(g), g, root_q)  # an impossible value: far outside
        done = np.abs(g) < 1e-7
        up = g >= 0
        outside[idx[up]], g_out[idx[up]] = t_i[up], g[up]
        inside[idx[~up]], g_in[idx[~up]] = t_i[~up], g[~up]
        warm_in[idx[~up]] = warm[idx[~up]]
        kept[idx[up]] = np.where(kept[idx[up]] > 0, kept[idx[up]] + 1, 1)
        kept[idx[~up]] = np.where(kept[idx[~up]] < 0, kept[idx[~up]] - 1, -1)
        at_bound = ~up & ((t_i <= lo[idx]) | (t_i >= hi[idx]))
        result[idx[done]] = t_i[done]
        result[idx[at_bound & ~done]] = t_i[at_bound & ~done]
        br = ~np.isnan(outside[idx])
        narrow = br & (np.abs(outside[idx] - inside[idx]) < 1e-9 * (1 + np.abs(inside[idx])))
        result[idx[narrow & ~done]] = inside[idx[narrow & ~done]]
        finished = done | at_bound | narrow
        active[idx[finished]] = False
        nxt = np.empty(idx.size)
        nb = ~br
        if nb.any():
            dist = np.abs(t_i[nb] - psi_hat[idx[nb]])
            d_prev = np.abs(prev[idx[nb]] - psi_hat[idx[nb]])
            with np.errstate(all="ignore"):
                slope = (g[nb] - g_prev[idx[nb]]) / (dist - d_prev)
                guess = dist - g[nb] / slope
            guess = np.where(np.isfinite(guess) & (slope > 0), guess, 4.0 * dist)
            nd = np.maximum(np.clip(guess, 1.5 * dist, 8.0 * dist), 1e-6)
            nxt[nb] = np.clip(psi_hat[idx[nb]] + side[idx[nb]] * nd, lo[idx[nb]], hi[idx[nb]])
        if br.any():
            ia = idx[br]
            A, B, GA, GB = inside[ia], outside[ia], g_in[ia].copy(), g_out[ia].copy()
            GA = np.where(kept[ia] >= 2, GA / 2.0 ** (kept[ia] - 1), GA)  # Illinois
            GB = np.where(kept[ia] <= -2, GB / 2.0 ** (-kept[ia] - 1), GB)
            with np.errstate(all="ignore"):
                falsi = B - GB * (B - A) / (GB - GA)
            ok = np.isfinite(falsi) & ((falsi - A) * (falsi - B) < 0)
            nxt[br] = np.where(ok, falsi, (A + B) / 2)
        prev[idx], g_prev[idx] = t_i, g
        trial[idx] = nxt
    left = np.isnan(result)
    result[left] = np.where(np.isnan(outside[left]), trial[left], inside[left])
    return result
