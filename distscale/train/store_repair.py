"""Repairing a damaged run store: copy every intact run into a fresh file.

:func:`repair_store` (``RunStore.repair(path)``, ``distscale train CONFIG
--store PATH --repair``) reads what it can of a store that SQLite reports
damaged, row range by row range, so that one bad page loses only the runs
stored on it. A run is kept when its ``runs`` row reads back whole and all
its rows are there (in ``results``, or ``lm_results`` for an LM run; as many
as its configuration evaluates); the training log (``attempts``) is kept
where readable; leases are dropped.

The fresh store is written beside the damaged one and renamed over it in one
step (``os.replace``); the damaged file stays as ``PATH.damaged-<UTC time>``
(with its ``-wal``/``-shm`` companions), so nothing is ever deleted. Stop
every sweep on the store before repairing it: a driver still running would
keep writing to the damaged file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from distscale.train.store_check import ROW_TABLES, StoreDamagedError, expected_rows
from distscale.train.store_schema import KINDS, RUNS_COLUMNS

__all__ = ["RepairReport", "repair_store"]

_RUN_COLUMNS = ("run_id", "seed", "task", "model", "train", "n_rows", "ensemble_size",
                "seconds_per_seed", "finished_at", "worker", "versions")
#: The row table of each unit kind (``runs.kind``).
_KIND_TABLE = {kind: spec[0] for kind, spec in KINDS.items()}
_ATTEMPT_COLUMNS = ("id", "run_id", "unit", "owner", "worker", "started_at", "ended_at",
                    "outcome", "error")


@dataclasses.dataclass(frozen=True)
class RepairReport:
    """What :func:`repair_store` did.

    Attributes
    ----------
    path : str
        The store (now the fresh file, if it was damaged).
    damaged_path : str or None
        Where the damaged file was kept; None when the store was not damaged
        (then nothing was moved).
    kept, lost : int
        Runs copied into the fresh store, and runs seen in the damaged file
        (a ``runs`` row or result rows) that could not be copied whole.
    lost_runs : tuple of str
        Their ``run_id``.
    unreadable : int
        Row ids that could not be read at all, plus one per table whose end
        could not be found (runs stored there, if any, are not counted in
        ``lost``: nothing of them was readable).
    problems : tuple of str
        What the check found before the repair.
    """

    path: str
    damaged_path: str | None
    kept: int
    lost: int
    lost_runs: tuple[str, ...]
    unreadable: int
    problems: tuple[str, ...]

    @property
    def summary(self) -> str:
        """One line for people."""
        if self.damaged_path is None:
            if not self.lost:
                return f"store {self.path!r} is not damaged ({self.kept} runs); nothing to repair"
            return (f"store {self.path!r}: removed {self.lost} run(s) with missing result rows "
                    f"(kept {self.kept}); the next sweep trains them again")
        extra = "; parts of the file could not be read at all" if self.unreadable else ""
        return (f"repaired store {self.path!r}: kept {self.kept} run(s), lost {self.lost}"
                f"{extra}; the damaged file is kept as {self.damaged_path!r}; rerun the sweep "
                "to train what is missing")

    def __str__(self) -> str:
        return self.summary


def _salvage(conn: sqlite3.Connection, table: str, columns: tuple[str, ...],
             chunk: int = 256) -> tuple[list[tuple], int]:
    """Every readable row of ``table``, read by rowid ranges; and the unreadable count."""
    cols = ", ".join(f'"{c}"' for c in columns)
    query = f'SELECT {cols} FROM "{table}" NOT INDEXED WHERE rowid BETWEEN ? AND ?'
    try:
        top = conn.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0] or 0
    except sqlite3.DatabaseError:
        top = None
    if top is None:  # cannot even find the end: read in order until the first error
        rows: list[tuple] = []
        with contextlib.suppress(sqlite3.DatabaseError):
            for row in conn.execute(f'SELECT {cols} FROM "{table}" NOT INDEXED'):
                rows.append(row)
        return rows, 1
    rows, unreadable = [], 0
    for start in range(1, top + 1, chunk):
        try:
            rows += conn.execute(query, (start, start + chunk - 1)).fetchall()
        except sqlite3.DatabaseError:
            for rowid in range(start, min(start + chunk, top + 1)):
                try:
                    rows += conn.execute(query, (rowid, rowid)).fetchall()
                except sqlite3.DatabaseError:
                    unreadable += 1
    return rows, unreadable


def _valid_run(row: tuple) -> bool:
    types = (str, int, str, str, str, int, int, (int, float, type(None)), str, str, str, str)
    if len(row) != len(types) or not all(isinstance(v, t) for v, t in zip(row, types,
                                                                        strict=True)):
        return False
    try:
        return all(isinstance(json.loads(row[i]), dict) for i in (2, 3, 4))
    except ValueError:
        return False


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    try:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    except sqlite3.DatabaseError:
        return []


def _read(path: Path) -> tuple[list[tuple], dict[str, tuple[str, list[tuple]]], list[tuple],
                               dict[str, list[str]], int]:
    """Salvage runs, rows (by run: their table and rows), attempts and each row table's columns.

    A run of a version-1 or -2 store (no ``kind`` column) is ``synthetic``.
    """
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=rw", uri=True, timeout=60,
                           isolation_level=None)
    try:
        columns = {t: _columns(conn, t) for t in ROW_TABLES}
        columns = {t: c for t, c in columns.items() if c}
        runs: list[tuple] = []
        bad = 0
        if columns:
            has_kind = "kind" in _columns(conn, "runs")
            got, bad = _salvage(conn, "runs", _RUN_COLUMNS + (("kind",) if has_kind else ()))
            runs = [r if has_kind else (*r, "synthetic") for r in got]
        by_run: dict[str, tuple[str, list[tuple]]] = {}
        for table, cols in columns.items():
            rows, bad_rows = _salvage(conn, table, tuple(cols))
            bad += bad_rows
            for row in rows:
                by_run.setdefault(row[0], (table, []))[1].append(row)
        try:
            attempts, _ = _salvage(conn, "attempts", _ATTEMPT_COLUMNS)
        except sqlite3.DatabaseError:  # a version-1 store, or its schema is unreadable
            attempts = []
    finally:
        conn.close()
    return runs, by_run, attempts, columns, bad


def repair_store(path: str | os.PathLike) -> RepairReport:
    """Copy every intact run of the store at ``path`` into a fresh store file.

    See the module docstring; :meth:`RunStore.repair
    <distscale.train.store.RunStore.repair>` is the public entry point.

    Examples
    --------
    >>> import tempfile, os
    >>> from distscale.train import RunStore
    >>> path = os.path.join(tempfile.mkdtemp(), "runs.sqlite")
    >>> RunStore(path).close()
    >>> RunStore.repair(path).summary   # a healthy store is left alone
    "store '...runs.sqlite' is not damaged (0 runs); nothing to repair"
    """
    from distscale.train.store import RunStore

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`store` {str(path)!r} does not exist")
    try:
        with RunStore(path, readonly=True) as store:
            report = store.check()
    except StoreDamagedError as err:
        problems = tuple(err.problems)
    else:
        with RunStore(path) as store:  # consistency problems only: fix them in place
            lost = tuple(store.clean(report))
        return RepairReport(str(path), None, report.n_runs - len(lost), len(lost), lost, 0,
                            report.problems)

    runs, by_run, attempts, columns, unreadable = _read(path)
    keep, seen = [], {r[0] for r in runs if r and isinstance(r[0], str)} | set(by_run)
    for run in runs:
        if not _valid_run(run):
            continue
        want = expected_rows(run[2], run[4]) or run[5]
        table, rows = by_run.get(run[0], ("", []))
        rows = sorted(rows, key=lambda r: r[1])
        if run[5] == want and [r[1] for r in rows] == list(range(want)) \
                and table == _KIND_TABLE.get(run[11]):
            keep.append((run, table, rows))
    kept_ids = {run[0] for run, _, _ in keep}
    lost_runs = tuple(sorted(str(k) for k in seen - kept_ids))

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    damaged = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while damaged.exists():
        damaged, n = path.with_name(f"{path.name}.damaged-{stamp}-{n}"), n + 1
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".repair", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()  # RunStore creates it
        with RunStore(tmp) as fresh:
            _write(fresh.connection, keep, attempts, columns, path, stamp)
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{tmp}{suffix}")
        try:  # keep the damaged file under its new name, then swap atomically
            os.link(path, damaged)
        except OSError:
            shutil.copy2(path, damaged)
        for suffix in ("-wal", "-shm", "-journal"):
            if os.path.exists(f"{path}{suffix}"):
                os.replace(f"{path}{suffix}", f"{damaged}{suffix}")
        os.replace(tmp, path)
    except BaseException:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                os.unlink(f"{tmp}{suffix}")
        raise
    return RepairReport(str(path), str(damaged), len(keep), len(lost_runs), lost_runs,
                        unreadable, problems)


def _write(conn: sqlite3.Connection, keep: list, attempts: list[tuple],
           columns: dict[str, list[str]], source: Path, stamp: str) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('repaired_from', ?)",
                     (f"{source.name} at {stamp}",))
        inserts = {}
        for table, have_cols in columns.items():
            have = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
            cols = [c for c in have_cols if c in have]
            index = [have_cols.index(c) for c in cols]
            quoted = ", ".join(f'"{c}"' for c in cols)
            inserts[table] = (f"INSERT INTO {table} ({quoted}) "
                              f"VALUES ({', '.join('?' * len(cols))})", index)
        insert_run = (f"INSERT INTO runs ({', '.join(RUNS_COLUMNS)}) "
                      f"VALUES ({', '.join('?' * len(RUNS_COLUMNS))})")
        for run, table, rows in keep:
            conn.execute(insert_run, run)
            insert, index = inserts[table]
            conn.executemany(insert, ([row[i] for i in index] for row in rows))
        conn.executemany(
            f"INSERT OR IGNORE INTO attempts VALUES ({', '.join('?' * len(_ATTEMPT_COLUMNS))})",
            [a for a in attempts if isinstance(a[1], str) and isinstance(a[5], (int, float))
             and isinstance(a[3], str) and isinstance(a[2], str)])
        conn.execute("UPDATE attempts SET outcome='abandoned', ended_at=?, "
                     "error='the store was repaired' WHERE outcome IS NULL", (time.time(),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
