"""One fit per model of :func:`distscale.success_curve`, its goodness of fit, and ``"auto"``.

:func:`fit_model` fits one model (logistic, quadratic, logistic4 or
isotonic), tests its goodness of fit (:mod:`distscale.success.goodness`)
and withholds ``x50`` when the fit is rejected: an ``x50`` read off a curve
that does not describe the data (a logistic forced to reach 1 through a
plateau at 65 %) is an artefact of the model, not a property of the runs.

:func:`select_model` is ``model="auto"``: it fits all four, keeps those
whose goodness-of-fit p-value is above ``gof_alpha``, and chooses the one
with the smallest AIC among them (isotonic's ``df`` is its number of
distinct fitted levels); when none fits, the isotonic fit, which assumes no
shape beyond monotonicity. The reason is a sentence (``selection``) and
every candidate's AIC and p-value a table (``candidates``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import special

from distscale._lib.results import ConfidenceInterval
from distscale._lib.warnings import DegenerateDataWarning
from distscale.success.goodness import GoodnessOfFit, _fmt_p, deviance_test, parametric_refit
from distscale.success.isotonic import fit_isotonic
from distscale.success.logistic import fit_parametric
from distscale.success.logistic4 import fit_logistic4

__all__ = ["CANDIDATES", "MIN_SCALES", "fit_model", "select_model"]

#: The models ``"auto"`` chooses among, in order of preference on a tie.
CANDIDATES = ("logistic", "logistic4", "quadratic", "isotonic")
#: Fewest distinct scales each model needs.
MIN_SCALES = {"logistic": 2, "quadratic": 3, "logistic4": 4, "isotonic": 2}


def _no_crossing_reason(p_fit: np.ndarray) -> str:
    lo, hi = float(np.min(p_fit)), float(np.max(p_fit))
    span = f"the fitted P(success) runs from {lo:.3g} to {hi:.3g}"
    if hi < 0.5:
        return f"never reaches 50 % within the observed scales ({span}); x50 is not extrapolated"
    if lo > 0.5:
        return (
            f"starts above 50 % and stays above it within the observed scales ({span}); x50 "
            "is not extrapolated"
        )
    return f"the fitted curve does not cross 0.5 within the observed scales ({span})"


def fit_model(
    model: str,
    *,
    t: np.ndarray,
    y: np.ndarray,
    n: np.ndarray,
    wins: list[np.ndarray],
    common: dict,
    penalty: str | None,
    n_resamples: int,
    generator: np.random.Generator,
    gof_alpha: float,
    gof_resamples: int,
    hint: bool = True,
) -> dict:
    """The model-specific fields of a :class:`~distscale.SuccessCurve` for one model.

    Adds ``goodness_of_fit`` and ``x50_reason``; when the fit is rejected
    (``pvalue <= gof_alpha``) x50, its interval and the crossings are
    withheld (NaN, empty) and a :class:`DegenerateDataWarning` says so.
    """
    level, x = common["confidence_level"], common["x"]
    if model == "isotonic":
        fit = fit_isotonic(wins, t, y, n, common, n_resamples, generator, gof_resamples)
        p_fit = fit["_state"]["fitted"]
        gof = fit["goodness_of_fit"]
    elif model == "logistic4":
        logistic = None
        if len(t) >= 2 and 0 < y.sum() < n.sum():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                logistic = fit_parametric(t, y, n, 1, "auto", level, x)["_state"]["beta"]
        fit = fit_logistic4(t, y, n, level, x, logistic)
        state = fit["_state"]
        p_fit = state["p_fit"]
        gof = deviance_test(
            y, n, p_fit, 4, refit=state.pop("refit"), rng=generator,
            n_resamples=gof_resamples, what="the logistic4 model",
        )
    else:
        degree = 2 if model == "quadratic" else 1
        fit = fit_parametric(t, y, n, degree, penalty, level, x)
        state = fit["_state"]
        p_fit = special.expit(state["engine"].X @ state["beta"])
        gof = deviance_test(
            y, n, p_fit, degree + 1, refit=parametric_refit(state["engine"], state["beta"]),
            rng=generator, n_resamples=gof_resamples, what=f"the {model} model",
        )
    fit["goodness_of_fit"] = gof
    reason = ""
    if gof.rejects(gof_alpha):
        reason = (
            f"the {model} model does not fit (deviance p = {_fmt_p(gof.pvalue)}, at or below "
            f"gof_alpha = {gof_alpha:g}); see goodness_of_fit"
        )
        warnings.warn(
            f"{reason}: x50 is withheld (NaN)"
            + (". Try model='auto', 'logistic4' (a plateau below 1 or above 0) or 'isotonic'"
               if hint else ""),
            DegenerateDataWarning,
            stacklevel=3,
        )
        fit.update(
            x50=np.nan, x50_ci=ConfidenceInterval(np.nan, np.nan), crossings=(), crossing_cis=()
        )
    elif np.isnan(fit["x50"]):
        reason = fit["_state"].get("x50_reason") or _no_crossing_reason(p_fit)
    fit["x50_reason"] = reason
    if np.isnan(gof.pvalue) and gof.reason and y.sum() not in (0, n.sum()):
        warnings.warn(
            f"goodness of fit cannot be tested: {gof.reason}", DegenerateDataWarning, stacklevel=3
        )
    return fit


def _describe_gof(name: str, gof: GoodnessOfFit, gof_alpha: float) -> str:
    if np.isnan(gof.pvalue):
        return f"{name} not testable ({gof.reason})"
    verdict = "misfits" if gof.rejects(gof_alpha) else "fits"
    return f"{name} {verdict} (deviance p = {_fmt_p(gof.pvalue)})"


def select_model(gof_alpha: float, generator: np.random.Generator, **kwargs: object) -> dict:
    """``model="auto"``: fit every candidate, choose by goodness of fit then AIC.

    Returns the chosen fit's fields plus ``model``, ``selection`` and
    ``candidates``; re-emits only the chosen fit's warnings.
    """
    k = len(kwargs["t"])  # type: ignore[arg-type]
    names = [m for m in CANDIDATES if k >= MIN_SCALES[m]]
    fits, caught = {}, {}
    # one independent stream per candidate (seeds drawn from rng: numpy >= 1.24)
    children = [np.random.default_rng(s) for s in generator.integers(0, 2**63, len(names))]
    for name, child in zip(names, children, strict=True):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            fits[name] = fit_model(
                name, generator=child, gof_alpha=gof_alpha, hint=False,
                **kwargs,  # type: ignore[arg-type]
            )
        caught[name] = record
    gofs = {m: f["goodness_of_fit"] for m, f in fits.items()}
    fitting = [m for m in names if gofs[m].pvalue > gof_alpha]
    if fitting:
        chosen = min(fitting, key=lambda m: fits[m]["aic"])
        others = [_describe_gof(m, gofs[m], gof_alpha) for m in names if m not in fitting]
        selection = (
            f"{chosen}: the smallest AIC ({fits[chosen]['aic']:.1f}) among the models that fit "
            f"at gof_alpha = {gof_alpha:g} ("
            + ", ".join(f"{m} {fits[m]['aic']:.1f}" for m in fitting)
            + ")"
            + ("; " + "; ".join(others) if others else "")
        )
    else:
        chosen = "isotonic"
        selection = (
            f"isotonic: no model fits at gof_alpha = {gof_alpha:g} ("
            + "; ".join(_describe_gof(m, gofs[m], gof_alpha) for m in names)
            + "), so the isotonic fit -- no shape assumed beyond monotonicity -- was chosen"
        )
    skipped = [m for m in CANDIDATES if m not in names]
    if skipped:
        selection += "; not fitted (too few scales): " + ", ".join(
            f"{m} (needs {MIN_SCALES[m]})" for m in skipped
        )
    for w in caught[chosen]:
        warnings.warn(w.message, w.category, stacklevel=3)
    rows = []
    for m in CANDIDATES:
        f = fits.get(m)
        g = gofs.get(m)
        rows.append(
            {
                "model": m,
                "n_params": np.nan if f is None else f["df"],
                "loglik": np.nan if f is None else f["loglik"],
                "aic": np.nan if f is None else f["aic"],
                "deviance": np.nan if g is None else g.statistic,
                "gof_df": np.nan if g is None else g.df,
                "gof_pvalue": np.nan if g is None else g.pvalue,
                "gof_method": "" if g is None else g.method,
                "fits": m in fitting,
                "chosen": m == chosen,
                "x50": np.nan if f is None else f["x50"],
                "note": f"needs {MIN_SCALES[m]} scales" if f is None else (
                    g.reason if np.isnan(g.pvalue) else f["x50_reason"]
                ),
            }
        )
    out = dict(fits[chosen])
    out["model"] = chosen
    out["selection"] = selection
    out["candidates"] = pd.DataFrame(rows)
    return out
