"""Tests for distscale.io: parse_size, read_population, read_lm_eval.

Reference values come from outside the reader:
- the real Pythia lm-evaluation-harness files copied into tests/data/pythia-v1-evals
  (EleutherAI/pythia @ a19eecb, evals/pythia-v1/, Apache-2.0), read here with the plain
  ``json`` module -- e.g. 160m-deduped step 143000 hendrycksTest-college_physics
  acc = 0.2647058823529412, acc_stderr = 0.04389869956808778 (values in the file);
- the hand-written lm-eval >= 0.4 fixture in tests/data/lm-eval-0.4 (layout documented
  in its README);
- tables built here and read back through pandas, compared with a Population built
  directly from the same frame.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import distscale
from distscale import DroppedRowsWarning, Population
from distscale.io import parse_size, read_lm_eval, read_population
from tests._helpers import SHARED_DATA, TEST_DATA

DATA = TEST_DATA
PYTHIA = DATA / "pythia-v1-evals"
LMEVAL04 = DATA / "lm-eval-0.4"
PYTHIA_160M_DEDUPED_FINAL = PYTHIA / "pythia-160m-deduped/zero-shot/160m-deduped_step143000.json"
SHARED_EVALS = SHARED_DATA / "pythia-v1-evals"

SIZE = r"pythia-(?P<scale>[0-9.]+[mb])"


def load(path: Path) -> dict:
    with open(path) as fh:
        return json.load(fh)


def same_rows(got, expected) -> bool:
    """Compare lists of row tuples regardless of order, treating NaN as equal to NaN."""

    def norm(rows):
        return sorted(
            (tuple("NaN" if isinstance(x, float) and math.isnan(x) else x for x in r) for r in rows),
            key=str,
        )

    return norm(got) == norm(expected)


def runs_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "depth": [1, 1, 1, 2, 2, 2],
            "seed": [0, 1, 2, 0, 1, 2],
            "acc": [0.0, 0.1, 0.05, 0.9, 0.8, 0.0],
            "loss": [3.0, 2.9, 3.1, 1.0, 1.1, 3.0],
        }
    )


def direct() -> Population:
    return Population(runs_frame(), scale="depth", seed="seed", value=["acc", "loss"])


# --------------------------------------------------------------------------- parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.4b", 1.4e9),
        ("1.4B", 1.4e9),
        ("160m", 160e6),
        ("70M", 70e6),
        ("14m", 14e6),
        ("12k", 12e3),
        ("2t", 2e12),
        ("6.9b", 6.9e9),
        ("2.8b", 2.8e9),
        ("350", 350.0),
        (" 410m ", 410e6),
        (".5k", 500.0),
        ("1e3", 1000.0),
        ("1.5e2k", 150_000.0),
    ],
)
def test_parse_size_values(text, expected):
    # Exact in decimal: "1.4b" is 1400000000 exactly, the float nearest to 1.4e9.
    assert parse_size(text) == expected


def test_parse_size_passes_numbers_through():
    assert parse_size(7) == 7.0
    assert parse_size(np.float64(2.5e9)) == 2.5e9
    assert isinstance(parse_size(7), float)


@pytest.mark.parametrize("bad", ["", "abc", "1.4x", "1.4bb", "b", "1,4b", "-", "inf", "1.4 b b"])
def test_parse_size_rejects_bad_text(bad):
    with pytest.raises(ValueError, match="model size"):
        parse_size(bad)


@pytest.mark.parametrize("bad", [None, True, [1], b"1m"])
def test_parse_size_rejects_bad_types(bad):
    with pytest.raises(TypeError, match="`size`"):
        parse_size(bad)


def test_parse_size_rejects_non_finite_numbers():
    with pytest.raises(ValueError, match="not a finite"):
        parse_size(float("nan"))
    with pytest.raises(ValueError, match="not a finite"):
        parse_size(math.inf)


# --------------------------------------------------------------------------- read_population


@pytest.mark.parametrize("name", ["runs.csv", "runs.CSV", "runs.csv.gz", "runs.csv.bz2"])
def test_read_population_csv_matches_direct_population(tmp_path, name):
    path = tmp_path / name
    runs_frame().to_csv(path, index=False)
    pop = read_population(path, scale="depth", seed="seed", value=["acc", "loss"])
    pd.testing.assert_frame_equal(pop.to_frame(), direct().to_frame(), check_dtype=False)
    assert pop.metrics == ("acc", "loss")


@pytest.mark.parametrize("name", ["runs.tsv", "runs.tsv.gz", "runs.tab"])
def test_read_population_tsv(tmp_path, name):
    path = tmp_path / name
    runs_frame().to_csv(path, sep="\t", index=False)
    pop = read_population(str(path), scale="depth", seed="seed", value="acc")
    np.testing.assert_array_equal(pop.scales, [1.0, 2.0])
    assert [v.tolist() for v in pop.values()] == [[0.0, 0.1, 0.05], [0.9, 0.8, 0.0]]


@pytest.mark.parametrize("name", ["runs.parquet", "runs.pq"])
def test_read_population_parquet(tmp_path, name):
    path = tmp_path / name
    runs_frame().to_parquet(path, index=False)
    pop = read_population(path, scale="depth", seed="seed", value=["acc", "loss"])
    pd.testing.assert_frame_equal(pop.to_frame(), direct().to_frame(), check_dtype=False)


def test_read_population_format_override_and_read_kwargs(tmp_path):
    path = tmp_path / "runs.txt"
    runs_frame().to_csv(path, sep=";", index=False)
    pop = read_population(path, scale="depth", seed="seed", value="loss", format="CSV", sep=";")
    assert pop.n_runs == 6
    # format= also overrides a misleading extension
    path = tmp_path / "really_parquet.csv"
    runs_frame().to_parquet(path)
    pop = read_population(path, scale="depth", seed="seed", value="acc", format="parquet")
    assert pop.n_runs == 6
    # read_kwargs reach pandas (parquet: columns=)
    pop = read_population(
        path, scale="depth", seed="seed", value="acc", format="parquet", columns=["depth", "seed", "acc"]
    )
    assert list(pop.to_frame().columns) == ["depth", "seed", "acc"]


def test_read_population_task_and_dropna(tmp_path):
    frame = pd.DataFrame(
        {
            "n": [1, 1, 1, 1],
            "s": [0, 1, 0, 1],
            "t": ["a", "a", "b", "b"],
            "y": [0.1, np.nan, 0.3, 0.4],
        }
    )
    path = tmp_path / "tasks.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(DroppedRowsWarning, match="dropped 1 of 4"):
        pop = read_population(path, scale="n", seed="s", value="y", task="t", dropna=True)
    assert pop.tasks == ("a", "b")
    with pytest.raises(ValueError, match=r"tasks\.csv': `value` column 'y' has 1 NaN"):
        read_population(path, scale="n", seed="s", value="y", task="t")


def test_read_population_missing_file_names_path(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=re.escape(str(path))):
        read_population(path, scale="a", seed="b", value="c")


def test_read_population_directory(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        read_population(tmp_path, scale="a", seed="b", value="c")


def test_read_population_bad_path_type():
    with pytest.raises(TypeError, match="`path`"):
        read_population(123, scale="a", seed="b", value="c")


def test_read_population_unknown_extension(tmp_path):
    path = tmp_path / "runs.xlsx"
    path.write_bytes(b"whatever")
    with pytest.raises(ValueError, match=r"cannot tell the format.*format='csv'"):
        read_population(path, scale="a", seed="b", value="c")
    path = tmp_path / "runs.parquet.gz"
    path.write_bytes(b"whatever")
    with pytest.raises(ValueError, match="cannot tell the format"):
        read_population(path, scale="a", seed="b", value="c")


def test_read_population_bad_format_argument(tmp_path):
    path = tmp_path / "runs.csv"
    runs_frame().to_csv(path, index=False)
    with pytest.raises(ValueError, match="`format` must be one of"):
        read_population(path, scale="depth", seed="seed", value="acc", format="xlsx")
    with pytest.raises(ValueError, match="`format` must be one of"):
        read_population(path, scale="depth", seed="seed", value="acc", format=1)


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("empty.csv", b"", "csv"),  # nothing to parse
        ("garbage.parquet", b"this is not parquet at all", "parquet"),
        ("text.pq", b"depth,seed,acc\n1,0,0.5\n", "parquet"),
        ("broken.csv.gz", b"not gzip data", "csv"),
    ],
)
def test_read_population_garbled_file_is_one_readable_error(tmp_path, name, content, fmt):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"could not read '.*{re.escape(name)}' as {fmt}: ") as info:
        read_population(path, scale="depth", seed="seed", value="acc")
    assert "\n" not in str(info.value)
    assert info.value.__cause__ is not None  # the parser's own error is kept as the cause


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        # not text: the line of the first byte that is not UTF-8
        ("binary.csv", bytes(range(256)) * 8, r"', line 2: not valid utf-8 text \(byte 0x80"),
        # a row too long: its line and field count (pandas' own message named only the first)
        ("ragged.csv", b"depth,seed,acc\n1,0,0.5\n1,1,0.5,9,9,9\n",
         r"', line 3: 6 fields, the header has 3 \("),
    ],
)
def test_read_population_malformed_text_names_file_and_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(str(path)) + message) as info:
        read_population(path, scale="depth", seed="seed", value="acc")
    assert "\n" not in str(info.value)
    assert info.value.__cause__ is not None  # the parser's own error is kept as the cause


def test_read_population_missing_column_names_file_and_columns(tmp_path):
    path = tmp_path / "runs.csv"
    runs_frame().to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"runs\.csv.*'width' not found.*available columns"):
        read_population(path, scale="width", seed="seed", value="acc")


def test_read_population_non_numeric_metric_is_type_error(tmp_path):
    frame = runs_frame().assign(acc=["x", "0.1", "0.2", "0.3", "0.4", "0.5"])
    path = tmp_path / "runs.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(TypeError, match=r"runs\.csv.*'acc' must be numeric"):
        read_population(path, scale="depth", seed="seed", value="acc")


def test_read_population_bad_read_kwarg_is_type_error(tmp_path):
    path = tmp_path / "runs.csv"
    runs_frame().to_csv(path, index=False)
    with pytest.raises(TypeError, match="no_such_option"):
        read_population(path, scale="depth", seed="seed", value="acc", no_such_option=1)


# --------------------------------------------------------------------------- read_lm_eval: old layout


def test_pythia_college_physics_value_and_stderr():
    # Published values, in the file (EleutherAI/pythia evals/pythia-v1):
    # acc = 0.2647058823529412, acc_stderr = 0.04389869956808778.
    df = read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, metrics=("acc", "acc_norm"))
    row = df[(df.task == "hendrycksTest-college_physics") & (df.metric == "acc")]
    assert len(row) == 1
    row = row.iloc[0]
    assert row.value == 0.2647058823529412
    assert row.stderr == 0.04389869956808778
    assert row.scale == 160e6
    assert row["filter"] == "none"
    assert row.num_fewshot == 0
    assert row.model_args == "pretrained=EleutherAI/pythia-v1.1-160m-deduped,revision=step143000"
    assert row.path == PYTHIA_160M_DEDUPED_FINAL.as_posix()
    assert not row.is_group
    assert "seed" not in df.columns


def test_old_layout_every_value_matches_the_json():
    """One row per file x task x metric, values and stderr taken straight from each file."""
    df = read_lm_eval(PYTHIA, scale=SIZE, metrics=None)
    files = sorted(PYTHIA.rglob("*.json"))
    assert len(files) == 6
    expected = []
    for f in files:
        doc = load(f)
        for task, entry in doc["results"].items():
            for key, v in entry.items():
                if not key.endswith("_stderr"):
                    expected.append(
                        (f.as_posix(), task, key, v, entry.get(key + "_stderr", math.nan), doc["config"]["num_fewshot"])
                    )
    got = list(
        df[["path", "task", "metric", "value", "stderr", "num_fewshot"]].itertuples(index=False, name=None)
    )
    assert same_rows(got, expected)
    assert set(df["filter"]) == {"none"}
    assert df["stderr"].notna().all()  # every metric in these files has a stderr


def test_old_layout_five_shot_and_scale_values():
    df = read_lm_eval(PYTHIA, scale=SIZE, tasks=r"^hendrycksTest-", metrics=("acc",))
    fewshot = df.groupby("path")["num_fewshot"].first()
    assert fewshot[(PYTHIA / "pythia-70m/five-shot/70m-5shot_step143000.json").as_posix()] == 5
    assert (fewshot.drop((PYTHIA / "pythia-70m/five-shot/70m-5shot_step143000.json").as_posix()) == 0).all()
    assert sorted(df["scale"].unique()) == [70e6, 160e6]
    # 57 MMLU subjects in each of the 6 files
    assert df.groupby("path")["task"].nunique().tolist() == [57] * 6


def test_old_layout_missing_stderr_is_nan(tmp_path):
    doc = {"results": {"toy": {"acc": 0.5, "acc_stderr": 0.1, "ppl": 12.0}}, "config": {"num_fewshot": 3}}
    (tmp_path / "m-70m.json").write_text(json.dumps(doc))
    df = read_lm_eval(tmp_path / "m-70m.json", scale=r"-(\w+)\.json", metrics=None).set_index("metric")
    assert df.loc["acc", "stderr"] == 0.1
    assert math.isnan(df.loc["ppl", "stderr"])
    assert df.loc["ppl", "value"] == 12.0
    assert df["num_fewshot"].tolist() == [3, 3]
    assert "model_args" not in df.columns


def test_columns_without_config_are_left_out(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps({"results": {"toy": {"acc": 0.5}}}))
    df = read_lm_eval(tmp_path, scale=1e6)
    assert list(df.columns) == ["path", "scale", "task", "is_group", "metric", "filter", "value", "stderr"]
    assert df.loc[0, "scale"] == 1e6


# --------------------------------------------------------------------------- read_lm_eval: lm-eval >= 0.4


def lmeval04(**kw) -> pd.DataFrame:
    args = {"scale": r"pythia-(\d+m)", "seed": r"seed(?P<seed>\d+)", "metrics": None}
    args.update(kw)
    return read_lm_eval(LMEVAL04, **args)


def test_new_layout_every_value_matches_the_json():
    df = lmeval04()
    files = sorted(LMEVAL04.rglob("*.json"))
    assert len(files) == 3  # the samples_*.jsonl file is not read
    expected = []
    for f in files:
        doc = load(f)
        for task, entry in doc["results"].items():
            for key, v in entry.items():
                if "," in key and "_stderr," not in key:
                    metric, filt = key.split(",")
                    s = entry[f"{metric}_stderr,{filt}"]
                    expected.append((f.as_posix(), task, metric, filt, v, s if s != "N/A" else math.nan))
    got = list(df[["path", "task", "metric", "filter", "value", "stderr"]].itertuples(index=False, name=None))
    assert same_rows(got, expected)
    assert "alias" not in set(df.metric) and "sample_len" not in set(df.metric)


def test_new_layout_filters_groups_fewshot_seeds():
    df = lmeval04()
    seed1 = df[df.path.str.contains("160m-seed1")]
    gsm = seed1[seed1.task == "gsm8k"].set_index("filter")
    assert gsm.loc["strict-match", "value"] == 0.0015163002274450341
    assert gsm.loc["flexible-extract", "stderr"] == 0.0038289829787357113
    assert set(gsm.metric) == {"exact_match"}
    assert (gsm.num_fewshot == 5).all()
    # "N/A" stderr -> NaN; a real stderr is kept
    assert seed1[seed1.task == "tinyArc"].stderr.isna().all()
    assert seed1[seed1.task == "wikitext"].stderr.isna().all()
    assert seed1[seed1.task == "tinyArc"].num_fewshot.tolist() == [25]
    # group aggregates are flagged; they have no n-shot entry
    groups = df[df.is_group]
    assert set(groups.task) == {"mmlu", "mmlu_humanities"}
    assert groups.num_fewshot.isna().all()
    assert not df[~df.is_group].task.isin(["mmlu", "mmlu_humanities"]).any()
    # seeds and scales parsed from the directory names
    assert sorted(df.seed.unique().tolist()) == [1, 2]
    assert df.groupby("scale").seed.unique().map(sorted).to_dict() == {160e6: [1, 2], 410e6: [1]}
    # a dict model_args is written as k=v pairs
    args = df[df.path.str.contains("410m")].model_args.unique().tolist()
    assert args == ["pretrained=EleutherAI/pythia-410m-seed1,revision=step143000,dtype=float32"]


def test_new_layout_to_population():
    df = lmeval04(tasks=["arc_easy"], metrics=("acc",))
    assert len(df) == 3
    pop = Population(df, scale="scale", seed="seed", value="value")
    assert pop.n_seeds().tolist() == [2, 1]
    assert [v.tolist() for v in pop.values()] == [
        [0.4364478114478115, 0.4208754208754209],
        [0.5168350168350169],
    ]


def test_both_layouts_together_and_path_forms():
    df = read_lm_eval(
        [LMEVAL04, PYTHIA / "pythia-70m", str(PYTHIA_160M_DEDUPED_FINAL), PYTHIA_160M_DEDUPED_FINAL],
        scale=lambda p: re.search(r"pythia-(\d+m)", p.as_posix()).group(1),
        tasks=["arc_easy"],
        metrics=["acc", "acc_norm"],
    )
    # 3 new-layout files + 2 pythia-70m files + 1 (duplicates removed) = 6 files; acc and acc_norm each
    assert df.path.nunique() == 6
    assert len(df) == 12
    old = df[df.path == PYTHIA_160M_DEDUPED_FINAL.as_posix()].set_index("metric")
    arc = load(PYTHIA_160M_DEDUPED_FINAL)["results"]["arc_easy"]
    assert old.loc["acc", "value"] == arc["acc"]
    assert old.loc["acc_norm", "stderr"] == arc["acc_norm_stderr"]


def test_glob_and_directory_recursion():
    by_glob = read_lm_eval(str(PYTHIA) + "/**/*step143000.json", scale=SIZE, tasks=["arc_easy"])
    assert by_glob.path.nunique() == 5
    one = read_lm_eval(str(PYTHIA / "pythia-160m*" / "zero-shot" / "*.json"), scale=SIZE, tasks=["arc_easy"])
    assert one.path.nunique() == 3


def test_existing_path_with_glob_characters_is_literal(tmp_path):
    folder = tmp_path / "run[1]"
    folder.mkdir()
    (folder / "r.json").write_text(json.dumps({"results": {"toy": {"acc": 0.5}}}))
    df = read_lm_eval(str(folder), scale=1)
    assert df.path.tolist() == [(folder / "r.json").as_posix()]


def test_tasks_filters():
    names = read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, tasks=["arc_easy", "piqa"])
    assert sorted(names.task) == ["arc_easy", "piqa"]
    regex = read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, tasks=r"^arc_")
    assert sorted(regex.task) == ["arc_challenge", "arc_easy"]
    pred = read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, tasks=lambda t: t.startswith("hendrycksTest-"))
    assert pred.task.nunique() == 57
    compiled = read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, tasks=re.compile("sciq"))
    assert compiled.task.tolist() == ["sciq"]


def test_seed_callable_and_string_labels():
    df = read_lm_eval(
        PYTHIA,
        scale=SIZE,
        seed=lambda p: "deduped" if "deduped" in p.as_posix() else "standard",
        tasks=["arc_easy"],
    )
    assert set(df.seed) == {"deduped", "standard"}
    named = read_lm_eval(PYTHIA, scale=SIZE, seed=r"pythia-[0-9]+m-?(?P<seed>[a-z]*)/", tasks=["arc_easy"])
    assert set(named.seed) == {"", "deduped"}


def test_top_level_exports():
    assert distscale.read_lm_eval is read_lm_eval
    assert distscale.read_population is read_population
    assert "read_lm_eval" in distscale.__all__ and "read_population" in distscale.__all__


@pytest.mark.skipif(not SHARED_EVALS.is_dir(), reason="shared/data next to the repository is absent")
def test_every_shared_pythia_file_reads():
    df = read_lm_eval(SHARED_EVALS, scale=SIZE, tasks=["hendrycksTest-college_physics"])
    # 876 files; 51 baseline/intervention files score other tasks only
    assert df.path.nunique() == 876 - 51
    row = df[df.path.str.endswith("pythia-160m-deduped/zero-shot/160m-deduped_step143000.json")]
    assert row.value.tolist() == [0.2647058823529412]


# --------------------------------------------------------------------------- read_lm_eval: errors


def test_error_no_files(tmp_path):
    with pytest.raises(ValueError, match=r"contains no \*\.json files"):
        read_lm_eval(tmp_path, scale=1)
    with pytest.raises(ValueError, match="matched no files"):
        read_lm_eval(str(tmp_path / "*.json"), scale=1)
    with pytest.raises(ValueError, match="empty list"):
        read_lm_eval([], scale=1)


def test_error_missing_path_is_named(tmp_path):
    missing = tmp_path / "gone.json"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        read_lm_eval(missing, scale=1)


def test_error_regex_does_not_match_path_names_it():
    with pytest.raises(ValueError, match=r"`scale` regex .* does not match the path '.*160m-deduped_step143000\.json'"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=r"model-(?P<scale>\d+)")
    with pytest.raises(ValueError, match=r"`seed` regex .* does not match the path"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, seed=r"seed(\d+)")


def test_error_regex_groups_and_syntax():
    with pytest.raises(ValueError, match=r"group named 'scale'.*it has 2"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=r"(pythia)-(\d+m)")
    with pytest.raises(ValueError, match=r"group named 'seed'.*it has 0"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, seed=r"pythia")
    with pytest.raises(ValueError, match="not a valid regular expression"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=r"pythia-(")
    with pytest.raises(ValueError, match="`tasks` is not a valid regular expression"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, tasks="(")


def test_error_scale_text_not_a_size():
    with pytest.raises(ValueError, match=r"scale of '.*160m-deduped_step143000\.json'.*'zero'"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=r"(zero)-shot")
    with pytest.raises(ValueError, match="scale of"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=lambda p: None)


def test_error_argument_types():
    with pytest.raises(TypeError, match="`scale` must be"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=True)
    with pytest.raises(TypeError, match="`scale` must be"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=None)
    with pytest.raises(TypeError, match="`seed` must be a regex string or a callable"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, seed=3)
    with pytest.raises(TypeError, match="`paths`"):
        read_lm_eval(42, scale=SIZE)
    with pytest.raises(TypeError, match="`paths`"):
        read_lm_eval([PYTHIA_160M_DEDUPED_FINAL, 42], scale=SIZE)
    with pytest.raises(TypeError, match="`tasks` must be"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, tasks=5)
    with pytest.raises(TypeError, match="`tasks` names must be strings"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, tasks=["arc_easy", 3])
    with pytest.raises(TypeError, match="`metrics` must be"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, metrics=5)
    with pytest.raises(TypeError, match="`metrics` names must be strings"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, metrics=("acc", None))
    with pytest.raises(ValueError, match="`metrics` is empty"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, metrics=())
    with pytest.raises(ValueError, match="`tasks` is empty"):
        read_lm_eval(PYTHIA_160M_DEDUPED_FINAL, scale=SIZE, tasks=[])


def test_error_json_without_results(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model": "x", "tasks": []}))
    with pytest.raises(ValueError, match=r"config\.json' has no \"results\" mapping.*\['model', 'tasks'\]"):
        read_lm_eval(tmp_path, scale=1)
    (tmp_path / "config.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="has no \"results\" mapping"):
        read_lm_eval(tmp_path, scale=1)


def test_error_invalid_json_names_file(tmp_path):
    (tmp_path / "broken.json").write_text('{"results": {"a": ')
    with pytest.raises(ValueError, match=r"broken\.json' is not valid JSON"):
        read_lm_eval(tmp_path, scale=1)


def test_error_metric_absent_everywhere_lists_present():
    with pytest.raises(ValueError, match=r"metric 'f1' not found in any of the 6 files; metrics present: 'acc', 'acc_norm', 'likelihood_difference', 'pct_stereotype', 'ppl'"):
        read_lm_eval(PYTHIA, scale=SIZE, metrics=("acc", "f1"))
    with pytest.raises(ValueError, match=r"metric 'ppl' not found .* \(for the selected tasks\); metrics present: 'acc', 'acc_norm'"):
        read_lm_eval(PYTHIA, scale=SIZE, tasks=["arc_easy"], metrics="ppl")


def test_error_task_absent():
    with pytest.raises(ValueError, match=r"task 'mmlu' not found in any of the 6 files; tasks present include"):
        read_lm_eval(PYTHIA, scale=SIZE, tasks=["arc_easy", "mmlu"])
    with pytest.raises(ValueError, match="no task in any of the 6 files matches `tasks`"):
        read_lm_eval(PYTHIA, scale=SIZE, tasks=r"^mmlu_")
    with pytest.raises(ValueError, match=r"no task .* matches"):
        read_lm_eval(PYTHIA, scale=SIZE, tasks=lambda t: False)


def test_results_encoding_bom_and_bad_bytes(tmp_path):
    doc = {"results": {"toy": {"acc": 0.5, "alias": "caf\u00e9"}}}
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(doc).encode())
    assert read_lm_eval(tmp_path / "bom.json", scale=1).value.tolist() == [0.5]
    latin = tmp_path / "latin.json"
    latin.write_bytes(json.dumps(doc, ensure_ascii=False).encode("latin-1"))
    # Before: "'latin.json' is not valid JSON: 'utf-8' codec can't decode ...", and no
    # `encoding` argument to read it.
    with pytest.raises(ValueError, match=r"latin\.json', line 1: not valid utf-8 text \(byte 0xe9"
                       r".*pass `encoding=`"):
        read_lm_eval(latin, scale=1)
    assert read_lm_eval(latin, scale=1, encoding="latin-1").value.tolist() == [0.5]
    with pytest.raises(ValueError, match="`encoding` 'nope' is not a known text encoding"):
        read_lm_eval(latin, scale=1, encoding="nope")


def test_error_repeated_json_key(tmp_path):
    # Before: {"acc": 0.5, "acc": 0.9} was read as 0.9, silently.
    (tmp_path / "r.json").write_text('{"results": {"toy": {"acc": 0.5, "acc": 0.9}}}')
    with pytest.raises(ValueError, match=r"r\.json' gives the key 'acc' twice in one object"):
        read_lm_eval(tmp_path, scale=1)


def test_error_results_without_task_entries(tmp_path):
    # Before: "no task in any of the 1 file matches `tasks`=None; tasks present include "
    # (empty), which blamed `tasks`.
    (tmp_path / "r.json").write_text('{"results": {"toy": 0.5}}')
    with pytest.raises(ValueError, match=r"r\.json': \"results\" holds no task entries"):
        read_lm_eval(tmp_path, scale=1)


def test_reading_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_lm_eval([PYTHIA, LMEVAL04], scale=r"pythia-(?P<scale>\d+m)", metrics=None)
