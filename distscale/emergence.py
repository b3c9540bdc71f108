"""BIG-bench emergence scores: linearity and breakthroughness of scaling curves.

Srivastava et al., "Beyond the Imitation Game" (arXiv 2206.04615, Appendix B)
score a curve ``y`` ordered by increasing scale, with successive differences
``Δy_i = y_{i+1} - y_i``, by

* ``I(y) = sign(argmax y - argmin y) * (max y - min y)`` -- how far the curve
  moves, positive when its maximum comes after its minimum;
* ``linearity = I(y) / sqrt(mean(Δy²))`` -- large when the change is spread
  evenly over the steps (at most ``n - 1`` in absolute value, reached by a
  straight line on ``n`` points);
* ``breakthroughness = I(y) / sqrt(median(Δy²))`` -- large when most steps are
  small and the change happens in a few big ones (unbounded).

Zhao et al. (arXiv 2502.17356) score the curve of every single seed this way
and find both highly linear and highly emergent seeds in one population;
:func:`per_seed_emergence` does that, and :func:`curve_emergence` scores the
summary curves (mode, mean, P(success), ...) of
:func:`distscale.summary_curves`.

Conventions (the Appendix formulas leave them open; BIG-bench's own scoring
code was not available to check against, so they are stated here):

* Only the *order* of the scales is used, never their spacing or values.
* ``argmax``/``argmin`` ties go to the first occurrence in scale order
  (:func:`numpy.argmax`). Ties only affect the sign of ``I``, e.g.
  ``y = [1, 0, 1]`` has ``I = -1``.
* At least 3 points are required: with 2 points ``Δy`` has one element and
  both scores are ``sign(Δy) = ±1`` whatever the curve. With exactly 3
  points the median of the two squared steps equals their mean, so
  ``breakthroughness == linearity``; the scores differ from 4 points on.
* A flat curve (all ``Δy = 0``) has ``I = 0`` and both scores ``0/0``; it
  scores ``0.0`` with a :class:`~distscale.DegenerateDataWarning`.
* When more than half of the steps are exactly flat, ``median(Δy²) = 0``
  while ``I ≠ 0``: ``breakthroughness`` is ``±inf`` (the limit of an ideal
  step), with a :class:`~distscale.DegenerateDataWarning`. No epsilon or
  clipping is applied, so the value never depends on an arbitrary constant.

The scores are invariant to ``y -> a*y + b`` for ``a > 0`` and change sign for
``a < 0``; they are computed on ``y`` rescaled by a power of two near
``max |y|`` (an exact operation) so that squaring tiny or huge steps cannot
underflow or overflow.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._validation import check_finite_array, format_labels
from distscale._warnings import DegenerateDataWarning
from distscale.population import Population, as_population

__all__ = [
    "CurveEmergence",
    "EmergenceScores",
    "PerSeedEmergence",
    "breakthroughness",
    "curve_emergence",
    "emergence_scores",
    "linearity",
    "per_seed_emergence",
]

#: Fewest points a curve needs (with 2, both scores are always ±1).
MIN_POINTS = 3


# ----------------------------------------------------------------------------- core
@dataclass(frozen=True)
class _Core:
    """Scores of k curves (rows), all arrays of shape (k,)."""

    improvement: np.ndarray
    linearity: np.ndarray
    breakthroughness: np.ndarray
    flat: np.ndarray
    infinite: np.ndarray


def _core(y: np.ndarray) -> _Core:
    """Score every row of ``y`` (shape (k, n), n >= 2, finite, in scale order)."""
    k = y.shape[0]
    rows = np.arange(k)
    amax = np.argmax(y, axis=1)  # first occurrence on ties
    amin = np.argmin(y, axis=1)
    sign = np.sign(amax - amin).astype(float)
    # Rescale each row by the power of two nearest above max|y| (exact, so a
    # straight line still scores exactly n - 1): the scores are scale-free,
    # and the squares of the rescaled steps can then neither overflow nor
    # underflow in practice.
    flat = y[rows, amax] == y[rows, amin]
    _, exponent = np.frexp(np.max(np.abs(y), axis=1))
    z = np.ldexp(y, -exponent[:, None])
    span_z = z[rows, amax] - z[rows, amin]
    d2 = np.diff(z, axis=1) ** 2
    rms = np.sqrt(np.mean(d2, axis=1))
    rmeds = np.sqrt(np.median(d2, axis=1))
    i_z = sign * span_z
    infinite = ~flat & (rmeds == 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lin = np.where(flat, 0.0, i_z / np.where(flat, 1.0, rms))
        brk = np.where(flat | infinite, 0.0, i_z / np.where(flat | infinite, 1.0, rmeds))
        improvement = sign * (y[rows, amax] - y[rows, amin])
    brk = np.where(infinite, np.where(sign > 0, np.inf, -np.inf), brk)
    return _Core(improvement, lin, brk, flat, infinite)


def _flat_message(what: str) -> str:
    return (
        f"{what} flat (every successive difference is 0): I(y) = 0 and both scores are 0/0; "
        "they are reported as 0.0 by convention"
    )


def _infinite_message(what: str) -> str:
    return (
        f"{what} flat over more than half of the steps, so median(Δy²) = 0 while I(y) ≠ 0: "
        "breakthroughness is ±inf (an ideal step)"
    )


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr)  # own copy, so freezing never touches a caller's array
    arr.flags.writeable = False
    return arr


# ----------------------------------------------------------------------- validation
def _check_numbers(name: str, values: object) -> np.ndarray:
    if isinstance(values, (str, bytes)):
        raise TypeError(f"`{name}` must be a sequence of numbers; got a string")
    if values is None:
        raise TypeError(f"`{name}` must be a sequence of numbers; got None")
    raw = np.asarray(values)
    if raw.dtype == bool:
        raise TypeError(f"`{name}` is boolean; convert it to 0/1 numbers explicitly")
    return check_finite_array(name, values)


def _check_curve(scales: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Validate one curve and return ``y`` in increasing scale order (and the scales)."""
    x = _check_numbers("scales", scales)
    v = _check_numbers("y", y)
    if x.size != v.size:
        raise ValueError(f"`scales` and `y` must have the same length; got {x.size} and {v.size}")
    if x.size < MIN_POINTS:
        raise ValueError(
            f"emergence scores need at least {MIN_POINTS} points (scales); got {x.size}: "
            "with 2 points both scores are ±1 whatever the curve"
        )
    uniq, counts = np.unique(x, return_counts=True)
    if (counts > 1).any():
        dups = uniq[counts > 1]
        positions = np.flatnonzero(np.isin(x, dups))
        raise ValueError(
            f"`scales` has duplicated values {format_labels(dups.tolist())} "
            f"(positions {format_labels(positions.tolist())}); each scale must appear once"
        )
    order = np.argsort(x, kind="stable")
    return x[order], v[order]


# -------------------------------------------------------------------- scalar scores
@dataclass(frozen=True)
class EmergenceScores:
    """BIG-bench emergence scores of one curve.

    Attributes
    ----------
    linearity : float
        ``I(y) / sqrt(mean(Δy²))``.
    breakthroughness : float
        ``I(y) / sqrt(median(Δy²))``; ``±inf`` when more than half of the
        steps are flat.
    improvement : float
        ``I(y) = sign(argmax y - argmin y) * (max y - min y)``, in units of ``y``.
    n_points : int
        Number of points (scales) on the curve.
    """

    linearity: float
    breakthroughness: float
    improvement: float
    n_points: int

    def to_frame(self) -> pd.DataFrame:
        """One-row table: ``linearity, breakthroughness, improvement, n_points``."""
        return pd.DataFrame(
            {
                "linearity": [self.linearity],
                "breakthroughness": [self.breakthroughness],
                "improvement": [self.improvement],
                "n_points": np.array([self.n_points], dtype=np.int64),
            }
        )


def _score_one(scales: object, y: object, *, want_breakthroughness: bool) -> EmergenceScores:
    _, v = _check_curve(scales, y)
    core = _core(v[None, :])
    if core.flat[0]:
        warnings.warn(_flat_message("`y` is"), DegenerateDataWarning, stacklevel=3)
    elif want_breakthroughness and core.infinite[0]:
        warnings.warn(_infinite_message("`y` is"), DegenerateDataWarning, stacklevel=3)
    return EmergenceScores(
        linearity=float(core.linearity[0]),
        breakthroughness=float(core.breakthroughness[0]),
        improvement=float(core.improvement[0]),
        n_points=int(v.size),
    )


def emergence_scores(scales: object, y: object) -> EmergenceScores:
    """Linearity, breakthroughness and ``I(y)`` of one scaling curve.

    ``y`` is put in increasing order of ``scales`` first. See the module
    docstring for the definitions (Srivastava et al. 2022, Appendix B) and
    the conventions for ties, flat curves and ``median(Δy²) = 0``.

    Parameters
    ----------
    scales : array_like
        Scale of each point (parameters, depth, compute ...). Only the order
        is used; values must be finite and distinct. Need not be sorted.
    y : array_like
        Metric at each scale, aligned with ``scales``; finite numbers.

    Returns
    -------
    EmergenceScores

    Raises
    ------
    TypeError
        If an input is not numeric (or is boolean).
    ValueError
        If the lengths differ, there are fewer than 3 points, a value is
        NaN/inf, or a scale is repeated.

    Warns
    -----
    DegenerateDataWarning
        If ``y`` is flat (both scores 0.0), or more than half of its steps are
        flat (``breakthroughness`` is ``±inf``).

    Examples
    --------
    >>> import distscale
    >>> s = distscale.emergence_scores([1, 2, 3, 4, 5], [0, 1, 3, 4, 10])
    >>> s.improvement  # max - min, maximum after minimum
    10.0
    >>> round(s.linearity, 4)  # 10 / sqrt(mean([1, 4, 1, 36]))
    3.0861
    >>> round(s.breakthroughness, 4)  # 10 / sqrt(median([1, 4, 1, 36]))
    6.3246
    """
    return _score_one(scales, y, want_breakthroughness=True)


def linearity(scales: object, y: object) -> float:
    """BIG-bench linearity ``I(y) / sqrt(mean(Δy²))`` of one scaling curve.

    ``y`` is put in increasing order of ``scales``. A straight line on ``n``
    points scores ``±(n - 1)``, the largest possible absolute value; a flat
    curve scores 0.0 (with a warning). Decreasing curves score negative.

    Parameters
    ----------
    scales : array_like
        Scale of each point (parameters, depth, compute ...). Only the order
        is used; values must be finite and distinct. Need not be sorted.
    y : array_like
        Metric at each scale, aligned with ``scales``; finite numbers.

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        As :func:`emergence_scores`.

    Warns
    -----
    DegenerateDataWarning
        If ``y`` is flat.

    See Also
    --------
    breakthroughness, emergence_scores

    Examples
    --------
    >>> import distscale
    >>> distscale.linearity([1, 2, 3, 4], [0.0, 0.1, 0.2, 0.3])  # n - 1
    3.0
    >>> distscale.linearity([4, 3, 2, 1], [0.0, 0.1, 0.2, 0.3])  # decreasing in scale
    -3.0
    >>> round(distscale.linearity([1, 2, 3, 4], [0, 0, 0, 1]), 4)  # 1 / sqrt(1/3)
    1.7321
    """
    return _score_one(scales, y, want_breakthroughness=False).linearity


def breakthroughness(scales: object, y: object) -> float:
    """BIG-bench breakthroughness ``I(y) / sqrt(median(Δy²))`` of one scaling curve.

    ``y`` is put in increasing order of ``scales``. Large when most steps
    are small and the change comes in a few big ones. With 3 points it
    equals :func:`linearity` (the median of two numbers is their mean).
    When more than half of the steps are exactly flat it is ``±inf``.

    Parameters
    ----------
    scales : array_like
        Scale of each point (parameters, depth, compute ...). Only the order
        is used; values must be finite and distinct. Need not be sorted.
    y : array_like
        Metric at each scale, aligned with ``scales``; finite numbers.

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        As :func:`emergence_scores`.

    Warns
    -----
    DegenerateDataWarning
        If ``y`` is flat (0.0), or ``median(Δy²) = 0`` with ``I(y) ≠ 0`` (``±inf``).

    See Also
    --------
    linearity, emergence_scores

    Examples
    --------
    >>> import distscale
    >>> distscale.breakthroughness([1, 2, 3, 4], [0, 1, 2, 3])
    3.0
    >>> distscale.breakthroughness([1, 2, 3, 4], [2, 0, 1, 3])  # 3 / sqrt(median([4, 1, 4]))
    1.5
    """
    return _score_one(scales, y, want_breakthroughness=True).breakthroughness


# ------------------------------------------------------------------------ per seed
@dataclass(frozen=True, eq=False)
class PerSeedEmergence:
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
        return pd.DataFrame(
            {
                "seed": pd.Series(list(self.seeds), dtype=object),
                "n_scales": self.n_scales.astype(np.int64),
                "linearity": self.linearity,
                "breakthroughness": self.breakthroughness,
                "improvement": self.improvement,
                "curve_min": self.curve_min,
                "curve_max": self.curve_max,
            }
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


def _labels(values: Sequence[object]) -> list[object]:
    out = []
    for v in values:
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            out.append(int(v))
        elif isinstance(v, np.generic):
            out.append(v.item())
        else:
            out.append(v)
    return out


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
    metric : str, optional
        Which metric column, when the population has several.
    min_scales : int, default 3
        Fewest scales a seed's curve needs to be scored (at least 3).
    scale, seed, value : str, optional
        Column names, only with a DataFrame (see :func:`~distscale.as_population`).

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
            f"the population has {scales.size} (scales {format_labels(_labels(scales))} of "
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
            f"and were dropped: {format_labels(_labels(dropped))}",
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
        core = _core(values[np.ix_(rows, np.flatnonzero(pattern))])
        lin[rows], brk[rows], imp[rows] = core.linearity, core.breakthroughness, core.improvement
        flat[rows], infinite[rows] = core.flat, core.infinite

    kept_labels = [seed_labels[r] for r in kept_rows]
    for mask, message in ((flat, _flat_message), (infinite, _infinite_message)):
        bad = [seed_labels[r] for r in np.flatnonzero(mask)]
        if bad:
            warnings.warn(
                message(f"the curves of seeds {format_labels(_labels(bad))} are"),
                DegenerateDataWarning,
                stacklevel=2,
            )
    sub = values[kept_rows]
    return PerSeedEmergence(
        seeds=tuple(kept_labels),
        n_scales=_frozen(counts[kept_rows].astype(np.int64)),
        linearity=_frozen(lin[kept_rows]),
        breakthroughness=_frozen(brk[kept_rows]),
        improvement=_frozen(imp[kept_rows]),
        curve_min=_frozen(np.nanmin(sub, axis=1)),
        curve_max=_frozen(np.nanmax(sub, axis=1)),
        dropped_seeds=dropped,
        metric=metric,
        seed_name=pop.seed,
        scale_name=pop.scale,
        min_scales=min_scales,
    )


# ------------------------------------------------------------------- summary curves
@dataclass(frozen=True, eq=False)
class CurveEmergence:
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
        return pd.DataFrame(
            {
                "statistic": pd.Series(list(self.statistics), dtype=object),
                "n_points": self.n_points.astype(np.int64),
                "linearity": self.linearity,
                "breakthroughness": self.breakthroughness,
                "improvement": self.improvement,
            }
        )


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
        The curves, e.g. a :class:`~distscale.summary.SummaryCurves`.

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
            gaps.append(f"{name!r} at scales {format_labels(_labels(left_out))}")
        y = group["estimate"].to_numpy()[defined]
        n_points[i] = y.size
        if y.size < MIN_POINTS:
            short.append(name)
            continue
        core = _core(y[None, :])
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
    for bad, message in ((flat, _flat_message), (infinite, _infinite_message)):
        if bad:
            warnings.warn(
                message(f"the curves {format_labels(bad)} are"), DegenerateDataWarning, stacklevel=2
            )
    return CurveEmergence(
        statistics=tuple(names),
        n_points=_frozen(n_points),
        linearity=_frozen(lin),
        breakthroughness=_frozen(brk),
        improvement=_frozen(imp),
    )
