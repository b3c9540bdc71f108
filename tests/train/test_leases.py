"""Tests of leases (several drivers on one store) and of the retry rules of ``Sweep.run``.

Leases are checked with plain SQL through two ``LeaseBook`` objects on one
store (as two drivers would hold them); the waiting driver and the retry rules
run real (tiny) sweeps in this process, with foreign leases written by the
test and, for the retries, a stand-in for the local worker pool whose workers
"die" on command. Real processes killed with SIGKILL are in test_sweep.py.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest

torch = pytest.importorskip("torch")

import distscale.train.sweep as sweep_module  # noqa: E402
import distscale.train.workers as workers_module  # noqa: E402
from distscale.cli import main  # noqa: E402
from distscale.train import (  # noqa: E402
    RunStore,
    Sweep,
    SweepError,
    SweepGrid,
    train_population,
)
from distscale.train.leases import Heartbeat, LeaseBook, new_owner, owner_dead  # noqa: E402
from tests.train._small_sweep import MODEL, TASK, TRAIN, sweep_config  # noqa: E402

FOREIGN = "elsewhere.example:4242:feedbeef"  # a driver on another machine: never known dead

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def small_sweep(path):
    return Sweep(SweepGrid.product(TASK, MODEL, TRAIN, seeds=2, depth=[1, 2]), store=path,
                 ensemble_size=2)


def _counts(store):
    with RunStore(store, readonly=True) as s:
        attempts = s.attempts()
    return attempts, attempts.groupby("run_id").size()


# ------------------------------------------------------------ lease rules
def test_a_claimed_unit_is_busy_for_others_until_released(tmp_path):
    path = tmp_path / "r.sqlite"
    units = [("u1", ["k1", "k2"]), ("u2", ["k3"])]
    with RunStore(path) as s1, RunStore(path) as s2:
        a, b = LeaseBook(s1.connection, "elsewhere:1:a", 60), LeaseBook(s2.connection, FOREIGN, 60)
        first = a.claim_first(units)
        assert (first.claimed, first.todo) == (0, ("k1", "k2"))
        second = b.claim_first(units)
        assert (second.claimed, second.busy) == (1, (0,))
        assert b.claim_first(units).claimed is None  # u1 is a's, u2 is b's own (in flight)
        a.release("u1", "failed", "boom")
        assert b.claim_first(units).claimed == 0
        leases = s1.leases()
        assert set(leases.owner) == {FOREIGN} and len(leases) == 3
        attempts = s1.attempts()
    assert attempts.outcome.fillna("open").tolist() == ["failed", "failed", "open", "open", "open"]
    assert attempts.error.tolist()[:2] == ["boom", "boom"]


def test_an_expired_lease_is_taken_over_and_its_attempts_abandoned(tmp_path):
    path = tmp_path / "r.sqlite"
    with RunStore(path) as s:
        # a 1 s lease: the next claim must come before it expires, even on a loaded machine
        LeaseBook(s.connection, FOREIGN, 1.0).claim_first([("u", ["k"])])
        other = LeaseBook(s.connection, "elsewhere:2:b", 60)
        assert other.claim_first([("u", ["k"])]).busy == (0,)
        time.sleep(1.1)
        assert other.claim_first([("u", ["k"])]).claimed == 0
        attempts = s.attempts()
    assert attempts.outcome.fillna("open").tolist() == ["abandoned", "open"]
    assert attempts.error[0] == f"{FOREIGN}: its lease expired"


def test_a_lease_of_a_dead_process_on_this_host_is_taken_over_at_once(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    owner = f"{socket.gethostname()}:{dead.pid}:00"
    assert owner_dead(owner) and not owner_dead(new_owner()) and not owner_dead(FOREIGN)
    with RunStore(tmp_path / "r.sqlite") as s:
        LeaseBook(s.connection, owner, 600).claim_first([("u", ["k"])])
        assert LeaseBook(s.connection, new_owner(), 600).claim_first([("u", ["k"])]).claimed == 0
        assert s.attempts().error[0] == f"{owner}: its driver's process is gone"


def test_heartbeat_renews_the_leases(tmp_path):
    path = tmp_path / "r.sqlite"
    with RunStore(path) as s:
        LeaseBook(s.connection, FOREIGN, 100).claim_first([("u", ["k"])])
        before = s.leases().expires_at[0]
        with Heartbeat(s.uri, FOREIGN, 100, 0.05) as beat:
            time.sleep(0.5)  # about 10 beats; 2 are asked for, a loaded machine may skip some
        assert beat.renewals >= 2 and beat.error is None
        assert s.leases().expires_at[0] > before


# ----------------------------------------------------- a driver that waits
def test_a_driver_waits_for_a_foreign_lease_to_expire_then_trains_the_unit(tmp_path):
    path = tmp_path / "r.sqlite"
    sweep = small_sweep(path)
    unit = sweep._chunks()[1]  # depth 2: leased by a driver on another machine for 1.5 s
    with RunStore(path) as s:
        LeaseBook(s.connection, FOREIGN, 1.5).claim_first([(unit.key, unit.keys)])
    started = time.monotonic()
    status = sweep.run(workers=0, progress=False, lease=10, heartbeat=0.2)
    assert time.monotonic() - started >= 1.2  # it waited for the expiry
    assert (status.n_trained, status.n_pending) == (4, 0)
    attempts, counts = _counts(path)
    assert attempts.outcome[attempts.owner == FOREIGN].tolist() == ["abandoned"] * 2
    assert counts[list(unit.keys)].tolist() == [2, 2]
    with RunStore(path, readonly=True) as s:
        assert s.leases().empty and s.check().ok


def test_a_driver_waits_while_another_finishes_and_trains_nothing_twice(tmp_path):
    path = tmp_path / "r.sqlite"
    sweep = small_sweep(path)
    unit = sweep._chunks()[1]
    setting = sweep.grid.settings[1]
    table = train_population(setting.task, setting.model, setting.train, seeds=[0, 1],
                             ensemble_size=2, progress=False, threads=1)
    with RunStore(path) as s:
        LeaseBook(s.connection, FOREIGN, 60).claim_first([(unit.key, unit.keys)])

    def other_driver_commits():
        time.sleep(1.0)
        with RunStore(path) as s:
            configs = {k: (setting.task, setting.model, setting.train) for k in unit.keys}
            s.commit(table, configs, worker="elsewhere:1", versions={}, owner=FOREIGN,
                     unit=unit.key)

    thread = threading.Thread(target=other_driver_commits)
    thread.start()
    try:
        status = sweep.run(workers=0, progress=False, lease=10, heartbeat=0.2)
    finally:
        thread.join()
    assert (status.n_trained, status.n_done, status.n_pending) == (2, 4, 0)
    attempts, counts = _counts(path)
    assert (counts == 1).all() and (attempts.outcome == "committed").all()
    assert set(attempts.owner[attempts.run_id.isin(unit.keys)]) == {FOREIGN}


def test_status_counts_runs_leased_by_other_drivers(tmp_path):
    path = tmp_path / "r.sqlite"
    sweep = small_sweep(path)
    unit = sweep._chunks()[0]
    with RunStore(path) as s:
        LeaseBook(s.connection, FOREIGN, 60).claim_first([(unit.key, unit.keys)])
    status = sweep.status()
    assert (status.n_leased, status.n_pending) == (2, 4)
    assert status.notes() == ["2 pending run(s) are being trained by other drivers"]


# ---------------------------------------------------------------- retries
class _DyingWorkers:
    """A stand-in for LocalRunner whose worker dies under units of depth 2, ``deaths`` times."""

    deaths = 0

    def __init__(self, workers, threads):
        self.pending = []

    def free(self):
        return 1 - len(self.pending)

    def submit(self, tag, payload):
        self.pending.append((tag, payload))
        return "fake:1"

    def wait(self, timeout):
        tag, payload = self.pending.pop()
        if payload["model"].depth == 2 and _DyingWorkers.deaths > 0:
            _DyingWorkers.deaths -= 1
            return [(tag, "died", "worker process 1 died (killed by SIGKILL)")]
        return [(tag, "ok", workers_module._train_unit(dict(payload, in_process=True)))]

    def close(self, cancel):
        pass


@pytest.fixture
def dying_workers(monkeypatch):
    monkeypatch.setattr(sweep_module, "LocalRunner", _DyingWorkers)
    return _DyingWorkers


def test_a_dead_worker_unit_is_retried_and_the_others_go_on(tmp_path, dying_workers):
    dying_workers.deaths = 1
    path = tmp_path / "r.sqlite"
    status = small_sweep(path).run(workers=2, progress=False)
    assert (status.n_trained, status.n_pending, status.failed) == (4, 0, ())
    attempts, counts = _counts(path)
    depth2 = small_sweep(path)._chunks()[1].keys
    assert counts[list(depth2)].tolist() == [2, 2] and counts.drop(list(depth2)).eq(1).all()
    assert sorted(attempts.outcome) == ["committed"] * 4 + ["worker died"] * 2


def test_a_unit_whose_worker_keeps_dying_fails_for_good_after_the_retries(
        tmp_path, dying_workers, capsys):
    dying_workers.deaths = 99
    path = tmp_path / "r.sqlite"
    sweep = small_sweep(path)
    with pytest.raises(SweepError, match=r"1 of 2 units failed for good \(2 runs\)") as info:
        sweep.run(workers=2, progress=False, retries=2)
    (failure,) = info.value.status.failed
    assert str(failure) == ("setting 1 (depth=2), seeds [0, 1]: worker process 1 died "
                            "(killed by SIGKILL) (3 attempts)")
    assert (info.value.status.n_done, info.value.status.n_trained) == (2, 2)
    _attempts, counts = _counts(path)
    assert counts[list(sweep._chunks()[1].keys)].tolist() == [3, 3]  # 1 + 2 retries, bounded
    # the status read back from the store says which unit failed and why
    assert sweep.status().failed == (failure,)
    # the command line prints the failed units, then one error line
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG)
    assert main(["train", str(config), "--store", str(tmp_path / "c.sqlite"), "--workers",
                 "2", "--retries", "0"]) == 2
    captured = capsys.readouterr()
    assert ("failed: setting 1 (depth=2), seeds [0, 1]: worker process 1 died (killed by "
            "SIGKILL) (1 attempt)") in captured.out
    assert captured.err.count("\n") == 1 and "failed for good" in captured.err


def test_a_unit_that_raises_is_not_retried(tmp_path, monkeypatch):
    real = workers_module._train_unit

    def broken(payload):
        if payload["model"].depth == 2:
            raise ValueError("bad configuration")
        return real(payload)

    monkeypatch.setattr(workers_module, "_train_unit", broken)
    path = tmp_path / "r.sqlite"
    with pytest.raises(SweepError, match="ValueError: bad configuration") as info:
        small_sweep(path).run(workers=0, progress=False, retries=5)
    assert info.value.status.failed[0].attempts == 1
    attempts, counts = _counts(path)
    assert set(attempts.outcome[attempts.outcome != "committed"]) == {"failed"}
    assert counts.eq(1).all()


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"lease": 0}, "`lease` must be a positive"), ({"lease": "10"}, "`lease` must be"),
     ({"heartbeat": 400}, "at most half the `lease`"), ({"retries": -1}, "`retries`")],
)
def test_run_argument_errors(tmp_path, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        small_sweep(tmp_path / "r.sqlite").run(workers=0, **kwargs)


CONFIG = sweep_config(seeds=2)
