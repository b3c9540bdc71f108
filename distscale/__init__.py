"""distscale: distributional scaling analysis of seed populations.

How are the outcomes of many training seeds distributed at each scale, and
how does that distribution change as models grow?
"""

from distscale import datasets, io, metrics
from distscale._lib.results import ConfidenceInterval
from distscale._lib.version import __version__
from distscale._lib.warnings import (
    DegenerateDataWarning,
    DroppedRowsWarning,
    PairedSeedsWarning,
)
from distscale.describe import (
    ConditionComparison,
    CurveEmergence,
    DistributionShift,
    EmergenceScores,
    PerSeedEmergence,
    SummaryCurves,
    breakthroughness,
    compare_conditions,
    curve_emergence,
    distribution_shift,
    emergence_scores,
    half_sample_mode,
    linearity,
    per_seed_emergence,
    summary_curves,
)
from distscale.io import read_lm_eval, read_lm_eval_samples, read_population, read_samples
from distscale.metrics import MetricComparison, MetricVerdict, compare_metrics, score_samples
from distscale.modality import (
    ComponentSelection,
    DipTestResult,
    MixtureFit,
    ModalityScan,
    bimodality_coefficient,
    dip_statistic,
    dip_test,
    fit_mixture,
    modality_scan,
    select_components,
)
from distscale.population import Population, as_population
from distscale.report import Report, make_report
from distscale.resampling import (
    BootstrapResult,
    NestedBootstrapResult,
    bootstrap,
    nested_bootstrap,
)
from distscale.success import (
    GoodnessOfFit,
    InverseScalingResult,
    MonotonicityTestResult,
    ShapeTestResult,
    SuccessCurve,
    ThresholdSensitivity,
    TrendTestResult,
    inverse_scaling,
    monotonicity_test,
    shape_test,
    success_curve,
    threshold_sensitivity,
    trend_test,
)

__all__ = [
    "BootstrapResult",
    "ComponentSelection",
    "ConditionComparison",
    "ConfidenceInterval",
    "CurveEmergence",
    "DegenerateDataWarning",
    "DipTestResult",
    "DistributionShift",
    "DroppedRowsWarning",
    "EmergenceScores",
    "GoodnessOfFit",
    "InverseScalingResult",
    "MetricComparison",
    "MetricVerdict",
    "MixtureFit",
    "ModalityScan",
    "MonotonicityTestResult",
    "NestedBootstrapResult",
    "PairedSeedsWarning",
    "PerSeedEmergence",
    "Population",
    "Report",
    "ShapeTestResult",
    "SuccessCurve",
    "SummaryCurves",
    "ThresholdSensitivity",
    "TrendTestResult",
    "__version__",
    "as_population",
    "bimodality_coefficient",
    "bootstrap",
    "breakthroughness",
    "compare_conditions",
    "compare_metrics",
    "curve_emergence",
    "datasets",
    "dip_statistic",
    "dip_test",
    "distribution_shift",
    "emergence_scores",
    "fit_mixture",
    "half_sample_mode",
    "inverse_scaling",
    "io",
    "linearity",
    "make_report",
    "metrics",
    "modality_scan",
    "monotonicity_test",
    "nested_bootstrap",
    "per_seed_emergence",
    "read_lm_eval",
    "read_lm_eval_samples",
    "read_population",
    "read_samples",
    "score_samples",
    "select_components",
    "shape_test",
    "success_curve",
    "summary_curves",
    "threshold_sensitivity",
    "trend_test",
]
