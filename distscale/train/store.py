"""The embedded SQLite store of finished training runs.

A :class:`~distscale.train.sweep.Sweep` commits every finished run here, so
that a killed sweep loses nothing that finished and repeats nothing on
resume. Only drivers (processes that call ``Sweep.run``) write; workers only
return tables; any number of processes may read. Several drivers may work
one store at once: they claim units through the ``leases`` table
(:mod:`distscale.train.leases`).

Schema (``schema_version`` 3), kept deliberately plain so that any SQLite
client can query it:

``meta(key TEXT PRIMARY KEY, value TEXT)``
    ``schema_version`` and ``created_by``.
``runs``
    One row per finished run: ``run_id`` (the content hash of
    :func:`~distscale.train.config.run_key`, primary key), ``seed``, the
    configurations ``task``, ``model``, ``train`` as canonical JSON (their
    ``to_dict()``), ``n_rows`` (rows the run has in ``results``),
    ``ensemble_size``, ``seconds_per_seed``, ``finished_at`` (UTC, ISO 8601),
    ``worker`` (``host:pid`` that trained it) and ``versions`` (JSON:
    distscale, torch, python of the worker) and ``kind``: the unit kind that
    trained it, ``synthetic`` (a task of :mod:`distscale.train.tasks`; its rows
    are in ``results``) or ``lm`` (an LM seed population of
    :mod:`distscale.train.lm`; its one row is in ``lm_results``).
``results``
    The tidy rows of :func:`~distscale.train.train_population`, one typed SQL
    column per table column (``TEXT``/``INTEGER``/``REAL``; floats are stored
    as 8-byte IEEE doubles, so values round-trip exactly), plus ``row`` (the
    row's position within its run) with primary key ``(run_id, row)``.
``lm_results``
    The rows of ``lm`` runs, one per (ratio, seed) run: the columns of
    :func:`~distscale.train.lm.lm_population` (``ratio``, ``seed``, ``acc``,
    ``acc_norm``, ``nll``, ``p_correct``, ``lm_loss``, ...; see
    :data:`~distscale.train.store_schema.LM_RESULT_COLUMNS`), typed as in
    ``results``, plus ``row``.
``trajectories`` (only in stores of sweeps with ``checkpoints``)
    The checkpoint evaluations of :func:`~distscale.train.train_population`
    (``checkpoints=...``), one typed column per column of
    :data:`~distscale.io.run_table.TRAJECTORY_COLUMNS` plus ``row``, primary
    key ``(run_id, row)``; written in the transaction of their run and
    removed with it by :meth:`RunStore.clean`. Created on first use, so it
    does not change the schema version; :meth:`RunStore.repair` does not
    carry it over.
``leases``
    One row per run being trained: ``run_id`` (primary key, so a run has at
    most one lease), ``unit`` (the unit's key), ``owner`` (the driver,
    ``host:pid:token``), ``acquired_at`` and ``expires_at`` (Unix seconds).
``attempts``
    The training log, one row per run and attempt: ``id``, ``run_id``,
    ``unit``, ``owner``, ``worker``, ``started_at``, ``ended_at`` and
    ``outcome``: NULL while training, then ``committed``, ``duplicate``
    (finished, but another driver had committed the run first), ``failed``
    (the unit raised; ``error`` says what), ``worker died``, ``cancelled``
    (the driver stopped) or ``abandoned`` (its driver died or its lease
    expired and another driver took the run over).

Stores of schema versions 1 and 2 are read as they are and upgraded in place
(new tables, ``runs.kind`` = ``synthetic``) when opened for writing.

A run's ``runs`` row and all its ``results`` rows are written in one
transaction, so a run is wholly present or absent; rows that go missing later
(a damaged file, a hand edit) are found by :meth:`RunStore.check`
(:mod:`distscale.train.store_check`). The database uses write-ahead logging
(``journal_mode=WAL``, falling back to ``delete`` where WAL is impossible)
with ``synchronous=FULL``: a committed run survives a killed process and a
power cut. WAL serves processes of one machine only; drivers on several
machines sharing a file system need ``journal="delete"`` and working POSIX
file locks.
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from distscale.io.run_table import TRAJECTORY_COLUMNS
from distscale.train.store_check import (
    StoreCheck,
    StoreDamagedError,
    check_consistency,
    clean,
    quick_check,
)
from distscale.train.store_schema import (
    JOURNAL_MODES,
    KINDS,
    READABLE_VERSIONS,
    RESULT_COLUMNS,
    RUNS_COLUMNS,
    SCHEMA_VERSION,
    TABLE_COLUMNS,
    TRAJECTORY_SQL_COLUMNS,
    migrate,
    trajectory_groups,
    trajectory_schema,
)

__all__ = ["JOURNAL_MODES", "RESULT_COLUMNS", "SCHEMA_VERSION", "TABLE_COLUMNS", "RunStore",
           "StoreCheck", "StoreDamagedError", "read_store"]

_DTYPES = {"TEXT": "str", "INTEGER": "int64", "REAL": "float64"}


def _canonical(config: object) -> str:
    return json.dumps(config.to_dict(), sort_keys=True, separators=(",", ":"))  # type: ignore[attr-defined]


class RunStore:
    """A connection to a run store (created on first use).

    Parameters
    ----------
    path : str or os.PathLike
        The SQLite file. Created, with its tables, if absent.
    readonly : bool, default False
        Open an existing store to read it (nothing is created or written).
    journal : {"wal", "delete"}, optional
        Switch the store's journal mode (a property of the file, kept from
        then on). By default a new store uses ``"wal"`` (falling back to
        ``"delete"`` where WAL is impossible) and an existing one keeps its
        mode. Use ``"delete"`` for drivers on several machines sharing a
        file system: WAL only works for processes of one machine.

    Raises
    ------
    StoreDamagedError
        If ``path`` cannot be read as SQLite ("file is not a database"): a
        damaged store or another kind of file (see :meth:`repair`).
    ValueError
        If ``path`` is a SQLite database of another program, or was written
        by a newer distscale.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "runs.sqlite")
    >>> with RunStore(path) as store:
    ...     store.journal_mode, store.done_keys(), store.check().ok
    ('wal', set(), True)
    """

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False,
                 journal: str | None = None) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"`store` must be a file path; got {type(path).__name__}")
        if journal is not None and journal not in JOURNAL_MODES:
            raise ValueError(f"`journal` must be 'wal' or 'delete'; got {journal!r}")
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(f"`store` {str(self.path)!r} is a directory; give a file path")
        if readonly and not self.path.exists():
            raise FileNotFoundError(f"`store` {str(self.path)!r} does not exist")
        if not readonly and not self.path.parent.exists():
            raise FileNotFoundError(
                f"`store` directory {str(self.path.parent)!r} does not exist"
            )
        # "readonly" opens without creating (mode=rw): a read-only (mode=ro) connection
        # cannot open a WAL database whose -shm file is gone
        self.uri = self.path.resolve().as_uri()
        self._conn = sqlite3.connect(self.uri + ("?mode=rw" if readonly else ""), uri=True,
                                     timeout=60, isolation_level=None)
        self.journal_note: str | None = None
        try:
            self._setup(readonly, journal)
        except sqlite3.OperationalError as err:
            self._conn.close()
            raise ValueError(
                f"`store` {str(self.path)!r} is not a usable SQLite run store: {err}"
            ) from None
        except sqlite3.DatabaseError as err:
            self._conn.close()
            raise StoreDamagedError(
                self.path, [str(err)],
                what="is not a usable SQLite run store (damaged, or not a store at all)",
            ) from None
        except BaseException:
            self._conn.close()
            raise

    def _setup(self, readonly: bool, journal: str | None) -> None:
        conn = self._conn
        tables = self._tables()
        if "lm_runs" in tables and "meta" not in tables:
            raise ValueError(
                f"`store` {str(self.path)!r} is an LM store of the former LM runner (tables "
                "lm_runs, lm_meta), which Sweep does not write to; read it with "
                "distscale.train.lm.read_lm_store, or copy its runs into a run store with "
                "distscale.train.lm.upgrade_lm_store(old, new) and go on from there"
            )
        if tables and "meta" not in tables:
            raise ValueError(
                f"`store` {str(self.path)!r} is a SQLite database of another program "
                f"(tables {sorted(tables)}); give a new file or a distscale run store"
            )
        version = None
        if tables:
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row else None
            if version not in READABLE_VERSIONS:
                raise ValueError(
                    f"`store` {str(self.path)!r} has schema version {version}; this distscale "
                    f"reads versions {list(READABLE_VERSIONS)} (upgrade distscale or use a new "
                    "store)"
                )
        if readonly:
            return
        self._set_journal(journal if journal is not None else (None if tables else "wal"))
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")  # create, or upgrade versions 1 and 2
        try:
            migrate(conn)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('created_by', 'distscale')")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                         (str(SCHEMA_VERSION),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _set_journal(self, want: str | None) -> None:
        if want is None or self.journal_mode == want:
            return
        try:
            got = str(self._conn.execute(f"PRAGMA journal_mode={want}").fetchone()[0])
        except sqlite3.OperationalError as err:
            if want != "wal":
                raise ValueError(
                    f"`store` {str(self.path)!r}: cannot switch to journal_mode={want} ({err}); "
                    "stop the other sweeps on it first"
                ) from None
            got, why = "", str(err)
        else:
            why = f"SQLite kept journal_mode={got}"
        if got != want:
            if want == "wal":  # e.g. a file system without shared memory: fall back
                self._conn.execute("PRAGMA journal_mode=DELETE")
                self.journal_note = f"WAL is not possible here ({why}); using journal_mode=delete"
            else:
                raise ValueError(
                    f"`store` {str(self.path)!r}: cannot switch to journal_mode={want} ({why}); "
                    "stop the other sweeps on it first"
                )

    # ------------------------------------------------------------------ API
    @property
    def journal_mode(self) -> str:
        """SQLite journal mode (``"wal"`` for a new store, or ``"delete"``)."""
        return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying autocommit ``sqlite3`` connection (for the sweep's leases)."""
        return self._conn

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tables(self) -> set[str]:
        return {r[0] for r in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}

    def _has_tables(self) -> bool:
        return "runs" in self._tables()

    def _complete_rows(self, table: str, names: list[str], keys: Sequence[str] | None,
                       present: bool) -> pd.DataFrame:
        """Rows of ``table`` (columns ``names``) of finished, complete runs, in store order.

        The rows and the consistency check come from one snapshot; runs with
        missing result rows are left out, and only ``keys`` are kept if given.
        """
        data, incomplete = [], set()
        if present:
            quoted = ", ".join(f'x."{c}"' for c in names)
            self._conn.execute("BEGIN")
            try:
                data = self._conn.execute(
                    f"SELECT {quoted} FROM {table} x JOIN runs r ON r.run_id = x.run_id "
                    'ORDER BY x.run_id, x."row"').fetchall()
                incomplete = set(check_consistency(self._conn, self.path).incomplete)
            finally:
                self._conn.execute("COMMIT")
        frame = pd.DataFrame(data, columns=names)
        if incomplete:
            frame = frame[~frame["run_id"].isin(list(incomplete))]
        if keys is not None:
            frame = frame[frame["run_id"].isin(list(keys))]
        return frame

    def done_keys(self, keys: Iterable[str] | None = None) -> set[str]:
        """``run_id`` of the finished runs (among ``keys``, if given).

        A run whose result rows are incomplete (see :meth:`check`) is not
        finished.
        """
        if not self._has_tables():
            return set()
        done = {r[0] for r in self._conn.execute("SELECT run_id FROM runs")}
        done -= set(check_consistency(self._conn, self.path).incomplete)
        return done if keys is None else done & set(keys)

    def commit(
        self,
        table: pd.DataFrame,
        configs: dict[str, tuple[object, object, object]],
        *,
        worker: str,
        versions: dict[str, str],
        owner: str | None = None,
        unit: str | None = None,
        trajectory: pd.DataFrame | None = None,
        kind: str = "synthetic",
    ) -> list[str]:
        """Write finished runs, each with all its rows, in one transaction.

        Parameters
        ----------
        table : pandas.DataFrame
            Per-length rows of one or more runs (columns :data:`TABLE_COLUMNS`),
            or for ``kind="lm"`` one row per run (columns
            :data:`~distscale.train.store_schema.LM_TABLE_COLUMNS`).
        configs : dict
            ``run_id -> (task, model, train)`` for every run in ``table``.
        worker, versions :
            Recorded in ``runs``.
        owner, unit : str, optional
            The driver and unit that trained them: their leases are dropped
            and their open ``attempts`` closed (``committed``, or
            ``duplicate`` for runs another driver committed first) in the
            same transaction.
        trajectory : pandas.DataFrame, optional
            The runs' checkpoint evaluations (columns
            :data:`~distscale.io.run_table.TRAJECTORY_COLUMNS`, from
            ``train_population(..., checkpoints=...)``), written to the
            ``trajectories`` table with the runs they belong to.
        kind : {"synthetic", "lm"}, default "synthetic"
            The unit kind: where the rows go (``results`` or ``lm_results``).

        Returns
        -------
        list of str
            The ``run_id`` written; runs already in the store are skipped
            (never written twice).
        """
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {list(KINDS)}; got {kind!r}")
        target, sql_columns, table_columns = KINDS[kind]
        missing = [c for c in table_columns if c not in table.columns]
        extra = [c for c in table.columns if c not in table_columns]
        if missing or extra:
            raise ValueError(
                f"run table does not match the store schema: missing {missing}, extra {extra}"
            )
        traj_groups = trajectory_groups(trajectory, table)
        traj_names = list(TRAJECTORY_SQL_COLUMNS)
        insert_traj = (f'INSERT INTO trajectories (run_id, "row", '
                       f'{", ".join(chr(34) + n + chr(34) for n in traj_names)}) '
                       f'VALUES ({", ".join("?" * (len(traj_names) + 2))})')
        stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        versions_json = json.dumps(versions, sort_keys=True)
        names = list(sql_columns)
        placeholders = ", ".join("?" * (len(names) + 2))
        quoted = ", ".join(f'"{n}"' for n in names)
        insert_rows = f'INSERT INTO {target} (run_id, "row", {quoted}) VALUES ({placeholders})'
        insert_run = (f"INSERT INTO runs ({', '.join(RUNS_COLUMNS)}) "
                      f"VALUES ({', '.join('?' * len(RUNS_COLUMNS))})")
        written, skipped = [], []
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if traj_groups:
                for statement in trajectory_schema():
                    conn.execute(statement)
            has_traj = "trajectories" in self._tables()
            done = {r[0] for r in conn.execute("SELECT run_id FROM runs")}
            for run_id, rows in table.groupby("run_id", sort=False):
                if run_id in done:
                    skipped.append(str(run_id))
                    continue
                task, model, train = configs[run_id]
                first = rows.iloc[0]
                # rows left behind by a runs row deleted by hand would collide
                for name in ("results", "lm_results"):
                    conn.execute(f"DELETE FROM {name} WHERE run_id = ?", (run_id,))
                conn.execute(
                    insert_run,
                    (
                        run_id,
                        int(first["seed"]),
                        _canonical(task),
                        _canonical(model),
                        _canonical(train),
                        len(rows),
                        int(first["ensemble_size"]),
                        float(first["seconds_per_seed"]),
                        stamp,
                        worker,
                        versions_json,
                        kind,
                    ),
                )
                values = rows[names].astype(object).to_numpy().tolist()
                conn.executemany(
                    insert_rows,
                    ([run_id, i, *_plain(v)] for i, v in enumerate(values)),
                )
                if has_traj:
                    conn.execute("DELETE FROM trajectories WHERE run_id = ?", (run_id,))
                if run_id in traj_groups:
                    steps = traj_groups[run_id][traj_names].astype(object).to_numpy().tolist()
                    conn.executemany(
                        insert_traj, ([run_id, i, *_plain(v)] for i, v in enumerate(steps)))
                written.append(str(run_id))
            if owner is not None and unit is not None:
                self._close_attempts(owner, unit, written, skipped, worker)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return written

    def _close_attempts(self, owner: str, unit: str, written: list[str], skipped: list[str],
                        worker: str) -> None:
        conn, now = self._conn, time.time()
        for outcome, keys in (("committed", written), ("duplicate", skipped)):
            if keys:
                marks = ",".join("?" * len(keys))
                conn.execute(
                    "UPDATE attempts SET outcome=?, ended_at=?, worker=coalesce(worker, ?) "
                    f"WHERE owner=? AND unit=? AND outcome IS NULL AND run_id IN ({marks})",
                    (outcome, now, worker, owner, unit, *keys))
                conn.execute(f"DELETE FROM leases WHERE run_id IN ({marks})", keys)

    def runs(self) -> pd.DataFrame:
        """The ``runs`` table (one row per finished run), ordered by ``run_id``.

        ``kind`` is ``synthetic`` for every run of a store of schema version
        1 or 2 (read without upgrading it).
        """
        cols = list(RUNS_COLUMNS)
        if not self._has_tables():
            return pd.DataFrame({c: [] for c in cols})
        have = {r[1] for r in self._conn.execute('PRAGMA table_info("runs")')}
        shown = [c if c in have else f"'synthetic' AS {c}" for c in cols]
        rows = self._conn.execute(f"SELECT {', '.join(shown)} FROM runs ORDER BY run_id")
        return pd.DataFrame(rows.fetchall(), columns=cols)

    def results(self, keys: Sequence[str] | None = None, *,
                kind: str = "synthetic") -> pd.DataFrame:
        """Rows of the finished runs of one kind (of ``keys`` only, if given).

        Ordered by ``run_id`` and then by the row's position within its run;
        for ``kind="synthetic"`` columns :data:`TABLE_COLUMNS` with the dtypes
        that :func:`~distscale.train.train_population` gives, for ``"lm"``
        ``run_id`` and the columns of :func:`~distscale.train.lm.lm_population`
        (:data:`~distscale.train.store_schema.LM_TABLE_COLUMNS`). Runs with
        missing rows and rows without a run (see :meth:`check`) are left out.
        """
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {list(KINDS)}; got {kind!r}")
        target, sql_columns, table_columns = KINDS[kind]
        present = self._has_tables() and target in self._tables()
        frame = self._complete_rows(target, ["run_id", *sql_columns], keys, present)
        frame = frame.astype({"run_id": "str", **{c: _DTYPES[k] for c, k in
                                                   sql_columns.items()}})
        return frame[list(table_columns)].reset_index(drop=True)

    def trajectories(self, keys: Sequence[str] | None = None) -> pd.DataFrame:
        """Checkpoint evaluations of the finished runs (of ``keys`` only, if given).

        Runs trained with checkpoints (``Sweep(..., checkpoints=...)``) have
        rows here; others have none. Ordered by ``run_id`` and the row's
        position within its run (seed, step, split, length); columns
        :data:`~distscale.io.run_table.TRAJECTORY_COLUMNS`, ready for
        :func:`~distscale.io.run_table.trajectory_population`. Runs with
        missing result rows (see :meth:`check`) are left out.
        """
        names = ["run_id", *TRAJECTORY_SQL_COLUMNS]
        frame = self._complete_rows("trajectories", names, keys,
                                    "trajectories" in self._tables())
        frame = frame.astype({"run_id": "str", **{c: _DTYPES[k] for c, k in
                                                   TRAJECTORY_SQL_COLUMNS.items()}})
        return frame[list(TRAJECTORY_COLUMNS)].reset_index(drop=True)

    def leases(self) -> pd.DataFrame:
        """The ``leases`` table: runs being trained, by which driver, until when."""
        cols = ["run_id", "unit", "owner", "acquired_at", "expires_at"]
        if "leases" not in self._tables():
            return pd.DataFrame({c: [] for c in cols})
        rows = self._conn.execute(f"SELECT {', '.join(cols)} FROM leases ORDER BY run_id")
        return pd.DataFrame(rows.fetchall(), columns=cols)

    def attempts(self) -> pd.DataFrame:
        """The training log (``attempts``), one row per run and attempt, in order.

        ``attempts().groupby("run_id").size()`` counts how often each run was
        trained (started).
        """
        cols = ["id", "run_id", "unit", "owner", "worker", "started_at", "ended_at",
                "outcome", "error"]
        if "attempts" not in self._tables():
            return pd.DataFrame({c: [] for c in cols})
        rows = self._conn.execute(f"SELECT {', '.join(cols)} FROM attempts ORDER BY id")
        return pd.DataFrame(rows.fetchall(), columns=cols)

    def check(self, *, quick: bool = True) -> StoreCheck:
        """Check the store: SQLite's ``quick_check``, then the store's own rules.

        Parameters
        ----------
        quick : bool, default True
            Run ``PRAGMA quick_check`` (reads every page; about a second per
            few hundred MB). False checks only the store's rules.

        Returns
        -------
        StoreCheck
            ``ok`` for a consistent store; otherwise the runs with missing
            result rows (``incomplete``), result rows without a run
            (``orphan_rows``), leases left on finished runs
            (``orphan_leases``) and ``problems`` in words.

        Raises
        ------
        StoreDamagedError
            If SQLite finds the file damaged; the message names the way out
            (:meth:`repair`).
        """
        if quick:
            quick_check(self._conn, self.path)
        return check_consistency(self._conn, self.path)

    def clean(self, report: StoreCheck | None = None) -> list[str]:
        """Fix what :meth:`check` found, in one transaction; return the re-queued run ids.

        Runs with missing rows lose their partial rows and count as not
        finished (the next sweep trains them again); orphan rows and leases
        are removed. :meth:`Sweep.run <distscale.train.Sweep.run>` does this
        on start.
        """
        return clean(self._conn, report if report is not None else self.check(quick=False))

    @staticmethod
    def repair(path: str | os.PathLike):
        """Copy every intact run of a damaged store into a fresh file at ``path``.

        The new store is written beside the old one and renamed over it
        (atomically); the damaged file is kept as
        ``PATH.damaged-<UTC timestamp>``. Stop every sweep on the store first.
        A store that passes :meth:`check` is left alone.

        Returns
        -------
        distscale.train.store_repair.RepairReport
            ``kept`` and ``lost`` runs, ``damaged_path`` (None if nothing was
            done) and a one-line ``summary``.
        """
        from distscale.train.store_repair import repair_store

        return repair_store(path)


def _plain(values: list) -> list:
    """Python scalars for sqlite3 (NumPy scalars are not accepted)."""
    return [v.item() if hasattr(v, "item") else v for v in values]


from distscale.train.store_read import read_store  # noqa: E402  (re-exported; it uses RunStore)
