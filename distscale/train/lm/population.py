"""Seed populations of a pretrained causal LM at data-mix ratios.

:func:`lm_population` takes a pretrained LM (a transformers model or local
folder, or our own one-member :class:`~distscale.train.EnsembleTransformer`),
and for every ratio and seed: copies it, re-initialises its last blocks and
LM head from the seed, continues training on general text mixed with task
text at that ratio, and scores the task's multiple-choice items and the LM
loss on held-out general text. The result is a tidy table, one row per
(ratio, seed), that :class:`distscale.Population` and every estimator take
(``scale="ratio"``, ``seed="seed"``, metrics ``acc``, ``acc_norm``, ``nll``,
``p_correct``, ``lm_loss``).

:class:`SyntheticSetup` and :func:`synthetic_population` are the embedded
default: a small LM pretrained here on the synthetic language of
:mod:`distscale.train.lm.language`, whose agreement task needs a rule the
re-initialised model may or may not pick up. It runs on a CPU in minutes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from distscale.train.config import ConfigMixin, ModelConfig, check_float, check_int
from distscale.train.lm.language import AgreementTask, ChoiceItem, SyntheticLanguage
from distscale.train.lm.mix import (
    ContinueConfig,
    WordTokenizer,
    continue_training,
    item_frame,
    score_choices,
    text_loss,
)
from distscale.train.lm.models import Members, make_members
from distscale.train.model import EnsembleTransformer
from distscale.train.store_schema import LM_DIRECTIONS
from distscale.train.trainer import check_seeds, torch_threads

__all__ = ["LM_METRICS", "SyntheticSetup", "lm_population", "pretrain_synthetic",
           "synthetic_population"]

#: Metric columns of an LM population (the task's, then the LM loss).
LM_METRICS = ("acc", "acc_norm", "nll", "p_correct", "lm_loss")
#: Whether higher is better, per metric (also in the tables' ``attrs["higher_is_better"]``,
#: which :func:`distscale.compare_metrics` reads).
DIRECTIONS = dict(LM_DIRECTIONS)


def _check_ratios(ratios: object) -> list[float]:
    if isinstance(ratios, (int, float)) and not isinstance(ratios, bool):
        ratios = [ratios]
    if isinstance(ratios, (str, bytes)) or not isinstance(ratios, (Sequence, np.ndarray)):
        raise TypeError(f"`ratios` must be a list of task shares in [0, 1]; got {ratios!r}")
    out = [check_float("lm_population", "ratios", r, low=0, high=1) for r in ratios]
    if not out:
        raise ValueError("`ratios` must contain at least one task share")
    if len(set(out)) != len(out):
        raise ValueError(f"`ratios` has duplicates: {out}")
    return out


def lm_population(
    pretrained: Any,
    *,
    tokenizer: Any,
    general: Sequence[str],
    task: Sequence[str],
    items: Sequence[ChoiceItem],
    heldout: Sequence[str],
    ratios: Sequence[float] | float,
    seeds: int | Sequence[int],
    config: ContinueConfig | None = None,
    eos: int | None = None,
    ensemble_size: int | None = None,
    device: str = "cpu",
    samples: bool = False,
    progress: bool = False,
    threads: int | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Re-initialise and continue training ``pretrained`` per seed at each data-mix ratio.

    Parameters
    ----------
    pretrained : transformers causal LM, local model folder, or EnsembleTransformer
        The pretrained model (never changed). An :class:`EnsembleTransformer`
        must have one member; its seeds then train as one batched ensemble.
    tokenizer : WordTokenizer or transformers tokenizer
    general, task : list of str
        Documents of general text and of task text for continued training.
    items : list of ChoiceItem
        The task's multiple-choice evaluation items.
    heldout : list of str
        Held-out general text for the LM loss (the null control).
    ratios : float or list of float
        Shares of task text in the training mix (the scale axis).
    seeds : int or list of int
        Seeds (an int ``n``: ``range(n)``), the same at every ratio.
    config : ContinueConfig, optional
    eos : int, optional
        Token id appended after every training document.
    ensemble_size : int, optional
        Seeds trained at once (default: all for an EnsembleTransformer, 1
        for a transformers model).
    device : str, default "cpu"
    samples : bool, default False
        Also return per-sample rows (ratio, seed, item, option
        log-likelihoods and scores).
    progress : bool, default False
        A ``tqdm`` bar over ratios x seed chunks.
    threads : int, optional
        Torch CPU threads for this call (``torch.set_num_threads``; the
        previous value is restored afterwards), as in
        :func:`~distscale.train.train_population`. None leaves torch's
        setting alone.

    Returns
    -------
    pandas.DataFrame
        One row per (ratio, seed): ``ratio``, ``seed``, ``acc``,
        ``acc_norm``, ``nll`` (mean over items of minus the log-likelihood
        of the correct option), ``p_correct`` (mean probability of the
        correct option among the options), ``lm_loss`` (nats per token of
        held-out general text), ``train_loss`` (mean of the last tenth of
        steps), ``task_share`` (share of task sequences seen), ``n_params``,
        ``layers``, ``steps``, ``ensemble_size``, ``seconds_per_seed``. With
        ``samples=True``, ``(runs, samples)``: the per-sample rows (``ratio``,
        ``seed``, ``sample_id``, ``correct``, ``option_logliks``, and the
        four task metrics per item). Both carry each metric's direction in
        ``attrs["higher_is_better"]``.
    """
    config = ContinueConfig() if config is None else config
    if not isinstance(config, ContinueConfig):
        raise TypeError(f"`config` must be a ContinueConfig; got {type(config).__name__}")
    ratio_list = _check_ratios(ratios)
    seed_list = check_seeds(seeds)
    items = list(items)
    if not items:
        raise ValueError("`items` must contain at least one ChoiceItem")
    is_ensemble = isinstance(pretrained, EnsembleTransformer)
    if ensemble_size is None:
        ensemble_size = len(seed_list) if is_ensemble else 1
    ensemble_size = check_int("lm_population", "ensemble_size", ensemble_size, minimum=1)
    if threads is not None:
        threads = check_int("lm_population", "threads", threads, minimum=1)
    chunks = [seed_list[i:i + ensemble_size] for i in range(0, len(seed_list), ensemble_size)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(ratio_list) * len(seed_list), desc="lm population", unit="run")
    runs, per_sample = [], []
    try:
        with torch_threads(threads):
            for ratio in ratio_list:
                for chunk in chunks:
                    start = time.perf_counter()
                    members = make_members(pretrained, chunk, layers=config.layers, device=device)
                    trained = continue_training(members, general, task, ratio=ratio,
                                                tokenizer=tokenizer, config=config, eos=eos)
                    scores = score_choices(members, items, tokenizer=tokenizer,
                                           pad=0 if eos is None else eos)
                    loss = text_loss(members, heldout, tokenizer=tokenizer, seq_len=config.seq_len,
                                     eos=eos)
                    seconds = (time.perf_counter() - start) / len(chunk)
                    tail = max(1, config.steps // 10)
                    for k, seed in enumerate(chunk):
                        runs.append({
                            "ratio": ratio, "seed": seed,
                            **{m: float(scores[m][k].mean()) for m in LM_METRICS[:4]},
                            "lm_loss": float(loss[k]),
                            "train_loss": float(trained["losses"][k, -tail:].mean()),
                            "task_share": float(trained["task_share"][k]),
                            "n_params": int(members.n_params), "layers": config.layers,
                            "steps": config.steps, "ensemble_size": len(chunk),
                            "seconds_per_seed": seconds,
                        })
                    if samples:
                        frame = item_frame(items, scores, chunk)
                        frame.insert(0, "ratio", ratio)
                        per_sample.append(frame)
                    del members
                    if bar is not None:
                        bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
    table = pd.DataFrame(runs)
    table.attrs["higher_is_better"] = dict(DIRECTIONS)
    if samples:
        frame = pd.concat(per_sample, ignore_index=True)
        frame.attrs["higher_is_better"] = dict(DIRECTIONS)
        return table, frame
    return table


@dataclasses.dataclass(frozen=True)
class SyntheticSetup(ConfigMixin):
    """The embedded default: synthetic language, agreement task, a small LM pretrained here.

    Parameters
    ----------
    language : SyntheticLanguage
        By default general text whose attractors never conflict
        (``p_conflict=0``), so pretraining cannot tell the rule from the
        nearest-noun heuristic.
    task : AgreementTask
    model : ModelConfig
        The pretrained LM (an :class:`EnsembleTransformer` with one member).
    pretrain : ContinueConfig
        Pretraining on general text only (``layers`` is ignored).
    n_general, n_task, n_items, n_heldout : int
        Documents of general and task text, evaluation items, held-out documents.
    data_seed : int
        Seed of the corpora and items (shared by every run).
    pretrain_seed : int
        Initialisation and data seed of pretraining.
    """

    language: SyntheticLanguage = dataclasses.field(
        default_factory=lambda: SyntheticLanguage(p_conflict=0.0))
    task: AgreementTask | None = None
    model: ModelConfig = dataclasses.field(default_factory=lambda: ModelConfig(
        depth=2, width=48, heads=4, positional="learned", max_positions=64))
    pretrain: ContinueConfig = dataclasses.field(default_factory=lambda: ContinueConfig(
        layers=0, steps=400, batch_size=32, seq_len=32, lr=3e-3))
    n_general: int = 4000
    n_task: int = 2000
    n_items: int = 200
    n_heldout: int = 300
    data_seed: int = 0
    pretrain_seed: int = 12345

    def __post_init__(self) -> None:
        for name, cls in (("language", SyntheticLanguage), ("model", ModelConfig),
                          ("pretrain", ContinueConfig)):
            value = getattr(self, name)
            if isinstance(value, dict):
                object.__setattr__(self, name, cls.from_dict(value))
            elif not isinstance(value, cls):
                raise TypeError(f"SyntheticSetup `{name}` must be a {cls.__name__}; "
                                f"got {type(value).__name__}")
        task = self.task
        if task is None:
            task = AgreementTask(language=self.language)
        elif isinstance(task, dict):
            task = AgreementTask(**{k: v for k, v in task.items() if k != "name"})
        if not isinstance(task, AgreementTask):
            raise TypeError(f"SyntheticSetup `task` must be an AgreementTask; got {task!r}")
        object.__setattr__(self, "task", task)
        for name in ("n_general", "n_task", "n_items", "n_heldout"):
            check_int("SyntheticSetup", name, getattr(self, name), minimum=1)
        for name in ("data_seed", "pretrain_seed"):
            check_int("SyntheticSetup", name, getattr(self, name), minimum=0)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in out.items()}

    def data(self) -> dict[str, Any]:
        """The corpora and items: ``general``, ``task``, ``items``, ``heldout`` (deterministic)."""
        seeds = np.random.SeedSequence(self.data_seed).spawn(4)
        task: AgreementTask = self.task  # type: ignore[assignment]  # set in __post_init__
        return {
            "general": self.language.documents(self.n_general, np.random.default_rng(seeds[0])),
            "task": task.documents(self.n_task, np.random.default_rng(seeds[1])),
            "items": task.items(self.n_items, np.random.default_rng(seeds[2])),
            "heldout": self.language.documents(self.n_heldout, np.random.default_rng(seeds[3])),
        }


_PRETRAINED: dict[str, tuple[EnsembleTransformer, dict[str, Any]]] = {}


def pretrain_synthetic(setup: SyntheticSetup | None = None, *, progress: bool = False
                       ) -> tuple[EnsembleTransformer, WordTokenizer, dict[str, Any]]:
    """Pretrain the embedded default LM on general text (cached per setup in this process).

    Returns
    -------
    (model, tokenizer, data)
        A one-member :class:`EnsembleTransformer`, the word tokenizer of the
        language, and :meth:`SyntheticSetup.data`.

    Examples
    --------
    >>> from distscale.train.lm import ContinueConfig
    >>> setup = SyntheticSetup(pretrain=ContinueConfig(steps=2, batch_size=2, seq_len=8),
    ...                        n_general=20, n_task=5, n_items=3, n_heldout=5)
    >>> model, tok, data = pretrain_synthetic(setup)
    >>> model.ensemble_size, len(data["items"]), tok.encode("the cat")
    (1, 3, [3, 5])
    """
    setup = SyntheticSetup() if setup is None else setup
    if not isinstance(setup, SyntheticSetup):
        raise TypeError(f"`setup` must be a SyntheticSetup; got {type(setup).__name__}")
    import json

    key = json.dumps(setup.to_dict(), sort_keys=True)
    tokenizer = WordTokenizer(setup.language.vocabulary)
    if key not in _PRETRAINED:
        data = setup.data()
        model = EnsembleTransformer(setup.model, vocab_size=len(tokenizer.vocabulary),
                                    seeds=[setup.pretrain_seed])
        members = Members("ensemble", model, [setup.pretrain_seed])
        continue_training(members, data["general"], data["general"], ratio=0.0,
                          tokenizer=tokenizer, config=setup.pretrain)
        _PRETRAINED.clear()
        _PRETRAINED[key] = (model, data)
    model, data = _PRETRAINED[key]
    return model, tokenizer, data


def synthetic_population(
    ratios: Sequence[float] | float, seeds: int | Sequence[int], *,
    setup: SyntheticSetup | None = None, config: ContinueConfig | None = None,
    samples: bool = False, progress: bool = False, ensemble_size: int | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """The embedded default population: pretrain once, then re-initialise and train per seed.

    ``config`` defaults to ``ContinueConfig(layers=2, steps=450,
    batch_size=16, seq_len=24)``: both blocks of the default 2-block model
    and the head re-drawn per seed (the embeddings and the final norm stay pretrained), the
    setting in which seeds split between the heuristic and the rule at task
    shares near 0.005 (measured in ``docs/lm.md``; ``layers=1`` with 300
    steps gives a smooth unimodal shift instead). See :func:`lm_population`
    for the table.
    """
    setup = SyntheticSetup() if setup is None else setup
    config = ContinueConfig(layers=2, steps=450, batch_size=16, seq_len=24) \
        if config is None else config
    model, tokenizer, data = pretrain_synthetic(setup, progress=progress)
    return lm_population(model, tokenizer=tokenizer, general=data["general"], task=data["task"],
                         items=data["items"], heldout=data["heldout"], ratios=ratios,
                         seeds=seeds, config=config, samples=samples, progress=progress,
                         ensemble_size=ensemble_size)
