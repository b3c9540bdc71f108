"""The HTML report in a real browser: Playwright driving Debian's headless Chromium.

The page written by :func:`distscale.make_report` is opened in headless
Chromium (Debian's ``chromium`` package, which ``.ci/run`` installs when it
is missing), driven by Playwright (the ``dev`` extra) with that binary as its
executable: Playwright downloads no browser. The browser itself is the
outside judge: every ``<img>`` must have decoded (``naturalWidth > 0``),
every inline ``<svg>`` must have a size, the console must hold no error (no
JavaScript error, no failed load), and the page must request nothing but
itself and ``data:`` URIs (self-contained). A full-page screenshot is saved
(set ``DISTSCALE_SCREENSHOT=path.png`` to keep it).

The test skips when no Chromium binary is found or Playwright is not
installed.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from distscale import make_report
from tests._helpers import bimodal_frame

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Flags for a root user on a machine without network (see the CI notes in .ci/run).
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _find_chromium() -> str | None:
    env = os.environ.get("DISTSCALE_CHROMIUM")
    if env:
        return env
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = _find_chromium()
playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright (dev extra)")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium binary found (apt-get install chromium; .ci/run installs it)",
)


class Browser:
    """One headless Chromium page that records console errors, page errors and requests."""

    def __init__(self, binary: str, *, width: int = 1100, height: int = 900) -> None:
        self._playwright = playwright_api.sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=binary, headless=True, args=CHROMIUM_ARGS
        )
        self.width, self.height = width, height
        self.page = None
        self.errors: list[str] = []
        self.urls: list[str] = []

    def open(self, url: str) -> None:
        if self.page is not None:
            self.page.close()
        self.errors, self.urls = [], []
        self.page = self._browser.new_page(viewport={"width": self.width, "height": self.height})
        self.page.on(
            "console",
            lambda m: self.errors.append(f"console.{m.type}: {m.text}")
            if m.type in ("error", "assert")
            else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"exception: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed load: {r.url}"))
        self.page.on("request", lambda r: self.urls.append(r.url))
        self.page.goto(url, wait_until="load")

    def evaluate(self, expression: str) -> str:
        return self.page.evaluate(expression)

    def screenshot(self, path: Path) -> tuple[int, int]:
        self.page.screenshot(path=str(path), full_page=True)
        size = self.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        return int(size[0]), int(size[1])

    def close(self) -> None:
        self._browser.close()
        self._playwright.stop()


FIGURE_CHECK = """
JSON.stringify({
  images: Array.from(document.images).map(img => ({
    alt: img.alt, complete: img.complete, width: img.naturalWidth,
    height: img.naturalHeight, shown: img.getBoundingClientRect().width})),
  svgs: Array.from(document.querySelectorAll("svg")).map(s => s.getBoundingClientRect().width),
  sections: Array.from(document.querySelectorAll("section h2")).map(h => h.textContent),
  summary: Array.from(document.querySelectorAll("#summary li")).map(li => li.textContent),
})
"""




@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return make_report(
        bimodal_frame(n_seeds=48), scale="depth", seed="seed", value="exact_match", threshold=0.5,
        bounds=(0, 1), out_dir=out, n_resamples=200, rng=0, progress=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    chrome = Browser(CHROMIUM)
    yield chrome
    chrome.close()


def test_report_renders_in_chromium(report, browser, tmp_path):
    browser.open(report.html.resolve().as_uri())
    found = json.loads(browser.evaluate(FIGURE_CHECK))

    # every figure the report wrote is on the page, and the browser decoded each one
    n_figures = len(report.figures) // 2  # a PNG and an SVG file per figure
    assert len(found["images"]) == n_figures >= 8
    for img in found["images"]:
        assert img["complete"] and img["width"] > 0 and img["height"] > 0, img
        assert img["shown"] > 100, img  # laid out at a visible size
    assert all(w > 0 for w in found["svgs"])

    # the summary the page shows is the one make_report returned
    assert found["summary"] == list(report.summary)
    assert "Summary curves" in found["sections"] and "Inverse scaling" in found["sections"]

    # nothing went wrong, and nothing was fetched but the page itself and data: URIs
    assert browser.errors == []
    urls = browser.urls
    assert urls and all(u.startswith(("file:", "data:")) for u in urls), urls
    assert sum(u.startswith("file:") for u in urls) == 1, urls

    shot = tmp_path / "report.png"
    width, height = browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert width >= 900 and height > 3000  # a long page: every section laid out
    if os.environ.get("DISTSCALE_SCREENSHOT"):  # for a person to look at
        shutil.copy(shot, os.environ["DISTSCALE_SCREENSHOT"])


def test_browser_check_catches_a_broken_page(browser, tmp_path):
    """The checks can fail: a broken image and a script error are both reported."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body>"
        '<img src="data:image/png;base64,AAAA" alt="broken">'
        "<script>undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    browser.open(page.as_uri())
    found = json.loads(browser.evaluate(FIGURE_CHECK))
    assert found["images"][0]["width"] == 0
    problems = browser.errors
    assert any("undefinedFunction" in p for p in problems), problems
