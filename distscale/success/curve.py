"""Probability of success against scale: a separation-safe binomial fit.

:func:`success_curve` counts, at every scale, how many seeds succeed
(value above a threshold, as in :func:`distscale.summary_curves`) and fits
``P(success)`` against log-scale (or scale) by logistic regression on the
grouped binomial counts, by a quadratic logistic model (for U-shaped or
inverted-U curves), by a four-parameter logistic with a floor and a ceiling
(for plateaus below 1 or above 0), or by a monotone isotonic fit -- or
chooses among them (``model="auto"``). Every fit carries a goodness-of-fit
test, and ``x50`` is reported only from a model that fits.

Emergence data are usually *separated* -- no run succeeds below some scale
and every run succeeds above it -- and then the maximum-likelihood estimate
does not exist: the slope runs off to infinity and Wald intervals cover
``[0, 1]``. Separation is detected exactly with the linear program of Konis
(2007), and the fit then switches to Firth's (1993) penalised likelihood
with profile penalised-likelihood intervals, as R's ``logistf`` does
(Heinze & Schemper 2002). That machinery -- the penalised binomial engine,
separation detection and profile-likelihood intervals -- is in
:mod:`distscale.success.logistic`; the four-parameter logistic in
:mod:`~distscale.success.logistic4`, the isotonic fit in
:mod:`~distscale.success.isotonic`, the goodness-of-fit test in
:mod:`~distscale.success.goodness` and the per-model fits and the automatic
choice in :mod:`~distscale.success.models`. This module holds the result
object and the public function.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from distscale._lib.docs import fill_doc
from distscale._lib.results import ConfidenceInterval, Result, frozen, scale_labels
from distscale._lib.success_rule import rule_text, success_mask
from distscale._lib.validation import (
    check_alpha,
    check_bool,
    check_confidence_level,
    check_finite_array,
    check_n_resamples,
    check_one_of,
    check_rng,
    check_threshold,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.population import Population, as_population
from distscale.success.goodness import GoodnessOfFit
from distscale.success.logistic import _design, profile_bounds
from distscale.success.logistic4 import logistic4_band
from distscale.success.models import MIN_SCALES, fit_model, select_model

__all__ = ["GoodnessOfFit", "SuccessCurve", "logistic_or_fitting_curve", "success_curve"]

MODELS = ("logistic", "quadratic", "logistic4", "isotonic", "auto")


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
        ``"logistic"``, ``"quadratic"``, ``"logistic4"`` or ``"isotonic"``
        (with ``model="auto"``, the one chosen; see :attr:`selection`).
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
        in ``logit P = b0 + b1 t (+ b2 t^2)``; ``("floor", "ceiling",
        "intercept", "slope")`` in ``P = floor + (ceiling - floor) expit(b0 +
        b1 t)`` for logistic4; empty for isotonic.
    coef, coef_se : numpy.ndarray
        Estimates and standard errors (inverse Fisher information at the
        estimate; for Firth the penalised fit's, as ``logistf``'s ``vcov``;
        for logistic4 at the estimate in the reported coefficients, for
        reference only -- its intervals are profile intervals).
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
        does not cross there, or when the model does not fit (see
        :attr:`x50_reason`).
    x50_ci : ConfidenceInterval
        Interval for ``x50`` (see :func:`success_curve`); may reach beyond
        the observed scales, and is infinite (0 for a lower limit on the log
        axis) when unbounded.
    crossings : tuple of float
        Every crossing of 0.5 inside the observed range (a quadratic can
        have two); empty when the model does not fit.
    crossing_cis : tuple of ConfidenceInterval
        One interval per crossing.
    threshold : float
    higher_is_better : bool
    metric, scale_name : hashable
    confidence_level : float
    n_resamples : int or None
        Bootstrap resamples (isotonic only).
    goodness_of_fit : GoodnessOfFit
        Grouped-deviance test of the fit against the saturated binomial model
        (``statistic, df, pvalue, method, reason``; NaN with a reason when it
        cannot be tested).
    gof_alpha : float
        Level at which a fit is rejected (``pvalue <= gof_alpha``).
    x50_reason : str
        Why ``x50`` is NaN (the model does not fit; never reaches 50 %;
        starts above 50 %; ...); empty when ``x50`` is given.
    selection : str
        With ``model="auto"``, why this model was chosen, in words; else empty.
    candidates : pandas.DataFrame or None
        With ``model="auto"``, every candidate's ``n_params, loglik, aic,
        deviance, gof_df, gof_pvalue, gof_method, fits, chosen, x50, note``;
        else None.
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
    goodness_of_fit: GoodnessOfFit | None = None
    gof_alpha: float = 0.05
    x50_reason: str = ""
    selection: str = ""
    candidates: pd.DataFrame | None = None
    _state: dict = field(default_factory=dict, repr=False, compare=False)

    def _fit_words(self) -> str:
        gof = self.goodness_of_fit
        if gof is None:
            return ""
        if np.isnan(gof.pvalue):
            return "fit not testable"
        verdict = "misfits" if gof.rejects(self.gof_alpha) else "fits"
        return f"{verdict}: deviance p={gof.pvalue:.2g}"

    def __repr__(self) -> str:
        fit = self.model + (" (Firth)" if self.penalty == "firth" else "")
        fit += " [auto]" if self.selection else ""
        x50 = "nan" if np.isnan(self.x50) else f"{self.x50:.4g}"
        return (
            f"SuccessCurve({fit} in {self.x} scale ({self._fit_words()}), "
            f"{len(self.scales)} scales, "
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
            function; Wald for a plain fit of separated data; for logistic4,
            the profile-likelihood interval of P itself; for isotonic,
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
        elif self.model == "logistic4":
            fit, low, high = logistic4_band(st, (t - st["centre"]) / st["half"])
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
        :meth:`predict`). The fit is described in ``frame.attrs``: ``model``,
        ``goodness_of_fit`` (one line), ``gof_pvalue``, ``x50``,
        ``x50_reason`` and ``selection``.
        """
        pred = self.predict(self.scales)
        frame = pd.DataFrame(
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
        gof = self.goodness_of_fit
        frame.attrs.update(
            model=self.model,
            goodness_of_fit="" if gof is None else gof.describe(),
            gof_pvalue=np.nan if gof is None else gof.pvalue,
            x50=self.x50,
            x50_reason=self.x50_reason,
            selection=self.selection,
        )
        return frame

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
    gof_alpha: float = 0.05,
    gof_resamples: int = 999,
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
    * ``"logistic4"``: ``P = floor + (ceiling - floor) expit(b0 + b1 t)``
      with ``0 <= floor < ceiling <= 1``: a sigmoid that plateaus below 1
      (or above 0), by maximum likelihood (see
      :mod:`distscale.success.logistic4`);
    * ``"isotonic"``: a monotone fit of the observed fractions (weighted
      pool-adjacent-violators), increasing or decreasing, whichever fits
      better (smaller weighted squared error; increasing on a tie); no
      coefficients; band and x50 interval from a seed bootstrap;
    * ``"auto"``: all four, and the one with the smallest AIC among those
      that fit (goodness-of-fit p-value above ``gof_alpha``); the isotonic
      fit when none fits. ``selection`` says why, ``candidates`` lists them.

    where ``t = ln(scale)`` (``x="log"``) or ``t = scale`` (``x="linear"``).
    Every fit is tested against the saturated binomial model
    (``goodness_of_fit``), and ``x50`` is withheld (NaN, with
    ``x50_reason``) when the test rejects the fit.

    Parameters
    ----------
    %(pop)s
    %(threshold)s
    %(higher_is_better)s
    %(metric)s
    model : {"logistic", "quadratic", "logistic4", "isotonic", "auto"}, default "logistic"
    x : {"log", "linear"}, default "log"
        The paper's scales (depth, width, parameters) grow geometrically, so
        ``ln(scale)`` is the default covariate; it needs positive scales.
    penalty : {"auto", "firth", None}, default "auto"
        For the logistic and quadratic models. ``"auto"``: maximum
        likelihood (statsmodels GLM) when the estimate exists, Firth's
        penalised likelihood when the data are separated. ``"firth"``:
        always Firth. None: always maximum likelihood (on separated data
        its estimates diverge and its Wald intervals are useless, with a
        warning).
    %(confidence_level)s
    n_resamples : int, default 1000
        Seed-bootstrap resamples, for ``model="isotonic"`` only.
    gof_alpha : float, default 0.05
        Level of the goodness-of-fit test: a fit with ``pvalue <= gof_alpha``
        is rejected -- its ``x50`` is withheld, and ``"auto"`` does not
        choose it.
    gof_resamples : int, default 999
        Replicates of the parametric bootstrap of the deviance, used when the
        expected counts are too small for the chi-squared reference (see
        :mod:`distscale.success.goodness`) and for the isotonic fit.
    rng : int, numpy.random.Generator or None
        Randomness for the bootstraps (the isotonic band and the
        goodness-of-fit test); an int gives reproducible results. The global
        NumPy random state is never used.
    %(columns)s

    Returns
    -------
    SuccessCurve

    Raises
    ------
    ValueError
        Non-finite ``threshold``; fewer than 2 scales (3 for the quadratic,
        4 for logistic4); ``x="log"`` with non-positive scales; an unknown
        ``model``, ``x`` or ``penalty``; ``penalty="firth"`` with the
        logistic4 or isotonic model; a ``confidence_level`` or ``gof_alpha``
        outside (0, 1); ``gof_resamples`` below 19.
    TypeError
        Arguments of the wrong type.

    Warns
    -----
    DegenerateDataWarning
        When every run succeeds (or fails); when the fitted curve does not
        cross 0.5 within the observed scales (``x50`` is NaN); when the x50
        interval is unbounded; with ``penalty=None`` on separated data; when
        the model does not fit (``x50`` is withheld); when its fit cannot be
        tested (no degrees of freedom left).

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
    observed scales; a limit beyond is reported as infinite. The logistic4
    intervals are profile-likelihood intervals of the same kind (of each
    coefficient, of P at each scale, and of x50).

    *Goodness of fit* is the grouped deviance against the saturated model,
    ``df = scales - parameters``, referred to chi-squared when every
    expected count is at least 1 and 80 % at least 5 (Cochran's rule), else
    to a parametric bootstrap of ``gof_resamples`` refits
    (:mod:`distscale.success.goodness`).

    Standard errors and AIC use the ordinary log-likelihood at the
    estimates, also for Firth fits.

    References: Firth, D. (1993), Biometrika 80, 27-38. Heinze, G. &
    Schemper, M. (2002), Statistics in Medicine 21, 2409-2419. Konis, K.
    (2007), DPhil thesis, University of Oxford. Cochran, W. G. (1954),
    Biometrics 10, 417-451.

    Examples
    --------
    A separated population -- no run succeeds at the two smallest scales,
    every run at the two largest -- gets a Firth fit with a finite x50:

    >>> import distscale
    >>> pop = distscale.Population.from_dict(
    ...     {1: [0.0] * 10, 2: [0.0] * 10, 4: [0.0] * 7 + [1.0] * 3, 8: [1.0] * 10,
    ...      16: [1.0] * 10})
    >>> res = distscale.success_curve(pop, threshold=0.5, rng=0)
    >>> res.separation, res.penalty
    (True, 'firth')
    >>> bool(2 < res.x50 < 8 and 1 < res.x50_ci.low < res.x50_ci.high < 16)
    True
    >>> res.goodness_of_fit.method, bool(res.goodness_of_fit.pvalue > 0.05)
    ('parametric bootstrap', True)
    >>> res.to_frame().columns.tolist()
    ['scale', 'n', 'successes', 'observed', 'p_success', 'ci_low', 'ci_high']

    A success rate that plateaus near 2/3: the logistic misfits, so its x50
    is withheld, and ``"auto"`` picks a model that fits:

    >>> counts = [0, 0, 0, 4, 7, 11, 13, 14, 12, 14]  # of 20 runs, steps 1k to 512k
    >>> pop = distscale.Population.from_dict(
    ...     {1000 * 2**i: [1.0] * k + [0.0] * (20 - k) for i, k in enumerate(counts)})
    >>> import warnings; warnings.simplefilter("ignore")
    >>> logistic = distscale.success_curve(pop, threshold=0.8, rng=0)
    >>> round(logistic.goodness_of_fit.statistic, 1), logistic.x50
    (18.8, nan)
    >>> logistic.x50_reason.split(" (")[0]
    'the logistic model does not fit'
    >>> auto = distscale.success_curve(pop, threshold=0.8, model="auto", rng=0)
    >>> auto.model, bool(20e3 < auto.x50 < 35e3)
    ('quadratic', True)
    >>> [(m, round(a, 1)) for m, a in zip(auto.candidates["model"], auto.candidates["aic"])]
    [('logistic', 46.1), ('logistic4', 34.2), ('quadratic', 33.2), ('isotonic', 35.8)]
    """
    threshold = check_threshold(threshold)
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    check_one_of("model", model, MODELS)
    check_one_of("x", x, ("log", "linear"))
    check_one_of("penalty", penalty, ("auto", "firth", None))
    confidence_level = check_confidence_level(confidence_level)
    gof_alpha = check_alpha(gof_alpha, "gof_alpha")
    gof_resamples = check_n_resamples(gof_resamples, minimum=19, name="gof_resamples")
    if model in ("isotonic", "logistic4") and penalty == "firth":
        raise ValueError(
            f"`penalty='firth'` applies to the logistic and quadratic models, not {model!r}"
        )
    if model in ("isotonic", "auto"):
        n_resamples = check_n_resamples(n_resamples, minimum=2)
    generator = check_rng(rng)
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    samples = pop.values(metric)
    metric = pop.metric if metric is None else metric
    scales = pop.scales
    need = 2 if model == "auto" else MIN_SCALES[model]
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
    settings = {
        "t": t, "y": y, "n": n, "wins": wins, "common": common, "penalty": penalty,
        "n_resamples": n_resamples, "gof_resamples": gof_resamples,
    }
    if model == "auto":
        fit = select_model(gof_alpha, generator, **settings)
        common["model"] = fit.pop("model")
    else:
        fit = fit_model(model, generator=generator, gof_alpha=gof_alpha, **settings)
    return SuccessCurve(**common, **fit, gof_alpha=gof_alpha)


def logistic_or_fitting_curve(
    pop: Population | pd.DataFrame,
    *,
    threshold: float,
    gof_alpha: float = 0.05,
    rng: int | np.random.Generator | None = None,
    **options: object,
) -> SuccessCurve:
    """The logistic success curve where it fits; otherwise the best model that fits.

    The rule of the report (and of
    :func:`~distscale.success.sensitivity.threshold_sensitivity`): a logistic
    curve in scale is the paper's model and is kept when its goodness-of-fit
    test does not reject it at ``gof_alpha``; when it does, the curve is
    refitted with ``model="auto"`` (the smallest AIC among the models that
    fit, whose ``selection`` says why).

    Parameters
    ----------
    pop, threshold, gof_alpha, rng
        As :func:`success_curve`.
    **options
        Any other option of :func:`success_curve` except ``model``.

    Returns
    -------
    SuccessCurve

    Examples
    --------
    >>> import distscale
    >>> from distscale.success.curve import logistic_or_fitting_curve
    >>> pop = distscale.Population.from_dict(
    ...     {1: [0] * 9 + [1], 2: [0] * 7 + [1] * 3, 4: [0] * 3 + [1] * 7, 8: [0] + [1] * 9})
    >>> logistic_or_fitting_curve(pop, threshold=0.5, rng=0).model
    'logistic'
    """
    if "model" in options:
        raise TypeError("logistic_or_fitting_curve chooses `model` itself; do not pass it")
    first, again = check_rng(rng).spawn(2)
    logistic = success_curve(pop, threshold=threshold, gof_alpha=gof_alpha, rng=first,
                             **options)
    gof = logistic.goodness_of_fit
    if gof is None or not gof.rejects(gof_alpha):
        return logistic
    return success_curve(pop, threshold=threshold, model="auto", gof_alpha=gof_alpha, rng=again,
                         **options)
