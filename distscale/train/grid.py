"""Sweep grids: settings (task, model, training configuration) x seeds.

A :class:`SweepGrid` is the list of runs of a :class:`~distscale.train.Sweep`:
settings, each with its seeds. Build it from a list of settings, from the
product of axes over one base setting (:meth:`SweepGrid.product`), or from a
configuration mapping / TOML file (:meth:`SweepGrid.from_config`, the schema
of ``distscale train``; see ``examples/count_sweep.toml``).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from distscale.train.config import ModelConfig, TrainConfig, run_key
from distscale.train.tasks import Task, task_from_dict
from distscale.train.trainer import check_configs, check_seeds

__all__ = ["Setting", "SweepGrid", "read_toml"]

_PARTS = ("task", "model", "train")
_CONFIG_KEYS = ("description", "seeds", "ensemble_size", "device", "checkpoints",
                "checkpoint_samples", *_PARTS, "axes", "settings")


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting of a sweep: task, model and training configuration, and its seeds.

    Validated on construction (configuration types, ``max_positions`` against
    the task, seeds: an int ``n`` means ``range(n)``).
    """

    task: Task
    model: ModelConfig
    train: TrainConfig
    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        check_configs(self.task, self.model, self.train)
        object.__setattr__(self, "seeds", tuple(check_seeds(self.seeds)))

    def keys(self) -> list[str]:
        """``run_key`` of each seed, in seed order."""
        return [run_key(self.task, self.model, self.train, s) for s in self.seeds]

    def fields(self) -> dict[str, Any]:
        """Every configuration field as ``"model.depth" -> value`` (plain JSON types)."""
        return {f"{p}.{k}": v for p in _PARTS for k, v in getattr(self, p).to_dict().items()}


def _none(value: Any) -> Any:
    """TOML has no null: the string "none" stands for None."""
    return None if isinstance(value, str) and value.lower() == "none" else value


def _flatten(mapping: Mapping, prefix: str = "") -> dict[str, Any]:
    """{"model": {"depth": 2}} -> {"model.depth": 2} (TOML dotted keys nest)."""
    out = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and name in _PARTS:
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _field_names(part: str, config: Any) -> list[str]:
    names = [f.name for f in dataclasses.fields(config) if f.init]
    return [n for n in names if not (part == "task" and n == "name")]


def _resolve(name: object, base: Setting) -> tuple[str, str]:
    """("model", "depth") for "depth" or "model.depth"; errors name the rule."""
    if not isinstance(name, str):
        raise TypeError(f"axis/override names must be strings; got {name!r}")
    part, _, field = name.rpartition(".")
    if part:
        if part not in _PARTS:
            raise ValueError(f"{name!r}: the prefix must be one of {list(_PARTS)}")
        if field not in _field_names(part, getattr(base, part)):
            valid = _field_names(part, getattr(base, part))
            raise ValueError(f"{name!r}: {part} has no field {field!r}; fields: {valid}")
        return part, field
    owners = [p for p in _PARTS if field in _field_names(p, getattr(base, p))]
    if not owners:
        raise ValueError(
            f"unknown field {name!r}; use a field of the task, ModelConfig or TrainConfig, "
            "optionally prefixed ('model.depth', 'train.lr', 'task.n_numbers')"
        )
    if len(owners) > 1:
        raise ValueError(f"{name!r} is ambiguous: write one of {[f'{p}.{name}' for p in owners]}")
    return owners[0], field


def _lengths(value: Any) -> Any:
    """'1-20' -> range(1, 21) (a TOML convenience for *_lengths fields)."""
    if isinstance(value, str) and "-" in value:
        lo, _, hi = value.partition("-")
        if lo.strip().isdigit() and hi.strip().isdigit():
            return range(int(lo), int(hi) + 1)
    return value


def _override(base: Setting, changes: Mapping[str, Any]) -> Setting:
    grouped: dict[str, dict[str, Any]] = {p: {} for p in _PARTS}
    seeds = base.seeds
    for name, value in changes.items():
        if name == "seeds":  # a [[settings]] entry may have its own seeds
            seeds = value
            continue
        part, field = _resolve(name, base)
        value = _none(value)
        grouped[part][field] = _lengths(value) if field.endswith("_lengths") else value
    label = ", ".join(f"{k}={v!r}" for k, v in changes.items())
    try:
        new = {p: dataclasses.replace(getattr(base, p), **grouped[p]) for p in _PARTS}
        return Setting(new["task"], new["model"], new["train"], seeds)
    except (TypeError, ValueError) as err:
        raise type(err)(f"setting {label}: {err}") from None


def _setting(item: object, seeds: object, index: int) -> Setting:
    if isinstance(item, Setting):
        return item
    if not isinstance(item, Mapping):
        raise TypeError(
            f"grid setting {index} must be a Setting or a mapping with keys task, model, train "
            f"(and optionally seeds); got {type(item).__name__}"
        )
    unknown = sorted(set(item) - {*_PARTS, "seeds"})
    if unknown:
        raise ValueError(f"grid setting {index} has unknown key(s) {unknown}")
    if "task" not in item:
        raise ValueError(f"grid setting {index} needs a 'task'")
    task, model, train = item["task"], item.get("model", ModelConfig()), item.get(
        "train", TrainConfig()
    )
    task = task_from_dict(task) if isinstance(task, Mapping) else task
    model = ModelConfig.from_dict(model) if isinstance(model, Mapping) else model
    train = TrainConfig.from_dict(train) if isinstance(train, Mapping) else train
    seeds = item.get("seeds", seeds)
    if seeds is None:
        raise ValueError(f"grid setting {index} has no seeds: give `seeds` to the grid")
    return Setting(task, model, train, seeds)


class SweepGrid:
    """Settings x seeds: the runs of a sweep.

    Parameters
    ----------
    settings : sequence of Setting or mapping
        Each a :class:`Setting` or a mapping ``{"task": ..., "model": ...,
        "train": ...}`` of configuration objects or their ``to_dict()``
        dicts (``model``/``train`` default to ``ModelConfig()``/
        ``TrainConfig()``), optionally with its own ``"seeds"``.
    seeds : int or sequence of int, optional
        Seeds of every setting without its own (an int ``n`` means
        ``range(n)``).

    Raises
    ------
    ValueError
        If two settings are identical (their runs would coincide).

    Examples
    --------
    >>> from distscale.train import CountTask, ModelConfig, TrainConfig
    >>> grid = SweepGrid.product(CountTask(), ModelConfig(heads=2), TrainConfig(steps=100),
    ...                          seeds=8, depth=[1, 2], width=[32, 64])
    >>> grid
    SweepGrid(4 settings, 32 runs; varying: model.depth, model.width)
    >>> [(s.model.depth, s.model.width) for s in grid.settings]
    [(1, 32), (1, 64), (2, 32), (2, 64)]
    >>> SweepGrid([{"task": {"name": "count"}, "model": {"depth": 1}}], seeds=[0, 5]).n_runs
    2
    """

    def __init__(self, settings: Sequence[Setting | Mapping], *, seeds: object = None) -> None:
        if isinstance(settings, (str, bytes, Mapping)) or not isinstance(settings, Sequence):
            raise TypeError(
                "`settings` must be a list of settings (mappings with task, model, train); "
                f"got {type(settings).__name__}"
            )
        if not settings:
            raise ValueError("`settings` must contain at least one setting")
        self.settings = tuple(_setting(s, seeds, i) for i, s in enumerate(settings))
        self.keys = [s.keys() for s in self.settings]
        seen: dict[str, int] = {}
        for i, keys in enumerate(self.keys):
            for k in keys:
                if k in seen:
                    raise ValueError(
                        f"grid settings {seen[k]} and {i} are identical (same task, model, "
                        "train and seed): every run must appear once"
                    )
                seen[k] = i

    @classmethod
    def product(
        cls,
        task: Task | Mapping,
        model: ModelConfig | Mapping | None = None,
        train: TrainConfig | Mapping | None = None,
        *,
        seeds: object,
        axes: Mapping[str, Sequence] | None = None,
        **more_axes: Sequence,
    ) -> SweepGrid:
        """All combinations of ``axes`` applied to one base setting.

        Axis names are configuration fields, bare (``depth``, ``lr``) when
        unambiguous or prefixed (``"model.depth"``, ``"train.lr"``,
        ``"task.n_numbers"``; pass these in ``axes``). The first axis
        varies slowest.
        """
        base = _setting({"task": task, "model": model or ModelConfig(),
                         "train": train or TrainConfig()}, seeds, 0)
        return cls(_expand([base], {**(axes or {}), **more_axes}))

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | str | os.PathLike) -> SweepGrid:
        """The grid of a sweep configuration (the TOML schema of ``distscale train``).

        Keys: ``seeds`` (required), ``task`` (a table with ``name``),
        ``model``, ``train`` (the base setting), ``settings`` (a list of
        tables of overrides of the base, one setting each, which may also
        set their own ``seeds``) and ``axes`` (a
        table ``field = [values]``; the product of the axes is applied to
        each setting). ``ensemble_size``, ``device``, ``checkpoints``,
        ``checkpoint_samples`` and ``description`` are read by
        :meth:`Sweep.from_config`. See ``examples/count_sweep.toml``.
        ``config`` may also be the path of a TOML file.
        """
        if isinstance(config, (str, os.PathLike)):
            config = read_toml(config)
        if not isinstance(config, Mapping):
            raise TypeError(f"`config` must be a mapping; got {type(config).__name__}")
        unknown = sorted(set(config) - set(_CONFIG_KEYS))
        if unknown:
            raise ValueError(f"unknown sweep config key(s) {unknown}; valid: {list(_CONFIG_KEYS)}")
        if "seeds" not in config or "task" not in config:
            raise ValueError("a sweep config needs `seeds` and a [task] table (with `name`)")
        parts = {}
        for p in _PARTS:
            table = config.get(p, {})
            if not isinstance(table, Mapping):
                raise TypeError(f"sweep config `{p}` must be a table; got {table!r}")
            table = {k: _none(v) for k, v in table.items()}
            if p == "task":
                table = {k: _lengths(v) if k.endswith("_lengths") else v
                         for k, v in table.items()}
            parts[p] = table
        base = _setting(parts, config["seeds"], 0)
        overrides = config.get("settings", [{}])
        if not isinstance(overrides, Sequence) or not all(
            isinstance(o, Mapping) for o in overrides
        ):
            raise TypeError("sweep config `settings` must be a list of tables ([[settings]])")
        axes = config.get("axes", {})
        if not isinstance(axes, Mapping):
            raise TypeError("sweep config `axes` must be a table of lists")
        settings = [_override(base, _flatten(o)) for o in overrides]
        return cls(_expand(settings, _flatten(axes)))

    @property
    def n_runs(self) -> int:
        """Number of (setting, seed) runs."""
        return sum(len(s.seeds) for s in self.settings)

    def varying(self) -> dict[str, list[Any]]:
        """Configuration fields whose value differs between settings, with the values."""
        fields = [s.fields() for s in self.settings]
        names = list(dict.fromkeys(k for f in fields for k in f))
        return {
            n: [f.get(n) for f in fields]
            for n in names
            if len({json.dumps(f.get(n), sort_keys=True) for f in fields}) > 1
        }

    def labels(self) -> list[str]:
        """A short description of each setting (its varying fields)."""
        varying = self.varying()
        if not varying:
            return [s.task.name for s in self.settings]
        return [", ".join(f"{n.split('.')[-1]}={v[i]}" for n, v in varying.items())
                for i in range(len(self.settings))]

    def __repr__(self) -> str:
        varying = ", ".join(self.varying()) or "nothing"
        return f"SweepGrid({len(self.settings)} settings, {self.n_runs} runs; varying: {varying})"


def _expand(settings: list[Setting], axes: Mapping[str, Any]) -> list[Setting]:
    for name, values in axes.items():
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Sequence):
            raise TypeError(f"axis {name!r} must be a list of values; got {values!r}")
        if not values:
            raise ValueError(f"axis {name!r} has no values")
    names = list(axes)
    return [
        _override(base, dict(zip(names, combo, strict=True)))
        for base in settings
        for combo in itertools.product(*(axes[n] for n in names))
    ]


def read_toml(path: str | os.PathLike) -> dict[str, Any]:
    """Read a TOML file (a sweep configuration) into a dict; errors are one line."""
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise ImportError(
                "reading a TOML sweep config needs Python 3.11+ or `pip install tomli`"
            ) from None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`path` must be a file path; got {type(path).__name__}")
    with open(path, "rb") as handle:
        try:
            return tomllib.load(handle)
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{os.fspath(path)!r} is not valid TOML: {err}") from None
