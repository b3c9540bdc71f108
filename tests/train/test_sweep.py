"""Tests of sweeps (distscale.train.Sweep), the SQLite run store and ``distscale train``.

Reference values: the sweep's table must equal, exactly, what
``train_population`` (the trainer, tested on its own in test_train_trainer.py)
gives for each setting with the same seed chunks; a sweep killed with SIGKILL
and resumed must equal an uninterrupted sweep; a Dask run must equal a local
one; the store's contents are checked with plain SQL through Python's sqlite3.
Configurations are tiny (depth 1-2, width 16, 20 steps, 8 evaluation samples).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
import tomllib

torch = pytest.importorskip("torch")

from distscale.cli import main  # noqa: E402
from distscale.train import (  # noqa: E402
    ModelConfig,
    RunStore,
    Sweep,
    SweepError,
    SweepGrid,
    read_store,
    run_key,
    summarize_runs,
    train_population,
)
from tests._helpers import REPO_ROOT  # noqa: E402
from tests.train._small_sweep import MODEL, NONDETERMINISTIC, TASK, TRAIN, sweep_config  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def small_grid(seeds=4):
    return SweepGrid.product(TASK, MODEL, TRAIN, seeds=seeds, depth=[1, 2])


def expected_table(grid, ensemble_size):
    """Reference: train_population per setting, seeds chunked as the sweep chunks them."""
    frames = []
    for s in grid.settings:
        for i in range(0, len(s.seeds), ensemble_size):
            frames.append(train_population(
                s.task, s.model, s.train, seeds=list(s.seeds[i:i + ensemble_size]),
                ensemble_size=ensemble_size, progress=False, threads=1))
    return pd.concat(frames, ignore_index=True).drop(columns=NONDETERMINISTIC)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted in-process sweep of small_grid() with ensembles of 2."""
    store = tmp_path_factory.mktemp("ref") / "runs.sqlite"
    sweep = Sweep(small_grid(), store=store, ensemble_size=2)
    status = sweep.run(workers=0, progress=False)
    assert status.n_trained == 8
    return sweep.population().drop(columns=NONDETERMINISTIC)


# ------------------------------------------------------------------- grid
def test_product_grid_order_and_labels():
    grid = SweepGrid.product(TASK, MODEL, TRAIN, seeds=[3, 1], axes={"train.lr": [1e-3, 3e-3]},
                             depth=[1, 2])
    # itertools.product order: the first axis varies slowest
    assert [(s.train.lr, s.model.depth) for s in grid.settings] == [
        (1e-3, 1), (1e-3, 2), (3e-3, 1), (3e-3, 2)]
    assert grid.n_runs == 8 and all(s.seeds == (3, 1) for s in grid.settings)
    assert grid.labels()[1] == "depth=2, lr=0.001"
    assert grid.keys[0] == [run_key(TASK, grid.settings[0].model, grid.settings[0].train, 3),
                            run_key(TASK, grid.settings[0].model, grid.settings[0].train, 1)]


def test_grid_from_list_of_dicts_equals_objects():
    a = SweepGrid([{"task": TASK, "model": MODEL, "train": TRAIN, "seeds": 2}])
    b = SweepGrid([{"task": TASK.to_dict(), "model": MODEL.to_dict(), "train": TRAIN.to_dict()}],
                  seeds=[0, 1])
    assert a.keys == b.keys


def test_config_mapping_with_settings_axes_ranges_and_none():
    config = {
        "seeds": 3,
        "task": {"name": "count", "train_lengths": "1-3", "test_lengths": [4, 5],
                 "n_numbers": 8},
        "model": {"width": 16, "heads": 2},
        "train": {"steps": 20, "grad_clip": "none"},
        "settings": [{"model": {"depth": 1}}, {"model.depth": 2, "lr": 3e-3, "seeds": [7]}],
        "axes": {"task": {"n_numbers": [8, 9]}},
    }
    grid = SweepGrid.from_config(config)
    got = [(s.model.depth, s.train.lr, s.task.n_numbers) for s in grid.settings]
    assert got == [(1, 1e-3, 8), (1, 1e-3, 9), (2, 3e-3, 8), (2, 3e-3, 9)]
    assert grid.settings[0].task.train_lengths == (1, 2, 3)
    assert grid.settings[0].train.grad_clip is None
    assert [s.seeds for s in grid.settings] == [(0, 1, 2), (0, 1, 2), (7,), (7,)]


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: SweepGrid.product(TASK, seeds=2, bogus=[1]), ValueError, "unknown field 'bogus'"),
        (lambda: SweepGrid.product(TASK, seeds=2, axes={"model.lr": [1]}), ValueError,
         "model has no field 'lr'"),
        (lambda: SweepGrid.product(TASK, seeds=2, depth=[]), ValueError, "axis 'depth' has no"),
        (lambda: SweepGrid.product(TASK, seeds=2, depth=3), TypeError, "must be a list"),
        (lambda: SweepGrid.product(TASK, seeds=2, depth=[0]), ValueError, "depth=0.*at least 1"),
        (lambda: SweepGrid.product(TASK, seeds=[1, 1]), ValueError, "duplicates"),
        (lambda: SweepGrid.product(TASK, ModelConfig(width=16, heads=2, positional="learned",
                                                     max_positions=10),
                                   seeds=1, test_lengths=[[4, 5], [4, 5, 6]]),
         ValueError, r"setting test_lengths=\[4, 5, 6\]: .*max_positions \(10\)"),
        (lambda: SweepGrid([{"task": TASK}, {"task": TASK}], seeds=1), ValueError, "identical"),
        (lambda: SweepGrid([{"task": TASK}]), ValueError, "no seeds"),
        (lambda: SweepGrid([{"task": TASK, "modle": {}}], seeds=1), ValueError, "unknown key"),
        (lambda: SweepGrid([]), ValueError, "at least one setting"),
        (lambda: SweepGrid({"task": TASK}), TypeError, "list of settings"),
        (lambda: SweepGrid.from_config({"seeds": 1, "task": {"name": "count"}, "ax": {}}),
         ValueError, r"unknown sweep config key\(s\) \['ax'\]"),
        (lambda: SweepGrid.from_config({"task": {"name": "count"}}), ValueError, "needs `seeds`"),
        (lambda: SweepGrid.from_config({"seeds": 1, "task": {"name": "nope"}}), ValueError,
         "unknown task 'nope'"),
    ],
)
def test_grid_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_ambiguous_bare_name(tmp_path):
    # a field both ModelConfig and TrainConfig have must be prefixed: build one on the fly
    import dataclasses

    from distscale.train.grid import _resolve

    @dataclasses.dataclass(frozen=True)
    class T:
        depth: int = 1

    setting = small_grid().settings[0]
    fake = dataclasses.replace(setting)
    object.__setattr__(fake, "train", T())
    with pytest.raises(ValueError, match="ambiguous"):
        _resolve("depth", fake)


# ------------------------------------------------------------- the store
def test_sweep_equals_train_population_and_resume_trains_nothing(tmp_path, reference):
    # reference: train_population per setting with the same chunks (exact equality)
    pd.testing.assert_frame_equal(reference, expected_table(small_grid(), 2))
    store = tmp_path / "runs.sqlite"
    sweep = Sweep(small_grid(), store=store, ensemble_size=2)
    assert sweep.status().n_pending == 8
    sweep.run(workers=0, progress=False)
    with RunStore(store) as s:
        before = s.runs()
    again = sweep.run(workers=0, progress=False)
    assert (again.n_trained, again.n_done, again.n_pending) == (0, 8, 0)
    with RunStore(store) as s:
        pd.testing.assert_frame_equal(s.runs(), before)  # nothing rewritten
    pd.testing.assert_frame_equal(sweep.population().drop(columns=NONDETERMINISTIC), reference)
    runs = sweep.population(level="run")
    expected = summarize_runs(sweep.population())
    pd.testing.assert_frame_equal(runs, expected)
    # read_store sees the same rows (in its own order)
    everything = read_store(store).drop(columns=NONDETERMINISTIC)
    key = ["run_id", "length"]
    pd.testing.assert_frame_equal(everything.sort_values(key, ignore_index=True),
                                  reference.sort_values(key, ignore_index=True))


def test_store_schema_by_plain_sql(tmp_path, reference):
    store = tmp_path / "runs.sqlite"
    sweep = Sweep(small_grid(2), store=store, ensemble_size=2)
    sweep.run(workers=0, progress=False)
    con = sqlite3.connect(store)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    n_runs, n_rows = con.execute("SELECT count(*), sum(n_rows) FROM runs").fetchone()
    assert (n_runs, n_rows) == (4, 8)  # 2 depths x 2 seeds, 2 test lengths each
    task, model = con.execute("SELECT task, model FROM runs LIMIT 1").fetchone()
    assert json.loads(task) == TASK.to_dict() and json.loads(model)["width"] == 16
    got = con.execute("SELECT exact_match, nll FROM results WHERE depth=2 AND seed=1 "
                      "ORDER BY length").fetchall()
    con.close()
    ref = reference[(reference.depth == 2) & (reference.seed == 1)].sort_values("length")
    assert got == list(zip(ref.exact_match, ref.nll, strict=True))  # exact float round trip


def test_commit_never_repeats_a_run(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    table = train_population(TASK, MODEL, TRAIN, seeds=[0, 1], progress=False, threads=1)
    configs = {k: (TASK, MODEL, TRAIN) for k in table.run_id.unique()}
    assert len(store.commit(table, configs, worker="w", versions={})) == 2
    assert store.commit(table, configs, worker="w", versions={}) == []
    assert len(store.results()) == len(table) and store.check().ok
    with pytest.raises(ValueError, match="missing"):
        store.commit(table.drop(columns="nll"), configs, worker="w", versions={})
    store.close()


def test_store_errors(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all, just some bytes" * 10)
    with pytest.raises(ValueError, match="not a usable SQLite run store"):
        RunStore(bad)
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.close()
    with pytest.raises(ValueError, match="another program"):
        RunStore(other)
    with pytest.raises(ValueError, match="is a directory"):
        Sweep(small_grid(), store=tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Sweep(small_grid(), store=tmp_path / "no" / "runs.sqlite")
    with pytest.raises(TypeError, match="file path"):
        Sweep(small_grid(), store=3)
    with pytest.raises(FileNotFoundError):
        read_store(tmp_path / "absent.sqlite")


def test_run_and_population_errors(tmp_path):
    sweep = Sweep(small_grid(), store=tmp_path / "r.sqlite")
    with pytest.raises(ValueError, match="not both"):
        sweep.run(object(), workers=2)
    with pytest.raises(TypeError, match=r"dask\.distributed\.Client"):
        sweep.run(object())
    with pytest.raises(ValueError, match="`workers` must be at least 0"):
        sweep.run(workers=-1)
    with pytest.raises(ValueError, match="8 of 8 runs are not finished"):
        sweep.population()
    assert sweep.population(allow_pending=True).empty
    with pytest.raises(ValueError, match="`level`"):
        sweep.population(level="seed")
    with pytest.raises(ValueError, match="`ensemble_size`"):
        Sweep(small_grid(), store=tmp_path / "r.sqlite", ensemble_size=0)
    with pytest.raises(ValueError, match="only for a plain list"):
        Sweep(small_grid(), store=tmp_path / "r.sqlite", seeds=3)


def test_failed_unit_raises_after_committing_the_others(tmp_path, monkeypatch):
    import distscale.train.workers as sweep_module

    real = sweep_module._train_unit

    def flaky(payload):  # the unit of setting depth=2 fails in the "worker"
        if payload["model"].depth == 2:
            raise RuntimeError("worker out of memory")
        return real(payload)

    monkeypatch.setattr(sweep_module, "_train_unit", flaky)
    sweep = Sweep(small_grid(2), store=tmp_path / "r.sqlite", ensemble_size=2)
    with pytest.raises(SweepError, match=r"1 of 2 units failed for good \(2 runs\).*setting 1.*out of"):
        sweep.run(workers=0, progress=False)
    status = sweep.status()
    assert (status.n_done, status.n_pending) == (2, 2)
    assert status.to_frame()["done"].tolist() == [2, 0]
    monkeypatch.setattr(sweep_module, "_train_unit", real)
    assert sweep.run(workers=0, progress=False).n_trained == 2  # a rerun retries the rest


def test_varying_train_field_becomes_a_column(tmp_path):
    grid = SweepGrid.product(TASK, MODEL, TRAIN, seeds=1, lr=[1e-3, 2e-3])
    sweep = Sweep(grid, store=tmp_path / "r.sqlite")
    sweep.run(workers=0, progress=False)
    table = sweep.population()
    assert table["lr"].tolist() == [1e-3, 1e-3, 2e-3, 2e-3]
    assert list(table.columns).index("lr") == list(table.columns).index("seed") - 1
    assert sweep.population(level="run")["lr"].tolist() == [1e-3, 2e-3]


# ------------------------------------------------------ kill and resume
def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def _done(store):
    if not os.path.exists(store):
        return 0
    try:
        con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM runs").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:  # tables not created yet
        return 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc")
def test_sigkill_mid_run_then_resume_equals_uninterrupted(tmp_path, reference, capsys):
    # `distscale train` in a subprocess: 2 depths x 8 seeds in ensembles of 2 = 8 units on 2
    # worker processes, all queued at once; the parent (the only writer) is SIGKILLed as soon
    # as a unit is committed, while the workers are busy with the next ones
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG.replace("seeds = 4", "seeds = 8"))
    store = tmp_path / "runs.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "distscale.cli", "train", str(config), "--store", str(store),
         "--workers", "2", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    worker_pids = set()
    try:
        deadline = time.monotonic() + 120
        while _done(store) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        with RunStore(store, readonly=True) as s:
            busy = {int(w.split(":")[1]) for w in s.runs().worker}
        # a worker that has committed a unit is alive with more units queued: in flight
        assert any(_alive(p) for p in busy)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with RunStore(store) as s:
            runs_at_kill = s.runs()
            assert s.check().ok  # no partial rows: every run complete, no orphan rows
            rows_at_kill = s.results()
        worker_pids = {int(w.split(":")[1]) for w in runs_at_kill.worker}
        n_killed = len(runs_at_kill)
        assert 2 <= n_killed < 16 and n_killed % 2 == 0  # whole units, some still to do
        assert len(rows_at_kill) == 2 * n_killed  # 2 test lengths per run
        # orphaned workers notice that their parent is gone and exit
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in worker_pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in worker_pids)
    finally:
        for pid in [proc.pid, *worker_pids]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

    # resume: the same command (in this process, to keep the test fast)
    assert main(["train", str(config), "--store", str(store), "--workers", "0"]) == 0
    assert f"trained {16 - n_killed} run(s) now" in capsys.readouterr().out  # only the missing
    with RunStore(store) as s:
        runs = s.runs()
        assert s.check().ok
    assert runs.run_id.is_unique and len(runs) == 16
    before = runs.set_index("run_id").loc[runs_at_kill.run_id].reset_index()
    pd.testing.assert_frame_equal(before, runs_at_kill)  # not retrained, not rewritten

    sweep = Sweep.from_config(config, store=store)
    final = sweep.population().drop(columns=NONDETERMINISTIC)
    pd.testing.assert_frame_equal(final, expected_table(sweep.grid, 2))  # = uninterrupted
    subset = final[final.seed < 4].reset_index(drop=True)
    pd.testing.assert_frame_equal(subset, reference)
    # training counts: the units in flight at the kill were started twice (their first
    # attempt is marked abandoned when the resumed driver takes them over), all others once
    counts, outcomes = _training_counts(store)
    abandoned = set(outcomes[outcomes == "abandoned"].index.get_level_values("run_id"))
    assert 1 <= len(abandoned) <= 4 and abandoned.isdisjoint(set(runs_at_kill.run_id))
    assert (counts[list(abandoned)] == 2).all()
    assert (counts.drop(list(abandoned)) == 1).all()


def _training_counts(store):
    """Attempts per run (how often its training started) and (run, attempt) outcomes."""
    with RunStore(store, readonly=True) as s:
        attempts = s.attempts()
    return (attempts.groupby("run_id").size(),
            attempts.set_index(["run_id", "id"])["outcome"])


def _train_process(config, store, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "distscale.cli", "train", str(config), "--store", str(store),
         "--quiet", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _in_flight(store, owner_pid=None):
    """Attempts being trained now, by a known worker: (run_id, unit, owner, worker pid, age)."""
    if not os.path.exists(store):
        return []
    try:
        con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            rows = con.execute("SELECT run_id, unit, owner, worker, started_at FROM attempts "
                               "WHERE outcome IS NULL AND worker IS NOT NULL").fetchall()
        finally:
            con.close()
    except sqlite3.Error:  # not created yet
        return []
    return [(r, u, o, int(w.split(":")[1]), time.time() - t) for r, u, o, w, t in rows
            if owner_pid is None or int(o.split(":")[1]) == owner_pid]


def _hold_store_until_open(store, procs, settle=1.0):
    """Hold the store's write lock until every process has opened it, so that they start
    claiming units together (each waits on the lock, SQLite's busy timeout)."""
    con = sqlite3.connect(store, timeout=5, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        def opened(proc):
            # a descriptor can close between listing and resolving it (imports open and
            # close files all the time): such a descriptor is not the store
            folder, target = f"/proc/{proc.pid}/fd", os.path.realpath(store)
            for fd in os.listdir(folder):
                try:
                    if os.readlink(os.path.join(folder, fd)) == target:
                        return True
                except FileNotFoundError:
                    continue
            return False
        _wait_for(lambda: all(opened(p) for p in procs), procs)
        time.sleep(settle)
    finally:
        con.execute("ROLLBACK")
        con.close()


def _wait_for(predicate, procs, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for proc in procs:
            assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        time.sleep(0.01)
    raise AssertionError("timed out")


@pytest.fixture(scope="module")
def crash_reference():
    """The crash tests' sweep (2 depths x 8 seeds, ensembles of 2, 100 steps) uninterrupted."""
    text = CONFIG.replace("seeds = 4", "seeds = 8").replace("steps = 20", "steps = 100")
    grid = SweepGrid.from_config(tomllib.loads(text))
    return text, expected_table(grid, 2)


def _final_table(config, store):
    return Sweep.from_config(config, store=store).population().drop(columns=NONDETERMINISTIC)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc")
def test_sigkill_of_a_worker_retries_its_unit_and_the_others_go_on(tmp_path, crash_reference):
    text, expected = crash_reference
    config, store = tmp_path / "sweep.toml", tmp_path / "runs.sqlite"
    config.write_text(text)
    proc = _train_process(config, store, "--workers", "2")
    try:
        # a unit that a worker has just started (it trains for a few hundred ms): kill its worker
        run_id, unit, _, pid, _ = _wait_for(
            lambda: [a for a in _in_flight(store) if a[4] < 0.15][:1], [proc])[0]
        os.kill(pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    pd.testing.assert_frame_equal(_final_table(config, store), expected)  # = uninterrupted
    counts, _outcomes = _training_counts(store)
    with RunStore(store, readonly=True) as s:
        attempts = s.attempts()
        assert s.check().ok and s.leases().empty
    died = attempts[attempts.outcome == "worker died"]
    # exactly the killed worker's unit died once and was retried (on a fresh worker process)
    assert set(died.unit) == {unit} and run_id in set(died.run_id)
    assert died.error.str.contains(f"worker process {pid} died \\(killed by SIGKILL\\)").all()
    assert (counts[list(died.run_id)] == 2).all()
    assert (counts.drop(list(died.run_id)) == 1).all()  # every other run trained once
    assert (attempts.groupby("run_id").outcome.last() == "committed").all()
    assert len(counts) == 16


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc")
def test_two_drivers_on_one_store_train_every_run_once(tmp_path, crash_reference):
    text, expected = crash_reference
    config, store = tmp_path / "sweep.toml", tmp_path / "runs.sqlite"
    config.write_text(text)
    Sweep.from_config(config, store=store)  # create the store before the drivers race
    # in-process training (--workers 0) keeps the test fast: 2 processes import torch, not 6;
    # the leases are the same with worker processes
    procs = [_train_process(config, store, "--workers", "0") for _ in range(2)]
    try:
        _hold_store_until_open(store, procs)
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()[-2000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    pd.testing.assert_frame_equal(_final_table(config, store), expected)
    counts, outcomes = _training_counts(store)
    assert len(counts) == 16 and (counts == 1).all()  # no run trained twice
    assert (outcomes == "committed").all()
    with RunStore(store, readonly=True) as s:
        owners = s.attempts().owner.str.split(":").str[1].astype(int)
        assert s.leases().empty
    assert set(owners) == {p.pid for p in procs}  # both drivers did part of the work


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc")
def test_two_drivers_one_killed_the_other_takes_over_its_unit(tmp_path, crash_reference):
    text, expected = crash_reference
    config, store = tmp_path / "sweep.toml", tmp_path / "runs.sqlite"
    config.write_text(text)
    Sweep.from_config(config, store=store)
    # a lease far longer than the test may run (600 s): B can only finish in time by
    # seeing that A's process is gone, never by waiting for the lease to expire
    a, b = (_train_process(config, store, "--workers", "0", "--lease", "600") for _ in range(2))
    try:
        _hold_store_until_open(store, [a, b])
        # A is training a unit (in its own process): kill A, the driver, with SIGKILL
        _, unit, _, _, _ = _wait_for(lambda: _in_flight(store, a.pid), [a, b])[0]
        os.kill(a.pid, signal.SIGKILL)
        a.wait()
        # B finishes everything, A's unit included: A's process is gone, so B takes its
        # lease over without waiting for it to expire (600 s; a machine under load may take
        # tens of seconds for the rest of the work)
        started = time.monotonic()
        _, err = b.communicate(timeout=240)
        assert b.returncode == 0, err.decode()[-2000:]
        assert time.monotonic() - started < 240
    finally:
        for proc in (a, b):
            if proc.poll() is None:
                proc.kill()
    pd.testing.assert_frame_equal(_final_table(config, store), expected)
    counts, _outcomes = _training_counts(store)
    with RunStore(store, readonly=True) as s:
        attempts = s.attempts()
        assert s.check().ok and s.leases().empty
    # A's unit in flight at the kill was trained at most twice (abandoned by A, then B's);
    # every other run exactly once
    twice = set(attempts.run_id[attempts.unit == unit])
    assert (counts[list(twice)] <= 2).all()
    assert (counts.drop(list(twice)) == 1).all() and len(counts) == 16
    by_a = attempts[attempts.owner.str.split(":").str[1].astype(int) == a.pid]
    assert set(by_a.outcome) <= {"committed", "abandoned"}
    assert (by_a.outcome[by_a.unit == unit] == "abandoned").all()
    assert set(attempts.outcome[attempts.unit == unit]) == {"abandoned", "committed"}


# ------------------------------------------------------------------- Dask
def test_dask_local_cluster_equals_local_run(tmp_path, reference, capsys):
    distributed = pytest.importorskip("distributed")
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG)
    threads = torch.get_num_threads()
    try:
        with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                sweep = Sweep(small_grid(), store=tmp_path / "dask.sqlite", ensemble_size=2)
                status = sweep.run(client, progress=False)
            # the command line, connecting to the same scheduler by its address
            cli_store = tmp_path / "cli.sqlite"
            rc = main(["train", str(config), "--store", str(cli_store), "--scheduler",
                       cluster.scheduler_address, "--quiet"])
    finally:
        torch.set_num_threads(threads)  # Dask tasks set the (process-wide) thread count
    assert (status.n_trained, status.n_pending) == (8, 0)
    pd.testing.assert_frame_equal(sweep.population().drop(columns=NONDETERMINISTIC), reference)
    assert rc == 0, capsys.readouterr().err
    cli = Sweep.from_config(config, store=cli_store).population()
    pd.testing.assert_frame_equal(cli.drop(columns=NONDETERMINISTIC), reference)


# -------------------------------------------------------------------- CLI
CONFIG = sweep_config(seeds=4)


def test_cli_train_matches_sweep(tmp_path, reference, capsys):
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG)
    store, out = tmp_path / "runs.sqlite", tmp_path / "table.csv"
    rc = main(["train", str(config), "--store", str(store), "--workers", "0", "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "8 of 8 runs finished, 0 pending" in text and "depth=2" in text
    sweep = Sweep.from_config(config, store=store)
    pd.testing.assert_frame_equal(sweep.population().drop(columns=NONDETERMINISTIC), reference)
    assert len(pd.read_csv(out)) == len(reference)
    rc = main(["train", str(config), "--store", str(store), "--workers", "0"])
    assert rc == 0 and "trained 0 run(s) now" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "extra", "pattern"),
    [
        ("seeds = 2\n[task]\nname = 'count'\n[model]\ndepht = 2\n", [],
         r"unknown ModelConfig field\(s\) \['depht'\]"),
        ("seeds = [\n", [], "not valid TOML"),
        (CONFIG, ["--scheduler", "tcp://x:1", "--workers", "2"], "exclude each other"),
        ("seeds = 2\n[task]\nname = 'count'\n[axes]\nlr = 0.1\n", [], "must be a list"),
    ],
)
def test_cli_train_errors_are_one_line(tmp_path, capsys, text, extra, pattern):
    config = tmp_path / "sweep.toml"
    config.write_text(text)
    rc = main(["train", str(config), "--store", str(tmp_path / "r.sqlite"), *extra])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("distscale train: error: ")
    assert pytest.importorskip("re").search(pattern, err), err


def test_cli_train_missing_config(tmp_path, capsys):
    rc = main(["train", str(tmp_path / "absent.toml")])
    assert rc == 2
    assert "absent.toml" in capsys.readouterr().err


def test_example_config_parses(tmp_path):
    root = str(REPO_ROOT)
    sweep = Sweep.from_config(os.path.join(root, "examples", "count_sweep.toml"),
                              store=tmp_path / "r.sqlite")
    assert sweep.grid.n_runs == 8 * 48 and sweep.ensemble_size == 8
    assert sweep.status().n_pending == 384
