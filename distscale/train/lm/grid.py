"""An LM seed population as a sweep grid: one setting per data-mix ratio, with its seeds.

:class:`LMGrid` lists the (ratio, seed) runs of an LM sweep configuration
(:func:`load_lm_config`, the TOML file of ``distscale train``) so that
:class:`distscale.train.Sweep` trains them as it trains the synthetic tasks:
units of seeds in one SQLite store, leased by several drivers, on local
worker processes or Dask, resumable, with ``status``, ``check`` and
``repair``. Each run's key (:func:`~distscale.train.run_key`) is the content
hash of its data (the ``[data]`` table and the ratio), its model (the
``[model]`` table) and its :class:`~distscale.train.lm.ContinueConfig`, and
its seed; the device and the unit size are not part of it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from distscale.train.config import run_key
from distscale.train.grid import read_toml
from distscale.train.lm.mix import ContinueConfig
from distscale.train.lm.population import SyntheticSetup, _check_ratios
from distscale.train.trainer import check_seeds

__all__ = ["LMGrid", "LMModel", "LMSetting", "LMTask", "is_lm_config", "load_lm_config"]

_SECTIONS = {"model": {"path", "synthetic", "setup", "tokenizer"},
             "data": {"general", "task", "items", "items_format", "heldout", "max_items",
                      "max_documents"},
             "population": {"ratios", "seeds", "ensemble_size", "device"},
             "train": None}


def is_lm_config(config: Mapping[str, Any]) -> bool:
    """Whether a sweep configuration describes an LM population (it has ``[population]``).

    Examples
    --------
    >>> is_lm_config({"population": {"ratios": [0.1], "seeds": 2}}), is_lm_config({"seeds": 2})
    (True, False)
    """
    return isinstance(config, Mapping) and "population" in config


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


@dataclasses.dataclass(frozen=True)
class LMTask:
    """The data of an LM run: the ``[data]`` table and the task's share ``ratio``."""

    data: Mapping[str, Any]
    ratio: float
    name = "lm"

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "lm", "ratio": ..., "data": {...}}`` (stored in ``runs.task``)."""
        return {"kind": "lm", "ratio": self.ratio, "data": dict(self.data)}


@dataclasses.dataclass(frozen=True)
class LMModel:
    """The pretrained model of an LM run: the ``[model]`` table (a synthetic setup in full)."""

    spec: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The ``[model]`` table (stored in ``runs.model``)."""
        return json.loads(json.dumps(dict(self.spec), sort_keys=True))


@dataclasses.dataclass(frozen=True)
class LMSetting:
    """One ratio of an LM population: its data, model, continued training and seeds."""

    task: LMTask
    model: LMModel
    train: ContinueConfig
    seeds: tuple[int, ...]

    def keys(self) -> list[str]:
        """``run_key`` of each seed, in seed order."""
        return [run_key(self.task, self.model, self.train, s) for s in self.seeds]


class LMGrid:
    """The (ratio, seed) runs of an LM sweep configuration, for :class:`~distscale.train.Sweep`.

    Parameters
    ----------
    config : path or mapping
        An LM sweep configuration (:func:`load_lm_config`).

    Examples
    --------
    >>> grid = LMGrid({"model": {"synthetic": True},
    ...                "population": {"ratios": [0.0, 0.5], "seeds": 3}})
    >>> grid, grid.labels(), grid.n_runs
    (LMGrid(2 ratios, 6 runs), ['ratio=0.0', 'ratio=0.5'], 6)
    >>> grid.unit_size(0)  # the embedded model: every seed of a ratio in one ensemble
    3
    """

    kind = "lm"

    def __init__(self, config: str | os.PathLike | Mapping[str, Any]) -> None:
        self.config = load_lm_config(config)
        model = dict(self.config["model"])
        if model.get("synthetic"):  # key the pretrained model on its whole setup
            model["setup"] = SyntheticSetup.from_dict(model.get("setup", {})).to_dict()
        pop = self.config["population"]
        train = ContinueConfig.from_dict(self.config["train"])
        self.settings = tuple(
            LMSetting(LMTask(self.config["data"], r), LMModel(model), train,
                      tuple(pop["seeds"]))
            for r in pop["ratios"])
        self.keys = [s.keys() for s in self.settings]

    @classmethod
    def from_config(cls, config: str | os.PathLike | Mapping[str, Any]) -> LMGrid:
        """The grid of an LM sweep configuration (same as ``LMGrid(config)``)."""
        return cls(config)

    @property
    def n_runs(self) -> int:
        """Number of (ratio, seed) runs."""
        return sum(len(s.seeds) for s in self.settings)

    def varying(self) -> dict[str, list[Any]]:
        """``{"ratio": [...]}`` when there are several ratios (the only axis)."""
        ratios = [s.task.ratio for s in self.settings]
        return {"ratio": ratios} if len(ratios) > 1 else {}

    def labels(self) -> list[str]:
        """``ratio=r`` for each setting."""
        return [f"ratio={s.task.ratio}" for s in self.settings]

    def unit_size(self, index: int) -> int:
        """Seeds per unit: ``[population] ensemble_size``, else every seed of a ratio for
        the embedded model (one batched ensemble) and 1 for a transformers model."""
        size = self.config["population"].get("ensemble_size")
        if size is None:
            size = len(self.settings[index].seeds) if self.config["model"].get(
                "synthetic") else 1
        return int(size)

    def payload(self, index: int) -> dict[str, Any]:
        """What a worker needs for a unit of setting ``index`` (besides seeds and device)."""
        return {"kind": "lm", "config": self.config, "ratio": self.settings[index].task.ratio}

    def __repr__(self) -> str:
        return f"LMGrid({len(self.settings)} ratios, {self.n_runs} runs)"
