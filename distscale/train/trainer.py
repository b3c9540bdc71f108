"""The training loop of one batched ensemble of seeds.

:func:`train_ensemble` trains several seeds of one setting (task, model and
training configuration) together as one
:class:`~distscale.train.model.EnsembleTransformer` and scores them
(:func:`~distscale.train.evaluate.evaluate_ensemble`);
:func:`~distscale.train.populate.train_population` splits a population into
such ensembles.

Each seed is an independent run: its initialisation comes from
``derive_seed(seed, "init")``, its training data from
``derive_seed(seed, "data")`` (or from a shared ``TrainConfig.data_seed``),
its gradient norm is clipped on its own, and AdamW acts elementwise, so a
seed gives the same result in any ensemble (up to floating-point rounding,
tested to 1e-5). The global torch RNG is never touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import numbers
import time
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from distscale.train.config import ModelConfig, TrainConfig, check_int, derive_seed
from distscale.train.evaluate import evaluate_ensemble
from distscale.train.model import EnsembleTransformer
from distscale.train.packing import PackedBatch, pack_members, stack_members
from distscale.train.tasks import Task

__all__ = [
    "EnsembleRun",
    "EnsembleTrainer",
    "check_checkpoints",
    "lr_at",
    "member_losses",
    "torch_threads",
    "train_ensemble",
]


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run a block with torch's CPU thread count set to ``threads``, then restore it.

    ``None`` leaves the setting alone. The count is process-wide
    (``torch.set_num_threads``); the previous value comes back even when the
    block raises.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    before = torch.get_num_threads()
    if threads is not None and threads != before:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        if threads is not None and torch.get_num_threads() != before:
            torch.set_num_threads(before)


def lr_at(
    step: int, *, lr: float, steps: int, warmup_steps: int, min_lr_ratio: float = 0.0
) -> float:
    """Learning rate at ``step`` (0-based): linear warm-up, then cosine decay.

    During the first ``warmup_steps`` steps the rate rises linearly,
    ``lr * (step + 1) / warmup_steps``; afterwards it follows a half cosine
    from ``lr`` (at ``step == warmup_steps``) towards ``min_lr_ratio * lr``
    (reached at ``step == steps``). A pure function of its arguments.

    Examples
    --------
    >>> [round(lr_at(s, lr=1.0, steps=10, warmup_steps=2), 3) for s in range(10)]
    [0.5, 1.0, 1.0, 0.962, 0.854, 0.691, 0.5, 0.309, 0.146, 0.038]
    """
    step = check_int("lr_at", "step", step, minimum=0)
    steps = check_int("lr_at", "steps", steps, minimum=1)
    warmup_steps = check_int("lr_at", "warmup_steps", warmup_steps, minimum=0)
    if step < warmup_steps:
        return lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, steps - warmup_steps))
    return lr * (min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def check_seeds(seeds: object) -> list[int]:
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        count = check_int("train_population", "seeds", seeds, minimum=1)
        return list(range(count))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (Sequence, range, np.ndarray)):
        raise TypeError(
            "`seeds` must be a number of seeds or a sequence of non-negative integer seeds; "
            f"got {type(seeds).__name__}"
        )
    out = [check_int("train_population", "seeds", s, minimum=0) for s in seeds]
    if not out:
        raise ValueError("`seeds` must contain at least one seed")
    if len(set(out)) != len(out):
        dup = sorted({s for s in out if out.count(s) > 1})
        raise ValueError(f"`seeds` has duplicates: {dup[:5]}; each seed is one run")
    return out


def check_configs(task: object, model: object, train: object) -> None:
    if not isinstance(task, Task):
        raise TypeError(f"`task` must be a Task (e.g. CountTask()); got {type(task).__name__}")
    if not isinstance(model, ModelConfig):
        raise TypeError(f"`model` must be a ModelConfig; got {type(model).__name__}")
    if not isinstance(train, TrainConfig):
        raise TypeError(f"`train` must be a TrainConfig; got {type(train).__name__}")
    if model.max_positions is not None and model.max_positions < task.max_sequence_length:
        raise ValueError(
            f"ModelConfig.max_positions ({model.max_positions}) is shorter than the task's "
            f"longest sequence ({task.max_sequence_length} tokens)"
        )


@dataclasses.dataclass(frozen=True)
class EnsembleRun:
    """One trained ensemble: the model, its scores and its loss curves.

    Attributes
    ----------
    model : EnsembleTransformer
        The trained ensemble (member ``k`` is seed ``seeds[k]``).
    seeds : tuple of int
    metrics : pandas.DataFrame
        One row per seed and evaluated length: ``seed``, ``split``,
        ``length`` and the :data:`~distscale.train.evaluate.EVAL_METRICS`.
    samples : pandas.DataFrame or None
        Per-sample outputs, when asked for.
    losses : numpy.ndarray
        ``(ensemble_size, steps)`` training loss of each seed at each step
        (mean NLL per target token of that step's batch).
    seconds : float
        Wall-clock time of training and evaluation together.
    trajectory : pandas.DataFrame or None
        With checkpoints: one row per seed, checkpoint and evaluated length
        (``seed``, ``step``, ``split``, ``length``, the metrics and
        ``train_loss``, the mean training loss since the previous checkpoint).
    """

    model: EnsembleTransformer
    seeds: tuple[int, ...]
    metrics: pd.DataFrame
    samples: pd.DataFrame | None
    losses: np.ndarray
    seconds: float
    trajectory: pd.DataFrame | None = None

    def final_loss(self) -> np.ndarray:
        """Mean training loss of each seed over the last 5% of steps (at least one)."""
        tail = max(1, round(0.05 * self.losses.shape[1]))
        return self.losses[:, -tail:].mean(axis=1)


def _clip_per_member(params: list[torch.nn.Parameter], max_norm: float) -> torch.Tensor:
    """Scale each member's gradients so its global norm is at most ``max_norm``.

    The same rule as ``torch.nn.utils.clip_grad_norm_`` applied to one member
    alone: coefficient ``min(1, max_norm / (norm + 1e-6))``. Returns the norms.
    """
    grads = [p.grad for p in params if p.grad is not None]
    sq = torch.stack([g.pow(2).flatten(1).sum(1) for g in grads]).sum(0)
    norm = sq.sqrt()
    coef = (max_norm / (norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view(-1, *([1] * (g.ndim - 1))))
    return norm


def member_losses(
    model: EnsembleTransformer,
    tokens: torch.Tensor,
    target_mask: torch.Tensor,
    segments: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean next-token NLL over each member's target tokens, shape ``(E,)``.

    ``segments`` marks packed rows (see :mod:`distscale.train.packing`).
    """
    logits = model(tokens[:, :, :-1], segments=None if segments is None else segments[:, :, :-1])
    nll = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), tokens[:, :, 1:].reshape(-1), reduction="none"
    ).view(tokens.shape[0], tokens.shape[1], -1)
    mask = target_mask[:, :, 1:].to(nll.dtype)
    return (nll * mask).sum((1, 2)) / mask.sum((1, 2))


def _adamw(groups: list[dict], train: TrainConfig, device: torch.device) -> torch.optim.AdamW:
    """AdamW with the fused kernel where torch has one (CPU and CUDA), else the default.

    The fused kernel does the same elementwise update in one pass over each
    parameter (3x faster than the per-parameter loop for a 16-seed ensemble
    on one CPU thread); it changes results only by floating-point rounding.
    """
    kwargs = {"lr": train.lr, "betas": train.betas, "eps": train.eps}
    if device.type in ("cpu", "cuda"):
        try:
            return torch.optim.AdamW(groups, fused=True, **kwargs)
        except (RuntimeError, ValueError):  # pragma: no cover - builds without the kernel
            pass
    return torch.optim.AdamW(groups, **kwargs)  # pragma: no cover


class EnsembleTrainer:
    """The training loop of one ensemble, one optimiser step at a time.

    :func:`train_ensemble` drives it; benchmarks time :meth:`step` directly.
    Builds the model (per-seed initialisation), AdamW with weight decay on
    matrices and embeddings only (the fused kernel), and one data generator
    per seed (or one shared generator when ``train.data_seed`` is set).

    With ``pack=True`` (default) each member's training sequences are packed
    into rows as long as the longest one (:mod:`distscale.train.packing`)
    instead of one padded row each: about 35% fewer positions on the count
    task, the same result up to floating-point rounding.
    """

    def __init__(
        self,
        task: Task,
        model: ModelConfig,
        train: TrainConfig,
        seeds: Sequence[int],
        *,
        device: str | torch.device = "cpu",
        pack: bool = True,
    ) -> None:
        check_configs(task, model, train)
        self.seeds = check_seeds(seeds)
        self.task, self.train = task, train
        self.device = torch.device(device)
        self.pack = bool(pack)
        self.model = EnsembleTransformer(
            model,
            vocab_size=task.vocab_size,
            seeds=self.seeds,
            max_positions=model.max_positions or task.max_sequence_length,
            device=self.device,
        )
        groups = self.model.optimizer_groups(train.weight_decay)
        self.optimizer = _adamw(groups, train, self.device)
        self.params = [p for g in groups for p in g["params"]]
        if train.data_seed is None:
            self.generators = [
                torch.Generator().manual_seed(derive_seed(s, "data")) for s in self.seeds
            ]
        else:
            self.generators = [torch.Generator().manual_seed(derive_seed(train.data_seed, "data"))]
        self.losses = torch.empty(len(self.seeds), train.steps, device=self.device)
        self.steps_done = 0
        self.last_batch: PackedBatch | None = None

    def next_batch(self) -> PackedBatch:
        """The next training batch of every member: ``(E, R, C)`` rows (packed or not)."""
        batches = [self.task.training_batch(self.train.batch_size, g) for g in self.generators]
        make = pack_members if self.pack else stack_members
        batch = make(batches, self.task.pad_token)
        if len(self.generators) == 1 and len(self.seeds) > 1:
            n = len(self.seeds)
            batch = PackedBatch(
                batch.tokens.expand(n, -1, -1),
                batch.target_mask.expand(n, -1, -1),
                None if batch.segments is None else batch.segments.expand(n, -1, -1),
                batch.useful_tokens,
            )
        return batch.to(self.device)

    def step(self, step: int) -> None:
        """One optimiser step (0-based ``step`` sets the learning rate)."""
        train = self.train
        batch = self.next_batch()
        self.last_batch = batch
        self.model.train()
        loss = member_losses(self.model, batch.tokens, batch.target_mask, batch.segments)
        loss.sum().backward()
        if train.grad_clip is not None:
            _clip_per_member(self.params, train.grad_clip)
        rate = lr_at(
            step,
            lr=train.lr,
            steps=train.steps,
            warmup_steps=train.warmup_steps,
            min_lr_ratio=train.min_lr_ratio,
        )
        for group in self.optimizer.param_groups:
            group["lr"] = rate
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if step < self.losses.shape[1]:
            self.losses[:, step] = loss.detach()
        self.steps_done = step + 1


def check_checkpoints(checkpoints: object, steps: int) -> tuple[int, ...]:
    """Steps after which to evaluate: ``n`` evenly spaced ones, or an explicit list.

    ``None`` means none; an int ``n`` means ``round(steps * i / n)`` for
    ``i = 1 .. n`` (``n = 10``: every 10% of the steps, the last one the
    final model); a sequence lists step counts in ``[0, steps]`` (0: the
    initial model).

    Examples
    --------
    >>> check_checkpoints(4, 100)
    (25, 50, 75, 100)
    >>> check_checkpoints([0, 10, 10, 3], 100)
    (0, 3, 10)
    """
    if checkpoints is None:
        return ()
    if isinstance(checkpoints, numbers.Integral) and not isinstance(checkpoints, bool):
        n = check_int("train_population", "checkpoints", checkpoints, minimum=1)
        return tuple(sorted({max(1, round(steps * i / n)) for i in range(1, n + 1)}))
    if isinstance(checkpoints, (str, bytes)) or not isinstance(
        checkpoints, (Sequence, range, np.ndarray)
    ):
        raise TypeError(
            "`checkpoints` must be a number of evenly spaced checkpoints or a sequence of steps; "
            f"got {type(checkpoints).__name__}"
        )
    out = sorted({check_int("train_population", "checkpoints", c, minimum=0) for c in checkpoints})
    if not out:
        raise ValueError("`checkpoints` must name at least one step")
    if out[-1] > steps:
        raise ValueError(f"`checkpoints` must be at most the number of steps ({steps}); "
                         f"got {out[-1]}")
    return tuple(out)


def check_sweep_checkpoints(
    checkpoints: object, checkpoint_samples: object, steps: Sequence[int]
) -> tuple[int | list[int] | None, int | None]:
    """``Sweep``'s ``checkpoints`` and ``checkpoint_samples``, checked for every setting.

    ``steps`` lists the settings' step counts; an explicit list of checkpoints
    must fit each of them. Returns the two values as the sweep keeps them.
    """
    for n in steps:
        check_checkpoints(checkpoints, n)
    if checkpoints is not None and not isinstance(checkpoints, numbers.Integral):
        checkpoints = list(check_checkpoints(checkpoints, max(steps)))
    if checkpoint_samples is not None:
        checkpoint_samples = check_int("Sweep", "checkpoint_samples", checkpoint_samples,
                                       minimum=1)
    return checkpoints, checkpoint_samples


def _evaluate(
    net: EnsembleTransformer, task: Task, train: TrainConfig, *, samples: bool,
    n_samples: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Metrics (and per-sample outputs) of every member at the test (and train) lengths."""
    frames, sample_frames = [], []
    splits = [("test", task.test_lengths)]
    if train.eval_train_lengths:
        splits.append(("train", task.train_lengths))
    for split, lengths in splits:
        metrics, per_sample = evaluate_ensemble(
            net,
            task,
            lengths,
            n_samples=train.eval_samples if n_samples is None else n_samples,
            eval_seed=train.eval_seed,
            batch_size=train.eval_batch_size,
            samples=samples,
        )
        metrics.insert(1, "split", split)
        frames.append(metrics.rename(columns={"test_length": "length"}))
        if per_sample is not None:
            per_sample.insert(1, "split", split)
            sample_frames.append(per_sample.rename(columns={"test_length": "length"}))
    metrics = pd.concat(frames, ignore_index=True)
    metrics = metrics.sort_values(["seed", "split", "length"], kind="stable", ignore_index=True)
    return metrics, (pd.concat(sample_frames, ignore_index=True) if samples else None)


def _checkpoint_frame(metrics: pd.DataFrame, step: int, losses: torch.Tensor, since: int,
                      seeds: list[int]) -> pd.DataFrame:
    """Checkpoint rows: ``step`` and ``train_loss`` (mean since the previous checkpoint)."""
    frame = metrics.copy()
    frame.insert(1, "step", step)
    if step > since:
        window = losses[:, since:step].mean(1).cpu().double().numpy()
        frame["train_loss"] = frame["seed"].map(dict(zip(seeds, window, strict=True)))
    else:
        frame["train_loss"] = np.nan
    return frame


def train_ensemble(
    task: Task,
    model: ModelConfig,
    train: TrainConfig,
    seeds: Sequence[int],
    *,
    device: str | torch.device = "cpu",
    progress: bool | object = True,
    samples: bool = False,
    checkpoints: int | Sequence[int] | None = None,
    checkpoint_samples: int | None = None,
) -> EnsembleRun:
    """Train ``seeds`` together as one batched ensemble, then evaluate them.

    The building block of :func:`train_population` (which splits many
    seeds into ensembles). Arguments as there; ``progress`` may also be an
    open ``tqdm`` bar to advance by one per step.

    Returns
    -------
    EnsembleRun

    Examples
    --------
    >>> from distscale.train import CountTask, ModelConfig, TrainConfig
    >>> task = CountTask(train_lengths=(1, 2, 3), test_lengths=(4,), n_numbers=8)
    >>> run = train_ensemble(task, ModelConfig(depth=1, width=16, heads=2),
    ...                      TrainConfig(steps=5, batch_size=4, eval_samples=4),
    ...                      seeds=[0, 1], progress=False, checkpoints=[0, 5])
    >>> run.losses.shape
    (2, 5)
    >>> run.trajectory[["seed", "step", "length"]].values.tolist()
    [[0, 0, 4], [0, 5, 4], [1, 0, 4], [1, 5, 4]]
    """
    started = time.perf_counter()
    trainer = EnsembleTrainer(task, model, train, seeds, device=device)
    seeds, net = trainer.seeds, trainer.model
    marks = check_checkpoints(checkpoints, train.steps)
    if checkpoint_samples is not None:
        checkpoint_samples = check_int("train_ensemble", "checkpoint_samples",
                                       checkpoint_samples, minimum=1)
    bar, own_bar = None, False
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=train.steps, desc=f"seeds {seeds[0]}-{seeds[-1]}", unit="step",
                   leave=False)
        own_bar = True
    elif progress is not False and progress is not None:
        bar = progress
    trajectory, since = [], 0
    pending = list(marks)

    def checkpoint(step: int) -> None:
        nonlocal since
        metrics, _ = _evaluate(net, task, train, samples=False, n_samples=checkpoint_samples)
        trajectory.append(_checkpoint_frame(metrics, step, trainer.losses, since, seeds))
        since = step

    try:
        if pending and pending[0] == 0:
            checkpoint(pending.pop(0))
        for step in range(train.steps):
            trainer.step(step)
            if bar is not None:
                bar.update(1)
            if pending and pending[0] == step + 1 and (
                step + 1 < train.steps or checkpoint_samples not in (None, train.eval_samples)
            ):
                checkpoint(pending.pop(0))
    finally:
        if own_bar:
            bar.close()
    losses = trainer.losses
    metrics, per_sample = _evaluate(net, task, train, samples=samples)
    if pending:  # the final model is a checkpoint: reuse its evaluation
        trajectory.append(_checkpoint_frame(metrics, pending.pop(0), losses, since, seeds))
    net.eval()
    return EnsembleRun(
        model=net,
        seeds=tuple(seeds),
        metrics=metrics,
        samples=per_sample,
        losses=losses.cpu().double().numpy(),
        seconds=time.perf_counter() - started,
        trajectory=(pd.concat(trajectory, ignore_index=True).sort_values(
            ["seed", "step", "split", "length"], kind="stable", ignore_index=True)
            if trajectory else None),
    )
