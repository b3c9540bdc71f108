"""Verdicts of :func:`distscale.compare_metrics` (private).

:class:`MetricVerdict`, the plain answer for one metric, and the rules that
build it: the *jump* rule (the oriented mean curve improves and its step
ratio reaches ``jump_ratio``), the *bimodality* rule (bimodal by the
modality scan, or *split* between a point mass at a bound and runs well
away from it), the verdict text, and the persistence lines that compare
thresholded and continuous metrics.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from distscale._lib.results import ConfidenceInterval, Result
from distscale.describe.emergence_core import MIN_POINTS


@dataclass(frozen=True, eq=False, repr=False)
class MetricVerdict(Result):
    """Plain answer for one metric: does the mean curve jump, are the seeds bimodal?

    Attributes
    ----------
    metric : hashable
    kind : str
        ``"thresholded"`` (a known name of a metric that scores each example
        0 or 1 -- exact match, accuracy, ``acc_norm`` ... -- or, for a name not
        in :data:`DIRECTIONS`, every per-sample value is 0 or 1) or
        ``"continuous"``. It only shapes the wording of :meth:`MetricComparison.persistence`.
    higher_is_better : bool
    jump : bool or None
        The oriented mean curve improves (the interval of its improvement
        ``I(y)`` lies above 0) and its step ratio is at least ``jump_ratio``.
        None with fewer than 3 scales.
    step_ratio : float
        ``breakthroughness / linearity`` of the oriented mean curve (NaN if flat).
    step_ratio_ci : ConfidenceInterval
    breakthroughness, linearity, improvement : float
        Scores of the oriented mean curve.
    p_success_step_ratio : float
        Step ratio of the P(success) curve of the summary curves (NaN when
        not defined).
    bimodal : bool or None
        Bimodal (two well-separated Gaussian components: Holm-adjusted LRT
        and Ashman's D of the modality scan) or split (a point mass at a
        bound and runs well away from it) at one or more assessed scales;
        None when no scale could be assessed
        (one run per scale, or too few seeds).
    bimodal_scales : tuple of float
        Scales detected as bimodal by the modality scan (two well-separated
        Gaussian components).
    split_scales : tuple of float
        Scales where the runs split between a point mass at a bound of the
        metric and runs well away from it (see :func:`compare_metrics`).
    assessed_scales : tuple of float
    capacity_threshold : float or None
        Smallest scale detected as bimodal.
    seed_jump_fraction : float
        Share of single seeds whose own curve has a step ratio
        ``>= jump_ratio`` (NaN without seeds).
    text : str
        The verdict in words.
    """

    metric: Hashable
    kind: str
    higher_is_better: bool
    jump: bool | None
    step_ratio: float
    step_ratio_ci: ConfidenceInterval
    breakthroughness: float
    linearity: float
    improvement: float
    p_success_step_ratio: float
    bimodal: bool | None
    bimodal_scales: tuple[float, ...]
    split_scales: tuple[float, ...]
    assessed_scales: tuple[float, ...]
    capacity_threshold: float | None
    seed_jump_fraction: float
    text: str




def _verdict(m, kind, higher, curve, p_step, assessed, bimodal_at, split_at, capacity,
             seed_jump, *, jump_ratio, confidence_level, has_seeds, n_scales) -> MetricVerdict:
    """One metric's verdict: the jump rule, the bimodality (or split) rule and the text."""
    brk, lin, imp, ratio = (curve[k] for k in curve)
    jump = None
    if n_scales >= MIN_POINTS:
        jump = bool(imp[1] > 0 and ratio[0] >= jump_ratio)
    bimodal = None if not assessed else bool(bimodal_at or split_at)
    return MetricVerdict(
        metric=m, kind=kind, higher_is_better=higher, jump=jump,
        step_ratio=float(ratio[0]),
        step_ratio_ci=ConfidenceInterval(float(ratio[1]), float(ratio[2])),
        breakthroughness=float(brk[0]), linearity=float(lin[0]), improvement=float(imp[0]),
        p_success_step_ratio=p_step, bimodal=bimodal, bimodal_scales=bimodal_at,
        split_scales=split_at, assessed_scales=assessed, capacity_threshold=capacity,
        seed_jump_fraction=seed_jump,
        text=_text(m, kind, higher, jump, curve, jump_ratio, confidence_level, p_step,
                   bimodal, bimodal_at, split_at, assessed, capacity, seed_jump, has_seeds,
                   n_scales),
    )


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return "inf" if math.isinf(x) else f"{x:.3g}"


def _text(m, kind, higher, jump, curve, jump_ratio, level, p_step, bimodal, bimodal_at,
          split_at, assessed, capacity, seed_jump, has_seeds, n_scales) -> str:
    brk, lin, imp, ratio = (curve[k] for k in curve)
    head = f"{m} ({kind}, {'higher' if higher else 'lower'} is better): "
    if jump is None:
        out = head + f"with {n_scales} scales the curve's shape is not scored."
    else:
        shape = (f"step ratio {_fmt(ratio[0])}, {level:.0%} CI {_fmt(ratio[1])}-{_fmt(ratio[2])}; "
                 f"breakthroughness {_fmt(brk[0])}, linearity {_fmt(lin[0])}")
        if jump:
            out = head + f"the mean curve jumps ({shape})."
        elif not imp[1] > 0:
            out = head + (f"the mean curve does not clearly improve with scale (improvement "
                          f"{_fmt(imp[0])}, CI {_fmt(imp[1])}-{_fmt(imp[2])}; {shape}).")
        else:
            out = head + (f"the mean curve improves without a jump ({shape}; a jump needs a "
                          f"step ratio >= {jump_ratio:g}).")
        if not math.isnan(p_step):
            out += f" P(success) curve step ratio {_fmt(p_step)}."
    if bimodal is None:
        out += (" Bimodality not assessed (one run per scale)." if not has_seeds else
                " Bimodality not assessed (too few seeds or values at every scale).")
    elif bimodal:
        out += (f" The seeds are bimodal at {len(set(bimodal_at) | set(split_at))} of "
                f"{len(assessed)} assessed scales (from scale {_fmt(capacity)}"
                + (f"; split between runs at a bound of the metric and runs well away from it "
                   f"at {len(split_at)}" if split_at else "") + ").")
    else:
        out += f" The seeds are not detected as bimodal at any of {len(assessed)} assessed scales."
    if not math.isnan(seed_jump):
        out += f" {seed_jump:.0%} of single seeds' curves jump."
    return out


def _names(items: list) -> str:
    return ", ".join(map(str, items))


def _persistence(verdicts: Mapping, metrics: tuple) -> list[str]:
    out = []
    for what, attr in (("jump", "jump"), ("bimodality", "bimodal")):
        yes = [m for m in metrics if getattr(verdicts[m], attr) is True]
        no = [m for m in metrics if getattr(verdicts[m], attr) is False]
        if not yes and not no:
            out.append(f"{what.capitalize()}: not assessed.")
            continue
        cont_yes = [m for m in yes if verdicts[m].kind == "continuous"]
        cont_no = [m for m in no if verdicts[m].kind == "continuous"]
        thr_yes = [m for m in yes if verdicts[m].kind == "thresholded"]
        thr_no = [m for m in no if verdicts[m].kind == "thresholded"]
        line = f"{what.capitalize()}: under {_names(yes) or 'none'}"
        if no:
            line += f"; not under {_names(no)}"
        line += "."
        if thr_yes and cont_yes and cont_no:
            line += (f" It persists under {_names(cont_yes)} but not under {_names(cont_no)} "
                     "(continuous metrics).")
        elif thr_yes and cont_yes:
            line += (f" It persists under the continuous {_names(cont_yes)}, so it is not an "
                     "artefact of thresholding.")
        elif thr_yes and cont_no:
            line += (f" It does not persist under the continuous {_names(cont_no)}: consistent "
                     "with an artefact of thresholding each example.")
        elif cont_yes and thr_no:
            line += (f" It shows only under the continuous {_names(cont_yes)}, not under the "
                     f"thresholded {_names(thr_no)}: thresholding did not create it.")
        out.append(line)
    return out
