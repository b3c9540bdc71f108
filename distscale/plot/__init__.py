"""Pictures of distscale results (matplotlib only).

Every function here draws a result object (or the seed values of a
:class:`~distscale.Population`) and computes nothing statistical: estimates,
intervals, fits and p-values all come from the result. ``import distscale``
does not import matplotlib; ``import distscale.plot`` does, and the result
objects' ``.plot()`` methods import this module on first use.

Conventions shared by all functions:

* ``ax=None`` creates a new figure. A one-panel function draws into a given
  :class:`~matplotlib.axes.Axes` and returns it. A several-panel function
  (:func:`modality_scan`, :func:`inverse_scaling`, :func:`metric_comparison`)
  returns the :class:`~matplotlib.figure.Figure`; its ``ax`` may be a Figure
  or SubFigure (the panels are added to it) or a sequence of as many Axes
  as it has panels.
* One palette (Okabe & Ito's colour-blind-safe colours) gives each statistic
  and mixture component the same colour in every picture; confidence
  intervals are translucent bands (curves) or vertical bars (points).
* Legends never cover data: they sit above the axes (the title moves up
  to make room) or, for the modality scan, to the right of them.
* A line joins only values that exist: it breaks (NaN) at a scale where
  its quantity is absent -- a mixture component not in the fit there, a
  scale dropped from a trend test, a seed without a run -- and a value
  with no neighbour is drawn as a marker alone.
* The scale axis is logarithmic when ``logx=True``; with ``logx=None`` it is
  logarithmic when the scales are positive and spaced more evenly on a log
  than on a linear axis (1, 2, 4, 8 ...) or span two decades or more, and
  for a :class:`~distscale.SuccessCurve` when it was fitted in ``ln(scale)``.
  A few scales get a tick each, written with k/M/B/T from 10,000 up.
"""

import functools

from distscale.describe import (
    ConditionComparison,
    DistributionShift,
    PerSeedEmergence,
    SummaryCurves,
)
from distscale.law import (
    BacktestResult,
    DistributionalScalingLaw,
    LawMeanDecomposition,
    PredictiveDistribution,
    SeedPlan,
)
from distscale.metrics import MetricComparison
from distscale.modality import ModalityScan
from distscale.plot._style import PALETTE
from distscale.plot.conditions import condition_comparison
from distscale.plot.curves import seed_trajectories, success_curve, summary_curves
from distscale.plot.distributions import distribution_shift, seed_distributions
from distscale.plot.law import (
    backtest,
    law_decomposition,
    predictive_distribution,
    scaling_law,
    seed_plan,
)
from distscale.plot.metrics import metric_comparison
from distscale.plot.modality import modality_scan
from distscale.plot.threshold import threshold_sensitivity
from distscale.plot.trends import inverse_scaling, trend
from distscale.population import Population
from distscale.success import (
    InverseScalingResult,
    MonotonicityTestResult,
    SuccessCurve,
    ThresholdSensitivity,
    TrendTestResult,
)


@functools.singledispatch
def draw(result: object, ax: object = None, **kwargs: object) -> object:
    """Draw any result object with the function of this module that matches its type.

    Every result's ``.plot(ax=None, **kwargs)`` calls this. The matching
    functions: :class:`~distscale.SummaryCurves` -> :func:`summary_curves`,
    :class:`~distscale.SuccessCurve` -> :func:`success_curve`,
    :class:`~distscale.DistributionShift` -> :func:`distribution_shift`,
    :class:`~distscale.ModalityScan` -> :func:`modality_scan`,
    :class:`~distscale.TrendTestResult` and
    :class:`~distscale.MonotonicityTestResult` -> :func:`trend`,
    :class:`~distscale.InverseScalingResult` -> :func:`inverse_scaling`,
    :class:`~distscale.PerSeedEmergence` -> :func:`seed_trajectories`,
    :class:`~distscale.MetricComparison` -> :func:`metric_comparison`,
    :class:`~distscale.ConditionComparison` -> :func:`condition_comparison`,
    :class:`~distscale.ThresholdSensitivity` -> :func:`threshold_sensitivity`.

    Parameters
    ----------
    result : result object
        What to draw.
    ax : matplotlib Axes, Figure or sequence of Axes, optional
        Where to draw (see each function).
    **kwargs
        Options of the matching function.

    Returns
    -------
    matplotlib Axes or Figure

    Raises
    ------
    TypeError
        When no picture is defined for the result's type.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import distscale, distscale.plot
    >>> pop = distscale.Population.from_dict({1: [0.1, 0.3, 0.2], 2: [0.4, 0.25, 0.5]})
    >>> ax = distscale.plot.draw(distscale.trend_test(pop))
    >>> distscale.plot.draw(pop)
    Traceback (most recent call last):
    TypeError: distscale.plot has no picture of a Population; see ...
    """
    hint = "; see distscale.plot.seed_distributions" if isinstance(result, Population) else ""
    raise TypeError(f"distscale.plot has no picture of a {type(result).__name__}{hint}")


for _type, _function in (
    (SummaryCurves, summary_curves),
    (SuccessCurve, success_curve),
    (DistributionShift, distribution_shift),
    (ModalityScan, modality_scan),
    (TrendTestResult, trend),
    (MonotonicityTestResult, trend),
    (InverseScalingResult, inverse_scaling),
    (PerSeedEmergence, seed_trajectories),
    (MetricComparison, metric_comparison),
    (ConditionComparison, condition_comparison),
    (ThresholdSensitivity, threshold_sensitivity),
    (DistributionalScalingLaw, scaling_law),
    (PredictiveDistribution, predictive_distribution),
    (BacktestResult, backtest),
    (SeedPlan, seed_plan),
    (LawMeanDecomposition, law_decomposition),
):
    draw.register(_type, _function)
del _type, _function

__all__ = [
    "PALETTE",
    "backtest",
    "condition_comparison",
    "distribution_shift",
    "draw",
    "inverse_scaling",
    "law_decomposition",
    "metric_comparison",
    "modality_scan",
    "predictive_distribution",
    "scaling_law",
    "seed_distributions",
    "seed_plan",
    "seed_trajectories",
    "success_curve",
    "summary_curves",
    "threshold_sensitivity",
    "trend",
]
