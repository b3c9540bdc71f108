"""
Inverse scaling of the success probability
==========================================

When the mean score *falls* as models grow, has capability got worse? The
paper's case study (Zhao et al. 2025) shows another way: fewer seeds
succeed at larger scales while the seeds that do succeed keep getting
better. The mean falls because the mixture shifts towards failures, not
because successful models get worse. :func:`distscale.inverse_scaling` asks
both questions with a test each -- does P(success) fall (or turn U-shaped)?
do successful runs improve? -- and only calls it inverse scaling of the
success probability when both answers are yes.

This example runs it on a simulated population built to show the pattern,
on its mirror image (P(success) rises while successful runs get worse), and
on the real PolyPythias losses bundled with distscale, and draws the first
with :func:`distscale.plot.inverse_scaling` (the result's ``.plot()``).
"""

import warnings

import numpy as np
import pandas as pd

import distscale as ds
from distscale.plot.output import show_or_save

pd.set_option("display.width", 140)
pd.set_option("display.max_columns", 10)
warnings.simplefilter("ignore", ds.DegenerateDataWarning)

# %%
# The simulated population
# ------------------------
#
# Six model sizes from 1M to 300M parameters (``t = log10(size / 1M)``
# from 0 to 2.5), 40 seeds each. A seed succeeds with probability
# ``1 / (1 + exp(-(1.5 - 1.2 t)))``, which falls from 0.82 to 0.19 across
# the sizes. A successful seed scores ``0.55 + 0.12 t`` (0.55 to 0.85) plus
# normal noise of sd 0.05 (clipped to [0, 1]); a failed seed scores uniformly
# in [0, 0.05]. Success is "accuracy above 0.2", which separates the two
# groups cleanly.

rng = np.random.default_rng(2)
sizes = np.array([1e6, 3e6, 1e7, 3e7, 1e8, 3e8])
t = np.log10(sizes / 1e6)
p_true = 1 / (1 + np.exp(-(1.5 - 1.2 * t)))
mean_success_true = 0.55 + 0.12 * t


def simulate(p_success, mean_success, n_seeds=40):
    data = {}
    for size, p, m in zip(sizes, p_success, mean_success, strict=True):
        succeeds = rng.random(n_seeds) < p
        good = np.clip(m + 0.05 * rng.standard_normal(n_seeds), 0, 1)
        data[size] = np.where(succeeds, good, 0.05 * rng.random(n_seeds))
    return ds.Population.from_dict(data, metric="accuracy")


pop = simulate(p_true, mean_success_true)
curves = ds.summary_curves(pop, threshold=0.2, n_resamples=500, rng=0)
stats = ["mean", "p_success", "mean_success"]
print(curves.to_frame().pivot(index="scale", columns="statistic", values="estimate")[stats]
      .round(3).to_string())

# %%
# The mean falls from 0.47 to 0.08: read alone, bigger models look worse.
# But P(success) falls (0.85 to 0.075 in this draw) while mean | success
# rises (0.55 to 0.81).
#
# The verdict
# -----------

res = ds.inverse_scaling(pop, threshold=0.2, n_resamples=999, rng=0)
print(res.verdict)
print()
print(res.to_frame().round(4).to_string(index=False, formatters={"pvalue": "{:.2g}".format}))

# %%
# Both tests reject: the Jonckheere test on the 0/1 success indicators says
# P(success) falls (logit slope -0.64 per unit of ln(size)); the quadratic
# logistic fit finds no U shape (p = 1); and the Jonckheere test on the
# successful seeds says they improve (their isotonic fit gains 0.26). Hence
# the finding: inverse scaling of the success probability, not of
# capability.
#
# Left panel: the observed fraction of successful seeds at each size
# (labelled successes/n), the logistic fit with its 95% band and the
# quadratic fit (dashed) with both AICs. Right panel: the mean of the
# successful seeds at each size and its isotonic (increasing) fit, with the
# trend test's p-value in the title.

fig = res.plot()
fig.set_size_inches(11.5, 5.0)

# %%
# The mirror image
# ----------------
#
# Swap the two stories: P(success) *rises* from 0.19 to 0.82 while the
# successful seeds get *worse* (0.85 to 0.55). Now the mean rises -- and
# hides that every successful model is worse than the last. This is not the
# pattern :func:`~distscale.inverse_scaling` looks for, and its verdict says
# so; a trend test on the successful seeds in the falling direction
# (:func:`distscale.trend_test` with ``subset="success"``) is what detects
# the decline.

mirror = simulate(p_true[::-1], mean_success_true[::-1])
mirror_curves = ds.summary_curves(mirror, threshold=0.2, n_resamples=500, rng=0)
print(mirror_curves.to_frame().pivot(index="scale", columns="statistic", values="estimate")
      [stats].round(3).to_string())
mirror_res = ds.inverse_scaling(mirror, threshold=0.2, n_resamples=999, rng=0)
print(mirror_res.verdict)
print(f"shape of P(success): {mirror_res.shape} (rising trend p = {mirror_res.rise_pvalue:.2g})")
decline = ds.trend_test(mirror, subset="success", threshold=0.2, alternative="decreasing", rng=0)
print(f"successful seeds get worse: Jonckheere p = {decline.pvalue:.2g}")

# %%
# Real data: PolyPythias
# ----------------------
#
# The bundled PolyPythias losses (:func:`distscale.datasets.load_polypythias`;
# lower is better, so ``higher_is_better=False``) have no such case at the
# final checkpoint: loss on bigram-sampled text falls with size for every
# seed. At training step 1000, though, the smallest model (14M) has the
# *lowest* loss (6.91 nats on average, against 7.09-7.16 for 70M-410M), an
# inverse scaling of the mean. Success = loss below 7.15 (about the median
# of all seeds at step 1000).

for step in ("final", 1000):
    real = ds.datasets.load_polypythias(step=step).select(metric="mean_bigram_loss")
    print(f"step {step}: mean loss by size", np.round([v.mean() for v in real.values()], 3),
          "| seeds below 7.15:", " ".join(f"{(v < 7.15).sum()}/{v.size}" for v in real.values()))
    out = ds.inverse_scaling(real, threshold=7.15, higher_is_better=False, n_resamples=999,
                             rng=0)
    print(f"  {out.verdict}")

# %%
# At the final checkpoint: ordinary scaling (more seeds below 7.15 and
# better successful seeds at larger sizes). At step 1000 the verdict is
# "not the inverse-scaling pattern": P(success) is U-shaped -- every 14M and
# every 410M seed succeeds, only some 70M and 160M seeds do -- but the
# successful seeds do not improve with size (the 14M ones are the best).
# Every 14M seed has a lower loss than every seed of a larger model: the
# whole distribution moved, so at that checkpoint the larger models really
# are worse, not just less often successful.
# Run on its own, the script shows the figure in a window, or saves it as
# ``plot_inverse_scaling.png`` (150 dpi) in the current folder where there is no display
# (replacing that file from an earlier run).
show_or_save("plot_inverse_scaling", overwrite=True)
