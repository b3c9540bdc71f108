"""Small helpers shared by several test modules."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from distscale import DegenerateDataWarning

#: The repository's root folder.
REPO_ROOT = Path(__file__).resolve().parents[1]
#: Small data files of the tests (tests/data).
TEST_DATA = REPO_ROOT / "tests" / "data"
#: ``shared/data`` beside the repository (present for developers and in CI);
#: tests that read it skip when it is absent.
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def bimodal(n_scales, n_seeds, seed, p_success=None):
    """Seeds that fail near 0 or succeed near 0.8, P(success) rising with scale."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n_scales):
        p = (i + 1) / (n_scales + 1) if p_success is None else p_success
        succ = rng.random(n_seeds) < p
        out[i + 1] = np.where(
            succ, 0.3 + 0.7 * rng.beta(5, 2, n_seeds), 0.15 * rng.beta(2, 5, n_seeds)
        )
    return out


def quiet(fn, *args, **kwargs):
    """Call ``fn`` with DegenerateDataWarning silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return fn(*args, **kwargs)


def collect_degenerate(fn, *args, **kwargs):
    """Call ``fn``; return its result and the DegenerateDataWarning messages."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    return out, [str(w.message) for w in caught if issubclass(w.category, DegenerateDataWarning)]


def bimodal_frame(n_scales: int = 4, n_seeds: int = 30, seed: int = 0) -> pd.DataFrame:
    """Runs fail near 0 or succeed near 0.85 (bounded in [0, 1]); P(success) rises with scale.

    Columns ``depth`` (2, 4, 8, ...), ``seed``, ``exact_match``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_scales):
        p = (i + 1) / (n_scales + 1)
        for s in range(n_seeds):
            ok = rng.random() < p
            v = 0.6 + 0.4 * rng.beta(5, 2) if ok else 0.2 * rng.beta(1, 6)
            rows.append((2 ** (i + 1), s, float(v)))
    return pd.DataFrame(rows, columns=["depth", "seed", "exact_match"])


# ------------------------------------------------------------------ Dopamine Atari
#: Per-iteration returns of Dopamine's agents on Atari (google/dopamine, Apache-2.0).
DOPAMINE = SHARED_DATA / "dopamine-atari"


def read_dopamine(name: str) -> pd.DataFrame:
    return pd.DataFrame(json.loads((DOPAMINE / f"{name}.json").read_text()))


def dopamine_networks(game, agent, iterations) -> pd.DataFrame:
    """The `_CNN` and `_Impala` files: the 5 runs are interleaved within each iteration,
    so a run's label is its position among the rows of its (agent, iteration)."""
    frames = []
    for network in ("CNN", "Impala"):
        d = read_dopamine(f"{game}_{network}")
        d = d[(d["Agent"] == agent) & d["Iteration"].isin(iterations)].copy()
        d["seed"] = d.groupby("Iteration").cumcount()
        frames.append(d.assign(network=network))
    return pd.concat(frames, ignore_index=True)


def dopamine_default(game, iterations) -> pd.DataFrame:
    """The default files: each agent's runs are consecutive and the iteration counter
    restarts at 0 for every run, so a run's label counts the restarts."""
    d = read_dopamine(game)
    d["seed"] = d.groupby("Agent")["Iteration"].transform(lambda it: (it == 0).cumsum() - 1)
    return d[d["Iteration"].isin(iterations)].reset_index(drop=True)
