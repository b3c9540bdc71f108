"""Generate the bundled count-task population (distscale/datasets/data/count_population.csv).

Trains ``--seeds`` seeds of a decoder-only transformer on the count task at
each depth in ``--depths`` (default: depths 1-4, width 64, 4 heads, no
positional encoding, train lengths 1-20, test lengths 21-30, 1,000 steps of
AdamW; the setting of the CPU prototype in which the seed distribution of
out-of-distribution exact match is spread widest around depth 2), scores
every seed at every test length, and writes one CSV row per
depth x seed x test length with exact match, per-token accuracy, edit
distance and NLL. A sidecar ``.md`` file records the configuration, the
command line and the run time. Work is spread over ``--workers`` processes
of one torch thread each (two 1-thread processes use a 2-core machine best).

Runs are deterministic: the same command gives the same table (except the
``seconds_per_seed`` column) on any machine with the same torch version.

Usage::

    python scripts/make_count_population.py                       # the bundled file
    python scripts/make_count_population.py --quick --output /tmp/pop.csv   # smoke test

Cost (1 thread per worker, measured on a shared 2-core machine, see
docs/training.md): about 8 / 14 / 24 / 27 s per seed at depths 1 / 2 / 3 / 4
(1,000 steps, evaluation included), so 48 seeds x 4 depths take ~3,500
core-seconds: ~30 min with --workers 2, ~1 h on one core.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_OUTPUT = (
    Path(__file__).resolve().parents[1] / "distscale" / "datasets" / "data" / "count_population.csv"
)


def _lengths(text: str) -> list[int]:
    """Parse '1-20' or '21,22,25' into a list of ints."""
    out: list[int] = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(part))
    return out


def _train_unit(task_dict: dict, model_dict: dict, train_dict: dict, seeds: list[int]):
    """Worker: train one ensemble of seeds (one torch thread)."""
    from distscale.train import ModelConfig, TrainConfig, task_from_dict, train_population

    return train_population(
        task_from_dict(task_dict),
        ModelConfig.from_dict(model_dict),
        TrainConfig.from_dict(train_dict),
        seeds=seeds,
        ensemble_size=len(seeds),
        progress=False,
        threads=1,
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--depths", type=int, nargs="+", default=[1, 2, 3, 4])
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--positional", default="nope", choices=["nope", "learned", "rope"])
    p.add_argument("--seeds", type=int, default=48, help="seeds 0..N-1 at every depth")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--train-lengths", type=_lengths, default=_lengths("1-20"))
    p.add_argument("--test-lengths", type=_lengths, default=_lengths("21-30"))
    p.add_argument("--n-numbers", type=int, default=64)
    p.add_argument("--eval-samples", type=int, default=128)
    p.add_argument("--ensemble-size", type=int, default=None,
                   help="seeds per batched ensemble (default: choose_ensemble_size)")
    p.add_argument("--workers", type=int, default=2, help="processes, one torch thread each")
    p.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 2 depths x 2 seeds x 20 steps, 8 eval samples")
    return p


def main(argv: list[str] | None = None) -> pd.DataFrame:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    if args.quick:
        args.depths, args.seeds, args.steps, args.eval_samples = args.depths[:2], 2, 20, 8

    from tqdm.auto import tqdm

    from distscale.train import (
        CountTask,
        ModelConfig,
        TrainConfig,
        choose_ensemble_size,
        summarize_runs,
    )

    task = CountTask(train_lengths=args.train_lengths, test_lengths=args.test_lengths,
                     n_numbers=args.n_numbers)
    train = TrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                        betas=(0.9, 0.98), weight_decay=0.1, warmup_fraction=0.05,
                        grad_clip=1.0, eval_samples=args.eval_samples)
    models = {d: ModelConfig(depth=d, width=args.width, heads=args.heads,
                             positional=args.positional) for d in args.depths}
    units = []
    for depth, model in models.items():
        size = args.ensemble_size or choose_ensemble_size(task, model, train, n_seeds=args.seeds)
        seeds = list(range(args.seeds))
        units += [(depth, seeds[i : i + size]) for i in range(0, len(seeds), size)]
    # deepest (slowest) first, so the last units to finish are short ones
    units.sort(key=lambda u: -u[0])

    started = time.perf_counter()
    frames = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=context) as pool:
        futures = [
            pool.submit(_train_unit, task.to_dict(), models[d].to_dict(), train.to_dict(), s)
            for d, s in units
        ]
        for fut in tqdm(as_completed(futures), total=len(futures), desc="ensembles"):
            frames.append(fut.result())
    elapsed = time.perf_counter() - started

    table = pd.concat(frames, ignore_index=True)
    table = table.sort_values(["depth", "seed", "length"], kind="stable", ignore_index=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.output, index=False, float_format="%.6g")

    # ---- calibration evidence: OOD exact match per depth (longest 3 test lengths)
    longest = sorted(task.test_lengths)[-3:]
    runs = summarize_runs(table, lengths=longest)
    lines = [f"OOD exact match over test lengths {longest}, per depth:"]
    try:
        import distscale as ds

        dip = getattr(ds, "dip_test", None)
    except ImportError:  # pragma: no cover
        dip = None
    for depth, g in runs.groupby("depth"):
        values = np.sort(g["exact_match"].to_numpy())
        hist = np.histogram(values, bins=10, range=(0, 1))[0]
        extra = ""
        if dip is not None and len(values) >= 4:
            try:
                extra = f", dip p = {dip(values, rng=0).pvalue:.3f}"
            except Exception as exc:  # report, do not fail the generation
                extra = f", dip test failed: {exc}"
        sd = values.std(ddof=1) if len(values) > 1 else 0.0
        lines.append(
            f"  depth {depth}: mean {values.mean():.3f}, sd {sd:.3f}, "
            f"P(>0.5) {np.mean(values > 0.5):.2f}, histogram (10 bins on [0,1]) {hist.tolist()}"
            f"{extra}\n    values {np.round(values, 2).tolist()}"
        )
    per_seed = table.groupby("depth")["seconds_per_seed"].first()
    lines.append("seconds per seed (wall, 1 thread, incl. evaluation): "
                 + ", ".join(f"depth {d}: {s:.1f}" for d, s in per_seed.items()))
    lines.append(f"total wall time {elapsed:.0f} s with {args.workers} worker process(es)")
    report = "\n".join(lines)
    print(report)

    command = "python scripts/make_count_population.py " + " ".join(map(shlex.quote, argv))
    sidecar = args.output.with_suffix(".md")
    sidecar.write_text(
        f"# {args.output.name}\n\n"
        "Generated by `scripts/make_count_population.py` (distscale.train). "
        "One row per depth x seed x test length; see docs/training.md for the columns.\n\n"
        f"Command:\n\n    {command.strip()}\n\n"
        "Configuration:\n\n```json\n"
        + "{\n"
        + ",\n".join(
            f" {json.dumps(k)}: {json.dumps(v)}"
            for k, v in {"task": task.to_dict(), "train": train.to_dict(),
                         "models": {d: m.to_dict() for d, m in models.items()},
                         "seeds": args.seeds}.items()
        )
        + "\n}"
        + "\n```\n\nRun:\n\n```\n" + report + "\n```\n"
    )
    return table


if __name__ == "__main__":
    main()
