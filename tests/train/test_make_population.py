"""scripts/make_trainer_population.py: the bundling pipeline of the trainer's populations.

References: the sweep TOML it reads (tomllib), the store it writes (RunStore), and
pandas group means (the last checkpoint is the final model). Resuming is the
sweep's own (tests/train/test_sweep.py).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

pytest.importorskip("torch")

from tests._helpers import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "make_trainer_population.py"
CONFIG = REPO_ROOT / "scripts" / "addition_population.toml"


def _run(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO_ROOT)}
    cmd = [sys.executable, str(SCRIPT), str(CONFIG), "--quick", "--workers", "0",
           "--store", str(tmp_path / "runs.sqlite"), "--output", str(tmp_path / "pop.csv.gz")]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_quick_bundle_with_trajectories(tmp_path):
    import tomllib

    from distscale.train import RunStore

    config = tomllib.loads(CONFIG.read_text())
    out = _run(tmp_path)
    table = pd.read_csv(tmp_path / "pop.csv.gz")
    widths = config["axes"]["width"][:2]  # --quick: the first two scales, 2 seeds, 20 steps
    lengths = list(range(9, 13))
    assert sorted(table["width"].unique()) == sorted(widths)
    assert sorted(table["length"].unique()) == lengths
    assert len(table) == len(widths) * 2 * len(lengths)
    assert (table.groupby(["width", "seed"]).size() == len(lengths)).all()
    traj = pd.read_csv(tmp_path / "pop_trajectory.csv.gz")
    # 4 checkpoints of 20 steps, one row per run and checkpoint (metric averaged over lengths)
    assert sorted(traj["step"].unique()) == [5, 10, 15, 20]
    assert len(traj) == len(widths) * 2 * 4 and (traj["n_lengths"] == len(lengths)).all()
    # the last checkpoint is the final model: same mean exact match as the table
    final = traj[traj["step"] == 20].set_index(["width", "seed"])["exact_match"]
    mean = table.groupby(["width", "seed"])["exact_match"].mean()
    pd.testing.assert_series_equal(final.sort_index(), mean.sort_index(), check_names=False,
                                   check_dtype=False, atol=1e-6)
    sidecar = (tmp_path / "pop.md").read_text()
    assert "Share of seeds above 0.5 at each checkpoint" in sidecar and "dip" in sidecar
    assert "Share of seeds above" in out
    with RunStore(tmp_path / "runs.sqlite", readonly=True) as store:
        assert len(store.runs()) == len(widths) * 2
        assert len(store.trajectories()) == len(widths) * 2 * 4 * len(lengths)
