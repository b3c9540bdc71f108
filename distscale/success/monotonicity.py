"""Test of the null hypothesis that the mean is monotone in scale.

:func:`monotonicity_test` is the reverse of :func:`distscale.trend_test`:
is there evidence that the (conditional) mean is *not* monotone in scale? Its
statistic is the studentised distance of the scale means to their isotonic
fit; its null distribution a bootstrap from the closest monotone world
(generalized moment selection). Both names are also importable from
:mod:`distscale.success.trend`.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.results import Result, frozen, scale_labels
from distscale._lib.validation import check_n_resamples, check_one_of, check_rng, format_labels
from distscale._lib.warnings import DegenerateDataWarning
from distscale.population import Population
from distscale.success.rank_tests import BLOCK, _isotonic
from distscale.success.subsets import load, per_scale_frame, select, validate_common

__all__ = ["MonotonicityTestResult", "monotonicity_test"]


def _flatten_levels(fit: np.ndarray, n: np.ndarray, sd: float, kappa: float) -> np.ndarray:
    """Merge adjacent level sets of an isotonic fit whose difference is within
    ``kappa`` standard errors (generalized moment selection, Andrews & Soares 2010)."""
    blocks: list[list[float]] = []  # [weight, mean, first scale, last scale]
    for i, (m, w) in enumerate(zip(fit, n, strict=True)):
        if blocks and blocks[-1][1] == m:
            blocks[-1][0] += w
            blocks[-1][3] = i
        else:
            blocks.append([float(w), float(m), i, i])
    while len(blocks) > 1 and sd > 0:
        t = [
            abs(b[1] - a[1]) / (sd * math.sqrt(1 / a[0] + 1 / b[0]))
            for a, b in itertools.pairwise(blocks)
        ]
        j = int(np.argmin(t))
        if t[j] >= kappa:
            break
        a, b = blocks[j], blocks[j + 1]
        w = a[0] + b[0]
        blocks[j : j + 2] = [[w, (a[0] * a[1] + b[0] * b[1]) / w, a[2], b[3]]]
    out = np.empty(len(fit))
    for _, m, first, last in blocks:
        out[first : last + 1] = m
    return out


def _distance(
    means: np.ndarray, n: np.ndarray, ss_within: np.ndarray, df: int, inc: bool, size: float
):
    """Studentised squared distance of the scale means to their isotonic fit, per row.

    ``size`` is the data's magnitude (``max |value|``): a sum of squares below
    ``(1e-12 size)**2`` per run is rounding, not spread, and counts as 0 -- so
    means that are monotone give 0 whatever their within-scale variance, and a
    variance of pure rounding never turns rounding in the means into evidence.
    """
    fit = _isotonic(means, n, increasing=inc)
    rss = np.einsum("j,ij->i", n, (means - fit) ** 2)
    tiny = (1e-12 * max(size, 1e-300)) ** 2 * float(np.sum(n))
    rss = np.where(rss > tiny, rss, 0.0)
    var = np.where(ss_within > tiny, ss_within, 0.0) / df
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, rss / var, np.where(rss > 0, np.inf, 0.0))


def _monotonicity_core(
    groups: list[np.ndarray],
    increasing: bool,
    n_resamples: int,
    gen,
    kappa: float | None = None,
    paired: bool = False,
) -> dict:
    n = np.array([g.size for g in groups], dtype=float)
    total, k = int(n.sum()), len(groups)
    # a constant group's mean is its value exactly (no rounding from summing)
    means = np.array([g[0] if np.ptp(g) == 0 else g.mean() for g in groups])
    resid = [g - m for g, m in zip(groups, means, strict=True)]
    ss = float(sum(np.sum(r * r) for r in resid))
    df = total - k
    size = float(max(np.max(np.abs(g)) for g in groups))
    d_obs = float(_distance(means[None], n, np.array([ss]), df, increasing, size)[0])
    fit = _isotonic(means[None], n, increasing)[0]
    if kappa is None:
        kappa = math.sqrt(math.log(total))
    null_means = _flatten_levels(fit, n, math.sqrt(ss / df), kappa)
    exceed = 0
    step = max(1, min(n_resamples, BLOCK // (4 * total)))
    for c in range(0, n_resamples, step):
        b = min(step, n_resamples - c)
        bm = np.empty((b, k))
        bss = np.zeros(b)
        # paired: one draw of seeds for every scale, so each seed's residuals move together
        shared = gen.integers(0, resid[0].size, size=(b, resid[0].size)) if paired else None
        for i, r in enumerate(resid):
            idx = shared if paired else gen.integers(0, r.size, size=(b, r.size))
            draw = r[idx]
            mu = draw.mean(axis=1)
            bm[:, i] = null_means[i] + mu
            bss += np.sum((draw - mu[:, None]) ** 2, axis=1)
        d_null = _distance(bm, n, bss, df, increasing, size)
        exceed += np.count_nonzero(d_null >= d_obs * (1 - 1e-9))
    return {
        "statistic": d_obs,
        "pvalue": (exceed + 1) / (n_resamples + 1),
        "means": means,
        "isotonic": fit,
        "null_means": null_means,
    }


@dataclass(frozen=True, eq=False)
class MonotonicityTestResult(Result):
    """Result of :func:`monotonicity_test`.

    Attributes
    ----------
    statistic : float
        ``sum_i n_i (mean_i - isotonic_i)**2 / s**2``: the squared distance of
        the scale means to their isotonic fit, in units of the pooled
        within-scale variance ``s**2``. 0 when the means are already monotone.
    pvalue : float
        Bootstrap p-value of the null "the mean is monotone in scale".
    direction, subset : str
    scales, n, means, isotonic : numpy.ndarray
        Per scale: runs used, mean, and isotonic fit in ``direction``.
    null_means : numpy.ndarray
        The monotone means the bootstrap resamples around (the isotonic fit,
        with adjacent levels closer than ``kappa`` standard errors merged).
    kappa : float
    n_resamples : int
    threshold : float or None
    higher_is_better : bool
    metric : hashable
    dropped_scales : tuple
    paired : bool
        The bootstrap resampled whole seeds across scales (a paired
        population, all runs).
    notes : tuple of str
        Caveats of the test in words.
    """

    statistic: float
    pvalue: float
    direction: str
    subset: str
    scales: np.ndarray
    n: np.ndarray
    means: np.ndarray
    isotonic: np.ndarray
    null_means: np.ndarray
    kappa: float
    n_resamples: int
    threshold: float | None
    higher_is_better: bool
    metric: Hashable
    dropped_scales: tuple
    paired: bool = False
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"MonotonicityTestResult(null: {self.direction} mean, subset={self.subset!r}, "
            f"statistic={self.statistic:.4g}, pvalue={self.pvalue:.4g}, "
            f"{len(self.scales)} scales)"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per scale: ``scale, n, mean, isotonic, violation, null_mean``."""
        return per_scale_frame(
            self.scales,
            self.n,
            mean=self.means,
            isotonic=self.isotonic,
            violation=np.asarray(self.means) - np.asarray(self.isotonic),
            null_mean=self.null_means,
        )



@fill_doc
def monotonicity_test(
    pop: Population | pd.DataFrame,
    *,
    subset: str = "all",
    threshold: float | None = None,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    direction: str = "increasing",
    n_resamples: int = 9999,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> MonotonicityTestResult:
    """Test the null hypothesis that the mean is monotone in scale.

    The reverse of :func:`~distscale.trend_test`: a small p-value is
    evidence that the (conditional) mean is *not* monotone in ``direction``
    -- a dip, a peak, a U shape.

    Parameters
    ----------
    %(pop)s
    subset : {"all", "success", "failure"}, default "all"
        Test the mean of all runs, or of the successful (failed) runs only;
        success as in :func:`~distscale.trend_test` (needs
        ``threshold``).
    threshold : float, optional
    %(higher_is_better)s
    %(metric)s
    direction : {"increasing", "decreasing"}, default "increasing"
        The monotone direction of the null hypothesis.
    n_resamples : int, default 9999
        Bootstrap resamples.
    %(rng)s
    %(columns)s

    Returns
    -------
    MonotonicityTestResult

    Raises
    ------
    ValueError
        Unknown ``direction``/``subset``; a subset without ``threshold``;
        fewer than 2 scales; a single run per scale (no within-scale
        variance).

    Warns
    -----
    DegenerateDataWarning
        A scale with no run of the subset (dropped); a scale with a single
        run (its uncertainty is not resampled); no within-scale variation.

    Notes
    -----
    Statistic: ``D = sum_i n_i (m_i - m*_i)^2 / s^2`` with ``m*`` the isotonic
    regression of the scale means ``m_i`` (weights ``n_i``) and ``s^2`` the
    pooled within-scale variance -- the likelihood-ratio statistic of ordered
    against unrestricted means (Robertson, Wright & Dykstra 1988, sec. 2.3).

    Null distribution: a bootstrap from the closest monotone world. Each scale
    keeps its own residuals ``y - m_i`` (so skewed, bimodal or
    heteroscedastic scales keep their shape), resampled within the scale and
    re-centred on ``m°_i``, and ``D`` is recomputed, studentised by the
    resample's own ``s``. ``m°`` is the isotonic fit with adjacent levels
    merged while they differ by less than ``kappa = sqrt(log N)`` standard
    errors (generalized moment selection, Andrews & Soares 2010): without
    that step a bootstrap around the isotonic fit alone is liberal where the
    true means are equal (the least favourable null), while always
    resampling around equal means (the least favourable configuration) is
    valid but loses most power when the means rise steeply. By simulation
    (6 scales, 8 or 20 seeds, normal or skewed errors; benchmarks/
    calibration_trend.py) the size at the least favourable null is
    0.045-0.055 at the 5% level.

    Examples
    --------
    >>> import numpy as np, distscale
    >>> rng = np.random.default_rng(0)
    >>> peak = {s: m + 0.1 * rng.standard_normal(20)
    ...         for s, m in zip([1, 2, 3, 4], [0.2, 0.6, 0.9, 0.5])}
    >>> res = distscale.monotonicity_test(distscale.Population.from_dict(peak),
    ...                                   n_resamples=999, rng=1)
    >>> bool(res.pvalue < 0.01)  # the mean falls after scale 3: not monotone
    True
    >>> res.to_frame().columns.tolist()
    ['scale', 'n', 'mean', 'isotonic', 'violation', 'null_mean']
    """
    check_one_of("direction", direction, ("increasing", "decreasing"))
    threshold, higher_is_better = validate_common(subset, threshold, higher_is_better)
    if subset != "all" and threshold is None:
        raise ValueError(f"subset={subset!r} needs a `threshold`")
    n_resamples = check_n_resamples(n_resamples)
    gen = check_rng(rng)
    pop, metric, samples = load(pop, metric, scale, seed, value)
    scales = pop.scales
    groups, kept = select(samples, scales, subset, threshold, higher_is_better)
    n = np.array([g.size for g in groups])
    if n.max() < 2:
        raise ValueError(
            "a monotonicity test needs at least one scale with 2 or more runs to estimate "
            "the within-scale variance; every scale has a single run"
        )
    if n.min() < 2:
        warnings.warn(
            f"scales {format_labels(scale_labels(scales[kept][n < 2]))} have a single run: "
            "their means are not resampled, so their uncertainty is not represented",
            DegenerateDataWarning,
            stacklevel=2,
        )
    if all(np.ptp(g) == 0 for g in groups):
        warnings.warn(
            "no run differs from the others at its scale (within-scale variance 0): "
            "the statistic is 0 for monotone means and infinite otherwise",
            DegenerateDataWarning,
            stacklevel=2,
        )
    kappa = math.sqrt(math.log(int(n.sum())))
    paired = bool(pop.paired and subset == "all")
    notes = ()
    if pop.paired and subset != "all":
        notes = (f"the {subset} subset of a paired population: its runs differ from scale to "
                 "scale, so seeds are resampled independently at each scale",)
    res = _monotonicity_core(groups, direction == "increasing", n_resamples, gen, kappa, paired)
    return MonotonicityTestResult(
        statistic=res["statistic"],
        pvalue=res["pvalue"],
        direction=direction,
        subset=subset,
        scales=frozen(scales[kept]),
        n=frozen(n),
        means=frozen(res["means"]),
        isotonic=frozen(res["isotonic"]),
        null_means=frozen(res["null_means"]),
        kappa=kappa,
        n_resamples=n_resamples,
        threshold=threshold,
        higher_is_better=higher_is_better,
        metric=metric,
        dropped_scales=tuple(scale_labels(scales[~kept])),
        paired=paired,
        notes=notes,
    )
