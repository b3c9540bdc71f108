"""Shared pieces of result objects."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np

__all__ = ["ConfidenceInterval", "Interval"]


@dataclass(frozen=True)
class Interval:
    """A closed interval ``[low, high]``: the base of every interval in results.

    Attributes
    ----------
    low, high : float
        Lower and upper bounds.

    Examples
    --------
    >>> Interval(1.0, 3.0).width
    2.0
    """

    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def width(self) -> float:
        """``high - low``."""
        return self.high - self.low


@dataclass(frozen=True)
class ConfidenceInterval(Interval):
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


def scale_labels(scales: np.ndarray) -> list[object]:
    """Scales as ints where they are whole numbers (for messages and frames)."""
    return [int(s) if float(s).is_integer() else float(s) for s in scales]


def pick(labels: list[object], mask: np.ndarray) -> list[object]:
    """The labels where ``mask`` is true."""
    return [labels[i] for i in np.flatnonzero(mask)]


def frozen(arr: np.ndarray) -> np.ndarray:
    """A read-only copy of ``arr`` (result objects never share a caller's array)."""
    arr = np.array(arr)
    arr.flags.writeable = False
    return arr


def delegate_plot(name: str, result: object, ax: object, **kwargs: object) -> object:
    """Call ``distscale.plot.<name>(result, ax=ax, **kwargs)``, importing matplotlib lazily."""
    try:
        module = importlib.import_module("distscale.plot")
    except ModuleNotFoundError as exc:
        if exc.name != "distscale.plot":
            raise
        module = None
    func = getattr(module, name, None)
    if func is None:
        raise NotImplementedError("plotting arrives with distscale.plot")
    return func(result, ax=ax, **kwargs)
