"""Reading the package's bundled data files."""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

from distscale._lib.validation import check_bool

__all__ = ["bundled", "check_as_frame"]


@functools.cache
def _read_bundled(name: str) -> pd.DataFrame:
    resource = resources.files("distscale.datasets").joinpath("data").joinpath(name)
    with resource.open("rb") as fh:
        return pd.read_csv(fh, compression="gzip" if name.endswith(".gz") else None)


def bundled(name: str) -> pd.DataFrame:
    """A fresh copy of the bundled table ``data/<name>`` (CSV, gzip if ``.gz``)."""
    return _read_bundled(name).copy()


def check_as_frame(as_frame: object) -> bool:
    """Validate a loader's ``as_frame`` flag."""
    return check_bool("as_frame", as_frame)
