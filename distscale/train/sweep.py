"""Resumable sweeps over settings x seeds, on local processes or a Dask cluster.

A :class:`~distscale.train.grid.SweepGrid` lists *settings* (a task, a model and a training
configuration) and the seeds of each; :class:`Sweep` trains every
(setting, seed) run that its SQLite store (:mod:`distscale.train.store`)
does not hold yet, and reads the finished table back.

Work is cut into *units*: one setting and a chunk of its seeds, trained as
one batched ensemble (``ensemble_size`` seeds; by default
:func:`~distscale.train.choose_ensemble_size`). Units run on local worker
processes (one torch thread each) or on a ``dask.distributed`` cluster; the
workers return tables and only the calling process writes the store, one
transaction per unit. Seeds are chunked by their position in the setting's
seed list, so a resumed sweep trains the same ensembles as an uninterrupted
one and gives the same table, bit for bit, on CPUs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from distscale.train.config import check_int, run_key
from distscale.train.grid import Setting, SweepGrid, read_toml
from distscale.train.populate import choose_ensemble_size, summarize_runs
from distscale.train.store import RunStore

__all__ = ["Sweep", "SweepError", "SweepStatus"]


class SweepError(RuntimeError):
    """Some units of a sweep failed (the finished ones are committed)."""


@dataclasses.dataclass(frozen=True)
class SweepStatus:
    """Progress of a sweep: finished and pending runs, overall and per setting.

    ``n_trained`` is the number of runs committed by the call that returned
    this status (0 for :meth:`Sweep.status`); ``per_setting`` holds
    ``(label, done, pending)`` per setting, in grid order.
    """

    n_runs: int
    n_done: int
    n_pending: int
    n_trained: int
    per_setting: tuple[tuple[str, int, int], ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per setting: ``setting``, ``label``, ``n_runs``, ``done``, ``pending``."""
        rows = [(i, lab, d + p, d, p) for i, (lab, d, p) in enumerate(self.per_setting)]
        return pd.DataFrame(rows, columns=["setting", "label", "n_runs", "done", "pending"])


# ------------------------------------------------------------------ workers
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
    """Train one unit (a setting and a chunk of seeds as one ensemble); return its table."""
    import torch

    from distscale.train.populate import train_population

    threads = payload["threads"]
    if payload["in_process"]:
        call_threads = threads
    else:  # a worker: set the process-wide thread count once, never restore (see Sweep.run)
        if threads is not None and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        call_threads = None
    table = train_population(
        payload["task"], payload["model"], payload["train"], seeds=list(payload["seeds"]),
        ensemble_size=len(payload["seeds"]), progress=False, device=payload["device"],
        threads=call_threads,
    )
    return {"table": table, "worker": f"{socket.gethostname()}:{os.getpid()}",
            "versions": _versions()}


def _mp_context():
    import multiprocessing

    # never "fork": torch (threads, CUDA) is not fork-safe
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        # import torch once in the fork server, not once per worker
        context.set_forkserver_preload(["__main__", "distscale.train"])
    return context


def _local(payloads: list[dict], workers: int, threads: int | None) -> Iterator[tuple]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(),
                               initializer=_init_worker, initargs=(threads,))
    futures = {pool.submit(_train_unit, p): i for i, p in enumerate(payloads)}
    try:
        for future in as_completed(futures):
            error = future.exception()
            yield futures[future], error if error is not None else future.result()
    except BaseException:
        # interrupted (or the store failed): stop the workers now rather than waiting
        # minutes for their units (which a rerun trains again)
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _dask(payloads: list[dict], client: Any) -> Iterator[tuple]:
    from distributed import as_completed

    futures = {client.submit(_train_unit, p, pure=False): i for i, p in enumerate(payloads)}
    try:
        for future in as_completed(list(futures)):
            try:
                yield futures[future], future.result()
            except Exception as err:
                yield futures[future], err
    except BaseException:
        client.cancel(list(futures))
        raise


def _in_process(payloads: list[dict]) -> Iterator[tuple]:
    for i, payload in enumerate(payloads):
        try:
            result = _train_unit(payload)
        except Exception as err:
            result = err
        yield i, result


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


# -------------------------------------------------------------------- sweep
class Sweep:
    """A resumable sweep over settings x seeds with an SQLite run store.

    Parameters
    ----------
    grid : SweepGrid or sequence of settings
        The runs (a sequence is passed to :class:`SweepGrid` with ``seeds``).
    store : str or os.PathLike, default "runs.sqlite"
        The run store (created if absent); see :mod:`distscale.train.store`.
    seeds : int or sequence of int, optional
        Seeds, when ``grid`` is a plain sequence of settings.
    ensemble_size : int, optional
        Seeds per unit of work (trained at once as one ensemble). By default
        :func:`~distscale.train.choose_ensemble_size` per setting. Smaller
        units spread one setting over more workers; results do not depend on
        it beyond floating-point rounding.
    device : str, default "cpu"
        Torch device of every worker (e.g. ``"cuda"``).

    Examples
    --------
    >>> import os, tempfile
    >>> from distscale.train import CountTask, ModelConfig, TrainConfig
    >>> task = CountTask(train_lengths=(1, 2, 3), test_lengths=(4, 5), n_numbers=8)
    >>> grid = SweepGrid.product(task, ModelConfig(width=16, heads=2),
    ...                          TrainConfig(steps=3, batch_size=4, eval_samples=4),
    ...                          seeds=2, depth=[1, 2])
    >>> sweep = Sweep(grid, store=os.path.join(tempfile.mkdtemp(), "runs.sqlite"))
    >>> sweep.run(workers=0, progress=False).n_trained   # workers=0: in this process
    4
    >>> sweep.run(workers=0, progress=False).n_trained   # resume: nothing left to do
    0
    >>> sweep.population().shape, sweep.population(level="run").shape
    ((8, 21), (4, 20))
    """

    def __init__(
        self,
        grid: SweepGrid | Sequence[Setting | Mapping],
        *,
        store: str | os.PathLike = "runs.sqlite",
        seeds: object = None,
        ensemble_size: int | None = None,
        device: str = "cpu",
    ) -> None:
        if not isinstance(grid, SweepGrid):
            grid = SweepGrid(grid, seeds=seeds)
        elif seeds is not None:
            raise ValueError("`seeds` is only for a plain list of settings; the grid has its own")
        if ensemble_size is not None:
            ensemble_size = check_int("Sweep", "ensemble_size", ensemble_size, minimum=1)
        if not isinstance(device, str):
            raise TypeError(f"`device` must be a string such as 'cpu'; got {device!r}")
        self.grid, self.ensemble_size, self.device = grid, ensemble_size, device
        RunStore(store).close()  # create it now: a bad path fails here, not after training
        self.store = os.fspath(store)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any] | str | os.PathLike, *, store: str | os.PathLike =
        "runs.sqlite"
    ) -> Sweep:
        """A sweep from a configuration mapping or TOML file (:meth:`SweepGrid.from_config`).

        Besides the grid, reads ``ensemble_size`` and ``device``.
        """
        if isinstance(config, (str, os.PathLike)):
            config = read_toml(config)
        grid = SweepGrid.from_config(config)
        return cls(grid, store=store, ensemble_size=config.get("ensemble_size"),
                   device=config.get("device", "cpu"))

    def __repr__(self) -> str:
        return f"Sweep({self.grid!r}, store={self.store!r})"

    def _units(self, done: set[str]) -> list[tuple[int, list[int]]]:
        units = []
        for i, setting in enumerate(self.grid.settings):
            size = self.ensemble_size or choose_ensemble_size(
                setting.task, setting.model, setting.train, n_seeds=len(setting.seeds),
                device=self.device)
            keys = self.grid.keys[i]
            for start in range(0, len(setting.seeds), size):
                todo = [s for s, k in zip(setting.seeds[start:start + size],
                                          keys[start:start + size], strict=True)
                        if k not in done]
                if todo:
                    units.append((i, todo))
        return units

    def status(self) -> SweepStatus:
        """Finished and pending runs (per setting too).

        Returns
        -------
        SweepStatus
            ``n_runs``, ``n_done``, ``n_pending`` and ``per_setting`` counts.
        """
        return self._status(0)

    def _status(self, trained: int) -> SweepStatus:
        with RunStore(self.store) as store:
            done = store.done_keys()
        per = [(lab, sum(k in done for k in keys), sum(k not in done for k in keys))
               for lab, keys in zip(self.grid.labels(), self.grid.keys, strict=True)]
        n_done = sum(d for _, d, _ in per)
        return SweepStatus(self.grid.n_runs, n_done, self.grid.n_runs - n_done, trained,
                           tuple(per))

    def run(
        self, client: Any = None, *, workers: int | None = None, progress: bool = True,
        threads: int | None = 1,
    ) -> SweepStatus:
        """Train every run that the store does not hold yet.

        Parameters
        ----------
        client : dask.distributed.Client, optional
            Send the units to this Dask scheduler instead of local processes.
            Every Dask worker needs distscale and torch installed. Each unit
            sets torch's (process-wide) thread count to ``threads`` on its
            worker; run one thread per core (``nthreads`` = cores).
        workers : int, optional
            Local worker processes (default: the usable cores). ``0`` trains
            in this process, one unit after another. Workers import the main
            module: in a script, call ``run`` under ``if __name__ ==
            "__main__":``.
        progress : bool, default True
            A ``tqdm`` bar over runs, advanced as units are committed.
        threads : int or None, default 1
            Torch threads per worker (None: leave torch's setting).

        Returns
        -------
        SweepStatus
            With ``n_trained`` = runs committed by this call.

        Raises
        ------
        SweepError
            If units failed; every other unit still ran and was committed, and
            a rerun retries only what is missing.
        """
        if client is not None and workers is not None:
            raise ValueError("give `client` (Dask) or `workers` (local processes), not both")
        if client is not None and not (hasattr(client, "submit") and hasattr(client, "cancel")):
            raise TypeError(f"`client` must be a dask.distributed.Client; got {client!r}")
        if workers is None:
            workers = _default_workers()
        workers = check_int("Sweep.run", "workers", workers, minimum=0)
        if threads is not None:
            threads = check_int("Sweep.run", "threads", threads, minimum=1)
        with RunStore(self.store) as store:
            done = store.done_keys()
            units = self._units(done)
            payloads = [
                {"task": s.task, "model": s.model, "train": s.train, "seeds": seeds,
                 "device": self.device, "threads": threads,
                 "in_process": client is None and workers == 0}
                for s, seeds in ((self.grid.settings[i], seeds) for i, seeds in units)
            ]
            n_todo = sum(len(p["seeds"]) for p in payloads)
            bar = None
            if progress and n_todo:
                from tqdm.auto import tqdm

                bar = tqdm(total=n_todo, desc="sweep", unit="run")
                bar.set_postfix_str(f"{self.grid.n_runs - n_todo} already in store")
            if not payloads:
                results = iter(())
            elif client is not None:
                results = _dask(payloads, client)
            elif workers == 0:
                results = _in_process(payloads)
            else:
                results = _local(payloads, min(workers, max(1, len(units))), threads)
            trained, failures = 0, []
            try:
                for index, result in results:
                    setting_index, seeds = units[index]
                    if isinstance(result, BaseException):
                        failures.append((setting_index, seeds, result))
                        continue
                    written = self._commit(store, setting_index, seeds, result)
                    trained += len(written)
                    if bar is not None:
                        bar.update(len(seeds))
            finally:
                if hasattr(results, "close"):  # a generator: stop the workers when interrupted
                    results.close()
                if bar is not None:
                    bar.close()
        if failures:
            i, seeds, err = failures[0]
            raise SweepError(
                f"{len(failures)} of {len(units)} units failed "
                f"({sum(len(f[1]) for f in failures)} runs); finished runs are in "
                f"{self.store!r} and a rerun retries the rest. First: setting {i}, seeds "
                f"{seeds}: {type(err).__name__}: {err}"
            ) from err
        return self._status(trained)

    def _commit(self, store: RunStore, index: int, seeds: list[int], result: dict) -> list[str]:
        setting = self.grid.settings[index]
        keys = [run_key(setting.task, setting.model, setting.train, s) for s in seeds]
        table = result["table"]
        got = list(dict.fromkeys(table["run_id"]))
        if sorted(got) != sorted(keys):
            raise SweepError(
                f"a worker returned runs {got} for setting {index}, seeds {seeds} (expected "
                f"{keys}): does the worker run the same distscale version?"
            )
        configs = {k: (setting.task, setting.model, setting.train) for k in keys}
        return store.commit(table, configs, worker=result["worker"], versions=result["versions"])

    def population(self, level: str = "length", *, allow_pending: bool = False) -> pd.DataFrame:
        """The sweep's table, read from the store, in grid order.

        Parameters
        ----------
        level : {"length", "run"}, default "length"
            One row per run and evaluated length (the table of
            :func:`~distscale.train.train_population`), or one row per run
            (:func:`~distscale.train.summarize_runs`).
        allow_pending : bool, default False
            Return the finished runs even if some are pending (otherwise an
            error).

        Returns
        -------
        pandas.DataFrame
            Rows ordered by setting (grid order), seed (the setting's seed
            order) and the trainer's row order, so an unfinished-then-resumed
            sweep and an uninterrupted one give equal tables. Configuration
            fields that vary between settings and are not columns already
            (e.g. ``lr``) are added before ``seed`` (prefixed, as in
            ``train.x``, only if two parts share the name; list values as JSON
            text).
        """
        if level not in ("length", "run"):
            raise ValueError(f"`level` must be 'length' or 'run'; got {level!r}")
        with RunStore(self.store, readonly=True) as store:
            table = store.results([k for keys in self.grid.keys for k in keys])
        n_done = table["run_id"].nunique()
        if n_done < self.grid.n_runs and not allow_pending:
            raise ValueError(
                f"{self.grid.n_runs - n_done} of {self.grid.n_runs} runs are not finished; "
                "run sweep.run() first or pass allow_pending=True"
            )
        position = {k: (i, j) for i, keys in enumerate(self.grid.keys)
                    for j, k in enumerate(keys)}
        order = table["run_id"].map(lambda k: position[k][0] * 10**9 + position[k][1])
        table = table.iloc[order.argsort(kind="stable")].reset_index(drop=True)
        if level == "run":
            table = summarize_runs(table)
        setting = table["run_id"].map(lambda k: position[k][0]).to_numpy()
        varying = {n: v for n, v in self.grid.varying().items()
                   if n.split(".")[-1] not in table.columns}
        short = [n.split(".")[-1] for n in varying]
        for n, values in varying.items():
            name = n if short.count(n.split(".")[-1]) > 1 else n.split(".")[-1]
            shown = [v if not isinstance(v, (list, dict)) else json.dumps(v) for v in values]
            table.insert(table.columns.get_loc("seed"), name, [shown[i] for i in setting])
        return table


