"""make_reports: one report per task and an index page, on real multi-task data.

Data: Dopamine's DQN on two Atari games (google/dopamine, Apache-2.0; read
from ../shared/data), 5 seeds at 5 training iterations -- the same runs at
every iteration, so each task's population is paired. Each game scores on
its own scale, so each gets its own threshold: the median of its returns
(computed with pandas). References: the counts come from pandas; every
task's page must be what ``make_report`` writes for that task alone (same
settings, same rng); the links are parsed from the index with the standard
library's HTML parser.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pandas as pd
import pytest

import distscale
from distscale.report.multi import make_reports
from tests._helpers import DOPAMINE, dopamine_default

pytestmark = pytest.mark.skipif(not DOPAMINE.is_dir(), reason="needs ../shared/data")
GAMES = ("pong", "breakout")
ITERATIONS = [10, 50, 100, 150, 190]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs)["href"])


@pytest.fixture(scope="module")
def frame():
    parts = [dopamine_default(g, ITERATIONS).assign(game=g) for g in GAMES]
    d = pd.concat(parts, ignore_index=True)
    return d[d["Agent"] == "DQN"][["game", "Iteration", "seed", "Value"]].reset_index(drop=True)


@pytest.fixture(scope="module")
def population(frame):
    return distscale.Population(frame, scale="Iteration", seed="seed", value="Value",
                                task="game", paired=True)


@pytest.fixture(scope="module")
def result(population, frame, tmp_path_factory):
    thresholds = frame.groupby("game")["Value"].median().to_dict()
    out = tmp_path_factory.mktemp("multi")
    return make_reports(population, threshold=thresholds, out_dir=out, n_resamples=100,
                        rng=0, progress=False), thresholds


def test_one_report_per_task_and_an_index(result, frame):
    res, thresholds = result
    assert set(res.reports) == set(GAMES) and not res.failures
    table = res.to_frame().set_index("task")
    counts = frame.groupby("game").size()
    for g in GAMES:
        assert table.loc[g, "runs"] == counts[g]
        assert table.loc[g, "scales"] == len(ITERATIONS)
        assert table.loc[g, "rule"] == f"Value > {thresholds[g]:g}"
        assert (res.out_dir / table.loc[g, "folder"] / "report.html").is_file()
    parser = _Links()
    parser.feed(res.index.read_text(encoding="utf-8"))
    assert sorted(parser.links) == sorted(f"{table.loc[g, 'folder']}/report.html" for g in GAMES)
    manifest = json.loads((res.out_dir / ".distscale-report.json").read_text())["files"]
    assert "index.html" in manifest and "pong/report.html" in manifest


def test_each_page_is_the_single_task_report(result, population, tmp_path):
    res, thresholds = result
    alone = distscale.make_report(population.select(task="breakout"),
                                  threshold=thresholds["breakout"], out_dir=tmp_path,
                                  n_resamples=100, rng=0, progress=False)
    mine = res.reports["breakout"]
    assert mine.summary == alone.summary
    assert "the same 5 seeds at every scale" in mine.html.read_text(encoding="utf-8")
    row = res.to_frame().set_index("task").loc["breakout"]
    assert row["mean_change"] == alone.results["mean_decomposition"].headline


def test_overwrite_replaces_only_what_it_wrote(result, population, frame):
    res, thresholds = result
    keep = res.out_dir / "my-notes.txt"
    keep.write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        make_reports(population, threshold=thresholds, out_dir=res.out_dir, progress=False)
    again = make_reports(
        distscale.Population(frame[frame.game == "pong"], scale="Iteration", seed="seed",
                             value="Value", task="game", paired=True),
        threshold={"pong": thresholds["pong"]}, out_dir=res.out_dir,
        overwrite=True, n_resamples=50, progress=False)
    assert keep.read_text() == "mine"
    assert not (res.out_dir / "breakout" / "report.html").exists()  # a stale task is removed
    assert set(again.reports) == {"pong"}


def test_a_task_that_cannot_be_reported_gets_a_row(tmp_path):
    """Shared bounds (0, 1) and one task scored in percent: that task's report is
    refused (values outside the bounds) and says so on the index; the other is made."""
    acc = [0.1, 0.2, 0.1, 0.2, 0.2, 0.8, 0.9, 0.1, 0.9, 0.8, 0.9, 0.7]
    frame = pd.DataFrame({
        "task": ["ok"] * 12 + ["percent"] * 12,
        "size": [1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4] * 2,
        "seed": list(range(4)) * 6,
        "acc": acc + [100 * a for a in acc],
    })
    res = make_reports(frame, scale="size", seed="seed", value="acc", task="task",
                       threshold={"ok": 0.5, "percent": 50}, bounds=(0, 1),
                       out_dir=tmp_path / "out", n_resamples=50, progress=False)
    assert set(res.reports) == {"ok"} and set(res.failures) == {"percent"}
    assert "outside `bounds`" in res.failures["percent"]
    page = res.index.read_text(encoding="utf-8")
    assert "not made:" in page and "outside" in page


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"threshold": {"pong": 0.0}}, ValueError, "gives no value for the tasks"),
        ({"threshold": {"pong": 0, "breakout": 0, "zork": 1}}, ValueError,
         "names tasks that are not in the data: 'zork'"),
        ({"threshold": 0.0, "progress": "no"}, TypeError, "progress"),
        ({"threshold": 0.0, "overwrite": 1}, TypeError, "overwrite"),
    ],
)
def test_bad_arguments(population, tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        make_reports(population, out_dir=tmp_path / "o", **kwargs)


def test_needs_a_task_column(tmp_path):
    pop = distscale.Population.from_dict({1: [0.1, 0.2], 2: [0.5, 0.9]})
    with pytest.raises(ValueError, match="needs a task column"):
        make_reports(pop, threshold=0.5, out_dir=tmp_path / "o")


def test_cli_one_report_per_task(frame, tmp_path, capsys):
    from distscale.cli import main

    path = tmp_path / "atari.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "reports"
    code = main(["report", str(path), "--scale", "Iteration", "--seed", "seed", "--value",
                 "Value", "--task", "game", "--threshold", "pong=0,breakout=10", "--out",
                 str(out), "--resamples", "50", "--quiet"])
    assert code == 0
    assert (out / "index.html").is_file()
    assert {p.name for p in out.iterdir() if p.is_dir()} == set(GAMES)
    text = (out / "pong" / "report.html").read_text(encoding="utf-8")
    assert "Value &gt; 0" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--threshold", "pong=0"], "--threshold TASK=VALUE needs --task"),
        (["--task", "game", "--threshold", "pong=0,zork=1"], "names tasks not in column"),
        (["--task", "game", "--threshold", "pong:0"], "--threshold"),
        (["--task", "game", "--threshold", "pong=0,pong=1"], "gives task 'pong' twice"),
    ],
)
def test_cli_task_errors(frame, tmp_path, capsys, extra, message):
    from distscale.cli import main

    path = tmp_path / "atari.csv"
    frame.to_csv(path, index=False)
    code = main(["report", str(path), "--scale", "Iteration", "--seed", "seed", "--value",
                 "Value", "--out", str(tmp_path / "o"), "--quiet", *extra])
    assert code == 2
    assert message in capsys.readouterr().err
