"""Two-level bootstrap over seeds and evaluation examples (the multi-bootstrap).

A run's metric is usually the mean of per-example scores over a finite test
set. With few test examples that set is itself a source of noise, and a
bootstrap over seeds alone treats it as fixed, so its intervals are too
narrow for claims about the task (the population of examples) rather than
about this test set. The multi-bootstrap of Sellam et al. ("The MultiBERTs:
BERT Reproductions for Robustness Analysis", ICLR 2022, sec. 3) resamples
both levels: each replicate draws the seeds with replacement *and* the
evaluation examples with replacement -- one example draw shared by every
drawn seed, because all seeds were scored on the same examples -- scores
every drawn seed on the drawn examples, and computes the statistic from
those run-level values.

:func:`nested_bootstrap` does this for several strata (scales) at once. At
each stratum the per-example scores form a ``(seeds, examples)`` matrix. A
replicate's example draw enters only through how often each example was
drawn, so the run-level values of all seeds for a whole chunk of replicates
come from one matrix product ``scores @ counts.T``; the drawn seeds are then
picked from it. No Python loop runs per replicate, and replicates are
processed in chunks so that memory stays bounded whatever ``n_resamples`` is.

``level="seeds"`` keeps the examples fixed (each run's value is its mean
over all examples) and resamples seeds only; it draws the same random
numbers as :func:`distscale.bootstrap` on the run means and so gives exactly
its distribution. With a single example per seed the example draw is
trivial and ``level="nested"`` is the seed bootstrap too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from distscale._lib.validation import (
    check_bool,
    check_confidence_level,
    check_n_resamples,
    check_one_of,
    check_rng,
)
from distscale.resampling.bootstrap import BootstrapResult, as_2d, chunks

__all__ = ["NestedBootstrapResult", "nested_bootstrap"]

LEVELS = ("nested", "seeds")


@dataclass(frozen=True, eq=False, repr=False)
class NestedBootstrapResult(BootstrapResult):
    """Percentile intervals from a two-level (seeds x examples) bootstrap.

    Fields of :class:`~distscale.BootstrapResult` (``method`` is always
    ``"percentile"``) plus:

    Attributes
    ----------
    level : str
        ``"nested"`` (seeds and examples resampled) or ``"seeds"``.
    n_seeds, n_examples : tuple of int
        Seeds and examples of each stratum.
    paired_examples : bool
        Whether one example draw was shared by all strata.

    Notes
    -----
    ``n_valid`` counts resamples where a statistic is not NaN; ``±inf``
    values (e.g. the breakthroughness of an ideal step) are valid and enter
    the percentiles as the largest or smallest values, so an interval may
    end at ``inf``. ``standard_error`` uses the finite values only.
    """

    level: str = "nested"
    n_seeds: tuple[int, ...] = ()
    n_examples: tuple[int, ...] = ()
    paired_examples: bool = False


def _check_scores(scores: object) -> list[np.ndarray]:
    if isinstance(scores, np.ndarray) and scores.ndim == 2:
        scores = [scores]
    if isinstance(scores, (str, bytes)) or not isinstance(scores, (Sequence, np.ndarray)):
        raise TypeError(
            "`scores` must be a 2-D array (seeds x examples) or a sequence of them, one per "
            f"stratum; got {type(scores).__name__}"
        )
    out = []
    for i, s in enumerate(scores):
        raw = np.asarray(s)
        if raw.dtype == object:
            raise TypeError(f"`scores[{i}]` must be a numeric 2-D array; got dtype object")
        try:
            arr = np.asarray(s, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"`scores[{i}]` must contain only numbers") from None
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
            raise ValueError(
                f"`scores[{i}]` must be a non-empty 2-D array (seeds x examples); "
                f"got shape {arr.shape}"
            )
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:
            where = ", ".join(f"(seed {r}, example {c})" for r, c in bad[:3].tolist())
            raise ValueError(
                f"`scores[{i}]` has {len(bad)} NaN or infinite values, e.g. at {where}; "
                "every seed must have a finite score on every example (a missing score is "
                "not allowed: drop the example for all seeds, or the seed)"
            )
        out.append(arr)
    if not out:
        raise ValueError("`scores` must contain at least one stratum")
    return out


def _percentiles(
    dist: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Percentile bounds per column; NaN is invalid, ``±inf`` is a valid extreme value.

    Linear interpolation between order statistics, as
    ``numpy.quantile(method="linear")``; between two equal values (also two
    infinities) the value itself.
    """
    k = dist.shape[1]
    valid = ~np.isnan(dist)
    n_valid = valid.sum(axis=0)
    ordered = np.sort(dist, axis=0)  # NaN sorts last
    cols = np.arange(k)
    last = np.maximum(n_valid - 1, 0)
    bounds = []
    for q in (alpha / 2, 1 - alpha / 2):
        pos = q * last
        below = np.floor(pos).astype(np.int64)
        above = np.minimum(below + 1, last)
        frac = pos - below
        lo_val = ordered[below, cols]
        hi_val = ordered[above, cols]
        with np.errstate(invalid="ignore"):
            value = np.where(
                (frac > 0) & (lo_val != hi_val), lo_val + frac * (hi_val - lo_val), lo_val
            )
        bounds.append(np.where(n_valid > 0, value, np.nan))
    finite = np.isfinite(dist)
    n_finite = finite.sum(axis=0)
    masked = np.where(finite, dist, 0.0)
    mean = masked.sum(axis=0) / np.maximum(n_finite, 1)
    ss = np.where(finite, (masked - mean) ** 2, 0.0).sum(axis=0)
    se = np.where(n_finite > 1, np.sqrt(ss / np.maximum(n_finite - 1, 1)), np.nan)
    with np.errstate(invalid="ignore"):
        vmin = np.where(n_valid > 0, ordered[0, cols], np.nan)
        vmax = np.where(n_valid > 0, ordered[last, cols], np.nan)
    degenerate = (n_valid > 0) & (vmin == vmax)
    se = np.where(degenerate, 0.0, se)
    return bounds[0], bounds[1], se, n_valid, degenerate


def _default_statistic(*run_values: np.ndarray) -> np.ndarray:
    return np.column_stack([v.mean(axis=1) for v in run_values])


def nested_bootstrap(
    scores: np.ndarray | Sequence[np.ndarray],
    statistic: Callable[..., np.ndarray] | None = None,
    *,
    level: str = "nested",
    paired_examples: bool = False,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
    keep_distribution: bool = False,
    chunk_size: int | None = None,
    progress: bool = False,
) -> NestedBootstrapResult:
    """Bootstrap over seeds and evaluation examples (MultiBERTs' multi-bootstrap).

    Every stratum (usually a scale) holds a ``(seeds, examples)`` matrix of
    per-example scores; all seeds of a stratum were scored on the same
    examples. One replicate, independently per stratum: draw the seeds with
    replacement; draw the examples with replacement (``level="nested"``),
    one draw applied to every drawn seed; a drawn seed's run-level value is
    its mean score over the drawn examples. ``statistic`` then receives the
    run-level values of every stratum. Intervals are percentile intervals.

    Parameters
    ----------
    scores : 2-D array or sequence of 2-D arrays
        Per-example scores, ``scores[i][s, e]`` = score of seed ``s`` on
        example ``e`` in stratum ``i``. Finite numbers; a missing score is
        an error (every seed must be scored on every example of its stratum).
    statistic : callable, optional
        ``statistic(*run_values)`` gets one array of shape ``(batch,
        n_seeds_i)`` per stratum and returns ``(batch,)`` or ``(batch, k)``.
        It must be vectorised over the batch. Default: the mean over seeds of
        each stratum (``k`` = number of strata).
    level : {"nested", "seeds"}, default "nested"
        ``"seeds"`` keeps the examples fixed and resamples seeds only.
    paired_examples : bool, default False
        Draw the examples once per replicate for *all* strata (they must
        then have the same number of examples, in the same order): use it
        when every scale was scored on the same test set and the statistic
        compares scales (e.g. the shape of the mean curve), as MultiBERTs
        pairs the examples of the two models it compares.
    n_resamples : int, default 1000
    confidence_level : float, default 0.95
    rng : int, numpy.random.Generator or None
        Source of randomness; the global NumPy state is never touched.
    keep_distribution : bool, default False
        Keep the ``(n_resamples, k)`` bootstrap distribution.
    chunk_size : int, optional
        Replicates per chunk; by default about 65,536 drawn indices per
        chunk, so peak memory does not grow with ``n_resamples``.
    progress : bool, default False
        Show a progress bar over chunks.

    Returns
    -------
    NestedBootstrapResult

    Raises
    ------
    TypeError
        If ``scores`` is not numeric, ``statistic`` is not callable, or an
        argument has the wrong type.
    ValueError
        If a stratum is not a non-empty 2-D array, a score is NaN/inf,
        ``level`` is unknown, or ``paired_examples=True`` with strata of
        different numbers of examples.

    Notes
    -----
    With run-level values ``Y = scores @ counts.T / n_examples`` (``counts``
    = how often each example was drawn), the replicate's drawn seeds are
    rows of ``Y``; the cost per chunk is one ``(seeds x examples) @
    (examples x chunk)`` product per stratum.

    For the grand mean of a ``(S, E)`` matrix with two-way decomposition
    ``y_se = m + a_s + b_e + g_se`` (row, column and interaction effects
    centred to sum to zero) the ideal nested-bootstrap variance is
    ``sum(a²)/S² + sum(b²)/E² + sum(g²)/(S E)²``; the seed bootstrap keeps
    only the first term (the test suite checks both). The nested bootstrap
    therefore counts the example-to-example spread that the seed bootstrap
    leaves out -- the reason to use it with few examples.

    With ``level="seeds"``, or with one example per seed, the random
    numbers drawn are exactly those of :func:`distscale.bootstrap` on the
    run means (same default chunks), so the distributions are identical.

    References
    ----------
    Sellam, T. et al. (2022). The MultiBERTs: BERT Reproductions for
    Robustness Analysis. ICLR 2022 (arXiv 2106.16163), sec. 3.

    Examples
    --------
    Four seeds scored on three examples; the statistic is the mean over
    seeds of the run-level accuracy:

    >>> import numpy as np
    >>> scores = np.array([[1, 0, 1], [1, 1, 1], [0, 0, 1], [1, 0, 0]])
    >>> res = nested_bootstrap(scores, n_resamples=2000, rng=0)
    >>> round(float(res.estimate[0]), 4)  # (2 + 3 + 1 + 1) / 12
    0.5833
    >>> seeds_only = nested_bootstrap(scores, level="seeds", n_resamples=2000, rng=0)
    >>> bool(res.standard_error[0] > seeds_only.standard_error[0])
    True
    """
    strata = _check_scores(scores)
    check_one_of("level", level, LEVELS)
    check_bool("paired_examples", paired_examples)
    n_resamples = check_n_resamples(n_resamples, minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    generator = check_rng(rng)
    if statistic is None:
        statistic = _default_statistic
    elif not callable(statistic):
        raise TypeError("`statistic` must be callable")
    n_seeds = tuple(int(x.shape[0]) for x in strata)
    n_examples = tuple(int(x.shape[1]) for x in strata)
    if paired_examples and len(set(n_examples)) > 1:
        raise ValueError(
            "`paired_examples=True` needs the same examples (the same number, in the same "
            f"order) in every stratum; got {list(n_examples)} examples"
        )

    run_means = [x.mean(axis=1) for x in strata]
    estimate = as_2d(statistic(*(m[None, :] for m in run_means)), 1)[0]
    k = estimate.size

    # Which strata need an example draw: one example means a trivial draw.
    draw_examples = level == "nested"
    per_stratum = [draw_examples and e > 1 for e in n_examples]
    shared = paired_examples and draw_examples and n_examples[0] > 1
    drawn = sum(n_seeds) + sum(
        e for e, d in zip(n_examples, per_stratum, strict=True) if d and not shared
    )
    if shared:
        drawn += n_examples[0]
    dist = np.empty((n_resamples, k))
    for start, m in chunks(n_resamples, chunk_size, drawn, progress=progress,
                           desc="nested bootstrap"):
        rows = np.arange(m)
        shared_counts = None
        if shared:
            shared_counts = _example_counts(generator, m, n_examples[0])
        run_values = []
        for x, base, use_examples in zip(strata, run_means, per_stratum, strict=True):
            s = x.shape[0]
            seed_idx = generator.integers(0, s, size=(m, s))
            if not use_examples:
                run_values.append(base[seed_idx])
                continue
            counts = (
                shared_counts
                if shared_counts is not None
                else _example_counts(generator, m, x.shape[1])
            )
            per_seed = (x @ counts.T) / x.shape[1]  # (seeds, m): every seed on each draw
            run_values.append(per_seed[seed_idx, rows[:, None]])
        dist[start : start + m] = as_2d(statistic(*run_values), m, k)

    low, high, se, n_valid, degenerate = _percentiles(dist, 1.0 - confidence_level)
    return NestedBootstrapResult(
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        standard_error=se,
        n_valid=n_valid,
        degenerate=degenerate,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        method="percentile",
        distribution=dist if keep_distribution else None,
        level=level,
        n_seeds=n_seeds,
        n_examples=n_examples,
        paired_examples=bool(paired_examples),
    )


def _example_counts(generator: np.random.Generator, m: int, n: int) -> np.ndarray:
    """How often each of ``n`` examples is drawn in each of ``m`` draws of ``n``, ``(m, n)``."""
    idx = generator.integers(0, n, size=(m, n))
    flat = (idx + (np.arange(m) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=m * n).reshape(m, n).astype(float)

