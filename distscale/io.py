"""Readers: population tables from CSV/Parquet and tidy results from lm-evaluation-harness.

* :func:`read_population` reads one CSV, TSV or Parquet file into a
  validated :class:`~distscale.Population`.
* :func:`read_lm_eval` reads lm-evaluation-harness result JSON files (the
  older layout and the current ``lm-eval >= 0.4`` layout) into one tidy
  DataFrame, one row per file x task x metric (x filter).
* :func:`parse_size` turns model-size labels such as ``"160m"`` or
  ``"1.4b"`` into numbers of parameters.
"""

from __future__ import annotations

import glob
import json
import math
import numbers
import os
import re
from collections.abc import Callable, Hashable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from distscale._validation import format_labels
from distscale.population import Population

__all__ = ["parse_size", "read_lm_eval", "read_population"]

# --------------------------------------------------------------------------- sizes

_SIZE_PATTERN = re.compile(
    r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\s*([kKmMbBtT]?)\s*"
)
_SIZE_EXPONENT = {"": 0, "k": 3, "m": 6, "b": 9, "t": 12}


def parse_size(size: str | float) -> float:
    """Convert a model-size label to a number: ``"1.4b"`` -> ``1.4e9``.

    The suffixes are ``k`` (thousand), ``m`` (million), ``b`` (billion) and
    ``t`` (trillion), in either case; a label without suffix is a plain
    number. The conversion is exact in decimal (``"1.4b"`` gives exactly
    ``1400000000.0``, not ``1.4 * 1e9``).

    Note that model names are rounded: Pythia "160m" has 162,322,944
    parameters. Use exact counts where you know them (the bundled Pythia
    datasets do).

    Parameters
    ----------
    size : str or number
        A label such as ``"160m"``, ``"1.4B"``, ``"70M"``, ``"12k"``,
        ``"2e3"``; a number is returned as a float.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``size`` is neither a string nor a real number.
    ValueError
        If the string is not a number with an optional k/m/b/t suffix, or
        the result is not finite.

    Examples
    --------
    >>> parse_size("1.4b")
    1400000000.0
    >>> parse_size("160m"), parse_size("70M"), parse_size("12k"), parse_size("2t")
    (160000000.0, 70000000.0, 12000.0, 2000000000000.0)
    >>> parse_size("350")
    350.0
    """
    if isinstance(size, bool) or not isinstance(size, (str, numbers.Real)):
        raise TypeError(
            f"`size` must be a string like '1.4b' or a number; got {type(size).__name__}"
        )
    if isinstance(size, numbers.Real):
        value = float(size)
    else:
        match = _SIZE_PATTERN.fullmatch(size)
        if match is None:
            raise ValueError(
                f"cannot read {size!r} as a model size: expected a number with an optional "
                "suffix k, m, b or t (for example '160m', '1.4b', '70M')"
            )
        mantissa, exponent, suffix = match.groups()
        try:
            number = Decimal(mantissa).scaleb(int(exponent or 0) + _SIZE_EXPONENT[suffix.lower()])
            value = float(number)
        except (InvalidOperation, OverflowError):  # pragma: no cover - absurd exponents
            value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"model size {size!r} is not a finite number")
    return value


# --------------------------------------------------------------------------- paths


def _as_path(path: object, argument: str) -> Path:
    if isinstance(path, (str, os.PathLike)):
        return Path(os.fspath(path))
    raise TypeError(f"`{argument}` must be a path (str or os.PathLike); got {type(path).__name__}")


def _check_file(path: object, argument: str = "path") -> Path:
    p = _as_path(path, argument)
    if not p.exists():
        raise FileNotFoundError(f"no such file: '{p}'")
    if p.is_dir():
        raise ValueError(f"'{p}' is a directory; `{argument}` must name one file")
    return p


# --------------------------------------------------------------------------- read_population

_FORMATS = ("csv", "tsv", "parquet")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")


def _format_from_extension(path: Path) -> str:
    name = path.name.lower()
    compressed = name.endswith(_COMPRESSIONS)
    if compressed:
        name = name[: name.rindex(".")]
    for extension, fmt in _EXTENSIONS.items():
        if name.endswith(extension) and not (compressed and fmt == "parquet"):
            return fmt
    raise ValueError(
        f"cannot tell the format of '{path}' from its extension; known extensions are "
        ".csv and .tsv (optionally compressed: .gz, .bz2, .xz, .zip, .zst), .parquet and .pq; "
        "pass format='csv', 'tsv' or 'parquet'"
    )


def _read_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (ValueError, OSError, UnicodeDecodeError)
    try:  # pyarrow is a dependency, but keep the reader usable without it
        import pyarrow

        errors += (pyarrow.ArrowException,)
    except ImportError:  # pragma: no cover
        pass
    return errors


def read_population(
    path: str | os.PathLike[str],
    *,
    scale: Hashable,
    seed: Hashable,
    value: Hashable | Sequence[Hashable],
    task: Hashable | None = None,
    dropna: bool = False,
    format: str | None = None,
    **read_kwargs: Any,
) -> Population:
    """Read a CSV, TSV or Parquet file into a validated :class:`~distscale.Population`.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Its format comes from the extension: ``.csv`` and
        ``.tsv`` (also compressed, e.g. ``.csv.gz``), ``.parquet`` or ``.pq``.
    scale, seed, value, task, dropna
        Column names and NaN policy, as for :class:`~distscale.Population`.
    format : {"csv", "tsv", "parquet"}, optional
        Overrides the format implied by the extension.
    **read_kwargs
        Passed to :func:`pandas.read_csv` or :func:`pandas.read_parquet`
        (for example ``sep=";"`` or ``columns=[...]``).

    Returns
    -------
    Population

    Raises
    ------
    FileNotFoundError
        If the file does not exist (the message names it).
    ValueError
        If the extension is unknown and ``format`` is not given, ``format``
        is not one of the three, the file cannot be parsed in that format
        (one message naming the file and the parser's complaint), or the
        table fails :class:`~distscale.Population` validation (missing
        columns, NaN, duplicate runs ...; the message is prefixed with the
        file name).
    TypeError
        If ``path`` is not a path, or a scale/metric column is not numeric.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(tmp.name) / "runs.csv"
    >>> pd.DataFrame({"depth": [1, 1, 2, 2], "seed": [0, 1, 0, 1],
    ...               "acc": [0.1, 0.2, 0.7, 0.9]}).to_csv(path, index=False)
    >>> read_population(path, scale="depth", seed="seed", value="acc")
    Population(4 runs, 2 scales, 2 seeds per scale, metrics=['acc'])
    >>> tmp.cleanup()
    """
    p = _check_file(path)
    if format is None:
        fmt = _format_from_extension(p)
    elif isinstance(format, str) and format.lower() in _FORMATS:
        fmt = format.lower()
    else:
        raise ValueError(
            f"`format` must be one of {', '.join(repr(f) for f in _FORMATS)} or None; "
            f"got {format!r}"
        )
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(p, **read_kwargs)
        else:
            kwargs = dict(read_kwargs)
            if "sep" not in kwargs and "delimiter" not in kwargs:
                kwargs["sep"] = "\t" if fmt == "tsv" else ","
            frame = pd.read_csv(p, **kwargs)
    except _read_errors() as err:
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"could not read '{p}' as {fmt}: {detail}") from err
    try:
        return Population(frame, scale=scale, seed=seed, value=value, task=task, dropna=dropna)
    except ValueError as err:
        raise ValueError(f"'{p}': {err}") from err
    except TypeError as err:
        raise TypeError(f"'{p}': {err}") from err


# --------------------------------------------------------------------------- read_lm_eval

_GLOB_CHARS = frozenset("*?[")


def _expand_paths(paths: object) -> list[Path]:
    """Files named by a path, a directory (recursive *.json), a glob, or a list of them."""
    if isinstance(paths, (str, os.PathLike)):
        items = [paths]
    elif isinstance(paths, (list, tuple)):
        if not paths:
            raise ValueError("`paths` is an empty list; give at least one file, directory or glob")
        items = list(paths)
    else:
        raise TypeError(
            "`paths` must be a path, a directory, a glob string, or a list of them; "
            f"got {type(paths).__name__}"
        )
    files: list[Path] = []
    for item in items:
        text = os.fspath(_as_path(item, "paths"))
        if isinstance(item, str) and _GLOB_CHARS.intersection(text) and not Path(text).exists():
            matched = sorted(
                (Path(m) for m in glob.glob(text, recursive=True) if Path(m).is_file()),
                key=lambda q: q.as_posix(),
            )
            if not matched:
                raise ValueError(f"the glob {text!r} matched no files")
            files.extend(matched)
            continue
        p = Path(text)
        if p.is_dir():
            matched = sorted(
                (q for q in p.rglob("*.json") if q.is_file()), key=lambda q: q.as_posix()
            )
            if not matched:
                raise ValueError(
                    f"the directory '{p}' contains no *.json files (searched recursively)"
                )
            files.extend(matched)
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"no such file or directory: '{p}'")
    unique: dict[str, Path] = {}
    for f in files:
        unique.setdefault(f.as_posix(), f)
    return list(unique.values())


def _path_extractor(name: str, spec: object, *, allow_constant: bool) -> Callable[[Path], object]:
    """A function path -> value from a regex (named/only group), a callable or a constant."""
    if isinstance(spec, (str, re.Pattern)):
        try:
            pattern = re.compile(spec)
        except re.error as err:
            raise ValueError(f"`{name}` is not a valid regular expression: {err}") from err
        if name in pattern.groupindex:
            group: int | str = name
        elif pattern.groups == 1:
            group = 1
        else:
            raise ValueError(
                f"`{name}` regex {pattern.pattern!r} must have a group named {name!r} "
                f"(?P<{name}>...) or exactly one group; it has {pattern.groups}"
            )

        def extract(path: Path) -> object:
            text = path.as_posix()
            match = pattern.search(text)
            if match is None or match.group(group) is None:
                raise ValueError(
                    f"`{name}` regex {pattern.pattern!r} does not match the path {text!r}"
                )
            return match.group(group)

        return extract
    if callable(spec):

        def call(path: Path) -> object:
            return spec(path)

        return call
    if allow_constant and isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        return lambda path: spec
    kinds = (
        "a regex string, a callable path -> value, or a number"
        if allow_constant
        else "a regex string or a callable path -> value"
    )
    raise TypeError(f"`{name}` must be {kinds}; got {type(spec).__name__}")


def _scale_value(raw: object, path: Path) -> float:
    try:
        return parse_size(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise ValueError(f"scale of '{path.as_posix()}': {err}") from err


def _seed_value(raw: object) -> object:
    if isinstance(raw, str) and re.fullmatch(r"[+-]?[0-9]+", raw.strip()):
        return int(raw)
    return raw


def _task_filter(tasks: object) -> tuple[Callable[[str], bool], list[str] | None]:
    """Return (predicate, exact names or None)."""
    if tasks is None:
        return (lambda task: True), None
    if isinstance(tasks, (str, re.Pattern)):
        try:
            pattern = re.compile(tasks)
        except re.error as err:
            raise ValueError(f"`tasks` is not a valid regular expression: {err}") from err
        return (lambda task: pattern.search(task) is not None), None
    if isinstance(tasks, (list, tuple, set, frozenset)):
        names = list(tasks)
        if not names:
            raise ValueError("`tasks` is empty; give task names, a regex, a callable, or None")
        bad = [t for t in names if not isinstance(t, str)]
        if bad:
            raise TypeError(f"`tasks` names must be strings; got {bad[:3]!r}")
        wanted = set(names)
        return (lambda task: task in wanted), names
    if callable(tasks):
        return (lambda task: bool(tasks(task))), None
    raise TypeError(
        "`tasks` must be None, a list of task names, a regex string or a callable; "
        f"got {type(tasks).__name__}"
    )


def _check_metrics(metrics: object) -> tuple[str, ...] | None:
    if metrics is None:
        return None
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not isinstance(metrics, (list, tuple, set, frozenset)):
        raise TypeError(
            f"`metrics` must be a tuple of metric names or None; got {type(metrics).__name__}"
        )
    names = tuple(metrics)
    if not names:
        raise ValueError("`metrics` is empty; name at least one metric (or pass None for all)")
    bad = [m for m in names if not isinstance(m, str)]
    if bad:
        raise TypeError(f"`metrics` names must be strings; got {bad[:3]!r}")
    return tuple(dict.fromkeys(names))


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _stderr(x: object) -> float:
    return float(x) if _is_number(x) else math.nan


def _metric_entries(entry: dict[str, Any]) -> Iterator[tuple[str, str, float, float]]:
    """(metric, filter, value, stderr) for one task entry of a results mapping."""
    if any("," in key for key in entry):  # lm-eval >= 0.4: "metric,filter" keys
        for key, value in entry.items():
            if "," not in key or not _is_number(value):
                continue  # "alias", "sample_len", "name", non-numeric values
            metric, _, filt = key.partition(",")
            if metric.endswith("_stderr"):
                continue
            yield metric, filt, float(value), _stderr(entry.get(f"{metric}_stderr,{filt}"))
    else:  # older layout: "metric" and "metric_stderr"
        for key, value in entry.items():
            if key.endswith("_stderr") or not _is_number(value):
                continue
            yield key, "none", float(value), _stderr(entry.get(f"{key}_stderr"))


def _load_results_json(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            doc = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"'{path.as_posix()}' is not valid JSON: {err}") from err
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        keys = list(doc)[:8] if isinstance(doc, dict) else type(doc).__name__
        raise ValueError(
            f"'{path.as_posix()}' has no \"results\" mapping, so it is not an "
            f"lm-evaluation-harness results file (top level: {keys})"
        )
    return doc


def _model_args_text(model_args: object) -> str | None:
    if model_args is None:
        return None
    if isinstance(model_args, dict):
        return ",".join(f"{k}={v}" for k, v in model_args.items())
    return str(model_args)


def _num_fewshot(doc: dict[str, Any], task: str) -> object:
    n_shot = doc.get("n-shot")
    if isinstance(n_shot, dict) and _is_number(n_shot.get(task)):
        return int(n_shot[task])
    configs = doc.get("configs")
    if isinstance(configs, dict) and isinstance(configs.get(task), dict):
        n = configs[task].get("num_fewshot")
        if _is_number(n):
            return int(n)
    config = doc.get("config")
    if isinstance(config, dict) and _is_number(config.get("num_fewshot")):
        return int(config["num_fewshot"])
    return None


def _check_tasks_found(
    n_files: int, tasks: object, task_names: list[str] | None, tasks_seen: set[str],
    tasks_kept: object,
) -> None:
    """Every task named in ``tasks`` was seen, and ``tasks`` kept at least one."""
    where = f"any of the {n_files} file{'s' * (n_files != 1)}"
    if task_names is not None:
        missing = [t for t in task_names if t not in tasks_seen]
        if missing:
            raise ValueError(
                f"task{'s' * (len(missing) > 1)} {format_labels(missing)} not found in {where}; "
                f"tasks present include {format_labels(sorted(tasks_seen), limit=8)}"
            )
    if not tasks_kept:
        raise ValueError(
            f"no task in {where} matches `tasks`={tasks!r}; "
            f"tasks present include {format_labels(sorted(tasks_seen), limit=8)}"
        )


def read_lm_eval(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    scale: str | re.Pattern[str] | Callable[[Path], object] | float,
    seed: str | re.Pattern[str] | Callable[[Path], object] | None = None,
    tasks: Sequence[str] | str | re.Pattern[str] | Callable[[str], bool] | None = None,
    metrics: Sequence[str] | str | None = ("acc",),
) -> pd.DataFrame:
    """Read lm-evaluation-harness result JSON files into one tidy table.

    One row per file x task x metric (x filter). Both layouts are read:

    * the older harness (``{"results": {task: {"acc": v, "acc_stderr": s}}}``,
      with ``config.num_fewshot``), as in the Pythia evaluation files;
    * ``lm-eval >= 0.4`` (keys ``"acc,none"`` and ``"acc_stderr,none"``,
      where the part after the comma is the filter, plus ``"alias"`` keys,
      group entries, ``"n-shot"``, ``"configs"`` and ``"group_subtasks"``).

    Non-numeric entries (``"alias"``, ``"sample_len"``, a stderr of
    ``"N/A"``) are not metrics and give no rows.

    Parameters
    ----------
    paths : path, glob string, or list of them
        A file; a directory (searched recursively for ``*.json``); a glob
        string such as ``"runs/**/results_*.json"`` (``**`` recurses); or a
        list mixing these. Every file found must be a results file.
    scale : regex str, callable, or number
        How to get each file's scale. A regex is applied with
        :func:`re.search` to the path as a POSIX string and must have a
        group named ``scale`` or exactly one group; the captured text is
        read with :func:`parse_size` (``"160m"`` -> ``1.6e8``). A callable
        gets the :class:`pathlib.Path` and returns a number or a size
        label. A number is used for every file.
    seed : regex str or callable, optional
        How to get each file's seed, as for ``scale`` (group named
        ``seed``). Captured text that is an integer becomes an ``int``.
        Without it there is no ``seed`` column.
    tasks : list of str, regex str, or callable, optional
        Keep only these tasks: exact names (each must occur in some file),
        a regex matched with :func:`re.search`, or a predicate on the task
        name. Default: all tasks.
    metrics : tuple of str or None, default ("acc",)
        Metric names to keep (the part before the comma in the new layout,
        e.g. ``"acc_norm"``, ``"exact_match"``); each must occur in some
        file. None keeps every metric.

    Returns
    -------
    pandas.DataFrame
        Columns ``path`` (POSIX string as found), ``scale`` (float),
        ``seed`` (if ``seed`` is given), ``task``, ``is_group`` (True for
        lm-eval >= 0.4 group aggregates such as ``"mmlu"``), ``metric``,
        ``filter`` (``"none"`` for unfiltered metrics; the older layout has
        no filters, so always ``"none"`` there), ``value``, ``stderr``, and
        ``num_fewshot`` and ``model_args`` when any file records them.
        ``stderr`` is NaN only where the file gives none for that metric
        (no ``*_stderr`` key, or a non-number such as ``"N/A"``).

    Raises
    ------
    FileNotFoundError
        If a named file or directory does not exist.
    ValueError
        If a glob or directory matches no files; a file is not valid JSON
        or has no ``"results"`` mapping; a ``scale``/``seed`` regex does
        not match a path (the path is named) or its text is not a size; a
        requested task or metric is absent from every file (the metrics
        present are listed); or no rows are left.
    TypeError
        If an argument has the wrong type.

    See Also
    --------
    parse_size : the size labels accepted for ``scale``.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = pathlib.Path(tmp.name)
    >>> runs = {("70m", 1): 0.25, ("70m", 2): 0.27, ("160m", 1): 0.31, ("160m", 2): 0.45}
    >>> for (size, seed), acc in runs.items():
    ...     doc = {"results": {"arc_easy": {"alias": "arc_easy", "acc,none": acc,
    ...                                     "acc_stderr,none": 0.01}},
    ...            "n-shot": {"arc_easy": 0}}
    ...     path = folder / f"pythia-{size}-seed{seed}" / "results.json"
    ...     path.parent.mkdir()
    ...     _ = path.write_text(json.dumps(doc))
    >>> df = read_lm_eval(folder, scale=r"pythia-(?P<scale>[0-9.]+[mb])", seed=r"seed([0-9]+)")
    >>> df[["scale", "seed", "task", "metric", "filter", "value", "stderr", "num_fewshot"]]
             scale  seed      task metric filter  value  stderr  num_fewshot
    0  160000000.0     1  arc_easy    acc   none   0.31    0.01            0
    1  160000000.0     2  arc_easy    acc   none   0.45    0.01            0
    2   70000000.0     1  arc_easy    acc   none   0.25    0.01            0
    3   70000000.0     2  arc_easy    acc   none   0.27    0.01            0

    With one task and one metric, the table is a population:

    >>> from distscale import Population
    >>> Population(df, scale="scale", seed="seed", value="value")
    Population(4 runs, 2 scales, 2 seeds per scale, metrics=['value'])
    >>> tmp.cleanup()
    """
    files = _expand_paths(paths)
    scale_of = _path_extractor("scale", scale, allow_constant=True)
    seed_of = _path_extractor("seed", seed, allow_constant=False) if seed is not None else None
    keep_task, task_names = _task_filter(tasks)
    wanted_metrics = _check_metrics(metrics)

    rows: list[dict[str, Any]] = []
    tasks_seen: set[str] = set()
    tasks_kept: set[str] = set()
    metrics_seen: set[str] = set()
    for path in files:
        scale_value = _scale_value(scale_of(path), path)
        seed_value = _seed_value(seed_of(path)) if seed_of is not None else None
        doc = _load_results_json(path)
        config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
        model_args = _model_args_text(config.get("model_args"))
        group_subtasks = doc.get("group_subtasks")
        group_subtasks = group_subtasks if isinstance(group_subtasks, dict) else {}
        groups = doc.get("groups") if isinstance(doc.get("groups"), dict) else {}
        for task, entry in doc["results"].items():
            if not isinstance(entry, dict):
                continue
            tasks_seen.add(task)
            if not keep_task(task):
                continue
            tasks_kept.add(task)
            is_group = bool(group_subtasks.get(task)) or task in groups
            n_shot = _num_fewshot(doc, task)
            for metric, filt, value, stderr in _metric_entries(entry):
                metrics_seen.add(metric)
                if wanted_metrics is not None and metric not in wanted_metrics:
                    continue
                row: dict[str, Any] = {"path": path.as_posix(), "scale": scale_value}
                if seed_of is not None:
                    row["seed"] = seed_value
                row.update(
                    task=task,
                    is_group=is_group,
                    metric=metric,
                    filter=filt,
                    value=value,
                    stderr=stderr,
                    num_fewshot=n_shot,
                    model_args=model_args,
                )
                rows.append(row)

    _check_tasks_found(len(files), tasks, task_names, tasks_seen, tasks_kept)
    where = f"any of the {len(files)} file{'s' * (len(files) != 1)}"
    if not metrics_seen:
        raise ValueError(f"the selected tasks in {where} have no numeric metrics")
    if wanted_metrics is not None:
        missing = [m for m in wanted_metrics if m not in metrics_seen]
        if missing:
            raise ValueError(
                f"metric{'s' * (len(missing) > 1)} {format_labels(missing)} not found in {where}"
                f"{'' if tasks is None else ' (for the selected tasks)'}; metrics present: "
                f"{format_labels(sorted(metrics_seen), limit=20)}"
            )

    frame = pd.DataFrame(rows)
    frame["scale"] = frame["scale"].astype(float)
    frame["is_group"] = frame["is_group"].astype(bool)
    if frame["num_fewshot"].isna().all():
        frame = frame.drop(columns="num_fewshot")
    else:
        frame["num_fewshot"] = frame["num_fewshot"].astype("Int64")
    if frame["model_args"].isna().all():
        frame = frame.drop(columns="model_args")
    return frame


# Per-sample readers live in lm_eval_samples and samples_io (which use the helpers above),
# re-exported here.
from distscale.lm_eval_samples import read_lm_eval_samples  # noqa: E402, F401
from distscale.samples_io import read_samples, write_samples  # noqa: E402, F401
