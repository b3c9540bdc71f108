"""Packed training rows and the faster evaluation compute what the plain ones compute.

References: the same model run on each sequence alone (packing), the
trainer with one padded row per sequence (``pack=False``), greedy decoding
of every sequence (the evaluation decodes only the sequences with a
teacher-forced error), and one length at a time (the evaluation scores the
lengths of one prompt length together).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from distscale.train import (  # noqa: E402
    AdditionTask,
    CountTask,
    EnsembleTransformer,
    ModelConfig,
    TrainConfig,
    evaluate_ensemble,
    train_ensemble,
)
from distscale.train.evaluate import _greedy, eval_batch  # noqa: E402
from distscale.train.packing import first_fit, pack_members, sequence_lengths  # noqa: E402
from distscale.train.trainer import EnsembleTrainer  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")

TOL = 1e-5
TASK = CountTask(train_lengths=tuple(range(1, 9)), test_lengths=(9, 10), n_numbers=12)
CONFIGS = [
    ModelConfig(depth=2, width=16, heads=2, positional="nope"),
    ModelConfig(depth=1, width=16, heads=2, positional="learned"),
    ModelConfig(depth=2, width=16, heads=2, positional="rope", bias=False),
]


def test_first_fit_places_every_item_without_overflow():
    rng = np.random.default_rng(0)
    for _ in range(50):
        lengths = rng.integers(1, 13, 20).tolist()
        rows, offsets, n_rows = first_fit(lengths, 12)
        used = np.zeros((n_rows, 12), dtype=int)
        for size, r, o in zip(lengths, rows, offsets, strict=True):
            used[r, o : o + size] += 1
            assert o + size <= 12
        assert used.max() == 1  # no two items share a slot
        assert n_rows >= -(-sum(lengths) // 12)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.positional)
def test_a_packed_sequence_computes_what_it_computes_alone(cfg):
    model = EnsembleTransformer(cfg, vocab_size=TASK.vocab_size, seeds=[3, 7],
                                max_positions=TASK.max_sequence_length)
    gens = [torch.Generator().manual_seed(s) for s in (0, 1)]
    batches = [TASK.training_batch(10, g) for g in gens]
    packed = pack_members(batches, TASK.pad_token)
    assert packed.tokens.shape[1] < 10  # fewer rows than sequences
    with torch.no_grad():
        logits = model(packed.tokens, segments=packed.segments)
        for k, batch in enumerate(batches):
            for i, size in enumerate(sequence_lengths(batch).tolist()):
                seq = batch.tokens[i, :size]
                where = (packed.segments[k] == i).nonzero()
                row, first = int(where[0, 0]), int(where[0, 1])
                assert torch.equal(packed.tokens[k, row, first : first + size], seq)
                tokens = torch.zeros(2, 1, size, dtype=torch.long)
                tokens[k, 0] = seq
                alone = model(tokens)[k, 0]
                torch.testing.assert_close(logits[k, row, first : first + size], alone,
                                           atol=TOL, rtol=TOL)


def test_packed_rows_of_a_seed_do_not_depend_on_its_ensemble():
    gens = [torch.Generator().manual_seed(s) for s in (5, 6, 5)]
    batches = [TASK.training_batch(12, g) for g in gens]
    alone = pack_members(batches[:1], TASK.pad_token)
    together = pack_members(batches[1:], TASK.pad_token)
    rows = alone.tokens.shape[1]
    assert torch.equal(together.tokens[1, :rows], alone.tokens[0])
    assert torch.equal(together.target_mask[1, :rows], alone.target_mask[0])
    assert not together.target_mask[1, rows:].any()  # extra rows are padding only
    assert alone.target_mask.sum() == batches[0].target_mask.sum()


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.positional)
def test_packed_training_equals_one_row_per_sequence(cfg):
    train = TrainConfig(steps=6, batch_size=8, lr=3e-3, grad_clip=0.5, eval_samples=4)
    runs = {}
    for pack in (True, False):
        trainer = EnsembleTrainer(TASK, cfg, train, [0, 4], pack=pack)
        for step in range(train.steps):
            trainer.step(step)
        runs[pack] = trainer
    np.testing.assert_allclose(runs[True].losses.numpy(), runs[False].losses.numpy(),
                               rtol=0, atol=TOL)
    for k in range(2):
        a, b = runs[True].model.member_state(k), runs[False].model.member_state(k)
        for name in a:
            torch.testing.assert_close(a[name], b[name], atol=TOL, rtol=0)


def _reference_metrics(model, task, lengths, n):
    """Greedy decoding of every sequence, one length at a time (the plain evaluation)."""
    out = []
    for length in lengths:
        batch = eval_batch(task, length, n, 0)
        start, size = batch.prompt_and_target()
        prompt = batch.tokens[:, :start].unsqueeze(0).expand(model.ensemble_size, -1, -1)
        with torch.no_grad():
            pred = _greedy(model, prompt, size)
        target = batch.tokens[:, start : start + size]
        for k, seed in enumerate(model.seeds):
            out.append({"seed": seed, "test_length": length,
                        "exact_match": float((pred[k] == target).all(1).float().mean())})
    return pd.DataFrame(out)


@pytest.mark.parametrize("task", [TASK, AdditionTask(train_lengths=(1, 2), test_lengths=(3, 4))],
                         ids=["count", "addition"])
def test_evaluation_decodes_only_what_it_must_and_agrees_with_full_decoding(task):
    cfg = ModelConfig(depth=1, width=16, heads=2)
    # a little training, so that some sequences are right and some are not
    run = train_ensemble(task, cfg, TrainConfig(steps=60, batch_size=16, lr=1e-2,
                                                eval_samples=4), [0, 1, 2], progress=False)
    model = run.model
    lengths = list(task.train_lengths + task.test_lengths)
    got, _ = evaluate_ensemble(model, task, lengths, n_samples=24)
    per_length, _ = evaluate_ensemble(model, task, lengths, n_samples=24, batch_size=24)
    ref = _reference_metrics(model, task, lengths, 24)
    merged = got.merge(ref, on=["seed", "test_length"], suffixes=("", "_ref"))
    np.testing.assert_allclose(merged["exact_match"], merged["exact_match_ref"])
    pd.testing.assert_frame_equal(got, per_length, atol=1e-6)
    assert 0 < got["exact_match"].mean() < 1  # both kinds of rows were exercised
    # greedy exact match equals teacher-forced exact match (see evaluate._score_rows)
    np.testing.assert_allclose(got["exact_match"], got["exact_match_teacher_forced"])
