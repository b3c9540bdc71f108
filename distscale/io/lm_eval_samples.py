"""Reader for lm-evaluation-harness per-sample files (``--log_samples``).

:func:`read_lm_eval_samples` reads the ``samples_<task>_<date>.jsonl`` files
that lm-evaluation-harness writes with ``--log_samples`` into one tidy frame,
one row per file x filter x document: the model's response, the option
log-likelihoods of multiple-choice questions and every per-document metric.

The plain tidy per-sample format written by the trainer (:func:`read_samples`,
:func:`write_samples`) lives in :mod:`distscale.io.samples`. The reader is also
reachable as ``distscale.io.read_lm_eval_samples``; the format is described in
``docs/metrics-io.md``.
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from distscale._lib.validation import format_labels
from distscale.io.files import (
    check_encoding,
    check_tasks_found,
    expand_paths,
    json_records,
    path_extractor,
    scale_number,
    seed_label,
    task_filter,
)
from distscale.io.lm_eval_meta import (
    file_date,
    latest_tasks,
    results_beside,
    run_meta,
    source_extractor,
)
from distscale.io.lm_eval_records import (
    HIGHER_IS_BETTER,
    correct_index,
    metric_names,
    metric_values,
    options_of,
    parse_response,
)

__all__ = ["read_lm_eval_samples"]

# --------------------------------------------------------------------------- lm-eval samples

#: Columns of the frame returned by read_lm_eval_samples (metric columns follow).
_SAMPLE_COLUMNS = (
    "path",
    "task",
    "scale",
    "seed",
    "filter",
    "sample_id",
    "doc_hash",
    "response_type",
    "target",
    "correct",
    "response",
    "option_logliks",
    "option_is_greedy",
    "options",
    "doc",
)
_SAMPLES_NAME = re.compile(r"samples_(?P<task>.+)_(?P<date>[^_]+)\.jsonl")


def _task_from_name(path: Path) -> str:
    """Task of ``samples_<task>_<date>.jsonl``: between the first and the last underscore."""
    match = _SAMPLES_NAME.fullmatch(path.name)
    if match is None:
        raise ValueError(
            f"cannot tell the task of '{path.as_posix()}': lm-eval names per-sample files "
            "'samples_<task>_<date>.jsonl'; for other names (such as the "
            "'<model_args>_<task>.jsonl' files of lm-eval 0.4.0-0.4.2) pass `task`, a regex "
            "or a callable that gives the task from the path"
        )
    return match.group("task")


def _sample_files(paths: object) -> list[Path]:
    """Like io._expand_paths, but a directory yields its samples_*.jsonl files."""
    if isinstance(paths, (list, tuple)):
        if not paths:
            raise ValueError("`paths` is an empty list; give at least one file, directory or glob")
        items = list(paths)
    else:
        items = [paths]
    files: list[Path] = []
    for item in items:
        if isinstance(item, (str, os.PathLike)) and Path(os.fspath(item)).is_dir():
            folder = Path(os.fspath(item))
            found = sorted(
                (q for q in folder.rglob("samples_*.jsonl") if q.is_file()),
                key=lambda q: q.as_posix(),
            )
            if not found:
                raise ValueError(
                    f"the directory '{folder}' contains no samples_*.jsonl files (searched "
                    "recursively); lm-eval writes them only with --log_samples"
                )
            files.extend(found)
        else:
            files.extend(expand_paths(item))
    unique: dict[str, Path] = {}
    for f in files:
        unique.setdefault(f.as_posix(), f)
    return list(unique.values())


def _read_samples_file(
    path: Path, task: str, scale: float, seed: object, encoding: str = "utf-8"
) -> tuple[list[dict[str, Any]], dict[str, None]]:
    """Rows of one samples file and the metric names found (in file order)."""
    rows: list[dict[str, Any]] = []
    metrics: dict[str, None] = {}
    seen: dict[tuple[str, int], str] = {}
    records = json_records(path, encoding)
    if not records:
        raise ValueError(f"'{path.as_posix()}' holds no samples")
    filter_order: dict[str, int] = {}
    for where, record in records:
        if not isinstance(record, dict):
            raise ValueError(f"{where}: expected a JSON object; got {type(record).__name__}")
        for key in ("doc_id", "target", "filtered_resps"):
            if key not in record:
                raise ValueError(
                    f"{where}: the record has no {key!r} field, so it is not an lm-eval "
                    f"per-sample record (fields: {format_labels(list(record), limit=8)})"
                )
        doc_id = record["doc_id"]
        if isinstance(doc_id, bool) or not isinstance(doc_id, numbers.Integral):
            raise ValueError(f"{where}: 'doc_id' must be an integer; got {doc_id!r}")
        filt = record.get("filter", "none")
        if not isinstance(filt, str):
            raise ValueError(f"{where}: 'filter' must be a string; got {filt!r}")
        key = (filt, int(doc_id))
        if key in seen:
            raise ValueError(
                f"{where}: doc_id {doc_id} appears again for filter {filt!r} (first at "
                f"{seen[key].rpartition(', ')[2]}); files written by lm-eval before 0.4.3 "
                "have no 'filter' field and repeat every document once per filter"
            )
        seen[key] = where
        filter_order.setdefault(filt, len(filter_order))
        response = parse_response(record, where)
        if response["response_type"] == "loglikelihood":
            options = options_of(record.get("arguments"))
            n_options = len(response["option_logliks"])
            response["options"] = options if options and len(options) == n_options else None
        else:
            response["options"] = None
        row: dict[str, Any] = {
            "path": path.as_posix(),
            "task": task,
            "scale": scale,
            "seed": seed,
            "filter": filt,
            "sample_id": int(doc_id),
            "doc_hash": record.get("doc_hash"),
            "doc": record.get("doc"),
            "target": str(record["target"]),
            "correct": correct_index(record, response),
            **response,
        }
        for name in metric_names(record, where):
            if name in _SAMPLE_COLUMNS:
                raise ValueError(
                    f"{where}: the metric {name!r} has the name of a column of the output "
                    f"({', '.join(_SAMPLE_COLUMNS)}); rename it in the file"
                )
            for column, value in metric_values(name, record[name]).items():
                row[column] = value
                metrics.setdefault(column)
        rows.append(row)
    rows.sort(key=lambda r: (filter_order[r["filter"]], r["sample_id"]))
    return rows, metrics


def read_lm_eval_samples(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    scale: str | re.Pattern[str] | Callable[[Path], object] | float,
    seed: str | re.Pattern[str] | Callable[[Path], object] | None = None,
    tasks: Sequence[str] | str | re.Pattern[str] | Callable[[str], bool] | None = None,
    task: str | re.Pattern[str] | Callable[[Path], object] | None = None,
    encoding: str = "utf-8",
    match_on: str = "path",
    keep: str = "all",
) -> pd.DataFrame:
    """Read lm-evaluation-harness per-sample files (``--log_samples``) into one tidy frame.

    One row per file x filter x document. lm-evaluation-harness writes, next
    to ``results_<date>.json``, one ``samples_<task>_<date>.jsonl`` file per
    task: one JSON object per line and per (document, filter) with
    ``doc_id``, ``doc``, ``target`` (written as text), ``arguments`` (the
    requests), ``resps`` and ``filtered_resps`` (the model's answers, with
    numbers written as text), ``filter``, ``metrics`` (the names of the
    per-document metric fields), ``doc_hash``, ``prompt_hash``,
    ``target_hash`` and one field per metric (``acc``, ``acc_norm``,
    ``exact_match`` ...). Files of lm-eval 0.4.0-0.4.2 (one indented JSON
    array, numbers as numbers, no ``filter``/``metrics``/hash fields) are
    read too; there every field that is not part of the layout is a metric.

    The request type comes from ``arguments`` (a continuation string:
    ``loglikelihood``, as for multiple choice; a dict of generation
    settings: ``generate_until``; the text alone: ``loglikelihood_rolling``)
    or, without it, from the shape of ``filtered_resps``.

    Parameters
    ----------
    paths : path, glob string, or list of them
        A file; a directory (searched recursively for ``samples_*.jsonl``);
        a glob such as ``"out/**/samples_mmlu_*.jsonl"``; or a list of these.
    scale : regex str, callable, or number
        Each file's scale, as in :func:`distscale.io.read_lm_eval`: a regex
        searched in the POSIX path with a group named ``scale`` (or one
        group) whose text is read by :func:`~distscale.io.parse_size`
        (``"160m"`` -> ``1.6e8``), a callable of the path, or one number.
    seed : regex str or callable, optional
        Each file's seed, likewise (group ``seed``); integer text becomes an
        ``int``. Without it there is no ``seed`` column.
    tasks : list of str, regex str, or callable, optional
        Keep only these tasks (exact names, each of which must occur; a
        regex; or a predicate on the name). Default: all.
    task : regex str or callable, optional
        How to get the task from the path. By default it is the part of the
        file name between ``samples_`` and the last ``_``, the rule lm-eval
        itself uses (``samples_mmlu_anatomy_2024-06-01T10-15-42.118503.jsonl``
        -> ``mmlu_anatomy``); other names need this argument.
    encoding : str, default "utf-8"
        The files' text encoding (UTF-8 is read with or without a byte-order
        mark); bytes that are not text in it are an error naming the file
        and the line.

    Returns
    -------
    pandas.DataFrame
        Sorted by file, then filter (in file order), then ``sample_id``;
        columns:

        ``path``, ``task``, ``scale`` (float), ``seed`` (if given),
        ``filter`` (``"none"`` unless the task filters answers, e.g.
        ``"strict-match"``; files without the field give ``"none"``),
        ``sample_id`` (``doc_id``), ``doc_hash`` (when the files have it:
        the same document has the same hash in every run),
        ``response_type`` (``"loglikelihood"``, ``"generate_until"`` or
        ``"loglikelihood_rolling"``), ``target`` (text, as lm-eval writes
        it), ``correct`` (nullable int: the index of the correct option when
        there are several options and the target is an option index; else
        missing), ``response`` (the filtered generated text; a list when a
        document has several generations; None for log-likelihood
        requests), ``option_logliks`` (list of float: the log-likelihood of
        each option, or of the text for rolling requests; None for
        generations), ``option_is_greedy`` (list of bool, log-likelihood
        requests only), then one column per metric: float where every value
        is a number or a bool, else the values as stored (lm-eval keeps
        e.g. ``(reference, prediction)`` pairs for corpus metrics such as
        ``bleu``). A metric a task does not have is NaN (or None) in its
        rows. ``doc``, ``arguments``, raw ``resps`` and the prompt and
        target hashes are not kept.

    Raises
    ------
    FileNotFoundError
        If a named file or directory does not exist.
    ValueError
        If nothing matches a glob or directory; a line is not valid JSON,
        not an object, or lacks ``doc_id``, ``target`` or
        ``filtered_resps`` (the file and line are named); ``doc_id`` is not
        an integer or repeats within a file and filter; the responses have
        no known shape or a log-likelihood is not a number; a file is
        empty; the task, scale or seed cannot be read from a path; two
        files give the same task, filter, scale and seed; or a requested
        task is absent.
    TypeError
        If an argument has the wrong type.

    See Also
    --------
    distscale.io.read_lm_eval : the aggregated ``results_*.json`` files.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = pathlib.Path(tmp.name) / "EleutherAI__pythia-160m"
    >>> folder.mkdir()
    >>> line = {"doc_id": 0, "target": "1", "filter": "none", "metrics": ["acc"],
    ...         "arguments": {"gen_args_0": {"arg_0": "Q: 2+2?\\nA:", "arg_1": " 3"},
    ...                       "gen_args_1": {"arg_0": "Q: 2+2?\\nA:", "arg_1": " 4"}},
    ...         "resps": [[["-4.5", "False"]], [["-1.25", "True"]]],
    ...         "filtered_resps": [["-4.5", "False"], ["-1.25", "True"]], "acc": 1.0}
    >>> name = folder / "samples_arith_2024-06-01T10-15-42.118503.jsonl"
    >>> _ = name.write_text(json.dumps(line) + "\\n")
    >>> df = read_lm_eval_samples(folder, scale=r"pythia-([0-9]+m)")
    >>> df[["task", "scale", "sample_id", "correct", "option_logliks", "acc"]]
           task        scale  sample_id  correct option_logliks  acc
    0     arith  160000000.0          0        1  [-4.5, -1.25]  1.0
    >>> tmp.cleanup()
    """
    files = _sample_files(paths)
    scale_of, meta_scale = source_extractor("scale", scale, allow_constant=True,
                                            match_on=match_on)
    seed_of, meta_seed = (source_extractor("seed", seed, allow_constant=False, match_on=match_on)
                          if seed is not None else (None, False))
    task_of = path_extractor("task", task, allow_constant=False) if task is not None else None
    keep_task, task_names = task_filter(tasks)
    check_encoding(encoding)
    if keep not in ("all", "latest"):
        raise ValueError(f"`keep` must be 'all' or 'latest'; got {keep!r}")
    task_names_of = {p.as_posix(): str(task_of(p)) if task_of is not None else _task_from_name(p)
                     for p in files}
    kept = latest_tasks(files, lambda p: {task_names_of[p.as_posix()]}) \
        if keep == "latest" else None

    rows: list[dict[str, Any]] = []
    metrics: dict[str, None] = {}
    tasks_seen: set[str] = set()
    tasks_kept: set[str] = set()
    owner: dict[tuple[object, ...], str] = {}
    for path in files:
        name = task_names_of[path.as_posix()]
        tasks_seen.add(name)
        if not keep_task(name) or (kept is not None and name not in kept[path.as_posix()]):
            continue
        tasks_kept.add(name)
        doc = results_beside(path, encoding) if (meta_scale or meta_seed) else None
        meta = run_meta(doc) if doc is not None else None
        scale_value = scale_number(scale_of(path, meta), path)
        seed_value = seed_label(seed_of(path, meta)) if seed_of is not None else None
        file_rows, file_metrics = _read_samples_file(
            path, name, scale_value, seed_value, encoding
        )
        for filt in dict.fromkeys(r["filter"] for r in file_rows):
            key = (name, filt, scale_value, seed_value)
            if key in owner:
                raise ValueError(_same_run_message(owner[key], path, name, filt, scale_value,
                                                   seed_value, seed_of is not None))
            owner[key] = path.as_posix()
        rows.extend(file_rows)
        metrics.update(file_metrics)

    check_tasks_found(len(files), tasks, task_names, tasks_seen, tasks_kept)
    frame = _samples_frame(rows, list(metrics), with_seed=seed_of is not None)
    frame.attrs["higher_is_better"] = {m: HIGHER_IS_BETTER[m] for m in metrics
                                       if m in HIGHER_IS_BETTER}
    return frame


def _same_run_message(first: str, path: Path, task: str, filt: str, scale: float,
                      seed: object, with_seed: bool) -> str:
    """Why two files collide, and the way out that fits the case."""
    who = f"scale {scale:g}" + (f", seed {seed!r}" if with_seed else "")
    head = f"'{first}' and '{path.as_posix()}' both hold task {task!r} (filter {filt!r}) at {who}"
    if Path(first).parent == path.parent:
        dates = [file_date(Path(first)), file_date(path)]
        return (f"{head}: two runs written into the same folder (dates {dates[0]} and "
                f"{dates[1]}; e.g. the model evaluated again with --limit); pass keep='latest' "
                "to read the latest run only, or name the files to read")
    if with_seed:
        return (f"{head}: the `scale`/`seed` sources give the same values for two folders; "
                "make them match the part of the path that differs (or pass "
                "match_on='model_args', scale='model_num_parameters' or scale='revision')")
    return f"{head}; read one of them, or give `seed` (or a finer `scale`) to tell the runs apart"


def _samples_frame(
    rows: list[dict[str, Any]], metrics: list[str], *, with_seed: bool
) -> pd.DataFrame:
    columns: dict[str, Any] = {}
    for column in _SAMPLE_COLUMNS:
        values = [r[column] for r in rows]
        if column == "seed" and not with_seed:
            continue
        if column == "doc_hash" and all(v is None for v in values):
            continue
        if column == "scale":
            columns[column] = np.asarray(values, dtype=float)
        elif column == "correct":
            columns[column] = pd.array(values, dtype="Int64")
        elif column in ("doc", "response", "options", "option_logliks", "option_is_greedy"):
            columns[column] = pd.Series(values, dtype=object)
        elif column == "sample_id":
            columns[column] = np.asarray(values, dtype=np.int64)
        else:
            columns[column] = values
    for metric in metrics:
        values = [r.get(metric) for r in rows]
        if all(v is None or isinstance(v, float) for v in values):
            columns[metric] = np.asarray([np.nan if v is None else v for v in values])
        else:
            columns[metric] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns)
