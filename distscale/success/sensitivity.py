"""How the headline verdicts depend on the success threshold.

Every verdict built on a success rule -- where P(success) crosses 50 %,
whether the jump of the mean is explained by P(success), whether success gets
rarer with scale -- is a verdict *at one threshold* τ. On the bundled count
population the report's headline flips between τ = 0.2 ("not mainly a change
of P(success)") and τ = 0.5 ("explained by P(success)"). A user who picked τ
by convention deserves to see that. :func:`threshold_sensitivity` repeats the
τ-dependent analyses over a grid of thresholds and says which verdicts hold
across the grid and where they flip.

How to choose τ (the docs' advice, ``docs/success.md``): a task-meaningful
level when there is one (a solved task, an accuracy that matters); else a
natural gap in the seed distribution, which :attr:`ThresholdSensitivity.gap`
points at (the widest gap between neighbouring distinct values inside the
central 90 % of all runs); and in every case this sweep, to show that the
conclusion does not hang on the choice.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.results import Result, frozen
from distscale._lib.success_rule import rule_symbol, success_mask
from distscale._lib.validation import (
    check_alpha,
    check_bool,
    check_confidence_level,
    check_finite_array,
    check_int,
    check_n_resamples,
    check_rng,
    check_threshold,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.describe.decomposition import decompose_mean
from distscale.population import Population, as_population
from distscale.success.curve import logistic_or_fitting_curve
from distscale.success.inverse import inverse_scaling

__all__ = ["ThresholdSensitivity", "threshold_sensitivity"]

#: The verdict columns of :meth:`ThresholdSensitivity.to_frame`, in order.
VERDICTS = ("x50_inside", "mean_change", "inverse_scaling")


@dataclass(frozen=True, eq=False, repr=False)
class ThresholdSensitivity(Result):
    """Result of :func:`threshold_sensitivity`: the τ-dependent verdicts over a grid.

    Attributes
    ----------
    thresholds : numpy.ndarray
        The thresholds, increasing.
    scales : numpy.ndarray
    p_observed : numpy.ndarray
        Shape ``(n_thresholds, n_scales)``: fraction of the runs that succeed.
    x50, x50_low, x50_high : numpy.ndarray
        The fitted scale where P(success) crosses 50 % and its interval
        (logistic in ``ln(scale)``; NaN where it does not cross inside the
        observed scales or the fit cannot tell).
    share, share_low, share_high : numpy.ndarray
        Part of the mean's change (smallest to largest scale) due to
        P(success), and its seed-bootstrap interval.
    table : pandas.DataFrame
        One row per threshold: the numbers above and the verdict words
        (:data:`VERDICTS`): ``x50_inside``
        (``"yes"``/``"no"``), ``mean_change`` (``"explained by P(success)"``,
        ``"not mainly P(success)"``, ``"no clear change"``, ``"undefined"``),
        ``inverse_scaling`` (the shape of P(success) when the inverse-scaling
        finding holds, else ``"no"``); also ``first_majority_scale`` (the
        first scale where more than half of the runs succeed; NaN where none does)
        and the observed fraction at each scale (``p_success@SCALE``). A
        threshold where every run succeeds,
        or every run fails, gets ``"degenerate"`` in every verdict column.
    gap : tuple of float
        ``(low, high)``: the widest gap between neighbouring distinct values
        inside the central 90 % of all runs -- a natural place for τ.
    higher_is_better : bool
    metric : hashable
    alpha : float
    """

    thresholds: np.ndarray
    scales: np.ndarray
    p_observed: np.ndarray
    x50: np.ndarray
    x50_low: np.ndarray
    x50_high: np.ndarray
    share: np.ndarray
    share_low: np.ndarray
    share_high: np.ndarray
    table: pd.DataFrame
    gap: tuple[float, float]
    higher_is_better: bool
    metric: Hashable
    alpha: float

    def __repr__(self) -> str:
        held = [v for v in VERDICTS if self.holds(v)]
        return (
            f"ThresholdSensitivity({len(self.thresholds)} thresholds "
            f"{self.thresholds[0]:g} to {self.thresholds[-1]:g}; "
            f"verdicts that hold throughout: {', '.join(held) or 'none'})"
        )

    def holds(self, verdict: str) -> bool:
        """Whether ``verdict`` (one of :data:`VERDICTS`) is the same at every threshold.

        Degenerate thresholds (every run on one side) are left out.
        """
        if verdict not in VERDICTS:
            raise ValueError(f"`verdict` must be one of {', '.join(VERDICTS)}; got {verdict!r}")
        words = self.table[verdict]
        words = words[words != "degenerate"]
        return words.nunique() <= 1

    def flips(self) -> pd.DataFrame:
        """Where each verdict changes: ``verdict, threshold_from, threshold_to, from, to``.

        One row per change between neighbouring (non-degenerate) thresholds.
        """
        rows = []
        ok = self.table[self.table["mean_change"] != "degenerate"]
        for verdict in VERDICTS:
            words = ok[verdict].tolist()
            taus = ok["threshold"].tolist()
            for i in range(1, len(words)):
                if words[i] != words[i - 1]:
                    rows.append((verdict, taus[i - 1], taus[i], words[i - 1], words[i]))
        return pd.DataFrame(rows, columns=["verdict", "threshold_from", "threshold_to",
                                           "from", "to"])

    def summary(self) -> str:
        """The sweep in words: which verdicts hold across the grid, which flip and where."""
        sym = rule_symbol(self.higher_is_better)
        ok = self.table[self.table["mean_change"] != "degenerate"]
        if ok.empty:
            return "Every threshold of the grid is degenerate (all runs on one side)."
        taus = ok["threshold"]
        lines = [
            f"Success rule {self.metric} {sym} τ for τ from {taus.iloc[0]:g} to "
            f"{taus.iloc[-1]:g} ({len(ok)} thresholds)."
        ]
        names = {
            "x50_inside": "whether P(success) crosses 50% inside the scales",
            "mean_change": "where the change of the mean comes from",
            "inverse_scaling": "inverse scaling of P(success)",
        }
        for verdict in VERDICTS:
            words, ts = ok[verdict].tolist(), taus.tolist()
            if self.holds(verdict):
                lines.append(f"- {names[verdict]}: '{words[0]}' at every threshold.")
                continue
            segments, start = [], 0
            for k in range(1, len(words) + 1):
                if k == len(words) or words[k] != words[start]:
                    span = (f"τ = {ts[start]:g}" if k - 1 == start
                            else f"τ = {ts[start]:g} to {ts[k - 1]:g}")
                    segments.append(f"'{words[start]}' at {span}")
                    start = k
            lines.append(f"- {names[verdict]} depends on τ: {'; '.join(segments)}.")
        lo, hi = self.gap
        if np.isfinite(lo):
            lines.append(
                f"Widest gap between neighbouring values (central 90% of runs): "
                f"{lo:.3g} to {hi:.3g}."
            )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per threshold: numbers and verdict words (a copy of :attr:`table`)."""
        return self.table.copy()


def _default_grid(values: np.ndarray, n: int, higher_is_better: bool) -> np.ndarray:
    """Up to ``n`` thresholds at evenly spaced quantiles (10 % to 90 %) of all runs.

    Rounded to 3 significant digits; a threshold that leaves every run on
    one side (e.g. the value of a pile at the top of the range) is dropped.
    """
    qs = np.quantile(values, np.linspace(0.1, 0.9, n))
    scale = max(float(np.max(np.abs(qs))), 1e-300)
    digits = max(0, 3 - int(np.floor(np.log10(scale))) - 1)
    grid = np.unique(np.round(qs, digits))
    ok = [0 < success_mask(values, t, higher_is_better).sum() < values.size for t in grid]
    return grid[np.asarray(ok, dtype=bool)]


def _widest_gap(values: np.ndarray) -> tuple[float, float]:
    lo, hi = np.quantile(values, [0.05, 0.95])
    inside = np.unique(values[(values >= lo) & (values <= hi)])
    if inside.size < 2:
        return (np.nan, np.nan)
    i = int(np.argmax(np.diff(inside)))
    return (float(inside[i]), float(inside[i + 1]))


@fill_doc
def threshold_sensitivity(
    pop: Population | pd.DataFrame,
    *,
    thresholds: Sequence[float] | np.ndarray | None = None,
    n_thresholds: int = 9,
    include: float | None = None,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    alpha: float = 0.05,
    n_resamples: int = 500,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> ThresholdSensitivity:
    """Repeat the threshold-dependent verdicts over a grid of thresholds.

    At each threshold τ: the fraction of runs that succeed at each scale and
    the first scale where most do; the logistic success curve's x50 with its
    interval (the logistic curve of :func:`~distscale.success_curve`, or
    where it misfits the best model that fits:
    :func:`~distscale.success.curve.logistic_or_fitting_curve`); the split of the mean's
    change (:func:`~distscale.describe.decompose_mean`, its
    :attr:`~distscale.describe.MeanDecomposition.headline`); and the
    inverse-scaling finding (:func:`~distscale.inverse_scaling`). The
    result says which verdicts hold at every threshold and where the others
    flip.

    Parameters
    ----------
    %(pop)s
    thresholds : sequence of float, optional
        The grid. Default: ``n_thresholds`` values at evenly spaced quantiles
        (10 % to 90 %) of all runs' values, rounded to 3 significant digits.
    n_thresholds : int, default 9
        Size of the default grid (at least 2).
    include : float, optional
        A threshold to add to the default grid -- the one an analysis uses,
        so that the sweep shows it among the others.
    %(higher_is_better)s
    %(metric)s
    alpha : float, default 0.05
        Level of the inverse-scaling finding.
    n_resamples : int, default 500
        Bootstrap resamples of each decomposition and success curve.
    %(confidence_level)s
    %(rng)s
    %(columns)s

    Returns
    -------
    ThresholdSensitivity

    Raises
    ------
    TypeError, ValueError
        Bad ``thresholds`` (not finite numbers, fewer than 2, repeated),
        ``n_thresholds`` < 2, fewer than 2 scales, or any invalid option of
        the analyses.

    See Also
    --------
    success_curve, inverse_scaling, distscale.describe.decompose_mean

    Examples
    --------
    Failed runs near 0.1 and successful ones near 0.9; P(success) rises with
    scale. Any τ inside the gap gives the same verdicts:

    >>> import numpy as np, distscale
    >>> rng = np.random.default_rng(0)
    >>> data = {s: np.where(rng.random(40) < p, rng.normal(0.9, 0.02, 40),
    ...                     rng.normal(0.1, 0.02, 40))
    ...         for s, p in zip([1e3, 1e4, 1e5, 1e6], [0.1, 0.3, 0.7, 0.9])}
    >>> pop = distscale.Population.from_dict(data)
    >>> res = distscale.threshold_sensitivity(pop, thresholds=[0.3, 0.5, 0.7],
    ...                                       n_resamples=200, rng=0)
    >>> [res.holds(v) for v in ("x50_inside", "mean_change")]
    [True, True]
    >>> res.table["mean_change"].iloc[0]
    'explained by P(success)'
    """
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    alpha = check_alpha(alpha)
    n_resamples = check_n_resamples(n_resamples, minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    gen = check_rng(rng)
    n_thresholds = check_int("n_thresholds", n_thresholds, 2)
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    samples = pop.values(metric)
    metric = pop.metric if metric is None else metric
    scales = np.asarray(pop.scales, dtype=float)
    if len(scales) < 2:
        raise ValueError(
            f"threshold_sensitivity needs at least 2 scales; column {pop.scale!r} has "
            f"{len(scales)}"
        )
    every = np.concatenate(samples)
    if thresholds is None:
        grid = _default_grid(every, n_thresholds, higher_is_better)
        if include is not None:
            grid = np.union1d(grid, [check_threshold(include, "include")])
        if grid.size < 2:
            raise ValueError(
                f"the values of {metric!r} take too few distinct values for a default grid of "
                "thresholds; give `thresholds`"
            )
    else:
        if include is not None:
            raise TypeError("`include` adds to the default grid; with `thresholds`, list it there")
        grid = check_finite_array("thresholds", thresholds, min_size=2)
        if np.unique(grid).size != grid.size:
            raise ValueError("`thresholds` must not repeat a value")
        grid = np.sort(grid)

    rule_kw = {"higher_is_better": higher_is_better, "metric": metric}
    x = "log" if np.all(scales > 0) else "linear"
    rows = []
    p_obs = np.empty((grid.size, scales.size))
    num = {k: np.full(grid.size, np.nan) for k in ("x50", "x50_low", "x50_high", "share",
                                                    "share_low", "share_high")}
    for i, (tau, g) in enumerate(zip(grid, gen.spawn(grid.size), strict=True)):
        ok = [success_mask(v, float(tau), higher_is_better) for v in samples]
        p_obs[i] = [m.mean() for m in ok]
        n_ok = sum(int(m.sum()) for m in ok)
        row = {"threshold": float(tau)}
        if n_ok == 0 or n_ok == every.size:
            rows.append(row | {"first_majority_scale": np.nan}
                        | dict.fromkeys(VERDICTS, "degenerate"))
            continue
        majority = np.flatnonzero(p_obs[i] > 0.5)
        row["first_majority_scale"] = float(scales[majority[0]]) if majority.size else np.nan
        g_curve, g_dec, g_inv = g.spawn(3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            curve = logistic_or_fitting_curve(
                pop, threshold=float(tau), x=x, n_resamples=n_resamples,
                confidence_level=confidence_level, gof_alpha=alpha, rng=g_curve, **rule_kw)
            dec = decompose_mean(pop, threshold=float(tau), n_resamples=n_resamples,
                                 confidence_level=confidence_level, rng=g_dec, **rule_kw)
            inv = inverse_scaling(pop, threshold=float(tau), alpha=alpha, x=x,
                                  confidence_level=confidence_level, rng=g_inv, **rule_kw)
        num["x50"][i] = curve.x50
        num["x50_low"][i], num["x50_high"][i] = curve.x50_ci.low, curve.x50_ci.high
        num["share"][i] = dec.share
        num["share_low"][i], num["share_high"][i] = dec.share_ci.low, dec.share_ci.high
        row["x50_inside"] = "yes" if np.isfinite(curve.x50) else "no"
        row["mean_change"] = dec.headline
        row["inverse_scaling"] = inv.finding_shape
        rows.append(row)

    table = pd.DataFrame(rows, columns=["threshold", "first_majority_scale", *VERDICTS])
    for k, v in num.items():
        table[k] = v
    for j, s in enumerate(scales):
        table[f"p_success@{s:g}"] = p_obs[:, j]
    return ThresholdSensitivity(
        thresholds=frozen(grid),
        scales=frozen(scales),
        p_observed=frozen(p_obs),
        x50=frozen(num["x50"]),
        x50_low=frozen(num["x50_low"]),
        x50_high=frozen(num["x50_high"]),
        share=frozen(num["share"]),
        share_low=frozen(num["share_low"]),
        share_high=frozen(num["share_high"]),
        table=table,
        gap=_widest_gap(every),
        higher_is_better=higher_is_better,
        metric=metric,
        alpha=alpha,
    )
