"""The result contract: every result object has to_frame, plot (by type), a repr and a safe ==."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import distscale as ds
from distscale._lib.results import ConfidenceInterval, Interval, Result, values_equal
from tests._helpers import bimodal


def _pop():
    return ds.Population.from_dict(bimodal(4, 24, seed=3))


def _results():
    """One instance of every public result class, made cheaply."""
    pop = _pop()
    x = np.concatenate([np.linspace(0, 0.2, 20), np.linspace(0.7, 0.9, 20)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curves = ds.summary_curves(pop, threshold=0.5, n_resamples=50, rng=0)
        out = {
            "BootstrapResult": ds.bootstrap([x], lambda s: s.mean(axis=-1), n_resamples=50, rng=0),
            "SummaryCurves": curves,
            "DistributionShift": ds.distribution_shift(pop, n_resamples=50, rng=0),
            "MeanDecomposition": ds.describe.decompose_mean(pop, threshold=0.5,
                                                            n_resamples=50, rng=0),
            "EmergenceScores": ds.emergence_scores([1, 2, 3, 4], [0, 0.1, 0.2, 0.9]),
            "PerSeedEmergence": ds.per_seed_emergence(pop),
            "CurveEmergence": ds.curve_emergence(curves),
            "DipTestResult": ds.dip_test(x),
            "MixtureFit": ds.fit_mixture(x, n_components=2, rng=0),
            "ComponentSelection": ds.select_components(x, method="bic", rng=0),
            "ModalityScan": ds.modality_scan(pop, n_resamples=19, n_boot_ci=20, rng=0),
            "SuccessCurve": ds.success_curve(pop, threshold=0.5),
            "TrendTestResult": ds.trend_test(pop),
            "MonotonicityTestResult": ds.monotonicity_test(pop, n_resamples=99, rng=0),
            "InverseScalingResult": ds.inverse_scaling(pop, threshold=0.5, rng=0),
            "ShapeTestResult": ds.shape_test(
                ds.Population.from_dict(bimodal(6, 24, seed=3)), quantity="mean"),
            "ConditionComparison": ds.compare_conditions(
                pd.concat([pop.to_frame().assign(arm=a) for a in ("a", "b")]), by="arm",
                threshold=0.5, scale="scale", seed="seed", value="value", n_resamples=50,
                rng=0),
        }  # fmt: skip
    return out


RESULTS = _results()
#: Results that have a picture in distscale.plot.
PICTURED = {"SummaryCurves", "DistributionShift", "PerSeedEmergence", "ModalityScan",
            "SuccessCurve", "TrendTestResult", "MonotonicityTestResult", "InverseScalingResult",
            "ConditionComparison"}


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_contract(name):
    res = RESULTS[name]
    assert type(res).__name__ == name and isinstance(res, Result)
    assert dataclasses.is_dataclass(res)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(res, dataclasses.fields(res)[0].name, None)
    # equality compares array fields by value and never raises
    twin = dataclasses.replace(res)
    assert res == twin and not (res != twin)
    assert (res == object()) is False
    with pytest.raises(TypeError):
        hash(res)
    # a readable one-line repr that starts with the class name
    text = repr(res)
    assert text.startswith(name) and "\n" not in text and len(text) < 2000
    assert isinstance(res.to_frame(), pd.DataFrame)


@pytest.mark.parametrize("name", sorted(PICTURED))
def test_plot_dispatches_by_type(name):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import distscale.plot

    assert distscale.plot.draw.dispatch(type(RESULTS[name])) is not distscale.plot.draw.dispatch(
        object
    )
    kwargs = {"population": _pop()} if name == "PerSeedEmergence" else {}
    drawn = RESULTS[name].plot(**kwargs)
    assert drawn is not None
    plt.close("all")


def test_equality_sees_a_changed_array():
    res = RESULTS["SummaryCurves"]
    other = dataclasses.replace(res, estimates=res.estimates + 1.0)
    assert res != other


def test_results_without_a_picture_say_so():
    import distscale.plot

    with pytest.raises(TypeError, match="no picture of a DipTestResult"):
        RESULTS["DipTestResult"].plot()
    assert distscale.plot.draw is not None


def test_interval_contract():
    ci = ConfidenceInterval(np.array([0.1, 0.2]), np.array([0.3, 0.4]), level=0.9,
                            method="percentile")
    low, high = ci
    np.testing.assert_array_equal(low, [0.1, 0.2])
    np.testing.assert_array_equal(high, [0.3, 0.4])
    assert 0.25 in ci and 0.35 not in ci
    assert ci == ConfidenceInterval(np.array([0.1, 0.2]), np.array([0.3, 0.4]), 0.9, "percentile")
    assert ci != ConfidenceInterval(np.array([0.1, 0.2]), np.array([0.3, 0.4]), 0.95, "percentile")
    assert repr(Interval(1.0, 2.0)) == "Interval(low=1, high=2)"


def test_per_scale_intervals_come_as_one_confidence_interval():
    curves = RESULTS["SummaryCurves"]
    ci = curves.confidence_interval
    assert isinstance(ci, ConfidenceInterval) and ci.level == 0.95 and ci.method == "percentile"
    np.testing.assert_array_equal(ci.low, curves.ci_low)
    share = RESULTS["MeanDecomposition"].share_ci
    assert isinstance(share, ConfidenceInterval)
    lo, hi = share
    assert lo <= RESULTS["MeanDecomposition"].share <= hi


def test_values_equal_handles_nan_frames_and_nesting():
    assert values_equal(float("nan"), float("nan"))
    assert values_equal(pd.DataFrame({"a": [1.0, np.nan]}), pd.DataFrame({"a": [1.0, np.nan]}))
    assert not values_equal(np.zeros(2), np.zeros(3))
    assert values_equal({"a": (np.ones(2), "x")}, {"a": (np.ones(2), "x")})
    assert not values_equal([1], (1,))
