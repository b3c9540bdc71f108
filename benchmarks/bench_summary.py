"""Benchmark: summary curves with bootstrap CIs, batched vs a per-resample loop.

20 scales x 250 seeds x 1,000 resamples of simulated bimodal populations
(failed runs near 0, successful runs near 0.8, P(success) rising with scale).

* batched: :func:`distscale.summary_curves` -- per scale one bootstrap call,
  all six statistics from one row-wise sort of the (1000, 250) resample array.
* loop: the obvious alternative -- per scale, per resample, numpy statistics on
  one resample and the half-sample mode by the naive recursive definition.

Both use the same random stream (one generator, scales in order, one resample
after another; NumPy's ``integers`` gives the same draws one row at a time as
in a block), so point estimates *and* intervals must agree. Peak memory is
measured with tracemalloc in a separate run of each, so it does not slow the
timed runs.

Run: ``python benchmarks/bench_summary.py``
"""

from __future__ import annotations

import math
import time
import tracemalloc
import warnings

import numpy as np

import distscale
from distscale.describe.summary import STATISTICS

N_SCALES, N_SEEDS, N_RESAMPLES, THRESHOLD = 20, 250, 1000, 0.2


def simulate(seed: int = 0) -> distscale.Population:
    rng = np.random.default_rng(seed)
    data = {}
    for i in range(N_SCALES):
        p = (i + 1) / (N_SCALES + 1)
        succ = rng.random(N_SEEDS) < p
        data[i + 1] = np.where(succ, 0.3 + 0.7 * rng.beta(5, 2, N_SEEDS),
                               0.15 * rng.beta(2, 5, N_SEEDS))
    return distscale.Population.from_dict(data, metric="acc")


def hsm_naive(values) -> float:
    """Half-sample mode by its recursive definition (Bickel & Frühwirth 2006)."""
    x = sorted(values)
    n = len(x)
    if n == 1:
        return x[0]
    if n == 2:
        return (x[0] + x[1]) / 2
    if n == 3:
        lo, hi = x[1] - x[0], x[2] - x[1]
        return (x[0] + x[1]) / 2 if lo < hi else (x[1] + x[2]) / 2 if lo > hi else x[1]
    h = math.ceil(n / 2)
    best, width = 0, x[h - 1] - x[0]
    for i in range(1, n - h + 1):
        if x[i + h - 1] - x[i] < width:
            best, width = i, x[i + h - 1] - x[i]
    return hsm_naive(x[best : best + h])


def statistics_of(r: np.ndarray) -> list[float]:
    succ = r > THRESHOLD
    return [
        hsm_naive(r.tolist()),
        r.mean(),
        float(np.median(r)),
        succ.mean(),
        r[succ].mean() if succ.any() else np.nan,
        r[~succ].mean() if (~succ).any() else np.nan,
    ]


def loop_summary(pop: distscale.Population, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    values = pop.values()
    k = len(STATISTICS)
    est, low, high = (np.full((len(values), k), np.nan) for _ in range(3))
    for i, x in enumerate(values):
        est[i] = statistics_of(x)
        dist = np.array(
            [statistics_of(x[rng.integers(0, x.size, size=x.size)]) for _ in range(N_RESAMPLES)]
        )
        for c in range(k):
            col = dist[np.isfinite(dist[:, c]), c]
            if col.size:
                low[i, c], high[i, c] = np.quantile(col, [0.025, 0.975])
    return est, low, high


def batched_summary(pop: distscale.Population, seed: int) -> tuple[np.ndarray, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", distscale.DegenerateDataWarning)
        res = distscale.summary_curves(pop, threshold=THRESHOLD, n_resamples=N_RESAMPLES,
                                       rng=seed)
    return res.estimates, res.ci_low, res.ci_high


def timed(fn, *args, repeat: int = 1) -> tuple[float, object]:
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_mib(fn, *args) -> float:
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    pop = simulate()
    print(f"summary curves: {N_SCALES} scales x {N_SEEDS} seeds x {N_RESAMPLES} resamples, "
          f"{len(STATISTICS)} statistics with 95% percentile CIs")
    batched_summary(pop, 0)  # warm-up (imports, first-call costs)
    t_fast, fast = timed(batched_summary, pop, 0, repeat=5)
    t_loop, slow = timed(loop_summary, pop, 0, repeat=2)
    mem_fast = peak_mib(batched_summary, pop, 0)
    mem_loop = peak_mib(loop_summary, pop, 0)

    same_est = np.allclose(fast[0], slow[0], rtol=1e-12, atol=0, equal_nan=True)
    same_ci = all(np.allclose(a, b, rtol=1e-12, atol=1e-15, equal_nan=True)
                  for a, b in zip(fast[1:], slow[1:], strict=True))
    print(f"  batched (distscale.summary_curves): {t_fast:8.3f} s   peak {mem_fast:7.1f} MiB"
          "   (best of 5)")
    print(f"  per-resample Python loop:           {t_loop:8.3f} s   peak {mem_loop:7.1f} MiB"
          "   (best of 2)")
    print(f"  speed-up: {t_loop / t_fast:.1f}x")
    print(f"  same point estimates: {same_est}; same intervals: {same_ci}")
    if not (same_est and same_ci):
        raise SystemExit("batched and loop results differ")


if __name__ == "__main__":
    main()
