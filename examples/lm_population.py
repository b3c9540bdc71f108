"""
A seed population of language models, made on a CPU
=====================================================

The paper's LM populations (arXiv 2502.17356) re-initialise the last layers
of a pretrained LM from a seed, continue training on a mix of general text
and task data, and vary the task's share of the mix. This example does the
same end to end on a CPU, with the embedded default of
:mod:`distscale.train.lm`:

1. pretrain a small transformer once on a grammar-generated language whose
   general text never shows verb agreement across an attractor noun of the
   other number ("the cat near the dogs *sleeps*");
2. for every share ``ratio`` of task text (sentences with such attractors)
   and every seed: re-initialise the blocks (both, by default, of the 2-block
   model) and the LM head from the seed, continue training on the mix;
3. score 4-option multiple-choice items by option log-likelihood (``acc``,
   ``acc_norm``, ``nll``, ``p_correct``, as lm-evaluation-harness scores
   ``multiple_choice`` tasks) and the LM loss on held-out general text
   (``lm_loss``, the null control);
4. write the population (CSV), a dip test per ratio for accuracy and for the
   LM loss, the thresholded-vs-continuous comparison, and the HTML report.

Needs the ``torch`` and ``lm`` extras. Run::

    python examples/lm_population.py [OUT_DIR] [--seeds 16] [--layers 2] [--steps 450]
        [--ratios 0 0.0025 0.005 0.01]

(about 6 minutes on one shared CPU core for 4 ratios x 16 seeds; docs/lm.md
shows the measured population, and the smooth variant ``--layers 1 --steps
300 --ratios 0 0.02 0.05 0.1 0.2``). The documentation build shows this file without
running it.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import distscale as ds
from distscale._lib.outputs import atomic_write
from distscale.train.lm import ContinueConfig, pretrain_synthetic, synthetic_population

RATIOS = [0.0, 0.0025, 0.005, 0.01]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("out", nargs="?", default="lm-population")
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=450)
    parser.add_argument("--ratios", type=float, nargs="+", default=RATIOS)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    pretrain_synthetic()
    pretrain_s = time.perf_counter() - start
    config = ContinueConfig(layers=args.layers, steps=args.steps, batch_size=16, seq_len=24)
    runs, samples = synthetic_population(args.ratios, args.seeds, config=config, samples=True,
                                         progress=True)
    total_s = time.perf_counter() - start
    csv = out / "population.csv"
    atomic_write(csv, lambda handle: runs.to_csv(handle, index=False))
    samples["option_logliks"] = samples["option_logliks"].map(lambda v: ";".join(map(str, v)))
    atomic_write(out / "samples.csv", lambda handle: samples.to_csv(handle, index=False))

    print(f"pretraining {pretrain_s:.0f} s; population of {len(runs)} runs in {total_s:.0f} s "
          f"({runs['seconds_per_seed'].mean():.1f} s per seed, {args.seeds} seeds per batch)")
    print("\nper ratio: accuracy across seeds, the LM loss across seeds, dip test p-values")
    print(f"{'ratio':>6} {'acc mean':>8} {'sd':>5} {'min':>5} {'q50':>5} {'max':>5} "
          f"{'p dip':>6} {'lm_loss':>8} {'sd':>6} {'p dip':>6}")
    for ratio, group in runs.groupby("ratio"):
        acc, loss = group["acc"].to_numpy(), group["lm_loss"].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p_acc = ds.dip_test(acc).pvalue if np.ptp(acc) > 0 else float("nan")
            p_loss = ds.dip_test(loss).pvalue
        print(f"{ratio:6.4g} {acc.mean():8.3f} {acc.std(ddof=1):5.3f} {acc.min():5.2f} "
              f"{np.median(acc):5.2f} {acc.max():5.2f} {p_acc:6.3f} {loss.mean():8.4f} "
              f"{loss.std(ddof=1):6.4f} {p_loss:6.3f}")
    print("\nseed accuracies per ratio (sorted):")
    for ratio, group in runs.groupby("ratio"):
        print(f"  {ratio:<6g}: " + " ".join(f"{v:.2f}" for v in sorted(group["acc"])))

    # thresholded (acc) vs continuous (per-item probability of the correct option)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comparison = ds.compare_metrics(samples, scale="ratio", seed="seed",
                                        metrics=["acc", "p_correct"], n_resamples=200, rng=0)
    print("\n" + str(comparison))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ds.make_report(runs, scale="ratio", seed="seed", value="acc", threshold=0.5,
                                bounds=(0.0, 1.0), out_dir=out / "report", n_resamples=200,
                                title="LM seed population (embedded default)",
                                source=str(csv), progress=False, overwrite=True)
    print(f"\nreport in {report.out_dir} ({report.seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
