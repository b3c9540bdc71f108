"""Throughput of the batched seed ensemble vs one seed at a time.

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

Finally (``bench_sweep_runner``) the whole sweep runner, ``Sweep.run``, on two
1-thread worker processes vs one process, on the same small grid.

Run:  python benchmarks/bench_trainer.py [--threads 1] [--repeats 3] [--vmap] [--eval]
      python benchmarks/bench_trainer.py --sweep-only [--sweep-steps 100]
"""

from __future__ import annotations

import argparse
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


def time_steps(trainer: EnsembleTrainer, steps: int, timer) -> tuple[float, float, float]:
    """(seconds per step by ``timer``, wall seconds per step, training FLOPs per step)."""
    for s in range(2):  # warm-up
        trainer.step(s)
    flops = 0.0
    start, wall = timer(), time.perf_counter()
    for s in range(steps):
        trainer.step(s)
        batch_tokens = trainer.last_tokens
        context = trainer.last_tokens // trainer.train.batch_size
        # forward + backward ~ 3x forward, counted on padded tokens (what is computed)
        flops += 3 * trainer.model.forward_flops(batch_tokens, context) * len(trainer.seeds)
    seconds = (timer() - start) / steps
    return seconds, (time.perf_counter() - wall) / steps, flops / steps


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
    for _ in range(2):
        step(params, *trainer.next_batch())
    start = timer()
    for _ in range(steps):
        step(params, *trainer.next_batch())
    return (timer() - start) / steps


def time_fwd_bwd(trainer: EnsembleTrainer, steps: int, timer) -> float:
    """Seconds per forward+backward (no optimiser) of the ensemble model."""
    from distscale.train.trainer import member_losses

    for _ in range(2):
        member_losses(trainer.model, *trainer.next_batch()).sum().backward()
    start = timer()
    for _ in range(steps):
        member_losses(trainer.model, *trainer.next_batch()).sum().backward()
    return (timer() - start) / steps


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
    parser.add_argument("--sweep-only", action="store_true", help="only the sweep runner")
    parser.add_argument("--sweep-steps", type=int, default=100, help="steps per sweep run")
    args = parser.parse_args(argv)
    if args.sweep_only:
        bench_sweep_runner(steps=args.sweep_steps)
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
    vmap_best: dict[tuple, float] = {}
    peak = 0.0
    for _ in range(args.repeats):
        peak = max(peak, matmul_peak(timer))
        for depth, width, heads in SIZES:
            cfg = ModelConfig(depth=depth, width=width, heads=heads)
            for e in ENSEMBLES:
                trainer = EnsembleTrainer(task, cfg, train, list(range(e)))
                seconds, wall_seconds, f = time_steps(trainer, args.steps, timer)
                key = (depth, width, e)
                best[key] = max(best.get(key, 0.0), e / seconds)
                wall[key] = max(wall.get(key, 0.0), e / wall_seconds)
                flops[key] = max(flops.get(key, 0.0), f / seconds)
                if args.vmap and e == 16:
                    tv = time_vmap(trainer, args.steps, depth, heads, timer)
                    te = time_fwd_bwd(trainer, args.steps, timer)
                    vmap_best[key] = max(vmap_best.get(key, 0.0), te / tv)

    print(f"\nplain torch.mm peak (768x768 float32): {peak / 1e9:.1f} GFLOP/s\n")
    header = (f"{'depth':>5} {'width':>5} {'E':>3} {'seeds*steps/s':>14} {'vs E=1':>7} "
              f"{'GFLOP/s':>8} {'of peak':>8} {'(wall) seeds*steps/s':>21}")
    print(header)
    print("-" * len(header))
    for depth, width, _ in SIZES:
        base = best[(depth, width, 1)]
        for e in ENSEMBLES:
            key = (depth, width, e)
            print(f"{depth:>5} {width:>5} {e:>3} {best[key]:>14.1f} {best[key] / base:>6.2f}x "
                  f"{flops[key] / 1e9:>8.2f} {flops[key] / peak:>7.1%} {wall[key]:>21.1f}")
        auto = choose_ensemble_size(task, ModelConfig(depth=depth, width=width, heads=4), train)
        print(f"{'':>11} choose_ensemble_size -> {auto}")
    if vmap_best:
        print("\nexplicit ensemble vs torch.func.vmap (forward+backward, E=16): "
              "ratio of vmap time to ensemble time (>1: ensemble faster)")
        for (depth, width, _), r in vmap_best.items():
            print(f"  depth {depth} width {width}: {r:.2f}x")
    if args.eval:
        print("\nevaluation (10 test lengths x 128 samples, greedy + teacher forced), E=16:")
        for depth, width, heads in SIZES:
            cfg = ModelConfig(depth=depth, width=width, heads=heads)
            trainer = EnsembleTrainer(task, cfg, train, list(range(16)))
            start = timer()
            evaluate_ensemble(trainer.model, task, task.test_lengths, n_samples=128)
            per_seed = (timer() - start) / 16
            print(f"  depth {depth} width {width}: {per_seed:.2f} s per seed "
                  f"(= {per_seed * best[(depth, width, 16)]:.0f} training steps)")
    bench_sweep_runner(steps=args.sweep_steps)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory: {peak_rss:.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
