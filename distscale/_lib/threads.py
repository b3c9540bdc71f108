"""Run the heavy half of a loop on several threads, keeping its order (private).

The resampling loops of distscale draw their random numbers in order (so a
seed gives the same answer however the work is split) and then refit or
recompute on the draws -- numpy code that releases the GIL for most of its
time. :func:`map_ordered` keeps the draws in the caller's thread, in order,
and runs the computation on a small pool of threads, yielding the results in
the order of the items; so results do not depend on the number of threads.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: Most threads used by default (the engines are memory-bound beyond that).
MAX_THREADS = 4


def default_threads() -> int:
    """Threads for the resampling engines: the usable cores, at most :data:`MAX_THREADS`.

    ``DISTSCALE_THREADS`` in the environment overrides it (1 turns threads off).

    Examples
    --------
    >>> 1 <= default_threads() <= MAX_THREADS
    True
    """
    env = os.environ.get("DISTSCALE_THREADS")
    if env is not None:
        try:
            value = int(env)
        except ValueError:
            raise ValueError(
                f"DISTSCALE_THREADS must be a whole number >= 1; got {env!r}"
            ) from None
        if value < 1:
            raise ValueError(f"DISTSCALE_THREADS must be a whole number >= 1; got {env!r}")
        return value
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_THREADS))


def map_ordered(func: Callable[[Any], Any], items: Iterable[Any], threads: int) -> Iterator[Any]:
    """``func(item)`` for every item, in the items' order, on ``threads`` threads.

    Items are taken from ``items`` lazily in the calling thread (so random
    draws made while producing them happen in order), at most ``threads + 1``
    ahead of the result being yielded (bounded memory). With ``threads <= 1``
    it is a plain loop.

    Examples
    --------
    >>> list(map_ordered(lambda x: x * x, range(5), threads=2))
    [0, 1, 4, 9, 16]
    """
    if threads <= 1:
        for item in items:
            yield func(item)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(func, item))
            if len(pending) > threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
