"""Populations drawn from a distributional scaling law, and laws with known parameters.

:func:`simulate_population` draws seeds from a law (fitted, or written down
with :func:`law_from_params`) at any scales: for planning (how would a
population of 30 seeds at the next scale look?) and for tests that recover a
known law.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from distscale._lib.validation import (
    check_bool,
    check_bounds,
    check_finite_array,
    check_int,
    check_rng,
    check_threshold,
)
from distscale.law.model import Params, Scaling, Structure, Transform
from distscale.law.scaling_law import DistributionalScalingLaw, ExtrapolationWarning
from distscale.population import Population

__all__ = ["law_from_params", "simulate_population"]


def _pair(block: Mapping, key: str, default: tuple | None = None) -> tuple[float, float] | None:
    value = block.get(key, default)
    if value is None:
        return None
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(
            f"`params` {key!r} must be a pair (intercept, slope); got {value!r}"
        ) from None
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"`params` {key!r} must be finite; got {value!r}")
    return a, b


def law_from_params(
    params: Mapping,
    *,
    threshold: float,
    higher_is_better: bool = True,
    bounds: tuple[float | None, float | None] | None = None,
    scales: object = (1.0, 10.0),
    metric: str = "value",
) -> DistributionalScalingLaw:
    """A law with given coefficients (no data, no bands): the truth of a simulation.

    Coefficients are in units of ``g = ln(scale)``; locations and
    log-spreads in the transformed units ``z = T(y)`` (the logit of the
    position inside finite ``bounds``, else the value itself)::

        {"weight": {"intercept": a, "slope": b},            # optional "floor", "ceiling"
         "failure": {"location": (a, b), "log_spread": (c, d),
                     "pile": (e, f)},                         # optional: a point mass
         "success": {"location": (a, b), "log_spread": (c, d)}}

    A ``"pile"`` is a point mass at the bound on its part's side of the
    threshold, with share ``expit(e + f g)`` of the part.

    Parameters
    ----------
    params : mapping
        The coefficients (above).
    threshold : float
    higher_is_better : bool, default True
    bounds : (lo, hi) or None
        The metric's range (needed for piles).
    scales : sequence of float, default (1, 10)
        The range a prediction counts as inside (not extrapolated).
    metric : str, default "value"
        Name of the metric column of simulated populations.

    Returns
    -------
    DistributionalScalingLaw
        Fitted in all but data: ``predict`` and :func:`simulate_population` work.

    Examples
    --------
    >>> truth = law_from_params(
    ...     {"weight": {"intercept": -6.0, "slope": 1.0},
    ...      "failure": {"location": (-2.0, 0.0), "log_spread": (-0.7, 0.0)},
    ...      "success": {"location": (1.0, 0.1), "log_spread": (-0.5, 0.0)}},
    ...     threshold=0.5, bounds=(0, 1), scales=(100, 1000))
    >>> round(float(truth.predict(403.4).weight_success().estimate), 3)
    0.5
    """
    threshold = check_threshold(threshold)
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    bounds = check_bounds(bounds)
    scales = np.unique(check_finite_array("scales", scales))
    if np.any(scales <= 0):
        raise ValueError("`scales` must be strictly positive")
    if not isinstance(params, Mapping):
        raise TypeError(f"`params` must be a mapping; got {type(params).__name__}")
    unknown = set(params) - {"weight", "failure", "success"}
    if unknown:
        raise ValueError(f"`params` has unknown blocks {sorted(unknown)}; use 'weight', "
                         "'failure' and 'success'")
    transform = Transform.for_bounds(bounds)
    weight = dict(params.get("weight", {}))
    nat = {
        "weight_intercept": float(weight.get("intercept", 0.0)),
        "weight_slope": float(weight.get("slope", 0.0)),
        "weight_floor": float(weight.get("floor", 0.0)),
        "weight_ceiling": float(weight.get("ceiling", 1.0)),
    }
    if not 0 <= nat["weight_floor"] < nat["weight_ceiling"] <= 1:
        raise ValueError("`params` weight needs 0 <= floor < ceiling <= 1")
    cont, pile, piles = {}, {}, {"failure": math.nan, "success": math.nan}
    for k, block in (("F", "failure"), ("S", "success")):
        spec = dict(params.get(block, {}))
        loc = _pair(spec, "location")
        spread = _pair(spec, "log_spread", (0.0, 0.0))
        pile_coef = _pair(spec, "pile")
        cont[k] = loc is not None
        pile[k] = pile_coef is not None
        loc = loc or (0.0, 0.0)
        nat[f"{k}_location_intercept"], nat[f"{k}_location_slope"] = loc
        nat[f"{k}_log_spread_intercept"], nat[f"{k}_log_spread_slope"] = spread
        if pile[k]:
            low_side = (k == "F") == higher_is_better
            at = (bounds or (math.nan, math.nan))[0 if low_side else 1]
            if not math.isfinite(at):
                raise ValueError(f"a {block} pile needs a finite bound on its side of the "
                                 "threshold in `bounds`")
            piles[block] = at
            share = pile_coef if cont[k] else (math.inf, 0.0)
        else:
            share = (-math.inf, 0.0)
        nat[f"{k}_pile_intercept"], nat[f"{k}_pile_slope"] = share
    if not (cont["F"] or pile["F"]):
        nat["weight_intercept"], nat["weight_slope"] = math.inf, 0.0
    elif not (cont["S"] or pile["S"]):
        nat["weight_intercept"], nat["weight_slope"] = -math.inf, 0.0
    lg = np.log(scales)
    sc = Scaling(float(lg[0] + lg[-1]) / 2, float(lg[-1] - lg[0]) / 2 or 1.0, 0.0, 1.0)
    law = DistributionalScalingLaw(threshold=threshold, higher_is_better=higher_is_better,
                                   bounds=bounds, n_resamples=0)
    law.threshold_, law.higher_is_better_, law.confidence_level_ = threshold, higher_is_better, 0.95
    law.scales_ = scales
    law.n_seeds_ = np.zeros(scales.size, dtype=np.int64)
    law.metric_, law.scale_name_ = metric, "scale"
    law.transform_ = transform
    law.piles_ = piles
    true_all = dict.fromkeys(("F", "S"), True)
    law.structure_ = Structure(cont, pile, true_all, true_all, scales.size)
    law.success_model_ = "logistic4" if ("floor" in weight or "ceiling" in weight) else "logistic"
    law.success_model_reason_ = "given"
    law.scaling_ = sc
    law.params_ = Params.from_natural(nat, sc)
    law.log_likelihood_ = math.nan
    law.n_iter_, law.converged_ = 0, True
    law.n_resamples_, law.bootstrap_converged_ = 0, math.nan
    law.paired_ = False
    law.values_ = []
    law.population_ = None
    law.notes_ = ("coefficients given, not fitted",)
    law.coef_ = law._coef_frame()
    return law


def simulate_population(
    law: DistributionalScalingLaw,
    scales: object,
    n_seeds: object,
    *,
    rng: int | np.random.Generator | None = None,
    uncertainty: bool = False,
) -> Population:
    """Draw a population of independent seeds from a law at the given scales.

    Parameters
    ----------
    law : DistributionalScalingLaw
        Fitted (or from :func:`law_from_params`); seeds are drawn from its
        fit to the data (its point estimate).
    scales : sequence of float
        Where to draw (extrapolation allowed, without a warning).
    n_seeds : int or sequence of int
        Seeds per scale.
    rng : int, numpy.random.Generator or None
        Source of randomness; the global NumPy state is never used.
    uncertainty : bool, default False
        Draw each seed under a random bootstrap replicate of the law (its
        estimation uncertainty included).

    Returns
    -------
    Population
        Columns ``scale``, ``seed`` and the law's metric.

    Examples
    --------
    >>> truth = law_from_params(
    ...     {"weight": {"intercept": -6.0, "slope": 1.0},
    ...      "failure": {"location": (-2.0, 0.0), "log_spread": (-0.7, 0.0)},
    ...      "success": {"location": (1.0, 0.1), "log_spread": (-0.5, 0.0)}},
    ...     threshold=0.5, bounds=(0, 1), scales=(100, 1000))
    >>> simulate_population(truth, [100, 1000], 48, rng=0)
    Population(96 runs, 2 scales, 48 seeds per scale, metrics=['value'])
    """
    if not isinstance(law, DistributionalScalingLaw):
        raise TypeError(f"`law` must be a DistributionalScalingLaw; got {type(law).__name__}")
    law._check_fitted()
    s = check_finite_array("scales", np.atleast_1d(np.asarray(scales, dtype=float)))
    if np.unique(s).size != s.size:
        raise ValueError("`scales` must not repeat a scale")
    counts = np.atleast_1d(np.asarray(n_seeds))
    if counts.size == 1:
        counts = np.repeat(counts, s.size)
    if counts.size != s.size:
        raise ValueError(f"`n_seeds` must be one number or one per scale ({s.size}); got "
                         f"{counts.size}")
    counts = [check_int("n_seeds", c.item(), 1) for c in counts]
    uncertainty = check_bool("uncertainty", uncertainty)
    gen = check_rng(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        pred = law.predict(s)
    draws = pred.sample(max(counts), rng=gen, uncertainty=uncertainty)
    rows = []
    for j, (scale, n) in enumerate(zip(s, counts, strict=True)):
        rows.append(pd.DataFrame({"scale": scale, "seed": np.arange(n), law.metric_: draws[j, :n]}))
    frame = pd.concat(rows, ignore_index=True)
    return Population(frame, scale="scale", seed="seed", value=law.metric_, paired=False)
