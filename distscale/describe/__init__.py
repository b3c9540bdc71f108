"""Describe the seed distribution at each scale and how it moves.

The paper's summary curves (mode, mean, median, P(success), mean of the
successful and of the failed runs), the distance between the seed
distributions of successive scales, the decomposition of the mean's change,
BIG-bench's emergence scores of a curve, of every seed's curve and of
the summary curves, and the comparison of two conditions trained at the
same scales.
"""

from distscale.describe.conditions import ConditionComparison, compare_conditions
from distscale.describe.decomposition import MeanDecomposition, decompose_mean
from distscale.describe.emergence import (
    EmergenceScores,
    breakthroughness,
    emergence_scores,
    linearity,
)
from distscale.describe.emergence_curves import (
    CurveEmergence,
    PerSeedEmergence,
    curve_emergence,
    per_seed_emergence,
)
from distscale.describe.shift import DistributionShift, distribution_shift, wasserstein_distance
from distscale.describe.summary import (
    STATISTICS,
    SummaryCurves,
    half_sample_mode,
    summary_curves,
)

__all__ = [
    "STATISTICS",
    "ConditionComparison",
    "CurveEmergence",
    "DistributionShift",
    "EmergenceScores",
    "MeanDecomposition",
    "PerSeedEmergence",
    "SummaryCurves",
    "breakthroughness",
    "compare_conditions",
    "curve_emergence",
    "decompose_mean",
    "distribution_shift",
    "emergence_scores",
    "half_sample_mode",
    "linearity",
    "per_seed_emergence",
    "summary_curves",
    "wasserstein_distance",
]
