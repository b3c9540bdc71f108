"""The :class:`Population`: one validated table of seed runs across scales.

Every estimator in distscale accepts a :class:`Population` (or a DataFrame
plus column names, which it turns into one). The table is validated once,
here, so that estimators can trust it.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from distscale._lib.errors import ColumnNotFoundError, ColumnTypeError
from distscale._lib.validation import format_labels
from distscale._lib.warnings import DroppedRowsWarning, PairedSeedsWarning

__all__ = ["Population", "as_population"]


def _check_column_name(argument: str, name: object) -> Hashable:
    if name is None or isinstance(name, (list, tuple, set, dict, np.ndarray)):
        raise TypeError(f"`{argument}` must be a single column name; got {name!r}")
    return name


def _check_value_columns(value: object) -> tuple[Hashable, ...]:
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError("`value` must name at least one metric column; got an empty list")
        names = tuple(_check_column_name("value", v) for v in value)
    else:
        names = (_check_column_name("value", value),)
    if len(set(names)) != len(names):
        raise ValueError(f"`value` names a column more than once: {list(names)}")
    return names


def _dtype_kind(dtype: object) -> str | None:
    """What a column's dtype holds when it is not plain real numbers (None if it is)."""
    kind, arrow = getattr(dtype, "kind", "O"), str(getattr(dtype, "pyarrow_dtype", ""))
    if isinstance(dtype, pd.PeriodDtype):
        return "period"
    if kind == "M" or arrow.startswith("time"):  # numpy, tz-aware and pyarrow dates and times
        return "datetime"
    if kind == "m" or "interval" in arrow:  # durations
        return "timedelta"
    return {"b": "boolean", "c": "complex"}.get(kind)  # numpy, nullable and pyarrow types


def check_numeric_column(frame: pd.DataFrame, column: Hashable, role: str) -> pd.Series:
    """The column as float64; booleans, dates, complex numbers, text: a ColumnTypeError."""
    series = frame[column]
    kind = _dtype_kind(series.dtype)
    if kind is not None:
        raise ColumnTypeError(role, column, series.dtype, kind)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype(float)
    if series.dtype == object:  # Python objects that to_numeric would turn into numbers silently
        odd_types = (("boolean", (bool, np.bool_)), ("complex", (complex, np.complexfloating)))
        for odd, types in odd_types:
            rows = series.index[series.map(lambda v, t=types: isinstance(v, t)).to_numpy(bool)]
            if len(rows):
                raise ColumnTypeError(role, column, series.dtype, odd, rows=rows.tolist())
    try:
        converted = pd.to_numeric(series, errors="coerce")
    except (TypeError, ValueError, NotImplementedError):
        converted = pd.Series(np.nan, index=series.index)
    # NaN where there was a value (isna() misses a pyarrow NaN, so test the floats)
    bad = np.isnan(converted.to_numpy(float, na_value=np.nan)) & series.notna().to_numpy(bool)
    if bad.any() or not pd.api.types.is_numeric_dtype(converted.dtype):
        raise ColumnTypeError(
            role, column, series.dtype, "non-numeric", rows=series.index[bad].tolist(),
            examples=series[bad].iloc[:5].tolist(),
        )
    # Mixed object columns that hold only numbers (and missing values) are accepted.
    return converted.astype(float)


class Population:
    """A validated population of training runs: scale, seed, and metric columns.

    One row per training run (or per run and task). The table is checked
    once, on construction; every estimator then trusts it.

    Parameters
    ----------
    frame : pandas.DataFrame
        The runs. Extra columns are kept and returned by :meth:`to_frame`.
    scale : str
        Numeric column giving the scale of each run (parameters, depth,
        width, compute ...). Must be finite.
    seed : str
        Column identifying the run within a scale (random seed). Any
        hashable values, no missing values.
    value : str or sequence of str
        One or several numeric metric columns (accuracy, loss ...).
    task : str, optional
        Column separating several tasks or settings evaluated on the same
        runs; (scale, seed, task) must then be unique.
    dropna : bool, default False
        If False, NaN or infinite metric values are an error. If True, rows
        with any non-finite metric are dropped with a
        :class:`~distscale.DroppedRowsWarning` counting them.
    log_scale : bool, default False
        Require every scale to be strictly positive, as a log axis needs.
    min_seeds : int, default 1
        Require at least this many seeds at every scale (and task).
    paired : bool or None, default None
        True when the same runs are measured at every scale (checkpoints of
        one training run, the same seeds evaluated at several data mixes):
        every seed must then appear at every scale, and estimators keep each
        seed's curve together (the seed bootstrap resamples whole seeds
        across scales; trend tests compare scales within seeds). False for
        independent runs at each scale. None (default): independent, with a
        :class:`~distscale.PairedSeedsWarning` when the same seed labels
        appear at every scale and their values are correlated across scales
        (Fisher's combination of the Spearman correlations of successive
        scales, p < 0.001), which suggests checkpoints.

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame or a scale/metric column is not
        plain real numbers: text that does not read as numbers, booleans,
        dates, durations, periods or complex numbers
        (:class:`~distscale._lib.errors.ColumnTypeError`, which names the
        column, the rows and a conversion).
    ValueError
        If a column is missing, a scale is NaN/inf (or non-positive with
        ``log_scale=True``), a metric is NaN/inf and ``dropna=False``, a
        (scale, seed[, task]) key is duplicated, a scale has fewer than
        ``min_seeds`` seeds, or no rows are left.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"depth": [1, 1, 2, 2], "seed": [0, 1, 0, 1],
    ...                    "acc": [0.1, 0.2, 0.7, 0.9]})
    >>> pop = Population(df, scale="depth", seed="seed", value="acc")
    >>> pop
    Population(4 runs, 2 scales, 2 seeds per scale, metrics=['acc'])
    >>> pop.scales
    array([1., 2.])
    >>> [v.tolist() for v in pop.values()]
    [[0.1, 0.2], [0.7, 0.9]]
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        scale: Hashable,
        seed: Hashable,
        value: Hashable | Sequence[Hashable],
        task: Hashable | None = None,
        dropna: bool = False,
        log_scale: bool = False,
        min_seeds: int = 1,
        paired: bool | None = None,
    ) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"`frame` must be a pandas DataFrame; got {type(frame).__name__}")
        scale = _check_column_name("scale", scale)
        seed = _check_column_name("seed", seed)
        metrics = _check_value_columns(value)
        if task is not None:
            task = _check_column_name("task", task)
        roles = {"scale": scale, "seed": seed, "task": task}
        roles.update({f"value[{i}]": m for i, m in enumerate(metrics)})
        named = [(r, c) for r, c in roles.items() if c is not None]
        seen: dict[Hashable, str] = {}
        for role, column in named:
            if column in seen:
                raise ValueError(
                    f"column {column!r} is used both as `{seen[column]}` and as `{role}`; "
                    "each role needs its own column"
                )
            seen[column] = role
        if frame.columns.duplicated().any():
            dup = frame.columns[frame.columns.duplicated()].tolist()
            raise ValueError(f"`frame` has duplicated column names: {dup}")
        missing = [(r, c) for r, c in named if c not in frame.columns]
        if missing:
            raise ColumnNotFoundError(missing, list(frame.columns))
        if len(frame) == 0:
            raise ValueError("`frame` is empty: a population needs at least one run")
        if isinstance(min_seeds, bool) or not isinstance(min_seeds, (int, np.integer)):
            raise TypeError(f"`min_seeds` must be an integer; got {type(min_seeds).__name__}")

        data = frame.copy()
        data[scale] = check_numeric_column(data, scale, "scale")
        bad = data.index[~np.isfinite(data[scale].to_numpy())]
        if len(bad):
            raise ValueError(
                f"`scale` column {scale!r} has {len(bad)} NaN or infinite values "
                f"(rows {format_labels(bad.tolist())})"
            )
        if log_scale:
            bad = data.index[data[scale].to_numpy() <= 0]
            if len(bad):
                raise ValueError(
                    f"`scale` column {scale!r} must be strictly positive for a log axis; "
                    f"{len(bad)} values are <= 0 (rows {format_labels(bad.tolist())})"
                )
        for role, column in (("seed", seed), ("task", task)):
            if column is None:
                continue
            bad = data.index[data[column].isna()]
            if len(bad):
                raise ValueError(
                    f"`{role}` column {column!r} has {len(bad)} missing values "
                    f"(rows {format_labels(bad.tolist())})"
                )
            if data[column].dtype == object:  # lists (a nested Parquet column) are no labels
                odd = data.index[~data[column].map(lambda v: isinstance(v, Hashable)).astype(bool)]
                if len(odd):
                    raise TypeError(f"`{role}` column {column!r} holds lists or other unhashable "
                                    f"values (rows {format_labels(odd.tolist())}); labels must "
                                    "be numbers or strings")

        nonfinite = pd.Series(False, index=data.index)
        for column in metrics:
            data[column] = check_numeric_column(data, column, "value")
            col_bad = ~np.isfinite(data[column].to_numpy())
            if col_bad.any() and not dropna:
                rows = data.index[col_bad].tolist()
                raise ValueError(
                    f"`value` column {column!r} has {len(rows)} NaN or infinite values "
                    f"(rows {format_labels(rows)}); pass dropna=True to drop those rows"
                )
            nonfinite |= col_bad
        if nonfinite.any():
            n_bad = int(nonfinite.sum())
            warnings.warn(
                f"dropped {n_bad} of {len(data)} rows with NaN or infinite metric values "
                f"(rows {format_labels(data.index[nonfinite].tolist())})",
                DroppedRowsWarning,
                stacklevel=2,
            )
            data = data.loc[~nonfinite]
            if len(data) == 0:
                raise ValueError("no rows left after dropping rows with NaN or infinite metrics")

        key = [scale, seed] + ([task] if task is not None else [])
        dup = data.duplicated(subset=key, keep=False)
        if dup.any():
            first = [
                v.item() if isinstance(v, np.generic) else v
                for v in data.loc[dup, key].drop_duplicates().iloc[0].tolist()
            ]
            key_desc = ", ".join(f"{k}={v!r}" for k, v in zip(key, first, strict=True))
            raise ValueError(
                f"duplicate ({', '.join(map(str, key))}) rows: {int(dup.sum())} rows share a key, "
                f"e.g. {key_desc} (rows {format_labels(data.index[dup].tolist())}); each run "
                "must appear once"
                + ("" if task is not None else "; pass `task=` if rows differ by task")
            )

        self._scale = scale
        self._seed = seed
        self._metrics = metrics
        self._task = task
        sort_cols = ([task] if task is not None else []) + [scale, seed]
        try:
            data = data.sort_values(sort_cols, kind="stable")
        except TypeError:  # mixed-type seed labels cannot be ordered; keep input order
            data = data.sort_values(sort_cols[:-1], kind="stable")
        self._frame = data
        if min_seeds > 1:
            self.require_seeds(min_seeds)
        if paired is not None and not isinstance(paired, (bool, np.bool_)):
            raise TypeError(f"`paired` must be True, False or None; got {type(paired).__name__}")
        self._seed_order = None
        if paired:
            self._seed_order = self._check_paired()
        elif paired is None:
            self._suggest_pairing()
        self._paired = bool(paired)

    # ------------------------------------------------------------------ accessors
    @property
    def scale(self) -> Hashable:
        """Name of the scale column."""
        return self._scale

    @property
    def paired(self) -> bool:
        """Whether the same seeds are measured at every scale (a paired design)."""
        return self._paired

    @property
    def design(self) -> str:
        """``"paired"`` or ``"independent"``, in words for messages and reports."""
        return "paired" if self._paired else "independent"

    def _check_paired(self) -> list[Hashable]:
        """Every seed at every scale (of every task); returns one seed order for all scales."""
        frame = self._frame
        order = list(pd.unique(frame[self._seed]))
        groups = frame.groupby(self._task_key() + [self._scale], sort=True)[self._seed]
        expected = set(order)
        missing = []
        for key, seeds in groups:
            lacking = expected - set(seeds)
            if lacking:
                parts = key if isinstance(key, tuple) else (key,)
                label = ", ".join(
                    str(int(k)) if isinstance(k, float) and k.is_integer() else str(k)
                    for k in parts
                )
                lacks = format_labels(sorted(lacking, key=str))
                missing.append(f"scale {label} lacks seeds {lacks}")
        if missing:
            raise ValueError(
                "`paired=True` needs every seed at every scale (each seed's curve is kept "
                f"together); {len(missing)} scales lack some: " + "; ".join(missing[:3])
                + ("; ..." if len(missing) > 3 else "") + ". Drop the incomplete seeds or "
                "pass paired=False"
            )
        return order

    def _suggest_pairing(self) -> None:
        """Warn when the seeds look like the same runs at every scale (checkpoints)."""
        frame = self._frame
        if self._task is not None and frame[self._task].nunique() > 1:
            return
        scales = np.unique(frame[self._scale].to_numpy(dtype=float))
        if scales.size < 2:
            return
        wide = frame.pivot(index=self._seed, columns=self._scale, values=self._metrics[0])
        if len(wide) < 5 or wide.isna().any().any():
            return  # labels do not repeat at every scale, or too few seeds to tell
        from scipy import stats

        pvalues, rhos = [], []
        values = wide.to_numpy(dtype=float)
        for j in range(values.shape[1] - 1):
            a, b = values[:, j], values[:, j + 1]
            if np.ptp(a) == 0 or np.ptp(b) == 0:
                continue
            res = stats.spearmanr(a, b, alternative="greater")
            if np.isfinite(res.pvalue):
                pvalues.append(max(float(res.pvalue), 1e-300))
                rhos.append(float(res.statistic))
        if not pvalues:
            return
        combined = stats.combine_pvalues(pvalues, method="fisher").pvalue
        if combined < 1e-3:
            warnings.warn(
                f"the same {len(wide)} seed labels appear at every scale of {self._scale!r} and "
                f"their values are correlated across scales (median Spearman correlation of "
                f"successive scales {np.median(rhos):.2f}, Fisher's combined p = "
                f"{combined:.1g}): if these are the same runs (checkpoints, or one seed at "
                "several settings), pass paired=True so that intervals and tests keep each "
                "seed's curve together; pass paired=False to silence this",
                PairedSeedsWarning,
                stacklevel=3,
            )

    @property
    def seed(self) -> Hashable:
        """Name of the seed column."""
        return self._seed

    @property
    def task(self) -> Hashable | None:
        """Name of the task column, or None."""
        return self._task

    @property
    def metrics(self) -> tuple[Hashable, ...]:
        """Names of the metric columns."""
        return self._metrics

    @property
    def metric(self) -> Hashable:
        """The single metric column; an error when there are several."""
        if len(self._metrics) != 1:
            raise ValueError(
                f"this population has {len(self._metrics)} metric columns "
                f"{list(self._metrics)}; pass `metric=` to choose one"
            )
        return self._metrics[0]

    @property
    def tasks(self) -> tuple[Hashable, ...] | None:
        """Distinct task labels in order, or None without a task column."""
        if self._task is None:
            return None
        return tuple(pd.unique(self._frame[self._task]))

    @property
    def scales(self) -> np.ndarray:
        """Sorted distinct scales (float array)."""
        return np.unique(self._frame[self._scale].to_numpy(dtype=float))

    @property
    def n_runs(self) -> int:
        """Number of rows (runs)."""
        return len(self._frame)

    def __len__(self) -> int:
        return len(self._frame)

    def __repr__(self) -> str:
        counts = self._frame.groupby([self._scale] + self._task_key(), sort=True).size()
        lo, hi = int(counts.min()), int(counts.max())
        per = f"{lo}" if lo == hi else f"{lo}-{hi}"
        task = f", {len(self.tasks)} tasks" if self._task is not None else ""
        return (
            f"Population({len(self)} runs, {len(self.scales)} scales{task}, "
            f"{per} seeds per scale, metrics={list(self._metrics)})"
        )

    def _task_key(self) -> list[Hashable]:
        return [self._task] if self._task is not None else []

    def _resolve_metric(self, metric: Hashable | None) -> Hashable:
        if metric is None:
            return self.metric
        if metric not in self._metrics:
            raise ValueError(f"`metric` {metric!r} is not one of {list(self._metrics)}")
        return metric

    def _single_task_frame(self) -> pd.DataFrame:
        if self._task is not None and len(self.tasks) > 1:
            raise ValueError(
                f"this population has {len(self.tasks)} tasks in column {self._task!r}; "
                "choose one with `pop.select(task=...)`"
            )
        return self._frame

    def n_seeds(self) -> np.ndarray:
        """Number of seeds at each scale, aligned with :attr:`scales`."""
        frame = self._single_task_frame()
        return frame.groupby(self._scale, sort=True).size().to_numpy()

    def values(self, metric: Hashable | None = None) -> list[np.ndarray]:
        """Metric values at each scale, aligned with :attr:`scales`.

        Parameters
        ----------
        metric : str, optional
            Which metric column; required when there are several.

        Returns
        -------
        list of numpy.ndarray
            One float array per scale, in seed order (with ``paired=True`` the
        same seed order at every scale, so position ``i`` is one seed's run
        at every scale).
        """
        metric = self._resolve_metric(metric)
        frame = self._single_task_frame()
        if self._paired:  # the same seed order at every scale: position i is one seed's run
            return [
                g.set_index(self._seed)[metric].reindex(self._seed_order).to_numpy(dtype=float)
                for _, g in frame.groupby(self._scale, sort=True)
            ]
        return [
            g[metric].to_numpy(dtype=float).copy() for _, g in frame.groupby(self._scale, sort=True)
        ]

    def wide(self, metric: Hashable | None = None) -> pd.DataFrame:
        """Seeds × scales table of one metric (NaN where a seed is missing at a scale)."""
        metric = self._resolve_metric(metric)
        frame = self._single_task_frame()
        return frame.pivot(index=self._seed, columns=self._scale, values=metric)

    def to_frame(self) -> pd.DataFrame:
        """A copy of the validated table (sorted by task, scale, seed)."""
        return self._frame.reset_index(drop=True).copy()

    # ----------------------------------------------------------------- subsets/checks
    def select(self, *, metric: Hashable | None = None, task: Hashable | None = None) -> Population:
        """A population restricted to one metric and/or one task.

        Parameters
        ----------
        metric : str, optional
            Keep only this metric column.
        task : object, optional
            Keep only rows of this task (requires a task column).
        """
        frame = self._frame
        metrics: Sequence[Hashable] = self._metrics
        if metric is not None:
            metrics = [self._resolve_metric(metric)]
        task_col = self._task
        if task is not None:
            if self._task is None:
                raise ValueError("`task` was given but this population has no task column")
            if task not in self.tasks:
                raise ValueError(f"`task` {task!r} is not one of {list(self.tasks)}")
            frame = frame.loc[frame[self._task] == task]
        return Population(
            frame, scale=self._scale, seed=self._seed, value=list(metrics), task=task_col,
            paired=self._paired,
        )

    def require_seeds(self, minimum: int, *, purpose: str = "this analysis") -> None:
        """Raise ValueError if any scale (and task) has fewer than ``minimum`` seeds."""
        counts = self._frame.groupby(self._task_key() + [self._scale], sort=True).size()
        few = counts[counts < minimum]
        if len(few):
            items = []
            for key, n in few.items():
                label = ", ".join(map(str, key)) if isinstance(key, tuple) else str(key)
                items.append(f"{label} ({n} seed{'s' * (n != 1)})")
            raise ValueError(
                f"{purpose} needs at least {minimum} seeds at every scale; "
                f"{len(few)} of {len(counts)} scales of column {self._scale!r} have fewer: "
                + ", ".join(items[:5])
                + (f", ... ({len(items) - 5} more)" if len(items) > 5 else "")
            )

    def require_positive_scale(self, *, purpose: str = "a log axis") -> None:
        """Raise ValueError if any scale is <= 0."""
        bad = self._frame.index[self._frame[self._scale].to_numpy() <= 0]
        if len(bad):
            raise ValueError(
                f"`scale` column {self._scale!r} must be strictly positive for {purpose}; "
                f"{len(bad)} values are <= 0 (rows {format_labels(bad.tolist())})"
            )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_dict(
        cls,
        values: Mapping[float, Sequence[float]],
        *,
        metric: str = "value",
        paired: bool = False,
    ) -> Population:
        """Build a population from ``{scale: metric values}``; seeds are numbered 0, 1, ...

        The numbers are labels only: runs at different scales are independent
        unless ``paired=True`` says that position ``i`` is the same run at
        every scale.

        Examples
        --------
        >>> Population.from_dict({1: [0.0, 0.1], 2: [0.5, 0.9, 1.0]})
        Population(5 runs, 2 scales, 2-3 seeds per scale, metrics=['value'])
        """
        if not isinstance(values, Mapping) or not values:
            raise TypeError("`values` must be a non-empty mapping {scale: sequence of values}")
        rows = []
        for s, vals in values.items():
            arr = np.atleast_1d(np.asarray(vals))
            if arr.ndim != 1:
                raise ValueError(f"values for scale {s!r} must be one-dimensional")
            rows.extend((s, i, v) for i, v in enumerate(arr.tolist()))
        frame = pd.DataFrame(rows, columns=["scale", "seed", metric])
        return cls(frame, scale="scale", seed="seed", value=metric, paired=bool(paired))


def as_population(
    data: Population | pd.DataFrame,
    *,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | Sequence[Hashable] | None = None,
    task: Hashable | None = None,
    paired: bool | None = None,
) -> Population:
    """Accept a :class:`Population`, or a DataFrame plus column names.

    Estimators call this first, so users may pass either form.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"n": [1, 1], "s": [0, 1], "y": [0.2, 0.4]})
    >>> as_population(df, scale="n", seed="s", value="y").scales
    array([1.])
    """
    if isinstance(data, Population):
        if any(x is not None for x in (scale, seed, value, task)):
            raise ValueError(
                "column names (`scale`, `seed`, `value`, `task`) are only used with a "
                "DataFrame; a Population already knows its columns"
            )
        return data
    if isinstance(data, pd.DataFrame):
        missing = [n for n, v in (("scale", scale), ("seed", seed), ("value", value)) if v is None]
        if missing:
            raise TypeError(
                f"with a DataFrame, pass the column names {', '.join(f'`{m}=`' for m in missing)}"
            )
        return Population(data, scale=scale, seed=seed, value=value, task=task, paired=paired)
    raise TypeError(f"expected a Population or a pandas DataFrame; got {type(data).__name__}")
