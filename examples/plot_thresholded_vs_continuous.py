"""
Thresholded vs continuous metrics on the count task
===================================================

Is a sudden rise with scale an artefact of scoring by exact match, where a
sequence with one wrong token scores 0? Schaeffer et al. (2023) argue that
continuous metrics (per-token accuracy, log-likelihood) turn many such jumps
into smooth curves. The paper's counterpoint: the *seed distribution* can be
bimodal under every metric, which a smoother mean curve does not remove.

:func:`distscale.compare_metrics` scores the same runs under several
metrics: for each, the mean curve with a nested bootstrap (seeds and
evaluation examples resampled), BIG-bench's linearity and breakthroughness
and their ratio (the *step ratio*: 1 for a straight line; 2 or more counts
as a jump), the modality scan of the seeds, and ``P(run metric ≥ τ)`` over a
grid of levels τ. Here on the bundled count population at the level of test
lengths: each of 288 runs (6 widths x 48 seeds) scored separately on
sequences of 21, 22, ..., 30 numbers.
"""

import warnings

import pandas as pd

import distscale as ds
import distscale.plot
from distscale.plot.output import show_or_save

pd.set_option("display.width", 140)
warnings.simplefilter("ignore", ds.DegenerateDataWarning)  # caveats are kept in res.notes

samples = ds.datasets.load_count_population(level="length", as_frame=True)
print(samples[["width", "n_params", "seed", "length", "exact_match", "token_accuracy", "nll",
               "edit_distance"]].head().to_string(index=False))
print(f"{len(samples)} rows: {samples['n_params'].nunique()} widths x "
      f"{samples['seed'].nunique()} seeds x {samples['length'].nunique()} test lengths")

# %%
# Four metrics of the same runs
# -----------------------------
#
# ``exact_match`` (fraction of the 128 sequences of a length that are
# entirely right) is the thresholded metric; ``token_accuracy`` (fraction of
# right tokens), ``nll`` (mean negative log-likelihood of the target tokens,
# lower is better) and ``edit_distance`` (normalised edit distance, lower is
# better) are continuous. The ten test lengths act as the evaluation
# examples (``sample="length"``), so the nested bootstrap resamples lengths
# as well as seeds. Each metric's success threshold defaults to the middle
# of its observed range.

res = ds.compare_metrics(samples, scale="n_params", seed="seed", sample="length",
                         metrics=["exact_match", "token_accuracy", "nll", "edit_distance"],
                         n_resamples=1000, rng=0)
print(res)
means = res.to_frame().query("source == 'runs' and quantity == 'mean'")
print(means.pivot(index="scale", columns="metric", values="estimate")[list(res.metrics)]
      .round(3).to_string())

rows = []
for m in res.metrics:
    v = res.verdicts[m]
    rows.append({"metric": m, "kind": v.kind, "higher is better": v.higher_is_better,
                 "linearity": v.linearity, "breakthroughness": v.breakthroughness,
                 "step ratio": v.step_ratio,
                 "95% CI": f"[{v.step_ratio_ci.low:.2f}, {v.step_ratio_ci.high:.2f}]",
                 "jump": v.jump, "bimodal scales": len(v.bimodal_scales),
                 "seeds that jump": v.seed_jump_fraction})
print(pd.DataFrame(rows).round(2).to_string(index=False))

# %%
# The verdicts
# ------------

for m in res.metrics:
    print(res.verdict(m))
    print()
print(res.persistence())

# %%
# What the numbers say. No mean curve jumps, not even exact match's: its
# step ratio is 1.39 (95% CI 1.04-2.28), its rise spread over the widths
# 24 to 48. The P(success) curves, on the other hand, jump under every metric
# (step ratios 2.1 to 16 in the verdicts). The modality scan rejects one
# Gaussian at 3 to 5 scales under every metric, but it counts a scale as
# bimodal only when the two components are also well separated (Ashman's
# D >= 2 at the lower end of its interval), and no scale of this population
# passes under any metric: at 48 seeds the seeds that count past the
# training lengths are too few at any one width (4 at width 32), and the
# other rejections are skewed piles of failing or of successful seeds. (With
# ``modality_options={"min_separation": None}``, the test alone, the seeds
# are "bimodal" at 3 to 5 scales under every metric.) The share of
# single-seed curves that jump is where the
# thresholded metric stands out: 62% under exact match, 19-33% under the
# continuous metrics.
#
# The continuous metrics are not simply smoother versions of exact match:
# the mean token accuracy *falls* from width 16 to 32 (0.90 to 0.86) before it
# rises to 0.98, and the mean edit distance (lower is better) rises from 0.06
# to 0.12 before it falls to 0.02: the seeds of widths 24 and 32 (nearly all
# failing) get more tokens wrong than those of width 16, although their
# exact match is higher. Only the NLL improves at every width. The verdict's
# "rises" describes the improvement ``I`` (maximum after minimum, in the
# better direction), not a monotone curve; BIG-bench's scores do not see the
# dip.
#
# The separation criterion matters here: the scan tests one Gaussian against
# two, which also rejects for a strongly skewed single mode. Without it,
# exact match counted as bimodal at the smallest width, where every seed
# fails (all below 0.1); the modality-scan example shows the fitted
# components.
#
# The figure
# ----------
#
# One column per metric. Top: the mean over runs with its nested-bootstrap
# band and the capacity threshold (first bimodal scale) as a vertical line.
# Bottom: the fraction of runs at or beyond each level τ (coloured by τ).
# Even where the mean is smooth (NLL), the fraction of runs past a given
# level goes from near 0 to near 1 within one or two widths.

fig = distscale.plot.metric_comparison(res)
fig.set_size_inches(16, 7.6)
# Run on its own, the script shows the figure in a window, or saves it as
# ``plot_thresholded_vs_continuous.png`` (150 dpi) in the current folder where there is no display
# (replacing that file from an earlier run).
show_or_save("plot_thresholded_vs_continuous", overwrite=True)
