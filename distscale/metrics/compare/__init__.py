"""Thresholded vs continuous metrics: does bimodality survive a continuous score?"""

from distscale.metrics.compare.comparison import (
    DIRECTIONS,
    MetricComparison,
    MetricVerdict,
    compare_metrics,
)

__all__ = ["DIRECTIONS", "MetricComparison", "MetricVerdict", "compare_metrics"]
