"""Words and numbers of the report page: the context, number formats, the summary sentences.

Part of :func:`distscale.make_report` (with :mod:`distscale.report.figures`
and :mod:`distscale.report.page`); everything here only formats results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from distscale._lib.formatting import fmt, fmt_p, fmt_scale, pct
from distscale._lib.success_rule import rule_text
from distscale.population import Population


@dataclass(frozen=True)
class Context:
    """Everything the page needs."""

    pop: Population
    results: Mapping[str, object]
    threshold: float
    higher_is_better: bool
    bounds: tuple[float, float] | str | None
    alpha: float
    confidence_level: float
    n_resamples: int
    rng: str  # how the page shows the `rng` argument
    title: str | None
    source: str | None

    @property
    def metric(self) -> object:
        return self.pop.metric

    @property
    def scale_name(self) -> str:
        return str(self.pop.scale)

    @property
    def rule(self) -> str:
        return rule_text(self.threshold, self.higher_is_better, subject=self.metric)

# ================================================================================ numbers
# fmt, fmt_scale, fmt_p, pct: distscale._lib.formatting (shared with the law's section)

# ============================================================================== sentences
def min_sep(scan: object) -> str | None:
    """The scan's ``min_separation`` as text (``"2"``), None when the criterion is off."""
    m = getattr(scan, "min_separation", None)
    return None if m is None else f"{m:g}"


def _capacity_sentence(ctx: Context) -> str | None:
    scan = ctx.results.get("modality_scan")
    if scan is None:
        return None
    name = ctx.scale_name
    if scan.capacity_threshold is None:
        text = (
            f"Capacity threshold: no scale is detected as bimodal (mixture likelihood-ratio "
            f"tests, Holm-adjusted over the scales at α = {ctx.alpha:g}"
            + ("" if min_sep(scan) is None else
               f", and two components separated by Ashman's D ≥ {min_sep(scan)}")
            + ")"
        )
        if scan.adjusted_pvalue is not None:
            close = (np.nan_to_num(scan.adjusted_pvalue, nan=2.0) <= scan.alpha) & ~scan.bimodal
            if close.any():
                text += (
                    f"; one Gaussian is rejected at {name} = "
                    f"{', '.join(fmt_scale(s) for s in scan.scales[close])}, but the two "
                    "components there are not clearly separated (one skewed mode, or a mode "
                    "of very few seeds)"
                )
    else:
        where = [fmt_scale(s) for s in scan.scales[scan.bimodal]]
        i = int(np.flatnonzero(scan.bimodal)[0])
        text = (
            f"Capacity threshold: the seed distribution is first bimodal at {name} = "
            f"{fmt_scale(scan.capacity_threshold)} (Holm-adjusted "
            f"{fmt_p(scan.adjusted_pvalue[i])}, Ashman's D = {scan.separation[i]:.2g}); "
            f"bimodal at {name} = {', '.join(where)}"
        )
    if scan.p_success is not None:
        if scan.success_scale is None:
            text += "; P(success) stays at or below 50% at every scale."
        else:
            text += f"; P(success) first exceeds 50% at {name} = {fmt_scale(scan.success_scale)}"
            if scan.capacity_threshold is not None and (
                scan.capacity_threshold < scan.success_scale
            ):
                i = int(np.flatnonzero(scan.bimodal)[0])
                share = scan.p_success[i]
                at = "no seed succeeds" if share == 0 else f"only {pct(share)} succeed"
                text += (
                    f", so the distribution splits well before most seeds succeed "
                    f"({at} at the threshold)."
                )
            else:
                text += "."
    else:
        text += "."
    if scan.capacity_threshold is not None:
        i = int(np.flatnonzero(scan.bimodal)[0])
        if scan.dip_pvalue[i] > ctx.alpha:
            text += (
                f" Hartigan's dip test does not confirm two modes at {name} = "
                f"{fmt_scale(scan.capacity_threshold)} ({fmt_p(scan.dip_pvalue[i])}): one skewed "
                "mode can also fail a one-Gaussian fit, so check the seed distributions below."
            )
    return text


def _trend_phrase(res: object, alpha: float) -> str:
    if res is None:
        return "cannot be tested (it needs runs of that group at 2 or more scales)"
    if res.pvalue <= alpha:
        way = "rises" if res.effect_size > 0 else "falls"
        return f"{way} with scale (concordance {res.effect_size:+.2f}, {fmt_p(res.pvalue)})"
    return f"shows no significant trend ({fmt_p(res.pvalue)})"


def _mean_sentences(ctx: Context) -> list[str]:
    out = []
    curves = ctx.results.get("summary_curves")
    dec = ctx.results.get("mean_decomposition")
    name = ctx.scale_name
    if curves is not None:
        mean = curves.estimate("mean")
        s0, s1 = curves.scales[0], curves.scales[-1]
        if mean[-1] == mean[0]:
            out.append(
                f"The mean of {ctx.metric} is the same at {name} = {fmt_scale(s0)} and "
                f"{fmt_scale(s1)} ({fmt(mean[0])})."
            )
        else:
            way = "rises" if mean[-1] > mean[0] else "falls"
            text = (
                f"The mean of {ctx.metric} {way} from {fmt(mean[0])} at {name} = "
                f"{fmt_scale(s0)} to {fmt(mean[-1])} at {fmt_scale(s1)}"
            )
            emerg = ctx.results.get("curve_emergence")
            if emerg is not None and len(curves.scales) >= 3:
                b = dict(zip(emerg.statistics, emerg.breakthroughness, strict=True))
                text += (
                    f". Breakthroughness (large in size = a sudden jump; a straight line over "
                    f"{len(curves.scales)} scales scores {len(curves.scales) - 1}): "
                    f"mode {fmt(b['mode'], 2)}, mean {fmt(b['mean'], 2)}, P(success) "
                    f"{fmt(b['p_success'], 2)}"
                )
                if any(math.isinf(v) for v in b.values()):
                    text += " (∞: more than half of the steps between scales are exactly flat)"

            out.append(text + ".")
    if dec is not None and math.isfinite(dec.share):
        last, lo_all, hi_all = dec.estimates[-1], dec.ci_low[-1], dec.ci_high[-1]
        lo, hi = dec.share_ci
        p = curves.estimate("p_success") if curves is not None else None
        moves = f" ({pct(p[0])} → {pct(p[-1])} of seeds succeed)" if p is not None else ""
        parts = (
            f"{pct(dec.share)} of the change (95% CI {pct(lo)} to {pct(hi)}) comes from the "
            f"change in P(success){moves}; successful runs changing contribute "
            f"{fmt(last[2])} and failed runs changing {fmt(last[3])} of the total {fmt(last[0])}"
        )
        headline = dec.headline  # the rule lives with the decomposition
        if headline == "no clear change":
            out.append(
                f"The change of the mean, {fmt(last[0])}, is within noise (CI {fmt(lo_all[0])} "
                f"to {fmt(hi_all[0])}): there is no clear jump to explain; {parts}."
            )
        elif headline == "explained by P(success)":
            out.append(f"The jump in the mean is explained by P(success): {parts}.")
        elif headline == "about half P(success)":
            out.append(
                "About half of the change in the mean is a change of P(success) (the interval "
                f"contains one half): {parts}."
            )
        else:
            out.append(f"The change in the mean is not mainly a change of P(success): {parts}.")
    if curves is not None:
        groups = []
        for stat, key, label in (
            ("mean_success", "trend_success", "successful"),
            ("mean_failure", "trend_failure", "failed"),
        ):
            y = curves.estimate(stat)
            y = y[np.isfinite(y)]
            size = f" (from {fmt(y[0])} to {fmt(y[-1])})" if y.size >= 2 else ""
            groups.append(
                f"the mean of {label} runs{size} "
                f"{_trend_phrase(ctx.results.get(key), ctx.alpha)}"
            )
        out.append(
            f"Within each group (Jonckheere-Terpstra, two-sided): {groups[0]}; {groups[1]}."
        )
    return out


def x50_sentence(ctx: Context) -> str | None:
    sc = ctx.results.get("success_curve")
    if sc is None:
        return None
    fit = f"{sc.model} fit in {sc.x} scale"
    if sc.penalty == "firth":
        fit += ", Firth-penalised" + (" as the data are separated" if sc.separation else "")
    misfit = ""
    if sc.selection:  # the report asked for a logistic curve, which did not fit
        misfit = (
            "A logistic curve does not fit P(success) here, so the fit is chosen among models "
            f"that do: {sc.selection}. "
        )
    gof = sc.goodness_of_fit
    fit += f"; goodness of fit: {gof.describe()}" if gof is not None and not gof.reason else ""
    if math.isnan(sc.x50):
        why = sc.x50_reason or "it does not cross 50% within the observed scales"
        return f"{misfit}No x50 is reported: {why} ({fit})."
    return (
        f"{misfit}The fitted P(success) crosses 50% at {ctx.scale_name} ≈ {fmt_scale(sc.x50)} "
        f"({pct(sc.confidence_level)} CI {fmt_scale(sc.x50_ci.low)} to "
        f"{fmt_scale(sc.x50_ci.high)}; {fit})."
    )


def sensitivity_sentence(ctx: Context) -> str | None:
    """Which threshold-dependent verdicts hold over the grid of thresholds, which flip."""
    res = ctx.results.get("threshold_sensitivity")
    if res is None:
        return None
    names = {"x50_inside": "that P(success) crosses 50% inside the scales",
             "mean_change": "where the change of the mean comes from",
             "inverse_scaling": "the inverse-scaling verdict"}
    ok = res.table[res.table["mean_change"] != "degenerate"]
    if len(ok) < 2:
        return None
    held = [names[v] for v in names if res.holds(v)]
    flip = [names[v] for v in names if not res.holds(v)]
    span = f"τ from {fmt(ok['threshold'].iloc[0])} to {fmt(ok['threshold'].iloc[-1])}"
    if not flip:
        return (f"Threshold sensitivity ({span}, {len(ok)} thresholds): every "
                "threshold-dependent verdict holds at every threshold.")
    text = f"Threshold sensitivity ({span}, {len(ok)} thresholds): {', '.join(flip)} "
    text += "depends on the threshold" if len(flip) == 1 else "depend on the threshold"
    if held:
        text += f"; {', '.join(held)} holds at every threshold" if len(held) == 1 else (
            f"; {', '.join(held)} hold at every threshold")
    return text + " (see the section on the threshold)."


def seed_sentence(ctx: Context) -> str | None:
    seeds = ctx.results.get("per_seed_emergence")
    if seeds is None:
        return None
    sign = 1.0 if ctx.higher_is_better else -1.0  # emergent = a sudden *improvement*
    b = sign * np.asarray(seeds.breakthroughness)
    lin = sign * np.asarray(seeds.linearity)
    finite = b[np.isfinite(b)]
    i_b = int(np.argmax(np.where(np.isnan(b), -np.inf, b)))
    i_l = int(np.argmax(np.where(np.isnan(lin), -np.inf, lin)))
    med = fmt(np.median(finite), 2) if finite.size else "n/a"
    signed = "" if ctx.higher_is_better else " (sign flipped: lower is better)"
    return (
        f"Single seeds differ: across {len(seeds.seeds)} seeds, breakthroughness{signed} runs "
        f"from {fmt(np.nanmin(b), 2)} to {fmt(np.nanmax(b), 2)} (median {med}); the most "
        f"emergent curve is seed {seeds.seeds[i_b]} ({fmt(b[i_b], 2)}), the most linear seed "
        f"{seeds.seeds[i_l]} (linearity {fmt(lin[i_l], 2)})."
    )


def shift_sentence(ctx: Context) -> str | None:
    shift = ctx.results.get("distribution_shift")
    if shift is None or 1.0 not in shift.p:
        return None
    w = shift.estimate(1.0)
    i = int(np.argmax(w))
    c = shift.p.index(1.0)
    return (
        f"The seed distribution moves most between {ctx.scale_name} = "
        f"{fmt_scale(shift.scale_from[i])} and {fmt_scale(shift.scale_to[i])} "
        f"(Wasserstein-1 distance {fmt(w[i])}, CI {fmt(shift.ci_low[i, c])} to "
        f"{fmt(shift.ci_high[i, c])})."
    )


def summary_sentences(ctx: Context) -> list[str]:
    """The plain-language summary, one string per point."""
    out = []
    for item in (_capacity_sentence(ctx), *_mean_sentences(ctx), x50_sentence(ctx),
                 sensitivity_sentence(ctx)):
        if item:
            out.append(item)
    inv = ctx.results.get("inverse_scaling")
    if inv is not None:
        out.append(f"Inverse scaling: {inv.verdict}.")
    mono = ctx.results.get("monotonicity")
    if mono is not None:
        way = "rising" if mono.direction == "increasing" else "falling"
        if mono.pvalue <= ctx.alpha:
            out.append(
                f"The mean is not monotone in scale: the test of a monotonically {way} mean "
                f"rejects ({fmt_p(mono.pvalue)})."
            )
        else:
            out.append(
                f"A monotonically {way} mean is consistent with the data ({fmt_p(mono.pvalue)})."
            )
    for item in (seed_sentence(ctx), shift_sentence(ctx)):
        if item:
            out.append(item)
    return out
