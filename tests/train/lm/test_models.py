"""Tiny transformers LMs from configs, re-initialised from a seed.

References: the transformers models themselves (their own ``_init_weights``,
``save_pretrained`` / ``from_pretrained``) and direct comparison of state
dicts: a re-initialisation must be a function of the seed only, touch
exactly the last ``layers`` blocks and the head, and leave the global torch
RNG as it was.
"""

from __future__ import annotations

import copy

import pytest
import torch

pytest.importorskip("transformers")

from distscale.train import EnsembleTransformer, ModelConfig
from distscale.train.lm.harness import (
    ARCHITECTURES,
    save_model,
    tiny_causal_lm,
    train_tokenizer,
)
from distscale.train.lm.models import (
    decoder_blocks,
    load_causal_lm,
    make_members,
    reinitialize,
)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _block_prefix(model, index):
    blocks = decoder_blocks(model)
    target = blocks[index]
    for name, module in model.named_modules():
        if module is target:
            return name + "."
    raise AssertionError("block not found")


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_reinitialize_is_a_function_of_the_seed(arch):
    base = tiny_causal_lm(arch, vocab_size=40, width=16, layers=3, heads=2, seed=5)
    before = _state(base)
    rng_before = torch.random.get_rng_state()
    a = reinitialize(copy.deepcopy(base), layers=1, seed=3)
    b = reinitialize(copy.deepcopy(base), layers=1, seed=3)
    c = reinitialize(copy.deepcopy(base), layers=1, seed=4)
    assert torch.equal(torch.random.get_rng_state(), rng_before)  # global RNG untouched
    sa, sb, sc = _state(a), _state(b), _state(c)
    assert sa.keys() == sb.keys()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)  # same seed, same weights
    last = _block_prefix(a, -1)
    head = "lm_head.weight" if "lm_head.weight" in sa else "embed_out.weight"
    # the re-initialised matrices differ between seeds and from the pretrained model
    changed = [k for k in sa if k.startswith(last) and sa[k].ndim == 2]
    assert changed and all(not torch.equal(sa[k], sc[k]) for k in changed)
    assert all(not torch.equal(sa[k], before[k]) for k in changed)
    assert not torch.equal(sa[head], sc[head])
    # everything before the last block, embeddings included, stays as pretrained
    embed = a.get_input_embeddings().weight
    assert torch.equal(embed, base.get_input_embeddings().weight)
    assert a.get_output_embeddings().weight is not embed  # untied
    kept = [k for k in sa if not k.startswith(last) and k != head and k in before]
    assert kept and all(torch.equal(sa[k], before[k]) for k in kept)
    # the pretrained model itself is untouched
    assert all(torch.equal(v, before[k]) for k, v in _state(base).items())


def test_qwen2_ties_its_head_and_reinitialize_unties_it():
    base = tiny_causal_lm("qwen2", vocab_size=40, width=16, layers=2, heads=2)
    assert base.get_output_embeddings().weight is base.get_input_embeddings().weight
    model = reinitialize(copy.deepcopy(base), layers=0, seed=1)
    assert model.config.tie_word_embeddings is False
    assert not torch.equal(model.get_output_embeddings().weight,
                           model.get_input_embeddings().weight)
    # layers=0: only the head changed
    kept = {k: v for k, v in _state(model).items() if k != "lm_head.weight"}
    ref = _state(base)
    assert all(torch.equal(v, ref[k]) for k, v in kept.items())


def test_a_saved_untied_model_loads_back_equal(tmp_path):
    tok = train_tokenizer(["the cat sleeps .", "the dogs run ."])
    model = reinitialize(tiny_causal_lm("qwen2", vocab_size=len(tok), width=16, layers=2,
                                        heads=2), layers=1, seed=2)
    folder = save_model(model, tok, tmp_path / "m")
    loaded = load_causal_lm(folder)
    ref = _state(model)
    assert all(torch.equal(v, ref[k]) for k, v in _state(loaded).items())
    ids = torch.tensor([[3, 4, 5]])
    torch.testing.assert_close(loaded(input_ids=ids).logits, model(input_ids=ids).logits)
    with pytest.raises(FileExistsError, match="`folder`"):
        save_model(model, tok, folder)


def test_bad_input_names_the_argument(tmp_path):
    model = tiny_causal_lm("gpt2", vocab_size=30, width=16, layers=2, heads=2)
    with pytest.raises(ValueError, match=r"`layers` \(3\) exceeds the model's 2"):
        reinitialize(model, layers=3, seed=0)
    with pytest.raises(ValueError, match="layers"):
        reinitialize(model, layers=-1, seed=0)
    with pytest.raises(ValueError, match="seed"):
        reinitialize(model, layers=1, seed=-2)
    with pytest.raises(TypeError, match="`model` must be a transformers causal LM"):
        reinitialize(torch.nn.Linear(2, 2), layers=1, seed=0)
    with pytest.raises(FileNotFoundError, match="never downloads"):
        load_causal_lm(tmp_path / "Qwen2.5-0.5B")
    with pytest.raises(FileNotFoundError, match="never downloads"):
        load_causal_lm("Qwen/Qwen2.5-0.5B")
    with pytest.raises(TypeError, match="`model` must be"):
        load_causal_lm(3)
    with pytest.raises(ValueError, match="`arch` must be one of"):
        tiny_causal_lm("llama", vocab_size=30)
    with pytest.raises(ValueError, match="`seeds` must contain"):
        make_members(model, [], layers=1)
    ens = EnsembleTransformer(ModelConfig(depth=2, width=16, heads=2), vocab_size=9, seeds=[0, 1])
    with pytest.raises(ValueError, match="one member"):
        make_members(ens, [0], layers=1)


def test_decoder_blocks_of_each_architecture():
    for arch, path in (("gpt2", "transformer.h"), ("gpt_neox", "gpt_neox.layers"),
                       ("qwen2", "model.layers")):
        model = tiny_causal_lm(arch, vocab_size=30, width=16, layers=3, heads=2)
        blocks = decoder_blocks(model)
        assert blocks is model.get_submodule(path) and len(blocks) == 3


def test_members_of_a_transformers_model_match_reinitialize():
    base = tiny_causal_lm("gpt_neox", vocab_size=30, width=16, layers=2, heads=2, seed=1)
    members = make_members(base, [6, 7], layers=1)
    assert members.kind == "hf" and members.n_members == 2 and members.vocab_size == 30
    ref = _state(reinitialize(copy.deepcopy(base), layers=1, seed=7))
    assert all(torch.equal(v, ref[k]) for k, v in _state(members.models[1]).items())
    ids = torch.tensor([[3, 4, 5, 6]])
    logits = members.logits(ids)
    assert logits.shape == (2, 1, 4, 30)
    torch.testing.assert_close(logits[1], members.models[1](input_ids=ids).logits)


def test_ensemble_members_keep_the_pretrained_blocks_and_reset_the_last():
    """Our EnsembleTransformer as the model: member k re-initialised from seed k only."""
    base = EnsembleTransformer(ModelConfig(depth=3, width=16, heads=2), vocab_size=11, seeds=[0])
    a = make_members(base, [3, 4], layers=1)
    b = make_members(base, [4], layers=1)  # seed 4 alone gives member 1 of `a`
    pa, pb = dict(a.models.named_parameters()), dict(b.models.named_parameters())
    pretrained = dict(base.named_parameters())
    for name, p in pa.items():
        assert torch.equal(p[1], pb[name][0])
        if name.startswith(("blocks.0.", "blocks.1.", "tok_emb")):
            assert torch.equal(p[0], pretrained[name][0]) and torch.equal(p[1], p[0])
    last = [n for n in pa if n.startswith("blocks.2.") and n.endswith("weight")
            and pa[n].ndim >= 3]
    assert last and all(not torch.equal(pa[n][0], pa[n][1]) for n in last)
    assert all(not torch.equal(pa[n][0], pretrained[n][0]) for n in last)
    assert not torch.equal(pa["head.weight"][0], pa["head.weight"][1])


def test_without_transformers_the_import_error_says_what_to_install():
    import subprocess
    import sys

    code = ("import sys; sys.modules['transformers'] = None\n"
            "import distscale, distscale.train\n"
            "assert 'transformers' not in [m for m in sys.modules if sys.modules[m]]\n"
            "try:\n    import distscale.train.lm\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'pip install "distscale[lm]"' in out.stdout
