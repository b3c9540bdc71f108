"""Tests of the trainer, the evaluation metrics and the population table.

Reference values: hand-computed learning rates and metric values (an oracle
model with a known error pattern), a plain dynamic-programming edit distance,
torch.nn.utils.clip_grad_norm_ applied to each member alone, pandas groupby
means, and log(vocab) as the loss of an untrained model.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

import distscale as ds  # noqa: E402
from distscale.train import (  # noqa: E402
    EVAL_METRICS,
    AdditionTask,
    CountTask,
    EnsembleTransformer,
    ModelConfig,
    TrainConfig,
    choose_ensemble_size,
    evaluate_ensemble,
    lr_at,
    run_key,
    summarize_runs,
    train_ensemble,
    train_population,
)
from distscale.train.evaluate import normalized_edit_distance  # noqa: E402
from distscale.train.trainer import _clip_per_member  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


TASK = CountTask(train_lengths=(1, 2, 3, 4), test_lengths=(5, 6), n_numbers=10)
MODEL = ModelConfig(depth=1, width=16, heads=2)
TRAIN = TrainConfig(steps=8, batch_size=8, lr=3e-3, eval_samples=8)


# ----------------------------------------------------------------- LR schedule
def test_lr_schedule_by_hand():
    # warm-up 4 steps: lr*(s+1)/4; then 0.5*(1+cos(pi*(s-4)/6)) towards min_lr_ratio*lr
    got = [lr_at(s, lr=2.0, steps=10, warmup_steps=4, min_lr_ratio=0.1) for s in range(11)]
    expected = [0.5, 1.0, 1.5, 2.0] + [
        2.0 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * k / 6))) for k in range(7)
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    assert got[-1] == pytest.approx(0.2)
    assert lr_at(0, lr=1.0, steps=5, warmup_steps=0) == 1.0
    with pytest.raises(ValueError, match="step"):
        lr_at(-1, lr=1.0, steps=5, warmup_steps=0)


# --------------------------------------------------------------- equivalence
def test_clipping_is_per_member_like_clip_grad_norm():
    gen = torch.Generator().manual_seed(0)
    grads = [torch.randn(3, 4, 5, generator=gen) * s for s in (1.0, 3.0)]
    grads.append(torch.randn(3, 6, generator=gen))
    grads[0][1] *= 1e-3  # member 1 below the threshold: untouched
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    norms = _clip_per_member(params, 2.0)
    for k in range(3):
        alone = [torch.nn.Parameter(torch.zeros_like(g[k])) for g in grads]
        for p, g in zip(alone, grads, strict=True):
            p.grad = g[k].clone()
        ref_norm = torch.nn.utils.clip_grad_norm_(alone, 2.0)
        assert norms[k].item() == pytest.approx(ref_norm.item(), rel=1e-6)
        for p, a in zip(params, alone, strict=True):
            torch.testing.assert_close(p.grad[k], a.grad, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("data_seed", [None, 123])
def test_ensemble_member_trains_exactly_like_the_seed_alone(data_seed):
    # Small clip so that per-seed clipping matters (a joint clip would couple members).
    train = TrainConfig(steps=8, batch_size=8, lr=3e-3, grad_clip=0.05, eval_samples=8,
                        data_seed=data_seed)
    together = train_ensemble(TASK, MODEL, train, [3, 5, 7], progress=False)
    alone = train_ensemble(TASK, MODEL, train, [5], progress=False)
    np.testing.assert_allclose(together.losses[1], alone.losses[0], rtol=0, atol=1e-5)
    for name, value in alone.model.member_state(0).items():
        torch.testing.assert_close(together.model.member_state(1)[name], value,
                                   atol=1e-5, rtol=0)
    a = together.metrics[together.metrics["seed"] == 5].reset_index(drop=True)
    b = alone.metrics
    np.testing.assert_allclose(a["nll"], b["nll"], atol=1e-5)
    # and the members really differ from each other
    assert not np.allclose(together.losses[0], together.losses[1])
    unclipped = train_ensemble(TASK, MODEL, TrainConfig(steps=8, batch_size=8, lr=3e-3,
                               grad_clip=None, eval_samples=8, data_seed=data_seed),
                               [5], progress=False)
    assert not np.allclose(unclipped.losses[0][1:], alone.losses[0][1:], atol=1e-5)


def test_shared_data_seed_gives_every_member_the_same_batches():
    train = TrainConfig(steps=1, batch_size=8, eval_samples=4, data_seed=0, lr=1e-9)
    run = train_ensemble(TASK, MODEL, train, [0, 1, 2], progress=False)
    # untrained models on identical data: losses close to each other and to log(V)
    assert np.ptp(run.losses[:, 0]) < 0.05
    np.testing.assert_allclose(run.losses[:, 0], math.log(TASK.vocab_size), atol=0.1)


# ------------------------------------------------------------------ training
def test_training_learns_the_training_lengths():
    task = CountTask(train_lengths=(1, 2, 3), test_lengths=(4,), n_numbers=8)
    train = TrainConfig(steps=150, batch_size=16, lr=1e-2, eval_samples=32,
                        eval_train_lengths=True)
    run = train_ensemble(task, ModelConfig(depth=1, width=32, heads=2), train, [0, 1],
                         progress=False)
    # an untrained model predicts ~uniformly: NLL ~ log(vocab size) (outside truth)
    np.testing.assert_allclose(run.losses[:, 0], math.log(task.vocab_size), atol=0.2)
    assert (run.final_loss() < 0.2).all()
    fit = run.metrics[run.metrics["split"] == "train"]
    assert (fit["exact_match"] > 0.9).all()
    assert set(run.metrics["split"]) == {"train", "test"}


def test_population_table_layout_and_population_compatibility():
    table = train_population(TASK, MODEL, TRAIN, seeds=[4, 1, 6], ensemble_size=2,
                             progress=False)
    assert list(table.columns) == [
        "run_id", "task", "depth", "width", "heads", "mlp_ratio", "positional", "n_params",
        "steps", "seed", "split", "length", *EVAL_METRICS, "train_loss", "ensemble_size",
        "seconds_per_seed",
    ]
    assert len(table) == 3 * 2
    assert table["seed"].tolist() == [4, 4, 1, 1, 6, 6]
    assert table["ensemble_size"].tolist() == [2, 2, 2, 2, 1, 1]
    assert table["length"].tolist() == [5, 6] * 3
    assert (table["split"] == "test").all()
    assert table.loc[0, "run_id"] == run_key(TASK, MODEL, TRAIN, 4)
    for metric in ("exact_match", "token_accuracy", "edit_distance",
                   "exact_match_teacher_forced", "token_accuracy_teacher_forced"):
        assert table[metric].between(0, 1).all()
    assert (table["nll"] > 0).all()
    pop = ds.Population(table, scale="depth", seed="seed", value=list(EVAL_METRICS),
                        task="length")
    assert pop.tasks == (5, 6)
    runs = summarize_runs(table)
    ref = table.groupby("seed", sort=False)[list(EVAL_METRICS)].mean()  # pandas reference
    np.testing.assert_allclose(runs[list(EVAL_METRICS)].to_numpy(), ref.to_numpy())
    assert runs["n_lengths"].tolist() == [2, 2, 2]
    ds.Population(runs, scale="depth", seed="seed", value="exact_match")
    last = summarize_runs(table, lengths=[6])
    np.testing.assert_allclose(last["nll"], table.loc[table["length"] == 6, "nll"])


def test_results_are_deterministic_and_do_not_depend_on_grouping():
    kwargs = {"seeds": 3, "progress": False}
    a = train_population(TASK, MODEL, TRAIN, ensemble_size=3, **kwargs)
    b = train_population(TASK, MODEL, TRAIN, ensemble_size=3, **kwargs)
    c = train_population(TASK, MODEL, TRAIN, ensemble_size=1, **kwargs)
    timing = ["seconds_per_seed", "ensemble_size"]
    pd.testing.assert_frame_equal(a.drop(columns=timing), b.drop(columns=timing))
    for col in ("nll", "train_loss"):
        np.testing.assert_allclose(a[col], c[col], atol=1e-5)


def test_library_never_touches_global_rngs():
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002 - checking the legacy global state
    train_population(TASK, MODEL, TrainConfig(steps=2, batch_size=4, eval_samples=4),
                     seeds=2, progress=False, samples=True)
    assert torch.equal(torch_state, torch.get_rng_state())
    assert np.array_equal(np_state, np.random.get_state()[1])  # noqa: NPY002


def test_run_level_output_and_progress_bar(capsys):
    train = TrainConfig(steps=2, batch_size=4, eval_samples=4)
    threads = torch.get_num_threads()
    runs = train_population(TASK, MODEL, train, seeds=2, level="run", progress=True,
                            device="cpu", threads=threads + 1)
    assert torch.get_num_threads() == threads  # restored
    assert len(runs) == 2 and "length" not in runs.columns
    assert "training" in capsys.readouterr().err  # tqdm writes to stderr


def test_threads_are_restored_when_training_fails(monkeypatch):
    # torch's count is the caller's again after an error inside the call, and
    # threads=None leaves it alone
    import distscale.train.populate as module

    seen = []

    def fail(*args, **kw):
        seen.append(torch.get_num_threads())
        raise RuntimeError("stop here")

    monkeypatch.setattr(module, "train_ensemble", fail)
    threads = torch.get_num_threads()
    train = TrainConfig(steps=2, batch_size=4, eval_samples=4)
    with pytest.raises(RuntimeError, match="stop here"):
        train_population(TASK, MODEL, train, seeds=2, threads=threads + 1)
    with pytest.raises(RuntimeError, match="stop here"):
        train_population(TASK, MODEL, train, seeds=2, threads=None)
    assert seen == [threads + 1, threads] and torch.get_num_threads() == threads


# ----------------------------------------------------------------- evaluation
class CountOracle(EnsembleTransformer):
    """Answers count prompts, but member k emits <eos> after stops[k] numbers."""

    def __init__(self, task: CountTask, stops: list[int]):
        super().__init__(ModelConfig(depth=1, width=4, heads=1), vocab_size=task.vocab_size,
                         seeds=list(range(len(stops))), max_positions=task.max_sequence_length)
        self.task, self.stops = task, torch.tensor(stops)

    def forward(self, tokens, cache=None):
        seq = tokens
        if cache is not None:
            if cache.length:
                seq = torch.cat([cache.history, tokens], dim=-1)
            cache.history, cache.length = seq, seq.shape[-1]
        a, b = seq[..., 1:2], seq[..., 2:3]
        j = torch.arange(seq.shape[-1]) - 3  # target index predicted at each position
        stop = torch.minimum(self.stops.view(-1, 1, 1), b - a + 1)
        pred = torch.where(j >= stop, self.task.eos_token, a + j)
        pred = pred.clamp(0, self.task.vocab_size - 1)
        logits = 30.0 * F_one_hot(pred, self.task.vocab_size)
        return logits[:, :, -tokens.shape[-1]:]


def F_one_hot(x, n):
    return torch.nn.functional.one_hot(x, n).float()


def test_metrics_by_hand_with_an_oracle():
    task = CountTask(train_lengths=(1,), test_lengths=(6, 8), n_numbers=12)
    stops = [99, 4, 0]  # perfect; stops after 4 numbers; <eos> straight away
    metrics, samples = evaluate_ensemble(CountOracle(task, stops), task, [6, 8], n_samples=5,
                                         samples=True)
    v = task.vocab_size
    wrong = math.log(math.exp(30) + v - 1)  # NLL of a target the oracle gives logit 0
    right = math.log(1 + (v - 1) * math.exp(-30))
    for row in metrics.itertuples():
        n = row.test_length
        m = min(stops[row.seed], n)
        t = n + 1  # target tokens: n numbers and <eos>
        # greedy: m correct numbers then <eos> (right only when m == n); n - m insertions
        assert row.exact_match == float(m == n)
        assert row.token_accuracy == pytest.approx((m + (m == n)) / t)
        assert row.edit_distance == pytest.approx((n - m) / t)
        # teacher forced: numbers 0..m-1 and the final <eos> are right
        assert row.token_accuracy_teacher_forced == pytest.approx((m + 1) / t)
        assert row.exact_match_teacher_forced == float(m == n)
        # float32 log-softmax: e**-30 terms round away, hence the absolute tolerance
        assert row.nll == pytest.approx(((n - m) * wrong + (m + 1) * right) / t, abs=1e-5)
    assert list(samples.columns) == ["seed", "test_length", "sample_id", "prediction", "target",
                                     "target_logprobs"]
    assert len(samples) == 3 * 2 * 5
    s = samples[(samples["seed"] == 1) & (samples["test_length"] == 6)].iloc[0]
    a = s["target"][0]
    assert s["target"] == [*range(a, a + 6), task.eos_token]
    assert s["prediction"] == [*range(a, a + 4), task.eos_token]  # cut after the first <eos>
    assert len(s["target_logprobs"]) == 7


def _levenshtein(a, b):
    """Plain dynamic-programming edit distance (the naive twin)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def test_edit_distance_matches_plain_dynamic_programming():
    rng = np.random.default_rng(0)
    n, width, m = 500, 9, 7
    pred = rng.integers(0, 3, (n, width))
    target = rng.integers(0, 3, (n, m))
    lengths = rng.integers(0, width + 1, n)
    got = normalized_edit_distance(pred, lengths, target)
    ref = [_levenshtein(pred[i, : lengths[i]].tolist(), target[i].tolist()) / m for i in range(n)]
    np.testing.assert_allclose(got, ref)


def test_sample_outputs_agree_with_the_metrics():
    table, samples = train_population(TASK, MODEL, TRAIN, seeds=2, progress=False, samples=True)
    assert {"run_id", "depth", "seed", "length", "sample_id", "prediction", "target",
            "target_logprobs"} <= set(samples.columns)
    samples = samples.assign(
        exact=[p == t for p, t in zip(samples["prediction"], samples["target"], strict=True)],
        nll=[-np.mean(lp) for lp in samples["target_logprobs"]],
    )
    agg = samples.groupby(["seed", "length"])[["exact", "nll"]].mean().reset_index()
    merged = table.merge(agg, on=["seed", "length"])
    np.testing.assert_allclose(merged["exact"], merged["exact_match"])
    np.testing.assert_allclose(merged["nll_x"], merged["nll_y"], rtol=1e-6)


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"seeds": [1, 1, 2]}, ValueError, "duplicates"),
        ({"seeds": []}, ValueError, "at least one seed"),
        ({"seeds": "abc"}, TypeError, "seeds"),
        ({"seeds": [-1]}, ValueError, "at least 0"),
        ({"seeds": 2, "level": "seed"}, ValueError, "level"),
        ({"seeds": 2, "ensemble_size": 0}, ValueError, "ensemble_size"),
        ({"seeds": 2, "samples": 1}, TypeError, "samples"),
        ({"seeds": 2, "threads": 0}, ValueError, "threads"),
    ],
)
def test_train_population_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        train_population(TASK, MODEL, TRAIN, progress=False, **kwargs)


def test_configuration_errors():
    with pytest.raises(TypeError, match="Task"):
        train_population("count", MODEL, TRAIN, seeds=1)
    with pytest.raises(TypeError, match="ModelConfig"):
        train_population(TASK, {"depth": 1}, TRAIN, seeds=1)
    with pytest.raises(TypeError, match="TrainConfig"):
        train_population(TASK, MODEL, None, seeds=1)
    short = ModelConfig(depth=1, width=16, heads=2, positional="learned", max_positions=5)
    with pytest.raises(ValueError, match="max_positions"):
        train_population(TASK, short, TRAIN, seeds=1)
    table = pd.DataFrame({"seed": [0]})
    with pytest.raises(ValueError, match="lacks column"):
        summarize_runs(table)
    full = train_population(TASK, MODEL, TrainConfig(steps=1, batch_size=2, eval_samples=2),
                            seeds=1, progress=False)
    with pytest.raises(ValueError, match=r"\[9\] were not evaluated"):
        summarize_runs(full, lengths=[9])
    with pytest.raises(ValueError, match="no rows with split 'train'"):
        summarize_runs(full, split="train")


def test_choose_ensemble_size_shrinks_with_model_size():
    sizes = [choose_ensemble_size(CountTask(), ModelConfig(width=w, heads=4), TrainConfig(),
                                  device="cpu") for w in (16, 64, 256, 1024)]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] > 1 and sizes[-1] == 1
    assert choose_ensemble_size(CountTask(), ModelConfig(width=16, heads=4), TrainConfig(),
                                n_seeds=3) == 3


def test_evaluation_in_chunks_equals_one_batch():
    model = EnsembleTransformer(MODEL, vocab_size=TASK.vocab_size, seeds=[0, 1],
                                max_positions=TASK.max_sequence_length)
    whole, _ = evaluate_ensemble(model, TASK, [5, 6], n_samples=10)
    chunked, _ = evaluate_ensemble(model, TASK, [5, 6], n_samples=10, batch_size=3)
    pd.testing.assert_frame_equal(whole, chunked, atol=1e-6)


def test_addition_task_trains_end_to_end_with_learned_positions():
    task = AdditionTask(train_lengths=(1, 2), test_lengths=(3,))
    model = ModelConfig(depth=1, width=16, heads=2, positional="learned")
    table = train_population(task, model, TrainConfig(steps=3, batch_size=4, eval_samples=4),
                             seeds=2, progress=False)
    assert table["task"].unique().tolist() == ["addition"]
    assert np.isfinite(table[list(EVAL_METRICS)].to_numpy()).all()
    # an untrained model's loss is about log(vocab size)
    np.testing.assert_allclose(table["train_loss"], math.log(task.vocab_size), atol=0.3)
