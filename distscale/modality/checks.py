"""Data diagnostics for mixture fits (private).

Shared by :mod:`distscale.modality.mixture` and :mod:`distscale.modality.scan`:
the piles that ``bounds="auto"`` turns into point masses; splitting a sample
into the values strictly inside the bounds and the point masses at them; tie
diagnostics (distinct values per row, a component collapsed onto one
repeated value, a pile of ties at an extreme); and component labels.
"""

from __future__ import annotations

import math

import numpy as np

from distscale._lib.validation import format_labels


def n_distinct(x: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Number of distinct values (with positive weight) in every row."""
    if w is not None:
        x = np.where(w > 0, x, np.nan)  # NaN sorts last and is never counted
    xs = np.sort(x, axis=1)
    finite = np.isfinite(xs)
    change = (xs[:, 1:] != xs[:, :-1]) & finite[:, 1:]
    return finite[:, 0].astype(np.int64) + change.sum(axis=1)


def has_distinct(x: np.ndarray, w: np.ndarray | None, k: int) -> np.ndarray:
    """Whether every row holds at least ``k`` distinct values (with positive weight).

    ``n_distinct(x, w) >= k`` for finite values (the populations' values);
    for ``k <= 2`` without sorting (two distinct values: the largest differs
    from the smallest), the bootstraps' hot path.

    Examples
    --------
    >>> x = np.array([[1.0, 1.0, 2.0], [3.0, 3.0, 3.0]])
    >>> has_distinct(x, None, 2).tolist(), has_distinct(x, np.array([[1, 1, 0]] * 2), 2).tolist()
    ([True, False], [False, False])
    """
    if k > 2:
        return n_distinct(x, w) >= k
    some = np.ones(x.shape[0], dtype=bool) if w is None else (w > 0).any(axis=1)
    if k <= 1:
        return some
    lo = x if w is None else np.where(w > 0, x, np.inf)
    hi = x if w is None else np.where(w > 0, x, -np.inf)
    return some & (hi.max(axis=1) > lo.min(axis=1))


def single_value_share(x: np.ndarray, resp: np.ndarray) -> np.ndarray:
    """Largest share of each component's weight that sits on one repeated value.

    ``x`` has shape ``(n,)`` and ``resp`` shape ``(k, n)``; values that occur
    only once are not counted (a component on one untied value is a spike
    that the variance floor already controls).
    """
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    mass = np.zeros((resp.shape[0], values.size))
    for j in range(resp.shape[0]):
        mass[j] = np.bincount(inverse, weights=resp[j], minlength=values.size)
    total = mass.sum(axis=1)
    tied = mass[:, counts >= 2]
    if tied.shape[1] == 0:
        return np.zeros(resp.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = tied.max(axis=1) / total
    return np.where(total > 0, share, 0.0)


def detect_grid(x: np.ndarray) -> tuple[float, float] | None:
    """``(origin, step)`` when ``x`` has ties and every value lies on one regular grid.

    The step is the smallest gap between distinct values, or that gap divided
    by 2 .. 10 (e.g. values 0, 0.002 and 0.005 lie on a 0.001 grid).
    Continuous data (no ties) give None.
    """
    u = np.unique(x)
    if u.size < 2 or u.size == x.size:
        return None
    gap = float(np.min(np.diff(u)))
    pos = (u - u[0]) / gap
    for m in range(1, 11):
        q = pos * m
        if np.max(np.abs(q - np.round(q))) <= 1e-6 * max(1.0, float(q[-1])) ** 0.5:
            return float(u[0]), gap / m
    return None


#: A pile (``bounds="auto"``): at least this many values, and at least
#: :data:`PILE_MIN_SHARE` of them, exactly at the sample's smallest or largest value.
PILE_MIN_COUNT = 3
PILE_MIN_SHARE = 0.05
#: On a grid (a discrete metric), the level of the one-sided binomial test that
#: the extreme value holds more runs than the rest of the sample puts in its cell.
PILE_EXCESS_ALPHA = 0.001


def pile_excess_pvalue(x: np.ndarray, value: float, count: int, step: float) -> float:
    """How surprising ``count`` runs at the extreme ``value`` are for a discrete metric.

    On a grid of step ``step``, the extreme value of a unimodal sample is
    often tied by chance: exact match over 10 examples puts every run at or
    below the smallest observed fraction in one cell. The cell of the
    smallest value is everything below its upper edge, ``value + step / 2``
    (of the largest, everything above ``value - step / 2``). A Gaussian fitted
    to the other values, its variance widened by ``step ** 2`` for the
    rounding, gives the cell's probability ``q``; the p-value is
    ``P(Binomial(n, q) >= count)``.

    Calibration (``benchmarks/calibration_verdicts.py`` has the verdicts that
    rest on it): at :data:`PILE_EXCESS_ALPHA` = 0.001, 2,000 unimodal samples
    of 48 runs call a pile in 0.5 % (exact match over 30 examples,
    beta-binomial), 0.4 % (over 10 examples) and 1.0 % (a skewed gamma on
    the 1/30 grid), while 10-33 % of exact zeros below a hump are found as
    often as they reach ``max(3, 5 %)`` runs at all.

    Examples
    --------
    Four runs at the smallest value of exact match over 10 examples are the
    tail; six zeros below a hump at 0.7 are a pile:

    >>> x = np.array([2] * 4 + [3] * 9 + [4] * 14 + [5] * 12 + [6] * 7 + [7] * 2) / 10
    >>> round(pile_excess_pvalue(x, 0.2, 4, 0.1), 3)
    0.639
    >>> y = np.array([0] * 6 + [6] * 10 + [7] * 20 + [8] * 12) / 10
    >>> pile_excess_pvalue(y, 0.0, 6, 0.1) < 1e-6
    True
    """
    from scipy.special import ndtr
    from scipy.stats import binom

    rest = x[x != value]
    mean = float(np.mean(rest)) if rest.size else float(value)
    sd = float(np.std(rest, ddof=1)) if rest.size > 1 else 0.0
    spread = math.hypot(sd, step)
    if spread <= 0:
        return 0.0
    if value <= mean:
        q = float(ndtr((value + step / 2 - mean) / spread))
    else:
        q = float(ndtr((mean - value + step / 2) / spread))
    return float(binom.sf(count - 1, x.size, q))


def auto_bounds(x: np.ndarray) -> tuple[tuple[float, float] | None, str]:
    """Point masses where values pile up at the sample's extremes, and a note saying so.

    A pile is the smallest (largest) value repeated by at least
    ``max(PILE_MIN_COUNT, PILE_MIN_SHARE * n)`` values: exact zeros of a
    return or an accuracy, exact ones of a solved task. Continuous values tie
    only where something put them there; values on a grid (a discrete metric,
    :func:`detect_grid`) also tie by chance, so there the extreme value must
    hold more runs than the rest of the sample puts in its cell
    (:func:`pile_excess_pvalue` below :data:`PILE_EXCESS_ALPHA`). Returns
    ``(lo, hi)`` with ``-inf``/``inf`` for an end without a pile, or None
    without piles.

    Examples
    --------
    >>> auto_bounds(np.array([0, 0, 0, 0.41, 0.53, 0.62, 0.77]))
    ((0.0, inf), '3 of 7 values sit exactly at the smallest value 0: a point mass there')
    >>> auto_bounds(np.array([0.1, 0.2, 0.3]))
    (None, '')
    """
    n = x.size
    if n == 0:
        return None, ""
    need = max(PILE_MIN_COUNT, math.ceil(PILE_MIN_SHARE * n))
    grid = detect_grid(x)
    lo, hi, notes = -math.inf, math.inf, []
    vmin, vmax = float(x.min()), float(x.max())
    for name, v in (("smallest", vmin), ("largest", vmax)):
        if name == "largest" and v == vmin:
            break
        count = int(np.sum(x == v))
        if count < need:
            continue
        if grid is not None and pile_excess_pvalue(x, v, count, grid[1]) >= PILE_EXCESS_ALPHA:
            continue  # the tail of a discrete metric, tied by chance
        if name == "smallest":
            lo = v
        else:
            hi = v
        notes.append(f"{count} of {n} values sit exactly at the {name} value {v:g}")
    if not notes:
        return None, ""
    return (lo, hi), "; ".join(notes) + (": a point mass there" if len(notes) == 1 else
                                         ": point masses there")


def resolve_bounds(x: np.ndarray, bounds: object) -> tuple[tuple[float, float] | None, str]:
    """``bounds`` for one sample: detected piles for ``"auto"``, else as given (checked)."""
    if isinstance(bounds, str):  # "auto" (the constraint allows no other string)
        return auto_bounds(x)
    return bounds, ""


def split_bounds(
    x: np.ndarray, bounds: tuple[float, float] | None, name: str = "x"
) -> tuple[np.ndarray, list[float], list[np.ndarray]]:
    """Inside-mask, point-mass locations and their masks; checks values lie in bounds."""
    if bounds is None:
        return np.ones(x.shape, dtype=bool), [], []
    lo, hi = bounds
    outside = np.flatnonzero((x < lo) | (x > hi))
    if outside.size:
        raise ValueError(
            f"`{name}` has {outside.size} values outside `bounds` ({lo:g}, {hi:g}) at "
            f"positions {format_labels(outside.tolist())}"
        )
    locs, masks = [], []
    for b in (lo, hi):
        if math.isfinite(b):
            mask = x == b
            if mask.any():
                locs.append(b)
                masks.append(mask)
    inside = np.ones(x.shape, dtype=bool)
    for mask in masks:
        inside &= ~mask
    return inside, locs, masks


def pile_up(x: np.ndarray, bounds: tuple[float, float] | None) -> str | None:
    """Describe a pile of tied values at the smallest or largest value, if any.

    A pile is the extreme value repeated by at least ``max(3, 10%)`` of the
    values, where that extreme is not a bound (values at a bound are point
    masses already). Exact 0s or 1s of an accuracy passed without ``bounds``
    are the usual cause.
    """
    n = x.size
    need = max(3, math.ceil(0.1 * n))
    found = []
    for name, v in (("smallest", float(x.min())), ("largest", float(x.max()))):
        if bounds is not None and v in bounds:
            continue
        count = int(np.sum(x == v))
        if count >= need and (not found or v != found[-1][1]):
            found.append((name, v, count))
    if not found:
        return None
    return "; ".join(f"{c} of {n} values sit exactly at the {nm} value {v:g}" for nm, v, c in found)


def component_labels(k: int) -> tuple[str, ...]:
    """Labels of Gaussian components sorted by mean."""
    if k == 1:
        return ("single",)
    if k == 2:
        return ("low", "high")
    if k == 3:
        return ("low", "middle", "high")
    return tuple(f"c{j + 1}" for j in range(k))


def point_label(location: float) -> str:
    return f"at {location:g}"

