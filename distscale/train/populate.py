"""Training a whole population of seeds into one tidy table.

:func:`train_population` trains every seed of one setting,
``ensemble_size`` seeds at a time (:func:`choose_ensemble_size`), and returns
one row per seed and evaluated length that :class:`distscale.Population`
accepts directly; :func:`summarize_runs` reduces it to one row per run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from distscale.io.run_table import (
    EVAL_METRICS,
    RUN_COLUMNS,
    TRAINING_COLUMNS,
    TRAJECTORY_COLUMNS,
    summarize_runs,
)
from distscale.train.config import ModelConfig, TrainConfig, check_int, run_key
from distscale.train.tasks import Task
from distscale.train.trainer import (
    check_checkpoints,
    check_configs,
    check_seeds,
    torch_threads,
    train_ensemble,
)

__all__ = ["choose_ensemble_size", "summarize_runs", "train_population"]



def choose_ensemble_size(
    task: Task, model: ModelConfig, train: TrainConfig, *, n_seeds: int | None = None,
    device: str | torch.device = "cpu",
) -> int:
    """Seeds to train at once: many for tiny models, one where batching stops paying.

    On a CPU, a batched ensemble amortises per-operation overhead, which
    dominates the step of a tiny model; once one member's step is large
    enough to run matrix products near the CPU's peak, batching gains
    nothing and only costs memory. ``benchmarks/bench_trainer.py`` (1 thread,
    count task, batch 32, see ``docs/training.md``) measured, over several
    runs on a shared 2-core machine, 1.4-2.35x more seeds*steps/s with
    E = 8-16 at width 32 (about 10% of the matmul peak alone), 0.9-1.3x at
    width 64 (25-40% of peak alone) and 0.8-1.1x at width 128 (45-60% of
    peak alone). The rule uses the per-member work of a step,
    ``width * batch_size * mean training sequence length``: below 24,000
    (the benchmark's width 32) 16 seeds, below 48,000 (its width 64) 8 seeds,
    else 1.

    On a GPU (not measured here) a heuristic fills the device: 64 seeds
    below 2**20, 16 below 2**22, else 4. Never more than ``n_seeds``.

    Examples
    --------
    >>> from distscale.train import CountTask, ModelConfig, TrainConfig
    >>> choose_ensemble_size(CountTask(), ModelConfig(width=32), TrainConfig())
    16
    >>> choose_ensemble_size(CountTask(), ModelConfig(width=128), TrainConfig())
    1
    """
    check_configs(task, model, train)
    lengths = task.train_lengths
    mean_tokens = float(np.mean([task.sequence_length(n) for n in lengths]))
    work = model.width * train.batch_size * mean_tokens
    if torch.device(device).type == "cpu":
        size = 16 if work < 24_000 else 8 if work < 48_000 else 1
    else:
        size = 64 if work < 2**20 else 16 if work < 2**22 else 4
    if n_seeds is not None:
        size = min(size, check_int("choose_ensemble_size", "n_seeds", n_seeds, minimum=1))
    return size


def _run_columns(task: Task, model: ModelConfig, train: TrainConfig, n_params: int) -> dict:
    return {
        "task": task.name,
        "depth": model.depth,
        "width": model.width,
        "heads": model.heads,
        "mlp_ratio": model.mlp_ratio,
        "positional": model.positional,
        "n_params": n_params,
        "steps": train.steps,
    }


def train_population(
    task: Task,
    model: ModelConfig,
    train: TrainConfig,
    *,
    seeds: int | Sequence[int],
    ensemble_size: int | None = None,
    progress: bool = True,
    device: str | torch.device = "cpu",
    samples: bool = False,
    level: str = "length",
    threads: int | None = None,
    checkpoints: int | Sequence[int] | None = None,
    checkpoint_samples: int | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, ...]:
    """Train a population of seeds of one setting and score every seed.

    Parameters
    ----------
    task : Task
        E.g. ``CountTask()``; its ``test_lengths`` are evaluated.
    model : ModelConfig
    train : TrainConfig
    seeds : int or sequence of int
        The seeds (an int ``n`` means ``range(n)``). Each seed is one run,
        with its own initialisation and (unless ``train.data_seed`` is set)
        its own data order.
    ensemble_size : int, optional
        Seeds trained at once as one batched model. By default
        :func:`choose_ensemble_size` decides (large for small models, 1 where
        batching does not pay). Results do not depend on it beyond
        floating-point rounding.
    progress : bool, default True
        Show a ``tqdm`` progress bar over all training steps.
    device : str or torch.device, default "cpu"
        E.g. ``"cuda"``. Data and initial weights are drawn on the CPU either
        way.
    samples : bool, default False
        Also return the per-sample outputs (see
        :func:`~distscale.train.evaluate.evaluate_ensemble`), with the run
        columns added.
    level : {"length", "run"}, default "length"
        ``"length"``: one row per seed and evaluated length. ``"run"``: one
        row per seed, metrics averaged over the test lengths
        (:func:`summarize_runs`).
    threads : int, optional
        Torch CPU threads for this call (``torch.set_num_threads``; the
        previous value is restored afterwards). Small models train about as
        fast on one thread as on two, and two one-thread processes beat one
        two-thread process; oversubscribed threads (more threads than free
        cores) can be many times slower. None leaves torch's setting alone.
    checkpoints : int or sequence of int, optional
        Also evaluate every seed during training: an int ``n`` means ``n``
        evenly spaced checkpoints (``10``: after every 10% of the steps, the
        last one the final model), a sequence lists the step counts (0 is the
        initial model). Each checkpoint costs one evaluation (see
        ``checkpoint_samples``); the final one reuses the final evaluation.
        Adds the trajectory table to the returned tuple.
    checkpoint_samples : int, optional
        Test sequences per length at the checkpoints (default
        ``train.eval_samples``); fewer make checkpoints cheaper.

    Returns
    -------
    pandas.DataFrame
        Columns: ``run_id`` (see :func:`~distscale.train.config.run_key`),
        ``task``, ``depth``, ``width``, ``heads``, ``mlp_ratio``,
        ``positional``, ``n_params`` (per seed), ``steps``, ``seed``, then (level
        "length") ``split`` ("test", or "train" with
        ``TrainConfig.eval_train_lengths``) and ``length``, the metric columns
        ``exact_match``, ``token_accuracy``, ``edit_distance``, ``nll``,
        ``exact_match_teacher_forced``, ``token_accuracy_teacher_forced``, and
        the run columns ``train_loss`` (mean over the last 5% of steps),
        ``ensemble_size`` and ``seconds_per_seed`` (the only nondeterministic
        column). With ``samples=True``, a pair ``(table, samples)``.
    trajectory : pandas.DataFrame
        Only with ``checkpoints``, last in the returned tuple: one row per
        seed, checkpoint and length, with the run columns, ``step``,
        ``split``, ``length``, the metric columns and ``train_loss`` (mean
        training loss since the previous checkpoint; NaN at step 0).
        :func:`~distscale.io.run_table.trajectory_population` turns it into a
        paired population with the step as the scale.

    Examples
    --------
    >>> import distscale as ds
    >>> from distscale.train import CountTask, ModelConfig, TrainConfig
    >>> task = CountTask(train_lengths=(1, 2, 3), test_lengths=(4, 5), n_numbers=8)
    >>> frames = [train_population(task, ModelConfig(depth=d, width=16, heads=2),
    ...                            TrainConfig(steps=3, batch_size=4, eval_samples=4),
    ...                            seeds=2, progress=False, threads=1) for d in (1, 2)]
    >>> table = pd.concat(frames)
    >>> ds.Population(table, scale="depth", seed="seed", value="exact_match", task="length")
    Population(8 runs, 2 scales, 2 tasks, 2 seeds per scale, metrics=['exact_match'])
    >>> runs = summarize_runs(table)  # one row per seed: mean over test lengths
    >>> ds.Population(runs, scale="depth", seed="seed", value=["exact_match", "nll"])
    Population(4 runs, 2 scales, 2 seeds per scale, metrics=['exact_match', 'nll'])
    """
    check_configs(task, model, train)
    seeds = check_seeds(seeds)
    if level not in ("length", "run"):
        raise ValueError(f"`level` must be 'length' or 'run'; got {level!r}")
    if not isinstance(samples, bool):
        raise TypeError(f"`samples` must be True or False; got {samples!r}")
    if threads is not None:
        threads = check_int("train_population", "threads", threads, minimum=1)
    check_checkpoints(checkpoints, train.steps)
    if ensemble_size is None:
        ensemble_size = choose_ensemble_size(task, model, train, n_seeds=len(seeds), device=device)
    else:
        ensemble_size = check_int("train_population", "ensemble_size", ensemble_size, minimum=1)
    groups = [seeds[i : i + ensemble_size] for i in range(0, len(seeds), ensemble_size)]

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=train.steps * len(groups), desc=f"{task.name} training",
                   unit="step")
    frames, sample_frames, trajectories = [], [], []
    try:
        with torch_threads(threads):
            for group in groups:
                run = train_ensemble(
                    task, model, train, group, device=device,
                    progress=bar if bar is not None else False, samples=samples,
                    checkpoints=checkpoints, checkpoint_samples=checkpoint_samples,
                )
                cols = _run_columns(task, model, train, run.model.n_params)
                info = pd.DataFrame(
                    {
                        "run_id": [run_key(task, model, train, s) for s in group],
                        **{k: [v] * len(group) for k, v in cols.items()},
                        "seed": list(group),
                        "train_loss": run.final_loss(),
                        "ensemble_size": len(group),
                        "seconds_per_seed": run.seconds / len(group),
                    }
                )
                frames.append(info.merge(run.metrics, on="seed", how="left", validate="1:m"))
                if run.samples is not None:
                    sample_frames.append(
                        info[list(RUN_COLUMNS)].merge(run.samples, on="seed", validate="1:m")
                    )
                if run.trajectory is not None:
                    trajectories.append(
                        info[list(RUN_COLUMNS)].merge(run.trajectory, on="seed",
                                                      validate="1:m")
                    )
                del run
    finally:
        if bar is not None:
            bar.close()
    order = [*RUN_COLUMNS, "split", "length", *EVAL_METRICS, *TRAINING_COLUMNS]
    table = pd.concat(frames, ignore_index=True)[order]
    if level == "run":
        table = summarize_runs(table)
    out = [table]
    if samples:
        out.append(pd.concat(sample_frames, ignore_index=True))
    if checkpoints is not None:
        out.append(pd.concat(trajectories, ignore_index=True)[list(TRAJECTORY_COLUMNS)])
    return out[0] if len(out) == 1 else tuple(out)
