"""Warning classes raised by distscale."""

from __future__ import annotations

__all__ = ["DegenerateDataWarning", "DroppedRowsWarning"]


class DegenerateDataWarning(UserWarning):
    """Data are legal but degenerate, so an answer is given with a caveat.

    Examples: every seed has the same value, a scale has a single seed, no
    run succeeded at some scale (so the mean of successful runs is
    undefined there), or every bootstrap resample gave the same statistic
    (so the confidence interval has zero width).
    """


class DroppedRowsWarning(UserWarning):
    """Rows were dropped from the input because the user asked for it."""
