"""distscale: distributional scaling analysis of seed populations.

How are the outcomes of many training seeds distributed at each scale, and
how does that distribution change as models grow?
"""

from distscale import datasets, io, metrics
from distscale._warnings import DegenerateDataWarning, DroppedRowsWarning
from distscale.bootstrap import BootstrapResult, bootstrap
from distscale.emergence import (
    CurveEmergence,
    EmergenceScores,
    PerSeedEmergence,
    breakthroughness,
    curve_emergence,
    emergence_scores,
    linearity,
    per_seed_emergence,
)
from distscale.inverse import InverseScalingResult, inverse_scaling
from distscale.io import read_lm_eval, read_lm_eval_samples, read_population, read_samples
from distscale.metric_comparison import MetricComparison, MetricVerdict, compare_metrics
from distscale.metrics import score_samples
from distscale.mixture import ComponentSelection, MixtureFit, fit_mixture, select_components
from distscale.modality import ModalityScan, modality_scan
from distscale.nested_bootstrap import NestedBootstrapResult, nested_bootstrap
from distscale.population import Population, as_population
from distscale.report import Report, make_report
from distscale.results import ConfidenceInterval
from distscale.shift import DistributionShift, distribution_shift
from distscale.success import SuccessCurve, success_curve
from distscale.summary import SummaryCurves, half_sample_mode, summary_curves
from distscale.trend import (
    MonotonicityTestResult,
    TrendTestResult,
    monotonicity_test,
    trend_test,
)
from distscale.unimodality import (
    DipTestResult,
    bimodality_coefficient,
    dip_statistic,
    dip_test,
)

__version__ = "0.1.0"

__all__ = [
    "BootstrapResult",
    "ComponentSelection",
    "ConfidenceInterval",
    "CurveEmergence",
    "DegenerateDataWarning",
    "DipTestResult",
    "DistributionShift",
    "DroppedRowsWarning",
    "EmergenceScores",
    "InverseScalingResult",
    "MetricComparison",
    "MetricVerdict",
    "MixtureFit",
    "ModalityScan",
    "MonotonicityTestResult",
    "NestedBootstrapResult",
    "PerSeedEmergence",
    "Population",
    "Report",
    "SuccessCurve",
    "SummaryCurves",
    "TrendTestResult",
    "__version__",
    "as_population",
    "bimodality_coefficient",
    "bootstrap",
    "breakthroughness",
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
    "success_curve",
    "summary_curves",
    "trend_test",
]
