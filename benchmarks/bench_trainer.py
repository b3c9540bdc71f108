"""Throughput of the batched seed ensemble vs one seed at a time, and vs a plain PyTorch loop.

For 2-3 model sizes on the count task (train lengths 1-20, batch 32), times
optimiser steps of the same training code (``EnsembleTrainer.step``) with
ensembles of E = 1 (one seed at a time), 8 and 16 seeds, and reports
seeds*steps per second, the ratio to one-seed-at-a-time, and the achieved
FLOP/s of the training step against a plain ``torch.mm`` peak measured in the
same run. Measurements are interleaved and the best of ``--repeats`` is kept,
because the machine may be shared; for the same reason the ratios use the
process's CPU time (``time.process_time``, exact for a 1-thread process and
insensitive to other processes queueing for the cores), with wall-clock
throughput shown beside it.

Optionally (``--vmap``) the same step is also run as ``torch.func.vmap`` over
a plain one-seed model (``stack_module_state`` style), the alternative
batching design; and (``--eval``) the time to evaluate a seed.

End to end (``bench_plain_loop``): ``train_population`` against the plain loop
a user would write (``PlainGPT`` and ``train_plain`` below: one ``nn.Module``
per seed, SDPA attention, AdamW, greedy decoding by recomputing the prefix,
as nanoGPT's ``generate`` does), 16 seeds x
150 steps at depth 2, width 32, both scored on the same number of test
sequences; process CPU time of this one-thread process, training and
evaluation shown apart. ``--pack`` compares packed training rows with one
padded row per sequence, ``--compile`` times ``torch.compile`` of the
forward and backward pass (compile time counted).

Finally (``bench_sweep_runner``) the whole sweep runner, ``Sweep.run``, on two
1-thread worker processes vs one process, on the same small grid.

Run:  python benchmarks/bench_trainer.py [--threads 1] [--repeats 3] [--vmap] [--eval]
                                         [--pack] [--compile]
      python benchmarks/bench_trainer.py --plain-only [--plain-seeds 16]
      python benchmarks/bench_trainer.py --sweep-only [--sweep-steps 100]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

from distscale.train import CountTask, ModelConfig, TrainConfig, choose_ensemble_size
from distscale.train.evaluate import evaluate_ensemble
from distscale.train.trainer import EnsembleTrainer

SIZES = [  # (depth, width, heads)
    (1, 32, 4),
    (2, 64, 4),
    (2, 128, 4),
]
ENSEMBLES = (1, 8, 16)


def clock(threads: int):
    """CPU time with one thread (robust on a shared machine), else wall time."""
    return time.process_time if threads == 1 else time.perf_counter


def matmul_peak(timer, n: int = 768, repeats: int = 5) -> float:
    """Best FLOP/s of a plain float32 n x n matmul on this process's threads."""
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(n, n, generator=gen), torch.randn(n, n, generator=gen)
    for _ in range(3):
        a @ b
    best = 0.0
    for _ in range(repeats):
        start = timer()
        for _ in range(10):
            a @ b
        best = max(best, 10 * 2 * n**3 / (timer() - start))
    return best


def time_steps(trainer: EnsembleTrainer, steps: int, timer) -> tuple[float, float, float, float]:
    """(seconds per step by ``timer``, wall seconds per step, training FLOPs per step, fill).

    FLOPs count forward + backward as 3x forward on the positions computed
    (rows x (row length - 1), packed or padded), with every position
    attending to the whole row; ``fill`` is the share of those positions that
    belong to a sequence.
    """
    for s in range(2):  # warm-up
        trainer.step(s)
    flops, computed, useful = 0.0, 0, 0.0
    start, wall = timer(), time.perf_counter()
    for s in range(steps):
        trainer.step(s)
        rows, width = trainer.last_batch.tokens.shape[1:]
        computed += rows * (width - 1)
        useful += trainer.last_batch.useful_tokens
        flops += 3 * trainer.model.forward_flops(rows * (width - 1), width - 1) * len(
            trainer.seeds)
    seconds = (timer() - start) / steps
    return seconds, (time.perf_counter() - wall) / steps, flops / steps, useful / computed


# ------------------------------------------------------------- vmap variant
def _plain_loss(p, tokens, mask, depth, heads):
    """One seed's loss with a plain (non-ensemble) model written functionally."""
    x = p["tok_emb.weight"][tokens[:, :-1]]
    b, t, d = x.shape
    future = torch.ones(t, t, dtype=torch.bool).triu(1)
    for i in range(depth):
        def g(n, i=i):
            return p[f"blocks.{i}.{n}"]

        y = F.layer_norm(x, (d,), g("ln1.weight"), g("ln1.bias"))
        qkv = (y @ g("attn.qkv.weight") + g("attn.qkv.bias")).view(b, t, 3, heads, d // heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        s = (q @ k.transpose(-1, -2)) * (d // heads) ** -0.5
        a = torch.softmax(s.masked_fill(future, float("-inf")), -1) @ v
        x = x + a.transpose(1, 2).reshape(b, t, d) @ g("attn.proj.weight") + g("attn.proj.bias")
        y = F.layer_norm(x, (d,), g("ln2.weight"), g("ln2.bias"))
        hidden = F.gelu(y @ g("mlp.fc1.weight") + g("mlp.fc1.bias"))
        x = x + hidden @ g("mlp.fc2.weight") + g("mlp.fc2.bias")
    x = F.layer_norm(x, (d,), p["ln_f.weight"], p["ln_f.bias"])
    nll = F.cross_entropy((x @ p["head.weight"]).transpose(1, 2), tokens[:, 1:], reduction="none")
    m = mask[:, 1:].float()
    return (nll * m).sum() / m.sum()


def time_vmap(trainer: EnsembleTrainer, steps: int, depth: int, heads: int, timer) -> float:
    """Seconds per forward+backward (no optimiser) with torch.func.vmap(grad(...))."""
    from torch.func import grad, vmap

    params = {k: v.detach().clone() for k, v in trainer.model.named_parameters()}
    step = vmap(grad(lambda p, x, m: _plain_loss(p, x, m, depth, heads)))

    def batch():
        b = trainer.next_batch()
        return b.tokens, b.target_mask

    for _ in range(2):
        step(params, *batch())
    start = timer()
    for _ in range(steps):
        step(params, *batch())
    return (timer() - start) / steps


def time_fwd_bwd(trainer: EnsembleTrainer, steps: int, timer) -> float:
    """Seconds per forward+backward (no optimiser) of the ensemble model."""
    from distscale.train.trainer import member_losses

    def batch():
        b = trainer.next_batch()
        return b.tokens, b.target_mask, b.segments

    for _ in range(2):
        member_losses(trainer.model, *batch()).sum().backward()
    start = timer()
    for _ in range(steps):
        member_losses(trainer.model, *batch()).sum().backward()
    return (timer() - start) / steps


# ------------------------------------------------------------- plain PyTorch loop
class PlainBlock(torch.nn.Module):
    """A pre-LayerNorm block written with stock modules (the plain loop's model)."""

    def __init__(self, d: int, heads: int, mlp: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.qkv, self.proj = torch.nn.Linear(d, 3 * d), torch.nn.Linear(d, d)
        self.fc1, self.fc2 = torch.nn.Linear(d, mlp), torch.nn.Linear(mlp, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class PlainGPT(torch.nn.Module):
    """The same architecture as one ensemble member, one ``nn.Module`` per seed."""

    def __init__(self, vocab: int, depth: int, d: int, heads: int) -> None:
        super().__init__()
        self.emb = torch.nn.Embedding(vocab, d)
        self.blocks = torch.nn.ModuleList(PlainBlock(d, heads, 4 * d) for _ in range(depth))
        self.ln_f = torch.nn.LayerNorm(d)
        self.head = torch.nn.Linear(d, vocab, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.emb(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


@torch.no_grad()
def plain_exact_match(model: PlainGPT, task, length: int, n: int, seed: int) -> float:
    """Greedy decoding by recomputing the whole prefix for every new token."""
    batch = task.sample(n, length, torch.Generator().manual_seed(seed))
    start, size = batch.prompt_and_target()
    seq = batch.tokens[:, :start]
    for _ in range(size):
        seq = torch.cat([seq, model(seq)[:, -1].argmax(-1, keepdim=True)], dim=1)
    return float((seq[:, start:] == batch.tokens[:, start : start + size]).all(1).float().mean())


def train_plain(task, seed: int, *, depth: int, width: int, heads: int, steps: int,
                eval_samples: int, batch_size: int = 32, lr: float = 1e-3) -> tuple[float, float]:
    """Train and score one seed the plain way; returns (training, evaluation) CPU seconds."""
    start = time.process_time()
    gen = torch.Generator().manual_seed(seed)
    model = PlainGPT(task.vocab_size, depth, width, heads)
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim >= 2:
                p.normal_(0.0, 0.02, generator=gen)
    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": rest, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.98))
    warmup = round(0.05 * steps)
    for step in range(steps):
        batch = task.training_batch(batch_size, gen)
        logits = model(batch.tokens[:, :-1])
        nll = F.cross_entropy(logits.transpose(1, 2), batch.tokens[:, 1:], reduction="none")
        loss = nll[batch.target_mask[:, 1:]].mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        rate = lr * (step + 1) / warmup if step < warmup else lr * 0.5 * (
            1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))
        for group in opt.param_groups:
            group["lr"] = rate
        opt.step()
    trained = time.process_time()
    model.eval()
    for length in task.test_lengths:
        plain_exact_match(model, task, length, eval_samples, length)
    return trained - start, time.process_time() - trained


def bench_plain_loop(seeds: int = 16, steps: int = 150, eval_samples: int = 128,
                     depth: int = 2, width: int = 32) -> dict:
    """``train_population`` vs the plain one-model-at-a-time loop, end to end, one thread.

    Both train ``seeds`` seeds for ``steps`` steps (count task, lengths 1-20,
    batch 32, the same schedule) and score them by greedy decoding on
    ``eval_samples`` sequences at each test length 21-30. Process CPU time.
    """
    from distscale.train import train_population

    torch.set_num_threads(1)
    task = CountTask(train_lengths=range(1, 21), test_lengths=range(21, 31))
    plain_train = plain_eval = 0.0
    for seed in range(seeds):
        t, e = train_plain(task, seed, depth=depth, width=width, heads=4, steps=steps,
                           eval_samples=eval_samples)
        plain_train, plain_eval = plain_train + t, plain_eval + e
    plain_total = plain_train + plain_eval
    model = ModelConfig(depth=depth, width=width, heads=4)
    train = TrainConfig(steps=steps, batch_size=32, eval_samples=eval_samples)
    start = time.process_time()
    train_population(task, model, train, seeds=seeds, progress=False, threads=1)
    lib_total = time.process_time() - start
    ensemble = choose_ensemble_size(task, model, train, n_seeds=seeds)
    start = time.process_time()  # the same training again, without evaluation
    for first in range(0, seeds, ensemble):
        trainer = EnsembleTrainer(task, model, train, list(range(first, first + ensemble)))
        for step in range(steps):
            trainer.step(step)
    lib_train = time.process_time() - start
    out = {"plain": plain_total, "plain_train": plain_train, "library": lib_total,
           "library_train": lib_train}
    print(f"\nend to end vs the plain PyTorch loop (train_plain): {seeds} seeds x "
          f"{steps} steps, depth {depth}, width {width}, {eval_samples} test sequences x 10 "
          f"lengths; process CPU seconds, one thread (load average {os.getloadavg()[0]:.1f})")
    print(f"  plain loop, one nn.Module per seed: {plain_total:7.1f} s  "
          f"(training {plain_train:.1f}, evaluation {plain_eval:.1f})")
    print(f"  train_population (E={ensemble}):       {lib_total:7.1f} s  "
          f"(training alone, timed again: {lib_train:.1f})")
    print(f"  train_population vs plain loop: {plain_total / lib_total:.2f}x end to end, "
          f"{plain_train / lib_train:.2f}x training alone")
    return out


# ------------------------------------------------------------- torch.compile
def bench_compile(depth: int = 2, width: int = 32, ensemble: int = 16, steps: int = 20,
                  timer=time.process_time) -> None:
    """Forward + backward of the packed training step, eager vs ``torch.compile``.

    Rows are padded to a fixed count and length (the worst case of the
    task), so one compiled graph serves every step; compile time (a cold
    cache: ``TORCHINDUCTOR_CACHE_DIR`` set to a fresh folder) is reported.
    """
    import tempfile

    from distscale.train.trainer import member_losses

    task = CountTask(train_lengths=range(1, 21), test_lengths=range(21, 31))
    train = TrainConfig(batch_size=32, steps=10_000)
    trainer = EnsembleTrainer(task, ModelConfig(depth=depth, width=width, heads=4), train,
                              list(range(ensemble)))
    width_max, rows_max = task.sequence_length(20), train.batch_size

    def batch():
        b = trainer.next_batch()
        pad = (0, width_max - b.tokens.shape[2], 0, rows_max - b.tokens.shape[1])
        return (F.pad(b.tokens, pad, value=task.pad_token), F.pad(b.target_mask, pad),
                F.pad(b.segments, pad, value=-1))

    def eager(t, m, s):
        return member_losses(trainer.model, t, m, s)

    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp()
    compiled = torch.compile(eager, dynamic=False)
    wall = time.perf_counter()
    compiled(*batch()).sum().backward()
    compile_s = time.perf_counter() - wall
    best = {}
    for _ in range(2):
        for name, fn in (("eager", eager), ("compiled", compiled)):
            fn(*batch()).sum().backward()
            start = timer()
            for _ in range(steps):
                fn(*batch()).sum().backward()
            best[name] = min(best.get(name, 1e9), (timer() - start) / steps)
    gain = best["eager"] - best["compiled"]
    print(f"\ntorch.compile (inductor, gcc), forward+backward, depth {depth} width {width} "
          f"E={ensemble}, rows padded to {rows_max} x {width_max}: compile {compile_s:.0f} s "
          f"(wall, cold cache); eager {best['eager'] * 1e3:.1f} ms, compiled "
          f"{best['compiled'] * 1e3:.1f} ms per step ({best['eager'] / best['compiled']:.2f}x)"
          + (f"; pays off after {compile_s / gain:.0f} steps" if gain > 0 else ""))


# ------------------------------------------------------------- sweep runner
def bench_sweep_runner(steps: int = 100, seeds: int = 16, ensemble_size: int = 8) -> dict:
    """Whole sweep runner: both cores (two 1-thread worker processes) vs one process.

    The same small grid (count task, train lengths 1-20, test lengths 21-30 with 32
    samples each, depths 1 and 2, width 32, batch 32, ``seeds`` seeds per depth in
    ensembles of ``ensemble_size``) is run by ``Sweep.run`` three ways, each into a fresh
    store: in this process (``workers=0``), on one worker process and on two. Wall-clock
    time from the call to the last commit, so worker start-up (importing torch in the
    fork server), evaluation and the SQLite commits are included. Returns the timings.
    """
    import os
    import tempfile

    from distscale.train import Sweep, SweepGrid

    task = CountTask(train_lengths=range(1, 21), test_lengths=range(21, 31))
    grid = SweepGrid.product(task, ModelConfig(width=32, heads=4),
                             TrainConfig(steps=steps, batch_size=32, eval_samples=32),
                             seeds=seeds, depth=[1, 2])
    work = grid.n_runs * steps
    n_units = grid.n_runs // ensemble_size
    print(f"\nsweep runner: {grid.n_runs} runs ({len(grid.settings)} settings x {seeds} "
          f"seeds, depth 1-2, width 32) x {steps} steps, ensembles of {ensemble_size} "
          f"({n_units} units); wall clock incl. start-up, evaluation and commits; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, workers in (("one process (in-process)", 0), ("1 worker process", 1),
                               ("2 worker processes", 2)):
            sweep = Sweep(grid, store=os.path.join(tmp, f"w{workers}.sqlite"),
                          ensemble_size=ensemble_size)
            start = time.perf_counter()
            sweep.run(workers=workers, progress=False, threads=1)
            out[workers] = time.perf_counter() - start
            print(f"  {label:<26} {out[workers]:7.1f} s  {work / out[workers]:8.1f} "
                  "seeds*steps/s")
    print(f"  2 workers vs one process: {out[0] / out[2]:.2f}x;  2 workers vs 1 worker: "
          f"{out[1] / out[2]:.2f}x  (load average after: {os.getloadavg()[0]:.1f})")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=15, help="timed steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="keep the best of this many")
    parser.add_argument("--vmap", action="store_true", help="also time torch.func.vmap")
    parser.add_argument("--eval", action="store_true", help="also time evaluation per seed")
    parser.add_argument("--pack", action="store_true",
                        help="also compare packed rows with one padded row per sequence")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile")
    parser.add_argument("--sweep-only", action="store_true", help="only the sweep runner")
    parser.add_argument("--sweep-steps", type=int, default=100, help="steps per sweep run")
    parser.add_argument("--plain-only", action="store_true", help="only the plain-loop ratio")
    parser.add_argument("--plain-seeds", type=int, default=16)
    parser.add_argument("--plain-steps", type=int, default=150)
    parser.add_argument("--skip-sweep", action="store_true", help="no sweep-runner section")
    args = parser.parse_args(argv)
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores)")
    if args.sweep_only:
        bench_sweep_runner(steps=args.sweep_steps)
        return
    if args.plain_only:
        bench_plain_loop(seeds=args.plain_seeds, steps=args.plain_steps)
        return
    torch.set_num_threads(args.threads)
    timer = clock(args.threads)
    task = CountTask(train_lengths=range(1, 21), test_lengths=range(21, 31))
    train = TrainConfig(batch_size=32, steps=10_000)
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, count task "
          f"train lengths 1-20, batch 32, best of {args.repeats} x {args.steps} steps, "
          f"timed by {'process CPU time' if args.threads == 1 else 'wall clock'}")

    best: dict[tuple, float] = {}
    wall: dict[tuple, float] = {}
    flops: dict[tuple, float] = {}
    fill: dict[tuple, float] = {}
    vmap_best: dict[tuple, float] = {}
    packs = (True, False) if args.pack else (True,)
    peak = 0.0
    for _ in range(args.repeats):
        peak = max(peak, matmul_peak(timer))
        for depth, width, heads in SIZES:
            cfg = ModelConfig(depth=depth, width=width, heads=heads)
            for e in ENSEMBLES:
                for pack in packs if e in (1, 16) else (True,):
                    trainer = EnsembleTrainer(task, cfg, train, list(range(e)), pack=pack)
                    seconds, wall_seconds, f, used = time_steps(trainer, args.steps, timer)
                    key = (depth, width, e, pack)
                    best[key] = max(best.get(key, 0.0), e / seconds)
                    wall[key] = max(wall.get(key, 0.0), e / wall_seconds)
                    flops[key] = max(flops.get(key, 0.0), f / seconds)
                    fill[key] = used
                if args.vmap and e == 16:
                    trainer = EnsembleTrainer(task, cfg, train, list(range(e)), pack=False)
                    tv = time_vmap(trainer, args.steps, depth, heads, timer)
                    te = time_fwd_bwd(trainer, args.steps, timer)
                    vmap_best[(depth, width)] = max(vmap_best.get((depth, width), 0.0), te / tv)

    print(f"\nplain torch.mm peak (768x768 float32): {peak / 1e9:.1f} GFLOP/s\n")
    header = (f"{'depth':>5} {'width':>5} {'E':>3} {'rows':>7} {'seeds*steps/s':>14} "
              f"{'vs E=1':>7} {'GFLOP/s':>8} {'of peak':>8} {'fill':>5} "
              f"{'(wall) seeds*steps/s':>21}")
    print(header)
    print("-" * len(header))
    for depth, width, _ in SIZES:
        base = best[(depth, width, 1, True)]
        for e in ENSEMBLES:
            for pack in packs if e in (1, 16) else (True,):
                key = (depth, width, e, pack)
                print(f"{depth:>5} {width:>5} {e:>3} {'packed' if pack else 'padded':>7} "
                      f"{best[key]:>14.1f} {best[key] / base:>6.2f}x {flops[key] / 1e9:>8.2f} "
                      f"{flops[key] / peak:>7.1%} {fill[key]:>5.0%} {wall[key]:>21.1f}")
        auto = choose_ensemble_size(task, ModelConfig(depth=depth, width=width, heads=4), train)
        print(f"{'':>11} choose_ensemble_size -> {auto}")
    if args.pack:
        print("\npacked rows vs one padded row per sequence (seeds*steps/s ratio):")
        for depth, width, _ in SIZES:
            for e in (1, 16):
                r = best[(depth, width, e, True)] / best[(depth, width, e, False)]
                print(f"  depth {depth} width {width} E={e}: {r:.2f}x")
    if vmap_best:
        print("\nexplicit ensemble vs torch.func.vmap (forward+backward, E=16, padded rows): "
              "ratio of vmap time to ensemble time (>1: ensemble faster)")
        for (depth, width), r in vmap_best.items():
            print(f"  depth {depth} width {width}: {r:.2f}x")
    if args.eval:
        print("\nevaluation of an untrained ensemble (10 test lengths x 128 samples, every "
              "sequence decoded), E=16:")
        for depth, width, heads in SIZES:
            cfg = ModelConfig(depth=depth, width=width, heads=heads)
            trainer = EnsembleTrainer(task, cfg, train, list(range(16)))
            start = timer()
            evaluate_ensemble(trainer.model, task, task.test_lengths, n_samples=128)
            per_seed = (timer() - start) / 16
            print(f"  depth {depth} width {width}: {per_seed:.2f} s per seed "
                  f"(= {per_seed * best[(depth, width, 16, True)]:.0f} training steps)")
    if args.compile:
        bench_compile(timer=timer)
    bench_plain_loop(seeds=args.plain_seeds, steps=args.plain_steps)
    if not args.skip_sweep:
        bench_sweep_runner(steps=args.sweep_steps)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory: {peak_rss:.0f} MiB; load average at the end: "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main(sys.argv[1:])
