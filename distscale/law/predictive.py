"""What a distributional scaling law predicts at a scale: a whole seed distribution.

:meth:`DistributionalScalingLaw.predict <distscale.DistributionalScalingLaw.predict>`
returns a :class:`PredictiveDistribution`: at each requested scale, the
distribution of the metric over seeds (a mixture of point masses at the
metric's bounds and two continuous components), with its density, CDF,
quantiles, mean, probability of success and random draws, and
:meth:`~PredictiveDistribution.best_of` for the best of ``k`` seeds. Every
quantity comes with a seed-bootstrap band: it is computed under the fit to
the data (the estimate) and under every bootstrap replicate's fit, and the
band is the bias-corrected percentile interval of the replicates
(:func:`bc_band`), or with ``interval="calibrated"`` the calibrated interval
of a double bootstrap (:mod:`distscale.law.bands`) -- the uncertainty of the
law's parameters, which grows away from the fitted scales.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import special

from distscale._lib.results import ConfidenceInterval, Result, frozen
from distscale._lib.validation import check_finite_array, check_int, check_rng
from distscale.law.bands import calibrated_band, quantile_at
from distscale.law.model import Transform

__all__ = ["Band", "PredictiveDistribution", "bc_band"]

_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(64)
_GH_W = _GH_W / _GH_W.sum()
#: Levels whose quantiles :meth:`PredictiveDistribution.to_frame` lists.
FRAME_LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)


def bc_band(values: np.ndarray, confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected percentile interval (Efron 1981) of row 0 from rows 1.. of ``values``.

    With ``p`` the share of replicates below the estimate (ties count one
    half), ``z0 = Phi^-1(p)`` and the interval runs between the replicates'
    quantiles at ``Phi(2 z0 -+ z)``: where the replicates sit below the
    estimate (a spread, whose estimate is biased low, and whose replicates
    are biased low again), the interval moves up. NaN replicates are left
    out; NaN where none is left.

    Examples
    --------
    >>> v = np.r_[0.0, np.linspace(-1, 1, 201)][:, None]
    >>> [round(float(b[0]), 2) for b in bc_band(v, 0.9)]
    [-0.9, 0.9]
    """
    est = values[0]
    reps = values[1:]
    if reps.shape[0] == 0:
        nan = np.full(est.shape, np.nan)
        return nan, nan.copy()
    alpha = 1 - confidence_level
    finite = np.isfinite(reps)
    n = finite.sum(axis=0)
    below = np.where(finite, reps < est, False).sum(axis=0)
    ties = np.where(finite, reps == est, False).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (below + 0.5 * ties) / np.maximum(n, 1)
        edge = 0.5 / np.maximum(n, 1)
        z0 = special.ndtri(np.clip(share, edge, 1 - edge))
        z0 = np.where(np.isfinite(est), z0, 0.0)
    za = special.ndtri(alpha / 2)
    levels = (special.ndtr(2 * z0 + za), special.ndtr(2 * z0 - za))
    return quantile_at(reps, levels[0]), quantile_at(reps, levels[1])


def _gauss_cdf(z, wF, mF, sF, wS, mS, sS) -> np.ndarray:
    """CDF at ``z`` of the two Gaussian components (weights ``wF``, ``wS``), in the law's
    z units; the point masses are added by the callers. Arguments broadcast."""
    out = wF * special.ndtr((z - mF) / sF)
    out += wS * special.ndtr((z - mS) / sS)
    return out


def _gauss_pdf(z, wF, mF, sF, wS, mS, sS) -> np.ndarray:
    """Density at ``z`` (z units) of the two Gaussian components; arguments broadcast."""
    dens = 0.0
    for w, m, s in ((wF, mF, sF), (wS, mS, sS)):
        x = (z - m) / s
        dens = dens + w * np.exp(-0.5 * x * x) / (math.sqrt(2 * math.pi) * s)
    return dens


#: Points of the grid on which :func:`_solve_cdf` brackets every level before its Newton steps.
_SOLVE_GRID = 64
#: Size of the last step at which :func:`_solve_cdf` stops, relative to ``|z|`` plus the
#: narrower component's sd (about 450 ulps of ``z``, or that fraction of an sd).
_SOLVE_TOL = 1e-13
#: Levels :func:`_solve_cdf` works on at a time (a few dozen MB of work arrays).
_SOLVE_CHUNK = 1 << 19


def _solve_cdf(p, wcf, wcs, piles, levels, lo, hi) -> np.ndarray:
    """Where the mixture's CDF in z first reaches each of ``levels``, in ``[lo, hi]``.

    The CDF is ``wcf Phi((z - mF) / sF) + wcs Phi((z - mS) / sS)`` plus the
    point masses ``piles`` (``(weight, z)`` pairs, ``z`` possibly infinite),
    with the parameters ``p`` of shape ``(rows, scales)``, the weights and
    the search range ``lo``, ``hi`` of shape ``(rows, scales, 1)``; the
    result is ``(rows, scales, levels)``. A level the CDF already reaches at
    ``lo`` gives ``-inf`` (an atom at the lower end), one it has not reached
    at ``hi`` gives ``+inf``. A level that falls inside a point mass's jump
    is answered by its location. Every other level lies where the CDF is
    continuous: the CDF on a grid of ``_SOLVE_GRID`` points of each range
    (``lo`` and ``hi`` among them) brackets it in one cell, the secant in the
    cell starts Newton steps with the density, kept inside the bracket (a
    step that would leave it bisects instead), until a step is below
    ``_SOLVE_TOL`` times ``|z|`` plus the narrower component's sd. This
    gives the quantile to a few hundred ulps (or that fraction of an sd) in a
    few CDF evaluations per level instead of the 64 halvings of a bisection
    to machine precision. Levels are solved ``_SOLVE_CHUNK`` at a time
    (bounded memory).
    """
    shape = p["mF"].shape + (levels.size,)
    n_rows = shape[0] * shape[1]
    per_level = shape[2]
    lo_rs = np.broadcast_to(lo, shape[:2] + (1,)).reshape(n_rows)
    hi_rs = np.broadcast_to(hi, shape[:2] + (1,)).reshape(n_rows)
    par = {k: np.broadcast_to(p[k], shape[:2]).ravel() for k in ("mF", "sF", "mS", "sS")}
    par["wF"], par["wS"] = (np.broadcast_to(w[:, :, 0], shape[:2]).ravel() for w in (wcf, wcs))
    masses = [(np.broadcast_to(w[:, :, 0], shape[:2]).ravel(), v) for w, v in piles]
    scale = np.minimum(par["sF"], par["sS"])

    def gauss(q):  # the Gaussian parts' parameters, in _gauss_cdf's order
        return q["wF"], q["mF"], q["sF"], q["wS"], q["mS"], q["sS"]

    def cdf(x, q):  # q: the parameters of each x
        out = _gauss_cdf(x, *gauss(q))
        for j, (_, v) in enumerate(masses):
            out += q[j] * (x >= v)
        return out

    def of(rows):  # the parameters of these rows, masses by position
        q = {k: v[rows] for k, v in par.items()}
        q.update((j, w[rows]) for j, (w, _) in enumerate(masses))
        return q

    # the CDF on a grid of each row's range: a bracket of one cell for every level
    zg = lo_rs[:, None] + (hi_rs - lo_rs)[:, None] * np.linspace(0.0, 1.0, _SOLVE_GRID)
    zg[:, -1] = hi_rs  # the range's ends exactly
    every = np.repeat(np.arange(n_rows), _SOLVE_GRID)
    fg = cdf(zg.ravel(), of(every)).reshape(zg.shape)
    below = fg[:, :1] >= levels  # (rows, levels): reached at lo already
    above = fg[:, -1:] < levels  # not reached at hi
    out = np.where(below, -np.inf, np.where(above, np.inf, np.nan)).ravel()
    fg = np.maximum.accumulate(fg, axis=1)  # monotone, whatever the rounding
    pending = np.flatnonzero(~(below | above).ravel())
    for c in range(0, pending.size, _SOLVE_CHUNK):
        todo = pending[c : c + _SOLVE_CHUNK]
        rs = todo // per_level
        q = of(rs)
        t = levels[todo % per_level]
        a, b = lo_rs[rs], hi_rs[rs]
        settled = np.zeros(todo.size, dtype=bool)
        for j, (_, v) in enumerate(masses):  # levels inside a jump; others to one side of it
            if not math.isfinite(v):  # a mass at -inf (+inf) is in the CDF everywhere (nowhere)
                continue
            up_to = cdf(np.full(todo.size, v), q)
            before = up_to - q[j]
            jump = ~settled & (before < t) & (t <= up_to)
            out[todo[jump]] = v
            settled |= jump
            b = np.where(t <= before, np.minimum(b, v), b)
            a = np.where(t > up_to, np.maximum(a, v), a)
        cell = np.clip((fg[rs] < t[:, None]).sum(axis=1), 1, _SOLVE_GRID - 1)
        za, zb = zg[rs, cell - 1], zg[rs, cell]
        fa, fb = fg[rs, cell - 1], fg[rs, cell]
        a, b = np.maximum(a, za), np.minimum(b, zb)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = za + (t - fa) / (fb - fa) * (zb - za)  # the secant in the cell
        x = np.where(np.isfinite(x) & (x > a) & (x < b), x, 0.5 * (a + b))
        keep = ~settled
        todo, a, b, t, x, s = todo[keep], a[keep], b[keep], t[keep], x[keep], scale[rs[keep]]
        q = {k: v[keep] for k, v in q.items()}
        for _ in range(100):
            fx = cdf(x, q)
            ok = fx >= t
            a, b = np.where(ok, a, x), np.where(ok, x, b)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                new = x - (fx - t) / _gauss_pdf(x, *gauss(q))
            new = np.where(np.isfinite(new) & (new > a) & (new < b), new, 0.5 * (a + b))
            tol = _SOLVE_TOL * (np.abs(x) + s)
            done = (np.abs(new - x) <= tol) | (b - a <= tol)
            out[todo[done]] = new[done]
            keep = ~done
            todo, a, b, t, x, s = todo[keep], a[keep], b[keep], t[keep], new[keep], s[keep]
            q = {k: v[keep] for k, v in q.items()}
            if todo.size == 0:
                break
        out[todo] = b  # not settled after 100 steps (never seen): the bracket's upper end
    return out.reshape(shape)


@dataclass(frozen=True, eq=False, repr=False)
class Band(Result):
    """A predicted quantity with its seed-bootstrap band, at one or more scales.

    Attributes
    ----------
    quantity : str
        What it is (``"p_success"``, ``"mean"``, ``"pdf"``, ``"cdf"``,
        ``"quantile"``, ``"weight_success"``, ``"point_mass"``).
    scales : numpy.ndarray
        The scales.
    x : numpy.ndarray or None
        Where a function was evaluated (metric values for ``pdf`` and
        ``cdf``, levels for ``quantile``, locations for ``point_mass``).
    estimate : numpy.ndarray
        Under the fit to the data: shape ``(n_scales,)``, or ``(n_scales,
        len(x))`` for functions; without the scale axis when one scale was
        predicted as a number.
    ci : ConfidenceInterval
        Bias-corrected percentile interval over the bootstrap replicates
        (:func:`bc_band`), or the calibrated one of a double bootstrap
        (:func:`~distscale.law.bands.calibrated_band`; ``ci.method``
        says which); arrays shaped like ``estimate``; NaN without
        replicates.
    k : int
        1 for a single seed, ``k`` for the best of ``k`` seeds.
    """

    quantity: str
    scales: np.ndarray
    x: np.ndarray | None
    estimate: np.ndarray
    ci: ConfidenceInterval
    k: int = 1

    def __repr__(self) -> str:
        est = np.asarray(self.estimate)
        shown = f"{float(est):.4g}" if est.ndim == 0 else f"shape {est.shape}"
        lo, hi = np.asarray(self.ci.low), np.asarray(self.ci.high)
        band = f" [{float(lo):.4g}, {float(hi):.4g}]" if est.ndim == 0 else ""
        best = f", best of {self.k}" if self.k > 1 else ""
        return f"Band({self.quantity}{best}: {shown}{band})"

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: ``scale, x, estimate, ci_low, ci_high`` (``x``: NaN for a number)."""
        est = np.atleast_1d(np.asarray(self.estimate, dtype=float))
        lo = np.atleast_1d(np.asarray(self.ci.low, dtype=float))
        hi = np.atleast_1d(np.asarray(self.ci.high, dtype=float))
        n_s = self.scales.size
        if self.x is None:
            est, lo, hi = est.reshape(n_s, 1), lo.reshape(n_s, 1), hi.reshape(n_s, 1)
            x = np.full(1, np.nan)
        else:
            x = np.asarray(self.x, dtype=float)
            est, lo, hi = (a.reshape(n_s, x.size) for a in (est, lo, hi))
        return pd.DataFrame({
            "scale": np.repeat(self.scales, x.size),
            "x": np.tile(x, n_s),
            "estimate": est.ravel(),
            "ci_low": lo.ravel(),
            "ci_high": hi.ravel(),
        })  # fmt: skip


@dataclass(frozen=True, eq=False, repr=False)
class PredictiveDistribution(Result):
    """The predicted seed distribution at one or more scales (or of the best of ``k`` seeds).

    Row 0 of every parameter array is the fit to the data; rows 1, 2, ...
    are the seed-bootstrap replicates. The distribution is a mixture of a
    point mass at ``pile_failure`` (weight ``(1 - pi) qF``), a continuous
    failed component (``(1 - pi)(1 - qF)``, Gaussian in ``z = T(y)`` with
    location ``mF`` and spread ``sF``), a continuous successful component
    and a point mass at ``pile_success``.

    Attributes
    ----------
    scales : numpy.ndarray
    extrapolated : numpy.ndarray
        True where a scale lies outside the fitted range.
    params : dict of numpy.ndarray
        ``pi, qF, qS, mF, sF, mS, sS``, each ``(1 + n_resamples, n_scales)``.
    transform : Transform
    pile_failure, pile_success : float
        Locations of the point masses (NaN without one).
    threshold : float
    higher_is_better : bool
    k : int
        The distribution of the best of ``k`` seeds (1: of one seed).
    confidence_level : float
    metric, scale_name : hashable
    scalar : bool
        One scale was asked for as a number: results drop the scale axis.
    inner : dict of numpy.ndarray or None
        With ``interval="calibrated"``: the same parameters under every
        inner resample of every replicate, ``(n_resamples * n_inner,
        n_scales)``; the bands are then calibrated.
    """

    scales: np.ndarray
    extrapolated: np.ndarray
    params: dict = field(repr=False)
    transform: Transform = field(repr=False)
    pile_failure: float
    pile_success: float
    threshold: float
    higher_is_better: bool
    k: int
    confidence_level: float
    metric: Hashable = None
    scale_name: Hashable = None
    scalar: bool = False
    inner: dict | None = field(default=None, repr=False)

    # --------------------------------------------------------------------- internals
    def __repr__(self) -> str:
        p = self.p_success()
        est = np.atleast_1d(p.estimate)
        what = f"best of {self.k} seeds" if self.k > 1 else "one seed"
        extra = " (extrapolated)" if bool(np.any(self.extrapolated)) else ""
        scales = ", ".join(f"{s:g}" for s in self.scales[:4]) + (
            ", ..." if self.scales.size > 4 else "")
        return (f"PredictiveDistribution({what} at scale {scales}{extra}: P(success) "
                f"{', '.join(f'{v:.3g}' for v in est[:4])})")

    @property
    def n_resamples(self) -> int:
        """Number of bootstrap replicates behind the bands."""
        return self.params["pi"].shape[0] - 1

    def _weights(self) -> tuple[np.ndarray, ...]:
        p = self.params
        pi, qf, qs = p["pi"], p["qF"], p["qS"]
        return (1 - pi) * qf, (1 - pi) * (1 - qf), pi * (1 - qs), pi * qs

    def _band(self, of: object, quantity: str, x: np.ndarray | None = None) -> Band:
        """Estimate (row 0) and band (rows 1..) of ``of(self)`` (``(rows, scales, ...)``);
        calibrated by ``of`` under the inner resamples where there are some."""
        values = of(self)
        est = values[0]
        if self.inner is None:
            lo, hi = bc_band(values, self.confidence_level)
            method = "bc"
        else:
            inner = of(replace(self, params=self.inner, inner=None))
            lo, hi = calibrated_band(values, inner, self.confidence_level)
            method = "calibrated"
        if self.scalar:
            est, lo, hi = est[0], lo[0], hi[0]
        ci = ConfidenceInterval(frozen(lo), frozen(hi), level=self.confidence_level,
                                method=method)
        return Band(quantity, frozen(self.scales), None if x is None else frozen(x), frozen(est),
                    ci, self.k)

    def _base_cdf(self, y: np.ndarray) -> np.ndarray:
        """CDF of one seed at ``y`` (shape ``(m,)``): ``(rows, scales, m)``."""
        wpf, _, _, wps = (w[:, :, None] for w in self._weights())
        out = _gauss_cdf(self._z(y)[None, None, :], *self._gauss_args())
        for w, at in ((wpf, self.pile_failure), (wps, self.pile_success)):
            if math.isfinite(at):
                out = out + w * (y >= at)[None, None, :]
        return np.clip(out, 0.0, 1.0)

    def _gauss_args(self) -> tuple[np.ndarray, ...]:
        """The Gaussian parts' weights, locations and spreads in :func:`_gauss_cdf`'s
        order, each ``(rows, scales, 1)``."""
        _, wcf, wcs, _ = self._weights()
        p = self.params
        return tuple(a[:, :, None] for a in (wcf, p["mF"], p["sF"], wcs, p["mS"], p["sS"]))

    def _z(self, y: np.ndarray) -> np.ndarray:
        t = self.transform
        z = t.forward(np.clip(y, t.lo, t.hi))
        return np.where(y <= t.lo, -np.inf, np.where(y >= t.hi, np.inf, z))

    def _to_k(self, cdf: np.ndarray) -> np.ndarray:
        if self.k == 1:
            return cdf
        return cdf**self.k if self.higher_is_better else 1 - (1 - cdf) ** self.k

    # ------------------------------------------------------------------ public API
    def cdf(self, y: object) -> Band:
        """``P(value <= y)`` at each scale, with its band."""
        y = check_finite_array("y", np.atleast_1d(np.asarray(y, dtype=float)))
        return self._band(lambda d: d._to_k(d._base_cdf(y)), "cdf", y)

    def pdf(self, y: object) -> Band:
        """Density of the continuous part at ``y`` (point masses: :meth:`point_masses`).

        The density is with respect to the metric's units and integrates to
        the continuous part's weight (``1`` minus the point masses).
        """
        y = check_finite_array("y", np.atleast_1d(np.asarray(y, dtype=float)))
        return self._band(lambda d: d._pdf_values(y), "pdf", y)

    def _pdf_values(self, y: np.ndarray) -> np.ndarray:
        t = self.transform
        inside = (y > t.lo) & (y < t.hi)
        safe = np.where(inside, y, t.inside())
        z = np.where(inside, t.forward(safe), 0.0)
        jac = np.where(inside, np.exp(t.log_jacobian(safe)), 0.0)
        dens = _gauss_pdf(z[None, None, :], *self._gauss_args())
        dens = dens * jac[None, None, :]
        if self.k > 1:
            base = self._base_cdf(y)
            tail = base if self.higher_is_better else 1 - base
            dens = self.k * tail ** (self.k - 1) * dens
        return dens

    def point_masses(self) -> Band:
        """Probability of each point mass (``x``: the locations; none: empty)."""
        locs = np.array([v for v in (self.pile_failure, self.pile_success) if math.isfinite(v)])
        return self._band(lambda d: d._mass_values(locs), "point_mass", locs)

    def _mass_values(self, locs: np.ndarray) -> np.ndarray:
        if locs.size == 0:
            return np.zeros((self.params["pi"].shape[0], self.scales.size, 0))
        wpf, _, _, wps = self._weights()
        masses = []
        for v in locs:
            mass = wpf if v == self.pile_failure else wps
            at = self._base_cdf(np.array([v]))[:, :, 0]
            masses.append(self._to_k(at) - self._to_k(at - mass))
        return np.stack(masses, axis=-1)

    def p_success(self) -> Band:
        """Probability that a seed (the best of ``k`` seeds) succeeds under the threshold rule."""
        return self._band(lambda d: d._p_success_values(), "p_success")

    def _p_success_values(self) -> np.ndarray:
        _, wcf, wcs, wps = self._weights()
        p = self.params
        zt = float(self.transform.forward(np.array([self.threshold]))[0])
        sign = 1.0 if self.higher_is_better else -1.0
        one = wps + wcf * special.ndtr(sign * (p["mF"] - zt) / p["sF"]) + wcs * special.ndtr(
            sign * (p["mS"] - zt) / p["sS"])
        one = np.clip(one, 0.0, 1.0)
        return 1 - (1 - one) ** self.k

    def weight_success(self) -> Band:
        """The mixing weight of the successful part, ``pi`` (logistic in ``ln(scale)``)."""
        return self._band(lambda d: d.params["pi"], "weight_success")

    def quantile(self, q: object) -> Band:
        """Quantiles at levels ``q`` (``inf{y: CDF(y) >= q}``), with their band."""
        q = check_finite_array("q", np.atleast_1d(np.asarray(q, dtype=float)))
        if np.any((q <= 0) | (q >= 1)):
            raise ValueError("`q` must hold levels strictly between 0 and 1")
        return self._band(lambda d: d._quantiles(q), "quantile", q)

    def _quantiles(self, q: np.ndarray) -> np.ndarray:
        if self.k > 1:
            q = q ** (1 / self.k) if self.higher_is_better else 1 - (1 - q) ** (1 / self.k)
        p = self.params
        wpf, wcf, wcs, wps = (w[:, :, None] for w in self._weights())
        t = self.transform
        piles = [(wpf, self.pile_failure), (wps, self.pile_success)]
        zp = [(w, float(self._z(np.array([v]))[0]) if math.isfinite(v) else math.nan)
              for w, v in piles]
        lo = np.minimum(p["mF"] - 12 * p["sF"], p["mS"] - 12 * p["sS"])[:, :, None]
        hi = np.maximum(p["mF"] + 12 * p["sF"], p["mS"] + 12 * p["sS"])[:, :, None]
        for _, v in zp:
            if math.isfinite(v):
                lo, hi = np.minimum(lo, v - 1.0), np.maximum(hi, v + 1.0)
        z = _solve_cdf(p, wcf, wcs, [(w, v) for w, v in zp if not math.isnan(v)], q, lo, hi)
        below = np.isneginf(z)  # the answer is an atom at -inf (a pile at the lower bound)
        above = np.isposinf(z)  # ... or at +inf
        for _, v in zp:
            if math.isfinite(v):
                z = np.where(np.abs(z - v) < 1e-9 * max(1.0, abs(v)), v, z)
        y = t.inverse(z)
        at = [v for v in (self.pile_failure, self.pile_success) if math.isfinite(v)]
        if t.kind == "identity" and at:
            y = np.where(below, min(at), y)
            y = np.where(above, max(at), y)
        for v in (self.pile_failure, self.pile_success):
            if math.isfinite(v):
                y = np.where(np.abs(y - v) < 1e-12 * max(1.0, abs(v)), v, y)
        return y

    def mean(self) -> Band:
        """Expected value of a seed (of the best of ``k`` seeds)."""
        return self._band(lambda d: d._mean_values(), "mean")

    def _mean_values(self) -> np.ndarray:
        if self.k > 1:
            u = (np.arange(2000) + 0.5) / 2000
            return self._quantiles(u).mean(axis=-1)
        wpf, wcf, wcs, wps = self._weights()
        p = self.params
        out = np.zeros_like(wcf)
        for w, v in ((wpf, self.pile_failure), (wps, self.pile_success)):
            if math.isfinite(v):
                out = out + w * v
        for w, m, s in ((wcf, p["mF"], p["sF"]), (wcs, p["mS"], p["sS"])):
            out = out + np.where(w > 0, w * self._component_mean(m, s), 0.0)
        return out

    def _component_mean(self, m: np.ndarray, s: np.ndarray) -> np.ndarray:
        t = self.transform
        with np.errstate(over="ignore"):
            if t.kind == "identity":
                return m
            if t.kind == "log":
                return t.lo + np.exp(m + 0.5 * s * s)
            if t.kind == "neglog":
                return t.hi - np.exp(-m + 0.5 * s * s)
        z = m[..., None] + s[..., None] * _GH_X
        return (t.inverse(z) * _GH_W).sum(axis=-1)

    def sample(self, n: int, *, rng: object = None, uncertainty: bool = False) -> np.ndarray:
        """Draw ``n`` seeds (best of ``k`` each) at every scale.

        Parameters
        ----------
        n : int
            Seeds per scale.
        rng : int, numpy.random.Generator or None
        uncertainty : bool, default False
            Draw each seed under a randomly chosen bootstrap replicate's
            parameters (the law's uncertainty included) instead of the fit to
            the data.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_scales, n)`` (``(n,)`` for one scale given as a number).
        """
        n = check_int("n", n, 1)
        gen = check_rng(rng)
        rows = self.params["pi"].shape[0]
        n_s = self.scales.size
        draws = n * self.k
        if uncertainty and rows > 1:
            row = gen.integers(1, rows, size=(n_s, draws))
        else:
            row = np.zeros((n_s, draws), dtype=np.int64)
        col = np.broadcast_to(np.arange(n_s)[:, None], row.shape)
        w = np.stack([a[row, col] for a in self._weights()], axis=-1)
        cum = np.cumsum(w, axis=-1)
        u = gen.random(row.shape) * cum[..., -1]
        comp = (u[..., None] >= cum[..., :-1]).sum(axis=-1)
        p = self.params
        x = gen.standard_normal(row.shape)
        zf = p["mF"][row, col] + p["sF"][row, col] * x
        zs = p["mS"][row, col] + p["sS"][row, col] * x
        y = np.select(
            [comp == 0, comp == 1, comp == 2],
            [np.full(row.shape, self.pile_failure), self.transform.inverse(zf),
             self.transform.inverse(zs)],
            np.full(row.shape, self.pile_success),
        )
        if self.k > 1:
            y = y.reshape(n_s, n, self.k)
            y = y.max(axis=-1) if self.higher_is_better else y.min(axis=-1)
        return y[0] if self.scalar else y

    def best_of(self, k: int) -> PredictiveDistribution:
        """The distribution of the best of ``k`` seeds (the highest, or lowest for losses)."""
        k = check_int("k", k, 1)
        return replace(self, k=k * self.k)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per scale and quantity: ``scale, k, extrapolated, quantity,
        level, estimate, ci_low, ci_high`` (``level``: the quantile's level or a pile's
        location, else NaN)."""
        parts = []
        for band, level in (
            (self.p_success(), None), (self.weight_success(), None), (self.mean(), None),
            (self.quantile(FRAME_LEVELS), FRAME_LEVELS), (self.point_masses(), "x"),
        ):
            frame = band.to_frame()
            if level is None:
                frame["x"] = np.nan
            parts.append(frame.assign(quantity=band.quantity))
        out = pd.concat(parts, ignore_index=True).rename(columns={"x": "level"})
        ext = dict(zip(self.scales.tolist(), self.extrapolated.tolist(), strict=True))
        out.insert(1, "k", self.k)
        out.insert(2, "extrapolated", out["scale"].map(ext).astype(bool))
        return out[["scale", "k", "extrapolated", "quantity", "level", "estimate", "ci_low",
                    "ci_high"]]
