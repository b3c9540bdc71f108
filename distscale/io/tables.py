"""Read one population table (CSV, TSV or Parquet) into a validated Population."""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from typing import Any

import pandas as pd

from distscale._lib.errors import ColumnNotFoundError
from distscale.io.files import FORMATS, check_file, format_from_extension, read_errors
from distscale.population import Population

__all__ = ["read_population"]

def read_population(
    path: str | os.PathLike[str],
    *,
    scale: Hashable,
    seed: Hashable,
    value: Hashable | Sequence[Hashable],
    task: Hashable | None = None,
    dropna: bool = False,
    format: str | None = None,
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
    **read_kwargs
        Passed to :func:`pandas.read_csv` or :func:`pandas.read_parquet`
        (for example ``sep=";"`` or ``columns=[...]``).

    Returns
    -------
    Population

    Raises
    ------
    FileNotFoundError
        If the file does not exist (the message names it).
    ValueError
        If the extension is unknown and ``format`` is not given, ``format``
        is not one of the three, the file cannot be parsed in that format
        (one message naming the file and the parser's complaint), or the
        table fails :class:`~distscale.Population` validation (missing
        columns, NaN, duplicate runs ...; the message is prefixed with the
        file name).
    TypeError
        If ``path`` is not a path, or a scale/metric column is not numeric.

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
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(p, **read_kwargs)
        else:
            kwargs = dict(read_kwargs)
            if "sep" not in kwargs and "delimiter" not in kwargs:
                kwargs["sep"] = "\t" if fmt == "tsv" else ","
            frame = pd.read_csv(p, **kwargs)
    except read_errors() as err:
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"could not read '{p}' as {fmt}: {detail}") from err
    try:
        return Population(frame, scale=scale, seed=seed, value=value, task=task, dropna=dropna)
    except ColumnNotFoundError as err:
        raise ColumnNotFoundError(err.missing, err.available, source=str(p)) from err
    except ValueError as err:
        raise ValueError(f"'{p}': {err}") from err
    except TypeError as err:
        raise TypeError(f"'{p}': {err}") from err
