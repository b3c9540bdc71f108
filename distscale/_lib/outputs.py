"""Writing files without ever losing a user's data.

Every file distscale writes goes through :func:`atomic_write`: the content is
written to a temporary file in the same folder, flushed to disk, and renamed
over the target in one step (``os.replace``), so a reader never sees half a
file and a crash leaves the old file intact. :func:`check_output_path`
refuses an output path that is (or resolves to, through links or ``..``) one
of the inputs or a store, with a clear error naming both.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["OutputPathError", "atomic_path", "atomic_write", "check_output_path", "same_file"]


class OutputPathError(ValueError):
    """An output path that would overwrite an input or a store, or cannot be written.

    ``argument`` names the option or argument that gave the output path.

    Examples
    --------
    >>> err = OutputPathError("out", "`out` 'runs.csv' is the input file 'runs.csv'")
    >>> err.argument
    'out'
    """

    def __init__(self, argument: str, message: str) -> None:
        self.argument = argument
        super().__init__(message)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name the same file (existing files by inode; else by resolved path).

    Examples
    --------
    >>> same_file("a/../b.csv", "b.csv")
    True
    """
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    except OSError:
        pass
    return pa.resolve(strict=False) == pb.resolve(strict=False)


def check_output_path(
    path: str | os.PathLike,
    *,
    argument: str,
    inputs: Iterable[tuple[str, str | os.PathLike]] = (),
) -> Path:
    """Refuse an output path that names one of the ``inputs``; return it as a Path.

    Parameters
    ----------
    path : path
        Where the output goes.
    argument : str
        The option or argument that gave it, for the message (``"--out"``).
    inputs : iterable of (str, path)
        ``(what, path)`` pairs the output must not be: ``("the input file",
        "runs.csv")``, ``("the store", "runs.sqlite")``.

    Raises
    ------
    OutputPathError
        When ``path`` is one of the inputs, or is an existing folder.

    Examples
    --------
    >>> check_output_path("table.csv", argument="--out", inputs=[("the input", "runs.csv")])
    PosixPath('table.csv')
    >>> check_output_path("runs.csv", argument="--out", inputs=[("the input", "runs.csv")])
    Traceback (most recent call last):
    distscale._lib.outputs.OutputPathError: --out 'runs.csv' is the input ('runs.csv'); ...
    """
    out = Path(path)
    for what, other in inputs:
        if other is not None and same_file(out, other):
            raise OutputPathError(
                argument,
                f"{argument} '{out}' is {what} ('{other}'); writing there would destroy it: "
                "choose another path",
            )
    if out.is_dir():
        raise OutputPathError(argument, f"{argument} '{out}' is a folder; give a file name")
    return out


def _default_mode() -> int:
    """The permissions ``open()`` would give a new file: 0o666 less the umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _readable_temp(folder: Path, name: str) -> tuple[int, str]:
    """A temporary file beside the target with a new file's usual permissions.

    ``tempfile.mkstemp`` makes files readable by their owner only (0o600);
    renamed over the target, the output would then be unreadable by the
    group and others although a plain ``open(path, "w")`` would have made it
    readable.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    with contextlib.suppress(OSError):
        os.chmod(tmp, _default_mode())
    return fd, tmp


def atomic_write(
    path: str | os.PathLike,
    write: Callable[[IO[Any]], None],
    *,
    mode: str = "w",
    encoding: str | None = "utf-8",
) -> Path:
    """Write a file atomically: ``write(handle)`` fills a temporary file that replaces ``path``.

    The temporary file lives in the target's folder (so the final rename is
    atomic on every POSIX file system), is flushed and synced before the
    rename, and is removed if ``write`` fails -- the old file, if any, is
    then untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = atomic_write(pathlib.Path(tmp) / "x.txt", lambda f: f.write("hello"))
    ...     p.read_text()
    'hello'
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    binary = "b" in mode
    fd, tmp = _readable_temp(folder, target.name)
    try:
        with open(fd, mode, encoding=None if binary else encoding,
                  newline=None if binary else "") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` for writers that need a file name; renamed on success."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = _readable_temp(folder, target.name)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
