"""How far apart the parts of a mixture are: Ashman's D, and a point mass's distance.

A mixture component is only a separate *mode* when it stands apart from its
neighbours. Between two Gaussian components the measure is Ashman's D
(Ashman, Bird & Zepf 1994, AJ 108, 2348),

.. math:: D = \\sqrt{2}\\,|\\mu_1 - \\mu_2| / \\sqrt{\\sigma_1^2 + \\sigma_2^2},

with ``D > 2`` needed for a clean separation (the two-Gaussian density then
has two peaks and a trough between them). Between a point mass at ``b`` (a
pile of runs at exactly one value, e.g. returns of exactly 0) and a Gaussian
component the measure is the distance in that component's standard
deviations, ``|b - mu| / sigma``; the pile is a separate mode when this is at
least the same number as D must reach (2.25 by default in
:func:`distscale.modality_scan`): the Gaussian then puts less than about 1 %
of its mass beyond the pile, so the runs between the pile and the
component's bulk are few -- a gap. (Ashman's D with a zero-width component would ask only for
``|b - mu| / sigma >= sqrt(2)``, at which a continuous part that starts at
the pile -- a half-normal from 0 plus exact zeros, fitted by one Gaussian at
``|b - mu| / sigma`` about 1.3 -- would be counted as a second mode; 2.25 is
not.) Against several Gaussians the nearest, in its own sds,
counts. For values on a grid (a discrete metric) the component's sd is
widened by the grid step, so that values one step from the pile, which
discreteness alone puts there, never count as a gap.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ashman_d", "count_modes", "point_mass_separation"]


def ashman_d(means: np.ndarray, sds: np.ndarray) -> np.ndarray:
    """Ashman's D of two Gaussian components, along the last axis (length 2).

    ``D = sqrt(2) |mu_1 - mu_2| / sqrt(sigma_1^2 + sigma_2^2)``: the distance
    between the means in units of the root-mean-square sd; ``D > 2`` is
    needed for a clean separation.

    Examples
    --------
    >>> float(ashman_d([0.0, 4.0], [1.0, 1.0]))
    4.0
    """
    means = np.asarray(means, dtype=float)
    sds = np.asarray(sds, dtype=float)
    diff = np.abs(means[..., 1] - means[..., 0])
    return np.sqrt(2.0) * diff / np.sqrt(sds[..., 0] ** 2 + sds[..., 1] ** 2)


def point_mass_separation(
    locations: np.ndarray,
    weights: np.ndarray,
    means: np.ndarray,
    sds: np.ndarray,
    grid_step: float = 0.0,
) -> np.ndarray:
    """Distance of each point mass from the nearest Gaussian component, in its sds.

    ``min_j |b - mu_j| / sqrt(sigma_j**2 + h**2)`` over the Gaussians with
    positive weight, where ``h`` is the step of the grid the values lie on (a
    discrete metric such as exact match over 30 examples; 0 for continuous
    values): on a grid, the values next to a pile can sit one step away by
    discreteness alone, so a gap is measured against the step as well as the
    spread. ``inf`` when there is no Gaussian part (every value sits on a
    point mass).

    Examples
    --------
    >>> point_mass_separation(np.array([0.0]), np.array([0.6, 0.4]),
    ...                       np.array([3.0, 6.0]), np.array([1.0, 0.5])).tolist()
    [3.0]
    """
    locations = np.asarray(locations, dtype=float)
    means, sds, weights = (np.asarray(a, dtype=float) for a in (means, sds, weights))
    live = weights > 0
    if not live.any():
        return np.full(locations.shape, np.inf)
    scale = np.sqrt(sds[None, live] ** 2 + float(grid_step) ** 2)
    dist = np.abs(locations[:, None] - means[None, live]) / scale
    return dist.min(axis=1)


def count_modes(
    means: np.ndarray,
    sds: np.ndarray,
    weights: np.ndarray,
    separated_point_masses: int = 0,
    min_separation: float = 2.0,
) -> int:
    """Modes of a fitted mixture: separated groups of Gaussians, plus separated point masses.

    Gaussians sorted by mean merge into one mode while neighbours are closer
    than ``min_separation`` in Ashman's D; each separated point mass adds one.

    Examples
    --------
    >>> count_modes(np.array([0.0, 5.0]), np.array([1.0, 1.0]), np.array([0.5, 0.5]))
    2
    >>> count_modes(np.array([0.0, 1.0]), np.array([1.0, 1.0]), np.array([0.5, 0.5]), 1)
    2
    """
    means, sds, weights = (np.asarray(a, dtype=float) for a in (means, sds, weights))
    live = weights > 0
    order = np.argsort(means[live])
    m, s = means[live][order], sds[live][order]
    gaussian = 0 if m.size == 0 else 1
    for j in range(1, m.size):
        d = ashman_d(np.array([m[j - 1], m[j]]), np.array([s[j - 1], s[j]]))
        gaussian += int(d >= min_separation)
    return gaussian + int(separated_point_masses)
