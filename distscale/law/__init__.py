"""Predict the seed distribution at an unseen scale: the distributional scaling law.

* :class:`DistributionalScalingLaw` -- one model of the seed distribution
  across all scales (the weight of the successful part logistic in
  ``ln(scale)``, failed and successful parts that move with it, point masses
  where runs pile up at a bound), fitted by a batched EM with seed-bootstrap
  bands; ``predict(scale)`` gives a :class:`PredictiveDistribution` (density,
  CDF, quantiles, mean, P(success), draws, the best of ``k`` seeds), and
  ``decompose_mean()`` the law's split of the mean's change
  (:class:`LawMeanDecomposition`).
* :func:`backtest` -- hide the largest scales, predict them, and score the
  law against three baselines (CRPS and log score from ``scoringrules``).
* :func:`seeds_needed` -- seeds to pin P(success), to call a scale bimodal,
  or to detect a difference (:class:`SeedPlan`).
* :func:`simulate_population` and :func:`law_from_params` -- populations
  drawn from a law, and laws with known coefficients.
* :func:`next_scale_outlook` -- the report's "what to expect at the next
  scale" (:class:`NextScaleOutlook`; :func:`section_data` formats it).
"""

from distscale.law.backtest import MODELS, BacktestResult, backtest
from distscale.law.decompose import LawMeanDecomposition
from distscale.law.outlook import NextScaleOutlook, next_scale_outlook, section_data
from distscale.law.planning import SeedPlan, seeds_needed
from distscale.law.predictive import Band, PredictiveDistribution
from distscale.law.scaling_law import DistributionalScalingLaw, ExtrapolationWarning
from distscale.law.simulate import law_from_params, simulate_population

__all__ = [
    "MODELS",
    "BacktestResult",
    "Band",
    "DistributionalScalingLaw",
    "ExtrapolationWarning",
    "LawMeanDecomposition",
    "NextScaleOutlook",
    "PredictiveDistribution",
    "SeedPlan",
    "backtest",
    "law_from_params",
    "next_scale_outlook",
    "section_data",
    "seeds_needed",
    "simulate_population",
]
