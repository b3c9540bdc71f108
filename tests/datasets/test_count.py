"""The bundled count-task population (distscale.datasets.load_count_population).

Reference values come from the CSV itself read with plain pandas (not through
the loader or distscale.run_table), and from the sweep configuration
scripts/count_population.toml that made it (read with tomllib).
"""

from __future__ import annotations

import gzip
import itertools
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import tomllib

import distscale as ds
from distscale.datasets import (
    COUNT_POPULATION_DEFAULTS,
    COUNT_POPULATION_METRICS,
    load_count_population,
)
from tests._helpers import REPO_ROOT

ROOT = REPO_ROOT
DATA = ROOT / "distscale" / "datasets" / "data" / "count_population.csv.gz"
CONFIG = ROOT / "scripts" / "count_population.toml"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    with gzip.open(DATA, "rt") as fh:
        return pd.read_csv(fh)


def test_table_matches_the_sweep_config(raw):
    config = tomllib.loads(CONFIG.read_text())
    assert sorted(raw["width"].unique().tolist()) == config["axes"]["width"]
    assert set(raw["depth"]) == {config["model"]["depth"]}
    assert set(raw["steps"]) == {config["train"]["steps"]}
    assert set(raw["positional"]) == {config["model"]["positional"]}
    assert sorted(raw["length"].unique().tolist()) == list(range(21, 31))  # test "21-30"
    per_width = raw.groupby("width")["seed"].nunique()
    assert (per_width == config["seeds"]).all()
    # one row per run and test length, nothing duplicated or missing
    assert not raw.duplicated(["width", "seed", "length"]).any()
    assert len(raw) == len(config["axes"]["width"]) * config["seeds"] * 10


def test_run_level_is_the_mean_over_lengths(raw):
    runs = load_count_population(as_frame=True)
    ref = raw.groupby(["width", "seed"])[list(COUNT_POPULATION_METRICS)].mean()
    got = runs.set_index(["width", "seed"]).loc[ref.index, list(COUNT_POPULATION_METRICS)]
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy())
    assert (runs["n_lengths"] == 10).all()
    longest = load_count_population(lengths=[28, 29, 30], as_frame=True)
    ref = raw[raw["length"] >= 28].groupby(["width", "seed"])["exact_match"].mean()
    np.testing.assert_allclose(longest.set_index(["width", "seed"]).loc[ref.index,
                                                                      "exact_match"], ref)


def test_population_and_defaults():
    pop = load_count_population()
    assert isinstance(pop, ds.Population)
    assert pop.scale == COUNT_POPULATION_DEFAULTS["scale"] == "n_params"
    assert pop.n_seeds().tolist() == [48] * 6
    assert set(COUNT_POPULATION_METRICS) <= set(pop.metrics)
    lo, hi = COUNT_POPULATION_DEFAULTS["bounds"]
    for v in pop.values(COUNT_POPULATION_DEFAULTS["value"]):
        assert v.min() >= lo and v.max() <= hi
    # the calibration claim: the success fraction rises with scale, from none to all
    cut = COUNT_POPULATION_DEFAULTS["threshold"]
    frac = [float(np.mean(v > cut)) for v in pop.values("exact_match")]
    assert frac[0] == 0.0 and frac[-1] == 1.0
    assert all(a <= b for a, b in itertools.pairwise(frac))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"level": "seed"}, ValueError, "`level` must be 'run' or 'length'"),
        ({"level": "length"}, ValueError, "as_frame=True"),
        ({"level": "length", "as_frame": True, "lengths": [30]}, ValueError, "level='run'"),
        ({"lengths": [5]}, ValueError, r"`lengths` \[5\] were not evaluated"),
        ({"lengths": [2.5]}, TypeError, "`lengths` must hold integers"),
        ({"as_frame": "yes"}, TypeError, "`as_frame` must be True or False"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_count_population(**kwargs)


def test_loading_does_not_import_torch():
    code = ("import sys; from distscale.datasets import load_count_population; "
            "load_count_population(); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_regeneration_script_runs_and_resumes(tmp_path):
    """scripts/make_count_population.py --quick: the same pipeline on a tiny sweep."""
    pytest.importorskip("torch")
    out, store = tmp_path / "pop.csv.gz", tmp_path / "runs.sqlite"
    cmd = [sys.executable, str(ROOT / "scripts" / "make_count_population.py"), "--quick",
           "--workers", "0", "--output", str(out), "--store", str(store)]
    first = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "width 16: n 2" in first.stdout and "width 32: n 2" in first.stdout
    table = pd.read_csv(out)
    assert len(table) == 2 * 2 * 10  # widths x seeds x test lengths
    assert set(COUNT_POPULATION_METRICS) <= set(table.columns)
    sidecar = (tmp_path / "pop.md").read_text()
    assert "--store runs.sqlite" in sidecar and "--quick overrides" in sidecar
    # a rerun trains nothing (every run is in the store) and writes the same bytes
    before = out.read_bytes()
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert out.read_bytes() == before
