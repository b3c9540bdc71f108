"""Every code snippet of Getting started and the user guide runs, and prints what the page says.

Reference: the pages themselves. Their expected outputs were written from the
library's output and are checked here, so a change of any number the guide
shows fails this test instead of leaving the page stale (issue 19). The
rules a page follows are in ``tests/docs/_snippets.py``.
"""

from __future__ import annotations

import os
import sys
import warnings

import pytest

from tests.docs._snippets import (
    DOCS,
    SHARED_DATA,
    SHARED_MARKER,
    Block,
    blocks,
    code_blocks,
    guide_pages,
    needs_shared_data,
    run_block,
)

PAGES = guide_pages()


def test_guide_pages_are_found():
    # the table of contents of docs/user-guide.md, plus Getting started
    assert PAGES[0] == "getting-started"
    assert {"success", "modality", "data", "report"} <= set(PAGES)
    for page in PAGES:
        assert (DOCS / f"{page}.md").is_file(), page


def test_parser_finds_blocks_and_reasons(tmp_path, monkeypatch):
    # a small page written here: the parser must see both blocks and the reason
    import tests.docs._snippets as snippets

    (tmp_path / "p.md").write_text(
        "# t\n\n```pycon\n>>> 1 + 1\n2\n```\n\n% not run: needs a cluster\n```python\nboom()\n```\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(snippets, "DOCS", tmp_path)
    found = snippets.blocks("p")
    assert [(b.lang, b.line, b.not_run) for b in found] == [
        ("pycon", 4, None), ("python", 10, "needs a cluster")]
    assert run_block(found[0], {}) is None
    wrong = Block("p", "pycon", 4, ">>> 1 + 1\n3\n", None)
    report = run_block(wrong, {})
    assert report is not None and "Expected:" in report and "p.md:4" in report


@pytest.mark.parametrize("page", PAGES)
def test_every_code_block_names_its_language(page):
    """A block without a language would escape the run below (and render unhighlighted)."""
    for block in blocks(page):
        assert block.lang not in ("", "py", "python3", "ipython"), (
            f"{block.where}: give the block a language (python, pycon, bash, text)")


@pytest.mark.parametrize("page", PAGES)
def test_page_snippets(page, tmp_path, monkeypatch):
    runnable = [b for b in code_blocks(page) if b.not_run is None]
    if not runnable:
        pytest.skip(f"docs/{page}.md has no code to run")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    if SHARED_DATA.is_dir():
        monkeypatch.setenv(SHARED_MARKER, str(SHARED_DATA))
    namespace: dict = {"__name__": f"docs.{page}"}
    torch = sys.modules.get("torch")
    torch_threads = None if torch is None else torch.get_num_threads()
    try:
        with warnings.catch_warnings():
            # the pages show results; the warnings they raise are the library's
            # own business (tested there); RuntimeWarnings stay errors
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", RuntimeWarning)
            skipped: list[str] = []  # blocks that read ../shared/data when it is absent
            for block in runnable:
                if needs_shared_data(block) and not SHARED_DATA.is_dir():
                    skipped.append(block.where)
                    continue
                failure = run_block(block, namespace)
                if failure and skipped:  # it may need what a skipped block defined
                    pytest.skip(f"{block.where} after {', '.join(skipped)}, which read "
                                f"{SHARED_DATA} (absent), did not run as shown")
                if failure:
                    pytest.fail(f"{block.where}: the page shows another output\n{failure}",
                                pytrace=False)
    finally:
        plt.close("all")
        torch = sys.modules.get("torch")
        if torch is not None:  # a page may set torch's threads (lm.md): not for later tests
            torch.set_num_threads(torch_threads or len(os.sched_getaffinity(0)))
