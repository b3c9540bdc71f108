"""The vectorised engine behind the BIG-bench emergence scores.

:func:`score_curves` computes ``I(y)``, linearity and breakthroughness of many
curves at once (rows of one array, all on the same number of points) with
the conventions stated in :mod:`distscale.describe.emergence`; also the warning texts
and label formatting shared by :mod:`distscale.describe.emergence` (one curve) and
:mod:`distscale.describe.emergence_curves` (per-seed and summary curves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Fewest points a curve needs (with 2, both scores are always ±1).
MIN_POINTS = 3


@dataclass(frozen=True)
class _Core:
    """Scores of k curves (rows), all arrays of shape (k,)."""

    improvement: np.ndarray
    linearity: np.ndarray
    breakthroughness: np.ndarray
    flat: np.ndarray
    infinite: np.ndarray


def score_curves(y: np.ndarray) -> _Core:
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


def flat_message(what: str) -> str:
    return (
        f"{what} flat (every successive difference is 0): I(y) = 0 and both scores are 0/0; "
        "they are reported as 0.0 by convention"
    )


def infinite_message(what: str) -> str:
    return (
        f"{what} flat over more than half of the steps, so median(Δy²) = 0 while I(y) ≠ 0: "
        "breakthroughness is ±inf (an ideal step)"
    )


def plain_labels(values: Sequence[object]) -> list[object]:
    out = []
    for v in values:
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            out.append(int(v))
        elif isinstance(v, np.generic):
            out.append(v.item())
        else:
            out.append(v)
    return out
