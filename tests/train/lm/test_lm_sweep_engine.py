"""LM populations through the one sweep engine (distscale.train.Sweep and its run store).

References:
- the former LM runner's own output: ``data/lm_runs_store.sqlite3`` was written by
  ``run_lm_sweep`` before it became a wrapper of ``Sweep`` (its ``lm_runs`` rows, read here
  with plain sqlite3 and json), for the tiny synthetic setup of test_sweep.py (``SYNTHETIC``),
  one torch thread; and ``lm_population`` called directly (the tested trainer and scorer);
- an uninterrupted in-process sweep, for the sweeps with a SIGKILLed worker, two drivers on
  one store, and Dask (the same guarantees as the synthetic tasks' tests in
  tests/train/test_sweep.py, whose process helpers are reused);
- the store's contents by plain SQL (``runs.kind``, ``lm_results``, ``attempts``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

pytest.importorskip("transformers")

from distscale.cli import main as cli
from distscale.train import RunStore, Sweep
from distscale.train.lm import (
    ContinueConfig,
    LMGrid,
    SyntheticSetup,
    lm_population,
    lm_sweep,
    pretrain_synthetic,
    read_lm_store,
    run_lm_sweep,
    upgrade_lm_store,
)
from tests.train.lm.test_sweep import SYNTHETIC
from tests.train.test_sweep import (
    _hold_store_until_open,
    _in_flight,
    _train_process,
    _training_counts,
    _wait_for,
)

OLD_STORE = Path(__file__).parent / "data" / "lm_runs_store.sqlite3"
TIMING = ["seconds_per_seed"]
#: Four ratios x 2 seeds, one seed per unit: 8 units (the process tests).
CRASH_TOML = """
[model]
synthetic = true
[model.setup]
n_general = 60
n_task = 30
n_items = 12
n_heldout = 12
[model.setup.model]
depth = 2
width = 16
heads = 2
positional = "learned"
max_positions = 32
[model.setup.pretrain]
layers = 0
steps = 20
batch_size = 8
seq_len = 16
[population]
ratios = [0.0, 0.25, 0.5, 0.75]
seeds = 2
ensemble_size = 1
[train]
layers = 1
steps = 5
batch_size = 8
seq_len = 16
"""


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _old_rows() -> pd.DataFrame:
    """The former runner's rows, read with sqlite3 and json only."""
    with sqlite3.connect(f"file:{OLD_STORE}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT row FROM lm_runs ORDER BY ratio, seed").fetchall()
    return pd.DataFrame([json.loads(r) for (r,) in rows])


def _sql(store, query):
    with sqlite3.connect(store) as conn:
        return conn.execute(query).fetchall()


# --------------------------------------------------------------- one engine
def test_an_lm_sweep_equals_the_former_runner_and_resumes_without_training(tmp_path):
    store = tmp_path / "runs.sqlite"
    sweep = Sweep.from_config(SYNTHETIC, store=store)  # a [population] table: an LM sweep
    assert sweep.kind == "lm" and repr(sweep.grid) == "LMGrid(2 ratios, 6 runs)"
    assert sweep.status().n_pending == 6
    assert sweep.run(workers=0, progress=False).n_trained == 6
    table = sweep.population()
    pd.testing.assert_frame_equal(table.drop(columns=TIMING), _old_rows().drop(columns=TIMING))
    assert table.attrs["higher_is_better"]["nll"] is False
    # the trainer itself, called as the former runner called it (one ensemble per ratio)
    model, tok, data = pretrain_synthetic(SyntheticSetup.from_dict(
        SYNTHETIC["model"]["setup"]))
    direct = pd.concat([lm_population(
        model, tokenizer=tok, general=data["general"], task=data["task"], items=data["items"],
        heldout=data["heldout"], ratios=[r], seeds=3, ensemble_size=3,
        config=ContinueConfig.from_dict(SYNTHETIC["train"])) for r in (0.0, 0.5)],
        ignore_index=True)
    pd.testing.assert_frame_equal(table.drop(columns=TIMING), direct.drop(columns=TIMING))
    # resumed: nothing trained, nothing rewritten
    before = _sql(store, "SELECT run_id, finished_at FROM runs ORDER BY run_id")
    assert Sweep.from_config(SYNTHETIC, store=store).run(workers=0, progress=False) \
        .n_trained == 0
    assert run_lm_sweep(SYNTHETIC, store).equals(table)
    assert _sql(store, "SELECT run_id, finished_at FROM runs ORDER BY run_id") == before
    # the store by plain SQL: six lm runs, one lm_results row each, trained once
    assert _sql(store, "SELECT kind, count(*) FROM runs GROUP BY kind") == [("lm", 6)]
    assert _sql(store, "SELECT count(*) FROM lm_results") == [(6,)]
    assert _sql(store, "SELECT count(*) FROM results") == [(0,)]
    assert _sql(store, "SELECT outcome, count(*) FROM attempts GROUP BY outcome") == \
        [("committed", 6)]
    assert _sql(store, "SELECT value FROM meta WHERE key='schema_version'") == [("3",)]
    with RunStore(store, readonly=True) as s:
        assert s.check().ok and s.runs().kind.eq("lm").all()
    assert sweep.status().to_frame()[["label", "done"]].values.tolist() == \
        [["ratio=0.0", 3], ["ratio=0.5", 3]]


def test_a_run_with_missing_rows_is_retrained_and_a_grown_sweep_trains_only_new_runs(tmp_path):
    store = tmp_path / "runs.sqlite"
    full = run_lm_sweep(SYNTHETIC, store)
    lost = _sql(store, "SELECT run_id FROM lm_results WHERE ratio = 0.5 AND seed = 1")[0][0]
    _sql(store, f"DELETE FROM lm_results WHERE run_id = '{lost}'")
    with RunStore(store, readonly=True) as s:
        assert s.check().incomplete == (lost,)
    assert len(read_lm_store(store)) == 5  # never exported
    status = lm_sweep(SYNTHETIC, store).run(workers=0, progress=False)
    assert status.n_trained == 1 and status.requeued == (lost,)
    pd.testing.assert_frame_equal(read_lm_store(store).drop(columns=TIMING),
                                  full.drop(columns=TIMING))
    # two more seeds: only they are trained (units are chunks by seed position)
    grown = {**SYNTHETIC, "population": {"ratios": [0.0, 0.5], "seeds": 5, "ensemble_size": 3}}
    assert lm_sweep(grown, store).run(workers=0, progress=False).n_trained == 4
    assert len(read_lm_store(store)) == 10
    # another training configuration in the same store: read one sweep at a time
    other = {**SYNTHETIC, "train": {**SYNTHETIC["train"], "steps": 6}}
    assert lm_sweep(other, store).run(workers=0, progress=False).n_trained == 6
    with pytest.raises(ValueError, match="several configurations"):
        read_lm_store(store)
    assert len(lm_sweep(other, store).population()) == 6


def test_the_former_runners_store_is_read_refused_with_the_way_out_and_upgraded(tmp_path):
    old = tmp_path / "old.sqlite"
    shutil.copy(OLD_STORE, old)
    digest = old.read_bytes()
    pd.testing.assert_frame_equal(read_lm_store(old), _old_rows())
    with pytest.raises(ValueError, match=r"former LM runner.*upgrade_lm_store"):
        run_lm_sweep(SYNTHETIC, old)
    with pytest.raises(ValueError, match="former LM runner"):
        RunStore(old)
    new = tmp_path / "new.sqlite"
    assert upgrade_lm_store(old, new) == 6
    assert old.read_bytes() == digest  # only read
    sweep = lm_sweep(SYNTHETIC, new)
    assert sweep.status().n_done == 6
    assert sweep.run(workers=0, progress=False).n_trained == 0  # the same run ids
    pd.testing.assert_frame_equal(sweep.population(), _old_rows(), check_like=False)
    assert upgrade_lm_store(old, new) == 0  # never twice
    with pytest.raises(ValueError, match="another file"):
        upgrade_lm_store(old, old)
    with pytest.raises(ValueError, match="not a store of the former LM runner"):
        upgrade_lm_store(new, tmp_path / "x.sqlite")
    with pytest.raises(FileNotFoundError, match="`old` store"):
        upgrade_lm_store(tmp_path / "none.sqlite", new)


def test_lm_sweep_errors_name_the_argument(tmp_path):
    grid = LMGrid(SYNTHETIC)
    with pytest.raises(ValueError, match="`checkpoints` are not available for LM sweeps"):
        Sweep(grid, store=tmp_path / "r.sqlite", checkpoints=10)
    with pytest.raises(ValueError, match="`seeds` is only for a plain list"):
        Sweep(grid, store=tmp_path / "r.sqlite", seeds=3)
    with RunStore(tmp_path / "r.sqlite") as s:
        with pytest.raises(ValueError, match="`kind` must be one of"):
            s.results(kind="vision")
        with pytest.raises(ValueError, match="run table does not match the store schema"):
            s.commit(pd.DataFrame({"run_id": ["a"], "ratio": [0.1]}), {}, worker="w",
                     versions={}, kind="lm")
    with pytest.raises(ValueError, match=r"\[population\] needs `ratios`"):
        Sweep.from_config({"model": {"synthetic": True}, "population": {}},
                          store=tmp_path / "r.sqlite")


# ------------------------------------------------- processes, drivers, Dask
@pytest.fixture(scope="module")
def crash(tmp_path_factory):
    """The process tests' configuration file and its uninterrupted in-process population."""
    folder = tmp_path_factory.mktemp("lmcrash")
    config = folder / "lm.toml"
    config.write_text(CRASH_TOML)
    torch.set_num_threads(1)
    return config, run_lm_sweep(config, folder / "ref.sqlite").drop(columns=TIMING)


def _final(config, store):
    return Sweep.from_config(config, store=store).population().drop(columns=TIMING)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc")
def test_sigkill_of_an_lm_worker_retries_its_unit(tmp_path, crash):
    config, expected = crash
    store = tmp_path / "runs.sqlite"
    proc = _train_process(config, store, "--workers", "2")
    try:
        # the first unit of a fresh worker imports transformers and pretrains: seconds
        run_id, unit, _, pid, _ = _wait_for(lambda: _in_flight(store)[:1], [proc])[0]
        os.kill(pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    pd.testing.assert_frame_equal(_final(config, store), expected)  # = uninterrupted
    counts, _ = _training_counts(store)
    with RunStore(store, readonly=True) as s:
        attempts = s.attempts()
        assert s.check().ok and s.leases().empty
    died = attempts[attempts.outcome == "worker died"]
    assert set(died.unit) == {unit} and set(died.run_id) == {run_id}
    assert died.error.str.contains(f"worker process {pid} died \\(killed by SIGKILL\\)").all()
    assert counts[run_id] == 2 and (counts.drop(run_id) == 1).all() and len(counts) == 8
    assert (attempts.groupby("run_id").outcome.last() == "committed").all()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_two_lm_drivers_on_one_store_train_every_run_once(tmp_path, crash):
    config, expected = crash
    store = tmp_path / "runs.sqlite"
    Sweep.from_config(config, store=store)  # create the store before the drivers race
    procs = [_train_process(config, store, "--workers", "0") for _ in range(2)]
    try:
        _hold_store_until_open(store, procs)
        for proc in procs:
            _, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err.decode()[-2000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    pd.testing.assert_frame_equal(_final(config, store), expected)
    counts, outcomes = _training_counts(store)
    assert len(counts) == 8 and (counts == 1).all() and (outcomes == "committed").all()
    with RunStore(store, readonly=True) as s:
        owners = s.attempts().owner.str.split(":").str[1].astype(int)
        assert s.leases().empty
    assert set(owners) == {p.pid for p in procs}  # both drivers did part of the work


def test_an_lm_sweep_on_dask_equals_the_local_one(tmp_path, crash):
    distributed = pytest.importorskip("distributed")
    config, expected = crash
    threads = torch.get_num_threads()
    try:
        with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                table = run_lm_sweep(config, tmp_path / "dask.sqlite", client=client)
    finally:
        torch.set_num_threads(threads)
    pd.testing.assert_frame_equal(table.drop(columns=TIMING), expected)


def test_the_cli_trains_an_lm_config_reports_it_and_repairs_its_store(tmp_path, crash, capsys):
    config, expected = crash
    store, out = tmp_path / "runs.sqlite", tmp_path / "pop.csv"
    assert cli(["train", str(config), "--store", str(store), "--workers", "0",
                "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "LMGrid(4 ratios, 8 runs)" in text and "trained 8 run(s) now" in text
    assert "ratio=0.75" in text and "8 of 8 runs finished, 0 pending" in text
    pd.testing.assert_frame_equal(pd.read_csv(out).drop(columns=TIMING), expected,
                                  check_dtype=False)
    _sql(store, "DELETE FROM lm_results WHERE seed = 1 AND ratio = 0.25")
    assert cli(["train", str(config), "--store", str(store), "--status"]) == 0
    assert "7 of 8 runs finished, 1 pending" in capsys.readouterr().out
    assert cli(["train", str(config), "--store", str(store), "--repair"]) == 0
    assert "removed 1 run(s) with missing" in capsys.readouterr().out
    assert cli(["train", str(config), "--store", str(store), "--workers", "0"]) == 0
    assert "trained 1 run(s) now" in capsys.readouterr().out
    pd.testing.assert_frame_equal(_final(config, store), expected)


def _zero_a_page(path, table):
    """Overwrite one leaf page of ``table`` with zeros (as test_store_check does for results)."""
    con = sqlite3.connect(path)
    try:
        pages = [r[0] for r in con.execute(
            f"SELECT pageno FROM dbstat WHERE name='{table}' AND pagetype='leaf' ORDER BY pageno")]
        size = con.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table")
    finally:
        con.close()
    with open(path, "r+b") as f:
        f.seek((pages[len(pages) // 2] - 1) * size)
        f.write(b"\0" * size)


@pytest.mark.parametrize("damaged", ["results", "lm_results"])
def test_repair_of_a_damaged_mixed_store_keeps_the_intact_runs_of_both_kinds(tmp_path, damaged):
    from tests.train.test_store_check import _many_runs

    store = tmp_path / "runs.sqlite"
    lm = run_lm_sweep(SYNTHETIC, store)
    synthetic = _many_runs(store)  # 200 runs of a count task in the same store
    _sql(store, "PRAGMA wal_checkpoint(TRUNCATE)")
    _zero_a_page(store, damaged)
    report = RunStore.repair(store)
    with RunStore(store, readonly=True) as s:
        assert s.check().ok
        runs, kept = s.runs(), s.results()
    kinds = runs.kind.value_counts().to_dict()
    if damaged == "results":  # some count-task runs lost; every LM run kept, as it was
        pd.testing.assert_frame_equal(read_lm_store(store), lm)
        assert kinds["lm"] == 6 and 150 <= kinds["synthetic"] < 200
        original = synthetic[synthetic.run_id.isin(set(kept.run_id))].reset_index(drop=True)
        pd.testing.assert_frame_equal(kept, original)
    else:  # the LM rows' only page is gone: those runs are lost, every other run kept
        assert kinds == {"synthetic": 200} and report.lost == 6
        assert lm_sweep(SYNTHETIC, store).status().n_pending == 6
