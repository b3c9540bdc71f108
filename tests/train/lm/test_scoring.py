"""Option log-likelihood scoring, the LM loss and the training mix, checked by hand.

References:
* a bigram "LM" whose next-token log-probabilities are a fixed table, so
  every option's log-likelihood is a sum of table entries computed here with
  NumPy (hand computation), and acc / acc_norm / NLL / P(correct) follow from
  their definitions (lm-evaluation-harness ``multiple_choice``: argmax of
  the log-likelihoods; acc_norm divides by the characters of the choice);
* a tiny GPT-2 scored one option at a time without padding (the obvious
  reference for the batched, padded scoring);
* ``torch.nn.functional.cross_entropy`` on the same windows for the LM loss.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")

from distscale.train import EnsembleTransformer, ModelConfig
from distscale.train.lm import (
    ChoiceItem,
    ContinueConfig,
    WordTokenizer,
    continue_training,
    score_choices,
    text_loss,
)
from distscale.train.lm.harness import tiny_causal_lm, train_tokenizer
from distscale.train.lm.models import Members, make_members

VOCAB = ["<eos>", "<pad>", "<unk>", "the", "cat", "dog", "runs", "run", "sleeps", "a"]


class _Output:
    def __init__(self, logits):
        self.logits = logits


class Bigram(torch.nn.Module):
    """logits[b, t] = table[ids[b, t]]: a model whose scores are computable by hand."""

    def __init__(self, table):
        super().__init__()
        self.table = torch.nn.Parameter(torch.as_tensor(table, dtype=torch.float32))
        self.config = None

    def get_output_embeddings(self):  # pragma: no cover - only marks a causal LM
        return None

    def forward(self, input_ids, attention_mask=None, use_cache=False):
        return _Output(self.table[input_ids])


def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def test_scores_equal_a_hand_computation():
    rng = np.random.default_rng(0)
    table = rng.normal(scale=2.0, size=(2, len(VOCAB), len(VOCAB)))
    members = Members("hf", [Bigram(t) for t in table], [0, 1])
    tok = WordTokenizer(VOCAB)
    items = [ChoiceItem("the cat", (" runs", " run", " sleeps the dog"), 0),
             ChoiceItem("a dog", (" sleeps", " runs"), 1),
             ChoiceItem("the", (" cat runs", " dog", " a"), 2)]
    out = score_choices(members, items, tokenizer=tok, batch_size=2)  # chunks across items
    logp = _log_softmax(table.astype(np.float32).astype(float))
    for k in range(2):
        for i, item in enumerate(items):
            ctx = tok.encode(item.context)
            ll = []
            for option in item.options:
                seq = ctx + tok.encode(option)
                ll.append(sum(logp[k, seq[t - 1], seq[t]] for t in range(len(ctx), len(seq))))
            ll = np.array(ll)
            np.testing.assert_allclose(out["logliks"][i][k], ll, rtol=1e-5)
            chars = np.array([len(o) - 1 for o in item.options])  # without the leading space
            assert out["acc"][k, i] == float(ll.argmax() == item.gold)
            assert out["acc_norm"][k, i] == float((ll / chars).argmax() == item.gold)
            assert out["nll"][k, i] == pytest.approx(-ll[item.gold], rel=1e-5)
            p = np.exp(ll - ll.max())
            assert out["p_correct"][k, i] == pytest.approx(p[item.gold] / p.sum(), rel=1e-5)
    assert out["acc"].shape == (2, 3)


def test_acc_norm_can_differ_from_acc():
    """A long option with a higher total but a lower per-character log-likelihood."""
    table = np.zeros((len(VOCAB), len(VOCAB)))
    table[4, 6] = 3.0  # cat -> runs likely
    table[6, 3] = 3.0  # runs -> the likely
    members = Members("hf", [Bigram(table)], [0])
    item = ChoiceItem("the cat", (" runs the the the", " runs"), 1)
    out = score_choices(members, [item], tokenizer=WordTokenizer(VOCAB))
    ll = out["logliks"][0][0]
    assert ll[0] < ll[1]  # three more tokens cost log-probability
    item2 = ChoiceItem("the cat", (" runs the", " sleeps"), 1)
    out2 = score_choices(members, [item2], tokenizer=WordTokenizer(VOCAB))
    ll2 = out2["logliks"][0][0]
    assert ll2[0] > ll2[1] and out2["acc"][0, 0] == 0.0
    # per character: " runs the" (8 chars) vs " sleeps" (6 chars)
    assert out2["acc_norm"][0, 0] == float(ll2[1] / 6 > ll2[0] / 8)


def test_batched_padded_scoring_equals_one_option_at_a_time():
    tok = train_tokenizer([" ".join(VOCAB[3:])])
    model = tiny_causal_lm("gpt2", vocab_size=len(tok), width=16, layers=2, heads=2, seed=3)
    items = [ChoiceItem("the cat", (" runs", " sleeps the dog", " run"), 1),
             ChoiceItem("a dog the cat", (" sleeps", " runs the cat the dog"), 0)]
    out = score_choices(Members("hf", [model], [0]), items, tokenizer=tok, pad=1)
    with torch.no_grad():
        for i, item in enumerate(items):
            ctx = tok(item.context, add_special_tokens=False)["input_ids"]
            for j, option in enumerate(item.options):
                cont = tok(item.context + option, add_special_tokens=False)["input_ids"][len(ctx):]
                ids = torch.tensor([ctx + cont])
                logp = model(input_ids=ids).logits[0, :-1].log_softmax(-1)
                ref = sum(float(logp[len(ctx) - 1 + t, c]) for t, c in enumerate(cont))
                assert out["logliks"][i][0, j] == pytest.approx(ref, abs=1e-4)


def test_text_loss_equals_cross_entropy_of_the_windows():
    ens = EnsembleTransformer(ModelConfig(depth=1, width=16, heads=2), vocab_size=len(VOCAB),
                              seeds=[0, 1])
    members = Members("ensemble", ens, [0, 1])
    tok = WordTokenizer(VOCAB)
    texts = ["the cat runs the dog sleeps a cat", "a dog runs the cat run"]
    loss = text_loss(members, texts, tokenizer=tok, seq_len=4, eos=0)
    ids = []
    for t in texts:
        ids += tok.encode(t) + [0]
    windows = torch.tensor(ids[:15]).view(3, 5)  # 16 tokens -> 3 windows of 5
    with torch.no_grad():
        logits = ens(windows[:, :-1].expand(2, -1, -1))
    for k in range(2):
        ref = torch.nn.functional.cross_entropy(logits[k].reshape(-1, len(VOCAB)),
                                                windows[:, 1:].reshape(-1))
        assert loss[k] == pytest.approx(float(ref), rel=1e-5)


def test_training_mix_share_and_independent_members():
    tok = WordTokenizer(VOCAB)
    general = ["the cat runs the dog sleeps"] * 4
    task = ["a a a a a a a a"] * 4
    base = EnsembleTransformer(ModelConfig(depth=2, width=16, heads=2), vocab_size=len(VOCAB),
                               seeds=[0])
    config = ContinueConfig(layers=1, steps=6, batch_size=20, seq_len=4)
    for ratio, share in ((0.0, 0.0), (1.0, 1.0)):
        out = continue_training(make_members(base, [0], layers=1), general, task, ratio=ratio,
                                tokenizer=tok, config=config, eos=0)
        assert out["task_share"].tolist() == [share]
    out = continue_training(make_members(base, [0, 1], layers=1), general, task, ratio=0.3,
                            tokenizer=tok, config=config, eos=0)
    # binomial(120, 0.3): within 4 standard deviations of 0.3
    assert np.all(np.abs(out["task_share"] - 0.3) < 4 * np.sqrt(0.21 / 120))
    # a member trained beside another equals the same seed trained alone (its own data,
    # its own gradient clipping)
    pair = make_members(base, [0, 1], layers=1)
    alone = make_members(base, [1], layers=1)
    lp = continue_training(pair, general, task, ratio=0.5, tokenizer=tok, config=config)
    la = continue_training(alone, general, task, ratio=0.5, tokenizer=tok, config=config)
    np.testing.assert_allclose(lp["losses"][1], la["losses"][0], rtol=1e-4)


def test_bad_input_names_the_argument():
    tok = WordTokenizer(VOCAB)
    members = Members("hf", [Bigram(np.zeros((len(VOCAB), len(VOCAB))))], [0])
    with pytest.raises(ValueError, match="`items` is empty"):
        score_choices(members, [], tokenizer=tok)
    with pytest.raises(TypeError, match="`items` must hold ChoiceItem"):
        score_choices(members, [("the", (" cat",), 0)], tokenizer=tok)
    with pytest.raises(ValueError, match="every option must give tokens"):
        score_choices(members, [ChoiceItem("the", ("",), 0)], tokenizer=tok)
    with pytest.raises(TypeError, match="`tokenizer` must be"):
        score_choices(members, [ChoiceItem("the", (" cat",), 0)], tokenizer=3)
    base = EnsembleTransformer(ModelConfig(depth=1, width=16, heads=2), vocab_size=len(VOCAB),
                               seeds=[0])
    config = ContinueConfig(steps=1, batch_size=2, seq_len=4)
    with pytest.raises(ValueError, match="ratio"):
        continue_training(make_members(base, [0], layers=1), ["the cat runs the dog"],
                          ["a a"], ratio=1.5, tokenizer=tok, config=config)
    with pytest.raises(ValueError, match=r"`general` has 3 tokens.*at least 5"):
        continue_training(make_members(base, [0], layers=1), ["the cat runs"], ["a a"],
                          ratio=0.0, tokenizer=tok, config=config)
    with pytest.raises(TypeError, match="`task` must be a non-empty list"):
        continue_training(make_members(base, [0], layers=1), ["the cat runs the dog"], "a a",
                          ratio=0.5, tokenizer=tok, config=config)
    with pytest.raises(TypeError, match="`config` must be a ContinueConfig"):
        continue_training(make_members(base, [0], layers=1), ["the cat runs the dog"],
                          ["a a"], ratio=0.5, tokenizer=tok, config={"steps": 1})
    with pytest.raises(ValueError, match="`trainable` must be"):
        ContinueConfig(trainable="head")
    with pytest.raises(ValueError, match="steps"):
        ContinueConfig(steps=0)
    with pytest.raises(ValueError, match="repeated words"):
        WordTokenizer(["a", "a"])
