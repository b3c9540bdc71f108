"""Two conditions trained at the same scales: how does A differ from B, scale by scale?

:func:`compare_conditions` compares two conditions (two algorithms, data
mixes, architectures) that were trained at the same scales with many seeds
each. At every scale it gives, for condition A minus condition B, the
difference in the probability of success, the difference in the mean of
the successful runs, and the probability of improvement P(X > Y) of
Agarwal et al. (2021), each with a seed-bootstrap confidence interval; and
an overall row, the average of each statistic over the scales.

All three statistics of all resamples of a scale come from one array
program (one call of :func:`~distscale.bootstrap` per scale, whose two
strata are the seeds of A and the seeds of B).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.errors import ColumnNotFoundError
from distscale._lib.results import (
    ConfidenceInterval,
    Result,
    StatisticColumns,
    frozen,
    pick,
    scale_labels,
)
from distscale._lib.success_rule import rule_text, success_mask
from distscale._lib.validation import (
    check_bool,
    check_confidence_level,
    check_n_resamples,
    check_rng,
    check_threshold,
    format_labels,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.population import Population, as_population
from distscale.resampling.bootstrap import bootstrap, warn_zero_width

__all__ = ["CONDITION_STATISTICS", "ConditionComparison", "compare_conditions"]

#: The statistics of :func:`compare_conditions`, in the order of its columns.
CONDITION_STATISTICS = ("p_success_diff", "mean_success_diff", "prob_improvement")


# --------------------------------------------------------------------------- statistics
def _scale_statistic(
    support: np.ndarray, threshold: float, higher_is_better: bool
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The three statistics of A minus B at one scale, on resampled *ranks*.

    The bootstrap resamples the ranks of the runs' values among ``support``
    (the scale's sorted distinct values, ``k`` of them) instead of the
    values: the drawn indices are the same. Each resample of each condition
    is counted per rank (one ``bincount`` per block, rows kept apart by an
    offset of ``k``); then the number and the sum of successful runs are
    products of the counts with the success table, and a run of A beats the
    runs of B counted at lower ranks (higher ones with
    ``higher_is_better=False``) and ties with those at its own rank, so
    ``2 U`` is a sum of integers and P(X > Y) = U / (n_a n_b) is rounded
    once. No sort, and no ``(batch, n_a, n_b)`` comparison array.
    """
    k = support.size
    succeeds = success_mask(support, threshold, higher_is_better)
    table = np.column_stack([succeeds, np.where(succeeds, support, 0.0)])  # count, sum

    def statistic(rank_a: np.ndarray, rank_b: np.ndarray) -> np.ndarray:
        batch = rank_a.shape[0]
        offset = k * np.arange(batch)[:, None]
        counts, parts = [], []
        for r in (rank_a, rank_b):
            count = np.bincount((r.astype(np.intp) + offset).ravel(),
                                minlength=batch * k).reshape(batch, k)
            n_ok, total = (count @ table).T
            mean = np.divide(total, n_ok, out=np.full(batch, np.nan), where=n_ok > 0)
            counts.append(count)
            parts.append((n_ok / r.shape[1], mean))
        (count_a, count_b), (n_a, n_b) = counts, (rank_a.shape[1], rank_b.shape[1])
        below_b = np.cumsum(count_b, axis=1) - count_b  # runs of B strictly below each rank
        beaten = below_b if higher_is_better else n_b - below_b - count_b
        twice_u = (count_a * (2 * beaten + count_b)).sum(axis=1)
        (p_a, m_a), (p_b, m_b) = parts
        return np.column_stack([p_a - p_b, m_a - m_b, twice_u / (2.0 * n_a * n_b)])

    return statistic


# ------------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False, repr=False)
class ConditionComparison(StatisticColumns, Result):
    """Condition A minus condition B at every scale, with seed-bootstrap CIs.

    Returned by :func:`compare_conditions`. Rows follow :attr:`scales`,
    columns follow :attr:`statistics`:

    * ``p_success_diff``: P(success | A) - P(success | B);
    * ``mean_success_diff``: mean of A's successful runs minus mean of B's,
      in the metric's units (negative favours A for a loss); NaN, with a
      reason, where a condition has no successful run;
    * ``prob_improvement``: P(X > Y) + P(X = Y) / 2 for a random run X of A
      and Y of B ("beats" is "is lower" when ``higher_is_better=False``);
      0.5 means neither condition tends to beat the other.

    Attributes
    ----------
    scales : numpy.ndarray
        The scales where both conditions have runs, sorted.
    conditions : tuple
        ``(a, b)``: the labels of the two conditions in column :attr:`by`.
    by : hashable
        The column that holds the condition labels.
    n_a, n_b, successes_a, successes_b : numpy.ndarray
        Runs and successful runs of each condition at each scale.
    statistics : tuple of str
        ``("p_success_diff", "mean_success_diff", "prob_improvement")``.
    estimates, ci_low, ci_high, standard_error : numpy.ndarray
        Shape ``(n_scales, 3)``.
    n_valid : numpy.ndarray
        Resamples in which each statistic was defined: ``mean_success_diff``
        is undefined in a resample where a condition has no successful run;
        such resamples are left out of its interval, which is then
        conditional on at least one successful run of each condition.
    degenerate : numpy.ndarray
        True where every valid resample gave the same value (zero-width CI).
    reasons : numpy.ndarray
        Shape ``(n_scales, 3)``, strings: why a statistic is NaN ("" where
        it is defined).
    overall_estimates, overall_ci_low, overall_ci_high : numpy.ndarray
        Shape ``(3,)``: each statistic averaged over :attr:`scales` with
        equal weights (rliable's aggregate of P(X > Y) across tasks), and
        its interval from the same resamples (a replicate of the average is
        the average of the scales' replicates, as the scales are resampled
        independently). NaN when the statistic is NaN at some scale.
    overall_reasons : tuple of str
    dropped_scales : tuple
        Scales left out because one condition has no run there.
    threshold : float
    higher_is_better : bool
    metric : hashable
    scale_name : hashable
    n_resamples : int
    confidence_level : float
    method : str
        ``"percentile"``.
    notes : tuple of str
        Every caveat in words (dropped scales, undefined statistics,
        single runs, zero-width intervals); the warnings say the same.
    """

    scales: np.ndarray
    conditions: tuple
    by: Hashable
    n_a: np.ndarray
    n_b: np.ndarray
    successes_a: np.ndarray
    successes_b: np.ndarray
    estimates: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    standard_error: np.ndarray
    n_valid: np.ndarray
    degenerate: np.ndarray
    reasons: np.ndarray
    overall_estimates: np.ndarray
    overall_ci_low: np.ndarray
    overall_ci_high: np.ndarray
    overall_reasons: tuple[str, ...]
    dropped_scales: tuple
    threshold: float
    higher_is_better: bool
    metric: Hashable
    scale_name: Hashable
    n_resamples: int
    confidence_level: float
    method: str
    notes: tuple[str, ...]
    statistics: tuple[str, ...] = CONDITION_STATISTICS

    def __repr__(self) -> str:
        a, b = self.conditions
        rule = rule_text(self.threshold, self.higher_is_better, self.metric)
        return (
            f"ConditionComparison({a!r} - {b!r} by {self.by!r}, {len(self.scales)} scales, "
            f"success: {rule}, {self.confidence_level:.0%} {self.method} CIs, "
            f"{len(self.notes)} notes)"
        )

    def overall(self, statistic: str) -> tuple[float, ConfidenceInterval]:
        """The average of one statistic over the scales and its confidence interval."""
        c = self._column(statistic)
        ci = ConfidenceInterval(float(self.overall_ci_low[c]), float(self.overall_ci_high[c]),
                                level=self.confidence_level, method=self.method)
        return float(self.overall_estimates[c]), ci

    def _long(self, **columns: np.ndarray) -> pd.DataFrame:
        k = len(self.statistics)
        return pd.DataFrame({
            "scale": np.repeat(self.scales, k),
            "statistic": np.tile(np.array(self.statistics, dtype=object), len(self.scales)),
            **{name: np.ravel(v) for name, v in columns.items()},
        })

    def to_frame(self, *, overall: bool = False) -> pd.DataFrame:
        """Tidy table, one row per scale and statistic.

        Columns: ``scale, statistic, estimate, ci_low, ci_high, n_a, n_b``.
        With ``overall=True`` three rows follow with the averages over the
        scales; their ``scale`` is NaN and ``n_a``/``n_b`` count every run
        of the kept scales.
        """
        k = len(self.statistics)
        n_a, n_b = (np.repeat(n, k).astype(np.int64) for n in (self.n_a, self.n_b))
        frame = self._long(estimate=self.estimates, ci_low=self.ci_low, ci_high=self.ci_high,
                           n_a=n_a, n_b=n_b)
        if not overall:
            return frame
        rows = pd.DataFrame({
            "scale": np.full(k, np.nan),
            "statistic": np.array(self.statistics, dtype=object),
            "estimate": self.overall_estimates,
            "ci_low": self.overall_ci_low,
            "ci_high": self.overall_ci_high,
            "n_a": np.full(k, int(np.sum(self.n_a)), dtype=np.int64),
            "n_b": np.full(k, int(np.sum(self.n_b)), dtype=np.int64),
        })
        return pd.concat([frame, rows], ignore_index=True)

    def diagnostics(self) -> pd.DataFrame:
        """Bootstrap diagnostics and reasons, one row per scale and statistic.

        Columns: ``scale, statistic, standard_error, n_valid, degenerate, reason``.
        """
        return self._long(standard_error=self.standard_error,
                          n_valid=self.n_valid.astype(np.int64), degenerate=self.degenerate,
                          reason=self.reasons)


# ------------------------------------------------------------------------------- inputs
def _plain(value: object) -> object:
    """A NumPy scalar as the Python object it holds (for labels in messages and results)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_by(by: object) -> Hashable:
    if by is None or isinstance(by, (list, tuple, set, dict, np.ndarray, pd.Index)):
        raise TypeError(f"`by` must be a single column name; got {by!r}")
    return by


def _population(pop: object, by: Hashable, scale, seed, value) -> Population:
    """The population, with the ``by`` column checked (a DataFrame's ``by`` is its task key)."""
    if isinstance(pop, pd.DataFrame):
        if by not in pop.columns:
            raise ColumnNotFoundError([("by", by)], list(pop.columns))
        if by in (scale, seed) or (by == value if not isinstance(value, (list, tuple))
                                   else by in value):
            raise ValueError(f"`by` column {by!r} is also the scale, seed or value column; "
                             "the conditions need a column of their own")
        missing = pop.index[pop[by].isna()]
        if len(missing):
            raise ValueError(f"`by` column {by!r} has {len(missing)} missing values "
                             f"(rows {format_labels(missing.tolist())})")
        # runs of the two conditions may share seed labels: (scale, seed, by) is the key
        return as_population(pop, scale=scale, seed=seed, value=value, task=by)
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    columns = list(pop.to_frame().columns)
    if by not in columns:
        raise ColumnNotFoundError([("by", by)], columns)
    if by != pop.task:
        if by in (pop.scale, pop.seed) or by in pop.metrics:
            raise ValueError(f"`by` column {by!r} is the population's scale, seed or metric "
                             "column; the conditions need a column of their own")
        if pop.task is not None and len(pop.tasks) > 1:
            raise ValueError(
                f"this population has {len(pop.tasks)} tasks in column {pop.task!r}; choose "
                f"one with `pop.select(task=...)` before comparing the conditions in {by!r}"
            )
    return pop


def _conditions(labels: Sequence[object], conditions: object, by: Hashable) -> tuple:
    present = [_plain(v) for v in labels]
    if conditions is None:
        if len(present) != 2:
            what = "one value" if len(present) == 1 else f"{len(present)} values"
            raise ValueError(
                f"`by` column {by!r} has {what} ({format_labels(present)}); compare_conditions "
                "needs exactly two, or `conditions=(a, b)` naming two of them"
            )
        try:
            return tuple(sorted(present))
        except TypeError:
            raise ValueError(
                f"the values of `by` column {by!r} ({format_labels(present)}) cannot be sorted; "
                "pass `conditions=(a, b)` to order them"
            ) from None
    if isinstance(conditions, (str, bytes)) or not isinstance(conditions, (Sequence, np.ndarray)):
        raise TypeError(f"`conditions` must be a pair (a, b) of values of column {by!r} or "
                        f"None; got {conditions!r}")
    if len(conditions) != 2:
        raise ValueError(f"`conditions` must name exactly two values of column {by!r}; "
                         f"got {len(conditions)}")
    a, b = (_plain(c) for c in conditions)
    if a == b:
        raise ValueError(f"`conditions` must name two different values; got {a!r} twice")
    for c in (a, b):
        if c not in present:
            raise ValueError(f"`conditions` value {c!r} is not a value of column {by!r}; "
                             f"its values: {format_labels(present, limit=10)}")
    return a, b


def _percentile(dist: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bounds of each column's finite values (NaN when none)."""
    low, high = np.full(dist.shape[1], np.nan), np.full(dist.shape[1], np.nan)
    for c in range(dist.shape[1]):
        col = dist[np.isfinite(dist[:, c]), c]
        if col.size:
            low[c], high[c] = np.quantile(col, [(1 - level) / 2, (1 + level) / 2])
    return low, high


# ----------------------------------------------------------------------------- function
@fill_doc
def compare_conditions(
    pop: Population | pd.DataFrame,
    *,
    by: Hashable,
    conditions: Sequence[object] | None = None,
    threshold: float,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | None = None,
) -> ConditionComparison:
    """Compare two conditions at every scale: P(success), mean | success and P(X > Y).

    At every scale where both conditions have runs, for condition A minus
    condition B: the difference in the fraction of successful runs, the
    difference in the mean of the successful runs, and the probability of
    improvement P(X > Y) -- the probability that a random run of A beats a
    random run of B, ties counted one half (Agarwal et al. 2021, as in
    rliable; equal to the Mann-Whitney U of A over ``n_a * n_b``). Each gets
    a percentile seed-bootstrap interval: the runs of each condition are
    resampled within each scale, independently (two strata of
    :func:`distscale.bootstrap`, one call per scale). The overall rows
    average each statistic over the scales.

    Parameters
    ----------
    %(pop)s
    by : str
        The column holding the condition labels: an extra column of the
        population's table, or its task column. With a DataFrame, runs of
        the two conditions may share seed labels.
    conditions : pair of labels, optional
        ``(a, b)``: which two values of ``by`` to compare, A first. By
        default ``by`` must hold exactly two values, taken in sorted order.
    %(threshold)s
    %(higher_is_better)s
        It also sets which run "beats" the other in P(X > Y).
    %(metric)s
    n_resamples : int, default 1000
        Seed-bootstrap resamples; the runs of each condition are resampled
        within each scale, independently of the other condition and scale.
    %(confidence_level)s
    %(rng)s
    %(columns)s

    Returns
    -------
    ConditionComparison

    Raises
    ------
    ValueError
        ``by`` is missing or is the scale, seed or metric column; it does
        not hold exactly two values and ``conditions`` is None; a label of
        ``conditions`` is not in it; no scale has runs of both conditions.
    TypeError
        ``by`` is not a single column name; ``conditions`` is not a pair.

    Warns
    -----
    DegenerateDataWarning
        When scales are dropped (one condition has no run there), when
        ``mean_success_diff`` is undefined at a scale, when a condition has
        a single run at a scale, and, once, for zero-width intervals.

    Notes
    -----
    Percentile intervals; where a conditional mean is undefined in a
    resample (no successful run of a condition) the resample is left out of
    that interval (``n_valid``). With few runs per condition the intervals
    are too narrow: at 10 runs per condition the 95% interval of the
    difference in P(success) covered 93% of simulated truths, that of the
    difference in mean | success 85% (93-95% from 30 runs on;
    ``benchmarks/calibration_conditions.py``). The overall interval treats
    the scales as independent samples; when the same runs are measured at
    every scale (checkpoints), it is usually too narrow, as it ignores that
    a seed's values at different scales move together.

    References
    ----------
    Agarwal, R., Schwarzer, M., Castro, P. S., Courville, A. & Bellemare,
    M. G. (2021). Deep reinforcement learning at the edge of the statistical
    precipice. *NeurIPS 34*.

    Examples
    --------
    At scale 1, two of three runs of A succeed (0.7, 0.8: mean 0.75) and one
    of B (0.9); of the 9 pairs of a run of A and a run of B, A's is higher in
    4 and tied in 1 (0.1 and 0.1), so P(X > Y) = 4.5 / 9. At scale 2 every
    run of A beats every run of B, and no run of B succeeds:

    >>> import pandas as pd
    >>> from distscale.describe import compare_conditions
    >>> df = pd.DataFrame({"scale": [1] * 6 + [2] * 6, "seed": [0, 1, 2] * 4,
    ...                    "algo": ["a"] * 3 + ["b"] * 3 + ["a"] * 3 + ["b"] * 3,
    ...                    "acc": [0.1, 0.7, 0.8, 0.1, 0.2, 0.9,
    ...                            0.6, 0.8, 0.9, 0.1, 0.2, 0.3]})
    >>> res = compare_conditions(df, by="algo", threshold=0.5, n_resamples=200, rng=0,
    ...                          scale="scale", seed="seed", value="acc")
    >>> res.conditions
    ('a', 'b')
    >>> res.to_frame()[["scale", "statistic", "estimate", "n_a", "n_b"]].round(4)
       scale          statistic  estimate  n_a  n_b
    0    1.0     p_success_diff    0.3333    3    3
    1    1.0  mean_success_diff   -0.1500    3    3
    2    1.0   prob_improvement    0.5000    3    3
    3    2.0     p_success_diff    1.0000    3    3
    4    2.0  mean_success_diff       NaN    3    3
    5    2.0   prob_improvement    1.0000    3    3
    >>> res.reasons[1, 1]
    "no successful run (acc > 0.5) of condition 'b'"
    """
    by = _check_by(by)
    threshold = check_threshold(threshold)
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    n_resamples = check_n_resamples(n_resamples, minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    generator = check_rng(rng)
    pop = _population(pop, by, scale, seed, value)
    if metric is None:
        metric = pop.metric
    elif metric not in pop.metrics:
        raise ValueError(f"`metric` {metric!r} is not one of {list(pop.metrics)}")
    frame = pop.to_frame()
    a, b = _conditions(pd.unique(frame[by]), conditions, by)
    frame = frame.loc[frame[by].isin([a, b])]

    all_scales = np.unique(frame[pop.scale].to_numpy(dtype=float))
    samples, kept, dropped = [], [], []
    for s, g in frame.groupby(pop.scale, sort=True):
        x_a = g.loc[g[by] == a, metric].to_numpy(dtype=float)
        x_b = g.loc[g[by] == b, metric].to_numpy(dtype=float)
        if x_a.size and x_b.size:
            samples.append((x_a, x_b))
            kept.append(float(s))
        else:
            dropped.append(float(s))
    notes: list[str] = []

    def caveat(text: str) -> None:
        notes.append(text)
        warnings.warn(text, DegenerateDataWarning, stacklevel=3)

    dropped_labels = tuple(scale_labels(np.array(dropped)))
    if not kept:
        raise ValueError(
            f"no scale of column {pop.scale!r} has runs of both conditions {a!r} and {b!r} "
            f"(scales {format_labels(scale_labels(all_scales))})"
        )
    if dropped:
        caveat(f"scales {format_labels(dropped_labels)} dropped: only one of the conditions "
               f"{a!r}, {b!r} has runs there")

    k, n_scales = len(CONDITION_STATISTICS), len(kept)
    fields = {name: np.full((n_scales, k), np.nan)
              for name in ("estimate", "ci_low", "ci_high", "standard_error")}
    fields["n_valid"] = np.zeros((n_scales, k), dtype=np.int64)
    fields["degenerate"] = np.zeros((n_scales, k), dtype=bool)
    total = np.zeros((n_resamples, k))
    for i, (x_a, x_b) in enumerate(samples):
        support = np.unique(np.concatenate([x_a, x_b]))
        ranks = [np.searchsorted(support, x).astype(float) for x in (x_a, x_b)]
        statistic = _scale_statistic(support, threshold, higher_is_better)
        boot = bootstrap(ranks, statistic, n_resamples=n_resamples,
                         confidence_level=confidence_level, rng=generator,
                         keep_distribution=True)
        for name in fields:
            fields[name][i] = getattr(boot, name)
        total += boot.distribution

    scales = np.array(kept)
    labels = scale_labels(scales)
    n_a = np.array([x.size for x, _ in samples], dtype=np.int64)
    n_b = np.array([y.size for _, y in samples], dtype=np.int64)
    succ_a = np.array([success_mask(x, threshold, higher_is_better).sum() for x, _ in samples])
    succ_b = np.array([success_mask(y, threshold, higher_is_better).sum() for _, y in samples])
    rule = rule_text(threshold, higher_is_better, subject=metric)
    reasons = np.full((n_scales, k), "", dtype=object)
    col = CONDITION_STATISTICS.index("mean_success_diff")
    for i in range(n_scales):
        none = [repr(c) for c, kk in ((a, succ_a[i]), (b, succ_b[i])) if kk == 0]
        if none:
            reasons[i, col] = (f"no successful run ({rule}) of condition {' or '.join(none)}"
                               if len(none) == 1 else f"no successful run ({rule}) of either "
                               "condition")
    undefined = reasons[:, col] != ""
    if undefined.any():
        caveat(f"mean_success_diff is NaN at scales {format_labels(pick(labels, undefined))}: "
               f"a condition has no successful run ({rule}) there")
    for c, n in ((a, n_a), (b, n_b)):
        if (n == 1).any():
            caveat(f"condition {c!r} has a single run at scales "
                   f"{format_labels(pick(labels, n == 1))}: its part of every interval there is "
                   "that one run, not resampled variation")

    overall = total / n_scales
    overall_est = fields["estimate"].mean(axis=0)
    overall_low, overall_high = _percentile(overall, confidence_level)
    overall_reasons = tuple(
        "" if np.isfinite(overall_est[c])
        else "undefined at scales " + format_labels(pick(labels, ~np.isfinite(
            fields["estimate"][:, c])))
        for c in range(k)
    )
    overall_low[~np.isfinite(overall_est)] = np.nan
    overall_high[~np.isfinite(overall_est)] = np.nan

    zero = {}
    for c, name in enumerate(CONDITION_STATISTICS):
        rows = np.flatnonzero(fields["degenerate"][:, c])
        if rows.size:
            zero[name] = format_labels([labels[r] for r in rows])
    if zero:
        notes.append("zero-width confidence intervals (every valid resample gave the same "
                     "value) for " + "; ".join(f"{s} at scales {w}" for s, w in zero.items()))
    warn_zero_width(zero, stacklevel=2)

    arrays = {name: fields[key] for name, key in (
        ("estimates", "estimate"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
        ("standard_error", "standard_error"), ("n_valid", "n_valid"),
        ("degenerate", "degenerate"))}
    arrays.update(scales=scales, n_a=n_a, n_b=n_b, successes_a=succ_a.astype(np.int64),
                  successes_b=succ_b.astype(np.int64), reasons=reasons,
                  overall_estimates=overall_est, overall_ci_low=overall_low,
                  overall_ci_high=overall_high)
    return ConditionComparison(
        **{name: frozen(v) for name, v in arrays.items()},
        conditions=(a, b), by=by, overall_reasons=overall_reasons,
        dropped_scales=dropped_labels, threshold=threshold, higher_is_better=higher_is_better,
        metric=metric, scale_name=pop.scale, n_resamples=n_resamples,
        confidence_level=confidence_level, method="percentile", notes=tuple(notes),
    )
