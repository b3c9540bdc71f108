"""Time every step of the report on a large population: 50 scales x 1,000 seeds.

The population: exact-match-like values in [0, 1] (a pile of failures near 0
and, from scale 15 on, a growing group of successes near 0.8, P(success)
rising with scale), 50 scales of 1,000 seeds each (``--continuous``: the
same without rounding to a grid, so no ties). Each step of ``make_report`` is
timed alone in this process, with the calls and settings the report uses;
then the whole report (which runs the steps, then its figures, side by side
on ``--jobs`` processes). Targets on this 2-core machine: ``modality_scan``
<= 10 s, ``make_report`` <= 30 s. ``--limit SECONDS`` stops a step that runs
longer (an earlier version's backtest at this size ran for many minutes).

``--before SECONDS_JSON`` prints the ratio against an earlier run's
timings (a JSON file written by ``--save``).

Run: ``python benchmarks/bench_report.py [--seeds 1000] [--scales 50] [--save t.json]``
"""

from __future__ import annotations

import argparse
import json
import signal
import tempfile
import time
import warnings

import numpy as np

import distscale as ds
from distscale.law.outlook import next_scale_outlook as outlook


class _Stopped(Exception):
    """A step ran past ``--limit``."""


def _stop(signum, frame):
    raise _Stopped


def population(n_scales: int, n_seeds: int, seed: int = 0,
               continuous: bool = False) -> ds.Population:
    rng = np.random.default_rng(seed)
    data = {}
    for i in range(n_scales):
        p = 1 / (1 + np.exp(-(i - 25) / 5))
        win = rng.random(n_seeds) < p
        fail = np.clip(rng.beta(1.2, 12, n_seeds), 0, 1)
        good = np.clip(rng.normal(0.8, 0.06, n_seeds), 0, 1)
        if not continuous:  # exact match on 50 test items: values on a grid of 1/50
            fail, good = np.round(fail * 50) / 50, np.round(good * 50) / 50
        data[2.0 ** (i / 4) * 1e6] = np.where(win, good, fail)
    return ds.Population.from_dict(data, metric="exact_match")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--scales", type=int, default=50)
    parser.add_argument("--save", help="write the timings to this JSON file")
    parser.add_argument("--before", help="JSON timings of an earlier run, for ratios")
    parser.add_argument("--continuous", action="store_true",
                        help="values not on a grid (no ties for the engine to merge)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="make_report's n_jobs (default: the usable cores, at most 4)")
    parser.add_argument("--limit", type=float, default=None,
                        help="stop a step after this many seconds (reported as '>')")
    parser.add_argument("--skip-steps", action="store_true",
                        help="time only the whole make_report")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    pop = population(args.scales, args.seeds, continuous=args.continuous)
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
        "next_scale_outlook": lambda: outlook(pop, **rule, bounds=(0, 1), n_resamples=1000,
                                              rng=0),
        "threshold_sensitivity": lambda: ds.threshold_sensitivity(pop, include=0.5,
                                                                  n_resamples=500, rng=0),
    }
    before = json.loads(open(args.before).read()) if args.before else {}
    timings = {}
    kind = "continuous values" if args.continuous else "values on a grid of 1/50"
    print(f"population: {args.scales} scales x {args.seeds} seeds, {kind}")
    todo = {} if args.skip_steps else dict(steps)

    def whole() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            jobs = {} if args.jobs is None else {"n_jobs": args.jobs}  # absent before n_jobs
            ds.make_report(pop, **rule, bounds=(0, 1), out_dir=tmp + "/r", progress=False,
                           rng=0, **jobs)

    todo["make_report"] = whole
    for name, step in todo.items():
        if args.limit:
            signal.signal(signal.SIGALRM, _stop)
            signal.setitimer(signal.ITIMER_REAL, args.limit)
        start = time.perf_counter()
        try:
            step()
            stopped = False
        except _Stopped:
            stopped = True
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        timings[name] = time.perf_counter() - start
        ratio = f"  ({before[name] / timings[name]:.1f}x faster)" if name in before else ""
        mark = ">" if stopped else " "
        print(f"  {name:24s}{mark}{timings[name]:7.2f} s{ratio}", flush=True)
    if args.save:
        with open(args.save, "w") as fh:
            json.dump(timings, fh, indent=1)


if __name__ == "__main__":
    main()
