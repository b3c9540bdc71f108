"""Paths, file formats and names shared by the readers of :mod:`distscale.io`.

* :func:`parse_size` turns model-size labels such as ``"160m"`` or ``"1.4b"``
  into numbers of parameters.
* The path checks, the table formats known by extension, the errors a
  reader turns into one clear message, glob expansion of many result files,
  and the extraction of a scale or seed from a file's path.
"""

from __future__ import annotations

import codecs
import glob
import json
import math
import numbers
import os
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from distscale._lib.errors import MalformedFileError
from distscale._lib.validation import format_labels

__all__ = ["parse_size"]

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


def as_path(path: object, argument: str) -> Path:
    if isinstance(path, (str, os.PathLike)):
        return Path(os.fspath(path))
    raise TypeError(f"`{argument}` must be a path (str or os.PathLike); got {type(path).__name__}")


def check_file(path: object, argument: str = "path") -> Path:
    p = as_path(path, argument)
    if not p.exists():
        raise FileNotFoundError(f"no such file: '{p}'")
    if p.is_dir():
        raise ValueError(f"'{p}' is a directory; `{argument}` must name one file")
    return p


# --------------------------------------------------------------------------- text encodings

#: Byte-order marks of other encodings, and the first bytes of binary files a
#: text reader may be handed, to say what a file is when it does not decode.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_MAGIC = (
    (b"PAR1", "a Parquet file (pass format='parquet')"),
    (b"\x1f\x8b", "gzip-compressed (name it .gz, or pass compression='gzip')"),
    (b"PK\x03\x04", "a zip archive (name it .zip, or pass compression='zip')"),
    (b"BZh", "bzip2-compressed (name it .bz2, or pass compression='bz2')"),
    (b"\xfd7zXZ", "xz-compressed (name it .xz, or pass compression='xz')"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed (name it .zst, or pass compression='zstd')"),
)


def check_encoding(encoding: object) -> str:
    """The codec to decode text with: ``encoding`` checked, UTF-8 as ``utf-8-sig``.

    ``utf-8-sig`` reads UTF-8 with or without a byte-order mark, so a BOM
    never ends up in the first column's name.
    """
    if not isinstance(encoding, str):
        raise TypeError(f"`encoding` must be a codec name such as 'utf-8'; got {encoding!r}")
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(
            f"`encoding` {encoding!r} is not a known text encoding (for example 'utf-8', "
            "'latin-1', 'cp1252', 'utf-16')"
        ) from None
    return "utf-8-sig" if name == "utf-8" else encoding


def encoding_error(
    path: Path, encoding: str, line: int | None, err: UnicodeDecodeError, head: bytes = b""
) -> MalformedFileError:
    """One clear error for bytes that are not text in ``encoding`` (``line`` 1-based)."""
    where = f"'{path.as_posix()}'" + (f", line {line}" if line is not None else "")
    bad = err.object[err.start : err.start + 1] if isinstance(err.object, bytes) else b""
    byte = f"byte 0x{bad.hex()}: " if bad else ""
    declared = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    binary = next((what for magic, what in _MAGIC if head.startswith(magic)), None)
    if declared:
        advice = f"it starts with a {declared.upper()} byte-order mark: pass encoding={declared!r}"
    elif binary:
        advice = f"it is not text but {binary}"
    else:
        advice = "pass `encoding=` with the file's encoding, e.g. encoding='latin-1' or 'cp1252'"
    return MalformedFileError(
        f"{where}: not valid {encoding} text ({byte}{err.reason}); {advice}",
        path=path.as_posix(),
        kind="encoding",
        lines=() if line is None else (line,),
    )


def decode_text(data: bytes, path: Path, encoding: str) -> str:
    """``data`` decoded with ``encoding`` (as given by the user), or one clear error."""
    try:
        return data.decode(check_encoding(encoding))
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise encoding_error(path, encoding, line, err, data[:4]) from err


# --------------------------------------------------------------------------- read_population

FORMATS = ("csv", "tsv", "parquet")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")


def format_from_extension(path: Path) -> str:
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


def read_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (ValueError, OSError, UnicodeDecodeError)
    try:  # pyarrow is a dependency, but keep the reader usable without it
        import pyarrow

        errors += (pyarrow.ArrowException,)
    except ImportError:  # pragma: no cover
        pass
    return errors


# --------------------------------------------------------------------------- read_lm_eval

_GLOB_CHARS = frozenset("*?[")


def expand_paths(paths: object) -> list[Path]:
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
        text = os.fspath(as_path(item, "paths"))
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


def path_extractor(name: str, spec: object, *, allow_constant: bool) -> Callable[[Path], object]:
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


def scale_number(raw: object, path: Path) -> float:
    try:
        return parse_size(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise ValueError(f"scale of '{path.as_posix()}': {err}") from err


def seed_label(raw: object) -> object:
    if isinstance(raw, str) and re.fullmatch(r"[+-]?[0-9]+", raw.strip()):
        return int(raw)
    return raw


def task_filter(tasks: object) -> tuple[Callable[[str], bool], list[str] | None]:
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


def check_tasks_found(
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


# --------------------------------------------------------------------------- JSON records
# Shared with distscale.io.lm_eval_samples (lm-eval's per-sample files are JSON records too).


def json_records(path: Path, encoding: str = "utf-8") -> list[tuple[str, Any]]:
    """(location, record) pairs of a JSON Lines file, or of a file holding one JSON array.

    Locations read ``"'file', line 7"`` (JSON Lines) or ``"'file', record 3"``
    (array, counted from 0). Blank lines are skipped. The text is decoded
    with ``encoding`` (UTF-8 with or without a byte-order mark by default).
    """
    text = decode_text(path.read_bytes(), path, encoding)
    name = path.as_posix()
    if text.lstrip().startswith("["):  # lm-eval 0.4.0-0.4.2 wrote one indented JSON array
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"'{name}' is not valid JSON: {err}") from err
        if not isinstance(doc, list):  # pragma: no cover - "[" always opens a list
            raise ValueError(f"'{name}' does not hold a JSON array")
        return [(f"'{name}', record {i}", rec) for i, rec in enumerate(doc)]
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((f"'{name}', line {number}", json.loads(line)))
        except json.JSONDecodeError as err:
            raise ValueError(f"'{name}', line {number}: not valid JSON ({err})") from err
    return records


# --------------------------------------------------------------------------- plain samples
