"""Seed populations of language models (the ``lm`` extra: transformers).

Re-initialise the last blocks and the LM head of a pretrained causal LM from
a seed, continue training on a mix of general text and task text at a ratio,
and score the task's multiple-choice items by option log-likelihood: one
row per (ratio, seed), ready for every estimator of distscale. The
embedded default (:func:`synthetic_population`) pretrains a small LM on a
synthetic language here and runs on a CPU in minutes; an LM sweep
(``distscale train CONFIG.toml --store S``, :func:`run_lm_sweep`, or
``Sweep.from_config``) makes large populations resumably through the same
run store, leases, workers and Dask as the synthetic tasks, from a TOML file
such as ``examples/configs/lm_mmlu_qwen.toml`` (the paper's setting, for a
GPU). :mod:`distscale.train.lm.harness` writes a local lm-evaluation-harness
task and tiny local models, so that the harness's own files can be read back
with :func:`distscale.io.read_lm_eval`. See ``docs/lm.md``.

Needs ``pip install "distscale[lm]"`` (transformers, tokenizers); nothing is
downloaded at run time.
"""

from __future__ import annotations

try:
    import transformers  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "distscale.train.lm needs transformers, which is not installed; install it with "
        '`pip install "distscale[lm]"`'
    ) from exc

from distscale.train.lm.data import mmlu_document, mmlu_item, read_documents, read_items
from distscale.train.lm.grid import LMGrid
from distscale.train.lm.language import AgreementTask, ChoiceItem, SyntheticLanguage
from distscale.train.lm.mix import (
    ContinueConfig,
    WordTokenizer,
    continue_training,
    score_choices,
    text_loss,
)
from distscale.train.lm.models import (
    Members,
    decoder_blocks,
    load_causal_lm,
    make_members,
    reinitialize,
)
from distscale.train.lm.population import (
    LM_METRICS,
    SyntheticSetup,
    lm_population,
    pretrain_synthetic,
    synthetic_population,
)
from distscale.train.lm.sweep import (
    lm_sweep,
    load_lm_config,
    read_lm_store,
    run_lm_sweep,
    upgrade_lm_store,
)

__all__ = [
    "LM_METRICS",
    "AgreementTask",
    "ChoiceItem",
    "ContinueConfig",
    "LMGrid",
    "Members",
    "SyntheticLanguage",
    "SyntheticSetup",
    "WordTokenizer",
    "continue_training",
    "decoder_blocks",
    "lm_population",
    "lm_sweep",
    "load_causal_lm",
    "load_lm_config",
    "make_members",
    "mmlu_document",
    "mmlu_item",
    "pretrain_synthetic",
    "read_documents",
    "read_items",
    "read_lm_store",
    "reinitialize",
    "run_lm_sweep",
    "score_choices",
    "synthetic_population",
    "text_loss",
    "upgrade_lm_store",
]
