"""The pile rule of ``bounds="auto"`` (distscale.modality.checks).

References: the null shapes are simulated with numpy's binomial and beta
generators (exact match over k examples with seed-to-seed skill spread, a
beta-binomial); the rule's rates are checked against the nominal level by a
binomial bound on the simulation count, and its cell probability against
scipy's normal CDF written out by hand.
"""

import math

import numpy as np
import pytest
from scipy.stats import binom, norm

from distscale.modality.checks import (
    auto_bounds,
    detect_grid,
    pile_excess_pvalue,
)


def test_pile_excess_pvalue_by_hand():
    # exact match over 10: 4 runs at 0.2, the rest 0.3..0.7
    x = np.array([2] * 4 + [3] * 9 + [4] * 14 + [5] * 12 + [6] * 7 + [7] * 2) / 10
    rest = x[x != 0.2]
    spread = math.sqrt(rest.var(ddof=1) + 0.1**2)
    q = norm.cdf((0.25 - rest.mean()) / spread)
    assert pile_excess_pvalue(x, 0.2, 4, 0.1) == pytest.approx(binom.sf(3, x.size, q), rel=1e-12)
    # the largest value: the cell is everything above value - step / 2
    q_hi = norm.sf((0.65 - x[x != 0.7].mean()) / math.sqrt(x[x != 0.7].var(ddof=1) + 0.01))
    assert pile_excess_pvalue(x, 0.7, 2, 0.1) == pytest.approx(binom.sf(1, x.size, q_hi), rel=1e-12)


def _piles(make, reps, rng):
    found = 0
    for _ in range(reps):
        found += auto_bounds(make(rng))[0] is not None
    return found / reps


@pytest.mark.parametrize("k", [10, 30])
def test_ties_of_a_discrete_tail_are_not_piles(k):
    # unimodal exact match over k examples, 48 seeds: the extremes tie by chance
    # (the reported false "capacity threshold" on such populations); before the
    # rule, max(3, 5%) ties at an extreme made a pile in 15 % (k=30) to 58 % (k=10)
    rng = np.random.default_rng(k)
    reps = 400
    rate = _piles(lambda r: r.binomial(k, r.beta(8, 12, 48)) / k, reps, rng)
    # nominal 0.001 per end; 0.02 is a loose bound that the old rule fails by far
    assert rate <= 0.02


def test_real_piles_are_found():
    rng = np.random.default_rng(5)
    # 20 % exact zeros below a hump of exact match over 30 (48 seeds)
    def zeros(r):
        x = r.binomial(30, r.beta(14, 6, 48)) / 30
        x[: 10] = 0.0
        return x
    assert _piles(zeros, 100, rng) == 1.0
    # continuous values: any max(3, 5%) ties at an extreme are a pile (no grid)
    x = np.concatenate([np.zeros(3), rng.normal(0.6, 0.1, 45)])
    assert detect_grid(x) is None and auto_bounds(x)[0] == (0.0, math.inf)
    # five zeros of fifteen below a hump rounded to 0.01 (a spurious 0.01 grid)
    y = np.concatenate([np.zeros(5), np.round(rng.normal(0.6, 0.1, 10), 2)])
    assert detect_grid(y) is not None
    assert auto_bounds(y)[0] == (0.0, math.inf)


def test_has_distinct_agrees_with_counting():
    # the sort-free check for 1 and 2 distinct values against counting them (n_distinct)
    from distscale.modality.checks import has_distinct, n_distinct

    rng = np.random.default_rng(8)
    x = rng.integers(0, 3, size=(400, 6)).astype(float)
    x[:50] = 1.0  # rows of one value
    w = (rng.random(x.shape) < 0.5).astype(float)
    w[:20] = 0.0  # rows with no weight at all
    for weights in (None, w):
        counts = n_distinct(x, weights)
        for k in (1, 2, 3):
            np.testing.assert_array_equal(has_distinct(x, weights, k), counts >= k)
