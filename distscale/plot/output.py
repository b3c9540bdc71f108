"""Showing figures where there is a screen, saving them where there is none.

An example or a script ends with ``plt.show()``; on a machine without a
display (a server, CI, a container) matplotlib falls back to its Agg backend,
``plt.show()`` does nothing and the figure is lost. :func:`show_or_save`
shows the figures when the backend can, and otherwise writes each open
figure to a PNG file, so the same script works on a laptop and over SSH.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

from distscale._lib.outputs import OutputPathError, atomic_path
from distscale._lib.validation import check_bool, check_int

__all__ = ["show_or_save"]

# Backends that draw into a file or a buffer, never into a window.
_NON_INTERACTIVE = {"agg", "pdf", "ps", "svg", "pgf", "cairo", "template"}


def _is_interactive_backend() -> bool:
    name = matplotlib.get_backend().lower()
    if name.startswith("module://"):
        return "inline" in name or "ipympl" in name or "widget" in name
    return name not in _NON_INTERACTIVE


def show_or_save(
    stem: str, *, directory: str | os.PathLike = ".", dpi: int = 150, overwrite: bool = False
) -> list[Path]:
    """Show the open figures, or save them as PNG files where nothing can be shown.

    With an interactive backend (a window, a notebook) this is ``plt.show()``
    and nothing is written. With a non-interactive one (Agg on a headless
    machine) every open figure is written to ``directory/STEM.png`` (one
    figure) or ``directory/STEM-1.png``, ``STEM-2.png`` ... (several), each
    file atomically, and the paths are printed. Inside a sphinx-gallery build,
    which captures the figures itself, nothing is written.

    Parameters
    ----------
    stem : str
        File name without extension, e.g. the script's name; no folder
        separators.
    directory : path, default "."
        An existing folder to write into.
    dpi : int, default 150
        Resolution of the PNG files.
    overwrite : bool, default False
        Replace files of those names that are already there. Without it an
        existing file is an error and nothing is written.

    Returns
    -------
    list of pathlib.Path
        The files written (empty when the figures were shown, or when there
        was no open figure).

    Raises
    ------
    TypeError, ValueError
        ``stem`` not a non-empty file name, ``directory`` not an existing
        folder, or ``dpi`` not a positive integer.
    OutputPathError
        A file to be written exists and ``overwrite`` is False.

    Examples
    --------
    >>> import tempfile
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from distscale.plot.output import show_or_save
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([1, 2, 3])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = show_or_save("curve", directory=tmp)  # doctest: +ELLIPSIS
    ...     [p.name for p in paths]
    saved ...curve.png
    ['curve.png']
    >>> plt.close("all")
    """
    if not isinstance(stem, str) or not stem or stem in {".", ".."}:
        raise TypeError(f"`stem` must be a non-empty file name, got {stem!r}")
    if os.sep in stem or (os.altsep and os.altsep in stem):
        raise ValueError(f"`stem` is a file name without folders, got {stem!r}")
    folder = Path(directory)
    if not folder.is_dir():
        raise ValueError(f"`directory` must be an existing folder, got '{folder}'")
    dpi = check_int("dpi", dpi, 1)
    overwrite = check_bool("overwrite", overwrite)
    if _is_interactive_backend():
        plt.show()
        return []
    if "sphinx_gallery" in sys.modules:
        return []  # the gallery's scraper saves the figures
    numbers = plt.get_fignums()
    names = [f"{stem}.png"] if len(numbers) == 1 else [f"{stem}-{i}.png" for i in
                                                       range(1, len(numbers) + 1)]
    existing = [n for n in names if (folder / n).exists()]
    if existing and not overwrite:
        raise OutputPathError(
            "stem", f"'{folder / existing[0]}' exists; pass overwrite=True to replace it, or "
            "choose another `stem` or `directory`")
    written = []
    for number, name in zip(numbers, names, strict=True):
        target = folder / name
        with atomic_path(target) as tmp:
            plt.figure(number).savefig(tmp, dpi=dpi, format="png")
        print(f"saved {target}")
        written.append(target)
    return written
