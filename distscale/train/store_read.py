"""Reading a whole run store into a table (:func:`read_store`)."""

from __future__ import annotations

import os
import warnings

import pandas as pd

from distscale._lib.warnings import DroppedRowsWarning
from distscale.io.run_table import summarize_runs

__all__ = ["read_store"]


def read_store(path: str | os.PathLike, *, level: str = "length") -> pd.DataFrame:
    """Every finished run in a run store, as the tidy table of ``train_population``.

    The store is checked first (:meth:`RunStore.check`): a damaged file
    raises :class:`StoreDamagedError`, and runs with missing result rows are
    left out with a :class:`~distscale.DroppedRowsWarning` (the next
    ``Sweep.run`` trains them again).

    Parameters
    ----------
    path : str or os.PathLike
        A store written by :class:`~distscale.train.sweep.Sweep`.
    level : {"length", "run"}, default "length"
        One row per run and evaluated length, or one row per run
        (:func:`~distscale.train.summarize_runs`).

    Returns
    -------
    pandas.DataFrame
        Ordered by task, depth, width, heads, mlp_ratio, positional, steps,
        seed, ``run_id`` and then the row's position within its run. Use
        :meth:`Sweep.population` to get one sweep's runs with the swept
        configuration fields as columns.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "runs.sqlite")
    >>> from distscale.train import RunStore
    >>> RunStore(path).close()
    >>> read_store(path).shape[0]
    0
    """
    if level not in ("length", "run"):
        raise ValueError(f"`level` must be 'length' or 'run'; got {level!r}")
    from distscale.train.store import RunStore

    with RunStore(path, readonly=True) as store:
        report = store.check()
        table = store.results()
    if report.incomplete:
        warnings.warn(
            f"{len(report.incomplete)} run(s) in {os.fspath(path)!r} have missing result rows "
            "and are left out; the next Sweep.run trains them again",
            DroppedRowsWarning, stacklevel=2)
    order = ["task", "depth", "width", "heads", "mlp_ratio", "positional", "steps", "seed",
             "run_id"]
    table = table.sort_values(order, kind="stable", ignore_index=True)
    if level == "run":
        table = summarize_runs(table)
    return table
