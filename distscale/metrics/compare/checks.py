"""Input checks of :func:`distscale.compare_metrics` (private).

Validation of the arguments (the ``metrics`` list, per-metric options given
once or as a mapping, thresholds, τ grids, directions by metric name, the
jump ratio and the modality options) and of the ``samples`` frame (columns,
NaN, duplicate keys, seeds lacking samples); the per-scale seeds x samples
matrices; and the run-level aggregation (mean over samples per run).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from distscale._lib.results import scale_labels
from distscale._lib.validation import check_threshold, format_labels
from distscale.population import Population, check_numeric_column


def _plain(x: object) -> object:
    """NumPy scalars as Python scalars (for messages)."""
    return x.item() if isinstance(x, np.generic) else x


def _match(name: object, table: Sequence[str]) -> str | None:
    if not isinstance(name, str):
        return None
    low = name.lower()
    hits = [k for k in table if low == k or low.endswith("_" + k) or low.startswith(k + "_")]
    return max(hits, key=len) if hits else None


def check_metrics_arg(metrics: object) -> tuple[Hashable, ...]:
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


def per_metric(name: str, value: object, metrics: tuple, check) -> dict:
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






def check_grid(name: str, value: object) -> np.ndarray:
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


def prepare(
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
    frame["_scale"] = check_numeric_column(samples, scale, "scale")
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
            values = check_numeric_column(samples, m, f"metrics[{metrics.index(m)}]")
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


def check_jump_ratio(jump_ratio: object) -> float:
    jump_ratio = check_threshold(jump_ratio, "jump_ratio")
    if jump_ratio < 1:
        raise ValueError(f"`jump_ratio` must be at least 1 (a straight line); got {jump_ratio}")
    return jump_ratio


def check_modality_options(modality_options: object) -> dict:
    if modality_options is not None and not isinstance(modality_options, Mapping):
        raise TypeError("`modality_options` must be a mapping of keyword arguments or None")
    modality_options = dict(modality_options or {})
    clash = {"metric", "scale", "seed", "value", "rng", "success_threshold",
             "higher_is_better"} & set(modality_options)
    if clash:
        raise ValueError(f"`modality_options` cannot set {sorted(clash)}; compare_metrics sets "
                         "them per metric")
    return modality_options


def _directions(metrics: tuple, hib_user: dict, table: Mapping[str, bool]) -> dict:
    """``{metric: higher_is_better}``: given by the user, else from ``table`` by name."""
    directions = {}
    for m in metrics:
        key = _match(m, tuple(table))
        if m in hib_user:
            directions[m] = hib_user[m]
        elif key is not None:
            directions[m] = table[key]
        else:
            raise ValueError(
                f"the direction of metric {m!r} is unknown; pass higher_is_better={{{m!r}: "
                f"True or False}} (known names: {', '.join(table)})"
            )
    return directions


def run_population(
    frame: pd.DataFrame, metrics: tuple, scale: Hashable, seed_col: Hashable
) -> Population:
    """Run-level population of every metric: the mean over samples per (scale, seed)."""
    run_frame = frame.groupby(["_scale", "_seed"], sort=True)[list(metrics)].mean()
    run_frame = run_frame.reset_index().rename(columns={"_scale": scale, "_seed": seed_col})
    return Population(run_frame, scale=scale, seed=seed_col, value=list(metrics))
