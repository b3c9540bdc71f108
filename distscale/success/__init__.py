"""How the probability of success, and trends of the runs, move with scale.

The success curve (logistic, quadratic, isotonic; Firth's penalty under
separation), ordered-alternative trend tests, the test of monotonicity, the
two-lines test of a U or inverted U, the inverse-scaling verdict, and how
the threshold-dependent verdicts change with the success threshold.
"""

from distscale.success.curve import SuccessCurve, logistic_or_fitting_curve, success_curve
from distscale.success.goodness import GoodnessOfFit
from distscale.success.inverse import InverseScalingResult, inverse_scaling
from distscale.success.monotonicity import MonotonicityTestResult, monotonicity_test
from distscale.success.sensitivity import ThresholdSensitivity, threshold_sensitivity
from distscale.success.shape import ShapeTestResult, shape_test
from distscale.success.trend import TrendTestResult, trend_test

__all__ = [
    "GoodnessOfFit",
    "InverseScalingResult",
    "MonotonicityTestResult",
    "ShapeTestResult",
    "SuccessCurve",
    "ThresholdSensitivity",
    "TrendTestResult",
    "inverse_scaling",
    "logistic_or_fitting_curve",
    "monotonicity_test",
    "shape_test",
    "success_curve",
    "threshold_sensitivity",
    "trend_test",
]
