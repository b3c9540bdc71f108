"""Read one population table (CSV, TSV or Parquet) into a validated Population."""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from distscale._lib.errors import ColumnNotFoundError, ColumnTypeError
from distscale.io.files import FORMATS, check_encoding, check_file, format_from_extension
from distscale.io.strict import read_delimited, read_parquet
from distscale.population import Population

__all__ = ["read_population", "read_table_file"]

def read_population(
    path: str | os.PathLike[str],
    *,
    scale: Hashable,
    seed: Hashable,
    value: Hashable | Sequence[Hashable],
    task: Hashable | None = None,
    dropna: bool = False,
    format: str | None = None,
    encoding: str = "utf-8",
    **read_kwargs: Any,
) -> Population:
    """Read a CSV, TSV or Parquet file into a validated :class:`~distscale.Population`.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Its format comes from the extension: ``.csv`` and
        ``.tsv`` (also compressed, e.g. ``.csv.gz``), ``.parquet`` or ``.pq``.
    scale, seed, value, task, dropna
        Column names and NaN policy, as for :class:`~distscale.Population`.
    format : {"csv", "tsv", "parquet"}, optional
        Overrides the format implied by the extension.
    encoding : str, default "utf-8"
        The text encoding of a CSV/TSV file (UTF-8 is read with or without a
        byte-order mark, which never reaches a column name). Unused for
        Parquet.
    **read_kwargs
        Passed to :func:`pandas.read_csv` or :func:`pandas.read_parquet`
        (for example ``sep=";"`` or ``columns=[...]``); not ``chunksize``
        or ``iterator``.

    Returns
    -------
    Population

    Raises
    ------
    FileNotFoundError
        If the file does not exist (the message names it).
    ValueError
        If the extension is unknown and ``format`` is not given, ``format``
        is not one of the three, or the table fails
        :class:`~distscale.Population` validation (missing columns, NaN,
        duplicate runs ...; the message is prefixed with the file name).
    MalformedFileError
        A ``ValueError`` (:class:`distscale._lib.errors.MalformedFileError`)
        when the file is not well formed: a row with fewer or more fields
        than the header (the lines are named), a column name given twice in
        the header, bytes that are not text in ``encoding`` (the line is
        named), a compressed file or a Parquet file that ends early, or
        anything else the parser refuses (``could not read 'runs.csv' as
        csv: ...``, with the parser's own exception as the cause).
    TypeError
        If ``path`` is not a path, ``encoding`` is not a string, or a
        scale/metric column does not hold plain numbers (text, booleans,
        dates, durations, complex numbers; see
        :class:`~distscale.Population`).
    ImportError
        A ``.zst`` file without the optional ``zstandard`` package.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(tmp.name) / "runs.csv"
    >>> pd.DataFrame({"depth": [1, 1, 2, 2], "seed": [0, 1, 0, 1],
    ...               "acc": [0.1, 0.2, 0.7, 0.9]}).to_csv(path, index=False)
    >>> read_population(path, scale="depth", seed="seed", value="acc")
    Population(4 runs, 2 scales, 2 seeds per scale, metrics=['acc'])
    >>> tmp.cleanup()
    """
    p, fmt, frame = read_table_file(path, format=format, encoding=encoding,
                                    read_kwargs=read_kwargs)
    try:
        return Population(frame, scale=scale, seed=seed, value=value, task=task, dropna=dropna)
    except ColumnNotFoundError as err:
        raise ColumnNotFoundError(
            err.missing, err.available, source=str(p), hint=_separator_hint(frame, fmt)
        ) from err
    except ColumnTypeError as err:
        raise ColumnTypeError(
            err.argument, err.column, err.dtype, err.kind, rows=err.rows,
            examples=err.examples, source=str(p),
        ) from err
    except ValueError as err:
        raise ValueError(f"'{p}': {err}") from err
    except TypeError as err:
        raise TypeError(f"'{p}': {err}") from err


def read_table_file(
    path: object,
    *,
    format: object,
    encoding: object,
    read_kwargs: dict[str, Any],
    caller: str = "read_population",
) -> tuple[Path, str, pd.DataFrame]:
    """Check ``path`` and read it, strictly, as CSV/TSV/Parquet: ``(path, format, frame)``.

    The reading half of :func:`read_population`, shared with the readers of
    other table shapes (:mod:`distscale.io.layouts`); the errors are those
    listed in :func:`read_population`.
    """
    p = check_file(path)
    if format is None:
        fmt = format_from_extension(p)
    elif isinstance(format, str) and format.lower() in FORMATS:
        fmt = format.lower()
    else:
        raise ValueError(
            f"`format` must be one of {', '.join(repr(f) for f in FORMATS)} or None; "
            f"got {format!r}"
        )
    check_encoding(encoding)
    looped = [k for k in ("chunksize", "iterator") if read_kwargs.get(k)]
    if looped:
        raise TypeError(
            f"{caller} reads the whole table; `{looped[0]}` is not supported (read the "
            "chunks with pandas and build a Population from the concatenated frame)"
        )
    if fmt == "parquet":
        frame = read_parquet(p, read_kwargs)
    else:
        frame = read_delimited(p, fmt, encoding, read_kwargs)
    return p, fmt, frame


def _separator_hint(frame: object, fmt: str) -> str | None:
    """The separator a one-column table seems to use, when it is not the one read with."""
    columns = getattr(frame, "columns", [])
    if fmt == "parquet" or len(columns) != 1 or not isinstance(columns[0], str):
        return None
    for sep, name in ((";", "';'"), ("\t", "'\\t'"), (",", "','"), ("|", "'|'")):
        if sep in columns[0]:
            return f"the file seems to separate fields with {name}: pass sep={name}"
    return None
