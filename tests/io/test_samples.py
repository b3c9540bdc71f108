"""Tests for distscale.io.lm_eval_samples (read_lm_eval_samples) and distscale.io.samples
(read_samples, write_samples).

Reference values come from outside the readers:
- the hand-written fixture tests/data/lm_eval_samples (layout in its README, taken from
  lm-evaluation-harness: lm_eval/loggers/evaluation_tracker.py writes one
  ``samples_<task>_<date>.jsonl`` per task, every leaf of resps/filtered_resps as text and
  ``target`` as ``str(target)``; lm_eval/evaluator.py writes one record per document and
  filter). Its ``acc``/``acc_norm``/``exact_match`` fields were computed by hand with
  lm-eval 0.4's multiple-choice rule (acc: argmax of the option log-likelihoods equals the
  target index; acc_norm: the same after dividing by the character length of each choice)
  and are written out literally below;
- the fixture files read here with the plain ``json`` module;
- records built in the tests and written in lm-eval's layout, and frames written with
  pandas and read back;
- the trainer's own per-sample output (distscale.train.evaluate_ensemble), when torch is
  installed.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import distscale
from distscale.io import read_lm_eval_samples, read_samples
from distscale.io.samples import write_samples
from tests._helpers import TEST_DATA

DATA = TEST_DATA
SAMPLES = DATA / "lm_eval_samples"
OLD = SAMPLES / "lm-eval-0.4.0" / "pretrained__EleutherAI__pythia-70m_mmlu_abstract_algebra.jsonl"
SIZE = r"pythia-([0-9]+m)"
SEED = r"seed([0-9]+)"

# Hand-computed from the fixture's log-likelihoods (see the README): per (scale, seed),
# acc and acc_norm of documents 0-3 of samples_arc_challenge_*.jsonl.
ARC_HAND = {
    (70e6, 1): ([1, 0, 0, 0], [1, 1, 0, 1]),
    (160e6, 1): ([1, 1, 1, 1], [1, 1, 1, 1]),
    (160e6, 2): ([1, 0, 0, 1], [1, 1, 1, 1]),
}
ARC_CHOICE_LENGTHS = [[4, 5, 4, 4], [6, 14, 6, 4], [5, 5, 7, 4], [18, 19, 17, 19]]


def read_all() -> pd.DataFrame:
    return read_lm_eval_samples(SAMPLES, scale=SIZE, seed=SEED)


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def arc_record(doc_id: int = 0, **changes) -> dict:
    record = {
        "doc_id": doc_id,
        "doc": {"question": "q", "choices": ["a", "bb"]},
        "target": "1",
        "arguments": {
            "gen_args_0": {"arg_0": "Q:", "arg_1": " a"},
            "gen_args_1": {"arg_0": "Q:", "arg_1": " bb"},
        },
        "resps": [[["-2.0", "False"]], [["-1.0", "True"]]],
        "filtered_resps": [["-2.0", "False"], ["-1.0", "True"]],
        "filter": "none",
        "metrics": ["acc"],
        "doc_hash": "h",
        "prompt_hash": "p",
        "target_hash": "t",
        "acc": 1.0,
    }
    record.update(changes)
    return record


def write_jsonl(path: Path, records: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- lm-eval: fixture


def test_fixture_shape_matches_the_files():
    df = read_all()
    files = sorted(SAMPLES.rglob("samples_*.jsonl"))
    assert len(files) == 5  # the lm-eval 0.4.0 file is not named samples_*.jsonl
    assert len(df) == sum(len(lines_of(f)) for f in files)
    assert sorted(df["path"].unique()) == sorted(f.as_posix() for f in files)
    assert set(df["task"]) == {"arc_challenge", "gsm8k"}
    assert sorted(set(zip(df["scale"], df["seed"], strict=True))) == [(70e6, 1), (160e6, 1), (160e6, 2)]
    assert df["scale"].dtype == float and df["sample_id"].dtype == np.int64
    assert list(df.columns[:13]) == [
        "path", "task", "scale", "seed", "filter", "sample_id", "doc_hash", "response_type",
        "target", "correct", "response", "option_logliks", "option_is_greedy",
    ]
    assert list(df.columns[13:]) == ["options", "doc", "acc", "acc_norm", "exact_match"]
    assert all(df[m].dtype == np.float64 for m in ("acc", "acc_norm", "exact_match"))


def test_fields_match_the_file_read_with_json():
    path = next((SAMPLES / "EleutherAI__pythia-70m-seed1").glob("samples_arc_challenge_*"))
    df = read_lm_eval_samples(path, scale=SIZE)
    assert "seed" not in df.columns
    for (_, row), rec in zip(df.iterrows(), lines_of(path), strict=True):
        assert row["sample_id"] == rec["doc_id"]
        assert row["target"] == rec["target"]
        assert row["doc_hash"] == rec["doc_hash"]
        assert row["option_logliks"] == [float(ll) for ll, _ in rec["filtered_resps"]]
        assert row["option_is_greedy"] == [g == "True" for _, g in rec["filtered_resps"]]
        assert row["acc"] == rec["acc"] and row["acc_norm"] == rec["acc_norm"]
        assert row["response"] is None and row["response_type"] == "loglikelihood"


def test_string_logliks_become_floats():
    df = read_all()
    row = df[(df["task"] == "arc_challenge") & (df["scale"] == 70e6) & (df["sample_id"] == 0)]
    (logliks,) = row["option_logliks"]
    assert logliks == [-6.5, -5.75, -6.25, -7.0]  # written as "-6.5", "-5.75", ... in the file
    assert all(type(v) is float for v in logliks)
    assert row["correct"].tolist() == [1]  # target "1"


def test_mc_argmax_of_logliks_reproduces_the_recorded_acc():
    df = read_all()
    mc = df[df["task"] == "arc_challenge"]
    assert len(mc) == 12
    for (scale, seed), (acc, acc_norm) in ARC_HAND.items():
        run = mc[(mc["scale"] == scale) & (mc["seed"] == seed)].sort_values("sample_id")
        assert run["acc"].tolist() == acc
        assert run["acc_norm"].tolist() == acc_norm
        for (_, row), lengths in zip(run.iterrows(), ARC_CHOICE_LENGTHS, strict=True):
            logliks = np.array(row["option_logliks"])
            assert float(np.argmax(logliks) == row["correct"]) == row["acc"]
            assert float(np.argmax(logliks / np.array(lengths)) == row["correct"]) == row["acc_norm"]


def test_choice_lengths_used_above_are_those_of_the_fixture_docs():
    path = next((SAMPLES / "EleutherAI__pythia-70m-seed1").glob("samples_arc_challenge_*"))
    lengths = [[len(c) for c in rec["doc"]["choices"]["text"]] for rec in lines_of(path)]
    assert lengths == ARC_CHOICE_LENGTHS


def test_acc_and_acc_norm_differ_somewhere_so_the_cross_check_can_fail():
    mc = read_all().query("task == 'arc_challenge'")
    assert (mc["acc"] != mc["acc_norm"]).sum() == 4  # 70m docs 1, 3; 160m seed 2 docs 1, 2


def test_generation_task_with_two_filters():
    df = read_all()
    gen = df[(df["task"] == "gsm8k") & (df["scale"] == 70e6)]
    assert gen["filter"].tolist() == ["strict-match"] * 3 + ["flexible-extract"] * 3
    assert gen["sample_id"].tolist() == [0, 1, 2, 0, 1, 2]
    assert gen["response_type"].eq("generate_until").all()
    assert gen["response"].tolist() == ["[invalid]", "10", "6", "72", "10", "6"]
    assert gen["target"].tolist() == ["72", "10", "624"] * 2
    assert gen["correct"].isna().all() and gen["option_logliks"].isna().all()
    # exact match after filtering, by hand: only identical strings count
    assert gen["exact_match"].tolist() == [0.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    assert (gen["exact_match"] == (gen["response"] == gen["target"]).astype(float)).all()
    assert df.loc[df["task"] == "gsm8k", "acc"].isna().all()


def test_same_document_has_the_same_hash_in_every_run():
    df = read_all().query("task == 'arc_challenge'")
    assert (df.groupby("sample_id")["doc_hash"].nunique() == 1).all()
    assert df["doc_hash"].nunique() == 4


def test_old_layout_json_array_with_task_from_path():
    df = read_lm_eval_samples(OLD, scale=SIZE, task=r"pythia-70m_(.+)\.jsonl$")
    records = json.loads(OLD.read_text())
    assert df["task"].unique().tolist() == ["mmlu_abstract_algebra"]
    assert df["filter"].unique().tolist() == ["none"]  # no filter field in 0.4.0 files
    assert df["target"].tolist() == [str(r["target"]) for r in records]
    assert df["correct"].tolist() == [2, 2, 2]
    assert df["option_logliks"].tolist() == [[ll for ll, _ in r["filtered_resps"]] for r in records]
    assert df["option_is_greedy"].tolist() == [[g for _, g in r["filtered_resps"]] for r in records]
    # hand: argmax of the logliks is option 2, 0, 0 -> acc 1, 0, 0 (= acc_norm: " A".." D")
    assert df["acc"].tolist() == [1.0, 0.0, 0.0] == df["acc_norm"].tolist()
    assert "doc_hash" not in df.columns


def test_old_layout_without_task_names_the_argument():
    with pytest.raises(ValueError, match=r"cannot tell the task .*pass `task`"):
        read_lm_eval_samples(OLD, scale=SIZE)


def test_other_fixture_directory_reads_only_its_samples_file():
    # tests/data/lm-eval-0.4 holds results_*.json files and one single-request samples file
    df = read_lm_eval_samples(DATA / "lm-eval-0.4", scale=r"pythia-([0-9]+m)")
    assert len(df) == 1 and df["task"].tolist() == ["arc_easy"]
    assert df["option_logliks"].tolist() == [[-2.25]]
    assert df["correct"].isna().all()  # one option: not a multiple-choice index


def test_tasks_filter_and_namespace():
    gsm = read_lm_eval_samples(SAMPLES, scale=SIZE, seed=SEED, tasks=["gsm8k"])
    assert set(gsm["task"]) == {"gsm8k"} and len(gsm) == 12
    arc = read_lm_eval_samples(SAMPLES, scale=SIZE, seed=SEED, tasks=r"^arc")
    assert set(arc["task"]) == {"arc_challenge"}
    pd.testing.assert_frame_equal(
        distscale.read_lm_eval_samples(SAMPLES, scale=SIZE, seed=SEED), read_all()
    )
    with pytest.raises(ValueError, match=r"task 'mmlu' not found .*'arc_challenge'"):
        read_lm_eval_samples(SAMPLES, scale=SIZE, seed=SEED, tasks=["mmlu"])
    with pytest.raises(ValueError, match="no task in any of the 5 files matches"):
        read_lm_eval_samples(SAMPLES, scale=SIZE, seed=SEED, tasks="^hellaswag")


def test_glob_and_list_of_paths():
    files = sorted(SAMPLES.glob("*-seed1/samples_gsm8k_*.jsonl"))
    by_list = read_lm_eval_samples(files, scale=SIZE)
    by_glob = read_lm_eval_samples(str(SAMPLES / "*-seed1" / "samples_gsm8k_*.jsonl"), scale=SIZE)
    pd.testing.assert_frame_equal(by_list, by_glob)
    assert sorted(by_list["scale"].unique()) == [70e6, 160e6]


# --------------------------------------------------------------------------- lm-eval: round trip


def test_round_trip_of_records_written_in_lm_eval_layout(tmp_path):
    rng = np.random.default_rng(6)
    records, expected = [], []
    for doc_id in range(20):
        logliks = (-rng.exponential(5.0, size=4)).tolist()
        target = int(rng.integers(4))
        greedy = [bool(i == int(np.argmax(logliks))) for i in range(4)]
        acc = float(int(np.argmax(logliks)) == target)
        # lm-eval writes str() of every leaf of filtered_resps and str(target)
        records.append(
            arc_record(
                doc_id,
                target=str(target),
                arguments={f"gen_args_{i}": {"arg_0": "Q:", "arg_1": f" {i}"} for i in range(4)},
                resps=[[[str(ll), str(g)]] for ll, g in zip(logliks, greedy, strict=True)],
                filtered_resps=[[str(ll), str(g)] for ll, g in zip(logliks, greedy, strict=True)],
                acc=acc,
            )
        )
        expected.append((doc_id, str(target), target, logliks, greedy, acc))
    rng.shuffle(records)  # documents may come in any order; rows are sorted by doc_id
    path = write_jsonl(tmp_path / "m-1b" / "samples_mmlu_anatomy_2024-01-01T00-00-00.000001.jsonl",
                       records)
    df = read_lm_eval_samples(path, scale=r"m-(\d+b)")
    assert df["task"].unique().tolist() == ["mmlu_anatomy"]
    assert df["scale"].unique().tolist() == [1e9]
    got = list(
        zip(df["sample_id"], df["target"], df["correct"], df["option_logliks"],
            df["option_is_greedy"], df["acc"], strict=True)
    )
    assert got == expected  # str(float) is repr: the log-likelihoods come back exactly


def test_generation_with_several_responses_and_rolling_loglikelihood(tmp_path):
    gen = arc_record(
        0,
        target="abc",
        arguments={"gen_args_0": {"arg_0": "Q:", "arg_1": {"until": ["\n"]}}},
        resps=[["abc", "abd"]],
        filtered_resps=[["abc", "abd"]],
        metrics=["exact_match"],
        exact_match=1.0,
    )
    gen.pop("acc")
    path = write_jsonl(tmp_path / "samples_rep_2024-01-01T00-00-00.jsonl", [gen])
    df = read_lm_eval_samples(path, scale=1.0)
    assert df["response"].tolist() == [[["abc", "abd"]]] and df["correct"].isna().all()
    rolling = arc_record(
        0,
        target="",
        arguments={"gen_args_0": {"arg_0": "a whole document"}},
        resps=[["-123.5"]],
        filtered_resps=["-123.5"],
        metrics=["word_perplexity"],
        word_perplexity=[-123.5, 3],
    )
    path = write_jsonl(tmp_path / "samples_wikitext_2024-01-01T00-00-00.jsonl", [rolling])
    df = read_lm_eval_samples(path, scale=2.0)
    assert df["response_type"].tolist() == ["loglikelihood_rolling"]
    assert df["option_logliks"].tolist() == [[-123.5]]
    # the (loglik, words) pair becomes numbers: the document's word perplexity exp(-ll / n)
    # (hand computation) and its word count, from which the harness's aggregate follows
    assert df["word_perplexity"].tolist() == [pytest.approx(np.exp(123.5 / 3))]
    assert df["word_perplexity_units"].tolist() == [3.0]


def test_shape_is_read_from_filtered_resps_without_arguments(tmp_path):
    recs = [
        arc_record(0, arguments=None),
        arc_record(1, arguments=None, filtered_resps=[-4.0], target="x"),
    ]
    for r in recs:
        r.pop("arguments")
    path = write_jsonl(tmp_path / "samples_t_2024-01-01T00-00-00.jsonl", recs)
    df = read_lm_eval_samples(path, scale=1.0)
    assert df["response_type"].tolist() == ["loglikelihood", "loglikelihood_rolling"]
    assert df["correct"].tolist()[0] == 1


# --------------------------------------------------------------------------- lm-eval: bad input


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([json.dumps(arc_record(0)), "{not json"], r"line 2: not valid JSON"),
        ([json.dumps(arc_record(0)), "", json.dumps({"target": "1"})],
         r"line 3: the record has no 'doc_id' field"),
        (["[1, 2]"], r"record 0: expected a JSON object"),
        ([json.dumps(arc_record(0)), json.dumps(arc_record(0))],
         r"line 2: doc_id 0 appears again for filter 'none' \(first at line 1\)"),
        ([json.dumps(arc_record("0"))], r"line 1: 'doc_id' must be an integer"),
        ([json.dumps(arc_record(0, filtered_resps=[["x", "y"], ["-1", "True"]]))],
         r"line 1: a loglikelihood request's 'filtered_resps' must hold"),
        ([json.dumps(arc_record(0, arguments={}, filtered_resps=[{"a": 1}]))],
         r"line 1: cannot tell the request type"),
        ([json.dumps(arc_record(0, filtered_resps=[]))], r"line 1: 'filtered_resps' must be a non-empty"),
        ([json.dumps(arc_record(0, filtered_resps=[["nan", "False"], ["-1", "True"]]))],
         r"line 1: log-likelihoods must be numbers"),
        ([json.dumps(arc_record(0, metrics=["acc", "f1"]))], r"line 1: 'metrics' lists 'f1'"),
        ([json.dumps(arc_record(0, metrics=["target"]))], r"line 1: the metric 'target' has the name"),
        (["", "  "], r"holds no samples"),
    ],
)
def test_bad_lines_name_the_file_and_line(tmp_path, lines, message):
    path = tmp_path / "samples_t_2024-01-01T00-00-00.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=message) as info:
        read_lm_eval_samples(path, scale=1.0)
    assert path.as_posix() in str(info.value)


def test_bad_paths_and_scales(tmp_path):
    with pytest.raises(ValueError, match="matched no files"):
        read_lm_eval_samples(str(tmp_path / "*.jsonl"), scale=1.0)
    with pytest.raises(ValueError, match=r"contains no samples_\*\.jsonl files"):
        read_lm_eval_samples(tmp_path, scale=1.0)
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_lm_eval_samples(tmp_path / "nope.jsonl", scale=1.0)
    with pytest.raises(ValueError, match="empty list"):
        read_lm_eval_samples([], scale=1.0)
    with pytest.raises(TypeError, match="`paths` must be"):
        read_lm_eval_samples(3, scale=1.0)
    with pytest.raises(ValueError, match=r"`scale` regex .* does not match the path"):
        read_lm_eval_samples(SAMPLES, scale=r"size-(\d+)")
    with pytest.raises(ValueError, match=r"scale of .*cannot read 'seed1' as a model size"):
        read_lm_eval_samples(SAMPLES, scale=r"(seed\d+)")
    with pytest.raises(TypeError, match="`scale` must be"):
        read_lm_eval_samples(SAMPLES, scale=None)
    with pytest.raises(TypeError, match="`seed` must be"):
        read_lm_eval_samples(SAMPLES, scale=SIZE, seed=1)


def test_two_files_for_the_same_run_are_refused():
    # without `seed`, the two 160m runs look like the same run
    with pytest.raises(ValueError, match=r"both hold task 'arc_challenge' \(filter 'none'\) at scale 1.6e\+08"):
        read_lm_eval_samples(SAMPLES, scale=SIZE)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "samples_t_2024-01-01T00-00-00.jsonl"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ValueError, match=r"line 1: not valid utf-8 text.*pass encoding='utf-16'"):
        read_lm_eval_samples(path, scale=1.0)


def test_encoding_and_byte_order_mark(tmp_path):
    path = tmp_path / "samples_t_2024-01-01T00-00-00.jsonl"
    line = json.dumps(arc_record(0, metrics=["acc", "note"], note="caf\u00e9"), ensure_ascii=False)
    # Before: a UTF-8 byte-order mark made the first line "not valid JSON".
    path.write_bytes(b"\xef\xbb\xbf" + line.encode() + b"\n")
    assert len(read_lm_eval_samples(path, scale=1.0)) == 1
    # Before: no `encoding` argument; cp1252 text could not be read at all.
    path.write_bytes(json.dumps(arc_record(0)).encode() + b"\n" + line.encode("cp1252") + b"\n")
    with pytest.raises(ValueError, match=r"jsonl', line 2: not valid utf-8 text \(byte 0xe9"):
        read_lm_eval_samples(path, scale=1.0)
    path.write_bytes(line.encode("cp1252") + b"\n")
    assert read_lm_eval_samples(path, scale=1.0, encoding="cp1252")["note"].tolist() == ["café"]


# --------------------------------------------------------------------------- plain samples


def trainer_frame() -> pd.DataFrame:
    """Rows as distscale.train.train_population(samples=True) lays them out."""
    rows = []
    for run_id, depth, seed in (("r2", 4, 1), ("r1", 2, 0)):
        for length in (3, 4):
            for sample_id in (1, 0):
                target = list(range(length))
                pred = target if sample_id == 0 else target[:-1] + [9]
                rows.append({
                    "run_id": run_id, "task": "count", "depth": depth, "seed": seed,
                    "test_length": length, "sample_id": sample_id, "prediction": pred,
                    "target": target, "target_logprobs": [-0.5] * length,
                })
    return pd.DataFrame(rows)


def test_read_samples_normalises_and_sorts_a_copy():
    frame = trainer_frame()
    before = frame.copy()
    out = read_samples(frame, scale="depth", by="test_length")
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    assert list(out.columns) == list(frame.columns)
    assert out["depth"].dtype == float
    key = ["run_id", "depth", "seed", "test_length", "sample_id"]
    expected = frame.sort_values(key).reset_index(drop=True).astype({"depth": float})
    pd.testing.assert_frame_equal(out[key], expected[key])
    assert out["run_id"].tolist() == ["r1"] * 4 + ["r2"] * 4
    assert out["prediction"].tolist() == expected["prediction"].tolist()


def test_numpy_cells_become_python_lists():
    frame = trainer_frame()
    frame["target"] = [np.asarray(t, dtype=np.int32) for t in frame["target"]]
    frame["target_logprobs"] = [np.asarray(t, dtype=np.float32) for t in frame["target_logprobs"]]
    out = read_samples(frame, scale="depth", by="test_length")
    assert all(type(t) is list and all(type(x) is int for x in t) for t in out["target"])
    assert all(type(x) is float for lp in out["target_logprobs"] for x in lp)


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".csv", ".tsv", ".csv.gz"])
def test_write_and_read_round_trip(tmp_path, suffix):
    frame = trainer_frame()
    frame.loc[0, "target_logprobs"] = [-math.inf, -0.25, -1e-12]  # -inf is a legal log-prob
    frame.loc[0, "prediction"] = []  # an empty prediction
    expected = read_samples(frame, scale="depth", by="test_length")
    path = write_samples(frame, tmp_path / f"samples{suffix}")
    got = read_samples(path, scale="depth", by="test_length")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["prediction"].tolist() == expected["prediction"].tolist()


def test_csv_cells_as_json_text_or_whitespace_separated(tmp_path):
    path = tmp_path / "samples.csv"
    path.write_text(
        "scale,seed,sample_id,prediction,target,target_logprobs\n"
        '1,0,0,1 2 3,"[1, 2, 4]",-0.1 -0.2 -3e-1\n'
        '1,0,1,[],7,[-1]\n'
    )
    out = read_samples(path, run=None)
    assert out["prediction"].tolist() == [[1, 2, 3], []]
    assert out["target"].tolist() == [[1, 2, 4], [7]]
    assert out["target_logprobs"].tolist() == [[-0.1, -0.2, -0.3], [-1.0]]
    words = tmp_path / "words.csv"
    words.write_text('scale,seed,sample_id,prediction,target\n1,0,0,"[""a"", ""b""]","[""a""]"\n')
    assert read_samples(words, run=None, logprobs=None)["prediction"].tolist() == [["a", "b"]]


def test_trainer_output_is_accepted():
    torch = pytest.importorskip("torch")
    from distscale.train import CountTask, EnsembleTransformer, ModelConfig
    from distscale.train.evaluate import evaluate_ensemble

    task = CountTask(train_lengths=(1, 2), test_lengths=(3, 4), n_numbers=8)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = EnsembleTransformer(ModelConfig(depth=1, width=16, heads=2),
                                    vocab_size=task.vocab_size, seeds=[0, 1])
        _, samples = evaluate_ensemble(model, task, task.test_lengths, n_samples=3, samples=True)
    finally:
        torch.set_num_threads(threads)
    samples["depth"] = 1
    out = read_samples(samples, run=None, scale="depth", by="test_length")
    assert len(out) == 2 * 2 * 3
    assert out["target"].map(len).tolist() == out["target_logprobs"].map(len).tolist()


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "message"),
    [
        (lambda f: f.drop(columns="run_id"), {}, ValueError,
         r"`run` column 'run_id' is missing \(pass run=None"),
        (lambda f: f.drop(columns="target_logprobs"), {}, ValueError,
         r"`logprobs` column 'target_logprobs' is missing \(pass logprobs=None"),
        (lambda f: f, {"by": None}, ValueError,
         r"share their \('run_id', 'depth', 'seed', 'sample_id'\) key .*'test_length' differ"),
        (lambda f: f.assign(prediction=1.5), {}, TypeError, r"column 'prediction', row 0: expected a list"),
        (lambda f: f.assign(prediction=[[1.5]] * len(f)), {}, TypeError,
         r"tokens must be integers or strings; got 1.5"),
        (lambda f: f.assign(target=[["a"]] + [[1]] * (len(f) - 1), target_logprobs=[[-1.0]] * len(f)),
         {}, TypeError, r"column 'target' mixes integer tokens \(row 1\) and string tokens \(row 0\)"),
        (lambda f: f.assign(target=[["a"]] * len(f), target_logprobs=[[-1.0]] * len(f)), {},
         TypeError, "prediction tokens are integers but target tokens are strings"),
        (lambda f: f.assign(target=[[]] * len(f)), {}, ValueError, r"has 8 empty targets"),
        (lambda f: f.assign(target_logprobs=[[-1.0]] * len(f)), {}, ValueError,
         r"one log-probability per target token; 8 rows do not"),
        (lambda f: f.assign(target_logprobs=[[0.5, -1, -1]] + list(f["target_logprobs"][1:])), {},
         ValueError, r"row 0: log-probabilities must be <= 0 and not NaN; got \[0.5\]"),
        (lambda f: f.assign(target_logprobs=[[math.nan, -1, -1]] + list(f["target_logprobs"][1:])),
         {}, ValueError, r"row 0: log-probabilities must be <= 0 and not NaN"),
        (lambda f: f.assign(target_logprobs=[["x"] * 3] + list(f["target_logprobs"][1:])), {},
         TypeError, r"row 0: log-probabilities must be numbers"),
        (lambda f: f.assign(seed=[0.0, math.nan] * 4), {}, ValueError,
         r"key column 'seed' has 4 missing values \(rows 1, 3, 5, 7\)"),
        (lambda f: f.assign(depth="deep"), {}, TypeError, r"`scale` column 'depth' must be numeric"),
        (lambda f: f.assign(depth=[1.0, math.inf] * 4), {}, ValueError,
         r"`scale` column 'depth' must be finite"),
        (lambda f: f.assign(seed=list(range(8))), {}, ValueError,
         r"column 'seed' must be constant within a run; it varies within 2 runs"),
        (lambda f: f.assign(prediction=[None] + list(f["prediction"][1:])), {}, ValueError,
         r"row 0: missing value; an empty sequence is written \[\]"),
        (lambda f: f.assign(prediction=["1 x"] + list(f["prediction"][1:])), {}, ValueError,
         r"whitespace-separated values must be integers"),
        (lambda f: f.assign(prediction=["[1, "] + list(f["prediction"][1:])), {}, ValueError,
         r"is not a JSON array"),
        (lambda f: f, {"target": "prediction"}, ValueError,
         r"`prediction` and `target` both name column 'prediction'"),
        (lambda f: f.iloc[:0], {}, ValueError, "has no rows"),
        (lambda f: f, {"scale": ["depth"]}, TypeError, "`scale` must be a single column name"),
    ],
)
def test_read_samples_bad_input(change, kwargs, error, message):
    frame = change(trainer_frame())
    arguments = {"scale": "depth", "by": "test_length", **kwargs}
    with pytest.raises(error, match=message):
        read_samples(frame, **arguments)


def test_read_samples_files_are_read_strictly(tmp_path):
    header = "scale,seed,sample_id,prediction,target\n"
    short = tmp_path / "short.csv"
    # Before: the cut-short last row was read with target NaN ("missing value" error at
    # best, or a wrong row).
    short.write_text(header + '1,0,0,"[1]","[1]"\n1,0,1,"[1]"\n')
    with pytest.raises(ValueError, match=r"short\.csv', line 3: 4 fields, the header has 5"):
        read_samples(short, run=None, logprobs=None)
    repeated = tmp_path / "repeated.csv"
    # Before: the second 'target' became 'target.1' and the first was used silently.
    repeated.write_text("scale,seed,sample_id,prediction,target,target\n1,0,0,[1],[1],[2]\n")
    with pytest.raises(ValueError, match="the header names a column more than once: 'target'"):
        read_samples(repeated, run=None, logprobs=None)
    bom = tmp_path / "bom.jsonl"
    record = {"scale": 1, "seed": 0, "sample_id": 0, "prediction": [1], "target": [1]}
    # Before: "'bom.jsonl', line 1: not valid JSON" (the byte-order mark).
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(record).encode() + b"\n")
    assert read_samples(bom, run=None, logprobs=None)["target"].tolist() == [[1]]
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes((header + "1,0,0,[1],[1]\n").encode("utf-16"))
    assert len(read_samples(utf16, run=None, logprobs=None, encoding="utf-16")) == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    # Before: every column "is missing; columns present: " (nothing).
    with pytest.raises(ValueError, match=r"empty\.jsonl' holds no records"):
        read_samples(empty)
    truncated = tmp_path / "cut.csv.gz"
    rows = "".join(f"1,0,{i},[{i % 7}],[{i % 5}]\n" for i in range(2000))
    data = gzip.compress((header + rows).encode())
    truncated.write_bytes(data[: len(data) // 2])
    # Before: a raw EOFError.
    with pytest.raises(ValueError, match=r"the gzip data ends early: the file was cut short"):
        read_samples(truncated, run=None, logprobs=None)


def test_read_samples_scale_types(tmp_path):
    frame = trainer_frame()
    # Before: a complex scale was cast to its real part with a ComplexWarning.
    with pytest.raises(TypeError, match=r"`scale` column 'depth' holds complex numbers"):
        read_samples(frame.assign(depth=frame["depth"] + 0j), scale="depth", by="test_length")
    # Numbers written as text are numbers, as in a Population.
    out = read_samples(frame.assign(depth=frame["depth"].astype(str)), scale="depth",
                       by="test_length")
    assert out["depth"].dtype == float


def test_read_samples_bad_sources(tmp_path):
    with pytest.raises(TypeError, match="`data` must be a pandas DataFrame or a path"):
        read_samples([1, 2])
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_samples(tmp_path / "missing.parquet")
    other = tmp_path / "samples.txt"
    other.write_text("x")
    with pytest.raises(ValueError, match=r"cannot tell the format .*'jsonl' for \.jsonl"):
        read_samples(other)
    with pytest.raises(ValueError, match="`format` must be"):
        read_samples(other, format="xml")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"scale": 1}\n[1]\n')
    with pytest.raises(ValueError, match=r"bad.jsonl', line 2: expected a JSON object"):
        read_samples(bad)
    broken = tmp_path / "broken.parquet"
    broken.write_text("not parquet")
    with pytest.raises(ValueError, match=r"could not read .* as parquet"):
        read_samples(broken)
    with pytest.raises(TypeError, match="`frame` must be a pandas DataFrame"):
        write_samples({"a": 1}, tmp_path / "x.csv")
