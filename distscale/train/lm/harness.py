"""Tiny local models and local tasks for lm-evaluation-harness (nothing from the hub).

* :func:`train_tokenizer`: a word-level or BPE tokenizer trained here with
  ``tokenizers`` on local text, as a transformers ``PreTrainedTokenizerFast``.
* :func:`tiny_causal_lm`: a small GPT-2, GPT-NeoX or Qwen2 model built from
  a transformers config (weights drawn from a seed; the global torch RNG is
  left as it was).
* :func:`save_model`: model and tokenizer into a local folder, which the
  harness loads with ``--model hf --model_args pretrained=FOLDER``.
* :func:`write_choice_task`: a multiple-choice task as a JSON Lines data file
  and a task YAML (``dataset_path: json``), for ``--include_path``.
* :func:`run_harness`: one ``lm_eval.simple_evaluate`` call with per-sample
  logging, writing ``results_<date>.json`` and ``samples_<task>_<date>.jsonl``
  exactly as ``lm_eval --output_path OUT --log_samples`` does (the
  ``lm-eval`` extra: ``pip install "distscale[lm-eval]"``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from distscale._lib.outputs import atomic_write
from distscale.train.config import check_int, derive_seed
from distscale.train.lm.language import ChoiceItem

__all__ = ["ARCHITECTURES", "run_harness", "save_model", "tiny_causal_lm", "train_tokenizer",
           "write_choice_task"]

#: Architectures :func:`tiny_causal_lm` builds.
ARCHITECTURES = ("gpt2", "gpt_neox", "qwen2")
_SPECIALS = ("<eos>", "<pad>", "<unk>")
_MANAGERS: dict[tuple[str | None, bool], Any] = {}  # lm_eval TaskManager per setting


def train_tokenizer(texts: Sequence[str], *, kind: str = "word", vocab_size: int = 512) -> Any:
    """Train a tokenizer on ``texts`` with ``tokenizers``; a ``PreTrainedTokenizerFast``.

    Parameters
    ----------
    texts : list of str
    kind : {"word", "bpe"}, default "word"
        Word level (whitespace-split words) or byte-level BPE.
    vocab_size : int, default 512
        Largest vocabulary (the word level keeps every word up to it).

    The special tokens are ``<eos>`` (id 0, also the end-of-text token),
    ``<pad>`` (1) and ``<unk>`` (2).

    Examples
    --------
    >>> tok = train_tokenizer(["the cat sleeps .", "the dogs run ."])
    >>> tok("the cat run", add_special_tokens=False)["input_ids"] == [
    ...     tok.convert_tokens_to_ids(w) for w in ("the", "cat", "run")]
    True
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if isinstance(texts, str) or not texts:
        raise TypeError("`texts` must be a non-empty list of strings")
    vocab_size = check_int("train_tokenizer", "vocab_size", vocab_size, minimum=len(_SPECIALS))
    if kind == "word":
        tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
        tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
        trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, special_tokens=list(_SPECIALS))
    elif kind == "bpe":
        tok = Tokenizer(models.BPE(unk_token="<unk>"))
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(_SPECIALS),
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    else:
        raise ValueError(f"`kind` must be 'word' or 'bpe'; got {kind!r}")
    tok.train_from_iterator(list(texts), trainer=trainer)
    if kind == "word":  # ids in order, specials first (the trainer may leave gaps)
        trained = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
        words = [*_SPECIALS, *(w for w, _ in trained if w not in _SPECIALS)]
        tok.model = models.WordLevel(vocab={w: i for i, w in enumerate(words)},
                                     unk_token="<unk>")
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>", pad_token="<pad>",
                                   unk_token="<unk>")


def tiny_causal_lm(arch: str, *, vocab_size: int, width: int = 32, layers: int = 2,
                   heads: int = 2, max_positions: int = 128, seed: int = 0) -> Any:
    """A small causal LM of a transformers architecture, its weights drawn from ``seed``.

    Parameters
    ----------
    arch : {"gpt2", "gpt_neox", "qwen2"}
    vocab_size, width, layers, heads, max_positions : int
    seed : int
        Weights from ``derive_seed(seed, "init")`` (the global torch RNG is
        restored afterwards).

    Examples
    --------
    >>> model = tiny_causal_lm("qwen2", vocab_size=50, width=16, layers=2, heads=2)
    >>> type(model).__name__, model.config.num_hidden_layers
    ('Qwen2ForCausalLM', 2)
    """
    import transformers as tf

    vocab_size = check_int("tiny_causal_lm", "vocab_size", vocab_size, minimum=len(_SPECIALS))
    ids = {"bos_token_id": 0, "eos_token_id": 0, "pad_token_id": 1}
    if arch == "gpt2":
        config = tf.GPT2Config(vocab_size=vocab_size, n_positions=max_positions, n_embd=width,
                               n_layer=layers, n_head=heads, **ids)
        cls = tf.GPT2LMHeadModel
    elif arch == "gpt_neox":
        config = tf.GPTNeoXConfig(vocab_size=vocab_size, hidden_size=width,
                                  num_hidden_layers=layers, num_attention_heads=heads,
                                  intermediate_size=4 * width,
                                  max_position_embeddings=max_positions, **ids)
        cls = tf.GPTNeoXForCausalLM
    elif arch == "qwen2":
        config = tf.Qwen2Config(vocab_size=vocab_size, hidden_size=width,
                                num_hidden_layers=layers, num_attention_heads=heads,
                                num_key_value_heads=max(1, heads // 2),
                                intermediate_size=4 * width,
                                max_position_embeddings=max_positions,
                                tie_word_embeddings=True, **ids)
        cls = tf.Qwen2ForCausalLM
    else:
        raise ValueError(f"`arch` must be one of {ARCHITECTURES}; got {arch!r}")
    seed = check_int("tiny_causal_lm", "seed", seed, minimum=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "init"))
        model = cls(config)
    return model.eval()


def save_model(model: Any, tokenizer: Any, folder: str | os.PathLike) -> Path:
    """Write ``model`` and ``tokenizer`` to ``folder`` (``save_pretrained``); return it."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"`folder` '{folder}' exists and is not empty; give a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def write_choice_task(folder: str | os.PathLike, items: Sequence[ChoiceItem], *,
                      name: str, target: str = "index") -> Path:
    """A local multiple-choice task for lm-evaluation-harness: ``<name>.jsonl`` + ``<name>.yaml``.

    Each line of the data holds ``context``, ``choices`` (the options
    without their leading space; the harness adds ``target_delimiter`` " "),
    ``gold`` (index) and ``answer`` (the correct option's text). The task
    scores ``acc`` and ``acc_norm``. Pass the folder as ``include_path``.

    Parameters
    ----------
    folder : path
    items : list of ChoiceItem
        Options must start with one space (as :class:`AgreementTask` writes them).
    name : str
        The task name (letters, digits and ``_``).
    target : {"index", "text"}, default "index"
        ``doc_to_target: gold`` (the index) or ``doc_to_target: answer`` (the
        text of the correct option).

    Returns
    -------
    pathlib.Path
        The YAML file.
    """
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        raise ValueError(f"`name` must be letters, digits and '_'; got {name!r}")
    if target not in ("index", "text"):
        raise ValueError(f"`target` must be 'index' or 'text'; got {target!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, item in enumerate(items):
        if not isinstance(item, ChoiceItem):
            raise TypeError(f"`items` must hold ChoiceItem; item {i} is {type(item).__name__}")
        if not all(o.startswith(" ") for o in item.options):
            raise ValueError(f"item {i}: options must start with one space (the delimiter)")
        choices = [o[1:] for o in item.options]
        lines.append(json.dumps({"context": item.context, "choices": choices, "gold": item.gold,
                                 "answer": choices[item.gold]}))
    data = folder / f"{name}.jsonl"
    text = "\n".join(lines) + "\n"
    atomic_write(data, lambda handle: handle.write(text))
    yaml = "\n".join([
        f"task: {name}",
        "dataset_path: json",
        "dataset_kwargs:",
        "  data_files:",
        f"    test: {json.dumps(data.resolve().as_posix())}",
        "test_split: test",
        "output_type: multiple_choice",
        'doc_to_text: "{{context}}"',
        "doc_to_choice: choices",
        f"doc_to_target: {'gold' if target == 'index' else 'answer'}",
        'target_delimiter: " "',
        "metric_list:",
        "  - metric: acc",
        "    aggregation: mean",
        "    higher_is_better: true",
        "  - metric: acc_norm",
        "    aggregation: mean",
        "    higher_is_better: true",
        "metadata:",
        "  version: 1.0",
        "",
    ])
    path = folder / f"{name}.yaml"
    atomic_write(path, lambda handle: handle.write(yaml))
    return path


def run_harness(model: str | os.PathLike, tasks: Sequence[str], *, output_path: str | os.PathLike,
                include_path: str | os.PathLike | None = None, limit: int | float | None = None,
                num_fewshot: int | None = None, batch_size: int = 8, device: str = "cpu",
                include_defaults: bool = True) -> dict[str, Any]:
    """Evaluate a local model folder with lm-evaluation-harness, writing its files.

    The same as ``lm_eval --model hf --model_args pretrained=MODEL,dtype=float32
    --tasks ... --include_path ... --output_path OUTPUT --log_samples``: the
    results and per-sample files go to ``OUTPUT/<model name with / as __>/``
    (or beside ``OUTPUT`` when it ends in ``.json``).

    Parameters
    ----------
    model : path
        A local model folder (see :func:`save_model`).
    tasks : list of str
    output_path : path
        A folder, or a file name ending in ``.json``.
    include_path : path, optional
        A folder of task YAML files (see :func:`write_choice_task`).
    limit, num_fewshot, batch_size, device
        As the harness's options of the same names.
    include_defaults : bool, default True
        Also index the harness's built-in tasks (MMLU, ...). Indexing them
        takes tens of seconds; pass False when every task is in
        ``include_path``. The task index is built once per process and
        setting.

    Returns
    -------
    dict
        The harness's results (without the samples).
    """
    try:
        import lm_eval
        from lm_eval.loggers import EvaluationTracker
        from lm_eval.tasks import TaskManager
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('run_harness needs lm-evaluation-harness: pip install '
                          '"distscale[lm-eval]"') from exc
    folder = Path(model)
    if not folder.is_dir():
        raise FileNotFoundError(f"`model` '{folder}' is not a local model folder")
    key = (None if include_path is None else os.path.abspath(include_path),
           bool(include_defaults))
    if key not in _MANAGERS:
        _MANAGERS[key] = TaskManager(include_path=key[0], include_defaults=key[1])
    manager = _MANAGERS[key]
    tracker = EvaluationTracker(output_path=os.fspath(output_path))
    results = lm_eval.simple_evaluate(
        model="hf", model_args=f"pretrained={folder.as_posix()},dtype=float32",
        tasks=list(tasks), task_manager=manager, device=device, batch_size=batch_size,
        limit=limit, num_fewshot=num_fewshot, log_samples=True, evaluation_tracker=tracker)
    if results is None:  # pragma: no cover - non-zero ranks of a distributed run
        return {}
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for name in results["configs"]:
        tracker.save_results_samples(task_name=name, samples=samples[name])
    return results
