"""``InverseScalingResult.finding_shape``: the table word of the report and the sensitivity sweep."""

import numpy as np

import distscale as ds


def test_finding_shape_is_the_shape_only_with_a_finding():
    rng = np.random.default_rng(0)
    scales, falling = [1e3, 1e4, 1e5, 1e6], [0.9, 0.6, 0.3, 0.1]
    good = [0.7, 0.8, 0.9, 0.97]  # fewer runs succeed, and those that do get better
    data = {s: np.where(rng.random(80) < p, rng.normal(g, 0.01, 80), rng.normal(0.1, 0.02, 80))
            for s, p, g in zip(scales, falling, good, strict=True)}
    res = ds.inverse_scaling(ds.Population.from_dict(data), threshold=0.5, rng=0)
    assert res.finding and res.finding_shape == res.shape == "falls"
    flat = {s: rng.normal(0.5, 0.1, 60) for s in scales}
    res = ds.inverse_scaling(ds.Population.from_dict(flat), threshold=0.5, rng=0)
    assert not res.finding and res.finding_shape == "no"
