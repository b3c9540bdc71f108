"""The budgeted search for a trainer configuration whose seeds split into two groups.

Issue 17, item 2: find a setting in which at least one scale's seeds form two
separated groups -- by the library's own verdict (``ds.modality_scan`` with
``bounds="auto"``) and a dip test p < 0.05. Each *probe* trains a few seeds
(16 by default) at a few scales of one configuration, in this process on one
torch thread, and appends one row per scale and candidate metric to a
JSON-lines log: the histogram over 10 bins of [0, 1], the dip p, the verdict,
and the core-minutes spent. ``--table`` prints the log as the markdown table
kept in ``docs/training.md``.

Probes are read from a JSON file (a list of objects, see ``PROBE_FIELDS``),
so that probes can be appended while the search runs; finished probes (by
name) are skipped, and the runner stops when the file ``STOP`` appears next
to the log or when the core-minute budget is spent.

Usage::

    python scripts/search_bimodal.py --probes probes.json --out /tmp/search [--budget 120]
    python scripts/search_bimodal.py --out /tmp/search --table
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

#: Fields of one probe: ``name``, ``task`` (a task dict with ``name``), ``model``
#: (ModelConfig fields), ``train`` (TrainConfig fields), ``axis`` (a ModelConfig
#: field) and ``scales`` (its values), ``seeds`` (a count, or a list of seeds), optional
#: ``ensemble_size`` and ``metrics`` (label -> list of test lengths to average
#: exact match over; default: all test lengths, and the longest alone).
PROBE_FIELDS = ("name", "task", "model", "train", "axis", "scales", "seeds", "ensemble_size",
                "metrics", "note")


def lengths_spec(value):
    """``"21-30"`` or a list -> list of ints."""
    if isinstance(value, str):
        lo, hi = value.split("-")
        return list(range(int(lo), int(hi) + 1))
    return list(value)


def judge(values: np.ndarray, rng: int = 0) -> dict:
    """Histogram, dip p and the library's verdict for one scale's seed values."""
    import distscale as ds

    hist = np.histogram(values, bins=10, range=(0, 1))[0].tolist()
    dip = ds.dip_test(values, rng=rng)
    frame = pd.DataFrame({"scale": 1, "seed": np.arange(len(values)), "v": values})
    pop = ds.Population(frame, scale="scale", seed="seed", value="v")
    scan = ds.modality_scan(pop, bounds="auto", rng=rng)
    row = scan.per_scale().iloc[0]
    try:
        fit = ds.fit_mixture(values, n_components=2, bounds="auto", rng=rng)
        means = [round(float(m), 3) for m in fit.means]
        weights = [round(float(w), 3) for w in fit.weights]
    except ValueError:  # fewer than 2 distinct values inside the bounds: nothing to fit
        means = weights = None
    return {
        "hist": hist,
        "mean": float(values.mean()),
        "dip_p": float(dip.pvalue),
        "n_modes": int(row["n_modes"]),
        "bimodal": bool(row["bimodal"]),
        "lrt_p": None if pd.isna(row["lrt_pvalue"]) else float(row["lrt_pvalue"]),
        "separation": None if pd.isna(row["separation"]) else float(row["separation"]),
        "mixture_means": means,
        "mixture_weights": weights,
    }


def run_probe(probe: dict, out: Path) -> list[dict]:
    import torch

    from distscale.train import ModelConfig, TrainConfig, task_from_dict, train_population

    task_dict = dict(probe["task"])
    for key in ("train_lengths", "test_lengths"):
        if key in task_dict:
            task_dict[key] = lengths_spec(task_dict[key])
    task = task_from_dict(task_dict)
    train = TrainConfig(**probe["train"])
    metrics = probe.get("metrics") or {
        "mean": list(task.test_lengths), f"len{task.test_lengths[-1]}": [task.test_lengths[-1]]}
    rows, tables = [], []
    torch.set_num_threads(1)
    for scale in probe["scales"]:
        model = ModelConfig(**{**probe["model"], probe["axis"]: scale})
        cpu = time.process_time()
        table = train_population(task, model, train, seeds=probe["seeds"], progress=False,
                                 ensemble_size=probe.get("ensemble_size"), threads=1)
        core_seconds = time.process_time() - cpu
        table.insert(0, "probe", probe["name"])
        tables.append(table)
        test = table[table["split"] == "test"]
        for label, lengths in metrics.items():
            values = (test[test["length"].isin(lengths)].groupby("seed")["exact_match"]
                      .mean().to_numpy())
            rows.append({"probe": probe["name"], "axis": probe["axis"], "scale": scale,
                         "metric": label, "n": len(values),
                         "core_minutes": core_seconds / 60, **judge(values)})
        print(json.dumps(rows[-1]), flush=True)
    pd.concat(tables).to_csv(out / f"{probe['name']}.csv.gz", index=False)
    return rows


def print_table(out: Path) -> None:
    log = out / "log.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    probes = {}
    for line in (out / "probes_done.jsonl").read_text().splitlines():
        p = json.loads(line)
        probes[p["name"]] = p
    print("| probe | config | scale | metric | histogram (10 bins of [0,1]) | dip p | "
          "verdict | core-min |")
    print("|---|---|---|---|---|---|---|---|")
    seen = set()
    for r in rows:
        p = probes.get(r["probe"], {})
        config = "" if r["probe"] in seen else p.get("note", "")
        seen.add(r["probe"])
        verdict = "bimodal" if r["bimodal"] else f"{r['n_modes']} mode"
        print(f"| {r['probe']} | {config} | {r['axis']} {r['scale']} | {r['metric']} | "
              f"`{' '.join(map(str, r['hist']))}` | {r['dip_p']:.3g} | {verdict} | "
              f"{r['core_minutes']:.1f} |")
    total = sum({(r["probe"], r["scale"]): r["core_minutes"] for r in rows}.values())
    print(f"\ntotal: {total:.0f} core-minutes")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=120.0, help="core-minutes in all")
    parser.add_argument("--table", action="store_true", help="print the log as a table")
    parser.add_argument("--poll", type=float, default=20.0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.table:
        print_table(args.out)
        return
    log = args.out / "log.jsonl"
    done_file = args.out / "probes_done.jsonl"
    while not (args.out / "STOP").exists():
        done = set()
        spent = 0.0
        if done_file.exists():
            done = {json.loads(x)["name"] for x in done_file.read_text().splitlines() if x}
        if log.exists():
            rows = [json.loads(x) for x in log.read_text().splitlines() if x]
            spent = sum({(r["probe"], r["scale"]): r["core_minutes"] for r in rows}.values())
        if spent >= args.budget:
            print(f"budget spent: {spent:.0f} core-minutes", flush=True)
            break
        probes = json.loads(args.probes.read_text())
        todo = [p for p in probes if p["name"] not in done]
        if not todo:
            time.sleep(args.poll)
            continue
        probe = todo[0]
        print(f"probe {probe['name']} ({spent:.0f} core-minutes spent)", flush=True)
        rows = run_probe(probe, args.out)
        with log.open("a") as fh:
            for r in rows:
                fh.write(json.dumps(r) + "\n")
        with done_file.open("a") as fh:
            fh.write(json.dumps(probe) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
