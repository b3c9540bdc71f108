"""Per-seed trajectories: evaluations at checkpoints during training.

References: a run without checkpoints (checkpoints must not change training),
the final table (the last checkpoint is the final model), a fresh evaluation
of the initial weights (checkpoint 0), and pandas group means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

import distscale as ds  # noqa: E402
from distscale.io.run_table import (  # noqa: E402
    TRAJECTORY_COLUMNS,
    summarize_trajectory,
    trajectory_population,
)
from distscale.train import (  # noqa: E402
    CountTask,
    EnsembleTransformer,
    ModelConfig,
    TrainConfig,
    evaluate_ensemble,
    train_ensemble,
    train_population,
)
from distscale.train.trainer import check_checkpoints  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")

TASK = CountTask(train_lengths=(1, 2, 3, 4), test_lengths=(5, 6), n_numbers=10)
MODEL = ModelConfig(depth=1, width=16, heads=2)
TRAIN = TrainConfig(steps=10, batch_size=8, lr=3e-3, eval_samples=8)


def test_checkpoint_steps():
    assert check_checkpoints(None, 10) == ()
    assert check_checkpoints(10, 1000) == tuple(range(100, 1001, 100))
    assert check_checkpoints(3, 2) == (1, 2)  # never step 0, no duplicates
    assert check_checkpoints(np.array([5, 0]), 10) == (0, 5)
    with pytest.raises(ValueError, match="at most the number of steps"):
        check_checkpoints([11], 10)
    with pytest.raises(TypeError, match="checkpoints"):
        check_checkpoints("10", 10)
    with pytest.raises(ValueError, match="at least one"):
        check_checkpoints([], 10)


def test_checkpoints_do_not_change_training_and_end_at_the_final_model():
    plain = train_ensemble(TASK, MODEL, TRAIN, [0, 1], progress=False)
    run = train_ensemble(TASK, MODEL, TRAIN, [0, 1], progress=False, checkpoints=[0, 4, 10])
    np.testing.assert_array_equal(plain.losses, run.losses)
    traj = run.trajectory
    assert sorted(traj["step"].unique()) == [0, 4, 10]
    final = traj[traj["step"] == 10].drop(columns=["step", "train_loss"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(final, plain.metrics)
    # checkpoint 0 is the initial model
    fresh = EnsembleTransformer(MODEL, vocab_size=TASK.vocab_size, seeds=[0, 1],
                                max_positions=TASK.max_sequence_length)
    initial, _ = evaluate_ensemble(fresh, TASK, TASK.test_lengths, n_samples=8)
    first = traj[traj["step"] == 0]
    np.testing.assert_allclose(first["nll"], initial["nll"], rtol=1e-6)
    assert first["train_loss"].isna().all()
    # train_loss: mean of the per-step losses since the previous checkpoint
    at4 = traj[(traj["step"] == 4) & (traj["length"] == 5)]["train_loss"].to_numpy()
    np.testing.assert_allclose(at4, run.losses[:, :4].mean(1))
    at10 = traj[(traj["step"] == 10) & (traj["length"] == 5)]["train_loss"].to_numpy()
    np.testing.assert_allclose(at10, run.losses[:, 4:].mean(1))


def test_population_trajectory_and_paired_population():
    _table, traj = train_population(TASK, MODEL, TRAIN, seeds=3, ensemble_size=2,
                                   progress=False, checkpoints=5, checkpoint_samples=4)
    assert list(traj.columns) == list(TRAJECTORY_COLUMNS)
    assert sorted(traj["step"].unique()) == [2, 4, 6, 8, 10]
    assert len(traj) == 3 * 5 * 2
    # fewer samples at the checkpoints: the last one is evaluated again (4, not 8, sequences)
    assert set(traj["exact_match"].unique()) <= {i / 4 for i in range(5)}
    runs = summarize_trajectory(traj, lengths=[6])
    ref = traj[traj["length"] == 6].groupby(["seed", "step"])["nll"].mean().to_numpy()
    np.testing.assert_allclose(runs["nll"], ref)
    pop = trajectory_population(traj, value=["exact_match", "nll"])
    assert isinstance(pop, ds.Population) and pop.paired
    assert pop.scales.tolist() == [2, 4, 6, 8, 10]
    with pytest.raises(ValueError, match="several settings"):
        trajectory_population(pd.concat([traj, traj.assign(run_id=traj["run_id"] + "x",
                                                           width=32)]))
    with pytest.raises(ValueError, match="were not evaluated"):
        summarize_trajectory(traj, lengths=[7])
    with pytest.raises(ValueError, match="lacks column"):
        summarize_trajectory(traj.drop(columns="step"))
    # with samples: (table, samples, trajectory)
    out = train_population(TASK, MODEL, TrainConfig(steps=2, batch_size=4, eval_samples=2),
                           seeds=1, progress=False, samples=True, checkpoints=[1])
    assert len(out) == 3 and out[2]["step"].unique().tolist() == [1]


# ------------------------------------------------------------------ the run store
def _grid():
    from distscale.train import SweepGrid

    return SweepGrid.product(TASK, MODEL, TrainConfig(steps=6, batch_size=4, eval_samples=4),
                             seeds=2, depth=[1, 2])


def test_sweep_stores_trajectories_equal_to_train_population(tmp_path):
    """Reference: train_population with the same seeds, ensemble and checkpoints."""
    from distscale.train import RunStore, Sweep

    grid = _grid()
    sweep = Sweep(grid, store=tmp_path / "runs.sqlite", ensemble_size=2, checkpoints=3,
                  checkpoint_samples=2)
    assert sweep.run(workers=0, progress=False).n_trained == 4
    stored = sweep.trajectory()
    assert list(stored.columns) == list(TRAJECTORY_COLUMNS)
    expected = []
    for setting in grid.settings:
        _, traj = train_population(setting.task, setting.model, setting.train,
                                   seeds=list(setting.seeds), ensemble_size=2, progress=False,
                                   checkpoints=3, checkpoint_samples=2)
        expected.append(traj)
    expected = pd.concat(expected, ignore_index=True)
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)
    assert stored["step"].dtype == np.int64 and stored["nll"].dtype == np.float64
    # resume: nothing to train, the trajectories are unchanged
    assert sweep.run(workers=0, progress=False).n_trained == 0
    pd.testing.assert_frame_equal(sweep.trajectory(), stored)
    # one setting's rows as a paired population over steps
    pop = trajectory_population(stored[stored["depth"] == 2])
    assert pop.paired and pop.scales.tolist() == [2, 4, 6]
    # a run with missing result rows loses its trajectory rows too when cleaned
    with RunStore(tmp_path / "runs.sqlite") as store:
        victim = store.runs()["run_id"].iloc[0]
        store.connection.execute("DELETE FROM results WHERE run_id = ? AND \"row\" = 0",
                                 (victim,))
        assert victim not in set(store.trajectories()["run_id"])  # incomplete: left out
        assert store.clean() == [victim]
        left = store.connection.execute(
            "SELECT count(*) FROM trajectories WHERE run_id = ?", (victim,)).fetchone()[0]
        assert left == 0
    with pytest.raises(ValueError, match="not finished"):
        sweep.trajectory()
    assert sweep.trajectory(allow_pending=True)["run_id"].nunique() == 3


def test_store_without_checkpoints_has_no_trajectory_and_bad_input(tmp_path):
    from distscale.train import RunStore, Sweep

    sweep = Sweep(_grid(), store=tmp_path / "plain.sqlite", ensemble_size=2)
    sweep.run(workers=0, progress=False)
    empty = sweep.trajectory()
    assert empty.empty and list(empty.columns) == list(TRAJECTORY_COLUMNS)
    with pytest.raises(ValueError, match="at most the number of steps"):
        Sweep(_grid(), store=tmp_path / "x.sqlite", checkpoints=[7])
    with pytest.raises(ValueError, match="checkpoint_samples"):
        Sweep(_grid(), store=tmp_path / "x.sqlite", checkpoints=2, checkpoint_samples=0)
    table, traj = train_population(TASK, MODEL, TrainConfig(steps=2, batch_size=4,
                                                             eval_samples=2),
                                   seeds=1, progress=False, checkpoints=1)
    configs = {table["run_id"].iloc[0]: (TASK, MODEL, TrainConfig(steps=2, batch_size=4,
                                                                  eval_samples=2))}
    with RunStore(tmp_path / "y.sqlite") as store:
        with pytest.raises(ValueError, match="lacks column"):
            store.commit(table, configs, worker="w", versions={},
                         trajectory=traj.drop(columns="step"))
        with pytest.raises(ValueError, match="runs that `table` lacks"):
            store.commit(table, configs, worker="w", versions={},
                         trajectory=traj.assign(run_id="zzz"))
        with pytest.raises(TypeError, match="DataFrame"):
            store.commit(table, configs, worker="w", versions={}, trajectory=[1])
        assert store.commit(table, configs, worker="w", versions={}, trajectory=traj)
        pd.testing.assert_frame_equal(store.trajectories(), traj, check_dtype=False)


def test_sweep_from_config_reads_checkpoints(tmp_path):
    from distscale.train import Sweep

    config = {"task": {"name": "count", "train_lengths": [1, 2, 3], "test_lengths": [4],
                       "n_numbers": 8},
              "model": {"depth": 1, "width": 16, "heads": 2},
              "train": {"steps": 4, "batch_size": 4, "eval_samples": 2},
              "seeds": 1, "checkpoints": [0, 2, 4], "checkpoint_samples": 2}
    sweep = Sweep.from_config(config, store=tmp_path / "c.sqlite")
    assert sweep.checkpoints == [0, 2, 4] and sweep.checkpoint_samples == 2
