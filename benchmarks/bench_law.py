"""Benchmark of the law's batched seed bootstrap: all replicates in one array program vs a loop.

A population of 20 scales x 250 seeds is simulated from a known law (metric
in [0, 1], logit-normal parts, the weight of the successful part rising from
about 0.05 to 0.95). ``DistributionalScalingLaw(n_resamples=200).fit`` fits
the data and refits the 200 seed-bootstrap replicates together in the
batched EM (target: under 10 s on 2 cores). The loop does what one would
do without the batched engine: draw the same 200 resampled populations and
fit each with ``DistributionalScalingLaw(n_resamples=0)``, one at a time.
Both are timed in the same process, one thread; the ratio is printed, and
the two sets of bands are compared (the loop's percentile band of the
weight at every scale against the batched fit's). Last, the same fit with
``interval="calibrated"`` (25 inner resamples in every replicate) is timed.

Run::

    OMP_NUM_THREADS=1 python benchmarks/bench_law.py

The numbers are quoted in docs/law.md.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from distscale.law import DistributionalScalingLaw, law_from_params, simulate_population
from distscale.law.scaling_law import draw_indices
from distscale.population import Population

B = 200


def population() -> Population:
    scales = np.exp(np.linspace(np.log(1e4), np.log(1e6), 20))
    gm = float(np.log(scales).mean())
    law = law_from_params(
        {"weight": {"intercept": -1.3 * gm, "slope": 1.3},
         "failure": {"location": (-2.0 - 0.3 * gm, 0.3), "log_spread": (-0.5, 0.0)},
         "success": {"location": (1.0 - 0.5 * gm, 0.5),
                     "log_spread": (-0.3 + 0.1 * gm, -0.1)}},
        threshold=0.5, bounds=(0, 1), scales=scales,
    )
    return simulate_population(law, scales, 250, rng=0)


def main() -> None:
    pop = population()
    opts = {"threshold": 0.5, "bounds": (0, 1), "success_model": "logistic"}
    print(f"population: {pop}")
    DistributionalScalingLaw(**opts, n_resamples=2, rng=0).fit(pop)  # warm up

    t0 = time.perf_counter()
    law = DistributionalScalingLaw(**opts, n_resamples=B, rng=1).fit(pop)
    batched = time.perf_counter() - t0
    print(f"batched: data fit + {B} bootstrap replicates in {batched:.2f} s "
          f"({law.n_iter_} EM iterations on the data; "
          f"{law.bootstrap_converged_:.0%} of replicates converged)")

    # the loop: the same kind of resamples, each a population fitted on its own
    values = pop.values()
    idx = draw_indices(np.random.default_rng(1), [v.size for v in values], B, pop.paired)
    frames = []
    for b in range(B):
        frames.append(pd.DataFrame({
            "scale": np.repeat(pop.scales, [v.size for v in values]),
            "seed": np.concatenate([np.arange(v.size) for v in values]),
            "value": np.concatenate([v[i[b]] for v, i in zip(values, idx, strict=True)]),
        }))  # fmt: skip
    t0 = time.perf_counter()
    loop_w = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for frame in frames:
            rep = Population(frame, scale="scale", seed="seed", value="value", paired=False)
            one = DistributionalScalingLaw(**opts, n_resamples=0).fit(rep)
            loop_w.append(one.predict(pop.scales).weight_success().estimate)
    loop = time.perf_counter() - t0
    print(f"loop:    {B} replicate fits one by one in {loop:.2f} s")
    print(f"ratio:   {loop / batched:.1f}x (loop / batched, the batched time includes the "
          "data fit)")

    w = law.predict(pop.scales).weight_success()
    lo, hi = np.quantile(np.array(loop_w), [0.025, 0.975], axis=0)
    width_b = w.ci.high - w.ci.low
    print("weight of the successful part, 95 % band width (batched bc / loop percentile), "
          "median over scales: "
          f"{np.median(width_b):.4f} / {np.median(hi - lo):.4f}")

    # the calibrated bands (a double bootstrap: n_inner fits inside every replicate)
    t0 = time.perf_counter()
    cal = DistributionalScalingLaw(**opts, n_resamples=B, interval="calibrated", n_inner=25,
                                   rng=1).fit(pop)
    took = time.perf_counter() - t0
    wc = cal.predict(pop.scales).weight_success()
    print(f"calibrated (interval='calibrated', n_inner=25): data fit + {B} replicates + "
          f"{B * 25} inner fits in {took:.2f} s; median band width of the weight "
          f"{np.median(wc.ci.high - wc.ci.low):.4f}")


if __name__ == "__main__":
    main()
