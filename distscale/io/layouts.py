"""Seed populations stored in other shapes than one row per run.

Two shapes users meet every day:

* :func:`read_wide_population` -- a *wide* export: one column per run, as
  Weights & Biases, TensorBoard exports and spreadsheets write them. The seed
  (and the scale, or the metric) is parsed from each column's name by a
  regular expression; the scale is either a column of the file (one row per
  scale or step) or also in the column name.
* :func:`read_run_folder` -- a folder of per-run JSON files (one file per
  training run, as many training scripts write ``results.json`` or
  ``metrics.json``); nested keys are addressed with dots (``config.width``).

Both end in the same validated :class:`~distscale.Population` as
:func:`~distscale.read_population`, with errors that name the file, the
column or key, and the rule.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from distscale.io.files import check_encoding, check_file, decode_text, seed_label
from distscale.io.tables import read_table_file
from distscale.population import Population

__all__ = ["read_run_folder", "read_wide_population"]

_GROUPS = {"seed", "scale", "metric"}


def _compile(pattern: object) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        compiled = pattern
    elif isinstance(pattern, str) and pattern:
        try:
            compiled = re.compile(pattern)
        except re.error as err:
            raise ValueError(f"`pattern` is not a valid regular expression: {err}") from None
    else:
        raise TypeError(f"`pattern` must be a non-empty regular expression; got {pattern!r}")
    groups = set(compiled.groupindex)
    if "seed" not in groups:
        raise ValueError(
            "`pattern` must name the seed with a group (?P<seed>...); it has "
            f"{', '.join(sorted(groups)) or 'no named groups'}"
        )
    extra = groups - _GROUPS
    if extra:
        raise ValueError(
            f"`pattern` may name only the groups seed, scale and metric; got {sorted(extra)}"
        )
    return compiled


def _number(raw: str, what: str, where: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{where}: the {what} {raw!r} is not a number") from None
    if not np.isfinite(value):
        raise ValueError(f"{where}: the {what} {raw!r} is not a finite number")
    return value


def read_wide_population(
    path: str | os.PathLike[str],
    *,
    pattern: str | re.Pattern[str],
    scale: Hashable | None = None,
    value: str = "value",
    format: str | None = None,
    encoding: str = "utf-8",
    **read_kwargs: Any,
) -> Population:
    r"""Read a wide table (one column per run) into a :class:`~distscale.Population`.

    Each column whose *whole* name matches ``pattern`` holds one run (or,
    with the scale in the rows, one run's values at every scale). The
    pattern's named groups say what the name carries:

    * ``seed`` (required): the seed label (an int when written as one);
    * ``scale``: the scale, a number; then the table must have exactly one
      row, the runs' values;
    * ``metric``: the metric's name, so that one file can hold several
      metrics (without it the metric is called ``value``).

    Without a ``scale`` group, ``scale`` names the column that holds the
    scale of each row (``"Step"`` of a W&B export, ``"n_params"`` of a
    spreadsheet). Columns that do not match are left out (W&B's
    ``__MIN``/``__MAX`` companions, notes); an empty cell means the run has
    no value at that row's scale (W&B leaves a cell empty where a run did not
    log) and is left out.

    Parameters
    ----------
    path : str or os.PathLike
        CSV, TSV or Parquet file, read as strictly as by
        :func:`~distscale.read_population`.
    pattern : str or re.Pattern
        Regular expression matched against the *whole* column name.
    scale : str, optional
        The scale column, when the scale is not in the column names; it is
        also the scale's name in the population. With a ``scale`` group the
        population's scale is called ``"scale"``.
    value : str, default "value"
        The metric's name when ``pattern`` has no ``metric`` group.
    format, encoding, **read_kwargs
        As :func:`~distscale.read_population` (e.g. ``sep=";"``,
        ``decimal=","`` for a spreadsheet in a European locale).

    Returns
    -------
    Population
        One row per (scale, seed) with the metric column(s).

    Raises
    ------
    TypeError, ValueError
        ``pattern`` not a regular expression, or without a ``seed`` group,
        or with other groups; ``scale`` missing (no scale group and no scale
        column) or given twice (a group and a column); no column matches
        (the message lists the columns); a scale in a name or a cell that is
        not a number; two columns for the same run and metric (both named);
        the strict reader's and :class:`~distscale.Population`'s own checks.

    Examples
    --------
    A spreadsheet with one row per model size and one column per seed:

    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from distscale.io import read_wide_population
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(tmp.name) / "wide.csv"
    >>> pd.DataFrame({"n_params": [1e6, 1e7], "seed 0": [0.1, 0.8],
    ...               "seed 1": [0.2, 0.9], "notes": ["", "ok"]}).to_csv(path, index=False)
    >>> pop = read_wide_population(path, pattern=r"seed (?P<seed>\d+)", scale="n_params",
    ...                            value="acc")
    >>> pop
    Population(4 runs, 2 scales, 2 seeds per scale, metrics=['acc'])
    >>> [v.tolist() for v in pop.values()]  # per scale, seeds in order
    [[0.1, 0.2], [0.8, 0.9]]
    >>> tmp.cleanup()
    """
    regex = _compile(pattern)
    if not isinstance(value, str) or not value:
        raise TypeError(f"`value` must be a non-empty metric name; got {value!r}")
    p, _, frame = read_table_file(path, format=format, encoding=encoding,
                                  read_kwargs=read_kwargs, caller="read_wide_population")
    in_name = "scale" in regex.groupindex
    if in_name and scale is not None:
        raise ValueError(
            "the scale is given twice: `pattern` has a (?P<scale>...) group and `scale` names "
            f"the column {scale!r}; use one"
        )
    if not in_name:
        if scale is None:
            raise ValueError(
                "where is the scale? Give `scale=` (the column holding each row's scale) or a "
                "(?P<scale>...) group in `pattern`"
            )
        if scale not in frame.columns:
            raise ValueError(
                f"'{p}': `scale` column {scale!r} not found; columns: "
                f"{', '.join(map(repr, frame.columns[:20]))}"
            )
    elif len(frame) != 1:
        raise ValueError(
            f"'{p}' has {len(frame)} rows; with the scale in the column names each run's column "
            "must hold one value (one row). With one row per scale, name the scale column "
            "with `scale=` instead"
        )
    matched = [(c, m) for c in frame.columns if c != scale
               for m in [regex.fullmatch(str(c))] if m is not None]
    if not matched:
        raise ValueError(
            f"'{p}': no column name matches `pattern` {regex.pattern!r} (the whole name must "
            f"match); columns: {', '.join(map(repr, frame.columns[:20]))}"
        )
    scale_name = "scale" if in_name else scale
    pieces, owner = [], {}
    for column, m in matched:
        seed = seed_label(m.group("seed"))
        metric = m.group("metric") if "metric" in regex.groupindex else value
        cells = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column].notna() & cells.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(
                f"'{p}', column {column!r}: the cell {frame[column].iloc[row]!r} (data row "
                f"{row + 1}) is not a number"
            )
        if in_name:
            scales = np.array([_number(m.group("scale"), "scale", f"'{p}', column {column!r}")])
        else:
            scales = pd.to_numeric(frame[scale], errors="coerce").to_numpy(dtype=float)
            if np.isnan(scales).any() and frame[scale].notna().all():
                row = int(np.flatnonzero(np.isnan(scales))[0])
                raise ValueError(
                    f"'{p}', column {scale!r}: the scale {frame[scale].iloc[row]!r} (data row "
                    f"{row + 1}) is not a number"
                )
        keep = cells.notna().to_numpy() & np.isfinite(scales)
        for s in scales[keep]:
            key = (float(s), seed, metric)
            if key in owner:
                raise ValueError(
                    f"'{p}': columns {owner[key]!r} and {column!r} both hold seed {seed!r} "
                    f"at {scale_name} = {s:g} for {metric!r}; make `pattern` tell them apart"
                )
            owner[key] = column
        pieces.append(pd.DataFrame({scale_name: scales[keep], "seed": seed, "metric": metric,
                                    "value": cells.to_numpy(dtype=float)[keep]}))
    long = pd.concat(pieces, ignore_index=True)
    metrics = list(dict.fromkeys(long["metric"]))
    table = long.pivot(index=[scale_name, "seed"], columns="metric", values="value")
    table = table.reset_index()[[scale_name, "seed", *metrics]]
    table.columns.name = None
    try:
        return Population(table, scale=scale_name, seed="seed",
                          value=metrics if len(metrics) > 1 else metrics[0],
                          dropna=len(metrics) > 1)
    except (ValueError, TypeError) as err:
        raise type(err)(f"'{p}': {err}") from err


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in obj.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            out.update(_flatten(item, name + "."))
        else:
            out[name] = item
    return out


def read_run_folder(
    folder: str | os.PathLike[str],
    *,
    scale: str,
    seed: str,
    value: str | Sequence[str],
    task: str | None = None,
    glob: str = "*.json",
    encoding: str = "utf-8",
) -> Population:
    """Read a folder of per-run JSON files (one object per file) into a Population.

    Every file matching ``glob`` holds one training run as a JSON object;
    nested objects are addressed with dots, so ``scale="config.n_params"``
    reads ``{"config": {"n_params": ...}}``.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder.
    scale, seed : str
        Keys (dotted paths) of the scale and the seed.
    value : str or sequence of str
        Key(s) of the metric(s).
    task : str, optional
        Key of a task label, for files of several tasks.
    glob : str, default ``"*.json"``
        Which files, relative to ``folder`` (``"**/metrics.json"`` searches
        sub-folders).
    encoding : str, default "utf-8"
        Text encoding of the files.

    Returns
    -------
    Population
        The columns are named by the keys (``config.n_params`` ...).

    Raises
    ------
    FileNotFoundError
        ``folder`` does not exist, or no file matches ``glob``.
    ValueError, TypeError
        A file that is not valid JSON or not one object, a key missing from
        a file (the message names the file and lists its keys), a value that
        is not a single number or label, and :class:`~distscale.Population`'s
        own checks (duplicate runs name the files).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from distscale.io import read_run_folder
    >>> tmp = tempfile.TemporaryDirectory()
    >>> for i, (width, seed, acc) in enumerate([(16, 0, 0.1), (16, 1, 0.3), (32, 0, 0.9)]):
    ...     run = {"config": {"width": width, "seed": seed}, "eval": {"acc": acc}}
    ...     _ = (pathlib.Path(tmp.name) / f"run{i}.json").write_text(json.dumps(run))
    >>> read_run_folder(tmp.name, scale="config.width", seed="config.seed", value="eval.acc")
    Population(3 runs, 2 scales, 1-2 seeds per scale, metrics=['eval.acc'])
    >>> tmp.cleanup()
    """
    root = Path(os.fspath(folder)) if isinstance(folder, (str, os.PathLike)) else None
    if root is None:
        raise TypeError(f"`folder` must be a path; got {type(folder).__name__}")
    if not root.is_dir():
        raise FileNotFoundError(f"`folder` '{root}' is not an existing folder")
    check_encoding(encoding)
    values = [value] if isinstance(value, str) else list(value)
    keys = {"scale": scale, "seed": seed, **({"task": task} if task is not None else {})}
    for name, key in [*keys.items(), *(("value", v) for v in values)]:
        if not isinstance(key, str) or not key:
            raise TypeError(f"`{name}` must be a key (a non-empty string); got {key!r}")
    files = sorted(f for f in root.glob(glob) if f.is_file())
    if not files:
        raise FileNotFoundError(f"no file in '{root}' matches `glob` {glob!r}")
    wanted = [scale, seed, *([task] if task is not None else []), *values]
    rows, origin = [], {}
    for f in files:
        check_file(f)
        text = decode_text(f.read_bytes(), f, encoding)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"'{f}' is not valid JSON: {err}") from None
        if not isinstance(doc, dict):
            raise ValueError(f"'{f}' must hold one JSON object (one run); got a "
                             f"{type(doc).__name__}")
        flat = _flatten(doc)
        row = {}
        for key in wanted:
            if key not in flat:
                raise ValueError(
                    f"'{f}' has no key {key!r}; its keys: "
                    f"{', '.join(map(repr, list(flat)[:20]))}"
                )
            item = flat[key]
            if isinstance(item, (list, dict)) or (item is None and key in (scale, seed)):
                raise ValueError(f"'{f}', key {key!r}: expected one number or label; got "
                                 f"{json.dumps(item)[:60]}")
            row[key] = np.nan if item is None else item
        ident = (row[scale], row[seed], row.get(task))
        if ident in origin:
            raise ValueError(
                f"'{origin[ident]}' and '{f}' are the same run ({scale} = {row[scale]!r}, "
                f"{seed} = {row[seed]!r}); keep one"
            )
        origin[ident] = f
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(dict.fromkeys(wanted)))
    try:
        return Population(frame, scale=scale, seed=seed,
                          value=values if len(values) > 1 else values[0], task=task)
    except (ValueError, TypeError) as err:
        raise type(err)(f"'{root}': {err}") from err
