"""``plot.scaling_law(scales=...)``: a few of many scales, and a clear error for a wrong one."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import distscale as ds
from distscale.plot.law import scaling_law


@pytest.fixture(scope="module")
def law():
    pop = ds.datasets.load_count_population().select(metric="exact_match")
    return ds.law.DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=10,
                                           rng=0).fit(pop)


def test_chosen_scales_get_one_panel_each_and_the_prediction_one_more(law):
    chosen = law.scales_[[0, 2, -1]]
    fig = scaling_law(law, scales=chosen, at=2 * law.scales_[-1])
    titles = [a.get_title() for a in fig.axes if a.get_title()]
    assert len(titles) == 4
    assert titles[-1].endswith("(predicted)")
    assert all("n = 48" in t for t in titles[:3])
    matplotlib.pyplot.close("all")


def test_a_scale_that_was_not_fitted_is_refused(law):
    with pytest.raises(ValueError, match="`scales` must name fitted scales"):
        scaling_law(law, scales=[np.pi])
