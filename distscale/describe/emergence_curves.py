"""Emergence scores of many curves at once: each seed's curve, each summary curve.

:func:`per_seed_emergence` scores every seed's own curve across the scales
of a population, as Zhao et al. (arXiv 2502.17356) do;
:func:`curve_emergence` scores the summary curves (mode, mean, P(success),
...) of :func:`distscale.summary_curves`. The definitions and conventions
are those of :mod:`distscale.describe.emergence`, which also exports both functions
and their result classes.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.results import Result, frozen
from distscale._lib.validation import format_labels
from distscale._lib.warnings import DegenerateDataWarning
from distscale.describe.emergence_core import (
    MIN_POINTS,
    flat_message,
    infinite_message,
    plain_labels,
    score_curves,
)
from distscale.population import Population, as_population

__all__ = ["CurveEmergence", "PerSeedEmergence", "curve_emergence", "per_seed_emergence"]


def _scores_frame(
    scores: object, label: str, labels: tuple, count: str, counts: np.ndarray, **extra: np.ndarray
) -> pd.DataFrame:
    """Tidy table of scored curves: a label column, a count column, the three scores, ``extra``."""
    return pd.DataFrame(
        {
            label: pd.Series(list(labels), dtype=object),
            count: counts.astype(np.int64),
            "linearity": scores.linearity,
            "breakthroughness": scores.breakthroughness,
            "improvement": scores.improvement,
            **extra,
        }
    )


# ------------------------------------------------------------------------ per seed
@dataclass(frozen=True, eq=False)
class PerSeedEmergence(Result):
    """Emergence scores of every seed's own curve across scales.

    Returned by :func:`per_seed_emergence`. Arrays are read-only and aligned
    with :attr:`seeds`.

    Attributes
    ----------
    seeds : tuple
        Seed labels that were scored, in the population's seed order.
    n_scales : numpy.ndarray
        Number of scales on each seed's curve.
    linearity, breakthroughness, improvement : numpy.ndarray
        Scores of each seed's curve (see :func:`emergence_scores`).
    curve_min, curve_max : numpy.ndarray
        Smallest and largest value of each seed's curve.
    dropped_seeds : tuple
        Seeds present at fewer than ``min_scales`` scales, not scored.
    metric, seed_name, scale_name : hashable
        The metric, seed and scale columns of the population.
    min_scales : int
    """

    seeds: tuple
    n_scales: np.ndarray
    linearity: np.ndarray
    breakthroughness: np.ndarray
    improvement: np.ndarray
    curve_min: np.ndarray
    curve_max: np.ndarray
    dropped_seeds: tuple
    metric: Hashable
    seed_name: Hashable
    scale_name: Hashable
    min_scales: int

    def __repr__(self) -> str:
        dropped = f", {len(self.dropped_seeds)} dropped" if self.dropped_seeds else ""
        return f"PerSeedEmergence({len(self.seeds)} seeds{dropped}, metric={self.metric!r})"

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per scored seed.

        Columns: ``seed, n_scales, linearity, breakthroughness, improvement,
        curve_min, curve_max``.
        """
        return _scores_frame(
            self,
            "seed",
            self.seeds,
            "n_scales",
            self.n_scales,
            curve_min=self.curve_min,
            curve_max=self.curve_max,
        )



def _check_min_scales(min_scales: object) -> int:
    if isinstance(min_scales, bool) or not isinstance(min_scales, numbers.Integral):
        raise TypeError(f"`min_scales` must be an integer; got {type(min_scales).__name__}")
    if min_scales < MIN_POINTS:
        raise ValueError(
            f"`min_scales` must be at least {MIN_POINTS} (with 2 points both scores are ±1 "
            f"whatever the curve); got {min_scales}"
        )
    return int(min_scales)


@fill_doc
def per_seed_emergence(
    pop: Population | pd.DataFrame,
    *,
    metric: Hashable | None = None,
    min_scales: int = 3,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> PerSeedEmergence:
    """Linearity and breakthroughness of each seed's curve across scales.

    A seed label is taken to mean the same run setting at every scale (seed
    3 at depth 2 and seed 3 at depth 4 form one curve), as in Zhao et al.'s
    single-seed curves. Each seed's values are ordered by scale and scored
    with :func:`emergence_scores`; all seeds with the same set of scales are
    scored in one array program.

    A seed missing at some scales is scored over the scales it has, if they
    number at least ``min_scales``; otherwise it is dropped, listed in
    :attr:`PerSeedEmergence.dropped_seeds`, and a
    :class:`~distscale.DegenerateDataWarning` names it. Scores of curves on
    different numbers of scales are not directly comparable (a straight
    line on ``n`` points has linearity ``n - 1``).

    Parameters
    ----------
    pop : Population or pandas.DataFrame
        The runs; with a DataFrame pass ``scale=``, ``seed=`` and ``value=``.
        A population with several tasks must be narrowed first with
        ``pop.select(task=...)``.
    %(metric)s
    min_scales : int, default 3
        Fewest scales a seed's curve needs to be scored (at least 3).
    %(columns)s

    Returns
    -------
    PerSeedEmergence

    Raises
    ------
    TypeError
        If ``min_scales`` is not an integer, or ``pop`` is not a Population/DataFrame.
    ValueError
        If ``min_scales < 3``, the population has fewer than ``min_scales``
        scales, or no seed is present at ``min_scales`` scales.

    Warns
    -----
    DegenerateDataWarning
        Naming dropped seeds, seeds with a flat curve (scores 0.0) and seeds
        whose breakthroughness is ``±inf``.

    Examples
    --------
    >>> import pandas as pd
    >>> import distscale
    >>> df = pd.DataFrame({"depth": [1, 2, 3, 4] * 2, "seed": [0] * 4 + [1] * 4,
    ...                    "acc": [0, .1, .2, .3, .0, .1, .2, .9]})
    >>> res = distscale.per_seed_emergence(df, scale="depth", seed="seed", value="acc")
    >>> # seed 1: I = 0.9, Δy² = [.01, .01, .49]: 0.9 / sqrt(0.17) and 0.9 / sqrt(0.01)
    >>> res.to_frame()[["seed", "n_scales", "linearity", "breakthroughness"]].round(3)
      seed  n_scales  linearity  breakthroughness
    0    0         4      3.000               3.0
    1    1         4      2.183               9.0
    """
    min_scales = _check_min_scales(min_scales)
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    wide = pop.wide(metric)  # checks `metric` and a single task
    metric = pop.metric if metric is None else metric
    wide = wide.reindex(columns=np.sort(wide.columns.to_numpy(dtype=float)))
    scales = wide.columns.to_numpy(dtype=float)
    if scales.size < min_scales:
        raise ValueError(
            f"per-seed emergence needs curves over at least min_scales={min_scales} scales; "
            f"the population has {scales.size} (scales {format_labels(plain_labels(scales))} of "
            f"column {pop.scale!r})"
        )
    values = wide.to_numpy(dtype=float)
    present = np.isfinite(values)
    counts = present.sum(axis=1)
    keep = counts >= min_scales
    seed_labels = list(wide.index)
    dropped = tuple(s for s, k in zip(seed_labels, keep, strict=True) if not k)
    if not keep.any():
        raise ValueError(
            f"no seed of column {pop.seed!r} has values at min_scales={min_scales} or more "
            f"scales (most per seed: {int(counts.max())}); seed labels must identify the "
            "same run across scales"
        )
    if dropped:
        warnings.warn(
            f"{len(dropped)} seeds have values at fewer than min_scales={min_scales} scales "
            f"and were dropped: {format_labels(plain_labels(dropped))}",
            DegenerateDataWarning,
            stacklevel=2,
        )

    n = values.shape[0]
    lin, brk, imp = (np.full(n, np.nan) for _ in range(3))
    flat = np.zeros(n, dtype=bool)
    infinite = np.zeros(n, dtype=bool)
    kept_rows = np.flatnonzero(keep)
    patterns, group = np.unique(present[kept_rows], axis=0, return_inverse=True)
    for g, pattern in enumerate(patterns):
        rows = kept_rows[group.ravel() == g]
        core = score_curves(values[np.ix_(rows, np.flatnonzero(pattern))])
        lin[rows], brk[rows], imp[rows] = core.linearity, core.breakthroughness, core.improvement
        flat[rows], infinite[rows] = core.flat, core.infinite

    kept_labels = [seed_labels[r] for r in kept_rows]
    for mask, message in ((flat, flat_message), (infinite, infinite_message)):
        bad = [seed_labels[r] for r in np.flatnonzero(mask)]
        if bad:
            warnings.warn(
                message(f"the curves of seeds {format_labels(plain_labels(bad))} are"),
                DegenerateDataWarning,
                stacklevel=2,
            )
    sub = values[kept_rows]
    return PerSeedEmergence(
        seeds=tuple(kept_labels),
        n_scales=frozen(counts[kept_rows].astype(np.int64)),
        linearity=frozen(lin[kept_rows]),
        breakthroughness=frozen(brk[kept_rows]),
        improvement=frozen(imp[kept_rows]),
        curve_min=frozen(np.nanmin(sub, axis=1)),
        curve_max=frozen(np.nanmax(sub, axis=1)),
        dropped_seeds=dropped,
        metric=metric,
        seed_name=pop.seed,
        scale_name=pop.scale,
        min_scales=min_scales,
    )


# ------------------------------------------------------------------- summary curves
@dataclass(frozen=True, eq=False)
class CurveEmergence(Result):
    """Emergence scores of several named curves (one per statistic).

    Returned by :func:`curve_emergence`. Arrays are read-only and aligned
    with :attr:`statistics`; scores are NaN for a statistic with fewer than
    3 defined points (a warning names it).

    Attributes
    ----------
    statistics : tuple of str
        Curve names, in order of first appearance.
    n_points : numpy.ndarray
        Defined (non-NaN) points on each curve.
    linearity, breakthroughness, improvement : numpy.ndarray
        Scores of each curve (see :func:`emergence_scores`).
    """

    statistics: tuple
    n_points: np.ndarray
    linearity: np.ndarray
    breakthroughness: np.ndarray
    improvement: np.ndarray

    def __repr__(self) -> str:
        return f"CurveEmergence({len(self.statistics)} curves: {list(self.statistics)})"

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per statistic.

        Columns: ``statistic, n_points, linearity, breakthroughness, improvement``.
        """
        return _scores_frame(self, "statistic", self.statistics, "n_points", self.n_points)


_CURVE_COLUMNS = ("scale", "statistic", "estimate")


def _curve_frame(curves: object) -> pd.DataFrame:
    if isinstance(curves, pd.DataFrame):
        frame = curves
    elif callable(getattr(curves, "to_frame", None)):
        frame = curves.to_frame()
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(
                f"`curves.to_frame()` must return a pandas DataFrame; got {type(frame).__name__}"
            )
    else:
        raise TypeError(
            "`curves` must be a DataFrame with columns 'scale', 'statistic', 'estimate' or an "
            f"object with .to_frame() (such as SummaryCurves); got {type(curves).__name__}"
        )
    missing = [c for c in _CURVE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"`curves` lacks columns {missing}; it needs {list(_CURVE_COLUMNS)} "
            f"(available: {list(frame.columns)})"
        )
    if len(frame) == 0:
        raise ValueError("`curves` is empty")
    out = pd.DataFrame(index=frame.index)
    for column in ("scale", "estimate"):
        series = frame[column]
        if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
            series.dtype
        ):
            raise TypeError(f"`curves` column {column!r} must be numeric; it has {series.dtype}")
        out[column] = series.astype(float)
    bad = frame.index[~np.isfinite(out["scale"].to_numpy())]
    if len(bad):
        raise ValueError(
            f"`curves` column 'scale' has {len(bad)} NaN or infinite values "
            f"(rows {format_labels(bad.tolist())})"
        )
    bad = frame.index[np.isinf(out["estimate"].to_numpy())]
    if len(bad):
        raise ValueError(
            f"`curves` column 'estimate' has {len(bad)} infinite values "
            f"(rows {format_labels(bad.tolist())})"
        )
    bad = frame.index[frame["statistic"].isna()]
    if len(bad):
        raise ValueError(
            f"`curves` column 'statistic' has {len(bad)} missing values "
            f"(rows {format_labels(bad.tolist())})"
        )
    out["statistic"] = frame["statistic"].astype(object)
    dup = out.duplicated(subset=["statistic", "scale"], keep=False)
    if dup.any():
        first = out.loc[dup].iloc[0]
        raise ValueError(
            f"`curves` has {int(dup.sum())} rows sharing a (statistic, scale) pair, e.g. "
            f"statistic={first['statistic']!r}, scale={first['scale']:g} "
            f"(rows {format_labels(out.index[dup].tolist())}); each curve needs one "
            "estimate per scale"
        )
    return out


def curve_emergence(curves: object) -> CurveEmergence:
    """Linearity and breakthroughness of each statistic's curve across scales.

    Scores the curves of a tidy table with columns ``scale, statistic,
    estimate`` (extra columns such as ``ci_low, ci_high, n`` are ignored) --
    the ``.to_frame()`` of :func:`distscale.summary_curves` -- so the jump
    of the mode or mean can be compared with the smoother P(success).

    Points with a NaN estimate (``mean_success`` at a scale where no run
    succeeded) are left out of their curve, with a
    :class:`~distscale.DegenerateDataWarning`; a curve left with fewer than
    3 points gets NaN scores, with a warning naming it.

    Parameters
    ----------
    curves : pandas.DataFrame or object with ``.to_frame()``
        The curves, e.g. a :class:`~distscale.describe.summary.SummaryCurves`.

    Returns
    -------
    CurveEmergence

    Raises
    ------
    TypeError
        If ``curves`` is neither a DataFrame nor has ``.to_frame()``, or
        ``scale``/``estimate`` are not numeric.
    ValueError
        If a column is missing, the table is empty, a scale is NaN/inf, an
        estimate is infinite, a statistic label is missing, or a
        (statistic, scale) pair repeats.

    Warns
    -----
    DegenerateDataWarning
        For left-out NaN points, curves with fewer than 3 points, flat
        curves (scores 0.0) and ``±inf`` breakthroughness.

    Examples
    --------
    >>> import pandas as pd
    >>> import distscale
    >>> curves = pd.DataFrame({
    ...     "scale": [1, 2, 3, 4] * 2,
    ...     "statistic": ["mean"] * 4 + ["p_success"] * 4,
    ...     "estimate": [0.1, 0.2, 0.3, 0.4, 0.0, 0.1, 0.3, 0.4]})
    >>> # p_success: I = 0.4, Δy² = [.01, .04, .01]: 0.4 / sqrt(0.02) and 0.4 / sqrt(0.01)
    >>> distscale.curve_emergence(curves).to_frame().round(3)
       statistic  n_points  linearity  breakthroughness  improvement
    0       mean         4      3.000               3.0          0.3
    1  p_success         4      2.828               4.0          0.4
    """
    frame = _curve_frame(curves)
    names = list(pd.unique(frame["statistic"]))
    k = len(names)
    n_points = np.zeros(k, dtype=np.int64)
    lin, brk, imp = (np.full(k, np.nan) for _ in range(3))
    gaps: list[str] = []
    short: list[object] = []
    flat: list[object] = []
    infinite: list[object] = []
    groups = dict(list(frame.groupby("statistic", sort=False)))
    for i, name in enumerate(names):
        group = groups[name].sort_values("scale", kind="stable")
        defined = group["estimate"].notna().to_numpy()
        if not defined.all():
            left_out = group["scale"].to_numpy()[~defined]
            gaps.append(f"{name!r} at scales {format_labels(plain_labels(left_out))}")
        y = group["estimate"].to_numpy()[defined]
        n_points[i] = y.size
        if y.size < MIN_POINTS:
            short.append(name)
            continue
        core = score_curves(y[None, :])
        lin[i], brk[i], imp[i] = core.linearity[0], core.breakthroughness[0], core.improvement[0]
        if core.flat[0]:
            flat.append(name)
        elif core.infinite[0]:
            infinite.append(name)
    if gaps:
        warnings.warn(
            "NaN estimates were left out of their curves: " + "; ".join(gaps),
            DegenerateDataWarning,
            stacklevel=2,
        )
    if short:
        warnings.warn(
            f"curves {format_labels(short)} have fewer than {MIN_POINTS} defined points; "
            "their scores are NaN",
            DegenerateDataWarning,
            stacklevel=2,
        )
    for bad, message in ((flat, flat_message), (infinite, infinite_message)):
        if bad:
            warnings.warn(
                message(f"the curves {format_labels(bad)} are"), DegenerateDataWarning, stacklevel=2
            )
    return CurveEmergence(
        statistics=tuple(names),
        n_points=frozen(n_points),
        linearity=frozen(lin),
        breakthroughness=frozen(brk),
        improvement=frozen(imp),
    )
