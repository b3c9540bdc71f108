"""Calibration of the distributional scaling law's seed-bootstrap bands (issue 16).

Data are simulated from a known law -- 6 scales (1e4 to 1e5, evenly spaced in
ln(scale)) x 48 seeds, a metric in [0, 1] with logit-normal parts, the weight
of the successful part going from about 0.02 to 0.98 -- in two settings:
(a) failed and successful runs both continuous; (b) every failed run exactly
at 0 (a pile). Each population is fitted with ``DistributionalScalingLaw(bounds=(0, 1),
n_resamples=200, interval="calibrated", n_inner=25)`` and we count how often
the 95 % bands of ``law.predict(scales)`` cover the true value at every
scale: the weight of the successful part, P(success) (the chance a run is
beyond the threshold), and each continuous part's location and spread (in
logit units). Target: 0.95 +- 0.03. Three bands from the same fit: the
calibrated percentile interval of the double bootstrap (``cal``,
``interval="calibrated"``), the bias-corrected percentile interval of the
200 outer replicates (``bc``, the default ``interval="bc"``) and their plain
percentile interval (``perc``).

Run (one process, one thread; about 10 minutes for 300 simulations per
setting on this machine)::

    OMP_NUM_THREADS=1 python benchmarks/calibration_law.py [n_sims] [n_inner]

``--default`` instead fits with the law's defaults (1,000 replicates, the
bias-corrected band; about 2 minutes per setting) and reports the ``bc`` and
``perc`` bands, ``--seeds N`` sets the seeds per scale (48)::

    OMP_NUM_THREADS=1 python benchmarks/calibration_law.py --default [--seeds N] [n_sims]

The table is quoted in docs/law.md.
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import replace

import numpy as np

from distscale.law import DistributionalScalingLaw, law_from_params, simulate_population
from distscale.law.bands import DEFAULT_RESAMPLES, calibrated_band
from distscale.law.predictive import bc_band

SCALES = np.exp(np.linspace(np.log(1e4), np.log(1e5), 6))
G_MID = float(np.log(SCALES).mean())


def truth(pile: bool) -> DistributionalScalingLaw:
    """The known law (coefficients in g = ln(scale), centred at the middle scale)."""
    failure = ({"pile": (0.0, 0.0)} if pile else
               {"location": (-2.0 - 0.3 * G_MID, 0.3), "log_spread": (-0.5, 0.0)})
    return law_from_params(
        {"weight": {"intercept": -4.0 * G_MID, "slope": 4.0},
         "failure": failure,
         "success": {"location": (1.0 - 0.5 * G_MID, 0.5),
                     "log_spread": (-0.3 + 0.1 * G_MID, -0.1)}},
        threshold=0.5, bounds=(0, 1), scales=SCALES,
    )


def quantities(pred, pile: bool) -> dict[str, np.ndarray]:
    """(rows, scales) arrays of every calibrated quantity."""
    p = pred.params
    out = {"weight_success": p["pi"], "p_success": None,
           "location_success": p["mS"], "spread_success": p["sS"]}
    if not pile:
        out["location_failure"] = p["mF"]
        out["spread_failure"] = p["sF"]
    return out


def p_success_rows(pred) -> np.ndarray:
    """P(success) under every row (the estimate and each replicate)."""
    from scipy import special

    p = pred.params
    zt = 0.0  # logit(0.5)
    pi, qf, qs = p["pi"], p["qF"], p["qS"]
    one = pi * qs + (1 - pi) * (1 - qf) * special.ndtr((p["mF"] - zt) / p["sF"])
    return one + pi * (1 - qs) * special.ndtr((p["mS"] - zt) / p["sS"])


def run(pile: bool, n_sims: int, n_resamples: int | None = 200, n_inner: int | None = 25,
        n_seeds: int = 48) -> tuple[dict, dict]:
    """Coverage of every band over ``n_sims`` populations; ``n_inner=None``: the bc and
    perc bands of a fit with ``n_resamples`` replicates (None: the law's default)."""
    law0 = truth(pile)
    tpred = law0.predict(SCALES)
    true = quantities(tpred, pile)
    true["p_success"] = p_success_rows(tpred)
    cover: dict[str, dict[str, list]] = {}
    modes: dict[str, int] = {}
    for r in range(n_sims):
        pop = simulate_population(law0, SCALES, n_seeds, rng=10_000 * pile + r)
        band = {} if n_inner is None else {"interval": "calibrated", "n_inner": n_inner}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            law = DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), success_model="logistic",
                                           n_resamples=n_resamples, rng=r, **band).fit(pop)
        st = law.structure_
        mode = ("pile" if st.pile["F"] else "") + ("+cont" if st.cont["F"] else "")
        modes[mode] = modes.get(mode, 0) + 1
        pred = law.predict(SCALES)
        est = quantities(pred, pile)
        est["p_success"] = p_success_rows(pred)
        inner = None
        if n_inner is not None:
            inner_pred = replace(pred, params=pred.inner, inner=None)
            inner = quantities(inner_pred, pile)
            inner["p_success"] = p_success_rows(inner_pred)
        for name, arr in est.items():
            t = true[name][0]
            lo, hi = bc_band(arr, 0.95)
            plo, phi = np.nanquantile(arr[1:], [0.025, 0.975], axis=0)
            c = cover.setdefault(name, {"cal": [], "bc": [], "perc": []} if inner is not None
                                 else {"bc": [], "perc": []})
            if inner is not None:
                clo, chi = calibrated_band(arr, inner[name], 0.95)
                c["cal"].append((clo <= t) & (t <= chi))
            c["bc"].append((lo <= t) & (t <= hi))
            c["perc"].append((plo <= t) & (t <= phi))
    return {k: {m: np.array(v) for m, v in d.items()} for k, d in cover.items()}, modes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_sims", nargs="?", type=int, default=300)
    parser.add_argument("n_inner", nargs="?", type=int, default=25,
                        help="inner resamples of the calibrated band (not with --default)")
    parser.add_argument("--default", action="store_true",
                        help="fit with the law's defaults (bias-corrected band only)")
    parser.add_argument("--seeds", type=int, default=48, help="seeds per scale")
    args = parser.parse_args()
    n_sims, n_seeds = args.n_sims, args.seeds
    if args.default:
        n_inner, n_resamples = None, None
        print(f"law calibration: {n_sims} simulations per setting, 6 scales x {n_seeds} seeds, "
              f"the law's default fit ({DEFAULT_RESAMPLES['bc']:,} replicates), 95 % bands "
              "(bc: the default; perc: plain percentile)")
    else:
        n_inner, n_resamples = args.n_inner, 200
        print(f"law calibration: {n_sims} simulations per setting, 6 scales x {n_seeds} seeds, "
              f"200 bootstrap replicates x {n_inner} inner, 95 % bands (cal: "
              "interval='calibrated'; bc: bias-corrected; perc: plain percentile)")
    for pile in (False, True):
        t0 = time.perf_counter()
        res, modes = run(pile, n_sims, n_resamples=n_resamples, n_inner=n_inner,
                         n_seeds=n_seeds)
        took = time.perf_counter() - t0
        label = "failed runs all at 0 (pile)" if pile else "both parts continuous"
        print(f"\nsetting: {label}  ({took:.0f} s; failed part fitted as: "
              + ", ".join(f"{m} {v / n_sims:.2f}" for m, v in modes.items()) + ")")
        print(f"{'quantity':<17} {'band':<5} {'pooled':>7} {'min':>6}   per scale "
              "(smallest to largest)")
        for name, d in res.items():
            for method, c in d.items():
                per = c.mean(axis=0)
                print(f"{name:<17} {method:<5} {c.mean():7.3f} {per.min():6.3f}   "
                      + " ".join(f"{v:.3f}" for v in per))
        print(f"(Monte Carlo se of a pooled coverage near 0.95: about "
              f"{np.sqrt(0.95 * 0.05 / (n_sims * len(SCALES))):.3f}, of one scale "
              f"{np.sqrt(0.95 * 0.05 / n_sims):.3f}; pooled values share populations)")


if __name__ == "__main__":
    main()
