"""Readers and writers: population tables, lm-evaluation-harness outputs, per-sample files.

* :func:`read_population` reads one CSV, TSV or Parquet file (one row per
  run) into a validated :class:`~distscale.Population`.
* :func:`read_wide_population` reads a wide export (one column per run, the
  seed parsed from the column name, as W&B and spreadsheets write them), and
  :func:`read_run_folder` a folder of per-run JSON files.
* :func:`read_lm_eval` reads lm-evaluation-harness result JSON files (the
  older layout and the current ``lm-eval >= 0.4`` layout) into one tidy
  DataFrame; :func:`read_lm_eval_samples` reads its ``--log_samples`` files.
* :func:`read_samples` and :func:`write_samples` read and write the plain
  per-sample format (one row per run x evaluation example).
* :func:`summarize_runs` turns the trainer's per-length rows into one row
  per run (no PyTorch needed); :func:`summarize_trajectory` and
  :func:`trajectory_population` read the trainer's checkpoint evaluations
  (one row per run and step; a paired population with the step as the scale).
* :func:`parse_size` turns model-size labels such as ``"160m"`` into numbers.

The readers are strict: a malformed file (a row cut short, a column name given
twice, bytes that are not text in ``encoding=``, a compressed or Parquet file
that ends early) is one ``ValueError`` naming the file and the lines, never a
table pandas has guessed at (:mod:`distscale.io.strict`).
"""

from distscale.io.files import parse_size
from distscale.io.layouts import read_run_folder, read_wide_population
from distscale.io.lm_eval import read_lm_eval
from distscale.io.lm_eval_samples import read_lm_eval_samples
from distscale.io.run_table import summarize_runs, summarize_trajectory, trajectory_population
from distscale.io.samples import read_samples, write_samples
from distscale.io.tables import read_population

__all__ = [
    "parse_size",
    "read_lm_eval",
    "read_lm_eval_samples",
    "read_population",
    "read_run_folder",
    "read_samples",
    "read_wide_population",
    "summarize_runs",
    "summarize_trajectory",
    "trajectory_population",
    "write_samples",
]
