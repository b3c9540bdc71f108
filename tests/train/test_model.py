"""Tests of the batched ensemble transformer against a plain one-model twin.

The twin below is written independently with stock PyTorch building blocks
(F.embedding, F.linear, F.layer_norm, F.scaled_dot_product_attention, rotary
embedding by complex multiplication, torch.optim.AdamW and
torch.nn.utils.clip_grad_norm_). Member k of the ensemble must agree with the
twin loaded with member k's weights.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from distscale.train import (  # noqa: E402
    CountTask,
    EnsembleTransformer,
    ModelConfig,
    TrainConfig,
    lr_at,
    train_ensemble,
)
from distscale.train.config import derive_seed  # noqa: E402
from distscale.train.evaluate import _greedy  # noqa: E402
from distscale.train.model import KVCache  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


TOL = 1e-5


def twin_logits(state: dict, cfg: ModelConfig, tokens: torch.Tensor) -> torch.Tensor:
    """Plain single-model forward pass; tokens (B, T) -> logits (B, T, V)."""
    b, t = tokens.shape
    d, h = cfg.width, cfg.heads
    dh = d // h
    x = F.embedding(tokens, state["tok_emb.weight"])
    if cfg.positional == "learned":
        x = x + state["pos_emb.weight"][:t]
    if cfg.positional == "rope":
        freqs = cfg.rope_base ** (-torch.arange(0, dh, 2, dtype=torch.float64) / dh)
        rot = torch.polar(torch.ones(t, dh // 2, dtype=torch.float64),
                          torch.arange(t, dtype=torch.float64)[:, None] * freqs)

        def rope(z):  # pairs (i, i + dh/2) as complex numbers, rotated by pos * freq
            zc = torch.complex(z[..., : dh // 2].double(), z[..., dh // 2 :].double()) * rot
            return torch.cat([zc.real, zc.imag], dim=-1).float()

    for i in range(cfg.depth):
        def p(name, i=i):
            return state.get(f"blocks.{i}.{name}")

        y = F.layer_norm(x, (d,), p("ln1.weight"), p("ln1.bias"))
        q, k, v = F.linear(y, p("attn.qkv.weight").T, p("attn.qkv.bias")).split(d, dim=-1)
        q, k, v = (z.view(b, t, h, dh).transpose(1, 2) for z in (q, k, v))
        if cfg.positional == "rope":
            q, k = rope(q), rope(k)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + F.linear(a.transpose(1, 2).reshape(b, t, d), p("attn.proj.weight").T, p("attn.proj.bias"))
        y = F.layer_norm(x, (d,), p("ln2.weight"), p("ln2.bias"))
        x = x + F.linear(F.gelu(F.linear(y, p("mlp.fc1.weight").T, p("mlp.fc1.bias"))), p("mlp.fc2.weight").T, p("mlp.fc2.bias"))
    x = F.layer_norm(x, (d,), state["ln_f.weight"], state["ln_f.bias"])
    return x @ state["head.weight"]


def make(cfg, seeds, vocab=20, max_positions=32):
    return EnsembleTransformer(cfg, vocab_size=vocab, seeds=seeds, max_positions=max_positions)


CONFIGS = [
    ModelConfig(depth=2, width=16, heads=2, positional="nope"),
    ModelConfig(depth=1, width=24, heads=3, positional="learned", mlp_ratio=2.0),
    ModelConfig(depth=2, width=16, heads=2, positional="rope", bias=False),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.positional)
def test_each_member_matches_the_plain_twin(cfg):
    model = make(cfg, [4, 11, 2])
    tokens = torch.randint(20, (3, 5, 9), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = model(tokens)
        for k in range(3):
            ref = twin_logits(model.member_state(k), cfg, tokens[k])
            torch.testing.assert_close(logits[k], ref, atol=TOL, rtol=TOL)


def test_member_initialisation_does_not_depend_on_the_ensemble():
    cfg = CONFIGS[1]
    alone = make(cfg, [11]).member_state(0)
    inside = make(cfg, [4, 11, 2]).member_state(1)
    assert alone.keys() == inside.keys()
    for name in alone:
        assert torch.equal(alone[name], inside[name]), name
    other = make(cfg, [12]).member_state(0)
    assert not torch.equal(alone["tok_emb.weight"], other["tok_emb.weight"])


def test_initialisation_statistics():
    # GPT-2 style init: N(0, 0.02), residual projections N(0, 0.02 / sqrt(2 * depth)).
    cfg = ModelConfig(depth=2, width=64, heads=4)
    state = make(cfg, [0]).member_state(0)
    assert abs(state["blocks.0.attn.qkv.weight"].std().item() - 0.02) < 0.001
    assert abs(state["blocks.1.mlp.fc2.weight"].std().item() - 0.01) < 0.0005
    assert torch.equal(state["blocks.0.ln1.weight"], torch.ones(64))
    assert torch.equal(state["blocks.0.attn.qkv.bias"], torch.zeros(192))


def test_parameter_count_by_hand():
    cfg = ModelConfig(depth=2, width=16, heads=2, positional="learned")
    model = make(cfg, [0, 1], vocab=10, max_positions=12)
    d, m, v = 16, 64, 10
    per_block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * m + m) + (m * d + d)
    expected = v * d + 12 * d + 2 * per_block + 2 * d + d * v
    assert model.n_params == expected
    assert sum(p.numel() for p in model.parameters()) == 2 * expected
    decay, _ = model.decay_parameters()
    assert sum(p[0].numel() for p in decay) == v * d + 12 * d + 2 * (4 * d * d + 2 * d * m) + d * v


def test_causality():
    model = make(CONFIGS[0], [0, 1])
    tokens = torch.randint(20, (2, 3, 8), generator=torch.Generator().manual_seed(1))
    changed = tokens.clone()
    changed[:, :, 5:] = (changed[:, :, 5:] + 1) % 20
    with torch.no_grad():
        a, b = model(tokens), model(changed)
    torch.testing.assert_close(a[:, :, :5], b[:, :, :5], atol=0, rtol=0)
    assert not torch.allclose(a[:, :, 5:], b[:, :, 5:])


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.positional)
def test_kv_cache_decoding_matches_full_recomputation(cfg):
    # Naive twin of greedy decoding: recompute the whole sequence at every step.
    model = make(cfg, [0, 5])
    prompt = torch.randint(20, (2, 4, 3), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        fast = _greedy(model, prompt, 6)
        seq = prompt
        for _ in range(6):
            nxt = model(seq)[:, :, -1].argmax(-1, keepdim=True)
            seq = torch.cat([seq, nxt], dim=-1)
        assert torch.equal(fast, seq[:, :, 3:])
        # cached logits equal full logits
        cache = KVCache(cfg.depth)
        first = model(seq[:, :, :3], cache=cache)
        step = model(seq[:, :, 3:4], cache=cache)
        full = model(seq[:, :, :4])
        torch.testing.assert_close(first, full[:, :, :3], atol=TOL, rtol=TOL)
        torch.testing.assert_close(step[:, :, 0], full[:, :, 3], atol=TOL, rtol=TOL)


def test_model_errors_and_global_rng():
    before = torch.get_rng_state()
    model = make(CONFIGS[0], [0, 1])
    assert torch.equal(before, torch.get_rng_state())
    with pytest.raises(ValueError, match="ensemble_size=2"):
        model(torch.zeros(3, 2, 4, dtype=torch.long))
    learned = make(CONFIGS[1], [0], max_positions=6)
    with pytest.raises(ValueError, match="exceeds max_positions=6"):
        learned(torch.zeros(1, 2, 7, dtype=torch.long))
    with pytest.raises(ValueError, match="needs `max_positions`"):
        EnsembleTransformer(CONFIGS[1], vocab_size=5, seeds=[0])
    with pytest.raises(TypeError, match="seeds"):
        EnsembleTransformer(CONFIGS[0], vocab_size=5, seeds=3)
    with pytest.raises(TypeError, match="ModelConfig"):
        EnsembleTransformer({"depth": 1}, vocab_size=5, seeds=[0])
    with pytest.raises(ValueError, match="below the ensemble size"):
        model.member_state(2)
    cache = KVCache(2)
    model(torch.zeros(2, 1, 3, dtype=torch.long), cache=cache)
    with pytest.raises(ValueError, match="one new token"):
        model(torch.zeros(2, 1, 2, dtype=torch.long), cache=cache)


def test_forward_flops_counts_matmuls():
    cfg = ModelConfig(depth=1, width=8, heads=1, mlp_ratio=2.0)
    model = make(cfg, [0], vocab=5)
    # by hand: qkv 8x24, out 8x8, fc 8x16 and 16x8 -> 2*(192+64+128+128) per token,
    # attention 4*context*width, head 2*8*5
    assert model.forward_flops(10, 4) == 10 * (2 * 512 + 4 * 4 * 8 + 80)


@pytest.mark.parametrize("positional", ["nope", "rope"])
def test_training_matches_a_plain_pytorch_loop(positional):
    """A seed trained inside an ensemble equals the same seed trained by a plain loop.

    The loop below uses the twin model, torch.optim.AdamW (weight decay on
    matrices and embeddings), clip_grad_norm_ and the same data stream.
    """
    task = CountTask(train_lengths=(1, 2, 3, 4), test_lengths=(5,), n_numbers=10)
    cfg = ModelConfig(depth=1, width=16, heads=2, positional=positional)
    train = TrainConfig(steps=6, batch_size=6, lr=3e-3, warmup_fraction=0.34, grad_clip=0.5,
                        eval_samples=2)
    seed = 9
    run = train_ensemble(task, cfg, train, [2, seed, 4], progress=False)

    state = {
        k: v.requires_grad_()
        for k, v in EnsembleTransformer(
            cfg, vocab_size=task.vocab_size, seeds=[seed], max_positions=task.max_sequence_length
        ).member_state(0).items()
    }
    decay = [v for v in state.values() if v.ndim >= 2]
    no_decay = [v for v in state.values() if v.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": train.weight_decay},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=train.lr, betas=train.betas, eps=train.eps,
    )
    data = torch.Generator().manual_seed(derive_seed(seed, "data"))
    losses, clipped = [], 0
    for step in range(train.steps):
        batch = task.training_batch(train.batch_size, data)
        logits = twin_logits(state, cfg, batch.tokens[:, :-1])
        nll = F.cross_entropy(logits.transpose(1, 2), batch.tokens[:, 1:], reduction="none")
        mask = batch.target_mask[:, 1:]
        loss = nll[mask].mean()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(list(state.values()), train.grad_clip)
        clipped += bool(norm > train.grad_clip)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, lr=train.lr, steps=train.steps,
                            warmup_steps=train.warmup_steps)
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    assert clipped > 0  # the clipping rule was exercised
    np.testing.assert_allclose(run.losses[1], losses, rtol=0, atol=TOL)
    final = run.model.member_state(1)
    for name, value in state.items():
        torch.testing.assert_close(final[name], value.detach(), atol=TOL, rtol=0)
    assert math.isfinite(run.final_loss()[1])
