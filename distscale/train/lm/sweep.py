"""A resumable LM population from a TOML file: one SQLite row per (ratio, seed).

``python -m distscale.train.lm.sweep CONFIG.toml STORE.sqlite`` (or
:func:`run_lm_sweep`) makes the population a TOML file describes and writes
each finished (ratio, seed) run to its own SQLite table (``lm_runs``), one
transaction per unit of seeds, so a killed job loses at most the unit it was
training and a rerun with the same store starts where it stopped (finished
runs are never repeated). The store also keeps the configuration it was made
with (``lm_meta``) and refuses to continue under a different one.

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

    [train]                         # ContinueConfig fields
    layers = 1
    steps = 1000

One process drives one store (several drivers on one store, and Dask, are
the business of :class:`distscale.train.Sweep`; here units run in turn).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from distscale.train.grid import read_toml
from distscale.train.lm.data import read_documents, read_items
from distscale.train.lm.mix import ContinueConfig
from distscale.train.lm.population import (
    SyntheticSetup,
    _check_ratios,
    lm_population,
    pretrain_synthetic,
)
from distscale.train.trainer import check_seeds

__all__ = ["load_lm_config", "read_lm_store", "run_lm_sweep"]

_SECTIONS = {"model": {"path", "synthetic", "setup", "tokenizer"},
             "data": {"general", "task", "items", "items_format", "heldout", "max_items",
                      "max_documents"},
             "population": {"ratios", "seeds", "ensemble_size", "device"},
             "train": None}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS lm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lm_runs (
    ratio REAL NOT NULL, seed INTEGER NOT NULL, row TEXT NOT NULL, finished REAL NOT NULL,
    PRIMARY KEY (ratio, seed));
"""


def load_lm_config(source: str | os.PathLike | Mapping[str, Any]) -> dict[str, Any]:
    """Read and check an LM sweep configuration (a TOML file or a mapping).

    Relative data and model paths are taken from the TOML file's folder.
    Returns the configuration as plain data, with ``train`` checked as a
    :class:`~distscale.train.lm.ContinueConfig`.
    """
    base = None
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"`config` file '{path}' does not exist")
        source = read_toml(path)
        base = path.parent
    if not isinstance(source, Mapping):
        raise TypeError(f"`config` must be a TOML file or a mapping; got {type(source).__name__}")
    config = {k: dict(v) for k, v in source.items() if isinstance(v, Mapping)}
    unknown = sorted(set(source) - set(_SECTIONS))
    if unknown:
        raise ValueError(f"unknown section(s) {unknown} in the LM sweep config; "
                         f"valid: {sorted(_SECTIONS)}")
    for section, keys in _SECTIONS.items():
        config.setdefault(section, {})
        if keys is not None:
            bad = sorted(set(config[section]) - keys)
            if bad:
                raise ValueError(f"unknown key(s) {bad} in [{section}]; valid: {sorted(keys)}")
    model, data, pop = config["model"], config["data"], config["population"]
    if bool(model.get("synthetic")) == ("path" in model):
        raise ValueError("[model] needs exactly one of `path` (a local model folder) and "
                         "`synthetic = true`")
    if "path" in model:
        for key in ("general", "task", "items", "heldout"):
            if key not in data:
                raise ValueError(f"[data] needs `{key}` (a JSON Lines file) with a model `path`")
    if base is not None:
        for section, keys in (("model", ("path", "tokenizer")),
                              ("data", ("general", "task", "items", "heldout"))):
            for key in keys:
                if key in config[section] and not Path(config[section][key]).is_absolute():
                    config[section][key] = str(base / config[section][key])
    if "ratios" not in pop or "seeds" not in pop:
        raise ValueError("[population] needs `ratios` and `seeds`")
    pop["ratios"] = _check_ratios(pop["ratios"])
    pop["seeds"] = check_seeds(pop["seeds"])
    config["train"] = ContinueConfig.from_dict(config["train"]).to_dict()
    return config


def _connect(store: str | os.PathLike) -> sqlite3.Connection:
    conn = sqlite3.connect(os.fspath(store), timeout=60)
    conn.executescript(_SCHEMA)
    return conn


def read_lm_store(store: str | os.PathLike) -> pd.DataFrame:
    """The finished runs of an LM sweep store, one row per (ratio, seed), sorted."""
    path = Path(store)
    if not path.is_file():
        raise FileNotFoundError(f"`store` '{path}' does not exist")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT row FROM lm_runs ORDER BY ratio, seed").fetchall()
    return pd.DataFrame([json.loads(r) for (r,) in rows])


def _inputs(config: dict[str, Any]) -> dict[str, Any]:
    model, data = config["model"], config["data"]
    limit_docs, limit_items = data.get("max_documents"), data.get("max_items")
    if model.get("synthetic"):
        setup = SyntheticSetup.from_dict(model.get("setup", {}))
        pretrained, tokenizer, made = pretrain_synthetic(setup)
        return {"pretrained": pretrained, "tokenizer": tokenizer, "eos": None, **made}
    from transformers import AutoTokenizer

    from distscale.train.lm.models import load_causal_lm

    tokenizer = AutoTokenizer.from_pretrained(model.get("tokenizer", model["path"]),
                                              local_files_only=True)
    return {
        "pretrained": load_causal_lm(model["path"]), "tokenizer": tokenizer,
        "eos": tokenizer.eos_token_id,
        "general": read_documents(data["general"], name="general", limit=limit_docs),
        "task": read_documents(data["task"], name="task", limit=limit_docs),
        "heldout": read_documents(data["heldout"], name="heldout", limit=limit_docs),
        "items": read_items(data["items"], format=data.get("items_format", "items"),
                            limit=limit_items),
    }


def run_lm_sweep(config: str | os.PathLike | Mapping[str, Any], store: str | os.PathLike, *,
                 progress: bool = False) -> pd.DataFrame:
    """Make (or finish) the LM population of ``config`` in the SQLite file ``store``.

    Parameters
    ----------
    config : path or mapping
        See :func:`load_lm_config` and the module's documentation.
    store : path
        The SQLite file (created if missing). A store made with another
        configuration is refused (``ValueError``).
    progress : bool, default False
        Print one line per finished unit to stderr.

    Returns
    -------
    pandas.DataFrame
        :func:`read_lm_store` of the store: every finished (ratio, seed) run
        (columns as :func:`~distscale.train.lm.lm_population`).
    """
    config = load_lm_config(config)
    text = json.dumps(config, sort_keys=True)
    with contextlib.closing(_connect(store)) as conn:
        with conn:
            found = conn.execute("SELECT value FROM lm_meta WHERE key = 'config'").fetchone()
            if found is None:
                conn.execute("INSERT INTO lm_meta VALUES ('config', ?)", (text,))
            elif found[0] != text:
                raise ValueError(f"`store` '{store}' was made with another configuration; "
                                 "give a new store (or the configuration it was made with)")
        done = set(conn.execute("SELECT ratio, seed FROM lm_runs").fetchall())
        pop = config["population"]
        todo = [(r, s) for r in pop["ratios"] for s in pop["seeds"] if (r, s) not in done]
        if todo:
            inputs = _inputs(config)
            train = ContinueConfig.from_dict(config["train"])
            size = pop.get("ensemble_size") or (len(pop["seeds"]) if config["model"].get(
                "synthetic") else 1)
            for ratio in pop["ratios"]:
                seeds = [s for r, s in todo if r == ratio]
                for start in range(0, len(seeds), size):
                    chunk = seeds[start:start + size]
                    table = lm_population(
                        inputs["pretrained"], tokenizer=inputs["tokenizer"],
                        general=inputs["general"], task=inputs["task"], items=inputs["items"],
                        heldout=inputs["heldout"], ratios=[ratio], seeds=chunk, config=train,
                        eos=inputs["eos"], ensemble_size=len(chunk),
                        device=pop.get("device", "cpu"))
                    with conn:  # one transaction per unit
                        conn.executemany(
                            "INSERT INTO lm_runs VALUES (?, ?, ?, ?)",
                            [(ratio, int(row["seed"]), json.dumps(row), time.time())
                             for row in table.to_dict(orient="records")])
                    if progress:
                        print(f"ratio {ratio}: seeds {chunk} done", file=sys.stderr, flush=True)
    return read_lm_store(store)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m distscale.train.lm.sweep CONFIG STORE [--csv OUT]``."""
    parser = argparse.ArgumentParser(prog="python -m distscale.train.lm.sweep",
                                     description="Make an LM seed population (resumable).")
    parser.add_argument("config", help="the TOML file")
    parser.add_argument("store", help="the SQLite store (created or resumed)")
    parser.add_argument("--csv", help="also write the population to this CSV file")
    args = parser.parse_args(argv)
    table = run_lm_sweep(args.config, args.store, progress=True)
    if args.csv:
        from distscale._lib.outputs import atomic_write

        atomic_write(args.csv, lambda handle: table.to_csv(handle, index=False))
    print(f"{len(table)} runs in {args.store}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
