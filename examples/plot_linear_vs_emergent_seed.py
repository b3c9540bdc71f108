"""
A linear seed and an emergent seed in one population
====================================================

BIG-bench (Srivastava et al. 2022) scores a scaling curve by its
*linearity* ``I / sqrt(mean(Δy²))`` and its *breakthroughness*
``I / sqrt(median(Δy²))``, where ``Δy`` are the steps between successive
scales and ``I`` how far the curve moves. A straight line on 6 scales scores
5 on both; a curve that sits still and then jumps scores a small linearity
and a large breakthroughness. The paper scores the curve of every single seed
and finds smoothly improving and sharply emerging seeds in the same
population.

Here: the 48 seed curves of the bundled count population
(:func:`distscale.datasets.load_count_population`, exact match on sequences
longer than the training ones, at six widths) scored with
:func:`distscale.per_seed_emergence`, drawn with
:func:`distscale.plot.seed_trajectories`, and the most linear and the most
emergent seed side by side.
"""

import matplotlib.pyplot as plt
import pandas as pd

import distscale as ds
import distscale.plot
from distscale.plot.output import show_or_save

pd.set_option("display.width", 120)

pop = ds.datasets.load_count_population().select(metric="exact_match")
width_of = ds.datasets.load_count_population(as_frame=True).groupby("n_params")["width"].first()

# %%
# Scoring every seed's curve
# --------------------------
#
# A seed's curve joins the runs with the same seed number at the six widths:
# the same stream of training data and initialisation seed, but a different
# network at each width (as in the paper's single-seed curves). Only the
# order of the scales matters to the scores.

scores = ds.per_seed_emergence(pop)
table = scores.to_frame()
table["step_ratio"] = table["breakthroughness"] / table["linearity"]
print(scores)
print(table[["linearity", "breakthroughness", "step_ratio", "improvement"]]
      .describe().loc[["min", "25%", "50%", "75%", "max"]].round(2).to_string())

# %%
# Which seed is "linear", which "emergent"?
# ------------------------------------------
#
# The most emergent seed is the one with the largest breakthroughness. For
# the most linear seed, the smallest breakthroughness is the wrong pick:
# breakthroughness is also small for a curve that zig-zags (its median step
# is large), as the seed with the smallest breakthroughness shows. The
# linear seed is the one with the largest linearity: the curve closest to an
# even climb (a straight line scores 5).

wide = pop.wide()
wide.columns = [f"w{width_of[s]}" for s in wide.columns]
zigzag = table.loc[table["breakthroughness"].idxmin()]
emergent = table.loc[table["breakthroughness"].idxmax()]
linear = table.loc[table["linearity"].idxmax()]
chosen = table.loc[[zigzag.name, linear.name, emergent.name],
                   ["seed", "linearity", "breakthroughness", "step_ratio", "improvement"]]
chosen.index = ["smallest breakthroughness", "largest linearity", "largest breakthroughness"]
print(chosen.round(2).to_string())
print()
print(wide.loc[[zigzag["seed"], linear["seed"], emergent["seed"]]].round(3).to_string())

# %%
# Seed 5 climbs at every width (0.10, 0.16, 0.27, 0.52, 0.70, 0.98): linearity
# 4.5 and breakthroughness 4.9, both close to a straight line's 5. Seed 23
# sits near 0.1 for three widths, then goes to 0.95 in one step and stays
# there: linearity 2.5, breakthroughness 34. Seed 11, the smallest
# breakthroughness (1.7), reaches 1.0 at width 32, falls to 0.41 at width 40
# and comes back: neither linear nor emergent. Over the population the
# median breakthroughness is about 8 -- the typical seed emerges -- but the
# spread (from 1.7 to 34) is the point: one population, very different
# single-seed stories.
#
# All the seed curves
# -------------------
#
# One line per seed, coloured by its breakthroughness (the most emergent
# drawn on top); the scale axis is the parameter count (log).

ax = distscale.plot.seed_trajectories(scores, population=pop)
ax.set_ylabel("OOD exact match")

# %%
# The two seeds and their scores
# ------------------------------

fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
for row, color, name in ((linear, "#0072B2", "linear"), (emergent, "#D55E00", "emergent")):
    ax.plot(pop.scales, pop.wide().loc[row["seed"]], marker="o", color=color,
            label=f"seed {row['seed']} ({name}): linearity {row['linearity']:.2f}, "
                  f"breakthroughness {row['breakthroughness']:.2f}")
ax.set_xscale("log")
ax.set_xticks(pop.scales, [f"{s / 1000:.3g}k\nwidth {width_of[s]}" for s in pop.scales])
ax.minorticks_off()
ax.set_xlabel("n_params")
ax.set_ylabel("OOD exact match")
ax.set_ylim(-0.02, 1.25)
ax.legend(loc="upper left", fontsize="small")
ax.set_title("The most linear and the most emergent seed")
# Run on its own, the script shows the figure in a window, or saves it as
# ``plot_linear_vs_emergent_seed.png`` (150 dpi) in the current folder where there is no display
# (replacing that file from an earlier run).
show_or_save("plot_linear_vs_emergent_seed", overwrite=True)
