"""Training one unit of an LM sweep in a worker: the inputs (cached) and the population rows.

:func:`train_lm_unit` is what :mod:`distscale.train.workers` runs for a unit
of kind ``lm``: it loads the sweep's inputs once per worker process (the
pretrained model, tokenizer, documents and items; the embedded model is
pretrained here, deterministically), then trains and scores the unit's seeds
at its ratio with :func:`~distscale.train.lm.lm_population`, one batched
ensemble, and returns the rows with their run ids.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from distscale.train.lm.data import read_documents, read_items
from distscale.train.lm.mix import ContinueConfig
from distscale.train.lm.population import SyntheticSetup, lm_population, pretrain_synthetic
from distscale.train.trainer import torch_threads

__all__ = ["lm_inputs", "train_lm_unit"]

_INPUTS: dict[str, dict[str, Any]] = {}
_LOCK = threading.Lock()  # Dask workers may run several units of a process in threads


def lm_inputs(config: dict[str, Any]) -> dict[str, Any]:
    """The model, tokenizer, documents and items of a checked LM config (cached: one config)."""
    with _LOCK:
        key = json.dumps({k: config[k] for k in ("model", "data")}, sort_keys=True)
        if key not in _INPUTS:
            inputs = _load(config)
            _INPUTS.clear()
            _INPUTS[key] = inputs
        return _INPUTS[key]


def _load(config: dict[str, Any]) -> dict[str, Any]:
    model, data = config["model"], config["data"]
    limit_docs, limit_items = data.get("max_documents"), data.get("max_items")
    if model.get("synthetic"):
        setup = SyntheticSetup.from_dict(model.get("setup", {}))
        pretrained, tokenizer, made = pretrain_synthetic(setup)
        inputs = {"pretrained": pretrained, "tokenizer": tokenizer, "eos": None, **made}
    else:
        from transformers import AutoTokenizer

        from distscale.train.lm.models import load_causal_lm

        tokenizer = AutoTokenizer.from_pretrained(model.get("tokenizer", model["path"]),
                                                  local_files_only=True)
        inputs = {
            "pretrained": load_causal_lm(model["path"]), "tokenizer": tokenizer,
            "eos": tokenizer.eos_token_id,
            "general": read_documents(data["general"], name="general", limit=limit_docs),
            "task": read_documents(data["task"], name="task", limit=limit_docs),
            "heldout": read_documents(data["heldout"], name="heldout", limit=limit_docs),
            "items": read_items(data["items"], format=data.get("items_format", "items"),
                                limit=limit_items),
        }
    return inputs


def train_lm_unit(payload: dict[str, Any], threads: int | None = None) -> dict[str, Any]:
    """Train one LM unit (a ratio and a chunk of seeds); return ``{"table", "trajectory"}``.

    ``payload`` holds ``config`` (checked), ``ratio``, ``seeds``, ``keys``
    (their run ids) and ``device``; ``threads`` sets torch's thread count for
    the call (None: leave it).
    """
    with torch_threads(threads):
        inputs = lm_inputs(payload["config"])
        seeds = list(payload["seeds"])
        table = lm_population(
            inputs["pretrained"], tokenizer=inputs["tokenizer"], general=inputs["general"],
            task=inputs["task"], items=inputs["items"], heldout=inputs["heldout"],
            ratios=[payload["ratio"]], seeds=seeds,
            config=ContinueConfig.from_dict(payload["config"]["train"]), eos=inputs["eos"],
            ensemble_size=len(seeds), device=payload["device"])
    table.insert(0, "run_id", list(payload["keys"]))
    return {"table": table, "trajectory": None}
