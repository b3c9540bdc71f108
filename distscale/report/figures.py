"""The report's figures, drawn by :mod:`distscale.plot` and written as PNG and SVG.

Figures are made as :class:`matplotlib.figure.Figure` objects (no pyplot
state), saved as PNG (embedded in the page as base64) and SVG with a fixed
id salt and no date or creator, so the same data give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from distscale._lib.processes import map_forked, slow_first
from distscale.report.folder import ReportFolder
from distscale.report.text import Context, pct

#: Resolution of the PNG figures (the page shows them at 96 CSS pixels per inch).
PNG_DPI = 150


@dataclass(frozen=True)
class FigureFile:
    name: str
    title: str
    caption: str
    png: Path
    svg: Path
    png_bytes: bytes = b""


def _figure_specs(ctx: Context) -> list[tuple[str, str, str, tuple, Callable]]:
    """(name, title, caption, figsize, draw(plot, fig) -> Figure) for each figure that applies."""
    r = ctx.results
    thr = f"the success threshold ({ctx.rule})"
    specs: list[tuple[str, str, str, tuple, Callable]] = [
        (
            "distributions",
            "Seed distributions",
            f"The metric of every seed at each {ctx.scale_name}, with {thr}.",
            (7.5, 0.9 + 1.1 * min(len(ctx.pop.scales), 12)),
            lambda plot, fig: plot.seed_distributions(
                ctx.pop, metric=ctx.metric, kind="ridgeline", threshold=ctx.threshold,
                ax=fig.add_subplot(),
            ),
        )
    ]  # fmt: skip
    one = {
        "summary_curves": ("Summary curves", "Mode, mean, P(success) and the conditional means "
                           f"with {pct(ctx.confidence_level)} seed-bootstrap bands."),
        "success_curve": ("Success curve", "Observed fraction of successful seeds, the fitted "
                          "curve with its pointwise band, and x50."),
        "per_seed_emergence": ("Single-seed curves", "Each seed's curve across scales, "
                               "coloured by its breakthroughness."),
        "distribution_shift": ("Distribution shift", "Wasserstein distance between the seed "
                               "distributions of successive scales, with bootstrap CIs."),
    }  # fmt: skip
    plotter = {
        "summary_curves": "summary_curves",
        "success_curve": "success_curve",
        "per_seed_emergence": "seed_trajectories",
        "distribution_shift": "distribution_shift",
    }
    for key in ("summary_curves",):
        if key in r:
            specs.append((key, *one[key], (7.5, 4.6), _single(plotter[key], r[key])))
    if "modality_scan" in r:
        specs.append(
            (
                "modality_scan",
                "Modality scan",
                "Mixture components over scale (weights and means with CIs), the dip test and "
                "Holm-adjusted p-values, and the capacity threshold.",
                (8.0, 7.5),
                lambda plot, fig: plot.modality_scan(r["modality_scan"], ax=fig),
            )
        )
    if "success_curve" in r:
        key = "success_curve"
        specs.append((key, *one[key], (7.5, 4.4), _single(plotter[key], r[key])))
    if "per_seed_emergence" in r:
        key = "per_seed_emergence"
        specs.append(
            (key, *one[key], (7.5, 4.6),
             _single(plotter[key], r[key], population=ctx.pop))
        )  # fmt: skip
    tests = [(k, r[k]) for k in ("trend_success", "trend_failure", "monotonicity") if k in r]
    if tests:
        specs.append(
            (
                "trends",
                "Trend tests",
                "Per-scale means of the runs each test uses (labelled with the number of "
                "runs), with the isotonic fit.",
                (4.2 * len(tests), 3.9),
                lambda plot, fig: _panels(plot, fig, tests, ctx.scale_name),
            )
        )
    if "inverse_scaling" in r:
        specs.append(
            (
                "inverse_scaling",
                "Inverse scaling",
                "Left: P(success) with the logistic and quadratic logistic fits. Right: "
                "mean | success with its isotonic fit.",
                (10.0, 4.4),
                lambda plot, fig: plot.inverse_scaling(r["inverse_scaling"], ax=fig),
            )
        )
    if "distribution_shift" in r:
        key = "distribution_shift"
        specs.append((key, *one[key], (7.5, 4.0), _single(plotter[key], r[key])))
    if "next_scale_outlook" in r:
        out = r["next_scale_outlook"]
        fitted = np.asarray(out.law.scales_)
        shown = fitted
        which = "each scale's runs"
        if fitted.size > LAW_PANELS:  # a few evenly spaced scales, the first and last among them
            shown = fitted[np.unique(np.round(np.linspace(0, fitted.size - 1, LAW_PANELS)))
                           .astype(int)]
            which = (f"the runs of {shown.size} of the {fitted.size} scales (evenly spaced, the "
                     "first and the last among them)")
        n_panels = shown.size + 1
        specs.append((
            "law", "Distributional scaling law",
            f"The law's density (with its seed-bootstrap band) over {which}, point masses on the "
            "right-hand axis, and the predicted distribution at "
            f"{out.factor:g}x the largest scale (last panel).",
            (9.6, 0.6 + 2.6 * -(-n_panels // 3)),
            lambda plot, fig: plot.scaling_law(out.law, at=out.scale, scales=shown, ax=fig),
        ))  # fmt: skip
    if "threshold_sensitivity" in r:
        specs.append((
            "threshold_sensitivity", "Threshold sensitivity",
            "Against the success threshold: the share of the mean's change due to P(success) "
            "(coloured by the verdict it gives), x50, and the observed P(success) at each scale.",
            (7.2, 8.2),
            lambda plot, fig: plot.threshold_sensitivity(r["threshold_sensitivity"], ax=fig),
        ))  # fmt: skip
    return specs


def _single(func_name: str, result: object, **kw: object) -> Callable:
    def draw(plot, fig):
        getattr(plot, func_name)(result, ax=fig.add_subplot(), **kw)
        return fig

    return draw


#: The slowest figures, started first when they are drawn side by side (the law's
#: panels compute density bands from every bootstrap replicate).
_SLOW_FIRST = ("law", "distributions")

#: Most fitted scales drawn in the report's scaling-law figure (11, plus the prediction).
LAW_PANELS = 11

_PANEL_TITLES = {
    "trend_success": "successful runs",
    "trend_failure": "failed runs",
    "monotonicity": "all runs (monotonicity)",
}


def _panels(plot, fig, tests, scale_name):
    axes = fig.subplots(1, len(tests), squeeze=False)[0]
    for ax, (key, res) in zip(axes, tests, strict=True):
        plot.trend(res, ax=ax)
        ax.set_title(f"{_PANEL_TITLES[key]}\n{ax.get_title()}", fontsize=10)
        ax.set_xlabel(scale_name)
    return fig


def _render(spec: tuple) -> tuple[bytes, bytes] | str:
    """One figure as PNG and SVG bytes, or a note saying why it could not be drawn."""
    import matplotlib
    from matplotlib.figure import Figure

    from distscale import plot

    name, _, _, size, draw = spec
    fig = Figure(figsize=size, layout="constrained")
    try:
        drawn = draw(plot, fig)
    except Exception as err:  # a figure that cannot be drawn must not lose the report
        return f"figure {name!r} could not be drawn: {type(err).__name__}: {err}"
    fig = drawn if hasattr(drawn, "savefig") else getattr(drawn, "figure", fig)
    buf, svg_buf = io.BytesIO(), io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "distscale", "svg.fonttype": "path"}):
        fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
        # the layout the PNG was drawn with serves the SVG too (not solved a second time)
        fig.set_layout_engine("none")
        fig.savefig(svg_buf, format="svg", metadata={"Date": None, "Creator": None})
    _close(fig)
    return buf.getvalue(), svg_buf.getvalue()


def write_figures(
    ctx: Context, folder: ReportFolder, notes: list[str], *, workers: int = 1
) -> list[FigureFile]:
    """Draw every figure, write PNG and SVG into ``figures/`` of the report; failures -> notes.

    With ``workers > 1`` the figures are drawn side by side in forked
    processes (:func:`distscale._lib.processes.map_forked`); the files and
    notes are the same, in the same order.
    """
    specs = list(_figure_specs(ctx))
    order = slow_first([spec[0] for spec in specs], _SLOW_FIRST)
    out = []
    for spec, drawn in zip(specs, map_forked(_render, specs, workers, order=order), strict=True):
        if isinstance(drawn, str):
            notes.append(drawn)
            continue
        name, title, caption = spec[:3]
        png = folder.write_bytes(f"figures/{name}.png", drawn[0])
        svg = folder.write_bytes(f"figures/{name}.svg", drawn[1])
        out.append(FigureFile(name, title, caption, png, svg, drawn[0]))
    return out


def _close(fig) -> None:
    """Release a figure that pyplot may know about (figures made by plot functions)."""
    import sys

    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close(fig)
