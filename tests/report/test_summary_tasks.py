"""summary_by_task: the summary curves of every task of a population (issue 19, item 6).

References: each task's curves must equal ``summary_curves`` on that task
alone (the single-task function, tested against hand counts and other
libraries in tests/describe), and P(success) must equal fractions counted by
hand from how the data were built. The text form is compared with what
``distscale summary --select-task`` prints for one task.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest

import distscale.report.summaries as summaries
from distscale import DegenerateDataWarning, Population, summary_curves
from distscale.report.summaries import TaskSummaries, readable_summary, summary_by_task

pytestmark = pytest.mark.filterwarnings("ignore::distscale.DegenerateDataWarning")


def games(n_seeds: int = 8) -> pd.DataFrame:
    """Seed k wins pong at size s when k < 2s, breakout when k < s; scores add noise."""
    rng = np.random.default_rng(3)
    rows = []
    for game, m in (("pong", 2), ("breakout", 1)):
        for size in (1, 2, 3):
            for k in range(n_seeds):
                won = k < m * size
                rows.append((game, size, k, (10.0 if won else -5.0) + rng.normal(0, 1)))
    return pd.DataFrame(rows, columns=["game", "size", "seed", "score"])


def _pop(frame=None):
    return Population(games() if frame is None else frame, scale="size", seed="seed",
                      value="score", task="game")


def test_each_task_equals_summary_curves_alone():
    pop = _pop()
    res = summary_by_task(pop, threshold=0.0, n_resamples=300, rng=7)
    assert isinstance(res, TaskSummaries) and not res.failures
    assert list(res.results) == ["breakout", "pong"]  # the population's task order
    for task in ("pong", "breakout"):
        alone = summary_curves(pop.select(task=task), threshold=0.0, n_resamples=300, rng=7)
        assert res.results[task] == alone
        mine = res.to_frame().query("task == @task").drop(columns=["task", "threshold"])
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), alone.to_frame())


def test_p_success_equals_hand_counts_and_per_task_thresholds():
    # hand counts: 8 seeds; pong wins k < 2s -> 2, 4, 6 of 8; breakout k < s -> 1, 2, 3 of 8
    res = summary_by_task(_pop(), threshold={"pong": 0.0, "breakout": 0.0}, n_resamples=200)
    table = res.to_frame()
    p = table[table.statistic == "p_success"].set_index(["task", "scale"])["estimate"]
    assert p["pong"].tolist() == [2 / 8, 4 / 8, 6 / 8]
    assert p["breakout"].tolist() == [1 / 8, 2 / 8, 3 / 8]
    # a threshold above every score for breakout only: no breakout run succeeds
    res = summary_by_task(_pop(), threshold={"pong": 0.0, "breakout": 100.0}, n_resamples=200)
    table = res.to_frame()
    p = table[table.statistic == "p_success"].set_index(["task", "scale"])["estimate"]
    assert p["breakout"].tolist() == [0.0, 0.0, 0.0]
    assert p["pong"].tolist() == [2 / 8, 4 / 8, 6 / 8]
    assert dict(res.thresholds) == {"breakout": 100.0, "pong": 0.0}
    assert set(table.loc[table.task == "breakout", "threshold"]) == {100.0}
    assert list(table.columns[:4]) == ["task", "threshold", "scale", "statistic"]
    # that task's warning (no successful run) is kept with the task
    assert any("no run succeeded" in note for note in res.notes["breakout"])


def test_a_frame_with_column_names_and_a_population_without_tasks():
    frame = games()
    a = summary_by_task(frame, scale="size", seed="seed", value="score", task="game",
                        threshold=0.0, n_resamples=100)
    b = summary_by_task(_pop(frame), threshold=0.0, n_resamples=100)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    one = Population(frame[frame.game == "pong"], scale="size", seed="seed", value="score")
    res = summary_by_task(one, threshold=0.0, n_resamples=100)
    assert list(res.results) == [None]
    text = readable_summary(res)
    assert text.startswith("success: score > 0") and "task" not in text.splitlines()[0]


def test_rng_generator_is_used_and_global_state_untouched():
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    a = summary_by_task(_pop(), threshold=0.0, n_resamples=100, rng=np.random.default_rng(1))
    b = summary_by_task(_pop(), threshold=0.0, n_resamples=100, rng=np.random.default_rng(1))
    assert a.to_frame().equals(b.to_frame())
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"threshold": {"pong": 0.0}}, ValueError, r"`threshold` gives no value for the tasks 'breakout'"),
        ({"threshold": {"pong": 0.0, "breakout": 0.0, "tennis": 1.0}}, ValueError,
         r"`threshold` names tasks that are not in the data: 'tennis'"),
        ({"threshold": {"pong": 0.0, "breakout": float("nan")}}, ValueError,
         r"threshold of task 'breakout'"),
        ({"threshold": float("inf")}, ValueError, r"threshold"),
        ({"threshold": 0.0, "higher_is_better": "yes"}, TypeError, r"higher_is_better"),
        ({"threshold": 0.0, "progress": 1}, TypeError, r"progress"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, error, message):
    with pytest.raises(error, match=message):
        summary_by_task(_pop(), n_resamples=50, **kwargs)


def test_a_failing_task_is_listed_and_the_others_go_on(monkeypatch):
    real = summaries.summary_curves

    def fail_on_pong(pop, **kw):
        if set(pop.to_frame()["game"]) == {"pong"}:
            raise ValueError("pong cannot be summarised")
        return real(pop, **kw)

    monkeypatch.setattr(summaries, "summary_curves", fail_on_pong)
    res = summary_by_task(_pop(), threshold=0.0, n_resamples=50)
    assert list(res.results) == ["breakout"]
    assert res.failures == {"pong": "pong cannot be summarised"}
    assert set(res.to_frame().task) == {"breakout"}
    assert readable_summary(res).endswith("task pong: no summary: pong cannot be summarised")
    assert repr(res) == "TaskSummaries(1 tasks, 1 failed)"


def test_readable_summary_matches_the_single_task_command(tmp_path):
    from distscale.cli import main

    path = tmp_path / "games.csv"
    games().to_csv(path, index=False)
    res = summary_by_task(_pop(), threshold=0.0, n_resamples=200, rng=0)
    text = readable_summary(res)
    blocks = text.split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == [
        "task breakout (success: score > 0)", "task pong (success: score > 0)"]
    for block, task in zip(blocks, ("breakout", "pong"), strict=True):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            rc = main(["summary", str(path), "--scale", "size", "--seed", "seed", "--value",
                       "score", "--task", "game", "--select-task", task, "--threshold", "0",
                       "--n-resamples", "200", "--quiet"])
        assert rc == 0
        assert block.split("\n", 1)[1].strip() == out.getvalue().strip()


def _args(**kw):
    import argparse

    base = {"n_resamples": 100, "confidence_level": 0.95, "method": "percentile", "rng": 0,
            "quiet": False, "format": "table"}
    return argparse.Namespace(**{**base, **kw})


def test_run_task_summaries_prints_every_task_and_writes_the_table(tmp_path, capsys):
    pop = _pop()
    out = tmp_path / "summary.csv"
    rc = summaries.run_task_summaries(_args(), pop, threshold={"pong": 0.0, "breakout": 100.0},
                                      higher_is_better=True, source="games.csv", out=out)
    assert rc == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("data: games.csv\nmetric: score; 2 tasks in column 'game'")
    assert "task breakout (success: score > 100)" in captured.out
    assert "task pong (success: score > 0)" in captured.out
    assert "note: [breakout] no run succeeded" in captured.err
    written = pd.read_csv(out)
    expected = summary_by_task(pop, threshold={"pong": 0.0, "breakout": 100.0},
                               n_resamples=100, rng=0).to_frame()
    assert list(written.columns) == list(expected.columns)
    np.testing.assert_allclose(written["estimate"], expected["estimate"], equal_nan=True)
    # --format csv: the same tidy table on stdout, nothing else
    summaries.run_task_summaries(_args(format="csv", quiet=True), pop, threshold=0.0,
                                 higher_is_better=True, source="games.csv", out=None)
    shown = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert shown.columns[0] == "task" and set(shown.task) == {"pong", "breakout"}
