"""The HTML report in a real browser: headless Chromium over the DevTools protocol.

The page written by :func:`distscale.report.make_report` is opened in headless
Chromium (Debian's ``chromium`` package; ``.ci/run`` installs it when it is
missing). The browser itself is the outside judge: every ``<img>`` must have
decoded (``naturalWidth > 0``), every inline ``<svg>`` must have a size, the
console must hold no error (no JavaScript error, no failed load), and the
page must request nothing but itself and ``data:`` URIs (self-contained). A
full-page screenshot is saved.

The browser is driven through the Chrome DevTools Protocol over
``--remote-debugging-pipe`` (JSON messages separated by NUL bytes on file
descriptors 3 and 4), so no driver binary and no Python package beyond the
standard library is needed. The test skips only when no Chromium binary is
found.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from distscale.report.build import make_report
from tests._helpers import bimodal_frame

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


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
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium binary found (apt-get install chromium; .ci/run installs it)",
)


class DevToolsError(RuntimeError):
    pass


class Chromium:
    """A headless Chromium driven over ``--remote-debugging-pipe``."""

    def __init__(self, binary: str, *, width: int = 1100, height: int = 900) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="distscale-chromium-")
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # the child's ends, moved above 9 so that the shell's `3<&N 4>&M` cannot clobber them
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child_r, from_child_w)]
        os.close(to_child_r)
        os.close(from_child_w)
        args = [
            binary,
            "--headless",
            "--remote-debugging-pipe",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--user-data-dir={self.profile.name}",
            "about:blank",
        ]
        script = f'exec "$0" "$@" 3<&{high[0]} 4>&{high[1]} {high[0]}<&- {high[1]}>&-'
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            ["bash", "-c", script, *args],
            pass_fds=high,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )
        for fd in high:
            os.close(fd)
        self.write_fd, self.read_fd = to_child_w, from_child_r
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []
        self.width, self.height = width, height

    # ------------------------------------------------------------------ protocol
    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DevToolsError("timed out waiting for Chromium")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    self.stderr.seek(0)
                    tail = self.stderr.read().decode(errors="replace")[-2000:]
                    raise DevToolsError(f"Chromium closed the pipe; its stderr ends:\n{tail}")
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, *, session: str | None = None,
             timeout: float = 30.0) -> dict:  # fmt: skip
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise DevToolsError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, *, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def drain(self, seconds: float) -> None:
        """Collect events for a while (late console messages)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except DevToolsError as err:
            if "timed out" not in str(err):
                raise

    # --------------------------------------------------------------------- pages
    def open(self, url: str) -> str:
        self.events.clear()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.send(method, session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
             "mobile": False},
            session=session,
        )  # fmt: skip
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", timeout=60)
        self.drain(0.5)
        return session

    def evaluate(self, session: str, expression: str) -> object:
        out = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=session,
        )
        if "exceptionDetails" in out:
            raise DevToolsError(f"evaluation failed: {out['exceptionDetails']}")
        return out["result"].get("value")

    def screenshot(self, session: str, path: Path, *, full_page: bool = True,
                   y: float = 0.0) -> tuple[int, int]:  # fmt: skip
        metrics = self.send("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        width = int(np.ceil(size["width"]))
        height = int(np.ceil(size["height"])) if full_page else self.height
        clip = {"x": 0, "y": y, "width": width, "height": height, "scale": 1}
        shot = self.send(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
            session=session,
            timeout=60,
        )
        path.write_bytes(base64.b64decode(shot["data"]))
        return width, height

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        out = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                texts = [str(a.get("value", a.get("description", ""))) for a in params["args"]]
                out.append("console." + params["type"] + ": " + " ".join(texts))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                thrown = details.get("exception", {}).get("description") or details.get("text")
                out.append(f"exception: {thrown}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                out.append(f"log ({params['entry']['source']}): {params['entry']['text']}")
            elif method == "Network.loadingFailed":
                out.append(f"failed load: {params.get('errorText')}")
        return out

    def requested_urls(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (DevToolsError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self.write_fd, self.read_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.stderr.close()
        self.profile.cleanup()


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
    chrome = Chromium(CHROMIUM)
    yield chrome
    chrome.close()


def test_report_renders_in_chromium(report, browser, tmp_path):
    session = browser.open(report.html.resolve().as_uri())
    found = json.loads(browser.evaluate(session, FIGURE_CHECK))

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
    assert browser.problems() == []
    urls = browser.requested_urls()
    assert urls and all(u.startswith(("file:", "data:")) for u in urls), urls
    assert sum(u.startswith("file:") for u in urls) == 1, urls

    shot = tmp_path / "report.png"
    width, height = browser.screenshot(session, shot)
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
    session = browser.open(page.as_uri())
    found = json.loads(browser.evaluate(session, FIGURE_CHECK))
    assert found["images"][0]["width"] == 0
    problems = browser.problems()
    assert any("undefinedFunction" in p for p in problems), problems
