"""
The four curves: mode, mean, P(success), mean | success
=======================================================

The paper's summary of a seed population at each scale is not one curve but
several: the mode (the typical seed), the mean (what an average over seeds
reports), the probability that a seed succeeds, and the mean of the seeds
that succeed (and of those that fail). On the bundled count population
(:func:`distscale.datasets.load_count_population`, 48 seeds at each of six
widths, exact match on sequences longer than any seen in training), this
example computes them with seed-bootstrap intervals
(:func:`distscale.summary_curves`), draws them
(:func:`distscale.plot.summary_curves`) and checks where the mean's jump
comes from: from more seeds succeeding, or from successful seeds getting
better.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import distscale as ds
import distscale.plot
from distscale.plot.output import show_or_save

pd.set_option("display.width", 140)
# NaN conditional means where no seed succeeds (fails) are expected here.
warnings.simplefilter("ignore", ds.DegenerateDataWarning)

pop = ds.datasets.load_count_population().select(metric="exact_match")
width_of = ds.datasets.load_count_population(as_frame=True).groupby("n_params")["width"].first()

# A seed succeeds when it gets more than half of the long sequences right.
curves = ds.summary_curves(pop, threshold=0.5, n_resamples=1000, rng=0)
print(curves)

# %%
# The table
# ---------
#
# Estimates at each width, and the 95% seed-bootstrap interval of each
# (``mean_success`` is undefined at widths 16 and 24, where no seed
# succeeds, and ``mean_failure`` at width 64, where none fails).

stats = ["mode", "mean", "p_success", "mean_success", "mean_failure"]
frame = curves.to_frame()
frame = frame[frame["statistic"].isin(stats)]
estimates = frame.pivot(index="scale", columns="statistic", values="estimate")[stats]
estimates.insert(0, "width", width_of.reindex(estimates.index).to_numpy())
print(estimates.round(3).to_string())
frame["95% CI"] = [f"[{lo:.2f}, {hi:.2f}]" for lo, hi in zip(frame["ci_low"], frame["ci_high"],
                                                             strict=True)]
print()
print(frame.pivot(index="scale", columns="statistic", values="95% CI")[stats].to_string())

# %%
# Where does the mean's jump come from?
# -------------------------------------
#
# The mean at each width is exactly ``P(success) * mean | success +
# (1 - P(success)) * mean | failure``. Between two widths, the change of
# the mean can therefore be split: move P(success) to its new value keeping
# the conditional means where they were, or keep P(success) and move the
# conditional means. The two counterfactual changes below (they need not add
# up to the total exactly; the remainder is their interaction) are computed
# for the steps where both conditional means are defined at both ends.

p = curves.estimate("p_success")
ms, mf, mean = (curves.estimate(s) for s in ("mean_success", "mean_failure", "mean"))
print(f"{'step':>12} {'mean change':>12} {'P(success) only':>16} {'cond. means only':>17}")
for i in range(len(p) - 1):
    if not np.isfinite([ms[i], ms[i + 1], mf[i], mf[i + 1]]).all():
        continue
    only_p = (p[i + 1] - p[i]) * (ms[i] - mf[i])
    only_cond = p[i] * (ms[i + 1] - ms[i]) + (1 - p[i]) * (mf[i + 1] - mf[i])
    step = f"{width_of.iloc[i]}->{width_of.iloc[i + 1]}"
    print(f"{step:>12} {mean[i + 1] - mean[i]:>12.3f} {only_p:>16.3f} {only_cond:>17.3f}")

# %%
# What the numbers say. From width 32 to 40 the mean jumps by 0.41 (0.32 ->
# 0.73): P(success) goes from 0.10 to 0.83 while mean | success stays put
# (0.83 -> 0.80, each inside the other's interval). Moving P(success) alone
# accounts for 0.42 of the jump; moving the conditional means alone for
# 0.11, almost all of it from the *failing* seeds, whose mean rises from 0.25
# to 0.38 -- bigger models fail less badly (the interaction of the two
# changes takes back 0.12). The next, smaller step (40 -> 48, +0.16) is the
# other way round: the successful seeds get better (0.80 -> 0.92) and
# account for 0.10 of it, P(success) (0.83 -> 0.94) for 0.04.
#
# So mean | success is not perfectly flat -- it climbs from 0.80 to 0.97
# between widths 40 and 64 -- but it moves little while P(success) goes from
# 0 to 1, and the mean's one big jump is the fraction of seeds that learn
# the rule, not seeds learning it better. The mode, which follows the bulk
# of the seeds, jumps further still: from 0.17 to 1.00 between widths 32 and
# 40.
#
# The figure
# ----------
#
# Curves in the metric's units on the left axis, P(success) (dashed) on its
# own right-hand axis from 0 to 1; bands are the 95% bootstrap intervals,
# the dotted line is the success threshold. The scale axis is logarithmic
# in the parameter count.

fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
distscale.plot.summary_curves(curves, ax=ax)
ax.set_ylabel("OOD exact match")
# Exact match and P(success) both live on [0, 1]: give the two axes the same
# limits so that a height reads the same on either.
ax.set_ylim(ax.right_ax.get_ylim())
ax.set_xticks(curves.scales, [f"{t.get_text()}\nwidth {width_of[s]}"
                              for s, t in zip(curves.scales, ax.get_xticklabels(), strict=True)])
# Run on its own, the script shows the figure in a window, or saves it as
# ``plot_four_curves.png`` (150 dpi) in the current folder where there is no display
# (replacing that file from an earlier run).
show_or_save("plot_four_curves", overwrite=True)
