"""The decision rules of the modality scan (private; see :func:`distscale.modality_scan`).

Holm's adjustment of the scales' p-values (statsmodels), the number of
bootstrap replicates Holm needs to reach ``alpha``, and when a pile (a point
mass) is a mode of its own.
"""

from __future__ import annotations

import math

import numpy as np

from distscale.modality.results import MixtureFit
from distscale.modality.separation import point_mass_separation

__all__ = ["holm", "lrt_resamples", "pile_is_mode"]


def lrt_resamples(n_tested: int, alpha: float) -> int:
    """Replicates per test so that Holm over ``n_tested`` scales can reach ``alpha``.

    Holm's smallest adjusted p-value is ``n_tested`` times the smallest
    p-value, and a Monte Carlo p-value is at least ``1 / (B + 1)``; so
    ``B + 1`` must be at least ``n_tested / alpha`` for any scale to be
    detected at all. Twice that (rounded up to ``100 m - 1``, at least 199)
    leaves room for the test's power; the sequential stop keeps unimodal
    scales cheap.

    Examples
    --------
    >>> lrt_resamples(6, 0.05), lrt_resamples(50, 0.05)
    (299, 2099)
    """
    need = math.ceil(2 * max(n_tested, 1) / alpha)
    return max(199, 100 * math.ceil((need + 1) / 100) - 1)


def holm(pvalues: object) -> np.ndarray:
    """Holm's step-down adjusted p-values; NaN entries are left out of the family.

    The adjustment is statsmodels' ``multipletests(method="holm")`` over the
    finite p-values; a NaN (a scale that was not tested) stays NaN and does
    not count towards the family size.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, float("nan")]).round(3).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


def pile_is_mode(
    location: float,
    count: int,
    n: int,
    fit: MixtureFit | None,
    min_separation: float | None,
    confidence_level: float,
    grid_step: float = 0.0,
) -> tuple[bool, str]:
    """Is a pile (point mass) of ``count`` of ``n`` runs at ``location`` a mode of its own?

    Two conditions. (1) Its weight's seed-bootstrap interval excludes 0:
    resampling ``n`` runs with replacement puts ``Binomial(n, count / n)`` of
    them on the pile, so the percentile interval's lower end is above 0 exactly
    when ``(1 - count / n) ** n < (1 - confidence_level) / 2``. (2) It stands
    apart from the continuous part: at least ``min_separation`` sds of the
    nearest Gaussian component away, the sd widened by ``grid_step`` for a
    discrete metric (see :mod:`distscale.modality.separation`; not required
    when ``min_separation`` is None). Returns the decision and a
    sentence for the scale's notes.
    """
    share = count / n
    weight_ok = (1.0 - share) ** n < (1.0 - confidence_level) / 2
    if fit is None or fit.n_components == 0 or fit.n_continuous == 0:
        distance = math.inf
    else:
        distance = float(point_mass_separation(
            np.array([location]), fit.weights, fit.means, fit.sds, grid_step
        )[0])
    apart = min_separation is None or distance >= min_separation
    where = f"pile at {location:g} ({count} of {n} runs)"
    if not weight_ok:
        return False, f"{where}: too few runs to be a mode (its weight's interval reaches 0)"
    if not apart:
        return False, (f"{where}: {distance:.2g} sd from the continuous part (< "
                       f"{min_separation:g}): the edge of the same mode, not a mode of its own")
    gap = "no continuous part" if math.isinf(distance) else (
        f"{distance:.2g} sd from the continuous part")
    return True, f"{where}: a mode of its own ({gap})"
