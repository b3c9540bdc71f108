"""Generate the bundled count-task population (distscale/datasets/data/count_population.csv.gz).

Runs the sweep of ``scripts/count_population.toml`` (depth-2 decoder-only
transformers without positional encoding at widths 16-64, 48 seeds each,
trained on counting sequences of lengths 1-20 and scored on lengths 21-30)
through a resumable SQLite store, then writes one CSV row per width x seed x
test length (exact match, per-token accuracy, edit distance, NLL, ...) and a
sidecar ``count_population.md`` with the configuration, the commands, the run
time and the calibration evidence: per width, the histogram of out-of-
distribution exact match across seeds, the dip test and the fraction of
successful seeds.

Training is resumable: if the script (or ``distscale train``) is interrupted,
rerun the same command; finished runs are kept in the store. Runs are
deterministic on CPU, so the same command gives the same table (except the
``seconds_per_seed`` column) on any machine with the same torch version.

Usage::

    python scripts/make_count_population.py --store count_runs.sqlite   # the bundled file
    python scripts/make_count_population.py --quick --output /tmp/pop.csv   # smoke test

Cost (1 torch thread per worker, 2 workers on a 2-core machine): about
6-18 s per seed (width 16 to 64, 1,000 steps, evaluation included), i.e.
about 30 min for the 288 runs; the sidecar records the measured numbers.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "scripts" / "count_population.toml"
DEFAULT_OUTPUT = ROOT / "distscale" / "datasets" / "data" / "count_population.csv.gz"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", type=Path, default=CONFIG, help="sweep TOML (default: %(default)s)")
    p.add_argument("--store", type=Path, default=Path("count_runs.sqlite"),
                   help="SQLite store of finished runs; rerun to resume (default: %(default)s)")
    p.add_argument("--workers", type=int, default=2, help="processes, one torch thread each")
    p.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    p.add_argument("--quick", action="store_true",
                   help="smoke test: widths 16 and 32, 2 seeds, 20 steps, 8 eval samples")
    return p


def calibration_report(table: pd.DataFrame) -> str:
    """Per width: OOD exact match across seeds (histogram, dip test, success fraction)."""
    import distscale as ds
    from distscale.datasets import COUNT_POPULATION_DEFAULTS

    cut = COUNT_POPULATION_DEFAULTS["threshold"]
    runs = table.groupby(["width", "seed"], as_index=False)[
        ["exact_match", "token_accuracy", "nll", "seconds_per_seed"]].mean()
    lines = ["OOD exact match (mean over test lengths 21-30) across seeds, per width:"]
    for width, g in runs.groupby("width"):
        values = np.sort(g["exact_match"].to_numpy())
        hist = np.histogram(values, bins=10, range=(0, 1))[0]
        dip = ds.dip_test(values, rng=0) if len(values) >= 4 else None
        sd = values.std(ddof=1) if len(values) > 1 else 0.0
        lines.append(
            f"  width {width}: n {len(values)}, mean {values.mean():.3f}, sd {sd:.3f}, "
            f"P(> {cut}) {np.mean(values > cut):.2f}, "
            f"dip {'-' if dip is None else f'{dip.statistic:.4f} (p = {dip.pvalue:.3g})'}\n"
            f"    histogram (10 bins on [0, 1]): {hist.tolist()}\n"
            f"    values: {np.round(values, 2).tolist()}\n"
            f"    r(exact match, token accuracy) = "
            f"{np.corrcoef(g['exact_match'], g['token_accuracy'])[0, 1]:.2f}, "
            f"r(exact match, NLL) = {np.corrcoef(g['exact_match'], g['nll'])[0, 1]:.2f}, "
            f"seconds per seed {g['seconds_per_seed'].mean():.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)

    from distscale.train import RunStore, Sweep
    from distscale.train.grid import read_toml

    config = read_toml(args.config)
    if args.quick:
        config["seeds"] = 2
        config["axes"] = {"width": [16, 32]}
        config["train"] = {**config["train"], "steps": 20, "eval_samples": 8}
        config["ensemble_size"] = 2
    sweep = Sweep.from_config(config, store=args.store)

    started = time.perf_counter()
    sweep.run(workers=args.workers)
    elapsed = time.perf_counter() - started

    table = sweep.population()
    table = table.loc[table["split"] == "test"]
    table = table.sort_values(["width", "seed", "length"], kind="stable", ignore_index=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # gzip without a timestamp, so the same runs give the same bytes
    table.to_csv(args.output, index=False, float_format="%.6g",
                 compression={"method": "gzip", "mtime": 0})

    report = calibration_report(table)
    core_seconds = (table.groupby(["width", "seed"])["seconds_per_seed"].first()).sum()
    with RunStore(args.store, readonly=True) as store:
        runs = store.runs()
    finished = pd.to_datetime(runs.loc[runs["run_id"].isin(table["run_id"]), "finished_at"])
    report += (f"\ntraining + evaluation: {core_seconds / 60:.0f} core-minutes in all "
               f"(sum of seconds per seed, {args.workers} worker process(es) of one torch "
               f"thread); runs finished between {finished.min():%Y-%m-%d %H:%M} and "
               f"{finished.max():%H:%M} UTC; this call took {elapsed:.0f} s")
    print(report)

    command = "python scripts/make_count_population.py " + " ".join(map(shlex.quote, argv))
    sidecar = args.output.parent / (args.output.name.split(".")[0] + ".md")
    config_name = (args.config.relative_to(ROOT) if args.config.is_relative_to(ROOT)
                   else args.config)
    sidecar.write_text(
        f"# {args.output.name}\n\n"
        "Made by the distscale trainer (`distscale.train`). One row per width x seed x test "
        "length; loaded by `distscale.datasets.load_count_population`, which documents the "
        "columns.\n\n"
        "Regenerate (resumable; each command can be rerun after an interruption):\n\n"
        f"    distscale train {config_name} --store {args.store.name} --workers {args.workers}\n"
        f"    {command.strip()}\n\n"
        + ("With --quick overrides: widths 16 and 32, 2 seeds, 20 steps, 8 evaluation "
           "samples, ensembles of 2.\n\n" if args.quick else "")
        + f"Configuration (`{args.config.name}`):\n\n```toml\n"
        + args.config.read_text().strip()
        + "\n```\n\nCalibration evidence:\n\n```\n" + report + "\n```\n"
    )
    return table


if __name__ == "__main__":
    main()
