"""Time every step of the report on a large population: 50 scales x 1,000 seeds.

The population: exact-match-like values in [0, 1] (a pile of failures near 0
and, from scale 15 on, a growing group of successes near 0.8, P(success)
rising with scale), 50 scales of 1,000 seeds each. Each step of
``make_report`` is timed alone (the same calls, with the same settings, as
the report makes), then the whole report. Targets on this 2-core machine:
``modality_scan`` <= 10 s, ``make_report`` <= 30 s.

``--before SECONDS_JSON`` prints the ratio against an earlier run's
timings (a JSON file written by ``--save``).

Run: ``python benchmarks/bench_report.py [--seeds 1000] [--scales 50] [--save t.json]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings

import numpy as np

import distscale as ds


def population(n_scales: int, n_seeds: int, seed: int = 0) -> ds.Population:
    rng = np.random.default_rng(seed)
    data = {}
    for i in range(n_scales):
        p = 1 / (1 + np.exp(-(i - 25) / 5))
        win = rng.random(n_seeds) < p
        fail = np.round(np.clip(rng.beta(1.2, 12, n_seeds), 0, 1) * 50) / 50
        good = np.round(np.clip(rng.normal(0.8, 0.06, n_seeds), 0, 1) * 50) / 50
        data[2.0 ** (i / 4) * 1e6] = np.where(win, good, fail)
    return ds.Population.from_dict(data, metric="exact_match")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--scales", type=int, default=50)
    parser.add_argument("--save", help="write the timings to this JSON file")
    parser.add_argument("--before", help="JSON timings of an earlier run, for ratios")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    pop = population(args.scales, args.seeds)
    rule = {"threshold": 0.5, "higher_is_better": True}
    steps = {
        "summary_curves": lambda: ds.summary_curves(pop, **rule, rng=0),
        "decompose_mean": lambda: ds.describe.decompose_mean(pop, **rule, rng=0),
        "modality_scan": lambda: ds.modality_scan(pop, bounds=(0, 1), n_boot_ci=1000,
                                                  success_threshold=0.5, rng=0),
        "success_curve": lambda: ds.success_curve(pop, **rule, rng=0),
        "per_seed_emergence": lambda: ds.per_seed_emergence(pop),
        "trend_test (success)": lambda: ds.trend_test(pop, subset="success", **rule,
                                                      alternative="two-sided", rng=0),
        "trend_test (failure)": lambda: ds.trend_test(pop, subset="failure", **rule,
                                                      alternative="two-sided", rng=0),
        "monotonicity_test": lambda: ds.monotonicity_test(pop, rng=0),
        "inverse_scaling": lambda: ds.inverse_scaling(pop, **rule, rng=0),
        "distribution_shift": lambda: ds.distribution_shift(pop, rng=0),
    }
    before = json.loads(open(args.before).read()) if args.before else {}
    timings = {}
    print(f"population: {args.scales} scales x {args.seeds} seeds")
    for name, step in steps.items():
        start = time.perf_counter()
        step()
        timings[name] = time.perf_counter() - start
        ratio = f"  ({before[name] / timings[name]:.1f}x faster)" if name in before else ""
        print(f"  {name:24s} {timings[name]:7.2f} s{ratio}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ds.make_report(pop, **rule, bounds=(0, 1), out_dir=tmp + "/r", progress=False, rng=0)
        timings["make_report"] = time.perf_counter() - start
    name = "make_report"
    ratio = f"  ({before[name] / timings[name]:.1f}x faster)" if name in before else ""
    print(f"  {'make_report (whole)':24s} {timings[name]:7.2f} s{ratio}")
    if args.save:
        with open(args.save, "w") as fh:
            json.dump(timings, fh, indent=1)


if __name__ == "__main__":
    main()
