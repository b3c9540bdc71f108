"""Continue training on a data mix, and score multiple-choice items by option log-likelihood.

* :class:`ContinueConfig`: the continued training of every seed (steps,
  batch, sequence length, AdamW, schedule, blocks re-initialised).
* :func:`continue_training`: trains :class:`~distscale.train.lm.models.Members`
  on a mix of general text and task text, a share ``ratio`` of the
  sequences from the task. Each seed draws its own data
  (``derive_seed(seed, "data")``): every sequence is task text with
  probability ``ratio``, else general text, and is a random window of the
  tokenised documents.
* :func:`score_choices`: the log-likelihood of every option of every item
  after its context, as lm-evaluation-harness scores ``multiple_choice``
  tasks, and per member ``acc``, ``acc_norm`` (log-likelihood per character
  of the option without its leading space, as the harness), ``nll`` (minus
  the log-likelihood of the correct option) and ``p_correct`` (the correct
  option's probability among the options).
* :func:`text_loss`: mean next-token NLL of held-out text (the LM loss).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from distscale.train.config import ConfigMixin, check_float, check_int, derive_seed
from distscale.train.lm.language import ChoiceItem
from distscale.train.lm.models import Members
from distscale.train.trainer import lr_at

__all__ = ["ContinueConfig", "WordTokenizer", "continue_training", "encoder", "score_choices",
           "text_loss"]


@dataclasses.dataclass(frozen=True)
class ContinueConfig(ConfigMixin):
    """Continued training of each seed after re-initialisation.

    Parameters
    ----------
    layers : int, default 1
        Decoder blocks re-initialised, counted from the last (with the LM head).
    steps : int, default 300
    batch_size : int, default 32
        Sequences per step and seed.
    seq_len : int, default 32
        Tokens per training sequence.
    lr : float, default 1e-3
        Peak learning rate (linear warm-up, cosine decay).
    weight_decay : float, default 0.1
    warmup_fraction : float, default 0.05
    min_lr_ratio : float, default 0.1
    grad_clip : float, default 1.0
        Each seed's gradient norm is clipped on its own.
    trainable : {"all", "reinitialized"}, default "all"
        Train every parameter, or only the re-initialised blocks and head.
    """

    layers: int = 1
    steps: int = 300
    batch_size: int = 32
    seq_len: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.1
    warmup_fraction: float = 0.05
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0
    trainable: str = "all"

    def __post_init__(self) -> None:
        owner = "ContinueConfig"
        check_int(owner, "layers", self.layers, minimum=0)
        for name in ("steps", "batch_size", "seq_len"):
            check_int(owner, name, getattr(self, name), minimum=1)
        object.__setattr__(self, "lr", check_float(owner, "lr", self.lr, low=0, low_open=True))
        for name, high in (("weight_decay", None), ("warmup_fraction", 1), ("min_lr_ratio", 1)):
            object.__setattr__(self, name, check_float(owner, name, getattr(self, name),
                                                       low=0, high=high))
        object.__setattr__(self, "grad_clip", check_float(owner, "grad_clip", self.grad_clip,
                                                          low=0, low_open=True))
        if self.trainable not in ("all", "reinitialized"):
            raise ValueError(f"{owner} `trainable` must be 'all' or 'reinitialized'; "
                             f"got {self.trainable!r}")


class WordTokenizer:
    """Word-level tokenizer of a fixed vocabulary (words split on spaces).

    Examples
    --------
    >>> tok = WordTokenizer(["<eos>", "<pad>", "<unk>", "the", "cat"])
    >>> tok.encode("the cat the dog")
    [3, 4, 3, 2]
    """

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.vocabulary = tuple(vocabulary)
        self.ids = {w: i for i, w in enumerate(self.vocabulary)}
        if len(self.ids) != len(self.vocabulary):
            raise ValueError("`vocabulary` has repeated words")
        self.unk = self.ids.get("<unk>", 0)

    def encode(self, text: str) -> list[int]:
        return [self.ids.get(w, self.unk) for w in text.split()]


def encoder(tokenizer: Any) -> Callable[[str], list[int]]:
    """``text -> ids`` for a :class:`WordTokenizer` or a transformers tokenizer."""
    if isinstance(tokenizer, WordTokenizer):
        return tokenizer.encode
    if callable(tokenizer):
        return lambda text: list(tokenizer(text, add_special_tokens=False)["input_ids"])
    raise TypeError("`tokenizer` must be a WordTokenizer or a transformers tokenizer; "
                    f"got {type(tokenizer).__name__}")


def _pool(texts: Sequence[str], encode: Callable[[str], list[int]], eos: int | None,
          name: str, min_len: int) -> np.ndarray:
    if isinstance(texts, str) or not isinstance(texts, Sequence) or not texts:
        raise TypeError(f"`{name}` must be a non-empty list of documents (strings)")
    ids: list[int] = []
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"`{name}` must hold strings; got {type(text).__name__}")
        ids += encode(text)
        if eos is not None:
            ids.append(eos)
    if len(ids) < min_len:
        raise ValueError(f"`{name}` has {len(ids)} tokens; training sequences need at least "
                         f"{min_len} (seq_len + 1)")
    return np.asarray(ids, dtype=np.int64)


def _batch(general: np.ndarray, task: np.ndarray, ratio: float, rng: np.random.Generator,
           batch: int, length: int) -> tuple[np.ndarray, int]:
    """``(batch, length)`` windows, each from ``task`` with probability ``ratio``."""
    from_task = rng.random(batch) < ratio
    out = np.empty((batch, length), dtype=np.int64)
    for i, use_task in enumerate(from_task):
        pool = task if use_task else general
        start = int(rng.integers(len(pool) - length + 1))
        out[i] = pool[start:start + length]
    return out, int(from_task.sum())


def continue_training(
    members: Members, general: Sequence[str], task: Sequence[str], *, ratio: float,
    tokenizer: Any, config: ContinueConfig, eos: int | None = None,
) -> dict[str, Any]:
    """Train every member on the mix; the members' data streams come from their seeds.

    Parameters
    ----------
    members : Members
    general, task : list of str
        Documents of general text and of task text (tokenised once; each
        document is followed by ``eos`` when given).
    ratio : float
        Share of the training sequences drawn from ``task`` (0 to 1).
    tokenizer : WordTokenizer or transformers tokenizer
    config : ContinueConfig

    Returns
    -------
    dict
        ``losses`` (``(E, steps)`` training loss of each member and step),
        ``task_share`` (the share of task sequences each member saw).
    """
    ratio = check_float("continue_training", "ratio", ratio, low=0, high=1)
    if not isinstance(config, ContinueConfig):
        raise TypeError(f"`config` must be a ContinueConfig; got {type(config).__name__}")
    encode = encoder(tokenizer)
    need = config.seq_len + 1
    general_ids = _pool(general, encode, eos, "general", need)
    task_ids = _pool(task, encode, eos, "task", need) if ratio > 0 else general_ids
    rngs = [np.random.default_rng(derive_seed(s, "data")) for s in members.seeds]
    trainable = _trainable(members, config)
    groups = [{**g, "params": [p for p in g["params"] if id(p) in trainable]}
              for g in members.optimizer_groups(config.weight_decay)]
    groups = [g for g in groups if g["params"]]
    optimizer = torch.optim.AdamW(groups, lr=config.lr, betas=(0.9, 0.95), eps=1e-8)
    warmup = round(config.warmup_fraction * config.steps)
    device = members.device
    # dropout draws its masks from torch's global generator: seed a private copy of it from
    # the members' seeds, so a run is fixed by its seeds (and the caller's state is left alone)
    seeds = [int(s) for s in members.seeds]
    with torch.random.fork_rng(devices=[device] if torch.device(device).type == "cuda" else []):
        torch.manual_seed(derive_seed(seeds[0], "dropout", *seeds[1:]))
        members.train(True)
        try:
            losses, task_rows = _train_steps(members, optimizer, general_ids, task_ids, rngs,
                                             ratio, config, need, warmup, device)
        finally:
            members.train(False)
    return {"losses": losses, "task_share": task_rows / (config.steps * config.batch_size)}


def _train_steps(members, optimizer, general_ids, task_ids, rngs, ratio, config, need, warmup,
                 device) -> tuple[np.ndarray, np.ndarray]:
    """The training loop of :func:`continue_training`: losses ``(E, steps)`` and task rows."""
    losses = np.zeros((members.n_members, config.steps))
    task_rows = np.zeros(members.n_members)
    for step in range(config.steps):
        rows = []
        for k, rng in enumerate(rngs):
            window, n_task = _batch(general_ids, task_ids, ratio, rng, config.batch_size, need)
            rows.append(window)
            task_rows[k] += n_task
        tokens = torch.from_numpy(np.stack(rows)).to(device)
        logits = members.logits(tokens[:, :, :-1])
        target = tokens[:, :, 1:]
        per = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), target.reshape(-1),
                              reduction="none").view(members.n_members, -1).mean(1)
        optimizer.zero_grad(set_to_none=True)
        per.sum().backward()
        members.clip_gradients(config.grad_clip)
        rate = lr_at(step, lr=config.lr, steps=config.steps, warmup_steps=warmup,
                     min_lr_ratio=config.min_lr_ratio)
        for g in optimizer.param_groups:
            g["lr"] = rate
        optimizer.step()
        losses[:, step] = per.detach().cpu().numpy()
    return losses, task_rows


def _trainable(members: Members, config: ContinueConfig) -> set[int]:
    every = {id(p) for m in members.modules() for p in m.parameters()}
    if config.trainable == "all":
        return every
    from distscale.train.lm.models import decoder_blocks

    keep: set[int] = set()
    for m in members.modules():
        blocks = decoder_blocks(m)
        for block in list(blocks)[len(blocks) - config.layers:]:
            keep |= {id(p) for p in block.parameters()}
        head = m.head if members.kind == "ensemble" else m.get_output_embeddings()
        keep |= {id(p) for p in head.parameters()}
    for m in members.modules():
        for p in m.parameters():
            p.requires_grad_(id(p) in keep)
    return keep


def _encode_choices(items: Sequence[ChoiceItem], encode: Callable[[str], list[int]]
                    ) -> list[tuple[list[int], list[int]]]:
    """(context ids, continuation ids) of every option, as lm-evaluation-harness splits them.

    The whole text is encoded and the continuation is what follows the
    encoded context; a trailing space of the context moves to the option.
    """
    pairs = []
    for i, item in enumerate(items):
        if not isinstance(item, ChoiceItem):
            raise TypeError(f"`items` must hold ChoiceItem; item {i} is {type(item).__name__}")
        context = item.context
        for option in item.options:
            ctx, cont = context, option
            n_space = len(ctx) - len(ctx.rstrip(" "))
            if n_space:
                ctx, cont = ctx[:-n_space], ctx[-n_space:] + cont
            whole, context_ids = encode(ctx + cont), encode(ctx)
            continuation = whole[len(context_ids):]
            if not context_ids or not continuation:
                raise ValueError(f"item {i}: the context and every option must give tokens "
                                 f"(context {item.context!r}, option {option!r})")
            pairs.append((context_ids, continuation))
    return pairs


@torch.no_grad()
def score_choices(members: Members, items: Sequence[ChoiceItem], *, tokenizer: Any,
                  batch_size: int = 64, pad: int = 0) -> dict[str, np.ndarray]:
    """Option log-likelihoods of every item for every member, and the per-item scores.

    Returns
    -------
    dict of numpy arrays
        ``logliks`` (list per member of ``(n_items, n_options)`` arrays, as
        object array when option counts differ; here items share a count),
        and per member and item ``acc``, ``acc_norm``, ``nll``, ``p_correct``
        (each ``(E, n_items)``).
    """
    if not items:
        raise ValueError("`items` is empty")
    encode = encoder(tokenizer)
    pairs = _encode_choices(items, encode)
    scores = np.empty((members.n_members, len(pairs)))
    device = members.device
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start:start + batch_size]
        seqs = [c + o for c, o in chunk]
        width = max(len(s) for s in seqs) - 1
        tokens = torch.full((len(chunk), width + 1), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width + 1), dtype=torch.long)
        for i, s in enumerate(seqs):
            tokens[i, :len(s)] = torch.tensor(s)
            mask[i, :len(s)] = 1
        logp = members.logits(tokens[:, :-1].to(device), mask[:, :-1].to(device)).float()
        logp = logp.log_softmax(-1)
        target = tokens[:, 1:].to(device)
        picked = logp.gather(-1, target.expand(members.n_members, -1, -1).unsqueeze(-1))[..., 0]
        for i, (c, o) in enumerate(chunk):
            lo = len(c) - 1
            scores[:, start + i] = picked[:, i, lo:lo + len(o)].sum(-1).cpu().numpy()
    out: dict[str, list] = {"acc": [], "acc_norm": [], "nll": [], "p_correct": []}
    logliks, at = [], 0
    for item in items:
        n = len(item.options)
        ll = scores[:, at:at + n]
        at += n
        # as the harness: characters of the choice, without the leading delimiter space
        lengths = np.array([max(1, len(o[1:] if o.startswith(" ") else o))
                            for o in item.options], dtype=float)
        logliks.append(ll)
        gold = item.gold
        out["acc"].append((ll.argmax(1) == gold).astype(float))
        out["acc_norm"].append(((ll / lengths).argmax(1) == gold).astype(float))
        out["nll"].append(-ll[:, gold])
        shifted = ll - ll.max(1, keepdims=True)
        out["p_correct"].append(np.exp(shifted[:, gold]) / np.exp(shifted).sum(1))
    result = {k: np.stack(v, axis=1) for k, v in out.items()}
    result["logliks"] = logliks  # type: ignore[assignment]
    return result


@torch.no_grad()
def text_loss(members: Members, texts: Sequence[str], *, tokenizer: Any, seq_len: int,
              eos: int | None = None, max_windows: int = 64) -> np.ndarray:
    """Mean next-token NLL (nats) of each member on held-out text: the LM loss.

    The tokenised texts are cut into consecutive windows of ``seq_len + 1``
    tokens (at most ``max_windows``); every member sees the same windows.
    """
    ids = _pool(texts, encoder(tokenizer), eos, "texts", seq_len + 1)
    n = min(max_windows, len(ids) // (seq_len + 1))
    windows = torch.from_numpy(ids[: n * (seq_len + 1)].reshape(n, seq_len + 1))
    windows = windows.to(members.device)
    total = torch.zeros(members.n_members, device=members.device)
    for start in range(0, n, 32):
        chunk = windows[start:start + 32]
        logits = members.logits(chunk[:, :-1]).float()
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                              chunk[:, 1:].expand(members.n_members, -1, -1).reshape(-1),
                              reduction="none").view(members.n_members, -1)
        total += nll.sum(1)
    return (total / (n * seq_len)).cpu().numpy()


def item_frame(items: Sequence[ChoiceItem], scores: dict[str, Any], seeds: Sequence[int]
               ) -> pd.DataFrame:
    """Per-sample rows (seed x item) of :func:`score_choices`: options' log-likelihoods too."""
    rows = []
    for k, seed in enumerate(seeds):
        for i, item in enumerate(items):
            rows.append({"seed": seed, "sample_id": i, "correct": item.gold,
                         "option_logliks": [float(v) for v in scores["logliks"][i][k]],
                         **{m: float(scores[m][k, i]) for m in ("acc", "acc_norm", "nll",
                                                                "p_correct")}})
    return pd.DataFrame(rows)
