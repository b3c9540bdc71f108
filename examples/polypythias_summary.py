"""
PolyPythias: the distributional view of a real seed population
===============================================================

PolyPythias are Pythia language models retrained with several random seeds
(EleutherAI). The bundled table holds, for each size (14M, 70M, 160M, 410M
parameters) and seed, the loss on text sampled from a bigram model at the final
checkpoint. At 14M the seeds split into two groups: seeds 5 and 6 sit near
8.3 nats, the rest between 7.3 and 7.9.

This example prints the paper's summary curves with seed-bootstrap intervals,
how far the seed distribution moves between sizes (Wasserstein-1), and the
BIG-bench emergence scores of each seed's own curve and of each summary curve.

Run: ``python examples/polypythias_summary.py``
"""

import warnings

import pandas as pd

import distscale as ds

pd.set_option("display.width", 120)
warnings.simplefilter("ignore", ds.DegenerateDataWarning)  # the notes are printed below

pop = ds.datasets.load_polypythias().select(metric="mean_bigram_loss")
print(pop)
print(pop.wide().round(3), "\n")

# A run "succeeds" when its bigram loss is below 7.5 nats (lower is better).
curves = ds.summary_curves(pop, threshold=7.5, higher_is_better=False, rng=0)
table = curves.to_frame()
print("Summary curves (95% seed-bootstrap CIs):")
print(table.pivot(index="scale", columns="statistic", values="estimate").round(3), "\n")

shift = ds.distribution_shift(pop, p=1, rng=0)
print("Wasserstein-1 distance between successive sizes:")
print(shift.to_frame()[["scale_from", "scale_to", "estimate", "ci_low", "ci_high"]].round(3))
print()

seeds = ds.per_seed_emergence(pop)
print("Each seed's own loss-vs-size curve (negative = loss falls with size):")
print(seeds.to_frame().round(2).to_string(index=False), "\n")

print("Emergence scores of the summary curves:")
print(ds.curve_emergence(curves).to_frame().round(2).to_string(index=False))
