"""The small count-task sweep that the store, lease and sweep tests share.

Two depths of a width-16 model, 20 steps: fast enough to train many times
in a test, big enough to have several units and runs.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from distscale.train import CountTask, ModelConfig, TrainConfig  # noqa: E402

TASK = CountTask(train_lengths=(1, 2, 3), test_lengths=(4, 5), n_numbers=8)
MODEL = ModelConfig(depth=1, width=16, heads=2)
TRAIN = TrainConfig(steps=20, batch_size=8, eval_samples=8)
#: Columns of the run table that are timings, not results.
NONDETERMINISTIC = ["seconds_per_seed"]


def sweep_config(seeds: int = 2) -> str:
    """The same sweep as a TOML file for ``distscale train`` (depths 1 and 2)."""
    return f"""
seeds = {seeds}
ensemble_size = 2
[task]
name = "count"
train_lengths = [1, 2, 3]
test_lengths = "4-5"
n_numbers = 8
[model]
width = 16
heads = 2
[train]
steps = 20
batch_size = 8
eval_samples = 8
[axes]
depth = [1, 2]
"""
