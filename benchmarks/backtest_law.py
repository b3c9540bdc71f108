"""Backtests of the distributional scaling law on real populations (issue 16).

Each backtest fits the law and three baselines without the held-out scale(s)
and scores the forecasts on the held-out runs -- CRPS and log score from
``scoringrules``, lower is better -- with seed-bootstrap intervals of every
score and of every difference law - baseline (200 replicates; training and
held-out seeds resampled together, whole seeds for a paired population):

1. the bundled count population (exact match > 0.5, bounds (0, 1)), the
   largest width held out;
2. the same, the two largest widths held out;
3. PolyPythias, final checkpoint, mean bigram loss < 7.5 (lower is better),
   410m held out (fitted on 14m, 70m, 160m);
4. PolyPythias 14m over checkpoints (the same 10 seeds at every step:
   paired, seeds resampled whole), steps 1,000-143,000, the last two
   checkpoints held out.

The PolyPythias tables are the bundled copies
(:func:`distscale.datasets.load_polypythias`) of the raw files in
``../shared/data/polypythias-ngram-losses``.

Run::

    OMP_NUM_THREADS=1 python benchmarks/backtest_law.py

The tables are quoted in docs/law.md.
"""

from __future__ import annotations

import time
import warnings

import pandas as pd

import distscale as ds
from distscale.law import backtest

pd.set_option("display.width", 200)


def cases():
    count = ds.datasets.load_count_population().select(metric="exact_match")
    rule = {"threshold": 0.5, "bounds": (0, 1)}
    yield "count, largest width held out", count, {**rule, "n_holdout": 1}
    yield "count, two largest widths held out", count, {**rule, "n_holdout": 2}
    poly = ds.datasets.load_polypythias().select(metric="mean_bigram_loss")
    yield ("PolyPythias final, 410m held out", poly,
           {"threshold": 7.5, "higher_is_better": False})
    frame = ds.datasets.load_polypythias(step=None, as_frame=True)
    frame = frame[(frame["model_size"] == "14m") & (frame["step"] >= 1000)]
    ckpt = ds.Population(frame, scale="step", seed="seed", value="mean_bigram_loss", paired=True)
    yield ("PolyPythias 14m checkpoints (paired), last two held out", ckpt,
           {"threshold": 7.5, "higher_is_better": False, "n_holdout": 2})


def cell(v, lo, hi, sign=""):
    return f"{v:{sign}.3g} [{lo:{sign}.3g}, {hi:{sign}.3g}]"


def main() -> None:
    for title, pop, kw in cases():
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = backtest(pop, n_resamples=200, rng=0, **kw)
        print(f"\n=== {title} ({time.perf_counter() - t0:.0f} s; {pop})")
        print("law: " + "; ".join(res.law.notes_))
        f = res.to_frame()
        f["score (95% CI)"] = [cell(r.value, r.ci_low, r.ci_high) for r in f.itertuples()]
        f["law - model (95% CI)"] = ["" if r.model == "law" else
                                     cell(r.difference, r.diff_ci_low, r.diff_ci_high, "+")
                                     for r in f.itertuples()]
        print(f[["score", "scale", "n_seeds", "model", "score (95% CI)", "law - model (95% CI)",
                 "verdict"]].to_string(index=False))


if __name__ == "__main__":
    main()
