"""Is a quantity U-shaped (or inverted-U-shaped) in scale? Simonsohn's two-lines test.

:func:`shape_test` asks whether P(success), or the metric itself, falls and
then rises with scale (a U; grokking's collapse and recovery) or rises and
then falls (an inverted U; the inverse-scaling shape of Zhao et al.). A
quadratic fit cannot answer that: its curvature is significant for any
curved monotone relation (a flat stretch followed by a rise gives a
"minimum" inside the data), so it calls hockey sticks and saturating curves
U-shaped. The two-lines test of Simonsohn (2018) asks the question itself:
is the slope significantly negative on one side of a breakpoint and
significantly positive on the other?
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from distscale._lib.docs import fill_doc
from distscale._lib.results import ConfidenceInterval, Result
from distscale._lib.success_rule import success_mask
from distscale._lib.validation import (
    check_alpha,
    check_bool,
    check_one_of,
    check_threshold,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.population import Population
from distscale.success.subsets import load

__all__ = ["SHAPES", "ShapeTestResult", "shape_test"]

#: The shapes :func:`shape_test` tests.
SHAPES = ("u", "inverted-u")
#: What it tests them on.
QUANTITIES = ("p_success", "mean")
#: Fewest distinct scales on each side of the breakpoint (each line needs 3 to be tested).
MIN_SIDE = 3
_NAMES = {"u": "U-shaped", "inverted-u": "inverted-U-shaped"}


@dataclass(frozen=True, eq=False, repr=False)
class ShapeTestResult(Result):
    """Result of :func:`shape_test`: Simonsohn's two-lines test of a U or an inverted U.

    Attributes
    ----------
    shape : {"u", "inverted-u"}
        The shape tested: ``"u"`` falls then rises, ``"inverted-u"`` rises
        then falls.
    quantity : {"p_success", "mean"}
        What was regressed on scale: each run's 0/1 success or its value.
    holds : bool
        The verdict: the low branch's slope is significant (two-sided, at
        ``alpha``) with the sign of the shape, and so is the high branch's.
        Equivalent to ``pvalue <= alpha / 2``.
    verdict : str
        The answer in one line of plain words.
    pvalue : float
        Intersection-union p-value: the larger of the two one-sided
        p-values (each slope in the shape's direction). NaN when the test is
        undefined (see ``reason``).
    breakpoint : float
        Where the two lines meet, in scale units (NaN when undefined).
    slope_low, slope_high : float
        Slopes of the two lines (quantity per unit of ``ln(scale)``, or per
        unit of scale with ``x="linear"``); the low line ends at, the high
        line starts at, the breakpoint.
    intercept_low, intercept_high : float
        The two lines' values at the breakpoint (they may differ: the lines
        are free to jump there). The low line is ``intercept_low + slope_low
        * (t - t_break)`` for ``t`` up to the breakpoint.
    slope_low_ci, slope_high_ci : ConfidenceInterval
        Wald intervals at level ``1 - alpha`` from the robust standard
        errors: an interval excludes 0 exactly when that slope's two-sided
        p-value is below ``alpha``.
    pvalue_low, pvalue_high : float
        Two-sided p-values of the two slopes.
    se_low, se_high : float
        Their robust standard errors (HC3, or cluster-robust by seed).
    n_scales_low, n_scales_high : int
        Distinct scales on each line (a scale at the breakpoint counts on both).
    extreme : float
        Scale of the quadratic fit's minimum (maximum for an inverted U)
        among the candidate breakpoints (NaN when undefined).
    n_scales, n_runs : int
    paired : bool
        True when the population is paired (same seeds at every scale): the
        standard errors are then cluster-robust by seed, with Student's t on
        (seeds - 1) degrees of freedom.
    covariance : str
        ``"HC3"`` or ``"cluster"``.
    x : {"log", "linear"}
    alpha : float
    reason : str
        Why the test is undefined or degenerate; empty when it is neither.
    """

    shape: str
    quantity: str
    holds: bool
    verdict: str
    pvalue: float
    breakpoint: float
    slope_low: float
    intercept_low: float
    slope_low_ci: ConfidenceInterval
    pvalue_low: float
    se_low: float
    slope_high: float
    intercept_high: float
    slope_high_ci: ConfidenceInterval
    pvalue_high: float
    se_high: float
    n_scales_low: int
    n_scales_high: int
    extreme: float
    n_scales: int
    n_runs: int
    paired: bool
    covariance: str
    x: str
    alpha: float
    reason: str

    def __str__(self) -> str:
        return self.verdict

    def to_frame(self) -> pd.DataFrame:
        """One row per line: ``branch, expected_sign, slope, se, ci_low, ci_high, pvalue,
        significant`` (``significant``: two-sided p-value at most ``alpha`` and the
        slope has the expected sign)."""
        signs = ("negative", "positive") if self.shape == "u" else ("positive", "negative")
        rows = []
        for branch, sign, b, se, ci, p in (
            ("low", signs[0], self.slope_low, self.se_low, self.slope_low_ci, self.pvalue_low),
            ("high", signs[1], self.slope_high, self.se_high, self.slope_high_ci,
             self.pvalue_high),
        ):  # fmt: skip
            right = b < 0 if sign == "negative" else b > 0
            rows.append((branch, sign, b, se, ci.low, ci.high, p, bool(right and p <= self.alpha)))
        frame = pd.DataFrame(
            rows,
            columns=["branch", "expected_sign", "slope", "se", "ci_low", "ci_high", "pvalue",
                     "significant"],
        )  # fmt: skip
        return frame.astype({c: float for c in ("slope", "se", "ci_low", "ci_high", "pvalue")})


# ------------------------------------------------------------------------- the smooth fit
def _quadratic(t: np.ndarray, n: np.ndarray, ybar: np.ndarray, ss_within: float):
    """OLS quadratic of the runs on t: the fit at ``t`` and its standard errors.

    Fitted through the per-scale means with weights ``n`` (the same least-squares
    problem as on the runs); the residual variance is that of the runs.
    """
    design = np.vander(t - t.mean(), 3)
    gram_inv = np.linalg.pinv(design.T @ (n[:, None] * design))
    beta = gram_inv @ (design.T @ (n * ybar))
    fit = design @ beta
    rss = ss_within + float(np.sum(n * (ybar - fit) ** 2))
    sigma2 = rss / max(float(n.sum()) - 3.0, 1.0)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", design, gram_inv, design) * sigma2, 0.0))
    return fit, se


# ------------------------------------------------------------------------- the two lines
class _Line:
    """One line's slope, robust SE, statistic and two-sided p-value."""

    __slots__ = ("a", "b", "p", "se", "z")

    def __init__(self, a: float, b: float, se: float, df: float, flat: bool) -> None:
        self.a = float(a)  # the line's value at the breakpoint
        if flat:  # every run on the line has the same value: no slope, nothing to test
            b, se, z, p = 0.0, 0.0, 0.0, 1.0
        elif not (np.isfinite(b) and np.isfinite(se)):
            z = p = math.nan
        elif se <= 0.0:  # a perfect fit of values that change: the slope is certain
            z, p = math.copysign(math.inf, b) if b != 0 else 0.0, 0.0 if b != 0 else 1.0
        else:
            z = b / se
            dist = stats.norm if math.isinf(df) else stats.t(df)
            p = float(2.0 * dist.sf(abs(z)))
        self.b, self.se, self.z, self.p = float(b), float(se), float(z), float(p)

    def one_sided(self, negative: bool) -> float:
        """p-value of "the slope is negative" (positive), from the two-sided one."""
        if not np.isfinite(self.p):
            return math.nan
        right = self.b < 0 if negative else self.b > 0
        return self.p / 2.0 if right else 1.0 - self.p / 2.0


def _two_lines(t, y, tc, groups) -> tuple[_Line, _Line, float]:
    """The two lines meeting at ``tc``: ``(low, high, df)``.

    Two OLS fits of ``y = a + b1 (t - tc) 1[low] + b2 (t - tc) 1[high] + c 1[high]``,
    written with one intercept per line (the same model): in the first the runs at
    ``tc`` belong to the low line (low: ``t <= tc``), in the second to the high line
    (high: ``t >= tc``), as in Simonsohn's code; ``b1`` comes from the first, ``b2``
    from the second. Robust errors: HC3, or cluster-robust by seed (``groups``)
    with Student's t on (seeds - 1) degrees of freedom (``df``; inf for HC3).
    """
    import statsmodels.api as sm  # lazily: importing statsmodels takes seconds

    df = math.inf if groups is None else float(np.unique(groups).size - 1)
    fits = {}
    for key, low in (("low", t <= tc), ("high", t < tc)):
        if key == "high" and not np.any(t == tc):  # no run at the break: the same fit
            fits["high"] = fits["low"]
            continue
        d = t - tc
        design = np.column_stack([low, np.where(low, d, 0.0), ~low, np.where(low, 0.0, d)])
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            model = sm.OLS(y, design.astype(float))
            if groups is None:
                fit = model.fit(cov_type="HC3")
            else:
                fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
            # the errors are computed lazily: a degenerate robust covariance (a negative
            # variance from rounding) gives NaN here, and the line's test is then undefined
            bse = np.asarray(fit.bse, dtype=float)
        fits[key] = (fit.params, bse, low)
    params, bse, low = fits["low"]
    line_low = _Line(params[0], params[1], bse[1], df, flat=np.ptp(y[low]) == 0)
    params, bse, low = fits["high"]
    line_high = _Line(params[2], params[3], bse[3], df, flat=np.ptp(y[~low]) == 0)
    return line_low, line_high, df


def scale_text(v: float) -> str:
    """A scale for a verdict: 3 significant digits, large ones as 2.9k, 14.1M.

    Examples
    --------
    >>> scale_text(2900.0), scale_text(16.0), scale_text(1.41e7)
    ('2.9k', '16', '14.1M')
    """
    if not math.isfinite(v):
        return "n/a"
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= factor:
            return f"{v / factor:.3g}{suffix}"
    return f"{v:.3g}"


def _p_text(p: float) -> str:
    if not np.isfinite(p):
        return "p = n/a"
    return "p < 0.001" if p < 1e-3 else f"p = {p:.2g}"


def _verdict(shape, b1, p1, b2, p2, alpha, breakpoint, holds) -> str:
    name = _NAMES[shape]
    words = ("falls", "rises") if shape == "u" else ("rises", "falls")
    if holds:
        return (
            f"{name}: {words[0]} (slope {b1:.2g}, {_p_text(p1)}) up to "
            f"{scale_text(breakpoint)}, then {words[1]} (slope {b2:.2g}, {_p_text(p2)})"
        )
    branch = {"falls": "falling", "rises": "rising"}
    failed = []
    for word, b, p in ((words[0], b1, p1), (words[1], b2, p2)):
        right = b < 0 if word == "falls" else b > 0
        if not right:
            failed.append(f"the {branch[word]} branch goes the other way (slope {b:.2g}, "
                          f"{_p_text(p)})")  # fmt: skip
        elif not p <= alpha:
            failed.append(f"the {branch[word]} branch is not significant ({_p_text(p)})")
    return (
        f"not {name}: " + " and ".join(failed)
        + f", with the lines meeting at {scale_text(breakpoint)}"
    )


def _same(quantity: str, value: float) -> str:
    if quantity == "p_success":
        return "succeeds" if value == 1 else "fails"
    return "has the same value"


def _undefined(shape, quantity, reason, *, n_scales, n_runs, paired, x, alpha) -> ShapeTestResult:
    nan_ci = ConfidenceInterval(math.nan, math.nan, level=1.0 - alpha, method="Wald")
    return ShapeTestResult(
        shape=shape, quantity=quantity, holds=False,
        verdict=f"not tested: {reason}", pvalue=math.nan, breakpoint=math.nan,
        slope_low=math.nan, intercept_low=math.nan, slope_low_ci=nan_ci, pvalue_low=math.nan,
        se_low=math.nan, slope_high=math.nan, intercept_high=math.nan, slope_high_ci=nan_ci,
        pvalue_high=math.nan, se_high=math.nan,
        n_scales_low=0, n_scales_high=0, extreme=math.nan, n_scales=n_scales, n_runs=n_runs,
        paired=paired, covariance="cluster" if paired else "HC3", x=x, alpha=alpha,
        reason=reason,
    )  # fmt: skip


def _breakpoint(t_runs, y, t, n, ybar, ss_within, shape, groups):
    """Simonsohn's breakpoint: the fit's flat extreme, then the Robin Hood shift.

    Returns ``(tc, t_extreme)``.
    """
    # candidates: scales strictly inside the 10%-90% quantiles of the runs' t (Simonsohn's
    # "middle 80%") that leave MIN_SIDE scales on each side
    lo, hi = np.quantile(t_runs, [0.1, 0.9])
    admissible = np.zeros(t.size, dtype=bool)
    admissible[MIN_SIDE - 1 : t.size - MIN_SIDE + 1] = True
    middle = admissible & (t > lo) & (t < hi)
    cand = middle if middle.any() else admissible
    fit, se = _quadratic(t, n, ybar, ss_within)
    fc, sc, tcand, ncand = fit[cand], se[cand], t[cand], n[cand]
    if shape == "u":
        most = fc.min()
        flat = fc - sc <= most
    else:
        most = fc.max()
        flat = fc + sc >= most
    t_extreme = float(tcand[int(np.argmin(fc) if shape == "u" else np.argmax(fc))])
    t_flat = np.repeat(tcand[flat], ncand[flat])  # the runs' t in the flat region
    mid = float(np.median(t_flat))
    low, high, _ = _two_lines(t_runs, y, mid, groups)
    z1, z2 = abs(low.z), abs(high.z)
    if math.isinf(z1) and math.isinf(z2):
        share = 0.5
    elif math.isinf(z1) or math.isinf(z2):  # a certain line gives all it can
        share = 0.0 if math.isinf(z1) else 1.0
    elif np.isfinite(z1 + z2) and z1 + z2 > 0:
        share = z2 / (z1 + z2)
    else:
        share = 0.5
    # Robin Hood: move the break towards the weaker line, giving it more of the flat region
    return float(np.quantile(t_flat, share)), t_extreme


@fill_doc
def shape_test(
    pop: Population | pd.DataFrame,
    *,
    shape: str = "u",
    quantity: str = "p_success",
    threshold: float | None = None,
    higher_is_better: bool = True,
    metric: Hashable | None = None,
    alpha: float = 0.05,
    x: str = "log",
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
) -> ShapeTestResult:
    """Is P(success) (or the metric) U-shaped, or inverted-U-shaped, in scale?

    Simonsohn's (2018) two-lines test: two lines, meeting at a breakpoint,
    are fitted to the runs; a U holds when the low line falls and the high
    line rises, each significantly.

    Parameters
    ----------
    %(pop)s
    shape : {"u", "inverted-u"}, default "u"
        ``"u"``: falls, then rises (collapse and recovery). ``"inverted-u"``:
        rises, then falls.
    quantity : {"p_success", "mean"}, default "p_success"
        ``"p_success"``: each run's 0/1 success (needs ``threshold``).
        ``"mean"``: each run's value (the shape of the mean).
    threshold : float, optional
        Success threshold, required with ``quantity="p_success"`` (and not
        allowed with ``"mean"``). A run succeeds when its value is strictly
        above it (strictly below with ``higher_is_better=False``).
    %(higher_is_better)s
    %(metric)s
    alpha : float, default 0.05
        Level of each slope's two-sided test.
    x : {"log", "linear"}, default "log"
        Covariate of the lines: ``ln(scale)`` or ``scale``.
    %(columns)s

    Returns
    -------
    ShapeTestResult

    Raises
    ------
    ValueError
        Fewer than 2 scales; ``threshold`` missing with
        ``quantity="p_success"`` or given with ``"mean"``; non-positive
        scales with ``x="log"``; a bad ``shape``, ``quantity``, ``x`` or
        ``alpha``.
    TypeError
        A non-numeric ``threshold`` or ``alpha``; a non-bool
        ``higher_is_better``.

    Warns
    -----
    DegenerateDataWarning
        Too few scales for two lines of 3 scales each (the result is NaN with
        a ``reason``); every run has the same value; a line whose runs all
        have the same value.

    Notes
    -----
    *The lines.* With ``t = ln(scale)`` (or the scale) and the breakpoint
    ``tc``, one OLS regression on the runs (one row per run)::

        y = a + b1 (t - tc) 1[t < tc] + b2 (t - tc) 1[t >= tc] + c 1[t >= tc]

    -- two lines, free to jump at ``tc``. As in Simonsohn's code, ``b1`` is
    taken from the fit in which the runs at ``tc`` belong to the low line and
    ``b2`` from the fit in which they belong to the high line. For
    ``quantity="p_success"`` ``y`` is the 0/1 success of the run: a linear
    probability model. Its slopes are average changes of P(success) per unit
    of ``t`` on each side, which is what the question is about (a sign
    change), and with robust errors its tests need no link function (a
    logistic fit would add a functional-form assumption that the test exists
    to avoid, and breaks down where a side is all successes or failures).

    *The errors.* Heteroskedasticity-robust HC3 standard errors (statsmodels),
    normal reference, as Simonsohn. When the population is paired (the same
    seeds at every scale, ``pop.paired``), a seed's runs are not independent:
    the errors are cluster-robust by seed, with Student's t on (seeds - 1)
    degrees of freedom.

    *The verdict.* The shape holds when both slopes are significant with the
    right signs, each two-sided at ``alpha`` (Simonsohn's rule); ``pvalue``
    is the larger of the two one-sided p-values (an intersection-union test,
    Berger 1982), so ``holds`` is ``pvalue <= alpha / 2``.

    *The breakpoint* (Simonsohn's "Robin Hood" algorithm, on a grid of
    scales). (1) A smooth fit of ``y`` on ``t``: the OLS quadratic, with its
    standard errors. (2) Candidate breakpoints: the scales strictly inside
    the 10%-90% quantiles of the runs' ``t`` (Simonsohn's middle 80%) that
    leave at least 3 scales on each line. (3) The flat region: the
    candidates whose fit comes within one standard error of the lowest fit
    (highest, for an inverted U). (4) Two lines at the median of the flat
    region give the statistics ``z1`` and ``z2``. (5) The breakpoint is the
    ``z2 / (z1 + z2)`` quantile of the runs in the flat region: moved towards
    the weaker line, which gets more runs (hence Robin Hood; Simonsohn
    shows it has more power than breaking at the extreme itself).

    Simonsohn's smooth fit is a flexible spline (mgcv's ``s(x, bs="cr")``).
    On populations of runs at a grid of scales its extreme follows the dips
    of the noise, and the line that ends in the dip then falls by selection:
    with a penalised spline (GCV) the U verdict reached 5.3-6.0% on two null
    shapes (flat, then rising), above ``alpha``. The
    quadratic's extreme is a feature of the whole curve: at most 4% on
    every null tried, mostly near the 2.5% of one slope's one-sided test,
    at the price of 2-4 points of power on weak or narrow U shapes
    (``benchmarks/calibration_shape.py``,
    ``docs/trends.md``). The quadratic only places the break: no verdict
    rests on its curvature.

    References
    ----------
    Simonsohn, U. (2018). Two lines: A valid alternative to the invalid
    testing of U-shaped relationships with quadratic regressions. *Advances
    in Methods and Practices in Psychological Science* 1(4), 538-555.

    Examples
    --------
    >>> import numpy as np, distscale
    >>> rng = np.random.default_rng(0)
    >>> scales = np.geomspace(100, 100_000, 26)
    >>> p = 0.3 + 0.5 * np.abs(np.linspace(-1, 1, 26))          # 0.8 -> 0.3 -> 0.8
    >>> pop = distscale.Population.from_dict(
    ...     {s: (rng.random(25) < q).astype(float) for s, q in zip(scales, p)})
    >>> res = distscale.success.shape_test(pop, shape="u", threshold=0.5)
    >>> res.holds
    True
    >>> print(res.verdict)  # doctest: +ELLIPSIS
    U-shaped: falls (slope -0.17, p < 0.001) up to 2.75k, then rises (slope 0.19, p < 0.001)
    >>> flat_then_up = np.r_[np.full(13, 0.2), np.linspace(0.2, 0.9, 13)]
    >>> pop = distscale.Population.from_dict(
    ...     {s: (rng.random(25) < q).astype(float) for s, q in zip(scales, flat_then_up)})
    >>> res = distscale.success.shape_test(pop, shape="u", threshold=0.5)
    >>> res.holds, res.pvalue > 0.025
    (False, True)
    """
    check_one_of("shape", shape, SHAPES)
    check_one_of("quantity", quantity, QUANTITIES)
    if quantity == "p_success":
        if threshold is None:
            raise ValueError("`threshold` is required with quantity='p_success'")
        threshold = check_threshold(threshold)
    elif threshold is not None:
        raise ValueError("`threshold` is only used with quantity='p_success'; pass None")
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    alpha = check_alpha(alpha)
    check_one_of("x", x, ("log", "linear"))
    pop, metric, samples = load(pop, metric, scale, seed, value)
    if x == "log":
        pop.require_positive_scale(purpose="x='log' (the covariate is ln(scale))")
    paired = bool(getattr(pop, "paired", False))
    scales = pop.scales
    t = np.log(scales) if x == "log" else np.asarray(scales, dtype=float)
    n = np.array([v.size for v in samples])
    if quantity == "p_success":
        ys = [success_mask(v, threshold, higher_is_better).astype(float) for v in samples]
    else:
        ys = [np.asarray(v, dtype=float) for v in samples]
    y = np.concatenate(ys)
    t_runs = np.repeat(t, n)
    common = {"n_scales": int(scales.size), "n_runs": int(n.sum()), "paired": paired, "x": x,
              "alpha": alpha}  # fmt: skip
    if scales.size < 2 * MIN_SIDE - 1:
        reason = (
            f"two lines of at least {MIN_SIDE} scales each need at least {2 * MIN_SIDE - 1} "
            f"scales; there are {scales.size}"
        )
        warnings.warn(reason, DegenerateDataWarning, stacklevel=2)
        return _undefined(shape, quantity, reason, **common)
    if np.ptp(y) == 0:
        reason = f"every run {_same(quantity, y[0])}: {quantity} cannot change with scale"
        warnings.warn(reason, DegenerateDataWarning, stacklevel=2)
        return _undefined(shape, quantity, reason, **common)
    groups, reasons = None, []
    if paired:  # values() of a paired population: position i is one seed at every scale
        groups = np.concatenate([np.arange(v.size) for v in samples])
        if groups.max() < 1:
            groups = None
            reasons.append("a paired population with one seed: HC3 errors, not clustered")
    ybar = np.array([v.mean() for v in ys])
    ss_within = float(sum(((v - v.mean()) ** 2).sum() for v in ys))
    tc, t_ext = _breakpoint(t_runs, y, t, n, ybar, ss_within, shape, groups)
    low, high, df = _two_lines(t_runs, y, tc, groups)
    to_scale = np.exp if x == "log" else float
    breakpoint = float(to_scale(tc))
    for side, mask in (("up to", t_runs <= tc), ("from", t_runs >= tc)):
        if np.ptp(y[mask]) == 0:
            reasons.append(f"every run {side} the breakpoint ({scale_text(breakpoint)}) "
                           + _same(quantity, y[mask][0]) + ": that line is flat")  # fmt: skip
    reason = "; ".join(reasons)
    if reason:
        warnings.warn(reason, DegenerateDataWarning, stacklevel=2)
    u = shape == "u"
    one_sided = (low.one_sided(negative=u), high.one_sided(negative=not u))
    pvalue = max(one_sided) if np.all(np.isfinite(one_sided)) else math.nan
    holds = bool(
        (low.b < 0 if u else low.b > 0) and low.p <= alpha
        and (high.b > 0 if u else high.b < 0) and high.p <= alpha
    )  # fmt: skip
    q = float(stats.norm.isf(alpha / 2) if math.isinf(df) else stats.t(df).isf(alpha / 2))
    method = "Wald, HC3" if groups is None else "Wald, cluster-robust by seed"

    def interval(line: _Line) -> ConfidenceInterval:
        return ConfidenceInterval(line.b - q * line.se, line.b + q * line.se,
                                  level=1.0 - alpha, method=method)  # fmt: skip

    return ShapeTestResult(
        shape=shape, quantity=quantity, holds=holds,
        verdict=_verdict(shape, low.b, low.p, high.b, high.p, alpha, breakpoint, holds),
        pvalue=float(pvalue), breakpoint=breakpoint,
        slope_low=low.b, intercept_low=low.a, slope_low_ci=interval(low), pvalue_low=low.p,
        se_low=low.se, slope_high=high.b, intercept_high=high.a, slope_high_ci=interval(high),
        pvalue_high=high.p, se_high=high.se,
        n_scales_low=int(np.sum(t <= tc)), n_scales_high=int(np.sum(t >= tc)),
        extreme=float(to_scale(t_ext)), covariance="HC3" if groups is None else "cluster",
        reason=reason, **common,
    )  # fmt: skip
