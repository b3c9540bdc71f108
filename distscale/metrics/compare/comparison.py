"""Thresholded vs continuous metrics: does the jump, does the bimodality persist?

A sudden jump of exact-match accuracy with scale may be an artefact of the
metric: a run scores an example only when *every* token is right, so a
smooth rise of per-token skill turns into a steep rise of exact match. Or the
seed population may really split into runs that learned the task and runs
that did not, and then the split shows under continuous metrics too
(per-token accuracy, edit distance, log-likelihood). :func:`compare_metrics`
puts the same runs through every metric and answers, metric by metric:

* does the **mean curve jump**? Its BIG-bench breakthroughness and linearity
  (:mod:`distscale.describe.emergence`), computed on the curve oriented so that
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

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from distscale._lib.results import Result
from distscale._lib.validation import (
    BOOLEAN,
    THRESHOLD,
    check_confidence_level,
    check_n_resamples,
    check_one_of,
    check_rng,
)
from distscale._lib.warnings import DegenerateDataWarning
from distscale.describe.emergence_core import MIN_POINTS
from distscale.describe.emergence_curves import CurveEmergence, PerSeedEmergence
from distscale.describe.summary import SummaryCurves
from distscale.metrics.compare.analyses import (  # MIN_MODALITY_SEEDS: re-exported
    MIN_MODALITY_SEEDS,  # noqa: F401
    Study,
    _Notes,
    modality_part,
    per_seed_part,
    runs_part,
    summary_part,
)
from distscale.metrics.compare.checks import (
    _directions,
    _match,
    _matrices,
    check_grid,
    check_jump_ratio,
    check_metrics_arg,
    check_modality_options,
    per_metric,
    prepare,
    run_population,
)
from distscale.metrics.compare.verdict import MetricVerdict, _persistence, _verdict
from distscale.modality.scan import ModalityScan
from distscale.population import Population

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
             "perplexity", "ppl", "error", "wer", "cer", "bits_per_byte"),
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


def _ro(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)
class MetricComparison(Result):
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



def _span(counts: np.ndarray) -> str:
    lo, hi = int(counts.min()), int(counts.max())
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


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
        Direction of each metric. Default: the direction recorded with the
        table (``samples.attrs["higher_is_better"]``, which
        :func:`distscale.io.read_lm_eval` takes from the harness's own
        ``higher_is_better`` and :func:`distscale.io.read_lm_eval_samples`
        sets for the harness's metrics), else from :data:`DIRECTIONS` by
        name; a metric with an unknown direction must be given here.
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
    **Bimodality.** The verdict is :func:`distscale.modality_scan`'s: one
    against two Gaussian components among the runs strictly inside the
    metric's bounds (0 and 1 for a 0/1 or unit-range metric; elsewhere piles
    of runs at the smallest or largest value, found with ``bounds="auto"``),
    counted only when the two components are well separated (Ashman's D);
    and a pile of runs at a bound -- a thresholded metric often puts every
    failed run at exactly 0 -- is a mode of its own (a *split*,
    ``split_scales``) when its weight's seed-bootstrap interval excludes 0
    and it lies at least ``min_separation`` sds from the continuous part. A
    scale is bimodal with two modes or more. A scale is *assessed* when it
    has at least 4 seeds and was tested, or is split.

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
    metrics = check_metrics_arg(metrics)
    check_one_of("bootstrap", bootstrap, ("nested", "seeds"))
    n_resamples = check_n_resamples(n_resamples, minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    jump_ratio = check_jump_ratio(jump_ratio)
    modality_options = check_modality_options(modality_options)
    generator = check_rng(rng)
    thr_user = per_metric("thresholds", thresholds, metrics, THRESHOLD)
    hib_user = per_metric("higher_is_better", higher_is_better, metrics, BOOLEAN)
    recorded = getattr(samples, "attrs", {}).get("higher_is_better")  # set by the lm-eval readers
    if isinstance(recorded, Mapping):
        hib_user = {**{m: bool(recorded[m]) for m in metrics if isinstance(recorded.get(m), bool)},
                    **hib_user}
    grid_user = per_metric("tau_grid", tau_grid, metrics, check_grid)
    directions = _directions(metrics, hib_user, DIRECTIONS)

    frame, run_level, notes = prepare(samples, scale, seed, metrics, sample)
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
    all_pop = run_population(frame, metrics, scale, seed_col)
    log = _Notes(notes)

    ctx = Study(scales=scales, n_seeds=n_seeds, mats=mats, paired=paired, level=bootstrap,
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

        curve = runs_part(ctx, m, grids[m], higher)
        summ[m], sscores[m], p_step = summary_part(ctx, m, pop, thr[m], higher)
        bounded = (binary or known in _UNIT_RANGE) and lo >= 0 and hi <= 1
        scans[m], assessed, bimodal_at, split_at, capacity = modality_part(
            ctx, m, pop, thr[m], higher, bounded)
        seeds_em[m], seed_jump = per_seed_part(ctx, m, pop, higher)

        verdicts[m] = _verdict(
            m, kinds[m], higher, curve, p_step, assessed, bimodal_at, split_at, capacity,
            seed_jump, jump_ratio=jump_ratio, confidence_level=confidence_level,
            has_seeds=has_seeds, n_scales=n_scales,
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
