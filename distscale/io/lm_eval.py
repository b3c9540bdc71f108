"""Read lm-evaluation-harness result JSON files into one tidy DataFrame.

:func:`read_lm_eval` reads the older layout and the current ``lm-eval >= 0.4``
layout: one row per file x task x metric (x filter).
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from distscale._lib.validation import format_labels
from distscale.io.files import (
    check_encoding,
    check_tasks_found,
    decode_text,
    expand_paths,
    scale_number,
    seed_label,
    task_filter,
)
from distscale.io.lm_eval_meta import (
    file_date,
    latest_tasks,
    n_samples,
    run_meta,
    source_extractor,
)

__all__ = ["read_lm_eval"]

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


class _RepeatedKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        raise _RepeatedKey(next(key for key, n in counts.items() if n > 1))
    return out


def _load_results_json(path: Path, encoding: str) -> dict[str, Any]:
    text = decode_text(path.read_bytes(), path, encoding)
    try:
        doc = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise ValueError(f"'{path.as_posix()}' is not valid JSON: {err}") from err
    except _RepeatedKey as err:
        raise ValueError(
            f"'{path.as_posix()}' gives the key {err.args[0]!r} twice in one object; JSON "
            "readers keep only the last value, so the file is ambiguous"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        keys = list(doc)[:8] if isinstance(doc, dict) else type(doc).__name__
        raise ValueError(
            f"'{path.as_posix()}' has no \"results\" mapping, so it is not an "
            f"lm-evaluation-harness results file (top level: {keys})"
        )
    return doc


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


def read_lm_eval(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    scale: str | re.Pattern[str] | Callable[[Path], object] | float,
    seed: str | re.Pattern[str] | Callable[[Path], object] | None = None,
    tasks: Sequence[str] | str | re.Pattern[str] | Callable[[str], bool] | None = None,
    metrics: Sequence[str] | str | None = ("acc",),
    encoding: str = "utf-8",
    match_on: str = "path",
    keep: str = "all",
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
        label. A number is used for every file. Two names read the run's
        own record instead: ``"model_num_parameters"`` (the harness's
        ``config.model_num_parameters``, the exact parameter count) and
        ``"revision"`` (the number in ``revision=`` of ``model_args``, as
        143000 in ``revision=step143000``; checkpoints of one model are
        written to the same folder, so the path cannot tell them apart).

        The harness names a model's folder after the whole
        ``pretrained=`` value with ``/`` replaced by ``__``, so a local
        model ``/tmp/models/tiny-39k-seed0`` lands in
        ``__tmp__models__tiny-39k-seed0/``: match the last part of the name
        (``r"tiny-(?P<scale>[0-9]+k)-seed"``), not the whole path.
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
    encoding : str, default "utf-8"
        The files' text encoding (UTF-8 is read with or without a byte-order
        mark); bytes that are not text in it are an error naming the file
        and the line.
    match_on : {"path", "model_args"}, default "path"
        Where the ``scale`` and ``seed`` regexes are searched: the file's
        path, or the run's ``config.model_args`` text (e.g.
        ``pretrained=/models/tiny-39k-seed0,revision=step100``), which
        also works when ``--output_path some/file.json`` wrote every run
        into one flat folder.
    keep : {"all", "latest"}, default "all"
        ``"latest"``: when a folder holds several runs of a task (the model
        was evaluated again, e.g. with ``--limit 10``), keep only the run
        with the latest date in its file name. With ``"all"`` such reruns
        give one row each, told apart by ``date``, ``n_samples`` and
        ``limit``.

    Returns
    -------
    pandas.DataFrame
        Columns ``path`` (POSIX string as found), ``scale`` (float),
        ``seed`` (if ``seed`` is given), ``task``, ``is_group`` (True for
        lm-eval >= 0.4 group aggregates such as ``"mmlu"``), ``metric``,
        ``filter`` (``"none"`` for unfiltered metrics; the older layout has
        no filters, so always ``"none"`` there), ``value``, ``stderr``, and
        ``num_fewshot`` and ``model_args`` when any file records them,
        then ``higher_is_better`` (nullable bool: the file's own
        ``higher_is_better`` entry for the task and metric; also in
        ``frame.attrs["higher_is_better"]`` as ``{metric: bool}`` where the
        files agree, which :func:`distscale.compare_metrics` uses),
        ``n_samples`` (documents evaluated, ``n-samples``' ``effective``),
        ``limit`` (``config.limit``), ``num_parameters``
        (``config.model_num_parameters``) and ``date`` (the date in the
        file name), each when some file records it.
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
    files = expand_paths(paths)
    scale_of, _ = source_extractor("scale", scale, allow_constant=True, match_on=match_on)
    seed_of = (source_extractor("seed", seed, allow_constant=False, match_on=match_on)[0]
               if seed is not None else None)
    keep_task, task_names = task_filter(tasks)
    wanted_metrics = _check_metrics(metrics)
    check_encoding(encoding)
    if keep not in ("all", "latest"):
        raise ValueError(f"`keep` must be 'all' or 'latest'; got {keep!r}")
    docs = {path.as_posix(): _load_results_json(path, encoding) for path in files}
    kept = latest_tasks(files, lambda p: set(docs[p.as_posix()]["results"])) \
        if keep == "latest" else None

    rows: list[dict[str, Any]] = []
    tasks_seen: set[str] = set()
    tasks_kept: set[str] = set()
    metrics_seen: set[str] = set()
    for path in files:
        doc = docs[path.as_posix()]
        meta = run_meta(doc)
        scale_value = scale_number(scale_of(path, meta), path)
        seed_value = seed_label(seed_of(path, meta)) if seed_of is not None else None
        model_args = meta["model_args"]
        directions = doc.get("higher_is_better")
        directions = directions if isinstance(directions, dict) else {}
        date = file_date(path)
        group_subtasks = doc.get("group_subtasks")
        group_subtasks = group_subtasks if isinstance(group_subtasks, dict) else {}
        groups = doc.get("groups") if isinstance(doc.get("groups"), dict) else {}
        entries = [(t, e) for t, e in doc["results"].items() if isinstance(e, dict)]
        if doc["results"] and not entries:
            raise ValueError(
                f"'{path.as_posix()}': \"results\" holds no task entries (each should map "
                "metric names to values, as {\"arc_easy\": {\"acc\": 0.43}})"
            )
        for task, entry in entries:
            tasks_seen.add(task)
            if not keep_task(task) or (kept is not None and task not in kept[path.as_posix()]):
                continue
            tasks_kept.add(task)
            is_group = bool(group_subtasks.get(task)) or task in groups
            n_shot = _num_fewshot(doc, task)
            task_hib = directions.get(task) if isinstance(directions.get(task), dict) else {}
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
                    higher_is_better=task_hib.get(metric)
                    if isinstance(task_hib.get(metric), bool) else None,
                    n_samples=n_samples(doc, task),
                    limit=meta["limit"],
                    num_parameters=meta["num_parameters"],
                    date=date,
                )
                rows.append(row)

    check_tasks_found(len(files), tasks, task_names, tasks_seen, tasks_kept)
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
    for column, dtype in (("model_args", None), ("higher_is_better", "boolean"),
                          ("n_samples", "Int64"), ("limit", "float64"),
                          ("num_parameters", "Int64"), ("date", None)):
        if frame[column].isna().all():
            frame = frame.drop(columns=column)
        elif dtype is not None:
            frame[column] = frame[column].astype(dtype)
    if "higher_is_better" in frame:
        known = frame.dropna(subset=["higher_is_better"])
        agreed = known.groupby("metric")["higher_is_better"].agg(lambda v: set(v.tolist()))
        frame.attrs["higher_is_better"] = {m: bool(next(iter(v))) for m, v in agreed.items()
                                           if len(v) == 1}
    return frame
