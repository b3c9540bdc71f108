"""The synthetic language, its agreement task, and populations of re-initialised LMs.

References: the grammar's own definition (every item's gold option agrees
in number with the head noun, the attractor always has the other number;
checked word by word here), determinism (a population is a function of its
seeds), and independence of the seeds (a seed trained in a batch of seeds
equals the same seed trained alone).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")

from distscale import Population
from distscale.train import ModelConfig
from distscale.train.lm import (
    LM_METRICS,
    AgreementTask,
    ContinueConfig,
    SyntheticLanguage,
    SyntheticSetup,
    lm_population,
    pretrain_synthetic,
    synthetic_population,
)
from distscale.train.lm.harness import tiny_causal_lm, train_tokenizer
from distscale.train.lm.language import _NOUNS, _VERBS

SINGULAR = {s: n for n, (s, _) in enumerate(_NOUNS)}
PLURAL = {p: n for n, (_, p) in enumerate(_NOUNS)}
VERB_NUMBER = {w: num for pair in _VERBS for num, w in enumerate(pair)}


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _nouns(words):
    return [(w, 0 if w in SINGULAR else 1) for w in words if w in SINGULAR or w in PLURAL]


def test_items_need_the_head_noun_rule():
    task = AgreementTask()
    for item in task.items(200, rng=3):
        (head, number), (_, attractor) = _nouns(item.context.split())
        assert attractor == 1 - number  # the attractor always conflicts
        verbs = [o.strip() for o in item.options]
        assert len(set(verbs)) == 4
        gold = verbs[item.gold]
        assert VERB_NUMBER[gold] == number  # the gold verb agrees with the head
        noun = SINGULAR.get(head, PLURAL.get(head))
        assert gold == _VERBS[task.language.favourite(noun)][number]
    golds = [item.gold for item in task.items(400, rng=4)]
    assert set(golds) == {0, 1, 2, 3}  # the position of the answer is random


def test_general_text_without_conflicts_and_task_text_with_them():
    lang = SyntheticLanguage(p_conflict=0.0)
    conflicts, phrases = 0, 0
    for doc in lang.documents(200, rng=0):
        for sentence in doc.replace(" <eos>", "").split(" . "):
            words = sentence.rstrip(" .").split()
            nouns = _nouns(words)
            verb = VERB_NUMBER[words[-1]]
            assert verb == nouns[0][1]  # agreement with the head, always
            if len(nouns) == 2:
                phrases += 1
                conflicts += nouns[1][1] != nouns[0][1]
    assert conflicts == 0 and phrases > 100
    task_conflicts = 0
    for doc in AgreementTask(language=lang).documents(50, rng=1):
        for sentence in doc.replace(" <eos>", "").split(" . "):
            nouns = _nouns(sentence.rstrip(" .").split())
            assert VERB_NUMBER[sentence.rstrip(" .").split()[-1]] == nouns[0][1]
            task_conflicts += len(nouns) == 2 and nouns[1][1] != nouns[0][1]
    assert task_conflicts == 150  # p_phrase_train=1: every task sentence conflicts


def test_language_rejects_bad_settings():
    with pytest.raises(ValueError, match="p_conflict"):
        SyntheticLanguage(p_conflict=1.5)
    with pytest.raises(ValueError, match="low <= high"):
        SyntheticLanguage(sentences=(4, 2))
    with pytest.raises(TypeError, match="`sentences` must be a pair"):
        SyntheticLanguage(sentences=3)
    with pytest.raises(TypeError, match="`language` must be a SyntheticLanguage"):
        AgreementTask(language="english")
    with pytest.raises(ValueError, match="n"):
        AgreementTask().items(0, rng=0)


SMALL = SyntheticSetup(model=ModelConfig(depth=2, width=16, heads=2, positional="learned",
                                         max_positions=32),
                       pretrain=ContinueConfig(layers=0, steps=30, batch_size=8, seq_len=16),
                       n_general=80, n_task=40, n_items=24, n_heldout=20)
QUICK = ContinueConfig(layers=1, steps=8, batch_size=8, seq_len=16)


def test_synthetic_population_is_tidy_deterministic_and_per_seed():
    runs, samples = synthetic_population([0.0, 0.5], [0, 1, 2], setup=SMALL, config=QUICK,
                                         samples=True)
    assert list(runs.columns[:7]) == ["ratio", "seed", *LM_METRICS]
    assert len(runs) == 6 and runs.groupby("ratio").size().tolist() == [3, 3]
    assert set(runs["ensemble_size"]) == {3}
    assert runs.loc[runs["ratio"] == 0.0, "task_share"].eq(0).all()
    assert runs[list(LM_METRICS)].notna().all().all()
    assert runs["acc"].between(0, 1).all() and runs["p_correct"].between(0, 1).all()
    # seeds differ
    assert runs.loc[runs["ratio"] == 0.5, "lm_loss"].nunique() == 3
    # run-level metrics are the means of the per-sample rows
    means = samples.groupby(["ratio", "seed"])[["acc", "acc_norm", "nll", "p_correct"]].mean()
    merged = runs.set_index(["ratio", "seed"])[means.columns].loc[means.index]
    np.testing.assert_allclose(merged.to_numpy(), means.to_numpy())
    assert len(samples) == 6 * SMALL.n_items
    assert samples.attrs["higher_is_better"]["nll"] is False
    assert samples.attrs["higher_is_better"]["p_correct"] is True
    # one seed at a time gives the same population (seeds are independent)
    alone = synthetic_population([0.0, 0.5], [2], setup=SMALL, config=QUICK, ensemble_size=1)
    again = runs[runs["seed"] == 2].reset_index(drop=True)
    cols = ["acc", "nll", "lm_loss", "task_share"]
    np.testing.assert_allclose(alone[cols].to_numpy(), again[cols].to_numpy(), rtol=1e-4)
    # every estimator takes it
    pop = Population(runs, scale="ratio", seed="seed", value=["acc", "nll", "lm_loss"])
    assert len(pop.scales) == 2


def test_a_transformers_model_as_the_pretrained_model():
    setup = SMALL
    data = setup.data()
    tok = train_tokenizer([*data["general"], *data["task"]])
    model = tiny_causal_lm("qwen2", vocab_size=len(tok), width=16, layers=2, heads=2, seed=1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    config = ContinueConfig(layers=1, steps=4, batch_size=4, seq_len=16)
    runs = lm_population(model, tokenizer=tok, general=data["general"], task=data["task"],
                         items=data["items"][:8], heldout=data["heldout"], ratios=[0.2],
                         seeds=2, config=config, eos=tok.eos_token_id)
    assert runs["seed"].tolist() == [0, 1] and set(runs["ensemble_size"]) == {1}
    assert runs["nll"].nunique() == 2
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    again = lm_population(model, tokenizer=tok, general=data["general"], task=data["task"],
                          items=data["items"][:8], heldout=data["heldout"], ratios=0.2,
                          seeds=[1], config=config, eos=tok.eos_token_id)
    assert again["nll"].iloc[0] == pytest.approx(runs["nll"].iloc[1], rel=1e-5)


def test_population_rejects_bad_arguments():
    model, tok, data = pretrain_synthetic(SMALL)
    kwargs = dict(tokenizer=tok, general=data["general"], task=data["task"],
                  items=data["items"], heldout=data["heldout"], seeds=1, config=QUICK)
    with pytest.raises(ValueError, match="`ratios` has duplicates"):
        lm_population(model, ratios=[0.1, 0.1], **kwargs)
    with pytest.raises(ValueError, match="ratios"):
        lm_population(model, ratios=[1.2], **kwargs)
    with pytest.raises(TypeError, match="`ratios` must be a list"):
        lm_population(model, ratios="0.1", **kwargs)
    with pytest.raises(ValueError, match="`ratios` must contain"):
        lm_population(model, ratios=[], **kwargs)
    with pytest.raises(TypeError, match="`config` must be a ContinueConfig"):
        lm_population(model, ratios=[0.1], **{**kwargs, "config": {}})
    with pytest.raises(ValueError, match="`items` must contain"):
        lm_population(model, ratios=[0.1], **{**kwargs, "items": []})
    with pytest.raises(TypeError, match="`setup` must be a SyntheticSetup"):
        pretrain_synthetic({"n_general": 3})
    with pytest.raises(ValueError, match="n_items"):
        SyntheticSetup(n_items=0)


def test_a_model_with_dropout_gives_the_same_run_whatever_the_global_torch_seed():
    # GPT-2 keeps dropout 0.1 on during continued training; its masks must come from the
    # run's seeds, not from torch's global generator (found when the guide page's run
    # changed between two calls)
    data = SMALL.data()
    tok = train_tokenizer([*data["general"], *data["task"]])
    model = tiny_causal_lm("gpt2", vocab_size=len(tok), width=16, layers=2, heads=2, seed=1)
    assert model.config.resid_pdrop > 0
    config = ContinueConfig(layers=1, steps=6, batch_size=4, seq_len=16)
    runs = []
    for global_seed in (0, 1):
        torch.manual_seed(global_seed)
        runs.append(lm_population(model, tokenizer=tok, general=data["general"],
                                  task=data["task"], items=data["items"][:8],
                                  heldout=data["heldout"], ratios=0.2, seeds=[3], config=config,
                                  eos=tok.eos_token_id))
    state = torch.random.get_rng_state()
    assert runs[0]["nll"].iloc[0] == runs[1]["nll"].iloc[0]
    assert runs[0]["lm_loss"].iloc[0] == runs[1]["lm_loss"].iloc[0]
    torch.manual_seed(1)
    lm_population(model, tokenizer=tok, general=data["general"], task=data["task"],
                  items=data["items"][:8], heldout=data["heldout"], ratios=0.2, seeds=[3],
                  config=config, eos=tok.eos_token_id)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's generator untouched


def test_threads_are_set_for_the_call_and_restored(monkeypatch):
    # as train_population's `threads=`: torch's count during the call, the caller's after
    # it -- also when the call fails part-way
    import distscale.train.lm.population as module

    model, tok, data = pretrain_synthetic(SMALL)
    kwargs = dict(tokenizer=tok, general=data["general"], task=data["task"],
                  items=data["items"], heldout=data["heldout"], ratios=[0.1], seeds=1,
                  config=QUICK)
    seen = []

    def fail(*args, **kw):
        seen.append(torch.get_num_threads())
        raise RuntimeError("stop here")

    monkeypatch.setattr(module, "continue_training", fail)
    torch.set_num_threads(2)
    try:
        with pytest.raises(RuntimeError, match="stop here"):
            lm_population(model, threads=1, **kwargs)
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)  # as the module's autouse fixture leaves it
    with pytest.raises(ValueError, match="threads"):
        lm_population(model, threads=0, **kwargs)
