"""Calibration of the two-lines test of a U / inverted U (``distscale.success.shape_test``).

Simulates populations of 26 log-spaced scales x 25 seeds from known
P(success) curves and prints verdict rates (``holds`` at alpha = 0.05: each
slope two-sided at 0.05 with the shape's sign) with their Monte Carlo
standard errors ``sqrt(r (1 - r) / sims)``.

1. Null shapes -- P(success) without a falling branch (for a U) or without a
   rising one (for an inverted U): flat stretches followed by rises, flat,
   linear, concave, convex, logistic, a staircase; each curve ``p`` is run
   as is and reversed in scale (``p[::-1]``), and both verdicts are counted
   (a U needs a fall then a rise, an inverted U a rise then a fall; none of
   these curves has both). The rate must stay at or below 0.05.
2. The breakpoint's smooth fit: distscale's quadratic against Simonsohn's
   flexible spline (here a penalised cubic regression spline with GCV
   smoothness, as mgcv's ``s(x, bs="cr")``), on the nulls where the
   choice matters (flat, then rising) and on U shapes (power). Also the
   rule that ``inverse_scaling`` used before: a one-sided likelihood-ratio
   test of a positive quadratic term in the logit of P(success) with the
   minimum inside the scales (at alpha / 2, its Bonferroni share).
3. Power on true U and inverted-U shapes of P(success).
4. ``quantity="mean"``: a flat-then-rising mean (null) and a U, normal noise.
5. Paired populations (the same seeds at every scale, each seed with its own
   deviation: a constant offset, or a random walk across scales as
   checkpoints of one run have): cluster-robust errors by seed against HC3,
   which ignores the pairing.

Run: ``python benchmarks/calibration_shape.py [--quick] [--sims N] [--sections 1 5]``
(the full run takes about 8 minutes on 2 cores; ``--quick`` a fifth; each
section draws from its own random stream, so a section run alone gives the
same numbers as in the full run).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import time
import warnings

import numpy as np
import pandas as pd
from scipy import interpolate, stats

import distscale
import distscale.success.shape as shape_module
from distscale import Population
from distscale.success import shape_test

SCALES = np.geomspace(100, 100_000, 26)
IDX = np.arange(26)
V = np.abs(np.linspace(-1, 1, 26))  # a V: 1 at the ends, 0 in the middle


def curve(*parts) -> np.ndarray:
    return np.concatenate(parts)


#: P(success) curves with no falling branch (rising, flat) -- nulls for both shapes
NULLS = {
    "flat 0.2 (13 scales), rise to 0.9": curve(np.full(13, 0.2), np.linspace(0.2, 0.9, 14)[1:]),
    "flat 0.2 (20 scales), rise to 0.9": curve(np.full(20, 0.2), np.linspace(0.2, 0.9, 7)[1:]),
    "flat 0.2 (6 scales), rise to 0.9": curve(np.full(6, 0.2), np.linspace(0.2, 0.9, 21)[1:]),
    "flat 0.5 (16 scales), rise to 0.95": curve(np.full(16, 0.5), np.linspace(0.5, 0.95, 11)[1:]),
    "flat 0.3": np.full(26, 0.3),
    "linear 0.2 -> 0.8": np.linspace(0.2, 0.8, 26),
    "concave 0.2 -> 0.8": 0.2 + 0.6 * np.sqrt(IDX / 25),
    "convex 0.2 -> 0.8": 0.2 + 0.6 * (IDX / 25) ** 2,
    "logistic 0.1 -> 0.9": 0.1 + 0.8 / (1 + np.exp(-(IDX - 13) / 2)),
    "staircase 0.1 / 0.5 / 0.9": curve(np.linspace(0.1, 0.5, 6), np.full(14, 0.5),
                                       np.linspace(0.5, 0.9, 7)[1:]),
}  # fmt: skip
#: U shapes of P(success); their mirrors 1 - p are inverted Us
US = {
    "V 0.8 -> 0.3 -> 0.8": 0.3 + 0.5 * V,
    "V 0.6 -> 0.4 -> 0.6 (weak)": 0.4 + 0.2 * V,
    "asymmetric 0.5 -> 0.3 (9 scales) -> 0.8": curve(np.linspace(0.5, 0.3, 9),
                                                    np.linspace(0.3, 0.8, 18)[1:]),
    "grokking 0.9 -> 0.2 (6 scales) -> 0.9": curve(np.linspace(0.9, 0.2, 6),
                                                  np.linspace(0.2, 0.9, 21)[1:]),
    "late dip 0.6 (18 scales) -> 0.3 -> 0.6": curve(np.full(18, 0.6), np.linspace(0.6, 0.3, 6),
                                                   [0.45, 0.6]),
}  # fmt: skip


def binary(rng, p, n_seeds=25, scales=SCALES) -> Population:
    return Population.from_dict(
        {s: (rng.random(n_seeds) < q).astype(float) for s, q in zip(scales, p, strict=True)}
    )


def rate_text(hits: np.ndarray) -> str:
    r = float(np.mean(hits))
    return f"{r:.3f} ± {math.sqrt(r * (1 - r) / hits.size):.3f}"


def verdicts(p, sims, rng, shapes=("u", "inverted-u")) -> dict[str, np.ndarray]:
    out = {s: np.zeros(sims, dtype=bool) for s in shapes}
    for k in range(sims):
        pop = binary(rng, p)
        for s in shapes:
            out[s][k] = shape_test(pop, shape=s, threshold=0.5).holds
    return out


# ------------------------------------------------------------------ alternative breakpoint fit
def pspline(t, n, ybar, ss_within):
    """Penalised cubic regression spline, GCV smoothness, Bayesian SEs (mgcv's defaults)."""
    k = min(10, t.size)
    inner = np.linspace(t[0], t[-1], k - 2)[1:-1]
    knots = np.r_[[t[0]] * 4, inner, [t[-1]] * 4]
    basis = interpolate.BSpline.design_matrix(t, knots, 3).toarray()
    diff = np.diff(np.eye(k), 2, axis=0)
    penalty = diff.T @ diff
    gram = basis.T @ (n[:, None] * basis)
    rhs = basis.T @ (n * ybar)
    total = n.sum()
    best = None
    for lam in np.trace(gram) / np.trace(penalty) * np.logspace(-6, 6, 49):
        a_inv = np.linalg.pinv(gram + lam * penalty)
        beta = a_inv @ rhs
        edf = float(np.trace(a_inv @ gram))
        rss = ss_within + float(np.sum(n * (ybar - basis @ beta) ** 2))
        gcv = total * rss / max(total - edf, 1.0) ** 2
        if best is None or gcv < best[0]:
            best = (gcv, beta, a_inv, rss, edf)
    _, beta, a_inv, rss, edf = best
    sigma2 = rss / max(total - edf, 1.0)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", basis, a_inv, basis) * sigma2, 0.0))
    return basis @ beta, se


@contextlib.contextmanager
def spline_breakpoint():
    """shape_test with Simonsohn's flexible fit in place of the quadratic (benchmark only)."""
    saved = shape_module._quadratic
    shape_module._quadratic = pspline
    try:
        yield
    finally:
        shape_module._quadratic = saved


def old_rule(rng, p, sims) -> np.ndarray:
    """inverse_scaling's former U rule: signed-root LR of the quadratic logistic term,
    one-sided, minimum inside the scales, at alpha / 2 (statsmodels' binomial GLM)."""
    import statsmodels.api as sm

    t = np.log(SCALES)
    lin_x, quad_x = sm.add_constant(t), np.column_stack([np.ones(26), t, t**2])
    hits = np.zeros(sims, dtype=bool)
    for k in range(sims):
        y = rng.binomial(25, p)
        endog = np.column_stack([y, 25 - y])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lin = sm.GLM(endog, lin_x, family=sm.families.Binomial()).fit()
            quad = sm.GLM(endog, quad_x, family=sm.families.Binomial()).fit()
        b1, b2 = quad.params[1], quad.params[2]
        inside = b2 > 0 and t[0] < -b1 / (2 * b2) < t[-1]
        root = math.sqrt(max(lin.deviance - quad.deviance, 0.0))
        hits[k] = inside and stats.norm.sf(root) <= 0.025
    return hits


# ------------------------------------------------------------------ sections
def section_nulls(sims, rng) -> None:
    print(f"\n## 1. Null shapes: verdict rates at alpha = 0.05 (26 scales x 25 seeds, {sims} "
          "populations per row)\n")  # fmt: skip
    print("| P(success) | U | inverted U | U, reversed | inverted U, reversed |")
    print("|---|---:|---:|---:|---:|")
    for name, p in NULLS.items():
        a = verdicts(p, sims, rng)
        b = verdicts(p[::-1], sims, rng)
        cells = [rate_text(a["u"]), rate_text(a["inverted-u"]), rate_text(b["u"]),
                 rate_text(b["inverted-u"])]  # fmt: skip
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def section_breakpoint(sims, rng) -> None:
    print(f"\n## 2. The breakpoint's smooth fit: U verdict rate ({sims} populations per row)\n")
    print("| P(success) | quadratic (distscale) | P-spline, GCV (Simonsohn) | "
          "old rule: quadratic logistic LR |")  # fmt: skip
    print("|---|---:|---:|---:|")
    rows = {k: NULLS[k] for k in list(NULLS)[:4]} | US
    for name, p in rows.items():
        seed = int(rng.integers(2**32))
        quad = verdicts(p, sims, np.random.default_rng(seed), ("u",))["u"]
        with spline_breakpoint():
            spline = verdicts(p, sims, np.random.default_rng(seed), ("u",))["u"]
        old = old_rule(np.random.default_rng(seed), p, sims)
        print(f"| {name} | {rate_text(quad)} | {rate_text(spline)} | {rate_text(old)} |",
              flush=True)


def section_power(sims, rng) -> None:
    print(f"\n## 3. Power at alpha = 0.05 (26 scales x 25 seeds, {sims} populations per row)\n")
    print("| P(success) | U verdict | inverted-U verdict on 1 - P |")
    print("|---|---:|---:|")
    for name, p in US.items():
        u = verdicts(p, sims, rng, ("u",))["u"]
        inv = verdicts(1 - p, sims, rng, ("inverted-u",))["inverted-u"]
        print(f"| {name} | {rate_text(u)} | {rate_text(inv)} |", flush=True)


def section_mean(sims, rng) -> None:
    print(f"\n## 4. quantity='mean' (12 scales x 20 seeds, N(mean, 1); {sims} populations)\n")
    print("| mean | U verdict |")
    print("|---|---:|")
    scales = 2.0 ** np.arange(1, 13)
    t = np.log2(scales)
    for name, mean in {
        "flat 0 (6 scales), then +0.4 per scale": np.maximum(t - 6, 0) * 0.4,
        "U: 0.15 (t - 6.5)^2": 0.15 * (t - 6.5) ** 2,
        "U: 0.02 (t - 6.5)^2 (weak)": 0.02 * (t - 6.5) ** 2,
        "U: 0.01 (t - 6.5)^2 (weaker)": 0.01 * (t - 6.5) ** 2,
    }.items():
        hits = np.zeros(sims, dtype=bool)
        for k in range(sims):
            pop = Population.from_dict({s: m + rng.standard_normal(20)
                                        for s, m in zip(scales, mean, strict=True)})  # fmt: skip
            hits[k] = shape_test(pop, quantity="mean").holds
        print(f"| {name} | {rate_text(hits)} |", flush=True)


class _Paired(Population):
    paired = True


def paired(frame) -> Population:
    try:
        return Population(frame, scale="scale", seed="seed", value="acc", paired=True)
    except TypeError:  # Population has no `paired` flag yet
        return _Paired(frame, scale="scale", seed="seed", value="acc")


def independent(frame) -> Population:
    try:
        return Population(frame, scale="scale", seed="seed", value="acc", paired=False)
    except TypeError:  # Population has no `paired` flag yet
        return Population(frame, scale="scale", seed="seed", value="acc")


def section_paired(sims, rng) -> None:
    print(f"\n## 5. Paired populations (12 scales x 20 seeds, noise N(0, 0.5) plus each seed's "
          f"own deviation; {sims} populations)\n")  # fmt: skip
    print("| mean | seeds deviate by | cluster by seed (paired) | HC3 (pairing ignored) |")
    print("|---|---|---:|---:|")
    scales = 2.0 ** np.arange(1, 13)
    t = np.log2(scales)
    flat_rise = np.maximum(t - 6, 0) * 0.15
    for name, mean, kind in (
        ("flat 0 (6 scales), then +0.15 per scale", flat_rise, "offset N(0, 1)"),
        ("flat 0 (6 scales), then +0.15 per scale", flat_rise, "random walk, steps N(0, 0.5)"),
        ("U: 0.03 (t - 6.5)^2", 0.03 * (t - 6.5) ** 2, "offset N(0, 1)"),
        ("U: 0.03 (t - 6.5)^2", 0.03 * (t - 6.5) ** 2, "random walk, steps N(0, 0.5)"),
    ):
        hits = np.zeros((sims, 2), dtype=bool)
        for k in range(sims):
            if kind.startswith("offset"):
                dev = np.repeat(rng.standard_normal((1, 20)), scales.size, axis=0)
            else:  # a checkpoint curve: a seed that is low at one scale stays low at the next
                dev = np.cumsum(0.5 * rng.standard_normal((scales.size, 20)), axis=0)
            rows = [(s, j, m + dev[i, j] + 0.5 * rng.standard_normal())
                    for i, (s, m) in enumerate(zip(scales, mean, strict=True))
                    for j in range(20)]  # fmt: skip
            frame = pd.DataFrame(rows, columns=["scale", "seed", "acc"])
            hits[k, 0] = shape_test(paired(frame), quantity="mean").holds
            hits[k, 1] = shape_test(independent(frame), quantity="mean").holds
        print(f"| {name} | {kind} | {rate_text(hits[:, 0])} | {rate_text(hits[:, 1])} |",
              flush=True)


SECTIONS = (section_nulls, section_breakpoint, section_power, section_mean, section_paired)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the populations")
    parser.add_argument("--sims", type=int, default=1000, help="populations per row")
    parser.add_argument("--sections", type=int, nargs="*", default=[1, 2, 3, 4, 5],
                        help="which sections (each has its own random stream)")
    args = parser.parse_args()
    sims = max(args.sims // 5, 20) if args.quick else args.sims
    warnings.simplefilter("ignore", distscale.DegenerateDataWarning)
    start = time.perf_counter()
    for number in args.sections:
        rng = np.random.default_rng([20250101, number])
        SECTIONS[number - 1](sims if number < 5 else sims // 2, rng)
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
