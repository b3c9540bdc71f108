"""The embedded SQLite store of finished training runs.

A :class:`~distscale.train.sweep.Sweep` commits every finished run here, so
that a killed sweep loses nothing that finished and repeats nothing on
resume. One process writes (the sweep's parent process; workers only return
tables), any number may read.

Schema (``schema_version`` 1), kept deliberately plain so that any SQLite
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
    distscale, torch, python of the worker).
``results``
    The tidy rows of :func:`~distscale.train.train_population`, one typed SQL
    column per table column (``TEXT``/``INTEGER``/``REAL``; floats are stored
    as 8-byte IEEE doubles, so values round-trip exactly), plus ``row`` (the
    row's position within its run) with primary key ``(run_id, row)``.

A run's ``runs`` row and all its ``results`` rows are written in one
transaction, so a run is either wholly present or absent — never partial.
The database uses write-ahead logging (``journal_mode=WAL``) with
``synchronous=FULL``: a committed run survives a killed process (and a power
cut). WAL needs a local file system (not NFS); on a cluster the store lives
on the machine of the process that drives the sweep.
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from distscale.io.run_table import EVAL_METRICS, RUN_COLUMNS, TRAINING_COLUMNS, summarize_runs

__all__ = ["RESULT_COLUMNS", "RunStore", "read_store"]

SCHEMA_VERSION = 1

#: SQL type of every column of the tidy per-length table (after ``run_id``).
RESULT_COLUMNS: dict[str, str] = {
    **{c: "TEXT" for c in ("task", "positional")},
    **{c: "INTEGER" for c in ("depth", "width", "heads", "n_params", "steps", "seed")},
    "mlp_ratio": "REAL",
    "split": "TEXT",
    "length": "INTEGER",
    **{c: "REAL" for c in EVAL_METRICS},
    "train_loss": "REAL",
    "ensemble_size": "INTEGER",
    "seconds_per_seed": "REAL",
}
#: Column order of the table, as :func:`~distscale.train.train_population` returns it.
TABLE_COLUMNS = (*RUN_COLUMNS, "split", "length", *EVAL_METRICS, *TRAINING_COLUMNS)

_DTYPES = {"TEXT": "str", "INTEGER": "int64", "REAL": "float64"}


def _schema() -> list[str]:
    cols = ",\n  ".join(f'"{name}" {kind}' for name, kind in RESULT_COLUMNS.items())
    return [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  seed INTEGER NOT NULL,
  task TEXT NOT NULL,
  model TEXT NOT NULL,
  train TEXT NOT NULL,
  n_rows INTEGER NOT NULL,
  ensemble_size INTEGER NOT NULL,
  seconds_per_seed REAL,
  finished_at TEXT NOT NULL,
  worker TEXT NOT NULL,
  versions TEXT NOT NULL
)""",
        f"""CREATE TABLE IF NOT EXISTS results (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  "row" INTEGER NOT NULL,
  {cols},
  PRIMARY KEY (run_id, "row")
)""",
    ]


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

    Raises
    ------
    ValueError
        If ``path`` is not a SQLite database, is a SQLite database of
        another program, or was written by a newer distscale.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "runs.sqlite")
    >>> with RunStore(path) as store:
    ...     store.journal_mode, store.done_keys()
    ('wal', set())
    """

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"`store` must be a file path; got {type(path).__name__}")
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
        uri = self.path.resolve().as_uri() + ("?mode=rw" if readonly else "")
        self._conn = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
        try:
            self._setup(readonly)
        except sqlite3.DatabaseError as err:
            self._conn.close()
            raise ValueError(
                f"`store` {str(self.path)!r} is not a usable SQLite run store: {err}"
            ) from None
        except BaseException:
            self._conn.close()
            raise

    def _setup(self, readonly: bool) -> None:
        conn = self._conn
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "meta" not in tables:
            raise ValueError(
                f"`store` {str(self.path)!r} is a SQLite database of another program "
                f"(tables {sorted(tables)}); give a new file or a distscale run store"
            )
        if not readonly:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            if not tables:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _schema():
                        conn.execute(statement)
                    conn.execute(
                        "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?), "
                        "('created_by', 'distscale')",
                        (str(SCHEMA_VERSION),),
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
        if tables or not readonly:
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row else None
            if version != SCHEMA_VERSION:
                raise ValueError(
                    f"`store` {str(self.path)!r} has schema version {version}; this distscale "
                    f"reads version {SCHEMA_VERSION} (upgrade distscale or use a new store)"
                )

    # ------------------------------------------------------------------ API
    @property
    def journal_mode(self) -> str:
        """SQLite journal mode (``"wal"`` for a store opened for writing)."""
        return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _has_tables(self) -> bool:
        row = self._conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='runs'"
        ).fetchone()
        return bool(row[0])

    def done_keys(self, keys: Iterable[str] | None = None) -> set[str]:
        """``run_id`` of the finished runs (among ``keys``, if given)."""
        if not self._has_tables():
            return set()
        done = {r[0] for r in self._conn.execute("SELECT run_id FROM runs")}
        return done if keys is None else done & set(keys)

    def commit(
        self,
        table: pd.DataFrame,
        configs: dict[str, tuple[object, object, object]],
        *,
        worker: str,
        versions: dict[str, str],
    ) -> list[str]:
        """Write finished runs, each with all its rows, in one transaction.

        Parameters
        ----------
        table : pandas.DataFrame
            Per-length rows of one or more runs (columns :data:`TABLE_COLUMNS`).
        configs : dict
            ``run_id -> (task, model, train)`` for every run in ``table``.
        worker, versions :
            Recorded in ``runs``.

        Returns
        -------
        list of str
            The ``run_id`` written; runs already in the store are skipped
            (never written twice).
        """
        missing = [c for c in TABLE_COLUMNS if c not in table.columns]
        extra = [c for c in table.columns if c not in TABLE_COLUMNS]
        if missing or extra:
            raise ValueError(
                f"run table does not match the store schema: missing {missing}, extra {extra}"
            )
        stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        versions_json = json.dumps(versions, sort_keys=True)
        names = list(RESULT_COLUMNS)
        placeholders = ", ".join("?" * (len(names) + 2))
        quoted = ", ".join(f'"{n}"' for n in names)
        insert_rows = f'INSERT INTO results (run_id, "row", {quoted}) VALUES ({placeholders})'
        written = []
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = {r[0] for r in conn.execute("SELECT run_id FROM runs")}
            for run_id, rows in table.groupby("run_id", sort=False):
                if run_id in done:
                    continue
                task, model, train = configs[run_id]
                first = rows.iloc[0]
                conn.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    ),
                )
                values = rows[names].astype(object).to_numpy().tolist()
                conn.executemany(
                    insert_rows,
                    ([run_id, i, *_plain(v)] for i, v in enumerate(values)),
                )
                written.append(str(run_id))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return written

    def runs(self) -> pd.DataFrame:
        """The ``runs`` table (one row per finished run), ordered by ``run_id``."""
        cols = ["run_id", "seed", "task", "model", "train", "n_rows", "ensemble_size",
                "seconds_per_seed", "finished_at", "worker", "versions"]
        if not self._has_tables():
            return pd.DataFrame({c: [] for c in cols})
        rows = self._conn.execute(f"SELECT {', '.join(cols)} FROM runs ORDER BY run_id")
        return pd.DataFrame(rows.fetchall(), columns=cols)

    def results(self, keys: Sequence[str] | None = None) -> pd.DataFrame:
        """Rows of the finished runs (of ``keys`` only, if given).

        Ordered by ``run_id`` and then by the row's position within its run;
        columns :data:`TABLE_COLUMNS` with the dtypes that
        :func:`~distscale.train.train_population` gives.
        """
        if self._has_tables():
            quoted = ", ".join(f'"{c}"' for c in ("run_id", *RESULT_COLUMNS))
            cursor = self._conn.execute(f'SELECT {quoted} FROM results ORDER BY run_id, "row"')
            data = cursor.fetchall()
        else:
            data = []
        frame = pd.DataFrame(data, columns=["run_id", *RESULT_COLUMNS])
        if keys is not None:
            frame = frame[frame["run_id"].isin(list(keys))]
        frame = frame.astype({"run_id": "str", **{c: _DTYPES[k] for c, k in
                                                   RESULT_COLUMNS.items()}})
        return frame[list(TABLE_COLUMNS)].reset_index(drop=True)

    def check(self) -> list[str]:
        """Problems found (an empty list for a consistent store).

        Checks that every run has exactly its ``n_rows`` result rows and that
        no result row lacks its run.
        """
        if not self._has_tables():
            return []
        problems = []
        bad = self._conn.execute(
            "SELECT r.run_id, r.n_rows, count(x.run_id) FROM runs r "
            "LEFT JOIN results x ON x.run_id = r.run_id GROUP BY r.run_id "
            "HAVING count(x.run_id) != r.n_rows"
        ).fetchall()
        problems += [f"run {k} has {n} result rows, expected {e}" for k, e, n in bad]
        orphans = self._conn.execute(
            "SELECT DISTINCT run_id FROM results WHERE run_id NOT IN (SELECT run_id FROM runs)"
        ).fetchall()
        problems += [f"result rows of run {k} without a runs entry" for (k,) in orphans]
        return problems


def _plain(values: list) -> list:
    """Python scalars for sqlite3 (NumPy scalars are not accepted)."""
    return [v.item() if hasattr(v, "item") else v for v in values]


def read_store(path: str | os.PathLike, *, level: str = "length") -> pd.DataFrame:
    """Every finished run in a run store, as the tidy table of ``train_population``.

    Parameters
    ----------
    path : str or os.PathLike
        A store written by :class:`~distscale.train.sweep.Sweep`.
    level : {"length", "run"}, default "length"
        One row per run and evaluated length, or one row per run
        (:func:`~distscale.train.summarize_runs`).

    Returns
    -------
    pandas.DataFrame
        Ordered by task, depth, width, heads, mlp_ratio, positional, steps,
        seed, ``run_id`` and then the row's position within its run. Use
        :meth:`Sweep.population` to get one sweep's runs with the swept
        configuration fields as columns.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "runs.sqlite")
    >>> RunStore(path).close()
    >>> read_store(path).shape[0]
    0
    """
    if level not in ("length", "run"):
        raise ValueError(f"`level` must be 'length' or 'run'; got {level!r}")
    with RunStore(path, readonly=True) as store:
        table = store.results()
    order = ["task", "depth", "width", "heads", "mlp_ratio", "positional", "steps", "seed",
             "run_id"]
    table = table.sort_values(order, kind="stable", ignore_index=True)
    if level == "run":
        table = summarize_runs(table)
    return table
