"""The inverse-scaling case study: success gets rarer while successful runs get better.

:func:`inverse_scaling` answers one question of Zhao et al. ("Distributional
Scaling Laws for Emergent Capabilities", arXiv 2502.17356): as scale grows,
does the probability that a run succeeds fall -- monotonically, or on one
branch of a U or an inverted U -- while the runs that do succeed still
improve monotonically? Then a falling mean is an inverse scaling of the
*success probability*, not of capability. The U and inverted U are
Simonsohn's two-lines tests (:func:`~distscale.success.shape.shape_test`),
never the curvature of a quadratic fit.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.results import ConfidenceInterval, Result
from distscale._lib.success_rule import success_mask
from distscale._lib.validation import (
    check_alpha,
    check_bool,
    check_confidence_level,
    check_one_of,
    check_rng,
    check_threshold,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.population import Population
from distscale.success.curve import SuccessCurve, success_curve
from distscale.success.rank_tests import grouped_rank_test
from distscale.success.shape import ShapeTestResult, scale_text, shape_test
from distscale.success.subsets import load
from distscale.success.trend import METHODS, TrendTestResult, trend_test

__all__ = ["InverseScalingResult", "inverse_scaling"]

_METHOD_NAMES = {"jonckheere": "Jonckheere", "mann-kendall": "Mann-Kendall", "ebar2": "E-bar²"}


@dataclass(frozen=True, eq=False)
class InverseScalingResult(Result):
    """Result of :func:`inverse_scaling`.

    Attributes
    ----------
    finding : bool
        True when P(success) falls (monotonically, or on a branch of a U or
        an inverted U) *and* successful runs improve, both at level
        ``alpha`` (see :func:`inverse_scaling`).
    verdict : str
        The answer in one line of plain words.
    shape : str
        Shape of P(success) in scale: ``"falls"``, ``"u-shaped"`` (falls,
        then rises), ``"inverted-u"`` (rises, then falls), ``"rises"`` or
        ``"no clear trend"``. ``"u-shaped"`` and ``"inverted-u"`` only when
        that two-lines test holds.
    p_success_pvalue : float
        p-value of "P(success) falls somewhere": Bonferroni over the three
        ways, ``min(1, 3 * min(fall_pvalue, ushape_pvalue,
        inverted_u_pvalue))`` (an undefined two-lines test counts as 1).
    fall_pvalue : float
        One-sided Jonckheere test that P(success) falls (on the 0/1 success
        indicators of all runs).
    rise_pvalue : float
        The same test in the rising direction.
    ushape_pvalue, inverted_u_pvalue : float
        p-values of Simonsohn's two-lines tests of a U and of an inverted U
        in P(success) (``u_test.pvalue``, ``inverted_u_test.pvalue``; NaN
        when undefined, e.g. with fewer than 5 scales).
    u_test, inverted_u_test : ShapeTestResult
        The two tests (:func:`~distscale.success.shape.shape_test`).
    slope, slope_ci : float, ConfidenceInterval
        Logistic slope of P(success) (logit per unit of ``ln(scale)``, or of
        scale with ``x="linear"``) and its profile-likelihood interval.
    curvature, curvature_ci : float, ConfidenceInterval
        Quadratic coefficient of the quadratic logistic fit (NaN with fewer
        than 3 scales). Descriptive only: a significant curvature does not
        make a U (a flat stretch followed by a rise has one).
    vertex_scale : float
        Scale at the extreme of the quadratic logistic fit when it lies
        inside the observed scales, else NaN. Descriptive only.
    aic_logistic, aic_quadratic : float
    success_pvalue : float
        Trend test that successful runs improve (``trend_test(subset="success",
        alternative="increasing")``; "improve" means lower values with
        ``higher_is_better=False``). NaN when fewer than 2 scales have a
        successful run.
    success_gain : float
        Rise of the isotonic fit of mean | success from the smallest to the
        largest tested scale (in the metric's units, signed so that positive
        is better).
    success_trend : TrendTestResult or None
    success_curve, quadratic_curve : SuccessCurve or None
    alpha : float
    method : str
    """

    finding: bool
    verdict: str
    shape: str
    p_success_pvalue: float
    fall_pvalue: float
    rise_pvalue: float
    ushape_pvalue: float
    inverted_u_pvalue: float
    slope: float
    slope_ci: ConfidenceInterval
    curvature: float
    curvature_ci: ConfidenceInterval
    vertex_scale: float
    aic_logistic: float
    aic_quadratic: float
    success_pvalue: float
    success_gain: float
    success_trend: TrendTestResult | None
    success_curve: SuccessCurve
    quadratic_curve: SuccessCurve | None
    alpha: float
    method: str
    u_test: ShapeTestResult
    inverted_u_test: ShapeTestResult

    def __repr__(self) -> str:
        return f"InverseScalingResult(finding={self.finding}, verdict={self.verdict!r})"

    def __str__(self) -> str:
        return self.verdict

    @property
    def finding_shape(self) -> str:
        """The shape of P(success) when there is a finding, else ``"no"`` (a table cell)."""
        return self.shape if self.finding else "no"

    def to_frame(self) -> pd.DataFrame:
        """One row per test: ``question, effect, estimate, ci_low, ci_high, pvalue,
        significant`` (``significant`` at ``alpha``, divided by 3 for the three
        P(success) questions). The two-lines rows give the falling branch's
        slope (P(success) per unit of the covariate) and its ``1 - alpha``
        interval."""
        u, iu = self.u_test, self.inverted_u_test
        rows = [
            ("p_success_falls", "logit slope", self.slope, self.slope_ci, self.fall_pvalue, 3),
            ("p_success_u_shaped", "falling-branch slope", u.slope_low, u.slope_low_ci,
             self.ushape_pvalue, 3),
            ("p_success_inverted_u", "falling-branch slope", iu.slope_high, iu.slope_high_ci,
             self.inverted_u_pvalue, 3),
            (
                "successful_runs_improve",
                "isotonic gain",
                self.success_gain,
                ConfidenceInterval(np.nan, np.nan),
                self.success_pvalue,
                1,
            ),
        ]  # fmt: skip
        return pd.DataFrame(
            {
                "question": [r[0] for r in rows],
                "effect": [r[1] for r in rows],
                "estimate": [float(r[2]) for r in rows],
                "ci_low": [float(r[3].low) for r in rows],
                "ci_high": [float(r[3].high) for r in rows],
                "pvalue": [float(r[4]) for r in rows],
                "significant": [bool(r[4] <= self.alpha / r[5]) for r in rows],
            }
        )


def _fmt(p: float) -> str:
    if not np.isfinite(p):
        return "p=n/a"
    return f"p={p:.2g}" if p >= 1e-4 else "p<1e-4"


def _quiet_curve(pop, **kw) -> SuccessCurve:
    """success_curve without its x50 warnings (x50 plays no part here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return success_curve(pop, **kw)


def _quadratic_fit(pop, kw: dict, t_range: tuple[float, float]):
    """Quadratic logistic fit (descriptive): curve, curvature and vertex (NaN outside)."""
    quad = _quiet_curve(pop, model="quadratic", **kw)
    b1, b2 = float(quad.coef[1]), float(quad.coef[2])
    vertex = -b1 / (2.0 * b2) if b2 != 0 else np.nan
    inside = bool(np.isfinite(vertex) and t_range[0] < vertex < t_range[1])
    return quad, b2, vertex if inside else np.nan


def _shape_tests(pop, kw: dict, alpha: float) -> tuple[ShapeTestResult, ShapeTestResult]:
    """Two-lines tests of a U and an inverted U in P(success) (warnings are the caller's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return tuple(
            shape_test(pop, shape=shape, quantity="p_success", threshold=kw["threshold"],
                       higher_is_better=kw["higher_is_better"], metric=kw["metric"],
                       alpha=alpha, x=kw["x"])
            for shape in ("u", "inverted-u")
        )  # fmt: skip


def _or_one(p: float) -> float:
    return float(p) if np.isfinite(p) else 1.0


@fill_doc
def inverse_scaling(
    pop: Population | pd.DataFrame,
    *,
    threshold: float,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    alpha: float = 0.05,
    x: str = "log",
    method: str = "jonckheere",
    weights: str | None = None,
    bounds: tuple[float | None, float | None] | None = None,
    confidence_level: float = 0.95,
    n_resamples: int | None = None,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> InverseScalingResult:
    """Does P(success) fall (or turn U / inverted-U) with scale while successful runs improve?

    Parameters
    ----------
    %(pop)s
    %(threshold)s
    %(higher_is_better)s
    %(metric)s
    alpha : float, default 0.05
        Level of the overall finding.
    x : {"log", "linear"}, default "log"
        Covariate of the logistic fits: ``ln(scale)`` or ``scale``.
    method : {"jonckheere", "mann-kendall", "ebar2"}, default "jonckheere"
        Trend test for the successful runs (:func:`~distscale.trend_test`).
    weights : {None, "posterior"}, default None
        Passed to :func:`~distscale.trend_test` for the successful runs.
    bounds : (lo, hi), optional
        With ``weights="posterior"``: the metric's range (point masses).
    confidence_level : float, default 0.95
        Of the logistic slope and curvature intervals (the two-lines slopes
        have ``1 - alpha`` intervals, matching their tests).
    n_resamples : int, optional
        Permutations of the trend tests (their defaults when None).
    %(rng)s
    %(columns)s

    Returns
    -------
    InverseScalingResult

    Raises
    ------
    ValueError
        Fewer than 2 scales; ``alpha`` outside (0, 1); non-positive scales
        with ``x="log"``; the errors of :func:`~distscale.trend_test` and
        :func:`~distscale.success_curve`.

    Warns
    -----
    DegenerateDataWarning
        Fewer than 2 scales with a successful run (the successful runs cannot
        be tested); scales without a successful run (left out of that test);
        every run succeeding or failing.

    Notes
    -----
    Two questions, each answered by a test:

    1. *Does P(success) fall -- monotonically, or on a branch of a U or an
       inverted U?* ``fall_pvalue``: a one-sided Jonckheere test on the
       success indicators of all runs (a rank version of the
       Cochran-Armitage trend test, free of the logistic form).
       ``ushape_pvalue`` and ``inverted_u_pvalue``: Simonsohn's two-lines
       tests (:func:`~distscale.success.shape.shape_test` on the success
       indicators), which need a significantly falling *and* a
       significantly rising branch. An inverted U (rises, then falls) is the
       inverse-scaling shape of the paper; a U (falls, then recovers) is its
       mirror, as in grokking's collapse and recovery. The question's
       p-value is the Bonferroni combination ``min(1, 3 min(fall, u,
       inverted_u))``, and ``shape`` names the smallest of the three when it
       is significant (a two-lines test holds on its own at ``p <= alpha /
       2``, Simonsohn's rule; here it counts at ``alpha / 3``, so the words
       "U-shaped" and "inverted-U-shaped" appear only where it holds). The
       effect size is the logistic slope from
       :func:`~distscale.success_curve`, with its profile interval; the
       quadratic logistic fit (``curvature``, ``vertex_scale``) is kept as a
       description only -- its curvature is significant for any curved
       monotone P(success), such as a flat stretch followed by a rise, so no
       verdict rests on it.
    2. *Do successful runs improve?* :func:`~distscale.trend_test` with
       ``subset="success"``, ``alternative="increasing"`` (values falling
       for ``higher_is_better=False``). Effect size: the gain of the isotonic
       fit of mean | success across the tested scales.

    The finding needs both at level ``alpha``: an intersection-union test,
    whose level is ``alpha`` without further correction (Berger 1982) -- at
    worst, when one of the two effects is certainly present, the finding is
    a false positive of the other test at rate ``alpha``. The two-lines
    tests are undefined with fewer than 5 scales (NaN p-values, counted as
    1; ``u_test.reason`` says why).

    Examples
    --------
    >>> import numpy as np, distscale
    >>> rng = np.random.default_rng(0)
    >>> data = {}
    >>> for i, (p, m) in enumerate(zip(np.linspace(0.8, 0.2, 6),
    ...                                np.linspace(0.55, 0.8, 6))):
    ...     ok = rng.random(40) < p
    ...     data[2 ** (i + 1)] = np.where(ok, m + 0.05 * rng.standard_normal(40),
    ...                                   0.05 * rng.random(40))
    >>> res = distscale.inverse_scaling(distscale.Population.from_dict(data),
    ...                                 threshold=0.2, rng=0)
    >>> res.finding, res.shape
    (True, 'falls')
    >>> print(res.verdict)  # doctest: +ELLIPSIS
    P(success) falls with scale (logit slope -0.... per unit ln(scale), p<1e-4) while
    successful runs improve (Jonckheere p<1e-4): inverse scaling of the success
    probability, not of capability
    """
    threshold = check_threshold(threshold)
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    alpha = check_alpha(alpha)
    check_one_of("method", method, METHODS)
    check_one_of("x", x, ("log", "linear"))
    confidence_level = check_confidence_level(confidence_level)
    gen = check_rng(rng)
    pop, metric, samples = load(pop, metric, scale, seed, value)
    if x == "log":
        pop.require_positive_scale(purpose="x='log' (the covariate is ln(scale))")
    scales = pop.scales
    t = np.log(scales) if x == "log" else scales

    # 1. P(success): rank trend test on the indicators, logistic and quadratic fits
    wins = [success_mask(v, threshold, higher_is_better).astype(float) for v in samples]
    perms = 9999 if n_resamples is None else n_resamples
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        fall = grouped_rank_test(wins, "jonckheere", "decreasing", "auto", perms, gen)
        rise = grouped_rank_test(wins, "jonckheere", "increasing", "auto", perms, gen)
    total = sum(w.sum() for w in wins)
    n_total = sum(w.size for w in wins)
    if total in (0, n_total):
        warnings.warn(
            f"{'no run succeeds' if total == 0 else 'every run succeeds'} at any scale: "
            "P(success) cannot change with scale",
            DegenerateDataWarning,
            stacklevel=2,
        )
    kw = {
        "threshold": threshold,
        "higher_is_better": higher_is_better,
        "metric": metric,
        "x": x,
        "confidence_level": confidence_level,
    }
    linear = _quiet_curve(pop, model="logistic", **kw)
    if len(scales) >= 3:
        quad, curvature, vertex = _quadratic_fit(pop, kw, (t.min(), t.max()))
        curvature_ci = ConfidenceInterval(
            float(quad.coef_ci.low[2]),
            float(quad.coef_ci.high[2]),
            level=quad.coef_ci.level,
            method=quad.coef_ci.method,
        )
        aic_q = quad.aic
    else:
        quad, curvature, vertex, aic_q = None, np.nan, np.nan, np.nan
        curvature_ci = ConfidenceInterval(np.nan, np.nan)
    vertex_scale = float(np.exp(vertex) if x == "log" else vertex)
    u_test, iu_test = _shape_tests(pop, kw, alpha)
    p_fall = fall["pvalue"]
    candidates = {"falls": p_fall, "u-shaped": _or_one(u_test.pvalue),
                  "inverted-u": _or_one(iu_test.pvalue)}  # fmt: skip
    p_ps = min(1.0, 3.0 * min(candidates.values()))
    if p_ps <= alpha:
        shape = min(candidates, key=candidates.get)
    elif rise["pvalue"] <= alpha:
        shape = "rises"
    else:
        shape = "no clear trend"

    # 2. successful runs
    with_success = sum(bool(w.any()) for w in wins)
    trend = None
    p_s, gain = np.nan, np.nan
    if with_success < 2:
        warnings.warn(
            f"only {with_success} scale(s) have a successful run: whether successful runs "
            "improve cannot be tested",
            DegenerateDataWarning,
            stacklevel=2,
        )
    else:
        trend = trend_test(
            pop,
            subset="success",
            threshold=threshold if weights is None else None,
            higher_is_better=higher_is_better,
            metric=metric,
            method=method,
            alternative="increasing" if higher_is_better else "decreasing",
            weights=weights,
            bounds=bounds,
            n_resamples=n_resamples,
            rng=gen,
        )
        p_s = trend.pvalue
        gain = float(trend.isotonic[-1] - trend.isotonic[0]) * (1 if higher_is_better else -1)
    improves = bool(p_s <= alpha)
    finding = bool(p_ps <= alpha and improves)

    unit = "unit ln(scale)" if x == "log" else "unit of scale"
    slope = float(linear.coef[1])
    slope_ci = ConfidenceInterval(
        float(linear.coef_ci.low[1]),
        float(linear.coef_ci.high[1]),
        level=linear.coef_ci.level,
        method=linear.coef_ci.method,
    )
    if shape in ("u-shaped", "inverted-u"):
        test = u_test if shape == "u-shaped" else iu_test
        first, then = ("falls", "rises") if shape == "u-shaped" else ("rises", "falls")
        shape_name = "U-shaped" if shape == "u-shaped" else "inverted-U-shaped"
        ps_text = (
            f"P(success) is {shape_name} in scale (two lines: {first} up to scale "
            f"{scale_text(test.breakpoint)}, then {then}; {_fmt(p_ps)})"
        )
    else:
        verb = {"falls": "falls", "rises": "rises"}.get(shape, "does not clearly fall")
        shown = rise["pvalue"] if shape == "rises" else p_ps
        ps_text = f"P(success) {verb} with scale (logit slope {slope:.2g} per {unit}, "
        ps_text += f"{_fmt(shown)})"
    name = _METHOD_NAMES[method]
    s_text = f"({name} {_fmt(p_s)})"
    if trend is None:
        verdict = (
            f"{ps_text}, but successful runs occur at fewer than 2 scales, so whether they "
            "improve cannot be tested: no verdict on inverse scaling"
        )
    elif finding:
        verdict = (
            f"{ps_text} while successful runs improve {s_text}: inverse scaling of the "
            "success probability, not of capability"
        )
    elif p_ps <= alpha:
        verdict = (
            f"{ps_text}, but successful runs do not improve significantly {s_text}: "
            "not the inverse-scaling pattern"
        )
    elif improves and shape == "rises":
        verdict = (
            f"{ps_text} and successful runs improve {s_text}: ordinary scaling, "
            "no inverse scaling"
        )
    elif improves:
        verdict = f"{ps_text}, while successful runs improve {s_text}: no inverse scaling found"
    else:
        verdict = (
            f"Neither a fall of P(success) ({_fmt(p_ps)}) nor an improvement of successful "
            f"runs {s_text} is significant at alpha={alpha:g}: no inverse scaling found"
        )
    return InverseScalingResult(
        finding=finding,
        verdict=verdict,
        shape=shape,
        p_success_pvalue=float(p_ps),
        fall_pvalue=float(p_fall),
        rise_pvalue=float(rise["pvalue"]),
        ushape_pvalue=float(u_test.pvalue),
        inverted_u_pvalue=float(iu_test.pvalue),
        slope=slope,
        slope_ci=slope_ci,
        curvature=float(curvature),
        curvature_ci=curvature_ci,
        vertex_scale=vertex_scale,
        aic_logistic=float(linear.aic),
        aic_quadratic=float(aic_q),
        success_pvalue=float(p_s),
        success_gain=float(gain),
        success_trend=trend,
        success_curve=linear,
        quadratic_curve=quad,
        alpha=alpha,
        method=method,
        u_test=u_test,
        inverted_u_test=iu_test,
    )
