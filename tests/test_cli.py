"""Tests for the ``distscale`` command line.

Reference values: the summary table printed by the CLI must equal a plain
pandas computation on the same file (mean and P(success) per scale).
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from distscale.cli import main


@pytest.fixture
def runs_csv(tmp_path):
    rng = np.random.default_rng(1)
    rows = []
    for scale in (1e6, 1e7, 1e8):
        p = {1e6: 0.1, 1e7: 0.5, 1e8: 0.9}[scale]
        for seed in range(20):
            ok = rng.random() < p
            rows.append((scale, seed, rng.uniform(0.6, 1.0) if ok else rng.uniform(0.0, 0.1)))
    path = tmp_path / "runs.csv"
    pd.DataFrame(rows, columns=["n_params", "seed", "exact_match"]).to_csv(path, index=False)
    return path


def test_summary_csv_output_matches_pandas(runs_csv, capsys):
    rc = main(
        [
            "summary", str(runs_csv), "--scale", "n_params", "--seed", "seed",
            "--value", "exact_match", "--threshold", "0.2", "--format", "csv",
            "--n-resamples", "200", "--quiet",
        ]
    )
    assert rc == 0
    from io import StringIO

    out = pd.read_csv(StringIO(capsys.readouterr().out))
    assert list(out.columns) == ["scale", "statistic", "estimate", "ci_low", "ci_high", "n"]
    raw = pd.read_csv(runs_csv)
    expected_mean = raw.groupby("n_params")["exact_match"].mean()
    expected_p = raw.assign(s=raw.exact_match > 0.2).groupby("n_params")["s"].mean()
    got = out.set_index(["statistic", "scale"])["estimate"]
    np.testing.assert_allclose(got["mean"].to_numpy(), expected_mean.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(got["p_success"].to_numpy(), expected_p.to_numpy(), rtol=1e-12)


def test_summary_table_and_out_file(runs_csv, tmp_path, capsys):
    out_file = tmp_path / "table.csv"
    rc = main(
        [
            "summary", str(runs_csv), "--scale", "n_params", "--seed", "seed",
            "--value", "exact_match", "--threshold", "0.2", "--n-resamples", "100",
            "--out", str(out_file), "--quiet",
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "p_success" in text and "1e+08" in text
    assert len(pd.read_csv(out_file)) > 0


def test_bundled_default_runs(capsys):
    rc = main(["summary", "--n-resamples", "200", "--quiet"])
    assert rc == 0
    text = capsys.readouterr().out
    # four PolyPythias sizes: 14M, 70M, 160M, 410M parameters
    assert len([ln for ln in text.splitlines() if ln.strip()]) == 1 + 4


def test_console_script_is_installed():
    out = subprocess.run(
        [sys.executable, "-m", "distscale.cli", "summary", "--n-resamples", "50", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["summary", "missing.csv", "--scale", "a", "--seed", "b", "--value", "c",
          "--threshold", "0.5"], r"missing\.csv"),
        (["summary", "RUNS", "--scale", "n_params", "--seed", "seed"],
         r"required: --value, --threshold"),
        (["summary", "RUNS", "--scale", "width", "--seed", "seed", "--value", "exact_match",
          "--threshold", "0.2"], r"`scale` column 'width' not found"),
        (["summary", "RUNS", "--scale", "n_params", "--seed", "seed", "--value",
          "exact_match", "--threshold", "0.2", "--confidence-level", "95"],
         r"`confidence_level` must be strictly between 0 and 1"),
        (["summary", "--scale", "x"], r"--scale given without PATH"),
        (["summary", "RUNS", "--scale", "n_params", "--seed", "seed", "--value",
          "exact_match", "--threshold", "0.2", "--select-task", "a"], r"--select-task needs --task"),
    ],
)
def test_errors_are_one_line(argv, pattern, runs_csv, capsys):
    argv = [str(runs_csv) if a == "RUNS" else a for a in argv]
    rc = main(argv)
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("distscale summary: error: ")
    assert re.search(pattern, err)


def test_garbled_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"this is not parquet")
    rc = main(["summary", str(path), "--scale", "a", "--seed", "b", "--value", "c",
               "--threshold", "0.5"])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.parquet" in err
