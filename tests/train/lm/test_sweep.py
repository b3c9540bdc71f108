"""The resumable LM sweep (SQLite) and its data files (MMLU rows, documents, items).

References: resumption is checked against the uninterrupted run of the same
configuration (the same rows, finished runs never retrained: the store's
training log counts one attempt each); the sweep engine itself is tested in
test_lm_sweep_engine.py; the MMLU prompt against the format of
lm-evaluation-harness's zero-shot ``mmlu`` task (``default/_default_template_yaml``:
question, ``A. ..`` to ``D. ..``, ``Answer:``, options " A" .. " D").
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest
import torch

pytest.importorskip("transformers")

from distscale.train.lm.data import mmlu_item, read_documents, read_items
from distscale.train.lm.harness import save_model, tiny_causal_lm, train_tokenizer
from distscale.train.lm.sweep import load_lm_config, main, read_lm_store, run_lm_sweep

SYNTHETIC = {
    "model": {"synthetic": True, "setup": {
        "model": {"depth": 2, "width": 16, "heads": 2, "positional": "learned",
                  "max_positions": 32},
        "pretrain": {"layers": 0, "steps": 20, "batch_size": 8, "seq_len": 16},
        "n_general": 60, "n_task": 30, "n_items": 12, "n_heldout": 12}},
    "population": {"ratios": [0.0, 0.5], "seeds": 3},
    "train": {"layers": 1, "steps": 5, "batch_size": 8, "seq_len": 16},
}


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _attempts(store):
    with sqlite3.connect(store) as conn:
        return dict(conn.execute("SELECT r.ratio, count(*) FROM attempts a JOIN lm_results r "
                                 "ON r.run_id = a.run_id GROUP BY r.ratio").fetchall())


def test_a_sweep_resumes_without_repeating_finished_runs(tmp_path):
    store = tmp_path / "lm.sqlite"
    full = run_lm_sweep(SYNTHETIC, store)
    assert len(full) == 6 and full.groupby("ratio").size().tolist() == [3, 3]
    # a killed job: the last unit never reached the store
    with sqlite3.connect(store) as conn:
        conn.execute("DELETE FROM runs WHERE run_id IN "
                     "(SELECT run_id FROM lm_results WHERE ratio = 0.5)")
        conn.execute("DELETE FROM lm_results WHERE ratio = 0.5")
    again = run_lm_sweep(SYNTHETIC, store)
    assert _attempts(store) == {0.0: 3, 0.5: 6}  # ratio 0.0 not retrained
    pd.testing.assert_frame_equal(again.drop(columns="seconds_per_seed"),
                                  full.drop(columns="seconds_per_seed"))
    # nothing left to do: nothing trained
    run_lm_sweep(SYNTHETIC, store)
    assert _attempts(store) == {0.0: 3, 0.5: 6}


def _mmlu_rows(n, rng):
    rows = []
    for _ in range(n):
        a, b = (int(x) for x in rng.integers(1, 9, size=2))
        wrong = [a + b + d for d in (1, 2, -1)]
        choices = [str(a + b), *map(str, wrong)]
        order = rng.permutation(4)
        rows.append({"question": f"{a} plus {b} is", "choices": [choices[j] for j in order],
                     "answer": int(np.flatnonzero(order == 0)[0]), "subject": "toy"})
    return rows


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_the_mmlu_setting_with_a_local_qwen2_runs_from_a_toml_file(tmp_path):
    rng = np.random.default_rng(0)
    general = [f"the number {i} comes after {i - 1} ." for i in range(1, 40)]
    _jsonl(tmp_path / "general.jsonl", [{"text": t} for t in general])
    _jsonl(tmp_path / "heldout.jsonl", [{"text": t} for t in general[:10]])
    _jsonl(tmp_path / "aux.jsonl", _mmlu_rows(20, rng))
    _jsonl(tmp_path / "test.jsonl", _mmlu_rows(6, rng))
    docs = read_documents(tmp_path / "aux.jsonl")
    tok = train_tokenizer([*general, *docs], kind="bpe", vocab_size=300)
    model = tiny_causal_lm("qwen2", vocab_size=len(tok), width=16, layers=2, heads=2)
    save_model(model, tok, tmp_path / "qwen-tiny")
    (tmp_path / "run.toml").write_text("\n".join([
        "[model]", 'path = "qwen-tiny"',
        "[data]", 'general = "general.jsonl"', 'task = "aux.jsonl"', 'items = "test.jsonl"',
        'items_format = "mmlu"', 'heldout = "heldout.jsonl"',
        "[population]", "ratios = [0.2]", "seeds = 2", 'device = "cpu"',
        "[train]", "layers = 1", "steps = 3", "batch_size = 4", "seq_len = 16", ""]))
    assert main([str(tmp_path / "run.toml"), str(tmp_path / "s.sqlite"),
                 "--csv", str(tmp_path / "pop.csv")]) == 0
    table = pd.read_csv(tmp_path / "pop.csv")
    assert table["seed"].tolist() == [0, 1] and set(table["ratio"]) == {0.2}
    assert table["acc"].between(0, 1).all() and table["nll"].gt(0).all()
    pd.testing.assert_frame_equal(read_lm_store(tmp_path / "s.sqlite"), table,
                                  check_dtype=False)


def test_the_shipped_configs_load():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[3] / "examples" / "configs"
    paper = load_lm_config(folder / "lm_mmlu_qwen.toml")
    assert paper["population"]["ratios"] == [0.075, 0.2]
    assert paper["population"]["seeds"] == list(range(80))
    assert paper["data"]["items_format"] == "mmlu" and paper["train"]["layers"] == 1
    assert Path(paper["model"]["path"]).is_absolute()
    synthetic = load_lm_config(folder / "lm_synthetic.toml")
    assert synthetic["model"] == {"synthetic": True}


def test_mmlu_items_follow_the_harness_prompt():
    item = mmlu_item({"question": " Which is prime? ", "choices": ["4", "6", "7", "8"],
                      "answer": "C"})
    assert item.context == "Which is prime?\nA. 4\nB. 6\nC. 7\nD. 8\nAnswer:"
    assert item.options == (" A", " B", " C", " D") and item.gold == 2
    with pytest.raises(ValueError, match="answer"):
        mmlu_item({"question": "q", "choices": ["a", "b", "c", "d"], "answer": 4})
    with pytest.raises(ValueError, match="4 `choices`"):
        mmlu_item({"question": "q", "choices": ["a"], "answer": 0})


def test_bad_files_and_configs_name_the_problem(tmp_path):
    bad = _jsonl(tmp_path / "items.jsonl", [{"context": "c", "choices": ["a", "b"], "gold": 2}])
    with pytest.raises(ValueError, match="line 1: `gold` must be an index"):
        read_items(bad)
    missing = _jsonl(tmp_path / "m.jsonl", [{"context": "c", "gold": 0}])
    with pytest.raises(ValueError, match="line 1 lacks the field 'choices'"):
        read_items(missing)
    (tmp_path / "broken.jsonl").write_text("{not json\n")
    with pytest.raises(ValueError, match="line 1 is not JSON"):
        read_documents(tmp_path / "broken.jsonl")
    with pytest.raises(ValueError, match="no string field 'text'"):
        read_documents(_jsonl(tmp_path / "x.jsonl", [{"body": "t"}]))
    with pytest.raises(FileNotFoundError, match="`items` file"):
        read_items(tmp_path / "none.jsonl")
    with pytest.raises(ValueError, match="`format` must be one of"):
        read_items(bad, format="csv")
    with pytest.raises(ValueError, match="exactly one of `path`"):
        load_lm_config({"model": {}, "population": {"ratios": [0.1], "seeds": 2}})
    with pytest.raises(ValueError, match=r"\[data\] needs `general`"):
        load_lm_config({"model": {"path": "m"}, "population": {"ratios": [0.1], "seeds": 2}})
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['seed'\] in \[population\]"):
        load_lm_config({"model": {"synthetic": True}, "population": {"seed": 2}})
    with pytest.raises(ValueError, match=r"unknown section\(s\) \['optim'\]"):
        load_lm_config({"model": {"synthetic": True}, "optim": {}})
    with pytest.raises(ValueError, match="unknown ContinueConfig field"):
        load_lm_config({**SYNTHETIC, "train": {"step": 3}})
    with pytest.raises(ValueError, match="`ratios` has duplicates"):
        load_lm_config({**SYNTHETIC, "population": {"ratios": [0.1, 0.1], "seeds": 2}})
    with pytest.raises(FileNotFoundError, match="`config` file"):
        load_lm_config(tmp_path / "none.toml")
    with pytest.raises(FileNotFoundError, match="`store`"):
        read_lm_store(tmp_path / "none.sqlite")
