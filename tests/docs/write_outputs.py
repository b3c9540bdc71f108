"""Write the outputs of the ``pycon`` blocks of guide pages from a real run.

    python -m tests.docs.write_outputs success modality   # pages by name (docs/<name>.md)

Runs each page's blocks in order, as ``test_guide_snippets`` does (an empty
temporary folder, ``DISTSCALE_SHARED_DATA`` set when ``../shared/data``
exists), and replaces the lines under every ``>>>`` statement with what it
printed (lines longer than 88 characters wrapped at spaces, which the
test's ``NORMALIZE_WHITESPACE`` ignores). Use it after a change that moves
numbers on purpose, then **read the diff**: the point of the test is that a
number the page shows changes only when someone has looked at it.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import textwrap
import warnings

from tests.docs._snippets import DOCS, SHARED_DATA, SHARED_MARKER, code_blocks, run_block

WIDTH = 88


def _printed(source: str, namespace: dict, where: str) -> str:
    """What one interactive statement prints (its value's repr included), as doctest sees it."""
    buf = io.StringIO()
    hook = sys.displayhook
    sys.displayhook = lambda v: None if v is None else print(repr(v))
    try:
        with contextlib.redirect_stdout(buf):
            exec(compile(source, where, "single", dont_inherit=True), namespace)
    finally:
        sys.displayhook = hook
    return buf.getvalue()


def _output_lines(text: str) -> list[str]:
    out: list[str] = []
    for line in text.rstrip("\n").split("\n") if text.strip() else []:
        line = line.rstrip()
        if len(line) > WIDTH and " " in line.strip() and not line.startswith(" "):
            out += textwrap.wrap(line, WIDTH, break_long_words=False, break_on_hyphens=False)
        else:
            out.append(line or "<BLANKLINE>")
    return out


def write_page(page: str) -> None:
    path = DOCS / f"{page}.md"
    text = path.read_text(encoding="utf-8")
    namespace: dict = {"__name__": f"docs.{page}"}
    for block in code_blocks(page):
        if block.not_run:
            continue
        if block.lang != "pycon":
            run_block(block, namespace)
            continue
        groups: list[list[str]] = []  # the >>> line of each statement and its ... lines
        for line in block.source.split("\n"):
            if line.startswith(">>>"):
                groups.append([line])
            elif line.startswith("...") and groups:
                groups[-1].append(line)
        lines: list[str] = []
        for group in groups:
            source = "\n".join(g[4:] for g in group) + "\n"
            lines += group
            if source.strip().startswith("#") and len(group) == 1:
                continue
            lines += _output_lines(_printed(source, namespace, block.where))
        text = text.replace(block.source, "\n".join(lines) + "\n", 1)
        print(f"{block.where}: {len(groups)} statements", file=sys.stderr)
    path.write_text(text, encoding="utf-8")


def main(pages: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    if SHARED_DATA.is_dir():
        os.environ[SHARED_MARKER] = str(SHARED_DATA)
    here = os.getcwd()
    for page in pages:
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            os.chdir(tmp)
            try:
                write_page(page)
            finally:
                os.chdir(here)


if __name__ == "__main__":
    main(sys.argv[1:])
