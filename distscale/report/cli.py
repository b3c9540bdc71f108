"""``distscale report PATH --task COL``: one report per task and an index page.

The command line's half of :func:`~distscale.report.multi.make_reports`:
reading PATH with its task column, the per-task thresholds of
``--threshold TASK=VALUE,...``, and one line of output. Errors are raised as
:class:`ValueError` with the option named, for ``distscale`` to print as one
line (exit status 2).
"""

from __future__ import annotations

import argparse

from distscale._lib.validation import parse_number

__all__ = ["run_reports", "task_thresholds"]


def task_thresholds(text: str) -> dict[str, float] | float:
    """``0.5`` or ``pong=0,breakout=10``: one threshold, or one per task label.

    Examples
    --------
    >>> task_thresholds("0.5"), task_thresholds("pong=0, breakout=10")
    (0.5, {'pong': 0.0, 'breakout': 10.0})
    """
    if "=" not in text:
        return parse_number(text, "--threshold")
    out: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--threshold: {part!r} is not TASK=VALUE")
        if name.strip() in out:
            raise ValueError(f"--threshold gives task {name.strip()!r} twice")
        out[name.strip()] = parse_number(value.strip(), "--threshold")
    return out


def run_reports(args: argparse.Namespace, *, bounds, resamples: int, seed_rng: int) -> int:
    """Run ``distscale report PATH --task COL`` (the parsed ``args``); returns 0."""
    from distscale._lib.outputs import OutputPathError
    from distscale.io import read_population
    from distscale.report.multi import make_reports

    if args.path is None:
        raise ValueError("--task needs PATH (the bundled population has one task)")
    missing = [f"--{n}" for n in ("scale", "seed", "value", "threshold") if not getattr(args, n)]
    if missing:
        raise ValueError(f"with PATH, these options are required: {', '.join(missing)}")
    threshold = task_thresholds(args.threshold)
    try:
        pop = read_population(args.path, scale=args.scale, seed=args.seed, value=args.value,
                              task=args.task, encoding=args.encoding)
    except FileNotFoundError:
        raise ValueError(f"PATH {args.path!r}: no such file") from None
    if isinstance(threshold, dict):  # task labels are read as text from the command line
        labels = {str(t): t for t in pop.tasks}
        unknown = [t for t in threshold if t not in labels]
        if unknown:
            raise ValueError(f"--threshold names tasks not in column {args.task!r}: "
                             f"{', '.join(unknown[:5])}")
        threshold = {labels[t]: v for t, v in threshold.items()}
    try:
        out = make_reports(
            pop, threshold=threshold, higher_is_better=not args.lower_is_better,
            bounds="auto" if bounds is None else tuple(bounds), out_dir=args.out,
            n_resamples=resamples, rng=seed_rng, progress=not args.quiet,
            overwrite=args.overwrite, inputs=[args.path],
        )
    except OutputPathError as err:
        raise ValueError(str(err).replace("`out_dir`", "--out").replace(
            "overwrite=True (distscale report --overwrite)", "--overwrite")) from None
    if not args.quiet:
        print(f"wrote {out.index}: {len(out.reports)} task reports"
              + (f", {len(out.failures)} not made" if out.failures else ""))
    return 0
