"""
Thresholded vs continuous metrics on real scale series
======================================================

Is a jump with scale an artefact of a thresholded metric (exact match, 0/1
accuracy per example), or does it persist under a continuous one (BLEU,
normalised accuracy)? :func:`distscale.compare_metrics` scores the mean curve
of every metric with BIG-bench's breakthroughness and linearity and their
ratio, the *step ratio* ``sqrt(mean(Δy²) / median(Δy²))`` (1 for a straight
line, large when a few steps carry the rise, ``inf`` for an ideal step).

Two public data sets, read from ``../shared/data`` beside the repository (or
the folder named by the environment variable ``DISTSCALE_SHARED_DATA``):

1. ObsScaling (Ruan et al. 2024; ryoungj/ObsScaling, Apache-2.0): BIG-bench
   emergent tasks scored for open base models. Within the Pythia (deduped)
   and OPT families, one model per size: IPA transliteration by exact match
   and by BLEU, and four arithmetic tasks. Run-level numbers, no seeds.
2. Pythia v1 lm-evaluation-harness results (EleutherAI/pythia, Apache-2.0):
   MMLU ``acc`` vs ``acc_norm``, the 57 subjects acting as the evaluation
   examples (so the nested bootstrap resamples subjects), the standard and
   deduplicated training runs as two replicates per size; across sizes at the
   final checkpoint, and across training checkpoints within each size.

Run: ``python examples/thresholded_vs_continuous.py`` (about 10 s).

.. note::

   This is the one example that needs files outside the package. The
   documentation build runs it only when ``../shared/data`` (or
   ``$DISTSCALE_SHARED_DATA``) is there; when this page shows the code
   without any output below it, the data were absent from that build.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path

import pandas as pd

import distscale as ds
from distscale.datasets import PYTHIA_PARAMS

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)
warnings.simplefilter("ignore", ds.DegenerateDataWarning)  # caveats are kept in res.notes


def shared_data() -> Path:
    """``$DISTSCALE_SHARED_DATA`` or ``../shared/data`` from the repository root."""
    env = os.environ.get("DISTSCALE_SHARED_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    needed = [root / "obsscaling", root / "pythia-v1-evals"]
    if not all(p.is_dir() for p in needed):
        sys.exit(
            f"shared data not found: this example needs {', '.join(str(p) for p in needed)}.\n"
            "Put the data in ../shared/data beside the repository, or set "
            "DISTSCALE_SHARED_DATA to the folder that holds 'obsscaling' and 'pythia-v1-evals'."
        )
    return root


def scores_table(res: ds.MetricComparison) -> pd.DataFrame:
    """One row per metric: the curve scores and the verdict fields."""
    rows = []
    for m in res.metrics:
        v = res.verdicts[m]
        rows.append({
            "metric": m,
            "kind": v.kind,
            "breakthroughness": v.breakthroughness,
            "linearity": v.linearity,
            "step_ratio": v.step_ratio,
            "ratio_ci": f"[{v.step_ratio_ci.low:.2f}, {v.step_ratio_ci.high:.2f}]",
            "improvement": v.improvement,
            "jump": v.jump,
            "bimodal": v.bimodal,
        })
    return pd.DataFrame(rows).round(3)


DATA = shared_data()

# ------------------------------------------------------------------ 1. ObsScaling
emergent = pd.read_csv(DATA / "obsscaling" / "base_llm_emergent_capability_eval.csv")
sizes = pd.read_csv(DATA / "obsscaling" / "base_llm_benchmark_eval.csv",
                    usecols=["Model", "Model Family", "Model Size (B)"])
obs = emergent.merge(sizes, on="Model", how="left")
ipa = ["ipa_transliterate_2_exact_match", "ipa_transliterate_2_bleu"]
others = ["word_unscrambling_2_exact_match", "arithmetic_2da_2_acc", "arithmetic_3da_2_acc",
          "arithmetic_3ds_2_acc", "arithmetic_2dm_2_acc"]

print("=" * 100)
print("1. ObsScaling BIG-bench emergent tasks: one model per size (seed=None, run-level)")
for family in ("Pythia", "OPT"):
    fam = obs[obs["Model Family"] == family].sort_values("Model Size (B)")
    print(f"\n{family}: {len(fam)} sizes, {fam['Model Size (B)'].min():g}B to "
          f"{fam['Model Size (B)'].max():g}B")
    print(fam[["Model Size (B)"] + ipa + others].round(4).to_string(index=False))
    # The same task under a thresholded and a continuous metric.
    res = ds.compare_metrics(fam, scale="Model Size (B)", seed=None, sample=None,
                             metrics=ipa, rng=0)
    print(scores_table(res).drop(columns=["ratio_ci", "bimodal"]).to_string(index=False))
    print(res.persistence().splitlines()[0])
    # Tasks scored by exact match or accuracy only.
    res = ds.compare_metrics(fam, scale="Model Size (B)", seed=None, sample=None,
                             metrics=others, rng=0)
    print(scores_table(res).drop(columns=["ratio_ci", "bimodal"]).to_string(index=False))

# ---------------------------------------------------------- 2. Pythia v1 MMLU
print()
print("=" * 100)
print("2. Pythia v1 MMLU: 57 subjects as examples, standard/deduped runs as replicates")
files = DATA / "pythia-v1-evals"


def size_of(path: Path) -> float:
    return float(PYTHIA_PARAMS[re.search(r"pythia-([0-9.]+[mb])", path.as_posix())[1]])


def variant_of(path: Path) -> str:
    suffix = re.search(r"pythia-[0-9.]+[mb](-[^/]+)?/", path.as_posix())[1]
    return "standard" if suffix is None else suffix[1:]


raw = ds.read_lm_eval(str(files / "pythia-*" / "zero-shot" / "*.json"), scale=size_of,
                      seed=variant_of, tasks=r"^hendrycksTest-", metrics=("acc", "acc_norm"))
raw["step"] = raw["path"].str.extract(r"_step(\d+)\.json$")[0].astype(int)
mmlu = (raw[raw["seed"].isin(["standard", "deduped"])]
        .pivot_table(index=["scale", "seed", "step", "task"], columns="metric", values="value")
        .reset_index())
mmlu.columns.name = None
print(f"{mmlu['task'].nunique()} subjects, {mmlu['scale'].nunique()} sizes, "
      f"{mmlu['step'].nunique()} checkpoints; random guessing scores 0.25")

final = mmlu[mmlu["step"] == 143000]
res = ds.compare_metrics(final, scale="scale", seed="seed", sample="task",
                         metrics=["acc", "acc_norm"], n_resamples=2000, rng=0)
print("\n(a) across sizes at the final checkpoint (step 143000)")
means = res.to_frame().query("source == 'runs' and quantity == 'mean'")
print(means.pivot(index="scale", columns="metric", values="estimate").round(4).to_string())
print(scores_table(res).to_string(index=False))
print(res.verdict())

print("\n(b) across training checkpoints (steps 1000-143000, scale = step) within each size")
rows = []
late = mmlu[mmlu["step"] >= 1000]
for size, group in late.groupby("scale"):
    r = ds.compare_metrics(group, scale="step", seed="seed", sample="task",
                           metrics=["acc", "acc_norm"], n_resamples=500, rng=0)
    for m in r.metrics:
        v = r.verdicts[m]
        rows.append({"params": f"{size:.3g}", "runs": int(r.n_seeds.max()), "metric": m,
                     "breakthroughness": v.breakthroughness, "linearity": v.linearity,
                     "step_ratio": v.step_ratio,
                     "ratio_ci": f"[{v.step_ratio_ci.low:.2f}, {v.step_ratio_ci.high:.2f}]",
                     "improvement": v.improvement, "jump": v.jump})
table = pd.DataFrame(rows)
print(table.round(3).to_string(index=False))
n_jump = table.groupby("metric")["jump"].sum()
print(f"curves that jump: acc {int(n_jump['acc'])} of {len(table) // 2} sizes, "
      f"acc_norm {int(n_jump['acc_norm'])} of {len(table) // 2}")
median = table.groupby("metric")["step_ratio"].median()
print(f"median step ratio: acc {median['acc']:.2f}, acc_norm {median['acc_norm']:.2f}")
