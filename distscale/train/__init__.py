"""Optional PyTorch trainer: synthetic tasks, batched seed ensembles, populations.

This subpackage needs PyTorch (``pip install "distscale[torch]"``); the rest of
distscale does not, and ``import distscale`` never imports torch.

The main entry point is :func:`train_population`, which trains many seeds of
one setting (several at once, as a batched ensemble) and returns a tidy table
that :class:`distscale.Population` accepts directly. See ``docs/training.md``.
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "distscale.train needs PyTorch, which is not installed; install it with "
        '`pip install "distscale[torch]"` (or see https://pytorch.org for a build '
        "for your platform)"
    ) from exc

from distscale.io.run_table import summarize_trajectory, trajectory_population
from distscale.train.arithmetic import AdditionTask
from distscale.train.config import ModelConfig, TrainConfig, run_key
from distscale.train.evaluate import EVAL_METRICS, evaluate_ensemble
from distscale.train.grid import Setting, SweepGrid
from distscale.train.model import EnsembleTransformer
from distscale.train.populate import choose_ensemble_size, summarize_runs, train_population
from distscale.train.store import RunStore, StoreCheck, StoreDamagedError, read_store
from distscale.train.store_repair import RepairReport
from distscale.train.sweep import Sweep, SweepError, SweepStatus, UnitFailure
from distscale.train.tasks import (
    CountTask,
    Task,
    TaskBatch,
    available_tasks,
    get_task,
    register_task,
    task_from_dict,
)
from distscale.train.trainer import EnsembleRun, EnsembleTrainer, lr_at, train_ensemble

__all__ = [
    "EVAL_METRICS",
    "AdditionTask",
    "CountTask",
    "EnsembleRun",
    "EnsembleTrainer",
    "EnsembleTransformer",
    "ModelConfig",
    "RepairReport",
    "RunStore",
    "Setting",
    "StoreCheck",
    "StoreDamagedError",
    "Sweep",
    "SweepError",
    "SweepGrid",
    "SweepStatus",
    "Task",
    "TaskBatch",
    "TrainConfig",
    "UnitFailure",
    "available_tasks",
    "choose_ensemble_size",
    "evaluate_ensemble",
    "get_task",
    "lr_at",
    "read_store",
    "register_task",
    "run_key",
    "summarize_runs",
    "summarize_trajectory",
    "task_from_dict",
    "train_ensemble",
    "train_population",
    "trajectory_population",
]
