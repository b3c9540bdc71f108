"""Rank-statistic and order-restricted engines of the trend tests.

The machinery behind :func:`distscale.trend_test` (and the isotonic
fits of :func:`distscale.success.monotonicity.monotonicity_test`), vectorised over
blocks of labelings -- ``(permutations, runs)`` arrays of the scale indices
of runs sorted by value:

* Kendall's concordance ``S`` between scale and value, optionally weighted
  (Jonckheere's ``J`` is ``(S + D) / 2``);
* the exact null distribution of ``J`` without ties (Mann-Whitney recursion
  and convolution), and complete enumeration of the assignments of runs to
  scales;
* Kendall's tie-corrected variance of ``S`` for the normal approximation;
* batched weighted isotonic regression and Bartholomew's E-bar-squared;
* :func:`grouped_rank_test`, which picks the p-value method and tests per-scale
  arrays of runs.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import special

from distscale._lib.warnings import DegenerateDataWarning

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
BLOCK = 1 << 20


# ============================================================================ engines
def n_pairs(sizes: np.ndarray) -> float:
    """Number of pairs of runs at different scales (weighted: sum_{l<m} W_l W_m)."""
    total = float(np.sum(sizes))
    return (total * total - float(np.sum(np.square(sizes)))) / 2.0


def tie_blocks(y_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    step = max(1, BLOCK // ((n + 1) * k))
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


def _n_assignments(sizes: Sequence[int], limit: int | None = None) -> int:
    """Number of distinct assignments of the runs to scales of these sizes (a multinomial).

    With ``limit``, any count above it is returned as ``limit + 1`` (decided
    on the logarithm first): the exact count of thousands of runs is an
    integer of tens of thousands of digits, slow to form and too large for a
    float.
    """
    if limit is not None:
        total, log_count = 0, 0.0
        for n in sizes:
            total += int(n)
            log_count += (math.lgamma(total + 1) - math.lgamma(int(n) + 1)
                          - math.lgamma(total - int(n) + 1))
        if log_count > math.log(limit) + 1.0:  # far above: the rounding of the logs cannot matter
            return limit + 1
    total, count = 0, 1
    for n in sizes:
        total += int(n)
        count *= math.comb(total, int(n))
    return count if limit is None else min(count, limit + 1)


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
    step = max(1, BLOCK // (labels.shape[1] + k * k * 4))
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
    pairs = n_pairs(sizes)
    n_assign = _n_assignments(sizes.tolist(), MAX_EXACT_ASSIGNMENTS)
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
                f"allows at most {MAX_EXACT_ASSIGNMENTS}; these data have more: use "
                "'permutation'"
            )
    return requested


def _random_labels(labels: np.ndarray, count: int, gen: np.random.Generator) -> np.ndarray:
    """``count`` independent random permutations of ``labels``, ``(count, N)``."""
    return gen.permuted(np.tile(labels, (count, 1)), axis=1)


def grouped_rank_test(
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
    lo, hi, ties = tie_blocks(y)
    has_ties = bool(ties.max() > 1)
    pairs = n_pairs(sizes)
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
            step = max(1, BLOCK // y.size)
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


def iso_fit(means: np.ndarray, weight: np.ndarray, alternative: str) -> np.ndarray:
    """Isotonic fit in the tested direction (two-sided: the closer of the two)."""
    used = weight > 0
    m = np.where(used, means, 0.0)
    fits = [_isotonic(m[None], weight[None], inc)[0] for inc in _directions(alternative)]
    rss = [float(np.sum(weight * (m - f) ** 2)) for f in fits]
    return np.where(used, fits[int(np.argmin(rss))], np.nan)


def paired_rank_test(
    values: np.ndarray,
    selected: np.ndarray,
    method: str,
    alternative: str,
    n_resamples: int,
    gen: np.random.Generator,
) -> dict:
    """A trend test of a paired design: permutations that keep each seed's curve.

    ``values`` is ``(n_seeds, K)``: seed ``i``'s run at each of the ``K``
    scales; ``selected`` marks the runs in the test (a subset of successful
    or failed runs, or all). Under the null of no trend, each seed's values
    are exchangeable across scales (the runs of one seed are not independent,
    but their order in scale carries no trend), so the null distribution
    comes from permuting the scale labels *within each seed*, never across
    seeds, and re-reading which runs are selected -- a run keeps its value
    and with it its selection. The statistic is the one of ``method`` (Kendall's
    S for Jonckheere and Mann-Kendall, E-bar-squared), computed over the
    selected runs as for independent runs.
    """
    n_seeds, k = values.shape
    seed_of, scale_of = np.nonzero(selected)
    y = values[seed_of, scale_of]
    order = np.argsort(y, kind="stable")
    y, seed_of, scale_of = y[order], seed_of[order], scale_of[order]
    lo, hi, ties = tie_blocks(y)
    sizes = np.bincount(scale_of, minlength=k)
    pairs = n_pairs(sizes)

    def stat(labels: np.ndarray) -> np.ndarray:
        if method == "ebar2":
            return _ebar2(y, labels, k, alternative)
        return _concordance(labels, lo, hi, k)

    obs = float(stat(scale_of[None])[0])
    s_obs = float(_concordance(scale_of[None], lo, hi, k)[0])
    if ties.size == 1:
        warnings.warn(
            "all values in the test are equal: there is no trend to detect (p-value 1)",
            DegenerateDataWarning,
            stacklevel=3,
        )
        pvalue = 1.0
    else:
        tol = 1e-9 * max(1.0, abs(obs))
        up = down = 0
        step = max(1, BLOCK // max(1, n_seeds * k + y.size))
        for c in range(0, n_resamples, step):
            b = min(step, n_resamples - c)
            perm = np.argsort(gen.random((b, n_seeds, k)), axis=2)  # each seed's own shuffle
            null = stat(perm[:, seed_of, scale_of])
            up += np.count_nonzero(null >= obs - tol)
            down += np.count_nonzero(null <= obs + tol)
        if method == "ebar2":
            pvalue = (up + 1) / (n_resamples + 1)
        else:
            pvalue = _tails((up + 1) / (n_resamples + 1), (down + 1) / (n_resamples + 1),
                            alternative)
    statistic = {"jonckheere": (s_obs + pairs) / 2, "mann-kendall": s_obs}.get(method, obs)
    return {
        "statistic": float(statistic),
        "pvalue": float(pvalue),
        "pvalue_method": "permutation within seeds",
        "effect_size": s_obs / pairs if pairs > 0 else 0.0,
        "n_resamples": n_resamples,
    }
