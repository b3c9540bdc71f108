"""The SQL schema of the run store (see :mod:`distscale.train.store` for the tables)."""

from __future__ import annotations

from distscale.io.run_table import EVAL_METRICS, RUN_COLUMNS, TRAINING_COLUMNS

__all__ = ["JOURNAL_MODES", "READABLE_VERSIONS", "RESULT_COLUMNS", "SCHEMA_VERSION",
           "TABLE_COLUMNS", "schema"]

SCHEMA_VERSION = 2
#: Schema versions this distscale opens (older ones are upgraded when opened for writing).
READABLE_VERSIONS = (1, 2)
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
  versions TEXT NOT NULL
)""",
        f"""CREATE TABLE IF NOT EXISTS results (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  "row" INTEGER NOT NULL,
  {cols},
  PRIMARY KEY (run_id, "row")
)""",
        *V2_TABLES,
    ]


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
