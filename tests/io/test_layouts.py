"""Wide exports and per-run JSON folders (distscale.io.layouts).

References: every file here is written by pandas (``DataFrame.to_csv`` of a
``pivot`` of a long table, the way spreadsheets and W&B exports look) or by
the standard library's ``json``; the population read back must equal the
long table it was made from (compared with pandas, value by value).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from distscale import Population, read_run_folder, read_wide_population


@pytest.fixture(scope="module")
def long():
    rng = np.random.default_rng(0)
    rows = [(s, k, round(float(rng.random()), 4)) for s in (1e6, 1e7, 1e8) for k in range(4)]
    return pd.DataFrame(rows, columns=["n_params", "seed", "acc"])


def _same(pop, long, scale="n_params", metric="acc"):
    got = pop.to_frame()[[pop.scale, pop.seed, metric]]
    got = got.rename(columns={pop.scale: scale}).sort_values([scale, pop.seed])
    want = long.sort_values([scale, "seed"])
    np.testing.assert_array_equal(got[scale].to_numpy(float), want[scale].to_numpy(float))
    np.testing.assert_array_equal(got[pop.seed].to_numpy(), want["seed"].to_numpy())
    np.testing.assert_array_equal(got[metric].to_numpy(float), want[metric].to_numpy(float))


def test_rows_are_scales_columns_are_seeds(long, tmp_path):
    wide = long.pivot(index="n_params", columns="seed", values="acc")
    wide.columns = [f"seed_{k}" for k in wide.columns]
    wide["comment"] = "x"
    path = tmp_path / "wide.csv"
    wide.reset_index().to_csv(path, index=False)
    pop = read_wide_population(path, pattern=r"seed_(?P<seed>\d+)", scale="n_params",
                               value="acc")
    assert isinstance(pop, Population) and pop.scale == "n_params"
    _same(pop, long)


def test_european_spreadsheet_export(long, tmp_path):
    """Semicolons, decimal commas and a byte-order mark, as Excel writes in many locales."""
    wide = long.pivot(index="n_params", columns="seed", values="acc")
    wide.columns = [f"run {k}" for k in wide.columns]
    path = tmp_path / "excel.csv"
    wide.reset_index().to_csv(path, index=False, sep=";", decimal=",", encoding="utf-8-sig")
    pop = read_wide_population(path, pattern=r"run (?P<seed>\d+)", scale="n_params",
                               value="acc", sep=";", decimal=",")
    _same(pop, long)


def test_wandb_style_export_with_gaps(long, tmp_path):
    """W&B: a Step column, '<run> - <metric>' columns, __MIN/__MAX companions, empty cells."""
    frame = pd.DataFrame({"Step": [1e6, 1e7, 1e8]})
    for k in range(4):
        acc = long[long.seed == k].set_index("n_params")["acc"]
        frame[f"s{k} - eval/acc"] = acc.to_numpy()
        frame[f"s{k} - eval/acc__MIN"] = acc.to_numpy() - 0.01
        frame[f"s{k} - eval/acc__MAX"] = acc.to_numpy() + 0.01
    frame.loc[2, "s3 - eval/acc"] = np.nan  # seed 3 never logged at the largest step
    path = tmp_path / "wandb_export.csv"
    frame.to_csv(path, index=False)
    pop = read_wide_population(path, pattern=r"s(?P<seed>\d+) - (?P<metric>eval/acc)",
                               scale="Step")
    want = long[~((long.seed == 3) & (long.n_params == 1e8))].rename(columns={"acc": "eval/acc"})
    _same(pop, want.rename(columns={"n_params": "Step"}), scale="Step", metric="eval/acc")
    assert pop.n_runs == 11


def test_scale_and_seed_in_the_names_and_two_metrics(long, tmp_path):
    row = {f"w{int(s)}_s{k}_{m}": [v if m == "acc" else 1 - v]
           for s, k, v in long.itertuples(index=False) for m in ("acc", "err")}
    path = tmp_path / "one_row.csv"
    pd.DataFrame(row).to_csv(path, index=False)
    pop = read_wide_population(path, pattern=r"w(?P<scale>\d+)_s(?P<seed>\d+)_(?P<metric>\w+)")
    assert list(pop.metrics) == ["acc", "err"] and pop.scale == "scale"
    _same(pop, long.rename(columns={"n_params": "scale"}), scale="scale")
    frame = pop.to_frame()
    np.testing.assert_allclose(frame["err"], 1 - frame["acc"])


def test_json_folder(long, tmp_path):
    for i, (s, k, v) in enumerate(long.itertuples(index=False)):
        run = {"config": {"n_params": s, "seed": int(k)}, "eval": {"acc": v, "note": None}}
        (tmp_path / f"run_{i:02d}.json").write_text(json.dumps(run))
    (tmp_path / "README.txt").write_text("not a run")
    pop = read_run_folder(tmp_path, scale="config.n_params", seed="config.seed",
                          value="eval.acc")
    _same(pop, long.rename(
        columns={"acc": "eval.acc"}), metric="eval.acc")


def test_json_folder_in_subfolders(long, tmp_path):
    for i, (s, k, v) in enumerate(long.itertuples(index=False)):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        (folder / "metrics.json").write_text(json.dumps({"size": s, "seed": int(k), "acc": v}))
    pop = read_run_folder(tmp_path, scale="size", seed="seed", value="acc",
                          glob="**/metrics.json")
    assert pop.n_runs == len(long)


# ---------------------------------------------------------------------- bad input
def _wide(tmp_path, frame, name="w.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "match"),
    [
        (pd.DataFrame({"n": [1, 2], "s0": [0.1, 0.2]}), {"pattern": r"s(\d+)", "scale": "n"},
         ValueError, r"must name the seed with a group \(\?P<seed>"),
        (pd.DataFrame({"n": [1, 2], "s0": [0.1, 0.2]}),
         {"pattern": r"s(?P<seed>\d+)(?P<run>x?)", "scale": "n"},
         ValueError, "may name only the groups seed, scale and metric"),
        (pd.DataFrame({"n": [1, 2], "s0": [0.1, 0.2]}), {"pattern": "s(?P<seed>[", "scale": "n"},
         ValueError, "not a valid regular expression"),
        (pd.DataFrame({"n": [1, 2], "s0": [0.1, 0.2]}), {"pattern": 3, "scale": "n"},
         TypeError, "`pattern` must be a non-empty regular expression"),
        (pd.DataFrame({"n": [1, 2], "s0": [0.1, 0.2]}), {"pattern": r"s(?P<seed>\d+)"},
         ValueError, "where is the scale"),
        (pd.DataFrame({"n": [1, 2], "s0": [0.1, 0.2]}),
         {"pattern": r"s(?P<seed>\d+)", "scale": "size"}, ValueError, "`scale` column 'size'"),
        (pd.DataFrame({"n": [1, 2], "s0": [0.1, 0.2]}),
         {"pattern": r"seed(?P<seed>\d+)", "scale": "n"}, ValueError,
         r"no column name matches `pattern`.*columns: 'n', 's0'"),
        (pd.DataFrame({"n": [1, 2], "s0": [0.1, "oops"]}),
         {"pattern": r"s(?P<seed>\d+)", "scale": "n"}, ValueError,
         r"column 's0': the cell 'oops' \(data row 2\) is not a number"),
        (pd.DataFrame({"n": [1, "big"], "s0": [0.1, 0.2]}),
         {"pattern": r"s(?P<seed>\d+)", "scale": "n"}, ValueError,
         r"column 'n': the scale 'big' \(data row 2\) is not a number"),
        (pd.DataFrame({"n": [1, 2], "s0": [0.1, 0.2], "s00": [0.3, 0.4]}),
         {"pattern": r"s(?P<seed>\d+)", "scale": "n"}, ValueError,
         "columns 's0' and 's00' both hold seed 0"),
        (pd.DataFrame({"w1_s0": [0.1, 0.2]}), {"pattern": r"w(?P<scale>\d+)_s(?P<seed>\d+)"},
         ValueError, "has 2 rows; with the scale in the column names"),
        (pd.DataFrame({"wX_s0": [0.1]}), {"pattern": r"w(?P<scale>\w+)_s(?P<seed>\d+)"},
         ValueError, "column 'wX_s0': the scale 'X' is not a number"),
        (pd.DataFrame({"n": [1], "w1_s0": [0.1]}),
         {"pattern": r"w(?P<scale>\d+)_s(?P<seed>\d+)", "scale": "n"}, ValueError,
         "the scale is given twice"),
    ],
)
def test_wide_bad_input(tmp_path, frame, kwargs, error, match):
    with pytest.raises(error, match=match):
        read_wide_population(_wide(tmp_path, frame), **kwargs)


def test_wide_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothing\.csv"):
        read_wide_population(tmp_path / "nothing.csv", pattern=r"s(?P<seed>\d)", scale="n")


def _runs(tmp_path, docs):
    for i, doc in enumerate(docs):
        text = doc if isinstance(doc, str) else json.dumps(doc)
        (tmp_path / f"r{i}.json").write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("docs", "kwargs", "error", "match"),
    [
        ([{"n": 1, "seed": 0, "acc": 0.1}, "{not json"], {}, ValueError, r"r1.json' is not valid"),
        ([[1, 2]], {}, ValueError, "must hold one JSON object"),
        ([{"n": 1, "seed": 0}], {}, ValueError, r"r0.json' has no key 'acc'; its keys: 'n'"),
        ([{"n": [1, 2], "seed": 0, "acc": 0.1}], {}, ValueError,
         "key 'n': expected one number or label"),
        ([{"n": 1, "seed": 0, "acc": 0.1}, {"n": 1, "seed": 0, "acc": 0.3}], {}, ValueError,
         r"r0.json' and '.*r1.json' are the same run"),
        ([{"n": "big", "seed": 0, "acc": 0.1}], {}, TypeError, "n"),
        ([{"n": 1, "seed": 0, "acc": 0.1}], {"glob": "*.yaml"}, FileNotFoundError,
         "matches `glob`"),
        ([{"n": 1, "seed": 0, "acc": 0.1}], {"value": ""}, TypeError, "`value` must be a key"),
    ],
)
def test_folder_bad_input(tmp_path, docs, kwargs, error, match):
    args = {"scale": "n", "seed": "seed", "value": "acc", **kwargs}
    with pytest.raises(error, match=match):
        read_run_folder(_runs(tmp_path, docs), **args)


def test_folder_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not an existing folder"):
        read_run_folder(tmp_path / "nope", scale="n", seed="s", value="v")
