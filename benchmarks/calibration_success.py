"""Calibration of success_curve's goodness-of-fit test, logistic4 intervals and "auto".

1. *Size*: counts simulated from a true logistic (8 scales from 1 to 128,
   ``logit P = -2.4 + ln(scale)``), small (12 seeds: the parametric
   bootstrap) and large (400 seeds: chi-squared); the logistic fit's
   rejection rate at 0.05 should be about 0.05.
2. *Power* against the plateau of the issue's case study: counts simulated from
   the logistic4 fit of the case (20 seeds at 10 steps, floor 0, ceiling
   0.66); rejection rate of the logistic, and of logistic4 (its own size).
3. *Coverage* of the logistic4 profile intervals (floor 0.15, ceiling 0.7,
   slope 1.4, 40 seeds at 9 scales from 1e6 to 1e9): floor, ceiling, slope
   and x50 should cover about 95 % (x50 among the fits that report it: about
   5 % are withheld, the goodness-of-fit test's size).
4. *auto* on the plateau: which model it picks, and how far its x50 lies from
   the true one (22.1k for the simulated curve).

Usage::

    python benchmarks/calibration_success.py [n_sims] [gof_resamples] [n_auto]

docs/success.md reports ``1000 199 200``.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections import Counter

import numpy as np
from scipy import special

import distscale


def counts_population(scales, successes, n):
    pairs = zip(scales, successes, strict=True)
    return distscale.Population.from_dict(
        {float(s): [1.0] * int(k) + [0.0] * int(n - k) for s, k in pairs}
    )


def main() -> None:
    args = [int(a) for a in sys.argv[1:4]]
    n_sims, gof_b, n_auto = args + [1000, 199, 200][len(args):]
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(2024)

    # 1. size under a true logistic
    scales = np.geomspace(1.0, 128.0, 8)
    p_true = special.expit(-2.4 + np.log(scales))
    for seeds in (12, 400):
        start = time.perf_counter()
        pvals, methods = [], Counter()
        for _ in range(n_sims):
            pop = counts_population(scales, rng.binomial(seeds, p_true), seeds)
            gof = distscale.success_curve(pop, threshold=0.5, gof_resamples=gof_b,
                                          rng=rng).goodness_of_fit
            pvals.append(gof.pvalue)
            methods[gof.method] += 1
        pvals = np.array(pvals)
        print(f"size, logistic true, {seeds} seeds x 8 scales: rejection at 0.05 "
              f"{np.mean(pvals <= 0.05):.3f}, at 0.10 {np.mean(pvals <= 0.10):.3f} "
              f"({dict(methods)}; {n_sims} sims, {time.perf_counter() - start:.0f} s)")

    # 2. power against the plateau, and logistic4's own size there
    counts = [0, 0, 0, 4, 7, 11, 13, 14, 12, 14]
    steps = 1000.0 * 2.0 ** np.arange(10)
    case = counts_population(steps, counts, 20)
    fit4 = distscale.success_curve(case, threshold=0.5, model="logistic4", rng=0)
    p_plateau = fit4.to_frame()["p_success"].to_numpy()
    for model in ("logistic", "logistic4"):
        start = time.perf_counter()
        rejected = 0
        for _ in range(n_sims):
            pop = counts_population(steps, rng.binomial(20, p_plateau), 20)
            gof = distscale.success_curve(pop, threshold=0.5, model=model,
                                          gof_resamples=gof_b, rng=rng).goodness_of_fit
            rejected += gof.pvalue <= 0.05
        print(f"plateau (case study's logistic4 fit), {model}: rejection at 0.05 "
              f"{rejected / n_sims:.3f} ({n_sims} sims, {time.perf_counter() - start:.0f} s)")

    # 3. coverage of the logistic4 intervals
    scales9 = np.geomspace(1e6, 1e9, 9)
    t = np.log(scales9)
    floor, ceiling, slope, mid = 0.15, 0.7, 1.4, np.log(3e7)
    p4 = floor + (ceiling - floor) * special.expit(slope * (t - mid))
    truth = np.array([floor, ceiling, np.nan, slope])
    x50 = np.exp(mid + special.logit((0.5 - floor) / (ceiling - floor)) / slope)
    covered = np.zeros(5)
    withheld = 0
    start = time.perf_counter()
    for _ in range(n_sims):
        pop = counts_population(scales9, rng.binomial(40, p4), 40)
        res = distscale.success_curve(pop, threshold=0.5, model="logistic4",
                                      gof_resamples=gof_b, rng=rng)
        covered[:4] += (res.coef_ci.low <= truth) & (truth <= res.coef_ci.high)
        if np.isnan(res.x50):  # withheld: the (true) model rejected, at the test's size
            withheld += 1
        else:
            covered[4] += res.x50_ci.low <= x50 <= res.x50_ci.high
    rates = covered / n_sims
    x50_rate = covered[4] / (n_sims - withheld)
    print(f"logistic4 95% profile intervals, coverage over {n_sims} sims "
          f"({(time.perf_counter() - start) / n_sims:.3f} s a fit): floor {rates[0]:.3f}, "
          f"ceiling {rates[1]:.3f}, slope {rates[3]:.3f}, x50 {x50_rate:.3f} "
          f"of the {n_sims - withheld} fits that report it ({withheld} withheld: GOF rejected)")

    # 4. auto on the plateau
    x50_true = float(fit4.x50)
    start = time.perf_counter()
    chosen, errors, fits = Counter(), [], 0
    for _ in range(n_auto):
        pop = counts_population(steps, rng.binomial(20, p_plateau), 20)
        res = distscale.success_curve(pop, threshold=0.5, model="auto", n_resamples=200,
                                      gof_resamples=gof_b, rng=rng)
        chosen[res.model] += 1
        fits += res.goodness_of_fit.pvalue > 0.05
        if np.isfinite(res.x50):
            errors.append(np.log(res.x50 / x50_true))
    errors = np.array(errors)
    print(f"auto on the plateau ({n_auto} sims, {time.perf_counter() - start:.0f} s): "
          f"chosen {dict(chosen)}; chosen model fits in {fits / n_auto:.3f}; x50 given in "
          f"{errors.size / n_auto:.3f}, |log error| median {np.median(np.abs(errors)):.3f} "
          f"(true x50 {x50_true:.4g})")


if __name__ == "__main__":
    main()
