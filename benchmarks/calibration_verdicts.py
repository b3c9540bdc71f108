"""Calibration of every verdict word the report prints, on realistic null shapes.

A verdict is a claim to a user, so each is checked as a whole -- the decision
rule the report applies, not only the statistic under it -- by simulation:
its rate at alpha = 0.05 on populations where it is false (null shapes: skew,
heavy tails, piles at a bound, ties and discreteness, plateaus, paired
checkpoints), which should be at most 0.06, and its rate where it is true
(power). Each line prints the rate with its Monte Carlo standard error.

Run: ``python benchmarks/calibration_verdicts.py [--reps 200] [--only NAME ...]``
(about 10-20 minutes on 2 cores at the default; ``--reps 60`` for a quick look).
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
import zlib

import numpy as np
import pandas as pd

import distscale as ds

ALPHA = 0.05
warnings.simplefilter("ignore")  # degenerate-data notes are expected in simulations


def rate_line(name: str, kind: str, hits: int, reps: int, seconds: float) -> str:
    p = hits / reps
    se = math.sqrt(max(p * (1 - p), 1.0 / reps) / reps)
    flag = ""
    if kind == "null":
        flag = "  ok" if p <= 0.06 else "  ABOVE 0.06"
    return f"  {kind:5s} {name:58s} {p:6.3f} +- {se:5.3f}   ({seconds:5.0f} s){flag}"


# ------------------------------------------------------------------------ shapes
def skewed(rng, n):
    return rng.lognormal(0.0, 0.5, n)


def gamma(rng, n):
    return rng.gamma(2.0, 1.0, n)


def heavy(rng, n):
    return rng.standard_t(3, n)


def pile_not_separated(rng, n):
    """A pile of exact zeros with the rest running on from it (zero-inflated half-normal)."""
    zeros = rng.random(n) < 0.25
    return np.where(zeros, 0.0, np.abs(rng.normal(0.0, 1.0, n)))


def discrete(rng, n):
    """Exact match over 30 examples: a binomial fraction with seed-to-seed skill spread."""
    return rng.binomial(30, rng.beta(8, 12, n)) / 30


def two_modes(rng, n, share=0.2, gap=6.0):
    k = max(1, round(share * n))
    return np.r_[rng.normal(0, 1, n - k), rng.normal(gap, 1, k)]


def pile_and_hump(rng, n):
    """A third of the runs at exactly 0, the rest a hump far from it (an RL agent that fails)."""
    zeros = rng.random(n) < 1 / 3
    return np.where(zeros, 0.0, rng.normal(27.0, 2.5, n))


def tight_clusters(rng, n):
    k = round(0.36 * n)
    return np.r_[rng.normal(3142, 58, k), rng.normal(7527, 94, n - k)]


# ------------------------------------------------------------------------ verdicts
def bimodal_at_a_scale(shape, n, reps, seed):
    """The scan's verdict at one scale (Holm over one scale = the scale's own test)."""
    rng = np.random.default_rng(seed)
    samples = [shape(rng, n) for _ in range(reps)]
    pop = ds.Population.from_dict(dict(enumerate(samples)))
    scan = ds.modality_scan(pop, n_resamples=199, n_boot_ci=500, rng=seed)
    # one scale's own decision: its unadjusted p-value and its separation, or its piles
    lrt = np.nan_to_num(scan.lrt_pvalue, nan=1.0) <= ALPHA
    apart = np.minimum(scan.separation, scan.separation_ci.low) >= scan.min_separation
    gaussian = lrt & apart & ~scan.degenerate
    return int(np.sum(gaussian | (scan.n_modes >= 2)))


def capacity_threshold(shape_by_scale, n, reps, seed, n_scales=6):
    """Does the scan report a capacity threshold (any bimodal scale, Holm over the scales)?"""
    rng = np.random.default_rng(seed)
    hits = 0
    for r in range(reps):
        pop = ds.Population.from_dict(
            {s + 1: shape_by_scale(s)(rng, n) for s in range(n_scales)}
        )
        scan = ds.modality_scan(pop, n_boot_ci=200, rng=r)
        hits += scan.capacity_threshold is not None
    return hits


def paired_frame(rng, n_seeds, steps, mean, rho=0.8):
    effect = rng.normal(0, 1, (n_seeds, 1))
    noise = rng.normal(0, 1, (n_seeds, steps.size))
    y = mean[None, :] + np.sqrt(rho) * effect + np.sqrt(1 - rho) * noise
    return pd.DataFrame({"step": np.tile(steps, n_seeds),
                         "seed": np.repeat(np.arange(n_seeds), steps.size), "y": y.ravel()})


def trend_verdict(make, reps, seed, paired=False):
    """The report's trend verdict: a two-sided trend test at alpha."""
    rng = np.random.default_rng(seed)
    hits = 0
    for r in range(reps):
        df = make(rng)
        pop = ds.Population(df, scale="step", seed="seed", value="y", paired=paired)
        hits += ds.trend_test(pop, alternative="two-sided", n_resamples=499, rng=r).pvalue <= ALPHA
    return hits


def not_monotone(make, reps, seed, paired=False):
    """The report's monotonicity verdict: 'the mean is not monotone' when p <= alpha."""
    rng = np.random.default_rng(seed)
    hits = 0
    for r in range(reps):
        df = make(rng)
        pop = ds.Population(df, scale="step", seed="seed", value="y", paired=paired)
        res = ds.monotonicity_test(pop, direction="increasing", n_resamples=499, rng=r)
        hits += res.pvalue <= ALPHA
    return hits


def independent_frame(rng, n_seeds, means, draw):
    steps = np.arange(1, means.size + 1)
    y = np.concatenate([m + draw(rng, n_seeds) for m in means])
    return pd.DataFrame({"step": np.repeat(steps, n_seeds),
                         "seed": np.tile(np.arange(n_seeds), steps.size), "y": y})


def centred_lognormal(rng, n):
    return rng.lognormal(0, 0.5, n) - math.exp(0.125)


def success_population(rng, p_by_scale, n_seeds=25, good_trend=0.0):
    """Runs succeeding with probability p(scale): successes near 0.8 (+ trend), failures 0.1."""
    rows = []
    for i, p in enumerate(p_by_scale):
        win = rng.random(n_seeds) < p
        good = 0.8 + good_trend * i + rng.normal(0, 0.05, n_seeds)
        bad = 0.1 + rng.normal(0, 0.03, n_seeds)
        rows.append(np.where(win, good, bad))
    scales = np.round(100 * 1.3 ** np.arange(len(p_by_scale)))
    return ds.Population.from_dict(dict(zip(scales, rows, strict=True)))


def logistic_p(k, lo=0.05, hi=0.95, mid=None, slope=0.6):
    mid = (k - 1) / 2 if mid is None else mid
    return lo + (hi - lo) / (1 + np.exp(-slope * (np.arange(k) - mid)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    reps = args.reps
    blocks = {}

    def block(name):
        def deco(fn):
            blocks[name] = fn
            return fn
        return deco

    @block("bimodal")
    def _bimodal():
        print("Verdict 'bimodal at a scale' (48 seeds; 100 for the pile shapes)")
        for kind, name, shape, n in (
            ("null", "skewed unimodal (lognormal sd 0.5)", skewed, 48),
            ("null", "skewed unimodal (gamma shape 2)", gamma, 48),
            ("null", "heavy tails (t with 3 df)", heavy, 48),
            ("null", "pile at 0, the rest running on from it", pile_not_separated, 100),
            ("null", "ties: exact match over 30 examples", discrete, 48),
            ("power", "two modes 6 sd apart, 80/20", two_modes, 48),
            ("power", "a third at exactly 0, the rest a hump far away", pile_and_hump, 100),
            ("power", "two tight clusters, 36/64", tight_clusters, 100),
        ):
            start = time.perf_counter()
            hits = bimodal_at_a_scale(shape, n, reps, seed=zlib.crc32(name.encode()))
            print(rate_line(name, kind, hits, reps, time.perf_counter() - start), flush=True)

    @block("capacity")
    def _capacity():
        print("Verdict 'capacity threshold at scale s' (6 scales x 48 seeds, Holm)")
        r = reps
        for kind, name, by_scale in (
            ("null", "every scale skewed unimodal", lambda s: skewed),
            ("null", "every scale ties (exact match over 30)", lambda s: discrete),
            ("power", "bimodal (80/20, 6 sd) from scale 3 on",
             lambda s: two_modes if s >= 2 else skewed),
        ):
            start = time.perf_counter()
            hits = capacity_threshold(by_scale, 48, r, seed=7)
            print(rate_line(name, kind, hits, r, time.perf_counter() - start), flush=True)

    @block("trend")
    def _trend():
        print("Verdict 'changes with scale' (two-sided trend test; 8 scales x 20 seeds)")
        steps = np.arange(1, 9)
        for kind, name, make, paired in (
            ("null", "flat, skewed runs", lambda g: independent_frame(
                g, 20, np.zeros(8), centred_lognormal), False),
            ("null", "flat, paired checkpoints (rho 0.8)", lambda g: paired_frame(
                g, 20, steps, np.zeros(8)), True),
            ("power", "rising 0.1 sd per scale, skewed runs", lambda g: independent_frame(
                g, 20, 0.1 * np.arange(8), centred_lognormal), False),
            ("power", "rising 0.05 sd per step, paired (rho 0.8)", lambda g: paired_frame(
                g, 20, steps, 0.05 * np.arange(8)), True),
        ):
            start = time.perf_counter()
            hits = trend_verdict(make, reps, seed=11, paired=paired)
            print(rate_line(name, kind, hits, reps, time.perf_counter() - start), flush=True)

    @block("monotone")
    def _monotone():
        print("Verdict 'the mean is not monotone' (monotonicity test; 8 scales x 20 seeds)")
        steps = np.arange(1, 9)
        flat_then_rising = np.r_[np.zeros(4), 0.3 * np.arange(1, 5)]
        for kind, name, make, paired in (
            ("null", "flat then rising (plateau), skewed runs", lambda g: independent_frame(
                g, 20, flat_then_rising, centred_lognormal), False),
            ("null", "flat then rising, paired checkpoints", lambda g: paired_frame(
                g, 20, steps, flat_then_rising), True),
            ("null", "rising, ties (exact match over 30)", lambda g: independent_frame(
                g, 20, 0.05 * np.arange(8), lambda r, n: discrete(r, n)), False),
            ("power", "falls then rises (U, 0.5 sd deep)", lambda g: independent_frame(
                g, 20, 0.5 * np.abs(np.arange(8) - 3.5) / 3.5, centred_lognormal), False),
        ):
            start = time.perf_counter()
            hits = not_monotone(make, reps, seed=13, paired=paired)
            print(rate_line(name, kind, hits, reps, time.perf_counter() - start), flush=True)

    @block("shape")
    def _shape():
        print("Verdict 'P(success) is U-shaped' / 'inverted-U' "
              "(two-lines test; 26 scales x 25 seeds)")
        k = 26
        flat_then_rising = np.r_[np.full(13, 0.2), np.linspace(0.25, 0.9, 13)]
        u = 0.3 + 0.5 * (np.abs(np.arange(k) - 12.5) / 12.5)
        for kind, name, probs, shape in (
            ("null", "flat at 0.2, then rising (U?)", flat_then_rising, "u"),
            ("null", "flat then rising, reversed (inverted U?)", flat_then_rising[::-1],
             "inverted-u"),
            ("null", "logistic rise (U?)", logistic_p(k), "u"),
            ("null", "plateau below 1: rise to 0.65 (inverted U?)",
             logistic_p(k, hi=0.65), "inverted-u"),
            ("power", "U: 0.8 -> 0.3 -> 0.8", u, "u"),
            ("power", "inverted U: 0.2 -> 0.7 -> 0.2", 1 - u, "inverted-u"),
        ):
            rng = np.random.default_rng(17)
            start = time.perf_counter()
            hits = 0
            for _ in range(reps):
                pop = success_population(rng, probs)
                res = ds.shape_test(pop, shape=shape, threshold=0.5, alpha=ALPHA)
                hits += bool(res.holds)
            print(rate_line(name, kind, hits, reps, time.perf_counter() - start), flush=True)

    @block("misfit")
    def _misfit():
        print("Verdict 'the logistic curve does not fit' (goodness of fit; 10 scales x 20 seeds)")
        k = 10
        for kind, name, probs in (
            ("null", "a true logistic", logistic_p(k, lo=0.0, hi=1.0, slope=0.9)),
            ("null", "a true logistic, paired checkpoints", logistic_p(k, 0.0, 1.0, slope=0.9)),
            ("power", "plateau at 0.65-0.70 (the reported case)", logistic_p(k, lo=0.0,
                                                                              hi=0.68, slope=1.2)),
        ):
            rng = np.random.default_rng(19)
            start = time.perf_counter()
            hits = 0
            paired = "paired" in name
            for r in range(reps):
                if paired:  # one latent skill per seed: its success rises with a common curve
                    skill = rng.normal(0, 1, 20)
                    cut = -np.log(1 / np.clip(probs, 1e-9, 1 - 1e-9) - 1)
                    wins = (skill[:, None] + rng.normal(0, 0.6, (20, k))) * 0.8 < cut[None, :]
                    df = pd.DataFrame({"step": np.tile(np.arange(1, k + 1) * 1000, 20),
                                       "seed": np.repeat(np.arange(20), k),
                                       "y": np.where(wins, 0.9, 0.1).ravel()})
                    pop = ds.Population(df, scale="step", seed="seed", value="y", paired=True)
                else:
                    pop = success_population(rng, probs, n_seeds=20)
                sc = ds.success_curve(pop, threshold=0.5, gof_alpha=ALPHA, rng=r)
                hits += bool(sc.goodness_of_fit.rejects(ALPHA))
            print(rate_line(name, kind, hits, reps, time.perf_counter() - start), flush=True)

    @block("inverse")
    def _inverse():
        print("Verdict 'inverse scaling' (P(success) falls while successful runs improve; "
              "12 scales x 25 seeds)")
        k = 12
        for kind, name, probs, trend in (
            ("null", "P(success) flat then rising, successes improving",
             np.r_[np.full(6, 0.2), np.linspace(0.3, 0.9, 6)], 0.01),
            ("null", "P(success) rising, successes flat", logistic_p(k), 0.0),
            ("power", "P(success) falls 0.9 -> 0.2, successes improve",
             np.linspace(0.9, 0.2, k), 0.01),
        ):
            rng = np.random.default_rng(23)
            start = time.perf_counter()
            hits = 0
            for r in range(reps):
                pop = success_population(rng, probs, good_trend=trend)
                res = ds.inverse_scaling(pop, threshold=0.5, alpha=ALPHA, n_resamples=499, rng=r)
                hits += bool(res.finding)
            print(rate_line(name, kind, hits, reps, time.perf_counter() - start), flush=True)

    wanted = args.only or list(blocks)
    print(f"alpha = {ALPHA}; {reps} populations per line (fewer where marked)\n")
    for name in wanted:
        blocks[name]()
        print()


if __name__ == "__main__":
    main()
