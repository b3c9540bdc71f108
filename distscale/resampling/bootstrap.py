"""The seed bootstrap: one vectorised engine for every confidence interval.

Runs are resampled with replacement *within each stratum* (usually a scale),
independently across strata, as :func:`scipy.stats.bootstrap` does for
multi-sample statistics. All resamples of a stratum are drawn as one
``(chunk, n)`` index array and handed to a vectorised statistic at once;
resamples are processed in chunks so that peak memory stays bounded whatever
``n_resamples`` is.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from distscale._lib.results import IntervalArrays, Result
from distscale._lib.threads import map_ordered
from distscale._lib.validation import (
    check_bool,
    check_confidence_level,
    check_int,
    check_n_resamples,
    check_one_of,
    check_rng,
)
from distscale._lib.warnings import DegenerateDataWarning

__all__ = ["BootstrapResult", "bootstrap", "bootstrap_groups", "warn_zero_width"]

#: Target number of resampled values per chunk (about 0.5 MB of float64): small
#: enough that a chunk and the statistic's temporaries stay in cache, large
#: enough that per-chunk Python overhead is negligible.
_CHUNK_ELEMENTS = 65_536
#: ... at least this many resamples per chunk (see :func:`chunks`) ...
_MIN_CHUNK_RESAMPLES = 16
#: ... unless that would draw more indices than this.
_MAX_CHUNK_ELEMENTS = 1 << 22


@dataclass(frozen=True, eq=False, repr=False)
class BootstrapResult(IntervalArrays, Result):
    """Bootstrap confidence intervals for a vector of statistics.

    Attributes
    ----------
    estimate : numpy.ndarray
        The statistics on the original data, shape ``(k,)``.
    ci_low, ci_high : numpy.ndarray
        Confidence bounds, shape ``(k,)``.
    standard_error : numpy.ndarray
        Standard deviation of the bootstrap distribution (ddof=1).
    n_valid : numpy.ndarray
        Number of resamples in which each statistic was finite. Resamples
        where a statistic is undefined (e.g. a conditional mean with an empty
        condition) are left out of its interval.
    degenerate : numpy.ndarray
        True where every valid resample gave the same value, so the interval
        has zero width.
    n_resamples : int
    confidence_level : float
    method : str
        ``"percentile"`` or ``"bca"``.
    distribution : numpy.ndarray or None
        The ``(n_resamples, k)`` bootstrap distribution when requested.
    paired : bool
        Whether units were resampled together across strata.
    """

    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    standard_error: np.ndarray
    n_valid: np.ndarray
    degenerate: np.ndarray
    n_resamples: int
    confidence_level: float
    method: str
    distribution: np.ndarray | None = field(default=None, repr=False)
    paired: bool = False

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per statistic.

        Columns: ``statistic`` (position 0, 1, ...), ``estimate, ci_low,
        ci_high, standard_error, n_valid``.
        """
        k = np.asarray(self.estimate).size
        return pd.DataFrame(
            {
                "statistic": np.arange(k, dtype=np.int64),
                "estimate": self.estimate,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "standard_error": self.standard_error,
                "n_valid": np.asarray(self.n_valid, dtype=np.int64),
            }
        )



def chunks(
    n_resamples: int, chunk_size: object, drawn_per_resample: int, *, progress: bool, desc: str
) -> Iterator[tuple[int, int]]:
    """``(start, size)`` of each chunk of replicates, with an optional progress bar.

    By default a chunk holds about :data:`_CHUNK_ELEMENTS` drawn indices, so
    memory stays bounded whatever ``n_resamples`` -- but at least
    :data:`_MIN_CHUNK_RESAMPLES` resamples while that stays under
    :data:`_MAX_CHUNK_ELEMENTS` indices, as one resample per call of the
    statistic makes a large population (50 scales x 1,000 seeds) pay
    Python's overhead per resample; ``chunk_size`` (an int >= 1) overrides it.
    """
    if chunk_size is None:
        drawn = max(1, drawn_per_resample)
        least = max(1, min(_MIN_CHUNK_RESAMPLES, _MAX_CHUNK_ELEMENTS // drawn))
        chunk_size = max(1, min(n_resamples, max(_CHUNK_ELEMENTS // drawn, least)))
    chunk_size = check_n_resamples(chunk_size, minimum=1, name="chunk_size")
    starts = range(0, n_resamples, chunk_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=desc, unit="chunk", leave=False)
    for start in starts:
        yield start, min(chunk_size, n_resamples - start)

def as_2d(result: object, batch: int, k: int | None = None) -> np.ndarray:
    try:
        out = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"`statistic` must return numbers; got {type(result).__name__}") from None
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != batch or out.shape[1] == 0:
        raise ValueError(
            "`statistic` must return an array of shape (batch,) or (batch, k) with k >= 1 for "
            f"inputs of shape (batch, n); got shape {out.shape} for batch={batch}"
        )
    if k is not None and out.shape[1] != k:
        raise ValueError(
            f"`statistic` returned {out.shape[1]} values per resample but {k} on the original "
            "data; it must return the same number every time"
        )
    return out


def _check_samples(samples: Sequence[np.ndarray]) -> list[np.ndarray]:
    if isinstance(samples, np.ndarray) and samples.ndim == 1:
        samples = [samples]
    out = []
    for i, s in enumerate(samples):
        arr = np.asarray(s, dtype=float)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"`samples[{i}]` must be a non-empty 1-D array; got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"`samples[{i}]` contains NaN or infinite values")
        out.append(arr)
    if not out:
        raise ValueError("`samples` must contain at least one stratum")
    return out


def _jackknife_acceleration(
    samples: list[np.ndarray], statistic: Callable[..., np.ndarray], k: int, paired: bool = False
) -> np.ndarray:
    """BCa acceleration from leave-one-out values, pooled over strata.

    Uses the multi-sample formula of Efron & Tibshirani (1993, eq. 14.15),
    as :func:`scipy.stats.bootstrap` does. With ``paired`` the unit left out
    is one seed: its value in every stratum at once.
    """
    num = np.zeros(k)
    den = np.zeros(k)
    total_n = sum(x.size for x in samples)
    step = max(1, _CHUNK_ELEMENTS // total_n)  # leave-one-out rows per chunk: bounded memory
    if paired:
        n = samples[0].size
        if n < 2:
            return np.zeros(k)
        theta = np.empty((n, k))
        cols = np.arange(n - 1)
        for a in range(0, n, step):
            left_out = np.arange(a, min(a + step, n))
            keep = cols + (cols >= left_out[:, None])
            theta[a : a + keep.shape[0]] = as_2d(
                statistic(*(x[keep] for x in samples)), keep.shape[0], k
            )
        finite = np.isfinite(theta)
        count = finite.sum(axis=0)
        mean = np.where(finite, theta, 0.0).sum(axis=0) / np.maximum(count, 1)
        u = np.where(finite, (n - 1) * (mean - np.where(finite, theta, 0.0)), 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            den = (u**2).sum(axis=0) / n**2
            accel = (u**3).sum(axis=0) / n**3 / (6.0 * den**1.5)
        return np.where(den > 0, accel, 0.0)
    for j, x in enumerate(samples):
        n = x.size
        if n < 2:
            continue
        theta = np.empty((n, k))
        cols = np.arange(n - 1)
        for a in range(0, n, step):
            left_out = np.arange(a, min(a + step, n))
            # row r holds every index except left_out[r]
            loo = x[cols + (cols >= left_out[:, None])]
            rows = loo.shape[0]
            args = [
                loo if i == j else np.broadcast_to(y, (rows, y.size)) for i, y in enumerate(samples)
            ]
            theta[a : a + rows] = as_2d(statistic(*args), rows, k)
        finite = np.isfinite(theta)
        # Mean over the finite leave-one-out values; a column with none (a
        # statistic undefined in every jackknife sample) contributes nothing
        # (np.nanmean would raise a RuntimeWarning on it).
        count = finite.sum(axis=0)
        total = np.where(finite, theta, 0.0).sum(axis=0)
        mean = total / np.maximum(count, 1)
        u = np.where(finite, (n - 1) * (mean - np.where(finite, theta, 0.0)), 0.0)
        num += (u**3).sum(axis=0) / n**3
        den += (u**2).sum(axis=0) / n**2
    with np.errstate(invalid="ignore", divide="ignore"):
        accel = num / (6.0 * den**1.5)
    return np.where(den > 0, accel, 0.0)


def _column_quantiles(
    dist: np.ndarray, n_valid: np.ndarray, lo_q: np.ndarray, hi_q: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-column quantiles of the finite values, one sort for all columns.

    Uses the same linear interpolation as ``numpy.quantile(method="linear")``
    on each column's finite values; non-finite values sort last and are
    ignored through ``n_valid``.
    """
    ordered = np.sort(np.where(np.isfinite(dist), dist, np.inf), axis=0)
    cols = np.arange(dist.shape[1])
    last = np.maximum(n_valid - 1, 0)
    out = []
    for q in (lo_q, hi_q):
        pos = q * last
        below = np.floor(pos).astype(int)
        above = np.minimum(below + 1, last)
        frac = pos - below
        lo_val = ordered[below, cols]
        hi_val = ordered[above, cols]
        with np.errstate(invalid="ignore"):
            value = np.where(frac > 0, lo_val + frac * (hi_val - lo_val), lo_val)
        out.append(np.where(n_valid > 0, value, np.nan))
    return out[0], out[1]


def bootstrap(
    samples: Sequence[np.ndarray],
    statistic: Callable[..., np.ndarray],
    *,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    method: str = "percentile",
    rng: int | np.random.Generator | None = None,
    keep_distribution: bool = False,
    progress: bool = False,
    chunk_size: int | None = None,
    paired: bool = False,
    threads: int = 1,
) -> BootstrapResult:
    """Stratified nonparametric bootstrap of a vectorised statistic.

    Parameters
    ----------
    samples : sequence of 1-D arrays
        One array per stratum (for example the seeds at one scale, or the
        seeds at two successive scales). Each is resampled with replacement
        independently of the others, keeping its size.
    statistic : callable
        ``statistic(*resamples)`` where resample ``i`` has shape
        ``(batch, n_i)``; returns shape ``(batch,)`` or ``(batch, k)``,
        reducing along the last axis. It is called on the original data with
        ``batch=1``. Return NaN where a statistic is undefined in a resample.
    n_resamples : int, default 1000
    confidence_level : float, default 0.95
    method : {"percentile", "bca"}
        Percentile interval, or bias-corrected and accelerated (BCa) with the
        acceleration from the jackknife.
    rng : int, numpy.random.Generator or None
        Source of randomness; the global NumPy state is never touched.
    keep_distribution : bool, default False
        Keep the ``(n_resamples, k)`` bootstrap distribution in the result.
    progress : bool, default False
        Show a progress bar over chunks.
    chunk_size : int, optional
        Resamples per chunk; by default about 65,536 resampled values per
        chunk (cache-sized), so peak memory does not grow with ``n_resamples``.
    paired : bool, default False
        The strata are the same units measured several times (the same seeds
        at several scales): they must have equal sizes, position ``i`` is one
        unit in every stratum, and each resample draws units, keeping their
        values in all strata together (the paired or block bootstrap). The
        BCa jackknife then leaves out one unit at a time.
    threads : int, default 1
        Compute ``statistic`` on this many threads (chunks in parallel; the
        resamples are still drawn in order, so the result does not depend on
        it). Only for a statistic that is safe to call from several threads
        at once and draws no random numbers from a shared generator.

    Returns
    -------
    BootstrapResult

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.1, 0.4, 0.5, 0.9, 0.95])
    >>> res = bootstrap([x], lambda s: s.mean(axis=-1), n_resamples=2000, rng=0)
    >>> float(res.estimate[0])
    0.57
    >>> bool(res.ci_low[0] < 0.57 < res.ci_high[0])
    True
    """
    strata = _check_samples(samples)
    paired = check_bool("paired", paired)
    if paired and len({x.size for x in strata}) > 1:
        raise ValueError(
            "`paired=True` needs strata of equal size (position i is one unit in each); got "
            f"sizes {[x.size for x in strata]}"
        )
    n_resamples = check_n_resamples(n_resamples, minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    check_one_of("method", method, ("percentile", "bca"))
    generator = check_rng(rng)
    if not callable(statistic):
        raise TypeError("`statistic` must be callable")
    threads = check_int("threads", threads, 1)

    estimate = as_2d(statistic(*(x[None, :] for x in strata)), 1)[0]
    k = estimate.size
    total_n = sum(x.size for x in strata)
    dist = np.empty((n_resamples, k))

    def draws() -> Iterator[tuple[int, int, list[np.ndarray]]]:  # in order, in this thread
        for start, m in chunks(n_resamples, chunk_size, total_n, progress=progress,
                               desc="bootstrap"):
            if paired:
                idx = generator.integers(0, strata[0].size, size=(m, strata[0].size))
                yield start, m, [x[idx] for x in strata]
            else:
                yield start, m, [x[generator.integers(0, x.size, size=(m, x.size))]
                                 for x in strata]

    def compute(item: tuple[int, int, list[np.ndarray]]) -> tuple[int, int, np.ndarray]:
        start, m, resampled = item
        return start, m, as_2d(statistic(*resampled), m, k)

    for start, m, values in map_ordered(compute, draws(), threads):
        dist[start : start + m] = values

    finite = np.isfinite(dist)
    n_valid = finite.sum(axis=0)
    masked = np.where(finite, dist, np.nan)
    alpha = 1.0 - confidence_level
    low = np.full(k, np.nan)
    high = np.full(k, np.nan)
    se = np.full(k, np.nan)
    degenerate = np.zeros(k, dtype=bool)
    ok = n_valid > 0
    if ok.any():
        lo_q = np.full(k, alpha / 2)
        hi_q = np.full(k, 1 - alpha / 2)
        vmin = np.nanmin(masked[:, ok], axis=0)
        vmax = np.nanmax(masked[:, ok], axis=0)
        degenerate[ok] = vmin == vmax
        if method == "bca":
            accel = _jackknife_acceleration(strata, statistic, k, paired)
            # Mid-rank proportion of resamples below the estimate (ties count
            # one half), as scipy.stats.bootstrap does: counting only strict
            # "<" biases z0 for discrete statistics (median, proportions).
            below = (masked < estimate).sum(axis=0) + (masked <= estimate).sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                z0 = special.ndtri(below / (2.0 * np.maximum(n_valid, 1)))
                for q in (lo_q, hi_q):
                    zq = special.ndtri(q)
                    adj = special.ndtr(z0 + (z0 + zq) / (1 - accel * (z0 + zq)))
                    usable = np.isfinite(adj) & ~degenerate
                    q[usable] = adj[usable]
        low, high = _column_quantiles(dist, n_valid, lo_q, hi_q)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(masked, axis=0) / np.maximum(n_valid, 1)
            ss = np.nansum((masked - mean) ** 2, axis=0)
            se = np.where(n_valid > 1, np.sqrt(ss / np.maximum(n_valid - 1, 1)), 0.0)
        low[~ok] = high[~ok] = se[~ok] = np.nan
    return BootstrapResult(
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        standard_error=se,
        n_valid=n_valid,
        degenerate=degenerate,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        method=method,
        distribution=dist if keep_distribution else None,
        paired=paired,
    )


def warn_zero_width(labels: dict[str, str], where: str = "scales", stacklevel: int = 3) -> None:
    """Warn once about zero-width intervals: ``labels`` maps statistic -> where."""
    if labels:
        parts = "; ".join(f"{stat} at {where} {s}" for stat, s in labels.items())
        warnings.warn(
            "zero-width confidence intervals (every valid bootstrap resample gave the same "
            f"value) for {parts}",
            DegenerateDataWarning,
            stacklevel=stacklevel + 1,
        )


def bootstrap_groups(
    groups: Sequence[Sequence[np.ndarray]],
    statistic: Callable[..., np.ndarray],
    k: int,
    *,
    n_resamples: int,
    confidence_level: float,
    method: str,
    rng: np.random.Generator,
    progress: bool = False,
    desc: str = "bootstrap",
    paired: bool = False,
) -> dict[str, np.ndarray]:
    """Run :func:`bootstrap` on each group of strata and stack the results.

    Used by estimators that bootstrap every scale (or every pair of
    successive scales) separately with one shared generator.

    Parameters
    ----------
    groups : sequence of sequences of 1-D arrays
        ``groups[i]`` are the strata of group ``i`` (e.g. ``[x_scale_i]``).
    statistic : callable
        As in :func:`bootstrap`; returns ``k`` statistics per resample.
    k : int
        Number of statistics.

    Returns
    -------
    dict
        Arrays of shape ``(len(groups), k)``: ``estimate``, ``ci_low``,
        ``ci_high``, ``standard_error``, ``n_valid``, ``degenerate``.
    """
    shape = (len(groups), k)
    out = {name: np.full(shape, np.nan) for name in ("estimate", "ci_low", "ci_high")}
    out["standard_error"] = np.full(shape, np.nan)
    out["n_valid"] = np.zeros(shape, dtype=np.int64)
    out["degenerate"] = np.zeros(shape, dtype=bool)
    indices = range(len(groups))
    if progress:
        from tqdm.auto import tqdm

        indices = tqdm(indices, desc=desc, leave=False)
    for i in indices:
        res = bootstrap(
            groups[i],
            statistic,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            method=method,
            rng=rng,
            paired=paired,
        )
        for name in out:
            out[name][i] = getattr(res, name)
    return out
