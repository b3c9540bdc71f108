"""LM seed populations from a TOML file, through the run store of :class:`~distscale.train.Sweep`.

An LM population is a sweep like any other: ``distscale train CONFIG.toml
--store STORE.sqlite`` (or :func:`run_lm_sweep`, or
``Sweep.from_config(CONFIG, store=...)``) trains every (ratio, seed) run that
the store does not hold yet, in units of seeds (one batched ensemble each),
on local worker processes, a Dask cluster or in this process; several
drivers may share one store (units are leased), a unit whose worker dies is
retried, and ``--status``, ``check`` and ``--repair`` work as for the
synthetic tasks. Each run's row lands in the store's ``lm_results`` table
(``runs.kind`` = ``lm``); :meth:`Sweep.population` gives the table of
:func:`~distscale.train.lm.lm_population`.

The file (see ``examples/configs/lm_mmlu_qwen.toml`` for the paper's
setting and ``examples/configs/lm_synthetic.toml`` for the embedded default)::

    [model]
    path = "/models/Qwen2.5-0.5B"   # a local folder (never downloaded), or
    # synthetic = true              # the embedded default (pretrained here)

    [data]                          # JSON Lines files prepared beforehand
    general = "fineweb.jsonl"       # {"text": ...} per line
    task = "mmlu_aux_train.jsonl"   # {"text": ...} or MMLU rows
    items = "mmlu_test.jsonl"       # MMLU rows, or {"context", "choices", "gold"}
    items_format = "mmlu"
    heldout = "fineweb_heldout.jsonl"

    [population]
    ratios = [0.075, 0.2]
    seeds = 80
    device = "cuda"
    # ensemble_size = 1             # seeds per unit (default: 1; all for synthetic)

    [train]                         # ContinueConfig fields
    layers = 1
    steps = 1000

Stores of the former LM runner (tables ``lm_runs`` and ``lm_meta``) are
still read by :func:`read_lm_store`; :func:`upgrade_lm_store` copies their
runs into a run store, where a sweep of the same configuration goes on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from distscale.train.lm.grid import LMGrid, load_lm_config
from distscale.train.lm.population import DIRECTIONS, LM_METRICS
from distscale.train.store import RunStore
from distscale.train.sweep import Sweep

__all__ = ["lm_sweep", "load_lm_config", "read_lm_store", "run_lm_sweep", "upgrade_lm_store"]


def lm_sweep(config: str | os.PathLike | Mapping[str, Any], store: str | os.PathLike, *,
             journal: str | None = None) -> Sweep:
    """The :class:`~distscale.train.Sweep` of an LM configuration (``[population] device``).

    Parameters
    ----------
    config : path or mapping
        See :func:`load_lm_config` and the module's documentation.
    store : path
        The run store (created if absent).
    journal : {"wal", "delete"}, optional
        As for :class:`~distscale.train.Sweep`.
    """
    grid = LMGrid(config)
    return Sweep(grid, store=store, device=grid.config["population"].get("device", "cpu"),
                 journal=journal)


def run_lm_sweep(config: str | os.PathLike | Mapping[str, Any], store: str | os.PathLike, *,
                 progress: bool = False, workers: int = 0, client: Any = None,
                 **options: Any) -> pd.DataFrame:
    """Make (or finish) the LM population of ``config`` in the run store ``store``.

    A thin wrapper: ``lm_sweep(config, store).run(...)``, then its population.

    Parameters
    ----------
    config : path or mapping
        See :func:`load_lm_config` and the module's documentation.
    store : path
        The run store (created if absent; it may hold other sweeps too). A
        store of the former LM runner is refused with the way out
        (:func:`upgrade_lm_store`).
    progress : bool, default False
        A progress bar over runs.
    workers : int, default 0
        Local worker processes (0: in this process, as before).
    client : dask.distributed.Client, optional
        Train on a Dask cluster instead (then ``workers`` is ignored).
    **options
        ``threads``, ``retries``, ``lease``, ``heartbeat`` of :meth:`Sweep.run`.

    Returns
    -------
    pandas.DataFrame
        One row per (ratio, seed), as :func:`~distscale.train.lm.lm_population`.
    """
    sweep = lm_sweep(config, store)
    sweep.run(client, workers=None if client is not None else workers, progress=progress,
              **options)
    return sweep.population()


def _old_rows(path: Path) -> tuple[dict[str, Any] | None, list[tuple]] | None:
    """(config, rows) of a store of the former LM runner; None for any other file."""
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro",
                                            uri=True)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "lm_runs" not in tables or "meta" in tables:
            return None
        found = conn.execute("SELECT value FROM lm_meta WHERE key = 'config'").fetchone() \
            if "lm_meta" in tables else None
        rows = conn.execute("SELECT ratio, seed, row FROM lm_runs ORDER BY ratio, seed")
        return (json.loads(found[0]) if found else None), rows.fetchall()


def read_lm_store(store: str | os.PathLike) -> pd.DataFrame:
    """Every finished LM run of a store, one row per (ratio, seed), sorted by ratio and seed.

    Reads run stores (their ``lm_results``) and stores of the former LM
    runner (``lm_runs``). A run store that holds LM runs of several
    configurations (two rows for one ratio and seed) is refused: read one
    sweep with ``lm_sweep(config, store).population()``.
    """
    path = Path(store)
    if not path.is_file():
        raise FileNotFoundError(f"`store` '{path}' does not exist")
    old = _old_rows(path)
    if old is not None:
        table = pd.DataFrame([json.loads(r) for _, _, r in old[1]])
    else:
        with RunStore(path, readonly=True) as runs:
            runs.check()
            table = runs.results(kind="lm").drop(columns="run_id")
        table = table.sort_values(["ratio", "seed"], kind="stable", ignore_index=True)
        if table.duplicated(["ratio", "seed"]).any():
            raise ValueError(
                f"`store` '{path}' holds LM runs of several configurations (two rows for one "
                "ratio and seed); read one with lm_sweep(config, store).population()")
    table.attrs["higher_is_better"] = dict(DIRECTIONS)
    return table


def upgrade_lm_store(old: str | os.PathLike, new: str | os.PathLike) -> int:
    """Copy the runs of a former LM runner's store (``lm_runs``) into a run store.

    ``old`` is only read. The runs are keyed by the configuration the old
    store kept (``lm_meta``), so ``lm_sweep(config, new)`` with that
    configuration finds them finished and trains only what is missing.

    Returns
    -------
    int
        Runs written (runs already in ``new`` are skipped).
    """
    path = Path(old)
    if not path.is_file():
        raise FileNotFoundError(f"`old` store '{path}' does not exist")
    found = _old_rows(path)
    if found is None:
        raise ValueError(f"`old` '{path}' is not a store of the former LM runner (no lm_runs "
                         "table, or it is a run store already)")
    config, rows = found
    if config is None:
        raise ValueError(f"`old` '{path}' lacks its configuration (lm_meta); run the sweep "
                         "again into a new store")
    if Path(new).resolve() == path.resolve():
        raise ValueError("`new` must be another file than `old` (which is only read)")
    grid = LMGrid(config)
    where = {(s.task.ratio, seed): (s, k) for s in grid.settings
             for seed, k in zip(s.seeds, s.keys(), strict=True)}
    records, configs = [], {}
    for ratio, seed, text in rows:
        if (ratio, seed) not in where:
            raise ValueError(f"`old` '{path}' has a run (ratio {ratio}, seed {seed}) outside "
                             "its own configuration")
        setting, key = where[(ratio, seed)]
        records.append({"run_id": key, **json.loads(text)})
        configs[key] = (setting.task, setting.model, setting.train)
    table = pd.DataFrame(records, columns=["run_id", "ratio", "seed", *LM_METRICS,
                                           "train_loss", "task_share", "n_params", "layers",
                                           "steps", "ensemble_size", "seconds_per_seed"])
    with RunStore(new) as store:
        if table.empty:
            return 0
        from distscale._lib.version import __version__

        return len(store.commit(table, configs, worker=f"upgraded from {path.name}",
                                versions={"distscale": __version__}, kind="lm"))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m distscale.train.lm.sweep CONFIG STORE [--csv OUT] [--workers N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m distscale.train.lm.sweep",
        description="Make an LM seed population (resumable; same as `distscale train`).")
    parser.add_argument("config", help="the TOML file")
    parser.add_argument("store", help="the SQLite run store (created or resumed)")
    parser.add_argument("--csv", help="also write the population to this CSV file")
    parser.add_argument("--workers", type=int, default=0,
                        help="local worker processes (default 0: this process)")
    args = parser.parse_args(argv)
    table = run_lm_sweep(args.config, args.store, progress=True, workers=args.workers)
    if args.csv:
        from distscale._lib.outputs import atomic_write

        atomic_write(args.csv, lambda handle: table.to_csv(handle, index=False))
    print(f"{len(table)} runs in {args.store}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
