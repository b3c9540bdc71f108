"""Tests of the run store's integrity check, clean-up and repair, and of the checked readers.

Each test damages a store the way a user did (a result row deleted, a ``runs``
row deleted, a page overwritten, a file that is not a database, ``--out``
pointed at the store) and checks the outcome against an undamaged sweep of the
same grid: the readers never export an incomplete run, ``Sweep.run`` trains it
again, and a damaged file gets one clear error and a repair that keeps every
intact run. Tiny configurations (depth 1-2, width 16, 20 steps).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3

import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from distscale._lib.warnings import DroppedRowsWarning  # noqa: E402
from distscale.cli import main  # noqa: E402
from distscale.train import (  # noqa: E402
    RunStore,
    StoreDamagedError,
    Sweep,
    SweepGrid,
    read_store,
    train_population,
)
from tests.train._small_sweep import MODEL, NONDETERMINISTIC, TASK, TRAIN, sweep_config  # noqa: E402

CONFIG = sweep_config(seeds=2)

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished sweep (2 depths x 2 seeds = 4 runs, 8 rows) and its table."""
    folder = tmp_path_factory.mktemp("finished")
    config = folder / "sweep.toml"
    config.write_text(CONFIG)
    store = folder / "runs.sqlite"
    sweep = Sweep.from_config(config, store=store)
    sweep.run(workers=0, progress=False)
    return config, store, sweep.population().drop(columns=NONDETERMINISTIC)


@pytest.fixture
def sweep_copy(tmp_path, finished):
    """A private copy of the finished store, with the config beside it."""
    config, store, table = finished
    copy = tmp_path / "runs.sqlite"
    with RunStore(store, readonly=True) as src:
        dst = sqlite3.connect(copy)
        src.connection.backup(dst)
        dst.close()
    (tmp_path / "sweep.toml").write_text(config.read_text())
    return tmp_path / "sweep.toml", copy, table


def _sql(store, *statements):
    con = sqlite3.connect(store)  # foreign keys off, as in the sqlite3 shell
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


def _one_line_error(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("distscale train: error: "), err
    return err


# ------------------------------------------------------------- consistency
def test_a_deleted_result_row_makes_the_run_pending_and_it_is_retrained(sweep_copy, capsys):
    config, store, table = sweep_copy
    _sql(store, "DELETE FROM results WHERE rowid = (SELECT min(rowid) FROM results)")
    with RunStore(store, readonly=True) as s:
        report = s.check()
        victim = report.incomplete[0]
    assert not report.ok and len(report.incomplete) == 1
    assert report.problems == (f"run {victim} has 1 of its 2 result rows",)
    sweep = Sweep.from_config(config, store=store)
    status = sweep.status()  # was "4 of 4 finished" before the check existed
    assert (status.n_done, status.n_pending, status.requeued) == (3, 1, (victim,))
    with pytest.warns(DroppedRowsWarning, match="1 run"):
        assert victim not in set(read_store(store).run_id)  # never exported
    with pytest.raises(ValueError, match="1 of 4 runs are not finished"):
        sweep.population()
    # `distscale train --out` re-trains the run before exporting: all 8 rows, not 7
    out = store.parent / "table.csv"
    assert main(["train", str(config), "--store", str(store), "--workers", "0",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "trained 1 run(s) now" in text and "1 run(s) with missing result rows" in text
    assert len(pd.read_csv(out)) == 8
    # equal to the undamaged sweep: the run's whole ensemble (2 seeds) was trained again and
    # only the damaged run was written (its ensemble mate's new copy is a "duplicate")
    pd.testing.assert_frame_equal(sweep.population().drop(columns=NONDETERMINISTIC), table)
    with RunStore(store, readonly=True) as s:
        assert s.check().ok
        last = s.attempts().groupby("run_id").outcome.last()
    assert last[victim] == "committed" and (last == "duplicate").sum() == 1


def test_a_deleted_runs_row_is_retrained_without_an_integrity_error(sweep_copy):
    config, store, table = sweep_copy
    _sql(store, "DELETE FROM runs WHERE rowid = 2")  # its result rows stay behind
    with RunStore(store, readonly=True) as s:
        report = s.check()
    assert len(report.orphan_rows) == 1 and "have no runs row" in report.problems[0]
    sweep = Sweep.from_config(config, store=store)
    assert sweep.status().n_pending == 1
    assert sweep.run(workers=0, progress=False).n_trained == 1  # was: IntegrityError
    pd.testing.assert_frame_equal(sweep.population().drop(columns=NONDETERMINISTIC), table)


def test_orphan_leases_are_reported_and_cleaned(sweep_copy):
    config, store, _ = sweep_copy
    with RunStore(store) as s:
        run_id = s.runs().run_id[0]
    _sql(store, f"INSERT INTO leases VALUES ('{run_id}', 'u', 'h:1:t', 0, 1e12)")
    with RunStore(store, readonly=True) as s:
        assert s.check().orphan_leases == (run_id,)
    Sweep.from_config(config, store=store).run(workers=0, progress=False)
    with RunStore(store, readonly=True) as s:
        assert s.check().ok and s.leases().empty


def test_commit_replaces_stray_rows_of_a_missing_run(tmp_path):
    table = train_population(TASK, MODEL, TRAIN, seeds=[0], progress=False, threads=1)
    configs = {k: (TASK, MODEL, TRAIN) for k in table.run_id.unique()}
    with RunStore(tmp_path / "r.sqlite") as s:
        s.commit(table, configs, worker="w", versions={})
    _sql(tmp_path / "r.sqlite", "DELETE FROM runs")
    with RunStore(tmp_path / "r.sqlite") as s:
        assert s.commit(table, configs, worker="w", versions={}) == list(configs)
        assert s.check().ok


# ------------------------------------------------------------ damaged files
def _many_runs(path, n=200):
    """A store with ``n`` runs (copies of one trained run under new ids): many pages."""
    base = train_population(TASK, MODEL, TRAIN, seeds=[0], progress=False, threads=1)
    frames = []
    for i in range(n):
        frame = base.copy()
        frame["run_id"] = hashlib.sha256(str(i).encode()).hexdigest()[:16]
        frame["seed"] = i
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    with RunStore(path) as s:
        s.commit(table, {k: (TASK, MODEL, TRAIN) for k in table.run_id.unique()},
                 worker="w", versions={})
        return s.results()


def _zero_a_results_page(path):
    con = sqlite3.connect(path)
    try:
        pages = [r[0] for r in con.execute(
            "SELECT pageno FROM dbstat WHERE name='results' AND pagetype='leaf' ORDER BY pageno")]
        size = con.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table")
    finally:
        con.close()
    page = pages[len(pages) // 2]
    with open(path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\0" * size)


def test_a_damaged_page_raises_one_clear_error_and_repair_keeps_intact_runs(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    before = _many_runs(store)
    _zero_a_results_page(store)
    with RunStore(store, readonly=True) as s:
        with pytest.raises(StoreDamagedError, match=r"runs\.sqlite.*is damaged.*--repair"):
            s.check()
    with pytest.raises(StoreDamagedError):
        read_store(store)  # no silent export
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG)
    assert main(["train", str(config), "--store", str(store), "--workers", "0"]) == 2
    assert "--repair" in _one_line_error(capsys)
    assert main(["train", str(config), "--store", str(store), "--status"]) == 2
    _one_line_error(capsys)

    assert main(["train", str(config), "--store", str(store), "--repair"]) == 0
    text = capsys.readouterr().out
    damaged = [p for p in os.listdir(tmp_path) if p.startswith("runs.sqlite.damaged-")]
    assert len(damaged) == 1 and f"kept as '{tmp_path / damaged[0]}'" in text
    with RunStore(store, readonly=True) as s:
        assert s.check().ok
        kept = s.results()
        n_kept = len(s.runs())
    assert f"kept {n_kept} run(s), lost {200 - n_kept}" in text
    assert 150 <= n_kept < 200  # one page of result rows lost, the rest kept
    # the kept runs are exactly the original rows of those runs
    original = before[before.run_id.isin(set(kept.run_id))].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, original)
    with RunStore(tmp_path / damaged[0], readonly=True) as s:  # the damaged file is kept
        with pytest.raises(StoreDamagedError):
            s.check()
    # the repaired store is a working store again
    assert main(["train", str(config), "--store", str(store), "--workers", "0", "--quiet"]) == 0


def test_a_file_that_is_not_a_database(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    garbage = os.urandom(3000)
    store.write_bytes(garbage)
    with pytest.raises(StoreDamagedError, match=r"not a usable SQLite run store.*--repair"):
        RunStore(store)
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG)
    assert main(["train", str(config), "--store", str(store), "--workers", "0"]) == 2
    assert "--repair" in _one_line_error(capsys)
    report = RunStore.repair(store)
    assert (report.kept, report.lost) == (0, 0)
    assert open(report.damaged_path, "rb").read() == garbage  # kept, byte for byte
    with RunStore(store) as s:
        assert s.check().ok and s.runs().empty


def test_repair_of_a_healthy_store_changes_nothing(sweep_copy):
    _, store, _ = sweep_copy
    digest = hashlib.sha256(store.read_bytes()).hexdigest()
    report = RunStore.repair(store)
    assert report.damaged_path is None and (report.kept, report.lost) == (4, 0)
    assert "nothing to repair" in report.summary
    assert hashlib.sha256(store.read_bytes()).hexdigest() == digest


# ------------------------------------------------------------------- CLI
def test_out_may_not_be_the_store(sweep_copy, capsys):
    config, store, _ = sweep_copy
    digest = hashlib.sha256(store.read_bytes()).hexdigest()
    assert main(["train", str(config), "--store", str(store), "--workers", "0",
                 "--out", str(store)]) == 2
    assert "--out" in _one_line_error(capsys)
    assert main(["train", str(config), "--store", str(store), "--out",
                 str(store.parent / ".." / store.parent.name / "runs.sqlite")]) == 2
    assert "is the store" in _one_line_error(capsys)
    assert main(["train", str(config), "--store", str(store), "--out", str(config)]) == 2
    assert "sweep configuration" in _one_line_error(capsys)
    assert hashlib.sha256(store.read_bytes()).hexdigest() == digest  # intact
    with RunStore(store, readonly=True) as s:
        assert s.check().ok and len(s.runs()) == 4


@pytest.mark.parametrize(
    ("extra", "pattern"),
    [(["--repair", "--status"], "--repair only"), (["--lease", "0"], "--lease must be"),
     (["--retries", "-1"], "--retries must be")],
)
def test_train_option_errors(sweep_copy, capsys, extra, pattern):
    config, store, _ = sweep_copy
    assert main(["train", str(config), "--store", str(store), *extra]) == 2
    assert pattern in _one_line_error(capsys)


# ------------------------------------------------------- schema and journal
def test_a_version_1_store_is_read_and_upgraded(sweep_copy):
    config, store, table = sweep_copy
    _sql(store, "DROP TABLE leases", "DROP TABLE attempts",
         "UPDATE meta SET value='1' WHERE key='schema_version'")
    with RunStore(store, readonly=True) as s:  # read as it is
        assert s.check().ok and s.attempts().empty and s.leases().empty
    sweep = Sweep.from_config(config, store=store)  # opened for writing: upgraded
    pd.testing.assert_frame_equal(sweep.population().drop(columns=NONDETERMINISTIC), table)
    con = sqlite3.connect(store)
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("3",)
    assert con.execute("SELECT count(*) FROM leases").fetchone() == (0,)
    con.close()
    _sql(store, "UPDATE meta SET value='4' WHERE key='schema_version'")
    with pytest.raises(ValueError, match="schema version 4"):
        RunStore(store)


def test_journal_delete_is_kept_and_works(tmp_path):
    path = tmp_path / "r.sqlite"
    with RunStore(path, journal="delete") as s:
        assert s.journal_mode == "delete"
    with RunStore(path) as s:  # an existing store keeps its mode
        assert s.journal_mode == "delete"
    grid = SweepGrid.product(TASK, MODEL, TRAIN, seeds=2)
    sweep = Sweep(grid, store=path, ensemble_size=2)
    assert sweep.run(workers=0, progress=False).n_trained == 2
    with RunStore(path, journal="wal") as s:
        assert s.journal_mode == "wal" and s.check().ok
    with pytest.raises(ValueError, match="`journal` must be"):
        RunStore(path, journal="memory")
