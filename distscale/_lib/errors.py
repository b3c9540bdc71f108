"""Exceptions that carry what went wrong as fields, so callers never parse messages.

Each is a subclass of the built-in exception a user would expect
(``ValueError``), so ``except ValueError`` keeps working; the command line
reads the fields to word its own message (``--scale depth: no such column``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Hashable, Sequence

__all__ = ["ColumnNotFoundError", "ColumnTypeError", "MalformedFileError"]


class ColumnNotFoundError(ValueError):
    """Columns named by arguments are not in a table.

    Parameters
    ----------
    missing : sequence of (str, hashable)
        ``(argument, column)`` pairs: the argument that named the column
        (``"scale"``, ``"seed"``, ``"value"``, ``"task"``) and the column.
    available : sequence of hashable
        The table's columns.
    source : str, optional
        Where the table came from (a file), to prefix the message.
    hint : str, optional
        A likely cause, appended to the message (for a file read with the
        wrong separator: the one it seems to use).

    Examples
    --------
    >>> err = ColumnNotFoundError([("scale", "depth")], ["n", "seed"])
    >>> err.argument, err.column
    ('scale', 'depth')
    >>> str(err)
    "`scale` column 'depth' not found in `frame`; available columns: ['n', 'seed']"
    """

    def __init__(
        self,
        missing: Sequence[tuple[str, Hashable]],
        available: Sequence[Hashable],
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.missing = tuple((str(a), c) for a, c in missing)
        self.available = list(available)
        self.source = source
        self.hint = hint
        super().__init__(str(self))

    @property
    def argument(self) -> str:
        """The argument that named the first missing column (``"value"`` for any value column)."""
        return self.missing[0][0].split("[")[0]

    @property
    def column(self) -> Hashable:
        """The first missing column."""
        return self.missing[0][1]

    def __str__(self) -> str:
        desc = ", ".join(f"`{a}` column {c!r}" for a, c in self.missing)
        text = f"{desc} not found in `frame`; available columns: {self.available}"
        if self.hint:
            text += f"; {self.hint}"
        return f"'{self.source}': {text}" if self.source else text

    def __reduce__(self):  # picklable across processes
        return (type(self), (self.missing, self.available, self.source, self.hint))


class MalformedFileError(ValueError):
    """A file is not well formed for its format.

    Rows cut short, a header that names a column twice, bytes that are not
    text in the file's encoding, a compressed stream or a Parquet file that
    ends early. The message is complete (it names the file and, where known, the lines);
    the fields let a caller word its own.

    Parameters
    ----------
    message : str
        The whole message.
    path : str
        The file.
    kind : str
        What is wrong: ``"ragged rows"``, ``"duplicate columns"``,
        ``"encoding"``, ``"truncated"`` or ``"unreadable"``.
    lines : sequence of int, optional
        The 1-based line numbers concerned, where known.

    Examples
    --------
    >>> err = MalformedFileError("'runs.csv', line 5: 3 fields, the header has 4",
    ...                          path="runs.csv", kind="ragged rows", lines=[5])
    >>> err.path, err.kind, err.lines
    ('runs.csv', 'ragged rows', (5,))
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(
        self, message: str, *, path: str, kind: str, lines: Sequence[int] = ()
    ) -> None:
        self.path = str(path)
        self.kind = kind
        self.lines = tuple(int(n) for n in lines)
        super().__init__(message)

    def __reduce__(self):  # picklable across processes
        return (_malformed, (str(self), self.path, self.kind, self.lines))


def _malformed(message: str, path: str, kind: str, lines: tuple[int, ...]) -> MalformedFileError:
    return MalformedFileError(message, path=path, kind=kind, lines=lines)


_SIZE_LABEL = re.compile(r"\s*[0-9]*\.?[0-9]+\s*[kKmMbBtT]\s*")
_DATE_TEXT = re.compile(r"\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T].*)?")
_THOUSANDS = re.compile(r"\s*[-+]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?\s*")
_DECIMAL_COMMA = re.compile(r"\s*[-+]?[0-9]+,[0-9]+\s*")
_CONVERSIONS = {
    "datetime": (
        "dates/times",
        "time units since 1970, such as 1.7e15 microseconds",
        "days since the first: (frame[{c}] - frame[{c}].min()).dt.days",
    ),
    "timedelta": (
        "durations",
        "counts of time units such as nanoseconds",
        "days: frame[{c}].dt.total_seconds() / 86400",
    ),
    "period": ("periods", "period ordinals", "years: frame[{c}].dt.year"),
}


class ColumnTypeError(TypeError):
    """A scale or metric column does not hold plain real numbers.

    Parameters
    ----------
    argument : str
        The argument that named the column (``"scale"`` or ``"value"``).
    column : hashable
        The column.
    dtype : object
        The column's dtype (kept as text).
    kind : str
        What it holds instead: ``"boolean"``, ``"datetime"``, ``"timedelta"``,
        ``"period"``, ``"complex"`` (a whole column of that type, or, with
        ``rows``, such values in a column of mixed objects) or
        ``"non-numeric"`` (values that are not numbers, listed in ``rows``).
    rows : sequence, optional
        Row labels of the offending values.
    examples : sequence, optional
        A few of those values, to show and to suggest a conversion from.
    source : str, optional
        Where the table came from (a file), to prefix the message.

    Examples
    --------
    >>> err = ColumnTypeError("scale", "n", "str", "non-numeric", rows=[0, 1],
    ...                       examples=["160m", "1.4b"])
    >>> err.argument, err.column, err.kind
    ('scale', 'n', 'non-numeric')
    >>> print(err)  # doctest: +NORMALIZE_WHITESPACE
    `scale` column 'n' must be numeric; it has dtype str with 2 non-numeric values
    (rows 0, 1: '160m', '1.4b'); they look like model sizes: convert them with
    distscale.io.parse_size, e.g. frame['n'].map(distscale.io.parse_size)
    """

    def __init__(
        self,
        argument: str,
        column: Hashable,
        dtype: object,
        kind: str,
        *,
        rows: Sequence[Hashable] = (),
        examples: Sequence[object] = (),
        source: str | None = None,
    ) -> None:
        self.argument = argument
        self.column = column
        self.dtype = str(dtype)
        self.kind = kind
        self.rows = list(rows)
        self.examples = list(examples)
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        text = self._describe()
        return f"'{self.source}': {text}" if self.source else text

    def _describe(self) -> str:
        head = f"`{self.argument}` column {self.column!r}"
        c = repr(self.column)
        rows = _labels(self.rows)
        if self.kind == "boolean":
            if self.rows:
                return f"{head} holds True/False values (rows {rows}); convert them to 0/1 numbers"
            return f"{head} is boolean; convert it to 0/1 numbers explicitly"
        if self.kind in _CONVERSIONS:
            what, as_numbers, example = _CONVERSIONS[self.kind]
            where = f"rows {rows}" if self.rows else f"dtype {self.dtype}"
            return (
                f"{head} holds {what} ({where}), not numbers (read as numbers they would be "
                f"{as_numbers}); convert it first, e.g. to {example.format(c=c)}"
            )
        if self.kind == "complex":
            where = f"rows {rows}" if self.rows else f"dtype {self.dtype}"
            return (
                f"{head} holds complex numbers ({where}); a real number would drop the "
                f"imaginary part: take frame[{c}].real or abs(frame[{c}]) explicitly"
            )
        shown = ", ".join(repr(v) for v in self.examples[:3])
        return (
            f"{head} must be numeric; it has dtype {self.dtype} with {len(self.rows)} "
            f"non-numeric values (rows {rows}{': ' + shown if shown else ''})"
            + _value_hint(self.column, self.examples)
        )

    def __reduce__(self):  # picklable across processes
        return (_column_type, (self.argument, self.column, self.dtype, self.kind, self.rows,
                               self.examples, self.source))


def _column_type(argument, column, dtype, kind, rows, examples, source) -> ColumnTypeError:
    return ColumnTypeError(
        argument, column, dtype, kind, rows=rows, examples=examples, source=source
    )


def _labels(labels: Sequence[object], limit: int = 5) -> str:
    shown = ", ".join(repr(x) if isinstance(x, str) else str(x) for x in list(labels)[:limit])
    return shown + (f", ... ({len(labels) - limit} more)" if len(labels) > limit else "")


def _value_hint(column: Hashable, examples: Sequence[object]) -> str:
    """A likely cause of non-numeric values, from a few of them ('' if none is clear)."""
    values = list(examples)
    texts = [v for v in values if isinstance(v, str)]
    c = repr(column)
    if isinstance(column, str) and any(isinstance(v, str) and v.strip() == column for v in values):
        return "; one of them is the column's own name: a repeated header line (files joined?)"
    if any(
        isinstance(v, (datetime.date, datetime.time)) or type(v).__name__ == "datetime64"
        for v in values
    ) or (
        texts and all(_DATE_TEXT.fullmatch(v) for v in texts)
    ):
        return (
            "; they look like dates: convert them to numbers first, e.g. days since the first: "
            f"(pandas.to_datetime(frame[{c}]) - pandas.to_datetime(frame[{c}]).min()).dt.days"
        )
    if any(isinstance(v, datetime.timedelta) for v in values):
        return "; they are durations: convert them to numbers first (e.g. days)"
    nested = (list, tuple, dict, set)
    if any(isinstance(v, nested) or type(v).__name__ == "ndarray" for v in values):
        return "; they are nested values (lists or records): a population needs one number per run"
    if texts and all(_SIZE_LABEL.fullmatch(v) for v in texts):
        return (
            "; they look like model sizes: convert them with distscale.io.parse_size, e.g. "
            f"frame[{c}].map(distscale.io.parse_size)"
        )
    if texts and all(_THOUSANDS.fullmatch(v) for v in texts):
        return "; thousands separators? read the file with thousands=','"
    if texts and all(_DECIMAL_COMMA.fullmatch(v) for v in texts):
        return "; decimal commas? read the file with decimal=','"
    return ""
