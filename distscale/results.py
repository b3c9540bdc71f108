"""Shared pieces of result objects."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ConfidenceInterval"]


@dataclass(frozen=True)
class ConfidenceInterval:
    """A two-sided confidence interval.

    Attributes
    ----------
    low, high : float
        Lower and upper bounds.

    Examples
    --------
    >>> ci = ConfidenceInterval(0.2, 0.4)
    >>> ci.low, ci.high
    (0.2, 0.4)
    >>> 0.3 in ci
    True
    """

    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def width(self) -> float:
        """``high - low``."""
        return self.high - self.low
