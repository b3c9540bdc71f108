"""Monotone trend tests across scales, with many seeds per scale.

:func:`trend_test` asks whether a metric (of all runs, of the successful runs,
or of the failed ones) rises or falls with scale: Jonckheere-Terpstra,
Mann-Kendall with ties in scale, or Bartholomew's E-bar-squared order-
restricted test. :func:`monotonicity_test` (defined in
:mod:`distscale.success.monotonicity`, importable from here) asks the reverse
question: is there evidence that the mean is *not* monotone in scale?

All rank tests here rest on one statistic, Kendall's concordance between
scale and value over the runs of different scales,
``S = sum sign(scale_b - scale_a) * sign(y_b - y_a)``; Jonckheere's ``J`` is
``(S + D) / 2`` with ``D`` the number of pairs of runs at different scales.
Permutation distributions are computed for whole blocks of permutations at
once (``(permutations, runs)`` label arrays), by the engines of
:mod:`distscale.success.rank_tests`; the posterior-weighted test is in
:mod:`distscale.success.posterior`, the choice of runs in :mod:`distscale.success.subsets`.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.results import Result, frozen, scale_labels
from distscale._lib.success_rule import success_mask
from distscale._lib.validation import check_n_resamples, check_one_of, check_rng, format_labels
from distscale._lib.warnings import DegenerateDataWarning
from distscale.population import Population
from distscale.success.monotonicity import MonotonicityTestResult, monotonicity_test
from distscale.success.posterior import posterior_test
from distscale.success.rank_tests import (  # noqa: F401 (the limits of pvalue_method, re-exported)
    AUTO_EXACT_ASSIGNMENTS,
    AUTO_EXACT_PAIRS,
    AUTO_NORMAL_MIN_RUNS,
    MAX_EXACT_ASSIGNMENTS,
    MAX_EXACT_PAIRS,
    grouped_rank_test,
    iso_fit,
    paired_rank_test,
)
from distscale.success.subsets import (  # noqa: F401 (SUBSETS re-exported)
    SUBSETS,
    load,
    per_scale_frame,
    select,
    validate_common,
)

__all__ = ["MonotonicityTestResult", "TrendTestResult", "monotonicity_test", "trend_test"]

METHODS = ("jonckheere", "mann-kendall", "ebar2")
ALTERNATIVES = ("increasing", "decreasing", "two-sided")
PVALUE_METHODS = ("auto", "exact", "normal", "permutation")


# ============================================================================ results
@dataclass(frozen=True, eq=False)
class TrendTestResult(Result):
    """Result of :func:`trend_test`.

    Attributes
    ----------
    statistic : float
        Jonckheere's J (``method="jonckheere"``), Kendall's S
        (``"mann-kendall"``) or Bartholomew's E-bar-squared (``"ebar2"``); with
        ``weights="posterior"`` the responsibility-weighted version.
    pvalue : float
    method, alternative, subset : str
    pvalue_method : str
        ``"exact"``, ``"normal"`` or ``"permutation"`` (Monte Carlo).
    scales : numpy.ndarray
        Scales in the test (scales without a run of the subset are dropped).
    n : numpy.ndarray
        Runs used at each scale.
    weight : numpy.ndarray
        Total weight of the runs at each scale: ``n`` without weights, the sum
        of the responsibilities with ``weights="posterior"``.
    means : numpy.ndarray
        (Weighted) mean of the runs at each scale.
    isotonic : numpy.ndarray
        Weighted isotonic regression of ``means`` in the tested direction
        (two-sided: whichever direction fits better).
    effect_size : float
        Kendall-type concordance ``S / D`` in [-1, 1]: the probability that,
        of two runs at different scales, the one at the larger scale is higher,
        minus the probability that it is lower (ties count 0).
    n_resamples : int
        Monte Carlo permutations (0 when none were drawn).
    weights : str or None
    threshold : float or None
    higher_is_better : bool
    metric : hashable
    dropped_scales : tuple
        Scales left out because no run of the subset was there.
    paired : bool
        The population is paired (the same seeds at every scale), so the
        p-value came from permutations within seeds (each seed's curve kept
        together; ``pvalue_method`` says so).
    """

    statistic: float
    pvalue: float
    method: str
    alternative: str
    subset: str
    pvalue_method: str
    scales: np.ndarray
    n: np.ndarray
    weight: np.ndarray
    means: np.ndarray
    isotonic: np.ndarray
    effect_size: float
    n_resamples: int
    weights: str | None
    threshold: float | None
    higher_is_better: bool
    metric: Hashable
    dropped_scales: tuple
    paired: bool = False

    def __repr__(self) -> str:
        return (
            f"TrendTestResult(method={self.method!r}, alternative={self.alternative!r}, "
            f"subset={self.subset!r}, statistic={self.statistic:.6g}, "
            f"pvalue={self.pvalue:.4g} ({self.pvalue_method}), "
            f"effect_size={self.effect_size:.3f}, {len(self.scales)} scales)"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per scale: ``scale, n, weight, mean, isotonic``."""
        return per_scale_frame(
            self.scales, self.n, weight=self.weight, mean=self.means, isotonic=self.isotonic
        )



@fill_doc
def trend_test(
    pop: Population | pd.DataFrame,
    *,
    subset: str = "all",
    threshold: float | None = None,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    method: str = "jonckheere",
    alternative: str = "increasing",
    weights: str | None = None,
    bounds: tuple[float | None, float | None] | None = None,
    pvalue_method: str = "auto",
    n_resamples: int | None = None,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> TrendTestResult:
    """Test whether a metric rises (falls) with scale, using every seed.

    Parameters
    ----------
    %(pop)s
    subset : {"all", "success", "failure"}, default "all"
        Which runs: all of them, or only those that succeed (fail). A run
        succeeds when its value is strictly above ``threshold`` (strictly
        below it with ``higher_is_better=False``), as in
        :func:`~distscale.summary_curves`.
    threshold : float, optional
        Success threshold; required for ``subset="success"``/``"failure"``
        without weights.
    %(higher_is_better)s
    %(metric)s
    method : {"jonckheere", "mann-kendall", "ebar2"}, default "jonckheere"
        Jonckheere-Terpstra test for ordered groups; Mann-Kendall test with
        ties in scale (the same rank statistic, ``S = 2 J - D``, with Mann-
        Kendall's continuity correction in the normal approximation); or
        Bartholomew's E-bar-squared, the likelihood-ratio test of equal means
        against ordered means (isotonic regression, weights = runs per scale).
    alternative : {"increasing", "decreasing", "two-sided"}, default "increasing"
    weights : {None, "posterior"}, default None
        With ``"posterior"`` (``subset="success"`` or ``"failure"``), each
        run counts by its posterior probability of belonging to the success
        (failure) component of a two-component Gaussian mixture, instead of
        by a hard threshold; ``threshold`` is then optional and only decides
        which component is "success" (see Notes).
    bounds : (lo, hi), optional
        Only with ``weights="posterior"``: the metric's range, passed to
        :func:`~distscale.fit_mixture` so that values exactly at a
        bound (accuracy 0 or 1) are point masses of known class -- failures
        at the bad end, successes at the good end.
    pvalue_method : {"auto", "exact", "normal", "permutation"}, default "auto"
        ``"auto"``: for the rank tests, the exact distribution when there are
        no tied values and at most 5,000 pairs of runs at different scales;
        with ties, complete enumeration when there are at most 10,000
        assignments of runs to scales; else Monte Carlo permutations below 50
        runs and the tie-corrected normal approximation from 50 runs on. For
        ``"ebar2"``: enumeration up to 10,000 assignments, else permutations.
    n_resamples : int, optional
        Monte Carlo permutations; default 9,999 (999 with
        ``weights="posterior"``, where each one also refits the mixture).
    rng : int, numpy.random.Generator or None
        Permutations, class draws and mixture starts; the global NumPy RNG is
        not used.
    %(columns)s

    Returns
    -------
    TrendTestResult

    Raises
    ------
    ValueError
        Unknown ``method``/``alternative``/``subset``/``pvalue_method``; a
        subset without ``threshold``; fewer than 2 scales (after dropping
        scales with no run of the subset); ``pvalue_method="normal"`` with
        ``"ebar2"``; an ``"exact"`` p-value too large to compute;
        ``weights="posterior"`` with ``subset="all"`` or a ``pvalue_method``
        other than "auto"/"permutation"; ``bounds`` without posterior
        weights; a mixture whose components all lie on one side of success.

    Warns
    -----
    DegenerateDataWarning
        A scale with no run of the subset (it is dropped); with posterior
        weights, a scale whose total weight is below 0.5; all values equal
        (p-value 1).

    Notes
    -----
    *Jonckheere-Terpstra.* ``J`` counts pairs of runs (a at a smaller scale
    than b) with ``y_b > y_a``, ties counting 1/2. Under the null of equal
    distributions ``E J = D / 2`` with ``D = (N^2 - sum n_i^2) / 2``; the
    normal approximation uses the variance with ties of Hollander & Wolfe
    (1999, eq. 6.19), which equals Kendall's (1970) variance of
    ``S = 2 J - D`` with ties in both variables, divided by 4. The exact
    distribution without ties is the convolution of the Mann-Whitney
    distributions of each scale against the pooled smaller scales.

    *Mann-Kendall with several seeds per scale.* ``S = sum_{a<b}
    sign(x_b - x_a) sign(y_b - y_a)`` over all runs, so runs at the same scale
    count 0; the normal approximation uses Kendall's tie-corrected variance
    and the continuity correction ``S -/+ 1`` (as ``pymannkendall``). The exact
    and permutation p-values are those of Jonckheere's test.

    *E-bar-squared.* ``sum_i n_i (m*_i - m)^2 / sum (y - m)^2`` with ``m*``
    the isotonic regression of the scale means (Bartholomew 1959; Robertson,
    Wright & Dykstra 1988, ch. 2); two-sided uses the larger of the
    increasing and decreasing statistics. Its p-value is by permutation.

    *Posterior weights.* A two-component mixture
    (:func:`~distscale.fit_mixture`, with point masses at ``bounds``)
    is fitted to the runs of all scales together. A component succeeds when
    its mean lies on the success side of ``threshold`` (without a threshold:
    the upper Gaussian, the lower one with ``higher_is_better=False``); a
    point mass succeeds at the good bound. The two Gaussians are then
    refitted by EM with their means and sds shared by all scales but a
    success share of its own at each scale, and a run's weight is its
    posterior probability of the success Gaussian under its scale's share
    (0 or 1 at a bound). With per-scale shares the weighted mean at a scale
    estimates the mean of the success component without bias, however much
    the components overlap; a hard threshold (or one pooled posterior) lets
    more failures in where failures are common, which fakes a trend in
    mean | success whenever P(success) changes with scale. The observed
    statistic is the responsibility-weighted one (each pair of runs counts
    ``r_a r_b``; E-bar-squared uses weighted means and weights). Null
    replicates: (i) draw every run's class from its posterior
    (classification uncertainty); (ii) permute the runs of each class across
    scales, keeping each scale's count of each class -- under the null (the
    success component is the same at every scale) and the fitted model this
    leaves the joint law of runs and classes unchanged; (iii) refit the shared
    EM on the permuted population (so the estimation of the components and
    shares is carried through) and recompute the weighted statistic. The
    p-value is ``(1 + #{replicate >= observed}) / (1 + n_resamples)``. By
    simulation (benchmarks/calibration_trend.py) its size is nominal both for
    well-separated and for overlapping components, where the hard threshold
    rejects a true null about three times too often.

    Examples
    --------
    >>> import distscale
    >>> pop = distscale.Population.from_dict(
    ...     {1: [0.1, 0.3, 0.2], 2: [0.4, 0.25, 0.5], 3: [0.6, 0.45, 0.7]})
    >>> res = distscale.trend_test(pop)
    >>> res.statistic, res.pvalue_method  # 25 of the 27 cross-scale pairs increase
    (25.0, 'exact')
    >>> res.pvalue  # 8 of the 1680 assignments of runs to scales have J >= 25
    0.00476...
    >>> res.to_frame().columns.tolist()
    ['scale', 'n', 'weight', 'mean', 'isotonic']
    """
    check_one_of("method", method, METHODS)
    check_one_of("alternative", alternative, ALTERNATIVES)
    check_one_of("pvalue_method", pvalue_method, PVALUE_METHODS)
    check_one_of("weights", weights, (None, "posterior"))
    threshold, higher_is_better = validate_common(subset, threshold, higher_is_better)
    if weights is None and subset != "all" and threshold is None:
        raise ValueError(f"subset={subset!r} needs a `threshold` (or weights='posterior')")
    if bounds is not None and weights != "posterior":
        raise ValueError("`bounds` is only used with weights='posterior'")
    if weights == "posterior":
        if subset == "all":
            raise ValueError("weights='posterior' needs subset='success' or 'failure'")
        if pvalue_method not in ("auto", "permutation"):
            raise ValueError(
                "with weights='posterior' the p-value is by permutation; "
                f"`pvalue_method` {pvalue_method!r} is not available"
            )
    if n_resamples is None:
        n_resamples = 999 if weights == "posterior" else 9999
    n_resamples = check_n_resamples(n_resamples)
    gen = check_rng(rng)
    pop, metric, samples = load(pop, metric, scale, seed, value)
    scales = pop.scales
    if weights == "posterior":
        res = posterior_test(
            samples, subset, threshold, higher_is_better, bounds, method, alternative,
            n_resamples, gen,
        )
        kept = np.ones(len(samples), dtype=bool)
        n = np.array([x.size for x in samples])
        weight, means = res.pop("weight"), res.pop("means")
        light = weight < 0.5
        if light.any():
            warnings.warn(
                f"the {subset} component has total weight below 0.5 run at scales "
                f"{format_labels(scale_labels(scales[light]))}: their weighted means rest on "
                "almost no runs (they barely enter the test)",
                DegenerateDataWarning,
                stacklevel=2,
            )
    else:
        groups, kept = select(samples, scales, subset, threshold, higher_is_better)
        if pop.paired:
            if pvalue_method not in ("auto", "permutation"):
                raise ValueError(
                    "a paired population is tested by permuting within seeds; "
                    f"`pvalue_method` {pvalue_method!r} is not available"
                )
            matrix = np.column_stack(samples)  # (seeds, scales): one seed's curve per row
            if subset == "all":
                chosen = np.ones(matrix.shape, dtype=bool)
            else:
                wins = success_mask(matrix, threshold, higher_is_better)
                chosen = wins if subset == "success" else ~wins
            res = paired_rank_test(matrix, chosen, method, alternative, n_resamples, gen)
        else:
            res = grouped_rank_test(groups, method, alternative, pvalue_method, n_resamples, gen)
        n = np.array([g.size for g in groups])
        weight = n.astype(float)
        means = np.array([g.mean() for g in groups])
    iso = iso_fit(means, weight, alternative)
    return TrendTestResult(
        method=method,
        alternative=alternative,
        subset=subset,
        scales=frozen(scales[kept]),
        n=frozen(n),
        weight=frozen(weight),
        means=frozen(means),
        isotonic=frozen(iso),
        weights=weights,
        threshold=threshold,
        higher_is_better=higher_is_better,
        metric=metric,
        dropped_scales=tuple(scale_labels(scales[~kept])),
        paired=bool(pop.paired and weights is None),
        **res,
    )
