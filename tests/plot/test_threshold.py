"""The threshold-sensitivity picture draws what the result holds (read back from the artists)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

import distscale
from distscale.plot.threshold import threshold_sensitivity as draw_sensitivity


@pytest.fixture(scope="module")
def result():
    pop = distscale.datasets.load_count_population().select(metric="exact_match")
    return distscale.threshold_sensitivity(pop, thresholds=[0.2, 0.5, 0.8, 2.0],
                                           n_resamples=60, rng=0)


def test_panels_hold_the_numbers(result):
    fig = draw_sensitivity(result)
    top, mid, low = fig.axes[:3]
    keep = result.table["mean_change"] != "degenerate"  # τ = 2 puts every run below
    assert keep.sum() == 3
    line = top.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), result.thresholds[keep.to_numpy()])
    np.testing.assert_allclose(line.get_ydata(), result.share[keep.to_numpy()])
    assert len(low.get_lines()) == len(result.scales)
    np.testing.assert_allclose(low.get_lines()[0].get_ydata(),
                               result.p_observed[keep.to_numpy(), 0])
    assert mid.get_yscale() == "log"
    plt.close(fig)


def test_rejects_other_results():
    with pytest.raises(TypeError, match="must be a ThresholdSensitivity"):
        draw_sensitivity(object())
