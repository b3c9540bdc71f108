"""The engine fits tied values once, weighted by their count: the same fit.

References: the mixture log-likelihood computed directly with scipy.stats
(an implementation nobody here wrote) at the fitted parameters, over every
value; and the engine itself with the merging switched off.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import distscale.modality.em_starts as em_starts
from distscale.modality.em import fit_batch


def _tied(batch: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    win = rng.random((batch, n)) < rng.uniform(0.2, 0.8, (batch, 1))
    x = np.where(win, rng.normal(0.8, 0.06, (batch, n)), rng.beta(1.2, 12, (batch, n)))
    return np.round(np.clip(x, 0.01, 1.0) * 50) / 50  # accuracy on 50 items: many ties


@pytest.mark.parametrize("weighted", [False, True])
def test_merged_fit_equals_the_fit_on_every_value(weighted, monkeypatch):
    x = _tied(40, 400, 0)
    rng = np.random.default_rng(1)
    w = rng.multinomial(400, np.full(400, 1 / 400), size=40).astype(float) if weighted else None
    assert em_starts.merge_ties(x, w) is not None  # the data do get merged
    merged = fit_batch(x, 2, weights=w, rng=np.random.default_rng(2), responsibilities=True)
    monkeypatch.setattr(em_starts, "MERGE_TIES_BELOW", 0.0)  # merging off
    plain = fit_batch(x, 2, weights=w, rng=np.random.default_rng(2), responsibilities=True)
    # both reach the same optimum (a better one would be fine too; here every row agrees)
    np.testing.assert_allclose(merged["loglik"], plain["loglik"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(merged["means"], plain["means"], atol=1e-5)
    np.testing.assert_allclose(merged["resp"], plain["resp"], atol=1e-4)
    assert merged["resp"].shape == (40, 2, 400)
    # scipy at the fitted parameters, summed over every original value
    ww = np.ones_like(x) if w is None else w
    dens = sum(merged["weights"][:, [c]] * stats.norm.pdf(x, merged["means"][:, [c]],
                                                            merged["sds"][:, [c]])
               for c in range(2))
    np.testing.assert_allclose(merged["loglik"], (ww * np.log(dens)).sum(axis=1), rtol=1e-10)


def test_continuous_values_are_not_merged():
    x = np.random.default_rng(0).normal(size=(5, 100))
    assert em_starts.merge_ties(x, None) is None


def test_rows_with_different_values_are_merged_row_by_row():
    # each row on its own grid: the union is too wide, the row-by-row path merges
    rng = np.random.default_rng(4)
    x = np.stack([np.round(rng.normal(0, 1, 200) * 4) / 4 + 0.001 * i for i in range(30)])
    values, weights, inverse = em_starts.merge_ties(x, None)
    np.testing.assert_array_equal(np.take_along_axis(values, inverse, axis=1), x)
    np.testing.assert_array_equal(weights.sum(axis=1), np.full(30, 200.0))


def test_lrt_replicates_on_a_grid_become_counts_of_the_same_values():
    from distscale.modality.lrt import _grid_counts

    rng = np.random.default_rng(5)
    y = rng.normal(0.4, 0.2, (7, 300))
    values, counts = _grid_counts(y, 0.0, 0.02)
    rounded = 0.02 * np.round(y / 0.02)
    for r in range(7):  # the same multiset of rounded values, row by row
        expanded = np.repeat(values[r], counts[r].astype(int))
        np.testing.assert_allclose(np.sort(expanded), np.sort(rounded[r]), atol=1e-12)
    assert values.shape[1] < 300  # fewer cells than values
    # each row keeps its occupied cells in order; a shorter row is padded with empty cells
    occupied = counts > 0
    assert occupied[:, 0].all() and occupied.sum(axis=1).max() == values.shape[1]
    assert np.all(np.diff(occupied.astype(int), axis=1) <= 0)  # no empty cell before a full one
    fine_values, fine_counts = _grid_counts(y, 0.0, 1e-6)  # finer than the values: as they are
    assert fine_values.shape == y.shape and np.all(fine_counts == 1)


def test_lrt_grid_counts_fit_as_the_whole_grid_does():
    # the replicates' fits on each row's occupied cells equal those on the chunk's whole
    # range of cells (empty cells at weight 0): the engine sees no value of weight 0
    from distscale.modality.lrt import _grid_counts

    rng = np.random.default_rng(6)
    y = rng.normal(0.45, 0.35, (60, 500))
    values, counts = _grid_counts(y, 0.0, 0.02)
    cell = np.round(y / 0.02).astype(int)
    lo, hi = cell.min(), cell.max()
    full_values = np.broadcast_to(0.02 * np.arange(lo, hi + 1.0), (60, hi - lo + 1))
    full_counts = np.stack([np.bincount(c - lo, minlength=hi - lo + 1) for c in cell])
    assert values.shape[1] < full_values.shape[1]  # the tails were left out
    # the two differ only by rounding (sums over more terms), which can steer a slow EM
    # on a flat ridge of a unimodal sample to a slightly different stop: so both are run
    # to full convergence here
    kw = {"n_init": 4, "tol": 1e-13, "max_iter": 100_000}
    short = fit_batch(values, 2, weights=counts, **kw)
    whole = fit_batch(full_values, 2, weights=full_counts.astype(float), **kw)
    assert short["converged"].all() and whole["converged"].all()
    np.testing.assert_allclose(short["loglik"], whole["loglik"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(short["floor"], whole["floor"], rtol=1e-12)
    for key in ("means", "sds", "weights"):
        np.testing.assert_allclose(short[key], whole[key], rtol=0, atol=1e-3, err_msg=key)
