"""
Predict the largest width of the count task, and plan seeds for the next
========================================================================

The bundled count population (:func:`distscale.datasets.load_count_population`)
has 48 seeds at each of six widths. This example hides the largest width,
fits a distributional scaling law (:class:`distscale.DistributionalScalingLaw`)
to the five smaller ones, predicts the whole seed distribution at the hidden
width, and compares it with the 48 runs that were hidden -- then scores the
prediction against three baselines (:func:`distscale.backtest`). Finally it
fits the law to all six widths, predicts twice the largest width, and asks
how many seeds would pin P(success) there (:func:`distscale.seeds_needed`).
"""

import warnings

import numpy as np
import pandas as pd

import distscale as ds
from distscale.law import (
    DistributionalScalingLaw,
    ExtrapolationWarning,
    backtest,
    seeds_needed,
)
from distscale.plot.output import show_or_save

pd.set_option("display.width", 120)

pop = ds.datasets.load_count_population().select(metric="exact_match")
frame = pop.to_frame()
largest = pop.scales[-1]
smaller = ds.Population(frame[frame[pop.scale] < largest], scale=pop.scale, seed=pop.seed,
                        value="exact_match", paired=pop.paired)
law = DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), rng=0).fit(smaller)
print(law)
print("\n".join(law.notes_))

# %%
# The prediction at the hidden width
# ----------------------------------
#
# The law was never shown this width: the prediction extrapolates its lines
# in ln(parameters) (and says so with an ``ExtrapolationWarning``). Beside
# it, what the 48 hidden runs did.

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ExtrapolationWarning)
    pred = law.predict(largest)
hidden = pop.values()[-1]
p = pred.p_success()
print(f"P(success) predicted {float(p.estimate):.3f} [{float(p.ci.low):.3f}, "
      f"{float(p.ci.high):.3f}]; observed {np.mean(hidden > 0.5):.3f}")
q = pred.quantile([0.1, 0.5, 0.9])
print("10/50/90th percentiles predicted", np.round(q.estimate, 3),
      "observed", np.round(np.quantile(hidden, [0.1, 0.5, 0.9]), 3))
mass = pred.point_masses()
print(f"share of runs exactly at 1: predicted {float(mass.estimate[0]):.2f}, "
      f"observed {np.mean(hidden == 1):.2f}")

# %%
# The fitted densities over each width's runs, and the prediction
# ----------------------------------------------------------------
#
# Each panel: a width's runs (histogram of the values inside (0, 1), scaled
# to their share), the law's density with its 95 % seed-bootstrap band, and
# on the right-hand axis the share of runs at 1 (diamond: the law; open
# square: the data). The last panel is the prediction at the hidden width.

fig = law.plot(at=largest)

# %%
# Scored against baselines
# ------------------------
#
# CRPS (lower is better) of the law and of three baselines fitted on the same
# five widths, with seed-bootstrap intervals of each difference.

bt = backtest(pop, threshold=0.5, bounds=(0, 1), n_resamples=100, rng=0)
table = bt.to_frame().query("score == 'crps'")
print(table[["model", "value", "ci_low", "ci_high", "difference", "verdict"]].round(4)
      .to_string(index=False))
ax = bt.plot()

# %%
# The next width, and how many seeds to run there
# -----------------------------------------------
#
# Fitted to all six widths, the law predicts twice the largest width; the
# best of 3 seeds there; and the seeds needed to pin P(success) within
# +-0.05 with 95 % probability (exact binomial), at the predicted P(success)
# and at the end of its band nearest 50 %.

full = DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), rng=0).fit(pop)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ExtrapolationWarning)
    nxt = full.predict(2 * largest)
print(nxt)
print(nxt.best_of(3))
plan = seeds_needed("p_success", law=full, at=2 * largest, half_width=0.05)
print(plan)

# %%
# The law predicts nearly every seed succeeds at the next width, so a handful
# of seeds pins P(success). A sharper question: how many seeds per width
# would show that successful runs still improve from the largest width to the
# next (Welch's t-test on the runs that succeed, power 0.8, simulated from the
# law's two predicted distributions)?

diff = seeds_needed("difference", what="mean_success", law=full, at=(largest, 2 * largest),
                    n_simulations=1000, rng=0)
print(diff)
ax = diff.plot()

show_or_save("plot_predict_next_scale", overwrite=True)
