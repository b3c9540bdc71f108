"""Run independent pieces of work in forked processes, results in order (private).

The report's analyses and figures are independent of each other (each
analysis has its own random stream), so they can run side by side. Threads
do not help there (most of the time is Python, under the GIL), processes do.
:func:`map_forked` forks workers that inherit the work as it is in memory (no
pickling of the population or of closures) and send back only the results,
so it works with lambdas; where ``fork`` is not available (or not safe:
macOS, Windows) it runs the work in this process, one item after another.
"""

from __future__ import annotations

import multiprocessing
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


class WorkerError(RuntimeError):
    """An exception raised in a worker process that could not be sent back as itself."""


def can_fork() -> bool:
    """Whether :func:`map_forked` uses processes here (Linux, with ``fork``).

    Not inside a daemonic worker process (a worker of a ``multiprocessing``
    pool, ours or the caller's), which may not start processes of its own.

    Examples
    --------
    >>> isinstance(can_fork(), bool)
    True
    """
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _run(index: int) -> tuple[int, bool, Any]:
    func, items = _WORK  # type: ignore[misc]
    try:
        return index, True, func(items[index])
    except Exception as err:  # sent back, raised in the parent
        try:
            import pickle

            pickle.dumps(err)
            return index, False, err
        except Exception:
            return index, False, WorkerError("".join(traceback.format_exception(err)))


def slow_first(keys: Sequence[Any], slow: Sequence[Any]) -> list[int]:
    """An ``order`` for :func:`map_forked`: the items whose key is in ``slow`` first.

    Each group keeps the items' own order.

    Examples
    --------
    >>> slow_first(["a", "b", "c", "d"], ("c", "a"))
    [0, 2, 1, 3]
    """
    return sorted(range(len(keys)), key=lambda i: (keys[i] not in slow, i))


def map_forked(
    func: Callable[[Any], Any], items: Sequence[Any], workers: int,
    order: Sequence[int] | None = None,
) -> list[Any]:
    """``[func(item) for item in items]``, computed on up to ``workers`` forked processes.

    ``order`` is the order to start the items in (the longest first balances
    the workers); the results are always in the items' order. An exception
    raised by ``func`` is raised here (the first in the items' order). With
    ``workers <= 1``, one item, or no ``fork``, a plain loop in this process.
    Results must be picklable.

    Examples
    --------
    >>> map_forked(lambda x: x * x, [1, 2, 3], workers=2)
    [1, 4, 9]
    """
    global _WORK
    if workers <= 1 or len(items) <= 1 or not can_fork():
        return [func(item) for item in items]
    order = list(range(len(items))) if order is None else list(order)
    _WORK = (func, items)
    try:
        with multiprocessing.get_context("fork").Pool(min(workers, len(items))) as pool:
            done = dict((i, (ok, value)) for i, ok, value in
                        pool.imap_unordered(_run, order, chunksize=1))
    finally:
        _WORK = None
    out = []
    for i in range(len(items)):
        ok, value = done[i]
        if not ok:
            raise value
        out.append(value)
    return out
