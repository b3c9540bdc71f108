"""Warning classes raised by distscale."""

from __future__ import annotations

__all__ = ["DegenerateDataWarning", "DroppedRowsWarning", "PairedSeedsWarning"]


class DegenerateDataWarning(UserWarning):
    """Data are legal but degenerate, so an answer is given with a caveat.

    Examples: every seed has the same value, a scale has a single seed, no
    run succeeded at some scale (so the mean of successful runs is
    undefined there), or every bootstrap resample gave the same statistic
    (so the confidence interval has zero width).
    """


class DroppedRowsWarning(UserWarning):
    """Rows were dropped from the input because the user asked for it."""


class PairedSeedsWarning(UserWarning):
    """The same seeds seem to be measured at every scale, but ``paired`` was not said.

    Raised by :class:`~distscale.Population` when every seed label appears at
    every scale and the values are correlated across scales (checkpoints of
    the same runs). Pass ``paired=True`` (or ``paired=False`` to silence it).
    """
