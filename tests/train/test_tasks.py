"""Tests of distscale.train tasks, configs and the optional-import guard.

Reference values: hand-written token sequences (the issue's examples), Python
integer arithmetic for addition, scipy's chi-square test for uniformity.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
import scipy.stats

torch = pytest.importorskip("torch")

from distscale.train import (  # noqa: E402
    AdditionTask,
    CountTask,
    ModelConfig,
    Task,
    TaskBatch,
    TrainConfig,
    available_tasks,
    get_task,
    register_task,
    run_key,
    task_from_dict,
)
from distscale.train.config import derive_seed  # noqa: E402


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------- import guard
def test_import_without_torch_says_how_to_install():
    # Simulate an environment without torch: an import hook that refuses to find it
    # (a None entry in sys.modules would also break scipy's array-API probing).
    code = (
        "import sys\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "import distscale\n"  # the core library must still import
        "try:\n"
        "    import distscale.train\n"
        "except ImportError as e:\n"
        "    print('MSG', e)\n"
        "else:\n"
        "    print('NO ERROR')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "MSG" in out.stdout
    assert 'pip install "distscale[torch]"' in out.stdout


def test_import_distscale_does_not_import_torch():
    code = "import sys, distscale; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------ count
def test_count_sequences_match_the_documented_format():
    task = CountTask(train_lengths=range(1, 6), test_lengths=(7, 8), n_numbers=16)
    bos, sep, eos = task.bos_token, task.sep_token, task.eos_token
    assert (bos, sep, eos, task.pad_token, task.vocab_size) == (16, 17, 18, 19, 20)
    batch = task.sample(50, 4, gen(3))
    assert batch.tokens.shape == (50, 4 + 5)
    for row, mask in zip(batch.tokens.tolist(), batch.target_mask.tolist(), strict=True):
        a, b = row[1], row[2]
        # hand-written: <bos> a b > a a+1 a+2 a+3 <eos>, with b = a + length - 1
        assert row == [bos, a, a + 3, sep, a, a + 1, a + 2, a + 3, eos]
        assert 0 <= a and b <= 15
        assert mask == [False] * 4 + [True] * 5  # loss only after ">"
    assert batch.prompt_and_target() == (4, 5)


def test_count_start_is_uniform_over_valid_starts():
    task = CountTask(train_lengths=(1,), test_lengths=(2,), n_numbers=8)
    starts = task.sample(4000, 3, gen(1)).tokens[:, 1].numpy()
    counts = np.bincount(starts, minlength=8)
    assert counts[6:].sum() == 0  # b = a + 2 <= 7
    assert scipy.stats.chisquare(counts[:6]).pvalue > 1e-3


def test_count_is_deterministic_in_its_generator():
    task = CountTask()
    a = task.sample(10, 12, gen(5)).tokens
    b = task.sample(10, 12, gen(5)).tokens
    c = task.sample(10, 12, gen(6)).tokens
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_count_training_batch_rows_are_valid_and_lengths_uniform():
    task = CountTask(train_lengths=(2, 3, 5), test_lengths=(6,), n_numbers=10)
    batch = task.training_batch(3000, gen(2))
    tokens, mask = batch.tokens.tolist(), batch.target_mask.tolist()
    lengths = []
    for row, m in zip(tokens, mask, strict=True):
        a = row[1]
        n = row[2] - a + 1
        lengths.append(n)
        expected = [task.bos_token, a, a + n - 1, task.sep_token, *range(a, a + n), task.eos_token]
        assert row[: len(expected)] == expected
        assert all(t == task.pad_token for t in row[len(expected) :])
        assert m == [False] * 4 + [True] * (n + 1) + [False] * (len(row) - len(expected))
    values, counts = np.unique(lengths, return_counts=True)
    assert values.tolist() == [2, 3, 5]
    assert scipy.stats.chisquare(counts).pvalue > 1e-3


def test_generic_training_batch_matches_the_count_distribution():
    # Task.training_batch (the generic loop over lengths) and CountTask's vectorised
    # version must give valid batches of the same shape rules.
    task = CountTask(train_lengths=(1, 4), test_lengths=(5,), n_numbers=6)
    generic = Task.training_batch(task, 400, gen(0))
    lengths = (generic.tokens[:, 2] - generic.tokens[:, 1] + 1).numpy()
    assert set(lengths.tolist()) == {1, 4}
    assert generic.tokens.shape[1] == 4 + 5
    assert generic.target_mask.sum(1).tolist() == (lengths + 1).tolist()


def test_count_validation():
    with pytest.raises(ValueError, match="at most `n_numbers`"):
        CountTask(train_lengths=(1, 2), test_lengths=(70,), n_numbers=64)
    with pytest.raises(ValueError, match="strictly increasing"):
        CountTask(train_lengths=(3, 2), test_lengths=(5,))
    with pytest.raises(ValueError, match="at least one length"):
        CountTask(train_lengths=(), test_lengths=(5,))
    with pytest.raises(TypeError, match="integer"):
        CountTask(train_lengths=(1.5,), test_lengths=(5,))
    with pytest.raises(ValueError, match="at least 1"):
        CountTask(train_lengths=(0, 1), test_lengths=(5,))
    task = CountTask(n_numbers=8, train_lengths=(1,), test_lengths=(2,))
    with pytest.raises(ValueError, match="at most n_numbers"):
        task.sample(2, 9, gen())
    with pytest.raises(TypeError, match=r"torch\.Generator"):
        task.sample(2, 3, 0)
    with pytest.raises(TypeError, match=r"torch\.Generator"):
        task.sample(2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least 1"):
        task.sample(0, 3, gen())


# --------------------------------------------------------------------- addition
def _decode_addition(task: AdditionTask, row: list[int]):
    """Independent parse of one addition sequence into (x, y, sum, hints)."""
    plus, eq = row.index(task.plus_token), row.index(task.equals_token)
    end = row.index(task.eos_token)

    def number(part):
        hints, digits = part[0::2], part[1::2]
        value = sum(d * 10**i for i, d in enumerate(digits))  # least significant first
        return value, digits, [h - task.first_hint_token for h in hints]

    return number(row[1:plus]), number(row[plus + 1 : eq]), number(row[eq + 1 : end])


@pytest.mark.parametrize("length", [1, 2, 5, 8])
def test_addition_sums_are_correct_with_consecutive_hints(length):
    task = AdditionTask(train_lengths=range(1, 6), test_lengths=(6, 7, 8))
    assert task.n_hints == 9
    batch = task.sample(200, length, gen(length))
    assert batch.tokens.shape == (200, 6 * length + 6)
    offsets = set()
    for row, mask in zip(batch.tokens.tolist(), batch.target_mask.tolist(), strict=True):
        (x, xd, xh), (y, yd, yh), (s, sd, sh) = _decode_addition(task, row)
        assert x + y == s  # Python integer arithmetic is the reference
        assert len(xd) == len(yd) == length and len(sd) == length + 1
        if length > 1:
            assert xd[-1] != 0 and yd[-1] != 0  # the numbers really have `length` digits
        assert xh == yh == sh[:length]
        assert sh == list(range(sh[0], sh[0] + length + 1))  # consecutive hints
        offsets.add(sh[0])
        n_target = 2 * (length + 1) + 1
        assert mask == [False] * (len(row) - n_target) + [True] * n_target
    # random offsets cover every admissible start, so all hints are used in training
    assert offsets == set(range(task.n_hints - length))


def test_addition_issue_example_renders_as_documented():
    task = AdditionTask(train_lengths=(1, 2), test_lengths=(3,))
    h = task.first_hint_token
    # 123 + 654 = 777, digits least-significant first, hints a b c (d for the carry digit)
    tokens = [task.bos_token, h, 3, h + 1, 2, h + 2, 1, task.plus_token, h, 4, h + 1, 5, h + 2, 6,
              task.equals_token, h, 7, h + 1, 7, h + 2, 7, h + 3, 0, task.eos_token]
    assert task.format_tokens(tokens) == "<bos> a3 b2 c1 + a4 b5 c6 = a7 b7 c7 d0 <eos>"


def test_addition_fixed_hints_and_validation():
    task = AdditionTask(train_lengths=(1, 2), test_lengths=(3,), random_hint_offset=False)
    batch = task.sample(20, 2, gen())
    assert (batch.tokens[:, 1] == task.first_hint_token).all()
    with pytest.raises(ValueError, match="n_hints"):
        AdditionTask(train_lengths=(1, 2), test_lengths=(3,), n_hints=3)
    with pytest.raises(TypeError, match="random_hint_offset"):
        AdditionTask(random_hint_offset="yes")
    with pytest.raises(ValueError, match="n_hints - 1"):
        task.sample(2, 4, gen())


# ---------------------------------------------------------------------- registry
@dataclasses.dataclass(frozen=True)
class ReverseTask(Task):
    name = "reverse-test"
    train_lengths: tuple = (1, 2)
    test_lengths: tuple = (3,)
    vocab_size = 13
    pad_token = 12
    eos_token = 11

    def sample(self, n, length, generator):
        x = torch.randint(10, (n, length), generator=generator)
        tokens = torch.cat([x, torch.full((n, 1), 10), x.flip(1), torch.full((n, 1), 11)], 1)
        mask = torch.zeros_like(tokens, dtype=torch.bool)
        mask[:, length + 1 :] = True
        return TaskBatch(tokens, mask)


def test_registry_round_trip_through_json():
    register_task(ReverseTask)
    register_task(ReverseTask)  # registering the same class again is harmless
    assert {"count", "addition", "reverse-test"} <= set(available_tasks())
    for task in [CountTask(n_numbers=32, train_lengths=(1, 2), test_lengths=(3,)),
                 AdditionTask(n_hints=12), get_task("reverse-test")]:
        data = json.loads(json.dumps(task.to_dict()))
        assert data["name"] == task.name
        assert task_from_dict(data) == task
    assert isinstance(get_task("reverse-test"), ReverseTask)


def test_registry_errors():
    with pytest.raises(ValueError, match=r"unknown task 'nope'.*count"):
        get_task("nope")
    with pytest.raises(ValueError, match="'name' key"):
        task_from_dict({"n_numbers": 3})

    class NotDataclass(Task):
        name = "plain"

    with pytest.raises(TypeError, match="frozen dataclass"):
        register_task(NotDataclass)

    @dataclasses.dataclass(frozen=True)
    class Clash(ReverseTask):
        name = "count"

    with pytest.raises(ValueError, match="already registered as 'count'"):
        register_task(Clash)
    with pytest.raises(TypeError, match="subclass of Task"):
        register_task(dict)
    with pytest.raises(ValueError, match="unknown CountTask field"):
        CountTask.from_dict({"n_numbrs": 3})
    with pytest.raises(ValueError, match="describes task 'addition'"):
        CountTask.from_dict({"name": "addition"})


def test_task_batch_validation():
    tokens = torch.zeros(2, 4, dtype=torch.long)
    mask = torch.zeros(2, 4, dtype=torch.bool)
    with pytest.raises(TypeError, match="int64"):
        TaskBatch(tokens.int(), mask)
    with pytest.raises(ValueError, match="shape"):
        TaskBatch(tokens, mask[:, :3])
    first = mask.clone()
    first[:, 0] = True
    with pytest.raises(ValueError, match="position 0"):
        TaskBatch(tokens, first)
    ragged = mask.clone()
    ragged[0, 2:] = True
    ragged[1, 3:] = True
    with pytest.raises(ValueError, match="same prompt and target length"):
        TaskBatch(tokens, ragged).prompt_and_target()
    gap = mask.clone()
    gap[:, 1] = True
    gap[:, 3] = True
    with pytest.raises(ValueError, match="contiguous"):
        TaskBatch(tokens, gap).prompt_and_target()


# ----------------------------------------------------------------------- configs
def test_configs_round_trip_and_hash():
    model = ModelConfig(depth=3, width=48, heads=3, positional="rope")
    train = TrainConfig(steps=10, betas=[0.9, 0.95], grad_clip=None, data_seed=4)
    assert train.betas == (0.9, 0.95)  # normalised to a tuple (hashable, frozen)
    for cfg in (model, train):
        text = json.dumps(cfg.to_dict())
        assert type(cfg).from_dict(json.loads(text)) == cfg
        with pytest.raises(dataclasses.FrozenInstanceError):
            cfg.depth = 1  # type: ignore[misc]
    task = CountTask()
    key = run_key(task, model, train, 3)
    assert key == run_key(CountTask(), ModelConfig(**model.to_dict()), train, 3)
    assert len({key, run_key(task, model, train, 4),
                run_key(task, ModelConfig(depth=2, width=48, heads=3, positional="rope"), train, 3),
                run_key(CountTask(n_numbers=40), model, train, 3)}) == 4
    with pytest.raises(TypeError, match="to_dict"):
        run_key(object(), model, train, 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"width": 30, "heads": 4}, ValueError, "divisible"),
        ({"positional": "alibi"}, ValueError, "'nope', 'learned', 'rope'"),
        ({"width": 12, "heads": 4, "positional": "rope"}, ValueError, "even head width"),
        ({"depth": 0}, ValueError, "at least 1"),
        ({"depth": 1.0}, TypeError, "integer"),
        ({"mlp_ratio": 0}, ValueError, "> 0"),
        ({"mlp_ratio": float("nan")}, ValueError, "finite"),
        ({"bias": 1}, TypeError, "True or False"),
        ({"max_positions": 0}, ValueError, "at least 1"),
    ],
)
def test_model_config_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        ModelConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"steps": 0}, ValueError, "steps"),
        ({"lr": -1.0}, ValueError, "lr"),
        ({"lr": "0.1"}, TypeError, "number"),
        ({"betas": (0.9,)}, ValueError, "pair"),
        ({"betas": (0.9, 1.0)}, ValueError, "< 1"),
        ({"warmup_fraction": 1.5}, ValueError, "<= 1"),
        ({"grad_clip": 0.0}, ValueError, "grad_clip"),
        ({"eval_samples": 0}, ValueError, "eval_samples"),
        ({"data_seed": -1}, ValueError, "data_seed"),
        ({"eval_train_lengths": "yes"}, TypeError, "eval_train_lengths"),
    ],
)
def test_train_config_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        TrainConfig(**kwargs)


def test_derive_seed_streams_are_distinct_and_stable():
    streams = ("init", "data", "eval", "dropout")
    seeds = {derive_seed(s, stream) for s in range(20) for stream in streams}
    assert len(seeds) == 80
    assert derive_seed(7, "eval", 21) == derive_seed(7, "eval", 21)
    assert derive_seed(7, "eval", 21) != derive_seed(7, "eval", 22)
    assert all(0 <= s < 2**63 for s in seeds)
    with pytest.raises(ValueError, match="stream"):
        derive_seed(0, "noise")
