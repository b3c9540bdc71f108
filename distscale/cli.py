"""The ``distscale`` command.

``distscale summary [PATH] --scale COL --seed COL --value COL --threshold T``
prints the paper's summary curves (mode, mean, median, P(success), mean of
successful and of failed runs, with seed-bootstrap CIs) per scale. With no
PATH it runs on the bundled PolyPythias population (final checkpoint).

``distscale train CONFIG.toml --store runs.sqlite [--scheduler ADDRESS]
[--workers N]`` runs (or resumes) the training sweep described by a TOML
file (see ``examples/count_sweep.toml`` and ``docs/training.md``); needs the
``torch`` extra, and ``dask`` for ``--scheduler``.

Errors are printed as one readable line on stderr with exit status 2; set
the environment variable ``DISTSCALE_DEBUG=1`` to see the full traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

import pandas as pd

__all__ = ["main"]

#: Settings used when ``distscale summary`` runs on the bundled data.
BUNDLED_SUMMARY = {
    "description": "bundled PolyPythias population, final checkpoint (step 143000)",
    "scale": "params",
    "seed": "seed",
    "value": "mean_bigram_loss",
    "threshold": 7.5,
    "higher_is_better": False,
}


class _CLIError(Exception):
    """An error to show the user as one line."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="distscale",
        description="Distributional scaling analysis of seed populations.",
    )
    from distscale import __version__

    parser.add_argument("--version", action="version", version=f"distscale {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    summary = sub.add_parser(
        "summary",
        help="per-scale summary curves with seed-bootstrap confidence intervals",
        description=(
            "Print, per scale: number of seeds, mode, mean, median, P(success), and the "
            "mean of successful and of failed runs, each with a seed-bootstrap CI. "
            "With no PATH, runs on the bundled PolyPythias population "
            "(final checkpoint, mean_bigram_loss, lower is better, threshold 7.5)."
        ),
    )
    summary.add_argument(
        "path", nargs="?", help="CSV, TSV or Parquet file, one row per run (optional)"
    )
    summary.add_argument("--scale", help="scale column (numeric)")
    summary.add_argument("--seed", help="seed column")
    summary.add_argument("--value", help="metric column")
    summary.add_argument("--task", help="task column (then --select-task is required)")
    summary.add_argument("--select-task", help="analyse only this task")
    summary.add_argument(
        "--threshold", type=float, help="a run succeeds when its metric is beyond this value"
    )
    summary.add_argument(
        "--lower-is-better",
        action="store_true",
        help="success means metric < threshold (losses); default is metric > threshold",
    )
    summary.add_argument(
        "--n-resamples", type=int, default=1000, help="bootstrap resamples (default 1000)"
    )
    summary.add_argument(
        "--confidence-level", type=float, default=0.95, help="CI level (default 0.95)"
    )
    summary.add_argument(
        "--method", choices=("percentile", "bca"), default="percentile", help="CI method"
    )
    summary.add_argument(
        "--rng", type=int, default=0, help="random seed for the bootstrap (default 0)"
    )
    summary.add_argument(
        "--dropna", action="store_true", help="drop rows with NaN/inf metrics instead of failing"
    )
    summary.add_argument(
        "--format",
        choices=("table", "csv"),
        default="table",
        help="print a readable table (default) or the tidy CSV",
    )
    summary.add_argument("--out", help="also write the tidy table to this CSV file")
    summary.add_argument(
        "--quiet", action="store_true", help="no progress bar and no header lines"
    )
    summary.set_defaults(func=_run_summary)

    train = sub.add_parser(
        "train",
        help="run or resume a training sweep (needs the torch extra)",
        description=(
            "Train every (setting, seed) run of the sweep in CONFIG (TOML; see "
            "examples/count_sweep.toml) that the SQLite store does not hold yet, on local "
            "worker processes or a Dask scheduler. Rerun the same command to resume."
        ),
    )
    train.add_argument("config", help="sweep configuration (TOML)")
    train.add_argument(
        "--store", default="runs.sqlite", help="SQLite run store (default runs.sqlite)"
    )
    train.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    train.add_argument(
        "--workers", type=int, help="local worker processes (default: all cores; 0: this process)"
    )
    train.add_argument("--out", help="when finished, write the table (per length) to this CSV")
    train.add_argument(
        "--status", action="store_true", help="only print finished/pending runs per setting"
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar and no report")
    train.set_defaults(func=_run_train)
    return parser


def _load_for_summary(args: argparse.Namespace):
    from distscale.io import read_population

    if args.path is None:
        given = [f"--{n}" for n in ("scale", "seed", "value") if getattr(args, n) is not None]
        if given:
            raise _CLIError(
                f"{', '.join(given)} given without PATH; the bundled data has fixed columns "
                "(params, seed, mean_bigram_loss)"
            )
        from distscale.datasets import load_polypythias

        pop = load_polypythias(step="final").select(metric=BUNDLED_SUMMARY["value"])
        threshold = BUNDLED_SUMMARY["threshold"] if args.threshold is None else args.threshold
        higher = BUNDLED_SUMMARY["higher_is_better"] and not args.lower_is_better
        return pop, threshold, higher, BUNDLED_SUMMARY["description"]

    required = ("scale", "seed", "value", "threshold")
    missing = [f"--{n}" for n in required if getattr(args, n) is None]
    if missing:
        raise _CLIError(f"with PATH, these options are required: {', '.join(missing)}")
    pop = read_population(
        args.path,
        scale=args.scale,
        seed=args.seed,
        value=args.value,
        task=args.task,
        dropna=args.dropna,
    )
    if args.task is not None:
        if args.select_task is None:
            raise _CLIError(f"--task given: choose one of {list(pop.tasks)} with --select-task")
        labels = {str(t): t for t in pop.tasks}
        if args.select_task not in labels:
            raise _CLIError(f"--select-task {args.select_task!r} is not one of {list(labels)}")
        pop = pop.select(task=labels[args.select_task])
    elif args.select_task is not None:
        raise _CLIError("--select-task needs --task")
    return pop, args.threshold, not args.lower_is_better, args.path


def _readable_table(frame: pd.DataFrame) -> str:
    def cell(row: pd.Series) -> str:
        if pd.isna(row["estimate"]):
            return "undefined"
        return f"{row['estimate']:.4g} [{row['ci_low']:.4g}, {row['ci_high']:.4g}]"

    shown = frame.assign(cell=frame.apply(cell, axis=1))
    order = list(dict.fromkeys(frame["statistic"]))
    table = shown.pivot(index="scale", columns="statistic", values="cell")[order]
    n = frame.groupby("scale")["n"].max()
    table.insert(0, "n", n)
    table.insert(0, "scale", [f"{s:.4g}" for s in table.index])
    return table.to_string(index=False)


def _run_summary(args: argparse.Namespace) -> int:
    from distscale.summary import summary_curves

    pop, threshold, higher, source = _load_for_summary(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = summary_curves(
            pop,
            threshold=threshold,
            higher_is_better=higher,
            n_resamples=args.n_resamples,
            confidence_level=args.confidence_level,
            method=args.method,
            rng=args.rng,
            progress=not args.quiet and sys.stderr.isatty(),
        )
    notes = list(dict.fromkeys(str(w.message) for w in caught))
    frame = result.to_frame()
    if args.out:
        try:
            frame.to_csv(args.out, index=False)
        except OSError as err:
            raise _CLIError(f"cannot write --out {args.out!r}: {err.strerror or err}") from None
    if args.format == "csv":
        sys.stdout.write(frame.to_csv(index=False))
        return 0
    if not args.quiet:
        rule = "<" if not higher else ">"
        print(f"data: {source}")
        print(
            f"metric: {pop.metric}; success: {pop.metric} {rule} {threshold:g}; "
            f"{args.confidence_level:.0%} {args.method} CIs from {args.n_resamples} seed "
            f"resamples per scale (rng={args.rng}); mode = half-sample mode"
        )
        print()
    print(_readable_table(frame))
    if not args.quiet:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    return 0


def _run_train(args: argparse.Namespace) -> int:
    try:
        from distscale.train import Sweep, SweepError
    except ImportError as err:
        raise _CLIError(str(err)) from None
    if args.scheduler is not None and args.workers is not None:
        raise _CLIError("--scheduler and --workers exclude each other")
    sweep = Sweep.from_config(args.config, store=args.store)
    say = (lambda *a: None) if args.quiet else print
    say(f"sweep: {args.config}: {sweep.grid!r}")
    say(f"store: {sweep.store}")
    if not args.status:
        client = None
        if args.scheduler is not None:
            try:
                from distributed import Client
            except ImportError:
                raise _CLIError(
                    '--scheduler needs Dask: pip install "distscale[dask]"'
                ) from None
            try:
                client = Client(args.scheduler, timeout="30s")
            except OSError as err:
                raise _CLIError(
                    f"cannot connect to the Dask scheduler {args.scheduler!r}: {err}"
                ) from None
        try:
            result = sweep.run(
                client, workers=args.workers, progress=not args.quiet and sys.stderr.isatty()
            )
        except SweepError as err:
            raise _CLIError(str(err)) from None
        finally:
            if client is not None:
                client.close()
        say(f"trained {result.n_trained} run(s) now")
    status = sweep.status()
    if not args.quiet:
        print(status.to_frame().to_string(index=False))
        print(f"{status.n_done} of {status.n_runs} runs finished, {status.n_pending} pending")
    if args.out and not args.status:
        try:
            sweep.population().to_csv(args.out, index=False)
        except OSError as err:
            raise _CLIError(f"cannot write --out {args.out!r}: {err.strerror or err}") from None
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``distscale`` command line; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (_CLIError, ValueError, TypeError, FileNotFoundError, OSError) as err:
        if os.environ.get("DISTSCALE_DEBUG"):
            raise
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"distscale {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("distscale: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
