"""The bundled count-task population, made by :mod:`distscale.train`."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from distscale.datasets._bundled import bundled, check_as_frame
from distscale.io.run_table import EVAL_METRICS, summarize_runs
from distscale.population import Population

__all__ = ["COUNT_POPULATION_DEFAULTS", "COUNT_POPULATION_METRICS", "load_count_population"]

#: Metric columns of :func:`load_count_population` (the trainer's
#: :data:`distscale.io.run_table.EVAL_METRICS`).
COUNT_POPULATION_METRICS = EVAL_METRICS

#: How the main job (``distscale report`` without a path) reads the population:
#: scale = parameter count, one value per seed = OOD exact match, a seed
#: "succeeds" when it gets more than half the longer sequences exactly right.
COUNT_POPULATION_DEFAULTS = {
    "scale": "n_params",
    "seed": "seed",
    "value": "exact_match",
    "threshold": 0.5,
    "bounds": (0.0, 1.0),
}


def load_count_population(
    *, level: str = "run", lengths: Sequence[int] | None = None, as_frame: bool = False
) -> Population | pd.DataFrame:
    """Seeds of small transformers taught to count, scored on longer sequences.

    288 runs made on a CPU by :mod:`distscale.train`: decoder-only
    transformers of depth 2, 4 heads and no positional encoding, at widths
    16, 24, 32, 40, 48 and 64 (the scale axis; ``n_params`` is the
    parameter count), 48 seeds each, trained for 1,000 AdamW steps on the
    count task (``<bos> a b > a a+1 ... b <eos>``) with sequences of 1-20
    numbers and scored on 128 sequences of each length 21-30 (out of
    distribution) by greedy decoding. The metrics are exact match,
    per-token accuracy, normalised edit distance, mean target NLL, and the
    teacher-forced exact match and token accuracy (see
    :mod:`distscale.train.evaluate`).

    Seeds split into those that learn to count past the training lengths
    and those that stop early: the fraction of seeds that succeed grows from
    none to all with width, and at the transition the seed distribution is
    wide and skewed (at width 32, 4 of 48 seeds at 0.81-1.0 apart from the
    rest at 0.10-0.52; too few for ``modality_scan`` to establish a second
    mode). ``distscale/datasets/data/count_population.md`` records the
    configuration, the commands that regenerate the file
    (``scripts/count_population.toml``, ``scripts/make_count_population.py``),
    the time it took and the per-width histograms.

    Parameters
    ----------
    level : {"run", "length"}, default "run"
        One row per run (metrics averaged over ``lengths``) or one row per
        run and test length (only with ``as_frame=True``: several rows per
        seed cannot form a Population).
    lengths : sequence of int, optional
        Test lengths to average over at ``level="run"`` (default all,
        21-30), e.g. ``[28, 29, 30]`` for the longest.
    as_frame : bool, default False
        Return the DataFrame instead of a Population.

    Returns
    -------
    Population or pandas.DataFrame
        ``Population(scale="n_params", seed="seed", value=[the six
        metrics])``, or the table: run columns (``run_id``, ``task``,
        ``depth``, ``width``, ``heads``, ``mlp_ratio``, ``positional``,
        ``n_params``, ``steps``, ``seed``), ``n_lengths`` (run level) or
        ``split``/``length`` (length level), the metric columns and the
        training columns (``train_loss``, ``ensemble_size``,
        ``seconds_per_seed``).

    Raises
    ------
    ValueError
        If ``level`` is unknown, ``level="length"`` without
        ``as_frame=True``, or ``lengths`` holds a length that was not
        evaluated.
    TypeError
        If ``as_frame`` is not a bool or ``lengths`` holds a non-integer.

    See Also
    --------
    distscale.datasets.COUNT_POPULATION_DEFAULTS : the columns and
        threshold the main job uses.

    Examples
    --------
    >>> from distscale.datasets import load_count_population
    >>> pop = load_count_population()
    >>> pop
    Population(288 runs, 6 scales, 48 seeds per scale, metrics=[...])
    >>> pop.scales  # parameter counts of widths 16, 24, 32, 40, 48, 64
    array([  8768.,  17760.,  29824.,  44960.,  63168., 108800.])
    >>> [float((v > 0.5).mean().round(2)) for v in pop.values("exact_match")]  # P(success)
    [0.0, 0.0, 0.1, 0.83, 0.94, 1.0]
    >>> load_count_population(level="length", as_frame=True).shape
    (2880, 21)
    """
    as_frame = check_as_frame(as_frame)
    if level not in ("run", "length"):
        raise ValueError(f"`level` must be 'run' or 'length'; got {level!r}")
    frame = bundled("count_population.csv.gz")
    if level == "length":
        if lengths is not None:
            raise ValueError("`lengths` selects what to average at level='run'; "
                             "at level='length' filter the rows yourself")
        if not as_frame:
            raise ValueError(
                "level='length' has one row per seed and test length, which cannot form a "
                "Population (duplicate (scale, seed) rows); pass as_frame=True, or use "
                "level='run'"
            )
        return frame
    frame = summarize_runs(frame, lengths=lengths)
    if as_frame:
        return frame
    return Population(frame, scale=COUNT_POPULATION_DEFAULTS["scale"],
                      seed=COUNT_POPULATION_DEFAULTS["seed"], value=list(EVAL_METRICS))
