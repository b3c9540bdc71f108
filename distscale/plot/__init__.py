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

from distscale.plot._style import PALETTE
from distscale.plot.curves import seed_trajectories, success_curve, summary_curves
from distscale.plot.distributions import distribution_shift, seed_distributions
from distscale.plot.metrics import metric_comparison
from distscale.plot.modality import modality_scan
from distscale.plot.trends import inverse_scaling, trend

__all__ = [
    "PALETTE",
    "distribution_shift",
    "inverse_scaling",
    "metric_comparison",
    "modality_scan",
    "seed_distributions",
    "seed_trajectories",
    "success_curve",
    "summary_curves",
    "trend",
]
