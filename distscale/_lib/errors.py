"""Exceptions that carry what went wrong as fields, so callers never parse messages.

Each is a subclass of the built-in exception a user would expect
(``ValueError``), so ``except ValueError`` keeps working; the command line
reads the fields to word its own message (``--scale depth: no such column``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

__all__ = ["ColumnNotFoundError"]


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
    ) -> None:
        self.missing = tuple((str(a), c) for a, c in missing)
        self.available = list(available)
        self.source = source
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
        return f"'{self.source}': {text}" if self.source else text

    def __reduce__(self):  # picklable across processes
        return (type(self), (self.missing, self.available, self.source))
