"""Generate a bundled population of the trainer from a sweep TOML (issue 17).

Runs the sweep of ``--config`` through a resumable SQLite store, then writes
one CSV row per scale x seed x test length (gzip, no timestamp, so the same
runs give the same bytes) and a sidecar ``<name>.md`` with the configuration,
the commands, the cost and the calibration evidence: per scale, the histogram
of the chosen metric over 10 bins of [0, 1], the dip test, the library's own
verdict (``ds.modality_scan`` with ``bounds=(0, 1)``: exact match is a share)
and the fraction of seeds above the success threshold. With ``--figures DIR`` it also draws the
histograms per scale as one PNG (matplotlib, Agg).

The metric is exact match averaged over ``[bundle] metric_lengths`` of the
TOML (default: every test length); the scale is the swept axis
(``[bundle] scale``, default the only axis).

Runs are deterministic on a CPU for a given torch version: the same command
gives the same table, except the ``seconds_per_seed`` column. When the TOML
sets ``checkpoints``, the checkpoint evaluations are stored with the runs and
also bundled as ``<name>_trajectory.csv.gz`` (one row per run and
checkpoint), with the share of seeds above the threshold per checkpoint in
the sidecar (and ``<name>_trajectory.png`` with ``--figures``).

Usage::

    python scripts/make_trainer_population.py scripts/count_split_population.toml \
        --store count_split_runs.sqlite --workers 0 --figures /tmp/figures
    python scripts/make_trainer_population.py CONFIG.toml --quick --output /tmp/pop.csv.gz
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
DATA = ROOT / "distscale" / "datasets" / "data"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("config", type=Path, help="sweep TOML with a [bundle] table")
    p.add_argument("--store", type=Path, default=None,
                   help="SQLite store of finished runs; rerun to resume "
                        "(default: <bundle name>_runs.sqlite)")
    p.add_argument("--workers", type=int, default=1,
                   help="processes, one torch thread each (0: in this process)")
    p.add_argument("--output", type=Path, default=None,
                   help="default: distscale/datasets/data/<bundle name>.csv.gz")
    p.add_argument("--figures", type=Path, default=None, help="also draw histograms here")
    p.add_argument("--seeds", type=int, default=None,
                   help="train only the first N seeds of each scale (a staged start: the "
                        "runs are reused when the full sweep runs later)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: the first two scales, 2 seeds, 20 steps, 8 eval samples "
                        "(also at the checkpoints)")
    return p


def bundle_settings(config: dict) -> dict:
    bundle = dict(config.get("bundle", {}))
    axes = list(config.get("axes", {}))
    bundle.setdefault("scale", axes[0] if len(axes) == 1 else None)
    if bundle["scale"] is None:
        raise ValueError("[bundle] scale must name the swept axis")
    bundle.setdefault("threshold", 0.5)
    if "name" not in bundle:
        raise ValueError("[bundle] needs a `name` (the file name without .csv.gz)")
    return bundle


def per_scale_values(table: pd.DataFrame, scale: str, lengths: list[int] | None,
                     metric: str = "exact_match") -> dict:
    rows = table[table["split"] == "test"]
    if lengths:
        rows = rows[rows["length"].isin(lengths)]
    runs = rows.groupby([scale, "seed"], as_index=False)[metric].mean()
    return {s: g.sort_values("seed")[metric].to_numpy() for s, g in runs.groupby(scale)}


def calibration(table: pd.DataFrame, bundle: dict) -> tuple[str, pd.DataFrame]:
    """Per scale: histogram, dip test, the library's verdict, P(success)."""
    import distscale as ds

    scale, lengths, cut = bundle["scale"], bundle.get("metric_lengths"), bundle["threshold"]
    values = per_scale_values(table, scale, lengths)
    frame = pd.concat([pd.DataFrame({scale: s, "seed": np.arange(len(v)), "value": v})
                       for s, v in values.items()], ignore_index=True)
    pop = ds.Population(frame, scale=scale, seed="seed", value="value")
    scan = ds.modality_scan(pop, bounds=(0.0, 1.0), rng=0)
    per = scan.per_scale()
    label = ("mean over test lengths" if not lengths else
             f"mean over test lengths {lengths[0]}-{lengths[-1]}" if len(lengths) > 1 else
             f"test length {lengths[0]}")
    lines = [f"OOD exact match ({label}) across seeds, per {scale}; verdict = "
             "ds.modality_scan(bounds=(0, 1), rng=0):"]
    seconds = table.groupby([scale, "seed"])["seconds_per_seed"].first()
    for (s, v), (_, row) in zip(values.items(), per.iterrows(), strict=True):
        hist = np.histogram(v, bins=10, range=(0, 1))[0]
        dip = ds.dip_test(v, rng=0)
        verdict = "bimodal" if row["bimodal"] else f"{int(row['n_modes'])} mode(s)"
        lines.append(
            f"  {scale} {s}: n {len(v)}, mean {v.mean():.3f}, sd {v.std(ddof=1):.3f}, "
            f"P(> {cut}) {np.mean(v > cut):.2f}, dip {dip.statistic:.4f} (p = {dip.pvalue:.3g}), "
            f"verdict: {verdict}"
            + (f" (notes: {row['notes']})" if isinstance(row["notes"], str) and row["notes"]
               else "")
            + f"\n    histogram (10 bins on [0, 1]): {hist.tolist()}\n"
            f"    values: {np.round(np.sort(v), 2).tolist()}\n"
            f"    seconds per seed {seconds.loc[s].mean():.1f}")
    return "\n".join(lines), per


def draw(table: pd.DataFrame, bundle: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = per_scale_values(table, bundle["scale"], bundle.get("metric_lengths"))
    fig, axes = plt.subplots(1, len(values), figsize=(2.6 * len(values), 2.6), sharey=True,
                             squeeze=False)
    for ax, (s, v) in zip(axes[0], values.items(), strict=True):
        ax.hist(v, bins=10, range=(0, 1), color="tab:blue", edgecolor="white")
        ax.set_title(f"{bundle['scale']} {s} (n={len(v)})", fontsize=9)
        ax.set_xlabel("OOD exact match", fontsize=8)
    axes[0][0].set_ylabel("seeds")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def trajectory_report(traj: pd.DataFrame, bundle: dict) -> str:
    """Per scale and checkpoint: share of seeds above the threshold; late bloomers."""
    scale, cut = bundle["scale"], bundle["threshold"]
    steps = sorted(traj["step"].unique().tolist())
    lines = [f"Share of seeds above {cut} at each checkpoint (steps {steps}); a late bloomer "
             f"is above {cut} at the end but not at the checkpoint before:"]
    for s, g in traj.groupby(scale):
        wide = g.pivot(index="seed", columns="step", values="exact_match")[steps]
        shares = " ".join(f"{(wide[c] > cut).mean():.2f}" for c in steps)
        late = int(((wide[steps[-1]] > cut) & (wide[steps[-2]] <= cut)).sum()) \
            if len(steps) > 1 else 0
        lost = int(((wide[steps[-1]] <= cut) & (wide[steps[-2]] > cut)).sum()) \
            if len(steps) > 1 else 0
        lines.append(f"  {scale} {s}: {shares}  (late bloomers {late}, fell back {lost})")
    return "\n".join(lines)


def draw_trajectories(traj: pd.DataFrame, bundle: dict, path: Path, title: str) -> None:
    """Each seed's metric over training, one panel per scale (red: above the cut at the end)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scale, cut = bundle["scale"], bundle["threshold"]
    scales = sorted(traj[scale].unique())
    fig, axes = plt.subplots(1, len(scales), figsize=(2.8 * len(scales), 2.6), sharey=True,
                             squeeze=False)
    for ax, s in zip(axes[0], scales, strict=True):
        g = traj[traj[scale] == s]
        last = g["step"].max()
        final = g[g["step"] == last].set_index("seed")["exact_match"]
        for seed, curve in g.groupby("seed"):
            color = "#c44e52" if final[seed] > cut else "#4c72b0"
            ax.plot(curve["step"], curve["exact_match"], color=color, alpha=0.35, lw=0.8)
        ax.set_title(f"{scale} {s}", fontsize=9)
        ax.set_xlabel("step", fontsize=8)
    axes[0][0].set_ylabel("OOD exact match")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)

    from distscale._lib.outputs import atomic_path
    from distscale.train import RunStore, Sweep
    from distscale.train.grid import read_toml

    raw = read_toml(args.config)
    bundle = bundle_settings(raw)
    config = {k: v for k, v in raw.items() if k != "bundle"}
    if args.quick:
        axis = bundle["scale"]
        config["seeds"] = 2
        config["axes"] = {axis: config["axes"][axis][:2]}
        config["train"] = {**config["train"], "steps": 20, "eval_samples": 8}
        config["ensemble_size"] = 2
        if "checkpoint_samples" in config:
            config["checkpoint_samples"] = 8
    if args.seeds is not None:
        config["seeds"] = args.seeds
    store = args.store or Path(f"{bundle['name']}_runs.sqlite")
    output = args.output or DATA / f"{bundle['name']}.csv.gz"
    sweep = Sweep.from_config(config, store=store)

    started = time.perf_counter()
    sweep.run(workers=args.workers)
    elapsed = time.perf_counter() - started

    table = sweep.population()
    table = table.loc[table["split"] == "test"]
    table = table.sort_values([bundle["scale"], "seed", "length"], kind="stable",
                              ignore_index=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(output) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g",
                     compression={"method": "gzip", "mtime": 0})

    report, _ = calibration(table, bundle)
    core_seconds = table.groupby([bundle["scale"], "seed"])["seconds_per_seed"].first().sum()
    with RunStore(store, readonly=True) as db:
        runs = db.runs()
    finished = pd.to_datetime(runs.loc[runs["run_id"].isin(table["run_id"]), "finished_at"])
    report += (f"\ntraining + evaluation: {core_seconds / 60:.0f} core-minutes in all "
               f"(sum of seconds per seed; worker processes of one torch thread on a shared "
               f"2-core machine); runs finished between {finished.min():%Y-%m-%d %H:%M} and "
               f"{finished.max():%H:%M} UTC; this call took {elapsed:.0f} s")
    stem = output.name.split(".")[0]
    traj_path = None
    if sweep.checkpoints is not None:
        from distscale.io.run_table import summarize_trajectory

        traj = summarize_trajectory(sweep.trajectory(), lengths=bundle.get("metric_lengths"))
        traj = traj.sort_values([bundle["scale"], "seed", "step"], kind="stable",
                                ignore_index=True)
        traj_path = output.parent / f"{stem}_trajectory.csv.gz"
        with atomic_path(traj_path) as tmp:
            traj.to_csv(tmp, index=False, float_format="%.6g",
                        compression={"method": "gzip", "mtime": 0})
        report += ("\n\nTrajectories (`" + traj_path.name + "`: one row per run and "
                   "checkpoint, the metrics averaged over the metric lengths; checkpoints "
                   "before the last are scored on `checkpoint_samples` sequences per length).\n"
                   + trajectory_report(traj, bundle))
        if args.figures is not None:
            draw_trajectories(traj, bundle, args.figures / f"{stem}_trajectory.png",
                              raw.get("description", bundle["name"]) + ", over training")
    print(report)
    if args.figures is not None:
        draw(table, bundle, args.figures / f"{stem}.png",
             raw.get("description", bundle["name"]))

    command = "python scripts/make_trainer_population.py " + " ".join(map(shlex.quote, argv))
    config_name = (args.config.resolve().relative_to(ROOT)
                   if args.config.resolve().is_relative_to(ROOT) else args.config)
    sidecar = output.parent / (stem + ".md")
    text = (
        f"# {output.name}\n\n"
        "Made by the distscale trainer (`distscale.train`). One row per "
        f"{bundle['scale']} x seed x test length; loaded by "
        f"`distscale.datasets.{bundle.get('loader', 'load_' + bundle['name'])}`, which "
        "documents the columns.\n\n"
        "Regenerate (resumable; rerun the same command after an interruption):\n\n"
        f"    {command.strip()}\n\n"
        + ("With --quick overrides: the first two scales, 2 seeds, 20 steps, 8 evaluation "
           "samples, ensembles of 2.\n\n" if args.quick else "")
        + f"Configuration (`{config_name}`):\n\n```toml\n"
        + args.config.read_text().strip()
        + "\n```\n\nCalibration evidence:\n\n```\n" + report + "\n```\n"
    )
    with atomic_path(sidecar) as tmp:
        Path(tmp).write_text(text)
    return table


if __name__ == "__main__":
    main()
