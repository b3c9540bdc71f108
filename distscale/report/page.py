"""The HTML of the report page: the data of each section, rendered by Jinja2 templates.

Part of :func:`distscale.make_report`; the words are in
:mod:`distscale.report.text`, the figures in :mod:`distscale.report.figures`,
the markup in ``distscale/report/templates/`` (``page.html.j2``, one
template per section under ``sections/``, shared macros, the style sheet).
Templates escape every value (autoescape); this module passes data only.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Mapping
from pathlib import Path

import jinja2
import markupsafe
import numpy as np
import pandas as pd

from distscale.report.figures import PNG_DPI, FigureFile
from distscale.report.folder import ReportFolder
from distscale.report.text import (
    Context,
    fmt,
    fmt_scale,
    min_sep,
    pct,
    seed_sentence,
    shift_sentence,
    x50_sentence,
)


# ================================================================================= tables
def write_tables(tables: Mapping[str, str], folder: ReportFolder) -> dict[str, Path]:
    """Each result's table (its ``to_frame()`` as CSV text) as ``tables/<name>.csv``, atomically."""
    return {key: folder.write_text(f"tables/{key}.csv", text) for key, text in tables.items()}


def _table(frame: pd.DataFrame, scale_cols: tuple[str, ...] = ("scale",)) -> dict:
    """A DataFrame as the page's table: formatted cells, headers that can wrap."""
    shown = frame.copy()
    for col in scale_cols:
        if col in shown.columns:
            shown[col] = [fmt_scale(v) for v in shown[col]]
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col].dtype):
            shown[col] = [fmt(v, 4) for v in shown[col]]
    shown = shown.astype(object).where(shown.notna(), "–")
    return {
        "columns": [str(c).replace("_", " ") for c in shown.columns],
        "rows": shown.to_numpy().tolist(),
    }


def _columns_table(columns: dict[str, list]) -> dict:
    """A table from columns of cells (text, or an estimate with its interval)."""
    rows = [list(r) for r in zip(*columns.values(), strict=True)]
    return {"columns": list(columns), "rows": rows}


def _with_ci(est: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list:
    """Cells: the estimate with its interval on a second, smaller line."""
    return [
        "undefined" if math.isnan(e) else {"estimate": fmt(e), "low": fmt(a), "high": fmt(b)}
        for e, a, b in zip(est, lo, hi, strict=True)
    ]


def _figure(fig: FigureFile | None) -> dict | None:
    if fig is None:
        return None
    return {
        "name": fig.name,
        "title": fig.title,
        "caption": fig.caption,
        "data": base64.b64encode(fig.png_bytes).decode("ascii"),
        "width": _png_width(fig.png_bytes),
    }


def _png_width(data: bytes) -> int:
    """CSS width: the PNG's pixel width at 96 CSS px per inch (IHDR width, bytes 16-20)."""
    return round(int.from_bytes(data[16:20], "big") * 96 / PNG_DPI)


# ============================================================================ sections
def _sec_summary_curves(ctx: Context) -> dict:
    res = ctx.results["summary_curves"]
    rows = {"scale": [fmt_scale(s) for s in res.scales], "n": res.n_seeds.tolist()}
    for j, name in enumerate(res.statistics):
        rows[name] = _with_ci(res.estimates[:, j], res.ci_low[:, j], res.ci_high[:, j])
    emerg = ctx.results.get("curve_emergence")
    return {
        "curves": _columns_table(rows),
        "emergence": None if emerg is None else _table(emerg.to_frame(), ()),
    }


def _sec_decomposition(ctx: Context) -> dict:
    dec = ctx.results["mean_decomposition"]
    labels = {
        "change": "change of the mean",
        "p_success": "from P(success)",
        "mean_success": "from successful runs",
        "mean_failure": "from failed runs",
    }
    n = len(dec.scale_from)
    rows: dict[str, list] = {
        "step": ["successive"] * (n - 1) + ["smallest → largest"],
        "from": [fmt_scale(s) for s in dec.scale_from],
        "to": [fmt_scale(s) for s in dec.scale_to],
    }
    for j, part in enumerate(labels):
        rows[labels[part]] = _with_ci(dec.estimates[:, j], dec.ci_low[:, j], dec.ci_high[:, j])
    return {"level": pct(dec.confidence_level), "table": _columns_table(rows)}


def _sec_modality(ctx: Context) -> dict:
    scan = ctx.results["modality_scan"]
    wide = scan.per_scale()
    keep = [c for c in ("scale", "n_seeds", "dip_pvalue", "bimodality_coefficient",
                        "n_components", "lrt_pvalue", "adjusted_pvalue", "separation",
                        "n_modes", "pile_modes", "bimodal", "degenerate", "p_success")
            if c in wide.columns]  # fmt: skip
    comp = scan.components
    return {
        "bounds": None if not isinstance(ctx.bounds, tuple) else [f"{b:g}" for b in ctx.bounds],
        "auto_bounds": ctx.bounds == "auto",
        "pile_notes": [
            {"scale": fmt_scale(s), "note": n}
            for s, n in zip(scan.scales, scan.notes, strict=True)
            if n
        ],
        "alpha": f"{ctx.alpha:g}",
        "min_separation": min_sep(scan),
        "per_scale": _table(wide[keep]),
        "components": _table(comp) if len(comp) else None,
    }


def _sec_success(ctx: Context) -> dict:
    sc = ctx.results["success_curve"]
    return {
        "sentence": x50_sentence(ctx) or "",
        "table": _table(sc.to_frame()),
        "coefficients": _table(sc.coef_frame(), ()) if len(sc.coef_names) else None,
    }


def _sec_seeds(ctx: Context) -> dict:
    seeds = ctx.results["per_seed_emergence"]
    frame = seeds.to_frame()
    desc = frame[["linearity", "breakthroughness", "improvement"]].replace(
        [np.inf, -np.inf], np.nan
    ).describe(percentiles=[0.25, 0.5, 0.75]).T.reset_index(names="score")
    desc["count"] = desc["count"].astype(int)
    return {
        "sentence": seed_sentence(ctx) or "",
        "description": _table(desc, ()),
        "n_seeds": len(frame),
        "all": _table(frame, ()),
    }


def _sec_trends(ctx: Context) -> dict:
    r = ctx.results
    rows = []
    for key, what in (
        ("trend_success", "mean | success changes with scale"),
        ("trend_failure", "mean | failure changes with scale"),
    ):
        res = r.get(key)
        if res is not None:
            rows.append((what, f"Jonckheere-Terpstra ({res.alternative})", res.statistic,
                         res.pvalue, res.effect_size))  # fmt: skip
    mono = r.get("monotonicity")
    if mono is not None:
        rows.append((f"mean is not monotonically {mono.direction}", "isotonic LR, bootstrap",
                     mono.statistic, mono.pvalue, np.nan))  # fmt: skip
    frame = pd.DataFrame(rows, columns=["question", "test", "statistic", "pvalue", "effect_size"])
    return {"table": _table(frame, ())}


def _sec_inverse(ctx: Context) -> dict:
    inv = ctx.results["inverse_scaling"]
    return {"verdict": inv.verdict, "table": _table(inv.to_frame(), ())}


def _sec_shift(ctx: Context) -> dict:
    shift = ctx.results["distribution_shift"]
    return {
        "sentence": shift_sentence(ctx) or "",
        "table": _table(shift.to_frame(), ("scale_from", "scale_to")),
    }


def _sec_sensitivity(ctx: Context) -> dict:
    res = ctx.results["threshold_sensitivity"]
    frame = res.to_frame()
    keep = ["threshold", "first_majority_scale", "x50", "x50_low", "x50_high", "share",
            "share_low", "share_high", "x50_inside", "mean_change", "inverse_scaling"]
    shown = frame[keep].copy()
    for col in ("first_majority_scale", "x50", "x50_low", "x50_high"):
        shown[col] = [fmt_scale(v) if np.isfinite(v) else "–" for v in shown[col]]
    return {
        "lines": [line.removeprefix("- ") for line in res.summary().splitlines()],
        "used": ctx.threshold,
        "table": _table(shown, ()),
    }


def _sec_law(ctx: Context) -> dict:
    from distscale.law.outlook import section_data

    return section_data(ctx.results["next_scale_outlook"])


#: (id, heading, result needed, figure, body, what the section shows)
_SECTIONS: tuple[tuple[str, str, str, str | None, Callable[[Context], dict] | None, str], ...] = (
    ("distributions", "Seed distributions", "", "distributions", None,
     "How the metric is spread over seeds at each scale. A bimodal scale has two piles of "
     "runs: failed and successful ones."),
    ("curves", "Summary curves", "summary_curves", "summary_curves", _sec_summary_curves,
     "The paper's four curves and more, per scale. The mode and mean can jump while "
     "P(success) and the mean of successful runs move smoothly."),
    ("decomposition", "Where the change of the mean comes from", "mean_decomposition", None,
     _sec_decomposition, "Is the jump of the mean a change in how many runs succeed, or in "
     "how well runs do?"),
    ("modality", "Modality and the capacity threshold", "modality_scan", "modality_scan",
     _sec_modality, "From which scale on is the seed distribution bimodal?"),
    ("success", "Probability of success", "success_curve", "success_curve", _sec_success,
     "A binomial fit of P(success) against scale; x50 is where it crosses 50%."),
    ("seeds", "Single seeds", "per_seed_emergence", "per_seed_emergence", _sec_seeds,
     "One seed followed across scales can look linear or emergent by chance."),
    ("trends", "Trends within groups", "", "trends", _sec_trends,
     "Do the successful (failed) runs get better with scale?"),
    ("inverse", "Inverse scaling", "inverse_scaling", "inverse_scaling", _sec_inverse,
     "Does P(success) fall (or turn U-shaped) with scale while successful runs still improve?"),
    ("shift", "Distribution shift", "distribution_shift", "distribution_shift", _sec_shift,
     "How far the whole seed distribution moves from one scale to the next."),
    ("sensitivity", "How the verdicts depend on the threshold", "threshold_sensitivity",
     "threshold_sensitivity", _sec_sensitivity,
     "Every verdict built on the success rule is a verdict at one threshold. The same analyses "
     "over a grid of thresholds (quantiles of all runs, plus the one this report uses): which "
     "verdicts hold at every threshold, and where the others flip."),
    ("law", "What to expect at the next scale", "next_scale_outlook", "law", _sec_law,
     "One distributional scaling law across all scales: how well it predicted the largest "
     "scale it was not shown, the seed distribution it predicts at twice the largest scale, "
     "the best of k seeds there, and how many seeds pin P(success)."),
)  # fmt: skip


def _escape(value: object) -> object:
    """Escape with the standard library's entities (``&quot;``, ``&#x27;``), once."""
    if isinstance(value, markupsafe.Markup):
        return value
    return markupsafe.Markup(html.escape(str(value), quote=True))


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        finalize=_escape,
        loader=jinja2.PackageLoader("distscale.report", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _meta(ctx: Context) -> dict:
    pop = ctx.pop
    counts = [x.size for x in pop.values()]
    per = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}–{max(counts)}"
    return {
        "n_runs": sum(counts),
        "n_scales": len(counts),
        "scale_name": ctx.scale_name,
        "scales": ", ".join(fmt_scale(s) for s in pop.scales),
        "per_scale": per,
        "seed": pop.seed,
        "metric": ctx.metric,
        "bounds": (
            f" in [{ctx.bounds[0]:g}, {ctx.bounds[1]:g}]" if isinstance(ctx.bounds, tuple) else ""
        ),
        "design": (
            f"the same {pop.n_seeds().max()} seeds at every scale (a paired design: intervals "
            "and tests keep each seed's curve together)"
            if pop.paired else "independent runs at each scale"
        ),
        "rule": ctx.rule,
    }


def render_page(
    ctx: Context, summary: list[str], notes: list[str], figures: list[FigureFile]
) -> str:
    """The self-contained HTML page (templates in ``distscale/report/templates``)."""
    from distscale._lib.version import __version__

    figs = {f.name: f for f in figures}
    sections = []
    for sid, heading, needs, fig_name, make, what in _SECTIONS:
        if needs and needs not in ctx.results:
            continue
        fig = figs.get(fig_name) if fig_name else None
        data = make(ctx) if make is not None else None
        if not (fig or data):
            continue
        sections.append({
            "id": sid,
            "heading": heading,
            "what": what,
            "figure": _figure(fig),
            "template": f"sections/{sid}.html.j2" if data is not None else None,
            "data": data,
        })  # fmt: skip
    env = _environment()
    call = (
        f"make_report(pop, value={ctx.metric!r}, threshold={ctx.threshold!r}, "
        f"bounds={ctx.bounds!r}, higher_is_better={ctx.higher_is_better!r}, "
        f"n_resamples={ctx.n_resamples}, alpha={ctx.alpha!r}, rng={ctx.rng})"
    )
    return env.get_template("page.html.j2").render(
        title=ctx.title or f"distscale report: {ctx.metric} against {ctx.scale_name}",
        source=ctx.source,
        meta=_meta(ctx),
        summary=summary,
        sections=sections,
        notes=notes,
        version=__version__,
        call=call,
    )
