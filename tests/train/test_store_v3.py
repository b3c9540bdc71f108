"""Schema version 3 (unit kinds): a version-2 store written by the former code still works.

Reference: ``data/store_v2.sqlite3`` was written by distscale's sweep before schema version 3
(2 depths x 2 seeds of the small count sweep, ensembles of 2, one torch thread); its runs
must read back as ``train_population`` gives them (the trainer, tested on its own), before
and after the in-place upgrade, and a sweep must go on in the upgraded store.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("torch")

from distscale.train import RunStore, Sweep, SweepGrid, read_store
from tests.train._small_sweep import MODEL, NONDETERMINISTIC, TASK, TRAIN
from tests.train.test_sweep import expected_table

pytestmark = pytest.mark.usefixtures("torch_one_thread")
V2_STORE = Path(__file__).parent / "data" / "store_v2.sqlite3"


def _sql(store, query):
    with sqlite3.connect(store) as conn:
        return conn.execute(query).fetchall()


def test_a_version_2_store_is_read_as_it_is_then_upgraded_in_place(tmp_path):
    digest = hashlib.sha256(V2_STORE.read_bytes()).hexdigest()
    store = tmp_path / "runs.sqlite"
    shutil.copy(V2_STORE, store)
    grid = SweepGrid.product(TASK, MODEL, TRAIN, seeds=2, depth=[1, 2])
    expected = expected_table(grid, 2)
    assert _sql(store, "SELECT value FROM meta WHERE key='schema_version'") == [("2",)]
    with RunStore(store, readonly=True) as s:  # read without upgrading
        assert s.check().ok and s.runs().kind.eq("synthetic").all() and len(s.runs()) == 4
        assert s.results(kind="lm").empty
    pd.testing.assert_frame_equal(
        read_store(store).drop(columns=NONDETERMINISTIC).sort_values(["depth", "seed", "length"])
        .reset_index(drop=True),
        expected.sort_values(["depth", "seed", "length"]).reset_index(drop=True))
    assert "kind" not in {r[1] for r in _sql(store, "PRAGMA table_info(runs)")}

    sweep = Sweep(grid, store=store, ensemble_size=2)  # opened for writing: upgraded
    assert _sql(store, "SELECT value FROM meta WHERE key='schema_version'") == [("3",)]
    assert _sql(store, "SELECT kind, count(*) FROM runs GROUP BY kind") == [("synthetic", 4)]
    assert _sql(store, "SELECT count(*) FROM lm_results") == [(0,)]
    assert sweep.run(workers=0, progress=False).n_trained == 0
    pd.testing.assert_frame_equal(sweep.population().drop(columns=NONDETERMINISTIC), expected)
    # the sweep goes on in the upgraded store: only the new seeds are trained
    grown = Sweep(SweepGrid.product(TASK, MODEL, TRAIN, seeds=4, depth=[1, 2]), store=store,
                  ensemble_size=2)
    assert grown.run(workers=0, progress=False).n_trained == 4
    pd.testing.assert_frame_equal(grown.population().drop(columns=NONDETERMINISTIC),
                                  expected_table(grown.grid, 2))
    with RunStore(store, readonly=True) as s:
        assert s.check().ok and s.runs().kind.eq("synthetic").all()
    assert hashlib.sha256(V2_STORE.read_bytes()).hexdigest() == digest  # the fixture is intact
