"""The local worker pool: a worker killed under a unit is reported with its signal.

The sweep tests kill a worker once, inside a whole ``distscale train`` run;
this test repeats the kill on the runner itself so that a race between
reading the worker's exit status and the pool's own clean-up shows up.
(Under "forkserver" the status is read once from the fork server's pipe;
a second, concurrent reader got end-of-file and reported "exit code 255"
for a SIGKILL -- seen once in CI; 3 kills in 40 on a loaded machine.)
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys

import pytest

torch = pytest.importorskip("torch")

from distscale.train.workers import LocalRunner  # noqa: E402
from tests.train._small_sweep import MODEL, TASK, TRAIN  # noqa: E402


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL")
def test_a_killed_worker_is_reported_as_killed_every_time():
    runner = LocalRunner(workers=1, threads=1)
    # long enough that no unit finishes before its worker is killed
    payload = {"task": TASK, "model": MODEL,
               "train": dataclasses.replace(TRAIN, steps=1_000_000),
               "seeds": [0], "keys": [0], "device": "cpu", "threads": 1,
               "in_process": False, "checkpoints": None, "checkpoint_samples": None}
    try:
        for attempt in range(12):
            worker = runner.submit(attempt, payload)
            assert worker is not None
            pid = int(worker.rsplit(":", 1)[1])
            os.kill(pid, signal.SIGKILL)
            done = runner.wait(timeout=60)
            assert done == [(attempt, "died", f"worker process {pid} died (killed by SIGKILL)")]
            assert runner.free() == 1
    finally:
        runner.close(cancel=True)
