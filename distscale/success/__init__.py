"""How the probability of success, and trends of the runs, move with scale.

The success curve (logistic, quadratic, isotonic; Firth's penalty under
separation), ordered-alternative trend tests, the test of monotonicity, and
the inverse-scaling verdict.
"""

from distscale.success.curve import SuccessCurve, success_curve
from distscale.success.inverse import InverseScalingResult, inverse_scaling
from distscale.success.monotonicity import MonotonicityTestResult, monotonicity_test
from distscale.success.trend import TrendTestResult, trend_test

__all__ = [
    "InverseScalingResult",
    "MonotonicityTestResult",
    "SuccessCurve",
    "TrendTestResult",
    "inverse_scaling",
    "monotonicity_test",
    "success_curve",
    "trend_test",
]
