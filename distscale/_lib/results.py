"""The contract every result object of distscale keeps.

Every function of distscale returns a frozen dataclass that mixes in
:class:`Result`, which gives it

* ``to_frame()``: a tidy :class:`pandas.DataFrame` (each class writes its own);
* ``plot(ax=None, **kwargs)``: the matching picture, drawn by
  :func:`distscale.plot.draw`, which dispatches on the result's type
  (matplotlib is imported only then);
* a readable ``repr`` (arrays shown by shape when long);
* equality that compares array fields by value (NaN equal to NaN) and never
  raises; results are not hashable.

Every interval is a :class:`ConfidenceInterval` (``low``, ``high``,
``level``, ``method``); per-scale intervals hold arrays.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from distscale._lib.validation import check_one_of

__all__ = [
    "ConfidenceInterval",
    "Interval",
    "IntervalArrays",
    "Result",
    "frozen",
    "pick",
    "scale_labels",
    "values_equal",
]


def values_equal(a: Any, b: Any) -> bool:
    """Equality of result fields: arrays by value (NaN == NaN), never raising.

    Examples
    --------
    >>> values_equal(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    True
    >>> values_equal((1, np.zeros(2)), (1, np.ones(2)))
    False
    """
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        try:
            return bool(np.array_equal(a, b, equal_nan=True))
        except TypeError:  # object arrays: NaN-aware comparison not defined
            return bool(np.array_equal(a, b))
    if isinstance(a, (pd.DataFrame, pd.Series)) or isinstance(b, (pd.DataFrame, pd.Series)):
        return type(a) is type(b) and a.equals(b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(
            values_equal(x, y) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # both NaN
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return np.array2string(value, precision=4, separator=", ", threshold=6)
        return f"array(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, pd.DataFrame):
        return f"DataFrame({len(value)} rows x {value.shape[1]} columns)"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"{type(value).__name__}(len={len(value)})"
    if isinstance(value, float):
        return f"{value:.4g}"
    return repr(value)


class Result:
    """Mixin of every result object: ``to_frame``, ``plot``, ``repr`` and ``==``.

    Subclasses are frozen dataclasses declared with ``eq=False`` (so that
    this class's array-aware equality applies) and ``repr=False`` unless
    they write their own ``__repr__``.
    """

    __hash__ = None  # type: ignore[assignment]  # results hold arrays: not hashable

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every result writes its own
        """The result as a tidy :class:`pandas.DataFrame`."""
        raise NotImplementedError(f"{type(self).__name__} has no table form")

    def plot(self, ax: object = None, **kwargs: object) -> object:
        """Draw the result with :func:`distscale.plot.draw` (imports matplotlib).

        Parameters
        ----------
        ax : matplotlib Axes, Figure or sequence of Axes, optional
            Where to draw; a new figure when None.
        **kwargs
            Options of the matching function of :mod:`distscale.plot`.

        Returns
        -------
        matplotlib Axes or Figure
        """
        module = importlib.import_module("distscale.plot")
        return module.draw(self, ax=ax, **kwargs)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        if not dataclasses.is_dataclass(self):  # pragma: no cover - every result is one
            return self is other
        return all(
            values_equal(getattr(self, f.name), getattr(other, f.name))
            for f in dataclasses.fields(self)
            if f.compare
        )

    def __repr__(self) -> str:
        if not dataclasses.is_dataclass(self):  # pragma: no cover
            return object.__repr__(self)
        parts = [
            f"{f.name}={_short(getattr(self, f.name))}"
            for f in dataclasses.fields(self)
            if f.repr
        ]
        return f"{type(self).__name__}({', '.join(parts)})"


@dataclass(frozen=True, eq=False, repr=False)
class Interval(Result):
    """A closed interval ``[low, high]``: the base of every interval in results.

    ``low`` and ``high`` are numbers, or arrays of the same shape for one
    interval per scale. An interval unpacks as ``low, high = interval``.

    Attributes
    ----------
    low, high : float or numpy.ndarray
        Lower and upper bounds.

    Examples
    --------
    >>> Interval(1.0, 3.0).width
    2.0
    >>> low, high = Interval(1.0, 3.0)
    """

    low: Any
    high: Any

    def __contains__(self, value: float) -> bool:
        return bool(np.all((self.low <= value) & (value <= self.high)))

    def __iter__(self):
        yield self.low
        yield self.high

    @property
    def width(self) -> Any:
        """``high - low``."""
        return self.high - self.low

    def to_frame(self) -> pd.DataFrame:
        """``low`` and ``high`` as columns (one row per interval)."""
        return pd.DataFrame({"low": np.ravel(self.low), "high": np.ravel(self.high)})

    def __repr__(self) -> str:
        parts = [f"low={_short(self.low)}", f"high={_short(self.high)}"]
        parts += [
            f"{f.name}={_short(getattr(self, f.name))}"
            for f in dataclasses.fields(self)[2:]
            if f.repr and getattr(self, f.name) is not None
        ]
        return f"{type(self).__name__}({', '.join(parts)})"


@dataclass(frozen=True, eq=False, repr=False)
class ConfidenceInterval(Interval):
    """A two-sided confidence interval (or one per scale, with arrays).

    Attributes
    ----------
    low, high : float or numpy.ndarray
        Lower and upper bounds.
    level : float or None
        Confidence level (e.g. 0.95), when known.
    method : str or None
        How it was made (``"percentile"``, ``"bca"``, ``"profile"``, ...),
        when known.

    Examples
    --------
    >>> ci = ConfidenceInterval(0.2, 0.4, level=0.95, method="percentile")
    >>> ci.low, ci.high
    (0.2, 0.4)
    >>> 0.3 in ci
    True
    >>> ci
    ConfidenceInterval(low=0.2, high=0.4, level=0.95, method='percentile')
    """

    level: float | None = None
    method: str | None = None


class IntervalArrays:
    """Mixin of results whose bounds are the arrays ``ci_low`` and ``ci_high``.

    Gives them :attr:`confidence_interval`, the same bounds as one
    :class:`ConfidenceInterval` (with the result's ``confidence_level`` and
    ``method``), so every interval of distscale can be read the same way.
    """

    @property
    def confidence_interval(self) -> ConfidenceInterval:
        """``ConfidenceInterval(ci_low, ci_high, level, method)`` (arrays inside)."""
        return ConfidenceInterval(
            self.ci_low,  # type: ignore[attr-defined]
            self.ci_high,  # type: ignore[attr-defined]
            level=getattr(self, "confidence_level", None),
            method=getattr(self, "method", None),
        )


class StatisticColumns(IntervalArrays):
    """Mixin of results that hold several statistics per scale, one column each.

    The result has ``statistics`` (the column names) and ``estimates``,
    ``ci_low``, ``ci_high`` of shape ``(n_scales, n_statistics)``;
    :meth:`estimate` and :meth:`interval` read one statistic by name.
    """

    def _column(self, statistic: str) -> int:
        statistics = self.statistics  # type: ignore[attr-defined]
        check_one_of("statistic", statistic, statistics)
        return statistics.index(statistic)

    def estimate(self, statistic: str) -> np.ndarray:
        """Point estimates of one statistic at every scale."""
        return self.estimates[:, self._column(statistic)]  # type: ignore[attr-defined]

    def interval(self, statistic: str) -> ConfidenceInterval:
        """Confidence bounds of one statistic across scales (arrays in a ConfidenceInterval)."""
        c = self._column(statistic)
        return ConfidenceInterval(
            self.ci_low[:, c],  # type: ignore[attr-defined]
            self.ci_high[:, c],  # type: ignore[attr-defined]
            level=self.confidence_level,  # type: ignore[attr-defined]
            method=self.method,  # type: ignore[attr-defined]
        )


def scale_labels(scales: np.ndarray) -> list[object]:
    """Scales as ints where they are whole numbers (for messages and frames)."""
    return [int(s) if float(s).is_integer() else float(s) for s in scales]


def pick(labels: list[object], mask: np.ndarray) -> list[object]:
    """The labels where ``mask`` is true."""
    return [labels[i] for i in np.flatnonzero(mask)]


def frozen(arr: object, dtype: object = None) -> np.ndarray:
    """A read-only copy of ``arr`` (result objects never share a caller's array).

    Examples
    --------
    >>> a = frozen([1, 2], dtype=float)
    >>> a.dtype, a.flags.writeable
    (dtype('float64'), False)
    """
    arr = np.array(arr, dtype=dtype)
    arr.flags.writeable = False
    return arr
