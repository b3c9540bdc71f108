r"""Batched one-dimensional Gaussian mixtures, with point masses at known bounds.

:func:`fit_mixture` fits one sample and :func:`select_components` chooses the
number of components (BIC, or a parametric-bootstrap likelihood-ratio test in
the manner of R mclust's ``mclustBootstrapLRT``). Underneath, one private
engine, ``fit_batch`` in :mod:`distscale.modality.em`, fits many samples at once --
every bootstrap replicate of every scale as the rows of one ``(batch, n)``
array -- because model selection needs thousands of refits. The bootstrap
test lives in :mod:`distscale.modality.lrt`; argument checks, the split into
point masses and the tie diagnostics in :mod:`distscale.modality.checks`.

The model
---------
Without ``bounds`` the model is a mixture of ``k`` Gaussians. With
``bounds=(lo, hi)`` (a metric that lives in ``[lo, hi]``, such as an accuracy
in ``[0, 1]``) a value exactly at a bound is explained by a *point mass* at
that bound (zero- or one-inflation), and the Gaussian components explain the
values strictly inside. The likelihood is taken with respect to Lebesgue
measure on ``(lo, hi)`` plus counting measure at ``lo`` and ``hi``:

.. math::

    L = \prod_{x_i = lo} \pi_{lo} \prod_{x_i = hi} \pi_{hi}
        \prod_{lo < x_i < hi} \sum_j w_j \, \phi(x_i; \mu_j, \sigma_j),

with ``pi_lo + pi_hi + sum(w) = 1``. It factorises, so the point-mass
weights have the closed-form maximum ``pi_b = (number of values at b) / n``
and the Gaussian part is an ordinary mixture fitted to the inside values
(with weights ``w_j / (1 - pi_lo - pi_hi)``). A point mass is a free
parameter only where a value sits at the bound; BIC counts
``3 k - 1 + m`` parameters for ``k`` Gaussians and ``m`` point masses. The
point-mass factor is the same for ``k`` and ``k + 1`` Gaussians, so it
cancels from the likelihood-ratio test, which therefore compares Gaussian
mixtures of the inside values. The Gaussian densities are not truncated at
the bounds (a model of the shape of the inside values).

The fit
-------
Every sample is centred and scaled to unit standard deviation first (so
fits are location-scale equivariant). *Variances*: without a guard the
likelihood is unbounded (a component shrinking onto one value). The guard
is the data's *resolution*: no component standard deviation may fall below
the median gap between successive distinct values the Gaussians model (a
component cannot be narrower than the spacing of the values it covers). Two
tight clusters far apart are then fitted as they are, which a floor tied to
the overall spread (the former default, 0.1 sd, still available as
``sd_floor=0.1``) prevents: with 36 runs near 3,140 and 55 near 7,530 (sd
about 60 each; overall sd 2,210) it forced one wide and one narrow
component. ``prior=True`` regularises the variances instead by the weak
conjugate prior of Fraley & Raftery (2007, J. Classification 24, 155-181),
mclust's default (maximum a posteriori estimates; shrinkage 0.01, 3 degrees
of freedom, scale ``var / G**2``). It is not the default because it
penalises narrow components, so a skewed unimodal sample of 48 seeds is
fitted as two separated clusters: the scan's bimodality verdict then fires
on 31 % of lognormal and 49 % of gamma samples (docs/modality.md), and the
two clusters above are merged, while the resolution floor keeps those rates
near the level. The one-component fit is always the maximum-likelihood
Gaussian. *Starts* (``n_init`` of
them; the highest log-likelihood wins): (1) the exact optimal two-means
split of the sorted sample (Fisher's 1-D clustering, by cumulative sums;
for ``k >= 3``, equal-count quantile groups); (2) a narrow and a wide
component at the same centre (heavy tails); (3) the lowest value alone
against the rest and (4) the highest value alone; (5 ...) cuts of the
sorted sample after a number of values drawn uniformly from ``rng``. Starts
1-4 draw nothing. *Iterations*: EM accelerated by SQUAREM (Varadhan &
Roland 2008, scheme S3 with an adaptive step bound and a fall-back that
keeps the log-likelihood monotone). For two components the responsibility
is the logistic of the log-density ratio, a quadratic in ``x``, so an EM
step makes about ten passes over memory; a row leaves the active set as
soon as its log-likelihood gains less than ``tol`` per value over a cycle
of three EM steps.

Ties
----
A Gaussian mixture treats the data as continuous. Tied values (a metric
such as exact match on few examples) let a component collapse onto one
value, and the likelihood then grows as the component narrows -- only the
floor stops it, so the fit and any likelihood-ratio test are set by the
floor, not the data. A fit with two or more components in which a
component takes half or more of its weight from *one repeated value* is
reported as *collapsed onto ties* (``MixtureFit.degenerate``) with a
:class:`~distscale.DegenerateDataWarning`: that component is a point mass,
not a Gaussian. :func:`select_components` also warns when the smallest or
largest value is repeated by at least ``max(3, 10%)`` of the values at an end
that is not a bound. Values exactly at the ends of a bounded metric are
better described by ``bounds``. When the values lie on a regular grid (a
discrete metric), the bootstrap replicates of the likelihood-ratio test are
rounded to that grid, so the null carries the same discreteness.
"""


from __future__ import annotations

import math
import warnings

import numpy as np

from distscale._lib.results import frozen
from distscale._lib.validation import (
    check_alpha,
    check_bool,
    check_bounds,
    check_finite_array,
    check_int,
    check_n_resamples,
    check_one_of,
    check_positive,
    check_rng,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.modality.checks import (
    component_labels,
    pile_up,
    point_label,
    resolve_bounds,
    single_value_share,
    split_bounds,
)
from distscale.modality.em import fit_batch
from distscale.modality.lrt import bootstrap_lrt
from distscale.modality.results import ComponentSelection, MixtureFit

__all__ = ["ComponentSelection", "MixtureFit", "fit_mixture", "select_components"]


# --------------------------------------------------------------------- results
def assemble_fit(
    x: np.ndarray,
    inside: np.ndarray,
    locs: list[float],
    masks: list[np.ndarray],
    row: dict[str, np.ndarray],
    bounds: tuple[float, float] | None,
    resp_inside: np.ndarray,
    *,
    prior: bool = True,
    notes: tuple[str, ...] = (),
) -> MixtureFit:
    """Turn one row of :func:`distscale.modality.em.fit_batch` output into a :class:`MixtureFit`."""
    n = x.size
    n_in = int(inside.sum())
    k = row["means"].size
    counts = np.array([int(m.sum()) for m in masks], dtype=float)
    pm_w = counts / n
    cont = n_in / n
    ll = float(row["loglik"]) + (n_in * math.log(cont) if n_in else 0.0)
    ll += float(np.sum(counts * np.log(np.where(pm_w > 0, pm_w, 1.0))))
    n_par = 3 * k - 1 + len(locs)
    resp = np.zeros((n, k + len(locs)))
    resp[inside, :k] = resp_inside.T
    for j, mask in enumerate(masks):
        resp[mask, k + j] = 1.0
    share = single_value_share(x[inside], resp_inside)
    degenerate = bool(k >= 2 and np.any(share >= 0.5))
    return MixtureFit(
        weights=frozen(row["weights"] * cont, float),
        means=frozen(row["means"], float),
        sds=frozen(row["sds"], float),
        point_mass_locations=frozen(locs, float),
        point_mass_weights=frozen(pm_w, float),
        log_likelihood=ll,
        bic=-2.0 * ll + n_par * math.log(n),
        n_parameters=n_par,
        n=n,
        n_continuous=n_in,
        converged=bool(row["converged"]),
        n_iter=int(row["n_iter"]),
        responsibilities=frozen(resp, float),
        sd_floor=float(row["floor"]),
        at_floor=frozen(row["at_floor"], bool),
        degenerate=degenerate,
        bounds=bounds,
        labels=component_labels(k) + tuple(point_label(b) for b in locs),
        prior=prior,
        notes=notes,
    )


def _warn_fit(fit: MixtureFit, where: str = "", stacklevel: int = 3) -> None:
    if fit.degenerate:
        warnings.warn(
            f"{where}a Gaussian component collapsed onto tied values (half or more of its "
            f"weight is one repeated value; component means "
            f"{', '.join(f'{m:.6g}' for m in fit.means)}): a repeated value is a point mass, "
            "on which a Gaussian's likelihood grows without bound as it narrows, so the fit "
            "and any likelihood-ratio test reflect the ties and the variance floor, not two "
            "modes; use `bounds` for values at the ends of a bounded metric",
            DegenerateDataWarning,
            stacklevel=stacklevel,
        )


# ------------------------------------------------------------------ public API
def check_engine_args(
    n_init: object, prior: object, sd_floor: object, tol: object, max_iter: object,
    bounds: object,
) -> tuple:
    """Validate the EM settings shared by :func:`fit_mixture`, :func:`select_components`
    and :func:`distscale.modality_scan`."""
    return (
        check_int("n_init", n_init, 1),
        check_bool("prior", prior),
        None if sd_floor is None else check_positive("sd_floor", sd_floor, upper=1.0),
        check_positive("tol", tol),
        check_int("max_iter", max_iter, 1),
        check_bounds(bounds, auto=True),
    )


def fit_mixture(
    x: object,
    *,
    n_components: int = 2,
    bounds: tuple[float | None, float | None] | str | None = "auto",
    n_init: int = 10,
    prior: bool = False,
    sd_floor: float | None = None,
    tol: float = 1e-10,
    max_iter: int = 20_000,
    rng: int | np.random.Generator | None = None,
) -> MixtureFit:
    """Fit a one-dimensional Gaussian mixture by EM, with point masses at ``bounds``.

    Parameters
    ----------
    x : array_like
        One sample (for example one scale's seeds).
    n_components : int, default 2
        Number of Gaussian components.
    bounds : "auto", (lo, hi) or None, default "auto"
        Where values are point masses. ``(lo, hi)``: the metric's range;
        values exactly at ``lo`` or ``hi`` are modelled by point masses
        (zero/one inflation) and the Gaussians model the values strictly
        inside (``None`` for a side leaves it open). ``"auto"``: a pile of at
        least ``max(3, 5 %)`` of the values exactly at the smallest (largest)
        value becomes a point mass there, with a note (``notes``). None: no
        point masses.
    n_init : int, default 10
        Number of starts; the first four are deterministic (see the module
        notes), the rest are random cuts drawn from ``rng``.
    prior : bool, default False
        Regularise the variances by the conjugate prior of mclust (see the
        module notes) instead of the resolution floor.
    sd_floor : float, optional
        Smallest component sd, as a fraction of the sd of the values the
        Gaussians model; by default the data's resolution (the median gap
        between successive distinct values; see the module notes).
    tol : float, default 1e-10
        Convergence: log-likelihood gain per value over one accelerated cycle.
    max_iter : int, default 20000
        Most EM steps per start.
    rng : int, numpy.random.Generator or None
        Draws the random starts.

    Returns
    -------
    MixtureFit

    Raises
    ------
    ValueError
        If ``x`` is empty or not finite, a value lies outside ``bounds``, or
        fewer than ``n_components`` distinct values lie inside the bounds.

    Warns
    -----
    DegenerateDataWarning
        When a component collapsed onto tied values, or every value inside
        the bounds is the same.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.r_[np.linspace(-1, 1, 30), np.linspace(5, 7, 10)]
    >>> fit = fit_mixture(x, rng=0)
    >>> fit.labels
    ('low', 'high')
    >>> np.round(fit.weights, 3).tolist(), np.round(fit.means, 3).tolist()
    ([0.75, 0.25], [0.0, 6.0])
    """
    x = check_finite_array("x", x, min_size=1)
    k = check_int("n_components", n_components, 1)
    n_init, prior, sd_floor, tol, max_iter, bounds = check_engine_args(
        n_init, prior, sd_floor, tol, max_iter, bounds
    )
    generator = check_rng(rng)
    bounds, pile_note = resolve_bounds(x, bounds)
    inside, locs, masks = split_bounds(x, bounds)
    xi = x[inside]
    distinct = np.unique(xi).size
    if distinct < k:
        where = " strictly inside `bounds`" if bounds is not None else ""
        raise ValueError(
            f"`n_components`={k} needs at least {k} distinct values{where}; "
            f"`x` has {distinct}"
        )
    row = fit_batch(
        xi[None, :], k, n_init=n_init, rng=generator, prior=prior, sd_floor=sd_floor, tol=tol,
        max_iter=max_iter, responsibilities=True,
    )
    fit = assemble_fit(
        x, inside, locs, masks, {key: v[0] for key, v in row.items()}, bounds, row["resp"][0],
        prior=prior, notes=(pile_note,) if pile_note else (),
    )
    if distinct == 1:
        warnings.warn(
            "every value modelled by the Gaussians is the same "
            f"({xi[0]:.6g}); the Gaussian part is a spike at the variance floor",
            DegenerateDataWarning,
            stacklevel=2,
        )
    else:
        _warn_fit(fit)
    if not fit.converged:
        warnings.warn(
            f"EM did not converge in `max_iter`={max_iter} steps; the log-likelihood "
            "may still rise (increase `max_iter`)",
            UserWarning,
            stacklevel=2,
        )
    return fit


def select_components(
    x: object,
    *,
    max_components: int = 2,
    method: str = "lrt",
    n_resamples: int = 199,
    alpha: float = 0.05,
    bounds: tuple[float | None, float | None] | str | None = "auto",
    n_init: int = 4,
    prior: bool = False,
    sd_floor: float | None = None,
    tol: float = 1e-6,
    max_iter: int = 3000,
    rng: int | np.random.Generator | None = None,
) -> ComponentSelection:
    """Choose the number of Gaussian components by bootstrap LRT or BIC.

    ``method="lrt"`` tests ``k = 1`` against ``2`` components, then (if
    significant at ``alpha``) ``2`` against ``3`` and so on up to
    ``max_components``, as R mclust's ``mclustBootstrapLRT`` does: the null
    ``k``-component fit is used to simulate ``n_resamples`` samples of the
    same size; each is refitted with ``k`` and ``k + 1`` components by the
    batched engine (all replicates in one array program), and the p-value
    is ``(1 + #{LRT* >= LRT}) / (n_resamples + 1)``. Because the data and
    every replicate go through the same fitting procedure, the test keeps
    its level even where EM stops short of the global optimum; under a
    one-Gaussian null the statistic is location-scale invariant, so the
    test is exact up to Monte Carlo error. ``method="bic"`` picks the
    smallest BIC (no error-rate control: see docs/modality.md).

    Parameters
    ----------
    x : array_like
    max_components : int, default 2
    method : {"lrt", "bic"}
    n_resamples : int, default 199
        Bootstrap replicates per test.
    alpha : float, default 0.05
    bounds : "auto", (lo, hi) or None, default "auto"
        See :func:`fit_mixture`; the point masses are in every model and
        cancel from the test.
    n_init, prior, sd_floor, tol, max_iter
        Passed to the fits (see :func:`fit_mixture`); the defaults here are
        looser than :func:`fit_mixture`'s, for speed in the thousands of refits.
    rng : int, numpy.random.Generator or None

    Returns
    -------
    ComponentSelection

    Warns
    -----
    DegenerateDataWarning
        When the larger model collapses onto tied values (its test is not
        trustworthy; the selection stops there), when the smallest or largest
        value is repeated by at least ``max(3, 10%)`` of the values and is not
        a bound (a pile of ties, e.g. exact 0s of an accuracy without
        ``bounds``), or when there are too few distinct values to fit more
        components (the selection stops there).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = np.r_[rng.normal(0, 1, 20), rng.normal(8, 1, 20)]
    >>> sel = select_components(x, n_resamples=99, rng=0)
    >>> sel.n_components, float(sel.pvalue[0])
    (2, 0.01)
    """
    x = check_finite_array("x", x, min_size=1)
    max_k = check_int("max_components", max_components, 1)
    check_one_of("method", method, ("lrt", "bic"))
    n_resamples = check_n_resamples(n_resamples, minimum=1)
    alpha = check_alpha(alpha)
    n_init, prior, sd_floor, tol, max_iter, bounds = check_engine_args(
        n_init, prior, sd_floor, tol, max_iter, bounds
    )
    generator = check_rng(rng)
    bounds, pile_note = resolve_bounds(x, bounds)
    notes = [pile_note] if pile_note else []
    inside, locs, masks = split_bounds(x, bounds)
    xi = x[inside]
    distinct = np.unique(xi).size
    if distinct == 0:
        raise ValueError("`x` has no values strictly inside `bounds`; there is nothing to fit")
    pile = pile_up(x, bounds)
    if pile is not None:
        notes.append(f"{pile}: a pile of tied values is a point mass, which Gaussians cannot "
                     "describe; a test may reflect the pile (bounds='auto' models it)")
        warnings.warn(
            f"{pile}: a pile of tied values is a point mass, which Gaussian components "
            "cannot describe (their likelihood grows without bound on ties), so a "
            "significant test may reflect the pile rather than two modes; pass "
            "bounds='auto' (the default) or the metric's bounds",
            DegenerateDataWarning,
            stacklevel=2,
        )
    kw = {"n_init": n_init, "prior": prior, "sd_floor": sd_floor, "tol": tol,
          "max_iter": max_iter}
    fits: list[MixtureFit] = []
    raw: list[dict[str, np.ndarray]] = []

    def add_fit(k: int) -> None:
        row = fit_batch(xi[None, :], k, rng=generator, responsibilities=True, **kw)
        raw.append({key: v[0] for key, v in row.items()})
        fits.append(assemble_fit(x, inside, locs, masks, raw[-1], bounds, row["resp"][0],
                                 prior=prior, notes=tuple(notes)))

    add_fit(1)
    stats: list[float] = []
    pvals: list[float] = []
    chosen = 1
    top = min(max_k, distinct)
    if top < max_k:
        notes.append(f"only {distinct} distinct values to model; at most {top} components")
        warnings.warn(
            f"only {distinct} distinct values to model; at most {top} components considered",
            DegenerateDataWarning,
            stacklevel=2,
        )
    if method == "bic":
        for k in range(2, top + 1):
            add_fit(k)
        chosen = int(np.argmin([f.bic for f in fits])) + 1
    else:
        k = 1
        while k < top:
            add_fit(k + 1)
            lrt = 2.0 * (raw[k]["loglik"] - raw[k - 1]["loglik"])
            p = bootstrap_lrt(
                [xi], [raw[k - 1]], np.array([lrt]), k, n_resamples=n_resamples,
                rng=generator, **kw,
            )[0]
            stats.append(float(lrt))
            if fits[k].degenerate:
                pvals.append(math.nan)  # void: the larger fit sits on ties, not on a mode
                notes.append(
                    f"the test of {k} against {k + 1} components is void: the "
                    f"{k + 1}-component fit collapsed onto tied values (a pile is a point "
                    f"mass, not a Gaussian); p = {p:.3g} is not reported"
                )
                _warn_fit(fits[k], where=f"testing {k} against {k + 1} components: ")
                break
            pvals.append(float(p))
            if p > alpha:  # reject at p <= alpha: exact size for Monte Carlo p-values
                break
            chosen = k + 1
            k += 1
    return ComponentSelection(
        n_components=chosen,
        method=method,
        fits=tuple(fits),
        bic=frozen([f.bic for f in fits], float),
        lrt_statistic=frozen(stats, float),
        pvalue=frozen(pvals, float),
        alpha=alpha,
        n_resamples=n_resamples,
        notes=tuple(notes),
    )
