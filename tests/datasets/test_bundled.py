"""Tests for distscale.datasets: the bundled PolyPythias and Pythia-MMLU tables.

Reference values:
- the raw upstream files in ../shared/data (EleutherAI/features-across-time @ cd05b0c,
  output/; EleutherAI/pythia @ a19eecb, evals/pythia-v1/), read here with plain
  pandas/json; those tests skip when shared/data is absent;
- the Pythia JSON files copied into tests/data/pythia-v1-evals, from which the MMLU
  means are recomputed by hand (plain json + statistics.fmean);
- published numbers: the 14m final bigram losses split 8.35 / 8.30 (seeds 5, 6) against
  7.27-7.88 (other seeds), as in shared/data/README.md and the raw files; the Pythia
  total and non-embedding parameter counts of the Pythia README/model cards
  ("Naming convention and parameter count"), checked against the GPT-NeoX
  architecture (layers and width from the Pythia paper, Table 1).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import statistics
from fractions import Fraction
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from distscale import Population
from distscale.datasets import (
    PYTHIA_PARAMS,
    PYTHIA_VARIANTS,
    load_polypythias,
    load_pythia_mmlu,
)
from tests._helpers import REPO_ROOT

REPO = REPO_ROOT
FIXTURES = REPO / "tests" / "data" / "pythia-v1-evals"
SHARED = REPO.parent / "shared" / "data"
POLY_RAW = SHARED / "polypythias-ngram-losses" / "raw"
EVALS = SHARED / "pythia-v1-evals"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="shared/data next to the repository is absent"
)
DATA_DIR = resources.files("distscale.datasets").joinpath("data")

KL_COLUMNS = [
    f"{part}_{ngram}_logit_kl_div"
    for part in ("mean", "bottom_conf", "top_conf")
    for ngram in ("bigram", "unigram")
]


# --------------------------------------------------------------------------- parameter counts

# Published "Total params" and "Non-Embedding params" (Pythia README / model cards).
PUBLISHED = {
    "14m": (14_067_712, 1_189_888),
    "31m": (30_494_720, 4_739_072),
    "70m": (70_426_624, 18_915_328),
    "160m": (162_322_944, 85_056_000),
    "410m": (405_334_016, 302_311_424),
    "1b": (1_011_781_632, 805_736_448),
    "1.4b": (1_414_647_808, 1_208_602_624),
    "2.8b": (2_775_208_960, 2_517_652_480),
    "6.9b": (6_857_302_016, 6_444_163_072),
    "12b": (11_846_072_320, 11_327_027_200),
}
# (layers, d_model): Pythia paper Table 1 and the 14m/31m model configs.
ARCH = {
    "14m": (6, 128),
    "31m": (6, 256),
    "70m": (6, 512),
    "160m": (12, 768),
    "410m": (24, 1024),
    "1b": (16, 2048),
    "1.4b": (24, 2048),
    "2.8b": (32, 2560),
    "6.9b": (32, 4096),
    "12b": (36, 5120),
}
# Padded vocabulary of the untied input/output embeddings (the models' config.json).
VOCAB = {"6.9b": 50_432, "12b": 50_688}


def test_pythia_params_match_published_and_architecture():
    assert dict(PYTHIA_PARAMS) == {k: v[0] for k, v in PUBLISHED.items()}
    for size, (layers, d) in ARCH.items():
        # per layer: 2 LayerNorms (4d), QKV (3d^2 + 3d), output (d^2 + d),
        # MLP (4d^2 + 4d and 4d^2 + d); plus the final LayerNorm (2d)
        non_embedding = layers * (12 * d * d + 13 * d) + 2 * d
        assert non_embedding == PUBLISHED[size][1], size
        assert PYTHIA_PARAMS[size] - non_embedding == 2 * VOCAB.get(size, 50_304) * d, size


# --------------------------------------------------------------------------- PolyPythias


def test_polypythias_population_shape():
    pop = load_polypythias()
    assert isinstance(pop, Population)
    assert pop.scale == "params" and pop.seed == "seed"
    assert len(pop.metrics) == 24
    assert "mean_bigram_loss" in pop.metrics and "mean_unigram_logit_kl_div" in pop.metrics
    np.testing.assert_array_equal(
        pop.scales, [PYTHIA_PARAMS[s] for s in ("14m", "70m", "160m", "410m")]
    )
    assert pop.n_seeds().tolist() == [10, 10, 10, 5]
    frame = pop.to_frame()
    assert set(frame["step"]) == {143000}
    assert frame.groupby("model_size")["seed"].apply(sorted).to_dict() == {
        "14m": list(range(10)),
        "70m": list(range(10)),
        "160m": list(range(10)),
        "410m": list(range(5)),
    }


def test_polypythias_14m_bigram_loss_clusters():
    frame = load_polypythias(as_frame=True)
    at14 = frame[frame.model_size == "14m"].set_index("seed")["mean_bigram_loss"]
    assert at14[5] == pytest.approx(8.35, abs=0.005)
    assert at14[6] == pytest.approx(8.30, abs=0.005)
    others = at14.drop([5, 6])
    assert others.min() == pytest.approx(7.27, abs=0.005)
    assert others.max() == pytest.approx(7.88, abs=0.005)
    assert others.max() < 8.0 < at14[[5, 6]].min()


def test_polypythias_steps():
    every = load_polypythias(step=None, as_frame=True)
    assert every.shape == (665, 28)
    assert list(every.columns[:4]) == ["model_size", "params", "seed", "step"]
    assert every.groupby(["model_size", "seed"]).size().eq(19).all()
    assert sorted(every["step"].unique()) == [
        0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 1000, 2000, 4000, 8000, 16000, 33000, 66000,
        131000, 143000,
    ]  # fmt: skip
    early = load_polypythias(step=1000)
    assert early.n_runs == 35
    assert set(early.to_frame()["step"]) == {1000}
    assert load_polypythias(step=np.int64(1000)).n_runs == 35
    final = load_polypythias(as_frame=True)
    pd.testing.assert_frame_equal(
        final, every[every.step == 143000].reset_index(drop=True), check_dtype=False
    )


def test_polypythias_returns_fresh_copies():
    a = load_polypythias(as_frame=True)
    a.loc[0, "mean_bigram_loss"] = -1.0
    assert load_polypythias(as_frame=True).loc[0, "mean_bigram_loss"] != -1.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"step": None}, ValueError, "duplicate .*as_frame=True"),
        ({"step": 12345}, ValueError, r"`step` 12345 is not a checkpoint.*available steps: 0, 1, 2"),
        ({"step": "last"}, ValueError, "'final', an int or None"),
        ({"step": 1.5}, TypeError, "'final', an int or None; got float"),
        ({"step": True}, TypeError, "got bool"),
        ({"as_frame": "yes"}, TypeError, "`as_frame` must be True or False"),
        ({"as_frame": 1}, TypeError, "`as_frame`"),
    ],
)
def test_polypythias_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_polypythias(**kwargs)


@needs_shared
def test_polypythias_matches_raw_files():
    frame = load_polypythias(step=None, as_frame=True)
    files = sorted(POLY_RAW.glob("*_1024.csv"))
    assert len(files) == 35
    for path in files:
        name = path.name.removeprefix("means_ngrams_model_pythia-").removesuffix("_1024.csv")
        size, _, seed = name.partition("-seed")
        ours = frame[(frame.model_size == size) & (frame.seed == int(seed or 0))]
        ours = ours.reset_index(drop=True)
        main = pd.read_csv(path)
        kl = pd.read_csv(path.with_name(path.name.replace(".csv", "_kl_div.csv")))
        assert ours["step"].tolist() == main["step"].tolist()
        for column in main.columns.drop("step"):
            source = kl if column in KL_COLUMNS else main  # the _kl_div file supersedes
            np.testing.assert_array_equal(ours[column], source[column], err_msg=f"{name} {column}")
    # spot values from the raw files (14m seeds 5 and 6, final step)
    last = frame[(frame.model_size == "14m") & (frame.step == 143000)].set_index("seed")
    assert last.loc[5, "mean_bigram_loss"] == 8.347747802734375
    assert last.loc[6, "mean_bigram_loss"] == 8.2998046875


# --------------------------------------------------------------------------- Pythia MMLU


def mmlu_means(path: Path) -> tuple[float, float, int]:
    """Hand computation: unweighted mean of acc and acc_norm over hendrycksTest-* tasks."""
    with open(path) as fh:
        results = json.load(fh)["results"]
    subjects = [v for k, v in results.items() if k.startswith("hendrycksTest-")]
    return (
        statistics.fmean(s["acc"] for s in subjects),
        statistics.fmean(s["acc_norm"] for s in subjects),
        len(subjects),
    )


@pytest.mark.parametrize(
    ("fixture", "size", "variant", "step", "num_fewshot"),
    [
        ("pythia-160m-deduped/zero-shot/160m-deduped_step143000.json", "160m", "deduped", 143000, 0),
        ("pythia-160m-deduped/zero-shot/160m-deduped_step0.json", "160m", "deduped", 0, 0),
        ("pythia-160m/zero-shot/160m_step143000.json", "160m", "standard", 143000, 0),
        ("pythia-70m/zero-shot/70m_step143000.json", "70m", "standard", 143000, 0),
        ("pythia-70m-deduped/zero-shot/70m-deduped_step143000.json", "70m", "deduped", 143000, 0),
        ("pythia-70m/five-shot/70m-5shot_step143000.json", "70m", "standard", 143000, 5),
    ],
)
def test_mmlu_means_recomputed_from_json(fixture, size, variant, step, num_fewshot):
    acc, acc_norm, n = mmlu_means(FIXTURES / fixture)
    assert n == 57
    frame = load_pythia_mmlu(step=step, num_fewshot=num_fewshot, as_frame=True)
    row = frame[(frame.model_size == size) & (frame.variant == variant)]
    assert len(row) == 1
    row = row.iloc[0]
    assert row.mmlu_acc == pytest.approx(acc, rel=1e-13)
    assert row.mmlu_acc_norm == pytest.approx(acc_norm, rel=1e-13)
    assert row.n_subjects == 57
    assert row.params == PYTHIA_PARAMS[size]
    assert row.tokens == step * 2**21


def test_mmlu_hand_computed_value():
    # 160m-deduped, step 143000, zero-shot: (sum of the 57 subject accuracies) / 57 in exact
    # rational arithmetic = 0.25479532832669...
    path = FIXTURES / "pythia-160m-deduped/zero-shot/160m-deduped_step143000.json"
    with open(path) as fh:
        results = json.load(fh)["results"]
    accs = [Fraction(v["acc"]) for k, v in results.items() if k.startswith("hendrycksTest-")]
    assert len(accs) == 57
    exact = float(sum(accs) / 57)
    assert exact == pytest.approx(0.2547953283267, abs=1e-13)
    pop = load_pythia_mmlu()
    assert pop.wide("mmlu_acc").loc["deduped", float(PYTHIA_PARAMS["160m"])] == pytest.approx(
        exact, rel=1e-14
    )


def test_mmlu_population_default():
    pop = load_pythia_mmlu()
    assert isinstance(pop, Population)
    assert pop.scale == "params" and pop.seed == "variant"
    assert pop.metrics == ("mmlu_acc", "mmlu_acc_norm")
    sizes = ["70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b"]
    np.testing.assert_array_equal(pop.scales, [PYTHIA_PARAMS[s] for s in sizes])
    # upstream has no standard (non-deduplicated) 1b evaluation
    assert pop.n_seeds().tolist() == [2, 2, 2, 1, 2, 2, 2, 2]
    frame = pop.to_frame()
    assert set(frame.step) == {143000} and set(frame.num_fewshot) == {0}
    assert frame.mmlu_acc.between(0.2, 0.35).all()  # near chance (0.25) for Pythia


def test_mmlu_variants_and_final_step():
    frame = load_pythia_mmlu(
        num_fewshot=5, variants=("0.5MtokBS", "0.25MtokBS", "1MtokBS", "bf16"), as_frame=True
    )
    steps = frame.set_index(["model_size", "variant"])["step"].to_dict()
    assert steps == {
        ("70m", "0.25MtokBS"): 1_144_000,
        ("160m", "0.5MtokBS"): 572_000,
        ("410m", "0.5MtokBS"): 572_000,
        ("1b", "0.5MtokBS"): 572_000,
        ("1b", "bf16"): 143_000,
        ("1.4b", "1MtokBS"): 286_000,
    }
    assert (frame.tokens == 299_892_736_000).all()  # 143,000 steps of 2**21 tokens
    single = load_pythia_mmlu(variants="deduped")
    assert single.n_seeds().tolist() == [1] * 8


def test_mmlu_all_rows():
    every = load_pythia_mmlu(step=None, num_fewshot=None, variants=tuple(
        ["standard", "deduped", "bf16", "1MtokBS", "0.5MtokBS", "0.25MtokBS"]
    ), as_frame=True)
    assert len(every) == 746
    assert list(every.columns) == [
        "model_size", "params", "variant", "step", "tokens", "num_fewshot", "n_subjects",
        "mmlu_acc", "mmlu_acc_norm",
    ]  # fmt: skip
    assert not every.duplicated(["model_size", "variant", "step", "num_fewshot"]).any()
    zero = load_pythia_mmlu(step=None, as_frame=True)
    assert zero.groupby(["model_size", "variant"]).size().eq(27).all()
    five = load_pythia_mmlu(step=None, num_fewshot=5, as_frame=True)
    assert five.groupby(["model_size", "variant"]).size().eq(15).all()
    assert load_pythia_mmlu(step=3000, num_fewshot=5).n_runs == 15


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"variants": ("standard", "foo")}, ValueError, r"unknown `variants` \['foo'\]"),
        ({"variants": ()}, ValueError, "`variants` is empty"),
        ({"variants": 5}, TypeError, "`variants` must be a sequence"),
        ({"num_fewshot": 3}, ValueError, "`num_fewshot` must be 0 or 5"),
        ({"num_fewshot": "0"}, TypeError, "`num_fewshot` must be 0, 5 or None; got str"),
        ({"num_fewshot": True}, TypeError, "got bool"),
        ({"num_fewshot": None}, ValueError, "appear twice.*as_frame=True"),
        ({"step": None}, ValueError, "duplicate .*as_frame=True"),
        ({"step": "first"}, ValueError, "'final', an int or None"),
        ({"step": 2.0}, TypeError, "got float"),
        ({"step": 5000}, ValueError, r"`step` 5000 is not a checkpoint.*available steps: 0, 1, 2,"),
        ({"variants": ("0.5MtokBS",)}, ValueError, r"no 0-shot MMLU evaluations.*num_fewshot \[5\]"),
        (
            {"variants": ("0.5MtokBS",), "num_fewshot": 5, "step": 143000},
            ValueError,
            "available steps: 12000, 52000",
        ),
        ({"as_frame": None}, TypeError, "`as_frame`"),
    ],
)
def test_mmlu_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_pythia_mmlu(**kwargs)


@needs_shared
def test_mmlu_table_matches_every_raw_file():
    """Each bundled row equals a plain-json recomputation from its upstream file."""
    table = load_pythia_mmlu(
        step=None, num_fewshot=None, variants=PYTHIA_VARIANTS, as_frame=True
    ).set_index(["model_size", "variant", "step", "num_fewshot"])
    seen = set()
    for path in sorted(EVALS.rglob("*.json")):
        if path.parent.name in ("baseline", "intervention"):
            continue
        with open(path) as fh:
            doc = json.load(fh)
        args = dict(kv.split("=", 1) for kv in doc["config"]["model_args"].split(","))
        name = args["pretrained"].removeprefix("EleutherAI/pythia-v1.1-")
        size, _, variant = name.partition("-")
        key = (size, variant or "standard", int(args["revision"].removeprefix("step")),
               doc["config"]["num_fewshot"])  # fmt: skip
        acc, acc_norm, n = mmlu_means(path)
        assert n == 57
        assert table.loc[key, "mmlu_acc"] == pytest.approx(acc, rel=1e-13), path
        assert table.loc[key, "mmlu_acc_norm"] == pytest.approx(acc_norm, rel=1e-13), path
        seen.add(key)
    assert len(seen) == len(table) == 746


# --------------------------------------------------------------------------- packaging


def test_bundled_files_licenses_and_patterns():
    names = sorted(p.name for p in DATA_DIR.iterdir())
    assert names == [
        "LICENSE-polypythias-MIT.txt",
        "LICENSE-pythia-Apache-2.0.txt",
        "README.md",
        "count_population.csv.gz",
        "count_population.md",
        "polypythias_ngram.csv.gz",
        "pythia_mmlu.csv",
    ]
    assert "MIT License" in DATA_DIR.joinpath("LICENSE-polypythias-MIT.txt").read_text()
    assert "Apache License" in DATA_DIR.joinpath("LICENSE-pythia-Apache-2.0.txt").read_text()
    readme = DATA_DIR.joinpath("README.md").read_text()
    assert "cd05b0c304b1ae2f06ac8292909d780088388147" in readme
    assert "a19eecb807ec2c79a39ebf18108816e6ffffc1d5" in readme
    total = sum(len(DATA_DIR.joinpath(n).read_bytes()) for n in names)
    assert total < 400_000
    # every file is shipped by the package-data patterns in pyproject.toml
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    with open(REPO / "pyproject.toml", "rb") as fh:
        patterns = tomllib.load(fh)["tool"]["setuptools"]["package-data"]["distscale.datasets"]
    for name in names:
        assert any(fnmatch.fnmatch(f"data/{name}", p) for p in patterns), name


def test_fixture_keeps_license_and_notice():
    assert "Apache License" in (FIXTURES / "LICENSE").read_text()
    notice = (FIXTURES / "README.md").read_text()
    assert "a19eecb807ec2c79a39ebf18108816e6ffffc1d5" in notice and "evals/pythia-v1/" in notice


@needs_shared
def test_make_datasets_reproduces_bundled_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_datasets", REPO / "scripts" / "make_datasets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.write_all(SHARED, tmp_path)
    assert len(written) == 4
    for path in written.values():
        assert path.read_bytes() == DATA_DIR.joinpath(path.name).read_bytes(), path.name
