"""Small private validation helpers shared by every public function.

Each helper raises :class:`ValueError` or :class:`TypeError` with a message
that names the offending argument and the rule it broke.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = [
    "check_confidence_level",
    "check_finite_array",
    "check_n_resamples",
    "check_one_of",
    "check_rng",
    "format_labels",
]


def format_labels(labels: Sequence[object], limit: int = 5) -> str:
    """Format up to ``limit`` row labels as ``"4, 9, 17, ..."``."""
    labels = list(labels)
    shown = ", ".join(repr(x) if isinstance(x, str) else str(x) for x in labels[:limit])
    if len(labels) > limit:
        shown += f", ... ({len(labels) - limit} more)"
    return shown


def check_rng(rng: object) -> np.random.Generator:
    """Normalise ``rng`` (None, int seed, or Generator) to a Generator.

    The global NumPy random state is never used.
    """
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, bool) or not isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        raise TypeError(
            "`rng` must be None, an int seed, or a numpy.random.Generator; "
            f"got {type(rng).__name__}"
        )
    if isinstance(rng, numbers.Integral) and rng < 0:
        raise ValueError(f"`rng` seed must be non-negative; got {rng}")
    return np.random.default_rng(rng)


def check_confidence_level(confidence_level: object) -> float:
    """Check that ``confidence_level`` is a number strictly between 0 and 1."""
    if isinstance(confidence_level, bool) or not isinstance(confidence_level, numbers.Real):
        raise TypeError(
            f"`confidence_level` must be a number in (0, 1); got {type(confidence_level).__name__}"
        )
    value = float(confidence_level)
    if not 0.0 < value < 1.0:
        raise ValueError(f"`confidence_level` must be strictly between 0 and 1; got {value}")
    return value


def check_n_resamples(
    n_resamples: object, *, minimum: int = 1, name: str = "n_resamples"
) -> int:
    """Check that ``n_resamples`` (or the count called ``name``) is an integer >= ``minimum``."""
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer; got {type(n_resamples).__name__}")
    if n_resamples < minimum:
        raise ValueError(f"`{name}` must be at least {minimum}; got {n_resamples}")
    return int(n_resamples)


def check_one_of(name: str, value: object, allowed: Sequence[object]) -> object:
    """Check that ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(
            f"`{name}` must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}"
        )
    return value


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
    """
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
