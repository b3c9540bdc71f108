"""Build the bundled datasets of :mod:`distscale.datasets` from the raw upstream files.

This script is kept in the repository and is rerunnable: it reads the raw
public data (a copy lives in ``shared/data`` next to the repository, see its
README) and rewrites the compact files under ``distscale/datasets/data/``::

    python scripts/make_datasets.py                       # source: ../shared/data
    python scripts/make_datasets.py --source /path/to/shared/data --out distscale/datasets/data

Output (byte-for-byte reproducible: fixed row order, full float precision,
gzip without a timestamp):

``polypythias_ngram.csv.gz``
    From EleutherAI/features-across-time @ cd05b0c304b1ae2f06ac8292909d780088388147,
    ``output/means_ngrams_model_pythia-{size}[-seed{k}]_1024.csv`` and
    ``..._1024_kl_div.csv`` (MIT). One row per size x seed x checkpoint.
    No seed suffix means seed 0, the original Pythia run. The loss, JS
    divergence and confidence-bound columns come from the main file; the KL
    divergence columns (same names in both files, different numbers) come from
    the ``_kl_div`` file, which upstream's own plotting code (``add_kl_data`` in
    ``scripts/plot_ngram.py``) uses to overwrite the main file's KL columns:
    it is a later recomputation of D_KL(n-gram model || Pythia) on Pile
    validation text. Adds ``model_size`` and ``params`` (total parameters,
    from :data:`distscale.datasets._pythia.PYTHIA_PARAMS`).

``pythia_mmlu.csv``
    From EleutherAI/pythia @ a19eecb807ec2c79a39ebf18108816e6ffffc1d5,
    ``evals/pythia-v1/`` (Apache-2.0): for every lm-evaluation-harness result
    file that scores all 57 MMLU subjects (``hendrycksTest-*``), the
    unweighted mean over subjects of ``acc`` and ``acc_norm``. Size, variant
    and checkpoint are read from ``config.model_args``
    (``pretrained=EleutherAI/pythia-v1.1-{size}[-{variant}],revision=step{N}``)
    and ``num_fewshot`` from ``config.num_fewshot``, not from the (partly
    inconsistent) file names. Excluded: the ``baseline/`` and
    ``intervention/`` folders (the gender-pronoun intervention study: its
    "baseline" files re-evaluate the deduplicated runs with slightly
    different numbers, and the intervention models are fine-tunes of them).

The two upstream LICENSE files are copied next to the data as
``LICENSE-polypythias-MIT.txt`` and ``LICENSE-pythia-Apache-2.0.txt``.
``distscale/datasets/data/README.md`` (provenance, written by hand) must be
updated if the sources change.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from distscale.datasets._pythia import PYTHIA_BATCH_TOKENS, PYTHIA_PARAMS  # noqa: E402
from distscale.io import read_lm_eval  # noqa: E402

DEFAULT_SOURCE = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "distscale" / "datasets" / "data"

POLYPYTHIAS_FILE = "polypythias_ngram.csv.gz"
MMLU_FILE = "pythia_mmlu.csv"
N_MMLU_SUBJECTS = 57
FINAL_TOKENS = 143_000 * 2**21  # 299,892,736,000 tokens: every Pythia run's full budget

_POLY_NAME = re.compile(
    r"means_ngrams_model_pythia-(?P<size>[0-9.]+[mb])(?:-seed(?P<seed>\d+))?_1024\.csv"
)
_MODEL_ARGS = re.compile(
    r"pretrained=EleutherAI/(?P<prefix>[a-z]+-)?pythia-v1\.1-(?P<size>[0-9.]+[mb])"
    r"(?:-(?P<variant>[^,]+))?,revision=step(?P<step>\d+)"
)


def build_polypythias(raw_dir: Path) -> pd.DataFrame:
    """One tidy table from the per-seed n-gram loss files."""
    frames = []
    for main_path in sorted(raw_dir.glob("means_ngrams_model_pythia-*_1024.csv")):
        match = _POLY_NAME.fullmatch(main_path.name)
        if match is None:
            raise ValueError(f"unexpected file name {main_path.name}")
        size, seed = match["size"], int(match["seed"] or 0)
        main = pd.read_csv(main_path)
        kl_path = main_path.with_name(main_path.name.replace(".csv", "_kl_div.csv"))
        kl = pd.read_csv(kl_path)
        if main["step"].tolist() != kl["step"].tolist():
            raise ValueError(f"{main_path.name} and {kl_path.name} list different steps")
        # Exact duplicate columns (same name, same numbers) would be dropped here; in the
        # upstream files none are: the shared KL column names hold different numbers, and the
        # _kl_div file supersedes them (see the module docstring).
        superseded = [c for c in kl.columns if c != "step" and c in main.columns]
        table = pd.concat(
            [main.drop(columns=superseded), kl.drop(columns="step")], axis=1, verify_integrity=True
        )
        table.insert(0, "seed", seed)
        table.insert(0, "params", PYTHIA_PARAMS[size])
        table.insert(0, "model_size", size)
        frames.append(table)
    if not frames:
        raise FileNotFoundError(f"no means_ngrams_model_pythia-*_1024.csv files in {raw_dir}")
    data = pd.concat(frames, ignore_index=True)
    columns = ["model_size", "params", "seed", "step"]
    data = data[columns + [c for c in data.columns if c not in columns]]
    data = data.sort_values(["params", "seed", "step"], kind="stable").reset_index(drop=True)
    if data.duplicated(["model_size", "seed", "step"]).any():
        raise ValueError("duplicate (model_size, seed, step) rows")
    if data.isna().any().any():
        raise ValueError("the PolyPythias tables contain missing values")
    return data


def build_pythia_mmlu(evals_dir: Path) -> pd.DataFrame:
    """Mean MMLU accuracy over the 57 subjects for every Pythia result file."""
    scores = read_lm_eval(
        evals_dir,
        scale=r"pythia-(?P<scale>[0-9.]+[mb])[-/]",
        tasks=r"^hendrycksTest-",
        metrics=("acc", "acc_norm"),
    )
    excluded = scores["path"].str.contains("/baseline/|/intervention/", regex=True)
    scores = scores.loc[~excluded]
    wide = scores.pivot_table(
        index=["path", "model_args", "num_fewshot"],
        columns="metric",
        values="value",
        aggfunc="mean",
    )
    counts = scores.groupby(["path", "metric"])["task"].nunique().unstack()
    if not (counts == N_MMLU_SUBJECTS).all().all():
        raise ValueError(f"some files do not score all {N_MMLU_SUBJECTS} MMLU subjects")
    rows = []
    for (path, model_args, num_fewshot), means in wide.iterrows():
        match = _MODEL_ARGS.search(model_args)
        if match is None or match["prefix"]:
            raise ValueError(f"unexpected model_args {model_args!r} in {path}")
        variant = match["variant"] or "standard"
        step = int(match["step"])
        rows.append(
            {
                "model_size": match["size"],
                "params": PYTHIA_PARAMS[match["size"]],
                "variant": variant,
                "step": step,
                "tokens": step * PYTHIA_BATCH_TOKENS[variant],
                "num_fewshot": int(num_fewshot),
                "n_subjects": int(counts.loc[path, "acc"]),
                "mmlu_acc": float(means["acc"]),
                "mmlu_acc_norm": float(means["acc_norm"]),
            }
        )
    data = pd.DataFrame(rows)
    key = ["model_size", "variant", "step", "num_fewshot"]
    if data.duplicated(key).any():
        dup = data.loc[data.duplicated(key, keep=False), key]
        raise ValueError(f"several files for the same run and checkpoint:\n{dup}")
    final = data.groupby(["model_size", "variant"])["tokens"].max()
    if not (final == FINAL_TOKENS).all():
        raise ValueError(f"a run's last checkpoint is not at {FINAL_TOKENS} tokens:\n{final}")
    order = {v: i for i, v in enumerate(PYTHIA_BATCH_TOKENS)}
    data = data.assign(_order=data["variant"].map(order))
    data = data.sort_values(["params", "_order", "num_fewshot", "step"], kind="stable")
    return data.drop(columns="_order").reset_index(drop=True)


def write_all(source: Path, out: Path) -> dict[str, Path]:
    """Build both tables and copy the licenses into ``out``; return the written paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    poly = build_polypythias(source / "polypythias-ngram-losses" / "raw")
    path = out / POLYPYTHIAS_FILE
    poly.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0})
    written["polypythias"] = path
    mmlu = build_pythia_mmlu(source / "pythia-v1-evals")
    path = out / MMLU_FILE
    mmlu.to_csv(path, index=False)
    written["pythia_mmlu"] = path
    for src, name in [
        (source / "polypythias-ngram-losses" / "LICENSE", "LICENSE-polypythias-MIT.txt"),
        (source / "pythia-v1-evals" / "LICENSE", "LICENSE-pythia-Apache-2.0.txt"),
    ]:
        shutil.copyfile(src, out / name)
        written[name] = out / name
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_SOURCE, help="the shared/data folder"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the files")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        parser.error(f"source folder {args.source} does not exist")
    for name, path in write_all(args.source, args.out).items():
        print(f"{name:32s} {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
