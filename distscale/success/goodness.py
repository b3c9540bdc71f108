"""Goodness of fit of a success curve: the grouped deviance against the saturated model.

Every :class:`~distscale.SuccessCurve` carries a :class:`GoodnessOfFit`: does
the fitted curve describe the per-scale counts, or does it misfit them (a
plateau below 1 fitted by a logistic that must reach 1, say)? The statistic
is the likelihood-ratio statistic of the fitted model against the saturated
binomial model (one free probability per scale), the *grouped deviance*

    ``G^2 = 2 sum_i [ y_i log(y_i / (n_i p_i)) + (n_i - y_i) log((n_i - y_i) / (n_i (1 - p_i))) ]``,

with ``df = (number of scales) - (number of fitted parameters)``. Its
reference distribution is

* **chi-squared(df)** when the expected counts are large enough -- the rule
  of Cochran (1954) for chi-squared tests of counts: every expected success
  ``n_i p_i`` and failure ``n_i (1 - p_i)`` is at least 1 and at least 80 %
  of them are at least 5 (:data:`MIN_EXPECTED`, :data:`SHARE_FIVE`);
* otherwise a **parametric bootstrap**: counts are simulated from the fitted
  probabilities, the same model is refitted by the same estimator (Firth's
  when the fit was Firth's), and ``p = (1 + #{D* >= D}) / (B + 1)``. The
  isotonic fit always uses the bootstrap (its deviance is not chi-squared:
  the fit is order-restricted).

Pearson's ``X^2 = sum (y - n p)^2 / (n p (1 - p))`` is reported beside it,
referred to the same distribution. The test is *undefined* -- statistic and
p-value NaN, with ``reason`` saying why -- when no degree of freedom is left
(as many parameters or isotonic levels as scales) or when every run succeeds
(or fails).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from distscale._lib.results import Result
from distscale.success.logistic import _Binomial

__all__ = ["GoodnessOfFit", "deviance_test"]

#: Cochran's rule: the smallest expected count allowed for the chi-squared reference ...
MIN_EXPECTED = 1.0
#: ... and the share of expected counts that must be at least 5.
SHARE_FIVE = 0.8
#: Newton steps of a replicate's refit (logistic and quadratic).
REFIT_STEPS = 30
#: Replicates refitted at once (bounds memory: Firth's hat matrix is K x m x m).
_CHUNK_CELLS = 2_000_000


@dataclass(frozen=True, eq=False, repr=False)
class GoodnessOfFit(Result):
    """The grouped-deviance goodness-of-fit test of a fitted success curve.

    Attributes
    ----------
    statistic : float
        Grouped deviance ``G^2`` of the fit against the saturated binomial
        model; NaN when the test is undefined.
    df : int
        Scales minus fitted parameters (minus isotonic levels).
    pvalue : float
        Probability of a deviance at least as large if the model were
        true; NaN when the test is undefined.
    method : str
        ``"chi-squared"`` or ``"parametric bootstrap"``; empty when the test
        did not run.
    reason : str
        Why the test did not run (empty when it ran), and for the bootstrap
        why the chi-squared reference was not used.
    pearson_statistic, pearson_pvalue : float
        Pearson's ``X^2`` and its p-value under the same reference.
    n_resamples : int or None
        Bootstrap replicates (None for the chi-squared reference).
    min_expected : float
        Smallest expected count (success or failure) under the fit.

    Examples
    --------
    >>> import numpy as np
    >>> from distscale.success.goodness import deviance_test
    >>> y, n = np.array([2.0, 5.0, 9.0]), np.array([10.0, 10.0, 10.0])
    >>> gof = deviance_test(y, n, np.array([0.2, 0.5, 0.9]), n_params=0)
    >>> gof.statistic, gof.df, gof.method
    (0.0, 3, 'chi-squared')
    """

    statistic: float
    df: int
    pvalue: float
    method: str
    reason: str
    pearson_statistic: float = np.nan
    pearson_pvalue: float = np.nan
    n_resamples: int | None = None
    min_expected: float = np.nan

    def rejects(self, alpha: float) -> bool:
        """Whether the fit is rejected at level ``alpha`` (``pvalue <= alpha``; False if NaN)."""
        return bool(self.pvalue <= alpha)

    def describe(self) -> str:
        """One line: ``"deviance 18.8 on 8 df, p = 0.016 (chi-squared)"`` or the reason."""
        if np.isnan(self.pvalue):
            return f"goodness of fit not tested: {self.reason}"
        return (
            f"deviance {self.statistic:.3g} on {self.df} df, p = {_fmt_p(self.pvalue)} "
            f"({self.method}{'' if self.n_resamples is None else f', B = {self.n_resamples}'})"
        )

    def __repr__(self) -> str:
        return f"GoodnessOfFit({self.describe()})"

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic: ``statistic, name, df, pvalue, method``."""
        return pd.DataFrame(
            {
                "statistic": ["deviance", "pearson"],
                "value": [self.statistic, self.pearson_statistic],
                "df": [self.df, self.df],
                "pvalue": [self.pvalue, self.pearson_pvalue],
                "method": [self.method, self.method],
            }
        )


def _fmt_p(p: float) -> str:
    return f"{p:.2g}" if p >= 1e-4 else "<1e-4"


# ----------------------------------------------------------------------------- statistics
def deviances(y: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Grouped deviance of fitted probabilities ``p`` (last axis: scales), batched."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = n * p
        dev = np.where(y > 0, special.xlogy(y, y / mu), 0.0) + np.where(
            y < n, special.xlogy(n - y, (n - y) / (n - mu)), 0.0
        )
    return np.maximum(2.0 * np.sum(dev, axis=-1), 0.0)  # rounding: never below 0


def pearsons(y: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Pearson's ``X^2`` (last axis: scales), batched; cells with ``n p (1-p) = 0`` add 0."""
    var = n * p * (1.0 - p)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(var > 0, (y - n * p) ** 2 / var, 0.0)
    return np.sum(terms, axis=-1)


def undefined(df: int, reason: str) -> GoodnessOfFit:
    """A test that cannot run: NaN statistic and p-value, ``reason`` saying why.

    :func:`~distscale.success_curve` warns about it for the model it reports.
    """
    return GoodnessOfFit(np.nan, int(df), np.nan, "", reason)


def deviance_test(
    y: np.ndarray,
    n: np.ndarray,
    p_fit: np.ndarray,
    n_params: int,
    *,
    refit: Callable[[np.ndarray], np.ndarray] | None = None,
    rng: np.random.Generator | None = None,
    n_resamples: int = 999,
    always_bootstrap: bool = False,
    what: str = "the model",
) -> GoodnessOfFit:
    """Grouped-deviance test of fitted probabilities ``p_fit`` with ``n_params`` parameters.

    Parameters
    ----------
    y, n : numpy.ndarray
        Successes and runs per scale.
    p_fit : numpy.ndarray
        Fitted P(success) per scale.
    n_params : int
        Fitted parameters (isotonic: distinct fitted levels).
    refit : callable, optional
        ``refit(Y)`` refits the model to every row of simulated counts ``Y``
        (shape ``(B, scales)``) and returns the fitted probabilities, same
        shape. Needed for the bootstrap; without it the chi-squared
        reference is used whatever the counts.
    rng : numpy.random.Generator, optional
        Randomness of the bootstrap (a fresh one when None).
    n_resamples : int, default 999
        Bootstrap replicates ``B``.
    always_bootstrap : bool, default False
        Use the bootstrap whatever the expected counts (the isotonic fit).
    what : str
        The model's name, for the reasons.

    Returns
    -------
    GoodnessOfFit

    Examples
    --------
    Large counts, a logistic fit (2 parameters): the chi-squared reference.

    >>> import numpy as np
    >>> y, n = np.array([30.0, 48, 110, 150]), np.full(4, 200.0)
    >>> p = np.array([0.16, 0.26, 0.52, 0.76])  # fitted P(success) per scale
    >>> gof = deviance_test(y, n, p, 2)
    >>> gof.method, gof.df, round(gof.statistic, 2), bool(gof.pvalue > 0.05)
    ('chi-squared', 2, 1.41, True)
    """
    y, n, p_fit = (np.asarray(a, dtype=float) for a in (y, n, p_fit))
    df = len(y) - int(n_params)
    if y.sum() in (0.0, n.sum()):
        what_all = "no run succeeds" if y.sum() == 0 else "every run succeeds"
        return undefined(df, f"{what_all}, so any curve pinned at that level fits")
    if df <= 0:
        return undefined(
            df,
            f"{what} has {n_params} parameters (or levels) for {len(y)} scales, so no degrees "
            "of freedom are left to test its fit",
        )
    stat = float(deviances(y, n, p_fit))
    pearson = float(pearsons(y, n, p_fit))
    expected = np.concatenate([n * p_fit, n * (1.0 - p_fit)])
    min_exp = float(expected.min())
    share = float(np.mean(expected >= 5.0))
    large = min_exp >= MIN_EXPECTED and share >= SHARE_FIVE
    if refit is None or (large and not always_bootstrap):
        return GoodnessOfFit(
            stat, df, float(stats.chi2.sf(stat, df)), "chi-squared", "",
            pearson, float(stats.chi2.sf(pearson, df)), None, min_exp,
        )
    reason = (
        "the isotonic fit is order-restricted, so its deviance is not chi-squared"
        if always_bootstrap
        else f"expected counts too small for the chi-squared reference (smallest {min_exp:.2g}, "
        f"{share:.0%} at least 5; Cochran's rule asks for all >= 1 and 80 % >= 5)"
    )
    generator = np.random.default_rng() if rng is None else rng
    sims = generator.binomial(n.astype(np.int64), np.clip(p_fit, 0.0, 1.0),
                              size=(n_resamples, len(y))).astype(float)
    dev_star = np.empty(n_resamples)
    pear_star = np.empty(n_resamples)
    chunk = max(1, _CHUNK_CELLS // max(1, len(y) * len(y)))
    for lo in range(0, n_resamples, chunk):
        Y = sims[lo : lo + chunk]
        P = refit(Y)
        dev_star[lo : lo + chunk] = deviances(Y, n, P)
        pear_star[lo : lo + chunk] = pearsons(Y, n, P)
    tol = 1e-9 * (1.0 + abs(stat))
    pvalue = (1.0 + np.sum(dev_star >= stat - tol)) / (n_resamples + 1.0)
    pear_p = (1.0 + np.sum(pear_star >= pearson - 1e-9 * (1.0 + pearson))) / (n_resamples + 1.0)
    return GoodnessOfFit(
        stat, df, float(pvalue), "parametric bootstrap", reason,
        pearson, float(pear_p), n_resamples, min_exp,
    )


# ---------------------------------------------------------------- refits of the replicates
def parametric_refit(engine: _Binomial, beta: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``refit(Y)`` for the logistic and quadratic models: the same estimator, batched.

    Every replicate is refitted by the Newton solver of
    :mod:`distscale.success.logistic` (Firth's penalised likelihood when the
    fit was Firth's, else maximum likelihood -- on a separated replicate its
    supremum, approached as the coefficients grow), started at the fit. At
    most :data:`REFIT_STEPS` Newton steps: each may move a coefficient by 5
    (standardised units), so a diverging fit is by then within ``exp(-100)``
    of its supremum, and a converging one long converged.
    """

    def refit(Y: np.ndarray) -> np.ndarray:
        rep = _Binomial(engine.X, Y, engine.n, engine.firth)
        with np.errstate(all="ignore"):
            b, _, _ = rep.maximise(np.tile(beta, (Y.shape[0], 1)), maxit=REFIT_STEPS)
        return special.expit(b @ engine.X.T)

    return refit


def isotonic_refit(n: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``refit(Y)`` for the isotonic model: both directions, the better one kept (as the fit)."""

    def refit(Y: np.ndarray) -> np.ndarray:
        out = np.empty_like(Y)
        for k, row in enumerate(Y / n):
            up = optimize.isotonic_regression(row, weights=n, increasing=True).x
            down = optimize.isotonic_regression(row, weights=n, increasing=False).x
            sse_up, sse_down = np.sum(n * (row - up) ** 2), np.sum(n * (row - down) ** 2)
            out[k] = up if sse_up <= sse_down else down
        return out

    return refit
