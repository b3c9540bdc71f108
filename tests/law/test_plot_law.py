"""Pictures of the law (Agg): each draws what its result holds.

Reference: the result's own numbers -- the plotted density curve is the
law's pdf, the backtest bars are its CRPS values, the seed-plan curve is the
plan's power curve -- read back from the drawn artists.
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from distscale.law import (
    DistributionalScalingLaw,
    backtest,
    seeds_needed,
    simulate_population,
)
from distscale.plot import draw
from tests.law._truth import SCALES, known_law


@pytest.fixture(scope="module")
def law():
    pop = simulate_population(known_law(True), SCALES, 30, rng=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=20,
                                        rng=0).fit(pop)


def test_scaling_law_panels(law):
    fig = draw(law, at=2 * SCALES[-1])
    assert len([a for a in fig.axes if a.get_title()]) == SCALES.size + 1
    assert "predicted" in fig.axes[SCALES.size].get_title()
    plt.close("all")


def test_predictive_density_curve_is_pdf(law):
    pred = law.predict(SCALES[2])
    ax = draw(pred)
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 50]
    assert lines
    x, y = (np.asarray(v, float) for v in lines[0].get_data())
    inside = (x > 0) & (x < 1)
    np.testing.assert_allclose(y[inside], pred.pdf(x[inside]).estimate, rtol=1e-9)
    plt.close("all")


def test_backtest_and_plan_and_decomposition(law):
    pop = simulate_population(known_law(), SCALES[:4], 16, rng=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bt = backtest(pop, threshold=0.5, bounds=(0, 1), n_resamples=5, rng=0)
    ax = draw(bt)
    assert ax.get_figure() is not None
    plan = seeds_needed("p_success", p=0.5, half_width=0.1)
    ax = draw(plan)
    ys = np.concatenate([np.asarray(ln.get_ydata(), float) for ln in ax.get_lines()])
    assert np.nanmax(ys) <= 1.0 + 1e-9
    dec = law.decompose_mean(rng=0)
    assert draw(dec) is not None
    plt.close("all")


def test_results_plot_through_draw(law):
    """Every law result's ``.plot()`` is ``distscale.plot.draw`` (the Result contract)."""
    pred = law.predict(2 * SCALES[-1])
    plan = seeds_needed("p_success", p=0.5, half_width=0.1)
    dec = law.decompose_mean(rng=0)
    for result in (pred, plan, dec):
        ax = result.plot()
        assert ax.get_lines() or ax.collections
        plt.close("all")
