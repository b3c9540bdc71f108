"""The isotonic model of :func:`distscale.success_curve`: a monotone fit without a shape.

The observed fractions are fitted by weighted pool-adjacent-violators
(weights = runs per scale, :func:`scipy.optimize.isotonic_regression`),
increasing or decreasing, whichever has the smaller weighted squared error
(increasing on a tie). The band at each observed scale and the ``x50``
interval come from a seed bootstrap; its goodness of fit from a parametric
bootstrap of the deviance (:mod:`distscale.success.goodness`), with
``df = scales - distinct fitted levels`` (the effective degrees of freedom
of isotonic regression, Meyer & Woodroofe 2000).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize

from distscale._lib.results import ConfidenceInterval, frozen, scale_labels
from distscale._lib.validation import format_labels
from distscale._lib.warnings import DegenerateDataWarning
from distscale.resampling.bootstrap import bootstrap, warn_zero_width
from distscale.success.goodness import deviance_test, isotonic_refit, undefined
from distscale.success.logistic import fit_stats, to_scale, warn_no_crossing

__all__ = ["crossing_t", "fit_isotonic"]


def _isotonic_rows(props: np.ndarray, n: np.ndarray, increasing: bool) -> np.ndarray:
    return np.array(
        [optimize.isotonic_regression(r, weights=n, increasing=increasing).x for r in props]
    )


def crossing_t(t: np.ndarray, f: np.ndarray, increasing: bool) -> float:
    """Where a monotone piecewise-linear curve through ``(t, f)`` crosses 0.5 (NaN if it does not).

    When the curve equals 0.5 on a flat stretch, its midpoint.

    Examples
    --------
    >>> import numpy as np
    >>> crossing_t(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.4, 0.8]), True)
    1.25
    """
    if not increasing:
        return -crossing_t(-t[::-1], f[::-1], True)
    if not f[0] <= 0.5 <= f[-1]:
        return np.nan
    lo_i = int(np.argmax(f >= 0.5))  # first point at or above 0.5
    lo = t[0] if lo_i == 0 else np.interp(0.5, f[lo_i - 1 : lo_i + 1], t[lo_i - 1 : lo_i + 1])
    hi_i = len(f) - 1 - int(np.argmax(f[::-1] <= 0.5))  # last point at or below 0.5
    if hi_i == len(f) - 1:
        hi = t[-1]
    else:
        seg_f, seg_t = f[hi_i : hi_i + 2], t[hi_i : hi_i + 2]
        hi = np.interp(0.5, seg_f, seg_t) if seg_f[1] > seg_f[0] else seg_t[0]
    return float((lo + hi) / 2)


def fit_isotonic(
    wins: list[np.ndarray],
    t: np.ndarray,
    y: np.ndarray,
    n: np.ndarray,
    common: dict,
    n_resamples: int,
    generator: np.random.Generator,
    gof_resamples: int,
) -> dict:
    """Monotone fit of the observed fractions, with a seed-bootstrap band and x50 interval.

    Returns the model-specific fields of a :class:`~distscale.SuccessCurve`.
    """
    obs = y / n
    fits = {inc: _isotonic_rows(obs[None, :], n, inc)[0] for inc in (True, False)}
    sse = {inc: float(np.sum(n * (obs - f) ** 2)) for inc, f in fits.items()}
    increasing = sse[True] <= sse[False]
    fitted = fits[increasing]

    def statistic(*resamples: np.ndarray) -> np.ndarray:
        props = np.column_stack([r.mean(axis=-1) for r in resamples])
        iso = _isotonic_rows(props, n, increasing)
        cross = [crossing_t(t, row, increasing) for row in iso]
        return np.column_stack([iso, cross])

    boot = bootstrap(
        [w.astype(float) for w in wins],
        statistic,
        n_resamples=n_resamples,
        confidence_level=common["confidence_level"],
        rng=generator,
    )
    k = len(t)
    x = common["x"]
    t50 = crossing_t(t, fitted, increasing)
    if np.isnan(t50):
        x50, x50_ci, crossings, crossing_cis = np.nan, ConfidenceInterval(np.nan, np.nan), (), ()
        warn_no_crossing(fitted.min(), fitted.max(), stacklevel=5)
    else:
        x50 = to_scale(t50, x)
        x50_ci = ConfidenceInterval(
            to_scale(boot.ci_low[k], x),
            to_scale(boot.ci_high[k], x),
            level=boot.confidence_level,
            method=f"bootstrap {boot.method}",
        )
        crossings, crossing_cis = (x50,), (x50_ci,)
        if boot.n_valid[k] < n_resamples:
            warnings.warn(
                f"the isotonic fit crosses 0.5 within the observed scales in only "
                f"{boot.n_valid[k]} of {n_resamples} bootstrap resamples; the x50 interval is "
                "conditional on a crossing",
                DegenerateDataWarning,
                stacklevel=4,
            )
    zero = boot.degenerate[:k]
    if zero.any():
        labels = scale_labels(common["scales"])
        warn_zero_width(
            {"p_success": format_labels([labels[i] for i in np.flatnonzero(zero)])}, stacklevel=4
        )
    empty = frozen(np.zeros(0))
    levels = len(np.unique(fitted))
    fit = fit_stats(y, n, fitted, levels)
    if levels >= k and 0 < y.sum() < n.sum():
        gof = undefined(
            k - levels,
            "the isotonic fit reproduces every observed fraction (they are monotone): it has "
            "as many levels as scales, so no degrees of freedom are left to test its fit",
        )
    else:
        gof = deviance_test(
            y, n, fitted, levels, refit=isotonic_refit(n), rng=generator,
            n_resamples=gof_resamples, always_bootstrap=True, what="the isotonic fit",
        )
    return {
        "penalty": None,
        "penalty_reason": "",
        "separation": False,
        "coef_names": (),
        "coef": empty,
        "coef_se": empty,
        "coef_ci": ConfidenceInterval(empty, empty),
        "ci_method": "bootstrap",
        **fit,
        "penalized_loglik": fit["loglik"],
        "x50": x50,
        "x50_ci": x50_ci,
        "crossings": crossings,
        "crossing_cis": crossing_cis,
        "n_resamples": n_resamples,
        "goodness_of_fit": gof,
        "_state": {
            "t": t,
            "fitted": fitted,
            "band_low": boot.ci_low[:k],
            "band_high": boot.ci_high[:k],
            "increasing": increasing,
        },
    }
