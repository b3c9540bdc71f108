"""The backtest scores each distinct held-out value once: the same scores as seed by seed.

Reference: scoringrules itself, called on every held-out seed with the
persistence forecast (the training scale's own runs) and the Gaussian mean
line, as a user would score them by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import scoringrules as sr

from distscale.datasets import load_count_population
from distscale.law.backtest import backtest


@pytest.fixture(scope="module")
def result():
    pop = load_count_population()
    return pop, backtest(pop, threshold=0.5, bounds=(0, 1), metric="exact_match",
                         n_holdout=1, n_resamples=20, rng=0)


def test_persistence_scores_equal_scoringrules_seed_by_seed(result):
    pop, bt = result
    values = pop.values("exact_match")
    held, last_train = values[-1], values[-2]  # many ties: accuracies on a fixed test set
    assert np.unique(held).size < held.size
    j = list(bt.models).index("persistence")
    by_hand = sr.crps_ensemble(held, np.broadcast_to(last_train, (held.size, last_train.size)))
    assert bt.crps[0][j] == pytest.approx(float(np.mean(by_hand)), rel=1e-12)
    inside = (held > 0) & (held < 1)
    logs = sr.logs_ensemble(held[inside],
                            np.broadcast_to(last_train, (int(inside.sum()), last_train.size)))
    assert bt.n_log_score[0] == int(inside.sum())
    assert bt.log_score[0][j] == pytest.approx(float(np.mean(logs)), rel=1e-10)
