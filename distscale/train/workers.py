"""Where a sweep's units are trained: local processes, a Dask cluster, or this process.

Each runner takes units one at a time (``submit``), says how many more it
can take now (``free``), and reports finished units (``wait``) as ``(tag,
kind, value)``: ``kind`` is ``"ok"`` (value: the unit's result), ``"error"``
(the unit raised; value: the exception) or ``"died"`` (the worker process
died under it, e.g. SIGKILL or the out-of-memory killer; value: a sentence).

Local workers are single-process pools, one per slot, so a dead worker
breaks only its own slot: that slot gets a fresh process and the other
workers keep training (one shared ``ProcessPoolExecutor`` would fail every
unit in flight with ``BrokenProcessPool``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from typing import Any

__all__ = ["DaskRunner", "InProcessRunner", "LocalRunner", "default_workers"]


# ------------------------------------------------------------------ in a worker
def _versions() -> dict[str, str]:
    import torch

    from distscale._lib.version import __version__

    return {"distscale": __version__, "torch": torch.__version__,
            "python": sys.version.split()[0]}


def _watch_parent() -> None:
    """Exit this worker when the process that submitted its work dies (e.g. SIGKILL).

    Under "forkserver" a worker's OS parent is the fork server, which stays
    alive as long as any worker does; multiprocessing's parent sentinel (a pipe
    that the submitting process holds open) tells when that process is gone.
    """
    import multiprocessing
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - not a multiprocessing child
        return

    def watch() -> None:
        parent.join()  # returns when the parent's end of the sentinel pipe closes
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="distscale-parent-watch").start()


def _init_worker(threads: int | None) -> None:
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    _watch_parent()


def _train_unit(payload: dict[str, Any]) -> dict[str, Any]:
    """Train one unit (a setting and a chunk of seeds as one ensemble); return its table.

    Units of kind ``lm`` go to :func:`distscale.train.lm.units.train_lm_unit`.
    """
    import torch

    from distscale.train.populate import train_population

    threads = payload["threads"]
    if payload["in_process"]:
        call_threads = threads
    else:  # a worker: set the process-wide thread count once, never restore (see Sweep.run)
        if threads is not None and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        call_threads = None
    if payload.get("kind") == "lm":  # an LM seed population (the lm extra)
        from distscale.train.lm.units import train_lm_unit

        return {**train_lm_unit(payload, call_threads),
                "worker": f"{socket.gethostname()}:{os.getpid()}", "versions": _versions()}
    checkpoints = payload.get("checkpoints")
    out = train_population(
        payload["task"], payload["model"], payload["train"], seeds=list(payload["seeds"]),
        ensemble_size=len(payload["seeds"]), progress=False, device=payload["device"],
        threads=call_threads, checkpoints=checkpoints,
        checkpoint_samples=payload.get("checkpoint_samples"),
    )
    table, trajectory = out if checkpoints is not None else (out, None)
    return {"table": table, "trajectory": trajectory,
            "worker": f"{socket.gethostname()}:{os.getpid()}", "versions": _versions()}


# ------------------------------------------------------------------ runners
def _mp_context():
    import multiprocessing

    # never "fork": torch (threads, CUDA) is not fork-safe
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        # import torch once in the fork server, not once per worker
        context.set_forkserver_preload(["__main__", "distscale.train"])
    return context


def default_workers() -> int:
    """The usable cores of this process."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _death(process: Any) -> str:
    """Why ``process`` died, read once its broken pool has been shut down (and so has
    joined it: its exit status is set)."""
    code = None if process is None else process.exitcode
    pid = getattr(process, "pid", "?")
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"worker process {pid} died (killed by {name})"
    if code is not None:
        return f"worker process {pid} died (exit code {code})"
    return f"worker process {pid} died"


class LocalRunner:
    """``workers`` local processes, one single-process pool per slot."""

    def __init__(self, workers: int, threads: int | None) -> None:
        self.threads = threads
        self.pools: list[Any] = [None] * workers
        self.busy: dict[int, tuple[Any, Any, Any]] = {}  # slot -> (tag, future, process)

    def free(self) -> int:
        return len(self.pools) - len(self.busy)

    def _fresh(self, slot: int):
        from concurrent.futures import ProcessPoolExecutor

        self._drop(slot)
        self.pools[slot] = ProcessPoolExecutor(
            max_workers=1, mp_context=_mp_context(), initializer=_init_worker,
            initargs=(self.threads,))
        return self.pools[slot]

    def _drop(self, slot: int, wait: bool = False) -> None:
        pool, self.pools[slot] = self.pools[slot], None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)

    def submit(self, tag: Any, payload: dict) -> str | None:
        from concurrent.futures.process import BrokenProcessPool

        slot = next(i for i in range(len(self.pools)) if i not in self.busy)
        for _ in range(3):  # an idle worker may have died since its last unit
            pool = self.pools[slot]
            if pool is None or getattr(pool, "_broken", False):
                pool = self._fresh(slot)
            try:
                future = pool.submit(_train_unit, payload)
            except BrokenProcessPool:
                self._drop(slot)
                continue
            break
        else:  # pragma: no cover - three fresh pools broke at once
            raise RuntimeError("cannot start a worker process")
        process = next(iter((getattr(pool, "_processes", None) or {}).values()), None)
        self.busy[slot] = (tag, future, process)
        return None if process is None else f"{socket.gethostname()}:{process.pid}"

    def wait(self, timeout: float | None) -> list[tuple[Any, str, Any]]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        slots = {future: slot for slot, (_, future, _) in self.busy.items()}
        done, _ = wait(list(slots), timeout=timeout, return_when=FIRST_COMPLETED)
        out = []
        for future in done:
            slot = slots[future]
            tag, _, process = self.busy.pop(slot)
            error = future.exception()
            if error is None:
                out.append((tag, "ok", future.result()))
            elif isinstance(error, BrokenProcessPool):
                # let the pool's manager thread finish first: it joins the dead worker,
                # and under "forkserver" a worker's exit status can be read only once
                # (from the fork server's pipe); read concurrently, one of the two
                # readers gets end-of-file and records exit code 255 instead of the signal
                self._drop(slot, wait=True)
                out.append((tag, "died", _death(process)))
            else:
                out.append((tag, "error", error))
        return out

    def close(self, cancel: bool) -> None:
        for slot, pool in enumerate(self.pools):
            if pool is None:
                continue
            if cancel:  # interrupted: stop the workers now, not after their units
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    with contextlib.suppress(Exception):
                        process.terminate()
                pool.shutdown(wait=False, cancel_futures=True)
            else:
                pool.shutdown(wait=True)
            self.pools[slot] = None


class DaskRunner:
    """Units on a ``dask.distributed`` cluster; up to ``max(4, 2 x its threads)`` at once.

    Dask itself reschedules a unit whose worker died (its
    ``allowed-failures``); a unit that still fails comes back as an error.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.busy: dict[Any, Any] = {}  # future -> tag
        self._capacity, self._asked = 4, 0.0

    def free(self) -> int:
        if time.monotonic() - self._asked > 5:
            try:
                self._capacity = max(4, 2 * sum(self.client.nthreads().values()))
            except Exception:  # keep the last known capacity
                pass
            self._asked = time.monotonic()
        return self._capacity - len(self.busy)

    def submit(self, tag: Any, payload: dict) -> str | None:
        self.busy[self.client.submit(_train_unit, payload, pure=False)] = tag
        return None

    def wait(self, timeout: float | None) -> list[tuple[Any, str, Any]]:
        from distributed import wait

        try:
            done = wait(list(self.busy), timeout=timeout, return_when="FIRST_COMPLETED").done
        except TimeoutError:
            return []
        out = []
        for future in done:
            tag = self.busy.pop(future)
            try:
                out.append((tag, "ok", future.result()))
            except Exception as err:  # reported per unit
                out.append((tag, "error", err))
        return out

    def close(self, cancel: bool) -> None:
        if cancel and self.busy:
            self.client.cancel(list(self.busy))


class InProcessRunner:
    """Units trained in this process, one at a time (``workers=0``)."""

    def __init__(self) -> None:
        self.pending: list[tuple[Any, dict]] = []

    def free(self) -> int:
        return 1 - len(self.pending)

    def submit(self, tag: Any, payload: dict) -> str | None:
        self.pending.append((tag, payload))
        return f"{socket.gethostname()}:{os.getpid()}"

    def wait(self, timeout: float | None) -> list[tuple[Any, str, Any]]:
        tag, payload = self.pending.pop()
        try:
            return [(tag, "ok", _train_unit(payload))]
        except Exception as err:  # reported per unit
            return [(tag, "error", err)]

    def close(self, cancel: bool) -> None:
        self.pending.clear()
