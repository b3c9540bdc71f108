"""Monotone trend tests across scales, with many seeds per scale.

:func:`trend_test` asks whether a metric (of all runs, of the successful runs,
or of the failed ones) rises or falls with scale: Jonckheere-Terpstra,
Mann-Kendall with ties in scale, or Bartholomew's E-bar-squared order-
restricted test. :func:`monotonicity_test` asks the reverse question: is there
evidence that the mean is *not* monotone in scale?

All rank tests here rest on one statistic, Kendall's concordance between
scale and value over the runs of different scales,
``S = sum sign(scale_b - scale_a) * sign(y_b - y_a)``; Jonckheere's ``J`` is
``(S + D) / 2`` with ``D`` the number of pairs of runs at different scales.
Permutation distributions are computed for whole blocks of permutations at
once (``(permutations, runs)`` label arrays).
"""

from __future__ import annotations

import itertools
import math
import numbers
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from distscale._validation import check_n_resamples, check_one_of, check_rng, format_labels
from distscale._warnings import DegenerateDataWarning
from distscale.population import Population, as_population
from distscale.results import frozen, scale_labels

__all__ = ["MonotonicityTestResult", "TrendTestResult", "monotonicity_test", "trend_test"]

METHODS = ("jonckheere", "mann-kendall", "ebar2")
ALTERNATIVES = ("increasing", "decreasing", "two-sided")
SUBSETS = ("all", "success", "failure")
PVALUE_METHODS = ("auto", "exact", "normal", "permutation")

#: ``pvalue_method="auto"`` uses the exact distribution of J (no ties) when the
#: number of cross-scale pairs is at most this; the dynamic programme costs
#: about ``pairs**2 / 2`` flops.
AUTO_EXACT_PAIRS = 5_000
#: ... and enumerates every assignment of runs to scales (ties, or E-bar-squared)
#: when there are at most this many.
AUTO_EXACT_ASSIGNMENTS = 10_000
#: ``"auto"`` uses Monte Carlo permutations below this many runs (with ties), the
#: normal approximation from here on.
AUTO_NORMAL_MIN_RUNS = 50
#: Limits of an explicit ``pvalue_method="exact"``.
MAX_EXACT_PAIRS = 50_000
MAX_EXACT_ASSIGNMENTS = 200_000
#: Float64 elements per working block of the permutation engines.
_BLOCK = 1 << 20


# ============================================================================ engines
def _n_pairs(sizes: np.ndarray) -> float:
    """Number of pairs of runs at different scales (weighted: sum_{l<m} W_l W_m)."""
    total = float(np.sum(sizes))
    return (total * total - float(np.sum(np.square(sizes)))) / 2.0


def _tie_blocks(y_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For ascending ``y_sorted``: first index and one-past-last index of each value's
    tie block, and the sizes of the tie blocks."""
    n = y_sorted.size
    new = np.empty(n, dtype=bool)
    new[:1] = True
    new[1:] = y_sorted[1:] != y_sorted[:-1]
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    block = np.cumsum(new) - 1
    return starts[block], ends[block], ends - starts


def _concordance(
    labels: np.ndarray, lo: np.ndarray, hi: np.ndarray, k: int, w: np.ndarray | None = None
) -> np.ndarray:
    """Kendall's S of every row of ``labels`` (``(B, N)`` scale indices of the runs,
    which are sorted by value), optionally weighted by ``w`` (``(B, N)``).

    ``S = sum over pairs with label_a < label_b of w_a w_b sign(y_b - y_a)``;
    ``lo``/``hi`` bound each run's tie block, so tied values count 0.
    """
    batch, n = labels.shape
    out = np.empty(batch)
    step = max(1, _BLOCK // ((n + 1) * k))
    cols = np.arange(1, n + 1)
    for c in range(0, batch, step):
        lab = labels[c : c + step]
        b = lab.shape[0]
        ww = np.ones((b, n)) if w is None else w[c : c + step]
        one = np.zeros((b, n + 1, k))
        one[np.arange(b)[:, None], cols[None, :], lab] = ww
        cum = np.cumsum(one, axis=1)  # cum[:, i, l]: weight of group l among the i lowest
        diff = cum[:, lo, :] - (cum[:, n : n + 1, :] - cum[:, hi, :])  # below - above
        np.cumsum(diff, axis=2, out=diff)
        idx = np.maximum(lab - 1, 0)[:, :, None]
        part = np.take_along_axis(diff, idx, axis=2)[:, :, 0]
        part[lab == 0] = 0.0
        out[c : c + b] = np.einsum("ij,ij->i", ww, part)
    return out


def _mw_pmf(m: int, n: int) -> np.ndarray:
    """Null distribution of the Mann-Whitney U for sizes (m, n), no ties: pmf on 0..m*n.

    Recursion on the largest value: it belongs to the second sample with
    probability n/(m+n) (and exceeds all m values of the first), else to the
    first. Every term is positive, so the tails keep full relative accuracy.
    """
    if m == 0 or n == 0:
        return np.ones(1)
    if m < n:
        m, n = n, m  # the pmf is symmetric in (m, n); loop over the smaller one inside
    prev = [np.ones(1) for _ in range(n + 1)]  # p(m'-1, n', .)
    for mp in range(1, m + 1):
        cur = [np.ones(1)]
        for q in range(1, n + 1):
            a = np.zeros(mp * q + 1)
            a[mp:] += (q / (mp + q)) * cur[q - 1]
            a[: (mp - 1) * q + 1] += (mp / (mp + q)) * prev[q]
            cur.append(a)
        prev = cur
    return prev[n]


def _jt_pmf(sizes: Sequence[int]) -> np.ndarray:
    """Exact null pmf of Jonckheere's J (no ties) on 0..pairs.

    J is the sum over scales j of the Mann-Whitney count of scale j against the
    pooled earlier scales; under the null these counts are independent (the
    q-multinomial factorisation), so the pmf is their convolution.
    """
    pmf = np.ones(1)
    seen = 0
    for n in sizes:
        pmf = np.convolve(pmf, _mw_pmf(seen, int(n)))
        seen += int(n)
    return pmf


def _n_assignments(sizes: Sequence[int]) -> int:
    """Number of distinct assignments of the runs to scales of these sizes (a multinomial)."""
    total, count = 0, 1
    for n in sizes:
        total += int(n)
        count *= math.comb(total, int(n))
    return count


def _all_assignments(sizes: Sequence[int]) -> np.ndarray:
    """Every distinct assignment of ``sum(sizes)`` positions to scales, ``(M, N)`` labels."""
    n = int(sum(sizes))
    rows = np.full((1, n), -1, dtype=np.int64)
    for label, size in enumerate(sizes[:-1]):
        free = n - int(np.count_nonzero(rows[0] >= 0))
        combos = np.array(list(itertools.combinations(range(free), int(size))), dtype=np.int64)
        combos = combos.reshape(len(combos), int(size))
        free_pos = np.argsort(rows >= 0, axis=1, kind="stable")[:, :free]  # (R, free)
        new = np.repeat(rows, len(combos), axis=0)
        pos = np.take_along_axis(
            np.repeat(free_pos, len(combos), axis=0), np.tile(combos, (len(rows), 1)), axis=1
        )
        np.put_along_axis(new, pos, label, axis=1)
        rows = new
    rows[rows < 0] = len(sizes) - 1
    return rows


def _isotonic(means: np.ndarray, weights: np.ndarray, increasing: bool = True) -> np.ndarray:
    """Weighted isotonic regression of every row of ``means`` (``(B, k)``).

    Uses the max-min formula ``fit_i = max_{s<=i} min_{t>=i} Av(s..t)``
    (Robertson, Wright & Dykstra 1988, Thm 1.4.4), vectorised over rows.
    Scales with zero weight get 0 (they do not enter any statistic).
    """
    m = means if increasing else -means
    w = np.broadcast_to(weights, m.shape)
    k = m.shape[1]
    zero = np.zeros((m.shape[0], 1))
    cw = np.concatenate([zero, np.cumsum(w, axis=1)], axis=1)
    cs = np.concatenate([zero, np.cumsum(np.where(w > 0, w * m, 0.0), axis=1)], axis=1)
    tw = cw[:, None, 1:] - cw[:, :-1, None]  # [b, s, t] weight of scales s..t
    with np.errstate(divide="ignore", invalid="ignore"):
        av = (cs[:, None, 1:] - cs[:, :-1, None]) / tw
    s_idx, t_idx = np.indices((k, k))
    av = np.where((t_idx >= s_idx) & (tw > 0), av, np.inf)
    tail_min = np.minimum.accumulate(av[:, :, ::-1], axis=2)[:, :, ::-1]  # min over t >= i
    tail_min = np.where(s_idx <= t_idx, tail_min, -np.inf)  # keep s <= i
    fit = tail_min.max(axis=1)
    fit = np.where(w > 0, fit, 0.0)
    return fit if increasing else -fit


def _group_sums(y: np.ndarray, labels: np.ndarray, k: int, w: np.ndarray | None):
    """Per-row, per-scale weight and weighted sum (``(B, k)`` each)."""
    batch = labels.shape[0]
    flat = (labels + k * np.arange(batch)[:, None]).ravel()
    ones = np.ones(labels.size) if w is None else w.ravel()
    wsum = np.bincount(flat, weights=ones, minlength=batch * k).reshape(batch, k)
    ysum = np.bincount(flat, weights=ones * np.tile(y, batch), minlength=batch * k)
    return wsum, ysum.reshape(batch, k)


def _ebar2(
    y: np.ndarray, labels: np.ndarray, k: int, alternative: str, w: np.ndarray | None = None
) -> np.ndarray:
    """Bartholomew's E-bar-squared of every row of ``labels`` (``(B, N)``).

    ``sum_l W_l (fit_l - grand)**2 / sum_a w_a (y_a - grand)**2`` with the
    isotonic ``fit`` of the per-scale means (weights ``W_l``); two-sided takes
    the larger of the increasing and decreasing statistics.
    """
    batch = labels.shape[0]
    out = np.empty(batch)
    step = max(1, _BLOCK // (labels.shape[1] + k * k * 4))
    for c in range(0, batch, step):
        lab = labels[c : c + step]
        ww = None if w is None else w[c : c + step]
        wsum, ysum = _group_sums(y, lab, k, ww)
        total = wsum.sum(axis=1)
        grand = ysum.sum(axis=1) / total
        with np.errstate(divide="ignore", invalid="ignore"):
            means = np.where(wsum > 0, ysum / wsum, 0.0)
        wy = np.ones_like(lab, dtype=float) if ww is None else ww
        ss = np.einsum("ij,ij->i", wy, (y[None, :] - grand[:, None]) ** 2)
        best = np.zeros(lab.shape[0])
        for inc in _directions(alternative):
            fit = _isotonic(means, wsum, increasing=inc)
            num = np.einsum("ij,ij->i", wsum, (fit - grand[:, None]) ** 2)
            best = np.maximum(best, num)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[c : c + lab.shape[0]] = np.where(ss > 0, best / ss, 0.0)
    return out


def _directions(alternative: str) -> tuple[bool, ...]:
    return {"increasing": (True,), "decreasing": (False,), "two-sided": (True, False)}[
        alternative
    ]


def _s_variance(sizes: np.ndarray, ties: np.ndarray) -> float:
    """Permutation variance of Kendall's S with ties in scale (``sizes``) and value
    (``ties``): Kendall (1970, eq. 4.3)."""
    n = float(np.sum(sizes))
    u = sizes.astype(float)
    t = ties.astype(float)
    var = (
        n * (n - 1) * (2 * n + 5)
        - np.sum(u * (u - 1) * (2 * u + 5))
        - np.sum(t * (t - 1) * (2 * t + 5))
    ) / 18.0
    if n > 2:
        var += np.sum(u * (u - 1) * (u - 2)) * np.sum(t * (t - 1) * (t - 2)) / (
            9.0 * n * (n - 1) * (n - 2)
        )
    if n > 1:
        var += np.sum(u * (u - 1)) * np.sum(t * (t - 1)) / (2.0 * n * (n - 1))
    return float(var)


def _tails(p_up: float, p_down: float, alternative: str) -> float:
    if alternative == "increasing":
        return float(min(1.0, p_up))
    if alternative == "decreasing":
        return float(min(1.0, p_down))
    return float(min(1.0, 2.0 * min(p_up, p_down)))


# ====================================================================== rank test core
def _resolve_pvalue_method(
    requested: str, method: str, has_ties: bool, sizes: np.ndarray
) -> str:
    """Apply the ``pvalue_method="auto"`` rule and check an explicit choice."""
    pairs = _n_pairs(sizes)
    n_assign = _n_assignments(sizes.tolist())
    rank = method != "ebar2"
    if requested == "auto":
        if not rank:
            return "exact" if n_assign <= AUTO_EXACT_ASSIGNMENTS else "permutation"
        if not has_ties and pairs <= AUTO_EXACT_PAIRS:
            return "exact"
        if has_ties and n_assign <= AUTO_EXACT_ASSIGNMENTS:
            return "exact"
        return "permutation" if sizes.sum() < AUTO_NORMAL_MIN_RUNS else "normal"
    if requested == "normal" and not rank:
        raise ValueError(
            "`pvalue_method` 'normal' is not available for method 'ebar2' (its null "
            "distribution is a mixture of betas); use 'permutation' or 'exact'"
        )
    if requested == "exact":
        if rank and not has_ties:
            if pairs > MAX_EXACT_PAIRS:
                raise ValueError(
                    f"`pvalue_method` 'exact' needs at most {MAX_EXACT_PAIRS} pairs of runs at "
                    f"different scales; these data have {pairs:.0f}: use 'normal' or "
                    "'permutation'"
                )
        elif n_assign > MAX_EXACT_ASSIGNMENTS:
            raise ValueError(
                f"`pvalue_method` 'exact' enumerates every assignment of runs to scales and "
                f"allows at most {MAX_EXACT_ASSIGNMENTS}; these data have "
                f"{float(n_assign):.3g}: use 'permutation'"
            )
    return requested


def _random_labels(labels: np.ndarray, count: int, gen: np.random.Generator) -> np.ndarray:
    """``count`` independent random permutations of ``labels``, ``(count, N)``."""
    return gen.permuted(np.tile(labels, (count, 1)), axis=1)


def _test_groups(
    groups: Sequence[np.ndarray],
    method: str,
    alternative: str,
    pvalue_method: str,
    n_resamples: int,
    gen: np.random.Generator,
) -> dict:
    """Statistic and p-value of a hard-subset trend test on per-scale arrays."""
    sizes = np.array([g.size for g in groups])
    k = len(groups)
    y = np.concatenate(groups)
    lab = np.repeat(np.arange(k), sizes)
    order = np.argsort(y, kind="stable")
    y, lab = y[order], lab[order]
    lo, hi, ties = _tie_blocks(y)
    has_ties = bool(ties.max() > 1)
    pairs = _n_pairs(sizes)
    s_obs = float(_concordance(lab[None], lo, hi, k)[0])
    used = _resolve_pvalue_method(pvalue_method, method, has_ties, sizes)
    if method == "ebar2":
        e_obs = float(_ebar2(y, lab[None], k, alternative)[0])

        def stat(labels: np.ndarray) -> np.ndarray:
            return _ebar2(y, labels, k, alternative)

        obs = e_obs
    else:

        def stat(labels: np.ndarray) -> np.ndarray:
            return _concordance(labels, lo, hi, k)

        obs = s_obs
    tol = 1e-9 * max(1.0, abs(obs))
    n_used = 0
    all_tied = ties.size == 1
    if all_tied:
        warnings.warn(
            "all values in the test are equal: there is no trend to detect (p-value 1)",
            DegenerateDataWarning,
            stacklevel=3,
        )
        pvalue = 1.0
    elif used == "normal":
        sd = math.sqrt(_s_variance(sizes, ties))
        cc = 1.0 if method == "mann-kendall" else 0.0  # Mann-Kendall's continuity correction
        p_up = special.ndtr(-(s_obs - cc) / sd)
        p_down = special.ndtr((s_obs + cc) / sd)
        pvalue = _tails(p_up, p_down, alternative)
    elif used == "exact" and method != "ebar2" and not has_ties:
        pmf = _jt_pmf(sizes.tolist())
        j = round((s_obs + pairs) / 2)
        pvalue = _tails(pmf[j:].sum(), pmf[: j + 1].sum(), alternative)
    else:
        if used == "exact":
            draws = [stat(_all_assignments(sizes.tolist()))]
            n_total, extra = draws[0].size, 0
        else:
            n_used = n_resamples
            step = max(1, _BLOCK // y.size)
            draws = [
                stat(_random_labels(lab, min(step, n_resamples - c), gen))
                for c in range(0, n_resamples, step)
            ]
            n_total, extra = n_resamples, 1  # the observed labelling counts once
        null = np.concatenate(draws)
        if method == "ebar2":
            pvalue = (np.count_nonzero(null >= obs - tol) + extra) / (n_total + extra)
        else:
            p_up = (np.count_nonzero(null >= obs - tol) + extra) / (n_total + extra)
            p_down = (np.count_nonzero(null <= obs + tol) + extra) / (n_total + extra)
            pvalue = _tails(p_up, p_down, alternative)
    statistic = {"jonckheere": (s_obs + pairs) / 2, "mann-kendall": s_obs}.get(method)
    if method == "ebar2":
        statistic = e_obs
    return {
        "statistic": float(statistic),
        "pvalue": float(pvalue),
        "pvalue_method": used,
        "effect_size": s_obs / pairs if pairs > 0 else 0.0,
        "n_resamples": n_used,
    }


# ========================================================================= data prep
def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False; got {type(value).__name__}")
    return bool(value)


def _check_threshold(threshold: object) -> float:
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"`threshold` must be a real number; got {type(threshold).__name__}")
    value = float(threshold)
    if not np.isfinite(value):
        raise ValueError(f"`threshold` must be finite; got {value}")
    return value


def _load(pop, metric, scale, seed, value) -> tuple[Population, Hashable, list[np.ndarray]]:
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    samples = pop.values(metric)  # checks `metric`
    metric = pop.metric if metric is None else metric
    if len(samples) < 2:
        raise ValueError(
            f"a trend across scales needs at least 2 scales; column {pop.scale!r} has "
            f"{len(samples)}"
        )
    return pop, metric, samples


def _success_mask(x: np.ndarray, threshold: float, higher_is_better: bool) -> np.ndarray:
    """A run succeeds when strictly above (below) the threshold, as in summary_curves."""
    return x > threshold if higher_is_better else x < threshold


def _select(
    samples: list[np.ndarray],
    scales: np.ndarray,
    subset: str,
    threshold: float | None,
    higher_is_better: bool,
) -> tuple[list[np.ndarray], np.ndarray]:
    """The runs of the subset at each scale; scales left empty are dropped with a warning."""
    if subset == "all":
        return samples, np.ones(len(samples), dtype=bool)
    groups = []
    for x in samples:
        ok = _success_mask(x, threshold, higher_is_better)
        groups.append(x[ok] if subset == "success" else x[~ok])
    kept = np.array([g.size > 0 for g in groups])
    if not kept.all():
        labels = scale_labels(scales[~kept])
        rule = (">" if higher_is_better else "<") + f" {threshold:g}"
        what = "succeeded" if subset == "success" else "failed"
        warnings.warn(
            f"no run {what} (success: value {rule}) at scales {format_labels(labels)}: "
            "those scales are left out of the test",
            DegenerateDataWarning,
            stacklevel=3,
        )
    if kept.sum() < 2:
        raise ValueError(
            f"subset={subset!r} leaves runs at {int(kept.sum())} scale(s); a trend test needs "
            "at least 2"
        )
    return [g for g, k in zip(groups, kept, strict=True) if k], kept


def _validate_common(subset, threshold, higher_is_better):
    check_one_of("subset", subset, SUBSETS)
    higher_is_better = _check_bool("higher_is_better", higher_is_better)
    if threshold is not None:
        threshold = _check_threshold(threshold)
    return threshold, higher_is_better


def _iso_fit(means: np.ndarray, weight: np.ndarray, alternative: str) -> np.ndarray:
    """Isotonic fit in the tested direction (two-sided: the closer of the two)."""
    used = weight > 0
    m = np.where(used, means, 0.0)
    fits = [_isotonic(m[None], weight[None], inc)[0] for inc in _directions(alternative)]
    rss = [float(np.sum(weight * (m - f) ** 2)) for f in fits]
    return np.where(used, fits[int(np.argmin(rss))], np.nan)


# ===================================================================== posterior weights
def _success_components(means, locations, threshold, higher_is_better, bounds) -> tuple:
    """Which Gaussian components (``(..., k)`` by mean) and point masses are "success".

    With a threshold, a component or point mass succeeds when its mean
    (location) is on the success side of it; without one, the upper (lower)
    Gaussian and the point mass at the upper (lower) bound succeed.
    """
    means = np.asarray(means)
    locations = np.asarray(locations, dtype=float)
    if threshold is not None:
        return _success_mask(means, threshold, higher_is_better), _success_mask(
            locations, threshold, higher_is_better
        )
    gauss = np.zeros(means.shape, dtype=bool)
    gauss[..., -1 if higher_is_better else 0] = True
    if bounds is None:
        return gauss, np.zeros(locations.shape, dtype=bool)
    return gauss, locations == (bounds[1] if higher_is_better else bounds[0])


def _per_scale(w: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """Sum of each row of ``w`` (``(B, N)``) by scale index ``idx`` (``(N,)`` or ``(B, N)``)."""
    b = w.shape[0]
    flat = (np.broadcast_to(idx, w.shape) + k * np.arange(b)[:, None]).ravel()
    return np.bincount(flat, weights=w.ravel(), minlength=b * k).reshape(b, k)


def _shared_resp(y, idx, good, mean, sd, rho) -> np.ndarray:
    """Success responsibilities ``(B, N)`` of values ``y`` (scale indices ``idx``, ``(N,)``
    or ``(B, N)``) under mixtures whose two Gaussians (``mean``, ``sd``: ``(B, 2)``, the
    success one at index ``good``) are shared by all scales and whose success share
    ``rho`` (``(B, k)``) is per scale."""
    z = (y[None, None, :] - mean[:, :, None]) / sd[:, :, None]
    logphi = -np.log(sd)[:, :, None] - 0.5 * z * z
    p = np.take_along_axis(rho, np.broadcast_to(idx, (rho.shape[0], y.size)), axis=1)
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return special.expit(logphi[:, good] - logphi[:, 1 - good] + np.log(p) - np.log1p(-p))


def _shared_em(y, idx, k, counts, good, start, floor, tol, rho_tol=1e-4, max_iter=500):
    """EM for two Gaussians shared by every scale, with a success share per scale.

    ``y`` (``(N,)``): the values the Gaussians model; ``idx``: their scales (``(N,)``,
    or ``(B, N)`` when each row places them differently); ``counts`` (``(B, N)``):
    their weights (bootstrap counts); ``start``: starting ``(mean, sd, rho)`` of shapes
    ``(B, 2), (B, 2), (B, k)``. A row stops when no mean or sd moves by more than
    ``tol`` and no share by more than ``rho_tol`` in an EM step. Returns the success
    responsibilities of ``y`` and the parameters.
    """
    mean, sd, rho = (np.array(q, dtype=float) for q in start)
    idx = np.asarray(idx)
    per = _per_scale(counts, idx, k)
    active = np.arange(counts.shape[0])
    for _ in range(max_iter):
        if active.size == 0:
            break
        m, s, p, c = mean[active], sd[active], rho[active], counts[active]
        ia = idx[active] if idx.ndim == 2 else idx
        wr = c * _shared_resp(y, ia, good, m, s, p)
        new_rho = np.divide(_per_scale(wr, ia, k), per[active], out=p.copy(),
                            where=per[active] > 0)
        new_m, new_s = m.copy(), s.copy()
        for comp, wc in ((good, wr), (1 - good, c - wr)):
            nc = wc.sum(axis=1)
            ok = nc > 1e-9
            mu = np.divide(wc @ y, nc, out=m[:, comp].copy(), where=ok)
            ex2 = np.divide(wc @ (y * y), nc, out=s[:, comp] ** 2 + mu**2, where=ok)
            new_m[:, comp] = mu
            new_s[:, comp] = np.sqrt(np.maximum(ex2 - mu * mu, floor * floor))
        change = np.maximum(
            np.abs(np.r_["1", new_m - m, new_s - s]).max(axis=1) / tol,
            np.abs(new_rho - p).max(axis=1) / rho_tol,
        )
        mean[active], sd[active], rho[active] = new_m, new_s, new_rho
        active = active[change > 1.0]
    return _shared_resp(y, idx, good, mean, sd, rho), (mean, sd, rho)


def _posterior_test(
    samples: list[np.ndarray],
    subset: str,
    threshold: float | None,
    higher_is_better: bool,
    bounds,
    method: str,
    alternative: str,
    n_resamples: int,
    gen: np.random.Generator,
) -> dict:
    """Trend test of the success (failure) component with mixture responsibilities.

    See the Notes of :func:`trend_test`. Everything below works on the pooled
    runs sorted by value; ``lab`` holds their scales.
    """
    from distscale.mixture import fit_mixture

    k = len(samples)
    sizes = np.array([x.size for x in samples])
    pooled = np.concatenate(samples)  # scale by scale
    order = np.argsort(pooled, kind="stable")
    x = pooled[order]
    lab = np.repeat(np.arange(k), sizes)[order]
    lo, hi, _ = _tie_blocks(x)
    fit = fit_mixture(pooled, n_components=2, bounds=bounds, rng=gen)
    good_g, good_pm = _success_components(
        fit.means, fit.point_mass_locations, threshold, higher_is_better, fit.bounds
    )
    r_pooled = (fit.responsibilities @ np.r_[good_g, good_pm].astype(float))[order]
    if r_pooled.max() < 1e-9 or r_pooled.min() > 1 - 1e-9:
        raise ValueError(
            "every component of the fitted mixture (Gaussians with means "
            f"{', '.join(f'{m:.4g}' for m in fit.means)}"
            + (f", point masses at {fit.point_mass_locations.tolist()}" if good_pm.size else "")
            + ") is on the same side of success: the posterior weights do not separate "
            "successful from failed runs"
            + ("" if threshold is None else f" at threshold {threshold:g}")
        )
    inside = ~np.isin(x, fit.point_mass_locations)
    x_in = x[inside]
    flip = subset == "failure"
    em = good_g[0] != good_g[1]  # else the Gaussians are one class: weights are 0/1
    if em:
        good = int(good_g[1])
        tol = 1e-4 * max(float(np.std(x_in)), 1e-300)  # responsibilities to ~1e-4
        share = np.full((1, k), fit.weights[good] / fit.weights.sum())
        start = (fit.means[None], fit.sds[None], share)
        _, theta = _shared_em(x_in, lab[inside], k, np.ones((1, x_in.size)), good, start,
                              fit.sd_floor, 1e-4 * tol, 1e-8)

    def weights_of(labels: np.ndarray) -> np.ndarray:
        """Success (failure) weights of the sorted runs placed at scales ``labels``
        (``(B, N)``), the shared EM refitted from the observed estimate."""
        w = np.tile(r_pooled, (labels.shape[0], 1))
        if em:
            st = tuple(np.repeat(q, labels.shape[0], axis=0) for q in theta)
            ones = np.ones((labels.shape[0], x_in.size))
            w[:, inside] = _shared_em(x_in, labels[:, inside], k, ones, good, st,
                                      fit.sd_floor, tol)[0]
        return 1.0 - w if flip else w

    def stat(labels, weights):
        if method == "ebar2":
            return _ebar2(x, labels, k, alternative, weights)
        return _concordance(labels, lo, hi, k, weights)

    r_success = r_pooled.copy()
    if em:
        r_success[inside] = _shared_resp(x_in, lab[inside], good, *theta)[0]
    w = 1.0 - r_success if flip else r_success
    obs = float(stat(lab[None], w[None])[0])
    s_w = float(_concordance(lab[None], lo, hi, k, w[None])[0])
    wsum = np.bincount(lab, weights=w, minlength=k)
    pairs = _n_pairs(wsum)
    up = down = 0
    step = max(1, min(n_resamples, _BLOCK // (16 * pooled.size)))
    for c in range(0, n_resamples, step):
        b = min(step, n_resamples - c)
        labs = np.tile(lab, (b, 1))
        # draw the classes from the posterior, permute the runs of each class across
        # scales, refit the shared EM and recompute the weighted statistic
        z = gen.random((b, x.size)) < r_success
        perm = _permute_within(_permute_within(labs, z, gen), ~z, gen)
        t_null = stat(perm, weights_of(perm))
        tol_t = 1e-9 * max(1.0, abs(obs))
        up += np.count_nonzero(t_null >= obs - tol_t)
        down += np.count_nonzero(t_null <= obs + tol_t)
    p_up, p_down = (up + 1) / (n_resamples + 1), (down + 1) / (n_resamples + 1)
    pvalue = p_up if method == "ebar2" else _tails(p_up, p_down, alternative)
    statistic = {"jonckheere": (s_w + pairs) / 2, "mann-kendall": s_w, "ebar2": obs}[method]
    wy = np.bincount(lab, weights=w * x, minlength=k)
    return {
        "statistic": float(statistic),
        "pvalue": float(pvalue),
        "pvalue_method": "permutation",
        "effect_size": s_w / pairs if pairs > 0 else 0.0,
        "n_resamples": n_resamples,
        "weight": wsum,
        "means": np.divide(wy, wsum, out=np.full(k, np.nan), where=wsum > 0),
    }


def _permute_within(labels: np.ndarray, mask: np.ndarray, gen: np.random.Generator):
    """Shuffle the labels of the masked entries of each row among themselves."""
    keys = np.where(mask, gen.random(mask.shape), np.inf)
    src = np.argsort(keys, axis=1, kind="stable")  # masked in random order, then the rest
    dst = np.argsort(np.where(mask, 0.0, np.inf), axis=1, kind="stable")  # masked in order
    out = np.empty_like(labels)
    np.put_along_axis(out, dst, np.take_along_axis(labels, src, axis=1), axis=1)
    return out


# ============================================================================ results
@dataclass(frozen=True, eq=False)
class TrendTestResult:
    """Result of :func:`trend_test`.

    Attributes
    ----------
    statistic : float
        Jonckheere's J (``method="jonckheere"``), Kendall's S
        (``"mann-kendall"``) or Bartholomew's E-bar-squared (``"ebar2"``); with
        ``weights="posterior"`` the responsibility-weighted version.
    pvalue : float
    method, alternative, subset : str
    pvalue_method : str
        ``"exact"``, ``"normal"`` or ``"permutation"`` (Monte Carlo).
    scales : numpy.ndarray
        Scales in the test (scales without a run of the subset are dropped).
    n : numpy.ndarray
        Runs used at each scale.
    weight : numpy.ndarray
        Total weight of the runs at each scale: ``n`` without weights, the sum
        of the responsibilities with ``weights="posterior"``.
    means : numpy.ndarray
        (Weighted) mean of the runs at each scale.
    isotonic : numpy.ndarray
        Weighted isotonic regression of ``means`` in the tested direction
        (two-sided: whichever direction fits better).
    effect_size : float
        Kendall-type concordance ``S / D`` in [-1, 1]: the probability that,
        of two runs at different scales, the one at the larger scale is higher,
        minus the probability that it is lower (ties count 0).
    n_resamples : int
        Monte Carlo permutations (0 when none were drawn).
    weights : str or None
    threshold : float or None
    higher_is_better : bool
    metric : hashable
    dropped_scales : tuple
        Scales left out because no run of the subset was there.
    """

    statistic: float
    pvalue: float
    method: str
    alternative: str
    subset: str
    pvalue_method: str
    scales: np.ndarray
    n: np.ndarray
    weight: np.ndarray
    means: np.ndarray
    isotonic: np.ndarray
    effect_size: float
    n_resamples: int
    weights: str | None
    threshold: float | None
    higher_is_better: bool
    metric: Hashable
    dropped_scales: tuple

    def __repr__(self) -> str:
        return (
            f"TrendTestResult(method={self.method!r}, alternative={self.alternative!r}, "
            f"subset={self.subset!r}, statistic={self.statistic:.6g}, "
            f"pvalue={self.pvalue:.4g} ({self.pvalue_method}), "
            f"effect_size={self.effect_size:.3f}, {len(self.scales)} scales)"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per scale: ``scale, n, weight, mean, isotonic``."""
        return pd.DataFrame(
            {
                "scale": np.asarray(self.scales, dtype=float),
                "n": np.asarray(self.n, dtype=np.int64),
                "weight": np.asarray(self.weight, dtype=float),
                "mean": np.asarray(self.means, dtype=float),
                "isotonic": np.asarray(self.isotonic, dtype=float),
            }
        )


def trend_test(
    pop: Population | pd.DataFrame,
    *,
    subset: str = "all",
    threshold: float | None = None,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    method: str = "jonckheere",
    alternative: str = "increasing",
    weights: str | None = None,
    bounds: tuple[float | None, float | None] | None = None,
    pvalue_method: str = "auto",
    n_resamples: int | None = None,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> TrendTestResult:
    """Test whether a metric rises (falls) with scale, using every seed.

    Parameters
    ----------
    pop : Population or pandas.DataFrame
        The runs; with a DataFrame pass ``scale=``, ``seed=`` and ``value=``.
    subset : {"all", "success", "failure"}, default "all"
        Which runs: all of them, or only those that succeed (fail). A run
        succeeds when its value is strictly above ``threshold`` (strictly
        below it with ``higher_is_better=False``), as in
        :func:`~distscale.summary_curves`.
    threshold : float, optional
        Success threshold; required for ``subset="success"``/``"failure"``
        without weights.
    higher_is_better : bool, default True
    metric : str, optional
        Which metric column, when the population has several.
    method : {"jonckheere", "mann-kendall", "ebar2"}, default "jonckheere"
        Jonckheere-Terpstra test for ordered groups; Mann-Kendall test with
        ties in scale (the same rank statistic, ``S = 2 J - D``, with Mann-
        Kendall's continuity correction in the normal approximation); or
        Bartholomew's E-bar-squared, the likelihood-ratio test of equal means
        against ordered means (isotonic regression, weights = runs per scale).
    alternative : {"increasing", "decreasing", "two-sided"}, default "increasing"
    weights : {None, "posterior"}, default None
        With ``"posterior"`` (``subset="success"`` or ``"failure"``), each
        run counts by its posterior probability of belonging to the success
        (failure) component of a two-component Gaussian mixture, instead of
        by a hard threshold; ``threshold`` is then optional and only decides
        which component is "success" (see Notes).
    bounds : (lo, hi), optional
        Only with ``weights="posterior"``: the metric's range, passed to
        :func:`~distscale.mixture.fit_mixture` so that values exactly at a
        bound (accuracy 0 or 1) are point masses of known class -- failures
        at the bad end, successes at the good end.
    pvalue_method : {"auto", "exact", "normal", "permutation"}, default "auto"
        ``"auto"``: for the rank tests, the exact distribution when there are
        no tied values and at most 5,000 pairs of runs at different scales;
        with ties, complete enumeration when there are at most 10,000
        assignments of runs to scales; else Monte Carlo permutations below 50
        runs and the tie-corrected normal approximation from 50 runs on. For
        ``"ebar2"``: enumeration up to 10,000 assignments, else permutations.
    n_resamples : int, optional
        Monte Carlo permutations; default 9,999 (999 with
        ``weights="posterior"``, where each one also refits the mixture).
    rng : int, numpy.random.Generator or None
        Permutations, class draws and mixture starts; the global NumPy RNG is
        not used.
    scale, seed, value : str, optional
        Column names, only with a DataFrame.

    Returns
    -------
    TrendTestResult

    Raises
    ------
    ValueError
        Unknown ``method``/``alternative``/``subset``/``pvalue_method``; a
        subset without ``threshold``; fewer than 2 scales (after dropping
        scales with no run of the subset); ``pvalue_method="normal"`` with
        ``"ebar2"``; an ``"exact"`` p-value too large to compute;
        ``weights="posterior"`` with ``subset="all"`` or a ``pvalue_method``
        other than "auto"/"permutation"; ``bounds`` without posterior
        weights; a mixture whose components all lie on one side of success.

    Warns
    -----
    DegenerateDataWarning
        A scale with no run of the subset (it is dropped); with posterior
        weights, a scale whose total weight is below 0.5; all values equal
        (p-value 1).

    Notes
    -----
    *Jonckheere-Terpstra.* ``J`` counts pairs of runs (a at a smaller scale
    than b) with ``y_b > y_a``, ties counting 1/2. Under the null of equal
    distributions ``E J = D / 2`` with ``D = (N^2 - sum n_i^2) / 2``; the
    normal approximation uses the variance with ties of Hollander & Wolfe
    (1999, eq. 6.19), which equals Kendall's (1970) variance of
    ``S = 2 J - D`` with ties in both variables, divided by 4. The exact
    distribution without ties is the convolution of the Mann-Whitney
    distributions of each scale against the pooled smaller scales.

    *Mann-Kendall with several seeds per scale.* ``S = sum_{a<b}
    sign(x_b - x_a) sign(y_b - y_a)`` over all runs, so runs at the same scale
    count 0; the normal approximation uses Kendall's tie-corrected variance
    and the continuity correction ``S -/+ 1`` (as ``pymannkendall``). The exact
    and permutation p-values are those of Jonckheere's test.

    *E-bar-squared.* ``sum_i n_i (m*_i - m)^2 / sum (y - m)^2`` with ``m*``
    the isotonic regression of the scale means (Bartholomew 1959; Robertson,
    Wright & Dykstra 1988, ch. 2); two-sided uses the larger of the
    increasing and decreasing statistics. Its p-value is by permutation.

    *Posterior weights.* A two-component mixture
    (:func:`~distscale.mixture.fit_mixture`, with point masses at ``bounds``)
    is fitted to the runs of all scales together. A component succeeds when
    its mean lies on the success side of ``threshold`` (without a threshold:
    the upper Gaussian, the lower one with ``higher_is_better=False``); a
    point mass succeeds at the good bound. The two Gaussians are then
    refitted by EM with their means and sds shared by all scales but a
    success share of its own at each scale, and a run's weight is its
    posterior probability of the success Gaussian under its scale's share
    (0 or 1 at a bound). With per-scale shares the weighted mean at a scale
    estimates the mean of the success component without bias, however much
    the components overlap; a hard threshold (or one pooled posterior) lets
    more failures in where failures are common, which fakes a trend in
    mean | success whenever P(success) changes with scale. The observed
    statistic is the responsibility-weighted one (each pair of runs counts
    ``r_a r_b``; E-bar-squared uses weighted means and weights). Null
    replicates: (i) draw every run's class from its posterior
    (classification uncertainty); (ii) permute the runs of each class across
    scales, keeping each scale's count of each class -- under the null (the
    success component is the same at every scale) and the fitted model this
    leaves the joint law of runs and classes unchanged; (iii) refit the shared
    EM on the permuted population (so the estimation of the components and
    shares is carried through) and recompute the weighted statistic. The
    p-value is ``(1 + #{replicate >= observed}) / (1 + n_resamples)``. By
    simulation (benchmarks/calibration_trend.py) its size is nominal both for
    well-separated and for overlapping components, where the hard threshold
    rejects a true null about three times too often.

    Examples
    --------
    >>> import distscale
    >>> pop = distscale.Population.from_dict(
    ...     {1: [0.1, 0.3, 0.2], 2: [0.4, 0.25, 0.5], 3: [0.6, 0.45, 0.7]})
    >>> res = distscale.trend_test(pop)
    >>> res.statistic, res.pvalue_method  # 25 of the 27 cross-scale pairs increase
    (25.0, 'exact')
    >>> res.pvalue  # 8 of the 1680 assignments of runs to scales have J >= 25
    0.00476...
    >>> res.to_frame().columns.tolist()
    ['scale', 'n', 'weight', 'mean', 'isotonic']
    """
    check_one_of("method", method, METHODS)
    check_one_of("alternative", alternative, ALTERNATIVES)
    check_one_of("pvalue_method", pvalue_method, PVALUE_METHODS)
    check_one_of("weights", weights, (None, "posterior"))
    threshold, higher_is_better = _validate_common(subset, threshold, higher_is_better)
    if weights is None and subset != "all" and threshold is None:
        raise ValueError(f"subset={subset!r} needs a `threshold` (or weights='posterior')")
    if bounds is not None and weights != "posterior":
        raise ValueError("`bounds` is only used with weights='posterior'")
    if weights == "posterior":
        if subset == "all":
            raise ValueError("weights='posterior' needs subset='success' or 'failure'")
        if pvalue_method not in ("auto", "permutation"):
            raise ValueError(
                "with weights='posterior' the p-value is by permutation; "
                f"`pvalue_method` {pvalue_method!r} is not available"
            )
    if n_resamples is None:
        n_resamples = 999 if weights == "posterior" else 9999
    n_resamples = check_n_resamples(n_resamples)
    gen = check_rng(rng)
    pop, metric, samples = _load(pop, metric, scale, seed, value)
    scales = pop.scales
    if weights == "posterior":
        res = _posterior_test(
            samples, subset, threshold, higher_is_better, bounds, method, alternative,
            n_resamples, gen,
        )
        kept = np.ones(len(samples), dtype=bool)
        n = np.array([x.size for x in samples])
        weight, means = res.pop("weight"), res.pop("means")
        light = weight < 0.5
        if light.any():
            warnings.warn(
                f"the {subset} component has total weight below 0.5 run at scales "
                f"{format_labels(scale_labels(scales[light]))}: their weighted means rest on "
                "almost no runs (they barely enter the test)",
                DegenerateDataWarning,
                stacklevel=2,
            )
    else:
        groups, kept = _select(samples, scales, subset, threshold, higher_is_better)
        res = _test_groups(groups, method, alternative, pvalue_method, n_resamples, gen)
        n = np.array([g.size for g in groups])
        weight = n.astype(float)
        means = np.array([g.mean() for g in groups])
    iso = _iso_fit(means, weight, alternative)
    return TrendTestResult(
        method=method,
        alternative=alternative,
        subset=subset,
        scales=frozen(scales[kept]),
        n=frozen(n),
        weight=frozen(weight),
        means=frozen(means),
        isotonic=frozen(iso),
        weights=weights,
        threshold=threshold,
        higher_is_better=higher_is_better,
        metric=metric,
        dropped_scales=tuple(scale_labels(scales[~kept])),
        **res,
    )


# ======================================================================= monotonicity
def _flatten_levels(fit: np.ndarray, n: np.ndarray, sd: float, kappa: float) -> np.ndarray:
    """Merge adjacent level sets of an isotonic fit whose difference is within
    ``kappa`` standard errors (generalized moment selection, Andrews & Soares 2010)."""
    blocks: list[list[float]] = []  # [weight, mean, first scale, last scale]
    for i, (m, w) in enumerate(zip(fit, n, strict=True)):
        if blocks and blocks[-1][1] == m:
            blocks[-1][0] += w
            blocks[-1][3] = i
        else:
            blocks.append([float(w), float(m), i, i])
    while len(blocks) > 1 and sd > 0:
        t = [
            abs(b[1] - a[1]) / (sd * math.sqrt(1 / a[0] + 1 / b[0]))
            for a, b in itertools.pairwise(blocks)
        ]
        j = int(np.argmin(t))
        if t[j] >= kappa:
            break
        a, b = blocks[j], blocks[j + 1]
        w = a[0] + b[0]
        blocks[j : j + 2] = [[w, (a[0] * a[1] + b[0] * b[1]) / w, a[2], b[3]]]
    out = np.empty(len(fit))
    for _, m, first, last in blocks:
        out[first : last + 1] = m
    return out


def _distance(means: np.ndarray, n: np.ndarray, ss_within: np.ndarray, df: int, inc: bool):
    """Studentised squared distance of the scale means to their isotonic fit, per row."""
    fit = _isotonic(means, n, increasing=inc)
    rss = np.einsum("j,ij->i", n, (means - fit) ** 2)
    var = ss_within / df
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, rss / var, np.where(rss > 1e-12 * (1 + ss_within), np.inf, 0.0))


def _monotonicity_core(
    groups: list[np.ndarray], increasing: bool, n_resamples: int, gen, kappa: float | None = None
) -> dict:
    n = np.array([g.size for g in groups], dtype=float)
    total, k = int(n.sum()), len(groups)
    means = np.array([g.mean() for g in groups])
    resid = [g - g.mean() for g in groups]
    ss = float(sum(np.sum(r * r) for r in resid))
    df = total - k
    d_obs = float(_distance(means[None], n, np.array([ss]), df, increasing)[0])
    fit = _isotonic(means[None], n, increasing)[0]
    if kappa is None:
        kappa = math.sqrt(math.log(total))
    null_means = _flatten_levels(fit, n, math.sqrt(ss / df), kappa)
    exceed = 0
    step = max(1, min(n_resamples, _BLOCK // (4 * total)))
    for c in range(0, n_resamples, step):
        b = min(step, n_resamples - c)
        bm = np.empty((b, k))
        bss = np.zeros(b)
        for i, r in enumerate(resid):
            draw = r[gen.integers(0, r.size, size=(b, r.size))]
            mu = draw.mean(axis=1)
            bm[:, i] = null_means[i] + mu
            bss += np.sum((draw - mu[:, None]) ** 2, axis=1)
        d_null = _distance(bm, n, bss, df, increasing)
        exceed += np.count_nonzero(d_null >= d_obs * (1 - 1e-9))
    return {
        "statistic": d_obs,
        "pvalue": (exceed + 1) / (n_resamples + 1),
        "means": means,
        "isotonic": fit,
        "null_means": null_means,
    }


@dataclass(frozen=True, eq=False)
class MonotonicityTestResult:
    """Result of :func:`monotonicity_test`.

    Attributes
    ----------
    statistic : float
        ``sum_i n_i (mean_i - isotonic_i)**2 / s**2``: the squared distance of
        the scale means to their isotonic fit, in units of the pooled
        within-scale variance ``s**2``. 0 when the means are already monotone.
    pvalue : float
        Bootstrap p-value of the null "the mean is monotone in scale".
    direction, subset : str
    scales, n, means, isotonic : numpy.ndarray
        Per scale: runs used, mean, and isotonic fit in ``direction``.
    null_means : numpy.ndarray
        The monotone means the bootstrap resamples around (the isotonic fit,
        with adjacent levels closer than ``kappa`` standard errors merged).
    kappa : float
    n_resamples : int
    threshold : float or None
    higher_is_better : bool
    metric : hashable
    dropped_scales : tuple
    """

    statistic: float
    pvalue: float
    direction: str
    subset: str
    scales: np.ndarray
    n: np.ndarray
    means: np.ndarray
    isotonic: np.ndarray
    null_means: np.ndarray
    kappa: float
    n_resamples: int
    threshold: float | None
    higher_is_better: bool
    metric: Hashable
    dropped_scales: tuple

    def __repr__(self) -> str:
        return (
            f"MonotonicityTestResult(null: {self.direction} mean, subset={self.subset!r}, "
            f"statistic={self.statistic:.4g}, pvalue={self.pvalue:.4g}, "
            f"{len(self.scales)} scales)"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per scale: ``scale, n, mean, isotonic, violation, null_mean``."""
        return pd.DataFrame(
            {
                "scale": np.asarray(self.scales, dtype=float),
                "n": np.asarray(self.n, dtype=np.int64),
                "mean": np.asarray(self.means, dtype=float),
                "isotonic": np.asarray(self.isotonic, dtype=float),
                "violation": np.asarray(self.means) - np.asarray(self.isotonic),
                "null_mean": np.asarray(self.null_means, dtype=float),
            }
        )


def monotonicity_test(
    pop: Population | pd.DataFrame,
    *,
    subset: str = "all",
    threshold: float | None = None,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    direction: str = "increasing",
    n_resamples: int = 9999,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> MonotonicityTestResult:
    """Test the null hypothesis that the mean is monotone in scale.

    The reverse of :func:`trend_test`: a small p-value is evidence that the
    (conditional) mean is *not* monotone in ``direction`` -- a dip, a peak,
    a U shape.

    Parameters
    ----------
    pop : Population or pandas.DataFrame
    subset : {"all", "success", "failure"}, default "all"
        Test the mean of all runs, or of the successful (failed) runs only;
        success as in :func:`trend_test` (needs ``threshold``).
    threshold : float, optional
    higher_is_better : bool, default True
    metric : str, optional
    direction : {"increasing", "decreasing"}, default "increasing"
        The monotone direction of the null hypothesis.
    n_resamples : int, default 9999
        Bootstrap resamples.
    rng : int, numpy.random.Generator or None
    scale, seed, value : str, optional
        Column names, only with a DataFrame.

    Returns
    -------
    MonotonicityTestResult

    Raises
    ------
    ValueError
        Unknown ``direction``/``subset``; a subset without ``threshold``;
        fewer than 2 scales; a single run per scale (no within-scale
        variance).

    Warns
    -----
    DegenerateDataWarning
        A scale with no run of the subset (dropped); a scale with a single
        run (its uncertainty is not resampled); no within-scale variation.

    Notes
    -----
    Statistic: ``D = sum_i n_i (m_i - m*_i)^2 / s^2`` with ``m*`` the isotonic
    regression of the scale means ``m_i`` (weights ``n_i``) and ``s^2`` the
    pooled within-scale variance -- the likelihood-ratio statistic of ordered
    against unrestricted means (Robertson, Wright & Dykstra 1988, sec. 2.3).

    Null distribution: a bootstrap from the closest monotone world. Each scale
    keeps its own residuals ``y - m_i`` (so skewed, bimodal or
    heteroscedastic scales keep their shape), resampled within the scale and
    re-centred on ``m°_i``, and ``D`` is recomputed, studentised by the
    resample's own ``s``. ``m°`` is the isotonic fit with adjacent levels
    merged while they differ by less than ``kappa = sqrt(log N)`` standard
    errors (generalized moment selection, Andrews & Soares 2010): without
    that step a bootstrap around the isotonic fit alone is liberal where the
    true means are equal (the least favourable null), while always
    resampling around equal means (the least favourable configuration) is
    valid but loses most power when the means rise steeply. By simulation
    (6 scales, 8 or 20 seeds, normal or skewed errors; benchmarks/
    calibration_trend.py) the size at the least favourable null is
    0.045-0.055 at the 5% level.

    Examples
    --------
    >>> import numpy as np, distscale
    >>> rng = np.random.default_rng(0)
    >>> peak = {s: m + 0.1 * rng.standard_normal(20)
    ...         for s, m in zip([1, 2, 3, 4], [0.2, 0.6, 0.9, 0.5])}
    >>> res = distscale.monotonicity_test(distscale.Population.from_dict(peak),
    ...                                   n_resamples=999, rng=1)
    >>> bool(res.pvalue < 0.01)  # the mean falls after scale 3: not monotone
    True
    >>> res.to_frame().columns.tolist()
    ['scale', 'n', 'mean', 'isotonic', 'violation', 'null_mean']
    """
    check_one_of("direction", direction, ("increasing", "decreasing"))
    threshold, higher_is_better = _validate_common(subset, threshold, higher_is_better)
    if subset != "all" and threshold is None:
        raise ValueError(f"subset={subset!r} needs a `threshold`")
    n_resamples = check_n_resamples(n_resamples)
    gen = check_rng(rng)
    pop, metric, samples = _load(pop, metric, scale, seed, value)
    scales = pop.scales
    groups, kept = _select(samples, scales, subset, threshold, higher_is_better)
    n = np.array([g.size for g in groups])
    if n.max() < 2:
        raise ValueError(
            "a monotonicity test needs at least one scale with 2 or more runs to estimate "
            "the within-scale variance; every scale has a single run"
        )
    if n.min() < 2:
        warnings.warn(
            f"scales {format_labels(scale_labels(scales[kept][n < 2]))} have a single run: "
            "their means are not resampled, so their uncertainty is not represented",
            DegenerateDataWarning,
            stacklevel=2,
        )
    if all(np.ptp(g) == 0 for g in groups):
        warnings.warn(
            "no run differs from the others at its scale (within-scale variance 0): "
            "the statistic is 0 for monotone means and infinite otherwise",
            DegenerateDataWarning,
            stacklevel=2,
        )
    kappa = math.sqrt(math.log(int(n.sum())))
    res = _monotonicity_core(groups, direction == "increasing", n_resamples, gen, kappa)
    return MonotonicityTestResult(
        statistic=res["statistic"],
        pvalue=res["pvalue"],
        direction=direction,
        subset=subset,
        scales=frozen(scales[kept]),
        n=frozen(n),
        means=frozen(res["means"]),
        isotonic=frozen(res["isotonic"]),
        null_means=frozen(res["null_means"]),
        kappa=kappa,
        n_resamples=n_resamples,
        threshold=threshold,
        higher_is_better=higher_is_better,
        metric=metric,
        dropped_scales=tuple(scale_labels(scales[~kept])),
    )
