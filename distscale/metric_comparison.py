"""Thresholded vs continuous metrics: does the jump, does the bimodality persist?

A sudden jump of exact-match accuracy with scale may be an artefact of the
metric: a run scores an example only when *every* token is right, so a
smooth rise of per-token skill turns into a steep rise of exact match. Or the
seed population may really split into runs that learned the task and runs
that did not, and then the split shows under continuous metrics too
(per-token accuracy, edit distance, log-likelihood). :func:`compare_metrics`
puts the same runs through every metric and answers, metric by metric:

* does the **mean curve jump**? Its BIG-bench breakthroughness and linearity
  (:mod:`distscale.emergence`), computed on the curve oriented so that
  improvement is positive, and their ratio, the **step ratio**
  ``breakthroughness / linearity = sqrt(mean(Δy²) / median(Δy²))``: 1 for a
  straight line, large when a few steps carry the rise (``inf`` for an
  ideal step), whatever the metric's units;
* is the **seed distribution bimodal**? The modality scan
  (:func:`distscale.modality_scan`: dip test, Gaussian-mixture LRT,
  Holm-adjusted over scales) at every scale with enough seeds;
* how do **single seeds** behave (:func:`distscale.per_seed_emergence`), and
  how does the **share of runs reaching a level τ**, ``P(run metric ≥ τ)``
  (``≤ τ`` for lower-is-better metrics), move over a grid of τ?

Uncertainty comes from the two-level bootstrap over seeds and evaluation
examples (:func:`distscale.nested_bootstrap`), so a study with few test
examples gets honest intervals; ``bootstrap="seeds"`` resamples seeds only.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from distscale._emergence_core import MIN_POINTS, _core
from distscale._validation import (
    check_confidence_level,
    check_n_resamples,
    check_one_of,
    check_rng,
    format_labels,
)
from distscale._warnings import DegenerateDataWarning
from distscale.emergence_curves import CurveEmergence, PerSeedEmergence, curve_emergence
from distscale.emergence_curves import per_seed_emergence as _per_seed
from distscale.modality import ModalityScan, modality_scan
from distscale.nested_bootstrap import nested_bootstrap
from distscale.population import Population, _check_numeric_column
from distscale.results import ConfidenceInterval, delegate_plot, scale_labels
from distscale.summary import SummaryCurves, summary_curves

__all__ = ["DIRECTIONS", "MetricComparison", "MetricVerdict", "compare_metrics"]

#: Known metric names and whether higher is better. A column matches a name
#: when it equals it, ends with ``"_" + name`` or starts with ``name + "_"``
#: (the longest matching name wins), so ``"ipa_transliterate_2_bleu"`` is a
#: BLEU score and ``"edit_distance_normalized"`` an edit distance.
DIRECTIONS: Mapping[str, bool] = MappingProxyType(
    {
        **dict.fromkeys(
            ("exact_match", "em", "token_accuracy", "accuracy", "acc", "acc_norm",
             "choice_accuracy", "choice_accuracy_normalized", "choice_probability", "bleu",
             "chrf", "rouge", "f1", "target_logprob", "logprob"),
            True,
        ),
        **dict.fromkeys(
            ("edit_distance", "nll", "target_nll", "loss", "brier", "brier_score",
             "perplexity", "ppl", "error", "wer", "cer"),
            False,
        ),
    }
)
#: Names of metrics that threshold each example (0/1 per sample), and of
#: metrics bounded in [0, 1] (their run values get point masses at 0 and 1 in
#: the modality scan).
_THRESHOLDED = ("exact_match", "em", "accuracy", "acc", "acc_norm", "choice_accuracy",
                "choice_accuracy_normalized")
_UNIT_RANGE = _THRESHOLDED + ("token_accuracy", "choice_probability")
#: Fewest seeds at a scale for the modality scan to assess it.
MIN_MODALITY_SEEDS = 4
#: A *split* (see :func:`compare_metrics`): a point mass at a bound and a Gaussian
#: component (or a second point mass) each holding at least this share of the runs ...
_SPLIT_MIN_WEIGHT = 0.1
#: ... with the component's mean more than this many of its sds, and more than
#: this share of the metric's range, away from the bound.
_SPLIT_SEPARATION = 3.0
_SPLIT_RANGE = 0.25


def _plain(x: object) -> object:
    """NumPy scalars as Python scalars (for messages)."""
    return x.item() if isinstance(x, np.generic) else x


def _match(name: object, table: Sequence[str]) -> str | None:
    if not isinstance(name, str):
        return None
    low = name.lower()
    hits = [k for k in table if low == k or low.endswith("_" + k) or low.startswith(k + "_")]
    return max(hits, key=len) if hits else None


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class MetricVerdict:
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
        Bimodal (two Gaussian components, Holm-adjusted LRT of the modality
        scan) or split (a point mass at a bound and runs well away from it)
        at one or more assessed scales; None when no scale could be assessed
        (one run per scale, or too few seeds).
    bimodal_scales : tuple of float
        Scales detected as bimodal by the modality scan (two Gaussian components).
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


def _ro(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)
class MetricComparison:
    """The same runs seen through several metrics; returned by :func:`compare_metrics`.

    Mappings are read-only and keyed by metric name.

    Attributes
    ----------
    metrics : tuple
    scales : numpy.ndarray
    n_seeds, n_samples : numpy.ndarray
        Runs and evaluation examples at each scale.
    run_level : bool
        The input had one row per run (no per-sample level).
    bootstrap : str
        ``"nested"`` or ``"seeds"``.
    paired_examples : bool
        One example draw was shared by all scales (every scale was scored on
        the same sample ids).
    higher_is_better, kinds, thresholds, tau_grids : Mapping
        Direction, kind (``"thresholded"``/``"continuous"``), success
        threshold of the summary curves, and τ grid of each metric.
    populations : Mapping of Population
        The run-level population of each metric (mean over samples per run).
    summaries : Mapping of SummaryCurves
    summary_scores : Mapping of CurveEmergence or None
        Emergence scores of the summary curves (None below 3 scales).
    modality : Mapping of ModalityScan or None
        None when no scale has ``MIN_MODALITY_SEEDS`` seeds.
    per_seed : Mapping of PerSeedEmergence or None
    verdicts : Mapping of MetricVerdict
    jump_ratio, n_resamples, confidence_level
    notes : tuple of str
        Caveats: skipped pieces and the warnings of the component analyses.
    """

    metrics: tuple
    scales: np.ndarray
    n_seeds: np.ndarray
    n_samples: np.ndarray
    run_level: bool
    bootstrap: str
    paired_examples: bool
    higher_is_better: Mapping[Hashable, bool]
    kinds: Mapping[Hashable, str]
    thresholds: Mapping[Hashable, float]
    tau_grids: Mapping[Hashable, np.ndarray]
    populations: Mapping[Hashable, Population] = field(repr=False)
    summaries: Mapping[Hashable, SummaryCurves] = field(repr=False)
    summary_scores: Mapping[Hashable, CurveEmergence | None] = field(repr=False)
    modality: Mapping[Hashable, ModalityScan | None] = field(repr=False)
    per_seed: Mapping[Hashable, PerSeedEmergence | None] = field(repr=False)
    verdicts: Mapping[Hashable, MetricVerdict] = field(repr=False)
    jump_ratio: float
    n_resamples: int
    confidence_level: float
    notes: tuple[str, ...] = field(repr=False)
    _frame: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        parts = []
        for m in self.metrics:
            v = self.verdicts[m]
            jump = {True: "jump", False: "no jump", None: "jump n/a"}[v.jump]
            bim = {True: "bimodal", False: "not bimodal", None: "bimodality n/a"}[v.bimodal]
            parts.append(f"{m!s}: {jump}, {bim}")
        return (
            f"MetricComparison({len(self.scales)} scales, {self.bootstrap} bootstrap; "
            + "; ".join(parts)
            + ")"
        )

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of every estimate.

        Columns: ``metric, source, quantity, scale, tau, estimate, ci_low,
        ci_high, n_seeds``. ``scale`` is NaN for curve-level quantities
        (breakthroughness ...), ``tau`` is NaN except for ``p_reach`` rows.
        ``source`` says where a row comes from: ``"runs"`` (run-level values
        with intervals from the nested or seed bootstrap), ``"summary_curves"``
        (seed-bootstrap intervals), ``"summary_emergence"``,
        ``"modality_scan"`` (no intervals; ``bimodal`` is 1/0, NaN where not
        assessed) and ``"per_seed"``.
        """
        return self._frame.copy()

    def verdict(self, metric: Hashable | None = None) -> str:
        """The verdict text of one metric, or of every metric (one paragraph each)."""
        if metric is not None:
            if metric not in self.verdicts:
                raise ValueError(f"`metric` {metric!r} is not one of {list(self.metrics)}")
            return self.verdicts[metric].text
        return "\n".join(self.verdicts[m].text for m in self.metrics)

    def summary(self) -> str:
        """Verdicts of every metric and whether the jump and the bimodality persist."""
        lines = [
            f"{len(self.metrics)} metrics over {len(self.scales)} scales "
            f"({_span(self.n_seeds)} runs and {_span(self.n_samples)} samples per scale; "
            f"{self.bootstrap} bootstrap, {self.n_resamples} resamples).",
            "",
            self.verdict(),
            "",
        ]
        lines.append(self.persistence())
        if self.notes:
            lines += ["", f"{len(self.notes)} caveats: see `.notes`."]
        return "\n".join(lines)

    def persistence(self) -> str:
        """Whether the jump and the bimodality persist from thresholded to continuous metrics.

        One line each: which metrics show the jump (bimodality), which do not,
        and what that says when thresholded (0/1 per example) and continuous
        metrics disagree or agree. Metrics should measure the same task.
        """
        return "\n".join(_persistence(self.verdicts, self.metrics))

    def plot(self, ax: object = None) -> object:
        """Draw the comparison with :func:`distscale.plot.metric_comparison` (lazily)."""
        return delegate_plot("metric_comparison", self, ax)


def _span(counts: np.ndarray) -> str:
    lo, hi = int(counts.min()), int(counts.max())
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


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


# --------------------------------------------------------------------------- inputs
def _check_metrics_arg(metrics: object) -> tuple[Hashable, ...]:
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, Sequence) or isinstance(metrics, bytes):
        raise TypeError(f"`metrics` must be a list of column names; got {type(metrics).__name__}")
    names = tuple(metrics)
    if not names:
        raise ValueError("`metrics` must name at least one metric column; got an empty list")
    if len(set(names)) != len(names):
        raise ValueError(f"`metrics` names a column more than once: {list(names)}")
    return names


def _per_metric(name: str, value: object, metrics: tuple, check) -> dict:
    """Expand ``value`` (None, one value for all, or a mapping) to ``{metric: value}``."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in metrics]
        if unknown:
            raise ValueError(
                f"`{name}` has keys {format_labels(unknown)} that are not in `metrics` "
                f"{list(metrics)}"
            )
        return {k: check(f"{name}[{k!r}]", v) for k, v in value.items()}
    return {m: check(name, value) for m in metrics}


def _check_number(name: str, value: object) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {type(value).__name__}")
    if not math.isfinite(float(value)):
        raise ValueError(f"`{name}` must be finite; got {value}")
    return float(value)


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False; got {type(value).__name__}")
    return bool(value)


def _check_grid(name: str, value: object) -> np.ndarray:
    if isinstance(value, (str, bytes)) or np.ndim(value) != 1:
        raise TypeError(f"`{name}` must be a 1-D sequence of numbers")
    if any(isinstance(v, (bool, np.bool_)) for v in value):
        raise TypeError(f"`{name}` must contain numbers, not booleans")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must contain only numbers") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be a non-empty sequence of finite numbers")
    return np.unique(arr)


def _prepare(
    samples: object, scale: Hashable, seed: Hashable | None, metrics: tuple, sample: object
) -> tuple[pd.DataFrame, bool, list[str]]:
    """Validated frame with columns ``_scale, _seed, _sample`` + metrics; run-level flag; notes."""
    if not isinstance(samples, pd.DataFrame):
        raise TypeError(f"`samples` must be a pandas DataFrame; got {type(samples).__name__}")
    if len(samples) == 0:
        raise ValueError("`samples` is empty")
    notes: list[str] = []
    named = [("scale", scale)] + ([("seed", seed)] if seed is not None else [])
    named += [(f"metrics[{i}]", m) for i, m in enumerate(metrics)]
    missing = [f"`{r}` column {c!r}" for r, c in named if c not in samples.columns]
    if missing:
        raise ValueError(
            f"{', '.join(missing)} not found in `samples`; available columns: "
            f"{list(samples.columns)}"
        )
    roles = [c for _, c in named] + ([sample] if sample is not None else [])
    if len(set(roles)) != len(roles):
        raise ValueError(f"`scale`, `seed`, `sample` and `metrics` must be distinct columns; "
                         f"got {roles}")
    frame = pd.DataFrame(index=samples.index)
    frame["_scale"] = _check_numeric_column(samples, scale, "scale")
    bad = samples.index[~np.isfinite(frame["_scale"].to_numpy())]
    if len(bad):
        raise ValueError(f"`scale` column {scale!r} has {len(bad)} NaN or infinite values "
                         f"(rows {format_labels(bad.tolist())})")
    if seed is None:
        frame["_seed"] = 0
    else:
        bad = samples.index[samples[seed].isna()]
        if len(bad):
            raise ValueError(f"`seed` column {seed!r} has {len(bad)} missing values "
                             f"(rows {format_labels(bad.tolist())})")
        frame["_seed"] = samples[seed].to_numpy()
    run_level = sample is None or sample not in samples.columns
    if run_level:
        dup = frame.duplicated(["_scale", "_seed"], keep=False)
        if dup.any():
            what = "no `sample` column was given" if sample is None else (
                f"`sample` column {sample!r} is not in `samples`")
            raise ValueError(
                f"{what}, so each row must be one run, but {int(dup.sum())} rows repeat a "
                f"(scale, seed) pair (rows {format_labels(samples.index[dup].tolist())}); "
                "name the column that identifies the evaluation example with `sample=`"
                + (", or the seed column with `seed=`" if seed is None else "")
            )
        frame["_sample"] = 0
        notes.append("the input is run-level (one row per run): aggregation over samples is "
                     "the identity and the nested bootstrap reduces to the seed bootstrap")
    else:
        bad = samples.index[samples[sample].isna()]
        if len(bad):
            raise ValueError(f"`sample` column {sample!r} has {len(bad)} missing values "
                             f"(rows {format_labels(bad.tolist())})")
        frame["_sample"] = samples[sample].to_numpy()
        dup = frame.duplicated(["_scale", "_seed", "_sample"], keep=False)
        if dup.any():
            first = frame.loc[dup].iloc[0]
            rows = format_labels(samples.index[dup].tolist())
            raise ValueError(
                f"duplicate (scale, seed, sample) rows: {int(dup.sum())} rows share a key, e.g. "
                f"scale={first['_scale']:g}, seed={_plain(first['_seed'])!r}, "
                f"sample={_plain(first['_sample'])!r} (rows {rows}); each run must score each "
                "sample once" + ("; with seed=None each scale must hold one run (pass `seed=` "
                                 "if rows differ by seed)" if seed is None else "")
            )
    for m in metrics:
        col = samples[m]
        if pd.api.types.is_bool_dtype(col.dtype):
            values = col.astype(float)  # a per-sample indicator (exact match): 0/1
        else:
            values = _check_numeric_column(samples, m, f"metrics[{metrics.index(m)}]")
        bad = samples.index[~np.isfinite(values.to_numpy())]
        if len(bad):
            raise ValueError(
                f"metric column {m!r} has {len(bad)} NaN or infinite values "
                f"(rows {format_labels(bad.tolist())}); every run must have a finite score "
                "on every sample"
            )
        frame[m] = values.to_numpy(dtype=float)
    return frame, run_level, notes


def _matrices(frame: pd.DataFrame, metrics: tuple) -> tuple[np.ndarray, list, list, list]:
    """Per scale: seed labels, sample labels and ``{metric: (seeds, samples) matrix}``."""
    scales, seeds, ids, mats = [], [], [], []
    for s, g in frame.groupby("_scale", sort=True):
        wide = g.pivot(index="_seed", columns="_sample", values=list(metrics))
        holes = wide[metrics[0]].isna()
        if holes.to_numpy().any():
            seed_missing = holes.sum(axis=1)
            worst = seed_missing[seed_missing > 0]
            first = _plain(worst.index[0])
            lacking = holes.columns[holes.loc[first].to_numpy()].tolist()
            raise ValueError(
                f"at scale {scale_labels(np.array([s]))[0]}, {len(worst)} seeds lack samples "
                f"that other seeds there have: seed {first!r} lacks {len(lacking)} "
                f"(sample ids {format_labels(lacking)}); every seed at a scale must be scored "
                "on the same samples (drop the incomplete samples or seeds first)"
            )
        scales.append(float(s))
        seeds.append(list(wide.index))
        ids.append(list(wide[metrics[0]].columns))
        mats.append({m: wide[m].to_numpy(dtype=float) for m in metrics})
    return np.array(scales), seeds, ids, mats


def _split(fit: object) -> bool:
    """A point mass at a bound and a component (or mass) far from it, both >= 10% of runs."""
    if fit is None:
        return False
    masses = [(float(loc), float(w)) for loc, w in
              zip(fit.point_mass_locations, fit.point_mass_weights, strict=True)
              if w >= _SPLIT_MIN_WEIGHT]
    if len(masses) >= 2:
        return True
    width = fit.bounds[1] - fit.bounds[0] if fit.bounds is not None else math.inf
    return any(
        w >= _SPLIT_MIN_WEIGHT
        and abs(mu - loc) > max(_SPLIT_SEPARATION * sd, _SPLIT_RANGE * width)
        for loc, _ in masses
        for w, mu, sd in zip(fit.weights, fit.means, fit.sds, strict=True)
    )


class _Notes:
    """Collect DegenerateDataWarning / UserWarning messages of component analyses."""

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes
        self.count = 0

    def run(self, label: str, fn, *args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = fn(*args, **kwargs)
        for w in caught:
            if issubclass(w.category, UserWarning):
                self.notes.append(f"{label}: {w.message}")
                self.count += 1
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return out


# ------------------------------------------------------------------------ statistics
def _ratio(brk: np.ndarray, lin: np.ndarray) -> np.ndarray:
    out = np.full(np.shape(brk), np.nan)
    np.divide(np.abs(brk), np.abs(lin), out=out, where=lin != 0)
    return out


def _run_statistic(n_scales: int, taus: np.ndarray, higher: bool):
    """Per scale: mean, P(reach τ); per curve: scores of the oriented mean and P(reach τ)."""
    sign = 1.0 if higher else -1.0
    n_tau = taus.size

    def statistic(*runs: np.ndarray) -> np.ndarray:
        b = runs[0].shape[0]
        means = np.column_stack([r.mean(axis=1) for r in runs])
        reach = np.stack(
            [((r[:, :, None] >= taus) if higher else (r[:, :, None] <= taus)).mean(axis=1)
             for r in runs],
            axis=1,
        )  # (b, n_scales, n_tau)
        out = [means, reach.reshape(b, -1)]
        if n_scales >= MIN_POINTS:
            core = _core(sign * means)
            out.append(np.column_stack([core.breakthroughness, core.linearity, core.improvement,
                                        _ratio(core.breakthroughness, core.linearity)]))
            curves = reach.transpose(0, 2, 1).reshape(b * n_tau, n_scales)
            pc = _core(curves)
            out.append(np.column_stack(
                [x.reshape(b, n_tau) for x in (pc.breakthroughness, pc.linearity,
                                               _ratio(pc.breakthroughness, pc.linearity))]
            ))
        return np.hstack(out)

    return statistic


def _rows(metric, source, quantity, scale, tau, est, lo=np.nan, hi=np.nan, n=np.nan):
    k = np.size(est)
    full = [np.broadcast_to(np.asarray(x, dtype=float), (k,)) for x in (scale, tau, est, lo, hi, n)]
    return pd.DataFrame({
        "metric": pd.Series([metric] * k, dtype=object),
        "source": source,
        "quantity": quantity if np.ndim(quantity) else [quantity] * k,
        "scale": full[0], "tau": full[1], "estimate": full[2],
        "ci_low": full[3], "ci_high": full[4], "n_seeds": full[5],
    })


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return "inf" if math.isinf(x) else f"{x:.3g}"


# ------------------------------------------------------------- per-metric analyses
@dataclass
class _Study:
    """What every per-metric analysis of one :func:`compare_metrics` call shares."""

    scales: np.ndarray
    n_seeds: np.ndarray
    mats: list
    paired: bool
    level: str
    n_resamples: int
    confidence_level: float
    rng: np.random.Generator
    log: _Notes
    progress: bool
    scale: Hashable
    seed: Hashable
    has_seeds: bool
    jump_ratio: float
    modality_options: dict
    parts: list


def _runs_part(ctx: _Study, m: Hashable, taus: np.ndarray, higher: bool) -> dict:
    """Nested (or seed) bootstrap of the run values; returns the mean curve's scores."""
    n, n_tau = ctx.scales.size, taus.size
    res = ctx.log.run(f"{m}: bootstrap", nested_bootstrap, [mt[m] for mt in ctx.mats],
                      _run_statistic(n, taus, higher), level=ctx.level,
                      paired_examples=ctx.paired, n_resamples=ctx.n_resamples,
                      confidence_level=ctx.confidence_level, rng=ctx.rng, progress=ctx.progress)
    est, low, high = res.estimate, res.ci_low, res.ci_high
    add = ctx.parts.append
    add(_rows(m, "runs", "mean", ctx.scales, np.nan, est[:n], low[:n], high[:n], ctx.n_seeds))
    j = n + n * n_tau
    add(_rows(m, "runs", "p_reach", np.repeat(ctx.scales, n_tau), np.tile(taus, n),
              est[n:j], low[n:j], high[n:j], np.repeat(ctx.n_seeds, n_tau)))
    curve = dict.fromkeys(("breakthroughness", "linearity", "improvement", "step_ratio"),
                          (np.nan, np.nan, np.nan))
    if n >= MIN_POINTS:
        for i, name in enumerate(curve):
            curve[name] = (est[j + i], low[j + i], high[j + i])
            add(_rows(m, "runs", f"mean_{name}", np.nan, np.nan, *curve[name]))
        j += 4
        for i, name in enumerate(("breakthroughness", "linearity", "step_ratio")):
            sl = slice(j + i * n_tau, j + (i + 1) * n_tau)
            add(_rows(m, "runs", f"p_reach_{name}", np.nan, taus, est[sl], low[sl], high[sl]))
    return curve


def _summary_part(ctx: _Study, m: Hashable, pop: Population, threshold: float, higher: bool):
    """Summary curves, their emergence scores, and the step ratio of P(success)."""
    summ = ctx.log.run(f"{m}: summary curves", summary_curves, pop, threshold=threshold,
                       higher_is_better=higher, n_resamples=ctx.n_resamples,
                       confidence_level=ctx.confidence_level, rng=ctx.rng)
    sf = summ.to_frame()
    ctx.parts.append(_rows(m, "summary_curves", sf["statistic"].to_numpy(), sf["scale"],
                           np.nan, sf["estimate"], sf["ci_low"], sf["ci_high"], sf["n"]))
    if ctx.scales.size < MIN_POINTS:
        return summ, None, np.nan
    sc = ctx.log.run(f"{m}: summary emergence", curve_emergence, summ)
    for name in ("breakthroughness", "linearity"):
        ctx.parts.append(_rows(m, "summary_emergence", [f"{s}_{name}" for s in sc.statistics],
                               np.nan, np.nan, getattr(sc, name)))
    i = sc.statistics.index("p_success")
    return summ, sc, float(_ratio(sc.breakthroughness[i:i + 1], sc.linearity[i:i + 1])[0])


def _modality_part(ctx: _Study, m: Hashable, pop: Population, threshold: float, higher: bool,
                   bounded: bool):
    """Modality scan on the scales with enough seeds; bimodal and split scales."""
    none = (None, (), (), (), None)
    if not ctx.has_seeds:
        return none
    enough = ctx.n_seeds >= MIN_MODALITY_SEEDS
    if not enough.all():
        labels = scale_labels(ctx.scales)
        ctx.log.notes.append(
            f"{m}: modality not assessed at scales "
            f"{format_labels([labels[i] for i in np.flatnonzero(~enough)])} "
            f"(fewer than {MIN_MODALITY_SEEDS} seeds)"
        )
    if not enough.any():
        return none
    opts = {"method": "lrt", "n_boot_ci": None,
            "n_resamples": max(199, 20 * int(enough.sum()) - 1)}
    if bounded:
        opts["bounds"] = (0.0, 1.0)
    opts.update(ctx.modality_options)
    runs = pop.to_frame()
    keep = np.isin(runs[ctx.scale].to_numpy(), ctx.scales[enough])
    sub = Population(runs.loc[keep], scale=ctx.scale, seed=ctx.seed, value=m)
    scan = ctx.log.run(f"{m}: modality scan", modality_scan, sub, success_threshold=threshold,
                       higher_is_better=higher, rng=ctx.rng, progress=ctx.progress, **opts)
    split = np.array([_split(f) for f in scan.fits], dtype=bool)
    ok = ~scan.degenerate | split
    either = scan.bimodal | split
    bim = np.where(ok, scan.bimodal.astype(float), np.nan)
    pval = scan.adjusted_pvalue if scan.adjusted_pvalue is not None else bim * np.nan
    for q, v in (("dip_pvalue", scan.dip_pvalue), ("adjusted_pvalue", pval),
                 ("n_components", scan.n_components), ("bimodal", bim),
                 ("split", split.astype(float))):
        ctx.parts.append(_rows(m, "modality_scan", q, scan.scales, np.nan, v, n=scan.n_seeds))
    return (scan, tuple(scan.scales[ok].tolist()), tuple(scan.scales[scan.bimodal].tolist()),
            tuple(scan.scales[split].tolist()),
            float(scan.scales[either][0]) if either.any() else None)


def _per_seed_part(ctx: _Study, m: Hashable, pop: Population, higher: bool):
    """Every seed's own curve scored (oriented); the share of seeds whose curve jumps."""
    if not (ctx.has_seeds and ctx.scales.size >= MIN_POINTS and (ctx.n_seeds > 1).any()):
        return None, np.nan
    try:
        ps = ctx.log.run(f"{m}: per-seed emergence", _per_seed, pop, metric=m)
    except ValueError as exc:  # no seed spans 3 scales
        ctx.log.notes.append(f"{m}: per-seed emergence skipped ({exc})")
        return None, np.nan
    sign = 1.0 if higher else -1.0
    brk, lin = sign * ps.breakthroughness, sign * ps.linearity
    seed_jump = float(np.mean((_ratio(brk, lin) >= ctx.jump_ratio) & (brk > 0)))
    for name, arr in (("breakthroughness", brk), ("linearity", lin)):
        q = np.quantile(arr, [0.25, 0.5, 0.75], method="inverted_cdf")
        ctx.parts.append(_rows(m, "per_seed", [f"seed_{name}_{s}" for s in
                                               ("q25", "median", "q75")], np.nan, np.nan, q))
    ctx.parts.append(_rows(m, "per_seed", "seed_jump_fraction", np.nan, np.nan, seed_jump))
    return ps, seed_jump


# --------------------------------------------------------------------------- function
def compare_metrics(
    samples: pd.DataFrame,
    *,
    scale: Hashable,
    seed: Hashable | None,
    metrics: Sequence[Hashable],
    sample: Hashable | None = "sample_id",
    thresholds: float | Mapping[Hashable, float] | None = None,
    higher_is_better: bool | Mapping[Hashable, bool] | None = None,
    tau_grid: Sequence[float] | Mapping[Hashable, Sequence[float]] | None = None,
    bootstrap: str = "nested",
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    jump_ratio: float = 2.0,
    modality_options: Mapping[str, object] | None = None,
    rng: int | np.random.Generator | None = None,
    progress: bool = False,
) -> MetricComparison:
    """Compare metrics of the same runs: do the jump and the bimodality persist?

    ``samples`` holds per-sample scores (one row per scale, seed and
    evaluation example, one column per metric, e.g. from
    :func:`distscale.metrics.score_samples`) or run-level scores (one row
    per run). Per metric: the run-level population (mean over samples per
    (scale, seed)); its summary curves; its modality scan; the emergence
    scores of the mean curve with bootstrap intervals; the per-seed
    emergence scores; and ``P(run metric ≥ τ)`` over a grid of τ.

    Parameters
    ----------
    samples : pandas.DataFrame
        Per-sample or run-level scores.
    scale : str
        Numeric scale column.
    seed : str or None
        Seed column. None when there is one run per scale (a scale series
        such as Pythia or ObsScaling): modality and per-seed analyses are
        then skipped, with a note, and only examples are resampled.
    metrics : list of str
        Metric columns (numeric or boolean; finite).
    sample : str or None, default "sample_id"
        Column identifying the evaluation example. If None or absent from
        ``samples``, each row must be one run (run-level input).
    thresholds : float or mapping, optional
        Success threshold of each metric's summary curves (a run succeeds
        when strictly above it, below it for lower-is-better metrics).
        Default: the midpoint of the metric's observed run-level range.
    higher_is_better : bool or mapping, optional
        Direction of each metric. Default: from :data:`DIRECTIONS` by name;
        a metric with an unknown name must be given here.
    tau_grid : sequence or mapping of sequences, optional
        Levels τ for ``P(run metric ≥ τ)``. Default: 9 evenly spaced levels
        strictly inside each metric's observed run-level range (10%, 20%,
        ..., 90% of the way).
    bootstrap : {"nested", "seeds"}, default "nested"
        Resample seeds and examples (:func:`distscale.nested_bootstrap`), or
        seeds only.
    n_resamples : int, default 1000
        Resamples of the bootstrap and of the summary curves.
    confidence_level : float, default 0.95
    jump_ratio : float, default 2.0
        A mean curve jumps when it improves and its step ratio
        ``breakthroughness / linearity`` is at least this (a straight line
        has 1; 2 means the root-mean-square step is twice the median step).
    modality_options : mapping, optional
        Keyword arguments for :func:`distscale.modality_scan` (default:
        ``method="lrt"``, ``n_resamples=199`` raised to ``20 * n_scales - 1``
        when needed for Holm's correction, no component intervals, bounds
        ``(0, 1)`` for 0/1 and known unit-range metrics).
    rng : int, numpy.random.Generator or None
    progress : bool, default False

    Returns
    -------
    MetricComparison

    Raises
    ------
    TypeError
        If ``samples`` is not a DataFrame, a metric or the scale is not
        numeric, or an option has the wrong type.
    ValueError
        If a column is missing, a value is NaN/inf, a (scale, seed, sample)
        key repeats, a seed lacks samples others at its scale have, a
        threshold or τ is not finite, a mapping names an unknown metric, or
        a metric's direction is unknown.

    Notes
    -----
    **Bimodality.** The modality scan tests one against two Gaussian
    components among the runs strictly inside the metric's bounds, with a
    point mass for runs exactly at a bound (0 or 1 for a 0/1 or unit-range
    metric); scales where ties make the test meaningless are not tested. A
    thresholded metric often puts every failed run at exactly 0 -- a point
    mass, not a Gaussian component -- so a scale also counts as bimodal when
    its fit is *split*: a point mass at a bound holding at least 10% of the
    runs, and a Gaussian component holding at least 10% whose mean lies more
    than 3 of its sds and more than a quarter of the metric's range away
    from that bound (or a second such point mass at the other bound). The
    split rule is descriptive, not a test. A scale is *assessed* when it has
    at least 4 seeds and was tested, or is split.

    Every scale's samples form a seeds x samples matrix; when all scales
    share the same sample ids, one example draw per replicate serves all
    scales (``paired_examples``), so the example difficulty that shifts all
    scales alike does not blur the shape of the curve. The step ratio and
    breakthroughness of a curve with flat steps can be ``inf``; such values
    count as valid resamples (an interval may end at ``inf``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import distscale
    >>> rng = np.random.default_rng(0)
    >>> rows = []
    >>> for s, p in enumerate([0.5, 0.6, 0.7, 0.8, 0.9]):  # per-token skill
    ...     for seed in range(6):
    ...         for i in range(30):
    ...             tokens = rng.random(10) < p
    ...             rows.append((s, seed, i, float(tokens.all()), tokens.mean()))
    >>> df = pd.DataFrame(rows, columns=["scale", "seed", "sample_id", "exact_match",
    ...                                  "token_accuracy"])
    >>> res = distscale.compare_metrics(df, scale="scale", seed="seed",
    ...                                 metrics=["exact_match", "token_accuracy"],
    ...                                 n_resamples=200, rng=0)
    >>> res.verdicts["token_accuracy"].jump, res.verdicts["exact_match"].jump
    (False, True)
    """
    metrics = _check_metrics_arg(metrics)
    check_one_of("bootstrap", bootstrap, ("nested", "seeds"))
    n_resamples = check_n_resamples(n_resamples, minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    jump_ratio = _check_number("jump_ratio", jump_ratio)
    if jump_ratio < 1:
        raise ValueError(f"`jump_ratio` must be at least 1 (a straight line); got {jump_ratio}")
    if modality_options is not None and not isinstance(modality_options, Mapping):
        raise TypeError("`modality_options` must be a mapping of keyword arguments or None")
    modality_options = dict(modality_options or {})
    clash = {"metric", "scale", "seed", "value", "rng", "success_threshold",
             "higher_is_better"} & set(modality_options)
    if clash:
        raise ValueError(f"`modality_options` cannot set {sorted(clash)}; compare_metrics sets "
                         "them per metric")
    generator = check_rng(rng)
    thr_user = _per_metric("thresholds", thresholds, metrics, _check_number)
    hib_user = _per_metric("higher_is_better", higher_is_better, metrics, _check_bool)
    grid_user = _per_metric("tau_grid", tau_grid, metrics, _check_grid)
    directions = {}
    for m in metrics:
        key = _match(m, tuple(DIRECTIONS))
        if m in hib_user:
            directions[m] = hib_user[m]
        elif key is not None:
            directions[m] = DIRECTIONS[key]
        else:
            raise ValueError(
                f"the direction of metric {m!r} is unknown; pass higher_is_better={{{m!r}: "
                f"True or False}} (known names: {', '.join(DIRECTIONS)})"
            )

    frame, run_level, notes = _prepare(samples, scale, seed, metrics, sample)
    scales, seed_labels, sample_ids, mats = _matrices(frame, metrics)
    n_scales = scales.size
    n_seeds = np.array([len(s) for s in seed_labels], dtype=np.int64)
    n_samples = np.array([len(i) for i in sample_ids], dtype=np.int64)
    paired = bootstrap == "nested" and not run_level and n_scales > 1 and all(
        ids == sample_ids[0] for ids in sample_ids)
    has_seeds = seed is not None
    if not has_seeds:
        notes.append("seed=None (one run per scale): no modality scan and no per-seed curves; "
                     "intervals reflect only the resampling of examples")
    if n_scales < MIN_POINTS:
        notes.append(f"{n_scales} scales: curve scores (breakthroughness, linearity) need "
                     f"{MIN_POINTS}; no jump verdict")
    seed_col = seed if seed is not None else "seed"
    run_frame = frame.groupby(["_scale", "_seed"], sort=True)[list(metrics)].mean()
    run_frame = run_frame.reset_index().rename(columns={"_scale": scale, "_seed": seed_col})
    all_pop = Population(run_frame, scale=scale, seed=seed_col, value=list(metrics))
    log = _Notes(notes)

    ctx = _Study(scales=scales, n_seeds=n_seeds, mats=mats, paired=paired, level=bootstrap,
                 n_resamples=n_resamples, confidence_level=confidence_level, rng=generator,
                 log=log, progress=progress, scale=scale, seed=seed_col, has_seeds=has_seeds,
                 jump_ratio=jump_ratio, modality_options=modality_options, parts=[])
    kinds, thr, grids, pops, summ, sscores, scans, seeds_em, verdicts = ({} for _ in range(9))
    for m in metrics:
        higher = directions[m]
        binary = not run_level and bool(np.isin(frame[m].to_numpy(), (0.0, 1.0)).all())
        known = _match(m, tuple(DIRECTIONS))
        if known is not None:
            kinds[m] = "thresholded" if known in _THRESHOLDED else "continuous"
        else:
            kinds[m] = "thresholded" if binary else "continuous"
        pops[m] = pop = all_pop.select(metric=m)
        values = np.concatenate(pop.values())
        lo, hi = float(values.min()), float(values.max())
        thr[m] = thr_user.get(m, (lo + hi) / 2)
        grids[m] = grid_user.get(m, np.linspace(lo, hi, 11)[1:-1] if hi > lo else np.array([lo]))

        curve = _runs_part(ctx, m, grids[m], higher)
        summ[m], sscores[m], p_step = _summary_part(ctx, m, pop, thr[m], higher)
        bounded = (binary or known in _UNIT_RANGE) and lo >= 0 and hi <= 1
        scans[m], assessed, bimodal_at, split_at, capacity = _modality_part(
            ctx, m, pop, thr[m], higher, bounded)
        seeds_em[m], seed_jump = _per_seed_part(ctx, m, pop, higher)

        brk, lin, imp, ratio = (curve[k] for k in curve)
        jump = None
        if n_scales >= MIN_POINTS:
            jump = bool(imp[1] > 0 and ratio[0] >= jump_ratio)
        bimodal = None if not assessed else bool(bimodal_at or split_at)
        verdicts[m] = MetricVerdict(
            metric=m, kind=kinds[m], higher_is_better=higher, jump=jump,
            step_ratio=float(ratio[0]),
            step_ratio_ci=ConfidenceInterval(float(ratio[1]), float(ratio[2])),
            breakthroughness=float(brk[0]), linearity=float(lin[0]), improvement=float(imp[0]),
            p_success_step_ratio=p_step, bimodal=bimodal, bimodal_scales=bimodal_at,
            split_scales=split_at, assessed_scales=assessed, capacity_threshold=capacity,
            seed_jump_fraction=seed_jump,
            text=_text(m, kinds[m], higher, jump, curve, jump_ratio, confidence_level, p_step,
                       bimodal, bimodal_at, split_at, assessed, capacity, seed_jump, has_seeds,
                       n_scales),
        )

    if log.count:
        warnings.warn(
            f"compare_metrics: {log.count} caveats from the component analyses (single "
            "seeds, ties, flat curves, scales not assessed ...); see MetricComparison.notes",
            DegenerateDataWarning,
            stacklevel=2,
        )
    table = pd.concat(ctx.parts, ignore_index=True)
    return MetricComparison(
        metrics=metrics, scales=scales, n_seeds=n_seeds, n_samples=n_samples,
        run_level=run_level, bootstrap=bootstrap, paired_examples=paired,
        higher_is_better=_ro(directions), kinds=_ro(kinds), thresholds=_ro(thr),
        tau_grids=_ro(grids), populations=_ro(pops), summaries=_ro(summ),
        summary_scores=_ro(sscores), modality=_ro(scans), per_seed=_ro(seeds_em),
        verdicts=_ro(verdicts), jump_ratio=jump_ratio, n_resamples=n_resamples,
        confidence_level=confidence_level, notes=tuple(notes), _frame=table,
    )


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
            out = head + (f"the mean curve rises without a jump ({shape}; a jump needs a step "
                          f"ratio >= {jump_ratio:g}).")
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
