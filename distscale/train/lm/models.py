"""Causal LMs as seed populations: load, copy per seed, re-initialise the last blocks.

Two kinds of model make populations:

* a transformers causal LM (a ``PreTrainedModel`` object, or the path of a
  local folder written by ``save_pretrained``; nothing is downloaded): each
  seed is a copy of the pretrained model whose last ``layers`` decoder
  blocks and LM head are re-initialised by the model's own ``_init_weights``
  under a torch generator state seeded from ``derive_seed(seed, "init")``
  (the global torch RNG is restored afterwards). A head tied to the input
  embeddings (GPT-2, small Qwen2.5) is untied first, so that re-initialising
  the head leaves the embeddings as pretrained;
* our own :class:`~distscale.train.EnsembleTransformer` with one member (the
  pretrained model): the seeds become the members of one batched ensemble,
  so many seeds train at once on a CPU (no transformers needed for the
  model itself).

:class:`Members` is what the trainer of :mod:`distscale.train.lm.mix` sees:
``E`` independent members, logits of shape ``(E, B, T, V)``, each member's
gradient clipped on its own.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from distscale.train.config import check_int, derive_seed
from distscale.train.model import EnsembleTransformer

__all__ = ["Members", "decoder_blocks", "load_causal_lm", "make_members", "reinitialize"]


def load_causal_lm(model: Any, *, device: str | torch.device = "cpu") -> Any:
    """A transformers causal LM from an object or a local folder (never downloaded).

    Parameters
    ----------
    model : PreTrainedModel, EnsembleTransformer, str or os.PathLike
        A model object (returned as is, moved to ``device``), or the path of
        a folder written by ``save_pretrained`` (read with
        ``AutoModelForCausalLM.from_pretrained(path, local_files_only=True)``).
    device : str or torch.device, default "cpu"

    Raises
    ------
    FileNotFoundError
        If a path is not an existing folder (a hub name such as
        ``"Qwen/Qwen2.5-0.5B"`` must be downloaded by the user first, e.g.
        with ``huggingface-cli download``).
    TypeError
        If ``model`` is neither a model nor a path.
    """
    if isinstance(model, (str, os.PathLike)):
        path = Path(model)
        if not path.is_dir():
            raise FileNotFoundError(
                f"`model` {os.fspath(model)!r} is not a local folder; distscale never downloads "
                "models: download it first (huggingface-cli download NAME --local-dir DIR) and "
                "pass the folder"
            )
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(path, local_files_only=True).to(device)
    if isinstance(model, EnsembleTransformer) or _is_hf_model(model):
        return model.to(device)
    raise TypeError(
        "`model` must be a transformers causal LM, an EnsembleTransformer with one member, "
        f"or the path of a local model folder; got {type(model).__name__}"
    )


def _is_hf_model(model: object) -> bool:
    return isinstance(model, torch.nn.Module) and hasattr(model, "get_output_embeddings") \
        and hasattr(model, "config")


def decoder_blocks(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The decoder blocks of a causal LM, first to last.

    Found as the longest ``torch.nn.ModuleList`` of the model (GPT-2's
    ``transformer.h``, GPT-NeoX's ``gpt_neox.layers``, Qwen2's and Llama's
    ``model.layers``; ``blocks`` of an :class:`EnsembleTransformer`).

    Raises
    ------
    ValueError
        If the model has no ``ModuleList``, or two of the same greatest length.
    """
    if isinstance(model, EnsembleTransformer):
        return model.blocks
    lists = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.ModuleList)]
    if not lists:
        raise ValueError(f"cannot find the decoder blocks of {type(model).__name__}: "
                         "it has no torch.nn.ModuleList")
    longest = max(len(m) for _, m in lists)
    found = [(n, m) for n, m in lists if len(m) == longest]
    if len(found) > 1:
        raise ValueError(f"cannot tell the decoder blocks of {type(model).__name__}: the module "
                         f"lists {[n for n, _ in found]} are all {longest} long")
    return found[0][1]


def _untie_head(model: Any) -> None:
    head, embed = model.get_output_embeddings(), model.get_input_embeddings()
    if head is not None and embed is not None and head.weight is embed.weight:
        head.weight = torch.nn.Parameter(head.weight.detach().clone())
        model.config.tie_word_embeddings = False
        text = getattr(model.config, "get_text_config", None)
        if callable(text):  # composite configs keep the flag on the text part (transformers 5)
            text().tie_word_embeddings = False


def _check_layers(model: Any, layers: int) -> int:
    layers = check_int("reinitialize", "layers", layers, minimum=0)
    n = len(decoder_blocks(model))
    if layers > n:
        raise ValueError(f"`layers` ({layers}) exceeds the model's {n} decoder blocks")
    return layers


def reinitialize(model: Any, *, layers: int, seed: int) -> Any:
    """Re-initialise the last ``layers`` decoder blocks and the LM head of a transformers LM.

    In place (pass a copy to keep the pretrained model). Weights are drawn
    by the model's own ``_init_weights`` from a generator state seeded with
    ``derive_seed(seed, "init")``; the global torch RNG state is the same
    after the call as before. A head tied to the input embeddings is untied
    first (the embeddings keep their pretrained values).

    Parameters
    ----------
    model : transformers PreTrainedModel
    layers : int
        Blocks to re-initialise, counted from the last (0: the head only).
    seed : int

    Returns
    -------
    The model.
    """
    if not _is_hf_model(model):
        raise TypeError(f"`model` must be a transformers causal LM; got {type(model).__name__}")
    layers = _check_layers(model, layers)
    seed = check_int("reinitialize", "seed", seed, minimum=0)
    _untie_head(model)
    device = next(model.parameters()).device
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(derive_seed(seed, "init"))
        blocks = decoder_blocks(model)
        for block in list(blocks)[len(blocks) - layers:]:
            block.apply(model._init_weights)
        model._init_weights(model.get_output_embeddings())
    return model


def _reset_member(module: torch.nn.Module, k: int, generator: torch.Generator) -> None:
    reset = getattr(module, "reset_member", None)
    if reset is not None:
        reset(k, generator)


class Members:
    """``E`` independent copies of one pretrained LM, one per seed, trained together.

    Build it with :func:`make_members`. ``logits(tokens)`` takes ``(B, T)``
    token ids shared by every member, or ``(E, B, T)``, and returns
    ``(E, B, T, V)``.
    """

    def __init__(self, kind: str, models: Any, seeds: Sequence[int]) -> None:
        self.kind, self.seeds = kind, tuple(seeds)
        self.models = models  # an EnsembleTransformer, or a list of transformers models

    @property
    def n_members(self) -> int:
        return len(self.seeds)

    @property
    def device(self) -> torch.device:
        first = self.models if self.kind == "ensemble" else self.models[0]
        return next(first.parameters()).device

    @property
    def n_params(self) -> int:
        """Parameters of one member."""
        if self.kind == "ensemble":
            return self.models.n_params
        return sum(p.numel() for p in self.models[0].parameters())

    @property
    def vocab_size(self) -> int:
        if self.kind == "ensemble":
            return self.models.vocab_size
        return self.models[0].get_output_embeddings().weight.shape[0]

    def modules(self) -> list[torch.nn.Module]:
        return [self.models] if self.kind == "ensemble" else list(self.models)

    def train(self, mode: bool = True) -> None:
        for m in self.modules():
            m.train(mode)

    def optimizer_groups(self, weight_decay: float) -> list[dict]:
        """Weight decay on matrices and embeddings, none on biases and norms."""
        if self.kind == "ensemble":
            return self.models.optimizer_groups(weight_decay)
        decay = [p for m in self.models for p in m.parameters() if p.ndim >= 2]
        rest = [p for m in self.models for p in m.parameters() if p.ndim < 2]
        return [{"params": decay, "weight_decay": weight_decay},
                {"params": rest, "weight_decay": 0.0}]

    def logits(self, tokens: torch.Tensor, attention_mask: torch.Tensor | None = None
               ) -> torch.Tensor:
        if tokens.ndim == 2:
            tokens = tokens.unsqueeze(0).expand(self.n_members, -1, -1)
        if self.kind == "ensemble":
            return self.models(tokens)
        out = [m(input_ids=tokens[k], attention_mask=attention_mask, use_cache=False).logits
               for k, m in enumerate(self.models)]
        return torch.stack(out)

    def clip_gradients(self, max_norm: float) -> torch.Tensor:
        """Clip each member's gradient norm to ``max_norm``; return the norms before."""
        if self.kind == "ensemble":
            grads = [p.grad for p in self.models.parameters() if p.grad is not None]
            sq = torch.stack([g.pow(2).reshape(g.shape[0], -1).sum(1) for g in grads]).sum(0)
            norms = sq.sqrt()
            scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
            for g in grads:
                g.mul_(scale.view(-1, *([1] * (g.ndim - 1))))
            return norms
        return torch.stack([torch.nn.utils.clip_grad_norm_(m.parameters(), max_norm)
                            for m in self.models])


def make_members(pretrained: Any, seeds: Sequence[int], *, layers: int,
                 device: str | torch.device = "cpu") -> Members:
    """One copy of ``pretrained`` per seed, its last ``layers`` blocks and head re-initialised.

    Parameters
    ----------
    pretrained : transformers causal LM, EnsembleTransformer (one member) or local path
    seeds : sequence of int
    layers : int
        Blocks re-initialised, counted from the last (0: the LM head only).
    device : str or torch.device, default "cpu"

    Examples
    --------
    >>> from distscale.train import ModelConfig
    >>> base = EnsembleTransformer(ModelConfig(depth=2, width=16, heads=2), vocab_size=9,
    ...                            seeds=[0])
    >>> members = make_members(base, [3, 4], layers=1)
    >>> members.n_members, members.kind
    (2, 'ensemble')
    >>> bool(torch.equal(members.models.blocks[0].attn.qkv.weight[1],
    ...                  base.blocks[0].attn.qkv.weight[0]))   # kept as pretrained
    True
    >>> bool(torch.equal(members.models.head.weight[0], members.models.head.weight[1]))
    False
    """
    seeds = [check_int("make_members", "seeds", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("`seeds` must contain at least one seed")
    model = load_causal_lm(pretrained, device="cpu")
    if isinstance(model, EnsembleTransformer):
        if model.ensemble_size != 1:
            raise ValueError("an EnsembleTransformer used as the pretrained model must have one "
                             f"member; it has {model.ensemble_size}")
        _check_layers(model, layers)
        layers = check_int("make_members", "layers", layers, minimum=0)
        ens = EnsembleTransformer(model.config, vocab_size=model.vocab_size, seeds=seeds,
                                  max_positions=model.max_positions)
        with torch.no_grad():
            source = dict(model.named_parameters())
            for name, p in ens.named_parameters():
                p.copy_(source[name].expand_as(p))
        for k, seed in enumerate(seeds):
            generator = torch.Generator().manual_seed(derive_seed(seed, "init"))
            for block in list(ens.blocks)[len(ens.blocks) - layers:]:
                block.apply(lambda m, k=k, g=generator: _reset_member(m, k, g))
            ens.head.reset_member(k, generator)
        return Members("ensemble", ens.to(device), seeds)
    copies = []
    for seed in seeds:
        member = copy.deepcopy(model)
        reinitialize(member, layers=layers, seed=seed)
        copies.append(member.to(device))
    return Members("hf", copies, seeds)
