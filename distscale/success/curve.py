"""Probability of success against scale: a separation-safe binomial fit.

:func:`success_curve` counts, at every scale, how many seeds succeed
(value above a threshold, as in :func:`distscale.summary_curves`) and fits
``P(success)`` against log-scale (or scale) by logistic regression on the
grouped binomial counts, by a quadratic logistic model (for U-shaped or
inverted-U curves), or by a monotone isotonic fit.

Emergence data are usually *separated* -- no run succeeds below some scale
and every run succeeds above it -- and then the maximum-likelihood estimate
does not exist: the slope runs off to infinity and Wald intervals cover
``[0, 1]``. Separation is detected exactly with the linear program of Konis
(2007), and the fit then switches to Firth's (1993) penalised likelihood
with profile penalised-likelihood intervals, as R's ``logistf`` does
(Heinze & Schemper 2002). That machinery -- the penalised binomial engine,
separation detection and profile-likelihood intervals -- is in
:mod:`distscale.success.logistic`; this module holds the result object, the
public function and the isotonic fit.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from distscale._lib.docs import fill_doc
from distscale._lib.results import ConfidenceInterval, Result, frozen, scale_labels
from distscale._lib.success_rule import rule_text, success_mask
from distscale._lib.validation import (
    check_bool,
    check_confidence_level,
    check_finite_array,
    check_n_resamples,
    check_one_of,
    check_rng,
    check_threshold,
    format_labels,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.population import Population, as_population
from distscale.resampling.bootstrap import bootstrap, warn_zero_width
from distscale.success.logistic import (
    _design,
    fit_parametric,
    fit_stats,
    profile_bounds,
    to_scale,
    warn_no_crossing,
)

__all__ = ["SuccessCurve", "success_curve"]

MODELS = ("logistic", "quadratic", "isotonic")


# ------------------------------------------------------------------------- result object
@dataclass(frozen=True, eq=False)
class SuccessCurve(Result):
    """A fitted curve of the probability that a run succeeds, against scale.

    Returned by :func:`success_curve`. Arrays are read-only.

    Attributes
    ----------
    scales : numpy.ndarray
        Sorted scales.
    successes, n : numpy.ndarray
        Successful runs and runs (seeds) at each scale.
    model : str
        ``"logistic"``, ``"quadratic"`` or ``"isotonic"``.
    x : str
        ``"log"`` (covariate ``t = ln(scale)``) or ``"linear"`` (``t = scale``).
    penalty : str or None
        ``"firth"`` when Firth's penalised likelihood was used, else None.
    penalty_reason : str
        Why: separation detected, requested, or empty for a plain fit.
    separation : bool
        Whether the data are (quasi-)completely separated, so that the
        maximum-likelihood estimate does not exist (always False for
        ``model="isotonic"``).
    coef_names : tuple of str
        ``("intercept", "slope")`` or ``("intercept", "linear", "quadratic")``
        in ``logit P = b0 + b1 t (+ b2 t^2)``; empty for isotonic.
    coef, coef_se : numpy.ndarray
        Estimates and standard errors (inverse Fisher information at the
        estimate; for Firth the penalised fit's, as ``logistf``'s ``vcov``).
    coef_ci : ConfidenceInterval
        Arrays of lower and upper limits, by :attr:`ci_method`.
    ci_method : str
        ``"profile"`` (profile (penalised) likelihood), ``"wald"`` (only for
        a plain fit of separated data, ``penalty=None``) or ``"bootstrap"``
        (isotonic).
    loglik : float
        Binomial log-likelihood at the estimates (with the binomial
        coefficients, as statsmodels).
    penalized_loglik : float
        ``loglik + log det(I) / 2`` for Firth fits, else equal to ``loglik``.
    deviance, aic : float
        Residual deviance against the saturated model, and
        ``-2 loglik + 2 df``; comparable between logistic and quadratic fits
        of the same data.
    df : int
        Parameters (for isotonic, the number of distinct fitted levels).
    x50 : float
        Scale at which the fitted P(success) crosses 0.5 inside the observed
        range of scales (the lowest such scale for a quadratic); NaN when it
        does not cross there.
    x50_ci : ConfidenceInterval
        Interval for ``x50`` (see :func:`success_curve`); may reach beyond
        the observed scales, and is infinite (0 for a lower limit on the log
        axis) when unbounded.
    crossings : tuple of float
        Every crossing of 0.5 inside the observed range (a quadratic can
        have two).
    crossing_cis : tuple of ConfidenceInterval
        One interval per crossing.
    threshold : float
    higher_is_better : bool
    metric, scale_name : hashable
    confidence_level : float
    n_resamples : int or None
        Bootstrap resamples (isotonic only).
    """

    scales: np.ndarray
    successes: np.ndarray
    n: np.ndarray
    model: str
    x: str
    penalty: str | None
    penalty_reason: str
    separation: bool
    coef_names: tuple[str, ...]
    coef: np.ndarray
    coef_se: np.ndarray
    coef_ci: ConfidenceInterval
    ci_method: str
    loglik: float
    penalized_loglik: float
    deviance: float
    aic: float
    df: int
    x50: float
    x50_ci: ConfidenceInterval
    crossings: tuple[float, ...]
    crossing_cis: tuple[ConfidenceInterval, ...]
    threshold: float
    higher_is_better: bool
    metric: Hashable
    scale_name: Hashable
    confidence_level: float
    n_resamples: int | None = None
    _state: dict = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        fit = self.model + (" (Firth)" if self.penalty == "firth" else "")
        x50 = "nan" if np.isnan(self.x50) else f"{self.x50:.4g}"
        return (
            f"SuccessCurve({fit} in {self.x} scale, {len(self.scales)} scales, "
            f"{int(self.successes.sum())}/{int(self.n.sum())} runs succeed, x50={x50}, "
            f"separation={self.separation})"
        )

    # ------------------------------------------------------------------ predictions
    def _t(self, scales: np.ndarray) -> np.ndarray:
        return np.log(scales) if self.x == "log" else scales

    def predict(self, scales: object) -> pd.DataFrame:
        """Fitted P(success) with a pointwise confidence band at the given scales.

        Parameters
        ----------
        scales : float or array_like
            Positive scales for ``x="log"``.

        Returns
        -------
        pandas.DataFrame
            Columns ``scale, p_success, ci_low, ci_high``. The band is the
            profile-likelihood interval of the linear predictor at each scale
            (pointwise, not simultaneous), mapped through the logistic
            function; Wald for a plain fit of separated data; for isotonic,
            the bootstrap band at the observed scales, linearly interpolated
            in ``t`` and constant beyond the observed range.
        """
        s = check_finite_array("scales", np.atleast_1d(np.asarray(scales)))
        if self.x == "log" and np.any(s <= 0):
            raise ValueError("`scales` must be strictly positive with x='log'")
        t = self._t(s)
        st = self._state
        if self.model == "isotonic":
            grid = st["t"]
            fit = np.interp(t, grid, st["fitted"])
            low = np.interp(t, grid, st["band_low"])
            high = np.interp(t, grid, st["band_high"])
        else:
            F = _design((t - st["centre"]) / st["half"], st["degree"])
            eta = F @ st["beta"]
            if self.ci_method == "wald":
                half = stats.norm.ppf(0.5 + self.confidence_level / 2) * np.sqrt(
                    np.einsum("ki,ij,kj->k", F, st["cov"], F)
                )
                lo_eta, hi_eta = eta - half, eta + half
            else:
                lo_eta, hi_eta = profile_bounds(
                    st["engine"], st["beta"], st["pl"], st["info_inv"], F, st["q"]
                )
            fit, low, high = special.expit(eta), special.expit(lo_eta), special.expit(hi_eta)
        return pd.DataFrame({"scale": s, "p_success": fit, "ci_low": low, "ci_high": high})

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per observed scale.

        Columns: ``scale, n, successes, observed`` (the observed fraction),
        ``p_success`` (fitted) and the band ``ci_low, ci_high`` (as
        :meth:`predict`).
        """
        pred = self.predict(self.scales)
        return pd.DataFrame(
            {
                "scale": self.scales,
                "n": self.n.astype(np.int64),
                "successes": self.successes.astype(np.int64),
                "observed": self.successes / self.n,
                "p_success": pred["p_success"].to_numpy(),
                "ci_low": pred["ci_low"].to_numpy(),
                "ci_high": pred["ci_high"].to_numpy(),
            }
        )

    def coef_frame(self) -> pd.DataFrame:
        """Coefficients: columns ``term, estimate, std_error, ci_low, ci_high``."""
        return pd.DataFrame(
            {
                "term": list(self.coef_names),
                "estimate": self.coef,
                "std_error": self.coef_se,
                "ci_low": self.coef_ci.low,
                "ci_high": self.coef_ci.high,
            }
        )



# ------------------------------------------------------------------------- main function
@fill_doc
def success_curve(
    pop: Population | pd.DataFrame,
    *,
    threshold: float,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    model: str = "logistic",
    x: str = "log",
    penalty: str | None = "auto",
    confidence_level: float = 0.95,
    n_resamples: int = 1000,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> SuccessCurve:
    """Probability that a run succeeds, as a curve in scale, with x50 and intervals.

    At every scale the runs that succeed are counted (value strictly above
    ``threshold``, or strictly below it with ``higher_is_better=False``,
    exactly as :func:`~distscale.summary_curves`), and a binomial model of
    ``P(success)`` is fitted to the counts:

    * ``"logistic"``: ``logit P = b0 + b1 t``;
    * ``"quadratic"``: ``logit P = b0 + b1 t + b2 t^2``, which can rise and
      fall (inverse scaling, U shapes); compare it with the logistic fit by
      ``aic`` or ``deviance``;
    * ``"isotonic"``: a monotone fit of the observed fractions (weighted
      pool-adjacent-violators), increasing or decreasing, whichever fits
      better (smaller weighted squared error; increasing on a tie); no
      coefficients; band and x50 interval from a seed bootstrap.

    where ``t = ln(scale)`` (``x="log"``) or ``t = scale`` (``x="linear"``).

    Parameters
    ----------
    %(pop)s
    %(threshold)s
    %(higher_is_better)s
    %(metric)s
    model : {"logistic", "quadratic", "isotonic"}, default "logistic"
    x : {"log", "linear"}, default "log"
        The paper's scales (depth, width, parameters) grow geometrically, so
        ``ln(scale)`` is the default covariate; it needs positive scales.
    penalty : {"auto", "firth", None}, default "auto"
        ``"auto"``: maximum likelihood (statsmodels GLM) when the estimate
        exists, Firth's penalised likelihood when the data are separated.
        ``"firth"``: always Firth. None: always maximum likelihood (on
        separated data its estimates diverge and its Wald intervals are
        useless, with a warning).
    %(confidence_level)s
    n_resamples : int, default 1000
        Seed-bootstrap resamples, for ``model="isotonic"`` only.
    rng : int, numpy.random.Generator or None
        Randomness for the bootstrap (isotonic only).
    %(columns)s

    Returns
    -------
    SuccessCurve

    Raises
    ------
    ValueError
        Non-finite ``threshold``; fewer than 2 scales (3 for the quadratic);
        ``x="log"`` with non-positive scales; an unknown ``model``, ``x``
        or ``penalty``; ``penalty="firth"`` with the isotonic model; a
        ``confidence_level`` outside (0, 1).
    TypeError
        Arguments of the wrong type.

    Warns
    -----
    DegenerateDataWarning
        When every run succeeds (or fails); when the fitted curve does not
        cross 0.5 within the observed scales (``x50`` is NaN); when the x50
        interval is unbounded; with ``penalty=None`` on separated data.

    Notes
    -----
    *Separation* is detected by the linear program of Konis (2007). Firth's
    estimate maximises ``loglik + log det I(b) / 2`` (Firth 1993), by
    Newton steps with the modified score and step halving as R's
    ``logistf``; it is finite under separation (Kosmidis & Firth 2021).

    *Intervals* are profile-likelihood intervals (penalised for Firth, as
    ``logistf``; ordinary for maximum likelihood, as R's ``confint.glm``):
    the values ``v`` of a linear function of the coefficients where
    ``2 (pl_max - pl_profile(v))`` reaches the chi-squared(1) quantile.
    ``coef_ci`` uses the coefficients themselves, the band of
    :meth:`SuccessCurve.predict` the linear predictor at each scale
    (pointwise). The ``x50`` interval inverts the same test: it is the
    connected set of scales around ``x50`` at which ``P = 0.5`` is not
    rejected -- equivalently, where the band contains 0.5 -- which is
    invariant to reparameterisation, respects the penalty and stays finite
    on separated data. For the logistic model, when the slope's interval
    contains 0 the set is unbounded and ``x50_ci`` is infinite (as
    Fieller's interval). The search stops 10 data spans beyond the
    observed scales; a limit beyond is reported as infinite.

    Standard errors and AIC use the ordinary log-likelihood at the
    estimates, also for Firth fits.

    References: Firth, D. (1993), Biometrika 80, 27-38. Heinze, G. &
    Schemper, M. (2002), Statistics in Medicine 21, 2409-2419. Konis, K.
    (2007), DPhil thesis, University of Oxford.

    Examples
    --------
    A separated population -- no run succeeds at the two smallest scales,
    every run at the two largest -- gets a Firth fit with a finite x50:

    >>> import distscale
    >>> pop = distscale.Population.from_dict(
    ...     {1: [0.0] * 10, 2: [0.0] * 10, 4: [0.0] * 7 + [1.0] * 3, 8: [1.0] * 10,
    ...      16: [1.0] * 10})
    >>> res = distscale.success_curve(pop, threshold=0.5)
    >>> res.separation, res.penalty
    (True, 'firth')
    >>> bool(2 < res.x50 < 8 and 1 < res.x50_ci.low < res.x50_ci.high < 16)
    True
    >>> res.to_frame().columns.tolist()
    ['scale', 'n', 'successes', 'observed', 'p_success', 'ci_low', 'ci_high']
    """
    threshold = check_threshold(threshold)
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    check_one_of("model", model, MODELS)
    check_one_of("x", x, ("log", "linear"))
    check_one_of("penalty", penalty, ("auto", "firth", None))
    confidence_level = check_confidence_level(confidence_level)
    if model == "isotonic":
        if penalty == "firth":
            raise ValueError("`penalty='firth'` applies to the logistic and quadratic models")
        n_resamples = check_n_resamples(n_resamples, minimum=2)
        generator = check_rng(rng)
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    samples = pop.values(metric)
    metric = pop.metric if metric is None else metric
    scales = pop.scales
    need = 3 if model == "quadratic" else 2
    if len(scales) < need:
        raise ValueError(
            f"success_curve with model={model!r} needs at least {need} distinct scales; "
            f"column {pop.scale!r} has {len(scales)} ({', '.join(map(str, scale_labels(scales)))})"
        )
    if x == "log":
        pop.require_positive_scale(purpose="x='log' (the covariate is ln(scale))")
    t = np.log(scales) if x == "log" else scales.astype(float)

    wins = [success_mask(s, threshold, higher_is_better) for s in samples]
    y = np.array([w.sum() for w in wins], dtype=float)
    n = np.array([w.size for w in wins], dtype=float)
    rule = rule_text(threshold, higher_is_better)
    if y.sum() in (0, n.sum()):
        what = "no run succeeds" if y.sum() == 0 else "every run succeeds"
        warnings.warn(
            f"{what} ({rule}) at any scale: P(success) is "
            f"{'0' if y.sum() == 0 else '1'} throughout, and the fitted curve carries no "
            "information about how it changes with scale",
            DegenerateDataWarning,
            stacklevel=2,
        )
    common = {
        "scales": frozen(scales),
        "successes": frozen(y),
        "n": frozen(n),
        "model": model,
        "x": x,
        "threshold": threshold,
        "higher_is_better": higher_is_better,
        "metric": metric,
        "scale_name": pop.scale,
        "confidence_level": confidence_level,
    }
    if model == "isotonic":
        fit = _fit_isotonic(wins, t, y, n, common, n_resamples, generator)
    else:
        degree = 2 if model == "quadratic" else 1
        fit = fit_parametric(t, y, n, degree, penalty, confidence_level, x)
    return SuccessCurve(**common, **fit)


# -------------------------------------------------------------------------- isotonic fit
def _isotonic_rows(props: np.ndarray, n: np.ndarray, increasing: bool) -> np.ndarray:
    return np.array(
        [optimize.isotonic_regression(r, weights=n, increasing=increasing).x for r in props]
    )


def _crossing_t(t: np.ndarray, f: np.ndarray, increasing: bool) -> float:
    """Where a monotone piecewise-linear curve through ``(t, f)`` crosses 0.5 (NaN if it does not).

    When the curve equals 0.5 on a flat stretch, its midpoint.
    """
    if not increasing:
        return -_crossing_t(-t[::-1], f[::-1], True)
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


def _fit_isotonic(
    wins: list[np.ndarray],
    t: np.ndarray,
    y: np.ndarray,
    n: np.ndarray,
    common: dict,
    n_resamples: int,
    generator: np.random.Generator,
) -> dict:
    """Monotone fit of the observed fractions, with a seed-bootstrap band and x50 interval.

    Returns the model-specific fields of a :class:`SuccessCurve`.
    """
    obs = y / n
    fits = {inc: _isotonic_rows(obs[None, :], n, inc)[0] for inc in (True, False)}
    sse = {inc: float(np.sum(n * (obs - f) ** 2)) for inc, f in fits.items()}
    increasing = sse[True] <= sse[False]
    fitted = fits[increasing]

    def statistic(*resamples: np.ndarray) -> np.ndarray:
        props = np.column_stack([r.mean(axis=-1) for r in resamples])
        iso = _isotonic_rows(props, n, increasing)
        cross = [_crossing_t(t, row, increasing) for row in iso]
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
    t50 = _crossing_t(t, fitted, increasing)
    if np.isnan(t50):
        x50, x50_ci, crossings, crossing_cis = np.nan, ConfidenceInterval(np.nan, np.nan), (), ()
        warn_no_crossing(fitted.min(), fitted.max())
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
                stacklevel=3,
            )
    zero = boot.degenerate[:k]
    if zero.any():
        labels = scale_labels(common["scales"])
        warn_zero_width(
            {"p_success": format_labels([labels[i] for i in np.flatnonzero(zero)])}, stacklevel=3
        )
    empty = frozen(np.zeros(0))
    fit = fit_stats(y, n, fitted, len(np.unique(fitted)))
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
        "_state": {
            "t": t,
            "fitted": fitted,
            "band_low": boot.ci_low[:k],
            "band_high": boot.ci_high[:k],
            "increasing": increasing,
        },
    }
