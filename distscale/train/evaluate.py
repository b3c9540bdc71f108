"""Scoring an ensemble at every evaluation length.

Per member and length, on the same ``n_samples`` sequences for every member:

``exact_match``
    Greedy autoregressive decoding from the prompt: the fraction of
    sequences whose decoded target (every token up to and including
    ``<eos>``) equals the reference exactly.
``token_accuracy``
    Greedy decoding, position-wise: the decoded sequence is cut after its
    first ``<eos>``; each reference target position counts as correct when
    the decoded token there exists and equals the reference. Averaged over
    positions, then sequences.
``edit_distance``
    Token-level Levenshtein distance between the cut decoded sequence and
    the reference target, divided by the target length (so in [0, 1]; 0 is a
    perfect answer). Averaged over sequences.
``nll``
    Mean negative log-likelihood (nats per target token) of the reference
    target under teacher forcing.
``exact_match_teacher_forced``, ``token_accuracy_teacher_forced``
    The same as above, but with the argmax prediction at every target
    position given the *reference* prefix (teacher forcing). These are
    upper bounds that ignore compounding errors; they are labelled as such
    and never mixed with the greedy ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from distscale.io.run_table import EVAL_METRICS
from distscale.metrics.inputs import padded_levenshtein
from distscale.train.config import check_int, derive_seed
from distscale.train.model import EnsembleTransformer, KVCache
from distscale.train.tasks import Task, TaskBatch, pad_batches

__all__ = ["EVAL_METRICS", "evaluate_ensemble", "normalized_edit_distance"]


def eval_batch(task: Task, length: int, n_samples: int, eval_seed: int) -> TaskBatch:
    """The evaluation sequences at one length (independent of the other lengths evaluated)."""
    gen = torch.Generator().manual_seed(derive_seed(eval_seed, "eval", length))
    return task.sample(n_samples, length, gen)


def _cut_after_eos(pred: np.ndarray, eos: int) -> np.ndarray:
    """Lengths of predictions cut after their first ``eos`` (inclusive)."""
    is_eos = pred == eos
    has = is_eos.any(axis=1)
    return np.where(has, is_eos.argmax(axis=1) + 1, pred.shape[1])


def normalized_edit_distance(
    pred: np.ndarray, pred_len: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """Levenshtein distance of ``pred[i, :pred_len[i]]`` to ``target[i]``, over target length.

    The token-level distance comes from the engine of
    :func:`distscale.metrics.edit_distance` (one implementation for the
    trainer and the per-sample metrics).

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([[1, 2, 3], [1, 3, 0], [9, 9, 9]])
    >>> target = np.array([[1, 2, 3], [1, 2, 3], [1, 2, 3]])
    >>> normalized_edit_distance(pred, np.array([3, 2, 3]), target).tolist()
    [0.0, 0.3333333333333333, 1.0]
    """
    return padded_levenshtein(pred, pred_len, target) / target.shape[1]


@torch.no_grad()
def _greedy(model: EnsembleTransformer, prompt: torch.Tensor, steps: int) -> torch.Tensor:
    """Greedy decoding of ``steps`` tokens after ``prompt`` ``(E, n, P)``, preallocated cache."""
    cache = KVCache(model.config.depth, capacity=prompt.shape[-1] + steps)
    logits = model(prompt, cache=cache)[:, :, -1]
    out = torch.empty(*prompt.shape[:2], steps, dtype=torch.int64, device=prompt.device)
    for step in range(steps):
        nxt = logits.argmax(-1)
        out[:, :, step] = nxt
        if step + 1 < steps:
            logits = model(nxt.unsqueeze(-1), cache=cache)[:, :, -1]
    return out


@torch.no_grad()
def _score_rows(
    model: EnsembleTransformer, tokens: torch.Tensor, start: int, sizes: torch.Tensor
) -> dict[str, np.ndarray]:
    """Teacher-forced scores and greedy predictions of rows sharing one prompt length.

    ``tokens`` ``(n, W)`` holds prompts of ``start`` tokens followed by targets
    of ``sizes[i]`` tokens (right-padded). One teacher-forced pass scores every
    member on every row. Greedy decoding reproduces the reference exactly as
    long as every teacher-forced argmax is right (then each greedy step sees
    the reference prefix), so only rows with a teacher-forced error are decoded
    -- each member its own rows, as many as the member with the most needs.
    """
    device = model.device
    n_members = model.ensemble_size
    width = int(sizes.max())
    tokens = tokens[:, : start + width].to(device)
    inputs = tokens[:, : start + width - 1].unsqueeze(0).expand(n_members, -1, -1)
    target = tokens[:, start : start + width]  # (n, S)
    valid = torch.arange(width, device=device) < sizes.to(device)[:, None]  # (n, S)
    logits = model(inputs)[:, :, start - 1 :]  # (E, n, S, V)
    logp = torch.log_softmax(logits.float(), dim=-1)
    target_logp = logp.gather(-1, target.expand(n_members, -1, -1).unsqueeze(-1)).squeeze(-1)
    del logp
    tf_pred = logits.argmax(-1)
    del logits
    tf_correct = tf_pred == target
    pred = target.expand(n_members, -1, -1).clone()  # right wherever teacher forcing is
    failing = ~(tf_correct | ~valid).all(-1)  # (E, n)
    counts = failing.sum(1)
    most = int(counts.max())
    if most:
        # member k decodes its own failing rows, padded with its first row to `most`
        order = torch.argsort((~failing).to(torch.int8), dim=1, stable=True)[:, :most]  # (E, most)
        prompts = tokens[:, :start][order]  # (E, most, start)
        steps = int(sizes.to(device)[order][failing.gather(1, order)].max())
        decoded = _greedy(model, prompts, steps)  # (E, most, steps)
        real = torch.arange(most, device=device)[None, :] < counts[:, None]  # (E, most)
        member = torch.arange(n_members, device=device)[:, None].expand(-1, most)
        pred[member[real], order[real], :steps] = decoded[real]
    return {
        "pred": pred.cpu().numpy(),
        "target_logp": target_logp.cpu().double().numpy(),
        "tf_correct": tf_correct.cpu().numpy(),
        "decoded": counts.cpu().numpy(),
    }


def _length_groups(
    task: Task, lengths: list[int], n_samples: int, eval_seed: int
) -> list[tuple[int, list[tuple[int, TaskBatch, int]]]]:
    """Evaluation batches grouped by prompt length: ``[(start, [(length, batch, size)])]``."""
    groups: dict[int, list[tuple[int, TaskBatch, int]]] = {}
    for length in lengths:
        batch = eval_batch(task, length, n_samples, eval_seed)
        start, size = batch.prompt_and_target()
        groups.setdefault(start, []).append((length, batch, size))
    return list(groups.items())


#: Sequences x members scored at once by default: on a CPU, chunks of ~2k member-rows
#: ran fastest (64-128 rows of a 16-seed ensemble: 6.0 s against 7.6 s for 512 rows, 10
#: count lengths x 128 sequences, depth 2, width 32); a GPU takes far more at once.
_EVAL_ROWS = {"cpu": 2048, "cuda": 1 << 16}


def _rows(parts: list[dict], key: str, lo: int, hi: int, chunk: int) -> np.ndarray:
    """Rows ``lo:hi`` (along axis 1) of the chunked results ``parts[*][key]``."""
    first, last = lo // chunk, (hi - 1) // chunk
    pieces = []
    for c in range(first, last + 1):
        a, b = max(lo, c * chunk) - c * chunk, min(hi, (c + 1) * chunk) - c * chunk
        pieces.append(parts[c][key][:, a:b])
    width = max(p.shape[2] for p in pieces)
    pieces = [np.pad(p, ((0, 0), (0, 0), (0, width - p.shape[2]))) for p in pieces]
    return np.concatenate(pieces, axis=1)


def _length_rows(task: Task, seeds: np.ndarray, length: int, pred: np.ndarray,
                 target: np.ndarray, target_logp: np.ndarray, tf_correct: np.ndarray) -> list:
    """The metric rows of every member at one length (see the module docstring)."""
    n_members, n, size = pred.shape
    flat = pred.reshape(-1, size)
    cut = _cut_after_eos(flat, task.eos_token)
    positions = np.arange(size)
    flat_target = np.broadcast_to(target, (n_members, n, size)).reshape(-1, size)
    correct = (flat == flat_target) & (positions < cut[:, None])
    token_acc = correct.mean(axis=1).reshape(n_members, n)
    exact = correct.all(axis=1).reshape(n_members, n)
    edit = normalized_edit_distance(flat, cut, flat_target).reshape(n_members, n)
    nll = -target_logp.mean(axis=2)
    return [
        {
            "seed": int(seeds[k]),
            "test_length": length,
            "exact_match": float(exact[k].mean()),
            "token_accuracy": float(token_acc[k].mean()),
            "edit_distance": float(edit[k].mean()),
            "nll": float(nll[k].mean()),
            "exact_match_teacher_forced": float(tf_correct[k].all(axis=1).mean()),
            "token_accuracy_teacher_forced": float(tf_correct[k].mean()),
        }
        for k in range(n_members)
    ]


def _sample_frame(task: Task, seeds: np.ndarray, length: int, pred: np.ndarray,
                  target: np.ndarray, target_logp: np.ndarray) -> pd.DataFrame:
    n_members, n, size = pred.shape
    cut = _cut_after_eos(pred.reshape(-1, size), task.eos_token).reshape(n_members, n)
    return pd.DataFrame(
        {
            "seed": np.repeat(seeds, n),
            "test_length": length,
            "sample_id": np.tile(np.arange(n), n_members),
            "prediction": [pred[k, i, : cut[k, i]].tolist()
                           for k in range(n_members) for i in range(n)],
            "target": target.tolist() * n_members,
            "target_logprobs": target_logp.reshape(-1, size).tolist(),
        }
    )


def evaluate_ensemble(
    model: EnsembleTransformer,
    task: Task,
    lengths: Sequence[int],
    *,
    n_samples: int = 128,
    eval_seed: int = 0,
    batch_size: int | None = None,
    samples: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Score every member of ``model`` at every length in ``lengths``.

    Parameters
    ----------
    model : EnsembleTransformer
    task : Task
    lengths : sequence of int
        Problem sizes to evaluate (usually ``task.test_lengths``).
    n_samples : int, default 128
        Sequences per length, the same for every member.
    eval_seed : int, default 0
        Seed of the evaluation sequences (drawn per length from
        ``derive_seed(eval_seed, "eval", length)``).
    batch_size : int, optional
        Score at most this many sequences at once (bounds memory).
    samples : bool, default False
        Also return per-sample outputs.

    Returns
    -------
    metrics : pandas.DataFrame
        One row per member and length: ``seed``, ``test_length`` and the
        :data:`EVAL_METRICS` columns (see the module docstring).
    samples : pandas.DataFrame or None
        With ``samples=True``, one row per member, length and sequence:
        ``seed``, ``test_length``, ``sample_id``, ``prediction`` (greedy tokens,
        cut after the first ``<eos>``), ``target`` (reference target tokens),
        ``target_logprobs`` (teacher-forced log-probability of each reference
        target token); token columns hold lists.

    Examples
    --------
    >>> from distscale.train import CountTask, EnsembleTransformer, ModelConfig
    >>> task = CountTask(train_lengths=(1, 2), test_lengths=(3, 4), n_numbers=8)
    >>> model = EnsembleTransformer(ModelConfig(depth=1, width=16, heads=2),
    ...                             vocab_size=task.vocab_size, seeds=[0, 1])
    >>> metrics, _ = evaluate_ensemble(model, task, task.test_lengths, n_samples=4)
    >>> metrics[["seed", "test_length"]].values.tolist()
    [[0, 3], [0, 4], [1, 3], [1, 4]]
    >>> bool(metrics["exact_match"].between(0, 1).all())
    True
    """
    if not isinstance(model, EnsembleTransformer):
        raise TypeError(f"`model` must be an EnsembleTransformer; got {type(model).__name__}")
    if not isinstance(task, Task):
        raise TypeError(f"`task` must be a Task; got {type(task).__name__}")
    lengths = [check_int("evaluate_ensemble", "lengths", n, minimum=1) for n in lengths]
    if not lengths:
        raise ValueError("`lengths` must name at least one evaluation length")
    n_samples = check_int("evaluate_ensemble", "n_samples", n_samples, minimum=1)
    chunk = n_samples if batch_size is None else check_int(
        "evaluate_ensemble", "batch_size", batch_size, minimum=1
    )
    was_training = model.training
    model.eval()
    rows, sample_frames = [], []
    seeds = np.asarray(model.seeds)
    n_members = model.ensemble_size
    if batch_size is None:  # lengths of one prompt length together, ~2k member-rows (CPU)
        chunk = max(1, _EVAL_ROWS.get(model.device.type, 1 << 16) // n_members)
    try:
        for start, members in _length_groups(task, lengths, n_samples, eval_seed):
            width = max(b.tokens.shape[1] for _, b, _ in members)
            tokens = torch.cat([pad_batches([b], task.pad_token, width).tokens
                                for _, b, _ in members])
            sizes = torch.tensor([size for _, _, size in members]).repeat_interleave(n_samples)
            parts = [_score_rows(model, tokens[i : i + chunk], start, sizes[i : i + chunk])
                     for i in range(0, len(tokens), chunk)]
            for j, (length, batch, size) in enumerate(members):
                lo, hi = j * n_samples, (j + 1) * n_samples
                pred = _rows(parts, "pred", lo, hi, chunk)[:, :, :size]  # (E, n, size)
                target_logp = _rows(parts, "target_logp", lo, hi, chunk)[:, :, :size]
                tf_correct = _rows(parts, "tf_correct", lo, hi, chunk)[:, :, :size]
                target = batch.tokens[:, start : start + size].numpy()  # (n, size)
                rows.extend(_length_rows(task, seeds, length, pred, target, target_logp,
                                         tf_correct))
                if samples:
                    sample_frames.append(_sample_frame(task, seeds, length, pred, target,
                                                       target_logp))
    finally:
        model.train(was_training)
    metrics = pd.DataFrame(rows).sort_values(["seed", "test_length"], kind="stable")
    metrics = metrics.reset_index(drop=True)
    sample_frame = None
    if samples:
        sample_frame = pd.concat(sample_frames, ignore_index=True)
        sample_frame = sample_frame.sort_values(
            ["seed", "test_length", "sample_id"], kind="stable"
        ).reset_index(drop=True)
    return metrics, sample_frame
