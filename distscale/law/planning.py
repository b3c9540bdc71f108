"""How many seeds to run: sample sizes for P(success), bimodality and differences.

:func:`seeds_needed` answers three planning questions, from numbers the
user gives or from a law's predicted distribution at the next scale:

* ``"p_success"`` -- seeds so that the estimated P(success) lands within
  ``+-half_width`` of the truth with probability ``confidence_level``,
  computed exactly from the binomial distribution (no normal approximation);
* ``"bimodality"`` -- seeds per scale so that :func:`distscale.modality_scan`
  calls a scale bimodal with probability ``power`` at level ``alpha``, by
  simulating populations from the predicted distribution and applying the
  scan's decision rule;
* ``"difference"`` -- seeds per group to detect a difference between two
  scales or two conditions: in P(success) (the pooled two-proportion
  z-test; power by exact enumeration of the two binomials) or in the mean
  (or the mean of the successful runs) by Welch's t-test (power by
  simulation), as Colas, Sigaud & Oudeyer (2018) do for two RL algorithms.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from distscale._lib.results import Result
from distscale._lib.success_rule import success_mask
from distscale._lib.validation import (
    Integer,
    Real,
    check_alpha,
    check_bounds,
    check_confidence_level,
    check_int,
    check_one_of,
    check_rng,
)
from distscale.law.predictive import PredictiveDistribution
from distscale.law.scaling_law import DistributionalScalingLaw, ExtrapolationWarning

__all__ = ["GOALS", "SeedPlan", "seeds_needed"]

GOALS = ("p_success", "bimodality", "difference")
_DEFAULT_CANDIDATES = (12, 24, 48, 96)


@dataclass(frozen=True, eq=False, repr=False)
class SeedPlan(Result):
    """How many seeds a goal needs, and the curve behind the answer.

    Attributes
    ----------
    goal : str
        ``"p_success"``, ``"bimodality"`` or ``"difference"``.
    n_seeds : int or None
        Seeds (per scale, per group) that meet the goal; None when none up
        to the largest tried does.
    target : float
        The required probability (``confidence_level`` or ``power``).
    quantity : str
        What the curve holds: ``"coverage"`` (P(estimate within the
        half-width)) or ``"power"``.
    curve : pandas.DataFrame
        ``n, value, ci_low, ci_high`` (Monte Carlo intervals of simulated
        powers; equal to ``value`` where exact).
    method : str
        How it was computed, in words.
    settings : dict
        The inputs (p, half-width, alpha, effect ...).
    n_seeds_conservative : int or None
        For ``"p_success"`` from a law: the seeds needed at the end of the
        predicted P(success)'s band nearest 0.5 (the larger answer).
    notes : tuple of str
    """

    goal: str
    n_seeds: int | None
    target: float
    quantity: str
    curve: pd.DataFrame
    method: str
    settings: dict = field(default_factory=dict)
    n_seeds_conservative: int | None = None
    notes: tuple = ()

    def __repr__(self) -> str:
        n = ("not reached" if self.n_seeds is None else
             f"{self.n_seeds} seed" + ("s" if self.n_seeds != 1 else ""))
        cons = ("" if self.n_seeds_conservative is None
                else f", {self.n_seeds_conservative} at the band's end")
        return f"SeedPlan({self.goal}: {n}{cons}; {self.quantity} >= {self.target:g})"

    def to_frame(self) -> pd.DataFrame:
        """The curve with the goal: ``goal, quantity, target, n, value, ci_low, ci_high``."""
        return self.curve.assign(goal=self.goal, quantity=self.quantity, target=self.target)[
            ["goal", "quantity", "target", "n", "value", "ci_low", "ci_high"]]


# ========================================================================== P(success)
def binomial_coverage(n: np.ndarray, p: float, half_width: float) -> np.ndarray:
    """``P(|K/n - p| <= half_width)`` for ``K ~ Binomial(n, p)``, exactly, for each ``n``.

    Examples
    --------
    >>> round(float(binomial_coverage(np.array([100]), 0.5, 0.1)[0]), 4)
    0.9648
    """
    n = np.asarray(n, dtype=float)
    eps = 1e-9
    hi = np.floor(n * (p + half_width) + eps)
    lo = np.ceil(n * (p - half_width) - eps)
    return stats.binom.cdf(hi, n, p) - stats.binom.cdf(lo - 1, n, p)


def _p_success_plan(p: float, half_width: float, level: float) -> tuple[int, pd.DataFrame]:
    normal = stats.norm.ppf(0.5 + level / 2) ** 2 * max(p * (1 - p), 1e-12) / half_width**2
    top = int(2 * normal + 100)
    n = np.arange(1, top + 1)
    cov = binomial_coverage(n, p, half_width)
    ok = cov >= level
    # the smallest n from which on every n meets the level (coverage is a sawtooth)
    bad = np.flatnonzero(~ok)
    need = int(n[bad[-1] + 1]) if bad.size else 1
    curve = pd.DataFrame({"n": n, "value": cov, "ci_low": cov, "ci_high": cov})
    return need, curve


# ========================================================================== bimodality
def _bimodal_power(sampler: Callable, n: int, n_sim: int, alpha: float, bounds, gen):
    """How many of ``n_sim`` simulated scales of ``n`` seeds the scan's rule calls bimodal.

    All simulated scales go through :func:`~distscale.modality_scan` together
    (one population, one scale per simulation), and the rule is applied to
    each scale as a scan of that scale alone would: Holm over one scale is
    the scale's own p-value; the two Gaussian components must be apart
    (Ashman's D at least ``min_separation`` at its estimate and at the lower
    end of its seed-bootstrap interval); a pile can be a mode of its own. D's
    interval is computed only where the rest of the rule holds, by a second
    scan of those scales (``method="bic"``: the interval without the tests).
    """
    from distscale.modality.scan import lrt_resamples, modality_scan
    from distscale.population import Population

    draws = np.asarray(sampler(n_sim * n, gen), dtype=float).reshape(n_sim, n)
    pop = Population.from_dict({i + 1: row for i, row in enumerate(draws)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate scales are not bimodal: the rule says so
        scan = modality_scan(pop, bounds=bounds, alpha=alpha, n_boot_ci=None,
                             n_resamples=lrt_resamples(1, alpha), rng=gen)
    gauss = np.nan_to_num(scan.pvalue, nan=2.0) <= alpha
    if scan.min_separation is not None:
        gauss &= np.nan_to_num(scan.separation, nan=-np.inf) >= scan.min_separation
        todo = np.flatnonzero(gauss)
        if todo.size:
            sub = Population.from_dict({i + 1: draws[i] for i in todo})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                again = modality_scan(sub, bounds=bounds, alpha=alpha, method="bic",
                                      n_boot_ci=1000, rng=gen)
            low = np.nan_to_num(again.separation_ci.low, nan=-np.inf)
            gauss[todo] = low >= scan.min_separation
    n_gauss = np.where(scan.n_continuous == 0, 0, np.where(gauss, 2, 1))
    bimodal = gauss | (n_gauss + scan.pile_modes >= 2)
    return int(bimodal.sum())


def _sampler(source: object, label: str) -> Callable:
    """``sampler(size, rng) -> values`` from a PredictiveDistribution (one scale) or a callable."""
    if isinstance(source, PredictiveDistribution):
        if source.scales.size != 1:
            raise ValueError(f"`{label}` must be a prediction at one scale; got "
                             f"{source.scales.size}")
        return lambda size, gen: np.ravel(source.sample(size, rng=gen))
    if callable(source):
        return source
    raise TypeError(f"`{label}` must be a PredictiveDistribution (one scale) or a callable "
                    f"sampler(n, rng); got {type(source).__name__}")


def _wilson(k: np.ndarray, n: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(k, n, alpha=1 - level, method="wilson")
    return np.asarray(lo), np.asarray(hi)


# ========================================================================== differences
def _two_proportion_power(n: np.ndarray, p1: float, p2: float, alpha: float,
                          alternative: str) -> np.ndarray:
    """Exact power of the pooled two-proportion z-test with ``n`` runs per group."""
    out = np.empty(n.size)
    for i, m in enumerate(n.astype(int)):
        k = np.arange(m + 1)
        pa, pb = stats.binom.pmf(k, m, p1), stats.binom.pmf(k, m, p2)
        x1, x2 = k[:, None] / m, k[None, :] / m
        pool = (k[:, None] + k[None, :]) / (2 * m)
        se = np.sqrt(pool * (1 - pool) * 2 / m)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, (x2 - x1) / se, 0.0)
        if alternative == "two-sided":
            rej = np.abs(z) >= stats.norm.ppf(1 - alpha / 2)
        elif alternative == "greater":
            rej = z >= stats.norm.ppf(1 - alpha)
        else:
            rej = z <= -stats.norm.ppf(1 - alpha)
        out[i] = float((pa[:, None] * pb[None, :] * rej).sum())
    return out


def _welch_power(draw: Callable, n_values: np.ndarray, n_sim: int, alpha: float,
                 alternative: str, gen) -> np.ndarray:
    """Simulated power of Welch's t-test; one draw of the largest ``n``, truncated (common
    random numbers across ``n``)."""
    top = int(n_values.max())
    a, b = draw(n_sim, top, gen)
    out = np.empty(n_values.size)
    for i, n in enumerate(n_values.astype(int)):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ttest_ind(b[:, :n], a[:, :n], axis=1, equal_var=False,
                                  alternative=alternative, nan_policy="omit")
        p = np.asarray(res.pvalue, dtype=float)
        out[i] = float(np.mean(np.nan_to_num(p, nan=1.0) <= alpha))
    return out


def _search(power_at: Callable, target: float, max_seeds: int) -> tuple[int | None, np.ndarray,
                                                                         np.ndarray]:
    """Smallest ``n`` in ``[2, max_seeds]`` with ``power_at(n) >= target``: doubling, then a
    scan of the last bracket."""
    tried_n, tried_p = [], []
    hi = 2
    while True:
        pw = power_at(np.array([hi]))[0]
        tried_n.append(hi)
        tried_p.append(pw)
        if pw >= target or hi >= max_seeds:
            break
        hi = min(2 * hi, max_seeds)
    lo = 2 if hi <= 128 else max(2, hi // 2)  # small counts: the whole curve
    grid = np.arange(lo, hi + 1)
    pw = power_at(grid)
    ok = np.flatnonzero(pw >= target)
    found = int(grid[ok[0]]) if ok.size else None
    n_all = np.r_[tried_n, grid]
    p_all = np.r_[tried_p, pw]
    order = np.argsort(n_all, kind="stable")
    n_all, p_all = n_all[order], p_all[order]
    keep = np.r_[True, np.diff(n_all) > 0]
    return found, n_all[keep], p_all[keep]


def seeds_needed(
    goal: str,
    *,
    p: object = None,
    half_width: float = 0.05,
    confidence_level: float = 0.95,
    law: DistributionalScalingLaw | None = None,
    at: object = None,
    distribution: object = None,
    what: str = "p_success",
    mean: object = None,
    sd: object = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    bounds: tuple[float | None, float | None] | str | None = None,
    candidates: object = None,
    n_simulations: int | None = None,
    max_seeds: int = 5000,
    rng: int | np.random.Generator | None = None,
) -> SeedPlan:
    """How many seeds a planning goal needs.

    Parameters
    ----------
    goal : {"p_success", "bimodality", "difference"}
        ``"p_success"``: pin P(success) within ``+-half_width`` with
        probability ``confidence_level`` (exact binomial).
        ``"bimodality"``: call a scale bimodal with probability ``power`` at
        level ``alpha`` (simulation through
        :func:`~distscale.modality_scan`'s decision rule).
        ``"difference"``: detect a difference between two groups (scales
        or conditions) with probability ``power`` at level ``alpha``.
    p : float or pair of float, optional
        The P(success) (goal ``"p_success"``), or the two P(success)
        (``"difference"`` with ``what="p_success"``).
    half_width : float, default 0.05
    confidence_level : float, default 0.95
    law : DistributionalScalingLaw, optional
        Take the distributions from the law's prediction ``at`` a scale
        (two scales for ``"difference"``).
    at : float or pair of float, optional
    distribution : PredictiveDistribution, callable, or pair of them, optional
        The distribution to simulate (``"bimodality"``) or the two
        (``"difference"``): a prediction at one scale, or ``sampler(size,
        rng) -> values``.
    what : {"p_success", "mean", "mean_success"}, default "p_success"
        For ``"difference"``: which difference. ``"mean"`` and
        ``"mean_success"`` (the successful runs only) use Welch's t-test.
    mean, sd : pair of float, optional
        Two Gaussian groups for ``what="mean"`` (as Colas et al. 2018).
    alpha : float, default 0.05
    power : float, default 0.8
    alternative : {"two-sided", "greater", "less"}, default "two-sided"
        For ``"difference"``: ``"greater"`` tests that the second group is higher.
    bounds : "auto", (lo, hi) or None, optional
        For ``"bimodality"``: the scan's point masses (default: the law's
        range, else ``"auto"``).
    candidates : sequence of int, optional
        For ``"bimodality"``: seed counts to try (default 12, 24, 48, 96). Each
        costs one modality scan of ``n_simulations`` scales (seconds to a minute).
    n_simulations : int, optional
        Simulated populations per candidate (default 100 for
        ``"bimodality"``, 4000 for Welch's t-test).
    max_seeds : int, default 5000
        Largest seed count searched for ``"difference"``.
    rng : int, numpy.random.Generator or None
        Source of randomness for the simulations; never the global state.

    Returns
    -------
    SeedPlan

    Examples
    --------
    >>> seeds_needed("p_success", p=0.5, half_width=0.1).n_seeds
    99
    >>> seeds_needed("difference", what="p_success", p=(0.3, 0.6)).n_seeds
    41
    """
    check_one_of("goal", goal, GOALS)
    gen = check_rng(rng)
    alpha = check_alpha(alpha)
    power = Real(0.0, 1.0)("power", power)
    max_seeds = check_int("max_seeds", max_seeds, 2)
    if law is not None and not isinstance(law, DistributionalScalingLaw):
        raise TypeError(f"`law` must be a DistributionalScalingLaw; got {type(law).__name__}")

    def predict(scale):
        if law is None:
            raise ValueError("`at` needs `law`")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExtrapolationWarning)
            return law.predict(float(Real(0.0, None)("at", scale)))

    if goal == "p_success":
        level = check_confidence_level(confidence_level)
        half_width = Real(0.0, 0.5, closed="right")("half_width", half_width)
        notes, cons = [], None
        if p is None:
            if law is None or at is None:
                raise ValueError("goal 'p_success' needs `p`, or `law` and `at`")
            band = predict(at).p_success()
            p = float(band.estimate)
            ends = [float(band.ci.low), float(band.ci.high)]
            worst = 0.5 if min(ends) <= 0.5 <= max(ends) else min(ends, key=lambda e: abs(e - .5))
            if math.isfinite(worst):
                cons = _p_success_plan(worst, half_width, level)[0]
                notes.append(f"P(success) predicted at {float(at):g}: {p:.3g} "
                             f"[{ends[0]:.3g}, {ends[1]:.3g}]")
        p = Real(0.0, 1.0, closed="both")("p", p)
        need, curve = _p_success_plan(p, half_width, level)
        return SeedPlan("p_success", need, level, "coverage", curve,
                        "exact binomial: P(|estimate - p| <= half_width) >= confidence_level "
                        "for this and every larger number of seeds",
                        {"p": p, "half_width": half_width, "confidence_level": level},
                        cons, tuple(notes))

    if goal == "bimodality":
        source = distribution if distribution is not None else (predict(at) if at is not None
                                                                 else None)
        if source is None:
            raise ValueError("goal 'bimodality' needs `distribution`, or `law` and `at`")
        sampler = _sampler(source, "distribution")
        if bounds is None:
            t = law.transform_ if law is not None else getattr(source, "transform", None)
            bounds = (t.lo, t.hi) if t is not None and t.kind == "logit" else "auto"
        bounds = check_bounds(bounds, auto=True)
        cand = np.unique(np.asarray(_DEFAULT_CANDIDATES if candidates is None else candidates))
        cand = np.array([check_int("candidates", int(c), 4) for c in cand])
        n_sim = Integer(minimum=1)("n_simulations", 100 if n_simulations is None else
                                   n_simulations)
        hits = np.array([_bimodal_power(sampler, int(n), n_sim, alpha, bounds, gen)
                         for n in cand])
        value = hits / n_sim
        lo, hi = _wilson(hits, n_sim)
        ok = np.flatnonzero(value >= power)
        curve = pd.DataFrame({"n": cand, "value": value, "ci_low": lo, "ci_high": hi})
        return SeedPlan("bimodality", int(cand[ok[0]]) if ok.size else None, power, "power",
                        curve, f"simulation: {n_sim} populations per seed count, "
                        "modality_scan's decision rule at one scale",
                        {"alpha": alpha, "bounds": bounds, "n_simulations": n_sim})

    # ------------------------------------------------------------------ difference
    check_one_of("what", what, ("p_success", "mean", "mean_success"))
    check_one_of("alternative", alternative, ("two-sided", "greater", "less"))
    sources = None
    if distribution is not None:
        sources = tuple(distribution)
    elif law is not None and at is not None:
        pair = tuple(at)
        if len(pair) != 2:
            raise ValueError("`at` must hold two scales for goal 'difference'")
        sources = (predict(pair[0]), predict(pair[1]))
    if sources is not None and len(sources) != 2:
        raise ValueError("`distribution` must hold two distributions for goal 'difference'")
    if what == "p_success":
        if p is None:
            if sources is None or not all(isinstance(s, PredictiveDistribution) for s in sources):
                raise ValueError("what='p_success' needs `p=(p1, p2)`, `law` and two scales "
                                 "`at`, or two predictions in `distribution`")
            p = tuple(float(s.p_success().estimate) for s in sources)
        p1, p2 = (Real(0.0, 1.0, closed="both")("p", float(v)) for v in p)
        if p1 == p2:
            raise ValueError("`p` must hold two different probabilities")
        found, n_grid, pw = _search(
            lambda n: _two_proportion_power(n, p1, p2, alpha, alternative), power, max_seeds)
        curve = pd.DataFrame({"n": n_grid, "value": pw, "ci_low": pw, "ci_high": pw})
        return SeedPlan("difference", found, power, "power", curve,
                        "pooled two-proportion z-test; exact power over both binomials",
                        {"what": what, "p": (p1, p2), "alpha": alpha,
                         "alternative": alternative})
    n_sim = Integer(minimum=10)("n_simulations", 4000 if n_simulations is None else
                                n_simulations)
    if mean is not None:
        if what != "mean":
            raise ValueError("`mean`/`sd` describe Gaussian groups: use what='mean'")
        m1, m2 = (float(v) for v in mean)
        s1, s2 = (float(Real(0.0, None)("sd", float(v))) for v in (sd if sd is not None
                                                                    else (1.0, 1.0)))

        def draw(n_sim_, n_, g):
            return (g.normal(m1, s1, (n_sim_, n_)), g.normal(m2, s2, (n_sim_, n_)))
        settings = {"mean": (m1, m2), "sd": (s1, s2)}
    else:
        if sources is None:
            raise ValueError(f"what={what!r} needs `mean` and `sd`, `law` and two scales "
                             "`at`, or two distributions")
        samplers = [_sampler(s, "distribution") for s in sources]
        rule = None
        if what == "mean_success":
            ref = law if law is not None else sources[0]
            thr = getattr(ref, "threshold_", getattr(ref, "threshold", None))
            hib = getattr(ref, "higher_is_better_", getattr(ref, "higher_is_better", True))
            if thr is None:
                raise ValueError("what='mean_success' needs a law or predictions (a threshold)")
            rule = (thr, hib)

        def draw(n_sim_, n_, g):
            out = []
            for smp in samplers:
                x = np.asarray(smp(n_sim_ * n_, g), dtype=float).reshape(n_sim_, n_)
                if rule is not None:
                    x = np.where(success_mask(x, *rule), x, np.nan)
                out.append(x)
            return tuple(out)
        settings = {}
    seed = int(gen.integers(0, 2**63))
    found, n_grid, pw = _search(
        lambda n: _welch_power(draw, n, n_sim, alpha, alternative, np.random.default_rng(seed)),
        power, max_seeds)
    lo, hi = _wilson(np.round(pw * n_sim), n_sim)
    curve = pd.DataFrame({"n": n_grid, "value": pw, "ci_low": lo, "ci_high": hi})
    notes = ()
    if what == "mean_success":
        notes = ("the t-test uses the successful runs of each group only; runs that fail are "
                 "left out, so fewer runs than seeds enter it",)
    return SeedPlan("difference", found, power, "power", curve,
                    f"Welch's t-test ({alternative}), power from {n_sim} simulations per count",
                    {"what": what, "alpha": alpha, "alternative": alternative, **settings},
                    None, notes)
