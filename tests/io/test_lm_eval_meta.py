"""Scale sources from the harness's own record: ``revision=`` of model_args, parameter count.

Reference: the layout of a results file written by lm-evaluation-harness 0.4.13
(``results``, ``higher_is_better``, ``n-samples``, ``config.model_args``,
``config.model_num_parameters``, ``config.limit``, ``date``), copied from a file
the harness wrote in tests/train/lm/test_harness_roundtrip.py; the expected
values are read off the files by hand.
"""

from __future__ import annotations

import json

import pytest

from distscale.io import read_lm_eval


def _results(folder, *, model_args, n_params=1234, acc=0.5, date=1.7e9):
    doc = {
        "results": {"toy": {"alias": "toy", "acc,none": acc, "acc_stderr,none": 0.1}},
        "higher_is_better": {"toy": {"acc": True}},
        "n-samples": {"toy": {"original": 20, "effective": 20}},
        "config": {"model": "hf", "model_args": model_args, "model_num_parameters": n_params,
                   "limit": None},
        "date": date, "lm_eval_version": "0.4.13",
    }
    folder.mkdir(parents=True)
    (folder / "results_2026-01-01T00-00-00.000000.json").write_text(json.dumps(doc))


def test_scale_from_the_revision_and_the_parameter_count(tmp_path):
    for step, seed, acc in ((1000, 0, 0.25), (2000, 0, 0.5), (1000, 1, 0.3)):
        _results(tmp_path / f"run{step}-{seed}",
                 model_args=f"pretrained=/m/tiny-seed{seed},revision=step{step},dtype=float32",
                 n_params=1000 + seed, acc=acc)
    df = read_lm_eval(tmp_path, scale="revision", seed=r"seed([0-9]+)", match_on="model_args")
    got = sorted(zip(df["scale"], df["seed"], df["value"], strict=True))
    assert got == [(1000.0, 0, 0.25), (1000.0, 1, 0.3), (2000.0, 0, 0.5)]
    df = read_lm_eval(tmp_path, scale="model_num_parameters", seed=r"seed([0-9]+)",
                      match_on="model_args", tasks=["toy"], keep="latest")
    assert sorted(set(df["scale"])) == [1000.0, 1001.0]


def test_a_missing_revision_is_named(tmp_path):
    _results(tmp_path / "a", model_args="pretrained=/m/tiny-seed0,dtype=float32")
    with pytest.raises(ValueError, match="names no revision="):
        read_lm_eval(tmp_path, scale="revision", seed=r"seed([0-9]+)", match_on="model_args")
    with pytest.raises(ValueError, match="`match_on` must be 'path' or 'model_args'"):
        read_lm_eval(tmp_path, scale="revision", seed=r"seed([0-9]+)", match_on="name")
