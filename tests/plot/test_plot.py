"""Tests of distscale.plot: every function draws on Agg, and what it drew is checked.

The reference values are the result objects themselves (a plot must show
exactly the stored estimates, intervals, fits and p-values) and numpy's
histogram for the ridgeline heights; the pictures were also looked at.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch
from matplotlib.transforms import Bbox

import distscale
import distscale.plot as dp
from distscale import Population
from tests._helpers import bimodal, quiet

SCALES = [2, 4, 8, 16, 32, 64]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def pop():
    data = bimodal(len(SCALES), 30, seed=0)
    return Population.from_dict({s: data[i + 1] for i, s in enumerate(SCALES)}, metric="acc")


@pytest.fixture(scope="module")
def results(pop):
    """Every result type computed once from the same simulated bimodal population."""
    rng = np.random.default_rng(1)
    inv = {}
    for i, (p, m) in enumerate(zip(np.linspace(0.8, 0.2, 6), np.linspace(0.55, 0.8, 6),
                                   strict=True)):
        ok = rng.random(40) < p
        inv[2 ** (i + 1)] = np.where(ok, m + 0.05 * rng.standard_normal(40),
                                     0.05 * rng.random(40))
    return {
        "summary": quiet(distscale.summary_curves, pop, threshold=0.2, n_resamples=100, rng=0),
        "shift": quiet(distscale.distribution_shift, pop, n_resamples=100, rng=0),
        "modality": quiet(distscale.modality_scan, pop, n_resamples=199, n_boot_ci=100,
                          success_threshold=0.2, bounds=(0, 1), rng=0),
        "success": quiet(distscale.success_curve, pop, threshold=0.2),
        "per_seed": quiet(distscale.per_seed_emergence, pop),
        "trend": quiet(distscale.trend_test, pop, subset="success", threshold=0.2, rng=0),
        "monotonicity": quiet(distscale.monotonicity_test, pop, n_resamples=199, rng=0),
        "inverse": quiet(distscale.inverse_scaling, Population.from_dict(inv), threshold=0.2,
                         n_resamples=199, rng=0),
    }


def render(obj):
    """Draw the figure for real (errors of artists only show at draw time)."""
    fig = obj if isinstance(obj, Figure) else obj.get_figure()
    fig.canvas.draw()
    return fig


def vertical_lines(ax):
    """x positions of the axvline()s of an Axes."""
    return [ln.get_xdata()[0] for ln in ax.lines
            if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] == ln.get_xdata()[1]
            and ln.get_transform() is not ax.transData]


def data_bbox(ax, renderer):
    """Display bbox of everything drawn in ``ax`` from data: line vertices, collections
    (bands, bars, scatters, ridgelines) and texts (the n= and k/n labels)."""
    boxes = []
    for ln in ax.lines:
        xy = np.column_stack([np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)])
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy):
            boxes.append(Bbox.from_extents(*ln.get_transform().transform(xy).min(axis=0),
                                           *ln.get_transform().transform(xy).max(axis=0)))
    boxes += [c.get_window_extent(renderer) for c in ax.collections]
    boxes += [p.get_window_extent(renderer) for p in ax.patches]
    boxes += [t.get_window_extent(renderer) for t in ax.texts]
    return Bbox.union([b for b in boxes if np.isfinite(b.extents).all()])


def assert_legend_clear_of_data(ax, twins=()):
    """The legend of ``ax`` covers neither its data, nor the axes at all (so no data can
    ever be under it), nor the title. Reference: the artists' own display extents
    after a real draw."""
    fig = render(ax)
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    for a in (ax, *twins):
        assert not legend.overlaps(data_bbox(a, renderer)), (legend, data_bbox(a, renderer))
        assert not legend.overlaps(a.bbox), (legend, a.bbox)
    if ax.get_title():
        assert not legend.overlaps(ax.title.get_window_extent(renderer))


def by_label(ax, label):
    found = [ln for ln in ax.lines if ln.get_label() == label]
    assert len(found) == 1, [ln.get_label() for ln in ax.lines]
    return found[0]


# ---------------------------------------------------------------- seed distributions
def test_ridgeline_draws_one_numpy_histogram_per_scale(pop):
    ax = dp.seed_distributions(pop, threshold=0.2, bins=10)
    render(ax)
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    assert len(steps) == len(SCALES)
    values = pop.values()
    edges = np.histogram_bin_edges(np.concatenate(values), bins=10)
    for i, (patch, v) in enumerate(zip(steps, values, strict=True)):
        data = patch.get_data()
        counts = np.histogram(v, edges)[0]  # reference: numpy's histogram
        np.testing.assert_allclose(data.edges, edges)
        np.testing.assert_allclose(data.baseline, i)
        np.testing.assert_allclose(data.values - i, 0.85 * counts / counts.max())
    rug = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(rug) == 1 and len(rug[0].get_offsets()) == pop.n_runs
    assert vertical_lines(ax) == [0.2]
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{s} (n=30)" for s in SCALES]
    assert ax.get_xlabel() == "acc" and ax.get_ylabel() == "scale"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["seeds", "threshold 0.2"]


def test_violin_with_deterministic_strip():
    pop = Population.from_dict({1: [0.5, 0.5, 0.5], 2: [0.1, 0.4, 0.9, 0.3], 3: [0.2, 0.8]})
    ax = dp.seed_distributions(pop, kind="violin", threshold=0.45)
    render(ax)
    # scale 1 has no spread: no density there, its seeds are still drawn
    bodies = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bodies) == 2
    (strip,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    offsets = strip.get_offsets()
    np.testing.assert_allclose(offsets[:, 1], np.concatenate(pop.values()))
    np.testing.assert_allclose(np.round(offsets[:, 0]), np.repeat([0, 1, 2], [3, 4, 2]))
    assert np.all(np.abs(offsets[:, 0] - np.round(offsets[:, 0])) <= 0.12)
    ax2 = dp.seed_distributions(pop, kind="violin")
    (strip2,) = [c for c in ax2.collections if isinstance(c, PathCollection)]
    np.testing.assert_array_equal(strip2.get_offsets(), offsets)  # same jitter every time
    assert [ln.get_ydata()[0] for ln in ax.lines] == [0.45]  # the threshold line


def test_seed_distributions_real_data_and_given_axes():
    pop = distscale.datasets.load_polypythias()
    fig, ax = plt.subplots()
    out = dp.seed_distributions(pop, metric="mean_bigram_loss", kind="violin", ax=ax)
    assert out is ax and len(fig.axes) == 1
    render(ax)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["14.1M\n(n=10)", "70.4M\n(n=10)", "162M\n(n=10)", "405M\n(n=5)"]
    assert ax.get_ylabel() == "mean_bigram_loss" and ax.get_xlabel() == "params"


def test_seed_distributions_rejects_bad_input(pop):
    with pytest.raises(TypeError, match="`population` must be a distscale Population"):
        dp.seed_distributions(pop.to_frame())
    with pytest.raises(ValueError, match="kind"):
        dp.seed_distributions(pop, kind="boxplot")
    with pytest.raises(ValueError, match="metric"):
        dp.seed_distributions(pop, metric="loss")
    with pytest.raises(TypeError, match="`ax` must be a matplotlib Axes"):
        dp.seed_distributions(pop, ax="left")


# -------------------------------------------------------------------- summary curves
def test_summary_curves_lines_bands_and_twin_axis(results):
    res = results["summary"]
    ax = dp.summary_curves(res)
    render(ax)
    right = ax.right_ax
    curves = ["mode", "mean", "mean | success", "mean | failure"]
    for stat, label in zip(["mode", "mean", "mean_success", "mean_failure"], curves, strict=True):
        np.testing.assert_allclose(by_label(ax, label).get_ydata(), res.estimate(stat))
    np.testing.assert_allclose(by_label(right, "P(success)").get_ydata(), res.estimate("p_success"))
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 4
    (band,) = [c for c in right.collections if isinstance(c, PolyCollection)]
    ys = band.get_paths()[0].vertices[:, 1]
    ci = res.interval("p_success")
    assert ys.min() == pytest.approx(ci.low.min()) and ys.max() == pytest.approx(ci.high.max())
    assert [ln.get_ydata()[0] for ln in ax.lines if ln.get_label().startswith("success")] == [0.2]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == curves + ["success threshold (> 0.2)", "P(success)"]
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "acc"
    assert right.get_ylabel() == "P(success: acc > 0.2)"


def test_summary_curves_subsets_of_statistics(results):
    res = results["summary"]
    ax = dp.summary_curves(res, statistics=["mean", "median"])
    assert not hasattr(ax, "right_ax") and len(ax.get_figure().axes) == 1
    assert [ln.get_label() for ln in ax.lines] == ["mean", "median", "success threshold (> 0.2)"]
    ax = dp.summary_curves(res, statistics=["p_success"], logx=False)
    assert [ln.get_label() for ln in ax.lines] == ["P(success)"]
    assert ax.get_ylabel() == "P(success: acc > 0.2)" and ax.get_xscale() == "linear"
    with pytest.raises(ValueError, match="statistics"):
        dp.summary_curves(res, statistics=["mode", "variance"])
    with pytest.raises(TypeError, match="must be a SummaryCurves"):
        dp.summary_curves(results["shift"])


# ---------------------------------------------------------------- distribution shift
def test_distribution_shift_points_and_interval_bars(results):
    res = results["shift"]
    ax = dp.distribution_shift(res)
    render(ax)
    assert [ln.get_label() for ln in ax.lines] == ["W1", "W2"]
    bars = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(bars) == 2
    for j, (line, bar) in enumerate(zip(ax.lines, bars, strict=True)):
        np.testing.assert_allclose(line.get_ydata(), res.estimates[:, j])
        segs = np.array(bar.get_segments())  # bars run from ci_low to ci_high, as stored
        np.testing.assert_allclose(segs[:, 0, 1], res.ci_low[:, j])
        np.testing.assert_allclose(segs[:, 1, 1], res.ci_high[:, j])
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "2→4", "4→8", "8→16", "16→32", "32→64"]
    ax = dp.distribution_shift(res, p=2)
    assert [ln.get_label() for ln in ax.lines] == ["W2"]
    with pytest.raises(ValueError, match="`p`"):
        dp.distribution_shift(res, p=3)


# --------------------------------------------------------------------- modality scan
def test_modality_scan_panels(results):
    res = results["modality"]
    assert res.capacity_threshold is not None and res.success_scale is not None
    fig = dp.modality_scan(res)
    render(fig)
    a_w, a_m, a_p = fig.axes
    comp = res.components
    for label in ("low", "high"):
        rows = comp[(comp["component"] == label) & (comp["parameter"] == "weight")]
        np.testing.assert_allclose(by_label(a_w, label).get_ydata(), rows["estimate"])
        rows = comp[(comp["component"] == label) & (comp["parameter"] == "mean")]
        np.testing.assert_allclose(by_label(a_m, label).get_ydata(), rows["estimate"])
    assert len([c for c in a_w.collections if isinstance(c, LineCollection)]) == 2
    for panel in fig.axes:  # capacity threshold and P(success) > 0.5, in every panel
        assert vertical_lines(panel) == [res.capacity_threshold, res.success_scale]
    np.testing.assert_allclose(by_label(a_p, "dip test p-value").get_ydata(), res.dip_pvalue)
    np.testing.assert_allclose(by_label(a_p, "Holm-adjusted LRT p-value").get_ydata(),
                               res.adjusted_pvalue)
    assert a_p.get_yscale() == "log" and a_p.get_xscale() == "log"
    assert fig.get_suptitle() == "Modality of acc across scale"
    legend = [t.get_text() for t in a_w.get_legend().get_texts()]
    assert legend[:2] == ["low", "high"] and legend[2].startswith("capacity threshold")


@pytest.fixture(scope="module")
def gappy_scan():
    """Two well-separated clusters at scales 1, 3, 4, 5, one tight cluster at scale 2, and
    a point mass at the upper bound at scales 3 and 5 only."""
    rng = np.random.default_rng(0)

    def two():
        return np.r_[rng.normal(0.2, 0.03, 20), rng.normal(0.7, 0.03, 20)]

    data = {1: two(), 2: rng.normal(0.45, 0.03, 40), 3: np.r_[two(), np.ones(8)], 4: two(),
            5: np.r_[two(), np.ones(8)]}
    pop = Population.from_dict(data, metric="acc")
    return quiet(distscale.modality_scan, pop, bounds=(0, 1), n_resamples=99, n_boot_ci=50,
                 rng=0)


def test_modality_scan_breaks_component_lines_where_absent(gappy_scan):
    res = gappy_scan
    comp = res.components
    present = {lab: sorted(comp.loc[(comp["component"] == lab) & (comp["parameter"] == "weight"),
                                    "scale"]) for lab in ("low", "high", "single", "at 1")}
    # the situation the picture must show (read off the fit itself)
    assert present == {"low": [1, 3, 4, 5], "high": [1, 3, 4, 5], "single": [2],
                       "at 1": [3, 5]}
    fig = dp.modality_scan(res)
    render(fig)
    a_w, a_m, _ = fig.axes
    for panel, parameter in ((a_w, "weight"), (a_m, "mean")):
        for label, scales in present.items():
            if parameter == "mean" and label == "at 1":
                continue  # a point mass has no mean to draw
            line = by_label(panel, label)
            np.testing.assert_array_equal(line.get_xdata(), res.scales)  # every scale ...
            y = np.asarray(line.get_ydata(), dtype=float)
            absent = ~np.isin(res.scales, scales)
            assert np.isnan(y[absent]).all()  # ... NaN (a break) where the component is absent
            rows = comp[(comp["component"] == label) & (comp["parameter"] == parameter)]
            np.testing.assert_allclose(y[~absent], rows.sort_values("scale")["estimate"])
            assert line.get_marker() == "o"  # lone points (single; at 1) still show
    # interval bars only where a component exists: one per weight row with a finite CI
    weights = comp[comp["parameter"] == "weight"]
    bars = [c for c in a_w.collections if isinstance(c, LineCollection)]
    n_finite = int((np.isfinite(weights["ci_low"]) & np.isfinite(weights["ci_high"])).sum())
    assert n_finite > 0 and sum(len(b.get_segments()) for b in bars) == n_finite


def test_modality_scan_bic_and_where_it_draws(pop):
    res = quiet(distscale.modality_scan, pop, method="bic", n_boot_ci=None, rng=0)
    fig = dp.modality_scan(res)
    render(fig)
    labelled = [ln.get_label() for ln in fig.axes[2].lines if not ln.get_label().startswith("_")]
    assert labelled == ["dip test p-value", "alpha = 0.05"]
    given = plt.figure()
    assert dp.modality_scan(res, ax=given) is given and len(given.axes) == 3
    fig2, axes = plt.subplots(3, 1)
    assert dp.modality_scan(res, ax=axes) is fig2
    assert all(a.lines for a in axes[[0, 2]])
    with pytest.raises(TypeError, match="3 panels"):
        dp.modality_scan(res, ax=axes[0])
    with pytest.raises(ValueError, match="must hold 3 Axes"):
        dp.modality_scan(res, ax=axes[:2])


# ---------------------------------------------------------------------- success curve
def test_success_curve_draws_fit_band_counts_and_x50(results):
    res = results["success"]
    ax = dp.success_curve(res)
    render(ax)
    fit = ax.lines[0]
    x = fit.get_xdata()
    np.testing.assert_allclose(fit.get_ydata(), res.predict(x)["p_success"])
    assert x[0] == 2 and x[-1] == 64
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 1
    assert [t.get_text() for t in ax.texts] == [
        f"{k:g}/{n:g}" for k, n in zip(res.successes, res.n, strict=True)]
    assert vertical_lines(ax) == [pytest.approx(res.x50)]
    (span,) = [p for p in ax.patches]  # the x50 interval, inside the observed scales
    box = span.get_bbox()
    assert (box.x0, box.x1) == (pytest.approx(res.x50_ci.low), pytest.approx(res.x50_ci.high))
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "P(acc > 0.2)"
    assert any(t.get_text().startswith("x50 = ") for t in ax.get_legend().get_texts())


def test_success_curve_without_crossing():
    pop = Population.from_dict({1: [0.0, 0.1, 0.5, 0.0], 2: [0.0, 0.6, 0.1, 0.0],
                                3: [0.0, 0.1, 0.7, 0.0]})
    res = quiet(distscale.success_curve, pop, threshold=0.3, x="linear")
    ax = dp.success_curve(res)
    render(ax)
    assert vertical_lines(ax) == [] and ax.get_xscale() == "linear"
    # the figure says why there is no x50: the result's own reason ("never reaches 50 % ...")
    assert ax.texts[-1].get_text() == res.x50_reason and "never reaches 50 %" in res.x50_reason


# ------------------------------------------------------------------ seed trajectories
def test_seed_trajectories_one_line_per_seed_coloured_by_breakthroughness(pop, results):
    res = results["per_seed"]
    ax = dp.seed_trajectories(res, population=pop)
    render(ax)
    (lines,) = ax.collections
    segs = lines.get_segments()
    assert len(segs) == len(res.seeds) == 30
    order = np.argsort(res.breakthroughness, kind="stable")  # most emergent drawn last
    np.testing.assert_allclose(lines.get_array(), res.breakthroughness[order])
    wide = pop.wide("acc")
    np.testing.assert_allclose(segs[-1][:, 1], wide.loc[res.seeds[order[-1]]].to_numpy())
    fig = ax.get_figure()
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "breakthroughness"
    assert ax.get_xscale() == "log"


def test_seed_trajectories_break_at_a_missing_run():
    # seed 1 has no run at depth 2, seed 2 none at depths 2 and 4 (hand-made case)
    df = pd.DataFrame({"depth": [1, 2, 3, 4, 5, 1, 3, 4, 5, 1, 3, 5],
                       "seed": [0] * 5 + [1] * 4 + [2] * 3,
                       "acc": [0, .1, .2, .3, .4, .0, .2, .9, .95, .1, .5, .6]})
    pop = Population(df, scale="depth", seed="seed", value="acc")
    res = quiet(distscale.per_seed_emergence, pop)
    ax = dp.seed_trajectories(res, population=pop)
    render(ax)
    lines, dots = ax.collections[0], ax.collections[1]
    # the paths keep NaN where a run is missing, so the drawn line breaks there
    # (get_segments() would hide them: it skips NaN vertices)
    ys = {tuple(np.nan_to_num(p.vertices[:, 1], nan=-1)) for p in lines.get_paths()}
    assert ys == {(0, .1, .2, .3, .4), (0, -1, .2, .9, .95), (.1, -1, .5, -1, .6)}
    # values with no neighbour are dots: seed 1 at depth 1, seed 2 at depths 1, 3 and 5
    np.testing.assert_allclose(sorted(map(tuple, dots.get_offsets())),
                               [(1, 0), (1, 0.1), (3, 0.5), (5, 0.6)])
    assert ax.get_ylim()[0] <= 0 and ax.get_ylim()[1] >= 0.95


def test_seed_trajectories_needs_the_matching_population(pop, results):
    res = results["per_seed"]
    with pytest.raises(TypeError, match="needs `population=`"):
        dp.seed_trajectories(res)
    other = Population(pop.to_frame().rename(columns={"seed": "run"}), scale="scale",
                       seed="run", value="acc")
    with pytest.raises(ValueError, match="scale/seed columns"):
        dp.seed_trajectories(res, population=other)
    fewer = Population(pop.to_frame().query("seed < 5"), scale="scale", seed="seed",
                       value="acc")
    with pytest.raises(ValueError, match="not in `population`"):
        dp.seed_trajectories(res, population=fewer)


def test_seed_trajectories_infinite_breakthroughness():
    df = pd.DataFrame({"depth": [1, 2, 3, 4] * 3, "seed": np.repeat([0, 1, 2], 4),
                       "acc": [0, .1, .2, .3, 0, 0, 0, .9, 0, .2, .5, .6]})
    pop = Population(df, scale="depth", seed="seed", value="acc")
    res = quiet(distscale.per_seed_emergence, pop)
    assert np.isinf(res.breakthroughness).any()
    ax = dp.seed_trajectories(res, population=pop)
    render(ax)
    assert len(ax.collections[0].get_segments()) == 3
    assert ax.get_figure().axes[1].get_ylabel() == "breakthroughness"


# ---------------------------------------------------------------------------- trend
def test_trend_draws_means_isotonic_fit_and_pvalue(results):
    res = results["trend"]
    ax = dp.trend(res)
    render(ax)
    np.testing.assert_allclose(by_label(ax, "per-scale means").get_ydata(), res.means)
    np.testing.assert_allclose(by_label(ax, "isotonic fit (increasing)").get_ydata(),
                               res.isotonic)
    assert [t.get_text() for t in ax.texts] == [f"n={k}" for k in res.n]
    assert ax.get_title() == f"Jonckheere trend test (increasing): p = {res.pvalue:.2g}"
    assert ax.get_ylabel() == "mean acc | acc > 0.2"


def test_trend_of_a_monotonicity_test(results):
    res = results["monotonicity"]
    ax = dp.trend(res)
    render(ax)
    assert len(ax.lines) == 3
    np.testing.assert_allclose(by_label(ax, "monotone null (close levels merged)").get_ydata(),
                               res.null_means)
    assert ax.get_title().startswith("Monotonicity test (null: increasing mean): p = ")
    with pytest.raises(TypeError, match="TrendTestResult or MonotonicityTestResult"):
        dp.trend(results["summary"])


def test_trend_legend_never_covers_data_real_runs():
    """The count population (exact match, 48 seeds at 6 widths): its top means sit at the
    top right, where a legend inside the axes covered them in the report's small panels."""
    pop = distscale.datasets.load_count_population()
    tests = [
        quiet(distscale.trend_test, pop, metric="exact_match", subset="success",
              threshold=0.5, rng=0),
        quiet(distscale.trend_test, pop, metric="exact_match", subset="failure",
              threshold=0.5, rng=0),
        quiet(distscale.monotonicity_test, pop, metric="exact_match", n_resamples=199, rng=0),
    ]
    for res in tests:  # a figure of its own
        assert_legend_clear_of_data(dp.trend(res))
    # side by side in small panels, re-titled afterwards, as the HTML report draws them
    fig = Figure(figsize=(4.2 * len(tests), 3.9), layout="constrained")
    FigureCanvasAgg(fig)  # the report draws on a bare Figure; Agg gives it a renderer here
    for ax, res in zip(fig.subplots(1, len(tests)), tests, strict=True):
        dp.trend(res, ax=ax)
        ax.set_title(f"panel\n{ax.get_title()}", fontsize=10)
    fig.canvas.draw()
    for ax in fig.axes:
        assert_legend_clear_of_data(ax)
    for dpi in (50, 200):  # the room above the axes is measured at every draw
        fig.set_dpi(dpi)
        assert_legend_clear_of_data(fig.axes[-1])


def test_trend_lines_break_at_a_dropped_scale():
    # no successful run (> 0.5) at scale 2: the test uses scales 1, 3, 4 (hand-made case)
    pop = Population.from_dict({1: [0.1, 0.05, 0.6], 2: [0.1, 0.0, 0.1],
                                3: [0.7, 0.1, 0.8], 4: [0.9, 0.8, 0.75]})
    for res in (quiet(distscale.trend_test, pop, subset="success", threshold=0.5),
                quiet(distscale.monotonicity_test, pop, subset="success", threshold=0.5,
                      n_resamples=99, rng=0)):
        assert list(res.scales) == [1, 3, 4] and [float(s) for s in res.dropped_scales] == [2]
        ax = dp.trend(res)
        render(ax)
        fits = [ln for ln in ax.lines if ln.get_label().startswith(("isotonic", "monotone"))]
        assert len(fits) == (2 if hasattr(res, "null_means") else 1)
        for line in fits:
            np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
            y = np.asarray(line.get_ydata(), dtype=float)
            assert np.isnan(y[1])  # no line through scale 2
            expected = res.isotonic if line.get_label().startswith("iso") else res.null_means
            np.testing.assert_allclose(y[[0, 2, 3]], expected)
        # the fitted level at scale 1 has no neighbour: a dash of its own
        dashes = [ln for ln in ax.lines if ln.get_marker() == "_"]
        assert len(dashes) == len(fits)
        assert all(list(d.get_xdata()) == [1] for d in dashes)
        np.testing.assert_allclose(by_label(ax, "per-scale means").get_xdata(), [1, 3, 4])


# -------------------------------------------------------------------- inverse scaling
def test_inverse_scaling_two_panels_and_verdict(results):
    res = results["inverse"]
    assert res.finding
    fig = dp.inverse_scaling(res)
    render(fig)
    left, right = fig.axes
    assert fig.get_suptitle().replace("\n", " ") == res.verdict
    labels = [ln.get_label() for ln in left.lines]
    assert labels[0] == f"logistic fit (AIC {res.aic_logistic:.1f})"
    assert f"quadratic fit (AIC {res.aic_quadratic:.1f})" in labels
    assert len(left.texts) == 6  # successes/n at every scale
    np.testing.assert_allclose(by_label(right, "per-scale means").get_ydata(),
                               res.success_trend.means)
    assert right.get_title().startswith("successful runs: Jonckheere")


def test_inverse_scaling_untested_success_panel():
    pop = Population.from_dict({1: [0.9, 0.8, 0.0, 0.1], 2: [0.0, 0.1, 0.0, 0.1],
                                4: [0.0, 0.05, 0.1, 0.0]})
    res = quiet(distscale.inverse_scaling, pop, threshold=0.5, n_resamples=99, rng=0)
    assert res.success_trend is None
    fig = dp.inverse_scaling(res)
    render(fig)
    right = fig.axes[1]
    assert not right.axison and "not tested" in right.texts[0].get_text()


# ------------------------------------------------------------------ metric comparison
@pytest.fixture(scope="module")
def comparison():
    """Exact match jumps while per-token accuracy rises smoothly (10 tokens per example)."""
    rng = np.random.default_rng(0)
    rows = [(2 ** s, seed, i, float(t.all()), t.mean())
            for s, p in enumerate([0.5, 0.6, 0.7, 0.8, 0.9]) for seed in range(6)
            for i in range(30) for t in [rng.random(10) < p]]
    df = pd.DataFrame(rows, columns=["scale", "seed", "sample_id", "exact_match",
                                     "token_accuracy"])
    return quiet(distscale.compare_metrics, df, scale="scale", seed="seed",
                 metrics=["exact_match", "token_accuracy"], n_resamples=100, rng=0)


def test_metric_comparison_one_column_per_metric(comparison):
    res = comparison
    fig = dp.metric_comparison(res)
    render(fig)
    frame = res.to_frame()
    runs = frame[frame["source"] == "runs"]
    tops, bottoms = fig.axes[:2], fig.axes[2:4]
    assert [cb.get_xlabel() for cb in fig.axes[4:]] == ["level τ", "level τ"]  # colour bars
    for m, top, bottom in zip(res.metrics, tops, bottoms, strict=True):
        mean = runs[(runs["metric"] == m) & (runs["quantity"] == "mean")]
        (line,) = top.lines
        np.testing.assert_allclose(line.get_ydata(), mean["estimate"])
        (band,) = [c for c in top.collections if isinstance(c, PolyCollection)]
        ys = band.get_paths()[0].vertices[:, 1]
        assert ys.min() == pytest.approx(mean["ci_low"].min())
        assert ys.max() == pytest.approx(mean["ci_high"].max())
        assert len(bottom.lines) == len(res.tau_grids[m])  # one line per level τ
        reach = runs[(runs["metric"] == m) & (runs["quantity"] == "p_reach")]
        first_tau = np.sort(reach["tau"].unique())[0]
        np.testing.assert_allclose(bottom.lines[0].get_ydata(),
                                   reach[reach["tau"] == first_tau]["estimate"])
        assert bottom.get_ylabel() == f"P(run {m} ≥ τ)"
        assert top.get_xscale() == "log"
    words = {True: "", False: "no ", None: "n/a "}
    for m, top in zip(res.metrics, tops, strict=True):  # the verdict, as stored
        v = res.verdicts[m]
        jump = "jump n/a" if v.jump is None else f"{words[v.jump]}jump"
        bim = {True: "bimodal", False: "not bimodal", None: "bimodality n/a"}[v.bimodal]
        assert top.get_title() == f"{m} ({res.kinds[m]})\n{jump}, {bim}"
    assert tops[0].get_title().startswith("exact_match (thresholded)\njump")


def test_metric_comparison_given_axes_and_delegation(comparison):
    fig, axes = plt.subplots(2, 2)
    assert dp.metric_comparison(comparison, ax=axes) is fig
    assert all(a.lines for a in axes.ravel())
    with pytest.raises(ValueError, match="must hold 4 Axes"):
        dp.metric_comparison(comparison, ax=axes[0])
    out = comparison.plot()
    assert isinstance(out, Figure) and len(out.axes) == 6


# ------------------------------------------------------------------ plot() delegation
@pytest.mark.parametrize(
    "name,kind,kwargs",
    [
        ("summary", "axes", {}),
        ("shift", "axes", {}),
        ("modality", "figure", {}),
        ("success", "axes", {}),
        ("per_seed", "axes", {"population": True}),
        ("trend", "axes", {}),
        ("monotonicity", "axes", {}),
        ("inverse", "figure", {}),
    ],
)
def test_result_plot_delegates(results, pop, name, kind, kwargs):
    res = results[name]
    kwargs = {"population": pop} if kwargs else {}
    out = res.plot(**kwargs)
    if kind == "axes":
        assert isinstance(out, plt.Axes)
        ax = plt.subplots()[1]
        assert res.plot(ax=ax, **kwargs) is ax and (ax.lines or ax.collections)
    else:
        assert isinstance(out, Figure) and len(out.axes) >= 2


# ------------------------------------------------------------------------ conventions
@pytest.mark.parametrize("name", ["summary", "success", "shift", "trend", "monotonicity",
                                  "inverse", "modality", "ridgeline", "violin", "comparison"])
def test_no_legend_covers_data(results, pop, comparison, name):
    """Every legend of every picture lies outside its axes (above, or right of them)."""
    draw = {
        "summary": lambda: dp.summary_curves(results["summary"]),
        "success": lambda: dp.success_curve(results["success"]),
        "shift": lambda: dp.distribution_shift(results["shift"]),
        "trend": lambda: dp.trend(results["trend"]),
        "monotonicity": lambda: dp.trend(results["monotonicity"]),
        "inverse": lambda: dp.inverse_scaling(results["inverse"]),
        "modality": lambda: dp.modality_scan(results["modality"]),
        "ridgeline": lambda: dp.seed_distributions(pop, threshold=0.2),
        "violin": lambda: dp.seed_distributions(pop, kind="violin", threshold=0.2),
        "comparison": lambda: dp.metric_comparison(comparison),
    }[name]
    out = draw()
    fig = out if isinstance(out, Figure) else out.get_figure()
    with_legend = [a for a in fig.axes if a.get_legend() is not None]
    assert with_legend
    for ax in with_legend:
        assert_legend_clear_of_data(ax, twins=(ax.right_ax,) if hasattr(ax, "right_ax") else ())


def test_log_axis_rule():
    # log when positive scales are evenly spaced in log, or span two decades
    assert dp._style.log_x(np.array([1, 2, 4, 8]), None)
    assert dp._style.log_x(distscale.datasets.load_polypythias().scales, None)
    assert not dp._style.log_x(np.array([1, 2, 3, 4, 5, 6]), None)
    assert not dp._style.log_x(np.array([0, 1, 2]), None)
    assert not dp._style.log_x(np.array([1, 2, 4, 8]), False)
    with pytest.raises(ValueError, match="positive scales"):
        dp._style.log_x(np.array([0, 1, 2]), True)


def test_scale_tick_labels():
    assert [dp._style.fmt_scale(v) for v in (2, 0.5, 1024, 14067712, 1.2e9)] == [
        "2", "0.5", "1024", "14.1M", "1.2B"]


def test_import_distscale_does_not_import_matplotlib():
    code = textwrap.dedent(
        """
        import sys, distscale
        assert "matplotlib" not in sys.modules, "import distscale pulled matplotlib"
        import distscale.plot
        assert "matplotlib" in sys.modules
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)
