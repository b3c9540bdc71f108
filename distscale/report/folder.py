"""The report's folder: what an earlier report wrote, what may be replaced, atomic writes.

A report writes ``report.html``, ``figures/*.png|svg`` and ``tables/*.csv``
into one folder, and last a manifest, ``.distscale-report.json``, listing
every file it wrote. Writing into a folder that is not empty needs
``overwrite=True``; then exactly the files the earlier report listed are
removed first (a stale ``tables/trend_failure.csv`` of a run with another
threshold does not survive), and nothing else is touched: a file the new
report would write over that the manifest does not list is an error. Every
file is written atomically (:func:`distscale._lib.outputs.atomic_write`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from distscale._lib.outputs import OutputPathError, atomic_write, same_file

__all__ = ["MANIFEST", "ReportFolder"]

#: The file that lists what a report wrote (relative paths).
MANIFEST = ".distscale-report.json"


class ReportFolder:
    """The output folder of one report: checked before any analysis runs.

    Parameters
    ----------
    path : path
        The folder (created if missing).
    overwrite : bool
        Allow a folder that holds an earlier report (its manifest's files
        are removed first).
    inputs : iterable of path
        Files that must never be written or removed (the input data).
    """

    def __init__(self, path: str | os.PathLike, *, overwrite: bool,
                 inputs: Iterable[str | os.PathLike] = ()) -> None:
        self.path = Path(path)
        self.inputs = [Path(p) for p in inputs]
        self.written: list[Path] = []
        if self.path.exists() and not self.path.is_dir():
            raise OutputPathError(
                "out_dir", f"`out_dir` '{self.path}' is a file; the report needs a folder"
            )
        self.previous = self._read_manifest()
        if self.path.is_dir() and any(self.path.iterdir()) and not overwrite:
            kind = "an earlier report" if self.previous is not None else "other files"
            raise OutputPathError(
                "out_dir",
                f"`out_dir` '{self.path}' is not empty (it holds {kind}); pass "
                "overwrite=True (distscale report --overwrite) to replace an earlier report "
                "there, or choose an empty or new folder",
            )
        if self.path.is_dir():
            known = set(self.previous or [])
            foreign = [
                str(f.relative_to(self.path))
                for pattern in ("report.html", "figures/*.png", "figures/*.svg", "tables/*.csv")
                for f in self.path.glob(pattern)
                if str(f.relative_to(self.path)) not in known
            ]
            if foreign:
                raise OutputPathError(
                    "out_dir", f"`out_dir` '{self.path}' holds files a report would write that no "
                    f"earlier report listed ({', '.join(sorted(foreign)[:3])}"
                    f"{', ...' if len(foreign) > 3 else ''}); move them or choose another folder"
                )
        for item in self.previous or []:
            for inp in self.inputs:
                if same_file(self.path / item, inp):
                    raise OutputPathError(
                        "out_dir", f"`out_dir` '{self.path}' holds the input '{inp}' among the "
                        "files of an earlier report; choose another folder"
                    )

    def _read_manifest(self) -> list[str] | None:
        path = self.path / MANIFEST
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = [str(f) for f in data["files"]]
        except (OSError, ValueError, KeyError, TypeError):
            raise OutputPathError(
                "out_dir", f"`out_dir` '{self.path}' has an unreadable report manifest "
                f"'{MANIFEST}'; remove the folder's report files by hand or choose another folder"
            ) from None
        # only plain relative paths inside the folder: never remove anything outside it
        return [f for f in files if not os.path.isabs(f) and ".." not in Path(f).parts]

    def prepare(self) -> None:
        """Create the folder and remove the files the earlier report listed."""
        self.path.mkdir(parents=True, exist_ok=True)
        for item in self.previous or []:
            with contextlib.suppress(FileNotFoundError):
                (self.path / item).unlink()

    def file(self, relative: str) -> Path:
        """The path of a file the report writes (checked against inputs and foreign files)."""
        target = self.path / relative
        for inp in self.inputs:
            if same_file(target, inp):
                raise OutputPathError(
                    "out_dir", f"the report would write '{target}', which is the input '{inp}'; "
                    "choose another folder"
                )
        if target.exists() and relative not in (self.previous or []):
            raise OutputPathError(
                "out_dir", f"the report would overwrite '{target}', which no earlier report "
                "wrote; move it or choose another folder"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        self.written.append(target)
        return target

    def write_bytes(self, relative: str, data: bytes) -> Path:
        return atomic_write(self.file(relative), lambda f: f.write(data), mode="wb")

    def write_text(self, relative: str, text: str) -> Path:
        return atomic_write(self.file(relative), lambda f: f.write(text))

    def finish(self) -> Path:
        """Write the manifest: every file this report wrote, relative to the folder."""
        files = sorted(str(p.relative_to(self.path)) for p in self.written)
        payload = json.dumps({"written_by": "distscale report", "files": files}, indent=1)
        return atomic_write(self.path / MANIFEST, lambda f: f.write(payload + "\n"))
