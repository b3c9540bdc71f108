"""
Pythia on MMLU: is there a jump with size?
==========================================

The bundled table averages the 57 MMLU subjects of EleutherAI's own
lm-evaluation-harness runs of Pythia (70M to 12B parameters), for the standard
and the deduplicated training runs, which act here as two replicates per size.
Random guessing scores 0.25.

This example prints mean MMLU accuracy per size at the final checkpoint with
its emergence scores, and the same along training checkpoints for the largest
model — the kind of curve where a single run can look "emergent".

Run: ``python examples/pythia_mmlu_scaling.py``
"""

import warnings

import pandas as pd

import distscale as ds

pd.set_option("display.width", 120)
warnings.simplefilter("ignore", ds.DegenerateDataWarning)

pop = ds.datasets.load_pythia_mmlu()  # final checkpoint, zero-shot
print(pop)
print(pop.wide("mmlu_acc").round(4), "\n")

# "Success": a run beats chance (0.25) on average over the 57 subjects.
curves = ds.summary_curves(pop, metric="mmlu_acc", threshold=0.25, n_resamples=2000, rng=0)
print(curves.to_frame().query("statistic in ['mean', 'p_success']").round(4).to_string(index=False))
print()

scores = ds.curve_emergence(curves).to_frame()
print("Emergence scores of the curves across sizes:")
print(scores.round(2).to_string(index=False), "\n")

# Along training: the 12B runs at every checkpoint (scale = training step).
steps = ds.datasets.load_pythia_mmlu(step=None, as_frame=True)
big = steps[steps["model_size"] == "12b"].groupby("step")["mmlu_acc"].mean()
print("12B, mean over the two runs, by training step:")
print(big.round(4).to_string(), "\n")
trained = big[big.index > 0]  # log-spaced steps; step 0 is the initialisation
lin = ds.linearity(trained.index, trained)
brk = ds.breakthroughness(trained.index, trained)
print(f"linearity {lin:.2f}, breakthroughness {brk:.2f}")
