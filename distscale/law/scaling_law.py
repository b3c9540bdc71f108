"""The distributional scaling law: one model of the seed distribution across all scales.

:class:`DistributionalScalingLaw` fits the law of :mod:`distscale.law.model`
-- P(success) logistic in ``ln(scale)``, failed and successful parts whose
location and log-spread move linearly in ``ln(scale)``, point masses where
the runs pile up at a bound -- to a whole population at once by the batched
EM of :mod:`distscale.law.engine`, with seed-bootstrap replicates (whole
seeds across scales when the population is paired) refitted in the same
array program. :meth:`~DistributionalScalingLaw.predict` turns it into a
:class:`~distscale.law.predictive.PredictiveDistribution` at any scale,
seen or not.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.results import scale_labels
from distscale._lib.success_rule import rule_text, success_mask
from distscale._lib.validation import (
    Integer,
    check_bool,
    check_bounds,
    check_confidence_level,
    check_finite_array,
    check_int,
    check_one_of,
    check_positive,
    check_rng,
    check_threshold,
)
from distscale.law.bands import (
    DEFAULT_RESAMPLES,
    INTERVALS,
    calibrated_band,
    draw_indices,
    refit_inner,
)
from distscale.law.binomial import choose_weight_model
from distscale.law.engine import EMData, em, initial_params, merge_ties
from distscale.law.model import (
    Params,
    Scaling,
    Structure,
    Transform,
    find_piles,
    layout,
    structure,
)
from distscale.law.predictive import PredictiveDistribution, bc_band
from distscale.population import Population, as_population

__all__ = ["DistributionalScalingLaw", "ExtrapolationWarning", "candidate_structures",
           "draw_indices", "n_free"]

WEIGHT_MODELS = ("auto", "logistic", "logistic4")
#: Replicates per chunk of the bootstrap (bounded memory; see the engine's chunks too).
_BOOT_CHUNK_ELEMENTS = 1 << 21


def n_free(st: Structure, weight_model: str) -> int:
    """Number of free parameters of a structure (for the BIC)."""
    k = (4 if weight_model == "logistic4" else 2) if st.weight_free else 0
    for part in ("F", "S"):
        if st.cont[part]:
            k += 2 + st.loc_slope[part] + st.spread_slope[part]
        if st.pile_free[part]:
            k += 2
    return k


def candidate_structures(st: Structure) -> list[Structure]:
    """The structure, and -- where a part has a pile and a continuous component while the
    other part has a continuous component too -- the structure without that part's
    continuous component (its few values then belong to the other part's component: a
    successful component reaching below the threshold beside a pile of failed runs at 0).
    The EM fits each; the BIC chooses."""
    out = [st]
    for k, other in (("F", "S"), ("S", "F")):
        if st.pile[k] and st.cont[k] and st.cont[other]:
            off = {**st.cont, k: False}
            out.append(Structure(off, st.pile, {**st.loc_slope, k: False},
                                 {**st.spread_slope, k: False}, st.n_scales))
    return out


class ExtrapolationWarning(UserWarning):
    """A prediction at a scale outside the fitted range (allowed; its bands widen)."""


@fill_doc
class DistributionalScalingLaw:
    """A distributional scaling law: the whole seed distribution as a function of scale.

    One model across all scales, with ``g = ln(scale)``: the probability that
    a run belongs to the successful part is logistic in ``g`` (with a floor
    and a ceiling where the observed fractions plateau); the failed and the
    successful part are each a point mass at a bound of the metric where
    the runs pile up there, plus a continuous component whose location and
    log-spread move linearly in ``g`` (logit-normal for a metric in a finite
    range). Fitted jointly over all scales by EM for a mixture of
    regressions with concomitant-variable mixing weights; the seed bootstrap
    refits every replicate in the same array program. See ``docs/law.md``.

    Parameters
    ----------
    %(threshold)s
    %(higher_is_better)s
    bounds : "auto", (lo, hi) or None, default "auto"
        The metric's range. ``(lo, hi)``: continuous components are
        logit-normal on ``(lo, hi)`` (log-normal with one finite bound) and
        values exactly at a bound are point masses. ``"auto"``: continuous
        components are Gaussian, and a pile of runs at the population's
        smallest (largest) value -- at least ``max(3, 5 %)`` of a scale's
        seeds -- is a point mass. None: Gaussian, no point masses.
    success_model : {"auto", "logistic", "logistic4"}, default "auto"
        The weight of the successful part: logistic in ``g``, or with a
        floor and a ceiling; ``"auto"`` takes the floor/ceiling variant when
        the observed fractions of successful runs favour it by AIC (at least
        4 scales).
    n_resamples : int, optional
        Seed-bootstrap replicates behind every band (0: no bands). Default
        1,000 (200 with ``interval="calibrated"``): from 200, the 95 %% bc
        bands lose up to 2 points of coverage at 48 seeds per scale (``docs/law.md``).
    %(confidence_level)s
    interval : {"bc", "calibrated"}, default "bc"
        How a band is read from the replicates: the bias-corrected
        percentile interval, or the calibrated percentile interval of a
        double bootstrap (:func:`~distscale.law.bands.calibrated_band`;
        ``n_inner`` more fits per replicate): at 48 seeds per scale its 95 %%
        bands cover 95-97 %%, the bias-corrected ones 92-95 %% (``docs/law.md``).
    n_inner : int, default 25
        Inner resamples per replicate with ``interval="calibrated"``.
    metric : str, optional
        Which metric column, when the population has several.
    tol : float, default 1e-9
        EM stops when the log-likelihood gains less than this per run.
    max_iter : int, default 2000
        Most EM iterations per fit.
    %(rng)s

    Attributes
    ----------
    scales_ : numpy.ndarray
        The fitted scales.
    n_seeds_ : numpy.ndarray
        Seeds per scale.
    transform_ : Transform
        The map under which the continuous components are Gaussian.
    piles_ : dict
        ``{"failure": location or NaN, "success": location or NaN}``.
    structure_ : Structure
        Which parts exist and which slopes are free.
    success_model_ : str
        ``"logistic"`` or ``"logistic4"``; ``success_model_reason_`` says why.
    coef_ : pandas.DataFrame
        Coefficients in units of ``g = ln(scale)`` (locations and spreads in
        the transformed units ``z = T(y)``): ``block, parameter, estimate,
        ci_low, ci_high, free``.
    params_ : Params
        All parameters, row 0 the fit to the data, rows 1.. the replicates.
    interval_ : str
        How the bands were read (``"bc"``, or ``"calibrated"``: then
        ``inner_params_`` holds the inner fits, replicate by replicate).
    log_likelihood_ : float
        Of the data (metric units, Jacobian of the transform included).
    converged_, n_iter_ : bool, int
        Of the fit to the data; ``bootstrap_converged_`` is the fraction of
        replicates that converged.
    paired_ : bool
        Whether seeds were resampled whole across scales.
    notes_ : tuple of str
        How the data were modelled (piles, held slopes, the success model).

    Examples
    --------
    >>> import distscale as ds
    >>> pop = ds.datasets.load_count_population().select(metric="exact_match")
    >>> law = ds.law.DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=50,
    ...                                   rng=0).fit(pop)
    >>> law.success_model_
    'logistic'
    >>> pred = law.predict(2 * law.scales_[-1])  # doctest: +SKIP
    >>> round(float(law.predict(law.scales_[-1]).p_success().estimate), 3)
    0.997
    """

    def __init__(
        self,
        *,
        threshold: float,
        higher_is_better: bool = True,
        bounds: tuple[float | None, float | None] | str | None = "auto",
        success_model: str = "auto",
        n_resamples: int | None = None,
        confidence_level: float = 0.95,
        interval: str = "bc",
        n_inner: int = 25,
        metric: Hashable | None = None,
        tol: float = 1e-9,
        max_iter: int = 2000,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        self.threshold = threshold
        self.higher_is_better = higher_is_better
        self.bounds = bounds
        self.success_model = success_model
        self.n_resamples = n_resamples
        self.confidence_level = confidence_level
        self.interval = interval
        self.n_inner = n_inner
        self.metric = metric
        self.tol = tol
        self.max_iter = max_iter
        self.rng = rng

    # ------------------------------------------------------------------------ repr
    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return (f"DistributionalScalingLaw(threshold={self.threshold!r}, "
                    f"higher_is_better={self.higher_is_better!r}, bounds={self.bounds!r})")
        rule = rule_text(self.threshold_, self.higher_is_better_, self.metric_)
        return (
            f"DistributionalScalingLaw({rule}, "
            f"{len(self.scales_)} scales, {self.transform_.describe()} components, "
            f"{self.success_model_} weight, {self.n_resamples_} bootstrap replicates)"
        )

    # ------------------------------------------------------------------------ fit
    def _check(self) -> dict:
        out = {
            "threshold": check_threshold(self.threshold),
            "higher_is_better": check_bool("higher_is_better", self.higher_is_better),
            "bounds": check_bounds(self.bounds, auto=True),
            "success_model": check_one_of("success_model", self.success_model, WEIGHT_MODELS),
            "confidence_level": check_confidence_level(self.confidence_level),
            "interval": check_one_of("interval", self.interval, INTERVALS),
            "n_inner": Integer(minimum=2)("n_inner", self.n_inner),
            "tol": check_positive("tol", self.tol),
            "max_iter": check_int("max_iter", self.max_iter, 1),
            "rng": check_rng(self.rng),
        }
        out["n_resamples"] = (DEFAULT_RESAMPLES[out["interval"]] if self.n_resamples is None
                              else Integer(minimum=0)("n_resamples", self.n_resamples))
        b = out["bounds"]
        if isinstance(b, tuple) and not b[0] < out["threshold"] < b[1]:
            raise ValueError(
                f"`threshold` must lie strictly inside `bounds` ({b[0]:g}, {b[1]:g}); got "
                f"{out['threshold']:g}"
            )
        return out

    @fill_doc
    def fit(
        self,
        pop: Population | pd.DataFrame,
        *,
        scale: Hashable | None = None,
        seed: Hashable | None = None,
        value: Hashable | None = None,
    ) -> DistributionalScalingLaw:
        """Fit the law to a population (all scales at once) and its bootstrap replicates.

        Parameters
        ----------
        %(pop)s
        %(columns)s

        Returns
        -------
        DistributionalScalingLaw
            ``self``, fitted.

        Raises
        ------
        ValueError
            Fewer than 2 scales, a scale <= 0, values outside ``bounds``, a
            threshold outside ``bounds``, invalid settings.
        """
        pop = as_population(pop, scale=scale, seed=seed, value=value)
        return self._fit(pop, self._check())

    def _fit(self, pop: Population, opt: dict, indices: list | None = None,
             warn: bool = True) -> DistributionalScalingLaw:
        metric = pop.metric if self.metric is None else self.metric
        values = pop.values(metric)
        scales = pop.scales
        if len(scales) < 2:
            raise ValueError(
                f"a scaling law needs at least 2 scales; column {pop.scale!r} has {len(scales)}"
            )
        pop.require_positive_scale(purpose="a law in ln(scale)")
        threshold, hib = opt["threshold"], opt["higher_is_better"]
        value_range, piles, pile_note = find_piles(values, opt["bounds"])
        transform = Transform.for_bounds(value_range)
        if value_range is not None and not (transform.lo < threshold < transform.hi):
            raise ValueError(f"`threshold` {threshold:g} is outside the metric's range")
        lay = layout(values, transform, piles, threshold, hib)
        st = structure(lay)
        zc = lay.z[lay.cont]
        loc = float(zc.mean()) if zc.size else 0.0
        spread = float(zc.std()) if zc.size > 1 and zc.std() > 0 else 1.0
        lg = np.log(scales)
        half = float(lg[-1] - lg[0]) / 2 or 1.0
        sc = Scaling(float(lg[0] + lg[-1]) / 2, half, loc, spread)
        z = np.where(lay.cont, (lay.z - loc) / spread, 0.0)
        g = sc.g(scales)
        gaps = np.diff(np.unique(z[lay.cont]))
        res = float(np.median(gaps)) if gaps.size else 1e-3
        n_j = lay.valid.sum(axis=1).astype(float)
        succ_obs = (success_mask(lay.y, threshold, hib) & lay.valid).sum(axis=1).astype(float)
        if st.weight_free:
            wmodel, reason = choose_weight_model(succ_obs, n_j, g, opt["success_model"])
        else:
            wmodel, reason = "logistic", "fixed: only one part is present"
        pile_prior = {}
        for k, pile, side in (("F", lay.pile_f, lay.cont & ~lay.side), ("S", lay.pile_s, lay.side)):
            count = pile.sum()
            pile_prior[k] = float(np.clip(count / max(count + side.sum(), 1), 0.01, 0.99))
        spread_prior = {}
        for k, side in (("F", lay.cont & ~lay.side), ("S", lay.side)):
            # a pseudo-run at the spread of the part's values around their scale's mean
            if side.sum() >= 2:
                centred = [z[j][side[j]] - z[j][side[j]].mean() for j in range(len(values))
                           if side[j].sum() >= 2]
                var = float(np.mean(np.concatenate(centred) ** 2)) if centred else 0.0
            else:
                var = 0.0
            spread_prior[k] = max(var, max(res, 1e-3) ** 2)
        w0 = lay.valid[None].astype(float)
        fits = []
        for cand in candidate_structures(st):
            data = EMData(z, lay.valid, lay.cont, lay.pile_f, lay.pile_s, lay.side, g, cand,
                          wmodel, pile_prior, spread_prior)
            out = em(data, w0, initial_params(data), tol=opt["tol"], max_iter=opt["max_iter"])
            bic = -2 * float(out[3][0]) + n_free(cand, wmodel) * math.log(lay.valid.sum())
            fits.append((bic, cand, data, out))
        bic, st, data, (fit0, it0, conv0, ll0) = min(fits, key=lambda f: f[0])
        names = {"F": "failed", "S": "successful"}
        for alt in fits[1:]:
            k = "F" if alt[1].cont["F"] != fits[0][1].cont["F"] else "S"
            if alt[1] is not st and st is not fits[0][1]:
                continue  # another alternative was chosen
            own = st is fits[0][1]
            lay.notes.append(
                f"the {names[k]} runs off the pile " + ("have a continuous component of their "
                "own" if own else f"belong to the {names['S' if k == 'F' else 'F']} part's "
                "continuous component") + f" (BIC {fits[0][0]:.1f} with it, {alt[0]:.1f} "
                "without)"
            )
        if not conv0[0] and warn:
            warnings.warn(
                f"EM did not converge in `max_iter`={opt['max_iter']} iterations; the "
                "log-likelihood may still rise (increase `max_iter`)",
                UserWarning,
                stacklevel=2,
            )
        boot, conv_b, inner = self._bootstrap(data, fit0, pop.paired, values, opt, indices)
        params = Params.stack([fit0, boot]) if boot is not None else fit0
        jac = float(transform.log_jacobian(lay.y[lay.cont]).sum())

        self.threshold_, self.higher_is_better_ = threshold, hib
        self.confidence_level_ = opt["confidence_level"]
        self.scales_ = scales
        self.n_seeds_ = n_j.astype(np.int64)
        self.metric_, self.scale_name_ = metric, pop.scale
        self.transform_ = transform
        self.piles_ = {"failure": lay.pile_f_at, "success": lay.pile_s_at}
        self.structure_: Structure = st
        self.success_model_, self.success_model_reason_ = wmodel, reason
        self.scaling_ = sc
        self.params_ = params
        self.inner_params_: Params | None = inner
        self.interval_ = opt["interval"] if inner is not None else "bc"
        self.log_likelihood_ = float(ll0[0]) - lay.cont.sum() * math.log(spread) + jac
        self.n_iter_, self.converged_ = int(it0[0]), bool(conv0[0])
        self.n_resamples_ = 0 if boot is None else boot.rows
        self.bootstrap_converged_ = float(np.mean(conv_b)) if conv_b.size else math.nan
        self.paired_ = pop.paired
        self.values_ = [v.copy() for v in values]
        self.population_ = pop
        notes = [n for n in [pile_note, *lay.notes, *st.describe(),
                             f"success model: {reason}"] if n]
        if conv_b.size and self.bootstrap_converged_ < 1:
            notes.append(f"{np.sum(~conv_b)} of {conv_b.size} bootstrap replicates stopped at "
                         "`max_iter` before converging")
        self.notes_ = tuple(notes)
        self.coef_ = self._coef_frame()
        return self

    def _bootstrap(self, data: EMData, fit0: Params, paired: bool, values, opt, indices=None):
        """Refit every replicate; ``indices`` (one ``(B, n_j)`` array per scale) fixes the
        resampled seeds (the backtest resamples training and held-out seeds together)."""
        B = opt["n_resamples"] if indices is None else indices[0].shape[0]
        if B == 0:
            return None, np.zeros(0, dtype=bool), None
        J, n = data.valid.shape
        sizes = [x.size for x in values]
        merged = merge_ties(data)  # tied values (a metric on a fixed test set): one column each
        fit_data, col = (data, None) if merged is None else merged
        width = fit_data.valid.shape[1]
        chunk = max(1, _BOOT_CHUNK_ELEMENTS // (J * n))  # the draws do not depend on merging
        parts, conv, inner = [], [], []
        calibrate = opt["interval"] == "calibrated"
        for lo in range(0, B, chunk):
            m = min(chunk, B - lo)
            if indices is None:
                idx = draw_indices(opt["rng"], sizes, m, paired)
            else:
                idx = [a[lo : lo + m] for a in indices]
            w = np.zeros((m, J, width))
            rows = np.arange(m)[:, None] * width
            for j in range(J):
                drawn = idx[j] if col is None else col[j][idx[j]]
                w[:, j, :] = np.bincount((rows + drawn).ravel(),
                                         minlength=m * width).reshape(m, width)
            w *= fit_data.valid[None]
            p, _, c, _ = em(fit_data, w, fit0, tol=opt["tol"], max_iter=opt["max_iter"])
            parts.append(p)
            conv.append(c)
            if calibrate:
                inner.append(refit_inner(data, idx, p, opt["n_inner"], opt["rng"], paired,
                                         tol=opt["tol"], max_iter=opt["max_iter"]))
        return (Params.stack(parts), np.concatenate(conv),
                Params.stack(inner) if calibrate else None)

    def _interval(self, arr: np.ndarray, inner: np.ndarray | None) -> tuple:
        """The band of row 0 of ``arr`` under the fitted ``interval_``."""
        if inner is not None and getattr(self, "interval_", "bc") == "calibrated":
            return calibrated_band(arr, inner, self.confidence_level_)
        return bc_band(arr, self.confidence_level_)

    # ---------------------------------------------------------------------- results
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise ValueError(
                "this DistributionalScalingLaw is not fitted yet; call `fit(pop)` first"
            )

    def _coef_frame(self) -> pd.DataFrame:
        nat = self.params_.natural(self.scaling_)
        inner = getattr(self, "inner_params_", None)
        inner = None if inner is None else inner.natural(self.scaling_)
        st = self.structure_
        rows = []

        def add(block, name, key, free):
            arr = nat[key]
            lo, hi = self._interval(arr, None if inner is None else inner[key])
            rows.append((block, name, float(arr[0]), float(lo), float(hi), bool(free)))

        if st.weight_free:
            add("weight", "intercept", "weight_intercept", True)
            add("weight", "slope", "weight_slope", True)
            if self.success_model_ == "logistic4":
                add("weight", "floor", "weight_floor", True)
                add("weight", "ceiling", "weight_ceiling", True)
        for k, block in (("F", "failure"), ("S", "success")):
            if st.cont[k]:
                add(block, "location_intercept", f"{k}_location_intercept", True)
                add(block, "location_slope", f"{k}_location_slope", st.loc_slope[k])
                add(block, "log_spread_intercept", f"{k}_log_spread_intercept", True)
                add(block, "log_spread_slope", f"{k}_log_spread_slope", st.spread_slope[k])
            if st.pile_free[k]:
                add(block, "pile_intercept", f"{k}_pile_intercept", True)
                add(block, "pile_slope", f"{k}_pile_slope", True)
        return pd.DataFrame(rows, columns=["block", "parameter", "estimate", "ci_low", "ci_high",
                                           "free"])

    def predict(self, scale: object) -> PredictiveDistribution:
        """The predicted seed distribution at ``scale`` (a number or an array of scales).

        Scales outside the fitted range are allowed: the law is extrapolated
        in ``ln(scale)`` and an :class:`ExtrapolationWarning` says how far;
        the bands then include the uncertainty of every slope, so they widen
        with the distance.

        Returns
        -------
        PredictiveDistribution
        """
        self._check_fitted()
        s = np.asarray(scale, dtype=float)
        scalar = s.ndim == 0
        s = check_finite_array("scale", np.atleast_1d(s))
        if np.any(s <= 0):
            raise ValueError("`scale` must be strictly positive (the law is in ln(scale))")
        lo, hi = self.scales_[0], self.scales_[-1]
        extrapolated = (s < lo * (1 - 1e-12)) | (s > hi * (1 + 1e-12))
        if extrapolated.any():
            far = [f"{v:g} ({v / hi:.3g}x the largest)" if v > hi else
                   f"{v:g} ({lo / v:.3g}x below the smallest)" for v in s[extrapolated]]
            warnings.warn(
                f"extrapolating beyond the fitted scales {lo:g}-{hi:g} to {', '.join(far[:3])}: "
                "the law assumes its lines in ln(scale) continue; the bands include the "
                "slopes' uncertainty only, not a change of regime",
                ExtrapolationWarning,
                stacklevel=2,
            )
        sc = self.scaling_

        def natural(par):
            ev = par.at(sc.g(s))
            out = {
                "pi": ev["pi"], "qF": ev["qF"], "qS": ev["qS"],
                "mF": sc.loc + sc.spread * ev["mF"], "sF": sc.spread * ev["sF"],
                "mS": sc.loc + sc.spread * ev["mS"], "sS": sc.spread * ev["sS"],
            }  # fmt: skip
            for value in out.values():
                value.flags.writeable = False
            return out

        inner = getattr(self, "inner_params_", None)
        return PredictiveDistribution(
            s, extrapolated, natural(self.params_), self.transform_, self.piles_["failure"],
            self.piles_["success"], self.threshold_, self.higher_is_better_, 1,
            self.confidence_level_, self.metric_, self.scale_name_, scalar,
            None if inner is None else natural(inner),
        )

    def to_frame(self) -> pd.DataFrame:
        """Observed and fitted quantities at every fitted scale.

        Columns ``scale, quantity, observed, estimate, ci_low, ci_high``;
        quantities: ``p_success`` (observed: the fraction of seeds beyond the
        threshold), ``mean``, ``weight_success``, ``pile_failure`` and
        ``pile_success`` (shares of all runs), and each continuous
        component's ``location_*`` and ``spread_*`` in the transformed units
        ``z = T(y)``.
        """
        self._check_fitted()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExtrapolationWarning)
            pred = self.predict(self.scales_)
        obs_p = [float(np.mean(success_mask(v, self.threshold_, self.higher_is_better_)))
                 for v in self.values_]
        obs_m = [float(np.mean(v)) for v in self.values_]
        frames = []

        def add(name, band_or_rows, observed=None):
            est, lo, hi = band_or_rows
            frames.append(pd.DataFrame({
                "scale": self.scales_, "quantity": name,
                "observed": np.full(self.scales_.size, np.nan) if observed is None else observed,
                "estimate": est, "ci_low": lo, "ci_high": hi,
            }))  # fmt: skip

        def unpack(band):
            return band.estimate, band.ci.low, band.ci.high

        add("p_success", unpack(pred.p_success()), obs_p)
        add("mean", unpack(pred.mean()), obs_m)
        add("weight_success", unpack(pred.weight_success()))
        masses = pred.point_masses()
        for j, v in enumerate(np.atleast_1d(masses.x)):
            part = "failure" if v == self.piles_["failure"] else "success"
            add(f"pile_{part}", (masses.estimate[:, j], masses.ci.low[:, j], masses.ci.high[:, j]),
                [float(np.mean(x == v)) for x in self.values_])
        for k, part in (("F", "failure"), ("S", "success")):
            if not self.structure_.cont[k]:
                continue
            for name, key in (("location", f"m{k}"), ("spread", f"s{k}")):
                arr = pred.params[key]
                inner = None if pred.inner is None else pred.inner[key]
                add(f"{name}_{part}", (arr[0], *self._interval(arr, inner)))
        return pd.concat(frames, ignore_index=True)

    def decompose_mean(self, *, n_resamples: int | None = None, rng: object = None) -> object:
        """The change of the mean split into P(success) and within-part parts, from the law.

        See :func:`distscale.law.decompose.decompose_law_mean`; the
        empirical split (:func:`distscale.describe.decompose_mean`) of the
        same population is computed beside it. With ``rng=None`` and an
        integer ``rng`` given to the law, its resamples come from a stream
        derived from that seed, so repeated calls agree.
        """
        from distscale.law.decompose import decompose_law_mean

        return decompose_law_mean(self, n_resamples=n_resamples, rng=rng)

    def plot(self, ax: object = None, **kwargs: object) -> object:
        """Fitted densities over the observed histograms per scale (and predictions at ``at=``).

        Draws with :func:`distscale.plot.law.scaling_law` (imports matplotlib).
        """
        import importlib

        return importlib.import_module("distscale.plot.law").scaling_law(self, ax=ax, **kwargs)

    @property
    def scale_labels_(self) -> list[object]:
        """The fitted scales as ints where whole."""
        return scale_labels(self.scales_)
