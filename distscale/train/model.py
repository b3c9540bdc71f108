"""A decoder-only transformer whose seeds train together as one batched ensemble.

Every parameter has a leading *ensemble* dimension ``E``: member ``k`` is an
independent model (its own initialisation seed, its own data), and all
members run through the same batched matrix products (``torch.bmm``), so
``E`` tiny models use a CPU far better than one at a time. Members never mix:
member ``k`` of an ensemble computes exactly what the same seed computes
alone (tested to 1e-5 over several training steps).

Architecture, in the style of nanoGPT's ``model.py``: token embedding (+
learned position embedding, or rotary embedding in attention, or nothing:
``"nope"``), ``depth`` pre-LayerNorm :class:`Block` modules (an
:class:`Attention` and an :class:`MLP`, each with its own ``forward`` over the
ensemble dimension), a final LayerNorm and an untied output projection. The
ensemble layers (:class:`EnsembleLinear`, :class:`EnsembleLayerNorm`,
:class:`EnsembleEmbedding`) hold one slice of weights per member. Weights are
initialised through ``Module.apply`` with one ``torch.Generator`` per member
(GPT-2's scheme: N(0, ``init_std``), residual projections scaled by
``1/sqrt(2 * depth)``); the global torch RNG is never used. The model builds
its optimiser's parameter groups (:meth:`EnsembleTransformer.optimizer_groups`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from distscale.train.config import ModelConfig, check_int, derive_seed

__all__ = [
    "MLP",
    "Attention",
    "Block",
    "EnsembleEmbedding",
    "EnsembleLayerNorm",
    "EnsembleLinear",
    "EnsembleTransformer",
    "KVCache",
    "packing_mask",
]


class KVCache:
    """Per-layer attention keys and values for incremental (greedy) decoding.

    Parameters
    ----------
    depth : int
        Number of layers.
    capacity : int, optional
        Longest sequence (prompt plus decoded tokens) the cache will hold. When
        given, each layer's keys and values live in one buffer of that length,
        allocated when the prompt is filled in and written in place at every
        step (no copy of the whole cache per token); otherwise each step
        concatenates.
    """

    def __init__(self, depth: int, capacity: int | None = None) -> None:
        self.keys: list[torch.Tensor | None] = [None] * depth
        self.values: list[torch.Tensor | None] = [None] * depth
        self.length = 0
        self.capacity = capacity

    def update(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Store new keys/values ``(N, H, T, dh)`` of ``layer``; return all of them so far."""
        start = self.length
        if start == 0:
            if self.capacity is not None and self.capacity > k.shape[2]:
                shape = (*k.shape[:2], self.capacity, k.shape[3])
                self.keys[layer], self.values[layer] = k.new_empty(shape), v.new_empty(shape)
                self.keys[layer][:, :, : k.shape[2]] = k
                self.values[layer][:, :, : v.shape[2]] = v
            else:
                self.keys[layer], self.values[layer] = k, v
            return k, v
        end = start + k.shape[2]
        keys, values = self.keys[layer], self.values[layer]
        if keys.shape[2] >= end:  # preallocated: write in place, attend to a view
            keys[:, :, start:end] = k
            values[:, :, start:end] = v
            return keys[:, :, :end], values[:, :, :end]
        keys = torch.cat([keys[:, :, :start], k], dim=2)
        values = torch.cat([values[:, :, :start], v], dim=2)
        self.keys[layer], self.values[layer] = keys, values
        return keys, values


# ------------------------------------------------------------------ ensemble layers
class EnsembleLinear(torch.nn.Module):
    """``E`` independent linear maps: ``x @ W + b`` per member.

    ``weight`` is ``(E, d_in, d_out)``, ``bias`` ``(E, d_out)`` or None. Member
    weights are drawn N(0, ``init_std``) by :meth:`reset_member`.
    """

    def __init__(self, n_members: int, d_in: int, d_out: int, *, bias: bool, init_std: float):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(n_members, d_in, d_out))
        self.bias = torch.nn.Parameter(torch.zeros(n_members, d_out)) if bias else None
        self.init_std = init_std

    def reset_member(self, k: int, generator: torch.Generator) -> None:
        """Draw member ``k``'s weights from ``generator``; zero its bias."""
        self.weight.data[k].normal_(0.0, self.init_std, generator=generator)
        if self.bias is not None:
            self.bias.data[k].zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (E, N, d_in) -> (E, N, d_out)
        if self.bias is None:
            return torch.bmm(x, self.weight)
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight)


class EnsembleLayerNorm(torch.nn.Module):
    """Layer normalisation with a per-member scale ``(E, d)`` and shift ``(E, d)``."""

    def __init__(self, n_members: int, d: int) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(n_members, d))
        self.bias = torch.nn.Parameter(torch.zeros(n_members, d))

    def reset_member(self, k: int, generator: torch.Generator) -> None:
        """Member ``k`` starts as the identity: scale 1, shift 0 (draws nothing)."""
        self.weight.data[k].fill_(1.0)
        self.bias.data[k].zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (E, N, d) -> (E, N, d)
        y = F.layer_norm(x, x.shape[-1:])
        return torch.addcmul(self.bias.unsqueeze(1), y, self.weight.unsqueeze(1))


class EnsembleEmbedding(torch.nn.Module):
    """A table of ``n`` vectors per member, ``weight`` ``(E, n, d)``, drawn N(0, ``init_std``)."""

    def __init__(self, n_members: int, n: int, d: int, *, init_std: float) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(n_members, n, d))
        self.init_std = init_std

    def reset_member(self, k: int, generator: torch.Generator) -> None:
        """Draw member ``k``'s table from ``generator``."""
        self.weight.data[k].normal_(0.0, self.init_std, generator=generator)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        # ids: (E, B, T) -> (E, B, T, d); member k looks up its own table
        n_members, n, d = self.weight.shape
        offsets = (torch.arange(n_members, device=ids.device) * n).view(-1, 1, 1)
        return self.weight.reshape(n_members * n, d)[ids + offsets]


def _attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool, mask: torch.Tensor | None
) -> torch.Tensor:
    """Softmax attention ``(N, H, T, dh)`` written out with matmuls: causal, or an additive mask.

    On a CPU this beats ``F.scaled_dot_product_attention`` at these sizes
    (head widths 8-32, tens of tokens): with torch 2.13, inside a training
    step (depth 2, width 32, 16 seeds), 1.04x faster with one padded row per
    sequence and 1.15x with packed rows and their block-diagonal masks
    (``benchmarks/bench_trainer.py``). The scale is applied to the queries
    (fewer numbers than the scores) and the mask added in place.
    """
    scores = torch.matmul(q * (q.shape[-1] ** -0.5), k.transpose(-1, -2))
    if q.shape[-2] == 1 and not torch.is_grad_enabled():
        # one query per row (decoding): torch.softmax pays ~1 us per short row on a CPU;
        # the same softmax from whole-tensor operations was 5x faster (8192 x 4 rows of 15)
        scores = scores.sub_(scores.amax(-1, keepdim=True)).exp_()
        return torch.matmul(scores.div_(scores.sum(-1, keepdim=True)), v)
    if mask is not None:
        scores = scores.add_(mask)
    elif causal:
        t = q.shape[-2]
        future = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
        scores = scores.masked_fill_(future, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def packing_mask(segments: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Positions and attention mask of packed rows.

    Parameters
    ----------
    segments : torch.Tensor
        ``(E, B, T)`` integer id of the sequence each slot belongs to; the
        sequences of a row are contiguous (ids differ between neighbours),
        padding slots have their own id.

    Returns
    -------
    positions : torch.Tensor
        ``(E, B, T)`` position of each slot within its own sequence (0 at its
        first token).
    mask : torch.Tensor
        ``(E * B, 1, T, T)`` additive attention mask (0 or -inf): a slot attends
        to itself and the earlier slots of its own sequence only, so a packed
        sequence computes exactly what it computes alone.
    """
    n_members, batch, time = segments.shape
    slots = torch.arange(time, device=segments.device)
    starts = torch.ones_like(segments, dtype=torch.bool)
    starts[..., 1:] = segments[..., 1:] != segments[..., :-1]
    first = torch.where(starts, slots, 0).cummax(dim=-1).values
    seg = segments.reshape(n_members * batch, time)
    allowed = (seg[:, :, None] == seg[:, None, :]) & (slots[:, None] >= slots[None, :])
    mask = torch.zeros(allowed.shape, dtype=torch.float32, device=segments.device)
    mask.masked_fill_(~allowed, float("-inf"))
    return slots - first, mask.unsqueeze(1)


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary embedding on the last dimension (halves rotated, GPT-NeoX layout)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class Attention(torch.nn.Module):
    """Causal multi-head self-attention of every member (one fused q/k/v projection)."""

    def __init__(self, config: ModelConfig, n_members: int) -> None:
        super().__init__()
        d = config.width
        out_std = config.init_std / (2 * config.depth) ** 0.5  # GPT-2's residual scaling
        self.heads, self.head_width = config.heads, config.head_width
        self.qkv = EnsembleLinear(n_members, d, 3 * d, bias=config.bias, init_std=config.init_std)
        self.proj = EnsembleLinear(n_members, d, d, bias=config.bias, init_std=out_std)

    def forward(
        self,
        x: torch.Tensor,
        batch: int,
        rope: tuple[torch.Tensor, torch.Tensor] | None = None,
        cache: KVCache | None = None,
        layer: int = 0,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        n_members, n_tokens, d = x.shape  # (E, B*T, d)
        time, h, dh = n_tokens // batch, self.heads, self.head_width
        start = 0 if cache is None else cache.length
        qkv = self.qkv(x).view(n_members, batch, time, 3, h, dh)  # (E, B, T, 3, H, dh)
        qkv = qkv.permute(3, 0, 1, 4, 2, 5).reshape(3, n_members * batch, h, time, dh)
        q, k, v = qkv[0], qkv[1], qkv[2]  # each (E*B, H, T, dh)
        if rope is not None:
            q, k = _rotate(q, *rope), _rotate(k, *rope)
        if cache is not None:  # all keys/values so far: (E*B, H, start + T, dh)
            k, v = cache.update(layer, k, v)
        y = _attention(q, k, v, causal=start == 0 and time > 1, mask=mask)  # (E*B, H, T, dh)
        y = y.view(n_members, batch, h, time, dh).transpose(2, 3)  # (E, B, T, H, dh)
        return self.proj(y.reshape(n_members, n_tokens, d))  # (E, B*T, d)


class MLP(torch.nn.Module):
    """The feed-forward part of a block: ``fc2(gelu(fc1(x)))`` per member."""

    def __init__(self, config: ModelConfig, n_members: int) -> None:
        super().__init__()
        d, m = config.width, config.mlp_width
        out_std = config.init_std / (2 * config.depth) ** 0.5
        self.fc1 = EnsembleLinear(n_members, d, m, bias=config.bias, init_std=config.init_std)
        self.fc2 = EnsembleLinear(n_members, m, d, bias=config.bias, init_std=out_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))  # (E, N, d) -> (E, N, m) -> (E, N, d)


class Block(torch.nn.Module):
    """A pre-LayerNorm transformer block: ``x + attn(ln1(x))``, then ``x + mlp(ln2(x))``."""

    def __init__(self, config: ModelConfig, n_members: int) -> None:
        super().__init__()
        self.ln1 = EnsembleLayerNorm(n_members, config.width)
        self.attn = Attention(config, n_members)
        self.ln2 = EnsembleLayerNorm(n_members, config.width)
        self.mlp = MLP(config, n_members)

    def forward(
        self,
        x: torch.Tensor,
        batch: int,
        rope: tuple[torch.Tensor, torch.Tensor] | None = None,
        cache: KVCache | None = None,
        layer: int = 0,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), batch, rope, cache, layer, mask)  # (E, B*T, d)
        return x + self.mlp(self.ln2(x))


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

        n, d, std = len(seeds), config.width, config.init_std
        # Registration order is the order in which each member draws its weights
        # (``apply`` visits children in order): embeddings, blocks, final norm, head.
        self.tok_emb = EnsembleEmbedding(n, vocab_size, d, init_std=std)
        self.pos_emb = (
            EnsembleEmbedding(n, max_positions, d, init_std=std)
            if config.positional == "learned"
            else None
        )
        self.blocks = torch.nn.ModuleList(Block(config, n) for _ in range(config.depth))
        self.ln_f = EnsembleLayerNorm(n, d)
        self.head = EnsembleLinear(n, d, vocab_size, bias=False, init_std=std)
        for k, seed in enumerate(seeds):
            generator = torch.Generator().manual_seed(derive_seed(seed, "init"))
            self.apply(functools.partial(_reset_member, k=k, generator=generator))
        self.to(device)  # drawn on the CPU first: a seed gives the same weights on any device
        if config.positional == "rope":
            dh = config.head_width
            inv_freq = config.rope_base ** (-torch.arange(0, dh, 2, dtype=torch.float64) / dh)
            self.register_buffer("inv_freq", inv_freq.to(torch.float32).to(device),
                                 persistent=False)
        else:
            self.inv_freq = None

    # ------------------------------------------------------------- accessors
    @property
    def ensemble_size(self) -> int:
        """Number of members ``E``."""
        return int(self.tok_emb.weight.shape[0])

    @property
    def n_params(self) -> int:
        """Parameters of one member."""
        return sum(p[0].numel() for p in self.parameters())

    @property
    def device(self) -> torch.device:
        """Device of the parameters."""
        return self.tok_emb.weight.device

    def decay_parameters(self) -> tuple[list[torch.nn.Parameter], list[torch.nn.Parameter]]:
        """``(decayed, not_decayed)``: weight matrices and embeddings vs biases and norms."""
        decay, no_decay = [], []
        for p in self.parameters():
            (decay if p.ndim >= 3 else no_decay).append(p)
        return decay, no_decay

    def optimizer_groups(self, weight_decay: float) -> list[dict]:
        """Parameter groups for an optimiser: weight decay on matrices and embeddings only.

        Parameters
        ----------
        weight_decay : float
            Decoupled weight decay of the weight matrices and embeddings;
            biases and layer-norm parameters get none.

        Returns
        -------
        list of dict
            ``[{"params": decayed, "weight_decay": weight_decay}, {"params":
            not_decayed, "weight_decay": 0.0}]`` (the second only when not empty),
            ready for :class:`torch.optim.AdamW`.
        """
        decay, no_decay = self.decay_parameters()
        groups = [{"params": decay, "weight_decay": weight_decay}]
        if no_decay:
            groups.append({"params": no_decay, "weight_decay": 0.0})
        return groups

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
    def forward(
        self,
        tokens: torch.Tensor,
        cache: KVCache | None = None,
        segments: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits ``(E, B, T, vocab_size)`` for tokens ``(E, B, T)``.

        With a :class:`KVCache`, the call either fills an empty cache with a
        prompt (any ``T``) or appends one token (``T == 1``) attending to
        everything cached, for fast greedy decoding. With ``segments``
        (``(E, B, T)`` integer ids, see :func:`packing_mask`) each row holds
        several sequences packed one after another: every token attends only
        to its own sequence and its position counts from that sequence's start,
        so each sequence's logits are those it would get alone.
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
        positions = mask = None
        if segments is not None:
            if cache is not None:
                raise ValueError("packed rows (`segments`) cannot be decoded with a KVCache")
            if segments.shape != tokens.shape:
                raise ValueError(
                    f"`segments` must have the shape of `tokens` {tuple(tokens.shape)}"
                )
            positions, mask = packing_mask(segments)
        x = self.tok_emb(tokens)  # (E, B, T, d)
        if self.pos_emb is not None:
            if positions is None:
                x = x + self.pos_emb.weight[:, start : start + time].unsqueeze(1)
            else:
                x = x + self.pos_emb(positions)
        x = x.reshape(n_members, batch * time, cfg.width)  # (E, B*T, d)
        rope = None
        if self.inv_freq is not None:
            if positions is None:
                pos = torch.arange(start, start + time, device=x.device, dtype=torch.float32)
                angles = pos[:, None] * self.inv_freq[None, :]  # (T, dh/2)
            else:  # (E*B, 1, T, dh/2), broadcast over heads
                pos = positions.reshape(n_members * batch, 1, time, 1).to(torch.float32)
                angles = pos * self.inv_freq
            rope = (angles.cos(), angles.sin())
        for i, block in enumerate(self.blocks):
            x = block(x, batch, rope, cache, i, mask)
        if cache is not None:
            cache.length = start + time
        logits = self.head(self.ln_f(x))  # (E, B*T, vocab)
        return logits.view(n_members, batch, time, self.vocab_size)


def _reset_member(module: torch.nn.Module, *, k: int, generator: torch.Generator) -> None:
    """``apply`` hook: initialise member ``k`` of every layer that has parameters."""
    reset = getattr(module, "reset_member", None)
    if reset is not None:
        reset(k, generator)
