"""Backtest a distributional scaling law: hide the largest scales, predict them, score.

:func:`backtest` fits the law on the smaller scales of a population and
scores its predictive distribution at the held-out scales against the seeds
observed there, beside three baselines fitted on the same runs:

* ``gaussian_mean`` -- a scaling law on the mean: a Gaussian whose mean is
  linear in ``g = ln(scale)`` (least squares over all training runs) with a
  constant sd (the residual sd);
* ``persistence`` -- the empirical distribution of the largest training scale;
* ``quantile_extrapolation`` -- each quantile of the training scales
  extrapolated linearly in ``g`` (quantiles sorted after extrapolation,
  clipped to the metric's range), used as an ensemble.

Scores come from the ``scoringrules`` package (Zanetta & Allen): the CRPS
(lower is better) of every forecast -- exact for the Gaussian
(``crps_normal``), of the ensembles as they are (``crps_ensemble``), of the
law through a fine grid of its quantiles (or ``crps_mixnorm`` when it is a
plain Gaussian mixture) -- and the log score (negative log density, lower is
better): ``logs_normal``, ``logs_mixnorm`` for the law's continuous part (in
the transformed units, plus the log-Jacobian of the transform), and
``logs_ensemble`` (a kernel density) for the ensembles. The log score is
taken over the held-out runs that are not at a point mass of the law, since a
density and a point mass are not on one scale; the CRPS over all of them.

Intervals: every bootstrap replicate resamples the seeds -- the training
seeds, refitting the law and the baselines, and the held-out seeds,
rescoring; for a paired population (checkpoints) whole seeds across all
scales, training and held-out together. The interval of a score difference
(law minus baseline; negative: the law is better) is the percentile
interval of the replicates' differences.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distscale._lib.docs import fill_doc
from distscale._lib.results import Result, frozen
from distscale._lib.validation import (
    Integer,
    check_bool,
    check_bounds,
    check_confidence_level,
    check_int,
    check_one_of,
    check_rng,
    check_threshold,
)
from distscale.law.predictive import PredictiveDistribution
from distscale.law.scaling_law import (
    WEIGHT_MODELS,
    DistributionalScalingLaw,
    ExtrapolationWarning,
    draw_indices,
)
from distscale.population import Population, as_population

__all__ = ["MODELS", "BacktestResult", "backtest", "scoringrules"]

#: The forecasts a backtest scores, the law first.
MODELS = ("law", "gaussian_mean", "persistence", "quantile_extrapolation")
#: Quantile levels of the law's CRPS grid and of the quantile-extrapolation ensemble.
_LAW_GRID = 400
#: Most elements (replicates x held-out values x ensemble members) scored at once.
_SCORE_ELEMENTS = 1 << 22
_QUANTILE_LEVELS = 40


def scoringrules():
    """The ``scoringrules`` package (a dependency of distscale), with a clear error when
    missing."""
    try:
        import scoringrules as sr
    except ImportError as err:  # pragma: no cover - installed in the test environment
        raise ImportError(
            "backtests are scored by the `scoringrules` package, a dependency of distscale: "
            "pip install 'scoringrules>=0.10'"
        ) from err
    return sr


@dataclass(frozen=True, eq=False, repr=False)
class BacktestResult(Result):
    """Scores of the law and of three baselines at held-out scales.

    Attributes
    ----------
    holdout_scales, train_scales : numpy.ndarray
    n_seeds : numpy.ndarray
        Held-out seeds per held-out scale.
    models : tuple of str
        :data:`MODELS`.
    crps, log_score : numpy.ndarray
        Mean score per held-out scale and model, shape ``(n_holdout, 4)``
        (lower is better).
    crps_ci, log_score_ci : tuple of numpy.ndarray
        ``(low, high)`` percentile intervals of each score.
    crps_difference, log_score_difference : numpy.ndarray
        Law minus model (0 for the law itself); negative: the law is better.
    crps_difference_ci, log_score_difference_ci : tuple of numpy.ndarray
    n_log_score : numpy.ndarray
        Held-out runs behind the log score (not at a point mass of the law).
    prediction : PredictiveDistribution
        The law's prediction at the held-out scales.
    observed : tuple of numpy.ndarray
        The held-out runs.
    law : DistributionalScalingLaw
        The law fitted to the training scales.
    confidence_level : float
    n_resamples : int
    paired : bool
    metric, scale_name : hashable
    """

    holdout_scales: np.ndarray
    train_scales: np.ndarray
    n_seeds: np.ndarray
    models: tuple
    crps: np.ndarray
    crps_ci: tuple
    crps_difference: np.ndarray
    crps_difference_ci: tuple
    log_score: np.ndarray
    log_score_ci: tuple
    log_score_difference: np.ndarray
    log_score_difference_ci: tuple
    n_log_score: np.ndarray
    prediction: PredictiveDistribution
    observed: tuple
    law: DistributionalScalingLaw
    confidence_level: float
    n_resamples: int
    paired: bool
    metric: Hashable = None
    scale_name: Hashable = None

    def __repr__(self) -> str:
        best = [self.models[int(np.argmin(row))] for row in self.crps]
        where = ", ".join(f"{s:g}: {b}" for s, b in zip(self.holdout_scales, best, strict=True))
        return f"BacktestResult({len(self.holdout_scales)} held-out scales; lowest CRPS {where})"

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per held-out scale, score and model.

        Columns ``scale, n_seeds, score, model, value, ci_low, ci_high,
        difference, diff_ci_low, diff_ci_high, verdict``; ``difference`` is
        the law's score minus the model's (negative: the law is better) and
        ``verdict`` reads its interval: ``"law better"``, ``"baseline
        better"`` or ``"no clear difference"`` (empty for the law's own row).
        """
        rows = []
        for score in ("crps", "log_score"):
            val = getattr(self, score)
            lo, hi = getattr(self, f"{score}_ci")
            dif = getattr(self, f"{score}_difference")
            dlo, dhi = getattr(self, f"{score}_difference_ci")
            for i, s in enumerate(self.holdout_scales):
                n = int(self.n_seeds[i]) if score == "crps" else int(self.n_log_score[i])
                for j, m in enumerate(self.models):
                    if m == "law":
                        verdict = ""
                    elif dhi[i, j] < 0:
                        verdict = "law better"
                    elif dlo[i, j] > 0:
                        verdict = "baseline better"
                    else:
                        verdict = "no clear difference"
                    rows.append((s, n, score, m, val[i, j], lo[i, j], hi[i, j],
                                 dif[i, j] if m != "law" else np.nan,
                                 dlo[i, j] if m != "law" else np.nan,
                                 dhi[i, j] if m != "law" else np.nan, verdict))
        return pd.DataFrame(rows, columns=[
            "scale", "n_seeds", "score", "model", "value", "ci_low", "ci_high", "difference",
            "diff_ci_low", "diff_ci_high", "verdict"])  # fmt: skip


def _subset(pop: Population, scales: np.ndarray, metric: Hashable) -> Population:
    frame = pop.to_frame()
    keep = frame[pop.scale].isin(scales)
    return Population(frame.loc[keep], scale=pop.scale, seed=pop.seed, value=metric,
                      paired=pop.paired)


def _gaussian_mean(train: list[np.ndarray], train_idx: list[np.ndarray], g_train: np.ndarray,
                   g_new: float) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares line of the value on ``g`` over every training run, constant sd."""
    rows = train_idx[0].shape[0]
    sw = swg = swgg = swy = swgy = swyy = 0.0
    for x, idx, g in zip(train, train_idx, g_train, strict=True):
        y = x[idx]  # (rows, n_j)
        n = y.shape[1]
        sy, syy = y.sum(axis=1), (y * y).sum(axis=1)
        sw, swg, swgg = sw + n, swg + n * g, swgg + n * g * g
        swy, swgy, swyy = swy + sy, swgy + g * sy, swyy + syy
    det = sw * swgg - swg * swg
    b = (sw * swgy - swg * swy) / det
    a = (swy - b * swg) / sw
    rss = swyy - a * swy - b * swgy
    sd = np.sqrt(np.maximum(rss, 0.0) / max(sw - 2, 1))
    return a + b * g_new, np.maximum(sd, 1e-12) * np.ones(rows)


def _quantile_ensemble(train, train_idx, g_train, g_new, lo, hi) -> np.ndarray:
    """Each training quantile extrapolated linearly in ``g``; ``(rows, levels)``."""
    levels = (np.arange(_QUANTILE_LEVELS) + 0.5) / _QUANTILE_LEVELS
    q = np.stack([np.quantile(x[idx], levels, axis=1).T for x, idx in
                  zip(train, train_idx, strict=True)], axis=1)  # (rows, J, L)
    g = np.asarray(g_train)
    gc = g - g.mean()
    slope = np.einsum("j,rjl->rl", gc, q) / (gc * gc).sum()
    pred = q.mean(axis=1) + slope * (g_new - g.mean())
    return np.clip(np.sort(pred, axis=1), lo, hi)


def _weighted_means(scores: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mean of ``scores`` (rows, n) with weights ``counts`` (rows, n), inf-aware."""
    with np.errstate(invalid="ignore"):
        tot = counts.sum(axis=1)
        prod = np.where(counts > 0, scores * counts, 0.0)
        return np.where(tot > 0, prod.sum(axis=1) / np.maximum(tot, 1), np.nan)


@fill_doc
def backtest(
    pop: Population | pd.DataFrame,
    *,
    threshold: float,
    higher_is_better: bool = True,
    bounds: tuple[float | None, float | None] | str | None = "auto",
    holdout: str | Sequence[float] = "largest",
    n_holdout: int = 1,
    metric: Hashable | None = None,
    success_model: str = "auto",
    n_resamples: int = 200,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
    scale: Hashable | None = None,
    seed: Hashable | None = None,
    value: Hashable | None = None,
) -> BacktestResult:
    """Fit the law on the smaller scales, predict the held-out ones, score it against baselines.

    Parameters
    ----------
    %(pop)s
    %(threshold)s
    %(higher_is_better)s
    bounds : "auto", (lo, hi) or None, default "auto"
        The metric's range (see :class:`~distscale.DistributionalScalingLaw`).
    holdout : "largest" or sequence of float, default "largest"
        Which scales to hide: the ``n_holdout`` largest, or these scales.
    n_holdout : int, default 1
        How many of the largest scales to hide (with ``holdout="largest"``).
    %(metric)s
    success_model : {"auto", "logistic", "logistic4"}, default "auto"
        The law's weight model.
    n_resamples : int, default 200
        Seed-bootstrap replicates (law refits, baseline refits, rescoring)
        behind the intervals of the score differences. Fewer than a law fit's
        default 1,000, to keep a quick backtest quick;
        :func:`~distscale.law.outlook.next_scale_outlook` and the report pass 1,000.
    %(confidence_level)s
    %(rng)s
    %(columns)s

    Returns
    -------
    BacktestResult

    Raises
    ------
    ValueError
        Fewer than 2 training scales, held-out scales that are not in the
        population, invalid settings.
    ImportError
        Without the ``scoringrules`` package (a dependency; needs numpy and scipy only).

    Examples
    --------
    >>> import distscale as ds
    >>> pop = ds.datasets.load_count_population().select(metric="exact_match")
    >>> bt = ds.law.backtest(pop, threshold=0.5, bounds=(0, 1), n_resamples=30, rng=0)
    >>> bt.to_frame().query("score == 'crps'")[["model", "value"]].round(3)
                        model  value
    0                     law  0.026
    1           gaussian_mean  0.066
    2             persistence  0.040
    3  quantile_extrapolation  0.030
    """
    sr = scoringrules()
    threshold = check_threshold(threshold)
    higher_is_better = check_bool("higher_is_better", higher_is_better)
    bounds = check_bounds(bounds, auto=True)
    check_one_of("success_model", success_model, WEIGHT_MODELS)
    n_resamples = Integer(minimum=2)("n_resamples", n_resamples)
    confidence_level = check_confidence_level(confidence_level)
    gen = check_rng(rng)
    pop = as_population(pop, scale=scale, seed=seed, value=value)
    metric = pop.metric if metric is None else metric
    scales = pop.scales
    if isinstance(holdout, str):
        check_one_of("holdout", holdout, ("largest",))
        n_holdout = check_int("n_holdout", n_holdout, 1)
        if n_holdout > len(scales) - 2:
            raise ValueError(f"`n_holdout`={n_holdout} leaves fewer than 2 training scales of "
                             f"{len(scales)}")
        hold = scales[-n_holdout:]
    else:
        hold = np.unique(np.asarray(holdout, dtype=float))
        missing = [h for h in hold if h not in scales]
        if missing:
            raise ValueError(f"`holdout` scales {missing} are not in the population's scales "
                             f"{scale_list(scales)}")
    train_scales = np.array([s for s in scales if s not in hold])
    if train_scales.size < 2:
        raise ValueError("a backtest needs at least 2 training scales")
    values = pop.values(metric)
    by_scale = dict(zip(scales.tolist(), values, strict=True))
    train = [by_scale[s] for s in train_scales]
    test = [by_scale[s] for s in hold]
    sizes = [x.size for x in train] + [x.size for x in test]
    idx = draw_indices(gen, sizes, n_resamples, pop.paired)
    ident = [np.arange(n)[None, :] for n in sizes]
    full_idx = [np.concatenate([i0, i]) for i0, i in zip(ident, idx, strict=True)]
    tr_idx, te_idx = full_idx[: len(train)], full_idx[len(train):]

    law = DistributionalScalingLaw(
        threshold=threshold, higher_is_better=higher_is_better, bounds=bounds,
        success_model=success_model, n_resamples=n_resamples,
        confidence_level=confidence_level, metric=metric,
    )
    opt = law._check()
    opt["n_resamples"] = n_resamples
    law._fit(_subset(pop, train_scales, metric), opt, indices=idx[: len(train)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        pred = law.predict(hold)
    t = law.transform_
    lo_b = t.lo if math.isfinite(t.lo) else -np.inf
    hi_b = t.hi if math.isfinite(t.hi) else np.inf
    g_train = np.log(train_scales)
    levels = (np.arange(_LAW_GRID) + 0.5) / _LAW_GRID
    law_q = pred._quantiles(levels)  # (rows, holdout, grid)
    piles = [v for v in (law.piles_["failure"], law.piles_["success"]) if math.isfinite(v)]
    rows = n_resamples + 1
    shape = (len(hold), len(MODELS))
    out = {k: np.full((rows,) + shape, np.nan) for k in ("crps", "logs")}
    n_logs = np.zeros(len(hold), dtype=np.int64)
    w_all = pred._weights()
    for i, (s, x) in enumerate(zip(hold, test, strict=True)):
        # Every replicate scores the held-out seeds it drew; a seed's score depends on its
        # value only, so each distinct held-out value is scored once per replicate and
        # weighted by how often the replicate drew it (exactly the mean over the draws).
        y_u, code = np.unique(x, return_inverse=True)
        n_u = y_u.size
        drawn = code[te_idx[i]]  # (rows, n)
        counts = np.bincount((np.arange(rows)[:, None] * n_u + drawn).ravel(),
                             minlength=rows * n_u).reshape(rows, n_u).astype(float)
        g_new = math.log(s)
        mu, sd = _gaussian_mean(train, tr_idx, g_train, g_new)
        persist = np.sort(train[-1][tr_idx[-1]], axis=1)
        quant = _quantile_ensemble(train, tr_idx, g_train, g_new, lo_b, hi_b)
        inside = (y_u > lo_b) & (y_u < hi_b)
        for v in piles:
            inside &= y_u != v
        n_logs[i] = int(np.sum(inside[code]))
        ys = np.where(inside, y_u, np.nanmedian(x))
        zs = t.forward(np.clip(ys, t.lo, t.hi)) if t.kind != "identity" else ys
        par = pred.params
        law_ens = law_q[:, i]  # quantiles: sorted
        crps = np.empty((len(MODELS), rows, n_u))
        logs = np.empty((len(MODELS), rows, n_u))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            crps[1] = sr.crps_normal(y_u[None, :], mu[:, None], sd[:, None])
            logs[1] = sr.logs_normal(ys[None, :], mu[:, None], sd[:, None])
            m = np.stack([par["mF"][:, i], par["mS"][:, i]], axis=-1)[:, None, :]
            sdv = np.stack([par["sF"][:, i], par["sS"][:, i]], axis=-1)[:, None, :]
            wts = np.stack([w_all[1][:, i], w_all[2][:, i]], axis=-1)[:, None, :]
            bshape = (rows, n_u, 2)
            logs[0] = sr.logs_mixnorm(np.broadcast_to(zs, (rows, n_u)), np.broadcast_to(m, bshape),
                                      np.broadcast_to(sdv, bshape),
                                      np.broadcast_to(wts, bshape)) - t.log_jacobian(ys)
            width = max(law_ens.shape[1], persist.shape[1], quant.shape[1])
            block = max(1, _SCORE_ELEMENTS // max(1, n_u * width))
            for lo in range(0, rows, block):  # bounded memory: (block, n_u, members)
                r = slice(lo, min(rows, lo + block))
                obs = np.broadcast_to(y_u, (r.stop - r.start, n_u))
                def per_obs(ens: np.ndarray, r: slice = r, obs: np.ndarray = obs) -> np.ndarray:
                    """Each replicate's ensemble, once per held-out value (a view)."""
                    return np.broadcast_to(ens[r, None, :], obs.shape + ens.shape[-1:])

                for j, ens in ((0, law_ens), (2, persist), (3, quant)):
                    crps[j, r] = sr.crps_ensemble(obs, per_obs(ens), sorted_ensemble=True)
                for j, ens in ((2, persist), (3, quant)):
                    logs[j, r] = sr.logs_ensemble(np.broadcast_to(ys, obs.shape), per_obs(ens))
        for j in range(len(MODELS)):
            out["crps"][:, i, j] = _weighted_means(crps[j], counts)
            lg = np.where(np.isfinite(logs[j]), logs[j], np.inf)
            out["logs"][:, i, j] = _weighted_means(np.where(inside, lg, 0.0), inside * counts)
    alpha = 1 - confidence_level

    def interval(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Percentile interval over replicates; an end is infinite where more than
        ``alpha / 2`` of the replicates are (a log score of a zero density)."""
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a column without finite values
            lo, hi = np.nanquantile(np.where(np.isfinite(a), a, np.nan),
                                    [alpha / 2, 1 - alpha / 2], axis=0)
        lo = np.where(np.mean(a == -np.inf, axis=0) > alpha / 2, -np.inf, lo)
        hi = np.where(np.mean(a == np.inf, axis=0) > alpha / 2, np.inf, hi)
        return lo, hi

    res = {}
    for key in ("crps", "logs"):
        a = out[key]
        with np.errstate(invalid="ignore"):
            diff = a[:, :, :1] - a
        res[key] = (a[0], interval(a[1:]), diff[0], interval(diff[1:]))
    return BacktestResult(
        holdout_scales=frozen(hold), train_scales=frozen(train_scales),
        n_seeds=frozen([x.size for x in test], np.int64), models=MODELS,
        crps=frozen(res["crps"][0]), crps_ci=tuple(frozen(v) for v in res["crps"][1]),
        crps_difference=frozen(res["crps"][2]),
        crps_difference_ci=tuple(frozen(v) for v in res["crps"][3]),
        log_score=frozen(res["logs"][0]), log_score_ci=tuple(frozen(v) for v in res["logs"][1]),
        log_score_difference=frozen(res["logs"][2]),
        log_score_difference_ci=tuple(frozen(v) for v in res["logs"][3]),
        n_log_score=frozen(n_logs), prediction=pred, observed=tuple(frozen(x) for x in test),
        law=law, confidence_level=confidence_level, n_resamples=n_resamples,
        paired=pop.paired, metric=metric, scale_name=pop.scale,
    )


def scale_list(scales: np.ndarray) -> list[float]:
    return [float(s) for s in scales]
