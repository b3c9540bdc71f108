"""The result objects of the modality topic: a mixture fit, a choice of components, a scan.

:class:`MixtureFit` (:func:`~distscale.fit_mixture`),
:class:`ComponentSelection` (:func:`~distscale.select_components`) and
:class:`ModalityScan` (:func:`~distscale.modality_scan`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from distscale._lib.results import ConfidenceInterval, Result
from distscale.modality.separation import count_modes, point_mass_separation

__all__ = ["ComponentSelection", "MixtureFit", "ModalityScan"]


@dataclass(frozen=True, eq=False, repr=False)
class MixtureFit(Result):
    """A fitted one-dimensional Gaussian mixture, with point masses at bounds.

    Gaussian components are sorted by mean, so ``labels`` ("low", "high" for
    two components) are stable. Weights are probabilities of the whole
    distribution: ``weights.sum() + point_mass_weights.sum() == 1``.

    Attributes
    ----------
    weights, means, sds : numpy.ndarray
        Gaussian components, shape ``(k,)``, sorted by mean.
    point_mass_locations, point_mass_weights : numpy.ndarray
        Point masses at the bounds that hold at least one value, shape ``(m,)``.
    log_likelihood : float
        Mixed discrete/continuous log-likelihood (see the module notes).
    bic : float
        ``-2 log_likelihood + n_parameters log n``.
    n_parameters : int
        ``3 k - 1 + m``.
    n : int
        Number of values; ``n_continuous`` of them lie strictly inside the bounds.
    n_continuous : int
    converged : bool
        Whether EM met its tolerance within ``max_iter`` steps.
    n_iter : int
        EM steps of the best start.
    responsibilities : numpy.ndarray
        Shape ``(n, k + m)``: posterior probability of each component (Gaussians
        first, then point masses) for each value, in the input order.
    sd_floor : float
        The smallest allowed component sd, in data units (a numerical guard
        under the prior).
    at_floor : numpy.ndarray
        Which components have their sd held at the floor (never under the prior).
    degenerate : bool
        A component takes half or more of its weight from one repeated value
        (collapsed onto ties; see the module notes).
    bounds : tuple of float or None
        The bounds used: as given, or the piles found with ``bounds="auto"``.
    labels : tuple of str
        Component labels: Gaussians then point masses (e.g. ``"at 0"``).
    prior : bool
        Whether the variances were regularised by the conjugate prior.
    notes : tuple of str
        Caveats of the fit (piles turned into point masses, ties).
    """

    weights: np.ndarray
    means: np.ndarray
    sds: np.ndarray
    point_mass_locations: np.ndarray
    point_mass_weights: np.ndarray
    log_likelihood: float
    bic: float
    n_parameters: int
    n: int
    n_continuous: int
    converged: bool
    n_iter: int
    responsibilities: np.ndarray = field(repr=False)
    sd_floor: float = field(repr=False)
    at_floor: np.ndarray = field(repr=False)
    degenerate: bool = False
    bounds: tuple[float, float] | None = None
    labels: tuple[str, ...] = ()
    prior: bool = True
    notes: tuple[str, ...] = ()

    @property
    def n_components(self) -> int:
        """Number of Gaussian components."""
        return int(self.means.size)

    @property
    def point_mass_separation(self) -> np.ndarray:
        """Distance of each point mass from the nearest Gaussian, in that Gaussian's sds.

        ``inf`` when there is no Gaussian part; see :mod:`distscale.modality.separation`.
        """
        return point_mass_separation(
            self.point_mass_locations, self.weights, self.means, self.sds
        )

    def n_modes(self, min_separation: float = 2.0) -> int:
        """Modes of the fit: separated groups of Gaussians plus separated point masses.

        Gaussians (sorted by mean) merge into one mode while neighbours are
        closer than ``min_separation`` in Ashman's D; a point mass with
        positive weight counts when it lies at least ``min_separation`` sds
        from the nearest Gaussian (see :mod:`distscale.modality.separation`).
        This reads the fitted parameters only; :func:`~distscale.modality_scan`
        also asks the separation and the pile's weight to hold across seed
        resamples.

        Examples
        --------
        >>> import numpy as np
        >>> from distscale import fit_mixture
        >>> x = np.r_[np.zeros(30), np.linspace(20, 30, 60)]  # a pile at 0, a hump near 25
        >>> fit = fit_mixture(x, n_components=1, rng=0)
        >>> fit.point_mass_locations.tolist(), fit.n_modes()
        ([0.0], 2)
        """
        separated = int(np.sum((self.point_mass_weights > 0)
                               & (self.point_mass_separation >= min_separation)))
        return count_modes(self.means, self.sds, self.weights, separated, min_separation)

    def pdf(self, x: object) -> np.ndarray:
        """Density of the Gaussian part at ``x`` (point masses excluded)."""
        xx = np.asarray(x, dtype=float)[..., None]
        z = (xx - self.means) / self.sds
        dens = self.weights * np.exp(-0.5 * z * z) / (self.sds * math.sqrt(2 * math.pi))
        return dens.sum(axis=-1)

    def to_frame(self) -> pd.DataFrame:
        """One row per component: label, kind, weight, mean, sd (0 for a point mass).

        Examples
        --------
        >>> from distscale import fit_mixture
        >>> fit = fit_mixture([0.0, 0.0, 0.2, 0.3, 0.25, 0.8, 0.85, 0.9, 1.0],
        ...                   bounds=(0, 1), rng=0)
        >>> fit.to_frame()[["component", "kind"]].values.tolist()
        [['low', 'gaussian'], ['high', 'gaussian'], ['at 0', 'point mass'], ['at 1', 'point mass']]
        """
        k = self.means.size
        return pd.DataFrame(
            {
                "component": list(self.labels),
                "kind": ["gaussian"] * k + ["point mass"] * self.point_mass_locations.size,
                "weight": np.concatenate([self.weights, self.point_mass_weights]),
                "mean": np.concatenate([self.means, self.point_mass_locations]),
                "sd": np.concatenate([self.sds, np.zeros(self.point_mass_locations.size)]),
                "at_floor": np.concatenate(
                    [self.at_floor, np.zeros(self.point_mass_locations.size, dtype=bool)]
                ),
            }
        )


@dataclass(frozen=True, eq=False, repr=False)
class ComponentSelection(Result):
    """The number of Gaussian components chosen for one sample.

    Attributes
    ----------
    n_components : int
        The chosen number of Gaussian components.
    method : str
        ``"lrt"`` (sequential parametric-bootstrap likelihood-ratio tests of
        ``k`` against ``k + 1``, stopping at the first that is not
        significant) or ``"bic"`` (smallest BIC).
    fits : tuple of MixtureFit
        Fits with ``1, 2, ...`` components (as many as were fitted).
    bic : numpy.ndarray
        BIC of each fit.
    lrt_statistic, pvalue : numpy.ndarray
        ``2 (log L(k + 1) - log L(k))`` and its bootstrap p-value for each
        test performed (``k = 1, 2, ...``); empty for ``"bic"``. A test that
        is void (the larger fit collapsed onto tied values) has p-value NaN,
        and ``notes`` says why.
    alpha : float
    n_resamples : int
    notes : tuple of str
        Caveats: void tests and why, piles turned into point masses, too few
        distinct values for more components.
    """

    n_components: int
    method: str
    fits: tuple[MixtureFit, ...] = field(repr=False)
    bic: np.ndarray
    lrt_statistic: np.ndarray
    pvalue: np.ndarray
    alpha: float
    n_resamples: int
    notes: tuple[str, ...] = ()

    @property
    def fit(self) -> MixtureFit:
        """The fit with the chosen number of components."""
        return self.fits[self.n_components - 1]

    def to_frame(self) -> pd.DataFrame:
        """One row per number of components: BIC, and the test of it against one more.

        Examples
        --------
        >>> from distscale import select_components
        >>> sel = select_components([0.1, 0.2, 0.15, 0.9, 0.95, 0.85], method="bic")
        >>> sel.to_frame().columns.tolist()
        ['n_components', 'bic', 'lrt_statistic', 'pvalue', 'selected']
        """
        k = len(self.fits)
        stat = np.full(k, np.nan)
        pval = np.full(k, np.nan)
        stat[: self.lrt_statistic.size] = self.lrt_statistic
        pval[: self.pvalue.size] = self.pvalue
        return pd.DataFrame(
            {
                "n_components": np.arange(1, k + 1),
                "bic": self.bic,
                "lrt_statistic": stat,
                "pvalue": pval,
                "selected": np.arange(1, k + 1) == self.n_components,
            }
        )


@dataclass(frozen=True, eq=False)
class ModalityScan(Result):
    """Per-scale modality of a population, and its capacity threshold.

    Arrays have one entry per scale (aligned with ``scales``).

    Attributes
    ----------
    scales : numpy.ndarray
    n_seeds, n_continuous : numpy.ndarray
        Seeds per scale, and how many of them lie strictly inside ``bounds``.
    dip_statistic, dip_pvalue : numpy.ndarray
        Hartigan's dip test (table p-values) on all values of the scale.
    bimodality_coefficient : numpy.ndarray
        Sarle's BC (NaN below 4 seeds or for identical values, with a warning).
    n_components : numpy.ndarray
        Number of Gaussian components chosen at each scale, on its own
        (sequential LRT at ``alpha``, unadjusted; or BIC for ``"bic"`` and
        ``"dip"``); 0 where every value sits at a bound.
    lrt_statistic, lrt_pvalue : numpy.ndarray or None
        Test of one against two Gaussian components (``method="lrt"`` only).
    bic : numpy.ndarray
        ``(n_scales, max_components)`` BIC of each fit (NaN where too few
        distinct values to fit that many components).
    pvalue, adjusted_pvalue : numpy.ndarray or None
        The bimodality p-value of ``method`` and its Holm adjustment over
        the scales (None for ``"bic"``). NaN where not tested (degenerate).
    separation : numpy.ndarray
        Ashman's D of the two Gaussian components of the two-component fit,
        ``sqrt(2) |mu_1 - mu_2| / sqrt(sigma_1^2 + sigma_2^2)``; point masses
        at ``bounds`` take no part. NaN where there is no two-component fit.
    separation_ci : ConfidenceInterval
        Arrays ``low``, ``high``: seed-bootstrap percentile interval of D at
        ``confidence_level``. Computed at every scale with a two-component
        fit that is not degenerate when ``n_boot_ci`` is given, and at least
        wherever it decides ``bimodal``; NaN elsewhere.
    separation_bound : numpy.ndarray
        The lower end of D's seed-bootstrap interval at ``decision_level``:
        the bound that decides ``bimodal``. NaN where not computed.
    min_separation : float or None
    bimodal : numpy.ndarray
        At least two modes. Either the Gaussian part is bimodal -- adjusted
        p-value ``<= alpha`` (a Monte Carlo p-value then has size at most
        ``alpha``), for ``"bic"`` two components chosen, and, with
        ``min_separation`` (``"lrt"`` and ``"bic"``), ``separation`` and
        ``separation_bound`` both ``>= min_separation``; never where
        degenerate -- or a pile (point mass) is a mode of its own beside the
        continuous part or another pile (``n_modes >= 2``; see ``pile_modes``).
    degenerate : numpy.ndarray
        The Gaussian test could not be run or was void: two-component fit
        collapsed onto ties, too few values inside the bounds, or a pile
        with ``bounds=None``. A pile can still make such a scale bimodal.
    n_modes : numpy.ndarray
        Modes counted at each scale: the Gaussian part (0 without values
        inside the bounds, 2 where it is bimodal, else 1) plus the piles
        that are modes of their own.
    pile_modes : numpy.ndarray
        Piles (point masses) that are modes of their own: their weight's
        seed-bootstrap interval at ``decision_level`` excludes 0 and they lie at least
        ``min_separation`` sds of the nearest Gaussian away (see
        :mod:`distscale.modality.separation`).
    notes : tuple of str
        Per scale, the caveats and reasons in words: piles found with
        ``bounds="auto"``, why a scale was not tested, whether each pile is a
        mode ("" where there is nothing to say).
    fits : tuple of MixtureFit or None
        The fit with the chosen number of components at each scale (None
        where every value sits at a bound).
    components : pandas.DataFrame
        Tidy: ``scale, component, kind, parameter, estimate, ci_low, ci_high``;
        Gaussian components are labelled by the order of their means
        (``"low"``, ``"high"``; ``"single"`` for one component) at every
        scale and in every bootstrap replicate, so labels never switch;
        point masses are labelled ``"at 0"`` etc.
    capacity_threshold : float or None
        Smallest scale detected as bimodal (None if none).
    success_threshold : float or None
    higher_is_better : bool
    p_success : numpy.ndarray or None
        Fraction of seeds that succeed (value ``> success_threshold``, or
        ``<`` when ``higher_is_better=False``), as :func:`distscale.summary_curves`.
    success_scale : float or None
        Smallest scale where ``p_success > 0.5`` (None if none).
    method, correction : str
    alpha, confidence_level : float
    decision_level : float
        The level of the one-sided bounds behind ``bimodal`` (the separation
        and the piles' weights): ``1 - (1 - confidence_level) / m`` for the
        ``m`` scales that are not degenerate, a Bonferroni correction that
        keeps the chance of calling any unimodal scale bimodal near
        ``alpha`` over the whole family, as Holm does for the tests.
    n_resamples, n_boot_ci : int
    bounds : "auto", tuple or None
        As given; the point masses used at each scale are in ``fits``.
    prior : bool
        Whether the mixtures' variances were regularised by the prior.
    metric, scale_name : object
    """

    scales: np.ndarray
    n_seeds: np.ndarray
    n_continuous: np.ndarray
    dip_statistic: np.ndarray
    dip_pvalue: np.ndarray
    bimodality_coefficient: np.ndarray
    n_components: np.ndarray
    lrt_statistic: np.ndarray | None
    lrt_pvalue: np.ndarray | None
    bic: np.ndarray
    pvalue: np.ndarray | None
    adjusted_pvalue: np.ndarray | None
    separation: np.ndarray
    separation_ci: ConfidenceInterval = field(repr=False)
    separation_bound: np.ndarray = field(repr=False)
    min_separation: float | None
    bimodal: np.ndarray
    degenerate: np.ndarray
    n_modes: np.ndarray
    pile_modes: np.ndarray
    notes: tuple[str, ...] = field(repr=False)
    fits: tuple[MixtureFit | None, ...] = field(repr=False)
    components: pd.DataFrame = field(repr=False)
    capacity_threshold: float | None
    success_threshold: float | None
    higher_is_better: bool
    p_success: np.ndarray | None
    success_scale: float | None
    method: str
    correction: str
    alpha: float
    confidence_level: float
    decision_level: float
    n_resamples: int
    n_boot_ci: int
    bounds: tuple[float, float] | str | None
    prior: bool
    metric: Hashable
    scale_name: Hashable

    def __repr__(self) -> str:
        thr = "none" if self.capacity_threshold is None else f"{self.capacity_threshold:g}"
        out = (
            f"ModalityScan({self.scales.size} scales, method={self.method!r}, "
            f"bimodal at {int(self.bimodal.sum())}, capacity threshold {thr}"
        )
        if self.success_threshold is not None:
            s = "none" if self.success_scale is None else f"{self.success_scale:g}"
            out += f", P(success) > 0.5 from {s}"
        return out + ")"

    def per_scale(self) -> pd.DataFrame:
        """One row per scale with the scalar results (a wide table)."""
        cols: dict[str, object] = {
            "scale": self.scales,
            "n_seeds": self.n_seeds,
            "n_continuous": self.n_continuous,
            "dip_statistic": self.dip_statistic,
            "dip_pvalue": self.dip_pvalue,
            "bimodality_coefficient": self.bimodality_coefficient,
            "n_components": self.n_components,
        }
        if self.lrt_statistic is not None:
            cols["lrt_statistic"] = self.lrt_statistic
            cols["lrt_pvalue"] = self.lrt_pvalue
        if self.pvalue is not None:
            cols["adjusted_pvalue"] = self.adjusted_pvalue
        cols["separation"] = self.separation
        cols["separation_ci_low"] = self.separation_ci.low
        cols["separation_ci_high"] = self.separation_ci.high
        cols["separation_bound"] = self.separation_bound
        cols["n_modes"] = self.n_modes
        cols["pile_modes"] = self.pile_modes
        cols["bimodal"] = self.bimodal
        cols["degenerate"] = self.degenerate
        if self.p_success is not None:
            cols["p_success"] = self.p_success
        cols["notes"] = list(self.notes)
        return pd.DataFrame(cols)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: ``scale, component, statistic, estimate, ci_low, ci_high``.

        Scale-level statistics (``n_seeds``, ``dip_pvalue``, ``bimodal`` ...)
        have ``component`` missing and no interval, except ``separation``
        (Ashman's D) which carries its bootstrap interval, as the component
        parameters (``weight``, ``mean``, ``sd``) do.
        """
        wide = self.per_scale().drop(
            columns=["separation_ci_low", "separation_ci_high", "separation_bound", "notes"]
        )
        long = wide.melt(id_vars="scale", var_name="statistic", value_name="estimate")
        long["estimate"] = long["estimate"].astype(float)
        long["component"] = None
        long["ci_low"] = np.nan
        long["ci_high"] = np.nan
        sep = (long["statistic"] == "separation").to_numpy()
        long.loc[sep, "ci_low"] = np.asarray(self.separation_ci.low, dtype=float)
        long.loc[sep, "ci_high"] = np.asarray(self.separation_ci.high, dtype=float)
        comp = self.components.rename(columns={"parameter": "statistic"})
        cols = ["scale", "component", "statistic", "estimate", "ci_low", "ci_high"]
        out = pd.concat([long[cols], comp[cols]], ignore_index=True)
        return out.sort_values(["scale"], kind="stable").reset_index(drop=True)
