"""Calibration and speed of compare_conditions (two conditions at the same scales).

1. Coverage. Populations are simulated with known truth: at every scale a
   run of condition A succeeds with probability ``p_a`` and then scores
   ``0.3 + 0.7 Beta(5, 2)``, a run of B with ``p_b`` and ``0.3 + 0.7 Beta(4, 2)``;
   failed runs of both score ``0.15 Beta(2, 5)`` and the threshold 0.2 splits
   them exactly. The truths:

   * difference in P(success): ``p_a - p_b``;
   * difference in mean | success: ``0.7 (5/7 - 4/6)``;
   * P(X > Y) = ``p_a (1 - p_b) + p_a p_b q + (1 - p_a)(1 - p_b) / 2``
     with ``q = P(Beta(5, 2) > Beta(4, 2))`` by numerical integration
     (``scipy.integrate.quad``); failed runs never beat successful ones
     and two failed runs tie in distribution (1/2).

   Each simulated scale is an independent replicate, so one call with S
   scales gives S intervals per statistic; the overall interval (average
   over 5 scales) is checked on S/5 populations of 5 scales. Coverage of the
   95% percentile intervals is reported with its Monte Carlo standard error
   ``sqrt(c (1 - c) / S)``.

2. Speed. 20 scales x 10, 100 or 250 runs per condition x 1,000 resamples:
   :func:`distscale.describe.compare_conditions` (one array program per
   scale) against the obvious loop (per scale, per resample, numpy on one
   resample and P(X > Y) from the ``n_a x n_b`` sign matrix), on the same
   random stream, so the intervals must agree. Peak memory of each is
   measured with tracemalloc in a separate run.

Run: ``python benchmarks/calibration_conditions.py [--sims 2000]`` (about a minute).
"""

from __future__ import annotations

import argparse
import importlib
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from scipy import integrate, stats

import distscale
from distscale.describe import compare_conditions

engine = importlib.import_module("distscale.resampling.bootstrap")  # its chunk size

THRESHOLD = 0.2


def q_success() -> float:
    """P(Beta(5, 2) > Beta(4, 2)) = integral of f_{5,2}(x) F_{4,2}(x) dx."""
    return integrate.quad(lambda x: stats.beta(5, 2).pdf(x) * stats.beta(4, 2).cdf(x), 0, 1,
                          epsabs=1e-12)[0]


def truth(p_a: float, p_b: float) -> np.ndarray:
    q = q_success()
    return np.array([
        p_a - p_b,
        0.7 * (5 / 7 - 4 / 6),
        p_a * (1 - p_b) + p_a * p_b * q + (1 - p_a) * (1 - p_b) / 2,
    ])


def simulate(n_scales: int, n: int, p_a: float, p_b: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for cond, p, beta_a in (("A", p_a, 5), ("B", p_b, 4)):
        ok = rng.random((n_scales, n)) < p
        value = np.where(ok, 0.3 + 0.7 * rng.beta(beta_a, 2, (n_scales, n)),
                         0.15 * rng.beta(2, 5, (n_scales, n)))
        frames.append(pd.DataFrame({
            "scale": np.repeat(np.arange(1, n_scales + 1), n),
            "seed": np.tile(np.arange(n), n_scales),
            "condition": cond,
            "acc": value.ravel(),
        }))
    return pd.concat(frames, ignore_index=True)


def run(df: pd.DataFrame, n_resamples: int = 1000, rng: int = 0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", distscale.DegenerateDataWarning)
        return compare_conditions(df, by="condition", threshold=THRESHOLD,
                                  n_resamples=n_resamples, rng=rng, scale="scale", seed="seed",
                                  value="acc")


def coverage(sims: int, n: int, p_a: float, p_b: float) -> dict:
    true = truth(p_a, p_b)
    res = run(simulate(sims, n, p_a, p_b, seed=n))
    out = {}
    for c, name in enumerate(res.statistics):
        low, high = res.ci_low[:, c], res.ci_high[:, c]
        ok = np.isfinite(low)
        out[name] = (float(np.mean((low[ok] <= true[c]) & (true[c] <= high[ok]))), int(ok.sum()))
    groups = sims // 5
    hits = np.zeros(3)
    for g in range(groups):
        r = run(simulate(5, n, p_a, p_b, seed=10_000 * n + g), rng=g)
        hits += (r.overall_ci_low <= true) & (true <= r.overall_ci_high)
    for c, name in enumerate(res.statistics):
        out[f"overall {name}"] = (float(hits[c] / groups), groups)
    return out


# ----------------------------------------------------------------------------- speed
def loop_intervals(df: pd.DataFrame, n_resamples: int, seed: int) -> tuple[np.ndarray, ...]:
    """Per scale, per resample: the three statistics on one resample (same stream)."""
    gen = np.random.default_rng(seed)
    lows, highs = [], []
    for _, g in df.groupby("scale", sort=True):
        a = g.loc[g.condition == "A", "acc"].to_numpy()
        b = g.loc[g.condition == "B", "acc"].to_numpy()
        # the engine's chunks: per chunk one (m, n_a) then one (m, n_b) index block
        size = max(1, min(n_resamples, engine._CHUNK_ELEMENTS // (a.size + b.size)))
        rows = []
        for start in range(0, n_resamples, size):
            m = min(size, n_resamples - start)
            ia = gen.integers(0, a.size, size=(m, a.size))
            ib = gen.integers(0, b.size, size=(m, b.size))
            for r in range(m):
                x, y = a[ia[r]], b[ib[r]]
                sx, sy = x > THRESHOLD, y > THRESHOLD
                mean = (x[sx].mean() if sx.any() else np.nan) - (
                    y[sy].mean() if sy.any() else np.nan)
                pi = (np.sign(x[:, None] - y[None, :]) + 1).sum() / (2 * x.size * y.size)
                rows.append((sx.mean() - sy.mean(), mean, pi))
        dist = np.array(rows)
        lo, hi = [], []
        for c in range(3):
            col = dist[np.isfinite(dist[:, c]), c]
            q = np.quantile(col, [0.025, 0.975]) if col.size else (np.nan, np.nan)
            lo.append(q[0])
            hi.append(q[1])
        lows.append(lo)
        highs.append(hi)
    return np.array(lows), np.array(highs)


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def peak_mib(fn, *args) -> float:
    tracemalloc.start()
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def speed(n_scales: int = 20, n: int = 100, n_resamples: int = 1000) -> None:
    df = simulate(n_scales, n, 0.6, 0.4, seed=1)
    t_fast, res = timed(run, df, n_resamples, 7)
    t_fast = min([t_fast] + [timed(run, df, n_resamples, 7)[0] for _ in range(4)])  # best of 5
    t_loop, (lo, hi) = timed(loop_intervals, df, n_resamples, 7)
    agree = np.allclose(res.ci_low, lo, atol=1e-12, equal_nan=True) and np.allclose(
        res.ci_high, hi, atol=1e-12, equal_nan=True)
    print(f"\nspeed: {n_scales} scales x {n} runs per condition x {n_resamples} resamples")
    print(f"  compare_conditions {t_fast:.3f} s, peak {peak_mib(run, df, n_resamples, 7):.1f} MiB")
    print(f"  per-resample loop  {t_loop:.3f} s, peak "
          f"{peak_mib(loop_intervals, df, n_resamples, 7):.1f} MiB")
    print(f"  ratio {t_loop / t_fast:.0f}x; same intervals: {agree}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=2000)
    args = parser.parse_args()
    print(f"coverage of 95% percentile intervals, {args.sims} simulated scales per row "
          "(overall: sims/5 populations of 5 scales)")
    print(f"{'n per condition':>16} {'p_a':>5} {'p_b':>5}  statistic            coverage  (MC se)")
    for n, p_a, p_b in ((10, 0.6, 0.4), (30, 0.6, 0.4), (100, 0.6, 0.4), (30, 0.9, 0.8)):
        for name, (cov, count) in coverage(args.sims, n, p_a, p_b).items():
            se = np.sqrt(cov * (1 - cov) / count)
            print(f"{n:>16} {p_a:>5} {p_b:>5}  {name:<28} {cov:.3f}  ({se:.3f})")
    for n_scales, n in ((20, 10), (20, 100), (20, 250)):
        speed(n_scales, n)


if __name__ == "__main__":
    main()
