"""Per-scale modality scan: is the seed distribution bimodal, and from which scale on?

:func:`modality_scan` runs, at every scale of a population, Hartigan's dip
test and Sarle's bimodality coefficient (:mod:`distscale.modality.dip`), fits
Gaussian mixtures with one, two, ... components (:mod:`distscale.modality.mixture`;
point masses at ``bounds``), chooses the number of components, and gives the
components' weights, means and standard deviations with seed-bootstrap
confidence intervals. All scales are fitted together by the batched engine:
every bootstrap replicate of every scale of equal size is a row of one array.

Capacity threshold
------------------
The *capacity threshold* is the smallest scale at which the distribution is
detected as bimodal. Testing every scale at level ``alpha`` and taking the
first rejection would, with many unimodal scales, report a threshold too
early far more often than ``alpha``. The scan therefore adjusts the
per-scale p-values with Holm's step-down procedure (Holm 1979), which
controls the family-wise error rate over the scales under any dependence:
the probability that *any* unimodal scale is called bimodal is at most
``alpha``, so the probability that the reported threshold lies below the
first truly bimodal scale is at most ``alpha``. (A fixed-sequence rule
testing scales in order would need an ordering of the hypotheses that
distributions need not follow: bimodality can come and go with scale.)
With ``method="bic"`` there are no p-values and no error-rate control.

Separation
----------
One Gaussian is the null of the test, so a skewed or heavy-tailed unimodal
distribution also rejects it: two Gaussians, a narrow one at the peak and a
wide one in the tail, describe it better. A rejection only counts as
bimodal when the two components are also well separated by Ashman's D
(Ashman, Bird & Zepf 1994), ``D = sqrt(2) |mu_1 - mu_2| / sqrt(sigma_1^2 +
sigma_2^2)``, with ``D > 2`` needed for a clean separation. D is computed
from the two Gaussian components of the two-component fit only: the point
masses at ``bounds`` cancel from the likelihood-ratio test, so they take no
part in the decision the separation qualifies. At the small numbers of seeds
of a scan, the fitted D of a skewed sample is itself often above 2 (a narrow
component at the peak and a wide one in the tail, or a spike on a few tail
values), so the scan asks for ``D >= min_separation`` at the *lower end* of
D's seed-bootstrap interval as well as at its estimate. With
``min_separation=None`` the test alone decides.

Ties
----
A Gaussian mixture describes continuous data; ties can make it "find" a
second component where there is only a pile of equal values. Three
safeguards: (1) a scale whose smallest or largest value is repeated by at
least ``max(3, 10%)`` of its seeds, at an end that is not a declared bound
(typically exact 0s or 1s of an accuracy passed without ``bounds``), and
(2) a scale whose two-component fit takes half or more of a component's
weight from one repeated value (a component collapsed onto a tie), are
flagged ``degenerate``: they are left out of the Holm family, never counted
as bimodal, and named in a :class:`~distscale.DegenerateDataWarning`. So
are (3) scales with fewer than 4 values (or 2 distinct values) strictly
inside the bounds. Beyond that, when the values lie on a regular grid (a
discrete metric) the parametric-bootstrap replicates are rounded to the
same grid, so the test's null carries the data's discreteness.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.results import ConfidenceInterval, frozen, scale_labels
from distscale._lib.validation import (
    Real,
    check_alpha,
    check_bool,
    check_confidence_level,
    check_int,
    check_n_resamples,
    check_one_of,
    check_rng,
    check_threshold,
    format_labels,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.modality.checks import (
    detect_grid,
    pile_up,
    resolve_bounds,
    split_bounds,
)
from distscale.modality.components import component_table
from distscale.modality.lrt import bootstrap_lrt, fit_groups
from distscale.modality.mixture import assemble_fit, check_engine_args
from distscale.modality.results import MixtureFit, ModalityScan
from distscale.modality.rules import holm, lrt_resamples, pile_is_mode
from distscale.modality.separation import ashman_d
from distscale.population import Population, as_population

__all__ = ["MIN_SEPARATION", "ModalityScan", "holm", "lrt_resamples", "modality_scan"]

#: Fewest values strictly inside the bounds for the test of 1 against 2 components.
_MIN_TEST_VALUES = 4
#: Seed resamples for the interval of the separation when ``n_boot_ci`` is None.
_N_BOOT_SEPARATION = 1000
#: Default smallest separation of two modes: Ashman's D between two Gaussians, and
#: a pile's distance from the nearest Gaussian in its sds. Ashman's criterion of a
#: clean separation is D > 2; the scan asks the lower end of D's seed-bootstrap
#: interval to clear 2.25 because, at 48 seeds, 2 there still let 5-8 % of skewed
#: unimodal samples (lognormal, gamma) through, 2.25 at most 3.3 %, for at most
#: 0.1 less power on modes 4-6 sd apart (docs/modality.md, "Calibration").
MIN_SEPARATION = 2.25
#: Replicates for a scale whose components are not apart (it cannot be bimodal).
_COARSE_RESAMPLES = 99
#: Besag & Clifford's h: a scale's test stops once this many replicates reach its statistic.
_SEQUENTIAL_H = 10


@fill_doc
def modality_scan(
    pop: Population | pd.DataFrame,
    *,
    metric: Hashable | None = None,
    bounds: tuple[float | None, float | None] | str | None = "auto",
    max_components: int = 2,
    alpha: float = 0.05,
    method: str = "lrt",
    min_separation: float | None = MIN_SEPARATION,
    n_resamples: int | None = None,
    confidence_level: float = 0.95,
    n_boot_ci: int | None = 1000,
    success_threshold: float | None = None,
    higher_is_better: bool = True,
    n_init: int = 4,
    prior: bool = False,
    sd_floor: float | None = None,
    rng: int | np.random.Generator | None = None,
    progress: bool = False,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> ModalityScan:
    """Scan every scale for bimodality; find the capacity threshold.

    At each scale: the dip test and bimodality coefficient on all seeds;
    Gaussian mixtures with ``1 .. max_components`` components (plus point
    masses at ``bounds``); the number of components chosen; and the chosen
    components' weights, means and sds with seed-bootstrap confidence
    intervals. The scale-wise bimodality p-values (``method="lrt"``: the
    parametric-bootstrap test of one against two Gaussian components;
    ``"dip"``: the dip test) are Holm-adjusted over the scales. A scale is
    bimodal when its adjusted p-value is below ``alpha`` and, for the
    mixture methods, the two components are well separated (Ashman's D at
    least ``min_separation``, at its estimate and at the lower end of its
    bootstrap interval); the capacity threshold is the smallest bimodal
    scale (see the module notes). With ``success_threshold`` the scan also
    reports where P(success) first exceeds 0.5, for contrast.

    Parameters
    ----------
    %(pop)s
    %(metric)s
    bounds : "auto", (lo, hi) or None, default "auto"
        Where values are point masses (see :func:`distscale.fit_mixture`).
        ``(lo, hi)``: the metric's range; values exactly at a bound become
        point masses. ``"auto"``: at each scale, a pile of at least
        ``max(3, 5 %)`` of its seeds exactly at its smallest (largest) value
        becomes a point mass there (named in ``notes``). None: no point
        masses (a pile then makes the scale degenerate).
    max_components : int, default 2
    alpha : float, default 0.05
        Family-wise error rate over the scales (and the level of the per-scale
        sequential tests that choose ``n_components``).
    method : {"lrt", "bic", "dip"}
        What decides bimodality. With ``"bic"`` and ``"dip"``, the number
        of components is chosen by BIC and no LRT is run.
    min_separation : float or None, default 2.25
        Smallest Ashman's D of the two Gaussian components for a scale to
        count as bimodal with ``"lrt"`` or ``"bic"``; both the estimate and
        the lower end of its seed-bootstrap interval must reach it, that end
        taken at the Bonferroni level over the scales (``decision_level`` of
        the result) so that the verdict holds for the whole family. Ashman,
        Bird & Zepf's criterion of a clean separation is D > 2; the default
        2.25 keeps the verdict's false-positive rate on skewed unimodal
        samples of 48 seeds below 0.05 (see
        :data:`MIN_SEPARATION`). Also the distance, in sds of the nearest
        Gaussian, a pile must keep to be a mode of its own. None: the test
        (or BIC) alone decides, and every pile with enough runs is a mode.
        The dip test is a test of unimodality itself and ignores it.
    n_resamples : int, optional
        Most parametric-bootstrap replicates per likelihood-ratio test.
        Default: enough for Holm over the tested scales to reach ``alpha``
        (``lrt_resamples``: 199 up to 4 scales, 2,099 for 50). Each test
        is sequential (Besag & Clifford 1991): it stops once 10 replicates
        reach the observed statistic, so scales far from ``alpha`` cost a few
        dozen refits.
    %(confidence_level)s
    n_boot_ci : int or None, default 1000
        Seed-bootstrap resamples for the intervals of the components and of
        the separation (percentile intervals from :func:`distscale.bootstrap`).
        None skips the component intervals (they are then NaN); the
        separation's interval is then computed only where it decides
        ``bimodal``, from 1000 resamples.
    success_threshold : float, optional
        A run succeeds when its value is above it (below it with
        ``higher_is_better=False``).
    %(higher_is_better)s
    n_init : int, default 4
        Starts per fit (the first four are deterministic; see
        :mod:`distscale.modality.mixture`).
    prior : bool, default False
        Regularise the mixtures' variances by mclust's conjugate prior
        instead of the resolution floor (see :mod:`distscale.modality.mixture`).
    sd_floor : float, optional
        Smallest component sd relative to the sd of the modelled values; by
        default the data's resolution (see :mod:`distscale.modality.mixture`).
    %(rng)s
    progress : bool, default False
        Show progress bars.
    %(columns)s

    Returns
    -------
    ModalityScan

    Warns
    -----
    DegenerateDataWarning
        Scales with ties that collapse a component, scales with too few
        values inside the bounds to test, and warnings of the dip test and
        bimodality coefficient (ties, identical values), each once with the
        scales named.

    Examples
    --------
    >>> import numpy as np
    >>> import distscale
    >>> rng = np.random.default_rng(0)
    >>> data = {s: np.r_[rng.normal(0, 1, 40 - 10 * s), rng.normal(8, 1, 10 * s)]
    ...         for s in range(4)}
    >>> pop = distscale.Population.from_dict(data)
    >>> scan = distscale.modality_scan(pop, n_resamples=99, n_boot_ci=200,
    ...                                success_threshold=4, rng=0)
    >>> scan.bimodal.tolist()
    [False, True, True, True]
    >>> scan.capacity_threshold, scan.success_scale
    (1.0, 3.0)
    >>> bool(scan.separation_ci.low[1] > 2)  # modes 8 sd apart: Ashman's D far above 2
    True
    """
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    samples = pop.values(metric)
    metric = pop.metric if metric is None else metric
    scales = pop.scales
    max_k = check_int("max_components", max_components, 2)
    alpha = check_alpha(alpha)
    check_one_of("method", method, ("lrt", "bic", "dip"))
    min_separation = Real(0.0, None, none=True)("min_separation", min_separation)
    if n_resamples is not None:
        n_resamples = check_n_resamples(n_resamples, minimum=1)
    confidence_level = check_confidence_level(confidence_level)
    if n_boot_ci is not None:
        n_boot_ci = check_n_resamples(n_boot_ci, minimum=2)
    success_threshold = check_threshold(success_threshold, "success_threshold", none=True)
    check_bool("higher_is_better", higher_is_better)
    n_init, prior, sd_floor, _, _, bounds = check_engine_args(
        n_init, prior, sd_floor, 1e-6, 3000, bounds
    )
    generator = check_rng(rng)
    from distscale.modality.dip import bimodality_coefficient, dip_test

    labels = scale_labels(scales)
    n_scales = len(samples)
    kw = {"n_init": n_init, "prior": prior, "sd_floor": sd_floor, "tol": 1e-6, "max_iter": 3000}
    notes: list[list[str]] = [[] for _ in samples]

    # ---------------------------------------------------------- per-scale data
    splits, scale_bounds = [], []
    for i, x in enumerate(samples):
        b, pile_note = resolve_bounds(x, bounds)
        scale_bounds.append(b)
        if pile_note:
            notes[i].append(pile_note)
        try:
            splits.append(split_bounds(x, b, name=f"values at scale {labels[i]}"))
        except ValueError as exc:
            raise ValueError(f"{exc} (column {metric!r})") from None
    inside_vals = [x[s[0]] for x, s in zip(samples, splits, strict=True)]
    n_seeds = np.array([x.size for x in samples])
    n_cont = np.array([v.size for v in inside_vals])
    distinct = np.array([np.unique(v).size for v in inside_vals])

    # ------------------------------------------------ dip test and coefficient
    dip_stat = np.full(n_scales, np.nan)
    dip_p = np.full(n_scales, np.nan)
    bc = np.full(n_scales, np.nan)
    caught: dict[str, list[object]] = {}
    for i, x in enumerate(samples):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always", DegenerateDataWarning)
            res = dip_test(x, method="table")
            dip_stat[i], dip_p[i] = res.statistic, res.pvalue
            if x.size >= 4:
                bc[i] = bimodality_coefficient(x)
        for w in rec:
            if issubclass(w.category, DegenerateDataWarning):
                key = str(w.message).split(":")[0].split("(")[0].strip()
                caught.setdefault(key, []).append(labels[i])
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for key, where in caught.items():
        warnings.warn(
            f"at scales {format_labels(where)}: {key} (from the dip test / bimodality "
            "coefficient; see their warnings)",
            DegenerateDataWarning,
            stacklevel=2,
        )
    small = n_seeds < 4
    if small.any():
        warnings.warn(
            f"scales {format_labels([labels[i] for i in np.flatnonzero(small)])} have fewer "
            "than 4 seeds: no bimodality coefficient (NaN) there",
            DegenerateDataWarning,
            stacklevel=2,
        )

    # ---------------------------------------------------------------- mixtures
    raw: dict[int, list[dict | None]] = {}
    fits: dict[int, list[MixtureFit | None]] = {}
    for k in range(1, max_k + 1):
        members = [i for i in range(n_scales) if distinct[i] >= k]
        raw[k] = [None] * n_scales
        fits[k] = [None] * n_scales
        if not members:
            continue
        rows = fit_groups(
            [inside_vals[i] for i in members], k, rng=generator, responsibilities=True, **kw
        )
        for i, row in zip(members, rows, strict=True):
            inside, locs, masks = splits[i]
            raw[k][i] = row
            fits[k][i] = assemble_fit(
                samples[i], inside, locs, masks, row, scale_bounds[i], row["resp"], prior=prior,
                notes=tuple(notes[i]),
            )
    bic = np.full((n_scales, max_k), np.nan)
    for k in range(1, max_k + 1):
        for i in range(n_scales):
            if fits[k][i] is not None:
                bic[i, k - 1] = fits[k][i].bic

    testable = (n_cont >= _MIN_TEST_VALUES) & (distinct >= 2)
    collapsed = np.array([f is not None and f.degenerate for f in fits[2]])
    piles = [pile_up(x, b) for x, b in zip(samples, scale_bounds, strict=True)]
    piled = np.array([p is not None for p in piles])
    degenerate = ~testable | collapsed | piled
    if piled.any():
        where = [f"{labels[i]} ({piles[i]})" for i in np.flatnonzero(piled)]
        warnings.warn(
            "piles of tied values at the extremes at scales "
            f"{format_labels(where, limit=3)}: a pile is a point mass, which Gaussian "
            "components cannot describe, so these scales are not tested; pass bounds='auto' "
            "(the default) or the metric's bounds to model it as a point mass",
            DegenerateDataWarning,
            stacklevel=2,
        )
    if collapsed.any():
        where = [labels[i] for i in np.flatnonzero(collapsed)]
        warnings.warn(
            f"at scales {format_labels(where)} the two-component fit collapsed onto tied "
            "values (the likelihood is unbounded on ties, so the fit is set by the variance "
            "floor): these scales are not tested and never counted as bimodal; "
            "use `bounds` for values at the ends of a bounded metric",
            DegenerateDataWarning,
            stacklevel=2,
        )
    for i in range(n_scales):
        if piled[i]:
            notes[i].append(f"not tested: {piles[i]} (a pile at a value that is not a bound)")
        elif collapsed[i]:
            notes[i].append("not tested: the two-component fit collapsed onto tied values")
        elif not testable[i]:
            notes[i].append(
                f"not tested: fewer than {_MIN_TEST_VALUES} values (or 2 distinct values) "
                "strictly inside the bounds"
            )
    untestable = ~testable
    if untestable.any():
        where = [labels[i] for i in np.flatnonzero(untestable)]
        warnings.warn(
            f"scales {format_labels(where)} have fewer than {_MIN_TEST_VALUES} values (or "
            "fewer than 2 distinct values) strictly inside the bounds: "
            "no test of two components there",
            DegenerateDataWarning,
            stacklevel=2,
        )

    # ---------------------------------------------------- choose n_components
    chosen = np.ones(n_scales, dtype=np.int64)
    lrt_stat = lrt_p = None
    n_tested = int((~degenerate).sum())
    if n_resamples is None:
        n_resamples = lrt_resamples(n_tested, alpha)
    if method == "lrt":
        lrt_stat = np.full(n_scales, np.nan)
        lrt_p = np.full(n_scales, np.nan)
        going = np.flatnonzero(testable)
        for k in range(1, max_k):
            going = np.array([i for i in going if distinct[i] >= k + 1], dtype=np.int64)
            if going.size == 0:
                break
            obs = np.array([2.0 * (raw[k + 1][i]["loglik"] - raw[k][i]["loglik"]) for i in going])
            budget = np.full(going.size, n_resamples)
            if k == 1 and min_separation is not None and method == "lrt":
                # a scale whose two components are not apart cannot be bimodal whatever its
                # p-value: a coarser (still exact) p-value from fewer replicates serves Holm,
                # as replacing a p-value by a larger valid one keeps the correction valid
                d_hat = np.array([float(ashman_d(fits[2][i].means, fits[2][i].sds))
                                  for i in going])
                budget[d_hat < min_separation] = min(n_resamples, _COARSE_RESAMPLES)
            pv = bootstrap_lrt(
                [inside_vals[i] for i in going], [raw[k][i] for i in going], obs, k,
                n_resamples=budget, rng=generator, progress=progress,
                stop_after=_SEQUENTIAL_H, **kw,
            )
            if k == 1:
                lrt_stat[going] = obs
                lrt_p[going] = pv
            ok = (pv <= alpha) & ~np.array([fits[k + 1][i].degenerate for i in going])
            chosen[going[ok]] = k + 1
            going = going[ok]
    else:
        for i in range(n_scales):
            row = bic[i]
            if np.isfinite(row).any():
                chosen[i] = int(np.nanargmin(row)) + 1

    # ---------------------------------------------------- bimodality decision
    pvalue = adjusted = None
    if method == "bic":
        rejected = (chosen >= 2) & ~degenerate
    else:
        base = lrt_p if method == "lrt" else dip_p
        pvalue = np.where(degenerate, np.nan, base)
        adjusted = holm(pvalue)
        rejected = np.nan_to_num(adjusted, nan=2.0) <= alpha
        family = int(np.isfinite(pvalue).sum())
        if method == "lrt" and family and family / (n_resamples + 1) > alpha:
            warnings.warn(
                f"with {family} scales tested and `n_resamples`={n_resamples}, the smallest "
                f"Holm-adjusted p-value is {family}/{n_resamples + 1} > `alpha`={alpha:g}, "
                "so no scale can be detected as bimodal; use `n_resamples` >= "
                f"{math.ceil(family / alpha) - 1} (or leave it None to choose it)",
                UserWarning,
                stacklevel=2,
            )

    # ------------------------------------------- separation (Ashman's D)
    two = fits[2]
    separation = np.array(
        [np.nan if f is None else float(ashman_d(f.means, f.sds)) for f in two]
    )
    separating = min_separation is not None and method != "dip"
    deciding = rejected & separating & np.array([f is not None for f in two])
    want = deciding | ((n_boot_ci is not None) & ~degenerate & np.isfinite(separation))

    p_success = success_scale = None
    if success_threshold is not None:
        if higher_is_better:
            p_success = np.array([np.mean(x > success_threshold) for x in samples])
        else:
            p_success = np.array([np.mean(x < success_threshold) for x in samples])
        above = np.flatnonzero(p_success > 0.5)
        success_scale = float(scales[above[0]]) if above.size else None

    # ------------------------------------------------- components with CIs
    chosen[n_cont == 0] = 0  # every value at a bound: point masses only
    chosen_fits = tuple(fits[int(chosen[i])][i] if chosen[i] else None for i in range(n_scales))
    # The separation and the piles' weights decide over the whole family of
    # scales, as Holm does for the tests: their one-sided lower bounds are taken
    # at the Bonferroni level (1 - confidence_level) / 2 / m for m decidable scales.
    family_size = max(1, int(np.sum(~degenerate)))
    decision_level = 1.0 - (1.0 - confidence_level) / family_size
    components, sep_low, sep_high, sep_decide = component_table(
        samples, scales, splits, chosen_fits, None, kw, n_boot_ci=n_boot_ci,
        confidence_level=confidence_level, rng=generator, progress=progress,
        separation=[two[i] if want[i] else None for i in range(n_scales)],
        n_boot_separation=_N_BOOT_SEPARATION, decision_level=decision_level,
    )
    if separating:
        apart = np.minimum(separation, sep_decide) >= min_separation  # NaN: not apart
        gaussian_bimodal = rejected & apart
    else:
        gaussian_bimodal = rejected

    # ------------------------------------------- piles (point masses) as modes
    pile_modes = np.zeros(n_scales, dtype=np.int64)
    n_modes = np.zeros(n_scales, dtype=np.int64)
    for i, fit in enumerate(chosen_fits):
        locs, masks = splits[i][1], splits[i][2]
        n_gauss = 0 if n_cont[i] == 0 else (2 if gaussian_bimodal[i] else 1)
        for b, mask in zip(locs, masks, strict=True):
            grid = detect_grid(samples[i])
            mode, text = pile_is_mode(b, int(mask.sum()), int(samples[i].size), fit,
                                      min_separation, decision_level,
                                      0.0 if grid is None else grid[1])
            pile_modes[i] += mode
            notes[i].append(text)
        n_modes[i] = n_gauss + pile_modes[i]
    bimodal = gaussian_bimodal | (n_modes >= 2)
    capacity = float(scales[np.flatnonzero(bimodal)[0]]) if bimodal.any() else None

    return ModalityScan(
        scales=frozen(scales, float),
        n_seeds=frozen(n_seeds, np.int64),
        n_continuous=frozen(n_cont, np.int64),
        dip_statistic=frozen(dip_stat, float),
        dip_pvalue=frozen(dip_p, float),
        bimodality_coefficient=frozen(bc, float),
        n_components=frozen(chosen, np.int64),
        lrt_statistic=None if lrt_stat is None else frozen(lrt_stat, float),
        lrt_pvalue=None if lrt_p is None else frozen(lrt_p, float),
        bic=frozen(bic, float),
        pvalue=None if pvalue is None else frozen(pvalue, float),
        adjusted_pvalue=None if adjusted is None else frozen(adjusted, float),
        separation=frozen(separation, float),
        separation_ci=ConfidenceInterval(
            frozen(sep_low, float),
            frozen(sep_high, float),
            level=confidence_level,
            method="percentile",
        ),
        separation_bound=frozen(sep_decide, float),
        min_separation=min_separation,
        bimodal=frozen(bimodal, bool),
        degenerate=frozen(degenerate, bool),
        n_modes=frozen(n_modes, np.int64),
        pile_modes=frozen(pile_modes, np.int64),
        notes=tuple("; ".join(n) for n in notes),
        fits=chosen_fits,
        components=components,
        capacity_threshold=capacity,
        success_threshold=success_threshold,
        higher_is_better=bool(higher_is_better),
        p_success=None if p_success is None else frozen(p_success, float),
        success_scale=success_scale,
        method=method,
        correction="holm",
        alpha=alpha,
        confidence_level=confidence_level,
        decision_level=decision_level,
        n_resamples=n_resamples,
        n_boot_ci=0 if n_boot_ci is None else n_boot_ci,
        bounds=bounds,
        prior=prior,
        metric=metric,
        scale_name=pop.scale,
    )
