"""Frozen, JSON-serialisable configuration dataclasses for the trainer.

Every configuration (tasks included, see :mod:`distscale.train.tasks`) is a
frozen dataclass with :meth:`to_dict` (plain JSON types) and
:meth:`from_dict`, so that a sweep can store and content-hash it:
:func:`run_key` hashes task + model + training configuration + seed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

__all__ = ["ModelConfig", "TrainConfig", "derive_seed", "run_key"]

#: Bump when a change to the trainer changes results for an unchanged config.
KEY_VERSION = 1

POSITIONAL = ("nope", "learned", "rope")

#: Independent random streams of one run; each gets its own derived seed.
STREAMS = {"init": 1, "data": 2, "eval": 3, "dropout": 4}


def derive_seed(seed: int, stream: str, *keys: int) -> int:
    """Seed of one random stream (``"init"``, ``"data"``, ``"eval"``, ``"dropout"``) of a run.

    Streams of the same run, and the same stream of different runs (or
    different extra integer ``keys``, such as an evaluation length), get
    statistically independent seeds (NumPy ``SeedSequence`` hashing), so the
    initialisation never shares random numbers with the data.

    Examples
    --------
    >>> derive_seed(0, "init") != derive_seed(0, "data")
    True
    >>> derive_seed(0, "eval", 21) == derive_seed(0, "eval", 21)
    True
    """
    seed = check_int("derive_seed", "seed", seed, minimum=0)
    if stream not in STREAMS:
        raise ValueError(f"`stream` must be one of {sorted(STREAMS)}; got {stream!r}")
    extra = [check_int("derive_seed", "keys", k, minimum=0) for k in keys]
    entropy = [seed, STREAMS[stream], *extra]
    state = np.random.SeedSequence(entropy).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1  # a non-negative 63-bit integer


def check_int(owner: str, name: str, value: object, *, minimum: int | None = None) -> int:
    """Check that ``value`` is an integer (not bool) and at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner} `{name}` must be an integer; got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{owner} `{name}` must be at least {minimum}; got {value}")
    return int(value)


def check_float(
    owner: str,
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """Check that ``value`` is a finite real number in [low, high] (or (low, high])."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner} `{name}` must be a number; got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{owner} `{name}` must be finite; got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        rule = ">" if low_open else ">="
        raise ValueError(f"{owner} `{name}` must be {rule} {low}; got {value}")
    if high is not None and value > high:
        raise ValueError(f"{owner} `{name}` must be <= {high}; got {value}")
    return value


class ConfigMixin:
    """``to_dict``/``from_dict`` for frozen configuration dataclasses."""

    #: Extra key written by :meth:`to_dict` (tasks store their registry name).
    _dict_name: ClassVar[str | None] = None

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a dict of plain JSON types (tuples become lists)."""
        out = json.loads(json.dumps(dataclasses.asdict(self)))  # type: ignore[call-overload]
        if self._dict_name is not None:
            out = {"name": self._dict_name, **out}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]):
        """Rebuild the configuration from :meth:`to_dict` output (or any mapping).

        Unknown keys are an error (a misspelt field would otherwise be ignored).
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"`data` must be a mapping; got {type(data).__name__}")
        data = dict(data)
        if cls._dict_name is not None and "name" in data:
            if data["name"] != cls._dict_name:
                raise ValueError(
                    f"`data` describes task {data['name']!r}, not {cls._dict_name!r}"
                )
            del data["name"]
        fields = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ValueError(
                f"unknown {cls.__name__} field(s) {unknown}; valid fields: {sorted(fields)}"
            )
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class ModelConfig(ConfigMixin):
    """Architecture of the decoder-only transformer.

    Parameters
    ----------
    depth : int, default 2
        Number of transformer blocks.
    width : int, default 64
        Model (residual stream) width; must be divisible by ``heads``.
    heads : int, default 4
        Attention heads per block.
    mlp_ratio : float, default 4.0
        MLP hidden width as a multiple of ``width`` (rounded to an integer).
    positional : {"nope", "learned", "rope"}, default "nope"
        Positional encoding: none (causal attention alone), learned absolute
        position embeddings, or rotary embeddings on queries and keys.
    bias : bool, default True
        Whether linear layers have biases.
    max_positions : int, optional
        Longest sequence the model accepts (sizes learned position
        embeddings). By default the longest sequence of the task.
    rope_base : float, default 10000.0
        Base of the rotary frequencies (``positional="rope"`` only).
    init_std : float, default 0.02
        Standard deviation of the normal weight initialisation; residual output
        projections are scaled down by ``sqrt(2 * depth)`` (GPT-2).

    Examples
    --------
    >>> cfg = ModelConfig(depth=1, width=32, heads=2)
    >>> cfg.mlp_width
    128
    >>> ModelConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    depth: int = 2
    width: int = 64
    heads: int = 4
    mlp_ratio: float = 4.0
    positional: str = "nope"
    bias: bool = True
    max_positions: int | None = None
    rope_base: float = 10000.0
    init_std: float = 0.02

    def __post_init__(self) -> None:
        owner = "ModelConfig"
        check_int(owner, "depth", self.depth, minimum=1)
        check_int(owner, "width", self.width, minimum=1)
        check_int(owner, "heads", self.heads, minimum=1)
        if self.width % self.heads:
            raise ValueError(
                f"ModelConfig `width` ({self.width}) must be divisible by `heads` ({self.heads})"
            )
        object.__setattr__(
            self, "mlp_ratio", check_float(owner, "mlp_ratio", self.mlp_ratio, low=0, low_open=True)
        )
        if self.positional not in POSITIONAL:
            raise ValueError(
                f"ModelConfig `positional` must be one of {', '.join(map(repr, POSITIONAL))}; "
                f"got {self.positional!r}"
            )
        if self.positional == "rope" and (self.width // self.heads) % 2:
            raise ValueError(
                "ModelConfig with positional='rope' needs an even head width "
                f"(width / heads); got {self.width // self.heads}"
            )
        if not isinstance(self.bias, bool):
            raise TypeError(f"ModelConfig `bias` must be True or False; got {self.bias!r}")
        if self.max_positions is not None:
            check_int(owner, "max_positions", self.max_positions, minimum=1)
        object.__setattr__(
            self, "rope_base", check_float(owner, "rope_base", self.rope_base, low=1, low_open=True)
        )
        object.__setattr__(
            self, "init_std", check_float(owner, "init_std", self.init_std, low=0, low_open=True)
        )

    @property
    def mlp_width(self) -> int:
        """Hidden width of the MLP, ``max(1, round(width * mlp_ratio))``."""
        return max(1, round(self.width * self.mlp_ratio))

    @property
    def head_width(self) -> int:
        """Width of one attention head."""
        return self.width // self.heads


@dataclasses.dataclass(frozen=True)
class TrainConfig(ConfigMixin):
    """Optimisation and evaluation settings shared by every seed of a setting.

    Parameters
    ----------
    steps : int, default 1000
        Optimiser steps.
    batch_size : int, default 32
        Sequences per step (per seed). Each sequence gets its own length,
        drawn uniformly from the task's training lengths.
    lr : float, default 1e-3
        Peak learning rate.
    betas : tuple of float, default (0.9, 0.98)
        AdamW moment decay rates.
    eps : float, default 1e-8
        AdamW epsilon.
    weight_decay : float, default 0.1
        Decoupled (AdamW) weight decay, applied to weight matrices and
        embeddings only (not to biases or layer-norm parameters).
    warmup_fraction : float, default 0.05
        Fraction of ``steps`` with a linear warm-up; then cosine decay.
    min_lr_ratio : float, default 0.0
        Final learning rate as a fraction of ``lr``.
    grad_clip : float or None, default 1.0
        Clip each seed's global gradient norm to this value separately
        (so an ensemble member trains exactly like the seed alone); None
        disables clipping.
    eval_samples : int, default 128
        Test sequences per evaluation length.
    eval_batch_size : int or None, default None
        Evaluate at most this many sequences at once (bounds memory); None
        evaluates all ``eval_samples`` in one batch.
    eval_seed : int, default 0
        Seed of the evaluation sequences (the same for every seed of a
        population, so that seeds are scored on the same examples).
    data_seed : int or None, default None
        Seed of the training data stream. None: each run's data stream is
        derived from its own seed (seeds differ in initialisation *and* data
        order). An integer: every seed sees the same data and differs only in
        its initialisation.
    eval_train_lengths : bool, default False
        Also evaluate at every training length (rows with ``split="train"``).

    Examples
    --------
    >>> cfg = TrainConfig(steps=200, lr=3e-3)
    >>> cfg.warmup_steps
    10
    >>> TrainConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    steps: int = 1000
    batch_size: int = 32
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = 1e-8
    weight_decay: float = 0.1
    warmup_fraction: float = 0.05
    min_lr_ratio: float = 0.0
    grad_clip: float | None = 1.0
    eval_samples: int = 128
    eval_batch_size: int | None = None
    eval_seed: int = 0
    data_seed: int | None = None
    eval_train_lengths: bool = False

    def __post_init__(self) -> None:
        owner = "TrainConfig"
        check_int(owner, "steps", self.steps, minimum=1)
        check_int(owner, "batch_size", self.batch_size, minimum=1)
        object.__setattr__(self, "lr", check_float(owner, "lr", self.lr, low=0, low_open=True))
        betas = self.betas
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise ValueError(f"TrainConfig `betas` must be a pair of numbers; got {betas!r}")
        betas = tuple(check_float(owner, "betas", b, low=0, high=1) for b in betas)
        if max(betas) >= 1:
            raise ValueError(f"TrainConfig `betas` must be < 1; got {betas}")
        object.__setattr__(self, "betas", betas)
        object.__setattr__(self, "eps", check_float(owner, "eps", self.eps, low=0, low_open=True))
        object.__setattr__(
            self, "weight_decay", check_float(owner, "weight_decay", self.weight_decay, low=0)
        )
        object.__setattr__(
            self,
            "warmup_fraction",
            check_float(owner, "warmup_fraction", self.warmup_fraction, low=0, high=1),
        )
        ratio = check_float(owner, "min_lr_ratio", self.min_lr_ratio, low=0, high=1)
        object.__setattr__(self, "min_lr_ratio", ratio)
        if self.grad_clip is not None:
            object.__setattr__(
                self,
                "grad_clip",
                check_float(owner, "grad_clip", self.grad_clip, low=0, low_open=True),
            )
        check_int(owner, "eval_samples", self.eval_samples, minimum=1)
        if self.eval_batch_size is not None:
            check_int(owner, "eval_batch_size", self.eval_batch_size, minimum=1)
        check_int(owner, "eval_seed", self.eval_seed, minimum=0)
        if self.data_seed is not None:
            check_int(owner, "data_seed", self.data_seed, minimum=0)
        if not isinstance(self.eval_train_lengths, bool):
            raise TypeError(
                f"TrainConfig `eval_train_lengths` must be True or False; "
                f"got {self.eval_train_lengths!r}"
            )

    @property
    def warmup_steps(self) -> int:
        """Number of warm-up steps, ``round(warmup_fraction * steps)``."""
        return round(self.warmup_fraction * self.steps)


def run_key(task: Any, model: ModelConfig, train: TrainConfig, seed: int) -> str:
    """Content hash identifying one training run (configuration + seed).

    Two runs have the same key exactly when their task, model and training
    configurations and seed are equal, so a sweep can skip finished runs.

    Parameters
    ----------
    task : Task
        A registered task (see :mod:`distscale.train.tasks`).
    model : ModelConfig
    train : TrainConfig
    seed : int

    Returns
    -------
    str
        16 hexadecimal characters (a truncated SHA-256 of canonical JSON).

    Examples
    --------
    >>> from distscale.train import CountTask
    >>> key = run_key(CountTask(), ModelConfig(), TrainConfig(), 0)
    >>> len(key), key == run_key(CountTask(), ModelConfig(), TrainConfig(), 0)
    (16, True)
    >>> key == run_key(CountTask(), ModelConfig(), TrainConfig(), 1)
    False
    """
    seed = check_int("run_key", "seed", seed, minimum=0)
    for name, obj in (("task", task), ("model", model), ("train", train)):
        if not hasattr(obj, "to_dict"):
            raise TypeError(f"`{name}` must be a configuration with .to_dict(); got {obj!r}")
    payload = {
        "version": KEY_VERSION,
        "task": task.to_dict(),
        "model": model.to_dict(),
        "train": train.to_dict(),
        "seed": seed,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
