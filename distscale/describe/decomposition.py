"""Where the change of the mean across scales comes from.

:func:`decompose_mean` splits the change of the mean seed value between
successive scales into the part due to the probability of success and the
parts due to the successful and the failed runs, with seed-bootstrap
intervals.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.results import ConfidenceInterval, IntervalArrays, Result, frozen
from distscale._lib.success_rule import split_sums, success_mask
from distscale._lib.validation import (
    check_bool,
    check_confidence_level,
    check_n_resamples,
    check_rng,
    check_threshold,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.population import Population, as_population
from distscale.resampling.bootstrap import bootstrap

__all__ = ["MeanDecomposition", "decompose_mean"]

#: Parts of the mean's change, in the order of :meth:`MeanDecomposition.to_frame`.
PARTS = ("change", "p_success", "mean_success", "mean_failure")

def _fill_gaps(a: np.ndarray) -> np.ndarray:
    """Fill NaN columns of ``(batch, scales)`` from the left neighbour, then the right; 0 if none.

    A conditional mean is undefined where P(success) is 0 (or 1); there it is
    multiplied by 0, so any value keeps the decomposition exact.
    """
    out = a.copy()
    for j in range(1, out.shape[1]):
        out[:, j] = np.where(np.isnan(out[:, j]), out[:, j - 1], out[:, j])
    for j in range(out.shape[1] - 2, -1, -1):
        out[:, j] = np.where(np.isnan(out[:, j]), out[:, j + 1], out[:, j])
    return np.nan_to_num(out, nan=0.0)


def split_steps(p: np.ndarray, ms: np.ndarray, mf: np.ndarray) -> np.ndarray:
    """Exact midpoint split of every step's change of ``p ms + (1 - p) mf``.

    ``p``, ``ms``, ``mf`` have shape ``(batch, scales)``; a conditional mean
    may be NaN where its group is empty (it is filled from the nearest scale
    and multiplied by 0). Returns ``(batch, steps, 4)``: change, P(success)
    part, success part, failure part, with ``change = sum of the three parts``
    (:data:`PARTS`). Shared with the scaling law's split
    (:mod:`distscale.law.decompose`).
    """
    ms, mf = _fill_gaps(ms), _fill_gaps(mf)
    mean = p * ms + (1 - p) * mf
    dp, dms, dmf = np.diff(p, axis=1), np.diff(ms, axis=1), np.diff(mf, axis=1)
    p_bar = (p[:, 1:] + p[:, :-1]) / 2
    gap_bar = ((ms - mf)[:, 1:] + (ms - mf)[:, :-1]) / 2
    return np.stack(
        [np.diff(mean, axis=1), gap_bar * dp, p_bar * dms, (1 - p_bar) * dmf], axis=-1
    )


def _decomposition_statistic(threshold: float, higher_is_better: bool) -> Callable:
    def statistic(*samples: np.ndarray) -> np.ndarray:
        cols = []
        for x in samples:  # one stratum per scale, each (batch, n_seeds)
            ok = success_mask(x, threshold, higher_is_better)
            k = ok.sum(axis=1)
            n = x.shape[1]
            s_ok, s_not = split_sums(x, ok)
            ms = np.divide(s_ok, k, out=np.full(len(x), np.nan), where=k > 0)
            mf = np.divide(s_not, n - k, out=np.full(len(x), np.nan), where=k < n)
            cols.append((k / n, ms, mf))
        p, ms, mf = (np.column_stack([c[i] for c in cols]) for i in range(3))
        steps = split_steps(p, ms, mf)  # (batch, steps, 4)
        total = steps.sum(axis=1)  # (batch, 4)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total[:, 0] != 0, total[:, 1] / total[:, 0], np.nan)
        return np.column_stack([steps.reshape(len(p), -1), total, share])

    return statistic


@dataclass(frozen=True, eq=False)
class MeanDecomposition(IntervalArrays, Result):
    """Where the change of the mean across scales comes from.

    With ``p`` the probability of success, ``ms`` the mean of the successful
    runs and ``mf`` the mean of the failed runs at a scale, the mean is
    ``p ms + (1 - p) mf``. Between two scales its change splits exactly into

    * ``p_success``: ``(ms - mf)`` (averaged over the two scales) times the
      change of ``p`` -- runs moving from the failed to the successful group;
    * ``mean_success``: ``p`` (averaged) times the change of ``ms``;
    * ``mean_failure``: ``1 - p`` (averaged) times the change of ``mf``.

    Attributes
    ----------
    scale_from, scale_to : numpy.ndarray
        The steps: successive scales, then (last row) smallest to largest.
    estimates, ci_low, ci_high : numpy.ndarray
        Shape ``(n_steps + 1, 4)``, columns :data:`PARTS`
        (``change, p_success, mean_success, mean_failure``); the last row is
        the sum over all steps, i.e. the change from the smallest to the
        largest scale.
    share : float
        Part of the overall change due to P(success):
        ``p_success / change`` of the last row (NaN when the change is 0).
    share_ci : ConfidenceInterval
        Its seed-bootstrap interval.
    threshold : float
    higher_is_better : bool
    metric : hashable
    n_resamples : int
    confidence_level : float
    paired : bool
        Whether seeds were resampled whole across scales (a paired population).
    """

    scale_from: np.ndarray
    scale_to: np.ndarray
    estimates: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    share: float
    share_ci: ConfidenceInterval
    threshold: float
    higher_is_better: bool
    metric: Hashable
    n_resamples: int
    confidence_level: float
    paired: bool = False

    def __repr__(self) -> str:
        return (
            f"MeanDecomposition({len(self.scale_from) - 1} steps, metric={self.metric!r}, "
            f"share due to P(success)={self.share:.3g})"
        )

    @property
    def headline(self) -> str:
        """What the decomposition says in one phrase (the report's headline rule).

        * ``"no clear change"``: the interval of the overall change (smallest
          to largest scale) contains 0 -- there is no jump to explain;
        * ``"explained by P(success)"``: the whole interval of the share
          lies at or above one half;
        * ``"not mainly P(success)"``: the whole interval lies below one half;
        * ``"about half P(success)"``: the interval contains one half;
        * ``"undefined"``: the share is NaN (no change at all).

        Examples
        --------
        20 seeds per scale: a quarter succeed (at 0.8, the others at 0.1) at
        the first scale, all at the second; the whole rise is runs moving
        into the successful group:

        >>> import distscale
        >>> from distscale.describe import decompose_mean
        >>> pop = distscale.Population.from_dict(
        ...     {1: [0.1] * 15 + [0.8] * 5, 2: [0.8] * 20})
        >>> decompose_mean(pop, threshold=0.5, n_resamples=200, rng=0).headline
        'explained by P(success)'
        """
        if not np.isfinite(self.share):
            return "undefined"
        if self.ci_low[-1, 0] <= 0 <= self.ci_high[-1, 0]:
            return "no clear change"
        if self.share_ci.low >= 0.5:
            return "explained by P(success)"
        if self.share_ci.high < 0.5:
            return "not mainly P(success)"
        return "about half P(success)"

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: ``scale_from, scale_to, part, estimate, ci_low, ci_high``.

        ``part`` is one of ``change, p_success, mean_success, mean_failure``;
        the last four rows span the smallest to the largest scale.
        """
        k = len(PARTS)
        return pd.DataFrame(
            {
                "scale_from": np.repeat(self.scale_from, k),
                "scale_to": np.repeat(self.scale_to, k),
                "part": pd.Series(list(PARTS) * len(self.scale_from), dtype=object),
                "estimate": self.estimates.ravel(),
                "ci_low": self.ci_low.ravel(),
                "ci_high": self.ci_high.ravel(),
            }
        )


@fill_doc
def decompose_mean(
    pop: Population | pd.DataFrame,
    *,
    threshold: float,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | None = None,
) -> MeanDecomposition:
    """Split the mean's change across scales into P(success), success and failure parts.

    See :class:`MeanDecomposition` for the identity. Where no run succeeds
    (fails) at a scale, the mean of the successful (failed) runs is taken
    from the nearest scale that has one (it is multiplied by 0 there, so the
    split stays exact). Intervals come from the seed bootstrap, every scale
    resampled independently (:func:`distscale.bootstrap`).

    Parameters
    ----------
    %(pop)s
    %(threshold)s
    %(higher_is_better)s
    %(metric)s
    %(n_resamples)s
    %(confidence_level)s
    %(rng)s
    %(columns)s

    Returns
    -------
    MeanDecomposition

    Raises
    ------
    ValueError
        Fewer than 2 scales; a non-finite threshold.

    Examples
    --------
    Half of the runs succeed at 0.8 at the first scale, all of them at the
    second, and failed runs sit at 0: the mean rises by 0.4, all of it from
    P(success) (the gap 0.8 times the rise 0.5):

    >>> import distscale
    >>> from distscale.describe import decompose_mean
    >>> pop = distscale.Population.from_dict({1: [0, 0, 0.8, 0.8], 2: [0.8] * 4})
    >>> res = decompose_mean(pop, threshold=0.5, n_resamples=200, rng=0)
    >>> res.to_frame().tail(4)[["part", "estimate"]]
               part  estimate
    4        change       0.4
    5     p_success       0.4
    6  mean_success       0.0
    7  mean_failure       0.0
    >>> res.share
    1.0
    """
    threshold = check_threshold(threshold)
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    n_resamples = check_n_resamples(n_resamples, minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    gen = check_rng(rng)
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    samples = pop.values(metric)
    metric = pop.metric if metric is None else metric
    scales = pop.scales
    if len(scales) < 2:
        raise ValueError(
            f"decompose_mean needs at least 2 scales; column {pop.scale!r} has {len(scales)}"
        )
    steps = len(scales) - 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)  # zero-width parts are expected
        boot = bootstrap(
            samples,
            _decomposition_statistic(threshold, higher_is_better),
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            rng=gen,
            paired=pop.paired,
        )
    shape = (steps + 1, len(PARTS))
    return MeanDecomposition(
        scale_from=frozen(np.r_[scales[:-1], scales[0]]),
        scale_to=frozen(np.r_[scales[1:], scales[-1]]),
        estimates=frozen(boot.estimate[:-1].reshape(shape)),
        ci_low=frozen(boot.ci_low[:-1].reshape(shape)),
        ci_high=frozen(boot.ci_high[:-1].reshape(shape)),
        share=float(boot.estimate[-1]),
        share_ci=ConfidenceInterval(
            float(boot.ci_low[-1]),
            float(boot.ci_high[-1]),
            level=boot.confidence_level,
            method=boot.method,
        ),
        threshold=threshold,
        higher_is_better=higher_is_better,
        metric=metric,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        paired=pop.paired,
    )
