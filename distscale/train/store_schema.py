"""The SQL schema of the run store (see :mod:`distscale.train.store` for the tables)."""

from __future__ import annotations

import sqlite3

import pandas as pd

from distscale.io.run_table import (
    EVAL_METRICS,
    RUN_COLUMNS,
    TRAINING_COLUMNS,
    TRAJECTORY_COLUMNS,
)

__all__ = ["JOURNAL_MODES", "KINDS", "LM_DIRECTIONS", "LM_RESULT_COLUMNS", "LM_TABLE_COLUMNS",
           "READABLE_VERSIONS", "RESULT_COLUMNS", "RUNS_COLUMNS", "SCHEMA_VERSION",
           "TABLE_COLUMNS", "TRAJECTORY_SQL_COLUMNS", "migrate", "schema", "trajectory_schema"]

#: Version 3 added the unit kind (``runs.kind``) and the ``lm_results`` table.
SCHEMA_VERSION = 3
#: Schema versions this distscale opens (older ones are upgraded when opened for writing).
READABLE_VERSIONS = (1, 2, 3)
JOURNAL_MODES = ("wal", "delete")

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
#: SQL type of every column of an LM population's table (after ``run_id``), in the column
#: order of :func:`~distscale.train.lm.lm_population`: one row per (ratio, seed) run.
LM_RESULT_COLUMNS: dict[str, str] = {
    "ratio": "REAL", "seed": "INTEGER",
    **{c: "REAL" for c in ("acc", "acc_norm", "nll", "p_correct", "lm_loss", "train_loss",
                           "task_share")},
    **{c: "INTEGER" for c in ("n_params", "layers", "steps", "ensemble_size")},
    "seconds_per_seed": "REAL",
}
#: Whether higher is better, per LM metric (a population's ``attrs["higher_is_better"]``).
LM_DIRECTIONS = {"acc": True, "acc_norm": True, "nll": False, "p_correct": True,
                 "lm_loss": False}
#: Column order of an LM run table (``run_id`` first), as the sweep's workers return it.
LM_TABLE_COLUMNS = ("run_id", *LM_RESULT_COLUMNS)
#: Per unit kind: the table holding its rows, their SQL columns and the table's column order.
KINDS: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "synthetic": ("results", RESULT_COLUMNS, TABLE_COLUMNS),
    "lm": ("lm_results", LM_RESULT_COLUMNS, LM_TABLE_COLUMNS),
}
#: Columns of ``runs``, in order (``kind`` since version 3).
RUNS_COLUMNS = ("run_id", "seed", "task", "model", "train", "n_rows", "ensemble_size",
                "seconds_per_seed", "finished_at", "worker", "versions", "kind")
#: SQL type of every column of the trajectory table (after ``run_id``), in
#: :data:`~distscale.io.run_table.TRAJECTORY_COLUMNS` order.
TRAJECTORY_SQL_COLUMNS: dict[str, str] = {
    c: ("INTEGER" if c == "step" else RESULT_COLUMNS[c]) for c in TRAJECTORY_COLUMNS[1:]
}


def schema() -> list[str]:
    """The statements that create every table (``IF NOT EXISTS``: also upgrades)."""
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
  versions TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'synthetic'
)""",
        f"""CREATE TABLE IF NOT EXISTS results (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  "row" INTEGER NOT NULL,
  {cols},
  PRIMARY KEY (run_id, "row")
)""",
        *V2_TABLES,
        *v3_tables(),
    ]


def v3_tables() -> list[str]:
    """The ``lm_results`` table (schema version 3): the rows of LM runs, one per run."""
    cols = ",\n  ".join(f'"{name}" {kind}' for name, kind in LM_RESULT_COLUMNS.items())
    return [f"""CREATE TABLE IF NOT EXISTS lm_results (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  "row" INTEGER NOT NULL,
  {cols},
  PRIMARY KEY (run_id, "row")
)"""]


def migrate(conn: sqlite3.Connection) -> None:
    """Create missing tables and upgrade a version-1 or -2 store to version 3, in place.

    Run inside the caller's write transaction. Version 2 added ``leases`` and
    ``attempts``; version 3 the ``kind`` column of ``runs`` (existing runs
    are ``'synthetic'``) and the ``lm_results`` table. Nothing is removed,
    so the runs of an upgraded store read back unchanged.
    """
    for statement in schema():
        conn.execute(statement)
    have = {r[1] for r in conn.execute('PRAGMA table_info("runs")')}
    if "kind" not in have:
        conn.execute("ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'synthetic'")


#: Tables added by schema version 2 (created when a version-1 store is opened for writing).
V2_TABLES = [
    """CREATE TABLE IF NOT EXISTS leases (
  run_id TEXT PRIMARY KEY,
  unit TEXT NOT NULL,
  owner TEXT NOT NULL,
  acquired_at REAL NOT NULL,
  expires_at REAL NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  unit TEXT NOT NULL,
  owner TEXT NOT NULL,
  worker TEXT,
  started_at REAL NOT NULL,
  ended_at REAL,
  outcome TEXT,
  error TEXT
)""",
    "CREATE INDEX IF NOT EXISTS attempts_run ON attempts (run_id)",
    "CREATE INDEX IF NOT EXISTS leases_owner ON leases (owner)",
]


def trajectory_schema() -> list[str]:
    """The ``trajectories`` table (checkpoint evaluations), created on first use.

    It is optional (a store without checkpoints never has it), so it does not
    change the schema version: a store written with trajectories is still
    read by a distscale that ignores them.
    """
    cols = ",\n  ".join(f'"{name}" {kind}' for name, kind in TRAJECTORY_SQL_COLUMNS.items())
    return [
        f"""CREATE TABLE IF NOT EXISTS trajectories (
  run_id TEXT NOT NULL,
  "row" INTEGER NOT NULL,
  {cols},
  PRIMARY KEY (run_id, "row")
)""",
    ]


def trajectory_groups(trajectory: object, table: pd.DataFrame) -> dict:
    """``trajectory`` (checkpoint evaluations) grouped by run, checked against ``table``.

    None gives ``{}``. The frame must have every column of
    :data:`~distscale.io.run_table.TRAJECTORY_COLUMNS`, and only runs of
    ``table`` (the finished runs it goes with).
    """
    if trajectory is None:
        return {}
    if not isinstance(trajectory, pd.DataFrame):
        raise TypeError(f"`trajectory` must be a pandas DataFrame; got {type(trajectory).__name__}")
    absent = [c for c in TRAJECTORY_COLUMNS if c not in trajectory.columns]
    if absent:
        raise ValueError(f"`trajectory` lacks column(s) {absent}; pass the trajectory table "
                         "of train_population(..., checkpoints=...)")
    strangers = sorted(set(trajectory["run_id"]) - set(table["run_id"]))
    if strangers:
        raise ValueError(f"`trajectory` has runs that `table` lacks: {strangers[:3]}")
    return dict(tuple(trajectory.groupby("run_id", sort=False)))
