"""What an lm-evaluation-harness run says about itself, shared by its two readers.

A run writes ``results_<date>.json`` (or ``<stem>_<date>.json`` with
``--output_path some/file.json``) and, with ``--log_samples``,
``samples_<task>_<date>.jsonl`` beside it, all with the same ``<date>``.
The results file records the model (``config.model_args``, e.g.
``pretrained=/models/tiny-39k-seed0,revision=step1000``), its parameter count
(``config.model_num_parameters``), ``config.limit``, the documents evaluated
per task (``n-samples``) and each metric's direction (``higher_is_better``).

Here: the date of a file from its name, the run metadata of a results
document, the results file of a samples file, scale and seed *sources*
(a regex searched in the path or in ``model_args``, a callable, a number, or
the names ``"model_num_parameters"`` and ``"revision"``) and the rule that
keeps only the latest run of a model folder.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from distscale.io.files import decode_text, path_extractor

__all__ = ["SCALE_SOURCES", "file_date", "latest_tasks", "results_beside", "run_meta",
           "source_extractor"]

#: Scale sources read from the results file rather than from the path.
SCALE_SOURCES = ("model_num_parameters", "revision")
#: Where a scale/seed regex is searched.
MATCH_ON = ("path", "model_args")
_DATE = re.compile(r"_(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}(?:\.[0-9]+)?)"
                   r"\.jsonl?$")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def file_date(path: Path) -> str | None:
    """The run's date id in a file name (``results_2024-06-01T10-15-42.118503.json``)."""
    match = _DATE.search(path.name)
    return match.group("date") if match else None


def _model_args_text(model_args: object) -> str | None:
    if model_args is None:
        return None
    if isinstance(model_args, dict):
        return ",".join(f"{k}={v}" for k, v in model_args.items())
    return str(model_args)


def _arg(text: str | None, key: str) -> str | None:
    if not text:
        return None
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if sep and name.strip() == key:
            return value.strip()
    return None


def run_meta(doc: dict[str, Any]) -> dict[str, Any]:
    """``model_args`` (text), ``num_parameters``, ``revision``, ``limit`` of a results document."""
    config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
    text = _model_args_text(config.get("model_args"))
    n_params = config.get("model_num_parameters")
    ok = isinstance(n_params, numbers.Real) and not isinstance(n_params, bool) and n_params > 0
    revision = _arg(text, "revision")
    limit = config.get("limit")
    return {
        "model_args": text,
        "num_parameters": int(n_params) if ok else None,
        "revision": revision,
        "limit": float(limit) if isinstance(limit, numbers.Real)
        and not isinstance(limit, bool) else None,
    }


def n_samples(doc: dict[str, Any], task: str) -> int | None:
    """Documents evaluated for ``task`` (``n-samples``' ``effective``), if recorded."""
    entry = doc.get("n-samples")
    entry = entry.get(task) if isinstance(entry, dict) else None
    if isinstance(entry, dict) and isinstance(entry.get("effective"), numbers.Integral):
        return int(entry["effective"])
    return None


_RESULTS_CACHE: dict[str, dict[str, Any]] = {}


def results_beside(path: Path, encoding: str = "utf-8") -> dict[str, Any] | None:
    """The results document written by the same run as the samples file ``path`` (or None)."""
    date = file_date(path)
    if date is None:
        return None
    found = sorted(q for q in path.parent.glob(f"*_{date}.json") if q.is_file())
    if len(found) != 1:
        return None
    key = found[0].as_posix()
    if key not in _RESULTS_CACHE:
        try:
            doc = json.loads(decode_text(found[0].read_bytes(), found[0], encoding))
        except (ValueError, OSError):
            return None
        _RESULTS_CACHE.clear()  # one run at a time: keep the cache small
        _RESULTS_CACHE[key] = doc if isinstance(doc, dict) else {}
    return _RESULTS_CACHE[key]


def _revision_number(revision: str | None, where: str) -> float:
    if revision is None:
        raise ValueError(f"{where}: `model_args` names no revision= (scale='revision' reads "
                         "the number in it, as 143000 in 'step143000')")
    match = _NUMBER.search(revision)
    if match is None:
        raise ValueError(f"{where}: the revision {revision!r} holds no number for the scale")
    return float(match.group())


def source_extractor(
    name: str, spec: object, *, allow_constant: bool, match_on: str
) -> tuple[Callable[[Path, dict[str, Any] | None], object], bool]:
    """``(extract(path, meta), needs_meta)`` for a scale or seed source.

    ``meta`` is :func:`run_meta` of the run's results document (None when
    there is none). Regexes are searched in the POSIX path
    (``match_on="path"``) or in the run's ``model_args`` text
    (``match_on="model_args"``).
    """
    if match_on not in MATCH_ON:
        raise ValueError(f"`match_on` must be 'path' or 'model_args'; got {match_on!r}")
    if isinstance(spec, str) and spec in SCALE_SOURCES:
        if name != "scale":
            raise ValueError(f"{spec!r} is a scale source; `{name}` must be a regex or a callable")

        def from_meta(path: Path, meta: dict[str, Any] | None) -> object:
            where = f"'{path.as_posix()}'"
            if meta is None:
                raise ValueError(f"{where}: scale={spec!r} is read from the run's results file, "
                                 "and none was found beside it (same date in the name)")
            if spec == "model_num_parameters":
                if meta["num_parameters"] is None:
                    raise ValueError(f"{where}: the results file records no "
                                     "config.model_num_parameters")
                return float(meta["num_parameters"])
            return _revision_number(meta["revision"], where)

        return from_meta, True
    base = path_extractor(name, spec, allow_constant=allow_constant)
    if match_on == "path" or not isinstance(spec, (str, re.Pattern)):
        return (lambda path, meta: base(path)), False

    def from_args(path: Path, meta: dict[str, Any] | None) -> object:
        text = None if meta is None else meta["model_args"]
        if text is None:
            raise ValueError(f"'{path.as_posix()}': match_on='model_args' needs the run's "
                             "config.model_args, and none was found")
        try:
            return base(Path(text))
        except ValueError as err:
            raise ValueError(f"{err} (model_args of '{path.as_posix()}')") from None

    return from_args, True


def latest_tasks(files: list[Path], tasks_of: Callable[[Path], set[str]]) -> dict[str, set[str]]:
    """``path -> tasks to keep``: per folder and task, only the latest run's file (by date).

    A model folder evaluated twice (a rerun, e.g. with ``--limit``) holds two
    files per task; the one with the later date in its name wins.
    """
    best: dict[tuple[str, str], tuple[str, str]] = {}
    for path in files:
        date = file_date(path) or ""
        for task in tasks_of(path):
            key = (path.parent.as_posix(), task)
            if key not in best or date > best[key][0]:
                best[key] = (date, path.as_posix())
    keep: dict[str, set[str]] = {p.as_posix(): set() for p in files}
    for (_, task), (_, path) in best.items():
        keep[path].add(task)
    return keep


def finite_or_nan(x: object) -> float:
    return float(x) if isinstance(x, numbers.Real) and math.isfinite(float(x)) else math.nan
