"""How the probability of success, and trends of the runs, move with scale.

The success curve (logistic, quadratic, isotonic; Firth's penalty under
separation), ordered-alternative trend tests, the test of monotonicity, the
two-lines test of a U or inverted U, and the inverse-scaling verdict.
"""

from distscale.success.curve import SuccessCurve, success_curve
from distscale.success.goodness import GoodnessOfFit
from distscale.success.inverse import InverseScalingResult, inverse_scaling
from distscale.success.monotonicity import MonotonicityTestResult, monotonicity_test
from distscale.success.shape import ShapeTestResult, shape_test
from distscale.success.trend import TrendTestResult, trend_test

__all__ = [
    "GoodnessOfFit",
    "InverseScalingResult",
    "MonotonicityTestResult",
    "ShapeTestResult",
    "SuccessCurve",
    "TrendTestResult",
    "inverse_scaling",
    "monotonicity_test",
    "shape_test",
    "success_curve",
    "trend_test",
]
