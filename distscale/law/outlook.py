"""What to expect at the next scale: the report section of the distributional scaling law.

:func:`next_scale_outlook` gathers what a researcher wants before the next,
bigger run -- how well the law predicted the largest scale it was not shown
(a backtest against the baselines), the predicted seed distribution at
``factor`` times the largest scale, P(success) and the best of ``k`` seeds
there, and the seeds needed to pin P(success) within ``+-half_width`` -- and
:func:`section_data` formats it for the report page's section template
``report/templates/sections/law.html.j2`` (tables of text cells, or of an
estimate with its interval).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.formatting import fmt, fmt_scale
from distscale._lib.results import Result
from distscale._lib.success_rule import rule_text
from distscale._lib.validation import Integer, Real, check_rng
from distscale.law.backtest import BacktestResult, backtest
from distscale.law.planning import SeedPlan, seeds_needed
from distscale.law.predictive import PredictiveDistribution
from distscale.law.scaling_law import DistributionalScalingLaw, ExtrapolationWarning
from distscale.population import Population, as_population

__all__ = ["NextScaleOutlook", "next_scale_outlook", "section_data"]


@dataclass(frozen=True, eq=False, repr=False)
class NextScaleOutlook(Result):
    """The law's outlook at the next scale (see :func:`next_scale_outlook`).

    Attributes
    ----------
    scale : float
        The next scale: ``factor`` times the largest fitted scale.
    factor : float
    law : DistributionalScalingLaw
        Fitted to every scale.
    prediction : PredictiveDistribution
        At ``scale``.
    best_of : tuple of int
    backtest : BacktestResult or None
        The largest scale(s) held out; None with fewer than 3 scales
        (``backtest_note`` says why).
    backtest_note : str
    plan : SeedPlan
        Seeds to pin P(success) at ``scale`` within ``+-half_width``.
    half_width, confidence_level : float
    """

    scale: float
    factor: float
    law: DistributionalScalingLaw
    prediction: PredictiveDistribution
    best_of: tuple
    backtest: BacktestResult | None
    backtest_note: str
    plan: SeedPlan
    half_width: float
    confidence_level: float

    def __repr__(self) -> str:
        p = self.prediction.p_success()
        return (f"NextScaleOutlook(scale {self.scale:g}: P(success) {float(p.estimate):.3g} "
                f"[{float(p.ci.low):.3g}, {float(p.ci.high):.3g}], {self.plan.n_seeds} seeds for "
                f"+-{self.half_width:g})")

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: ``part, scale, quantity, k, model, estimate, ci_low, ci_high``.

        ``part`` is ``"backtest"`` (the CRPS of each model at each held-out
        scale), ``"prediction"`` (P(success), mean and quartiles of one seed
        and of the best of ``k``) or ``"seeds"``.
        """
        rows = []
        if self.backtest is not None:
            bt = self.backtest.to_frame().query("score == 'crps'")
            for r in bt.itertuples():
                rows.append(("backtest", r.scale, "crps", 1, r.model, r.value, r.ci_low,
                             r.ci_high))
        for k in self.best_of:
            pred = self.prediction.best_of(k)
            for name, band in (("p_success", pred.p_success()), ("mean", pred.mean())):
                rows.append(("prediction", self.scale, name, k, "law", float(band.estimate),
                             float(band.ci.low), float(band.ci.high)))
            q = pred.quantile([0.25, 0.5, 0.75])
            for lvl, est, lo, hi in zip((0.25, 0.5, 0.75), q.estimate, q.ci.low, q.ci.high,
                                        strict=True):
                rows.append(("prediction", self.scale, f"quantile_{lvl:g}", k, "law", est, lo, hi))
        n = self.plan.n_seeds
        rows.append(("seeds", self.scale, f"seeds for +-{self.half_width:g}", 1, "law",
                     math.nan if n is None else float(n), math.nan,
                     math.nan if self.plan.n_seeds_conservative is None
                     else float(self.plan.n_seeds_conservative)))
        return pd.DataFrame(rows, columns=["part", "scale", "quantity", "k", "model", "estimate",
                                           "ci_low", "ci_high"])

    def plot(self, ax: object = None, **kwargs: object) -> object:
        """The predicted distribution at the next scale (``prediction.plot``)."""
        return self.prediction.plot(ax=ax, **kwargs)


@fill_doc
def next_scale_outlook(
    pop: Population | pd.DataFrame,
    *,
    threshold: float,
    higher_is_better: bool = True,
    bounds: tuple[float | None, float | None] | str | None = "auto",
    factor: float = 2.0,
    best_of: Sequence[int] = (1, 5, 10),
    half_width: float = 0.05,
    n_holdout: int = 1,
    metric: Hashable | None = None,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | None = None,
) -> NextScaleOutlook:
    """What to expect at the next scale: backtest, prediction, best of k, seeds needed.

    Parameters
    ----------
    %(pop)s
    %(threshold)s
    %(higher_is_better)s
    bounds : "auto", (lo, hi) or None, default "auto"
        The metric's range (see :class:`~distscale.DistributionalScalingLaw`).
    factor : float, default 2.0
        The next scale is ``factor`` times the largest.
    best_of : sequence of int, default (1, 5, 10)
        The ``k`` of the best-of-``k`` predictions.
    half_width : float, default 0.05
        The precision of P(success) to plan seeds for.
    n_holdout : int, default 1
        Largest scales held out by the backtest.
    %(metric)s
    n_resamples : int, default 1000
        Seed-bootstrap replicates of the law's bands and of the backtest's
        intervals of the score differences.
    %(confidence_level)s
    %(rng)s
    %(columns)s

    Returns
    -------
    NextScaleOutlook

    Examples
    --------
    >>> import distscale as ds
    >>> pop = ds.datasets.load_count_population().select(metric="exact_match")
    >>> out = next_scale_outlook(pop, threshold=0.5, bounds=(0, 1), n_resamples=30, rng=0)
    >>> out.scale, out.plan.n_seeds
    (217600.0, 1)
    """
    factor = Real(1.0, None, closed="neither")("factor", factor)
    ks = tuple(Integer(minimum=1)("best_of", int(k)) for k in best_of)
    gen = check_rng(rng)
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    rule = {"threshold": threshold, "higher_is_better": higher_is_better, "bounds": bounds}
    law = DistributionalScalingLaw(**rule, n_resamples=n_resamples,
                                   confidence_level=confidence_level, metric=metric,
                                   rng=gen).fit(pop)
    target = float(law.scales_[-1] * factor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        pred = law.predict(target)
    bt, note = None, ""
    if len(law.scales_) - n_holdout >= 2:
        bt = backtest(pop, **rule, n_holdout=n_holdout, metric=metric, n_resamples=n_resamples,
                      confidence_level=confidence_level, rng=gen)
    else:
        note = (f"no backtest: {len(law.scales_)} scales leave fewer than 2 to fit after "
                f"holding out {n_holdout}")
    plan = seeds_needed("p_success", law=law, at=target, half_width=half_width,
                        confidence_level=confidence_level)
    return NextScaleOutlook(target, factor, law, pred, ks, bt, note, plan, half_width,
                            law.confidence_level_)


# ================================================================================ the page
def _cell(est: float, lo: float, hi: float) -> dict:
    return {"estimate": fmt(est), "low": fmt(lo), "high": fmt(hi)}


def section_data(outlook: NextScaleOutlook) -> dict:
    """The section's data for ``report/templates/sections/law.html.j2``.

    Keys: ``level``, ``scale``, ``factor``, ``rule``, ``model`` (the law in
    words), ``backtest`` (a table, or None) and ``backtest_note``,
    ``prediction`` and ``best_of`` (tables), ``seeds`` (a sentence),
    ``notes`` (the law's modelling notes).
    """
    law, pred = outlook.law, outlook.prediction
    level = f"{100 * outlook.confidence_level:.0f}%"
    backtest_table = None
    if outlook.backtest is not None:
        frame = outlook.backtest.to_frame().query("score == 'crps'")
        backtest_table = {
            "columns": ["held-out scale", "seeds", "forecast", "CRPS", "law − forecast",
                        "verdict"],
            "rows": [
                [fmt_scale(r.scale), str(r.n_seeds), r.model.replace("_", " "),
                 _cell(r.value, r.ci_low, r.ci_high),
                 "–" if r.model == "law" else _cell(r.difference, r.diff_ci_low,
                                                    r.diff_ci_high),
                 r.verdict or "–"]
                for r in frame.itertuples()
            ],
        }
    p = pred.p_success()
    m = pred.mean()
    q = pred.quantile([0.1, 0.5, 0.9])
    prediction = {
        "columns": ["quantity", "estimate"],
        "rows": [
            ["P(success)", _cell(p.estimate, p.ci.low, p.ci.high)],
            ["mean", _cell(m.estimate, m.ci.low, m.ci.high)],
            *[[f"{int(100 * lvl)}th percentile", _cell(e, lo, hi)] for lvl, e, lo, hi in
              zip((0.1, 0.5, 0.9), q.estimate, q.ci.low, q.ci.high, strict=True)],
        ],
    }
    masses = pred.point_masses()
    for j, v in enumerate(np.atleast_1d(masses.x)):
        prediction["rows"].append([f"share of runs at {v:g}",
                                   _cell(masses.estimate[j], masses.ci.low[j], masses.ci.high[j])])
    best = {"columns": ["best of k seeds", "P(best succeeds)", "median of the best"], "rows": []}
    for k in outlook.best_of:
        bk = pred.best_of(k)
        pk, qk = bk.p_success(), bk.quantile([0.5])
        best["rows"].append([str(k), _cell(pk.estimate, pk.ci.low, pk.ci.high),
                             _cell(qk.estimate[0], qk.ci.low[0], qk.ci.high[0])])
    plan = outlook.plan
    if plan.n_seeds is None:
        seeds = "No number of seeds up to the largest tried pins P(success) that closely."
    else:
        verb = "seeds pin" if plan.n_seeds != 1 else "seed pins"
        seeds = (f"{plan.n_seeds} {verb} P(success) within ±{outlook.half_width:g} of the "
                 f"truth with probability {level} if P(success) is the predicted "
                 f"{float(p.estimate):.3g} (exact binomial)")
        if plan.n_seeds_conservative is not None and plan.n_seeds_conservative != plan.n_seeds:
            seeds += (f"; {plan.n_seeds_conservative} at the end of its band nearest 50 %, "
                      "the safer plan")
        seeds += "."
    return {
        "level": level,
        "scale": fmt_scale(outlook.scale),
        "factor": fmt(outlook.factor),
        "rule": rule_text(law.threshold_, law.higher_is_better_, subject=law.metric_),
        "model": (f"{law.transform_.describe()} components, {law.success_model_} weight of the "
                  f"successful part, {law.n_resamples_} seed-bootstrap replicates"),
        "backtest": backtest_table,
        "backtest_note": outlook.backtest_note,
        "prediction": prediction,
        "best_of": best,
        "seeds": seeds,
        "notes": list(law.notes_),
    }
