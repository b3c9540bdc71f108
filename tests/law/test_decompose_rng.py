"""A fitted law's decomposition of the mean is reproducible without passing ``rng`` again."""

import numpy as np

import distscale as ds


def test_the_law_seed_fixes_the_empirical_split_and_an_explicit_rng_still_rules():
    pop = ds.datasets.load_count_population().select(metric="exact_match")
    law = ds.law.DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=30,
                                          rng=0).fit(pop)
    a, b = law.decompose_mean(), law.decompose_mean()
    np.testing.assert_array_equal(a.empirical.ci_low, b.empirical.ci_low)
    c, d = law.decompose_mean(rng=1), law.decompose_mean(rng=2)
    assert not np.array_equal(c.empirical.ci_low, d.empirical.ci_low)
    unseeded = ds.law.DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=30,
                                               rng=np.random.default_rng(0)).fit(pop)
    e, f = unseeded.decompose_mean(), unseeded.decompose_mean()  # a Generator: fresh draws
    assert not np.array_equal(e.empirical.ci_low, f.empirical.ci_low)
