"""Where the change of the mean comes from, according to the law, beside the data's own split.

:func:`decompose_law_mean` reads, at every fitted scale, the law's
probability of success ``p``, mean of the successful runs ``ms`` and mean of
the failed runs ``mf`` (all under the threshold rule, from the fitted
predictive distribution), and splits the change of the mean ``p ms + (1 -
p) mf`` between successive scales exactly into a P(success) part and the
parts of the successful and the failed runs -- the identity of
:func:`distscale.describe.decompose_mean`, whose empirical split of the same
runs it reports beside. The law's intervals come from its bootstrap
replicates (the same seeds resampled), so the two can be compared: the law
smooths the per-scale means through its lines in ``ln(scale)``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from distscale._lib.results import ConfidenceInterval, Result, frozen
from distscale._lib.validation import Integer, check_rng
from distscale._lib.warnings import DegenerateDataWarning
from distscale.describe.decomposition import (
    PARTS,
    MeanDecomposition,
    decompose_mean,
    split_steps,
)
from distscale.law.predictive import PredictiveDistribution, bc_band

__all__ = ["LawMeanDecomposition", "decompose_law_mean", "group_means"]

_GL_T, _GL_W = np.polynomial.legendre.leggauss(64)


def _partial(pred: PredictiveDistribution, m: np.ndarray, s: np.ndarray, zt: float,
             upper: bool) -> np.ndarray:
    """``E[T^-1(Z) 1{Z > zt}]`` (``upper``) or ``1{Z < zt}`` for ``Z ~ N(m, s^2)``.

    Gauss-Legendre quadrature in probability space over the region.
    """
    c = special.ndtr((zt - m) / s)
    a, b = (c, np.ones_like(c)) if upper else (np.zeros_like(c), c)
    u = a[..., None] + (b - a)[..., None] * (_GL_T + 1) / 2
    u = np.clip(u, 1e-300, 1 - 1e-16)
    z = m[..., None] + s[..., None] * special.ndtri(u)
    vals = pred.transform.inverse(z)
    return (b - a) / 2 * (vals * _GL_W).sum(axis=-1)


def group_means(pred: PredictiveDistribution) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p, ms, mf)`` of one seed under every row of the law: arrays ``(rows, scales)``.

    ``ms``/``mf`` are NaN where ``p`` is 0/1 to machine precision.
    """
    wpf, wcf, wcs, wps = pred._weights()
    par = pred.params
    zt = float(pred.transform.forward(np.array([pred.threshold]))[0])
    up = pred.higher_is_better
    succ_sum = np.zeros_like(wcf)
    fail_sum = np.zeros_like(wcf)
    p = np.zeros_like(wcf)
    for w, v, succ in ((wpf, pred.pile_failure, False), (wps, pred.pile_success, True)):
        if math.isfinite(v):
            if succ:
                succ_sum += w * v
                p += w
            else:
                fail_sum += w * v
    for w, m, s in ((wcf, par["mF"], par["sF"]), (wcs, par["mS"], par["sS"])):
        sign = 1.0 if up else -1.0
        ps = special.ndtr(sign * (m - zt) / s)
        p += w * ps
        succ_sum += np.where(w > 0, w * _partial(pred, m, s, zt, up), 0.0)
        fail_sum += np.where(w > 0, w * _partial(pred, m, s, zt, not up), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ms = np.where(p > 1e-12, succ_sum / p, np.nan)
        mf = np.where(p < 1 - 1e-12, fail_sum / (1 - p), np.nan)
    return np.clip(p, 0, 1), ms, mf


def split_changes(p: np.ndarray, ms: np.ndarray, mf: np.ndarray) -> np.ndarray:
    """The exact midpoint split of each step's change: ``(rows, steps + 1, 4)``.

    :func:`distscale.describe.decomposition.split_steps` for every step, and
    a last row that sums them (smallest to largest scale).
    """
    steps = split_steps(p, ms, mf)
    return np.concatenate([steps, steps.sum(axis=1, keepdims=True)], axis=1)


@dataclass(frozen=True, eq=False, repr=False)
class LawMeanDecomposition(Result):
    """The split of the mean's change into P(success) and within-part parts, law and data.

    Attributes
    ----------
    scale_from, scale_to : numpy.ndarray
        The steps between successive fitted scales, then (last row) the
        smallest to the largest scale.
    estimates, ci_low, ci_high : numpy.ndarray
        The law's split, shape ``(n_steps + 1, 4)``, columns
        ``change, p_success, mean_success, mean_failure``; bias-corrected
        bootstrap intervals from the law's replicates.
    share : float
        The law's share of the overall change due to P(success).
    share_ci : ConfidenceInterval
    empirical : MeanDecomposition
        :func:`distscale.describe.decompose_mean` of the same runs.
    metric : hashable
    confidence_level : float
    """

    scale_from: np.ndarray
    scale_to: np.ndarray
    estimates: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    share: float
    share_ci: ConfidenceInterval
    empirical: MeanDecomposition
    metric: Hashable
    confidence_level: float

    def __repr__(self) -> str:
        return (f"LawMeanDecomposition({len(self.scale_from) - 1} steps: share due to "
                f"P(success) {self.share:.3g} by the law, {self.empirical.share:.3g} by the data)")

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: ``scale_from, scale_to, part, source, estimate, ci_low, ci_high``
        (``source``: ``"law"`` or ``"empirical"``)."""
        k = len(PARTS)
        n = len(self.scale_from)
        law = pd.DataFrame({
            "scale_from": np.repeat(self.scale_from, k), "scale_to": np.repeat(self.scale_to, k),
            "part": pd.Series(list(PARTS) * n, dtype=object), "source": "law",
            "estimate": self.estimates.ravel(), "ci_low": self.ci_low.ravel(),
            "ci_high": self.ci_high.ravel(),
        })  # fmt: skip
        emp = self.empirical.to_frame().assign(source="empirical")
        return pd.concat([law, emp[law.columns]], ignore_index=True)


def _split_rng(law: object, rng: object) -> np.random.Generator:
    """``rng`` checked; for None, a stream derived from the law's integer ``rng`` if it has one."""
    own = getattr(law, "rng", None)
    if rng is None and isinstance(own, numbers.Integral) and not isinstance(own, bool):
        return np.random.default_rng([int(own), 1])  # not the fit's own stream
    return check_rng(rng)


def decompose_law_mean(law: object, *, n_resamples: int | None = None,
                       rng: object = None) -> LawMeanDecomposition:
    """The law's split of the mean's change across its fitted scales, beside the data's.

    Parameters
    ----------
    law : DistributionalScalingLaw
        Fitted; its bootstrap replicates give the intervals.
    n_resamples : int, optional
        Resamples of the empirical split (default: the law's, at least 2).
    rng : int, numpy.random.Generator or None
        Draws the empirical split's resamples. None: a stream derived from
        the law's own ``rng`` when that is an integer (so one fitted law gives
        the same intervals on every call), fresh entropy otherwise.

    Returns
    -------
    LawMeanDecomposition

    Examples
    --------
    >>> import distscale as ds
    >>> pop = ds.datasets.load_count_population().select(metric="exact_match")
    >>> law = ds.law.DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=50,
    ...                                   rng=0).fit(pop)
    >>> dec = law.decompose_mean(rng=0)
    >>> bool(abs(dec.estimates[-1, 0] - dec.empirical.estimates[-1, 0]) < 0.01)
    True
    """
    law._check_fitted()
    if getattr(law, "population_", None) is None:
        raise ValueError("this law has no data (made by law_from_params): nothing to split")
    pred = law.predict(law.scales_)
    p, ms, mf = group_means(pred)
    parts = split_changes(p, ms, mf)  # (rows, steps + 1, 4)
    level = law.confidence_level_
    lo, hi = bc_band(parts, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(parts[:, -1, 0] != 0, parts[:, -1, 1] / parts[:, -1, 0], np.nan)
    s_lo, s_hi = bc_band(share[:, None], level)
    b = max(2, law.n_resamples_) if n_resamples is None else Integer(minimum=2)(
        "n_resamples", n_resamples)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        emp = decompose_mean(law.population_, threshold=law.threshold_,
                             higher_is_better=law.higher_is_better_, metric=law.metric_,
                             n_resamples=b, confidence_level=level, rng=_split_rng(law, rng))
    scales = law.scales_
    return LawMeanDecomposition(
        scale_from=frozen(np.r_[scales[:-1], scales[0]]),
        scale_to=frozen(np.r_[scales[1:], scales[-1]]),
        estimates=frozen(parts[0]), ci_low=frozen(lo), ci_high=frozen(hi),
        share=float(share[0]),
        share_ci=ConfidenceInterval(float(s_lo[0]), float(s_hi[0]), level=level, method="bc"),
        empirical=emp, metric=law.metric_, confidence_level=level,
    )
