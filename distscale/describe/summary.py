"""The paper's summary curves of a seed population, scale by scale.

:func:`summary_curves` gives, at every scale, the mode, mean and median of the
seed distribution, the probability that a run succeeds, and the mean of the
successful and of the failed runs, each with a seed-bootstrap confidence
interval (Zhao et al., "Distributional Scaling Laws for Emergent
Capabilities", arXiv 2502.17356). :func:`distribution_shift` gives the
Wasserstein distances between the seed distributions of successive scales.

The bootstrap replicates of a scale are computed as whole blocks: every
statistic of a ``(resamples, n_seeds)`` block comes from one row-wise sort,
with no Python loop over resamples.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.results import (
    Result,
    StatisticColumns,
    frozen,
    pick,
    scale_labels,
)
from distscale._lib.success_rule import rule_text, split_sums, success_mask
from distscale._lib.validation import (
    check_bool,
    check_confidence_level,
    check_n_resamples,
    check_one_of,
    check_rng,
    check_threshold,
    format_labels,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.population import Population, as_population
from distscale.resampling.bootstrap import bootstrap_groups, warn_zero_width

__all__ = ["STATISTICS", "SummaryCurves", "half_sample_mode", "summary_curves"]

#: The statistics of :func:`summary_curves`, in the order of its columns.
STATISTICS = ("mode", "mean", "median", "p_success", "mean_success", "mean_failure")


# --------------------------------------------------------------------- half-sample mode
def _hsm_sorted(s: np.ndarray) -> np.ndarray:
    """Half-sample mode of every row of an ascending-sorted ``(batch, n)`` array."""
    window = np.ascontiguousarray(s, dtype=float)
    batch, m = window.shape
    rows = np.arange(batch)
    while m > 3:
        h = (m + 1) // 2  # ceil(m / 2) points per window
        widths = window[:, h - 1 :] - window[:, : m - h + 1]
        first = np.argmin(widths, axis=1)  # first shortest window on ties
        # Row r keeps window[r, first[r] : first[r] + h]. Indexing a sliding-window
        # view (built directly: numpy's sliding_window_view costs ~17 us a call)
        # copies each kept window as one contiguous block.
        step = window.strides[1]
        view = np.ndarray(
            (batch, m - h + 1, h), dtype=float, buffer=window, strides=(m * step, step, step)
        )
        window = view[rows, first]
        m = h
    if m == 1:
        return window[:, 0].copy()
    if m == 2:
        return (window[:, 0] + window[:, 1]) / 2
    lo = window[:, 1] - window[:, 0]
    hi = window[:, 2] - window[:, 1]
    return np.where(
        lo < hi,
        (window[:, 0] + window[:, 1]) / 2,
        np.where(lo > hi, (window[:, 1] + window[:, 2]) / 2, window[:, 1]),
    )


def half_sample_mode(x: object, axis: int = -1) -> float | np.ndarray:
    """Half-sample mode (HSM) of Bickel & Frühwirth (2006), along an axis.

    The values are sorted; while more than three remain, the shortest window
    of ``h = ceil(n / 2)`` consecutive sorted values (the first one when
    several are equally short) is kept. Then one value is returned as is, two
    are averaged, and of three the closer pair is averaged (the middle value
    when both gaps are equal).

    The HSM is chosen over the mode of a kernel density estimate because it
    needs no bandwidth, is exact on ties (a value shared by more than half of
    the seeds -- a pile of failed runs at accuracy 0, or of perfect runs at
    1 -- is returned as is, where a kernel would smear it), is robust to
    outliers, costs one sort plus ``O(n)``, and vectorises over bootstrap
    replicates. On a bimodal population it picks the mode holding the densest
    half of the runs, which is what the paper's mode curve shows jumping.

    Parameters
    ----------
    x : array_like
        Finite numbers.
    axis : int, default -1
        Axis along which to take the mode.

    Returns
    -------
    float or numpy.ndarray
        A float for 1-D input, else an array with ``axis`` removed.

    Raises
    ------
    TypeError
        If ``x`` holds non-numbers.
    ValueError
        If ``x`` is a scalar, empty along ``axis``, or has NaN/inf values.

    Notes
    -----
    Bickel, D. R. & Frühwirth, R. (2006). On a fast, robust estimator of the
    mode. *Computational Statistics & Data Analysis* 50(12), 3500-3530. The
    window size ``ceil(n / 2)`` and the rule for three values are those of
    R's ``modeest::hsm`` (``bw = 1/2``); on equally short windows modeest's
    default (``tie.action = "mean"``) combines them, while this function
    keeps the first (lowest) one so that the result is always a value of, or
    a midpoint between values of, one window.

    Examples
    --------
    Sorted ``[1, 2, 2.5, 7, 9]``: windows of 3 have widths 1.5, 5, 6.5, so
    ``[1, 2, 2.5]`` is kept; its gaps are 1 and 0.5, so the mode is
    ``(2 + 2.5) / 2``:

    >>> half_sample_mode([9, 1, 2.5, 7, 2])
    2.25
    >>> half_sample_mode([0, 0, 0, 0.9, 1.0])  # a pile of failed runs at 0
    0.0
    >>> half_sample_mode([[1, 1, 5], [1, 4, 5]])
    array([1. , 4.5])
    """
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("`x` must contain only numbers") from None
    if arr.ndim == 0:
        raise ValueError("`x` must be an array with at least one dimension; got a scalar")
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"`axis` must be an integer; got {type(axis).__name__}")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"`axis` {axis} is out of range for an array of {arr.ndim} dimensions")
    moved = np.moveaxis(arr, axis, -1)
    n = moved.shape[-1]
    if n == 0:
        raise ValueError("`x` must have at least one value along `axis`")
    if not np.all(np.isfinite(moved)):
        raise ValueError("`x` has NaN or infinite values")
    lead = moved.shape[:-1]
    rows = np.sort(moved.reshape(-1, n), axis=1)
    out = _hsm_sorted(rows).reshape(lead) if rows.shape[0] else np.empty(lead)
    return float(out) if not lead else out


# ----------------------------------------------------------------------- summary curves
def _curve_statistic(
    threshold: float, higher_is_better: bool
) -> Callable[[np.ndarray], np.ndarray]:
    def statistic(sample: np.ndarray) -> np.ndarray:
        s = np.sort(sample, axis=-1)
        batch, n = s.shape
        half = n // 2
        median = s[:, half] if n % 2 else (s[:, half - 1] + s[:, half]) / 2
        success = success_mask(s, threshold, higher_is_better)
        k = np.count_nonzero(success, axis=1)
        sum_success, sum_failure = split_sums(s, success)
        mean_success = np.divide(sum_success, k, out=np.full(batch, np.nan), where=k > 0)
        mean_failure = np.divide(sum_failure, n - k, out=np.full(batch, np.nan), where=k < n)
        return np.column_stack(
            [_hsm_sorted(s), s.mean(axis=1), median, k / n, mean_success, mean_failure]
        )

    return statistic




@dataclass(frozen=True, eq=False)
class SummaryCurves(StatisticColumns, Result):
    """Per-scale summary statistics of a seed population, with bootstrap CIs.

    Returned by :func:`summary_curves`. Arrays are read-only; rows follow
    :attr:`scales`, columns follow :attr:`statistics`.

    Attributes
    ----------
    scales : numpy.ndarray
        Sorted scales, shape ``(n_scales,)``.
    n_seeds : numpy.ndarray
        Number of seeds (runs) at each scale.
    statistics : tuple of str
        ``("mode", "mean", "median", "p_success", "mean_success", "mean_failure")``.
    estimates, ci_low, ci_high, standard_error : numpy.ndarray
        Shape ``(n_scales, n_statistics)``. NaN where a statistic is
        undefined (``mean_success`` at a scale where no run succeeded).
    n_valid : numpy.ndarray
        Resamples in which each statistic was defined; conditional means are
        undefined in resamples without a successful (failed) run, and those
        resamples are left out of their interval, which is then conditional
        on at least one such run.
    degenerate : numpy.ndarray
        True where every valid resample gave the same value (zero-width CI).
    threshold : float
    higher_is_better : bool
    metric : hashable
        The metric column summarised.
    scale_name : hashable
        The population's scale column.
    n_resamples : int
    confidence_level : float
    method : str
    paired : bool
        The design: the same seeds at every scale (paired) or not. Each
        scale's interval is the same either way (it resamples that scale's
        seeds); differences between scales need the pairing.
    """

    scales: np.ndarray
    n_seeds: np.ndarray
    estimates: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    standard_error: np.ndarray
    n_valid: np.ndarray
    degenerate: np.ndarray
    threshold: float
    higher_is_better: bool
    metric: Hashable
    scale_name: Hashable
    n_resamples: int
    confidence_level: float
    method: str
    statistics: tuple[str, ...] = field(default=STATISTICS)
    paired: bool = False

    def __repr__(self) -> str:
        rule = rule_text(self.threshold, self.higher_is_better)
        return (
            f"SummaryCurves({len(self.scales)} scales, metric={self.metric!r}, success: "
            f"{rule}, {self.confidence_level:.0%} {self.method} CIs from "
            f"{self.n_resamples} resamples)"
        )

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per scale and statistic.

        Columns: ``scale, statistic, estimate, ci_low, ci_high, n`` (``n`` is
        the number of seeds at the scale). Bootstrap diagnostics are in
        :meth:`diagnostics`.
        """
        k = len(self.statistics)
        return pd.DataFrame(
            {
                "scale": np.repeat(self.scales, k),
                "statistic": np.tile(np.array(self.statistics, dtype=object), len(self.scales)),
                "estimate": self.estimates.ravel(),
                "ci_low": self.ci_low.ravel(),
                "ci_high": self.ci_high.ravel(),
                "n": np.repeat(self.n_seeds, k).astype(np.int64),
            }
        )

    def diagnostics(self) -> pd.DataFrame:
        """Bootstrap diagnostics, one row per scale and statistic.

        Columns: ``scale, statistic, standard_error, n_valid, degenerate``.
        """
        k = len(self.statistics)
        return pd.DataFrame(
            {
                "scale": np.repeat(self.scales, k),
                "statistic": np.tile(np.array(self.statistics, dtype=object), len(self.scales)),
                "standard_error": self.standard_error.ravel(),
                "n_valid": self.n_valid.ravel().astype(np.int64),
                "degenerate": self.degenerate.ravel(),
            }
        )



@fill_doc
def summary_curves(
    pop: Population | pd.DataFrame,
    *,
    threshold: float,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    method: str = "percentile",
    rng: int | np.random.Generator | None = None,
    progress: bool = False,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> SummaryCurves:
    """Mode, mean, median, P(success) and conditional means per scale, with CIs.

    At every scale: the half-sample mode (:func:`half_sample_mode`), the
    mean and the median of the metric over seeds; the fraction of runs that
    succeed; the mean of the successful runs and of the failed runs. Each
    gets a seed-bootstrap confidence interval, resampling the seeds of each
    scale independently (:func:`distscale.bootstrap`).

    A run *succeeds* when its value is strictly above ``threshold``
    (``higher_is_better=True``; the paper: exact-match accuracy > 20%) or
    strictly below it (``higher_is_better=False``, e.g. a loss). A run
    exactly at the threshold fails.

    Parameters
    ----------
    %(pop)s
    %(threshold)s
    %(higher_is_better)s
    %(metric)s
    %(n_resamples)s
    %(confidence_level)s
    method : {"percentile", "bca"}
    %(rng)s
    progress : bool, default False
        Show a progress bar over scales.
    %(columns)s

    Returns
    -------
    SummaryCurves

    Warns
    -----
    DegenerateDataWarning
        When a scale has a single seed (its intervals are ``[estimate,
        estimate]``), when no run succeeds (or fails) at a scale
        (``mean_success`` / ``mean_failure`` is NaN there), and, once, when
        intervals have zero width because every resample agreed.

    Notes
    -----
    Per scale, one :func:`~distscale.bootstrap` call; every
    statistic of every resample comes from one row-wise sort of the
    ``(chunk, n_seeds)`` resample block. A conditional mean is undefined in a
    resample without a successful (failed) run; such resamples are left out
    of that interval, and how many were kept is reported per scale and
    statistic as ``n_valid`` (attribute, and :meth:`SummaryCurves.diagnostics`
    together with standard errors and zero-width flags), so that
    :meth:`SummaryCurves.to_frame` keeps its fixed columns.

    Examples
    --------
    >>> import distscale
    >>> pop = distscale.Population.from_dict(
    ...     {1: [0.0, 0.05, 0.1, 0.3, 0.9], 2: [0.0, 0.1, 0.7, 0.8, 0.9]}, metric="acc")
    >>> res = distscale.summary_curves(pop, threshold=0.2, n_resamples=200, rng=0)
    >>> res.estimate("p_success")
    array([0.4, 0.6])
    >>> res.estimate("mean_success")  # (0.3 + 0.9) / 2 and (0.7 + 0.8 + 0.9) / 3
    array([0.6, 0.8])
    >>> res.to_frame().columns.tolist()
    ['scale', 'statistic', 'estimate', 'ci_low', 'ci_high', 'n']
    """
    threshold = check_threshold(threshold)
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    n_resamples = check_n_resamples(n_resamples, minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    check_one_of("method", method, ("percentile", "bca"))
    generator = check_rng(rng)
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    samples = pop.values(metric)  # checks `metric`
    metric = pop.metric if metric is None else metric
    scales = pop.scales
    statistic = _curve_statistic(threshold, higher_is_better)

    boot = bootstrap_groups(
        [[x] for x in samples],
        statistic,
        len(STATISTICS),
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        method=method,
        rng=generator,
        progress=progress,
        desc="summary curves",
    )
    est, degenerate = boot["estimate"], boot["degenerate"]

    labels = scale_labels(scales)
    n_seeds = np.array([x.size for x in samples], dtype=np.int64)
    single = n_seeds == 1
    if single.any():
        warnings.warn(
            f"scales {format_labels(pick(labels, single))} have a "
            "single seed: estimates are given, but their confidence intervals are "
            "[estimate, estimate]",
            DegenerateDataWarning,
            stacklevel=2,
        )
    rule = rule_text(threshold, higher_is_better, subject="").strip()
    for name, what in (("mean_success", "succeeded"), ("mean_failure", "failed")):
        missing = np.isnan(est[:, STATISTICS.index(name)])
        if missing.any():
            warnings.warn(
                f"no run {what} (success: value {rule}) at scales "
                f"{format_labels(pick(labels, missing))}: "
                f"{name} is NaN there",
                DegenerateDataWarning,
                stacklevel=2,
            )
    zero = {}
    for c, name in enumerate(STATISTICS):
        rows = np.flatnonzero(degenerate[:, c] & ~single)
        if rows.size:
            zero[name] = format_labels([labels[r] for r in rows])
    warn_zero_width(zero)

    return SummaryCurves(
        scales=frozen(scales),
        n_seeds=frozen(n_seeds),
        estimates=frozen(est),
        ci_low=frozen(boot["ci_low"]),
        ci_high=frozen(boot["ci_high"]),
        standard_error=frozen(boot["standard_error"]),
        n_valid=frozen(boot["n_valid"]),
        degenerate=frozen(degenerate),
        threshold=threshold,
        higher_is_better=higher_is_better,
        metric=metric,
        scale_name=pop.scale,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        method=method,
        paired=pop.paired,
    )
