"""Integrity checks of a run store: SQLite's own check and the store's consistency rules.

:meth:`RunStore.check <distscale.train.store.RunStore.check>` runs both:

1. ``PRAGMA quick_check`` (the file's pages, b-trees and indexes). A store
   that fails it, or that SQLite cannot open at all ("file is not a
   database"), raises :class:`StoreDamagedError`, which names the file, what
   is wrong and the way out (:meth:`RunStore.repair
   <distscale.train.store.RunStore.repair>`, ``distscale train CONFIG --store
   S --repair``).
2. The store's own rules, returned as a :class:`StoreCheck` report: every
   finished run has all its result rows (as many as its stored configuration
   evaluates: the task's ``test_lengths``, plus its ``train_lengths`` when
   ``eval_train_lengths`` is set, and as many as its ``n_rows`` says), no
   result row lacks its run, and no lease is left on a finished run.

The readers (:meth:`Sweep.status`, :meth:`Sweep.population`,
:func:`~distscale.train.read_store`) treat an incomplete run as not finished
and never export it; :meth:`Sweep.run` removes it (and any orphan rows and
leases) in one transaction with :func:`clean`, so it is trained again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3

__all__ = ["ROW_TABLES", "StoreCheck", "StoreDamagedError", "check_consistency", "clean",
           "quick_check"]

#: The tables holding runs' rows: ``results`` (synthetic tasks) and ``lm_results`` (LM
#: populations, schema version 3); a run has rows in one of them.
ROW_TABLES = ("results", "lm_results")


class StoreDamagedError(ValueError):
    """A run store whose file is damaged (SQLite's check fails or it cannot be read).

    ``path`` is the store and ``problems`` what SQLite reported. The message
    says the way out: ``distscale train CONFIG --store PATH --repair`` (or
    :meth:`RunStore.repair <distscale.train.store.RunStore.repair>`) copies
    every intact run into a fresh store and keeps the damaged file beside it.

    Examples
    --------
    >>> err = StoreDamagedError("runs.sqlite", ["*** in database main ***"])
    >>> err.path, isinstance(err, ValueError)
    ('runs.sqlite', True)
    """

    def __init__(self, path: str | os.PathLike, problems: list[str], *, what: str = "") -> None:
        self.path = os.fspath(path)
        self.problems = list(problems)
        shown = "; ".join(p.replace("\n", " ") for p in self.problems[:3])
        if len(self.problems) > 3:
            shown += f"; ... ({len(self.problems)} problems)"
        what = what or "is damaged (SQLite's integrity check failed)"
        super().__init__(
            f"`store` {self.path!r} {what}: {shown}. Stop every sweep on it and run "
            f"`distscale train CONFIG --store {self.path} --repair` (or "
            f"RunStore.repair({self.path!r})): it copies every intact run into a fresh "
            "store and keeps the damaged file beside it"
        )


@dataclasses.dataclass(frozen=True)
class StoreCheck:
    """What :meth:`RunStore.check <distscale.train.store.RunStore.check>` found.

    Attributes
    ----------
    path : str
        The store.
    n_runs : int
        Rows in ``runs`` (finished runs, complete or not).
    incomplete : tuple of str
        ``run_id`` of runs whose result rows are missing (or more than
        expected): not finished for the readers, re-trained by the next
        :meth:`Sweep.run <distscale.train.Sweep.run>`.
    orphan_rows : tuple of str
        ``run_id`` of result rows that have no ``runs`` row.
    orphan_leases : tuple of str
        ``run_id`` of leases on runs that are already finished.
    problems : tuple of str
        One sentence per problem, for people.

    Examples
    --------
    >>> StoreCheck("runs.sqlite", 4, (), (), (), ()).ok
    True
    """

    path: str
    n_runs: int
    incomplete: tuple[str, ...]
    orphan_rows: tuple[str, ...]
    orphan_leases: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the store is consistent (no problem found)."""
        return not self.problems

    def __str__(self) -> str:
        if self.ok:
            return f"store {self.path!r}: {self.n_runs} runs, consistent"
        return f"store {self.path!r}: " + "; ".join(self.problems)


def expected_rows(task_json: str, train_json: str) -> int | None:
    """Result rows a run of this stored configuration has (None if it cannot tell).

    Examples
    --------
    >>> expected_rows('{"train_lengths": [1, 2], "test_lengths": [3, 4, 5]}',
    ...               '{"eval_train_lengths": true}')
    5
    >>> expected_rows('{"kind": "lm", "ratio": 0.1, "data": {}}', '{"steps": 10}')  # LM run
    1
    """
    try:
        task, train = json.loads(task_json), json.loads(train_json)
        if task.get("kind") == "lm":
            return 1
        n = len(task["test_lengths"])
        if train.get("eval_train_lengths"):
            n += len(task["train_lengths"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return n


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def quick_check(conn: sqlite3.Connection, path: str | os.PathLike) -> None:
    """Run ``PRAGMA quick_check``; raise :class:`StoreDamagedError` unless it says ``ok``."""
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as err:
        if isinstance(err, sqlite3.OperationalError) and "locked" in str(err):
            raise
        raise StoreDamagedError(path, [str(err)]) from None
    if rows != ["ok"]:
        raise StoreDamagedError(path, rows)


def check_consistency(conn: sqlite3.Connection, path: str | os.PathLike) -> StoreCheck:
    """The store's own rules (see the module docstring); SQL errors become StoreDamagedError."""
    own = not conn.in_transaction
    try:
        if own:  # one read snapshot for all the queries
            conn.execute("BEGIN")
        try:
            return _consistency(conn, os.fspath(path))
        finally:
            if own and conn.in_transaction:
                conn.execute("COMMIT")
    except sqlite3.DatabaseError as err:
        if isinstance(err, sqlite3.OperationalError) and "locked" in str(err):
            raise
        raise StoreDamagedError(path, [str(err)]) from None


def _consistency(conn: sqlite3.Connection, path: str) -> StoreCheck:
    tables = _tables(conn)
    if "runs" not in tables:
        return StoreCheck(path, 0, (), (), (), ())
    n_runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    expect = {pair: expected_rows(*pair)
              for pair in conn.execute("SELECT DISTINCT task, train FROM runs")}
    # each distinct configuration's expected row count, joined in SQL (no per-run JSON work)
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _distscale_expect "
                 "(task TEXT, train TEXT, n INTEGER, PRIMARY KEY (task, train))")
    conn.execute("DELETE FROM temp._distscale_expect")
    conn.executemany("INSERT INTO temp._distscale_expect VALUES (?, ?, ?)",
                     [(t, r, n) for (t, r), n in expect.items()])
    # a run's rows are in one table of its kind: count them in every row table
    rows = [t for t in ROW_TABLES if t in tables]
    got = " + ".join(f"(SELECT count(*) FROM {t} x WHERE x.run_id = r.run_id)" for t in rows)
    bad = conn.execute(
        "SELECT run_id, n_rows, want, got FROM ("
        " SELECT r.run_id, r.n_rows, coalesce(e.n, r.n_rows) AS want,"
        f"  {got} AS got"
        " FROM runs r LEFT JOIN temp._distscale_expect e"
        " ON e.task = r.task AND e.train = r.train)"
        " WHERE got != want OR n_rows != want ORDER BY run_id"
    ).fetchall()
    conn.execute("DROP TABLE temp._distscale_expect")
    problems = []
    for run_id, n_rows, want, got in bad:
        note = f" (its runs row says {n_rows})" if n_rows != want else ""
        problems.append(f"run {run_id} has {got} of its {want} result rows{note}")
    orphans = sorted({r[0] for t in rows for r in conn.execute(
        f"SELECT DISTINCT run_id FROM {t} WHERE run_id NOT IN (SELECT run_id FROM runs)")})
    problems += [f"result rows of run {k} have no runs row" for k in orphans]
    leases: list[str] = []
    if "leases" in tables:
        leases = [r[0] for r in conn.execute(
            "SELECT run_id FROM leases WHERE run_id IN (SELECT run_id FROM runs) "
            "ORDER BY run_id")]
        problems += [f"a lease is left on the finished run {k}" for k in leases]
    return StoreCheck(path, n_runs, tuple(r[0] for r in bad), tuple(orphans), tuple(leases),
                      tuple(problems))


def clean(conn: sqlite3.Connection, report: StoreCheck) -> list[str]:
    """Remove what ``report`` found, in one write transaction; return the re-queued run ids.

    Incomplete runs lose their ``runs`` row and their partial result rows
    (so they count as not finished and are trained again); orphan result rows
    and leases on finished runs are deleted. Each is re-checked inside the
    transaction, so a run that another driver completed meanwhile is kept.
    """
    if report.ok:
        return []
    requeued = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        fresh = _consistency(conn, report.path)
        has_trajectories = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='trajectories'").fetchone()
        rows = [t for t in ROW_TABLES if t in _tables(conn)]
        for run_id in fresh.incomplete:
            for table in rows:
                conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            if has_trajectories:
                conn.execute("DELETE FROM trajectories WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
            requeued.append(run_id)
        for run_id in fresh.orphan_rows:
            for table in rows:
                conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
        for run_id in fresh.orphan_leases:
            conn.execute("DELETE FROM leases WHERE run_id = ?", (run_id,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return requeued
