"""The law's bootstrap refits tied values once, weighted by their count: the same bands.

Reference: the same fit with merging switched off (every run its own column),
the layout whose likelihood the engine's tests check by hand.
"""

import warnings

import numpy as np

import distscale as ds
import distscale.law.engine as engine


def _grid_population(seed: int = 0) -> ds.Population:
    rng = np.random.default_rng(seed)
    data = {}
    for i, scale in enumerate([1e3, 3e3, 1e4, 3e4, 1e5, 3e5]):
        win = rng.random(300) < [0.05, 0.15, 0.4, 0.6, 0.85, 0.95][i]
        x = np.where(win, rng.normal(0.8, 0.06, 300), rng.beta(1.2, 12, 300))
        data[scale] = np.round(np.clip(x, 0, 1) * 50) / 50  # accuracy on 50 items: ties
    return ds.Population.from_dict(data, metric="exact_match")


def test_merged_bootstrap_gives_the_same_bands(monkeypatch):
    pop = _grid_population()
    warnings.simplefilter("ignore")
    merged = ds.law.DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=40,
                                             rng=0).fit(pop)
    monkeypatch.setattr(engine, "MERGE_TIES_BELOW", 0.0)
    plain = ds.law.DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=40,
                                            rng=0).fit(pop)
    a = merged.coef_.select_dtypes("number").to_numpy(float)
    b = plain.coef_.select_dtypes("number").to_numpy(float)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    pa, pb = merged.predict(6e5), plain.predict(6e5)
    np.testing.assert_allclose(pa.p_success().ci.low, pb.p_success().ci.low, rtol=1e-9)


def test_merged_columns_carry_every_run_once():
    # two scales: values with ties, a pile at 0 (not continuous), and padding at scale 0
    z = np.array([[0.0, 0.5, 0.5, 1.5, 1.5, 1.5, 0.0, 0.0, 9.0, 9.0],
                  [0.0, 0.0, 0.2, 0.2, 0.2, 0.2, 0.7, 0.7, 0.7, 0.0]])
    valid = np.ones_like(z, dtype=bool)
    valid[0, 8:] = False
    pile = (z == 0.0) & valid
    data = engine.EMData(z, valid, valid & ~pile, pile, np.zeros_like(valid), z > 1.0,
                         np.array([0.0, 1.0]), None, "logistic", {}, {})
    merged, inverse = engine.merge_ties(data)
    for j in range(2):
        v = valid[j]
        np.testing.assert_array_equal(merged.z[j][inverse[j][v]], z[j][v])
        np.testing.assert_array_equal(merged.pile_f[j][inverse[j][v]], pile[j][v])
        assert not merged.valid[j][inverse[j][~v]].any()  # padding goes to a column never valid
    assert merged.valid.sum() == 3 + 3  # {0, 0.5, 1.5} and {0, 0.2, 0.7}
