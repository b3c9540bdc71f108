"""The plain tidy per-sample format: one row per run x evaluation example.

* :func:`read_samples` reads (or checks) the plain tidy per-sample format
  written by the trainer: run id, scale, seed, sample id, predicted tokens,
  target tokens and the target tokens' log-probabilities.
* :func:`write_samples` writes that format to Parquet, JSON Lines or CSV.

The lm-evaluation-harness per-sample files (``samples_<task>_<date>.jsonl``)
are read by :func:`distscale.io.lm_eval_samples.read_lm_eval_samples`, which
shares this module's JSON reader. Both readers are also reachable as
``distscale.io.read_lm_eval_samples`` and ``distscale.io.read_samples``. The
formats are described in ``docs/metrics-io.md``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Hashable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from distscale._lib.validation import format_labels
from distscale.io.files import (
    as_path,
    check_encoding,
    check_file,
    format_from_extension,
    json_records,
)
from distscale.io.strict import read_delimited, read_parquet
from distscale.population import check_numeric_column

__all__ = ["read_samples", "write_samples"]

_TOKEN_KINDS = {int: "integers", str: "strings"}


def _column_argument(argument: str, name: object, *, optional: bool) -> Hashable | None:
    if name is None and optional:
        return None
    if name is None or isinstance(name, (list, tuple, set, dict, np.ndarray)):
        raise TypeError(f"`{argument}` must be a single column name; got {name!r}")
    return name


def _by_argument(by: object) -> list[Hashable]:
    if by is None:
        return []
    if isinstance(by, (list, tuple)):
        names = list(by)
    else:
        names = [by]
    for name in names:
        _column_argument("by", name, optional=False)
    return names


def _samples_format(path: Path, format: object) -> str:
    if format is not None:
        if not isinstance(format, str) or format.lower() not in ("parquet", "jsonl", "csv", "tsv"):
            raise ValueError(
                "`format` must be 'parquet', 'jsonl', 'csv', 'tsv' or None; " f"got {format!r}"
            )
        return format.lower()
    if path.name.lower().endswith((".jsonl", ".ndjson")):
        return "jsonl"
    try:
        return format_from_extension(path)
    except ValueError as err:
        raise ValueError(f"{err} (or 'jsonl' for .jsonl / .ndjson files)") from None


def _load_samples(path: Path, format: object, encoding: str) -> pd.DataFrame:
    fmt = _samples_format(path, format)
    if fmt == "jsonl":
        records = json_records(path, encoding)
        if not records:
            raise ValueError(f"'{path.as_posix()}' holds no records (an empty file?)")
        bad = [where for where, rec in records if not isinstance(rec, dict)]
        if bad:
            raise ValueError(f"{bad[0]}: expected a JSON object per line")
        return pd.DataFrame.from_records([rec for _, rec in records])
    if fmt == "parquet":
        return read_parquet(path, {})
    return read_delimited(path, fmt, encoding, {})


def _parse_token_text(text: str, column: Hashable, label: object, *, floats: bool) -> list:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise ValueError(
                f"column {column!r}, row {label}: {text[:40]!r} is not a JSON array ({err})"
            ) from err
        if not isinstance(value, list):  # pragma: no cover - "[" always opens a list
            raise ValueError(f"column {column!r}, row {label}: expected a JSON array")
        return value
    parts = stripped.split()
    convert = float if floats else int
    try:
        return [convert(p) for p in parts]
    except ValueError:
        kind = "numbers" if floats else "integers"
        raise ValueError(
            f"column {column!r}, row {label}: whitespace-separated values must be {kind}; "
            f"got {text[:40]!r} (write other tokens as a JSON array, e.g. '[\"a\", \"b\"]')"
        ) from None


def _as_list(cell: object, column: Hashable, label: object, *, floats: bool) -> list:
    if isinstance(cell, list):
        return cell
    if isinstance(cell, (tuple, np.ndarray)):
        return list(cell) if isinstance(cell, tuple) else cell.tolist()
    if isinstance(cell, str):
        return _parse_token_text(cell, column, label, floats=floats)
    if cell is None or cell is pd.NA or (isinstance(cell, float) and math.isnan(cell)):
        raise ValueError(
            f"column {column!r}, row {label}: missing value; an empty sequence is written []"
        )
    raise TypeError(
        f"column {column!r}, row {label}: expected a list of tokens; got {type(cell).__name__}"
    )


def _token_column(series: pd.Series, column: Hashable) -> tuple[list[list], type | None]:
    """Cells as lists of Python ints or strs, and the token type (None if all empty)."""
    out: list[list] = []
    kinds: set[type] = set()
    first_row: dict[type, object] = {}
    for label, cell in series.items():
        tokens = _as_list(cell, column, label, floats=False)
        tokens = [t.item() if isinstance(t, np.generic) else t for t in tokens]
        for t in tokens:
            kind = int if isinstance(t, int) and not isinstance(t, bool) else type(t)
            if kind not in _TOKEN_KINDS:
                raise TypeError(
                    f"column {column!r}, row {label}: tokens must be integers or strings; "
                    f"got {t!r} ({type(t).__name__})"
                )
            if kind not in kinds:
                kinds.add(kind)
                first_row[kind] = label
        out.append(tokens)
    if len(kinds) > 1:
        raise TypeError(
            f"column {column!r} mixes integer tokens (row {first_row[int]}) and string tokens "
            f"(row {first_row[str]}); use one kind"
        )
    return out, next(iter(kinds), None)


def _logprob_column(series: pd.Series, column: Hashable) -> list[list[float]]:
    out: list[list[float]] = []
    for label, cell in series.items():
        values = _as_list(cell, column, label, floats=True)
        try:
            floats = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(
                f"column {column!r}, row {label}: log-probabilities must be numbers; "
                f"got {values[:5]!r}"
            ) from None
        if floats.ndim != 1 or any(isinstance(v, bool) for v in values):
            raise TypeError(
                f"column {column!r}, row {label}: log-probabilities must be a flat list of numbers"
            )
        if np.isnan(floats).any() or (floats > 0).any():
            raise ValueError(
                f"column {column!r}, row {label}: log-probabilities must be <= 0 and not NaN; "
                f"got {floats[np.isnan(floats) | (floats > 0)][:3].tolist()}"
            )
        out.append(floats.tolist())
    return out


def read_samples(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    run: Hashable | None = "run_id",
    scale: Hashable = "scale",
    seed: Hashable = "seed",
    sample: Hashable = "sample_id",
    prediction: Hashable = "prediction",
    target: Hashable = "target",
    logprobs: Hashable | None = "target_logprobs",
    by: Hashable | Sequence[Hashable] | None = None,
    format: str | None = None,
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Read and check the plain per-sample format: one row per run x evaluation example.

    The format is what the trainer writes
    (:func:`distscale.train.evaluate_ensemble` with ``samples=True``, and
    :func:`distscale.train.train_population` which adds the run columns):
    a run id, the run's scale and seed, a sample id, the predicted tokens,
    the target tokens and, optionally, the log-probability of each target
    token. Token columns hold lists.

    Parameters
    ----------
    data : DataFrame or path
        A frame, or a file: Parquet (``.parquet``, ``.pq``; lists are kept),
        JSON Lines (``.jsonl``, ``.ndjson``: one object per line, token
        columns as JSON arrays), or CSV/TSV (also compressed, e.g.
        ``.csv.gz``) whose token cells are JSON arrays (``"[1, 2, 3]"``,
        ``'["a", "b"]'``) or whitespace-separated integers (``"1 2 3"``;
        log-probabilities: numbers); an empty list is ``[]``.
    run : str or None, default "run_id"
        Column identifying a training run; scale and seed must be constant
        within it. None: runs are identified by (scale, seed).
    scale, seed, sample : str
        Columns of the run's scale (numeric, finite), its seed and the
        evaluation example's id.
    prediction, target : str
        Token columns: lists of integers or of strings (one kind for both
        columns). Targets must not be empty; predictions may be.
    logprobs : str or None, default "target_logprobs"
        Column of lists of target-token log-probabilities (one per target
        token, each <= 0; -inf is allowed, NaN is not). None if absent.
    by : str or list of str, optional
        Further columns that identify a row together with the run and the
        sample, when the table holds several evaluations of each run (for
        the trainer's output: ``"test_length"``).
    format : {"parquet", "jsonl", "csv", "tsv"}, optional
        Overrides the format implied by a path's extension.
    encoding : str, default "utf-8"
        The text encoding of a JSON Lines or CSV/TSV file (UTF-8 is read with
        or without a byte-order mark); bytes that are not text in it are an
        error naming the file and the line.

    Returns
    -------
    pandas.DataFrame
        A copy with every column kept, sorted by (run, scale, seed, the ``by``
        columns, sample) and re-indexed: ``scale`` as float, token columns as lists
        of Python ``int`` (or ``str``), log-probabilities as lists of float.

    Raises
    ------
    ValueError
        If a named column is missing (or named twice); a key column has
        missing values; a token cell is missing or not parseable; a target
        is empty; log-probabilities are NaN, positive or not one per target
        token; scale or seed changes within a run; or a (run, scale, seed, the
        ``by`` columns, sample) key occurs more than once (the message says which
        other columns differ, for ``by``).
    TypeError
        If ``data`` is neither a frame nor a path, the scale is not
        numeric, or tokens are neither integers nor strings (or mix the
        two).

    See Also
    --------
    write_samples : writes this format.
    distscale.io.lm_eval_samples.read_lm_eval_samples : the lm-evaluation-harness per-sample
        files.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "run_id": ["a", "a", "b"], "depth": [2, 2, 4], "seed": [0, 0, 1],
    ...     "sample_id": [0, 1, 0],
    ...     "prediction": [[5, 6], [7], [5, 6]], "target": [[5, 6], [7, 8], [5, 6]],
    ...     "target_logprobs": [[-0.1, -0.2], [-0.3, -2.0], [-0.01, -0.02]]})
    >>> samples = read_samples(frame, scale="depth")
    >>> samples[["run_id", "depth", "sample_id", "prediction", "target"]]
      run_id  depth  sample_id prediction  target
    0      a    2.0          0     [5, 6]  [5, 6]
    1      a    2.0          1        [7]  [7, 8]
    2      b    4.0          0     [5, 6]  [5, 6]
    """
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
        source = "`data`"
    elif isinstance(data, (str, os.PathLike)):
        path = check_file(data, "data")
        check_encoding(encoding)
        frame = _load_samples(path, format, encoding)
        source = f"'{path.as_posix()}'"
    else:
        raise TypeError(f"`data` must be a pandas DataFrame or a path; got {type(data).__name__}")

    run_col = _column_argument("run", run, optional=True)
    logprob_col = _column_argument("logprobs", logprobs, optional=True)
    named = {
        "scale": _column_argument("scale", scale, optional=False),
        "seed": _column_argument("seed", seed, optional=False),
        "sample": _column_argument("sample", sample, optional=False),
        "prediction": _column_argument("prediction", prediction, optional=False),
        "target": _column_argument("target", target, optional=False),
    }
    if run_col is not None:
        named["run"] = run_col
    if logprob_col is not None:
        named["logprobs"] = logprob_col
    by_cols = _by_argument(by)
    for i, col in enumerate(by_cols):
        named[f"by[{i}]"] = col
    seen_cols: dict[Hashable, str] = {}
    for argument, col in named.items():
        if col in seen_cols:
            raise ValueError(f"`{seen_cols[col]}` and `{argument}` both name column {col!r}")
        seen_cols[col] = argument
    if frame.columns.duplicated().any():
        dup = format_labels(frame.columns[frame.columns.duplicated()].tolist())
        raise ValueError(f"{source} has duplicated column names: {dup}")
    missing = [(a, c) for a, c in named.items() if c not in frame.columns]
    if missing:
        hints = {
            "run": " (pass run=None if runs are identified by scale and seed)",
            "logprobs": " (pass logprobs=None if there are no log-probabilities)",
        }
        detail = "; ".join(f"`{a}` column {c!r} is missing{hints.get(a, '')}" for a, c in missing)
        raise ValueError(
            f"{source}: {detail}; columns present: {format_labels(list(frame.columns), limit=12)}"
        )
    if frame.empty:
        raise ValueError(f"{source} has no rows")

    key = ([run_col] if run_col is not None else []) + [named["scale"], named["seed"]]
    key += [*by_cols, named["sample"]]
    for col in key:
        absent = frame.index[frame[col].isna()]
        if len(absent):
            raise ValueError(
                f"key column {col!r} has {len(absent)} missing values "
                f"(rows {format_labels(absent.tolist())})"
            )
    scale_col = named["scale"]
    scales = check_numeric_column(frame, scale_col, "scale")
    bad = frame.index[~np.isfinite(scales.to_numpy())]
    if len(bad):
        raise ValueError(
            f"`scale` column {scale_col!r} must be finite; rows {format_labels(bad.tolist())} "
            "are not"
        )
    frame[scale_col] = scales

    pred_tokens, pred_kind = _token_column(frame[named["prediction"]], named["prediction"])
    target_tokens, target_kind = _token_column(frame[named["target"]], named["target"])
    if pred_kind is not None and target_kind is not None and pred_kind is not target_kind:
        raise TypeError(
            f"prediction tokens are {_TOKEN_KINDS[pred_kind]} but target tokens are "
            f"{_TOKEN_KINDS[target_kind]}; they would never compare equal"
        )
    empty = [label for label, t in zip(frame.index, target_tokens, strict=True) if not t]
    if empty:
        raise ValueError(
            f"`target` column {named['target']!r} has {len(empty)} empty targets "
            f"(rows {format_labels(empty)}); per-token metrics need at least one target token"
        )
    frame[named["prediction"]] = pd.Series(pred_tokens, index=frame.index, dtype=object)
    frame[named["target"]] = pd.Series(target_tokens, index=frame.index, dtype=object)
    if logprob_col is not None:
        logps = _logprob_column(frame[logprob_col], logprob_col)
        wrong = [
            label
            for label, lp, t in zip(frame.index, logps, target_tokens, strict=True)
            if len(lp) != len(t)
        ]
        if wrong:
            raise ValueError(
                f"`logprobs` column {logprob_col!r} must hold one log-probability per target "
                f"token; {len(wrong)} rows do not (rows {format_labels(wrong)})"
            )
        frame[logprob_col] = pd.Series(logps, index=frame.index, dtype=object)

    if run_col is not None:
        for col in (scale_col, named["seed"]):
            varying = frame.groupby(run_col, sort=False)[col].nunique(dropna=False)
            varying = varying[varying > 1]
            if len(varying):
                raise ValueError(
                    f"column {col!r} must be constant within a run; it varies within "
                    f"{len(varying)} runs ({run_col!r} = {format_labels(varying.index.tolist())})"
                )

    duplicated = frame.duplicated(subset=key, keep=False)
    if duplicated.any():
        rows = frame.index[duplicated]
        first = frame.loc[rows[0], key]
        same = frame.loc[duplicated & (frame[key] == first).all(axis=1)]
        data_cols = {named["prediction"], named["target"], logprob_col}
        differ = [
            c
            for c in frame.columns
            if c not in key and c not in data_cols and same[c].astype(str).nunique() > 1
        ]
        hint = (
            f"; column{'s' * (len(differ) > 1)} {format_labels(differ)} differ between "
            "such rows: if they identify separate evaluations, name them in `by`"
            if differ
            else ""
        )
        raise ValueError(
            f"{int(duplicated.sum())} rows share their ({', '.join(map(repr, key))}) key with "
            f"another row (rows {format_labels(rows.tolist())}){hint}"
        )
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_samples(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, format: str | None = None
) -> Path:
    """Write a per-sample frame to Parquet, JSON Lines or CSV/TSV, readable by :func:`read_samples`.

    Parquet keeps list columns as lists; JSON Lines writes one object per
    row; CSV/TSV write every list cell as a JSON array (``"[1, 2, 3]"``).
    The frame is written as it is (no validation); the index is dropped.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str or os.PathLike
        The file to write; its extension gives the format (``.parquet``,
        ``.pq``, ``.jsonl``, ``.ndjson``, ``.csv``, ``.tsv``, compressed CSV).
    format : {"parquet", "jsonl", "csv", "tsv"}, optional
        Overrides the extension.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> tmp = tempfile.TemporaryDirectory()
    >>> frame = pd.DataFrame({"scale": [1.0], "seed": [0], "sample_id": [0],
    ...                       "prediction": [[1, 2]], "target": [[1, 3]]})
    >>> path = write_samples(frame, pathlib.Path(tmp.name) / "samples.csv")
    >>> print(path.read_text().splitlines()[1])
    1.0,0,0,"[1, 2]","[1, 3]"
    >>> read_samples(path, run=None, logprobs=None)["target"].tolist()
    [[1, 3]]
    >>> tmp.cleanup()
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"`frame` must be a pandas DataFrame; got {type(frame).__name__}")
    p = as_path(path, "path")
    fmt = _samples_format(p, format)
    if fmt == "parquet":
        frame.to_parquet(p, index=False)
    elif fmt == "jsonl":
        with p.open("w", encoding="utf-8") as fh:
            for record in frame.to_dict(orient="records"):
                fh.write(json.dumps(record, default=_json_default, ensure_ascii=False) + "\n")
    else:
        out = frame.copy()
        for col in out.columns:
            if out[col].dtype == object and any(
                isinstance(v, (list, tuple, np.ndarray)) for v in out[col]
            ):
                out[col] = [
                    json.dumps(v, default=_json_default)
                    if isinstance(v, (list, tuple, np.ndarray))
                    else v
                    for v in out[col]
                ]
        out.to_csv(p, index=False, sep="\t" if fmt == "tsv" else ",")
    return p
