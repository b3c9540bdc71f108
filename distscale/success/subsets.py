"""Which runs a test uses: the success rule, subsets of runs per scale, argument checks.

Shared by :func:`distscale.trend_test`,
:func:`distscale.success.monotonicity.monotonicity_test`,
:func:`distscale.inverse_scaling` and
:func:`distscale.success_curve`: a run succeeds when its value is
strictly above (below, with ``higher_is_better=False``) the threshold, as in
:func:`distscale.summary_curves`; a test of ``subset="success"`` or
``"failure"`` uses only those runs at each scale and drops the scales left
empty. Also the per-scale table of the runs a test used.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable

import numpy as np
import pandas as pd

from distscale._lib.results import scale_labels
from distscale._lib.success_rule import rule_text, success_mask
from distscale._lib.validation import check_bool, check_one_of, check_threshold, format_labels
from distscale._lib.warnings import DegenerateDataWarning
from distscale.population import Population, as_population

SUBSETS = ("all", "success", "failure")




def load(pop, metric, scale, seed, value) -> tuple[Population, Hashable, list[np.ndarray]]:
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    samples = pop.values(metric)  # checks `metric`
    metric = pop.metric if metric is None else metric
    if len(samples) < 2:
        raise ValueError(
            f"a trend across scales needs at least 2 scales; column {pop.scale!r} has "
            f"{len(samples)}"
        )
    return pop, metric, samples


def select(
    samples: list[np.ndarray],
    scales: np.ndarray,
    subset: str,
    threshold: float | None,
    higher_is_better: bool,
) -> tuple[list[np.ndarray], np.ndarray]:
    """The runs of the subset at each scale; scales left empty are dropped with a warning."""
    if subset == "all":
        return samples, np.ones(len(samples), dtype=bool)
    groups = []
    for x in samples:
        ok = success_mask(x, threshold, higher_is_better)
        groups.append(x[ok] if subset == "success" else x[~ok])
    kept = np.array([g.size > 0 for g in groups])
    if not kept.all():
        labels = scale_labels(scales[~kept])
        rule = rule_text(threshold, higher_is_better, subject="").strip()
        what = "succeeded" if subset == "success" else "failed"
        warnings.warn(
            f"no run {what} (success: value {rule}) at scales {format_labels(labels)}: "
            "those scales are left out of the test",
            DegenerateDataWarning,
            stacklevel=3,
        )
    if kept.sum() < 2:
        raise ValueError(
            f"subset={subset!r} leaves runs at {int(kept.sum())} scale(s); a trend test needs "
            "at least 2"
        )
    return [g for g, k in zip(groups, kept, strict=True) if k], kept


def validate_common(subset, threshold, higher_is_better):
    check_one_of("subset", subset, SUBSETS)
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    if threshold is not None:
        threshold = check_threshold(threshold)
    return threshold, higher_is_better


def per_scale_frame(scales: np.ndarray, n: np.ndarray, **columns: np.ndarray) -> pd.DataFrame:
    """One row per scale: ``scale``, ``n`` (integer) and the float ``columns``, in order."""
    return pd.DataFrame(
        {
            "scale": np.asarray(scales, dtype=float),
            "n": np.asarray(n, dtype=np.int64),
            **{name: np.asarray(col, dtype=float) for name, col in columns.items()},
        }
    )
