"""Leases: which driver trains which unit, so several drivers share one run store.

Every process that calls :meth:`Sweep.run <distscale.train.Sweep.run>` is a
*driver* with an owner id ``host:pid:token`` (the token is random, so two
sweeps in one process differ). Before it hands a unit to a worker, a driver
*claims* it in the store, in one write transaction (``BEGIN IMMEDIATE``, so
two drivers never claim the same run):

- runs of the unit that are finished are dropped; a unit with none left is
  done;
- a run leased by another owner whose lease has not expired, and whose
  process is not known to be dead, makes the unit *busy*: the driver tries
  another unit, and waits (polling) when every pending unit is busy;
- an expired lease, or one whose owner is a dead process on this host, is
  taken over: its open attempts are marked ``abandoned``;
- otherwise the driver writes one ``leases`` row per run (``expires_at`` =
  now + lease length) and one ``attempts`` row per run (the training log).

While the unit trains, a heartbeat thread of the driver (with its own
connection) pushes ``expires_at`` of all its leases forward every
``heartbeat`` seconds. The leases are released when the unit is committed
(in the commit's transaction), fails, or the driver stops (``finally``); a
driver killed with SIGKILL leaves them until they expire (default 600 s) or,
on the same host, until another driver sees that its process is gone.

Times are wall-clock seconds (``time.time()``): drivers on several machines
need clocks that agree to well within the lease length (NTP).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence

__all__ = ["DEFAULT_HEARTBEAT", "DEFAULT_LEASE", "Heartbeat", "LeaseBook", "new_owner",
           "owner_dead"]

#: Default lease length in seconds (10 minutes).
DEFAULT_LEASE = 600.0
#: Default heartbeat: the lease length / 20 (30 s for the default lease).
DEFAULT_HEARTBEAT = DEFAULT_LEASE / 20


def new_owner() -> str:
    """A fresh owner id, ``host:pid:token``.

    Examples
    --------
    >>> owner = new_owner()
    >>> owner.split(":")[1] == str(os.getpid())
    True
    """
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_dead(owner: str) -> bool:
    """Whether ``owner`` is a process of this host that no longer runs.

    Owners on other hosts are never known dead (their leases expire instead).

    Examples
    --------
    >>> owner_dead(new_owner()), owner_dead("elsewhere.example:1:ab")
    (False, False)
    """
    try:
        host, pid_text, _ = owner.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname() or pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    try:  # a killed process that its parent has not reaped yet is a zombie
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


@dataclasses.dataclass(frozen=True)
class ClaimRound:
    """The answer of :meth:`LeaseBook.claim_first`.

    ``claimed`` is the index of the claimed unit (None if none could be),
    ``todo`` its runs not finished yet (now leased to this owner), ``done``
    the indices of units with every run finished, ``busy`` those leased by
    live owners.
    """

    claimed: int | None
    todo: tuple[str, ...]
    done: tuple[int, ...]
    busy: tuple[int, ...]


class LeaseBook:
    """One driver's leases in a store (all calls on the driver's own connection).

    Parameters
    ----------
    conn : sqlite3.Connection
        An autocommit connection (``isolation_level=None``) to the store.
    owner : str
        This driver's id (:func:`new_owner`).
    lease : float
        Lease length in seconds.
    """

    def __init__(self, conn: sqlite3.Connection, owner: str, lease: float) -> None:
        self.conn, self.owner, self.lease = conn, owner, float(lease)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")  # the write lock: one claim at a time
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def claim_first(self, units: Sequence[tuple[str, Sequence[str]]]) -> ClaimRound:
        """Claim the first claimable unit of ``units`` (``(unit key, run ids)`` pairs).

        The unit's unfinished runs are leased; an ``attempts`` row is written
        for each of its runs (all are trained, as one ensemble).
        """
        conn, now = self.conn, time.time()
        done, busy = [], []
        with self._transaction():
            leases = {r[0]: (r[1], r[2]) for r in conn.execute(
                "SELECT run_id, owner, expires_at FROM leases")}
            verdict: dict[str, bool] = {}  # owner -> lease still holds
            for index, (unit, keys) in enumerate(units):
                todo = self._pending(keys)
                if not todo:
                    done.append(index)
                    continue
                holders = {leases[k][0] for k in todo if k in leases}
                if self.owner in holders:  # in flight here already
                    busy.append(index)
                    continue
                for holder in holders - set(verdict):
                    expires = max(e for o, e in leases.values() if o == holder)
                    verdict[holder] = expires > now and not owner_dead(holder)
                if any(verdict[h] for h in holders):
                    busy.append(index)
                    continue
                for holder in holders:  # take over stale leases
                    why = ("its driver's process is gone" if owner_dead(holder)
                           else "its lease expired")
                    stale = [k for k in todo if leases.get(k, ("",))[0] == holder]
                    conn.execute(f"DELETE FROM leases WHERE run_id IN ({_marks(stale)})", stale)
                    conn.execute(
                        "UPDATE attempts SET outcome='abandoned', ended_at=?, error=? "
                        f"WHERE owner=? AND outcome IS NULL AND run_id IN ({_marks(keys)})",
                        (now, f"{holder}: {why}", holder, *keys))
                conn.executemany(
                    "INSERT INTO leases VALUES (?, ?, ?, ?, ?)",
                    [(k, unit, self.owner, now, now + self.lease) for k in todo])
                conn.executemany(  # every run of the unit is trained (its ensemble)
                    "INSERT INTO attempts (run_id, unit, owner, started_at) VALUES (?, ?, ?, ?)",
                    [(k, unit, self.owner, now) for k in keys])
                return ClaimRound(index, tuple(todo), tuple(done), tuple(busy))
        return ClaimRound(None, (), tuple(done), tuple(busy))

    def _pending(self, keys: Sequence[str]) -> list[str]:
        finished: set[str] = set()
        keys = list(keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            finished.update(r[0] for r in self.conn.execute(
                f"SELECT run_id FROM runs WHERE run_id IN ({_marks(chunk)})", chunk))
        return [k for k in keys if k not in finished]

    def note_worker(self, unit: str, worker: str | None) -> None:
        """Record which worker trains ``unit`` (in its open attempts)."""
        if worker is not None:
            self.conn.execute(
                "UPDATE attempts SET worker=? WHERE unit=? AND owner=? AND outcome IS NULL",
                (worker, unit, self.owner))

    def release(self, unit: str | None, outcome: str, error: str | None = None) -> None:
        """Drop this owner's leases of ``unit`` (all, if None) and close its open attempts."""
        where, args = ("owner=?", [self.owner]) if unit is None else (
            "unit=? AND owner=?", [unit, self.owner])
        with self._transaction():
            self.conn.execute(f"DELETE FROM leases WHERE {where}", args)
            self.conn.execute(
                f"UPDATE attempts SET outcome=?, error=?, ended_at=? WHERE {where} "
                "AND outcome IS NULL", [outcome, error, time.time(), *args])


class Heartbeat:
    """A daemon thread that renews an owner's leases every ``interval`` seconds.

    It has its own connection to the store (SQLite connections are not shared
    between threads). Use as a context manager around the training loop.
    """

    def __init__(self, uri: str, owner: str, lease: float, interval: float) -> None:
        self.uri, self.owner, self.lease, self.interval = uri, owner, lease, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name="distscale-lease-heartbeat")
        self.renewals = 0
        self.error: str | None = None

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        conn = sqlite3.connect(self.uri, uri=True, timeout=max(5.0, self.interval),
                               isolation_level=None)
        try:
            while not self._stop.wait(self.interval):
                try:
                    conn.execute("UPDATE leases SET expires_at=? WHERE owner=?",
                                 (time.time() + self.lease, self.owner))
                    self.renewals += 1
                except sqlite3.Error as err:  # locked for long, disk full: retry next beat
                    self.error = str(err)
        finally:
            conn.close()
