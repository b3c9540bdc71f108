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


#: A pile (``bounds="auto"``): at least this many values, and at least
#: :data:`PILE_MIN_SHARE` of them, exactly at the sample's smallest or largest value.
PILE_MIN_COUNT = 3
PILE_MIN_SHARE = 0.05


def auto_bounds(x: np.ndarray) -> tuple[tuple[float, float] | None, str]:
    """Point masses where values pile up at the sample's extremes, and a note saying so.

    A pile is the smallest (largest) value repeated by at least
    ``max(PILE_MIN_COUNT, PILE_MIN_SHARE * n)`` values: exact zeros of a
    return or an accuracy, exact ones of a solved task. Returns ``(lo, hi)``
    with ``-inf``/``inf`` for an end without a pile, or None without piles.

    Examples
    --------
    >>> auto_bounds(np.array([0, 0, 0, 0.4, 0.5, 0.6, 0.7]))
    ((0.0, inf), '3 of 7 values sit exactly at the smallest value 0: a point mass there')
    >>> auto_bounds(np.array([0.1, 0.2, 0.3]))
    (None, '')
    """
    n = x.size
    if n == 0:
        return None, ""
    need = max(PILE_MIN_COUNT, math.ceil(PILE_MIN_SHARE * n))
    lo, hi, notes = -math.inf, math.inf, []
    vmin, vmax = float(x.min()), float(x.max())
    for name, v in (("smallest", vmin), ("largest", vmax)):
        if name == "largest" and v == vmin:
            break
        count = int(np.sum(x == v))
        if count >= need:
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

