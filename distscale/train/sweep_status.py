"""What a sweep reports: its progress (:class:`SweepStatus`) and units that failed for good."""

from __future__ import annotations

import dataclasses

import pandas as pd

__all__ = ["SweepError", "SweepStatus", "UnitFailure"]


@dataclasses.dataclass(frozen=True)
class UnitFailure:
    """A unit that failed for good: its setting, seeds, the reason and the attempts made.

    Examples
    --------
    >>> str(UnitFailure(1, "depth=2", (0, 1), "worker process 7 died (killed by SIGKILL)", 3))
    'setting 1 (depth=2), seeds [0, 1]: worker process 7 died (killed by SIGKILL) (3 attempts)'
    """

    setting: int
    label: str
    seeds: tuple[int, ...]
    reason: str
    attempts: int

    def __str__(self) -> str:
        return (f"setting {self.setting} ({self.label}), seeds {list(self.seeds)}: "
                f"{self.reason} ({self.attempts} attempt{'s' if self.attempts != 1 else ''})")


class SweepError(RuntimeError):
    """Some units of a sweep failed (the finished ones are committed).

    ``status`` is the :class:`SweepStatus` at the end of the call, with the
    failed units in ``status.failed``.
    """

    def __init__(self, message: str, status: SweepStatus | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclasses.dataclass(frozen=True)
class SweepStatus:
    """Progress of a sweep: finished and pending runs, overall and per setting.

    ``n_trained`` is the number of runs committed by the call that returned
    this status (0 for :meth:`Sweep.status`); ``per_setting`` holds
    ``(label, done, pending)`` per setting, in grid order. ``failed`` lists
    the units that failed for good (for :meth:`Sweep.status`: pending units
    whose last attempt in the store failed), ``requeued`` the runs found with
    missing result rows and trained again (by :meth:`Sweep.run`), or still to
    be (for :meth:`Sweep.status`), and ``n_leased`` the pending runs that
    other drivers are training now.
    """

    n_runs: int
    n_done: int
    n_pending: int
    n_trained: int
    per_setting: tuple[tuple[str, int, int], ...]
    failed: tuple[UnitFailure, ...] = ()
    requeued: tuple[str, ...] = ()
    n_leased: int = 0

    def to_frame(self) -> pd.DataFrame:
        """One row per setting: ``setting``, ``label``, ``n_runs``, ``done``, ``pending``."""
        rows = [(i, lab, d + p, d, p) for i, (lab, d, p) in enumerate(self.per_setting)]
        return pd.DataFrame(rows, columns=["setting", "label", "n_runs", "done", "pending"])

    def notes(self) -> list[str]:
        """Sentences about leases, re-queued runs and failed units (for the command line)."""
        out = []
        if self.n_leased:
            out.append(f"{self.n_leased} pending run(s) are being trained by other drivers")
        if self.requeued:
            out.append(f"{len(self.requeued)} run(s) had missing result rows in the store and "
                       "are (re-)trained as pending")
        out += [f"failed: {f}" for f in self.failed]
        return out
