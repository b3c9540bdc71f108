"""The ``distscale`` command.

``distscale summary [PATH] --scale COL --seed COL --value COL --threshold T``
prints the paper's summary curves (mode, mean, median, P(success), mean of
successful and of failed runs, with seed-bootstrap CIs) per scale. With no
PATH it runs on the bundled PolyPythias population (final checkpoint).

``distscale train CONFIG.toml --store runs.sqlite [--scheduler ADDRESS]
[--workers N]`` runs (or resumes) the training sweep described by a TOML
file (see ``examples/count_sweep.toml`` and ``docs/training.md``); needs the
``torch`` extra, and ``dask`` for ``--scheduler``.
An LM population config (a ``[population]`` table, ``docs/lm.md``) runs the
same way.

``distscale report [PATH] --scale COL --seed COL --value COL --threshold T
[--bounds LO HI] [--lower-is-better] [--out DIR]`` runs every analysis and
writes a self-contained HTML page with figures and tables (see
:func:`distscale.make_report` and ``docs/report.md``). With no PATH it
runs on the bundled count-task population.

``distscale predict [PATH] --scale COL --seed COL --value COL --threshold T
--at SCALE [--best-of K] [--bounds LO HI]`` fits a distributional scaling
law to every scale and prints the predicted seed distribution at ``SCALE``
(P(success), mean, quantiles; and of the best of ``K`` seeds) with
seed-bootstrap intervals (see :class:`distscale.DistributionalScalingLaw`
and ``docs/law.md``). With no PATH it runs on the bundled count-task
population.

Errors are printed as one readable line on stderr with exit status 2; set
the environment variable ``DISTSCALE_DEBUG=1`` to see the full traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from distscale._lib.errors import ColumnNotFoundError, ColumnTypeError
from distscale._lib.outputs import OutputPathError, check_output_path
from distscale._lib.success_rule import rule_symbol
from distscale._lib.validation import parse_number
from distscale.law.cli import add_predict_command

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


def _add_population_arguments(command: argparse.ArgumentParser) -> None:
    """PATH, the column options and --lower-is-better, shared by `summary` and `report`."""
    command.add_argument(
        "path", nargs="?", help="CSV, TSV or Parquet file, one row per run (optional)"
    )
    command.add_argument("--scale", help="scale column (numeric)")
    command.add_argument("--seed", help="seed column")
    command.add_argument("--value", help="metric column")
    command.add_argument(
        "--lower-is-better",
        action="store_true",
        help="success means metric < threshold (losses); default is metric > threshold",
    )
    command.add_argument(
        "--encoding", default="utf-8", help="text encoding of a CSV/TSV PATH (default utf-8)"
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="distscale",
        description="Distributional scaling analysis of seed populations.",
    )
    from distscale._lib.version import __version__

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
    _add_population_arguments(summary)
    summary.add_argument("--task", help="task column: one table per task (or --select-task)")
    summary.add_argument("--select-task", help="analyse only this task")
    summary.add_argument(
        "--threshold", type=float, help="a run succeeds when its metric is beyond this value"
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
        "--overwrite", action="store_true", help="replace an existing --out file"
    )
    summary.add_argument(
        "--quiet", action="store_true", help="no progress bar and no header lines"
    )
    summary.set_defaults(func=_run_summary)

    train = sub.add_parser(
        "train",
        help="run or resume a training sweep (needs the torch extra)",
        description=(
            "Train every (setting, seed) run of the sweep in CONFIG (TOML; see "
            "examples/count_sweep.toml, or an LM seed population with a [population] table: "
            "examples/configs/lm_synthetic.toml, docs/lm.md) that the SQLite store does not "
            "hold yet, on local "
            "worker processes or a Dask scheduler. Rerun the same command to resume; several "
            "commands may work one store at once (units are leased in the store)."
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
    train.add_argument(
        "--lease", type=float, metavar="SECONDS",
        help="how long a claim on a unit lasts without renewal (default 600); several "
        "drivers may share one store",
    )
    train.add_argument(
        "--retries", type=int, metavar="N",
        help="retries of a unit whose worker process died (default 2)",
    )
    train.add_argument(
        "--journal", choices=("wal", "delete"),
        help="set the store's journal mode: wal (default for a new store; one machine) or "
        "delete (drivers on several machines sharing a file system)",
    )
    train.add_argument(
        "--repair", action="store_true",
        help="copy every intact run of a damaged store into a fresh file (the damaged one "
        "is kept as STORE.damaged-TIME); trains nothing",
    )
    train.set_defaults(func=_run_train)

    report = sub.add_parser(
        "report",
        help="run every analysis and write an HTML report with figures and tables",
        description=(
            "Run the summary curves, modality scan, success curve, per-seed emergence, "
            "trend, inverse-scaling and distribution-shift analyses on one population and "
            "write DIR/report.html (self-contained), DIR/figures/*.png|svg and "
            "DIR/tables/*.csv. With no PATH, runs on the bundled count-task population "
            "(its own columns, threshold and bounds; the options override them)."
        ),
    )
    _add_population_arguments(report)
    # numbers are parsed by _run_report, so that a bad one gives one readable line
    report.add_argument(
        "--threshold",
        help="a run succeeds when its metric is beyond this value; with --task, one value "
        "for all tasks or TASK=VALUE,TASK=VALUE,... (one per task)",
    )
    report.add_argument(
        "--task",
        help="task column: one report per task in OUT/<task>/ and an index page OUT/index.html",
    )
    report.add_argument(
        "--bounds", nargs=2, metavar=("LO", "HI"),
        help="range of the metric, e.g. 0 1 (default: point masses where runs pile up)"
    )
    report.add_argument(
        "--out", default="distscale-report", help="output folder (default distscale-report)"
    )
    report.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier report in --out (only the files it wrote are removed)",
    )
    report.add_argument("--title", help="page title")
    report.add_argument(
        "--resamples",
        "--n-resamples",
        dest="resamples",
        default="1000",
        help="seed-bootstrap resamples per confidence interval (default 1000)",
    )
    report.add_argument(
        "--seed-rng",
        "--rng",
        dest="seed_rng",
        default="0",
        help="random seed; the same seed gives the same report (default 0)",
    )
    report.add_argument("--quiet", action="store_true", help="no progress lines")
    report.set_defaults(func=_run_report)

    add_predict_command(sub)
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
        encoding=args.encoding,
    )
    if args.task is not None:
        if args.select_task is None:  # every task: a table per task
            return pop, args.threshold, not args.lower_is_better, args.path
        labels = {str(t): t for t in pop.tasks}
        if args.select_task not in labels:
            raise _CLIError(f"--select-task {args.select_task!r} is not one of {list(labels)}")
        pop = pop.select(task=labels[args.select_task])
    elif args.select_task is not None:
        raise _CLIError("--select-task needs --task")
    return pop, args.threshold, not args.lower_is_better, args.path


def _run_summary(args: argparse.Namespace) -> int:
    from distscale.describe.summary import summary_curves
    from distscale.report.summaries import export_table, readable_table

    out = None
    if args.out:
        out = check_output_path(args.out, argument="--out",
                                inputs=[("PATH", args.path)] if args.path else [])
        if out.exists() and not args.overwrite:
            raise _CLIError(f"--out {args.out!r} exists; pass --overwrite to replace it")
    pop, threshold, higher, source = _load_for_summary(args)
    if args.path is not None and args.task is not None and args.select_task is None:
        from distscale.report.summaries import run_task_summaries

        return run_task_summaries(args, pop, threshold=threshold, higher_is_better=higher,
                                  source=source, out=out)
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
    if export_table(frame, out, as_csv=args.format == "csv"):
        return 0
    if not args.quiet:
        rule = rule_symbol(higher)
        print(f"data: {source}")
        print(
            f"metric: {pop.metric}; success: {pop.metric} {rule} {threshold:g}; "
            f"{args.confidence_level:.0%} {args.method} CIs from {args.n_resamples} seed "
            f"resamples per scale (rng={args.rng}); mode = half-sample mode"
        )
        print()
    print(readable_table(frame))
    if not args.quiet:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    return 0


def _run_train(args: argparse.Namespace) -> int:
    try:
        from distscale.train import RunStore, Sweep, SweepError
    except ImportError as err:
        raise _CLIError(str(err)) from None
    from distscale._lib import outputs

    if args.scheduler is not None and args.workers is not None:
        raise _CLIError("--scheduler and --workers exclude each other")
    if args.repair and (args.status or args.out):
        raise _CLIError("--repair only repairs the store; run --status or --out afterwards")
    if args.lease is not None and not args.lease > 0:
        raise _CLIError(f"--lease must be a positive number of seconds; got {args.lease}")
    if args.retries is not None and args.retries < 0:
        raise _CLIError(f"--retries must be at least 0; got {args.retries}")
    out = None
    if args.out:  # before any training: never overwrite the store or the configuration
        try:
            out = outputs.check_output_path(
                args.out, argument="--out",
                inputs=[("the store", args.store), ("the sweep configuration", args.config)])
        except outputs.OutputPathError as err:
            raise _CLIError(str(err)) from None
    say = (lambda *a: None) if args.quiet else print
    if args.repair:
        say(RunStore.repair(args.store).summary)
    sweep = Sweep.from_config(args.config, store=args.store, journal=args.journal)
    say(f"sweep: {args.config}: {sweep.grid!r}")
    say(f"store: {sweep.store}")
    if not args.status and not args.repair:
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
        options = {k: v for k, v in (("lease", args.lease), ("retries", args.retries))
                   if v is not None}
        try:
            result = sweep.run(
                client, workers=args.workers, progress=not args.quiet and sys.stderr.isatty(),
                **options,
            )
        except SweepError as err:
            if not args.quiet and err.status is not None:
                _train_report(err.status)
            raise _CLIError(str(err)) from None
        finally:
            if client is not None:
                client.close()
        say(f"trained {result.n_trained} run(s) now")
        if result.requeued:
            say(f"found {len(result.requeued)} run(s) with missing result rows in the store: "
                "removed and trained again")
    status = sweep.status()
    if not args.quiet:
        _train_report(status)
    if out is not None and not args.status:
        table = sweep.population()
        try:
            outputs.atomic_write(out, lambda f: table.to_csv(f, index=False))
        except OSError as err:
            raise _CLIError(f"cannot write --out {args.out!r}: {err.strerror or err}") from None
    return 0


def _train_report(status) -> None:
    print(status.to_frame().to_string(index=False))
    print(f"{status.n_done} of {status.n_runs} runs finished, {status.n_pending} pending")
    for note in status.notes():
        print(note)


def _number(option: str, text: str) -> float:
    try:
        return parse_number(text, option)
    except ValueError as err:
        raise _CLIError(str(err)) from None


def _whole(option: str, text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _CLIError(f"{option} must be a whole number; got {text!r}") from None
    if value < minimum:
        raise _CLIError(f"{option} must be at least {minimum}; got {value}")
    return value


def _load_for_report(args: argparse.Namespace) -> tuple[object, dict, str]:
    """The population and the settings that the options do not give."""
    if args.path is None:
        from distscale import datasets

        defaults = dict(datasets.COUNT_POPULATION_DEFAULTS)
        frame = datasets.load_count_population(as_frame=True)
        columns = {n: getattr(args, n) or defaults[n] for n in ("scale", "seed", "value")}
        same_metric = columns["value"] == defaults["value"]
        if not same_metric and args.threshold is None:
            raise _CLIError(
                f"--value {args.value} is not the bundled default {defaults['value']!r}: "
                "give --threshold (and --bounds / --lower-is-better as the metric needs)"
            )
        settings = {
            "threshold": defaults["threshold"] if args.threshold is None else None,
            "bounds": defaults.get("bounds") if same_metric and args.bounds is None else None,
            "higher_is_better": defaults.get("higher_is_better", True) if same_metric else True,
        }
        source = defaults.get("description", "bundled count-task population")
        pop = _population(frame, columns, "the bundled count population")
        return pop, settings, str(source)

    missing = [f"--{n}" for n in ("scale", "seed", "value", "threshold") if not getattr(args, n)]
    if missing:
        raise _CLIError(f"with PATH, these options are required: {', '.join(missing)}")
    from distscale.io import read_population

    try:
        pop = read_population(args.path, scale=args.scale, seed=args.seed, value=args.value,
                              encoding=args.encoding)
    except FileNotFoundError:
        raise _CLIError(f"PATH {args.path!r}: no such file") from None
    except (ValueError, TypeError) as err:
        raise _CLIError(_file_error(args.path, err)) from None
    settings = {"threshold": None, "bounds": None, "higher_is_better": True}
    return pop, settings, str(args.path)


def _population(frame: pd.DataFrame, columns: dict, what: str) -> object:
    from distscale.population import Population

    try:
        return Population(frame, **columns)
    except (ValueError, TypeError) as err:
        raise _CLIError(f"{what}: {_first_line(err)}") from None


def _file_error(path: str, err: BaseException) -> str:
    """A reader/validation error as one line that names PATH, and the option of a column."""
    if isinstance(err, ColumnNotFoundError):
        return (
            f"--{err.argument} {err.column!r}: no such column in PATH {path!r}; "
            f"available columns: {err.available}"
        )
    message = _first_line(err)
    for own in (f"'{path}', ", f"'{path}': ", f"'{Path(path)}', ", f"'{Path(path)}': "):
        if message.startswith(own):  # the reader names the file itself
            message = message[len(own) :]
            break
    if isinstance(err, ColumnTypeError):
        return f"--{err.argument.split('[')[0]} {err.column!r} in PATH {path!r}: {message}"
    return f"PATH {path!r}: {message}"


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _run_report(args: argparse.Namespace) -> int:
    from distscale.report.build import make_report

    # check the numbers before reading any data
    threshold = None
    if args.threshold is not None and "=" not in args.threshold:
        threshold = _number("--threshold", args.threshold)
    bounds = None
    if args.bounds is not None:
        lo, hi = (_number("--bounds", b) for b in args.bounds)
        if not lo < hi:
            raise _CLIError(f"--bounds LO HI needs LO < HI; got {lo:g} {hi:g}")
        bounds = (lo, hi)
    resamples = _whole("--resamples", args.resamples, 2)
    seed_rng = _whole("--seed-rng", args.seed_rng, 0)
    if args.task is not None:
        from distscale.report.cli import run_reports

        return run_reports(args, bounds=bounds, resamples=resamples, seed_rng=seed_rng)
    if args.threshold is not None and "=" in args.threshold:
        raise _CLIError("--threshold TASK=VALUE needs --task (the column of the task labels)")

    pop, defaults, source = _load_for_report(args)
    if threshold is None:
        threshold = defaults["threshold"]
    if bounds is None:
        bounds = defaults["bounds"]
    higher = defaults["higher_is_better"] and not args.lower_is_better
    try:
        report = make_report(
            pop,
            threshold=threshold,
            bounds="auto" if bounds is None else tuple(bounds),
            higher_is_better=higher,
            out_dir=args.out,
            title=args.title,
            source=source,
            n_resamples=resamples,
            rng=seed_rng,
            progress=not args.quiet,
            overwrite=args.overwrite,
            inputs=[args.path] if args.path else [],
        )
    except OutputPathError as err:
        raise _CLIError(str(err).replace("`out_dir`", "--out").replace(
            "overwrite=True (distscale report --overwrite)", "--overwrite")) from None
    except OSError as err:
        raise _CLIError(f"cannot write --out {args.out!r}: {err.strerror or err}") from None
    except ValueError as err:
        if "bounds" in str(err):
            raise _CLIError(f"--bounds: {_first_line(err)}") from None
        raise
    if not args.quiet:
        for line in report.summary:
            print(f"- {line}")
        print(
            f"wrote {report.html} ({len(report.figures)} figure files, {len(report.tables)} "
            f"tables) in {report.seconds:.1f} s"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``distscale`` command line; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (_CLIError, ValueError, TypeError, FileNotFoundError, OSError, ImportError) as err:
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
