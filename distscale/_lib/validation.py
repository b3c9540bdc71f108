"""Argument checks, each rule written once.

Rules are *constraints* (in the manner of scikit-learn's
``_param_validation``): small frozen objects that check one value, convert
it (``True`` stays ``True``, ``3`` becomes ``3.0`` for a real number, ...)
and raise :class:`TypeError` (wrong kind) or :class:`ValueError` (right kind,
wrong value) with a message that names the argument and the rule::

    `alpha` must be strictly between 0 and 1; got 1.5

A public function declares its arguments' rules once with
:func:`validate_params`; the decorator checks the bound arguments and calls
the function with the converted values. The shared rules of distscale have
names (:data:`ALPHA`, :data:`CONFIDENCE_LEVEL`, :data:`N_RESAMPLES`,
:data:`THRESHOLD`, :data:`BOOLEAN`, :data:`RNG`, :data:`BOUNDS`); the
``check_*`` functions apply one rule to one value, for code that checks
inside a function body (a per-metric mapping, a value that depends on
another argument).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ALPHA",
    "AUTO_BOUNDS",
    "BOOLEAN",
    "BOUNDS",
    "CONFIDENCE_LEVEL",
    "N_RESAMPLES",
    "RNG",
    "THRESHOLD",
    "Boolean",
    "Bounds",
    "Constraint",
    "Integer",
    "Options",
    "RandomGenerator",
    "Real",
    "check_alpha",
    "check_bool",
    "check_bounds",
    "check_confidence_level",
    "check_finite_array",
    "check_int",
    "check_n_resamples",
    "check_one_of",
    "check_positive",
    "check_rng",
    "check_threshold",
    "format_labels",
    "validate_params",
]


def format_labels(labels: Sequence[object], limit: int = 5) -> str:
    """Format up to ``limit`` row labels as ``"4, 9, 17, ..."``.

    Examples
    --------
    >>> format_labels([4, 9, "a"])
    "4, 9, 'a'"
    >>> format_labels(range(8), limit=3)
    '0, 1, 2, ... (5 more)'
    """
    labels = list(labels)
    shown = ", ".join(repr(x) if isinstance(x, str) else str(x) for x in labels[:limit])
    if len(labels) > limit:
        shown += f", ... ({len(labels) - limit} more)"
    return shown


def _is_real(value: object) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real)


def _type_name(value: object) -> str:
    return type(value).__name__


# ------------------------------------------------------------------------------ constraints
class Constraint:
    """One rule for one argument: ``constraint(name, value)`` checks and converts ``value``."""

    def __call__(self, name: str, value: object) -> object:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Boolean(Constraint):
    """``True`` or ``False`` (a NumPy bool too); returns a Python bool.

    Examples
    --------
    >>> Boolean()("progress", np.True_)
    True
    >>> Boolean()("progress", 1)
    Traceback (most recent call last):
    TypeError: `progress` must be True or False; got int
    """

    def __call__(self, name: str, value: object) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"`{name}` must be True or False; got {_type_name(value)}")
        return bool(value)


@dataclass(frozen=True)
class Integer(Constraint):
    """An integer (not a bool) with optional limits; ``none=True`` also accepts None.

    Examples
    --------
    >>> Integer(minimum=1)("n_init", 3)
    3
    >>> Integer(minimum=1)("n_init", 0)
    Traceback (most recent call last):
    ValueError: `n_init` must be at least 1; got 0
    """

    minimum: int | None = None
    maximum: int | None = None
    none: bool = False

    def __call__(self, name: str, value: object) -> int | None:
        if value is None and self.none:
            return None
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            extra = " or None" if self.none else ""
            raise TypeError(f"`{name}` must be an integer{extra}; got {_type_name(value)}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"`{name}` must be at least {self.minimum}; got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"`{name}` must be at most {self.maximum}; got {value}")
        return int(value)


@dataclass(frozen=True)
class Real(Constraint):
    """A finite real number (not a bool) in an interval; returns a float.

    ``low``/``high`` are the limits (None: unbounded) and ``closed`` says
    which are included: ``"neither"``, ``"left"``, ``"right"`` or ``"both"``.
    ``none=True`` also accepts None.

    Examples
    --------
    >>> Real(0, 1)("alpha", 0.05)
    0.05
    >>> Real(0, 1)("alpha", 1.5)
    Traceback (most recent call last):
    ValueError: `alpha` must be strictly between 0 and 1; got 1.5
    >>> Real()("threshold", float("inf"))
    Traceback (most recent call last):
    ValueError: `threshold` must be finite; got inf
    """

    low: float | None = None
    high: float | None = None
    closed: str = "neither"
    none: bool = False

    def _rule(self) -> str:
        lo, hi = self.low, self.high
        if lo is None and hi is None:
            return "finite"
        if hi is None:
            if self.closed in ("left", "both"):
                return f"a finite number >= {lo:g}"
            return f"a finite number > {lo:g}"
        if lo is None:
            return f"at most {hi:g}" if self.closed in ("right", "both") else f"less than {hi:g}"
        if self.closed == "neither":
            return f"strictly between {lo:g} and {hi:g}"
        left = "[" if self.closed in ("left", "both") else "("
        right = "]" if self.closed in ("right", "both") else ")"
        return f"in {left}{lo:g}, {hi:g}{right}"

    def _kind(self) -> str:
        if self.low is None and self.high is None:
            return "a real number"
        if self.low is not None and self.high is not None and self.closed == "neither":
            return f"a number in ({self.low:g}, {self.high:g})"
        return "a number"

    def __call__(self, name: str, value: object) -> float | None:
        if value is None and self.none:
            return None
        if not _is_real(value):
            extra = " or None" if self.none else ""
            raise TypeError(f"`{name}` must be {self._kind()}{extra}; got {_type_name(value)}")
        v = float(value)
        lo, hi = self.low, self.high
        ok = math.isfinite(v)
        if ok and lo is not None:
            ok = v >= lo if self.closed in ("left", "both") else v > lo
        if ok and hi is not None:
            ok = v <= hi if self.closed in ("right", "both") else v < hi
        if not ok:
            raise ValueError(f"`{name}` must be {self._rule()}; got {v:g}")
        return v


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of values (strings or others), compared with ``==``.

    Examples
    --------
    >>> Options(("percentile", "bca"))("method", "bca")
    'bca'
    >>> Options(("percentile", "bca"))("method", "basic")
    Traceback (most recent call last):
    ValueError: `method` must be one of 'percentile', 'bca'; got 'basic'
    """

    values: tuple

    def __call__(self, name: str, value: object) -> object:
        try:
            ok = value in self.values
        except TypeError:  # unhashable or incomparable
            ok = False
        if not ok:
            allowed = ", ".join(repr(a) for a in self.values)
            raise ValueError(f"`{name}` must be one of {allowed}; got {value!r}")
        return value


@dataclass(frozen=True)
class Bounds(Constraint):
    """None, or a pair ``(lo, hi)`` with ``lo < hi``; a None side means unbounded.

    Returns None or ``(lo, hi)`` as floats (``-inf``/``inf`` for a None side).
    With ``auto=True`` the string ``"auto"`` is accepted too (and returned).

    Examples
    --------
    >>> Bounds()("bounds", (0, None))
    (0.0, inf)
    >>> Bounds()("bounds", (1, 0))
    Traceback (most recent call last):
    ValueError: `bounds` must have lo < hi; got (1, 0)
    """

    auto: bool = False

    def __call__(self, name: str, value: object) -> tuple[float, float] | str | None:
        if value is None:
            return None
        if self.auto and isinstance(value, str):
            if value != "auto":
                raise TypeError(
                    f"`{name}` must be 'auto', None or a pair (lo, hi) of numbers; got {value!r}"
                )
            return value
        if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)) or (
            len(value) != 2
        ):
            raise TypeError(f"`{name}` must be a pair (lo, hi) of numbers or None; got {value!r}")
        out = []
        for side, b, default in (("lo", value[0], -math.inf), ("hi", value[1], math.inf)):
            if b is None:
                out.append(default)
                continue
            if not _is_real(b):
                raise TypeError(f"`{name}` {side} must be a number or None; got {_type_name(b)}")
            if math.isnan(float(b)):
                raise ValueError(f"`{name}` {side} must not be NaN")
            out.append(float(b))
        lo, hi = out
        if not lo < hi:
            raise ValueError(f"`{name}` must have lo < hi; got ({lo:g}, {hi:g})")
        return lo, hi


@dataclass(frozen=True)
class RandomGenerator(Constraint):
    """None, a non-negative int seed, a SeedSequence or a Generator -> a Generator.

    The global NumPy random state is never used.

    Examples
    --------
    >>> isinstance(RandomGenerator()("rng", 0), np.random.Generator)
    True
    """

    def __call__(self, name: str, value: object) -> np.random.Generator:
        if value is None or isinstance(value, np.random.Generator):
            return np.random.default_rng(value)
        if isinstance(value, bool) or not isinstance(
            value, (numbers.Integral, np.random.SeedSequence)
        ):
            raise TypeError(
                f"`{name}` must be None, an int seed, or a numpy.random.Generator; "
                f"got {_type_name(value)}"
            )
        if isinstance(value, numbers.Integral) and value < 0:
            raise ValueError(f"`{name}` seed must be non-negative; got {value}")
        return np.random.default_rng(value)


#: A significance level: a number strictly between 0 and 1.
ALPHA = Real(0.0, 1.0)
#: A confidence level: a number strictly between 0 and 1.
CONFIDENCE_LEVEL = Real(0.0, 1.0)
#: A number of resamples: an integer >= 1.
N_RESAMPLES = Integer(minimum=1)
#: A success threshold: a finite real number.
THRESHOLD = Real()
#: A flag: True or False.
BOOLEAN = Boolean()
#: A source of randomness: None, an int seed or a Generator.
RNG = RandomGenerator()
#: Bounds of a metric: None or (lo, hi), a None side unbounded.
BOUNDS = Bounds()
#: Bounds of a metric for mixtures: also ``"auto"`` (point masses where values pile up).
AUTO_BOUNDS = Bounds(auto=True)


# ------------------------------------------------------------------------------ decorator
def validate_params(**constraints: Constraint) -> Callable:
    """Check and convert the named arguments of a function before it runs.

    Each keyword names a parameter of the decorated function and gives its
    :class:`Constraint`. The call's arguments are bound to the signature
    (defaults applied); every declared one is checked and replaced by its
    converted value.

    Examples
    --------
    >>> @validate_params(alpha=ALPHA, rng=RNG)
    ... def f(x, *, alpha=0.05, rng=None):
    ...     return alpha, type(rng).__name__
    >>> f(1, alpha=0.1, rng=0)
    (0.1, 'Generator')
    >>> f(1, alpha=2)
    Traceback (most recent call last):
    ValueError: `alpha` must be strictly between 0 and 1; got 2
    """

    def decorate(func: Callable) -> Callable:
        signature = inspect.signature(func)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:  # a programming error in distscale itself
            raise TypeError(f"{func.__qualname__} has no parameters {sorted(unknown)}")

        @functools.wraps(func)
        def wrapper(*args: object, **kwargs: object) -> object:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, constraint in constraints.items():
                bound.arguments[name] = constraint(name, bound.arguments[name])
            return func(*bound.args, **bound.kwargs)

        wrapper.__validated__ = dict(constraints)  # type: ignore[attr-defined]
        return wrapper

    return decorate


# ------------------------------------------------------------------------------ functions
def check_rng(rng: object, name: str = "rng") -> np.random.Generator:
    """Normalise ``rng`` (None, int seed, or Generator) to a Generator (:data:`RNG`)."""
    return RNG(name, rng)


def check_confidence_level(confidence_level: object) -> float:
    """A number strictly between 0 and 1 (:data:`CONFIDENCE_LEVEL`)."""
    return CONFIDENCE_LEVEL("confidence_level", confidence_level)


def check_alpha(alpha: object, name: str = "alpha") -> float:
    """A significance level strictly between 0 and 1 (:data:`ALPHA`)."""
    return ALPHA(name, alpha)


def check_n_resamples(n_resamples: object, *, minimum: int = 1, name: str = "n_resamples") -> int:
    """An integer >= ``minimum`` (the count called ``name``)."""
    return Integer(minimum=minimum)(name, n_resamples)


def parse_number(text: str, option: str) -> float:
    """A finite number given as text (a command-line option's value); ValueError naming ``option``.

    Examples
    --------
    >>> parse_number("0.5", "--threshold")
    0.5
    >>> parse_number("inf", "--threshold")
    Traceback (most recent call last):
    ...
    ValueError: --threshold must be a finite number; got 'inf'
    """
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{option} must be a number; got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{option} must be a finite number; got {text!r}")
    return value


def check_int(name: str, value: object, minimum: int | None = None) -> int:
    """An integer (not a bool) >= ``minimum``."""
    return Integer(minimum=minimum)(name, value)


def check_positive(name: str, value: object, *, upper: float | None = None) -> float:
    """A finite number > 0 (and <= ``upper`` when given)."""
    return Real(0.0, upper, closed="right" if upper is not None else "neither")(name, value)


def check_bool(name: str, value: object) -> bool:
    """True or False (:data:`BOOLEAN`)."""
    return BOOLEAN(name, value)


def check_threshold(value: object, name: str = "threshold", *, none: bool = False) -> float | None:
    """A finite real threshold (:data:`THRESHOLD`); None too when ``none``."""
    return (Real(none=True) if none else THRESHOLD)(name, value)


def check_bounds(
    bounds: object, name: str = "bounds", *, auto: bool = False
) -> tuple[float, float] | str | None:
    """None or ``(lo, hi)`` with ``lo < hi`` (:data:`BOUNDS`); also ``"auto"`` with ``auto``."""
    return (AUTO_BOUNDS if auto else BOUNDS)(name, bounds)


def check_one_of(name: str, value: object, allowed: Sequence[object]) -> object:
    """One of ``allowed`` (:class:`Options`)."""
    return Options(tuple(allowed))(name, value)


def check_finite_array(
    name: str, values: object, *, ndim: int | tuple[int, ...] = 1, min_size: int = 1
) -> np.ndarray:
    """Convert ``values`` to a float array and check shape and finiteness.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    values : array_like
        Numbers to check.
    ndim : int or tuple of int
        Required number of dimensions (or the allowed numbers).
    min_size : int
        Required minimum number of elements.

    Examples
    --------
    >>> check_finite_array("x", [1, 2]).dtype
    dtype('float64')
    >>> check_finite_array("x", [1, float("nan")])
    Traceback (most recent call last):
    ValueError: `x` has 1 non-finite values (NaN or inf) at positions 1
    """
    if np.iscomplexobj(values):
        raise TypeError(f"`{name}` must contain real numbers; got complex values")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must contain only numbers") from None
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if arr.ndim not in allowed:
        dims = " or ".join(f"{d}-dimensional" for d in allowed)
        raise ValueError(f"`{name}` must be {dims}; got shape {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"`{name}` must have at least {min_size} values; got {arr.size}")
    bad = np.flatnonzero(~np.isfinite(arr.ravel()))
    if bad.size:
        raise ValueError(
            f"`{name}` has {bad.size} non-finite values (NaN or inf) at positions "
            f"{format_labels(bad.tolist())}"
        )
    return arr
