"""Resumable sweeps over settings x seeds, on local processes or a Dask cluster.

A :class:`~distscale.train.grid.SweepGrid` lists *settings* (a task, a model and a training
configuration) and the seeds of each; :class:`Sweep` trains every
(setting, seed) run that its SQLite store (:mod:`distscale.train.store`)
does not hold yet, and reads the finished table back.

Work is cut into *units*: one setting and a chunk of its seeds, trained as
one batched ensemble (``ensemble_size`` seeds; by default
:func:`~distscale.train.choose_ensemble_size`). Units run on local worker
processes (one torch thread each), on a ``dask.distributed`` cluster or in
this process (:mod:`distscale.train.workers`); the workers return tables and
only the driver (the process that calls :meth:`Sweep.run`) writes the store,
one transaction per unit. Seeds are chunked by their position in the
setting's seed list, so a resumed sweep trains the same ensembles as an
uninterrupted one and gives the same table, bit for bit, on CPUs.

Several drivers may work one store at once: each claims a unit in the store
before training it (a lease, :mod:`distscale.train.leases`), so no run is
trained twice, and a driver whose remaining units are all leased by others
waits for them. A worker that dies under a unit (SIGKILL, the out-of-memory
killer) costs only that unit, which is retried on a fresh worker (``retries``
times); a unit that raises is not retried in the same call.

Units have a *kind*: ``synthetic`` (the tasks of :mod:`distscale.train.tasks`)
or ``lm`` (an LM seed population, :class:`distscale.train.lm.LMGrid`: one
setting per data-mix ratio; a configuration with a ``[population]`` table).
The kind decides what a worker runs and which store table holds the rows;
the rest of the engine is shared.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from distscale.train.config import check_int, run_key
from distscale.train.grid import Setting, SweepGrid, read_toml
from distscale.train.leases import DEFAULT_LEASE, Heartbeat, LeaseBook, new_owner
from distscale.train.populate import choose_ensemble_size, summarize_runs
from distscale.train.store import JOURNAL_MODES, RunStore
from distscale.train.store_schema import LM_DIRECTIONS
from distscale.train.sweep_status import SweepError, SweepStatus, UnitFailure
from distscale.train.trainer import check_sweep_checkpoints
from distscale.train.workers import DaskRunner, InProcessRunner, LocalRunner, default_workers

__all__ = ["Sweep", "SweepError", "SweepStatus", "UnitFailure"]


@dataclasses.dataclass(frozen=True)
class _Unit:
    setting: int
    seeds: tuple[int, ...]  # the chunk's seeds (all of them: trained together as one ensemble)
    keys: tuple[str, ...]   # their run keys
    key: str                # the chunk's key: a hash of its run keys
    pending: tuple[str, ...] = ()  # its runs not finished when the call started


# -------------------------------------------------------------------- sweep
class Sweep:
    """A resumable sweep over settings x seeds with an SQLite run store.

    Parameters
    ----------
    grid : SweepGrid, LMGrid or sequence of settings
        The runs (a sequence is passed to :class:`SweepGrid` with ``seeds``).
        A :class:`distscale.train.lm.LMGrid` (an LM seed population: ratios
        x seeds) makes units of the kind ``lm``, trained by
        :mod:`distscale.train.lm` and stored in ``lm_results``; everything
        else (store, leases, workers, Dask, status, check) is the same.
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
    journal : {"wal", "delete"}, optional
        Journal mode of the store (see :class:`~distscale.train.RunStore`):
        ``"delete"`` for drivers on several machines sharing one file system.
    checkpoints : int or sequence of int, optional
        Also evaluate every run during training and store the evaluations
        (the ``trajectories`` table; see :meth:`trajectory`): as in
        :func:`~distscale.train.train_population`, ``10`` means after every
        10% of the steps. Checkpoints do not change training or the run ids;
        runs already in the store keep what they have.
    checkpoint_samples : int, optional
        Test sequences per length at the checkpoints (default the setting's
        ``eval_samples``).

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
        grid: SweepGrid | Any | Sequence[Setting | Mapping],
        *,
        store: str | os.PathLike = "runs.sqlite",
        seeds: object = None,
        ensemble_size: int | None = None,
        device: str = "cpu",
        journal: str | None = None,
        checkpoints: int | Sequence[int] | None = None,
        checkpoint_samples: int | None = None,
    ) -> None:
        self.kind = getattr(grid, "kind", "synthetic")  # "lm": a distscale.train.lm.LMGrid
        if self.kind == "synthetic" and not isinstance(grid, SweepGrid):
            grid = SweepGrid(grid, seeds=seeds)
        elif seeds is not None:
            raise ValueError("`seeds` is only for a plain list of settings; the grid has its own")
        if self.kind == "lm" and (checkpoints is not None or checkpoint_samples is not None):
            raise ValueError("`checkpoints` are not available for LM sweeps (an LM run is "
                             "scored once, at the end of its training)")
        if ensemble_size is not None:
            ensemble_size = check_int("Sweep", "ensemble_size", ensemble_size, minimum=1)
        if not isinstance(device, str):
            raise TypeError(f"`device` must be a string such as 'cpu'; got {device!r}")
        if journal is not None and journal not in JOURNAL_MODES:
            raise ValueError(f"`journal` must be 'wal' or 'delete'; got {journal!r}")
        self.checkpoints, self.checkpoint_samples = check_sweep_checkpoints(
            checkpoints, checkpoint_samples, [s.train.steps for s in grid.settings])
        self.grid, self.ensemble_size, self.device = grid, ensemble_size, device
        RunStore(store, journal=journal).close()  # now: a bad path fails here, not after training
        self.store = os.fspath(store)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any] | str | os.PathLike, *, store: str | os.PathLike =
        "runs.sqlite", journal: str | None = None,
    ) -> Sweep:
        """A sweep from a configuration mapping or TOML file (:meth:`SweepGrid.from_config`).

        Besides the grid, reads ``ensemble_size``, ``device``, ``checkpoints``
        and ``checkpoint_samples``. A configuration with a ``[population]``
        table is an LM seed population (:class:`distscale.train.lm.LMGrid`,
        its ``ensemble_size`` and ``device`` from ``[population]``; needs the
        ``lm`` extra).
        """
        source = config
        if isinstance(config, (str, os.PathLike)):
            config = read_toml(config)
        if isinstance(config, Mapping) and "population" in config:  # an LM population
            from distscale.train.lm.grid import LMGrid

            lm = LMGrid(source)
            return cls(lm, store=store, device=lm.config["population"].get("device", "cpu"),
                       journal=journal)
        grid = SweepGrid.from_config(config)
        return cls(grid, store=store, ensemble_size=config.get("ensemble_size"),
                   device=config.get("device", "cpu"), journal=journal,
                   checkpoints=config.get("checkpoints"),
                   checkpoint_samples=config.get("checkpoint_samples"))

    def __repr__(self) -> str:
        return f"Sweep({self.grid!r}, store={self.store!r})"

    def _chunks(self) -> list[_Unit]:
        """Every unit of the grid (all seeds), in grid order."""
        units = []
        for i, setting in enumerate(self.grid.settings):
            size = self.ensemble_size or (self.grid.unit_size(i) if self.kind == "lm" else
                                          choose_ensemble_size(
                setting.task, setting.model, setting.train, n_seeds=len(setting.seeds),
                device=self.device))
            keys = self.grid.keys[i]
            for start in range(0, len(setting.seeds), size):
                chunk = tuple(keys[start:start + size])
                digest = hashlib.sha256("\n".join(chunk).encode()).hexdigest()[:16]
                units.append(_Unit(i, tuple(setting.seeds[start:start + size]), chunk, digest))
        return units

    def _units(self, done: set[str]) -> list[_Unit]:
        """The units with runs not in ``done`` (whole chunks: a chunk is one ensemble)."""
        units = []
        for unit in self._chunks():
            pending = tuple(k for k in unit.keys if k not in done)
            if pending:
                units.append(dataclasses.replace(unit, pending=pending))
        return units

    def status(self) -> SweepStatus:
        """Finished and pending runs (per setting too), read from the checked store.

        Returns
        -------
        SweepStatus
            ``n_runs``, ``n_done``, ``n_pending`` and ``per_setting`` counts;
            ``n_leased`` (pending runs other drivers are training), ``failed``
            (pending units whose last attempt failed) and ``requeued`` (runs
            with missing result rows, counted as pending).

        Raises
        ------
        StoreDamagedError
            If the store file is damaged (see :meth:`RunStore.repair`).
        """
        return self._status(0, None, (), quick=True)

    def _status(self, trained: int, failed: tuple[UnitFailure, ...] | None,
                requeued: tuple[str, ...], *, quick: bool = False) -> SweepStatus:
        with RunStore(self.store, readonly=True) as store:
            report = store.check(quick=quick)
            done = {k for k in store.done_keys()} - set(report.incomplete)
            mine = {k for keys in self.grid.keys for k in keys}
            leases = store.leases()
            now = time.time()
            n_leased = int(((leases.expires_at > now) & leases.run_id.isin(list(mine - done)))
                           .sum()) if len(leases) else 0
            if failed is None:
                failed = self._logged_failures(store.attempts(), done)
        if not requeued:
            requeued = tuple(sorted(set(report.incomplete) & mine))
        per = [(lab, sum(k in done for k in keys), sum(k not in done for k in keys))
               for lab, keys in zip(self.grid.labels(), self.grid.keys, strict=True)]
        n_done = sum(d for _, d, _ in per)
        return SweepStatus(self.grid.n_runs, n_done, self.grid.n_runs - n_done, trained,
                           tuple(per), failed, requeued, n_leased)

    def _logged_failures(self, attempts: pd.DataFrame, done: set[str]) -> tuple[UnitFailure, ...]:
        if attempts.empty:
            return ()
        labels, out = self.grid.labels(), []
        last = attempts.groupby("run_id").tail(1).set_index("run_id")
        counts = attempts.groupby("run_id").size()
        for unit in self._units(done):
            rows = last.reindex(list(unit.pending))
            bad = rows[rows.outcome.isin(["failed", "worker died"])]
            if len(bad) and len(bad) == len(rows):
                seeds = tuple(s for s, k in zip(unit.seeds, unit.keys, strict=True)
                              if k in set(unit.pending))
                out.append(UnitFailure(unit.setting, labels[unit.setting], seeds,
                                       str(bad.error.iloc[0]), int(counts[bad.index[0]])))
        return tuple(out)

    def run(
        self, client: Any = None, *, workers: int | None = None, progress: bool = True,
        threads: int | None = 1, retries: int = 2, lease: float = DEFAULT_LEASE,
        heartbeat: float | None = None,
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
        retries : int, default 2
            Times a unit is retried on a fresh worker process when its worker
            dies under it (SIGKILL, the out-of-memory killer). A unit that
            raises is not retried (rerun after fixing the cause). Dask
            retries dead workers itself (its ``allowed-failures``).
        lease : float, default 600
            Seconds a claim on a unit lasts without renewal; another driver
            takes the unit over after that (or at once, on this host, when
            this process is gone).
        heartbeat : float, optional
            Seconds between lease renewals (default ``lease / 20``: 30 s).
            A driver whose pending units are all leased by others polls every
            ``min(heartbeat, 1)`` seconds.

        Returns
        -------
        SweepStatus
            With ``n_trained`` = runs committed by this call.

        Raises
        ------
        SweepError
            If units failed for good; every other unit still ran and was
            committed, ``err.status.failed`` says which and why, and a rerun
            retries only what is missing.
        StoreDamagedError
            If the store file is damaged (see :meth:`RunStore.repair`).
        """
        if client is not None and workers is not None:
            raise ValueError("give `client` (Dask) or `workers` (local processes), not both")
        if client is not None and not (hasattr(client, "submit") and hasattr(client, "cancel")):
            raise TypeError(f"`client` must be a dask.distributed.Client; got {client!r}")
        if workers is None:
            workers = default_workers()
        workers = check_int("Sweep.run", "workers", workers, minimum=0)
        if threads is not None:
            threads = check_int("Sweep.run", "threads", threads, minimum=1)
        retries = check_int("Sweep.run", "retries", retries, minimum=0)
        lease = _seconds("lease", lease)
        heartbeat = lease / 20 if heartbeat is None else _seconds("heartbeat", heartbeat)
        if heartbeat > lease / 2:
            raise ValueError(f"`heartbeat` ({heartbeat:g} s) must be at most half the `lease` "
                             f"({lease:g} s), so that a lease is renewed before it expires")
        with RunStore(self.store) as store:
            mine = {k for keys in self.grid.keys for k in keys}
            requeued = tuple(k for k in store.clean(store.check()) if k in mine)
            units = self._units(store.done_keys())
            n_todo = sum(len(u.pending) for u in units)
            if client is not None:
                runner: Any = DaskRunner(client)
            elif workers == 0:
                runner = InProcessRunner()
            else:
                runner = LocalRunner(min(workers, max(1, len(units))), threads)
            bar = None
            if progress and n_todo:
                from tqdm.auto import tqdm

                bar = tqdm(total=n_todo, desc="sweep", unit="run")
                bar.set_postfix_str(f"{self.grid.n_runs - n_todo} already in store")
            loop = _Loop(self, store, units, runner, bar, threads=threads,
                         in_process=client is None and workers == 0, retries=retries,
                         lease=lease, heartbeat=heartbeat)
            try:
                loop.run()
            finally:
                if bar is not None:
                    bar.close()
        status = self._status(loop.trained, tuple(loop.failures), requeued)
        if loop.failures:
            first = loop.failures[0]
            raise SweepError(
                f"{len(loop.failures)} of {len(units)} units failed for good "
                f"({sum(len(f.seeds) for f in loop.failures)} runs); finished runs are in "
                f"{self.store!r} and a rerun retries the rest. First: {first}", status)
        return status

    def _commit(self, store: RunStore, unit: _Unit, seeds: list[int], result: dict,
                owner: str) -> list[str]:
        setting = self.grid.settings[unit.setting]
        keys = [run_key(setting.task, setting.model, setting.train, s) for s in seeds]
        table = result["table"]
        got = list(dict.fromkeys(table["run_id"]))
        if sorted(got) != sorted(keys):
            raise SweepError(
                f"a worker returned runs {got} for setting {unit.setting}, seeds {seeds} "
                f"(expected {keys}): does the worker run the same distscale version?"
            )
        configs = {k: (setting.task, setting.model, setting.train) for k in keys}
        return store.commit(table, configs, worker=result["worker"], versions=result["versions"],
                            owner=owner, unit=unit.key, trajectory=result.get("trajectory"),
                            kind=self.kind)

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
            For an LM sweep the table of :func:`~distscale.train.lm.lm_population`
            (one row per ratio and seed, whatever ``level``). Otherwise rows
            ordered by setting (grid order), seed (the setting's seed
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
            store.check()  # a damaged file raises; runs with missing rows are left out
            table = store.results([k for keys in self.grid.keys for k in keys], kind=self.kind)
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
        if self.kind == "lm":  # one row per run, as lm_population gives it
            table = table.drop(columns="run_id")
            table.attrs["higher_is_better"] = dict(LM_DIRECTIONS)
            return table
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




    def trajectory(self, *, allow_pending: bool = False) -> pd.DataFrame:
        """The sweep's checkpoint evaluations, read from the store, in grid order.

        One row per run, checkpoint and evaluated length (columns
        :data:`~distscale.io.run_table.TRAJECTORY_COLUMNS`); runs trained
        without checkpoints have no rows. Pass one setting's rows to
        :func:`~distscale.io.run_table.trajectory_population` for a paired
        population with the step as the scale.

        Parameters
        ----------
        allow_pending : bool, default False
            Return the finished runs even if some are pending (otherwise an
            error).
        """
        with RunStore(self.store, readonly=True) as store:
            store.check()
            keys = [k for keys in self.grid.keys for k in keys]
            n_done = len(store.done_keys(keys))
            table = store.trajectories(keys)
        if n_done < self.grid.n_runs and not allow_pending:
            raise ValueError(
                f"{self.grid.n_runs - n_done} of {self.grid.n_runs} runs are not finished; "
                "run sweep.run() first or pass allow_pending=True"
            )
        position = {k: i for i, k in enumerate(keys)}
        order = table["run_id"].map(position)
        return table.iloc[order.argsort(kind="stable")].reset_index(drop=True)


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 \
            or value == float("inf"):
        raise ValueError(f"`{name}` must be a positive number of seconds; got {value!r}")
    return float(value)


class _Loop:
    """One call of :meth:`Sweep.run`: claim units, hand them to the runner, commit results."""

    def __init__(self, sweep: Sweep, store: RunStore, units: list[_Unit], runner: Any,
                 bar: Any, *, threads: int | None, in_process: bool, retries: int,
                 lease: float, heartbeat: float) -> None:
        self.sweep, self.store, self.units, self.runner, self.bar = sweep, store, units, runner, bar
        self.threads, self.in_process, self.retries = threads, in_process, retries
        self.lease, self.heartbeat, self.poll = lease, heartbeat, min(heartbeat, 1.0)
        self.owner = new_owner()
        self.book = LeaseBook(store.connection, self.owner, lease)
        self.trained, self.failures = 0, []
        self.queue = list(range(len(units)))   # unit indices not claimed, in grid order
        self.inflight: dict[int, list[int]] = {}  # unit index -> seeds being trained
        self.tries = [0] * len(units)

    def run(self) -> None:
        cancel = True
        try:
            with Heartbeat(self.store.uri, self.owner, self.lease, self.heartbeat):
                while True:
                    blocked = self._fill()
                    if not self.inflight:
                        if not self.queue:
                            break
                        time.sleep(self.poll)  # every pending unit is leased by another driver
                        continue
                    for index, kind, value in self.runner.wait(self.poll if blocked else None):
                        self._finish(index, kind, value)
            cancel = False
        finally:
            self.runner.close(cancel=cancel)
            try:  # leases of units not committed: free them for other drivers at once
                self.book.release(None, "cancelled", "the driver stopped")
            except Exception:  # the store may be what failed
                if not cancel:
                    raise

    def _fill(self) -> bool:
        """Claim and submit units while the runner has room; True if some were busy."""
        while self.queue and self.runner.free() > 0:
            order = list(self.queue)
            claim = self.book.claim_first([(self.units[i].key, self.units[i].keys)
                                           for i in order])
            for j in claim.done:  # finished by other drivers
                self.queue.remove(order[j])
                if self.bar is not None:
                    self.bar.update(len(self.units[order[j]].pending))
            if claim.claimed is None:
                return bool(claim.busy)
            index = order[claim.claimed]
            self.queue.remove(index)
            unit = self.units[index]
            # the whole chunk is trained (one ensemble, as in an uninterrupted sweep); only its
            # unfinished runs (claim.todo) are leased and committed
            setting = self.sweep.grid.settings[unit.setting]
            kind = (self.sweep.grid.payload(unit.setting) if self.sweep.kind == "lm" else
                    {"task": setting.task, "model": setting.model, "train": setting.train})
            payload = {**kind, "seeds": list(unit.seeds), "keys": list(unit.keys),
                       "device": self.sweep.device,
                       "threads": self.threads, "in_process": self.in_process,
                       "checkpoints": self.sweep.checkpoints,
                       "checkpoint_samples": self.sweep.checkpoint_samples}
            self.tries[index] += 1
            try:
                worker = self.runner.submit(index, payload)
            except BaseException:
                self.book.release(unit.key, "failed", "could not start a worker")
                raise
            self.book.note_worker(unit.key, worker)
            self.inflight[index] = [s for s, k in zip(unit.seeds, unit.keys, strict=True)
                                    if k in set(claim.todo)]
        return False

    def _finish(self, index: int, kind: str, value: Any) -> None:
        unit, seeds = self.units[index], self.inflight.pop(index)  # seeds: the unfinished ones
        if kind == "ok":
            written = self.sweep._commit(self.store, unit, list(unit.seeds), value, self.owner)
            self.trained += len(written)
            if self.bar is not None:
                self.bar.update(len(seeds))
            return
        reason = value if isinstance(value, str) else f"{type(value).__name__}: {value}"
        outcome = "worker died" if kind == "died" else "failed"
        self.book.release(unit.key, outcome, reason)
        if kind == "died" and self.tries[index] <= self.retries:
            self.queue.insert(0, index)  # retried first, on a fresh worker process
            return
        label = self.sweep.grid.labels()[unit.setting]
        self.failures.append(UnitFailure(unit.setting, label, tuple(seeds), reason,
                                         self.tries[index]))
