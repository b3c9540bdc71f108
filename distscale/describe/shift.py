"""How much the seed distribution moves between successive scales.

:func:`distribution_shift` gives the Wasserstein-p distances between the seed
distributions of successive scales, with seed-bootstrap confidence intervals
(both scales resampled). :func:`wasserstein_distance` computes W_p between
rows of two samples of possibly different sizes in one array program.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.results import IntervalArrays, Result, frozen, pick, scale_labels
from distscale._lib.validation import (
    check_confidence_level,
    check_n_resamples,
    check_one_of,
    check_rng,
    format_labels,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.population import Population, as_population
from distscale.resampling.bootstrap import bootstrap_groups, warn_zero_width

__all__ = ["DistributionShift", "distribution_shift", "wasserstein_distance"]


# ------------------------------------------------------------------ Wasserstein distance
def _quantile_grid(n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Common grid of the quantile functions of an n- and an m-point sample.

    The quantile function of n sorted values is the step function equal to
    the i-th value on ((i-1)/n, i/n]. The breakpoints {i/n} and {j/m} are
    merged exactly, in integer units of 1/(n*m); on each piece both quantile
    functions are constant, at the returned indices; ``weights`` are the
    piece lengths.
    """
    ends = np.union1d(np.arange(1, n + 1, dtype=np.int64) * m, np.arange(1, m + 1) * n)
    weights = np.diff(ends, prepend=0) / (n * m)
    return (ends + m - 1) // m - 1, (ends + n - 1) // n - 1, weights


def _wasserstein_sorted(xs: np.ndarray, ys: np.ndarray, ps: Sequence[float]) -> np.ndarray:
    """W_p between every row pair of sorted ``(batch, n)`` and ``(batch, m)`` arrays."""
    ix, iy, w = _quantile_grid(xs.shape[-1], ys.shape[-1])
    gap = np.abs(xs[..., ix] - ys[..., iy])
    out = []
    for p in ps:
        if p == 1:
            out.append(gap @ w)
        else:
            out.append((gap**p @ w) ** (1.0 / p))
    return np.stack(out, axis=-1)


def _check_p(p: object) -> tuple[float, ...]:
    values = list(p) if isinstance(p, (list, tuple, np.ndarray)) else [p]
    if not values:
        raise ValueError("`p` must name at least one order")
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"`p` must be a number >= 1 or a sequence of them; got {v!r}")
        if not (np.isfinite(v) and v >= 1):
            raise ValueError(f"`p` must be finite and >= 1 (W_p is a distance only then); got {v}")
        out.append(int(v) if float(v).is_integer() else float(v))
    if len(set(out)) != len(out):
        raise ValueError(f"`p` lists an order more than once: {out}")
    return tuple(out)


def wasserstein_distance(
    u_values: object, v_values: object, *, p: float = 1, axis: int = -1
) -> float | np.ndarray:
    """p-Wasserstein distance between two empirical distributions.

    ``W_p = (integral over t in (0, 1) of |F_u^-1(t) - F_v^-1(t)|^p)^(1/p)``
    between the equal-weight empirical distributions of ``u_values`` and
    ``v_values``, which may have different sizes. Computed exactly from the
    sorted values on the merged grid of their quantile functions' breakpoints,
    in ``O(n + m)`` after sorting; batch dimensions broadcast.

    Parameters
    ----------
    u_values, v_values : array_like
        Finite samples (along ``axis``).
    p : float, default 1
        Order, >= 1. ``p=1`` equals :func:`scipy.stats.wasserstein_distance`.
    axis : int, default -1

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    Each half of the mass moves by 1 (0 to 1, 1 to 2), so W1 = 1. Against
    ``[1, 1, 1, 2]`` the quantile functions differ by 1 on (0, 1/2] and on
    (3/4, 1], so W2 = sqrt(1/2 + 1/4):

    >>> wasserstein_distance([0, 1], [1, 2])
    1.0
    >>> wasserstein_distance([0, 1], [1, 2, 2, 1], p=2)
    1.0
    >>> round(wasserstein_distance([0, 1], [2, 1, 1, 1], p=2), 6)
    0.866025
    """
    (order,) = _check_p(p)
    arrays = []
    for name, values in (("u_values", u_values), ("v_values", v_values)):
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"`{name}` must contain only numbers") from None
        if arr.ndim == 0:
            raise ValueError(f"`{name}` must be an array, not a scalar")
        arr = np.moveaxis(arr, axis, -1)
        if arr.shape[-1] == 0:
            raise ValueError(f"`{name}` must have at least one value along `axis`")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"`{name}` has NaN or infinite values")
        arrays.append(np.sort(arr, axis=-1))
    out = _wasserstein_sorted(arrays[0], arrays[1], (order,))[..., 0]
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True, eq=False)
class DistributionShift(IntervalArrays, Result):
    """Wasserstein distances between the seed distributions of successive scales.

    Returned by :func:`distribution_shift`. Row ``i`` compares scale
    ``scale_from[i]`` with ``scale_to[i]``; columns follow :attr:`p`.

    Attributes
    ----------
    scale_from, scale_to : numpy.ndarray
        Successive scales, shape ``(n_pairs,)``.
    n_from, n_to : numpy.ndarray
        Seeds at each.
    p : tuple of float
        Orders of the distances.
    estimates, ci_low, ci_high, standard_error : numpy.ndarray
        Shape ``(n_pairs, len(p))``.
    n_valid : numpy.ndarray
    degenerate : numpy.ndarray
        True where every resample gave the same distance (zero-width CI).
    distance : str
        ``"wasserstein"``.
    metric : hashable
    n_resamples : int
    confidence_level : float
    method : str
    paired : bool
        Whether seeds were resampled whole across the two scales (a paired
        population); the distances' intervals then account for the pairing.
    """

    scale_from: np.ndarray
    scale_to: np.ndarray
    n_from: np.ndarray
    n_to: np.ndarray
    p: tuple[float, ...]
    estimates: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    standard_error: np.ndarray
    n_valid: np.ndarray
    degenerate: np.ndarray
    distance: str
    metric: Hashable
    n_resamples: int
    confidence_level: float
    method: str
    paired: bool = False

    def __repr__(self) -> str:
        return (
            f"DistributionShift({len(self.scale_from)} scale steps, {self.distance} "
            f"p={list(self.p)}, "
            f"metric={self.metric!r}, {self.confidence_level:.0%} {self.method} CIs)"
        )

    def estimate(self, p: float = 1) -> np.ndarray:
        """Distances of order ``p`` for every scale step."""
        check_one_of("p", p, self.p)
        return self.estimates[:, self.p.index(p)]

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per scale step and order.

        Columns: ``scale_from, scale_to, distance, p, estimate, ci_low, ci_high,
        n_from, n_to``.
        """
        k = len(self.p)
        rep = lambda a: np.repeat(a, k)  # noqa: E731
        return pd.DataFrame(
            {
                "scale_from": rep(self.scale_from),
                "scale_to": rep(self.scale_to),
                "distance": self.distance,
                "p": np.tile(np.array(self.p, dtype=float), len(self.scale_from)),
                "estimate": self.estimates.ravel(),
                "ci_low": self.ci_low.ravel(),
                "ci_high": self.ci_high.ravel(),
                "n_from": rep(self.n_from).astype(np.int64),
                "n_to": rep(self.n_to).astype(np.int64),
            }
        )



@fill_doc
def distribution_shift(
    pop: Population | pd.DataFrame,
    *,
    metric: Hashable | None = None,
    distance: str = "wasserstein",
    p: float | Sequence[float] = (1, 2),
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    method: str = "percentile",
    rng: int | np.random.Generator | None = None,
    progress: bool = False,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> DistributionShift:
    """Wasserstein distances between seed distributions of successive scales, with CIs.

    For every pair of successive scales, the p-Wasserstein distance between
    the empirical distributions of the metric over their seeds (see
    :func:`wasserstein_distance`). Confidence intervals come from the seed
    bootstrap with the two scales resampled independently (two strata).

    Note that the plug-in distance is biased upward for small samples (two
    samples of one distribution are at a positive distance), so a CI that
    excludes 0 is not by itself evidence that the distribution changed.

    Parameters
    ----------
    pop : Population or pandas.DataFrame
        The runs; at least two scales. With a DataFrame pass ``scale=``,
        ``seed=`` and ``value=``.
    %(metric)s
    distance : {"wasserstein"}
    p : float or sequence of float, default (1, 2)
        Orders of the Wasserstein distance, each >= 1.
    %(n_resamples)s
    %(confidence_level)s
    method : {"percentile", "bca"}
    %(rng)s
    progress : bool, default False
        Show a progress bar over scale steps.
    %(columns)s

    Returns
    -------
    DistributionShift

    Examples
    --------
    >>> import distscale
    >>> pop = distscale.Population.from_dict({1: [0.0, 0.1], 2: [0.1, 0.2, 0.9]})
    >>> res = distscale.distribution_shift(pop, n_resamples=200, rng=0)
    >>> res.to_frame().columns.tolist()
    ['scale_from', 'scale_to', 'distance', 'p', 'estimate', 'ci_low', 'ci_high', 'n_from', 'n_to']
    >>> round(float(res.estimate(p=1)[0]), 6)  # 0.1/3 + 0.2/6 + 0.1/6 + 0.8/3
    0.35
    """
    check_one_of("distance", distance, ("wasserstein",))
    ps = _check_p(p)
    n_resamples = check_n_resamples(n_resamples, minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    check_one_of("method", method, ("percentile", "bca"))
    generator = check_rng(rng)
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    samples = pop.values(metric)  # checks `metric`
    metric = pop.metric if metric is None else metric
    scales = pop.scales
    if len(scales) < 2:
        raise ValueError(
            f"distribution_shift needs at least two scales; column {pop.scale!r} has {len(scales)}"
        )

    def statistic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _wasserstein_sorted(np.sort(a, axis=-1), np.sort(b, axis=-1), ps)

    boot = bootstrap_groups(
        [[samples[i], samples[i + 1]] for i in range(len(scales) - 1)],
        statistic,
        len(ps),
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        method=method,
        rng=generator,
        progress=progress,
        desc="distribution shift",
        paired=pop.paired,
    )
    degenerate = boot["degenerate"]

    labels = scale_labels(scales)
    n_seeds = np.array([x.size for x in samples], dtype=np.int64)
    if (n_seeds == 1).any():
        warnings.warn(
            f"scales {format_labels(pick(labels, n_seeds == 1))} have "
            "a single seed: their distribution is a single point",
            DegenerateDataWarning,
            stacklevel=2,
        )
    zero = {}
    for c, order in enumerate(ps):
        rows = np.flatnonzero(degenerate[:, c])
        if rows.size:
            steps = [f"{labels[r]}->{labels[r + 1]}" for r in rows]
            more = f", ... ({len(steps) - 5} more)" if len(steps) > 5 else ""
            zero[f"W{order}"] = ", ".join(steps[:5]) + more
    warn_zero_width(zero, "scale steps")

    return DistributionShift(
        scale_from=frozen(scales[:-1]),
        scale_to=frozen(scales[1:]),
        n_from=frozen(n_seeds[:-1]),
        n_to=frozen(n_seeds[1:]),
        p=ps,
        estimates=frozen(boot["estimate"]),
        ci_low=frozen(boot["ci_low"]),
        ci_high=frozen(boot["ci_high"]),
        standard_error=frozen(boot["standard_error"]),
        n_valid=frozen(boot["n_valid"]),
        degenerate=frozen(degenerate),
        distance=distance,
        metric=metric,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        method=method,
        paired=pop.paired,
    )
