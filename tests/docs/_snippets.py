"""Run the code of the user-guide pages (docs/*.md) as doctests.

The rules a page follows (also in docs/contributing.md):

* A ```` ```pycon ```` block is a doctest: ``>>>`` / ``...`` lines are run and
  what they print must match the lines below them (``ELLIPSIS`` and
  ``NORMALIZE_WHITESPACE``, as the package's docstrings; print rounded numbers
  or ``DataFrame.round(3)`` so the text does not hang on the last bit).
* A ```` ```python ```` block is run too (nothing is compared).
* The blocks of one page run in order in one namespace, in an empty
  temporary folder, so a page must define everything it uses (``pop``,
  files it reads) on bundled data or on data it writes itself.
* A block that cannot run (a Dask cluster, a GPU, hours of training) is
  preceded by a MyST comment line ``% not run: <why>``; it is shown, not run.
* A block that reads the optional public data of ``../shared/data`` takes
  that folder from the environment variable ``DISTSCALE_SHARED_DATA``; the
  test sets it, and skips the rest of the page when the folder is absent.
"""

from __future__ import annotations

import doctest
import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"
#: The optional public data beside the repository (CI has it).
SHARED_DATA = Path(os.environ.get("DISTSCALE_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
SHARED_MARKER = "DISTSCALE_SHARED_DATA"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

_FENCE = re.compile(r"^(?P<fence>`{3,})(?P<lang>[^\s`]*)[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                    re.S | re.M)
_NOT_RUN = re.compile(r"^%\s*not run:\s*(?P<why>\S.*)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: str
    lang: str
    line: int  # 1-based line of the first line of code
    source: str
    not_run: str | None  # the reason given by "% not run: ..." on the line before

    @property
    def where(self) -> str:
        return f"docs/{self.page}.md:{self.line}"


def guide_pages() -> list[str]:
    """Getting started and every page in the user guide's tables of contents."""
    text = (DOCS / "user-guide.md").read_text(encoding="utf-8")
    pages = ["getting-started"]
    for toctree in re.findall(r"```\{toctree\}\n(.*?)```", text, flags=re.S):
        for line in toctree.splitlines():
            line = line.strip()
            if line and not line.startswith(":"):
                pages.append(line.removesuffix(".md"))
    return pages


def blocks(page: str) -> list[Block]:
    """The fenced blocks of ``docs/<page>.md`` in order."""
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    out = []
    for m in _FENCE.finditer(text):
        start = text.count("\n", 0, m.start())  # 0-based line of the fence
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        why = _NOT_RUN.match(before)
        out.append(Block(page, m.group("lang"), start + 2, m.group("body"),
                         why.group("why") if why else None))
    return out


def code_blocks(page: str) -> list[Block]:
    """The Python blocks of a page (``python`` and ``pycon``)."""
    return [b for b in blocks(page) if b.lang in ("python", "pycon", "py")]


def needs_shared_data(block: Block) -> bool:
    return SHARED_MARKER in block.source


def run_block(block: Block, namespace: dict) -> str | None:
    """Run one block in ``namespace``; the doctest report of a mismatch, or None."""
    if block.lang != "pycon":
        exec(compile(block.source, block.where, "exec", dont_inherit=True), namespace)
        return None
    parser = doctest.DocTestParser()
    examples = parser.get_examples(block.source)
    for ex in examples:
        ex.lineno += block.line - 1
    test = doctest.DocTest(examples, namespace, block.where, str(DOCS / f"{block.page}.md"),
                           0, block.source)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    result = runner.run(test, out=report.append, clear_globs=False)
    namespace.update(test.globs)  # DocTest works on a copy; later blocks see these names
    return "".join(report) if result.failed else None


def actual_outputs(block: Block, namespace: dict) -> list[tuple[doctest.Example, str]]:
    """What each example of a pycon block prints (used to write the expected output)."""
    import contextlib
    import io
    import sys

    examples = doctest.DocTestParser().get_examples(block.source)
    pairs = []
    for ex in examples:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = compile(ex.source, block.where, "single", dont_inherit=True)
            old = sys.displayhook
            sys.displayhook = lambda v: (v is not None and print(repr(v)))
            try:
                exec(code, namespace)
            finally:
                sys.displayhook = old
        pairs.append((ex, buf.getvalue()))
    return pairs
