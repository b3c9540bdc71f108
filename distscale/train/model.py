"""A decoder-only transformer whose seeds train together as one batched ensemble.

Every parameter has a leading *ensemble* dimension ``E``: member ``k`` is an
independent model (its own initialisation seed, its own data), and all
members run through the same batched matrix products (``torch.bmm``), so
``E`` tiny models use a CPU far better than one at a time. Members never mix:
member ``k`` of an ensemble computes exactly what the same seed computes
alone (tested to 1e-5 over several training steps).

Architecture: token embedding (+ learned position embedding, or rotary
embedding in attention, or nothing: ``"nope"``), ``depth`` pre-LayerNorm
blocks (causal multi-head self-attention, GELU MLP), a final LayerNorm and an
untied output projection. Weights are drawn from ``torch.Generator`` objects
seeded per member; the global torch RNG is never used.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from distscale.train.config import ModelConfig, check_int, derive_seed

__all__ = ["EnsembleTransformer", "KVCache"]


class KVCache:
    """Per-layer attention keys and values for incremental (greedy) decoding."""

    def __init__(self, depth: int) -> None:
        self.keys: list[torch.Tensor | None] = [None] * depth
        self.values: list[torch.Tensor | None] = [None] * depth
        self.length = 0


class _Block(torch.nn.Module):
    def __init__(self, params: dict[str, torch.Tensor]) -> None:
        super().__init__()
        for name, value in params.items():
            self.register_parameter(name, torch.nn.Parameter(value))


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """Per-member ``x @ W + b`` for x (E, N, in), W (E, in, out), b (E, out)."""
    if bias is None:
        return torch.bmm(x, weight)
    return torch.baddbmm(bias.unsqueeze(1), x, weight)


def _layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    y = F.layer_norm(x, x.shape[-1:])
    return torch.addcmul(bias.unsqueeze(1), y, weight.unsqueeze(1))


def _attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    """Softmax attention written out with matmuls.

    On CPU this beats ``F.scaled_dot_product_attention`` at these sizes
    (head widths 8-32, tens of tokens): measured 1.0-1.5x faster per
    training step, forward and backward (benchmarks/bench_trainer.py).
    """
    scores = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    if causal:
        t = q.shape[-2]
        future = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary embedding on the last dimension (halves rotated, GPT-NeoX layout)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class EnsembleTransformer(torch.nn.Module):
    """``E`` independent decoder-only transformers evaluated as one batched model.

    Parameters
    ----------
    config : ModelConfig
        Architecture shared by all members.
    vocab_size : int
        Number of token ids.
    seeds : sequence of int
        One initialisation seed per member; member ``k`` is initialised from
        ``derive_seed(seeds[k], "init")`` exactly as if it were alone.
    max_positions : int, optional
        Longest input sequence; required with ``positional="learned"`` unless
        ``config.max_positions`` is set (otherwise only checked if given).
    device : str or torch.device, default "cpu"
        Where the parameters live. Weights are always drawn on the CPU and
        then moved, so a seed gives the same initial weights on any device.

    Examples
    --------
    >>> import torch
    >>> from distscale.train import ModelConfig
    >>> model = EnsembleTransformer(ModelConfig(depth=1, width=16, heads=2),
    ...                             vocab_size=10, seeds=[0, 1, 2])
    >>> model.ensemble_size, model.n_params
    (3, 3632)
    >>> tokens = torch.zeros(3, 4, 5, dtype=torch.long)  # (members, batch, time)
    >>> model(tokens).shape
    torch.Size([3, 4, 5, 10])
    """

    def __init__(
        self,
        config: ModelConfig,
        *,
        vocab_size: int,
        seeds: Sequence[int],
        max_positions: int | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        super().__init__()
        if not isinstance(config, ModelConfig):
            raise TypeError(f"`config` must be a ModelConfig; got {type(config).__name__}")
        vocab_size = check_int("EnsembleTransformer", "vocab_size", vocab_size, minimum=1)
        if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
            raise TypeError("`seeds` must be a non-empty sequence of integer seeds")
        seeds = [check_int("EnsembleTransformer", "seeds", s, minimum=0) for s in seeds]
        if max_positions is None:
            max_positions = config.max_positions
        elif config.max_positions is not None and max_positions > config.max_positions:
            raise ValueError(
                f"`max_positions` ({max_positions}) exceeds ModelConfig.max_positions "
                f"({config.max_positions})"
            )
        if max_positions is not None:
            max_positions = check_int("EnsembleTransformer", "max_positions", max_positions,
                                      minimum=1)
        if config.positional == "learned" and max_positions is None:
            raise ValueError(
                "positional='learned' needs `max_positions` (or ModelConfig.max_positions)"
            )
        self.config = config
        self.vocab_size = vocab_size
        self.seeds = tuple(seeds)
        self.max_positions = max_positions

        members = [self._init_member(s) for s in seeds]
        stacked = {k: torch.stack([m[k] for m in members]).to(device) for k in members[0]}
        self.tok_emb = torch.nn.Parameter(stacked.pop("tok_emb"))
        self.pos_emb = (
            torch.nn.Parameter(stacked.pop("pos_emb")) if config.positional == "learned" else None
        )
        self.head = torch.nn.Parameter(stacked.pop("head"))
        self.lnf_w = torch.nn.Parameter(stacked.pop("lnf_w"))
        self.lnf_b = torch.nn.Parameter(stacked.pop("lnf_b"))
        self.blocks = torch.nn.ModuleList(
            _Block(
                {
                    k.split(".", 1)[1]: v
                    for k, v in stacked.items()
                    if k.startswith(f"block{i}.")
                }
            )
            for i in range(config.depth)
        )
        if config.positional == "rope":
            dh = config.head_width
            inv_freq = config.rope_base ** (-torch.arange(0, dh, 2, dtype=torch.float64) / dh)
            self.register_buffer("inv_freq", inv_freq.to(torch.float32).to(device),
                                 persistent=False)
        else:
            self.inv_freq = None

    # ------------------------------------------------------------------ init
    def _init_member(self, seed: int) -> dict[str, torch.Tensor]:
        """All parameters of one member, drawn in a fixed order from its own generator."""
        cfg = self.config
        gen = torch.Generator().manual_seed(derive_seed(seed, "init"))
        d, m, v = cfg.width, cfg.mlp_width, self.vocab_size
        std, out_std = cfg.init_std, cfg.init_std / (2 * cfg.depth) ** 0.5

        def normal(*shape: int, s: float = std) -> torch.Tensor:
            return torch.empty(shape).normal_(0.0, s, generator=gen)

        p: dict[str, torch.Tensor] = {"tok_emb": normal(v, d)}
        if cfg.positional == "learned":
            p["pos_emb"] = normal(self.max_positions, d)
        for i in range(cfg.depth):
            b = f"block{i}."
            p[b + "ln1_w"], p[b + "ln1_b"] = torch.ones(d), torch.zeros(d)
            p[b + "w_qkv"] = normal(d, 3 * d)
            p[b + "w_o"] = normal(d, d, s=out_std)
            p[b + "ln2_w"], p[b + "ln2_b"] = torch.ones(d), torch.zeros(d)
            p[b + "w_fc1"] = normal(d, m)
            p[b + "w_fc2"] = normal(m, d, s=out_std)
            if cfg.bias:
                p[b + "b_qkv"], p[b + "b_o"] = torch.zeros(3 * d), torch.zeros(d)
                p[b + "b_fc1"], p[b + "b_fc2"] = torch.zeros(m), torch.zeros(d)
        p["lnf_w"], p["lnf_b"] = torch.ones(d), torch.zeros(d)
        p["head"] = normal(d, v)
        return p

    # ------------------------------------------------------------- accessors
    @property
    def ensemble_size(self) -> int:
        """Number of members ``E``."""
        return int(self.tok_emb.shape[0])

    @property
    def n_params(self) -> int:
        """Parameters of one member."""
        return sum(p[0].numel() for p in self.parameters())

    @property
    def device(self) -> torch.device:
        """Device of the parameters."""
        return self.tok_emb.device

    def decay_parameters(self) -> tuple[list[torch.nn.Parameter], list[torch.nn.Parameter]]:
        """``(decayed, not_decayed)``: weight matrices and embeddings vs biases and norms."""
        decay, no_decay = [], []
        for p in self.parameters():
            (decay if p.ndim >= 3 else no_decay).append(p)
        return decay, no_decay

    def member_state(self, k: int) -> dict[str, torch.Tensor]:
        """Detached copies of member ``k``'s parameters, keyed by parameter name."""
        k = check_int("member_state", "k", k, minimum=0)
        if k >= self.ensemble_size:
            raise ValueError(f"`k` must be below the ensemble size {self.ensemble_size}; got {k}")
        return {name: p[k].detach().clone() for name, p in self.named_parameters()}

    def forward_flops(self, n_tokens: int, context: int) -> float:
        """Approximate forward FLOPs of one member for ``n_tokens`` tokens.

        Counts 2 FLOPs per multiply-add of every matrix product (projections,
        MLP, output head) plus the attention scores and weighted sum with
        ``context`` keys per query (the causal half is not discounted).
        Backward costs about twice this.
        """
        cfg = self.config
        d, m = cfg.width, cfg.mlp_width
        per_token = cfg.depth * (2 * (3 * d * d + d * d + 2 * d * m) + 4 * context * d)
        per_token += 2 * d * self.vocab_size
        return float(per_token) * n_tokens

    # --------------------------------------------------------------- forward
    def forward(self, tokens: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """Logits ``(E, B, T, vocab_size)`` for tokens ``(E, B, T)``.

        With a :class:`KVCache`, the call either fills an empty cache with a
        prompt (any ``T``) or appends one token (``T == 1``) attending to
        everything cached, for fast greedy decoding.
        """
        if tokens.ndim != 3 or tokens.shape[0] != self.ensemble_size:
            raise ValueError(
                f"`tokens` must have shape (ensemble_size={self.ensemble_size}, batch, time); "
                f"got {tuple(tokens.shape)}"
            )
        cfg = self.config
        n_members, batch, time = tokens.shape
        start = 0 if cache is None else cache.length
        if cache is not None and start > 0 and time != 1:
            raise ValueError("a filled KVCache accepts one new token at a time")
        if self.max_positions is not None and start + time > self.max_positions:
            raise ValueError(
                f"sequence of {start + time} tokens exceeds max_positions={self.max_positions}"
            )
        d, h, dh, v = cfg.width, cfg.heads, cfg.head_width, self.vocab_size
        offsets = (torch.arange(n_members, device=tokens.device) * v).view(-1, 1, 1)
        x = self.tok_emb.reshape(n_members * v, d)[tokens + offsets]
        if self.pos_emb is not None:
            x = x + self.pos_emb[:, start : start + time].unsqueeze(1)
        x = x.reshape(n_members, batch * time, d)
        if self.inv_freq is not None:
            pos = torch.arange(start, start + time, device=x.device, dtype=torch.float32)
            angles = pos[:, None] * self.inv_freq[None, :]
            cos, sin = angles.cos(), angles.sin()
        for i, blk in enumerate(self.blocks):
            y = _layer_norm(x, blk.ln1_w, blk.ln1_b)
            qkv = _linear(y, blk.w_qkv, getattr(blk, "b_qkv", None))
            qkv = qkv.view(n_members, batch, time, 3, h, dh).permute(3, 0, 1, 4, 2, 5)
            qkv = qkv.reshape(3, n_members * batch, h, time, dh)
            q, k, val = qkv[0], qkv[1], qkv[2]
            if self.inv_freq is not None:
                q, k = _rotate(q, cos, sin), _rotate(k, cos, sin)
            if cache is not None:
                if start > 0:
                    k = torch.cat([cache.keys[i], k], dim=2)
                    val = torch.cat([cache.values[i], val], dim=2)
                cache.keys[i], cache.values[i] = k, val
            att = _attention(q, k, val, causal=start == 0 and time > 1)
            att = att.view(n_members, batch, h, time, dh).transpose(2, 3)
            att = att.reshape(n_members, batch * time, d)
            x = x + _linear(att, blk.w_o, getattr(blk, "b_o", None))
            y = _layer_norm(x, blk.ln2_w, blk.ln2_b)
            y = F.gelu(_linear(y, blk.w_fc1, getattr(blk, "b_fc1", None)))
            x = x + _linear(y, blk.w_fc2, getattr(blk, "b_fc2", None))
        if cache is not None:
            cache.length = start + time
        x = _layer_norm(x, self.lnf_w, self.lnf_b)
        return torch.bmm(x, self.head).view(n_members, batch, time, v)
