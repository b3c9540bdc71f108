"""Strict reading of table files: a malformed file gives one clear error, never a guess.

:func:`read_delimited` reads CSV/TSV (also compressed) with pandas and then
checks what pandas lets through silently:

* a row with fewer fields than the header (pandas fills the missing fields
  with NaN: a row cut short in mid-write reads as a row with a missing value);
* rows with one field more than the header (pandas then takes the first
  column as the row index and shifts every value one column to the left);
* a column name repeated in the header (pandas renames the second ``acc``
  to ``acc.1`` and a reader asking for ``acc`` gets the first one).

The field counts are checked only where they can be wrong: a file whose
last column has no missing value and whose index is the default one cannot
hold a short row (pandas itself refuses rows that are too long), so clean
files are read at pandas' speed. Otherwise the file is read once more: a
numpy pass over the raw bytes settles the common case (no quote character,
every line as wide as the header); else the :mod:`csv` module splits the
records with pandas' dialect (separator, quoting, header row, skipped rows)
and every offending line is named. With options the scan cannot mirror
(``comment``, a list of ``skiprows``, a regex ``sep`` ...) pandas' python
parser, which keeps short rows apart from empty fields, names the data rows
instead.

:func:`read_parquet` reads Parquet; both turn undecodable text, compressed
streams that end early and Parquet files cut short into one
:class:`~distscale._lib.errors.MalformedFileError` (a ``ValueError``) that
names the file.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import csv
import gzip
import io
import lzma
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np
import pandas as pd

from distscale._lib.errors import MalformedFileError
from distscale.io.files import check_encoding, encoding_error, read_errors

__all__ = ["read_delimited", "read_parquet"]

_SUFFIX_COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip", ".zst": "zstd"}
#: read_csv options that only change how values are converted, not how rows are split.
_VALUE_OPTIONS = frozenset({
    "dtype", "converters", "true_values", "false_values", "na_values", "keep_default_na",
    "na_filter", "parse_dates", "date_format", "dayfirst", "cache_dates", "thousands",
    "decimal", "float_precision", "dtype_backend", "low_memory", "memory_map", "verbose",
    "engine", "usecols", "index_col", "storage_options",
})
#: read_csv options the csv-module scan mirrors.
_SCAN_OPTIONS = frozenset({
    "sep", "delimiter", "quotechar", "quoting", "doublequote", "escapechar",
    "skipinitialspace", "encoding_errors", "compression", "nrows", "header", "names",
    "on_bad_lines", "skip_blank_lines", "skiprows",
})
#: read_csv options that shape the rows (kept for pandas' python parser and the header read).
_ROW_OPTIONS = frozenset({
    "sep", "delimiter", "header", "names", "index_col", "skiprows", "skipfooter", "nrows",
    "skip_blank_lines", "comment", "lineterminator", "quotechar", "quoting", "doublequote",
    "escapechar", "skipinitialspace", "encoding_errors", "compression", "dialect",
    "on_bad_lines", "storage_options",
})
_PANDAS_LONG_ROW = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_ARROW_ROW = re.compile(r"Expected \d+ columns, got \d+")
_PARQUET_SOURCE = re.compile(r"^Could not open Parquet input source '.*?': ")
_PARQUET_REPEATED = re.compile(r"Multiple matches for FieldRef\.Name\((.*?)\)")
_MANGLED = re.compile(r".+\.[1-9][0-9]*")
_SHOWN = 5
_BYTE_SAFE = frozenset({"utf-8", "utf-8-sig", "ascii", "latin-1", "iso8859-1", "cp1252"})


# --------------------------------------------------------------------------- public helpers


def read_delimited(
    path: Path, fmt: str, encoding: str, kwargs: dict[str, Any]
) -> pd.DataFrame:
    """Read a CSV/TSV file with :func:`pandas.read_csv`, strictly (see the module docstring).

    Parameters
    ----------
    path : pathlib.Path
        The file (compressed by extension or by ``compression=``).
    fmt : {"csv", "tsv"}
        The default separator (``","`` or ``"\\t"``) and the name in messages.
    encoding : str
        The text encoding, as given by the user (UTF-8 is read with or without a BOM).
    kwargs : dict
        Further :func:`pandas.read_csv` options.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    MalformedFileError
        A row with more or fewer fields than the header, a repeated column
        name, bytes that are not ``encoding`` text, a compressed stream that
        is cut short or damaged.
    ValueError
        Any other parser failure: ``could not read 'file' as csv: ...``.
    ImportError
        A ``.zst`` file without the ``zstandard`` package.
    """
    options = dict(kwargs)
    if "sep" not in options and "delimiter" not in options:
        options["sep"] = "\t" if fmt == "tsv" else ","
    codec = check_encoding(encoding)
    try:
        frame = pd.read_csv(path, encoding=codec, **options)
    except (EOFError, UnicodeDecodeError, ImportError, pd.errors.ParserError) as err:
        raise _read_error(path, fmt, encoding, options, err) from err
    except read_errors() + _compression_errors() as err:
        raise _read_error(path, fmt, encoding, options, err) from err
    if not isinstance(frame, pd.DataFrame):  # chunksize= or iterator=: nothing to check here
        return frame
    _check_header(path, frame, codec, options)
    _check_rows(path, frame, codec, options)
    return frame


def read_parquet(path: Path, kwargs: dict[str, Any]) -> pd.DataFrame:
    """Read a Parquet file; a damaged or cut-short file gives one clear ``ValueError``."""
    try:
        return pd.read_parquet(path, **kwargs)
    except read_errors() as err:
        detail = _PARQUET_SOURCE.sub("", _first_line(err))
        repeated = _PARQUET_REPEATED.search(detail)
        if "file size is 0 bytes" in detail:
            detail = "the file is empty (0 bytes)"
        elif "magic bytes not found" in detail or "smaller than the minimum" in detail:
            detail = (
                "the file has no Parquet footer: it was cut short (truncated?) or is not "
                "Parquet at all"
            )
        elif repeated:
            detail = f"the file has more than one column named {repeated.group(1)!r}"
        elif "thrift" in detail or "end of stream" in detail.lower():
            detail = f"the file is damaged or cut short (truncated?): {detail}"
        raise MalformedFileError(
            f"could not read '{path.as_posix()}' as parquet: {detail}",
            path=path.as_posix(), kind="unreadable",
        ) from err


# --------------------------------------------------------------------------- read errors


def _compression_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (zlib.error, lzma.LZMAError, zipfile.BadZipFile)
    with contextlib.suppress(ImportError):
        import zstandard

        errors += (zstandard.ZstdError,)
    return errors


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _compression(path: Path, options: dict[str, Any]) -> str | None:
    """pandas' compression method for the file (None: plain text; "?" unknown)."""
    method = options.get("compression", "infer")
    if isinstance(method, dict):
        method = method.get("method")
    if method == "infer":
        return _SUFFIX_COMPRESSION.get(path.suffix.lower())
    if method is None or method in _SUFFIX_COMPRESSION.values():
        return method
    return "?"


def _read_error(
    path: Path, fmt: str, encoding: str, options: dict[str, Any], err: BaseException
) -> BaseException:
    name = path.as_posix()
    method = _compression(path, options)
    if isinstance(err, UnicodeDecodeError):
        line, head = _undecodable_line(path, method, encoding)
        return encoding_error(path, encoding, line, err, head)
    if isinstance(err, ImportError):
        detail = _first_line(err)
        if "zstandard" in detail:
            detail = "zstd-compressed files need the package zstandard (pip install zstandard)"
        return ImportError(f"could not read '{name}': {detail}")
    found = _PANDAS_LONG_ROW.search(str(err))
    if isinstance(err, pd.errors.ParserError) and (found or _ARROW_ROW.search(str(err))):
        scan = (
            _scan(path, check_encoding(encoding), options) if _can_scan(path, options) else None
        )
        if scan is not None and scan.n_bad:  # every offending line, not just the first
            return _ragged_error(path, scan, options)
        if found:
            expected, line, saw = (int(g) for g in found.groups())
            return _ragged_error(path, _Scan(expected, [(line, saw)], 1, 0), options)
    if isinstance(err, EOFError):
        return MalformedFileError(
            f"could not read '{name}' as {fmt}: the {method or 'compressed'} data ends early: "
            "the file was cut short (truncated?)",
            path=name, kind="truncated",
        )
    damaged = (OSError, *_compression_errors())
    if method not in (None, "?") and isinstance(err, damaged) and not isinstance(
        err, (FileNotFoundError, PermissionError)
    ):
        return MalformedFileError(
            f"could not read '{name}' as {fmt}: not valid {method} data: damaged, cut short, "
            f"or not {method} at all ({_first_line(err)})",
            path=name, kind="unreadable",
        )
    detail = _first_line(err)
    if isinstance(err, pd.errors.EmptyDataError):
        detail = f"the file is empty: no header line and no rows ({detail})"
    return MalformedFileError(
        f"could not read '{name}' as {fmt}: {detail}", path=name, kind="unreadable"
    )


@contextlib.contextmanager
def _open_binary(path: Path, method: str | None) -> Iterator[IO[bytes]]:
    """The file's decompressed bytes (pandas' methods gzip, bz2, xz, zip, zstd)."""
    with contextlib.ExitStack() as stack:
        if method is None:
            yield stack.enter_context(open(path, "rb"))
        elif method == "gzip":
            yield stack.enter_context(gzip.open(path, "rb"))
        elif method == "bz2":
            yield stack.enter_context(bz2.open(path, "rb"))
        elif method == "xz":
            yield stack.enter_context(lzma.open(path, "rb"))
        elif method == "zip":
            archive = stack.enter_context(zipfile.ZipFile(path))
            members = [
                m for m in archive.namelist()
                if not m.endswith("/") and not m.startswith("__MACOSX/")
            ]
            yield stack.enter_context(archive.open(members[0]))
        else:
            import zstandard

            yield stack.enter_context(zstandard.open(path, "rb"))


def _undecodable_line(path: Path, method: str | None, encoding: str) -> tuple[int | None, bytes]:
    """1-based line of the first byte that is not ``encoding`` text, and the file's first bytes."""
    try:
        with _open_binary(path, method) as fh:
            head = fh.read(4)
            decoder = codecs.getincrementaldecoder(check_encoding(encoding))()
            lines, chunk = 1, head
            while chunk:
                try:
                    lines += decoder.decode(chunk).count("\n")
                except UnicodeDecodeError as err:
                    return lines + err.object[: err.start].count(b"\n"), head
                chunk = fh.read(1 << 20)
    except (OSError, EOFError, ImportError, IndexError, *_compression_errors()):
        return None, b""
    return None, head


# --------------------------------------------------------------------------- the csv-module scan

_SCAN_ERRORS = (OSError, EOFError, ValueError, ImportError, IndexError, csv.Error)


class _Scan(NamedTuple):
    expected: int  # fields of the header (or `names`, or the first row)
    bad: list[tuple[int, int]]  # (first line, fields) of the first offending rows
    n_bad: int  # how many rows offend
    n_data: int  # how many data rows were read
    widened: bool = False  # index_col= and rows one wider than the header (pandas' layout)


def _can_scan(path: Path, options: dict[str, Any]) -> bool:
    """Whether the csv-module scan splits rows as pandas does with these options."""
    sep = options.get("sep", options.get("delimiter"))
    return (
        set(options) <= _VALUE_OPTIONS | _SCAN_OPTIONS
        and isinstance(sep, str) and len(sep) == 1
        and options.get("skip_blank_lines", True) is True
        and isinstance(options.get("skiprows", 0), int)  # a number of rows; not a list
        and _compression(path, options) != "?"
        and isinstance(options.get("header", "infer"), (int, str, type(None)))
    )


def _records(path: Path, codec: str, options: dict[str, Any]) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of every record that is not blank, split as pandas splits them."""
    quoting = csv.QUOTE_NONE if options.get("quoting") == csv.QUOTE_NONE else csv.QUOTE_MINIMAL
    with _open_binary(path, _compression(path, options)) as raw:
        text = io.TextIOWrapper(
            raw, encoding=codec, errors=options.get("encoding_errors", "strict"), newline=""
        )
        reader = csv.reader(
            text,
            delimiter=options.get("sep", options.get("delimiter")),
            quotechar=options.get("quotechar", '"'),
            quoting=quoting,
            doublequote=options.get("doublequote", True),
            escapechar=options.get("escapechar"),
            skipinitialspace=options.get("skipinitialspace", False),
        )
        line, to_skip = 1, options.get("skiprows") or 0  # pandas skips records, blank or not
        for record in reader:
            start, line = line, reader.line_num + 1
            if to_skip:
                to_skip -= 1
            elif record and (len(record) > 1 or record[0].strip()):  # pandas skips blank lines
                yield start, record


def _uniform_widths(path: Path, codec: str, options: dict[str, Any]) -> bool:
    """True when every line that is not blank has as many fields as the first one.

    A fast numpy pass over the raw bytes, for the common case only: the header
    on the first line, no quote character anywhere, an encoding in which the
    separator and line ends are single ASCII bytes. Anything else (False) is
    left to the csv-module scan, which also names the lines.
    """
    if options.get("header", "infer") not in (0, "infer") or options.get("names") is not None:
        return False
    if options.get("skiprows"):
        return False
    if codecs.lookup(codec).name not in _BYTE_SAFE or options.get("escapechar") is not None:
        return False
    sep = str(options.get("sep", options.get("delimiter"))).encode("ascii", "replace")[0]
    quote = str(options.get("quotechar", '"')).encode("ascii", "replace")[0]
    expected, carry = None, b""
    try:
        with _open_binary(path, _compression(path, options)) as raw:
            while True:
                block = raw.read(1 << 24)
                data = carry + block
                cut = len(data) if not block else data.rfind(b"\n") + 1
                part, carry = data[:cut], data[cut:]
                if part:
                    widths = _line_widths(part, sep, quote)
                    if widths is None:
                        return False
                    if expected is None and len(widths):
                        expected = int(widths[0])
                    if (widths != expected).any():
                        return False
                if not block:
                    return True
    except (*_SCAN_ERRORS, *_compression_errors()):
        return False


def _line_widths(part: bytes, sep: int, quote: int) -> np.ndarray | None:
    """Fields per line that is not blank (None if a quote or a lone carriage return is seen)."""
    arr = np.frombuffer(part, dtype=np.uint8)
    if (arr == quote).any():
        return None
    ends = np.flatnonzero(arr == 10)
    if len(ends) == 0 or ends[-1] != len(arr) - 1:
        ends = np.append(ends, len(arr))  # the last line has no line end
    returns = np.count_nonzero(arr == 13)
    if returns and returns > np.count_nonzero(arr[ends[ends > 0] - 1] == 13):
        return None  # a carriage return inside a line (or old Mac line ends)
    starts = np.concatenate(([0], ends[:-1] + 1))
    # separators before each line end; a line end is never a separator
    widths = np.diff(np.searchsorted(np.flatnonzero(arr == sep), ends), prepend=0) + 1
    odd = np.flatnonzero(widths == 1)  # blank lines have one (empty) field
    if len(odd) > 1000:
        return None if len(odd) < len(widths) else widths
    blank = [i for i in odd if not part[starts[i] : ends[i]].strip()]
    return np.delete(widths, blank)


def _scan(path: Path, codec: str, options: dict[str, Any]) -> _Scan | None:
    """Every row's field count against the header's; None if the csv module cannot follow."""
    header = options.get("header", "infer")
    names = options.get("names")
    if header == "infer":
        header = None if names is not None else 0
    to_skip = header if isinstance(header, int) else None  # records up to the header
    expected = len(names) if names is not None else None
    index_given = options.get("index_col") is not None
    long_ok = options.get("on_bad_lines", "error") != "error"
    nrows = options.get("nrows")
    bad: list[tuple[int, int]] = []
    n_bad = n_data = 0
    widened = False
    records = _records(path, codec, options)
    try:
        for start, record in records:
            if to_skip is not None:
                if to_skip == 0 and expected is None:
                    expected = len(record)
                to_skip = None if to_skip == 0 else to_skip - 1
                continue
            n_data += 1
            if expected is None:
                expected = len(record)  # no header: pandas takes the first row's width
            elif n_data == 1 and index_given and len(record) == expected + 1:
                expected += 1  # pandas' layout of a row index without a name in the header
                widened = True
            if len(record) < expected or (len(record) > expected and not long_ok):
                n_bad += 1
                if len(bad) < _SHOWN:
                    bad.append((start, len(record)))
            if nrows is not None and n_data >= nrows:
                break
    except (*_SCAN_ERRORS, *_compression_errors()):
        return None  # e.g. a field over the csv module's size limit
    finally:
        records.close()
    return _Scan(expected or 0, bad, n_bad, n_data, widened)


# --------------------------------------------------------------------------- repeated names


def _header_cells(
    path: Path, codec: str, options: dict[str, Any], row: int
) -> list[str] | None:
    """The header row's names as written (pandas would rename repeats); None if unknown."""
    if _can_scan(path, options):
        records = _records(path, codec, options)
        try:
            for i, (_, record) in enumerate(records):
                if i == row:
                    return record
        except (*_SCAN_ERRORS, *_compression_errors()):
            return None
        finally:
            records.close()
        return None
    kept = {k: v for k, v in options.items() if k in _ROW_OPTIONS - {"nrows", "skipfooter"}}
    kept.pop("index_col", None)
    try:
        raw = pd.read_csv(path, encoding=codec, **{
            **kept, "header": None, "nrows": row + 1, "dtype": str, "na_filter": False})
        return [str(c) for c in raw.iloc[row].tolist()]
    except (*read_errors(), IndexError):  # rows above the header wider than it, ...
        return None


def _check_header(path: Path, frame: pd.DataFrame, codec: str, options: dict[str, Any]) -> None:
    """Refuse a header that names a column twice (pandas renames the second 'acc' 'acc.1')."""
    header = options.get("header", "infer")
    if "names" in options or header is None or not isinstance(header, (int, str)):
        return  # pandas itself refuses repeated `names`; no header, or a multi-row one
    mangled = any(isinstance(c, str) and _MANGLED.fullmatch(c) for c in frame.columns)
    if not mangled and "usecols" not in options:
        return
    cells = _header_cells(path, codec, options, header if isinstance(header, int) else 0)
    positions: dict[str, list[int]] = {}
    for i, cell in enumerate(cells or [], start=1):
        if cell.strip():
            positions.setdefault(cell, []).append(i)
    repeated = {name: at for name, at in positions.items() if len(at) > 1}
    if not repeated:
        return
    listed = "; ".join(
        f"{name!r} (fields {', '.join(map(str, at))})" for name, at in repeated.items()
    )
    first = next(iter(repeated))
    raise MalformedFileError(
        f"'{path.as_posix()}': the header names {'a column' if len(repeated) == 1 else 'columns'} "
        f"more than once: {listed}; pandas would keep the first {first!r} and rename the "
        f"next {first + '.1'!r}: give every column its own name",
        path=path.as_posix(), kind="duplicate columns",
    )


# --------------------------------------------------------------------------- field counts


def _default_index(frame: pd.DataFrame) -> bool:
    return isinstance(frame.index, pd.RangeIndex) and frame.index.equals(
        pd.RangeIndex(len(frame))
    )


def _check_rows(path: Path, frame: pd.DataFrame, codec: str, options: dict[str, Any]) -> None:
    """Refuse rows with fewer (or more) fields than the header; see the module docstring."""
    if frame.shape[1] == 0 or len(frame) == 0:
        return
    index_given = options.get("index_col") is not None
    may_hide = (
        (not index_given and not _default_index(frame))  # pandas took a column as the index
        or any(k in options for k in ("usecols", "converters"))
        or options.get("na_filter") is False
        or options.get("keep_default_na") is False
        or bool(frame.iloc[:, -1].isna().any())
        or (index_given and bool(frame.index.to_frame().isna().to_numpy().any()))
    )
    if not may_hide:
        return  # a short row leaves NaN in the last column; pandas refuses long ones itself
    if _can_scan(path, options) and _uniform_widths(path, codec, options):
        return
    scan = _scan(path, codec, options) if _can_scan(path, options) else None
    if scan is None:
        _python_check(path, codec, options)
    elif scan.n_bad:
        raise _ragged_error(path, scan, options)


def _python_check(path: Path, codec: str, options: dict[str, Any]) -> None:
    """Short rows by pandas' python parser, which leaves a missing field NaN and an empty one ''."""
    kept = {k: v for k, v in options.items() if k in _ROW_OPTIONS}
    try:
        check = pd.read_csv(
            path, encoding=codec, engine="python", dtype=str, na_filter=False, **kept
        )
    except pd.errors.ParserError as err:
        found = _PANDAS_LONG_ROW.search(str(err))
        if found:
            expected, line, saw = (int(g) for g in found.groups())
            raise _ragged_error(path, _Scan(expected, [(line, saw)], 1, 0), options) from err
        return
    except (*read_errors(), NotImplementedError):
        return  # options the python parser lacks (lineterminator=): pandas' own checks only
    missing = check.iloc[:, -1].isna().to_numpy()
    if options.get("index_col") is not None:
        missing |= check.index.to_frame().isna().to_numpy().any(axis=1)
    rows = [int(i) + 1 for i in missing.nonzero()[0]]
    if not rows:
        return
    expected = check.shape[1] + (
        check.index.nlevels if options.get("index_col") is not None else 0
    )
    shown = ", ".join(map(str, rows[:_SHOWN])) + (
        f", ... ({len(rows) - _SHOWN} more)" if len(rows) > _SHOWN else ""
    )
    raise MalformedFileError(
        f"'{path.as_posix()}', data row{'s' * (len(rows) > 1)} {shown} (counted from 1 "
        f"below the header): fewer fields than the header's {expected} "
        f"({'a row' if len(rows) == 1 else 'rows'} cut short?)",
        path=path.as_posix(), kind="ragged rows",
    )


def _ragged_error(path: Path, scan: _Scan, options: dict[str, Any]) -> MalformedFileError:
    expected, bad, n_bad = scan.expected, scan.bad, scan.n_bad
    lines = [line for line, _ in bad]
    counts = {n for _, n in bad}
    more = f", ... ({n_bad - len(bad)} more)" if n_bad > len(bad) else ""
    if len(counts) == 1:
        where = ", ".join(map(str, lines)) + more
        fields = f"{counts.pop()} fields"
    else:
        where = ", ".join(f"{line} ({n} fields)" for line, n in bad) + more
        fields = "wrong numbers of fields"
    what = (
        "the first data row has" if scan.widened
        else "`names` gives" if options.get("names") is not None
        else "the first row has" if options.get("header", "infer") is None
        else "the header has"
    )
    several = n_bad > 1
    if all(n < expected for _, n in bad):
        hint = "rows cut short?" if several else "a row cut short?"
    elif all(n == expected + 1 for _, n in bad) and n_bad == scan.n_data:
        hint = (
            "every row has one field more than the header: a trailing separator, or a row "
            "index without a name in the header? pass index_col=0 if the first column is one"
        )
    elif all(n > expected for _, n in bad):
        hint = "a stray separator, or a value holding one without quotes?"
    else:
        hint = "rows cut short, or stray separators?"
    return MalformedFileError(
        f"'{path.as_posix()}', line{'s' * several} {where}: {fields}, {what} {expected} "
        f"({hint})",
        path=path.as_posix(), kind="ragged rows", lines=lines,
    )
