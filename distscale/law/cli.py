"""The ``distscale predict`` command: the seed distribution at a scale not yet run.

``distscale predict PATH --scale COL --seed COL --value COL --threshold T
--at SCALE [--best-of K] [--bounds LO HI] [--lower-is-better]`` fits a
:class:`~distscale.DistributionalScalingLaw` to the population in PATH (CSV,
TSV or Parquet; the bundled count-task population without PATH) and prints
the predicted P(success), mean and quantiles of one seed -- and of the best
of ``K`` seeds -- at ``SCALE``, with seed-bootstrap intervals.

:func:`add_predict_command` adds the command to the ``distscale`` parser;
:func:`_run_predict` runs it (errors are raised as :class:`ValueError` for
the command line to print as one line).
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings

import numpy as np
import pandas as pd

__all__ = ["add_predict_command"]

#: Settings of ``distscale predict`` without PATH: the bundled count-task population.
BUNDLED_PREDICT = {
    "description": "bundled count-task population (exact match, 6 widths x 48 seeds)",
    "value": "exact_match",
    "threshold": 0.5,
    "bounds": (0.0, 1.0),
    "higher_is_better": True,
}


def add_predict_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``predict`` to the ``distscale`` command's subparsers; returns its parser."""
    cmd = subparsers.add_parser(
        "predict",
        help="predict the seed distribution at an unseen scale (distributional scaling law)",
        description=(
            "Fit a distributional scaling law to every scale of the population and print the "
            "predicted seed distribution at --at SCALE: P(success), mean and quantiles, and "
            "for the best of --best-of K seeds, each with a seed-bootstrap interval. Without "
            "PATH it runs on the bundled count-task population."
        ),
    )
    cmd.add_argument("path", nargs="?", help="CSV, TSV or Parquet file, one row per run")
    cmd.add_argument("--scale", help="scale column (numeric, > 0)")
    cmd.add_argument("--seed", help="seed column")
    cmd.add_argument("--value", help="metric column")
    cmd.add_argument("--threshold", help="a run succeeds when its metric is beyond this value")
    cmd.add_argument("--at", required=True, help="the scale to predict (e.g. 2e5)")
    cmd.add_argument("--best-of", default="1", help="also predict the best of K seeds")
    cmd.add_argument("--bounds", nargs=2, metavar=("LO", "HI"),
                     help="range of the metric, e.g. 0 1 (default: point masses at piles of runs)")
    cmd.add_argument("--lower-is-better", action="store_true",
                     help="success means metric < threshold (losses)")
    cmd.add_argument("--paired", action="store_true",
                     help="the same seeds at every scale (checkpoints): resample whole seeds")
    cmd.add_argument("--resamples", "--n-resamples", dest="resamples", default="1000",
                     help="seed-bootstrap replicates (default 1000)")
    cmd.add_argument("--rng", default="0", help="random seed (default 0)")
    cmd.add_argument("--format", choices=("table", "csv"), default="table",
                     help="a readable table (default) or the tidy CSV")
    cmd.set_defaults(func=_run_predict)
    return cmd


def _number(option: str, text: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{option} must be a number; got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{option} must be finite; got {text!r}")
    return value


def _whole(option: str, text: str, minimum: int) -> int:
    value = _number(option, text)
    if not value.is_integer() or value < minimum:
        raise ValueError(f"{option} must be a whole number >= {minimum}; got {text!r}")
    return int(value)


def _load(args: argparse.Namespace):
    if args.path is None:
        given = [f"--{n}" for n in ("scale", "seed", "value") if getattr(args, n) is not None]
        if given:
            raise ValueError(f"{', '.join(given)} given without PATH; the bundled data has "
                             "fixed columns")
        from distscale.datasets import load_count_population

        pop = load_count_population().select(metric=BUNDLED_PREDICT["value"])
        return pop, dict(BUNDLED_PREDICT)
    missing = [f"--{n}" for n in ("scale", "seed", "value", "threshold")
               if getattr(args, n) is None]
    if missing:
        raise ValueError(f"with PATH, these options are required: {', '.join(missing)}")
    from distscale.io import read_population
    from distscale.population import Population

    pop = read_population(args.path, scale=args.scale, seed=args.seed, value=args.value)
    if args.paired:
        pop = Population(pop.to_frame(), scale=pop.scale, seed=pop.seed, value=pop.metric,
                         paired=True)
    return pop, {"description": args.path, "bounds": "auto", "higher_is_better": True}


def _run_predict(args: argparse.Namespace) -> int:
    """Run ``distscale predict``; returns the exit status (0)."""
    from distscale.law.scaling_law import DistributionalScalingLaw, ExtrapolationWarning

    at = _number("--at", args.at)
    if at <= 0:
        raise ValueError(f"--at must be a scale > 0; got {args.at!r}")
    k = _whole("--best-of", args.best_of, 1)
    resamples = _whole("--resamples", args.resamples, 2)
    seed_rng = _whole("--rng", args.rng, 0)
    threshold = None if args.threshold is None else _number("--threshold", args.threshold)
    bounds = None
    if args.bounds is not None:
        lo, hi = (_number("--bounds", b) for b in args.bounds)
        if not lo < hi:
            raise ValueError(f"--bounds LO HI needs LO < HI; got {lo:g} {hi:g}")
        bounds = (lo, hi)
    pop, defaults = _load(args)
    threshold = defaults.get("threshold") if threshold is None else threshold
    bounds = defaults["bounds"] if bounds is None else bounds
    higher = defaults["higher_is_better"] and not args.lower_is_better
    law = DistributionalScalingLaw(threshold=threshold, higher_is_better=higher, bounds=bounds,
                                   n_resamples=resamples, rng=seed_rng).fit(pop)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ExtrapolationWarning)
        pred = law.predict(at)
    ks = [1] if k == 1 else [1, k]
    frame = pd.concat([pred.best_of(j).to_frame() for j in ks],
                                        ignore_index=True)
    if args.format == "csv":
        sys.stdout.write(frame.to_csv(index=False))
        return 0
    print(f"data: {defaults['description']}")
    print(f"law: {law}")
    print(f"success: {law.metric_} {'>' if higher else '<'} {threshold:g}; "
          f"{100 * law.confidence_level_:.0f}% seed-bootstrap intervals "
          f"({'whole seeds' if law.paired_ else 'seeds within scales'}, rng={seed_rng})")
    for w in caught:
        print(f"note: {w.message}")
    print()
    for j in ks:
        best = pred.best_of(j)
        who = "one seed" if j == 1 else f"the best of {j} seeds"
        print(f"at {at:g}, {who}:")
        rows = [("P(success)", best.p_success()), ("mean", best.mean())]
        q = best.quantile([0.1, 0.5, 0.9])
        for name, band in rows:
            print(f"  {name:<16} {float(band.estimate):.4g} "
                  f"[{float(band.ci.low):.4g}, {float(band.ci.high):.4g}]")
        for lvl, e, lo, hi in zip((10, 50, 90), q.estimate, q.ci.low, q.ci.high, strict=True):
            print(f"  {str(lvl) + 'th percentile':<16} {e:.4g} [{lo:.4g}, {hi:.4g}]")
        if j == 1:
            masses = best.point_masses()
            for i, v in enumerate(np.atleast_1d(masses.x)):
                print(f"  {'share at ' + format(v, 'g'):<16} {masses.estimate[i]:.4g} "
                      f"[{masses.ci.low[i]:.4g}, {masses.ci.high[i]:.4g}]")
    return 0
