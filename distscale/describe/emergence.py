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
:func:`distscale.summary_curves`
(both defined in :mod:`distscale.describe.emergence_curves`).

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

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.results import Result
from distscale._lib.validation import check_finite_array, format_labels
from distscale._lib.warnings import DegenerateDataWarning
from distscale.describe.emergence_core import (
    MIN_POINTS,
    flat_message,
    infinite_message,
    score_curves,
)
from distscale.describe.emergence_curves import (
    CurveEmergence,
    PerSeedEmergence,
    curve_emergence,
    per_seed_emergence,
)

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
@dataclass(frozen=True, eq=False, repr=False)
class EmergenceScores(Result):
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
    core = score_curves(v[None, :])
    if core.flat[0]:
        warnings.warn(flat_message("`y` is"), DegenerateDataWarning, stacklevel=3)
    elif want_breakthroughness and core.infinite[0]:
        warnings.warn(infinite_message("`y` is"), DegenerateDataWarning, stacklevel=3)
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
