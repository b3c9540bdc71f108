"""Bundled real populations.

* :func:`load_polypythias` -- PolyPythias: Pythia language models retrained
  with up to ten seeds at four sizes (14M-410M), scored by their loss on
  sequences sampled from unigram and bigram models of the Pile, over 19
  checkpoints. A real seed population with a continuous metric. (MIT,
  EleutherAI/features-across-time.)
* :func:`load_pythia_mmlu` -- mean MMLU accuracy of the Pythia suite (70M-12B,
  standard and deduplicated training data, up to 27 checkpoints, zero- and
  five-shot), computed from the lm-evaluation-harness result files.
  (Apache-2.0, EleutherAI/pythia.)
* :func:`load_count_population` -- 288 small transformers (6 widths x 48
  seeds) trained on CPU by :mod:`distscale.train` to count, scored on
  sequences longer than any seen in training: the fraction of seeds that
  succeed rises from none to all with width. Made here (``scripts/make_count_population.py``).

The tables are small CSV files shipped inside the package (see
``distscale/datasets/data/README.md`` for provenance and every
transformation; the real-data tables are rebuilt by
``scripts/make_datasets.py`` and keep their upstream license files next to
them).

``params`` is the total parameter count of each Pythia size, from the "Total
params" column of the Pythia README / model-card table "Naming convention and
parameter count" (:data:`PYTHIA_PARAMS`).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import pandas as pd

from distscale.datasets._bundled import bundled, check_as_frame
from distscale.datasets._count import (
    COUNT_POPULATION_DEFAULTS,
    COUNT_POPULATION_METRICS,
    load_count_population,
)
from distscale.datasets._pythia import PYTHIA_BATCH_TOKENS, PYTHIA_PARAMS
from distscale.population import Population

__all__ = [
    "COUNT_POPULATION_DEFAULTS",
    "COUNT_POPULATION_METRICS",
    "MMLU_METRICS",
    "POLYPYTHIAS_METRICS",
    "PYTHIA_PARAMS",
    "PYTHIA_VARIANTS",
    "load_count_population",
    "load_polypythias",
    "load_pythia_mmlu",
]

#: Metric columns of :func:`load_polypythias`, in table order.
POLYPYTHIAS_METRICS = (
    "mean_unigram_loss",
    "mean_bigram_loss",
    "bottom_conf_unigram_loss",
    "top_conf_unigram_loss",
    "bottom_conf_bigram_loss",
    "top_conf_bigram_loss",
    "mean_logit_token_js_div",
    "mean_bigram_token_js_div",
    "mean_bigram_logit_js_div",
    "mean_unigram_logit_js_div",
    "bottom_conf_logit_token_js_div",
    "bottom_conf_bigram_token_js_div",
    "bottom_conf_bigram_logit_js_div",
    "bottom_conf_unigram_logit_js_div",
    "top_conf_logit_token_js_div",
    "top_conf_bigram_token_js_div",
    "top_conf_bigram_logit_js_div",
    "top_conf_unigram_logit_js_div",
    "mean_bigram_logit_kl_div",
    "mean_unigram_logit_kl_div",
    "bottom_conf_bigram_logit_kl_div",
    "bottom_conf_unigram_logit_kl_div",
    "top_conf_bigram_logit_kl_div",
    "top_conf_unigram_logit_kl_div",
)
#: Metric columns of :func:`load_pythia_mmlu`.
MMLU_METRICS = ("mmlu_acc", "mmlu_acc_norm")
#: Training-run variants accepted by :func:`load_pythia_mmlu`.
PYTHIA_VARIANTS = tuple(PYTHIA_BATCH_TOKENS)


def _select_step(
    frame: pd.DataFrame, step: object, run_key: list[str], *, as_frame: bool, dataset: str
) -> pd.DataFrame:
    """Rows at ``step``: "final" (each run's last checkpoint), an int, or None (all)."""
    if step is None:
        if not as_frame:
            raise ValueError(
                "step=None keeps every checkpoint, so each run appears once per step and the "
                "rows would give duplicate (scale, seed) rows in a Population; pass "
                "as_frame=True to get the table, or choose one step ('final' or an int)"
            )
        return frame
    if isinstance(step, str):
        if step != "final":
            raise ValueError(f"`step` must be 'final', an int or None; got {step!r}")
        last = frame.groupby(run_key, sort=False)["step"].transform("max")
        return frame.loc[frame["step"] == last]
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise TypeError(f"`step` must be 'final', an int or None; got {type(step).__name__}")
    chosen = frame.loc[frame["step"] == int(step)]
    if chosen.empty:
        steps = sorted(frame["step"].unique().tolist())
        raise ValueError(
            f"`step` {step} is not a checkpoint of {dataset} for this selection; "
            f"available steps: {', '.join(map(str, steps))}"
        )
    return chosen


def load_polypythias(
    *, step: int | str | None = "final", as_frame: bool = False
) -> Population | pd.DataFrame:
    """PolyPythias: Pythia models trained with several seeds, scored on n-gram sequences.

    Sizes 14m, 70m and 160m have seeds 0-9, 410m seeds 0-4 (seed 0 is the
    original Pythia run), each at 19 checkpoints (steps 0, 1, 2, 4, ...,
    256, 1000, 2000, 4000, 8000, 16000, 33000, 66000, 131000, 143000). The
    metrics are the mean cross-entropy loss of each model on 1024 sequences
    sampled from a unigram and from a bigram model of the Pile
    (``mean_unigram_loss``, ``mean_bigram_loss``), their upstream
    confidence bounds (``bottom_conf_*``, ``top_conf_*``), and the KL and
    Jensen-Shannon divergences between the n-gram models and the model's
    predictions (``*_kl_div``, ``*_js_div``). At 14m the final bigram loss
    splits into two clusters: seeds 5 and 6 near 8.3, the others 7.3-7.9.

    Source: EleutherAI/features-across-time @ cd05b0c, ``output/`` (MIT
    license, kept as ``data/LICENSE-polypythias-MIT.txt``); see
    ``data/README.md`` for what was transformed.

    Parameters
    ----------
    step : "final", int or None, default "final"
        ``"final"`` keeps the last checkpoint (step 143000), an int keeps
        that checkpoint, None keeps all 19 (only with ``as_frame=True``:
        several steps per run cannot form a Population).
    as_frame : bool, default False
        Return the DataFrame instead of a Population.

    Returns
    -------
    Population or pandas.DataFrame
        ``Population(scale="params", seed="seed", value=[24 metric
        columns])``, or the table with columns ``model_size`` (label such
        as ``"14m"``), ``params`` (total parameters), ``seed``, ``step``
        and the metric columns.

    Raises
    ------
    ValueError
        If ``step`` is not a checkpoint of the data, is a string other than
        ``"final"``, or is None without ``as_frame=True``.
    TypeError
        If ``step`` or ``as_frame`` has the wrong type.

    Examples
    --------
    >>> from distscale.datasets import load_polypythias
    >>> pop = load_polypythias()
    >>> pop
    Population(35 runs, 4 scales, 5-10 seeds per scale, metrics=[...])
    >>> pop.scales
    array([1.4067712e+07, 7.0426624e+07, 1.6232294e+08, 4.0533402e+08])
    >>> sorted(pop.values("mean_bigram_loss")[0].round(2).tolist())  # 14m: seeds 5, 6 stand apart
    [7.27, 7.39, 7.4, 7.4, 7.41, 7.59, 7.65, 7.88, 8.3, 8.35]
    >>> load_polypythias(step=None, as_frame=True).shape
    (665, 28)
    """
    as_frame = check_as_frame(as_frame)
    frame = bundled("polypythias_ngram.csv.gz")
    frame = _select_step(
        frame, step, ["model_size", "seed"], as_frame=as_frame, dataset="PolyPythias"
    )
    frame = frame.reset_index(drop=True)
    if as_frame:
        return frame
    return Population(frame, scale="params", seed="seed", value=list(POLYPYTHIAS_METRICS))


def _check_variants(variants: object) -> list[str]:
    if isinstance(variants, str):
        variants = (variants,)
    if not isinstance(variants, Sequence) or isinstance(variants, (bytes, bytearray)):
        raise TypeError(
            f"`variants` must be a sequence of variant names; got {type(variants).__name__}"
        )
    if len(variants) == 0:
        raise ValueError(f"`variants` is empty; choose from {list(PYTHIA_VARIANTS)}")
    unknown = [v for v in variants if v not in PYTHIA_VARIANTS]
    if unknown:
        raise ValueError(
            f"unknown `variants` {unknown}; the Pythia variants are {list(PYTHIA_VARIANTS)}"
        )
    return list(dict.fromkeys(variants))


def load_pythia_mmlu(
    *,
    step: int | str | None = "final",
    num_fewshot: int | None = 0,
    variants: Sequence[str] = ("standard", "deduped"),
    as_frame: bool = False,
) -> Population | pd.DataFrame:
    """Mean MMLU accuracy of the Pythia suite across sizes, variants and checkpoints.

    For each Pythia evaluation file: the unweighted mean over the 57 MMLU
    subjects (``hendrycksTest-*``) of ``acc`` and ``acc_norm``, as scored by
    lm-evaluation-harness. Sizes 70m-12b; 27 checkpoints zero-shot (steps
    0-143000) and 15 five-shot (steps 3000-143000).

    The population uses ``scale="params"`` and ``seed="variant"``: the runs
    trained on the standard and on the deduplicated Pile (and the optional
    extra variants) act as replicates at each size. They are not random
    seeds of one recipe -- the training data differ -- so treat them as a
    small, real demonstration population.

    Source: EleutherAI/pythia @ a19eecb, ``evals/pythia-v1/`` (Apache-2.0,
    kept as ``data/LICENSE-pythia-Apache-2.0.txt``); see ``data/README.md``.

    Parameters
    ----------
    step : "final", int or None, default "final"
        ``"final"`` keeps each run's last checkpoint (143000 for the
        standard, deduped and bf16 runs; more steps of smaller batches for
        the batch-size variants, always 299,892,736,000 tokens); an int
        keeps that checkpoint (a step of a batch-size variant is fewer
        tokens; see the ``tokens`` column); None keeps all (only with
        ``as_frame=True``).
    num_fewshot : {0, 5} or None, default 0
        Zero-shot or five-shot evaluations; None keeps both (only with
        ``as_frame=True``).
    variants : sequence of str, default ("standard", "deduped")
        Which training runs: ``"standard"`` (the Pile), ``"deduped"`` (the
        deduplicated Pile), and the separately trained ``"bf16"`` (1b only),
        ``"1MtokBS"`` (1.4b), ``"0.5MtokBS"`` (160m, 410m, 1b) and
        ``"0.25MtokBS"`` (70m) runs, which have five-shot evaluations only.
        Upstream has no standard 1b evaluation, so 1b has only
        ``"deduped"`` by default. The gender-pronoun intervention runs are
        not included.
    as_frame : bool, default False
        Return the DataFrame instead of a Population.

    Returns
    -------
    Population or pandas.DataFrame
        ``Population(scale="params", seed="variant", value=["mmlu_acc",
        "mmlu_acc_norm"])``, or the table with columns ``model_size``,
        ``params``, ``variant``, ``step``, ``tokens``, ``num_fewshot``,
        ``n_subjects`` (57), ``mmlu_acc``, ``mmlu_acc_norm``.

    Raises
    ------
    ValueError
        If a variant is unknown or the list is empty; ``num_fewshot`` is not
        0, 5 or None; ``step`` is not a checkpoint of the selection; None is
        given for ``step`` or ``num_fewshot`` without ``as_frame=True``; or
        the selection has no evaluations.
    TypeError
        If an argument has the wrong type.

    Examples
    --------
    >>> from distscale.datasets import load_pythia_mmlu
    >>> pop = load_pythia_mmlu()
    >>> pop
    Population(15 runs, 8 scales, 1-2 seeds per scale, metrics=['mmlu_acc', 'mmlu_acc_norm'])
    >>> pop.wide("mmlu_acc").round(3).loc[:, 70426624.0]
    variant
    deduped     0.251
    standard    0.253
    Name: 70426624.0, dtype: float64
    """
    as_frame = check_as_frame(as_frame)
    chosen_variants = _check_variants(variants)
    if num_fewshot is None:
        if not as_frame:
            raise ValueError(
                "num_fewshot=None keeps zero- and five-shot evaluations, so each run would "
                "appear twice in a Population; pass as_frame=True, or num_fewshot=0 or 5"
            )
    elif isinstance(num_fewshot, bool) or not isinstance(num_fewshot, numbers.Integral):
        raise TypeError(f"`num_fewshot` must be 0, 5 or None; got {type(num_fewshot).__name__}")
    elif num_fewshot not in (0, 5):
        raise ValueError(f"`num_fewshot` must be 0 or 5 (or None); got {num_fewshot}")

    frame = bundled("pythia_mmlu.csv")
    frame = frame.loc[frame["variant"].isin(chosen_variants)]
    if num_fewshot is not None:
        available = sorted(frame["num_fewshot"].unique().tolist())
        frame = frame.loc[frame["num_fewshot"] == num_fewshot]
        if frame.empty:
            raise ValueError(
                f"no {num_fewshot}-shot MMLU evaluations for variants {chosen_variants}; "
                f"these variants have num_fewshot {available}"
            )
    frame = _select_step(
        frame,
        step,
        ["model_size", "variant", "num_fewshot"],
        as_frame=as_frame,
        dataset="the Pythia MMLU evaluations",
    )
    frame = frame.reset_index(drop=True)
    if as_frame:
        return frame
    return Population(frame, scale="params", seed="variant", value=list(MMLU_METRICS))
