"""Calibration of the trend tests: type-I error under the null and power.

Simulates thousands of populations and prints, per test and p-value method,
the rejection rate at the 1%, 5% and 10% levels with its binomial standard
error, and whether the rate is within +-1.5 percentage points of nominal.

1. ``trend_test`` under three nulls: normal seeds (no ties), heavily tied
   seeds (accuracy on 10 items), and the successful runs of a bimodal
   population whose P(success) rises with scale while the success component
   stays put (``subset="success"``).
2. Power for known monotone trends (linear, late jump, early saturation),
   with the normal-theory power of the optimal contrast test as reference.
3. ``weights="posterior"`` against the hard threshold (threshold 0.45) when
   the success (N(0.7, sd)) and failure (N(0.2, sd)) components overlap and
   P(success) rises from 0.2 to 0.8: the hard threshold lets in more failures
   where they are common, which fakes a rising mean | success.
4. ``monotonicity_test`` at the least favourable null (equal means) and
   under non-monotone alternatives, for three null worlds of the bootstrap:
   the isotonic fit as is, the default (levels merged within sqrt(log N)
   standard errors), and the least favourable configuration (all equal).
5. ``inverse_scaling``: finding rate for the case study (P(success) 0.8 ->
   0.2 over 6 scales, mean | success rising, 40 seeds) and under the full and
   the least favourable null.

Sections 1, 2 and 4 call the engines behind the public functions (which add
only argument checks and the Population, whose construction would dominate
the run time); the tests check that they give the public functions' numbers.

Run: ``python benchmarks/calibration_trend.py [--quick]``
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from scipy import stats

import distscale
from distscale.success.monotonicity import _monotonicity_core
from distscale.success.rank_tests import grouped_rank_test
from distscale.success.subsets import select

LEVELS = (0.01, 0.05, 0.10)
TOLERANCE = 0.015


def header(title: str) -> None:
    print(f"\n## {title}\n")
    print(f"| {'test':<44} | {'sims':>5} | " + " | ".join(f"{'a=' + str(a):>7}" for a in LEVELS)
          + f" | {'SE(5%)':>6} | within 1.5% |")
    print("|" + "-" * 46 + "|------:|" + "--------:|" * len(LEVELS) + "-------:|:----:|")


def row(name: str, pvalues: np.ndarray, check: bool | str = True) -> None:
    """One table row; ``check``: True (rate within +-1.5 points of each level),
    "size" (at most 1.5 points above: a composite null), or False (power)."""
    p = np.asarray(pvalues)
    rates = [np.mean(p <= a) for a in LEVELS]
    se = math.sqrt(0.05 * 0.95 / p.size)
    if check == "size":
        ok = all(r - a <= TOLERANCE for r, a in zip(rates, LEVELS, strict=True))
    else:
        ok = all(abs(r - a) <= TOLERANCE for r, a in zip(rates, LEVELS, strict=True))
    flag = ("yes" if ok else "NO") if check else "-"
    print(f"| {name:<44} | {p.size:>5} | " + " | ".join(f"{r:>7.4f}" for r in rates)
          + f" | {se:>6.4f} | {flag:^4} |")


def power_row(name: str, pvalues: np.ndarray, reference: float | None) -> None:
    p = np.asarray(pvalues)
    ref = "" if reference is None else f"{reference:.3f}"
    print(f"| {name:<44} | {p.size:>5} | {np.mean(p <= 0.05):>7.3f} | {ref:>9} |")


# ------------------------------------------------------------------ populations
def normal_null(rng, k=6, n=10):
    return [rng.normal(size=n) for _ in range(k)]


def tied_null(rng, k=6, n=20):
    return [rng.binomial(10, 0.3, n) / 10 for _ in range(k)]


def bimodal(rng, shares, n, success_means, sd=0.08):
    out = []
    for p, m in zip(shares, success_means, strict=True):
        ok = rng.random(n) < p
        out.append(np.where(ok, np.clip(m + sd * rng.standard_normal(n), 0.3, 1.0),
                            0.1 * rng.random(n)))
    return out


def overlapping(rng, shares, n, success_means, sd=0.15):
    out = []
    for p, m in zip(shares, success_means, strict=True):
        ok = rng.random(n) < p
        out.append(np.where(ok, rng.normal(m, sd, n), rng.normal(0.2, sd, n)))
    return out


def pop(groups):
    return distscale.Population.from_dict(dict(enumerate(groups, start=1)))


# --------------------------------------------------------------------- sections
def section_type_one(sims: int, rng) -> None:
    header(f"1. trend_test type-I error (alternative='increasing' unless noted; "
           f"{sims} populations per row)")
    rising = np.linspace(0.2, 0.8, 6)
    nulls = {
        "normal 6x10": lambda: normal_null(rng),
        "tied 6x20": lambda: tied_null(rng),
        "success subset 6x40": lambda: select(
            bimodal(rng, rising, 40, [0.6] * 6), np.arange(6.0), "success", 0.2, True
        )[0],
    }
    runs = [
        ("jonckheere", "normal", "increasing"),
        ("jonckheere", "exact", "increasing"),
        ("jonckheere", "permutation", "two-sided"),
        ("mann-kendall", "normal", "increasing"),
        ("mann-kendall", "normal", "two-sided"),
        ("ebar2", "permutation", "increasing"),
        ("ebar2", "permutation", "two-sided"),
    ]
    for null_name, make in nulls.items():
        for method, pmethod, alt in runs:
            if pmethod == "exact" and null_name != "normal 6x10":
                continue
            p = [grouped_rank_test(make(), method, alt, pmethod, 199, rng)["pvalue"]
                 for _ in range(sims)]
            tag = f"{null_name}: {method} {pmethod}" + (" 2s" if alt == "two-sided" else "")
            row(tag, p)


def section_power(sims: int, rng) -> None:
    print(f"\n## 2. Power at 5% (6 scales x 10 seeds, N(mu_i, 1); {sims} populations)\n")
    print(f"| {'pattern / test':<44} | {'sims':>5} | {'power':>7} | {'reference':>9} |")
    print("|" + "-" * 46 + "|------:|--------:|----------:|")
    c = np.arange(6) - 2.5
    for name, mu in {
        "linear 0.1/scale": 0.1 * np.arange(6),
        "linear 0.2/scale": 0.2 * np.arange(6),
        "linear 0.3/scale": 0.3 * np.arange(6),
        "late jump (0,...,0,1)": np.r_[np.zeros(5), 1.0],
        "early saturation (0,0.6,...,0.6)": np.r_[0.0, np.full(5, 0.6)],
    }.items():
        # Reference: one-sided z test of the linear contrast with known sd,
        # noncentrality c'mu / sqrt(c'c / n).
        ref = stats.norm.sf(1.645 - c @ mu / math.sqrt(c @ c / 10))
        draws = [[m + rng.normal(size=10) for m in mu] for _ in range(sims)]
        for method, pmethod in (("jonckheere", "normal"), ("mann-kendall", "normal"),
                                ("ebar2", "permutation")):
            p = [grouped_rank_test(g, method, "increasing", pmethod, 199, rng)["pvalue"]
                 for g in draws]
            power_row(f"{name}: {method}", p, ref if method == "jonckheere" else None)


def section_posterior(sims: int, rng) -> None:
    header(f"3. subset='success': hard threshold vs weights='posterior' "
           f"(6x40, 199 replicates; {sims} populations)")
    rising = np.linspace(0.2, 0.8, 6)
    for sd, label in ((0.15, "overlapping (sd 0.15)"), (0.08, "separated (sd 0.08)")):
        hard, soft = [], []
        for _ in range(sims):
            g = overlapping(rng, rising, 40, [0.7] * 6, sd)
            p = pop(g)
            hard.append(distscale.trend_test(p, subset="success", threshold=0.45).pvalue)
            soft.append(distscale.trend_test(p, subset="success", threshold=0.45,
                                             weights="posterior", n_resamples=199,
                                             rng=rng).pvalue)
        row(f"null, {label}: hard threshold", hard)
        row(f"null, {label}: posterior", soft)
    hard, soft = [], []
    for _ in range(sims):
        p = pop(overlapping(rng, rising, 40, 0.7 + 0.02 * np.arange(6)))
        hard.append(distscale.trend_test(p, subset="success", threshold=0.45).pvalue)
        soft.append(distscale.trend_test(p, subset="success", threshold=0.45,
                                         weights="posterior", n_resamples=199, rng=rng).pvalue)
    row("power, mean|success +0.02/scale: hard", hard, check=False)
    row("power, mean|success +0.02/scale: posterior", soft, check=False)


def section_monotonicity(sims: int, rng) -> None:
    header(f"4. monotonicity_test (6 scales, 499 resamples; {sims} populations; null rows: "
           "'within' = size at most 1.5 points above nominal)")
    scen = {
        "equal means (least favourable null), n=20": (np.zeros(6), 20, "norm", "size"),
        "equal means, n=8": (np.zeros(6), 8, "norm", "size"),
        "equal means, skewed errors, n=20": (np.zeros(6), 20, "exp", "size"),
        "half flat (0,0,0,1,2,3), n=20": (np.array([0, 0, 0, 1, 2, 3.0]), 20, "norm", "size"),
        "ALT dip (0,1,2,1.4,3,4), n=20": (np.array([0, 1, 2, 1.4, 3, 4.0]), 20, "norm", False),
        "ALT small dip (0,.2,.4,0,.6,.8), n=20": (np.array([0, .2, .4, 0, .6, .8]), 20, "norm",
                                                  False),
    }
    for name, (mu, n, dist, check) in scen.items():
        draws = []
        for _ in range(sims):
            e = rng.standard_normal((6, n)) if dist == "norm" else rng.exponential(1, (6, n)) - 1
            draws.append([m + e[i] for i, m in enumerate(mu)])
        for label, kappa in (("isotonic fit", 0.0), ("default", None), ("all equal", 1e9)):
            p = [_monotonicity_core(g, True, 499, rng, kappa)["pvalue"] for g in draws]
            row(f"{name}: {label}", p, check=check)


def section_inverse(sims: int, rng) -> None:
    print(f"\n## 5. inverse_scaling finding rate at alpha=0.05 (6 scales x 40 seeds; "
          f"{sims} populations)\n")
    print(f"| {'scenario':<44} | {'sims':>5} | {'finding':>7} | {'SE':>9} |")
    print("|" + "-" * 46 + "|------:|--------:|----------:|")
    falling, rising_mean = np.linspace(0.8, 0.2, 6), np.linspace(0.55, 0.8, 6)
    for name, shares, means in (
        ("case study: P falls, mean|success rises", falling, rising_mean),
        ("full null: both constant", np.full(6, 0.5), np.full(6, 0.6)),
        ("least favourable: P falls, mean|success flat", falling, np.full(6, 0.6)),
        ("P constant, mean|success rises", np.full(6, 0.5), rising_mean),
    ):
        found = [
            distscale.inverse_scaling(pop(bimodal(rng, shares, 40, means)), threshold=0.2,
                                      n_resamples=199, rng=rng).finding
            for _ in range(sims)
        ]
        rate = np.mean(found)
        se = math.sqrt(max(rate * (1 - rate), 0.05 * 0.95) / sims)
        print(f"| {name:<44} | {sims:>5} | {rate:>7.4f} | {se:>9.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the simulations")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    rng = np.random.default_rng(20250217)
    warnings.simplefilter("ignore", distscale.DegenerateDataWarning)
    start = time.perf_counter()
    for section, sims in (
        (section_type_one, 4000),
        (section_power, 2000),
        (section_posterior, 600),
        (section_monotonicity, 1000),
        (section_inverse, 600),
    ):
        t0 = time.perf_counter()
        section(max(sims // scale, 20), rng)
        print(f"\n({time.perf_counter() - t0:.0f} s)")
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
