r"""The batched EM of the distributional scaling law (a mixture of regressions).

The law (:mod:`distscale.law.model`) is a two-part mixture whose mixing
weights depend on the covariate ``g`` -- a *concomitant-variable* model, as
R's flexmix (Grün & Leisch 2008) fits them and mixtools' ``regmixEM``
fits mixtures of regressions -- with point masses at the metric's bounds.
Which part a value at a bound belongs to is known (the pile's side of the
threshold); for a continuous value it is latent, and EM alternates

* **E step**: the probability ``r`` that a continuous value belongs to the
  successful component, the logistic of a quadratic in ``z`` (the
  log-ratio of the two weighted Gaussian densities), so no per-component
  densities are formed (as in :mod:`distscale.modality.em`);
* **M step** (an ECM step, Meng & Rubin 1993): the weight of the
  successful part by one Newton step of a Firth-penalised logistic
  regression on the per-scale expected counts (or a damped step of the
  floor/ceiling logistic); each pile share by one Newton step on its
  counts, with Clogg et al.'s (1991) pseudo-counts (a fixed share of one
  run spread over the scales) so a share that is 0 at most scales stays
  finite; each component's location by weighted least squares given its
  spreads, then its log-spread by two Newton steps given the locations (a
  gamma regression with log link on the weighted squared residuals), with
  a weak prior of one pseudo-run at the data's resolution that keeps a
  spread positive however few values a component holds.

Everything the M step needs are per-scale sums, so one iteration costs a
few passes over a ``(replicates, scales, seeds)`` array: every
seed-bootstrap replicate is one row of one array program (its bootstrap
counts are the weights of the data), replicates start from the fit to the
data and leave the active set when their log-likelihood gains less than
``tol`` per run, and replicates are processed in chunks so memory stays
bounded.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from distscale.law.binomial import logistic4_step, logistic_step
from distscale.law.model import PARAM_NAMES, Params, Structure

__all__ = ["EMData", "em", "initial_params"]

_LOG_2PI = math.log(2.0 * math.pi)
#: Float64 elements per working array of one chunk of replicates.
CHUNK_ELEMENTS = 1 << 21
#: Smallest component spread, standardised units (a numerical guard; the prior acts first).
_MIN_LOG_SPREAD = math.log(1e-4)


@dataclass
class EMData:
    """The fixed inputs: standardised values and masks ``(J, n)``, covariate ``(J,)``."""

    z: np.ndarray
    valid: np.ndarray
    cont: np.ndarray
    pile_f: np.ndarray
    pile_s: np.ndarray
    side: np.ndarray
    g: np.ndarray
    structure: Structure
    weight_model: str
    pile_prior: dict
    spread_prior: dict

    @property
    def n_scales(self) -> int:
        return self.g.size


#: Merge tied values in the bootstrap when the widest scale keeps at most this share of them.
MERGE_TIES_BELOW = 0.5


def merge_ties(data: EMData) -> tuple[EMData, np.ndarray] | None:
    """The same data with each scale's tied values merged into one column, and the map.

    Every mask of a value (valid, continuous, piled, on the successful side)
    is a function of the value, so runs with equal values can be carried by
    one column whose weight is their count: the likelihood, and so every fit,
    is the same. Returns the merged data and ``inverse`` ``(J, n)``: the
    merged column of every value (padding maps to a column of weight 0); or
    None when merging would keep more than :data:`MERGE_TIES_BELOW` of the
    columns.
    """
    J, n = data.valid.shape
    flags = (data.pile_f, data.pile_s, data.cont, data.side)
    groups, inverse = [], np.zeros((J, n), dtype=np.int64)
    for j in range(J):
        v = data.valid[j]
        key = np.column_stack([data.z[j][v], *(f[j][v].astype(float) for f in flags)])
        uniq, inv = np.unique(key, axis=0, return_inverse=True)
        inverse[j, v] = inv.ravel()
        inverse[j, ~v] = uniq.shape[0]
        groups.append(uniq)
    width = max(u.shape[0] for u in groups) + 1  # one spare column for padding
    if width > MERGE_TIES_BELOW * n:
        return None
    z = np.zeros((J, width))
    masks = [np.zeros((J, width), dtype=bool) for _ in range(5)]  # valid, then the flags
    for j, uniq in enumerate(groups):
        k = uniq.shape[0]
        z[j, :k] = uniq[:, 0]
        masks[0][j, :k] = True
        for f in range(4):
            masks[f + 1][j, :k] = uniq[:, f + 1] > 0.5
    merged = dataclasses.replace(data, z=z, valid=masks[0], pile_f=masks[1], pile_s=masks[2],
                                 cont=masks[3], side=masks[4])
    return merged, inverse


@dataclass
class _Sums:
    """Per-row sums that do not change during EM, and the weighted arrays of a chunk."""

    wc: np.ndarray  # (rows, J, n) weights of continuous values
    wcz: np.ndarray
    wcz2: np.ndarray
    n_tot: np.ndarray  # (rows, J)
    n_pf: np.ndarray
    n_ps: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    t2: np.ndarray

    def take(self, keep: np.ndarray) -> _Sums:
        return _Sums(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))


def _sums(data: EMData, w: np.ndarray) -> _Sums:
    wc = w * data.cont
    wcz = wc * data.z
    wcz2 = wcz * data.z
    return _Sums(
        wc, wcz, wcz2,
        (w * data.valid).sum(axis=2), (w * data.pile_f).sum(axis=2),
        (w * data.pile_s).sum(axis=2), wc.sum(axis=2), wcz.sum(axis=2), wcz2.sum(axis=2),
    )  # fmt: skip


def _rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(a * b).sum(-1)`` for ``(rows, J, n)`` arrays."""
    rows, J, n = a.shape
    return np.einsum("ij,ij->i", a.reshape(-1, n), b.reshape(-1, n)).reshape(rows, J)


# ================================================================================== E step
def _e_step(data: EMData, s: _Sums, ev: dict) -> tuple[dict, np.ndarray]:
    """Expected per-scale statistics of the successful component, and each row's log-likelihood."""
    st = data.structure
    with np.errstate(divide="ignore"):
        log_pi, log_1pi = np.log(ev["pi"]), np.log1p(-ev["pi"])
        log_qf, log_1qf = np.log(ev["qF"]), np.log1p(-ev["qF"])
        log_qs, log_1qs = np.log(ev["qS"]), np.log1p(-ev["qS"])
    ll = np.zeros(s.n_tot.shape)
    if st.pile["F"]:
        ll += np.where(s.n_pf > 0, s.n_pf * (log_1pi + log_qf), 0.0)
    if st.pile["S"]:
        ll += np.where(s.n_ps > 0, s.n_ps * (log_pi + log_qs), 0.0)

    def gauss_sum(lw, m, sd):
        """Sum over continuous values of w * log(weight * N(z; m, sd))."""
        return s.t0 * (lw - np.log(sd) - 0.5 * _LOG_2PI) - (
            s.t2 - 2 * m * s.t1 + m * m * s.t0
        ) / (2 * sd * sd)

    if st.cont["F"] and st.cont["S"]:
        lw_f, lw_s = log_1pi + log_1qf, log_pi + log_1qs
        mf, sf, ms, ss = ev["mF"], ev["sF"], ev["mS"], ev["sS"]
        a = 0.5 / (sf * sf) - 0.5 / (ss * ss)
        b = ms / (ss * ss) - mf / (sf * sf)
        with np.errstate(invalid="ignore"):
            # both parts' weights exactly 0 at a scale (a bootstrap replicate that put every
            # run at the pile there): NaN, and only runs of weight 0 meet it; t = 0 keeps
            # them finite
            c = (lw_s - lw_f - np.log(ss) + np.log(sf) - 0.5 * ms * ms / (ss * ss)
                 + 0.5 * mf * mf / (sf * sf))
        c = np.nan_to_num(c, nan=0.0)
        t = a[:, :, None] * (data.z * data.z)[None] + b[:, :, None] * data.z[None] + c[:, :, None]
        e = np.exp(-np.abs(t))
        pos = t >= 0
        sp = np.maximum(t, 0.0) + np.log1p(e)
        r = np.where(pos, 1.0 / (1.0 + e), e / (1.0 + e))
        stats = {"R": _rowdot(s.wc, r), "S1": _rowdot(s.wcz, r), "S2": _rowdot(s.wcz2, r)}
        with np.errstate(invalid="ignore"):
            ll += np.where(s.t0 > 0, gauss_sum(lw_f, mf, sf), 0.0) + _rowdot(s.wc, sp)
    else:
        k = "S" if st.cont["S"] else "F"
        full = {"R": s.t0, "S1": s.t1, "S2": s.t2}
        zero = {key: np.zeros_like(v) for key, v in full.items()}
        stats = full if k == "S" else zero
        if st.cont[k]:
            lw = (log_pi + log_1qs) if k == "S" else (log_1pi + log_1qf)
            ll += np.where(s.t0 > 0, gauss_sum(lw, ev[f"m{k}"], ev[f"s{k}"]), 0.0)
    return stats, ll.sum(axis=1)


# ================================================================================== M step
def _component_step(
    p: dict, k: str, R: np.ndarray, S1: np.ndarray, S2: np.ndarray, data: EMData
) -> None:
    """Update one component's location (WLS) then log-spread (Newton) in place."""
    st, g = data.structure, data.g
    ma, mb, la, lb = (p[f"m{k}a"], p[f"m{k}b"], p[f"l{k}a"], p[f"l{k}b"])
    total = R.sum(axis=1)
    live = total > 1e-9
    nu = 1.0 / data.n_scales  # one pseudo-run per component, spread over the scales
    w = np.exp(-2.0 * (la[:, None] + lb[:, None] * g[None, :]))
    wr = w * R
    a00, a01, a11 = wr.sum(1), (wr * g).sum(1), (wr * g * g).sum(1)
    r0, r1 = (w * S1).sum(1), (w * S1 * g).sum(1)
    if st.loc_slope[k]:
        det = a00 * a11 - a01 * a01
        ok = live & (det > 1e-10 * np.maximum(a00 * a11, 1e-300))
        safe = np.where(ok, det, 1.0)
        new_a = np.where(ok, (a11 * r0 - a01 * r1) / safe, ma)
        new_b = np.where(ok, (a00 * r1 - a01 * r0) / safe, mb)
        # leverage of each scale in the location fit (they sum to 2)
        lev = wr * (a11[:, None] - 2 * a01[:, None] * g + a00[:, None] * g * g) / safe[:, None]
    else:
        ok = live & (a00 > 1e-300)
        new_a = np.where(ok, (r0 - mb * a01) / np.where(ok, a00, 1.0), ma)
        new_b = mb
        lev = wr / np.where(ok, a00, 1.0)[:, None]
    ma[:], mb[:] = new_a, new_b
    mu = ma[:, None] + mb[:, None] * g[None, :]
    prior = data.spread_prior[k]
    E = np.maximum(S2 - 2 * mu * S1 + mu * mu * R, 0.0) + nu * prior
    # REML-type counts: each scale's weight less its leverage in the location fit, so the
    # spreads are not biased low by the fitted locations (Smyth & Verbyla 1996)
    Rt = np.maximum(R - np.where(ok[:, None], lev, 0.0), 0.5 * R) + nu
    if st.spread_slope[k]:
        for _ in range(2):
            ee = E * np.exp(-2.0 * (la[:, None] + lb[:, None] * g[None, :]))
            d = ee - Rt
            g0, g1 = d.sum(1), (d * g).sum(1)
            h00, h01, h11 = 2 * ee.sum(1), 2 * (ee * g).sum(1), 2 * (ee * g * g).sum(1)
            det = h00 * h11 - h01 * h01
            ok2 = live & (det > 1e-12 * np.maximum(h00 * h11, 1e-300))
            safe = np.where(ok2, det, 1.0)
            da = (h11 * g0 - h01 * g1) / safe
            db = (h00 * g1 - h01 * g0) / safe
            size = np.maximum(np.abs(da), np.abs(db))
            shrink = np.minimum(1.0, 1.0 / np.maximum(size, 1e-300))
            la[:] = np.where(ok2, la + shrink * da, la)
            lb[:] = np.where(ok2, lb + shrink * db, lb)
    else:
        ee = (E * np.exp(-2.0 * lb[:, None] * g[None, :])).sum(1)
        with np.errstate(divide="ignore"):
            la[:] = np.where(live, 0.5 * np.log(ee / Rt.sum(1)), la)
    low = (la[:, None] + lb[:, None] * g[None, :]).min(axis=1)
    la[:] = la + np.maximum(_MIN_LOG_SPREAD - low, 0.0)


def _m_step(data: EMData, s: _Sums, stats: dict, p: dict, lam: np.ndarray) -> None:
    """One ECM step on every row; updates the parameter dict ``p`` (and ``lam``) in place."""
    st, g = data.structure, data.g
    R, S1, S2 = stats["R"], stats["S1"], stats["S2"]
    if st.weight_free:
        succ = s.n_ps + R
        if data.weight_model == "logistic4":
            theta = np.stack([p["pu"], p["pv"], p["pa"], p["pb"]], axis=1)
            theta, lam[:] = logistic4_step(theta, lam, succ, s.n_tot, g)
            p["pu"][:], p["pv"][:], p["pa"][:], p["pb"][:] = theta.T
        else:
            p["pa"][:], p["pb"][:] = logistic_step(
                p["pa"], p["pb"], succ, s.n_tot, g, slope_free=st.slope_free
            )
    for k, piles, part_count in (("F", s.n_pf, s.n_tot - s.n_ps - R), ("S", s.n_ps, s.n_ps + R)):
        if st.pile_free[k]:
            share, kappa = data.pile_prior[k], 1.0 / data.n_scales
            a, b = ("fa", "fb") if k == "F" else ("sa", "sb")
            p[a][:], p[b][:] = logistic_step(
                p[a], p[b], piles + kappa * share, part_count + kappa, g,
                slope_free=st.slope_free, firth=False,
            )
    if st.cont["S"]:
        _component_step(p, "S", R, S1, S2, data)
    if st.cont["F"]:
        _component_step(p, "F", s.t0 - R, s.t1 - S1, s.t2 - S2, data)


# ===================================================================================== driver
def _fixed_params(st: Structure, rows: int) -> dict[str, np.ndarray]:
    """Parameters with every absent piece at its fixed value and the rest at 0."""
    p = {k: np.zeros(rows) for k in PARAM_NAMES}
    p["pu"][:], p["pv"][:] = -math.inf, math.inf
    if not st.parts["F"]:
        p["pa"][:] = math.inf
    elif not st.parts["S"]:
        p["pa"][:] = -math.inf
    for k, a in (("F", "fa"), ("S", "sa")):
        if not st.pile[k]:
            p[a][:] = -math.inf
        elif not st.cont[k]:
            p[a][:] = math.inf
    return p


def initial_params(data: EMData, n_steps: int = 30) -> Params:
    """The start of the EM: the complete-data fit with every continuous value on its
    side of the threshold (the threshold names the parts)."""
    st = data.structure
    p = _fixed_params(st, 1)
    if data.weight_model == "logistic4":
        p["pu"][:], p["pv"][:] = -4.0, 4.0
    for k in ("F", "S"):
        mask = (data.side if k == "S" else data.cont & ~data.side) if st.cont["F"] and st.cont[
            "S"] else data.cont
        if st.cont[k] and mask.any():
            vals = data.z[mask]
            p[f"m{k}a"][:] = vals.mean()
            p[f"l{k}a"][:] = math.log(max(vals.std(), 0.1))
    w = data.valid[None].astype(float)
    s = _sums(data, w)
    if st.cont["F"] and st.cont["S"]:
        r = data.side[None].astype(float)
        stats = {"R": _rowdot(s.wc, r), "S1": _rowdot(s.wcz, r), "S2": _rowdot(s.wcz2, r)}
    else:
        stats, _ = _e_step(data, s, Params(p).at(data.g))
    lam = np.full(1, 1e-2)
    for _ in range(n_steps):
        _m_step(data, s, stats, p, lam)
    return Params(p)


def em(
    data: EMData,
    weights: np.ndarray,
    start: Params,
    *,
    tol: float = 1e-9,
    max_iter: int = 1000,
    min_iter: int = 3,
) -> tuple[Params, np.ndarray, np.ndarray, np.ndarray]:
    """EM for every row of ``weights`` (shape ``(rows, J, n)``), in chunks.

    ``start`` has one row (broadcast to all) or one per row. A row stops when
    its log-likelihood changes by less than ``tol`` per unit weight between
    iterations, or after ``max_iter`` iterations. Returns the parameters,
    iterations, convergence flags and log-likelihoods (of the transformed
    values; the Jacobian is the caller's).
    """
    rows = weights.shape[0]
    per_row = max(1, weights.shape[1] * weights.shape[2])
    step = max(1, CHUNK_ELEMENTS // per_row)
    out, iters, conv, lls = [], [], [], []
    for lo in range(0, rows, step):
        hi = min(rows, lo + step)
        st = start if start.rows == 1 else start.take(np.arange(lo, hi))
        res = _em_chunk(data, weights[lo:hi], st, tol, max_iter, min_iter)
        out.append(res[0])
        iters.append(res[1])
        conv.append(res[2])
        lls.append(res[3])
    return Params.stack(out), np.concatenate(iters), np.concatenate(conv), np.concatenate(lls)


def _em_chunk(data, w, start, tol, max_iter, min_iter):
    """SQUAREM-accelerated ECM (Varadhan & Roland 2008, scheme S3) on one chunk of rows.

    A cycle takes two ECM steps from ``theta0``, extrapolates along them
    (all parameters are unconstrained: logits, locations, log-spreads),
    and takes one more ECM step from the extrapolated point, which is kept
    if its log-likelihood is not below ``theta0``'s (else the plain second
    step is kept and the extrapolation bound shrinks). A row stops when the
    log-likelihood at the start of successive cycles changes by less than
    ``tol`` per unit weight; ``n_iter`` counts ECM steps.
    """
    rows = w.shape[0]
    names = PARAM_NAMES
    theta = np.stack([np.broadcast_to(start.v[k], (rows,)) for k in names], axis=1).copy()
    free = np.all(np.isfinite(theta), axis=0)
    lam = np.full(rows, 1e-2)
    s = _sums(data, w)
    total = np.maximum(s.n_tot.sum(axis=1), 1.0)
    n_iter = np.zeros(rows, dtype=np.int64)
    conv = np.zeros(rows, dtype=bool)
    ll_out = np.full(rows, np.nan)
    step_max = np.ones(rows)
    idx = np.arange(rows)
    cur, sc, lm = theta.copy(), s, lam.copy()
    prev = np.full(rows, -np.inf)

    def as_dict(t):
        return {k: t[:, i].copy() for i, k in enumerate(names)}

    def ecm(t, scc, lmm):
        p = as_dict(t)
        stats, ll = _e_step(data, scc, Params(p).at(data.g))
        _m_step(data, scc, stats, p, lmm)
        return np.stack([p[k] for k in names], axis=1), ll

    steps = 0
    while idx.size:
        th1, ll0 = ecm(cur, sc, lm)
        ll_out[idx] = ll0
        done = (np.abs(ll0 - prev) <= tol * total[idx]) & (steps >= min_iter)
        if steps >= max_iter:
            done[:] = True
        else:
            conv[idx[done]] = True
        if done.any():
            n_iter[idx[done]] = steps
            theta[idx[done]] = cur[done]
            keep = ~done
            idx = idx[keep]
            if idx.size == 0:
                break
            sc = sc.take(keep)
            cur, th1, ll0, lm = cur[keep], th1[keep], ll0[keep], lm[keep]
        prev = ll0
        th2, _ = ecm(th1, sc, lm)
        with np.errstate(invalid="ignore"):
            r = np.where(free, th1 - cur, 0.0)
            v = np.where(free, th2 - 2 * th1 + cur, 0.0)
        rr, vv = (r * r).sum(axis=1), (v * v).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = -np.sqrt(rr / vv)
        smax = step_max[idx]
        alpha = np.clip(np.where(np.isfinite(alpha), alpha, -1.0), -smax, -1.0)
        thx = np.where(free, cur - 2 * alpha[:, None] * r + (alpha**2)[:, None] * v, cur)
        th3, llx = ecm(thx, sc, lm)
        ok = np.isfinite(llx) & (llx >= ll0 - 1e-10 * (np.abs(ll0) + total[idx]))
        cur = np.where(ok[:, None], th3, th2)
        step_max[idx] = np.where(
            ok, np.where(alpha <= -smax, 4.0 * smax, smax), np.maximum(1.0, smax / 4.0)
        )
        steps += 3
    if idx.size:  # pragma: no cover - the loop ends with every row done
        theta[idx] = cur
    out = Params({k: theta[:, i] for i, k in enumerate(names)})
    return out, n_iter, conv, ll_out
